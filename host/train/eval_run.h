/* host/train/eval_run.h — a run file's checkpoints evaluated with the models its INI describes:
 * `hrkd eval` (host/cli/cmd_eval.c) and [run] mode = eval (run.c). */
#ifndef HRKD_TRAIN_EVAL_RUN_H
#define HRKD_TRAIN_EVAL_RUN_H

/* Rebuilds the run's model from the INI, loads each domain's best checkpoint (best_d<d>, or the
 * one group for all domains) and prints per-domain accuracy on split (HRKD_SPLIT_*). Works for
 * teacher runs (mode = teacher) and students; under mpirun rank 0 evaluates alone. Returns the
 * exit code (messages "hrkd eval: ..." on stderr). */
int hrkd_eval_run_file(const char *ini, const char *h5, int split, const char *group);

#endif
