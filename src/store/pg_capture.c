/*
 * pg_capture.c: change capture and freezing on a PostgreSQL source
 * (dialect_int.h's co_capture_ops). Each captured table gets two PL/pgSQL
 * trigger functions: an AFTER row trigger that records the changes of tenants
 * listed in cutover_tenants, and a BEFORE row trigger that refuses the writes
 * of tenants listed in cutover_frozen while cutover's heartbeat there is
 * fresh. Freezing is then one row and a brief lock that waits for the writes
 * in flight, not DDL. Each change records the
 * transaction that made it (column xid), so that catch-up can tell the
 * changes that are final from those a transaction still in progress may be
 * followed by (co_store_capture_horizon).
 */
#include "store/dialect_int.h"

#include <string.h>

static const char *const pg_schema =
    "CREATE TABLE IF NOT EXISTS cutover_changes ("
    " seq bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL, tenant text NOT NULL,"
    " key text NOT NULL, at text NOT NULL,"
    " xid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint));"
    "ALTER TABLE cutover_changes ADD COLUMN IF NOT EXISTS"
    " xid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);"
    "CREATE INDEX IF NOT EXISTS cutover_changes_tenant ON cutover_changes (tenant, seq);"
    "CREATE TABLE IF NOT EXISTS cutover_tenants (tenant text PRIMARY KEY, since text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cutover_frozen (tenant text PRIMARY KEY);"
    "ALTER TABLE cutover_frozen ADD COLUMN IF NOT EXISTS since text NOT NULL DEFAULT '',"
    " ADD COLUMN IF NOT EXISTS pid integer NOT NULL DEFAULT 0,"
    " ADD COLUMN IF NOT EXISTS beat double precision NOT NULL DEFAULT 0,"
    " ADD COLUMN IF NOT EXISTS bound double precision NOT NULL DEFAULT 5;";

/* 1 when the tables above are there as they are made: then the DDL, which
 * locks each table it names even when it changes nothing, is not run. */
static const char *const pg_schema_current =
    "SELECT (to_regclass('cutover_tenants') IS NOT NULL"
    " AND to_regclass('cutover_changes_tenant') IS NOT NULL"
    " AND (SELECT count(*) FROM pg_catalog.pg_attribute WHERE NOT attisdropped"
    " AND ((attrelid = to_regclass('cutover_changes') AND attname = 'xid')"
    " OR (attrelid = to_regclass('cutover_frozen') AND attname = 'bound'))) = 2)::int";

/* co_store_capture_serialize: an advisory lock held to the transaction's
 * end, and every lock wait bounded to 200 ms. */
static co_code serialize(co_store *st, co_error *err)
{
    return co_store_exec(st,
                         "SET LOCAL lock_timeout = '200ms';"
                         " SELECT pg_advisory_xact_lock(hashtext('cutover capture'))",
                         err);
}

/* cutover_<kind>_<table>, quoted: the name of both a function and its trigger. */
static void object_name(co_store *st, const char *kind, const char *table, co_buf *out)
{
    Co_capture_object_name(st, kind, table, NULL, NULL, out);
}

static void record_change(co_store *st, const co_capture_spec *t, const char *row, co_buf *sql)
{
    co_buf tenant = CO_BUF_INIT;
    Co_capture_tenant_expr(t, row, &tenant);
    Co_buf_adds(sql, "INSERT INTO cutover_changes (tbl, op, tenant, key, at) SELECT ");
    Co_sql_literal(t->table, sql);
    Co_buf_printf(sql, ", lower(TG_OP), %s, json_build_array(", co_buf_str(&tenant));
    for (size_t k = 0; k < t->nkey; k++) {
        Co_buf_printf(sql, "%s%s.", k ? ", " : "", row);
        co_store_quote_ident(st, t->key[k], sql);
    }
    Co_buf_printf(sql, ")::text, to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                       " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') WHERE %s IN (SELECT tenant FROM "
                       "cutover_tenants); ",
                  co_buf_str(&tenant));
    Co_buf_release(&tenant);
}

static void refuse_frozen(const co_capture_spec *t, const char *row, co_buf *sql)
{
    co_buf tenant = CO_BUF_INIT;
    Co_capture_tenant_expr(t, row, &tenant);
    Co_buf_printf(sql,
                  "IF EXISTS (SELECT 1 FROM cutover_frozen WHERE tenant = %s AND beat + bound >"
                  " extract(epoch FROM clock_timestamp())) THEN RAISE EXCEPTION "
                  "'cutover: tenant %% is frozen for its migration; writes are blocked until it "
                  "is switched or rolled back', %s USING ERRCODE = 'object_not_in_prerequisite_state';"
                  " END IF; ",
                  co_buf_str(&tenant), co_buf_str(&tenant));
    Co_buf_release(&tenant);
}

/* The function and, unless it is there already, the trigger of one kind
 * ("capture" or "freeze") on one table. */
