/* test_audit_profile.c: column profiles (co_audit_profiles) on a crafted
 * SQLite file with known contents, the HyperLogLog and Space-Saving pieces
 * on their own, value classification, the store's co_store_query_reads, and
 * real third-party files from ../shared/data/pgloader-sqlite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit/classify.h"
#include "audit/hll.h"
#include "audit/topk.h"
#include "cutover/audit.h"
#include "util/buf.h"
#include "tmpdir.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    return test_mkdtemp(dir, sizeof dir, "cutover-audit") ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

/* Creates dir/name from SQL. */
static void create_db(const char *name, const char *sql)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    remove(path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("create %s: %s", name, msg);
    sqlite3_close(db);
}

static co_store *open_source(const char *name)
{
    char uri[160];
    snprintf(uri, sizeof uri, "sqlite:%s", name);
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_store_open(uri, CO_SIDE_SOURCE, dir, &s, &err) != CO_OK)
        fail_msg("open %s: %s", name, err.message);
    return s;
}

static co_column_profile *profiles_of(co_store *s, const co_project *p, size_t *n)
{
    co_column_profile *out = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_audit_profiles(s, p, NULL, &out, n, &err) != CO_OK)
        fail_msg("profiles: %s (%s)", err.message, err.where);
    return out;
}

static const co_column_profile *find(const co_column_profile *p, size_t n, const char *table,
                                     const char *column)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].table, table) == 0 && strcmp(p[i].column, column) == 0)
            return &p[i];
    fail_msg("no profile of %s.%s", table, column);
    return NULL;
}

/* ---- a crafted file with known contents ------------------------------------- */

/* 200 people: ids 1..200; every column's contents follow from the id. */
static const char *crafted_sql =
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);"
    "INSERT INTO accounts VALUES (1, 'one'), (2, 'two');"
    "CREATE TABLE people ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT,"         /* substr of 1..10 letters, 20 rows of each length */
    "  email TEXT,"        /* addresses; two malformed (ids 7 and 150) */
    "  born DATE,"         /* dates; one impossible (id 42) */
    "  fax TEXT,"          /* never filled */
    "  status TEXT,"       /* active 149, inactive 50, banned 1 */
    "  note TEXT,"         /* 40 NULL, 40 '', 40 blanks, 80 'x' */
    "  rare TEXT,"         /* filled in 2 rows of 200: 1%, not below */
    "  whisper TEXT,"      /* only blanks: never filled */
    "  long TEXT,"         /* one 100-character text of two-byte characters */
    "  photo BLOB,"        /* one 40-byte blob */
    "  updated_at TEXT);"  /* 2024-01-01 .. 2024-01-28 */
    "WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n WHERE id < 200)"
    "INSERT INTO people SELECT id,"
    "  substr('abcdefghij', 1, 1 + id % 10),"
    "  CASE id WHEN 7 THEN 'user7(at)example.com' WHEN 150 THEN 'user150@example'"
    "          ELSE 'user' || id || '@example.com' END,"
    "  CASE id WHEN 42 THEN '1990-02-30' ELSE date('1990-01-01', '+' || id || ' days') END,"
    "  NULL,"
    "  CASE WHEN id = 5 THEN 'banned' WHEN id % 4 = 0 THEN 'inactive' ELSE 'active' END,"
    "  CASE id % 5 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN '  ' ELSE 'x' END,"
    "  CASE WHEN id IN (1, 30) THEN 'twice' END,"
    "  CASE WHEN id <= 3 THEN ' ' END,"
    "  CASE id WHEN 9 THEN replace(printf('%100s', ''), ' ', 'é') END,"
    "  CASE id WHEN 11 THEN zeroblob(40) END,"
    "  printf('2024-01-%02dT00:00:00Z', 1 + id % 28)"
    "  FROM n;"
    /* WITHOUT ROWID: row numbers stand for rowids. */
    "CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;"
    "INSERT INTO tags VALUES ('a', 1), ('b', 'lots'), ('c', 3);"
    /* A reserved name, and a column that shadows rowid. */
    "CREATE TABLE \"order\" (rowid TEXT, qty INTEGER);"
    "INSERT INTO \"order\" (rowid, qty) VALUES ('x', 1), ('y', 'many');"
    "CREATE TABLE empty (a INTEGER, b TEXT);";

static const char *crafted_project =
    "source: sqlite:crafted.db\n"
    "target: sqlite:new.db\n"
    "tenants: SELECT id, name FROM accounts\n"
    "entities:\n"
    "  - name: people\n"
    "    key: id\n"
    "    query: SELECT id, upper(name) AS name, email FROM people WHERE id > :tenant\n";

