/* rowhash.c: canonical row hashes (rowhash.h), value by value through XXH3. */
#include "util/rowhash.h"
#include "util/key.h"

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
        if (co_text_as_int(v->s, v->len, &c->i)) {
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

uint64_t co_row_hash(const co_value *vals, size_t n)
{
    uint64_t h = 0x243F6A8885A308D3ull;
    for (size_t i = 0; i < n; i++) {
        canon c;
        canonical(&vals[i], &c);
        h = fold(h, &c);
    }
    return h;
}

bool co_value_same(const co_value *a, const co_value *b)
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

double co_round_decimal(double x, int digits)
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
