/* host/train/run.c — `hrkd run FILE.ini` (arguments: host/cli/cmd_run.c): the seed loop and the
 * phases. setup.c turns the INI into the backend, data, models and plugins; each phase is one
 * run of the training loop (loop.c) with its step (teacher.c, kd.c; metakd.c for the Meta-KD stages), writing one HDF5
 * run file per phase and seed.
 *
 * [run] mode = teacher trains teachers with the [teacher] strategy plugin. mode = distill
 * distils a student from the teacher run file named by [teacher] checkpoint; when that key is
 * empty the teacher is trained first (file <output>_teacher.h5), so one INI runs the whole
 * pipeline (the quickstart). [run] seeds = 1,2,3 repeats everything per seed (files
 * <output>_seed<N>.h5) and ends with per-domain mean ± std. Teacher training runs on rank 0
 * alone; distillation (not Meta-KD's) is data-parallel over the ranks of [run] comm. */
#include "train/run.h"

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/interrupt.h"
#include "store/runlock.h"
#include "train/eval.h"
#include "train/eval_run.h"
#include "train/setup.h"
#include "train/teacher_cache.h"

/* Test faults (hrkd_train_flags): after a step's checkpoint, kill or stop this process, send it
 * a stop request, or nudge one parameter so that the ranks' check at the next checkpoint fails. */
typedef struct fault {
    int64_t    after;
    int        rank; /* -1: every rank */
    int        how;  /* 0 SIGKILL, 1 SIGSTOP (a hung rank), 2 drift (a rank out of step),
                      * 3 SIGTERM (a stop request, seen by this very step's hook) */
    hrkd_comm *comm;
} fault;

static void test_drift(hrkd_params *p)
{
    const hrkd_param_info *pi = hrkd_params_info(p, 0);
    float *v = malloc((size_t)pi->numel * sizeof *v);
    if (!v || hrkd_params_read(p, 0, v) != HRKD_STATUS_OK) { free(v); return; }
    v[0] += 1e-3f;
    hrkd_params_write(p, 0, v);
    free(v);
}

static void fault_after_step(const fault *f, int64_t step, hrkd_params *const *stores)
{
    if (f->after <= 0 || step != f->after || (f->rank >= 0 && f->rank != hrkd_comm_rank(f->comm)))
        return;
    if (f->how == 2) test_drift(stores[0]);
    else raise(f->how == 1 ? SIGSTOP : f->how == 3 ? SIGTERM : SIGKILL);
}

#define MAX_OUTPUTS 130 /* run files of one command: a teacher's and a student's per seed (64) */

typedef struct run_cmd {
    hrkd_setup    s;
    fault         fault;
    int           force;     /* --force: replace existing run files */
    hrkd_run_lock locks[MAX_OUTPUTS];
    int           n_locks;
    hrkd_comm    *agree;     /* the ranks that train the current phase together (NULL: this one) */
    int           stop_sig;  /* SIGINT / SIGTERM that stopped a phase (0: none) */
    int64_t       stop_step;
} run_cmd;

/* The loop's after_step hook: test faults, then a stop request (SIGINT / SIGTERM). The ranks
 * of a data-parallel phase agree on it, so every rank stops after the same step. */
static int after_step(void *hook, int64_t step, hrkd_params *const *stores, int n_stores)
{
    run_cmd *r = hook;
    (void)n_stores;
    fault_after_step(&r->fault, step, stores);
    int sig = hrkd_interrupted();
    if (hrkd_comm_size(r->agree) > 1) {
        double any = sig ? 1 : 0;
        hrkd_error e = {0};
        if (hrkd_comm_allreduce_f64(r->agree, &any, 1, &e) == HRKD_STATUS_OK && any > 0 && !sig) sig = SIGINT;
    }
    if (!sig) return 0;
    r->stop_sig = sig;
    r->stop_step = step;
    return 1;
}

static hrkd_loop_opts loop_opts(run_cmd *r, uint64_t seed, const char *who, int64_t epochs, double lr)
{
    hrkd_loop_opts o = hrkd_setup_loop_opts(&r->s, seed, who, epochs, lr);
    o.after_step = after_step;
    o.hook = r;
    r->agree = NULL;
    return o;
}

