/*
 * mysql_capture.c: change capture and freezing on a MySQL or MariaDB source
 * (dialect_int.h's co_capture_ops). The change log lives in a database of
 * cutover's own, cutover_capture_<the source database>: cutover_changes,
 * cutover_tenants and cutover_frozen (InnoDB). Each captured table gets six triggers beside the
 * application's own (several per event and timing: MariaDB >= 10.2.3, MySQL
 * >= 5.7.2): AFTER INSERT/UPDATE/DELETE cutover_capture_TABLE_OP record the
 * changes of the tenants in flight, in the writing transaction (an update
 * once, as its new row, unless the row moved to another key or tenant: then
 * its old row too, Co_capture_moved); BEFORE
 * INSERT/UPDATE/DELETE cutover_freeze_TABLE_OP refuse the writes of a tenant
 * whose cutover_frozen row has a fresh heartbeat, reading that row with a
 * locking read (the latest committed row, whatever the application's
 * isolation level and snapshot).
 *
 * Commit order: AUTO_INCREMENT hands out seq when a row is inserted, not when
 * its transaction commits, so a committed change may sit above one still in
 * flight. The horizon is therefore read under LOCK TABLES cutover_changes
 * READ, which waits until every transaction that wrote the change log (each
 * holds a metadata lock on it to its end) has ended: every seq handed out by
 * then is committed or gone, and later ones are larger. The same wait, in
 * the first catch-up inside a freeze, lets the writes in flight at the
 * freeze end before the last changes are read (docs/cutover.md).
 */
#include "store/dialect_int.h"
#include "store/mysql_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* How long a start or stop waits for a table the application writes (then
 * it fails with SQLSTATE 55P03 and capture.c tries again), and how long the
 * horizon waits for the transactions in flight. */
#define DDL_WAIT_SECONDS 1
#define HORIZON_WAIT_SECONDS 30

static const char *const ops[] = {"insert", "update", "delete"};
static const char *const events[] = {"INSERT", "UPDATE", "DELETE"};

void Co_my_capture_db_name(my_store *s, const char *db)
{
    if (!db || !*db)
        db = "";
    if (strlen(db) <= 64 - 16) {
        snprintf(s->capture_db, sizeof s->capture_db, "cutover_capture%s%s", *db ? "_" : "", db);
        return;
    }
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = db; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    snprintf(s->capture_db, sizeof s->capture_db, "cutover_capture_%.39s_%08x", db, (unsigned)h);
}

static const char *capture_db(const co_store *st)
{
    return ((const my_store *)st)->capture_db;
}

/* Appends tmpl with {db} replaced by the change log's database, quoted. */
static void with_db(co_store *st, const char *tmpl, co_buf *out)
{
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{db}", 4) == 0) {
            co_store_quote_ident(st, capture_db(st), out);
            p += 4;
        } else {
            Co_buf_addc(out, *p++);
        }
    }
}

/* Runs one statement on the store's connection (never split on ';': a
 * trigger's body holds several). */
