/* test_store_pg.c: the PostgreSQL backend of the store, against a real
 * server: connecting (and never showing the password), errors with their
 * SQLSTATE, parameters, every type mapping, streaming with bounded memory,
 * COPY of tricky values, isolating the rows a batch refuses, the catalog,
 * transactions and cursors. The server is CUTOVER_TEST_PG (a libpq URI); ctest
 * runs this program through tests/e2e/pg.sh, which starts a throwaway one.
 * Each run works in a database of its own, dropped at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/store.h"
#include "util/buf.h"
#include "store_rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
/* Freed memory waits in ASan's quarantine (256 MB by default), which would
 * hide what the streaming test measures: keep it small. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=8"; }
#endif

static char server_uri[1024]; /* CUTOVER_TEST_PG */
static char db_uri[1024];     /* the same server, this run's database */
static char db_name[64];

/* uri with its database replaced by db. */
static void uri_with_db(const char *uri, const char *db, char *out, size_t cap)
{
    const char *authority = strstr(uri, "://");
    const char *slash = authority ? strchr(authority + 3, '/') : NULL;
    const char *query = strchr(uri, '?');
    if (!slash || (query && slash > query))
        slash = query ? query : uri + strlen(uri);
    const char *rest = strchr(slash, '?');
    snprintf(out, cap, "%.*s/%s%s", (int)(slash - uri), uri, db, rest ? rest : "");
}

static co_store *open_uri(const char *uri, co_side side)
{
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_store_open(uri, side, ".", &s, &err) != CO_OK)
        fail_msg("open: %s", err.message);
    return s;
}

static co_store *open_db(co_side side) { return open_uri(db_uri, side); }

static void exec_ok(co_store *s, const char *sql)
{
    co_error err;
    co_error_clear(&err);
    if (co_store_exec(s, sql, &err) != CO_OK)
        fail_msg("exec %s: %s", sql, err.message);
}

/* The integer the query's first row holds in its first column. */
static int64_t query_int(co_store *s, const char *sql)
{
    co_error err;
    co_error_clear(&err);
    co_cursor *c;
    bool has_row = false;
    if (co_store_query(s, sql, NULL, 0, &c, &err) != CO_OK)
        fail_msg("query %s: %s", sql, err.message);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    co_value v = co_cursor_value(c, 0);
    assert_int_equal(v.type, CO_INT);
    co_cursor_close(c);
    return v.i;
}

static int setup(void **state)
{
    (void)state;
    const char *uri = getenv("CUTOVER_TEST_PG");
    if (!uri || !*uri) {
        fprintf(stderr, "test_store_pg: CUTOVER_TEST_PG is not set; run it through "
                        "tests/e2e/pg.sh run (ctest does)\n");
        return -1;
    }
    snprintf(server_uri, sizeof server_uri, "%s", uri);
    snprintf(db_name, sizeof db_name, "cutover_unit_%ld", (long)getpid());
    uri_with_db(server_uri, db_name, db_uri, sizeof db_uri);
    co_store *s = open_uri(server_uri, CO_SIDE_TARGET);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    exec_ok(s, sql);
    co_store_close(s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    co_store *s = open_uri(server_uri, CO_SIDE_TARGET);
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
    exec_ok(s, sql);
    co_store_close(s);
    return 0;
}

/* ---- connecting and errors ---------------------------------------------------------- */

static void wrong_passwords_never_show(void **state)
{
    (void)state;
    /* postgresql://user:password@host... : swap in a wrong password. */
    const char *at = strrchr(db_uri, '@');
    const char *colon = at ? memchr(strstr(db_uri, "://") + 3, ':', (size_t)(at - db_uri)) : NULL;
    assert_non_null(colon);
    const char *wrong = "Wr0ngSecretXyz";
    char uri[1200];
    snprintf(uri, sizeof uri, "%.*s:%s%s", (int)(colon - db_uri), db_uri, wrong, at);
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_open(uri, CO_SIDE_TARGET, ".", &s, &err), CO_ETARGET);
    assert_null(s);
    assert_non_null(strstr(err.message, "target"));
    assert_non_null(strstr(err.message, "password authentication failed"));
    assert_null(strstr(err.message, wrong));
    assert_null(strstr(err.where, wrong));

    /* The same through PGPASSWORD, with no password in the URI. */
    char bare[1200];
    snprintf(bare, sizeof bare, "%.*s%s", (int)(colon - db_uri), db_uri, at);
    setenv("PGPASSWORD", "An0therWrongOne", 1);
    co_error_clear(&err);
    assert_int_equal(co_store_open(bare, CO_SIDE_SOURCE, ".", &s, &err), CO_ESOURCE);
    unsetenv("PGPASSWORD");
    assert_non_null(strstr(err.message, "source"));
    assert_null(strstr(err.message, "An0therWrongOne"));

    /* A store that opens shows its URI masked. */
    s = open_db(CO_SIDE_STAGING);
    assert_string_equal(co_store_engine(s), "postgresql");
    assert_false(co_store_hashes_in_sql(s));
    assert_null(co_store_sqlite_path(s));
    const char *pw_start = colon + 1;
    char password[256];
    snprintf(password, sizeof password, "%.*s", (int)(at - pw_start), pw_start);
    assert_null(strstr(co_store_safe_uri(s), password));
    assert_non_null(strstr(co_store_safe_uri(s), "***"));
    assert_string_equal(co_side_name(co_store_side(s)), "staging");
    co_store_close(s);
}

static void errors_carry_side_and_sqlstate(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "SELECT 1/0", &err), CO_ETARGET);
    assert_string_equal(err.sqlstate, "22012");
    assert_non_null(strstr(err.message, "target: "));
    assert_non_null(strstr(err.message, "division by zero"));
    assert_non_null(strstr(err.message, "SQLSTATE 22012"));
    exec_ok(s, "CREATE TABLE dup (id int)");
    assert_int_equal(co_store_exec(s, "CREATE TABLE dup (id int)", &err), CO_ETARGET);
    assert_string_equal(err.sqlstate, "42P07");
    co_cursor *c = NULL;
    assert_int_equal(co_store_query(s, "SELECT * FROM no_such_table", NULL, 0, &c, &err),
                     CO_ETARGET);
    assert_string_equal(err.sqlstate, "42P01");
    assert_int_equal(co_store_prepare_check(s, "SELECT nope FROM dup", &err), CO_ETARGET);
    assert_string_equal(err.sqlstate, "42703");
    assert_int_equal(co_store_prepare_check(s, "SELECT id FROM dup WHERE id = :tenant", &err),
                     CO_OK);
    /* The server's notices are not printed (the library never prints). */
    fflush(stderr);
    int saved = dup(2);
    FILE *capture = tmpfile();
    assert_non_null(capture);
    dup2(fileno(capture), 2);
    co_code rc = co_store_exec(s, "DO $$ BEGIN RAISE WARNING 'loud'; RAISE NOTICE 'louder'; END $$;"
                                  " DROP TABLE IF EXISTS never_was", &err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(rc, CO_OK);
    fseek(capture, 0, SEEK_END);
    assert_int_equal(ftell(capture), 0);
    fclose(capture);
    /* The state side has its own code. */
    co_store *st = open_db(CO_SIDE_STATE);
    assert_int_equal(co_store_exec(st, "SELECT nope", &err), CO_ESTATE);
    assert_non_null(strstr(err.message, "state: "));
    co_store_close(st);
    /* The source is read-only. */
    co_store *src = open_db(CO_SIDE_SOURCE);
    assert_int_equal(co_store_exec(src, "INSERT INTO dup VALUES (1)", &err), CO_ESOURCE);
    assert_string_equal(err.sqlstate, "25006");
    assert_int_equal(co_store_query(src, "DELETE FROM dup RETURNING id", NULL, 0, &c, &err),
                     CO_ESOURCE);
    assert_int_equal(co_store_allow_writes(src, &err), CO_OK);
    assert_int_equal(co_store_exec(src, "INSERT INTO dup VALUES (1)", &err), CO_OK);
    co_store_close(src);
    co_store_close(s);
}

/* ---- parameters --------------------------------------------------------------------- */

