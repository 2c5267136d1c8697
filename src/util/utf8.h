/* utf8.h: UTF-8 validation (through utf8proc). */
#ifndef CUTOVER_UTIL_UTF8_H
#define CUTOVER_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the len bytes at s are valid UTF-8 with no NUL byte. On false,
 * *bad_offset (when not NULL) is the offset of the first offending byte. */
bool Co_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* How many of the len bytes at s are ASCII before the first that is not
 * (len when all are): the common case, which needs no decoding. */
size_t Co_utf8_ascii_span(const char *s, size_t len);

/* True when the len bytes at s (valid UTF-8) are UTF-8 text read once more as
 * latin1 (MySQL's latin1, which is Windows-1252): every character is one
 * latin1 byte, and those bytes are valid UTF-8 with at least one character
 * beyond ASCII ('MÃ¼ller' is 'Müller'; 'José' and 'plain' are not). */
bool Co_utf8_mojibake(const char *s, size_t len);

#endif
