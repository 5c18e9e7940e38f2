/* host/config/kinds.c — plugin kinds as an INI names them (kinds.h).
 *
 * The kind a plugin key asks for ("relational.graph") and the section each plugin reads
 * ("loss.tinybert"). */
#include <stdio.h>
#include <string.h>

#include "config/kinds.h"

static const char *const kind_names[HRKD_KIND_COUNT_] = {
    [HRKD_KIND_LOSS] = "loss",
    [HRKD_KIND_RELATIONAL_REFERENCE] = "relational.reference",
    [HRKD_KIND_RELATIONAL_AGGREGATE] = "relational.aggregate",
    [HRKD_KIND_RELATIONAL_GRAPH] = "relational.graph",
    [HRKD_KIND_TEACHER] = "teacher",
};

const char *hrkd_plugin_kind_name(hrkd_plugin_kind kind)
{
    if ((int)kind <= 0 || kind >= HRKD_KIND_COUNT_) return NULL;
    return kind_names[kind];
}

hrkd_plugin_kind hrkd_plugin_kind_from_name(const char *name)
{
    for (int k = 1; k < HRKD_KIND_COUNT_; k++)
        if (name && strcmp(kind_names[k], name) == 0) return (hrkd_plugin_kind)k;
    return (hrkd_plugin_kind)0;
}

static const char *kind_group(hrkd_plugin_kind k)
{
    switch (k) {
    case HRKD_KIND_LOSS: return "loss";
    case HRKD_KIND_RELATIONAL_REFERENCE:
    case HRKD_KIND_RELATIONAL_AGGREGATE:
    case HRKD_KIND_RELATIONAL_GRAPH: return "relational";
    case HRKD_KIND_TEACHER: return "teacher";
    default: return "unknown";
    }
}

void hrkd_plugin_section_name(const hrkd_plugin_descriptor *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s.%s", kind_group(d->kind), d->name);
}

int cfg_is_plugin_section(const char *name)
{
    static const char *groups[] = {"loss.", "relational.", "teacher."};
    for (int g = 0; g < 3; g++) {
        size_t n = strlen(groups[g]);
        if (strncmp(name, groups[g], n) != 0) continue;
        const char *rest = name + n;
        if (!*rest) return 0;
        for (const char *c = rest; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) return 0;
        return 1;
    }
    return 0;
}
