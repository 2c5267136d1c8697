/*
 * rollback.c: the end of a rollback (cutover_seq.h): the purge of the
 * tenant's rows from the target and the journal's last word. A rollback by
 * reverse sync leaves it for later: the tenant is back on the old system
 * within seconds (purge_pending), its rows in the target frozen there (the
 * target's sealed freeze) until co_rollback_purge removes them, which
 * `cutover sync`, `cutover purge` and the next migrate of the tenant call
 * (docs/coexistence.md). Also the rollback's JSON, the one document the
 * command line and the dashboard answer.
 */
#include "cutover/cutover_seq.h"
#include "cutover/traces.h"
#include "capture/capture_int.h"
#include "capture/reverse_int.h"
#include "state/journal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

/* The reverse mark of a tenant rolled back by reverse sync, kept on the
 * source (its capture store) until the purge: removed last, with its rows. */
static co_code reverse_mark_remove(co_session *s, const co_tenant *t, co_error *err)
{
    co_store *cap = NULL;
    co_code rc = Co_capture_open(s->project, &cap, err);
    if (rc == CO_OK)
        rc = Co_sync_mark_remove(cap, true, t->key, err);
    co_store_close(cap);
    return rc;
}

/* The purge of the tenant's rows from the target, its traces and sync mark
 * there, and the journal's rolled_back; *remains says what is left while it
 * goes (static text; NULL once done). Frozen (a rollback by reverse sync):
 * in chunks of options.purge_chunk_rows rows, the tenant frozen on the
 * target until the last (opt may stop it between chunks: res->done false,
 * the tenant still purge_pending); otherwise in one transaction. */
static co_code finish(co_session *s, const co_tenant *t, bool frozen, const co_purge_options *opt,
                      co_purge_result *res, const char **remains, co_error *err)
{
    /* Frozen: the target's freeze and capture of the tenant are lifted inside
     * each of the purge's transactions and put back before its commit, but
     * in the last, so that nobody sees its rows unfrozen. */
    Co_reverse_purge ctx = {.s = s, .t = t};
    Co_purge_plan plan = {0};
    if (frozen)
        plan = (Co_purge_plan){s->project->purge_chunk_rows,
                               opt ? opt->max_seconds : 0,
                               Co_reverse_purge_enter,
                               Co_reverse_purge_leave,
                               &ctx,
                               opt ? opt->progress : NULL,
                               opt ? opt->progress_ctx : NULL};
    *remains = "purging its rows from the target (the source takes its writes again)";
    co_code rc = Co_purge_tenant_run(s, t, &plan, &res->done, &res->rows, err);
    if (rc != CO_OK || !res->done)
        return rc;
    /* a test build may die here (test_switch: kill -9 in the purge) */
    (void)Co_fault_sim(CO_FAULT_PURGE_ROWS);
    if (frozen)
        rc = Co_reverse_end(s, NULL, t, err);
    if (rc == CO_OK && frozen)
        rc = reverse_mark_remove(s, t, err);
    if (rc == CO_OK)
        rc = co_traces_unmark(s->dest, t->key, err);
    if (rc == CO_OK)
        rc = Co_sync_mark_remove(s->dest, false, t->key, err);
    if (rc == CO_OK) {
        *remains = "recording the rollback in the journal";
        rc = co_state_applied_set(s->state, t->key, 0, err);
    }
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, CO_LC_ROLLED_BACK, 0, err);
    if (rc == CO_OK)
        *remains = NULL;
    res->done = rc == CO_OK;
    return rc;
}

co_code Co_rollback_end(co_session *s, const co_tenant *t, bool frozen, co_rollback_result *res,
                        co_error *err)
{
    co_lifecycle state = CO_LC_NEW;
    co_code rc = frozen ? co_state_tenant_lifecycle(s->state, t->key, &state, err) : CO_OK;
    if (rc == CO_OK && frozen && co_lifecycle_allows(state, CO_LC_PURGE_PENDING)) {
        res->remains = "recording the rollback in the journal";
        rc = co_state_tenant_move(s->state, t->key, CO_LC_PURGE_PENDING, 0, err);
        res->purge_pending = rc == CO_OK;
        if (rc == CO_OK)
            res->remains = NULL;
        return rc;
    }
    double started = Co_clock_mono();
    co_purge_result purged = {0};
    if (rc == CO_OK)
        rc = finish(s, t, frozen, NULL, &purged, &res->remains, err);
    res->purge_seconds = Co_clock_mono() - started;
    return rc;
}

co_code Co_rollback_purge_leased(co_session *s, const co_tenant *t, const co_purge_options *opt,
                                 co_purge_result *res, co_error *err)
{
    double started = Co_clock_mono();
    memset(res, 0, sizeof *res);
    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    if (rc == CO_OK && state != CO_LC_PURGE_PENDING)
        rc = co_error_set(err, CO_ENOTREADY,
                          "tenant %s is %s: no purge waits for it (a rollback by reverse sync "
                          "leaves a tenant purge_pending)",
                          t->key, co_lifecycle_name(state));
    const char *remains = NULL;
    if (rc == CO_OK && (rc = finish(s, t, true, opt, res, &remains, err)) != CO_OK)
        co_error_where(err, "tenant %s is back on the source and stays purge_pending, its rows "
                            "in the target frozen; what remains: %s; run cutover purge --tenant "
                            "%s (or cutover sync) again",
                       t->key, remains ? remains : "?", t->key);
    res->seconds = Co_clock_mono() - started;
    return rc;
}

co_code co_rollback_purge_with(co_session *s, const co_tenant *t, const co_purge_options *opt,
                               co_purge_result *res, co_error *err)
{
    memset(res, 0, sizeof *res);
    co_code rc = Co_state_lease_wait(s->state, t->key, "purge", true, err);
    if (rc != CO_OK)
        return rc;
    rc = Co_rollback_purge_leased(s, t, opt, res, err);
    co_error ignored;
    co_state_unlease(s->state, t->key, &ignored);
    return rc;
}

co_code co_rollback_purge(co_session *s, const co_tenant *t, double *seconds, co_error *err)
{
    co_purge_result res;
    co_code rc = co_rollback_purge_with(s, t, NULL, &res, err);
    if (seconds)
        *seconds = res.seconds;
    return rc;
}

char *co_rollback_json(const char *tenant, const co_rollback_result *r)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"tenant\":");
    Co_json_str(&b, tenant);
    Co_buf_printf(&b, ",\"rolled_back\":true,\"was_switched\":%s,\"exported\":%lld,"
                      "\"carried_back\":%lld,\"not_carried\":%lld,\"export_file\":",
                  r->was_switched ? "true" : "false", (long long)r->exported,
                  (long long)r->carried_back, (long long)r->not_carried);
    Co_json_str(&b, r->export_file);
    Co_buf_printf(&b, ",\"reverse_synced\":%s,\"reverse_applied\":%lld,\"carry_reason\":",
                  r->reverse_synced ? "true" : "false", (long long)r->reverse_applied);
    Co_json_str(&b, r->carry_reason[0] ? r->carry_reason : NULL);
    Co_buf_printf(&b, ",\"back_seconds\":%.3f,\"purge_pending\":%s,\"purge_seconds\":",
                  r->back_seconds, r->purge_pending ? "true" : "false");
    if (r->purge_pending)
        Co_buf_adds(&b, "null");
    else
        Co_buf_printf(&b, "%.3f", r->purge_seconds);
    Co_buf_printf(&b, ",\"seconds\":%.3f}", r->seconds);
    return Co_buf_take(&b);
}
