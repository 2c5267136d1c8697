/* test_idmap.c: the compact id map (src/state/idmap.c). Keys of one integer
 * that follow each other on both sides are kept as runs; every reader must
 * answer exactly as the per-row map did. A model (every source key -> target
 * key, in memory) is checked against each reader, over mixed consecutive and
 * scattered keys, merged rows whose target keys overlap a run, negative keys,
 * text keys, ranges put at once, deletes inside runs, duplicates, rollback,
 * clearing and a journal made before runs existed. On a SQLite journal and,
 * when CUTOVER_TEST_PG names a server (ctest runs this through
 * tests/e2e/pg.sh), on a PostgreSQL one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/state.h"
#include "state/journal.h"
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

/* ---- the model ---------------------------------------------------------------------- */

#define MAXPAIRS 512
typedef struct pair {
    char tenant[8], entity[16], source[32], target[32];
    bool gone;
} pair;
typedef struct model {
    pair p[MAXPAIRS];
    size_t n;
} model;

static co_error err;

static void add(co_state *st, model *m, const char *tenant, const char *entity,
                const char *source, const char *target)
{
    assert_true(m->n < MAXPAIRS);
    pair *p = &m->p[m->n++];
    snprintf(p->tenant, sizeof p->tenant, "%s", tenant);
    snprintf(p->entity, sizeof p->entity, "%s", entity);
    snprintf(p->source, sizeof p->source, "%s", source);
    snprintf(p->target, sizeof p->target, "%s", target);
    p->gone = false;
    assert_int_equal(co_state_idmap_add(st, tenant, entity, source, target, &err), CO_OK);
}

static void add_int(co_state *st, model *m, const char *tenant, const char *entity, long s,
                    long t)
{
    char sk[32], tk[32];
    snprintf(sk, sizeof sk, "[%ld]", s);
    snprintf(tk, sizeof tk, "[%ld]", t);
    add(st, m, tenant, entity, sk, tk);
}

/* A range put at once, in the model as its rows. */
static void put_range(co_state *st, model *m, const char *tenant, const char *entity, long s,
                      long t, long n)
{
    assert_int_equal(Co_state_idmap_put_range(st, tenant, entity, s, t, n, &err), CO_OK);
    for (long i = 0; i < n; i++) {
        pair *p = &m->p[m->n++];
        snprintf(p->tenant, sizeof p->tenant, "%s", tenant);
        snprintf(p->entity, sizeof p->entity, "%s", entity);
        snprintf(p->source, sizeof p->source, "[%ld]", s + i);
        snprintf(p->target, sizeof p->target, "[%ld]", t + i);
        p->gone = false;
    }
}

static void forget(co_state *st, model *m, const char *tenant, const char *entity,
                   const char *source)
{
    for (size_t i = 0; i < m->n; i++)
        if (!m->p[i].gone && strcmp(m->p[i].tenant, tenant) == 0 &&
            strcmp(m->p[i].entity, entity) == 0 && strcmp(m->p[i].source, source) == 0)
            m->p[i].gone = true;
    assert_int_equal(co_state_idmap_delete(st, tenant, entity, source, &err), CO_OK);
}

static bool same(const pair *p, const char *tenant, const char *entity)
{
    return !p->gone && strcmp(p->tenant, tenant) == 0 && strcmp(p->entity, entity) == 0;
}

