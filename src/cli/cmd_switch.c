/*
 * cmd_switch.c: `cutover switch --tenant KEY [--json]` switches the writes
 * of syncing tenants to the new system (co_switch_tenant,
 * docs/coexistence.md): freeze, last changes, verification of what changed,
 * route new. A switch that fails leaves the tenant syncing and unfrozen and
 * exits with the failure's code.
 */
#include "cli.h"
#include "cutover/cutover_seq.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>

static void switch_json(co_buf *b, const co_tenant *t, const co_cutover_result *r)
{
    Co_buf_adds(b, "{\"tenant\":");
    Co_json_str(b, t->key);
    Co_buf_printf(b, ",\"switched\":%s,\"syncing\":%s,\"run_id\":%lld,\"changes_applied\":%lld,"
                     "\"freeze_seconds\":%.3f,\"seconds\":%.3f,\"verified\":%s,\"failure\":",
                  r->switched ? "true" : "false", r->switched ? "false" : "true",
                  (long long)r->load.run_id, (long long)r->changes_applied, r->freeze_seconds,
                  r->seconds, r->verified && r->verification.pass ? "true" : "false");
    Co_json_str(b, r->failure[0] ? r->failure : NULL);
    Co_buf_addc(b, '}');
}

int cmd_switch(cli_ctx *ctx)
{
    if (!cli_get(&ctx->args, "tenant"))
        return cli_usage_error(ctx, "--tenant KEY is required");
    cli_session cs;
    int rc = cli_open(ctx, "switch", 0, CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    const co_tenant **chosen = NULL;
    size_t count = 0;
    rc = cli_choose_tenants(ctx, &cs, &chosen, &count);
    co_buf json = CO_BUF_INIT;
    Co_buf_adds(&json, "{\"tenants\":[");
    int failed = EXIT_OK;
    for (size_t i = 0; rc == EXIT_OK && i < count; i++) {
        co_error err;
        co_error_clear(&err);
        co_cutover_result r;
        if (co_switch_tenant(cs.session, chosen[i], NULL, &r, &err) != CO_OK) {
            rc = cli_fail("switch", &err);
            co_cutover_result_release(&r);
            break;
        }
        if (!r.switched) {
            co_error why;
            co_error_clear(&why);
            co_error_set(&why, r.failure_code, "tenant %s stays syncing, unfrozen: %s",
                         chosen[i]->key, r.failure);
            int code = cli_fail("switch", &why);
            failed = failed == EXIT_OK ? code : failed;
        } else if (!ctx->json && !ctx->quiet) {
            printf("tenant %s: writes switched to the new system; %lld captured changes applied, "
                   "writes frozen for %.2fs\n",
                   chosen[i]->key, (long long)r.changes_applied, r.freeze_seconds);
        }
        if (i)
            Co_buf_addc(&json, ',');
        switch_json(&json, chosen[i], &r);
        co_cutover_result_release(&r);
    }
    Co_buf_adds(&json, "]}\n");
    if (ctx->json && rc == EXIT_OK)
        fputs(co_buf_str(&json), stdout);
    Co_buf_release(&json);
    free(chosen);
    cli_close(&cs);
    return rc == EXIT_OK ? failed : rc;
}
