/* status.c: reading every tenant's state and last run from the journal (status.h). */
#include "cutover/status.h"
#include "cutover/sync.h"
#include "state/state_int.h"

#include "util/buf.h"
#include "util/json.h"
#include "util/text.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void co_status_free(co_tenant_status *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].tenant);
        free(rows[i].label);
        free(rows[i].state);
        free(rows[i].run_status);
        free(rows[i].started_at);
        free(rows[i].error);
        free(rows[i].verified_at);
        free(rows[i].verify_failed_checks);
        free(rows[i].last_note);
        free(rows[i].monitored_at);
        free(rows[i].monitor_summary);
        free(rows[i].waiting_approval);
        free(rows[i].holder);
        free(rows[i].frozen_since);
    }
    free(rows);
}

/* The checks the tenant's last verification failed, as "entity check, ...". */
static co_code failed_checks(co_state *st, co_tenant_status *r, co_error *err)
{
    co_param p = {NULL, co_int(r->verify_run)};
    co_cursor *c;
    co_code rc = co_store_query(Co_state_store(st),
                                "SELECT entity, \"check\" FROM verifications"
                                " WHERE run_id = ? AND pass = 0 ORDER BY entity, \"check\"",
                                &p, 1, &c, err);
    if (rc != CO_OK)
        return rc;
    co_buf b = CO_BUF_INIT;
    bool has_row;
    while ((rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value entity = co_cursor_value(c, 0), check = co_cursor_value(c, 1);
        Co_buf_printf(&b, "%s%.*s %.*s", b.len ? ", " : "", (int)entity.len, entity.s,
                      (int)check.len, check.s);
    }
    co_cursor_close(c);
    if (rc == CO_OK && b.len)
        r->verify_failed_checks = b.failed ? NULL : co_buf_detach(&b);
    if (rc == CO_OK && b.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    Co_buf_release(&b);
    return rc;
}

/* Who holds each tenant's lease, and whether that process is still there
 * (on this host: kill(pid, 0)); a run left "running" by a process that is
 * gone shows as "interrupted"; a frozen tenant says since when. */
static co_code holders(co_state *st, co_tenant_status *rows, size_t n, co_error *err)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        co_tenant_status *r = &rows[i];
        co_param p = {NULL, co_text(r->tenant, strlen(r->tenant))};
        co_cursor *c = NULL;
        bool has_row = false;
        rc = co_store_query(Co_state_store(st),
                            "SELECT l.pid, l.host, l.command, l.started_at, t.updated_at"
                            " FROM tenants t LEFT JOIN leases l ON l.tenant = t.tenant"
                            " WHERE t.tenant = ?",
                            &p, 1, &c, err);
        if (rc == CO_OK)
            rc = co_cursor_next(c, &has_row, err);
        if (rc == CO_OK && has_row) {
            co_value pid = co_cursor_value(c, 0), h = co_cursor_value(c, 1);
            if (pid.type == CO_INT) {
                bool here = h.type == CO_TEXT && h.len == strlen(host) && memcmp(h.s, host, h.len) == 0;
                r->holder_pid = pid.i;
                r->holder_gone = here && pid.i > 0 && kill((pid_t)pid.i, 0) != 0 && errno != EPERM;
                co_buf b = CO_BUF_INIT;
                co_value cmd = co_cursor_value(c, 2), at = co_cursor_value(c, 3);
                Co_buf_printf(&b, "%.*s, pid %lld on %.*s since %.*s", cmd.type == CO_TEXT ? (int)cmd.len : 1,
                              cmd.type == CO_TEXT ? cmd.s : "?", (long long)pid.i,
                              h.type == CO_TEXT ? (int)h.len : 1, h.type == CO_TEXT ? h.s : "?",
                              at.type == CO_TEXT ? (int)at.len : 1, at.type == CO_TEXT ? at.s : "?");
                r->holder = b.failed ? NULL : co_buf_detach(&b);
                Co_buf_release(&b);
            }
            if (co_lifecycle_is(r->state, CO_LC_FROZEN))
                r->frozen_since = Co_value_text(co_cursor_value(c, 4));
        }
        co_cursor_close(c);
        if (rc == CO_OK && r->holder_gone && r->run_status && strcmp(r->run_status, "running") == 0) {
            free(r->run_status);
            r->run_status = strdup("interrupted");
        }
    }
    return rc;
}

/* A switched tenant's reverse sync: its lag and backlog, when its last
 * round went target to source. */
