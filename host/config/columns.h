/* host/config/columns.h — `[data] columns` of the table readers (tsv, jsonl): which of the file's
 * columns (or JSON keys) holds each of hrkd's fields. Parsed here so that `hrkd check` and the
 * readers (host/text/read_table.c) read the key alike. */
#ifndef HRKD_CONFIG_COLUMNS_H
#define HRKD_CONFIG_COLUMNS_H

#include <stddef.h>

enum { HRKD_COL_TEXT, HRKD_COL_TEXT_B, HRKD_COL_LABEL, HRKD_COL_DOMAIN, HRKD_N_COLS };

/* hrkd's field names, in the order above */
extern const char *const hrkd_table_fields[HRKD_N_COLS];

/* Parse "text:sentence1, text_b:sentence2, ..." (empty: every field under its own name).
 * names (may be NULL: check only) receives HRKD_N_COLS malloc'd strings, the file's name of
 * each field. Returns 0, or -1 with why filled (an unknown field, a field named twice, a pair
 * without ':' or with an empty name). */
int hrkd_table_columns_parse(const char *spec, char **names, char *why, size_t why_cap);
void hrkd_table_columns_free(char **names);

#endif /* HRKD_CONFIG_COLUMNS_H */
