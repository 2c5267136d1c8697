/*
 * catchup.c: applying captured changes (cutover.h). Each round reads a batch
 * of the tenant's changes, works out for every entity that follows a changed
 * table which of its rows to load again (by the follow's columns, once per
 * distinct value), and refreshes them parents first in one transaction; the
 * journal then records the capture position up to which every change is
 * applied (co_capture_horizon: on PostgreSQL a transaction id, not a sequence
 * number, since sequence order is not commit order there). Applying a change
 * twice gives the same rows, so a round cut short is simply done again.
 */
#include "cutover/capture.h"
#include "cutover/cutover_seq.h"
#include "cutover/verify.h"
#include "capture/capture_int.h"
#include "engine/engine_int.h"
#include "util/buf.h"
#include "util/key.h"
#include "util/map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* The positions of a follow's key columns in the captured table's key. */
static co_code follow_positions(const co_project *p, const co_entity *e, const co_follow *f,
                                size_t *pos, co_error *err)
{
    const co_capture_table *t = co_project_capture(p, f->table);
    if (!t)
        return co_error_set(err, CO_EPROJECT,
                            "entity %s follows table %s, which is not in the capture list",
                            e->name, f->table);
    for (size_t i = 0; i < f->n; i++) {
        size_t k = 0;
        while (k < t->nkey && strcmp(t->key[k], f->keys[i]) != 0)
            k++;
        if (k == t->nkey)
            return co_error_set(err, CO_EPROJECT,
                                "entity %s follows %s by column %s, which is not a key column of "
                                "the captured table",
                                e->name, f->table, f->keys[i]);
        pos[i] = k;
    }
    return CO_OK;
}

#define SETS_PER_QUERY 400

/* Decodes the value set on the line at *p (sets are canonical keys, one per
 * line) into at most max values, and moves *p past it. */
static co_code next_set(const char **p, co_value *vals, size_t max, size_t *got, co_buf *storage,
                        co_error *err)
{
    const char *nl = strchr(*p, '\n');
    char *one = strndup(*p, nl ? (size_t)(nl - *p) : strlen(*p));
    *p = nl ? nl + 1 : *p + strlen(*p);
    Co_buf_reset(storage);
    co_code rc = one ? Co_key_decode(one, vals, max, got, storage, err)
                     : co_error_set(err, CO_ENOMEM, "out of memory");
    free(one);
    return rc;
}

/* Refreshes the rows of the value sets kept as canonical keys in sets (one
 * per line), SETS_PER_QUERY at a time. */
