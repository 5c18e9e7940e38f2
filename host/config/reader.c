/* host/config/reader.c — an experiment's INI text read into records (reader.h).
 *
 * inih does the key/value splitting and inline comments. Debian builds inih without line
 * numbers in the handler (INI_HANDLER_LINENO 0), so inih reads through our own reader: it
 * hands inih one line at a time from memory, counts lines, and is also where the things inih
 * does not know happen — `%include FILE` (parsed right there, relative to the including file),
 * syntax checks with FILE:LINE messages (inih would only report the first bad line), section
 * headers (inih reports no empty section), and key = value lines longer than inih's fixed
 * line buffer (split here exactly as inih splits, so long paths work). `[run] base = FILE` is handled
 * after a file is read: the base file's assignments are spliced in *before* the file's own
 * ones, so everything the file says overrides its base. Later assignments override earlier.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/mem.h"
#include "config/paths.h"
#include "config/reader.h"
#include "config/store.h"
#include "core/path.h"

#define CFG_MAX_DEPTH     16
#define CFG_MAX_FILE_SIZE (16u << 20)

typedef struct cfg_parse {
    hrkd_config *cfg;
    cfg_diags   *ds;
    cfg_records  rec;
    int          string_mode;
    const char  *stack[CFG_MAX_DEPTH + 1]; /* canonical names of the files being read */
    const char  *shown[CFG_MAX_DEPTH + 1]; /* as displayed */
    int          depth;
} cfg_parse;

typedef struct cfg_reader {
    cfg_parse  *p;
    const char *buf;
    size_t      len, pos;
    const char *file; /* interned */
    int         line;
    char        section[128];
    int         have_section;
    int         skip; /* after a bad [header]: its keys are dropped without more messages */
    char       *base;      /* [run] base = ... of this file (resolved) */
    int         base_line;
} cfg_reader;

static void cfg_record_add(cfg_records *rs, const char *section, const char *key,
                           const char *value, const char *file, int line)
{
    rs->r = cfg_grow(rs->r, &rs->cap, rs->n + 1, sizeof(cfg_record));
    cfg_record *r = &rs->r[rs->n++];
    r->section = cfg_strdup(section);
    r->key = key ? cfg_strdup(key) : NULL;
    r->value = value ? cfg_strdup(value) : NULL;
    r->file = file;
    r->line = line;
}

void cfg_records_free(cfg_records *rs)
{
    for (int i = 0; i < rs->n; i++) {
        free(rs->r[i].section);
        free(rs->r[i].key);
        free(rs->r[i].value);
    }
    free(rs->r);
    rs->r = NULL;
    rs->n = rs->cap = 0;
}

static int cfg_parse_file(cfg_parse *p, const char *path, const char *from_file, int from_line,
                          const char *directive);

static int cfg_name_char(int c, int dot)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || (dot && c == '.');
}

/* Strips an inline comment (';' or '#' after whitespace) and trailing whitespace in place. */
static void cfg_strip_comment(char *s)
{
    for (char *c = s; *c; c++) {
        if ((*c == ';' || *c == '#') && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
            *c = 0;
            break;
        }
    }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
}

static void cfg_directive_include(cfg_reader *rd, char *arg)
{
    cfg_parse *p = rd->p;
    cfg_strip_comment(arg);
    if (!*arg) {
        cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "%%include: expected a file name");
        return;
    }
    if (p->string_mode) {
        cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                     "%%include %s: not allowed in a configuration given as text", arg);
        return;
    }
    char *path = cfg_join(rd->file, arg);
    cfg_parse_file(p, path, rd->file, rd->line, "%include");
    free(path);
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value);

/* inih's treatment of the text after '=': skip leading space, cut at the first ';' that
 * follows a space (inline comment), strip trailing space. Modifies v in place. */
static char *cfg_inih_value(char *v)
{
    while (*v && isspace((unsigned char)*v)) v++;
    int was_space = 0;
    char *c = v;
    while (*c && !(was_space && *c == ';')) {
        was_space = isspace((unsigned char)*c);
        c++;
    }
    *c = 0;
    while (c > v && isspace((unsigned char)c[-1])) *--c = 0;
    return v;
}

/* The ini_reader: returns the next line for inih, or NULL at the end. Lines inih must not
 * see (comments, directives, bad lines) come back empty. */
