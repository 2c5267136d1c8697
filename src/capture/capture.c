/*
 * capture.c: change capture and freezing (capture.h). One set of triggers per
 * captured table serves every tenant in flight: they record a change only for
 * tenants listed in cutover_tenants. A freeze is a row of cutover_frozen
 * whose heartbeat the triggers check: a freeze whose heartbeat lapsed refuses
 * nothing. The store writes each engine's tables and triggers
 * (co_store_capture_*, store/sqlite_capture.c, pg_capture.c and
 * mysql_capture.c) and says where the tables live (co_store_capture_table);
 * this file keeps the tenants' rows and reads the change log, in SQL that
 * every engine reads alike (no upsert: an UPDATE, then an INSERT when it
 * changed nothing; the caller holds the tenant's lease).
 */
#include "capture/capture_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A switched tenant's freeze: it holds until a rollback or finalize. */
#define SEALED_BOUND "1e12"

/* tmpl with {changes}, {tenants} and {frozen} replaced by the capture
 * tables' names as the store writes them, and {key} by the quoted column. */
static void capture_sql(co_store *st, const char *tmpl, co_buf *out)
{
    static const struct {
        const char *mark, *table;
    } names[] = {{"{changes}", "cutover_changes"},
                 {"{tenants}", "cutover_tenants"},
                 {"{frozen}", "cutover_frozen"}};
    for (const char *p = tmpl; *p;) {
        size_t i = 0;
        while (i < 3 && strncmp(p, names[i].mark, strlen(names[i].mark)) != 0)
            i++;
        if (i < 3) {
            co_store_capture_table(st, names[i].table, out);
            p += strlen(names[i].mark);
        } else if (strncmp(p, "{key}", 5) == 0) {
            co_store_quote_ident(st, "key", out);
            p += 5;
        } else {
            Co_buf_addc(out, *p++);
        }
    }
}

/* Runs tmpl (capture_sql) with its parameters. */
static co_code capture_exec(co_store *st, const char *tmpl, const co_param *params, size_t n,
                            long long *changes, co_error *err)
{
    co_buf sql = CO_BUF_INIT;
    capture_sql(st, tmpl, &sql);
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec_params(st, co_buf_str(&sql), params, n, changes, err);
    Co_buf_release(&sql);
    return rc;
}

/* The project's captured tables as the store takes them (pointing into p).
 * The caller frees the array. */
static co_code specs_of(const co_project *p, co_capture_spec **out, co_error *err)
{
    *out = calloc(p->ncapture ? p->ncapture : 1, sizeof **out);
    if (!*out)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->ncapture; i++) {
        const co_capture_table *t = &p->capture[i];
        (*out)[i] = (co_capture_spec){t->table, t->tenant, (const char *const *)t->key, t->nkey};
    }
    return CO_OK;
}

/* A start or stop whose bounded wait for a lock gave up (SQLSTATE 55P03,
 * co_store_capture_serialize) is tried again after a pause, for a minute or
 * so. */
static bool try_again(int attempt, const co_error *e)
{
    if (strcmp(e->sqlstate, "55P03") != 0 || attempt >= 200)
        return false;
    Co_pause_ms(50);
    return true;
}

typedef co_code (*capture_step)(co_store *st, const co_project *p, const char *tenant,
                                co_error *err);

/* once, and again while try_again says so. */
static co_code with_retries(capture_step once, co_store *st, const co_project *p,
                            const char *tenant, co_error *err)
{
    co_error e;
    co_code rc;
    for (int attempt = 0;; attempt++) {
        if (err)
            e = *err;
        else
            co_error_clear(&e);
        rc = once(st, p, tenant, &e);
        if (rc == CO_OK || !try_again(attempt, &e))
            break;
    }
    if (rc != CO_OK && err)
        *err = e;
    return rc;
}

