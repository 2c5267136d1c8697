/*
 * merge.c: clusters of rows that are one thing, and their merged rows
 * (merge.h). The pre-pass keeps, per source row, its canonical key and its
 * cluster (union-find); rows of clusters of several are held, encoded, until
 * their cluster is whole. Memory: the tenant's keys of the entity, plus the
 * rows of clusters still open.
 */
#include "engine/merge.h"
#include "dedupe/link.h"
#include "dedupe/survive.h"
#include "engine/session.h"
#include "util/key.h"
#include "util/map.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PREFERS 32

/* The rows of one cluster received so far. */
typedef struct pending {
    size_t need, have;
    size_t *records; /* record index per row */
    size_t *offsets; /* where each row starts in rows */
    co_buf rows;     /* exact encodings, each ending in '\0' */
} pending;

static void pending_free(pending *p)
{
    if (!p)
        return;
    free(p->records);
    free(p->offsets);
    Co_buf_release(&p->rows);
    free(p);
}

/* Pairs of records, grown as they are read. */
typedef struct pairs {
    struct pair {
        size_t a, b;
        double score;   /* -1 when not scored */
        uint32_t agree; /* the compared fields that agree */
    } *at;
    size_t n, cap;
} pairs;

static bool pairs_add(pairs *p, size_t a, size_t b, double score, uint32_t agree)
{
    if (!CO_GROW(p->at, p->cap, p->n + 1, 16))
        return false;
    p->at[p->n++] = (struct pair){a, b, score, agree};
    return true;
}

struct co_merger {
    co_session *s;
    const co_tenant *t;
    const co_entity *e;
    co_merged_fn emit;
    void *ctx;
    co_buf query;
    size_t nextra, ncols;
    co_survive *sv;
    /* records of the pre-pass */
    size_t n, cap;
    size_t *key_at;   /* offset of each record's key in keys */
    co_buf keys;      /* canonical keys, each ending in '\0' */
    co_map index;     /* canonical key -> record index (8 bytes) */
    size_t *parent;   /* union-find */
    const char **how; /* how a record joined its cluster */
    double *score;
    size_t *size;     /* per root, after the pre-pass */
    pending **open;   /* per root */
    pairs apart;      /* a person kept these apart: never joined */
    pairs decided;    /* a person merged these */
    pairs same;       /* equal on every `on` expression */
    pairs similar;    /* scored at or above merge_at */
    pairs doubtful;   /* scored from review_at to below merge_at, undecided, not joined */
    co_link *link;    /* the similar rule's records, during the pre-pass */
    co_link_stats link_stats;
    co_buf scratch;   /* one record's block and compare values as text */
    size_t *text_at;
    const char **texts;
    size_t *by_cluster; /* record indexes grouped by root, built on demand */
    size_t *cluster_at; /* per root: where its records start in by_cluster */
};

static const char *record_key(const co_merger *m, size_t i) { return m->keys.data + m->key_at[i]; }

static size_t find(co_merger *m, size_t i)
{
    while (m->parent[i] != i) {
        m->parent[i] = m->parent[m->parent[i]];
        i = m->parent[i];
    }
    return i;
}

/* Joins the clusters of a and b unless a person kept a pair of them apart. */
static void join(co_merger *m, size_t a, size_t b, const char *how, double score)
{
    size_t ra = find(m, a), rb = find(m, b);
    if (ra == rb)
        return;
    for (size_t i = 0; i < m->apart.n; i++) {
        size_t x = find(m, m->apart.at[i].a), y = find(m, m->apart.at[i].b);
        if ((x == ra && y == rb) || (x == rb && y == ra))
            return;
    }
    /* The smaller index stays the root: clusters read in source order. */
    if (rb < ra) {
        size_t swap = ra;
        ra = rb;
        rb = swap;
    }
    m->parent[rb] = ra;
    size_t joined = m->how[b] ? a : b;
    if (!m->how[joined]) {
        m->how[joined] = how;
        m->score[joined] = score;
    }
}

