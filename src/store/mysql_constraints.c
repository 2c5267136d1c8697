/*
 * mysql_constraints.c: co_store_constraints on MySQL and MariaDB, from
 * information_schema: the table's PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK
 * constraints (CHECK clauses as MariaDB keeps them in CHECK_CONSTRAINTS). One
 * row per constraint column, in order.
 */
#include "store/mysql_int.h"

#include <stdlib.h>
#include <string.h>

static const char constraints_sql[] =
    "SELECT tc.CONSTRAINT_NAME,"
    " CASE tc.CONSTRAINT_TYPE WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u'"
    "  WHEN 'FOREIGN KEY' THEN 'f' ELSE 'c' END,"
    " cc.CHECK_CLAUSE, k.REFERENCED_TABLE_NAME, k.ORDINAL_POSITION, k.COLUMN_NAME,"
    " k.REFERENCED_COLUMN_NAME"
    " FROM information_schema.TABLE_CONSTRAINTS tc"
    " LEFT JOIN information_schema.KEY_COLUMN_USAGE k"
    "  ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = tc.TABLE_NAME"
    "  AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME"
    " LEFT JOIN information_schema.CHECK_CONSTRAINTS cc"
    "  ON tc.CONSTRAINT_TYPE = 'CHECK' AND cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA"
    "  AND cc.TABLE_NAME = tc.TABLE_NAME AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME"
    " WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.TABLE_NAME = ?"
    "  AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY', 'CHECK')"
    " ORDER BY 2, 1, 5";

static char *text_of(co_cursor *c, size_t i)
{
    co_value v = co_cursor_value(c, i);
    return v.type == CO_TEXT ? strndup(v.s, v.len) : NULL;
}

/* True when the cursor's row belongs to the constraint being built. */
static bool same_constraint(co_cursor *c, const co_constraint *cur, char kind)
{
    co_value name = co_cursor_value(c, 0), type = co_cursor_value(c, 1);
    char row_kind = type.type == CO_TEXT && type.len ? type.s[0] : 'c';
    return row_kind == kind && strlen(cur->name) == name.len &&
           memcmp(cur->name, name.s, name.len) == 0;
}

co_code co_my_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                          co_error *err)
{
    co_param p[] = {{NULL, co_text(table, strlen(table))}};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, constraints_sql, p, 1, &c, err);
    co_constraint cur = {0};
    char kind = 0;
    bool open = false;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        if (open && !same_constraint(c, &cur, kind)) {
            open = false;
            if ((rc = co_constraint_push(out, n, &cur, err)) != CO_OK)
                break;
        }
        if (!open) {
            char *type = text_of(c, 1);
            kind = type && *type ? type[0] : 'c';
            free(type);
            memset(&cur, 0, sizeof cur);
            cur.kind = kind == 'c'   ? CO_CONSTRAINT_CHECK
                       : kind == 'f' ? CO_CONSTRAINT_FOREIGN_KEY
                                     : CO_CONSTRAINT_UNIQUE;
            cur.primary = kind == 'p';
            cur.validated = true; /* MySQL has no NOT VALID */
            cur.name = text_of(c, 0);
            cur.check = kind == 'c' ? text_of(c, 2) : NULL;
            cur.parent = kind == 'f' ? text_of(c, 3) : NULL;
            open = true;
            if (!cur.name) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
        }
        char *col = text_of(c, 5), *pcol = text_of(c, 6);
        bool fk = cur.kind == CO_CONSTRAINT_FOREIGN_KEY;
        if (col && (!fk || pcol) && !co_constraint_add_column(&cur, col, fk ? pcol : NULL))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        free(col);
        free(pcol);
    }
    if (open && rc == CO_OK)
        rc = co_constraint_push(out, n, &cur, err);
    else
        co_constraint_release(&cur);
    co_cursor_close(c);
    return rc;
}
