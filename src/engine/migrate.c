/*
 * migrate.c: one tenant from the source into the destination (migrate.h).
 *
 * For each entity in project order: stream the entity query's rows for the
 * tenant, check each (valid UTF-8, references through the id maps of earlier
 * entities), load it through the destination's loader, and count it as loaded
 * or rejected. Batches are committed in the journal first (id maps, rejects)
 * and then in the destination, so that an id map never misses a loaded row and
 * a purge always finds everything a run left behind.
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

/* What the run remembers of an entity's keys while later entities load. */
typedef struct entity_keys {
    bool referenced; /* a later entity's refs point here */
    co_map loaded;   /* source key -> target key */
    co_map rejected; /* source keys of rejected rows */
    co_map merged;   /* source keys of rows merged into another -> its target key */
} entity_keys;

typedef struct ref_col {
    size_t column; /* index in the query's output */
    size_t parent; /* index of the referenced entity */
    const char *name;
} ref_col;

/* An entity whose target assigns its keys (target_key): how a row of its
 * query becomes a row of the target, and the values reserved for new rows. */
typedef struct keyed {
    bool on;
    bool uuid;             /* the target key is a UUID that cutover makes */
    const char **names;    /* the columns loaded (co_entity_layout) */
    int *from;             /* per loaded column: its output column, -1 for the target key */
    size_t n;
    size_t tk;             /* the target key's place among the loaded columns */
    int64_t *pool;         /* values reserved and not yet used */
    size_t npool, used, block;
    bool until_commit;     /* the pool is good until the destination commits */
    int64_t floor;         /* the largest value used or reused (SQLite: draw above it) */
    co_map pending;        /* target key (exact) -> source key, of rows put since the flush */
    const co_map *reuse;   /* source key -> target key from before: kept, never drawn again */
    co_value row[257];
    co_buf text;           /* the current row's target key text */
} keyed;

/* The load of one entity for one tenant. */
typedef struct load {
    co_session *s;
    const co_tenant *t;
    const co_entity *e;
    size_t index;
    entity_keys *keys; /* all entities' */
    co_rejects *rejects;
    const char **names; /* output column names */
    size_t ncols;
    size_t key_idx[64];
    ref_col *refs;
    bool track_ids; /* write the id map to the journal */
    co_buf key;     /* the current row's canonical key */
    co_buf loaded_key; /* the key of a row the loader reports on */
    co_buf exact_key;  /* the same, every value with its own type */
    co_map put_keys;   /* keys put so far, when the entity's keys are tracked */
    co_buf tmp;
    co_code callback_rc; /* the first error inside a loader callback */
    co_error *err;
    co_entity_counts counts;
    co_merger *merger;     /* when the entity merges rows */
    co_loader *loader;
    co_map members;        /* merged row's canonical key -> the rows merged into it */
    bool collapse;         /* a ref points to an entity that merges rows */
    bool row_remapped;     /* the current row's refs went to a merged row */
    co_map collapsed;      /* keys after remapping -> "1" when a merge remapped that row */
    co_expected_fn sink;   /* for verification: rows go here, not to a loader */
    void *sink_ctx;
    keyed kd;              /* when the entity has a target_key */
    bool keep_loaded;      /* keys[index].loaded follows every row loaded (catch-up) */
} load;

void co_migrate_result_release(co_migrate_result *r)
{
    free(r->entities);
    free(r->rejects_file);
    memset(r, 0, sizeof *r);
}