/* --resume (without --extend) of a phase whose run file `hrkd prune` has pruned: the phase
 * finished, so it is not trained again, and its test accuracies come from the file. 1 when so;
 * 0 otherwise, and for a file that cannot be read (hrkd_setup_open_run then says why). */
static int phase_pruned(const hrkd_setup *s, const char *path, const char *who, double *test_out)
{
    if (!s->resume || s->extend || access(path, F_OK) != 0) return 0;
    hrkd_run *run = NULL;
    hrkd_error e = {0};
    if (hrkd_run_open(path, &run, &e) != HRKD_STATUS_OK) return 0;
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    int done = v.pruned_step >= 0 && !hrkd_run_has_group(run, "checkpoint");
    double test[HRKD_MAX_DOMAINS], avg = 0;
    if (done && hrkd_run_last_test(run, s->data.D, test)) {
        for (int d = 0; d < s->data.D; d++) avg += test[d] / s->data.D;
        if (test_out) memcpy(test_out, test, (size_t)s->data.D * sizeof *test);
    }
    if (done) {
        printf("%s: %s finished at step %lld (test average %.2f) and was pruned (hrkd prune): not trained again\n",
               who, path, (long long)v.pruned_step, 100 * avg);
        fflush(stdout);
    }
    hrkd_run_free(run);
    return done;
}

static hrkd_status phase_teacher(run_cmd *r, uint64_t seed, const char *path, hrkd_ctx *ctx,
                                 double *test_out, hrkd_error *err)
{
    const hrkd_setup *s = &r->s;
    if (phase_pruned(s, path, "teacher", test_out)) return HRKD_STATUS_OK;
    hrkd_teachers t;
    hrkd_run *run = NULL;
    int resumed = 0;
    hrkd_status st = hrkd_setup_teachers(s, seed, &t, err);
    if (st == HRKD_STATUS_OK) {
        const char *terms[1] = {"ce"};
        hrkd_run_meta meta = hrkd_setup_run_meta(s, seed, 0, t.cfg.layers, NULL, 1, terms);
        st = hrkd_setup_open_run(s, path, &meta, &run, &resumed, err);
    }
    if (st == HRKD_STATUS_OK && hrkd_teacher_loss_ex(&t.ts.strategy))
        st = hrkd_setup_teacher_weights(s, seed, &t, ctx, run, err);
    if (st == HRKD_STATUS_OK) {
        printf("teacher: %d model(s) of %d layers, hidden %d, %d domain heads; %d domains; run file %s\n",
               t.ts.n_models, t.cfg.layers, t.cfg.hidden, t.ts.n_heads, s->data.D, path);
        fflush(stdout);
        int64_t ep = teacher_epochs(s);
        double lr = teacher_lr(s);
        hrkd_loop_opts o = loop_opts(r, seed, "teacher", ep > 0 ? ep : run_epochs(s),
                                     lr > 0 ? lr : optimizer_lr(s));
        o.resume = resumed;
        o.test_title = "teacher test accuracy (%) of each domain's best dev checkpoint:";
        hrkd_teacher_step step;
        hrkd_loop_step ls;
        hrkd_teacher_step_init(&step, &t.ts, s->data.D, o.eval_batch_size, &ls);
        st = hrkd_loop_run(&o, &ls, &s->data, ctx, run, NULL, err);
        if (st == HRKD_STATUS_OK && test_out && !r->stop_sig) hrkd_run_last_test(run, s->data.D, test_out);
    }
    if (run) {
        hrkd_error e2 = {0};
        hrkd_status cs = hrkd_run_close(run, &e2);
        if (st == HRKD_STATUS_OK && cs != HRKD_STATUS_OK) { *err = e2; st = cs; }
    }
    hrkd_teachers_free(&t);
    return st;
}

