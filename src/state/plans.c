/*
 * plans.c: the journal's plans with their tenants, paused cohorts, schedules
 * and tenant audits (state/journal.h).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

static const co_jq co_q_cohort_pause = {
    "INSERT INTO paused_cohorts (cohort, paused_at, reason) VALUES (?, ?, ?) ON CONFLICT"
    " (cohort) DO NOTHING"};

static const co_jq co_q_cohort_paused = {
    "SELECT count(*) FROM paused_cohorts WHERE cohort = ?"};

static const co_jq co_q_cohort_resume = {
    "DELETE FROM paused_cohorts WHERE cohort = ?"};

static const co_jq co_q_plan_add = {
    "INSERT INTO plans (created_at, project_hash, canary_percent, growth) VALUES (?, ?,"
    " ?, ?) RETURNING id"};

static const co_jq co_q_plan_latest = {
    "SELECT id, created_at, canary_percent, growth FROM plans ORDER BY id DESC LIMIT 1"};

static const co_jq co_q_plan_tenant_add = {
    "INSERT INTO plan_tenants (plan_id, position, cohort, tenant, risk, why, rows,"
    " est_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_plan_tenants_of = {
    "SELECT p.tenant, t.label, p.cohort, p.risk, p.why, p.rows, p.est_seconds FROM"
    " plan_tenants p LEFT JOIN tenants t ON t.tenant = p.tenant WHERE p.plan_id = ? ORDER"
    " BY p.position"};

static const co_jq co_q_schedule_set = {
    "INSERT INTO schedules (tenant, at, window_minutes, recorded_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (tenant) DO UPDATE SET at = excluded.at, window_minutes ="
    " excluded.window_minutes, recorded_at = excluded.recorded_at"};

static const co_jq co_q_schedules_notices = {
    "SELECT s.tenant, coalesce(t.label, s.tenant), s.at, s.window_minutes, a.est_seconds"
    " FROM schedules s LEFT JOIN tenants t ON t.tenant = s.tenant LEFT JOIN tenant_audits"
    " a ON a.tenant = s.tenant ORDER BY s.at, s.tenant"};

static const co_jq co_q_schedules_unaudited = {
    "SELECT s.tenant FROM schedules s LEFT JOIN tenant_audits a ON a.tenant = s.tenant"
    " WHERE a.tenant IS NULL ORDER BY s.tenant"};

static const co_jq co_q_tenant_audit_set = {
    "INSERT INTO tenant_audits (tenant, audited_at, project_hash, rows, bytes,"
    " size_class, est_seconds, est_measured, limit_rows, duplicate_clusters, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET"
    " audited_at = excluded.audited_at, project_hash = excluded.project_hash, rows ="
    " excluded.rows, bytes = excluded.bytes, size_class = excluded.size_class,"
    " est_seconds = excluded.est_seconds, est_measured = excluded.est_measured,"
    " limit_rows = excluded.limit_rows, duplicate_clusters = excluded.duplicate_clusters,"
    " detail = excluded.detail"};

static const co_jq co_q_tenant_audit_size_class = {
    "SELECT size_class FROM tenant_audits WHERE tenant = ?"};

static const co_jq co_q_tenant_audits_plannable = {
    "SELECT a.tenant, t.label, a.rows, a.est_seconds, a.limit_rows, a.duplicate_clusters,"
    " a.size_class FROM tenant_audits a LEFT JOIN tenants t ON t.tenant = a.tenant WHERE"
    " coalesce(t.state, 'new') NOT IN ('migrated', 'verified', 'switched', 'finalized')"
    " AND a.project_hash = ?"};

static const co_jq co_q_tenants_unaudited = {
    "SELECT t.tenant, CASE WHEN a.tenant IS NULL THEN 'not audited' ELSE 'audited under"
    " another version of the project file' END FROM tenants t LEFT JOIN tenant_audits a"
    " ON a.tenant = t.tenant WHERE t.state NOT IN ('migrated', 'verified', 'switched',"
    " 'finalized') AND (a.tenant IS NULL OR a.project_hash <> ?)"};

static const co_jq co_q_view_paused_cohorts = {
    "SELECT cohort, paused_at, reason FROM paused_cohorts ORDER BY cohort"};

static const co_jq co_q_view_plan = {
    "SELECT id, created_at, canary_percent, growth FROM plans WHERE id = (SELECT max(id)"
    " FROM plans)"};

static const co_jq co_q_view_plan_cohorts = {
    "SELECT pt.cohort, pt.tenant, pt.risk, pt.rows, pt.est_seconds, coalesce(t.state,"
    " 'new') AS state FROM plan_tenants pt LEFT JOIN tenants t ON t.tenant = pt.tenant"
    " WHERE pt.plan_id = (SELECT max(id) FROM plans) ORDER BY pt.position"};

static const co_jq co_q_view_tenant_audit = {
    "SELECT audited_at, rows, bytes, size_class, est_seconds, limit_rows,"
    " duplicate_clusters, detail FROM tenant_audits WHERE tenant = ?"};

static const co_jq co_q_view_tenant_plan = {
    "SELECT pt.plan_id, pt.cohort, pt.position, pt.risk, pt.why, pt.rows, pt.est_seconds"
    " FROM plan_tenants pt WHERE pt.plan_id = (SELECT max(id) FROM plans) AND pt.tenant ="
    " ?"};

/* ---- typed reads ---- */