/* --zombie-below: the share under which a column is a zombie. */
static void zombie_share_is_an_option(void **state)
{
    (void)state;
    create_db("crafted.db", crafted_sql);
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_project_parse(crafted_project, strlen(crafted_project), "t.yaml", dir,
                                      &p, &err),
                     CO_OK);
    co_store *s = open_source("crafted.db");
    co_audit_options opt;
    co_audit_options_init(&opt);
    assert_true(opt.zombie_below == 0.01);
    opt.zombie_below = 0.015; /* 2 rows of 200 are under 1.5% */
    co_column_profile *pr = NULL;
    size_t n = 0;
    assert_int_equal(co_audit_profiles(s, p, &opt, &pr, &n, &err), CO_OK);
    assert_true(find(pr, n, "people", "rare")->zombie);
    opt.zombie_below = 0.004; /* 1 row of 200 is not under 0.4% */
    co_profiles_free(pr, n);
    assert_int_equal(co_audit_profiles(s, p, &opt, &pr, &n, &err), CO_OK);
    assert_false(find(pr, n, "people", "long")->zombie);
    assert_false(find(pr, n, "people", "rare")->zombie);
    co_profiles_free(pr, n);
    co_store_close(s);
    co_project_free(p);
}

static void crafted_file_profiles(void **state)
{
    (void)state;
    create_db("crafted.db", crafted_sql);
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_project_parse(crafted_project, strlen(crafted_project), "t.yaml", dir,
                                      &p, &err),
                     CO_OK);
    co_store *s = open_source("crafted.db");
    size_t n = 0;
    co_column_profile *pr = profiles_of(s, p, &n);

    /* Tables in name order, columns in declaration order. */
    assert_int_equal(n, 2 + 12 + 2 + 2 + 2);
    assert_string_equal(pr[0].table, "accounts");
    assert_string_equal(pr[2].table, "empty");
    assert_string_equal(pr[4].table, "order");
    assert_string_equal(pr[6].table, "people");
    assert_string_equal(pr[6].column, "id");
    assert_string_equal(pr[17].column, "updated_at");
    assert_string_equal(pr[18].table, "tags");

    const co_column_profile *c = find(pr, n, "people", "id");
    assert_int_equal(c->rows, 200);
    assert_int_equal(c->distinct, 200);
    assert_string_equal(c->min_value, "1");
    assert_string_equal(c->max_value, "200");
    assert_string_equal(c->apparent_type, "integer");
    assert_string_equal(c->top_values, "[]"); /* all values once */
    assert_true(c->mapped);

    c = find(pr, n, "people", "name");
    assert_int_equal(c->nulls, 0);
    assert_int_equal(c->min_len, 1);
    assert_int_equal(c->max_len, 10);
    assert_true(fabs(c->avg_len - 5.5) < 1e-9);
    assert_int_equal(c->distinct, 10);
    assert_string_equal(c->min_value, "a");
    assert_string_equal(c->max_value, "abcdefghij");
    assert_string_equal(c->apparent_type, "text");
    assert_int_equal(c->type_failures, 0);
    assert_string_equal(c->failure_examples, "[]");
    assert_true(c->mapped); /* read inside upper() */

    c = find(pr, n, "people", "email");
    assert_string_equal(c->apparent_type, "email");
    assert_int_equal(c->type_failures, 2);
    assert_string_equal(c->failure_examples,
                        "[{\"rowid\":7,\"value\":\"user7(at)example.com\",\"why\":\"not an e-mail "
                        "address\"},{\"rowid\":150,\"value\":\"user150@example\",\"why\":\"not an "
                        "e-mail address\"}]");
    assert_true(c->mapped);
    assert_false(c->zombie);
    assert_string_equal(c->last_filled, "2024-01-28T00:00:00Z");

    c = find(pr, n, "people", "born");
    assert_string_equal(c->decl_type, "DATE");
    assert_string_equal(c->apparent_type, "date");
    assert_int_equal(c->type_failures, 1);
    assert_string_equal(c->failure_examples,
                        "[{\"rowid\":42,\"value\":\"1990-02-30\",\"why\":\"not an ISO-8601 date\"}]");
    assert_string_equal(c->min_value, "1990-01-02");
    assert_string_equal(c->max_value, "1990-07-20");
    assert_false(c->mapped);

    c = find(pr, n, "people", "fax");
    assert_int_equal(c->nulls, 200);
    assert_true(c->zombie);
    assert_false(c->mapped);
    assert_string_equal(c->apparent_type, "empty");
    assert_int_equal(c->distinct, 0);
    assert_null(c->min_value);
    assert_null(c->max_value);
    assert_null(c->last_filled);

    c = find(pr, n, "people", "status");
    assert_string_equal(c->top_values,
                        "[{\"value\":\"active\",\"count\":149},{\"value\":\"inactive\",\"count\":50}]");
    assert_int_equal(c->distinct, 3);

    c = find(pr, n, "people", "note");
    assert_int_equal(c->nulls, 40);
    assert_int_equal(c->empties, 80);
    assert_int_equal(c->min_len, 0);
    assert_int_equal(c->max_len, 2);
    assert_string_equal(c->min_value, "");
    assert_string_equal(c->max_value, "x");
    assert_false(c->zombie);

    c = find(pr, n, "people", "rare"); /* 2 rows of 200 are 1%: not under it */
    assert_false(c->zombie);
    assert_string_equal(c->last_filled, "2024-01-03T00:00:00Z");

    c = find(pr, n, "people", "long"); /* 1 row of 200, 0.5%: under 1% */
    assert_true(c->zombie);
    assert_string_equal(c->last_filled, "2024-01-10T00:00:00Z");

    c = find(pr, n, "people", "whisper"); /* blanks only */
    assert_int_equal(c->empties, 3);
    assert_true(c->zombie);
    assert_string_equal(c->apparent_type, "empty");
    assert_null(c->last_filled);

    c = find(pr, n, "people", "long"); /* shown within 60 bytes, whole characters, "…" */
    assert_int_equal(c->max_len, 200);
    assert_true(strlen(c->max_value) <= 60);
    assert_memory_equal(c->max_value, "éééé", 8);
    assert_string_equal(c->max_value + strlen(c->max_value) - 3, "…");

    c = find(pr, n, "people", "photo");
    assert_string_equal(c->apparent_type, "blob");
    assert_int_equal(c->max_len, 40);
    assert_true(strlen(c->min_value) <= 60);
    assert_memory_equal(c->min_value, "x'0000", 6);

    c = find(pr, n, "accounts", "id");
    assert_true(c->mapped); /* by the tenants query */
    assert_null(c->last_filled); /* no timestamp column */

    c = find(pr, n, "tags", "n");
    assert_string_equal(c->apparent_type, "integer");
    assert_int_equal(c->type_failures, 1);
    assert_string_equal(c->failure_examples,
                        "[{\"rowid\":2,\"value\":\"lots\",\"why\":\"text in an INTEGER column\"}]");

    c = find(pr, n, "order", "qty");
    assert_int_equal(c->type_failures, 1);
    assert_string_equal(c->failure_examples,
                        "[{\"rowid\":2,\"value\":\"many\",\"why\":\"text in an INTEGER column\"}]");
    c = find(pr, n, "order", "rowid"); /* the column, not the rowid */
    assert_string_equal(c->max_value, "y");

    c = find(pr, n, "empty", "a"); /* no rows: nothing to call a zombie */
    assert_int_equal(c->rows, 0);
    assert_false(c->zombie);
    assert_string_equal(c->apparent_type, "empty");

    co_profiles_free(pr, n);
    co_store_close(s);
    co_project_free(p);
}

