/*
 * cmd_pause.c: `cutover pause --cohort C [--reason TEXT]` and `cutover resume
 * --cohort C`: the same pause the dashboard sets (co_cohort_pause). `cutover
 * run` and workers stop before the next tenant of a paused cohort; the
 * tenant in flight finishes.
 */
#include "cli.h"
#include "cutover/migrate.h"
#include "cutover/report.h"
#include "cutover/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pause_or_resume(cli_ctx *ctx, bool pause)
{
    const char *what = pause ? "pause" : "resume";
    const char *cohort = cli_get(&ctx->args, "cohort");
    if (!cohort || !*cohort)
        return cli_usage_error(ctx, "--cohort canary (or a wave's number) is required");
    char *end;
    long wave = strcmp(cohort, "canary") == 0 ? 0 : strtol(cohort, &end, 10);
    if (strcmp(cohort, "canary") != 0 && (*end || end == cohort || wave < 0 || wave > 100000))
        return cli_usage_error(ctx, "--cohort must be canary or a wave's number, not \"%s\"",
                               cohort);
    const char *reason = cli_get(&ctx->args, "reason");
    cli_session cs;
    int rc = cli_open(ctx, what, CO_SESSION_READ_ONLY, 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    if (co_cohort_pause(cs.session->state, (int)wave, pause, reason ? reason : "command line",
                        &err) != CO_OK)
        rc = cli_fail(what, &err);
    else if (ctx->json)
        printf("{\"cohort\":%ld,\"paused\":%s}\n", wave, pause ? "true" : "false");
    else
        printf("cohort %s %s\n", cohort,
               pause ? "paused: runs and workers stop before its next tenant"
                     : "resumed: runs and workers take its tenants again");
    cli_close(&cs);
    return rc;
}

int cmd_pause(cli_ctx *ctx) { return pause_or_resume(ctx, true); }
int cmd_resume(cli_ctx *ctx) { return pause_or_resume(ctx, false); }
