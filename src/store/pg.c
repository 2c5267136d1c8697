/*
 * pg.c: the PostgreSQL backend of the store (store_int.h), through libpq:
 * opening a connection, errors, statements, transactions and the catalog.
 * Queries and their cursors are in pg_cursor.c, loading with COPY in
 * pg_copy.c, parameter translation in pg_sql.c, column reads in pg_reads.c.
 *
 * Every error names the side, carries the server's SQLSTATE and message, and
 * never the password (it is scrubbed from every message, whatever its source).
 * The session is set up so that values read back the same on every server:
 * UTF8, ISO dates, timestamps with time zone in UTC (unless PGTZ says
 * otherwise), floats with every digit, bytea as hex. A source connection is
 * read-only (default_transaction_read_only) until co_store_allow_writes.
 */
#include "dedupe/normalize_pg.h"
#include "store/ddl_int.h"
#include "store/dialect_int.h"
#include "store/pg_int.h"
#include "util/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------- */

void Co_pg_scrub(const pg_store *s, char *text)
{
    Co_secret_mask(text, s->password);
    Co_secret_mask(text, getenv("PGPASSWORD"));
}

void Co_pg_one_line(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    bool space = false;
    for (const char *p = src; *p && n + 1 < cap; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < cap)
            dst[n++] = ' ';
        space = false;
        dst[n++] = *p;
    }
    dst[n] = '\0';
}

co_code Co_pg_fail(pg_store *s, const PGresult *res, const char *doing, co_error *err)
{
    co_code code = Co_store_side_code(s->base.side);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    if (detail && strncmp(detail, "Failing row contains", 20) == 0)
        detail = NULL; /* the whole row: too long for a message, and the caller has it */
    char raw[900], msg[900];
    if (primary) {
        snprintf(raw, sizeof raw, "%s%s%s", primary, detail ? " " : "", detail ? detail : "");
    } else {
        const char *m = res ? PQresultErrorMessage(res) : "";
        if (!*m)
            m = PQerrorMessage(s->conn);
        snprintf(raw, sizeof raw, "%s", *m ? m : "unknown error");
    }
    Co_pg_one_line(msg, sizeof msg, raw);
    if (PQstatus(s->conn) == CONNECTION_BAD) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, " (the connection is lost)");
        if (!state)
            state = "08006";
    }
    co_error_set(err, code, "%s: %s: %s%s%s%s", co_side_name(s->base.side), doing, msg,
                 state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
    if (err) {
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state ? state : "");
        Co_pg_scrub(s, err->message);
    }
    /* A missing normalizer (42883: no such function) may be one that could
     * not be installed: say why. */
    if (err && s->norm_problem[0] && state && strcmp(state, "42883") == 0 &&
        Co_pg_names_normalizer(msg)) {
        size_t len = strlen(err->message);
        snprintf(err->message + len, sizeof err->message - len,
                 "; cutover could not install its normalizers (casefold, email_norm, "
                 "domain_norm, name_norm) in schema " CO_NORM_PG_SCHEMA ": %s",
                 s->norm_problem);
    }
    return code;
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

co_code Co_pg_run(pg_store *s, const char *sql, const char *doing, co_error *err)
{
    Co_pg_settle(s);
    Co_pg_catalog_note_sql(s, sql);
    PGresult *res = PQexec(s->conn, sql);
    co_code rc = res && result_ok(res) ? CO_OK : Co_pg_fail(s, res, doing, err);
    PQclear(res);
    return rc;
}

void Co_pg_run_quietly(pg_store *s, const char *sql)
{
    Co_pg_settle(s);
    Co_pg_catalog_note_sql(s, sql);
    PQclear(PQexec(s->conn, sql));
}

/* Runs what the store deferred (DEALLOCATEs) once no transaction is open. */
static void run_deferred(pg_store *s)
{
    if (s->deferred.len && PQtransactionStatus(s->conn) == PQTRANS_IDLE) {
        Co_pg_run_quietly(s, co_buf_str(&s->deferred));
        Co_buf_reset(&s->deferred);
    }
}

/* ---- statements --------------------------------------------------------------- */

typedef PGresult *(*pg_call)(pg_store *s, const void *ctx);

