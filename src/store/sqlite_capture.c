/*
 * sqlite_capture.c: change capture on a SQLite source (dialect_int.h's
 * co_capture_ops). One set of AFTER triggers per captured table serves every
 * tenant in flight: they record a change only for tenants listed in
 * cutover_tenants. Freezing adds per-tenant BEFORE triggers whose error names
 * the tenant and which check the heartbeat of the tenant's cutover_frozen
 * row: a freeze whose heartbeat lapsed refuses nothing. One writer at a time
 * makes seq the commit order, so the commit-safe mark is the largest seq.
 */
#include "store/dialect_int.h"

#include <string.h>

static const char *const ops[] = {"insert", "update", "delete"};

/* A tenant's freeze and its heartbeat: the freeze triggers refuse writes only
 * while beat + bound (seconds since 1970, by the database's clock) lies
 * ahead. cutover renews beat while it holds the tenant frozen. */
#define FROZEN_TABLE                                                                               \
    "CREATE TABLE IF NOT EXISTS cutover_frozen (tenant TEXT PRIMARY KEY, since TEXT NOT NULL,"    \
    " pid INTEGER NOT NULL, beat REAL NOT NULL, bound REAL NOT NULL);"

static void key_of(co_store *st, const co_capture_spec *t, const char *row, co_buf *out)
{
    Co_buf_adds(out, "json_array(");
    for (size_t k = 0; k < t->nkey; k++) {
        Co_buf_printf(out, "%s%s.", k ? ", " : "", row);
        co_store_quote_ident(st, t->key[k], out);
    }
    Co_buf_addc(out, ')');
}

/* INSERT INTO cutover_changes ... SELECT ... WHERE the row's tenant is
 * captured; moved: and an update's old row moved (Co_capture_moved). */
static void record_change(co_store *st, const co_capture_spec *t, const char *op, const char *row,
                          bool moved, co_buf *sql)
{
    co_buf tenant = CO_BUF_INIT;
    Co_capture_tenant_expr(t, row, &tenant);
    Co_buf_adds(sql, "INSERT INTO cutover_changes (tbl, op, tenant, key, at) SELECT ");
    Co_sql_literal(t->table, sql);
    Co_buf_printf(sql, ", '%s', %s, ", op, co_buf_str(&tenant));
    key_of(st, t, row, sql);
    Co_buf_printf(sql, ", strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now') WHERE %s IN (SELECT tenant FROM "
                       "cutover_tenants)",
                  co_buf_str(&tenant));
    if (moved) {
        Co_buf_adds(sql, " AND ");
        Co_capture_moved(st, t, "TEXT", "json_array(", ")", " IS NOT ", sql);
    }
    Co_buf_adds(sql, "; ");
    Co_buf_release(&tenant);
}

static co_code install(co_store *st, const co_capture_spec *tables, size_t n, co_error *err)
{
    co_code rc = co_store_exec(st,
                               "CREATE TABLE IF NOT EXISTS cutover_changes ("
                               " seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL,"
                               " op TEXT NOT NULL, tenant TEXT NOT NULL, key TEXT NOT NULL,"
                               " at TEXT NOT NULL);"
                               "CREATE INDEX IF NOT EXISTS cutover_changes_tenant"
                               " ON cutover_changes (tenant, seq);"
                               "CREATE TABLE IF NOT EXISTS cutover_tenants ("
                               " tenant TEXT PRIMARY KEY, since TEXT NOT NULL);"
                               FROZEN_TABLE,
                               err);
    co_buf sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        const co_capture_spec *t = &tables[i];
        for (int o = 0; o < 3 && rc == CO_OK; o++) {
            Co_buf_reset(&sql);
            Co_buf_adds(&sql, "CREATE TRIGGER IF NOT EXISTS ");
            Co_capture_object_name(st, "capture", t->table, ops[o], NULL, &sql);
            Co_buf_printf(&sql, " AFTER %s ON ", o == 0 ? "INSERT" : o == 1 ? "UPDATE" : "DELETE");
            co_store_quote_ident(st, t->table, &sql);
            Co_buf_adds(&sql, " BEGIN ");
            if (o != 0)
                record_change(st, t, ops[o], "OLD", o == 1, &sql);
            if (o != 2)
                record_change(st, t, ops[o], "NEW", false, &sql);
            Co_buf_adds(&sql, "END");
            rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec(st, co_buf_str(&sql), err);
            if (rc != CO_OK)
                co_error_where(err, "capture of table %s", t->table);
        }
    }
    Co_buf_release(&sql);
    return rc;
}

