/* utf8.c: UTF-8 validation. An ASCII fast path, then utf8proc for the rest. */
#include "util/utf8.h"

#include <utf8proc.h>

bool Co_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] && p[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0 || cp == 0) {
            if (bad_offset)
                *bad_offset = i;
            return false;
        }
        i += (size_t)n;
    }
    return true;
}

size_t Co_utf8_ascii_span(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len && p[i] < 0x80)
        i++;
    return i;
}

/* The byte that MySQL's latin1 (Windows-1252) writes as code point cp; -1 for
 * none. */
static int cp1252_byte(utf8proc_int32_t cp)
{
    static const utf8proc_int32_t high[32] = {
        0x20ac, -1,     0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
        0x2039, 0x0152, -1,     0x017d, -1,     -1,     0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
        0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, -1,     0x017e, 0x0178};
    if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff))
        return cp;
    for (int i = 0; i < 32; i++)
        if (high[i] == cp)
            return 0x80 + i;
    if (cp >= 0x80 && cp <= 0x9f) /* latin1's C1 controls, as MySQL keeps 0x81, 0x8d, ... */
        return cp;
    return -1;
}

bool Co_utf8_mojibake(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t first = Co_utf8_ascii_span(s, len);
    if (first == len)
        return false; /* ASCII: the common case, at once */
    unsigned char bytes[4];
    size_t need = 0, have = 0;
    bool multibyte = false;
    for (size_t i = first; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return false;
        i += (size_t)n;
        int b = cp1252_byte(cp);
        if (b < 0)
            return false;
        if (need == 0) { /* a lead byte */
            if (b < 0x80)
                continue;
            need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 0;
            if (need == 0 || b > 0xf4)
                return false;
            have = 0;
        } else if ((b & 0xc0) != 0x80) {
            return false;
        }
        bytes[have++] = (unsigned char)b;
        if (have == need) {
            utf8proc_int32_t out;
            if (utf8proc_iterate(bytes, (utf8proc_ssize_t)need, &out) != (utf8proc_ssize_t)need)
                return false;
            multibyte = true;
            need = 0;
        }
    }
    return need == 0 && multibyte;
}
