/*
 * test_demo.c: the demo generator (co_demo_init, include/cutover/demo.h).
 *
 * Generates a tiny demo (scale 0.0025: 8 tenants, tenant 7 clean) into a
 * temporary directory and checks it against itself: the same seed gives the
 * same bytes in every file (behaviour.db and scoring/ too) and another seed
 * other bytes; the summary matches the rows; every planted problem that
 * planted.json lists is exactly what a plain query (or, for UTF-8, a C check)
 * finds in legacy.db, and nothing more; crm.db is the empty target whose
 * CHECKs reject the malformed addresses; bad options fail with CO_EUSAGE and
 * an unwritable directory with CO_EIO.
 */
#include "cutover/demo.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/utf8.h"
#include "tmpdir.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <xxhash.h>

extern const char co_embed_crm_project[];

#define SCALE 0.0025
#define SEED 42

static const char *const FILES[] = {"legacy.db", "crm.db", "staging.db", "cutover.yaml",
                                    "planted.json", "behaviour.db", "scoring/old-mapping.csv",
                                    "scoring/rename.csv", "scoring/engagement.csv",
                                    "scoring/intent.csv"};

typedef struct fixture {
    char root[64];        /* mkdtemp */
    char dir[128];        /* root/a: the demo the tests read */
    co_demo_summary sum;
    char *planted;        /* planted.json */
    sqlite3 *db;          /* legacy.db, read-only */
} fixture;

/* ---- helpers ---- */

static char *path_in(const char *dir, const char *name)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_printf(&b, "%s/%s", dir, name);
    return co_buf_detach(&b);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    co_buf b = CO_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        Co_buf_add(&b, chunk, n);
    fclose(fp);
    if (len)
        *len = b.len;
    return co_buf_detach(&b);
}

static uint64_t hash_file(const char *dir, const char *name)
{
    char *path = path_in(dir, name);
    size_t len = 0;
    char *data = read_all(path, &len);
    assert_non_null(data);
    uint64_t h = XXH3_64bits(data, len);
    free(data);
    free(path);
    return h;
}

/* Removes a generated demo: every file the generator writes, not only FILES. */
static void remove_demo(const char *dir)
{
    assert_true(Co_remove_tree(dir));
}

static co_code generate(const char *dir, double scale, uint64_t seed, co_demo_summary *sum,
                        co_error *err)
{
    co_demo_options opt = {0};
    opt.dir = dir;
    opt.scale = scale;
    opt.seed = seed;
    return co_demo_init(&opt, sum, err);
}

/* One integer from a query with an optional text parameter ?1. */
static int64_t q_int(sqlite3 *db, const char *sql, const char *param)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (param)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The text of a one-value query (NULL becomes ""); the caller frees it. */
static char *q_text(sqlite3 *db, const char *sql, const char *param)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (param)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *s = (const char *)sqlite3_column_text(st, 0);
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, s ? s : "");
    sqlite3_finalize(st);
    return co_buf_detach(&b);
}

/* A value of planted.json, through SQLite's JSON functions. */
static int64_t planted_int(fixture *f, const char *json_path)
{
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT json_extract(?1, '%s')", json_path);
    int64_t v = q_int(f->db, sql.data, f->planted);
    Co_buf_release(&sql);
    return v;
}

/* The ids a per-tenant list of planted.json holds, sorted, comma-separated. */
static char *planted_ids(fixture *f, const char *list)
{
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql,
                  "SELECT group_concat(v) FROM (SELECT j.value AS v "
                  "FROM json_each(?1, '$.tenants') t, json_each(t.value, '$.%s') j "
                  "ORDER BY 1)",
                  list);
    char *s = q_text(f->db, sql.data, f->planted);
    Co_buf_release(&sql);
    return s;
}

static const char BAD_EMAIL[] =
    "email IS NOT NULL AND NOT (email LIKE '%_@_%._%' AND email NOT LIKE '% %' "
    "AND email NOT LIKE '%@%@%')";

