/*
 * journal.c: running the journal's statements (state/journal.h). Every read
 * writes the buffered id map, reject and merge rows first, so that no caller
 * can read the journal without seeing its own adds; writes leave them
 * buffered until the transaction commits, as before.
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

co_code Co_state_read(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                      co_cursor **out, co_error *err)
{
    *out = NULL;
    co_code rc = Co_state_flush(st, err);
    return rc == CO_OK ? co_store_query(Co_state_store(st), q->sql, params, nparams, out, err) : rc;
}

co_code Co_state_read_int(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                          int64_t *value, bool *found, co_error *err)
{
    co_code rc = Co_state_flush(st, err);
    return rc == CO_OK ? co_store_query_int(Co_state_store(st), q->sql, params, nparams, value,
                                            found, err)
                       : rc;
}

co_code Co_state_read_text(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                           char *buf, size_t cap, bool *found, co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, q, params, nparams, &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    const char *text = rc == CO_OK && has_row ? Co_jstr(co_cursor_value(c, 0)) : NULL;
    if (text)
        snprintf(buf, cap, "%s", text);
    if (found)
        *found = text != NULL;
    co_cursor_close(c);
    return rc;
}

co_code Co_state_write(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                       long long *changes, co_error *err)
{
    return co_store_exec_params(Co_state_store(st), q->sql, params, nparams, changes, err);
}

const char *co_state_safe_uri(co_state *st)
{
    return st && Co_state_store(st) ? co_store_safe_uri(Co_state_store(st)) : "";
}

co_code Co_state_each(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                      co_code (*row)(void *ctx, co_cursor *c, co_error *err), void *ctx,
                      co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, q, params, nparams, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row)
        rc = row(ctx, c, err);
    co_cursor_close(c);
    return rc;
}

void Co_jrows_release(co_jrows *t)
{
    for (size_t i = 0; t->names && i < t->ncols; i++)
        free(t->names[i]);
    for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->names);
    free(t->types);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static char *cell_text(co_value v)
{
    char buf[40];
    switch (v.type) {
    case CO_NULL: return NULL;
    case CO_INT: snprintf(buf, sizeof buf, "%lld", (long long)v.i); return strdup(buf);
    case CO_REAL: snprintf(buf, sizeof buf, "%.15g", v.r); return strdup(buf);
    default: return strndup(v.s ? v.s : "", v.len);
    }
}

/* Makes room for one more row of out (cap rows now). */
static bool rows_grow(co_jrows *out, size_t *cap)
{
    if (out->nrows < *cap)
        return true;
    size_t more = *cap ? *cap * 2 : 16, width = out->ncols ? out->ncols : 1;
    char **cells = realloc(out->cells, more * width * sizeof *cells);
    if (cells)
        out->cells = cells;
    co_type *types = realloc(out->types, more * width * sizeof *types);
    if (types)
        out->types = types;
    if (!cells || !types)
        return false;
    *cap = more;
    return true;
}

co_code Co_state_rows(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                      co_jrows *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, q, params, nparams, &c, err);
    if (rc != CO_OK)
        return rc;
    out->ncols = co_cursor_ncols(c);
    out->names = calloc(out->ncols ? out->ncols : 1, sizeof *out->names);
    if (!out->names)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CO_OK && i < out->ncols; i++)
        if (!(out->names[i] = strdup(co_cursor_colname(c, i))))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    size_t cap = 0;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        if (!rows_grow(out, &cap)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        size_t base = out->nrows * out->ncols;
        for (size_t i = 0; i < out->ncols; i++) {
            co_value v = co_cursor_value(c, i);
            out->types[base + i] = v.type;
            out->cells[base + i] = cell_text(v);
            if (v.type != CO_NULL && !out->cells[base + i])
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
        }
        out->nrows++;
    }
    co_cursor_close(c);
    if (rc != CO_OK)
        Co_jrows_release(out);
    return rc;
}

co_code Co_state_rows_of(co_state *st, const co_jq *q, const char *text, const int64_t *id,
                         co_jrows *out, co_error *err)
{
    co_param p[2];
    size_t n = 0;
    if (text)
        p[n++] = (co_param){NULL, Co_jtext(text)};
    if (id)
        p[n++] = (co_param){NULL, co_int(*id)};
    return Co_state_rows(st, q, p, n, out, err);
}
