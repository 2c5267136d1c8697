/*
 * mysql_cursor.c: queries on MySQL/MariaDB and the cursors that read their
 * rows. A query's rows stream off the connection one at a time
 * (mysql_use_result), so memory does not grow with the result. While they
 * stream the connection can run nothing else: a command on the same store
 * first settles the cursor, reading the rest of its rows into memory (then,
 * and only then, memory grows with what is left of the result).
 *
 * Values: by the column's type, as mysql_types.c reads them.
 */
#include "store/mysql_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct my_cursor {
    co_cursor base;
    MYSQL_RES *res;      /* streaming; NULL once settled or done */
    size_t ncols;
    char **names;
    co_my_kind *kinds;
    co_buf *scratch;     /* per column: a converted value's bytes (bit, spatial) */
    /* the current row */
    char **vals;
    unsigned long *lens;
    /* settled: the remaining rows, each value as a length (-1: NULL) and bytes + NUL */
    co_buf rest;
    size_t rest_at;
    bool settled;
    bool done;
    char **row_store;    /* settled: the current row's values */
    bool failed;         /* reading the rest failed: next() reports it */
    co_error rest_err;
};

static void release_res(my_cursor *c)
{
    my_store *s = my_of(c->base.store);
    if (c->res) {
        mysql_free_result(c->res); /* reads what is left off the connection */
        c->res = NULL;
    }
    if (s->streaming == c)
        s->streaming = NULL;
}

static void append_row(co_buf *b, MYSQL_ROW row, const unsigned long *lens, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        long long len = row[i] ? (long long)lens[i] : -1;
        Co_buf_add(b, &len, sizeof len);
        if (row[i])
            Co_buf_add(b, row[i], lens[i]);
        Co_buf_addc(b, '\0');
    }
}

/* Points vals at the settled row starting at *at and moves *at past it. */
static void read_settled(my_cursor *c, size_t *at, char **vals, unsigned long *lens)
{
    const char *d = c->rest.data;
    for (size_t i = 0; i < c->ncols; i++) {
        long long len;
        memcpy(&len, d + *at, sizeof len);
        *at += sizeof len;
        vals[i] = len < 0 ? NULL : (char *)d + *at;
        lens[i] = len < 0 ? 0 : (unsigned long)len;
        *at += (len < 0 ? 0 : (size_t)len) + 1;
    }
}

static void settle_cursor(my_store *s);

void Co_my_settle(my_store *s)
{
    settle_cursor(s);
    /* A connection lost outside a transaction is opened again before the
     * next command (its error, if the server cannot be reached, is the
     * command's). */
    co_error ignored;
    (void)Co_my_revive(s, &ignored);
}

static void settle_cursor(my_store *s)
{
    my_cursor *c = s->streaming;
    if (!c)
        return;
    s->streaming = NULL;
    /* The current row's bytes belong to the result: it goes first, and
     * stays the current row. */
    bool had_row = c->vals != NULL && !c->done;
    co_buf *b = &c->rest;
    if (had_row)
        append_row(b, c->vals, c->lens, c->ncols);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(c->res)))
        append_row(b, row, mysql_fetch_lengths(c->res), c->ncols);
    if (mysql_errno(s->conn)) {
        c->failed = true;
        Co_my_fail(s, "reading a query's rows failed", &c->rest_err);
    }
    mysql_free_result(c->res);
    c->res = NULL;
    c->settled = true;
    c->vals = NULL;
    c->rest_at = 0;
    if (!c->failed && !c->row_store)
        c->row_store = calloc(c->ncols ? c->ncols : 1, sizeof *c->row_store);
    if (!c->failed && (b->failed || !c->row_store)) {
        c->failed = true;
        co_error_set(&c->rest_err, CO_ENOMEM, "out of memory");
    }
    if (had_row && !c->failed) {
        read_settled(c, &c->rest_at, c->row_store, c->lens);
        c->vals = c->row_store;
    }
}

