/*
 * sync.c: keeping a syncing tenant in sync (cutover/sync.h): the catch-up
 * made a round that can run for ever. Its mark of what is applied lives on
 * the target, in cutover_sync_mark, and moves in the same transaction as
 * the rows a batch of changes refreshed: a round killed anywhere has either
 * applied a batch and moved the mark, or neither, so the next round loses
 * nothing and applies nothing twice. The journal's capture_progress follows
 * the mark after each round (it may lag it, never lead it).
 *
 * The mark is a capture position and a window: (pos, upto, seq) says every
 * change at or below pos is applied, and of the changes in (pos, upto] those
 * up to sequence number seq. A round starts a window at the capture horizon
 * (cutover/capture.h: on PostgreSQL a transaction id, so the window is
 * commit-order safe), works through it in batches by sequence number, and
 * closes it by moving pos to upto; a killed round's window is finished first
 * by the next.
 */
#include "cutover/capture.h"
#include "cutover/sync.h"
#include "capture/capture_int.h"
#include "capture/reverse_int.h"
#include "engine/engine_int.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MARK "cutover_sync_mark"

/* The mark's table of each direction: forward on the target, reverse on
 * the source (reverse.c). */
static const char *const mark_tables[] = {MARK, "cutover_reverse_mark"};

static const char *mark_name(const Co_mark_write *w) { return mark_tables[w->reverse ? 1 : 0]; }

co_code Co_sync_mark_put(void *ctx, co_error *err)
{
    Co_mark_write *w = ctx;
    co_param p[] = {{NULL, co_text(w->tenant, strlen(w->tenant))},
                    {NULL, co_int(w->m->pos)},
                    {NULL, co_int(w->m->upto)},
                    {NULL, co_int(w->m->seq)},
                    {NULL, co_int(w->m->applied)}};
    co_buf del = CO_BUF_INIT, ins = CO_BUF_INIT;
    Co_buf_printf(&del, "DELETE FROM %s WHERE tenant = ?", mark_name(w));
    Co_buf_printf(&ins, "INSERT INTO %s (tenant, pos, upto, seq, applied) VALUES (?, ?, ?, ?, ?)",
                  mark_name(w));
    co_code rc = del.failed || ins.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                                          : co_store_exec_params(w->store, co_buf_str(&del), p,
                                                                 1, NULL, err);
    if (rc == CO_OK)
        rc = co_store_exec_params(w->store, co_buf_str(&ins), p, 5, NULL, err);
    Co_buf_release(&del);
    Co_buf_release(&ins);
    return rc;
}

static co_code mark_table(co_store *store, bool reverse, co_error *err)
{
    const char *name = mark_tables[reverse ? 1 : 0];
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS %s (tenant VARCHAR(255) PRIMARY KEY, pos BIGINT NOT NULL,"
             " upto BIGINT NOT NULL, seq BIGINT NOT NULL, applied BIGINT NOT NULL)",
             name);
    return co_store_ensure_table(store, name, sql, err);
}

co_code Co_sync_mark_set(co_store *store, bool reverse, const char *tenant, const Co_mark *m,
                         co_error *err)
{
    Co_mark_write w = {store, tenant, m, reverse};
    co_code rc = mark_table(store, reverse, err);
    if (rc == CO_OK)
        rc = co_store_begin(store, err);
    if (rc != CO_OK)
        return rc;
    rc = Co_sync_mark_put(&w, err);
    if (rc == CO_OK)
        return co_store_commit(store, err);
    co_store_rollback(store);
    return rc;
}

co_code Co_sync_mark_get(co_store *store, bool reverse, const char *tenant, Co_mark *m,
                         bool *found, co_error *err)
{
    memset(m, 0, sizeof *m);
    *found = false;
    co_code rc = mark_table(store, reverse, err);
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pos, upto, seq, applied FROM %s WHERE tenant = ?",
             mark_tables[reverse ? 1 : 0]);
    if (rc == CO_OK)
        rc = co_store_query(store, sql, &p, 1, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    if (rc == CO_OK && *found) {
        m->pos = co_cursor_value(c, 0).i;
        m->upto = co_cursor_value(c, 1).i;
        m->seq = co_cursor_value(c, 2).i;
        m->applied = co_cursor_value(c, 3).i;
    }
    co_cursor_close(c);
    return rc;
}

co_code Co_sync_mark_remove(co_store *store, bool reverse, const char *tenant, co_error *err)
{
    return Co_traces_forget(store, mark_tables[reverse ? 1 : 0], tenant, err);
}

