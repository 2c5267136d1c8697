/*
 * scan.c: a tenant's entity rows, seen once (scan.h). Counters are fixed in
 * size per column; what grows with the tenant is one count per parent key of
 * each refs column (to find the parents with unusually many rows, as a
 * contact whose one delimited tags string becomes 94 rows) and one entry per
 * normalized key of each duplicates rule, as the migration's id maps do.
 * Those are an entity's own: an entity's rows come together, so when the
 * rows of another entity begin, its findings are settled and its maps freed
 * (at scale 1.0 the largest tenant's three maps of rows per contact and its
 * contacts' addresses took about 30 MB, all live during its 4.4 million
 * engagements).
 */
#include "audit/scan.h"
#include "dedupe/normalize.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/key.h"
#include "util/map.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 16            /* key and rule columns followed */
#define TOP_PARENTS 3          /* largest parents always shown */
#define SHOWN_OUTLIERS 20      /* outliers shown per refs column */
#define LONGEST_KEPT 3         /* longest values kept per column */
#define KEY_BYTES 160          /* an example key, as JSON */
#define MAX_SHOWN_CLUSTERS 20  /* clusters shown per rule */
#define OUTLIER_TIMES_MEDIAN 10

typedef struct longest_slot {
    int64_t len;
    char key[KEY_BYTES];
} longest_slot;

typedef struct entity_state {
    bool bound;
    size_t ncols;
    char **names;                     /* copies: output column names */
    size_t key_idx[MAX_COLS], nkey;
    size_t *ref_idx;                  /* per refs column */
    co_map *per_parent;               /* per refs column: encoded value -> int64_t rows */
    longest_slot (*longest)[LONGEST_KEPT]; /* per column */
    int64_t rows, bytes;
    bool settled;                     /* its rows have ended for this tenant */
    co_tenant_audit *held;            /* its fanouts, once settled, or NULL */
} entity_state;

typedef struct rule_state {
    size_t entity;
    const co_dup_rule *r;
    size_t idx[MAX_COLS];
    bool bound;
    co_map clusters; /* normalized values -> a cluster entry (below) */
    co_tenant_audit *held; /* its count and clusters, once settled, or NULL */
} rule_state;

/* A cluster entry: int64_t members, then its examples, a JSON array in the
 * making without its closing bracket ("[k1,k2"): the keys of the first
 * EXAMPLES_KEPT members, all of it under EXAMPLE_BYTES with the bracket. An
 * entry is as long as what it holds: most normalized values are one row's,
 * and their entries hold that row's key, not room for five (with room for
 * five, the 180,000 contacts of the largest demo tenant at scale 1.0 took
 * 41 MB; now a few). */
#define EXAMPLES_KEPT 5
#define EXAMPLE_BYTES 200

struct audit_scan {
    const co_project *p;
    co_audit_options opt;
    entity_state *ents;
    rule_state *rules;
    size_t nrules;
    co_buf norm, key;
    co_row_fn also; /* audit_scan_also */
    void *also_ctx;
    size_t current; /* the entity whose rows come now, SIZE_MAX before any */
};

/* Frees an entity's maps of rows per parent key, leaving them empty. */
static void entity_drop_maps(entity_state *es, size_t nrefs)
{
    for (size_t r = 0; es->per_parent && r < nrefs; r++) {
        Co_map_release(&es->per_parent[r]);
        Co_map_init(&es->per_parent[r]);
    }
}

static void entity_reset(entity_state *es, size_t nrefs)
{
    entity_drop_maps(es, nrefs);
    if (es->longest)
        memset(es->longest, 0, es->ncols * sizeof *es->longest);
    es->rows = es->bytes = 0;
    es->settled = false;
    co_tenant_audits_free(es->held, 1);
    es->held = NULL;
}

void audit_scan_free(audit_scan *sc)
{
    if (!sc)
        return;
    for (size_t e = 0; sc->ents && e < sc->p->nentities; e++) {
        entity_state *es = &sc->ents[e];
        entity_reset(es, sc->p->entities[e].nrefs);
        for (size_t i = 0; es->names && i < es->ncols; i++)
            free(es->names[i]);
        CO_FREE(es->names, es->ref_idx, es->per_parent, es->longest);
    }
    free(sc->ents);
    for (size_t i = 0; i < sc->nrules; i++) {
        Co_map_release(&sc->rules[i].clusters);
        co_tenant_audits_free(sc->rules[i].held, 1);
    }
    free(sc->rules);
    Co_buf_release(&sc->norm);
    Co_buf_release(&sc->key);
    free(sc);
}

