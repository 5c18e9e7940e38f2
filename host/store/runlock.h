/* host/store/runlock.h — a run guards the files it writes.
 *
 * One process per run file: FILE.lock beside it, flock()ed for the whole run with the holder's
 * pid inside. The kernel drops the lock when the holder dies, so a killed run never blocks
 * its own --resume. A second run on the same file is refused at once, naming the holder.
 *
 * No run file is replaced by accident: a file already at a run's output path (a run of any
 * INI, finished or not, or anything else) is refused unless the user resumes it (--resume)
 * or asks for its replacement (--force). */
#ifndef HRKD_STORE_RUNLOCK_H
#define HRKD_STORE_RUNLOCK_H

#include "hrkd/status.h"

typedef struct hrkd_run_lock {
    int   fd;   /* -1: not held */
    char *path; /* FILE.lock */
} hrkd_run_lock;

/* Take the lock of run file `path` (creates FILE.lock). HRKD_STATUS_INVALID ("busy", exit 2)
 * when another live process holds it after wait_s seconds (0: at once; a resume waits a while
 * for a killed run's processes to finish dying); HRKD_STATUS_IO when the lock file cannot be
 * made. */
hrkd_status hrkd_run_lock_take(const char *path, double wait_s, hrkd_run_lock *lock, hrkd_error *err);
/* Remove FILE.lock and release it (nothing when not held). */
void hrkd_run_lock_release(hrkd_run_lock *lock);

/* Before a run writes `path`: OK when nothing is there, when `resume` (the run continues it),
 * or when `force` (the file is removed now). Otherwise HRKD_STATUS_INVALID naming the file,
 * what it is, and the two flags. `ini` is the INI to name in the hint. */
hrkd_status hrkd_run_output_free(const char *path, const char *ini, int resume, int force,
                                 hrkd_error *err);

#endif /* HRKD_STORE_RUNLOCK_H */
