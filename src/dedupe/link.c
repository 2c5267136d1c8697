/* link.c: record linkage (link.h): the configuration, the records, and the
 * blocking that chooses which pairs to score (link_score.c scores them). */
#include "dedupe/link_int.h"
#include "dedupe/similarity.h"
#include "util/grow.h"
#include "util/free.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const char *const kind_names[CO_CMP_KIND_COUNT] = {
    [CO_CMP_EXACT] = "exact",         [CO_CMP_JARO_WINKLER] = "jaro_winkler",
    [CO_CMP_LEVENSHTEIN] = "levenshtein", [CO_CMP_DAMERAU] = "damerau",
    [CO_CMP_TOKENS] = "tokens",       [CO_CMP_NUMBER] = "number",
    [CO_CMP_DATE] = "date",
};

const char *Co_compare_kind_name(co_compare_kind kind)
{
    return (unsigned)kind < CO_CMP_KIND_COUNT ? kind_names[kind] : "unknown";
}

co_compare_kind Co_compare_kind_parse(const char *name)
{
    for (int k = 0; k < CO_CMP_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return (co_compare_kind)k;
    return CO_CMP_KIND_COUNT;
}

static double default_floor(co_compare_kind k)
{
    switch (k) {
    case CO_CMP_JARO_WINKLER:
    case CO_CMP_TOKENS:
        return 0.8;
    case CO_CMP_LEVENSHTEIN:
    case CO_CMP_DAMERAU:
    case CO_CMP_DATE:
        return 0.5;
    default:
        return 0;
    }
}

static bool in_unit(double v) { return v >= 0 && v <= 1; }

static co_code check_config(const co_link_config *cfg, co_error *err)
{
    if (!cfg->fields || cfg->nfields == 0 || cfg->nfields > CO_LINK_MAX_FIELDS)
        return co_error_set(err, CO_EUSAGE, "record linkage needs 1 to %d fields, not %zu",
                            CO_LINK_MAX_FIELDS, cfg->nfields);
    if (!in_unit(cfg->review_at) || !in_unit(cfg->merge_at) || cfg->merge_at <= 0 ||
        cfg->review_at > cfg->merge_at)
        return co_error_set(err, CO_EUSAGE,
                            "record linkage thresholds must satisfy 0 <= review_at (%g) <= "
                            "merge_at (%g) <= 1, with merge_at > 0",
                            cfg->review_at, cfg->merge_at);
    for (size_t i = 0; i < cfg->nfields; i++) {
        const co_link_field *f = &cfg->fields[i];
        const char *name = f->name ? f->name : "?";
        if ((unsigned)f->compare >= CO_CMP_KIND_COUNT)
            return co_error_set(err, CO_EUSAGE, "field %s: unknown comparison %d", name,
                                (int)f->compare);
        if (!(f->weight >= 0) || !isfinite(f->weight))
            return co_error_set(err, CO_EUSAGE, "field %s: weight %g is not >= 0", name,
                                f->weight);
        if (!(f->floor < 1) || !(f->agree_at >= 0 && f->agree_at <= 1) || !(f->scale >= 0) ||
            !isfinite(f->scale))
            return co_error_set(err, CO_EUSAGE,
                                "field %s: floor %g, agree_at %g or scale %g out of range "
                                "(floor < 1, agree_at in [0, 1], scale >= 0)",
                                name, f->floor, f->agree_at, f->scale);
    }
    return CO_OK;
}

co_code Co_link_new(const co_link_config *cfg, co_link **out, co_error *err)
{
    *out = NULL;
    co_code rc = check_config(cfg, err);
    if (rc != CO_OK)
        return rc;
    co_link *l = calloc(1, sizeof *l);
    if (!l)
        return co_error_set(err, CO_ENOMEM, "out of memory for record linkage");
    l->nfields = cfg->nfields;
    l->nblocks = cfg->nblocks;
    l->review_at = cfg->review_at;
    l->merge_at = cfg->merge_at;
    l->max_block = cfg->max_block ? cfg->max_block : CO_LINK_MAX_BLOCK;
    Co_map_init(&l->keys);
    l->rules = calloc(cfg->nfields, sizeof *l->rules);
    l->order = calloc(cfg->nfields, sizeof *l->order);
    if (!l->rules || !l->order) {
        Co_link_free(l);
        return co_error_set(err, CO_ENOMEM, "out of memory for record linkage");
    }
    for (size_t i = 0; i < cfg->nfields; i++) {
        const co_link_field *f = &cfg->fields[i];
        co_link_rule *r = &l->rules[i];
        r->name = strdup(f->name ? f->name : "");
        if (!r->name) {
            Co_link_free(l);
            return co_error_set(err, CO_ENOMEM, "out of memory for record linkage");
        }
        r->compare = f->compare;
        r->weight = f->weight > 0 ? f->weight : 1;
        r->floor = f->floor != 0 ? f->floor : default_floor(f->compare);
        r->agree_at = f->agree_at > 0 ? f->agree_at : f->compare == CO_CMP_EXACT ? 1 : 0.9;
        r->scale = f->scale;
        /* insertion sort by decreasing weight: heavy fields first make the
         * early exit in Co_link_compare come sooner */
        size_t k = i;
        while (k > 0 && l->rules[l->order[k - 1]].weight < r->weight) {
            l->order[k] = l->order[k - 1];
            k--;
        }
        l->order[k] = i;
    }
    *out = l;
    return CO_OK;
}

void Co_link_free(co_link *l)
{
    if (!l)
        return;
    for (size_t i = 0; l->rules && i < l->nfields; i++)
        free(l->rules[i].name);
    CO_FREE(l->rules, l->order, l->vals, l->blocks, l->groups, l->cps);
    Co_map_release(&l->keys);
    free(l);
}

size_t Co_link_count(const co_link *l) { return l->count; }

static bool grow_records(co_link *l)
{
    if (l->count < l->cap)
        return true;
    size_t cap = l->cap ? l->cap * 2 : 1024;
    if (!CO_RESIZE(l->vals, cap * l->nfields) ||
        (l->nblocks && !CO_RESIZE(l->blocks, cap * l->nblocks)) || !CO_RESIZE(l->groups, cap))
        return false;
    l->cap = cap;
    return true;
}

static bool store_value(co_link *l, const co_link_rule *r, const char *s, co_link_value *v)
{
    size_t len = s ? strlen(s) : 0;
    memset(v, 0, sizeof *v);
    v->num = NAN;
    if (!len)
        return true;
    size_t n = Co_sim_decode(s, len, NULL, 0);
    if (n > UINT32_MAX)
        n = UINT32_MAX; /* compared on the first CO_SIM_MAX_LEN anyway */
    if (l->ncps + n > l->cpcap) {
        size_t cap = l->cpcap ? l->cpcap : 65536;
        while (cap < l->ncps + n)
            cap *= 2;
        int32_t *cps = realloc(l->cps, cap * sizeof *cps);
        if (!cps)
            return false;
        l->cps = cps;
        l->cpcap = cap;
    }
    v->off = l->ncps;
    v->n = (uint32_t)n;
    Co_sim_decode(s, len, l->cps + l->ncps, n);
    l->ncps += v->n;
    v->hash = (uint32_t)XXH3_64bits(l->cps + v->off, v->n * sizeof(int32_t));
    double num;
    int32_t days;
    if (r->compare == CO_CMP_NUMBER && Co_sim_parse_number(s, len, &num))
        v->num = num;
    else if (r->compare == CO_CMP_DATE && Co_sim_parse_date(s, len, &days))
        v->num = days;
    return true;
}

/* The block id of key s at rank, made when new; CO_LINK_NO_BLOCK for none. */
static bool block_id(co_link *l, size_t rank, const char *s, uint32_t *id)
{
    *id = CO_LINK_NO_BLOCK;
    if (!s || !*s)
        return true;
    size_t len = strlen(s);
    char stack[256];
    char *key = len + 4 <= sizeof stack ? stack : malloc(len + 4);
    if (!key)
        return false;
    uint32_t r = (uint32_t)rank;
    memcpy(key, &r, 4);
    memcpy(key + 4, s, len);
    const char *val;
    bool ok = true;
    if (Co_map_get(&l->keys, key, len + 4, &val, NULL)) {
        memcpy(id, val, sizeof *id);
    } else {
        uint32_t fresh = (uint32_t)l->nkeys;
        ok = Co_map_put(&l->keys, key, len + 4, &fresh, sizeof fresh);
        if (ok) {
            l->nkeys++;
            *id = fresh;
        }
    }
    if (key != stack)
        free(key);
    return ok;
}

co_code Co_link_add(co_link *l, const char *const *fields, const char *const *blocks, int group,
                    co_error *err)
{
    if (l->count >= UINT32_MAX - 1 || l->nkeys + l->nblocks >= UINT32_MAX - 1)
        return co_error_set(err, CO_EUSAGE, "record linkage takes at most %u records",
                            (unsigned)(UINT32_MAX - 2));
    if (!grow_records(l))
        return co_error_set(err, CO_ENOMEM, "out of memory for record linkage");
    co_link_value *vals = l->vals + l->count * l->nfields;
    for (size_t i = 0; i < l->nfields; i++)
        if (!store_value(l, &l->rules[i], fields[i], &vals[i]))
            return co_error_set(err, CO_ENOMEM, "out of memory for record linkage");
    for (size_t k = 0; k < l->nblocks; k++)
        if (!block_id(l, k, blocks[k], &l->blocks[l->count * l->nblocks + k]))
            return co_error_set(err, CO_ENOMEM, "out of memory for record linkage");
    l->groups[l->count] = group < 0 ? -1 : group;
    l->count++;
    return CO_OK;
}

co_code Co_link_score(const co_link *l, size_t a, size_t b, co_link_pair *out, double *sims,
                      co_error *err)
{
    if (a >= l->count || b >= l->count)
        return co_error_set(err, CO_EUSAGE, "no record %zu among %zu", a >= l->count ? a : b,
                            l->count);
    Co_link_compare(l, a, b, 0, out, sims);
    return CO_OK;
}

/* ---- pairs ------------------------------------------------------------------------ */

/* The members of every block, record numbers in increasing order:
 * members[start[k] .. start[k + 1]) for block k. */
typedef struct blocking {
    size_t *start;
    uint32_t *members;
    bool *skipped; /* larger than max_block */
} blocking;

static void blocking_release(blocking *g)
{
    CO_FREE(g->start, g->members, g->skipped);
}

static bool make_blocking(const co_link *l, blocking *g, co_link_stats *st)
{
    size_t nb = l->nkeys, total = 0;
    g->start = calloc(nb + 1, sizeof *g->start);
    g->skipped = calloc(nb ? nb : 1, sizeof *g->skipped);
    if (!g->start || !g->skipped)
        return false;
    const uint32_t *ids = l->blocks;
    for (size_t i = 0; i < l->count * l->nblocks; i++)
        if (ids[i] != CO_LINK_NO_BLOCK) {
            g->start[ids[i] + 1]++;
            total++;
        }
    for (size_t k = 0; k < nb; k++) {
        size_t size = g->start[k + 1];
        if (size > l->max_block) {
            g->skipped[k] = true;
            st->skipped_blocks++;
            st->skipped_pairs += size * (size - 1) / 2;
        }
        g->start[k + 1] += g->start[k];
    }
    g->members = malloc((total ? total : 1) * sizeof *g->members);
    size_t *fill = malloc((nb ? nb : 1) * sizeof *fill);
    if (!g->members || !fill) {
        free(fill);
        return false;
    }
    memcpy(fill, g->start, nb * sizeof *fill);
    for (size_t r = 0; r < l->count; r++)
        for (size_t k = 0; k < l->nblocks; k++) {
            uint32_t id = ids[r * l->nblocks + k];
            if (id != CO_LINK_NO_BLOCK)
                g->members[fill[id]++] = (uint32_t)r;
        }
    free(fill);
    return true;
}

/* True when records a and b also share a compared block numbered below k:
 * the pair is then scored there, not again here. Block ids belong to one
 * rank, so the keys of the same rank are the only ones to look at. */
static bool met_before(const co_link *l, const blocking *g, size_t a, size_t b, uint32_t k)
{
    const uint32_t *ka = l->blocks + a * l->nblocks, *kb = l->blocks + b * l->nblocks;
    for (size_t r = 0; r < l->nblocks; r++)
        if (ka[r] < k && ka[r] == kb[r] && !g->skipped[ka[r]])
            return true;
    return false;
}

typedef struct pair_list {
    co_link_pair *v;
    size_t n, cap;
} pair_list;

static bool push(pair_list *p, const co_link_pair *pair)
{
    if (!CO_GROW(p->v, p->cap, p->n + 1, 256))
        return false;
    p->v[p->n++] = *pair;
    return true;
}

static int by_records(const void *x, const void *y)
{
    const co_link_pair *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

co_code Co_link_pairs(co_link *l, co_link_pair **pairs, size_t *npairs, co_link_stats *stats,
                      co_error *err)
{
    *pairs = NULL;
    *npairs = 0;
    co_link_stats st = {.records = l->count, .blocks = l->nkeys};
    blocking g = {0};
    pair_list out = {0};
    if (!make_blocking(l, &g, &st))
        goto nomem;
    for (uint32_t k = 0; k < l->nkeys; k++) {
        if (g.skipped[k])
            continue;
        const uint32_t *m = g.members + g.start[k];
        size_t size = g.start[k + 1] - g.start[k];
        for (size_t i = 0; i + 1 < size; i++) {
            size_t a = m[i];
            int group = l->groups[a];
            for (size_t j = i + 1; j < size; j++) {
                size_t b = m[j];
                if ((group >= 0 && l->groups[b] == group) || met_before(l, &g, a, b, k))
                    continue;
                st.compared++;
                co_link_pair p;
                if (!Co_link_compare(l, a, b, l->review_at, &p, NULL) || p.score < l->review_at)
                    continue;
                if (!push(&out, &p))
                    goto nomem;
                if (p.score >= l->merge_at)
                    st.merge++;
                else
                    st.review++;
            }
        }
    }
    blocking_release(&g);
    if (out.n)
        qsort(out.v, out.n, sizeof *out.v, by_records);
    *pairs = out.v;
    *npairs = out.n;
    if (stats)
        *stats = st;
    return CO_OK;
nomem:
    blocking_release(&g);
    free(out.v);
    return co_error_set(err, CO_ENOMEM, "out of memory for record linkage");
}
