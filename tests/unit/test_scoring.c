/* test_scoring.c: behavioural scoring: contributions and normalization,
 * timestamps, scores computed by hand for a handful of people and accounts
 * from a real SQLite event source, mappings (duplicate with renames),
 * segments, the metrics on small hand-checked inputs, a model compared with
 * itself, the events section of the project file, and volumes counted by
 * hand (a lost event beyond the tolerance, within a larger one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/scoring.h"
#include "scoring/scoring_int.h"
#include "tmpdir.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512];
static co_project *project;
static co_state *state;

static void write_file(const char *name, const char *text)
{
    char path[768];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char events_sql[] =
    "CREATE TABLE ev (person TEXT, account INTEGER, event TEXT, occurred_at TEXT, properties TEXT);"
    /* person 1: a today (10) and a 5 days ago (5): 15 points */
    "INSERT INTO ev VALUES ('p1', 1, 'a', '2026-01-11T00:00:00Z', '{}');"
    "INSERT INTO ev VALUES ('p1', 1, 'a', '2026-01-06T00:00:00Z', '{}');"
    /* person 2: b 10 days ago (20 * 30/40 = 15), a 11 days ago (past its 10 days: 0),
     * an excluded x, and an unsubscribe 5 days ago (-5 * 0.5 = -2.5): 12.5 points */
    "INSERT INTO ev VALUES ('p2', 1, 'b', '2026-01-01T00:00:00Z', '{}');"
    "INSERT INTO ev VALUES ('p2', 1, 'a', '2025-12-31T00:00:00Z', '{}');"
    "INSERT INTO ev VALUES ('p2', 1, 'x', '2026-01-10T00:00:00Z', '{}');"
    "INSERT INTO ev VALUES ('p2', 1, 'u', '2026-01-06 00:00:00', '{}');"
    /* person 3: a after the date (ignored) and a exactly at its lifespan's end: 0 */
    "INSERT INTO ev VALUES ('p3', 1, 'a', '2026-01-12T00:00:00Z', '{}');"
    "INSERT INTO ev VALUES ('p3', 1, 'a', '2026-01-01T00:00:00Z', '{}');"
    /* person 4, account 2: only an unsubscribe today: -5, scores 0 */
    "INSERT INTO ev VALUES ('p4', 2, 'u', '2026-01-11T00:00:00Z', '{}');"
    /* the same events renamed, as a new integration would send them */
    "CREATE TABLE ev2 AS SELECT person, account, CASE event WHEN 'a' THEN 'A!' ELSE event END"
    "  AS event, occurred_at, properties FROM ev;"
    /* the renamed events again, one January 'a' of p1 lost */
    "CREATE TABLE ev3 AS SELECT * FROM ev2 WHERE NOT (person = 'p1' AND event = 'A!'"
    "  AND occurred_at = '2026-01-06T00:00:00Z');"
    "CREATE TABLE conversions (person TEXT, converted_at TEXT);"
    "INSERT INTO conversions VALUES ('p1', '2026-01-20T00:00:00Z');" /* within 30 days */
    "INSERT INTO conversions VALUES ('p4', '2025-12-01T00:00:00Z');"; /* before: left out */

