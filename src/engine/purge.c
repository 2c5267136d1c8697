/*
 * purge.c: removing a tenant from the destination, children before parents.
 * Entities with a tenant_column are purged by that column; the others, and
 * those whose target assigns keys (target_key), by the keys their id map
 * recorded. Used before a load (leftovers of an interrupted
 * run), after a failed load, and by rollback (after a rollback by reverse
 * sync, later: capture/rollback.c). A purge goes in one transaction of the
 * destination, or in chunks of a bounded number of rows, each in a
 * transaction of its own (Co_purge_plan), so that another writer waits for
 * one chunk at most; a purge stopped between chunks is finished by the next.
 */
#include "cutover/migrate.h"
#include "cutover/traces.h"
#include "engine/engine_int.h"
#include "engine/session.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/grow.h"
#include "util/key.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* A purge under way: its plan, the transaction open on the destination (and
 * the journal's), and the rows deleted so far. */
typedef struct purge_run {
    co_session *s;
    const co_tenant *t;
    const Co_purge_plan *plan;
    bool open;       /* a destination transaction, entered (plan->enter) */
    bool state_open; /* a journal transaction beside it */
    size_t in_tx;    /* rows (or id map keys) deleted in the open transaction */
    int64_t rows;    /* rows deleted, all entities */
    int64_t entity_rows;
    size_t entity;
    double started;
    bool stopped;    /* the time budget ran out: the rest waits for the next call */
} purge_run;

static co_code tx_open(purge_run *r, bool with_state, co_error *err)
{
    co_code rc = CO_OK;
    if (!r->open) {
        rc = co_store_begin(r->s->dest, err);
        r->open = rc == CO_OK;
        r->in_tx = 0;
        if (rc == CO_OK && r->plan->enter)
            rc = r->plan->enter(r->plan->ctx, err);
    }
    if (rc == CO_OK && with_state && !r->state_open) {
        rc = co_state_begin(r->s->state, err);
        r->state_open = rc == CO_OK;
    }
    return rc;
}

/* Undoes what is open (after a failure). */
static void tx_abandon(purge_run *r)
{
    if (r->open)
        co_store_rollback(r->s->dest);
    if (r->state_open)
        co_state_rollback(r->s->state);
    r->open = r->state_open = false;
}

static void progress(purge_run *r, bool done)
{
    const co_project *p = r->s->project;
    if (!r->plan->progress)
        return;
    co_progress pr = {r->t->key, p->entities[r->entity].name, p->nentities - 1 - r->entity,
                      p->nentities, r->entity_rows, -1, done};
    r->plan->progress(r->plan->progress_ctx, &pr);
}

/* Commits the open transaction: the destination first (an id map must
 * never lose keys whose rows remain), then the journal; last: it ends the
 * purge (plan->leave says so). */
static co_code tx_commit(purge_run *r, bool last, co_error *err)
{
    co_code rc = r->plan->leave ? r->plan->leave(r->plan->ctx, last, err) : CO_OK;
    if (rc == CO_OK)
        rc = co_store_commit(r->s->dest, err);
    if (rc == CO_OK)
        r->open = false;
    if (rc == CO_OK && r->state_open)
        rc = co_state_commit(r->s->state, err);
    if (rc == CO_OK)
        r->state_open = false;
    return rc;
}

/* After a delete of n rows: in chunks, the transaction commits once it holds
 * a chunk; a test build may die between chunks (test_switch); past the time
 * budget the purge stops there. */
static co_code after_delete(purge_run *r, long long n, co_error *err)
{
    r->in_tx += n > 0 ? (size_t)n : 1;
    r->rows += n > 0 ? n : 0;
    r->entity_rows += n > 0 ? n : 0;
    if (!r->plan->chunk_rows || r->in_tx < r->plan->chunk_rows)
        return CO_OK;
    co_code rc = tx_commit(r, false, err);
    if (rc != CO_OK)
        return rc;
    (void)Co_fault_sim(CO_FAULT_PURGE_CHUNK);
    progress(r, false);
    if (r->plan->max_seconds > 0 && Co_clock_mono() - r->started >= r->plan->max_seconds)
        r->stopped = true;
    return CO_OK;
}

