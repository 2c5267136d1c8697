/*
 * aftercare.c: the report's and the dashboard's view of a tenant after its
 * switch (report_int.h): notes on the timeline, monitor checks with their
 * flagged days, query budgets, approvals (docs/monitor.md).
 */
#include "state/journal.h"
#include "report/report_int.h"
#include "util/fmt.h"
#include "util/html.h"

#include <string.h>

co_code rp_load_aftercare(co_state *st, rp_tenant *t, co_error *err)
{
    const char *key = t->status->tenant;
    co_code rc = Co_state_view_tenant_notes(st, key, &t->notes, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_monitor_checks(st, key, &t->monitor_checks, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_monitor_days(st, key, &t->monitor_days, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_budgets(st, key, &t->budgets, err);
    if (rc == CO_OK)
        rc = Co_state_view_tenant_approvals(st, key, &t->approvals, err);
    return rc;
}

void rp_html_notes(co_buf *b, const rp_tenant *t)
{
    if (!t->notes.nrows)
        return;
    Co_buf_adds(b, "<h3>Notes</h3>\n<table><tr><th>at</th><th>by</th><th>note</th></tr>\n");
    for (size_t i = 0; i < t->notes.nrows; i++) {
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, "t", rp_cell(&t->notes, i, "at"));
        Co_html_cell(b, NULL, rp_cell(&t->notes, i, "author"));
        Co_html_cell(b, NULL, rp_cell(&t->notes, i, "body"));
        Co_buf_adds(b, "</tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
}

static void monitoring(co_buf *b, const rp_tenant *t)
{
    if (!Co_html_section(b, "Monitoring after the switch", t->monitor_checks.nrows,
                         "No monitor check yet."))
        return;
    Co_buf_adds(b, "<table><tr><th>checked</th><th>days judged</th><th>flags</th>"
                   "<th>summary</th><th>alert</th></tr>\n");
    for (size_t i = 0; i < t->monitor_checks.nrows; i++) {
        int64_t flags = rp_int(&t->monitor_checks, i, "flags");
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, "t", rp_cell(&t->monitor_checks, i, "at"));
        Co_html_cell_count(b, rp_int(&t->monitor_checks, i, "days_judged"), false);
        Co_html_cell_count(b, flags, flags != 0);
        Co_html_cell(b, NULL, rp_cell(&t->monitor_checks, i, "summary"));
        Co_html_cell(b, NULL, rp_cell(&t->monitor_checks, i, "alert"));
        Co_buf_adds(b, "</tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
    if (!t->monitor_days.nrows)
        return;
    Co_buf_adds(b, "<p>Daily volumes of the latest check, against the same weekday before the "
                   "switch:</p>\n<table><tr><th>series</th><th>day</th><th>rows</th>"
                   "<th>baseline</th><th>deviation</th></tr>\n");
    for (size_t i = 0; i < t->monitor_days.nrows; i++) {
        bool flagged = rp_int(&t->monitor_days, i, "flagged") != 0;
        Co_buf_printf(b, "<tr%s>", flagged ? " class=bad" : "");
        Co_html_cell(b, NULL, rp_cell(&t->monitor_days, i, "series"));
        Co_html_cell(b, "t", rp_cell(&t->monitor_days, i, "day"));
        Co_html_cell_count(b, rp_int(&t->monitor_days, i, "actual"), false);
        Co_buf_printf(b, "<td class=n>%.1f</td>", rp_real(&t->monitor_days, i, "baseline"));
        if (rp_cell(&t->monitor_days, i, "deviation"))
            Co_buf_printf(b, "<td class=n>%+.0f%%%s</td></tr>\n",
                          rp_real(&t->monitor_days, i, "deviation") * 100, flagged ? " FLAGGED" : "");
        else
            Co_buf_adds(b, "<td class=n>-</td></tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
}

static void budgets(co_buf *b, const rp_tenant *t)
{
    if (!Co_html_section(b, "Query budgets", t->budgets.nrows, "Not timed yet."))
        return;
    Co_buf_adds(b, "<table><tr><th>at</th><th>phase</th><th>on</th><th>query</th><th>runs</th>"
                   "<th>median s</th><th>p95 s</th><th>budget s</th><th>result</th></tr>\n");
    for (size_t i = 0; i < t->budgets.nrows; i++) {
        bool pass = rp_int(&t->budgets, i, "pass") != 0;
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, "t", rp_cell(&t->budgets, i, "at"));
        static const char *const said[] = {"phase", "side", "query"};
        for (size_t k = 0; k < 3; k++)
            Co_html_cell(b, NULL, rp_cell_named(&t->budgets, i, said[k]));
        Co_html_cell_count(b, rp_int(&t->budgets, i, "runs"), false);
        Co_buf_printf(b, "<td class=n>%.4f</td><td class=n>%.4f</td>"
                         "<td class=n>%.4f</td><td class=%s>%s</td></tr>\n",
                      rp_real(&t->budgets, i, "median"),
                      rp_real(&t->budgets, i, "p95"), rp_real(&t->budgets, i, "budget"),
                      pass ? "ok" : "bad", pass ? "ok" : "OVER BUDGET");
    }
    Co_buf_adds(b, "</table>\n");
}

static void approvals(co_buf *b, const rp_tenant *t)
{
    if (!t->approvals.nrows)
        return;
    Co_buf_adds(b, "<h3>Approvals</h3>\n<table><tr><th>at</th><th>step</th><th>event</th>"
                   "<th>by</th><th>detail</th></tr>\n");
    for (size_t i = 0; i < t->approvals.nrows; i++) {
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, "t", rp_cell(&t->approvals, i, "at"));
        static const char *const said[] = {"step", "event", "person", "detail"};
        for (size_t k = 0; k < 4; k++)
            Co_html_cell(b, NULL, rp_cell_named(&t->approvals, i, said[k]));
        Co_buf_adds(b, "</tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
}

void rp_html_aftercare(co_buf *b, const rp_tenant *t)
{
    monitoring(b, t);
    budgets(b, t);
    approvals(b, t);
}

void rp_aftercare_json(co_buf *b, const rp_tenant *t)
{
    Co_buf_adds(b, ",\"notes\":");
    rp_table_json(b, &t->notes);
    Co_buf_adds(b, ",\"monitor_checks\":");
    rp_table_json(b, &t->monitor_checks);
    Co_buf_adds(b, ",\"monitor_days\":");
    rp_table_json(b, &t->monitor_days);
    Co_buf_adds(b, ",\"budgets\":");
    rp_table_json(b, &t->budgets);
    Co_buf_adds(b, ",\"approvals\":");
    rp_table_json(b, &t->approvals);
}

co_code co_report_monitor_json(co_state *st, char **out, co_error *err)
{
    *out = NULL;
    static const char *const names[] = {"checks", "flagged", "budgets", "waiting", "notes"};
    static co_code (*const views[])(co_state *, co_jrows *, co_error *) = {
        Co_state_view_last_checks, Co_state_view_flagged_days, Co_state_view_last_budgets,
        Co_state_view_waiting_approvals, Co_state_view_last_notes};
    co_buf b = CO_BUF_INIT;
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < sizeof views / sizeof views[0]; i++) {
        rp_table t;
        rc = views[i](st, &t, err);
        if (rc != CO_OK)
            break;
        Co_buf_printf(&b, "%s\"%s\":", i ? "," : "{", names[i]);
        rp_table_json(&b, &t);
        rp_table_release(&t);
    }
    Co_buf_addc(&b, '}');
    return Co_buf_finish(&b, rc, out, err);
}

void rp_html_overview_aftercare(co_buf *b, const rp_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nstatus; i++)
        n += r->status[i].monitor_check || r->status[i].waiting_approval || r->status[i].notes;
    Co_buf_adds(b, "<h2 id=aftercare>After the switch</h2>\n");
    if (!n) {
        Co_buf_adds(b, "<p class=muted>No monitor check, approval waiting or note yet.</p>\n");
        return;
    }
    Co_buf_adds(b, "<table><tr><th>tenant</th><th>monitor</th><th>flags</th><th>summary</th>"
                   "<th>waiting for approval</th><th>notes</th><th>latest note</th></tr>\n");
    for (size_t i = 0; i < r->nstatus; i++) {
        const co_tenant_status *s = &r->status[i];
        if (!s->monitor_check && !s->waiting_approval && !s->notes)
            continue;
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, NULL, s->tenant);
        Co_html_cell(b, "t", s->monitored_at);
        if (s->monitor_check)
            Co_html_cell_count(b, s->monitor_flags, s->monitor_flags != 0);
        else
            Co_buf_adds(b, "<td></td>");
        Co_html_cell(b, NULL, s->monitor_summary);
        Co_html_cell(b, NULL, s->waiting_approval);
        Co_html_cell_count(b, s->notes, false);
        Co_html_cell(b, NULL, s->last_note);
        Co_buf_adds(b, "</tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
}
