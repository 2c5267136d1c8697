/*
 * report.c: the audit's results as JSON, as an HTML page and into the journal (audit.h).
 */
#include "state/journal.h"
#include "cutover/audit.h"
#include "cutover/verify.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/html.h"
#include "util/json.h"
#include "util/jsonread.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

static void tenant_json(co_buf *b, const co_tenant_audit *a, const co_project *p)
{
    Co_json_field(b, "{\"tenant\":", a->tenant);
    Co_json_field(b, ",\"label\":", a->label);
    Co_buf_printf(b, ",\"rows\":%lld,\"bytes\":%lld,\"size_class\":\"%s\",\"est_seconds\":%.1f,"
                     "\"est_measured\":%s,\"entity_rows\":{",
                  (long long)a->rows, (long long)a->bytes, a->size_class, a->est_seconds,
                  a->est_measured ? "true" : "false");
    for (size_t e = 0; e < a->nentities && e < p->nentities; e++) {
        Co_json_field(b, e ? "," : "", p->entities[e].name);
        Co_buf_printf(b, ":%lld", (long long)a->entity_rows[e]);
    }
    Co_buf_printf(b, "},\"limit_rows\":%lld,\"limits\":[", (long long)a->limit_rows);
    for (size_t i = 0; i < a->nlimits; i++) {
        const co_limit_finding *f = &a->limits[i];
        Co_json_field(b, i ? ",{\"entity\":" : "{\"entity\":", f->entity);
        Co_json_field(b, ",\"rule\":", f->rule);
        Co_buf_printf(b, ",\"rows\":%lld,\"reason\":", (long long)f->rows);
        Co_json_str(b, f->reason);
        Co_buf_printf(b, ",\"examples\":%s}", f->examples && *f->examples ? f->examples : "[]");
    }
    Co_buf_printf(b, "],\"limits_checked\":%s,\"limits_note\":",
                  a->limits_checked ? "true" : "false");
    Co_json_str(b, a->limits_note);
    Co_buf_printf(b, ",\"duplicate_clusters\":%lld,\"duplicate_rules\":[",
                  (long long)a->duplicate_clusters);
    for (size_t i = 0; i < a->ndup_rules; i++) {
        Co_json_field(b, i ? ",{\"entity\":" : "{\"entity\":", a->dup_rules[i].entity);
        Co_json_field(b, ",\"rule\":", a->dup_rules[i].rule);
        Co_buf_printf(b, ",\"clusters\":%lld}", (long long)a->dup_rules[i].clusters);
    }
    Co_buf_adds(b, "],\"duplicates\":[");
    for (size_t i = 0; i < a->nduplicates; i++) {
        const co_duplicate_cluster *d = &a->duplicates[i];
        Co_json_field(b, i ? ",{\"entity\":" : "{\"entity\":", d->entity);
        Co_json_field(b, ",\"rule\":", d->rule);
        Co_json_field(b, ",\"key\":", d->key);
        Co_buf_printf(b, ",\"members\":%lld,\"examples\":%s}", (long long)d->members,
                      d->examples ? d->examples : "[]");
    }
    Co_buf_printf(b, "],\"outlier_keys\":%lld,\"fanouts\":[", (long long)a->outlier_keys);
    for (size_t i = 0; i < a->nfanouts; i++) {
        const co_fanout *f = &a->fanouts[i];
        Co_json_field(b, i ? ",{\"entity\":" : "{\"entity\":", f->entity);
        Co_json_field(b, ",\"column\":", f->column);
        Co_json_field(b, ",\"parent\":", f->parent);
        Co_buf_printf(b, ",\"parents\":%lld,\"median\":%lld,\"max\":%lld,\"threshold\":%lld,"
                         "\"outliers\":%lld,\"top\":%s,\"examples\":%s}",
                      (long long)f->parents, (long long)f->median, (long long)f->max,
                      (long long)f->threshold, (long long)f->outliers, f->top ? f->top : "[]",
                      f->examples ? f->examples : "[]");
    }
    Co_buf_adds(b, "],\"longest\":[");
    for (size_t i = 0; i < a->nlongest; i++) {
        const co_longest *l = &a->longest[i];
        Co_json_field(b, i ? ",{\"entity\":" : "{\"entity\":", l->entity);
        Co_json_field(b, ",\"column\":", l->column);
        Co_buf_printf(b, ",\"length\":%lld,\"examples\":%s}", (long long)l->length,
                      l->examples ? l->examples : "[]");
    }
    Co_buf_adds(b, "]}");
}

