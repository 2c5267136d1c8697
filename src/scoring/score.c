/*
 * score.c: scores of a behavioural model as of a date. An event's
 * contribution falls linearly from its weight to 0 at the end of its
 * lifespan; a person's (or account's) points are the sum, normalized to
 * 0-100 by 100 p / (p + half_points). The source is streamed once: memory
 * holds one number per person (or account), never the events.
 */
#include "scoring/scoring_int.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/free.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const segment_names[] = {"very high", "high", "medium", "low"};

const char *co_segment_name(int seg)
{
    return seg >= 0 && seg < CO_SEG_COUNT ? segment_names[seg] : "?";
}

double co_score_contribution(double weight, int lifespan_days, double age_days)
{
    if (age_days < 0 || lifespan_days <= 0 || age_days >= lifespan_days)
        return 0;
    return weight * (1.0 - age_days / (double)lifespan_days);
}

double co_score_normalize(double points, double half_points)
{
    if (points <= 0)
        return 0;
    if (half_points <= 0)
        return 100;
    return 100.0 * points / (points + half_points);
}

void co_scores_release(co_scores *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    CO_FREE(s->keys, s->points, s->score, s->segment, s->per_event);
    memset(s, 0, sizeof *s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void co_scores_segment(const co_model *m, co_scores *s)
{
    double cut[3];
    memcpy(cut, m->cuts, sizeof cut);
    if (m->percentiles && s->n) {
        double *sorted = malloc(s->n * sizeof *sorted);
        if (sorted) {
            memcpy(sorted, s->score, s->n * sizeof *sorted);
            qsort(sorted, s->n, sizeof *sorted, cmp_double);
            for (int k = 0; k < 3; k++) {
                size_t at = (size_t)(m->cuts[k] / 100.0 * (double)s->n);
                cut[k] = sorted[at < s->n ? at : s->n - 1];
                if (cut[k] <= 0) /* nobody with no points is ranked above low */
                    cut[k] = 1e-9;
            }
            free(sorted);
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        int seg = CO_SEG_LOW;
        for (int k = 0; k < 3; k++)
            if (s->score[i] >= cut[k]) {
                seg = k;
                break;
            }
        s->segment[i] = seg;
    }
}

/* ---- the stream ---- */

typedef void (*contrib_fn)(void *ctx, const char *key, size_t klen, size_t event, double c);

typedef struct model_index {
    const co_model *m;
} model_index;

static int32_t event_index(void *ctx, const char *canonical)
{
    const co_model *m = ((model_index *)ctx)->m;
    for (size_t i = 0; i < m->nevents; i++)
        if (strcmp(m->events[i].event, canonical) == 0)
            return (int32_t)i;
    return -1;
}

/* Reads the model's source through its mapping and calls fn for every
 * event that the model weighs, up to as_of and within its lifespan window;
 * per_event (nevents counters, may be NULL) counts those events. */
static co_code stream(const co_project *p, co_state *st, const co_model *m, time_t as_of,
                      contrib_fn fn, void *ctx, int64_t *read, int64_t *per_event, co_error *err)
{
    co_mapping map;
    co_code rc = co_mapping_find(st, m->source, &map, err);
    if (rc != CO_OK)
        return rc;
    co_map lookup;
    Co_map_init(&lookup);
    model_index mi = {m};
    if (!sc_lookup_build(&map, &lookup, event_index, &mi)) {
        Co_map_release(&lookup);
        co_mapping_release(&map);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    int maxlife = 1;
    for (size_t i = 0; i < m->nevents; i++)
        if (m->events[i].lifespan_days > maxlife)
            maxlife = m->events[i].lifespan_days;
    const co_event_source *src = NULL;
    co_store *s = NULL;
    rc = sc_source_open(p, m->source, &src, &s, err);
    co_buf sql = CO_BUF_INIT;
    co_cursor *c = NULL;
    char from[32], until[32]; /* bound to the query: they live as long as it */
    if (rc == CO_OK) {
        bool account = strcmp(m->level, "account") == 0;
        const char *cols[] = {account ? src->account : src->person, src->event, src->time};
        sc_select(s, cols, 3, src->table, &sql);
        Co_buf_adds(&sql, " WHERE ");
        co_store_quote_ident(s, src->time, &sql);
        Co_buf_adds(&sql, " >= ? AND ");
        co_store_quote_ident(s, src->time, &sql);
        Co_buf_adds(&sql, " <= ?");
        Co_clock_iso(as_of - (time_t)(maxlife + 1) * 86400, from, sizeof from);
        Co_clock_iso(as_of + 86400, until, sizeof until);
        co_param ps[] = {{NULL, sc_text(from)}, {NULL, sc_text(until)}};
        rc = co_store_query(s, co_buf_str(&sql), ps, 2, &c, err);
    }
    sc_lookup_entry last = {-1, 0}; /* the map's values are not aligned: copied out */
    char last_event[128] = "";
    size_t last_len = SIZE_MAX;
    co_buf key = CO_BUF_INIT;
    bool row = false;
    int64_t nread = 0;
    while (rc == CO_OK && (rc = co_cursor_next(c, &row, err)) == CO_OK && row) {
        nread++;
        co_value ev = co_cursor_value(c, 1);
        if (ev.type != CO_TEXT)
            continue;
        /* Events come in runs of a few names: remember the last lookup. */
        if (!(ev.len == last_len && memcmp(ev.s, last_event, ev.len) == 0)) {
            const char *val = NULL;
            last.index = -1;
            if (Co_map_get(&lookup, ev.s, ev.len, &val, NULL))
                memcpy(&last, val, sizeof last);
            if (ev.len < sizeof last_event) {
                memcpy(last_event, ev.s, ev.len);
                last_len = ev.len;
            } else {
                last_len = SIZE_MAX;
            }
        }
        if (last.index < 0)
            continue;
        int64_t t;
        if (!sc_time_of(co_cursor_value(c, 2), &t) || t > (int64_t)as_of)
            continue;
        const co_model_event *me = &m->events[last.index];
        double age = (double)((int64_t)as_of - t) / 86400.0;
        double contrib = co_score_contribution(me->weight, me->lifespan_days, age);
        if (last.kind == CO_EV_NEGATIVE)
            contrib = -fabs(contrib);
        if (per_event)
            per_event[last.index]++;
        co_value kv = co_cursor_value(c, 0);
        if (kv.type == CO_TEXT || kv.type == CO_BLOB) {
            fn(ctx, kv.s, kv.len, (size_t)last.index, contrib);
        } else if (sc_key_of(kv, &key)) {
            fn(ctx, key.data, key.len, (size_t)last.index, contrib);
        }
    }
    if (rc != CO_OK)
        co_error_where(err, "event source %s", m->source);
    Co_buf_release(&key);
    co_cursor_close(c);
    Co_buf_release(&sql);
    co_store_close(s);
    Co_map_release(&lookup);
    co_mapping_release(&map);
    if (read)
        *read = nread;
    return rc;
}

/* ---- scores of everyone ---- */

typedef struct accum {
    co_map index;   /* key -> uint32 position */
    double *points;
    size_t n, cap;
    char last[128];    /* the last key seen (rows often come grouped) */
    size_t last_len;   /* SIZE_MAX: none */
    uint32_t last_pos;
    int64_t used;
    bool failed;
} accum;

static void accumulate(void *ctx, const char *key, size_t klen, size_t event, double c)
{
    (void)event;
    accum *a = ctx;
    uint32_t pos;
    if (klen == a->last_len && memcmp(key, a->last, klen) == 0) {
        pos = a->last_pos;
    } else {
        const char *val = NULL;
        if (Co_map_get(&a->index, key, klen, &val, NULL)) {
            memcpy(&pos, val, sizeof pos);
        } else {
            if (!CO_GROW(a->points, a->cap, a->n + 1, 1024)) {
                a->failed = true;
                return;
            }
            pos = (uint32_t)a->n;
            a->points[a->n++] = 0;
            if (!Co_map_put(&a->index, key, klen, &pos, sizeof pos)) {
                a->failed = true;
                return;
            }
        }
        if (klen < sizeof a->last) {
            memcpy(a->last, key, klen);
            a->last_len = klen;
        } else {
            a->last_len = SIZE_MAX;
        }
        a->last_pos = pos;
    }
    a->points[pos] += c;
    a->used++;
}

co_code co_score_model(const co_project *p, co_state *st, const co_model *m, time_t as_of,
                       co_scores *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    accum a;
    memset(&a, 0, sizeof a);
    a.last_len = SIZE_MAX;
    Co_map_init(&a.index);
    out->per_event = calloc(m->nevents ? m->nevents : 1, sizeof *out->per_event);
    co_code rc = out->per_event ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = stream(p, st, m, as_of, accumulate, &a, &out->events_read, out->per_event, err);
    if (rc == CO_OK && a.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory scoring %zu people", a.n);
    if (rc == CO_OK) {
        out->n = a.n;
        out->keys = calloc(a.n ? a.n : 1, sizeof *out->keys);
        out->score = calloc(a.n ? a.n : 1, sizeof *out->score);
        out->segment = calloc(a.n ? a.n : 1, sizeof *out->segment);
        out->points = a.points;
        a.points = NULL;
        if (!out->keys || !out->score || !out->segment)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    size_t pos = 0;
    const char *k, *v;
    size_t klen, vlen;
    while (rc == CO_OK && Co_map_next(&a.index, &pos, &k, &klen, &v, &vlen)) {
        uint32_t i;
        memcpy(&i, v, sizeof i);
        if (!(out->keys[i] = strndup(k, klen)))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (rc == CO_OK) {
        for (size_t i = 0; i < out->n; i++)
            out->score[i] = co_score_normalize(out->points[i], m->half_points);
        co_scores_segment(m, out);
        out->events_used = a.used;
    }
    free(a.points);
    Co_map_release(&a.index);
    if (rc != CO_OK) {
        co_scores_release(out);
        co_error_where(err, "model %s", m->name);
    }
    return rc;
}

/* ---- explanations for a few keys ---- */

typedef struct explain {
    co_map index;      /* key -> position in keys */
    double *contrib;   /* [position * nevents + event] */
    size_t nevents;
} explain;

static void explain_one(void *ctx, const char *key, size_t klen, size_t event, double c)
{
    explain *x = ctx;
    const char *val = NULL;
    if (!Co_map_get(&x->index, key, klen, &val, NULL))
        return;
    uint32_t pos;
    memcpy(&pos, val, sizeof pos);
    x->contrib[(size_t)pos * x->nevents + event] += c;
}

co_code co_score_explain(const co_project *p, co_state *st, const co_model *m, time_t as_of,
                         const char *const *keys, size_t nkeys, size_t top, char **out,
                         co_error *err)
{
    explain x;
    Co_map_init(&x.index);
    x.nevents = m->nevents ? m->nevents : 1;
    x.contrib = calloc((nkeys ? nkeys : 1) * x.nevents, sizeof *x.contrib);
    co_code rc = x.contrib ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
    for (uint32_t i = 0; rc == CO_OK && i < nkeys; i++)
        if (!Co_map_put(&x.index, keys[i], strlen(keys[i]), &i, sizeof i))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = stream(p, st, m, as_of, explain_one, &x, NULL, NULL, err);
    for (size_t i = 0; rc == CO_OK && i < nkeys; i++) {
        double *row = &x.contrib[i * x.nevents];
        co_buf b = CO_BUF_INIT;
        bool *used = calloc(x.nevents, sizeof *used);
        for (size_t shown = 0; used && shown < top; shown++) {
            size_t best = SIZE_MAX;
            for (size_t e = 0; e < m->nevents; e++)
                if (!used[e] && row[e] != 0 &&
                    (best == SIZE_MAX || fabs(row[e]) > fabs(row[best])))
                    best = e;
            if (best == SIZE_MAX)
                break;
            used[best] = true;
            Co_buf_printf(&b, "%s%s %+.1f", shown ? "; " : "", m->events[best].event, row[best]);
        }
        free(used);
        out[i] = co_buf_detach(&b);
        if (!out[i])
            out[i] = sc_dup("");
    }
    free(x.contrib);
    Co_map_release(&x.index);
    return rc;
}

co_code sc_score_both(const co_project *p, co_state *st, const co_model *old_m,
                      const co_model *new_m, time_t as_of, co_scores *so, co_scores *sn,
                      co_error *err)
{
    co_code rc = co_score_model(p, st, old_m, as_of, so, err);
    if (rc != CO_OK)
        return rc;
    rc = co_score_model(p, st, new_m, as_of, sn, err);
    if (rc != CO_OK)
        co_scores_release(so);
    return rc;
}
