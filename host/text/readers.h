/* host/text/readers.h — what the dataset readers share (readers.c): reading a file line by
 * line, growing strings, the one rule for tab-separated rows, and the dev split carved from
 * train. Each reader turns files into raw examples per domain and split (text_internal.h);
 * errors on user input read "FILE:LINE: what was expected".
 *
 *   amazon  (read_amazon.c) sorted_data_acl (Blitzer et al.): <domain dir>/{positive,
 *           negative}.review, pseudo-XML; the text of each <review_text> block, lines joined
 *           by spaces, HTML entities decoded; per domain a seeded shuffle, then the paper's
 *           train/dev/test counts (Table 1 of HRKD / Meta-KD).
 *   mnli    (read_mnli.c) GLUE MNLI: train.tsv + dev_matched.tsv; genre = domain; per genre
 *           the first 90 % of train rows train, the last 10 % dev; dev_matched is the test
 *           split.
 *   tsv     (read_table.c) a header row naming the columns text, text_b (optional), label,
 *           domain (other names through [data] columns; default_domain for a file without
 *           domains; [data] labels fixes the label order)
 *   jsonl   (read_table.c, one line parsed by jsonl.c) one JSON object per line with the same
 *           keys. For both: path is a folder with train.EXT (dev.EXT, test.EXT optional) or
 *           one file, split 80/10/10 per domain by a seeded shuffle. Labels are the sorted set
 *           of label names, or [data] labels.
 *
 * These names stay inside libhrkd (hidden): they are no part of its interface. */
#ifndef HRKD_TEXT_READERS_H
#define HRKD_TEXT_READERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/columns.h"
#include "text/text_internal.h"

#pragma GCC visibility push(hidden)

/* ---- line reading ---- */

typedef struct line_reader {
    FILE        *f;
    const char  *path;
    char        *buf;
    size_t       cap;
    long         line;
    size_t       max;  /* longest line accepted (bytes before the newline) */
    hrkd_status  st;   /* why reading stopped early: a read error, a line too long, no memory */
    hrkd_error  *err;
} line_reader;

/* next line without its "\n" (and "\r"), a UTF-8 byte-order mark at the start of the file
 * dropped; returns its length, or -1 at the end of the file and when reading failed (then
 * r->st and the error are set: a read error, a line longer than r->max or no memory is never
 * taken for the end). NUL bytes inside are kept in the count so callers can refuse them. */
long reader_next(line_reader *r);
/* path MUST be a regular file (a FIFO would block, a device never end, a folder read as
 * empty); max_line is the longest line it may hold */
hrkd_status reader_open(line_reader *r, const char *path, int64_t max_line, hrkd_error *err);
void reader_close(line_reader *r);
/* The line just read (n bytes) holds no NUL byte: 1; else 0, with r->st and the error set. */
int reader_no_nul(line_reader *r, long n);
/* dir/name, malloc'd (NULL: no memory) */
char *join_path(const char *dir, const char *name);

/* ---- growing strings ---- */

typedef struct sbuf { char *s; size_t n, cap; } sbuf;

/* append n bytes and keep s NUL-terminated: 1, or 0 when out of memory */
int sbuf_add(sbuf *b, const char *s, size_t n);
/* drop leading and trailing ASCII white space in place (NULL is left alone) */
void trim(char *s);
/* s is valid UTF-8, or "PATH:LINE: WHAT is not valid UTF-8" */
hrkd_status need_utf8(const char *path, long line, const char *what, const char *s, hrkd_error *err);

/* ---- tab-separated rows (MNLI, generic TSV) ---- */

#define MAX_COLS 64

enum { TSV_FAILED = -1, TSV_BLANK, TSV_HEADER, TSV_ROW };

/* The one rule for a line r has just read (n bytes): no NUL byte; split in place at tabs into
 * field[0 .. *nf) (field holds MAX_COLS + 1 entries), at most MAX_COLS columns. Line 1 is the
 * header and sets *ncols (TSV_HEADER); a later empty line is TSV_BLANK (skipped); every other
 * row (TSV_ROW) MUST have *ncols columns. TSV_FAILED: r->st and the error say why. */
int tsv_line(line_reader *r, long n, char **field, int *nf, int *ncols);
/* After the last line: r's reading error, or a file without even a header row refused. */
hrkd_status tsv_end(const line_reader *r);
/* index of the column called name among field[0 .. n), or -1 */
int column_of(char **field, int n, const char *name);

/* ---- tables (tsv, jsonl) ---- */

enum { COL_TEXT = HRKD_COL_TEXT, COL_TEXT_B = HRKD_COL_TEXT_B, COL_LABEL = HRKD_COL_LABEL,
       COL_DOMAIN = HRKD_COL_DOMAIN, N_COLS = HRKD_N_COLS };

/* a cursor over one JSONL line (jsonl.c); why says what was expected at p */
typedef struct json_cur { const char *p; const char *why; } json_cur;

/* skip JSON white space */
void json_ws(json_cur *c);
/* one JSONL line → the four values (malloc'd or NULL) of the keys names[COL_*]; returns 0
 * with c->why on bad JSON */
int json_row(json_cur *c, char *const *names, char **val);

/* ---- splits ---- */

/* The one way dev is taken from train when a data folder has no dev file (or its dev file is
 * the test split): per domain (domains sorted by name) the last tenth of train becomes dev,
 * after a seeded shuffle — or, with file_order (MNLI, as the papers' code splits it), in the
 * order of the file. */
hrkd_status carve_dev(const hrkd_data_options *opt, int file_order, hrkd_raw_data *r, hrkd_error *err);
/* qsort order of hrkd_raw_domain by name */
int cmp_domain(const void *a, const void *b);

#pragma GCC visibility pop

#endif
