/*
 * html.c: the migration report as one self-contained page (report.h): inline
 * CSS and SVG, no script unless live. Every value from the journal is
 * escaped; counts carry thousands separators and nouns agree with them
 * (util/fmt.h). The dashboard (serve.h) asks for the same page with links
 * between its views, forms for its two actions and a script that fetches
 * the page every few seconds and replaces its data regions (elements marked
 * data-live) only: a token or a confirmation being typed and an action's
 * result stay as they are.
 */
#include "report/report_int.h"
#include "util/fmt.h"
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
    "code{background:#f4f4f4;padding:0 2px}.t{white-space:nowrap}th.n{text-align:right}"
    "table.diff td{font-family:monospace;max-width:32em;overflow-wrap:anywhere}"
    "header.bar{position:sticky;top:0;z-index:1;background:#f6f6f6;border-bottom:1px solid #ccc;"
    "margin:-2em -2em 1em;padding:.5em 2em}header.bar .ok,header.bar .bad{font-weight:bold}";

/* A number kept as text: an integer gets its separators, anything else
 * (a real, a hash) is shown as it is. */
static void cell_num(co_buf *b, const char *text)
{
    char *end;
    long long v = text && *text ? strtoll(text, &end, 10) : 0;
    if (text && *text && !*end)
        Co_html_cell_count(b, v, false);
    else
        Co_html_cell(b, "n", text);
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
    Co_buf_adds(b, "<a href=\"");
    if (live) {
        Co_buf_adds(b, "/tenants/");
        Co_html_url(b, tenant);
    } else {
        Co_buf_adds(b, "#tenant-");
        Co_html_url(b, tenant);
    }
    Co_buf_adds(b, "\">");
    Co_html_esc(b, tenant);
    Co_buf_adds(b, "</a>");
}

static bool cohort_paused(const rp_report *r, int cohort)
{
    for (size_t i = 0; i < r->paused.nrows; i++)
        if (rp_int(&r->paused, i, "cohort") == cohort)
            return true;
    return false;
}

/* The form of a state-changing action: a typed confirmation (the token is
 * typed once, in the page's bar). id names it among the page's data
 * regions; done is what the result line says when it succeeded. */
static void action_form(co_buf *b, const char *id, const char *path, const char *what,
                        const char *confirm, const char *button, const char *done)
{
    Co_buf_adds(b, "<form class=action data-live id=\"");
    Co_html_esc(b, id);
    Co_buf_adds(b, "\" data-path=\"");
    Co_html_esc(b, path);
    Co_buf_adds(b, "\" data-done=\"");
    Co_html_esc(b, done);
    Co_buf_adds(b, "\"><b>");
    Co_html_esc(b, what);
    Co_buf_adds(b, "</b>: type <code>");
    Co_html_esc(b, confirm);
    Co_buf_adds(b, "</code> to confirm <input name=confirm size=12 autocomplete=off "
                   "spellcheck=false> <button>");
    Co_html_esc(b, button);
    Co_buf_adds(b, "</button></form>\n");
}

/* The dashboard's bar: the token, the last action's result, and whether
 * the data is current. Outside every data region: refreshing never
 * touches it. */
static void live_bar(co_buf *b, int refresh_seconds)
{
    Co_buf_adds(b, "<header class=bar><a href=\"/\">All tenants</a> &middot; "
                   "<label>token <input id=token type=password size=30 autocomplete=off></label> "
                   "<span id=result role=status></span> <span id=updated class=muted>");
    Co_buf_printf(b, "updates every %d s</span></header>\n", refresh_seconds);
}

/* The forms post JSON to the API with the bar's token; the answer shows in
 * the bar. Every few seconds the page is fetched again and each data region
 * replaced by its new self, except a form whose confirmation is being typed. */
