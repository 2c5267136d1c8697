/*
 * normalize.h: normal forms of text for matching records that are the same
 * thing written differently (cnn.com and CNN.com; Straße and STRASSE). They
 * are for comparing, never for storing: the rows keep their own spelling.
 */
#ifndef CUTOVER_DEDUPE_NORMALIZE_H
#define CUTOVER_DEDUPE_NORMALIZE_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends s (len bytes of UTF-8) in Unicode NFKC case-folded form, trimmed of
 * surrounding white space. Returns false when s is not valid UTF-8 (then
 * nothing is appended). */
bool co_norm_casefold(const char *s, size_t len, co_buf *out);

/* Appends the domain named by s: from a URL ("https://www.CNN.com/x"), an
 * e-mail address ("jane@CNN.com") or a bare domain; without scheme, user,
 * "www.", port, path and trailing dot; case-folded. False when none is found. */
bool co_norm_domain(const char *s, size_t len, co_buf *out);

/* Appends an e-mail address for matching: trimmed, case-folded. False when s
 * has no '@' with text on both sides. */
bool co_norm_email(const char *s, size_t len, co_buf *out);

#endif
