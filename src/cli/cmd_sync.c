/*
 * cmd_sync.c: `cutover sync [--tenant KEY | --all] [--once | --follow]`:
 * keeps syncing tenants (migrated with --coexist) in sync, a round per
 * tenant (co_sync_tenant, cutover/sync.h), once or until a signal; and the
 * pass over the syncing tenants that `cutover worker --coexist` makes
 * between claims (cli_sync_pass). Each round is journaled by the library;
 * this prints it: a line per round, or a JSON object per line with --json.
 * `--follow --tenant` ends with success once its tenants have left syncing
 * (rolled back, or switched without reverse sync). A switched tenant with
 * reverse capture is synced the other way, target to source (its rounds say
 * "reverse"). A tenant rolled back by reverse sync (purge_pending) has its
 * rows purged from the target by the pass (co_rollback_purge), after its
 * rounds.
 */
#include "cli.h"
#include "cutover/cutover_seq.h"
#include "cutover/sync.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_round(const cli_ctx *ctx, const char *tenant, const co_sync_result *r)
{
    bool reverse = r->round.direction && strcmp(r->round.direction, "reverse") == 0;
    if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "{\"tenant\": ");
        Co_json_str(&b, tenant);
        Co_buf_printf(&b, ", \"direction\": \"%s\"", reverse ? "reverse" : "forward");
        Co_buf_printf(&b, ", \"applied\": %lld, \"backlog\": %lld, \"lag_seconds\": %.3f, "
                          "\"seconds\": %.3f, \"total_applied\": %lld, \"pruned\": %lld}\n",
                      (long long)r->round.applied, (long long)r->round.backlog,
                      r->round.lag_seconds, r->round.seconds, (long long)r->total_applied,
                      (long long)r->pruned);
        fputs(co_buf_str(&b), stdout);
        fflush(stdout);
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        printf("tenant %s: %s%lld changes applied, backlog %lld, lag %.2fs (%.2fs)\n", tenant,
               reverse ? "reverse (new to old): " : "", (long long)r->round.applied,
               (long long)r->round.backlog, r->round.lag_seconds, r->round.seconds);
        fflush(stdout);
    }
}

/* A switched tenant whose last journaled round went in reverse: reverse
 * sync started at its switch (and the journal alone says so). */
static bool reverse_syncing(co_session *s, const char *tenant, co_lifecycle state)
{
    co_sync_round last;
    bool found = false;
    co_error ignored;
    co_error_clear(&ignored);
    return state == CO_LC_SWITCHED &&
           co_state_sync_last(co_session_state(s), tenant, &last, &found, &ignored) == CO_OK &&
           found && last.direction && strcmp(last.direction, "reverse") == 0;
}

/* The pass's purges of the tenants rolled back by reverse sync that its
 * rounds found (pending[i]), after the rounds, so that no round of the pass
 * waits for one; each within purge_seconds (at least a chunk), the rest of
 * a long one left for the next passes. */
static int purge_pass(cli_ctx *ctx, co_session *s, const co_tenant *const *tenants, size_t n,
                      const bool *pending, double purge_seconds)
{
    int rc = EXIT_OK;
    for (size_t i = 0; i < n && !cli_signal_caught(); i++) {
        if (!pending[i])
            continue;
        co_error err;
        co_error_clear(&err);
        co_purge_result pr;
        co_code code = cli_purge(ctx, s, tenants[i], purge_seconds > 0 ? purge_seconds : 1e-9,
                                 &pr, &err);
        if (code == CO_OK)
            cli_print_purge(ctx, tenants[i]->key, &pr);
        else if (code != CO_EBUSY && code != CO_ENOTREADY && rc == EXIT_OK)
            rc = cli_fail("sync", &err); /* the tenant stays purge_pending */
    }
    return rc;
}

