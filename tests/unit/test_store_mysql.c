/* test_store_mysql.c: the MySQL/MariaDB backend of the store, against a real
 * server: connecting (and never showing the password, from the URI or
 * MYSQL_PWD), the strict session, errors with their side, MySQL error number
 * and SQLSTATE, parameters, type mapping, streaming with bounded memory and
 * other work meanwhile, loading with refused rows isolated (a value too long
 * or rounded is a reject, never a changed row), identifiers quoted, the
 * catalog, a read-only source, a connection that goes away, change capture
 * and its commit-safe mark. The server is
 * CUTOVER_TEST_MYSQL (a mysql:// URI); ctest runs this program through
 * tests/e2e/mysql.sh, which starts a throwaway MariaDB. Each run works in a
 * database of its own, dropped at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/store.h"
#include "util/buf.h"
#include "store_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=8"; }
#endif

static char server_uri[1024]; /* CUTOVER_TEST_MYSQL */
static char db_uri[1024];     /* the same server, this run's database */
static char db_name[64];
static char password[128];    /* the password of server_uri */

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

static int64_t query_int(co_store *s, const char *sql)
{
    co_error err;
    co_error_clear(&err);
    int64_t v = -1;
    bool found = false;
    if (co_store_query_int(s, sql, NULL, 0, &v, &found, &err) != CO_OK)
        fail_msg("query %s: %s", sql, err.message);
    assert_true(found);
    return v;
}

/* The first row's first column as text (caller frees). */
static char *query_text(co_store *s, const char *sql)
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
    char *out = v.type == CO_NULL ? NULL : strndup(v.s, v.len);
    co_cursor_close(c);
    return out;
}

static int setup(void **state)
{
    (void)state;
    const char *uri = getenv("CUTOVER_TEST_MYSQL");
    if (!uri || !*uri) {
        fprintf(stderr, "test_store_mysql: CUTOVER_TEST_MYSQL is not set; run it through "
                        "tests/e2e/mysql.sh run (ctest does)\n");
        return -1;
    }
    snprintf(server_uri, sizeof server_uri, "%s", uri);
    const char *auth = strstr(uri, "://") + 3, *at = strrchr(uri, '@');
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    snprintf(password, sizeof password, "%.*s", (int)(at - colon - 1), colon + 1);
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
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    exec_ok(s, sql);
    co_store_close(s);
    return 0;
}

/* ---- connecting and errors ---------------------------------------------------------- */

static void passwords_never_show(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    assert_string_equal(co_store_engine(s), "mysql");
    assert_null(strstr(co_store_safe_uri(s), password));
    assert_non_null(strstr(co_store_safe_uri(s), "***"));
    co_store_close(s);

    /* A wrong password: the error names the side, never the password. */
    const char *at = strrchr(db_uri, '@');
    const char *colon = memchr(strstr(db_uri, "://") + 3, ':', (size_t)(at - db_uri));
    const char *wrong = "Wr0ngSecretXyz";
    char uri[1200];
    snprintf(uri, sizeof uri, "%.*s:%s%s", (int)(colon - db_uri), db_uri, wrong, at);
    co_error err;
    co_error_clear(&err);
    s = NULL;
    assert_int_equal(co_store_open(uri, CO_SIDE_SOURCE, ".", &s, &err), CO_ESOURCE);
    assert_null(s);
    assert_non_null(strstr(err.message, "source: cannot connect"));
    assert_non_null(strstr(err.message, "Access denied"));
    assert_non_null(strstr(err.message, "MySQL error 1045"));
    assert_null(strstr(err.message, wrong));

    /* The password from MYSQL_PWD, none in the URI: it connects, and the
     * safe URI and errors never show it. */
    char bare[1200];
    snprintf(bare, sizeof bare, "%.*s%s", (int)(colon - db_uri), db_uri, at);
    setenv("MYSQL_PWD", password, 1);
    s = open_uri(bare, CO_SIDE_TARGET);
    assert_null(strstr(co_store_safe_uri(s), password));
    co_error_clear(&err);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT no_such_column_%s FROM dual", password);
    assert_int_equal(co_store_exec(s, sql, &err), CO_ETARGET);
    assert_null(strstr(err.message, password));
    assert_non_null(strstr(err.message, "***"));
    co_store_close(s);
    setenv("MYSQL_PWD", wrong, 1);
    co_error_clear(&err);
    s = NULL;
    assert_int_equal(co_store_open(bare, CO_SIDE_TARGET, ".", &s, &err), CO_ETARGET);
    assert_null(strstr(err.message, wrong));
    unsetenv("MYSQL_PWD");

    /* A bad option is refused without quoting the URI. */
    snprintf(uri, sizeof uri, "%s?colour=blue", db_uri);
    co_error_clear(&err);
    assert_int_equal(co_store_open(uri, CO_SIDE_TARGET, ".", &s, &err), CO_EPROJECT);
    assert_non_null(strstr(err.message, "colour"));
    assert_null(strstr(err.message, password));
}

static void session_is_strict(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    char *mode = query_text(s, "SELECT @@SESSION.sql_mode");
    for (const char *m = "STRICT_ALL_TABLES\0NO_ZERO_DATE\0NO_ZERO_IN_DATE\0"
                         "ERROR_FOR_DIVISION_BY_ZERO\0NO_ENGINE_SUBSTITUTION\0";
         *m; m += strlen(m) + 1)
        if (!strstr(mode, m))
            fail_msg("sql_mode %s lacks %s", mode, m);
    free(mode);
    char *tz = query_text(s, "SELECT @@SESSION.time_zone");
    assert_string_equal(tz, "+00:00");
    free(tz);
    char *cs = query_text(s, "SELECT @@SESSION.character_set_client");
    assert_string_equal(cs, "utf8mb4");
    free(cs);
    co_store_close(s);
}

static void errors_carry_side_errno_and_sqlstate(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "SELECT * FROM no_such_table", &err), CO_ETARGET);
    assert_non_null(strstr(err.message, "target: "));
    assert_non_null(strstr(err.message, "MySQL error 1146"));
    assert_string_equal(err.sqlstate, "42S02");
    exec_ok(s, "CREATE TABLE ro (id INT PRIMARY KEY)");
    co_store_close(s);

    /* A source is read-only until writes are allowed. */
    s = open_db(CO_SIDE_SOURCE);
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "INSERT INTO ro VALUES (1)", &err), CO_ESOURCE);
    assert_string_equal(err.sqlstate, "25006");
    co_error_clear(&err);
    assert_int_equal(co_store_allow_writes(s, &err), CO_OK);
    exec_ok(s, "INSERT INTO ro VALUES (1)");
    co_store_close(s);
}

/* ---- parameters and values ---------------------------------------------------------- */

