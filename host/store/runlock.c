/* host/store/runlock.c — the run file's lock and the "never replaced by accident" rule
 * (runlock.h). */
#include "store/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

/* mkdir -p of path's folder: the lock is taken before the run creates its file */
static int make_parent(const char *path)
{
    char d[4200];
    snprintf(d, sizeof d, "%s", path);
    char *slash = strrchr(d, '/');
    if (!slash || slash == d) return 0;
    *slash = 0;
    for (char *p = d + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(d, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(d, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* The pid written in a lock file (0 when unreadable). */
static long lock_holder(const char *lpath)
{
    FILE *f = fopen(lpath, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    return pid;
}

hrkd_status hrkd_run_lock_take(const char *path, double wait_s, hrkd_run_lock *lock, hrkd_error *err)
{
    int waited_ms = 0, said = 0;
    lock->fd = -1;
    lock->path = NULL;
    size_t n = strlen(path) + 6;
    char *lpath = malloc(n);
    if (!lpath) return hrkd_error_set(err, HRKD_STATUS_NOMEM, "out of memory");
    snprintf(lpath, n, "%s.lock", path);
    if (make_parent(lpath) != 0) {
        hrkd_status st = hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create its folder: %s", path, strerror(errno));
        free(lpath);
        return st;
    }
    /* A holder that finishes unlinks the file it locked; whoever locked that unlinked file
     * meanwhile holds nothing, so a lock counts only while the path still names our file. */
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(lpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            hrkd_status st = hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot create the run's lock file: %s",
                                            lpath, strerror(errno));
            free(lpath);
            return st;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK && waited_ms < wait_s * 1000) {
                if (!said++) fprintf(stderr, "%s: held by pid %ld; waiting up to %.0f s for it to end\n", path,
                                     lock_holder(lpath), wait_s);
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
                waited_ms += 100;
                tries--; /* waiting is not a retry */
                continue;
            }
            if (e == EWOULDBLOCK) {
                long pid = lock_holder(lpath);
                hrkd_status st = hrkd_error_set(err, HRKD_STATUS_INVALID,
                    "%s: in use by another hrkd run (pid %ld, lock %s); wait for it to end, or give this run "
                    "another [output] file", path, pid, lpath);
                free(lpath);
                return st;
            }
            hrkd_status st = hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot lock: %s", lpath, strerror(e));
            free(lpath);
            return st;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(lpath, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            char pid[32];
            int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
                /* the lock holds without the pid; only the message of a second run suffers */
            }
            lock->fd = fd;
            lock->path = lpath;
            return HRKD_STATUS_OK;
        }
        close(fd); /* the file was replaced or removed under us: take the new one */
    }
    hrkd_status st = hrkd_error_set(err, HRKD_STATUS_IO, "%s: the lock file keeps changing", lpath);
    free(lpath);
    return st;
}

void hrkd_run_lock_release(hrkd_run_lock *lock)
{
    if (!lock || lock->fd < 0) return;
    unlink(lock->path); /* while still held: see hrkd_run_lock_take */
    close(lock->fd);
    free(lock->path);
    lock->fd = -1;
    lock->path = NULL;
}

hrkd_status hrkd_run_output_free(const char *path, const char *ini, int resume, int force, hrkd_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return HRKD_STATUS_OK;
        return hrkd_error_set(err, HRKD_STATUS_IO, "%s: %s", path, strerror(errno));
    }
    if (resume) return HRKD_STATUS_OK;
    if (force) {
        if (S_ISDIR(st.st_mode))
            return hrkd_error_set(err, HRKD_STATUS_INVALID, "%s: is a folder; --force replaces files only", path);
        if (unlink(path) != 0)
            return hrkd_error_set(err, HRKD_STATUS_IO, "%s: cannot remove it: %s", path, strerror(errno));
        fprintf(stderr, "%s: replaced (--force)\n", path);
        return HRKD_STATUS_OK;
    }
    const char *what = "exists and is not an hrkd run file";
    if (S_ISREG(st.st_mode)) {
        hrkd_run *r = NULL;
        hrkd_error e2 = {0};
        if (hrkd_run_open(path, &r, &e2) == HRKD_STATUS_OK) {
            what = hrkd_run_has_group(r, "checkpoint") ? "holds an hrkd run" : "holds an hrkd run with no checkpoint yet";
            hrkd_run_free(r);
        }
    } else {
        what = "exists and is not a regular file";
    }
    return hrkd_error_set(err, HRKD_STATUS_INVALID,
                          "%s %s; 'hrkd run %s --resume' continues a run there, --force replaces the file", path,
                          what, ini);
}
