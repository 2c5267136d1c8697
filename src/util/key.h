/*
 * key.h: canonical keys. A row's key (its key columns' values) is written as a
 * JSON array, the same text for the same values whatever the engine: it is
 * what id maps, rejects and reports store and compare. Text that spells a
 * canonical integer ("42", not "042" or "+42") is written as that integer, so
 * that a legacy column storing ids as text still matches integer keys.
 */
#ifndef CUTOVER_UTIL_KEY_H
#define CUTOVER_UTIL_KEY_H

#include "cutover/error.h"
#include "cutover/value.h"
#include "util/buf.h"

/* True when the len bytes at s spell an integer in canonical decimal form
 * ("42", "-7"; not "042", "+1", " 1"); its value goes to *out. */
bool Co_text_as_int(const char *s, size_t len, int64_t *out);

/* Appends the canonical key of the n values to out, e.g. [42,"tech"]. */
void Co_key_encode(co_buf *out, const co_value *vals, size_t n);
/* out becomes the canonical key of a row's key columns: row[idx[0]], ...,
 * row[idx[n - 1]] (n at most 64). */
void Co_key_of_row(co_buf *out, const co_value *row, const size_t *idx, size_t n);

/* The same, but every value keeps its type ("42" stays text): what the
 * destination holds, for deleting exactly those rows again. */
void Co_key_encode_exact(co_buf *out, const co_value *vals, size_t n);

/* Decodes a canonical key into at most max values. Text and blob bytes are
 * copied into *storage, which must outlive the values and must not be
 * appended to meanwhile. Returns CO_EINTERNAL for text that is not a key. */
co_code Co_key_decode(const char *key, co_value *vals, size_t max, size_t *n, co_buf *storage,
                      co_error *err);

#endif
