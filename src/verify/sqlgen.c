/*
 * sqlgen.c: the SQL verification runs on each side. The expected side is the
 * entity query itself, less the rows the journal rejected (cutover_keep with
 * the source's key filter); the actual side is the target table limited to
 * the tenant: by its tenant column, else through a reference to an entity
 * that has one, else by the keys of the tenant's id map (cutover_keep with the
 * target's key filter).
 */
#include "state/journal.h"
#include "verify/verify_int.h"
#include "util/key.h"
#include "util/rowhash.h"

#include <stdlib.h>
#include <string.h>

co_param Co_vparam_tenant(vctx *v)
{
    co_param p = {":tenant", v->t->value};
    return p;
}

static const co_rounding *rounding_of(const co_entity *e, const char *col)
{
    for (size_t i = 0; i < e->nrounding; i++)
        if (strcmp(e->rounding[i].column, col) == 0)
            return &e->rounding[i];
    return NULL;
}

void Co_vsql_columns(vctx *v, co_store *st, bool for_hash, co_buf *out)
{
    for (size_t i = 0; i < v->ncols; i++) {
        if (i)
            Co_buf_adds(out, ", ");
        const co_rounding *r = for_hash ? rounding_of(v->e, v->cols[i]) : NULL;
        /* A rounded column is canonical before it is rounded, as in
         * Co_vstored; the others are made canonical by the hash sum. */
        bool typed = r && v->types && v->types[i].kind != CO_CANON_ANY;
        if (r) /* the rounding of the C path (Co_vstored), not SQLite's round() */
            Co_buf_adds(out, "cutover_round(");
        if (typed)
            Co_buf_adds(out, "cutover_canon(");
        co_store_quote_ident(st, v->cols[i], out);
        if (typed) {
            char name[32];
            Co_canon_type_name(v->types[i], name, sizeof name);
            Co_buf_printf(out, ", '%s')", name);
        }
        if (r)
            Co_buf_printf(out, ", %d)", r->digits);
    }
}

bool Co_vsql_hash_types(vctx *v, co_buf *out)
{
    bool any_typed = false;
    Co_buf_addc(out, '\'');
    for (size_t i = 0; i < v->ncols; i++) {
        co_canon_type t = {CO_CANON_ANY, 0};
        if (v->types && !rounding_of(v->e, v->cols[i]))
            t = v->types[i];
        any_typed |= t.kind != CO_CANON_ANY;
        char name[32];
        Co_canon_type_name(t, name, sizeof name);
        Co_buf_printf(out, "%s%s", i ? "," : "", name);
    }
    Co_buf_addc(out, '\'');
    return any_typed;
}

int Co_vround_digits(const vctx *v, size_t col)
{
    const co_rounding *r = rounding_of(v->e, v->cols[col]);
    return r ? r->digits : -1;
}

co_value Co_vstored(const vctx *v, size_t col, co_value val, char *buf)
{
    if (v->types)
        val = Co_canon_value(v->types[col], val, buf);
    const co_rounding *r = rounding_of(v->e, v->cols[col]);
    if (r && (val.type == CO_REAL || val.type == CO_INT))
        return co_real(Co_round_decimal(val.type == CO_REAL ? val.r : (double)val.i, r->digits));
    return val;
}

void Co_vsql_keys(vctx *v, co_store *st, co_buf *out)
{
    for (size_t k = 0; k < v->e->nkey; k++) {
        if (k)
            Co_buf_adds(out, ", ");
        co_store_quote_ident(st, v->e->key[k], out);
    }
}

/* A SQL literal for a key value (no SQL functions needed on either engine). */
void Co_vsql_literal(co_store *st, const co_value *val, co_buf *out)
{
    co_store_literal(st, val, out);
}

/* True when key column i is a number and val is the canonical text of an
 * integer beyond 64 bits (a BIGINT UNSIGNED, util/canon.h): it is written
 * as a number, so that it and the integers beside it are of one type. */
static bool big_number_key(const vctx *v, size_t i, const co_value *val)
{
    if (!v->types || val->type != CO_TEXT || val->len == 0 || i >= v->e->nkey)
        return false;
    co_canon_kind k = v->types[v->key_idx[i]].kind;
    if (k != CO_CANON_INTEGER && k != CO_CANON_DECIMAL)
        return false;
    for (size_t c = val->s[0] == '-' ? 1 : 0; c < val->len; c++)
        if (val->s[c] < '0' || val->s[c] > '9')
            return false;
    return val->len > (val->s[0] == '-' ? 1u : 0u);
}

/* (k1, k2) IN (VALUES (...), ...) over the canonical keys of a set; "1 = 0"
 * for an empty set. For databases without cutover_keep(). */