/* Runs call. Outside the caller's transaction but inside the one cursors
 * hold, the statement runs in a savepoint (its failure must not end the
 * cursors' transaction) and is then committed, as it would be on its own. */
static co_code run_call(pg_store *s, pg_call call, const void *ctx, const char *doing,
                        long long *changes, co_error *err)
{
    Co_pg_settle(s);
    bool guard = s->cursor_txn && !s->user_txn && PQtransactionStatus(s->conn) == PQTRANS_INTRANS;
    if (guard && Co_pg_run(s, "SAVEPOINT cutover_stmt", doing, err) != CO_OK)
        return Co_store_side_code(s->base.side);
    PGresult *res = call(s, ctx);
    co_code rc = CO_OK;
    if (!res || !result_ok(res))
        rc = Co_pg_fail(s, res, doing, err);
    else if (changes)
        *changes = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (guard && rc != CO_OK) {
        Co_pg_run_quietly(s, "ROLLBACK TO SAVEPOINT cutover_stmt");
        Co_pg_run_quietly(s, "RELEASE SAVEPOINT cutover_stmt");
    } else if (guard) {
        rc = Co_pg_run(s, "RELEASE SAVEPOINT cutover_stmt", doing, err);
        if (rc == CO_OK)
            rc = Co_pg_run(s, "COMMIT", doing, err);
        s->cursor_txn = false;
        Co_pg_cursors_txn_ended(s, rc == CO_OK);
    }
    return rc;
}

static PGresult *call_exec(pg_store *s, const void *sql) { return PQexec(s->conn, sql); }

static co_code pg_exec(co_store *st, const char *sql, co_error *err)
{
    Co_pg_catalog_note_sql(pg_of(st), sql);
    return run_call(pg_of(st), call_exec, sql, "statement failed", NULL, err);
}

typedef struct params_call {
    const char *sql;
    const char *name; /* a prepared statement, or NULL */
    int n;
    const pg_bind *b;
} params_call;

static PGresult *call_params(pg_store *s, const void *ctx)
{
    const params_call *c = ctx;
    if (c->name)
        return PQexecPrepared(s->conn, c->name, c->n, c->b->values, c->b->lengths,
                              c->b->formats, 0);
    return PQexecParams(s->conn, c->sql, c->n, c->b->types, c->b->values, c->b->lengths,
                        c->b->formats, 0);
}

static bool has_positional(const co_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!params[i].name)
            return true;
    return false;
}

static co_code pg_exec_params(co_store *st, const char *sql, const co_param *params, size_t n,
                              long long *changes, co_error *err)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    Co_pg_catalog_note_sql(s, sql);
    pg_sql q;
    pg_bind b = {0};
    co_code rc = Co_pg_sql_translate(s, sql, has_positional(params, n), &q, err);
    if (rc != CO_OK)
        return rc;
    rc = Co_pg_bind(s, &q, params, n, true, &b, err);
    if (rc == CO_OK) {
        params_call c = {co_buf_str(&q.text), NULL, (int)q.nparams, &b};
        rc = run_call(s, call_params, &c, "statement failed", changes, err);
    }
    Co_pg_bind_release(&b);
    Co_pg_sql_release(&q);
    return rc;
}

/* ---- transactions ------------------------------------------------------------- */

static co_code pg_begin(co_store *st, co_error *err)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    if (s->user_txn)
        return co_error_set(err, Co_store_side_code(st->side),
                            "%s: cannot start a transaction within a transaction",
                            co_side_name(st->side));
    if (s->cursor_txn && PQtransactionStatus(s->conn) == PQTRANS_INTRANS) {
        s->cursor_txn = false; /* the cursors' transaction becomes the caller's */
        s->user_txn = true;
        return CO_OK;
    }
    if (s->cursor_txn) { /* it failed: it is of no use to anyone */
        Co_pg_run_quietly(s, "ROLLBACK");
        s->cursor_txn = false;
        Co_pg_cursors_txn_ended(s, false);
    }
    co_code rc = Co_pg_run(s, "BEGIN", "cannot begin a transaction", err);
    s->user_txn = rc == CO_OK;
    return rc;
}

