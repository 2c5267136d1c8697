/*
 * cmd_worker.c: `cutover worker` takes tenants one after another from a
 * journal that several workers share (on PostgreSQL, across machines),
 * claiming each with a lease it renews while it works, and moves it as
 * `migrate` would (co_move_tenant, move.h). A worker that dies stops renewing: its claim expires and
 * another worker takes the tenant over. It stops when no tenant is left;
 * with --coexist it leaves the tenants it moves syncing, syncs every syncing
 * tenant between claims (cli_sync_pass, cmd_sync.c), and once none is left
 * to claim keeps syncing them until a signal.
 */
#include "cli.h"
#include "util/buf.h"
#include "util/json.h"
#include "cutover/move.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_worker(cli_ctx *ctx)
{
    double lease;
    size_t sample;
    int rc = EXIT_OK;
    if (!cli_seconds(ctx, "lease", true, 300, 2, 86400, &lease, &rc) ||
        !cli_sample(ctx, &sample, &rc))
        return rc;
    char host[128], worker[200];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    const char *name = cli_get(&ctx->args, "name");
    snprintf(worker, sizeof worker, "%s", name ? name : "");
    if (!name)
        snprintf(worker, sizeof worker, "%s:%ld", host, (long)getpid());
    cli_signals_install();
    cli_session cs;
    rc = cli_open(ctx, "worker", CO_SESSION_GUARD, CLI_OPEN_CHECK, &cs);
    if (rc != EXIT_OK)
        return rc;
    bool skip = cli_flag(&ctx->args, "skip-rehearsal");
    bool coexist = cli_flag(&ctx->args, "coexist");
    const co_tenant **all = calloc(cs.ntenants ? cs.ntenants : 1, sizeof *all);
    for (size_t i = 0; all && i < cs.ntenants; i++)
        all[i] = &cs.tenants[i];
    if (!all) {
        cli_close(&cs);
        return EXIT_INTERNAL;
    }
    size_t done = 0, failed = 0, synced = 0;
    bool claiming = true;
    while (!cli_signal_caught()) {
        co_error err;
        co_error_clear(&err);
        char key[256];
        if (co_state_claim(co_session_state(cs.session), worker, (int)lease, key, sizeof key,
                           &err) != CO_OK) {
            rc = cli_fail("worker", &err);
            break;
        }
        if (!key[0] && !coexist)
            break;
        /* --coexist: the syncing tenants, between claims and once none is left */
        if (coexist && (cli_sync_pass(ctx, cs.session, all, cs.ntenants, false, false,
                                      CLI_SYNC_PURGE_SECONDS, &synced),
                        !key[0])) {
            if (claiming && !ctx->quiet && !ctx->json)
                printf("worker %s: nothing left to claim; syncing the syncing tenants until "
                       "a signal\n", worker);
            claiming = false;
            cli_pause(1);
            continue;
        }
        const co_tenant *t = co_tenant_find(cs.tenants, cs.ntenants, key);
        if (!t) { /* in the journal, no longer in the source */
            co_state_claim_end(co_session_state(cs.session), key, worker, "failed", &err);
            continue;
        }
        /* The whole move is the library's (move.h); the claim is renewed as
         * the work goes, and a tenant already migrated is verified again. */
        co_move_options mopt = {.skip_rehearsal = skip, .sample = sample,
                                .verify_skipped = true, .claim_worker = worker,
                                .lease_seconds = (int)lease, .cancelled = cli_cancelled,
                                .on_row = cli_row_checkpoint, .on_row_checkpoint = true,
                                .coexist = coexist};
        co_move_result mr;
        co_code code = co_move_tenant(cs.session, t, &mopt, &mr, &err);
        bool ok = code == CO_OK && co_move_succeeded(&mr);
        if (code == CO_OK && mr.cutover && !ok)
            cli_errorf("worker %s: tenant %s rolled back: %s\n", worker, key, mr.failure);
        co_move_result_release(&mr);
        if (code != CO_OK)
            cli_fail("worker", &err);
        co_error_clear(&err);
        co_state_claim_end(co_session_state(cs.session), key, worker, ok ? "done" : "failed", &err);
        if (ok)
            done++;
        else
            failed++;
        if (ctx->json) {
            co_buf b = CO_BUF_INIT; /* a JSON line per tenant, then a summary line */
            Co_buf_adds(&b, "{\"worker\": ");
            Co_json_str(&b, worker);
            Co_buf_adds(&b, ", \"tenant\": ");
            Co_json_str(&b, key);
            Co_buf_printf(&b, ", \"status\": \"%s\"}\n", ok ? "done" : "failed");
            fputs(co_buf_str(&b), stdout);
            Co_buf_release(&b);
        } else if (!ctx->quiet) {
            printf("worker %s: tenant %s %s\n", worker, key, ok ? "done" : "FAILED");
        }
    }
    if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "{\"worker\": ");
        Co_json_str(&b, worker);
        Co_buf_printf(&b, ", \"done\": %zu, \"failed\": %zu}\n", done, failed);
        fputs(co_buf_str(&b), stdout);
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        printf("worker %s: %zu tenants done, %zu failed; nothing left to claim\n", worker, done,
               failed);
    }
    if (rc == EXIT_OK && failed)
        rc = EXIT_NOT_READY;
    if (cli_signal_caught()) {
        fprintf(stderr, "cutover: worker %s: interrupted by %s: stopped at a safe point (the tenant "
                        "in flight rolled back or switched, as said above); nothing more claimed\n",
                worker, cli_signal_name(cli_signal_caught()));
        rc = cli_signal_exit(cli_signal_caught());
    }
    free(all);
    cli_close(&cs);
    return rc;
}