/* ---- fixture ---- */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!test_mkdtemp(f->root, sizeof f->root, "cutover-demo"))
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/a", f->root);
    co_error err;
    if (generate(f->dir, SCALE, SEED, &f->sum, &err) != CO_OK) {
        fprintf(stderr, "co_demo_init: %s (%s)\n", err.message, err.where);
        return -1;
    }
    char *p = path_in(f->dir, "planted.json");
    f->planted = read_all(p, NULL);
    free(p);
    p = path_in(f->dir, "legacy.db");
    int rc = sqlite3_open_v2(p, &f->db, SQLITE_OPEN_READONLY, NULL);
    free(p);
    if (!f->planted || rc != SQLITE_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sqlite3_close(f->db);
    free(f->planted);
    bool removed = Co_remove_tree(f->root);
    free(f);
    return removed ? 0 : -1;
}

/* ---- options ---- */

static void test_bad_options(void **state)
{
    fixture *f = *state;
    co_error err;
    co_demo_summary sum;
    char *dir = path_in(f->root, "never");
    const double bad[] = {0, 11, -1, 10.0001, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(generate(dir, bad[i], 1, &sum, &err), CO_EUSAGE);
    assert_int_equal(err.code, CO_EUSAGE);
    assert_int_equal(generate(NULL, 0.01, 1, &sum, &err), CO_EUSAGE);

    co_demo_options opt = {0};
    opt.dir = dir;
    opt.scale = 0.001;
    const char *bad_now[] = {"2026-13-01", "2026-02-30", "2026-1-01", "tomorrow", ""};
    for (size_t i = 0; i < sizeof bad_now / sizeof bad_now[0]; i++) {
        opt.now = bad_now[i];
        assert_int_equal(co_demo_init(&opt, &sum, &err), CO_EUSAGE);
    }
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0); /* nothing was created */
    free(dir);
}

static void test_unwritable_dir(void **state)
{
    fixture *f = *state;
    /* a directory below a regular file cannot be made, even by root */
    char *file = path_in(f->root, "plain-file");
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    char *dir = path_in(file, "demo");
    co_error err;
    co_demo_summary sum;
    assert_int_equal(generate(dir, 0.001, 1, &sum, &err), CO_EIO);
    assert_int_equal(err.code, CO_EIO);
    assert_true(strlen(err.message) > 0);
    assert_non_null(strstr(err.where, dir));
    unlink(file);
    free(dir);
    free(file);
}

/* ---- determinism ---- */

static void test_same_seed_same_bytes(void **state)
{
    fixture *f = *state;
    char *b = path_in(f->root, "b"), *c = path_in(f->root, "c");
    co_error err;
    co_demo_summary sb, sc;
    assert_int_equal(generate(b, SCALE, SEED, &sb, &err), CO_OK);
    assert_int_equal(generate(c, SCALE, SEED + 1, &sc, &err), CO_OK);
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
        assert_true(hash_file(f->dir, FILES[i]) == hash_file(b, FILES[i]));
    assert_memory_equal(&sb, &f->sum, sizeof sb);
    assert_true(hash_file(f->dir, "legacy.db") != hash_file(c, "legacy.db"));
    assert_true(hash_file(f->dir, "planted.json") != hash_file(c, "planted.json"));
    assert_true(hash_file(f->dir, "behaviour.db") != hash_file(c, "behaviour.db"));

    /* generating again into the same directory replaces the files */
    assert_int_equal(generate(b, SCALE, SEED, &sb, &err), CO_OK);
    assert_true(hash_file(f->dir, "legacy.db") == hash_file(b, "legacy.db"));
    char *partial = path_in(b, "legacy.db.partial");
    struct stat st;
    assert_int_not_equal(stat(partial, &st), 0);
    free(partial);
    remove_demo(b);
    remove_demo(c);
    free(b);
    free(c);
}

/* ---- counts ---- */

