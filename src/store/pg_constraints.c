/*
 * pg_constraints.c: co_store_constraints on PostgreSQL, from the catalog:
 * pg_constraint's primary keys, unique constraints, CHECKs (their expression
 * as pg_get_expr writes it) and foreign keys, NOT VALID and DEFERRABLE ones
 * included; and unique indexes that back no constraint and have neither
 * expressions nor a predicate. One row per constraint column, in order.
 * Also co_store_indexes: every valid index, a column ordered where the
 * index is a B-tree with the column's own collation and its type's default
 * operator class (the ordering that <, > and ORDER BY use).
 */
#include "store/pg_int.h"

#include <stdlib.h>
#include <string.h>

static const char constraints_sql[] =
    "SELECT c.conname, c.contype::text, c.convalidated,"
    " CASE WHEN c.contype = 'c' THEN pg_catalog.pg_get_expr(c.conbin, c.conrelid) END,"
    " CASE WHEN c.contype = 'f' THEN (CASE WHEN pg_catalog.pg_table_is_visible(r.oid) THEN ''"
    "  ELSE n.nspname || '.' END) || r.relname END,"
    " k.ord, a.attname::text, pa.attname::text"
    " FROM pg_catalog.pg_constraint c"
    " LEFT JOIN pg_catalog.pg_class r ON r.oid = c.confrelid"
    " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
    " LEFT JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord)"
    "  ON true"
    " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
    " LEFT JOIN pg_catalog.pg_attribute pa ON pa.attrelid = c.confrelid"
    "  AND pa.attnum = k.fattnum"
    " WHERE c.conrelid = pg_catalog.to_regclass(?) AND c.contype IN ('p', 'u', 'c', 'f')"
    " UNION ALL"
    " SELECT i.relname::text, 'u', true, NULL, NULL, k.ord, a.attname::text, NULL"
    " FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid"
    " CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum"
    " WHERE x.indrelid = pg_catalog.to_regclass(?) AND x.indisunique"
    "  AND x.indexprs IS NULL AND x.indpred IS NULL AND k.ord <= x.indnkeyatts"
    "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint o WHERE o.conindid = x.indexrelid"
    "   AND o.conrelid = x.indrelid)"
    " ORDER BY 1, 6";

co_code Co_pg_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                          co_error *err)
{
    co_buf ref = CO_BUF_INIT;
    Co_pg_table_ref(table, &ref);
    if (ref.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_param p[] = {{NULL, co_text(co_buf_str(&ref), ref.len)},
                    {NULL, co_text(co_buf_str(&ref), ref.len)}};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, constraints_sql, p, 2, &c, err);
    if (rc == CO_OK)
        rc = Co_constraints_from_rows(c, out, n, err);
    co_cursor_close(c);
    Co_buf_release(&ref);
    return rc;
}

static const char indexes_sql[] =
    "SELECT i.relname::text, x.indisunique, x.indpred IS NOT NULL,"
    " am.amname = 'btree' AND k.coll = a.attcollation AND coalesce(oc.opcdefault, false),"
    " k.ord, a.attname::text"
    " FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid"
    " JOIN pg_catalog.pg_am am ON am.oid = i.relam"
    " CROSS JOIN LATERAL unnest(x.indkey::int2[], x.indcollation::oid[], x.indclass::oid[])"
    "  WITH ORDINALITY AS k(attnum, coll, opclass, ord)"
    " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum"
    "  AND k.attnum > 0"
    " LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opclass"
    " WHERE x.indrelid = pg_catalog.to_regclass(?) AND x.indisvalid AND k.ord <= x.indnkeyatts"
    " ORDER BY 1, 5";

co_code Co_pg_indexes(co_store *s, const char *table, co_index **out, size_t *n, co_error *err)
{
    co_buf ref = CO_BUF_INIT;
    Co_pg_table_ref(table, &ref);
    if (ref.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_param p[] = {{NULL, co_text(co_buf_str(&ref), ref.len)}};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, indexes_sql, p, 1, &c, err);
    if (rc == CO_OK)
        rc = Co_indexes_from_rows(c, out, n, err);
    co_cursor_close(c);
    Co_buf_release(&ref);
    return rc;
}
