/*
 * lease.c: leases, rehearsal records, routes and catch-up progress in the
 * journal (state.h). A lease row
 * says which process (pid on host) works on a tenant; it is taken inside a
 * write transaction, so two processes cannot both take it. Inside one process
 * several journals may be open at once (the jobs of `--jobs N`, one session
 * each): a registry here says which of them holds a tenant, so that two jobs
 * never hold one tenant although their lease rows would name the same pid.
 */
#include "cutover/state.h"
#include "state/state_int.h"
#include "util/buf.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tenants that the journals of this process hold, each with its holder. */
typedef struct held_here {
    struct held_here *next;
    const co_state *holder;
    const char *journal; /* the holder's (Co_state_journal): other journals lease apart */
    char tenant[];
} held_here;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static held_here *registry;

/* Records that st holds tenant in this process: false when another journal
 * of this process holds it (or out of memory, *oom set). */
static bool registry_take(const co_state *st, const char *tenant, bool *oom)
{
    bool taken = true;
    *oom = false;
    pthread_mutex_lock(&registry_lock);
    const char *journal = Co_state_journal(st);
    for (held_here *h = registry; h && taken; h = h->next)
        if (strcmp(h->tenant, tenant) == 0 && strcmp(h->journal, journal) == 0)
            taken = h->holder == st;
    if (taken) {
        size_t len = strlen(tenant) + 1;
        held_here *h = malloc(sizeof *h + len);
        if (h) {
            memcpy(h->tenant, tenant, len);
            h->holder = st;
            h->journal = journal;
            h->next = registry;
            registry = h;
        } else {
            taken = false;
            *oom = true;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return taken;
}

void Co_state_registry_drop(const co_state *st, const char *tenant)
{
    pthread_mutex_lock(&registry_lock);
    for (held_here **at = &registry; *at; at = &(*at)->next)
        if ((*at)->holder == st && strcmp((*at)->tenant, tenant) == 0) {
            held_here *gone = *at;
            *at = gone->next;
            free(gone);
            break;
        }
    pthread_mutex_unlock(&registry_lock);
}

static void host_name(char *buf, size_t cap)
{
    if (gethostname(buf, cap) != 0)
        snprintf(buf, cap, "localhost");
    buf[cap - 1] = '\0';
}

static bool process_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* True when the tenant's claim by a worker has expired (its worker stopped
 * renewing it): the sign that a lease held on another machine is stale. */
static bool claim_expired(co_store *s, const char *tenant)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_text(now, strlen(now))}};
    co_cursor *c = NULL;
    co_error ignored;
    bool expired = false;
    if (co_store_query(s, "SELECT 1 FROM claims WHERE tenant = ? AND status = 'running'"
                          " AND expires_at < ?",
                       p, 2, &c, &ignored) == CO_OK)
        co_cursor_next(c, &expired, &ignored);
    co_cursor_close(c);
    return expired;
}

/* co_state_lease; when it is refused because another process holds the
 * tenant, *holder_is_sync says whether that holder is a `cutover sync`. */
