/*
 * scope.c: sets of rows per entity for a scoped verification (verify.h), and
 * the SQL condition that picks them on either side. A set is a list of
 * columns with the value tuples they may hold; tuples are kept as canonical
 * keys that keep each value's type, so that the condition names them exactly.
 */
#include "verify/verify_int.h"
#include "cutover/state.h"
#include "util/key.h"
#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Beyond this many tuples an entity is simply verified whole. */
#define MAX_TUPLES 200000

typedef struct scope_set {
    char **cols;
    size_t n;
    co_map tuples; /* Co_key_encode_exact of the values -> "" */
} scope_set;

typedef struct scope_entity {
    bool whole;
    scope_set *sets;
    size_t nsets;
    size_t tuples;
} scope_entity;

struct co_verify_scope {
    size_t nentities;
    scope_entity *entities;
};

co_verify_scope *co_verify_scope_new(const co_project *p)
{
    co_verify_scope *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nentities = p->nentities;
    s->entities = calloc(p->nentities ? p->nentities : 1, sizeof *s->entities);
    if (!s->entities) {
        free(s);
        return NULL;
    }
    return s;
}

static void set_release(scope_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->cols[i]);
    free(set->cols);
    Co_map_release(&set->tuples);
}

static void entity_clear(scope_entity *e)
{
    for (size_t i = 0; i < e->nsets; i++)
        set_release(&e->sets[i]);
    free(e->sets);
    e->sets = NULL;
    e->nsets = 0;
    e->tuples = 0;
}

void co_verify_scope_free(co_verify_scope *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nentities; i++)
        entity_clear(&s->entities[i]);
    free(s->entities);
    free(s);
}

void co_verify_scope_whole(co_verify_scope *s, size_t entity)
{
    if (entity >= s->nentities)
        return;
    entity_clear(&s->entities[entity]);
    s->entities[entity].whole = true;
}

size_t co_verify_scope_count(const co_verify_scope *s, size_t entity)
{
    if (!s || entity >= s->nentities)
        return 0;
    return s->entities[entity].whole ? SIZE_MAX : s->entities[entity].tuples;
}

/* The set of e over exactly these columns, made when missing. */
static scope_set *set_for(scope_entity *e, const char *const *cols, size_t n)
{
    for (size_t i = 0; i < e->nsets; i++) {
        scope_set *set = &e->sets[i];
        bool same = set->n == n;
        for (size_t k = 0; same && k < n; k++)
            same = strcmp(set->cols[k], cols[k]) == 0;
        if (same)
            return set;
    }
    if (!CO_RESIZE(e->sets, e->nsets + 1))
        return NULL;
    scope_set *set = &e->sets[e->nsets];
    memset(set, 0, sizeof *set);
    Co_map_init(&set->tuples);
    set->cols = calloc(n ? n : 1, sizeof *set->cols);
    if (!set->cols)
        return NULL;
    e->nsets++;
    for (size_t k = 0; k < n; k++) {
        set->cols[k] = strdup(cols[k]);
        set->n++;
        if (!set->cols[k])
            return NULL;
    }
    return set;
}

static co_code add_tuple(co_verify_scope *s, size_t entity, const char *const *cols, size_t n,
                         const char *tuple, size_t len, co_error *err)
{
    if (entity >= s->nentities || s->entities[entity].whole)
        return CO_OK;
    scope_entity *e = &s->entities[entity];
    if (n == 0 || e->tuples >= MAX_TUPLES) { /* all rows, or too many to name */
        co_verify_scope_whole(s, entity);
        return CO_OK;
    }
    scope_set *set = set_for(e, cols, n);
    if (!set)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (Co_map_get(&set->tuples, tuple, len, NULL, NULL))
        return CO_OK;
    if (!Co_map_put(&set->tuples, tuple, len, "", 0))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    e->tuples++;
    return CO_OK;
}

co_code co_verify_scope_add(co_verify_scope *s, size_t entity, const char *const *cols, size_t n,
                            const co_value *vals, co_error *err)
{
    co_buf tuple = CO_BUF_INIT;
    Co_key_encode_exact(&tuple, vals, n);
    co_code rc = tuple.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                              : add_tuple(s, entity, cols, n, tuple.data, tuple.len, err);
    Co_buf_release(&tuple);
    return rc;
}