static void named_parameters(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    co_param p[] = {{":tenant", co_int(41)}, {":unused", co_text("x", 1)}};
    co_cursor *c;
    const char *sql = "SELECT :tenant::int + 1 AS n, ':tenant' AS lit, 'it''s :tenant' AS lit2,"
                      " E'\\' :tenant' AS esc, $q$ :tenant $q$ AS dollar, :tenant AS again,"
                      " 1 AS \"col:tenant\" -- :nope in a comment\n"
                      " /* :nope /* nested */ :nope */";
    assert_int_equal(co_store_query(s, sql, p, 2, &c, &err), CO_OK);
    bool has_row;
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    assert_int_equal(co_cursor_ncols(c), 7);
    assert_int_equal(co_cursor_value(c, 0).i, 42);
    assert_string_equal(co_cursor_value(c, 1).s, ":tenant");
    assert_string_equal(co_cursor_value(c, 2).s, "it's :tenant");
    assert_string_equal(co_cursor_value(c, 3).s, "' :tenant");
    assert_string_equal(co_cursor_value(c, 4).s, " :tenant ");
    assert_int_equal(co_cursor_value(c, 5).type, CO_INT);
    assert_int_equal(co_cursor_value(c, 5).i, 41);
    assert_string_equal(co_cursor_colname(c, 6), "col:tenant");
    co_cursor_close(c);

    /* A parameter the caller does not supply is an error, not a NULL. */
    assert_int_equal(co_store_query(s, "SELECT :tenant, :other", p, 1, &c, &err), CO_ESOURCE);
    assert_non_null(strstr(err.message, ":other"));
    /* Text goes untyped: it reads as the type the context wants. */
    co_param t[] = {{":d", co_text("2026-01-31", 10)}, {":n", co_text("7", 1)}};
    assert_int_equal(co_store_query(s, "SELECT :d::date + 1, :n + 1", t, 2, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_string_equal(co_cursor_value(c, 0).s, "2026-02-01");
    assert_int_equal(co_cursor_value(c, 1).i, 8);
    co_cursor_close(c);
    co_store_close(s);

    /* Positional parameters, and "IS ?" matching NULL as SQLite's IS does. */
    s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE pos (a int, b text)");
    co_param v[] = {{NULL, co_int(1)}, {NULL, co_null()}, {NULL, co_int(2)}};
    long long changes = 0;
    assert_int_equal(co_store_exec_params(s, "INSERT INTO pos VALUES (?, ?), (?, 'x')", v, 3,
                                          &changes, &err),
                     CO_OK);
    assert_int_equal(changes, 2);
    co_param null[] = {{NULL, co_null()}};
    assert_int_equal(co_store_query(s, "SELECT a FROM pos WHERE b IS ?", null, 1, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    assert_int_equal(co_cursor_value(c, 0).i, 1);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_false(has_row);
    co_cursor_close(c);
    assert_int_equal(co_store_query(s, "SELECT a FROM pos WHERE b IS NOT ?", null, 1, &c, &err),
                     CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_int_equal(co_cursor_value(c, 0).i, 2);
    co_cursor_close(c);
    /* Too few positional values is an error. */
    assert_int_equal(co_store_exec_params(s, "DELETE FROM pos WHERE a = ? AND b = ?", v, 1, NULL,
                                          &err),
                     CO_ETARGET);
    assert_non_null(strstr(err.message, "positional"));

    /* A prepared statement run many times; IS ? finds NULL key parts. */
    co_stmt *st;
    assert_int_equal(co_store_prepare(s, "DELETE FROM pos WHERE a = ? AND b IS ?", &st, &err),
                     CO_OK);
    co_value k1[] = {co_int(1), co_null()};
    assert_int_equal(co_stmt_exec(st, k1, 2, &changes, &err), CO_OK);
    assert_int_equal(changes, 1);
    co_value k2[] = {co_text("2", 1), co_text("x", 1)};
    assert_int_equal(co_stmt_exec(st, k2, 2, &changes, &err), CO_OK);
    assert_int_equal(changes, 1);
    assert_int_equal(co_stmt_exec(st, k2, 2, &changes, &err), CO_OK);
    assert_int_equal(changes, 0);
    co_stmt_close(st);
    assert_int_equal(query_int(s, "SELECT count(*) FROM pos"), 0);
    co_store_close(s);
}

/* ---- values ----------------------------------------------------------------------- */

static void expect_text(co_cursor *c, size_t i, const char *want)
{
    co_value v = co_cursor_value(c, i);
    if (v.type != CO_TEXT || v.len != strlen(want) || memcmp(v.s, want, v.len) != 0)
        fail_msg("column %s: expected text [%s], got type %s [%.*s]", co_cursor_colname(c, i),
                 want, co_type_name(v.type), (int)(v.type == CO_TEXT ? v.len : 0),
                 v.type == CO_TEXT ? v.s : "");
}

static void every_type_maps(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    co_cursor *c;
    const char *sql =
        "SELECT 1::int2 AS i2, 2::int4 AS i4, 9007199254740993::int8 AS i8,"
        " 1.5::float4 AS f4, 0.1::float8 AS f8, 'NaN'::float8 AS nan, '-Infinity'::float8 AS ninf,"
        " 12345678901234::numeric AS n_int, 12.50::numeric(10,2) AS n_frac,"
        " 123456789012345678.123::numeric AS n_exact, 99999999999999999999999::numeric AS n_big,"
        " true AS t, false AS f, '\\x00ff0041'::bytea AS b, ''::bytea AS b0,"
        " 'Łódź'::text AS txt, 'ab'::varchar(5) AS vc, 'ab'::char(4) AS bp,"
        " '{\"a\": [1, 2]}'::json AS js, '{\"a\": 1}'::jsonb AS jsb,"
        " '2026-01-31'::date AS d, '2026-01-31 23:30:00.25'::timestamp AS ts,"
        " '2026-01-31 23:30:00+02'::timestamptz AS tstz,"
        " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, ARRAY['a', 'b c']::text[] AS arr,"
        " NULL::int AS null_int, NULL::text AS null_text, ''::text AS empty,"
        " '-9223372036854775808'::int8 AS i8min";
    if (co_store_query(s, sql, NULL, 0, &c, &err) != CO_OK)
        fail_msg("%s", err.message);
    bool has_row;
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    size_t i = 0;
    assert_int_equal(co_cursor_value(c, i).type, CO_INT);
    assert_int_equal(co_cursor_value(c, i++).i, 1);
    assert_int_equal(co_cursor_value(c, i++).i, 2);
    assert_int_equal(co_cursor_value(c, i).type, CO_INT);
    assert_true(co_cursor_value(c, i++).i == 9007199254740993LL);
    assert_int_equal(co_cursor_value(c, i).type, CO_REAL);
    assert_true(co_cursor_value(c, i++).r == 1.5);
    assert_true(co_cursor_value(c, i++).r == 0.1); /* every digit: exactly the double 0.1 */
    assert_true(isnan(co_cursor_value(c, i++).r));
    assert_true(isinf(co_cursor_value(c, i).r) && co_cursor_value(c, i).r < 0);
    i++;
    assert_int_equal(co_cursor_value(c, i).type, CO_INT); /* numeric, no fraction */
    assert_true(co_cursor_value(c, i++).i == 12345678901234LL);
    assert_int_equal(co_cursor_value(c, i).type, CO_REAL); /* numeric(10,2) */
    assert_true(co_cursor_value(c, i++).r == 12.5);
    expect_text(c, i++, "123456789012345678.123"); /* beyond a double: exact text */
    expect_text(c, i++, "99999999999999999999999"); /* beyond int64 */
    assert_int_equal(co_cursor_value(c, i).type, CO_INT);
    assert_int_equal(co_cursor_value(c, i++).i, 1);
    assert_int_equal(co_cursor_value(c, i++).i, 0);
    co_value b = co_cursor_value(c, i++);
    assert_int_equal(b.type, CO_BLOB);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.s, "\x00\xff\x00\x41", 4);
    b = co_cursor_value(c, i++);
    assert_int_equal(b.type, CO_BLOB);
    assert_int_equal(b.len, 0);
    expect_text(c, i++, "Łódź");
    expect_text(c, i++, "ab");
    expect_text(c, i++, "ab  ");
    expect_text(c, i++, "{\"a\": [1, 2]}");
    expect_text(c, i++, "{\"a\": 1}");
    expect_text(c, i++, "2026-01-31");
    expect_text(c, i++, "2026-01-31 23:30:00.25");
    expect_text(c, i++, "2026-01-31 21:30:00+00"); /* in UTC */
    expect_text(c, i++, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    expect_text(c, i++, "{a,\"b c\"}");
    assert_int_equal(co_cursor_value(c, i++).type, CO_NULL);
    assert_int_equal(co_cursor_value(c, i++).type, CO_NULL);
    expect_text(c, i++, "");
    assert_true(co_cursor_value(c, i++).i == INT64_MIN);
    assert_int_equal(co_cursor_ncols(c), i);
    assert_string_equal(co_cursor_colname(c, 0), "i2");
    assert_string_equal(co_cursor_colname(c, i - 1), "i8min");
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_false(has_row);
    co_cursor_close(c);

    /* The month of ISO text (with a zone or not), timestamps and dates, in UTC. */
    co_buf q = CO_BUF_INIT;
    Co_buf_adds(&q, "SELECT ");
    const char *exprs[] = {"'2026-01-31T23:30:00Z'", "'2026-02-01T00:30:00+02:00'",
                           "'2026-03-05'::date", "'2026-04-30 23:00:00-05'::timestamptz",
                           "'2026-05-01 00:00:00'::timestamp", "'garbage'", "NULL::text"};
    for (size_t e = 0; e < sizeof exprs / sizeof *exprs; e++) {
        if (e)
            Co_buf_adds(&q, ", ");
        co_store_month_sql(s, exprs[e], &q);
    }
    assert_int_equal(co_store_query(s, co_buf_str(&q), NULL, 0, &c, &err), CO_OK);
    Co_buf_release(&q);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    expect_text(c, 0, "2026-01");
    expect_text(c, 1, "2026-01");
    expect_text(c, 2, "2026-03");
    expect_text(c, 3, "2026-05");
    expect_text(c, 4, "2026-05");
    assert_int_equal(co_cursor_value(c, 5).type, CO_NULL);
    assert_int_equal(co_cursor_value(c, 6).type, CO_NULL);
    co_cursor_close(c);
    co_store_close(s);
}

/* ---- streaming ---------------------------------------------------------------------- */

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void streams_with_bounded_memory(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    co_cursor *c;
    /* 200,000 rows of 1 KB: 200 MB if they were all held. (A leading comment
     * does not hide that it is a query.) */
    assert_int_equal(co_store_query(s, "-- streamed\n/* in chunks */ SELECT g AS id, repeat('x', 1000) AS pad"
                                       " FROM generate_series(1, 200000) AS g ORDER BY g",
                                    NULL, 0, &c, &err),
                     CO_OK);
    long start = rss_kb(), peak = start;
    int64_t rows = 0, sum = 0;
    bool has_row;
    while (co_cursor_next(c, &has_row, &err) == CO_OK && has_row) {
        rows++;
        sum += co_cursor_value(c, 0).i;
        assert_int_equal(co_cursor_value(c, 1).len, 1000);
        if (rows % 10000 == 0) {
            long now = rss_kb();
            if (now > peak)
                peak = now;
        }
        if (rows == 100000) { /* meanwhile, a server-side cursor is what holds the rows */
            assert_int_equal(query_int(s, "SELECT count(*) FROM pg_cursors WHERE name LIKE"
                                          " 'cutover_c%' AND statement NOT LIKE '%pg_cursors%'"),
                             1);
        }
    }
    assert_int_equal(err.code, CO_OK);
    co_cursor_close(c);
    assert_int_equal(rows, 200000);
    assert_true(sum == 200000LL * 200001 / 2);
    if (getenv("CUTOVER_TEST_VERBOSE"))
        fprintf(stderr, "streaming: memory grew by %ld KB\n", peak - start);
    if (peak - start > 64 * 1024)
        fail_msg("memory grew by %ld KB while streaming", peak - start);
    /* Every cursor is closed, and its transaction ended. */
    assert_int_equal(query_int(s, "SELECT count(*) FROM pg_cursors"), 1);
    co_store_close(s);
}

static void cursors_outlive_a_commit(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE held (id int)");
    co_cursor *c;
    assert_int_equal(co_store_query(s, "SELECT g FROM generate_series(1, 25000) g", NULL, 0, &c,
                                    &err),
                     CO_OK);
    bool has_row;
    int64_t n = 0;
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    n++;
    /* While the cursor holds a transaction of its own: a failing statement
     * does not end it, a statement that works is committed at once. */
    assert_int_equal(co_store_exec(s, "INSERT INTO held VALUES ('x')", &err), CO_ETARGET);
    assert_string_equal(err.sqlstate, "22P02");
    co_error_clear(&err);
    exec_ok(s, "INSERT INTO held VALUES (1)");
    co_store *other = open_db(CO_SIDE_TARGET);
    assert_int_equal(query_int(other, "SELECT count(*) FROM held"), 1);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    n++;
    /* A transaction of the caller's while the cursor is open, committed. */
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    exec_ok(s, "INSERT INTO held VALUES (2)");
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    assert_int_equal(query_int(other, "SELECT count(*) FROM held"), 2);
    while (co_cursor_next(c, &has_row, &err) == CO_OK && has_row)
        n++;
    assert_int_equal(err.code, CO_OK);
    assert_int_equal(n, 25000);
    co_cursor_close(c);
    /* Rolled back, a transaction leaves nothing. */
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    exec_ok(s, "INSERT INTO held VALUES (3)");
    co_store_rollback(s);
    assert_int_equal(query_int(other, "SELECT count(*) FROM held"), 2);
    assert_int_equal(co_store_commit(s, &err), CO_ETARGET); /* none is open */
    /* A cursor declared in a transaction that rolls back ends with it, and says so. */
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    assert_int_equal(co_store_query(s, "SELECT g FROM generate_series(1, 25000) g", NULL, 0, &c,
                                    &err),
                     CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    co_store_rollback(s);
    while (co_cursor_next(c, &has_row, &err) == CO_OK && has_row)
        ;
    assert_int_equal(err.code, CO_ETARGET);
    assert_non_null(strstr(err.message, "rolled back"));
    co_cursor_close(c);
    assert_int_equal(query_int(s, "SELECT count(*) FROM pg_cursors"), 1);
    co_store_close(other);
    co_store_close(s);
}

/* ---- loading ------------------------------------------------------------------------ */

#define MAX_IDS 20000

/* What a loader reported, by the row's id (column 0). */
typedef struct report {
    int seen[MAX_IDS]; /* times each id was reported */
    int64_t loaded, refused;
    struct {
        int64_t id;
        char rule[32], sqlstate[6], reason[256];
    } refusals[32];
    size_t nrefusals;
} report;

static void note(report *r, const co_value *row)
{
    int64_t id = row[0].type == CO_INT ? row[0].i : -1;
    if (id >= 0 && id < MAX_IDS)
        r->seen[id]++;
}

static void on_loaded(void *ctx, const co_value *row, size_t ncols)
{
    (void)ncols;
    report *r = ctx;
    r->loaded++;
    note(r, row);
}

static void on_refused(void *ctx, const co_value *row, size_t ncols, const char *rule,
                       const char *reason, const char *sqlstate)
{
    (void)ncols;
    report *r = ctx;
    r->refused++;
    note(r, row);
    if (r->nrefusals < 32) {
        r->refusals[r->nrefusals].id = row[0].type == CO_INT ? row[0].i : -1;
        snprintf(r->refusals[r->nrefusals].rule, 32, "%s", rule);
        snprintf(r->refusals[r->nrefusals].sqlstate, 6, "%s", sqlstate);
        snprintf(r->refusals[r->nrefusals].reason, 256, "%s", reason);
        r->nrefusals++;
    }
}

static void loads_tricky_values_exactly(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE tricky (id int PRIMARY KEY, t text, b bytea, n numeric,"
               " r float8, ts timestamptz, arr text[], flag boolean, j jsonb)");
    static const char blob[] = {'\0', '\\', '\n', 'x', '\0', (char)0xff};
    static const char *texts[] = {"", "a\\b\\\\c", "tab\there", "line\nbreak\r\nend", "Łódź ✓ 😀",
                                  "\\N", "\\.", "'quoted' \"double\"", ",;|"};
    const size_t ntexts = sizeof texts / sizeof *texts;
    static const char *const columns[] = {"id", "t", "b", "n", "r", "ts", "arr", "flag", "j"};
    report *rep = calloc(1, sizeof *rep);
    co_load_events events = {on_loaded, on_refused, rep};
    co_loader *l;
    assert_int_equal(co_loader_open(s, "tricky", columns, 9, &events, &l, &err), CO_OK);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    for (size_t i = 0; i < ntexts + 2; i++) {
        co_value row[9];
        row[0] = co_int((int64_t)i);
        row[1] = i < ntexts ? co_text(texts[i], strlen(texts[i])) : co_null();
        co_value bv = {0};
        bv.type = CO_BLOB;
        bv.s = blob;
        bv.len = i == 1 ? 0 : sizeof blob;
        row[2] = i == ntexts ? co_null() : bv;
        row[3] = co_text("123456789012345678901234567890.000000000000000001",
                         strlen("123456789012345678901234567890.000000000000000001"));
        row[4] = i == 0 ? co_real(0.1) : i == 1 ? co_real(-1e300) : co_real(1.0 / 3.0);
        row[5] = co_text("2026-01-31T23:30:00+05:30", strlen("2026-01-31T23:30:00+05:30"));
        row[6] = co_text("{a,\"b\\\\c\",NULL,\"\"}", strlen("{a,\"b\\\\c\",NULL,\"\"}"));
        row[7] = co_int(i % 2);
        row[8] = co_text("{\"k\": \"v\\tw\"}", strlen("{\"k\": \"v\\tw\"}"));
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(rep->loaded, (int64_t)ntexts + 2);
    assert_int_equal(rep->refused, 0);

    co_cursor *c;
    assert_int_equal(co_store_query(s, "SELECT id, t, b, n::text, r, ts, arr[2], arr[3] IS NULL,"
                                       " arr[4], flag, j->>'k', cardinality(arr) FROM tricky ORDER BY id",
                                    NULL, 0, &c, &err),
                     CO_OK);
    bool has_row;
    for (size_t i = 0; i < ntexts + 2; i++) {
        assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
        assert_true(has_row);
        assert_int_equal(co_cursor_value(c, 0).i, (int64_t)i);
        co_value t = co_cursor_value(c, 1);
        if (i < ntexts) {
            assert_int_equal(t.type, CO_TEXT);
            assert_int_equal(t.len, strlen(texts[i]));
            assert_memory_equal(t.s, texts[i], t.len);
        } else {
            assert_int_equal(t.type, CO_NULL); /* NULL stays NULL, '' stays '' */
        }
        co_value b = co_cursor_value(c, 2);
        if (i == ntexts) {
            assert_int_equal(b.type, CO_NULL);
        } else {
            assert_int_equal(b.type, CO_BLOB);
            assert_int_equal(b.len, i == 1 ? 0 : sizeof blob);
            if (b.len)
                assert_memory_equal(b.s, blob, sizeof blob);
        }
        expect_text(c, 3, "123456789012345678901234567890.000000000000000001");
        double want = i == 0 ? 0.1 : i == 1 ? -1e300 : 1.0 / 3.0;
        assert_true(co_cursor_value(c, 4).r == want);
        expect_text(c, 5, "2026-01-31 18:00:00+00");
        expect_text(c, 6, "b\\c");
        assert_int_equal(co_cursor_value(c, 7).i, 1);
        expect_text(c, 8, "");
        assert_int_equal(co_cursor_value(c, 9).i, (int64_t)(i % 2));
        expect_text(c, 10, "v\tw");
        assert_int_equal(co_cursor_value(c, 11).i, 4);
    }
    co_cursor_close(c);
    free(rep);
    co_store_close(s);
}

static int64_t find_refusal(const report *r, int64_t id)
{
    for (size_t i = 0; i < r->nrefusals; i++)
        if (r->refusals[i].id == id)
            return (int64_t)i;
    return -1;
}

static void expect_refusal(const report *r, int64_t id, const char *rule, const char *sqlstate,
                           const char *in_reason)
{
    int64_t i = find_refusal(r, id);
    if (i < 0)
        fail_msg("row %lld was not refused", (long long)id);
    assert_string_equal(r->refusals[i].rule, rule);
    assert_string_equal(r->refusals[i].sqlstate, sqlstate);
    if (!strstr(r->refusals[i].reason, in_reason))
        fail_msg("row %lld: [%s] not in [%s]", (long long)id, in_reason, r->refusals[i].reason);
}

/* 10,000 rows in which a duplicate key, a NULL for a NOT NULL column, a CHECK
 * violation, a too-long varchar and invalid UTF-8 hide: exactly those are
 * refused, with the right rule and SQLSTATE, and every other row loads. */
static void isolates_refused_rows(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE people (id int PRIMARY KEY, name varchar(20) NOT NULL,"
               " age int CONSTRAINT age_is_sane CHECK (age BETWEEN 0 AND 150), code int UNIQUE)");
    static const char *const columns[] = {"id", "name", "age", "code"};
    report *rep = calloc(1, sizeof *rep);
    co_load_events events = {on_loaded, on_refused, rep};
    co_loader *l;
    assert_int_equal(co_loader_open(s, "people", columns, 4, &events, &l, &err), CO_OK);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    char name[64];
    for (int64_t id = 1; id <= 10000; id++) {
        snprintf(name, sizeof name, "person %lld", (long long)id);
        co_value row[4] = {co_int(id), co_text(name, strlen(name)), co_int(id % 100),
                           co_int(id)};
        if (id == 1234)
            row[3] = co_int(17); /* the code of row 17: unique violation */
        if (id == 4321)
            row[1] = co_null();
        if (id == 6000)
            row[2] = co_int(-4);
        if (id == 7777)
            row[1] = co_text("a name much longer than twenty", 30);
        if (id == 8888)
            row[1] = co_text("bad \x96 byte", 10);
        if (id == 9999)
            row[2] = co_text("not a number", 12);
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(rep->refused, 6);
    assert_int_equal(rep->loaded, 9994);
    for (int64_t id = 1; id <= 10000; id++)
        if (rep->seen[id] != 1)
            fail_msg("row %lld reported %d times", (long long)id, rep->seen[id]);
    expect_refusal(rep, 1234, "duplicate_key", "23505", "people_code_key");
    expect_refusal(rep, 4321, "not_null", "23502", "name");
    expect_refusal(rep, 6000, "check", "23514", "age_is_sane");
    expect_refusal(rep, 7777, "too_big", "22001", "character varying(20)");
    expect_refusal(rep, 8888, "invalid_utf8", "22021", "0x96");
    expect_refusal(rep, 9999, "type", "22P02", "integer");
    assert_int_equal(query_int(s, "SELECT count(*) FROM people"), 9994);
    assert_int_equal(query_int(s, "SELECT count(*) FROM people WHERE id IN (1234, 4321, 6000, 7777, 8888, 9999)"), 0);

    /* A duplicate of a row already in the table, many rows later, and rows
     * put and then discarded (before a rollback) are never applied. */
    memset(rep, 0, sizeof *rep);
    assert_int_equal(co_loader_open(s, "people", columns, 4, &events, &l, &err), CO_OK);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    for (int64_t id = 10001; id <= 10100; id++) {
        co_value row[4] = {co_int(id == 10050 ? 5 : id), co_text("x", 1), co_int(1), co_int(id)};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_value dropped[4] = {co_int(19999), co_text("y", 1), co_int(1), co_int(19999)};
    assert_int_equal(co_loader_put(l, dropped, &err), CO_OK);
    co_loader_discard(l);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(rep->loaded, 99);
    assert_int_equal(rep->refused, 1);
    assert_int_equal(rep->seen[5], 1);
    assert_int_equal(rep->seen[19999], 0);
    expect_refusal(rep, 5, "duplicate_key", "23505", "people_pkey");
    assert_int_equal(query_int(s, "SELECT count(*) FROM people"), 9994 + 99);

    /* Without events, a refused row is an error with its SQLSTATE. */
    assert_int_equal(co_loader_open(s, "people", columns, 4, NULL, &l, &err), CO_OK);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    co_value dup[4] = {co_int(1), co_text("z", 1), co_int(1), co_int(123456)};
    assert_int_equal(co_loader_put(l, dup, &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_ETARGET);
    assert_string_equal(err.sqlstate, "23505");
    assert_non_null(strstr(err.message, "target: "));
    co_store_rollback(s);
    co_loader_close(l);

    /* Loading a table or column that does not exist is an error at open. */
    assert_int_equal(co_loader_open(s, "nobody", columns, 4, &events, &l, &err), CO_ETARGET);
    static const char *const wrong[] = {"id", "nope"};
    assert_int_equal(co_loader_open(s, "people", wrong, 2, &events, &l, &err), CO_ETARGET);
    assert_non_null(strstr(err.message, "nope"));
    free(rep);
    co_store_close(s);
}

/* A row a trigger drops, and a batch where every row is refused. */
static void dropped_and_all_refused(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE picky (id int PRIMARY KEY, v int CHECK (v > 0));"
               " CREATE FUNCTION drop_thousands() RETURNS trigger LANGUAGE plpgsql AS"
               " $$ BEGIN IF NEW.id % 1000 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$;"
               " CREATE TRIGGER picky_drop BEFORE INSERT ON picky FOR EACH ROW"
               " EXECUTE FUNCTION drop_thousands()");
    static const char *const columns[] = {"id", "v"};
    report *rep = calloc(1, sizeof *rep);
    co_load_events events = {on_loaded, on_refused, rep};
    co_loader *l;
    assert_int_equal(co_loader_open(s, "picky", columns, 2, &events, &l, &err), CO_OK);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    for (int64_t id = 1; id <= 5000; id++) {
        co_value row[2] = {co_int(id), co_int(1)};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(rep->loaded, 4995);
    assert_int_equal(rep->refused, 5);
    expect_refusal(rep, 3000, "ignored", "", "trigger");
    /* Every row of a batch refused: each is reported, none loads. */
    memset(rep, 0, sizeof *rep);
    for (int64_t id = 10001; id <= 12000; id++) {
        co_value row[2] = {co_int(id), co_int(-1)};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(rep->loaded, 0);
    assert_int_equal(rep->refused, 2000);
    for (int64_t id = 10001; id <= 12000; id++)
        assert_int_equal(rep->seen[id], 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM picky"), 4995);
    free(rep);
    co_store_close(s);
}

/* A lost connection ends loading with an error naming the side and SQLSTATE. */
static void lost_connection_ends_loading(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE lost (id int)");
    int64_t pid = query_int(s, "SELECT pg_backend_pid()");
    static const char *const columns[] = {"id"};
    report *rep = calloc(1, sizeof *rep);
    co_load_events events = {on_loaded, on_refused, rep};
    co_loader *l;
    assert_int_equal(co_loader_open(s, "lost", columns, 1, &events, &l, &err), CO_OK);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    co_value row[1] = {co_int(1)};
    assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    co_store *killer = open_db(CO_SIDE_STATE);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    exec_ok(killer, sql);
    co_store_close(killer);
    usleep(200 * 1000);
    assert_int_equal(co_loader_flush(l, &err), CO_ETARGET);
    assert_non_null(strstr(err.message, "target: "));
    assert_true(err.sqlstate[0] != '\0');
    assert_int_equal(rep->loaded + rep->refused, 0);
    co_loader_close(l);
    co_store_rollback(s);
    free(rep);
    co_store_close(s);
}

/* ---- the catalog -------------------------------------------------------------------- */

static void columns_as_declared(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE SCHEMA crm; CREATE TABLE crm.\"We\"\"ird\" (id bigint PRIMARY KEY,"
               " name varchar(100) NOT NULL, price numeric(10,2), at timestamptz, tags text[]);"
               " CREATE TABLE plain (a int, b text NOT NULL)");
    co_column *cols;
    size_t n;
    assert_int_equal(co_store_columns(s, "crm.We\"ird", &cols, &n, &err), CO_OK);
    assert_int_equal(n, 5);
    assert_string_equal(cols[0].name, "id");
    assert_string_equal(cols[0].decl_type, "bigint");
    assert_true(cols[0].primary_key);
    assert_string_equal(cols[1].name, "name");
    assert_string_equal(cols[1].decl_type, "character varying(100)");
    assert_true(cols[1].notnull);
    assert_false(cols[1].primary_key);
    assert_string_equal(cols[2].decl_type, "numeric(10,2)");
    assert_false(cols[2].notnull);
    assert_string_equal(cols[3].decl_type, "timestamp with time zone");
    assert_string_equal(cols[4].decl_type, "text[]");
    co_columns_free(cols, n);
    assert_int_equal(co_store_columns(s, "plain", &cols, &n, &err), CO_OK);
    assert_int_equal(n, 2);
    co_columns_free(cols, n);
    assert_int_equal(co_store_columns(s, "public.plain", &cols, &n, &err), CO_OK);
    co_columns_free(cols, n);
    assert_int_equal(co_store_columns(s, "absent", &cols, &n, &err), CO_ENOTFOUND);
    assert_int_equal(co_store_columns(s, "nope.absent", &cols, &n, &err), CO_ENOTFOUND);
    co_buf q = CO_BUF_INIT;
    co_store_quote_ident(s, "we\"ird", &q);
    assert_string_equal(co_buf_str(&q), "\"we\"\"ird\"");
    Co_buf_release(&q);
    co_store_close(s);
}

/* A source gets the normalizers; unqualified calls reach them, other text
 * that looks like a call does not change. */
static void normalizers_on_a_source(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    co_cursor *c;
    assert_int_equal(co_store_query(s,
                                    "SELECT casefold('Stra\xc3\x9f" "e'), Name_Norm ( 'M\xc3\xbcller-L'),"
                                    " email_norm('J.Doe+x@GoogleMail.com'), domain_norm('xn--mnchen-3ya.de'),"
                                    " 'casefold(x)' AS \"casefold(\", /* casefold( */ cutover_norm.casefold('A')",
                                    NULL, 0, &c, &err),
                     CO_OK);
    bool has_row;
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    const char *want[] = {"strasse", "muller l", "jdoe@gmail.com", "m\xc3\xbcnchen.de", "casefold(x)", "a"};
    for (size_t i = 0; i < 6; i++) {
        co_value v = co_cursor_value(c, i);
        assert_int_equal(v.type, CO_TEXT);
        assert_memory_equal(v.s, want[i], strlen(want[i]));
        assert_int_equal(v.len, strlen(want[i]));
    }
    co_cursor_close(c);
    co_store_close(s);
}

typedef struct reads {
    char seen[16][64];
    size_t n;
} reads;

static void on_read(void *ctx, const char *table, const char *column)
{
    reads *r = ctx;
    char pair[64];
    snprintf(pair, sizeof pair, "%s.%s", table, column);
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->seen[i], pair) == 0)
            return;
    if (r->n < 16)
        snprintf(r->seen[r->n++], 64, "%s", pair);
}

static bool was_read(const reads *r, const char *pair)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->seen[i], pair) == 0)
            return true;
    return false;
}

static void reads_of_a_query(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_allow_writes(s, &err), CO_OK);
    exec_ok(s, "CREATE TABLE camp (id int, account_id int, subject text, unused text);"
               " CREATE TABLE ev (id int, campaign_id int, kind text, \"Odd Name\" text)");
    reads r = {0};
    assert_int_equal(co_store_query_reads(s, "SELECT e.id, lower(e.kind), c.subject, e.\"Odd Name\""
                                             " FROM camp c JOIN ev e ON e.campaign_id = c.id"
                                             " WHERE c.account_id = :tenant",
                                          on_read, &r, &err),
                     CO_OK);
    assert_true(was_read(&r, "ev.id"));
    assert_true(was_read(&r, "ev.kind"));
    assert_true(was_read(&r, "ev.campaign_id"));
    assert_true(was_read(&r, "ev.Odd Name"));
    assert_true(was_read(&r, "camp.subject"));
    assert_true(was_read(&r, "camp.account_id"));
    assert_true(was_read(&r, "camp.id"));
    assert_false(was_read(&r, "camp.unused"));
    assert_int_equal(co_store_query_reads(s, "SELECT nope FROM camp", on_read, &r, &err),
                     CO_ESOURCE);
    assert_string_equal(err.sqlstate, "42703");
    co_store_close(s);
}

/* A query of one table: PostgreSQL's plan names its columns bare. */
static void reads_of_a_single_table(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_allow_writes(s, &err), CO_OK);
    exec_ok(s, "CREATE TABLE sing (id int, kind text, \"text\" text, unused text)");
    reads r = {0};
    assert_int_equal(co_store_query_reads(s, "SELECT id::text, lower(kind) FROM sing ORDER BY id",
                                          on_read, &r, &err),
                     CO_OK);
    assert_true(was_read(&r, "sing.id"));
    assert_true(was_read(&r, "sing.kind"));
    assert_false(was_read(&r, "sing.text")); /* the type of a cast */
    assert_false(was_read(&r, "sing.unused"));
    co_store_close(s);
}

/* The catalog: tables by name (no partitions, nothing of other schemas),
 * columns as SELECT * gives them. */
static void catalog_reads(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_allow_writes(s, &err), CO_OK);
    exec_ok(s, "CREATE SCHEMA IF NOT EXISTS elsewhere;"
               " CREATE TABLE elsewhere.cat_hidden (id int);"
               " CREATE TABLE cat_b (id int PRIMARY KEY, n int, twice int GENERATED ALWAYS AS (n * 2) STORED);"
               " CREATE TABLE cat_a (id int) PARTITION BY RANGE (id);"
               " CREATE TABLE cat_a1 PARTITION OF cat_a FOR VALUES FROM (0) TO (100)");
    co_table_info *t = NULL;
    size_t n = 0;
    assert_int_equal(co_store_tables(s, &t, &n, &err), CO_OK);
    int a = -1, b = -1;
    for (size_t i = 0; i < n; i++) {
        assert_null(t[i].row_id);
        assert_null(t[i].create_sql);
        assert_false(t[i].virtual_table);
        assert_string_not_equal(t[i].name, "cat_a1");
        assert_string_not_equal(t[i].name, "cat_hidden");
        if (i > 0)
            assert_true(strcmp(t[i - 1].name, t[i].name) < 0);
        if (strcmp(t[i].name, "cat_a") == 0)
            a = (int)i;
        if (strcmp(t[i].name, "cat_b") == 0)
            b = (int)i;
    }
    assert_true(a >= 0 && b == a + 1);
    co_tables_free(t, n);
    co_column *cols = NULL;
    assert_int_equal(co_store_select_columns(s, "cat_b", &cols, &n, &err), CO_OK);
    assert_int_equal(n, 3);
    assert_string_equal(cols[2].name, "twice");
    assert_string_equal(cols[2].decl_type, "integer");
    co_columns_free(cols, n);
    assert_int_equal(co_store_select_columns(s, "cat_none", &cols, &n, &err), CO_ENOTFOUND);
    co_store_close(s);
}

/* A table's indexes from pg_index, ordered only as B-trees in the column's
 * collation and default operator class; the distinct values of a column
 * read by a skip scan only where such an index of every row leads with it,
 * the same rows as SELECT DISTINCT (NULL included; a uuid, which has no
 * min()). */
static void indexes_and_skip_scans(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE ix (id int PRIMARY KEY, tenant bigint, name text, code text,"
               " part int, u uuid);"
               "CREATE INDEX ix_tenant ON ix (tenant, name);"
               "CREATE INDEX ix_name ON ix (name text_pattern_ops);"
               "CREATE INDEX ix_code ON ix USING hash (code);"
               "CREATE INDEX ix_part ON ix (part) WHERE part > 1;"
               "CREATE INDEX ix_expr ON ix (lower(code), id);"
               "CREATE INDEX ix_u ON ix (u DESC);"
               "INSERT INTO ix SELECT i, CASE WHEN i % 50 = 0 THEN NULL ELSE i % 7 END,"
               " 'n' || (i % 3), 'c' || (i % 4), i % 5,"
               " CASE WHEN i % 9 = 0 THEN NULL ELSE"
               " ('00000000-0000-0000-0000-00000000000' || (i % 4))::uuid END"
               " FROM generate_series(1, 300) AS i");
    co_index *ix = NULL;
    size_t n = 0;
    assert_int_equal(co_store_indexes(s, "ix", &ix, &n, &err), CO_OK);
    assert_int_equal(n, 7);
    const co_index *tenant = index_named(ix, n, "ix_tenant");
    assert_int_equal(tenant->ncolumns, 2);
    assert_string_equal(tenant->columns[0], "tenant");
    assert_string_equal(tenant->columns[1], "name");
    assert_true(tenant->ordered && !tenant->partial && !tenant->unique);
    assert_true(index_named(ix, n, "ix_pkey")->unique && index_named(ix, n, "ix_pkey")->ordered);
    assert_false(index_named(ix, n, "ix_name")->ordered); /* not the default operator class */
    assert_false(index_named(ix, n, "ix_code")->ordered); /* a hash */
    assert_true(index_named(ix, n, "ix_part")->partial);
    const co_index *expr = index_named(ix, n, "ix_expr");
    assert_true(expr->columns[0] == NULL && !expr->ordered);
    assert_true(index_named(ix, n, "ix_u")->ordered); /* descending walks too */
    co_indexes_free(ix, n);

    struct {
        const char *column;
        bool skip;
    } cases[] = {{"tenant", true}, {"name", false}, {"code", false}, {"part", false},
                 {"u", true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_distinct_as_plain(s, "ix", cases[i].column, cases[i].skip);
    co_buf sql = CO_BUF_INIT;
    co_store_distinct_sql(s, "ix", "tenant", &sql, NULL);
    char got[4096];
    distinct_rows(s, co_buf_str(&sql), got, sizeof got);
    assert_string_equal(got, "0 1 2 3 4 5 6 NULL");
    exec_ok(s, "TRUNCATE ix");
    distinct_rows(s, co_buf_str(&sql), got, sizeof got);
    assert_string_equal(got, "");
    Co_buf_release(&sql);
    /* a table that does not exist has no index: SELECT DISTINCT, which says so */
    co_buf none = CO_BUF_INIT;
    bool skip = true;
    co_store_distinct_sql(s, "ix_none", "tenant", &none, &skip);
    assert_false(skip);
    Co_buf_release(&none);
    co_store_close(s);
}

/* The number of columns and of constraints co_store_columns and
 * co_store_constraints give for table. */
static void catalog_counts(co_store *s, const char *table, size_t *ncols, size_t *nks)
{
    co_error err;
    co_error_clear(&err);
    co_column *cols = NULL;
    co_constraint *ks = NULL;
    if (co_store_columns(s, table, &cols, ncols, &err) != CO_OK)
        fail_msg("columns of %s: %s", table, err.message);
    co_columns_free(cols, *ncols);
    if (co_store_constraints(s, table, &ks, nks, &err) != CO_OK)
        fail_msg("constraints of %s: %s", table, err.message);
    co_constraints_free(ks, *nks);
}

/* A table's columns and constraints are read once per connection and kept:
 * what another connection changes shows after CO_PG_CATALOG_TTL (60 s);
 * what this one changes (CREATE, ALTER, DROP, a rollback) shows at once;
 * a table that is missing is asked again. */
static void catalog_kept(void **state)
{
    (void)state;
    setenv("CUTOVER_NOW", "2026-01-15T00:00:00Z", 1);
    co_store *s = open_db(CO_SIDE_TARGET), *other = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE kept (id int PRIMARY KEY, a text CHECK (a <> ''))");
    size_t ncols, nks;
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 2);
    assert_int_equal(nks, 2);
    /* a copy each time: the caller's array is its own */
    co_constraint *ks = NULL;
    assert_int_equal(co_store_constraints(s, "kept", &ks, &nks, &err), CO_OK);
    assert_int_equal(nks, 2);
    co_constraints_free(ks, nks);
    exec_ok(other, "ALTER TABLE kept ADD COLUMN b int, ADD CONSTRAINT kept_a UNIQUE (a)");
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 2); /* kept */
    assert_int_equal(nks, 2);
    setenv("CUTOVER_NOW", "2026-01-15T00:00:30Z", 1);
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 2);
    setenv("CUTOVER_NOW", "2026-01-15T00:01:01Z", 1); /* older than 60 s: read again */
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 3);
    assert_int_equal(nks, 3);
    /* this connection's own DDL */
    exec_ok(s, "ALTER TABLE kept ADD COLUMN c int");
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 4);
    co_param none[1] = {{":x", co_int(1)}};
    assert_int_equal(co_store_exec_params(s, "alter table kept drop column c", none, 0, NULL, &err),
                     CO_OK);
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 3);
    /* undone by a rollback */
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    exec_ok(s, "ALTER TABLE kept ADD COLUMN d int");
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 4);
    co_store_rollback(s);
    catalog_counts(s, "kept", &ncols, &nks);
    assert_int_equal(ncols, 3);
    /* a missing table is not remembered as missing */
    co_column *cols = NULL;
    assert_int_equal(co_store_columns(s, "kept_later", &cols, &ncols, &err), CO_ENOTFOUND);
    exec_ok(other, "CREATE TABLE kept_later (x int)");
    catalog_counts(s, "kept_later", &ncols, &nks);
    assert_int_equal(ncols, 1);
    assert_int_equal(nks, 0);
    /* a change by the other connection seen through a statement of this one
     * that names DROP: what was kept goes */
    exec_ok(other, "ALTER TABLE kept_later ADD COLUMN y int");
    exec_ok(s, "DROP TABLE IF EXISTS kept_never");
    catalog_counts(s, "kept_later", &ncols, &nks);
    assert_int_equal(ncols, 2);
    co_store_close(other);
    co_store_close(s);
    unsetenv("CUTOVER_NOW");
}