static co_code lease_take(co_state *st, const char *tenant, const char *command,
                          bool *holder_is_sync, co_error *err)
{
    *holder_is_sync = false;
    int *held = Co_state_held(st, tenant, true);
    if (!held)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (*held > 0) { /* this process has it already */
        (*held)++;
        return CO_OK;
    }
    bool oom;
    if (!registry_take(st, tenant, &oom))
        return oom ? co_error_set(err, CO_ENOMEM, "out of memory")
                   : co_error_set(err, CO_EBUSY,
                                  "tenant %s is held by another job of this cutover process "
                                  "(pid %ld); wait for it to finish",
                                  tenant, (long)getpid());
    char host[256], now[32];
    host_name(host, sizeof host);
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_store *s = Co_state_store(st);
    co_param key = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    co_code rc = co_store_begin(s, err);
    if (rc == CO_OK)
        rc = co_store_query(s, "SELECT pid, host, command, started_at FROM leases WHERE tenant = ?",
                            &key, 1, &c, err);
    bool has_row = false;
    long gone_pid = 0; /* a holder taken over: its runs left "running" are not */
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        long pid = (long)co_cursor_value(c, 0).i;
        co_value h = co_cursor_value(c, 1), cmd = co_cursor_value(c, 2), at = co_cursor_value(c, 3);
        bool same_host = h.type == CO_TEXT && strcmp(h.s, host) == 0;
        bool mine = same_host && pid == (long)getpid();
        /* Gone: a dead process here, or elsewhere a worker whose claim expired. */
        bool gone = same_host ? !process_alive(pid) : claim_expired(s, tenant);
        if (!mine && !gone) {
            *holder_is_sync = cmd.type == CO_TEXT && strcmp(cmd.s, "sync") == 0;
            rc = co_error_set(err, CO_EBUSY,
                              "tenant %s is held by cutover %s, pid %ld on %s since %s; wait for "
                              "it to finish (a lease whose process is gone is taken over)",
                              tenant, cmd.type == CO_TEXT ? cmd.s : "?", pid,
                              h.type == CO_TEXT ? h.s : "?", at.type == CO_TEXT ? at.s : "?");
        } else if (!mine)
            gone_pid = pid;
    }
    co_cursor_close(c);
    if (rc == CO_OK) {
        co_param p[] = {key,
                        {NULL, co_int(getpid())},
                        {NULL, co_text(host, strlen(host))},
                        {NULL, co_text(command, strlen(command))},
                        {NULL, co_text(now, strlen(now))}};
        rc = co_store_exec_params(s,
                                  "INSERT INTO leases (tenant, pid, host, command, started_at)"
                                  " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET"
                                  " pid = excluded.pid, host = excluded.host,"
                                  " command = excluded.command, started_at = excluded.started_at",
                                  p, 5, NULL, err);
    }
    /* A run whose process died (SIGKILL, power loss) never wrote its end:
     * the run that takes the tenant over journals it as interrupted, so that
     * no report says "running" of a process that is gone. */
    if (rc == CO_OK && gone_pid) {
        char why[160];
        snprintf(why, sizeof why, "interrupted: its process (pid %ld) is gone; taken over by pid %ld",
                 gone_pid, (long)getpid());
        co_param p[] = {{NULL, co_text(now, strlen(now))},
                        {NULL, co_text(why, strlen(why))},
                        key,
                        {NULL, co_int(gone_pid)}};
        rc = co_store_exec_params(s,
                                  "UPDATE runs SET status = 'interrupted', ended_at = ?,"
                                  " error = coalesce(error, ?)"
                                  " WHERE tenant = ? AND status = 'running' AND pid = ?",
                                  p, 4, NULL, err);
    }
    if (rc == CO_OK)
        rc = co_store_commit(s, err);
    else
        co_store_rollback(s);
    if (rc == CO_OK)
        *held = 1;
    else
        Co_state_registry_drop(st, tenant);
    return rc;
}

co_code co_state_lease(co_state *st, const char *tenant, const char *command, co_error *err)
{
    bool holder_is_sync;
    return lease_take(st, tenant, command, &holder_is_sync, err);
}

co_code Co_state_lease_wait(co_state *st, const char *tenant, const char *command,
                            bool sync_only, co_error *err)
{
    double started = Co_clock_mono();
    co_code rc;
    bool holder_is_sync;
    while ((rc = lease_take(st, tenant, command, &holder_is_sync, err)) == CO_EBUSY &&
           (!sync_only || holder_is_sync) && Co_clock_mono() - started < 30) {
        Co_pause_ms(50);
        co_error_clear(err);
    }
    return rc;
}

co_code co_state_unlease(co_state *st, const char *tenant, co_error *err)
{
    int *held = Co_state_held(st, tenant, false);
    if (!held || *held == 0)
        return CO_OK;
    if (--*held > 0)
        return CO_OK;
    Co_state_registry_drop(st, tenant);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(getpid())}};
    return co_store_exec_params(Co_state_store(st), "DELETE FROM leases WHERE tenant = ? AND pid = ?",
                                p, 2, NULL, err);
}

static const co_jq co_q_rehearsal_add = {
    "INSERT INTO rehearsals (tenant, project_hash, status, reasons, rows, rejected, seconds, at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_rehearsal_last = {
    "SELECT status FROM rehearsals WHERE tenant = ? AND project_hash = ?"
    " AND status IN ('pass', 'fail') ORDER BY id DESC LIMIT 1"};

