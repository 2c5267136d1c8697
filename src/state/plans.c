/*
 * plans.c: the journal's plans with their tenants, paused cohorts, schedules
 * and tenant audits (state/journal.h).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

const co_jq co_q_cohort_pause = {
    "INSERT INTO paused_cohorts (cohort, paused_at, reason) VALUES (?, ?, ?) ON CONFLICT"
    " (cohort) DO NOTHING"};

const co_jq co_q_cohort_paused = {
    "SELECT count(*) FROM paused_cohorts WHERE cohort = ?"};

const co_jq co_q_cohort_resume = {
    "DELETE FROM paused_cohorts WHERE cohort = ?"};

const co_jq co_q_plan_add = {
    "INSERT INTO plans (created_at, project_hash, canary_percent, growth) VALUES (?, ?,"
    " ?, ?) RETURNING id"};

const co_jq co_q_plan_latest = {
    "SELECT id, created_at, canary_percent, growth FROM plans ORDER BY id DESC LIMIT 1"};

const co_jq co_q_plan_tenant_add = {
    "INSERT INTO plan_tenants (plan_id, position, cohort, tenant, risk, why, rows,"
    " est_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};

const co_jq co_q_plan_tenants_of = {
    "SELECT p.tenant, t.label, p.cohort, p.risk, p.why, p.rows, p.est_seconds FROM"
    " plan_tenants p LEFT JOIN tenants t ON t.tenant = p.tenant WHERE p.plan_id = ? ORDER"
    " BY p.position"};

const co_jq co_q_schedule_set = {
    "INSERT INTO schedules (tenant, at, window_minutes, recorded_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (tenant) DO UPDATE SET at = excluded.at, window_minutes ="
    " excluded.window_minutes, recorded_at = excluded.recorded_at"};

const co_jq co_q_schedules_notices = {
    "SELECT s.tenant, coalesce(t.label, s.tenant), s.at, s.window_minutes, a.est_seconds"
    " FROM schedules s LEFT JOIN tenants t ON t.tenant = s.tenant LEFT JOIN tenant_audits"
    " a ON a.tenant = s.tenant ORDER BY s.at, s.tenant"};

const co_jq co_q_schedules_unaudited = {
    "SELECT s.tenant FROM schedules s LEFT JOIN tenant_audits a ON a.tenant = s.tenant"
    " WHERE a.tenant IS NULL ORDER BY s.tenant"};

const co_jq co_q_tenant_audit_set = {
    "INSERT INTO tenant_audits (tenant, audited_at, project_hash, rows, bytes,"
    " size_class, est_seconds, est_measured, limit_rows, duplicate_clusters, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET"
    " audited_at = excluded.audited_at, project_hash = excluded.project_hash, rows ="
    " excluded.rows, bytes = excluded.bytes, size_class = excluded.size_class,"
    " est_seconds = excluded.est_seconds, est_measured = excluded.est_measured,"
    " limit_rows = excluded.limit_rows, duplicate_clusters = excluded.duplicate_clusters,"
    " detail = excluded.detail"};

const co_jq co_q_tenant_audit_size_class = {
    "SELECT size_class FROM tenant_audits WHERE tenant = ?"};

const co_jq co_q_tenant_audits_plannable = {
    "SELECT a.tenant, t.label, a.rows, a.est_seconds, a.limit_rows, a.duplicate_clusters,"
    " a.size_class FROM tenant_audits a LEFT JOIN tenants t ON t.tenant = a.tenant WHERE"
    " coalesce(t.state, 'new') NOT IN ('migrated', 'verified', 'switched', 'finalized')"
    " AND a.project_hash = ?"};

const co_jq co_q_tenants_unaudited = {
    "SELECT t.tenant, CASE WHEN a.tenant IS NULL THEN 'not audited' ELSE 'audited under"
    " another version of the project file' END FROM tenants t LEFT JOIN tenant_audits a"
    " ON a.tenant = t.tenant WHERE t.state NOT IN ('migrated', 'verified', 'switched',"
    " 'finalized') AND (a.tenant IS NULL OR a.project_hash <> ?)"};

const co_jq co_q_view_paused_cohorts = {
    "SELECT cohort, paused_at, reason FROM paused_cohorts ORDER BY cohort"};

const co_jq co_q_view_plan = {
    "SELECT id, created_at, canary_percent, growth FROM plans WHERE id = (SELECT max(id)"
    " FROM plans)"};

const co_jq co_q_view_plan_cohorts = {
    "SELECT pt.cohort, pt.tenant, pt.risk, pt.rows, pt.est_seconds, coalesce(t.state,"
    " 'new') AS state FROM plan_tenants pt LEFT JOIN tenants t ON t.tenant = pt.tenant"
    " WHERE pt.plan_id = (SELECT max(id) FROM plans) ORDER BY pt.position"};

const co_jq co_q_view_tenant_audit = {
    "SELECT audited_at, rows, bytes, size_class, est_seconds, limit_rows,"
    " duplicate_clusters, detail FROM tenant_audits WHERE tenant = ?"};

const co_jq co_q_view_tenant_plan = {
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
