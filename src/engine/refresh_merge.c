/*
 * refresh_merge.c: catching up an entity that merges rows: a changed row's
 * cluster is loaded again whole, as it was and as it is now.
 */
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

static co_code key_sets_alloc(key_sets *ks, size_t sets, size_t n, co_error *err)
{
    ks->vals = calloc(sets * n + 1, sizeof *ks->vals);
    ks->texts = calloc(sets + 1, sizeof *ks->texts);
    ks->count = 0;
    return ks->vals && ks->texts ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* Decodes the key (klen bytes) into the next set's n values from `at` on. */
static co_code key_sets_decode(key_sets *ks, size_t n, size_t at, size_t width, const char *key,
                               size_t klen, co_error *err)
{
    char *one = strndup(key, klen);
    size_t got = 0;
    co_code rc = one ? Co_key_decode(one, ks->vals + ks->count * n + at, width, &got,
                                     &ks->texts[ks->count], err)
                     : co_error_set(err, CO_ENOMEM, "out of memory");
    free(one);
    return rc;
}

static void key_sets_release(key_sets *ks)
{
    for (size_t i = 0; ks->texts && i < ks->count; i++)
        Co_buf_release(&ks->texts[i]);
    free(ks->texts);
    free(ks->vals);
}

/* ---- catching up a merging entity ----
 *
 * A changed row of a merging entity changes a merged row: its cluster is
 * loaded again whole, as it was (the rows the id map sent to the same target
 * row) and as it is now (the merge pre-pass on the source), until the set is
 * closed. The survivors must stay: rows of later entities refer to them. A
 * change that moves a row to another target row (a new survivor, a row that
 * leaves or joins a cluster a later entity's rows already refer through) is
 * refused by name, and the round is rolled back. */

typedef struct regroup {
    co_merger *m;
    const co_map *loaded;  /* source key -> target key, from the journal */
    co_map by_target;      /* target key -> its source keys, each ending in '\0' */
    co_map want;           /* canonical keys to load again */
    co_buf queue;          /* keys still to expand, each ending in '\0' */
} regroup;

static co_code want_key(void *ctx, const char *key, co_error *err)
{
    regroup *g = ctx;
    size_t len = strlen(key);
    if (Co_map_get(&g->want, key, len, NULL, NULL))
        return CO_OK;
    if (!Co_map_put(&g->want, key, len, "", 0))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    Co_buf_add(&g->queue, key, len + 1);
    return g->queue.failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}

/* by_target: target key -> the source keys loaded maps to it, each ending in '\0'. */
static co_code index_targets(const co_map *loaded, co_map *by_target, co_error *err)
{
    size_t pos = 0, klen, vlen, olen;
    const char *key, *val, *old;
    co_buf joined = CO_BUF_INIT;
    bool ok = true;
    while (ok && Co_map_next(loaded, &pos, &key, &klen, &val, &vlen)) {
        Co_buf_reset(&joined);
        if (Co_map_get(by_target, val, vlen, &old, &olen))
            Co_buf_add(&joined, old, olen);
        Co_buf_add(&joined, key, klen);
        Co_buf_addc(&joined, '\0');
        ok = !joined.failed && Co_map_put(by_target, val, vlen, joined.data, joined.len);
    }
    Co_buf_release(&joined);
    return ok ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* Closes the set of rows to load again over clusters old and new. */
static co_code regroup_close(regroup *g, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t at = 0; rc == CO_OK && at < g->queue.len;) {
        char *key = strdup(g->queue.data + at);
        at += strlen(g->queue.data + at) + 1;
        if (!key)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        rc = Co_merger_cluster(g->m, key, strlen(key), want_key, g, err);
        const char *target, *sources;
        size_t tlen, slen;
        if (rc == CO_OK && Co_map_get(g->loaded, key, strlen(key), &target, &tlen) &&
            Co_map_get(&g->by_target, target, tlen, &sources, &slen))
            for (const char *p = sources; rc == CO_OK && p < sources + slen; p += strlen(p) + 1)
                rc = want_key(g, p, err);
        free(key);
    }
    return rc;
}

/* The journal forgets the rows merged into others among want (the target
 * rows themselves leave with Co_refresh_drop_rows); their old targets go to before. */
static co_code regroup_forget(co_refresh *r, const co_entity *e, regroup *g, co_map *before,
                              co_error *err)
{
    size_t pos = 0, klen, tlen;
    const char *key, *target, *unused;
    co_code rc = CO_OK;
    while (rc == CO_OK && Co_map_next(&g->want, &pos, &key, &klen, &unused, &tlen)) {
        if (!Co_map_get(g->loaded, key, klen, &target, &tlen))
            continue;
        if (!Co_map_put(before, key, klen, target, tlen))
            return co_error_set(err, CO_ENOMEM, "out of memory");
        if (tlen == klen && memcmp(key, target, klen) == 0)
            continue;
        char *k = strndup(key, klen);
        rc = k ? co_state_idmap_delete(r->s->state, r->t->key, e->name, k, err)
               : co_error_set(err, CO_ENOMEM, "out of memory");
        if (rc == CO_OK)
            rc = co_state_merge_delete(r->s->state, r->t->key, e->name, k, err);
        free(k);
    }
    return rc;
}

/* After loading again: every row keeps the target row it had. */
static co_code regroup_check(const co_refresh *r, const co_entity *e, size_t entity,
                             const co_map *before, co_error *err)
{
    if (!r->keys[entity].referenced)
        return CO_OK; /* nothing refers to these rows: any survivor will do */
    size_t pos = 0, klen, tlen, nlen;
    const char *key, *target, *now;
    while (Co_map_next(before, &pos, &key, &klen, &target, &tlen)) {
        bool same = Co_map_get(&r->keys[entity].loaded, key, klen, &now, &nlen) &&
                    nlen == tlen && memcmp(now, target, tlen) == 0;
        if (!same)
            return co_error_set(err, CO_EUNSUPPORTED,
                                "a captured change moves %s %.*s from the merged row %.*s to %s: "
                                "rows of later entities refer to the old one, and cutover does "
                                "not catch up a change of merged rows yet. Roll the tenant back "
                                "and migrate it again while its writes are stopped",
                                e->name, (int)klen, key, (int)tlen, target,
                                Co_map_get(&r->keys[entity].loaded, key, klen, &now, &nlen)
                                    ? "another row"
                                    : "none (rejected or gone)");
    }
    return CO_OK;
}

/* The id map that column `col` of entity `entity` goes through in the
 * target, or NULL when the target holds the source's values: the entity's
 * own when the column is its key and the target gave the keys, a parent's
 * when the column refers to an entity whose keys the target gave. */
static const co_map *target_via(co_refresh *r, size_t entity, const char *col, size_t n)
{
    const co_project *p = r->s->project;
    const co_entity *e = &p->entities[entity];
    if (e->target_key && n == 1 && e->nkey == 1 && strcmp(col, e->key[0]) == 0)
        return &r->keys[entity].loaded;
    for (size_t f = 0; f < e->nrefs; f++) {
        int parent = co_project_entity_index(p, e->refs[f].entity);
        if (parent >= 0 && p->entities[parent].target_key && strcmp(e->refs[f].column, col) == 0)
            return &r->keys[parent].loaded;
    }
    return NULL;
}

/* The value sets as the target holds them: each value that goes through an
 * id map (target_via) replaced by its target key; a set with a value the id
 * map does not know matches no row of the target and is left out. */
co_code Co_refresh_target_sets(co_refresh *r, size_t entity, const char *const *cols,
                               const co_value *vals, size_t n, size_t nsets, target_side *ts,
                               key_sets *out, co_error *err)
{
    const co_entity *e = &r->s->project->entities[entity];
    const co_map *via[16];
    for (size_t i = 0; i < n; i++) {
        via[i] = target_via(r, entity, cols[i], n);
        ts->cols[i] = via[i] && e->target_key && via[i] == &r->keys[entity].loaded
                          ? e->target_key
                          : cols[i];
    }
    co_code rc = key_sets_alloc(out, nsets, n, err);
    co_buf key = CO_BUF_INIT;
    for (size_t k = 0; rc == CO_OK && k < nsets; k++) {
        bool known = true;
        Co_buf_reset(&out->texts[out->count]);
        for (size_t i = 0; rc == CO_OK && known && i < n; i++) {
            const co_value *v = &vals[k * n + i];
            if (!via[i]) {
                out->vals[out->count * n + i] = *v;
                continue;
            }
            const char *target;
            size_t tlen;
            Co_buf_reset(&key);
            Co_key_encode(&key, v, 1);
            known = Co_map_get(via[i], key.data, key.len, &target, &tlen);
            if (known)
                rc = key_sets_decode(out, n, i, 1, target, tlen, err);
        }
        if (rc == CO_OK && known)
            out->count++;
    }
    Co_buf_release(&key);
    ts->nsets = out->count;
    return rc;
}

/* Loads again the rows matching the value sets (Co_refresh_rows), through
 * merger when not NULL (taken over: freed here). */
static co_code refresh_load(co_refresh *r, size_t entity, const char *const *cols,
                            const co_value *vals, size_t n, size_t nsets, co_merger *merger,
                            const co_map *reuse, co_error *err)
{
    co_session *s = r->s;
    const co_entity *e = &s->project->entities[entity];
    if (n == 0)
        nsets = 0;
    bool tracked = r->keys[entity].referenced || !e->tenant_column || merger || e->target_key;
    if (n == 0 && !e->tenant_column)
        return co_error_set(err, CO_EPROJECT,
                            "entity %s follows a table with no columns to match and has no "
                            "tenant_column: cutover cannot tell which rows to load again",
                            e->name);
    size_t count = n * nsets, np = 0;
    char *names = malloc(count * 24 + 1);
    co_param *params = names ? Co_match_params(r->t, vals, count, names, &np) : NULL;
    if (!params) {
        free(names);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    /* The target side: the same sets, through the id maps where the target
     * gave the keys. */
    target_side ts = {0};
    Co_map_init(&ts.reuse);
    co_map by_target;
    Co_map_init(&by_target);
    key_sets tk = {0};
    char *tnames = NULL;
    co_param *tparams = NULL;
    bool translate = false;
    for (size_t i = 0; i < n; i++) {
        ts.cols[i] = cols[i];
        translate |= target_via(r, entity, cols[i], n) != NULL;
    }
    ts.nsets = nsets;
    ts.params = params;
    ts.np = np;
    co_code rc = CO_OK;
    if (translate) {
        rc = Co_refresh_target_sets(r, entity, cols, vals, n, nsets, &ts, &tk, err);
        tnames = rc == CO_OK ? malloc(ts.nsets * n * 24 + 1) : NULL;
        tparams = tnames ? Co_match_params(r->t, tk.vals, ts.nsets * n, tnames, &ts.np) : NULL;
        if (rc == CO_OK && !tparams)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        ts.params = tparams;
    }
    if (rc == CO_OK && e->target_key) {
        rc = index_targets(&r->keys[entity].loaded, &by_target, err);
        ts.by_target = &by_target;
    }
    if (rc == CO_OK)
        rc = Co_refresh_drop_rows(r, e, tracked, cols, n, nsets, params, np, &ts, err);
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT * FROM (%s\n) AS refreshed WHERE ",
                  merger ? Co_merger_query(merger) : e->query);
    Co_match_sql(s->source, e, false, cols, n, nsets, &sql);
    load l = {0};
    l.merger = merger;
    if (merger)
        Co_merger_set_emit(merger, Co_load_on_merged, &l);
    l.s = s;
    l.t = r->t;
    l.e = e;
    l.index = entity;
    l.keys = r->keys;
    l.rejects = &r->rejects;
    l.err = err;
    l.track_ids = tracked;
    l.keep_loaded = e->target_key != NULL;
    co_cursor *c = NULL;
    co_loader *loader = NULL;
    if (rc == CO_OK)
        rc = co_store_query(s->source, co_buf_str(&sql), params, np, &c, err);
    if (rc == CO_OK)
        rc = Co_load_describe(&l, c);
    if (rc == CO_OK)
        rc = Co_keyed_open(&l, reuse ? reuse : &ts.reuse);
    if (rc == CO_OK)
        rc = Co_load_loader_open(&l, &loader);
    l.loader = loader;
    static const co_migrate_options quiet = {0};
    if (rc == CO_OK)
        rc = Co_load_rows(&l, c, loader, &quiet, -1);
    if (rc == CO_OK)
        rc = co_loader_flush(loader, err);
    if (rc == CO_OK)
        rc = l.callback_rc;
    r->loaded += l.counts.loaded;
    r->rejected += l.counts.rejected;
    co_loader_close(loader);
    co_cursor_close(c);
    Co_buf_release(&sql);
    CO_FREE(params, names, tparams, tnames);
    key_sets_release(&tk);
    Co_map_release(&ts.reuse);
    Co_map_release(&by_target);
    Co_load_release(&l);
    return rc;
}

/* A merging entity: whole clusters, old and new, loaded again by key. */
static co_code refresh_merging(co_refresh *r, size_t entity, const char *const *cols,
                               const co_value *vals, size_t n, size_t nsets, co_error *err)
{
    const co_entity *e = &r->s->project->entities[entity];
    bool by_key = n == e->nkey;
    for (size_t i = 0; by_key && i < n; i++)
        by_key = strcmp(cols[i], e->key[i]) == 0;
    if (!by_key)
        return co_error_set(err, CO_EUNSUPPORTED,
                            "entity %s merges rows, so its follows must match its key columns "
                            "in order (%s...): cutover catches up merged rows cluster by "
                            "cluster",
                            e->name, e->key[0]);
    regroup g = {0};
    g.loaded = &r->keys[entity].loaded;
    Co_map_init(&g.by_target);
    Co_map_init(&g.want);
    co_map before;
    Co_map_init(&before);
    co_code rc = Co_merger_open(r->s, r->t, e, NULL, NULL, &g.m, err);
    if (rc == CO_OK)
        rc = index_targets(g.loaded, &g.by_target, err);
    co_buf key = CO_BUF_INIT;
    for (size_t k = 0; rc == CO_OK && k < nsets; k++) {
        Co_buf_reset(&key);
        Co_key_encode(&key, vals + k * n, n);
        rc = want_key(&g, co_buf_str(&key), err);
    }
    if (rc == CO_OK)
        rc = regroup_close(&g, err);
    if (rc == CO_OK)
        rc = regroup_forget(r, e, &g, &before, err);
    /* The keys as values, set after set, for the load. */
    key_sets keys = {0};
    size_t pos = 0, klen, vlen;
    const char *k, *unused;
    if (rc == CO_OK)
        rc = key_sets_alloc(&keys, co_map_count(&g.want), n, err);
    while (rc == CO_OK && Co_map_next(&g.want, &pos, &k, &klen, &unused, &vlen))
        if ((rc = key_sets_decode(&keys, n, 0, n, k, klen, err)) == CO_OK)
            keys.count++;
    if (rc == CO_OK) {
        rc = refresh_load(r, entity, cols, keys.vals, n, keys.count, g.m,
                          e->target_key ? &before : NULL, err);
        g.m = NULL; /* the load freed it */
    }
    if (rc == CO_OK)
        rc = regroup_check(r, e, entity, &before, err);
    key_sets_release(&keys);
    Co_buf_release(&key);
    Co_buf_release(&g.queue);
    Co_map_release(&g.by_target);
    Co_map_release(&g.want);
    Co_map_release(&before);
    Co_merger_free(g.m);
    return rc;
}

/* The follow column of e that refers to a merging entity, or -1; *parent
 * gets that entity's index. */
static int merged_ref_column(const co_project *p, const co_entity *e, const char *const *cols,
                             size_t n, size_t *parent)
{
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < e->nrefs; f++) {
            int at = co_project_entity_index(p, e->refs[f].entity);
            if (at >= 0 && p->entities[at].merge && strcmp(e->refs[f].column, cols[i]) == 0) {
                *parent = (size_t)at;
                return (int)i;
            }
        }
    return -1;
}

