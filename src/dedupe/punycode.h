/*
 * punycode.h: decoding RFC 3492 Punycode, the ASCII form of the labels of
 * internationalized domain names ("xn--mnchen-3ya" is "münchen"), so that
 * both spellings of a domain normalize to one form.
 */
#ifndef CUTOVER_DEDUPE_PUNYCODE_H
#define CUTOVER_DEDUPE_PUNYCODE_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends the UTF-8 text that s (len bytes, the label without its "xn--")
 * encodes. False, with nothing appended, when s is not valid Punycode: a byte
 * outside the basic code points, a bad digit, an overflow, a result beyond
 * U+10FFFF or a surrogate, or no encoded code point at all (an A-label always
 * encodes at least one non-ASCII character). Digits are read in either case.
 * The same rules are written in PL/pgSQL in normalize_pg.c: change both. */
bool Co_punycode_decode(const char *s, size_t len, co_buf *out);

#endif
