/*
 * cmd_run.c: `cutover run --cohort C` migrates a cohort of the latest plan
 * (canary, or a wave's number), one tenant after another, as `cutover
 * migrate --tenant ...` would; a failure stops the cohort unless --keep-going.
 */
#include "cli.h"
#include "cutover/plan.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_run(cli_ctx *ctx)
{
    const char *cohort = cli_get(&ctx->args, "cohort");
    if (!cohort || !*cohort)
        return cli_usage_error(ctx, "--cohort canary (or a wave's number) is required");
    const char *parallel = cli_get(&ctx->args, "parallel");
    if (parallel && strcmp(parallel, "1") != 0)
        return cli_usage_error(ctx, "--parallel: tenants run one after another in this version");
    char *end;
    long wave = strcmp(cohort, "canary") == 0 ? 0 : strtol(cohort, &end, 10);
    if (strcmp(cohort, "canary") != 0 && (*end || end == cohort || wave < 0))
        return cli_usage_error(ctx, "--cohort must be canary or a wave's number, not \"%s\"", cohort);
    cli_session cs;
    int rc = cli_open(ctx, "run", CO_SESSION_READ_ONLY, 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_plan plan = {0};
    co_buf list = CO_BUF_INIT;
    if (co_plan_latest(cs.session, &plan, &err) != CO_OK) {
        rc = cli_fail("run", &err);
    } else {
        for (size_t i = 0; i < plan.n; i++)
            if (plan.entries[i].cohort == (int)wave)
                co_buf_printf(&list, "%s%s", list.len ? "," : "", plan.entries[i].tenant);
        if (!list.len) {
            fprintf(stderr, "cutover: run: plan %lld has no cohort \"%s\" (it has %d)\n",
                    (long long)plan.id, cohort, plan.ncohorts);
            rc = EXIT_NOT_FOUND;
        }
    }
    co_plan_release(&plan);
    cli_close(&cs);
    if (rc == EXIT_OK) {
        /* The cohort's tenants, through migrate: one way in for moving tenants. */
        if (!ctx->quiet && !ctx->json)
            printf("cohort %s: tenants %s\n", cohort, co_buf_str(&list));
        cli_args *a = &ctx->args;
        if (a->n + 1 >= CLI_MAX_VALUES) {
            rc = cli_usage_error(ctx, "too many options");
        } else {
            a->names[a->n] = "tenant";
            a->values[a->n] = co_buf_str(&list);
            a->n++;
            rc = cmd_migrate(ctx);
        }
    }
    co_buf_release(&list);
    return rc;
}