static void test_summary_matches_rows(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->sum.tenants, q_int(f->db, "SELECT count(*) FROM accounts", NULL));
    assert_int_equal(f->sum.teams, q_int(f->db, "SELECT count(*) FROM teams", NULL));
    assert_int_equal(f->sum.contacts, q_int(f->db, "SELECT count(*) FROM contacts", NULL));
    assert_int_equal(f->sum.campaigns, q_int(f->db, "SELECT count(*) FROM campaigns", NULL));
    assert_int_equal(f->sum.events, q_int(f->db, "SELECT count(*) FROM events", NULL));
    assert_int_equal(f->sum.tenants, 8); /* round(150 * sqrt(0.0025)) */
    assert_int_equal(planted_int(f, "$.totals.tenants"), f->sum.tenants);
    assert_int_equal(planted_int(f, "$.totals.contacts"), f->sum.contacts);
    assert_int_equal(planted_int(f, "$.totals.events"), f->sum.events);
    assert_int_equal(planted_int(f, "$.totals.teams"), f->sum.teams);
    assert_int_equal(planted_int(f, "$.totals.campaigns"), f->sum.campaigns);

    /* about 1,000,000 contacts and 27,000,000 events per unit of scale */
    assert_true(f->sum.contacts > 2000 && f->sum.contacts < 3500);
    assert_true(f->sum.events > 20 * f->sum.contacts && f->sum.events < 35 * f->sum.contacts);

    /* per tenant */
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM json_each(?1, '$.tenants') t "
                              "WHERE json_extract(t.value, '$.contacts') <> "
                              "(SELECT count(*) FROM contacts WHERE account_id = "
                              "json_extract(t.value, '$.id')) "
                              "OR json_extract(t.value, '$.events') <> "
                              "(SELECT count(*) FROM campaigns c JOIN events e "
                              "ON e.campaign_id = c.id WHERE c.account_id = "
                              "json_extract(t.value, '$.id'))",
                              f->planted));
    /* skewed sizes, every tenant at least a handful of contacts */
    int64_t small = q_int(f->db, "SELECT min(n) FROM (SELECT count(*) n FROM contacts "
                                 "GROUP BY account_id)", NULL);
    int64_t big = q_int(f->db, "SELECT max(n) FROM (SELECT count(*) n FROM contacts "
                               "GROUP BY account_id)", NULL);
    assert_true(small >= 15);
    assert_true(big >= 4 * small);
    assert_true(q_int(f->db, "SELECT max(n) FROM (SELECT count(*) n FROM teams "
                             "GROUP BY account_id)", NULL) <= 8);
}

/* ---- the plants ---- */

static void test_many_tags(void **state)
{
    fixture *f = *state;
    static const char parts[] =
        "(length(tags) - length(replace(tags, ';', '')) + 1)";
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT count(*) FROM contacts WHERE %s >= 94", parts);
    int64_t found = q_int(f->db, sql.data, NULL);
    assert_int_equal(found, planted_int(f, "$.totals.many_tag_contacts"));
    assert_true(found >= 1);
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT group_concat(id || ':' || n) FROM (SELECT id, %s AS n "
                        "FROM contacts WHERE %s >= 94 ORDER BY id)", parts, parts);
    char *want = q_text(f->db, sql.data, NULL);
    char *got = q_text(f->db,
                       "SELECT group_concat(c || ':' || n) FROM (SELECT "
                       "json_extract(j.value, '$.contact') c, json_extract(j.value, '$.tags') n "
                       "FROM json_each(?1, '$.tenants') t, json_each(t.value, '$.many_tags') j "
                       "ORDER BY 1)",
                       f->planted);
    assert_string_equal(want, got);
    /* 94 exactly where the rule says; distinct tags of 64 characters at most */
    assert_int_equal(94, q_int(f->db, "SELECT json_extract(?1, '$.tenants[0].many_tags[0].tags')",
                               f->planted));
    Co_buf_reset(&sql);
    Co_buf_printf(&sql,
                  "WITH RECURSIVE split(id, tag, rest) AS ("
                  " SELECT id, NULL, tags || ';' FROM contacts WHERE %s >= 94"
                  " UNION ALL SELECT id, substr(rest, 1, instr(rest, ';') - 1),"
                  " substr(rest, instr(rest, ';') + 1) FROM split WHERE rest <> '')"
                  " SELECT count(*) - count(DISTINCT id || '/' || tag) + max(length(tag) > 64)"
                  " FROM split WHERE tag IS NOT NULL",
                  parts);
    assert_int_equal(0, q_int(f->db, sql.data, NULL));
    /* ordinary contacts have at most 6 tags */
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT max(n) FROM (SELECT length(rtrim(tags, ';')) - "
                        "length(replace(rtrim(tags, ';'), ';', '')) + 1 AS n FROM contacts "
                        "WHERE tags <> '' AND %s < 94)", parts);
    assert_true(q_int(f->db, sql.data, NULL) <= 6);
    Co_buf_release(&sql);
    free(want);
    free(got);
}

