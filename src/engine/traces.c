/*
 * traces.c: cutover's marks beside its traces on the source and the target,
 * the guard that refuses a journal which did not leave them, and the rebuild
 * of a lost journal from them (traces.h).
 */
#include "state/journal.h"
#include "cutover/sync.h"
#include "cutover/traces.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARKS "cutover_journal_mark"
#define SYNC_MARKS "cutover_sync_mark" /* a syncing tenant's mark (capture/sync.c) */
/* A switched tenant's reverse sync mark on the source, kept by a rollback by
 * reverse sync until the purge of its target rows (capture/reverse.c). */
#define REVERSE_MARKS "cutover_reverse_mark"

void co_recovered_free(co_recovered *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i].tenant);
    free(r);
}

/* Whether table exists in store (its columns can be read). */
static co_code has_table(co_store *store, const char *table, bool *exists, co_error *err)
{
    co_column *cols = NULL;
    size_t n = 0;
    co_error probe;
    co_error_clear(&probe);
    co_code rc = co_store_columns(store, table, &cols, &n, &probe);
    co_columns_free(cols, n);
    *exists = rc == CO_OK;
    if (rc == CO_OK || rc == CO_ENOTFOUND)
        return CO_OK;
    if (err)
        *err = probe;
    return rc;
}

co_code co_traces_mark(co_session *s, co_store *store, const char *tenant, const char *state,
                       co_error *err)
{
    char journal[37];
    co_code rc = co_state_journal_id(s->state, journal, err);
    if (rc == CO_OK)
        rc = co_store_ensure_table(store, MARKS,
                                   "CREATE TABLE IF NOT EXISTS " MARKS " (tenant VARCHAR(255)"
                                   " PRIMARY KEY, journal TEXT NOT NULL, state TEXT NOT NULL)",
                                   err);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(journal, strlen(journal))},
                    {NULL, co_text(state, strlen(state))}};
    /* An UPDATE, then an INSERT when there was no row (no upsert is common
     * to every engine); the caller holds the tenant's lease. A switched or
     * exported mark stays so for a new capture or load. */
    co_param upd[] = {p[1], p[2], p[2], p[0]};
    long long changed = 0;
    if (rc == CO_OK)
        rc = co_store_exec_params(store,
                                  "UPDATE " MARKS " SET journal = ?, state = CASE WHEN state IN"
                                  " ('switched', 'exported') AND ? IN ('capturing',"
                                  " 'loading') THEN state ELSE ? END WHERE tenant = ?",
                                  upd, 4, &changed, err);
    if (rc == CO_OK && changed == 0)
        rc = co_store_exec_params(store,
                                  "INSERT INTO " MARKS " (tenant, journal, state) VALUES (?, ?, ?)",
                                  p, 3, NULL, err);
    if (rc != CO_OK)
        co_error_where(err, "the journal's mark for tenant %s on the %s", tenant,
                       co_side_name(co_store_side(store)));
    return rc;
}

co_code Co_traces_forget(co_store *store, const char *table, const char *tenant, co_error *err)
{
    bool exists = false;
    co_code rc = has_table(store, table, &exists, err);
    if (rc != CO_OK || !exists)
        return rc;
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "DELETE FROM %s WHERE tenant = ?", table);
    rc = co_store_exec_params(store, co_buf_str(&sql), &p, 1, NULL, err);
    int64_t left = 0;
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT count(*) FROM %s", table);
    if (rc == CO_OK)
        rc = co_store_query_int(store, co_buf_str(&sql), NULL, 0, &left, NULL, err);
    if (rc == CO_OK && left == 0) { /* nothing of cutover's stays behind, where it may */
        co_error ignored;
        co_error_clear(&ignored);
        Co_buf_reset(&sql);
        Co_buf_printf(&sql, "DROP TABLE %s", table);
        co_store_exec(store, co_buf_str(&sql), &ignored);
    }
    if (rc == CO_OK && sql.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    Co_buf_release(&sql);
    return rc;
}

co_code co_traces_unmark(co_store *store, const char *tenant, co_error *err)
{
    return Co_traces_forget(store, MARKS, tenant, err);
}

co_code co_traces_state(co_store *store, const char *tenant, char *buf, size_t cap,
                        co_error *err)
{
    buf[0] = '\0';
    bool exists = false;
    co_code rc = has_table(store, MARKS, &exists, err);
    if (rc != CO_OK || !exists)
        return rc;
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    rc = co_store_query(store, "SELECT state FROM " MARKS " WHERE tenant = ?", &p, 1, &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        snprintf(buf, cap, "%.*s", v.type == CO_TEXT ? (int)v.len : 0, v.type == CO_TEXT ? v.s : "");
    }
    co_cursor_close(c);
    return rc;
}

