/* tests/test_run_paths.c — paths are printed clean. An INI in ini/ naming ../results/t.h5 and
 * a not yet existing ../export/x/../y: the effective configuration (hrkd check --print), the
 * run file's /config and the start-up line say TMP/results/t.h5 and TMP/export/y, never "/../".
 * A run stopped midway whose /config is rewritten as an older hrkd wrote it (TMP/ini/../results,
 * TMP/ini/../export/x/../y) still resumes: --resume treats the two spellings as one place. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/test.h"
#include "store/store.h"

static char tmp[256];

static int sh(const char *fmt, const char *arg)
{
    char cmd[1024], full[1200];
    snprintf(cmd, sizeof cmd, fmt, test_build_dir(), arg);
    snprintf(full, sizeof full, "%s > %s/log 2>&1", cmd, tmp);
    int rc = system(full);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *log_text(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/log", tmp);
    return test_slurp(path);
}

/* every occurrence of from in s replaced by to (malloc'd) */
static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t n = 0, lf = strlen(from), lt = strlen(to);
    for (const char *p = strstr(s, from); p; p = strstr(p + lf, from)) n++;
    char *out = malloc(strlen(s) + n * (lt + 1) + 1), *o = out;
    for (const char *p = s;;) {
        const char *q = strstr(p, from);
        if (!q) { strcpy(o, p); break; }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, lt);
        o += lt;
        p = q + lf;
    }
    return out;
}

/* rewrite the run file's /config dataset as text */
static int set_config(const char *path, const char *text)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 0;
    int ok = H5Ldelete(f, "config", H5P_DEFAULT) >= 0;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(text) + 1);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t d = ok ? H5Dcreate2(f, "config", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) >= 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    H5Fclose(f);
    return ok;
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/hrkd_paths_XXXXXX");
    if (!mkdtemp(tmp)) test_skip("cannot create a temporary folder");
    char dir[300], ini[300], out[300], want_out[320], want_exp[320], old_out[320], old_exp[320];
    snprintf(dir, sizeof dir, "%s/ini", tmp);
    CHECK(mkdir(dir, 0777) == 0);
    snprintf(ini, sizeof ini, "%s/ini/t.ini", tmp);
    snprintf(out, sizeof out, "%s/results", tmp);
    CHECK(mkdir(out, 0777) == 0);
    snprintf(out, sizeof out, "%s/results/t.h5", tmp);
    snprintf(want_out, sizeof want_out, "file = %s/results/t.h5", tmp);
    snprintf(want_exp, sizeof want_exp, "cache_dir = %s/export/y", tmp);
    snprintf(old_out, sizeof old_out, "%s/ini/../results/t.h5", tmp);
    snprintf(old_exp, sizeof old_exp, "%s/ini/../export/x/../y", tmp);

    char *text = test_slurp("tests/ini/tiny_teacher.ini");
    CHECK(text != NULL);
    if (!text) return test_finish("test_run_paths");
    FILE *f = fopen(ini, "w");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        fprintf(f, "%s\n", line);
        if (!strcmp(line, "[output]")) fprintf(f, "file = ../results/./t.h5\n");
        if (!strcmp(line, "[data]")) fprintf(f, "cache_dir = ..//export/x/../y/\n");
    }
    fclose(f);
    free(text);

    /* the effective configuration */
    CHECK(sh("%s/bin/hrkd check --print %s", ini) == 0);
    char *log = log_text();
    CHECKF(log && strstr(log, want_out) && strstr(log, want_exp) && !strstr(log, "/../") && !strstr(log, "/./"),
           "check --print:\n%s", log ? log : "");
    free(log);

    /* a run stopped after step 5: its /config and messages are clean */
    sh("%s/bin/hrkd run %s --kill-after-step 5", ini);
    log = log_text();
    CHECKF(log && strstr(log, out) && !strstr(log, "/../"), "run output:\n%s", log ? log : "");
    free(log);
    hrkd_error err = {0};
    hrkd_run *r = NULL;
    CHECKF(hrkd_run_open(out, &r, &err) == HRKD_STATUS_OK, "%s", err.msg);
    char *config = r ? strdup(hrkd_run_ini_text(r)) : NULL;
    hrkd_run_free(r);
    CHECKF(config && strstr(config, want_out) && strstr(config, want_exp) && !strstr(config, "/../"),
           "/config:\n%s", config ? config : "");

    /* written as an older hrkd did (paths joined, not normalised): --resume still continues */
    if (config) {
        char a[330], b[330];
        snprintf(a, sizeof a, "%s/results/t.h5", tmp);
        snprintf(b, sizeof b, "%s/export/y", tmp);
        char *c1 = replace_all(config, a, old_out);
        char *c2 = replace_all(c1, b, old_exp);
        CHECK(strstr(c2, old_out) && strstr(c2, old_exp));
        CHECK(set_config(out, c2));
        free(c1);
        free(c2);
    }
    free(config);
    int rc = sh("%s/bin/hrkd run %s --resume", ini);
    log = log_text();
    CHECKF(rc == 0 && log && strstr(log, "resumed at step "), "resume of an older spelling: exit %d\n%s", rc,
           log ? log : "");
    free(log);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", tmp);
    return test_finish("test_run_paths");
}
