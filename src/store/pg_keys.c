/*
 * pg_keys.c: keys that a PostgreSQL target assigns (target_key), drawn for
 * cutover from the column's sequence (co_store_reserve_keys). They are drawn
 * on a second connection, opened on first use, so that a COPY in flight on the
 * first goes on: sequence values are not transactional. A block asked for
 * ahead (co_store_reserve_keys_ahead) is computed by the server while the
 * caller loads the rows of the block before, and handed over by the next
 * reservation of the same column and size; any other reservation waits for
 * it first, and its values are left unused (a sequence never goes back).
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A block of n values of the sequence behind table.column: the one an identity
 * or serial column owns (pg_get_serial_sequence), else the one its default
 * draws from (DEFAULT nextval('name')). nextval over generate_series: one
 * round trip a block, and values that no other session ever gets. They stay
 * ours after a commit or a rollback (a sequence never goes back). The
 * sequence is found once a block (OFFSET 0 keeps the planner from pulling
 * the lookup into every row: a name cast to regclass per value cost five
 * times the nextval itself). */
static const char reserve_sql[] =
    "SELECT pg_catalog.nextval(q.seq) FROM (SELECT coalesce("
    " pg_catalog.pg_get_serial_sequence($1, $2),"
    " (SELECT substring(pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
    "   FROM 'nextval[(]''([^'']+)''')"
    "  FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a"
    "  ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
    "  WHERE d.adrelid = pg_catalog.to_regclass($1) AND a.attname = $2))::regclass AS seq"
    " OFFSET 0) AS q,"
    " pg_catalog.generate_series(1, $3::int)";

/* The connection that reserves keys: a second one, with the settings of the
 * first (PQconninfo), opened on first use. Sequence values are not
 * transactional, so they can be drawn there while the first one streams a
 * COPY (any command on it would call the COPY off, Co_pg_settle). */
static PGconn *keys_connection(pg_store *s, co_error *err)
{
    if (s->keys_conn && PQstatus(s->keys_conn) == CONNECTION_OK)
        return s->keys_conn;
    Co_pg_keys_close(s);
    PQconninfoOption *opts = PQconninfo(s->conn);
    size_t n = 0;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        n++;
    const char **keys = calloc(n + 1, sizeof *keys), **vals = calloc(n + 1, sizeof *vals);
    size_t k = 0;
    for (PQconninfoOption *o = opts; keys && vals && o && o->keyword; o++)
        if (o->val && *o->val) {
            keys[k] = o->keyword;
            vals[k++] = o->val;
        }
    PGconn *c = keys && vals ? PQconnectdbParams(keys, vals, 0) : NULL;
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char msg[600];
        Co_pg_one_line(msg, sizeof msg, c ? PQerrorMessage(c) : "out of memory");
        co_error_set(err, Co_store_side_code(s->base.side),
                     "%s: cannot open a connection for reserving keys: %s",
                     co_side_name(s->base.side), msg);
        if (err)
            Co_pg_scrub(s, err->message);
        if (c)
            PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, Co_pg_ignore_notice, NULL);
    s->keys_conn = c;
    return c;
}

