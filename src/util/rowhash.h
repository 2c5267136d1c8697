/*
 * rowhash.h: content hashes of rows, the same on every engine. A value is
 * hashed in a canonical, type-aware form: NULL apart from '' and 0; integers
 * by value; a real that holds an integer as that integer, other reals by
 * their 15 significant digits (so that a round trip through another engine's
 * float formatting does not count as a change); text as its bytes, with text
 * that spells a canonical integer counted as that integer (as SQLite's
 * affinity stores it, and as keys are written, util/key.h); blobs as bytes.
 * A row's hash is XXH3-64 of its values in order; hashes of many rows are
 * combined by addition modulo 2^64, so that ranges can be summed and compared.
 */
#ifndef CUTOVER_UTIL_ROWHASH_H
#define CUTOVER_UTIL_ROWHASH_H

#include "cutover/value.h"

#include <stddef.h>
#include <stdint.h>

/* The hash of n values as one row. */
uint64_t Co_row_hash(const co_value *vals, size_t n);

/* The digest of n values as one row: the same canonical values written as
 * text, each tagged ("N;", "I<integer>;", "R<decimal>;" with the 15
 * significant digits in plain decimal as PostgreSQL's float8::numeric::text
 * writes them, "T<bytes>:<text>", "B<hex>;"), and the first 8 bytes of that
 * text's MD5, big-endian. PostgreSQL computes the same in SQL (md5()), so a
 * summary of such digests, summed modulo 2^64, is computed inside either
 * engine (store.h, co_store_digest_sum_sql). */
uint64_t Co_row_digest(const co_value *vals, size_t n);

/* True when a and b are the same value in the canonical form above. */
bool Co_value_same(const co_value *a, const co_value *b);

/* x rounded to `digits` decimals (verify.round): its 15-significant-digit
 * decimal form rounded half away from zero, so 1.005 gives 1.01 and 1.015
 * gives 1.02 although neither is exactly representable (what PostgreSQL's
 * round(x::numeric, digits) does too). Verification rounds with this on
 * every path: in C, and in SQLite as cutover_round(x, digits). */
double Co_round_decimal(double x, int digits);

#endif
