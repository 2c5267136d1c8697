/*
 * move.c: moving one tenant as a whole (include/cutover/move.h): the policy
 * that sits above the copy (engine), the cutover (capture) and the proof
 * (verify), in one place for every front end. It decides the path (cutover
 * or load then verify), stops before a paused cohort, renews a worker's
 * claim as the work goes, finishes the purge a rollback by reverse sync
 * left, and turns what happened into one result.
 */
#include "cutover/move.h"
#include "cutover/report.h"
#include "engine/session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void co_move_result_release(co_move_result *r)
{
    if (!r)
        return;
    co_migrate_result_release(&r->load);
    co_verify_result_release(&r->verification);
}

const char *co_move_status_name(co_move_status st)
{
    switch (st) {
    case CO_MOVE_MIGRATED: return "migrated";
    case CO_MOVE_SWITCHED: return "switched";
    case CO_MOVE_SKIPPED: return "skipped";
    case CO_MOVE_REFUSED: return "refused";
    case CO_MOVE_ROLLED_BACK: return "rolled_back";
    case CO_MOVE_PAUSED: return "paused";
    case CO_MOVE_SYNCING: return "syncing";
    case CO_MOVE_FAILED: break;
    }
    return "failed";
}

bool co_move_succeeded(const co_move_result *r)
{
    switch (r->status) {
    case CO_MOVE_SWITCHED:
    case CO_MOVE_SYNCING: return true;
    case CO_MOVE_MIGRATED:
    case CO_MOVE_SKIPPED: return !r->verified || r->verification.pass;
    default: return false;
    }
}

/* The caller's progress, and on the way a worker's claim renewed. */
typedef struct mover {
    co_session *s;
    const co_tenant *t;
    const co_move_options *opt;
    time_t renewed;
} mover;

static void on_progress(void *ctx, const co_progress *p)
{
    mover *m = ctx;
    const co_move_options *opt = m->opt;
    time_t now = time(NULL);
    if (opt->claim_worker && now - m->renewed >= opt->lease_seconds / 3) {
        co_error ignored;
        if (co_state_claim_renew(m->s->state, m->t->key, opt->claim_worker, opt->lease_seconds,
                                 &ignored) == CO_OK)
            m->renewed = now;
    }
    if (opt->progress)
        opt->progress(opt->progress_ctx, p);
}

/* The zero-downtime path: co_cutover_tenant's result as a move's. */
static co_code move_cutover(mover *m, co_move_result *res, co_error *err)
{
    const co_move_options *opt = m->opt;
    co_cutover_options copt = {.skip_rehearsal = opt->skip_rehearsal, .again = opt->again,
                               .sample = opt->sample, .progress = on_progress,
                               .progress_ctx = m, .cancelled = opt->cancelled,
                               .cancel_ctx = opt->cancel_ctx, .coexist = opt->coexist};
    co_cutover_result cr;
    res->cutover = true;
    co_code code = co_cutover_tenant(m->s, m->t, &copt, &cr, err);
    res->load = cr.load;
    memset(&cr.load, 0, sizeof cr.load);
    res->verified = cr.verified;
    if (cr.verified) {
        res->verification = cr.verification;
        memset(&cr.verification, 0, sizeof cr.verification);
    }
    res->freeze_seconds = cr.freeze_seconds;
    res->changes_applied = cr.changes_applied;
    res->failure_code = cr.failure_code;
    res->syncing = cr.syncing;
    if (code != CO_OK) {
        res->status = CO_MOVE_FAILED;
        res->phase = "cutover";
        snprintf(res->failure, sizeof res->failure, "%.500s", err->message);
    } else if (cr.rolled_back) {
        res->status = CO_MOVE_ROLLED_BACK;
    } else if (!cr.switched && cr.failure[0]) {
        res->status = CO_MOVE_REFUSED;
    } else if (res->load.skipped) {
        res->status = CO_MOVE_SKIPPED;
    } else {
        res->status = cr.switched  ? CO_MOVE_SWITCHED
                      : cr.syncing ? CO_MOVE_SYNCING
                                   : CO_MOVE_FAILED;
    }
    if (code == CO_OK && cr.failure[0])
        snprintf(res->failure, sizeof res->failure, "%s", cr.failure);
    co_cutover_result_release(&cr);
    return code;
}

