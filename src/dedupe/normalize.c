/* normalize.c: normal forms for matching (normalize.h), through utf8proc. */
#include "dedupe/normalize.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool co_norm_casefold(const char *s, size_t len, co_buf *out)
{
    while (len && blank(*s)) {
        s++;
        len--;
    }
    while (len && blank(s[len - 1]))
        len--;
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &folded,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD);
    if (n < 0)
        return false;
    co_buf_add(out, folded, (size_t)n);
    free(folded);
    return true;
}

bool co_norm_domain(const char *s, size_t len, co_buf *out)
{
    const char *end = s + len;
    const char *scheme = NULL;
    for (const char *p = s; p + 2 < end; p++)
        if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
            scheme = p + 3;
            break;
        }
    const char *start = scheme ? scheme : s;
    const char *at = memchr(start, '@', (size_t)(end - start));
    if (at)
        start = at + 1;
    while (start < end && blank(*start))
        start++;
    const char *stop = start;
    while (stop < end && *stop != '/' && *stop != ':' && *stop != '?' && *stop != '#' &&
           !blank(*stop))
        stop++;
    while (stop > start && stop[-1] == '.')
        stop--;
    co_buf folded = CO_BUF_INIT;
    bool ok = stop > start && co_norm_casefold(start, (size_t)(stop - start), &folded);
    const char *d = co_buf_str(&folded);
    if (ok && strncmp(d, "www.", 4) == 0 && strchr(d + 4, '.'))
        d += 4;
    ok = ok && *d && strchr(d, '.');
    if (ok)
        co_buf_adds(out, d);
    co_buf_release(&folded);
    return ok;
}

bool co_norm_email(const char *s, size_t len, co_buf *out)
{
    const char *at = memchr(s, '@', len);
    if (!at || at == s || at + 1 == s + len)
        return false;
    return co_norm_casefold(s, len, out);
}
