/*
 * html.c: the migration report as one self-contained page (report.h): inline
 * CSS and SVG, no script unless live. Every value from the journal is
 * escaped. The dashboard (serve.h) asks for the same page with links between
 * its views, a reload every few seconds, and forms for its two actions.
 */
#include "report/report_int.h"
#include "util/html.h"
#include "util/jsonread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char extra_css[] =
    "h2{margin-top:1.6em;border-bottom:1px solid #ddd}section.tenant{margin-bottom:2em}"
    ".state{font-weight:bold}.paused{color:#a60}.muted{color:#777}"
    ".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}"
    "form.action{margin:.5em 0;padding:.5em;border:1px solid #e0c0c0;background:#fff8f8}"
    "code{background:#f4f4f4;padding:0 2px}";

static void cell(co_buf *b, const char *text, bool numeric)
{
    co_buf_adds(b, numeric ? "<td class=n>" : "<td>");
    co_html_esc(b, text);
    co_buf_adds(b, "</td>");
}

static void cell_int(co_buf *b, long long v)
{
    co_buf_printf(b, "<td class=n>%lld</td>", v);
}

static const char *cohort_name(int cohort, char *buf, size_t cap)
{
    if (cohort == 0)
        snprintf(buf, cap, "canary");
    else
        snprintf(buf, cap, "wave %d", cohort);
    return buf;
}

/* A link to a tenant's view: its own page live, its section in the file. */
static void tenant_link(co_buf *b, const char *tenant, bool live)
{
    co_buf_adds(b, "<a href=\"");
    if (live) {
        co_buf_adds(b, "/tenants/");
        co_html_url(b, tenant);
    } else {
        co_buf_adds(b, "#tenant-");
        co_html_url(b, tenant);
    }
    co_buf_adds(b, "\">");
    co_html_esc(b, tenant);
    co_buf_adds(b, "</a>");
}

static bool cohort_paused(const rp_report *r, int cohort)
{
    for (size_t i = 0; i < r->paused.nrows; i++)
        if (rp_int(&r->paused, i, 0) == cohort)
            return true;
    return false;
}

/* The form of a state-changing action: the token and a typed confirmation. */
static void action_form(co_buf *b, const char *path, const char *what, const char *confirm,
                        const char *button)
{
    co_buf_adds(b, "<form class=action data-path=\"");
    co_html_esc(b, path);
    co_buf_adds(b, "\" data-confirm=\"");
    co_html_esc(b, confirm);
    co_buf_adds(b, "\"><b>");
    co_html_esc(b, what);
    co_buf_adds(b, "</b> token <input name=token type=password size=24> type <code>");
    co_html_esc(b, confirm);
    co_buf_adds(b, "</code> to confirm <input name=confirm size=12> <button>");
    co_html_esc(b, button);
    co_buf_adds(b, "</button> <span class=result></span></form>\n");
}

/* The forms post JSON to the API; the answer shows beside the button. */
static const char action_script[] =
    "<script>document.querySelectorAll('form.action').forEach(function(f){"
    "f.addEventListener('submit',function(ev){ev.preventDefault();"
    "var out=f.querySelector('.result');"
    "fetch(f.dataset.path,{method:'POST',headers:{'Content-Type':'application/json',"
    "'Authorization':'Bearer '+f.token.value},"
    "body:JSON.stringify({confirm:f.confirm.value})})"
    ".then(function(r){return r.text().then(function(t){out.textContent=r.status+' '+t;});})"
    ".catch(function(e){out.textContent=String(e);});});});</script>\n";

