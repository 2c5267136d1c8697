/*
 * cmd_plan.c: `cutover plan [--canary-percent P] [--growth G]` groups the
 * audited tenants into cohorts and stores the plan; `cutover plan show`
 * prints the latest. Also `cutover schedule` and `cutover notices`.
 */
#include "cli.h"
#include "cutover/plan.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool number_option(cli_ctx *ctx, const char *name, double fallback, double *out, int *rc)
{
    const char *text = cli_get(&ctx->args, name);
    *out = fallback;
    if (!text)
        return true;
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    if (errno || *end || end == text) {
        *rc = cli_usage_error(ctx, "--%s must be a number, not \"%s\"", name, text);
        return false;
    }
    return true;
}

static void print_plan(const co_plan *plan)
{
    char a[32];
    printf("plan %lld (%s): %zu tenants in %d cohorts, canary %g%%, waves grow x%g\n",
           (long long)plan->id, plan->created_at, plan->n, plan->ncohorts, plan->canary_percent,
           plan->growth);
    for (int cohort = 0; cohort < plan->ncohorts; cohort++) {
        int64_t rows = 0;
        double seconds = 0;
        size_t members = 0;
        for (size_t i = 0; i < plan->n; i++)
            if (plan->entries[i].cohort == cohort) {
                rows += plan->entries[i].rows;
                seconds += plan->entries[i].est_seconds;
                members++;
            }
        if (cohort == 0)
            printf("\ncanary: ");
        else
            printf("\nwave %d: ", cohort);
        printf("%zu tenants, %s rows, about %.1f s\n", members, cli_num(rows, a, sizeof a), seconds);
        for (size_t i = 0; i < plan->n; i++) {
            const co_plan_entry *e = &plan->entries[i];
            if (e->cohort != cohort)
                continue;
            char key[1024], label[112];
            printf("  %s %s risk %5.2f  %s\n", cli_key_cell(e->tenant, 8, key, sizeof key),
                   cli_cell(e->label, 24, label, sizeof label), e->risk, e->why);
        }
    }
}

int cmd_plan(cli_ctx *ctx)
{
    bool show = ctx->args.npositional == 1 && strcmp(ctx->args.positional[0], "show") == 0;
    if (ctx->args.npositional > (show ? 1u : 0u))
        return cli_usage_error(ctx, "unexpected \"%s\"", ctx->args.positional[0]);
    int rc = EXIT_OK;
    double canary, growth;
    if (!number_option(ctx, "canary-percent", 1.0, &canary, &rc) ||
        !number_option(ctx, "growth", 2.0, &growth, &rc))
        return rc;
    cli_session cs;
    rc = cli_open(ctx, "plan", CO_SESSION_READ_ONLY, show ? 0 : CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_plan plan = {0};
    co_code code = show ? co_plan_latest(cs.session, &plan, &err)
                        : co_plan_make(cs.session, canary, growth, &plan, &err);
    if (plan.nunaudited) { /* whatever the outcome: say who is left out, and why */
        fprintf(stderr, "cutover: plan: warning: %zu tenant%s left out, without an audit of this "
                        "project file (run cutover audit):",
                plan.nunaudited, plan.nunaudited == 1 ? "" : "s");
        for (size_t i = 0; i < plan.nunaudited && i < 20; i++)
            fprintf(stderr, "%s %s (%s)", i ? "," : "", plan.unaudited[i], plan.unaudited_why[i]);
        fprintf(stderr, "%s\n", plan.nunaudited > 20 ? ", ..." : "");
    }
    if (code != CO_OK) {
        rc = cli_fail("plan", &err);
    } else if (ctx->json) {
        char *json = co_plan_json(&plan);
        printf("%s\n", json ? json : "null");
        free(json);
    } else {
        print_plan(&plan);
    }
    co_plan_release(&plan);
    cli_close(&cs);
    return rc;
}

/* "2h", "90m", "45" (minutes): the length of a window in minutes, or -1. */
static int parse_window(const char *text)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || n <= 0)
        return -1;
    if (*end == 'h' && end[1] == '\0')
        n *= 60;
    else if (!(*end == '\0' || (*end == 'm' && end[1] == '\0')))
        return -1;
    return n > 7 * 24 * 60 ? -1 : (int)n;
}

