/* tests/test_export_logits.c — an exported student loads in transformers and gives the same
 * logits as hrkd. A random 2-layer student with one head per domain is exported with
 * hrkd_hf_export (one folder per domain); hrkd's logits for random inputs of every domain head
 * are written beside them (hrkd_logits.fix), and tests/oracle/check_export_logits.py loads each
 * domain's folder with transformers' BertForSequenceClassification and BertTokenizer, checks
 * its label names and compares the logits to ≤ 1e-4 relative. Skips (77) when no python with
 * torch and transformers is found (scripts/hf_python.sh: $HRKD_HF_PYTHON, the export check's
 * virtual environment, or python3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backend.h"
#include "common/test.h"
#include "model/bert.h"
#include "store/store.h"

static void put(FILE *f, const char *name, int dtype, int ndim, const int64_t *shape, const void *data)
{
    uint32_t len = (uint32_t)strlen(name), dt = (uint32_t)dtype, nd = (uint32_t)ndim;
    int64_t n = 1;
    fwrite(&len, 4, 1, f); fwrite(name, 1, len, f); fwrite(&dt, 4, 1, f); fwrite(&nd, 4, 1, f);
    for (int d = 0; d < ndim; d++) { fwrite(&shape[d], 8, 1, f); n *= shape[d]; }
    fwrite(data, 4, (size_t)n, f);
}

int main(void)
{
    char py[512] = "";
    FILE *pf = popen("bash scripts/hf_python.sh 2>/dev/null", "r");
    if (pf) {
        if (!fgets(py, sizeof py, pf)) py[0] = 0;
        py[strcspn(py, "\n")] = 0;
        if (pclose(pf) != 0) py[0] = 0;
    }
    if (!py[0])
        test_skip("no python with torch, transformers and safetensors (make hf-venv: Debian's python3-torch "
                  "and the pinned transformers of scripts/hf-requirements.txt)");
    hrkd_error err = {0};
    hrkd_backend *be = test_backend_open("cpu", 1);
    const int D = 3, B = 4, T = 12;
    hrkd_bert_config c = hrkd_bert_config_default();
    c.layers = 2; c.hidden = 32; c.heads = 4; c.ffn = 64; c.vocab = 100; c.max_positions = 32;
    c.num_labels = 3; c.num_heads_cls = D; c.fit_dim = 48;
    hrkd_bert *m = hrkd_bert_create(be, &c, "student", 0, 0, &err);
    CHECKF(m != NULL, "%s", err.msg);
    if (!m) return test_finish("test_export_logits");
    hrkd_bert_init_weights(m, 5);
    /* non-trivial biases and LayerNorm parameters, so a mapping mistake would show */
    for (int i = 0; i < hrkd_params_count(m->params); i++)
        if (hrkd_params_info(m->params, i)->ndim == 1)
            hrkd_params_init_normal(m->params, i, strstr(hrkd_params_info(m->params, i)->name, "LayerNorm.weight") ? 1.0f : 0.0f, 0.1f, 9);
    char dir[] = "/tmp/hrkd_export_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char *names[3] = {"books", "dvd", "kitchen"};
    const char *labels[3] = {"contradiction", "entailment", "neutral"};
    hrkd_hf_export_info info = {0};
    info.cfg.layers = c.layers; info.cfg.hidden = c.hidden; info.cfg.heads = c.heads;
    info.cfg.intermediate = c.ffn; info.cfg.vocab = c.vocab; info.cfg.max_positions = c.max_positions;
    info.cfg.type_vocab = c.type_vocab; info.cfg.num_labels = c.num_labels;
    snprintf(info.cfg.hidden_act, sizeof info.cfg.hidden_act, "gelu");
    info.cfg.layer_norm_eps = c.layer_norm_eps;
    snprintf(info.cfg.model_type, sizeof info.cfg.model_type, "bert");
    info.n_domains = D;
    info.domains = names;
    info.label_names = labels;
    info.do_lower_case = 1;
    CHECKF(hrkd_hf_export(dir, m->params, &info, &err) == HRKD_STATUS_OK, "export: %s", err.msg);

    int32_t ids[B * T], types[B * T];
    float mask[B * T];
    for (int i = 0; i < B * T; i++) {
        ids[i] = (int32_t)(hrkd_rng_u64(3, (uint64_t)i) % (uint64_t)c.vocab);
        types[i] = (i % T) >= T / 2;
        mask[i] = (i % T) < T - (i / T) * 2 ? 1.0f : 0.0f;
    }
    hrkd_ctx *ctx = hrkd_ctx_create(be, &err);
    hrkd_ctx_set_grad(ctx, 0);
    int64_t bt[2] = {B, T};
    hrkd_bert_out o;
    hrkd_bert_forward(m, ctx, hrkd_tensor_from_host_i32(ctx, 2, bt, ids),
                      hrkd_tensor_from_host_i32(ctx, 2, bt, types), hrkd_tensor_from_host(ctx, 2, bt, mask), &o);
    char path[256];
    snprintf(path, sizeof path, "%s/hrkd_logits.fix", dir);
    FILE *f = fopen(path, "wb");
    uint32_t nrec = 3 + (uint32_t)D;
    fwrite("HRKDFIX1", 1, 8, f);
    fwrite(&nrec, 4, 1, f);
    put(f, "input/ids", 1, 2, bt, ids);
    put(f, "input/type", 1, 2, bt, types);
    put(f, "input/mask", 0, 2, bt, mask);
    for (int d = 0; d < D; d++) {
        float lg[B * 3];
        hrkd_tensor *l = hrkd_bert_classify(m, ctx, o.pooled, d);
        CHECK(l && hrkd_tensor_to_host(ctx, l, lg) == 0);
        char name[32];
        snprintf(name, sizeof name, "logits/%d", d);
        int64_t s2[2] = {B, c.num_labels};
        put(f, name, 0, 2, s2, lg);
    }
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s tests/oracle/check_export_logits.py %s contradiction,entailment,neutral books dvd kitchen",
             py, dir);
    int rc = system(cmd);
    CHECKF(rc == 0, "transformers disagrees with hrkd on the exported student (exit %d)", rc);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    hrkd_ctx_destroy(ctx);
    hrkd_bert_destroy(m);
    hrkd_backend_unload(be);
    return test_finish("test_export_logits");
}
