/*
 * tenants.c: the journal's tenants, their routes and archives, and the
 * tenant lifecycle (cutover/state.h: co_lifecycle; docs/state-store.md has
 * the table of transitions).
 */
#include "state/journal.h"
#include "state/state_int.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

static const co_jq co_q_archive_add = {
    "INSERT INTO archives (tenant, path, rows, bytes, project_hash, at) VALUES (?, ?, ?,"
    " ?, ?, ?)"};

static const co_jq co_q_route_switched_at = {
    "SELECT route, switched_at FROM routes WHERE tenant = ?"};

static const co_jq co_q_tenants_routes = {
    "SELECT t.tenant, coalesce(r.route, 'old'), r.switched_at, r.freeze_seconds FROM"
    " tenants t LEFT JOIN routes r ON r.tenant = t.tenant"};

static const co_jq co_q_view_routes = {
    "SELECT t.tenant, coalesce(r.route, 'old') AS route, r.switched_at, r.freeze_seconds"
    " FROM tenants t LEFT JOIN routes r ON r.tenant = t.tenant ORDER BY length(t.tenant),"
    " t.tenant"};

static const co_jq co_q_view_tenant_route = {
    "SELECT route, changed_at, switched_at, freeze_seconds, run_id FROM routes WHERE"
    " tenant = ?"};

static const co_jq co_q_tenant_count = {"SELECT count(*) FROM tenants WHERE tenant = ?"};
static const co_jq co_q_tenants_count = {"SELECT count(*) FROM tenants"};

/* ---- the tenant lifecycle ---- */

static const char *const lifecycle_names[CO_LC_COUNT] = {
    [CO_LC_NEW] = "new",
    [CO_LC_MIGRATING] = "migrating",
    [CO_LC_MIGRATED] = "migrated",
    [CO_LC_FAILED] = "failed",
    [CO_LC_VERIFIED] = "verified",
    [CO_LC_VERIFY_FAILED] = "verify_failed",
    [CO_LC_FROZEN] = "frozen",
    [CO_LC_SWITCHED] = "switched",
    [CO_LC_ROLLED_BACK] = "rolled_back",
    [CO_LC_ROLLBACK_INCOMPLETE] = "rollback_incomplete",
    [CO_LC_FINALIZED] = "finalized",
    [CO_LC_SYNCING] = "syncing",
    [CO_LC_PURGE_PENDING] = "purge_pending",
};

#define TO(s) (1u << (s))
/* Where each state may go (docs/state-store.md, "The tenant lifecycle"). A
 * rollback may start from any state before finalize; a verification moves a
 * tenant only before its freeze; a switched tenant is rolled back before it
 * is migrated again; finalized is the end. A tenant copied and verified
 * with --coexist stays syncing until its switch freezes it, a rollback or
 * a reload (migrate --again); a switch that fails inside the freeze takes
 * it back to syncing. A rollback by reverse sync leaves the tenant
 * purge_pending (back on the source, its target rows frozen) until the purge
 * of its target rows ends it rolled_back; nothing else moves it. */