static int setup(void **st)
{
    (void)st;
    if (!test_mkdtemp(dir, sizeof dir, "cutover-scoring"))
        return -1;
    char path[768];
    snprintf(path, sizeof path, "%s/events.db", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, events_sql, 0, 0, 0) != SQLITE_OK)
        return -1;
    sqlite3_close(db);
    static const char yaml[] =
        "source: sqlite:events.db\n"
        "target: sqlite:target.db\n"
        "state: sqlite:state.db\n"
        "tenants: SELECT 1\n"
        "entities: [{name: e, key: [a], query: SELECT 1 AS a}]\n"
        "events:\n"
        "  sources:\n"
        "    old: {uri: 'sqlite:events.db', table: ev}\n"
        "    new: {uri: 'sqlite:events.db', table: ev2}\n"
        "    lossy: {uri: 'sqlite:events.db', table: ev3}\n";
    co_error err;
    co_error_clear(&err);
    if (co_project_parse(yaml, strlen(yaml), "cutover.yaml", dir, &project, &err) != CO_OK) {
        fprintf(stderr, "%s (%s)\n", err.message, err.where);
        return -1;
    }
    if (co_state_open(project->state, dir, &state, &err) != CO_OK)
        return -1;
    write_file("map.csv", "# raw,canonical,kind\na,A\nb,B,event\nu,U,negative\nx,,excluded\n");
    write_file("model.csv", "A,10,10\nB,20,40\nU,5,10\n");
    co_mapping m;
    memset(&m, 0, sizeof m);
    m.source = strdup("old");
    snprintf(path, sizeof path, "%s/map.csv", dir);
    int64_t id;
    if (co_mapping_read_file(path, &m, &err) != CO_OK ||
        co_mapping_save(state, &m, "on", &id, &err) != CO_OK)
        return -1;
    co_mapping_release(&m);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    co_state_close(state);
    co_project_free(project);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_contribution(void **st)
{
    (void)st;
    assert_float_equal(co_score_contribution(10, 10, 0), 10, 1e-9);
    assert_float_equal(co_score_contribution(10, 10, 5), 5, 1e-9);
    assert_float_equal(co_score_contribution(10, 10, 9.5), 0.5, 1e-9);
    assert_float_equal(co_score_contribution(10, 10, 10), 0, 1e-9);  /* lifespan's end */
    assert_float_equal(co_score_contribution(10, 10, 400), 0, 1e-9);
    assert_float_equal(co_score_contribution(10, 10, -1), 0, 1e-9);  /* in the future */
    assert_float_equal(co_score_normalize(50, 50), 50, 1e-9);
    assert_float_equal(co_score_normalize(150, 50), 75, 1e-9);
    assert_float_equal(co_score_normalize(0, 50), 0, 1e-9);
    assert_float_equal(co_score_normalize(-5, 50), 0, 1e-9);
}

static void load_model(co_model *m, const char *name, const char *level, const char *source)
{
    memset(m, 0, sizeof *m);
    co_model_defaults(m);
    m->name = strdup(name);
    m->level = strdup(level);
    m->source = strdup(source);
    char path[768];
    snprintf(path, sizeof path, "%s/model.csv", dir);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_model_read_file(path, m, &err), CO_OK);
}

static double points_of(const co_scores *s, const char *key, double *score)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->keys[i], key) == 0) {
            if (score)
                *score = s->score[i];
            return s->points[i];
        }
    fail_msg("no score for %s", key);
    return NAN;
}

static const time_t as_of = 1768089600; /* 2026-01-11T00:00:00Z */

static int64_t time_of(const char *s)
{
    int64_t t = -1;
    assert_true(sc_time_of(co_text(s, strlen(s)), &t));
    return t;
}

static void test_timestamps(void **st)
{
    (void)st;
    assert_int_equal(time_of("2026-01-11T00:00:00Z"), as_of);
    assert_int_equal(time_of("2026-01-11 00:00:00"), as_of);
    assert_int_equal(time_of("2026-01-11"), as_of);
    assert_int_equal(time_of("2026-01-11 00:00:00.250+00"), as_of);  /* PostgreSQL's text */
    assert_int_equal(time_of("2026-01-11T01:30:00+01:30"), as_of);
    assert_int_equal(time_of("2026-01-10T19:00:00-0500"), as_of);
    int64_t t;
    assert_true(sc_time_of(co_int(as_of), &t));
    assert_int_equal(t, as_of);
    assert_false(sc_time_of(co_text("yesterday", 9), &t));
    assert_false(sc_time_of(co_null(), &t));
}

