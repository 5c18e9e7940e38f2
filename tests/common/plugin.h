/* tests/common/plugin.h — what the plugin oracle tests share: opening a bundled plugin with
 * dlopen and checking its descriptor, turning fixture records into tensors, and building the
 * hrkd_kd_inputs of a loss plugin from the records a fixture script wrote for it. */
#ifndef HRKD_TEST_PLUGIN_H
#define HRKD_TEST_PLUGIN_H

#include "common/fixture.h"
#include "hrkd/plugin.h"

/* dlopen $HRKD_BUILD/lib/hrkd/plugins/<name>.so; CHECKs that its descriptor has the magic,
 * ABI major, struct size, kind and name asked for and a create/destroy pair. The descriptor,
 * or NULL (why printed) when the file does not load or is of another kind. */
const hrkd_plugin_descriptor *test_open_plugin(const char *name, hrkd_plugin_kind kind, void **so);

/* The fixture record `name` (f32 or i32) as a tensor, requiring a gradient when grad != 0. */
hrkd_tensor *test_fx_tensor(hrkd_ctx *ctx, const fixture *fx, const char *name, int grad);

#define TEST_KD_MAXL 8

/* A loss plugin's inputs from records "<prefix>student_hidden.<m>", "<prefix>teacher_hidden.<m>"
 * (m = 0..M), "<prefix>student_attn.<m>", "<prefix>teacher_attn.<m>" (m = 1..M),
 * "<prefix>student_logits", "<prefix>teacher_logits" and "<prefix>mask"; student tensors
 * require gradients; layer map m -> 2m; domain 0. The caller fills in labels and whatever
 * else its plugin reads. */
typedef struct test_kd {
    hrkd_tensor   *sh[TEST_KD_MAXL], *th[TEST_KD_MAXL], *sa[TEST_KD_MAXL], *ta[TEST_KD_MAXL];
    hrkd_tensor   *sl, *tl, *mask;
    int            map[TEST_KD_MAXL];
    hrkd_kd_inputs in;
} test_kd;

void test_kd_from_fixture(hrkd_ctx *ctx, const fixture *fx, const char *prefix, int M, test_kd *x);

#endif
