/* host/model/precision.c — a model's matrix-product precision (see precision.h). */
#include "model/precision.h"

#include <string.h>

static const char *const names[] = {"backend", "fp32", "tf32", "bf16"};

int hrkd_precision_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

const char *hrkd_precision_name(int precision)
{
    return precision >= 0 && precision < 4 ? names[precision] : "?";
}

int hrkd_precision_resolve(int key, int backend_tf32, int backend_bf16)
{
    if (key != HRKD_PRECISION_BACKEND) return key;
    return backend_bf16 ? HRKD_PRECISION_BF16 : backend_tf32 ? HRKD_PRECISION_TF32 : HRKD_PRECISION_FP32;
}

int hrkd_precision_apply(const hrkd_kernels *k, int precision, hrkd_error *err)
{
    if (precision == HRKD_PRECISION_BACKEND) return 0;
    const int tf32 = precision == HRKD_PRECISION_TF32, bf16 = precision == HRKD_PRECISION_BF16;
    if (!k->set_option) {
        if (!tf32 && !bf16) return 0;
        if (err) hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "backend %s has no precision options", k->name);
        return 1;
    }
    /* the option being turned off first, so that the two are never on together */
    if (tf32) return k->set_option("bf16", "false", err) || k->set_option("tf32", "true", err);
    return k->set_option("tf32", "false", err) || k->set_option("bf16", bf16 ? "true" : "false", err);
}