int cmd_schedule(cli_ctx *ctx)
{
    if (ctx->args.npositional != 1)
        return cli_usage_error(ctx, "name one tenant");
    const char *at_text = cli_get(&ctx->args, "at");
    if (!at_text)
        return cli_usage_error(ctx, "--at \"YYYY-MM-DD HH:MM\" is required");
    char iso[40];
    snprintf(iso, sizeof iso, "%s", at_text);
    if (strlen(iso) == 16 && iso[10] == ' ') { /* "YYYY-MM-DD HH:MM" */
        iso[10] = 'T';
        snprintf(iso + 16, sizeof iso - 16, ":00Z");
    }
    time_t at = Co_clock_parse(iso);
    if (at == -1)
        return cli_usage_error(ctx, "--at must be \"YYYY-MM-DD HH:MM\" (UTC), not \"%s\"", at_text);
    if (at <= Co_clock_now()) {
        char now[32];
        Co_clock_iso(Co_clock_now(), now, sizeof now);
        return cli_usage_error(ctx, "--at %s is in the past (it is now %s UTC): agree a date to come",
                               at_text, now);
    }
    const char *window_text = cli_get(&ctx->args, "window");
    int window = parse_window(window_text ? window_text : "2h");
    if (window < 0)
        return cli_usage_error(ctx, "--window must be like 2h or 90m (at most 7 days), not \"%s\"",
                               window_text);
    cli_session cs;
    int rc = cli_open(ctx, "schedule", CO_SESSION_READ_ONLY, CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_code code = CO_OK;
    const char *key = ctx->args.positional[0];
    if (!co_tenant_find(cs.tenants, cs.ntenants, key)) {
        rc = cli_unknown_tenant(ctx, key, cs.tenants, cs.ntenants);
    } else {
        code = co_schedule_set(cs.session, key, at, window, &err);
    }
    if (code != CO_OK)
        rc = cli_fail("schedule", &err);
    else if (rc == EXIT_OK && (ctx->json || !ctx->quiet)) {
        char when[32];
        Co_clock_iso(at, when, sizeof when);
        if (ctx->json) {
            co_buf b = CO_BUF_INIT;
            Co_buf_adds(&b, "{\"tenant\":");
            Co_json_str(&b, key);
            Co_buf_printf(&b, ",\"at\":\"%s\",\"window_minutes\":%d}", when, window);
            printf("%s\n", b.failed ? "null" : co_buf_str(&b));
            Co_buf_release(&b);
        } else {
            printf("tenant %s scheduled for %s, window %d minutes; cutover notices writes the "
                   "notice\n",
                   key, when, window);
        }
    }
    cli_close(&cs);
    return rc;
}

int cmd_notices(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "notices", CO_SESSION_READ_ONLY, 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_project *p = cs.project;
    co_error err;
    co_error_clear(&err);
    const char *outbox = cli_get(&ctx->args, "outbox");
    char fallback[512];
    if (!outbox) {
        snprintf(fallback, sizeof fallback, "%s/.cutover/outbox", p->dir);
        outbox = fallback;
    }
    size_t written = 0;
    co_code code = co_notices_write(cs.session, cli_get(&ctx->args, "template"), outbox,
                                    cli_get(&ctx->args, "contact"), &written, &err);
    if (code != CO_OK) {
        rc = cli_fail("notices", &err);
    } else if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_printf(&b, "{\"written\":%zu,\"outbox\":", written);
        Co_json_str(&b, outbox);
        Co_buf_addc(&b, '}');
        printf("%s\n", b.failed ? "null" : co_buf_str(&b));
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        printf("%zu notices written to %s (TENANT.txt and TENANT.html)\n", written, outbox);
    }
    cli_close(&cs);
    return rc;
}
