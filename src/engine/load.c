/*
 * load.c: the rows of one entity for one tenant into the destination: each
 * row checked (valid UTF-8, references through the id maps of earlier
 * entities, merges), put through the destination's loader in batches, and
 * counted as loaded or rejected with its reason.
 */
#include "cutover/migrate.h"
#include "cutover/rehearse.h"
#include "util/key.h"
#include "engine/engine_int.h"
#include "engine/merge.h"
#include "engine/reader.h"
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

static void encode_key(load *l, const co_value *row, co_buf *out)
{
    Co_key_of_row(out, row, l->key_idx, l->e->nkey);
}

/* Writes a reject of the row (columns names, ncols of them) whose canonical
 * key is in key. */
static co_code reject_as(load *l, const co_buf *key, const co_value *row, const char **names,
                         size_t ncols, const char *rule, const char *reason)
{
    l->counts.rejected++;
    if (l->sink) /* verifying: the journal holds the rejects */
        return CO_OK;
    entity_keys *mine = &l->keys[l->index];
    if (mine->referenced && !Co_map_put(&mine->rejected, key->data, key->len, "", 0))
        return co_error_set(l->err, CO_ENOMEM, "out of memory");
    return Co_rejects_add(l->rejects, l->e->name, co_buf_str(key), rule, reason, row, names,
                          row ? ncols : 0, l->err);
}

/* Writes a reject of the source row whose canonical key is in key. */
static co_code reject(load *l, const co_buf *key, const co_value *row, const char *rule,
                      const char *reason)
{
    return reject_as(l, key, row, l->names, l->ncols, rule, reason);
}

/* The rows merged into a row are kept, until the destination has the row, as
 * records "key\0how\0score\0" one after another. */
static co_code members_keep(load *l, const co_buf *key, const co_merged *m)
{
    co_buf rec = CO_BUF_INIT;
    for (size_t i = 0; i < m->nmembers; i++) {
        Co_buf_adds(&rec, m->members[i]);
        Co_buf_addc(&rec, '\0');
        Co_buf_adds(&rec, m->how[i]);
        Co_buf_addc(&rec, '\0');
        Co_buf_printf(&rec, "%.6f", m->score[i]);
        Co_buf_addc(&rec, '\0');
    }
    bool ok = !rec.failed && Co_map_put(&l->members, key->data, key->len, rec.data ? rec.data : "",
                                        rec.len);
    Co_buf_release(&rec);
    return ok ? CO_OK : co_error_set(l->err, CO_ENOMEM, "out of memory");
}

/* Reads the next "key\0how\0score\0" record at *p (before end); false at the end. */
static bool next_member(const char **p, const char *end, const char **member, const char **how,
                        const char **score)
{
    if (*p >= end)
        return false;
    *member = *p;
    *how = *member + strlen(*member) + 1;
    *score = *how + strlen(*how) + 1;
    *p = *score + strlen(*score) + 1;
    return true;
}

/* The destination has the merged row whose source key is key and target key
 * target: each row merged into it is counted, mapped and recorded. */
static co_code members_loaded(load *l, const co_buf *key, const co_buf *target)
{
    const char *rec;
    size_t len;
    if (!Co_map_get(&l->members, key->data, key->len, &rec, &len))
        return CO_OK;
    entity_keys *mine = &l->keys[l->index];
    co_code rc = CO_OK;
    const char *member, *how, *score;
    for (const char *p = rec, *end = rec + len;
         rc == CO_OK && next_member(&p, end, &member, &how, &score);) {
        size_t mlen = strlen(member);
        l->counts.merged++;
        if (!Co_map_put(&mine->merged, member, mlen, target->data, target->len) ||
            (mine->referenced &&
             !Co_map_put(&mine->loaded, member, mlen, target->data, target->len)))
            rc = co_error_set(l->err, CO_ENOMEM, "out of memory");
        if (rc == CO_OK)
            rc = co_state_idmap_add(l->s->state, l->t->key, l->e->name, member, target->data,
                                    l->err);
        if (rc == CO_OK)
            rc = co_state_merge_add(l->s->state, l->t->key, l->e->name, member, target->data,
                                    how, strtod(score, NULL), l->err);
    }
    return rc;
}