static void encode_key(load *l, const co_value *row, co_buf *out)
{
    co_value vals[64];
    for (size_t k = 0; k < l->e->nkey; k++)
        vals[k] = row[l->key_idx[k]];
    co_buf_reset(out);
    co_key_encode(out, vals, l->e->nkey);
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
    if (mine->referenced && !co_map_put(&mine->rejected, key->data, key->len, "", 0))
        return co_error_set(l->err, CO_ENOMEM, "out of memory");
    return co_rejects_add(l->rejects, l->e->name, co_buf_str(key), rule, reason, row, names,
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
        co_buf_adds(&rec, m->members[i]);
        co_buf_addc(&rec, '\0');
        co_buf_adds(&rec, m->how[i]);
        co_buf_addc(&rec, '\0');
        co_buf_printf(&rec, "%.6f", m->score[i]);
        co_buf_addc(&rec, '\0');
    }
    bool ok = !rec.failed && co_map_put(&l->members, key->data, key->len, rec.data ? rec.data : "",
                                        rec.len);
    co_buf_release(&rec);
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
    if (!co_map_get(&l->members, key->data, key->len, &rec, &len))
        return CO_OK;
    entity_keys *mine = &l->keys[l->index];
    co_code rc = CO_OK;
    const char *member, *how, *score;
    for (const char *p = rec, *end = rec + len;
         rc == CO_OK && next_member(&p, end, &member, &how, &score);) {
        size_t mlen = strlen(member);
        l->counts.merged++;
        if (!co_map_put(&mine->merged, member, mlen, target->data, target->len) ||
            (mine->referenced &&
             !co_map_put(&mine->loaded, member, mlen, target->data, target->len)))
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
    if (!co_map_get(&l->members, key->data, key->len, &rec, &len))
        return CO_OK;
    co_code rc = CO_OK;
    char why[512];
    snprintf(why, sizeof why, "merged into row %.*s, which the target refused: %s",
             (int)(key->len > 120 ? 120 : key->len), key->data, reason);
    const char *member, *how, *score;
    for (const char *p = rec, *end = rec + len;
         rc == CO_OK && next_member(&p, end, &member, &how, &score);) {
        co_buf mk = CO_BUF_INIT;
        co_buf_adds(&mk, member);
        rc = reject(l, &mk, NULL, "merged_refused", why);
        co_buf_release(&mk);
    }
    return rc;
}

/* The loader applied a row: count it and remember where its key went. */
static void on_loaded(void *ctx, const co_value *row, size_t ncols)
{
    load *l = ctx;
    (void)ncols;
    if (l->callback_rc != CO_OK)
        return;
    l->counts.loaded++;
    entity_keys *mine = &l->keys[l->index];
    if (!mine->referenced && !l->track_ids)
        return;
    if (l->kd.on) {
        /* The target key it was given; the source key it was put with. */
        co_buf_reset(&l->exact_key);
        co_key_encode_exact(&l->exact_key, &row[l->kd.tk], 1);
        const char *src;
        size_t slen;
        if (!co_map_get(&l->kd.pending, l->exact_key.data, l->exact_key.len, &src, &slen)) {
            l->callback_rc = co_error_set(l->err, CO_EINTERNAL, "a loaded row's key %s was not put",
                                          co_buf_str(&l->exact_key));
            return;
        }
        co_buf_reset(&l->loaded_key);
        co_buf_add(&l->loaded_key, src, slen);
    } else {
        encode_key(l, row, &l->loaded_key);
        /* No merges yet: a row keeps its key in the target, with the types the
         * destination was given (the source key is canonical, for matching). */
        co_value kv[64];
        for (size_t k = 0; k < l->e->nkey; k++)
            kv[k] = row[l->key_idx[k]];
        co_buf_reset(&l->exact_key);
        co_key_encode_exact(&l->exact_key, kv, l->e->nkey);
    }
    const co_buf *k = &l->loaded_key, *target = &l->exact_key;
    if ((mine->referenced || l->keep_loaded) &&
        !co_map_put(&mine->loaded, k->data, k->len, target->data, target->len))
        l->callback_rc = co_error_set(l->err, CO_ENOMEM, "out of memory");
    else if (l->track_ids)
        l->callback_rc = co_state_idmap_add(l->s->state, l->t->key, l->e->name, k->data,
                                            target->data, l->err);
    if (l->callback_rc == CO_OK && l->merger)
        l->callback_rc = members_loaded(l, k, target);
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
        co_buf_reset(&l->tmp);
        co_key_encode_exact(&l->tmp, &row[l->kd.tk], 1);
        const char *src;
        size_t slen;
        co_buf_reset(&l->loaded_key);
        if (co_map_get(&l->kd.pending, l->tmp.data, l->tmp.len, &src, &slen))
            co_buf_add(&l->loaded_key, src, slen);
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
        if (row[i].type == CO_TEXT && !co_utf8_valid(row[i].s, row[i].len, &bad)) {
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
        entity_keys *parent = &l->keys[l->refs[r].parent];
        co_buf_reset(&l->tmp);
        co_key_encode(&l->tmp, v, 1);
        const char *target;
        size_t tlen;
        if (co_map_get(&parent->loaded, l->tmp.data, l->tmp.len, &target, &tlen)) {
            if (co_map_count(&parent->merged) &&
                co_map_get(&parent->merged, l->tmp.data, l->tmp.len, NULL, NULL))
                l->row_remapped = true;
            if (tlen == l->tmp.len && memcmp(target, l->tmp.data, tlen) == 0)
                continue; /* the key did not change */
            char copy[512];
            size_t n = 0;
            if (tlen >= sizeof copy) {
                *rc = co_error_set(l->err, CO_EINTERNAL, "target key too long");
                return false;
            }
            memcpy(copy, target, tlen);
            copy[tlen] = '\0';
            *rc = co_key_decode(copy, v, 1, &n, storage, l->err);
            if (*rc != CO_OK)
                return false;
            continue;
        }
        const char *parent_name = l->s->project->entities[l->refs[r].parent].name;
        bool was_rejected = co_map_get(&parent->rejected, l->tmp.data, l->tmp.len, NULL, NULL);
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
        co_map_release(&l->kd.pending);
        co_map_init(&l->kd.pending);
        if (l->kd.until_commit)
            l->kd.npool = l->kd.used = 0; /* SQLite: ours only while the transaction lasts */
    }
    if (rc == CO_OK)
        rc = co_rejects_sync(l->rejects, l->err);
    if (rc == CO_OK)
        rc = co_state_commit(l->s->state, l->err);
    if (rc == CO_OK)
        rc = co_store_commit(l->s->dest, l->err);
    if (rc == CO_OK && reopen)
        rc = co_store_begin(l->s->dest, l->err);
    if (rc == CO_OK && reopen)
        rc = co_state_begin(l->s->state, l->err);
    return rc;
}

static int column_index(const char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* True when a declared type holds integers (SQLite's affinity rule, and
 * PostgreSQL's integer, bigint, smallint, serial types). */
static bool integer_type(const char *decl)
{
    for (const char *p = decl; *p; p++)
        if (strncasecmp(p, "int", 3) == 0 || strncasecmp(p, "serial", 6) == 0)
            return true;
    return false;
}

/* True when a declared type can take the text of a UUID. */
static bool uuid_type(const char *decl)
{
    static const char *const kinds[] = {"uuid", "char", "text", "clob"};
    for (const char *p = decl; *p; p++)
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
            if (strncasecmp(p, kinds[k], strlen(kinds[k])) == 0)
                return true;
    return false;
}

co_code co_entity_layout(co_session *s, const co_entity *e, const char *const *names, size_t n,
                         co_layout *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    out->names = calloc(n + 1, sizeof *out->names);
    out->from = calloc(n + 1, sizeof *out->from);
    if (!out->names || !out->from) {
        co_layout_release(out);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (!e->target_key) {
        for (size_t i = 0; i < n; i++) {
            out->names[i] = names[i];
            out->from[i] = (int)i;
        }
        out->n = n;
        return CO_OK;
    }
    co_column *cols = NULL;
    size_t ncols = 0;
    co_code rc = co_store_columns(s->dest, e->target, &cols, &ncols, err);
    if (rc != CO_OK) {
        co_layout_release(out);
        return rc;
    }
    const co_column *tk = NULL;
    for (size_t c = 0; c < ncols && !tk; c++)
        if (strcmp(cols[c].name, e->target_key) == 0)
            tk = &cols[c];
    if (!tk) {
        rc = co_error_set(err, CO_EPROJECT, "entity %s: target_key \"%s\" is not a column of "
                          "the target table \"%s\"", e->name, e->target_key, e->target);
    } else if (!integer_type(tk->decl_type) && !uuid_type(tk->decl_type)) {
        rc = co_error_set(err, CO_EUNSUPPORTED,
                          "entity %s: target_key \"%s\" is of type %s: cutover assigns integer "
                          "keys (from the column's sequence) and UUIDs only",
                          e->name, e->target_key, *tk->decl_type ? tk->decl_type : "(none)");
    }
    out->uuid = tk && !integer_type(tk->decl_type);
    bool given = false;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        bool is_key = false, in_table = false;
        for (size_t k = 0; k < e->nkey && !is_key; k++)
            is_key = strcmp(e->key[k], names[i]) == 0;
        for (size_t c = 0; c < ncols && !in_table; c++)
            in_table = strcmp(cols[c].name, names[i]) == 0;
        if (is_key && !in_table)
            continue; /* a source key the target has no column for: the id map keeps it */
        bool is_tk = strcmp(names[i], e->target_key) == 0;
        if (is_tk) {
            given = true;
            out->tk = out->n;
        }
        out->names[out->n] = names[i];
        out->from[out->n++] = is_tk ? -1 : (int)i;
    }
    if (rc == CO_OK && !given) {
        out->tk = out->n;
        out->names[out->n] = e->target_key;
        out->from[out->n++] = -1;
    }
    co_columns_free(cols, ncols);
    if (rc != CO_OK)
        co_layout_release(out);
    return rc;
}

void co_layout_release(co_layout *l)
{
    free(l->names);
    free(l->from);
    memset(l, 0, sizeof *l);
}

/* The largest integer among the target keys of a map (its values). */
static int64_t largest_target(const co_map *m)
{
    int64_t top = 0;
    size_t pos = 0, klen, vlen;
    const char *k, *v;
    co_buf storage = CO_BUF_INIT;
    while (co_map_next(m, &pos, &k, &klen, &v, &vlen)) {
        char one[64];
        co_value val[2];
        size_t got = 0;
        if (vlen >= sizeof one)
            continue;
        memcpy(one, v, vlen);
        one[vlen] = '\0';
        co_buf_reset(&storage);
        if (co_key_decode(one, val, 2, &got, &storage, NULL) == CO_OK && got == 1 &&
            val[0].type == CO_INT && val[0].i > top)
            top = val[0].i;
    }
    co_buf_release(&storage);
    return top;
}

/* A version 4 (random) UUID, from the kernel's random source (getrandom),
 * lower case: 8-4-4-4-12 hex digits. */
static co_code make_uuid(char out[37], co_error *err)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r <= 0)
            return co_error_set(err, CO_EIO, "cannot read random bytes for a UUID");
        got += (size_t)r;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    return CO_OK;
}

/* A new integer key: from the pool, which is filled a block at a time (the
 * blocks grow from 64 to 8192 values, so that a small tenant wastes few). */
static co_code draw_key(load *l, int64_t *out)
{
    keyed *k = &l->kd;
    if (k->used == k->npool) {
        size_t want = k->block ? k->block : 64;
        k->block = want * 2 > 8192 ? 8192 : want * 2;
        if (!k->pool && !(k->pool = malloc(8192 * sizeof *k->pool)))
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
        co_code rc = co_store_reserve_keys(l->s->dest, l->e->target, l->e->target_key, want,
                                           k->pool, &k->until_commit, l->err);
        if (rc != CO_OK)
            return rc;
        /* SQLite's values are consecutive above what the table holds; rows
         * put but not yet flushed, and keys kept from before, are above that. */
        if (k->until_commit && want && k->pool[0] <= k->floor) {
            int64_t shift = k->floor + 1 - k->pool[0];
            for (size_t i = 0; i < want; i++)
                k->pool[i] += shift;
        }
        k->npool = want;
        k->used = 0;
    }
    *out = k->pool[k->used++];
    if (*out > k->floor)
        k->floor = *out;
    return CO_OK;
}

/* The row of the target for a source row whose canonical key is key: the
 * loaded columns, with the target key kept from before (kd.reuse), or, when
 * drawing (not verifying), a new one; when verifying a row the id map does
 * not know, the text "no target key: source key [...]". */
static co_code keyed_row(load *l, const co_value *row, const co_buf *key, bool draw,
                         const co_value **out)
{
    keyed *k = &l->kd;
    for (size_t j = 0; j < k->n; j++)
        k->row[j] = k->from[j] >= 0 ? row[k->from[j]] : co_null();
    const char *t;
    size_t tlen;
    co_buf_reset(&k->text);
    co_value *v = &k->row[k->tk];
    *out = k->row;
    if (k->reuse && co_map_get(k->reuse, key->data, key->len, &t, &tlen)) {
        char one[128];
        size_t got = 0;
        if (tlen >= sizeof one)
            return co_error_set(l->err, CO_ESTATE, "state: target key too long");
        memcpy(one, t, tlen);
        one[tlen] = '\0';
        co_code rc = co_key_decode(one, v, 1, &got, &k->text, l->err);
        return rc == CO_OK && got != 1
                   ? co_error_set(l->err, CO_ESTATE, "state: target key %s is not one value", one)
                   : rc;
    }
    if (!draw) {
        /* Verifying a row the id map does not know: it is missing from the
         * target, and its finding names its source key. */
        co_buf_printf(&k->text, "no target key: source key %.*s", (int)key->len, key->data);
        *v = co_text(k->text.data, k->text.len);
        return k->text.failed ? co_error_set(l->err, CO_ENOMEM, "out of memory") : CO_OK;
    }
    if (k->uuid) {
        char uuid[37];
        co_code rc = make_uuid(uuid, l->err);
        if (rc != CO_OK)
            return rc;
        co_buf_adds(&k->text, uuid);
        *v = co_text(k->text.data, 36);
        return k->text.failed ? co_error_set(l->err, CO_ENOMEM, "out of memory") : CO_OK;
    }
    int64_t id = 0;
    co_code rc = draw_key(l, &id);
    if (rc == CO_OK)
        *v = co_int(id);
    return rc;
}

/* Sets up the target's columns of an entity with a target_key; reuse is its
 * id map from before (or NULL). */
static co_code keyed_open(load *l, const co_map *reuse)
{
    if (!l->e->target_key)
        return CO_OK;
    co_layout lay;
    co_code rc = co_entity_layout(l->s, l->e, (const char *const *)l->names, l->ncols, &lay, l->err);
    if (rc != CO_OK)
        return rc;
    if (lay.n > 256) {
        co_layout_release(&lay);
        return co_error_set(l->err, CO_EUNSUPPORTED, "queries of more than 256 columns are not supported");
    }
    l->kd.on = true;
    l->kd.uuid = lay.uuid;
    l->kd.names = lay.names;
    l->kd.from = lay.from;
    l->kd.n = lay.n;
    l->kd.tk = lay.tk;
    l->kd.reuse = reuse;
    l->kd.floor = reuse && !lay.uuid ? largest_target(reuse) : 0;
    co_map_init(&l->kd.pending);
    return CO_OK;
}

static void keyed_release(keyed *k)
{
    free(k->names);
    free(k->from);
    free(k->pool);
    co_map_release(&k->pending);
    co_buf_release(&k->text);
    memset(k, 0, sizeof *k);
}

/* Sets up column names, key and ref positions from the open cursor. */
static co_code describe(load *l, co_cursor *c)
{
    size_t extra = l->merger ? co_merger_extra(l->merger) : 0;
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
        int idx = column_index(l->names, l->ncols, l->e->key[k]);
        if (idx < 0)
            return co_error_set(l->err, CO_EPROJECT, "key column \"%s\" is not among the query's columns",
                                l->e->key[k]);
        l->key_idx[k] = (size_t)idx;
    }
    for (size_t r = 0; r < l->e->nrefs; r++) {
        int idx = column_index(l->names, l->ncols, l->e->refs[r].column);
        int parent = co_project_entity_index(l->s->project, l->e->refs[r].entity);
        if (idx < 0)
            return co_error_set(l->err, CO_EPROJECT, "refs column \"%s\" is not among the query's columns",
                                l->e->refs[r].column);
        if (parent < 0 || (size_t)parent >= l->index)
            return co_error_set(l->err, CO_EPROJECT, "refs entity \"%s\" is not an earlier entity",
                                l->e->refs[r].entity);
        l->refs[r] = (ref_col){(size_t)idx, (size_t)parent, l->e->refs[r].column};
        /* Two rows can only come to share a key when a reference sent to a
         * merged row is part of it (the tags of two merged contacts); only
         * then are the keys kept to tell (an engagement keyed by its own id
         * never collapses, and a tenant's millions of them are not held). */
        bool in_key = false;
        for (size_t k = 0; k < l->e->nkey && !in_key; k++)
            in_key = l->key_idx[k] == (size_t)idx;
        l->collapse |= in_key && l->s->project->entities[parent].merge != NULL;
    }
    if (l->merger)
        return co_merger_bind(l->merger, l->names, l->ncols, l->key_idx, l->err);
    return CO_OK;
}

