/* host/store/runfile_probe.c — hrkd_run_open: libhdf5 itself can crash on crafted or damaged
 * files (tests/fuzz/fuzz_h5.c found use-after-free reads inside the 1.10 library), so the file
 * is first read whole in a forked child: a child that dies turns into a refusal instead of a
 * crash of hrkd. Then it is read for real (runfile_read.c). */
#include "store/runfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/path.h"

/* ---- the probe: parse everything once in a child process ---------------------------------- */
static herr_t probe_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    h5_close(t);
    h5_close(sp);
    H5Aclose(a);
    return 0;
}

static herr_t probe_link_cb(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    hid_t o = H5Oopen(group, name, H5P_DEFAULT);
    if (o < 0) return -1;
    hsize_t idx = 0;
    herr_t rc = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, probe_attr_cb, NULL);
    if (H5Iget_type(o) == H5I_DATASET) {
        hid_t t = H5Dget_type(o), sp = H5Dget_space(o), pl = H5Dget_create_plist(o);
        h5_close(t);
        h5_close(sp);
        h5_close(pl);
    }
    H5Oclose(o);
    return rc < 0 ? -1 : 0;
}

/* 0: the file parses (or is refused cleanly) in a child; otherwise the child died. */
static int probe_in_child(const char *path, int *how)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 0; /* cannot probe: read it directly */
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2); /* a crash report of the child is not ours to print */
        hrkd_error e = {0};
        hrkd_run *r = NULL;
        if (run_open_inner(path, &r, &e) != HRKD_STATUS_OK) _exit(3);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            hsize_t idx = 0;
            H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &idx, probe_attr_cb, NULL);
            H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, probe_link_cb, NULL);
        }
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 0;
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3)) return 0;
    *how = WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
    return 1;
}

hrkd_status hrkd_run_open(const char *path, hrkd_run **out, hrkd_error *err)
{
    *out = NULL;
    hrkd_status pst = hrkd_path_expect(path, HRKD_PATH_FILE, err);
    if (pst) return pst;
    int how = 0;
    if (getenv("HRKD_H5_NO_PROBE") == NULL && probe_in_child(path, &how))
        return hrkd_error_set(err, HRKD_STATUS_INVALID,
                              "%s: the HDF5 library failed while reading this file (%s %d): the file is damaged",
                              path, how > 0 ? "signal" : "exit status", how > 0 ? how : -how);
    hrkd_status st = run_open_inner(path, out, err);
    /* a file that opens but does not read as a run file is damaged input, not an I/O failure */
    if (st == HRKD_STATUS_IO && err && access(path, R_OK) == 0) err->status = st = HRKD_STATUS_INVALID;
    return st;
}