static const char live_script[] =
    "<script>(function(){"
    "var bar=document.getElementById('result'),upd=document.getElementById('updated');"
    "function num(n){return Number(n).toLocaleString('en-US');}"
    "function say(cls,text){bar.className=cls;bar.textContent=text;}"
    "function busy(el){var i=el.querySelector('input');"
    "return el.contains(document.activeElement)||(i&&i.value!=='');}"
    "function refresh(){"
    "return fetch(location.pathname,{cache:'no-store'}).then(function(r){"
    "if(!r.ok)throw new Error('HTTP '+r.status);return r.text();}).then(function(t){"
    "var doc=new DOMParser().parseFromString(t,'text/html');"
    "document.querySelectorAll('[data-live]').forEach(function(el){"
    "var n=doc.getElementById(el.id);if(n&&!busy(el))el.replaceWith(document.importNode(n,true));});"
    "upd.textContent='updated '+new Date().toLocaleTimeString('en-GB');upd.className='muted';"
    "}).catch(function(e){upd.textContent='not updated: '+e.message;upd.className='bad';});}"
    "document.addEventListener('submit',function(ev){"
    "var f=ev.target;if(!f.matches('form.action'))return;ev.preventDefault();"
    "var what=f.querySelector('b').textContent,token=document.getElementById('token').value;"
    "if(!token){say('bad',what+': type the token first (cutover serve printed it)');return;}"
    "say('muted',what+': sending...');"
    "fetch(f.dataset.path,{method:'POST',headers:{'Content-Type':'application/json',"
    "'Authorization':'Bearer '+token},body:JSON.stringify({confirm:f.confirm.value})})"
    ".then(function(r){return r.json().then(function(j){"
    "if(!r.ok){say('bad',what+': refused ('+r.status+'): '+j.error);return;}"
    "var text=f.dataset.done;"
    "if(j.rolled_back)text+=': '+num(j.exported)+(j.exported==1?' row':' rows')+' exported, '"
    "+num(j.carried_back)+' carried back, '+j.seconds.toFixed(2)+' s'"
    "+(j.purge_pending?', its rows in the target frozen until purged':'');"
    "say('ok',text+'.');f.confirm.value='';f.querySelector('button').blur();return refresh();});})"
    ".catch(function(e){say('bad',what+': '+e.message);});});"
    "setInterval(refresh,%d);})();</script>\n";

/* Whether a cohort's tenant is done: nothing left to move. */
static bool tenant_done(const char *state)
{
    return co_lifecycle_is(state, CO_LC_SWITCHED) || co_lifecycle_is(state, CO_LC_VERIFIED) ||
           co_lifecycle_is(state, CO_LC_FINALIZED);
}

static void plan_section(co_buf *b, const rp_report *r, bool live)
{
    Co_buf_adds(b, "<h2 id=plan>Plan and cohorts</h2>\n");
    Co_buf_adds(b, "<div id=plan-table data-live>\n");
    if (!r->plan.nrows) { /* the region is there for the plan to appear in */
        Co_buf_adds(b, "<p class=muted>No plan yet: <code>cutover audit</code> then "
                       "<code>cutover plan</code>.</p>\n</div>\n");
        return;
    }
    Co_buf_printf(b, "<p>Plan %lld of ", (long long)rp_int(&r->plan, 0, "id"));
    Co_html_esc(b, rp_cell(&r->plan, 0, "created_at"));
    Co_buf_printf(b, ": a canary of %.3g%% of the tenants, then waves growing %.3g times.</p>\n",
                  rp_real(&r->plan, 0, "canary_percent"), rp_real(&r->plan, 0, "growth"));
    Co_buf_adds(b, "<table><tr><th>cohort</th><th>tenants</th><th>rows</th>"
                   "<th>est. seconds</th><th>done</th><th>tenants</th></tr>\n");
    const rp_table *c = &r->cohorts;
    for (size_t i = 0; i < c->nrows;) {
        int cohort = (int)rp_int(c, i, "cohort");
        size_t end = i;
        int64_t rows = 0, done = 0;
        double est = 0;
        while (end < c->nrows && rp_int(c, end, "cohort") == cohort) {
            rows += rp_int(c, end, "rows");
            est += rp_real(c, end, "est_seconds");
            done += tenant_done(rp_cell(c, end, "state"));
            end++;
        }
        char name[32];
        Co_buf_adds(b, "<tr><td>");
        Co_buf_adds(b, cohort_name(cohort, name, sizeof name));
        if (cohort_paused(r, cohort))
            Co_buf_adds(b, " <span class=paused>(paused)</span>");
        Co_buf_adds(b, "</td>");
        Co_html_cell_count(b, (long long)(end - i), false);
        Co_html_cell_count(b, (long long)rows, false);
        Co_buf_printf(b, "<td class=n>%.1f</td>", est);
        Co_buf_adds(b, "<td class=n>");
        Co_buf_add_count(b, done);
        Co_buf_adds(b, " of ");
        Co_buf_add_count(b, (int64_t)(end - i));
        Co_buf_adds(b, "</td><td>");
        for (size_t k = i; k < end; k++) {
            if (k > i)
                Co_buf_adds(b, ", ");
            tenant_link(b, rp_cell(c, k, "tenant"), live);
        }
        Co_buf_adds(b, "</td></tr>\n");
        i = end;
    }
    Co_buf_adds(b, "</table>\n</div>\n");
    if (!live)
        return;
    /* Pause is offered while a cohort has tenants left; resume while it is
     * paused, done or not. The path and the confirmation use the same word
     * (co_cohort_confirm_name), the one the API checks. */
    for (size_t i = 0; i < c->nrows;) {
        int cohort = (int)rp_int(c, i, "cohort");
        size_t left = 0, end = i;
        for (; end < c->nrows && rp_int(c, end, "cohort") == cohort; end++)
            left += !tenant_done(rp_cell(c, end, "state"));
        i = end;
        bool paused = cohort_paused(r, cohort);
        char name[32], confirm[16], id[48], path[64], what[64], done[64];
        cohort_name(cohort, name, sizeof name);
        co_cohort_confirm_name(cohort, confirm, sizeof confirm);
        snprintf(id, sizeof id, "cohort-%s", confirm);
        if (!paused && !left) {
            /* an empty region keeps the form's place for a later refresh */
            Co_buf_printf(b, "<div data-live id=\"%s\"></div>\n", id);
            continue;
        }
        snprintf(path, sizeof path, "/api/cohorts/%s/%s", confirm, paused ? "resume" : "pause");
        snprintf(what, sizeof what, "%s %s", paused ? "Resume" : "Pause", name);
        snprintf(done, sizeof done, "%c%s %s", name[0] - 'a' + 'A', name + 1,
                 paused ? "resumed" : "paused");
        action_form(b, id, path, what, confirm, paused ? "resume" : "pause", done);
    }
}

