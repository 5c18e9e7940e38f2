/* host/text/cache.c — the token cache: the tokenized splits of a text dataset, one file per
 * split, memory-mapped on load so a large corpus is tokenized once.
 *
 * The file name is "hrkd-<16 hex>-<split>.tok", the hex a 64-bit FNV-1a hash of the key
 * "format|path|split|vocab|vocab size|vocab mtime|max_seq_len|seed|lowercase"; the key text
 * itself is stored in the header and compared on load, so a hash collision or any change of
 * the key (a new vocab file, another max_seq_len) makes the loader rebuild.
 *
 * Layout (little-endian, native int32; every array 8-byte aligned):
 *   char[8] "HRKDTOK1"; u32 key_len; key bytes; pad to 8
 *   i32 D, L, vocab_size, T
 *   D × (u32 len, bytes) domain names; L × (u32 len, bytes) label names; pad to 8
 *   D × i64 n
 *   D × block: ids[n·T] segment[n·T] mask[n·T] labels[n] length[n], each block padded to 8 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/text_internal.h"

#define CACHE_MAGIC "HRKDTOK1"

static char *cache_key(const hrkd_data_options *opt, int split)
{
    struct stat sb;
    long long vsize = -1, vmtime = -1;
    if (stat(opt->vocab, &sb) == 0) {
        vsize = (long long)sb.st_size;
        vmtime = (long long)sb.st_mtim.tv_sec * 1000000000ll + sb.st_mtim.tv_nsec;
    }
    char *rp = realpath(opt->path, NULL), *rv = realpath(opt->vocab, NULL);
    size_t n = strlen(opt->format) + strlen(rp ? rp : opt->path) + strlen(rv ? rv : opt->vocab) + 160;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s|%s|%s|%s|%lld|%lld|%d|%llu|%d", opt->format, rp ? rp : opt->path, hrkd_data_split_name(split),
                 rv ? rv : opt->vocab, vsize, vmtime, opt->max_seq_len, (unsigned long long)opt->seed, opt->lowercase);
    free(rp);
    free(rv);
    return k;
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

/* parse one mapped split file into ds (names only when names is set); 0 when malformed */
static int parse_split(cur *c, const char *key, int split, hrkd_dataset *ds, int names)
{
    const char *m = take(c, 8);
    if (!m || memcmp(m, CACHE_MAGIC, 8)) return 0;
    uint32_t kl = take_u32(c);
    const char *k = take(c, kl);
    if (!k || kl != strlen(key) || memcmp(k, key, kl)) return 0;
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
    for (int s = 0; s < 3 && ok; s++) {
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
            ok = parse_split(&c, key, s, ds, s == 0);
            if (!ok) hrkd_log(HRKD_LOG_INFO, "token cache %s: stale or malformed, rebuilding", file);
        }
        free(key);
        free(file);
    }
    if (ok) return HRKD_STATUS_OK;
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
    for (int s = 0; s < 3 && !st; s++) {
        char *key = cache_key(opt, s);
        char *file = key ? cache_file(opt, s, key) : NULL;
        size_t tl = file ? strlen(file) + 32 : 0;
        char *tmp = file ? malloc(tl) : NULL;
        if (!tmp) { free(key); free(file); return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory"); }
        snprintf(tmp, tl, "%s.tmp%ld", file, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        int ok = f != NULL;
        uint32_t kl = (uint32_t)strlen(key);
        int32_t hdr[4] = {ds->D, ds->num_labels, ds->vocab_size, ds->D ? (int32_t)ds->split[0].T : opt->max_seq_len};
        ok = ok && put(f, CACHE_MAGIC, 8) && put(f, &kl, 4) && put(f, key, kl) && put_pad(f) && put(f, hdr, sizeof hdr);
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
    return st;
}