static void unreadable_entity_query_is_an_error(void **state)
{
    (void)state;
    create_db("crafted.db", crafted_sql);
    static const char *text = "source: sqlite:crafted.db\n"
                              "target: sqlite:new.db\n"
                              "tenants: SELECT id FROM accounts\n"
                              "entities:\n"
                              "  - name: ghosts\n"
                              "    key: id\n"
                              "    query: SELECT id FROM ghosts WHERE tenant = :tenant\n";
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_project_parse(text, strlen(text), "t.yaml", dir, &p, &err), CO_OK);
    co_store *s = open_source("crafted.db");
    co_column_profile *pr = (co_column_profile *)(uintptr_t)1;
    size_t n = 99;
    assert_int_equal(co_audit_profiles(s, p, NULL, &pr, &n, &err), CO_ESOURCE);
    assert_null(pr);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.message, "ghosts"));
    assert_non_null(strstr(err.where, "entity ghosts"));
    co_store_close(s);
    co_project_free(p);
}

/* ---- the store seam: what a query reads --------------------------------------- */

typedef struct reads {
    char seen[1024];
    int calls;
} reads;

static void note(void *ctx, const char *table, const char *column)
{
    reads *r = ctx;
    r->calls++;
    size_t len = strlen(r->seen);
    snprintf(r->seen + len, sizeof r->seen - len, "%s.%s;", table, column);
}