static void test_scores_by_hand(void **st)
{
    (void)st;
    co_model m;
    load_model(&m, "lead", "lead", "old");
    co_scores s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_score_model(project, state, &m, as_of, &s, &err), CO_OK);
    assert_int_equal(s.n, 4);
    double score;
    assert_float_equal(points_of(&s, "p1", &score), 15, 1e-9);
    assert_float_equal(score, 100.0 * 15 / 65, 1e-9);
    assert_float_equal(points_of(&s, "p2", &score), 12.5, 1e-9);
    assert_float_equal(score, 20, 1e-9);
    assert_float_equal(points_of(&s, "p3", &score), 0, 1e-9);
    assert_float_equal(score, 0, 1e-9);
    assert_float_equal(points_of(&s, "p4", &score), -5, 1e-9);
    assert_float_equal(score, 0, 1e-9);
    co_scores_release(&s);

    /* Account level: an account's points are its people's. */
    co_model a;
    load_model(&a, "acct", "account", "old");
    assert_int_equal(co_score_model(project, state, &a, as_of, &s, &err), CO_OK);
    assert_int_equal(s.n, 2);
    assert_float_equal(points_of(&s, "1", &score), 27.5, 1e-9);
    assert_float_equal(score, 100.0 * 27.5 / 77.5, 1e-9);
    assert_float_equal(points_of(&s, "2", &score), -5, 1e-9);
    co_scores_release(&s);

    /* The top contributing events of two people. */
    const char *keys[] = {"p2", "p1"};
    char *why[2];
    assert_int_equal(co_score_explain(project, state, &m, as_of, keys, 2, 3, why, &err), CO_OK);
    assert_string_equal(why[0], "B +15.0; U -2.5");
    assert_string_equal(why[1], "A +15.0");
    free(why[0]);
    free(why[1]);
    co_model_release(&a);
    co_model_release(&m);
}

static void test_segments(void **st)
{
    (void)st;
    co_model m;
    memset(&m, 0, sizeof m);
    co_model_defaults(&m);
    double score[] = {80, 75, 74.9, 50, 30, 25, 10, 0};
    int seg[8];
    co_scores s = {.n = 8, .score = score, .segment = seg};
    co_scores_segment(&m, &s);
    int want[] = {CO_SEG_VERY_HIGH, CO_SEG_VERY_HIGH, CO_SEG_HIGH, CO_SEG_HIGH,
                  CO_SEG_MEDIUM,    CO_SEG_MEDIUM,    CO_SEG_LOW,  CO_SEG_LOW};
    for (int i = 0; i < 8; i++)
        assert_int_equal(seg[i], want[i]);
    /* Percentiles 75, 50, 25 of eight people: two per segment. */
    m.percentiles = true;
    double ranked[] = {8, 7, 6, 5, 4, 3, 2, 1};
    s.score = ranked;
    co_scores_segment(&m, &s);
    int want_p[] = {0, 0, 1, 1, 2, 2, 3, 3};
    for (int i = 0; i < 8; i++)
        assert_int_equal(seg[i], want_p[i]);
}

static void test_metrics(void **st)
{
    (void)st;
    double s[] = {0.1, 0.4, 0.35, 0.8};
    unsigned char y[] = {0, 0, 1, 1};
    assert_float_equal(co_metric_auc(s, y, 4), 0.75, 1e-12);
    double tie[] = {1, 1};
    unsigned char y2[] = {0, 1};
    assert_float_equal(co_metric_auc(tie, y2, 2), 0.5, 1e-12);
    unsigned char none[] = {0, 0, 0, 0};
    assert_float_equal(co_metric_auc(s, none, 4), 0.5, 1e-12);

    double a[] = {1, 2, 3, 4, 5}, rev[] = {5, 4, 3, 2, 1}, sq[] = {1, 4, 9, 16, 25};
    assert_float_equal(co_metric_spearman(a, a, 5), 1, 1e-12);
    assert_float_equal(co_metric_spearman(a, sq, 5), 1, 1e-12);
    assert_float_equal(co_metric_spearman(a, rev, 5), -1, 1e-12);
    /* One swap of neighbours: 1 - 6 * 2 / (5 * 24) = 0.9 */
    double swap[] = {2, 1, 3, 4, 5};
    assert_float_equal(co_metric_spearman(a, swap, 5), 0.9, 1e-12);

    double lo[] = {1, 2, 3}, hi[] = {4, 5, 6};
    assert_float_equal(co_metric_ks(lo, hi, 3), 1, 1e-12);
    assert_float_equal(co_metric_ks(lo, lo, 3), 0, 1e-12);
    double half[] = {1, 2, 5}; /* after 2: 2/3 against 2/3; after 3: 1 against 2/3 */
    assert_float_equal(co_metric_ks(lo, half, 3), 1.0 / 3, 1e-12);

    double z[] = {5, 5, 5, 5}, top[] = {95, 95, 95, 95};
    assert_float_equal(co_metric_psi(z, z, 4), 0, 1e-12);
    assert_float_equal(co_metric_psi(z, top, 4), 2 * (1 - 1e-4) * log(1e4), 1e-9);
    /* Half the people move one band up: 2 * 0.5 * ln(0.5 / 1e-4) minus nothing else */
    double b1[] = {5, 5, 15, 15};
    double want = (0.5 - 1) * log(0.5 / 1) + (0.5 - 1e-4) * log(0.5 / 1e-4);
    assert_float_equal(co_metric_psi(z, b1, 4), want, 1e-9);
}