static void plan_section(co_buf *b, const rp_report *r, bool live)
{
    co_buf_adds(b, "<h2 id=plan>Plan and cohorts</h2>\n");
    if (!r->plan.nrows) {
        co_buf_adds(b, "<p class=muted>No plan yet: <code>cutover audit</code> then "
                       "<code>cutover plan</code>.</p>\n");
        return;
    }
    co_buf_printf(b, "<p>Plan %lld of ", (long long)rp_int(&r->plan, 0, 0));
    co_html_esc(b, rp_cell(&r->plan, 0, 1));
    co_buf_printf(b, ": a canary of %.3g%% of the tenants, then waves growing %.3g times.</p>\n",
                  rp_real(&r->plan, 0, 2), rp_real(&r->plan, 0, 3));
    co_buf_adds(b, "<table><tr><th>cohort</th><th>tenants</th><th>rows</th>"
                   "<th>est. seconds</th><th>done</th><th>tenants</th></tr>\n");
    const rp_table *c = &r->cohorts;
    for (size_t i = 0; i < c->nrows;) {
        int cohort = (int)rp_int(c, i, 0);
        size_t end = i;
        int64_t rows = 0, done = 0;
        double est = 0;
        while (end < c->nrows && rp_int(c, end, 0) == cohort) {
            rows += rp_int(c, end, 3);
            est += rp_real(c, end, 4);
            const char *state = rp_cell(c, end, 5);
            if (state && (strcmp(state, "switched") == 0 || strcmp(state, "verified") == 0 ||
                          strcmp(state, "finalized") == 0))
                done++;
            end++;
        }
        char name[32];
        co_buf_adds(b, "<tr><td>");
        co_buf_adds(b, cohort_name(cohort, name, sizeof name));
        if (cohort_paused(r, cohort))
            co_buf_adds(b, " <span class=paused>(paused)</span>");
        co_buf_adds(b, "</td>");
        cell_int(b, (long long)(end - i));
        cell_int(b, (long long)rows);
        co_buf_printf(b, "<td class=n>%.1f</td>", est);
        co_buf_printf(b, "<td class=n>%lld of %lld</td><td>", (long long)done,
                      (long long)(end - i));
        for (size_t k = i; k < end; k++) {
            if (k > i)
                co_buf_adds(b, ", ");
            tenant_link(b, rp_cell(c, k, 1), live);
        }
        co_buf_adds(b, "</td></tr>\n");
        i = end;
    }
    co_buf_adds(b, "</table>\n");
    if (live) {
        for (size_t i = 0; i < c->nrows; i++) {
            int cohort = (int)rp_int(c, i, 0);
            if (i && rp_int(c, i - 1, 0) == cohort)
                continue;
            char name[32], path[64], what[64];
            bool paused = cohort_paused(r, cohort);
            snprintf(path, sizeof path, "/api/cohorts/%d/%s", cohort, paused ? "resume" : "pause");
            snprintf(what, sizeof what, "%s %s", paused ? "Resume" : "Pause",
                     cohort_name(cohort, name, sizeof name));
            char confirm[40];
            snprintf(confirm, sizeof confirm, "%s", cohort ? name + 5 : "canary");
            action_form(b, path, what, confirm, paused ? "resume" : "pause");
        }
    }
}

static const char *verification_text(const co_tenant_status *s, char *buf, size_t cap)
{
    if (!s->verify_run)
        snprintf(buf, cap, "-");
    else if (s->verify_pass)
        snprintf(buf, cap, "pass");
    else
        snprintf(buf, cap, "FAIL (%lld differences)", (long long)s->verify_differences);
    return buf;
}