static void key_set_sql(vctx *v, co_store *st, const co_map *set, co_buf *out)
{
    if (co_map_count(set) == 0) {
        Co_buf_adds(out, "1 = 0");
        return;
    }
    Co_buf_addc(out, '(');
    Co_vsql_keys(v, st, out);
    Co_buf_adds(out, ") IN (VALUES ");
    size_t pos = 0;
    const char *k, *val;
    size_t klen, vlen;
    bool first = true;
    co_buf text = CO_BUF_INIT, storage = CO_BUF_INIT;
    while (Co_map_next(set, &pos, &k, &klen, &val, &vlen)) {
        co_value vals[64];
        size_t n = 0;
        Co_buf_reset(&text);
        Co_buf_add(&text, k, klen);
        Co_buf_reset(&storage);
        if (Co_key_decode(co_buf_str(&text), vals, 64, &n, &storage, NULL) != CO_OK)
            continue;
        Co_buf_adds(out, first ? "(" : ", (");
        first = false;
        for (size_t i = 0; i < n; i++) {
            Co_buf_adds(out, i ? ", " : "");
            if (big_number_key(v, i, &vals[i]))
                Co_buf_add(out, vals[i].s, vals[i].len);
            else
                Co_vsql_literal(st, &vals[i], out);
        }
        Co_buf_addc(out, ')');
    }
    if (first) /* nothing decoded */
        Co_buf_adds(out, "(NULL)");
    Co_buf_addc(out, ')');
    Co_buf_release(&text);
    Co_buf_release(&storage);
}


/* The survivors of a merged parent's column (v->survivors[i]) and, where the
 * source has no cutover_map(), each member's SQL literal and its survivor's
 * (literals, with a co_vsql_pair per pair in at), for Co_vsql_remap_case. */
typedef struct {
    vctx *v;
    co_store *st;
    size_t i;
    co_buf *storage;
    co_buf *literals, *at; /* NULL: cutover_map() maps them */
    size_t npairs;
} merge_pairs;

