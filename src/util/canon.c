/* canon.c: values in the canonical form of their target column's type (canon.h). */
#include "util/canon.h"
#include "util/rowhash.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the declared type -------------------------------------------------------- */

static bool has(const char *upper, const char *word) { return strstr(upper, word) != NULL; }

co_canon_type Co_canon_type_of(const char *decl_type)
{
    co_canon_type t = {CO_CANON_ANY, 0};
    char up[96];
    size_t n = 0;
    for (; decl_type && decl_type[n] && n + 1 < sizeof up; n++)
        up[n] = (char)toupper((unsigned char)decl_type[n]);
    up[n] = '\0';
    if (has(up, "INTERVAL") || has(up, "POINT") || has(up, "[]"))
        return t;
    /* MySQL's: ENUM('...') and SET('...') are text whatever their labels say;
     * spatial types are WKT (LINESTRING holds "INT"); TINYINT(1) and BIT(1)
     * are its booleans, YEAR and BIT(n) integers. */
    if (strncmp(up, "ENUM", 4) == 0 || strncmp(up, "SET(", 4) == 0 || strncmp(up, "SET ", 4) == 0 ||
        has(up, "GEOMETRY") || has(up, "LINESTRING") || has(up, "POLYGON"))
        return t;
    if (strncmp(up, "TINYINT(1)", 10) == 0 || strcmp(up, "BIT(1)") == 0 || strcmp(up, "BIT") == 0) {
        t.kind = CO_CANON_BOOLEAN;
        return t;
    }
    if (strncmp(up, "BIT(", 4) == 0 || strncmp(up, "YEAR", 4) == 0) {
        t.kind = CO_CANON_INTEGER;
        return t;
    }
    if (has(up, "TIMESTAMPTZ") || (has(up, "TIMESTAMP") && has(up, "WITH TIME ZONE") &&
                                    !has(up, "WITHOUT")))
        t.kind = CO_CANON_TIMESTAMPTZ;
    else if (has(up, "TIMESTAMP") || has(up, "DATETIME"))
        t.kind = CO_CANON_TIMESTAMP;
    else if (strncmp(up, "DATE", 4) == 0 && !isalnum((unsigned char)up[4]) && up[4] != '_')
        t.kind = CO_CANON_DATE;
    else if (has(up, "BOOL"))
        t.kind = CO_CANON_BOOLEAN;
    else if (has(up, "INT") || has(up, "SERIAL"))
        t.kind = CO_CANON_INTEGER;
    else if (has(up, "CHAR") || has(up, "CLOB") || has(up, "TEXT"))
        t.kind = CO_CANON_ANY;
    else if (has(up, "NUMERIC") || has(up, "DECIMAL")) {
        /* NUMERIC(p,s): scale s; NUMERIC(p): scale 0; NUMERIC: any scale */
        const char *paren = strchr(up, '(');
        t.kind = CO_CANON_REAL;
        if (paren) {
            const char *comma = strchr(paren, ',');
            t.kind = CO_CANON_DECIMAL;
            t.scale = comma ? (int)strtol(comma + 1, NULL, 10) : 0;
            if (t.scale < 0 || t.scale > 30)
                t.kind = CO_CANON_REAL;
        }
    } else if (has(up, "REAL") || has(up, "FLOA") || has(up, "DOUB"))
        t.kind = CO_CANON_REAL;
    return t;
}

void Co_canon_type_name(co_canon_type t, char *out, size_t cap)
{
    static const char *const names[] = {"any",       "integer",   "real",        "decimal",
                                        "date",      "timestamp", "timestamptz", "boolean"};
    if (t.kind == CO_CANON_DECIMAL)
        snprintf(out, cap, "decimal(%d)", t.scale);
    else
        snprintf(out, cap, "%s", names[t.kind]);
}

bool Co_canon_type_parse(const char *name, co_canon_type *out)
{
    static const char *const names[] = {"any",       "integer",   "real",        "decimal",
                                        "date",      "timestamp", "timestamptz", "boolean"};
    out->scale = 0;
    if (strncmp(name, "decimal(", 8) == 0) {
        char *end;
        long s = strtol(name + 8, &end, 10);
        out->kind = CO_CANON_DECIMAL;
        out->scale = (int)s;
        return end != name + 8 && *end == ')' && end[1] == '\0' && s >= 0 && s <= 30;
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strcmp(name, names[i]) == 0) {
            out->kind = (co_canon_kind)i;
            return true;
        }
    }
    return false;
}

/* ---- numbers ------------------------------------------------------------------ */

/* The bytes of s without the blanks around them. */
static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* A decimal number spelled [+-]digits[.digits][e[+-]digits] (leading zeros
 * allowed), as SQLite's numeric affinity and PostgreSQL's numeric input read
 * it; no hex, no inf/nan words. *is_int when it has no point and no exponent. */
