/*
 * schemas.c: the schema fingerprint of each tenant's passing rehearsal
 * (engine/fingerprint.c makes it), kept in the journal's rehearsal_schemas
 * table so that migrate can refuse a schema that changed since.
 */
#include "cutover/state.h"
#include "state/state_int.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

static const co_jq co_q_schema_set = {
    "INSERT INTO rehearsal_schemas (tenant, project_hash, fingerprint, recorded_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE"
    " SET project_hash = excluded.project_hash, fingerprint = excluded.fingerprint,"
    " recorded_at = excluded.recorded_at"};

static const co_jq co_q_schema_get = {
    "SELECT fingerprint FROM rehearsal_schemas WHERE tenant = ? AND project_hash = ?"};

co_code co_state_schema_record(co_state *st, const char *tenant, const char *project_hash,
                               const char *fingerprint, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(project_hash, strlen(project_hash))},
                    {NULL, co_text(fingerprint, strlen(fingerprint))},
                    {NULL, co_text(now, strlen(now))}};
    return Co_state_write(st, &co_q_schema_set, p, 4, NULL, err);
}

co_code co_state_schema_get(co_state *st, const char *tenant, const char *project_hash,
                            char **fingerprint, co_error *err)
{
    *fingerprint = NULL;
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(project_hash, strlen(project_hash))}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_schema_get, p, 2, &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        *fingerprint = v.type == CO_TEXT ? strndup(v.s, v.len) : strdup("");
        if (!*fingerprint)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    return rc;
}