/* Meta-KD: both stages for the [metakd] target(s), with the teacher file's transferability. */
static hrkd_status phase_metakd(run_cmd *r, uint64_t seed, const hrkd_loop_opts *o, hrkd_distill *dd,
                                const char *teacher_path, const char *path, const char *const *terms,
                                hrkd_ctx *ctx, hrkd_run *run, hrkd_error *err)
{
    const hrkd_setup *s = &r->s;
    hrkd_metakd_opts mo;
    hrkd_status st = hrkd_setup_metakd(s, seed, dd, path, terms, &mo, err);
    if (st != HRKD_STATUS_OK) return st;
    hrkd_metakd_t tw;
    if ((st = hrkd_metakd_t_read(teacher_path, &s->data, s->be, &tw, err)) != HRKD_STATUS_OK) {
        hrkd_error_prefix(err, "%s: [teacher] checkpoint: ", hrkd_config_path(s->cfg));
        return st;
    }
    st = hrkd_metakd_distill(o, &mo, &s->data, &dd->kd, &tw, ctx, run, err);
    hrkd_metakd_t_free(&tw);
    return st;
}

static hrkd_status phase_distill(run_cmd *r, uint64_t seed, const char *teacher_path,
                                 const char *path, hrkd_ctx *ctx, double *test_out, hrkd_error *err)
{
    const hrkd_setup *s = &r->s;
    const int root = hrkd_comm_rank(s->comm) == 0;
    int32_t pruned = root && phase_pruned(s, path, "student", test_out);
    hrkd_status pst = hrkd_comm_bcast(s->comm, &pruned, sizeof pruned, err); /* every rank skips, or none */
    if (pst != HRKD_STATUS_OK || pruned) return pst;
    hrkd_distill dd;
    hrkd_run *run = NULL;
    hrkd_teacher_cache *cache = NULL;
    hrkd_status st = hrkd_setup_distill(s, seed, teacher_path, &dd, err);
    hrkd_kd *kd = &dd.kd;
    char tbuf[HRKD_BERT_MAX_LAYERS + 3][16];
    const char *terms[HRKD_BERT_MAX_LAYERS + 3];
    for (int m = 0; m <= kd->M; m++) { snprintf(tbuf[m], 16, "layer_%d", m); terms[m] = tbuf[m]; }
    terms[kd->M + 1] = "pred";
    terms[kd->M + 2] = "total";
    int resumed = 0;
    if (st == HRKD_STATUS_OK && root) {
        hrkd_run_meta meta = hrkd_setup_run_meta(s, seed, kd->M, dd.tc.layers, kd->layer_map, kd->M + 3, terms);
        st = hrkd_setup_open_run(s, path, &meta, &run, &resumed, err);
    }
    if (st == HRKD_STATUS_OK) { /* rank 0 alone has the run file: whether to resume is its call */
        int32_t flag = resumed;
        st = hrkd_comm_bcast(s->comm, &flag, sizeof flag, err);
        resumed = flag;
    }
    if (st != HRKD_STATUS_OK) goto out;
    printf("student: %d layers, hidden %d, heads %d from teacher %s (%d layers, hidden %d); %s; run file %s\n",
           dd.sc.layers, dd.sc.hidden, dd.sc.heads, teacher_path, dd.tc.layers, dd.tc.hidden,
           dd.metakd ? "Meta-KD (meta-distillation)" :
           kd->relational ? "HRKD (relational ratios)" : "TinyBERT-KD (uniform ratios)", path);
    fflush(stdout);
    hrkd_loop_opts o = loop_opts(r, seed, "student", run_epochs(s), optimizer_lr(s));
    o.resume = resumed;
    o.best_average = 1;
    kd->comm = s->comm;
    if (distill_teacher_cache(s)) { /* every rank holds all of it */
        hrkd_teacher_view tv = {.M = kd->M, .teacher = kd->teacher, .head = kd->teacher_head,
                                .layer_map = kd->layer_map};
        st = hrkd_teacher_cache_build(&tv, &s->data, ctx, distill_teacher_cache_dir(s),
                                      !strcmp(distill_teacher_cache_precision(s), "bf16"), o.eval_batch_size,
                                      root ? "student" : NULL, &cache, err);
        kd->cache = cache;
    }
    if (st == HRKD_STATUS_OK && dd.metakd) {
        o.resume = s->resume; /* stage files resume on their own */
        st = phase_metakd(r, seed, &o, &dd, teacher_path, path, terms, ctx, run, err);
    } else if (st == HRKD_STATUS_OK) {
        o.comm = s->comm;
        r->agree = s->comm;
        o.test_title = "student test accuracy (%) of each domain's best dev checkpoint:";
        hrkd_kd_step step;
        hrkd_loop_step ls;
        st = hrkd_kd_step_init(&step, kd, dd.trainable ? dd.relational : NULL, o.eval_batch_size, s->comm, &ls, err);
        step.batch_size = data_batch_size(s);
        if (st == HRKD_STATUS_OK) st = hrkd_loop_run(&o, &ls, &s->data, ctx, run, NULL, err);
        hrkd_kd_step_free(&step);
    }
    kd->cache = NULL;
    hrkd_teacher_cache_free(cache, root ? "student" : NULL);
    if (r->stop_sig) goto out; /* interrupted: no test table, no export */
    if (st == HRKD_STATUS_OK && test_out && run) hrkd_run_last_test(run, s->data.D, test_out);
    if (st == HRKD_STATUS_OK) st = hrkd_setup_export(s, &dd, err);
out:
    if (run) {
        hrkd_error e2 = {0};
        hrkd_status cs = hrkd_run_close(run, &e2);
        if (st == HRKD_STATUS_OK && cs != HRKD_STATUS_OK) { *err = e2; st = cs; }
    }
    hrkd_distill_free(&dd);
    return st;
}

