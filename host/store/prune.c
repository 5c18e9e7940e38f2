/* host/store/prune.c — `hrkd prune FILE.h5...`: drop the resume state of finished runs.
 *
 * A run file keeps /checkpoint (every parameter with its two AdamW moments) to resume or
 * extend the run: three times the model, often half the file. Once the run has finished
 * (its test accuracies are written) the best checkpoints, logs and metrics are what is read,
 * so prune rewrites the file without /checkpoint, atomically, under the run's lock, and
 * records the step it held (root attribute pruned_checkpoint_step). A pruned file is not
 * resumed: `hrkd run --resume` takes a pruned teacher or student phase as done. A file that
 * has not finished is refused, since its /checkpoint is the only way to continue it. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/runlock.h"
#include "store/store.h"

static double file_mb(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : -1;
}

/* 1 when the run holds a test row (written after its last step) */
static int finished(const hrkd_run_view *v)
{
    for (int s = 0; s < v->n_split; s++)
        if (!strcmp(v->split_name[s], "test") && v->split_rows[s] > 0) return 1;
    return 0;
}

/* one file: 0 pruned or nothing to prune, 1 runtime failure, 2 refused */
static int prune_one(const char *path, int dry_run)
{
    hrkd_error err = {0};
    hrkd_run_lock lock = {.fd = -1};
    hrkd_run *run = NULL;
    int rc = 0;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "hrkd prune: %s: not a file\n", path);
        return 2;
    }
    hrkd_status st = hrkd_run_lock_take(path, 0.0, &lock, &err);
    if (st == HRKD_STATUS_OK) st = hrkd_run_open(path, &run, &err);
    if (st != HRKD_STATUS_OK) {
        fprintf(stderr, "hrkd prune: %s\n", err.msg);
        rc = st == HRKD_STATUS_INVALID ? 2 : 1;
        goto out;
    }
    hrkd_run_view v;
    hrkd_run_get_view(run, &v);
    if (!hrkd_run_has_group(run, "checkpoint")) {
        if (v.pruned_step >= 0) printf("%s: already pruned (its /checkpoint of step %lld)\n", path, (long long)v.pruned_step);
        else printf("%s: holds no /checkpoint, nothing to prune\n", path);
        goto out;
    }
    if (!finished(&v)) {
        fprintf(stderr, "hrkd prune: %s: has no test accuracies, so its run has not finished (resume "
                        "step %lld); its /checkpoint is what `hrkd run INI --resume` continues from, "
                        "and it is kept\n", path, (long long)v.ckpt_step);
        rc = 2;
        goto out;
    }
    double before = file_mb(path);
    if (dry_run) {
        printf("%s: would drop /checkpoint (step %lld) from %.1f MB\n", path, (long long)v.ckpt_step, before);
        goto out;
    }
    int64_t step = v.ckpt_step;
    if ((st = hrkd_run_drop_checkpoint(run, &err)) != HRKD_STATUS_OK) {
        fprintf(stderr, "hrkd prune: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    printf("%s: dropped /checkpoint (step %lld), %.1f MB -> %.1f MB; best checkpoints, logs and "
           "metrics kept; no longer resumable\n", path, (long long)step, before, file_mb(path));
out:
    hrkd_run_free(run);
    hrkd_run_lock_release(&lock);
    return rc;
}

int hrkd_prune(const char *const *paths, int n, int dry_run)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int r = prune_one(paths[i], dry_run);
        if (r > rc) rc = r;
    }
    return rc;
}