static void test_duplicate_and_compare(void **st)
{
    (void)st;
    write_file("rename.csv", "a,A!\nx,\n");
    char path[768];
    snprintf(path, sizeof path, "%s/rename.csv", dir);
    co_error err;
    co_error_clear(&err);
    co_mapping old;
    assert_int_equal(co_mapping_find(state, "old", &old, &err), CO_OK);
    int64_t id = 0;
    assert_int_equal(co_mapping_duplicate(state, old.id, "new", path, &id, &err), CO_OK);
    co_mapping copy;
    assert_int_equal(co_mapping_load(state, id, &copy, &err), CO_OK);
    assert_string_equal(copy.status, "off");
    assert_string_equal(copy.source, "new");
    assert_int_equal(copy.nrules, 4);
    bool renamed = false;
    for (size_t i = 0; i < copy.nrules; i++) {
        if (strcmp(copy.rules[i].raw, "A!") == 0) {
            renamed = true;
            assert_string_equal(copy.rules[i].canonical, "A");
        }
        assert_string_not_equal(copy.rules[i].raw, "a");
    }
    assert_true(renamed);
    /* The old mapping stays on. */
    co_mapping again;
    assert_int_equal(co_mapping_find(state, "old", &again, &err), CO_OK);
    assert_string_equal(again.status, "on");
    co_mapping_release(&again);
    co_mapping_release(&copy);
    co_mapping_release(&old);

    co_model m, d;
    load_model(&m, "m", "lead", "old");
    int64_t mid = 0, did = 0;
    size_t dropped = 9;
    assert_int_equal(co_model_save(state, &m, "published", &mid, &err), CO_OK);
    assert_int_equal(co_model_duplicate(state, &m, "new", "m-new", &did, &dropped, &err), CO_OK);
    assert_int_equal(dropped, 0);
    assert_int_equal(co_model_find(state, "m-new", &d, &err), CO_OK);
    assert_string_equal(d.status, "draft");
    assert_int_equal(d.nevents, 3);

    /* A source compared with itself (through renamed events): nothing moves. */
    co_model_comparison c;
    assert_int_equal(co_model_compare(project, state, &m, &d, as_of, "conversions", NULL, &c, &err),
                     CO_OK);
    assert_int_equal(c.people, 3);       /* p4 converted before the date */
    assert_int_equal(c.conversions, 1);  /* p1 */
    assert_float_equal(c.delta_auc, 0, 1e-12);
    assert_float_equal(c.psi, 0, 1e-12);
    assert_float_equal(c.spearman, 1, 1e-12);
    assert_float_equal(c.ks, 0, 1e-12);
    assert_float_equal(c.old_side.auc, 1, 1e-12); /* p1 scores highest and converted */
    assert_true(c.similar);
    int64_t diagonal = 0;
    for (int k = 0; k < CO_SEG_COUNT; k++)
        diagonal += c.transition[k][k];
    assert_int_equal(diagonal, 3);
    co_model_release(&d);
    co_model_release(&m);
}

