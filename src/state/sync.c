/*
 * sync.c: the journal's coexistence tables (cutover/sync.h): the rounds of a
 * syncing tenant's sync (sync_rounds), its read share (read_shares), and
 * the lag read from them, so that routes answer from the journal alone.
 */
#include "cutover/sync.h"
#include "state/journal.h"
#include "state/state_int.h"
#include "util/clock.h"
#include "util/fault.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const co_jq round_add = {
    "INSERT INTO sync_rounds (tenant, at, at_epoch, applied, backlog, lag_seconds, seconds,"
    " direction) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};

/* The tenant's last round, when it applied nothing and left nothing waiting
 * in the same direction. */
static const co_jq last_idle = {
    "SELECT id FROM sync_rounds WHERE id = (SELECT max(id) FROM sync_rounds WHERE tenant = ?)"
    " AND applied = 0 AND backlog = 0 AND direction = ?"};

static const co_jq idle_again = {
    "UPDATE sync_rounds SET at = ?, at_epoch = ?, lag_seconds = ?, seconds = ? WHERE id = ?"};

static const co_jq rounds_of = {
    "SELECT at, applied, backlog, lag_seconds, seconds, at_epoch, direction FROM sync_rounds"
    " WHERE tenant = ? ORDER BY id DESC"};

static const co_jq share_get = {"SELECT share FROM read_shares WHERE tenant = ?"};

static const co_jq share_set = {
    "INSERT INTO read_shares (tenant, share, changed_at) VALUES (?, ?, ?)"
    " ON CONFLICT (tenant) DO UPDATE SET share = excluded.share,"
    " changed_at = excluded.changed_at"};

/* Wall-clock seconds with their fraction: lags are measured against it. */
static double epoch_now(void)
{
    time_t fixed;
    if (Co_fault_clock(&fixed)) /* a test build's fixed clock (util/fault.h), as Co_clock_now */
        return (double)fixed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double number(co_value v)
{
    return v.type == CO_INT ? (double)v.i : v.type == CO_REAL ? v.r : 0;
}

co_code co_state_sync_round_add(co_state *st, const char *tenant, const co_sync_round *r,
                                co_error *err)
{
    char now[32];
    double epoch = epoch_now();
    const char *direction = r->direction ? r->direction : "forward";
    Co_clock_iso((time_t)epoch, now, sizeof now);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_text(now, strlen(now))},
                    {NULL, co_real(epoch)},                  {NULL, co_int(r->applied)},
                    {NULL, co_int(r->backlog)},              {NULL, co_real(r->lag_seconds)},
                    {NULL, co_real(r->seconds)},
                    {NULL, co_text(direction, strlen(direction))}};
    /* Idle rounds in a row are one row, with the time of the latest: a sync
     * that follows an idle tenant for days keeps the journal small. */
    int64_t idle = 0;
    bool found = false;
    co_code rc = CO_OK;
    if (r->applied == 0 && r->backlog == 0)
        rc = Co_state_read_int(st, &last_idle, (co_param[]){p[0], p[7]}, 2, &idle, &found, err);
    if (rc != CO_OK)
        return rc;
    if (found) {
        co_param u[] = {p[1], p[2], p[5], p[6], {NULL, co_int(idle)}};
        return Co_state_write(st, &idle_again, u, 5, NULL, err);
    }
    return Co_state_write(st, &round_add, p, 8, NULL, err);
}

/* The rounds of a tenant, newest first, with the time each ended. */
static co_code each_round(co_state *st, const char *tenant, size_t max,
                          co_code (*fn)(void *ctx, const co_sync_round *r, double at_epoch,
                                        co_error *err),
                          void *ctx, co_error *err)
{
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &rounds_of, &p, 1, &c, err);
    bool has_row = false;
    for (size_t n = 0; rc == CO_OK && (max == 0 || n < max) &&
                       (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row;
         n++) {
        co_value at = co_cursor_value(c, 0), dir = co_cursor_value(c, 6);
        co_sync_round r = {at.type == CO_TEXT ? at.s : "", co_cursor_value(c, 1).i,
                           co_cursor_value(c, 2).i, number(co_cursor_value(c, 3)),
                           number(co_cursor_value(c, 4)),
                           dir.type == CO_TEXT && dir.s[0] == 'r' ? "reverse" : "forward"};
        rc = fn(ctx, &r, number(co_cursor_value(c, 5)), err);
    }
    co_cursor_close(c);
    return rc;
}

