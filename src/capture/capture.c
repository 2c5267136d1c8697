/*
 * capture.c: change capture and freezing (capture.h), and their SQLite side.
 * One set of triggers per captured table serves every tenant in flight: they
 * record a change only for tenants listed in cutover_tenants. Freezing adds
 * per-tenant BEFORE triggers whose error names the tenant, and a row of
 * cutover_frozen whose heartbeat they check: a freeze whose heartbeat lapsed
 * refuses nothing. PostgreSQL sources get the same tables and PL/pgSQL
 * triggers from capture_pg.c.
 */
#include "capture/capture_int.h"
#include "util/buf.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const ops[] = {"insert", "update", "delete"};

/* A tenant's freeze and its heartbeat: the freeze triggers refuse writes only
 * while beat + bound (seconds since 1970, by the database's clock) lies
 * ahead. cutover renews beat while it holds the tenant frozen. */
#define CO_SQLITE_FROZEN_TABLE                                                                     \
    "CREATE TABLE IF NOT EXISTS cutover_frozen (tenant TEXT PRIMARY KEY, since TEXT NOT NULL,"    \
    " pid INTEGER NOT NULL, beat REAL NOT NULL, bound REAL NOT NULL);"
#define SQLITE_EPOCH "((julianday('now') - 2440587.5) * 86400.0)"
#define PG_EPOCH "extract(epoch FROM clock_timestamp())"
/* A switched tenant's freeze: it holds until a rollback or finalize. */
#define SEALED_BOUND "1e12"

static bool is_pg(co_store *st) { return strcmp(co_store_engine(st), "postgresql") == 0; }

static co_code need_supported(co_store *st, co_error *err)
{
    if (strcmp(co_store_engine(st), "sqlite") != 0 && !is_pg(st))
        return co_error_set(err, CO_EUNSUPPORTED, "%s: change capture on %s is not supported",
                            co_side_name(co_store_side(st)), co_store_engine(st));
    return CO_OK;
}

void co_capture_tenant_expr(const co_capture_table *t, const char *row, co_buf *out)
{
    co_buf_adds(out, "CAST((");
    for (const char *p = t->tenant; *p;) {
        if (strncmp(p, "{row}", 5) == 0) {
            co_buf_adds(out, row);
            p += 5;
        } else {
            co_buf_addc(out, *p++);
        }
    }
    co_buf_adds(out, ") AS TEXT)");
}

static void key_of(co_store *st, const co_capture_table *t, const char *row, co_buf *out)
{
    co_buf_adds(out, "json_array(");
    for (size_t k = 0; k < t->nkey; k++) {
        co_buf_printf(out, "%s%s.", k ? ", " : "", row);
        co_store_quote_ident(st, t->key[k], out);
    }
    co_buf_addc(out, ')');
}

void co_sql_literal(const char *s, co_buf *out)
{
    co_buf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            co_buf_addc(out, '\'');
        co_buf_addc(out, *s);
    }
    co_buf_addc(out, '\'');
}

/* A trigger name: cutover_<kind>_<table>_<op>[_<tenant>], quoted. */
static void trigger_name(co_store *st, const char *kind, const char *table, const char *op,
                         const char *tenant, co_buf *out)
{
    co_buf name = CO_BUF_INIT;
    co_buf_printf(&name, "cutover_%s_%s_%s", kind, table, op);
    if (tenant)
        co_buf_printf(&name, "_%s", tenant);
    co_store_quote_ident(st, co_buf_str(&name), out);
    co_buf_release(&name);
}

/* INSERT INTO cutover_changes ... SELECT ... WHERE the row's tenant is captured. */
static void record_change(co_store *st, const co_capture_table *t, const char *op, const char *row,
                          co_buf *sql)
{
    co_buf tenant = CO_BUF_INIT;
    co_capture_tenant_expr(t, row, &tenant);
    co_buf_adds(sql, "INSERT INTO cutover_changes (tbl, op, tenant, key, at) SELECT ");
    co_sql_literal(t->table, sql);
    co_buf_printf(sql, ", '%s', %s, ", op, co_buf_str(&tenant));
    key_of(st, t, row, sql);
    co_buf_printf(sql, ", strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now') WHERE %s IN (SELECT tenant FROM "
                       "cutover_tenants); ",
                  co_buf_str(&tenant));
    co_buf_release(&tenant);
}