static co_code refresh_sets(co_refresh *r, size_t entity, const co_follow *fo, const co_buf *sets,
                            size_t nsets, co_error *err)
{
    size_t cap = SETS_PER_QUERY * fo->n;
    co_value *vals = calloc(cap ? cap : 1, sizeof *vals);
    co_buf *storage = calloc(SETS_PER_QUERY, sizeof *storage);
    if (!vals || !storage) {
        free(vals);
        free(storage);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_code rc = CO_OK;
    const char *p = co_buf_str(sets);
    size_t done = 0;
    while (rc == CO_OK && done < nsets) {
        size_t k = 0;
        for (; k < SETS_PER_QUERY && done < nsets && *p; k++, done++) {
            size_t got = 0;
            rc = next_set(&p, vals + k * fo->n, fo->n, &got, &storage[k], err);
            if (rc != CO_OK)
                break;
        }
        if (rc == CO_OK && k)
            rc = Co_refresh_rows(r, entity, (const char *const *)fo->columns, vals, fo->n, k, err);
    }
    for (size_t k = 0; k < SETS_PER_QUERY; k++)
        Co_buf_release(&storage[k]);
    free(storage);
    free(vals);
    return rc;
}

/* What one batch of changes touched, for one follow of an entity: all its
 * rows (a follow without columns), or the distinct value sets of its
 * columns, as canonical keys one per line. */
typedef co_code (*touched_fn)(void *ctx, size_t entity, const co_follow *fo, bool all,
                              const co_buf *sets, size_t nsets, co_error *err);

/* Calls fn for every follow of every entity (parents first) that the
 * changes touch. */
static co_code each_touched(const co_project *p, const co_change *changes, size_t n,
                            touched_fn fn, void *ctx, co_error *err)
{
    co_code rc = CO_OK;
    co_buf storage = CO_BUF_INIT, match = CO_BUF_INIT, sets = CO_BUF_INIT;
    for (size_t e = 0; rc == CO_OK && e < p->nentities; e++) {
        const co_entity *ent = &p->entities[e];
        for (size_t f = 0; rc == CO_OK && f < ent->nfollows; f++) {
            const co_follow *fo = &ent->follows[f];
            size_t pos[16];
            if (fo->n > 16) {
                rc = co_error_set(err, CO_EPROJECT, "follows: more than 16 columns");
                break;
            }
            rc = follow_positions(p, ent, fo, pos, err);
            co_map seen;
            Co_map_init(&seen);
            Co_buf_reset(&sets);
            size_t nsets = 0;
            bool any = false;
            for (size_t c = 0; rc == CO_OK && c < n; c++) {
                if (strcmp(changes[c].table, fo->table) != 0)
                    continue;
                any = true;
                if (fo->n == 0)
                    break; /* all the tenant's rows: no values to collect */
                co_value key[64], vals[16];
                size_t nkey = 0;
                Co_buf_reset(&storage);
                rc = Co_key_decode(changes[c].key, key, 64, &nkey, &storage, err);
                for (size_t i = 0; rc == CO_OK && i < fo->n; i++) {
                    if (pos[i] >= nkey) {
                        rc = co_error_set(err, CO_ECHANGED, "a captured key of %s has %zu values",
                                          fo->table, nkey);
                        break;
                    }
                    vals[i] = key[pos[i]];
                }
                if (rc != CO_OK)
                    break;
                Co_buf_reset(&match);
                Co_key_encode_exact(&match, vals, fo->n);
                if (Co_map_get(&seen, match.data, match.len, NULL, NULL))
                    continue;
                if (!Co_map_put(&seen, match.data, match.len, "", 0) || match.failed) {
                    rc = co_error_set(err, CO_ENOMEM, "out of memory");
                    break;
                }
                Co_buf_add(&sets, match.data, match.len);
                Co_buf_addc(&sets, '\n');
                nsets++;
            }
            Co_map_release(&seen);
            if (rc == CO_OK && any && (fo->n == 0 || nsets))
                rc = fn(ctx, e, fo, fo->n == 0, &sets, nsets, err);
        }
    }
    Co_buf_release(&storage);
    Co_buf_release(&match);
    Co_buf_release(&sets);
    return rc;
}

static co_code refresh_touched(void *ctx, size_t entity, const co_follow *fo, bool all,
                               const co_buf *sets, size_t nsets, co_error *err)
{
    co_refresh *r = ctx;
    if (all)
        return Co_refresh_rows(r, entity, NULL, NULL, 0, 0, err);
    return refresh_sets(r, entity, fo, sets, nsets, err);
}

co_code Co_catch_up_batch(co_session *s, const co_tenant *t, int64_t run_id,
                          const co_change *changes, size_t n,
                          co_code (*before_commit)(void *ctx, co_error *err), void *ctx,
                          co_error *err)
{
    co_refresh *r = NULL;
    co_code rc = Co_refresh_begin(s, t, run_id, &r, err);
    if (rc == CO_OK)
        rc = each_touched(s->project, changes, n, refresh_touched, r, err);
    if (rc == CO_OK && before_commit)
        rc = before_commit(ctx, err);
    if (r) {
        co_code end = Co_refresh_end(r, rc == CO_OK, NULL, NULL, rc == CO_OK ? err : NULL);
        if (rc == CO_OK)
            rc = end;
    }
    return rc;
}

static co_code scope_touched(void *ctx, size_t entity, const co_follow *fo, bool all,
                             const co_buf *sets, size_t nsets, co_error *err)
{
    co_verify_scope *scope = ctx;
    if (all) {
        co_verify_scope_whole(scope, entity);
        return CO_OK;
    }
    co_code rc = CO_OK;
    co_buf storage = CO_BUF_INIT;
    const char *p = co_buf_str(sets);
    for (size_t k = 0; rc == CO_OK && k < nsets && *p; k++) {
        co_value vals[16];
        size_t got = 0;
        rc = next_set(&p, vals, 16, &got, &storage, err);
        if (rc == CO_OK)
            rc = co_verify_scope_add(scope, entity, (const char *const *)fo->columns, got, vals,
                                     err);
    }
    Co_buf_release(&storage);
    return rc;
}

co_code co_changes_scope(co_store *cap, const co_project *p, const char *tenant, int64_t after,
                         int64_t upto, co_verify_scope *scope, co_error *err)
{
    co_code rc = CO_OK;
    int64_t seq = 0;
    while (rc == CO_OK) {
        co_change *changes = NULL;
        size_t n = 0;
        rc = co_capture_changes(cap, tenant, after, upto, seq, ROUND_CHANGES, &changes, &n, err);
        if (rc == CO_OK && n)
            rc = each_touched(p, changes, n, scope_touched, scope, err);
        if (n)
            seq = changes[n - 1].seq;
        co_changes_free(changes, n);
        if (n < ROUND_CHANGES)
            break;
    }
    return rc;
}

co_code co_catch_up(co_session *s, co_store *cap, const co_tenant *t, int64_t run_id, bool frozen,
                    int64_t *applied, co_error *err)
{
    *applied = 0;
    int64_t after = 0, horizon = 0, seq = 0;
    co_code rc = co_state_applied_get(s->state, t->key, &after, err);
    /* The horizon is read before the changes: every change at or below it
     * is committed (or gone) by then, so the changes read are all there is
     * up to it. Frozen, no change of the tenant is still in flight (the
     * freeze waited for them), so all of them are read; the mark still moves
     * only to the horizon, which stays safe should the freeze lapse. */
    if (rc == CO_OK)
        rc = co_capture_horizon(cap, &horizon, err);
    int64_t upto = frozen ? INT64_MAX : horizon;
    while (rc == CO_OK) {
        co_change *changes = NULL;
        size_t n = 0;
        rc = co_capture_changes(cap, t->key, after, upto, seq, ROUND_CHANGES, &changes, &n, err);
        if (rc == CO_OK && n > 0) {
            rc = Co_catch_up_batch(s, t, run_id, changes, n, NULL, NULL, err);
            if (rc == CO_OK) {
                seq = changes[n - 1].seq;
                *applied += (int64_t)n;
            }
        }
        co_changes_free(changes, n);
        if (n < ROUND_CHANGES)
            break;
    }
    if (rc == CO_OK && horizon > after)
        rc = co_state_applied_set(s->state, t->key, horizon, err);
    return rc;
}
