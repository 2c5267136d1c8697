/*
 * value.h: one database value as it travels between source, engine and target.
 *
 * A co_value never owns its bytes: text and blob values point into memory that
 * belongs to whoever produced the value (a cursor's current row, a row buffer),
 * and stay valid only as long as that owner says.
 */
#ifndef CUTOVER_VALUE_H
#define CUTOVER_VALUE_H

#include "cutover/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum co_type { CO_NULL = 0, CO_INT, CO_REAL, CO_TEXT, CO_BLOB } co_type;

typedef struct co_value {
    co_type type;
    int64_t i;     /* CO_INT */
    double r;      /* CO_REAL */
    const char *s; /* CO_TEXT, CO_BLOB: len bytes; a text value is also NUL-terminated */
    size_t len;
} co_value;

static inline co_value co_null(void) { co_value v = {0}; return v; }
static inline co_value co_int(int64_t i) { co_value v = {0}; v.type = CO_INT; v.i = i; return v; }
static inline co_value co_real(double r) { co_value v = {0}; v.type = CO_REAL; v.r = r; return v; }
static inline co_value co_text(const char *s, size_t len)
{
    co_value v = {0}; v.type = CO_TEXT; v.s = s; v.len = len; return v;
}

/* The name of a type as written in messages: "null", "integer", ... */
CO_API const char *co_type_name(co_type t);

#endif