/* "DELETE FROM target WHERE tenant_column = ?" for the entity's table on
 * the destination. */
static void delete_tenant_sql(co_session *s, const co_entity *e, co_buf *sql)
{
    Co_buf_adds(sql, "DELETE FROM ");
    co_store_quote_ident(s->dest, e->target, sql);
    Co_buf_adds(sql, " WHERE ");
    co_store_quote_ident(s->dest, e->tenant_column, sql);
    Co_buf_adds(sql, " = ?");
}

/* The entity's key columns, quoted, comma-separated. */
static void key_list(co_session *s, const co_entity *e, co_buf *sql)
{
    for (size_t k = 0; k < e->nkey; k++) {
        Co_buf_adds(sql, k ? ", " : "");
        co_store_quote_ident(s->dest, e->key[k], sql);
    }
}

/* The chunks' bounds: the key of every chunk-th row of the tenant's in the
 * entity's table, in key order, each an exact key (Co_key_encode_exact);
 * none when the rows fit one chunk or a key column is NULL somewhere (the
 * rest then goes in one). */
static co_code find_bounds(purge_run *r, const co_entity *e, char ***bounds, size_t *nbounds,
                           co_error *err)
{
    co_session *s = r->s;
    co_buf sql = CO_BUF_INIT, key = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    key_list(s, e, &sql);
    Co_buf_adds(&sql, " FROM ");
    co_store_quote_ident(s->dest, e->target, &sql);
    Co_buf_adds(&sql, " WHERE ");
    co_store_quote_ident(s->dest, e->tenant_column, &sql);
    Co_buf_adds(&sql, " = ? ORDER BY ");
    for (size_t k = 0; k < e->nkey; k++)
        Co_buf_printf(&sql, "%s%zu", k ? ", " : "", k + 1);
    co_param tenant = {NULL, r->t->value};
    co_cursor *c = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(s->dest, co_buf_str(&sql), &tenant, 1, &c, err);
    Co_buf_release(&sql);
    size_t cap = 0, n = 0, every = r->plan->chunk_rows;
    bool has_row, nulls = false;
    co_value vals[64];
    while (rc == CO_OK && !nulls && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t k = 0; k < e->nkey; k++)
            nulls |= (vals[k] = co_cursor_value(c, k)).type == CO_NULL;
        if (++n % every)
            continue;
        Co_buf_reset(&key);
        Co_key_encode_exact(&key, vals, e->nkey);
        char *b = key.failed ? NULL : strdup(co_buf_str(&key));
        if (!b || !CO_GROW(*bounds, cap, *nbounds + 1, 16)) {
            free(b);
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        } else {
            (*bounds)[(*nbounds)++] = b;
        }
    }
    co_cursor_close(c);
    Co_buf_release(&key);
    if (nulls)
        while (*nbounds)
            free((*bounds)[--*nbounds]);
    return rc;
}

/* " AND key > (?...)" (op ">") or " AND key <= (?...)" for bound (an exact
 * key of the entity), its values after params[*n]. */
static co_code key_bound(purge_run *r, const co_entity *e, const char *op, const char *bound,
                         co_buf *sql, co_value *vals, size_t *n, co_buf *storage, co_error *err)
{
    size_t got = 0;
    co_code rc = Co_key_decode(bound, vals + *n, e->nkey, &got, storage, err);
    if (rc == CO_OK && got != e->nkey)
        rc = co_error_set(err, CO_EINTERNAL, "a purge chunk's bound of %zu values", got);
    Co_buf_adds(sql, e->nkey > 1 ? " AND (" : " AND ");
    key_list(r->s, e, sql);
    Co_buf_printf(sql, e->nkey > 1 ? ") %s (" : " %s ", op);
    for (size_t k = 0; k < got; k++)
        Co_buf_adds(sql, k ? ", ?" : "?");
    Co_buf_adds(sql, e->nkey > 1 ? ")" : "");
    *n += got;
    return rc;
}

