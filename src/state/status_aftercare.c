/*
 * status_aftercare.c: the after-the-switch part of every tenant's status
 * (status.h): notes, the latest monitor check, an approval waiting.
 */
#include "cutover/status.h"
#include "state/state_int.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_text(co_value v) { return v.type == CO_TEXT ? strdup(v.s) : NULL; }

static co_code one_row(co_state *st, const char *sql, const char *tenant, co_cursor **c,
                       bool *has_row, co_error *err)
{
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_code rc = co_store_query(Co_state_store(st), sql, &p, 1, c, err);
    *has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(*c, has_row, err);
    return rc;
}

co_code co_status_aftercare(co_state *st, co_tenant_status *rows, size_t n, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        co_tenant_status *r = &rows[i];
        co_cursor *c = NULL;
        bool has_row;
        rc = one_row(st,
                     "SELECT (SELECT count(*) FROM notes WHERE tenant = n.tenant), at, author,"
                     " body FROM notes n WHERE tenant = ? ORDER BY id DESC LIMIT 1",
                     r->tenant, &c, &has_row, err);
        if (rc == CO_OK && has_row) {
            co_value at = co_cursor_value(c, 1), by = co_cursor_value(c, 2),
                     body = co_cursor_value(c, 3);
            r->notes = co_cursor_value(c, 0).i;
            co_buf b = CO_BUF_INIT;
            Co_buf_printf(&b, "%s %s: %s", at.type == CO_TEXT ? at.s : "",
                          by.type == CO_TEXT ? by.s : "", body.type == CO_TEXT ? body.s : "");
            r->last_note = co_buf_detach(&b);
        }
        co_cursor_close(c);
        if (rc == CO_OK)
            rc = one_row(st,
                         "SELECT id, flags, at, summary FROM monitor_checks WHERE tenant = ?"
                         " ORDER BY id DESC LIMIT 1",
                         r->tenant, &c, &has_row, err);
        if (rc == CO_OK && has_row) {
            r->monitor_check = co_cursor_value(c, 0).i;
            r->monitor_flags = co_cursor_value(c, 1).i;
            r->monitored_at = dup_text(co_cursor_value(c, 2));
            r->monitor_summary = dup_text(co_cursor_value(c, 3));
        }
        co_cursor_close(c);
        /* A request with no approval after it, under any project file. */
        if (rc == CO_OK)
            rc = one_row(st,
                         "SELECT a.step, a.person FROM approvals a WHERE a.subject = ?"
                         " AND a.event = 'requested' AND NOT EXISTS (SELECT 1 FROM approvals b"
                         " WHERE b.subject = a.subject AND b.step = a.step"
                         " AND b.project_hash = a.project_hash AND b.event = 'approved'"
                         " AND b.id > a.id) ORDER BY a.id DESC LIMIT 1",
                         r->tenant, &c, &has_row, err);
        if (rc == CO_OK && has_row) {
            co_value step = co_cursor_value(c, 0), by = co_cursor_value(c, 1);
            co_buf b = CO_BUF_INIT;
            Co_buf_printf(&b, "%s (requested by %s)", step.type == CO_TEXT ? step.s : "",
                          by.type == CO_TEXT ? by.s : "");
            r->waiting_approval = co_buf_detach(&b);
        }
        co_cursor_close(c);
    }
    return rc;
}

void co_status_aftercare_json(co_buf *b, const co_tenant_status *r)
{
    Co_buf_printf(b, ",\"notes\":%lld,\"last_note\":", (long long)r->notes);
    Co_json_str(b, r->last_note);
    if (r->monitor_check) {
        Co_buf_printf(b, ",\"monitor\":{\"check\":%lld,\"flags\":%lld,\"at\":",
                      (long long)r->monitor_check, (long long)r->monitor_flags);
        Co_json_str(b, r->monitored_at);
        Co_json_field(b, ",\"summary\":", r->monitor_summary);
        Co_buf_addc(b, '}');
    } else {
        Co_buf_adds(b, ",\"monitor\":null");
    }
    Co_json_field(b, ",\"waiting_approval\":", r->waiting_approval);
}
