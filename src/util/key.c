/* key.c: canonical key text (key.h): writing with util/json, reading back. */
#include "util/key.h"
#include "util/json.h"
#include "util/text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool Co_text_as_int(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 20)
        return false;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == len || (s[i] == '0' && len > i + 1) || (i == 1 && s[1] == '0'))
        return false;
    /* Digits by hand: this runs for every key of every row. */
    uint64_t v = 0, limit = i ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t j = i; j < len; j++) {
        unsigned d = (unsigned char)s[j] - '0';
        if (d > 9 || v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = i ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return true;
}

void Co_key_of_row(co_buf *out, const co_value *row, const size_t *idx, size_t n)
{
    co_value vals[64];
    for (size_t k = 0; k < n && k < 64; k++)
        vals[k] = row[idx[k]];
    Co_buf_reset(out);
    Co_key_encode(out, vals, n < 64 ? n : 64);
}

void Co_key_encode(co_buf *out, const co_value *vals, size_t n)
{
    Co_buf_addc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            Co_buf_addc(out, ',');
        int64_t as_int;
        if (vals[i].type == CO_TEXT && Co_text_as_int(vals[i].s, vals[i].len, &as_int)) {
            co_value v = co_int(as_int);
            Co_json_value(out, &v);
        } else {
            Co_json_value(out, &vals[i]);
        }
    }
    Co_buf_addc(out, ']');
}

void Co_key_encode_exact(co_buf *out, const co_value *vals, size_t n)
{
    Co_buf_addc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            Co_buf_addc(out, ',');
        Co_json_value(out, &vals[i]);
    }
    Co_buf_addc(out, ']');
}

/* ---- decoding: only what Co_key_encode writes ---------------------------------- */

typedef struct reader {
    const char *p;
    co_buf *storage;
} reader;

static void skip_ws(reader *r)
{
    while (*r->p == ' ')
        r->p++;
}

/* Reads a JSON string into storage; *off and *len locate it there. */
static bool read_string(reader *r, size_t *off, size_t *len)
{
    if (*r->p != '"')
        return false;
    r->p++;
    *off = r->storage->len;
    while (*r->p && *r->p != '"') {
        char c = *r->p++;
        if (c != '\\') {
            Co_buf_addc(r->storage, c);
            continue;
        }
        c = *r->p++;
        switch (c) {
        case '"': case '\\': case '/': Co_buf_addc(r->storage, c); break;
        case 'n': Co_buf_addc(r->storage, '\n'); break;
        case 'r': Co_buf_addc(r->storage, '\r'); break;
        case 't': Co_buf_addc(r->storage, '\t'); break;
        case 'b': Co_buf_addc(r->storage, '\b'); break;
        case 'f': Co_buf_addc(r->storage, '\f'); break;
        case 'u': {
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int h = Co_hexval(r->p[k]);
                if (h < 0)
                    return false;
                v = v * 16 + h;
            }
            r->p += 4;
            if (v >= 0x80) /* the encoder escapes only control characters */
                return false;
            Co_buf_addc(r->storage, (char)v);
            break;
        }
        default: return false;
        }
    }
    if (*r->p != '"')
        return false;
    r->p++;
    *len = r->storage->len - *off;
    Co_buf_addc(r->storage, '\0');
    return true;
}

/* Reads {"type":"text"|"blob","hex":"..."}. */
static bool read_hex_object(reader *r, co_type *type, size_t *off, size_t *len)
{
    const char *head_text = "{\"type\":\"text\",\"hex\":\"";
    const char *head_blob = "{\"type\":\"blob\",\"hex\":\"";
    size_t head = strlen(head_text);
    if (strncmp(r->p, head_text, head) == 0)
        *type = CO_TEXT;
    else if (strncmp(r->p, head_blob, head) == 0)
        *type = CO_BLOB;
    else
        return false;
    r->p += head;
    *off = r->storage->len;
    while (Co_hexval(r->p[0]) >= 0 && Co_hexval(r->p[1]) >= 0) {
        Co_buf_addc(r->storage, (char)(Co_hexval(r->p[0]) * 16 + Co_hexval(r->p[1])));
        r->p += 2;
    }
    if (strncmp(r->p, "\"}", 2) != 0)
        return false;
    r->p += 2;
    *len = r->storage->len - *off;
    Co_buf_addc(r->storage, '\0');
    return true;
}

co_code Co_key_decode(const char *key, co_value *vals, size_t max, size_t *n, co_buf *storage,
                      co_error *err)
{
    reader r = {key, storage};
    size_t offsets[64];
    size_t count = 0;
    if (max > 64)
        max = 64;
    skip_ws(&r);
    if (*r.p++ != '[')
        goto bad;
    skip_ws(&r);
    while (*r.p && *r.p != ']') {
        if (count == max)
            goto bad;
        co_value *v = &vals[count];
        *v = co_null();
        if (*r.p == '"') {
            v->type = CO_TEXT;
            if (!read_string(&r, &offsets[count], &v->len))
                goto bad;
        } else if (*r.p == '{') {
            if (!read_hex_object(&r, &v->type, &offsets[count], &v->len))
                goto bad;
        } else if (strncmp(r.p, "null", 4) == 0) {
            r.p += 4;
        } else {
            char *end;
            const char *start = r.p;
            size_t span = strspn(start, "-0123456789");
            if (start[span] == '.' || start[span] == 'e' || start[span] == 'E') {
                v->type = CO_REAL;
                v->r = strtod(start, &end);
            } else {
                v->type = CO_INT;
                errno = 0;
                v->i = strtoll(start, &end, 10);
                if (errno)
                    goto bad;
            }
            if (end == start)
                goto bad;
            r.p = end;
        }
        count++;
        skip_ws(&r);
        if (*r.p == ',')
            r.p++;
        skip_ws(&r);
    }
    if (*r.p != ']' || storage->failed)
        goto bad;
    for (size_t i = 0; i < count; i++)
        if (vals[i].type == CO_TEXT || vals[i].type == CO_BLOB)
            vals[i].s = storage->data + offsets[i];
    *n = count;
    return CO_OK;
bad:
    return co_error_set(err, CO_EINTERNAL, "not a canonical key: %.80s", key);
}