static co_code install(co_store *st, const co_project *p, co_error *err)
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
                               CO_SQLITE_FROZEN_TABLE,
                               err);
    co_buf sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < p->ncapture; i++) {
        const co_capture_table *t = &p->capture[i];
        for (int o = 0; o < 3 && rc == CO_OK; o++) {
            co_buf_reset(&sql);
            co_buf_adds(&sql, "CREATE TRIGGER IF NOT EXISTS ");
            trigger_name(st, "capture", t->table, ops[o], NULL, &sql);
            co_buf_printf(&sql, " AFTER %s ON ", o == 0 ? "INSERT" : o == 1 ? "UPDATE" : "DELETE");
            co_store_quote_ident(st, t->table, &sql);
            co_buf_adds(&sql, " BEGIN ");
            if (o != 0)
                record_change(st, t, ops[o], "OLD", &sql);
            if (o != 2)
                record_change(st, t, ops[o], "NEW", &sql);
            co_buf_adds(&sql, "END");
            rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec(st, co_buf_str(&sql), err);
            if (rc != CO_OK)
                co_error_where(err, "capture of table %s", t->table);
        }
    }
    co_buf_release(&sql);
    return rc;
}

/* On PostgreSQL, a start or stop whose bounded wait for a lock gave up
 * (co_capture_pg_serialize) is tried again after a pause, for a minute or so. */
static bool try_again(co_store *st, int attempt, const co_error *e)
{
    if (!is_pg(st) || strcmp(e->sqlstate, "55P03") != 0 || attempt >= 200)
        return false;
    struct timespec pause = {0, 50000000L};
    nanosleep(&pause, NULL);
    return true;
}

static co_code start_once(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_code rc = co_store_begin(st, err);
    if (rc != CO_OK)
        return rc;
    if (is_pg(st))
        rc = co_capture_pg_serialize(st, err);
    if (rc == CO_OK)
        rc = is_pg(st) ? co_capture_pg_install(st, p, err) : install(st, p, err);
    char now[32];
    co_clock_iso(co_clock_now(), now, sizeof now);
    co_param params[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_text(now, strlen(now))}};
    if (rc == CO_OK)
        rc = co_store_exec_params(st, "INSERT INTO cutover_tenants VALUES (?, ?) ON CONFLICT DO NOTHING", params,
                                  2, NULL, err);
    if (rc == CO_OK)
        rc = co_store_commit(st, err);
    else
        co_store_rollback(st);
    return rc;
}

typedef co_code (*capture_step)(co_store *st, const co_project *p, const char *tenant,
                                co_error *err);

/* once, and again while try_again says so. */
static co_code with_retries(capture_step once, co_store *st, const co_project *p,
                            const char *tenant, co_error *err)
{
    co_error e;
    co_code rc;
    for (int attempt = 0;; attempt++) {
        if (err)
            e = *err;
        else
            co_error_clear(&e);
        rc = once(st, p, tenant, &e);
        if (rc == CO_OK || !try_again(st, attempt, &e))
            break;
    }
    if (rc != CO_OK && err)
        *err = e;
    return rc;
}

co_code co_capture_start(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_code rc = need_supported(st, err);
    if (rc == CO_OK && p->ncapture == 0)
        rc = co_error_set(err, CO_EPROJECT, "the project file lists no tables to capture");
    return rc == CO_OK ? with_retries(start_once, st, p, tenant, err) : rc;
}