static char *cfg_reader_fn(char *str, int num, void *stream)
{
    cfg_reader *rd = stream;
    cfg_parse *p = rd->p;
    if (rd->pos >= rd->len) return NULL;
    const char *start = rd->buf + rd->pos;
    const char *nl = memchr(start, '\n', rd->len - rd->pos);
    size_t n = nl ? (size_t)(nl - start) : rd->len - rd->pos;
    rd->pos += n + (nl ? 1 : 0);
    rd->line++;
    str[0] = 0;
    if (n && start[n - 1] == '\r') n--;
    if (rd->line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
        start += 3;
        n -= 3;
    }
    while (n && (*start == ' ' || *start == '\t')) { start++; n--; }
    while (n && (start[n - 1] == ' ' || start[n - 1] == '\t')) n--;
    if (n == 0 || *start == ';' || *start == '#') return str;
    if (memchr(start, 0, n)) {
        cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "unexpected NUL byte (not a text file?)");
        return str;
    }
    char *line = cfg_strndup(start, n);
    if (line[0] == '%') {
        size_t w = 1;
        while (cfg_name_char((unsigned char)line[w], 0)) w++;
        if (w == 8 && strncmp(line, "%include", 8) == 0 && (line[w] == 0 || line[w] == ' ' || line[w] == '\t')) {
            char *arg = line + w;
            while (*arg == ' ' || *arg == '\t') arg++;
            cfg_directive_include(rd, arg);
        } else {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "unknown directive '%.*s' (expected %%include FILE)", (int)(w < 40 ? w : 40), line);
        }
        free(line);
        return str;
    }
    if (line[0] == '[') {
        char *close = strchr(line, ']');
        if (!close) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "expected ']' to close the section name");
            rd->have_section = 0;
            rd->skip = 1;
            free(line);
            return str;
        }
        *close = 0;
        char *name = line + 1, *rest = close + 1;
        while (*name == ' ' || *name == '\t') name++;
        size_t nl2 = strlen(name);
        while (nl2 && (name[nl2 - 1] == ' ' || name[nl2 - 1] == '\t')) name[--nl2] = 0;
        while (*rest == ' ' || *rest == '\t') rest++;
        /* inih keeps at most 49 characters of a section name */
        int ok = nl2 > 0 && nl2 <= 48 && cfg_name_char((unsigned char)name[0], 0);
        for (size_t i = 0; ok && i < nl2; i++) ok = cfg_name_char((unsigned char)name[i], 1);
        if (!ok) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "bad section name '%.*s' (at most 48 letters, digits, '_', '-', '.')", 60, name);
            rd->have_section = 0;
            rd->skip = 1;
        } else if (*rest && *rest != ';' && *rest != '#') {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "unexpected text after [%s]", name);
            rd->have_section = 0;
            rd->skip = 1;
        } else {
            rd->skip = 0;
            snprintf(rd->section, sizeof rd->section, "%s", name);
            rd->have_section = 1;
            cfg_record_add(&p->rec, name, NULL, NULL, rd->file, rd->line);
            snprintf(str, (size_t)num, "[%s]", name);
        }
        free(line);
        return str;
    }
    /* key = value (or key: value, as inih also accepts) */
    size_t k = 0;
    while (line[k] && line[k] != '=' && line[k] != ':') k++;
    size_t kend = k;
    while (kend && (line[kend - 1] == ' ' || line[kend - 1] == '\t')) kend--;
    int ok = line[k] != 0 && kend > 0;
    for (size_t i = 0; ok && i < kend; i++) ok = cfg_name_char((unsigned char)line[i], 1);
    if (!ok) {
        if (line[k] == 0)
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "expected 'key = value', '[section]', '%%include FILE' or a comment");
        else
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "bad key name '%.*s' (letters, digits, '_', '-', '.')", (int)(kend < 60 ? kend : 60), line);
    } else if (!rd->have_section) {
        if (!rd->skip)
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "key '%.*s' is not inside a valid [section]",
                     (int)(kend < 60 ? kend : 60), line);
    } else if (strlen(line) + 3 <= (size_t)num) {
        memcpy(str, line, strlen(line) + 1);
    } else {
        /* Longer than inih's line buffer (INI_MAX_LINE): split it here, the way inih would. */
        line[k] = 0;
        line[kend] = 0;
        cfg_handler(rd, rd->section, line, cfg_inih_value(line + k + 1));
    }
    free(line);
    return str;
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
    cfg_reader *rd = user;
    cfg_parse *p = rd->p;
    if (!value) return 1;
    if (!rd->have_section || strcmp(section, rd->section) != 0) return 1; /* cannot happen */
    if (strcmp(section, "run") == 0 && strcmp(name, "base") == 0) {
        if (!*value) return 1; /* "no base" */
        if (p->string_mode) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line,
                         "[run] base: not allowed in a configuration given as text");
            return 1;
        }
        if (rd->base) {
            cfg_diag_add(p->ds, p->cfg, rd->file, rd->line, "[run] base: given twice in one file");
            return 1;
        }
        rd->base = cfg_join(rd->file, value);
        rd->base_line = rd->line;
        return 1; /* not a record: the base is merged, the key itself does not survive */
    }
    cfg_record_add(&p->rec, section, name, value, rd->file, rd->line);
    return 1;
}