static bool lookup(const co_merger *m, const char *key, size_t klen, size_t *out)
{
    const char *val;
    size_t vlen;
    if (!Co_map_get(&m->index, key, klen, &val, &vlen) || vlen != sizeof *out)
        return false;
    memcpy(out, val, sizeof *out);
    return true;
}

static co_code add_record(co_merger *m, const co_buf *key, co_error *err)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        if (!CO_RESIZE(m->key_at, cap) || !CO_RESIZE(m->parent, cap) || !CO_RESIZE(m->how, cap) ||
            !CO_RESIZE(m->score, cap))
            return co_error_set(err, CO_ENOMEM, "out of memory");
        m->cap = cap;
    }
    size_t i = m->n;
    m->key_at[i] = m->keys.len;
    Co_buf_add(&m->keys, key->data, key->len);
    Co_buf_addc(&m->keys, '\0');
    m->parent[i] = i;
    m->how[i] = NULL;
    m->score[i] = -1;
    if (m->keys.failed || !Co_map_put(&m->index, key->data, key->len, &i, sizeof i))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    m->n++;
    return CO_OK;
}

/* Appends v as text ending in '\0' and returns where it starts, or SIZE_MAX
 * when it is missing (NULL, a blob): what the linker compares. */
static size_t add_text(co_buf *b, co_value v)
{
    size_t at = b->len;
    switch (v.type) {
    case CO_TEXT: Co_buf_add(b, v.s, v.len); break;
    case CO_INT: Co_buf_add_int(b, v.i); break;
    case CO_REAL: Co_buf_printf(b, "%.15g", v.r); break;
    default: return SIZE_MAX;
    }
    Co_buf_addc(b, '\0');
    return at;
}

/* Hands the record just added its blocking keys and compared values, from
 * column `at` of the pre-pass on. */
static co_code link_record(co_merger *m, co_cursor *c, size_t at, co_error *err)
{
    const co_merge *mg = m->e->merge;
    size_t nv = mg->nblocks + mg->ncompare;
    Co_buf_reset(&m->scratch);
    for (size_t j = 0; j < nv; j++)
        m->text_at[j] = add_text(&m->scratch, co_cursor_value(c, at + j));
    if (m->scratch.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t j = 0; j < nv; j++)
        m->texts[j] = m->text_at[j] == SIZE_MAX ? NULL : m->scratch.data + m->text_at[j];
    return Co_link_add(m->link, m->texts + mg->nblocks, m->texts, -1, err);
}

/* The pre-pass: every row's key, and the pairs equal on their `on` values. */
static co_code read_keys(co_merger *m, co_error *err)
{
    const co_entity *e = m->e;
    const co_merge *mg = e->merge;
    co_store *src = m->s->source;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    for (size_t k = 0; k < e->nkey; k++) {
        Co_buf_adds(&sql, k ? ", " : "");
        co_store_quote_ident(src, e->key[k], &sql);
    }
    for (size_t i = 0; i < mg->non; i++)
        Co_buf_printf(&sql, ", (%s)", mg->on[i]);
    for (size_t i = 0; m->link && i < mg->nblocks; i++)
        Co_buf_printf(&sql, ", (%s)", mg->blocks[i]);
    for (size_t i = 0; m->link && i < mg->ncompare; i++)
        Co_buf_printf(&sql, ", (%s)", mg->compare[i].expr);
    Co_buf_printf(&sql, " FROM (%s\n) AS merged", e->query);
    co_param tenant = {":tenant", m->t->value};
    co_cursor *c = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(src, co_buf_str(&sql), &tenant, 1, &c, err);
    Co_buf_release(&sql);
    co_map same; /* encoded `on` values -> first record */
    Co_map_init(&same);
    co_buf key = CO_BUF_INIT, on = CO_BUF_INIT;
    co_value vals[64];
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t k = 0; k < e->nkey && k < 64; k++)
            vals[k] = co_cursor_value(c, k);
        Co_buf_reset(&key);
        Co_key_encode(&key, vals, e->nkey);
        size_t i;
        if (lookup(m, key.data, key.len, &i))
            continue; /* a duplicate key: migrate rejects the second row */
        rc = add_record(m, &key, err);
        if (rc == CO_OK && m->link)
            rc = link_record(m, c, e->nkey + mg->non, err);
        if (rc != CO_OK || mg->non == 0)
            continue;
        bool usable = true;
        for (size_t j = 0; j < mg->non && j < 64; j++) {
            vals[j] = co_cursor_value(c, e->nkey + j);
            usable &= vals[j].type != CO_NULL && !(vals[j].type == CO_TEXT && vals[j].len == 0);
        }
        if (!usable)
            continue;
        Co_buf_reset(&on);
        Co_key_encode(&on, vals, mg->non);
        const char *first;
        size_t flen;
        i = m->n - 1;
        if (Co_map_get(&same, on.data, on.len, &first, &flen)) {
            size_t f;
            memcpy(&f, first, sizeof f);
            if (!pairs_add(&m->same, f, i, -1, 0))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
        } else if (!Co_map_put(&same, on.data, on.len, &i, sizeof i)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        }
    }
    co_cursor_close(c);
    Co_map_release(&same);
    Co_buf_release(&key);
    Co_buf_release(&on);
    if (rc != CO_OK)
        co_error_where(err, "reading the merge keys of entity %s", e->name);
    return rc;
}

