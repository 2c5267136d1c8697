/* test_keys.c: keys the target assigns (target_key) in a live target, on a
 * SQLite target and, when CUTOVER_TEST_PG names a server (ctest runs this
 * through tests/e2e/pg.sh), on a PostgreSQL one: the target already holds
 * other tenants' rows and its sequences are advanced past them. Parents keyed
 * by AUTOINCREMENT / an identity, children by a plain rowid / serial and by a
 * UUID default; children remapped through refs, a merged parent; captured
 * updates, inserts and deletes caught up by target key; verification through
 * the id map; a reload that draws no key; a purge that touches only the
 * tenant's rows; the target's foreign keys hold after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/capture.h"
#include "cutover/cutover_seq.h"
#include "cutover/migrate.h"
#include "cutover/state.h"
#include "cutover/verify.h"
#include "engine/session.h"
#include "state/state_int.h" /* the journal's store, to look inside it */
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char pg_server[1024]; /* CUTOVER_TEST_PG, or "" */
static char pg_db[1024];
static char pg_name[64];

static const char source_sql[] =
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);"
    "INSERT INTO accounts VALUES (1, 'Acme'), (2, 'Globex');"
    "CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER, name TEXT,"
    " email TEXT);"
    "INSERT INTO customers VALUES (10, 1, 'Ann', 'ann@x.com'), (11, 1, 'Bob', 'bob@x.com'),"
    " (12, 1, 'Ann B', 'ANN@x.com'), (20, 2, 'Cy', 'cy@y.com');"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER,"
    " amount INTEGER);"
    "INSERT INTO orders VALUES (100, 10, 5), (101, 11, 7), (102, 12, 9), (200, 20, 11);"
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, customer_id INTEGER, body TEXT);"
    "INSERT INTO notes VALUES (1000, 11, 'call back'), (1001, 12, 'vip'), (2000, 20, 'new');";

/* The live target: account 9 is a tenant of the new system already; one of
 * its rows was made by the new application itself. */
static const char target_sqlite[] =
    "PRAGMA foreign_keys = ON;"
    "CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, legacy_id INTEGER,"
    " account_id INTEGER NOT NULL, name TEXT, email TEXT);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,"
    " customer_id INTEGER NOT NULL REFERENCES customers(id), amount INTEGER);"
    "CREATE TABLE notes (id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),"
    " account_id INTEGER NOT NULL, customer_id INTEGER NOT NULL REFERENCES customers(id),"
    " body TEXT);"
    "INSERT INTO customers (id, account_id, name) VALUES (4990, 9, 'imported earlier');"
    "INSERT INTO customers (account_id, name) VALUES (9, 'made by the new app');"
    "UPDATE sqlite_sequence SET seq = 5000 WHERE name = 'customers';"
    "INSERT INTO orders VALUES (7000, 9, 4990, 1);"
    "INSERT INTO notes (account_id, customer_id, body) VALUES (9, 4991, 'app note');";

static const char target_pg[] =
    "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 4990) PRIMARY KEY,"
    " legacy_id integer, account_id integer NOT NULL, name text, email text);"
    "CREATE TABLE orders (id serial PRIMARY KEY, account_id integer NOT NULL,"
    " customer_id bigint NOT NULL REFERENCES customers(id) DEFERRABLE, amount integer);"
    "CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    " account_id integer NOT NULL,"
    " customer_id bigint NOT NULL REFERENCES customers(id) DEFERRABLE, body text);"
    "INSERT INTO customers (account_id, name) VALUES (9, 'imported earlier'),"
    " (9, 'made by the new app');"
    "SELECT setval('customers_id_seq', 5000);"
    "SELECT setval('orders_id_seq', 6999);"
    "INSERT INTO orders (account_id, customer_id, amount) VALUES (9, 4990, 1);"
    "INSERT INTO notes (account_id, customer_id, body) VALUES (9, 4991, 'app note');";

