/* tests/test_precision.c — a model's precision ([teacher] / [student] precision): the names,
 * the rule that a model's own key wins over the [backend] shorthands (bf16 over tf32), and the
 * backend's options as a forward sets them: a recording stand-in backend sees exactly the
 * option calls of each precision, and the CPU backend accepts fp32 and refuses tf32 and bf16
 * with a message naming what is missing. */
#include <string.h>

#include "common/backend.h"
#include "common/test.h"
#include "model/precision.h"

static char calls[256];
static int refuse_bf16;

static int rec_set_option(const char *name, const char *value, hrkd_error *err)
{
    size_t n = strlen(calls);
    snprintf(calls + n, sizeof calls - n, "%s%s=%s", n ? " " : "", name, value);
    if (refuse_bf16 && !strcmp(name, "bf16") && !strcmp(value, "true"))
        return hrkd_error_set(err, HRKD_STATUS_UNSUPPORTED, "no bf16 here") != HRKD_STATUS_OK;
    return 0;
}

int main(void)
{
    /* names */
    const char *names[] = {"backend", "fp32", "tf32", "bf16"};
    for (int i = 0; i < 4; i++) {
        CHECKF(hrkd_precision_parse(names[i]) == i, "%s", names[i]);
        CHECK(!strcmp(hrkd_precision_name(i), names[i]));
    }
    CHECK(hrkd_precision_parse("fp16") == -1 && hrkd_precision_parse(NULL) == -1);
    /* the shorthands: backend follows them (bf16 over tf32); a model's own value wins */
    CHECK(hrkd_precision_resolve(HRKD_PRECISION_BACKEND, 0, 0) == HRKD_PRECISION_FP32);
    CHECK(hrkd_precision_resolve(HRKD_PRECISION_BACKEND, 1, 0) == HRKD_PRECISION_TF32);
    CHECK(hrkd_precision_resolve(HRKD_PRECISION_BACKEND, 0, 1) == HRKD_PRECISION_BF16);
    CHECK(hrkd_precision_resolve(HRKD_PRECISION_BACKEND, 1, 1) == HRKD_PRECISION_BF16);
    CHECK(hrkd_precision_resolve(HRKD_PRECISION_FP32, 1, 1) == HRKD_PRECISION_FP32);
    CHECK(hrkd_precision_resolve(HRKD_PRECISION_TF32, 0, 1) == HRKD_PRECISION_TF32);
    CHECK(hrkd_precision_resolve(HRKD_PRECISION_BF16, 1, 0) == HRKD_PRECISION_BF16);

    /* the option calls: the other option off first, so the two are never on together */
    hrkd_kernels rec = {.name = "rec", .set_option = rec_set_option};
    hrkd_error err = {0};
    calls[0] = 0;
    CHECK(hrkd_precision_apply(&rec, HRKD_PRECISION_BF16, &err) == 0);
    CHECKF(!strcmp(calls, "tf32=false bf16=true"), "%s", calls);
    calls[0] = 0;
    CHECK(hrkd_precision_apply(&rec, HRKD_PRECISION_TF32, &err) == 0);
    CHECKF(!strcmp(calls, "bf16=false tf32=true"), "%s", calls);
    calls[0] = 0;
    CHECK(hrkd_precision_apply(&rec, HRKD_PRECISION_FP32, &err) == 0);
    CHECKF(!strcmp(calls, "tf32=false bf16=false"), "%s", calls);
    calls[0] = 0;
    CHECK(hrkd_precision_apply(&rec, HRKD_PRECISION_BACKEND, &err) == 0 && !calls[0]);
    refuse_bf16 = 1;
    CHECK(hrkd_precision_apply(&rec, HRKD_PRECISION_BF16, &err) != 0);
    CHECKF(strstr(err.msg, "no bf16 here") != NULL, "%s", err.msg);
    /* a backend without options: fp32 only */
    hrkd_kernels none = {.name = "none"};
    err = (hrkd_error){0};
    CHECK(hrkd_precision_apply(&none, HRKD_PRECISION_FP32, &err) == 0);
    CHECK(hrkd_precision_apply(&none, HRKD_PRECISION_BF16, &err) != 0 && strstr(err.msg, "none"));

    /* the CPU backend: fp32 only; bf16 names AVX512_BF16 */
    hrkd_backend *be = test_backend_open("cpu", 1);
    const hrkd_kernels *k = hrkd_backend_kernels(be);
    err = (hrkd_error){0};
    CHECKF(hrkd_precision_apply(k, HRKD_PRECISION_FP32, &err) == 0, "%s", err.msg);
    err = (hrkd_error){0};
    CHECK(hrkd_precision_apply(k, HRKD_PRECISION_BF16, &err) != 0);
    CHECKF(strstr(err.msg, "AVX512_BF16") != NULL, "%s", err.msg);
    err = (hrkd_error){0};
    CHECK(hrkd_precision_apply(k, HRKD_PRECISION_TF32, &err) != 0);
    CHECKF(strstr(err.msg, "TF32") != NULL, "%s", err.msg);
    hrkd_backend_unload(be);
    return test_finish("test_precision");
}
