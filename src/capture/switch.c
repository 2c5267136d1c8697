/*
 * switch.c: the switch of a syncing tenant's writes (cutover_seq.h,
 * co_switch_tenant; docs/coexistence.md): a sync round until little waits,
 * the whole tenant verified while it still writes, then the end every move
 * shares (freeze.c): freeze, the last changes, verify what changed since,
 * route writes and all reads new; before the freeze, reverse capture of the
 * tenant on the target (reverse.c), its mark set inside the freeze. Any
 * failure before the route takes the tenant back to syncing, unfrozen, its
 * marks as they were, reverse capture removed: the source is still the
 * system of record and sync goes on from its mark.
 */
#include "cutover/approval.h"
#include "cutover/capture.h"
#include "cutover/cutover_seq.h"
#include "cutover/sync.h"
#include "cutover/traces.h"
#include "capture/capture_int.h"
#include "capture/reverse_int.h"
#include "state/journal.h"
#include "engine/engine_int.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>


typedef struct switch_ctx {
    co_session *s;
    co_store *cap;
    const co_tenant *t;
    const co_cutover_options *opt;
    int64_t run_id;
    bool reverse; /* reverse capture started on the target (reverse.c) */
} switch_ctx;

/* The switch's catch-up (co_freeze_plan.catch_up): sync rounds until few
 * changes wait; frozen, one round and then every change above its mark, as
 * a cutover's last catch-up reads them (the mark stays at the horizon). */
static co_code sync_catch_up(void *ctx, bool frozen, int64_t *applied, co_error *err)
{
    switch_ctx *c = ctx;
    *applied = 0;
    co_code rc = CO_OK;
    int rounds = frozen ? 1 : c->opt->max_rounds;
    int64_t before = INT64_MAX;
    for (int round = 0; rc == CO_OK && round < rounds; round++) {
        int64_t n = 0, backlog = 0;
        rc = Co_cutover_checkpoint(c->opt, frozen ? "inside the freeze" : "during catch-up", err);
        if (rc == CO_OK)
            rc = Co_sync_round(c->s, c->cap, c->t, &n, &backlog, err);
        *applied += n;
        if (rc == CO_OK && Co_caught_up(c->opt, backlog, &before))
            break;
    }
    if (rc == CO_OK && frozen) {
        int64_t n = 0;
        rc = co_catch_up(c->s, c->cap, c->t, c->run_id, true, &n, err);
        *applied += n;
    }
    /* What the target records from here on is the new system's; the
     * journal's last round says reverse before the tenant is switched, so
     * that a `sync --follow` goes on with it rather than leaving it. */
    if (rc == CO_OK && frozen && c->reverse)
        rc = Co_reverse_mark_now(c->s, c->cap, c->t, err);
    if (rc == CO_OK && frozen && c->reverse)
        rc = Co_reverse_settle(c->s, c->cap, c->t, err);
    return rc;
}

/* After a failure: unfrozen, the marks as they were, the route old, the
 * tenant syncing; what could not be undone is added to why. */
static void back_to_syncing(co_session *s, co_store *cap, const co_tenant *t,
                            const char *dest_mark, const char *cap_mark, co_error *why)
{
    co_error e;
    co_error_clear(&e);
    co_code rc = co_capture_unfreeze(cap, s->project, t->key, &e);
    if (rc == CO_OK)
        rc = Co_reverse_end(s, cap, t, &e);
    if (rc == CO_OK && dest_mark[0])
        rc = co_traces_mark(s, s->dest, t->key, dest_mark, &e);
    if (rc == CO_OK && cap_mark[0])
        rc = co_traces_mark(s, cap, t->key, cap_mark, &e);
    if (rc == CO_OK)
        rc = co_state_route_set(s->state, t->key, "old", 0, 0, &e);
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, CO_LC_SYNCING, 0, &e);
    if (rc != CO_OK) {
        size_t len = strlen(why->message);
        snprintf(why->message + len, sizeof why->message - len,
                 "; then going back to syncing failed: %.400s (run cutover switch or rollback "
                 "again; a freeze lifts itself once cutover's heartbeat stops)",
                 e.message);
    }
}