/* What the traces of one store say: marks (tenant, journal, state) and, on
 * the source, the tenants whose writes are captured; on the target, the
 * tenants kept in sync (a sync mark, with the capture position applied). */
typedef struct trace_row {
    char *tenant, *journal, *state;
    bool captured;
    bool synced;
    bool reversed; /* a reverse mark (the source) */
    int64_t sync_pos;
} trace_row;

typedef struct traces {
    trace_row *rows;
    size_t n, cap;
} traces;

static void traces_release(traces *t)
{
    for (size_t i = 0; i < t->n; i++) {
        CO_FREE(t->rows[i].tenant, t->rows[i].journal, t->rows[i].state);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

static trace_row *trace_find(traces *t, const char *tenant)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].tenant, tenant) == 0)
            return &t->rows[i];
    return NULL;
}

static trace_row *trace_add(traces *t, const char *tenant, size_t len)
{
    if (!CO_GROW(t->rows, t->cap, t->n + 1, 16))
        return NULL;
    trace_row *r = &t->rows[t->n];
    memset(r, 0, sizeof *r);
    if (!(r->tenant = strndup(tenant, len)))
        return NULL;
    t->n++;
    return r;
}

/* The row of the tenant named by v (a cursor's text value), added when t
 * has none; NULL when out of memory. */
static trace_row *trace_of(traces *t, co_value v)
{
    char *key = strndup(v.s, v.len);
    trace_row *r = key ? trace_find(t, key) : NULL;
    if (key && !r)
        r = trace_add(t, v.s, v.len);
    free(key);
    return r;
}

static char *value_text(co_value v)
{
    return v.type == CO_TEXT ? strndup(v.s, v.len) : strdup("");
}

/* Reads the target's sync marks into out (the tenants migrated with
 * --coexist that were still syncing, and how far their changes are
 * applied), or with reverse the source's reverse marks (the tenants switched
 * with reverse sync, or rolled back by it with their purge waiting). */
static co_code read_sync_marks(co_store *store, bool reverse, traces *out, co_error *err)
{
    bool exists = false;
    const char *table = reverse ? REVERSE_MARKS : SYNC_MARKS;
    co_code rc = has_table(store, table, &exists, err);
    co_cursor *c = NULL;
    bool has_row;
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT tenant, pos FROM %s ORDER BY tenant", table);
    if (rc == CO_OK && exists)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query(store, co_buf_str(&sql), NULL, 0, &c, err);
    Co_buf_release(&sql);
    while (rc == CO_OK && c && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value t = co_cursor_value(c, 0);
        if (t.type != CO_TEXT)
            continue;
        trace_row *r = trace_of(out, t);
        if (!r) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        } else if (reverse) {
            r->reversed = true;
        } else {
            r->synced = true;
            r->sync_pos = co_cursor_value(c, 1).i;
        }
    }
    co_cursor_close(c);
    return rc;
}

/* Reads store's marks and, when captured is true (the source), its
 * cutover_tenants and reverse marks; else its sync marks. */