static co_code reverse_syncing(co_state *st, co_tenant_status *r, co_error *err)
{
    co_sync_round last;
    bool found = false;
    co_code rc = co_state_sync_last(st, r->tenant, &last, &found, err);
    r->reverse_syncing = rc == CO_OK && found && last.direction &&
                         strcmp(last.direction, "reverse") == 0;
    r->backlog = r->reverse_syncing ? last.backlog : 0;
    if (rc == CO_OK && r->reverse_syncing)
        rc = co_sync_lag(st, r->tenant, &r->lag_seconds, &r->lag_known, err);
    return rc;
}

/* A syncing tenant's read share, lag and backlog (cutover/sync.h). */
static co_code syncing(co_state *st, co_tenant_status *r, co_error *err)
{
    r->syncing = co_lifecycle_is(r->state, CO_LC_SYNCING);
    if (co_lifecycle_is(r->state, CO_LC_SWITCHED))
        return reverse_syncing(st, r, err);
    if (!r->syncing)
        return CO_OK;
    co_route_reads reads;
    co_sync_round last;
    bool found = false;
    co_code rc = co_route_reads_get(st, r->tenant, &reads, err);
    if (rc == CO_OK)
        rc = co_state_sync_last(st, r->tenant, &last, &found, err);
    r->read_share = reads.read_share;
    r->lag_known = reads.lag_known;
    r->lag_seconds = reads.lag_seconds;
    r->backlog = found ? last.backlog : 0;
    return rc;
}

co_code co_status_list(co_state *st, co_tenant_status **out, size_t *n, co_error *err)
{
    static const char sql[] =
        "WITH last_verify AS ("
        "  SELECT tenant, max(id) AS id FROM runs"
        "   WHERE command = 'verify' AND status = 'done' GROUP BY tenant)"
        "SELECT t.tenant, t.label, t.state, t.last_run, r.status, r.started_at, r.seconds,"
        "       (SELECT sum(source_rows) FROM steps WHERE run_id = r.id),"
        "       (SELECT sum(loaded) FROM steps WHERE run_id = r.id),"
        "       (SELECT sum(rejected) FROM steps WHERE run_id = r.id),"
        "       r.error, v.id,"
        "       (SELECT min(pass) FROM verifications WHERE run_id = v.id),"
        "       (SELECT sum(differences) FROM verifications WHERE run_id = v.id),"
        "       (SELECT ended_at FROM runs WHERE id = v.id)"
        "  FROM tenants t LEFT JOIN runs r ON r.id = t.last_run"
        "  LEFT JOIN last_verify v ON v.tenant = t.tenant"
        " ORDER BY length(t.tenant), t.tenant"; /* numbers in numeric order */
    *out = NULL;
    *n = 0;
    co_cursor *c;
    co_code rc = co_store_query(Co_state_store(st), sql, NULL, 0, &c, err);
    if (rc != CO_OK)
        return rc;
    co_tenant_status *rows = NULL;
    size_t count = 0, cap = 0;
    bool has_row;
    while ((rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            co_tenant_status *grown = realloc(rows, cap * sizeof *rows);
            if (!grown) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
            rows = grown;
        }
        co_tenant_status *r = &rows[count++];
        memset(r, 0, sizeof *r);
        r->tenant = Co_value_text(co_cursor_value(c, 0));
        r->label = Co_value_text(co_cursor_value(c, 1));
        r->state = Co_value_text(co_cursor_value(c, 2));
        r->last_run = co_cursor_value(c, 3).i;
        r->run_status = Co_value_text(co_cursor_value(c, 4));
        r->started_at = Co_value_text(co_cursor_value(c, 5));
        r->seconds = co_cursor_value(c, 6).r;
        r->source_rows = co_cursor_value(c, 7).i;
        r->loaded = co_cursor_value(c, 8).i;
        r->rejected = co_cursor_value(c, 9).i;
        r->error = Co_value_text(co_cursor_value(c, 10));
        r->verify_run = co_cursor_value(c, 11).i;
        r->verify_pass = co_cursor_value(c, 12).i == 1;
        r->verify_differences = co_cursor_value(c, 13).i;
        r->verified_at = Co_value_text(co_cursor_value(c, 14));
        if (!r->tenant || !r->state) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        /* A tenant that failed or was rolled back has nothing in the target:
         * what its last run loaded is not there any more. */
        if (co_lifecycle_is(r->state, CO_LC_FAILED) || co_lifecycle_is(r->state, CO_LC_ROLLED_BACK)) {
            r->rolled_back = r->loaded;
            r->loaded = 0;
        }
    }
    co_cursor_close(c);
    for (size_t i = 0; rc == CO_OK && i < count; i++)
        if (rows[i].verify_run && !rows[i].verify_pass)
            rc = failed_checks(st, &rows[i], err);
    if (rc == CO_OK)
        rc = holders(st, rows, count, err);
    for (size_t i = 0; rc == CO_OK && i < count; i++)
        rc = syncing(st, &rows[i], err);
    if (rc == CO_OK)
        rc = Co_status_parity(st, rows, count, err);
    if (rc == CO_OK)
        rc = co_status_aftercare(st, rows, count, err);
    if (rc != CO_OK) {
        co_status_free(rows, count);
        return rc;
    }
    *out = rows;
    *n = count;
    return CO_OK;
}