static int cfg_read_all(const char *path, char **out, size_t *len, char *why, size_t cap)
{
    hrkd_error kind = {0};
    if (hrkd_path_expect(path, HRKD_PATH_FILE, &kind)) { /* "PATH: is a FIFO ...": the caller names the path */
        size_t n = strlen(path);
        snprintf(why, cap, "%s", strncmp(kind.msg, path, n) == 0 && kind.msg[n] == ':' ? kind.msg + n + 2 : kind.msg);
        return 1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "cannot open: %s", strerror(errno));
        return 1;
    }
    size_t n = 0, c = 4096;
    char *buf = malloc(c);
    HRKD_ASSERT(buf);
    for (;;) {
        if (n == c) {
            c *= 2;
            buf = realloc(buf, c);
            HRKD_ASSERT(buf);
        }
        size_t got = fread(buf + n, 1, c - n, f);
        n += got;
        if (got == 0) break;
        if (n > CFG_MAX_FILE_SIZE) break;
    }
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(why, cap, "cannot read: %s", strerror(e));
        return 1;
    }
    if (n > CFG_MAX_FILE_SIZE) {
        free(buf);
        snprintf(why, cap, "larger than %u bytes: not a configuration file", CFG_MAX_FILE_SIZE);
        return 1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Reads one text (a file's contents) into p->rec, then splices its base in front. */
static void cfg_parse_text(cfg_parse *p, const char *file, const char *buf, size_t len)
{
    cfg_reader rd = {.p = p, .buf = buf, .len = len, .file = file};
    int start = p->rec.n;
    ini_parse_stream(cfg_reader_fn, &rd, cfg_handler, &rd);
    /* Syntax problems were caught by the reader (it never passes inih a bad line). */
    if (rd.base) {
        cfg_records mine = p->rec; /* records [start, n) are this file's own */
        cfg_records tail = {0};
        int own = mine.n - start;
        if (own > 0) {
            tail.r = malloc((size_t)own * sizeof(cfg_record));
            HRKD_ASSERT(tail.r);
            memcpy(tail.r, mine.r + start, (size_t)own * sizeof(cfg_record));
            tail.n = tail.cap = own;
        }
        p->rec.n = start;
        cfg_parse_file(p, rd.base, file, rd.base_line, "[run] base");
        for (int i = 0; i < tail.n; i++) {
            p->rec.r = cfg_grow(p->rec.r, &p->rec.cap, p->rec.n + 1, sizeof(cfg_record));
            p->rec.r[p->rec.n++] = tail.r[i];
        }
        free(tail.r);
        free(rd.base);
    }
}

static int cfg_parse_file(cfg_parse *p, const char *path, const char *from_file, int from_line,
                          const char *directive)
{
    char why[512];
    char *canon = realpath(path, NULL);
    if (!canon) {
        if (from_file)
            cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: cannot open: %s", directive,
                         path, strerror(errno));
        else
            cfg_diag_add(p->ds, p->cfg, path, 0, "cannot open: %s", strerror(errno));
        return 1;
    }
    for (int i = 0; i < p->depth; i++) {
        if (strcmp(p->stack[i], canon) != 0) continue;
        char chain[1024] = "";
        for (int j = i; j < p->depth; j++) {
            strncat(chain, p->shown[j], sizeof chain - strlen(chain) - 1);
            strncat(chain, " -> ", sizeof chain - strlen(chain) - 1);
        }
        strncat(chain, path, sizeof chain - strlen(chain) - 1);
        cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: include cycle (%s)", directive,
                     path, chain);
        free(canon);
        return 1;
    }
    if (p->depth >= CFG_MAX_DEPTH) {
        cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: nested more than %d files deep",
                     directive, path, CFG_MAX_DEPTH);
        free(canon);
        return 1;
    }
    char *buf = NULL;
    size_t len = 0;
    const char *file = cfg_intern(p->cfg, path);
    if (cfg_read_all(path, &buf, &len, why, sizeof why)) {
        if (from_file) cfg_diag_add(p->ds, p->cfg, from_file, from_line, "%s %s: %s", directive, path, why);
        else cfg_diag_add(p->ds, p->cfg, file, 0, "%s", why);
        free(canon);
        return 1;
    }
    p->stack[p->depth] = canon;
    p->shown[p->depth] = file;
    p->depth++;
    cfg_parse_text(p, file, buf, len);
    p->depth--;
    free(canon);
    free(buf);
    return 0;
}

void cfg_read_file(hrkd_config *cfg, cfg_diags *ds, const char *path, cfg_records *out)
{
    cfg_parse p = {.cfg = cfg, .ds = ds};
    cfg_parse_file(&p, path, NULL, 0, "");
    *out = p.rec;
}

void cfg_read_text(hrkd_config *cfg, cfg_diags *ds, const char *file, const char *text, size_t len,
                   cfg_records *out)
{
    cfg_parse p = {.cfg = cfg, .ds = ds, .string_mode = 1};
    cfg_parse_text(&p, file, text, len);
    *out = p.rec;
}