static co_code start_once(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_capture_spec *specs = NULL;
    co_code rc = specs_of(p, &specs, err);
    if (rc == CO_OK)
        rc = co_store_begin(st, err);
    if (rc != CO_OK) {
        free(specs);
        return rc;
    }
    rc = co_store_capture_serialize(st, err);
    if (rc == CO_OK)
        rc = co_store_capture_install(st, specs, p->ncapture, err);
    free(specs);
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param params[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_text(now, strlen(now))}};
    int64_t there = 0;
    if (rc == CO_OK) {
        co_buf sql = CO_BUF_INIT;
        capture_sql(st, "SELECT count(*) FROM {tenants} WHERE tenant = ?", &sql);
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query_int(st, co_buf_str(&sql), params, 1, &there, NULL, err);
        Co_buf_release(&sql);
    }
    if (rc == CO_OK && !there)
        rc = capture_exec(st, "INSERT INTO {tenants} (tenant, since) VALUES (?, ?)", params, 2, NULL,
                          err);
    if (rc == CO_OK)
        rc = co_store_commit(st, err);
    else
        co_store_rollback(st);
    return rc;
}

co_code co_capture_start(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_code rc = co_store_capture_supported(st, err);
    if (rc == CO_OK && p->ncapture == 0)
        rc = co_error_set(err, CO_EPROJECT, "the project file lists no tables to capture");
    return rc == CO_OK ? with_retries(start_once, st, p, tenant, err) : rc;
}

/* The freeze row: its since, this process, a fresh heartbeat, the bound. */
static co_code freeze_row(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param params[] = {{NULL, co_text(tenant, strlen(tenant))},
                         {NULL, co_text(now, strlen(now))},
                         {NULL, co_int((int64_t)getpid())},
                         {NULL, co_int(p->freeze_heartbeat_seconds > 0 ? p->freeze_heartbeat_seconds : 5)}};
    /* the same values in the order of the UPDATE: since, pid, bound, tenant */
    co_param update[] = {params[1], params[2], params[3], params[0]};
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "UPDATE {frozen} SET since = ?, pid = ?, beat = %s, bound = ? WHERE tenant = ?",
                  co_store_epoch_sql(st));
    long long changed = 0;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : capture_exec(st, co_buf_str(&sql), update, 4, &changed, err);
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "INSERT INTO {frozen} (tenant, since, pid, beat, bound) VALUES (?, ?, ?, %s, ?)",
                  co_store_epoch_sql(st));
    if (rc == CO_OK && changed == 0)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : capture_exec(st, co_buf_str(&sql), params, 4, NULL, err);
    Co_buf_release(&sql);
    return rc;
}

/* Freezes (create) or thaws the tenant: the store's part (triggers, a
 * barrier) and the tenant's row of cutover_frozen, in one transaction. */
static co_code freeze_triggers(co_store *st, const co_project *p, const char *tenant, bool create,
                               co_error *err)
{
    co_capture_spec *specs = NULL;
    co_code rc = co_store_capture_supported(st, err);
    if (rc == CO_OK)
        rc = specs_of(p, &specs, err);
    if (rc == CO_OK)
        rc = co_store_begin(st, err);
    if (rc != CO_OK) {
        free(specs);
        return rc;
    }
    rc = co_store_capture_freeze(st, specs, p->ncapture, tenant, create, err);
    free(specs);
    co_param key = {NULL, co_text(tenant, strlen(tenant))};
    if (rc == CO_OK)
        rc = create ? freeze_row(st, p, tenant, err)
                    : capture_exec(st, "DELETE FROM {frozen} WHERE tenant = ?", &key, 1, NULL, err);
    if (rc == CO_OK)
        rc = co_store_commit(st, err);
    else
        co_store_rollback(st);
    return rc;
}

/* Renews the heartbeat of this process's fresh freeze of the tenant; with
 * bound, sets its bound too. *renewed: whether there was one. */
static co_code renew(co_store *st, const char *tenant, const char *bound, bool *renewed,
                     co_error *err)
{
    co_param params[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int((int64_t)getpid())}};
    const char *epoch = co_store_epoch_sql(st);
    co_buf sql = CO_BUF_INIT;
    capture_sql(st, "UPDATE {frozen}", &sql);
    Co_buf_printf(&sql, " SET beat = %s", epoch);
    if (bound)
        Co_buf_printf(&sql, ", bound = %s", bound);
    Co_buf_printf(&sql, " WHERE tenant = ? AND pid = ? AND beat + bound > %s", epoch);
    long long changed = 0;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec_params(st, co_buf_str(&sql), params, 2, &changed, err);
    Co_buf_release(&sql);
    *renewed = rc == CO_OK && changed == 1;
    return rc;
}

co_code co_capture_seal(co_store *st, const char *tenant, bool *sealed, co_error *err)
{
    return renew(st, tenant, SEALED_BOUND, sealed, err);
}

