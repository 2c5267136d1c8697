/*
 * pg_cursor.c: queries on PostgreSQL, streamed through a server-side cursor
 * (DECLARE ... NO SCROLL CURSOR WITH HOLD, then FETCH in chunks of at most
 * 10,000 rows and about 8 MB), so that memory does not grow with the result.
 *
 * A cursor needs a transaction: inside the caller's it uses that one;
 * otherwise it begins one of its own, which ends when the last cursor closes
 * (and which co_store_begin adopts as the caller's). Cursors are declared WITH
 * HOLD, so a commit while one is open does not end it (PostgreSQL keeps its
 * remaining rows); a rollback of the transaction that declared it does.
 * Queries that lock rows (FOR UPDATE/SHARE) cannot be held and end with their
 * transaction. Statements that are not queries (INSERT ... RETURNING, SHOW)
 * run at once and their rows are held in memory.
 *
 * Values, from PostgreSQL's text output:
 *   int2, int4, int8, oid            -> CO_INT
 *   float4, float8                   -> CO_REAL (NaN, Infinity included)
 *   numeric without a decimal point  -> CO_INT when it fits in 64 bits
 *   numeric with one                 -> CO_REAL when it has at most 15
 *                                       significant digits (a double holds
 *                                       them exactly); otherwise CO_TEXT with
 *                                       its exact digits (so is an integer
 *                                       beyond 64 bits); NaN, Infinity ->
 *                                       CO_REAL
 *   bool                             -> CO_INT 1 / 0
 *   bytea                            -> CO_BLOB (hex or escape format decoded)
 *   NULL                             -> CO_NULL
 *   everything else                  -> CO_TEXT as the server writes it: text,
 *       varchar, char (padded), json, jsonb, uuid, arrays ({a,b}); date
 *       2026-01-31, timestamp 2026-01-31 23:30:00, timestamptz
 *       2026-01-31 23:30:00+00 (ISO, in the session's time zone: UTC unless
 *       PGTZ is set), interval, time.
 */
#include "store/pg_int.h"
#include "util/text.h"
#include "util/free.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_FIRST 64 /* until the first chunk tells how wide rows are */
#define FETCH_MAX 10000
#define FETCH_BYTES (8 * 1024 * 1024)

enum kind { K_TEXT, K_INT, K_REAL, K_NUMERIC, K_BOOL, K_BYTEA };

struct pg_cursor {
    co_cursor base;
    pg_cursor *next_open;  /* the store's list of open cursors */
    char name[32];
    PGresult *res;         /* the rows fetched last */
    int row, nrows;
    long fetch;            /* rows the next FETCH asks for */
    bool declared;         /* a server cursor; else res holds every row */
    bool exhausted;        /* the last FETCH returned fewer rows than asked */
    bool held;             /* declared in a transaction that committed */
    bool locking;          /* FOR UPDATE/SHARE: not held */
    bool lost;             /* its transaction rolled back under it */
    size_t ncols;
    char **names;
    unsigned char *kinds;
    co_buf *decoded;       /* per column: bytea bytes of the current row */
    int *decoded_row;      /* the row decoded[i] holds, -1 when none */
};

static pg_store *store_of(pg_cursor *c) { return pg_of(c->base.store); }

void Co_pg_cursors_txn_ended(pg_store *s, bool committed)
{
    if (!committed) /* what was read inside it may have been undone */
        Co_pg_catalog_forget(s);
    for (pg_cursor *c = s->cursors; c; c = c->next_open) {
        if (!c->declared || c->held)
            continue;
        if (committed && !c->locking)
            c->held = true;
        else
            c->lost = true;
    }
}

static unsigned char kind_of(Oid type)
{
    switch (type) {
    case 20: case 21: case 23: case 26: return K_INT; /* int8 int2 int4 oid */
    case 700: case 701: return K_REAL;                 /* float4 float8 */
    case 1700: return K_NUMERIC;
    case 16: return K_BOOL;
    case 17: return K_BYTEA;
    default: return K_TEXT;
    }
}

