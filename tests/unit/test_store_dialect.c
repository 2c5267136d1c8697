/* test_store_dialect.c: the dialect and capture operations of store.h on
 * SQLite, each run against a real database: literals and key literals
 * compare equal to what they stand for, the null test sees a NULL, the JSON
 * item condition matches, the journal's schema is created, and capture's
 * triggers record changes, refuse a frozen tenant's writes and go away. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/store.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cutover-dialect.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static co_store *open_db(const char *name)
{
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:%s", name);
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_store_open(uri, CO_SIDE_STATE, dir, &s, &err) != CO_OK)
        fail_msg("open %s: %s", name, err.message);
    return s;
}

static void exec_ok(co_store *s, const char *sql)
{
    co_error err;
    co_error_clear(&err);
    if (co_store_exec(s, sql, &err) != CO_OK)
        fail_msg("%s: %s", sql, err.message);
}

static int64_t query_int(co_store *s, const char *sql)
{
    co_error err;
    co_error_clear(&err);
    int64_t v = -1;
    if (co_store_query_int(s, sql, NULL, 0, &v, NULL, &err) != CO_OK)
        fail_msg("%s: %s", sql, err.message);
    return v;
}

static void literals_stand_for_their_values(void **state)
{
    (void)state;
    co_store *s = open_db("lit.db");
    exec_ok(s, "CREATE TABLE t (k, b BLOB)");
    exec_ok(s, "INSERT INTO t VALUES (7, x'00ff27'), ('7', NULL), ('it''s', NULL)");
    co_value blob = co_text("\x00\xff'", 3), text = co_text("it's", 4), n = co_int(7),
             real = co_real(0.1);
    blob.type = CO_BLOB;
    co_buf sql = CO_BUF_INIT;
    co_buf_adds(&sql, "SELECT count(*) FROM t WHERE b = ");
    co_store_literal(s, &blob, &sql);
    assert_int_equal(query_int(s, co_buf_str(&sql)), 1);
    co_buf_reset(&sql);
    co_buf_adds(&sql, "SELECT count(*) FROM t WHERE k = ");
    co_store_literal(s, &text, &sql);
    assert_int_equal(query_int(s, co_buf_str(&sql)), 1);
    co_buf_reset(&sql);
    co_buf_adds(&sql, "SELECT ");
    co_store_literal(s, &real, &sql);
    co_buf_adds(&sql, " = 0.1");
    assert_int_equal(query_int(s, co_buf_str(&sql)), 1);
    /* an id stored as 7 in one row and '7' in another: both are named */
    co_buf_reset(&sql);
    co_buf_adds(&sql, "SELECT count(*) FROM t WHERE k IN (");
    co_store_key_literals(s, &n, &sql);
    co_buf_adds(&sql, ")");
    assert_int_equal(query_int(s, co_buf_str(&sql)), 2);
    co_buf_reset(&sql);
    co_store_unindexed_column(s, "k", &sql);
    assert_string_equal(co_buf_str(&sql), "+\"k\"");
    co_buf_release(&sql);
    co_store_close(s);
}