static co_code run(co_store *st, const co_buf *sql, const char *doing, co_error *err)
{
    if (sql->failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    my_store *s = my_of(st);
    co_code rc = Co_my_run(s, co_buf_str(sql), sql->len, doing, err);
    /* A wait for the application's writes that gave up: tried again. */
    if (rc != CO_OK && err && mysql_errno(s->conn) == 1205)
        snprintf(err->sqlstate, sizeof err->sqlstate, "55P03");
    return rc;
}

/* Runs sql with {db} as with_db. */
static co_code run_text(co_store *st, const char *sql, const char *doing, co_error *err)
{
    co_buf b = CO_BUF_INIT;
    with_db(st, sql, &b);
    co_code rc = run(st, &b, doing, err);
    Co_buf_release(&b);
    return rc;
}

/* The row's tenant, as text. */
static void tenant_of(const co_capture_spec *t, const char *row, co_buf *out)
{
    Co_capture_tenant_cast(t, row, "CHAR", out);
}

static void record_change(co_store *st, const co_capture_spec *t, const char *op, const char *row,
                          co_buf *sql)
{
    co_buf tenant = CO_BUF_INIT;
    tenant_of(t, row, &tenant);
    with_db(st, "INSERT INTO {db}.cutover_changes (tbl, op, tenant, `key`, at) SELECT ", sql);
    Co_sql_literal(t->table, sql);
    Co_buf_printf(sql, ", '%s', %s, json_array(", op, co_buf_str(&tenant));
    for (size_t k = 0; k < t->nkey; k++) {
        Co_buf_printf(sql, "%s%s.", k ? ", " : "", row);
        co_store_quote_ident(st, t->key[k], sql);
    }
    Co_buf_printf(sql, "), concat(left(date_format(utc_timestamp(6), '%%Y-%%m-%%dT%%H:%%i:%%s.%%f'),"
                       " 23), 'Z') FROM DUAL WHERE %s IN (SELECT tenant FROM ",
                  co_buf_str(&tenant));
    with_db(st, "{db}.cutover_tenants); ", sql);
    Co_buf_release(&tenant);
}

/* The body (after FOR EACH ROW) of one trigger: capture or freeze, op o. */
static void trigger_body(co_store *st, const co_capture_spec *t, bool capture, int o, co_buf *sql)
{
    Co_buf_adds(sql, "BEGIN ");
    if (capture) {
        /* An update records its old row only when it moved
         * (Co_capture_moved), compared byte for byte, whatever the
         * collation of the connection. */
        if (o == 1) {
            Co_buf_adds(sql, "IF ");
            Co_capture_moved(st, t, "CHAR", "CAST(json_array(", ") AS BINARY)", " <> ", sql);
            Co_buf_adds(sql, " THEN ");
            record_change(st, t, ops[o], "OLD", sql);
            Co_buf_adds(sql, "END IF; ");
        } else if (o == 2) {
            record_change(st, t, ops[o], "OLD", sql);
        }
        if (o != 2)
            record_change(st, t, ops[o], "NEW", sql);
        Co_buf_adds(sql, "END");
        return;
    }
    /* A locking read sees the latest committed freeze, not the snapshot of
     * an application transaction that began before it. */
    co_buf row = CO_BUF_INIT, other = CO_BUF_INIT;
    tenant_of(t, o == 0 ? "NEW" : "OLD", &row);
    with_db(st, "DECLARE cutover_n INT DEFAULT 0; DECLARE cutover_tenant VARCHAR(255);"
                " DECLARE cutover_message VARCHAR(128);"
                " SELECT count(*), min(tenant) INTO cutover_n, cutover_tenant FROM"
                " {db}.cutover_frozen WHERE tenant IN (",
            sql);
    Co_buf_adds(sql, co_buf_str(&row));
    if (o == 1) { /* a row moved into the frozen tenant counts too */
        tenant_of(t, "NEW", &other);
        Co_buf_printf(sql, ", %s", co_buf_str(&other));
    }
    Co_buf_adds(sql, ") AND beat + bound > unix_timestamp(now(6)) LOCK IN SHARE MODE;"
                     " IF cutover_n > 0 THEN SET cutover_message = left(concat('cutover: tenant ',"
                     " cutover_tenant, ' is frozen for its migration; writes are blocked until it is"
                     " switched or rolled back'), 128); SIGNAL SQLSTATE '55000' SET MESSAGE_TEXT ="
                     " cutover_message; END IF; END");
    Co_buf_release(&row);
    Co_buf_release(&other);
}

/* cutover_<kind>_<table>_<op>, unquoted; an error when longer than MySQL's
 * 64 characters. */
static co_code trigger_name(const co_capture_spec *t, bool capture, int o, co_buf *out,
                            co_error *err)
{
    Co_buf_reset(out);
    Co_buf_printf(out, "cutover_%s_%s_%s", capture ? "capture" : "freeze", t->table, ops[o]);
    if (out->failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (out->len > 64)
        return co_error_set(err, CO_EPROJECT,
                            "capture of table %s: the trigger name %s is longer than MySQL's 64 "
                            "characters",
                            t->table, co_buf_str(out));
    return CO_OK;
}

/* The body of the table's trigger name as the server has it, in *body
 * (empty: no such trigger). */
static co_code existing_body(co_store *st, const char *name, co_buf *body, co_error *err)
{
    Co_buf_reset(body);
    co_param p = {NULL, co_text(name, strlen(name))};
    co_cursor *c = NULL;
    co_code rc = co_store_query(st,
                                "SELECT ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE"
                                " TRIGGER_SCHEMA = database() AND TRIGGER_NAME = ?",
                                &p, 1, &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (v.type == CO_TEXT || v.type == CO_BLOB)
            Co_buf_add(body, v.s, v.len);
    }
    co_cursor_close(c);
    return rc;
}

/* Creates the trigger, or replaces it when its body is not the one the
 * project gives now. One that is as it should be is left alone: creating a
 * trigger waits for the table's writes in flight. */
static co_code ensure_trigger(co_store *st, const co_capture_spec *t, bool capture, int o,
                              co_error *err)
{
    co_buf name = CO_BUF_INIT, body = CO_BUF_INIT, have = CO_BUF_INIT, sql = CO_BUF_INIT;
    co_code rc = trigger_name(t, capture, o, &name, err);
    trigger_body(st, t, capture, o, &body);
    if (rc == CO_OK)
        rc = existing_body(st, co_buf_str(&name), &have, err);
    bool same = rc == CO_OK && have.len == body.len && memcmp(have.data, body.data, body.len) == 0;
    if (rc == CO_OK && !same) {
        /* MariaDB replaces it in one statement: no write goes uncaptured. */
        Co_buf_adds(&sql, have.len ? "CREATE OR REPLACE TRIGGER " : "CREATE TRIGGER ");
        co_store_quote_ident(st, co_buf_str(&name), &sql);
        Co_buf_printf(&sql, " %s %s ON ", capture ? "AFTER" : "BEFORE", events[o]);
        co_store_quote_ident(st, t->table, &sql);
        Co_buf_adds(&sql, " FOR EACH ROW ");
        Co_buf_add(&sql, body.data, body.len);
        rc = run(st, &sql, "cannot create a capture trigger", err);
    }
    Co_buf_release(&name);
    Co_buf_release(&body);
    Co_buf_release(&have);
    Co_buf_release(&sql);
    return rc;
}

static const char *const schema[] = {
    "CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS {db}.cutover_changes (seq BIGINT NOT NULL"
    " AUTO_INCREMENT PRIMARY KEY, tbl VARCHAR(255) NOT NULL, op VARCHAR(8) NOT NULL,"
    " tenant VARCHAR(255) NOT NULL, `key` TEXT NOT NULL, at VARCHAR(32) NOT NULL,"
    " KEY cutover_changes_tenant (tenant, seq)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS {db}.cutover_tenants (tenant VARCHAR(255) NOT NULL"
    " PRIMARY KEY, since VARCHAR(40) NOT NULL) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS {db}.cutover_frozen (tenant VARCHAR(255) NOT NULL"
    " PRIMARY KEY, since VARCHAR(40) NOT NULL, pid INT NOT NULL, beat DOUBLE NOT NULL,"
    " bound DOUBLE NOT NULL) ENGINE=InnoDB",
};

static co_code install(co_store *st, const co_capture_spec *tables, size_t n, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < sizeof schema / sizeof *schema; i++)
        rc = run_text(st, schema[i], "cannot create the change log", err);
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        for (int k = 0; rc == CO_OK && k < 6; k++)
            rc = ensure_trigger(st, &tables[i], k < 3, k % 3, err);
        if (rc != CO_OK)
            co_error_where(err, "capture of table %s", tables[i].table);
    }
    return rc;
}