/* The month of a date, timestamp or timestamptz column computed from its
 * type is the month co_store_month_sql gives through its text, for every
 * value (NULL, infinite, BC, five-digit years, the ends of months, a
 * daylight-saving gap) in every session time zone. */
static void typed_months_as_text(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE tm (tz timestamptz, tz3 timestamp(3) with time zone,"
               " ts timestamp, ts0 timestamp(0) without time zone, d date);"
               " INSERT INTO tm (tz) VALUES (NULL), ('infinity'), ('-infinity'),"
               " ('0044-03-15 12:00:00+00 BC'), ('0001-01-01 00:00:00+00'),"
               " ('2026-01-31 23:30:00+00'), ('2026-02-28 23:59:59.999999+00'),"
               " ('2026-03-01 00:00:00+00'), ('2026-03-29 01:30:00+00'), ('2026-06-30 22:00:00+00'),"
               " ('2026-12-31 15:00:00+00'), ('9999-12-31 09:00:00+00'), ('9999-12-31 23:59:59+00'),"
               " ('10000-01-01 00:00:00+00'), ('294276-12-31 23:59:59+00');"
               " UPDATE tm SET tz3 = tz, ts = tz AT TIME ZONE 'UTC', ts0 = tz AT TIME ZONE 'UTC',"
               " d = (tz AT TIME ZONE 'UTC')::date;"
               " INSERT INTO tm (d) VALUES ('5874897-12-31'), ('4713-01-01 BC')");
    const char *const cols[] = {"tz", "tz3", "ts", "ts0", "d"};
    const char *const decls[] = {"timestamp with time zone", "timestamp(3) with time zone",
                                 "timestamp without time zone", "timestamp(0) without time zone",
                                 "date"};
    const char *const zones[] = {"UTC", "Asia/Tokyo", "America/New_York", "Europe/Amsterdam",
                                 "Pacific/Kiritimati", "Pacific/Pago_Pago"};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        char set[96];
        snprintf(set, sizeof set, "SET TimeZone = '%s'", zones[z]);
        exec_ok(s, set);
        for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
            co_buf text = CO_BUF_INIT, typed = CO_BUF_INIT, q = CO_BUF_INIT;
            co_store_month_sql(s, cols[c], &text);
            assert_false(co_store_month_typed_sql(s, cols[c], decls[c], &typed));
            assert_null(strstr(co_buf_str(&typed), "::text")); /* not through text */
            Co_buf_printf(&q, "SELECT count(*) FROM tm WHERE %s IS DISTINCT FROM %s",
                          co_buf_str(&text), co_buf_str(&typed));
            if (query_int(s, co_buf_str(&q)) != 0)
                fail_msg("%s in %s: months differ", cols[c], zones[z]);
            Co_buf_reset(&q);
            Co_buf_printf(&q, "SELECT count(%s) FROM tm", co_buf_str(&typed));
            assert_true(query_int(s, co_buf_str(&q)) >= 8);
            Co_buf_release(&text);
            Co_buf_release(&typed);
            Co_buf_release(&q);
        }
    }
    exec_ok(s, "SET TimeZone = 'UTC'");
    /* text, an unknown type and a domain keep the parse, and say so */
    const char *const others[] = {"text", "", "character varying(20)", "my_domain"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        co_buf text = CO_BUF_INIT, typed = CO_BUF_INIT;
        co_store_month_sql(s, "x", &text);
        assert_true(co_store_month_typed_sql(s, "x", others[i], &typed)); /* parses text */
        assert_string_equal(co_buf_str(&text), co_buf_str(&typed));
        Co_buf_release(&text);
        Co_buf_release(&typed);
    }
    co_store_close(s);
}

