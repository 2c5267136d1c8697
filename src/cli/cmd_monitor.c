/*
 * cmd_monitor.c: `cutover monitor [--tenant KEY]` watches switched tenants
 * within their monitoring period (monitor.h) and `cutover budgets --tenant
 * KEY` times the budget queries. Both exit 14 when something is flagged, 0
 * when all is well, so that cron can run them (docs/monitor.md).
 */
#include "cli.h"
#include "cutover/scoring.h"
#include "cutover/monitor.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void budgets_json(co_buf *b, const co_budget_result *r, size_t n)
{
    Co_buf_adds(b, "[");
    for (size_t i = 0; i < n; i++) {
        Co_json_field(b, i ? ",{\"query\":" : "{\"query\":", r[i].query->name);
        Co_buf_printf(b, ",\"runs\":%d,\"median\":%.6f,\"p95\":%.6f,\"budget\":%.6f,\"pass\":%s,"
                         "\"error\":",
                      r[i].runs, r[i].median, r[i].p95, r[i].query->budget,
                      r[i].pass ? "true" : "false");
        Co_json_str(b, r[i].error[0] ? r[i].error : NULL);
        Co_buf_addc(b, '}');
    }
    Co_buf_adds(b, "]");
}

static void budgets_print(const co_budget_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].error[0])
            printf("  query %-24s FAILED: %s\n", r[i].query->name, r[i].error);
        else
            printf("  query %-24s median %8.4f s  p95 %8.4f s  budget %8.4f s  %s\n",
                   r[i].query->name, r[i].median, r[i].p95, r[i].query->budget,
                   r[i].pass ? "ok" : "OVER BUDGET");
    }
}

static void monitor_json(co_buf *b, const co_tenant *t, const co_monitor_result *r)
{
    Co_json_field(b, "{\"tenant\":", t->key);
    Co_buf_printf(b, ",\"monitored\":%s,\"skipped\":", r->monitored ? "true" : "false");
    Co_json_str(b, r->skipped[0] ? r->skipped : NULL);
    Co_json_field(b, ",\"switched_at\":", r->switched_at[0] ? r->switched_at : NULL);
    Co_buf_printf(b, ",\"check_id\":%lld,\"flags\":%lld,\"days\":[", (long long)r->check_id,
                  (long long)r->flags);
    for (size_t i = 0; i < r->ndays; i++) {
        const co_monitor_day *d = &r->days[i];
        Co_json_field(b, i ? ",{\"day\":" : "{\"day\":", d->day);
        Co_json_field(b, ",\"series\":", d->series);
        Co_buf_printf(b, ",\"actual\":%lld,\"baseline\":%.3f,\"deviation\":%.4f,\"judged\":%s,"
                         "\"flagged\":%s}",
                      (long long)d->actual, d->baseline, d->deviation,
                      d->judged ? "true" : "false", d->flagged ? "true" : "false");
    }
    Co_buf_adds(b, "],\"budgets\":");
    budgets_json(b, r->budgets, r->nbudgets);
    Co_json_field(b, ",\"alert\":", r->alert[0] ? r->alert : NULL);
    Co_buf_addc(b, '}');
}

static void monitor_print(const co_tenant *t, const co_monitor_result *r, int days)
{
    if (!r->monitored) {
        printf("tenant %s: %s\n", t->key, r->skipped);
        return;
    }
    size_t judged = 0, series_days = r->ndays;
    for (size_t i = 0; i < r->ndays; i++)
        judged += r->days[i].judged;
    printf("tenant %s: switched %s, monitored for %d days; %zu series-days judged of %zu; %lld "
           "flagged\n",
           t->key, r->switched_at, days, judged, series_days, (long long)r->flags);
    for (size_t i = 0; i < r->ndays; i++) {
        const co_monitor_day *d = &r->days[i];
        if (d->flagged)
            printf("  FLAG %s %s: %lld rows, baseline %.1f (%+.0f%%)\n", d->day, d->series,
                   (long long)d->actual, d->baseline, d->deviation * 100);
    }
    budgets_print(r->budgets, r->nbudgets);
    if (r->alert[0])
        printf("  alert: %s\n", r->alert);
}

/* What monitor's turns share (monitor_one). */
typedef struct monitor_run {
    co_monitor_options opt;
    bool asked, shown, flagged;
    int failed; /* the exit code of the first tenant that could not be watched */
} monitor_run;

/* One tenant's monitoring (a cli_tenant_turn): shown when it is within its
 * period or was asked for; one that fails leaves the others to go on. */