static void test_malformed_emails(void **state)
{
    fixture *f = *state;
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT count(*) FROM contacts WHERE %s", BAD_EMAIL);
    int64_t found = q_int(f->db, sql.data, NULL);
    assert_int_equal(found, planted_int(f, "$.totals.malformed_emails"));
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT group_concat(id) FROM (SELECT id FROM contacts WHERE %s "
                        "ORDER BY id)", BAD_EMAIL);
    char *want = q_text(f->db, sql.data, NULL);
    char *got = planted_ids(f, "malformed_emails");
    assert_string_equal(want, got);
    /* at least one in every non-clean tenant */
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM json_each(?1, '$.tenants') t WHERE "
                              "json_extract(t.value, '$.clean') = 0 AND "
                              "json_array_length(t.value, '$.malformed_emails') = 0",
                              f->planted));
    Co_buf_release(&sql);
    free(want);
    free(got);
}

static void test_invalid_utf8_names(void **state)
{
    fixture *f = *state;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db,
                                        "SELECT id, first_name, last_name, typeof(last_name) "
                                        "FROM contacts ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    co_buf ids = CO_BUF_INIT;
    int64_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *first = (const char *)sqlite3_column_text(st, 1);
        int nfirst = sqlite3_column_bytes(st, 1);
        const char *last = (const char *)sqlite3_column_text(st, 2);
        int nlast = sqlite3_column_bytes(st, 2);
        assert_non_null(first);
        assert_non_null(last);
        assert_string_equal((const char *)sqlite3_column_text(st, 3), "text");
        if (Co_utf8_valid(first, (size_t)nfirst, NULL) && Co_utf8_valid(last, (size_t)nlast, NULL))
            continue;
        assert_non_null(memchr(last, 0x96, (size_t)nlast));
        Co_buf_printf(&ids, "%s%lld", n ? "," : "", (long long)sqlite3_column_int64(st, 0));
        n++;
    }
    sqlite3_finalize(st);
    assert_int_equal(n, planted_int(f, "$.totals.invalid_utf8_names"));
    assert_true(n >= 1);
    char *got = planted_ids(f, "invalid_utf8_names");
    assert_string_equal(co_buf_str(&ids), got);
    free(got);
    Co_buf_release(&ids);
    /* and real non-ASCII names, valid UTF-8, are there too */
    assert_true(q_int(f->db, "SELECT count(*) FROM contacts WHERE "
                             "length(CAST(first_name AS BLOB)) > length(first_name)", NULL) > 0);
}

static void test_orphan_events(void **state)
{
    fixture *f = *state;
    static const char orphans[] =
        "FROM events e WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = e.contact_id)";
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT count(*) %s", orphans);
    int64_t found = q_int(f->db, sql.data, NULL);
    assert_int_equal(found, planted_int(f, "$.totals.orphan_events"));
    assert_true(found >= 1);
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT group_concat(id) FROM (SELECT DISTINCT e.contact_id AS id %s "
                        "ORDER BY 1)", orphans);
    char *want = q_text(f->db, sql.data, NULL);
    char *got = planted_ids(f, "deleted_contacts");
    assert_string_equal(want, got);
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT count(DISTINCT e.contact_id) %s", orphans);
    assert_int_equal(planted_int(f, "$.totals.deleted_contacts"), q_int(f->db, sql.data, NULL));
    /* per tenant */
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM json_each(?1, '$.tenants') t WHERE "
                              "json_extract(t.value, '$.orphan_events') <> (SELECT count(*) "
                              "FROM campaigns c JOIN events e ON e.campaign_id = c.id "
                              "WHERE c.account_id = json_extract(t.value, '$.id') AND NOT EXISTS "
                              "(SELECT 1 FROM contacts x WHERE x.id = e.contact_id)) "
                              "OR (json_extract(t.value, '$.clean') = 0 AND "
                              "json_extract(t.value, '$.orphan_events') = 0)",
                              f->planted));
    Co_buf_release(&sql);
    free(want);
    free(got);
}