static void expect_project_error(const char *events_yaml, const char *part, const char *where)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "source: sqlite:events.db\n"
             "target: sqlite:target.db\n"
             "tenants: SELECT 1\n"
             "entities: [{name: e, key: [a], query: SELECT 1 AS a}]\n"
             "%s",
             events_yaml);
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_project_parse(yaml, strlen(yaml), "t.yaml", dir, &p, &err), CO_EPROJECT);
    if (!strstr(err.message, part))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, part);
    assert_string_equal(err.where, where);
}

static void test_project_events(void **st)
{
    (void)st;
    expect_project_error("events:\n  sources:\n    old: {uri: 'sqlite:e.db'}\n",
                         "missing required key \"table\" in event source \"old\"", "t.yaml:7:10");
    expect_project_error("events:\n  sources:\n    old: {uri: 'sqlite:e.db', tabel: ev}\n",
                         "unknown key \"tabel\" in event source", "t.yaml:7:31");
    expect_project_error("events:\n  sources: {}\n  tolerance: 2\n",
                         "\"tolerance\" must be a number from 0 to 1", "t.yaml:7:14");
    expect_project_error("events:\n  similar: {psi: 0.1}\n",
                         "missing required key \"sources\" in events", "t.yaml:6:3");
    /* Defaults and column names. */
    const co_event_source *e = co_project_event_source(project, "new");
    assert_non_null(e);
    assert_string_equal(e->table, "ev2");
    assert_string_equal(e->time, "occurred_at");
    assert_string_equal(e->person, "person");
    assert_null(co_project_event_source(project, "nosuch"));
    assert_float_equal(project->events_tolerance, 0.05, 1e-12);
    co_compare_limits l = co_compare_limits_of(project);
    assert_float_equal(l.max_auc_delta, 0.02, 1e-12);
    assert_float_equal(l.max_psi, 0.1, 1e-12);
    assert_float_equal(l.min_spearman, 0.9, 1e-12);
}

static const co_volume_row *row_of(const co_volume_result *r, const char *event, const char *month)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].event, event) == 0 && strcmp(r->rows[i].month, month) == 0)
            return &r->rows[i];
    fail_msg("no row %s %s", event, month);
    return NULL;
}

static void test_volumes(void **st)
{
    (void)st;
    setenv("CUTOVER_NOW", "2026-01-15T00:00:00Z", 1);
    co_error err;
    co_error_clear(&err);
    co_mapping m;
    assert_int_equal(co_mapping_find(state, "new", &m, &err), CO_OK);
    int64_t id;
    assert_int_equal(co_mapping_duplicate(state, m.id, "lossy", NULL, &id, &err), CO_OK);
    co_mapping_release(&m);

    /* The same events renamed: every cell equal. */
    co_volume_result r;
    assert_int_equal(co_volume_compare(project, state, "old", "new", 2, 0.05, &r, &err), CO_OK);
    assert_true(r.ok);
    assert_int_equal(r.nrows, 3 * 2); /* A, B, U over December and January; x excluded */
    assert_int_equal(row_of(&r, "A", "2025-12")->old_count, 1);
    assert_int_equal(row_of(&r, "A", "2026-01")->old_count, 4);
    assert_int_equal(row_of(&r, "A", "2026-01")->new_count, 4);
    assert_int_equal(row_of(&r, "B", "2026-01")->new_count, 1);
    assert_int_equal(row_of(&r, "U", "2026-01")->old_count, 2);
    assert_int_equal(r.cells, 6); /* (A,p1,Jan) (A,p2,Dec) (A,p3,Jan) (B,p2,Jan) (U,p2,Jan) (U,p4,Jan) */
    assert_int_equal(r.cells_differ, 0);
    co_volume_result_release(&r);

    /* One of four January A's lost: -25%, beyond 5%, within 30%. */
    assert_int_equal(co_volume_compare(project, state, "new", "lossy", 2, 0.05, &r, &err), CO_OK);
    assert_false(r.ok);
    const co_volume_row *w = row_of(&r, "A", "2026-01");
    assert_int_equal(w->old_count, 4);
    assert_int_equal(w->new_count, 3);
    assert_float_equal(w->diff, -0.25, 1e-12);
    assert_true(w->beyond);
    assert_false(row_of(&r, "A", "2025-12")->beyond);
    assert_int_equal(r.cells_differ, 1);
    assert_int_equal(r.nworst, 1);
    assert_string_equal(r.worst[0].event, "A");
    assert_string_equal(r.worst[0].person, "p1");
    assert_string_equal(r.worst[0].month, "2026-01");
    assert_int_equal(r.worst[0].old_count, 2);
    assert_int_equal(r.worst[0].new_count, 1);
    co_volume_result_release(&r);
    assert_int_equal(co_volume_compare(project, state, "new", "lossy", 2, 0.30, &r, &err), CO_OK);
    assert_true(r.ok);
    co_volume_result_release(&r);

    /* Only January: the December row is out of the window. */
    assert_int_equal(co_volume_compare(project, state, "old", "new", 1, 0.05, &r, &err), CO_OK);
    assert_int_equal(r.nrows, 3);
    assert_int_equal(row_of(&r, "A", "2026-01")->old_count, 4);
    co_volume_result_release(&r);
    unsetenv("CUTOVER_NOW");
}