co_code audit_scan_new(const co_project *p, const co_audit_options *opt, audit_scan **out,
                       co_error *err)
{
    *out = NULL;
    audit_scan *sc = calloc(1, sizeof *sc);
    if (!sc)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    sc->p = p;
    sc->current = SIZE_MAX;
    if (opt)
        sc->opt = *opt;
    else
        co_audit_options_init(&sc->opt);
    Co_buf_init(&sc->norm);
    Co_buf_init(&sc->key);
    size_t nrules = 0;
    for (size_t e = 0; e < p->nentities; e++)
        nrules += p->entities[e].nduplicates;
    sc->ents = calloc(p->nentities ? p->nentities : 1, sizeof *sc->ents);
    sc->rules = calloc(nrules ? nrules : 1, sizeof *sc->rules);
    if (!sc->ents || !sc->rules) {
        audit_scan_free(sc);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    for (size_t e = 0; e < p->nentities; e++) {
        const co_entity *en = &p->entities[e];
        entity_state *es = &sc->ents[e];
        es->ref_idx = calloc(en->nrefs ? en->nrefs : 1, sizeof *es->ref_idx);
        es->per_parent = calloc(en->nrefs ? en->nrefs : 1, sizeof *es->per_parent);
        if (!es->ref_idx || !es->per_parent) {
            audit_scan_free(sc);
            return co_error_set(err, CO_ENOMEM, "out of memory");
        }
        for (size_t r = 0; r < en->nrefs; r++)
            Co_map_init(&es->per_parent[r]);
        for (size_t d = 0; d < en->nduplicates; d++) {
            rule_state *rs = &sc->rules[sc->nrules++];
            rs->entity = e;
            rs->r = &en->duplicates[d];
            Co_map_init(&rs->clusters);
        }
    }
    *out = sc;
    return CO_OK;
}

void audit_scan_also(audit_scan *sc, co_row_fn fn, void *ctx)
{
    sc->also = fn;
    sc->also_ctx = ctx;
}

/* ---- binding names to positions ---- */

static bool find_col(const char *const *names, size_t n, const char *name, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) {
            *at = i;
            return true;
        }
    return false;
}

static co_code bind_rule(rule_state *rs, const char *const *names, size_t ncols, co_error *err)
{
    if (rs->r->ncolumns > MAX_COLS)
        return co_error_set(err, CO_EUNSUPPORTED,
                            "duplicates rule \"%s\": at most %d columns", rs->r->name, MAX_COLS);
    for (size_t d = 0; d < rs->r->ncolumns; d++)
        if (!find_col(names, ncols, rs->r->columns[d].column, &rs->idx[d]))
            return co_error_set(err, CO_EPROJECT,
                                "duplicates rule \"%s\": column \"%s\" is not among the %s's "
                                "columns",
                                rs->r->name, rs->r->columns[d].column,
                                rs->r->query ? "rule query" : "entity query");
    rs->bound = true;
    return CO_OK;
}

static co_code bind_entity(audit_scan *sc, size_t e, const char *const *names, size_t ncols,
                           co_error *err)
{
    const co_entity *en = &sc->p->entities[e];
    entity_state *es = &sc->ents[e];
    es->ncols = ncols;
    es->names = calloc(ncols ? ncols : 1, sizeof *es->names);
    es->longest = calloc(ncols ? ncols : 1, sizeof *es->longest);
    if (!es->names || !es->longest)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < ncols; i++)
        if (!(es->names[i] = strdup(names[i])))
            return co_error_set(err, CO_ENOMEM, "out of memory");
    es->nkey = 0;
    for (size_t k = 0; k < en->nkey && es->nkey < MAX_COLS; k++)
        if (find_col(names, ncols, en->key[k], &es->key_idx[es->nkey]))
            es->nkey++;
    for (size_t r = 0; r < en->nrefs; r++)
        if (!find_col(names, ncols, en->refs[r].column, &es->ref_idx[r]))
            es->ref_idx[r] = SIZE_MAX;
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < sc->nrules; i++)
        if (sc->rules[i].entity == e && !sc->rules[i].r->query)
            rc = bind_rule(&sc->rules[i], names, ncols, err);
    es->bound = rc == CO_OK;
    return rc;
}