/* The destination refused a merged row: the rows merged into it are rejected
 * with it. */
static co_code members_refused(load *l, const co_buf *key, const char *reason)
{
    const char *rec;
    size_t len;
    if (!Co_map_get(&l->members, key->data, key->len, &rec, &len))
        return CO_OK;
    co_code rc = CO_OK;
    char why[512];
    snprintf(why, sizeof why, "merged into row %.*s, which the target refused: %s",
             (int)(key->len > 120 ? 120 : key->len), key->data, reason);
    const char *member, *how, *score;
    for (const char *p = rec, *end = rec + len;
         rc == CO_OK && next_member(&p, end, &member, &how, &score);) {
        co_buf mk = CO_BUF_INIT;
        Co_buf_adds(&mk, member);
        rc = reject(l, &mk, NULL, "merged_refused", why);
        Co_buf_release(&mk);
    }
    return rc;
}

/* The destination has a row (as it was put); with a target_key, tkey is the
 * key the row has there. Counts it and remembers where its key went. */
static void on_loaded(load *l, const co_value *row, const co_value *tkey)
{
    if (l->callback_rc != CO_OK)
        return;
    l->counts.loaded++;
    entity_keys *mine = &l->keys[l->index];
    if (!mine->referenced && !l->track_ids)
        return;
    /* A row whose target key was known when put had its id map row written
     * then; one the target gave a key (a placeholder put) has it now. */
    bool mapped = l->kd.on && !Co_keyed_placeholder(&l->kd, &row[l->kd.tk]);
    if (mapped && !mine->referenced && !l->keep_loaded && !l->merger)
        return;
    if (l->kd.on) {
        /* The source key it was put with (found by the key it was put with);
         * the target key it has. */
        Co_buf_reset(&l->tmp);
        Co_key_encode_exact(&l->tmp, &row[l->kd.tk], 1);
        const char *src;
        size_t slen;
        if (!Co_keyed_source(l, &l->tmp, &src, &slen)) {
            l->callback_rc = co_error_set(l->err, CO_EINTERNAL, "a loaded row's key %s was not put",
                                          co_buf_str(&l->tmp));
            return;
        }
        Co_buf_reset(&l->loaded_key);
        Co_buf_add(&l->loaded_key, src, slen);
        Co_buf_reset(&l->exact_key);
        Co_key_encode_exact(&l->exact_key, tkey, 1);
    } else {
        encode_key(l, row, &l->loaded_key);
        /* No merges yet: a row keeps its key in the target, with the types the
         * destination was given (the source key is canonical, for matching). */
        co_value kv[64];
        for (size_t k = 0; k < l->e->nkey; k++)
            kv[k] = row[l->key_idx[k]];
        Co_buf_reset(&l->exact_key);
        Co_key_encode_exact(&l->exact_key, kv, l->e->nkey);
    }
    const co_buf *k = &l->loaded_key, *target = &l->exact_key;
    if ((mine->referenced || l->keep_loaded) &&
        !Co_map_put(&mine->loaded, k->data, k->len, target->data, target->len))
        l->callback_rc = co_error_set(l->err, CO_ENOMEM, "out of memory");
    else if (l->track_ids && !mapped)
        l->callback_rc = co_state_idmap_add(l->s->state, l->t->key, l->e->name, k->data,
                                            target->data, l->err);
    if (l->callback_rc == CO_OK && l->merger)
        l->callback_rc = members_loaded(l, k, target);
}

/* The loader applied a row (events.loaded). */
static void on_loaded_row(void *ctx, const co_value *row, size_t ncols)
{
    load *l = ctx;
    (void)ncols;
    on_loaded(l, row, l->kd.on ? &row[l->kd.tk] : NULL);
}

