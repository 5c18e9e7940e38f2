/* tests/test_setup_keys.c — every configuration key that host/train/setup.h reads
 * (HRKD_SETUP_KEYS, HRKD_SETUP_MODEL_KEYS) is declared in the host schema
 * (host/config/schema.c) in its section with a type its accessor reads correctly: int keys
 * are ints, float keys floats, bool keys bools, str keys strings, choices, lists or paths. A
 * key renamed in the schema (or misspelt in the list) fails here, not at run time. */
#include <string.h>

#include "common/test.h"
#include "config/schema.h"
#include "config/value.h"
#include "train/setup.h"

static const char *type_name(hrkd_cfg_type t)
{
    static const char *names[] = {"int", "float", "bool", "string", "enum", "list", "path"};
    return (int)t >= 0 && t <= HRKD_CFG_PATH ? names[t] : "?";
}

static int fits(hrkd_cfg_type t, const char *want)
{
    if (!strcmp(want, "int")) return t == HRKD_CFG_INT;
    if (!strcmp(want, "float")) return t == HRKD_CFG_FLOAT;
    if (!strcmp(want, "bool")) return t == HRKD_CFG_BOOL;
    return t == HRKD_CFG_STRING || t == HRKD_CFG_ENUM || t == HRKD_CFG_LIST || t == HRKD_CFG_PATH;
}

/* NULL when [section] key is declared with a type that `want` reads, else what is wrong */
static const char *problem(const char *section, const char *key, const char *want, char *buf, size_t cap)
{
    const cfg_schema_section *sec = cfg_schema_find(section);
    if (!sec) return snprintf(buf, cap, "[%s] is not a section of the host schema", section), buf;
    for (int i = 0; i < sec->n_keys; i++) {
        const cfg_key *k = &sec->keys[i];
        if (strcmp(k->name, key) != 0) continue;
        if (fits(k->type, want)) return NULL;
        snprintf(buf, cap, "[%s] %s is declared %s, its accessor reads %s", section, key, type_name(k->type), want);
        return buf;
    }
    snprintf(buf, cap, "[%s] %s is read by host/train/setup.h but not declared in the schema", section, key);
    return buf;
}

static void check_key(const char *section, const char *key, const char *want)
{
    char buf[256];
    const char *p = problem(section, key, want, buf, sizeof buf);
    CHECKF(!p, "%s", p);
}

int main(void)
{
    int n = 0;
#define CHECK_KEY(sec, key, type) check_key(#sec, #key, #type), n++;
    HRKD_SETUP_KEYS(CHECK_KEY)
#undef CHECK_KEY
#define CHECK_MODEL_KEY(key, type) check_key("teacher", #key, #type), check_key("student", #key, #type), n += 2;
    HRKD_SETUP_MODEL_KEYS(CHECK_MODEL_KEY)
#undef CHECK_MODEL_KEY
    printf("%d keys checked against the schema\n", n);
    /* the check itself can fail: a key the schema does not have, a type it does not read */
    char buf[256];
    CHECK(problem("run", "no_such_key", "int", buf, sizeof buf) != NULL);
    CHECK(problem("run", "seed", "float", buf, sizeof buf) != NULL);
    CHECK(problem("nosection", "seed", "int", buf, sizeof buf) != NULL);
    return test_finish("test_setup_keys");
}