static co_code count_rows(load *l, co_param *tenant, int64_t *total)
{
    co_buf sql = CO_BUF_INIT;
    co_buf_printf(&sql, "SELECT count(*) FROM (%s\n)", l->e->query);
    co_code rc = co_store_query_int(l->s->source, co_buf_str(&sql), tenant, 1, total, NULL, l->err);
    co_buf_release(&sql);
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
    if (l->collapse) {
        co_value kv[64];
        for (size_t k = 0; k < l->e->nkey; k++)
            kv[k] = row[l->key_idx[k]];
        co_buf_reset(&l->tmp);
        co_key_encode(&l->tmp, kv, l->e->nkey);
        const char *was;
        size_t wlen;
        if (co_map_get(&l->collapsed, l->tmp.data, l->tmp.len, &was, &wlen)) {
            if (l->row_remapped || (wlen == 1 && was[0] == '1')) {
                l->counts.merged++;
                if (l->sink)
                    return CO_OK;
                co_buf_reset(&l->exact_key);
                co_key_encode_exact(&l->exact_key, kv, l->e->nkey);
                return co_state_merge_add(l->s->state, l->t->key, l->e->name, co_buf_str(key),
                                          co_buf_str(&l->exact_key), "parent", -1, l->err);
            }
        } else if (!co_map_put(&l->collapsed, l->tmp.data, l->tmp.len,
                               l->row_remapped ? "1" : "0", 1)) {
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
        }
    }
    const co_value *out = row;
    co_code rc;
    if (l->sink) {
        if (l->kd.on && (rc = keyed_row(l, row, key, false, &out)) != CO_OK)
            return rc;
        return l->sink(l->sink_ctx, out, l->err);
    }
    if (mine->referenced || l->track_ids) {
        if (co_map_get(&l->put_keys, key->data, key->len, NULL, NULL))
            /* The id map needs one row per key; the target may not say so. */
            return reject(l, key, row, "duplicate_key",
                          "another row of this tenant has the same key");
        if (!co_map_put(&l->put_keys, key->data, key->len, "", 0))
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
    }
    if (l->kd.on) {
        if ((rc = keyed_row(l, row, key, true, &out)) != CO_OK)
            return rc;
        co_buf_reset(&l->tmp);
        co_key_encode_exact(&l->tmp, &out[l->kd.tk], 1);
        if (!co_map_put(&l->kd.pending, l->tmp.data, l->tmp.len, key->data, key->len))
            return co_error_set(l->err, CO_ENOMEM, "out of memory");
    }
    rc = co_loader_put(l->loader, out, l->err);
    return rc == CO_OK ? l->callback_rc : rc;
}

