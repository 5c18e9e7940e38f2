/* host/core/params.c — a model's parameters in one contiguous buffer with a name table.
 * Gradients and AdamW moments mirror the same layout, so zeroing, the optimizer step,
 * all-reduce and checkpointing are single loops. */
#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hrkd_params {
    hrkd_backend    *be;
    char            *model_name;
    hrkd_param_info *info;
    hrkd_tensor     *tensors;
    int              n, cap;
    int64_t          total;
    float           *data, *grad, *m, *v;
    int              allocated;
};

hrkd_params *hrkd_params_create(hrkd_backend *be, const char *model_name)
{
    hrkd_params *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    be->refs++;
    p->be = be;
    p->model_name = strdup(model_name ? model_name : "model");
    return p;
}

void hrkd_params_destroy(hrkd_params *p)
{
    if (!p) return;
    const hrkd_kernels *k = p->be->k;
    if (p->data) k->free(p->data);
    if (p->grad) k->free(p->grad);
    if (p->m) k->free(p->m);
    if (p->v) k->free(p->v);
    for (int i = 0; i < p->n; i++) free((char *)p->info[i].name);
    free(p->info);
    free(p->tensors);
    free(p->model_name);
    hrkd_backend_unload(p->be);
    free(p);
}

int hrkd_params_add(hrkd_params *p, const char *name, int ndim, const int64_t *shape, unsigned flags)
{
    if (p->allocated || !name || !*name || ndim < 1 || ndim > HRKD_MAX_DIMS) return -1;
    if (hrkd_params_find(p, name) >= 0) return -1;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 1) return -1;
        numel *= shape[d];
    }
    if (p->n == p->cap) {
        int nc = p->cap ? p->cap * 2 : 64;
        hrkd_param_info *ni = realloc(p->info, (size_t)nc * sizeof *ni);
        if (!ni) return -1;
        p->info = ni;
        p->cap = nc;
    }
    hrkd_param_info *pi = &p->info[p->n];
    memset(pi, 0, sizeof *pi);
    pi->name = strdup(name);
    pi->ndim = ndim;
    memcpy(pi->shape, shape, (size_t)ndim * sizeof *shape);
    /* keep every parameter 16-float aligned (64 bytes) for vector loads */
    pi->offset = (p->total + 15) & ~(int64_t)15;
    pi->numel = numel;
    pi->flags = flags;
    p->total = pi->offset + numel;
    return p->n++;
}

static float *alloc_zero(const hrkd_kernels *k, int64_t n)
{
    float *x = k->alloc((size_t)(n ? n : 1) * sizeof(float));
    if (x) k->fill(x, 0.0f, n);
    return x;
}

hrkd_status hrkd_params_alloc(hrkd_params *p, int with_grad, int with_optim, hrkd_error *err)
{
    const hrkd_kernels *k = p->be->k;
    if (p->allocated)
        return hrkd_error_set(err, HRKD_STATUS_INTERNAL, "%s: parameters allocated twice",
                              p->model_name);
    p->data = alloc_zero(k, p->total);
    if (with_grad) p->grad = alloc_zero(k, p->total);
    if (with_optim) {
        p->m = alloc_zero(k, p->total);
        p->v = alloc_zero(k, p->total);
    }
    if (!p->data || (with_grad && !p->grad) || (with_optim && (!p->m || !p->v)))
        return hrkd_error_set(err, HRKD_STATUS_NOMEM,
                              "%s: cannot allocate %lld parameters on backend %s", p->model_name,
                              (long long)p->total, k->name);
    p->tensors = calloc((size_t)(p->n ? p->n : 1), sizeof *p->tensors);
    if (!p->tensors) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    for (int i = 0; i < p->n; i++) {
        hrkd_tensor *t = &p->tensors[i];
        hrkd_param_info *pi = &p->info[i];
        t->dtype = HRKD_F32;
        t->ndim = pi->ndim;
        memcpy(t->shape, pi->shape, sizeof t->shape);
        hrkd_contiguous_strides(t->ndim, t->shape, t->stride);
        t->data = p->data + pi->offset;
        int frozen = (pi->flags & HRKD_PARAM_FROZEN) != 0;
        t->grad = (p->grad && !frozen) ? p->grad + pi->offset : NULL;
        t->requires_grad = t->grad != NULL;
        t->name = pi->name;
    }
    p->allocated = 1;
    return HRKD_STATUS_OK;
}

