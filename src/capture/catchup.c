/*
 * catchup.c: applying captured changes (cutover.h). Each round reads a batch
 * of the tenant's changes, works out for every entity that follows a changed
 * table which of its rows to load again (by the follow's columns, once per
 * distinct value), and refreshes them parents first in one transaction; the
 * journal then records the last change applied. Applying a change twice gives
 * the same rows, so a round cut short is simply done again.
 */
#include "cutover/capture.h"
#include "cutover/cutover.h"
#include "engine/engine_int.h"
#include "util/buf.h"
#include "util/key.h"
#include "util/map.h"

#include <stdlib.h>
#include <string.h>

#define ROUND_CHANGES 5000

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

/* Refreshes what one batch of changes touched, entity by entity. */
static co_code apply_batch(co_session *s, const co_tenant *t, int64_t run_id,
                           const co_change *changes, size_t n, co_error *err)
{
    const co_project *p = s->project;
    co_refresh *r = NULL;
    co_code rc = co_refresh_begin(s, t, run_id, &r, err);
    co_buf storage = CO_BUF_INIT, match = CO_BUF_INIT;
    co_map done;
    co_map_init(&done);
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
            bool all_done = false;
            for (size_t c = 0; rc == CO_OK && c < n && !all_done; c++) {
                if (strcmp(changes[c].table, fo->table) != 0)
                    continue;
                if (fo->n == 0) { /* any change: all the tenant's rows, once */
                    rc = co_refresh_rows(r, e, NULL, NULL, 0, err);
                    all_done = true;
                    continue;
                }
                co_value key[64], vals[16];
                size_t nkey = 0;
                co_buf_reset(&storage);
                rc = co_key_decode(changes[c].key, key, 64, &nkey, &storage, err);
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
                /* Once per entity and value. */
                co_buf_reset(&match);
                co_buf_printf(&match, "%zu:", e);
                co_key_encode(&match, vals, fo->n);
                if (co_map_get(&done, match.data, match.len, NULL, NULL))
                    continue;
                if (!co_map_put(&done, match.data, match.len, "", 0)) {
                    rc = co_error_set(err, CO_ENOMEM, "out of memory");
                    break;
                }
                rc = co_refresh_rows(r, e, (const char *const *)fo->columns, vals, fo->n, err);
            }
        }
    }
    co_map_release(&done);
    co_buf_release(&storage);
    co_buf_release(&match);
    if (rc == CO_OK)
        rc = co_state_applied_set(s->state, t->key, changes[n - 1].seq, err);
    if (r) {
        co_code end = co_refresh_end(r, rc == CO_OK, NULL, NULL, rc == CO_OK ? err : NULL);
        if (rc == CO_OK)
            rc = end;
    }
    return rc;
}

co_code co_catch_up(co_session *s, co_store *cap, const co_tenant *t, int64_t run_id,
                    int64_t *applied, co_error *err)
{
    *applied = 0;
    int64_t after = 0;
    co_code rc = co_state_applied_get(s->state, t->key, &after, err);
    while (rc == CO_OK) {
        co_change *changes = NULL;
        size_t n = 0;
        rc = co_capture_changes(cap, t->key, after, ROUND_CHANGES, &changes, &n, err);
        if (rc == CO_OK && n > 0) {
            rc = apply_batch(s, t, run_id, changes, n, err);
            if (rc == CO_OK) {
                after = changes[n - 1].seq;
                *applied += (int64_t)n;
            }
        }
        co_changes_free(changes, n);
        if (n < ROUND_CHANGES)
            break;
    }
    return rc;
}