/* ---- one row ---- */

static co_code settle_entity(audit_scan *sc, size_t e, co_error *err);

/* Characters of valid UTF-8 text (bytes that start a character), else bytes. */
static int64_t value_length(const co_value *v)
{
    if (v->type == CO_BLOB)
        return (int64_t)v->len;
    int64_t n = 0;
    for (size_t i = 0; i < v->len; i++)
        n += ((unsigned char)v->s[i] & 0xC0) != 0x80;
    return n;
}

static void keep_longest(longest_slot *slots, int64_t len, const co_buf *key)
{
    int at = LONGEST_KEPT;
    while (at > 0 && slots[at - 1].len < len)
        at--;
    if (at == LONGEST_KEPT)
        return;
    memmove(&slots[at + 1], &slots[at], (LONGEST_KEPT - 1 - (size_t)at) * sizeof *slots);
    slots[at].len = len;
    if (key->len < KEY_BYTES)
        memcpy(slots[at].key, key->data, key->len + 1);
    else
        snprintf(slots[at].key, KEY_BYTES, "\"(a key of %zu bytes)\"", key->len);
}

/* Adds the row's normalized values to the rule's clusters, the example being key. */
static co_code cluster_row(audit_scan *sc, rule_state *rs, const co_value *row, const co_buf *key,
                           co_error *err)
{
    co_buf *norm = &sc->norm;
    Co_buf_reset(norm);
    for (size_t d = 0; d < rs->r->ncolumns; d++) {
        const co_value *v = &row[rs->idx[d]];
        if (v->type != CO_TEXT || v->len == 0)
            return CO_OK;
        if (d)
            Co_buf_addc(norm, '\x1f');
        bool usable = true;
        switch (rs->r->columns[d].norm) {
        case CO_NORM_CASEFOLD: usable = Co_norm_casefold(v->s, v->len, norm); break;
        case CO_NORM_EMAIL: usable = Co_norm_email(v->s, v->len, norm); break;
        case CO_NORM_DOMAIN: usable = Co_norm_domain(v->s, v->len, norm); break;
        case CO_NORM_NAME: usable = Co_norm_name(v->s, v->len, norm); break;
        }
        if (!usable)
            return CO_OK;
    }
    if (norm->len == 0)
        return CO_OK;
    if (norm->failed || key->failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    char entry[sizeof(int64_t) + EXAMPLE_BYTES];
    char *examples = entry + sizeof(int64_t);
    int64_t members = 0;
    size_t used = 1; /* bytes of examples */
    const char *old;
    size_t olen;
    if (Co_map_get(&rs->clusters, norm->data, norm->len, &old, &olen) &&
        olen > sizeof members && olen <= sizeof entry) {
        memcpy(&members, old, sizeof members);
        used = olen - sizeof members;
        memcpy(examples, old + sizeof members, used);
    } else {
        examples[0] = '[';
    }
    members++;
    memcpy(entry, &members, sizeof members);
    if (members <= EXAMPLES_KEPT && used + key->len + 2 < EXAMPLE_BYTES) {
        if (used > 1)
            examples[used++] = ',';
        memcpy(examples + used, key->data, key->len);
        used += key->len;
    }
    if (!Co_map_put(&rs->clusters, norm->data, norm->len, entry, sizeof members + used))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

co_code audit_scan_row(void *ctx, size_t e, const char *const *names, const co_value *row,
                       size_t ncols, co_error *err)
{
    audit_scan *sc = ctx;
    if (e >= sc->p->nentities)
        return CO_OK;
    entity_state *es = &sc->ents[e];
    const co_entity *en = &sc->p->entities[e];
    co_code rc = CO_OK;
    if (e != sc->current) { /* the rows of the entity before have ended */
        if (sc->current != SIZE_MAX && (rc = settle_entity(sc, sc->current, err)) != CO_OK)
            return rc;
        sc->current = e;
    }
    if (es->settled)
        return co_error_set(err, CO_EINTERNAL,
                            "entity %s: a row after the entity's rows ended (the audit counts "
                            "an entity's rows as they come together)",
                            en->name);
    rc = es->bound ? CO_OK : bind_entity(sc, e, names, ncols, err);
    if (rc != CO_OK)
        return rc;
    if (ncols > es->ncols)
        ncols = es->ncols;
    if (sc->also && (rc = sc->also(sc->also_ctx, e, names, row, ncols, err)) != CO_OK)
        return rc;
    es->rows++;
    co_value kv[MAX_COLS];
    for (size_t k = 0; k < es->nkey; k++)
        kv[k] = row[es->key_idx[k]];
    Co_buf_reset(&sc->key);
    Co_key_encode(&sc->key, kv, es->nkey);
    for (size_t i = 0; i < ncols; i++) {
        const co_value *v = &row[i];
        if (v->type == CO_NULL)
            continue;
        if (v->type != CO_TEXT && v->type != CO_BLOB) {
            es->bytes += 8;
            continue;
        }
        es->bytes += (int64_t)v->len;
        /* A value's characters are at most its bytes: most are never counted. */
        if ((int64_t)v->len > es->longest[i][LONGEST_KEPT - 1].len)
            keep_longest(es->longest[i], value_length(v), &sc->key);
    }
    for (size_t r = 0; r < en->nrefs; r++) {
        if (es->ref_idx[r] == SIZE_MAX || row[es->ref_idx[r]].type == CO_NULL)
            continue;
        Co_buf_reset(&sc->norm);
        Co_key_encode(&sc->norm, &row[es->ref_idx[r]], 1);
        int64_t count = 0;
        const char *old;
        size_t olen;
        if (Co_map_get(&es->per_parent[r], sc->norm.data, sc->norm.len, &old, &olen) &&
            olen == sizeof count)
            memcpy(&count, old, sizeof count);
        count++;
        if (sc->norm.failed ||
            !Co_map_put(&es->per_parent[r], sc->norm.data, sc->norm.len, &count, sizeof count))
            return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == CO_OK && i < sc->nrules; i++)
        if (sc->rules[i].entity == e && !sc->rules[i].r->query)
            rc = cluster_row(sc, &sc->rules[i], row, &sc->key, err);
    return sc->key.failed && rc == CO_OK ? co_error_set(err, CO_ENOMEM, "out of memory") : rc;
}

/* ---- reading the source ourselves ---- */

static co_code stream(co_session *s, const co_tenant *t, const char *sql, size_t max_cols,
                      co_code (*each)(void *ctx, const char *const *names, const co_value *row,
                                      size_t ncols, co_error *err),
                      void *ctx, co_error *err)
{
    co_param tenant = {":tenant", t->value};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s->source, sql, &tenant, 1, &c, err);
    if (rc != CO_OK)
        return rc;
    size_t ncols = co_cursor_ncols(c);
    if (ncols > max_cols) {
        co_cursor_close(c);
        return co_error_set(err, CO_EUNSUPPORTED, "queries of more than %zu columns are not supported",
                            max_cols);
    }
    const char *names[256];
    co_value row[256];
    for (size_t i = 0; i < ncols; i++)
        names[i] = co_cursor_colname(c, i);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t i = 0; i < ncols; i++)
            row[i] = co_cursor_value(c, i);
        rc = each(ctx, names, row, ncols, err);
    }
    co_cursor_close(c);
    return rc;
}