static void parameters_and_types(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE t (id BIGINT UNSIGNED PRIMARY KEY, tenant VARCHAR(20), n INT,"
               " r DOUBLE, d DECIMAL(30,10), b VARBINARY(10), note TEXT, at DATETIME)");
    co_error err;
    co_error_clear(&err);
    co_param p[] = {
        {":tenant", co_text("acme", 4)},
        {":note", co_text("it's :tenant", 12)},
        {":nothing", co_null()},
    };
    assert_int_equal(co_store_exec_params(s, "INSERT INTO t VALUES (18446744073709551615, :tenant,"
                                             " 42, 0.1, 12345678901234567890.5, X'00ff', :note,"
                                             " '2026-01-31 23:30:00')",
                                          p, 3, NULL, &err),
                     CO_OK);
    long long changes = 0;
    assert_int_equal(co_store_exec_params(s, "INSERT INTO t (id, tenant, n, r, d) VALUES"
                                             " (2, :tenant, -7, 2.5, 1.25), (3, 'other', :nothing, NULL, 3)",
                                          p, 3, &changes, &err),
                     CO_OK);
    assert_int_equal(changes, 2);

    co_cursor *c;
    /* ":tenant" inside a literal stays text; "x IS ?" matches NULL. */
    co_param q[] = {{":tenant", co_text("acme", 4)}, {NULL, co_null()}};
    assert_int_equal(co_store_query(s, "SELECT id, tenant, n, r, d, b, note, at, ':tenant' AS lit"
                                       " FROM t WHERE tenant = :tenant OR n IS ? ORDER BY id",
                                    q, 2, &c, &err),
                     CO_OK);
    assert_int_equal(co_cursor_ncols(c), 9);
    assert_string_equal(co_cursor_colname(c, 1), "tenant");
    bool has_row;
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    assert_int_equal(co_cursor_value(c, 0).type, CO_INT);
    assert_int_equal(co_cursor_value(c, 0).i, 2);
    assert_int_equal(co_cursor_value(c, 2).i, -7);
    assert_int_equal(co_cursor_value(c, 3).type, CO_REAL);
    assert_true(co_cursor_value(c, 4).type == CO_REAL && co_cursor_value(c, 4).r == 1.25);
    assert_int_equal(co_cursor_value(c, 5).type, CO_NULL);
    assert_string_equal(co_cursor_value(c, 8).s, ":tenant");
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row); /* id 3: n IS NULL */
    assert_int_equal(co_cursor_value(c, 0).i, 3);
    assert_int_equal(co_cursor_value(c, 2).type, CO_NULL);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row); /* above 2^63-1: exact, as text */
    assert_int_equal(co_cursor_value(c, 0).type, CO_TEXT);
    assert_string_equal(co_cursor_value(c, 0).s, "18446744073709551615");
    co_value d = co_cursor_value(c, 4);
    assert_int_equal(d.type, CO_TEXT); /* more digits than a double keeps */
    assert_string_equal(d.s, "12345678901234567890.5000000000");
    co_value b = co_cursor_value(c, 5);
    assert_int_equal(b.type, CO_BLOB);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.s, "\x00\xff", 2);
    assert_string_equal(co_cursor_value(c, 6).s, "it's :tenant");
    assert_string_equal(co_cursor_value(c, 7).s, "2026-01-31 23:30:00");
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_false(has_row);
    co_cursor_close(c);

    /* A missing parameter is an error, not an empty value. */
    co_error_clear(&err);
    assert_int_equal(co_store_query(s, "SELECT :absent", NULL, 0, &c, &err), CO_ETARGET);
    assert_non_null(strstr(err.message, ":absent"));

    /* Prepared statements take positional values. */
    co_stmt *st;
    assert_int_equal(co_store_prepare(s, "UPDATE t SET n = ? WHERE id = ?", &st, &err), CO_OK);
    co_value vals[] = {co_int(99), co_int(3)};
    assert_int_equal(co_stmt_exec(st, vals, 2, &changes, &err), CO_OK);
    assert_int_equal(changes, 1);
    co_stmt_close(st);
    assert_int_equal(query_int(s, "SELECT n FROM t WHERE id = 3"), 99);

    /* prepare_check resolves names without running. */
    assert_int_equal(co_store_prepare_check(s, "SELECT n FROM t WHERE tenant = :tenant", &err), CO_OK);
    co_error_clear(&err);
    assert_int_equal(co_store_prepare_check(s, "SELECT nope FROM t", &err), CO_ETARGET);
    assert_string_equal(err.sqlstate, "42S22");
    co_store_close(s);
}

/* ---- streaming ------------------------------------------------------------------------ */

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
    /* 200,000 rows of 1 KB: 200 MB if they were all held. */
    assert_int_equal(co_store_query(s, "SELECT seq AS id, REPEAT('x', 1000) AS pad"
                                       " FROM seq_1_to_200000",
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
    }
    assert_int_equal(err.code, CO_OK);
    co_cursor_close(c);
    assert_int_equal(rows, 200000);
    assert_true(sum == 200000LL * 200001 / 2);
    if (peak - start > 32 * 1024)
        fail_msg("memory grew by %ld KB while streaming", peak - start);
    co_store_close(s);
}

static void other_work_while_a_cursor_streams(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_error err;
    co_error_clear(&err);
    co_cursor *c, *c2;
    assert_int_equal(co_store_query(s, "SELECT seq, CONCAT('row ', seq) FROM seq_1_to_1000",
                                    NULL, 0, &c, &err),
                     CO_OK);
    bool has_row;
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_int_equal(co_cursor_value(c, 0).i, 1);
    /* Another query on the same connection: the first keeps its place. */
    assert_int_equal(query_int(s, "SELECT 7"), 7);
    assert_string_equal(co_cursor_value(c, 1).s, "row 1");
    assert_int_equal(co_store_query(s, "SELECT seq FROM seq_1_to_3", NULL, 0, &c2, &err), CO_OK);
    int64_t n = 1, sum2 = 0;
    while (co_cursor_next(c, &has_row, &err) == CO_OK && has_row) {
        n++;
        assert_int_equal(co_cursor_value(c, 0).i, n);
        if (n == 500) {
            bool h2;
            while (co_cursor_next(c2, &h2, &err) == CO_OK && h2)
                sum2 += co_cursor_value(c2, 0).i;
        }
    }
    assert_int_equal(err.code, CO_OK);
    assert_int_equal(n, 1000);
    assert_int_equal(sum2, 6);
    co_cursor_close(c2);
    co_cursor_close(c);
    co_store_close(s);
}

/* ---- loading ---------------------------------------------------------------------------- */

typedef struct outcome {
    int loaded, refused;
    char rules[8][32];
    char reasons[8][600];
    char states[8][6];
    int64_t refused_ids[8];
} outcome;

static void on_loaded(void *ctx, const co_value *row, size_t ncols)
{
    (void)row;
    (void)ncols;
    ((outcome *)ctx)->loaded++;
}

static void on_refused(void *ctx, const co_value *row, size_t ncols, const char *rule,
                       const char *reason, const char *sqlstate)
{
    (void)ncols;
    outcome *o = ctx;
    if (o->refused < 8) {
        snprintf(o->rules[o->refused], sizeof o->rules[0], "%s", rule);
        snprintf(o->reasons[o->refused], sizeof o->reasons[0], "%s", reason);
        snprintf(o->states[o->refused], sizeof o->states[0], "%s", sqlstate ? sqlstate : "");
        o->refused_ids[o->refused] = row[0].i;
    }
    o->refused++;
}