static void conditions_and_capabilities(void **state)
{
    (void)state;
    co_store *s = open_db("cond.db");
    co_caps caps = co_store_caps(s);
    assert_true(caps.one_file);
    assert_false(caps.row_locks);
    assert_false(caps.failed_statement_aborts);
    assert_string_equal(co_store_key_eq_op(s), "IS");
    exec_ok(s, "CREATE TABLE j (source_key TEXT, v)");
    exec_ok(s, "INSERT INTO j VALUES ('[5,\"a\"]', NULL)");
    co_buf sql = CO_BUF_INIT;
    co_buf_adds(&sql, "SELECT count(*) FROM j WHERE ");
    co_store_null_test(s, "\"v\"", &sql);
    co_buf_adds(&sql, " AND ");
    co_store_json_item_eq(s, "source_key", 0, ":a", &sql);
    co_buf_adds(&sql, " AND ");
    co_store_json_item_eq(s, "source_key", 1, ":b", &sql);
    co_param p[] = {{":a", co_int(5)}, {":b", co_text("a", 1)}};
    co_error err;
    co_error_clear(&err);
    int64_t count = -1;
    assert_int_equal(co_store_query_int(s, co_buf_str(&sql), p, 2, &count, NULL, &err), CO_OK);
    assert_int_equal(count, 1);
    /* the database's clock, in seconds since 1970 */
    co_buf_reset(&sql);
    co_buf_printf(&sql, "SELECT CAST(%s AS INTEGER)", co_store_epoch_sql(s));
    int64_t now = query_int(s, co_buf_str(&sql));
    assert_true(llabs(now - (int64_t)time(NULL)) < 5);
    bool exists = true;
    assert_int_equal(co_store_table_exists(s, "nope", &exists, &err), CO_OK);
    assert_false(exists);
    assert_int_equal(co_store_table_exists(s, "j", &exists, &err), CO_OK);
    assert_true(exists);
    /* the journal's schema, in SQLite's dialect, and WAL */
    assert_int_equal(co_store_make_durable(s, &err), CO_OK);
    assert_int_equal(co_store_create_schema(s, "CREATE TABLE IF NOT EXISTS runs (id INTEGER "
                                               "PRIMARY KEY, at REAL);",
                                            "test.lock", &err),
                     CO_OK);
    assert_int_equal(co_store_table_exists(s, "runs", &exists, &err), CO_OK);
    assert_true(exists);
    co_cursor *c = NULL;
    bool has_row = false;
    assert_int_equal(co_store_query(s, "PRAGMA journal_mode", NULL, 0, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    assert_string_equal(co_cursor_value(c, 0).s, "wal");
    co_cursor_close(c);
    co_buf_release(&sql);
    co_store_close(s);
}

static void capture_records_freezes_and_goes(void **state)
{
    (void)state;
    co_store *s = open_db("cap.db");
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE orders (id INTEGER PRIMARY KEY, shop TEXT, qty INT)");
    static const char *const key[] = {"id"};
    co_capture_spec spec = {"orders", "{row}.shop", key, 1};
    assert_int_equal(co_store_capture_supported(s, &err), CO_OK);
    assert_string_equal(co_store_capture_position(s), "seq");
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_install(s, &spec, 1, &err), CO_OK);
    exec_ok(s, "COMMIT");
    exec_ok(s, "INSERT INTO cutover_tenants VALUES ('a', 'now')");
    exec_ok(s, "INSERT INTO orders VALUES (1, 'a', 1), (2, 'b', 1)");
    exec_ok(s, "UPDATE orders SET qty = 2 WHERE id = 1");
    /* the insert, and the update's old and new row */
    assert_int_equal(query_int(s, "SELECT count(*) FROM cutover_changes WHERE tenant = 'a'"), 3);
    assert_int_equal(query_int(s, "SELECT count(*) FROM cutover_changes WHERE tenant = 'b'"), 0);
    int64_t mark = -1;
    assert_int_equal(co_store_capture_horizon(s, &mark, &err), CO_OK);
    assert_int_equal(mark, 3);
    /* frozen, with a fresh heartbeat: a's writes are refused, b's are not */
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_freeze(s, &spec, 1, "a", true, &err), CO_OK);
    co_buf row = CO_BUF_INIT;
    co_buf_printf(&row, "INSERT INTO cutover_frozen VALUES ('a', 'now', 1, %s, 60)",
                  co_store_epoch_sql(s));
    exec_ok(s, co_buf_str(&row));
    exec_ok(s, "COMMIT");
    assert_int_not_equal(co_store_exec(s, "UPDATE orders SET qty = 3 WHERE id = 1", &err), CO_OK);
    assert_non_null(strstr(err.message, "tenant a is frozen"));
    exec_ok(s, "UPDATE orders SET qty = 3 WHERE id = 2");
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_freeze(s, &spec, 1, "a", false, &err), CO_OK);
    exec_ok(s, "COMMIT");
    exec_ok(s, "UPDATE orders SET qty = 3 WHERE id = 1");
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_remove(s, &spec, 1, &err), CO_OK);
    exec_ok(s, "COMMIT");
    assert_int_equal(query_int(s, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'cutover%'"),
                     0);
    co_buf_release(&row);
    co_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literals_stand_for_their_values),
        cmocka_unit_test(conditions_and_capabilities),
        cmocka_unit_test(capture_records_freezes_and_goes),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