void co_status_json_row(co_buf *b, const co_tenant_status *r)
{
    Co_json_field(b, "{\"tenant\":", r->tenant);
    Co_json_field(b, ",\"label\":", r->label);
    Co_json_field(b, ",\"state\":", r->state);
    if (r->last_run) {
        Co_buf_printf(b, ",\"last_run\":{\"id\":%lld,\"status\":", (long long)r->last_run);
        Co_json_str(b, r->run_status);
        Co_json_field(b, ",\"started_at\":", r->started_at);
        Co_buf_printf(b, ",\"seconds\":%.3f,\"source_rows\":%lld,\"loaded\":%lld,"
                         "\"rolled_back\":%lld,\"rejected\":%lld,\"error\":",
                      r->seconds, (long long)r->source_rows, (long long)r->loaded,
                      (long long)r->rolled_back, (long long)r->rejected);
        Co_json_str(b, r->error);
        Co_buf_adds(b, "}");
    } else {
        Co_buf_adds(b, ",\"last_run\":null");
    }
    if (r->verify_run) {
        Co_buf_printf(b, ",\"verification\":{\"run\":%lld,\"pass\":%s,\"differences\":%lld,"
                         "\"at\":",
                      (long long)r->verify_run, r->verify_pass ? "true" : "false",
                      (long long)r->verify_differences);
        Co_json_str(b, r->verified_at);
        Co_json_field(b, ",\"failed\":", r->verify_failed_checks);
        Co_buf_adds(b, "}");
    } else {
        Co_buf_adds(b, ",\"verification\":null");
    }
    if (r->holder) {
        Co_buf_printf(b, ",\"process\":{\"pid\":%lld,\"alive\":%s,\"lease\":", (long long)r->holder_pid,
                      r->holder_gone ? "false" : "true");
        Co_json_str(b, r->holder);
        Co_buf_adds(b, "}");
    }
    Co_buf_printf(b, ",\"interrupted\":%s", r->holder_gone ? "true" : "false");
    if (r->frozen_since) {
        Co_json_field(b, ",\"frozen_since\":", r->frozen_since);
    }
    if (r->syncing || r->reverse_syncing) {
        Co_buf_printf(b, ",\"sync\":{\"direction\":\"%s\",\"read_share\":%d,\"backlog\":%lld,"
                         "\"lag_seconds\":",
                      r->reverse_syncing ? "reverse" : "forward",
                      r->reverse_syncing ? 100 : r->read_share, (long long)r->backlog);
        if (r->lag_known)
            Co_buf_printf(b, "%.3f}", r->lag_seconds);
        else
            Co_buf_adds(b, "null}");
    }
    Co_status_parity_json(b, r);
    const char *finish = co_status_finish_command(r);
    if (finish) {
        co_buf command = CO_BUF_INIT;
        Co_buf_printf(&command, "cutover %s --tenant %s", finish, r->tenant);
        Co_json_field(b, ",\"finish_with\":", command.failed ? NULL : co_buf_str(&command));
        Co_buf_release(&command);
    }
    co_status_aftercare_json(b, r);
    Co_buf_addc(b, '}');
}

const char *co_status_finish_command(const co_tenant_status *r)
{
    if (r->state && strcmp(r->state, "rollback_incomplete") == 0)
        return "rollback";
    if (co_lifecycle_is(r->state, CO_LC_PURGE_PENDING))
        return "purge";
    return r->holder_gone ? "migrate" : NULL;
}

char *co_status_json(const co_tenant_status *rows, size_t n)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"tenants\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            Co_buf_addc(&b, ',');
        co_status_json_row(&b, &rows[i]);
    }
    Co_buf_adds(&b, "]}");
    if (b.failed) {
        Co_buf_release(&b);
        return NULL;
    }
    return co_buf_detach(&b);
}