/* Deletes the tenant's rows of the entity whose key is above lo (NULL: no
 * lower bound) and at most hi (NULL: all that are left, the entity's last
 * rows) in the open transaction. Both bounds keep the statement to the
 * chunk's key range, which an index on the key reaches directly. */
static co_code delete_range(purge_run *r, const co_entity *e, const char *lo, const char *hi,
                            co_error *err)
{
    co_buf sql = CO_BUF_INIT, storage[2] = {CO_BUF_INIT, CO_BUF_INIT};
    co_value vals[129];
    size_t n = 1;
    vals[0] = r->t->value;
    delete_tenant_sql(r->s, e, &sql);
    co_code rc = CO_OK;
    if (hi && lo)
        rc = key_bound(r, e, ">", lo, &sql, vals, &n, &storage[0], err);
    if (hi && rc == CO_OK)
        rc = key_bound(r, e, "<=", hi, &sql, vals, &n, &storage[1], err);
    long long changed = 0;
    co_param params[129];
    for (size_t k = 0; k < n; k++)
        params[k] = (co_param){NULL, vals[k]};
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_exec_params(r->s->dest, co_buf_str(&sql), params, n, &changed,
                                               err);
    Co_buf_release(&sql);
    Co_buf_release(&storage[0]);
    Co_buf_release(&storage[1]);
    if (rc == CO_OK && hi)
        rc = after_delete(r, changed, err);
    else if (rc == CO_OK) { /* the entity's last rows: counted, committed with its journal */
        r->rows += changed;
        r->entity_rows += changed;
    }
    return rc;
}

static co_code purge_by_tenant_column(purge_run *r, const co_entity *e, co_error *err)
{
    char **bounds = NULL;
    size_t nbounds = 0;
    co_code rc = r->plan->chunk_rows ? find_bounds(r, e, &bounds, &nbounds, err) : CO_OK;
    for (size_t i = 0; rc == CO_OK && i < nbounds && !r->stopped; i++) {
        rc = tx_open(r, false, err);
        if (rc == CO_OK)
            rc = delete_range(r, e, i ? bounds[i - 1] : NULL, bounds[i], err);
    }
    while (nbounds)
        free(bounds[--nbounds]);
    free(bounds);
    if (rc == CO_OK && !r->stopped)
        rc = tx_open(r, true, err);
    if (rc == CO_OK && !r->stopped)
        rc = delete_range(r, e, NULL, NULL, err);
    return rc;
}

static co_code purge_by_id_map(purge_run *r, const co_entity *e, co_error *err)
{
    co_session *s = r->s;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "DELETE FROM ");
    co_store_quote_ident(s->dest, e->target, &sql);
    Co_buf_adds(&sql, " WHERE ");
    /* The id map holds what the target holds: the key columns' values, or the
     * key the target gave (target_key). */
    size_t nkey = e->target_key ? 1 : e->nkey;
    for (size_t k = 0; k < nkey; k++) {
        if (k)
            Co_buf_adds(&sql, " AND ");
        co_store_quote_ident(s->dest, e->target_key ? e->target_key : e->key[k], &sql);
        Co_buf_adds(&sql, " IS ?"); /* IS: a NULL key part matches too */
    }
    if (sql.failed) {
        Co_buf_release(&sql);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_stmt *del = NULL;
    co_cursor *c = NULL;
    co_code rc = tx_open(r, false, err);
    if (rc == CO_OK)
        rc = co_store_prepare(s->dest, co_buf_str(&sql), &del, err);
    /* The id map stays whole until the entity's rows are gone (its keys
     * deleted again by a purge that went on from here delete nothing). */
    if (rc == CO_OK)
        rc = co_state_idmap_query(s->state, r->t->key, e->name, &c, err);
    co_buf storage = CO_BUF_INIT;
    co_value vals[64];
    bool has_row;
    while (rc == CO_OK && !r->stopped && (rc = co_cursor_next(c, &has_row, err)) == CO_OK &&
           has_row) {
        co_value target_key = co_cursor_value(c, 1);
        size_t n = 0;
        long long changed = 0;
        Co_buf_reset(&storage);
        rc = Co_key_decode(target_key.s ? target_key.s : "", vals, 64, &n, &storage, err);
        if (rc == CO_OK && n != nkey)
            rc = co_error_set(err, CO_ESTATE, "state: id map key %s does not have %zu values",
                              target_key.s ? target_key.s : "(null)", nkey);
        if (rc == CO_OK)
            rc = tx_open(r, false, err);
        if (rc == CO_OK)
            rc = co_stmt_exec(del, vals, n, &changed, err);
        if (rc == CO_OK)
            rc = after_delete(r, changed, err);
    }
    Co_buf_release(&storage);
    Co_buf_release(&sql);
    co_cursor_close(c);
    co_stmt_close(del);
    if (rc == CO_OK && !r->stopped)
        rc = tx_open(r, true, err);
    return rc;
}