static const char project_fmt[] =
    "source: sqlite:src.db\n"
    "target: %s\n"
    "state: sqlite:%s\n"
    "tenants: SELECT id, name FROM accounts ORDER BY id\n"
    "options: { batch_size: 2 }\n"
    "entities:\n"
    "  - name: customers\n"
    "    key: id\n"
    "    target_key: id\n"
    "    tenant_column: account_id\n"
    "    follows: { customers: { id: id } }\n"
    "    query: SELECT id, id AS legacy_id, account_id, name, email FROM customers\n"
    "           WHERE account_id = :tenant\n"
    "    merge: { on: lower(email) }\n"
    "  - name: orders\n"
    "    key: id\n"
    "    target_key: id\n"
    "    tenant_column: account_id\n"
    "    follows: { orders: { id: id } }\n"
    "    query: SELECT o.id, c.account_id, o.customer_id, o.amount FROM orders o\n"
    "           JOIN customers c ON c.id = o.customer_id WHERE c.account_id = :tenant\n"
    "    refs: { customer_id: customers }\n"
    "  - name: notes\n"
    "    key: legacy_note\n"
    "    target_key: id\n"
    "    tenant_column: account_id\n"
    "    follows: { notes: { legacy_note: id } }\n"
    "    query: SELECT n.id AS legacy_note, c.account_id, n.customer_id, n.body FROM notes n\n"
    "           JOIN customers c ON c.id = n.customer_id WHERE c.account_id = :tenant\n"
    "    refs: { customer_id: customers }\n"
    "capture:\n"
    "  - { table: customers, key: id, tenant: \"{row}.account_id\" }\n"
    "  - { table: orders, key: id, tenant: \"(SELECT account_id FROM customers WHERE id = "
    "{row}.customer_id)\" }\n"
    "  - { table: notes, key: id, tenant: \"(SELECT account_id FROM customers WHERE id = "
    "{row}.customer_id)\" }\n";

static co_store *open_store(const char *uri, co_side side)
{
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_store_open(uri, side, dir, &s, &err) != CO_OK)
        fail_msg("open %s: %s", uri, err.message);
    return s;
}

static void exec_ok(co_store *s, const char *sql)
{
    co_error err;
    co_error_clear(&err);
    if (co_store_exec(s, sql, &err) != CO_OK)
        fail_msg("exec %s: %s", sql, err.message);
}

/* The integer in the first column of the first row of sql on s (-1: none). */
static int64_t num(co_store *s, const char *sql)
{
    int64_t v = -1;
    co_error err;
    co_error_clear(&err);
    if (co_store_query_int(s, sql, NULL, 0, &v, NULL, &err) != CO_OK)
        fail_msg("query %s: %s", sql, err.message);
    return v;
}

/* The text of the first column of the first row of sql, in out. */
static void text(co_store *s, const char *sql, char *out, size_t cap)
{
    co_cursor *c;
    co_error err;
    co_error_clear(&err);
    bool has_row = false;
    if (co_store_query(s, sql, NULL, 0, &c, &err) != CO_OK)
        fail_msg("query %s: %s", sql, err.message);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    co_value v = co_cursor_value(c, 0);
    if (v.type == CO_TEXT)
        snprintf(out, cap, "%.*s", (int)v.len, v.s);
    else
        snprintf(out, cap, "%lld", (long long)v.i);
    co_cursor_close(c);
}