static void tenants_section(co_buf *b, const rp_report *r, const co_project *p, bool live)
{
    size_t switched = 0;
    for (size_t i = 0; i < r->nstatus; i++)
        switched += strcmp(r->status[i].state, "switched") == 0;
    co_buf_printf(b, "<h2 id=tenants>Tenants</h2>\n<p>%zu tenants, %zu switched.</p>\n",
                  r->nstatus, switched);
    co_buf_adds(b, "<table><tr><th>tenant</th><th>label</th><th>state</th><th>cohort</th>"
                   "<th>run</th><th>rows read</th><th>loaded</th><th>rejected</th><th>seconds</th>"
                   "<th>verification</th></tr>\n");
    for (size_t i = 0; i < r->nstatus; i++) {
        const co_tenant_status *s = &r->status[i];
        co_buf_adds(b, "<tr><td>");
        tenant_link(b, s->tenant, live);
        co_buf_adds(b, "</td>");
        cell(b, s->label, false);
        co_buf_adds(b, "<td class=state>");
        co_html_esc(b, s->state);
        co_buf_adds(b, "</td><td>");
        for (size_t k = 0; k < r->cohorts.nrows; k++) {
            const char *t = rp_cell(&r->cohorts, k, 1);
            if (t && strcmp(t, s->tenant) == 0) {
                char name[32];
                co_buf_adds(b, cohort_name((int)rp_int(&r->cohorts, k, 0), name, sizeof name));
                break;
            }
        }
        co_buf_adds(b, "</td>");
        if (s->last_run) {
            cell_int(b, (long long)s->last_run);
            cell_int(b, (long long)s->source_rows);
            cell_int(b, (long long)s->loaded);
            cell_int(b, (long long)s->rejected);
            co_buf_printf(b, "<td class=n>%.2f</td>", s->seconds);
        } else {
            co_buf_adds(b, "<td></td><td></td><td></td><td></td><td></td>");
        }
        char v[64];
        co_buf_printf(b, "<td class=\"%s\">", s->verify_run && !s->verify_pass ? "bad" : "");
        co_html_esc(b, verification_text(s, v, sizeof v));
        co_buf_adds(b, "</td></tr>\n");
    }
    co_buf_adds(b, "</table>\n");
    (void)p;
}

static void timeline(co_buf *b, const co_project *p, const rp_tenant *t)
{
    co_buf_adds(b, "<h3>Timeline</h3>\n");
    if (!t->run.nrows) {
        co_buf_adds(b, "<p class=muted>Not migrated yet.</p>\n");
        return;
    }
    co_buf_printf(b, "<p>Run %lld (%s), started ", (long long)rp_int(&t->run, 0, 0),
                  "migrate");
    co_html_esc(b, rp_cell(&t->run, 0, 3));
    co_buf_adds(b, ", ");
    co_html_esc(b, rp_cell(&t->run, 0, 2));
    co_buf_printf(b, " in %.3f s.", rp_real(&t->run, 0, 5));
    if (t->route.nrows && rp_cell(&t->route, 0, 3) && rp_int(&t->route, 0, 4) == rp_int(&t->run, 0, 0))
        co_buf_printf(b, " <span style=\"background:#f4c542\">Freeze window: %.3f s</span>"
                         " (writes refused, from the freeze to the switch).",
                      rp_real(&t->route, 0, 3));
    if (rp_cell(&t->run, 0, 6)) {
        co_buf_adds(b, " <span class=bad>Error: ");
        co_html_esc(b, rp_cell(&t->run, 0, 6));
        co_buf_adds(b, "</span>");
    }
    co_buf_adds(b, "</p>\n");
    rp_svg_timeline(b, p, t);
    co_buf_adds(b, "<table><tr><th>step</th><th>status</th><th>started</th><th>seconds</th></tr>\n");
    size_t *order = calloc(t->steps.nrows ? t->steps.nrows : 1, sizeof *order);
    size_t n = order ? rp_step_order(p, t, order) : 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        co_buf_adds(b, "<tr>");
        cell(b, rp_cell(&t->steps, i, 0), false);
        cell(b, rp_cell(&t->steps, i, 2), false);
        cell(b, rp_cell(&t->steps, i, 3), false);
        co_buf_printf(b, "<td class=n>%.3f</td></tr>\n", rp_real(&t->steps, i, 9));
    }
    free(order);
    if (rp_verify_in_run(t)) {
        co_buf_printf(b, "<tr><td>verify (run %lld)</td><td>%s</td>",
                      (long long)rp_int(&t->verify_run, 0, 0),
                      t->status->verify_pass ? "pass" : "FAIL");
        cell(b, rp_cell(&t->verify_run, 0, 2), false);
        co_buf_printf(b, "<td class=n>%.3f</td></tr>\n", rp_real(&t->verify_run, 0, 4));
    }
    co_buf_adds(b, "</table>\n");
}

