/*
 * mysql_types.c: the values of MySQL/MariaDB columns as cutover reads them
 * (the text protocol gives every value as bytes; the column's type says what
 * they are), and the checks of values going into MySQL that the server
 * itself would not refuse. Each rule is in docs/mysql.md ("Legacy MySQL").
 *
 *   TINYINT .. BIGINT, YEAR    an integer; a BIGINT UNSIGNED above 2^63-1
 *                              stays text, digit for digit
 *   FLOAT, DOUBLE              a real
 *   DECIMAL                    an integer without a fraction (when it fits),
 *                              a real with at most 15 significant digits,
 *                              else its text (exact)
 *   BIT(n)                     its unsigned number (BIT(1): 0 or 1), text
 *                              above 2^63-1
 *   spatial types              WKT ('POINT(1 1)'), 'SRID=n;' before it when
 *                              the value has one (EWKT, as PostGIS reads)
 *   binary strings and BLOBs   a blob
 *   anything else              text as the server gives it (utf8mb4): dates
 *                              'YYYY-MM-DD HH:MM:SS[.ffffff]' at UTC, zero
 *                              dates as '0000-00-00', TIME as '838:59:59';
 *                              a fraction of a second without its trailing
 *                              zeros, as PostgreSQL writes it,
 *                              ENUM its label, SET its labels 'a,b'
 *
 * Going in: MySQL rounds a fractional number put into an integer column
 * (1.5 or '1.5' becomes 2) without an error or even a warning, strict mode
 * or not. The loader refuses such a value itself (Co_my_would_round). A
 * time with a zone ('2024-01-05 10:00:00+02', PostgreSQL's timestamptz) is
 * refused by DATETIME and TIMESTAMP columns: the loader writes it without
 * its zone into a DATETIME (as PostgreSQL's timestamp takes it), at UTC (the
 * session's zone) into a TIMESTAMP, an instant (Co_my_datetime_in).
 *
 * mojibake_fix(x) in a query on MySQL repairs UTF-8 text that went through
 * a latin1 connection or column ('MÃ¼ller' is 'Müller'); MySQL has no such
 * function, so the SQL is rewritten to the expression that does it
 * (Co_my_functions).
 */
#include "store/mysql_int.h"
#include "util/canon.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static co_value blob(const char *s, size_t len)
{
    co_value v = co_text(s, len);
    v.type = CO_BLOB;
    return v;
}

co_my_kind Co_my_kind_of(const MYSQL_FIELD *f)
{
    switch (f->type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_YEAR:
        return CO_MY_INT;
    case MYSQL_TYPE_LONGLONG:
        return (f->flags & UNSIGNED_FLAG) ? CO_MY_UINT : CO_MY_INT;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
        return CO_MY_REAL;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
        return CO_MY_DECIMAL;
    case MYSQL_TYPE_BIT:
        return CO_MY_BIT;
    case MYSQL_TYPE_GEOMETRY:
        return CO_MY_GEOMETRY;
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        return CO_MY_TIME;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_VARCHAR:
        return f->charsetnr == 63 ? CO_MY_BLOB : CO_MY_TEXT; /* 63: binary */
    default:
        return CO_MY_TEXT;
    }
}

/* BIT(n)'s bytes (big-endian) as its number. */
static co_value bit_value(const char *s, size_t len, co_buf *scratch)
{
    uint64_t v = 0;
    size_t skip = 0;
    while (skip < len && s[skip] == 0)
        skip++;
    if (len - skip > 8) /* BIT(64) is the widest: cannot happen */
        return blob(s, len);
    for (size_t i = skip; i < len; i++)
        v = v << 8 | (unsigned char)s[i];
    if (v <= INT64_MAX)
        return co_int((int64_t)v);
    Co_buf_reset(scratch);
    Co_buf_printf(scratch, "%llu", (unsigned long long)v);
    return scratch->failed ? blob(s, len) : co_text(scratch->data, scratch->len); /* never NULL */
}

void Co_my_real(double d, co_buf *out)
{
    char num[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, d);
        if (strtod(num, NULL) == d)
            break;
    }
    Co_buf_adds(out, num);
}

