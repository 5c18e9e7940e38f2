/* tests/fuzz/fuzz_bin.c — libFuzzer target: the torch.save (.bin) reader — zip directory and
 * the pickle subset VM — on arbitrary bytes. Must refuse with a message or succeed. */
#include <stdint.h>
#include <stddef.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hrkd_error err = {0};
    hrkd_tensor_set ts;
    if (hrkd_torchbin_parse(data, size, "fuzz.bin", &ts, &err) == HRKD_STATUS_OK)
        hrkd_tensor_set_free(&ts);
    else if (!err.msg[0])
        __builtin_trap();
    return 0;
}
