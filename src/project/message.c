/*
 * message.c: how src/project words a problem with the project file: the
 * message with its FILE:LINE:COLUMN, and a user's text cut to fit one line.
 */
#include "project/project_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

co_code Co_project_fail(co_error *err, co_code code, const char *name, co_mark at,
                        const char *fmt, ...)
{
    if (!err)
        return code;
    char message[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    co_error_set(err, code, "%s", message);
    if (at.line > 0)
        co_error_where(err, "%s:%d:%d", name, at.line, at.column);
    else
        co_error_where(err, "%s", name);
    return code;
}

const char *Co_project_shown(const char *s, size_t len, char *buf, size_t cap)
{
    size_t max = cap < 64 ? cap - 4 : 60, n = 0;
    bool cut = len > max;
    if (cut) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (cut && n + 4 <= cap) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}
