/* fmt.c: counts with thousands separators and plurals that agree (fmt.h). */
#include "util/fmt.h"

#include <stdio.h>
#include <string.h>

const char *Co_fmt_count(char buf[static CO_FMT_COUNT], int64_t n)
{
    char digits[CO_FMT_COUNT];
    char *end = digits + sizeof digits, *p = end;
    /* The magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    int group = 0;
    do {
        if (group++ == 3) {
            *--p = ',';
            group = 1;
        }
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = (size_t)(end - p);
    char *out = buf;
    if (n < 0)
        *out++ = '-';
    memcpy(out, p, len);
    out[len] = '\0';
    return buf;
}

const char *Co_fmt_noun(int64_t n, const char *one, const char *many)
{
    return n == 1 || n == -1 ? one : many;
}

const char *Co_fmt_plural(char buf[static CO_FMT_PLURAL], int64_t n, const char *one,
                          const char *many)
{
    char count[CO_FMT_COUNT];
    snprintf(buf, CO_FMT_PLURAL, "%s %s", Co_fmt_count(count, n), Co_fmt_noun(n, one, many));
    return buf;
}

void Co_buf_add_count(co_buf *b, int64_t n)
{
    char count[CO_FMT_COUNT];
    Co_buf_adds(b, Co_fmt_count(count, n));
}

void Co_buf_add_plural(co_buf *b, int64_t n, const char *one, const char *many)
{
    Co_buf_add_count(b, n);
    Co_buf_addc(b, ' ');
    Co_buf_adds(b, Co_fmt_noun(n, one, many));
}
