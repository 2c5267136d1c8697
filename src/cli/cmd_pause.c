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
    int wave = 0, rc = EXIT_OK;
    if (!cli_cohort(ctx, &wave, &rc))
        return rc;
    const char *cohort = cli_get(&ctx->args, "cohort");
    const char *reason = cli_get(&ctx->args, "reason");
    cli_session cs;
    rc = cli_open(ctx, what, CO_SESSION_READ_ONLY | CO_SESSION_JOURNAL_ONLY, 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    if (co_cohort_pause(co_session_state(cs.session), wave, pause, reason ? reason : "command line",
                        &err) != CO_OK)
        rc = cli_fail(what, &err);
    else if (ctx->json)
        printf("{\"cohort\":%d,\"paused\":%s}\n", wave, pause ? "true" : "false");
    else
        printf("cohort %s %s\n", cohort,
               pause ? "paused: runs and workers stop before its next tenant"
                     : "resumed: runs and workers take its tenants again");
    cli_close(&cs);
    return rc;
}

int cmd_pause(cli_ctx *ctx) { return pause_or_resume(ctx, true); }
int cmd_resume(cli_ctx *ctx) { return pause_or_resume(ctx, false); }
