/*
 * keyed.c: entities whose target assigns the keys (target_key): the columns a
 * row has in the target (Co_entity_layout), and the target keys drawn for new
 * rows (sequence blocks, above the largest key, or UUIDs), or, where the
 * target gives them on insert (MySQL), a placeholder per new row that the
 * loader replaces with the key it reads back (load.c maps the row then).
 */
#include "cutover/migrate.h"
#include "cutover/rehearse.h"
#include "util/key.h"
#include "engine/engine_int.h"
#include "engine/merge.h"
#include "engine/rejects.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/map.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include "engine/load_int.h"
#include "util/free.h"

int Co_column_index(const char **names, size_t n, const char *name)
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

bool Co_keyed_reserves(co_session *s, const co_entity *e)
{
    if (!e->target_key || co_store_caps(s->dest).keys_on_insert)
        return false;
    co_column *cols = NULL;
    size_t ncols = 0;
    co_error ignored;
    co_error_clear(&ignored);
    /* Not known (the table cannot be read): counted, as before; the layout
     * reports what is wrong. */
    if (co_store_columns(s->dest, e->target, &cols, &ncols, &ignored) != CO_OK)
        return true;
    bool integer = true;
    for (size_t c = 0; c < ncols; c++)
        if (strcmp(cols[c].name, e->target_key) == 0)
            integer = integer_type(cols[c].decl_type);
    co_columns_free(cols, ncols);
    return integer;
}

