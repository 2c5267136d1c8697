/* test_store.c: the SQLite backend of the store: opening, errors by side,
 * streaming queries, parameters, prepared statements, columns and loading
 * with per-row rejects; the dialect operations (literals and key literals
 * compare equal to what they stand for, the null test, the JSON item
 * condition, the journal's schema) and capture's triggers (they record
 * changes, refuse a frozen tenant's writes and go away); the write token of
 * a SQLite file, which one thread of the process holds at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/store.h"
#include "util/canon.h"
#include "util/rowhash.h"
#include "util/buf.h"
#include "store/writer.h"
#include "tmpdir.h"
#include "store_rows.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    return test_mkdtemp(dir, sizeof dir, "cutover-store") ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static co_store *open_db(const char *name, co_side side)
{
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:%s", name);
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    co_code rc = co_store_open(uri, side, dir, &s, &err);
    if (rc != CO_OK)
        fail_msg("open %s: %s", name, err.message);
    return s;
}

static void write_file(const char *name, const char *bytes, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

static void missing_source_is_a_source_error(void **state)
{
    (void)state;
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_open("sqlite:nope.db", CO_SIDE_SOURCE, dir, &s, &err), CO_ESOURCE);
    assert_null(s);
    assert_non_null(strstr(err.message, "source"));
    assert_non_null(strstr(err.message, "nope.db"));
    /* The target is never created either. */
    assert_int_equal(co_store_open("sqlite:nope.db", CO_SIDE_TARGET, dir, &s, &err), CO_ETARGET);
    char path[128];
    snprintf(path, sizeof path, "%s/nope.db", dir);
    assert_int_equal(access(path, F_OK), -1);
}

static void garbage_file_is_refused(void **state)
{
    (void)state;
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 7 + 3);
    write_file("junk.db", junk, sizeof junk);
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_open("sqlite:junk.db", CO_SIDE_SOURCE, dir, &s, &err), CO_ESOURCE);
    assert_non_null(strstr(err.message, "not a usable SQLite database"));
}

static void unknown_and_postgres_uris(void **state)
{
    (void)state;
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_open("oracle://x", CO_SIDE_SOURCE, dir, &s, &err), CO_EPROJECT);
    /* MySQL too: nothing listens on port 1; the side is named, the password never. */
    co_error_clear(&err);
    assert_int_equal(co_store_open("mysql://u:s3cretpw@127.0.0.1:1/db", CO_SIDE_SOURCE, dir, &s,
                                   &err),
                     CO_ESOURCE);
    assert_null(s);
    assert_non_null(strstr(err.message, "source: cannot connect to mysql://u:***@127.0.0.1:1/db"));
    assert_null(strstr(err.message, "s3cretpw"));
    co_error_clear(&err);
    assert_int_equal(co_store_open("mariadb://u@127.0.0.1:99999/db", CO_SIDE_TARGET, dir, &s, &err),
                     CO_EPROJECT);
    assert_non_null(strstr(err.message, "port"));
    /* Nothing listens on port 1: the connection fails, naming the side, never the password. */
    assert_int_equal(co_store_open("postgresql://u:secret@127.0.0.1:1/db", CO_SIDE_TARGET, dir,
                                   &s, &err),
                     CO_ETARGET);
    assert_non_null(strstr(err.message, "target"));
    assert_null(strstr(err.message, "secret"));
}

static void state_side_creates_its_directory(void **state)
{
    (void)state;
    co_store *s = open_db("journal/deep/state.db", CO_SIDE_STATE);
    assert_non_null(s);
    assert_string_equal(co_store_engine(s), "sqlite");
    co_store_close(s);
}

static void queries_stream_and_bind(void **state)
{
    (void)state;
    co_store *s = open_db("q.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "CREATE TABLE t (id INTEGER, name TEXT, score REAL, b BLOB);"
                                      "INSERT INTO t VALUES (1, 'a', 1.5, x'00ff'), (2, NULL, NULL, NULL),"
                                      " (3, 'Łódź', 3.0, NULL);",
                                   &err),
                     CO_OK);
    co_param p[] = {{":min", co_int(2)}, {":unused", co_int(9)}};
    co_cursor *c;
    assert_int_equal(co_store_query(s, "SELECT id, name, score, b FROM t WHERE id >= :min ORDER BY id",
                                    p, 2, &c, &err),
                     CO_OK);
    assert_int_equal(co_cursor_ncols(c), 4);
    assert_string_equal(co_cursor_colname(c, 1), "name");
    bool has_row;
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    assert_int_equal(co_cursor_value(c, 0).i, 2);
    assert_int_equal(co_cursor_value(c, 1).type, CO_NULL);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    co_value name = co_cursor_value(c, 1);
    assert_int_equal(name.type, CO_TEXT);
    assert_int_equal(name.len, strlen("Łódź"));
    assert_int_equal(co_cursor_value(c, 2).type, CO_REAL);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_false(has_row);
    co_cursor_close(c);

    /* A named parameter the caller does not supply is an error, not a NULL. */
    assert_int_equal(co_store_query(s, "SELECT * FROM t WHERE id = :tenant", NULL, 0, &c, &err),
                     CO_ESTATE);
    assert_non_null(strstr(err.message, ":tenant"));
    /* A query that does not prepare names the side and SQLite's reason. */
    assert_int_equal(co_store_prepare_check(s, "SELECT nope FROM t", &err), CO_ESTATE);
    assert_non_null(strstr(err.message, "no such column"));
    co_store_close(s);
}

static void the_source_is_never_written(void **state)
{
    (void)state;
    co_store *t = open_db("ro.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(t, "CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1)", &err), CO_OK);
    co_store_close(t);
    co_store *s = open_db("ro.db", CO_SIDE_SOURCE);
    co_cursor *c = NULL;
    /* A query that would write is refused before it runs... */
    assert_int_equal(co_store_query(s, "DELETE FROM p RETURNING id", NULL, 0, &c, &err), CO_ESOURCE);
    assert_non_null(strstr(err.message, "only read"));
    /* ...and so is any write through the connection. */
    assert_int_equal(co_store_exec(s, "INSERT INTO p VALUES (2)", &err), CO_ESOURCE);
    /* A positional parameter nobody supplies is an error, not a NULL. */
    assert_int_equal(co_store_query(s, "SELECT id FROM p WHERE id = ?", NULL, 0, &c, &err), CO_ESOURCE);
    assert_non_null(strstr(err.message, ":tenant"));
    co_store_close(s);
}

