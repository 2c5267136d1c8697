/* similarity.c: string, number and date similarities (similarity.h). Scratch
 * space lives on the stack, bounded by CO_SIM_MAX_LEN and CO_SIM_MAX_TOKENS. */
#include "dedupe/similarity.h"
#include "util/text.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

size_t Co_sim_decode(const char *s, size_t len, int32_t *out, size_t cap)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t n = 0;
    while (len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t used = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        if (used <= 0) { /* not UTF-8: the byte stands for itself, escaped */
            cp = 0xDC00 + *p;
            used = 1;
        }
        if (n < cap)
            out[n] = cp;
        n++;
        p += used;
        len -= (size_t)used;
    }
    return n;
}

static size_t clip(size_t n) { return n > CO_SIM_MAX_LEN ? CO_SIM_MAX_LEN : n; }

double Co_sim_jaro_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    na = clip(na);
    nb = clip(nb);
    if (!na && !nb)
        return 1.0;
    if (!na || !nb)
        return 0.0;
    size_t longer = na > nb ? na : nb;
    size_t window = longer / 2 > 0 ? longer / 2 - 1 : 0;
    bool amatch[CO_SIM_MAX_LEN], bmatch[CO_SIM_MAX_LEN]; /* cleared as far as used: this is hot */
    memset(amatch, 0, na);
    memset(bmatch, 0, nb);
    size_t m = 0;
    for (size_t i = 0; i < na; i++) {
        size_t lo = i > window ? i - window : 0;
        size_t hi = i + window + 1 < nb ? i + window + 1 : nb;
        for (size_t j = lo; j < hi; j++) {
            if (!bmatch[j] && a[i] == b[j]) {
                amatch[i] = bmatch[j] = true;
                m++;
                break;
            }
        }
    }
    if (!m)
        return 0.0;
    size_t half = 0; /* matched code points out of order, counted from both sides */
    for (size_t i = 0, j = 0; i < na; i++) {
        if (!amatch[i])
            continue;
        while (!bmatch[j])
            j++;
        if (a[i] != b[j])
            half++;
        j++;
    }
    double dm = (double)m;
    return (dm / (double)na + dm / (double)nb + (dm - (double)(half / 2)) / dm) / 3.0;
}

double Co_sim_jaro_winkler_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    double j = Co_sim_jaro_cp(a, na, b, nb);
    if (j <= 0.7)
        return j;
    size_t l = 0;
    while (l < 4 && l < na && l < nb && a[l] == b[l])
        l++;
    return j + 0.1 * (double)l * (1.0 - j);
}

/* Edit distance over rows of nb + 1 cells; with transpose, adjacent swaps
 * cost one (optimal string alignment). */
static size_t edit_distance(const int32_t *a, size_t na, const int32_t *b, size_t nb,
                            bool transpose)
{
    na = clip(na);
    nb = clip(nb);
    if (!na)
        return nb;
    if (!nb)
        return na;
    size_t rows[3][CO_SIM_MAX_LEN + 1];
    size_t *before = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (transpose && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = before;
        before = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb];
}

size_t Co_sim_levenshtein_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return edit_distance(a, na, b, nb, false);
}

size_t Co_sim_damerau_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return edit_distance(a, na, b, nb, true);
}

static double ratio(size_t d, size_t na, size_t nb)
{
    size_t longer = clip(na > nb ? na : nb);
    return longer ? 1.0 - (double)d / (double)longer : 1.0;
}

double Co_sim_levenshtein_ratio_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return ratio(edit_distance(a, na, b, nb, false), na, nb);
}

double Co_sim_damerau_ratio_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return ratio(edit_distance(a, na, b, nb, true), na, nb);
}

typedef struct token {
    const int32_t *s;
    size_t n;
} token;

static bool space(int32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           (c > 0x7f && c < 0x110000 && utf8proc_category(c) == UTF8PROC_CATEGORY_ZS);
}

static size_t tokenize(const int32_t *s, size_t n, token *out)
{
    size_t count = 0;
    for (size_t i = 0; i < n && count < CO_SIM_MAX_TOKENS;) {
        while (i < n && space(s[i]))
            i++;
        size_t start = i;
        while (i < n && !space(s[i]))
            i++;
        if (i > start)
            out[count++] = (token){s + start, i - start};
    }
    return count;
}

