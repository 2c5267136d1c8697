/*
 * classify.h: what a value looks like, and what a column is. A filled value
 * (not NULL, not blank) is of one kind: integer, real, date (ISO-8601 date or
 * date-time), email (an address), text or blob. A column's apparent kind is
 * what its declared type imposes when the type has INTEGER, REAL or NUMERIC
 * affinity by SQLite's rules (the declaration is a promise the data must
 * keep), else the kind most of its filled values share. A value that does not
 * fit its column's apparent kind is a type failure, with a reason.
 */
#ifndef CUTOVER_AUDIT_CLASSIFY_H
#define CUTOVER_AUDIT_CLASSIFY_H

#include "cutover/value.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum co_kind {
    CO_KIND_EMPTY = 0, /* no filled value; for a declaration: it imposes nothing */
    CO_KIND_INTEGER,
    CO_KIND_REAL,
    CO_KIND_DATE,
    CO_KIND_EMAIL,
    CO_KIND_TEXT,
    CO_KIND_BLOB,
    CO_KIND_COUNT
} co_kind;

/* "empty", "integer", "real", "date", "email", "text", "blob". */
const char *Co_kind_name(co_kind k);

/* True for text of only blanks (space, tab, CR, LF, FF, VT; '' included) and
 * for the empty blob: values present but holding nothing. */
bool Co_value_blank(const co_value *v);

/* The kind of a filled value. Integers and reals by their storage type; text
 * by its form: a canonical integer ("42", "-7", not "007"), a decimal number
 * ("3.5", "1e6"), an ISO-8601 date or date-time, an e-mail address, else
 * text. Text that is not valid UTF-8 is text. */
co_kind Co_classify(const co_value *v);

/* The kind a declared type imposes, by SQLite's affinity rules: INT in the
 * name gives integer; REAL, FLOA or DOUB real; of the NUMERIC-affinity
 * names, DATE or TIMESTAMP give date, BOOL integer, NUM, DEC or MONEY real.
 * CO_KIND_EMPTY when the declaration leaves it to the values (TEXT and BLOB
 * affinity, no type, or a NUMERIC-affinity name that says nothing, "STRING"). */
co_kind Co_declared_kind(const char *decl_type);

/* The kind most filled values share, from their counts per kind: email,
 * date, integer when at least 80% are of it; real when at least 80% are
 * numbers; blob when at least 80% are blobs; else text; empty when there are
 * none. */
co_kind Co_majority_kind(const int64_t counts[CO_KIND_COUNT]);

/* True when a value of kind got fits a column of apparent kind want. Text
 * takes anything but blobs; blob takes anything; real takes integers. */
bool Co_kind_fits(co_kind want, co_kind got);

/* Appends why a value of storage type `type` does not fit want: with
 * decl_type (the declaration imposed want) "text in an INTEGER column",
 * otherwise "not an e-mail address", "not an ISO-8601 date", ... */
void Co_kind_why(co_kind want, co_type type, const char *decl_type, co_buf *out);

/* Appends why the len bytes at s are not valid UTF-8, for the first bad byte
 * at offset (from Co_utf8_valid): "invalid UTF-8 (byte 0x96 at offset 4)";
 * offsets count from 0. */
void Co_utf8_why(const char *s, size_t len, size_t offset, co_buf *out);

/* The forms Co_classify recognizes, for other checks to share. */
bool Co_looks_like_email(const char *s, size_t len);

/* A MySQL zero date or one with a zero part: '0000-00-00', '2019-00-00',
 * '2019-05-00 10:00:00'. */
bool Co_zero_date(const char *s, size_t len);

/* Text of an integer just beyond 64 bits (a BIGINT UNSIGNED above 2^63-1). */
bool Co_big_integer_text(const char *s, size_t len);
bool Co_looks_like_date(const char *s, size_t len);

#endif