/* ---- spatial values: MySQL's internal form (SRID + WKB) as WKT ---------------- */

typedef struct wkb {
    const unsigned char *p, *end;
    bool little;
    co_buf *out;
} wkb;

static bool wkb_u32(wkb *w, uint32_t *v)
{
    if (w->end - w->p < 4)
        return false;
    const unsigned char *b = w->p;
    *v = w->little ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
                   : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
    w->p += 4;
    return true;
}

/* A double in the fewest digits that read back as itself. */
static bool wkb_double(wkb *w)
{
    if (w->end - w->p < 8)
        return false;
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = w->little ? w->p[i] : w->p[7 - i];
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--)
        bits = bits << 8 | b[i];
    double d;
    memcpy(&d, &bits, sizeof d);
    w->p += 8;
    if (!isfinite(d))
        return false;
    Co_my_real(d, w->out);
    return true;
}

static bool wkb_points(wkb *w, bool counted)
{
    uint32_t n = 1;
    if (counted && !wkb_u32(w, &n))
        return false;
    if ((size_t)(w->end - w->p) / 16 < n)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            Co_buf_addc(w->out, ',');
        if (!wkb_double(w))
            return false;
        Co_buf_addc(w->out, ' ');
        if (!wkb_double(w))
            return false;
    }
    return true;
}

static bool wkb_geometry(wkb *w, bool named, int depth);

/* n parts, each "(...)" of points or of rings, or whole geometries. */
static bool wkb_parts(wkb *w, int part_kind, int depth)
{
    uint32_t n;
    if (!wkb_u32(w, &n) || (size_t)(w->end - w->p) / 4 < n)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            Co_buf_addc(w->out, ',');
        bool ok;
        if (part_kind == 0) { /* a ring: counted points */
            Co_buf_addc(w->out, '(');
            ok = wkb_points(w, true);
            Co_buf_addc(w->out, ')');
        } else { /* a member geometry: its own header */
            ok = wkb_geometry(w, part_kind == 2, depth + 1);
        }
        if (!ok)
            return false;
    }
    return true;
}

/* One WKB geometry; named: with its type's name (not inside MULTI*). */
static bool wkb_geometry(wkb *w, bool named, int depth)
{
    static const char *const names[] = {NULL,         "POINT",           "LINESTRING",
                                        "POLYGON",    "MULTIPOINT",      "MULTILINESTRING",
                                        "MULTIPOLYGON", "GEOMETRYCOLLECTION"};
    uint32_t type;
    if (depth > 32 || w->p >= w->end || *w->p > 1)
        return false;
    w->little = *w->p++ == 1;
    if (!wkb_u32(w, &type) || type < 1 || type > 7)
        return false;
    if (named)
        Co_buf_adds(w->out, names[type]);
    Co_buf_addc(w->out, '(');
    bool ok;
    switch (type) {
    case 1: ok = wkb_points(w, false); break;
    case 2: ok = wkb_points(w, true); break;
    case 3: ok = wkb_parts(w, 0, depth); break;
    case 4: /* MULTIPOINT(1 1,2 2): each member's header read, its name not written */
    case 5:
    case 6: ok = wkb_parts(w, 1, depth); break;
    default: ok = wkb_parts(w, 2, depth); break;
    }
    Co_buf_addc(w->out, ')');
    return ok;
}

/* The WKT of a spatial value into out; false when its bytes are not a geometry. */
static bool geometry_wkt(const char *s, size_t len, co_buf *out)
{
    if (len < 4 + 5)
        return false;
    uint32_t srid = (uint32_t)(unsigned char)s[0] | (uint32_t)(unsigned char)s[1] << 8 |
                    (uint32_t)(unsigned char)s[2] << 16 | (uint32_t)(unsigned char)s[3] << 24;
    Co_buf_reset(out);
    if (srid)
        Co_buf_printf(out, "SRID=%u;", srid);
    wkb w = {(const unsigned char *)s + 4, (const unsigned char *)s + len, true, out};
    return wkb_geometry(&w, true, 0) && w.p == w.end && !out->failed;
}