co_code Co_state_size_class(co_state *st, const char *tenant, char *buf, size_t cap,
                            bool *found, co_error *err)
{
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_tenant_audit_size_class, &p, 1, &c, err);
    *found = false;
    buf[0] = '\0';
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    if (rc == CO_OK && *found) {
        co_value v = co_cursor_value(c, 0);
        snprintf(buf, cap, "%s", v.type == CO_TEXT ? v.s : "");
    }
    co_cursor_close(c);
    return rc;
}

/* ---- plans and their tenants ---- */

co_code Co_state_plan_add(co_state *st, const co_jplan *plan, const char *project_hash,
                          int64_t *id, co_error *err)
{
    co_param p[] = {{NULL, Co_jtext(plan->created_at)}, {NULL, Co_jtext(project_hash)},
                    {NULL, co_real(plan->canary_percent)}, {NULL, co_real(plan->growth)}};
    return Co_state_read_int(st, &co_q_plan_add, p, 4, id, NULL, err);
}

co_code Co_state_plan_tenant_add(co_state *st, int64_t plan_id, int64_t position,
                                 const co_jplan_tenant *t, co_error *err)
{
    co_param p[] = {{NULL, co_int(plan_id)},      {NULL, co_int(position)},
                    {NULL, co_int(t->cohort)},    {NULL, Co_jtext(t->tenant)},
                    {NULL, co_real(t->risk)},     {NULL, Co_jtext(t->why)},
                    {NULL, co_int(t->rows)},      {NULL, co_real(t->est_seconds)}};
    return Co_state_write(st, &co_q_plan_tenant_add, p, 8, NULL, err);
}

co_code Co_state_plan_latest(co_state *st, co_jplan *out, bool *found, co_error *err)
{
    memset(out, 0, sizeof *out);
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_plan_latest, NULL, 0, &c, err);
    *found = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    if (rc == CO_OK && *found) {
        out->id = co_cursor_value(c, 0).i;
        const char *at = Co_jstr(co_cursor_value(c, 1));
        snprintf(out->created_at, sizeof out->created_at, "%s", at ? at : "");
        out->canary_percent = co_cursor_value(c, 2).r;
        out->growth = co_cursor_value(c, 3).r;
    }
    co_cursor_close(c);
    return rc;
}

typedef struct {
    co_code (*fn)(void *ctx, const co_jplan_tenant *t, co_error *err);
    void *ctx;
} plan_tenant_each;

static co_code plan_tenant_row(void *ctx, co_cursor *c, co_error *err)
{
    plan_tenant_each *e = ctx;
    co_jplan_tenant t = {
        .tenant = Co_jstr(co_cursor_value(c, 0)),     .label = Co_jstr(co_cursor_value(c, 1)),
        .cohort = (int)co_cursor_value(c, 2).i,       .risk = co_cursor_value(c, 3).r,
        .why = Co_jstr(co_cursor_value(c, 4)),        .rows = co_cursor_value(c, 5).i,
        .est_seconds = co_cursor_value(c, 6).r};
    return e->fn(e->ctx, &t, err);
}

co_code Co_state_plan_tenants_each(co_state *st, int64_t plan_id,
                                   co_code (*fn)(void *ctx, const co_jplan_tenant *t,
                                                 co_error *err),
                                   void *ctx, co_error *err)
{
    plan_tenant_each e = {fn, ctx};
    co_param p = {NULL, co_int(plan_id)};
    return Co_state_each(st, &co_q_plan_tenants_of, &p, 1, plan_tenant_row, &e, err);
}

/* ---- tenant audits ---- */

co_code Co_state_tenant_audit_set(co_state *st, const co_jtenant_audit *a, co_error *err)
{
    co_param p[] = {{NULL, Co_jtext(a->tenant)},
                    {NULL, Co_jtext(a->audited_at)},
                    {NULL, Co_jtext(a->project_hash)},
                    {NULL, co_int(a->rows)},
                    {NULL, co_int(a->bytes)},
                    {NULL, Co_jtext(a->size_class)},
                    {NULL, co_real(a->est_seconds)},
                    {NULL, co_int(a->est_measured)},
                    {NULL, co_int(a->limit_rows)},
                    {NULL, co_int(a->duplicate_clusters)},
                    {NULL, a->detail ? co_text(a->detail, a->detail_len) : co_null()}};
    return Co_state_write(st, &co_q_tenant_audit_set, p, 11, NULL, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const co_jtenant_audit *a, co_error *err);
    void *ctx;
} audit_each;

