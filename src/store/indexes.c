/*
 * indexes.c: a table's indexes as every engine reports them
 * (co_store_indexes; each engine's catalog query is beside its constraints'),
 * and what they make cheap: the distinct values of a column that an index
 * leads with, read by a skip scan (co_store_distinct_sql), one index entry
 * per value rather than every row. Verification lists a tenant column's
 * values over a whole table so, once per command (rows of no tenant).
 */
#include "store/dialect_int.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>

static void index_release(co_index *ix)
{
    for (size_t k = 0; k < ix->ncolumns; k++)
        free(ix->columns[k]);
    free(ix->columns);
    free(ix->name);
    memset(ix, 0, sizeof *ix);
}

void co_indexes_free(co_index *ix, size_t n)
{
    for (size_t i = 0; i < n; i++)
        index_release(&ix[i]);
    free(ix);
}

co_code co_store_indexes(co_store *s, const char *table, co_index **out, size_t *n,
                         co_error *err)
{
    *out = NULL;
    *n = 0;
    if (!s->ops->indexes)
        return co_error_set(err, CO_EUNSUPPORTED, "%s: %s cannot list indexes",
                            co_side_name(s->side), s->ops->engine);
    co_code rc = s->ops->indexes(s, table, out, n, err);
    if (rc != CO_OK) {
        co_indexes_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

co_code Co_index_add(co_index **arr, size_t *n, const char *name, bool unique, bool partial,
                     long pos, const char *column, bool ordered, co_error *err)
{
    if (pos <= 1 || *n == 0) {
        if (!CO_RESIZE(*arr, *n + 1))
            return co_error_set(err, CO_ENOMEM, "out of memory");
        co_index *ix = &(*arr)[(*n)++];
        memset(ix, 0, sizeof *ix);
        ix->unique = unique;
        ix->partial = partial;
        ix->ordered = true;
        if (!(ix->name = strdup(name)))
            return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_index *ix = &(*arr)[*n - 1];
    if (!CO_RESIZE(ix->columns, ix->ncolumns + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    ix->columns[ix->ncolumns] = column ? strdup(column) : NULL;
    if (column && !ix->columns[ix->ncolumns])
        return co_error_set(err, CO_ENOMEM, "out of memory");
    ix->ncolumns++;
    ix->ordered = ix->ordered && ordered && column;
    return CO_OK;
}

static bool truth(co_value v)
{
    if (v.type == CO_INT)
        return v.i != 0;
    if (v.type == CO_TEXT)
        return v.len && (v.s[0] == 't' || v.s[0] == '1');
    return false;
}

co_code Co_indexes_from_rows(co_cursor *c, co_index **out, size_t *n, co_error *err)
{
    bool has_row;
    co_code rc;
    while ((rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value name = co_cursor_value(c, 0), col = co_cursor_value(c, 5);
        co_value pos = co_cursor_value(c, 4);
        char *iname = name.type == CO_TEXT ? strndup(name.s, name.len) : strdup("");
        char *cname = col.type == CO_TEXT ? strndup(col.s, col.len) : NULL;
        if (!iname || (col.type == CO_TEXT && !cname))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        else
            rc = Co_index_add(out, n, iname, truth(co_cursor_value(c, 1)),
                              truth(co_cursor_value(c, 2)), pos.type == CO_INT ? (long)pos.i : 1,
                              cname, truth(co_cursor_value(c, 3)), err);
        free(iname);
        free(cname);
        if (rc != CO_OK)
            break;
    }
    return rc;
}

/* True when an ordered index of every row of table leads with column. */
static bool leads_an_index(co_store *s, const char *table, const char *column)
{
    const co_dialect_ops *d = s->ops->dialect;
    if (!s->ops->indexes || (d && d->recursive_queries && !d->recursive_queries(s)))
        return false;
    co_index *ix = NULL;
    size_t n = 0;
    co_error ignored;
    bool leads = false;
    if (co_store_indexes(s, table, &ix, &n, &ignored) == CO_OK)
        for (size_t i = 0; i < n && !leads; i++)
            leads = ix[i].ordered && !ix[i].partial && ix[i].ncolumns && ix[i].columns[0] &&
                    strcmp(ix[i].columns[0], column) == 0;
    co_indexes_free(ix, n);
    return leads;
}

void co_store_distinct_sql(co_store *s, const char *table, const char *column, co_buf *out,
                           bool *skip_scan)
{
    co_buf col = CO_BUF_INIT, tbl = CO_BUF_INIT;
    co_store_quote_ident(s, column, &col);
    co_store_quote_ident(s, table, &tbl);
    const char *c = co_buf_str(&col), *t = co_buf_str(&tbl);
    bool skip = leads_an_index(s, table, column);
    if (skip)
        /* The first value, then each step the next one above the last: the
         * ORDER BY ... LIMIT 1 walks the index (min() would too, but not for
         * every type: PostgreSQL has no min(uuid)). NULL sorts apart on
         * every engine: it is looked for on its own. */
        Co_buf_printf(out,
                      "WITH RECURSIVE cutover_skip(v) AS ("
                      "SELECT (SELECT %s FROM %s WHERE %s IS NOT NULL ORDER BY %s LIMIT 1)"
                      " UNION ALL SELECT (SELECT %s FROM %s WHERE %s > cutover_skip.v"
                      " ORDER BY %s LIMIT 1) FROM cutover_skip WHERE cutover_skip.v IS NOT NULL)"
                      " SELECT v FROM cutover_skip WHERE v IS NOT NULL"
                      " UNION ALL SELECT NULL FROM (SELECT 1 AS one) AS cutover_one"
                      " WHERE EXISTS (SELECT 1 FROM %s WHERE %s IS NULL)",
                      c, t, c, c, c, t, c, c, t, c);
    else
        Co_buf_printf(out, "SELECT DISTINCT %s FROM %s", c, t);
    if (col.failed || tbl.failed)
        out->failed = true;
    Co_buf_release(&col);
    Co_buf_release(&tbl);
    if (skip_scan)
        *skip_scan = skip;
}