/* Seconds since the epoch of an ISO time with an optional fraction
 * (2026-12-06T13:11:03.250Z); -1 when it is none. */
static double iso_epoch(const char *s)
{
    char whole[32];
    snprintf(whole, sizeof whole, "%.19sZ", s);
    time_t t = Co_clock_parse(whole);
    if (t < 0)
        return -1;
    double frac = 0;
    if (strlen(s) > 19 && s[19] == '.')
        frac = strtod(s + 19, NULL);
    return (double)t + frac;
}

/* The age of the tenant's oldest change above the position after (0: none),
 * by the database's clock. */
co_code Co_sync_oldest_age(co_store *cap, const char *tenant, int64_t after, double *age,
                          co_error *err)
{
    *age = 0;
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(after)}};
    co_buf sql = CO_BUF_INIT; /* the change log where the store keeps it (MySQL: its own database) */
    Co_buf_printf(&sql, "SELECT min(at), %s FROM ", co_store_epoch_sql(cap));
    co_store_capture_table(cap, "cutover_changes", &sql);
    Co_buf_printf(&sql, " WHERE tenant = ? AND %s > ?", co_store_capture_position(cap));
    co_cursor *c = NULL;
    bool has_row = false;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(cap, co_buf_str(&sql), p, 2, &c, err);
    Co_buf_release(&sql);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row && co_cursor_value(c, 0).type == CO_TEXT) {
        co_value now = co_cursor_value(c, 1);
        double at = iso_epoch(co_cursor_value(c, 0).s);
        double n = now.type == CO_INT ? (double)now.i : now.r;
        if (at >= 0 && n > at)
            *age = n - at;
    }
    co_cursor_close(c);
    return rc;
}

co_code Co_sync_settle(co_session *s, co_store *cap, const co_tenant *t, co_cutover_result *res,
                       co_verify_result *early, co_error *err)
{
    double started = Co_clock_mono();
    res->verification = *early;
    memset(early, 0, sizeof *early);
    res->verified = true;
    if (!res->verification.pass)
        return co_error_set(err, CO_EVERIFY, "verification found differences");
    int64_t pos = 0;
    co_code rc = co_state_applied_get(s->state, t->key, &pos, err);
    Co_mark m = {pos, pos, 0, 0};
    co_sync_round first = {NULL, res->changes_applied, 0, 0, 0, "forward"};
    if (rc == CO_OK)
        rc = Co_sync_mark_set(s->dest, false, t->key, &m, err);
    if (rc == CO_OK)
        rc = co_capture_backlog(cap, t->key, pos, &first.backlog, err);
    if (rc == CO_OK)
        rc = Co_sync_oldest_age(cap, t->key, pos, &first.lag_seconds, err);
    first.seconds = Co_clock_mono() - started;
    if (rc == CO_OK)
        rc = co_state_sync_round_add(s->state, t->key, &first, err);
    if (rc == CO_OK)
        rc = co_state_read_share_set(s->state, t->key, 0, err);
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, CO_LC_SYNCING, res->load.run_id, err);
    res->syncing = rc == CO_OK;
    return rc;
}

static co_code cancelled(const co_sync_options *opt, co_error *err)
{
    if (opt && opt->cancelled && opt->cancelled(opt->cancel_ctx))
        return co_error_set(err, CO_EINTERRUPTED, "interrupted during sync");
    return CO_OK;
}

/* Applies the changes of the mark's window in batches, each with the mark. */
static co_code apply_window(co_session *s, co_store *cap, const co_tenant *t, Co_mark *m,
                            const co_sync_options *opt, int64_t *applied, co_error *err)
{
    co_code rc = CO_OK;
    while (rc == CO_OK && (rc = cancelled(opt, err)) == CO_OK) {
        co_change *changes = NULL;
        size_t n = 0;
        rc = co_capture_changes(cap, t->key, m->pos, m->upto, m->seq, ROUND_CHANGES, &changes,
                                &n, err);
        if (rc == CO_OK && n > 0) {
            Co_mark next = *m;
            next.seq = changes[n - 1].seq;
            next.applied += (int64_t)n;
            Co_mark_write w = {s->dest, t->key, &next, false};
            rc = Co_catch_up_batch(s, t, 0, changes, n, Co_sync_mark_put, &w, err);
            if (rc == CO_OK) {
                *m = next;
                *applied += (int64_t)n;
            }
        }
        co_changes_free(changes, n);
        if (n < ROUND_CHANGES)
            break;
    }
    return rc;
}

