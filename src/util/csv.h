/*
 * csv.h: comma-separated values as RFC 4180 spells them, for the files people
 * read and edit in a spreadsheet (review pairs): cells quoted when they hold
 * a comma, a quote, a line break or edge spaces; quotes doubled inside.
 */
#ifndef CUTOVER_UTIL_CSV_H
#define CUTOVER_UTIL_CSV_H

#include "cutover/error.h"
#include "util/buf.h"

#include <stdio.h>

/* Appends one cell (len bytes of s), quoted when it must be. */
void Co_csv_cell(co_buf *out, const char *s, size_t len);

/* Reads a CSV file record by record. Owns the cells of the current record
 * until the next call. */
typedef struct co_csv_reader {
    FILE *in;
    const char *name; /* for messages: "FILE:LINE" */
    long line;        /* the line the current record starts on, 1-based */
    long next_line;
    co_buf text;      /* the record's cells, each ending in '\0' */
    size_t *at;       /* where each cell starts in text */
    size_t n, cap;
} co_csv_reader;

/* Starts reading from in (not closed by the reader); name is used in errors. */
void Co_csv_init(co_csv_reader *r, FILE *in, const char *name);
void Co_csv_release(co_csv_reader *r);

/* The next record into r (Co_csv_cell_at gives its cells); *more false at the
 * end of the file. Blank lines are skipped. CO_EUSAGE for a quote left open
 * or text after a closing quote, with the file and line; CO_EIO, CO_ENOMEM. */
co_code Co_csv_next(co_csv_reader *r, bool *more, co_error *err);

/* Cell i of the current record (i < r->n). */
const char *Co_csv_cell_at(const co_csv_reader *r, size_t i);

#endif
