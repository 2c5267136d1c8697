/*
 * parity_int.h: what the files of src/parity share, and what its unit test
 * reaches: one side's answer held in memory, and the comparison of two
 * answers (compare.c) that parity.c runs for each question.
 */
#ifndef CUTOVER_PARITY_INT_H
#define CUTOVER_PARITY_INT_H

#include "cutover/parity.h"

/* One side's answer to a question: column names and rows, copied. */
typedef struct co_parity_side {
    size_t ncols;
    char **names;          /* ncols column names */
    size_t nrows, cap;
    co_value *vals;        /* nrows * ncols; text and blob bytes are owned (malloc) */
    bool truncated;        /* the query gave more rows than were kept */
    double seconds;        /* from the query's start to its last row */
} co_parity_side;

/* Frees what s holds and zeroes it. */
void Co_parity_side_release(co_parity_side *s);
/* Sets the column names (copied) of an empty side. */
co_code Co_parity_side_columns(co_parity_side *s, size_t ncols, const char *const *names,
                               co_error *err);
/* Appends a copy of one row of s->ncols values. */
co_code Co_parity_side_add(co_parity_side *s, const co_value *row, co_error *err);

/* Whether sql orders its rows: an ORDER BY outside parentheses, string
 * literals, quoted names and comments. */
bool Co_parity_orders(const char *sql);

/* Compares two answers to question q into out (outcome, old_rows, new_rows,
 * old_only, new_only; the times and the budget are the caller's): as
 * multisets, then, when ordered, row by row. Values are compared in their
 * canonical form (util/canon.h) of each column's type: q's `types`, else
 * the type of the new side's first non-NULL value (integer, real, or text
 * as it is). On a mismatch *detail gets a sentence and *samples the JSON
 * of at most `samples` rows found on each side only (both heap, for the
 * caller to free; NULL when the answers agree). */
co_code Co_parity_compare(const co_parity_side *old_side, const co_parity_side *new_side,
                          const co_parity_query *q, bool ordered, int samples,
                          co_state_parity_check *out, char **detail, char **samples_json,
                          co_error *err);

#endif
