/*
 * sqlite_ddl.c: schemas on SQLite (ddl_int.h). A table is made again from
 * the statements SQLite keeps in sqlite_schema, which hold everything it
 * declares: columns, types, defaults, AUTOINCREMENT, keys, CHECKs, foreign
 * keys; then its indexes. sqlite_sequence comes with AUTOINCREMENT.
 */
#include "store/ddl_int.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>

static co_code sq_ddl_tables(co_store *s, char ***names, size_t *n, co_error *err)
{
    *names = NULL;
    *n = 0;
    co_cursor *c = NULL;
    co_code rc = co_store_query(s,
                                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name "
                                "NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                                NULL, 0, &c, err);
    size_t cap = 0;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (!CO_GROW(*names, cap, *n + 1, 16)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        if (!((*names)[*n] = strndup(v.type == CO_TEXT ? v.s : "", v.type == CO_TEXT ? v.len : 0))) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    co_cursor_close(c);
    return rc;
}

static co_code sq_table_ddl(co_store *s, const char *table, co_buf *create, co_buf *after,
                            co_read_fn ref, void *ctx, co_error *err)
{
    (void)after; /* SQLite resolves a foreign key when it is used, not when declared */
    co_param name = {NULL, co_text(table, strlen(table))};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s,
                                "SELECT sql FROM sqlite_schema WHERE tbl_name = ? COLLATE NOCASE"
                                " AND type IN ('table', 'index') AND sql IS NOT NULL"
                                " ORDER BY type = 'index', name",
                                &name, 1, &c, err);
    size_t found = 0;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (v.type != CO_TEXT)
            continue;
        Co_buf_add(create, v.s, v.len);
        Co_buf_adds(create, ";\n");
        found++;
    }
    co_cursor_close(c);
    c = NULL;
    if (rc == CO_OK && !found)
        return co_error_set(err, CO_ENOTFOUND, "%s: no table \"%s\"", co_side_name(s->side),
                            table);
    if (rc == CO_OK)
        rc = co_store_query(s, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)", &name,
                            1, &c, err);
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (v.type == CO_TEXT && ref)
            ref(ctx, v.s, NULL);
    }
    co_cursor_close(c);
    return rc == CO_OK && create->failed ? co_error_set(err, CO_ENOMEM, "out of memory") : rc;
}

const co_ddl_ops co_sqlite_ddl_ops = {
    .tables = sq_ddl_tables,
    .table_ddl = sq_table_ddl,
};
