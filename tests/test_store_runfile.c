/* tests/test_store_runfile.c — the HDF5 run file: write → read round trip (parameters and
 * AdamW moments byte-identical, state, log shapes and values, logs after the checkpoint
 * dropped on resume), checkpoint groups carried across rewrites, SIGKILL during checkpoints
 * leaves a readable file whose checkpoint is complete and self-consistent, truncated and
 * corrupted files refused with a message (never a crash), and `hrkd inspect` output.
 *
 * `test_store_runfile --write-sample PATH` only writes a small run file (tests/t_store_h5py.sh
 * reads it with h5py); `--write-empty PATH` one without checkpoints (the fuzzing seed). */
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/backend.h"
#include "common/test.h"
#include "store/store.h"

static const char *const g_domains[3] = {"books", "dvd", "kitchen"};
static const char *const g_terms[4] = {"embedding", "layer", "pred", "total"};
static const int g_map[3] = {0, 2, 4};
static const char *g_ini = "[run]\nseed = 7\n[student]\nlayers = 2\n";
static char g_dir[64] = "/tmp/hrkd_test_store_XXXXXX"; /* private folder: parallel runs don't collide */

static const char *tmp_path(const char *name)
{
    static char buf[8][128];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", g_dir, name);
    return b;
}

static hrkd_run_meta test_meta(void)
{
    hrkd_run_meta m = {0};
    m.ini_text = g_ini;
    m.backend = "cpu";
    m.threads = 1;
    m.seed = 7;
    m.n_domains = 3;
    m.domains = g_domains;
    m.student_layers = 2;
    m.teacher_layers = 4;
    m.layer_map = g_map;
    m.n_loss_terms = 4;
    m.loss_terms = g_terms;
    return m;
}

static hrkd_params *make_store(hrkd_backend *be, const char *name, int64_t big, uint64_t seed)
{
    hrkd_error err = {0};
    hrkd_params *p = hrkd_params_create(be, name);
    int64_t s0[2] = {4, 3}, s1[1] = {3}, s2[3] = {2, 2, 2}, s3[1] = {big};
    hrkd_params_add(p, "embeddings.word_embeddings.weight", 2, s0, 0);
    hrkd_params_add(p, "encoder.layer.0.output.dense.bias", 1, s1, HRKD_PARAM_NO_DECAY);
    hrkd_params_add(p, "x.y", 3, s2, 0);
    if (big > 0) hrkd_params_add(p, "big", 1, s3, 0);
    if (hrkd_params_alloc(p, 1, 1, &err) != HRKD_STATUS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    for (int i = 0; i < hrkd_params_count(p); i++) hrkd_params_init_normal(p, i, 0.0f, 1.0f, seed);
    /* non-zero moments */
    const hrkd_kernels *k = hrkd_backend_kernels(be);
    int64_t n = hrkd_params_numel(p);
    float *h = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) h[i] = (float)((i * 2654435761u + seed) % 1000) * 1e-3f;
    k->copy_h2d(hrkd_params_m(p), h, (size_t)n * 4);
    for (int64_t i = 0; i < n; i++) h[i] = h[i] * h[i] + 1e-7f;
    k->copy_h2d(hrkd_params_v(p), h, (size_t)n * 4);
    free(h);
    return p;
}

static float *dump(hrkd_params *p, float *(*which)(hrkd_params *))
{
    int64_t n = hrkd_params_numel(p);
    float *h = malloc((size_t)n * 4);
    hrkd_backend_kernels(hrkd_params_backend(p))->copy_d2h(h, which(p), (size_t)n * 4);
    return h;
}

static void log_steps(hrkd_run *run, int64_t from, int64_t to)
{
    hrkd_error err = {0};
    for (int64_t s = from; s < to; s++) {
        float dom[3 * 3], h0[3], h1[6], h2[9], loss[12];
        for (int i = 0; i < 9; i++) dom[i] = (float)s + 0.01f * (float)i;
        for (int i = 0; i < 3; i++) h0[i] = 1.0f;
        for (int i = 0; i < 6; i++) h1[i] = 0.5f + (float)s;
        for (int i = 0; i < 9; i++) h2[i] = (float)i / 9.0f + (float)s;
        for (int i = 0; i < 12; i++) loss[i] = 1.0f / (float)(s + 1) + (float)i;
        const float *hier[3] = {h0, h1, h2};
        CHECK(hrkd_run_append_ratios(run, s, dom, hier, &err) == HRKD_STATUS_OK);
        CHECK(hrkd_run_append_losses(run, s, loss, &err) == HRKD_STATUS_OK);
        if (s % 5 == 4) {
            double acc[3] = {0.5 + 0.01 * (double)s, 0.6, 0.7 - 0.001 * (double)s};
            CHECK(hrkd_run_append_metrics(run, "dev", s + 1, acc, &err) == HRKD_STATUS_OK);
        }
    }
}

