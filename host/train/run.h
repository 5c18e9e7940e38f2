/* host/train/run.h — the trainer's top: everything `hrkd run FILE.ini` does (host/cli/cmd_run.c)
 * once its arguments are read. */
#ifndef HRKD_TRAIN_RUN_H
#define HRKD_TRAIN_RUN_H

#include <stdint.h>

typedef struct hrkd_train_flags {
    int     resume;     /* --resume: continue each phase from its run file's checkpoint */
    int     extend;     /* --extend (with resume): the INI may change the run's length */
    int     force;      /* --force: replace run files that already exist */
    /* test faults, after a step's checkpoint */
    int64_t kill_after; /* --kill-after-step N (0: none) */
    int     kill_rank;  /* --kill-rank R; -1: every rank */
    int     kill_how;   /* --kill-as: 0 kill (SIGKILL), 1 stop (SIGSTOP), 2 drift, 3 term (SIGTERM) */
} hrkd_train_flags;

/* Trains as the INI says: the seeds, the teacher phase (rank 0) and the distillation, one run
 * file per phase and seed ([run] mode = eval: evaluates [student] checkpoint, eval_run.h).
 * Progress on stdout, problems on stderr. Returns the exit code (docs/cli.md; 128 + the signal
 * after a stop request). */
int hrkd_train(const char *ini, const hrkd_train_flags *f);

#endif