co_code Co_entity_layout(co_session *s, const co_entity *e, const char *const *names, size_t n,
                         co_layout *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    out->names = calloc(n + 1, sizeof *out->names);
    out->from = calloc(n + 1, sizeof *out->from);
    if (!out->names || !out->from) {
        Co_layout_release(out);
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
        Co_layout_release(out);
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
        Co_layout_release(out);
    return rc;
}

void Co_layout_release(co_layout *l)
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
    while (Co_map_next(m, &pos, &k, &klen, &v, &vlen)) {
        char one[64];
        co_value val[2];
        size_t got = 0;
        if (vlen >= sizeof one)
            continue;
        memcpy(one, v, vlen);
        one[vlen] = '\0';
        Co_buf_reset(&storage);
        if (Co_key_decode(one, val, 2, &got, &storage, NULL) == CO_OK && got == 1 &&
            val[0].type == CO_INT && val[0].i > top)
            top = val[0].i;
    }
    Co_buf_release(&storage);
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

/* The largest block of keys reserved at once. */
#define MAX_BLOCK 65536

/* How many values the block holds that is drawn once drawn keys are used:
 * when the rows to come are counted (kd.expect), what they still need (one
 * round trip for most entities of a tenant, a few for the largest);
 * otherwise blocks growing from 64, so that a small tenant wastes few. */
static size_t block_size(keyed *k, int64_t drawn)
{
    if (k->expect > 0) {
        int64_t left = k->expect - drawn;
        return left < 64 ? 64 : left > MAX_BLOCK ? MAX_BLOCK : (size_t)left;
    }
    size_t want = k->block ? k->block : 64;
    k->block = want * 2 > MAX_BLOCK ? MAX_BLOCK : want * 2;
    return want;
}

/* When the rows to come need another block after the one in use (or the
 * first one), asks for it ahead (co_store_reserve_keys_ahead), so that the
 * target draws it while these rows load. Where the target cannot, each
 * block is drawn when it is needed. */
static void ask_ahead(load *l, int64_t drawn)
{
    keyed *k = &l->kd;
    if (k->uuid || k->assign || k->ahead || k->expect <= 0 || drawn >= k->expect)
        return;
    size_t want = block_size(k, drawn);
    co_error ignored;
    if (co_store_reserve_keys_ahead(l->s->dest, l->e->target, l->e->target_key, want,
                                    &ignored) == CO_OK)
        k->ahead = want;
}

void Co_keyed_ahead(load *l)
{
    if (l->kd.on)
        ask_ahead(l, 0);
}

/* A new integer key: from the pool, which is filled a block at a time (the
 * block asked for ahead, when there is one). */
static co_code draw_key(load *l, int64_t *out)
{
    keyed *k = &l->kd;
    if (k->used == k->npool) {
        size_t want = k->ahead ? k->ahead : block_size(k, k->drawn);
        k->ahead = 0;
        if (!k->pool && !(k->pool = malloc(MAX_BLOCK * sizeof *k->pool)))
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
        if (!k->until_commit)
            ask_ahead(l, k->drawn + (int64_t)want);
    }
    *out = k->pool[k->used++];
    k->drawn++;
    if (*out > k->floor)
        k->floor = *out;
    return CO_OK;
}

/* The row of the target for a source row whose canonical key is key: the
 * loaded columns, with the target key kept from before (kd.reuse), or, when
 * drawing (not verifying), a new one; when verifying a row the id map does
 * not know, the text "no target key: source key [...]". */
co_code Co_keyed_row(load *l, const co_value *row, const co_buf *key, bool draw,
                     const co_value **out)
{
    keyed *k = &l->kd;
    for (size_t j = 0; j < k->n; j++)
        k->row[j] = k->from[j] >= 0 ? row[k->from[j]] : co_null();
    const char *t;
    size_t tlen;
    Co_buf_reset(&k->text);
    co_value *v = &k->row[k->tk];
    *out = k->row;
    if (k->reuse && Co_map_get(k->reuse, key->data, key->len, &t, &tlen)) {
        char one[128];
        size_t got = 0;
        if (tlen >= sizeof one)
            return co_error_set(l->err, CO_ESTATE, "state: target key too long");
        memcpy(one, t, tlen);
        one[tlen] = '\0';
        co_code rc = Co_key_decode(one, v, 1, &got, &k->text, l->err);
        return rc == CO_OK && got != 1
                   ? co_error_set(l->err, CO_ESTATE, "state: target key %s is not one value", one)
                   : rc;
    }
    if (!draw) {
        /* Verifying a row the id map does not know: it is missing from the
         * target, and its finding names its source key. */
        Co_buf_printf(&k->text, "no target key: source key %.*s", (int)key->len, key->data);
        *v = co_text(k->text.data, k->text.len);
        return k->text.failed ? co_error_set(l->err, CO_ENOMEM, "out of memory") : CO_OK;
    }
    if (k->uuid) {
        char uuid[37];
        co_code rc = make_uuid(uuid, l->err);
        if (rc != CO_OK)
            return rc;
        Co_buf_adds(&k->text, uuid);
        *v = co_text(k->text.data, 36);
        return k->text.failed ? co_error_set(l->err, CO_ENOMEM, "out of memory") : CO_OK;
    }
    if (k->assign) { /* the target gives it when the row loads */
        *v = co_int(-++k->tickets);
        return CO_OK;
    }
    int64_t id = 0;
    co_code rc = draw_key(l, &id);
    if (rc == CO_OK)
        *v = co_int(id);
    return rc;
}

/* Sets up the target's columns of an entity with a target_key; reuse is its
 * id map from before (or NULL). */
co_code Co_keyed_open(load *l, const co_map *reuse)
{
    if (!l->e->target_key)
        return CO_OK;
    co_layout lay;
    co_code rc = Co_entity_layout(l->s, l->e, (const char *const *)l->names, l->ncols, &lay, l->err);
    if (rc != CO_OK)
        return rc;
    if (lay.n > 256) {
        Co_layout_release(&lay);
        return co_error_set(l->err, CO_EUNSUPPORTED, "queries of more than 256 columns are not supported");
    }
    l->kd.on = true;
    l->kd.uuid = lay.uuid;
    l->kd.assign = !lay.uuid && co_store_caps(l->s->dest).keys_on_insert;
    l->kd.names = lay.names;
    l->kd.from = lay.from;
    l->kd.n = lay.n;
    l->kd.tk = lay.tk;
    l->kd.reuse = reuse;
    l->kd.floor = reuse && !lay.uuid ? largest_target(reuse) : 0;
    Co_map_init(&l->kd.by_target);
    return CO_OK;
}

bool Co_keyed_placeholder(const keyed *k, const co_value *v)
{
    return k->assign && v->type == CO_INT && v->i <= 0;
}

co_code Co_keyed_put(load *l, const co_buf *key, const co_buf *target)
{
    keyed *k = &l->kd;
    if (!CO_GROW(k->puts, k->cap_puts, k->nputs + 1, 1024))
        return co_error_set(l->err, CO_ENOMEM, "out of memory");
    struct keyed_put *p = &k->puts[k->nputs];
    p->src = k->put_text.len;
    p->slen = key->len;
    Co_buf_add(&k->put_text, key->data, key->len);
    p->tgt = k->put_text.len;
    p->tlen = target->len;
    Co_buf_add(&k->put_text, target->data, target->len);
    if (k->put_text.failed)
        return co_error_set(l->err, CO_ENOMEM, "out of memory");
    size_t i = k->nputs++;
    if (k->indexed && !Co_map_put(&k->by_target, target->data, target->len, &i, sizeof i))
        return co_error_set(l->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* True when record i holds the exact target key target. */
static bool put_is(const keyed *k, size_t i, const co_buf *target)
{
    const struct keyed_put *p = &k->puts[i];
    return p->tlen == target->len && memcmp(k->put_text.data + p->tgt, target->data, p->tlen) == 0;
}

bool Co_keyed_source(load *l, const co_buf *target, const char **src, size_t *slen)
{
    keyed *k = &l->kd;
    size_t i = k->next_put;
    if (i >= k->nputs || !put_is(k, i, target)) {
        if (!k->indexed) { /* reported out of order: index every record once */
            Co_map_reserve(&k->by_target, k->nputs);
            for (size_t j = 0; j < k->nputs; j++) {
                const struct keyed_put *p = &k->puts[j];
                if (!Co_map_put(&k->by_target, k->put_text.data + p->tgt, p->tlen, &j, sizeof j))
                    return false;
            }
            k->indexed = true;
        }
        const char *v;
        size_t vlen;
        if (!Co_map_get(&k->by_target, target->data, target->len, &v, &vlen) || vlen != sizeof i)
            return false;
        memcpy(&i, v, sizeof i);
    }
    k->next_put = i + 1;
    *src = k->put_text.data + k->puts[i].src;
    *slen = k->puts[i].slen;
    return true;
}

void Co_keyed_batch_done(keyed *k)
{
    k->nputs = k->next_put = 0;
    Co_buf_reset(&k->put_text);
    if (k->indexed) {
        Co_map_release(&k->by_target);
        Co_map_init(&k->by_target);
        k->indexed = false;
    }
}

void Co_keyed_release(keyed *k)
{
    CO_FREE(k->names, k->from, k->pool, k->puts);
    Co_buf_release(&k->put_text);
    Co_map_release(&k->by_target);
    Co_buf_release(&k->text);
    memset(k, 0, sizeof *k);
}