static hrkd_run_state test_state(int64_t step)
{
    hrkd_run_state st = {0};
    st.step = step;
    st.epoch = 2;
    st.rng_seed = 7;
    st.rng_counter = 123456789012345ull;
    st.n_loader = 3;
    st.loader[0] = 5;
    st.loader[1] = 7;
    st.loader[2] = -1;
    st.n_best = 2;
    st.best[0] = 0.875;
    st.best[1] = 0.5;
    return st;
}

/* ---- SIGKILL during checkpoints ---------------------------------------------------------- */
/* The child checkpoints forever, parameter values = checkpoint number; the parent kills it at
 * random moments. Every surviving file must open, and its checkpoint must be one consistent
 * version: every value equals state/step. Runs before anything in the parent touches the
 * backend or HDF5 (fork safety). */
static void child_loop(const char *path, int notify_fd)
{
    hrkd_error err = {0};
    hrkd_backend *be;
    if (hrkd_backend_load("cpu", 1, &be, &err) != HRKD_STATUS_OK) _exit(3);
    hrkd_params *p = make_store(be, "student", 1 << 20, 1);
    hrkd_run *run;
    hrkd_run_meta meta = test_meta();
    hrkd_run_state st = {0};
    if (access(path, F_OK) == 0) {
        if (hrkd_run_open(path, &run, &err) != HRKD_STATUS_OK) _exit(4);
        if (hrkd_run_load_checkpoint(run, "checkpoint", &p, 1, &st, &err) != HRKD_STATUS_OK) _exit(5);
    } else if (hrkd_run_create(path, &meta, &run, &err) != HRKD_STATUS_OK) {
        _exit(6);
    }
    for (int64_t k = st.step + 1;; k++) {
        for (int i = 0; i < hrkd_params_count(p); i++) hrkd_params_init_const(p, i, (float)k);
        log_steps(run, k * 3, k * 3 + 3);
        st = test_state(k);
        if (hrkd_run_checkpoint(run, "checkpoint", &p, 1, &st, &err) != HRKD_STATUS_OK) _exit(7);
        if (notify_fd >= 0) {
            char c = 1;
            if (write(notify_fd, &c, 1) != 1) _exit(8);
            close(notify_fd);
            notify_fd = -1;
        }
    }
}

static int64_t verify_killed_file(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECKF(f >= 0, "%s does not open after SIGKILL", path);
    if (f < 0) return -1;
    int64_t step = -1;
    hid_t d = H5Dopen2(f, "checkpoint/state/step", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &step) >= 0);
    if (d >= 0) H5Dclose(d);
    static float buf[1 << 20];
    static const char *names[2] = {"checkpoint/student/big", "checkpoint/student/x.y"};
    for (int k = 0; k < 2; k++) {
        d = H5Dopen2(f, names[k], H5P_DEFAULT);
        CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
        if (d >= 0) H5Dclose(d);
        int n = k == 0 ? 1 << 20 : 8, bad = 0;
        for (int i = 0; i < n; i++) bad += buf[i] != (float)step;
        CHECKF(bad == 0, "%s: %d values differ from checkpoint step %lld", names[k], bad, (long long)step);
    }
    H5Fclose(f);
    return step;
}