static co_code switch_leased(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                             co_cutover_result *res, co_error *err)
{
    const co_project *p = s->project;
    co_store *cap = NULL;
    char dest_mark[32] = "", cap_mark[32] = "";
    co_code rc = Co_capture_open(p, &cap, err);
    if (rc == CO_OK)
        rc = co_traces_state(s->dest, t->key, dest_mark, sizeof dest_mark, err);
    if (rc == CO_OK)
        rc = co_traces_state(cap, t->key, cap_mark, sizeof cap_mark, err);
    if (rc != CO_OK) {
        co_store_close(cap);
        return rc;
    }
    co_error step;
    co_error_clear(&step);
    switch_ctx ctx = {s, cap, t, opt, res->load.run_id, false};
    /* What the tenant wrote since the last round, then the whole tenant
     * verified while it still writes: the freeze verifies only what changes
     * from here on, and the rows found different now. */
    int64_t applied = 0, mark = 0;
    co_code srt = sync_catch_up(&ctx, false, &applied, &step);
    res->changes_applied += applied;
    co_verify_scope *again = NULL;
    co_verify_result early = {0};
    if (srt == CO_OK)
        srt = Co_verify_whole(s, t, opt, &mark, &again, &early, &step);
    /* Reverse capture on the target starts before the writes switch, so
     * that none the new system takes is missed; its mark moves inside the
     * freeze, past the last changes synced forward. */
    if (srt == CO_OK)
        srt = Co_reverse_begin(s, cap, t, &ctx.reverse, &step);
    Co_reverse_notice(s->project, ctx.reverse, res);
    co_freeze_plan plan = {.mark = mark, .again = again, .since_run = early.run_id,
                           .run_id = res->load.run_id, .resume = CO_LC_SYNCING,
                           .catch_up = sync_catch_up, .catch_up_ctx = &ctx};
    if (srt == CO_OK)
        srt = Co_freeze_and_switch(s, cap, t, opt, &plan, res, &step);
    co_verify_scope_free(again);
    co_verify_result_release(&early);
    if (srt == CO_OK) {
        res->switched = true;
        rc = co_state_read_share_set(s->state, t->key, 0, err);
        co_store_close(cap);
        return rc;
    }
    co_error ignored;
    co_error_clear(&ignored);
    co_run_hook(p, CO_HOOK_ON_FAILURE, t->key, res->load.run_id, &ignored);
    back_to_syncing(s, cap, t, dest_mark, cap_mark, &step);
    co_store_close(cap);
    Co_cutover_failure(res, &step);
    /* How long the tenant was frozen for nothing: said, and journaled with
     * the run's failure. */
    if (res->freeze_seconds > 0) {
        char frozen[80], failure[sizeof res->failure];
        long long cs = (long long)(res->freeze_seconds * 100 + 0.5); /* hundredths */
        snprintf(frozen, sizeof frozen, " (writes frozen for %lld.%02llds)", cs / 100, cs % 100);
        snprintf(failure, sizeof failure, "%.400s%s", res->failure, frozen);
        memcpy(res->failure, failure, sizeof failure);
    }
    return CO_OK;
}

co_code co_switch_tenant(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                         co_cutover_result *res, co_error *err)
{
    memset(res, 0, sizeof *res);
    co_cutover_options defaults = Co_cutover_defaults(opt);
    double started = Co_clock_mono();
    /* A `sync --follow` holds the tenant for a round at a time: the switch
     * waits for the round to end (30 s at most). */
    co_code rc = Co_state_lease_wait(s->state, t->key, "switch", false, err);
    if (rc != CO_OK)
        return rc;
    co_lifecycle state = CO_LC_NEW;
    rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    if (rc == CO_OK && state != CO_LC_SYNCING)
        rc = co_error_set(err, CO_ENOTREADY,
                          "tenant %s is %s: cutover switch moves the writes of a syncing tenant "
                          "(cutover migrate --tenant %s --coexist); a tenant migrated in one run "
                          "switches there",
                          t->key, co_lifecycle_name(state), t->key);
    /* A switch that needs a second person's approval waits for it here. */
    if (rc == CO_OK)
        rc = co_approval_check(s->state, s->project, t->key, "switch", s->user, err);
    if (rc == CO_OK)
        rc = co_state_run_begin(s->state, t->key, "switch", s->project->hash, &res->load.run_id,
                                err);
    if (rc == CO_OK)
        rc = switch_leased(s, t, &defaults, res, err);
    res->seconds = Co_clock_mono() - started;
    co_error ignored;
    co_error_clear(&ignored);
    if (res->load.run_id)
        co_state_run_end(s->state, res->load.run_id,
                         rc == CO_OK && res->switched ? "done" : "failed",
                         rc != CO_OK ? err->message : res->failure[0] ? res->failure : NULL,
                         res->seconds, &ignored);
    co_state_unlease(s->state, t->key, &ignored);
    return rc;
}
