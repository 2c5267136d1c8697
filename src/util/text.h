/* text.h: values as text, for what is kept or shown as text. */
#ifndef CUTOVER_UTIL_TEXT_H
#define CUTOVER_UTIL_TEXT_H

#include "cutover/value.h"

#include <stdbool.h>
#include <stddef.h>

/* A heap copy of v as text (an integer in decimal, a real as %.17g, text and
 * blob bytes as they are), or NULL for NULL or when out of memory. */
char *Co_value_text(co_value v);

/* Reads the n bytes at s as a decimal number into *out; false when one is
 * not a digit. */
bool Co_digits(const char *s, size_t n, int *out);
/* The value of a hexadecimal digit (either case), or -1 for any other byte. */
int Co_hexval(char c);

#endif
