/*
 * similarity.h: how alike two values are, as a number in [0, 1] (1 = the
 * same), for record linkage (dedupe/link.h). Text is compared by Unicode code
 * point, not by byte, so that "Müller" and "Muller" are one edit apart.
 *
 * All functions are pure: no allocation, no failure, no global state. To keep
 * them so, strings are compared on their first CO_SIM_MAX_LEN code points and
 * on their first CO_SIM_MAX_TOKENS tokens; record fields are far shorter.
 * Callers are expected to normalize first (case folding, trimming:
 * dedupe/normalize.h); these functions compare exactly what they are given.
 */
#ifndef CUTOVER_DEDUPE_SIMILARITY_H
#define CUTOVER_DEDUPE_SIMILARITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CO_SIM_MAX_LEN 256
#define CO_SIM_MAX_TOKENS 32

/* Decodes len bytes of UTF-8 into code points, storing at most cap of them in
 * out (out may be NULL when cap is 0), and returns how many there are in all.
 * A byte that is not part of valid UTF-8 becomes one code point of its own
 * (U+DC80..U+DCFF, as Python's surrogateescape does), so that any bytes can be
 * compared and equal bytes decode equally. */
size_t Co_sim_decode(const char *s, size_t len, int32_t *out, size_t cap);

/* ---- on code points ------------------------------------------------------- */

/* Jaro similarity: matching code points within a window of
 * max(na, nb) / 2 - 1 positions, and transpositions among them. Two empty
 * strings are 1; one empty string is 0. */
double Co_sim_jaro_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb);

/* Jaro-Winkler similarity (Winkler 1990): the Jaro similarity j, raised for a
 * common prefix of l code points (at most 4) to j + 0.1 * l * (1 - j) when j
 * is above 0.7. MARTHA/MARHTA = 0.9611, DWAYNE/DUANE = 0.84. */
double Co_sim_jaro_winkler_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb);

/* Levenshtein distance: insertions, deletions and substitutions. */
size_t Co_sim_levenshtein_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb);

/* Optimal string alignment distance (restricted Damerau-Levenshtein): as
 * Levenshtein, and a swap of two adjacent code points counts as one edit. */
size_t Co_sim_damerau_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb);

/* 1 - distance / max(na, nb): 1 for equal strings (two empty ones too). */
double Co_sim_levenshtein_ratio_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb);
double Co_sim_damerau_ratio_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb);

/* Token similarity (symmetric Monge-Elkan): the strings are split at white
 * space; each token of one side is paired with its most similar token of the
 * other side by Jaro-Winkler; the result is the mean of those best scores,
 * averaged over both directions. Word order does not matter ("watson noah" =
 * "noah watson"), a missing or extra word costs in proportion. */
double Co_sim_tokens_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb);

/* ---- on UTF-8 text (NUL-terminated), for convenience and tests ------------- */

double Co_sim_jaro(const char *a, const char *b);
double Co_sim_jaro_winkler(const char *a, const char *b);
double Co_sim_levenshtein_ratio(const char *a, const char *b);
double Co_sim_damerau_ratio(const char *a, const char *b);
double Co_sim_tokens(const char *a, const char *b);

/* ---- numbers and dates ------------------------------------------------------ */

/* Parses s (len bytes) as a decimal number ("42", "-3.5", "1e3"); no
 * surrounding text allowed. */
bool Co_sim_parse_number(const char *s, size_t len, double *out);

/* Parses a calendar date "YYYY-MM-DD", "YYYY/MM/DD" or "YYYYMMDD" (a time
 * after a 'T' or a space is ignored) into days since 1970-01-01 (negative
 * before). False for text that is not a real date (2023-02-30). */
bool Co_sim_parse_date(const char *s, size_t len, int32_t *days);

/* Closeness of two numbers: 1 - |a - b| / scale, at least 0. A scale of 0 or
 * less means relative to the larger magnitude: 1 - |a - b| / max(|a|, |b|). */
double Co_sim_number(double a, double b, double scale);

/* Closeness of two dates given as days since 1970-01-01: 1 when equal, else
 * the best of three views of the difference: 1 - days apart / scale_days
 * (a date that moved a little; scale_days <= 0 means 30), 0.9 when day and
 * month are swapped (03/04 read as 04/03), and the edit similarity of the
 * eight digits YYYYMMDD (a typo in one digit: 0.875). */
double Co_sim_date(int32_t a, int32_t b, double scale_days);

#endif
