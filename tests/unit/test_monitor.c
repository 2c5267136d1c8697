/* test_monitor.c: the arithmetic of monitoring (percentiles, baselines,
 * deviations), the project file's monitor, budgets and approvals keys, and
 * the approval gate on a real journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/approval.h"
#include "cutover/monitor.h"
#include "state/state_int.h" /* the journal's store, to look inside it */
#include "cutover/project.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void percentiles_interpolate_between_ranks(void **state)
{
    (void)state;
    double one[] = {0.25};
    assert_float_equal(co_percentile(one, 1, 50), 0.25, 1e-12);
    assert_float_equal(co_percentile(one, 1, 95), 0.25, 1e-12);
    assert_float_equal(co_percentile(NULL, 0, 50), 0, 1e-12);
    double odd[] = {5, 1, 4, 2, 3}; /* sorted: 1 2 3 4 5 */
    assert_float_equal(co_percentile(odd, 5, 50), 3, 1e-12);
    assert_float_equal(co_percentile(odd, 5, 95), 4.8, 1e-12);  /* h = 3.8 */
    assert_float_equal(co_percentile(odd, 5, 0), 1, 1e-12);
    assert_float_equal(co_percentile(odd, 5, 100), 5, 1e-12);
    assert_float_equal(odd[0], 1, 1e-12); /* sorted in place */
    double even[] = {0.4, 0.1, 0.3, 0.2};
    assert_float_equal(co_percentile(even, 4, 50), 0.25, 1e-12);
    assert_float_equal(co_percentile(even, 4, 95), 0.385, 1e-12); /* h = 2.85 */
    /* one slow run among twenty: the median ignores it, p95 sees part of it */
    double runs[20];
    for (int i = 0; i < 20; i++)
        runs[i] = 0.010;
    runs[7] = 1.010;
    assert_float_equal(co_percentile(runs, 20, 50), 0.010, 1e-12);
    assert_float_equal(co_percentile(runs, 20, 95), 0.010 + 0.05 * 1.0, 1e-9); /* h = 18.05 */
}

static void baselines_are_means_of_the_same_weekday(void **state)
{
    (void)state;
    int64_t weeks[] = {20, 22, 18, 20};
    assert_float_equal(co_baseline_mean(weeks, 4), 20, 1e-12);
    assert_float_equal(co_baseline_mean(weeks, 1), 20, 1e-12);
    assert_float_equal(co_baseline_mean(NULL, 0), 0, 1e-12);
    int64_t zero_week[] = {0, 30, 30};
    assert_float_equal(co_baseline_mean(zero_week, 3), 20, 1e-12);
}

static void deviations_beyond_tolerance_are_flagged(void **state)
{
    (void)state;
    double dev;
    bool judged;
    /* a drop to 2 of 20: -90%, beyond 50% */
    assert_true(co_deviation_flag(20, 2, 0.5, 5, &dev, &judged));
    assert_true(judged);
    assert_float_equal(dev, -0.9, 1e-12);
    /* within tolerance either way */
    assert_false(co_deviation_flag(20, 11, 0.5, 5, &dev, &judged));
    assert_float_equal(dev, -0.45, 1e-12);
    assert_false(co_deviation_flag(20, 30, 0.5, 5, &dev, &judged));
    /* exactly at the tolerance is not beyond it */
    assert_false(co_deviation_flag(20, 10, 0.5, 5, &dev, &judged));
    /* a surge is flagged too */
    assert_true(co_deviation_flag(20, 31, 0.5, 5, &dev, &judged));
    assert_float_equal(dev, 0.55, 1e-12);
    /* nothing on a day with a baseline: -100% */
    assert_true(co_deviation_flag(8, 0, 0.5, 5, &dev, &judged));
    assert_float_equal(dev, -1, 1e-12);
    /* too small a baseline is not judged */
    assert_false(co_deviation_flag(4, 0, 0.5, 5, &dev, &judged));
    assert_false(judged);
    assert_false(co_deviation_flag(0, 100, 0.5, 0, &dev, &judged));
    assert_false(judged);
    assert_float_equal(dev, 0, 1e-12);
}

static const char base_yaml[] =
    "source: sqlite:legacy.db\n"
    "target: sqlite:new.db\n"
    "tenants: SELECT id FROM accounts\n"
    "entities:\n"
    "  - name: events\n"
    "    key: id\n"
    "    tenant_column: account_id\n"
    "    query: SELECT id, account_id, kind, at FROM events WHERE account_id = :tenant\n";

static co_code parse_with(const char *extra, co_project **p, co_error *err)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", base_yaml, extra);
    return co_project_parse(text, strlen(text), "t.yaml", ".", p, err);
}