/* The journal's decisions on pairs of rows still in the source. */
static co_code read_decisions(co_merger *m, co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = co_state_decisions_query(m->s->state, m->t->key, m->e->name, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value a = co_cursor_value(c, 0), b = co_cursor_value(c, 1), d = co_cursor_value(c, 2);
        size_t ia, ib;
        if (a.type != CO_TEXT || b.type != CO_TEXT || d.type != CO_TEXT ||
            !lookup(m, a.s, a.len, &ia) || !lookup(m, b.s, b.len, &ib))
            continue; /* a row no longer in the source */
        bool merge = d.len == 5 && memcmp(d.s, "merge", 5) == 0;
        if (!pairs_add(merge ? &m->decided : &m->apart, ia, ib, -1, 0))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    return rc;
}

/* Joins the clusters: first what people decided, then rows equal on `on`,
 * then pairs similar enough; every join respects the pairs kept apart. */
static void join_all(co_merger *m)
{
    for (size_t i = 0; i < m->decided.n; i++)
        join(m, m->decided.at[i].a, m->decided.at[i].b, "decided", -1);
    for (size_t i = 0; i < m->same.n; i++)
        join(m, m->same.at[i].a, m->same.at[i].b, "same", -1);
    for (size_t i = 0; i < m->similar.n; i++)
        join(m, m->similar.at[i].a, m->similar.at[i].b, "similar", m->similar.at[i].score);
}

/* The linker for the similar rule, when the entity has one. */
static co_code link_open(co_merger *m, co_error *err)
{
    const co_merge *mg = m->e->merge;
    if (mg->nblocks == 0)
        return CO_OK;
    co_link_field fields[CO_LINK_MAX_FIELDS];
    size_t n = mg->ncompare < CO_LINK_MAX_FIELDS ? mg->ncompare : CO_LINK_MAX_FIELDS;
    for (size_t i = 0; i < n; i++) {
        const co_merge_compare *c = &mg->compare[i];
        fields[i] = (co_link_field){c->name ? c->name : c->expr, Co_compare_kind_parse(c->by),
                                    c->weight, c->floor, c->agree_at, c->scale};
    }
    co_link_config cfg = {fields, n, mg->nblocks, mg->review_at, mg->merge_at, 0};
    size_t nv = mg->nblocks + mg->ncompare;
    m->text_at = calloc(nv, sizeof *m->text_at);
    m->texts = calloc(nv, sizeof *m->texts);
    if (!m->text_at || !m->texts)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_code rc = Co_link_new(&cfg, &m->link, err);
    if (rc != CO_OK)
        co_error_where(err, "the similar rule of entity %s", m->e->name);
    return rc;
}

/* Scores the pairs sharing a block: sure ones (merge_at and up) join, doubtful
 * ones are kept for review. The linker's records go once scored. */
static co_code add_similar(co_merger *m, co_error *err)
{
    if (!m->link)
        return CO_OK;
    co_link_pair *found = NULL;
    size_t nfound = 0;
    co_code rc = Co_link_pairs(m->link, &found, &nfound, &m->link_stats, err);
    for (size_t i = 0; rc == CO_OK && i < nfound; i++) {
        const co_link_pair *p = &found[i];
        pairs *to = p->score >= m->e->merge->merge_at ? &m->similar : &m->doubtful;
        if (!pairs_add(to, p->a, p->b, p->score, p->agree))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    free(found);
    Co_link_free(m->link);
    m->link = NULL;
    return rc;
}

/* The pair's two records in one order, as a map key. */
static void pair_key(size_t a, size_t b, size_t out[2])
{
    out[0] = a < b ? a : b;
    out[1] = a < b ? b : a;
}

/* Keeps the doubtful pairs a person still has to see: not decided either
 * way, and not already in one cluster; the highest scores first. */
static int by_score(const void *x, const void *y)
{
    const struct pair *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return a->a != b->a ? (a->a < b->a ? -1 : 1) : (a->b < b->b ? -1 : a->b > b->b);
}

static co_code keep_undecided(co_merger *m, co_error *err)
{
    if (m->doubtful.n == 0)
        return CO_OK;
    co_map decided;
    Co_map_init(&decided);
    size_t k[2];
    bool ok = true;
    for (size_t i = 0; ok && i < m->decided.n + m->apart.n; i++) {
        const struct pair *p = i < m->decided.n ? &m->decided.at[i]
                                                 : &m->apart.at[i - m->decided.n];
        pair_key(p->a, p->b, k);
        ok = Co_map_put(&decided, (const char *)k, sizeof k, "", 0);
    }
    size_t kept = 0;
    for (size_t i = 0; ok && i < m->doubtful.n; i++) {
        struct pair p = m->doubtful.at[i];
        const char *v;
        size_t vlen;
        pair_key(p.a, p.b, k);
        if (find(m, p.a) == find(m, p.b) ||
            Co_map_get(&decided, (const char *)k, sizeof k, &v, &vlen))
            continue;
        m->doubtful.at[kept++] = p;
    }
    Co_map_release(&decided);
    if (!ok)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    m->doubtful.n = kept;
    if (kept > 1)
        qsort(m->doubtful.at, kept, sizeof *m->doubtful.at, by_score);
    return CO_OK;
}

static co_code count_clusters(co_merger *m, co_error *err)
{
    m->size = calloc(m->n ? m->n : 1, sizeof *m->size);
    m->open = calloc(m->n ? m->n : 1, sizeof *m->open);
    if (!m->size || !m->open)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n; i++)
        m->size[find(m, i)]++;
    return CO_OK;
}

void Co_merger_free(co_merger *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->open && i < m->n; i++)
        pending_free(m->open[i]);
    CO_FREE(m->open, m->size, m->key_at, m->parent, m->how, m->score, m->apart.at, m->decided.at,
            m->same.at, m->similar.at, m->doubtful.at);
    Co_link_free(m->link);
    Co_buf_release(&m->scratch);
    CO_FREE(m->text_at, m->texts, m->by_cluster, m->cluster_at);
    Co_buf_release(&m->keys);
    Co_buf_release(&m->query);
    Co_map_release(&m->index);
    Co_survive_free(m->sv);
    free(m);
}