static int monitor_one(cli_ctx *ctx, cli_session *cs, const co_tenant *t, co_buf *json,
                       void *arg)
{
    monitor_run *m = arg;
    co_monitor_result r;
    co_error err;
    co_error_clear(&err);
    if (co_monitor_tenant(cs->session, t, &m->opt, &r, &err) != CO_OK) {
        int code = cli_fail("monitor", &err);
        if (m->failed == EXIT_OK)
            m->failed = code;
        co_monitor_result_release(&r);
        return EXIT_OK;
    }
    m->flagged = m->flagged || r.flags > 0;
    if (r.alert_failed)
        cli_errorf("monitor: tenant %s: the alert did not go out: %s\n", t->key, r.alert);
    if (r.monitored || m->asked) {
        if (ctx->json) {
            cli_json_item(json);
            monitor_json(json, t, &r);
        } else if (!ctx->quiet || r.flags) {
            monitor_print(t, &r, cs->project->monitor.days);
        }
        m->shown = true;
    }
    co_monitor_result_release(&r);
    return EXIT_OK;
}

int cmd_monitor(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "monitor", CO_SESSION_READ_ONLY, CLI_OPEN_CHOOSE_OR_EVERY, &cs);
    if (rc != EXIT_OK)
        return rc;
    monitor_run m = {.asked = cli_get(&ctx->args, "tenant") != NULL};
    m.opt.budgets = !cli_flag(&ctx->args, "no-budgets");
    /* Published behavioural models: their PSI since the publish, per day. */
    co_monitor_probe *probes = NULL;
    co_drift_probe **drift = NULL;
    size_t nprobes = 0;
    co_error perr;
    co_error_clear(&perr);
    if (co_drift_probes(cs.project, co_session_state(cs.session), &probes, &drift, &nprobes,
                        &perr) != CO_OK) {
        rc = cli_fail("monitor", &perr);
        cli_close(&cs);
        return rc;
    }
    m.opt.probes = probes;
    m.opt.nprobes = nprobes;
    rc = cli_each_tenant(ctx, &cs, monitor_one, &m);
    if (!ctx->json && rc == EXIT_OK && !m.shown && !ctx->quiet)
        printf("no switched tenant is within its monitoring period (%d days)\n",
               cs.project->monitor.days);
    co_drift_probes_free(probes, drift, nprobes);
    cli_close(&cs);
    if (rc != EXIT_OK)
        return rc;
    if (m.failed != EXIT_OK)
        return m.failed;
    return m.flagged ? EXIT_FLAGGED : EXIT_OK;
}

/* budgets' side and whether a query went over (budgets_one). */
typedef struct budgets_run {
    bool staging, over;
} budgets_run;

/* One tenant's budget queries timed and journaled (a cli_tenant_turn). */
static int budgets_one(cli_ctx *ctx, cli_session *cs, const co_tenant *t, co_buf *json,
                       void *arg)
{
    budgets_run *b = arg;
    co_error err;
    co_error_clear(&err);
    co_budget_result *r = NULL;
    size_t n = 0;
    const char *side = b->staging ? "staging" : "target";
    co_code code = co_budgets_run(co_session_dest(cs->session), cs->project, t, &r, &n, &err);
    if (code == CO_OK)
        code = co_budgets_record(co_session_state(cs->session), t->key, "budgets", side, r, n,
                                 0, &err);
    if (code != CO_OK) {
        free(r);
        return cli_fail("budgets", &err);
    }
    for (size_t k = 0; k < n; k++)
        b->over = b->over || !r[k].pass;
    if (ctx->json) {
        cli_json_item(json);
        Co_json_field(json, "{\"tenant\":", t->key);
        Co_buf_printf(json, ",\"side\":\"%s\",\"budgets\":", side);
        budgets_json(json, r, n);
        Co_buf_addc(json, '}');
    } else {
        printf("tenant %s on the %s:\n", t->key, side);
        budgets_print(r, n);
    }
    free(r);
    return EXIT_OK;
}

int cmd_budgets(cli_ctx *ctx)
{
    if (!cli_get(&ctx->args, "tenant"))
        return cli_usage_error(ctx, "--tenant KEY is required");
    budgets_run b = {.staging = cli_flag(&ctx->args, "on-staging")};
    cli_session cs;
    int rc = cli_open(ctx, "budgets",
                      CO_SESSION_READ_ONLY | (b.staging ? CO_SESSION_STAGING : 0),
                      CLI_OPEN_CHOOSE, &cs);
    if (rc != EXIT_OK)
        return rc;
    if (!cs.project->nbudgets) {
        cli_errorf("budgets: the project file lists no budget queries "
                   "(budgets: in cutover.yaml, docs/monitor.md)\n");
        rc = EXIT_PROJECT;
    } else {
        rc = cli_each_tenant(ctx, &cs, budgets_one, &b);
    }
    cli_close(&cs);
    if (rc == EXIT_OK && b.over)
        rc = EXIT_FLAGGED;
    return rc;
}
