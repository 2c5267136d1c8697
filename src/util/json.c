/* json.c: JSON writing helpers (json.h). */
#include "util/json.h"
#include "util/utf8.h"

#include <math.h>
#include <string.h>

static void add_hex(co_buf *b, const char *s, size_t len, const char *type)
{
    static const char digits[] = "0123456789abcdef";
    Co_buf_printf(b, "{\"type\":\"%s\",\"hex\":\"", type);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        Co_buf_addc(b, digits[c >> 4]);
        Co_buf_addc(b, digits[c & 15]);
    }
    Co_buf_adds(b, "\"}");
}

void Co_json_string(co_buf *b, const char *s, size_t len)
{
    Co_buf_addc(b, '"');
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char tmp[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                static const char digits[] = "0123456789abcdef";
                memcpy(tmp, "\\u00", 4);
                tmp[4] = digits[c >> 4];
                tmp[5] = digits[c & 15];
                tmp[6] = '\0';
                esc = tmp;
            }
        }
        if (esc) {
            Co_buf_add(b, s + run, i - run);
            Co_buf_adds(b, esc);
            run = i + 1;
        }
    }
    Co_buf_add(b, s + run, len - run);
    Co_buf_addc(b, '"');
}

void Co_json_str(co_buf *b, const char *s)
{
    if (!s)
        Co_buf_adds(b, "null");
    else
        Co_json_string(b, s, strlen(s));
}

void Co_json_field(co_buf *b, const char *lead, const char *s)
{
    Co_buf_adds(b, lead);
    Co_json_str(b, s);
}

void Co_json_strs(co_buf *b, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            Co_buf_addc(b, ',');
        Co_json_str(b, v[i]);
    }
}

void Co_json_value(co_buf *b, const co_value *v)
{
    switch (v->type) {
    case CO_NULL:
        Co_buf_adds(b, "null");
        break;
    case CO_INT:
        Co_buf_add_int(b, v->i);
        break;
    case CO_REAL:
        if (isfinite(v->r))
            Co_buf_printf(b, "%.17g", v->r);
        else
            Co_buf_adds(b, "null");
        break;
    case CO_TEXT:
        if (Co_utf8_valid(v->s, v->len, NULL))
            Co_json_string(b, v->s, v->len);
        else
            add_hex(b, v->s, v->len, "text");
        break;
    case CO_BLOB:
        add_hex(b, v->s, v->len, "blob");
        break;
    }
}

void Co_json_row(co_buf *b, const char *const *names, const co_value *vals, size_t n)
{
    Co_buf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            Co_buf_addc(b, ',');
        Co_json_str(b, names[i]);
        Co_buf_addc(b, ':');
        Co_json_value(b, &vals[i]);
    }
    Co_buf_addc(b, '}');
}