static int setup(void **state)
{
    (void)state;
    if (!test_mkdtemp(dir, sizeof dir, "cutover-keys"))
        return -1;
    const char *uri = getenv("CUTOVER_TEST_PG");
    if (uri && *uri) {
        snprintf(pg_server, sizeof pg_server, "%s", uri);
        snprintf(pg_name, sizeof pg_name, "cutover_keys_%ld", (long)getpid());
        const char *slash = strrchr(pg_server, '/');
        snprintf(pg_db, sizeof pg_db, "%.*s/%s", (int)(slash - pg_server), pg_server, pg_name);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

/* Fresh databases and a project for one run; target is a URI or NULL for a
 * SQLite file. */
static co_project *prepare(const char *name, bool pg)
{
    char path[256], uri[1200], state[64], body[4096];
    snprintf(path, sizeof path, "%s/src.db", dir);
    unlink(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    co_store *src = open_store("sqlite:src.db", CO_SIDE_TARGET); /* writable: made here */
    exec_ok(src, source_sql);
    co_store_close(src);
    if (pg) {
        co_store *server = open_store(pg_server, CO_SIDE_TARGET);
        char sql[256];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_name);
        exec_ok(server, sql);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", pg_name);
        exec_ok(server, sql);
        co_store_close(server);
        co_store *t = open_store(pg_db, CO_SIDE_TARGET);
        exec_ok(t, target_pg);
        co_store_close(t);
        snprintf(uri, sizeof uri, "%s", pg_db);
    } else {
        snprintf(path, sizeof path, "%s/%s.db", dir, name);
        unlink(path);
        FILE *g = fopen(path, "w"); /* the store never creates a target file */
        assert_non_null(g);
        fclose(g);
        snprintf(uri, sizeof uri, "sqlite:%s.db", name);
        co_store *t = open_store(uri, CO_SIDE_TARGET);
        exec_ok(t, target_sqlite);
        co_store_close(t);
    }
    snprintf(state, sizeof state, "%s-state.db", name);
    snprintf(path, sizeof path, "%s/%s", dir, state);
    unlink(path);
    snprintf(body, sizeof body, project_fmt, uri, state);
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_project_parse(body, strlen(body), "keys.yaml", dir, &p, &err) != CO_OK)
        fail_msg("project: %s (%s)", err.message, err.where);
    return p;
}

/* Every declared foreign key of the target holds. */
static void fks_hold(co_session *s, bool pg)
{
    if (pg) {
        assert_int_equal(num(s->dest, "SELECT count(*) FROM orders o WHERE NOT EXISTS"
                                      " (SELECT 1 FROM customers c WHERE c.id = o.customer_id)"),
                         0);
        assert_int_equal(num(s->dest, "SELECT count(*) FROM notes o WHERE NOT EXISTS"
                                      " (SELECT 1 FROM customers c WHERE c.id = o.customer_id)"),
                         0);
    } else {
        assert_int_equal(num(s->dest, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    }
}

/* The new system's own rows (account 9), as they were made. */
static void others_untouched(co_session *s)
{
    assert_int_equal(num(s->dest, "SELECT count(*) FROM customers WHERE account_id = 9"
                                  " AND id IN (4990, 4991)"),
                     2);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM orders WHERE account_id = 9"
                                  " AND customer_id = 4990"),
                     1);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM notes WHERE account_id = 9"), 1);
}

static void verified(co_session *s, const co_tenant *t)
{
    co_verify_result v;
    co_error err;
    co_error_clear(&err);
    co_verify_options o = {0};
    o.keep_state = true;
    assert_int_equal(co_verify_tenant(s, t, &o, &v, &err), CO_OK);
    for (size_t i = 0; i < v.nfindings; i++)
        print_message("finding: %s %s %s %s\n", v.findings[i].entity, v.findings[i].kind,
                      v.findings[i].key ? v.findings[i].key : "", v.findings[i].detail);
    assert_true(v.pass);
    co_verify_result_release(&v);
}

/* The content check of entity name in v, or fails. */
static const co_check_result *content_of(const co_verify_result *v, const char *name)
{
    for (size_t i = 0; i < v->nchecks; i++)
        if (strcmp(v->checks[i].entity, name) == 0 && v->checks[i].check == CO_CHECK_CONTENT)
            return &v->checks[i];
    fail_msg("no content check of %s", name);
    return NULL;
}

/* Inside the freeze, an entity whose target gave the keys (orders, entity
 * 1) is verified through the id map over the rows a change touched, named
 * by their source keys, and not whole; a difference planted in such a row
 * is found, and a full verification notes it by its source key, for the
 * scoped one to look at again. */
static void scoped_through_idmap(co_session *s, const co_tenant *t)
{
    co_error err;
    co_error_clear(&err);
    const char *cols[] = {"id"};
    co_value order = co_int(100);
    co_verify_scope *scope = co_verify_scope_new(s->project);
    assert_non_null(scope);
    assert_int_equal(co_verify_scope_add(scope, 1, cols, 1, &order, &err), CO_OK);
    co_verify_options o = {.scope = scope, .since_run = 1};
    co_verify_result v;
    assert_int_equal(co_verify_tenant(s, t, &o, &v, &err), CO_OK);
    assert_true(v.pass);
    const co_check_result *c = content_of(&v, "orders");
    assert_int_equal(c->expected, 1); /* one row compared, of the tenant's 3 */
    assert_int_equal(c->actual, 1);
    assert_non_null(strstr(c->summary, "changed since run"));
    co_verify_result_release(&v);

    /* A difference planted in that row (its target key is not its source
     * key) is found. */
    int64_t tk = num(s->dest, "SELECT id FROM orders WHERE account_id = 1 AND amount = 5");
    assert_true(tk > 7000);
    exec_ok(s->dest, "UPDATE orders SET amount = 55 WHERE account_id = 1 AND amount = 5");
    assert_int_equal(co_verify_tenant(s, t, &o, &v, &err), CO_OK);
    assert_false(v.pass);
    c = content_of(&v, "orders");
    assert_int_equal(c->expected, 1);
    assert_int_equal(c->differences, 1);
    co_verify_result_release(&v);

    /* A scope of another order does not look at it. */
    co_verify_scope *other = co_verify_scope_new(s->project);
    co_value order2 = co_int(102);
    assert_int_equal(co_verify_scope_add(other, 1, cols, 1, &order2, &err), CO_OK);
    co_verify_options o2 = {.scope = other, .since_run = 1};
    assert_int_equal(co_verify_tenant(s, t, &o2, &v, &err), CO_OK);
    assert_true(v.pass);
    co_verify_result_release(&v);

    /* A full verification notes the row by its source key (order 100). */
    co_verify_scope *noted = co_verify_scope_new(s->project);
    co_verify_options full = {.differences = noted};
    assert_int_equal(co_verify_tenant(s, t, &full, &v, &err), CO_OK);
    assert_false(v.pass);
    co_verify_result_release(&v);
    assert_int_equal(co_verify_scope_count(noted, 1), 1);
    co_verify_options again = {.scope = noted, .since_run = 1};
    assert_int_equal(co_verify_tenant(s, t, &again, &v, &err), CO_OK);
    assert_false(v.pass);
    assert_int_equal(content_of(&v, "orders")->expected, 1);
    co_verify_result_release(&v);

    exec_ok(s->dest, "UPDATE orders SET amount = 5 WHERE account_id = 1 AND amount = 55");
    co_verify_scope_free(scope);
    co_verify_scope_free(other);
    co_verify_scope_free(noted);
}

/* Each entity's row total as the last progress report gave it (-1: its
 * rows were not counted). */
typedef struct totals {
    int64_t customers, orders, notes;
} totals;

static void on_progress(void *ctx, const co_progress *p)
{
    totals *t = ctx;
    if (strcmp(p->entity, "customers") == 0)
        t->customers = p->rows_total;
    else if (strcmp(p->entity, "orders") == 0)
        t->orders = p->rows_total;
    else if (strcmp(p->entity, "notes") == 0)
        t->notes = p->rows_total;
}

static void live_target(bool pg)
{
    co_project *p = prepare(pg ? "pg" : "lite", pg);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, 0, &s, &err), CO_OK);
    if (!pg)
        exec_ok(s->dest, "PRAGMA foreign_keys = ON");
    assert_int_equal(co_session_check(s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_store *cap = open_store("sqlite:src.db", CO_SIDE_SOURCE);
    assert_int_equal(co_store_allow_writes(cap, &err), CO_OK);
    assert_int_equal(co_capture_start(cap, p, "1", &err), CO_OK);

    /* Progress without totals asked for: only the entities that draw
     * integer keys count their rows first (to reserve them in blocks); the
     * notes, keyed by UUIDs, are not counted. */
    totals seen = {-2, -2, -2};
    co_migrate_options plain = {.skip_rehearsal = true, .progress = on_progress,
                                .progress_ctx = &seen};
    co_migrate_result r;
    for (size_t i = 0; i < 2; i++) {
        if (co_migrate_tenant(s, &tenants[i], &plain, &r, &err) != CO_OK)
            fail_msg("migrate: %s (%s)", err.message, err.where);
        assert_int_equal(r.rejected, 0);
        co_migrate_result_release(&r);
        if (i == 0) {
            assert_int_equal(seen.customers, 3);
            assert_int_equal(seen.orders, 3);
            assert_int_equal(seen.notes, -1);
        }
    }
    /* Keys from the target, above what it held; the merged contacts are one. */
    assert_int_equal(num(s->dest, "SELECT min(id) FROM customers WHERE account_id IN (1, 2)"), 5001);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM customers WHERE account_id = 1"), 2);
    assert_true(num(s->dest, "SELECT min(id) FROM orders WHERE account_id = 1") > 7000);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM customers WHERE legacy_id = 12"), 0);
    /* Children refer to the target keys: order 102 of the merged 12 to 10's. */
    assert_int_equal(num(s->dest, "SELECT count(*) FROM orders o JOIN customers c ON"
                                  " c.id = o.customer_id WHERE c.legacy_id = 10"),
                     2);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM notes o JOIN customers c ON"
                                  " c.id = o.customer_id WHERE c.legacy_id = 10"
                                  " AND o.body = 'vip'"),
                     1);
    char uuid[64];
    text(s->dest, "SELECT id FROM notes WHERE body = 'call back'", uuid, sizeof uuid);
    assert_int_equal(strlen(uuid), 36);
    assert_int_equal(uuid[14], '4'); /* version 4 */
    fks_hold(s, pg);
    others_untouched(s);
    /* The id map keeps the orders (consecutive keys on both sides) as a run:
     * what follows (verification, catch-up, the scoped verification, the
     * reload, the purge) reads it through the run. */
    co_store *journal = Co_state_store(s->state);
    assert_true(num(journal, "SELECT sum(n) FROM id_map_runs WHERE tenant = '1'"
                             " AND entity = 'orders'") >= 2);
    assert_int_equal(num(journal, "SELECT (SELECT sum(n) FROM id_map_runs WHERE tenant = '1'"
                                  " AND entity = 'orders') + (SELECT count(*) FROM id_map"
                                  " WHERE tenant = '1' AND entity = 'orders')"),
                     3);
    verified(s, &tenants[0]);
    verified(s, &tenants[1]);

    /* Captured changes: an update, an insert (with a child) and a delete. */
    int64_t bob = num(s->dest, "SELECT id FROM customers WHERE legacy_id = 11");
    exec_ok(cap, "UPDATE customers SET name = 'Bobby' WHERE id = 11;"
                 "INSERT INTO customers VALUES (13, 1, 'Dee', 'dee@x.com');"
                 "INSERT INTO orders VALUES (103, 13, 21);"
                 "DELETE FROM orders WHERE id = 101;"
                 "INSERT INTO notes VALUES (1002, 13, 'welcome');");
    int64_t applied = 0;
    if (co_catch_up(s, cap, &tenants[0], 0, false, &applied, &err) != CO_OK)
        fail_msg("catch up: %s (%s)", err.message, err.where);
    assert_true(applied >= 5);
    assert_int_equal(num(s->dest, "SELECT id FROM customers WHERE name = 'Bobby'"), bob);
    int64_t dee = num(s->dest, "SELECT id FROM customers WHERE legacy_id = 13");
    assert_true(dee > 5003);
    assert_int_equal(num(s->dest, "SELECT customer_id FROM orders WHERE amount = 21"), dee);
    assert_int_equal(num(s->dest, "SELECT customer_id FROM notes WHERE body = 'welcome'"), dee);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM orders WHERE amount = 7"), 0);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM orders WHERE account_id = 1"), 3);
    fks_hold(s, pg);
    others_untouched(s);
    verified(s, &tenants[0]);
    scoped_through_idmap(s, &tenants[0]);

    /* Migrating again changes nothing and draws no key. */
    const char *snapshot =
        "SELECT sum(id * 7 + coalesce(legacy_id, 0)) FROM customers WHERE account_id = 1";
    int64_t before = num(s->dest, snapshot);
    int64_t orders_before = num(s->dest, "SELECT sum(id * customer_id) FROM orders");
    char note_before[64], note_after[64];
    text(s->dest, "SELECT id FROM notes WHERE body = 'welcome'", note_before, sizeof note_before);
    int64_t seq = pg ? num(s->dest, "SELECT last_value FROM customers_id_seq")
                     : num(s->dest, "SELECT seq FROM sqlite_sequence WHERE name = 'customers'");
    co_migrate_options again = {.again = true, .skip_rehearsal = true};
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &r, &err), CO_OK);
    co_migrate_result_release(&r);
    assert_int_equal(num(s->dest, snapshot), before);
    assert_int_equal(num(s->dest, "SELECT sum(id * customer_id) FROM orders"), orders_before);
    text(s->dest, "SELECT id FROM notes WHERE body = 'welcome'", note_after, sizeof note_after);
    assert_string_equal(note_before, note_after);
    assert_int_equal(pg ? num(s->dest, "SELECT last_value FROM customers_id_seq")
                        : num(s->dest, "SELECT seq FROM sqlite_sequence WHERE name = 'customers'"),
                     seq);
    fks_hold(s, pg);
    verified(s, &tenants[0]);

    /* The purge removes the tenant's rows and nothing else. */
    int64_t all = num(s->dest, "SELECT count(*) FROM customers");
    assert_int_equal(co_purge_tenant(s, &tenants[0], &err), CO_OK);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM customers WHERE account_id = 1"), 0);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM orders WHERE account_id = 1"), 0);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM notes WHERE account_id = 1"), 0);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM customers"), all - 3);
    assert_int_equal(num(journal, "SELECT count(*) FROM id_map_runs WHERE tenant = '1'"), 0);
    assert_true(num(journal, "SELECT count(*) FROM id_map_runs WHERE tenant = '2'") > 0 ||
                num(journal, "SELECT count(*) FROM id_map WHERE tenant = '2'") > 0);
    others_untouched(s);
    fks_hold(s, pg);
    verified(s, &tenants[1]);

    assert_int_equal(co_capture_stop(cap, p, "1", &err), CO_OK);
    co_store_close(cap);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