static const char *verification_text(const co_tenant_status *s, char *buf, size_t cap)
{
    if (!s->verify_run)
        snprintf(buf, cap, "-");
    else if (s->verify_pass)
        snprintf(buf, cap, "pass");
    else {
        char n[CO_FMT_PLURAL];
        snprintf(buf, cap, "FAIL (%s)",
                 Co_fmt_plural(n, s->verify_differences, "difference", "differences"));
    }
    return buf;
}

static void tenants_section(co_buf *b, const rp_report *r, const co_project *p, bool live)
{
    size_t switched = 0;
    for (size_t i = 0; i < r->nstatus; i++)
        switched += co_lifecycle_is(r->status[i].state, CO_LC_SWITCHED);
    Co_buf_adds(b, "<h2 id=tenants>Tenants</h2>\n<div id=tenants-table data-live>\n<p>");
    Co_buf_add_plural(b, (int64_t)r->nstatus, "tenant", "tenants");
    Co_buf_adds(b, ", ");
    Co_buf_add_count(b, (int64_t)switched);
    Co_buf_adds(b, " switched.</p>\n");
    Co_buf_adds(b, "<table><tr><th>tenant</th><th>label</th><th>state</th><th>cohort</th>"
                   "<th>run</th><th>rows read</th><th>loaded</th><th>rejected</th><th>seconds</th>"
                   "<th>verification</th></tr>\n");
    for (size_t i = 0; i < r->nstatus; i++) {
        const co_tenant_status *s = &r->status[i];
        Co_buf_adds(b, "<tr><td>");
        tenant_link(b, s->tenant, live);
        Co_buf_adds(b, "</td>");
        Co_html_cell(b, NULL, s->label);
        Co_buf_adds(b, "<td class=state>");
        rp_html_state(b, s);
        Co_buf_adds(b, "</td><td>");
        for (size_t k = 0; k < r->cohorts.nrows; k++) {
            const char *t = rp_cell(&r->cohorts, k, "tenant");
            if (t && strcmp(t, s->tenant) == 0) {
                char name[32];
                Co_buf_adds(b, cohort_name((int)rp_int(&r->cohorts, k, "cohort"), name, sizeof name));
                break;
            }
        }
        Co_buf_adds(b, "</td>");
        if (s->last_run) {
            Co_html_cell_count(b, (long long)s->last_run, false);
            Co_html_cell_count(b, (long long)s->source_rows, false);
            Co_html_cell_count(b, (long long)s->loaded, false);
            Co_html_cell_count(b, (long long)s->rejected, false);
            Co_buf_printf(b, "<td class=n>%.2f</td>", s->seconds);
        } else {
            Co_buf_adds(b, "<td></td><td></td><td></td><td></td><td></td>");
        }
        char v[128];
        Co_buf_printf(b, "<td class=\"%s\">", s->verify_run && !s->verify_pass ? "bad" : "");
        Co_html_esc(b, verification_text(s, v, sizeof v));
        Co_buf_adds(b, "</td></tr>\n");
    }
    Co_buf_adds(b, "</table>\n</div>\n");
    (void)p;
}

