/*
 * canon.h: a value as a target column of a declared type stores it, in one
 * canonical form per value, whatever the engine. Verification compares the
 * expected row (read from the source) and the actual row (read from the
 * target) after passing both through Co_canon_value with the target
 * column's type, on every path: in C, and in SQLite's SQL as
 * cutover_canon(x, 'type'). So '1.50', '1.5' and 1.5 are one value in a REAL
 * column, '0042' and 42 in an INTEGER one, '2024-01-05 00:00:00' and
 * '2024-01-05' in a DATE one, 't', 'true', '1' and 1 in a boolean; and a
 * SQLite source verifies against a PostgreSQL target as exactly as against
 * SQLite. A value the type cannot read ('abc' in an INTEGER column, which
 * SQLite keeps as text) stays as it is, so it still differs from any number.
 * docs/verify.md has the table of forms, with the PostgreSQL expression
 * that gives each.
 *
 * The canonical value is then hashed and compared as util/rowhash.h says
 * (a real holding an integer is that integer; other reals by 15 significant
 * digits).
 */
#ifndef CUTOVER_UTIL_CANON_H
#define CUTOVER_UTIL_CANON_H

#include "cutover/value.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum co_canon_kind {
    CO_CANON_ANY,         /* text, blob, undeclared, anything else: as it is */
    CO_CANON_INTEGER,     /* INT, INTEGER, BIGINT, SMALLINT, SERIAL ... */
    CO_CANON_REAL,        /* REAL, FLOAT, DOUBLE PRECISION, NUMERIC without a scale */
    CO_CANON_DECIMAL,     /* NUMERIC(p,s), DECIMAL(p,s): rounded at scale s */
    CO_CANON_DATE,        /* DATE */
    CO_CANON_TIMESTAMP,   /* TIMESTAMP [WITHOUT TIME ZONE], DATETIME */
    CO_CANON_TIMESTAMPTZ, /* TIMESTAMP WITH TIME ZONE, TIMESTAMPTZ: at UTC */
    CO_CANON_BOOLEAN,     /* BOOLEAN, BOOL */
} co_canon_kind;

typedef struct co_canon_type {
    co_canon_kind kind;
    int scale; /* CO_CANON_DECIMAL */
} co_canon_type;

/* The type of a column as declared ("NUMERIC(10,2)", "timestamp with time
 * zone", "INTEGER"; "" for none), by name as SQLite's affinity rules and
 * PostgreSQL's format_type() write them. */
co_canon_type Co_canon_type_of(const char *decl_type);

/* The type's name for SQL (cutover_canon's second argument): "any",
 * "integer", "real", "decimal(2)", "date", "timestamp", "timestamptz",
 * "boolean". Co_canon_type_parse reads it back (false for another name). */
void Co_canon_type_name(co_canon_type t, char *out, size_t cap);
bool Co_canon_type_parse(const char *name, co_canon_type *out);

/* Room for the text of a canonical value (dates and timestamps). */
#define CO_CANON_TEXT_MAX 40

/* The canonical form of v in a column of type t. Text the result holds is
 * either v's own bytes or written into buf (CO_CANON_TEXT_MAX bytes), so the
 * result lives as long as both. */
co_value Co_canon_value(co_canon_type t, co_value v, char *buf);

#endif
