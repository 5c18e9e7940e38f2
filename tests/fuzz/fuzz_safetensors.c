/* tests/fuzz/fuzz_safetensors.c — libFuzzer target: the safetensors reader (and through it the
 * JSON reader) on arbitrary bytes. Must refuse with a message or succeed; never crash. */
#include <stdint.h>
#include <stddef.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hrkd_error err = {0};
    hrkd_tensor_set ts;
    if (hrkd_safetensors_parse(data, size, "fuzz.safetensors", &ts, &err) == HRKD_STATUS_OK)
        hrkd_tensor_set_free(&ts);
    else if (!err.msg[0])
        __builtin_trap(); /* a refusal must say why */
    hrkd_json *j = hrkd_json_parse((const char *)data, size, "fuzz.json", &err);
    hrkd_json_free(j);
    return 0;
}