co_code co_verify_scope_merge(co_verify_scope *s, const co_verify_scope *from, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < from->nentities && i < s->nentities; i++) {
        const scope_entity *fe = &from->entities[i];
        if (fe->whole) {
            co_verify_scope_whole(s, i);
            continue;
        }
        for (size_t k = 0; rc == CO_OK && k < fe->nsets; k++) {
            const scope_set *set = &fe->sets[k];
            size_t pos = 0, klen, vlen;
            const char *key, *val;
            while (rc == CO_OK && Co_map_next(&set->tuples, &pos, &key, &klen, &val, &vlen))
                rc = add_tuple(s, i, (const char *const *)set->cols, set->n, key, klen, err);
        }
    }
    return rc;
}

/* ---- the SQL condition ---- */

/* One column against one value: "c" IN (its literals), or "c" IS NULL. */
static void column_equals(co_store *st, const char *col, const co_value *val, co_buf *out)
{
    co_store_quote_ident(st, col, out);
    if (val->type == CO_NULL) {
        Co_buf_adds(out, " IS NULL");
        return;
    }
    Co_buf_adds(out, " IN (");
    co_store_key_literals(st, val, out);
    Co_buf_addc(out, ')');
}

/* Appends one tuple of a set: a literal of the IN list for one column, or
 * (a = .. AND b = ..) for several. */
static void tuple_sql(co_store *st, const scope_set *set, const co_value *vals, bool first,
                      co_buf *out)
{
    if (set->n == 1) {
        Co_buf_adds(out, first ? "" : ", ");
        co_store_key_literals(st, &vals[0], out);
        return;
    }
    Co_buf_adds(out, first ? "(" : " OR (");
    for (size_t i = 0; i < set->n; i++) {
        Co_buf_adds(out, i ? " AND " : "");
        column_equals(st, set->cols[i], &vals[i], out);
    }
    Co_buf_addc(out, ')');
}

/* The tuple with each value that merged into another row replaced by its
 * survivor, into use (texts in storage); false when none merged. */
static bool survivor_tuple(const co_value *vals, size_t n, const co_map *const *survivors,
                           co_value *use, co_buf *storage)
{
    bool any = false;
    co_buf canon = CO_BUF_INIT, text = CO_BUF_INIT;
    memcpy(use, vals, n * sizeof *use);
    for (size_t i = 0; survivors && i < n; i++) {
        const char *to;
        size_t tolen, one = 0;
        if (!survivors[i])
            continue;
        Co_buf_reset(&canon);
        Co_key_encode(&canon, &vals[i], 1);
        if (!Co_map_get(survivors[i], canon.data, canon.len, &to, &tolen))
            continue;
        Co_buf_reset(&text);
        Co_buf_add(&text, to, tolen);
        if (Co_key_decode(co_buf_str(&text), &use[i], 1, &one, storage, NULL) == CO_OK && one == 1)
            any = true;
        else
            use[i] = vals[i];
    }
    Co_buf_release(&canon);
    Co_buf_release(&text);
    return any;
}

/* Decodes a tuple key of a scope's map (klen bytes, not NUL-terminated)
 * into at most max values, their bytes kept in storage; text is scratch. */
static co_code decode_tuple(const char *key, size_t klen, co_buf *text, co_buf *storage,
                            co_value *vals, size_t max, size_t *n, co_error *err)
{
    Co_buf_reset(text);
    Co_buf_add(text, key, klen);
    Co_buf_reset(storage);
    return Co_key_decode(co_buf_str(text), vals, max, n, storage, err);
}

/* The tuples of one set: "c" IN (...) for one column, (a = .. AND b = ..) OR ...
 * for several. A value that merged into another row stands for its survivor
 * too (survivors: per column, canonical key of a value -> the survivor's). */