/* A cluster of rows came out of the merger as one row. */
static co_code on_merged(void *ctx, const co_merged *m, co_error *err)
{
    load *l = ctx;
    (void)err;
    co_buf key = CO_BUF_INIT;
    encode_key(l, m->row, &key);
    co_code rc = l->sink ? CO_OK : members_keep(l, &key, m);
    if (rc == CO_OK)
        rc = put_row(l, m->row, &key);
    co_buf_release(&key);
    return rc;
}

/* One source row on its way: left out when its key is in skip (the journal's
 * rejects, for verification), checked (admit_row), then through the merger
 * when the entity merges, and put. */
static co_code take_row(load *l, co_value *row, co_buf *storage, const co_map *skip)
{
    encode_key(l, row, &l->key);
    co_buf_reset(storage);
    l->row_remapped = false;
    co_code rc = CO_OK;
    if ((skip && co_map_get(skip, l->key.data, l->key.len, NULL, NULL)) ||
        !admit_row(l, row, storage, &rc))
        return rc == CO_OK && l->merger
                   ? co_merger_drop(l->merger, l->key.data, l->key.len, l->err)
                   : rc;
    bool held = false;
    if (l->merger)
        rc = co_merger_put(l->merger, row, l->key.data, l->key.len, &held, l->err);
    return rc == CO_OK && !held ? put_row(l, row, &l->key) : rc;
}