co_value Co_my_value(co_my_kind kind, const char *s, size_t len, co_buf *scratch)
{
    switch (kind) {
    case CO_MY_INT:
        return co_int(strtoll(s, NULL, 10));
    case CO_MY_UINT: {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        return errno == 0 && *end == '\0' ? co_int(v) : co_text(s, len);
    }
    case CO_MY_REAL:
        return co_real(strtod(s, NULL));
    case CO_MY_DECIMAL:
        return Co_store_decimal_value(s, len);
    case CO_MY_BIT:
        return bit_value(s, len, scratch);
    case CO_MY_GEOMETRY:
        if (geometry_wkt(s, len, scratch))
            return co_text(scratch->data, scratch->len);
        return blob(s, len); /* not a geometry we know: its bytes, unchanged */
    case CO_MY_TIME: {
        /* TIME(3) gives '10:11:12.500', DATETIME(3) '... 10:11:12.000': the
         * same times as PostgreSQL's '10:11:12.5' and '... 10:11:12' */
        const char *dot = memchr(s, '.', len);
        size_t n = len;
        while (dot && n > (size_t)(dot - s) && s[n - 1] == '0')
            n--;
        if (dot && n == (size_t)(dot - s) + 1)
            n--;
        if (n == len)
            return co_text(s, len);
        Co_buf_reset(scratch); /* a copy, so that the text ends with a NUL (value.h) */
        Co_buf_add(scratch, s, n);
        return scratch->failed ? co_text(s, len) : co_text(scratch->data, scratch->len);
    }
    case CO_MY_BLOB:
        return blob(s, len);
    case CO_MY_TEXT:
        break;
    }
    return co_text(s, len);
}

/* ---- values going in ------------------------------------------------------------ */

co_code Co_my_column_classes(my_store *s, const char *table, const char *const *columns,
                             size_t ncols, co_my_class *cls, co_error *err)
{
    for (size_t i = 0; i < ncols; i++)
        cls[i] = CO_MY_CLASS_OTHER;
    Co_my_settle(s);
    co_buf q = CO_BUF_INIT;
    const char *dot = strchr(table, '.');
    Co_buf_adds(&q, "SELECT COLUMN_NAME, DATA_TYPE"
                    " FROM information_schema.COLUMNS WHERE DATA_TYPE IN"
                    " ('tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'year', 'datetime',"
                    " 'timestamp') AND TABLE_SCHEMA = ");
    if (dot) {
        co_value schema = co_text(table, (size_t)(dot - table));
        Co_my_literal(&schema, &q);
    } else {
        Co_buf_adds(&q, "DATABASE()");
    }
    Co_buf_adds(&q, " AND TABLE_NAME = ");
    co_value name = co_text(dot ? dot + 1 : table, strlen(dot ? dot + 1 : table));
    Co_my_literal(&name, &q);
    if (q.failed) {
        Co_buf_release(&q);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    int failed = mysql_real_query(s->conn, q.data, (unsigned long)q.len);
    Co_buf_release(&q);
    MYSQL_RES *res = failed ? NULL : mysql_store_result(s->conn);
    if (!res)
        return Co_my_fail(s, "cannot read the types of the columns", err);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)))
        for (size_t i = 0; i < ncols; i++)
            if (row[0] && row[1] && strcasecmp(row[0], columns[i]) == 0)
                cls[i] = strcasecmp(row[1], "datetime") == 0    ? CO_MY_CLASS_DATETIME
                         : strcasecmp(row[1], "timestamp") == 0 ? CO_MY_CLASS_TIMESTAMP
                                                                : CO_MY_CLASS_INTEGER;
    mysql_free_result(res);
    return CO_OK;
}

co_value Co_my_datetime_in(const co_value *v, bool instant, char *buf)
{
    if (v->type != CO_TEXT || v->len < 11 || v->len >= CO_CANON_TEXT_MAX)
        return *v;
    char last = v->s[v->len - 1];
    const char *tail = v->s + 10;
    /* only a value with a zone: 'Z', 'UTC' or an offset after the time */
    bool zoned = last == 'Z' || last == 'z' || (v->len > 3 && strncasecmp(v->s + v->len - 3, "UTC", 3) == 0);
    for (const char *p = tail; !zoned && p < v->s + v->len; p++)
        zoned = (*p == '+' || *p == '-') && p > tail + 1;
    if (!zoned)
        return *v;
    co_canon_type t = {instant ? CO_CANON_TIMESTAMPTZ : CO_CANON_TIMESTAMP, 0};
    co_value out = Co_canon_value(t, *v, buf);
    if (out.type != CO_TEXT || out.s != buf)
        return *v; /* not a time the canonical form reads: the server says why */
    if (instant && out.len && out.s[out.len - 1] == 'Z')
        buf[--out.len] = '\0';
    return out;
}

