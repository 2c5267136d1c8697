/*
 * refresh.c: loading again the rows that captured changes touched
 * (engine_int.h): a round of refreshes deletes the touched rows from the
 * destination (with their id map and rejects) and loads what the entity query
 * returns for them now; and the rows the target should hold, for verify.
 */
#include "state/journal.h"
#include "cutover/migrate.h"
#include "cutover/rehearse.h"
#include "util/key.h"
#include "engine/engine_int.h"
#include "engine/merge.h"
#include "engine/rejects.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/map.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include "engine/load_int.h"
#include "util/free.h"

/* ---- refreshing rows that captured changes touched (engine_int.h) ---- */

/* Loads the journal's id map of an entity (and its rejected keys) into keys. */
static co_code load_entity_keys(co_session *s, const co_tenant *t, const co_entity *e,
                                entity_keys *k, co_error *err)
{
    co_code rc = Co_idmap_load(s, t, e, &k->loaded, err);
    if (rc == CO_OK)
        rc = Co_state_rejected_keys(s->state, t->key, e->name, &k->rejected, err);
    if (rc == CO_OK && e->merge)
        rc = Co_state_merged_pairs(s->state, t->key, e->name, &k->merged, err);
    return rc;
}

co_code Co_expected_rows(co_session *s, const co_tenant *t, size_t entity, const co_map *skip,
                         const char *where, co_expected_fn fn, void *ctx, co_error *err)
{
    const co_project *p = s->project;
    const co_entity *e = &p->entities[entity];
    entity_keys *keys = calloc(p->nentities ? p->nentities : 1, sizeof *keys);
    if (!keys)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    Co_mark_referenced(p, keys);
    co_code rc = CO_OK;
    for (size_t r = 0; rc == CO_OK && r < e->nrefs; r++) {
        int parent = co_project_entity_index(p, e->refs[r].entity);
        if (parent >= 0 && co_map_count(&keys[parent].loaded) == 0)
            rc = load_entity_keys(s, t, &p->entities[parent], &keys[parent], err);
    }
    load l = {0};
    l.s = s;
    l.t = t;
    l.e = e;
    l.index = entity;
    l.keys = keys;
    l.err = err;
    l.sink = fn;
    l.sink_ctx = ctx;
    co_param tenant = {":tenant", t->value};
    co_cursor *c = NULL;
    if (rc == CO_OK && e->merge)
        rc = Co_merger_open(s, t, e, Co_load_on_merged, &l, &l.merger, err);
    co_buf scoped = CO_BUF_INIT;
    const char *query = l.merger ? Co_merger_query(l.merger) : e->query;
    if (where && !l.merger) {
        Co_buf_printf(&scoped, "SELECT * FROM (%s\n) AS scoped WHERE (%s)", query, where);
        query = co_buf_str(&scoped);
        if (rc == CO_OK && scoped.failed)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (rc == CO_OK)
        rc = co_store_query(s->source, query, &tenant, 1, &c, err);
    if (rc == CO_OK)
        rc = Co_load_describe(&l, c);
    /* Its own rows are matched through its id map: the keys the target gave. */
    co_map own;
    Co_map_init(&own);
    if (rc == CO_OK && e->target_key)
        rc = Co_idmap_load(s, t, e, &own, err);
    if (rc == CO_OK)
        rc = Co_keyed_open(&l, &own);
    size_t width = l.ncols + (l.merger ? Co_merger_extra(l.merger) : 0);
    if (rc == CO_OK && width > 256)
        rc = co_error_set(err, CO_EUNSUPPORTED, "queries of more than 256 columns are not supported");
    co_value row[256];
    co_buf storage = CO_BUF_INIT;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t i = 0; i < width; i++)
            row[i] = co_cursor_value(c, i);
        rc = Co_load_take_row(&l, row, &storage, skip);
    }
    if (rc == CO_OK && l.merger)
        rc = Co_merger_finish(l.merger, err);
    Co_buf_release(&storage);
    co_cursor_close(c);
    Co_buf_release(&scoped);
    Co_load_release(&l);
    Co_map_release(&own);
    Co_entity_keys_free(p, keys);
    if (rc != CO_OK)
        co_error_where(err, "the expected rows of entity %s", e->name);
    return rc;
}