double Co_sim_tokens_cp(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    token ta[CO_SIM_MAX_TOKENS], tb[CO_SIM_MAX_TOKENS];
    size_t ka = tokenize(a, na, ta), kb = tokenize(b, nb, tb);
    if (!ka && !kb)
        return 1.0;
    if (!ka || !kb)
        return 0.0;
    double best_a[CO_SIM_MAX_TOKENS] = {0}, best_b[CO_SIM_MAX_TOKENS] = {0};
    for (size_t i = 0; i < ka; i++)
        for (size_t j = 0; j < kb; j++) {
            double s = Co_sim_jaro_winkler_cp(ta[i].s, ta[i].n, tb[j].s, tb[j].n);
            if (s > best_a[i])
                best_a[i] = s;
            if (s > best_b[j])
                best_b[j] = s;
        }
    double sa = 0, sb = 0;
    for (size_t i = 0; i < ka; i++)
        sa += best_a[i];
    for (size_t j = 0; j < kb; j++)
        sb += best_b[j];
    return (sa / (double)ka + sb / (double)kb) / 2.0;
}

/* ---- on UTF-8 text ------------------------------------------------------------ */

typedef double (*cp_fn)(const int32_t *, size_t, const int32_t *, size_t);

static double on_text(cp_fn fn, const char *a, const char *b)
{
    int32_t ca[CO_SIM_MAX_LEN], cb[CO_SIM_MAX_LEN];
    size_t na = Co_sim_decode(a, strlen(a), ca, CO_SIM_MAX_LEN);
    size_t nb = Co_sim_decode(b, strlen(b), cb, CO_SIM_MAX_LEN);
    return fn(ca, clip(na), cb, clip(nb));
}

double Co_sim_jaro(const char *a, const char *b) { return on_text(Co_sim_jaro_cp, a, b); }
double Co_sim_jaro_winkler(const char *a, const char *b)
{
    return on_text(Co_sim_jaro_winkler_cp, a, b);
}
double Co_sim_levenshtein_ratio(const char *a, const char *b)
{
    return on_text(Co_sim_levenshtein_ratio_cp, a, b);
}
double Co_sim_damerau_ratio(const char *a, const char *b)
{
    return on_text(Co_sim_damerau_ratio_cp, a, b);
}
double Co_sim_tokens(const char *a, const char *b) { return on_text(Co_sim_tokens_cp, a, b); }

/* ---- numbers and dates ---------------------------------------------------------- */

bool Co_sim_parse_number(const char *s, size_t len, double *out)
{
    char tmp[64];
    if (!len || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (tmp[0] == ' ' || tmp[0] == '\t' || tmp[0] == '\n')
        return false;
    for (size_t i = 0; i < len; i++) /* decimal only: no "inf", "nan", hex */
        if (!strchr("0123456789+-.eE", tmp[i]))
            return false;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool Co_sim_parse_date(const char *s, size_t len, int32_t *days)
{
    for (size_t i = 8; i < len; i++) /* drop a time of day */
        if (s[i] == 'T' || s[i] == ' ') {
            len = i;
            break;
        }
    int y, m, d;
    if (len == 8) {
        if (!Co_digits(s, 4, &y) || !Co_digits(s + 4, 2, &m) || !Co_digits(s + 6, 2, &d))
            return false;
    } else if (len == 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4]) {
        if (!Co_digits(s, 4, &y) || !Co_digits(s + 5, 2, &m) || !Co_digits(s + 8, 2, &d))
            return false;
    } else {
        return false;
    }
    if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

double Co_sim_number(double a, double b, double scale)
{
    if (a == b)
        return 1.0;
    if (scale <= 0)
        scale = fmax(fabs(a), fabs(b));
    double s = 1.0 - fabs(a - b) / scale;
    return s > 0 ? s : 0.0;
}

static void digits_of(int32_t v, int32_t out[8])
{
    for (int i = 7; i >= 0; i--, v /= 10)
        out[i] = v % 10;
}

double Co_sim_date(int32_t a, int32_t b, double scale_days)
{
    if (a == b)
        return 1.0;
    if (scale_days <= 0)
        scale_days = 30;
    double best = Co_sim_number((double)a, (double)b, scale_days);
    int ya, ma, da, yb, mb, db;
    civil_from_days(a, &ya, &ma, &da);
    civil_from_days(b, &yb, &mb, &db);
    if (ya == yb && ma == db && da == mb && best < 0.9)
        best = 0.9;
    if (ya >= 0 && ya <= 9999 && yb >= 0 && yb <= 9999) {
        int32_t ca[8], cb[8]; /* the digits YYYYMMDD */
        digits_of(ya * 10000 + ma * 100 + da, ca);
        digits_of(yb * 10000 + mb * 100 + db, cb);
        double typo = Co_sim_damerau_ratio_cp(ca, 8, cb, 8);
        if (typo > best)
            best = typo;
    }
    return best;
}
