/*
 * reverse.c: reverse sync (reverse_int.h, docs/coexistence.md). From its
 * switch until a rollback or finalize, a switched tenant's writes in the new
 * system are captured on the target by the same capture operations as the
 * source's (triggers over the target tables of the entities with `reverse`,
 * filtered by their tenant column) and applied to the source by `cutover
 * sync`, target to source, through each entity's `reverse` mapping: a
 * changed row read from the target and written into the source, a row gone
 * from the target deleted there.
 *
 * The reverse mark (cutover_reverse_mark, on the source) moves in the same
 * source transaction as the rows a batch wrote. The source refuses the
 * tenant's writes since the switch (its sealed freeze): a batch passes
 * through it by lifting the freeze's row inside its own transaction and
 * putting it back before the commit, so that no other session ever sees it
 * lifted (PostgreSQL and MySQL read the committed row; SQLite has one
 * writer at a time).
 */
#include "capture/reverse_int.h"
#include "cutover/capture.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a batch subtracts from the bound of the source's freeze while it
 * writes (a sealed freeze's bound is 1e12): exact in a double both ways. */
#define LIFT "2e12"

bool Co_reverse_entity(const co_entity *e) { return e->reverse && e->tenant_column; }

bool Co_reverse_missing(const co_project *p, co_buf *out)
{
    bool any = false;
    for (size_t i = 0; i < p->nentities; i++)
        if (!Co_reverse_entity(&p->entities[i])) {
            Co_buf_adds(out, any ? ", " : "");
            Co_buf_adds(out, p->entities[i].name);
            any = true;
        }
    return any;
}

void Co_reverse_notice(const co_project *p, bool started, co_cutover_result *res)
{
    res->reverse_sync = started;
    co_buf names = CO_BUF_INIT;
    bool missing = Co_reverse_missing(p, &names);
    bool any = false;
    for (size_t i = 0; i < p->nentities; i++)
        any = any || Co_reverse_entity(&p->entities[i]);
    if (!started)
        snprintf(res->reverse_notice, sizeof res->reverse_notice,
                 "no reverse sync: %s; the new system's writes are not synced back, and a "
                 "rollback after the switch carries the rows back",
                 any ? "the target's engine cannot capture changes"
                     : "no entity has a `reverse` mapping with a tenant column");
    else if (missing)
        snprintf(res->reverse_notice, sizeof res->reverse_notice,
                 "entities without a `reverse` mapping (or a tenant column) are not synced back "
                 "to the old system: %.380s",
                 co_buf_str(&names));
    Co_buf_release(&names);
}

/* The project as the target's capture sees it: its capture list the target
 * tables of the entities that go back (one each), the tenant their tenant
 * column, the key their reverse key. Free with rev_free. */
static co_code rev_project(const co_project *p, co_store *dest, co_project *out, co_error *err)
{
    *out = *p;
    out->capture = calloc(p->nentities ? p->nentities : 1, sizeof *out->capture);
    out->ncapture = 0;
    if (!out->capture)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        bool seen = false;
        for (size_t k = 0; k < out->ncapture; k++)
            seen = seen || strcmp(out->capture[k].table, e->target) == 0;
        if (!Co_reverse_entity(e) || seen)
            continue;
        co_buf tenant = CO_BUF_INIT;
        Co_buf_adds(&tenant, "{row}.");
        co_store_quote_ident(dest, e->tenant_column, &tenant);
        co_capture_table *c = &out->capture[out->ncapture++];
        c->table = e->target;
        c->key = e->reverse->key_entity;
        c->nkey = e->reverse->nkey;
        c->tenant = co_buf_detach(&tenant);
        if (!c->tenant)
            return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    return CO_OK;
}

static void rev_free(co_project *rp)
{
    for (size_t i = 0; i < rp->ncapture; i++)
        free(rp->capture[i].tenant);
    free(rp->capture);
    rp->capture = NULL;
    rp->ncapture = 0;
}

/* The entity that goes back whose target table is table; NULL when none. */
static const co_entity *entity_of(const co_project *p, const char *table)
{
    for (size_t i = 0; i < p->nentities; i++)
        if (Co_reverse_entity(&p->entities[i]) && strcmp(p->entities[i].target, table) == 0)
            return &p->entities[i];
    return NULL;
}

/* Whether a row going back holds a key the target assigned (its own, or a
 * reference's): then the id maps say the source's. */
static bool needs_keymap(const co_project *p)
{
    for (size_t i = 0; i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        if (!Co_reverse_entity(e))
            continue;
        if (e->target_key)
            return true;
        for (size_t k = 0; k < e->nrefs; k++) {
            const co_entity *parent = co_project_entity(p, e->refs[k].entity);
            if (parent && parent->target_key)
                return true;
        }
    }
    return false;
}

/* Whether the target can capture changes (co_capture_ops). */
static bool target_captures(co_session *s)
{
    co_error ignored;
    co_error_clear(&ignored);
    return co_store_capture_supported(s->dest, &ignored) == CO_OK;
}

co_code Co_reverse_begin(co_session *s, co_store *cap, const co_tenant *t, bool *started,
                         co_error *err)
{
    co_project rp;
    *started = false;
    if (!target_captures(s))
        return CO_OK;
    co_code rc = rev_project(s->project, s->dest, &rp, err);
    if (rc == CO_OK && rp.ncapture)
        rc = co_capture_start(s->dest, &rp, t->key, err);
    /* A freeze a rollback left on the target goes with this start. */
    if (rc == CO_OK && rp.ncapture)
        rc = co_capture_unfreeze(s->dest, &rp, t->key, err);
    if (rc == CO_OK && rp.ncapture)
        rc = Co_reverse_mark_now(s, cap, t, err);
    *started = rc == CO_OK && rp.ncapture > 0;
    rev_free(&rp);
    if (rc != CO_OK)
        co_error_where(err, "starting reverse capture of tenant %s on the target", t->key);
    return rc;
}

co_code Co_reverse_mark_now(co_session *s, co_store *cap, const co_tenant *t, co_error *err)
{
    int64_t horizon = 0;
    co_code rc = co_capture_horizon(s->dest, &horizon, err);
    Co_mark m = {horizon, horizon, 0, 0};
    if (rc == CO_OK)
        rc = Co_sync_mark_set(cap, true, t->key, &m, err);
    return rc;
}

co_code Co_reverse_active(co_session *s, co_store *cap, const co_tenant *t, bool *active,
                          co_error *err)
{
    Co_mark m;
    bool marked = false, there = false;
    *active = false;
    co_code rc = Co_sync_mark_get(cap, true, t->key, &m, &marked, err);
    if (rc == CO_OK && marked)
        rc = co_store_capture_table_exists(s->dest, "cutover_tenants", &there, err);
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT count(*) FROM ");
    co_store_capture_table(s->dest, "cutover_tenants", &sql);
    Co_buf_adds(&sql, " WHERE tenant = ?");
    co_param key = {NULL, co_text(t->key, strlen(t->key))};
    int64_t n = 0;
    if (rc == CO_OK && there)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query_int(s->dest, co_buf_str(&sql), &key, 1, &n, NULL, err);
    Co_buf_release(&sql);
    *active = rc == CO_OK && n > 0;
    return rc;
}

/* Lifts (sign -) or puts back (+) the source's freeze of the tenant inside
 * the caller's transaction. */
static co_code lift(co_store *cap, const char *tenant, char sign, co_error *err)
{
    bool exists = false;
    co_code rc = co_store_capture_table_exists(cap, "cutover_frozen", &exists, err);
    if (rc != CO_OK || !exists)
        return rc;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "UPDATE ");
    co_store_capture_table(cap, "cutover_frozen", &sql);
    Co_buf_printf(&sql, " SET bound = bound %c " LIFT " WHERE tenant = ?", sign);
    co_param key = {NULL, co_text(tenant, strlen(tenant))};
    rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                    : co_store_exec_params(cap, co_buf_str(&sql), &key, 1, NULL, err);
    Co_buf_release(&sql);
    return rc;
}