/* Takes column names and kinds from the first result. */
static co_code describe(pg_cursor *c, co_error *err)
{
    size_t n = (size_t)PQnfields(c->res), m = n ? n : 1;
    c->names = calloc(m, sizeof *c->names);
    c->kinds = calloc(m, 1);
    c->decoded = calloc(m, sizeof *c->decoded);
    c->decoded_row = calloc(m, sizeof *c->decoded_row);
    if (!c->names || !c->kinds || !c->decoded || !c->decoded_row)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    c->ncols = n;
    for (size_t i = 0; i < n; i++) {
        c->kinds[i] = kind_of(PQftype(c->res, (int)i));
        c->decoded_row[i] = -1;
        if (!(c->names[i] = strdup(PQfname(c->res, (int)i))))
            return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    return CO_OK;
}

/* FETCHes the next chunk, sized from the bytes per row of the last one. */
static co_code fetch(pg_cursor *c, co_error *err)
{
    pg_store *s = store_of(c);
    if (c->res) {
        size_t bytes = 0;
        int n = PQntuples(c->res), f = PQnfields(c->res);
        for (int r = 0; r < n; r++)
            for (int i = 0; i < f; i++)
                bytes += (size_t)PQgetlength(c->res, r, i) + 8;
        if (n > 0) {
            size_t per_row = bytes / (size_t)n + 1;
            long next = (long)(FETCH_BYTES / per_row);
            c->fetch = next < 1 ? 1 : next > FETCH_MAX ? FETCH_MAX : next;
        }
        PQclear(c->res);
        c->res = NULL;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "FETCH %ld FROM %s", c->fetch, c->name);
    Co_pg_settle(s);
    c->res = PQexec(s->conn, sql);
    c->nrows = 0;
    c->row = -1;
    if (!c->res || PQresultStatus(c->res) != PGRES_TUPLES_OK)
        return Co_pg_fail(s, c->res, "query failed", err);
    c->nrows = PQntuples(c->res);
    c->exhausted = c->nrows < c->fetch;
    for (size_t i = 0; i < c->ncols; i++)
        c->decoded_row[i] = -1;
    return CO_OK;
}

static co_code cursor_next(co_cursor *cc, bool *has_row, co_error *err)
{
    pg_cursor *c = (pg_cursor *)cc;
    *has_row = false;
    if (c->lost)
        return co_error_set(err, Co_store_side_code(cc->store->side),
                            "%s: the query ended with its transaction, which rolled back "
                            "before its rows were all read",
                            co_side_name(cc->store->side));
    if (c->res && c->row + 1 < c->nrows) {
        c->row++;
        *has_row = true;
        return CO_OK;
    }
    if (!c->declared || c->exhausted)
        return CO_OK;
    co_code rc = fetch(c, err);
    if (rc == CO_OK && c->nrows > 0) {
        c->row = 0;
        *has_row = true;
    }
    return rc;
}

static size_t cursor_ncols(const co_cursor *cc) { return ((const pg_cursor *)cc)->ncols; }

static const char *cursor_colname(const co_cursor *cc, size_t i)
{
    const pg_cursor *c = (const pg_cursor *)cc;
    return i < c->ncols ? c->names[i] : NULL;
}

/* Decodes bytea's text output: hex (\x4142) or the older escape format. */
static void decode_bytea(const char *s, size_t len, co_buf *out)
{
    Co_buf_reset(out);
    if (len >= 2 && s[0] == '\\' && s[1] == 'x') {
        for (size_t i = 2; i + 1 < len; i += 2) {
            int hi = Co_hexval(s[i]), lo = Co_hexval(s[i + 1]);
            if (hi >= 0 && lo >= 0)
                Co_buf_addc(out, (char)(hi * 16 + lo));
        }
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == '\\') {
            Co_buf_addc(out, '\\');
            i++;
        } else if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3') {
            Co_buf_addc(out, (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
                                    (s[i + 3] - '0')));
            i += 3;
        } else {
            Co_buf_addc(out, s[i]);
        }
    }
}

