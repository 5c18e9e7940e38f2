/* host/config/paths.c — paths written in INI files made into paths (paths.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mem.h"
#include "config/paths.h"

/* The folder part of a path including the trailing '/', or "" (so dir + name is a path). */
static char *cfg_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? cfg_strndup(path, (size_t)(slash - path + 1)) : cfg_strdup("");
}

char *cfg_join(const char *base_file, const char *rel)
{
    if (rel[0] == '/' || rel[0] == 0) return cfg_strdup(rel);
    char *dir = cfg_dirname(base_file);
    size_t n = strlen(dir) + strlen(rel) + 1;
    char *out = malloc(n);
    HRKD_ASSERT(out);
    snprintf(out, n, "%s%s", dir, rel);
    free(dir);
    return out;
}

/* An absolute path written lexically clean, in place: no "//", "/./" or "dir/.." (".." at the
 * root stays at the root), no trailing '/'. Symbolic links are not looked at. */
void cfg_normalize_abs(char *path)
{
    if (path[0] != '/') return;
    char *out = path; /* the clean path grows behind the reading position, never ahead of it */
    const char *in = path;
    size_t len = 0;
    while (*in) {
        while (*in == '/') in++;
        const char *end = in;
        while (*end && *end != '/') end++;
        size_t k = (size_t)(end - in);
        if (k == 0 || (k == 1 && in[0] == '.')) {
            /* nothing */
        } else if (k == 2 && in[0] == '.' && in[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--; /* the '/' before the dropped component */
        } else {
            out[len++] = '/';
            memmove(out + len, in, k);
            len += k;
        }
        in = end;
    }
    if (len == 0) out[len++] = '/';
    out[len] = 0;
}

/* For values: like cfg_join, but made absolute (against the working folder) and lexically
 * normalised, so that the effective configuration means the same wherever it is read again
 * and prints clean ("/home/u/results/x.h5", never "/home/u/ini/../results/x.h5"). */
char *cfg_join_abs(const char *base_file, const char *rel)
{
    char *joined = cfg_join(base_file, rel);
    if (joined[0] == 0) return joined;
    if (joined[0] == '/') {
        cfg_normalize_abs(joined);
        return joined;
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return joined;
    size_t n = strlen(cwd) + strlen(joined) + 2;
    char *out = malloc(n);
    HRKD_ASSERT(out);
    snprintf(out, n, "%s/%s", cwd, joined);
    free(joined);
    cfg_normalize_abs(out);
    return out;
}
