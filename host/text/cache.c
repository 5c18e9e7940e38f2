/* host/text/cache.c — the token cache: the tokenized splits of a text dataset, one file per
 * split, memory-mapped on load so a large corpus is tokenized once.
 *
 * The file name is "hrkd-<16 hex>-<split>.tok", the hex a 64-bit FNV-1a hash of the key:
 * every option that changes the rows or their tokens (format, path, split, vocab path,
 * max_seq_len, seed, lowercase, domains, dev_as_test). The key text itself is stored in the
 * header and compared on load, so a hash collision or another option makes the loader
 * rebuild. Beside it the header holds the identity of the inputs: size, modification time and
 * a 64-bit FNV-1a hash of the contents of the vocab and of every data file (path itself, or
 * the .tsv, .jsonl and .review files in the folder path and its subfolders); when the data or
 * the vocab changed, even to the same size and time, the loader says so and rebuilds.
 *
 * Layout (little-endian, native int32; every array 8-byte aligned):
 *   char[8] "HRKDTOK2"; u32 key_len; key bytes; u32 id_len; identity bytes; u32 len; the
 *   split rule (hrkd_dataset.splits); pad to 8
 *   i32 D, L, vocab_size, T
 *   D × (u32 len, bytes) domain names; L × (u32 len, bytes) label names; pad to 8
 *   D × i64 n
 *   D × block: ids[n·T] segment[n·T] mask[n·T] labels[n] length[n], each block padded to 8 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "text/text_internal.h"

#define CACHE_MAGIC "HRKDTOK2"

/* A new field in hrkd_data_options stops the build here: add it to cache_key() when it changes
 * the rows or their tokens (few_shot_ratio and _seed, train_windows, max_line_bytes and cache_dir do not:
 * they apply after the cache or only refuse input), then update the size. */
_Static_assert(sizeof(hrkd_data_options) == 144, "a new [data] option: does the token cache key need it?");

static char *cache_key(const hrkd_data_options *opt, int split)
{
    char *rp = realpath(opt->path, NULL), *rv = realpath(opt->vocab, NULL);
    const char *doms = opt->domains ? opt->domains : "";
    const char *cols = opt->columns ? opt->columns : "", *ddom = opt->default_domain ? opt->default_domain : "",
               *labs = opt->labels ? opt->labels : "";
    size_t n = strlen(opt->format) + strlen(rp ? rp : opt->path) + strlen(rv ? rv : opt->vocab) + strlen(doms) +
               strlen(cols) + strlen(ddom) + strlen(labs) + 160;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s|%s|%s|%s|%d|%llu|%d|%s|%d|%s|%s|%s", opt->format, rp ? rp : opt->path,
                 hrkd_data_split_name(split), rv ? rv : opt->vocab, opt->max_seq_len, (unsigned long long)opt->seed,
                 opt->lowercase, doms, opt->dev_as_test, cols, ddom, labs);
    free(rp);
    free(rv);
    return k;
}

/* ---- the identity of the inputs --------------------------------------------------------- */

typedef struct sbuf { char *s; size_t n, cap; int ok; } sbuf;

static void sbuf_printf(sbuf *b, const char *fmt, ...) HRKD_PRINTF(2, 3);
static void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    if (!b->ok) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || b->n + (size_t)k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (k >= 0 && cap < b->n + (size_t)k + 1) cap *= 2;
        char *ns = k < 0 ? NULL : realloc(b->s, cap);
        if (!ns) { b->ok = 0; return; }
        b->s = ns;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* "name:size:mtime:hash;" of one file (nothing when it cannot be read: the readers report it) */
static void add_file(sbuf *b, const char *path, const char *name)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    uint64_t h = 1469598103934665603ull;
    enum { CHUNK = 1 << 16 };
    unsigned char *buf = malloc(CHUNK);
    size_t got;
    while (buf && (got = fread(buf, 1, CHUNK, f)) > 0)
        for (size_t i = 0; i < got; i++) h = (h ^ buf[i]) * 1099511628211ull;
    int bad = !buf || ferror(f);
    free(buf);
    fclose(f);
    sbuf_printf(b, "%s:%lld:%lld.%09ld:%016llx%s;", name, (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
                (long)sb.st_mtim.tv_nsec, (unsigned long long)h, bad ? ":unreadable" : "");
}