static co_code pg_commit(co_store *st, co_error *err)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    if (!s->user_txn)
        return co_error_set(err, Co_store_side_code(st->side),
                            "%s: cannot commit: no transaction is open", co_side_name(st->side));
    bool failed = PQtransactionStatus(s->conn) == PQTRANS_INERROR;
    PGresult *res = PQexec(s->conn, "COMMIT");
    co_code rc = CO_OK;
    if (!res || !result_ok(res))
        rc = Co_pg_fail(s, res, "commit failed", err);
    else if (failed || strcmp(PQcmdStatus(res), "ROLLBACK") == 0) /* COMMIT of a failed transaction */
        rc = co_error_set(err, Co_store_side_code(st->side),
                          "%s: commit failed: a statement of the transaction had failed, so "
                          "PostgreSQL rolled it back",
                          co_side_name(st->side));
    PQclear(res);
    s->user_txn = false;
    s->cursor_txn = false;
    Co_pg_cursors_txn_ended(s, rc == CO_OK);
    run_deferred(s);
    return rc;
}

static void pg_rollback(co_store *st)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    if (!s->user_txn)
        return;
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        Co_pg_run_quietly(s, "ROLLBACK");
    s->user_txn = false;
    s->cursor_txn = false;
    Co_pg_cursors_txn_ended(s, false);
    run_deferred(s);
}

/* ---- prepared statements ------------------------------------------------------ */

typedef struct pg_stmt {
    co_stmt base;
    char name[32];
    size_t nparams;
} pg_stmt;

typedef struct prepare_call {
    const char *name;
    const char *sql;
} prepare_call;

static PGresult *call_prepare(pg_store *s, const void *ctx)
{
    const prepare_call *c = ctx;
    return PQprepare(s->conn, c->name, c->sql, 0, NULL);
}

static co_code pg_prepare(co_store *st, const char *sql, co_stmt **out, co_error *err)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    pg_sql q;
    co_code rc = Co_pg_sql_translate(s, sql, true, &q, err);
    if (rc != CO_OK)
        return rc;
    if (q.nparams != q.npositional) {
        Co_pg_sql_release(&q);
        return co_error_set(err, Co_store_side_code(st->side),
                            "%s: a prepared statement takes positional parameters (?) only",
                            co_side_name(st->side));
    }
    pg_stmt *ps = calloc(1, sizeof *ps);
    if (!ps) {
        Co_pg_sql_release(&q);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    ps->base.store = st;
    ps->nparams = q.nparams;
    snprintf(ps->name, sizeof ps->name, "cutover_s%lu", ++s->seq);
    prepare_call c = {ps->name, co_buf_str(&q.text)};
    rc = run_call(s, call_prepare, &c, "cannot prepare statement", NULL, err);
    Co_pg_sql_release(&q);
    if (rc != CO_OK) {
        free(ps);
        return rc;
    }
    *out = &ps->base;
    return CO_OK;
}

static co_code pg_stmt_exec(co_stmt *stmt, const co_value *vals, size_t n, long long *changes,
                            co_error *err)
{
    pg_stmt *ps = (pg_stmt *)stmt;
    pg_store *s = pg_of(stmt->store);
    if (n != ps->nparams)
        return co_error_set(err, CO_EINTERNAL, "%s: the statement takes %zu values, not %zu",
                            co_side_name(s->base.side), ps->nparams, n);
    pg_bind b = {0};
    co_code rc = Co_pg_bind_values(s, vals, n, &b, err);
    if (rc == CO_OK) {
        params_call c = {NULL, ps->name, (int)n, &b};
        rc = run_call(s, call_params, &c, "statement failed", changes, err);
    }
    Co_pg_bind_release(&b);
    return rc;
}

static void pg_stmt_close(co_stmt *stmt)
{
    pg_stmt *ps = (pg_stmt *)stmt;
    pg_store *s = pg_of(stmt->store);
    Co_pg_settle(s);
    char sql[64];
    snprintf(sql, sizeof sql, "DEALLOCATE %s;", ps->name);
    if (PQtransactionStatus(s->conn) == PQTRANS_INERROR) /* DEALLOCATE would fail now */
        Co_buf_adds(&s->deferred, sql);
    else if (PQstatus(s->conn) == CONNECTION_OK)
        Co_pg_run_quietly(s, sql);
    free(ps);
}

/* ---- checks and the catalog --------------------------------------------------- */

