/*
 * json.c: the dashboard's API documents (report.h). The tenants list is
 * status's own JSON and the routes list is routes' own, so that the API and
 * the commands can never disagree; the rest is the report's model as JSON.
 */
#include "state/journal.h"
#include "report/report_int.h"
#include "cutover/sync.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

co_code co_report_tenants_json(co_state *st, char **out, co_error *err)
{
    *out = NULL;
    co_tenant_status *rows = NULL;
    size_t n = 0;
    co_code rc = co_status_list(st, &rows, &n, err);
    if (rc != CO_OK)
        return rc;
    *out = co_status_json(rows, n);
    co_status_free(rows, n);
    return *out ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* A table of at most one row: that row as an object, or null. */
static void one_json(co_buf *b, const char *name, const rp_table *t)
{
    Co_buf_printf(b, ",\"%s\":", name);
    if (t->nrows)
        rp_row_json(b, t, 0);
    else
        Co_buf_adds(b, "null");
}

static void many_json(co_buf *b, const char *name, const rp_table *t)
{
    Co_buf_printf(b, ",\"%s\":", name);
    rp_table_json(b, t);
}

co_code co_report_tenant_json(co_state *st, const co_project *p, const char *tenant, char **out,
                              co_error *err)
{
    *out = NULL;
    rp_report r;
    co_code rc = rp_load(st, p, tenant, false, &r, err);
    if (rc != CO_OK)
        return rc;
    const rp_tenant *t = &r.tenants[0];
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"status\":");
    co_status_json_row(&b, t->status);
    one_json(&b, "plan", &t->plan);
    one_json(&b, "route", &t->route);
    if (t->rollback_days >= 0)
        Co_buf_printf(&b, ",\"rollback_days_left\":%d", t->rollback_days);
    else
        Co_buf_adds(&b, ",\"rollback_days_left\":null");
    one_json(&b, "run", &t->run);
    many_json(&b, "steps", &t->steps);
    one_json(&b, "verify_run", &t->verify_run);
    many_json(&b, "checks", &t->checks);
    many_json(&b, "findings", &t->findings);
    many_json(&b, "volumes", &t->volumes);
    /* the audit's detail is JSON already: inline it rather than quote it */
    Co_buf_adds(&b, ",\"audit\":");
    if (t->audit.nrows) {
        const char *detail = rp_cell(&t->audit, 0, "detail");
        Co_buf_printf(&b, "{\"audited_at\":");
        Co_json_str(&b, rp_cell(&t->audit, 0, "audited_at"));
        Co_buf_printf(&b, ",\"rows\":%lld,\"size_class\":", (long long)rp_int(&t->audit, 0, "rows"));
        Co_json_str(&b, rp_cell(&t->audit, 0, "size_class"));
        Co_buf_printf(&b, ",\"limit_rows\":%lld,\"duplicate_clusters\":%lld,\"detail\":%s}",
                      (long long)rp_int(&t->audit, 0, "limit_rows"), (long long)rp_int(&t->audit, 0, "duplicate_clusters"),
                      detail && *detail == '{' ? detail : "null");
    } else {
        Co_buf_adds(&b, "null");
    }
    many_json(&b, "rehearsals", &t->rehearsals);
    rp_aftercare_json(&b, t);
    Co_buf_addc(&b, '}');
    rp_release(&r);
    return Co_buf_finish(&b, CO_OK, out, err);
}

co_code co_report_run_json(co_state *st, int64_t run_id, char **out, co_error *err)
{
    *out = NULL;
    rp_table run, steps = {0}, checks = {0}, findings = {0}, volumes = {0};
    co_code rc = Co_state_view_run(st, run_id, &run, err);
    if (rc != CO_OK)
        return rc;
    if (!run.nrows) {
        rp_table_release(&run);
        return co_error_set(err, CO_ENOTFOUND, "no run %lld in the journal", (long long)run_id);
    }
    /* A run its process left "running" (SIGKILL, power loss) is interrupted,
     * as the tenant's report and status say, not running until a takeover. */
    bool gone = false;
    rc = rp_run_gone(st, &run, &gone, err);
    if (rc == CO_OK)
        rc = rp_run_interrupted(&run, gone, err);
    if (rc == CO_OK)
        rc = Co_state_view_run_steps(st, run_id, &steps, err);
    if (rc == CO_OK)
        rc = Co_state_view_run_checks(st, run_id, &checks, err);
    if (rc == CO_OK)
        rc = Co_state_view_run_findings(st, run_id, &findings, err);
    if (rc == CO_OK)
        rc = Co_state_view_run_volumes(st, run_id, &volumes, err);
    co_buf b = CO_BUF_INIT;
    if (rc == CO_OK) {
        Co_buf_adds(&b, "{\"run\":");
        rp_row_json(&b, &run, 0);
        many_json(&b, "steps", &steps);
        many_json(&b, "checks", &checks);
        many_json(&b, "findings", &findings);
        many_json(&b, "volumes", &volumes);
        Co_buf_addc(&b, '}');
    }
    rp_table_release(&run);
    rp_table_release(&steps);
    rp_table_release(&checks);
    rp_table_release(&findings);
    rp_table_release(&volumes);
    return Co_buf_finish(&b, rc, out, err);
}

