/*
 * parity.c: the journal's record of shadow reads (state.h, "Shadow reads"):
 * each `cutover parity` run of a tenant (parity_runs) and each question it
 * asked (parity_checks), with the sample rows of a mismatch. The gate on a
 * tenant's read share reads the latest run, and so do status, the report
 * and the dashboard (Co_status_parity).
 */
#include "cutover/state.h"
#include "state/state_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static const co_jq co_q_parity_run_add = {
    "INSERT INTO parity_runs (tenant, project_hash, at, seconds, checks, failed, pass)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"};

static const co_jq co_q_parity_check_add = {
    "INSERT INTO parity_checks (run_id, seq, tenant, query, params, outcome, old_rows, new_rows,"
    " old_seconds, new_seconds, budget, old_only, new_only, detail, samples)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_parity_latest = {
    "SELECT id, at, checks, failed, pass, (SELECT coalesce(sum(old_only + new_only), 0)"
    " FROM parity_checks k WHERE k.run_id = r.id) FROM parity_runs r WHERE tenant = ?"
    " ORDER BY id DESC LIMIT 1"};

static const co_jq co_q_parity_checks = {
    "SELECT query, params, outcome, old_rows, new_rows, old_seconds, new_seconds, budget,"
    " old_only, new_only, detail, samples FROM parity_checks WHERE run_id = ? ORDER BY seq"};

co_code co_state_parity_record(co_state *st, const char *tenant, const char *project_hash,
                               double seconds, const co_state_parity_check *checks, size_t n,
                               int64_t *run_id, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    int64_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += strcmp(checks[i].outcome, "pass") != 0;
    co_code rc = co_state_begin(st, err);
    co_param run[] = {{NULL, Co_state_text_or_null(tenant)},
                      {NULL, Co_state_text_or_null(project_hash)},
                      {NULL, Co_state_text_or_null(now)},
                      {NULL, co_real(seconds)},
                      {NULL, co_int((int64_t)n)},
                      {NULL, co_int(failed)},
                      {NULL, co_int(failed == 0)}};
    *run_id = 0;
    if (rc == CO_OK)
        rc = Co_state_read_int(st, &co_q_parity_run_add, run, 7, run_id, NULL, err);
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        const co_state_parity_check *c = &checks[i];
        co_param p[] = {{NULL, co_int(*run_id)},
                        {NULL, co_int((int64_t)i + 1)},
                        {NULL, Co_state_text_or_null(tenant)},
                        {NULL, Co_state_text_or_null(c->query)},
                        {NULL, Co_state_text_or_null(c->params)},
                        {NULL, Co_state_text_or_null(c->outcome)},
                        {NULL, co_int(c->old_rows)},
                        {NULL, co_int(c->new_rows)},
                        {NULL, co_real(c->old_seconds)},
                        {NULL, co_real(c->new_seconds)},
                        {NULL, c->budget > 0 ? co_real(c->budget) : co_null()},
                        {NULL, co_int(c->old_only)},
                        {NULL, co_int(c->new_only)},
                        {NULL, Co_state_text_or_null(c->detail)},
                        {NULL, Co_state_text_or_null(c->samples)}};
        rc = Co_state_write(st, &co_q_parity_check_add, p, 15, NULL, err);
    }
    if (rc == CO_OK)
        return co_state_commit(st, err);
    co_state_rollback(st);
    return rc;
}

static int64_t cell_int(co_value v) { return v.type == CO_INT ? v.i : 0; }
static double cell_real(co_value v)
{
    return v.type == CO_REAL ? v.r : v.type == CO_INT ? (double)v.i : 0;
}

co_code co_state_parity_latest(co_state *st, const char *tenant, co_state_parity_run *out,
                               bool *found, co_error *err)
{
    memset(out, 0, sizeof *out);
    *found = false;
    co_param p = {NULL, Co_state_text_or_null(tenant)};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_parity_latest, &p, 1, &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        *found = true;
        out->id = cell_int(co_cursor_value(c, 0));
        Co_state_cell_text(co_cursor_value(c, 1), out->at, sizeof out->at);
        out->checks = cell_int(co_cursor_value(c, 2));
        out->failed = cell_int(co_cursor_value(c, 3));
        out->pass = cell_int(co_cursor_value(c, 4)) != 0;
        out->mismatches = cell_int(co_cursor_value(c, 5));
    }
    co_cursor_close(c);
    return rc;
}

typedef struct {
    co_state_parity_fn fn;
    void *ctx;
} check_each;

static co_code check_row(void *ctx, co_cursor *c, co_error *err)
{
    check_each *e = ctx;
    char query[256], params[1024], outcome[16], detail[1024], samples[16384];
    co_state_parity_check k = {0};
    k.query = Co_state_cell_text(co_cursor_value(c, 0), query, sizeof query);
    k.params = Co_state_cell_text(co_cursor_value(c, 1), params, sizeof params);
    k.outcome = Co_state_cell_text(co_cursor_value(c, 2), outcome, sizeof outcome);
    k.old_rows = cell_int(co_cursor_value(c, 3));
    k.new_rows = cell_int(co_cursor_value(c, 4));
    k.old_seconds = cell_real(co_cursor_value(c, 5));
    k.new_seconds = cell_real(co_cursor_value(c, 6));
    k.budget = cell_real(co_cursor_value(c, 7));
    k.old_only = cell_int(co_cursor_value(c, 8));
    k.new_only = cell_int(co_cursor_value(c, 9));
    k.detail = Co_state_cell_text(co_cursor_value(c, 10), detail, sizeof detail);
    k.samples = Co_state_cell_text(co_cursor_value(c, 11), samples, sizeof samples);
    return e->fn(e->ctx, &k, err);
}

co_code Co_status_parity(co_state *st, co_tenant_status *rows, size_t n, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        bool found = false;
        rc = co_state_parity_latest(st, rows[i].tenant, &rows[i].parity, &found, err);
    }
    return rc;
}

void Co_status_parity_json(co_buf *b, const co_tenant_status *r)
{
    const co_state_parity_run *p = &r->parity;
    if (!p->id)
        return;
    Co_buf_printf(b, ",\"parity\":{\"run\":%lld,\"pass\":%s,\"at\":", (long long)p->id,
                  p->pass ? "true" : "false");
    Co_json_str(b, p->at);
    Co_buf_printf(b, ",\"checks\":%lld,\"failed\":%lld,\"mismatches\":%lld}",
                  (long long)p->checks, (long long)p->failed, (long long)p->mismatches);
}

co_code co_state_parity_checks_each(co_state *st, int64_t run_id, co_state_parity_fn fn,
                                    void *ctx, co_error *err)
{
    check_each e = {fn, ctx};
    co_param p = {NULL, co_int(run_id)};
    return Co_state_each(st, &co_q_parity_checks, &p, 1, check_row, &e, err);
}