bool Co_pg_savepoint(pg_store *s, const char *name, const char *doing, co_code *rc,
                     co_error *err)
{
    if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS)
        return false;
    char sql[96];
    snprintf(sql, sizeof sql, "SAVEPOINT %s", name);
    *rc = Co_pg_run(s, sql, doing, err);
    return true;
}

void Co_pg_savepoint_end(pg_store *s, const char *name, bool opened, co_code rc)
{
    if (!opened)
        return;
    char sql[96];
    if (rc != CO_OK) {
        snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", name);
        Co_pg_run_quietly(s, sql);
    }
    snprintf(sql, sizeof sql, "RELEASE SAVEPOINT %s", name);
    Co_pg_run_quietly(s, sql);
}

static co_code pg_prepare_check(co_store *st, const char *sql, co_error *err)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    pg_sql q;
    co_code rc = Co_pg_sql_translate(s, sql, false, &q, err);
    if (rc != CO_OK)
        return rc;
    bool sp = Co_pg_savepoint(s, "cutover_check", "query does not prepare", &rc, err);
    if (rc == CO_OK) {
        PGresult *res = PQprepare(s->conn, "", co_buf_str(&q.text), 0, NULL);
        if (!res || !result_ok(res))
            rc = Co_pg_fail(s, res, "query does not prepare", err);
        PQclear(res);
    }
    Co_pg_savepoint_end(s, "cutover_check", sp, rc);
    Co_pg_sql_release(&q);
    return rc;
}

/* On PostgreSQL every column is in SELECT * (generated ones included). */
static co_code pg_select_columns(co_store *st, const char *table, co_column **cols,
                                 size_t *ncols, co_error *err)
{
    return Co_pg_catalog_columns(st, table, cols, ncols, err);
}

/* A name that a query without a schema finds: pg_table_is_visible. Rows
 * have no stable integer id (ctid moves), and the catalog holds no CREATE
 * statement to replay: row_id and create_sql stay NULL. */
static const char tables_sql[] =
    "SELECT c.relname FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
    " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%'"
    " AND pg_catalog.pg_table_is_visible(c.oid)"
    " ORDER BY c.relname COLLATE \"C\"";

static co_code pg_tables(co_store *st, co_table_info **tables, size_t *ntables, co_error *err)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    PGresult *res = PQexec(s->conn, tables_sql);
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        co_code rc = Co_pg_fail(s, res, "cannot list the tables", err);
        PQclear(res);
        return rc;
    }
    int n = PQntuples(res);
    co_table_info *arr = calloc(n ? (size_t)n : 1, sizeof *arr);
    bool ok = arr != NULL;
    for (int r = 0; ok && r < n; r++)
        ok = (arr[r].name = strdup(PQgetvalue(res, r, 0))) != NULL;
    PQclear(res);
    if (!ok) {
        co_tables_free(arr, arr ? (size_t)n : 0);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *tables = arr;
    *ntables = (size_t)n;
    return CO_OK;
}

static co_code pg_defer_constraints(co_store *st, co_error *err)
{
    return pg_exec(st, "SET CONSTRAINTS ALL DEFERRED", err);
}


/* The month, in UTC as SQLite's strftime gives it, of ISO text
 * ('2026-01-31T23:30:00Z', with or without a zone), a date, a timestamp or a
 * timestamptz; NULL for text that does not start like a date (SQLite gives
 * NULL too); CO_STORE_MONTH_INVALID and the text for text that starts with a
 * date no calendar has ('2026-13-45', '2026-02-29'), which the parse would
 * refuse with an error.
 *
 * The text starts like a date when its first ten characters are four, two
 * and two digits between dashes (the LIKE and the translate, cheaper than a
 * regular expression). Then the parse (a cast, then to_char at UTC) gives
 * the month, but it costs: where the day is the 2nd to the 27th, the month
 * is the text's own first seven characters, whatever follows the date, once
 * the cast accepts the text (a time of day moves it by less than a day: 24:00
 * and leap seconds move it to the next day, a zone offset by less than 16
 * hours, the session's time zone, UTC unless PGTZ is set, by less than a
 * day). That shortcut is taken only when cutover set the zone to UTC: PGTZ
 * may name a POSIX zone whose offset is days. A date that no calendar has is
 * found before the cast, which would fail the whole query. */