/* A round's writers, one per entity that goes back, opened when first needed. */
typedef struct batch {
    co_session *s;
    co_store *cap;
    const co_tenant *t;
    co_keymap *km;
    Co_reverse_writer **writers;
    int64_t refused;
    co_error refusal; /* the last row the source refused, why */
} batch;

/* Applies one change: the target's row as it is now into the source, or its
 * deletion there. */
static co_code apply_one(batch *b, const co_change *ch, co_error *err)
{
    const co_project *p = b->s->project;
    const co_entity *e = entity_of(p, ch->table);
    if (!e)
        return CO_OK; /* a table no entity goes back through (the project changed) */
    size_t i = (size_t)(e - p->entities);
    co_code rc = CO_OK;
    if (!b->writers[i])
        rc = Co_reverse_writer_open(b->s, b->cap, e, b->km, &b->writers[i], err);
    const co_reverse *r = e->reverse;
    co_value key[64], row[128];
    size_t nkey = 0;
    co_buf storage = CO_BUF_INIT, sql = CO_BUF_INIT;
    if (rc == CO_OK)
        rc = Co_key_decode(ch->key, key, 64, &nkey, &storage, err);
    if (rc == CO_OK && nkey != r->nkey)
        rc = co_error_set(err, CO_ECHANGED, "a captured key of %s has %zu values, not %zu",
                          ch->table, nkey, r->nkey);
    co_param params[65];
    char names[64][24]; /* ":k" and a size_t, whatever the compiler assumes of k */
    params[0] = (co_param){":tenant", b->t->value};
    for (size_t k = 0; rc == CO_OK && k < nkey; k++) {
        snprintf(names[k], sizeof names[k], ":k%zu", k);
        params[k + 1] = (co_param){names[k], key[k]};
    }
    Co_reverse_select_sql(b->s->dest, e, true, &sql);
    co_cursor *c = NULL;
    bool found = false, written = true;
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query(b->s->dest, co_buf_str(&sql), params, nkey + 1, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &found, err);
    co_error row_err;
    co_error_clear(&row_err);
    if (rc == CO_OK && found) {
        for (size_t k = 0; k < Co_reverse_width(r); k++)
            row[k] = co_cursor_value(c, k);
        rc = Co_reverse_writer_put(b->writers[i], row, &written, &row_err, err);
    } else if (rc == CO_OK) {
        rc = Co_reverse_writer_delete(b->writers[i], key, &written, &row_err, err);
    }
    co_cursor_close(c);
    if (rc == CO_OK && !written) {
        b->refused++;
        b->refusal = row_err;
    }
    Co_buf_release(&storage);
    Co_buf_release(&sql);
    return rc;
}