typedef struct entity_ctx {
    audit_scan *sc;
    size_t entity;
} entity_ctx;

static co_code entity_each(void *ctx, const char *const *names, const co_value *row, size_t ncols,
                           co_error *err)
{
    entity_ctx *ec = ctx;
    return audit_scan_row(ec->sc, ec->entity, names, row, ncols, err);
}

co_code audit_scan_source(audit_scan *sc, co_session *s, const co_tenant *t, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t e = 0; rc == CO_OK && e < sc->p->nentities; e++) {
        entity_ctx ec = {sc, e};
        rc = stream(s, t, sc->p->entities[e].query, 256, entity_each, &ec, err);
        if (rc != CO_OK)
            co_error_where(err, "entity %s", sc->p->entities[e].name);
    }
    return rc;
}

typedef struct rule_ctx {
    audit_scan *sc;
    rule_state *rs;
} rule_ctx;

static co_code rule_each(void *ctx, const char *const *names, const co_value *row, size_t ncols,
                         co_error *err)
{
    rule_ctx *rc = ctx;
    if (!rc->rs->bound) {
        co_code code = bind_rule(rc->rs, names, ncols, err);
        if (code != CO_OK)
            return code;
    }
    Co_buf_reset(&rc->sc->key);
    Co_key_encode(&rc->sc->key, row, ncols ? 1 : 0); /* the first column is the example */
    return cluster_row(rc->sc, rc->rs, row, &rc->sc->key, err);
}

