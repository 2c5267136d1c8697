/*
 * aftercare.c: the journal after a switch: notes, approvals, monitor checks
 * with their daily volumes, and query budget results (state/journal.h).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

static const co_jq co_q_approval_add = {
    "INSERT INTO approvals (subject, step, event, person, at, project_hash, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_approval_latest = {
    "SELECT person FROM approvals WHERE subject = ? AND step = ? AND project_hash = ? AND"
    " event = ? ORDER BY id DESC LIMIT 1"};

static const co_jq co_q_budget_result_add = {
    "INSERT INTO budget_results (tenant, query, phase, side, runs, median, p95, budget,"
    " pass, at, check_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_monitor_check_add = {
    "INSERT INTO monitor_checks (tenant, at, switched_at, days_judged, flags, summary)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"};

static const co_jq co_q_monitor_check_alert = {
    "UPDATE monitor_checks SET alert = ? WHERE id = ?"};

static const co_jq co_q_monitor_volume_add = {
    "INSERT INTO monitor_volumes (check_id, tenant, day, series, baseline, actual,"
    " deviation, judged, flagged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_note_add = {
    "INSERT INTO notes (tenant, at, author, body) VALUES (?, ?, ?, ?)"};

static const co_jq co_q_view_tenant_approvals = {
    "SELECT at, step, event, person, detail FROM approvals WHERE subject = ? ORDER BY id"};

static const co_jq co_q_view_tenant_budgets = {
    "SELECT at, phase, side, query, runs, median, p95, budget, pass FROM budget_results"
    " WHERE tenant = ? ORDER BY id DESC LIMIT 30"};

static const co_jq co_q_view_tenant_monitor_checks = {
    "SELECT id, at, switched_at, days_judged, flags, summary, alert FROM monitor_checks"
    " WHERE tenant = ? ORDER BY id DESC LIMIT 20"};

static const co_jq co_q_view_tenant_monitor_days = {
    "SELECT day, series, actual, baseline, deviation, judged, flagged FROM"
    " monitor_volumes WHERE check_id = (SELECT max(id) FROM monitor_checks WHERE tenant ="
    " ?) ORDER BY series, day"};

static const co_jq co_q_view_tenant_notes = {
    "SELECT at, author, body FROM notes WHERE tenant = ? ORDER BY id"};

/* The overview of every tenant after its switch (report/aftercare.c). */
static const co_jq co_q_view_last_checks = {
    "SELECT c.tenant, c.id, c.at, c.switched_at, c.days_judged, c.flags, c.summary, c.alert"
    " FROM monitor_checks c WHERE c.id = (SELECT max(id) FROM monitor_checks m"
    " WHERE m.tenant = c.tenant) ORDER BY length(c.tenant), c.tenant"};
static const co_jq co_q_view_flagged_days = {
    "SELECT v.tenant, v.day, v.series, v.actual, v.baseline, v.deviation FROM monitor_volumes v"
    " WHERE v.flagged = 1 AND v.check_id = (SELECT max(id) FROM monitor_checks m"
    " WHERE m.tenant = v.tenant) ORDER BY length(v.tenant), v.tenant, v.day, v.series"};
static const co_jq co_q_view_last_budgets = {
    "SELECT b.tenant, b.query, b.phase, b.side, b.median, b.p95, b.budget, b.pass, b.at"
    " FROM budget_results b WHERE b.id = (SELECT max(id) FROM budget_results l"
    " WHERE l.tenant = b.tenant AND l.query = b.query)"
    " ORDER BY length(b.tenant), b.tenant, b.query"};
static const co_jq co_q_view_waiting_approvals = {
    "SELECT a.subject, a.step, a.person AS requested_by, a.at FROM approvals a"
    " WHERE a.event = 'requested' AND NOT EXISTS (SELECT 1 FROM approvals b"
    " WHERE b.subject = a.subject AND b.step = a.step AND b.project_hash = a.project_hash"
    " AND b.event = 'approved' AND b.id > a.id) ORDER BY a.id"};
