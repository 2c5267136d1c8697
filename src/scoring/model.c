/*
 * model.c: behavioural models in the journal (scoring_models and
 * scoring_model_events): per canonical event a weight and a lifespan, the
 * normalization and the segment cuts; drafts, published and archived.
 */
#include "state/journal.h"
#include "scoring/scoring_int.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdlib.h>
#include <string.h>

void co_model_release(co_model *m)
{
    if (!m)
        return;
    CO_FREE(m->name, m->level, m->source, m->status, m->origin, m->updated_at);
    for (size_t i = 0; i < m->nevents; i++)
        free(m->events[i].event);
    free(m->events);
    memset(m, 0, sizeof *m);
}

void co_model_defaults(co_model *m)
{
    m->half_points = 50;
    m->percentiles = false;
    m->cuts[0] = 75;
    m->cuts[1] = 50;
    m->cuts[2] = 25;
}

static co_code add_event(co_model *m, const char *event, double weight, int lifespan,
                         co_error *err)
{
    for (size_t i = 0; i < m->nevents; i++)
        if (strcmp(m->events[i].event, event) == 0)
            return co_error_set(err, CO_EUSAGE, "event \"%s\" is weighted twice", event);
    if (!CO_RESIZE(m->events, m->nevents + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_model_event *e = &m->events[m->nevents];
    if (!(e->event = sc_dup(event)))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    e->weight = weight;
    e->lifespan_days = lifespan;
    m->nevents++;
    return CO_OK;
}

static co_code event_line(void *ctx, char **f, int n, const char *path, int line, co_error *err)
{
    co_model *m = ctx;
    char *end1 = NULL, *end2 = NULL;
    double w = n == 3 ? strtod(f[1], &end1) : 0;
    long life = n == 3 ? strtol(f[2], &end2, 10) : 0;
    co_code rc;
    if (n != 3 || !*f[0] || !*f[1] || *end1 || !*f[2] || *end2)
        rc = co_error_set(err, CO_EUSAGE, "expected canonical_event,weight,lifespan_days");
    else if (life < 1 || life > 3650)
        rc = co_error_set(err, CO_EUSAGE, "lifespan_days must be from 1 to 3650, not %ld", life);
    else
        rc = add_event(m, f[0], w, (int)life, err);
    if (rc != CO_OK)
        co_error_where(err, "%s:%d", path, line);
    return rc;
}

co_code co_model_read_file(const char *path, co_model *m, co_error *err)
{
    co_code rc = sc_csv_read(path, event_line, m, err);
    if (rc == CO_OK && !m->nevents)
        rc = co_error_set(err, CO_EUSAGE, "%s weighs no event", path);
    return rc;
}

co_code co_model_save(co_state *st, const co_model *m, const char *status, int64_t *id,
                      co_error *err)
{
    co_code rc = co_state_begin(st, err);
    if (rc != CO_OK)
        return rc;
    bool taken = false;
    rc = Co_state_model_named(st, m->name, &taken, err);
    if (rc == CO_OK && taken)
        rc = co_error_set(err, CO_EUSAGE, "a model named \"%s\" exists already", m->name);
    char now[32];
    sc_now(now, sizeof now);
    if (rc == CO_OK) {
        co_jmodel row = {.name = m->name,
                         .level = m->level,
                         .source = m->source,
                         .status = status,
                         .half_points = m->half_points,
                         .segment_by = m->percentiles ? "percentile" : "score",
                         .cuts = {m->cuts[0], m->cuts[1], m->cuts[2]},
                         .origin = m->origin ? m->origin : "",
                         .updated_at = now};
        rc = Co_state_model_add(st, &row, id, err);
    }
    for (size_t i = 0; rc == CO_OK && i < m->nevents; i++)
        rc = Co_state_model_event_add(st, *id, m->events[i].event, m->events[i].weight,
                                      m->events[i].lifespan_days, err);
    if (rc == CO_OK)
        return co_state_commit(st, err);
    co_state_rollback(st);
    return rc;
}

/* A model as the journal gives it, copied into *m (events not yet). */
static co_code read_model(const co_jmodel *r, co_model *m)
{
    memset(m, 0, sizeof *m);
    m->id = r->id;
    m->name = sc_dup(r->name);
    m->level = sc_dup(r->level);
    m->source = sc_dup(r->source);
    m->status = sc_dup(r->status);
    m->half_points = r->half_points;
    m->percentiles = r->segment_by && strcmp(r->segment_by, "percentile") == 0;
    for (int i = 0; i < 3; i++)
        m->cuts[i] = r->cuts[i];
    m->origin = sc_dup(r->origin);
    m->updated_at = sc_dup(r->updated_at);
    return m->name && m->level && m->source && m->status && m->origin && m->updated_at
               ? CO_OK
               : CO_ENOMEM;
}

static co_code event_of(void *ctx, const char *event, double weight, int lifespan_days,
                        co_error *err)
{
    return add_event(ctx, event, weight, lifespan_days, err);
}

static co_code load_events(co_state *st, co_model *m, co_error *err)
{
    return Co_state_model_events_each(st, m->id, event_of, m, err);
}

typedef struct {
    co_model *one; /* find: the model, with found */
    bool found;
    co_model **all; /* list: the models, with n */
    size_t *n;
} models_read;

static co_code model_of(void *ctx, const co_jmodel *r, co_error *err)
{
    models_read *mr = ctx;
    if (mr->one) {
        mr->found = true;
        return read_model(r, mr->one) == CO_OK ? CO_OK
                                               : co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_model *grown = realloc(*mr->all, (*mr->n + 1) * sizeof *grown);
    if (!grown)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    *mr->all = grown;
    if (read_model(r, &grown[(*mr->n)++]) != CO_OK)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

co_code co_model_find(co_state *st, const char *ref, co_model *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    char *end = NULL;
    long long id = strtoll(ref, &end, 10);
    bool by_id = *ref && end && !*end;
    models_read mr = {out, false, NULL, NULL};
    co_code rc = by_id && id ? Co_state_models_each(st, id, NULL, model_of, &mr, err)
                 : by_id     ? CO_OK
                             : Co_state_models_each(st, 0, ref, model_of, &mr, err);
    if (rc == CO_OK && !mr.found)
        rc = co_error_set(err, CO_ENOTFOUND, "no model \"%s\" (cutover model list)", ref);
    if (rc == CO_OK)
        rc = load_events(st, out, err);
    if (rc != CO_OK)
        co_model_release(out);
    return rc;
}

co_code co_model_list(co_state *st, co_model **out, size_t *n, co_error *err)
{
    *out = NULL;
    *n = 0;
    models_read mr = {NULL, false, out, n};
    co_code rc = Co_state_models_each(st, 0, NULL, model_of, &mr, err);
    for (size_t i = 0; rc == CO_OK && i < *n; i++)
        rc = load_events(st, &(*out)[i], err);
    return rc;
}

co_code co_model_set_status(co_state *st, int64_t id, const char *status, co_error *err)
{
    char now[32];
    sc_now(now, sizeof now);
    return Co_state_model_set_status(st, id, status, now, err);
}

co_code co_model_duplicate(co_state *st, const co_model *m, const char *source,
                           const char *new_name, int64_t *id, size_t *dropped, co_error *err)
{
    co_mapping map;
    co_code rc = co_mapping_find(st, source, &map, err);
    if (rc != CO_OK)
        return rc;
    co_model d;
    memset(&d, 0, sizeof d);
    char origin[160];
    snprintf(origin, sizeof origin, "duplicate of model %.60s (%lld) for source %.60s", m->name,
             (long long)m->id, source);
    d.name = sc_dup(new_name);
    d.level = sc_dup(m->level);
    d.source = sc_dup(source);
    d.origin = sc_dup(origin);
    d.half_points = m->half_points;
    d.percentiles = m->percentiles;
    memcpy(d.cuts, m->cuts, sizeof d.cuts);
    if (!d.name || !d.level || !d.source || !d.origin)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    *dropped = 0;
    for (size_t i = 0; rc == CO_OK && i < m->nevents; i++) {
        bool mapped = false;
        for (size_t r = 0; r < map.nrules && !mapped; r++)
            mapped = map.rules[r].kind != CO_EV_EXCLUDED &&
                     strcmp(map.rules[r].canonical, m->events[i].event) == 0;
        if (!mapped) {
            (*dropped)++;
            continue;
        }
        rc = add_event(&d, m->events[i].event, m->events[i].weight, m->events[i].lifespan_days,
                       err);
    }
    if (rc == CO_OK && !d.nevents)
        rc = co_error_set(err, CO_ENOTFOUND,
                          "the mapping of source %s produces none of model %s's events", source,
                          m->name);
    if (rc == CO_OK)
        rc = co_model_save(st, &d, "draft", id, err);
    co_model_release(&d);
    co_mapping_release(&map);
    return rc;
}