/* Remembers the survivor of one merged member (keys of one column). */
static co_code add_pair(void *ctx, const char *source_key, const char *target_key, co_error *err)
{
    merge_pairs *m = ctx;
    vctx *v = m->v;
    co_code rc = CO_OK;
    co_value from[1], to[1];
    size_t n1 = 0, n2 = 0;
    Co_buf_reset(m->storage);
    bool ok = source_key && target_key &&
              Co_key_decode(source_key, from, 1, &n1, m->storage, NULL) == CO_OK &&
              Co_key_decode(target_key, to, 1, &n2, m->storage, NULL) == CO_OK && n1 == 1 &&
              n2 == 1;
    if (ok && !v->survivors)
        v->survivors = calloc(v->ncols, sizeof *v->survivors);
    if (ok && v->survivors) {
        co_buf a_key = CO_BUF_INIT, b_key = CO_BUF_INIT;
        Co_key_encode(&a_key, from, 1);
        Co_key_encode(&b_key, to, 1);
        if (a_key.failed || b_key.failed ||
            !Co_map_put(&v->survivors[m->i], a_key.data, a_key.len, b_key.data, b_key.len))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        Co_buf_release(&a_key);
        Co_buf_release(&b_key);
    } else if (ok) {
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (ok && m->literals) {
        co_vsql_pair at;
        at.from = m->literals->len;
        Co_vsql_literal(m->st, &from[0], m->literals);
        at.from_len = m->literals->len - at.from;
        at.to = m->literals->len;
        Co_vsql_literal(m->st, &to[0], m->literals);
        at.to_len = m->literals->len - at.to;
        Co_buf_add(m->at, &at, sizeof at);
    }
    if (ok)
        m->npairs++;
    return rc;
}

/* The most members a flat CASE tests, and the fewest in a group. */
#define REMAP_FLAT 8

/* "c" IN (member, ...) over pairs [first, end). PostgreSQL makes it
 * "c" = ANY (array), which from version 14 it hashes when the array holds 9
 * constants or more of a type whose = hashes; MySQL and MariaDB sort a list
 * of constants and search it. */
static void member_sql(const char *c, const co_buf *lits, const co_vsql_pair *at, size_t first,
                       size_t end, co_buf *out)
{
    Co_buf_printf(out, "%s IN (", c);
    for (size_t j = first; j < end; j++) {
        Co_buf_adds(out, j > first ? ", " : "");
        Co_buf_add(out, lits->data + at[j].from, at[j].from_len);
    }
    Co_buf_addc(out, ')');
}

/* Co_vsql_remap_case: for column c's n merged members (add_pair's literals
 * and at), on a source without cutover_map(). Up to REMAP_FLAT members,
 * CASE "c" WHEN m THEN s ... ELSE "c" END; beyond, the members' whole set is
 * tested first, then groups of g = max(REMAP_FLAT, ceil(sqrt(n))) members:
 *   CASE WHEN "c" IN (all) THEN CASE WHEN "c" IN (group 1)
 *     THEN CASE "c" WHEN m THEN s ... ELSE "c" END WHEN "c" IN (group 2) ...
 *   ELSE "c" END ELSE "c" END
 * One flat CASE of n WHENs costs every row n tests: at millions of rows and
 * thousands of merged contacts, billions. Here a row whose value was not
 * merged pays one test of the set (member_sql), and one that was at most
 * n/g tests of a group and g WHENs. The value is the flat CASE's. */
void Co_vsql_remap_case(const char *c, const co_buf *lits, const co_vsql_pair *at, size_t n,
                        co_buf *out)
{
    size_t group = REMAP_FLAT;
    while (group * group < n)
        group++;
    bool grouped = n > REMAP_FLAT;
    if (grouped) {
        Co_buf_adds(out, "CASE WHEN ");
        member_sql(c, lits, at, 0, n, out);
        Co_buf_adds(out, " THEN CASE");
    }
    for (size_t g = 0; g < n; g += group) {
        size_t end = g + group < n ? g + group : n;
        if (grouped) {
            Co_buf_adds(out, " WHEN ");
            member_sql(c, lits, at, g, end, out);
            Co_buf_adds(out, " THEN ");
        }
        Co_buf_printf(out, "CASE %s", c);
        for (size_t j = g; j < end; j++) {
            Co_buf_adds(out, " WHEN ");
            Co_buf_add(out, lits->data + at[j].from, at[j].from_len);
            Co_buf_adds(out, " THEN ");
            Co_buf_add(out, lits->data + at[j].to, at[j].to_len);
        }
        Co_buf_printf(out, " ELSE %s END", c);
    }
    if (grouped)
        Co_buf_printf(out, " ELSE %s END ELSE %s END", c, c);
    Co_buf_printf(out, " AS %s", c);
}

co_code Co_vsql_remap(vctx *v)
{
    co_store *st = v->s->source;
    Co_buf_reset(&v->remap);
    co_code rc = CO_OK;
    bool any = false;
    co_buf select = CO_BUF_INIT, storage = CO_BUF_INIT, col = CO_BUF_INIT;
    co_buf lits = CO_BUF_INIT, at = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < v->ncols; i++) {
        const co_entity *parent = NULL;
        for (size_t r = 0; r < v->e->nrefs && !parent; r++)
            if (strcmp(v->e->refs[r].column, v->cols[i]) == 0)
                parent = co_project_entity(v->s->project, v->e->refs[r].entity);
        Co_buf_reset(&col);
        co_store_quote_ident(st, v->cols[i], &col);
        Co_buf_adds(&select, i ? ", " : "");
        if (!parent || !parent->merge) {
            Co_buf_adds(&select, co_buf_str(&col));
            continue;
        }
        /* cutover_map(i, "col") AS "col", a lookup in v->survivors[i] per
         * row (verify.c's map_survivor); elsewhere Co_vsql_remap_case's CASE */
        bool mapped = co_store_hashes_in_sql(st);
        Co_buf_reset(&lits);
        Co_buf_reset(&at);
        merge_pairs mp = {v, st, i, &storage, mapped ? NULL : &lits, mapped ? NULL : &at, 0};
        rc = Co_state_merges_each(v->s->state, v->t->key, parent->name, add_pair, &mp, v->err);
        if (rc == CO_OK && (lits.failed || at.failed))
            rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
        if (rc != CO_OK || mp.npairs == 0) {
            Co_buf_adds(&select, co_buf_str(&col));
            continue;
        }
        if (mapped)
            Co_buf_printf(&select, "cutover_map(%zu, %s) AS %s", i, co_buf_str(&col),
                          co_buf_str(&col));
        else
            Co_vsql_remap_case(co_buf_str(&col), &lits, (const co_vsql_pair *)(const void *)at.data,
                               mp.npairs, &select);
        any = true;
        for (size_t k = 0; k < v->e->nkey; k++)
            v->remap_in_key |= strcmp(v->e->key[k], v->cols[i]) == 0;
    }
    if (rc == CO_OK && any)
        Co_buf_add(&v->remap, select.data, select.len);
    if (rc == CO_OK && (select.failed || col.failed || v->remap.failed))
        rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
    Co_buf_release(&select);
    Co_buf_release(&storage);
    Co_buf_release(&col);
    Co_buf_release(&lits);
    Co_buf_release(&at);
    return rc;
}