co_code co_capture_heartbeat(co_store *st, const char *tenant, bool *fresh, co_error *err)
{
    return renew(st, tenant, NULL, fresh, err);
}

co_code co_capture_freeze(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    return freeze_triggers(st, p, tenant, true, err);
}

co_code co_capture_unfreeze(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    return freeze_triggers(st, p, tenant, false, err);
}

/* Forgets the tenant's changes; the last tenant out removes everything
 * cutover added. */
static co_code stop_once(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_code rc = co_store_begin(st, err);
    if (rc == CO_OK)
        rc = co_store_capture_serialize(st, err);
    co_param key = {NULL, co_text(tenant, strlen(tenant))};
    if (rc == CO_OK)
        rc = capture_exec(st, "DELETE FROM {tenants} WHERE tenant = ?", &key, 1, NULL, err);
    if (rc == CO_OK)
        rc = capture_exec(st, "DELETE FROM {changes} WHERE tenant = ?", &key, 1, NULL, err);
    co_cursor *c = NULL;
    bool others = false;
    co_buf any = CO_BUF_INIT;
    capture_sql(st, "SELECT 1 FROM {tenants} LIMIT 1", &any);
    if (rc == CO_OK)
        rc = any.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query(st, co_buf_str(&any), NULL, 0, &c, err);
    Co_buf_release(&any);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &others, err);
    co_cursor_close(c);
    co_capture_spec *specs = NULL;
    if (rc == CO_OK && !others)
        rc = specs_of(p, &specs, err);
    if (rc == CO_OK && !others)
        rc = co_store_capture_remove(st, specs, p->ncapture, err);
    free(specs);
    if (rc == CO_OK)
        rc = co_store_commit(st, err);
    else
        co_store_rollback(st);
    return rc;
}

co_code co_capture_stop(co_store *st, const co_project *p, const char *tenant, co_error *err)
{
    co_code rc = co_store_capture_supported(st, err);
    bool exists = false;
    if (rc == CO_OK)
        rc = co_store_capture_table_exists(st, "cutover_tenants", &exists, err);
    if (rc != CO_OK || !exists)
        return rc;
    rc = co_capture_unfreeze(st, p, tenant, err);
    return rc == CO_OK ? with_retries(stop_once, st, p, tenant, err) : rc;
}

void co_changes_free(co_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        CO_FREE(c[i].table, c[i].op, c[i].key);
    }
    free(c);
}

static char *text_of(co_value v) { return v.type == CO_TEXT ? strndup(v.s, v.len) : strdup(""); }

co_code co_capture_horizon(co_store *st, int64_t *horizon, co_error *err)
{
    return co_store_capture_horizon(st, horizon, err);
}

co_code co_capture_changes(co_store *st, const char *tenant, int64_t after, int64_t upto,
                           int64_t after_seq, size_t max, co_change **out, size_t *n,
                           co_error *err)
{
    *out = NULL;
    *n = 0;
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(after)},
                    {NULL, co_int(upto)}, {NULL, co_int(after_seq)}, {NULL, co_int((int64_t)max)}};
    co_cursor *c = NULL;
    const char *pos = co_store_capture_position(st); /* what the horizon orders */
    co_buf sql = CO_BUF_INIT;
    capture_sql(st, "SELECT seq, tbl, op, {key}, ", &sql);
    Co_buf_printf(&sql, "%s FROM ", pos);
    capture_sql(st, "{changes}", &sql);
    Co_buf_printf(&sql, " WHERE tenant = ? AND %s > ? AND %s <= ? AND seq > ? ORDER BY seq LIMIT ?",
                  pos, pos);
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(st, co_buf_str(&sql), p, 5, &c, err);
    Co_buf_release(&sql);
    co_change *arr = calloc(max ? max : 1, sizeof *arr);
    if (rc == CO_OK && !arr)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row && *n < max) {
        co_change *ch = &arr[(*n)++];
        ch->seq = co_cursor_value(c, 0).i;
        ch->table = text_of(co_cursor_value(c, 1));
        ch->op = text_of(co_cursor_value(c, 2));
        ch->key = text_of(co_cursor_value(c, 3));
        ch->pos = co_cursor_value(c, 4).i;
        if (!ch->table || !ch->op || !ch->key)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    if (rc != CO_OK) {
        co_changes_free(arr, *n);
        *n = 0;
        return rc;
    }
    *out = arr;
    return CO_OK;
}

