/*
 * fmt.h: numbers as people read them, the one format every output of
 * cutover shares (report, dashboard, notices, terminal): counts with
 * thousands separators ("5,896") and a noun that agrees with its count
 * ("1 difference", "2 differences").
 */
#ifndef CUTOVER_UTIL_FMT_H
#define CUTOVER_UTIL_FMT_H

#include "util/buf.h"

#include <stdint.h>

/* Room for any int64_t with separators: "-9,223,372,036,854,775,808". */
#define CO_FMT_COUNT 32
/* Room for a count and a noun; a longer noun is cut to fit. */
#define CO_FMT_PLURAL 96

/* Writes n in decimal with a comma between groups of three digits
 * ("5,896", "-1,234,567", "0") into buf and returns buf. */
const char *Co_fmt_count(char buf[static CO_FMT_COUNT], int64_t n);

/* The noun for n: one when n is 1 or -1, many otherwise. */
const char *Co_fmt_noun(int64_t n, const char *one, const char *many);

/* Writes "COUNT NOUN" ("1 difference", "5,896 rows") into buf and returns
 * buf; many is the plural (words like "entity"/"entities" differ in more
 * than an s). */
const char *Co_fmt_plural(char buf[static CO_FMT_PLURAL], int64_t n, const char *one,
                          const char *many);

/* The same, appended to a buffer. */
void Co_buf_add_count(co_buf *b, int64_t n);
void Co_buf_add_plural(co_buf *b, int64_t n, const char *one, const char *many);

#endif