/* CREATE TRIGGER ... BEFORE <op> ON table WHEN (the row is the tenant's and
 * its freeze's heartbeat is fresh) BEGIN SELECT RAISE(ABORT, message); END */
static void freeze_trigger(co_store *st, const co_capture_spec *t, int o, const char *tenant,
                           const char *message, co_buf *sql)
{
    Co_buf_adds(sql, "CREATE TRIGGER IF NOT EXISTS ");
    Co_capture_object_name(st, "freeze", t->table, ops[o], tenant, sql);
    Co_buf_printf(sql, " BEFORE %s ON ", o == 0 ? "INSERT" : o == 1 ? "UPDATE" : "DELETE");
    co_store_quote_ident(st, t->table, sql);
    Co_buf_adds(sql, " WHEN (");
    Co_capture_tenant_expr(t, o == 0 ? "NEW" : "OLD", sql);
    Co_buf_adds(sql, " = ");
    Co_sql_literal(tenant, sql);
    if (o == 1) { /* a row moved into the frozen tenant counts too */
        Co_buf_adds(sql, " OR ");
        Co_capture_tenant_expr(t, "NEW", sql);
        Co_buf_adds(sql, " = ");
        Co_sql_literal(tenant, sql);
    }
    /* only while cutover's heartbeat is fresh: a freeze cannot outlive it */
    Co_buf_adds(sql, ") AND EXISTS (SELECT 1 FROM cutover_frozen WHERE tenant = ");
    Co_sql_literal(tenant, sql);
    Co_buf_printf(sql, " AND beat + bound > %s)", co_store_epoch_sql(st));
    Co_buf_adds(sql, " BEGIN SELECT RAISE(ABORT, ");
    Co_sql_literal(message, sql);
    Co_buf_adds(sql, "); END");
}

static co_code freeze(co_store *st, const co_capture_spec *tables, size_t n, const char *tenant,
                      bool frozen, co_error *err)
{
    co_buf sql = CO_BUF_INIT, message = CO_BUF_INIT;
    Co_buf_printf(&message, "cutover: tenant %s is frozen for its migration; writes are blocked "
                            "until it is switched or rolled back",
                  tenant);
    co_code rc = co_store_exec(st, FROZEN_TABLE, err);
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        for (int o = 0; o < 3 && rc == CO_OK; o++) {
            Co_buf_reset(&sql);
            if (frozen) {
                freeze_trigger(st, &tables[i], o, tenant, co_buf_str(&message), &sql);
            } else {
                Co_buf_adds(&sql, "DROP TRIGGER IF EXISTS ");
                Co_capture_object_name(st, "freeze", tables[i].table, ops[o], tenant, &sql);
            }
            rc = sql.failed || message.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                                              : co_store_exec(st, co_buf_str(&sql), err);
        }
    }
    Co_buf_release(&sql);
    Co_buf_release(&message);
    return rc;
}

static co_code uninstall(co_store *st, const co_capture_spec *tables, size_t n, co_error *err)
{
    co_code rc = CO_OK;
    co_buf sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        for (int o = 0; o < 3 && rc == CO_OK; o++) {
            Co_buf_reset(&sql);
            Co_buf_adds(&sql, "DROP TRIGGER IF EXISTS ");
            Co_capture_object_name(st, "capture", tables[i].table, ops[o], NULL, &sql);
            rc = co_store_exec(st, co_buf_str(&sql), err);
        }
    Co_buf_release(&sql);
    if (rc == CO_OK)
        rc = co_store_exec(st, "DROP TABLE IF EXISTS cutover_changes; DROP TABLE IF EXISTS "
                               "cutover_tenants; DROP TABLE IF EXISTS cutover_frozen",
                           err);
    return rc;
}

const co_capture_ops co_sqlite_capture_ops = {
    .install = install,
    .remove = uninstall,
    .freeze = freeze,
    .horizon_sql = "SELECT coalesce(max(seq), 0) FROM cutover_changes",
    .position = "seq",
};