co_code co_capture_backlog(co_store *st, const char *tenant, int64_t after, int64_t *count,
                           co_error *err)
{
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(after)}};
    *count = 0;
    co_buf sql = CO_BUF_INIT;
    capture_sql(st, "SELECT count(*) FROM {changes}", &sql);
    Co_buf_printf(&sql, " WHERE tenant = ? AND %s > ?", co_store_capture_position(st));
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query_int(st, co_buf_str(&sql), p, 2, count, NULL, err);
    Co_buf_release(&sql);
    return rc;
}

/* A query of one integer over the change log: tmpl as capture_sql, then,
 * when where, the tenant's changes at or below a position (parameters
 * tenant and position) and tail. */
static co_code log_int(co_store *st, const char *tmpl, bool where, const char *tail,
                       const co_param *p, size_t n, int64_t *value, co_error *err)
{
    co_buf sql = CO_BUF_INIT;
    capture_sql(st, tmpl, &sql);
    if (where)
        Co_buf_printf(&sql, " WHERE tenant = ? AND %s <= ?%s", co_store_capture_position(st),
                      tail);
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query_int(st, co_buf_str(&sql), p, n, value, NULL, err);
    Co_buf_release(&sql);
    return rc;
}

co_code Co_capture_prune(co_store *st, const char *tenant, int64_t upto, size_t batch,
                         size_t max_batches, size_t min_rows, int64_t *pruned, co_error *err)
{
    *pruned = 0;
    co_code rc = CO_OK;
    for (size_t b = 0; rc == CO_OK && b < max_batches; b++) {
        co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_int(upto)},
                        {NULL, co_int((int64_t)batch)}};
        /* The batch ends at the batch-th oldest change that may go (or the
         * newest of them), and short of the newest row of the whole log, so
         * that an engine whose horizon is max(seq) never sees it fall. */
        int64_t cut = 0, newest = 0, ready = 0;
        if (b == 0 && min_rows > 1) {
            rc = log_int(st, "SELECT count(*) FROM (SELECT seq FROM {changes}", true,
                         " ORDER BY seq LIMIT ?) b", p, 3, &ready, err);
            if (rc != CO_OK || ready < (int64_t)min_rows)
                break;
        }
        rc = log_int(st, "SELECT coalesce(max(seq), 0) FROM (SELECT seq FROM {changes}", true,
                     " ORDER BY seq LIMIT ?) b", p, 3, &cut, err);
        if (rc == CO_OK)
            rc = log_int(st, "SELECT coalesce(max(seq), 0) FROM {changes}", false, "", NULL, 0,
                         &newest, err);
        if (rc != CO_OK || (cut = cut < newest ? cut : newest - 1) <= 0)
            break;
        co_param d[] = {p[0], p[1], {NULL, co_int(cut)}};
        co_buf sql = CO_BUF_INIT;
        capture_sql(st, "DELETE FROM {changes}", &sql);
        Co_buf_printf(&sql, " WHERE tenant = ? AND %s <= ? AND seq <= ?",
                      co_store_capture_position(st));
        long long n = 0;
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_exec_params(st, co_buf_str(&sql), d, 3, &n, err);
        Co_buf_release(&sql);
        *pruned += n;
        if (rc == CO_OK && n > 0)
            (void)Co_fault_sim(CO_FAULT_SYNC_PRUNED);
        if (rc == CO_OK && (size_t)n < batch)
            break;
    }
    return rc;
}

co_code co_capture_is_frozen(co_store *st, const char *tenant, bool *frozen, co_error *err)
{
    co_code rc = co_store_capture_table_exists(st, "cutover_frozen", frozen, err);
    co_param p = {NULL, co_text(tenant, strlen(tenant))};
    co_cursor *c = NULL;
    co_buf sql = CO_BUF_INIT;
    capture_sql(st, "SELECT 1 FROM {frozen}", &sql);
    Co_buf_printf(&sql, " WHERE tenant = ? AND beat + bound > %s", co_store_epoch_sql(st));
    if (rc == CO_OK && *frozen)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query(st, co_buf_str(&sql), &p, 1, &c, err);
    Co_buf_release(&sql);
    if (rc == CO_OK && c)
        rc = co_cursor_next(c, frozen, err);
    co_cursor_close(c);
    return rc;
}