/* The freeze row: its since, this process, a fresh heartbeat, the bound. */
static co_code freeze_row(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    char now[32];
    co_clock_iso(co_clock_now(), now, sizeof now);
    co_param params[] = {{NULL, co_text(tenant, strlen(tenant))},
                         {NULL, co_text(now, strlen(now))},
                         {NULL, co_int((int64_t)getpid())},
                         {NULL, co_int(p->freeze_heartbeat_seconds > 0 ? p->freeze_heartbeat_seconds : 5)}};
    return co_store_exec_params(
        st,
        is_pg(st) ? "INSERT INTO cutover_frozen (tenant, since, pid, beat, bound) VALUES (?, ?, ?, "
                    PG_EPOCH ", ?) ON CONFLICT (tenant) DO UPDATE SET since = excluded.since,"
                    " pid = excluded.pid, beat = excluded.beat, bound = excluded.bound"
                  : "INSERT INTO cutover_frozen (tenant, since, pid, beat, bound) VALUES (?, ?, ?, "
                    SQLITE_EPOCH ", ?) ON CONFLICT (tenant) DO UPDATE SET since = excluded.since,"
                    " pid = excluded.pid, beat = excluded.beat, bound = excluded.bound",
        params, 4, NULL, err);
}

static co_code freeze_triggers(co_store *st, const co_project *p, const char *tenant, bool create,
                               co_error *err)
{
    co_code rc = need_supported(st, err);
    if (rc == CO_OK)
        rc = co_store_begin(st, err);
    if (rc == CO_OK && is_pg(st)) {
        rc = co_capture_pg_freeze(st, p, tenant, create, err);
        if (rc == CO_OK && create)
            rc = freeze_row(st, p, tenant, err);
        if (rc == CO_OK)
            return co_store_commit(st, err);
        co_store_rollback(st);
        return rc;
    }
    co_buf sql = CO_BUF_INIT, message = CO_BUF_INIT;
    co_buf_printf(&message, "cutover: tenant %s is frozen for its migration; writes are blocked "
                            "until it is switched or rolled back",
                  tenant);
    if (rc == CO_OK)
        rc = co_store_exec(st, CO_SQLITE_FROZEN_TABLE, err);
    co_param key = {NULL, co_text(tenant, strlen(tenant))};
    if (rc == CO_OK)
        rc = create ? freeze_row(st, p, tenant, err)
                    : co_store_exec_params(st, "DELETE FROM cutover_frozen WHERE tenant = ?", &key, 1,
                                           NULL, err);
    for (size_t i = 0; rc == CO_OK && i < p->ncapture; i++) {
        const co_capture_table *t = &p->capture[i];
        for (int o = 0; o < 3 && rc == CO_OK; o++) {
            co_buf_reset(&sql);
            if (!create) {
                co_buf_adds(&sql, "DROP TRIGGER IF EXISTS ");
                trigger_name(st, "freeze", t->table, ops[o], tenant, &sql);
            } else {
                co_buf_adds(&sql, "CREATE TRIGGER IF NOT EXISTS ");
                trigger_name(st, "freeze", t->table, ops[o], tenant, &sql);
                co_buf_printf(&sql, " BEFORE %s ON ", o == 0 ? "INSERT" : o == 1 ? "UPDATE" : "DELETE");
                co_store_quote_ident(st, t->table, &sql);
                co_buf_adds(&sql, " WHEN (");
                co_capture_tenant_expr(t, o == 0 ? "NEW" : "OLD", &sql);
                co_buf_adds(&sql, " = ");
                co_sql_literal(tenant, &sql);
                if (o == 1) { /* a row moved into the frozen tenant counts too */
                    co_buf_adds(&sql, " OR ");
                    co_capture_tenant_expr(t, "NEW", &sql);
                    co_buf_adds(&sql, " = ");
                    co_sql_literal(tenant, &sql);
                }
                /* only while cutover's heartbeat is fresh: a freeze cannot outlive it */
                co_buf_adds(&sql, ") AND EXISTS (SELECT 1 FROM cutover_frozen WHERE tenant = ");
                co_sql_literal(tenant, &sql);
                co_buf_adds(&sql, " AND beat + bound > " SQLITE_EPOCH ")");
                co_buf_adds(&sql, " BEGIN SELECT RAISE(ABORT, ");
                co_sql_literal(co_buf_str(&message), &sql);
                co_buf_adds(&sql, "); END");
            }
            rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec(st, co_buf_str(&sql), err);
        }
    }
    co_buf_release(&sql);
    co_buf_release(&message);
    if (rc == CO_OK)
        rc = co_store_commit(st, err);
    else
        co_store_rollback(st);
    return rc;
}

