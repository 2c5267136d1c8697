/*
 * pg_digest.c: the digest sum of rows computed by PostgreSQL itself
 * (co_store_digest_sum_sql), so that verification sends one row per key range
 * instead of every row. Each value is written in SQL exactly as
 * Co_row_digest (util/rowhash.h) writes the canonical form that cutover would
 * give it after reading it through a cursor (pg_cursor.c) and passing it
 * through Co_canon_value with its target column's type (util/canon.h); the
 * row's text goes through md5(), and the first 16 hex digits are summed as
 * signed 64-bit integers (sum() gives the exact numeric; cutover takes it
 * modulo 2^64). A column whose type this file cannot write exactly for that
 * canonical type (float4, numeric, a text column typed as a number, a
 * rounded column, ...) makes the whole summary unsupported: the caller then
 * reads the rows and digests them itself, which gives the same sums.
 */
#include "store/pg_int.h"
#include "util/canon.h"

#include <stdlib.h>
#include <string.h>

enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
    OID_FLOAT8 = 701, OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184,
};

/* "T<bytes>:<text>" of a text expression. */
static void tagged_text(co_buf *out, const char *expr)
{
    Co_buf_printf(out, "'T' || octet_length(%s) || ':' || %s", expr, expr);
}

/* Appends the tagged canonical text of one non-NULL value q of PostgreSQL
 * type oid in a column of canonical type t; false when it cannot be written
 * exactly. */
static bool value_sql(Oid oid, co_canon_type t, const char *q, co_buf *out)
{
    co_buf e = CO_BUF_INIT;
    bool ok = true;
    switch (oid) {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        /* an integer stays one, except that REAL makes it a double */
        if (t.kind == CO_CANON_REAL)
            Co_buf_printf(out,
                          "CASE WHEN abs(%s::float8) < 9e15::float8 THEN 'I' || %s::text || ';'"
                          " ELSE 'R' || %s::float8::numeric::text || ';' END",
                          q, q, q);
        else
            Co_buf_printf(out, "'I' || %s::text || ';'", q);
        break;
    case OID_BOOL: /* read as 1 or 0 whatever the column's type */
        Co_buf_printf(out, "CASE WHEN %s THEN 'I1;' ELSE 'I0;' END", q);
        break;
    case OID_FLOAT8:
        /* a double stays one, except that DECIMAL rounds it; integral ones
         * are integers; others their 15 significant digits
         * (float8::numeric writes them with %.15g) */
        if (t.kind == CO_CANON_DECIMAL) {
            ok = false;
            break;
        }
        Co_buf_printf(out,
                      "CASE WHEN %s = trunc(%s) AND abs(%s) < 9e15::float8"
                      " THEN 'I' || %s::bigint::text || ';'"
                      " ELSE 'R' || %s::numeric::text || ';' END",
                      q, q, q, q, q);
        break;
    case OID_TEXT:
    case OID_VARCHAR:
        /* only as it is: text spelling a canonical 64-bit integer counts as it */
        if (t.kind != CO_CANON_ANY) {
            ok = false;
            break;
        }
        /* (the regular expressions only for text that begins like a number,
         * the cast only for digits: CASE evaluates in order) */
        Co_buf_printf(out,
                      "CASE WHEN CASE WHEN NOT (ascii(%s) BETWEEN 48 AND 57 OR ascii(%s) = 45)"
                      " THEN false WHEN %s ~ '^(0|-?[1-9][0-9]{0,17})$' THEN true"
                      " WHEN %s ~ '^-?[1-9][0-9]{18}$'"
                      " THEN %s::numeric BETWEEN -9223372036854775808 AND 9223372036854775807"
                      " ELSE false END THEN 'I' || %s || ';' ELSE ",
                      q, q, q, q, q, q);
        tagged_text(out, q);
        Co_buf_adds(out, " END");
        break;
    case OID_DATE:
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ: {
        /* ISO text (the session's DateStyle) is already the canonical form
         * of its own type, and what cutover keeps when it cannot read it
         * (infinity, BC, years past 9999) */
        co_canon_kind own = oid == OID_DATE        ? CO_CANON_DATE
                            : oid == OID_TIMESTAMP ? CO_CANON_TIMESTAMP
                                                   : CO_CANON_TIMESTAMPTZ;
        Co_buf_printf(&e, "%s::text", q);
        if (t.kind == CO_CANON_ANY || (t.kind == own && own != CO_CANON_TIMESTAMPTZ)) {
            tagged_text(out, co_buf_str(&e));
            break;
        }
        /* timestamptz at UTC with Z, when the session's own zone is UTC
         * (then years 1 to 9999 are exactly what cutover reads) */
        const char *tz = getenv("PGTZ");
        if (t.kind != own || (tz && *tz)) {
            ok = false;
            break;
        }
        co_buf utc = CO_BUF_INIT;
        Co_buf_printf(&utc, "((%s AT TIME ZONE 'UTC')::text || 'Z')", q);
        Co_buf_printf(out,
                      "CASE WHEN %s >= '0001-01-01 00:00:00+00'::timestamptz"
                      " AND %s < '10000-01-01 00:00:00+00'::timestamptz THEN ",
                      q, q);
        tagged_text(out, co_buf_str(&utc));
        Co_buf_adds(out, " ELSE ");
        tagged_text(out, co_buf_str(&e));
        Co_buf_adds(out, " END");
        Co_buf_release(&utc);
        break;
    }
    case OID_BYTEA: /* a blob stays one */
        Co_buf_printf(out, "'B' || encode(%s, 'hex') || ';'", q);
        break;
    default:
        ok = false;
    }
    Co_buf_release(&e);
    return ok;
}