/* Applies a batch of changes to the source in one transaction with the
 * mark w; the journal's id maps (keys the source assigned) commit first, so
 * that a kill between the two finds them and writes the same keys again. */
static co_code apply_batch(batch *b, const co_change *changes, size_t n, Co_mark_write *w,
                           co_error *err)
{
    bool journal = b->km != NULL;
    co_code rc = co_store_begin(b->cap, err);
    if (rc != CO_OK)
        return rc;
    if (journal && (rc = co_state_begin(b->s->state, err)) != CO_OK) {
        co_store_rollback(b->cap);
        return rc;
    }
    rc = lift(b->cap, b->t->key, '-', err);
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        rc = apply_one(b, &changes[i], err);
    if (rc == CO_OK)
        rc = Co_sync_mark_put(w, err);
    if (rc == CO_OK)
        rc = lift(b->cap, b->t->key, '+', err);
    if (rc == CO_OK) /* a test build may die here (test_switch: kill -9 in reverse apply) */
        (void)Co_fault_sim(CO_FAULT_REVERSE_BATCH);
    if (rc == CO_OK && journal)
        rc = co_state_commit(b->s->state, err);
    if (rc == CO_OK)
        return co_store_commit(b->cap, err);
    co_store_rollback(b->cap);
    if (journal)
        co_state_rollback(b->s->state);
    return rc;
}

static co_code cancelled(const co_sync_options *opt, co_error *err)
{
    if (opt && opt->cancelled && opt->cancelled(opt->cancel_ctx))
        return co_error_set(err, CO_EINTERRUPTED, "interrupted during reverse sync");
    return CO_OK;
}

/* Applies the changes of the mark's window, batch by batch, each with the
 * mark; upto INT64_MAX (frozen) reads every change above pos. */