static co_code plannable_row(void *ctx, co_cursor *c, co_error *err)
{
    audit_each *e = ctx;
    co_jtenant_audit a = {.tenant = Co_jstr(co_cursor_value(c, 0)),
                          .label = Co_jstr(co_cursor_value(c, 1)),
                          .rows = co_cursor_value(c, 2).i,
                          .est_seconds = co_cursor_value(c, 3).r,
                          .limit_rows = co_cursor_value(c, 4).i,
                          .duplicate_clusters = co_cursor_value(c, 5).i,
                          .size_class = Co_jstr(co_cursor_value(c, 6))};
    return e->fn(e->ctx, &a, err);
}

co_code Co_state_plannable_each(co_state *st, const char *project_hash,
                                co_code (*fn)(void *ctx, const co_jtenant_audit *a,
                                              co_error *err),
                                void *ctx, co_error *err)
{
    audit_each e = {fn, ctx};
    co_param p = {NULL, Co_jtext(project_hash)};
    return Co_state_each(st, &co_q_tenant_audits_plannable, &p, 1, plannable_row, &e, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const char *tenant, const char *why, co_error *err);
    void *ctx;
} unaudited_each;

static co_code unaudited_row(void *ctx, co_cursor *c, co_error *err)
{
    unaudited_each *e = ctx;
    return e->fn(e->ctx, Co_jstr(co_cursor_value(c, 0)),
                 co_cursor_ncols(c) > 1 ? Co_jstr(co_cursor_value(c, 1)) : NULL, err);
}

co_code Co_state_unaudited_each(co_state *st, const char *project_hash,
                                co_code (*fn)(void *ctx, const char *tenant, const char *why,
                                              co_error *err),
                                void *ctx, co_error *err)
{
    unaudited_each e = {fn, ctx};
    co_param p = {NULL, Co_jtext(project_hash)};
    return project_hash
               ? Co_state_each(st, &co_q_tenants_unaudited, &p, 1, unaudited_row, &e, err)
               : Co_state_each(st, &co_q_schedules_unaudited, NULL, 0, unaudited_row, &e, err);
}

/* ---- schedules ---- */

co_code Co_state_schedule_set(co_state *st, const char *tenant, const char *at,
                              int window_minutes, const char *recorded_at, co_error *err)
{
    co_param p[] = {{NULL, Co_jtext(tenant)},
                    {NULL, Co_jtext(at)},
                    {NULL, co_int(window_minutes)},
                    {NULL, Co_jtext(recorded_at)}};
    return Co_state_write(st, &co_q_schedule_set, p, 4, NULL, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const co_jschedule *s, co_error *err);
    void *ctx;
} schedule_each;

static co_code schedule_row(void *ctx, co_cursor *c, co_error *err)
{
    schedule_each *e = ctx;
    co_value at = co_cursor_value(c, 2);
    co_jschedule s = {.tenant = Co_jstr(co_cursor_value(c, 0)),
                      .label = Co_jstr(co_cursor_value(c, 1)),
                      .at = at.type == CO_TEXT ? at.s : "",
                      .at_len = at.type == CO_TEXT ? at.len : 0,
                      .window_minutes = co_cursor_value(c, 3).i,
                      .est_seconds = Co_jreal(co_cursor_value(c, 4))};
    return e->fn(e->ctx, &s, err);
}

co_code Co_state_schedules_each(co_state *st,
                                co_code (*fn)(void *ctx, const co_jschedule *s, co_error *err),
                                void *ctx, co_error *err)
{
    schedule_each e = {fn, ctx};
    return Co_state_each(st, &co_q_schedules_notices, NULL, 0, schedule_row, &e, err);
}

/* ---- paused cohorts ---- */

co_code Co_state_cohort_pause(co_state *st, int cohort, const char *at, const char *reason,
                              co_error *err)
{
    co_param p[] = {{NULL, co_int(cohort)}, {NULL, Co_jtext(at)}, {NULL, Co_jtext(reason)}};
    return Co_state_write(st, &co_q_cohort_pause, p, 3, NULL, err);
}

co_code Co_state_cohort_resume(co_state *st, int cohort, co_error *err)
{
    co_param p = {NULL, co_int(cohort)};
    return Co_state_write(st, &co_q_cohort_resume, &p, 1, NULL, err);
}

co_code Co_state_cohort_paused(co_state *st, int cohort, bool *paused, co_error *err)
{
    co_param p = {NULL, co_int(cohort)};
    int64_t n = 0;
    co_code rc = Co_state_read_int(st, &co_q_cohort_paused, &p, 1, &n, NULL, err);
    *paused = rc == CO_OK && n > 0;
    return rc;
}

/* ---- views (state/journal.h: co_jrows) ---- */
CO_JVIEW(paused_cohorts, co_q_view_paused_cohorts)
CO_JVIEW(plan, co_q_view_plan)
CO_JVIEW(plan_cohorts, co_q_view_plan_cohorts)
CO_JVIEW_TENANT(tenant_audit, co_q_view_tenant_audit)
CO_JVIEW_TENANT(tenant_plan, co_q_view_tenant_plan)