static void project_keys_parse_with_defaults(void **state)
{
    (void)state;
    co_project *p = NULL;
    co_error err;
    assert_int_equal(parse_with("", &p, &err), CO_OK);
    assert_int_equal(p->monitor.days, 7);
    assert_int_equal(p->monitor.weeks, 4);
    assert_float_equal(p->monitor.tolerance, 0.5, 1e-12);
    assert_int_equal(p->nbudgets, 0);
    assert_null(co_project_approval(p, "switch"));
    co_project_free(p);

    assert_int_equal(parse_with("monitor:\n  days: 14\n  tolerance: 30%\n  volumes:\n"
                                "    - { entity: events, time: at, by: kind }\n"
                                "budgets:\n  - name: page\n    sql: SELECT 1\n    budget: 250ms\n"
                                "  - name: search\n    sql: SELECT 2\n"
                                "approvals:\n  switch: { size: [XL, L] }\n  finalize: all\n"
                                "hooks:\n  on_alert: ./alert.sh\n",
                                &p, &err),
                     CO_OK);
    assert_int_equal(p->monitor.days, 14);
    assert_float_equal(p->monitor.tolerance, 0.3, 1e-12);
    assert_int_equal(p->monitor.nvolumes, 1);
    assert_string_equal(p->monitor.volumes[0].by, "kind");
    assert_int_equal(p->nbudgets, 2);
    assert_float_equal(p->budgets[0].budget, 0.25, 1e-12);
    assert_float_equal(p->budgets[1].budget, 1.0, 1e-12);
    assert_int_equal(p->budgets[1].repeat, 5);
    const co_approval_rule *r = co_project_approval(p, "switch");
    assert_non_null(r);
    assert_false(r->all);
    assert_int_equal(r->nsizes, 2);
    assert_string_equal(r->sizes[1], "L");
    assert_true(co_project_approval(p, "finalize")->all);
    assert_string_equal(p->hooks[CO_HOOK_ON_ALERT], "./alert.sh");
    co_project_free(p);
}

static void project_key_errors_point_into_the_file(void **state)
{
    (void)state;
    static const struct {
        const char *extra, *message, *where;
    } cases[] = {
        {"monitor:\n  volumes:\n    - { entity: nope, time: at }\n", "entity \"nope\"",
         "t.yaml:11:7"},
        {"budgets:\n  - name: page\n    sql: SELECT 1\n    budget: fast\n",
         "\"budget\" must be a duration above 0", "t.yaml:12:13"},
        {"budgets:\n  - name: a\n    sql: SELECT 1\n  - name: a\n    sql: SELECT 2\n",
         "budget name \"a\" is used twice", "t.yaml:12:5"},
        {"approvals:\n  switch: sometimes\n", "must be all or {size: [XL]}", "t.yaml:10:11"},
        {"monitor:\n  tolerance: lots\n", "\"tolerance\" must be a fraction", "t.yaml:10:14"},
        {"monitor:\n  dayz: 3\n", "unknown key \"dayz\" in monitor", "t.yaml:10:3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        co_project *p = NULL;
        co_error err;
        co_error_clear(&err);
        assert_int_equal(parse_with(cases[i].extra, &p, &err), CO_EPROJECT);
        if (!strstr(err.message, cases[i].message) || strcmp(err.where, cases[i].where) != 0)
            fail_msg("case %zu: got \"%s\" at \"%s\"", i, err.message, err.where);
        co_project_free(p);
    }
}

static void approvals_need_a_second_person(void **state)
{
    (void)state;
    char dir[512];
    assert_non_null(test_mkdtemp(dir, sizeof dir, "test_monitor"));
    co_project *p = NULL;
    co_error err;
    assert_int_equal(parse_with("approvals:\n  switch: { size: [XL] }\n  publish_model: all\n",
                                &p, &err),
                     CO_OK);
    co_state *st = NULL;
    assert_int_equal(co_state_open("sqlite:state.db", dir, &st, &err), CO_OK);
    /* never audited: its size is unknown, so the switch waits */
    assert_int_equal(co_approval_check(st, p, "7", "switch", "alice", &err), CO_ENOTREADY);
    assert_non_null(strstr(err.message, "requested by alice"));
    /* a step with no rule needs nothing */
    assert_int_equal(co_approval_check(st, p, "7", "finalize", "alice", &err), CO_OK);
    /* a small audited tenant needs none under a size rule */
    assert_int_equal(co_store_exec(Co_state_store(st),
                                   "INSERT INTO tenant_audits VALUES ('8', 'x', 'h', 1, 1, 'S', 1,"
                                   " 0, 0, 0, NULL)", &err), CO_OK);
    assert_int_equal(co_approval_check(st, p, "8", "switch", "alice", &err), CO_OK);
    /* the starter cannot approve; nobody can approve what was never asked */
    assert_int_equal(co_approval_grant(st, p, "7", "switch", "alice", &err), CO_EUSAGE);
    assert_int_equal(co_approval_grant(st, p, "9", "switch", "bob", &err), CO_ENOTFOUND);
    /* bob asking again does not make bob the requester */
    assert_int_equal(co_approval_check(st, p, "7", "switch", "bob", &err), CO_ENOTREADY);
    assert_non_null(strstr(err.message, "requested by alice"));
    assert_int_equal(co_approval_grant(st, p, "7", "switch", "bob", &err), CO_OK);
    assert_int_equal(co_approval_check(st, p, "7", "switch", "alice", &err), CO_OK);
    /* the generic API serves other subjects and steps: a model's publish */
    assert_int_equal(co_approval_check(st, p, "lead_model_v2", "publish_model", "carol", &err),
                     CO_ENOTREADY);
    assert_int_equal(co_approval_grant(st, p, "lead_model_v2", "publish_model", "dave", &err),
                     CO_OK);
    assert_int_equal(co_approval_check(st, p, "lead_model_v2", "publish_model", "carol", &err),
                     CO_OK);
    int64_t events = 0;
    assert_int_equal(co_store_query_int(Co_state_store(st), "SELECT count(*) FROM approvals",
                                        NULL, 0, &events, NULL, &err), CO_OK);
    assert_int_equal(events, 5); /* requested, refused, approved; requested, approved */
    co_state_close(st);
    co_project_free(p);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_interpolate_between_ranks),
        cmocka_unit_test(baselines_are_means_of_the_same_weekday),
        cmocka_unit_test(deviations_beyond_tolerance_are_flagged),
        cmocka_unit_test(project_keys_parse_with_defaults),
        cmocka_unit_test(project_key_errors_point_into_the_file),
        cmocka_unit_test(approvals_need_a_second_person),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