/* The month of one text value by sql_fn's SQL: *text (at most cap bytes;
 * "NULL" for NULL) and true, or false when the query fails. */
static bool text_month(co_store *s, const char *value, bool new_sql, char *text, size_t cap)
{
    co_buf q = CO_BUF_INIT, lit = CO_BUF_INIT;
    if (value)
        Co_buf_printf(&lit, "'%s'::text", value);
    else
        Co_buf_adds(&lit, "NULL::text");
    Co_buf_adds(&q, "SELECT ");
    if (new_sql)
        co_store_month_sql(s, co_buf_str(&lit), &q);
    else /* the parse as it was: every text that starts like a date, read */
        Co_buf_printf(&q, "(CASE WHEN (%s)::text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN "
                      "to_char(((%s)::text)::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM') END)",
                      co_buf_str(&lit), co_buf_str(&lit));
    co_error err;
    co_error_clear(&err);
    co_cursor *c = NULL;
    bool has_row = false, ok = co_store_query(s, co_buf_str(&q), NULL, 0, &c, &err) == CO_OK &&
                               co_cursor_next(c, &has_row, &err) == CO_OK && has_row;
    if (ok) {
        co_value v = co_cursor_value(c, 0);
        snprintf(text, cap, "%.*s", v.type == CO_TEXT ? (int)v.len : 4,
                 v.type == CO_TEXT ? v.s : "NULL");
    }
    co_cursor_close(c);
    Co_buf_release(&q);
    Co_buf_release(&lit);
    return ok;
}

