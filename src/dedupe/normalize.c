/* normalize.c: normal forms for matching (normalize.h), through utf8proc. */
#include "dedupe/normalize.h"
#include "dedupe/punycode.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define FOLD (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Appends utf8proc's mapping of s with options; false when s is not UTF-8. */
static bool map(const char *s, size_t len, utf8proc_option_t options, co_buf *out)
{
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &mapped, options);
    if (n < 0)
        return false;
    Co_buf_add(out, mapped, (size_t)n);
    free(mapped);
    return true;
}

/* Narrows [*s, *s + *len) to leave out white space at either end. */
static void trim(const char **s, size_t *len)
{
    while (*len && blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && blank((*s)[*len - 1]))
        (*len)--;
}

/* Appends ASCII s folded: no ASCII character decomposes, composes or is
 * default-ignorable, so toNFKC_Casefold only lowers A-Z. Most keys (e-mails,
 * domains) are ASCII: they skip utf8proc and its allocations. */
static bool fold_ascii(const char *s, size_t len, co_buf *out)
{
    if (Co_utf8_ascii_span(s, len) < len)
        return false;
    trim(&s, &len);
    size_t at = out->len;
    Co_buf_add(out, s, len);
    if (out->failed)
        return true;
    for (char *c = out->data + at; c < out->data + out->len; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return true;
}

bool Co_norm_casefold(const char *s, size_t len, co_buf *out)
{
    if (fold_ascii(s, len, out))
        return true;
    /* NFKD first, as Unicode's toNFKC_Casefold does: canonical order puts
     * U+0345 (which folds to ι) after the other marks it comes with. */
    co_buf decomposed = CO_BUF_INIT, folded = CO_BUF_INIT;
    bool ok = map(s, len, UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE, &decomposed) &&
              map(co_buf_str(&decomposed), decomposed.len, FOLD | UTF8PROC_COMPOSE, &folded);
    const char *f = co_buf_str(&folded);
    size_t flen = folded.len;
    trim(&f, &flen);
    if (ok)
        Co_buf_add(out, f, flen);
    Co_buf_release(&decomposed);
    Co_buf_release(&folded);
    return ok;
}

/* ---- domains -------------------------------------------------------------------- */

/* Appends t, replacing each ideographic full stop (U+3002, which NFKC leaves
 * alone while UTS #46 reads it as a dot) with '.'. */
static void dots(const char *t, size_t len, co_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        if (i + 2 < len && memcmp(t + i, "\xe3\x80\x82", 3) == 0) {
            Co_buf_addc(out, '.');
            i += 2;
        } else {
            Co_buf_addc(out, t[i]);
        }
    }
}

/* The host of t, which Co_norm_casefold made: [*host, *host + *hlen). */
static void host_of(const char *t, size_t len, const char **host, size_t *hlen)
{
    trim(&t, &len);
    const char *end = t + len;
    const char *start = t;
    for (const char *p = t; p + 2 < end; p++)
        if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
            start = p + 3;
            break;
        }
    if (start == t && len >= 2 && t[0] == '/' && t[1] == '/')
        start = t + 2;
    const char *stop = start; /* the authority ends at a path, query, fragment or space */
    while (stop < end && !strchr("/?#\\ \t\n\r", *stop))
        stop++;
    for (const char *p = stop; p > start; p--)
        if (p[-1] == '@') {
            start = p;
            break;
        }
    const char *colon = stop > start ? memchr(start, ':', (size_t)(stop - start)) : NULL;
    if (colon && *start != '[')
        stop = colon;
    while (start < stop && *start == '.')
        start++;
    while (stop > start && stop[-1] == '.')
        stop--;
    *host = start;
    *hlen = (size_t)(stop - start);
}