static void test_sigkill(void)
{
    const char *path = tmp_path("kill.h5");
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(path);
    unlink(tmp);
    srand((unsigned)time(NULL));
    int mid_write = 0, rounds = 6;
    int64_t last = 0;
    for (int r = 0; r < rounds; r++) {
        int fds[2];
        if (pipe(fds) != 0) return;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            child_loop(path, fds[1]);
            _exit(0);
        }
        close(fds[1]);
        char c;
        int got = (int)read(fds[0], &c, 1); /* first checkpoint of this round is on disk */
        close(fds[0]);
        CHECKF(got == 1, "child of round %d died before its first checkpoint", r);
        usleep((useconds_t)(1000 + rand() % 60000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "round %d: child exited by itself (status %d)", r,
               status);
        if (access(tmp, F_OK) == 0) mid_write++;
        int64_t step = verify_killed_file(path);
        CHECKF(step > last, "round %d: checkpoint step %lld did not advance past %lld", r, (long long)step,
               (long long)last);
        last = step;
    }
    printf("sigkill: %d rounds, %d killed while a new file was being written, last step %lld\n", rounds, mid_write,
           (long long)last);
    unlink(path);
    unlink(tmp);
}

/* ---- round trip ---------------------------------------------------------------------------- */
static void write_sample(const char *path, hrkd_backend *be, hrkd_params **out_store)
{
    hrkd_error err = {0};
    hrkd_run_meta meta = test_meta();
    hrkd_run *run;
    CHECKF(hrkd_run_create(path, &meta, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (!run) return;
    hrkd_params *p = make_store(be, "student", 0, 42);
    hrkd_params *q = make_store(be, "teacher", 0, 43);
    hrkd_params *both[2] = {p, q};
    log_steps(run, 0, 10);
    hrkd_run_state st = test_state(10);
    CHECKF(hrkd_run_checkpoint(run, "checkpoint", both, 2, &st, &err) == HRKD_STATUS_OK, "%s", err.msg);
    log_steps(run, 10, 13);
    CHECKF(hrkd_run_checkpoint(run, "best", &p, 1, NULL, &err) == HRKD_STATUS_OK, "%s", err.msg);
    CHECKF(hrkd_run_close(run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hrkd_params_destroy(q);
    if (out_store) *out_store = p;
    else hrkd_params_destroy(p);
}

static void test_roundtrip(hrkd_backend *be)
{
    const char *path = tmp_path("run.h5");
    hrkd_error err = {0};
    hrkd_params *p = NULL;
    write_sample(path, be, &p);
    if (!p) return;

    /* raw layout as h5py users see it */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    static const struct { const char *name; int rank; hsize_t d0, d1, d2; } shapes[] = {
        {"ratios/domain", 3, 13, 3, 3},           {"ratios/step", 1, 13, 0, 0},
        {"ratios/hierarchical/layer_0", 3, 13, 3, 1}, {"ratios/hierarchical/layer_2", 3, 13, 3, 3},
        {"losses/values", 3, 13, 4, 3},           {"metrics/dev/books", 2, 2, 1, 0},
        {"checkpoint/student/x.y", 3, 2, 2, 2},   {"checkpoint/student/adam_v/x.y", 3, 2, 2, 2},
        {"checkpoint/teacher/embeddings.word_embeddings.weight", 2, 4, 3, 0},
        {"best/student/encoder.layer.0.output.dense.bias", 1, 3, 0, 0},
    };
    for (size_t k = 0; f >= 0 && k < sizeof shapes / sizeof shapes[0]; k++) {
        hid_t d = H5Dopen2(f, shapes[k].name, H5P_DEFAULT);
        CHECKF(d >= 0, "%s missing", shapes[k].name);
        if (d < 0) continue;
        hid_t sp = H5Dget_space(d);
        hsize_t dims[3] = {0, 0, 0};
        int r = H5Sget_simple_extent_dims(sp, dims, NULL);
        CHECKF(r == shapes[k].rank && dims[0] == shapes[k].d0 && (r < 2 || dims[1] == shapes[k].d1) &&
                   (r < 3 || dims[2] == shapes[k].d2),
               "%s: rank %d dims %llu %llu %llu", shapes[k].name, r, (unsigned long long)dims[0],
               (unsigned long long)dims[1], (unsigned long long)dims[2]);
        H5Sclose(sp);
        H5Dclose(d);
    }
    CHECK(f >= 0 && H5Lexists(f, "best", H5P_DEFAULT) > 0);
    if (f >= 0) H5Fclose(f);

    /* resume: logs after the checkpoint (steps 10..12) are dropped, params and moments exact */
    hrkd_run *run;
    CHECKF(hrkd_run_open(path, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (!run) return;
    CHECK(strcmp(hrkd_run_ini_text(run), g_ini) == 0);
    CHECK(hrkd_run_n_ratio_rows(run) == 10 && hrkd_run_n_loss_rows(run) == 10);
    CHECK(hrkd_run_has_group(run, "checkpoint") && hrkd_run_has_group(run, "best"));
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    CHECK(v.D == 3 && v.M == 2 && v.N == 4 && v.T == 4 && v.K == 1 && v.layer_map[2] == 4 && v.seed == 7);
    CHECK(strcmp(v.domains[2], "kitchen") == 0 && strcmp(v.loss_terms[3], "total") == 0);
    CHECK(strcmp(v.metric_names[0], "accuracy") == 0 && strcmp(v.backend, "cpu") == 0);
    CHECK(v.ratio_step[9] == 9 && v.ratio_domain[9 * 9 + 4] == 9.0f + 0.04f);
    CHECK(v.n_split == 1 && v.split_rows[0] == 2 && v.split_step[0][1] == 10 && v.split_vals[0][3 + 2] == 0.7 - 0.009);
    CHECK(v.ckpt_step == 10);

    hrkd_params *p2 = make_store(be, "student", 0, 99);
    hrkd_params *q2 = make_store(be, "teacher", 0, 98);
    hrkd_params *both[2] = {p2, q2};
    hrkd_run_state st;
    CHECKF(hrkd_run_load_checkpoint(run, "checkpoint", both, 2, &st, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hrkd_run_state want = test_state(10);
    CHECK(st.step == 10 && st.epoch == 2 && st.rng_seed == 7 && st.rng_counter == want.rng_counter);
    CHECK(st.n_loader == 3 && st.loader[2] == -1 && st.n_best == 2 && st.best[0] == 0.875);
    float *(*which[3])(hrkd_params *) = {hrkd_params_data, hrkd_params_m, hrkd_params_v};
    for (int w = 0; w < 3; w++) {
        float *a = dump(p, which[w]), *b = dump(p2, which[w]);
        for (int i = 0; i < hrkd_params_count(p); i++) { /* padding between parameters is not saved */
            const hrkd_param_info *pi = hrkd_params_info(p, i);
            CHECKF(memcmp(a + pi->offset, b + pi->offset, (size_t)pi->numel * 4) == 0, "buffer %d, %s differs after load",
                   w, pi->name);
        }
        free(a);
        free(b);
    }
    /* continue the run: the next checkpoint keeps /best and extends the logs */
    log_steps(run, 10, 12);
    hrkd_run_state st2 = test_state(12);
    CHECKF(hrkd_run_checkpoint(run, "checkpoint", both, 2, &st2, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hrkd_run_free(run);
    CHECKF(hrkd_run_open(path, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (run) {
        CHECK(hrkd_run_n_ratio_rows(run) == 12 && hrkd_run_has_group(run, "best"));
        /* a store the checkpoint does not have, and a shape mismatch, are refused by name */
        hrkd_params *other = make_store(be, "nobody", 0, 1);
        hrkd_error_clear(&err);
        CHECK(hrkd_run_load_checkpoint(run, "checkpoint", &other, 1, NULL, &err) == HRKD_STATUS_NOT_FOUND);
        CHECKF(strstr(err.msg, "checkpoint/nobody"), "%s", err.msg);
        hrkd_params_destroy(other);
        hrkd_params *big = make_store(be, "student", 5, 1); /* extra parameter "big" */
        hrkd_error_clear(&err);
        CHECK(hrkd_run_load_checkpoint(run, "checkpoint", &big, 1, NULL, &err) == HRKD_STATUS_NOT_FOUND);
        CHECKF(strstr(err.msg, "checkpoint/student/big"), "%s", err.msg);
        hrkd_params_destroy(big);
        hrkd_run_free(run);
    }
    hrkd_params_destroy(p2);
    hrkd_params_destroy(q2);
    hrkd_params_destroy(p);
}

/* ---- damaged files ---------------------------------------------------------------------------- */
static void test_damaged(hrkd_backend *be)
{
    const char *src = tmp_path("run.h5"), *bad = tmp_path("bad.h5");
    FILE *f = fopen(src, "rb");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len);
    CHECK(fread(buf, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    long cuts[] = {0, 7, 100, 512, 2048, len / 3, len / 2, len - 4096, len - 1};
    int refused = 0;
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        FILE *o = fopen(bad, "wb");
        fwrite(buf, 1, (size_t)cuts[k], o);
        fclose(o);
        hrkd_error err = {0};
        hrkd_run *run = NULL;
        hrkd_status st = hrkd_run_open(bad, &run, &err);
        if (st != HRKD_STATUS_OK) {
            refused++;
            CHECKF(strstr(err.msg, bad) == err.msg, "message must start with the file name: %s", err.msg);
        } else {
            hrkd_params *p = make_store(be, "student", 0, 1);
            hrkd_status s2 = hrkd_run_load_checkpoint(run, "checkpoint", &p, 1, NULL, &err);
            CHECKF(s2 != HRKD_STATUS_OK, "a %ld-byte truncation loaded a checkpoint", cuts[k]);
            hrkd_params_destroy(p);
            hrkd_run_free(run);
        }
    }
    CHECKF(refused >= 7, "only %d of 9 truncations refused at open", refused);
    /* flipped bytes: anything may happen except a crash */
    int opened = 0;
    for (long pos = 0; pos < len; pos += len / 97 + 1) {
        buf[pos] ^= 0x5A;
        FILE *o = fopen(bad, "wb");
        fwrite(buf, 1, (size_t)len, o);
        fclose(o);
        buf[pos] ^= 0x5A;
        hrkd_error err = {0};
        hrkd_run *run = NULL;
        if (hrkd_run_open(bad, &run, &err) == HRKD_STATUS_OK) {
            opened++;
            hrkd_params *p = make_store(be, "student", 0, 1);
            hrkd_run_load_checkpoint(run, "checkpoint", &p, 1, NULL, &err);
            hrkd_params_destroy(p);
            hrkd_run_free(run);
        } else {
            CHECK(err.msg[0] != '\0');
        }
    }
    printf("damaged: %d of 9 truncations refused at open; %d corrupted copies still opened\n", refused, opened);
    /* a file (found by fuzz_h5) on which libhdf5 1.10 itself reads freed memory: refused, no crash */
    {
        hrkd_error e2 = {0};
        hrkd_run *r2 = NULL;
        CHECK(hrkd_run_open("tests/fixtures/store/h5_libhdf5_crash.h5", &r2, &e2) != HRKD_STATUS_OK);
        CHECKF(strstr(e2.msg, "h5_libhdf5_crash.h5: "), "%s", e2.msg);
        printf("libhdf5 crash file: %s\n", e2.msg);
    }
    /* not HDF5 at all */
    FILE *o = fopen(bad, "wb");
    fputs("hello", o);
    fclose(o);
    hrkd_error err = {0};
    hrkd_run *run;
    CHECK(hrkd_run_open(bad, &run, &err) == HRKD_STATUS_INVALID);
    CHECKF(strstr(err.msg, "not an HDF5 file"), "%s", err.msg);
    free(buf);
    unlink(bad);
}

/* ---- snapshot: a best-model group without the AdamW moments --------------------------------- */
static void test_snapshot(hrkd_backend *be)
{
    const char *path = tmp_path("snap.h5");
    hrkd_error err = {0};
    hrkd_run_meta meta = test_meta();
    hrkd_run *run = NULL;
    CHECKF(hrkd_run_create(path, &meta, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (!run) return;
    hrkd_params *p = make_store(be, "student", 0, 42);
    hrkd_run_state st = test_state(3);
    CHECKF(hrkd_run_checkpoint(run, "checkpoint", &p, 1, &st, &err) == HRKD_STATUS_OK, "%s", err.msg);
    CHECKF(hrkd_run_snapshot(run, "best", &p, 1, &st, &err) == HRKD_STATUS_OK, "%s", err.msg);
    CHECKF(hrkd_run_close(run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f >= 0) {
        CHECK(H5Lexists(f, "best/student/x.y", H5P_DEFAULT) > 0);
        CHECK(H5Lexists(f, "best/student/adam_m", H5P_DEFAULT) == 0);
        CHECK(H5Lexists(f, "checkpoint/student/adam_m/x.y", H5P_DEFAULT) > 0);
        int64_t hm[2] = {-1, -1};
        const char *g[2] = {"best/student", "checkpoint/student"};
        for (int k = 0; k < 2; k++) {
            hid_t a = H5Aopen_by_name(f, g[k], "has_moments", H5P_DEFAULT, H5P_DEFAULT);
            if (a >= 0) H5Aread(a, H5T_NATIVE_INT64, &hm[k]);
            if (a >= 0) H5Aclose(a);
        }
        CHECKF(hm[0] == 0 && hm[1] == 1, "has_moments best %lld, checkpoint %lld", (long long)hm[0], (long long)hm[1]);
        H5Fclose(f);
    }
    /* loading the snapshot restores the values and leaves the store's moments as they were */
    hrkd_params *q = make_store(be, "student", 0, 99);
    const hrkd_kernels *k = hrkd_backend_kernels(be);
    float m_before, m_after, want[8], got[8];
    k->copy_d2h(&m_before, hrkd_params_m(q), sizeof m_before);
    hrkd_params_read(p, 2, want);
    CHECKF(hrkd_run_open(path, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (run) {
        CHECKF(hrkd_run_load_checkpoint(run, "best", &q, 1, NULL, &err) == HRKD_STATUS_OK, "%s", err.msg);
        hrkd_params_read(q, 2, got);
        CHECK(memcmp(want, got, sizeof want) == 0);
        k->copy_d2h(&m_after, hrkd_params_m(q), sizeof m_after);
        CHECK(m_after == m_before);
        /* hrkd_run_checkpoint_same: the loaded values are the group's; one changed bit is not */
        int same = -1;
        CHECKF(hrkd_run_checkpoint_same(run, "best", q, &same, &err) == HRKD_STATUS_OK, "%s", err.msg);
        CHECK(same == 1);
        hrkd_params *other = make_store(be, "student", 0, 7);
        CHECK(hrkd_run_checkpoint_same(run, "best", other, &same, &err) == HRKD_STATUS_OK && same == 0);
        got[7] = nextafterf(got[7], INFINITY);
        hrkd_params_write(q, 2, got);
        CHECK(hrkd_run_checkpoint_same(run, "best", q, &same, &err) == HRKD_STATUS_OK && same == 0);
        hrkd_params *foreign = make_store(be, "teacher_0", 0, 42);
        CHECK(hrkd_run_checkpoint_same(run, "best", foreign, &same, &err) == HRKD_STATUS_NOT_FOUND);
        hrkd_params_destroy(foreign);
        hrkd_params_destroy(other);
        hrkd_run_free(run);
    }
    hrkd_params_destroy(q);
    hrkd_params_destroy(p);
}

/* /ratios/examples: rows recorded per logged step, −1 where a row had none (before the first
 * recorded step, or appended without), kept through a rewrite and a reopen, refused when the
 * batch width changes; a version-1 file has none. */
static void test_examples(void)
{
    const char *path = tmp_path("ex.h5");
    hrkd_error err = {0};
    hrkd_run_meta meta = test_meta();
    hrkd_run *run = NULL;
    CHECKF(hrkd_run_create(path, &meta, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (!run) return;
    float dom[3 * 3] = {0};
    const int64_t rows[2][3 * 2] = {{4, 5, 6, 7, 8, -1}, {10, 11, 12, 13, 14, 15}};
    CHECK(hrkd_run_append_ratios(run, 0, dom, NULL, &err) == HRKD_STATUS_OK); /* no examples */
    CHECK(hrkd_run_append_ratios(run, 1, dom, NULL, &err) == HRKD_STATUS_OK);
    CHECKF(hrkd_run_set_examples(run, rows[0], 2, &err) == HRKD_STATUS_OK, "%s", err.msg);
    CHECK(hrkd_run_set_examples(run, rows[0], 2, &err) != HRKD_STATUS_OK); /* twice for one row */
    CHECK(hrkd_run_append_ratios(run, 2, dom, NULL, &err) == HRKD_STATUS_OK);
    CHECK(hrkd_run_set_examples(run, rows[1], 3, &err) == HRKD_STATUS_INVALID); /* other width */
    CHECKF(hrkd_run_set_examples(run, rows[1], 2, &err) == HRKD_STATUS_OK, "%s", err.msg);
    CHECK(hrkd_run_append_ratios(run, 3, dom, NULL, &err) == HRKD_STATUS_OK); /* none: −1 */
    CHECKF(hrkd_run_close(run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    CHECKF(hrkd_run_open(path, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (!run) return;
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    CHECKF(v.n_ratio == 4 && v.B_examples == 2 && v.ratio_examples, "%lld rows, B %lld",
           (long long)v.n_ratio, (long long)v.B_examples);
    if (v.ratio_examples && v.n_ratio == 4 && v.B_examples == 2) {
        const int64_t *e = v.ratio_examples;
        for (int i = 0; i < 6; i++) {
            CHECKF(e[i] == -1 && e[18 + i] == -1, "rows 0 and 3, entry %d: %lld %lld", i, (long long)e[i],
                   (long long)e[18 + i]);
            CHECKF(e[6 + i] == rows[0][i] && e[12 + i] == rows[1][i], "rows 1 and 2, entry %d", i);
        }
    }
    hrkd_run_free(run);
    /* a version-1 file: the same without the dataset, read with no examples */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f >= 0) {
        int64_t one = 1;
        hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
        CHECK(a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &one) >= 0);
        if (a >= 0) H5Aclose(a);
        CHECK(H5Ldelete(f, "ratios/examples", H5P_DEFAULT) >= 0);
        H5Fclose(f);
    }
    CHECKF(hrkd_run_open(path, &run, &err) == HRKD_STATUS_OK, "%s", err.msg);
    if (run) {
        hrkd_run_get_view(run, &v);
        CHECK(v.n_ratio == 4 && !v.ratio_examples && v.B_examples == 0);
        hrkd_run_free(run);
    }
    unlink(path);
}

/* ---- inspect ------------------------------------------------------------------------------------ */
static char *capture_inspect(const char *path, int *rc)
{
    const char *out = tmp_path("inspect.txt");
    fflush(stdout);
    int saved = dup(1), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
    *rc = hrkd_inspect(path, 1);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    uint8_t *text;
    size_t len;
    hrkd_error err = {0};
    if (hrkd_file_read_all(out, 1 << 20, &text, &len, &err) != HRKD_STATUS_OK) return NULL;
    char *s = realloc(text, len + 1);
    s[len] = '\0';
    unlink(out);
    return s;
}

static void test_inspect(void)
{
    int rc;
    char *s = capture_inspect(tmp_path("run.h5"), &rc);
    CHECK(rc == 0 && s);
    if (!s) return;
    static const char *want[] = {
        "domains:    books, dvd, kitchen",
        "layers:     student 2, teacher 4, map 0->0 1->2 2->4",
        "checkpoints: /best /checkpoint  (resume step 12)",
        "[student]\nlayers = 2\n",
        "dev      books                0.5900     0.5900         10        2",
        "dev      kitchen              0.6910     0.6960          5        2",
        "step 11, rows = student layer m",
        "2           11.0600      11.0700      11.0800",
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        CHECKF(strstr(s, want[k]), "inspect output lacks \"%s\":\n%s", want[k], s);
    free(s);
    s = capture_inspect("/nonexistent.h5", &rc);
    CHECK(rc == 1);
    free(s);
}

int main(int argc, char **argv)
{
    hrkd_error err = {0};
    hrkd_backend *be;
    if (argc == 3 && strcmp(argv[1], "--write-sample") == 0) {
        be = test_backend_open("cpu", 1);
        write_sample(argv[2], be, NULL);
        hrkd_backend_unload(be);
        return hrkd_test_failures ? 1 : 0;
    }
    if (argc == 3 && strcmp(argv[1], "--write-empty") == 0) { /* fuzz seed: metadata and empty logs */
        hrkd_run_meta meta = test_meta();
        hrkd_run *run;
        if (hrkd_run_create(argv[2], &meta, &run, &err) != HRKD_STATUS_OK) return 1;
        return hrkd_run_close(run, &err) == HRKD_STATUS_OK ? 0 : 1;
    }
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_sigkill(); /* first: forks before this process starts backend threads */
    be = test_backend_open("cpu", 1);
    test_roundtrip(be);
    test_snapshot(be);
    test_examples();
    test_damaged(be);
    test_inspect();
    hrkd_backend_unload(be);
    unlink(tmp_path("run.h5"));
    rmdir(g_dir);
    return test_finish("test_store_runfile");
}