/* Rows of a later entity follow a merging entity by a reference column: in
 * the target they refer to the merged row, so a change of one source row
 * loads again the rows of every source row merged with it. Each value set
 * becomes one set per source row of its merged row. */
static co_code expand_merged(co_refresh *r, size_t parent, int col, const co_value *vals,
                             size_t n, size_t nsets, key_sets *out, co_error *err)
{
    co_map by_target;
    Co_map_init(&by_target);
    const co_map *loaded = &r->keys[parent].loaded;
    co_code rc = index_targets(loaded, &by_target, err);
    co_buf key = CO_BUF_INIT;
    /* Per set, the member keys ("\0"-ended) and where they end. */
    co_buf members = CO_BUF_INIT;
    size_t *ends = calloc(nsets + 1, sizeof *ends), total = 0;
    if (rc == CO_OK && !ends)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t k = 0; rc == CO_OK && k < nsets; k++) {
        Co_buf_reset(&key);
        Co_key_encode(&key, &vals[k * n + (size_t)col], 1);
        const char *target, *list;
        size_t tlen, llen;
        if (Co_map_get(loaded, key.data, key.len, &target, &tlen) &&
            Co_map_get(&by_target, target, tlen, &list, &llen)) {
            Co_buf_add(&members, list, llen);
        } else {
            Co_buf_add(&members, key.data, key.len);
            Co_buf_addc(&members, '\0');
        }
        ends[k] = members.len;
    }
    for (size_t at = 0; at < members.len; at += strlen(members.data + at) + 1)
        total++;
    if (rc == CO_OK && members.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = key_sets_alloc(out, total, n, err);
    size_t at = 0;
    for (size_t k = 0; rc == CO_OK && k < nsets; k++)
        for (; rc == CO_OK && at < ends[k]; at += strlen(members.data + at) + 1) {
            memcpy(out->vals + out->count * n, vals + k * n, n * sizeof *vals);
            const char *m = members.data + at;
            rc = key_sets_decode(out, n, (size_t)col, 1, m, strlen(m), err);
            if (rc == CO_OK)
                out->count++;
        }
    free(ends);
    Co_buf_release(&members);
    Co_buf_release(&key);
    Co_map_release(&by_target);
    return rc;
}