/* Co_norm_domain of text already case-folded. */
static bool domain_folded(const char *t, size_t len, co_buf *out)
{
    co_buf dotted = CO_BUF_INIT, d = CO_BUF_INIT;
    dots(t, len, &dotted);
    const char *host;
    size_t hlen;
    host_of(co_buf_str(&dotted), dotted.len, &host, &hlen);
    bool ok = hlen > 0 && *host != '[';
    for (size_t i = 0; ok && i < hlen;) { /* label by label: Punycode decoded */
        const char *dot = memchr(host + i, '.', hlen - i);
        size_t n = dot ? (size_t)(dot - (host + i)) : hlen - i;
        const char *label = host + i;
        co_buf decoded = CO_BUF_INIT;
        if (!(n > 4 && memcmp(label, "xn--", 4) == 0 &&
              Co_punycode_decode(label + 4, n - 4, &decoded) &&
              Co_norm_casefold(decoded.data, decoded.len, &d)))
            Co_buf_add(&d, label, n);
        Co_buf_release(&decoded);
        if (dot)
            Co_buf_addc(&d, '.');
        i += n + (dot ? 1 : 0);
    }
    const char *r = co_buf_str(&d);
    if (strncmp(r, "www.", 4) == 0 && strchr(r + 4, '.'))
        r += 4;
    size_t rlen = strlen(r);
    ok = ok && !d.failed && rlen > 0 && strchr(r, '.') && !strstr(r, "..") && r[0] != '.' &&
         r[rlen - 1] != '.';
    if (ok)
        Co_buf_add(out, r, rlen);
    Co_buf_release(&dotted);
    Co_buf_release(&d);
    return ok;
}

bool Co_norm_domain(const char *s, size_t len, co_buf *out)
{
    co_buf folded = CO_BUF_INIT;
    bool ok = Co_norm_casefold(s, len, &folded) && domain_folded(folded.data, folded.len, out);
    Co_buf_release(&folded);
    return ok;
}

/* ---- e-mail addresses ------------------------------------------------------------- */

static const char *last_at(const char *s, size_t len)
{
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == '@')
            return s + i - 1;
    return NULL;
}

bool Co_norm_email(const char *s, size_t len, co_buf *out)
{
    co_buf folded = CO_BUF_INIT, domain = CO_BUF_INIT, local = CO_BUF_INIT;
    bool ok = Co_norm_casefold(s, len, &folded);
    const char *t = co_buf_str(&folded);
    const char *at = ok ? last_at(t, folded.len) : NULL;
    ok = at != NULL;
    if (ok) {
        const char *l = t;
        size_t llen = (size_t)(at - t);
        trim(&l, &llen);
        ok = domain_folded(at + 1, folded.len - (size_t)(at + 1 - t), &domain);
        const char *d = co_buf_str(&domain);
        if (ok && (strcmp(d, "gmail.com") == 0 || strcmp(d, "googlemail.com") == 0)) {
            for (size_t i = 0; i < llen && l[i] != '+'; i++)
                if (l[i] != '.')
                    Co_buf_addc(&local, l[i]);
            Co_buf_reset(&domain);
            Co_buf_adds(&domain, "gmail.com");
        } else {
            Co_buf_add(&local, l, llen);
        }
        ok = ok && local.len > 0;
    }
    if (ok) {
        Co_buf_add(out, local.data, local.len);
        Co_buf_addc(out, '@');
        Co_buf_add(out, domain.data, domain.len);
    }
    Co_buf_release(&folded);
    Co_buf_release(&domain);
    Co_buf_release(&local);
    return ok;
}

/* ---- names ---------------------------------------------------------------------- */

bool Co_norm_name_space(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_CC:
        return true;
    default:
        return false;
    }
}

bool Co_norm_name(const char *s, size_t len, co_buf *out)
{
    /* Marks go before folding, so that a composed character sheds the same
     * marks as its decomposed spelling (ᾀ folds to ἀι, but α, ̓ and ͅ to αι). */
    co_buf bare = CO_BUF_INIT, folded = CO_BUF_INIT, spaced = CO_BUF_INIT;
    bool ok = map(s, len,
                  UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_IGNORE |
                      UTF8PROC_STRIPMARK,
                  &bare) &&
              map(co_buf_str(&bare), bare.len, FOLD | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK,
                  &folded);
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)co_buf_str(&folded);
    utf8proc_ssize_t left = (utf8proc_ssize_t)folded.len;
    bool space = false;
    while (ok && left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0) {
            ok = false;
            break;
        }
        if (Co_norm_name_space(cp)) {
            space = spaced.len > 0;
        } else {
            if (space)
                Co_buf_addc(&spaced, ' ');
            space = false;
            Co_buf_add(&spaced, p, (size_t)n);
        }
        p += n;
        left -= n;
    }
    ok = ok && map(co_buf_str(&spaced), spaced.len, UTF8PROC_STABLE | UTF8PROC_COMPOSE, out);
    Co_buf_release(&bare);
    Co_buf_release(&folded);
    Co_buf_release(&spaced);
    return ok;
}
