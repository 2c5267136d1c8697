/*
 * aftercare.c: the journal after a switch: notes, approvals, monitor checks
 * with their daily volumes, and query budget results (state/journal.h).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

const co_jq co_q_approval_add = {
    "INSERT INTO approvals (subject, step, event, person, at, project_hash, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"};

const co_jq co_q_approval_latest = {
    "SELECT person FROM approvals WHERE subject = ? AND step = ? AND project_hash = ? AND"
    " event = ? ORDER BY id DESC LIMIT 1"};

const co_jq co_q_budget_result_add = {
    "INSERT INTO budget_results (tenant, query, phase, side, runs, median, p95, budget,"
    " pass, at, check_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};

const co_jq co_q_monitor_check_add = {
    "INSERT INTO monitor_checks (tenant, at, switched_at, days_judged, flags, summary)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"};

const co_jq co_q_monitor_check_alert = {
    "UPDATE monitor_checks SET alert = ? WHERE id = ?"};

const co_jq co_q_monitor_volume_add = {
    "INSERT INTO monitor_volumes (check_id, tenant, day, series, baseline, actual,"
    " deviation, judged, flagged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"};

const co_jq co_q_note_add = {
    "INSERT INTO notes (tenant, at, author, body) VALUES (?, ?, ?, ?)"};

const co_jq co_q_view_tenant_approvals = {
    "SELECT at, step, event, person, detail FROM approvals WHERE subject = ? ORDER BY id"};

const co_jq co_q_view_tenant_budgets = {
    "SELECT at, phase, side, query, runs, median, p95, budget, pass FROM budget_results"
    " WHERE tenant = ? ORDER BY id DESC LIMIT 30"};

const co_jq co_q_view_tenant_monitor_checks = {
    "SELECT id, at, switched_at, days_judged, flags, summary, alert FROM monitor_checks"
    " WHERE tenant = ? ORDER BY id DESC LIMIT 20"};

const co_jq co_q_view_tenant_monitor_days = {
    "SELECT day, series, actual, baseline, deviation, judged, flagged FROM"
    " monitor_volumes WHERE check_id = (SELECT max(id) FROM monitor_checks WHERE tenant ="
    " ?) ORDER BY series, day"};

const co_jq co_q_view_tenant_notes = {
    "SELECT at, author, body FROM notes WHERE tenant = ? ORDER BY id"};

/* The overview of every tenant after its switch (report/aftercare.c). */
const co_jq co_q_view_last_checks = {
    "SELECT c.tenant, c.id, c.at, c.switched_at, c.days_judged, c.flags, c.summary, c.alert"
    " FROM monitor_checks c WHERE c.id = (SELECT max(id) FROM monitor_checks m"
    " WHERE m.tenant = c.tenant) ORDER BY length(c.tenant), c.tenant"};
const co_jq co_q_view_flagged_days = {
    "SELECT v.tenant, v.day, v.series, v.actual, v.baseline, v.deviation FROM monitor_volumes v"
    " WHERE v.flagged = 1 AND v.check_id = (SELECT max(id) FROM monitor_checks m"
    " WHERE m.tenant = v.tenant) ORDER BY length(v.tenant), v.tenant, v.day, v.series"};
const co_jq co_q_view_last_budgets = {
    "SELECT b.tenant, b.query, b.phase, b.side, b.median, b.p95, b.budget, b.pass, b.at"
    " FROM budget_results b WHERE b.id = (SELECT max(id) FROM budget_results l"
    " WHERE l.tenant = b.tenant AND l.query = b.query)"
    " ORDER BY length(b.tenant), b.tenant, b.query"};
const co_jq co_q_view_waiting_approvals = {
    "SELECT a.subject, a.step, a.person AS requested_by, a.at FROM approvals a"
    " WHERE a.event = 'requested' AND NOT EXISTS (SELECT 1 FROM approvals b"
    " WHERE b.subject = a.subject AND b.step = a.step AND b.project_hash = a.project_hash"
    " AND b.event = 'approved' AND b.id > a.id) ORDER BY a.id"};
const co_jq co_q_view_last_notes = {
    "SELECT tenant, at, author, body FROM notes ORDER BY id DESC LIMIT 50"};

/* ---- typed reads ---- */

static co_value text(const char *s) { return s ? co_text(s, strlen(s)) : co_null(); }

co_code Co_state_approval_latest(co_state *st, const char *subject, const char *step,
                                 const char *project_hash, const char *event, char *person,
                                 size_t cap, bool *found, co_error *err)
{
    co_param p[] = {{NULL, text(subject)}, {NULL, text(step)}, {NULL, text(project_hash)},
                    {NULL, text(event)}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_approval_latest, p, 4, &c, err);
    *found = false;
    person[0] = '\0';
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    if (rc == CO_OK && *found) {
        co_value v = co_cursor_value(c, 0);
        snprintf(person, cap, "%s", v.type == CO_TEXT ? v.s : "");
    }
    co_cursor_close(c);
    return rc;
}