co_code Co_merger_open(co_session *s, const co_tenant *t, const co_entity *e, co_merged_fn emit,
                       void *ctx, co_merger **out, co_error *err)
{
    *out = NULL;
    co_merger *m = calloc(1, sizeof *m);
    if (!m)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    m->s = s;
    m->t = t;
    m->e = e;
    m->emit = emit;
    m->ctx = ctx;
    Co_map_init(&m->index);
    const char *conds[MAX_PREFERS];
    size_t nprefer = Co_survive_prefers(e->merge, conds, MAX_PREFERS);
    co_code rc = CO_OK;
    if (nprefer > MAX_PREFERS)
        rc = co_error_set(err, CO_EPROJECT, "merge of entity %s: more than %d prefer rules",
                          e->name, MAX_PREFERS);
    Co_buf_adds(&m->query, "SELECT *");
    for (size_t i = 0; i < nprefer && rc == CO_OK; i++) {
        Co_buf_printf(&m->query, ", CASE WHEN (%s) THEN 1 ELSE 0 END AS ", conds[i]);
        char alias[48];
        snprintf(alias, sizeof alias, "cutover_prefer_%zu", i + 1);
        co_store_quote_ident(s->source, alias, &m->query);
    }
    Co_buf_printf(&m->query, " FROM (%s\n) AS merging", e->query);
    m->nextra = nprefer;
    if (rc == CO_OK && m->query.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = link_open(m, err);
    if (rc == CO_OK)
        rc = read_keys(m, err);
    if (rc == CO_OK)
        rc = read_decisions(m, err);
    if (rc == CO_OK)
        rc = add_similar(m, err);
    if (rc == CO_OK) {
        join_all(m);
        rc = keep_undecided(m, err);
    }
    if (rc == CO_OK)
        rc = count_clusters(m, err);
    if (rc != CO_OK) {
        Co_merger_free(m);
        return rc;
    }
    *out = m;
    return CO_OK;
}

const char *Co_merger_query(const co_merger *m) { return co_buf_str(&m->query); }
size_t Co_merger_extra(const co_merger *m) { return m->nextra; }

co_code Co_merger_bind(co_merger *m, const char *const *names, size_t ncols,
                       const size_t *key_idx, co_error *err)
{
    Co_survive_free(m->sv);
    m->sv = NULL;
    m->ncols = ncols;
    return Co_survive_new(m->e->merge, names, ncols, key_idx, m->e->nkey, ncols, &m->sv, err);
}

/* Merges the rows a cluster received and hands the row to emit. */
static co_code close_cluster(co_merger *m, size_t root, co_error *err)
{
    pending *p = m->open[root];
    m->open[root] = NULL;
    if (!p)
        return CO_OK;
    size_t width = m->ncols + m->nextra;
    co_value *vals = calloc(p->have * width + m->ncols, sizeof *vals);
    const co_value **rows = calloc(p->have, sizeof *rows);
    const char **members = calloc(p->have, sizeof *members);
    const char **how = calloc(p->have, sizeof *how);
    double *score = calloc(p->have, sizeof *score);
    /* Each row's decoded text lives in a buffer of its own: values point into it. */
    co_buf *texts = calloc(p->have, sizeof *texts);
    co_code rc = vals && rows && members && how && score && texts
                     ? CO_OK
                     : co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t r = 0; rc == CO_OK && r < p->have; r++) {
        size_t n = 0;
        rc = Co_key_decode(p->rows.data + p->offsets[r], vals + r * width, width, &n, &texts[r],
                           err);
        if (rc == CO_OK && n != width)
            rc = co_error_set(err, CO_EINTERNAL, "merge: a held row lost columns");
        rows[r] = vals + r * width;
    }
    size_t survivor = 0;
    co_value *out = vals + p->have * width;
    if (rc == CO_OK && p->have == 1) /* the others were rejected: the row as it is */
        memcpy(out, rows[0], m->ncols * sizeof *out);
    else if (rc == CO_OK)
        rc = Co_survive_apply(m->sv, rows, p->have, out, &survivor, err);
    size_t nm = 0;
    for (size_t r = 0; rc == CO_OK && r < p->have; r++) {
        if (r == survivor)
            continue;
        size_t rec = p->records[r];
        members[nm] = record_key(m, rec);
        how[nm] = m->how[rec] ? m->how[rec] : "same";
        score[nm] = m->score[rec];
        nm++;
    }
    if (rc == CO_OK) {
        co_merged merged = {out, nm, members, how, score};
        rc = m->emit(m->ctx, &merged, err);
    }
    for (size_t r = 0; texts && r < p->have; r++)
        Co_buf_release(&texts[r]);
    CO_FREE(texts, vals, rows, members, how, score);
    pending_free(p);
    return rc;
}