/* The i-th of the odd times: a date and a time of day (into value) for each
 * pair of dates x times, then the others. */
static const char *odd_time(size_t i, const char *const *dates, size_t nd,
                            const char *const *times, size_t nt, const char *const *others,
                            char *value, size_t cap)
{
    if (i >= nd * nt)
        return others[i - nd * nt];
    snprintf(value, cap, "%s%s", dates[i / nt], times[i % nt]);
    return value;
}

/* The month of text is the month the parse gives (a cast to timestamptz, at
 * UTC) for every value it reads, in every session time zone; NULL where it
 * was NULL; and for a date no calendar has, where the parse failed the
 * query, CO_STORE_MONTH_INVALID and the text. Odd values: the ends of months
 * and of leap and not leap Februaries, offsets that cross a month at UTC,
 * 24:00, a leap second, fractions that round into the next month, BC, named
 * zones, 'T' or a space, text that is no date. */
static void text_months_as_parsed(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    const char *const dates[] = {"2026-01-01", "2026-01-02", "2026-01-27", "2026-01-28",
                                 "2026-01-31", "2026-02-28", "2026-02-29", "2024-02-29",
                                 "2000-02-29", "2100-02-29", "2026-04-30", "2026-04-31",
                                 "2026-12-31", "2026-13-05", "2026-00-05", "2026-06-00",
                                 "2026-06-32", "0000-03-05", "0001-01-01", "9999-12-31",
                                 "2026-07-15"};
    const char *const times[] = {"", "T23:30:00Z", " 00:30:00+02:00", "T23:59:59.999999Z",
                                 "T23:59:59.9999999Z", "T23:59:60Z", "T24:00:00Z",
                                 " 23:00:00-05", "T12:00", " 10:00 America/New_York", " BC",
                                 "T01:00:00+05:30", "T22:00:00-0930", " 12:00:00+15:59",
                                 " 25:00", "x", "1", "5"};
    const char *const others[] = {"garbage", "", "2026-1-05", "20260-01-05", "abcd-ef-gh",
                                  "2026-01-0a", "2026/01/05", " 2026-01-05", "infinity",
                                  NULL};
    const char *const zones[] = {"UTC", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati"};
    size_t nd = sizeof dates / sizeof *dates, nt = sizeof times / sizeof *times;
    size_t no = sizeof others / sizeof *others, fast = 0, invalid = 0;
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        char set[64];
        snprintf(set, sizeof set, "SET TimeZone = '%s'", zones[z]);
        exec_ok(s, set);
        for (size_t i = 0; i < nd * nt + no; i++) {
            char value[64], was[80], now[80];
            const char *v = odd_time(i, dates, nd, times, nt, others, value, sizeof value);
            bool read = text_month(s, v, false, was, sizeof was);
            bool got = text_month(s, v, true, now, sizeof now);
            if (read && (!got || strcmp(was, now) != 0))
                fail_msg("[%s] in %s: the parse gives %s, now %s", v ? v : "NULL", zones[z], was,
                         got ? now : "an error");
            if (read)
                fast += strcmp(now, "NULL") != 0;
            /* a date no calendar has: a value to name, not a failed query */
            bool no_date = i < nd * nt && strcmp(times[i % nt], "1") != 0 &&
                           strcmp(times[i % nt], "5") != 0 && (strstr(dates[i / nt], "-13-") || strstr(dates[i / nt], "-00-") ||
                                           strstr(dates[i / nt], "-00") || strstr(dates[i / nt], "-32") ||
                                           strstr(dates[i / nt], "02-29") != NULL) &&
                           strcmp(dates[i / nt], "2024-02-29") != 0 &&
                           strcmp(dates[i / nt], "2000-02-29") != 0;
            no_date = no_date || (i < nd * nt && strcmp(times[i % nt], "1") != 0 &&
                                  strcmp(times[i % nt], "5") != 0 && (strcmp(dates[i / nt], "2026-04-31") == 0 ||
                                                  strncmp(dates[i / nt], "0000", 4) == 0));
            if (no_date) {
                char want[80];
                snprintf(want, sizeof want, "%s%s", CO_STORE_MONTH_INVALID, v);
                if (!got || strcmp(now, want) != 0)
                    fail_msg("[%s] in %s: expected %s, got %s", v, zones[z], want,
                             got ? now : "an error");
                invalid++;
            }
        }
    }
    assert_true(fast > 100);
    assert_int_equal(invalid, 4 * 8 * (nt - 2));
    exec_ok(s, "SET TimeZone = 'UTC'");
    co_store_close(s);
}

