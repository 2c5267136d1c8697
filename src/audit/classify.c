/*
 * classify.c: the kinds of values and columns (classify.h). Every test here
 * is a hand-written scanner over the value's bytes: it runs on every value
 * of every column, so it must not allocate or parse twice.
 */
#include "audit/classify.h"

#include <string.h>

const char *Co_kind_name(co_kind k)
{
    switch (k) {
    case CO_KIND_EMPTY: return "empty";
    case CO_KIND_INTEGER: return "integer";
    case CO_KIND_REAL: return "real";
    case CO_KIND_DATE: return "date";
    case CO_KIND_EMAIL: return "email";
    case CO_KIND_TEXT: return "text";
    case CO_KIND_BLOB: return "blob";
    case CO_KIND_COUNT: break;
    }
    return "unknown";
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool Co_value_blank(const co_value *v)
{
    if (v->type == CO_BLOB)
        return v->len == 0;
    if (v->type != CO_TEXT)
        return false;
    for (size_t i = 0; i < v->len; i++)
        if (!is_blank(v->s[i]))
            return false;
    return true;
}

/* ---- numbers ---------------------------------------------------------------- */

/* A canonical integer that fits in 64 bits: -?(0|[1-9][0-9]*). */
static bool is_integer_text(const char *s, size_t len)
{
    size_t i = s[0] == '-' ? 1 : 0;
    size_t digits = len - i;
    if (digits == 0 || digits > 19 || (s[i] == '0' && digits > 1))
        return false;
    uint64_t value = 0;
    for (; i < len; i++) {
        if (!is_digit(s[i]))
            return false;
        value = value * 10 + (uint64_t)(s[i] - '0'); /* 19 digits fit in 64 bits */
    }
    return value <= (s[0] == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX);
}

/* A decimal number: [+-]? (d+ (. d*)? | . d+) ([eE] [+-]? d+)?, with a point or
 * an exponent, or all digits but too long for an integer. */
static bool is_real_text(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    bool point = false, exponent = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < len && is_digit(s[i]); i++)
        digits++;
    if (i < len && s[i] == '.') {
        point = true;
        for (i++; i < len && is_digit(s[i]); i++)
            digits++;
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        exponent = true;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t start = i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i != len)
        return false;
    return point || exponent || (s[0] != '0' && digits > 18);
}

/* ---- dates ------------------------------------------------------------------ */

/* n digits at s + at, as a number; -1 when they are not all digits. */
static int number_at(const char *s, size_t len, size_t at, size_t n)
{
    if (at + n > len)
        return -1;
    int value = 0;
    for (size_t i = at; i < at + n; i++) {
        if (!is_digit(s[i]))
            return -1;
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* YYYY-MM-DD, optionally followed by T or a space and HH:MM[:SS[.fff]], then
 * optionally Z or an offset +HH:MM, +HHMM or +HH. The calendar is checked:
 * 2023-02-29 is not a date. */
bool Co_looks_like_date(const char *s, size_t len)
{
    if (len < 10 || s[4] != '-' || s[7] != '-')
        return false;
    int year = number_at(s, len, 0, 4), month = number_at(s, len, 5, 2),
        day = number_at(s, len, 8, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return false;
    size_t i = 10;
    if (i == len)
        return true;
    if (s[i] != 'T' && s[i] != ' ')
        return false;
    int hour = number_at(s, len, i + 1, 2), minute = number_at(s, len, i + 4, 2);
    if (i + 3 >= len || s[i + 3] != ':' || hour < 0 || hour > 23 || minute < 0 || minute > 59)
        return false;
    i += 6;
    if (i < len && s[i] == ':') {
        int second = number_at(s, len, i + 1, 2);
        if (second < 0 || second > 60)
            return false;
        i += 3;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            size_t start = ++i;
            while (i < len && is_digit(s[i]))
                i++;
            if (i == start)
                return false;
        }
    }
    if (i == len)
        return true;
    if (s[i] == 'Z')
        return i + 1 == len;
    if (s[i] != '+' && s[i] != '-')
        return false;
    int oh = number_at(s, len, i + 1, 2);
    if (oh < 0 || oh > 23)
        return false;
    i += 3;
    if (i == len)
        return true;
    if (s[i] == ':')
        i++;
    int om = number_at(s, len, i, 2);
    return om >= 0 && om <= 59 && i + 2 == len;
}

/* ---- e-mail addresses ------------------------------------------------------- */

static bool is_local_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c >= 0x80 ||
           (c && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

static bool is_label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c == '-' ||
           c >= 0x80;
}

/* local@domain: one @; a local part of 1..64 address characters, no leading,
 * trailing or doubled dot; a domain of two or more dot-separated labels of
 * 1..63 letters, digits or hyphens (not at either end), the last of at least
 * two characters and not all digits. No blanks anywhere. */
bool Co_looks_like_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at)
        return false;
    size_t local = (size_t)(at - s);
    if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
        return false;
    for (size_t i = 0; i < local; i++)
        if (!is_local_char((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] == '.'))
            return false;
    const char *d = at + 1, *end = s + len;
    size_t labels = 0, label = 0;
    bool all_digits = true;
    for (const char *p = d;; p++) {
        if (p == end || *p == '.') {
            if (label == 0 || label > 63 || p[-1] == '-')
                return false;
            labels++;
            if (p == end)
                break;
            label = 0;
            all_digits = true;
            continue;
        }
        if (!is_label_char((unsigned char)*p) || (label == 0 && *p == '-'))
            return false;
        all_digits = all_digits && is_digit(*p);
        label++;
    }
    return labels >= 2 && label >= 2 && !all_digits;
}

