/*
 * freeze.c: the end of a tenant's move to the new system, shared by the
 * cutover in one run (cutover.c) and the switch of a syncing tenant
 * (switch.c): catch up, freeze the tenant's writes on the source, apply the
 * last changes, verify again only what changed since the last verification
 * of the whole tenant, seal the freeze and switch the route, within the
 * freeze's heartbeat (a freeze that lapsed starts over, three times at most).
 */
#include "cutover/capture.h"
#include "cutover/cutover_seq.h"
#include "cutover/migrate.h"
#include "cutover/traces.h"
#include "capture/capture_int.h"
#include "engine/engine_int.h"
#include "util/clock.h"
#include "util/fault.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

co_code Co_cutover_checkpoint(const co_cutover_options *opt, const char *where, co_error *err)
{
    if (opt->cancelled && opt->cancelled(opt->cancel_ctx))
        return co_error_set(err, CO_EINTERRUPTED, "interrupted %s", where);
    return CO_OK;
}

co_cutover_options Co_cutover_defaults(const co_cutover_options *opt)
{
    co_cutover_options d = {0};
    if (opt)
        d = *opt;
    if (d.backlog_small <= 0)
        d.backlog_small = 100;
    if (d.max_rounds <= 0)
        d.max_rounds = 20;
    return d;
}

void Co_cutover_failure(co_cutover_result *res, const co_error *why)
{
    snprintf(res->failure, sizeof res->failure, "%.300s%s%.150s%s", why->message,
             why->where[0] ? " (" : "", why->where, why->where[0] ? ")" : "");
    /* The exit code is the failure's own: a source error stays one. */
    res->failure_code = why->code != CO_OK ? why->code : CO_EINTERNAL;
}

/* Renews the tenant's freeze heartbeat; *fresh false when it had lapsed. */
static co_code beat(co_store *cap, const co_tenant *t, const co_cutover_options *opt, bool *fresh,
                    co_error *err)
{
    co_code rc = Co_cutover_checkpoint(opt, "inside the freeze", err);
    if (rc == CO_OK)
        rc = co_capture_heartbeat(cap, t->key, fresh, err);
    return rc;
}

/* The heartbeat renewed after each entity of the verification inside the
 * freeze (its progress callback): a long verification is steps too. */
typedef struct beat_ctx {
    co_store *cap;
    const co_tenant *t;
    bool fresh;    /* every renewal held */
    co_code rc;    /* the first renewal that failed */
    co_error err;
} beat_ctx;

static void beat_on_progress(void *ctx, const co_progress *pr)
{
    (void)pr;
    beat_ctx *b = ctx;
    bool fresh = true;
    if (b->rc == CO_OK && b->fresh) {
        b->rc = co_capture_heartbeat(b->cap, b->t->key, &fresh, &b->err);
        b->fresh = b->rc == CO_OK && fresh;
    }
}

co_code Co_catch_up_rounds(co_session *s, co_store *cap, const co_tenant *t,
                           const co_cutover_options *opt, co_cutover_result *res, co_error *err)
{
    co_code rc = CO_OK;
    int64_t before = INT64_MAX;
    for (int round = 0; rc == CO_OK && round < opt->max_rounds; round++) {
        int64_t applied = 0, backlog = 0, after = 0;
        rc = Co_cutover_checkpoint(opt, "during catch-up", err);
        if (rc == CO_OK)
            rc = co_catch_up(s, cap, t, res->load.run_id, false, &applied, err);
        res->changes_applied += applied;
        if (rc == CO_OK)
            rc = co_state_applied_get(s->state, t->key, &after, err);
        if (rc == CO_OK)
            rc = co_capture_backlog(cap, t->key, after, &backlog, err);
        if (rc == CO_OK && Co_caught_up(opt, backlog, &before))
            break;
    }
    return rc;
}

bool Co_caught_up(const co_cutover_options *opt, int64_t backlog, int64_t *before)
{
    bool done = backlog <= opt->backlog_small || backlog >= *before;
    *before = backlog;
    return done;
}