/* Teacher training is not data-parallel: rank 0 trains, the other ranks wait (without a
 * timeout, politely) and then read the teacher file like rank 0 does. */
static hrkd_status teacher_on_rank0(run_cmd *r, uint64_t seed, const char *path, hrkd_ctx *ctx,
                                    double *test_out, hrkd_error *err)
{
    hrkd_comm *comm = r->s.comm;
    if (hrkd_comm_rank(comm) == 0) {
        if (hrkd_comm_size(comm) > 1)
            fprintf(stderr, "hrkd run: the teacher phase runs on rank 0 only; other ranks wait\n");
        hrkd_status st = phase_teacher(r, seed, path, ctx, test_out, err);
        if (st != HRKD_STATUS_OK) return st;
    }
    hrkd_status st = hrkd_comm_barrier(comm, 0, err);
    if (st != HRKD_STATUS_OK || hrkd_comm_size(comm) < 2) return st;
    int32_t stop[2] = {r->stop_sig, (int32_t)r->stop_step}; /* an interrupted teacher stops every rank */
    st = hrkd_comm_bcast(comm, stop, sizeof stop, err);
    r->stop_sig = stop[0];
    r->stop_step = stop[1];
    return st;
}

/* The run files of one seed (suffix "" or "_seed<N>"): path the phase's own (the student's, or
 * the teacher's with mode = teacher); tpath the teacher's that a distill INI trains first, or
 * the one [teacher] checkpoint names to read (*trains_teacher = 0). */
static void phase_paths(const hrkd_setup *s, int distill, const char *suffix, char *path, char *tpath,
                        size_t cap, int *trains_teacher)
{
    hrkd_setup_output_path(s, suffix, path, cap);
    *trains_teacher = 0;
    tpath[0] = 0;
    if (!distill) return;
    const char *tck = teacher_checkpoint(s);
    if (tck && *tck && !hrkd_setup_teacher_pretrained(s)) {
        snprintf(tpath, cap, "%s", tck);
    } else {
        char ts[64];
        snprintf(ts, sizeof ts, "%s_teacher", suffix);
        hrkd_setup_output_path(s, ts, tpath, cap);
        *trains_teacher = 1;
    }
}

/* Before anything loads: every run file this command writes is locked by this process for the
 * whole command (rank 0 holds the locks of a data-parallel run) and free to write: nothing is
 * there, or --resume continues it, or --force replaces it (store/runlock.h). */