/* The plain path: load, then verify what was loaded. */
static co_code move_load(mover *m, co_move_result *res, co_error *err)
{
    const co_move_options *opt = m->opt;
    co_migrate_options mopt = {.again = opt->again, .skip_rehearsal = opt->skip_rehearsal,
                               .count_rows = opt->count_rows, .progress = on_progress,
                               .progress_ctx = m, .on_row = opt->on_row,
                               .on_row_ctx = opt->on_row_ctx,
                               .on_row_checkpoint = opt->on_row_checkpoint};
    co_code code = co_migrate_tenant(m->s, m->t, &mopt, &res->load, err);
    if (code != CO_OK) {
        res->status = CO_MOVE_FAILED;
        res->phase = "load";
        snprintf(res->failure, sizeof res->failure, "%.500s", err->message);
        return code;
    }
    res->status = res->load.skipped ? CO_MOVE_SKIPPED : CO_MOVE_MIGRATED;
    if (opt->no_verify)
        return CO_OK;
    /* A tenant skipped as loaded is verified again only when asked, unless
     * it was never verified: a load run with --no-verify, or one stopped
     * between its load and its verification, is not proven by a rerun that
     * skips it. */
    if (res->load.skipped && !opt->verify_skipped) {
        co_lifecycle state = CO_LC_NEW;
        code = co_state_tenant_lifecycle(m->s->state, m->t->key, &state, err);
        if (code != CO_OK) {
            res->phase = "verify";
            return code;
        }
        if (state != CO_LC_MIGRATED)
            return CO_OK;
    }
    co_verify_options vopt = {.sample = opt->sample ? opt->sample : 10};
    code = co_verify_tenant(m->s, m->t, &vopt, &res->verification, err);
    if (code != CO_OK) {
        co_verify_result_release(&res->verification);
        memset(&res->verification, 0, sizeof res->verification);
        res->phase = "verify";
        return code;
    }
    res->verified = true;
    if (!res->verification.pass)
        res->failure_code = CO_EVERIFY;
    return CO_OK;
}

co_code co_move_done(co_session *s, const co_tenant *t, const co_move_options *opt, bool *done,
                     co_error *err)
{
    static const co_move_options defaults = {0};
    if (!opt)
        opt = &defaults;
    *done = false;
    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    if (rc != CO_OK)
        return rc;
    if (s->project->ncapture) { /* as co_cutover_tenant skips it */
        char route[8] = "";
        rc = co_state_route_get(s->state, t->key, route, sizeof route, err);
        *done = rc == CO_OK &&
                (strcmp(route, "new") == 0 || (state == CO_LC_SYNCING && !opt->again));
        return rc;
    }
    /* As co_migrate_tenant skips it, and move_load then verifies it or not. */
    bool loaded = state == CO_LC_MIGRATED || state == CO_LC_VERIFIED ||
                  state == CO_LC_VERIFY_FAILED;
    *done = loaded && !opt->again &&
            (opt->no_verify || (!opt->verify_skipped && state != CO_LC_MIGRATED));
    return CO_OK;
}

co_code co_move_tenant(co_session *s, const co_tenant *t, const co_move_options *opt,
                       co_move_result *res, co_error *err)
{
    static const co_move_options defaults = {0};
    memset(res, 0, sizeof *res);
    if (!opt)
        opt = &defaults;
    bool paused = false;
    co_error ignored;
    if (opt->in_cohort && co_cohort_paused(s->state, opt->cohort, &paused, &ignored) == CO_OK &&
        paused) {
        res->status = CO_MOVE_PAUSED;
        return CO_OK;
    }
    if (opt->coexist && !s->project->ncapture)
        return co_error_set(err, CO_EPROJECT,
                            "--coexist keeps a tenant in sync through capture: the project file "
                            "lists no tables to capture");
    /* A tenant rolled back by reverse sync: its rows in the target, frozen
     * there, are purged before anything moves it again. */
    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    if (rc == CO_OK && state == CO_LC_PURGE_PENDING)
        rc = co_rollback_purge(s, t, NULL, err);
    if (rc != CO_OK) {
        res->status = CO_MOVE_FAILED;
        res->phase = "purge";
        snprintf(res->failure, sizeof res->failure, "%.500s", err->message);
        return rc;
    }
    mover m = {s, t, opt, time(NULL)};
    return s->project->ncapture ? move_cutover(&m, res, err) : move_load(&m, res, err);
}
