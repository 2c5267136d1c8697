/*
 * pg_ddl.c: schemas on PostgreSQL (ddl_int.h), generated from the catalog:
 * columns with format_type, their defaults, identity and generated
 * expressions (a column filled by a sequence it owns becomes serial again,
 * with a sequence of its own); constraints with pg_get_constraintdef (primary
 * and unique keys, CHECKs and exclusions inside CREATE TABLE, foreign keys
 * after every table exists, NOT VALID and DEFERRABLE kept); the other
 * indexes with pg_get_indexdef. The user's own types that the columns use
 * (enums, domains, a domain's enum) are created first, each only where it
 * does not exist yet.
 */
#include "store/ddl_int.h"
#include "store/pg_int.h"

#include <stdlib.h>
#include <string.h>

/* Runs sql with the table (a regclass text) as $1; NULL after filling err. */
static PGresult *catalog(pg_store *s, const char *sql, const char *table, const char *doing,
                         co_error *err)
{
    Co_pg_settle(s);
    co_buf ref = CO_BUF_INIT;
    if (table)
        Co_pg_table_ref(table, &ref);
    if (ref.failed) {
        Co_buf_release(&ref);
        co_error_set(err, CO_ENOMEM, "out of memory");
        return NULL;
    }
    const char *values[1] = {co_buf_str(&ref)};
    Oid types[1] = {25}; /* text */
    PGresult *res = PQexecParams(s->conn, sql, table ? 1 : 0, types, values, NULL, NULL, 0);
    Co_buf_release(&ref);
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        Co_pg_fail(s, res, doing, err);
        PQclear(res);
        return NULL;
    }
    return res;
}

static co_code pg_ddl_tables(co_store *st, char ***names, size_t *n, co_error *err)
{
    *names = NULL;
    *n = 0;
    PGresult *res = catalog(pg_of(st),
                            "SELECT c.relname FROM pg_catalog.pg_class c"
                            " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
                            " AND pg_catalog.pg_table_is_visible(c.oid)"
                            " AND c.relnamespace <> 'pg_catalog'::regnamespace"
                            " AND c.relnamespace <> 'information_schema'::regnamespace"
                            " ORDER BY c.relname",
                            NULL, "cannot list the tables", err);
    if (!res)
        return Co_store_side_code(st->side);
    int rows = PQntuples(res);
    *names = calloc(rows > 0 ? (size_t)rows : 1, sizeof **names);
    co_code rc = *names ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
    for (int r = 0; rc == CO_OK && r < rows; r++) {
        if (!((*names)[r] = strdup(PQgetvalue(res, r, 0))))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        else
            (*n)++;
    }
    PQclear(res);
    return rc;
}

static const char columns_sql[] =
    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
    " pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,"
    " t.typname, a.attidentity = '' AND a.attgenerated = '' AND"
    " pg_catalog.pg_get_serial_sequence($1, a.attname) IS NOT NULL"
    " FROM pg_catalog.pg_attribute a"
    " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attnum";

static const char constraints_sql[] =
    "SELECT c.conname, c.contype, pg_catalog.pg_get_constraintdef(c.oid, true),"
    " (SELECT r.relname FROM pg_catalog.pg_class r WHERE r.oid = c.confrelid)"
    " FROM pg_catalog.pg_constraint c"
    " WHERE c.conrelid = pg_catalog.to_regclass($1) AND c.contype IN ('p', 'u', 'c', 'x', 'f')"
    " ORDER BY c.contype = 'f', c.contype, c.conname";

static const char indexes_sql[] =
    "SELECT pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i"
    " WHERE i.indrelid = pg_catalog.to_regclass($1) AND NOT EXISTS"
    " (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid"
    " AND c.conrelid = i.indrelid)"
    " ORDER BY i.indexrelid";

/* The enums and domains a table's columns use (and the enum a domain is
 * over), enums first: kind ('e' or 'd'), the name as format_type writes it
 * (schema-qualified when not on the search path), and what follows AS: an
 * enum's labels in order, or a domain's base type, default, NOT NULL and
 * named CHECKs. */
static const char types_sql[] =
    "WITH used AS (SELECT DISTINCT t.oid, t.typtype, t.typbasetype"
    " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    " WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
    " AND t.typtype IN ('e', 'd')),"
    " wanted AS (SELECT oid FROM used UNION SELECT b.oid FROM used u"
    " JOIN pg_catalog.pg_type b ON b.oid = u.typbasetype WHERE b.typtype = 'e')"
    " SELECT t.typtype, pg_catalog.format_type(t.oid, NULL),"
    " CASE t.typtype WHEN 'e' THEN (SELECT pg_catalog.string_agg("
    "pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)"
    " FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)"
    " ELSE pg_catalog.format_type(t.typbasetype, t.typtypmod)"
    " || coalesce(' DEFAULT ' || t.typdefault, '')"
    " || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END"
    " || coalesce((SELECT pg_catalog.string_agg(' CONSTRAINT ' || pg_catalog.quote_ident(c.conname)"
    " || ' ' || pg_catalog.pg_get_constraintdef(c.oid), '' ORDER BY c.conname)"
    " FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid), '') END"
    " FROM wanted w JOIN pg_catalog.pg_type t ON t.oid = w.oid"
    " ORDER BY t.typtype = 'd', 2";

