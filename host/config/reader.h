/* host/config/reader.h — an INI text (and the files it includes or bases on) read into records,
 * in the order in which later ones override earlier ones. */
#ifndef HRKD_CONFIG_READER_H
#define HRKD_CONFIG_READER_H

#include <stddef.h>

#include "config/diag.h"

/* One thing read from a file: a section header (key NULL) or an assignment. */
typedef struct cfg_record {
    char       *section, *key, *value;
    const char *file; /* interned in the config */
    int         line;
} cfg_record;

typedef struct cfg_records {
    cfg_record *r;
    int         n, cap;
} cfg_records;

/* Reads the file path (with its %include files and [run] base chain) into *out; every
 * problem goes to ds as FILE:LINE. File names are interned in cfg. */
void cfg_read_file(hrkd_config *cfg, cfg_diags *ds, const char *path, cfg_records *out);
/* The same for a text in memory named file (interned); %include and base are refused. */
void cfg_read_text(hrkd_config *cfg, cfg_diags *ds, const char *file, const char *text, size_t len,
                   cfg_records *out);
void cfg_records_free(cfg_records *rs);

#endif
