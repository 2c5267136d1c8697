/* utf8.h: UTF-8 validation (through utf8proc). */
#ifndef CUTOVER_UTIL_UTF8_H
#define CUTOVER_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the len bytes at s are valid UTF-8 with no NUL byte. On false,
 * *bad_offset (when not NULL) is the offset of the first offending byte. */
bool Co_utf8_valid(const char *s, size_t len, size_t *bad_offset);

#endif