/* Every reader of tenant and entity against the model. */
static void check_readers(co_state *st, const model *m, const char *tenant, const char *entity)
{
    /* The whole map, as a cursor: each pair once, nothing else. */
    co_cursor *c = NULL;
    bool has_row;
    size_t rows = 0, want = 0;
    assert_int_equal(co_state_idmap_query(st, tenant, entity, &c, &err), CO_OK);
    while (co_cursor_next(c, &has_row, &err) == CO_OK && has_row) {
        co_value s = co_cursor_value(c, 0), t = co_cursor_value(c, 1);
        assert_int_equal(s.type, CO_TEXT);
        assert_int_equal(t.type, CO_TEXT);
        size_t hits = 0;
        for (size_t i = 0; i < m->n; i++)
            if (same(&m->p[i], tenant, entity) && strcmp(m->p[i].source, s.s) == 0) {
                assert_string_equal(m->p[i].target, t.s);
                hits++;
            }
        if (hits != 1)
            fail_msg("%s -> %s is in the journal's map %zu times in the model", s.s, t.s, hits);
        rows++;
    }
    co_cursor_close(c);
    for (size_t i = 0; i < m->n; i++)
        want += same(&m->p[i], tenant, entity);
    assert_int_equal(rows, want);

    /* The set of target keys. */
    co_map targets;
    Co_map_init(&targets);
    assert_int_equal(Co_state_idmap_targets(st, tenant, entity, &targets, &err), CO_OK);
    size_t distinct = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!same(&m->p[i], tenant, entity))
            continue;
        assert_true(Co_map_get(&targets, m->p[i].target, strlen(m->p[i].target), NULL, NULL));
        bool first = true;
        for (size_t j = 0; j < i; j++)
            if (same(&m->p[j], tenant, entity) && strcmp(m->p[j].target, m->p[i].target) == 0)
                first = false;
        distinct += first;
    }
    assert_int_equal(co_map_count(&targets), distinct);
    Co_map_release(&targets);

    /* Each source key's target; each target key's one source (NULL when
     * several rows went into it). */
    for (size_t i = 0; i < m->n; i++) {
        if (!same(&m->p[i], tenant, entity))
            continue;
        char *got = NULL;
        assert_int_equal(co_state_idmap_target(st, tenant, entity, m->p[i].source, &got, &err),
                         CO_OK);
        if (!got)
            fail_msg("no target for %s", m->p[i].source);
        assert_string_equal(got, m->p[i].target);
        free(got);
        const char *only = m->p[i].source;
        for (size_t j = 0; j < m->n; j++)
            if (j != i && same(&m->p[j], tenant, entity) &&
                strcmp(m->p[j].target, m->p[i].target) == 0)
                only = NULL;
        assert_int_equal(co_state_idmap_source(st, tenant, entity, m->p[i].target, &got, &err),
                         CO_OK);
        if (only) {
            if (!got)
                fail_msg("no source for %s", m->p[i].target);
            assert_string_equal(got, only);
        } else {
            assert_null(got);
        }
        free(got);
    }
}

/* A key that the map must not know, either way. */
static void unknown(co_state *st, const char *tenant, const char *entity, const char *key)
{
    char *got = (char *)"x";
    assert_int_equal(co_state_idmap_target(st, tenant, entity, key, &got, &err), CO_OK);
    assert_null(got);
    got = (char *)"x";
    assert_int_equal(co_state_idmap_source(st, tenant, entity, key, &got, &err), CO_OK);
    assert_null(got);
}

/* ---- the trace of a key ------------------------------------------------------------- */

typedef struct traced {
    size_t n;
    char tenant[8], source[32], target[32];
} traced;

static co_code on_trace(void *ctx, const co_key_trace_row *row, co_error *e)
{
    (void)e;
    traced *t = ctx;
    t->n++;
    snprintf(t->tenant, sizeof t->tenant, "%s", row->tenant ? row->tenant : "");
    snprintf(t->source, sizeof t->source, "%s", row->source_key ? row->source_key : "");
    snprintf(t->target, sizeof t->target, "%s", row->target_key ? row->target_key : "");
    return CO_OK;
}

static traced trace(co_state *st, co_key_trace which, const char *entity, const char *key,
                    const char *tenant)
{
    traced t = {0};
    assert_int_equal(Co_state_key_trace(st, which, entity, key, tenant, on_trace, &t, &err),
                     CO_OK);
    return t;
}

/* ---- the journal -------------------------------------------------------------------- */