co_code Co_merger_put(co_merger *m, const co_value *row, const char *key, size_t klen,
                      bool *held, co_error *err)
{
    size_t i;
    *held = false;
    if (!lookup(m, key, klen, &i))
        return CO_OK; /* new since the pre-pass: alone */
    size_t root = find(m, i);
    if (m->size[root] < 2)
        return CO_OK;
    pending *p = m->open[root];
    if (!p) {
        p = calloc(1, sizeof *p);
        if (p) {
            p->need = m->size[root];
            p->records = calloc(p->need, sizeof *p->records);
            p->offsets = calloc(p->need, sizeof *p->offsets);
        }
        if (!p || !p->records || !p->offsets) {
            pending_free(p);
            return co_error_set(err, CO_ENOMEM, "out of memory");
        }
        m->open[root] = p;
    }
    if (p->have == p->need) /* more rows than the pre-pass saw: the key repeats */
        return CO_OK;
    p->records[p->have] = i;
    p->offsets[p->have] = p->rows.len;
    Co_key_encode_exact(&p->rows, row, m->ncols + m->nextra);
    Co_buf_addc(&p->rows, '\0');
    if (p->rows.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    p->have++;
    *held = true;
    return p->have == p->need ? close_cluster(m, root, err) : CO_OK;
}

co_code Co_merger_drop(co_merger *m, const char *key, size_t klen, co_error *err)
{
    size_t i;
    if (!lookup(m, key, klen, &i))
        return CO_OK;
    size_t root = find(m, i);
    if (m->size[root] < 2)
        return CO_OK;
    m->size[root]--;
    pending *p = m->open[root];
    if (p && p->need > 0)
        p->need--;
    return p && p->have > 0 && p->have >= p->need ? close_cluster(m, root, err) : CO_OK;
}

co_code Co_merger_finish(co_merger *m, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < m->n; i++)
        if (m->open[i] && m->open[i]->have > 0)
            rc = close_cluster(m, i, err);
    return rc;
}