/* The loader applied a row and says the key the target gave it. */
static void on_loaded_key(void *ctx, const co_value *row, size_t ncols, co_value key)
{
    (void)ncols;
    on_loaded(ctx, row, &key);
}

/* The loader reports a row the destination refused. */
static void on_refused(void *ctx, const co_value *row, size_t ncols, const char *rule,
                       const char *reason, const char *sqlstate)
{
    load *l = ctx;
    (void)ncols;
    (void)sqlstate;
    if (l->callback_rc != CO_OK)
        return;
    if (l->kd.on) {
        Co_buf_reset(&l->tmp);
        Co_key_encode_exact(&l->tmp, &row[l->kd.tk], 1);
        const char *src;
        size_t slen;
        Co_buf_reset(&l->loaded_key);
        if (Co_keyed_source(l, &l->tmp, &src, &slen))
            Co_buf_add(&l->loaded_key, src, slen);
        bool placeholder = Co_keyed_placeholder(&l->kd, &row[l->kd.tk]);
        if (l->track_ids && l->loaded_key.len && !placeholder) /* written when put (put_row) */
            l->callback_rc = co_state_idmap_delete(l->s->state, l->t->key, l->e->name,
                                                   co_buf_str(&l->loaded_key), l->err);
        if (placeholder) { /* the reject shows no key, as the target gave none */
            memcpy(l->kd.shown, row, l->kd.n * sizeof *row);
            l->kd.shown[l->kd.tk] = co_null();
            row = l->kd.shown;
        }
        if (l->callback_rc == CO_OK)
            l->callback_rc = reject_as(l, &l->loaded_key, row, l->kd.names, l->kd.n, rule, reason);
    } else {
        encode_key(l, row, &l->loaded_key);
        l->callback_rc = reject(l, &l->loaded_key, row, rule, reason);
    }
    if (l->callback_rc == CO_OK && l->merger)
        l->callback_rc = members_refused(l, &l->loaded_key, reason);
}

/* Checks a row before loading; returns false (with the reject written) when it
 * cannot go in. Ref columns are rewritten to the referenced row's target key. */
