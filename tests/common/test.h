/* tests/common/test.h — a tiny harness: CHECK macros that count failures, a summary, and the
 * exit code convention of tests/run.sh (0 pass, 1 fail, 77 skipped with a printed reason). */
#ifndef HRKD_TEST_H
#define HRKD_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern int hrkd_test_failures;
extern int hrkd_test_checks;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        hrkd_test_checks++;                                                               \
        if (!(cond)) {                                                                    \
            hrkd_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)

#define CHECKF(cond, ...)                                                                 \
    do {                                                                                  \
        hrkd_test_checks++;                                                               \
        if (!(cond)) {                                                                    \
            hrkd_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

/* Print a summary and return the process exit code (non-zero when anything failed or when
 * nothing was checked at all). */
int test_finish(const char *name);
/* Print the reason and exit 77 (skipped). */
void test_skip(const char *reason) __attribute__((noreturn));

/* max_i |a−b| / max(max_i |b|, tiny): the relative error of a whole tensor */
double test_rel_err(const float *a, const float *b, long n);
double test_max_abs_diff(const float *a, const float *b, long n);

/* Test inputs from a fixed seed: a 64-bit linear congruential generator (Knuth's MMIX
 * constants). test_lcg_next advances *state and returns the new state; test_lcg_uniform is
 * its top 53 bits as a double in [0, 1). */
uint64_t test_lcg_next(uint64_t *state);
double   test_lcg_uniform(uint64_t *state);

/* Path of the build tree the test runs from ($HRKD_BUILD, default "build"). */
const char *test_build_dir(void);

/* The first 64 KiB of a text file, malloc'd and NUL-terminated (NULL when it cannot be read). */
char *test_slurp(const char *path);

#endif