const co_map *Co_vsql_survivors(vctx *v, const char *column)
{
    for (size_t i = 0; v->survivors && i < v->ncols; i++)
        if (strcmp(v->cols[i], column) == 0)
            return co_map_count(&v->survivors[i]) ? &v->survivors[i] : NULL;
    return NULL;
}

void Co_vsql_expected(vctx *v, co_buf *out)
{
    /* A scope picks rows by their final values (refs sent to survivors). */
    if (v->scoped)
        Co_buf_adds(out, "SELECT * FROM (");
    co_store *st = v->s->source;
    /* Refs to merged rows go to their survivors; rows that then repeat were
     * merged (one row per tag of two merged contacts). Rejects are left out
     * first, by their source keys. */
    if (v->remap.len)
        /* rows repeat only when a remapped column is part of the key */
        Co_buf_printf(out, "SELECT %s%s FROM (", v->remap_in_key ? "DISTINCT " : "",
                      co_buf_str(&v->remap));
    Co_buf_printf(out, "SELECT * FROM (%s\n) AS expected", v->e->query);
    if (co_map_count(&v->rejected) == 0) {
        /* nothing was rejected: every row is expected, no filter to pay for */
    } else if (co_store_hashes_in_sql(st)) {
        Co_buf_adds(out, " WHERE cutover_keep(");
        Co_vsql_keys(v, st, out);
        Co_buf_adds(out, ")");
    } else if (co_map_count(&v->rejected)) {
        Co_buf_adds(out, " WHERE NOT ");
        key_set_sql(v, st, &v->rejected, out);
    }
    if (v->remap.len)
        Co_buf_adds(out, ") AS remapped");
    if (v->scoped)
        Co_buf_printf(out, ") AS scoped WHERE (%s)", co_buf_str(&v->where_expected));
}

/* The first ref of e whose entity has a tenant column, or NULL. */
static const co_ref *scoping_ref(const co_project *p, const co_entity *e, const co_entity **parent)
{
    for (size_t r = 0; r < e->nrefs; r++) {
        const co_entity *pe = co_project_entity(p, e->refs[r].entity);
        if (pe && pe->tenant_column && pe->nkey == 1) {
            *parent = pe;
            return &e->refs[r];
        }
    }
    return NULL;
}

/* SELECT <select> FROM "table" AS actual WHERE <the tenant's rows>. */
static void actual_select(vctx *v, bool all_columns, co_buf *out)
{
    co_store *st = v->s->dest;
    Co_buf_adds(out, "SELECT ");
    if (all_columns)
        Co_buf_adds(out, "*");
    else
        Co_vsql_columns(v, st, false, out);
    Co_buf_adds(out, " FROM ");
    co_store_quote_ident(st, v->e->target, out);
    Co_buf_adds(out, " AS actual WHERE ");
    const co_entity *parent = NULL;
    const co_ref *ref;
    /* A scope names a few rows: the planner should not walk the tenant's
     * index (co_store_unindexed_column). */
    void (*column)(const co_store *, const char *, co_buf *) =
        v->scoped ? co_store_unindexed_column : co_store_quote_ident;
    if (v->e->tenant_column) {
        column(st, v->e->tenant_column, out);
        Co_buf_adds(out, " = :tenant");
    } else if ((ref = scoping_ref(v->s->project, v->e, &parent))) {
        column(st, ref->column, out);
        Co_buf_adds(out, " IN (SELECT ");
        co_store_quote_ident(st, co_entity_target_column(parent), out);
        Co_buf_adds(out, " FROM ");
        co_store_quote_ident(st, parent->target, out);
        Co_buf_adds(out, " WHERE ");
        co_store_quote_ident(st, parent->tenant_column, out);
        Co_buf_adds(out, " = :tenant)");
    } else if (co_store_hashes_in_sql(st)) {
        Co_buf_adds(out, "cutover_keep(");
        Co_vsql_keys(v, st, out);
        Co_buf_adds(out, ")");
    } else {
        key_set_sql(v, st, &v->scope_ids, out);
    }
    if (v->scoped)
        Co_buf_printf(out, " AND (%s)", co_buf_str(&v->where_actual));
}

void Co_vsql_actual(vctx *v, co_buf *out) { actual_select(v, false, out); }

void Co_vsql_actual_rows(vctx *v, co_buf *out) { actual_select(v, true, out); }

bool Co_vsql_scoped_by_ids(const co_project *p, const co_entity *e)
{
    const co_entity *parent = NULL;
    return !e->tenant_column && !scoping_ref(p, e, &parent);
}