static co_code uninstall(co_store *st, const co_capture_spec *tables, size_t n, co_error *err)
{
    co_code rc = CO_OK;
    co_buf name = CO_BUF_INIT, sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        for (int k = 0; rc == CO_OK && k < 6; k++) {
            rc = trigger_name(&tables[i], k < 3, k % 3, &name, err);
            Co_buf_reset(&sql);
            Co_buf_adds(&sql, "DROP TRIGGER IF EXISTS ");
            co_store_quote_ident(st, co_buf_str(&name), &sql);
            if (rc == CO_OK)
                rc = run(st, &sql, "cannot drop a capture trigger", err);
        }
    Co_buf_release(&name);
    Co_buf_release(&sql);
    static const char *const drops[] = {"DROP TABLE IF EXISTS {db}.cutover_changes",
                                        "DROP TABLE IF EXISTS {db}.cutover_tenants",
                                        "DROP TABLE IF EXISTS {db}.cutover_frozen"};
    for (size_t i = 0; rc == CO_OK && i < 3; i++)
        rc = run_text(st, drops[i], "cannot drop the change log", err);
    /* The database goes with its last table (another source database's
     * capture may still use it). */
    int64_t left = 0;
    co_param db = {NULL, co_text(capture_db(st), strlen(capture_db(st)))};
    if (rc == CO_OK)
        rc = co_store_query_int(st,
                                "SELECT count(*) FROM information_schema.tables WHERE"
                                " table_schema = ?",
                                &db, 1, &left, NULL, err);
    if (rc == CO_OK && left == 0)
        rc = run_text(st, "DROP DATABASE IF EXISTS {db}", "cannot drop the change log", err);
    return rc;
}