static void timeline(co_buf *b, const co_project *p, const rp_tenant *t)
{
    if (!Co_html_section(b, "Timeline", t->run.nrows, "Not migrated yet."))
        return;
    Co_buf_printf(b, "<p>Run %lld (%s), started <span class=t>", (long long)rp_int(&t->run, 0, "id"),
                  "migrate");
    Co_html_esc(b, rp_cell(&t->run, 0, "started_at"));
    Co_buf_adds(b, "</span>");
    Co_buf_adds(b, ", ");
    Co_html_esc(b, rp_cell(&t->run, 0, "status"));
    Co_buf_printf(b, " in %.3f s.", rp_real(&t->run, 0, "seconds"));
    if (t->route.nrows && rp_cell(&t->route, 0, "freeze_seconds") && rp_int(&t->route, 0, "run_id") == rp_int(&t->run, 0, "id"))
        Co_buf_printf(b, " <span style=\"background:#f4c542\">Freeze window: %.3f s</span>"
                         " (writes refused, from the freeze to the switch).",
                      rp_real(&t->route, 0, "freeze_seconds"));
    if (rp_cell(&t->run, 0, "error")) {
        Co_buf_adds(b, " <span class=bad>Error: ");
        Co_html_esc(b, rp_cell(&t->run, 0, "error"));
        Co_buf_adds(b, "</span>");
    }
    Co_buf_adds(b, "</p>\n");
    rp_svg_timeline(b, p, t);
    Co_buf_adds(b, "<table><tr><th>step</th><th>status</th><th>started</th><th>seconds</th></tr>\n");
    size_t *order = calloc(t->steps.nrows ? t->steps.nrows : 1, sizeof *order);
    size_t n = order ? rp_step_order(p, t, order) : 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, NULL, rp_cell(&t->steps, i, "step"));
        Co_html_cell(b, NULL, rp_cell(&t->steps, i, "status"));
        Co_html_cell(b, "t", rp_cell(&t->steps, i, "started_at"));
        Co_buf_printf(b, "<td class=n>%.3f</td></tr>\n", rp_real(&t->steps, i, "seconds"));
    }
    free(order);
    if (rp_verify_in_run(t)) {
        Co_buf_printf(b, "<tr><td>verify (run %lld)</td><td>%s</td>",
                      (long long)rp_int(&t->verify_run, 0, "id"),
                      t->status->verify_pass ? "pass" : "FAIL");
        Co_html_cell(b, "t", rp_cell(&t->verify_run, 0, "started_at"));
        Co_buf_printf(b, "<td class=n>%.3f</td></tr>\n", rp_real(&t->verify_run, 0, "seconds"));
    }
    Co_buf_adds(b, "</table>\n");
}

static void entity_rows(co_buf *b, const co_project *p, const rp_tenant *t)
{
    if (!Co_html_section(b, "Rows per entity", t->steps.nrows, "No rows loaded yet."))
        return;
    Co_buf_adds(b, "<p class=legend><span style=\"background:#4a9a4a\"></span>loaded"
                   "<span style=\"background:#4a7ac8\"></span>merged"
                   "<span style=\"background:#c84a4a\"></span>rejected</p>\n");
    rp_svg_entity_rows(b, p, t);
    Co_buf_adds(b, "<table><tr><th>entity</th><th>source rows</th><th>loaded</th><th>merged</th>"
                   "<th>rejected</th></tr>\n");
    int64_t tot[4] = {0, 0, 0, 0};
    for (size_t e = 0; e < p->nentities; e++) {
        size_t row = rp_step_of(t, p->entities[e].name);
        if (row == (size_t)-1)
            continue;
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, NULL, p->entities[e].name);
        static const char *const counts[4] = {"source_rows", "loaded", "merged", "rejected"};
        for (size_t k = 0; k < 4; k++) {
            int64_t v = rp_int_named(&t->steps, row, counts[k]);
            tot[k] += v;
            Co_buf_printf(b, "<td class=\"n%s\">", k == 3 && v ? " bad" : "");
            Co_buf_add_count(b, v);
            Co_buf_adds(b, "</td>");
        }
        Co_buf_adds(b, "</tr>\n");
    }
    Co_buf_adds(b, "<tr><th>total</th>");
    for (size_t k = 0; k < 4; k++) {
        Co_buf_adds(b, "<th class=n>");
        Co_buf_add_count(b, tot[k]);
        Co_buf_adds(b, "</th>");
    }
    Co_buf_adds(b, "</tr>\n</table>\n");
}