co_code Co_refresh_rows(co_refresh *r, size_t entity, const char *const *cols,
                        const co_value *vals, size_t n, size_t nsets, co_error *err)
{
    const co_entity *e = &r->s->project->entities[entity];
    if (n > 16)
        return co_error_set(err, CO_EPROJECT, "follows: more than 16 columns");
    size_t parent = 0;
    int col = e->merge ? -1 : merged_ref_column(r->s->project, e, cols, n, &parent);
    co_code rc;
    if (col >= 0) {
        key_sets sets = {0};
        rc = expand_merged(r, parent, col, vals, n, nsets, &sets, err);
        if (rc == CO_OK)
            rc = refresh_load(r, entity, cols, sets.vals, n, sets.count, NULL, NULL, err);
        key_sets_release(&sets);
    } else {
        rc = e->merge ? refresh_merging(r, entity, cols, vals, n, nsets, err)
                      : refresh_load(r, entity, cols, vals, n, nsets, NULL, NULL, err);
    }
    if (rc != CO_OK)
        co_error_where(err, "catching up entity %s", e->name);
    return rc;
}

co_code Co_refresh_end(co_refresh *r, bool ok, int64_t *loaded, int64_t *rejected,
                       co_error *err)
{
    co_code rc = CO_OK;
    if (ok) {
        rc = Co_rejects_sync(&r->rejects, err);
        if (rc == CO_OK)
            rc = co_state_commit(r->s->state, err);
        if (rc == CO_OK)
            rc = co_store_commit(r->s->dest, err);
    }
    if (!ok || rc != CO_OK) {
        co_state_rollback(r->s->state);
        co_store_rollback(r->s->dest);
    }
    if (loaded)
        *loaded = r->loaded;
    if (rejected)
        *rejected = r->rejected;
    Co_rejects_close(&r->rejects, NULL);
    Co_rejects_release(&r->rejects);
    Co_entity_keys_free(r->s->project, r->keys);
    free(r);
    return rc;
}
