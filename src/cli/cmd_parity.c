/*
 * cmd_parity.c: `cutover parity --tenant KEY [--json]` asks the project's
 * parity questions of the source and the target for each tenant named,
 * prints each check (and the sample rows of a mismatch), and exits 12 when
 * a check failed (cutover/parity.h, docs/coexistence.md).
 */
#include "cli.h"
#include "cutover/parity.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON text kept in the journal (params, samples), as is, or null. */
static void raw_json(co_buf *b, const char *json) { Co_buf_adds(b, json ? json : "null"); }

static void parity_json(co_buf *b, const co_tenant *t, const co_parity_result *r)
{
    Co_json_field(b, "{\"tenant\":", t->key);
    Co_buf_printf(b, ",\"run_id\":%lld,\"pass\":%s,\"seconds\":%.6f,\"failed\":%zu,\"checks\":[",
                  (long long)r->run_id, r->pass ? "true" : "false", r->seconds, r->failed);
    for (size_t i = 0; i < r->nchecks; i++) {
        const co_state_parity_check *c = &r->checks[i];
        Co_buf_adds(b, i ? ",{\"query\":" : "{\"query\":");
        Co_json_str(b, c->query);
        Co_buf_adds(b, ",\"params\":");
        raw_json(b, c->params);
        Co_json_field(b, ",\"outcome\":", c->outcome);
        Co_buf_printf(b, ",\"old_rows\":%lld,\"new_rows\":%lld,\"old_seconds\":%.6f,"
                         "\"new_seconds\":%.6f,",
                      (long long)c->old_rows, (long long)c->new_rows, c->old_seconds,
                      c->new_seconds);
        if (c->budget > 0)
            Co_buf_printf(b, "\"budget\":%.6f", c->budget);
        else
            Co_buf_adds(b, "\"budget\":null");
        Co_buf_printf(b, ",\"old_only\":%lld,\"new_only\":%lld,\"detail\":",
                      (long long)c->old_only, (long long)c->new_only);
        Co_json_str(b, c->detail);
        Co_buf_adds(b, ",\"samples\":");
        raw_json(b, c->samples);
        Co_buf_addc(b, '}');
    }
    Co_buf_adds(b, "]}");
}

static void parity_print(const co_tenant *t, const co_parity_result *r)
{
    printf("tenant %s: parity %s: %zu of %zu checks failed (%.2f s, run %lld)\n", t->key,
           r->pass ? "passed" : "FAILED", r->failed, r->nchecks, r->seconds,
           (long long)r->run_id);
    for (size_t i = 0; i < r->nchecks; i++) {
        const co_state_parity_check *c = &r->checks[i];
        char line[300], shown[300];
        snprintf(line, sizeof line, "%s%s%s", c->query, c->params ? " " : "",
                 c->params ? c->params : "");
        printf("  %-44s %-7s old %6lld rows %8.4f s  new %6lld rows %8.4f s\n",
               cli_term_text(line, shown, sizeof shown), c->outcome, (long long)c->old_rows,
               c->old_seconds, (long long)c->new_rows, c->new_seconds);
        if (c->detail) {
            char text[1100];
            printf("      %s\n", cli_term_text(c->detail, text, sizeof text));
        }
        if (c->samples) {
            char text[2100];
            printf("      samples: %s\n", cli_term_text(c->samples, text, sizeof text));
        }
    }
}

/* One tenant's shadow reads (a cli_tenant_turn); *failed once one fails. */
static int parity_one(cli_ctx *ctx, cli_session *cs, const co_tenant *t, co_buf *json,
                      void *failed)
{
    co_error err;
    co_error_clear(&err);
    co_parity_result r;
    int rc = EXIT_OK;
    if (co_parity_run(cs->session, t, &r, &err) != CO_OK) {
        rc = cli_fail("parity", &err);
    } else {
        *(bool *)failed = *(bool *)failed || !r.pass;
        if (ctx->json) {
            cli_json_item(json);
            parity_json(json, t, &r);
        } else {
            parity_print(t, &r);
        }
    }
    co_parity_result_release(&r);
    return rc;
}

int cmd_parity(cli_ctx *ctx)
{
    if (!cli_get(&ctx->args, "tenant"))
        return cli_usage_error(ctx, "--tenant KEY is required");
    cli_session cs;
    int rc = cli_open(ctx, "parity", CO_SESSION_READ_ONLY, CLI_OPEN_CHOOSE, &cs);
    if (rc != EXIT_OK)
        return rc;
    bool failed = false;
    rc = cli_each_tenant(ctx, &cs, parity_one, &failed);
    cli_close(&cs);
    if (rc == EXIT_OK && failed)
        rc = EXIT_VERIFY;
    return rc;
}