static void isolates_refused_rows(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(5) NOT NULL,"
               " amount DECIMAL(5,2))");
    outcome o = {0};
    co_load_events ev = {on_loaded, on_refused, &o};
    const char *cols[] = {"id", "name", "amount"};
    co_loader *l;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    assert_int_equal(co_loader_open(s, "people", cols, 3, &ev, &l, &err), CO_OK);
    for (int i = 1; i <= 2500; i++) { /* three batches */
        char name[16];
        const char *nm = name;
        snprintf(name, sizeof name, "p%d", i % 1000);
        co_value amount = co_real(1.5);
        if (i == 700)
            nm = "much too long"; /* strict mode: an error, not a truncated name */
        if (i == 1800)
            amount = co_real(1.234); /* would be rounded to 1.23: only a note */
        co_value row[] = {co_int(i == 2222 ? 5 : i), co_text(nm, strlen(nm)), amount};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    assert_int_equal(o.loaded, 2497);
    assert_int_equal(o.refused, 3);
    assert_int_equal(o.refused_ids[0], 700);
    assert_string_equal(o.rules[0], "too_big");
    assert_string_equal(o.states[0], "22001");
    assert_non_null(strstr(o.reasons[0], "Data too long"));
    assert_non_null(strstr(o.reasons[0], "MySQL error 1406"));
    assert_int_equal(o.refused_ids[1], 1800);
    assert_string_equal(o.rules[1], "type");
    assert_non_null(strstr(o.reasons[1], "truncated"));
    assert_int_equal(o.refused_ids[2], 5);
    assert_string_equal(o.rules[2], "duplicate_key");
    assert_non_null(strstr(o.reasons[2], "MySQL error 1062"));
    assert_int_equal(query_int(s, "SELECT count(*) FROM people"), 2497);
    assert_int_equal(query_int(s, "SELECT count(*) FROM people WHERE id IN (700, 1800)"), 0);
    assert_int_equal(query_int(s, "SELECT max(CHAR_LENGTH(name)) FROM people"), 4);

    /* Without events a refused row is an error, naming the side. */
    assert_int_equal(co_loader_open(s, "people", cols, 3, NULL, &l, &err), CO_OK);
    co_value row[] = {co_int(9000), co_text("far too long", 12), co_null()};
    assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_ETARGET);
    assert_non_null(strstr(err.message, "target: a row was refused"));
    assert_string_equal(err.sqlstate, "22001");
    co_loader_close(l);
    assert_int_equal(query_int(s, "SELECT count(*) FROM people"), 2497);
    co_store_close(s);
}

static void quotes_odd_identifiers(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_buf b = CO_BUF_INIT;
    co_store_quote_ident(s, "we\"ird`name", &b);
    assert_string_equal(co_buf_str(&b), "`we\"ird``name`");
    Co_buf_reset(&b);
    Co_buf_adds(&b, "CREATE TABLE ");
    co_store_quote_ident(s, "we\"ird`name", &b);
    Co_buf_adds(&b, " (");
    co_store_quote_ident(s, "select", &b);
    Co_buf_adds(&b, " INT PRIMARY KEY, ");
    co_store_quote_ident(s, "a b", &b);
    Co_buf_adds(&b, " TEXT)");
    exec_ok(s, co_buf_str(&b));
    Co_buf_release(&b);
    const char *cols[] = {"select", "a b"};
    co_loader *l;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_loader_open(s, "we\"ird`name", cols, 2, NULL, &l, &err), CO_OK);
    co_value row[] = {co_int(1), co_text("x'y\\z", 5)};
    assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_loader_close(l);
    char *v = query_text(s, "SELECT `a b` FROM `we\"ird``name`");
    assert_string_equal(v, "x'y\\z");
    free(v);

    co_column *cs;
    size_t n;
    assert_int_equal(co_store_columns(s, "we\"ird`name", &cs, &n, &err), CO_OK);
    assert_int_equal(n, 2);
    assert_string_equal(cs[0].name, "select");
    assert_string_equal(cs[0].decl_type, "int(11)");
    assert_true(cs[0].primary_key && cs[0].notnull);
    assert_string_equal(cs[1].name, "a b");
    assert_false(cs[1].notnull);
    co_columns_free(cs, n);
    co_error_clear(&err);
    assert_int_equal(co_store_columns(s, "no_such", &cs, &n, &err), CO_ENOTFOUND);
    co_store_close(s);
}

/* A table's indexes from information_schema.STATISTICS (a prefix of a
 * column is not ordered); the distinct values of a column read by a skip
 * scan only where an ordered index leads with it, the same rows as SELECT
 * DISTINCT, NULL included. */
static void indexes_and_skip_scans(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE ix (id INT PRIMARY KEY, tenant BIGINT, name VARCHAR(40),"
               " code VARCHAR(40), KEY ix_tenant (tenant, name), KEY ix_code (code(2)),"
               " UNIQUE KEY ix_name_id (name, id))");
    exec_ok(s, "INSERT INTO ix WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
               " WHERE i < 300) SELECT i, CASE WHEN i % 50 = 0 THEN NULL ELSE i % 7 END,"
               " CONCAT('n', i % 3), CONCAT('code', i % 4) FROM n");
    co_index *ix = NULL;
    size_t n = 0;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_indexes(s, "ix", &ix, &n, &err), CO_OK);
    assert_int_equal(n, 4);
    const co_index *tenant = index_named(ix, n, "ix_tenant");
    assert_int_equal(tenant->ncolumns, 2);
    assert_string_equal(tenant->columns[0], "tenant");
    assert_string_equal(tenant->columns[1], "name");
    assert_true(tenant->ordered && !tenant->partial && !tenant->unique);
    assert_true(index_named(ix, n, "PRIMARY")->unique);
    assert_true(index_named(ix, n, "ix_name_id")->unique);
    assert_false(index_named(ix, n, "ix_code")->ordered); /* a prefix */
    co_indexes_free(ix, n);
    struct {
        const char *column;
        bool skip;
    } cases[] = {{"tenant", true}, {"name", true}, {"code", false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_distinct_as_plain(s, "ix", cases[i].column, cases[i].skip);
    co_buf sql = CO_BUF_INIT;
    co_store_distinct_sql(s, "ix", "tenant", &sql, NULL);
    char got[4096];
    distinct_rows(s, co_buf_str(&sql), got, sizeof got);
    assert_string_equal(got, "0 1 2 3 4 5 6 NULL");
    Co_buf_release(&sql);
    exec_ok(s, "DROP TABLE ix");
    co_store_close(s);
}

/* Declared constraints are read from information_schema: the primary key, a
 * composite UNIQUE, a FOREIGN KEY with its parent columns, a CHECK clause. */
static void constraints_are_read(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE kparents (id INT PRIMARY KEY)");
    exec_ok(s, "CREATE TABLE kkids (id INT PRIMARY KEY, parent_id INT, a INT, b INT,"
               " CONSTRAINT kkids_ab UNIQUE (a, b),"
               " CONSTRAINT kkids_parent FOREIGN KEY (parent_id) REFERENCES kparents (id),"
               " CONSTRAINT kkids_a CHECK (a > 0))");
    co_constraint *k = NULL;
    size_t n = 0;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_constraints(s, "kkids", &k, &n, &err), CO_OK);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i].kind == CO_CONSTRAINT_UNIQUE && k[i].primary) {
            assert_int_equal(k[i].ncolumns, 1);
            assert_string_equal(k[i].columns[0], "id");
            seen |= 1;
        } else if (k[i].kind == CO_CONSTRAINT_UNIQUE) {
            assert_string_equal(k[i].name, "kkids_ab");
            assert_int_equal(k[i].ncolumns, 2);
            assert_string_equal(k[i].columns[0], "a");
            assert_string_equal(k[i].columns[1], "b");
            seen |= 2;
        } else if (k[i].kind == CO_CONSTRAINT_FOREIGN_KEY) {
            assert_string_equal(k[i].parent, "kparents");
            assert_int_equal(k[i].ncolumns, 1);
            assert_string_equal(k[i].columns[0], "parent_id");
            assert_string_equal(k[i].parent_columns[0], "id");
            seen |= 4;
        } else if (k[i].kind == CO_CONSTRAINT_CHECK) {
            assert_non_null(k[i].check);
            assert_non_null(strstr(k[i].check, "> 0"));
            seen |= 8;
        }
    }
    assert_int_equal(seen, 15);
    assert_int_equal(n, 4);
    co_constraints_free(k, n);
    co_store_close(s);
}