static const unsigned lifecycle_to[CO_LC_COUNT] = {
    [CO_LC_NEW] = TO(CO_LC_MIGRATING) | TO(CO_LC_VERIFIED) | TO(CO_LC_VERIFY_FAILED) |
                  TO(CO_LC_SWITCHED) | TO(CO_LC_ROLLED_BACK) | TO(CO_LC_ROLLBACK_INCOMPLETE) |
                  TO(CO_LC_PURGE_PENDING),
    [CO_LC_MIGRATING] = TO(CO_LC_MIGRATED) | TO(CO_LC_FAILED) | TO(CO_LC_VERIFIED) |
                        TO(CO_LC_VERIFY_FAILED) | TO(CO_LC_FROZEN) | TO(CO_LC_ROLLED_BACK) |
                        TO(CO_LC_ROLLBACK_INCOMPLETE) | TO(CO_LC_SYNCING),
    [CO_LC_MIGRATED] = TO(CO_LC_MIGRATING) | TO(CO_LC_VERIFIED) | TO(CO_LC_VERIFY_FAILED) |
                       TO(CO_LC_FROZEN) | TO(CO_LC_ROLLED_BACK) | TO(CO_LC_ROLLBACK_INCOMPLETE) |
                       TO(CO_LC_SYNCING),
    [CO_LC_FAILED] = TO(CO_LC_MIGRATING) | TO(CO_LC_VERIFIED) | TO(CO_LC_VERIFY_FAILED) |
                     TO(CO_LC_ROLLED_BACK) | TO(CO_LC_ROLLBACK_INCOMPLETE),
    [CO_LC_VERIFIED] = TO(CO_LC_MIGRATING) | TO(CO_LC_VERIFY_FAILED) | TO(CO_LC_FROZEN) |
                       TO(CO_LC_ROLLED_BACK) | TO(CO_LC_ROLLBACK_INCOMPLETE),
    [CO_LC_VERIFY_FAILED] = TO(CO_LC_MIGRATING) | TO(CO_LC_VERIFIED) | TO(CO_LC_FROZEN) |
                            TO(CO_LC_ROLLED_BACK) | TO(CO_LC_ROLLBACK_INCOMPLETE),
    [CO_LC_FROZEN] = TO(CO_LC_MIGRATING) | TO(CO_LC_SWITCHED) | TO(CO_LC_ROLLED_BACK) |
                     TO(CO_LC_ROLLBACK_INCOMPLETE) | TO(CO_LC_FINALIZED) | TO(CO_LC_SYNCING) |
                     TO(CO_LC_PURGE_PENDING),
    [CO_LC_SWITCHED] = TO(CO_LC_ROLLED_BACK) | TO(CO_LC_ROLLBACK_INCOMPLETE) | TO(CO_LC_FINALIZED) |
                       TO(CO_LC_PURGE_PENDING),
    [CO_LC_ROLLED_BACK] = TO(CO_LC_MIGRATING) | TO(CO_LC_ROLLBACK_INCOMPLETE),
    [CO_LC_ROLLBACK_INCOMPLETE] = TO(CO_LC_MIGRATING) | TO(CO_LC_ROLLED_BACK) |
                                  TO(CO_LC_PURGE_PENDING),
    [CO_LC_FINALIZED] = 0,
    [CO_LC_SYNCING] = TO(CO_LC_MIGRATING) | TO(CO_LC_FROZEN) | TO(CO_LC_ROLLED_BACK) |
                      TO(CO_LC_ROLLBACK_INCOMPLETE),
    [CO_LC_PURGE_PENDING] = TO(CO_LC_ROLLED_BACK),
};

const char *co_lifecycle_name(co_lifecycle state)
{
    return (unsigned)state < CO_LC_COUNT ? lifecycle_names[state] : "?";
}

bool co_lifecycle_parse(const char *name, co_lifecycle *out)
{
    for (int i = 0; name && i < CO_LC_COUNT; i++)
        if (strcmp(name, lifecycle_names[i]) == 0) {
            *out = (co_lifecycle)i;
            return true;
        }
    return false;
}

bool co_lifecycle_is(const char *name, co_lifecycle state)
{
    co_lifecycle s;
    return co_lifecycle_parse(name, &s) && s == state;
}

bool co_lifecycle_allows(co_lifecycle from, co_lifecycle to)
{
    if ((unsigned)from >= CO_LC_COUNT || (unsigned)to >= CO_LC_COUNT)
        return false;
    return from == to || (lifecycle_to[from] & TO(to)) != 0;
}

co_code co_state_tenant_lifecycle(co_state *st, const char *tenant, co_lifecycle *out,
                                  co_error *err)
{
    char name[32];
    co_code rc = co_state_tenant_get(st, tenant, name, sizeof name, err);
    if (rc == CO_OK && !co_lifecycle_parse(name, out))
        rc = co_error_set(err, CO_ESTATE, "tenant %s has the state \"%s\" in the journal, which "
                          "is none of the lifecycle's (docs/state-store.md)", tenant, name);
    return rc;
}