/* A numeric's text as the value that keeps it exactly (see the top). */
static co_value numeric_value(const char *s, size_t len)
{
    if (strcmp(s, "NaN") == 0)
        return co_real(NAN);
    if (strcmp(s, "Infinity") == 0)
        return co_real(INFINITY);
    if (strcmp(s, "-Infinity") == 0)
        return co_real(-INFINITY);
    return Co_store_decimal_value(s, len);
}

static co_value cursor_value(co_cursor *cc, size_t i)
{
    pg_cursor *c = (pg_cursor *)cc;
    int r = c->row, col = (int)i;
    if (!c->res || r < 0 || r >= c->nrows || i >= c->ncols || PQgetisnull(c->res, r, col))
        return co_null();
    const char *s = PQgetvalue(c->res, r, col);
    size_t len = (size_t)PQgetlength(c->res, r, col);
    switch (c->kinds[i]) {
    case K_INT:
        return co_int(strtoll(s, NULL, 10));
    case K_REAL:
        return co_real(strtod(s, NULL));
    case K_NUMERIC:
        return numeric_value(s, len);
    case K_BOOL:
        return co_int(s[0] == 't');
    case K_BYTEA: {
        if (c->decoded_row[i] != r) {
            decode_bytea(s, len, &c->decoded[i]);
            c->decoded_row[i] = r;
        }
        co_value v = {0};
        v.type = CO_BLOB;
        v.s = c->decoded[i].data ? c->decoded[i].data : "";
        v.len = c->decoded[i].len;
        return v;
    }
    default:
        return co_text(s, len);
    }
}

static void unlink_cursor(pg_cursor *c)
{
    pg_store *s = store_of(c);
    for (pg_cursor **p = &s->cursors; *p; p = &(*p)->next_open)
        if (*p == c) {
            *p = c->next_open;
            break;
        }
}

/* Ends the transaction begun for cursors once no open cursor needs it. */
static void end_cursor_txn_if_unused(pg_store *s)
{
    if (!s->cursor_txn || s->user_txn)
        return;
    for (pg_cursor *c = s->cursors; c; c = c->next_open)
        if (c->declared && !c->held && !c->lost)
            return;
    bool failed = PQtransactionStatus(s->conn) != PQTRANS_INTRANS;
    Co_pg_run_quietly(s, failed ? "ROLLBACK" : "COMMIT");
    s->cursor_txn = false;
    Co_pg_cursors_txn_ended(s, !failed);
}

static void cursor_close(co_cursor *cc)
{
    pg_cursor *c = (pg_cursor *)cc;
    pg_store *s = store_of(c);
    PQclear(c->res);
    if (c->declared && !c->lost && PQtransactionStatus(s->conn) != PQTRANS_INERROR &&
        PQstatus(s->conn) == CONNECTION_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "CLOSE %s", c->name);
        Co_pg_run_quietly(s, sql);
    }
    unlink_cursor(c);
    if (c->declared)
        end_cursor_txn_if_unused(s);
    for (size_t i = 0; i < c->ncols; i++) {
        free(c->names[i]);
        Co_buf_release(&c->decoded[i]);
    }
    CO_FREE(c->names, c->kinds, c->decoded, c->decoded_row, c);
}

Oid Co_pg_cursor_type(const co_cursor *cc, size_t i)
{
    const pg_cursor *c = (const pg_cursor *)cc;
    return c->res && i < c->ncols ? PQftype(c->res, (int)i) : 0;
}

static const co_cursor_ops pg_cursor_ops = {
    .next = cursor_next,
    .ncols = cursor_ncols,
    .colname = cursor_colname,
    .value = cursor_value,
    .close = cursor_close,
};