static void test_switch(void **st)
{
    (void)st;
    setenv("CUTOVER_NOW", "2026-01-15T00:00:00Z", 1);
    co_error err;
    co_error_clear(&err);
    co_switch_options o = {.old_model = "m", .draft_model = "m-new", .as_of = as_of,
                           .labels_table = "conversions"};
    co_switch_result r;
    assert_int_equal(co_switch_run(project, state, &o, &r, &err), CO_OK);
    assert_true(r.compared);
    assert_true(r.cmp.similar);
    assert_true(r.published);
    assert_string_equal(r.batch_stopped_at, "2026-01-15T00:00:00Z");
    bool running = false;
    assert_int_equal(co_batch_get(state, &running, NULL, 0, &err), CO_OK);
    assert_true(running);

    /* The draft's score bands as loaded, everyone it scores: p1 (23.1) and p2
     * (20 exactly) in 20-30, p3 and p4 (0) in 0-10. */
    double bands[CO_SCORE_BANDS];
    assert_int_equal(co_model_publish_bands(state, "m-new", bands, &err), CO_OK);
    assert_float_equal(bands[0], 0.5, 1e-6);
    assert_float_equal(bands[2], 0.5, 1e-6);
    assert_float_equal(co_metric_psi_bands(bands, bands), 0, 1e-12);
    assert_int_equal(co_model_publish_bands(state, "m", bands, &err), CO_ENOTFOUND);

    /* Revert: within the days, then not again. */
    int64_t id = 0;
    setenv("CUTOVER_NOW", "2026-02-14T00:00:00Z", 1); /* 30 days later: still inside */
    assert_int_equal(co_switch_revert(project, state, &id, &err), CO_OK);
    assert_int_equal(id, r.id);
    co_model m;
    assert_int_equal(co_model_find(state, "m", &m, &err), CO_OK);
    assert_string_equal(m.status, "published");
    co_model_release(&m);
    assert_int_equal(co_switch_revert(project, state, &id, &err), CO_ENOTFOUND);
    unsetenv("CUTOVER_NOW");
}

static void test_bands(void **st)
{
    (void)st;
    double s[] = {0, 9.99, 10, 55, 100, 100};
    double b[CO_SCORE_BANDS];
    co_score_bands(s, 6, b);
    assert_float_equal(b[0], 2.0 / 6, 1e-12);
    assert_float_equal(b[1], 1.0 / 6, 1e-12);
    assert_float_equal(b[5], 1.0 / 6, 1e-12);
    assert_float_equal(b[9], 2.0 / 6, 1e-12); /* 100 belongs to the last band */
    double a[CO_SCORE_BANDS] = {1}, z[CO_SCORE_BANDS] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_float_equal(co_metric_psi_bands(a, z), 2 * (1 - 1e-4) * log(1e4), 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contribution),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_scores_by_hand),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_duplicate_and_compare),
        cmocka_unit_test(test_project_events),
        cmocka_unit_test(test_volumes),
        cmocka_unit_test(test_bands),
        cmocka_unit_test(test_switch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