/* The i-th of the keys co_store_collation_keys appended. */
static size_t key_at(const co_buf *keys, size_t i, const char **data)
{
    size_t off = 0;
    uint32_t len = 0;
    for (size_t k = 0; k <= i; k++) {
        memcpy(&len, keys->data + off, sizeof len);
        *data = keys->data + off + sizeof len;
        off += sizeof len + len;
    }
    return len;
}

static bool same_key(const co_buf *keys, size_t i, size_t j)
{
    const char *a, *b;
    size_t la = key_at(keys, i, &a), lb = key_at(keys, j, &b);
    return la == lb && memcmp(a, b, la) == 0;
}

/* Collation keys equal exactly where the column's unique index sees one
 * value: case, accents and (PAD SPACE) trailing spaces in a _ci column;
 * nothing to fold in a NO PAD binary one or a number. */
static void collation_keys_follow_the_column(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE folds (ci VARCHAR(40) COLLATE utf8mb4_general_ci,"
               " nb VARCHAR(40) COLLATE utf8mb4_nopad_bin, n INT)");
    co_value v[] = {co_text("cnn.com", 7), co_text("CNN.com", 7), co_text("café.fr", 8),
                    co_text("CAFE.FR", 7), co_text("bbc ", 4), co_text("bbc", 3),
                    co_text("bbd", 3), co_int(5)};
    co_buf keys = CO_BUF_INIT;
    bool folds = false;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_collation_keys(s, "folds", "ci", v, 8, &keys, &folds, &err), CO_OK);
    assert_true(folds);
    assert_true(same_key(&keys, 0, 1));
    assert_true(same_key(&keys, 2, 3));
    assert_true(same_key(&keys, 4, 5));
    assert_false(same_key(&keys, 0, 2));
    assert_false(same_key(&keys, 5, 6));
    const char *d;
    assert_int_equal(key_at(&keys, 7, &d), 0); /* not text */
    Co_buf_reset(&keys);
    assert_int_equal(co_store_collation_keys(s, "folds", "nb", v, 8, &keys, &folds, &err), CO_OK);
    assert_false(folds);
    assert_int_equal(keys.len, 0);
    assert_int_equal(co_store_collation_keys(s, "folds", "n", v, 8, &keys, &folds, &err), CO_OK);
    assert_false(folds);
    Co_buf_release(&keys);
    co_store_close(s);
}

/* ---- a server that goes away ------------------------------------------------------- */

static void lost_connection_names_the_side(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    co_store *killer = open_db(CO_SIDE_STATE);
    int64_t id = query_int(s, "SELECT CONNECTION_ID()");
    char sql[64];
    snprintf(sql, sizeof sql, "KILL %lld", (long long)id);
    exec_ok(killer, sql);
    co_store_close(killer);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "SELECT 1", &err), CO_ETARGET);
    assert_non_null(strstr(err.message, "target: "));
    assert_non_null(strstr(err.message, "the connection is lost"));
    assert_string_equal(err.sqlstate, "08S01");
    assert_null(strstr(err.message, password));
    co_store_close(s);
}

/* After a lost connection, the next statement outside a transaction opens it
 * again, its session set up as the first (strict mode, UTC); inside a
 * transaction nothing is reopened: the commit fails, the rollback ends it,
 * and then the store works again (the rollback of a tenant after its target
 * went away). */
static void lost_connection_reopens_outside_transactions(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE revived (id INT PRIMARY KEY)");
    char sql[64];
    co_error err;
    for (int round = 0; round < 2; round++) {
        int64_t id = query_int(s, "SELECT CONNECTION_ID()");
        co_store *killer = open_db(CO_SIDE_STATE);
        if (round == 1) { /* inside a transaction */
            assert_int_equal(co_store_begin(s, &err), CO_OK);
            exec_ok(s, "INSERT INTO revived VALUES (1)");
        }
        snprintf(sql, sizeof sql, "KILL %lld", (long long)id);
        exec_ok(killer, sql);
        co_store_close(killer);
        co_error_clear(&err);
        assert_int_equal(co_store_exec(s, "INSERT INTO revived VALUES (2)", &err), CO_ETARGET);
        assert_non_null(strstr(err.message, "the connection is lost"));
        if (round == 1) {
            co_error_clear(&err);
            assert_int_equal(co_store_exec(s, "INSERT INTO revived VALUES (3)", &err), CO_ETARGET);
            co_error_clear(&err);
            assert_int_equal(co_store_commit(s, &err), CO_ETARGET);
            assert_non_null(strstr(err.message, "the connection was lost"));
            co_store_rollback(s);
        }
        assert_true(query_int(s, "SELECT CONNECTION_ID()") != id);
        assert_int_equal(query_int(s, "SELECT @@time_zone = '+00:00' AND"
                                      " FIND_IN_SET('STRICT_ALL_TABLES', @@sql_mode) > 0"), 1);
        assert_int_equal(query_int(s, "SELECT count(*) FROM revived"), 0);
    }
    co_store_close(s);

    /* A source reopened stays read-only, or writable once writes were allowed. */
    for (int allowed = 0; allowed < 2; allowed++) {
        s = open_db(CO_SIDE_SOURCE);
        if (allowed)
            assert_int_equal(co_store_allow_writes(s, &err), CO_OK);
        int64_t id = query_int(s, "SELECT CONNECTION_ID()");
        co_store *killer = open_db(CO_SIDE_STATE);
        snprintf(sql, sizeof sql, "KILL %lld", (long long)id);
        exec_ok(killer, sql);
        co_store_close(killer);
        assert_int_equal(co_store_exec(s, "SELECT 1", &err), CO_ESOURCE);
        co_error_clear(&err);
        assert_int_equal(co_store_exec(s, "INSERT INTO revived VALUES (7)", &err),
                         allowed ? CO_OK : CO_ESOURCE);
        co_store_close(s);
    }
}