/* The month co_store_month_here gives of a value read from s, or "here?"
 * when it leaves the value to the server. */
static void month_here(co_store *s, const co_value *v, char *text, size_t cap)
{
    char month[8];
    if (co_store_month_here(s, v, month))
        snprintf(text, cap, "%s", month);
    else
        snprintf(text, cap, "here?");
}

/* The month computed here (verify counts the target's months from the rows
 * its content check reads) is the month SQL's, for every value it takes:
 * text (the odd values of text_months_as_parsed, NULL, and text no date),
 * and the text the server writes for date, timestamp and timestamptz
 * columns (typed_months_as_text's values), with the session's zone UTC and,
 * with PGTZ set, another; values it cannot be sure of are left to the
 * server: a date no calendar has, 24:00, leap seconds, more than 6 decimals,
 * BC, zones by name, and times without a zone when the session's is not UTC. */
static void months_here_as_sql(void **state)
{
    (void)state;
    const char *const dates[] = {"2026-01-01", "2026-01-31", "2026-02-28", "2026-02-29",
                                 "2024-02-29", "2100-02-29", "2026-04-30", "2026-04-31",
                                 "2026-12-31", "2026-13-05", "2026-06-00", "0000-03-05",
                                 "0001-01-01", "9999-12-31", "2026-07-15"};
    const char *const times[] = {"", "T23:30:00Z", " 00:30:00+02:00", "T23:59:59.999999Z",
                                 "T23:59:59.9999999Z", "T23:59:60Z", "T24:00:00Z",
                                 " 23:00:00-05", "T12:00", " 10:00 America/New_York", " BC",
                                 "T01:00:00+05:30", "T22:00:00-0930", " 12:00:00+14:59",
                                 " 12:00:00+15:59", "T00:00:00.5-01", "T23:59:59+00:00:01",
                                 " 25:00", "x", "1", "5", "T", " 00:00:00.Z", "z"};
    const char *const others[] = {"garbage", "", "2026-1-05", "20260-01-05", "2026/01/05",
                                  " 2026-01-05", "infinity", NULL};
    const char *const zones[] = {"", "Asia/Tokyo"}; /* PGTZ: unset (cutover sets UTC), set */
    size_t nd = sizeof dates / sizeof *dates, nt = sizeof times / sizeof *times;
    size_t no = sizeof others / sizeof *others;
    co_error err;
    co_error_clear(&err);
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        if (zones[z][0])
            setenv("PGTZ", zones[z], 1);
        co_store *s = open_db(CO_SIDE_TARGET);
        size_t here = 0, left = 0;
        assert_true(co_store_month_here(s, NULL, NULL));
        for (size_t i = 0; i < nd * nt + no; i++) {
            char value[64], sql[80], c[80];
            const char *v = odd_time(i, dates, nd, times, nt, others, value, sizeof value);
            co_value val = v ? co_text(v, strlen(v)) : co_null();
            month_here(s, &val, c, sizeof c);
            if (strcmp(c, "here?") == 0) {
                left++;
                continue;
            }
            here++;
            if (!text_month(s, v, true, sql, sizeof sql) || strcmp(sql, c) != 0)
                fail_msg("[%s] PGTZ=%s: SQL gives %s, here %s", v ? v : "NULL", zones[z], sql,
                         c);
        }
        /* never the invalid dates, nor a time without a zone outside UTC */
        char c[80];
        co_value bad = co_text("2026-02-29T10:00:00Z", 20), bare = co_text("2026-05-31 23:00:00", 19);
        month_here(s, &bad, c, sizeof c);
        assert_string_equal(c, "here?");
        month_here(s, &bare, c, sizeof c);
        assert_string_equal(c, zones[z][0] ? "here?" : "2026-05");
        assert_true(here > (zones[z][0] ? 40u : 80u));
        assert_true(left > 100);

        /* the text the server writes for a typed column, against its typed month */
        exec_ok(s, "DROP TABLE IF EXISTS mh;"
                   " CREATE TABLE mh (tz timestamptz, ts timestamp, d date);"
                   " INSERT INTO mh (tz) VALUES (NULL), ('infinity'), ('0044-03-15 12:00:00+00 BC'),"
                   " ('0001-01-01 00:00:00+00'), ('2026-01-31 23:30:00+00'),"
                   " ('2026-02-28 23:59:59.999999+00'), ('2026-03-01 00:00:00+00'),"
                   " ('2026-06-30 22:00:00+00'), ('2026-12-31 15:00:00+00'),"
                   " ('2026-12-31 23:45:00.123+00'), ('9999-12-31 23:59:59+00'),"
                   " ('10000-01-01 00:00:00+00'), ('1890-01-01 00:00:00+00');"
                   " UPDATE mh SET ts = tz AT TIME ZONE 'UTC', d = (tz AT TIME ZONE 'UTC')::date");
        const char *const cols[] = {"tz", "ts", "d"};
        const char *const decls[] = {"timestamp with time zone", "timestamp without time zone",
                                     "date"};
        size_t typed_here = 0;
        for (size_t k = 0; k < 3; k++) {
            co_buf q = CO_BUF_INIT;
            Co_buf_printf(&q, "SELECT %s, ", cols[k]);
            co_store_month_typed_sql(s, cols[k], decls[k], &q);
            Co_buf_adds(&q, " FROM mh");
            co_cursor *cur = NULL;
            assert_int_equal(co_store_query(s, co_buf_str(&q), NULL, 0, &cur, &err), CO_OK);
            bool has_row;
            while (co_cursor_next(cur, &has_row, &err) == CO_OK && has_row) {
                co_value val = co_cursor_value(cur, 0), m = co_cursor_value(cur, 1);
                month_here(s, &val, c, sizeof c);
                if (strcmp(c, "here?") == 0)
                    continue;
                typed_here++;
                if (m.type != CO_TEXT || strlen(c) != m.len || memcmp(c, m.s, m.len) != 0)
                    fail_msg("%s [%.*s] PGTZ=%s: SQL gives %.*s, here %s", cols[k],
                             val.type == CO_TEXT ? (int)val.len : 4,
                             val.type == CO_TEXT ? val.s : "NULL", zones[z],
                             m.type == CO_TEXT ? (int)m.len : 4, m.type == CO_TEXT ? m.s : "NULL",
                             c);
            }
            co_cursor_close(cur);
            Co_buf_release(&q);
        }
        assert_true(typed_here >= (zones[z][0] ? 6u : 24u));
        exec_ok(s, "DROP TABLE mh");
        co_store_close(s);
        unsetenv("PGTZ");
    }
}

