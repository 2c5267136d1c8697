/* text.c: values as text (text.h). */
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *Co_value_text(co_value v)
{
    char buf[32];
    switch (v.type) {
    case CO_NULL:
        return NULL;
    case CO_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)v.i);
        return strdup(buf);
    case CO_REAL:
        snprintf(buf, sizeof buf, "%.17g", v.r);
        return strdup(buf);
    default:
        return strndup(v.s ? v.s : "", v.len);
    }
}

int Co_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool Co_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}