static void pg_month_sql(const co_store *s, const char *expr, co_buf *out)
{
    (void)s;
    const char *tz = getenv("PGTZ");
    bool utc = !tz || !*tz;
    co_buf t = CO_BUF_INIT;
    Co_buf_printf(&t, "(%s)::text", expr);
    const char *x = co_buf_str(&t);
    Co_buf_printf(out,
                  "(CASE WHEN %s LIKE '____-__-__%%' AND translate(left(%s, 10), '0123456789', '') "
                  "= '--' THEN CASE",
                  x, x);
    if (utc)
        Co_buf_printf(out,
                      " WHEN substr(%s, 9, 2) COLLATE \"C\" BETWEEN '02' AND '27'"
                      " AND substr(%s, 6, 2) COLLATE \"C\" BETWEEN '01' AND '12' AND left(%s, 4) <> '0000'"
                      " AND %s::timestamptz IS NOT NULL THEN left(%s, 7)",
                      x, x, x, x, x);
    /* month 00 or 13 and up, day 00 or past the month's last, year 0; the
     * date ends there ('2026-06-001' is the 1st of June) */
    Co_buf_printf(out,
                  " WHEN substr(%s, 11, 1) COLLATE \"C\" NOT BETWEEN '0' AND '9' AND ("
                  "substr(%s, 6, 2) COLLATE \"C\" NOT BETWEEN '01' AND '12'"
                  " OR substr(%s, 9, 2) COLLATE \"C\" NOT BETWEEN '01' AND CASE substr(%s, 6, 2)"
                  " WHEN '02' THEN CASE WHEN left(%s, 4)::int %% 4 = 0 AND (left(%s, 4)::int %% 100 <> 0"
                  " OR left(%s, 4)::int %% 400 = 0) THEN '29' ELSE '28' END"
                  " WHEN '04' THEN '30' WHEN '06' THEN '30' WHEN '09' THEN '30' WHEN '11' THEN '30'"
                  " ELSE '31' END OR left(%s, 4) = '0000') THEN '%s' || %s",
                  x, x, x, x, x, x, x, x, CO_STORE_MONTH_INVALID, x);
    Co_buf_printf(out, " ELSE to_char(%s::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM') END END)", x);
    if (t.failed)
        out->failed = true;
    Co_buf_release(&t);
}

/* The type a column declared as decl (format_type's words) has, when it is
 * one pg_month_typed_sql reads without text: "timestamptz", "timestamp",
 * "date"; else NULL. */
static const char *time_type(const char *decl)
{
    if (strcmp(decl, "date") == 0)
        return "date";
    if (strncmp(decl, "timestamp", 9) != 0)
        return NULL;
    size_t n = strlen(decl);
    const char *with = " with time zone", *without = " without time zone";
    if (n >= strlen(without) && strcmp(decl + n - strlen(without), without) == 0)
        return "timestamp";
    if (n >= strlen(with) && strcmp(decl + n - strlen(with), with) == 0)
        return "timestamptz";
    return NULL;
}

/* pg_month_sql's month, for a column of a time type without going through
 * its text: the same answer for every value. pg_month_sql reads the value's
 * text in the session's DateStyle ISO and TimeZone back as a timestamptz, so
 * a timestamp or a date counts from the session's time zone, as the cast to
 * timestamptz does; its text starts like a date unless the value is infinite
 * or its year (in that zone) has five digits, which is what the comparison
 * with 10000-01-01 (read in that zone too) leaves out ('-infinity' passes it,
 * and to_char gives NULL for it, as for text that is not a date). */
static bool pg_month_typed_sql(const co_store *s, const char *expr, const char *decl_type,
                               co_buf *out)
{
    const char *type = time_type(decl_type);
    if (!type) {
        pg_month_sql(s, expr, out);
        return true;
    }
    Co_buf_printf(out,
                  "(CASE WHEN (%s) < '10000-01-01'::%s THEN "
                  "to_char((%s)%s AT TIME ZONE 'UTC', 'YYYY-MM') END)",
                  expr, type, expr, strcmp(type, "timestamptz") == 0 ? "" : "::timestamptz");
    return false;
}

/* n digits of p as a number; -1 when one is not a digit. */
static int digits(const char *p, int n)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        x = x * 10 + (p[i] - '0');
    }
    return x;
}

