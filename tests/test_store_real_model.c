/* tests/test_store_real_model.c — a real pretrained BERT imports and its forward matches
 * transformers' BertModel to ≤ 1e-4 relative (every hidden state).
 *
 * Weights are never committed: the test skips unless $HRKD_REAL_MODEL_DIR names a Hugging Face
 * folder prepared as described in tests/oracle/make_real_model_fixture.py (which also writes
 * the reference DIR/hrkd_forward.fix). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backend.h"
#include "common/fixture.h"
#include "common/test.h"
#include "model/bert.h"
#include "store/store.h"

int main(void)
{
    const char *dir = getenv("HRKD_REAL_MODEL_DIR");
    if (!dir || !*dir) test_skip("set HRKD_REAL_MODEL_DIR to a BERT folder (see tests/oracle/make_real_model_fixture.py)");
    hrkd_error err = {0};
    hrkd_backend *be = test_backend_open("cpu", 0);
    hrkd_hf_config hc;
    CHECKF(hrkd_hf_read_config(dir, &hc, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hrkd_bert_config bc;
    hrkd_hf_to_bert_config(&hc, &bc);
    bc.num_heads_cls = 0;
    bc.dropout = bc.attn_dropout = 0;
    hrkd_bert *m = hrkd_bert_create(be, &bc, "teacher", 0, 0, &err);
    CHECKF(m != NULL, "%s", err.msg);
    if (!m) return test_finish("test_store_real_model");
    hrkd_import_report rep;
    CHECKF(hrkd_hf_import(dir, m->params, NULL, &rep, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hrkd_import_report_log(&rep, dir);
    CHECKF(rep.n_missing == 0, "%d parameters missing", rep.n_missing);
    CHECKF(rep.n_loaded == hrkd_params_count(m->params), "loaded %d of %d", rep.n_loaded, hrkd_params_count(m->params));
    printf("%s: %d layers, hidden %d, %d tensors imported, %d unused\n", dir, hc.layers, hc.hidden, rep.n_loaded,
           rep.n_unused);
    hrkd_import_report_free(&rep);

    char path[4096];
    snprintf(path, sizeof path, "%s/hrkd_forward.fix", dir);
    fixture *fx = fixture_load(path);
    CHECKF(fx != NULL, "%s missing: run tests/oracle/make_real_model_fixture.py %s", path, dir);
    if (fx) {
        const fixture_tensor *ids = fixture_need(fx, "input/ids"), *typ = fixture_need(fx, "input/type"),
                             *mask = fixture_need(fx, "input/mask");
        int64_t B = ids->shape[0], T = ids->shape[1], C = hc.hidden;
        hrkd_ctx *ctx = hrkd_ctx_create(be, &err);
        hrkd_ctx_set_training(ctx, 0);
        hrkd_ctx_set_grad(ctx, 0);
        int64_t shape[2] = {B, T};
        hrkd_tensor *ti = hrkd_tensor_from_host_i32(ctx, 2, shape, ids->data);
        hrkd_tensor *tt = hrkd_tensor_from_host_i32(ctx, 2, shape, typ->data);
        hrkd_tensor *tm = hrkd_tensor_from_host(ctx, 2, shape, mask->data);
        hrkd_bert_out o;
        int rc = hrkd_bert_forward(m, ctx, ti, tt, tm, &o);
        CHECKF(rc == 0 && !hrkd_ctx_failed(ctx), "forward: %s", hrkd_ctx_error(ctx)->msg);
        float *buf = malloc((size_t)(B * T * C) * sizeof *buf);
        double worst = 0;
        for (int l = 0; rc == 0 && l <= hc.layers; l++) {
            char name[64];
            snprintf(name, sizeof name, "out/hidden/%d", l);
            hrkd_tensor_to_host(ctx, o.hidden[l], buf);
            double rel = test_rel_err(buf, fixture_need(fx, name)->data, (long)(B * T * C));
            if (rel > worst) worst = rel;
            CHECKF(rel <= 1e-4, "%s: relative error %.3g > 1e-4", name, rel);
        }
        printf("forward vs transformers: worst relative error %.3g over %d hidden states\n", worst, hc.layers + 1);
        free(buf);
        hrkd_ctx_destroy(ctx);
        fixture_free(fx);
    }
    hrkd_bert_destroy(m);
    hrkd_backend_unload(be);
    return test_finish("test_store_real_model");
}