static hrkd_status guard_outputs(run_cmd *r, int distill, const uint64_t *seeds, int n_seeds, hrkd_error *err)
{
    if (hrkd_comm_rank(r->s.comm) != 0) return HRKD_STATUS_OK;
    for (int si = 0; si < n_seeds; si++) {
        char suffix[48] = "", path[PATH_MAX], tpath[PATH_MAX];
        int trains_teacher;
        if (n_seeds > 1) snprintf(suffix, sizeof suffix, "_seed%llu", (unsigned long long)seeds[si]);
        phase_paths(&r->s, distill, suffix, path, tpath, sizeof path, &trains_teacher);
        const char *out[2] = {trains_teacher ? tpath : NULL, path};
        for (int k = 0; k < 2; k++) {
            if (!out[k]) continue;
            if (r->n_locks == MAX_OUTPUTS)
                return hrkd_error_set(err, HRKD_STATUS_INVALID, "more than %d run files in one command", MAX_OUTPUTS);
            hrkd_status st = hrkd_run_lock_take(out[k], r->s.resume ? 30.0 : 0.0, &r->locks[r->n_locks], err);
            if (st != HRKD_STATUS_OK) return st;
            r->n_locks++;
            if ((st = hrkd_run_output_free(out[k], r->s.ini, r->s.resume, r->force, err)) != HRKD_STATUS_OK)
                return st;
        }
    }
    return HRKD_STATUS_OK;
}

static int parse_seeds(const char *list, uint64_t *seeds, int cap)
{
    int n = 0;
    const char *p = list;
    while (p && *p && n < cap) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) return -1;
        seeds[n++] = v;
        while (*end == ' ' || *end == ',') end++;
        p = end;
    }
    return n;
}

/* Per-domain mean ± std of the seeds' test accuracies, and of their averages. */
static void print_seed_summary(const hrkd_train_data *data, int n_seeds, double test[][HRKD_MAX_DOMAINS])
{
    printf("test accuracy over %d seeds (mean ± std, %%):\n", n_seeds);
    double avg_runs[64] = {0};
    for (int d = 0; d <= data->D; d++) {
        double mean = 0, var = 0;
        for (int k = 0; k < n_seeds; k++) {
            double v;
            if (d < data->D) { v = test[k][d]; avg_runs[k] += v / data->D; }
            else v = avg_runs[k];
            mean += v / n_seeds;
        }
        for (int k = 0; k < n_seeds; k++) {
            double v = d < data->D ? test[k][d] : avg_runs[k];
            var += (v - mean) * (v - mean) / (n_seeds > 1 ? n_seeds - 1 : 1);
        }
        printf("  %-24s %6.2f ± %.2f\n", d < data->D ? data->domains[d] : "average", 100 * mean,
               100 * sqrt(var));
    }
}

