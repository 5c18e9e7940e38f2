/* tests/common/plugin.c — see plugin.h */
#include "common/plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "common/test.h"

const hrkd_plugin_descriptor *test_open_plugin(const char *name, hrkd_plugin_kind kind, void **so)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lib/hrkd/plugins/%s.so", test_build_dir(), name);
    *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*so) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return NULL;
    }
    hrkd_plugin_entry_fn entry;
    *(void **)&entry = dlsym(*so, HRKD_PLUGIN_ENTRY);
    const hrkd_plugin_descriptor *d = entry ? entry() : NULL;
    CHECKF(d && d->magic == HRKD_PLUGIN_MAGIC && d->abi_major == HRKD_PLUGIN_ABI_MAJOR &&
           d->struct_size == sizeof *d && d->kind == kind && strcmp(d->name, name) == 0 &&
           d->create && d->destroy, "descriptor of %s", path);
    return d && d->kind == kind ? d : NULL;
}

hrkd_tensor *test_fx_tensor(hrkd_ctx *ctx, const fixture *fx, const char *name, int grad)
{
    const fixture_tensor *t = fixture_need(fx, name);
    hrkd_tensor *x = t->dtype == 1 ? hrkd_tensor_from_host_i32(ctx, t->ndim, t->shape, t->data)
                                   : hrkd_tensor_from_host(ctx, t->ndim, t->shape, t->data);
    return grad ? hrkd_tensor_set_requires_grad(ctx, x) : x;
}

void test_kd_from_fixture(hrkd_ctx *ctx, const fixture *fx, const char *prefix, int M, test_kd *x)
{
    memset(x, 0, sizeof *x);
    if (M < 0 || M >= TEST_KD_MAXL) {
        CHECKF(0, "fixture has %d student layers, at most %d supported", M, TEST_KD_MAXL - 1);
        return;
    }
    char name[96];
#define REC(field) (snprintf(name, sizeof name, "%s%s", prefix, field), name)
#define REC_M(field, m) (snprintf(name, sizeof name, "%s%s.%d", prefix, field, m), name)
    for (int m = 0; m <= M; m++) {
        x->sh[m] = test_fx_tensor(ctx, fx, REC_M("student_hidden", m), 1);
        x->th[m] = test_fx_tensor(ctx, fx, REC_M("teacher_hidden", m), 0);
        if (m > 0) {
            x->sa[m] = test_fx_tensor(ctx, fx, REC_M("student_attn", m), 1);
            x->ta[m] = test_fx_tensor(ctx, fx, REC_M("teacher_attn", m), 0);
        }
        x->map[m] = 2 * m;
    }
    x->sl = test_fx_tensor(ctx, fx, REC("student_logits"), 1);
    x->tl = test_fx_tensor(ctx, fx, REC("teacher_logits"), 0);
    x->mask = test_fx_tensor(ctx, fx, REC("mask"), 0);
#undef REC
#undef REC_M
    x->in = (hrkd_kd_inputs){.struct_size = sizeof x->in, .domain = 0, .n_student_layers = M,
                             .layer_map = x->map, .attention_mask = x->mask, .student_hidden = x->sh,
                             .teacher_hidden = x->th, .student_attn = x->sa, .teacher_attn = x->ta,
                             .student_logits = x->sl, .teacher_logits = x->tl};
}