/* A JSON value as a person reads it: a scalar's text (null: NULL), an
 * object as "name: value, ...", an array as "value, ...". */
static void json_text(co_buf *b, struct fy_node *n)
{
    if (!n)
        return;
    if (fy_node_is_scalar(n)) {
        size_t len = 0;
        const char *text = fy_node_get_scalar(n, &len);
        if (fy_node_get_style(n) == FYNS_PLAIN && len == 4 && memcmp(text, "null", 4) == 0)
            Co_buf_adds(b, "NULL");
        else
            Co_buf_add(b, text, len);
        return;
    }
    void *it = NULL;
    bool first = true;
    if (fy_node_is_mapping(n)) {
        struct fy_node_pair *pair;
        while ((pair = fy_node_mapping_iterate(n, &it))) {
            Co_buf_adds(b, first ? "" : ", ");
            first = false;
            json_text(b, fy_node_pair_key(pair));
            Co_buf_adds(b, ": ");
            json_text(b, fy_node_pair_value(pair));
        }
    } else if (fy_node_is_sequence(n)) {
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(n, &it))) {
            Co_buf_adds(b, first ? "" : ", ");
            first = false;
            json_text(b, item);
        }
    }
}

/* One row of the differences' table, its cells escaped. */
static void diff_row(co_buf *b, const char *entity, const char *kind, const char *key,
                     const char *column, struct fy_node *expected, const char *expected_text,
                     struct fy_node *actual, const char *actual_text)
{
    co_buf text = CO_BUF_INIT;
    Co_buf_adds(b, "<tr>");
    Co_html_cell(b, NULL, entity);
    Co_html_cell(b, NULL, kind);
    Co_html_cell(b, NULL, key);
    Co_html_cell(b, NULL, column);
    json_text(&text, expected);
    Co_html_cell(b, NULL, expected ? co_buf_str(&text) : expected_text);
    Co_buf_reset(&text);
    json_text(&text, actual);
    Co_html_cell(b, NULL, actual ? co_buf_str(&text) : actual_text);
    Co_buf_adds(b, "</tr>\n");
    Co_buf_release(&text);
}

/* A finding as rows of (key, column, expected, actual): a changed row one
 * per column that differs, a missing or extra row as its values, a count
 * or a month's volume as its two numbers, anything else field by field. */
static void finding_rows(co_buf *b, const rp_tenant *t, size_t i)
{
    const char *entity = rp_cell(&t->findings, i, "entity"), *kind = rp_cell(&t->findings, i, "kind");
    const char *detail = rp_cell(&t->findings, i, "detail"), *raw_key = rp_cell(&t->findings, i, "key");
    co_buf key = CO_BUF_INIT;
    struct fy_document *kd = raw_key ? Co_json_read(raw_key, strlen(raw_key)) : NULL;
    if (kd)
        json_text(&key, fy_document_root(kd));
    else
        Co_buf_adds(&key, raw_key ? raw_key : "");
    struct fy_document *doc = Co_json_read(detail, detail ? strlen(detail) : 0);
    struct fy_node *root = doc ? fy_document_root(doc) : NULL;
    struct fy_node *columns = root && fy_node_is_mapping(root)
                                  ? fy_node_mapping_lookup_by_string(root, "columns", FY_NT)
                                  : NULL;
    struct fy_node *exp = root && fy_node_is_mapping(root)
                              ? fy_node_mapping_lookup_by_string(root, "expected", FY_NT)
                              : NULL;
    struct fy_node *act = root && fy_node_is_mapping(root)
                              ? fy_node_mapping_lookup_by_string(root, "actual", FY_NT)
                              : NULL;
    const char *k = co_buf_str(&key);
    const char *source_now = root ? Co_json_scalar(root, "/source_now") : NULL;
    if (source_now) { /* reconcile: source = target + merged + rejected */
        const char *parts[] = {"/target_now", "/merged", "/rejected"};
        int64_t sum = 0;
        for (size_t p = 0; p < 3; p++) {
            const char *v = Co_json_scalar(root, parts[p]);
            sum += v ? strtoll(v, NULL, 10) : 0;
        }
        char expected[CO_FMT_COUNT], actual[CO_FMT_COUNT];
        Co_fmt_count(expected, strtoll(source_now, NULL, 10));
        Co_fmt_count(actual, sum);
        diff_row(b, entity, kind, k, "source rows = target + merged + rejected", NULL, expected,
                 NULL, actual);
    } else if (columns && fy_node_is_mapping(columns)) {
        void *it = NULL;
        struct fy_node_pair *pair;
        while ((pair = fy_node_mapping_iterate(columns, &it))) {
            struct fy_node *v = fy_node_pair_value(pair);
            co_buf col = CO_BUF_INIT;
            json_text(&col, fy_node_pair_key(pair));
            diff_row(b, entity, kind, k, co_buf_str(&col),
                     fy_node_mapping_lookup_by_string(v, "expected", FY_NT), "",
                     fy_node_mapping_lookup_by_string(v, "actual", FY_NT), "");
            Co_buf_release(&col);
        }
    } else if (exp || act) {
        bool whole_row = (exp && fy_node_is_mapping(exp)) || (act && fy_node_is_mapping(act));
        diff_row(b, entity, kind, k, whole_row ? "(the row)" : "rows", exp,
                 whole_row ? "(none)" : "", act, whole_row ? "(none)" : "");
    } else if (root && fy_node_is_mapping(root)) {
        void *it = NULL;
        struct fy_node_pair *pair;
        while ((pair = fy_node_mapping_iterate(root, &it))) {
            co_buf col = CO_BUF_INIT;
            json_text(&col, fy_node_pair_key(pair));
            diff_row(b, entity, kind, k, co_buf_str(&col), NULL, "", fy_node_pair_value(pair), "");
            Co_buf_release(&col);
        }
    } else {
        diff_row(b, entity, kind, k, "", NULL, "", NULL, detail ? detail : "");
    }
    if (doc)
        fy_document_destroy(doc);
    if (kd)
        fy_document_destroy(kd);
    Co_buf_release(&key);
}