static co_code apply_window(batch *b, Co_mark *m, const co_sync_options *opt, int64_t *applied,
                            co_error *err)
{
    co_code rc = CO_OK;
    while (rc == CO_OK && (rc = cancelled(opt, err)) == CO_OK) {
        co_change *changes = NULL;
        size_t n = 0;
        rc = co_capture_changes(b->s->dest, b->t->key, m->pos, m->upto, m->seq, ROUND_CHANGES,
                                &changes, &n, err);
        if (rc == CO_OK && n > 0) {
            Co_mark next = *m;
            next.seq = changes[n - 1].seq;
            next.applied += (int64_t)n;
            Co_mark_write w = {b->cap, b->t->key, &next, true};
            rc = apply_batch(b, changes, n, &w, err);
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

/* Reverse rounds up to the target's horizon (frozen: every change); the
 * round's applied count, backlog and lag into res. */
static co_code reverse_leased(co_session *s, co_store *cap, const co_tenant *t,
                              const co_sync_options *opt, bool frozen, co_sync_result *res,
                              co_error *err)
{
    double started = Co_clock_mono();
    const co_project *p = s->project;
    Co_mark m;
    bool found = false;
    co_code rc = Co_sync_mark_get(cap, true, t->key, &m, &found, err);
    if (rc == CO_OK && !found)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s is switched without reverse capture (no entity with "
                            "`reverse`, or a switch from before reverse sync): nothing to sync "
                            "back; a rollback carries its rows back",
                            t->key);
    batch b = {s, cap, t, NULL, calloc(p->nentities ? p->nentities : 1, sizeof *b.writers), 0,
               {0}};
    if (rc == CO_OK && !b.writers)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK && needs_keymap(p))
        rc = Co_keymap_open(s, t, &b.km, err);
    /* A window a killed round left open is finished first, then a new one
     * opens at the horizon. */
    for (int window = 0; rc == CO_OK && window < 2; window++) {
        if (m.upto <= m.pos) {
            int64_t horizon = 0;
            rc = co_capture_horizon(s->dest, &horizon, err);
            if (rc != CO_OK || (horizon <= m.pos && !frozen))
                break;
            m.upto = horizon > m.pos ? horizon : m.pos;
            m.seq = 0;
        }
        int64_t upto = m.upto;
        if (frozen) /* nothing is in flight: every change, the mark still to the horizon */
            m.upto = INT64_MAX;
        rc = apply_window(&b, &m, opt, &res->round.applied, err);
        m.upto = upto;
        if (rc == CO_OK) {
            m.pos = m.upto;
            m.seq = 0;
            rc = Co_sync_mark_set(cap, true, t->key, &m, err);
        }
        if (frozen)
            break;
    }
    for (size_t i = 0; b.writers && i < p->nentities; i++)
        Co_reverse_writer_close(b.writers[i]);
    free(b.writers);
    Co_keymap_free(b.km);
    if (rc == CO_OK && b.refused)
        rc = co_error_set(err, CO_ESOURCE,
                          "the source refused %lld row(s) going back (the last: %.300s)",
                          (long long)b.refused, b.refusal.message);
    if (rc == CO_OK)
        rc = co_capture_backlog(s->dest, t->key, m.pos, &res->round.backlog, err);
    if (rc == CO_OK)
        rc = Co_sync_oldest_age(s->dest, t->key, m.pos, &res->round.lag_seconds, err);
    res->total_applied = m.applied;
    res->round.seconds = Co_clock_mono() - started;
    res->round.direction = "reverse";
    if (rc == CO_OK)
        rc = co_state_sync_round_add(s->state, t->key, &res->round, err);
    return rc;
}

co_code Co_reverse_round(co_session *s, co_store *cap, const co_tenant *t,
                         const co_sync_options *opt, co_sync_result *res, co_error *err)
{
    return reverse_leased(s, cap, t, opt, false, res, err);
}

co_code Co_reverse_settle(co_session *s, co_store *cap, const co_tenant *t, co_error *err)
{
    bool active = false;
    co_code rc = Co_reverse_active(s, cap, t, &active, err);
    if (rc != CO_OK || !active)
        return rc;
    Co_mark m;
    bool found = false;
    co_sync_round first = {.direction = "reverse"};
    rc = Co_sync_mark_get(cap, true, t->key, &m, &found, err);
    if (rc == CO_OK)
        rc = co_capture_backlog(s->dest, t->key, m.pos, &first.backlog, err);
    if (rc == CO_OK)
        rc = Co_sync_oldest_age(s->dest, t->key, m.pos, &first.lag_seconds, err);
    if (rc == CO_OK)
        rc = co_state_sync_round_add(s->state, t->key, &first, err);
    return rc;
}

co_code Co_reverse_last(co_session *s, co_store *cap, const co_tenant *t, int64_t *applied,
                        co_error *err)
{
    *applied = 0;
    co_project rp;
    co_code rc = rev_project(s->project, s->dest, &rp, err);
    /* From here on the new system's writes of the tenant are refused. */
    if (rc == CO_OK)
        rc = co_capture_freeze(s->dest, &rp, t->key, err);
    co_sync_result res;
    memset(&res, 0, sizeof res);
    if (rc == CO_OK)
        rc = reverse_leased(s, cap, t, NULL, true, &res, err);
    *applied = res.round.applied;
    /* The freeze held throughout: no write slipped past the last changes.
     * Sealed in the same statement, it holds until the target's rows of the
     * tenant are purged (now, or later: co_rollback_purge), whatever becomes
     * of this process. */
    bool fresh = false;
    if (rc == CO_OK)
        rc = co_capture_seal(s->dest, t->key, &fresh, err);
    if (rc == CO_OK && !fresh)
        rc = co_error_set(err, CO_ENOTREADY,
                          "the target's freeze of tenant %s lapsed while its last changes went "
                          "back (options.freeze_heartbeat_seconds, %d s)",
                          t->key, s->project->freeze_heartbeat_seconds);
    rev_free(&rp);
    return rc;
}

/* DELETE FROM the target's capture table `table` WHERE tenant = ?. */
static co_code forget_row(co_store *dest, const char *table, const char *tenant, co_error *err)
{
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "DELETE FROM ");
    co_store_capture_table(dest, table, &sql);
    Co_buf_adds(&sql, " WHERE tenant = ?");
    co_param key = {NULL, co_text(tenant, strlen(tenant))};
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec_params(dest, co_buf_str(&sql), &key, 1, NULL, err);
    Co_buf_release(&sql);
    return rc;
}

/* *there: the target holds capture tables (a freeze and capture to lift). */
static co_code capture_there(const Co_reverse_purge *rp, bool *there, co_error *err)
{
    *there = false;
    return target_captures(rp->s)
               ? co_store_capture_table_exists(rp->s->dest, "cutover_frozen", there, err)
               : CO_OK;
}

co_code Co_reverse_purge_enter(void *ctx, co_error *err)
{
    Co_reverse_purge *rp = ctx;
    co_store *dest = rp->s->dest;
    rp->captured = false;
    bool exists = false;
    co_code rc = capture_there(rp, &exists, err);
    if (rc != CO_OK || !exists)
        return rc;
    /* The freeze lifted, as a reverse batch lifts the source's (lift). */
    rc = lift(dest, rp->t->key, '-', err);
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT since FROM ");
    co_store_capture_table(dest, "cutover_tenants", &sql);
    Co_buf_adds(&sql, " WHERE tenant = ?");
    co_param key = {NULL, co_text(rp->t->key, strlen(rp->t->key))};
    co_cursor *c = NULL;
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query(dest, co_buf_str(&sql), &key, 1, &c, err);
    Co_buf_release(&sql);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &rp->captured, err);
    if (rc == CO_OK && rp->captured) {
        co_value v = co_cursor_value(c, 0);
        snprintf(rp->since, sizeof rp->since, "%.*s", v.type == CO_TEXT ? (int)v.len : 0,
                 v.type == CO_TEXT ? v.s : "");
    }
    co_cursor_close(c);
    /* The capture off: the purge's deletes are not recorded. */
    if (rc == CO_OK && rp->captured)
        rc = forget_row(dest, "cutover_tenants", rp->t->key, err);
    return rc;
}

