/* tests/test_store_formats.c — checkpoint files in and out: the JSON reader, safetensors round
 * trip and lying headers, f16/bf16 conversion against torch's own widening, the torch.save
 * .bin reader (fixture values exact, forbidden globals and opcodes refused, truncations
 * refused), Hugging Face import name mapping and reports, and export → re-import identity.
 * Fixtures: tests/fixtures/store/ (tests/oracle/make_store_fixtures.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/backend.h"
#include "common/fixture.h"
#include "common/test.h"
#include "model/bert.h"
#include "store/store.h"

#define FIXDIR "tests/fixtures/store"

static hrkd_backend *g_be;
static fixture *g_fx;

/* ---- JSON ---- */
static void test_json(void)
{
    hrkd_error err = {0};
    const char *ok = "{\"a\": [1, -2.5e3, true, null], \"b\": \"x\\u00e9\\ud83d\\ude00\\n\", \"c\": 18446744073}";
    hrkd_json *j = hrkd_json_parse(ok, strlen(ok), "ok.json", &err);
    CHECKF(j != NULL, "%s", err.msg);
    if (j) {
        const hrkd_json *a = hrkd_json_get(j, "a"), *b = hrkd_json_get(j, "b"), *c = hrkd_json_get(j, "c");
        CHECK(a && a->kind == HRKD_JSON_ARRAY && a->len == 4);
        CHECK(a && a->child->is_int && a->child->i == 1 && a->child->next->num == -2500.0);
        CHECK(b && strcmp(b->str, "x\xc3\xa9\xf0\x9f\x98\x80\n") == 0);
        CHECK(c && c->is_int && c->i == 18446744073LL);
        hrkd_json_free(j);
    }
    static const struct { const char *text, *msg; } bad[] = {
        {"{\"a\": 1,}", "expected a string key"},
        {"[1, 2", "expected ',' or ']'"},
        {"{\"a\": 1, \"a\": 2}", "duplicate"},
        {"{\"a\": NaN}", "expected a value"},
        {"\"\\ud800\"", "unpaired surrogate"},
        {"{} x", "trailing characters"},
        {"{\n\"a\":\n01}", "bad.json:3:"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        hrkd_error_clear(&err);
        j = hrkd_json_parse(bad[k].text, strlen(bad[k].text), "bad.json", &err);
        CHECKF(j == NULL && strstr(err.msg, bad[k].msg), "case %zu: got '%s', want '%s'", k, err.msg, bad[k].msg);
        hrkd_json_free(j);
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    hrkd_error_clear(&err);
    j = hrkd_json_parse(deep, sizeof deep, "deep.json", &err);
    CHECKF(j == NULL && strstr(err.msg, "nesting too deep"), "%s", err.msg);
}

/* ---- half precision ---- */
static void test_half(void)
{
    CHECK(hrkd_f16_to_f32(0x3C00) == 1.0f);
    CHECK(hrkd_f16_to_f32(0xC000) == -2.0f);
    CHECK(hrkd_f16_to_f32(0x7BFF) == 65504.0f);
    CHECK(hrkd_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    CHECK(hrkd_f16_to_f32(0x03FF) == ldexpf(1023.0f, -24)); /* largest subnormal */
    CHECK(hrkd_f16_to_f32(0x0400) == ldexpf(1.0f, -14));
    CHECK(signbit(hrkd_f16_to_f32(0x8000)) && hrkd_f16_to_f32(0x8000) == 0.0f);
    CHECK(isinf(hrkd_f16_to_f32(0x7C00)) && isnan(hrkd_f16_to_f32(0x7E00)));
    CHECK(hrkd_bf16_to_f32(0x3F80) == 1.0f && hrkd_bf16_to_f32(0xC0A0) == -5.0f);
}

/* every tensor of the set must equal fixture record prefix+name byte for byte */
static void check_set_against(const hrkd_tensor_set *ts, const char *prefix, const char *what)
{
    int compared = 0;
    for (int i = 0; i < ts->n; i++) {
        char key[600];
        snprintf(key, sizeof key, "%s%s", prefix, ts->t[i].name);
        const fixture_tensor *ft = fixture_get(g_fx, key);
        CHECKF(ft != NULL, "%s: %s not in the fixture", what, key);
        if (!ft) continue;
        CHECKF(ft->numel == ts->t[i].numel && ts->t[i].data &&
                   memcmp(ft->data, ts->t[i].data, (size_t)ft->numel * 4) == 0,
               "%s: %s differs", what, key);
        CHECK(ft->ndim == ts->t[i].ndim);
        compared++;
    }
    CHECKF(compared >= 20, "%s: only %d tensors", what, compared);
}

static void test_fixture_files(void)
{
    hrkd_error err = {0};
    hrkd_tensor_set ts;
    static const struct { const char *file, *prefix; int bin; hrkd_file_dtype dt; } files[] = {
        {FIXDIR "/tiny_cls/model.safetensors", "f32/", 0, HRKD_FILE_F32},
        {FIXDIR "/tiny_cls_bin/pytorch_model.bin", "f32/", 1, HRKD_FILE_F32},
        {FIXDIR "/tiny_model_f16.safetensors", "f16/", 0, HRKD_FILE_F16},
        {FIXDIR "/tiny_model_bf16.safetensors", "bf16/", 0, HRKD_FILE_BF16},
        {FIXDIR "/tiny_model_f16.bin", "f16/", 1, HRKD_FILE_F16},
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        hrkd_error_clear(&err);
        hrkd_status st = files[k].bin ? hrkd_torchbin_load(files[k].file, &ts, &err)
                                      : hrkd_safetensors_load(files[k].file, &ts, &err);
        CHECKF(st == HRKD_STATUS_OK, "%s: %s", files[k].file, err.msg);
        if (st != HRKD_STATUS_OK) continue;
        CHECK(ts.n > 0 && ts.t[0].dtype == files[k].dt);
        check_set_against(&ts, files[k].prefix, files[k].file);
        hrkd_tensor_set_free(&ts);
    }
}

/* ---- safetensors writer round trip ---- */
static void test_safetensors_roundtrip(void)
{
    hrkd_error err = {0};
    hrkd_tensor_set ts = {0};
    float a[24];
    uint32_t specials[] = {0x80000000u, 0x00000001u, 0x7F800000u, 0x7FC01234u, 0xFF800000u, 0x3F800000u};
    for (int i = 0; i < 24; i++) a[i] = sinf((float)i * 1.7f) * 1e3f;
    memcpy(a, specials, sizeof specials); /* -0, denormal, inf, NaN payload, -inf, 1 */
    int64_t s1[3] = {2, 3, 4}, s2[1] = {5}, s3[1] = {0};
    CHECK(hrkd_tensor_set_add(&ts, "encoder.layer.0.x", 3, s1, a, &err) == HRKD_STATUS_OK);
    CHECK(hrkd_tensor_set_add(&ts, "odd \"name\"\\", 1, s2, a + 3, &err) == HRKD_STATUS_OK);
    CHECK(hrkd_tensor_set_add(&ts, "empty", 1, s3, a, &err) == HRKD_STATUS_OK);
    CHECK(hrkd_tensor_set_add(&ts, "scalar", 0, s3, a + 5, &err) == HRKD_STATUS_OK);
    char path[128];
    snprintf(path, sizeof path, "/tmp/hrkd_test_store_rt_%d.safetensors", (int)getpid());
    CHECKF(hrkd_safetensors_save(path, &ts, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hrkd_tensor_set back;
    CHECKF(hrkd_safetensors_load(path, &back, &err) == HRKD_STATUS_OK, "%s", err.msg);
    CHECK(back.n == ts.n);
    for (int i = 0; i < ts.n && i < back.n; i++) {
        int j = hrkd_tensor_set_find(&back, ts.t[i].name);
        CHECKF(j >= 0, "%s lost", ts.t[i].name);
        if (j < 0) continue;
        CHECK(back.t[j].ndim == ts.t[i].ndim && back.t[j].numel == ts.t[i].numel);
        CHECKF(memcmp(back.t[j].data, ts.t[i].data, (size_t)ts.t[i].numel * 4) == 0, "%s bytes differ",
               ts.t[i].name);
    }
    /* data block 8-byte aligned */
    uint8_t *buf;
    size_t len;
    CHECK(hrkd_file_read_all(path, 1 << 20, &buf, &len, &err) == HRKD_STATUS_OK);
    uint64_t hl = 0;
    for (int k = 7; k >= 0; k--) hl = (hl << 8) | buf[k];
    CHECK((8 + hl) % 8 == 0);
    free(buf);
    hrkd_tensor_set_free(&back);
    hrkd_tensor_set_free(&ts);
    remove(path);
}

/* ---- lying safetensors headers ---- */
static hrkd_status parse_crafted(const char *header, uint64_t claimed_len, size_t data_bytes,
                                 hrkd_error *err)
{
    size_t hl = strlen(header), len = 8 + hl + data_bytes;
    uint8_t *buf = calloc(len, 1);
    uint64_t cl = claimed_len ? claimed_len : hl;
    for (int k = 0; k < 8; k++) buf[k] = (uint8_t)(cl >> (8 * k));
    memcpy(buf + 8, header, hl);
    hrkd_tensor_set ts;
    hrkd_status st = hrkd_safetensors_parse(buf, len, "lie.safetensors", &ts, err);
    if (st == HRKD_STATUS_OK) hrkd_tensor_set_free(&ts);
    free(buf);
    return st;
}

static void test_lying_headers(void)
{
    static const struct { const char *header; uint64_t claimed; size_t data; const char *msg; } cases[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 0, 4, "run past the end of the data"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 0, 12, "overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 0, 8, "overflows"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000],\"data_offsets\":[0,8]}}", 0, 8, "need 4000000000"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 0, 4, "non-negative integers"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 0, 4, "two non-negative integers"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 0, 8, "begin after end"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 0, 8, "need 12"},
        {"{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 0, 1, "unsupported dtype F8_E4M3"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],}}", 0, 4, "JSON"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 1000, 4, "runs past the end of the file"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 1ull << 40, 4, "100 MB"},
        {"{\"a\":{\"dtype\":\"F32\"}}", 0, 0, "expected an object with dtype"},
        {"[]", 0, 0, "not a JSON object"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        hrkd_error err = {0};
        hrkd_status st = parse_crafted(cases[k].header, cases[k].claimed, cases[k].data, &err);
        CHECKF(st == HRKD_STATUS_INVALID && strstr(err.msg, cases[k].msg),
               "case %zu: status %d, message '%s', want '%s'", k, st, err.msg, cases[k].msg);
        CHECKF(strncmp(err.msg, "lie.safetensors", 15) == 0, "case %zu: message must name the file: %s", k, err.msg);
    }
    hrkd_error err = {0};
    CHECK(parse_crafted("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4, &err) == HRKD_STATUS_OK);
    uint8_t tiny[5] = {1, 0, 0, 0, 0};
    hrkd_tensor_set ts;
    CHECK(hrkd_safetensors_parse(tiny, sizeof tiny, "t", &ts, &err) == HRKD_STATUS_INVALID);
}

/* ---- hostile .bin files ---- */
static void test_bad_bins(void)
{
    hrkd_error err = {0};
    hrkd_tensor_set ts;
    CHECK(hrkd_torchbin_load(FIXDIR "/bad_global.bin", &ts, &err) == HRKD_STATUS_INVALID);
    CHECKF(strstr(err.msg, "refusing global os.system"), "%s", err.msg);
    hrkd_error_clear(&err);
    CHECK(hrkd_torchbin_load(FIXDIR "/bad_opcode.bin", &ts, &err) == HRKD_STATUS_INVALID);
    CHECKF(strstr(err.msg, "bad_opcode.bin: unsupported pickle opcode 0x5d at offset 2"), "%s", err.msg);
    /* every truncation of a real file is refused */
    uint8_t *buf;
    size_t len;
    CHECK(hrkd_file_read_all(FIXDIR "/tiny_cls_bin/pytorch_model.bin", 1 << 24, &buf, &len, &err) == HRKD_STATUS_OK);
    int refused = 0, tried = 0;
    for (size_t cut = 0; cut < len; cut += 61) {
        hrkd_error e2 = {0};
        tried++;
        if (hrkd_torchbin_parse(buf, cut, "cut.bin", &ts, &e2) != HRKD_STATUS_OK && e2.msg[0]) refused++;
        else hrkd_tensor_set_free(&ts);
    }
    CHECKF(refused == tried, "%d of %d truncations refused", refused, tried);
    /* flipped bytes anywhere: must not crash (ASan build), whatever the verdict */
    uint8_t *mut = malloc(len);
    for (size_t pos = 0; pos < len; pos += 7) {
        memcpy(mut, buf, len);
        mut[pos] ^= 0xA5;
        hrkd_error e2 = {0};
        if (hrkd_torchbin_parse(mut, len, "flip.bin", &ts, &e2) == HRKD_STATUS_OK) hrkd_tensor_set_free(&ts);
    }
    free(mut);
    /* a legacy (pre-1.6) pickle is named as such */
    uint8_t legacy[16] = {0x80, 0x02, 0x8a, 0x0a};
    hrkd_error_clear(&err);
    CHECK(hrkd_torchbin_parse(legacy, sizeof legacy, "old.bin", &ts, &err) == HRKD_STATUS_UNSUPPORTED);
    CHECKF(strstr(err.msg, "legacy"), "%s", err.msg);
    free(buf);
}

/* ---- import / export ---- */
static hrkd_bert *make_model(const char *dir, int heads_cls, int fit_dim, int vocab_delta)
{
    hrkd_error err = {0};
    hrkd_hf_config hc;
    CHECKF(hrkd_hf_read_config(dir, &hc, &err) == HRKD_STATUS_OK, "%s", err.msg);
    hrkd_bert_config bc;
    hrkd_hf_to_bert_config(&hc, &bc);
    bc.num_heads_cls = heads_cls;
    bc.fit_dim = fit_dim;
    bc.vocab += vocab_delta;
    hrkd_bert *m = hrkd_bert_create(g_be, &bc, "student", 0, 0, &err);
    CHECKF(m != NULL, "%s", err.msg);
    return m;
}

static void check_param(hrkd_params *p, const char *name, const char *fixname)
{
    int i = hrkd_params_find(p, name);
    const fixture_tensor *ft = fixture_get(g_fx, fixname);
    CHECKF(i >= 0 && ft, "%s / %s", name, fixname);
    if (i < 0 || !ft) return;
    float *buf = malloc((size_t)ft->numel * 4);
    hrkd_params_read(p, i, buf);
    CHECKF(memcmp(buf, ft->data, (size_t)ft->numel * 4) == 0, "%s differs from %s", name, fixname);
    free(buf);
}

static void test_import_export(void)
{
    char out[64];
    CHECK(hrkd_hf_map_name("bert.encoder.layer.0.attention.output.LayerNorm.gamma", out, sizeof out) == HRKD_HF_MAP_PARAM &&
          strcmp(out, "encoder.layer.0.attention.output.LayerNorm.weight") == 0);
    CHECK(hrkd_hf_map_name("embeddings.LayerNorm.beta", out, sizeof out) == HRKD_HF_MAP_PARAM &&
          strcmp(out, "embeddings.LayerNorm.bias") == 0);
    CHECK(hrkd_hf_map_name("classifier.bias", out, sizeof out) == HRKD_HF_MAP_CLASSIFIER && strcmp(out, "bias") == 0);
    CHECK(hrkd_hf_map_name("cls.predictions.decoder.weight", out, sizeof out) == HRKD_HF_MAP_UNUSED);
    CHECK(hrkd_hf_map_name("bert.embeddings.position_ids", out, sizeof out) == HRKD_HF_MAP_UNUSED);
    CHECK(hrkd_hf_map_name("fit_dense.weight", out, sizeof out) == HRKD_HF_MAP_FIT_SINGLE);
    CHECK(hrkd_hf_map_name("fit_denses.3.weight", out, sizeof out) == HRKD_HF_MAP_PARAM &&
          strcmp(out, "fit_denses.3.weight") == 0);

    hrkd_error err = {0};
    const char *dirs[2] = {FIXDIR "/tiny_cls", FIXDIR "/tiny_cls_bin"};
    for (int k = 0; k < 2; k++) {
        hrkd_bert *m = make_model(dirs[k], 2, 0, 0);
        if (!m) return;
        hrkd_import_report rep;
        hrkd_hf_config hc;
        hrkd_error_clear(&err);
        CHECKF(hrkd_hf_import(dirs[k], m->params, &hc, &rep, &err) == HRKD_STATUS_OK, "%s", err.msg);
        CHECK(hc.layers == 2 && hc.hidden == 8 && hc.heads == 2 && hc.intermediate == 16 && hc.vocab == 30 &&
              hc.max_positions == 16 && hc.type_vocab == 2 && hc.num_labels == 3 && hc.layer_norm_eps == 1e-12f &&
              strcmp(hc.hidden_act, "gelu") == 0);
        CHECKF(rep.n_missing == 0 && rep.n_unused == 0 && rep.n_notes == 2, "missing %d unused %d notes %d",
               rep.n_missing, rep.n_unused, rep.n_notes);
        CHECK(rep.n_notes == 2 && strstr(rep.notes[0], "copied into the 2 domain heads classifiers.{0..1}"));
        hrkd_import_report_free(&rep);
        check_param(m->params, "embeddings.word_embeddings.weight", "f32/bert.embeddings.word_embeddings.weight");
        check_param(m->params, "encoder.layer.1.output.LayerNorm.bias", "f32/bert.encoder.layer.1.output.LayerNorm.bias");
        check_param(m->params, "pooler.dense.weight", "f32/bert.pooler.dense.weight");
        check_param(m->params, "classifiers.0.weight", "f32/classifier.weight");
        check_param(m->params, "classifiers.1.bias", "f32/classifier.bias");

        if (k == 0) {
            /* export, then import each domain's folder into a fresh model: the encoder and that
             * domain's head come back bit for bit (head 1 made different from head 0 first) */
            for (int i = 0; i < hrkd_params_count(m->params); i++)
                if (strncmp(hrkd_params_info(m->params, i)->name, "classifiers.1.", 14) == 0)
                    hrkd_params_init_normal(m->params, i, 0.0f, 0.5f, 3);
            const char *dom[2] = {"books", "dvd"};
            const char *labels[3] = {"contradiction", "entailment", "neutral"};
            hrkd_hf_export_info info = {.n_domains = 2, .domains = dom, .label_names = labels,
                                        .vocab_path = FIXDIR "/tiny_cls/vocab.txt", .do_lower_case = 1};
            info.cfg = hc;
            char xdir[128], sub[192], path[256];
            snprintf(xdir, sizeof xdir, "/tmp/hrkd_test_store_export_%d", (int)getpid());
            hrkd_error_clear(&err);
            CHECKF(hrkd_hf_export(xdir, m->params, &info, &err) == HRKD_STATUS_OK, "%s", err.msg);
            snprintf(path, sizeof path, "%s/README.md", xdir);
            CHECK(access(path, R_OK) == 0);
            for (int d = 0; d < 2; d++) {
                snprintf(sub, sizeof sub, "%s/%s", xdir, dom[d]);
                static const char *files[4] = {"model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json"};
                for (int q = 0; q < 4; q++) {
                    snprintf(path, sizeof path, "%s/%s", sub, files[q]);
                    CHECKF(access(path, R_OK) == 0, "%s missing", path);
                }
                hrkd_hf_config xc;
                CHECKF(hrkd_hf_read_config(sub, &xc, &err) == HRKD_STATUS_OK, "%s", err.msg);
                snprintf(path, sizeof path, "%s/config.json", sub);
                FILE *cf = fopen(path, "r");
                char text[4096] = "";
                if (cf) { size_t nr = fread(text, 1, sizeof text - 1, cf); text[nr] = 0; fclose(cf); }
                CHECKF(strstr(text, "\"id2label\": {\"0\": \"contradiction\", \"1\": \"entailment\", \"2\": \"neutral\"}") &&
                       strstr(text, "\"label2id\": {\"contradiction\": 0, \"entailment\": 1, \"neutral\": 2}"),
                       "labels in %s:\n%s", path, text);
                char want[64];
                snprintf(want, sizeof want, "\"hrkd_domain\": \"%s\"", dom[d]);
                CHECKF(strstr(text, want) != NULL, "%s in %s", want, path);
                hrkd_tensor_set ts;
                snprintf(path, sizeof path, "%s/model.safetensors", sub);
                CHECK(hrkd_safetensors_load(path, &ts, &err) == HRKD_STATUS_OK);
                CHECK(hrkd_tensor_set_find(&ts, "bert.embeddings.word_embeddings.weight") >= 0);
                CHECK(hrkd_tensor_set_find(&ts, "classifier.weight") >= 0);
                CHECK(hrkd_tensor_set_find(&ts, "classifiers.0.weight") < 0);
                hrkd_tensor_set_free(&ts);
                hrkd_bert *m2 = make_model(sub, 2, 0, 0);
                if (!m2) continue;
                CHECKF(hrkd_hf_import(sub, m2->params, NULL, &rep, &err) == HRKD_STATUS_OK, "%s", err.msg);
                CHECKF(rep.n_missing == 0 && rep.n_unused == 0, "missing %d unused %d", rep.n_missing, rep.n_unused);
                hrkd_import_report_free(&rep);
                for (int i = 0; i < hrkd_params_count(m2->params); i++) {
                    const hrkd_param_info *pi = hrkd_params_info(m2->params, i);
                    char src[256];
                    if (strncmp(pi->name, "classifiers.", 12) == 0)
                        snprintf(src, sizeof src, "classifiers.%d%s", d, strchr(pi->name + 12, '.'));
                    else
                        snprintf(src, sizeof src, "%s", pi->name);
                    int j = hrkd_params_find(m->params, src);
                    CHECKF(j >= 0, "%s", src);
                    if (j < 0) continue;
                    float *a = malloc((size_t)pi->numel * 4), *b = malloc((size_t)pi->numel * 4);
                    hrkd_params_read(m2->params, i, a);
                    hrkd_params_read(m->params, j, b);
                    CHECKF(memcmp(a, b, (size_t)pi->numel * 4) == 0, "%s/%s differs from %s", dom[d], pi->name, src);
                    free(a);
                    free(b);
                }
                hrkd_bert_destroy(m2);
            }
            char cmd[192];
            snprintf(cmd, sizeof cmd, "rm -rf %s", xdir);
            if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", xdir);
        }
        hrkd_bert_destroy(m);
    }

    /* TinyBERT general distillation: fit_dense is not per layer; cls.* unused */
    hrkd_bert *m = make_model(FIXDIR "/tiny_cls", 1, 12, 0);
    if (m) {
        hrkd_tensor_set ts;
        CHECK(hrkd_safetensors_load(FIXDIR "/tinybert_general.safetensors", &ts, &err) == HRKD_STATUS_OK);
        hrkd_import_report rep;
        CHECKF(hrkd_hf_import_set(&ts, "general.safetensors", m->params, &rep, &err) == HRKD_STATUS_OK, "%s", err.msg);
        /* missing: fit_denses.{0,1,2}.{weight,bias} and classifiers.0.{weight,bias} */
        CHECKF(rep.n_missing == 8 && rep.n_unused == 3 && rep.n_notes == 1, "missing %d unused %d notes %d",
               rep.n_missing, rep.n_unused, rep.n_notes);
        CHECK(rep.n_notes == 1 && strstr(rep.notes[0], "fit_dense is one projection"));
        hrkd_import_report_free(&rep);
        hrkd_tensor_set_free(&ts);
        hrkd_bert_destroy(m);
    }
    /* shape mismatch names tensor, file and both shapes */
    m = make_model(FIXDIR "/tiny_cls", 1, 0, 1);
    if (m) {
        hrkd_import_report rep;
        hrkd_error_clear(&err);
        CHECK(hrkd_hf_import(FIXDIR "/tiny_cls", m->params, NULL, &rep, &err) == HRKD_STATUS_INVALID);
        CHECKF(strstr(err.msg, "model.safetensors: tensor 'bert.embeddings.word_embeddings.weight' has shape [30, 8] "
                               "but model parameter 'embeddings.word_embeddings.weight' has shape [31, 8]"),
               "%s", err.msg);
        hrkd_bert_destroy(m);
    }
    hrkd_import_report rep;
    hrkd_error_clear(&err);
    CHECK(hrkd_hf_import("/nonexistent/dir", NULL, NULL, &rep, &err) == HRKD_STATUS_IO);
    CHECKF(strstr(err.msg, "/nonexistent/dir/config.json: cannot open"), "%s", err.msg);
}

int main(void)
{
    g_fx = fixture_load(FIXDIR "/expected.fix");
    if (!g_fx) return 1;
    g_be = test_backend_open("cpu", 1);
    test_json();
    test_half();
    test_fixture_files();
    test_safetensors_roundtrip();
    test_lying_headers();
    test_bad_bins();
    test_import_export();
    hrkd_backend_unload(g_be);
    fixture_free(g_fx);
    return test_finish("test_store_formats");
}