static void profile_json(co_buf *b, const co_column_profile *c)
{
    Co_json_field(b, "{\"table\":", c->table);
    Co_json_field(b, ",\"column\":", c->column);
    Co_json_field(b, ",\"declared\":", c->decl_type);
    Co_buf_printf(b, ",\"rows\":%lld,\"nulls\":%lld,\"empties\":%lld,\"distinct\":%lld,"
                     "\"min_len\":%lld,\"max_len\":%lld,\"avg_len\":%.1f,\"min\":",
                  (long long)c->rows, (long long)c->nulls, (long long)c->empties,
                  (long long)c->distinct, (long long)c->min_len, (long long)c->max_len, c->avg_len);
    Co_json_str(b, c->min_value);
    Co_json_field(b, ",\"max\":", c->max_value);
    Co_buf_printf(b, ",\"top\":%s,\"type\":", c->top_values ? c->top_values : "[]");
    Co_json_str(b, c->apparent_type);
    Co_buf_printf(b, ",\"type_failures\":%lld,\"failure_examples\":%s,\"mapped\":%s,\"zombie\":%s,"
                     "\"last_filled\":",
                  (long long)c->type_failures, c->failure_examples ? c->failure_examples : "[]",
                  c->mapped ? "true" : "false", c->zombie ? "true" : "false");
    Co_json_str(b, c->last_filled);
    Co_buf_addc(b, '}');
}

char *co_audit_json(const co_column_profile *profiles, size_t nprofiles,
                    const co_tenant_audit *tenants, size_t ntenants, const co_project *p,
                    const co_audit_options *opt)
{
    co_audit_options defaults;
    co_audit_options_init(&defaults);
    if (!opt)
        opt = &defaults;
    co_buf b = CO_BUF_INIT;
    Co_json_field(&b, "{\"project\":", p->path);
    Co_buf_printf(&b, ",\"column_profiles\":\"whole source\",\"zombie_below\":%g,"
                      "\"many_rows\":%lld,\"estimate_basis\":\"%s\"",
                  opt->zombie_below, (long long)opt->many_rows,
                  ntenants && tenants[0].est_measured ? "measured throughput"
                                                      : "default 50000 rows/s");
    Co_buf_adds(&b, ",\"size_classes\":{\"S\":\"below 10,000 rows\",\"M\":\"below 100,000 rows\","
                    "\"L\":\"below 1,000,000 rows\",\"XL\":\"1,000,000 rows or more\"},\"unmapped\":[");
    bool first = true;
    for (size_t i = 0; i < nprofiles; i++) {
        if (profiles[i].mapped)
            continue;
        Co_buf_adds(&b, first ? "" : ",");
        first = false;
        Co_buf_printf(&b, "\"%s.%s\"", profiles[i].table, profiles[i].column);
    }
    Co_buf_adds(&b, "],\"zombies\":[");
    first = true;
    for (size_t i = 0; i < nprofiles; i++) {
        if (!profiles[i].zombie)
            continue;
        Co_buf_adds(&b, first ? "" : ",");
        first = false;
        Co_buf_printf(&b, "\"%s.%s\"", profiles[i].table, profiles[i].column);
    }
    Co_buf_adds(&b, "],\"columns\":[");
    for (size_t i = 0; i < nprofiles; i++) {
        Co_buf_adds(&b, i ? "," : "");
        profile_json(&b, &profiles[i]);
    }
    Co_buf_adds(&b, "],\"tenants\":[");
    for (size_t i = 0; i < ntenants; i++) {
        Co_buf_adds(&b, i ? "," : "");
        tenant_json(&b, &tenants[i], p);
    }
    Co_buf_adds(&b, "]");
    if (opt->orphans) {
        char *orphans = co_orphans_json(opt->orphans, p);
        Co_buf_adds(&b, ",\"orphans\":");
        if (orphans)
            Co_buf_adds(&b, orphans);
        else
            b.failed = true;
        free(orphans);
    }
    Co_buf_addc(&b, '}');
    return Co_buf_take(&b);
}

