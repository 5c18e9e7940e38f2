/* tests/test_engine_errors.c — bad input to the engine is refused with a message, never a
 * crash: inconsistent model configs name the field; ops given mismatched shapes name the op
 * and both shapes; errors are sticky so a graph built on a failed op returns NULL. */
#include <stdio.h>
#include <string.h>

#include "common/backend.h"
#include "common/test.h"
#include "model/bert.h"

static void expect_config(hrkd_bert_config c, const char *needle)
{
    hrkd_error err = {0};
    hrkd_status st = hrkd_bert_config_check(&c, &err);
    CHECKF(st == HRKD_STATUS_INVALID && strstr(err.msg, needle), "expected '%s', got '%s'",
           needle, err.msg);
}

static void expect_fail(hrkd_ctx *ctx, hrkd_tensor *t, const char *needle)
{
    CHECKF(t == NULL && hrkd_ctx_failed(ctx) && strstr(hrkd_ctx_error(ctx)->msg, needle),
           "expected failure '%s', got %s '%s'", needle, t ? "a tensor" : "NULL",
           hrkd_ctx_error(ctx)->msg);
    hrkd_ctx_clear_error(ctx);
}

int main(void)
{
    hrkd_bert_config ok = hrkd_bert_config_default(), c;
    hrkd_error err = {0};
    CHECK(hrkd_bert_config_check(&ok, &err) == HRKD_STATUS_OK);
    c = ok; c.hidden = 100; c.heads = 12; expect_config(c, "hidden = 100 is not divisible by heads = 12");
    c = ok; c.layers = 0; expect_config(c, "layers = 0, must be > 0");
    c = ok; c.heads = 0; expect_config(c, "heads = 0, must be > 0");
    c = ok; c.vocab = -3; expect_config(c, "vocab = -3, must be > 0");
    c = ok; c.ffn = 0; expect_config(c, "ffn = 0, must be > 0");
    c = ok; c.dropout = 1.5f; expect_config(c, "dropout must be in [0, 1)");

    hrkd_backend *be = test_backend_open("cpu", 1);
    /* the model constructor refuses too, naming the field */
    c = ok; c.hidden = 100;
    hrkd_bert *m = hrkd_bert_create(be, &c, "bad", 0, 0, &err);
    CHECK(m == NULL && strstr(err.msg, "not divisible by heads"));

    hrkd_ctx *ctx = hrkd_ctx_create(be, &err);
    int64_t s23[2] = {2, 3}, s34[2] = {3, 4}, s24[2] = {2, 4}, s5[1] = {5}, s3[1] = {3};
    hrkd_tensor *a = hrkd_tensor_zeros(ctx, 2, s23), *b = hrkd_tensor_zeros(ctx, 2, s34);
    hrkd_tensor *d = hrkd_tensor_zeros(ctx, 2, s24), *v5 = hrkd_tensor_zeros(ctx, 1, s5);
    expect_fail(ctx, hrkd_add(ctx, a, b), "add: shapes [2, 3] and [3, 4] do not match");
    expect_fail(ctx, hrkd_mul(ctx, a, v5), "mul: shapes [2, 3] and [5]");
    expect_fail(ctx, hrkd_matmul(ctx, a, d, 0, 0, 1.0f), "matmul: inner sizes differ: [2, 3] x [2, 4]");
    expect_fail(ctx, hrkd_linear(ctx, a, b, NULL), "linear: input [2, 3] does not fit weight [3, 4]");
    expect_fail(ctx, hrkd_mse(ctx, a, d), "mse: shapes [2, 3] and [2, 4] differ");
    expect_fail(ctx, hrkd_layernorm(ctx, a, v5, v5, 1e-5f), "layernorm: input [2, 3], weight [5]");
    expect_fail(ctx, hrkd_reshape(ctx, a, 1, s5), "reshape: cannot view [2, 3] as [5]");
    expect_fail(ctx, hrkd_slice(ctx, a, 1, 2, 2), "slice: [2, 4) along axis 1 out of range for [2, 3]");
    int32_t bad_ids[3] = {0, 7, 1};
    hrkd_tensor *ids = hrkd_tensor_from_host_i32(ctx, 1, s3, bad_ids);
    expect_fail(ctx, hrkd_embedding(ctx, b, ids), "embedding: id 7 at position 1 outside [0, 3)");
    int32_t bad_labels[2] = {0, 9};
    int64_t s2[1] = {2};
    expect_fail(ctx, hrkd_cross_entropy(ctx, a, hrkd_tensor_from_host_i32(ctx, 1, s2, bad_labels)),
                "cross_entropy: label 9 at row 1 outside [0, 3)");
    /* sticky errors: everything built on a failure is NULL, and the first message survives */
    hrkd_tensor *x = hrkd_add(ctx, a, b);
    hrkd_tensor *y = hrkd_tanh(ctx, x);
    hrkd_tensor *z = hrkd_scale(ctx, a, 2.0f);
    CHECK(x == NULL && y == NULL && z == NULL);
    CHECK(strstr(hrkd_ctx_error(ctx)->msg, "add: shapes") != NULL);
    hrkd_ctx_clear_error(ctx);
    CHECK(hrkd_backward(ctx, hrkd_scale(ctx, a, 1.0f)) != HRKD_STATUS_OK); /* no grad */
    hrkd_ctx_clear_error(ctx);
    CHECK(hrkd_backward(ctx, a) != HRKD_STATUS_OK && strstr(hrkd_ctx_error(ctx)->msg, "one element"));
    hrkd_ctx_destroy(ctx);
    /* an unknown backend is a clear error */
    hrkd_error e2 = {0};
    hrkd_backend *nb = NULL;
    CHECK(hrkd_backend_load("nosuch", 1, &nb, &e2) == HRKD_STATUS_NOT_FOUND &&
          strstr(e2.msg, "backend 'nosuch' not found"));
    hrkd_backend_unload(be);
    return test_finish("test_engine_errors");
}
