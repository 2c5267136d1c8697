/*
 * reads.c: moving a syncing tenant's reads gradually (cutover/sync.h): the
 * checked change of its read share, and the deterministic choice of a side
 * for one request, so that a user's session does not flip between systems.
 */
#include "cutover/parity.h"
#include "cutover/sync.h"
#include "engine/session.h"
#include "move/move_int.h"

#include <string.h>
#include <xxhash.h>

bool co_route_reads_new(const char *tenant, const char *request_key, int read_share)
{
    if (read_share <= 0)
        return false;
    if (read_share >= 100)
        return true;
    /* the key's hash seeded by the tenant's (its NUL included) */
    XXH64_hash_t seed = XXH3_64bits(tenant ? tenant : "", tenant ? strlen(tenant) + 1 : 1);
    XXH64_hash_t h = XXH3_64bits_withSeed(request_key ? request_key : "",
                                          request_key ? strlen(request_key) : 0, seed);
    return (int)(h % 100) < read_share;
}

co_code Co_reads_gate(co_session *s, const char *tenant, int share, co_error *err)
{
    return share > 0 ? co_parity_gate(s->state, s->project, tenant, err) : CO_OK;
}

co_code co_reads_set(co_session *s, const char *tenant, int share, co_error *err)
{
    if (share < 0 || share > 100)
        return co_error_set(err, CO_EUSAGE, "a read share is from 0 to 100, not %d", share);
    /* All reads back to the old system is always allowed, at once. */
    if (share == 0)
        return co_state_read_share_set(s->state, tenant, 0, err);
    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(s->state, tenant, &state, err);
    if (rc == CO_OK && state != CO_LC_SYNCING)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s is %s: reads move gradually only for a syncing tenant "
                            "(cutover migrate --tenant %s --coexist)",
                            tenant, co_lifecycle_name(state), tenant);
    double lag = 0;
    bool known = false;
    if (rc == CO_OK)
        rc = co_sync_lag(s->state, tenant, &lag, &known, err);
    int bound = s->project->reads_max_lag_seconds > 0 ? s->project->reads_max_lag_seconds : 5;
    if (rc == CO_OK && (!known || lag >= bound))
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s: its sync lag is %.1f s, not under "
                            "options.reads_max_lag_seconds (%d s): keep it in sync (cutover sync "
                            "--tenant %s --follow) and try again; its read share stays as it was",
                            tenant, lag, bound, tenant);
    if (rc == CO_OK)
        rc = Co_reads_gate(s, tenant, share, err);
    if (rc == CO_OK)
        rc = co_state_read_share_set(s->state, tenant, share, err);
    return rc;
}
