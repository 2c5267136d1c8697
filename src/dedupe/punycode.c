/* punycode.c: RFC 3492 decoding (punycode.h), the RFC's section 6.2 with
 * bounds checked in 64-bit arithmetic instead of its overflow tests. */
#include "dedupe/punycode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72,
       INITIAL_N = 128, LIMIT = 0x7fffffff };

static int digit_of(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0' + 26;
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    return -1;
}

static int64_t adapt(int64_t delta, int64_t numpoints, bool first)
{
    delta = first ? delta / DAMP : delta / 2;
    delta += delta / numpoints;
    int64_t k = 0;
    while (delta > ((BASE - TMIN) * TMAX) / 2) {
        delta /= BASE - TMIN;
        k += BASE;
    }
    return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

static void add_utf8(co_buf *out, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    Co_buf_add(out, u, n);
}

bool Co_punycode_decode(const char *s, size_t len, co_buf *out)
{
    size_t b = 0, in = 0; /* the basic code points: those before the last '-' */
    for (size_t j = len; j > 0; j--)
        if (s[j - 1] == '-') {
            b = j - 1;
            in = j;
            break;
        }
    uint32_t *cps = malloc((len + 1) * sizeof *cps); /* never more code points than bytes */
    if (!cps) {
        out->failed = true;
        return false;
    }
    size_t n_out = 0;
    bool ok = true;
    for (size_t j = 0; j < b && ok; j++) {
        ok = (unsigned char)s[j] < 0x80;
        cps[n_out++] = (unsigned char)s[j];
    }
    int64_t n = INITIAL_N, i = 0, bias = INITIAL_BIAS;
    size_t inserted = 0;
    while (ok && in < len) {
        int64_t oldi = i, w = 1;
        for (int64_t k = BASE;; k += BASE) {
            int digit = in < len ? digit_of((unsigned char)s[in++]) : -1;
            if (digit < 0 || (i += digit * w) > LIMIT) {
                ok = false;
                break;
            }
            int64_t t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
            if (digit < t)
                break;
            if ((w *= BASE - t) > LIMIT) {
                ok = false;
                break;
            }
        }
        if (!ok)
            break;
        int64_t count = (int64_t)n_out + 1;
        bias = adapt(i - oldi, count, oldi == 0);
        n += i / count;
        i %= count;
        if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) {
            ok = false;
            break;
        }
        memmove(cps + i + 1, cps + i, (n_out - (size_t)i) * sizeof *cps);
        cps[i++] = (uint32_t)n;
        n_out++;
        inserted++;
    }
    ok = ok && inserted > 0;
    for (size_t j = 0; ok && j < n_out; j++)
        add_utf8(out, cps[j]);
    free(cps);
    return ok;
}
