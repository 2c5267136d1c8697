/*
 * table.c: a view's rows of the journal (state/journal.h: co_jrows) read by
 * column name, and as JSON (report_int.h). The same cells serve HTML and
 * JSON.
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
    Co_jrows_release(t);
}

/* The text of cell (row, col) by position, NULL when out of bounds. */
static const char *cell_at(const rp_table *t, size_t row, size_t col)
{
    if (row >= t->nrows || col >= t->ncols)
        return NULL;
    return t->cells[row * t->ncols + col];
}

const char *rp_cell_named(const rp_table *t, size_t row, const char *col)
{
    return cell_at(t, row, rp_col(t, col));
}

int64_t rp_int_named(const rp_table *t, size_t row, const char *col)
{
    const char *s = rp_cell_named(t, row, col);
    return s ? strtoll(s, NULL, 10) : 0;
}

double rp_real_named(const rp_table *t, size_t row, const char *col)
{
    const char *s = rp_cell_named(t, row, col);
    return s ? strtod(s, NULL) : 0;
}

size_t rp_col(const rp_table *t, const char *name)
{
    for (size_t i = 0; name && i < t->ncols; i++)
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
        const char *s = cell_at(t, row, i);
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