static void query_reads_names_columns_without_running(void **state)
{
    (void)state;
    create_db("crafted.db", crafted_sql);
    co_store *s = open_source("crafted.db");
    co_error err;
    co_error_clear(&err);
    reads r = {{0}, 0};
    assert_int_equal(co_store_query_reads(s,
                                          "SELECT p.email, a.name FROM People AS p JOIN accounts "
                                          "AS a ON a.id = p.id WHERE p.status = :tenant",
                                          note, &r, &err),
                     CO_OK);
    assert_non_null(strstr(r.seen, "people.email;"));
    assert_non_null(strstr(r.seen, "accounts.name;"));
    assert_non_null(strstr(r.seen, "people.status;"));
    assert_non_null(strstr(r.seen, "accounts.id;"));
    assert_null(strstr(r.seen, "people.fax"));
    assert_null(strstr(r.seen, "people.name"));

    /* count(*) names no column; a failing query reports an error and leaves
     * no authorizer behind (ASan would catch its dangling context). */
    memset(&r, 0, sizeof r);
    assert_int_equal(co_store_query_reads(s, "SELECT count(*) FROM people", note, &r, &err), CO_OK);
    assert_int_equal(r.calls, 0);
    assert_int_equal(co_store_query_reads(s, "SELECT nope FROM people", note, &r, &err),
                     CO_ESOURCE);
    assert_non_null(strstr(err.message, "nope"));
    co_cursor *c;
    assert_int_equal(co_store_query(s, "SELECT name FROM people", NULL, 0, &c, &err), CO_OK);
    co_cursor_close(c);
    assert_int_equal(r.calls, 0);
    co_store_close(s);
}

/* ---- the pieces --------------------------------------------------------------- */

static void hll_estimates_within_three_percent(void **state)
{
    (void)state;
    co_hll *h = malloc(sizeof *h);
    assert_non_null(h);
    Co_hll_init(h);
    assert_true(Co_hll_estimate(h) == 0.0);
    for (int round = 0; round < 2; round++) /* duplicates change nothing */
        for (int64_t i = 0; i < 100000; i++)
            Co_hll_add(h, XXH3_64bits(&i, sizeof i));
    double e = Co_hll_estimate(h);
    assert_true(fabs(e - 100000.0) / 100000.0 < 0.03);
    /* Exact up to CO_HLL_EXACT distinct values, estimated right past it. */
    Co_hll_init(h);
    for (int64_t i = 0; i < CO_HLL_EXACT - 1; i++)
        Co_hll_add(h, XXH3_64bits(&i, sizeof i));
    Co_hll_add(h, XXH3_64bits("", 0));
    Co_hll_add(h, XXH3_64bits("", 0));
    assert_true(Co_hll_estimate(h) == CO_HLL_EXACT);
    for (int64_t i = CO_HLL_EXACT - 1; i < 3000; i++)
        Co_hll_add(h, XXH3_64bits(&i, sizeof i));
    assert_true(h->sketch);
    assert_true(fabs(Co_hll_estimate(h) - 3001.0) / 3001.0 < 0.03);
    free(h);
}

static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void topk_is_exact_on_a_skewed_stream(void **state)
{
    (void)state;
    /* Value k (1..5000) occurs 20000 / k times, shuffled: the top five are
     * 1..5 with 20000, 10000, 6666, 5000 and 4000 occurrences. */
    size_t total = 0;
    for (int64_t k = 1; k <= 5000; k++)
        total += (size_t)(20000 / k);
    int64_t *stream = malloc(total * sizeof *stream);
    assert_non_null(stream);
    size_t at = 0;
    for (int64_t k = 1; k <= 5000; k++)
        for (int64_t j = 0; j < 20000 / k; j++)
            stream[at++] = k;
    uint64_t seed = 88172645463325252ull;
    for (size_t i = total - 1; i > 0; i--) {
        size_t j = (size_t)(next_random(&seed) % (i + 1));
        int64_t x = stream[i];
        stream[i] = stream[j];
        stream[j] = x;
    }
    co_topk *t = malloc(sizeof *t);
    assert_non_null(t);
    Co_topk_init(t);
    for (size_t i = 0; i < total; i++) {
        co_value v = co_int(stream[i]);
        Co_topk_add(t, XXH3_64bits(&stream[i], sizeof stream[i]), &v, true);
    }
    const co_topk_item *top[5];
    assert_int_equal(Co_topk_certain(t, top, 5), 5);
    static const int64_t counts[] = {20000, 10000, 6666, 5000, 4000};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(top[i]->value.i, i + 1);
        assert_int_equal(top[i]->count, counts[i]);
        assert_int_equal(top[i]->error, 0);
    }

    /* A stream of distinct values has no certain top values. */
    Co_topk_init(t);
    for (int64_t i = 0; i < 100000; i++) {
        co_value v = co_int(i);
        Co_topk_add(t, XXH3_64bits(&i, sizeof i), &v, true);
    }
    assert_int_equal(Co_topk_certain(t, top, 5), 0);
    assert_int_equal(Co_topk_top(t, top, 5), 5); /* counters there are, with errors */
    assert_true(top[0]->error > 0);
    free(t);
    free(stream);
}