int hrkd_train(const char *ini, const hrkd_train_flags *f)
{
    run_cmd r = {.fault = {.after = f->kill_after, .rank = f->kill_rank, .how = f->kill_how}, .force = f->force};
    hrkd_setup *s = &r.s;
    s->resume = f->resume;
    s->extend = f->extend;
    if (hrkd_setup_config(s, ini) != 0) return 2;
    if (!strcmp(run_mode(s), "eval")) { /* evaluate [student] checkpoint */
        char *ck = strdup(student_checkpoint(s));
        hrkd_setup_free(s);
        int erc = hrkd_eval_run_file(ini, ck, HRKD_SPLIT_TEST, NULL);
        free(ck);
        return erc;
    }
    hrkd_error err = {0};
    int rc = 0;
    hrkd_ctx *ctx = NULL;
    uint64_t seeds[64];
    int n_seeds = parse_seeds(run_seeds(s), seeds, 64);
    if (n_seeds < 0) {
        fprintf(stderr, "%s: [run] seeds: expected a comma-separated list of integers\n", ini);
        rc = 2;
        goto done;
    }
    if (n_seeds == 0) { seeds[0] = (uint64_t)run_seed(s); n_seeds = 1; }
    if (hrkd_setup_comm(s, &err) != HRKD_STATUS_OK) { rc = 3; goto fail; }
    r.fault.comm = s->comm;
    if (hrkd_checkpoint_check(teacher_checkpoint(s), &err) != HRKD_STATUS_OK) {
        hrkd_error_prefix(&err, "%s: [teacher] checkpoint: ", ini);
        rc = 2;
        goto fail;
    }
    const int distill = !strcmp(run_mode(s), "distill");
    if (guard_outputs(&r, distill, seeds, n_seeds, &err) != HRKD_STATUS_OK) {
        rc = hrkd_exit_code(err.status);
        goto fail;
    }
    hrkd_interrupt_install();
    s->reg = hrkd_registry_create(run_plugin_path(s), &err);
    if (!s->reg) { rc = 2; goto fail; }
    if ((rc = hrkd_setup_backend(s, &err)) != 0) goto fail;
    ctx = hrkd_ctx_create(s->be, &err);
    s->ini_text = hrkd_config_effective_ini(s->cfg);
    if (!ctx || !s->ini_text) { rc = 1; goto fail; }
    if (hrkd_setup_data_seed(s, seeds[0], &err) != HRKD_STATUS_OK) { rc = 2; goto fail; }

    double test[64][HRKD_MAX_DOMAINS];
    for (int si = 0; si < n_seeds; si++) {
        char suffix[48] = "", path[PATH_MAX], tpath[PATH_MAX];
        int trains_teacher;
        if (n_seeds > 1) snprintf(suffix, sizeof suffix, "_seed%llu", (unsigned long long)seeds[si]);
        phase_paths(s, distill, suffix, path, tpath, sizeof path, &trains_teacher);
        if (n_seeds > 1) printf("== seed %llu ==\n", (unsigned long long)seeds[si]);
        /* a few-shot sample per seed: this seed's teacher and student train on its own rows */
        if (si > 0 && hrkd_setup_data_per_seed(s) && hrkd_setup_data_seed(s, seeds[si], &err) != HRKD_STATUS_OK) {
            rc = 2;
            goto fail;
        }
        if (!distill) {
            if (teacher_on_rank0(&r, seeds[si], path, ctx, test[si], &err) != HRKD_STATUS_OK) goto failed_phase;
            if (r.stop_sig) goto interrupted;
            continue;
        }
        if (trains_teacher) {
            if (teacher_on_rank0(&r, seeds[si], tpath, ctx, NULL, &err) != HRKD_STATUS_OK) goto failed_phase;
            if (r.stop_sig) goto interrupted;
        }
        if (phase_distill(&r, seeds[si], tpath, path, ctx, test[si], &err) != HRKD_STATUS_OK) goto failed_phase;
        if (r.stop_sig) goto interrupted;
    }
    if (n_seeds > 1) print_seed_summary(&s->data, n_seeds, test);
    goto done;
failed_phase: /* invalid input found on the way (exit 2), or a failure while training (exit 1) */
    rc = hrkd_exit_code(err.status);
    goto fail;
interrupted: /* the phase wrote its checkpoint at the step the signal came after */
    if (hrkd_comm_rank(s->comm) == 0)
        fprintf(stderr, "interrupted at step %lld; continue with: hrkd run %s --resume\n", (long long)r.stop_step, ini);
    rc = 128 + r.stop_sig;
    goto done;
fail:
    if (hrkd_comm_size(s->comm) > 1)
        fprintf(stderr, "hrkd run: rank %d of %d: %s\n", hrkd_comm_rank(s->comm), hrkd_comm_size(s->comm),
                err.msg[0] ? err.msg : "failed");
    else
        fprintf(stderr, "hrkd run: %s\n", err.msg[0] ? err.msg : "failed");
    if (!rc) rc = 1;
    fflush(NULL);
    hrkd_comm_abort(s->comm, rc); /* the other ranks would wait for this one: end them all */
done:
    for (int k = 0; k < r.n_locks; k++) hrkd_run_lock_release(&r.locks[k]);
    hrkd_comm_close(s->comm);
    hrkd_ctx_destroy(ctx);
    hrkd_setup_free(s);
    return rc;
}