static int is_data_name(const char *n)
{
    size_t k = strlen(n);
    if (!k || n[0] == '.') return 0;
    return (k > 4 && !strcmp(n + k - 4, ".tsv")) || (k > 6 && !strcmp(n + k - 6, ".jsonl")) ||
           (k > 7 && !strcmp(n + k - 7, ".review"));
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* the data files of dir (rel: their names relative to the data path), depth levels down */
static void add_dir(sbuf *b, const char *dir, const char *rel, int depth)
{
    DIR *dh = opendir(dir);
    if (!dh) return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) { b->ok = 0; break; }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) { b->ok = 0; break; }
        n++;
    }
    closedir(dh);
    if (n > 1) qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        size_t pl = strlen(dir) + strlen(names[i]) + 2, rl = strlen(rel) + strlen(names[i]) + 2;
        char *p = malloc(pl), *r = malloc(rl);
        if (p && r) {
            snprintf(p, pl, "%s/%s", dir, names[i]);
            snprintf(r, rl, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
            struct stat sb;
            if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && depth > 0) add_dir(b, p, r, depth - 1);
            else if (is_data_name(names[i])) add_file(b, p, r);
        } else b->ok = 0;
        free(p);
        free(r);
        free(names[i]);
    }
    free(names);
}

/* identity of vocab and data (malloc'd; NULL when out of memory) */
static char *cache_identity(const hrkd_data_options *opt)
{
    sbuf b = {NULL, 0, 0, 1};
    add_file(&b, opt->vocab, "vocab");
    sbuf_printf(&b, "|");
    struct stat sb;
    if (stat(opt->path, &sb) == 0 && S_ISDIR(sb.st_mode)) add_dir(&b, opt->path, "", 1);
    else add_file(&b, opt->path, "data");
    sbuf_printf(&b, "|");
    if (!b.ok) { free(b.s); return NULL; }
    return b.s;
}

static char *cache_file(const hrkd_data_options *opt, int split, const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    size_t n = strlen(opt->cache_dir) + 64;
    char *f = malloc(n);
    if (f) snprintf(f, n, "%s/hrkd-%016llx-%s.tok", opt->cache_dir, (unsigned long long)h, hrkd_data_split_name(split));
    return f;
}

static size_t pad8(size_t x) { return (x + 7) & ~(size_t)7; }

/* bounds-checked reads from the mapping */
typedef struct cur { const unsigned char *base; size_t len, at; int ok; } cur;

static const void *take(cur *c, size_t n)
{
    if (!c->ok || n > c->len - c->at) { c->ok = 0; return NULL; }
    const void *p = c->base + c->at;
    c->at += n;
    return p;
}

static uint32_t take_u32(cur *c)
{
    const void *p = take(c, 4);
    uint32_t v = 0;
    if (p) memcpy(&v, p, 4);
    return v;
}

static char *take_str(cur *c)
{
    uint32_t n = take_u32(c);
    const char *p = take(c, n);
    return p ? strndup(p, n) : NULL;
}

/* parse one mapped split file into ds (names only when names is set); 0 when malformed or of
 * other options, -1 when the data or the vocab changed since it was written */