/* A row with a target key that the target refuses (order 102, amount 9) is
 * rejected, and the id map row written for it when it was put is taken
 * back: the id map holds the rows loaded, and nothing else. */
static void refused_keyed_row(bool pg)
{
    co_project *p = prepare(pg ? "pg" : "refused", pg);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, 0, &s, &err), CO_OK);
    exec_ok(s->dest, pg ? "ALTER TABLE orders ADD CONSTRAINT no_nine CHECK (amount <> 9)"
                        : "CREATE TRIGGER no_nine BEFORE INSERT ON orders WHEN NEW.amount = 9"
                          " BEGIN SELECT RAISE(ABORT, 'no nine'); END");
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options plain = {.skip_rehearsal = true};
    co_migrate_result r;
    if (co_migrate_tenant(s, &tenants[0], &plain, &r, &err) != CO_OK)
        fail_msg("migrate: %s (%s)", err.message, err.where);
    assert_int_equal(r.rejected, 1);
    co_migrate_result_release(&r);
    /* 100 and 101 stay a run: 102 was cut out of it. */
    assert_int_equal(num(Co_state_store(s->state),
                         "SELECT count(*) FROM id_map_runs WHERE tenant = '1' AND entity = 'orders'"
                         " AND n = 2"),
                     1);
    char *target = NULL;
    assert_int_equal(co_state_idmap_target(s->state, "1", "orders", "[102]", &target, &err), CO_OK);
    assert_null(target);
    assert_int_equal(co_state_idmap_target(s->state, "1", "orders", "[100]", &target, &err), CO_OK);
    assert_non_null(target);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT amount FROM orders WHERE id = %.*s",
             (int)strlen(target) - 2, target + 1); /* [7001] */
    free(target);
    assert_int_equal(num(s->dest, sql), 5);
    assert_int_equal(num(s->dest, "SELECT count(*) FROM orders WHERE account_id = 1"), 2);
    verified(s, &tenants[0]);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