co_code Co_refresh_begin(co_session *s, const co_tenant *t, int64_t run_id, co_refresh **out,
                         co_error *err)
{
    *out = NULL;
    const co_project *p = s->project;
    co_refresh *r = calloc(1, sizeof *r);
    entity_keys *keys = calloc(p->nentities ? p->nentities : 1, sizeof *keys);
    char *dir = Co_path_join(p->dir, p->rejects_dir);
    if (!r || !keys || !dir) {
        CO_FREE(r, keys, dir);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    r->s = s;
    r->t = t;
    r->run_id = run_id;
    r->keys = keys;
    Co_mark_referenced(p, keys);
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++)
        if (keys[i].referenced || p->entities[i].target_key)
            rc = load_entity_keys(s, t, &p->entities[i], &keys[i], err);
    if (rc == CO_OK)
        rc = Co_rejects_open(&r->rejects, dir, s->state, run_id, t->key, true, err);
    free(dir);
    if (rc == CO_OK)
        rc = co_store_begin(s->dest, err);
    /* Rows are deleted and loaded again under rows that refer to them. */
    if (rc == CO_OK && (rc = co_store_defer_constraints(s->dest, err)) != CO_OK)
        co_store_rollback(s->dest);
    if (rc == CO_OK && (rc = co_state_begin(s->state, err)) != CO_OK)
        co_store_rollback(s->dest);
    if (rc != CO_OK) {
        Co_refresh_end(r, false, NULL, NULL, NULL);
        return rc;
    }
    *out = r;
    return CO_OK;
}

/* The WHERE text that picks the rows of the value sets: "c" IN (:m0, :m1, ...)
 * for one column, ("a" IS :m0 AND "b" IS :m1) OR ... for several (IS being
 * co_store_key_eq_op); with the tenant column on the target side. Parameters
 * are :m0, :m1, ... in order. */
void Co_match_sql(co_store *st, const co_entity *e, bool on_target, const char *const *cols,
                  size_t n, size_t nsets, co_buf *out)
{
    Co_buf_adds(out, "1 = 1");
    if (on_target && e->tenant_column) {
        Co_buf_adds(out, " AND ");
        co_store_quote_ident(st, e->tenant_column, out);
        Co_buf_adds(out, " = :tenant");
    }
    if (n == 0)
        return;
    Co_buf_adds(out, " AND (");
    if (n == 1) {
        co_store_quote_ident(st, cols[0], out);
        Co_buf_adds(out, " IN (");
        for (size_t s = 0; s < nsets; s++)
            Co_buf_printf(out, "%s:m%zu", s ? ", " : "", s);
        Co_buf_adds(out, "))");
        return;
    }
    const char *same = co_store_key_eq_op(st);
    for (size_t s = 0; s < nsets; s++) {
        Co_buf_adds(out, s ? " OR (" : "(");
        for (size_t i = 0; i < n; i++) {
            Co_buf_adds(out, i ? " AND " : "");
            co_store_quote_ident(st, cols[i], out);
            Co_buf_printf(out, " %s :m%zu", same, s * n + i);
        }
        Co_buf_addc(out, ')');
    }
    Co_buf_addc(out, ')');
}

/* The parameters of Co_match_sql: :tenant, then :m0 ... Names live in names
 * (24 bytes each). */
co_param *Co_match_params(const co_tenant *t, const co_value *vals, size_t count, char *names,
                          size_t *np)
{
    co_param *p = calloc(count + 1, sizeof *p);
    if (!p)
        return NULL;
    p[0] = (co_param){":tenant", t->value};
    for (size_t i = 0; i < count; i++) {
        char *name = names + i * 24;
        snprintf(name, 24, ":m%zu", i);
        p[i + 1] = (co_param){name, vals[i]};
    }
    *np = count + 1;
    return p;
}

/* Removes the rows to refresh from the destination, with their id map and rejects. */
/* For an entity with a target_key: forgets the id map entries of the target
 * rows that where (over params) picks, and keeps their keys in ts->reuse, so
 * that the rows loaded again keep the keys the target gave them. */