co_code Co_verify_whole(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                        int64_t *mark, co_verify_scope **again, co_verify_result *early,
                        co_error *err)
{
    *mark = 0;
    *again = NULL;
    co_code rc = Co_cutover_checkpoint(opt, "before the verification", err);
    if (rc == CO_OK)
        rc = co_state_applied_get(s->state, t->key, mark, err);
    if (rc == CO_OK && !(*again = co_verify_scope_new(s->project)))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK) {
        co_verify_options eopt = {0};
        eopt.sample = opt->sample;
        eopt.differences = *again;
        eopt.keep_state = true;
        rc = co_verify_tenant(s, t, &eopt, early, err);
    }
    return rc;
}

/* The plan's catch-up, or the journal's: in rounds before the freeze, all
 * that is left inside it. */
static co_code catch_up(co_session *s, co_store *cap, const co_tenant *t,
                        const co_cutover_options *opt, const co_freeze_plan *plan, bool frozen,
                        co_cutover_result *res, co_error *err)
{
    int64_t applied = 0;
    co_code rc;
    if (plan->catch_up)
        rc = plan->catch_up(plan->catch_up_ctx, frozen, &applied, err);
    else if (!frozen)
        return Co_catch_up_rounds(s, cap, t, opt, res, err);
    else
        rc = co_catch_up(s, cap, t, plan->run_id, true, &applied, err);
    res->changes_applied += applied;
    return rc;
}

/* The time since since added to *into (a step of the freeze); now. */
static double step_mark(double *into, double since)
{
    double now = Co_clock_mono();
    if (into)
        *into += now - since;
    return now;
}

/* Changes above the mark the freeze would verify the rows of: past this
 * many, the rows are verified once more before the freeze, while the
 * tenant still writes (narrow), NARROW_ROUNDS times at most. */
#define NARROW_SMALL 500
#define NARROW_ROUNDS 3

/* Before the freeze, while the tenant still writes: the rows a change above
 * *mark and at or below a newer mark touched (the position applied as this
 * verification begins: every such change is applied), and those in *again,
 * verified again; then the newer mark is *mark; until few changes are above
 * it or their number stops halving. A row no change above the new mark
 * touches either matched in an earlier verification with no change to it
 * since, or matched in this one; one found different now goes into the new
 * *again; the freeze verifies every row a change above the new mark touched
 * and *again, so the proof is the same, and what the freeze reads is only
 * what changed since the last of these began. *again is replaced (the old one
 * freed when *owned); the caller frees the last when *owned. */
static co_code narrow(co_session *s, co_store *cap, const co_tenant *t,
                      const co_cutover_options *opt, const co_freeze_plan *plan, int64_t *mark,
                      co_verify_scope **again, bool *owned, co_cutover_result *res,
                      co_error *err)
{
    co_code rc = CO_OK;
    int64_t before = INT64_MAX;
    for (int round = 0; rc == CO_OK && round < NARROW_ROUNDS; round++) {
        int64_t waiting = 0, next = 0;
        double started = Co_clock_mono();
        rc = Co_cutover_checkpoint(opt, "before the freeze", err);
        if (rc == CO_OK)
            rc = co_capture_backlog(cap, t->key, *mark, &waiting, err);
        bool always = Co_fault_sim(CO_FAULT_NARROW) != 0; /* a test build may ask */
        if (rc != CO_OK || (!always && (waiting <= NARROW_SMALL || waiting > before / 2)))
            break;
        before = waiting;
        co_verify_scope *scope = co_verify_scope_new(s->project);
        co_verify_scope *found = co_verify_scope_new(s->project);
        if (!scope || !found)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        if (rc == CO_OK)
            rc = co_state_applied_get(s->state, t->key, &next, err);
        if (rc == CO_OK)
            rc = co_verify_scope_merge(scope, *again, err);
        /* Only the changes up to the new mark: the rows of later ones are
         * the freeze's (a row a write is changing now would differ, and a
         * difference found makes the verification look at more). */
        if (rc == CO_OK)
            rc = co_changes_scope(cap, s->project, t->key, *mark, next, scope, err);
        co_verify_result vres = {0};
        co_verify_options vopt = {0};
        vopt.sample = opt->sample;
        vopt.scope = scope;
        vopt.since_run = plan->since_run;
        vopt.differences = found;
        vopt.keep_state = true;
        if (rc == CO_OK)
            rc = co_verify_tenant(s, t, &vopt, &vres, err);
        co_verify_result_release(&vres);
        co_verify_scope_free(scope);
        if (rc == CO_OK) {
            if (*owned)
                co_verify_scope_free(*again);
            *again = found;
            *owned = true;
            *mark = next;
            found = NULL;
            res->narrowings++;
        }
        co_verify_scope_free(found);
        /* what the tenant wrote meanwhile */
        if (rc == CO_OK)
            rc = catch_up(s, cap, t, opt, plan, false, res, err);
        res->narrow_seconds += Co_clock_mono() - started;
    }
    return rc;
}