/* Two loaders on one store, and statements between their puts. */
static void interleaves_with_other_work(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    exec_ok(s, "CREATE TABLE ia (id int PRIMARY KEY); CREATE TABLE ib (id int PRIMARY KEY)");
    static const char *const columns[] = {"id"};
    co_loader *a, *b;
    assert_int_equal(co_loader_open(s, "ia", columns, 1, NULL, &a, &err), CO_OK);
    assert_int_equal(co_loader_open(s, "ib", columns, 1, NULL, &b, &err), CO_OK);
    for (int txn = 0; txn < 2; txn++) {
        if (txn)
            assert_int_equal(co_store_begin(s, &err), CO_OK);
        for (int64_t id = 1 + txn * 1000; id <= 300 + txn * 1000; id++) {
            co_value row[1] = {co_int(id)};
            assert_int_equal(co_loader_put(a, row, &err), CO_OK);
            if (id % 3 == 0)
                assert_int_equal(co_loader_put(b, row, &err), CO_OK);
            if (id % 50 == 0) {
                if (co_store_exec(s, "SELECT 1", &err) != CO_OK)
                    fail_msg("exec between puts: %s", err.message);
                assert_int_equal(query_int(s, "SELECT 2"), 2);
            }
        }
        if (co_loader_flush(a, &err) != CO_OK)
            fail_msg("flush a: %s", err.message);
        if (co_loader_flush(b, &err) != CO_OK)
            fail_msg("flush b: %s", err.message);
        if (txn)
            assert_int_equal(co_store_commit(s, &err), CO_OK);
    }
    co_loader_close(a);
    co_loader_close(b);
    assert_int_equal(query_int(s, "SELECT count(*) FROM ia"), 600);
    assert_int_equal(query_int(s, "SELECT count(*) FROM ib"), 200);
    co_store_close(s);
}