static bool admit_row(load *l, co_value *row, co_buf *storage, co_code *rc)
{
    char reason[192];
    for (size_t i = 0; i < l->ncols; i++) {
        size_t bad;
        if (row[i].type == CO_TEXT && !Co_utf8_valid(row[i].s, row[i].len, &bad)) {
            snprintf(reason, sizeof reason, "column %s is not valid UTF-8 (byte 0x%02x at offset %zu)",
                     l->names[i], (unsigned char)row[i].s[bad], bad);
            *rc = reject(l, &l->key, row, "invalid_utf8", reason);
            return false;
        }
    }
    for (size_t r = 0; r < l->e->nrefs; r++) {
        co_value *v = &row[l->refs[r].column];
        if (v->type == CO_NULL)
            continue;
        ref_col *ref = &l->refs[r];
        if (ref->cached && v->type == CO_INT && v->i == ref->cached_from) {
            l->row_remapped |= ref->cached_remapped;
            l->row_to_survivor |= ref->cached_survivor;
            if (!ref->cached_same)
                *v = co_int(ref->cached_to);
            continue;
        }
        entity_keys *parent = &l->keys[ref->parent];
        Co_buf_reset(&l->tmp);
        Co_key_encode(&l->tmp, v, 1);
        const char *target;
        size_t tlen;
        if (Co_map_get(&parent->loaded, l->tmp.data, l->tmp.len, &target, &tlen)) {
            bool remapped = co_map_count(&parent->merged) &&
                            Co_map_get(&parent->merged, l->tmp.data, l->tmp.len, NULL, NULL);
            l->row_remapped |= remapped;
            bool survivor = ref->survivors && co_map_count(ref->survivors) &&
                            Co_map_get(ref->survivors, target, tlen, NULL, NULL);
            l->row_to_survivor |= survivor;
            int64_t from = v->type == CO_INT ? v->i : 0;
            ref->cached = v->type == CO_INT;
            ref->cached_from = from;
            ref->cached_remapped = remapped;
            ref->cached_survivor = survivor;
            if (tlen == l->tmp.len && memcmp(target, l->tmp.data, tlen) == 0) {
                ref->cached_same = true; /* the key did not change */
                continue;
            }
            int64_t as_int; /* the common target key, [N]: as Co_key_decode reads it */
            if (tlen >= 3 && target[0] == '[' && target[tlen - 1] == ']' &&
                Co_text_as_int(target + 1, tlen - 2, &as_int)) {
                ref->cached_same = false;
                ref->cached_to = as_int;
                *v = co_int(as_int);
                continue;
            }
            ref->cached = false; /* decoded into storage: looked up each time */
            char copy[512];
            size_t n = 0;
            if (tlen >= sizeof copy) {
                *rc = co_error_set(l->err, CO_EINTERNAL, "target key too long");
                return false;
            }
            memcpy(copy, target, tlen);
            copy[tlen] = '\0';
            *rc = Co_key_decode(copy, v, 1, &n, storage, l->err);
            if (*rc != CO_OK)
                return false;
            continue;
        }
        const char *parent_name = l->s->project->entities[l->refs[r].parent].name;
        bool was_rejected = Co_map_get(&parent->rejected, l->tmp.data, l->tmp.len, NULL, NULL);
        /* The value as written in the key, without the brackets of a one-value key. */
        int vlen = (int)(l->tmp.len > 2 ? l->tmp.len - 2 : 0);
        char full[320];
        if (was_rejected)
            snprintf(full, sizeof full, "%s %.*s refers to a %s row that was itself rejected",
                     l->refs[r].name, vlen > 64 ? 64 : vlen, l->tmp.data + 1, parent_name);
        else
            snprintf(full, sizeof full, "%s %.*s matches no loaded %s row", l->refs[r].name,
                     vlen > 64 ? 64 : vlen, l->tmp.data + 1, parent_name);
        *rc = reject(l, &l->key, row, was_rejected ? "ref_rejected" : "ref_missing", full);
        return false;
    }
    return true;
}

/* Ends a batch: every row put is reported, the journal commits (id maps,
 * rejects), then the destination. */
static co_code commit_batch(load *l, co_loader *loader, bool reopen)
{
    co_code rc = co_loader_flush(loader, l->err);
    if (rc == CO_OK)
        rc = l->callback_rc;
    if (l->kd.on) { /* every row put was reported */
        Co_keyed_batch_done(&l->kd);
        if (l->kd.until_commit)
            l->kd.npool = l->kd.used = 0; /* SQLite: ours only while the transaction lasts */
    }
    if (rc == CO_OK)
        rc = Co_rejects_sync(l->rejects, l->err);
    if (rc == CO_OK)
        rc = co_state_commit(l->s->state, l->err);
    if (rc == CO_OK)
        rc = co_store_commit(l->s->dest, l->err);
    /* While a push-down holds the target, nothing is written here: a BEGIN
     * that waits for a write never takes the target's lock. */
    if (rc == CO_OK && reopen)
        rc = l->pd ? co_store_begin_on_write(l->s->dest, l->err) : co_store_begin(l->s->dest, l->err);
    if (rc == CO_OK && reopen)
        rc = co_state_begin_batch(l->s->state, l->err);
    return rc;
}

/* The target keys of parent's rows that others were merged into: the
 * values of its merged map, as its loaded map holds them. */
