/* buf.c: the growable buffer of buf.h. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void Co_buf_init(co_buf *b) { memset(b, 0, sizeof *b); }

void Co_buf_release(co_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void Co_buf_reset(co_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

static bool grow(co_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void Co_buf_add(co_buf *b, const void *data, size_t len)
{
    if (!grow(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void Co_buf_adds(co_buf *b, const char *s) { Co_buf_add(b, s, strlen(s)); }

void Co_buf_addc(co_buf *b, char c) { Co_buf_add(b, &c, 1); }

void Co_buf_add_int(co_buf *b, int64_t v)
{
    char digits[24];
    char *end = digits + sizeof digits, *p = end;
    /* Work on the magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    Co_buf_add(b, p, (size_t)(end - p));
}

void Co_buf_printf(co_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        Co_buf_add(b, small, (size_t)n);
        return;
    }
    if (!grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *co_buf_str(const co_buf *b) { return b->data ? b->data : ""; }
size_t co_buf_len(const co_buf *b) { return b->len; }
bool co_buf_failed(const co_buf *b) { return b->failed; }

co_buf *co_buf_new(void) { return calloc(1, sizeof(co_buf)); }

void co_buf_free(co_buf *b)
{
    if (b) {
        Co_buf_release(b);
        free(b);
    }
}

char *co_buf_detach(co_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    memset(b, 0, sizeof *b);
    return p;
}

char *Co_buf_take(co_buf *b)
{
    if (b->failed) {
        Co_buf_release(b);
        return NULL;
    }
    return co_buf_detach(b);
}

co_code Co_buf_finish(co_buf *b, co_code rc, char **out, co_error *err)
{
    if (rc == CO_OK && b->failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc != CO_OK) {
        Co_buf_release(b);
        return rc;
    }
    *out = co_buf_detach(b);
    return CO_OK;
}

void Co_buf_quote(co_buf *b, const char *s, size_t len, char q)
{
    Co_buf_addc(b, q);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == q)
            Co_buf_addc(b, q);
        Co_buf_addc(b, s[i]);
    }
    Co_buf_addc(b, q);
}