bool Co_my_would_round(const co_value *v)
{
    if (v->type == CO_REAL)
        return isfinite(v->r) && v->r != floor(v->r);
    if (v->type != CO_TEXT || v->len == 0 || v->len > 60)
        return false;
    char tmp[64];
    memcpy(tmp, v->s, v->len);
    tmp[v->len] = '\0';
    char *end;
    double r = strtod(tmp, &end);
    if (end == tmp || (!memchr(tmp, '.', v->len) && !strpbrk(tmp, "eE")))
        return false;
    while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
    return *end == '\0' && isfinite(r) && r != floor(r);
}

/* ---- mojibake_fix(x) -------------------------------------------------------------- */

/* Past the quoted text or comment that starts at p; p itself when none
 * does; NULL when it never ends. */
static const char *skip_literal(const char *p)
{
    if (*p == '\'' || *p == '"' || *p == '`') {
        char q = *p++;
        while (*p && !(*p == q && p[1] != q))
            p += *p == q ? 2 : 1;
        return *p ? p + 1 : NULL;
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *end = strstr(p + 2, "*/");
        return end ? end + 2 : NULL;
    }
    if ((p[0] == '-' && p[1] == '-') || p[0] == '#') {
        const char *end = strchr(p, '\n');
        return end ? end : p + strlen(p);
    }
    return p;
}

/* The ")" that closes the "(" just before p, literals and comments
 * skipped; NULL when none does. */
static const char *closing_paren(const char *p)
{
    int depth = 1;
    while (*p) {
        const char *past = skip_literal(p);
        if (!past)
            return NULL;
        if (past != p) {
            p = past;
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p;
        p++;
    }
    return NULL;
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

bool Co_my_functions(const char *sql, co_buf *out)
{
    static const char name[] = "mojibake_fix";
    const size_t n = sizeof name - 1;
    bool any = false;
    const char *run = sql, *p = sql;
    while (*p) {
        const char *past = skip_literal(p);
        if (!past)
            break;
        if (past != p) { /* never inside a literal or a comment */
            p = past;
            continue;
        }
        if (strncasecmp(p, name, n) != 0 || (p > sql && (word_char(p[-1]) || p[-1] == '.'))) {
            p++;
            continue;
        }
        const char *open = p + n;
        while (*open == ' ' || *open == '\t' || *open == '\n' || *open == '\r')
            open++;
        const char *close = *open == '(' ? closing_paren(open + 1) : NULL;
        if (!close) {
            p += n;
            continue;
        }
        int alen = (int)(close - open - 1);
        const char *a = open + 1;
        Co_buf_add(out, run, (size_t)(p - run));
        /* the text's characters as latin1 bytes, when latin1 holds them all
         * and those bytes are UTF-8: that UTF-8; otherwise the text as it is */
        Co_buf_printf(out,
                      "(CASE WHEN CAST(CONVERT(CONVERT((%.*s) USING latin1) USING utf8mb4) AS BINARY)"
                      " = CAST(CONVERT((%.*s) USING utf8mb4) AS BINARY)"
                      " AND CAST(CONVERT(CAST(CONVERT((%.*s) USING latin1) AS BINARY) USING utf8mb4) AS BINARY)"
                      " = CAST(CONVERT((%.*s) USING latin1) AS BINARY)"
                      " THEN CONVERT(CAST(CONVERT((%.*s) USING latin1) AS BINARY) USING utf8mb4)"
                      " ELSE (%.*s) END)",
                      alen, a, alen, a, alen, a, alen, a, alen, a, alen, a);
        run = p = close + 1;
        any = true;
    }
    if (any)
        Co_buf_adds(out, run);
    return any;
}
