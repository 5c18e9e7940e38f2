/* host/train/loop.c — the one training loop (see loop.h).
 *
 * Bit-identical resume (CPU, same threads): everything a step depends on is restored from the
 * "checkpoint" group — parameters and AdamW moments, the optimizer step, every domain's loader
 * epoch and position (the permutation is a pure function of seed, domain and epoch), the
 * dropout stream counter, and the best dev accuracies so far. */
#include "train/loop.h"

#include "config/resume.h"
#include "core/core.h"
#include "train/dist.h"
#include "train/eval.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ensure_parent_dir(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *dir = dirname(tmp);
    if (!*dir || !strcmp(dir, ".")) return 0;
    char build[PATH_MAX] = "";
    for (char *p = dir; *p; p++) {
        if (*p == '/' && p != dir) {
            size_t n = (size_t)(p - dir);
            memcpy(build, dir, n);
            build[n] = 0;
            if (mkdir(build, 0777) != 0 && errno != EEXIST) return -1;
        }
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* A resumed run under an INI whose configuration differs (config/resume.h): refused, or with
 * extend its new length recorded in the run file. */
static hrkd_status check_resume_config(hrkd_run *run, const char *ini_text, int extend, hrkd_error *err)
{
    hrkd_config_changes ch;
    hrkd_status st = hrkd_config_resume_check(hrkd_run_ini_text(run), ini_text, extend, hrkd_run_path(run),
                                              &ch, err);
    if (st != HRKD_STATUS_OK || ch.n == 0) return st;
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    char **lines = calloc((size_t)ch.n, sizeof *lines);
    for (int i = 0; lines && i < ch.n; i++) {
        size_t n = strlen(ch.line[i]) + 32;
        if ((lines[i] = malloc(n))) snprintf(lines[i], n, "step %lld: %s", (long long)v.ckpt_step, ch.line[i]);
        else st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
        if (lines[i]) fprintf(stderr, "%s: --extend: %s\n", hrkd_run_path(run), lines[i]);
    }
    if (!lines) st = hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    if (st == HRKD_STATUS_OK) st = hrkd_run_set_config(run, ini_text, (const char *const *)lines, ch.n, err);
    for (int i = 0; lines && i < ch.n; i++) free(lines[i]);
    free(lines);
    hrkd_config_changes_free(&ch);
    return st;
}

hrkd_status hrkd_loop_open_run(const char *path, const hrkd_run_meta *meta, int resume, int extend,
                               hrkd_run **run, int *resumed, hrkd_error *err)
{
    *resumed = 0;
    *run = NULL;
    if (ensure_parent_dir(path) != 0)
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create its folder: %s", path, strerror(errno));
    if (resume && access(path, F_OK) == 0) {
        hrkd_status st = hrkd_run_open(path, run, err);
        if (st != HRKD_STATUS_OK) return st;
        if (hrkd_run_has_group(*run, "checkpoint")) {
            if ((st = check_resume_config(*run, meta->ini_text, extend, err)) != HRKD_STATUS_OK) {
                hrkd_run_free(*run);
                *run = NULL;
                return st;
            }
            *resumed = 1;
            return HRKD_STATUS_OK;
        }
        hrkd_run_view v;
        hrkd_run_get_view(*run, &v);
        if (v.pruned_step >= 0) { /* finished, and its resume state dropped: never started over */
            hrkd_run_free(*run);
            *run = NULL;
            return hrkd_error_set(err, HRKD_STATUS_INVALID,
                                  "%s: finished at step %lld and pruned (hrkd prune dropped its /checkpoint), "
                                  "so it cannot be resumed or extended; --force trains it anew, replacing the file",
                                  path, (long long)v.pruned_step);
        }
        fprintf(stderr, "%s: no checkpoint yet, starting this phase from the beginning\n", path);
        hrkd_run_free(*run);
        *run = NULL;
    }
    return hrkd_run_create(path, meta, run, err);
}

static int64_t steps_per_epoch(const hrkd_loop_opts *o, const hrkd_train_data *data)
{
    int64_t nmax = 0;
    for (int d = o->first; d <= o->last; d++)
        if (data->split[d][HRKD_SPLIT_TRAIN].n > nmax) nmax = data->split[d][HRKD_SPLIT_TRAIN].n;
    int64_t spe = (nmax + o->batch_size - 1) / o->batch_size;
    return spe < 1 ? 1 : spe;
}

int64_t hrkd_loop_total_steps(const hrkd_loop_opts *o, const hrkd_train_data *data)
{
    return o->max_steps > 0 ? o->max_steps : o->epochs * steps_per_epoch(o, data);
}

static void save_state(hrkd_run_state *st, int64_t step, const hrkd_loader *l, int first,
                       const hrkd_ctx *ctx, const double *best, int n_best)
{
    memset(st, 0, sizeof *st);
    st->step = step;
    st->epoch = l->epoch[first];
    st->rng_seed = hrkd_ctx_rng_seed(ctx);
    st->rng_counter = hrkd_ctx_rng_counter(ctx);
    st->n_loader = 2 * l->D;
    for (int d = 0; d < l->D; d++) {
        st->loader[2 * d] = l->epoch[d];
        st->loader[2 * d + 1] = l->pos[d];
    }
    st->n_best = n_best;
    for (int i = 0; i < n_best; i++) st->best[i] = best[i];
}

static void restore_state(const hrkd_run_state *st, hrkd_loader *l, hrkd_ctx *ctx, double *best,
                          int n_best)
{
    for (int d = 0; d < l->D && 2 * d + 1 < st->n_loader; d++)
        hrkd_loader_seek(l, d, st->loader[2 * d], st->loader[2 * d + 1]);
    hrkd_ctx_set_rng(ctx, st->rng_seed, st->rng_counter);
    for (int i = 0; i < n_best && i < st->n_best; i++) best[i] = st->best[i];
}

static void progress(const hrkd_loop_opts *o, int64_t spe, int64_t total, int64_t step, double loss,
                     double ex_per_s, double t_start)
{
    double elapsed = hrkd_now_s() - t_start;
    double eta = step > 0 ? elapsed / (double)step * (double)(total - step) : 0;
    int64_t epoch = step > 0 ? (step - 1) / spe + 1 : 1;
    fprintf(stderr, "%s%s: epoch %lld step %lld/%lld loss %.4f %.1f ex/s ETA %.0fs%s",
            o->progress_tty ? "\r" : "", o->label, (long long)epoch, (long long)step,
            (long long)total, loss, ex_per_s, eta, o->progress_tty ? "   " : "\n");
    if (o->progress_tty && step == total) fputc('\n', stderr);
}

/* One line for people and scripts/bench_mpi.sh: training-step throughput and all-reduce cost. */
static void dist_report(const hrkd_comm *c, int64_t steps, int64_t examples, double t_steps,
                        double t_reduce, double t_skew, int64_t numel)
{
    fprintf(stderr, "data-parallel: %d ranks (%s), %lld steps, %.2f examples/s in training steps, "
            "all-reduce %.3f ms/step of %lld bytes (+%.3f ms/step waiting for the slowest rank)\n",
            hrkd_comm_size(c), hrkd_comm_name(c), (long long)steps, (double)examples / t_steps,
            1e3 * t_reduce / (double)steps, (long long)(numel * (int64_t)sizeof(float)),
            1e3 * t_skew / (double)steps);
}

static void best_d_group(int d, char *group, size_t cap) { snprintf(group, cap, "best_d%d", d); }

/* One line per evaluation: each active domain's dev accuracy, their average, and the best
 * average logged so far in the run file (so a resumed run counts the evaluations before). */
static void dev_line(const hrkd_loop_opts *o, const hrkd_train_data *data, const hrkd_run *run,
                     int64_t step, const double *acc, double avg)
{
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    double best = avg; /* the earliest evaluation that reached the highest average */
    int64_t best_step = step;
    int found = 0;
    for (int sp = 0; sp < v.n_split; sp++) {
        if (strcmp(v.split_name[sp], "dev") != 0) continue;
        for (int64_t r = 0; r < v.split_rows[sp]; r++) {
            double a = 0;
            for (int d = o->first; d <= o->last; d++)
                a += v.split_vals[sp][(r * v.D + d) * v.K] / (o->last - o->first + 1);
            if (!found || a > best) { best = a; best_step = v.split_step[sp][r]; found = 1; }
        }
    }
    fprintf(stderr, "%s%s: dev step %lld:", o->progress_tty && step != hrkd_loop_total_steps(o, data) ? "\n" : "",
            o->label, (long long)step);
    for (int d = o->first; d <= o->last; d++) fprintf(stderr, " %s %.1f", data->domains[d], 100 * acc[d]);
    fprintf(stderr, " avg %.1f (best %.1f at step %lld)\n", 100 * avg, 100 * best, (long long)best_step);
}

/* Dev accuracy of every active domain; the best snapshots. best[D] is the average's. */
static hrkd_status evaluate_dev(const hrkd_loop_opts *o, const hrkd_loop_step *s,
                                const hrkd_train_data *data, hrkd_ctx *ctx, hrkd_run *run,
                                int64_t step, double *best, hrkd_error *err)
{
    const int D = data->D, root = hrkd_comm_rank(o->comm) == 0;
    double acc[HRKD_MAX_DOMAINS], avg = 0;
    hrkd_status st = HRKD_STATUS_OK;
    for (int d = 0; d < D; d++) {
        acc[d] = NAN;
        if (d < o->first || d > o->last) continue;
        if ((st = s->evaluate(s->self, ctx, d, &data->split[d][HRKD_SPLIT_DEV], &acc[d], err)) != HRKD_STATUS_OK)
            return st;
        avg += acc[d] / (o->last - o->first + 1);
    }
    if (root && (st = hrkd_run_append_metrics(run, "dev", step, acc, err)) != HRKD_STATUS_OK) return st;
    if (root && o->log_every > 0) dev_line(o, data, run, step, acc, avg);
    if (o->best_average && avg > best[D]) {
        best[D] = avg;
        hrkd_run_state rs = {.step = step, .n_best = 1, .best = {avg}};
        /* every store: a distillation's relational weights beside its student (hrkd case) */
        if (root && (st = hrkd_run_snapshot(run, "best", s->stores, s->n_stores, &rs, err)) != HRKD_STATUS_OK)
            return st;
    }
    for (int d = o->first; d <= o->last; d++) {
        if (!(acc[d] > best[d])) continue;
        best[d] = acc[d];
        if (!root) continue;
        char group[32];
        best_d_group(d, group, sizeof group);
        hrkd_run_state rs = {.step = step, .model = s->model[d], .head = s->head[d],
                             .n_heads = s->n_heads, .n_best = 1, .best = {acc[d]}};
        hrkd_params *stores[2] = {s->stores[s->model[d]], s->extra};
        if ((st = hrkd_run_snapshot(run, group, stores, s->extra ? 2 : 1, &rs, err)) != HRKD_STATUS_OK)
            return st;
    }
    return HRKD_STATUS_OK;
}

/* Test accuracy of each active domain's best dev snapshot, into the run file's "test" row. */
static hrkd_status final_test(const hrkd_loop_opts *o, const hrkd_loop_step *s,
                              const hrkd_train_data *data, hrkd_ctx *ctx, hrkd_run *run,
                              int64_t step, double *test, hrkd_error *err)
{
    const int root = hrkd_comm_rank(o->comm) == 0;
    hrkd_status st = HRKD_STATUS_OK;
    for (int d = o->first; d <= o->last; d++) {
        char group[32];
        best_d_group(d, group, sizeof group);
        hrkd_params *store = s->stores[s->model[d]];
        if (root && (st = hrkd_run_load_checkpoint(run, group, &store, 1, NULL, err)) != HRKD_STATUS_OK)
            return st;
        if ((st = hrkd_dist_bcast_params(o->comm, store, err)) != HRKD_STATUS_OK) return st;
        if ((st = s->evaluate(s->self, ctx, d, &data->split[d][HRKD_SPLIT_TEST], &test[d], err)) != HRKD_STATUS_OK)
            return st;
    }
    if (!root) return HRKD_STATUS_OK;
    st = hrkd_run_append_metrics(run, "test", step, test, err);
    if (st == HRKD_STATUS_OK && o->test_title) hrkd_print_accuracy_table(data, o->test_title, test);
    return st;
}

/* The resumable state of this step: every store, after checking that the ranks agree. */
static hrkd_status checkpoint(const hrkd_loop_opts *o, hrkd_params *const *stores, int n_stores,
                              const hrkd_loader *l, const hrkd_ctx *ctx, hrkd_run *run, int64_t step,
                              const double *best, int n_best, hrkd_error *err)
{
    hrkd_run_state rs;
    save_state(&rs, step, l, o->first, ctx, best, n_best);
    hrkd_status st = hrkd_dist_check_sync(o->comm, stores, n_stores, step, err);
    if (st == HRKD_STATUS_OK && hrkd_comm_rank(o->comm) == 0)
        st = hrkd_run_checkpoint(run, "checkpoint", stores, n_stores, &rs, err);
    return st;
}

hrkd_status hrkd_loop_run(const hrkd_loop_opts *o, const hrkd_loop_step *s,
                          const hrkd_train_data *data, hrkd_ctx *ctx, hrkd_run *run,
                          hrkd_loop_result *res, hrkd_error *err)
{
    const int D = data->D, root = hrkd_comm_rank(o->comm) == 0;
    hrkd_comm *comm = o->comm;
    hrkd_params *const *stores = s->stores;
    const int n_stores = s->n_stores, n_best = D + (o->best_average ? 1 : 0);
    const int64_t spe = steps_per_epoch(o, data), total = hrkd_loop_total_steps(o, data);
    hrkd_adamw_config ac = o->optim;
    ac.total_steps = o->constant_lr ? 0 : total;
    ac.warmup_steps = o->constant_lr ? 0 : (int64_t)(o->warmup_ratio * (double)total);
    double best[HRKD_MAX_DOMAINS + 1], test[HRKD_MAX_DOMAINS];
    for (int d = 0; d <= D; d++) best[d] = -1.0;
    for (int d = 0; d < D; d++) test[d] = NAN;
    hrkd_loader l;
    if (hrkd_loader_init(&l, data, o->batch_size, o->seed, o->length_buckets) != 0) {
        hrkd_loader_free(&l);
        return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory (data loader)");
    }
    int64_t step = 0;
    int stopped = 0;
    hrkd_ctx_set_rng(ctx, o->seed, 0);
    hrkd_status st = HRKD_STATUS_OK;
    if (o->resume) { /* rank 0 reads the checkpoint; every rank gets it */
        hrkd_run_state rs;
        if (root && (st = hrkd_run_load_checkpoint(run, "checkpoint", stores, n_stores,
                                                   &rs, err)) != HRKD_STATUS_OK)
            goto out;
        if ((st = hrkd_dist_bcast_state(comm, &rs, err)) != HRKD_STATUS_OK) goto out;
        for (int k = 0; k < n_stores && st == HRKD_STATUS_OK; k++) st = hrkd_dist_bcast_params(comm, stores[k], err);
        if (st != HRKD_STATUS_OK) goto out;
        step = rs.step;
        restore_state(&rs, &l, ctx, best, n_best);
        if (root) fprintf(stderr, "%s: resumed at step %lld from %s\n", o->label, (long long)step, hrkd_run_path(run));
    }
    double t_start = hrkd_now_s(), t_last = t_start, t_steps = 0, reduce0 = hrkd_comm_reduce_seconds(comm),
           skew0 = hrkd_comm_skew_seconds(comm);
    int64_t ex_since = 0, ex_total = 0, step0 = step;
    hrkd_batch b[HRKD_MAX_DOMAINS];
    while (step < total) {
        double t_step = hrkd_now_s();
        hrkd_ctx_reset(ctx);
        hrkd_ctx_set_training(ctx, 1);
        hrkd_ctx_set_grad(ctx, 1);
        for (int k = 0; k < n_stores; k++) hrkd_params_zero_grad(stores[k]);
        memset(b, 0, sizeof b);
        for (int d = o->first; d <= o->last; d++) {
            hrkd_loader_next(&l, data, d, &b[d]);
            ex_since += b[d].B; /* global examples */
            ex_total += b[d].B;
            if ((st = hrkd_dist_shard_batch(comm, &b[d], data->domains[d], err)) != HRKD_STATUS_OK) goto out;
        }
        float loss = 0;
        if ((st = s->run(s->self, ctx, b, step, &loss, err)) != HRKD_STATUS_OK) goto out;
        double gn = 0;
        if ((st = hrkd_adamw_step(stores, n_stores, &ac, &step, &gn, err)) != HRKD_STATUS_OK) goto out;
        t_steps += hrkd_now_s() - t_step;
        if (step == step0 + 1 || step == total) { /* the first step sizes the arena; the last */
            char what[96];
            snprintf(what, sizeof what, "%s step %lld (arena peak %.1f MB)", o->label, (long long)step,
                     (double)hrkd_ctx_arena_peak(ctx) / 1048576.0);
            hrkd_log_memory(what);
        }
        if (root && (st = s->log(s->self, run, step - 1, err)) != HRKD_STATUS_OK) goto out;
        if (o->log_every > 0 && (step % o->log_every == 0 || step == total)) {
            double t = hrkd_now_s();
            progress(o, spe, total, step, loss, (double)ex_since / (t - t_last), t_start);
            t_last = t;
            ex_since = 0;
        }
        if (o->evaluate && ((o->val_every > 0 && step % o->val_every == 0) || step == total) &&
            (st = evaluate_dev(o, s, data, ctx, run, step, best, err)) != HRKD_STATUS_OK)
            goto out;
        if ((o->checkpoint_every > 0 && step % o->checkpoint_every == 0) || step == total) {
            if ((st = checkpoint(o, stores, n_stores, &l, ctx, run, step, best, n_best, err)) != HRKD_STATUS_OK)
                goto out;
            stopped = o->after_step && o->after_step(o->hook, step, stores, n_stores) && step < total;
        } else if ((stopped = o->after_step && o->after_step(o->hook, step, stores, n_stores)) &&
                   (st = checkpoint(o, stores, n_stores, &l, ctx, run, step, best, n_best, err)) != HRKD_STATUS_OK) {
            goto out;
        }
        if (stopped) break;
    }
    if (root && comm && step > step0)
        dist_report(comm, step - step0, ex_total, t_steps, hrkd_comm_reduce_seconds(comm) - reduce0,
                    hrkd_comm_skew_seconds(comm) - skew0, hrkd_params_numel(stores[0]));
    if (o->evaluate && !stopped) st = final_test(o, s, data, ctx, run, step, test, err);
out:
    if (res) {
        res->step = step;
        res->stopped = stopped;
        memcpy(res->test, test, sizeof test);
    }
    hrkd_loader_free(&l);
    return st;
}