static co_code cursor_next(co_cursor *cc, bool *has_row, co_error *err)
{
    my_cursor *c = (my_cursor *)cc;
    my_store *s = my_of(cc->store);
    *has_row = false;
    if (c->done)
        return CO_OK;
    if (c->settled) {
        if (c->failed) {
            if (err)
                *err = c->rest_err;
            return c->rest_err.code;
        }
        size_t at = c->rest_at;
        if (at >= c->rest.len) {
            c->done = true;
            c->vals = NULL;
            return CO_OK;
        }
        read_settled(c, &at, c->row_store, c->lens);
        c->rest_at = at;
        c->vals = c->row_store;
        *has_row = true;
        return CO_OK;
    }
    MYSQL_ROW row = mysql_fetch_row(c->res);
    if (!row) {
        unsigned int no = mysql_errno(s->conn);
        c->done = true;
        c->vals = NULL;
        co_code rc = no ? Co_my_fail(s, "reading a query's rows failed", err) : CO_OK;
        release_res(c);
        return rc;
    }
    unsigned long *lens = mysql_fetch_lengths(c->res);
    memcpy(c->lens, lens, c->ncols * sizeof *lens);
    c->vals = row;
    *has_row = true;
    return CO_OK;
}

static size_t cursor_ncols(const co_cursor *cc) { return ((const my_cursor *)cc)->ncols; }

static const char *cursor_colname(const co_cursor *cc, size_t i)
{
    const my_cursor *c = (const my_cursor *)cc;
    return i < c->ncols ? c->names[i] : NULL;
}

static co_value cursor_value(co_cursor *cc, size_t i)
{
    my_cursor *c = (my_cursor *)cc;
    if (!c->vals || i >= c->ncols || !c->vals[i])
        return co_null();
    return Co_my_value(c->kinds[i], c->vals[i], c->lens[i], &c->scratch[i]);
}

static void cursor_close(co_cursor *cc)
{
    my_cursor *c = (my_cursor *)cc;
    release_res(c);
    for (size_t i = 0; i < c->ncols; i++)
        free(c->names[i]);
    free(c->names);
    free(c->kinds);
    for (size_t i = 0; c->scratch && i < c->ncols; i++)
        Co_buf_release(&c->scratch[i]);
    free(c->scratch);
    free(c->lens);
    free(c->row_store);
    Co_buf_release(&c->rest);
    free(c);
}

static const co_cursor_ops my_cursor_ops = {
    .next = cursor_next,
    .ncols = cursor_ncols,
    .colname = cursor_colname,
    .value = cursor_value,
    .close = cursor_close,
};

co_code Co_my_query(co_store *st, const char *sql, const co_param *params, size_t n,
                    co_cursor **out, co_error *err)
{
    my_store *s = my_of(st);
    Co_my_settle(s);
    co_code revived = Co_my_revive(s, err);
    if (revived != CO_OK)
        return revived;
    bool positional = false;
    for (size_t i = 0; i < n; i++)
        positional |= params[i].name == NULL;
    co_buf q = CO_BUF_INIT;
    co_code rc = Co_my_expand(s, sql, params, n, positional, &q, err);
    if (rc != CO_OK) {
        Co_buf_release(&q);
        return rc;
    }
    int failed = mysql_real_query(s->conn, q.data, (unsigned long)q.len);
    Co_buf_release(&q);
    if (failed)
        return Co_my_fail(s, "query failed", err);
    my_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    c->base.ops = &my_cursor_ops;
    c->base.store = st;
    co_error_clear(&c->rest_err);
    c->res = mysql_use_result(s->conn);
    if (!c->res) {
        if (mysql_field_count(s->conn) != 0) {
            free(c);
            return Co_my_fail(s, "query failed", err);
        }
        c->done = true; /* a statement without rows */
        *out = &c->base;
        return CO_OK;
    }
    c->ncols = mysql_num_fields(c->res);
    MYSQL_FIELD *fields = mysql_fetch_fields(c->res);
    c->names = calloc(c->ncols ? c->ncols : 1, sizeof *c->names);
    c->kinds = calloc(c->ncols ? c->ncols : 1, sizeof *c->kinds);
    c->lens = calloc(c->ncols ? c->ncols : 1, sizeof *c->lens);
    c->scratch = calloc(c->ncols ? c->ncols : 1, sizeof *c->scratch);
    bool ok = c->names && c->kinds && c->lens && c->scratch;
    for (size_t i = 0; ok && i < c->ncols; i++) {
        ok = (c->names[i] = strdup(fields[i].name)) != NULL;
        c->kinds[i] = Co_my_kind_of(&fields[i]);
    }
    s->streaming = c;
    if (!ok) {
        cursor_close(&c->base);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *out = &c->base;
    return CO_OK;
}