static co_code read_traces(co_store *store, bool captured, traces *out, co_error *err)
{
    bool exists = false;
    co_code rc = has_table(store, MARKS, &exists, err);
    co_cursor *c = NULL;
    bool has_row;
    if (rc == CO_OK && exists)
        rc = co_store_query(store, "SELECT tenant, journal, state FROM " MARKS " ORDER BY tenant",
                            NULL, 0, &c, err);
    while (rc == CO_OK && c && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value t = co_cursor_value(c, 0);
        trace_row *r = t.type == CO_TEXT ? trace_add(out, t.s, t.len) : NULL;
        if (r) {
            r->journal = value_text(co_cursor_value(c, 1));
            r->state = value_text(co_cursor_value(c, 2));
        }
        if (t.type == CO_TEXT && (!r || !r->journal || !r->state))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    c = NULL;
    if (rc == CO_OK && captured)
        rc = co_store_capture_table_exists(store, "cutover_tenants", &exists, err);
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT tenant FROM ");
    co_store_capture_table(store, "cutover_tenants", &sql);
    Co_buf_adds(&sql, " ORDER BY tenant");
    if (rc == CO_OK && captured && exists)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query(store, co_buf_str(&sql), NULL, 0, &c, err);
    Co_buf_release(&sql);
    while (rc == CO_OK && c && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value t = co_cursor_value(c, 0);
        if (t.type != CO_TEXT)
            continue;
        trace_row *r = trace_of(out, t);
        if (!r)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        else
            r->captured = true;
    }
    co_cursor_close(c);
    if (rc == CO_OK)
        rc = read_sync_marks(store, captured, out, err);
    if (rc != CO_OK)
        co_error_where(err, "reading cutover's traces on the %s",
                       co_side_name(co_store_side(store)));
    return rc;
}

/* Whether this journal has moved the tenant: a route, or a state past "new". */
static co_code journal_knows(co_session *s, const char *tenant, bool *known, co_error *err)
{
    char route[8];
    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(s->state, tenant, &state, err);
    if (rc == CO_OK)
        rc = co_state_route_get(s->state, tenant, route, sizeof route, err);
    *known = rc == CO_OK && (state != CO_LC_NEW || strcmp(route, "new") == 0);
    return rc;
}

/* Appends "tenant 1 (switched, journal 1b2c3d4e)" for a foreign trace to
 * found; counts them. At most a few are named. */
static co_code collect_foreign(co_session *s, traces *t, const char *journal, const char *side,
                               co_buf *found, size_t *count, co_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        trace_row *r = &t->rows[i];
        bool foreign = r->journal && strcmp(r->journal, journal) != 0;
        if (!r->journal && r->captured) { /* capture without a mark: ours only if we know it */
            bool known = false;
            co_code rc = journal_knows(s, r->tenant, &known, err);
            if (rc != CO_OK)
                return rc;
            foreign = !known;
        }
        if (!foreign)
            continue;
        if (*count < 5) {
            Co_buf_printf(found, "%stenant %.60s on the %s (", found->len ? "; " : "", r->tenant,
                          side);
            if (r->journal)
                Co_buf_printf(found, "%s by journal %.8s", r->state, r->journal);
            else
                Co_buf_adds(found, "capture installed, no mark");
            if (r->journal && r->captured)
                Co_buf_adds(found, ", capture installed");
            Co_buf_addc(found, ')');
        }
        (*count)++;
    }
    return CO_OK;
}

co_code co_traces_guard(co_session *s, co_error *err)
{
    if (!s->source || !s->dest || co_store_side(s->dest) != CO_SIDE_TARGET)
        return CO_OK;
    char journal[37];
    traces src = {0}, tgt = {0};
    co_buf found = CO_BUF_INIT;
    size_t count = 0;
    co_code rc = co_state_journal_id(s->state, journal, err);
    if (rc == CO_OK)
        rc = read_traces(s->source, true, &src, err);
    if (rc == CO_OK)
        rc = read_traces(s->dest, false, &tgt, err);
    if (rc == CO_OK)
        rc = collect_foreign(s, &src, journal, "source", &found, &count, err);
    if (rc == CO_OK)
        rc = collect_foreign(s, &tgt, journal, "target", &found, &count, err);
    if (rc == CO_OK && count > 0)
        rc = co_error_set(err, CO_EFOREIGN,
                          "the source or target carries traces of another journal than this one "
                          "(%.36s, %.300s): %.500s%s. Refusing to run: a switched tenant's rows in "
                          "the target may hold the new system's writes. Name the journal that "
                          "left them with --state, or rebuild one from the traces with cutover "
                          "recover-journal",
                          journal, co_state_safe_uri(s->state),
                          co_buf_str(&found), count > 5 ? " and more" : "");
    traces_release(&src);
    traces_release(&tgt);
    Co_buf_release(&found);
    return rc;
}

/* Marks every traced tenant of store as this journal's (on the source, not
 * one with a reverse mark alone: its capture is gone already). */
static co_code adopt(co_session *s, co_store *store, traces *t, bool source, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < t->n; i++) {
        if (source && !t->rows[i].journal && !t->rows[i].captured)
            continue;
        const char *state = t->rows[i].state && t->rows[i].state[0] ? t->rows[i].state
                            : source                                ? "capturing"
                                                                    : "loading";
        rc = co_traces_mark(s, store, t->rows[i].tenant, state, err);
    }
    return rc;
}

static co_recovered *recovered_get(co_recovered **arr, size_t *n, const char *tenant)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i].tenant, tenant) == 0)
            return &(*arr)[i];
    if (!CO_RESIZE(*arr, *n + 1))
        return NULL;
    co_recovered *r = &(*arr)[*n];
    memset(r, 0, sizeof *r);
    if (!(r->tenant = strdup(tenant)))
        return NULL;
    (*n)++;
    return r;
}