static int parse_split(cur *c, const char *key, const char *id, int split, hrkd_dataset *ds, int names)
{
    const char *m = take(c, 8);
    if (!m || memcmp(m, CACHE_MAGIC, 8)) return 0;
    uint32_t kl = take_u32(c);
    const char *k = take(c, kl);
    if (!k || kl != strlen(key) || memcmp(k, key, kl)) return 0;
    uint32_t il = take_u32(c);
    const char *i = take(c, il);
    if (!i) return 0;
    if (il != strlen(id) || memcmp(i, id, il)) return -1;
    uint32_t sl = take_u32(c);
    const char *sr = take(c, sl);
    if (!sr) return 0;
    if (names) snprintf(ds->splits, sizeof ds->splits, "%.*s", (int)sl, sr);
    c->at = pad8(c->at);
    int32_t hdr[4];
    for (int i = 0; i < 4; i++) hdr[i] = (int32_t)take_u32(c);
    if (!c->ok || hdr[0] < 0 || hdr[0] > 100000 || hdr[1] < 0 || hdr[1] > 100000 || hdr[3] < 1) return 0;
    if (names) {
        ds->D = hdr[0];
        ds->num_labels = hdr[1];
        ds->vocab_size = hdr[2];
        ds->domain_names = calloc((size_t)ds->D + 1, sizeof *ds->domain_names);
        ds->label_names = calloc((size_t)ds->num_labels + 1, sizeof *ds->label_names);
        ds->split = calloc((size_t)ds->D * 3 + 1, sizeof *ds->split);
        if (!ds->domain_names || !ds->label_names || !ds->split) return 0;
        for (int d = 0; d < ds->D; d++) if (!(ds->domain_names[d] = take_str(c))) return 0;
        for (int l = 0; l < ds->num_labels; l++) if (!(ds->label_names[l] = take_str(c))) return 0;
    } else {
        if (hdr[0] != ds->D || hdr[1] != ds->num_labels) return 0;
        for (int i = 0; i < hdr[0] + hdr[1]; i++) { uint32_t n = take_u32(c); take(c, n); }
    }
    c->at = pad8(c->at);
    const int64_t *ns = take(c, (size_t)ds->D * 8);
    if (!ns) return 0;
    int64_t T = hdr[3];
    for (int d = 0; d < ds->D; d++) {
        int64_t n;
        memcpy(&n, &ns[d], 8);
        if (n < 0 || n > (int64_t)(c->len / 4) || (n && T > (int64_t)(c->len / 4) / n)) return 0;
        size_t cells = (size_t)(n * T * 3 + n * 2);
        int32_t *b = (int32_t *)take(c, cells * 4);
        if (!b) return 0;
        c->at = pad8(c->at);
        hrkd_data_split *sp = &ds->split[d * 3 + split];
        sp->n = n;
        sp->T = T;
        sp->ids = b;
        sp->segment = b + n * T;
        sp->mask = b + 2 * n * T;
        sp->labels = b + 3 * n * T;
        sp->length = b + 3 * n * T + n;
        for (int64_t i = 0; i < n; i++)
            if (sp->labels[i] < 0 || sp->labels[i] >= ds->num_labels) return 0;
    }
    return c->ok;
}

hrkd_status hrkd_cache_load(const hrkd_data_options *opt, hrkd_dataset *ds, hrkd_error *err)
{
    hrkd_dataset_priv *pv = ds->priv;
    pv->map = calloc(3, sizeof *pv->map);
    pv->map_len = calloc(3, sizeof *pv->map_len);
    if (!pv->map || !pv->map_len) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    int ok = 1;
    char *id = cache_identity(opt);
    if (!id) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    for (int s = 0; s < 3 && ok > 0; s++) {
        char *key = cache_key(opt, s);
        char *file = key ? cache_file(opt, s, key) : NULL;
        int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : -1;
        struct stat sb;
        ok = fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 0;
        void *m = ok ? mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) : MAP_FAILED;
        if (fd >= 0) close(fd);
        if (m == MAP_FAILED) ok = 0;
        if (ok) {
            /* every split's arrays point into its mapping (copy-on-write: callers may write) */
            pv->map[pv->n_maps] = m;
            pv->map_len[pv->n_maps++] = (size_t)sb.st_size;
            cur c = {m, (size_t)sb.st_size, 0, 1};
            ok = parse_split(&c, key, id, s, ds, s == 0);
            if (ok < 0) hrkd_log(HRKD_LOG_INFO, "token cache %s: the data changed, rebuilding", file);
            else if (!ok) hrkd_log(HRKD_LOG_INFO, "token cache %s: stale or malformed, rebuilding", file);
        }
        free(key);
        free(file);
    }
    free(id);
    if (ok > 0) return HRKD_STATUS_OK;
    /* undo: the caller starts over from the readers */
    if (ds->domain_names) for (int d = 0; d < ds->D; d++) free(ds->domain_names[d]);
    if (ds->label_names) for (int l = 0; l < ds->num_labels; l++) free(ds->label_names[l]);
    free(ds->domain_names);
    free(ds->label_names);
    free(ds->split);
    ds->domain_names = ds->label_names = NULL;
    ds->split = NULL;
    ds->D = ds->num_labels = 0;
    for (int i = 0; i < pv->n_maps; i++) munmap(pv->map[i], pv->map_len[i]);
    free(pv->map);
    free(pv->map_len);
    pv->map = NULL;
    pv->map_len = NULL;
    pv->n_maps = 0;
    return HRKD_STATUS_NOT_FOUND;
}