static co_code load_rows(load *l, co_cursor *c, co_loader *loader, const co_migrate_options *opt,
                         int64_t total)
{
    co_value row[256];
    size_t width = l->ncols + (l->merger ? co_merger_extra(l->merger) : 0);
    if (width > 256)
        return co_error_set(l->err, CO_EUNSUPPORTED, "queries of more than 256 columns are not supported");
    size_t batch = l->s->project->batch_size, in_batch = 0;
    co_buf storage = CO_BUF_INIT; /* remapped ref values */
    co_code rc;
    bool has_row;
    while ((rc = co_cursor_next(c, &has_row, l->err)) == CO_OK && has_row) {
        l->counts.source_rows++;
        for (size_t i = 0; i < width; i++) {
            row[i] = co_cursor_value(c, i);
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
        rc = take_row(l, row, &storage, NULL);
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
    if (rc == CO_OK && l->merger)
        rc = co_merger_finish(l->merger, l->err);
    co_buf_release(&storage);
    return rc;
}

static co_code load_entity(load *l, int64_t run_id, const co_migrate_options *opt,
                           const co_map *reuse)
{
    co_param tenant = {":tenant", l->t->value};
    int64_t total = -1;
    double started = co_clock_mono();
    char step[160];
    snprintf(step, sizeof step, "load:%s", l->e->name);
    co_code rc = co_state_step_begin(l->s->state, run_id, step, l->e->name, l->err);
    if (rc == CO_OK && opt->count_rows && count_rows(l, &tenant, &total) != CO_OK) {
        total = -1; /* only for the progress bar: go on without a total */
        co_error_clear(l->err);
    }
    co_cursor *c = NULL;
    if (rc == CO_OK && l->e->merge)
        rc = co_merger_open(l->s, l->t, l->e, on_merged, l, &l->merger, l->err);
    if (rc == CO_OK)
        rc = co_store_query(l->s->source, l->merger ? co_merger_query(l->merger) : l->e->query,
                            &tenant, 1, &c, l->err);
    if (rc == CO_OK)
        rc = describe(l, c);
    if (rc == CO_OK)
        rc = keyed_open(l, reuse);
    co_loader *loader = NULL;
    co_load_events events = {on_loaded, on_refused, l};
    if (rc == CO_OK)
        rc = co_loader_open(l->s->dest, l->e->target, l->kd.on ? l->kd.names : l->names,
                            l->kd.on ? l->kd.n : l->ncols, &events, &loader, l->err);
    l->loader = loader;
    bool in_txn = false;
    if (rc == CO_OK)
        rc = co_store_begin(l->s->dest, l->err);
    if (rc == CO_OK) {
        rc = co_state_begin(l->s->state, l->err);
        in_txn = rc == CO_OK;
        if (!in_txn)
            co_store_rollback(l->s->dest);
    }
    if (rc == CO_OK)
        rc = load_rows(l, c, loader, opt, total);
    if (rc == CO_OK)
        rc = commit_batch(l, loader, false);
    if (rc != CO_OK && in_txn) {
        co_state_rollback(l->s->state);
        co_store_rollback(l->s->dest);
    }
    co_loader_close(loader);
    co_cursor_close(c);
    l->counts.seconds = co_clock_mono() - started;
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

static char *path_join(const char *dir, const char *rel)
{
    co_buf b = CO_BUF_INIT;
    if (rel[0] != '/' && dir && *dir && strcmp(dir, ".") != 0) {
        co_buf_adds(&b, dir);
        co_buf_addc(&b, '/');
    }
    co_buf_adds(&b, rel);
    return b.failed ? (co_buf_release(&b), NULL) : co_buf_detach(&b);
}

/* Frees the key maps of every entity, and keys. */
static void keys_free(const co_project *p, entity_keys *keys)
{
    for (size_t i = 0; keys && i < p->nentities; i++) {
        co_map_release(&keys[i].loaded);
        co_map_release(&keys[i].rejected);
        co_map_release(&keys[i].merged);
    }
    free(keys);
}

/* Marks which entities later entities reference. */
static void mark_referenced(const co_project *p, entity_keys *keys)
{
    for (size_t i = 0; i < p->nentities; i++) {
        co_map_init(&keys[i].loaded);
        co_map_init(&keys[i].rejected);
        co_map_init(&keys[i].merged);
        for (size_t r = 0; r < p->entities[i].nrefs; r++) {
            int parent = co_project_entity_index(p, p->entities[i].refs[r].entity);
            if (parent >= 0)
                keys[parent].referenced = true;
        }
    }
}

/* Frees what a load allocated, not the load itself. */
static void load_release(load *l)
{
    for (size_t n = 0; l->names && n < l->ncols; n++)
        free((char *)l->names[n]);
    free(l->names);
    free(l->refs);
    co_merger_free(l->merger);
    co_map_release(&l->put_keys);
    co_map_release(&l->members);
    co_map_release(&l->collapsed);
    co_buf_release(&l->exact_key);
    co_buf_release(&l->key);
    co_buf_release(&l->loaded_key);
    co_buf_release(&l->tmp);
    keyed_release(&l->kd);
}

/* Reads the journal's id map of entity e for tenant t into m. */
static co_code idmap_load(co_session *s, const co_tenant *t, const co_entity *e, co_map *m,
                          co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = co_state_idmap_query(s->state, t->key, e->name, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value src = co_cursor_value(c, 0), tgt = co_cursor_value(c, 1);
        if (src.type == CO_TEXT && tgt.type == CO_TEXT &&
            !co_map_put(m, src.s, src.len, tgt.s, tgt.len))
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
        co_map_init(&maps[i]);
        if (rc == CO_OK && p->entities[i].target_key)
            rc = idmap_load(s, t, &p->entities[i], &maps[i], err);
    }
    *out = maps;
    return rc;
}

static void reuse_free(const co_project *p, co_map *maps)
{
    for (size_t i = 0; maps && i < p->nentities; i++)
        co_map_release(&maps[i]);
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
    mark_referenced(p, keys);
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
        rc = load_entity(&l, run_id, opt, &reuse[i]);
        res->entities[i] = l.counts;
        res->rejected += l.counts.rejected;
        load_release(&l);
    }
    keys_free(p, keys);
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
    rc = migrate_leased(s, t, opt, res, err);
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
    char *dir = opt->rejects_dir ? strdup(opt->rejects_dir) : path_join(p->dir, p->rejects_dir);
    if (!res->entities || !dir) {
        free(dir);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }

    char state[32];
    co_code rc = co_state_tenant_get(s->state, t->key, state, sizeof state, err);
    bool loaded = strcmp(state, "migrated") == 0 || strcmp(state, "verified") == 0 ||
                  strcmp(state, "verify_failed") == 0;
    if (rc == CO_OK && loaded && !opt->again) {
        res->skipped = true;
        free(dir);
        return CO_OK;
    }
    if (rc == CO_OK)
        rc = check_rehearsed(s, t, opt, err);
    double started = co_clock_mono();
    if (rc == CO_OK)
        rc = co_state_run_begin(s->state, t->key, "migrate", p->hash, &res->run_id, err);
    if (rc == CO_OK)
        rc = co_state_tenant_set(s->state, t->key, "migrating", res->run_id, err);
    if (rc != CO_OK) {
        free(dir);
        return rc;
    }

    co_rejects rejects;
    rc = co_rejects_open(&rejects, dir, s->state, res->run_id, t->key, false, err);
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
    co_code close_rc = co_rejects_close(&rejects, rc == CO_OK ? err : NULL);
    if (rc == CO_OK)
        rc = close_rc;
    res->rejects_file = rejects.path;
    rejects.path = NULL;
    co_rejects_release(&rejects);
    res->seconds = co_clock_mono() - started;

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
        co_state_tenant_set(s->state, t->key, "failed", res->run_id, &ignored);
        return rc;
    }
    rc = co_state_run_end(s->state, res->run_id, "done", NULL, res->seconds, err);
    if (rc == CO_OK)
        rc = co_state_tenant_set(s->state, t->key, "migrated", res->run_id, err);
    return rc;
}

/* ---- refreshing rows that captured changes touched (engine_int.h) ---- */

struct co_refresh {
    co_session *s;
    const co_tenant *t;
    int64_t run_id;
    entity_keys *keys;
    co_rejects rejects;
    int64_t loaded, rejected;
};

/* Loads the journal's id map of an entity (and its rejected keys) into keys. */
static co_code load_entity_keys(co_session *s, const co_tenant *t, const co_entity *e,
                                entity_keys *k, co_error *err)
{
    co_cursor *c = NULL;
    bool has_row;
    co_code rc = idmap_load(s, t, e, &k->loaded, err);
    co_param p[] = {{NULL, co_text(t->key, strlen(t->key))},
                    {NULL, co_text(e->name, strlen(e->name))}};
    if (rc == CO_OK)
        rc = co_store_query(co_state_store(s->state),
                            "SELECT source_key FROM rejects WHERE tenant = ? AND entity = ?", p, 2,
                            &c, err);
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value key = co_cursor_value(c, 0);
        if (key.type == CO_TEXT && !co_map_put(&k->rejected, key.s, key.len, "", 0))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    if (rc == CO_OK && e->merge)
        rc = co_store_query(co_state_store(s->state),
                            "SELECT source_key, target_key FROM merges WHERE tenant = ? AND"
                            " entity = ?",
                            p, 2, &c, err);
    while (rc == CO_OK && e->merge && (rc = co_cursor_next(c, &has_row, err)) == CO_OK &&
           has_row) {
        co_value src = co_cursor_value(c, 0), tgt = co_cursor_value(c, 1);
        if (src.type == CO_TEXT && tgt.type == CO_TEXT &&
            !co_map_put(&k->merged, src.s, src.len, tgt.s, tgt.len))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (e->merge)
        co_cursor_close(c);
    return rc;
}

co_code co_expected_rows(co_session *s, const co_tenant *t, size_t entity, const co_map *skip,
                         co_expected_fn fn, void *ctx, co_error *err)
{
    const co_project *p = s->project;
    const co_entity *e = &p->entities[entity];
    entity_keys *keys = calloc(p->nentities ? p->nentities : 1, sizeof *keys);
    if (!keys)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    mark_referenced(p, keys);
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
        rc = co_merger_open(s, t, e, on_merged, &l, &l.merger, err);
    if (rc == CO_OK)
        rc = co_store_query(s->source, l.merger ? co_merger_query(l.merger) : e->query, &tenant, 1,
                            &c, err);
    if (rc == CO_OK)
        rc = describe(&l, c);
    /* Its own rows are matched through its id map: the keys the target gave. */
    co_map own;
    co_map_init(&own);
    if (rc == CO_OK && e->target_key)
        rc = idmap_load(s, t, e, &own, err);
    if (rc == CO_OK)
        rc = keyed_open(&l, &own);
    size_t width = l.ncols + (l.merger ? co_merger_extra(l.merger) : 0);
    if (rc == CO_OK && width > 256)
        rc = co_error_set(err, CO_EUNSUPPORTED, "queries of more than 256 columns are not supported");
    co_value row[256];
    co_buf storage = CO_BUF_INIT;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t i = 0; i < width; i++)
            row[i] = co_cursor_value(c, i);
        rc = take_row(&l, row, &storage, skip);
    }
    if (rc == CO_OK && l.merger)
        rc = co_merger_finish(l.merger, err);
    co_buf_release(&storage);
    co_cursor_close(c);
    load_release(&l);
    co_map_release(&own);
    keys_free(p, keys);
    if (rc != CO_OK)
        co_error_where(err, "the expected rows of entity %s", e->name);
    return rc;
}