/* Sends the reservation of n values of table.column, without waiting. */
static co_code send_reserve(pg_store *s, PGconn *conn, const char *table, const char *column,
                            size_t n, co_error *err)
{
    co_buf ref = CO_BUF_INIT;
    Co_pg_table_ref(table, &ref);
    char count[32];
    snprintf(count, sizeof count, "%zu", n);
    if (ref.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    const char *values[3] = {co_buf_str(&ref), column, count};
    Oid types[3] = {25, 25, 25};
    int sent = PQsendQueryParams(conn, reserve_sql, 3, types, values, NULL, NULL, 0);
    Co_buf_release(&ref);
    if (sent)
        return CO_OK;
    char msg[600];
    Co_pg_one_line(msg, sizeof msg, PQerrorMessage(conn));
    return co_error_set(err, Co_store_side_code(s->base.side), "%s: cannot reserve keys: %s",
                        co_side_name(s->base.side), msg);
}

/* Waits for the reservation sent on conn: its n values go to out (NULL: they
 * are left unused). */
static co_code collect_reserve(pg_store *s, PGconn *conn, const char *table, const char *column,
                               size_t n, int64_t *out, co_error *err)
{
    PGresult *res = PQgetResult(conn);
    co_code rc = CO_OK;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[600];
        Co_pg_one_line(msg, sizeof msg, res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
        rc = co_error_set(err, Co_store_side_code(s->base.side), "%s: cannot reserve keys: %s",
                          co_side_name(s->base.side), msg);
        if (err && res && PQresultErrorField(res, PG_DIAG_SQLSTATE))
            snprintf(err->sqlstate, sizeof err->sqlstate, "%s",
                     PQresultErrorField(res, PG_DIAG_SQLSTATE));
    } else if ((size_t)PQntuples(res) != n || (n && PQgetisnull(res, 0, 0))) {
        rc = co_error_set(err, CO_EUNSUPPORTED,
                          "%s: column \"%s\" of table \"%s\" draws from no sequence (an "
                          "identity, serial or DEFAULT nextval(...) column is needed for "
                          "target_key)",
                          co_side_name(s->base.side), column, table);
    }
    for (size_t i = 0; rc == CO_OK && out && i < n; i++)
        out[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
    PQclear(res);
    while ((res = PQgetResult(conn))) /* the end of the command */
        PQclear(res);
    return rc;
}

/* "table\ncolumn", what a block asked for ahead is of; NULL when out of memory. */
static char *ahead_of(const char *table, const char *column)
{
    co_buf what = CO_BUF_INIT;
    Co_buf_printf(&what, "%s\n%s", table, column);
    return what.failed ? NULL : co_buf_detach(&what);
}

co_code Co_pg_reserve_keys(co_store *st, const char *table, const char *column, size_t n,
                           int64_t *out, bool *until_commit, co_error *err)
{
    pg_store *s = pg_of(st);
    *until_commit = false;
    if (s->keys_ahead) {
        char *what = ahead_of(table, column);
        bool mine = what && n == s->keys_ahead_n && strcmp(what, s->keys_ahead) == 0;
        free(what);
        free(s->keys_ahead);
        s->keys_ahead = NULL;
        if (mine)
            return collect_reserve(s, s->keys_conn, table, column, n, out, err);
        co_error ignored; /* another block: its values stay unused */
        collect_reserve(s, s->keys_conn, table, column, s->keys_ahead_n, NULL, &ignored);
    }
    PGconn *conn = keys_connection(s, err);
    if (!conn)
        return Co_store_side_code(st->side);
    co_code rc = send_reserve(s, conn, table, column, n, err);
    return rc == CO_OK ? collect_reserve(s, conn, table, column, n, out, err) : rc;
}

co_code Co_pg_reserve_keys_ahead(co_store *st, const char *table, const char *column, size_t n,
                                 co_error *err)
{
    pg_store *s = pg_of(st);
    if (s->keys_ahead) { /* one block ahead at a time: the one before is dropped */
        co_error ignored;
        collect_reserve(s, s->keys_conn, table, column, s->keys_ahead_n, NULL, &ignored);
        free(s->keys_ahead);
        s->keys_ahead = NULL;
    }
    PGconn *conn = keys_connection(s, err);
    if (!conn)
        return Co_store_side_code(st->side);
    char *what = ahead_of(table, column);
    if (!what)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_code rc = send_reserve(s, conn, table, column, n, err);
    if (rc != CO_OK) {
        free(what);
        return rc;
    }
    s->keys_ahead = what;
    s->keys_ahead_n = n;
    return CO_OK;
}

void Co_pg_keys_close(pg_store *s)
{
    if (s->keys_conn)
        PQfinish(s->keys_conn);
    s->keys_conn = NULL;
    free(s->keys_ahead);
    s->keys_ahead = NULL;
}