co_code Co_pg_digest_sum_sql(co_store *s, const char *from_sql, const co_param *params,
                             size_t nparams, const char *const *cols, const char *const *types,
                             const int *digits, size_t ncols, co_buf *out, bool *supported,
                             co_error *err)
{
    *supported = false;
    for (size_t i = 0; i < ncols; i++)
        if (digits[i] >= 0)
            return CO_OK; /* rounding as Co_round_decimal does: not in SQL here */
    /* The columns' types, from the query itself (no row read). */
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    co_store_quote_idents(s, cols, ncols, &sql);
    Co_buf_printf(&sql, " FROM (%s) AS side LIMIT 0", from_sql);
    co_cursor *c = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : Co_pg_query(s, co_buf_str(&sql), params, nparams, &c, err);
    Co_buf_release(&sql);
    if (rc != CO_OK)
        return rc;
    co_buf item = CO_BUF_INIT, q = CO_BUF_INIT;
    bool ok = true;
    Co_buf_adds(&item, "sum(('x' || substr(md5(");
    for (size_t i = 0; ok && i < ncols; i++) {
        co_canon_type t = {CO_CANON_ANY, 0};
        if (types[i] && !Co_canon_type_parse(types[i], &t)) {
            ok = false;
            break;
        }
        Co_buf_reset(&q);
        co_store_quote_ident(s, cols[i], &q);
        Co_buf_printf(&item, "%s(CASE WHEN %s IS NULL THEN 'N;' ELSE ", i ? " || " : "",
                      co_buf_str(&q));
        ok = value_sql(Co_pg_cursor_type(c, i), t, co_buf_str(&q), &item);
        Co_buf_adds(&item, " END)");
    }
    Co_buf_adds(&item, "), 1, 16))::bit(64)::bigint)");
    co_cursor_close(c);
    if (ok && ncols > 0) {
        if (item.failed || q.failed)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        else {
            Co_buf_add(out, item.data, item.len);
            *supported = true;
        }
    }
    Co_buf_release(&item);
    Co_buf_release(&q);
    return rc;
}
