/* rowhash.c: canonical row hashes (rowhash.h), value by value through XXH3. */
#include "util/rowhash.h"
#include "util/key.h"
#include "util/md5.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* The canonical form of one value: a tag byte and its payload. */
typedef struct canon {
    char tag;           /* 'N', 'I', 'R', 'T', 'B' */
    int64_t i;
    char real[32];      /* %.15g of a non-integral real */
    const char *bytes;  /* text or blob */
    size_t len;
} canon;

static void canonical(const co_value *v, canon *c)
{
    memset(c, 0, sizeof *c);
    switch (v->type) {
    case CO_NULL:
        c->tag = 'N';
        return;
    case CO_INT:
        c->tag = 'I';
        c->i = v->i;
        return;
    case CO_REAL:
        if (isfinite(v->r) && v->r == floor(v->r) && fabs(v->r) < 9.0e15) {
            c->tag = 'I';
            c->i = (int64_t)v->r;
        } else {
            c->tag = 'R';
            snprintf(c->real, sizeof c->real, "%.15g", v->r);
        }
        return;
    case CO_TEXT:
        if (Co_text_as_int(v->s, v->len, &c->i)) {
            c->tag = 'I';
            return;
        }
        c->tag = 'T';
        c->bytes = v->s;
        c->len = v->len;
        return;
    case CO_BLOB:
        c->tag = 'B';
        c->bytes = v->s;
        c->len = v->len;
        return;
    }
}

/* Folds one canonical value into the running hash h: each value is hashed
 * with a seed made of h, its tag and its length, so order, type and
 * boundaries all count. */
static uint64_t fold(uint64_t h, const canon *c)
{
    uint64_t seed = h * 0x9E3779B97F4A7C15ull + (uint64_t)(unsigned char)c->tag;
    switch (c->tag) {
    case 'I':
        return XXH3_64bits_withSeed(&c->i, sizeof c->i, seed);
    case 'R':
        return XXH3_64bits_withSeed(c->real, strlen(c->real), seed);
    case 'T':
    case 'B':
        return XXH3_64bits_withSeed(c->bytes, c->len, seed ^ ((uint64_t)c->len << 8));
    default:
        return XXH3_64bits_withSeed(NULL, 0, seed);
    }
}

uint64_t Co_row_hash(const co_value *vals, size_t n)
{
    uint64_t h = 0x243F6A8885A308D3ull;
    for (size_t i = 0; i < n; i++) {
        canon c;
        canonical(&vals[i], &c);
        h = fold(h, &c);
    }
    return h;
}

/* %.15g of a real in plain decimal, as PostgreSQL's numeric input reads it
 * back and writes it: no exponent, as many decimals as the digits need
 * ("1.5e-07" is "0.00000015", "1.2e+20" is "120000000000000000000"). */
static size_t plain_decimal(double r, char *out, size_t cap)
{
    if (isnan(r))
        return (size_t)snprintf(out, cap, "NaN");
    if (isinf(r))
        return (size_t)snprintf(out, cap, "%s", r < 0 ? "-Infinity" : "Infinity");
    char g[40];
    snprintf(g, sizeof g, "%.15g", r);
    const char *p = g;
    size_t n = 0;
    if (*p == '-') {
        out[n++] = '-';
        p++;
    }
    char digits[32];
    size_t nd = 0, nint = 0, nfrac = 0;
    for (; *p >= '0' && *p <= '9'; p++, nint++)
        digits[nd++] = *p;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, nfrac++)
            digits[nd++] = *p;
    long e = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
    long point = (long)nint + e; /* digits before the decimal point */
    if (point <= 0) {
        out[n++] = '0';
        out[n++] = '.';
        for (long k = 0; k < -point && n + 1 < cap; k++)
            out[n++] = '0';
        for (size_t k = 0; k < nd && n + 1 < cap; k++)
            out[n++] = digits[k];
    } else if ((size_t)point >= nd) {
        for (size_t k = 0; k < nd; k++)
            out[n++] = digits[k];
        for (long k = (long)nd; k < point && n + 1 < cap; k++)
            out[n++] = '0';
    } else {
        for (size_t k = 0; k < nd && n + 2 < cap; k++) {
            if ((long)k == point)
                out[n++] = '.';
            out[n++] = digits[k];
        }
    }
    out[n] = '\0';
    return n;
}

uint64_t Co_row_digest(const co_value *vals, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    co_md5 m;
    Co_md5_init(&m);
    char head[400];
    for (size_t i = 0; i < n; i++) {
        canon c;
        canonical(&vals[i], &c);
        int len = 0;
        switch (c.tag) {
        case 'N': len = snprintf(head, sizeof head, "N;"); break;
        case 'I': len = snprintf(head, sizeof head, "I%lld;", (long long)c.i); break;
        case 'R':
            head[0] = 'R';
            len = 1 + (int)plain_decimal(vals[i].r, head + 1, sizeof head - 2);
            head[len++] = ';';
            break;
        case 'T':
            len = snprintf(head, sizeof head, "T%zu:", c.len);
            Co_md5_update(&m, head, (size_t)len);
            Co_md5_update(&m, c.bytes, c.len);
            len = 0;
            break;
        default: /* 'B' */
            Co_md5_update(&m, "B", 1);
            for (size_t k = 0; k < c.len; k += 64) {
                size_t part = c.len - k < 64 ? c.len - k : 64;
                for (size_t j = 0; j < part; j++) {
                    unsigned char b = (unsigned char)c.bytes[k + j];
                    head[2 * j] = hex[b >> 4];
                    head[2 * j + 1] = hex[b & 15];
                }
                Co_md5_update(&m, head, 2 * part);
            }
            len = snprintf(head, sizeof head, ";");
            break;
        }
        if (len > 0)
            Co_md5_update(&m, head, (size_t)len);
    }
    unsigned char d[16];
    Co_md5_final(&m, d);
    uint64_t h = 0;
    for (int k = 0; k < 8; k++)
        h = h << 8 | d[k];
    return h;
}

bool Co_value_same(const co_value *a, const co_value *b)
{
    canon x, y;
    canonical(a, &x);
    canonical(b, &y);
    if (x.tag != y.tag)
        return false;
    switch (x.tag) {
    case 'N': return true;
    case 'I': return x.i == y.i;
    case 'R': return strcmp(x.real, y.real) == 0;
    default: return x.len == y.len && (x.len == 0 || memcmp(x.bytes, y.bytes, x.len) == 0);
    }
}

double Co_round_decimal(double x, int digits)
{
    if (!isfinite(x) || x == 0 || digits > 300 || digits < -300)
        return x;
    /* d.dddddddddddddde+XX: the 15 significant digits and the exponent */
    char buf[40];
    snprintf(buf, sizeof buf, "%.14e", fabs(x));
    char d[15];
    d[0] = buf[0];
    memcpy(d + 1, buf + 2, 14);
    int exp = (int)strtol(buf + 17, NULL, 10);
    int keep = exp + 1 + digits; /* significant digits left of the cut */
    if (keep >= 15)
        return x; /* nothing to round at this precision */
    if (keep < 0)
        return x < 0 ? -0.0 : 0.0;
    long long m = 0;
    for (int i = 0; i < keep; i++)
        m = m * 10 + (d[i] - '0');
    if (d[keep] >= '5')
        m++;
    snprintf(buf, sizeof buf, "%s%llde%d", x < 0 ? "-" : "", m, -digits);
    return strtod(buf, NULL);
}