co_code audit_scan_rule_queries(audit_scan *sc, co_session *s, const co_tenant *t, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < sc->nrules; i++) {
        rule_state *rs = &sc->rules[i];
        if (!rs->r->query)
            continue;
        rule_ctx ctx = {sc, rs};
        rc = stream(s, t, rs->r->query, 256, rule_each, &ctx, err);
        if (rc != CO_OK)
            co_error_where(err, "entity %s, duplicates rule %s",
                           sc->p->entities[rs->entity].name, rs->r->name);
    }
    return rc;
}

/* ---- results ---- */

typedef struct parent_count {
    const char *key; /* encoded: [value] */
    size_t klen;
    int64_t rows;
} parent_count;

static int by_rows_desc(const void *pa, const void *pb)
{
    const parent_count *a = pa, *b = pb;
    if (a->rows != b->rows)
        return a->rows > b->rows ? -1 : 1;
    int c = memcmp(a->key, b->key, a->klen < b->klen ? a->klen : b->klen);
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

static int by_int64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

/* [{"key": v, "rows": n}, ...] of the first n parents; keys lose their brackets. */
static char *parents_json(const parent_count *pc, size_t n)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        Co_buf_adds(&b, i ? ",{\"key\":" : "{\"key\":");
        Co_buf_add(&b, pc[i].key + 1, pc[i].klen - 2);
        Co_buf_printf(&b, ",\"rows\":%lld}", (long long)pc[i].rows);
    }
    Co_buf_addc(&b, ']');
    return Co_buf_take(&b);
}