static void verification(co_buf *b, const rp_tenant *t)
{
    if (!Co_html_section(b, "Verification", t->verify_run.nrows, "Not verified yet."))
        return;
    Co_buf_printf(b, "<p>Run %lld at <span class=t>", (long long)rp_int(&t->verify_run, 0, "id"));
    Co_html_esc(b, rp_cell(&t->verify_run, 0, "ended_at"));
    Co_buf_printf(b, "</span>: <b class=%s>%s</b>, ", t->status->verify_pass ? "ok" : "bad",
                  t->status->verify_pass ? "pass" : "FAIL");
    Co_buf_add_plural(b, t->status->verify_differences, "difference", "differences");
    size_t failing = 0;
    for (size_t i = 0; i < t->checks.nrows; i++)
        failing += rp_int(&t->checks, i, "pass") != 1;
    if (failing) {
        Co_buf_adds(b, "; ");
        Co_buf_add_plural(b, (int64_t)failing, "check fails", "checks fail");
        Co_buf_adds(b, " (listed first)");
    }
    Co_buf_adds(b, ".</p>\n");
    Co_buf_adds(b, "<table><tr><th>entity</th><th>check</th><th>result</th><th>expected</th>"
                   "<th>actual</th><th>differences</th><th>summary</th></tr>\n");
    /* Failing checks first, then the passing ones, each in the journal's
     * order (entity, check). */
    for (int want = 0; want < 2; want++)
        for (size_t i = 0; i < t->checks.nrows; i++) {
            bool pass = rp_int(&t->checks, i, "pass") == 1;
            if (pass != (want == 1))
                continue;
            Co_buf_printf(b, "<tr%s>", pass ? "" : " class=failing");
            Co_html_cell(b, NULL, rp_cell(&t->checks, i, "entity"));
            Co_html_cell(b, NULL, rp_cell(&t->checks, i, "check"));
            Co_buf_printf(b, "<td class=%s>%s</td>", pass ? "ok" : "bad", pass ? "pass" : "FAIL");
            cell_num(b, rp_cell(&t->checks, i, "expected"));
            cell_num(b, rp_cell(&t->checks, i, "actual"));
            cell_num(b, rp_cell(&t->checks, i, "differences"));
            Co_html_cell(b, NULL, rp_cell(&t->checks, i, "summary"));
            Co_buf_adds(b, "</tr>\n");
        }
    Co_buf_adds(b, "</table>\n");
    if (t->findings.nrows) {
        Co_buf_adds(b, "<h4>First differences</h4>\n<table class=diff><tr><th>entity</th>"
                       "<th>kind</th><th>key</th><th>column</th><th>expected</th>"
                       "<th>actual</th></tr>\n");
        for (size_t i = 0; i < t->findings.nrows; i++)
            finding_rows(b, t, i);
        Co_buf_adds(b, "</table>\n");
    }
}