co_code co_purge_tenant(co_session *s, const co_tenant *t, co_error *err)
{
    Co_purge_plan whole = {0};
    bool done = false;
    return Co_purge_tenant_run(s, t, &whole, &done, NULL, err);
}

co_code Co_purge_tenant_run(co_session *s, const co_tenant *t, const Co_purge_plan *plan,
                            bool *done, int64_t *rows, co_error *err)
{
    *done = false;
    if (rows)
        *rows = 0;
    /* Whatever the journal says, a tenant the target marks switched may hold
     * the new system's writes: only rollback, which exports them first, may
     * purge it (it marks the tenant exported). */
    char mark[32] = "";
    co_code rc = co_store_side(s->dest) == CO_SIDE_TARGET
                     ? co_traces_state(s->dest, t->key, mark, sizeof mark, err)
                     : CO_OK;
    if (rc == CO_OK && strcmp(mark, "switched") == 0)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s is marked switched in the target: its rows there may hold "
                            "the new system's writes, and are purged only by cutover rollback, "
                            "which exports them first",
                            t->key);
    purge_run r = {.s = s, .t = t, .plan = plan, .started = Co_clock_mono()};
    /* In one transaction, the journal's beside it from the start. */
    if (rc == CO_OK && !plan->chunk_rows)
        rc = tx_open(&r, true, err);
    for (size_t i = s->project->nentities; rc == CO_OK && !r.stopped && i-- > 0;) {
        const co_entity *e = &s->project->entities[i];
        r.entity = i;
        r.entity_rows = 0;
        /* A target that assigns keys is live: the rows of the tenant are the
         * ones the id map names, never the new system's own. */
        if (e->tenant_column && !e->target_key)
            rc = purge_by_tenant_column(&r, e, err);
        else
            rc = purge_by_id_map(&r, e, err);
        /* Its rows gone in the open transaction, its id map and merges go in
         * the journal's, committed after it. */
        if (rc == CO_OK && !r.stopped)
            rc = co_state_idmap_clear(s->state, t->key, e->name, err);
        if (rc == CO_OK && !r.stopped)
            rc = co_state_merges_clear(s->state, t->key, e->name, err);
        if (rc == CO_OK && !r.stopped && plan->chunk_rows)
            rc = tx_commit(&r, i == 0, err);
        if (rc == CO_OK && !r.stopped)
            progress(&r, true);
        if (rc != CO_OK)
            co_error_where(err, "purging entity %s", e->name);
    }
    if (rc == CO_OK && !r.stopped && r.open)
        rc = tx_commit(&r, true, err);
    if (rc != CO_OK)
        tx_abandon(&r);
    *done = rc == CO_OK && !r.stopped;
    if (rows)
        *rows = r.rows;
    return rc;
}