static void values_are_classified(void **state)
{
    (void)state;
    static const char *const bad_emails[] = {"john.doe(at)cnn.com", "jane@", "@cnn.com",
                                             "a b@x.com", "x@@y.com", "jane@cnn",
                                             "jane..doe@cnn.com", "jane@-cnn.com"};
    for (size_t i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++)
        if (Co_looks_like_email(bad_emails[i], strlen(bad_emails[i])))
            fail_msg("%s passed as an address", bad_emails[i]);
    assert_true(Co_looks_like_email("jane.doe+pr@cnn.co.uk", 21));
    assert_true(Co_looks_like_email("Jane.Doe@CNN.com", 16));

    assert_true(Co_looks_like_date("2024-02-29", 10));
    assert_false(Co_looks_like_date("2023-02-29", 10));
    assert_false(Co_looks_like_date("2024-13-01", 10));
    assert_true(Co_looks_like_date("2024-01-05T10:00:00Z", 20));
    assert_true(Co_looks_like_date("2024-01-05 10:00:00.123+02:00", 29));
    assert_false(Co_looks_like_date("2024-01-05T25:00", 16));
    assert_false(Co_looks_like_date("05/01/2024", 10));

    co_value v = co_text("42", 2);
    assert_int_equal(Co_classify(&v), CO_KIND_INTEGER);
    v = co_text("007", 3);
    assert_int_equal(Co_classify(&v), CO_KIND_TEXT);
    v = co_text("-3.5e2", 6);
    assert_int_equal(Co_classify(&v), CO_KIND_REAL);
    v = co_text("lots-of-it", 10);
    assert_int_equal(Co_classify(&v), CO_KIND_TEXT);
    v = co_text(" \t", 2);
    assert_true(Co_value_blank(&v));

    assert_int_equal(Co_declared_kind("INTEGER"), CO_KIND_INTEGER);
    assert_int_equal(Co_declared_kind("smallint unsigned"), CO_KIND_INTEGER);
    assert_int_equal(Co_declared_kind("varchar(20)"), CO_KIND_EMPTY);
    assert_int_equal(Co_declared_kind("DATETIME"), CO_KIND_DATE);
    assert_int_equal(Co_declared_kind("BOOLEAN"), CO_KIND_INTEGER);
    assert_int_equal(Co_declared_kind("numeric(20, 6)"), CO_KIND_REAL);
    assert_int_equal(Co_declared_kind("double precision"), CO_KIND_REAL);
    assert_int_equal(Co_declared_kind("string"), CO_KIND_EMPTY);
    assert_int_equal(Co_declared_kind(""), CO_KIND_EMPTY);

    int64_t counts[CO_KIND_COUNT] = {0};
    counts[CO_KIND_EMAIL] = 80;
    counts[CO_KIND_TEXT] = 20;
    assert_int_equal(Co_majority_kind(counts), CO_KIND_EMAIL);
    counts[CO_KIND_TEXT] = 21;
    assert_int_equal(Co_majority_kind(counts), CO_KIND_TEXT);

    co_buf why = CO_BUF_INIT;
    Co_utf8_why("file\x96name", 9, 4, &why);
    assert_string_equal(co_buf_str(&why), "invalid UTF-8 (byte 0x96 at offset 4)");
    Co_buf_release(&why);
}

/* ---- real files ----------------------------------------------------------------- */

