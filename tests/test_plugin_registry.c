/* tests/test_plugin_registry.c — the plugin registry from C: kind names both ways, section
 * names, the built-in folder found from libhrkd.so itself, lookups by name with kind checks
 * and "available ..." messages, and the resolve step binding plugin sections of a config. */
#include <stdlib.h>
#include <string.h>

#include "common/test.h"
#include "config/cfg.h"
#include "plugin/registry.h"

int main(void)
{
    for (int k = 1; k < HRKD_KIND_COUNT_; k++) {
        const char *n = hrkd_plugin_kind_name((hrkd_plugin_kind)k);
        CHECK(n != NULL && hrkd_plugin_kind_from_name(n) == (hrkd_plugin_kind)k);
    }
    CHECK(hrkd_plugin_kind_name((hrkd_plugin_kind)0) == NULL);
    CHECK(hrkd_plugin_kind_name(HRKD_KIND_COUNT_) == NULL);
    CHECK(hrkd_plugin_kind_from_name("relational") == 0);

    char lib[4096];
    CHECK(hrkd_plugin_lib_dir(lib, sizeof lib) == 0);
    CHECKF(strstr(lib, test_build_dir()) != NULL || lib[0] == '/', "lib dir %s", lib);

    setenv("HRKD_PLUGIN_PATH", "", 1);
    hrkd_error err = {0};
    hrkd_registry *r = hrkd_registry_create(NULL, &err);
    CHECK(r != NULL);
    if (!r) return test_finish("test_plugin_registry");
    char want[4200];
    snprintf(want, sizeof want, "%s/hrkd/plugins", lib);
    CHECK(strncmp(hrkd_registry_search_path(r), want, strlen(want)) == 0);
    if (hrkd_registry_count(r) == 0) {
        hrkd_registry_destroy(r);
        test_skip("no bundled plugins built in this tree");
    }
    /* every loaded plugin: valid name, a kind, section name "<group>.<name>" */
    for (int i = 0; i < hrkd_registry_count(r); i++) {
        const hrkd_plugin_entry_info *e = hrkd_registry_at(r, i);
        char sec[128];
        hrkd_plugin_section_name(e->desc, sec, sizeof sec);
        CHECK(hrkd_plugin_kind_name(e->desc->kind) != NULL);
        CHECK(strchr(sec, '.') && strcmp(strchr(sec, '.') + 1, e->desc->name) == 0);
        CHECK(e->path && strstr(e->path, ".so"));
        CHECK(hrkd_registry_get(r, e->desc->name, e->desc->kind, &err) == e->desc);
        CHECK(hrkd_registry_path_of(r, e->desc) == e->path);
    }
    const hrkd_plugin_descriptor *mtl = hrkd_registry_get(r, "mtl", HRKD_KIND_TEACHER, &err);
    if (mtl) {
        hrkd_error_clear(&err);
        CHECK(hrkd_registry_get(r, "mtl", HRKD_KIND_LOSS, &err) == NULL);
        CHECKF(strcmp(err.msg, "plugin 'mtl' is of kind teacher, expected loss") == 0, "%s", err.msg);
        hrkd_error_clear(&err);
        CHECK(hrkd_registry_get(r, "no_such_plugin", HRKD_KIND_TEACHER, &err) == NULL);
        CHECK(err.status == HRKD_STATUS_NOT_FOUND);
        CHECKF(strncmp(err.msg, "plugin 'no_such_plugin' not found; available teacher plugins: ", 62) == 0 &&
                   strstr(err.msg, "mtl"), "%s", err.msg);

        /* resolve: a wrong-kind key and an orphan plugin section, both reported */
        hrkd_config_errors ce = {0};
        hrkd_config *c = hrkd_config_load_string("[run]\nmode = teacher\n[distill]\nloss = mtl\n"
                                                 "[loss.nothing_here]\nx = 1\n", "r.ini", &ce);
        CHECK(c != NULL);
        if (c) {
            CHECK(hrkd_registry_resolve_config(r, c, &ce) == 2);
            CHECK(ce.n == 2);
            if (ce.n == 2) {
                CHECKF(strcmp(ce.msg[0], "r.ini:4: [distill] loss: plugin 'mtl' is of kind teacher, expected loss") == 0,
                       "%s", ce.msg[0]);
                CHECKF(strncmp(ce.msg[1], "r.ini:5: [loss.nothing_here]: no plugin named 'nothing_here'", 60) == 0,
                       "%s", ce.msg[1]);
            }
            hrkd_config_free(c);
        }
        hrkd_config_errors_free(&ce);
        /* a teacher-mode config resolves with the bundled teacher, binding [teacher.mtl] */
        c = hrkd_config_load_string("[run]\nmode = teacher\n[teacher]\nstrategy = mtl\n", "ok.ini", &ce);
        CHECK(c != NULL);
        if (c) {
            CHECK(hrkd_registry_resolve_config(r, c, &ce) == 0);
            const hrkd_config_section *ps = NULL;
            CHECK(hrkd_registry_for_key(r, c, "teacher", "strategy", &ps, &err) == mtl);
            CHECK(ps != NULL && strcmp(hrkd_cfg_section_name(ps), "teacher.mtl") == 0);
            hrkd_config_free(c);
        }
        hrkd_config_errors_free(&ce);
    }
    hrkd_registry_destroy(r);
    return test_finish("test_plugin_registry");
}