/* The connection dies between two batches of a load: loading ends with an
 * error naming the side, the transaction is gone, and a new connection
 * loads everything again (nothing half-done stays). */
static void lost_connection_ends_loading(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE gone (id INT PRIMARY KEY, v VARCHAR(10))");
    co_error err;
    co_error_clear(&err);
    int64_t id = query_int(s, "SELECT CONNECTION_ID()");
    const char *cols[] = {"id", "v"};
    co_loader *l;
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    assert_int_equal(co_loader_open(s, "gone", cols, 2, NULL, &l, &err), CO_OK);
    co_code rc = CO_OK;
    for (int i = 1; i <= 1500 && rc == CO_OK; i++) {
        if (i == 1200) { /* after the first batch of 1,000 went in */
            co_store *killer = open_db(CO_SIDE_STATE);
            char sql[64];
            snprintf(sql, sizeof sql, "KILL %lld", (long long)id);
            exec_ok(killer, sql);
            co_store_close(killer);
        }
        co_value row[] = {co_int(i), co_text("v", 1)};
        rc = co_loader_put(l, row, &err);
    }
    if (rc == CO_OK)
        rc = co_loader_flush(l, &err);
    assert_int_equal(rc, CO_ETARGET);
    assert_non_null(strstr(err.message, "target: "));
    assert_non_null(strstr(err.message, "the connection is lost"));
    assert_string_equal(err.sqlstate, "08S01");
    co_loader_close(l);
    co_store_rollback(s);
    co_store_close(s);

    s = open_db(CO_SIDE_TARGET);
    assert_int_equal(query_int(s, "SELECT count(*) FROM gone"), 0);
    assert_int_equal(co_loader_open(s, "gone", cols, 2, NULL, &l, &err), CO_OK);
    for (int i = 1; i <= 1500; i++) {
        co_value row[] = {co_int(i), co_text("v", 1)};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(query_int(s, "SELECT count(*) FROM gone"), 1500);
    co_store_close(s);
}

/* An application's transaction in flight (test_pg_commit_order's session A):
 * it commits after a pause, on a thread of its own. */
static void *commit_later(void *arg)
{
    struct timespec pause = {0, 400000000L};
    nanosleep(&pause, NULL);
    co_error err;
    co_error_clear(&err);
    if (co_store_commit(arg, &err) != CO_OK)
        fprintf(stderr, "commit of the transaction in flight: %s\n", err.message);
    return NULL;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* SQL with {T} replaced by the capture table T's name (cutover_T). */
static void capture_sql(co_store *s, const char *before, const char *table, const char *after,
                        co_buf *out)
{
    Co_buf_reset(out);
    Co_buf_adds(out, before);
    co_store_capture_table(s, table, out);
    Co_buf_adds(out, after);
}

/* Capture on MySQL: the change log in a database of cutover's own, beside
 * the application's triggers; writes recorded in the writing transaction;
 * the commit-safe mark waits for a transaction in flight (its change has a
 * lower seq than one committed after it) instead of passing it; a frozen
 * tenant's writes refused with SQLSTATE 55000, others not; removal leaves
 * nothing. */
static void capture_and_its_commit_safe_mark(void **state)
{
    (void)state;
    co_error err;
    co_error_clear(&err);
    co_store *s = open_db(CO_SIDE_SOURCE), *a = open_db(CO_SIDE_TARGET), *b = open_db(CO_SIDE_TARGET);
    assert_int_equal(co_store_allow_writes(s, &err), CO_OK);
    exec_ok(s, "CREATE TABLE shop_orders (id INT AUTO_INCREMENT PRIMARY KEY, shop INT NOT NULL,"
               " qty INT NOT NULL DEFAULT 0)");
    exec_ok(s, "CREATE TABLE audit_log (n INT)");
    /* the application's own trigger on the same event stays */
    exec_ok(s, "CREATE TRIGGER app_audit AFTER INSERT ON shop_orders FOR EACH ROW"
               " INSERT INTO audit_log VALUES (NEW.id)");
    assert_int_equal(co_store_capture_supported(s, &err), CO_OK);
    assert_string_equal(co_store_capture_position(s), "seq");
    static const char *const key[] = {"id"};
    co_capture_spec spec = {"shop_orders", "{row}.shop", key, 1};
    co_buf sql = CO_BUF_INIT;
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    assert_int_equal(co_store_capture_serialize(s, &err), CO_OK);
    assert_int_equal(co_store_capture_install(s, &spec, 1, &err), CO_OK);
    capture_sql(s, "INSERT INTO ", "cutover_tenants", " VALUES ('1', 'now')", &sql);
    exec_ok(s, co_buf_str(&sql));
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    char db[128];
    snprintf(db, sizeof db, "cutover_capture_%s", db_name);
    capture_sql(s, "", "cutover_changes", "", &sql);
    char expect[200];
    snprintf(expect, sizeof expect, "`%s`.`cutover_changes`", db);
    assert_string_equal(co_buf_str(&sql), expect);
    bool exists = false;
    assert_int_equal(co_store_capture_table_exists(s, "cutover_frozen", &exists, &err), CO_OK);
    assert_true(exists);
    /* installing again (a second tenant) changes nothing */
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    assert_int_equal(co_store_capture_install(s, &spec, 1, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);

    /* A takes seq 1 and stays open; B takes seq 2 and commits. */
    assert_int_equal(co_store_begin(a, &err), CO_OK);
    exec_ok(a, "INSERT INTO shop_orders (shop) VALUES (1)");
    exec_ok(b, "INSERT INTO shop_orders (shop) VALUES (1)");
    exec_ok(b, "INSERT INTO shop_orders (shop) VALUES (2)"); /* not captured */
    capture_sql(s, "SELECT count(*) FROM ", "cutover_changes", "", &sql);
    assert_int_equal(query_int(s, co_buf_str(&sql)), 1); /* A's is not visible yet */
    capture_sql(s, "SELECT min(seq) FROM ", "cutover_changes", "", &sql);
    assert_int_equal(query_int(s, co_buf_str(&sql)), 2);
    pthread_t later;
    assert_int_equal(pthread_create(&later, NULL, commit_later, a), 0);
    double started = now_seconds();
    int64_t mark = 0;
    assert_int_equal(co_store_capture_horizon(s, &mark, &err), CO_OK);
    double waited = now_seconds() - started;
    pthread_join(later, NULL);
    /* The mark did not pass A: it waited for A's commit, then took both. */
    assert_true(waited > 0.3);
    assert_int_equal(mark, 2);
    capture_sql(s, "SELECT count(*) FROM ", "cutover_changes", " WHERE seq <= 2", &sql);
    assert_int_equal(query_int(s, co_buf_str(&sql)), 2);
    assert_int_equal(query_int(s, "SELECT count(*) FROM audit_log"), 3);

    /* An update is one change, as its new row, unless the row moves: to
     * another key (its old key's change too), to another tenant (its old
     * tenant's change; the new tenant, 2, is not captured). */
    exec_ok(b, "UPDATE shop_orders SET qty = 5 WHERE id = 1");
    capture_sql(s, "SELECT group_concat(concat(tenant, ' ', `key`) ORDER BY seq) FROM ",
                "cutover_changes", " WHERE op = 'update'", &sql);
    char *updates = query_text(s, co_buf_str(&sql));
    assert_string_equal(updates, "1 [1]");
    free(updates);
    exec_ok(b, "UPDATE shop_orders SET id = 4 WHERE id = 2");
    exec_ok(b, "UPDATE shop_orders SET shop = 2 WHERE id = 1");
    updates = query_text(s, co_buf_str(&sql));
    assert_string_equal(updates, "1 [1],1 [2],1 [4],1 [1]");
    free(updates);

    /* Frozen: tenant 1's writes are refused, tenant 2's go through. */
    capture_sql(s, "INSERT INTO ", "cutover_frozen",
                " VALUES ('1', 'now', 0, unix_timestamp(now(6)), 5)", &sql);
    exec_ok(s, co_buf_str(&sql));
    assert_int_equal(co_store_exec(b, "UPDATE shop_orders SET shop = 1 WHERE shop = 1", &err),
                     CO_ETARGET);
    assert_non_null(strstr(err.message, "cutover: tenant 1 is frozen for its migration"));
    assert_string_equal(err.sqlstate, "55000");
    co_error_clear(&err);
    /* a row moved into the frozen tenant is refused too */
    assert_int_equal(co_store_exec(b, "UPDATE shop_orders SET shop = 1 WHERE shop = 2", &err),
                     CO_ETARGET);
    co_error_clear(&err);
    exec_ok(b, "INSERT INTO shop_orders (shop) VALUES (2)");
    /* a lapsed heartbeat refuses nothing */
    capture_sql(s, "UPDATE ", "cutover_frozen", " SET beat = 0", &sql);
    exec_ok(s, co_buf_str(&sql));
    exec_ok(b, "INSERT INTO shop_orders (shop) VALUES (1)");

    assert_int_equal(co_store_begin(s, &err), CO_OK);
    assert_int_equal(co_store_capture_serialize(s, &err), CO_OK);
    assert_int_equal(co_store_capture_remove(s, &spec, 1, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '%s'",
                  db);
    assert_int_equal(query_int(s, co_buf_str(&sql)), 0);
    assert_int_equal(query_int(s, "SELECT count(*) FROM information_schema.TRIGGERS WHERE"
                                  " TRIGGER_SCHEMA = database()"),
                     1); /* the application's */
    Co_buf_release(&sql);
    co_store_close(a);
    co_store_close(b);
    co_store_close(s);
}

/* What MySQL cannot do is refused by name, before anything is written: the
 * journal. Its literals and conditions are its own. */
static void journal_is_refused(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_create_schema(s, "CREATE TABLE x (id INTEGER)", "l", &err),
                     CO_EUNSUPPORTED);
    co_caps caps = co_store_caps(s);
    assert_false(caps.row_locks || caps.failed_statement_aborts || caps.one_file);
    co_value blob = co_text("\x00\xff", 2), n = co_int(7);
    blob.type = CO_BLOB;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    co_store_literal(s, &blob, &sql);
    Co_buf_adds(&sql, " = 0x00ff AND 7 IN (");
    co_store_key_literals(s, &n, &sql);
    Co_buf_adds(&sql, ")");
    assert_int_equal(query_int(s, co_buf_str(&sql)), 1);
    bool exists = true;
    assert_int_equal(co_store_table_exists(s, "no_such_table", &exists, &err), CO_OK);
    assert_false(exists);
    Co_buf_release(&sql);
    co_store_close(s);
}

/* ---- legacy MySQL (mysql_types.c, mysql_reads.c) ----------------------------------------- */

/* The first row of sql's values, by index. */
static co_cursor *first_row(co_store *s, const char *sql)
{
    co_cursor *c = NULL;
    co_error err;
    co_error_clear(&err);
    bool has_row = false;
    if (co_store_query(s, sql, NULL, 0, &c, &err) != CO_OK ||
        co_cursor_next(c, &has_row, &err) != CO_OK || !has_row)
        fail_msg("query %s: %s", sql, err.message);
    return c;
}

static void assert_text(co_value v, const char *want)
{
    assert_int_equal(v.type, CO_TEXT);
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.s, want, v.len);
}

/* Each oddity of old schemas read by its documented rule. */
static void legacy_values_are_read_by_rule(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_store *w = open_db(CO_SIDE_TARGET);
    exec_ok(w, "CREATE TABLE legacy (id INT PRIMARY KEY, flag BIT(1), mask BIT(12), wide BIT(64),"
               " b TINYINT(1), big BIGINT UNSIGNED, y YEAR, t TIME, d DATE, e ENUM('né','x'),"
               " st SET('a','b','c'), p POINT, l LINESTRING, g GEOMETRY, latin VARCHAR(10) CHARACTER SET latin1)");
    exec_ok(w, "SET SESSION sql_mode = ''"); /* as an old application wrote them */
    exec_ok(w, "INSERT INTO legacy VALUES (1, b'1', b'101000000001', b'1111111111111111111111111111111111111111111111111111111111111111',"
               " 1, 18446744073709551615, 2155, '838:59:59', '0000-00-00', 'né', 'a,c',"
               " ST_GeomFromText('POINT(1 -2.5)'), ST_GeomFromText('LINESTRING(0 0,1.25 1e-7)'),"
               " ST_GeomFromText('POLYGON((0 0,4 0,4 4,0 0),(1 1,2 1,2 2,1 1))', 4326), 'Jos\xc3\xa9')");
    exec_ok(w, "INSERT INTO legacy (id, d, g) VALUES (2, '2019-00-00',"
               " ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),MULTILINESTRING((0 0,1 1),(2 2,3 3)))'))");
    co_cursor *c = first_row(s, "SELECT flag, mask, wide, b, big, y, t, d, e, st, p, l, g, latin"
                                " FROM legacy WHERE id = 1");
    assert_int_equal(co_cursor_value(c, 0).type, CO_INT);
    assert_int_equal(co_cursor_value(c, 0).i, 1);
    assert_int_equal(co_cursor_value(c, 1).i, 2561);
    assert_text(co_cursor_value(c, 2), "18446744073709551615");
    assert_int_equal(co_cursor_value(c, 3).i, 1);
    assert_text(co_cursor_value(c, 4), "18446744073709551615");
    assert_int_equal(co_cursor_value(c, 5).i, 2155);
    assert_text(co_cursor_value(c, 6), "838:59:59");
    assert_text(co_cursor_value(c, 7), "0000-00-00");
    assert_text(co_cursor_value(c, 8), "n\xc3\xa9");
    assert_text(co_cursor_value(c, 9), "a,c");
    assert_text(co_cursor_value(c, 10), "POINT(1 -2.5)");
    assert_text(co_cursor_value(c, 11), "LINESTRING(0 0,1.25 1e-07)");
    assert_text(co_cursor_value(c, 12), "SRID=4326;POLYGON((0 0,4 0,4 4,0 0),(1 1,2 1,2 2,1 1))");
    assert_text(co_cursor_value(c, 13), "Jos\xc3\xa9"); /* latin1 arrives as UTF-8 */
    co_cursor_close(c);
    c = first_row(s, "SELECT d, g FROM legacy WHERE id = 2");
    assert_text(co_cursor_value(c, 0), "2019-00-00");
    assert_text(co_cursor_value(c, 1), "GEOMETRYCOLLECTION(POINT(1 1),MULTILINESTRING((0 0,1 1),(2 2,3 3)))");
    co_cursor_close(c);

    /* mojibake_fix(): UTF-8 that went through latin1 repaired, other text
     * (latin1 that is not UTF-8, an emoji latin1 cannot hold) as it is; not
     * inside a literal or a comment */
    exec_ok(w, "INSERT INTO legacy (id, latin) VALUES (3, 'M\xc3\x83\xc2\xbcller')");
    c = first_row(s, "SELECT mojibake_fix(latin), MOJIBAKE_FIX ( (SELECT latin FROM legacy WHERE id = 1) ),"
                     " mojibake_fix('emoji \xf0\x9f\x98\x80'), 'mojibake_fix(x)' /* mojibake_fix( */"
                     " FROM legacy WHERE id = 3");
    assert_text(co_cursor_value(c, 0), "M\xc3\xbcller");
    assert_text(co_cursor_value(c, 1), "Jos\xc3\xa9");
    assert_text(co_cursor_value(c, 2), "emoji \xf0\x9f\x98\x80");
    assert_text(co_cursor_value(c, 3), "mojibake_fix(x)");
    co_cursor_close(c);
    co_store_close(w);
    co_store_close(s);
}

/* MySQL rounds 1.5 into an INT without an error or a warning: the loader
 * refuses it; a 4-byte character into a utf8mb3 column is refused by the
 * server (strict mode). */
static void loading_refuses_what_mysql_would_change(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE counts (id INT PRIMARY KEY, n INT, y YEAR, r DOUBLE,"
               " name VARCHAR(20) CHARACTER SET utf8mb3)");
    outcome o = {0};
    co_load_events ev = {on_loaded, on_refused, &o};
    const char *cols[] = {"id", "n", "y", "r", "name"};
    co_loader *l;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_loader_open(s, "counts", cols, 5, &ev, &l, &err), CO_OK);
    co_value rows[][5] = {
        {co_int(1), co_real(1.5), co_null(), co_null(), co_null()},
        {co_int(2), co_text("2.5", 3), co_null(), co_null(), co_null()},
        {co_int(3), co_real(2.0), co_text("1999.0", 6), co_real(1.5), co_text("Zo\xc3\xab", 4)},
        {co_int(4), co_null(), co_real(2001.5), co_null(), co_null()},
        {co_int(5), co_text("7", 1), co_null(), co_null(), co_text("a \xf0\x9f\x98\x80", 6)},
    };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(co_loader_put(l, rows[i], &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(o.loaded, 1);
    assert_int_equal(o.refused, 4);
    assert_int_equal(o.refused_ids[0], 1);
    assert_string_equal(o.rules[0], "type");
    assert_non_null(strstr(o.reasons[0], "column n is an integer"));
    assert_non_null(strstr(o.reasons[0], "MySQL would round it"));
    assert_int_equal(o.refused_ids[1], 2);
    assert_int_equal(o.refused_ids[2], 4);
    assert_non_null(strstr(o.reasons[2], "column y"));
    assert_int_equal(o.refused_ids[3], 5);
    assert_string_equal(o.rules[3], "type");
    assert_non_null(strstr(o.reasons[3], "MySQL error 1366"));
    assert_int_equal(query_int(s, "SELECT count(*) FROM counts"), 1);
    assert_int_equal(query_int(s, "SELECT n * 10000 + y FROM counts WHERE id = 3"), 21999);

    /* Without events the rounding is an error naming the side. */
    assert_int_equal(co_loader_open(s, "counts", cols, 5, NULL, &l, &err), CO_OK);
    co_value row[] = {co_int(9), co_real(0.25), co_null(), co_null(), co_null()};
    assert_int_equal(co_loader_put(l, row, &err), CO_ETARGET);
    assert_non_null(strstr(err.message, "target: a row was refused"));
    co_loader_close(l);
    co_store_close(s);
}

/* A time with a zone (PostgreSQL's timestamptz) goes into DATETIME without
 * it and into TIMESTAMP at UTC, rather than being refused; TIME(3) reads
 * without trailing zeros. */
static void times_with_a_zone_go_in(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    exec_ok(s, "CREATE TABLE times (id INT PRIMARY KEY, dt DATETIME(3), ts TIMESTAMP NULL, t TIME(3))");
    outcome o = {0};
    co_load_events ev = {on_loaded, on_refused, &o};
    const char *cols[] = {"id", "dt", "ts", "t"};
    co_loader *l;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_loader_open(s, "times", cols, 4, &ev, &l, &err), CO_OK);
    co_value rows[][4] = {
        {co_int(1), co_text("2024-01-05 10:00:00.5+02", 24), co_text("2024-01-05 10:00:00+02:00", 25),
         co_text("10:11:12.5", 10)},
        {co_int(2), co_text("2024-01-05T23:30:00Z", 20), co_text("2024-01-05 23:30:00-01", 22),
         co_text("838:59:59", 9)},
    };
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(co_loader_put(l, rows[i], &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(o.loaded, 2);
    co_cursor *c = first_row(s, "SELECT dt, ts, t FROM times WHERE id = 1");
    assert_text(co_cursor_value(c, 0), "2024-01-05 10:00:00.5"); /* DATETIME(3): no trailing zeros */
    assert_text(co_cursor_value(c, 1), "2024-01-05 08:00:00");
    assert_text(co_cursor_value(c, 2), "10:11:12.5");
    co_cursor_close(c);
    c = first_row(s, "SELECT dt, ts, t FROM times WHERE id = 2");
    assert_text(co_cursor_value(c, 0), "2024-01-05 23:30:00");
    assert_text(co_cursor_value(c, 1), "2024-01-06 00:30:00");
    assert_text(co_cursor_value(c, 2), "838:59:59");
    co_cursor_close(c);
    co_store_close(s);
}

typedef struct reads {
    char got[16][64];
    size_t n;
} reads;

static void on_read(void *ctx, const char *table, const char *column)
{
    reads *r = ctx;
    char one[64];
    snprintf(one, sizeof one, "%s.%s", table, column);
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->got[i], one) == 0)
            return;
    if (r->n < 16)
        snprintf(r->got[r->n++], sizeof r->got[0], "%s", one);
}

static bool has_read(const reads *r, const char *one)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->got[i], one) == 0)
            return true;
    return false;
}

