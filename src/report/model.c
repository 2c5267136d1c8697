/*
 * model.c: the journal's view of the plan and of each tenant, as the report
 * and the dashboard show it (report_int.h). Read only; every query is plain
 * SQL that SQLite and PostgreSQL journals both answer.
 */
#include "state/journal.h"
#include "report/report_int.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

void rp_tenant_release(rp_tenant *t)
{
    rp_table *tables[] = {&t->plan,     &t->route,    &t->run,     &t->steps,
                          &t->verify_run, &t->checks, &t->findings, &t->volumes,
                          &t->audit,    &t->rehearsals, &t->notes, &t->monitor_checks,
                          &t->monitor_days, &t->budgets, &t->approvals};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        rp_table_release(tables[i]);
}

void rp_release(rp_report *r)
{
    for (size_t i = 0; i < r->ntenants; i++)
        rp_tenant_release(&r->tenants[i]);
    free(r->tenants);
    rp_table_release(&r->plan);
    rp_table_release(&r->cohorts);
    rp_table_release(&r->paused);
    co_status_free(r->status, r->nstatus);
    memset(r, 0, sizeof *r);
}

size_t rp_step_of(const rp_tenant *t, const char *entity)
{
    for (size_t i = 0; i < t->steps.nrows; i++) {
        const char *e = rp_cell(&t->steps, i, "entity");
        if (e && strcmp(e, entity) == 0)
            return i;
    }
    return (size_t)-1;
}

size_t rp_step_order(const co_project *p, const rp_tenant *t, size_t *order)
{
    size_t n = 0;
    for (size_t e = 0; e < p->nentities; e++) {
        size_t row = rp_step_of(t, p->entities[e].name);
        if (row != (size_t)-1)
            order[n++] = row;
    }
    for (size_t row = 0; row < t->steps.nrows; row++) {
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = order[i] == row;
        if (!seen)
            order[n++] = row;
    }
    return n;
}

bool rp_verify_in_run(const rp_tenant *t)
{
    const char *verify_start = rp_cell(&t->verify_run, 0, "started_at");
    const char *run_end = rp_cell(&t->run, 0, "ended_at");
    return verify_start && run_end && t->verify_run.nrows && t->run.nrows &&
           rp_int(&t->verify_run, 0, "id") > rp_int(&t->run, 0, "id") &&
           strcmp(verify_start, run_end) <= 0;
}

co_code rp_run_interrupted(rp_table *run, bool gone, co_error *err)
{
    size_t col = run->nrows ? rp_col(run, "status") : (size_t)-1;
    const char *was = col != (size_t)-1 ? rp_cell(run, 0, "status") : NULL;
    if (!gone || !was || strcmp(was, "running") != 0)
        return CO_OK;
    char *now = strdup("interrupted");
    if (!now)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    free(run->cells[col]);
    run->cells[col] = now;
    return CO_OK;
}

co_code rp_run_gone(co_state *st, const rp_table *run, bool *gone, co_error *err)
{
    *gone = false;
    const char *status = rp_cell(run, 0, "status"), *tenant = rp_cell(run, 0, "tenant");
    if (!status || strcmp(status, "running") != 0 || !tenant)
        return CO_OK;
    co_tenant_status *rows = NULL;
    size_t n = 0;
    co_code rc = co_status_list(st, &rows, &n, err);
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        if (strcmp(rows[i].tenant, tenant) == 0)
            *gone = rows[i].holder_gone && rows[i].holder_pid == rp_int(run, 0, "pid");
    co_status_free(rows, n);
    return rc;
}

co_code rp_load_tenant(co_state *st, const co_project *p, rp_tenant *t, co_error *err)
{
    const char *key = t->status->tenant;
    co_code rc = Co_state_view_tenant_plan(st, key, &t->plan, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_route(st, key, &t->route, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_run(st, t->status->last_run, &t->run, err);
    /* A run left "running" by a process that is gone: as status says it. */
    if (rc == CO_OK)
        rc = rp_run_interrupted(&t->run, t->status->run_status &&
                                             strcmp(t->status->run_status, "interrupted") == 0,
                                err);
    if (rc == CO_OK)
        rc = Co_state_view_run_steps(st, t->status->last_run, &t->steps, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_verify_run(st, t->status->verify_run, &t->verify_run, err);
    if (rc == CO_OK)
        rc = Co_state_view_run_checks(st, t->status->verify_run, &t->checks, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_findings(st, t->status->verify_run, &t->findings, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_volumes(st, key, t->status->verify_run, &t->volumes, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_audit(st, key, &t->audit, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_rehearsals(st, key, &t->rehearsals, err);
    if (rc == CO_OK)
        rc = rp_load_aftercare(st, t, err);
    if (rc != CO_OK)
        return rc;
    /* Days of rollback left: the retention window from the switch, while the
     * tenant's route is new (finalize ends it, a rollback routes it back). */
    t->rollback_days = -1;
    const char *switched = rp_cell(&t->route, 0, "switched_at");
    const char *route = rp_cell(&t->route, 0, "route");
    if (switched && route && strcmp(route, "new") == 0 && !co_lifecycle_is(t->status->state, CO_LC_FINALIZED)) {
        time_t at = Co_clock_parse(switched);
        if (at >= 0) {
            long elapsed = (long)((Co_clock_now() - at) / 86400);
            long left = (long)p->retention_days - elapsed;
            t->rollback_days = left < 0 ? 0 : (int)left;
        }
    }
    return CO_OK;
}

co_code rp_load_plan(co_state *st, rp_table *plan, rp_table *cohorts, rp_table *paused,
                     co_error *err)
{
    co_code rc = Co_state_view_plan(st, plan, err);
    if (rc == CO_OK)
        rc = Co_state_view_plan_cohorts(st, cohorts, err);
    if (rc == CO_OK)
        rc = Co_state_view_paused_cohorts(st, paused, err);
    return rc;
}

co_code rp_load(co_state *st, const co_project *p, const char *tenant, bool overview_only,
                rp_report *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    Co_clock_iso(Co_clock_now(), out->generated_at, sizeof out->generated_at);
    co_code rc = co_status_list(st, &out->status, &out->nstatus, err);
    if (rc == CO_OK)
        rc = rp_load_plan(st, &out->plan, &out->cohorts, &out->paused, err);
    size_t want = 0;
    for (size_t i = 0; rc == CO_OK && i < out->nstatus; i++)
        if (!tenant || strcmp(out->status[i].tenant, tenant) == 0)
            want++;
    if (rc == CO_OK && tenant && want == 0)
        rc = co_error_set(err, CO_ENOTFOUND, "unknown tenant \"%s\" (the journal lists %zu)",
                          tenant, out->nstatus);
    if (rc == CO_OK && !overview_only && want) {
        out->tenants = calloc(want, sizeof *out->tenants);
        if (!out->tenants)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        for (size_t i = 0; rc == CO_OK && i < out->nstatus; i++) {
            if (tenant && strcmp(out->status[i].tenant, tenant) != 0)
                continue;
            rp_tenant *t = &out->tenants[out->ntenants++];
            t->status = &out->status[i];
            rc = rp_load_tenant(st, p, t, err);
        }
    }
    if (rc != CO_OK)
        rp_release(out);
    return rc;
}
