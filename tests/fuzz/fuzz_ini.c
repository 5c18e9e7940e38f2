/* tests/fuzz/fuzz_ini.c — libFuzzer target: the INI reader and validator on arbitrary text.
 *
 * Properties checked beyond "no crash": a refused text comes with at least one message and
 * every message names the file; an accepted text's effective configuration (defaults filled
 * in) is itself accepted, and prints the same again (it is what the run file stores). Text
 * mode refuses %include and [run] base, so nothing here touches the filesystem. A fake plugin
 * descriptor with one parameter of each type is bound to [relational.fz] to exercise the
 * plugin-section validation too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"

static const hrkd_plugin_param fz_params[] = {
    {"count", HRKD_CFG_INT, "3", 1, 100, NULL, "an int in [1, 100]"},
    {"ratio", HRKD_CFG_FLOAT, "0.5", 0, 1, NULL, "a float in [0, 1]"},
    {"flag", HRKD_CFG_BOOL, "false", 1, 0, NULL, "a bool"},
    {"label", HRKD_CFG_STRING, "", 1, 0, NULL, "a string"},
    {"mode", HRKD_CFG_ENUM, "a", 1, 0, "a|b|c", "an enum"},
    {"items", HRKD_CFG_LIST, "", 1, 0, NULL, "a list"},
    {"where", HRKD_CFG_PATH, "", 1, 0, NULL, "a path"},
    {"needed", HRKD_CFG_INT, NULL, 1, 0, NULL, "a required int"},
};

static int fz_create(const hrkd_plugin_args *a, void **self, hrkd_error *err) { *self = NULL; return 0; }
static void fz_destroy(void *self) {}
static hrkd_tensor *fz_forward(void *self, hrkd_ctx *ctx, int m, hrkd_tensor *agg) { return agg; }
static const hrkd_graph_fns fz_graph = {.forward = fz_forward};
static const hrkd_plugin_descriptor fz_desc = {
    .magic = HRKD_PLUGIN_MAGIC, .abi_major = HRKD_PLUGIN_ABI_MAJOR, .abi_minor = HRKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hrkd_plugin_descriptor), .kind = HRKD_KIND_RELATIONAL_GRAPH, .name = "fz",
    .version = "0", .summary = "fuzz", .params = fz_params,
    .n_params = (int)(sizeof fz_params / sizeof fz_params[0]), .create = fz_create,
    .destroy = fz_destroy, .graph = &fz_graph};

static void check_messages(const hrkd_config_errors *e)
{
    if (e->n == 0) __builtin_trap();
    for (int i = 0; i < e->n; i++)
        if (strncmp(e->msg[i], "fuzz.ini", 8) != 0) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    hrkd_config_errors errs = {0};
    hrkd_config *cfg = hrkd_config_load_string(text, "fuzz.ini", &errs);
    free(text);
    if (!cfg) {
        check_messages(&errs);
        hrkd_config_errors_free(&errs);
        return 0;
    }
    if (errs.n) __builtin_trap();
    /* bind the fake plugin (its section may or may not be in the text) */
    hrkd_config_bind_plugin(cfg, "relational.fz", &fz_desc, &errs);
    hrkd_config_errors_free(&errs);
    char *once = hrkd_config_effective_ini(cfg);
    hrkd_config_free(cfg);
    hrkd_config *again = hrkd_config_load_string(once, "fuzz.ini", &errs);
    if (!again) __builtin_trap(); /* the effective configuration must load */
    hrkd_config_errors_free(&errs);
    hrkd_config_bind_plugin(again, "relational.fz", &fz_desc, &errs);
    hrkd_config_errors_free(&errs);
    char *twice = hrkd_config_effective_ini(again);
    if (strcmp(once, twice) != 0) __builtin_trap(); /* and be a fixed point */
    free(once);
    free(twice);
    hrkd_config_free(again);
    return 0;
}
