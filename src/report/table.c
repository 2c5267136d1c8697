/*
 * table.c: a query's rows kept as typed text cells (report_int.h). The
 * report reads a few hundred rows of the journal at most, so keeping them
 * whole is simpler than streaming, and the same cells serve HTML and JSON.
 */
#include "state/journal.h"
#include "report/report_int.h"
#include "util/json.h"
#include "util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rp_table_release(rp_table *t)
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

co_code rp_query(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                 rp_table *out, co_error *err)
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
        if (out->nrows == cap) {
            cap = cap ? cap * 2 : 16;
            size_t ncells = cap * (out->ncols ? out->ncols : 1);
            if (!CO_RESIZE(out->cells, ncells) || !CO_RESIZE(out->types, ncells)) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
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
        rp_table_release(out);
    return rc;
}

const char *rp_cell(const rp_table *t, size_t row, size_t col)
{
    if (row >= t->nrows || col >= t->ncols)
        return NULL;
    return t->cells[row * t->ncols + col];
}

int64_t rp_int(const rp_table *t, size_t row, size_t col)
{
    const char *s = rp_cell(t, row, col);
    return s ? strtoll(s, NULL, 10) : 0;
}

double rp_real(const rp_table *t, size_t row, size_t col)
{
    const char *s = rp_cell(t, row, col);
    return s ? strtod(s, NULL) : 0;
}

size_t rp_col(const rp_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return (size_t)-1;
}

void rp_row_json(co_buf *b, const rp_table *t, size_t row)
{
    Co_buf_addc(b, '{');
    for (size_t i = 0; i < t->ncols; i++) {
        if (i)
            Co_buf_addc(b, ',');
        Co_json_str(b, t->names[i]);
        Co_buf_addc(b, ':');
        const char *s = rp_cell(t, row, i);
        co_type type = t->types[row * t->ncols + i];
        if (!s)
            Co_buf_adds(b, "null");
        else if (type == CO_INT || (type == CO_REAL && strspn(s, "-+.0123456789eE") == strlen(s)))
            Co_buf_adds(b, s);
        else
            Co_json_str(b, s);
    }
    Co_buf_addc(b, '}');
}

void rp_table_json(co_buf *b, const rp_table *t)
{
    Co_buf_addc(b, '[');
    for (size_t r = 0; r < t->nrows; r++) {
        if (r)
            Co_buf_addc(b, ',');
        rp_row_json(b, t, r);
    }
    Co_buf_addc(b, ']');
}