static const co_jq co_q_route_set = {
    "INSERT INTO routes (tenant, route, changed_at, switched_at, freeze_seconds, run_id)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET route = excluded.route,"
    " changed_at = excluded.changed_at,"
    " switched_at = coalesce(excluded.switched_at, routes.switched_at),"
    " freeze_seconds = coalesce(excluded.freeze_seconds, routes.freeze_seconds),"
    " run_id = coalesce(excluded.run_id, routes.run_id)"};

static const co_jq co_q_route_get = {"SELECT route FROM routes WHERE tenant = ?"};

static const co_jq co_q_applied_get = {
    "SELECT applied_seq FROM capture_progress WHERE tenant = ?"};

co_code co_state_rehearsal_record(co_state *st, const char *tenant, const char *project_hash,
                                  const char *status, const char *reasons, int64_t rows,
                                  int64_t rejected, double seconds, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(project_hash, strlen(project_hash))},
                    {NULL, co_text(status, strlen(status))},
                    {NULL, reasons ? co_text(reasons, strlen(reasons)) : co_null()},
                    {NULL, co_int(rows)},
                    {NULL, co_int(rejected)},
                    {NULL, co_real(seconds)},
                    {NULL, co_text(now, strlen(now))}};
    return Co_state_write(st, &co_q_rehearsal_add, p, 8, NULL, err);
}

co_code co_state_rehearsal_passed(co_state *st, const char *tenant, const char *project_hash,
                                  bool *passed, co_error *err)
{
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(project_hash, strlen(project_hash))}};
    char status[8] = "";
    co_code rc = Co_state_read_text(st, &co_q_rehearsal_last, p, 2, status, sizeof status, NULL,
                                    err);
    *passed = rc == CO_OK && strcmp(status, "pass") == 0;
    return rc;
}

co_code co_state_route_set(co_state *st, const char *tenant, const char *route,
                           double freeze_seconds, int64_t run_id, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    bool to_new = strcmp(route, "new") == 0;
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(route, strlen(route))},
                    {NULL, co_text(now, strlen(now))},
                    {NULL, to_new ? co_text(now, strlen(now)) : co_null()},
                    {NULL, to_new ? co_real(freeze_seconds) : co_null()},
                    {NULL, run_id ? co_int(run_id) : co_null()}};
    return Co_state_write(st, &co_q_route_set, p, 6, NULL, err);
}

co_code co_state_route_get(co_state *st, const char *tenant, char *route, size_t cap,
                           co_error *err)
{
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    snprintf(route, cap, "old");
    return Co_state_read_text(st, &co_q_route_get, &p, 1, route, cap, NULL, err);
}

co_code co_state_applied_get(co_state *st, const char *tenant, int64_t *seq, co_error *err)
{
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    *seq = 0;
    return Co_state_read_int(st, &co_q_applied_get, &p, 1, seq, NULL, err);
}

co_code co_state_applied_set(co_state *st, const char *tenant, int64_t seq, co_error *err)
{
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(seq)}};
    return co_store_exec_params(Co_state_store(st),
                                "INSERT INTO capture_progress (tenant, applied_seq) VALUES (?, ?)"
                                " ON CONFLICT (tenant) DO UPDATE SET applied_seq = excluded.applied_seq",
                                p, 2, NULL, err);
}

/* ---- claims of workers sharing a journal ---- */

static void iso_in(int seconds, char *buf, size_t cap)
{
    Co_clock_iso(Co_clock_now() + seconds, buf, cap);
}

/* The first tenant a worker may claim: not done, not claimed by a live
 * worker, not in a paused cohort. */
#define CLAIM_PICK_SQL                                                                     \
    "SELECT t.tenant FROM tenants t LEFT JOIN claims c ON c.tenant = t.tenant"     \
    " WHERE t.state NOT IN ('switched', 'migrated', 'verified', 'finalized')"      \
    " AND (c.tenant IS NULL OR (c.status = 'running' AND c.expires_at < :now))"    \
    " AND t.tenant NOT IN (SELECT pt.tenant FROM plan_tenants pt"                  \
    "  JOIN paused_cohorts pc ON pc.cohort = pt.cohort" /* paused: not claimed */  \
    "  WHERE pt.plan_id = (SELECT max(id) FROM plans))"                            \
    " ORDER BY length(t.tenant), t.tenant LIMIT 1"

/* One attempt: picks the first unclaimed tenant and claims it. *taken is false
 * when another worker claimed that tenant between the pick and the claim, or
 * when every tenant left was locked by another transaction (SKIP LOCKED saw
 * none): the caller tries again. */