/* The columns a query reads: through aliases, in joins, filters and
 * functions; not in literals or comments; a bad query is an error. */
static void query_reads_are_listed(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_SOURCE);
    co_store *w = open_db(CO_SIDE_TARGET);
    exec_ok(w, "CREATE TABLE acct (id INT PRIMARY KEY, Name VARCHAR(20), unused INT, \"odd col\" INT)");
    exec_ok(w, "CREATE TABLE person (id INT PRIMARY KEY, acct_id INT, email VARCHAR(60), note TEXT)");
    reads r = {0};
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_query_reads(s,
                                          "SELECT p.id, lower(trim(p.email)) AS mail, a.name, 'unused' AS lit,"
                                          " a.\"odd col\" -- note\n"
                                          " FROM person AS p JOIN acct a ON a.id = p.acct_id"
                                          " WHERE a.id = :tenant /* unused */",
                                          on_read, &r, &err),
                     CO_OK);
    assert_true(has_read(&r, "person.id"));
    assert_true(has_read(&r, "person.email"));
    assert_true(has_read(&r, "person.acct_id"));
    assert_true(has_read(&r, "acct.Name"));
    assert_true(has_read(&r, "acct.id"));
    assert_true(has_read(&r, "acct.odd col"));
    assert_false(has_read(&r, "acct.unused"));
    assert_false(has_read(&r, "person.note"));
    assert_int_equal(r.n, 6);
    co_error_clear(&err);
    assert_int_equal(co_store_query_reads(s, "SELECT nope FROM acct", on_read, &r, &err), CO_ESOURCE);
    assert_string_equal(err.sqlstate, "42S22");
    co_store_close(w);
    co_store_close(s);
}