co_code co_refresh_begin(co_session *s, const co_tenant *t, int64_t run_id, co_refresh **out,
                         co_error *err)
{
    *out = NULL;
    const co_project *p = s->project;
    co_refresh *r = calloc(1, sizeof *r);
    entity_keys *keys = calloc(p->nentities ? p->nentities : 1, sizeof *keys);
    char *dir = path_join(p->dir, p->rejects_dir);
    if (!r || !keys || !dir) {
        free(r);
        free(keys);
        free(dir);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    r->s = s;
    r->t = t;
    r->run_id = run_id;
    r->keys = keys;
    mark_referenced(p, keys);
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++)
        if (keys[i].referenced || p->entities[i].target_key)
            rc = load_entity_keys(s, t, &p->entities[i], &keys[i], err);
    if (rc == CO_OK)
        rc = co_rejects_open(&r->rejects, dir, s->state, run_id, t->key, true, err);
    free(dir);
    if (rc == CO_OK)
        rc = co_store_begin(s->dest, err);
    /* Rows are deleted and loaded again under rows that refer to them. */
    if (rc == CO_OK && (rc = co_store_defer_constraints(s->dest, err)) != CO_OK)
        co_store_rollback(s->dest);
    if (rc == CO_OK && (rc = co_state_begin(s->state, err)) != CO_OK)
        co_store_rollback(s->dest);
    if (rc != CO_OK) {
        co_refresh_end(r, false, NULL, NULL, NULL);
        return rc;
    }
    *out = r;
    return CO_OK;
}

/* The WHERE text that picks the rows of the value sets: "c" IN (:m0, :m1, ...)
 * for one column, ("a" IS :m0 AND "b" IS :m1) OR ... for several (IS being
 * co_store_key_eq_op); with the tenant column on the target side. Parameters
 * are :m0, :m1, ... in order. */
static void match_sql(co_store *st, const co_entity *e, bool target_side, const char *const *cols,
                      size_t n, size_t nsets, co_buf *out)
{
    co_buf_adds(out, "1 = 1");
    if (target_side && e->tenant_column) {
        co_buf_adds(out, " AND ");
        co_store_quote_ident(st, e->tenant_column, out);
        co_buf_adds(out, " = :tenant");
    }
    if (n == 0)
        return;
    co_buf_adds(out, " AND (");
    if (n == 1) {
        co_store_quote_ident(st, cols[0], out);
        co_buf_adds(out, " IN (");
        for (size_t s = 0; s < nsets; s++)
            co_buf_printf(out, "%s:m%zu", s ? ", " : "", s);
        co_buf_adds(out, "))");
        return;
    }
    const char *same = co_store_key_eq_op(st);
    for (size_t s = 0; s < nsets; s++) {
        co_buf_adds(out, s ? " OR (" : "(");
        for (size_t i = 0; i < n; i++) {
            co_buf_adds(out, i ? " AND " : "");
            co_store_quote_ident(st, cols[i], out);
            co_buf_printf(out, " %s :m%zu", same, s * n + i);
        }
        co_buf_addc(out, ')');
    }
    co_buf_addc(out, ')');
}

/* The parameters of match_sql: :tenant, then :m0 ... Names live in names
 * (24 bytes each). */