co_code Co_freeze_and_switch(co_session *s, co_store *cap, const co_tenant *t,
                             const co_cutover_options *opt, const co_freeze_plan *plan,
                             co_cutover_result *res, co_error *step)
{
    const co_project *p = s->project;
    /* 5.-7. A freeze refuses the tenant's writes only while its heartbeat is
     * fresh; one that lapsed (a stall longer than the bound) may have let
     * writes through, so the run goes back to catching up and freezes again.
     * The heartbeat is renewed after every step inside the freeze, so that
     * no step but a stalled one outlasts the bound, and asked once more
     * after the verification: differences found in a freeze that lapsed may
     * be the writes the lapse let through, so they mean "freeze again", not
     * a failed check (a real difference is found again by the next freeze). */
    bool sealed = false;
    double frozen_before = 0; /* seconds of the freezes that lapsed */
    co_code srt = CO_OK;
    double freeze_started = 0, at = 0;
    /* The rows the freeze verifies again: those a change above mark touched,
     * and again (narrowed before each freeze). */
    int64_t mark = plan->mark;
    co_verify_scope *again = plan->again;
    bool owned = false;
    for (int lapses = 0; srt == CO_OK;) {
        bool fresh = true;
        memset(&res->freeze_steps, 0, sizeof res->freeze_steps);
        /* what the tenant wrote meanwhile, so that the freeze has little to do */
        srt = catch_up(s, cap, t, opt, plan, false, res, step);
        if (srt == CO_OK)
            srt = narrow(s, cap, t, opt, plan, &mark, &again, &owned, res, step);
        if (srt == CO_OK)
            srt = Co_cutover_checkpoint(opt, "before the freeze", step);
        /* 5. freeze: from here on, the tenant's writes to the source are refused */
        at = Co_clock_mono();
        if (srt == CO_OK) {
            srt = co_capture_freeze(cap, p, t->key, step);
            freeze_started = at;
        }
        if (srt == CO_OK)
            srt = co_state_tenant_move(s->state, t->key, CO_LC_FROZEN, plan->run_id, step);
        if (srt == CO_OK)
            srt = co_run_hook(p, CO_HOOK_ON_FREEZE, t->key, plan->run_id, step);
        /* 6. the last changes, 7. verify what changed since the mark */
        if (srt == CO_OK)
            srt = beat(cap, t, opt, &fresh, step);
        at = step_mark(&res->freeze_steps.freeze, at);
        (void)Co_fault_sim(CO_FAULT_FREEZE_STEP);
        if (srt == CO_OK && fresh)
            srt = catch_up(s, cap, t, opt, plan, true, res, step);
        if (srt == CO_OK && fresh)
            srt = beat(cap, t, opt, &fresh, step);
        at = step_mark(&res->freeze_steps.catch_up, at);
        if (srt == CO_OK && fresh)
            (void)Co_fault_sim(CO_FAULT_FREEZE_STEP);
        /* Every change above the mark, whenever its transaction committed:
         * frozen, none is still in flight. */
        if (srt == CO_OK && fresh)
            srt = co_changes_scope(cap, p, t->key, mark, INT64_MAX, again, step);
        if (srt == CO_OK && fresh)
            srt = beat(cap, t, opt, &fresh, step);
        if (srt == CO_OK && fresh)
            (void)Co_fault_sim(CO_FAULT_FREEZE_STEP);
        co_verify_options vopt = {0};
        beat_ctx bc = {.cap = cap, .t = t, .fresh = true, .rc = CO_OK};
        co_error_clear(&bc.err);
        vopt.sample = opt->sample;
        vopt.scope = again;
        vopt.since_run = plan->since_run;
        vopt.progress = beat_on_progress;
        vopt.progress_ctx = &bc;
        if (srt == CO_OK && fresh) {
            co_verify_result_release(&res->verification);
            srt = co_verify_tenant(s, t, &vopt, &res->verification, step);
            res->verified = srt == CO_OK;
            if (srt == CO_OK && !res->verification.pass)
                srt = co_error_set(step, CO_EVERIFY, "verification found differences");
        }
        /* Did the freeze hold throughout the verification? */
        if ((srt == CO_OK || srt == CO_EVERIFY) && fresh) {
            co_error beat_err;
            co_error_clear(&beat_err);
            co_code brc = bc.rc;
            if (brc != CO_OK)
                beat_err = bc.err;
            else if (!bc.fresh)
                fresh = false;
            else
                brc = beat(cap, t, opt, &fresh, &beat_err);
            if (brc != CO_OK) {
                *step = beat_err;
                srt = brc;
            } else if (!fresh) {
                srt = CO_OK; /* lapsed: the differences may be its writes */
            }
        }
        at = step_mark(&res->freeze_steps.verify, at);
        if (srt == CO_OK && fresh)
            srt = Co_cutover_checkpoint(opt, "before the switch", step);
        /* The point of no return: the freeze, still fresh, is made to hold
         * for good (until a rollback or finalize) in one statement, so that no
         * write slips between a last heartbeat and the switch. */
        if (srt == CO_OK && fresh) {
            srt = co_capture_seal(cap, t->key, &sealed, step);
            fresh = sealed;
        }
        if (srt != CO_OK || fresh)
            break;
        frozen_before += Co_clock_mono() - freeze_started;
        freeze_started = 0;
        res->freeze_lapses = ++lapses;
        if (lapses == 3)
            srt = co_error_set(step, CO_ENOTREADY,
                               "the freeze lapsed %d times before the switch (a step inside it "
                               "took longer than options.freeze_heartbeat_seconds, %d s): raise it",
                               lapses, p->freeze_heartbeat_seconds);
        else
            co_state_tenant_move(s->state, t->key, plan->resume, plan->run_id, step);
    }
    if (owned)
        co_verify_scope_free(again);
    /* 8. switch: past the seal, the switch is finished whatever comes; marked
     * first, so that the rows are never purged unexported */
    if (srt == CO_OK)
        srt = co_traces_mark(s, s->dest, t->key, "switched", step);
    if (srt == CO_OK)
        srt = co_traces_mark(s, cap, t->key, "switched", step);
    if (srt == CO_OK) /* a test build may die here (test_switch_window) */
        (void)Co_fault_sim(CO_FAULT_SWITCH_MARKED);
    at = step_mark(&res->freeze_steps.seal, at);
    if (srt == CO_OK) {
        /* The route and the state in one journal transaction: a failure
         * between them would leave the journal saying "frozen" of a tenant
         * routed new (test_fault_nth). */
        res->freeze_seconds = frozen_before + Co_clock_mono() - freeze_started;
        srt = co_state_begin(s->state, step);
        if (srt == CO_OK)
            srt = co_state_route_set(s->state, t->key, "new", res->freeze_seconds,
                                     plan->run_id, step);
        if (srt == CO_OK)
            srt = co_state_tenant_move(s->state, t->key, CO_LC_SWITCHED, 0, step);
        if (srt == CO_OK)
            srt = co_state_commit(s->state, step);
        if (srt != CO_OK)
            co_state_rollback(s->state);
    }
    if (srt == CO_OK)
        srt = co_run_hook(p, CO_HOOK_ON_SWITCH, t->key, plan->run_id, step);
    step_mark(&res->freeze_steps.route, at);
    if (srt != CO_OK)
        res->freeze_seconds =
            frozen_before + (freeze_started > 0 ? Co_clock_mono() - freeze_started : 0);
    return srt;
}
