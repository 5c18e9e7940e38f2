/* tests/common/fixture.h — reader for the oracle fixtures written by the scripts in tests/oracle.
 *
 * Format "HRKDFIX1" (little-endian):
 *   char[8] magic "HRKDFIX1"; uint32 n_records;
 *   per record: uint32 name_len; char name[name_len]; uint32 dtype (0 f32, 1 i32);
 *               uint32 ndim; int64 shape[ndim]; numel × 4 bytes of data.
 */
#ifndef HRKD_TEST_FIXTURE_H
#define HRKD_TEST_FIXTURE_H

#include <stdint.h>

typedef struct fixture_tensor {
    char    *name;
    int      dtype; /* 0 f32, 1 i32 */
    int      ndim;
    int64_t  shape[8];
    int64_t  numel;
    void    *data;
} fixture_tensor;

typedef struct fixture {
    int             n;
    fixture_tensor *t;
} fixture;

/* Returns NULL (and prints why) when the file is missing or malformed. */
fixture *fixture_load(const char *path);
void fixture_free(fixture *f);
/* NULL when absent */
const fixture_tensor *fixture_get(const fixture *f, const char *name);
/* Aborts the test with a message when absent (a fixture/test mismatch is a bug). */
const fixture_tensor *fixture_need(const fixture *f, const char *name);

#endif