/* ,"writes":..,"reads":..,"read_share":..,"lag_seconds":.. of one tenant
 * (cutover/sync.h: co_route_reads_get). */
static co_code reads_fields(co_state *st, const char *tenant, co_buf *b, co_error *err)
{
    co_route_reads r;
    co_code rc = co_route_reads_get(st, tenant, &r, err);
    if (rc != CO_OK)
        return rc;
    Co_buf_printf(b, ",\"writes\":\"%s\",\"reads\":\"%s\",\"read_share\":%d,\"lag_seconds\":",
                  r.writes, r.reads, r.read_share);
    if (r.lag_known)
        Co_buf_printf(b, "%.3f", r.lag_seconds);
    else
        Co_buf_adds(b, "null");
    return CO_OK;
}

co_code co_report_route_json(co_state *st, const char *tenant, char **out, co_error *err)
{
    *out = NULL;
    co_buf b = CO_BUF_INIT;
    char route[8];
    co_code rc = co_state_route_get(st, tenant, route, sizeof route, err);
    Co_buf_adds(&b, "{\"tenant\":");
    Co_json_str(&b, tenant);
    Co_buf_adds(&b, ",\"route\":");
    Co_json_str(&b, route);
    if (rc == CO_OK)
        rc = reads_fields(st, tenant, &b, err);
    Co_buf_addc(&b, '}');
    return Co_buf_finish(&b, rc, out, err);
}

co_code co_report_routes_json(co_state *st, char **out, co_error *err)
{
    *out = NULL;
    rp_table t;
    co_code rc = Co_state_view_routes(st, &t, err);
    if (rc != CO_OK)
        return rc;
    co_buf b = CO_BUF_INIT, row = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"routes\":[");
    /* each row as the view has it, and how its reads go */
    for (size_t i = 0; rc == CO_OK && i < t.nrows; i++) {
        Co_buf_reset(&row);
        rp_row_json(&row, &t, i);
        if (row.len && row.data[row.len - 1] == '}')
            row.len--;
        Co_buf_adds(&b, i ? "," : "");
        Co_buf_add(&b, row.data, row.len);
        rc = reads_fields(st, rp_cell(&t, i, "tenant"), &b, err);
        Co_buf_addc(&b, '}');
    }
    Co_buf_adds(&b, "]}");
    Co_buf_release(&row);
    rp_table_release(&t);
    return Co_buf_finish(&b, rc, out, err);
}

co_code co_report_cohorts_json(co_state *st, char **out, co_error *err)
{
    *out = NULL;
    rp_table plan, tenants = {0}, paused = {0};
    co_code rc = rp_load_plan(st, &plan, &tenants, &paused, err);
    co_buf b = CO_BUF_INIT;
    if (rc == CO_OK) {
        Co_buf_adds(&b, "{\"plan\":");
        if (plan.nrows)
            rp_row_json(&b, &plan, 0);
        else
            Co_buf_adds(&b, "null");
        Co_buf_adds(&b, ",\"cohorts\":[");
        for (size_t i = 0; i < tenants.nrows;) {
            int64_t cohort = rp_int(&tenants, i, "cohort");
            bool is_paused = false;
            for (size_t k = 0; k < paused.nrows; k++)
                is_paused = is_paused || rp_int(&paused, k, "cohort") == cohort;
            Co_buf_printf(&b, "%s{\"cohort\":%lld,\"name\":", i ? "," : "", (long long)cohort);
            if (cohort == 0)
                Co_buf_adds(&b, "\"canary\"");
            else
                Co_buf_printf(&b, "\"wave %lld\"", (long long)cohort);
            Co_buf_printf(&b, ",\"paused\":%s,\"tenants\":[", is_paused ? "true" : "false");
            for (size_t k = i; k < tenants.nrows && rp_int(&tenants, k, "cohort") == cohort; k++, i++) {
                Co_buf_adds(&b, k > 0 && rp_int(&tenants, k - 1, "cohort") == cohort ? "," : "");
                Co_json_str(&b, rp_cell(&tenants, k, "tenant"));
            }
            Co_buf_adds(&b, "]}");
        }
        Co_buf_adds(&b, "],\"paused\":");
        rp_table_json(&b, &paused);
        Co_buf_addc(&b, '}');
    }
    rp_table_release(&plan);
    rp_table_release(&tenants);
    rp_table_release(&paused);
    return Co_buf_finish(&b, rc, out, err);
}