typedef struct user_fn {
    co_code (*fn)(void *ctx, const co_sync_round *r, co_error *err);
    void *ctx;
} user_fn;

static co_code call_user(void *ctx, const co_sync_round *r, double at_epoch, co_error *err)
{
    (void)at_epoch;
    user_fn *u = ctx;
    return u->fn(u->ctx, r, err);
}

co_code co_state_sync_rounds_each(co_state *st, const char *tenant, size_t max,
                                  co_code (*fn)(void *ctx, const co_sync_round *r, co_error *err),
                                  void *ctx, co_error *err)
{
    user_fn u = {fn, ctx};
    return each_round(st, tenant, max, call_user, &u, err);
}

typedef struct last_round {
    co_sync_round r;
    double at_epoch;
    char at[32];
    bool found;
} last_round;

static co_code keep_last(void *ctx, const co_sync_round *r, double at_epoch, co_error *err)
{
    (void)err;
    last_round *l = ctx;
    l->r = *r;
    snprintf(l->at, sizeof l->at, "%s", r->at);
    l->r.at = l->at;
    l->at_epoch = at_epoch;
    l->found = true;
    return CO_OK;
}

co_code co_state_sync_last(co_state *st, const char *tenant, co_sync_round *out, bool *found,
                           co_error *err)
{
    static _Thread_local last_round last; /* lives until the next call, as said */
    memset(&last, 0, sizeof last);
    co_code rc = each_round(st, tenant, 1, keep_last, &last, err);
    *found = rc == CO_OK && last.found;
    memset(out, 0, sizeof *out);
    if (*found)
        *out = last.r;
    return rc;
}

co_code co_sync_lag(co_state *st, const char *tenant, double *lag, bool *known, co_error *err)
{
    last_round l = {0};
    *lag = 0;
    co_code rc = each_round(st, tenant, 1, keep_last, &l, err);
    *known = rc == CO_OK && l.found;
    if (*known) {
        double since = epoch_now() - l.at_epoch;
        *lag = l.r.lag_seconds + (since > 0 ? since : 0);
    }
    return rc;
}

co_code co_state_read_share_get(co_state *st, const char *tenant, int *share, co_error *err)
{
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    int64_t v = 0;
    co_code rc = Co_state_read_int(st, &share_get, &p, 1, &v, NULL, err);
    *share = rc == CO_OK ? (int)v : 0;
    return rc;
}

co_code co_state_read_share_set(co_state *st, const char *tenant, int share, co_error *err)
{
    if (share < 0 || share > 100)
        return co_error_set(err, CO_EUSAGE, "a read share is from 0 to 100, not %d", share);
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(share)},
                    {NULL, co_text(now, strlen(now))}};
    return Co_state_write(st, &share_set, p, 3, NULL, err);
}

co_code co_route_reads_get(co_state *st, const char *tenant, co_route_reads *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_route_get(st, tenant, out->writes, sizeof out->writes, err);
    if (rc == CO_OK)
        rc = co_state_tenant_lifecycle(st, tenant, &state, err);
    if (rc == CO_OK)
        rc = co_state_read_share_get(st, tenant, &out->read_share, err);
    out->syncing = state == CO_LC_SYNCING;
    if (rc == CO_OK && out->syncing)
        rc = co_sync_lag(st, tenant, &out->lag_seconds, &out->lag_known, err);
    if (strcmp(out->writes, "new") == 0)
        out->read_share = 100;
    snprintf(out->reads, sizeof out->reads, "%s",
             out->read_share >= 100 ? "new" : out->read_share > 0 ? "split" : "old");
    return rc;
}