/* Changes pruned from the change log at once, and batches of them a round
 * deletes at most: a long backlog of applied changes goes over rounds. A
 * round that applied changes prunes only once PRUNE_MIN of them wait (a
 * delete takes SQLite's write lock from the application); an idle round
 * prunes whatever waits. */
#define PRUNE_BATCH 5000
#define PRUNE_BATCHES 20
#define PRUNE_MIN 2000

/* A round; with prune, the changes at or below its mark go from the change
 * log once the mark is durable on the target and in the journal (a switch's
 * rounds keep them: its scoped verification reads the changes since its
 * verification's mark). */
static co_code sync_leased(co_session *s, co_store *cap, const co_tenant *t,
                           const co_sync_options *opt, bool prune, co_sync_result *res,
                           co_error *err)
{
    double started = Co_clock_mono();
    Co_mark m;
    bool found = false;
    co_code rc = Co_sync_mark_get(s->dest, false, t->key, &m, &found, err);
    if (rc == CO_OK && !found) { /* from the journal's mark, as the coexistence began */
        rc = co_state_applied_get(s->state, t->key, &m.pos, err);
        m.upto = m.pos;
    }
    /* A window a killed round left open is finished first, then a new one
     * opens at the horizon. */
    for (int window = 0; rc == CO_OK && window < 2; window++) {
        if (m.upto <= m.pos) {
            int64_t horizon = 0;
            rc = co_capture_horizon(cap, &horizon, err);
            if (rc != CO_OK || horizon <= m.pos)
                break;
            m.upto = horizon;
            m.seq = 0;
        }
        rc = apply_window(s, cap, t, &m, opt, &res->round.applied, err);
        if (rc == CO_OK) {
            m.pos = m.upto;
            m.seq = 0;
            rc = Co_sync_mark_set(s->dest, false, t->key, &m, err);
        }
        if (rc == CO_OK)
            rc = co_state_applied_set(s->state, t->key, m.pos, err);
    }
    if (rc == CO_OK && prune && m.pos > 0)
        rc = Co_capture_prune(cap, t->key, m.pos, PRUNE_BATCH, PRUNE_BATCHES,
                              res->round.applied > 0 ? PRUNE_MIN : 1, &res->pruned, err);
    if (rc == CO_OK)
        rc = co_capture_backlog(cap, t->key, m.pos, &res->round.backlog, err);
    if (rc == CO_OK)
        rc = Co_sync_oldest_age(cap, t->key, m.pos, &res->round.lag_seconds, err);
    res->total_applied = m.applied;
    res->round.seconds = Co_clock_mono() - started;
    if (rc == CO_OK)
        rc = co_state_sync_round_add(s->state, t->key, &res->round, err);
    return rc;
}

co_code Co_sync_round(co_session *s, co_store *cap, const co_tenant *t, int64_t *applied,
                      int64_t *backlog, co_error *err)
{
    co_sync_result res;
    memset(&res, 0, sizeof res);
    co_code rc = sync_leased(s, cap, t, NULL, false, &res, err);
    *applied = res.round.applied;
    *backlog = res.round.backlog;
    return rc;
}

co_code co_sync_tenant(co_session *s, const co_tenant *t, const co_sync_options *opt,
                       co_sync_result *res, co_error *err)
{
    memset(res, 0, sizeof *res);
    co_code rc = co_state_lease(s->state, t->key, "sync", err);
    if (rc != CO_OK)
        return rc;
    co_lifecycle state = CO_LC_NEW;
    rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    /* A switched tenant with reverse capture is synced the other way (reverse.c). */
    bool reverse = state == CO_LC_SWITCHED;
    if (rc == CO_OK && state != CO_LC_SYNCING && !reverse)
        rc = co_error_set(err, CO_ENOTREADY,
                          "tenant %s is %s, not syncing: only a tenant migrated with --coexist "
                          "is kept in sync (and a switched one, in reverse)",
                          t->key, co_lifecycle_name(state));
    co_store *cap = NULL;
    if (rc == CO_OK)
        rc = Co_capture_open(s->project, &cap, err);
    if (rc == CO_OK)
        rc = reverse ? Co_reverse_round(s, cap, t, opt, res, err)
                     : sync_leased(s, cap, t, opt, true, res, err);
    co_store_close(cap);
    if (rc != CO_OK)
        co_error_where(err, "syncing tenant %s", t->key);
    co_error ignored;
    co_state_unlease(s->state, t->key, &ignored);
    return rc;
}
