/*
 * budget.c: query budgets (monitor.h): the new application's top queries,
 * timed on the target or staging for one tenant, against their budgets.
 */
#include "state/journal.h"
#include "cutover/monitor.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs sql once for the tenant, reading every row. */
static co_code run_once(co_store *dest, const char *sql, const co_tenant *t, co_error *err)
{
    co_param tenant = {":tenant", t->value};
    co_cursor *c = NULL;
    co_code rc = co_store_query(dest, sql, &tenant, 1, &c, err);
    bool has_row = true;
    while (rc == CO_OK && has_row)
        rc = co_cursor_next(c, &has_row, err);
    co_cursor_close(c);
    return rc;
}

static void time_query(co_store *dest, const co_budget_query *q, const co_tenant *t,
                       double *times, co_budget_result *r)
{
    r->query = q;
    co_error qerr;
    co_error_clear(&qerr);
    co_code rc = run_once(dest, q->sql, t, &qerr); /* warm-up: caches, statement plans */
    for (int i = 0; rc == CO_OK && i < q->repeat; i++) {
        double started = Co_clock_mono();
        rc = run_once(dest, q->sql, t, &qerr);
        times[r->runs++] = Co_clock_mono() - started;
    }
    if (rc != CO_OK) {
        snprintf(r->error, sizeof r->error, "%.250s", qerr.message);
        r->pass = false;
        return;
    }
    r->median = co_percentile(times, (size_t)r->runs, 50);
    r->p95 = co_percentile(times, (size_t)r->runs, 95);
    r->pass = r->p95 <= q->budget;
}

co_code co_budgets_run(co_store *dest, const co_project *p, const co_tenant *t,
                       co_budget_result **out, size_t *n, co_error *err)
{
    *out = NULL;
    *n = 0;
    if (!p->nbudgets)
        return CO_OK;
    co_budget_result *r = calloc(p->nbudgets, sizeof *r);
    int most = 1;
    for (size_t i = 0; i < p->nbudgets; i++)
        most = p->budgets[i].repeat > most ? p->budgets[i].repeat : most;
    double *times = calloc((size_t)most, sizeof *times);
    if (!r || !times) {
        free(r);
        free(times);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    /* Each query in a transaction that is rolled back: a budget query that
     * writes changes nothing, and on PostgreSQL a failed one spoils no other. */
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < p->nbudgets; i++) {
        rc = co_store_begin(dest, err);
        if (rc == CO_OK)
            time_query(dest, &p->budgets[i], t, times, &r[i]);
        co_store_rollback(dest);
    }
    if (rc != CO_OK) {
        free(r);
        free(times);
        return rc;
    }
    free(times);
    *out = r;
    *n = p->nbudgets;
    return CO_OK;
}

co_code co_budgets_record(co_state *st, const char *tenant, const char *phase, const char *side,
                          const co_budget_result *r, size_t n, int64_t check_id, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        co_jbudget_result b = {.tenant = tenant,
                               .query = r[i].query->name,
                               .phase = phase,
                               .side = side,
                               .at = now,
                               .runs = r[i].runs,
                               .check_id = check_id,
                               .median = r[i].median,
                               .p95 = r[i].p95,
                               .budget = r[i].query->budget,
                               .pass = r[i].pass};
        rc = Co_state_budget_result_add(st, &b, err);
    }
    return rc;
}

void co_budgets_failures(const co_budget_result *r, size_t n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        if (r[i].pass)
            continue;
        int k;
        if (r[i].error[0])
            k = snprintf(buf + used, cap - used, "%squery %s failed: %s", used ? "; " : "",
                         r[i].query->name, r[i].error);
        else
            k = snprintf(buf + used, cap - used,
                         "%squery %s took %.3f s at the 95th percentile (median %.3f s, %d runs), "
                         "over its budget of %.3f s",
                         used ? "; " : "", r[i].query->name, r[i].p95, r[i].median, r[i].runs,
                         r[i].query->budget);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}