static co_code claim_once(co_store *s, const char *worker, const char *now, const char *until,
                          char *tenant, size_t cap, bool *taken, co_error *err)
{
    bool row_locks = co_store_caps(s).row_locks;
    *taken = true;
    tenant[0] = '\0';
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, CLAIM_PICK_SQL);
    if (row_locks) /* other workers skip the row this one is taking */
        Co_buf_adds(&sql, " FOR UPDATE OF t SKIP LOCKED");
    co_param now_p = {":now", co_text(now, strlen(now))};
    co_cursor *c = NULL;
    co_code rc = co_store_begin(s, err);
    if (rc == CO_OK)
        rc = co_store_query(s, co_buf_str(&sql), &now_p, 1, &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        snprintf(tenant, cap, "%.*s", (int)v.len, v.s ? v.s : "");
    }
    co_cursor_close(c);
    Co_buf_release(&sql);
    if (rc == CO_OK && !has_row && row_locks) {
        /* Skipped rows are not "none left": another worker's transaction may
         * hold every tenant row for an instant (its claim, its start). */
        int64_t left = 0;
        rc = co_store_query_int(s, "SELECT count(*) FROM (" CLAIM_PICK_SQL ") AS q", &now_p, 1,
                               &left, NULL, err);
        *taken = rc != CO_OK || left == 0;
    }
    if (rc == CO_OK && tenant[0]) {
        /* The pick read claims as of its own start: a worker that claimed the
         * same tenant and committed meanwhile is seen here, where the conflict
         * is judged on the newest row. */
        co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                        {NULL, co_text(worker, strlen(worker))},
                        {NULL, co_text(now, strlen(now))},
                        {NULL, co_text(until, strlen(until))},
                        {NULL, co_text(now, strlen(now))}};
        long long changed = 0;
        rc = co_store_exec_params(s,
                                  "INSERT INTO claims (tenant, worker, status, claimed_at, expires_at)"
                                  " VALUES (?, ?, 'running', ?, ?) ON CONFLICT (tenant) DO UPDATE SET"
                                  " worker = excluded.worker, status = 'running',"
                                  " claimed_at = excluded.claimed_at,"
                                  " expires_at = excluded.expires_at"
                                  " WHERE claims.status = 'running' AND claims.expires_at < ?",
                                  p, 5, &changed, err);
        *taken = rc != CO_OK || changed == 1;
    }
    if (rc == CO_OK)
        rc = co_store_commit(s, err);
    else
        co_store_rollback(s);
    return rc;
}

co_code co_state_claim(co_state *st, const char *worker, int lease_seconds, char *tenant,
                       size_t cap, co_error *err)
{
    co_store *s = Co_state_store(st);
    char now[32], until[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    iso_in(lease_seconds, until, sizeof until);
    /* Each lost race means another worker took a tenant or holds the rows an
     * instant: the attempts are few, a short pause between them. */
    for (int attempt = 0;; attempt++) {
        bool taken;
        co_code rc = claim_once(s, worker, now, until, tenant, cap, &taken, err);
        if (rc != CO_OK || taken)
            return rc;
        if (attempt == 500) { /* rows held 10 s: nothing to claim now */
            tenant[0] = '\0';
            return CO_OK;
        }
        if (attempt > 0)
            Co_pause_ms(20);
    }
}

co_code co_state_claim_renew(co_state *st, const char *tenant, const char *worker,
                             int lease_seconds, co_error *err)
{
    char until[32];
    iso_in(lease_seconds, until, sizeof until);
    co_param p[] = {{NULL, co_text(until, strlen(until))},
                    {NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(worker, strlen(worker))}};
    return co_store_exec_params(Co_state_store(st),
                                "UPDATE claims SET expires_at = ? WHERE tenant = ? AND worker = ?",
                                p, 3, NULL, err);
}

co_code co_state_claim_end(co_state *st, const char *tenant, const char *worker,
                           const char *status, co_error *err)
{
    co_param p[] = {{NULL, co_text(status, strlen(status))},
                    {NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(worker, strlen(worker))}};
    return co_store_exec_params(Co_state_store(st),
                                "UPDATE claims SET status = ? WHERE tenant = ? AND worker = ?", p,
                                3, NULL, err);
}