co_code co_capture_seal(co_store *st, const char *tenant, bool *sealed, co_error *err)
{
    co_param params[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int((int64_t)getpid())}};
    long long changed = 0;
    co_code rc = co_store_exec_params(
        st,
        is_pg(st) ? "UPDATE cutover_frozen SET beat = " PG_EPOCH ", bound = " SEALED_BOUND
                    " WHERE tenant = ? AND pid = ? AND beat + bound > " PG_EPOCH
                  : "UPDATE cutover_frozen SET beat = " SQLITE_EPOCH ", bound = " SEALED_BOUND
                    " WHERE tenant = ? AND pid = ? AND beat + bound > " SQLITE_EPOCH,
        params, 2, &changed, err);
    *sealed = rc == CO_OK && changed == 1;
    return rc;
}

co_code co_capture_heartbeat(co_store *st, const char *tenant, bool *fresh, co_error *err)
{
    co_param params[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int((int64_t)getpid())}};
    long long changed = 0;
    co_code rc = co_store_exec_params(
        st,
        is_pg(st) ? "UPDATE cutover_frozen SET beat = " PG_EPOCH
                    " WHERE tenant = ? AND pid = ? AND beat + bound > " PG_EPOCH
                  : "UPDATE cutover_frozen SET beat = " SQLITE_EPOCH
                    " WHERE tenant = ? AND pid = ? AND beat + bound > " SQLITE_EPOCH,
        params, 2, &changed, err);
    *fresh = rc == CO_OK && changed == 1;
    return rc;
}

co_code co_capture_freeze(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    return freeze_triggers(st, p, tenant, true, err);
}

co_code co_capture_unfreeze(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    return freeze_triggers(st, p, tenant, false, err);
}

static co_code table_exists(co_store *st, const char *name, bool *exists, co_error *err)
{
    co_param p = {NULL, co_text(name, strlen(name))};
    co_cursor *c = NULL;
    co_code rc = co_store_query(st,
                                is_pg(st) ? "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname ="
                                            " current_schema() AND tablename = ?"
                                          : "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
                                &p, 1, &c, err);
    *exists = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, exists, err);
    co_cursor_close(c);
    return rc;
}

/* The SQLite triggers and tables; the caller holds the transaction. */
static co_code uninstall(co_store *st, const co_project *p, co_error *err)
{
    co_code rc = CO_OK;
    co_buf sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < p->ncapture; i++)
        for (int o = 0; o < 3 && rc == CO_OK; o++) {
            co_buf_reset(&sql);
            co_buf_adds(&sql, "DROP TRIGGER IF EXISTS ");
            trigger_name(st, "capture", p->capture[i].table, ops[o], NULL, &sql);
            rc = co_store_exec(st, co_buf_str(&sql), err);
        }
    co_buf_release(&sql);
    if (rc == CO_OK)
        rc = co_store_exec(st, "DROP TABLE IF EXISTS cutover_changes; DROP TABLE IF EXISTS "
                               "cutover_tenants; DROP TABLE IF EXISTS cutover_frozen",
                           err);
    return rc;
}

/* Forgets the tenant's changes; the last tenant out removes everything
 * cutover added. */
static co_code stop_once(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_code rc = co_store_begin(st, err);
    if (rc == CO_OK && is_pg(st))
        rc = co_capture_pg_serialize(st, err);
    co_param key = {NULL, co_text(tenant, strlen(tenant))};
    if (rc == CO_OK)
        rc = co_store_exec_params(st, "DELETE FROM cutover_tenants WHERE tenant = ?", &key, 1, NULL,
                                  err);
    if (rc == CO_OK)
        rc = co_store_exec_params(st, "DELETE FROM cutover_changes WHERE tenant = ?", &key, 1, NULL,
                                  err);
    co_cursor *c = NULL;
    bool others = false;
    if (rc == CO_OK)
        rc = co_store_query(st, "SELECT 1 FROM cutover_tenants LIMIT 1", NULL, 0, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &others, err);
    co_cursor_close(c);
    if (rc == CO_OK && !others)
        rc = is_pg(st) ? co_capture_pg_uninstall(st, p, err) : uninstall(st, p, err);
    if (rc == CO_OK)
        rc = co_store_commit(st, err);
    else
        co_store_rollback(st);
    return rc;
}

