/* error.c: filling and naming co_error values (include/cutover/error.h). */
#include "cutover/error.h"
#include "cutover/value.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void co_error_clear(co_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

co_code co_error_set(co_error *err, co_code code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void co_error_where(co_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    size_t len = strlen(err->where);
    if (len && len + 2 < sizeof err->where) {
        memcpy(err->where + len, ", ", 3);
        len += 2;
    }
    if (len + 1 >= sizeof err->where)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->where + len, sizeof err->where - len, fmt, ap);
    va_end(ap);
}

const char *co_code_name(co_code code)
{
    static const char *const names[CO_CODE_COUNT] = {
        [CO_OK] = "ok",
        [CO_EUSAGE] = "usage",
        [CO_EPROJECT] = "project",
        [CO_ESOURCE] = "source",
        [CO_ETARGET] = "target",
        [CO_ESTATE] = "state",
        [CO_EIO] = "io",
        [CO_ENOMEM] = "memory",
        [CO_ENOTFOUND] = "not-found",
        [CO_EUNSUPPORTED] = "unsupported",
        [CO_ECHANGED] = "changed",
        [CO_EVERIFY] = "verify",
        [CO_EBUSY] = "busy",
        [CO_EINTERNAL] = "internal",
        [CO_ENOTREADY] = "not-ready",
        [CO_EFOREIGN] = "foreign-journal",
        [CO_EINTERRUPTED] = "interrupted",
    };
    if ((int)code < 0 || code >= CO_CODE_COUNT || !names[code])
        return "unknown";
    return names[code];
}

const char *co_type_name(co_type t)
{
    switch (t) {
    case CO_NULL: return "null";
    case CO_INT: return "integer";
    case CO_REAL: return "real";
    case CO_TEXT: return "text";
    case CO_BLOB: return "blob";
    }
    return "unknown";
}