static co_param *match_params(const co_tenant *t, const co_value *vals, size_t count, char *names,
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
/* The target side of a refresh: the value sets as the target holds them
 * (through the id maps where the target gave the keys), and, for an entity
 * with a target_key, what its dropped rows leave behind. */
typedef struct target_side {
    const char *cols[16];
    size_t nsets;          /* 0 with columns to match: no row of the target matches */
    const co_param *params;
    size_t np;
    const co_map *by_target; /* target key -> its source keys ("\0"-ended), or NULL */
    co_map reuse;            /* source key -> target key of the rows dropped */
} target_side;

/* For an entity with a target_key: forgets the id map entries of the target
 * rows that where (over params) picks, and keeps their keys in ts->reuse, so
 * that the rows loaded again keep the keys the target gave them. */
static co_code forget_keyed(co_refresh *r, const co_entity *e, const co_buf *where,
                            target_side *ts, co_error *err)
{
    co_session *s = r->s;
    co_buf sql = CO_BUF_INIT, key = CO_BUF_INIT;
    co_buf_adds(&sql, "SELECT ");
    co_store_quote_ident(s->dest, e->target_key, &sql);
    co_buf_adds(&sql, " FROM ");
    co_store_quote_ident(s->dest, e->target, &sql);
    co_buf_printf(&sql, " WHERE %s", co_buf_str(where));
    co_cursor *c = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(s->dest, co_buf_str(&sql), ts->params, ts->np, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        co_buf_reset(&key);
        co_key_encode_exact(&key, &v, 1);
        const char *list;
        size_t llen;
        if (!ts->by_target || !co_map_get(ts->by_target, key.data, key.len, &list, &llen))
            continue; /* not a row of the id map: not cutover's to drop */
        for (const char *src = list; rc == CO_OK && src < list + llen; src += strlen(src) + 1) {
            if (!co_map_put(&ts->reuse, src, strlen(src), key.data, key.len))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            if (rc == CO_OK)
                rc = co_state_idmap_delete(s->state, r->t->key, e->name, src, err);
        }
    }
    co_cursor_close(c);
    co_buf_release(&sql);
    co_buf_release(&key);
    return rc;
}

static co_code drop_rows(co_refresh *r, const co_entity *e, bool tracked, const char *const *cols,
                         size_t n, size_t nsets, const co_param *params, size_t np,
                         target_side *ts, co_error *err)
{
    co_session *s = r->s;
    co_buf where = CO_BUF_INIT, sql = CO_BUF_INIT;
    bool none = n && ts->nsets == 0; /* nothing of these rows is in the target */
    match_sql(s->dest, e, true, ts->cols, n, ts->nsets, &where);
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
        co_buf_adds(&sql, "SELECT ");
        for (size_t k = 0; k < e->nkey; k++) {
            co_buf_adds(&sql, k ? ", " : "");
            co_store_quote_ident(s->dest, e->key[k], &sql);
        }
        co_buf_adds(&sql, " FROM ");
        co_store_quote_ident(s->dest, e->target, &sql);
        co_buf_printf(&sql, " WHERE %s", co_buf_str(&where));
        co_cursor *c = NULL;
        rc = co_store_query(s->dest, co_buf_str(&sql), ts->params, ts->np, &c, err);
        co_buf key = CO_BUF_INIT;
        bool has_row;
        co_value kv[64];
        while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
            for (size_t k = 0; k < e->nkey && k < 64; k++)
                kv[k] = co_cursor_value(c, k);
            co_buf_reset(&key);
            co_key_encode(&key, kv, e->nkey);
            if (tracked)
                rc = co_state_idmap_delete(s->state, r->t->key, e->name, co_buf_str(&key), err);
            if (rc == CO_OK && collapse) {
                co_buf_reset(&key);
                co_key_encode_exact(&key, kv, e->nkey);
                rc = co_state_merges_delete_into(s->state, r->t->key, e->name, co_buf_str(&key),
                                                 err);
            }
        }
        co_cursor_close(c);
        co_buf_release(&key);
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
    bool pg_journal = strcmp(co_store_engine(co_state_store(s->state)), "postgresql") == 0;
    co_buf_reset(&sql);
    co_buf_adds(&sql, "DELETE FROM rejects WHERE tenant = :tenant_key AND entity = :entity");
    if (n) {
        co_buf_adds(&sql, " AND (");
        for (size_t s2 = 0; s2 < nsets; s2++) {
            co_buf_adds(&sql, s2 ? " OR (" : "(");
            for (size_t i = 0; i < n; i++)
                co_buf_printf(&sql,
                              pg_journal ? "%s(source_key::jsonb ->> %zu) IS NOT DISTINCT FROM "
                                           "CAST(:m%zu AS TEXT)"
                                         : "%sjson_extract(source_key, '$[%zu]') IS :m%zu",
                              i ? " AND " : "", pos[i], s2 * n + i);
            co_buf_addc(&sql, ')');
        }
        co_buf_addc(&sql, ')');
    }
    co_param *rp = calloc(np + 1, sizeof *rp);
    if (!rp)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK && all_keyed) {
        rp[0] = (co_param){":tenant_key", co_text(r->t->key, strlen(r->t->key))};
        rp[1] = (co_param){":entity", co_text(e->name, strlen(e->name))};
        for (size_t i = 1; i < np; i++)
            rp[i + 1] = params[i];
        rc = co_store_exec_params(co_state_store(s->state), co_buf_str(&sql), rp, np + 1, NULL, err);
    }
    free(rp);
    co_buf_reset(&sql);
    co_buf_adds(&sql, "DELETE FROM ");
    co_store_quote_ident(s->dest, e->target, &sql);
    co_buf_printf(&sql, " WHERE %s", co_buf_str(&where));
    if (rc == CO_OK && !none)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_exec_params(s->dest, co_buf_str(&sql), ts->params, ts->np,
                                               NULL, err);
    co_buf_release(&sql);
    co_buf_release(&where);
    return rc;
}

/* Value sets decoded from canonical keys: each set's texts live in a buffer
 * of its own, so later sets never move earlier values. */
typedef struct key_sets {
    co_value *vals; /* count sets of n values */
    co_buf *texts;  /* one per set */
    size_t count;
} key_sets;

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
    co_code rc = one ? co_key_decode(one, ks->vals + ks->count * n + at, width, &got,
                                     &ks->texts[ks->count], err)
                     : co_error_set(err, CO_ENOMEM, "out of memory");
    free(one);
    return rc;
}

static void key_sets_release(key_sets *ks)
{
    for (size_t i = 0; ks->texts && i < ks->count; i++)
        co_buf_release(&ks->texts[i]);
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
    if (co_map_get(&g->want, key, len, NULL, NULL))
        return CO_OK;
    if (!co_map_put(&g->want, key, len, "", 0))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_buf_add(&g->queue, key, len + 1);
    return g->queue.failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}

/* by_target: target key -> the source keys loaded maps to it, each ending in '\0'. */
static co_code index_targets(const co_map *loaded, co_map *by_target, co_error *err)
{
    size_t pos = 0, klen, vlen, olen;
    const char *key, *val, *old;
    co_buf joined = CO_BUF_INIT;
    bool ok = true;
    while (ok && co_map_next(loaded, &pos, &key, &klen, &val, &vlen)) {
        co_buf_reset(&joined);
        if (co_map_get(by_target, val, vlen, &old, &olen))
            co_buf_add(&joined, old, olen);
        co_buf_add(&joined, key, klen);
        co_buf_addc(&joined, '\0');
        ok = !joined.failed && co_map_put(by_target, val, vlen, joined.data, joined.len);
    }
    co_buf_release(&joined);
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
        rc = co_merger_cluster(g->m, key, strlen(key), want_key, g, err);
        const char *target, *sources;
        size_t tlen, slen;
        if (rc == CO_OK && co_map_get(g->loaded, key, strlen(key), &target, &tlen) &&
            co_map_get(&g->by_target, target, tlen, &sources, &slen))
            for (const char *p = sources; rc == CO_OK && p < sources + slen; p += strlen(p) + 1)
                rc = want_key(g, p, err);
        free(key);
    }
    return rc;
}

/* The journal forgets the rows merged into others among want (the target
 * rows themselves leave with drop_rows); their old targets go to before. */