static void columns_and_statements(void **state)
{
    (void)state;
    co_store *s = open_db("c.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "CREATE TABLE \"we\"\"ird\" (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", &err),
                     CO_OK);
    co_column *cols;
    size_t n;
    assert_int_equal(co_store_columns(s, "we\"ird", &cols, &n, &err), CO_OK);
    assert_int_equal(n, 2);
    assert_string_equal(cols[0].name, "id");
    assert_true(cols[0].primary_key);
    assert_true(cols[1].notnull);
    assert_string_equal(cols[1].decl_type, "TEXT");
    co_columns_free(cols, n);
    assert_int_equal(co_store_columns(s, "absent", &cols, &n, &err), CO_ENOTFOUND);

    co_buf q = CO_BUF_INIT;
    co_store_quote_ident(s, "we\"ird", &q);
    assert_string_equal(co_buf_str(&q), "\"we\"\"ird\"");
    Co_buf_reset(&q);
    const char *list[] = {"id", "we\"ird", "v"};
    co_store_quote_idents(s, list, 3, &q);
    assert_string_equal(co_buf_str(&q), "\"id\", \"we\"\"ird\", \"v\"");
    Co_buf_release(&q);

    co_stmt *st;
    assert_int_equal(co_store_prepare(s, "INSERT INTO \"we\"\"ird\" (id, v) VALUES (?, ?)", &st, &err), CO_OK);
    long long changes = 0;
    for (int i = 1; i <= 3; i++) {
        co_value v[] = {co_int(i), co_text("x", 1)};
        assert_int_equal(co_stmt_exec(st, v, 2, &changes, &err), CO_OK);
        assert_int_equal(changes, 1);
    }
    co_stmt_close(st);
    co_param p = {NULL, co_int(2)};
    assert_int_equal(co_store_exec_params(s, "DELETE FROM \"we\"\"ird\" WHERE id >= ?", &p, 1, &changes, &err),
                     CO_OK);
    assert_int_equal(changes, 2);
    co_store_close(s);
}

/* The catalog: tables by name with their row ids and CREATE statements
 * (replayed on another SQLite store), columns as SELECT * gives them. */
static void catalog_reads(void **state)
{
    (void)state;
    co_store *s = open_db("cat.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s,
                                   "CREATE TABLE zeta (id INTEGER PRIMARY KEY, n INT,"
                                   " twice INT GENERATED ALWAYS AS (n * 2) VIRTUAL);"
                                   "CREATE TABLE alpha (k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
                                   "CREATE TABLE mid (rowid TEXT, _rowid_ TEXT, x);"
                                   "CREATE TABLE shadowed (rowid TEXT, _rowid_ TEXT, oid TEXT);"
                                   "CREATE INDEX zeta_n ON zeta (n)",
                                   &err),
                     CO_OK);
    co_table_info *t = NULL;
    size_t n = 0;
    assert_int_equal(co_store_tables(s, &t, &n, &err), CO_OK);
    assert_int_equal(n, 4);
    assert_string_equal(t[0].name, "alpha");
    assert_null(t[0].row_id); /* WITHOUT ROWID */
    assert_string_equal(t[1].name, "mid");
    assert_string_equal(t[1].row_id, "oid");
    assert_string_equal(t[2].name, "shadowed");
    assert_null(t[2].row_id);
    assert_string_equal(t[3].name, "zeta");
    assert_string_equal(t[3].row_id, "rowid");
    assert_non_null(strstr(t[3].create_sql, "GENERATED ALWAYS"));
    co_store *copy = open_db("cat-copy.db", CO_SIDE_STATE);
    assert_true(co_store_same_engine(s, copy));
    for (size_t i = 0; i < n; i++) {
        assert_false(t[i].virtual_table);
        assert_int_equal(co_store_exec(copy, t[i].create_sql, &err), CO_OK);
    }
    co_tables_free(t, n);
    co_column *cols;
    assert_int_equal(co_store_select_columns(copy, "zeta", &cols, &n, &err), CO_OK);
    assert_int_equal(n, 3);
    assert_string_equal(cols[2].name, "twice");
    co_columns_free(cols, n);
    assert_int_equal(co_store_columns(copy, "zeta", &cols, &n, &err), CO_OK);
    assert_int_equal(n, 2); /* a generated column takes no insert */
    co_columns_free(cols, n);
    assert_int_equal(co_store_select_columns(copy, "absent", &cols, &n, &err), CO_ENOTFOUND);
    co_store_close(copy);
    co_store_close(s);
}

typedef struct load_seen {
    int loaded;
    int refused;
    char rules[8][32];
    long long keys[8];
    long long loaded_sum; /* of the first column of loaded rows */
} load_seen;

static void on_loaded(void *ctx, const co_value *row, size_t ncols)
{
    load_seen *seen = ctx;
    (void)ncols;
    seen->loaded++;
    seen->loaded_sum += row[0].i;
}

static void on_refused(void *ctx, const co_value *row, size_t ncols, const char *rule,
                       const char *reason, const char *sqlstate)
{
    load_seen *seen = ctx;
    (void)ncols;
    (void)sqlstate;
    assert_non_null(reason);
    if (seen->refused < 8) {
        snprintf(seen->rules[seen->refused], sizeof seen->rules[0], "%s", rule);
        seen->keys[seen->refused] = row[0].i;
    }
    seen->refused++;
}