static co_code finish_fanout(audit_scan *sc, size_t e, size_t r, co_tenant_audit *a,
                             co_error *err)
{
    const co_entity *en = &sc->p->entities[e];
    co_map *m = &sc->ents[e].per_parent[r];
    size_t n = co_map_count(m);
    if (n == 0)
        return CO_OK;
    parent_count *pc = malloc(n * sizeof *pc);
    int64_t *counts = malloc(n * sizeof *counts);
    co_fanout *grown = realloc(a->fanouts, (a->nfanouts + 1) * sizeof *grown);
    if (grown)
        a->fanouts = grown;
    if (!pc || !counts || !grown) {
        free(pc);
        free(counts);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    size_t pos = 0, i = 0;
    const char *k, *v;
    size_t klen, vlen;
    while (Co_map_next(m, &pos, &k, &klen, &v, &vlen) && i < n) {
        pc[i].key = k;
        pc[i].klen = klen;
        memcpy(&pc[i].rows, v, sizeof pc[i].rows);
        counts[i] = pc[i].rows;
        i++;
    }
    qsort(counts, n, sizeof *counts, by_int64);
    qsort(pc, n, sizeof *pc, by_rows_desc);
    co_fanout *f = &a->fanouts[a->nfanouts++];
    memset(f, 0, sizeof *f);
    f->parents = (int64_t)n;
    f->median = counts[(n - 1) / 2];
    f->max = counts[n - 1];
    f->threshold = OUTLIER_TIMES_MEDIAN * f->median > sc->opt.many_rows
                       ? OUTLIER_TIMES_MEDIAN * f->median
                       : sc->opt.many_rows;
    while ((size_t)f->outliers < n && pc[f->outliers].rows >= f->threshold)
        f->outliers++;
    f->entity = strdup(en->name);
    f->column = strdup(en->refs[r].column);
    f->parent = strdup(en->refs[r].entity);
    f->top = parents_json(pc, n < TOP_PARENTS ? n : TOP_PARENTS);
    f->examples = parents_json(pc, (size_t)f->outliers < SHOWN_OUTLIERS ? (size_t)f->outliers
                                                                         : SHOWN_OUTLIERS);
    a->outlier_keys += f->outliers;
    free(pc);
    free(counts);
    if (!f->entity || !f->column || !f->parent || !f->top || !f->examples)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

static co_code finish_longest(audit_scan *sc, size_t e, size_t col, co_tenant_audit *a,
                              co_error *err)
{
    entity_state *es = &sc->ents[e];
    longest_slot *slots = es->longest[col];
    if (slots[0].len == 0)
        return CO_OK;
    if (!CO_RESIZE(a->longest, a->nlongest + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_longest *l = &a->longest[a->nlongest++];
    l->entity = strdup(sc->p->entities[e].name);
    l->column = strdup(es->names[col]);
    l->length = slots[0].len;
    co_buf b = CO_BUF_INIT;
    Co_buf_addc(&b, '[');
    for (size_t i = 0; i < LONGEST_KEPT && slots[i].len > 0; i++)
        Co_buf_printf(&b, "%s{\"key\":%s,\"length\":%lld}", i ? "," : "", slots[i].key,
                      (long long)slots[i].len);
    Co_buf_addc(&b, ']');
    l->examples = Co_buf_take(&b);
    if (!l->entity || !l->column || !l->examples)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

co_duplicate_rule_count *audit_add_rule_count(co_tenant_audit *a, const char *entity,
                                              const char *rule, co_error *err)
{
    if (!CO_RESIZE(a->dup_rules, a->ndup_rules + 1)) {
        co_error_set(err, CO_ENOMEM, "out of memory");
        return NULL;
    }
    co_duplicate_rule_count *count = &a->dup_rules[a->ndup_rules++];
    count->entity = strdup(entity);
    count->rule = strdup(rule);
    count->clusters = 0;
    if (!count->entity || !count->rule) {
        co_error_set(err, CO_ENOMEM, "out of memory");
        return NULL;
    }
    return count;
}

co_code audit_add_cluster(co_tenant_audit *a, const char *entity, const char *rule,
                          const char *key, size_t klen, int64_t members, const char *examples,
                          co_error *err)
{
    if (!CO_RESIZE(a->duplicates, a->nduplicates + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_duplicate_cluster *dc = &a->duplicates[a->nduplicates++];
    dc->entity = strdup(entity);
    dc->rule = strdup(rule);
    dc->key = strndup(key, klen);
    dc->members = members;
    dc->examples = strdup(examples);
    if (!dc->entity || !dc->rule || !dc->key || !dc->examples)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (char *p = dc->key; *p; p++) /* the separator, shown readably */
        if (*p == '\x1f')
            *p = '|';
    return CO_OK;
}

static co_code finish_rule(audit_scan *sc, rule_state *rs, co_tenant_audit *a, co_error *err)
{
    const char *entity = sc->p->entities[rs->entity].name;
    co_duplicate_rule_count *count = audit_add_rule_count(a, entity, rs->r->name, err);
    if (!count)
        return CO_ENOMEM;
    size_t pos = 0, shown = 0;
    const char *k, *v;
    size_t klen, vlen;
    co_code rc = CO_OK;
    while (rc == CO_OK && Co_map_next(&rs->clusters, &pos, &k, &klen, &v, &vlen)) {
        int64_t members;
        memcpy(&members, v, sizeof members);
        if (members < 2)
            continue;
        count->clusters++;
        a->duplicate_clusters++;
        if (shown++ >= MAX_SHOWN_CLUSTERS)
            continue;
        char examples[EXAMPLE_BYTES];
        size_t used = vlen - sizeof members; /* under EXAMPLE_BYTES - 1: room for "]" */
        memcpy(examples, v + sizeof members, used);
        examples[used] = ']';
        examples[used + 1] = '\0';
        rc = audit_add_cluster(a, entity, rs->r->name, k, klen, members, examples, err);
    }
    return rc;
}

/* Computes and holds the count and clusters of rule rs for the tenant, and
 * frees its map. */
static co_code settle_rule(audit_scan *sc, rule_state *rs, co_error *err)
{
    if (rs->held)
        return CO_OK;
    co_code rc = (rs->held = calloc(1, sizeof *rs->held))
                     ? finish_rule(sc, rs, rs->held, err)
                     : co_error_set(err, CO_ENOMEM, "out of memory");
    Co_map_release(&rs->clusters);
    Co_map_init(&rs->clusters);
    return rc;
}

/* Entity e's rows have ended for the tenant: its rows per parent key become
 * its fanouts, its duplicates rules (those without a query of their own)
 * their clusters, held until audit_scan_finish; its maps are freed. */
static co_code settle_entity(audit_scan *sc, size_t e, co_error *err)
{
    entity_state *es = &sc->ents[e];
    if (es->settled)
        return CO_OK;
    es->settled = true;
    const co_entity *en = &sc->p->entities[e];
    co_code rc = (es->held = calloc(1, sizeof *es->held))
                     ? CO_OK
                     : co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t r = 0; rc == CO_OK && r < en->nrefs; r++)
        rc = finish_fanout(sc, e, r, es->held, err);
    entity_drop_maps(es, en->nrefs);
    for (size_t i = 0; rc == CO_OK && i < sc->nrules; i++)
        if (sc->rules[i].entity == e && !sc->rules[i].r->query)
            rc = settle_rule(sc, &sc->rules[i], err);
    return rc;
}

/* Appends the *nfrom items of size bytes at *from to *to (*nto of them),
 * moving them: *from is freed and emptied. */
static bool move_items(void *to, size_t *nto, void *from, size_t *nfrom, size_t size)
{
    char **dst = to, **src = from;
    if (*nfrom && !Co_resize(dst, *nto + *nfrom, size))
        return false;
    if (*nfrom)
        memcpy(*dst + *nto * size, *src, *nfrom * size);
    *nto += *nfrom;
    free(*src);
    *src = NULL;
    *nfrom = 0;
    return true;
}

/* Moves what was held for an entity or a rule into a. */
static co_code take_held(co_tenant_audit *a, co_tenant_audit *h, co_error *err)
{
    if (!h)
        return CO_OK;
    if (!move_items(&a->fanouts, &a->nfanouts, &h->fanouts, &h->nfanouts, sizeof *a->fanouts) ||
        !move_items(&a->dup_rules, &a->ndup_rules, &h->dup_rules, &h->ndup_rules,
                    sizeof *a->dup_rules) ||
        !move_items(&a->duplicates, &a->nduplicates, &h->duplicates, &h->nduplicates,
                    sizeof *a->duplicates))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    a->outlier_keys += h->outlier_keys;
    a->duplicate_clusters += h->duplicate_clusters;
    h->outlier_keys = h->duplicate_clusters = 0;
    return CO_OK;
}

co_code audit_scan_finish(audit_scan *sc, co_tenant_audit *a, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t e = 0; e < sc->p->nentities; e++) {
        entity_state *es = &sc->ents[e];
        if (e < a->nentities)
            a->entity_rows[e] = es->rows;
        a->rows += es->rows;
        a->bytes += es->bytes;
        if (rc == CO_OK)
            rc = settle_entity(sc, e, err);
        if (rc == CO_OK)
            rc = take_held(a, es->held, err);
        for (size_t c = 0; rc == CO_OK && es->bound && c < es->ncols; c++)
            rc = finish_longest(sc, e, c, a, err);
        entity_reset(es, sc->p->entities[e].nrefs);
    }
    for (size_t i = 0; i < sc->nrules; i++) {
        rule_state *rs = &sc->rules[i];
        if (rc == CO_OK)
            rc = settle_rule(sc, rs, err);
        if (rc == CO_OK)
            rc = take_held(a, rs->held, err);
        co_tenant_audits_free(rs->held, 1);
        rs->held = NULL;
        Co_map_release(&rs->clusters);
        Co_map_init(&rs->clusters);
    }
    sc->current = SIZE_MAX;
    return rc;
}
