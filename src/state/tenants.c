/*
 * tenants.c: the journal's tenants, their routes and archives, and the
 * tenant lifecycle (cutover/state.h: co_lifecycle; docs/state-store.md has
 * the table of transitions).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

const co_jq co_q_archive_add = {
    "INSERT INTO archives (tenant, path, rows, bytes, project_hash, at) VALUES (?, ?, ?,"
    " ?, ?, ?)"};

const co_jq co_q_route_switched_at = {
    "SELECT route, switched_at FROM routes WHERE tenant = ?"};

const co_jq co_q_tenants_routes = {
    "SELECT t.tenant, coalesce(r.route, 'old'), r.switched_at, r.freeze_seconds FROM"
    " tenants t LEFT JOIN routes r ON r.tenant = t.tenant"};

const co_jq co_q_view_routes = {
    "SELECT t.tenant, coalesce(r.route, 'old') AS route, r.switched_at, r.freeze_seconds"
    " FROM tenants t LEFT JOIN routes r ON r.tenant = t.tenant ORDER BY length(t.tenant),"
    " t.tenant"};

const co_jq co_q_view_tenant_route = {
    "SELECT route, changed_at, switched_at, freeze_seconds, run_id FROM routes WHERE"
    " tenant = ?"};

const co_jq co_q_tenant_count = {"SELECT count(*) FROM tenants WHERE tenant = ?"};
const co_jq co_q_tenants_count = {"SELECT count(*) FROM tenants"};