static co_code survivors_of(load *l, const entity_keys *parent, co_map **out)
{
    co_map *m = calloc(1, sizeof *m);
    if (!m)
        return co_error_set(l->err, CO_ENOMEM, "out of memory");
    Co_map_init(m);
    *out = m;
    size_t pos = 0, klen, vlen;
    const char *key, *val;
    while (Co_map_next(&parent->merged, &pos, &key, &klen, &val, &vlen))
        if (!Co_map_put(m, val, vlen, "", 0))
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* Sets up column names, key and ref positions from the open cursor. */
co_code Co_load_describe(load *l, co_cursor *c)
{
    size_t extra = l->merger ? Co_merger_extra(l->merger) : 0;
    l->ncols = co_cursor_ncols(c) > extra ? co_cursor_ncols(c) - extra : 0;
    l->names = calloc(l->ncols ? l->ncols : 1, sizeof *l->names);
    l->refs = calloc(l->e->nrefs ? l->e->nrefs : 1, sizeof *l->refs);
    if (!l->names || !l->refs)
        return co_error_set(l->err, CO_ENOMEM, "out of memory");
    /* Copies: SQLite frees its names if the statement is prepared again. */
    for (size_t i = 0; i < l->ncols; i++)
        if (!(l->names[i] = strdup(co_cursor_colname(c, i))))
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
    if (l->e->nkey > 64)
        return co_error_set(l->err, CO_EPROJECT, "a key has more than 64 columns");
    for (size_t k = 0; k < l->e->nkey; k++) {
        int idx = Co_column_index(l->names, l->ncols, l->e->key[k]);
        if (idx < 0)
            return co_error_set(l->err, CO_EPROJECT, "key column \"%s\" is not among the query's columns",
                                l->e->key[k]);
        l->key_idx[k] = (size_t)idx;
    }
    for (size_t r = 0; r < l->e->nrefs; r++) {
        int idx = Co_column_index(l->names, l->ncols, l->e->refs[r].column);
        int parent = co_project_entity_index(l->s->project, l->e->refs[r].entity);
        if (idx < 0)
            return co_error_set(l->err, CO_EPROJECT, "refs column \"%s\" is not among the query's columns",
                                l->e->refs[r].column);
        if (parent < 0 || (size_t)parent >= l->index)
            return co_error_set(l->err, CO_EPROJECT, "refs entity \"%s\" is not an earlier entity",
                                l->e->refs[r].entity);
        l->refs[r] = (ref_col){.column = (size_t)idx, .parent = (size_t)parent,
                               .name = l->e->refs[r].column};
        /* Two rows can only come to share a key when a reference sent to a
         * merged row is part of it (the tags of two merged contacts); only
         * then are the keys kept to tell (an engagement keyed by its own id
         * never collapses, and a tenant's millions of them are not held). */
        bool in_key = false;
        for (size_t k = 0; k < l->e->nkey && !in_key; k++)
            in_key = l->key_idx[k] == (size_t)idx;
        if (in_key && l->s->project->entities[parent].merge != NULL) {
            l->collapse = true;
            co_code rc = survivors_of(l, &l->keys[parent], &l->refs[r].survivors);
            if (rc != CO_OK)
                return rc;
        }
    }
    if (l->merger)
        return Co_merger_bind(l->merger, l->names, l->ncols, l->key_idx, l->err);
    return CO_OK;
}

co_code Co_entity_count_rows(co_session *s, const co_entity *e, const co_param *tenant,
                             int64_t *total, co_error *err)
{
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT count(*) FROM (%s\n) AS q", e->query);
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query_int(s->source, co_buf_str(&sql), tenant, 1, total,
                                                 NULL, err);
    Co_buf_release(&sql);
    return rc;
}

static void report(load *l, const co_migrate_options *opt, int64_t total, bool done)
{
    if (!opt->progress)
        return;
    co_progress p = {l->t->key, l->e->name, l->index, l->s->project->nentities,
                     l->counts.source_rows, total, done};
    opt->progress(opt->progress_ctx, &p);
}

/* Loads an admitted row whose canonical source key is key. A row that, once
 * its refs went to merged rows, has the key of a row already loaded is merged
 * into that row (the tags of two merged contacts: one row per tag). */
static co_code put_row(load *l, const co_value *row, const co_buf *key)
{
    entity_keys *mine = &l->keys[l->index];
    /* Only a row whose key refers to a row others were merged into can come
     * to share its key with another (a remapped row refers to one, and so
     * does the row it may meet): the others are not kept. */
    if (l->collapse && l->row_to_survivor) {
        co_value kv[64];
        for (size_t k = 0; k < l->e->nkey; k++)
            kv[k] = row[l->key_idx[k]];
        Co_buf_reset(&l->tmp);
        Co_key_encode(&l->tmp, kv, l->e->nkey);
        const char *was;
        size_t wlen;
        if (Co_map_get(&l->collapsed, l->tmp.data, l->tmp.len, &was, &wlen)) {
            if (l->row_remapped || (wlen == 1 && was[0] == '1')) {
                l->counts.merged++;
                if (l->sink)
                    return CO_OK;
                Co_buf_reset(&l->exact_key);
                Co_key_encode_exact(&l->exact_key, kv, l->e->nkey);
                return co_state_merge_add(l->s->state, l->t->key, l->e->name, co_buf_str(key),
                                          co_buf_str(&l->exact_key), "parent", -1, l->err);
            }
        } else if (!Co_map_put(&l->collapsed, l->tmp.data, l->tmp.len,
                               l->row_remapped ? "1" : "0", 1)) {
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
        }
    }
    const co_value *out = row;
    co_code rc;
    if (l->sink) {
        if (l->kd.on && (rc = Co_keyed_row(l, row, key, false, &out)) != CO_OK)
            return rc;
        return l->sink(l->sink_ctx, out, l->err);
    }
    if (mine->referenced || l->track_ids) {
        int added = Co_keyset_add(&l->put_keys, key->data, key->len);
        if (added < 0)
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
        if (added == 0)
            /* The id map needs one row per key; the target may not say so. */
            return reject(l, key, row, "duplicate_key",
                          "another row of this tenant has the same key");
    }
    if (l->kd.on) {
        if ((rc = Co_keyed_row(l, row, key, true, &out)) != CO_OK)
            return rc;
        Co_buf_reset(&l->tmp);
        Co_key_encode_exact(&l->tmp, &out[l->kd.tk], 1);
        if (l->tmp.failed)
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
        if ((rc = Co_keyed_put(l, key, &l->tmp)) != CO_OK)
            return rc;
        /* The id map row is added as the row is put, not once the
         * destination has it (a SQLite journal holds it until the batch
         * commits, co_state_begin_batch). A row the destination refuses
         * takes its id map row back (on_refused); the journal
         * commits after the destination flushed, so the two never disagree
         * once committed. A row the target gives its key (a placeholder
         * put) gets its id map row when loaded (on_loaded), in the same
         * batch of the journal, committed before the destination's. */
        if (l->track_ids && !Co_keyed_placeholder(&l->kd, &out[l->kd.tk]) &&
            (rc = co_state_idmap_add(l->s->state, l->t->key, l->e->name, co_buf_str(key),
                                     co_buf_str(&l->tmp), l->err)) != CO_OK)
            return rc;
    }
    rc = co_loader_put(l->loader, out, l->err);
    return rc == CO_OK ? l->callback_rc : rc;
}

/* A cluster of rows came out of the merger as one row. */
co_code Co_load_on_merged(void *ctx, const co_merged *m, co_error *err)
{
    load *l = ctx;
    (void)err;
    co_buf key = CO_BUF_INIT;
    encode_key(l, m->row, &key);
    co_code rc = l->sink ? CO_OK : members_keep(l, &key, m);
    if (rc == CO_OK)
        rc = put_row(l, m->row, &key);
    Co_buf_release(&key);
    return rc;
}

/* One source row on its way: left out when its key is in skip (the journal's
 * rejects, for verification), checked (admit_row), then through the merger
 * when the entity merges, and put. */
co_code Co_load_take_row(load *l, co_value *row, co_buf *storage, const co_map *skip)
{
    encode_key(l, row, &l->key);
    Co_buf_reset(storage);
    l->row_remapped = false;
    l->row_to_survivor = false;
    co_code rc = CO_OK;
    if ((skip && Co_map_get(skip, l->key.data, l->key.len, NULL, NULL)) ||
        !admit_row(l, row, storage, &rc))
        return rc == CO_OK && l->merger
                   ? Co_merger_drop(l->merger, l->key.data, l->key.len, l->err)
                   : rc;
    bool held = false;
    if (l->merger)
        rc = Co_merger_put(l->merger, row, l->key.data, l->key.len, &held, l->err);
    return rc == CO_OK && !held ? put_row(l, row, &l->key) : rc;
}

co_code Co_load_rows(load *l, co_cursor *c, co_loader *loader, const co_migrate_options *opt,
                     int64_t total)
{
    co_value row[256];
    size_t width = l->ncols + (l->merger ? Co_merger_extra(l->merger) : 0);
    if (width > 256)
        return co_error_set(l->err, CO_EUNSUPPORTED, "queries of more than 256 columns are not supported");
    size_t batch = l->s->project->batch_size, in_batch = 0;
    co_buf storage = CO_BUF_INIT; /* remapped ref values */
    /* The next rows are read on a thread of their own while these load (reader.h). */
    co_reader *reader = NULL;
    co_code rc = Co_reader_wanted() && !l->no_reader ? Co_reader_start(c, width, &reader, l->err)
                                                     : CO_OK;
    bool has_row;
    const co_value *read = NULL;
    while (rc == CO_OK &&
           (rc = reader ? Co_reader_next(reader, &read, &has_row, l->err)
                        : co_cursor_next(c, &has_row, l->err)) == CO_OK &&
           has_row) {
        l->counts.source_rows++;
        for (size_t i = 0; i < width; i++) {
            row[i] = reader ? read[i] : co_cursor_value(c, i);
            l->counts.bytes += row[i].type == CO_TEXT || row[i].type == CO_BLOB ? (int64_t)row[i].len
                               : row[i].type == CO_NULL                       ? 0
                                                                              : 8;
        }
        if (opt->on_row) {
            rc = opt->on_row(opt->on_row_ctx, l->index, (const char *const *)l->names, row,
                             l->ncols, l->err);
            if (rc != CO_OK)
                break;
        }
        rc = Co_load_take_row(l, row, &storage, NULL);
        if (rc != CO_OK)
            break;
        if (++in_batch >= batch) {
            in_batch = 0;
            rc = commit_batch(l, loader, true);
            if (rc != CO_OK)
                break;
        }
        if ((l->counts.source_rows & 4095) == 0)
            report(l, opt, total, false);
    }
    Co_reader_stop(reader);
    if (rc == CO_OK && l->merger)
        rc = Co_merger_finish(l->merger, l->err);
    Co_buf_release(&storage);
    return rc;
}

co_code Co_load_batch(load *l, co_cursor *c, co_loader *loader, const co_migrate_options *opt,
                      int64_t total, bool on_write)
{
    co_code rc = on_write ? co_store_begin_on_write(l->s->dest, l->err)
                          : co_store_begin(l->s->dest, l->err);
    bool in_txn = false;
    if (rc == CO_OK) {
        rc = co_state_begin_batch(l->s->state, l->err);
        in_txn = rc == CO_OK;
        if (!in_txn)
            co_store_rollback(l->s->dest);
    }
    if (rc == CO_OK)
        rc = Co_load_rows(l, c, loader, opt, total);
    if (rc == CO_OK)
        rc = commit_batch(l, loader, false);
    if (rc != CO_OK && in_txn) {
        co_state_rollback(l->s->state);
        co_store_rollback(l->s->dest);
    }
    return rc;
}

co_code Co_load_loader_open(load *l, co_loader **out)
{
    co_load_events events = {on_loaded_row, on_refused, l};
    co_code rc = co_loader_open(l->s->dest, l->e->target, l->kd.on ? l->kd.names : l->names,
                                l->kd.on ? l->kd.n : l->ncols, &events, out, l->err);
    if (rc == CO_OK && l->kd.assign)
        rc = co_loader_assign_key(*out, l->kd.tk, on_loaded_key, l->err);
    if (rc != CO_OK) {
        co_loader_close(*out);
        *out = NULL;
    }
    return rc;
}

co_code Co_load_entity(load *l, int64_t run_id, const co_migrate_options *opt,
                       const co_map *reuse)
{
    co_param tenant = {":tenant", l->t->value};
    int64_t total = -1;
    double started = Co_clock_mono();
    char step[160];
    snprintf(step, sizeof step, "load:%s", l->e->name);
    co_code rc = co_state_step_begin(l->s->state, run_id, step, l->e->name, l->err);
    /* An entity that draws integer keys counts its rows, to reserve them
     * in as few blocks as it takes (keyed.c); a UUID key, or one the target
     * gives on insert, has nothing to reserve. */
    if (rc == CO_OK && (opt->count_rows || Co_keyed_reserves(l->s, l->e)) &&
        Co_entity_count_rows(l->s, l->e, &tenant, &total, l->err) != CO_OK) {
        total = -1; /* only for the progress bar: go on without a total */
        co_error_clear(l->err);
    }
    co_cursor *c = NULL;
    if (rc == CO_OK && l->e->merge)
        rc = Co_merger_open(l->s, l->t, l->e, Co_load_on_merged, l, &l->merger, l->err);
    if (rc == CO_OK)
        rc = co_store_query(l->s->source, l->merger ? Co_merger_query(l->merger) : l->e->query,
                            &tenant, 1, &c, l->err);
    if (rc == CO_OK)
        rc = Co_load_describe(l, c);
    if (rc == CO_OK)
        rc = Co_keyed_open(l, reuse);
    /* Keys kept from before are not drawn again. */
    l->kd.expect = total < 0 ? -1 : total - (int64_t)(reuse ? co_map_count(reuse) : 0);
    if (rc == CO_OK)
        Co_keyed_ahead(l);
    /* The keys put are kept for the whole tenant: room for them at once,
     * not rehashed as they come (keys of one integer need none). */
    if (rc == CO_OK && total > 0 && (l->keys[l->index].referenced || l->track_ids))
        Co_keyset_hint(&l->put_keys, (size_t)total);
    co_loader *loader = NULL;
    if (rc == CO_OK)
        rc = Co_load_loader_open(l, &loader);
    l->loader = loader;
    /* Rows that need no per-row work go in by INSERT ... SELECT, a chunk at a time. */
    if (rc == CO_OK)
        rc = Co_pushdown_try(l, opt, l->err);
    if (rc == CO_OK)
        rc = l->pd ? Co_pushdown_load(l, loader, opt, total)
                   : Co_load_batch(l, c, loader, opt, total, false);
    Co_pushdown_close(l);
    co_loader_close(loader);
    co_cursor_close(c);
    l->counts.seconds = Co_clock_mono() - started;
    if (rc == CO_OK) {
        report(l, opt, total, true);
        rc = co_state_step_end(l->s->state, run_id, step, "done", l->counts.source_rows,
                               l->counts.loaded, l->counts.rejected, l->counts.seconds, l->err);
    } else {
        co_error_where(l->err, "tenant %s, entity %s", l->t->key, l->e->name);
        co_error step_err;
        co_error_clear(&step_err);
        co_state_step_end(l->s->state, run_id, step, "failed", l->counts.source_rows,
                          l->counts.loaded, l->counts.rejected, l->counts.seconds, &step_err);
    }
    return rc;
}
