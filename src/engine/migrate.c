/*
 * migrate.c: one tenant from the source into the destination (migrate.h).
 *
 * For each entity in project order: stream the entity query's rows for the
 * tenant and load them (load.c), then journal the run. Batches are committed
 * in the journal first (id maps, rejects) and then in the destination, so that
 * an id map never misses a loaded row and a purge always finds everything a
 * run left behind. Here: the run over the entities, the rehearsal gate, the
 * id maps an earlier run left (a reload draws no new keys).
 */
#include "cutover/migrate.h"
#include "cutover/rehearse.h"
#include "util/free.h"
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
#include "engine/pushdown.h"
#include "store/writer.h"

void co_migrate_result_release(co_migrate_result *r)
{
    free(r->entities);
    free(r->rejects_file);
    memset(r, 0, sizeof *r);
}

char *Co_path_join(const char *dir, const char *rel)
{
    co_buf b = CO_BUF_INIT;
    if (rel[0] != '/' && dir && *dir && strcmp(dir, ".") != 0) {
        Co_buf_adds(&b, dir);
        Co_buf_addc(&b, '/');
    }
    Co_buf_adds(&b, rel);
    return Co_buf_take(&b);
}

/* Frees the key maps of every entity, and keys. */
void Co_entity_keys_free(const co_project *p, entity_keys *keys)
{
    for (size_t i = 0; keys && i < p->nentities; i++) {
        Co_map_release(&keys[i].loaded);
        Co_map_release(&keys[i].rejected);
        Co_map_release(&keys[i].merged);
    }
    free(keys);
}

/* Marks which entities later entities reference. */
void Co_mark_referenced(const co_project *p, entity_keys *keys)
{
    for (size_t i = 0; i < p->nentities; i++) {
        Co_map_init(&keys[i].loaded);
        Co_map_init(&keys[i].rejected);
        Co_map_init(&keys[i].merged);
        for (size_t r = 0; r < p->entities[i].nrefs; r++) {
            int parent = co_project_entity_index(p, p->entities[i].refs[r].entity);
            if (parent >= 0)
                keys[parent].referenced = true;
        }
    }
}

/* Frees what a load allocated, not the load itself. */
void Co_load_release(load *l)
{
    for (size_t n = 0; l->names && n < l->ncols; n++)
        free((char *)l->names[n]);
    free(l->names);
    for (size_t r = 0; l->refs && r < l->e->nrefs; r++)
        if (l->refs[r].survivors) {
            Co_map_release(l->refs[r].survivors);
            free(l->refs[r].survivors);
        }
    free(l->refs);
    Co_merger_free(l->merger);
    Co_keyset_release(&l->put_keys);
    Co_map_release(&l->members);
    Co_map_release(&l->collapsed);
    Co_buf_release(&l->exact_key);
    Co_buf_release(&l->key);
    Co_buf_release(&l->loaded_key);
    Co_buf_release(&l->tmp);
    Co_keyed_release(&l->kd);
    Co_pushdown_close(l);
    free(l->pd_stop);
}