co_code Co_reverse_purge_leave(void *ctx, bool last, co_error *err)
{
    Co_reverse_purge *rp = ctx;
    co_store *dest = rp->s->dest;
    bool exists = false;
    co_code rc = capture_there(rp, &exists, err);
    if (rc != CO_OK || !exists)
        return rc;
    if (last) { /* for good: the tenant neither captured nor frozen there */
        rc = forget_row(dest, "cutover_tenants", rp->t->key, err);
        return rc == CO_OK ? forget_row(dest, "cutover_frozen", rp->t->key, err) : rc;
    }
    rc = lift(dest, rp->t->key, '+', err);
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "INSERT INTO ");
    co_store_capture_table(dest, "cutover_tenants", &sql);
    Co_buf_adds(&sql, " (tenant, since) VALUES (?, ?)");
    co_param p[] = {{NULL, co_text(rp->t->key, strlen(rp->t->key))},
                    {NULL, co_text(rp->since, strlen(rp->since))}};
    if (rc == CO_OK && rp->captured)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_exec_params(dest, co_buf_str(&sql), p, 2, NULL, err);
    Co_buf_release(&sql);
    return rc;
}

co_code Co_reverse_end(co_session *s, co_store *cap, const co_tenant *t, co_error *err)
{
    co_project rp;
    co_code rc = rev_project(s->project, s->dest, &rp, err);
    if (rc == CO_OK && rp.ncapture && target_captures(s))
        rc = co_capture_stop(s->dest, &rp, t->key, err);
    if (rc == CO_OK && cap)
        rc = Co_sync_mark_remove(cap, true, t->key, err);
    rev_free(&rp);
    return rc;
}