static void test_duplicates(void **state)
{
    fixture *f = *state;
    static const char pairs[] =
        "FROM contacts a JOIN contacts b ON a.account_id = b.account_id AND a.id < b.id "
        "AND lower(a.email) = lower(b.email)";
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT count(*) %s", pairs);
    int64_t found = q_int(f->db, sql.data, NULL);
    assert_int_equal(found, planted_int(f, "$.totals.duplicate_pairs"));
    assert_true(found >= 1);
    /* the same person, in two teams, with the domains in another case */
    Co_buf_reset(&sql);
    Co_buf_printf(&sql,
                  "SELECT count(*) %s WHERE a.first_name = b.first_name "
                  "AND a.last_name = b.last_name AND a.team_id <> b.team_id "
                  "AND a.email <> b.email AND a.company_domain <> b.company_domain "
                  "AND lower(a.company_domain) = lower(b.company_domain)",
                  pairs);
    assert_int_equal(found, q_int(f->db, sql.data, NULL));
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT group_concat(p) FROM (SELECT '[' || a.id || ',' || b.id || ']' "
                        "AS p, a.id, b.id %s ORDER BY a.id)", pairs);
    char *want = q_text(f->db, sql.data, NULL);
    char *got = q_text(f->db,
                       "SELECT group_concat(v) FROM (SELECT j.value AS v "
                       "FROM json_each(?1, '$.tenants') t, json_each(t.value, "
                       "'$.duplicate_pairs') j ORDER BY json_extract(j.value, '$[0]'))",
                       f->planted);
    assert_string_equal(want, got);
    Co_buf_release(&sql);
    free(want);
    free(got);
}

static void test_clean_tenants(void **state)
{
    fixture *f = *state;
    /* the rule: id % 7 == 0, and those carry nothing */
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM json_each(?1, '$.tenants') t WHERE "
                              "json_extract(t.value, '$.clean') <> "
                              "(json_extract(t.value, '$.id') % 7 = 0)",
                              f->planted));
    assert_int_equal(1, planted_int(f, "$.totals.clean_tenants"));
    assert_int_equal(1, q_int(f->db, "SELECT json_extract(?1, '$.tenants[6].clean')", f->planted));
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql,
                  "SELECT (SELECT count(*) FROM contacts WHERE account_id = 7 AND %s)"
                  " + (SELECT count(*) FROM contacts WHERE account_id = 7 AND"
                  "    length(tags) - length(replace(tags, ';', '')) >= 93)"
                  " + (SELECT count(*) FROM contacts a JOIN contacts b ON a.account_id = 7"
                  "    AND b.account_id = 7 AND a.id < b.id AND lower(a.email) = lower(b.email))"
                  " + (SELECT count(*) FROM campaigns c JOIN events e ON e.campaign_id = c.id"
                  "    WHERE c.account_id = 7 AND NOT EXISTS"
                  "    (SELECT 1 FROM contacts x WHERE x.id = e.contact_id))",
                  BAD_EMAIL);
    assert_int_equal(0, q_int(f->db, sql.data, NULL));
    Co_buf_release(&sql);
    assert_true(q_int(f->db, "SELECT count(*) FROM contacts WHERE account_id = 7", NULL) > 0);
}

static void test_never_filled_columns(void **state)
{
    fixture *f = *state;
    assert_int_equal(0, q_int(f->db, "SELECT count(fax) + count(legacy_score) + count(custom3) "
                                     "FROM contacts", NULL));
    int64_t n = f->sum.contacts;
    int64_t c1 = q_int(f->db, "SELECT count(custom1) FROM contacts", NULL);
    int64_t c2 = q_int(f->db, "SELECT count(custom2) FROM contacts", NULL);
    assert_true(c1 > n * 4 / 10 && c1 < n * 6 / 10);
    assert_true(c2 > 0 && c2 * 100 < n);
    assert_int_equal(3, q_int(f->db, "SELECT json_array_length(?1, '$.never_filled_columns')",
                              f->planted));
}

/* ---- shape of the data ---- */