static const co_jq co_q_view_last_notes = {
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

/* ---- typed writes ---- */

co_code Co_state_note_add(co_state *st, const char *tenant, const char *at, const char *author,
                          const char *body, co_error *err)
{
    co_param p[] = {{NULL, text(tenant)}, {NULL, text(at)}, {NULL, text(author)},
                    {NULL, text(body)}};
    return Co_state_write(st, &co_q_note_add, p, 4, NULL, err);
}

co_code Co_state_approval_add(co_state *st, const co_japproval *a, co_error *err)
{
    co_param p[] = {{NULL, text(a->subject)}, {NULL, text(a->step)}, {NULL, text(a->event)},
                    {NULL, text(a->person)},  {NULL, text(a->at)},   {NULL, text(a->project_hash)},
                    {NULL, text(a->detail)}};
    return Co_state_write(st, &co_q_approval_add, p, 7, NULL, err);
}

co_code Co_state_budget_result_add(co_state *st, const co_jbudget_result *b, co_error *err)
{
    co_param p[] = {{NULL, text(b->tenant)},     {NULL, text(b->query)},
                    {NULL, text(b->phase)},      {NULL, text(b->side)},
                    {NULL, co_int(b->runs)},     {NULL, co_real(b->median)},
                    {NULL, co_real(b->p95)},     {NULL, co_real(b->budget)},
                    {NULL, co_int(b->pass)},     {NULL, text(b->at)},
                    {NULL, b->check_id ? co_int(b->check_id) : co_null()}};
    return Co_state_write(st, &co_q_budget_result_add, p, 11, NULL, err);
}

co_code Co_state_monitor_check_add(co_state *st, const co_jmonitor_check *c, int64_t *id,
                                   co_error *err)
{
    co_param p[] = {{NULL, text(c->tenant)},         {NULL, text(c->at)},
                    {NULL, text(c->switched_at)},    {NULL, co_int(c->days_judged)},
                    {NULL, co_int(c->flags)},        {NULL, text(c->summary)}};
    bool found = false;
    return Co_state_read_int(st, &co_q_monitor_check_add, p, 6, id, &found, err);
}

co_code Co_state_monitor_volume_add(co_state *st, const co_jmonitor_volume *v, co_error *err)
{
    co_param p[] = {{NULL, co_int(v->check_id)},
                    {NULL, text(v->tenant)},
                    {NULL, text(v->day)},
                    {NULL, text(v->series)},
                    {NULL, co_real(v->baseline)},
                    {NULL, co_int(v->actual)},
                    {NULL, v->has_deviation ? co_real(v->deviation) : co_null()},
                    {NULL, co_int(v->judged)},
                    {NULL, co_int(v->flagged)}};
    return Co_state_write(st, &co_q_monitor_volume_add, p, 9, NULL, err);
}

co_code Co_state_monitor_check_alert(co_state *st, int64_t check_id, const char *alert,
                                     co_error *err)
{
    co_param p[] = {{NULL, text(alert)}, {NULL, co_int(check_id)}};
    return Co_state_write(st, &co_q_monitor_check_alert, p, 2, NULL, err);
}

/* ---- views (state/journal.h: co_jrows) ---- */
CO_JVIEW_TENANT(tenant_approvals, co_q_view_tenant_approvals)
CO_JVIEW_TENANT(tenant_budgets, co_q_view_tenant_budgets)
CO_JVIEW_TENANT(tenant_monitor_checks, co_q_view_tenant_monitor_checks)
CO_JVIEW_TENANT(tenant_monitor_days, co_q_view_tenant_monitor_days)
CO_JVIEW_TENANT(tenant_notes, co_q_view_tenant_notes)
CO_JVIEW(last_checks, co_q_view_last_checks)
CO_JVIEW(flagged_days, co_q_view_flagged_days)
CO_JVIEW(last_budgets, co_q_view_last_budgets)
CO_JVIEW(waiting_approvals, co_q_view_waiting_approvals)
CO_JVIEW(last_notes, co_q_view_last_notes)