co_code co_capture_stop(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_code rc = need_supported(st, err);
    bool exists = false;
    if (rc == CO_OK)
        rc = table_exists(st, "cutover_tenants", &exists, err);
    if (rc != CO_OK || !exists)
        return rc;
    rc = co_capture_unfreeze(st, p, tenant, err);
    return rc == CO_OK ? with_retries(stop_once, st, p, tenant, err) : rc;
}

void co_changes_free(co_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].table);
        free(c[i].op);
        free(c[i].key);
    }
    free(c);
}

static char *text_of(co_value v) { return v.type == CO_TEXT ? strndup(v.s, v.len) : strdup(""); }

co_code co_capture_horizon(co_store *st, int64_t *horizon, co_error *err)
{
    *horizon = 0;
    return co_store_query_int(st,
                              is_pg(st) ? "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1"
                                        : "SELECT coalesce(max(seq), 0) FROM cutover_changes",
                              NULL, 0, horizon, NULL, err);
}

co_code co_capture_changes(co_store *st, const char *tenant, int64_t after, int64_t upto,
                           int64_t after_seq, size_t max, co_change **out, size_t *n,
                           co_error *err)
{
    *out = NULL;
    *n = 0;
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(after)},
                    {NULL, co_int(upto)}, {NULL, co_int(after_seq)}, {NULL, co_int((int64_t)max)}};
    co_cursor *c = NULL;
    co_code rc = co_store_query(st,
                                is_pg(st) ? "SELECT seq, tbl, op, key, xid FROM cutover_changes"
                                            " WHERE tenant = ? AND xid > ? AND xid <= ? AND seq > ?"
                                            " ORDER BY seq LIMIT ?"
                                          : "SELECT seq, tbl, op, key, seq FROM cutover_changes"
                                            " WHERE tenant = ? AND seq > ? AND seq <= ? AND seq > ?"
                                            " ORDER BY seq LIMIT ?",
                                p, 5, &c, err);
    co_change *arr = calloc(max ? max : 1, sizeof *arr);
    if (rc == CO_OK && !arr)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row && *n < max) {
        co_change *ch = &arr[(*n)++];
        ch->seq = co_cursor_value(c, 0).i;
        ch->table = text_of(co_cursor_value(c, 1));
        ch->op = text_of(co_cursor_value(c, 2));
        ch->key = text_of(co_cursor_value(c, 3));
        ch->pos = co_cursor_value(c, 4).i;
        if (!ch->table || !ch->op || !ch->key)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    if (rc != CO_OK) {
        co_changes_free(arr, *n);
        *n = 0;
        return rc;
    }
    *out = arr;
    return CO_OK;
}

co_code co_capture_backlog(co_store *st, const char *tenant, int64_t after, int64_t *count,
                           co_error *err)
{
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(after)}};
    *count = 0;
    return co_store_query_int(st,
                              is_pg(st) ? "SELECT count(*) FROM cutover_changes WHERE tenant = ? AND xid > ?"
                                        : "SELECT count(*) FROM cutover_changes WHERE tenant = ? AND seq > ?",
                              p, 2, count, NULL, err);
}

co_code co_capture_is_frozen(co_store *st, const char *tenant, bool *frozen, co_error *err)
{
    co_code rc = table_exists(st, "cutover_frozen", frozen, err);
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    if (rc == CO_OK && *frozen)
        rc = co_store_query(st,
                            is_pg(st) ? "SELECT 1 FROM cutover_frozen WHERE tenant = ? AND beat + bound > " PG_EPOCH
                                      : "SELECT 1 FROM cutover_frozen WHERE tenant = ? AND beat + bound > " SQLITE_EPOCH,
                            &p, 1, &c, err);
    if (rc == CO_OK && c)
        rc = co_cursor_next(c, frozen, err);
    co_cursor_close(c);
    return rc;
}
