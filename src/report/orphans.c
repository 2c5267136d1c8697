/*
 * orphans.c: the source rows of no tenant as the journal keeps them (state.h,
 * the orphans table, written by `verify --all` and `audit`): a section of the
 * report's overview and the API's /api/orphans document.
 */
#include "report/report_int.h"
#include "cutover/state.h"
#include "util/html.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

typedef struct orphan_out {
    co_buf *b;
    bool html;
    size_t n, groups;
    int64_t rows, excluded; /* rows of no tenant no rule leaves out; those one does */
    co_buf tables, list;    /* the JSON arrays being built, or the HTML rows */
} orphan_out;

static co_code take_json(void *ctx, const co_state_orphan *o, co_error *err)
{
    (void)err;
    orphan_out *x = ctx;
    if (x->n++ == 0) {
        Co_buf_adds(x->b, "\"counted_at\":");
        Co_json_str(x->b, o->counted_at ? o->counted_at : "");
        Co_buf_adds(x->b, ",\"origin\":");
        Co_json_str(x->b, o->origin ? o->origin : "");
    }
    bool table = strcmp(o->kind, "table") == 0;
    co_buf *into = table ? &x->tables : &x->list;
    Co_json_field(into, into->len ? ",{\"table\":" : "{\"table\":", o->table);
    Co_json_field(into, ",\"column\":", o->column);
    if (table) {
        Co_buf_printf(into, ",\"rows\":%lld}", (long long)o->rows);
        return CO_OK;
    }
    Co_buf_printf(into, ",\"tenant\":\"%s\",\"rows\":%lld,\"values\":%lld,\"examples\":%s",
                  o->kind, (long long)o->rows, (long long)o->values,
                  o->examples ? o->examples : "[]");
    if (o->rule) {
        x->excluded += o->rows;
        Co_buf_printf(into, ",\"excluded\":true,\"rule\":{\"index\":%d,\"reason\":", o->rule);
        Co_json_str(into, o->reason ? o->reason : "");
        Co_buf_adds(into, "}}");
    } else {
        x->rows += o->rows;
        Co_buf_adds(into, ",\"excluded\":false}");
    }
    return CO_OK;
}

co_code co_report_orphans_json(co_state *st, char **out, co_error *err)
{
    *out = NULL;
    co_buf b = CO_BUF_INIT;
    orphan_out x = {.b = &b, .tables = CO_BUF_INIT, .list = CO_BUF_INIT};
    Co_buf_adds(&b, "{");
    co_code rc = co_state_orphans_each(st, take_json, &x, err);
    if (rc == CO_OK && x.n == 0)
        Co_buf_adds(&b, "\"counted_at\":null}");
    else if (rc == CO_OK)
        Co_buf_printf(&b, ",\"rows\":%lld,\"excluded\":%lld,\"sources\":[%s],\"groups\":[%s]}",
                      (long long)x.rows, (long long)x.excluded, co_buf_str(&x.tables),
                      co_buf_str(&x.list));
    Co_buf_release(&x.tables);
    Co_buf_release(&x.list);
    return Co_buf_finish(&b, rc, out, err);
}

static co_code take_html(void *ctx, const co_state_orphan *o, co_error *err)
{
    (void)err;
    orphan_out *x = ctx;
    if (x->n++ == 0) {
        Co_buf_adds(x->b, "<p>Counted <span class=t>");
        Co_html_esc(x->b, o->counted_at);
        Co_buf_adds(x->b, "</span> by <code>cutover ");
        Co_html_esc(x->b, o->origin);
        Co_buf_adds(x->b, strcmp(o->origin ? o->origin : "", "verify") == 0 ? " --all" : "");
        Co_buf_adds(x->b, "</code>.</p>\n");
    }
    if (strcmp(o->kind, "table") == 0)
        return CO_OK;
    x->groups++;
    if (o->rule)
        x->excluded += o->rows;
    else
        x->rows += o->rows;
    co_buf *l = &x->list;
    Co_buf_adds(l, o->rule ? "<tr>" : "<tr class=bad>");
    Co_buf_adds(l, "<td>");
    Co_html_esc(l, o->table);
    Co_buf_adds(l, ".");
    Co_html_esc(l, o->column);
    Co_buf_adds(l, strcmp(o->kind, "null") == 0 ? "</td><td>NULL</td>" : "</td><td>names no tenant</td>");
    Co_buf_printf(l, "<td class=num>%lld</td><td><code>", (long long)o->rows);
    Co_html_esc(l, o->examples ? o->examples : "");
    Co_buf_adds(l, "</code></td><td>");
    if (o->rule) {
        Co_buf_printf(l, "excluded by orphans rule %d: ", o->rule);
        Co_html_esc(l, o->reason ? o->reason : "");
    } else {
        Co_buf_adds(l, "a finding: no orphans rule leaves them out");
    }
    Co_buf_adds(l, "</td></tr>\n");
    return CO_OK;
}

void rp_orphans_html(co_buf *b, co_state *st)
{
    Co_buf_adds(b, "<h2>Rows of no tenant</h2>\n");
    orphan_out x = {.b = b, .html = true, .tables = CO_BUF_INIT, .list = CO_BUF_INIT};
    co_error err;
    co_error_clear(&err);
    if (co_state_orphans_each(st, take_html, &x, &err) != CO_OK) {
        Co_buf_adds(b, "<p class=bad>The journal could not be read: ");
        Co_html_esc(b, err.message);
        Co_buf_adds(b, "</p>\n");
    } else if (x.n == 0) {
        Co_buf_adds(b, "<p class=muted>Not counted yet (<code>cutover verify --all</code> or "
                       "<code>cutover audit</code>).</p>\n");
    } else if (x.groups == 0) {
        Co_buf_adds(b, "<p>Every source row belongs to a tenant.</p>\n");
    } else {
        Co_buf_printf(b, "<p>%lld source rows whose tenant value is NULL or names no tenant; "
                         "%lld left out by an orphans rule.</p>\n",
                      (long long)x.rows, (long long)x.excluded);
        Co_buf_adds(b, "<table><tr><th>table.column</th><th>tenant value</th><th>rows</th>"
                       "<th>examples</th><th>why</th></tr>\n");
        Co_buf_add(b, x.list.data ? x.list.data : "", x.list.len);
        Co_buf_adds(b, "</table>\n");
    }
    Co_buf_release(&x.tables);
    Co_buf_release(&x.list);
}