static void test_events_shape(void **state)
{
    fixture *f = *state;
    /* contiguous ids per campaign */
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM (SELECT max(id) - min(id) + 1 AS span, "
                              "count(*) AS n FROM events GROUP BY campaign_id) WHERE span <> n",
                              NULL));
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM events WHERE campaign_id NOT IN "
                              "(SELECT id FROM campaigns)", NULL));
    /* a plausible funnel */
    int64_t sent = q_int(f->db, "SELECT count(*) FROM events WHERE kind = 'sent'", NULL);
    int64_t delivered = q_int(f->db, "SELECT count(*) FROM events WHERE kind = 'delivered'", NULL);
    int64_t opens = q_int(f->db, "SELECT count(*) FROM events WHERE kind = 'open'", NULL);
    int64_t clicks = q_int(f->db, "SELECT count(*) FROM events WHERE kind = 'click'", NULL);
    int64_t unsub = q_int(f->db, "SELECT count(*) FROM events WHERE kind = 'unsubscribe'", NULL);
    assert_true(delivered > sent * 9 / 10 && delivered < sent);
    assert_true(opens > 0 && opens < delivered);
    assert_true(clicks > 0 && clicks < opens);
    assert_true(unsub < clicks);
    assert_int_equal(0, q_int(f->db, "SELECT count(*) FROM events WHERE kind NOT IN ('sent',"
                                     "'delivered','open','read','click','bounce','unsubscribe')",
                              NULL));
    /* within the 12 months before now, ISO-8601 UTC */
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM events WHERE occurred_at < "
                              "'2025-11-01T00:00:00Z' OR occurred_at >= '2026-11-01T00:00:00Z' "
                              "OR occurred_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]"
                              "T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z' "
                              "OR datetime(occurred_at) IS NULL",
                              NULL));
    /* each contact's events are in time order within a campaign */
    assert_int_equal(0, q_int(f->db,
                              "SELECT count(*) FROM events a JOIN events b ON b.id = a.id + 1 "
                              "AND b.campaign_id = a.campaign_id AND b.contact_id = a.contact_id "
                              "WHERE b.occurred_at < a.occurred_at",
                              NULL));
    /* the indexes a migration reads by, created after the load */
    assert_int_equal(5, q_int(f->db,
                              "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                              "('events_campaign','events_contact','contacts_account',"
                              "'campaigns_account','teams_account')",
                              NULL));
    assert_int_equal(0, q_int(f->db, "SELECT count(*) FROM pragma_integrity_check "
                                     "WHERE integrity_check <> 'ok'", NULL));
    /* several languages, journalists and investors */
    assert_true(q_int(f->db, "SELECT count(DISTINCT language) FROM teams", NULL) >= 3);
    assert_int_equal(2, q_int(f->db, "SELECT count(DISTINCT kind) FROM contacts", NULL));
}

/* The target's CHECKs, run for real: copy the legacy contacts into crm.db's
 * contacts with INSERT OR IGNORE; exactly the malformed addresses stay out. */
