/*
 * cmd_run.c: `cutover run --cohort C [--jobs N] [--parallel N]` migrates a cohort of the
 * latest plan (canary, or a wave's number) as `cutover migrate --tenant ...`
 * would: one tenant after another, or in N processes that share the tenants
 * (leases in the journal keep each tenant to one of them); a failure stops a
 * process's share unless --keep-going.
 */
#include "cli.h"
#include "cutover/plan.h"
#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs migrate on the n tenants keys in this process: the keys travel whole,
 * as ctx->tenant_keys, never joined into text (a key may hold a comma). */
static int migrate_list(cli_ctx *ctx, const char *const *keys, size_t n)
{
    ctx->tenant_keys = keys;
    ctx->ntenant_keys = n;
    return cmd_migrate(ctx);
}

/* Splits the keys into n shares, round robin, and migrates each in a child
 * process; the exit code is the first child's failure, else 0. */
static int migrate_parallel(cli_ctx *ctx, const char *const *keys, size_t nkeys, long n)
{
    const char **shares = calloc(nkeys ? nkeys : 1, sizeof *shares);
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    int rc = EXIT_OK;
    if (!shares || !pids)
        rc = EXIT_INTERNAL;
    fflush(NULL);
    cli_signals_install(); /* and passed on to the children, which stop at a safe point */
    if (pids)
        cli_signals_forward(pids, (size_t)n);
    for (long k = 0; rc == EXIT_OK && k < n; k++) {
        size_t count = 0;
        for (size_t i = (size_t)k; i < nkeys; i += (size_t)n)
            shares[count++] = keys[i];
        if (!count)
            continue;
        pids[k] = fork();
        if (pids[k] < 0) {
            cli_errorf("run: cannot start a process: %s\n", strerror(errno));
            rc = EXIT_INTERNAL;
        } else if (pids[k] == 0) {
            cli_signals_forward(NULL, 0);
            int child = migrate_list(ctx, shares, count);
            fflush(NULL);
            _exit(child);
        }
    }
    for (long k = 0; pids && k < n; k++) {
        int status = 0;
        if (pids[k] > 0 && waitpid(pids[k], &status, 0) > 0) {
            int child = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_INTERNAL;
            if (child != EXIT_OK && rc == EXIT_OK)
                rc = child;
        }
    }
    cli_signals_forward(NULL, 0);
    if (cli_signal_caught())
        rc = cli_signal_exit(cli_signal_caught());
    free(shares);
    free(pids);
    return rc;
}

int cmd_run(cli_ctx *ctx)
{
    int wave = 0, rc = EXIT_OK;
    if (!cli_cohort(ctx, &wave, &rc))
        return rc;
    const char *cohort = cli_get(&ctx->args, "cohort");
    const char *parallel = cli_get(&ctx->args, "parallel");
    char *end;
    long workers = parallel ? strtol(parallel, &end, 10) : 1;
    if (parallel && (*end || end == parallel || workers < 1 || workers > 64))
        return cli_usage_error(ctx, "--parallel must be a number of processes from 1 to 64, not "
                                    "\"%s\"", parallel);
    if (workers > 1 && ctx->json)
        return cli_usage_error(ctx, "--json prints one document per process: use it without "
                                    "--parallel, or read cutover status --json afterwards");
    cli_session cs;
    rc = cli_open(ctx, "run", CO_SESSION_READ_ONLY, 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_plan plan = {0};
    co_buf list = CO_BUF_INIT; /* for people only: the keys travel as an array */
    const char **keys = NULL;
    size_t nkeys = 0;
    if (co_plan_latest(cs.session, &plan, &err) != CO_OK) {
        rc = cli_fail("run", &err);
    } else if (!(keys = calloc(plan.n ? plan.n : 1, sizeof *keys))) {
        rc = EXIT_INTERNAL;
    } else {
        for (size_t i = 0; i < plan.n; i++)
            if (plan.entries[i].cohort == wave) {
                keys[nkeys++] = plan.entries[i].tenant;
                Co_buf_printf(&list, "%s%s", list.len ? ", " : "", plan.entries[i].tenant);
            }
        if (!nkeys) {
            cli_errorf("run: plan %lld has no cohort \"%s\" (it has %d)\n",
                    (long long)plan.id, cohort, plan.ncohorts);
            rc = EXIT_NOT_FOUND;
        }
    }
    cli_close(&cs);
    ctx->in_cohort = true;
    ctx->cohort = wave;
    ctx->cohort_name = cohort;
    if (rc == EXIT_OK) {
        /* The cohort's tenants, through migrate: one way in for moving tenants. */
        if (!ctx->quiet && !ctx->json)
            printf("cohort %s: tenants %s%s\n", cohort, co_buf_str(&list),
                   workers > 1 ? " (in parallel processes)" : "");
        rc = workers > 1 ? migrate_parallel(ctx, keys, nkeys, workers)
                         : migrate_list(ctx, keys, nkeys);
    }
    free(keys);
    co_plan_release(&plan); /* after migrate: keys point into the plan */
    Co_buf_release(&list);
    return rc;
}
