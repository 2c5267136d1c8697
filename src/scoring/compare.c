/*
 * compare.c: the old model against a draft on the same people. Both models
 * score everyone as of a date; conversions within 30 days after it are the
 * labels. The verdict is "similar" when the project's limits hold.
 */
#include "scoring/scoring_int.h"
#include "util/json.h"
#include "util/grow.h"
#include "util/free.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONVERSION_DAYS 30

co_compare_limits co_compare_limits_of(const co_project *p)
{
    co_compare_limits l = {0.02, 0.1, 0.9};
    if (p) {
        l.max_auc_delta = p->similar_auc_delta;
        l.max_psi = p->similar_psi;
        l.min_spearman = p->similar_spearman;
    }
    return l;
}

typedef struct population {
    co_map index;    /* key -> uint32 position */
    size_t n, cap;
    double *old_s, *new_s;
    int *old_seg, *new_seg;
    unsigned char *label; /* 0 no, 1 converted in the window, 2 converted before: left out */
} population;

static void population_release(population *pop)
{
    Co_map_release(&pop->index);
    CO_FREE(pop->old_s, pop->new_s, pop->old_seg, pop->new_seg, pop->label);
}

static bool grow(population *pop)
{
    size_t cap = pop->cap ? pop->cap * 2 : 1024;
    if (!CO_RESIZE(pop->old_s, cap) || !CO_RESIZE(pop->new_s, cap) ||
        !CO_RESIZE(pop->old_seg, cap) || !CO_RESIZE(pop->new_seg, cap) ||
        !CO_RESIZE(pop->label, cap))
        return false;
    pop->cap = cap;
    return true;
}

/* Adds the scores of one side; people the other side lacks score 0, low. */
static bool add_side(population *pop, const co_scores *s, bool is_new)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *val = NULL;
        uint32_t pos;
        if (Co_map_get(&pop->index, s->keys[i], strlen(s->keys[i]), &val, NULL)) {
            memcpy(&pos, val, sizeof pos);
        } else {
            if (pop->n == pop->cap && !grow(pop))
                return false;
            pos = (uint32_t)pop->n++;
            pop->old_s[pos] = pop->new_s[pos] = 0;
            pop->old_seg[pos] = pop->new_seg[pos] = CO_SEG_LOW;
            pop->label[pos] = 0;
            if (!Co_map_put(&pop->index, s->keys[i], strlen(s->keys[i]), &pos, sizeof pos))
                return false;
        }
        if (is_new) {
            pop->new_s[pos] = s->score[i];
            pop->new_seg[pos] = s->segment[i];
        } else {
            pop->old_s[pos] = s->score[i];
            pop->old_seg[pos] = s->segment[i];
        }
    }
    return true;
}

static co_code read_labels(const co_project *p, const char *source, const char *table,
                           time_t as_of, population *pop, co_error *err)
{
    const co_event_source *src = NULL;
    co_store *s = NULL;
    co_code rc = sc_source_open(p, source, &src, &s, err);
    if (rc != CO_OK)
        return rc;
    co_buf sql = CO_BUF_INIT;
    const char *cols[] = {"person", "converted_at"};
    sc_select(s, cols, 2, table, &sql);
    co_cursor *c = NULL;
    rc = co_store_query(s, co_buf_str(&sql), NULL, 0, &c, err);
    co_buf key = CO_BUF_INIT;
    bool row = false;
    while (rc == CO_OK && (rc = co_cursor_next(c, &row, err)) == CO_OK && row) {
        int64_t t;
        if (!sc_key_of(co_cursor_value(c, 0), &key) || !sc_time_of(co_cursor_value(c, 1), &t))
            continue;
        const char *val = NULL;
        if (!Co_map_get(&pop->index, key.data, key.len, &val, NULL))
            continue;
        uint32_t pos;
        memcpy(&pos, val, sizeof pos);
        if (t <= (int64_t)as_of)
            pop->label[pos] = 2;
        else if (t <= (int64_t)as_of + CONVERSION_DAYS * 86400 && pop->label[pos] != 2)
            pop->label[pos] = 1;
    }
    if (rc != CO_OK)
        co_error_where(err, "labels table %s on event source %s", table, source);
    Co_buf_release(&key);
    co_cursor_close(c);
    Co_buf_release(&sql);
    co_store_close(s);
    return rc;
}

static void side_stats(co_model_side *side, const int *seg, const unsigned char *label, size_t n,
                       int64_t conversions)
{
    for (size_t i = 0; i < n; i++) {
        side->count[seg[i]]++;
        side->converted[seg[i]] += label[i];
    }
    double overall = n ? (double)conversions / (double)n : 0;
    for (int k = 0; k < CO_SEG_COUNT; k++) {
        side->rate[k] = side->count[k] ? (double)side->converted[k] / (double)side->count[k] : 0;
        side->lift[k] = overall > 0 ? side->rate[k] / overall : 0;
    }
    side->recall_top2 =
        conversions ? (double)(side->converted[CO_SEG_VERY_HIGH] + side->converted[CO_SEG_HIGH]) /
                          (double)conversions
                    : 0;
    side->top_low_ratio =
        side->rate[CO_SEG_LOW] > 0 ? side->rate[CO_SEG_VERY_HIGH] / side->rate[CO_SEG_LOW] : 0;
}

