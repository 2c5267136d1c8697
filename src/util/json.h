/*
 * json.h: writing JSON into a co_buf. Text that is not valid UTF-8 and blobs
 * are written as {"type": "text"|"blob", "hex": "..."} objects, so that every byte survives and the
 * output stays valid JSON.
 */
#ifndef CUTOVER_UTIL_JSON_H
#define CUTOVER_UTIL_JSON_H

#include "cutover/value.h"
#include "util/buf.h"

/* Appends s (len bytes, valid UTF-8 expected) as a quoted JSON string. */
void Co_json_string(co_buf *b, const char *s, size_t len);
/* Appends a NUL-terminated string as a quoted JSON string, or null for NULL. */
void Co_json_str(co_buf *b, const char *s);
/* Appends lead, JSON text written as it is (`{"name":`, `,"name":`), then s
 * as a quoted JSON string, or null for NULL: one string member of an object. */
void Co_json_field(co_buf *b, const char *lead, const char *s);
/* Appends the n strings as JSON strings separated by commas (the items of
 * an array, without its brackets). */
void Co_json_strs(co_buf *b, char *const *v, size_t n);
/* Appends a row as a JSON object {"name": value, ...} of its n columns. */
void Co_json_row(co_buf *b, const char *const *names, const co_value *vals, size_t n);
/* Appends a value: null, a number, a string, or {"type": ..., "hex": "..."}. */
void Co_json_value(co_buf *b, const co_value *v);

#endif