co_code co_traces_recover(co_session *s, co_recovered **out, size_t *n, co_error *err)
{
    *out = NULL;
    *n = 0;
    if (!s->source || !s->dest || co_store_side(s->dest) != CO_SIDE_TARGET)
        return co_error_set(err, CO_EUSAGE, "recovering a journal needs the source and target");
    int64_t runs = 0;
    co_code rc = Co_state_runs_count(s->state, &runs, err);
    if (rc == CO_OK && runs > 0)
        return co_error_set(err, CO_ENOTREADY,
                            "this journal (%s) already has %lld runs: recover-journal rebuilds a "
                            "lost journal into a new one; name a new file with --state",
                            co_state_safe_uri(s->state), (long long)runs);
    traces src = {0}, tgt = {0};
    co_store *cap = NULL;
    co_recovered *arr = NULL;
    size_t count = 0;
    if (rc == CO_OK)
        rc = read_traces(s->source, true, &src, err);
    if (rc == CO_OK)
        rc = read_traces(s->dest, false, &tgt, err);
    for (int side = 0; rc == CO_OK && side < 2; side++) {
        traces *t = side ? &tgt : &src;
        for (size_t i = 0; rc == CO_OK && i < t->n; i++) {
            trace_row *row = &t->rows[i];
            co_recovered *r = recovered_get(&arr, &count, row->tenant);
            if (!r) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
            r->switched = r->switched || (row->state && strcmp(row->state, "switched") == 0);
            r->exported = r->exported || (side == 1 && row->state &&
                                          strcmp(row->state, "exported") == 0);
            r->reversed = r->reversed || row->reversed;
            r->captured = r->captured || row->captured;
            r->on_target = r->on_target || side == 1;
            if (row->synced) {
                r->syncing = true;
                r->sync_pos = row->sync_pos;
            }
            if (row->journal && !r->from[0])
                snprintf(r->from, sizeof r->from, "%s", row->journal);
        }
    }
    /* The journal first, then the marks: a rebuild stopped halfway runs again. */
    if (rc == CO_OK)
        rc = co_state_begin(s->state, err);
    for (size_t i = 0; rc == CO_OK && i < count; i++) {
        co_recovered *r = &arr[i];
        int64_t run = 0;
        rc = co_state_run_begin(s->state, r->tenant, "recover-journal", s->project->hash, &run,
                                    err);
        /* Syncing: captured, a sync mark on the target, not switched; sync
         * goes on from the target's mark, with its reads on the old side. */
        r->syncing = r->syncing && r->captured && !r->switched;
        /* Rolled back by reverse sync, the purge of its target rows waiting:
         * the target marks it exported (its rows there frozen), the source
         * keeps its reverse mark, and no capture of it (its rollback lifted
         * that). Its reads stay old until the purge. */
        r->purge_pending = r->exported && r->reversed && !r->captured && !r->switched;
        if (rc == CO_OK && r->switched)
            rc = co_state_route_set(s->state, r->tenant, "new", 0, run, err);
        if (rc == CO_OK)
            rc = co_state_tenant_move(s->state, r->tenant,
                                      r->switched        ? CO_LC_SWITCHED
                                      : r->purge_pending ? CO_LC_PURGE_PENDING
                                                         : CO_LC_MIGRATING,
                                      run, err);
        if (rc == CO_OK && r->purge_pending)
            rc = co_state_read_share_set(s->state, r->tenant, 0, err);
        if (rc == CO_OK && r->syncing)
            rc = co_state_applied_set(s->state, r->tenant, r->sync_pos, err);
        if (rc == CO_OK && r->syncing)
            rc = co_state_read_share_set(s->state, r->tenant, 0, err);
        if (rc == CO_OK && r->syncing)
            rc = co_state_tenant_move(s->state, r->tenant, CO_LC_SYNCING, run, err);
        if (rc == CO_OK)
            rc = co_state_run_end(s->state, run, "done", NULL, 0, err);
    }
    if (rc == CO_OK)
        rc = co_state_commit(s->state, err);
    else
        co_state_rollback(s->state);
    if (rc == CO_OK && src.n) {
        rc = co_store_open(s->project->source, CO_SIDE_SOURCE, s->project->dir, &cap, err);
        if (rc == CO_OK)
            rc = co_store_allow_writes(cap, err);
        if (rc == CO_OK)
            rc = adopt(s, cap, &src, true, err);
    }
    if (rc == CO_OK)
        rc = adopt(s, s->dest, &tgt, false, err);
    co_store_close(cap);
    traces_release(&src);
    traces_release(&tgt);
    if (rc != CO_OK) {
        co_recovered_free(arr, count);
        return rc;
    }
    *out = arr;
    *n = count;
    return CO_OK;
}