/* The triggers read cutover_frozen: the caller's row is the freeze. The
 * writes in flight when it commits are waited for by the next horizon. */
static co_code freeze(co_store *st, const co_capture_spec *tables, size_t n, const char *tenant,
                      bool frozen, co_error *err)
{
    (void)st, (void)tables, (void)n, (void)tenant, (void)frozen, (void)err;
    return CO_OK;
}

/* co_store_capture_serialize: a named lock held until the transaction ends
 * (mysql.c releases it), and waits for a table bounded (error 1205 becomes
 * SQLSTATE 55P03). Its DDL commits as it goes, but no other cutover process
 * starts or stops a capture meanwhile. */
static co_code serialize(co_store *st, co_error *err)
{
    my_store *s = my_of(st);
    co_buf set = CO_BUF_INIT;
    Co_buf_printf(&set, "SET SESSION lock_wait_timeout = %d", DDL_WAIT_SECONDS);
    co_code rc = run(st, &set, "cannot bound lock waits", err);
    Co_buf_release(&set);
    int64_t got = 0;
    co_param lock = {NULL, co_text(capture_db(st), strlen(capture_db(st)))};
    if (rc == CO_OK)
        rc = co_store_query_int(st, "SELECT coalesce(get_lock(?, 0.2), 0)", &lock, 1, &got, NULL,
                                err);
    if (rc == CO_OK && got != 1) {
        rc = co_error_set(err, Co_store_side_code(st->side),
                          "%s: another cutover process is starting or stopping a capture",
                          co_side_name(st->side));
        if (err)
            snprintf(err->sqlstate, sizeof err->sqlstate, "55P03");
    }
    s->capture_lock = rc == CO_OK;
    return rc;
}

void Co_my_capture_unlock(my_store *s)
{
    if (!s->capture_lock)
        return;
    s->capture_lock = false;
    if (s->lost) /* it died with the session */
        return;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "DO release_lock(");
    co_value name = co_text(s->capture_db, strlen(s->capture_db));
    Co_my_literal(&name, &sql);
    Co_buf_addc(&sql, ')');
    if (!sql.failed)
        Co_my_run_quietly(s, co_buf_str(&sql));
    Co_buf_release(&sql);
}

/* The largest seq once every transaction that wrote the change log has
 * ended (the lock waits for them; writers queue only while it is held). */
static co_code horizon(co_store *st, int64_t *mark, co_error *err)
{
    *mark = 0;
    my_store *s = my_of(st);
    if (s->user_txn) /* LOCK TABLES would commit it */
        return co_error_set(err, CO_EINTERNAL, "the capture horizon is read outside transactions");
    co_buf set = CO_BUF_INIT;
    Co_buf_printf(&set, "SET SESSION lock_wait_timeout = %d", HORIZON_WAIT_SECONDS);
    co_code rc = run(st, &set, "cannot bound lock waits", err);
    Co_buf_release(&set);
    if (rc == CO_OK)
        rc = run_text(st, "LOCK TABLES {db}.cutover_changes READ",
                      "waiting for the transactions that wrote captured changes to end", err);
    if (rc != CO_OK)
        return rc;
    co_buf max = CO_BUF_INIT;
    with_db(st, "SELECT coalesce(max(seq), 0) FROM {db}.cutover_changes", &max);
    rc = max.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                    : co_store_query_int(st, co_buf_str(&max), NULL, 0, mark, NULL, err);
    Co_buf_release(&max);
    co_error unlock;
    co_error_clear(&unlock);
    co_code end = run_text(st, "UNLOCK TABLES", "cannot unlock the change log", &unlock);
    if (rc == CO_OK && end != CO_OK) {
        if (err)
            *err = unlock;
        rc = end;
    }
    return rc;
}

const co_capture_ops co_mysql_capture_ops = {
    .install = install,
    .remove = uninstall,
    .freeze = freeze,
    .serialize = serialize,
    .horizon = horizon,
    .position = "seq",
    .database = capture_db,
};
