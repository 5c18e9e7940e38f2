/* tests/test_comm_nccl_device.c — the NCCL communicator's collectives called directly through
 * its table (the host skips every collective when the job has one rank, so a one-rank run never
 * reaches them): hrkd_comm_nccl.so and the CUDA backend are opened with dlopen from
 * $HRKD_BUILD. Each rank puts (rank + 1) + i/4 into a device buffer of odd length; after the
 * device all-reduce element i must be size(size+1)/2 + size·i/4 (exact in float). Then a
 * host-memory sum and a broadcast from rank 0. Works alone (one rank, no launcher, with the
 * library built without MPI) and under mpirun. Skips, saying why, where either library was
 * not built or the CUDA backend cannot start (no GPU); once a GPU is there, a library that
 * does not load or start is a failure. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm/comm_abi.h"
#include "common/test.h"
#include "hrkd/backend.h"

static void *open_lib(const char *path, const char *sym, char *why, size_t cap)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) { snprintf(why, cap, "cannot load %s: %s", path, dlerror()); return NULL; }
    void *f = dlsym(h, sym);
    if (!f) snprintf(why, cap, "%s: no symbol %s", path, sym);
    return f;
}

int main(void)
{
    char be_path[4096], comm_path[4096], why[1200];
    snprintf(be_path, sizeof be_path, "%s/lib/hrkd/backends/hrkd_backend_cuda.so", test_build_dir());
    snprintf(comm_path, sizeof comm_path, "%s/lib/hrkd/comm/hrkd_comm_nccl.so", test_build_dir());
    if (access(be_path, F_OK) != 0) test_skip("CUDA backend not built (no nvcc)");
    if (access(comm_path, F_OK) != 0) test_skip("hrkd_comm_nccl.so not built (no nccl.h or nvcc)");
    void *f = open_lib(be_path, HRKD_BACKEND_ENTRY, why, sizeof why);
    if (!f) test_skip(why);
    hrkd_backend_entry_fn be_entry;
    memcpy(&be_entry, &f, sizeof f);
    const hrkd_kernels *k = be_entry();
    hrkd_error err = {0};
    if (k->init(0, &err) != 0) {
        snprintf(why, sizeof why, "cuda backend unavailable here: %s", err.msg);
        test_skip(why);
    }

    /* a GPU is here: from now on everything must work */
    f = open_lib(comm_path, HRKD_COMM_ENTRY, why, sizeof why);
    CHECKF(f != NULL, "%s", why);
    if (!f) return test_finish("test_comm_nccl_device");
    hrkd_comm_entry_fn comm_entry;
    memcpy(&comm_entry, &f, sizeof f);
    const hrkd_comm_vtable *vt = comm_entry();
    CHECK(vt && vt->abi_version == HRKD_COMM_ABI_VERSION && vt->allreduce_f32_device);
    if (!vt || !vt->allreduce_f32_device) return test_finish("test_comm_nccl_device");
    void *self = NULL;
    char msg[256] = "";
    CHECKF(vt->init(&self, 60.0, msg, sizeof msg) == 0, "init: %s", msg);
    if (!self) return test_finish("test_comm_nccl_device");
    int rank = vt->rank(self), size = vt->size(self);
    printf("%s, rank %d of %d; %s\n", vt->library_version(), rank, size, k->description);

    const int64_t n = 1001;
    float *host = malloc((size_t)n * sizeof *host), *dev = k->alloc((size_t)n * sizeof *host);
    CHECK(host && dev);
    if (!host || !dev) return test_finish("test_comm_nccl_device");
    for (int64_t i = 0; i < n; i++) host[i] = (float)(rank + 1) + 0.25f * (float)i;
    k->copy_h2d(dev, host, (size_t)n * sizeof *host);
    k->sync();
    CHECKF(vt->allreduce_f32_device(self, dev, n, msg, sizeof msg) == 0, "device all-reduce: %s", msg);
    memset(host, 0, (size_t)n * sizeof *host);
    k->copy_d2h(host, dev, (size_t)n * sizeof *host);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; i++) {
        float want = (float)(size * (size + 1) / 2) + 0.25f * (float)size * (float)i;
        if (host[i] != want) {
            if (wrong++ < 3) fprintf(stderr, "element %lld: %g, want %g\n", (long long)i, host[i], want);
        }
    }
    CHECKF(wrong == 0, "%lld of %lld elements wrong after the device all-reduce", (long long)wrong, (long long)n);

    double d = rank + 1;
    CHECKF(vt->allreduce_f64(self, &d, 1, msg, sizeof msg) == 0, "host all-reduce: %s", msg);
    CHECKF(d == size * (size + 1) / 2.0, "host all-reduce gave %g", d);
    int v = rank == 0 ? 42 : -1;
    CHECKF(vt->bcast(self, &v, sizeof v, msg, sizeof msg) == 0, "broadcast: %s", msg);
    CHECKF(v == 42, "broadcast gave %d", v);
    CHECKF(vt->barrier(self, 60.0, msg, sizeof msg) == 0, "barrier: %s", msg);

    vt->finalize(self);
    k->free(dev);
    free(host);
    k->shutdown();
    return test_finish("test_comm_nccl_device");
}
