/* host/plugin/kind.c — plugin kinds by name, and the INI section each plugin reads. */
#include <stdio.h>
#include <string.h>

#include "plugin/kind.h"

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