/* Copies ../shared/data/pgloader-sqlite/name into the test directory. */
static void copy_shared(const char *name)
{
    char from[1024], to[160];
    const char *shared = getenv("CUTOVER_SHARED");
    if (shared && *shared) {
        snprintf(from, sizeof from, "%s/data/pgloader-sqlite/%s", shared, name);
    } else {
        const char *source = getenv("CUTOVER_SOURCE_DIR");
        snprintf(from, sizeof from, "%s/../shared/data/pgloader-sqlite/%s",
                 source && *source ? source : ".", name);
    }
    snprintf(to, sizeof to, "%s/%s", dir, name);
    FILE *in = fopen(from, "rb");
    if (!in)
        fail_msg("cannot read %s (set CUTOVER_SHARED)", from);
    FILE *out = fopen(to, "wb");
    assert_non_null(out);
    char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, got, out), got);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void bad_utf8_is_a_failure_with_its_rowid(void **state)
{
    (void)state;
    copy_shared("bad-utf8.db");
    co_store *s = open_source("bad-utf8.db");
    size_t n = 0;
    co_column_profile *pr = profiles_of(s, NULL, &n);
    const co_column_profile *c = find(pr, n, "files", "filename");
    assert_true(c->type_failures >= 1);
    assert_non_null(strstr(c->failure_examples, "\"rowid\":2,"));
    assert_non_null(strstr(c->failure_examples, "UTF-8"));
    assert_non_null(strstr(c->failure_examples, "0x96"));
    assert_non_null(strstr(c->failure_examples, "66696c65966e616d652e747874")); /* the bytes */
    assert_false(c->mapped);
    co_profiles_free(pr, n);
    co_store_close(s);
}

static void text_in_an_integer_column_is_a_failure(void **state)
{
    (void)state;
    copy_shared("type-mismatch.db");
    co_store *s = open_source("type-mismatch.db");
    size_t n = 0;
    co_column_profile *pr = profiles_of(s, NULL, &n);
    const co_column_profile *c = find(pr, n, "products", "qty");
    assert_string_equal(c->apparent_type, "integer");
    assert_int_equal(c->type_failures, 1);
    assert_string_equal(c->failure_examples,
                        "[{\"rowid\":2,\"value\":\"lots-of-it\",\"why\":\"text in an INTEGER "
                        "column\"}]");
    assert_int_equal(find(pr, n, "products", "name")->type_failures, 0);
    co_profiles_free(pr, n);
    co_store_close(s);
}

static void odd_types_and_reserved_names_profile(void **state)
{
    (void)state;
    copy_shared("sqlite.db");
    co_store *s = open_source("sqlite.db");
    size_t n = 0;
    co_column_profile *pr = profiles_of(s, NULL, &n);
    size_t tables = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(pr[i].table, pr[i - 1].table) != 0)
            tables++;
        assert_true(strncmp(pr[i].table, "sqlite_", 7) != 0);
        assert_true(pr[i].min_value == NULL || strlen(pr[i].min_value) <= 60);
        assert_true(pr[i].max_value == NULL || strlen(pr[i].max_value) <= 60);
    }
    assert_int_equal(tables, 20); /* 21 less sqlite_sequence */
    assert_int_equal(find(pr, n, "user", "name")->rows, 4);
    assert_int_equal(find(pr, n, "references", "id")->rows, 0);
    const co_column_profile *c = find(pr, n, "blobs", "data");
    assert_int_equal(c->max_len, 28972);
    assert_string_equal(c->apparent_type, "blob");
    c = find(pr, n, "stamps", "EndTime"); /* DATETIME holding 0 and 2024 */
    assert_string_equal(c->apparent_type, "date");
    assert_int_equal(c->type_failures, 2);
    c = find(pr, n, "intege", "id"); /* "intege": integer affinity, holding 'toto' */
    assert_string_equal(c->apparent_type, "integer");
    assert_true(c->type_failures >= 1);
    assert_non_null(strstr(c->failure_examples, "toto"));
    co_profiles_free(pr, n);
    co_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crafted_file_profiles),
        cmocka_unit_test(zombie_share_is_an_option),
        cmocka_unit_test(unreadable_entity_query_is_an_error),
        cmocka_unit_test(query_reads_names_columns_without_running),
        cmocka_unit_test(hll_estimates_within_three_percent),
        cmocka_unit_test(topk_is_exact_on_a_skewed_stream),
        cmocka_unit_test(values_are_classified),
        cmocka_unit_test(bad_utf8_is_a_failure_with_its_rowid),
        cmocka_unit_test(text_in_an_integer_column_is_a_failure),
        cmocka_unit_test(odd_types_and_reserved_names_profile),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
