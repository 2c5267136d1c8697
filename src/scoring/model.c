/*
 * model.c: behavioural models in the journal (scoring_models and
 * scoring_model_events): per canonical event a weight and a lifespan, the
 * normalization and the segment cuts; drafts, published and archived.
 */
#include "state/journal.h"
#include "scoring/scoring_int.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>

void co_model_release(co_model *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->level);
    free(m->source);
    free(m->status);
    free(m->origin);
    free(m->updated_at);
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
    int64_t ignored = 0;
    co_param nm[] = {{NULL, sc_text(m->name)}};
    rc = Co_state_read_int(st, &co_q_model_by_name, nm, 1, &ignored,
                            &taken, err);
    if (rc == CO_OK && taken)
        rc = co_error_set(err, CO_EUSAGE, "a model named \"%s\" exists already", m->name);
    char now[32];
    sc_now(now, sizeof now);
    if (rc == CO_OK) {
        co_param ps[] = {{NULL, sc_text(m->name)},
                         {NULL, sc_text(m->level)},
                         {NULL, sc_text(m->source)},
                         {NULL, sc_text(status)},
                         {NULL, co_real(m->half_points)},
                         {NULL, sc_text(m->percentiles ? "percentile" : "score")},
                         {NULL, co_real(m->cuts[0])},
                         {NULL, co_real(m->cuts[1])},
                         {NULL, co_real(m->cuts[2])},
                         {NULL, sc_text(m->origin ? m->origin : "")},
                         {NULL, sc_text(now)},
                         {NULL, sc_text(now)}};
        rc = Co_state_read_int(st, &co_q_model_add,
                                ps, 12, id, NULL, err);
    }
    for (size_t i = 0; rc == CO_OK && i < m->nevents; i++) {
        co_param ps[] = {{NULL, co_int(*id)},
                         {NULL, sc_text(m->events[i].event)},
                         {NULL, co_real(m->events[i].weight)},
                         {NULL, co_int(m->events[i].lifespan_days)}};
        rc = Co_state_write(st, &co_q_model_event_add,
                                  ps, 4, NULL, err);
    }
    if (rc == CO_OK)
        return co_state_commit(st, err);
    co_state_rollback(st);
    return rc;
}

static double real_of(co_value v) { return v.type == CO_INT ? (double)v.i : v.r; }

static co_code read_model(co_cursor *c, co_model *m)
{
    memset(m, 0, sizeof *m);
    m->id = co_cursor_value(c, 0).i;
    m->name = sc_dup(co_cursor_value(c, 1).s);
    m->level = sc_dup(co_cursor_value(c, 2).s);
    m->source = sc_dup(co_cursor_value(c, 3).s);
    m->status = sc_dup(co_cursor_value(c, 4).s);
    m->half_points = real_of(co_cursor_value(c, 5));
    const char *by = co_cursor_value(c, 6).s;
    m->percentiles = by && strcmp(by, "percentile") == 0;
    for (int i = 0; i < 3; i++)
        m->cuts[i] = real_of(co_cursor_value(c, 7 + (size_t)i));
    m->origin = sc_dup(co_cursor_value(c, 10).s);
    m->updated_at = sc_dup(co_cursor_value(c, 11).s);
    return m->name && m->level && m->source && m->status && m->origin && m->updated_at
               ? CO_OK
               : CO_ENOMEM;
}

static co_code load_events(co_state *st, co_model *m, co_error *err)
{
    co_param ps[] = {{NULL, co_int(m->id)}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_model_events_of,
                                ps, 1, &c, err);
    bool row = false;
    while (rc == CO_OK && (rc = co_cursor_next(c, &row, err)) == CO_OK && row)
        rc = add_event(m, co_cursor_value(c, 0).s, real_of(co_cursor_value(c, 1)),
                       (int)co_cursor_value(c, 2).i, err);
    co_cursor_close(c);
    return rc;
}

co_code co_model_find(co_state *st, const char *ref, co_model *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    char *end = NULL;
    long long id = strtoll(ref, &end, 10);
    bool by_id = *ref && end && !*end;
    co_param ps[] = {{NULL, by_id ? co_int(id) : sc_text(ref)}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, by_id ? &co_q_model_by_id : &co_q_model_named, ps, 1, &c,
                               err);
    bool row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &row, err);
    if (rc == CO_OK && !row)
        rc = co_error_set(err, CO_ENOTFOUND, "no model \"%s\" (cutover model list)", ref);
    if (rc == CO_OK && read_model(c, out) != CO_OK)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    co_cursor_close(c);
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
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_models_all, NULL, 0, &c, err);
    bool row = false;
    while (rc == CO_OK && (rc = co_cursor_next(c, &row, err)) == CO_OK && row) {
        if (!CO_RESIZE(*out, *n + 1)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        if (read_model(c, &(*out)[(*n)++]) != CO_OK)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    for (size_t i = 0; rc == CO_OK && i < *n; i++)
        rc = load_events(st, &(*out)[i], err);
    return rc;
}

co_code co_model_set_status(co_state *st, int64_t id, const char *status, co_error *err)
{
    char now[32];
    sc_now(now, sizeof now);
    co_param ps[] = {{NULL, sc_text(status)}, {NULL, sc_text(now)}, {NULL, co_int(id)}};
    return Co_state_write(st, &co_q_model_set_status,
                                ps, 3, NULL, err);
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