static void volumes(co_buf *b, const rp_tenant *t)
{
    if (!Co_html_section(b, "Volumes per month", t->volumes.nrows,
                         "No volumes recorded (entities with a <code>volume</code> "
                         "rule are counted per month by <code>cutover verify</code>)."))
        return;
    Co_buf_adds(b, "<p>Source rows (less rejected ones) against the target's, per calendar "
                   "month of the entity's time column.</p>\n");
    rp_svg_volumes(b, t);
}

static void audit(co_buf *b, const rp_tenant *t)
{
    if (!Co_html_section(b, "Audit findings", t->audit.nrows,
                         "Not audited (<code>cutover audit</code>)."))
        return;
    Co_buf_adds(b, "<p>Audited <span class=t>");
    Co_html_esc(b, rp_cell(&t->audit, 0, "audited_at"));
    Co_buf_adds(b, "</span>: ");
    Co_buf_add_plural(b, rp_int(&t->audit, 0, "rows"), "row", "rows");
    Co_buf_adds(b, ", size class ");
    Co_html_esc(b, rp_cell(&t->audit, 0, "size_class"));
    Co_buf_printf(b, ", about %.1f s; ", rp_real(&t->audit, 0, "est_seconds"));
    Co_buf_add_plural(b, rp_int(&t->audit, 0, "limit_rows"), "row", "rows");
    Co_buf_adds(b, " the target would refuse, ");
    Co_buf_add_plural(b, rp_int(&t->audit, 0, "duplicate_clusters"), "duplicate cluster", "duplicate clusters");
    Co_buf_adds(b, ".</p>\n");
    const char *detail = rp_cell(&t->audit, 0, "detail");
    struct fy_document *doc = Co_json_read(detail, detail ? strlen(detail) : 0);
    struct fy_node *limits =
        doc ? fy_node_by_path(fy_document_root(doc), "/limits", FY_NT, FYNWF_DONT_FOLLOW) : NULL;
    if (limits && fy_node_is_sequence(limits) && fy_node_sequence_item_count(limits) > 0) {
        Co_buf_adds(b, "<table><tr><th>entity</th><th>rule</th><th>rows</th><th>reason</th></tr>\n");
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(limits, &it))) {
            Co_buf_adds(b, "<tr>");
            Co_html_cell(b, NULL, Co_json_scalar(item, "/entity"));
            Co_html_cell(b, NULL, Co_json_scalar(item, "/rule"));
            cell_num(b, Co_json_scalar(item, "/rows"));
            Co_html_cell(b, NULL, Co_json_scalar(item, "/reason"));
            Co_buf_adds(b, "</tr>\n");
        }
        Co_buf_adds(b, "</table>\n");
    }
    if (doc)
        fy_document_destroy(doc);
}