static void entity_rows(co_buf *b, const co_project *p, const rp_tenant *t)
{
    co_buf_adds(b, "<h3>Rows per entity</h3>\n");
    if (!t->steps.nrows) {
        co_buf_adds(b, "<p class=muted>No rows loaded yet.</p>\n");
        return;
    }
    co_buf_adds(b, "<p class=legend><span style=\"background:#4a9a4a\"></span>loaded"
                   "<span style=\"background:#4a7ac8\"></span>merged"
                   "<span style=\"background:#c84a4a\"></span>rejected</p>\n");
    rp_svg_entity_rows(b, p, t);
    co_buf_adds(b, "<table><tr><th>entity</th><th>source rows</th><th>loaded</th><th>merged</th>"
                   "<th>rejected</th></tr>\n");
    int64_t tot[4] = {0, 0, 0, 0};
    for (size_t e = 0; e < p->nentities; e++) {
        size_t row = rp_step_of(t, p->entities[e].name);
        if (row == (size_t)-1)
            continue;
        co_buf_adds(b, "<tr>");
        cell(b, p->entities[e].name, false);
        for (size_t k = 0; k < 4; k++) {
            int64_t v = rp_int(&t->steps, row, 5 + k);
            tot[k] += v;
            co_buf_printf(b, "<td class=\"n%s\">%lld</td>", k == 3 && v ? " bad" : "",
                          (long long)v);
        }
        co_buf_adds(b, "</tr>\n");
    }
    co_buf_printf(b, "<tr><th>total</th><th class=n>%lld</th><th class=n>%lld</th>"
                     "<th class=n>%lld</th><th class=n>%lld</th></tr>\n</table>\n",
                  (long long)tot[0], (long long)tot[1], (long long)tot[2], (long long)tot[3]);
}

static void verification(co_buf *b, const rp_tenant *t)
{
    co_buf_adds(b, "<h3>Verification</h3>\n");
    if (!t->verify_run.nrows) {
        co_buf_adds(b, "<p class=muted>Not verified yet.</p>\n");
        return;
    }
    co_buf_printf(b, "<p>Run %lld at ", (long long)rp_int(&t->verify_run, 0, 0));
    co_html_esc(b, rp_cell(&t->verify_run, 0, 3));
    co_buf_printf(b, ": <b class=%s>%s</b>, %lld differences.</p>\n",
                  t->status->verify_pass ? "ok" : "bad", t->status->verify_pass ? "pass" : "FAIL",
                  (long long)t->status->verify_differences);
    co_buf_adds(b, "<table><tr><th>entity</th><th>check</th><th>result</th><th>expected</th>"
                   "<th>actual</th><th>differences</th><th>summary</th></tr>\n");
    for (size_t i = 0; i < t->checks.nrows; i++) {
        bool pass = rp_int(&t->checks, i, 2) == 1;
        co_buf_adds(b, "<tr>");
        cell(b, rp_cell(&t->checks, i, 0), false);
        cell(b, rp_cell(&t->checks, i, 1), false);
        co_buf_printf(b, "<td class=%s>%s</td>", pass ? "ok" : "bad", pass ? "pass" : "FAIL");
        cell(b, rp_cell(&t->checks, i, 3), true);
        cell(b, rp_cell(&t->checks, i, 4), true);
        cell(b, rp_cell(&t->checks, i, 5), true);
        cell(b, rp_cell(&t->checks, i, 6), false);
        co_buf_adds(b, "</tr>\n");
    }
    co_buf_adds(b, "</table>\n");
    if (t->findings.nrows) {
        co_buf_adds(b, "<h4>First differences</h4>\n<table><tr><th>entity</th><th>check</th>"
                       "<th>kind</th><th>key</th><th>detail</th></tr>\n");
        for (size_t i = 0; i < t->findings.nrows; i++) {
            co_buf_adds(b, "<tr>");
            for (size_t k = 0; k < 5; k++)
                cell(b, rp_cell(&t->findings, i, k), false);
            co_buf_adds(b, "</tr>\n");
        }
        co_buf_adds(b, "</table>\n");
    }
}

