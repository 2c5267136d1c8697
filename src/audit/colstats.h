/*
 * colstats.h: what one column's values add up to, in memory fixed whatever
 * the table holds: counts of NULLs, blanks and kinds (classify.h), lengths,
 * a HyperLogLog sketch of its distinct values (hll.h), Space-Saving counters
 * of its frequent ones (topk.h), the first bytes of its smallest and largest
 * value, the first few values of each kind (any of which may turn out to be
 * a type failure once the column's kind is known) and, per timestamp column
 * of the table, the newest time the column was filled. Private to the audit.
 */
#ifndef CUTOVER_AUDIT_COLSTATS_H
#define CUTOVER_AUDIT_COLSTATS_H

#include "audit/classify.h"
#include "audit/hll.h"
#include "audit/topk.h"
#include "cutover/value.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define CO_KEPT_BYTES 64     /* bytes kept of a text or blob value */
#define CO_SHOWN_BYTES 60    /* a shown value is at most this long */
#define CO_COL_EXAMPLES 3    /* failure examples shown */
#define CO_COL_TOP 5         /* top values shown */
#define CO_COL_STAMPS 4      /* timestamp columns followed per table */

/* A value kept in bounded storage: its type and number, or its full length
 * and its first CO_KEPT_BYTES bytes. */
typedef struct co_kept {
    co_type type;
    int64_t i;
    double r;
    size_t len;
    bool valid_utf8; /* text: the whole value is valid UTF-8 */
    char bytes[CO_KEPT_BYTES + 1];
} co_kept;

/* A filled value noted while reading, in case its kind fails the column's. */
typedef struct co_col_example {
    int64_t seq;    /* row number in the scan: examples show in reading order */
    int64_t rowid;
    co_kept value;
    char utf8[96];  /* why its bytes are not valid UTF-8, or "" */
} co_col_example;

typedef struct co_colstats {
    co_hll hll;
    co_topk topk;
    int64_t nonnull, nulls, empties, bad_utf8;
    int64_t kinds[CO_KIND_COUNT]; /* filled values of valid UTF-8, per kind */
    int64_t len_sum, min_len, max_len;
    co_kept min, max;
    co_col_example examples[CO_KIND_COUNT][CO_COL_EXAMPLES]; /* first of each kind */
    int nexamples[CO_KIND_COUNT];
    co_col_example bad[CO_COL_EXAMPLES]; /* first text values of invalid UTF-8 */
    int nbad;
    co_kept last[CO_COL_STAMPS]; /* per timestamp column: its newest text where filled */
    bool has_last[CO_COL_STAMPS];
} co_colstats;

void Co_colstats_init(co_colstats *st);
/* Counts one value, the seq-th row read (from 1), whose row id is rowid;
 * returns true when it is filled (not NULL, not blank). */
bool Co_colstats_add(co_colstats *st, const co_value *v, int64_t seq, int64_t rowid);
/* Notes the text of timestamp column `slot` for a row where this column is
 * filled: the newest one is kept. */
void Co_colstats_stamp(co_colstats *st, size_t slot, const co_value *stamp);

/* Filled values: neither NULL nor blank. */
int64_t Co_colstats_filled(const co_colstats *st);
/* The column's apparent kind: empty with no filled value, else what the
 * declared type imposes (*imposed true), else the majority kind. */
co_kind Co_colstats_kind(const co_colstats *st, const char *decl_type, bool *imposed);
/* Filled values that do not fit want, plus text of invalid UTF-8. */
int64_t Co_colstats_failures(const co_colstats *st, co_kind want);
/* Appends up to CO_COL_EXAMPLES failures as a JSON array of {"rowid", "value", "why"}. */
void Co_colstats_failures_json(const co_colstats *st, co_kind want, const char *decl_type,
                               bool imposed, co_buf *out);
/* Appends the most frequent values known for certain, with exact counts, that
 * occur more than once (at most CO_COL_TOP), as a JSON array of {"value", "count"}. */
void Co_colstats_top_json(const co_colstats *st, co_buf *out);

/* Appends a kept value's text form shortened to CO_SHOWN_BYTES: numbers as
 * SQLite writes them, valid UTF-8 cut at a character with "…", anything
 * else as x'hex'. */
void Co_kept_show(const co_kept *k, co_buf *out);

#endif