/* pg_month_sql's (and pg_month_typed_sql's) month, here, for the one form
 * whose reading is certain: YYYY-MM-DD, then optionally 'T' or a space and
 * HH:MM[:SS[.f]] (at most 6 decimals: more would round, maybe to the next
 * day), then optionally Z, +HH, +HHMM or +HH:MM (up to 14:59); the date one
 * the calendar has, hours 00-23, minutes and seconds 00-59, the year 0001 to
 * 9999 before and after the move to UTC. Without a zone, only when the
 * session's zone is UTC (session_sql: PGTZ unset at the connection), which is what the cast
 * to timestamptz reads it in. This is also how the server writes a date, a
 * timestamp and a timestamptz in DateStyle ISO (pg_cursor.c). Anything else
 * (24:00, leap seconds, zones by name or in seconds, BC, five-digit years,
 * dates no calendar has, text that is no time) is left to the server. */
static bool pg_month_here(const co_store *s, const co_value *v, char month[8])
{
    bool utc = ((const pg_store *)s)->session_utc;
    if (!v)
        return true;
    if (v->type != CO_TEXT || v->len < 10 || v->len > 40)
        return false;
    char t[41];
    memcpy(t, v->s, v->len);
    t[v->len] = '\0';
    size_t n = v->len, i = 10;
    int year = digits(t, 4), mon = digits(t + 5, 2), day = digits(t + 8, 2);
    if (year < 1 || t[4] != '-' || t[7] != '-' || mon < 1 || mon > 12 || day < 1)
        return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    int last = days[mon - 1] + (mon == 2 && leap);
    if (day > last)
        return false;
    int minutes = 0; /* of the day, local */
    if (i < n && (t[i] == 'T' || t[i] == ' ')) {
        int hh = digits(t + i + 1, 2), mm = n >= i + 6 && t[i + 3] == ':' ? digits(t + i + 4, 2)
                                                                         : -1;
        if (n < i + 6 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
            return false;
        minutes = hh * 60 + mm;
        i += 6;
        if (i < n && t[i] == ':') {
            int ss = n >= i + 3 ? digits(t + i + 1, 2) : -1;
            if (ss < 0 || ss > 59)
                return false;
            i += 3;
            if (i < n && t[i] == '.') {
                size_t f = i + 1;
                while (f < n && t[f] >= '0' && t[f] <= '9')
                    f++;
                if (f == i + 1 || f - i - 1 > 6)
                    return false;
                i = f;
            }
        }
    }
    int offset = 0; /* minutes east of UTC */
    if (i == n) {
        if (!utc)
            return false;
    } else if (t[i] == 'Z' && i + 1 == n) {
        offset = 0;
    } else if (t[i] == '+' || t[i] == '-') {
        int oh = digits(t + i + 1, 2), om = 0;
        size_t rest = n - i - 1;
        if (rest == 4)
            om = digits(t + i + 3, 2);
        else if (rest == 5 && t[i + 3] == ':')
            om = digits(t + i + 4, 2);
        else if (rest != 2)
            return false;
        if (oh < 0 || oh > 14 || om < 0 || om > 59)
            return false;
        offset = (oh * 60 + om) * (t[i] == '+' ? 1 : -1);
    } else {
        return false;
    }
    int utc_minutes = minutes - offset;
    if (utc_minutes < 0 && day == 1 && --mon == 0) {
        mon = 12;
        year--;
    } else if (utc_minutes >= 24 * 60 && day == last && ++mon == 13) {
        mon = 1;
        year++;
    }
    if (year < 1 || year > 9999)
        return false;
    snprintf(month, 8, "%04d-%02d", year, mon);
    return true;
}

/* (Through pg_exec: a SET is undone with a transaction that rolls back, so
 * inside a cursors' transaction it is committed at once.) */
static co_code pg_allow_writes(co_store *st, co_error *err)
{
    return pg_exec(st, "SET default_transaction_read_only = off", err);
}

/* ---- opening ------------------------------------------------------------------ */

static void pg_close(co_store *st)
{
    pg_store *s = pg_of(st);
    Co_pg_settle(s);
    PQfinish(s->conn);
    Co_pg_keys_close(s);
    Co_pg_catalog_forget(s);
    if (s->password) {
        memset(s->password, 0, strlen(s->password));
        free(s->password);
    }
    Co_buf_release(&s->deferred);
    free(s);
}

static const co_store_ops pg_ops = {
    .engine = "postgresql",
    .close = pg_close,
    .exec = pg_exec,
    .exec_params = pg_exec_params,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .query = Co_pg_query,
    .query_whole = Co_pg_query_whole,
    .prepare = pg_prepare,
    .stmt_exec = pg_stmt_exec,
    .stmt_close = pg_stmt_close,
    .prepare_check = pg_prepare_check,
    .query_reads = Co_pg_query_reads,
    .columns = Co_pg_catalog_columns,
    .tables = pg_tables,
    .select_columns = pg_select_columns,
    .constraints = Co_pg_catalog_constraints,
    .indexes = Co_pg_indexes,
    .loader_open = Co_pg_loader_open,
    .month_sql = pg_month_sql,
    .month_typed_sql = pg_month_typed_sql,
    .month_here = pg_month_here,
    .allow_writes = pg_allow_writes,
    .defer_constraints = pg_defer_constraints,
    .reserve_keys = Co_pg_reserve_keys,
    .reserve_keys_ahead = Co_pg_reserve_keys_ahead,
    .digest_sum_sql = Co_pg_digest_sum_sql,
    .client_side_hashes = true,
    .ddl = &co_pg_ddl_ops,
    .dialect = &co_pg_dialect_ops,
    .capture = &co_pg_capture_ops,
};

void Co_pg_ignore_notice(void *ctx, const char *message)
{
    (void)ctx;
    (void)message;
}

/* The session settings that make values read back the same on every server. */
static void session_sql(co_side side, co_buf *sql)
{
    Co_buf_adds(sql, "SET standard_conforming_strings = on; SET DateStyle = 'ISO, YMD';"
                     " SET IntervalStyle = 'postgres'; SET extra_float_digits = 3;"
                     " SET bytea_output = 'hex'; SET cursor_tuple_fraction = 1.0;");
    const char *tz = getenv("PGTZ");
    if (!tz || !*tz)
        Co_buf_adds(sql, " SET TimeZone = 'UTC';");
    if (side == CO_SIDE_SOURCE) /* the system of record: never written by accident */
        Co_buf_adds(sql, " SET default_transaction_read_only = on;");
}

co_code Co_pg_open(const char *uri, co_side side, co_store **out, co_error *err)
{
    *out = NULL;
    pg_store *s = calloc(1, sizeof *s);
    if (!s)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    s->base.ops = &pg_ops;
    s->base.side = side;
    /* The URI's own settings come first; those after it win (expand_dbname). */
    const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding", NULL};
    const char *const vals[] = {uri, "cutover", "UTF8", NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn) {
        free(s);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    PQsetNoticeProcessor(s->conn, Co_pg_ignore_notice, NULL);
    const char *pass = PQpass(s->conn);
    if (pass && *pass && !(s->password = strdup(pass))) {
        pg_close(&s->base);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_code rc = CO_OK;
    if (PQstatus(s->conn) != CONNECTION_OK) {
        co_buf safe = CO_BUF_INIT;
        Co_uri_mask(uri, &safe);
        char msg[700];
        Co_pg_one_line(msg, sizeof msg, PQerrorMessage(s->conn));
        rc = co_error_set(err, Co_store_side_code(side), "%s: cannot connect to %s: %s",
                          co_side_name(side), co_buf_str(&safe), msg);
        Co_buf_release(&safe);
        if (err) {
            snprintf(err->sqlstate, sizeof err->sqlstate, "08001");
            Co_pg_scrub(s, err->message);
        }
    } else {
        co_buf sql = CO_BUF_INIT;
        session_sql(side, &sql);
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : Co_pg_run(s, co_buf_str(&sql), "cannot set up the session", err);
        const char *tz = getenv("PGTZ");
        s->session_utc = rc == CO_OK && (!tz || !*tz);
        Co_buf_release(&sql);
    }
    if (rc == CO_OK && side == CO_SIDE_SOURCE)
        Co_pg_normalizers_setup(s);
    if (rc != CO_OK) {
        pg_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return CO_OK;
}
