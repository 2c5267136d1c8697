/*
 * keymap.c: target keys back to source keys (engine_int.h), for what goes
 * from the target to the source: the rows a rollback carries back after a
 * switch. Where the target gave an entity its keys (target_key), the id map
 * is read backwards; a row the new system created has no source key yet, and
 * gets the one the source assigns when it is inserted there (Co_keymap_add).
 */
#include "state/journal.h"
#include "engine/engine_int.h"
#include "util/buf.h"
#include "util/key.h"
#include "util/map.h"

#include <stdlib.h>
#include <string.h>

struct co_keymap {
    co_session *s;
    const co_tenant *t;
    co_map *back; /* per entity: target key (exact) -> source key (canonical) */
    co_buf key;
};

/* The journal's id map of e, backwards; rows merged into another are left out
 * (the target row they went to is the survivor's, whose key it keeps). */
static co_code load_back(co_keymap *km, const co_entity *e, co_map *back, co_error *err)
{
    co_session *s = km->s;
    co_map members;
    Co_map_init(&members);
    co_cursor *c = NULL;
    bool has_row;
    co_code rc = Co_state_merged_keys(s->state, km->t->key, e->name, &members, err);
    if (rc == CO_OK)
        rc = co_state_idmap_query(s->state, km->t->key, e->name, &c, err);
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value src = co_cursor_value(c, 0), tgt = co_cursor_value(c, 1);
        if (src.type != CO_TEXT || tgt.type != CO_TEXT ||
            Co_map_get(&members, src.s, src.len, NULL, NULL))
            continue;
        if (!Co_map_put(back, tgt.s, tgt.len, src.s, src.len))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    Co_map_release(&members);
    return rc;
}

void Co_keymap_free(co_keymap *km)
{
    if (!km)
        return;
    for (size_t i = 0; i < km->s->project->nentities; i++)
        Co_map_release(&km->back[i]);
    free(km->back);
    Co_buf_release(&km->key);
    free(km);
}

co_code Co_keymap_open(co_session *s, const co_tenant *t, co_keymap **out, co_error *err)
{
    *out = NULL;
    const co_project *p = s->project;
    co_keymap *km = calloc(1, sizeof *km);
    if (km)
        km->back = calloc(p->nentities ? p->nentities : 1, sizeof *km->back);
    if (!km || !km->back) {
        free(km);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    km->s = s;
    km->t = t;
    for (size_t i = 0; i < p->nentities; i++)
        Co_map_init(&km->back[i]);
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++)
        if (p->entities[i].target_key)
            rc = load_back(km, &p->entities[i], &km->back[i], err);
    if (rc != CO_OK) {
        Co_keymap_free(km);
        return rc;
    }
    *out = km;
    return CO_OK;
}

/* The entity whose target key column col of e holds: e itself for its
 * target_key, the parent of a ref to an entity with a target_key; or -1. */
static int keyed_entity(const co_project *p, size_t entity, const char *col)
{
    const co_entity *e = &p->entities[entity];
    if (e->target_key && strcmp(col, e->target_key) == 0)
        return (int)entity;
    for (size_t r = 0; r < e->nrefs; r++) {
        int parent = co_project_entity_index(p, e->refs[r].entity);
        if (parent >= 0 && p->entities[parent].target_key && strcmp(e->refs[r].column, col) == 0)
            return parent;
    }
    return -1;
}

bool Co_keymap_column(const co_keymap *km, size_t entity, const char *col)
{
    return keyed_entity(km->s->project, entity, col) >= 0;
}

co_code Co_keymap_to_source(co_keymap *km, size_t entity, const char *const *cols,
                            co_value *vals, size_t n, co_buf *storage, bool *unknown,
                            co_error *err)
{
    const co_project *p = km->s->project;
    *unknown = false;
    Co_buf_reset(storage);
    /* Text decoded into storage must not move: size it for every value first. */
    size_t need = 1;
    for (size_t i = 0; i < n; i++)
        need += 64 + (vals[i].type == CO_TEXT ? vals[i].len * 2 : 0);
    Co_buf_add(storage, "", 0);
    char *room = malloc(need);
    if (!room)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    size_t used = 0;
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        int owner = keyed_entity(p, entity, cols[i]);
        if (owner < 0 || vals[i].type == CO_NULL)
            continue;
        Co_buf_reset(&km->key);
        Co_key_encode_exact(&km->key, &vals[i], 1);
        const char *src;
        size_t slen;
        if (!Co_map_get(&km->back[owner], km->key.data, km->key.len, &src, &slen)) {
            if ((size_t)owner == entity)
                *unknown = true; /* a row the new system created */
            else
                rc = co_error_set(err, CO_ENOTFOUND,
                                  "column %s holds %s, a key of %s that no source row has",
                                  cols[i], co_buf_str(&km->key), p->entities[owner].name);
            continue;
        }
        /* One value per key (refs name single-column keys). */
        co_buf one = CO_BUF_INIT;
        co_value v;
        size_t got = 0;
        Co_buf_add(&one, src, slen);
        rc = Co_key_decode(co_buf_str(&one), &v, 1, &got, storage, err);
        if (rc == CO_OK && v.type == CO_TEXT) { /* keep its bytes where nothing moves them */
            memcpy(room + used, v.s, v.len);
            v.s = room + used;
            used += v.len;
        }
        Co_buf_release(&one);
        if (rc == CO_OK && got == 1)
            vals[i] = v;
    }
    /* The caller's storage owns the text from here on. */
    Co_buf_reset(storage);
    Co_buf_add(storage, room, used);
    for (size_t i = 0; i < n; i++)
        if (vals[i].type == CO_TEXT && vals[i].s >= room && vals[i].s < room + used)
            vals[i].s = storage->data + (vals[i].s - room);
    free(room);
    return rc;
}

co_code Co_keymap_add(co_keymap *km, size_t entity, const co_value *source,
                      const co_value *target, co_error *err)
{
    const co_entity *e = &km->s->project->entities[entity];
    co_buf src = CO_BUF_INIT, tgt = CO_BUF_INIT;
    Co_key_encode(&src, source, 1);
    Co_key_encode_exact(&tgt, target, 1);
    co_code rc = src.failed || tgt.failed ||
                         !Co_map_put(&km->back[entity], tgt.data, tgt.len, src.data, src.len)
                     ? co_error_set(err, CO_ENOMEM, "out of memory")
                     : co_state_idmap_add(km->s->state, km->t->key, e->name, co_buf_str(&src),
                                          co_buf_str(&tgt), err);
    Co_buf_release(&src);
    Co_buf_release(&tgt);
    return rc;
}