static bool text_number(const char *s, size_t len, double *r, int64_t *i, bool *is_int)
{
    trim(&s, &len);
    if (len == 0 || len > 60)
        return false;
    size_t p = 0, digits = 0;
    if (s[p] == '+' || s[p] == '-')
        p++;
    while (p < len && isdigit((unsigned char)s[p]))
        p++, digits++;
    *is_int = true;
    if (p < len && s[p] == '.') {
        *is_int = false;
        p++;
        while (p < len && isdigit((unsigned char)s[p]))
            p++, digits++;
    }
    if (digits == 0)
        return false;
    if (p < len && (s[p] == 'e' || s[p] == 'E')) {
        *is_int = false;
        p++;
        if (p < len && (s[p] == '+' || s[p] == '-'))
            p++;
        size_t exp_digits = 0;
        while (p < len && isdigit((unsigned char)s[p]))
            p++, exp_digits++;
        if (exp_digits == 0)
            return false;
    }
    if (p != len)
        return false;
    char tmp[64];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (*is_int) {
        errno = 0;
        long long v = strtoll(tmp, NULL, 10);
        if (errno == 0) {
            *i = v;
            *r = (double)v;
            return true;
        }
        *is_int = false; /* beyond 64 bits: as a real */
    }
    *r = strtod(tmp, NULL);
    return isfinite(*r);
}

/* A number read from v (an integer, a real, or text that spells one). */
static bool number_of(co_value v, double *r, int64_t *i, bool *is_int)
{
    switch (v.type) {
    case CO_INT: *i = v.i; *r = (double)v.i; *is_int = true; return true;
    case CO_REAL: *r = v.r; *is_int = false; return true;
    case CO_TEXT: return text_number(v.s, v.len, r, i, is_int);
    default: return false;
    }
}

/* ---- dates and times ---------------------------------------------------------- */

typedef struct moment {
    int year, month, day, hour, minute, second;
    char frac[7];  /* microseconds' digits, trailing zeros trimmed */
    bool zoned;
    int offset;    /* seconds east of UTC */
} moment;

static bool digits_at(const char *s, size_t len, size_t at, size_t n, int *out)
{
    if (at + n > len)
        return false;
    int v = 0;
    for (size_t k = 0; k < n; k++) {
        if (!isdigit((unsigned char)s[at + k]))
            return false;
        v = v * 10 + (s[at + k] - '0');
    }
    *out = v;
    return true;
}

/* YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][ ][Z|UTC|+HH[:MM]|+HHMM]. */
static bool parse_moment(const char *s, size_t len, moment *m)
{
    memset(m, 0, sizeof *m);
    trim(&s, &len);
    if (!digits_at(s, len, 0, 4, &m->year) || len < 10 || s[4] != '-' ||
        !digits_at(s, len, 5, 2, &m->month) || s[7] != '-' || !digits_at(s, len, 8, 2, &m->day))
        return false;
    if (m->month < 1 || m->month > 12 || m->day < 1 || m->day > 31)
        return false;
    size_t p = 10;
    if (p < len && (s[p] == ' ' || s[p] == 'T') && p + 1 < len && isdigit((unsigned char)s[p + 1])) {
        p++;
        if (!digits_at(s, len, p, 2, &m->hour) || p + 2 >= len || s[p + 2] != ':' ||
            !digits_at(s, len, p + 3, 2, &m->minute))
            return false;
        p += 5;
        if (p < len && s[p] == ':') {
            if (!digits_at(s, len, p + 1, 2, &m->second))
                return false;
            p += 3;
            if (p < len && s[p] == '.') {
                p++;
                size_t f = 0;
                while (p < len && isdigit((unsigned char)s[p])) {
                    if (f < 6)
                        m->frac[f++] = s[p];
                    p++;
                }
                while (f > 0 && m->frac[f - 1] == '0')
                    m->frac[--f] = '\0';
            }
        }
        if (m->hour > 24 || m->minute > 59 || m->second > 60)
            return false;
    }
    while (p < len && s[p] == ' ')
        p++;
    if (p == len)
        return true;
    m->zoned = true;
    if (len - p == 1 && (s[p] == 'Z' || s[p] == 'z'))
        return true;
    if (len - p == 3 && strncasecmp(s + p, "UTC", 3) == 0)
        return true;
    if (s[p] != '+' && s[p] != '-')
        return false;
    int sign = s[p] == '-' ? -1 : 1, hh = 0, mm = 0, ss = 0;
    p++;
    if (!digits_at(s, len, p, 2, &hh))
        return false;
    p += 2;
    if (p < len && s[p] == ':')
        p++;
    if (p < len && !digits_at(s, len, p, 2, &mm))
        return false;
    if (p < len)
        p += 2;
    if (p < len && s[p] == ':' && digits_at(s, len, p + 1, 2, &ss))
        p += 3;
    if (p != len)
        return false;
    m->offset = sign * (hh * 3600 + mm * 60 + ss);
    return true;
}

/* Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The moment moved to UTC (its offset taken off). */
static void to_utc(moment *m)
{
    long long t = days_from_civil(m->year, m->month, m->day) * 86400 + m->hour * 3600 +
                  m->minute * 60 + m->second - m->offset;
    long long days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    long long rest = t - days * 86400;
    civil_from_days(days, &m->year, &m->month, &m->day);
    m->hour = (int)(rest / 3600);
    m->minute = (int)(rest / 60 % 60);
    m->second = (int)(rest % 60);
    m->offset = 0;
}

static co_value moment_text(const moment *m, bool with_time, bool utc, char *buf)
{
    int n;
    if (!with_time)
        n = snprintf(buf, CO_CANON_TEXT_MAX, "%04d-%02d-%02d", m->year, m->month, m->day);
    else
        n = snprintf(buf, CO_CANON_TEXT_MAX, "%04d-%02d-%02d %02d:%02d:%02d%s%s%s", m->year,
                     m->month, m->day, m->hour, m->minute, m->second, m->frac[0] ? "." : "",
                     m->frac, utc ? "Z" : "");
    return co_text(buf, n < 0 ? 0 : (size_t)n);
}

/* ---- the canonical form ------------------------------------------------------- */

static bool word_is(const char *s, size_t len, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == len && strncasecmp(s, words[i], len) == 0)
            return true;
    return false;
}

/* Text spelling an integer beyond 64 bits ('18446744073709551615', a BIGINT
 * UNSIGNED) as its digits alone (no sign '+', no leading zeros, no blanks),
 * so that it compares exactly rather than as a real; false for anything else. */
static bool big_integer(co_value v, char *buf, co_value *out)
{
    if (v.type != CO_TEXT)
        return false;
    const char *s = v.s;
    size_t len = v.len;
    trim(&s, &len);
    bool minus = len && s[0] == '-';
    if (len && (s[0] == '+' || s[0] == '-'))
        s++, len--;
    while (len > 1 && s[0] == '0')
        s++, len--;
    if (len < 19 || len + 2 > CO_CANON_TEXT_MAX)
        return false;
    for (size_t k = 0; k < len; k++)
        if (!isdigit((unsigned char)s[k]))
            return false;
    char tmp[CO_CANON_TEXT_MAX + 1];
    snprintf(tmp, sizeof tmp, "%s%.*s", minus ? "-" : "", (int)len, s);
    errno = 0;
    (void)strtoll(tmp, NULL, 10);
    if (errno != ERANGE)
        return false; /* fits: an ordinary integer */
    size_t n = strlen(tmp);
    memcpy(buf, tmp, n + 1); /* text values end with a NUL (value.h) */
    *out = co_text(buf, n);
    return true;
}

co_value Co_canon_value(co_canon_type t, co_value v, char *buf)
{
    double r;
    int64_t i;
    bool is_int;
    moment m;
    co_value big;
    if ((t.kind == CO_CANON_INTEGER || (t.kind == CO_CANON_DECIMAL && t.scale == 0)) &&
        big_integer(v, buf, &big))
        return big;
    switch (t.kind) {
    case CO_CANON_ANY:
        return v;
    case CO_CANON_INTEGER:
        /* '0042' is 42; '42.0' and 1e3 are integers too (INTEGER affinity
         * stores them so); 1.5 stays a real and 'abc' text. */
        if (v.type == CO_TEXT && number_of(v, &r, &i, &is_int))
            return is_int ? co_int(i) : co_real(r);
        return v;
    case CO_CANON_REAL:
        if (v.type != CO_BLOB && v.type != CO_NULL && number_of(v, &r, &i, &is_int))
            return co_real(r);
        return v;
    case CO_CANON_DECIMAL:
        if (v.type == CO_BLOB || v.type == CO_NULL || !number_of(v, &r, &i, &is_int))
            return v;
        if (is_int)
            return co_int(i);
        return co_real(Co_round_decimal(r, t.scale));
    case CO_CANON_DATE:
        if (v.type == CO_TEXT && parse_moment(v.s, v.len, &m))
            return moment_text(&m, false, false, buf);
        return v;
    case CO_CANON_TIMESTAMP:
        if (v.type == CO_TEXT && parse_moment(v.s, v.len, &m))
            return moment_text(&m, true, false, buf);
        return v;
    case CO_CANON_TIMESTAMPTZ:
        if (v.type == CO_TEXT && parse_moment(v.s, v.len, &m)) {
            to_utc(&m);
            return moment_text(&m, true, true, buf);
        }
        return v;
    case CO_CANON_BOOLEAN: {
        static const char *const yes[] = {"t", "true", "y", "yes", "on", "1", NULL};
        static const char *const no[] = {"f", "false", "n", "no", "off", "0", NULL};
        if (v.type == CO_REAL && (v.r == 0 || v.r == 1))
            return co_int((int64_t)v.r);
        if (v.type != CO_TEXT)
            return v;
        const char *s = v.s;
        size_t len = v.len;
        trim(&s, &len);
        if (word_is(s, len, yes))
            return co_int(1);
        if (word_is(s, len, no))
            return co_int(0);
        return v;
    }
    }
    return v;
}
