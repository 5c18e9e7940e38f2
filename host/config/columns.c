/* host/config/columns.c — `[data] columns` (columns.h). */
#include "config/columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hrkd_table_fields[HRKD_N_COLS] = {"text", "text_b", "label", "domain"};

static void trim_span(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t')) (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
}

void hrkd_table_columns_free(char **names)
{
    for (int k = 0; names && k < HRKD_N_COLS; k++) {
        free(names[k]);
        names[k] = NULL;
    }
}

int hrkd_table_columns_parse(const char *spec, char **names, char *why, size_t why_cap)
{
    const char *given[HRKD_N_COLS] = {NULL, NULL, NULL, NULL};
    size_t len[HRKD_N_COLS] = {0, 0, 0, 0};
    for (const char *p = spec ? spec : ""; *p;) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *b = p, *e = end;
        trim_span(&b, &e);
        p = *end ? end + 1 : end;
        if (b == e) continue;
        const char *colon = memchr(b, ':', (size_t)(e - b));
        if (!colon) {
            snprintf(why, why_cap, "'%.*s' is not FIELD:NAME (fields: text, text_b, label, domain)", (int)(e - b), b);
            return -1;
        }
        const char *fb = b, *fe = colon, *nb = colon + 1, *ne = e;
        trim_span(&fb, &fe);
        trim_span(&nb, &ne);
        int k = -1;
        for (int i = 0; i < HRKD_N_COLS; i++)
            if ((size_t)(fe - fb) == strlen(hrkd_table_fields[i]) && !strncmp(fb, hrkd_table_fields[i], (size_t)(fe - fb)))
                k = i;
        if (k < 0) {
            snprintf(why, why_cap, "unknown field '%.*s' (fields: text, text_b, label, domain)", (int)(fe - fb), fb);
            return -1;
        }
        if (given[k]) {
            snprintf(why, why_cap, "field '%s' is named twice", hrkd_table_fields[k]);
            return -1;
        }
        if (nb == ne) {
            snprintf(why, why_cap, "field '%s' has an empty column name", hrkd_table_fields[k]);
            return -1;
        }
        given[k] = nb;
        len[k] = (size_t)(ne - nb);
    }
    for (int k = 0; names && k < HRKD_N_COLS; k++) {
        names[k] = given[k] ? strndup(given[k], len[k]) : strdup(hrkd_table_fields[k]);
        if (!names[k]) {
            hrkd_table_columns_free(names);
            snprintf(why, why_cap, "out of memory");
            return -1;
        }
    }
    return 0;
}