static co_code forget_keyed(co_refresh *r, const co_entity *e, const co_buf *where,
                            target_side *ts, co_error *err)
{
    co_session *s = r->s;
    co_buf sql = CO_BUF_INIT, key = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    co_store_quote_ident(s->dest, e->target_key, &sql);
    Co_buf_adds(&sql, " FROM ");
    co_store_quote_ident(s->dest, e->target, &sql);
    Co_buf_printf(&sql, " WHERE %s", co_buf_str(where));
    co_cursor *c = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(s->dest, co_buf_str(&sql), ts->params, ts->np, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        Co_buf_reset(&key);
        Co_key_encode_exact(&key, &v, 1);
        const char *list;
        size_t llen;
        if (!ts->by_target || !Co_map_get(ts->by_target, key.data, key.len, &list, &llen))
            continue; /* not a row of the id map: not cutover's to drop */
        for (const char *src = list; rc == CO_OK && src < list + llen; src += strlen(src) + 1) {
            if (!Co_map_put(&ts->reuse, src, strlen(src), key.data, key.len))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            if (rc == CO_OK)
                rc = co_state_idmap_delete(s->state, r->t->key, e->name, src, err);
        }
    }
    co_cursor_close(c);
    Co_buf_release(&sql);
    Co_buf_release(&key);
    return rc;
}

co_code Co_refresh_drop_rows(co_refresh *r, const co_entity *e, bool tracked,
                             const char *const *cols, size_t n, size_t nsets,
                             const co_param *params, size_t np,
                             target_side *ts, co_error *err)
{
    co_session *s = r->s;
    co_buf where = CO_BUF_INIT, sql = CO_BUF_INIT;
    bool none = n && ts->nsets == 0; /* nothing of these rows is in the target */
    Co_match_sql(s->dest, e, true, ts->cols, n, ts->nsets, &where);
    co_code rc = CO_OK;
    if (!none && e->target_key)
        rc = forget_keyed(r, e, &where, ts, err);
    /* Rows merged into these because their parents merged ("parent") are
     * loaded again with them: their merge records go. */
    bool collapse = false;
    for (size_t f = 0; f < e->nrefs; f++) {
        const co_entity *parent = co_project_entity(s->project, e->refs[f].entity);
        collapse |= parent && parent->merge;
    }
    if (!none && !e->target_key && (tracked || collapse)) { /* their keys leave the id map */
        Co_buf_adds(&sql, "SELECT ");
        for (size_t k = 0; k < e->nkey; k++) {
            Co_buf_adds(&sql, k ? ", " : "");
            co_store_quote_ident(s->dest, e->key[k], &sql);
        }
        Co_buf_adds(&sql, " FROM ");
        co_store_quote_ident(s->dest, e->target, &sql);
        Co_buf_printf(&sql, " WHERE %s", co_buf_str(&where));
        co_cursor *c = NULL;
        rc = co_store_query(s->dest, co_buf_str(&sql), ts->params, ts->np, &c, err);
        co_buf key = CO_BUF_INIT;
        bool has_row;
        co_value kv[64];
        while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
            for (size_t k = 0; k < e->nkey && k < 64; k++)
                kv[k] = co_cursor_value(c, k);
            Co_buf_reset(&key);
            Co_key_encode(&key, kv, e->nkey);
            if (tracked)
                rc = co_state_idmap_delete(s->state, r->t->key, e->name, co_buf_str(&key), err);
            if (rc == CO_OK && collapse) {
                Co_buf_reset(&key);
                Co_key_encode_exact(&key, kv, e->nkey);
                rc = co_state_merges_delete_into(s->state, r->t->key, e->name, co_buf_str(&key),
                                                 err);
            }
        }
        co_cursor_close(c);
        Co_buf_release(&key);
    }
    /* Rejects of these rows are judged again, when every match column is a
     * key column (their position in the canonical key finds them). */
    size_t pos[16];
    bool all_keyed = n <= 16;
    for (size_t i = 0; all_keyed && i < n; i++) {
        size_t k = 0;
        while (k < e->nkey && strcmp(e->key[k], cols[i]) != 0)
            k++;
        all_keyed = k < e->nkey;
        pos[i] = k;
    }
    if (rc == CO_OK && all_keyed)
        rc = Co_state_rejects_delete_matching(s->state, r->t->key, e->name, pos, n, nsets,
                                              params + 1, np - 1, err);
    Co_buf_reset(&sql);
    Co_buf_adds(&sql, "DELETE FROM ");
    co_store_quote_ident(s->dest, e->target, &sql);
    Co_buf_printf(&sql, " WHERE %s", co_buf_str(&where));
    if (rc == CO_OK && !none)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_exec_params(s->dest, co_buf_str(&sql), ts->params, ts->np,
                                               NULL, err);
    Co_buf_release(&sql);
    Co_buf_release(&where);
    return rc;
}
