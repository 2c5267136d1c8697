/*
 * cmd_switch.c: `cutover switch --tenant KEY [--json]` switches the writes
 * of syncing tenants to the new system (co_switch_tenant,
 * docs/coexistence.md): freeze, last changes, verification of what changed,
 * route new, and reverse capture of its new writes (a notice names what is
 * not synced back). A switch that fails leaves the tenant syncing and
 * unfrozen and exits with the failure's code.
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
    Co_buf_printf(b, ",\"freeze_steps\":{\"freeze\":%.3f,\"catch_up\":%.3f,\"verify\":%.3f,"
                     "\"seal\":%.3f,\"route\":%.3f},\"freeze_lapses\":%d,\"narrowings\":%d,"
                     "\"narrow_seconds\":%.3f",
                  r->freeze_steps.freeze, r->freeze_steps.catch_up, r->freeze_steps.verify,
                  r->freeze_steps.seal, r->freeze_steps.route, r->freeze_lapses, r->narrowings,
                  r->narrow_seconds);
    Co_buf_printf(b, ",\"reverse_sync\":%s,\"reverse_notice\":",
                  r->reverse_sync ? "true" : "false");
    Co_json_str(b, r->reverse_notice[0] ? r->reverse_notice : NULL);
    Co_buf_addc(b, '}');
}

/* One tenant's switch (a cli_tenant_turn); *failed takes the exit code of
 * the first that stays syncing. */
static int switch_one(cli_ctx *ctx, cli_session *cs, const co_tenant *t, co_buf *json,
                      void *failed)
{
    co_error err;
    co_error_clear(&err);
    co_cutover_result r;
    if (co_switch_tenant(cs->session, t, NULL, &r, &err) != CO_OK) {
        co_cutover_result_release(&r);
        return cli_fail("switch", &err);
    }
    if (!r.switched) {
        co_error why;
        co_error_clear(&why);
        co_error_set(&why, r.failure_code, "tenant %s stays syncing, unfrozen: %s", t->key,
                     r.failure);
        int code = cli_fail("switch", &why);
        if (*(int *)failed == EXIT_OK)
            *(int *)failed = code;
    } else if (!ctx->json && !ctx->quiet) {
        printf("tenant %s: writes switched to the new system; %lld captured changes applied, "
               "writes frozen for %.2fs\n",
               t->key, (long long)r.changes_applied, r.freeze_seconds);
        if (r.reverse_sync)
            printf("tenant %s: its writes in the new system are captured and synced back to "
                   "the old one by cutover sync (reverse)\n",
                   t->key);
    }
    /* What is not synced back is said, never silently (also with --json). */
    if (r.switched && r.reverse_notice[0] && !ctx->quiet)
        fprintf(stderr, "cutover: switch: notice: tenant %s: %s\n", t->key, r.reverse_notice);
    cli_json_item(json);
    switch_json(json, t, &r);
    co_cutover_result_release(&r);
    return EXIT_OK;
}

int cmd_switch(cli_ctx *ctx)
{
    if (!cli_get(&ctx->args, "tenant"))
        return cli_usage_error(ctx, "--tenant KEY is required");
    cli_session cs;
    int rc = cli_open(ctx, "switch", 0, CLI_OPEN_CHOOSE, &cs);
    if (rc != EXIT_OK)
        return rc;
    int failed = EXIT_OK;
    rc = cli_each_tenant(ctx, &cs, switch_one, &failed);
    cli_close(&cs);
    return rc == EXIT_OK ? failed : rc;
}
