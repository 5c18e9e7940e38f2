/* tests/test_run_labels.c — label names travel with the models. A tiny teacher-then-student run
 * on synthetic data records the label names in both run files (root attribute label_names);
 * a student is refused (exit 2, before training, naming both lists) when the teacher's run file
 * numbers the labels in another order; a teacher file without the attribute (written before
 * label names were kept) still distils, with a note. The teacher file is edited with HDF5 to
 * play the foreign teacher and the old file. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/test.h"
#include "store/store.h"

static char tmp[256];

/* tests/ini/tiny_distill.ini writing to out, with [teacher] checkpoint = teacher when given */
static void write_ini(const char *ini, const char *out, const char *teacher)
{
    char *text = test_slurp("tests/ini/tiny_distill.ini");
    CHECK(text != NULL);
    if (!text) return;
    FILE *f = fopen(ini, "w");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        fprintf(f, "%s\n", line);
        if (!strcmp(line, "[output]")) fprintf(f, "file = %s\n", out);
        if (!strcmp(line, "[teacher]") && teacher) fprintf(f, "checkpoint = %s\n", teacher);
    }
    fclose(f);
    free(text);
}

/* hrkd run INI; returns the exit status, the output in tmp/log */
static int run(const char *ini)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/bin/hrkd run %s > %s/log 2>&1", test_build_dir(), ini, tmp);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int log_has(const char *what)
{
    char path[300];
    snprintf(path, sizeof path, "%s/log", tmp);
    char *text = test_slurp(path);
    int found = text && strstr(text, what) != NULL;
    if (!found) fprintf(stderr, "expected in the output: %s\n--- output:\n%s---\n", what, text ? text : "");
    free(text);
    return found;
}

/* the label names recorded in a run file, joined with ","; "" when none */
static void labels_of(const char *path, char *buf, size_t cap)
{
    hrkd_error err = {0};
    hrkd_run *r = NULL;
    buf[0] = 0;
    if (hrkd_run_open(path, &r, &err) != HRKD_STATUS_OK) {
        snprintf(buf, cap, "(error: %s)", err.msg);
        return;
    }
    hrkd_run_view v;
    hrkd_run_get_view(r, &v);
    for (int l = 0; l < v.n_labels; l++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", l ? "," : "", v.label_names[l]);
    hrkd_run_free(r);
}

/* replace the root attribute label_names (n = 0: delete it) */
static int set_labels(const char *path, const char *const *names, int n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 0;
    int ok = H5Adelete(f, "label_names") >= 0;
    if (ok && n > 0) {
        char buf[4][16] = {{0}};
        for (int i = 0; i < n; i++) snprintf(buf[i], sizeof buf[i], "%s", names[i]);
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, sizeof buf[0]);
        H5Tset_cset(t, H5T_CSET_UTF8); /* as hrkd writes its strings */
        hsize_t dim = (hsize_t)n;
        hid_t sp = H5Screate_simple(1, &dim, NULL);
        hid_t a = H5Acreate2(f, "label_names", t, sp, H5P_DEFAULT, H5P_DEFAULT);
        ok = a >= 0 && H5Awrite(a, t, buf) >= 0;
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(t);
    }
    H5Fclose(f);
    return ok;
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/hrkd_labels_XXXXXX");
    if (!mkdtemp(tmp)) test_skip("cannot create a temporary folder");
    char ini[300], out[300], teacher[300], ini2[300], out2[300], got[512];
    snprintf(ini, sizeof ini, "%s/d.ini", tmp);
    snprintf(out, sizeof out, "%s/d.h5", tmp);
    snprintf(teacher, sizeof teacher, "%s/d_teacher.h5", tmp);
    snprintf(ini2, sizeof ini2, "%s/s.ini", tmp);
    snprintf(out2, sizeof out2, "%s/s.h5", tmp);

    /* 1. both run files carry the data's label names (synthetic, 2 labels) */
    write_ini(ini, out, NULL);
    int rc = run(ini);
    CHECKF(rc == 0, "teacher and student run: exit %d", rc);
    labels_of(teacher, got, sizeof got);
    CHECKF(!strcmp(got, "negative,positive"), "teacher run file labels: '%s'", got);
    labels_of(out, got, sizeof got);
    CHECKF(!strcmp(got, "negative,positive"), "student run file labels: '%s'", got);
    CHECK(log_has("(labels: negative, positive)"));

    /* 2. a teacher that numbered the labels the other way round: refused before training */
    const char *reversed[2] = {"positive", "negative"};
    CHECK(set_labels(teacher, reversed, 2));
    write_ini(ini2, out2, teacher);
    rc = run(ini2);
    CHECKF(rc == 2, "distilling from a teacher with other label order: exit %d (want 2)", rc);
    CHECK(log_has("labels (positive, negative), the data has labels (negative, positive)"));
    CHECK(log_has(teacher));
    CHECK(access(out2, F_OK) != 0); /* no run file: nothing was trained */

    /* 3. a teacher file without label names (older files): distils, with a note */
    CHECK(set_labels(teacher, NULL, 0));
    labels_of(teacher, got, sizeof got);
    CHECKF(!strcmp(got, ""), "teacher labels after removing the attribute: '%s'", got);
    rc = run(ini2);
    CHECKF(rc == 0, "distilling from a teacher file without label names: exit %d", rc);
    CHECK(log_has("records no label names"));
    labels_of(out2, got, sizeof got);
    CHECKF(!strcmp(got, "negative,positive"), "the student still records the data's labels: '%s'", got);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", tmp);
    return test_finish("test_run_labels");
}