/* ---- keys the target gives (co_loader_assign_key) ---------------------------------------- */

typedef struct keyed_outcome {
    int64_t put[64], key[64]; /* per row loaded: its placeholder (or key) put, its key */
    int n, refused;
    int64_t refused_put;
} keyed_outcome;

static void on_keyed(void *ctx, const co_value *row, size_t ncols, co_value key)
{
    (void)ncols;
    keyed_outcome *o = ctx;
    assert_int_equal(key.type, CO_INT);
    if (o->n < 64) {
        o->put[o->n] = row[0].i;
        o->key[o->n] = key.i;
    }
    o->n++;
}

static void on_keyed_refused(void *ctx, const co_value *row, size_t ncols, const char *rule,
                             const char *reason, const char *sqlstate)
{
    (void)ncols, (void)rule, (void)reason, (void)sqlstate;
    keyed_outcome *o = ctx;
    o->refused++;
    o->refused_put = row[0].i;
}

/* The key in the table of the row named name. */
static int64_t key_of(co_store *s, const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id FROM gets_keys WHERE name = '%s'", name);
    return query_int(s, sql);
}

static void loader_reads_back_the_keys_the_target_gives(void **state)
{
    (void)state;
    co_store *s = open_db(CO_SIDE_TARGET);
    assert_true(co_store_caps(s).keys_on_insert);
    exec_ok(s, "CREATE TABLE gets_keys (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
               " name VARCHAR(8) NOT NULL) AUTO_INCREMENT = 100");
    exec_ok(s, "INSERT INTO gets_keys (name) VALUES ('app')"); /* 100: the application's */
    /* Every third value: the keys are LAST_INSERT_ID() + i x the increment. */
    exec_ok(s, "SET SESSION auto_increment_increment = 3");
    keyed_outcome o = {0};
    co_load_events ev = {NULL, on_keyed_refused, &o};
    const char *cols[] = {"id", "name"};
    co_loader *l;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    assert_int_equal(co_loader_open(s, "gets_keys", cols, 2, &ev, &l, &err), CO_OK);
    assert_int_equal(co_loader_assign_key(l, 0, on_keyed, &err), CO_OK);
    /* Placeholders -1 .. -6, the fourth too long (the statement is split);
     * a row with a key of its own (a reload); two more placeholders. */
    const char *names[] = {"r1", "r2", "r3", "far too long", "r5", "r6"};
    for (int i = 0; i < 6; i++) {
        co_value row[] = {co_int(-1 - i), co_text(names[i], strlen(names[i]))};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    co_value own[] = {co_int(50), co_text("kept", 4)};
    assert_int_equal(co_loader_put(l, own, &err), CO_OK);
    co_value more[][2] = {{co_int(-7), co_text("r7", 2)}, {co_int(-8), co_text("r8", 2)}};
    assert_int_equal(co_loader_put(l, more[0], &err), CO_OK);
    assert_int_equal(co_loader_put(l, more[1], &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    co_loader_close(l);
    assert_int_equal(co_store_commit(s, &err), CO_OK);

    assert_int_equal(o.refused, 1);
    assert_int_equal(o.refused_put, -4);
    assert_int_equal(o.n, 8);
    const char *loaded[] = {"r1", "r2", "r3", "r5", "r6", "kept", "r7", "r8"};
    const int64_t put[] = {-1, -2, -3, -5, -6, 50, -7, -8};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(o.put[i], put[i]);
        assert_int_equal(o.key[i], key_of(s, loaded[i])); /* the key the row has */
    }
    assert_int_equal(o.key[5], 50);
    assert_true(o.key[0] > 100);
    assert_int_equal(o.key[1] - o.key[0], 3);
    assert_int_equal(query_int(s, "SELECT count(*) FROM gets_keys"), 9);

    /* A column the target does not fill is refused. */
    assert_int_equal(co_loader_open(s, "gets_keys", cols + 1, 1, &ev, &l, &err), CO_OK);
    assert_int_equal(co_loader_assign_key(l, 0, on_keyed, &err), CO_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "is not AUTO_INCREMENT"));
    assert_int_equal(co_loader_assign_key(l, 1, on_keyed, &err), CO_EINTERNAL);
    co_loader_close(l);
    exec_ok(s, "SET SESSION auto_increment_increment = 1");
    co_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passwords_never_show),
        cmocka_unit_test(session_is_strict),
        cmocka_unit_test(errors_carry_side_errno_and_sqlstate),
        cmocka_unit_test(parameters_and_types),
        cmocka_unit_test(streams_with_bounded_memory),
        cmocka_unit_test(other_work_while_a_cursor_streams),
        cmocka_unit_test(isolates_refused_rows),
        cmocka_unit_test(quotes_odd_identifiers),
        cmocka_unit_test(constraints_are_read),
        cmocka_unit_test(indexes_and_skip_scans),
        cmocka_unit_test(collation_keys_follow_the_column),
        cmocka_unit_test(lost_connection_names_the_side),
        cmocka_unit_test(lost_connection_ends_loading),
        cmocka_unit_test(lost_connection_reopens_outside_transactions),
        cmocka_unit_test(capture_and_its_commit_safe_mark),
        cmocka_unit_test(journal_is_refused),
        cmocka_unit_test(legacy_values_are_read_by_rule),
        cmocka_unit_test(loading_refuses_what_mysql_would_change),
        cmocka_unit_test(times_with_a_zone_go_in),
        cmocka_unit_test(query_reads_are_listed),
        cmocka_unit_test(loader_reads_back_the_keys_the_target_gives),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