static co_code regroup_forget(co_refresh *r, const co_entity *e, regroup *g, co_map *before,
                              co_error *err)
{
    size_t pos = 0, klen, tlen;
    const char *key, *target, *unused;
    co_code rc = CO_OK;
    while (rc == CO_OK && co_map_next(&g->want, &pos, &key, &klen, &unused, &tlen)) {
        if (!co_map_get(g->loaded, key, klen, &target, &tlen))
            continue;
        if (!co_map_put(before, key, klen, target, tlen))
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
    while (co_map_next(before, &pos, &key, &klen, &target, &tlen)) {
        bool same = co_map_get(&r->keys[entity].loaded, key, klen, &now, &nlen) &&
                    nlen == tlen && memcmp(now, target, tlen) == 0;
        if (!same)
            return co_error_set(err, CO_EUNSUPPORTED,
                                "a captured change moves %s %.*s from the merged row %.*s to %s: "
                                "rows of later entities refer to the old one, and cutover does "
                                "not catch up a change of merged rows yet. Roll the tenant back "
                                "and migrate it again while its writes are stopped",
                                e->name, (int)klen, key, (int)tlen, target,
                                co_map_get(&r->keys[entity].loaded, key, klen, &now, &nlen)
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
static co_code target_sets(co_refresh *r, size_t entity, const char *const *cols,
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
        co_buf_reset(&out->texts[out->count]);
        for (size_t i = 0; rc == CO_OK && known && i < n; i++) {
            const co_value *v = &vals[k * n + i];
            if (!via[i]) {
                out->vals[out->count * n + i] = *v;
                continue;
            }
            const char *target;
            size_t tlen;
            co_buf_reset(&key);
            co_key_encode(&key, v, 1);
            known = co_map_get(via[i], key.data, key.len, &target, &tlen);
            if (known)
                rc = key_sets_decode(out, n, i, 1, target, tlen, err);
        }
        if (rc == CO_OK && known)
            out->count++;
    }
    co_buf_release(&key);
    ts->nsets = out->count;
    return rc;
}

/* Loads again the rows matching the value sets (co_refresh_rows), through
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
    co_param *params = names ? match_params(r->t, vals, count, names, &np) : NULL;
    if (!params) {
        free(names);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    /* The target side: the same sets, through the id maps where the target
     * gave the keys. */
    target_side ts = {0};
    co_map_init(&ts.reuse);
    co_map by_target;
    co_map_init(&by_target);
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
        rc = target_sets(r, entity, cols, vals, n, nsets, &ts, &tk, err);
        tnames = rc == CO_OK ? malloc(ts.nsets * n * 24 + 1) : NULL;
        tparams = tnames ? match_params(r->t, tk.vals, ts.nsets * n, tnames, &ts.np) : NULL;
        if (rc == CO_OK && !tparams)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        ts.params = tparams;
    }
    if (rc == CO_OK && e->target_key) {
        rc = index_targets(&r->keys[entity].loaded, &by_target, err);
        ts.by_target = &by_target;
    }
    if (rc == CO_OK)
        rc = drop_rows(r, e, tracked, cols, n, nsets, params, np, &ts, err);
    co_buf sql = CO_BUF_INIT;
    co_buf_printf(&sql, "SELECT * FROM (%s\n) AS refreshed WHERE ",
                  merger ? co_merger_query(merger) : e->query);
    match_sql(s->source, e, false, cols, n, nsets, &sql);
    load l = {0};
    l.merger = merger;
    if (merger)
        co_merger_set_emit(merger, on_merged, &l);
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
    co_load_events events = {on_loaded, on_refused, &l};
    if (rc == CO_OK)
        rc = co_store_query(s->source, co_buf_str(&sql), params, np, &c, err);
    if (rc == CO_OK)
        rc = describe(&l, c);
    if (rc == CO_OK)
        rc = keyed_open(&l, reuse ? reuse : &ts.reuse);
    if (rc == CO_OK)
        rc = co_loader_open(s->dest, e->target, l.kd.on ? l.kd.names : l.names,
                            l.kd.on ? l.kd.n : l.ncols, &events, &loader, err);
    l.loader = loader;
    static const co_migrate_options quiet = {0};
    if (rc == CO_OK)
        rc = load_rows(&l, c, loader, &quiet, -1);
    if (rc == CO_OK)
        rc = co_loader_flush(loader, err);
    if (rc == CO_OK)
        rc = l.callback_rc;
    r->loaded += l.counts.loaded;
    r->rejected += l.counts.rejected;
    co_loader_close(loader);
    co_cursor_close(c);
    co_buf_release(&sql);
    free(params);
    free(names);
    free(tparams);
    free(tnames);
    key_sets_release(&tk);
    co_map_release(&ts.reuse);
    co_map_release(&by_target);
    load_release(&l);
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
    co_map_init(&g.by_target);
    co_map_init(&g.want);
    co_map before;
    co_map_init(&before);
    co_code rc = co_merger_open(r->s, r->t, e, NULL, NULL, &g.m, err);
    if (rc == CO_OK)
        rc = index_targets(g.loaded, &g.by_target, err);
    co_buf key = CO_BUF_INIT;
    for (size_t k = 0; rc == CO_OK && k < nsets; k++) {
        co_buf_reset(&key);
        co_key_encode(&key, vals + k * n, n);
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
    while (rc == CO_OK && co_map_next(&g.want, &pos, &k, &klen, &unused, &vlen))
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
    co_buf_release(&key);
    co_buf_release(&g.queue);
    co_map_release(&g.by_target);
    co_map_release(&g.want);
    co_map_release(&before);
    co_merger_free(g.m);
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
    co_map_init(&by_target);
    const co_map *loaded = &r->keys[parent].loaded;
    co_code rc = index_targets(loaded, &by_target, err);
    co_buf key = CO_BUF_INIT;
    /* Per set, the member keys ("\0"-ended) and where they end. */
    co_buf members = CO_BUF_INIT;
    size_t *ends = calloc(nsets + 1, sizeof *ends), total = 0;
    if (rc == CO_OK && !ends)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t k = 0; rc == CO_OK && k < nsets; k++) {
        co_buf_reset(&key);
        co_key_encode(&key, &vals[k * n + (size_t)col], 1);
        const char *target, *list;
        size_t tlen, llen;
        if (co_map_get(loaded, key.data, key.len, &target, &tlen) &&
            co_map_get(&by_target, target, tlen, &list, &llen)) {
            co_buf_add(&members, list, llen);
        } else {
            co_buf_add(&members, key.data, key.len);
            co_buf_addc(&members, '\0');
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
    co_buf_release(&members);
    co_buf_release(&key);
    co_map_release(&by_target);
    return rc;
}

co_code co_refresh_rows(co_refresh *r, size_t entity, const char *const *cols,
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

co_code co_refresh_end(co_refresh *r, bool ok, int64_t *loaded, int64_t *rejected,
                       co_error *err)
{
    co_code rc = CO_OK;
    if (ok) {
        rc = co_rejects_sync(&r->rejects, err);
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
    co_rejects_close(&r->rejects, NULL);
    co_rejects_release(&r->rejects);
    keys_free(r->s->project, r->keys);
    free(r);
    return rc;
}