static const co_jq tenant_set = {
    "INSERT INTO tenants (tenant, state, last_run, updated_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET"
    " state = excluded.state,"
    " last_run = coalesce(excluded.last_run, tenants.last_run),"
    " updated_at = excluded.updated_at"};

co_code co_state_tenant_move(co_state *st, const char *tenant, co_lifecycle to, int64_t run_id,
                             co_error *err)
{
    co_lifecycle from = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(st, tenant, &from, err);
    if (rc != CO_OK)
        return rc;
    if (!co_lifecycle_allows(from, to))
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s is %s: its lifecycle does not go from %s to %s "
                            "(docs/state-store.md)",
                            tenant, co_lifecycle_name(from), co_lifecycle_name(from),
                            co_lifecycle_name(to));
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    const char *name = co_lifecycle_name(to);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(name, strlen(name))},
                    {NULL, run_id ? co_int(run_id) : co_null()},
                    {NULL, co_text(now, strlen(now))}};
    return Co_state_write(st, &tenant_set, p, 4, NULL, err);
}

/* ---- routes ---- */

co_code co_state_route_read(co_state *st, const char *tenant, char *route, size_t cap,
                            char *switched_at, size_t at_cap, co_error *err)
{
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_route_switched_at, &p, 1, &c, err);
    bool has_row = false;
    snprintf(route, cap, "old");
    snprintf(switched_at, at_cap, "%s", "");
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value r = co_cursor_value(c, 0), at = co_cursor_value(c, 1);
        snprintf(route, cap, "%s", r.type == CO_TEXT ? r.s : "old");
        snprintf(switched_at, at_cap, "%s", at.type == CO_TEXT ? at.s : "");
    }
    co_cursor_close(c);
    return rc;
}

co_code co_state_routes_each(co_state *st,
                             co_code (*fn)(void *ctx, const co_route_row *row, co_error *err),
                             void *ctx, co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_tenants_routes, NULL, 0, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value tenant = co_cursor_value(c, 0), route = co_cursor_value(c, 1);
        co_value at = co_cursor_value(c, 2), freeze = co_cursor_value(c, 3);
        double seconds = freeze.type == CO_INT ? (double)freeze.i : freeze.r;
        co_route_row row = {tenant.type == CO_TEXT ? tenant.s : "?",
                            route.type == CO_TEXT ? route.s : "?",
                            at.type == CO_TEXT ? at.s : NULL,
                            freeze.type == CO_REAL || freeze.type == CO_INT ? &seconds : NULL};
        rc = fn(ctx, &row, err);
    }
    co_cursor_close(c);
    return rc;
}

co_code co_state_tenants_count(co_state *st, const char *tenant, int64_t *n, co_error *err)
{
    co_param p = {NULL, co_text(tenant ? tenant : "", tenant ? strlen(tenant) : 0)};
    *n = 0;
    return Co_state_read_int(st, tenant ? &co_q_tenant_count : &co_q_tenants_count, &p,
                             tenant ? 1 : 0, n, NULL, err);
}

co_code Co_state_archive_add(co_state *st, const char *tenant, const char *path, int64_t rows,
                             int64_t bytes, const char *project_hash, const char *at,
                             co_error *err)
{
    co_param p[] = {{NULL, Co_jtext(tenant)}, {NULL, Co_jtext(path)},
                    {NULL, co_int(rows)},     {NULL, co_int(bytes)},
                    {NULL, Co_jtext(project_hash)}, {NULL, Co_jtext(at)}};
    return Co_state_write(st, &co_q_archive_add, p, 6, NULL, err);
}

/* ---- views (state/journal.h: co_jrows) ---- */
CO_JVIEW(routes, co_q_view_routes)
CO_JVIEW_TENANT(tenant_route, co_q_view_tenant_route)