/* DECLAREs the cursor for q, beginning a transaction when none is open. */
static co_code declare(pg_store *s, pg_cursor *c, const pg_sql *q, const pg_bind *b,
                       co_error *err)
{
    bool began = false;
    if (PQtransactionStatus(s->conn) == PQTRANS_IDLE) {
        if (Co_pg_run(s, "BEGIN", "cannot begin a transaction for a query", err) != CO_OK)
            return Co_store_side_code(s->base.side);
        s->cursor_txn = true;
        began = true;
    }
    /* Other cursors live in this transaction, not the caller's: a failing
     * DECLARE must not end it. */
    bool guard = !began && s->cursor_txn && !s->user_txn &&
                 PQtransactionStatus(s->conn) == PQTRANS_INTRANS;
    if (guard && Co_pg_run(s, "SAVEPOINT cutover_query", "query failed", err) != CO_OK)
        return Co_store_side_code(s->base.side);
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "DECLARE %s NO SCROLL CURSOR %s FOR ", c->name,
                  q->locking ? "WITHOUT HOLD" : "WITH HOLD");
    Co_buf_adds(&sql, co_buf_str(&q->text));
    co_code rc = CO_OK;
    if (sql.failed) {
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    } else {
        Co_pg_settle(s);
        PGresult *res = PQexecParams(s->conn, co_buf_str(&sql), (int)q->nparams, b->types,
                                     b->values, b->lengths, b->formats, 0);
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = Co_pg_fail(s, res, "query failed", err);
        PQclear(res);
    }
    Co_buf_release(&sql);
    if (guard) {
        if (rc != CO_OK)
            Co_pg_run_quietly(s, "ROLLBACK TO SAVEPOINT cutover_query");
        Co_pg_run_quietly(s, "RELEASE SAVEPOINT cutover_query");
    }
    if (rc != CO_OK && began) {
        Co_pg_run_quietly(s, "ROLLBACK");
        s->cursor_txn = false;
    }
    return rc;
}

/* Runs q at once (not a query a cursor can hold); its rows stay in memory. */
static co_code run_whole(pg_store *s, pg_cursor *c, const pg_sql *q, const pg_bind *b,
                         co_error *err)
{
    Co_pg_settle(s);
    c->res = PQexecParams(s->conn, co_buf_str(&q->text), (int)q->nparams, b->types, b->values,
                          b->lengths, b->formats, 0);
    ExecStatusType status = c->res ? PQresultStatus(c->res) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
        return Co_pg_fail(s, c->res, "query failed", err);
    c->nrows = PQntuples(c->res);
    return CO_OK;
}

/* A cursor's plan is made when it is declared (or the statement run whole):
 * nested loops are off for that moment only. */
co_code Co_pg_query_whole(co_store *st, const char *sql, const co_param *params, size_t n,
                          co_cursor **out, co_error *err)
{
    pg_store *s = pg_of(st);
    Co_pg_run_quietly(s, "SET enable_nestloop = off");
    co_code rc = Co_pg_query(st, sql, params, n, out, err);
    Co_pg_run_quietly(s, "RESET enable_nestloop");
    return rc;
}

co_code Co_pg_query(co_store *st, const char *sql, const co_param *params, size_t n,
                    co_cursor **out, co_error *err)
{
    pg_store *s = pg_of(st);
    bool positional = false;
    for (size_t i = 0; i < n; i++)
        positional = positional || !params[i].name;
    pg_sql q;
    pg_bind b = {0};
    co_code rc = Co_pg_sql_translate(s, sql, positional, &q, err);
    if (rc != CO_OK)
        return rc;
    rc = Co_pg_bind(s, &q, params, n, true, &b, err);
    pg_cursor *c = rc == CO_OK ? calloc(1, sizeof *c) : NULL;
    if (rc == CO_OK && !c)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK) {
        c->base.ops = &pg_cursor_ops;
        c->base.store = st;
        c->row = -1;
        c->fetch = FETCH_FIRST;
        c->locking = q.locking;
        snprintf(c->name, sizeof c->name, "cutover_c%lu", ++s->seq);
        if (q.cursorable) {
            rc = declare(s, c, &q, &b, err);
            if (rc == CO_OK) {
                c->declared = true;
                c->next_open = s->cursors;
                s->cursors = c;
                rc = fetch(c, err);
            }
        } else {
            rc = run_whole(s, c, &q, &b, err);
        }
        if (rc == CO_OK)
            rc = describe(c, err);
        if (rc != CO_OK) {
            cursor_close(&c->base);
            c = NULL;
        }
    }
    Co_pg_bind_release(&b);
    Co_pg_sql_release(&q);
    if (rc == CO_OK)
        *out = &c->base;
    return rc;
}