static void test_target_schema(void **state)
{
    fixture *f = *state;
    char *crm = path_in(f->dir, "crm.db"), *legacy = path_in(f->dir, "legacy.db");
    sqlite3 *disk = NULL, *db = NULL;
    assert_int_equal(sqlite3_open_v2(crm, &disk, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_backup *bk = sqlite3_backup_init(db, "main", disk, "main");
    assert_non_null(bk);
    assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
    sqlite3_backup_finish(bk);
    sqlite3_close(disk);

    assert_int_equal(7, q_int(db, "SELECT count(*) FROM pragma_table_list WHERE schema = 'main' "
                                  "AND type = 'table' AND strict = 1 AND name NOT LIKE 'sqlite_%'",
                              NULL));
    assert_int_equal(0, q_int(db, "SELECT (SELECT count(*) FROM teams) + (SELECT count(*) FROM "
                                  "companies) + (SELECT count(*) FROM contacts) + (SELECT count(*) "
                                  "FROM contact_teams) + (SELECT count(*) FROM contact_tags) + "
                                  "(SELECT count(*) FROM campaigns) + (SELECT count(*) FROM "
                                  "engagements)", NULL));
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "ATTACH '%s' AS legacy", legacy);
    assert_int_equal(sqlite3_exec(db, sql.data, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT OR IGNORE INTO contacts SELECT id, account_id, kind, "
                                  "first_name, last_name, email, "
                                  "nullif(lower(trim(company_domain)), ''), title, NULL, "
                                  "created_at, updated_at FROM legacy.contacts",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(q_int(db, "SELECT count(*) FROM contacts", NULL),
                     f->sum.contacts - planted_int(f, "$.totals.malformed_emails"));
    /* companies: case variants of a domain become one */
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO companies SELECT account_id, "
                                  "lower(trim(company_domain)), max(company_name) FROM "
                                  "legacy.contacts WHERE company_domain IS NOT NULL AND "
                                  "trim(company_domain) <> '' GROUP BY account_id, "
                                  "lower(trim(company_domain))",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(q_int(db, "SELECT count(*) FROM companies", NULL) <
                q_int(db, "SELECT count(DISTINCT account_id || '/' || company_domain) "
                          "FROM legacy.contacts WHERE company_domain <> ''", NULL));
    Co_buf_release(&sql);
    sqlite3_close(db);
    free(crm);
    free(legacy);
}

static void test_project_file(void **state)
{
    fixture *f = *state;
    char *p = path_in(f->dir, "cutover.yaml");
    char *yaml = read_all(p, NULL);
    free(p);
    assert_non_null(yaml);
    assert_string_equal(yaml, co_embed_crm_project);
    const char *order[] = {"name: teams", "name: companies", "name: contacts",
                           "name: contact_teams", "name: contact_tags", "name: campaigns",
                           "name: engagements"};
    const char *at = yaml;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *next = strstr(at, order[i]);
        assert_non_null(next);
        at = next + 1;
    }
    assert_non_null(strstr(yaml, "source:  sqlite:legacy.db"));
    /* the never-filled columns are named in comments only */
    for (const char *line = yaml; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *text = line + strspn(line, " ");
        bool comment = *text == '#';
        for (const char *col = "fax\0legacy_score\0custom3\0"; *col; col += strlen(col) + 1) {
            const char *hit = strstr(line, col);
            if (hit && hit < line + len)
                assert_true(comment);
        }
        line += len + (end != NULL);
    }
    free(yaml);
}

/* ---- progress ---- */

typedef struct progress_log {
    int calls;
    uint64_t contacts_done, contacts_total, events_done;
    bool backwards;
    int index_calls;   /* "indexes" reports: a step without rows, total 0 */
    bool index_rows;   /* one of them counted rows */
} progress_log;

static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    progress_log *log = ctx;
    log->calls++;
    if (strcmp(what, "indexes") == 0) {
        log->index_calls++;
        log->index_rows = log->index_rows || done != 0 || total != 0;
        return;
    }
    if (done > total)
        log->backwards = true;
    if (strcmp(what, "contacts") == 0) {
        if (done < log->contacts_done)
            log->backwards = true;
        log->contacts_done = done;
        log->contacts_total = total;
    } else if (strcmp(what, "events") == 0) {
        if (done < log->events_done)
            log->backwards = true;
        log->events_done = done;
    }
}

static void test_progress(void **state)
{
    fixture *f = *state;
    char *dir = path_in(f->root, "p");
    progress_log log = {0};
    co_demo_options opt = {0};
    opt.dir = dir;
    opt.scale = 0.01;
    opt.seed = 7;
    opt.now = "2025-06-15";
    opt.progress = on_progress;
    opt.progress_ctx = &log;
    co_demo_summary sum;
    co_error err;
    assert_int_equal(co_demo_init(&opt, &sum, &err), CO_OK);
    assert_false(log.backwards);
    assert_true(log.contacts_done == log.contacts_total && log.contacts_total > 0);
    assert_int_equal((int64_t)log.events_done, sum.events);
    assert_true(log.index_calls > 0);
    assert_false(log.index_rows); /* the index build is a step, not rows */
    assert_true(log.calls >= 3 && (uint64_t)log.calls < 10 + (uint64_t)sum.events / 100000);
    assert_int_equal(sum.tenants, 15);
    remove_demo(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_unwritable_dir),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_summary_matches_rows),
        cmocka_unit_test(test_many_tags),
        cmocka_unit_test(test_malformed_emails),
        cmocka_unit_test(test_invalid_utf8_names),
        cmocka_unit_test(test_orphan_events),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_clean_tenants),
        cmocka_unit_test(test_never_filled_columns),
        cmocka_unit_test(test_events_shape),
        cmocka_unit_test(test_target_schema),
        cmocka_unit_test(test_project_file),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