/* The dialect operations on PostgreSQL: bytea literals, quoted key literals,
 * jsonb items, the capabilities, the journal's schema translated, and a
 * frozen tenant's writes refused by capture's PL/pgSQL triggers. */
static void dialect_and_capture(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_allow_writes(s, &err), CO_OK);
    co_caps caps = co_store_caps(s);
    assert_true(caps.row_locks && caps.failed_statement_aborts && !caps.one_file);
    exec_ok(s, "CREATE TABLE dl (k text, n int, b bytea, source_key text)");
    exec_ok(s, "INSERT INTO dl VALUES ('it''s', 7, '\\x00ff27', '[5,\"a\"]')");
    co_value blob = co_text("\x00\xff'", 3), text = co_text("it's", 4), n = co_int(7);
    blob.type = CO_BLOB;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT count(*) FROM dl WHERE b = ");
    co_store_literal(s, &blob, &sql);
    Co_buf_adds(&sql, " AND k = ");
    co_store_literal(s, &text, &sql);
    Co_buf_adds(&sql, " AND n IN (");
    co_store_key_literals(s, &n, &sql);
    Co_buf_adds(&sql, ") AND k IN (");
    co_store_key_literals(s, &text, &sql);
    Co_buf_adds(&sql, ") AND ");
    co_store_json_item_eq(s, "source_key", 0, ":a", &sql);
    Co_buf_adds(&sql, " AND ");
    co_store_json_item_eq(s, "source_key", 1, ":b", &sql);
    co_param p[] = {{":a", co_int(5)}, {":b", co_text("a", 1)}};
    int64_t count = -1;
    assert_int_equal(co_store_query_int(s, co_buf_str(&sql), p, 2, &count, NULL, &err), CO_OK);
    assert_int_equal(count, 1);
    /* the journal's schema, translated, under its lock */
    assert_int_equal(co_store_make_durable(s, &err), CO_OK);
    assert_int_equal(co_store_create_schema(s, "CREATE TABLE IF NOT EXISTS dl_runs (id INTEGER "
                                               "PRIMARY KEY, at REAL);",
                                            "test.lock", &err),
                     CO_OK);
    exec_ok(s, "INSERT INTO dl_runs (at) VALUES (1.5)");
    assert_int_equal(query_int(s, "SELECT id FROM dl_runs"), 1);
    bool exists = false;
    assert_int_equal(co_store_table_exists(s, "dl_runs", &exists, &err), CO_OK);
    assert_true(exists);
    /* capture: the triggers, a freeze that refuses a's writes, the removal */
    exec_ok(s, "CREATE TABLE dl_orders (id int PRIMARY KEY, shop text)");
    static const char *const key[] = {"id"};
    co_capture_spec spec = {"dl_orders", "{row}.shop", key, 1};
    assert_string_equal(co_store_capture_position(s), "xid");
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_install(s, &spec, 1, &err), CO_OK);
    exec_ok(s, "COMMIT");
    exec_ok(s, "INSERT INTO cutover_tenants VALUES ('a', 'now')");
    exec_ok(s, "INSERT INTO dl_orders VALUES (1, 'a'), (2, 'b')");
    assert_int_equal(query_int(s, "SELECT count(*) FROM cutover_changes"), 1);
    /* an update is one change unless its row moves (another key: its old
     * row too) */
    exec_ok(s, "UPDATE dl_orders SET shop = shop WHERE id = 1");
    assert_int_equal(query_int(s, "SELECT count(*) FROM cutover_changes"), 2);
    exec_ok(s, "UPDATE dl_orders SET id = 3 WHERE id = 1");
    exec_ok(s, "UPDATE dl_orders SET id = 1 WHERE id = 3");
    assert_int_equal(query_int(s, "SELECT count(*) FROM cutover_changes WHERE key = '[3]'"), 2);
    assert_int_equal(query_int(s, "SELECT count(*) FROM cutover_changes"), 6);
    int64_t mark = 0;
    assert_int_equal(co_store_capture_horizon(s, &mark, &err), CO_OK);
    assert_true(mark >= query_int(s, "SELECT max(xid) FROM cutover_changes"));
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_freeze(s, &spec, 1, "a", true, &err), CO_OK);
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "INSERT INTO cutover_frozen VALUES ('a', 'now', 1, %s, 60)",
                  co_store_epoch_sql(s));
    exec_ok(s, co_buf_str(&sql));
    exec_ok(s, "COMMIT");
    assert_int_not_equal(co_store_exec(s, "UPDATE dl_orders SET shop = 'a' WHERE id = 1", &err),
                         CO_OK);
    assert_non_null(strstr(err.message, "tenant a is frozen"));
    exec_ok(s, "UPDATE dl_orders SET shop = 'b' WHERE id = 2");
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_remove(s, &spec, 1, &err), CO_OK);
    exec_ok(s, "COMMIT");
    assert_int_equal(co_store_table_exists(s, "cutover_changes", &exists, &err), CO_OK);
    assert_false(exists);
    exec_ok(s, "UPDATE dl_orders SET shop = 'a' WHERE id = 1");
    Co_buf_release(&sql);
    co_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_passwords_never_show),
        cmocka_unit_test(errors_carry_side_and_sqlstate),
        cmocka_unit_test(named_parameters),
        cmocka_unit_test(every_type_maps),
        cmocka_unit_test(streams_with_bounded_memory),
        cmocka_unit_test(cursors_outlive_a_commit),
        cmocka_unit_test(loads_tricky_values_exactly),
        cmocka_unit_test(isolates_refused_rows),
        cmocka_unit_test(dropped_and_all_refused),
        cmocka_unit_test(lost_connection_ends_loading),
        cmocka_unit_test(columns_as_declared),
        cmocka_unit_test(normalizers_on_a_source),
        cmocka_unit_test(reads_of_a_query),
        cmocka_unit_test(reads_of_a_single_table),
        cmocka_unit_test(catalog_reads),
        cmocka_unit_test(catalog_kept),
        cmocka_unit_test(indexes_and_skip_scans),
        cmocka_unit_test(typed_months_as_text),
        cmocka_unit_test(text_months_as_parsed),
        cmocka_unit_test(months_here_as_sql),
        cmocka_unit_test(interleaves_with_other_work),
        cmocka_unit_test(dialect_and_capture),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