static void trigger_sql(co_store *st, const co_capture_spec *t, bool capture, bool with_trigger,
                        co_buf *sql)
{
    const char *kind = capture ? "capture" : "freeze";
    Co_buf_adds(sql, "CREATE OR REPLACE FUNCTION ");
    object_name(st, kind, t->table, sql);
    Co_buf_adds(sql, "() RETURNS trigger LANGUAGE plpgsql AS $cutover$ BEGIN IF TG_OP <> 'INSERT' ");
    if (capture) {
        /* An update records its old row only when it moved (Co_capture_moved). */
        Co_buf_adds(sql, "AND (TG_OP = 'DELETE' OR ");
        Co_capture_moved(st, t, "TEXT", "json_build_array(", ")::text", " IS DISTINCT FROM ", sql);
        Co_buf_adds(sql, ") THEN ");
        record_change(st, t, "OLD", sql);
    } else {
        Co_buf_adds(sql, "THEN ");
        refuse_frozen(t, "OLD", sql);
    }
    Co_buf_adds(sql, "END IF; IF TG_OP <> 'DELETE' THEN ");
    if (capture)
        record_change(st, t, "NEW", sql);
    else
        refuse_frozen(t, "NEW", sql);
    Co_buf_adds(sql, "END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END "
                     "$cutover$;");
    if (!with_trigger)
        return;
    Co_buf_adds(sql, " CREATE OR REPLACE TRIGGER ");
    object_name(st, kind, t->table, sql);
    Co_buf_printf(sql, " %s INSERT OR UPDATE OR DELETE ON ", capture ? "AFTER" : "BEFORE");
    co_store_quote_ident(st, t->table, sql);
    Co_buf_adds(sql, " FOR EACH ROW EXECUTE FUNCTION ");
    object_name(st, kind, t->table, sql);
    Co_buf_adds(sql, "();");
}

/* How many of the table's two triggers (capture, freeze) exist, in *n. */
static co_code count_triggers(co_store *st, const co_capture_spec *t, int64_t *n, co_error *err)
{
    co_buf rel = CO_BUF_INIT, capture = CO_BUF_INIT, freeze = CO_BUF_INIT;
    co_store_quote_ident(st, t->table, &rel);
    Co_buf_printf(&capture, "cutover_capture_%s", t->table);
    Co_buf_printf(&freeze, "cutover_freeze_%s", t->table);
    co_param params[] = {{NULL, co_text(co_buf_str(&rel), rel.len)},
                         {NULL, co_text(co_buf_str(&capture), capture.len)},
                         {NULL, co_text(co_buf_str(&freeze), freeze.len)}};
    co_code rc = rel.failed || capture.failed || freeze.failed
                     ? co_error_set(err, CO_ENOMEM, "out of memory")
                     : co_store_query_int(st,
                                          "SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid ="
                                          " to_regclass(?) AND tgname IN (?, ?)",
                                          params, 3, n, NULL, err);
    Co_buf_release(&rel);
    Co_buf_release(&capture);
    Co_buf_release(&freeze);
    return rc;
}

static co_code install(co_store *st, const co_capture_spec *tables, size_t n, co_error *err)
{
    int64_t current = 0;
    co_code rc = co_store_query_int(st, pg_schema_current, NULL, 0, &current, NULL, err);
    if (rc == CO_OK && !current)
        rc = co_store_exec(st, pg_schema, err);
    co_buf sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        /* The functions are replaced (the project may have changed them); a
         * trigger, which locks its table against writes, is made only once. */
        int64_t triggers = 0;
        rc = count_triggers(st, &tables[i], &triggers, err);
        if (rc != CO_OK)
            break;
        Co_buf_reset(&sql);
        trigger_sql(st, &tables[i], true, triggers < 2, &sql);
        trigger_sql(st, &tables[i], false, triggers < 2, &sql);
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_exec(st, co_buf_str(&sql), err);
        if (rc != CO_OK)
            co_error_where(err, "capture of table %s", tables[i].table);
    }
    Co_buf_release(&sql);
    return rc;
}

/* The tenant's freeze is its row of cutover_frozen, which the triggers read;
 * a thaw is that row's removal (both by the caller). */
static co_code freeze(co_store *st, const co_capture_spec *tables, size_t n, const char *tenant,
                      bool frozen, co_error *err)
{
    (void)tenant;
    if (!frozen || n == 0)
        return CO_OK;
    /* A barrier: the lock waits for the writes in flight to commit, and the
     * writes after it see the tenant frozen. It lasts until our commit. */
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "LOCK TABLE ");
    for (size_t i = 0; i < n; i++) {
        Co_buf_adds(&sql, i ? ", " : "");
        co_store_quote_ident(st, tables[i].table, &sql);
    }
    Co_buf_adds(&sql, " IN SHARE ROW EXCLUSIVE MODE");
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec(st, co_buf_str(&sql), err);
    Co_buf_release(&sql);
    return rc;
}

static co_code uninstall(co_store *st, const co_capture_spec *tables, size_t n, co_error *err)
{
    co_code rc = CO_OK;
    co_buf sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        Co_buf_reset(&sql);
        for (int capture = 0; capture < 2; capture++) {
            const char *kind = capture ? "capture" : "freeze";
            Co_buf_adds(&sql, "DROP TRIGGER IF EXISTS ");
            object_name(st, kind, tables[i].table, &sql);
            Co_buf_adds(&sql, " ON ");
            co_store_quote_ident(st, tables[i].table, &sql);
            Co_buf_adds(&sql, "; DROP FUNCTION IF EXISTS ");
            object_name(st, kind, tables[i].table, &sql);
            Co_buf_adds(&sql, "(); ");
        }
        rc = co_store_exec(st, co_buf_str(&sql), err);
    }
    Co_buf_release(&sql);
    if (rc == CO_OK)
        rc = co_store_exec(st, "DROP TABLE IF EXISTS cutover_changes, cutover_tenants, cutover_frozen",
                           err);
    return rc;
}

const co_capture_ops co_pg_capture_ops = {
    .install = install,
    .remove = uninstall,
    .freeze = freeze,
    .serialize = serialize,
    .horizon_sql = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1",
    .position = "xid",
};
