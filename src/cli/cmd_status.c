/*
 * cmd_status.c: `cutover status [--json]` shows every tenant's state, last run
 * and counts from the journal. It lists the source's tenants first when the
 * source can be reached, so that tenants never run show as "new".
 */
#include "cli.h"
#include "cutover/migrate.h"
#include "cutover/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_tenant(const void *a, const void *b)
{
    return cli_natural_cmp(((const co_tenant_status *)a)->tenant,
                           ((const co_tenant_status *)b)->tenant);
}

static void print_table(const co_tenant_status *rows, size_t n)
{
    char a[32], b[32], c[32];
    int width = 6; /* the widest key, never cut */
    for (size_t i = 0; i < n; i++) {
        char cell[1024];
        int w = (int)strlen(cli_cell(rows[i].tenant, 200, cell, sizeof cell));
        while (w > 6 && cell[w - 1] == ' ')
            w--;
        if (w > width)
            width = w;
    }
    printf("%-*s %-24s %-13s %6s %-20s %12s %12s %9s %8s  %s\n", width, "tenant", "label", "state", "run",
           "started", "rows read", "loaded", "rejected", "seconds", "verified");
    for (size_t i = 0; i < n; i++) {
        const co_tenant_status *r = &rows[i];
        char key[1024], label[112];
        cli_cell(r->tenant, width, key, sizeof key);
        cli_cell(r->label, 24, label, sizeof label);
        if (!r->last_run) {
            printf("%s %s %-13s\n", key, label, r->holder_gone ? "interrupted" : r->state);
            continue;
        }
        char verified[256] = "-";
        if (r->verify_run && r->verify_pass)
            snprintf(verified, sizeof verified, "pass");
        else if (r->verify_run)
            snprintf(verified, sizeof verified, "FAIL (%lld differences: %s)",
                     (long long)r->verify_differences,
                     r->verify_failed_checks ? r->verify_failed_checks : "?");
        /* A failed or rolled-back tenant has none of its rows in the target. */
        bool gone = co_lifecycle_is(r->state, CO_LC_FAILED) ||
                    co_lifecycle_is(r->state, CO_LC_ROLLED_BACK);
        printf("%s %s %-13s %6lld %-20s %12s %12s %9s %8.2f  %s\n", key, label,
               r->holder_gone ? "interrupted" : r->state,
               (long long)r->last_run,
               r->started_at ? r->started_at : "", cli_num(r->source_rows, a, sizeof a),
               gone ? "rolled back" : cli_num(r->loaded, b, sizeof b),
               cli_num(r->rejected, c, sizeof c), r->seconds, verified);
        if (r->error)
            printf("%*s error: %s\n", width, "", r->error);
        if (r->frozen_since)
            printf("%*s frozen since %s by %s (%s)\n", width, "", r->frozen_since,
                   r->holder ? r->holder : "a process no longer holding it",
                   r->holder_gone ? "gone: its freeze lapses within options.freeze_heartbeat_seconds"
                                  : "alive");
        if (r->syncing) {
            printf("%*s syncing: reads %d%% new, ", width, "", r->read_share);
            if (r->lag_known)
                printf("lag %.2fs, backlog %lld changes\n", r->lag_seconds, (long long)r->backlog);
            else
                printf("no sync round yet\n");
        }
        if (r->reverse_syncing)
            printf("%*s reverse sync (new to old): lag %.2fs, backlog %lld changes\n", width, "",
                   r->lag_seconds, (long long)r->backlog);
        if (r->parity.id)
            printf("%*s parity: run %lld %s at %s (%lld of %lld checks failed, %lld rows on one "
                   "side only)\n",
                   width, "", (long long)r->parity.id, r->parity.pass ? "passed" : "FAILED",
                   r->parity.at, (long long)r->parity.failed, (long long)r->parity.checks,
                   (long long)r->parity.mismatches);
        if (r->holder_gone)
            printf("%*s interrupted: %s is gone; run cutover migrate --tenant %s to go on\n", width, "",
                   r->holder ? r->holder : "its process", r->tenant);
        const char *finish = co_status_finish_command(r);
        if (finish && strcmp(finish, "rollback") == 0)
            printf("%*s rollback incomplete: finish it with cutover rollback --tenant %s (or the "
                   "next migrate of the tenant)\n",
                   width, "", r->tenant);
        else if (finish && strcmp(finish, "purge") == 0)
            printf("%*s purge pending: rolled back to the source, which takes its writes; its "
                   "rows stay in the target, frozen, until cutover sync or cutover purge "
                   "--tenant %s purges them\n",
                   width, "", r->tenant);
    }
}

int cmd_status(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open_journal(ctx, "status", NULL, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_tenant_status *rows = NULL;
    size_t n = 0;
    co_code code = co_status_list(co_session_state(cs.session), &rows, &n, &err);
    if (code == CO_OK && n > 1)
        qsort(rows, n, sizeof *rows, by_tenant);
    if (code != CO_OK)
        rc = cli_fail("status", &err);
    else if (ctx->json) {
        char *json = co_status_json(rows, n);
        if (!json) {
            cli_errorf("status: out of memory\n");
            rc = EXIT_INTERNAL;
        } else {
            printf("%s\n", json);
        }
        free(json);
    }
    else {
        print_table(rows, n);
        cli_print_aftercare(rows, n);
    }
    co_status_free(rows, n);
    cli_close(&cs);
    return rc;
}