static int64_t count(co_state *st, const char *sql)
{
    co_cursor *c = NULL;
    bool has_row = false;
    assert_int_equal(co_store_query(Co_state_store(st), sql, NULL, 0, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    int64_t v = co_cursor_value(c, 0).i;
    co_cursor_close(c);
    return v;
}

static co_state *open_journal(bool pg, const char *name)
{
    char uri[1200];
    if (pg)
        snprintf(uri, sizeof uri, "%s", pg_db);
    else
        snprintf(uri, sizeof uri, "sqlite:%s", name);
    co_state *st = NULL;
    if (co_state_open(uri, dir, &st, &err) != CO_OK)
        fail_msg("open %s: %s", uri, err.message);
    return st;
}

static void compact_map_answers_as_rows(bool pg)
{
    co_error_clear(&err);
    co_state *st = open_journal(pg, "runs.db");
    static model m; /* large: not on the stack */
    m.n = 0;
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    /* A run of 50, a gap, a run of 8; a text key; a key out of order. */
    for (long i = 1; i <= 50; i++)
        add_int(st, &m, "t1", "orders", i, 1000 + i);
    add_int(st, &m, "t1", "orders", 52, 2000);
    for (long i = 53; i <= 60; i++)
        add_int(st, &m, "t1", "orders", i, 2001 + (i - 53));
    add(st, &m, "t1", "orders", "[\"x\"]", "[7]");
    add(st, &m, "t1", "orders", "[\"61\"]", "[2008]"); /* text that spells an integer */
    add_int(st, &m, "t1", "orders", 70, 1051);
    /* Rows merged into others keep their survivors' target keys: 201 and 202
     * make a run whose target keys lie inside the first run's. */
    add_int(st, &m, "t1", "orders", 200, 1005);
    add_int(st, &m, "t1", "orders", 201, 1010);
    add_int(st, &m, "t1", "orders", 202, 1011);
    assert_int_equal(co_state_merge_add(st, "t1", "orders", "[200]", "[1005]", "same", -1, &err),
                     CO_OK);
    /* Negative keys; a range put at once, continued by single adds. */
    add_int(st, &m, "t1", "orders", -5, 3000);
    add_int(st, &m, "t1", "orders", -4, 3001);
    put_range(st, &m, "t1", "orders", 100, 5000, 20);
    add_int(st, &m, "t1", "orders", 120, 5020);
    add_int(st, &m, "t1", "orders", 121, 5021);
    /* Another entity, and another tenant with the same keys, in between. */
    add_int(st, &m, "t1", "lines", 1, 1);
    add_int(st, &m, "t1", "lines", 2, 2);
    for (long i = 1; i <= 10; i++)
        add_int(st, &m, "t2", "orders", i, 1000 + i);
    /* Keys with several columns never make runs. */
    add(st, &m, "t1", "lines", "[3,1]", "[3]");
    /* Before the commit, a read sees the buffered run. */
    check_readers(st, &m, "t1", "orders");
    assert_int_equal(co_state_commit(st, &err), CO_OK);

    /* Compact: 141 keys, of which the runs hold most. */
    int64_t rows = count(st, "SELECT count(*) FROM id_map");
    int64_t runs = count(st, "SELECT count(*) FROM id_map_runs");
    int64_t in_runs = count(st, "SELECT coalesce(sum(n), 0) FROM id_map_runs");
    assert_int_equal(rows + in_runs, (int64_t)m.n);
    assert_true(runs <= 10);
    assert_true(rows <= 6);
    check_readers(st, &m, "t1", "orders");
    check_readers(st, &m, "t1", "lines");
    check_readers(st, &m, "t2", "orders");
    unknown(st, "t1", "orders", "[51]");
    unknown(st, "t1", "orders", "[0]");
    unknown(st, "t1", "orders", "[122]");
    unknown(st, "t1", "orders", "[-6]");
    unknown(st, "t1", "orders", "[025]"); /* not the canonical spelling of 25 */
    unknown(st, "t3", "orders", "[25]");

    /* The trace of a key in the middle of a run, both ways. */
    traced t = trace(st, CO_KEYS_LOADED_FROM, "orders", "[25]", "t1");
    assert_int_equal(t.n, 1);
    assert_string_equal(t.tenant, "t1");
    assert_string_equal(t.source, "[25]");
    assert_string_equal(t.target, "[1025]");
    t = trace(st, CO_KEYS_LOADED_INTO, "orders", "[1025]", "t1");
    assert_int_equal(t.n, 1);
    assert_string_equal(t.source, "[25]");
    assert_string_equal(t.target, "[1025]");
    /* Any tenant: t1 and t2 both mapped [5]. */
    t = trace(st, CO_KEYS_LOADED_FROM, "orders", "[5]", NULL);
    assert_int_equal(t.n, 2);
    /* Into [1005]: [5] loaded there; [200] was merged into it, so the trace
     * of what loaded into it leaves it out (merges name it). */
    t = trace(st, CO_KEYS_LOADED_INTO, "orders", "[1005]", "t1");
    assert_int_equal(t.n, 1);
    assert_string_equal(t.source, "[5]");
    /* Into [1010]: [10] and [201], neither merged (only the journal's merges
     * say that). */
    t = trace(st, CO_KEYS_LOADED_INTO, "orders", "[1010]", "t1");
    assert_int_equal(t.n, 2);
    t = trace(st, CO_KEYS_LOADED_FROM, "orders", "[51]", "t1");
    assert_int_equal(t.n, 0);

    /* Deletes cut runs: at a start, in the middle, at an end, a single row,
     * and a range's key. */
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    forget(st, &m, "t1", "orders", "[1]");
    forget(st, &m, "t1", "orders", "[25]");
    forget(st, &m, "t1", "orders", "[26]");
    forget(st, &m, "t1", "orders", "[50]");
    forget(st, &m, "t1", "orders", "[52]");
    forget(st, &m, "t1", "orders", "[110]");
    forget(st, &m, "t1", "orders", "[\"x\"]");
    assert_int_equal(co_state_commit(st, &err), CO_OK);
    check_readers(st, &m, "t1", "orders");
    unknown(st, "t1", "orders", "[25]");
    unknown(st, "t1", "orders", "[110]");
    /* Deletes inside the batch, before anything is written (the rows the
     * destination refused): out of the run being built, out of runs made
     * before it, out of a single row. */
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    for (long i = 400; i <= 420; i++)
        add_int(st, &m, "t1", "orders", i, 6400 + i);
    add_int(st, &m, "t1", "orders", 430, 7600);
    for (long i = 500; i <= 510; i++)
        add_int(st, &m, "t1", "orders", i, 7000 + i);
    forget(st, &m, "t1", "orders", "[405]");
    forget(st, &m, "t1", "orders", "[400]");
    forget(st, &m, "t1", "orders", "[420]");
    forget(st, &m, "t1", "orders", "[430]");
    forget(st, &m, "t1", "orders", "[505]");
    forget(st, &m, "t1", "orders", "[510]");
    forget(st, &m, "t1", "orders", "[509]");
    add_int(st, &m, "t1", "orders", 511, 7600);
    forget(st, &m, "t1", "orders", "[406]");
    check_readers(st, &m, "t1", "orders");
    assert_int_equal(co_state_commit(st, &err), CO_OK);
    check_readers(st, &m, "t1", "orders");
    unknown(st, "t1", "orders", "[405]");
    unknown(st, "t1", "orders", "[510]");
    /* A key deleted from a run can be mapped again. */
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    add_int(st, &m, "t1", "orders", 25, 1025);
    assert_int_equal(co_state_commit(st, &err), CO_OK);
    check_readers(st, &m, "t1", "orders");

    /* A source key mapped twice is refused at the commit, in a run as in a
     * single row; the map is as it was. */
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    assert_int_equal(co_state_idmap_add(st, "t1", "orders", "[30]", "[9000]", &err), CO_OK);
    assert_int_equal(co_state_idmap_add(st, "t1", "orders", "[31]", "[9001]", &err), CO_OK);
    assert_int_equal(co_state_commit(st, &err), CO_ESTATE);
    co_state_rollback(st);
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    assert_int_equal(Co_state_idmap_put_range(st, "t1", "orders", 40, 9000, 20, &err), CO_OK);
    assert_int_equal(co_state_commit(st, &err), CO_ESTATE);
    co_state_rollback(st);
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    assert_int_equal(Co_state_idmap_put_range(st, "t1", "orders", -10, 9000, 6, &err), CO_OK);
    assert_int_equal(co_state_commit(st, &err), CO_ESTATE);
    co_state_rollback(st);
    check_readers(st, &m, "t1", "orders");
    /* A rollback forgets what was buffered, runs included. */
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    assert_int_equal(Co_state_idmap_put_range(st, "t1", "orders", 300, 7000, 5, &err), CO_OK);
    assert_int_equal(co_state_idmap_add(st, "t1", "orders", "[305]", "[7005]", &err), CO_OK);
    co_state_rollback(st);
    unknown(st, "t1", "orders", "[302]");
    check_readers(st, &m, "t1", "orders");

    /* Clearing one tenant's entity leaves the others. */
    assert_int_equal(co_state_idmap_clear(st, "t1", "orders", &err), CO_OK);
    for (size_t i = 0; i < m.n; i++)
        if (strcmp(m.p[i].tenant, "t1") == 0 && strcmp(m.p[i].entity, "orders") == 0)
            m.p[i].gone = true;
    check_readers(st, &m, "t1", "orders");
    check_readers(st, &m, "t2", "orders");
    check_readers(st, &m, "t1", "lines");
    assert_int_equal(count(st, "SELECT count(*) FROM id_map_runs WHERE tenant = 't1'"
                               " AND entity = 'orders'"),
                     0);
    co_state_close(st);
}

static void compact_map_sqlite(void **state)
{
    (void)state;
    compact_map_answers_as_rows(false);
}

static void compact_map_pg(void **state)
{
    (void)state;
    if (!*pg_server) {
        fprintf(stderr, "test_idmap: CUTOVER_TEST_PG is not set; the PostgreSQL journal is "
                        "not tested (ctest runs this through tests/e2e/pg.sh)\n");
        return;
    }
    compact_map_answers_as_rows(true);
}

/* A journal made before runs existed has no id_map_runs table (nor the
 * record of schema steps, schema_migrations, which came later): opened, it
 * gets one, and its rows read as before. */
static void journal_without_runs(void **state)
{
    (void)state;
    co_error_clear(&err);
    co_state *st = open_journal(false, "old.db");
    co_store *s = Co_state_store(st);
    assert_int_equal(co_store_exec(s,
                                   "DROP TABLE id_map_runs; DROP TABLE schema_migrations;"
                                   "INSERT INTO id_map VALUES ('t1', 'orders', '[1]', '[11]'),"
                                   " ('t1', 'orders', '[2]', '[12]');",
                                   &err),
                     CO_OK);
    co_state_close(st);
    st = open_journal(false, "old.db");
    static model m;
    m.n = 0;
    snprintf(m.p[0].tenant, 8, "t1");
    snprintf(m.p[0].entity, 16, "orders");
    m.p[1] = m.p[0];
    snprintf(m.p[0].source, 32, "[1]");
    snprintf(m.p[0].target, 32, "[11]");
    snprintf(m.p[1].source, 32, "[2]");
    snprintf(m.p[1].target, 32, "[12]");
    m.n = 2;
    check_readers(st, &m, "t1", "orders");
    /* New adds after them make runs of their own. */
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    add_int(st, &m, "t1", "orders", 3, 13);
    add_int(st, &m, "t1", "orders", 4, 14);
    assert_int_equal(co_state_commit(st, &err), CO_OK);
    assert_int_equal(count(st, "SELECT count(*) FROM id_map_runs"), 1);
    check_readers(st, &m, "t1", "orders");
    co_state_close(st);
}

static void server_exec(const char *verb, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "%s %s%s", verb, name, strncmp(verb, "DROP", 4) ? "" : " WITH (FORCE)");
    co_store *s = NULL;
    co_error e;
    co_error_clear(&e);
    if (co_store_open(pg_server, CO_SIDE_TARGET, ".", &s, &e) != CO_OK ||
        co_store_exec(s, sql, &e) != CO_OK)
        fail_msg("%s: %s", sql, e.message);
    co_store_close(s);
}

static int setup(void **state)
{
    (void)state;
    if (!test_mkdtemp(dir, sizeof dir, "cutover-idmap"))
        return -1;
    const char *uri = getenv("CUTOVER_TEST_PG");
    if (uri && *uri) {
        snprintf(pg_server, sizeof pg_server, "%s", uri);
        snprintf(pg_name, sizeof pg_name, "cutover_idmap_%ld", (long)getpid());
        const char *slash = strrchr(pg_server, '/'); /* pg.sh's URI ends in /postgres */
        snprintf(pg_db, sizeof pg_db, "%.*s/%s", (int)(slash - pg_server), pg_server, pg_name);
        server_exec("CREATE DATABASE", pg_name);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (*pg_server)
        server_exec("DROP DATABASE IF EXISTS", pg_name);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compact_map_sqlite),
        cmocka_unit_test(compact_map_pg),
        cmocka_unit_test(journal_without_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