size_t Co_merger_doubts(const co_merger *m) { return m->doubtful.n; }

void Co_merger_doubt(const co_merger *m, size_t i, co_merge_doubt *out)
{
    const struct pair *p = &m->doubtful.at[i];
    *out = (co_merge_doubt){record_key(m, p->a), record_key(m, p->b), p->score, p->agree};
}

const co_link_stats *Co_merger_link_stats(const co_merger *m) { return &m->link_stats; }

bool Co_merger_alone(co_merger *m, const char *key, size_t klen)
{
    size_t i;
    return !lookup(m, key, klen, &i) || m->size[find(m, i)] < 2;
}

/* Groups the records by cluster once: by_cluster holds each root's records
 * from cluster_at[root] on, size[root] of them. */
static bool group_clusters(co_merger *m)
{
    if (m->by_cluster)
        return true;
    m->by_cluster = malloc((m->n ? m->n : 1) * sizeof *m->by_cluster);
    m->cluster_at = calloc(m->n ? m->n : 1, sizeof *m->cluster_at);
    size_t *fill = calloc(m->n ? m->n : 1, sizeof *fill);
    if (!m->by_cluster || !m->cluster_at || !fill) {
        CO_FREE(fill, m->by_cluster, m->cluster_at);
        m->by_cluster = m->cluster_at = NULL;
        return false;
    }
    size_t at = 0;
    for (size_t i = 0; i < m->n; i++)
        if (find(m, i) == i) {
            m->cluster_at[i] = at;
            at += m->size[i];
        }
    for (size_t i = 0; i < m->n; i++) {
        size_t root = find(m, i);
        m->by_cluster[m->cluster_at[root] + fill[root]++] = i;
    }
    free(fill);
    return true;
}

co_code Co_merger_cluster(co_merger *m, const char *key, size_t klen, co_merger_member_fn fn,
                          void *ctx, co_error *err)
{
    size_t i;
    if (!lookup(m, key, klen, &i))
        return CO_OK;
    if (!group_clusters(m))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    size_t root = find(m, i);
    co_code rc = CO_OK;
    for (size_t j = 0; rc == CO_OK && j < m->size[root]; j++)
        rc = fn(ctx, record_key(m, m->by_cluster[m->cluster_at[root] + j]), err);
    return rc;
}

void Co_merger_set_emit(co_merger *m, co_merged_fn emit, void *ctx)
{
    m->emit = emit;
    m->ctx = ctx;
}