/* Reads the journal's id map of entity e for tenant t into m. */
co_code Co_idmap_load(co_session *s, const co_tenant *t, const co_entity *e, co_map *m,
                      co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = co_state_idmap_query(s->state, t->key, e->name, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value src = co_cursor_value(c, 0), tgt = co_cursor_value(c, 1);
        if (src.type == CO_TEXT && tgt.type == CO_TEXT &&
            !Co_map_put(m, src.s, src.len, tgt.s, tgt.len))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    return rc;
}

/* The id maps of the entities with a target_key as an earlier run left them
 * (one map per entity, empty for the others): a reload gives every row the
 * key it had, and draws none. */
static co_code reuse_load(co_session *s, const co_tenant *t, co_map **out, co_error *err)
{
    const co_project *p = s->project;
    co_map *maps = calloc(p->nentities ? p->nentities : 1, sizeof *maps);
    if (!maps)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_code rc = CO_OK;
    for (size_t i = 0; i < p->nentities; i++) {
        Co_map_init(&maps[i]);
        if (rc == CO_OK && p->entities[i].target_key)
            rc = Co_idmap_load(s, t, &p->entities[i], &maps[i], err);
    }
    *out = maps;
    return rc;
}

static void reuse_free(const co_project *p, co_map *maps)
{
    for (size_t i = 0; maps && i < p->nentities; i++)
        Co_map_release(&maps[i]);
    free(maps);
}

static co_code run_entities(co_session *s, const co_tenant *t, int64_t run_id,
                            const co_migrate_options *opt, co_rejects *rejects,
                            const co_map *reuse, co_migrate_result *res, co_error *err)
{
    const co_project *p = s->project;
    entity_keys *keys = calloc(p->nentities, sizeof *keys);
    if (!keys)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    Co_mark_referenced(p, keys);
    co_code rc = CO_OK;
    for (size_t i = 0; i < p->nentities && rc == CO_OK; i++) {
        load l = {0};
        l.s = s;
        l.t = t;
        l.e = &p->entities[i];
        l.index = i;
        l.keys = keys;
        l.rejects = rejects;
        l.err = err;
        l.track_ids = keys[i].referenced || !l.e->tenant_column || l.e->merge || l.e->target_key;
        rc = Co_load_entity(&l, run_id, opt, &reuse[i]);
        res->entities[i] = l.counts;
        res->rejected += l.counts.rejected;
        Co_load_release(&l);
    }
    Co_entity_keys_free(p, keys);
    /* the tenant's maps, batches and merged rows are gone: when they were
     * many, give their pages back before the next tenant grows beside them */
    Co_return_freed_memory(CO_TRIM_AFTER_TENANT);
    return rc;
}

co_code co_tenant_estimate_rows(co_session *s, const co_tenant *t, int64_t *rows, co_error *err)
{
    *rows = -1;
    const co_project *p = s->project;
    if (!p->nentities)
        return CO_OK;
    const co_entity *last = &p->entities[p->nentities - 1];
    co_param tenant = {":tenant", t->value};
    co_code rc = Co_entity_count_rows(s, last, &tenant, rows, err);
    if (rc != CO_OK) {
        *rows = -1;
        co_error_where(err, "tenant %s, entity %s", t->key, last->name);
    }
    return rc;
}

static co_code migrate_leased(co_session *s, const co_tenant *t, const co_migrate_options *opt,
                              co_migrate_result *res, co_error *err);

co_code co_migrate_tenant(co_session *s, const co_tenant *t, const co_migrate_options *opt,
                          co_migrate_result *res, co_error *err)
{
    static const co_migrate_options defaults = {0};
    if (!opt)
        opt = &defaults;
    memset(res, 0, sizeof *res);
    co_code rc = co_state_lease(s->state, t->key, "migrate", err);
    if (rc != CO_OK)
        return rc;
    /* Into a one-writer target, one job of the process loads at a time
     * (store/writer.h); the others verify meanwhile. */
    co_write_token *token = NULL;
    rc = Co_store_writer_take(s->dest, &token, err);
    if (rc == CO_OK)
        rc = migrate_leased(s, t, opt, res, err);
    Co_store_writer_give(token);
    co_error ignored;
    co_state_unlease(s->state, t->key, &ignored);
    return rc;
}

/* Into the target, a tenant needs a passing rehearsal of this project file. */
static co_code check_rehearsed(co_session *s, const co_tenant *t, const co_migrate_options *opt,
                               co_error *err)
{
    if (co_store_side(s->dest) != CO_SIDE_TARGET || opt->rehearsal_checked)
        return CO_OK;
    if (opt->skip_rehearsal)
        return co_state_rehearsal_record(s->state, t->key, s->project->hash, "waived",
                                         "migrated with --skip-rehearsal", 0, 0, 0, err);
    bool passed = false;
    co_code rc = co_state_rehearsal_passed(s->state, t->key, s->project->hash, &passed, err);
    if (rc == CO_OK && !passed)
        rc = co_error_set(err, CO_ENOTREADY,
                          "tenant %s has no passing rehearsal of this project file (%s): run "
                          "cutover rehearse --tenant %s first, or pass --skip-rehearsal",
                          t->key, s->project->hash, t->key);
    if (rc == CO_OK) /* and of the schemas as they are now (fingerprint.c) */
        rc = co_rehearsal_schema_check(s, t->key, err);
    return rc;
}

static co_code migrate_leased(co_session *s, const co_tenant *t, const co_migrate_options *opt,
                              co_migrate_result *res, co_error *err)
{
    const co_project *p = s->project;
    res->nentities = p->nentities;
    res->entities = calloc(p->nentities ? p->nentities : 1, sizeof *res->entities);
    char *dir = opt->rejects_dir ? strdup(opt->rejects_dir) : Co_path_join(p->dir, p->rejects_dir);
    if (!res->entities || !dir) {
        free(dir);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }

    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    bool loaded = state == CO_LC_MIGRATED || state == CO_LC_VERIFIED ||
                  state == CO_LC_VERIFY_FAILED;
    if (rc == CO_OK && loaded && !opt->again) {
        res->skipped = true;
        free(dir);
        return CO_OK;
    }
    if (rc == CO_OK)
        rc = check_rehearsed(s, t, opt, err);
    double started = Co_clock_mono();
    if (rc == CO_OK)
        rc = co_state_run_begin(s->state, t->key, "migrate", p->hash, &res->run_id, err);
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, CO_LC_MIGRATING, res->run_id, err);
    if (rc != CO_OK) {
        free(dir);
        return rc;
    }

    co_rejects rejects;
    rc = Co_rejects_open(&rejects, dir, s->state, res->run_id, t->key, false, err);
    free(dir);
    co_map *reuse = NULL;
    if (rc == CO_OK)
        rc = reuse_load(s, t, &reuse, err);
    /* Whatever an earlier, interrupted run left goes first. */
    if (rc == CO_OK) {
        rc = co_purge_tenant(s, t, err);
        if (rc != CO_OK)
            co_error_where(err, "tenant %s", t->key);
    }
    if (rc == CO_OK)
        rc = run_entities(s, t, res->run_id, opt, &rejects, reuse, res, err);
    reuse_free(p, reuse);
    co_code close_rc = Co_rejects_close(&rejects, rc == CO_OK ? err : NULL);
    if (rc == CO_OK)
        rc = close_rc;
    res->rejects_file = rejects.path;
    rejects.path = NULL;
    Co_rejects_release(&rejects);
    res->seconds = Co_clock_mono() - started;

    co_error ignored;
    co_error_clear(&ignored);
    if (rc != CO_OK) {
        /* A failed tenant leaves nothing of itself in the destination. */
        co_error purge_err;
        co_error_clear(&purge_err);
        if (co_purge_tenant(s, t, &purge_err) != CO_OK)
            co_error_where(err, "and the cleanup failed too: %s", purge_err.message);
        co_state_run_end(s->state, res->run_id, "failed", err ? err->message : "failed",
                         res->seconds, &ignored);
        co_state_tenant_move(s->state, t->key, CO_LC_FAILED, res->run_id, &ignored);
        return rc;
    }
    rc = opt->run_continues ? CO_OK
                            : co_state_run_end(s->state, res->run_id, "done", NULL, res->seconds, err);
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, CO_LC_MIGRATED, res->run_id, err);
    return rc;
}