co_code co_audit_record(co_session *s, const co_tenant_audit *a, size_t n, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_code rc = co_state_begin(s->state, err);
    co_buf detail = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        Co_buf_reset(&detail);
        tenant_json(&detail, &a[i], s->project);
        if (detail.failed) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        co_jtenant_audit row = {.tenant = a[i].tenant,
                                .audited_at = now,
                                .project_hash = s->project->hash,
                                .rows = a[i].rows,
                                .bytes = a[i].bytes,
                                .size_class = a[i].size_class,
                                .est_seconds = a[i].est_seconds,
                                .est_measured = a[i].est_measured,
                                .limit_rows = a[i].limit_rows,
                                .duplicate_clusters = a[i].duplicate_clusters,
                                .detail = detail.data,
                                .detail_len = detail.len};
        rc = Co_state_tenant_audit_set(s->state, &row, err);
    }
    Co_buf_release(&detail);
    if (rc == CO_OK)
        rc = co_state_commit(s->state, err);
    else
        co_state_rollback(s->state);
    return rc;
}

/* ---- HTML ---- */

static double pct(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A JSON array of objects as "v1 (n1), v2 (n2)" from fields name and count, escaped. */
static void html_pairs(co_buf *b, const char *json, const char *name, const char *count)
{
    struct fy_document *doc = json ? Co_json_read(json, strlen(json)) : NULL;
    for (int i = 0; doc; i++) {
        char path[48];
        snprintf(path, sizeof path, "/%d/%s", i, name);
        struct fy_node *item = fy_node_by_path(fy_document_root(doc), path, FY_NT, FYNWF_DONT_FOLLOW);
        snprintf(path, sizeof path, "/%d/%s", i, count);
        const char *n = Co_json_scalar(fy_document_root(doc), path);
        if (!item || !n)
            break;
        char *text = fy_emit_node_to_string(item, FYECF_MODE_FLOW_ONELINE | FYECF_NO_ENDING_NEWLINE);
        Co_buf_adds(b, i ? ", " : "");
        Co_html_esc(b, text);
        Co_buf_adds(b, " (");
        Co_html_esc(b, n);
        Co_buf_adds(b, ")");
        free(text);
    }
    if (doc)
        fy_document_destroy(doc);
}

static void html_tenants(co_buf *b, const co_tenant_audit *tenants, size_t ntenants,
                         const co_project *p)
{
    Co_buf_adds(b, "<h2>Tenants</h2>\n");
    CO_HTML_HEAD(b, "tenant", "label", "rows", "bytes", "size class", "est. duration",
                 "estimate from", "rows the target would refuse", "duplicate clusters",
                 "outlier keys", "limits");
    for (size_t i = 0; i < ntenants; i++) {
        const co_tenant_audit *a = &tenants[i];
        Co_buf_adds(b, "<tr>");
        CO_HTML_CELLS(b, a->tenant, a->label);
        Co_buf_printf(b, "<td class=n>%lld</td><td class=n>%lld</td><td>%s</td>"
                         "<td class=n>%.1f s</td><td>%s</td>"
                         "<td class=\"n%s\">%lld</td><td class=\"n%s\">%lld</td>"
                         "<td class=\"n%s\">%lld</td><td>",
                      (long long)a->rows, (long long)a->bytes, a->size_class, a->est_seconds,
                      a->est_measured ? "measured throughput" : "default 50,000 rows/s",
                      a->limit_rows ? " bad" : "", (long long)a->limit_rows,
                      a->duplicate_clusters ? " bad" : "", (long long)a->duplicate_clusters,
                      a->outlier_keys ? " bad" : "", (long long)a->outlier_keys);
        Co_html_esc(b, a->limits_checked ? "checked" : a->limits_note);
        Co_buf_adds(b, "</td></tr>\n");
    }
    Co_buf_adds(b, "</table>\n<p>Size classes: S below 10,000 rows, M below 100,000, L below "
                   "1,000,000, XL 1,000,000 or more.</p>\n<h2>Rows per entity</h2>\n"
                   "<table><tr><th>tenant</th>");
    for (size_t e = 0; e < p->nentities; e++) {
        Co_buf_adds(b, "<th>");
        Co_html_esc(b, p->entities[e].name);
        Co_buf_adds(b, "</th>");
    }
    Co_buf_adds(b, "</tr>\n");
    for (size_t i = 0; i < ntenants; i++) {
        Co_buf_adds(b, "<tr>");
        CO_HTML_CELLS(b, tenants[i].tenant);
        for (size_t e = 0; e < p->nentities && e < tenants[i].nentities; e++)
            Co_buf_printf(b, "<td class=n>%lld</td>", (long long)tenants[i].entity_rows[e]);
        Co_buf_adds(b, "</tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
}

static void html_findings(co_buf *b, const co_tenant_audit *tenants, size_t ntenants,
                          const co_audit_options *opt)
{
    Co_buf_adds(b, "<h2>Rows the target would refuse</h2>\n");
    CO_HTML_HEAD(b, "tenant", "entity", "rule", "rows", "reason", "example keys");
    for (size_t i = 0; i < ntenants; i++)
        for (size_t k = 0; k < tenants[i].nlimits; k++) {
            const co_limit_finding *f = &tenants[i].limits[k];
            Co_buf_adds(b, "<tr>");
            CO_HTML_CELLS(b, tenants[i].tenant, f->entity, f->rule);
            Co_buf_printf(b, "<td class=n>%lld</td>", (long long)f->rows);
            CO_HTML_CELLS(b, f->reason, f->examples);
            Co_buf_adds(b, "</tr>\n");
        }
    Co_buf_adds(b, "</table>\n<h2>Duplicate clusters</h2>\n");
    CO_HTML_HEAD(b, "tenant", "entity", "rule", "normalized key", "members", "example keys");
    for (size_t i = 0; i < ntenants; i++)
        for (size_t k = 0; k < tenants[i].nduplicates; k++) {
            const co_duplicate_cluster *d = &tenants[i].duplicates[k];
            Co_buf_adds(b, "<tr>");
            CO_HTML_CELLS(b, tenants[i].tenant, d->entity, d->rule, d->key);
            Co_buf_printf(b, "<td class=n>%lld</td>", (long long)d->members);
            CO_HTML_CELLS(b, d->examples);
            Co_buf_adds(b, "</tr>\n");
        }
    Co_buf_printf(b, "</table>\n<h2>Rows per parent key</h2>\n<p>A parent key is an outlier "
                     "from %lld rows of one entity and 10 times the tenant's median.</p>\n",
                  (long long)opt->many_rows);
    CO_HTML_HEAD(b, "tenant", "entity.column", "parent", "parents", "median", "max",
                 "flagged from", "outliers", "largest (rows)");
    for (size_t i = 0; i < ntenants; i++)
        for (size_t k = 0; k < tenants[i].nfanouts; k++) {
            const co_fanout *f = &tenants[i].fanouts[k];
            Co_buf_adds(b, "<tr>");
            CO_HTML_CELLS(b, tenants[i].tenant);
            Co_html_cell_column(b, f->entity, f->column);
            CO_HTML_CELLS(b, f->parent);
            Co_buf_printf(b, "<td class=n>%lld</td><td class=n>%lld</td><td class=n>%lld</td>"
                             "<td class=n>%lld</td><td class=\"n%s\">%lld</td><td>",
                          (long long)f->parents, (long long)f->median, (long long)f->max,
                          (long long)f->threshold, f->outliers ? " bad" : "",
                          (long long)f->outliers);
            html_pairs(b, f->outliers ? f->examples : f->top, "key", "rows");
            Co_buf_adds(b, "</td></tr>\n");
        }
    Co_buf_adds(b, "</table>\n<h2>Longest values</h2>\n");
    CO_HTML_HEAD(b, "tenant", "entity.column", "longest", "keys (length)");
    for (size_t i = 0; i < ntenants; i++)
        for (size_t k = 0; k < tenants[i].nlongest; k++) {
            const co_longest *l = &tenants[i].longest[k];
            Co_buf_adds(b, "<tr>");
            CO_HTML_CELLS(b, tenants[i].tenant);
            Co_html_cell_column(b, l->entity, l->column);
            Co_buf_printf(b, "<td class=n>%lld</td><td>", (long long)l->length);
            html_pairs(b, l->examples, "key", "length");
            Co_buf_adds(b, "</td></tr>\n");
        }
    Co_buf_adds(b, "</table>\n");
}

static void html_columns(co_buf *b, const co_column_profile *profiles, size_t nprofiles,
                         const co_audit_options *opt)
{
    Co_buf_printf(b, "<h2>Columns</h2>\n<p>Every column of the whole source. Zombie: filled in "
                     "under %g%% of rows.</p>\n",
                  opt->zombie_below * 100);
    CO_HTML_HEAD(b, "column", "type", "rows", "null", "empty", "distinct (est.)",
                 "length min / avg / max", "failing type", "top values", "mapped", "zombie",
                 "last filled");
    for (size_t i = 0; i < nprofiles; i++) {
        const co_column_profile *c = &profiles[i];
        Co_buf_adds(b, "<tr>");
        Co_html_cell_column(b, c->table, c->column);
        CO_HTML_CELLS(b, c->apparent_type);
        Co_buf_printf(b, "<td class=n>%lld</td><td class=n>%.1f%%</td><td class=n>%.1f%%</td>"
                         "<td class=n>%lld</td><td class=n>%lld / %.1f / %lld</td>"
                         "<td class=\"n%s\">%.2f%% (%lld)</td><td>",
                      (long long)c->rows, pct(c->nulls, c->rows), pct(c->empties, c->rows),
                      (long long)c->distinct, (long long)c->min_len, c->avg_len,
                      (long long)c->max_len, c->type_failures ? " bad" : "",
                      pct(c->type_failures, c->rows), (long long)c->type_failures);
        html_pairs(b, c->top_values, "value", "count");
        Co_buf_printf(b, "</td><td%s>%s</td><td%s>%s</td><td>", c->mapped ? "" : " class=bad",
                      c->mapped ? "yes" : "no", c->zombie ? " class=bad" : "",
                      c->zombie ? "yes" : "no");
        Co_html_esc(b, c->last_filled);
        Co_buf_adds(b, "</td></tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
}

/* Source rows of no tenant, by table and rule. */
static void html_orphans(co_buf *b, const co_orphans *o, const co_project *p)
{
    Co_buf_printf(b, "<h2>Source rows of no tenant</h2>\n<p>%lld rows whose tenant value is "
                     "NULL or names no tenant; %lld left out by an orphans rule.</p>\n",
                  (long long)o->rows, (long long)o->excluded);
    CO_HTML_HEAD(b, "table", "tenant", "rows", "values", "examples", "left out by");
    for (size_t i = 0; i < o->ngroups; i++) {
        const co_orphan_group *g = &o->groups[i];
        Co_buf_adds(b, "<tr>");
        Co_html_cell_column(b, g->table, g->column);
        Co_buf_printf(b, "<td>%s</td><td>%lld</td><td>%lld</td>",
                      g->is_null ? "NULL" : "no tenant", (long long)g->rows,
                      (long long)g->values);
        CO_HTML_CELLS(b, g->examples);
        Co_buf_adds(b, "<td>");
        if (g->rule >= 0 && (size_t)g->rule < p->norphans) {
            Co_buf_printf(b, "rule %d: ", g->rule + 1);
            Co_html_esc(b, p->orphans[g->rule].reason);
        } else {
            Co_buf_adds(b, "<b>none</b>");
        }
        Co_buf_adds(b, "</td></tr>\n");
    }
    Co_buf_adds(b, "</table>\n");
    for (size_t i = 0; i < o->nunaccounted; i++) {
        Co_buf_adds(b, "<p>Not accounted: ");
        Co_html_esc(b, o->unaccounted[i]);
        Co_buf_adds(b, "</p>\n");
    }
}

char *co_audit_html(const co_column_profile *profiles, size_t nprofiles,
                    const co_tenant_audit *tenants, size_t ntenants, const co_project *p,
                    const co_audit_options *opt)
{
    co_audit_options defaults;
    co_audit_options_init(&defaults);
    if (!opt)
        opt = &defaults;
    co_buf b = CO_BUF_INIT;
    Co_html_begin(&b, "cutover audit", NULL, 0);
    Co_buf_adds(&b, "<h1>Audit of ");
    Co_html_esc(&b, p->path);
    Co_buf_adds(&b, "</h1>\n");
    html_tenants(&b, tenants, ntenants, p);
    html_findings(&b, tenants, ntenants, opt);
    if (opt->orphans)
        html_orphans(&b, opt->orphans, p);
    html_columns(&b, profiles, nprofiles, opt);
    Co_html_end(&b);
    return Co_buf_take(&b);
}