static int put(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n; }

static int put_pad(FILE *f)
{
    static const char zero[8] = {0};
    long at = ftell(f);
    return at >= 0 && put(f, zero, pad8((size_t)at) - (size_t)at);
}

static int put_str(FILE *f, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    return put(f, &n, 4) && put(f, s, n);
}

hrkd_status hrkd_cache_save(const hrkd_data_options *opt, const hrkd_dataset *ds, hrkd_error *err)
{
    if (mkdir(opt->cache_dir, 0777) != 0 && errno != EEXIST)
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create the token cache folder (%s)", opt->cache_dir, strerror(errno));
    hrkd_status st = HRKD_STATUS_OK;
    char *id = cache_identity(opt);
    if (!id) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    uint32_t il = (uint32_t)strlen(id), sl = (uint32_t)strlen(ds->splits);
    for (int s = 0; s < 3 && !st; s++) {
        char *key = cache_key(opt, s);
        char *file = key ? cache_file(opt, s, key) : NULL;
        size_t tl = file ? strlen(file) + 32 : 0;
        char *tmp = file ? malloc(tl) : NULL;
        if (!tmp) { free(key); free(file); free(id); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); }
        snprintf(tmp, tl, "%s.tmp%ld", file, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        int ok = f != NULL;
        uint32_t kl = (uint32_t)strlen(key);
        int32_t hdr[4] = {ds->D, ds->num_labels, ds->vocab_size, ds->D ? (int32_t)ds->split[0].T : opt->max_seq_len};
        ok = ok && put(f, CACHE_MAGIC, 8) && put(f, &kl, 4) && put(f, key, kl) && put(f, &il, 4) && put(f, id, il) &&
             put(f, &sl, 4) && put(f, ds->splits, sl) && put_pad(f) && put(f, hdr, sizeof hdr);
        for (int d = 0; ok && d < ds->D; d++) ok = put_str(f, ds->domain_names[d]);
        for (int l = 0; ok && l < ds->num_labels; l++) ok = put_str(f, ds->label_names[l]);
        ok = ok && put_pad(f);
        for (int d = 0; ok && d < ds->D; d++) ok = put(f, &ds->split[d * 3 + s].n, 8);
        for (int d = 0; ok && d < ds->D; d++) {
            const hrkd_data_split *sp = &ds->split[d * 3 + s];
            size_t nt = (size_t)(sp->n * sp->T) * 4, nn = (size_t)sp->n * 4;
            ok = put(f, sp->ids, nt) && put(f, sp->segment, nt) && put(f, sp->mask, nt) && put(f, sp->labels, nn) &&
                 put(f, sp->length, nn) && put_pad(f);
        }
        if (f && fclose(f) != 0) ok = 0;
        if (!ok || rename(tmp, file) != 0) {
            st = hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot write the token cache (%s)", tmp, strerror(errno));
            unlink(tmp);
        }
        free(key);
        free(file);
        free(tmp);
    }
    free(id);
    return st;
}