static co_code set_sql(co_store *st, const scope_set *set, const co_map *const *survivors,
                       co_buf *out, co_error *err)
{
    co_buf storage = CO_BUF_INIT, surv_storage = CO_BUF_INIT, text = CO_BUF_INIT,
           nulls = CO_BUF_INIT;
    co_code rc = CO_OK;
    size_t pos = 0, klen, vlen;
    const char *key, *val;
    Co_buf_addc(out, '(');
    if (set->n == 1) {
        co_store_quote_ident(st, set->cols[0], out);
        Co_buf_adds(out, " IN (");
    }
    bool first = true;
    while (rc == CO_OK && Co_map_next(&set->tuples, &pos, &key, &klen, &val, &vlen)) {
        co_value vals[16], use[16];
        size_t n = 0;
        rc = decode_tuple(key, klen, &text, &storage, vals, 16, &n, err);
        if (rc == CO_OK && n != set->n)
            rc = co_error_set(err, CO_EINTERNAL, "a scope tuple has %zu values for %zu columns",
                              n, set->n);
        if (rc != CO_OK)
            break;
        if (set->n == 1 && vals[0].type == CO_NULL) { /* IN never matches NULL */
            Co_buf_adds(&nulls, " OR ");
            column_equals(st, set->cols[0], &vals[0], &nulls);
            continue;
        }
        tuple_sql(st, set, vals, first, out);
        first = false;
        Co_buf_reset(&surv_storage);
        if (survivor_tuple(vals, n, survivors, use, &surv_storage))
            tuple_sql(st, set, use, false, out);
    }
    if (set->n == 1)
        Co_buf_adds(out, first ? "NULL)" : ")");
    else if (first)
        Co_buf_adds(out, "1 = 0");
    Co_buf_add(out, nulls.data, nulls.len);
    Co_buf_addc(out, ')');
    Co_buf_release(&storage);
    Co_buf_release(&surv_storage);
    Co_buf_release(&text);
    Co_buf_release(&nulls);
    if (rc == CO_OK && out->failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    return rc;
}

bool Co_vscope_whole(const co_verify_scope *s, size_t entity)
{
    return !s || (entity < s->nentities && s->entities[entity].whole);
}

/* Writes one tuple set of an entity's scope as a condition, after sep (""
 * or " OR "); sets *whole when the set cannot be written and the entity is
 * to be verified whole. */
typedef co_code (*set_term_fn)(vctx *v, const scope_set *set, const char *sep, co_store *st,
                               co_buf *out, bool *whole);

/* The OR of the conditions term writes for each of e's tuple sets, in
 * parentheses; "1 = 0" for none. Stops, with *whole, where term sets it. */
static co_code sets_sql(vctx *v, const scope_entity *e, set_term_fn term, co_store *st,
                        co_buf *out, bool *whole)
{
    if (e->nsets == 0) {
        Co_buf_adds(out, "1 = 0");
        return CO_OK;
    }
    co_code rc = CO_OK;
    Co_buf_addc(out, '(');
    for (size_t k = 0; rc == CO_OK && k < e->nsets; k++) {
        rc = term(v, &e->sets[k], k ? " OR " : "", st, out, whole);
        if (*whole)
            return CO_OK;
    }
    Co_buf_addc(out, ')');
    return rc;
}

/* A tuple set over the source's columns, with the merge survivors of each. */
static co_code source_term(vctx *v, const scope_set *set, const char *sep, co_store *st,
                           co_buf *out, bool *whole)
{
    (void)whole;
    const co_map *surv[16] = {0};
    for (size_t i = 0; i < set->n && i < 16; i++)
        surv[i] = Co_vsql_survivors(v, set->cols[i]);
    Co_buf_adds(out, sep);
    return set->n > 16 ? co_error_set(v->err, CO_EUNSUPPORTED, "a scope of more than 16 columns")
                       : set_sql(st, set, surv, out, v->err);
}

co_code Co_vscope_sql(vctx *v, const co_verify_scope *s, size_t entity, co_store *st, co_buf *out)
{
    if (!s || entity >= s->nentities || s->entities[entity].whole) {
        Co_buf_adds(out, "1 = 1");
        return CO_OK;
    }
    bool whole = false;
    return sets_sql(v, &s->entities[entity], source_term, st, out, &whole);
}

static bool ref_sql(vctx *v, size_t parent, const char *column, co_store *st, co_buf *out)
{
    const co_verify_scope *s = v->scope;
    if (!s || parent >= s->nentities || s->entities[parent].whole)
        return false;
    const scope_entity *pe = &s->entities[parent];
    const co_entity *pent = &v->s->project->entities[parent];
    if (pent->nkey != 1)
        return false;
    for (size_t k = 0; k < pe->nsets; k++)
        if (pe->sets[k].n != 1 || strcmp(pe->sets[k].cols[0], pent->key[0]) != 0)
            return false;
    Co_buf_addc(out, '(');
    for (size_t k = 0; k < pe->nsets; k++) {
        /* the same tuples, named by the referring column */
        scope_set as_ref = pe->sets[k];
        char *cols[1] = {(char *)column};
        as_ref.cols = cols;
        const co_map *surv[1] = {Co_vsql_survivors(v, column)};
        Co_buf_adds(out, k ? " OR " : "");
        if (set_sql(st, &as_ref, surv, out, v->err) != CO_OK)
            return false;
    }
    Co_buf_addc(out, ')');
    return true;
}

/* ---- entities whose target gave the keys (target_key) ---- */

/* The entity through whose id map a column's values go on their way to the
 * target (e itself for its own source key, the parent for a ref to an
 * entity with a target_key), with the column's name in the target table;
 * NULL when the target holds the source's values. */
static const co_entity *via_idmap(const co_project *p, const co_entity *e, const char *col,
                                  const char **target_col)
{
    *target_col = col;
    if (e->target_key && e->nkey == 1 && strcmp(e->key[0], col) == 0) {
        *target_col = e->target_key;
        return e;
    }
    for (size_t r = 0; r < e->nrefs; r++) {
        const co_entity *pe = co_project_entity(p, e->refs[r].entity);
        if (strcmp(e->refs[r].column, col) == 0 && pe && pe->target_key)
            return pe;
    }
    return NULL;
}

/* The target key the id map of entity via holds for one source value, into
 * *out (text in storage); *known false when it holds none. */
static co_code to_target(vctx *v, const co_entity *via, const co_value *val, co_value *out,
                         co_buf *storage, bool *known)
{
    co_buf canon = CO_BUF_INIT;
    Co_key_encode(&canon, val, 1);
    char *target = NULL;
    size_t n = 0;
    *known = false;
    co_code rc = canon.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                              : co_state_idmap_target(v->s->state, v->t->key, via->name,
                                                      co_buf_str(&canon), &target, v->err);
    if (rc == CO_OK && target) {
        rc = Co_key_decode(target, out, 1, &n, storage, v->err);
        *known = rc == CO_OK && n == 1;
    }
    free(target);
    Co_buf_release(&canon);
    return rc;
}

/* One set as the target holds it: columns renamed to the target's, values
 * sent through the id maps; a tuple with a value no id map knows is left
 * out (no row of the target has it). */
static co_code keyed_set(vctx *v, const scope_set *set, scope_set *tr, const char **tcols)
{
    const co_entity *via[16];
    for (size_t i = 0; i < set->n; i++)
        via[i] = via_idmap(v->s->project, v->e, set->cols[i], &tcols[i]);
    tr->cols = (char **)tcols;
    tr->n = set->n;
    Co_map_init(&tr->tuples);
    co_buf text = CO_BUF_INIT, storage = CO_BUF_INIT, tuple = CO_BUF_INIT, mapped[16];
    for (size_t i = 0; i < 16; i++)
        mapped[i] = (co_buf)CO_BUF_INIT;
    co_code rc = CO_OK;
    size_t pos = 0, klen, vlen;
    const char *key, *val;
    while (rc == CO_OK && Co_map_next(&set->tuples, &pos, &key, &klen, &val, &vlen)) {
        co_value vals[16];
        size_t n = 0;
        rc = decode_tuple(key, klen, &text, &storage, vals, 16, &n, v->err);
        bool known = rc == CO_OK && n == set->n;
        for (size_t i = 0; known && i < n; i++) {
            if (!via[i] || vals[i].type == CO_NULL)
                continue;
            Co_buf_reset(&mapped[i]);
            rc = to_target(v, via[i], &vals[i], &vals[i], &mapped[i], &known);
        }
        if (rc != CO_OK || !known)
            continue;
        Co_buf_reset(&tuple);
        Co_key_encode_exact(&tuple, vals, n);
        if (tuple.failed || !Co_map_put(&tr->tuples, tuple.data, tuple.len, "", 0))
            rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < 16; i++)
        Co_buf_release(&mapped[i]);
    Co_buf_release(&text);
    Co_buf_release(&storage);
    Co_buf_release(&tuple);
    return rc;
}

/* A tuple set translated to the target's keys through the id maps; more
 * than 16 columns: the entity whole. */
static co_code keyed_term(vctx *v, const scope_set *set, const char *sep, co_store *st,
                          co_buf *out, bool *whole)
{
    if (set->n > 16) {
        *whole = true;
        return CO_OK;
    }
    scope_set tr;
    const char *tcols[16];
    co_code rc = keyed_set(v, set, &tr, tcols);
    Co_buf_adds(out, sep);
    if (rc == CO_OK)
        rc = set_sql(st, &tr, NULL, out, v->err);
    Co_map_release(&tr.tuples);
    return rc;
}

co_code Co_vscope_keyed_sql(vctx *v, co_store *st, co_buf *out, bool *whole)
{
    const co_verify_scope *s = v->scope;
    *whole = !s || v->index >= s->nentities || s->entities[v->index].whole ||
             !v->e->tenant_column || (v->e->target_key && v->e->nkey != 1);
    if (*whole)
        return CO_OK;
    return sets_sql(v, &s->entities[v->index], keyed_term, st, out, whole);
}

/* A row found different, by its key as the target holds it: noted by the
 * source key (the scope's terms), each value that an id map gave back
 * through it; the entity whole when one cannot be. A row the id map did
 * not know carries its source key in its text ("no target key: source key
 * [...]", keyed.c). */
static co_code note_keyed(vctx *v, const co_value *vals, size_t n)
{
    static const char unknown[] = "no target key: source key ";
    const co_entity *e = v->e;
    co_value use[16];
    co_buf back[16];
    for (size_t k = 0; k < 16; k++)
        back[k] = (co_buf)CO_BUF_INIT;
    bool ok = n == e->nkey && n <= 16;
    co_code rc = CO_OK;
    co_buf exact = CO_BUF_INIT;
    for (size_t k = 0; ok && rc == CO_OK && k < n; k++) {
        use[k] = vals[k];
        const char *tcol;
        const co_entity *via = via_idmap(v->s->project, e, e->key[k], &tcol);
        if (!via || vals[k].type == CO_NULL)
            continue;
        char *source = NULL;
        size_t got = 0;
        if (vals[k].type == CO_TEXT && vals[k].len > sizeof unknown - 1 &&
            memcmp(vals[k].s, unknown, sizeof unknown - 1) == 0) {
            source = strndup(vals[k].s + sizeof unknown - 1, vals[k].len - (sizeof unknown - 1));
            if (!source)
                rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
        } else {
            Co_buf_reset(&exact);
            Co_key_encode_exact(&exact, &vals[k], 1);
            rc = co_state_idmap_source(v->s->state, v->t->key, via->name, co_buf_str(&exact),
                                       &source, v->err);
        }
        if (rc == CO_OK && source)
            rc = Co_key_decode(source, &use[k], 1, &got, &back[k], v->err);
        ok = rc == CO_OK && source && got == 1;
        free(source);
    }
    if (rc == CO_OK && ok)
        rc = co_verify_scope_add(v->differences, v->index, (const char *const *)e->key, n, use,
                                 v->err);
    else if (rc == CO_OK)
        co_verify_scope_whole(v->differences, v->index);
    for (size_t k = 0; k < 16; k++)
        Co_buf_release(&back[k]);
    Co_buf_release(&exact);
    return rc;
}

co_code Co_vscope_note(vctx *v, const char *key)
{
    if (!v->differences)
        return CO_OK;
    co_value vals[64];
    size_t n = 0;
    co_buf storage = CO_BUF_INIT;
    co_code rc = Co_key_decode(key, vals, 64, &n, &storage, v->err);
    if (rc == CO_OK && v->keyed)
        rc = note_keyed(v, vals, n);
    else if (rc == CO_OK && n == v->e->nkey)
        rc = co_verify_scope_add(v->differences, v->index, (const char *const *)v->e->key, n, vals,
                                 v->err);
    else if (rc == CO_OK)
        co_verify_scope_whole(v->differences, v->index);
    Co_buf_release(&storage);
    return rc;
}

co_code Co_vscope_where(vctx *v, co_store *st, co_buf *out, bool *whole, bool *none)
{
    *whole = Co_vscope_whole(v->scope, v->index);
    *none = false;
    if (*whole)
        return CO_OK;
    co_code rc = Co_vscope_sql(v, v->scope, v->index, st, out);
    *none = co_verify_scope_count(v->scope, v->index) == 0;
    /* With a tenant column the tenant's rows are known by it; without one
     * they are the rows whose parents are the tenant's. */
    for (size_t r = 0; rc == CO_OK && !v->e->tenant_column && r < v->e->nrefs; r++) {
        int parent = co_project_entity_index(v->s->project, v->e->refs[r].entity);
        if (parent < 0 || co_verify_scope_count(v->scope, (size_t)parent) == 0)
            continue;
        Co_buf_adds(out, " OR ");
        if (!ref_sql(v, (size_t)parent, v->e->refs[r].column, st, out)) {
            *whole = true;
            return CO_OK;
        }
        *none = false;
    }
    if (out->failed)
        rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
    return rc;
}

co_code Co_vscope_gone_sql(vctx *v, size_t parent, const char *column, co_store *st, co_buf *out,
                           bool *all, bool *none)
{
    *all = false;
    *none = true;
    const co_verify_scope *s = v->scope;
    if (co_verify_scope_count(s, parent) == 0) {
        Co_buf_adds(out, "1 = 0");
        return CO_OK;
    }
    *none = false;
    const scope_entity *pe = &s->entities[parent];
    const co_entity *pent = &v->s->project->entities[parent];
    *all = pe->whole || pent->nkey != 1;
    for (size_t k = 0; !*all && k < pe->nsets; k++)
        *all = pe->sets[k].n != 1 || strcmp(pe->sets[k].cols[0], pent->key[0]) != 0;
    if (*all)
        return CO_OK;
    /* The parent's keys in the scope that its target table holds no more. */
    co_code rc = CO_OK;
    co_buf sql = CO_BUF_INIT, text = CO_BUF_INIT, canon = CO_BUF_INIT, storage = CO_BUF_INIT;
    co_map present;
    Co_map_init(&present);
    for (size_t k = 0; rc == CO_OK && k < pe->nsets; k++) {
        Co_buf_reset(&sql);
        Co_buf_adds(&sql, "SELECT ");
        co_store_quote_ident(st, pent->key[0], &sql);
        Co_buf_adds(&sql, " FROM ");
        co_store_quote_ident(st, pent->target, &sql);
        Co_buf_adds(&sql, " WHERE ");
        rc = set_sql(st, &pe->sets[k], NULL, &sql, v->err);
        co_cursor *c = NULL;
        if (rc == CO_OK)
            rc = co_store_query(st, co_buf_str(&sql), NULL, 0, &c, v->err);
        bool has_row;
        while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
            co_value key = co_cursor_value(c, 0);
            Co_buf_reset(&canon);
            Co_key_encode(&canon, &key, 1);
            v->res->rows_fetched++;
            if (!Co_map_put(&present, canon.data, canon.len, "", 0))
                rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
        }
        co_cursor_close(c);
    }
    bool first = true;
    Co_buf_adds(out, "(");
    co_store_quote_ident(st, column, out);
    Co_buf_adds(out, " IN (");
    for (size_t k = 0; rc == CO_OK && k < pe->nsets; k++) {
        size_t pos = 0, klen, vlen;
        const char *key, *val;
        while (rc == CO_OK && Co_map_next(&pe->sets[k].tuples, &pos, &key, &klen, &val, &vlen)) {
            co_value one[1];
            size_t n = 0;
            rc = decode_tuple(key, klen, &text, &storage, one, 1, &n, v->err);
            if (rc != CO_OK || n != 1 || one[0].type == CO_NULL)
                continue;
            Co_buf_reset(&canon);
            Co_key_encode(&canon, one, 1);
            if (Co_map_get(&present, canon.data, canon.len, NULL, NULL))
                continue;
            Co_buf_adds(out, first ? "" : ", ");
            co_store_key_literals(st, &one[0], out);
            first = false;
        }
    }
    Co_buf_adds(out, first ? "NULL))" : "))");
    *none = first;
    Co_map_release(&present);
    Co_buf_release(&sql);
    Co_buf_release(&text);
    Co_buf_release(&canon);
    Co_buf_release(&storage);
    if (rc == CO_OK && out->failed)
        rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
    return rc;
}