static void sqlite_refused_keyed_row(void **state)
{
    (void)state;
    refused_keyed_row(false);
}

static void pg_refused_keyed_row(void **state)
{
    (void)state;
    if (!*pg_server) {
        print_message("no CUTOVER_TEST_PG: the PostgreSQL target is not tested\n");
        return;
    }
    refused_keyed_row(true);
    co_store *server = open_store(pg_server, CO_SIDE_TARGET);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_name);
    exec_ok(server, sql);
    co_store_close(server);
}

/* co_store_reserve_keys: above what the table holds and its AUTOINCREMENT
 * mark on SQLite; from the column's sequence on PostgreSQL (identity, serial,
 * a default's nextval), never twice; a column with neither is refused. */
static void reserves_keys(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/reserve.db", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    co_store *s = open_store("sqlite:reserve.db", CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);"
               "INSERT INTO a VALUES (50, 'x'); UPDATE sqlite_sequence SET seq = 100;"
               "CREATE TABLE b (id INTEGER PRIMARY KEY, x TEXT); INSERT INTO b VALUES (7, 'y');"
               "CREATE TABLE c (id INTEGER PRIMARY KEY); CREATE TABLE d (k TEXT); INSERT INTO d VALUES ('z')");
    int64_t v[3];
    bool until_commit = false;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 3, v, &until_commit, &err), CO_OK);
    assert_true(until_commit);
    assert_int_equal(v[0], 101);
    assert_int_equal(v[2], 103);
    assert_int_equal(co_store_reserve_keys(s, "b", "id", 2, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 8);
    assert_int_equal(co_store_reserve_keys(s, "c", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 1);
    assert_int_equal(co_store_reserve_keys(s, "d", "k", 1, v, &until_commit, &err), CO_EUNSUPPORTED);
    /* SQLite's values hold inside a transaction only: none are drawn ahead. */
    assert_int_equal(co_store_reserve_keys_ahead(s, "a", "id", 2, &err), CO_EUNSUPPORTED);
    co_store_close(s);
    if (!*pg_server)
        return;
    co_store *server = open_store(pg_server, CO_SIDE_TARGET);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_name);
    exec_ok(server, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", pg_name);
    exec_ok(server, sql);
    co_store_close(server);
    s = open_store(pg_db, CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE a (id int GENERATED ALWAYS AS IDENTITY (START WITH 500));"
               "CREATE TABLE b (id serial); SELECT setval('b_id_seq', 41);"
               "CREATE SEQUENCE own START 9000; CREATE TABLE c (id bigint DEFAULT nextval('own'));"
               "CREATE TABLE d (id bigint)");
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 3, v, &until_commit, &err), CO_OK);
    assert_false(until_commit);
    assert_int_equal(v[0], 500);
    assert_int_equal(v[2], 502);
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 503);
    assert_int_equal(co_store_reserve_keys(s, "b", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 42);
    if (co_store_reserve_keys(s, "c", "id", 2, v, &until_commit, &err) != CO_OK)
        fail_msg("reserve: %s", err.message);
    assert_int_equal(v[1], 9001);
    assert_int_equal(co_store_reserve_keys(s, "d", "id", 1, v, &until_commit, &err), CO_EUNSUPPORTED);
    /* A COPY in flight on the store's connection goes on meanwhile. */
    const char *cols[] = {"id"};
    co_loader *l = NULL;
    assert_int_equal(co_loader_open(s, "d", cols, 1, NULL, &l, &err), CO_OK);
    co_value row = co_int(1);
    assert_int_equal(co_loader_put(l, &row, &err), CO_OK);
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 504);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(num(s, "SELECT count(*) FROM d"), 1);
    /* A block asked for ahead is drawn without waiting for the caller, and the
     * next reservation of that column and size takes it. */
    assert_int_equal(co_store_reserve_keys_ahead(s, "a", "id", 2, &err), CO_OK);
    int64_t last = 0;
    for (int i = 0; i < 500 && last != 506; i++) {
        last = num(s, "SELECT last_value FROM a_id_seq");
        if (last != 506)
            usleep(10000);
    }
    assert_int_equal(last, 506);
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 2, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 505);
    assert_int_equal(v[1], 506);
    /* A reservation of another column, or of another size, leaves the block
     * asked for ahead unused; one block is asked for ahead at a time. */
    assert_int_equal(co_store_reserve_keys_ahead(s, "a", "id", 3, &err), CO_OK);
    assert_int_equal(co_store_reserve_keys(s, "b", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 43);
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 510);
    assert_int_equal(co_store_reserve_keys_ahead(s, "a", "id", 2, &err), CO_OK);
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 513);
    assert_int_equal(co_store_reserve_keys_ahead(s, "b", "id", 2, &err), CO_OK);
    assert_int_equal(co_store_reserve_keys_ahead(s, "a", "id", 1, &err), CO_OK);
    assert_int_equal(co_store_reserve_keys(s, "a", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 514);
    assert_int_equal(co_store_reserve_keys(s, "b", "id", 1, v, &until_commit, &err), CO_OK);
    assert_int_equal(v[0], 46);
    /* A column with no sequence asked for ahead is refused when it is taken. */
    assert_int_equal(co_store_reserve_keys_ahead(s, "d", "id", 1, &err), CO_OK);
    assert_int_equal(co_store_reserve_keys(s, "d", "id", 1, v, &until_commit, &err), CO_EUNSUPPORTED);
    co_store_close(s);
}

static void sqlite_live_target(void **state)
{
    (void)state;
    live_target(false);
}

static void pg_live_target(void **state)
{
    (void)state;
    if (!*pg_server) {
        print_message("no CUTOVER_TEST_PG: the PostgreSQL target is not tested\n");
        return;
    }
    live_target(true);
    co_store *server = open_store(pg_server, CO_SIDE_TARGET);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_name);
    exec_ok(server, sql);
    co_store_close(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reserves_keys),
        cmocka_unit_test(sqlite_live_target),
        cmocka_unit_test(pg_live_target),
        cmocka_unit_test(sqlite_refused_keyed_row),
        cmocka_unit_test(pg_refused_keyed_row),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