co_code co_model_compare(const co_project *p, co_state *st, const co_model *old_m,
                         const co_model *new_m, time_t as_of, const char *labels_table,
                         const co_compare_limits *limits, co_model_comparison *out,
                         co_error *err)
{
    memset(out, 0, sizeof *out);
    out->limits = limits ? *limits : co_compare_limits_of(p);
    if (strcmp(old_m->level, new_m->level) != 0)
        return co_error_set(err, CO_EUSAGE, "model %s is %s-level and %s is %s-level",
                            old_m->name, old_m->level, new_m->name, new_m->level);
    co_scores so, sn;
    co_code rc = sc_score_both(p, st, old_m, new_m, as_of, &so, &sn, err);
    if (rc != CO_OK)
        return rc;
    population pop;
    memset(&pop, 0, sizeof pop);
    Co_map_init(&pop.index);
    if (!add_side(&pop, &so, false) || !add_side(&pop, &sn, true))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    co_scores_release(&so);
    co_scores_release(&sn);
    if (rc == CO_OK)
        rc = read_labels(p, old_m->source, labels_table, as_of, &pop, err);
    if (rc == CO_OK) {
        /* People who converted before the date are customers already: left out. */
        size_t n = 0;
        for (size_t i = 0; i < pop.n; i++) {
            if (pop.label[i] == 2)
                continue;
            pop.old_s[n] = pop.old_s[i];
            pop.new_s[n] = pop.new_s[i];
            pop.old_seg[n] = pop.old_seg[i];
            pop.new_seg[n] = pop.new_seg[i];
            pop.label[n] = pop.label[i];
            out->conversions += pop.label[i];
            n++;
        }
        out->people = n;
        out->old_side.auc = co_metric_auc(pop.old_s, pop.label, n);
        out->new_side.auc = co_metric_auc(pop.new_s, pop.label, n);
        out->delta_auc = out->new_side.auc - out->old_side.auc;
        out->spearman = co_metric_spearman(pop.old_s, pop.new_s, n);
        out->ks = co_metric_ks(pop.old_s, pop.new_s, n);
        out->psi = co_metric_psi(pop.old_s, pop.new_s, n);
        side_stats(&out->old_side, pop.old_seg, pop.label, n, out->conversions);
        side_stats(&out->new_side, pop.new_seg, pop.label, n, out->conversions);
        for (size_t i = 0; i < n; i++)
            out->transition[pop.old_seg[i]][pop.new_seg[i]]++;
        const co_compare_limits *l = &out->limits;
        size_t len = 0;
        if (!(fabs(out->delta_auc) <= l->max_auc_delta))
            len += (size_t)snprintf(out->reasons + len, sizeof out->reasons - len,
                                    "|AUC difference| %.4f above %.4f; ", fabs(out->delta_auc),
                                    l->max_auc_delta);
        if (len < sizeof out->reasons && !(out->psi < l->max_psi))
            len += (size_t)snprintf(out->reasons + len, sizeof out->reasons - len,
                                    "PSI %.4f not below %.4f; ", out->psi, l->max_psi);
        if (len < sizeof out->reasons && !(out->spearman >= l->min_spearman))
            len += (size_t)snprintf(out->reasons + len, sizeof out->reasons - len,
                                    "Spearman %.4f below %.4f; ", out->spearman, l->min_spearman);
        if (len >= 2 && len < sizeof out->reasons)
            out->reasons[len - 2] = '\0';
        out->similar = out->reasons[0] == '\0';
    }
    population_release(&pop);
    return rc;
}

static void side_json(const co_model_side *s, co_buf *b)
{
    Co_buf_printf(b, "{\"auc\":%.6f,\"segments\":[", s->auc);
    for (int k = 0; k < CO_SEG_COUNT; k++)
        Co_buf_printf(b, "%s{\"segment\":\"%s\",\"people\":%lld,\"converted\":%lld,"
                         "\"rate\":%.6f,\"lift\":%.4f}",
                      k ? "," : "", co_segment_name(k), (long long)s->count[k],
                      (long long)s->converted[k], s->rate[k], s->lift[k]);
    Co_buf_printf(b, "],\"recall_top2\":%.6f,\"top_low_ratio\":%.4f}", s->recall_top2,
                  s->top_low_ratio);
}

void co_model_comparison_json(const co_model_comparison *c, co_buf *b)
{
    Co_buf_printf(b, "{\"people\":%zu,\"conversions\":%lld,\"old\":", c->people,
                  (long long)c->conversions);
    side_json(&c->old_side, b);
    Co_buf_adds(b, ",\"new\":");
    side_json(&c->new_side, b);
    Co_buf_printf(b, ",\"delta_auc\":%.6f,\"spearman\":%.6f,\"ks\":%.6f,\"psi\":%.6f,"
                     "\"transition\":[",
                  c->delta_auc, c->spearman, c->ks, c->psi);
    for (int i = 0; i < CO_SEG_COUNT; i++) {
        Co_buf_adds(b, i ? ",[" : "[");
        for (int j = 0; j < CO_SEG_COUNT; j++)
            Co_buf_printf(b, "%s%lld", j ? "," : "", (long long)c->transition[i][j]);
        Co_buf_adds(b, "]");
    }
    Co_buf_printf(b, "],\"limits\":{\"auc_delta\":%g,\"psi\":%g,\"spearman\":%g},"
                     "\"verdict\":\"%s\",\"reasons\":",
                  c->limits.max_auc_delta, c->limits.max_psi, c->limits.min_spearman,
                  c->similar ? "similar" : "not similar");
    Co_json_str(b, c->reasons);
    Co_buf_adds(b, "}");
}