/* Appends to create the statements that make the user's types a table's
 * columns use; each is skipped where the type exists already (another
 * table's statements made it, or the database has it). */
static co_code table_types(pg_store *s, const char *table, co_buf *create, co_error *err)
{
    PGresult *res = catalog(s, types_sql, table, "cannot read a table's column types", err);
    if (!res)
        return Co_store_side_code(s->base.side);
    for (int r = 0; r < PQntuples(res); r++) {
        bool is_enum = PQgetvalue(res, r, 0)[0] == 'e';
        Co_buf_printf(create,
                      "DO $cutover$ BEGIN CREATE %s %s AS %s%s%s; EXCEPTION WHEN "
                      "duplicate_object THEN NULL; END $cutover$;\n",
                      is_enum ? "TYPE" : "DOMAIN", PQgetvalue(res, r, 1),
                      is_enum ? "ENUM (" : "", PQgetvalue(res, r, 2), is_enum ? ")" : "");
    }
    PQclear(res);
    return create->failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}

/* "integer" with a sequence of its own -> serial, and so on. */
static const char *serial_type(const char *typname)
{
    if (strcmp(typname, "int2") == 0)
        return "smallserial";
    if (strcmp(typname, "int4") == 0)
        return "serial";
    if (strcmp(typname, "int8") == 0)
        return "bigserial";
    return NULL;
}

static co_code pg_table_ddl(co_store *st, const char *table, co_buf *create, co_buf *after,
                            co_read_fn ref, void *ctx, co_error *err)
{
    pg_store *s = pg_of(st);
    PGresult *cols = catalog(s, columns_sql, table, "cannot read a table's columns", err);
    if (!cols)
        return Co_store_side_code(st->side);
    if (PQntuples(cols) == 0) {
        PQclear(cols);
        return co_error_set(err, CO_ENOTFOUND, "%s: no table \"%s\"", co_side_name(st->side),
                            table);
    }
    PGresult *cons = catalog(s, constraints_sql, table, "cannot read a table's constraints", err);
    PGresult *idx = cons ? catalog(s, indexes_sql, table, "cannot read a table's indexes", err)
                         : NULL;
    if (!cons || !idx) {
        PQclear(cols);
        PQclear(cons);
        return Co_store_side_code(st->side);
    }
    if (table_types(s, table, create, err) != CO_OK) {
        PQclear(cols);
        PQclear(cons);
        PQclear(idx);
        return Co_store_side_code(st->side);
    }
    Co_buf_adds(create, "CREATE TABLE ");
    co_store_quote_ident(st, table, create);
    Co_buf_adds(create, " (");
    for (int r = 0; r < PQntuples(cols); r++) {
        const char *type = PQgetvalue(cols, r, 1), *def = PQgetvalue(cols, r, 3);
        const char *identity = PQgetvalue(cols, r, 4), *generated = PQgetvalue(cols, r, 5);
        const char *serial = PQgetvalue(cols, r, 7)[0] == 't' ? serial_type(PQgetvalue(cols, r, 6))
                                                               : NULL;
        Co_buf_adds(create, r ? ",\n  " : "\n  ");
        co_store_quote_ident(st, PQgetvalue(cols, r, 0), create);
        Co_buf_printf(create, " %s", serial ? serial : type);
        if (identity[0] == 'a' || identity[0] == 'd')
            Co_buf_printf(create, " GENERATED %s AS IDENTITY",
                          identity[0] == 'a' ? "ALWAYS" : "BY DEFAULT");
        else if (generated[0] == 's' && !PQgetisnull(cols, r, 3))
            Co_buf_printf(create, " GENERATED ALWAYS AS (%s) STORED", def);
        else if (!serial && !PQgetisnull(cols, r, 3))
            Co_buf_printf(create, " DEFAULT %s", def);
        if (PQgetvalue(cols, r, 2)[0] == 't')
            Co_buf_adds(create, " NOT NULL");
    }
    for (int r = 0; r < PQntuples(cons); r++) {
        co_buf *into = create;
        if (PQgetvalue(cons, r, 1)[0] == 'f') {
            into = after;
            Co_buf_adds(after, "ALTER TABLE ");
            co_store_quote_ident(st, table, after);
            Co_buf_adds(after, " ADD");
            if (ref && !PQgetisnull(cons, r, 3))
                ref(ctx, PQgetvalue(cons, r, 3), NULL);
        } else {
            Co_buf_adds(create, ",\n ");
        }
        Co_buf_adds(into, " CONSTRAINT ");
        co_store_quote_ident(st, PQgetvalue(cons, r, 0), into);
        Co_buf_printf(into, " %s%s", PQgetvalue(cons, r, 2), into == after ? ";\n" : "");
    }
    Co_buf_adds(create, "\n);\n");
    for (int r = 0; r < PQntuples(idx); r++)
        Co_buf_printf(create, "%s;\n", PQgetvalue(idx, r, 0));
    PQclear(cols);
    PQclear(cons);
    PQclear(idx);
    return create->failed || after->failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}

const co_ddl_ops co_pg_ddl_ops = {
    .tables = pg_ddl_tables,
    .table_ddl = pg_table_ddl,
};