int cli_sync_pass(cli_ctx *ctx, co_session *s, const co_tenant *const *tenants, size_t n,
                  bool named, bool idle_too, double purge_seconds, size_t *synced)
{
    int rc = EXIT_OK;
    *synced = 0;
    bool *pending = calloc(n ? n : 1, sizeof *pending); /* purge_pass, below */
    if (!pending) {
        co_error err;
        co_error_set(&err, CO_ENOMEM, "out of memory");
        return cli_fail("sync", &err);
    }
    for (size_t i = 0; i < n && !cli_signal_caught(); i++) {
        co_error err;
        co_error_clear(&err);
        co_lifecycle state = CO_LC_NEW;
        if (co_state_tenant_lifecycle(co_session_state(s), tenants[i]->key, &state, &err) != CO_OK) {
            free(pending);
            return cli_fail("sync", &err);
        }
        pending[i] = state == CO_LC_PURGE_PENDING;
        if (pending[i])
            continue;
        if (state != CO_LC_SYNCING && !named && !reverse_syncing(s, tenants[i]->key, state))
            continue;
        co_sync_options opt = {.cancelled = cli_cancelled};
        co_sync_result r;
        co_code code = co_sync_tenant(s, tenants[i], &opt, &r, &err);
        if ((code == CO_EBUSY || code == CO_ENOTREADY) && !named)
            continue; /* another process has it now, or has moved it on since */
        if (code != CO_OK) {
            if (code != CO_EINTERRUPTED && rc == EXIT_OK)
                rc = cli_fail("sync", &err);
            continue;
        }
        (*synced)++;
        if (idle_too || r.round.applied > 0)
            print_round(ctx, tenants[i]->key, &r);
    }
    int purged = purge_pass(ctx, s, tenants, n, pending, purge_seconds);
    free(pending);
    return rc != EXIT_OK ? rc : purged;
}

/* With --follow --tenant: drops from chosen each tenant that has left
 * syncing for good since the first pass (rolled back, switched without
 * reverse sync), with a note; a frozen one is being switched and stays, a
 * switched one with reverse sync stays (synced in reverse), and so does one
 * whose purge waits (another process held it). */
static int drop_settled(cli_ctx *ctx, co_session *s, const co_tenant **chosen, size_t *count)
{
    size_t kept = 0;
    for (size_t i = 0; i < *count; i++) {
        co_error err;
        co_error_clear(&err);
        co_lifecycle state = CO_LC_NEW;
        if (co_state_tenant_lifecycle(co_session_state(s), chosen[i]->key, &state, &err) != CO_OK)
            return cli_fail("sync", &err);
        if (state == CO_LC_SYNCING || state == CO_LC_FROZEN || state == CO_LC_PURGE_PENDING ||
            reverse_syncing(s, chosen[i]->key, state)) {
            chosen[kept++] = chosen[i];
            continue;
        }
        if (!ctx->quiet)
            fprintf(stderr, "cutover: sync: tenant %s is %s now: nothing left to sync for it\n",
                    chosen[i]->key, co_lifecycle_name(state));
    }
    *count = kept;
    return EXIT_OK;
}

int cmd_sync(cli_ctx *ctx)
{
    bool once = cli_flag(&ctx->args, "once"), follow = cli_flag(&ctx->args, "follow");
    if (once && follow)
        return cli_usage_error(ctx, "give --once or --follow, not both");
    double interval;
    int rc = EXIT_OK;
    if (!cli_seconds(ctx, "interval", false, 1.0, 0.1, 3600, &interval, &rc))
        return rc;
    double purge_seconds;
    if (!cli_seconds(ctx, "purge-seconds", false, CLI_SYNC_PURGE_SECONDS, 0, 3600, &purge_seconds,
                     &rc))
        return rc;
    bool named = cli_get(&ctx->args, "tenant") != NULL;
    if (named && cli_flag(&ctx->args, "all"))
        return cli_usage_error(ctx, "give either --tenant KEY or --all");
    cli_signals_install();
    cli_session cs;
    rc = cli_open(ctx, "sync", CO_SESSION_GUARD, CLI_OPEN_CHOOSE_OR_EVERY, &cs);
    if (rc != EXIT_OK)
        return rc;
    const co_tenant **chosen = cs.chosen;
    size_t count = cs.nchosen;
    /* A named tenant that is not syncing is an error on the first pass only:
     * later, with --follow, one that another process holds (a switch) is its
     * business, and one that has left syncing is dropped (drop_settled); sync
     * ends with success when none is left. */
    for (bool first = true; rc == EXIT_OK; first = false) {
        size_t synced = 0;
        rc = cli_sync_pass(ctx, cs.session, chosen, count, named && first, true, purge_seconds,
                           &synced);
        if (rc != EXIT_OK || !follow || cli_signal_caught())
            break;
        if (named && ((rc = drop_settled(ctx, cs.session, chosen, &count)) != EXIT_OK || !count))
            break;
        cli_pause(interval);
        if (cli_signal_caught())
            break;
    }
    if (cli_signal_caught()) {
        if (!ctx->quiet)
            fprintf(stderr, "cutover: sync: interrupted by %s: stopped between batches; what "
                            "was applied is marked, the next sync goes on from there\n",
                    cli_signal_name(cli_signal_caught()));
        rc = cli_signal_exit(cli_signal_caught());
    }
    cli_close(&cs);
    return rc;
}