static void rehearsals(co_buf *b, const rp_tenant *t)
{
    if (!Co_html_section(b, "Rehearsals", t->rehearsals.nrows, "None."))
        return;
    Co_buf_adds(b, "<table><tr><th>at</th><th>result</th><th>rows</th><th>rejected</th>"
                   "<th>seconds</th><th>reasons</th></tr>\n");
    for (size_t i = 0; i < t->rehearsals.nrows; i++) {
        const char *status = rp_cell(&t->rehearsals, i, "status");
        Co_buf_adds(b, "<tr>");
        Co_html_cell(b, "t", rp_cell(&t->rehearsals, i, "at"));
        Co_buf_printf(b, "<td class=%s>", status && strcmp(status, "fail") == 0 ? "bad" : "ok");
        Co_html_esc(b, status);
        Co_buf_adds(b, "</td>");
        cell_num(b, rp_cell(&t->rehearsals, i, "rows"));
        cell_num(b, rp_cell(&t->rehearsals, i, "rejected"));
        Co_buf_printf(b, "<td class=n>%.3f</td>", rp_real(&t->rehearsals, i, "seconds"));
        Co_html_cell(b, NULL, rp_cell(&t->rehearsals, i, "reasons"));
        Co_buf_adds(b, "</tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
}

static void tenant_section(co_buf *b, const co_project *p, const rp_tenant *t, bool live)
{
    const co_tenant_status *s = t->status;
    Co_buf_adds(b, "<section class=tenant id=\"tenant-");
    Co_html_url(b, s->tenant);
    Co_buf_adds(b, "\"><div data-live id=\"head-");
    Co_html_url(b, s->tenant);
    Co_buf_adds(b, "\"><h2>Tenant ");
    Co_html_esc(b, s->tenant);
    if (s->label) {
        Co_buf_adds(b, ": ");
        Co_html_esc(b, s->label);
    }
    Co_buf_adds(b, "</h2>\n<p>State <span class=state>");
    rp_html_state(b, s);
    Co_buf_adds(b, "</span>; route <b>");
    Co_html_esc(b, t->route.nrows ? rp_cell(&t->route, 0, "route") : "old");
    Co_buf_adds(b, "</b>");
    if (t->plan.nrows) {
        char name[32];
        Co_buf_printf(b, "; cohort %s, risk %.2f (",
                      cohort_name((int)rp_int(&t->plan, 0, "cohort"), name, sizeof name),
                      rp_real(&t->plan, 0, "risk"));
        Co_html_esc(b, rp_cell(&t->plan, 0, "why"));
        Co_buf_adds(b, ")");
    }
    if (t->rollback_days >= 0) {
        char left[CO_FMT_PLURAL], kept[CO_FMT_PLURAL];
        Co_buf_printf(b, "; <b>%s of rollback left</b> (switched <span class=t>",
                      Co_fmt_plural(left, t->rollback_days, "day", "days"));
        Co_html_esc(b, rp_cell(&t->route, 0, "switched_at"));
        Co_buf_printf(b, "</span>, retention %s)",
                      Co_fmt_plural(kept, p->retention_days, "day", "days"));
    } else if (co_lifecycle_is(s->state, CO_LC_FINALIZED)) {
        Co_buf_adds(b, "; finalized: no rollback");
    }
    Co_buf_adds(b, ".</p>\n");
    rp_html_inflight(b, s);
    rp_html_parity(b, s);
    if (s->error) {
        Co_buf_adds(b, "<p class=bad>Last error: ");
        Co_html_esc(b, s->error);
        Co_buf_adds(b, "</p>\n");
    }
    Co_buf_adds(b, "</div>\n");
    if (live) {
        co_buf path = CO_BUF_INIT, id = CO_BUF_INIT, what = CO_BUF_INIT, done = CO_BUF_INIT;
        Co_buf_adds(&path, "/api/tenants/");
        Co_html_url(&path, s->tenant);
        Co_buf_adds(&path, "/rollback");
        Co_buf_adds(&id, "rollback-");
        Co_html_url(&id, s->tenant);
        Co_buf_printf(&what, "Roll back tenant %s", s->tenant);
        Co_buf_printf(&done, "Tenant %s rolled back", s->tenant);
        action_form(b, co_buf_str(&id), co_buf_str(&path), co_buf_str(&what), s->tenant,
                    "roll back", co_buf_str(&done));
        Co_buf_release(&path);
        Co_buf_release(&id);
        Co_buf_release(&what);
        Co_buf_release(&done);
    }
    Co_buf_adds(b, "<div data-live id=\"body-");
    Co_html_url(b, s->tenant);
    Co_buf_adds(b, "\">\n");
    timeline(b, p, t);
    rp_html_notes(b, t);
    entity_rows(b, p, t);
    verification(b, t);
    volumes(b, t);
    audit(b, t);
    rehearsals(b, t);
    rp_html_aftercare(b, t);
    Co_buf_adds(b, "</div></section>\n");
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
    Co_buf_adds(&title, "cutover report");
    if (opt->tenant)
        Co_buf_printf(&title, ": tenant %s", opt->tenant);
    /* No meta refresh: the live page updates its data regions itself. */
    Co_html_begin(&b, co_buf_str(&title), extra_css, 0);
    Co_buf_release(&title);
    int refresh = opt->refresh_seconds > 0 ? opt->refresh_seconds : 5;
    if (opt->live)
        live_bar(&b, refresh);
    Co_buf_adds(&b, "<h1>Migration report</h1>\n<p data-live id=generated>Project <code>");
    Co_html_esc(&b, p->path);
    Co_buf_adds(&b, "</code>, journal read at <span class=t>");
    Co_html_esc(&b, r.generated_at);
    Co_buf_adds(&b, "</span>.</p>\n");
    if (!opt->tenant) {
        plan_section(&b, &r, opt->live);
        tenants_section(&b, &r, p, opt->live);
        Co_buf_adds(&b, "<div data-live id=aftercare>\n");
        rp_html_overview_aftercare(&b, &r);
        Co_buf_adds(&b, "</div>\n");
        rp_orphans_html(&b, st);
    }
    for (size_t i = 0; i < r.ntenants; i++)
        tenant_section(&b, p, &r.tenants[i], opt->live);
    if (opt->live)
        Co_buf_printf(&b, live_script, refresh * 1000);
    Co_html_end(&b);
    rp_release(&r);
    return Co_buf_finish(&b, CO_OK, out, err);
}