static long long scalar(co_store *s, const char *sql)
{
    co_cursor *c;
    co_error err;
    co_error_clear(&err);
    bool has_row;
    assert_int_equal(co_store_query(s, sql, NULL, 0, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    long long v = co_cursor_value(c, 0).i;
    co_cursor_close(c);
    return v;
}

static void loader_rejects_rows_and_keeps_going(void **state)
{
    (void)state;
    co_store *s = open_db("l.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "CREATE TABLE c (id INTEGER PRIMARY KEY, email TEXT NOT NULL"
                                      " CHECK (email LIKE '%@%'), n INTEGER) STRICT",
                                   &err),
                     CO_OK);
    static const char *const cols[] = {"id", "email", "n"};
    load_seen seen = {0};
    co_load_events events = {on_loaded, on_refused, &seen};
    co_loader *l;
    assert_int_equal(co_loader_open(s, "c", cols, 3, &events, &l, &err), CO_OK);
    /* SQLite's keys are reserved ahead (co_store_reserve_keys), not read back. */
    assert_false(co_store_caps(s).keys_on_insert);
    assert_int_equal(co_loader_assign_key(l, 0, NULL, &err), CO_EUNSUPPORTED);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    co_value rows[][3] = {
        {co_int(1), co_text("a@x", 3), co_int(1)},
        {co_int(1), co_text("b@x", 3), co_int(2)},           /* duplicate key */
        {co_int(2), co_null(), co_int(3)},                   /* NOT NULL */
        {co_int(3), co_text("no-at", 5), co_int(4)},         /* CHECK */
        {co_int(4), co_text("d@x", 3), co_text("four", 4)}, /* STRICT type */
        {co_int(5), co_text("e@x", 3), co_null()},
    };
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(co_loader_put(l, rows[i], &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    assert_int_equal(seen.loaded, 2);
    assert_int_equal(seen.refused, 4);
    assert_string_equal(seen.rules[0], "duplicate_key");
    assert_string_equal(seen.rules[1], "not_null");
    assert_string_equal(seen.rules[2], "check");
    assert_string_equal(seen.rules[3], "type");
    assert_int_equal(seen.keys[3], 4);
    assert_int_equal(scalar(s, "SELECT sum(id) FROM c"), 6);

    /* Many rows: whole groups go in one statement; a group holding a bad row
     * is retried row by row, and only the bad rows are refused. */
    memset(&seen, 0, sizeof seen);
    assert_int_equal(co_store_begin(s, &err), CO_OK);
    char email[32];
    long long good_sum = 0;
    for (int i = 100; i < 1100; i++) {
        bool bad = i % 97 == 0;
        snprintf(email, sizeof email, bad ? "nobody" : "u%d@x", i);
        co_value row[] = {co_int(i), co_text(email, strlen(email)), co_int(i)};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
        if (!bad)
            good_sum += i;
    }
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(co_store_commit(s, &err), CO_OK);
    assert_int_equal(seen.refused, 10);
    assert_int_equal(seen.loaded, 990);
    assert_int_equal(seen.loaded_sum, good_sum);
    assert_int_equal(scalar(s, "SELECT count(*) FROM c WHERE id >= 100"), 990);
    assert_int_equal(scalar(s, "SELECT count(*) FROM c WHERE email = 'u500@x'"), 1);
    co_loader_close(l);

    /* A table's own ON CONFLICT IGNORE does not drop rows silently: they are refused. */
    assert_int_equal(co_store_exec(s, "CREATE TABLE lax (id INTEGER PRIMARY KEY ON CONFLICT IGNORE,"
                                      " name TEXT NOT NULL ON CONFLICT IGNORE)", &err), CO_OK);
    static const char *const lax_cols[] = {"id", "name"};
    co_loader *lax;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(co_loader_open(s, "lax", lax_cols, 2, &events, &lax, &err), CO_OK);
    co_value lax_rows[][2] = {{co_int(1), co_text("a", 1)}, {co_int(1), co_text("b", 1)},
                              {co_int(2), co_null()},       {co_int(3), co_text("c", 1)}};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(co_loader_put(lax, lax_rows[i], &err), CO_OK);
    assert_int_equal(co_loader_flush(lax, &err), CO_OK);
    co_loader_close(lax);
    assert_int_equal(seen.loaded, 2);
    assert_int_equal(seen.refused, 2);
    assert_int_equal(scalar(s, "SELECT count(*) FROM lax"), 2);

    /* A trigger that ignores rows: each such row is reported, never lost. */
    assert_int_equal(co_store_exec(s, "CREATE TABLE trig (id INTEGER PRIMARY KEY);"
                                      "CREATE TRIGGER no_odd BEFORE INSERT ON trig WHEN new.id % 2 = 1"
                                      " BEGIN SELECT RAISE(IGNORE); END;", &err), CO_OK);
    static const char *const trig_cols[] = {"id"};
    memset(&seen, 0, sizeof seen);
    assert_int_equal(co_loader_open(s, "trig", trig_cols, 1, &events, &lax, &err), CO_OK);
    for (int i = 0; i < 100; i++) {
        co_value row[] = {co_int(i)};
        assert_int_equal(co_loader_put(lax, row, &err), CO_OK);
    }
    assert_int_equal(co_loader_flush(lax, &err), CO_OK);
    co_loader_close(lax);
    assert_int_equal(seen.loaded, 50);
    assert_int_equal(seen.refused, 50);
    assert_string_equal(seen.rules[0], "ignored");
    assert_int_equal(scalar(s, "SELECT count(*) FROM trig"), 50);

    /* Declared foreign keys hold while loading, as PostgreSQL holds them for a
     * COPY: a row without its parent is refused (foreign_key); a parent in the
     * table or among the rows of the same group counts; a NULL names nothing. */
    assert_int_equal(co_store_exec(s, "CREATE TABLE par (id INTEGER PRIMARY KEY);"
                                      "INSERT INTO par VALUES (1);"
                                      "CREATE TABLE kid (id INTEGER PRIMARY KEY,"
                                      " par_id INTEGER REFERENCES par, up INTEGER REFERENCES kid (id))",
                                   &err),
                     CO_OK);
    static const char *const kid_cols[] = {"id", "par_id", "up"};
    memset(&seen, 0, sizeof seen);
    assert_int_equal(co_loader_open(s, "kid", kid_cols, 3, &events, &lax, &err), CO_OK);
    co_value kids[][3] = {{co_int(10), co_int(1), co_int(11)}, /* up: a later row */
                          {co_int(11), co_null(), co_null()},
                          {co_int(12), co_int(2), co_null()}, /* no parent 2 */
                          {co_int(13), co_int(1), co_int(99)}}; /* no kid 99 */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(co_loader_put(lax, kids[i], &err), CO_OK);
    assert_int_equal(co_loader_flush(lax, &err), CO_OK);
    co_loader_close(lax);
    assert_int_equal(seen.loaded, 2);
    assert_int_equal(seen.refused, 2);
    assert_string_equal(seen.rules[0], "foreign_key");
    assert_string_equal(seen.rules[1], "foreign_key");
    assert_int_equal(seen.keys[0], 12);
    assert_int_equal(seen.keys[1], 13);
    assert_int_equal(scalar(s, "SELECT count(*) FROM pragma_foreign_key_check('kid')"), 0);

    /* Without events, a refused row is an error. */
    assert_int_equal(co_loader_open(s, "c", cols, 3, NULL, &l, &err), CO_OK);
    assert_int_equal(co_loader_put(l, rows[0], &err), CO_OK);
    assert_int_equal(co_loader_flush(l, &err), CO_ESTATE);
    assert_non_null(strstr(err.message, "refused"));
    co_loader_close(l);

    /* A table that does not exist is an error of the side, not a reject. */
    assert_int_equal(co_loader_open(s, "absent", cols, 3, &events, &l, &err), CO_ESTATE);
    co_store_close(s);
}


/* cutover_round() in SQL and Co_round_decimal in C round alike, also on
 * halves that binary floating point cannot hold exactly (1.005, 1.015), where
 * SQLite's own round() and round(x * 100) / 100 in C disagree. */
static void rounding_is_the_same_in_sql_and_c(void **state)
{
    (void)state;
    co_store *s = open_db("round.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    static const struct { double x; int digits; double want; } cases[] = {
        {1.005, 2, 1.01}, {1.015, 2, 1.02}, {2.675, 2, 2.68}, {-1.005, 2, -1.01},
        {0.985, 2, 0.99}, {1.004999, 2, 1.0}, {12345.5, 0, 12346}, {0.125, 2, 0.13},
        {1234.5678, -2, 1200}, {3.0, 2, 3.0}, {1e20, 2, 1e20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double c_side = Co_round_decimal(cases[i].x, cases[i].digits);
        assert_true(c_side == cases[i].want);
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT cutover_round(%.17g, %d) = %.17g", cases[i].x,
                 cases[i].digits, c_side);
        int64_t same = 0;
        assert_int_equal(co_store_query_int(s, sql, NULL, 0, &same, NULL, &err), CO_OK);
        assert_int_equal(same, 1);
    }
    /* Text and NULL go through as they are. */
    int64_t same = 0;
    assert_int_equal(co_store_query_int(s, "SELECT cutover_round('x', 2) = 'x' AND"
                                           " cutover_round(NULL, 2) IS NULL",
                                        NULL, 0, &same, NULL, &err),
                     CO_OK);
    assert_int_equal(same, 1);
    co_store_close(s);
}

/* cutover_map(n, x): a value the map knows becomes its entry (decoded from
 * its canonical key, so text that spells an integer finds the integer's
 * entry, as the engine's id maps do), map n and no other; anything else, and
 * every value once the map is cleared, goes through as it is. */
static bool map_of_test(void *ctx, int map, const char *key, size_t len, const char **to,
                        size_t *tolen)
{
    (*(int *)ctx)++;
    static const struct { int map; const char *from, *to; } entries[] = {
        {1, "[466171]", "[100016]"}, {1, "[\"cnn.com\"]", "[\"CNN.com\"]"}, {2, "[7]", "[8]"},
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (entries[i].map == map && strlen(entries[i].from) == len &&
            memcmp(entries[i].from, key, len) == 0) {
            *to = entries[i].to;
            *tolen = strlen(entries[i].to);
            return true;
        }
    return false;
}

static void values_are_mapped_in_sql(void **state)
{
    (void)state;
    co_store *s = open_db("map.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    int calls = 0;
    int64_t ok = 0;
    const char *mapped = "SELECT cutover_map(1, 466171) = 100016 AND typeof(cutover_map(1, 466171)) = 'integer'"
                         " AND cutover_map(1, '466171') = 100016"
                         " AND cutover_map(1, 'cnn.com') = 'CNN.com'"
                         " AND cutover_map(2, 466171) = 466171 AND cutover_map(1, 7) = 7"
                         " AND cutover_map(2, 7) = 8 AND cutover_map(1, 5) = 5"
                         " AND cutover_map(1, NULL) IS NULL AND cutover_map(1, 2.5) = 2.5";
    co_store_set_value_map(s, map_of_test, &calls);
    assert_int_equal(co_store_query_int(s, mapped, NULL, 0, &ok, NULL, &err), CO_OK);
    assert_int_equal(ok, 1);
    assert_true(calls >= 8); /* NULL is not looked up */
    /* In a query over rows, through a subquery the outer WHERE reaches. */
    assert_int_equal(co_store_query_int(s, "SELECT sum(v) FROM (SELECT cutover_map(2, x) AS v FROM"
                                           " (SELECT 7 AS x UNION ALL SELECT 9)) WHERE v > 7",
                                        NULL, 0, &ok, NULL, &err),
                     CO_OK);
    assert_int_equal(ok, 17);
    co_store_set_value_map(s, NULL, NULL);
    assert_int_equal(co_store_query_int(s, "SELECT cutover_map(1, 466171) = 466171", NULL, 0, &ok,
                                        NULL, &err),
                     CO_OK);
    assert_int_equal(ok, 1);
    co_store_close(s);
}

/* Schemas: a table made again in a new file as the first declares it, with
 * its index and the table its foreign key names; a file not yet there is
 * created only when asked. */
static void schemas_are_copied(void **state)
{
    (void)state;
    co_error err;
    co_error_clear(&err);
    co_store *target = NULL;
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:schema-from.db");
    assert_int_equal(co_store_open_create(uri, CO_SIDE_TARGET, dir, &target, &err), CO_OK);
    assert_int_equal(co_store_exec(target,
                                   "CREATE TABLE parents (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                   " name TEXT NOT NULL DEFAULT 'x' CHECK (name <> ''));"
                                   "CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER"
                                   " REFERENCES parents (id), code TEXT UNIQUE);"
                                   "CREATE INDEX kids_parent ON kids (parent_id);"
                                   "CREATE TABLE other (id INTEGER)",
                                   &err),
                     CO_OK);
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(co_store_schema_tables(target, &names, &n, &err), CO_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "kids");
    assert_string_equal(names[2], "parents");
    co_names_free(names, n);

    snprintf(uri, sizeof uri, "sqlite:schema-new/staging.db");
    assert_true(co_store_is_new_file(uri, dir));
    co_store *staging = NULL;
    assert_int_not_equal(co_store_open(uri, CO_SIDE_STAGING, dir, &staging, &err), CO_OK);
    assert_int_equal(co_store_open_create(uri, CO_SIDE_STAGING, dir, &staging, &err), CO_OK);
    assert_false(co_store_is_new_file(uri, dir));
    const char *want[] = {"kids"};
    assert_int_equal(co_store_schema_copy(target, staging, want, 1, &names, &n, &err), CO_OK);
    assert_int_equal(n, 2); /* kids, and parents, which its foreign key names */
    assert_string_equal(names[0], "kids");
    assert_string_equal(names[1], "parents");
    co_names_free(names, n);
    assert_true(co_store_has_table(staging, "parents"));
    assert_false(co_store_has_table(staging, "other"));
    int64_t same = 0;
    assert_int_equal(co_store_query_int(staging,
                                        "SELECT count(*) FROM sqlite_schema WHERE name IN"
                                        " ('kids_parent', 'sqlite_sequence',"
                                        " 'sqlite_autoindex_kids_1')",
                                        NULL, 0, &same, NULL, &err),
                     CO_OK);
    assert_int_equal(same, 3);
    /* The CHECK and the default came along. */
    assert_int_not_equal(co_store_exec(staging, "INSERT INTO parents (name) VALUES ('')", &err),
                         CO_OK);
    assert_int_equal(co_store_exec(staging, "INSERT INTO parents DEFAULT VALUES", &err), CO_OK);
    /* Nothing missing: nothing made. */
    assert_int_equal(co_store_schema_copy(target, staging, want, 1, &names, &n, &err), CO_OK);
    assert_int_equal(n, 0);
    co_names_free(names, n);
    /* A table the source lacks. */
    const char *none[] = {"nowhere"};
    assert_int_equal(co_store_schema_copy(target, staging, none, 1, &names, &n, &err),
                     CO_ENOTFOUND);
    co_buf ddl = CO_BUF_INIT;
    assert_int_equal(co_store_schema_ddl(target, want, 1, &ddl, &err), CO_OK);
    assert_non_null(strstr(co_buf_str(&ddl), "CREATE INDEX kids_parent"));
    Co_buf_release(&ddl);
    co_store_close(staging);
    co_store_close(target);
}

/* cutover_canon() in SQL gives what Co_canon_value gives in C, so the hash
 * path (in SQLite) and the row path (in cutover) agree value for value. */
static void canonical_forms_are_the_same_in_sql_and_c(void **state)
{
    (void)state;
    co_store *s = open_db("canon.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    static const struct { const char *literal, *type; } cases[] = {
        {"'1.50'", "real"}, {"'0042'", "integer"}, {"'abc'", "integer"}, {"1.505", "decimal(2)"},
        {"'2024-01-05 00:00:00'", "date"}, {"'2024-01-05T10:00:00+02:00'", "timestamptz"},
        {"'2024-01-05T10:00'", "timestamp"}, {"'t'", "boolean"}, {"NULL", "real"},
        {"X'00ff'", "integer"}, {"7", "any"}, {"'18446744073709551615'", "integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT cutover_canon(%s, '%s')", cases[i].literal,
                 cases[i].type);
        co_cursor *c = NULL;
        bool has_row = false;
        assert_int_equal(co_store_query(s, sql, NULL, 0, &c, &err), CO_OK);
        assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
        assert_true(has_row);
        co_value in_sql = co_cursor_value(c, 0);
        /* the C form of the same literal, read back through SQLite as it is */
        snprintf(sql, sizeof sql, "SELECT %s", cases[i].literal);
        co_cursor *raw = NULL;
        assert_int_equal(co_store_query(s, sql, NULL, 0, &raw, &err), CO_OK);
        assert_int_equal(co_cursor_next(raw, &has_row, &err), CO_OK);
        co_canon_type t;
        assert_true(Co_canon_type_parse(cases[i].type, &t));
        char buf[CO_CANON_TEXT_MAX];
        co_value in_c = Co_canon_value(t, co_cursor_value(raw, 0), buf);
        assert_int_equal(in_sql.type, in_c.type);
        assert_true(Co_row_hash(&in_sql, 1) == Co_row_hash(&in_c, 1));
        co_cursor_close(raw);
        co_cursor_close(c);
    }
    assert_int_not_equal(co_store_exec(s, "SELECT cutover_canon(1, 'no such type')", &err), CO_OK);
    /* the typed hash sum: each value canonical first, in one call per row */
    int64_t same = 0;
    assert_int_equal(co_store_query_int(s,
                                        "SELECT (SELECT cutover_canon_hash_sum('real,integer,any', a,"
                                        " b, c) FROM (SELECT '1.50' AS a, '0042' AS b, '0042' AS c))"
                                        " = (SELECT cutover_hash_sum(1.5, 42, '0042'))",
                                        NULL, 0, &same, NULL, &err),
                     CO_OK);
    assert_int_equal(same, 1);
    assert_int_not_equal(co_store_exec(s, "SELECT cutover_canon_hash_sum('real', 1, 2)", &err),
                         CO_OK);
    co_store_close(s);
}

/* The constraints a SQLite table declares, as verify reads them. */
static void sqlite_constraints_are_read_from_the_schema(void **state)
{
    (void)state;
    co_store *s = open_db("constraints.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s,
                                   "CREATE TABLE p (a INTEGER, b TEXT, PRIMARY KEY (a, b));"
                                   "CREATE TABLE q (id INTEGER PRIMARY KEY);"
                                   "CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER, b TEXT,"
                                   " q_id INTEGER REFERENCES q, \"odd \"\"check\"\"\" TEXT"
                                   " CONSTRAINT named CHECK (length(\"odd \"\"check\"\"\") < 5),"
                                   " note TEXT DEFAULT 'CHECK (x)' /* CHECK (no) */,"
                                   " FOREIGN KEY (a, b) REFERENCES p (a, b), UNIQUE (a, note),"
                                   " CHECK (a > (0)));"
                                   "CREATE UNIQUE INDEX c_b ON c (b);"
                                   "CREATE UNIQUE INDEX c_partial ON c (note) WHERE a > 1;",
                                   &err),
                     CO_OK);
    co_constraint *k = NULL;
    size_t n = 0;
    assert_int_equal(co_store_constraints(s, "c", &k, &n, &err), CO_OK);
    size_t uniques = 0, checks = 0, fks = 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i].kind == CO_CONSTRAINT_UNIQUE) {
            uniques++;
            assert_true(strcmp(k[i].name, "c_b") == 0 || strcmp(k[i].name, "UNIQUE (a, note)") == 0);
        } else if (k[i].kind == CO_CONSTRAINT_CHECK) {
            checks++;
            if (strcmp(k[i].name, "named") == 0)
                assert_string_equal(k[i].check, "length(\"odd \"\"check\"\"\") < 5");
            else
                assert_string_equal(k[i].check, "a > (0)");
        } else {
            fks++;
            if (strcmp(k[i].parent, "p") == 0) {
                assert_int_equal(k[i].ncolumns, 2);
                assert_string_equal(k[i].columns[1], "b");
                assert_string_equal(k[i].parent_columns[1], "b");
            } else {
                /* REFERENCES q: its primary key */
                assert_string_equal(k[i].parent, "q");
                assert_string_equal(k[i].columns[0], "q_id");
                assert_string_equal(k[i].parent_columns[0], "id");
            }
        }
    }
    assert_int_equal(uniques, 2); /* the partial index is left out */
    assert_int_equal(checks, 2);
    assert_int_equal(fks, 2);
    co_constraints_free(k, n);
    /* a composite primary key is a unique key marked primary */
    assert_int_equal(co_store_constraints(s, "p", &k, &n, &err), CO_OK);
    assert_int_equal(n, 1);
    assert_true(k[0].kind == CO_CONSTRAINT_UNIQUE && k[0].primary);
    assert_string_equal(k[0].name, "PRIMARY KEY (a, b)");
    co_constraints_free(k, n);
    co_store_close(s);
}

/* A SQLite table's indexes as the catalog gives them, and the distinct
 * values of a column read by a skip scan only where an ordered index of
 * every row leads with it: the same rows as SELECT DISTINCT, NULL included. */
static void sqlite_indexes_and_skip_scans(void **state)
{
    (void)state;
    co_store *s = open_db("indexes.db", CO_SIDE_STATE);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s,
                                   "CREATE TABLE t (id INTEGER PRIMARY KEY, tenant INTEGER,"
                                   " name TEXT COLLATE NOCASE, code TEXT, part INTEGER,"
                                   " UNIQUE (id, code));"
                                   "CREATE INDEX t_tenant ON t (tenant, name);"
                                   "CREATE INDEX t_name ON t (name);"
                                   "CREATE INDEX t_code_binary ON t (code COLLATE NOCASE);"
                                   "CREATE INDEX t_part ON t (part) WHERE part > 1;"
                                   "CREATE INDEX t_expr ON t (lower(code), id);"
                                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
                                   " FROM n WHERE i < 300)"
                                   " INSERT INTO t SELECT i, CASE WHEN i % 50 = 0 THEN NULL"
                                   " ELSE i % 7 END, CASE i % 3 WHEN 0 THEN 'a' WHEN 1"
                                   " THEN 'A' ELSE 'b' END, 'c' || (i % 4), i % 5 FROM n;",
                                   &err),
                     CO_OK);
    co_index *ix = NULL;
    size_t n = 0;
    assert_int_equal(co_store_indexes(s, "t", &ix, &n, &err), CO_OK);
    assert_int_equal(n, 6); /* the UNIQUE clause's automatic index included */
    const co_index *tenant = index_named(ix, n, "t_tenant");
    assert_int_equal(tenant->ncolumns, 2);
    assert_string_equal(tenant->columns[0], "tenant");
    assert_string_equal(tenant->columns[1], "name");
    assert_true(tenant->ordered && !tenant->partial && !tenant->unique);
    assert_true(index_named(ix, n, "t_name")->ordered); /* NOCASE, as the column declares */
    assert_false(index_named(ix, n, "t_code_binary")->ordered); /* not the column's */
    assert_true(index_named(ix, n, "t_part")->partial);
    const co_index *expr = index_named(ix, n, "t_expr");
    assert_true(expr->columns[0] == NULL && !expr->ordered);
    const co_index *unique = index_named(ix, n, "sqlite_autoindex_t_1");
    assert_true(unique->unique && unique->ncolumns == 2);
    co_indexes_free(ix, n);

    struct {
        const char *column;
        bool skip;
    } cases[] = {{"tenant", true}, {"name", true}, {"code", false}, {"part", false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_distinct_as_plain(s, "t", cases[i].column, cases[i].skip);
    /* what the skip scan found for the tenant column, NULL once */
    co_buf sql = CO_BUF_INIT;
    co_store_distinct_sql(s, "t", "tenant", &sql, NULL);
    char got[2048];
    distinct_rows(s, co_buf_str(&sql), got, sizeof got);
    assert_string_equal(got, "0 1 2 3 4 5 6 NULL");
    /* an empty table: no rows */
    assert_int_equal(co_store_exec(s, "DELETE FROM t", &err), CO_OK);
    distinct_rows(s, co_buf_str(&sql), got, sizeof got);
    assert_string_equal(got, "");
    Co_buf_release(&sql);
    co_store_close(s);
}

static void exec_ok(co_store *s, const char *sql)
{
    co_error err;
    co_error_clear(&err);
    if (co_store_exec(s, sql, &err) != CO_OK)
        fail_msg("%s: %s", sql, err.message);
}

/* ---- the dialect and capture operations (store.h), against the database ---- */

static int64_t count_of(co_store *s, const char *sql)
{
    int64_t v = -1;
    co_error err;
    co_error_clear(&err);
    if (co_store_query_int(s, sql, NULL, 0, &v, NULL, &err) != CO_OK)
        fail_msg("%s: %s", sql, err.message);
    return v;
}

static void count_loaded(void *ctx, const co_value *row, size_t ncols)
{
    (void)row;
    (void)ncols;
    (*(int *)ctx)++;
}

/* co_store_begin_on_write: the write lock is taken by the first write, and a
 * loader holds its rows (more than a group) until it is flushed, so another
 * connection writes meanwhile; a commit with nothing written ends nothing. */
static void a_transaction_begun_on_write_locks_when_it_writes(void **state)
{
    (void)state;
    co_store *a = open_db("lazy.db", CO_SIDE_STATE), *b = open_db("lazy.db", CO_SIDE_STATE);
    exec_ok(a, "PRAGMA journal_mode = WAL; CREATE TABLE m (k TEXT PRIMARY KEY, v INTEGER)");
    exec_ok(b, "PRAGMA busy_timeout = 0"); /* a lock held by a: SQLITE_BUSY at once */
    co_error err;
    co_error_clear(&err);
    int loaded = 0;
    co_load_events events = {count_loaded, NULL, &loaded};
    const char *cols[] = {"k", "v"};
    co_loader *l = NULL;
    assert_int_equal(co_loader_open(a, "m", cols, 2, &events, &l, &err), CO_OK);
    assert_int_equal(co_store_begin_on_write(a, &err), CO_OK);
    for (int i = 0; i < 200; i++) {
        char k[16];
        snprintf(k, sizeof k, "a%d", i);
        co_value row[] = {co_text(k, strlen(k)), co_int(i)};
        assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    }
    assert_int_equal(loaded, 0); /* held */
    assert_int_equal(co_store_begin(b, &err), CO_OK);
    exec_ok(b, "INSERT INTO m VALUES ('b', 1)");
    assert_int_equal(co_store_commit(b, &err), CO_OK);
    /* The flush takes the lock and applies every row held. */
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(loaded, 200);
    assert_int_equal(co_store_begin(b, &err), CO_ESTATE);
    assert_int_equal(count_of(b, "SELECT count(*) FROM m"), 1);
    assert_int_equal(co_store_commit(a, &err), CO_OK);
    assert_int_equal(count_of(b, "SELECT count(*) FROM m"), 201);
    /* Nothing written: commit and rollback end nothing, and hold no lock. */
    assert_int_equal(co_store_begin_on_write(a, &err), CO_OK);
    assert_int_equal(co_store_commit(a, &err), CO_OK);
    assert_int_equal(co_store_begin_on_write(a, &err), CO_OK);
    co_store_rollback(a);
    assert_int_equal(co_store_begin(b, &err), CO_OK);
    co_store_rollback(b);
    /* A statement takes the lock too; a rollback undoes it and the rows held. */
    assert_int_equal(co_store_begin_on_write(a, &err), CO_OK);
    co_value row[] = {co_text("held", 4), co_int(0)};
    assert_int_equal(co_loader_put(l, row, &err), CO_OK);
    exec_ok(a, "DELETE FROM m WHERE k = 'b'");
    assert_int_equal(co_store_begin(b, &err), CO_ESTATE);
    co_loader_discard(l);
    co_store_rollback(a);
    assert_int_equal(count_of(b, "SELECT count(*) FROM m"), 201);
    /* Memory stays bounded: past 65,536 rows held, the lock is taken and they go in. */
    assert_int_equal(co_store_begin_on_write(a, &err), CO_OK);
    for (int i = 0; i < 70000; i++) {
        char k[16];
        snprintf(k, sizeof k, "h%d", i);
        co_value held[] = {co_text(k, strlen(k)), co_int(i)};
        assert_int_equal(co_loader_put(l, held, &err), CO_OK);
    }
    assert_int_equal(co_store_begin(b, &err), CO_ESTATE);
    assert_int_equal(co_loader_flush(l, &err), CO_OK);
    assert_int_equal(co_store_commit(a, &err), CO_OK);
    assert_int_equal(count_of(b, "SELECT count(*) FROM m"), 70201);
    co_loader_close(l);
    co_store_close(b);
    co_store_close(a);
}

static void literals_stand_for_their_values(void **state)
{
    (void)state;
    co_store *s = open_db("lit.db", CO_SIDE_STATE);
    exec_ok(s, "CREATE TABLE t (k, b BLOB)");
    exec_ok(s, "INSERT INTO t VALUES (7, x'00ff27'), ('7', NULL), ('it''s', NULL)");
    co_value blob = co_text("\x00\xff'", 3), text = co_text("it's", 4), n = co_int(7),
             real = co_real(0.1);
    blob.type = CO_BLOB;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT count(*) FROM t WHERE b = ");
    co_store_literal(s, &blob, &sql);
    assert_int_equal(scalar(s, co_buf_str(&sql)), 1);
    Co_buf_reset(&sql);
    Co_buf_adds(&sql, "SELECT count(*) FROM t WHERE k = ");
    co_store_literal(s, &text, &sql);
    assert_int_equal(scalar(s, co_buf_str(&sql)), 1);
    Co_buf_reset(&sql);
    Co_buf_adds(&sql, "SELECT ");
    co_store_literal(s, &real, &sql);
    Co_buf_adds(&sql, " = 0.1");
    assert_int_equal(scalar(s, co_buf_str(&sql)), 1);
    /* an id stored as 7 in one row and '7' in another: both are named */
    Co_buf_reset(&sql);
    Co_buf_adds(&sql, "SELECT count(*) FROM t WHERE k IN (");
    co_store_key_literals(s, &n, &sql);
    Co_buf_adds(&sql, ")");
    assert_int_equal(scalar(s, co_buf_str(&sql)), 2);
    Co_buf_reset(&sql);
    co_store_unindexed_column(s, "k", &sql);
    assert_string_equal(co_buf_str(&sql), "+\"k\"");
    Co_buf_release(&sql);
    co_store_close(s);
}

static void conditions_and_capabilities(void **state)
{
    (void)state;
    co_store *s = open_db("cond.db", CO_SIDE_STATE);
    co_caps caps = co_store_caps(s);
    assert_true(caps.one_file);
    assert_false(caps.row_locks);
    assert_false(caps.failed_statement_aborts);
    assert_string_equal(co_store_key_eq_op(s), "IS");
    exec_ok(s, "CREATE TABLE j (source_key TEXT, v)");
    exec_ok(s, "INSERT INTO j VALUES ('[5,\"a\"]', NULL)");
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT count(*) FROM j WHERE ");
    co_store_null_test(s, "\"v\"", &sql);
    Co_buf_adds(&sql, " AND ");
    co_store_json_item_eq(s, "source_key", 0, ":a", &sql);
    Co_buf_adds(&sql, " AND ");
    co_store_json_item_eq(s, "source_key", 1, ":b", &sql);
    co_param p[] = {{":a", co_int(5)}, {":b", co_text("a", 1)}};
    co_error err;
    co_error_clear(&err);
    int64_t count = -1;
    assert_int_equal(co_store_query_int(s, co_buf_str(&sql), p, 2, &count, NULL, &err), CO_OK);
    assert_int_equal(count, 1);
    /* the database's clock, in seconds since 1970 */
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT CAST(%s AS INTEGER)", co_store_epoch_sql(s));
    int64_t now = scalar(s, co_buf_str(&sql));
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
    Co_buf_release(&sql);
    co_store_close(s);
}

static void capture_records_freezes_and_goes(void **state)
{
    (void)state;
    co_store *s = open_db("cap.db", CO_SIDE_STATE);
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
    /* the insert, and the update once: its row did not move */
    assert_int_equal(scalar(s, "SELECT count(*) FROM cutover_changes WHERE tenant = 'a'"), 2);
    assert_int_equal(scalar(s, "SELECT count(*) FROM cutover_changes WHERE tenant = 'b'"), 0);
    /* a row that moves records its old row too: another key, another tenant */
    exec_ok(s, "INSERT INTO orders VALUES (3, 'a', 1)");
    exec_ok(s, "UPDATE orders SET id = 4 WHERE id = 3");
    assert_int_equal(scalar(s, "SELECT count(*) FROM cutover_changes WHERE tenant = 'a' AND op = "
                               "'update' AND key IN ('[3]', '[4]')"),
                     2);
    exec_ok(s, "INSERT INTO cutover_tenants VALUES ('c', 'now')");
    exec_ok(s, "UPDATE orders SET shop = 'c' WHERE id = 4");
    assert_int_equal(scalar(s, "SELECT count(*) FROM cutover_changes WHERE op = 'update' AND "
                               "key = '[4]' AND tenant IN ('a', 'c')"),
                     3);
    exec_ok(s, "DELETE FROM orders WHERE id = 4");
    exec_ok(s, "DELETE FROM cutover_tenants WHERE tenant = 'c'");
    int64_t mark = -1;
    assert_int_equal(co_store_capture_horizon(s, &mark, &err), CO_OK);
    assert_int_equal(mark, 8);
    /* frozen, with a fresh heartbeat: a's writes are refused, b's are not */
    exec_ok(s, "BEGIN");
    assert_int_equal(co_store_capture_freeze(s, &spec, 1, "a", true, &err), CO_OK);
    co_buf row = CO_BUF_INIT;
    Co_buf_printf(&row, "INSERT INTO cutover_frozen VALUES ('a', 'now', 1, %s, 60)",
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
    assert_int_equal(scalar(s, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'cutover%'"),
                     0);
    Co_buf_release(&row);
    co_store_close(s);
}

/* A thread that takes the write token of s. */
typedef struct taker {
    co_store *s;
    co_write_token *token;
    int taken; /* read and written with __atomic builtins */
} taker;

static void *take_token(void *arg)
{
    taker *t = arg;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(Co_store_writer_take(t->s, &t->token, &err), CO_OK);
    __atomic_store_n(&t->taken, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* One thread of the process holds a SQLite file's write token at a time:
 * another waits until it is given back, whatever the spelling of the file's
 * path; another file's token is another token; an in-memory database has
 * none. The holder's connection has the larger page cache of a load, and
 * the smaller one of a reader once it gives the token back. */
static void one_thread_holds_a_files_write_token(void **state)
{
    (void)state;
    co_store *init = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_store_open_create("sqlite:token-a.db", CO_SIDE_TARGET, dir, &init, &err),
                     CO_OK);
    co_store_close(init);
    assert_int_equal(co_store_open_create("sqlite:token-b.db", CO_SIDE_TARGET, dir, &init, &err),
                     CO_OK);
    co_store_close(init);
    co_store *a = open_db("token-a.db", CO_SIDE_TARGET), *a2 = open_db("./token-a.db", CO_SIDE_TARGET),
             *b = open_db("token-b.db", CO_SIDE_TARGET), *mem = open_db(":memory:", CO_SIDE_TARGET);
    co_write_token *ta = NULL, *tb = NULL, *tm = NULL;
    assert_int_equal(Co_store_writer_take(a, &ta, &err), CO_OK);
    assert_non_null(ta);
    assert_int_equal(scalar(a, "PRAGMA cache_size"), -65536); /* a load's dirty pages */
    assert_int_equal(Co_store_writer_take(b, &tb, &err), CO_OK); /* not a's: no wait */
    assert_non_null(tb);
    assert_ptr_not_equal(ta, tb);
    assert_int_equal(Co_store_writer_take(mem, &tm, &err), CO_OK);
    assert_null(tm);
    taker t = {a2, NULL, 0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, take_token, &t), 0);
    struct timespec pause = {0, 200 * 1000000L};
    nanosleep(&pause, NULL);
    assert_int_equal(__atomic_load_n(&t.taken, __ATOMIC_SEQ_CST), 0); /* a holds it */
    Co_store_writer_give(ta);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(scalar(a, "PRAGMA cache_size"), -16384); /* only reading now */
    assert_int_equal(scalar(a2, "PRAGMA cache_size"), -65536); /* a2 loads */
    assert_int_equal(t.taken, 1);
    assert_ptr_equal(t.token, ta); /* the same file's token */
    Co_store_writer_give(t.token);
    Co_store_writer_give(tb);
    Co_store_writer_give(NULL);
    co_store_close(a);
    co_store_close(a2);
    co_store_close(b);
    co_store_close(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_source_is_a_source_error),
        cmocka_unit_test(canonical_forms_are_the_same_in_sql_and_c),
        cmocka_unit_test(sqlite_constraints_are_read_from_the_schema),
        cmocka_unit_test(garbage_file_is_refused),
        cmocka_unit_test(unknown_and_postgres_uris),
        cmocka_unit_test(state_side_creates_its_directory),
        cmocka_unit_test(queries_stream_and_bind),
        cmocka_unit_test(the_source_is_never_written),
        cmocka_unit_test(rounding_is_the_same_in_sql_and_c),
        cmocka_unit_test(values_are_mapped_in_sql),
        cmocka_unit_test(columns_and_statements),
        cmocka_unit_test(catalog_reads),
        cmocka_unit_test(loader_rejects_rows_and_keeps_going),
        cmocka_unit_test(a_transaction_begun_on_write_locks_when_it_writes),
        cmocka_unit_test(schemas_are_copied),
        cmocka_unit_test(literals_stand_for_their_values),
        cmocka_unit_test(conditions_and_capabilities),
        cmocka_unit_test(capture_records_freezes_and_goes),
        cmocka_unit_test(one_thread_holds_a_files_write_token),
        cmocka_unit_test(sqlite_indexes_and_skip_scans),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