static void volumes(co_buf *b, const rp_tenant *t)
{
    co_buf_adds(b, "<h3>Volumes per month</h3>\n");
    if (!t->volumes.nrows) {
        co_buf_adds(b, "<p class=muted>No volumes recorded (entities with a <code>volume</code> "
                       "rule are counted per month by <code>cutover verify</code>).</p>\n");
        return;
    }
    co_buf_adds(b, "<p>Source rows (less rejected ones) against the target's, per calendar "
                   "month of the entity's time column.</p>\n");
    rp_svg_volumes(b, t);
}

static void audit(co_buf *b, const rp_tenant *t)
{
    co_buf_adds(b, "<h3>Audit findings</h3>\n");
    if (!t->audit.nrows) {
        co_buf_adds(b, "<p class=muted>Not audited (<code>cutover audit</code>).</p>\n");
        return;
    }
    co_buf_adds(b, "<p>Audited ");
    co_html_esc(b, rp_cell(&t->audit, 0, 0));
    co_buf_printf(b, ": %lld rows, size class ", (long long)rp_int(&t->audit, 0, 1));
    co_html_esc(b, rp_cell(&t->audit, 0, 3));
    co_buf_printf(b, ", about %.1f s; %lld rows the target would refuse, %lld duplicate "
                     "clusters.</p>\n",
                  rp_real(&t->audit, 0, 4), (long long)rp_int(&t->audit, 0, 5),
                  (long long)rp_int(&t->audit, 0, 6));
    const char *detail = rp_cell(&t->audit, 0, 7);
    struct fy_document *doc = co_json_read(detail, detail ? strlen(detail) : 0);
    struct fy_node *limits =
        doc ? fy_node_by_path(fy_document_root(doc), "/limits", FY_NT, FYNWF_DONT_FOLLOW) : NULL;
    if (limits && fy_node_is_sequence(limits) && fy_node_sequence_item_count(limits) > 0) {
        co_buf_adds(b, "<table><tr><th>entity</th><th>rule</th><th>rows</th><th>reason</th></tr>\n");
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(limits, &it))) {
            co_buf_adds(b, "<tr>");
            cell(b, co_json_scalar(item, "/entity"), false);
            cell(b, co_json_scalar(item, "/rule"), false);
            cell(b, co_json_scalar(item, "/rows"), true);
            cell(b, co_json_scalar(item, "/reason"), false);
            co_buf_adds(b, "</tr>\n");
        }
        co_buf_adds(b, "</table>\n");
    }
    if (doc)
        fy_document_destroy(doc);
}

static void rehearsals(co_buf *b, const rp_tenant *t)
{
    co_buf_adds(b, "<h3>Rehearsals</h3>\n");
    if (!t->rehearsals.nrows) {
        co_buf_adds(b, "<p class=muted>None.</p>\n");
        return;
    }
    co_buf_adds(b, "<table><tr><th>at</th><th>result</th><th>rows</th><th>rejected</th>"
                   "<th>seconds</th><th>reasons</th></tr>\n");
    for (size_t i = 0; i < t->rehearsals.nrows; i++) {
        const char *status = rp_cell(&t->rehearsals, i, 1);
        co_buf_adds(b, "<tr>");
        cell(b, rp_cell(&t->rehearsals, i, 6), false);
        co_buf_printf(b, "<td class=%s>", status && strcmp(status, "fail") == 0 ? "bad" : "ok");
        co_html_esc(b, status);
        co_buf_adds(b, "</td>");
        cell(b, rp_cell(&t->rehearsals, i, 3), true);
        cell(b, rp_cell(&t->rehearsals, i, 4), true);
        co_buf_printf(b, "<td class=n>%.3f</td>", rp_real(&t->rehearsals, i, 5));
        cell(b, rp_cell(&t->rehearsals, i, 2), false);
        co_buf_adds(b, "</tr>\n");
    }
    co_buf_adds(b, "</table>\n");
}

