/* host/model/precision.h — the precision of a model's matrix products ([teacher] / [student]
 * precision), carried out by the backend's options "tf32" and "bf16" (hrkd_kernels.set_option).
 *
 * fp32: float32 products. tf32: TF32 tensor cores (cuda). bf16: bf16 operands with float32
 * accumulation (cuda); LayerNorm, softmax, reductions, master weights, gradients and AdamW
 * stay float32 either way. A model's forward sets its precision on the backend, and it holds
 * for everything that follows until the next model's forward: in a distillation step the
 * teacher's forward comes first, so the student's forward, the losses and the whole backward
 * run at the student's precision. */
#ifndef HRKD_MODEL_PRECISION_H
#define HRKD_MODEL_PRECISION_H

#include "hrkd/backend.h"

enum { HRKD_PRECISION_BACKEND = 0, HRKD_PRECISION_FP32 = 1, HRKD_PRECISION_TF32 = 2, HRKD_PRECISION_BF16 = 3 };

/* "backend", "fp32", "tf32", "bf16" -> HRKD_PRECISION_*; -1 for anything else. */
HRKD_API int hrkd_precision_parse(const char *name);
HRKD_API const char *hrkd_precision_name(int precision);
/* A model key's value with the [backend] shorthands applied: "backend" is bf16 when [backend]
 * bf16 is on, else tf32 when [backend] tf32 is on, else fp32; fp32, tf32 and bf16 win over the
 * shorthands. */
HRKD_API int hrkd_precision_resolve(int key, int backend_tf32, int backend_bf16);
/* Set the backend's options for precision (fp32, tf32 or bf16); non-zero with err filled by
 * the backend when it refuses one (the CPU backend: any but fp32). BACKEND does nothing. */
HRKD_API int hrkd_precision_apply(const hrkd_kernels *k, int precision, hrkd_error *err);

#endif