/* ---- kinds ------------------------------------------------------------------ */

co_kind Co_classify(const co_value *v)
{
    switch (v->type) {
    case CO_NULL: return CO_KIND_EMPTY;
    case CO_INT: return CO_KIND_INTEGER;
    case CO_REAL: return CO_KIND_REAL;
    case CO_BLOB: return CO_KIND_BLOB;
    case CO_TEXT: break;
    }
    const char *s = v->s;
    size_t len = v->len;
    if (len == 0)
        return CO_KIND_EMPTY;
    if (is_digit(s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.') {
        if (is_integer_text(s, len))
            return CO_KIND_INTEGER;
        if (is_real_text(s, len))
            return CO_KIND_REAL;
        if (Co_looks_like_date(s, len))
            return CO_KIND_DATE;
    }
    if (memchr(s, '@', len) && Co_looks_like_email(s, len))
        return CO_KIND_EMAIL;
    return CO_KIND_TEXT;
}

/* True when decl contains word (upper-case ASCII letters), ignoring case. */
static bool type_has(const char *decl, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = decl; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && (p[i] == word[i] || p[i] == word[i] - 'A' + 'a'))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* True when decl starts with word (upper-case ASCII letters), ignoring case. */
static bool type_starts(const char *decl, const char *word)
{
    size_t i = 0;
    while (word[i] && (decl[i] == word[i] || decl[i] == word[i] - 'A' + 'a'))
        i++;
    return word[i] == '\0';
}

co_kind Co_declared_kind(const char *decl)
{
    if (!decl || !*decl)
        return CO_KIND_EMPTY; /* BLOB affinity */
    /* MySQL's ENUM('...') and SET('...') are text whatever their labels say
     * ('Profession intermédiaire' holds "INT"); spatial values are WKT text
     * (POINT and LINESTRING hold "INT"). */
    if (type_starts(decl, "ENUM") || type_starts(decl, "SET(") || type_has(decl, "POINT") ||
        type_has(decl, "LINESTRING") || type_has(decl, "POLYGON") || type_has(decl, "GEOMETRY"))
        return CO_KIND_EMPTY;
    if (type_has(decl, "INT"))
        return CO_KIND_INTEGER;
    if (type_has(decl, "CHAR") || type_has(decl, "CLOB") || type_has(decl, "TEXT") ||
        type_has(decl, "BLOB"))
        return CO_KIND_EMPTY;
    if (type_has(decl, "REAL") || type_has(decl, "FLOA") || type_has(decl, "DOUB"))
        return CO_KIND_REAL;
    /* NUMERIC affinity: only names that say what they hold impose a kind. */
    if (type_has(decl, "DATE") || type_has(decl, "TIMESTAMP"))
        return CO_KIND_DATE;
    if (type_has(decl, "BOOL"))
        return CO_KIND_INTEGER;
    if (type_has(decl, "NUM") || type_has(decl, "DEC") || type_has(decl, "MONEY"))
        return CO_KIND_REAL;
    return CO_KIND_EMPTY;
}

co_kind Co_majority_kind(const int64_t counts[CO_KIND_COUNT])
{
    int64_t filled = 0;
    for (int k = CO_KIND_INTEGER; k < CO_KIND_COUNT; k++)
        filled += counts[k];
    if (filled == 0)
        return CO_KIND_EMPTY;
#define MOST(n) ((n) * 5 >= filled * 4) /* at least 80% */
    if (MOST(counts[CO_KIND_EMAIL]))
        return CO_KIND_EMAIL;
    if (MOST(counts[CO_KIND_DATE]))
        return CO_KIND_DATE;
    if (MOST(counts[CO_KIND_INTEGER]))
        return CO_KIND_INTEGER;
    if (MOST(counts[CO_KIND_INTEGER] + counts[CO_KIND_REAL]))
        return CO_KIND_REAL;
    if (MOST(counts[CO_KIND_BLOB]))
        return CO_KIND_BLOB;
#undef MOST
    return CO_KIND_TEXT;
}

bool Co_kind_fits(co_kind want, co_kind got)
{
    switch (want) {
    case CO_KIND_TEXT: return got != CO_KIND_BLOB;
    case CO_KIND_BLOB:
    case CO_KIND_EMPTY: return true;
    case CO_KIND_REAL: return got == CO_KIND_REAL || got == CO_KIND_INTEGER;
    default: return got == want;
    }
}

void Co_kind_why(co_kind want, co_type type, const char *decl_type, co_buf *out)
{
    if (want == CO_KIND_DATE) {
        Co_buf_adds(out, "not an ISO-8601 date");
    } else if (want == CO_KIND_EMAIL) {
        Co_buf_adds(out, "not an e-mail address");
    } else if (decl_type && *decl_type) {
        bool vowel = strchr("AEIOUaeiou", decl_type[0]) != NULL;
        Co_buf_printf(out, "%s in %s %s column", co_type_name(type), vowel ? "an" : "a",
                      decl_type);
    } else if (want == CO_KIND_INTEGER) {
        Co_buf_adds(out, "not an integer");
    } else if (want == CO_KIND_REAL) {
        Co_buf_adds(out, "not a number");
    } else {
        Co_buf_printf(out, "%s in a %s column", co_type_name(type), Co_kind_name(want));
    }
}

void Co_utf8_why(const char *s, size_t len, size_t offset, co_buf *out)
{
    if (offset < len && s[offset] == '\0')
        Co_buf_printf(out, "a NUL byte at offset %zu (not allowed in text)", offset);
    else if (offset < len)
        Co_buf_printf(out, "invalid UTF-8 (byte 0x%02x at offset %zu)",
                      (unsigned)(unsigned char)s[offset], offset);
    else
        Co_buf_adds(out, "invalid UTF-8 (truncated at the end)");
}

bool Co_zero_date(const char *s, size_t len)
{
    if (len < 10 || s[4] != '-' || s[7] != '-')
        return false;
    int year = number_at(s, len, 0, 4), month = number_at(s, len, 5, 2),
        day = number_at(s, len, 8, 2);
    return year >= 0 && month >= 0 && day >= 0 && (month == 0 || day == 0);
}

bool Co_big_integer_text(const char *s, size_t len)
{
    size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0;
    if (len - i < 19 || len - i > 20)
        return false;
    for (size_t k = i; k < len; k++)
        if (!is_digit(s[k]))
            return false;
    return !is_integer_text(s, len);
}