const char *hrkd_params_model_name(const hrkd_params *p) { return p->model_name; }
int hrkd_params_count(const hrkd_params *p) { return p->n; }
const hrkd_param_info *hrkd_params_info(const hrkd_params *p, int i) { return (i >= 0 && i < p->n) ? &p->info[i] : NULL; }
int64_t hrkd_params_numel(const hrkd_params *p) { return p->total; }
float *hrkd_params_data(hrkd_params *p) { return p->data; }
float *hrkd_params_grad(hrkd_params *p) { return p->grad; }
float *hrkd_params_m(hrkd_params *p) { return p->m; }
float *hrkd_params_v(hrkd_params *p) { return p->v; }
hrkd_backend *hrkd_params_backend(const hrkd_params *p) { return p->be; }

int hrkd_params_find(const hrkd_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->info[i].name, name) == 0) return i;
    return -1;
}

hrkd_tensor *hrkd_params_tensor(hrkd_params *p, int i)
{
    if (!p->allocated || i < 0 || i >= p->n) return NULL;
    return &p->tensors[i];
}

void hrkd_params_zero_grad(hrkd_params *p)
{
    if (p->grad) p->be->k->fill(p->grad, 0.0f, p->total);
}

hrkd_status hrkd_params_read(hrkd_params *p, int i, float *host)
{
    if (!p->allocated || i < 0 || i >= p->n) return HRKD_STATUS_INVALID;
    p->be->k->copy_d2h(host, p->data + p->info[i].offset, (size_t)p->info[i].numel * sizeof(float));
    return HRKD_STATUS_OK;
}

hrkd_status hrkd_params_write(hrkd_params *p, int i, const float *host)
{
    if (!p->allocated || i < 0 || i >= p->n) return HRKD_STATUS_INVALID;
    p->be->k->copy_h2d(p->data + p->info[i].offset, host, (size_t)p->info[i].numel * sizeof(float));
    return HRKD_STATUS_OK;
}

/* Per-parameter seed: the name hashed with the run seed, so adding a parameter never shifts
 * the initial values of the others. */
static uint64_t name_seed(const char *name, uint64_t seed)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = (h ^ *c) * 1099511628211ull;
    return h;
}

static void init_with(hrkd_params *p, int i, uint64_t seed, int kind, float a, float b)
{
    if (!p->allocated || i < 0 || i >= p->n) return;
    int64_t n = p->info[i].numel;
    float *h = malloc((size_t)n * sizeof *h);
    if (!h) return;
    uint64_t s = name_seed(p->info[i].name, seed);
    for (int64_t j = 0; j < n; j++) {
        if (kind == 0) { /* normal(a, b) by Box–Muller on two counter-based uniforms */
            double u1 = ((double)(hrkd_rng_u64(s, 2 * (uint64_t)j) >> 11) + 0.5) / 9007199254740992.0;
            double u2 = (double)(hrkd_rng_u64(s, 2 * (uint64_t)j + 1) >> 11) / 9007199254740992.0;
            h[j] = a + b * (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        } else if (kind == 1) {
            h[j] = a;
        } else { /* uniform(−b, b) */
            double u = (double)(hrkd_rng_u64(s, (uint64_t)j) >> 11) / 9007199254740992.0;
            h[j] = (float)((2.0 * u - 1.0) * b);
        }
    }
    hrkd_params_write(p, i, h);
    free(h);
}

void hrkd_params_init_normal(hrkd_params *p, int i, float mean, float std, uint64_t seed)
{
    init_with(p, i, seed, 0, mean, std);
}

void hrkd_params_init_const(hrkd_params *p, int i, float value) { init_with(p, i, 0, 1, value, 0); }

void hrkd_params_init_xavier_uniform(hrkd_params *p, int i, float gain, uint64_t seed)
{
    if (!p->allocated || i < 0 || i >= p->n) return;
    const hrkd_param_info *pi = &p->info[i];
    /* PyTorch: fan_in = size(1) · receptive, fan_out = size(0) · receptive */
    int64_t recept = 1;
    for (int d = 2; d < pi->ndim; d++) recept *= pi->shape[d];
    double fan_in = pi->ndim > 1 ? (double)(pi->shape[1] * recept) : (double)pi->shape[0];
    double fan_out = (double)(pi->shape[0] * recept);
    double bound = gain * sqrt(6.0 / (fan_in + fan_out));
    init_with(p, i, seed, 2, 0.0f, (float)bound);
}
