/*
 * mysql_constraints.c: co_store_constraints on MySQL and MariaDB, from
 * information_schema: the table's PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK
 * constraints (CHECK clauses as MariaDB keeps them in CHECK_CONSTRAINTS). One
 * row per constraint column, in order, read by Co_constraints_from_rows.
 * Also co_store_indexes, from information_schema.STATISTICS: a column is
 * ordered in a B-tree index that holds it whole (not a prefix of it); an
 * expression (MySQL 8's functional indexes) has no column name.
 */
#include "store/mysql_int.h"

#include <stdlib.h>
#include <string.h>

static const char constraints_sql[] =
    "SELECT tc.CONSTRAINT_NAME,"
    " CASE tc.CONSTRAINT_TYPE WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u'"
    "  WHEN 'FOREIGN KEY' THEN 'f' ELSE 'c' END,"
    " 1, cc.CHECK_CLAUSE, k.REFERENCED_TABLE_NAME, k.ORDINAL_POSITION, k.COLUMN_NAME,"
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
    " ORDER BY 2, 1, 6";

co_code Co_my_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                          co_error *err)
{
    co_param p[] = {{NULL, co_text(table, strlen(table))}};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, constraints_sql, p, 1, &c, err);
    if (rc == CO_OK)
        rc = Co_constraints_from_rows(c, out, n, err);
    co_cursor_close(c);
    return rc;
}

static const char indexes_sql[] =
    "SELECT INDEX_NAME, NON_UNIQUE = 0, 0, INDEX_TYPE = 'BTREE' AND SUB_PART IS NULL,"
    " SEQ_IN_INDEX, COLUMN_NAME"
    " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
    " ORDER BY INDEX_NAME, SEQ_IN_INDEX";

co_code Co_my_indexes(co_store *s, const char *table, co_index **out, size_t *n, co_error *err)
{
    co_param p[] = {{NULL, co_text(table, strlen(table))}};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, indexes_sql, p, 1, &c, err);
    if (rc == CO_OK)
        rc = Co_indexes_from_rows(c, out, n, err);
    co_cursor_close(c);
    return rc;
}
