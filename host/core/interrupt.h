/* host/core/interrupt.h — SIGINT / SIGTERM ask a run to stop at the end of its current step.
 *
 * `hrkd run` installs the handlers; the training loop asks hrkd_interrupted() after each step
 * (under MPI the ranks agree on it, so every rank stops at the same step), writes its
 * checkpoint and returns; the command then exits 128 + the signal (130 for SIGINT, 143 for
 * SIGTERM). A second signal while stopping ends the process at once. */
#ifndef HRKD_CORE_INTERRUPT_H
#define HRKD_CORE_INTERRUPT_H

void hrkd_interrupt_install(void);
/* The signal received since install (0: none). */
int hrkd_interrupted(void);

#endif /* HRKD_CORE_INTERRUPT_H */