static void tenant_section(co_buf *b, const co_project *p, const rp_tenant *t, bool live)
{
    const co_tenant_status *s = t->status;
    co_buf_adds(b, "<section class=tenant id=\"tenant-");
    co_html_url(b, s->tenant);
    co_buf_adds(b, "\"><h2>Tenant ");
    co_html_esc(b, s->tenant);
    if (s->label) {
        co_buf_adds(b, ": ");
        co_html_esc(b, s->label);
    }
    co_buf_adds(b, "</h2>\n<p>State <span class=state>");
    co_html_esc(b, s->state);
    co_buf_adds(b, "</span>; route <b>");
    co_html_esc(b, t->route.nrows ? rp_cell(&t->route, 0, 0) : "old");
    co_buf_adds(b, "</b>");
    if (t->plan.nrows) {
        char name[32];
        co_buf_printf(b, "; cohort %s, risk %.2f (",
                      cohort_name((int)rp_int(&t->plan, 0, 1), name, sizeof name),
                      rp_real(&t->plan, 0, 3));
        co_html_esc(b, rp_cell(&t->plan, 0, 4));
        co_buf_adds(b, ")");
    }
    if (t->rollback_days >= 0)
        co_buf_printf(b, "; <b>%d days of rollback left</b> (switched ", t->rollback_days);
    if (t->rollback_days >= 0) {
        co_html_esc(b, rp_cell(&t->route, 0, 2));
        co_buf_printf(b, ", retention %d days)", p->retention_days);
    } else if (strcmp(s->state, "finalized") == 0) {
        co_buf_adds(b, "; finalized: no rollback");
    }
    co_buf_adds(b, ".</p>\n");
    if (s->error) {
        co_buf_adds(b, "<p class=bad>Last error: ");
        co_html_esc(b, s->error);
        co_buf_adds(b, "</p>\n");
    }
    if (live) {
        co_buf adapter = CO_BUF_INIT;
        co_buf_adds(&adapter, "/api/tenants/");
        co_html_url(&adapter, s->tenant);
        co_buf_adds(&adapter, "/rollback");
        co_buf what = CO_BUF_INIT;
        co_buf_printf(&what, "Roll back tenant %s", s->tenant);
        action_form(b, co_buf_str(&adapter), co_buf_str(&what), s->tenant, "roll back");
        co_buf_release(&adapter);
        co_buf_release(&what);
    }
    timeline(b, p, t);
    rp_html_notes(b, t);
    entity_rows(b, p, t);
    verification(b, t);
    volumes(b, t);
    audit(b, t);
    rehearsals(b, t);
    rp_html_aftercare(b, t);
    co_buf_adds(b, "</section>\n");
}

co_code co_report_html(co_state *st, const co_project *p, const co_report_options *opt,
                       char **out, co_error *err)
{
    *out = NULL;
    rp_report r;
    co_code rc = rp_load(st, p, opt->tenant, opt->overview_only, &r, err);
    if (rc != CO_OK)
        return rc;
    co_buf b = CO_BUF_INIT;
    co_buf title = CO_BUF_INIT;
    co_buf_adds(&title, "cutover report");
    if (opt->tenant)
        co_buf_printf(&title, ": tenant %s", opt->tenant);
    co_html_begin(&b, co_buf_str(&title), extra_css, opt->refresh_seconds);
    co_buf_release(&title);
    co_buf_adds(&b, "<h1>Migration report</h1>\n<p>Project <code>");
    co_html_esc(&b, p->path);
    co_buf_adds(&b, "</code>, journal read at ");
    co_html_esc(&b, r.generated_at);
    if (opt->live)
        co_buf_printf(&b, "; this page reloads every %d seconds. <a href=\"/\">All tenants</a>",
                      opt->refresh_seconds);
    co_buf_adds(&b, ".</p>\n");
    if (!opt->tenant) {
        plan_section(&b, &r, opt->live);
        tenants_section(&b, &r, p, opt->live);
        rp_html_overview_aftercare(&b, &r);
    }
    for (size_t i = 0; i < r.ntenants; i++)
        tenant_section(&b, p, &r.tenants[i], opt->live);
    if (opt->live)
        co_buf_adds(&b, action_script);
    co_html_end(&b);
    rp_release(&r);
    if (b.failed) {
        co_buf_release(&b);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *out = co_buf_detach(&b);
    return CO_OK;
}
