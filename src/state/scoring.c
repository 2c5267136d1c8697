/*
 * scoring.c: the journal's behavioural scoring tables: event mappings and
 * their rules, models and their events, the batch flag, switches and their
 * steps (state/journal.h, docs/scoring.md).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

static const co_jq co_q_batch_add = {
    "INSERT INTO scoring_batch (id, running, changed_at, note) VALUES (1, ?, ?, ?)"};

static const co_jq co_q_batch_count = {
    "SELECT count(*) FROM scoring_batch"};

static const co_jq co_q_batch_get = {
    "SELECT running, changed_at FROM scoring_batch WHERE id = 1"};

static const co_jq co_q_batch_set = {
    "UPDATE scoring_batch SET running = ?, changed_at = ?, note = ? WHERE id = 1"};

static const co_jq co_q_mapping_add = {
    "INSERT INTO event_mappings (source, version, status, origin, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"};

static const co_jq co_q_mapping_last_version = {
    "SELECT COALESCE(MAX(version), 0) FROM event_mappings WHERE source = ?"};

static const co_jq co_q_mapping_others_off = {
    "UPDATE event_mappings SET status = 'off', updated_at = ? WHERE source = ? AND status"
    " = 'on' AND id <> ?"};

static const co_jq co_q_mapping_rule_add = {
    "INSERT INTO event_mapping_rules (mapping_id, raw_event, canonical, kind) VALUES (?,"
    " ?, ?, ?)"};

static const co_jq co_q_mapping_rules_of = {
    "SELECT raw_event, canonical, kind FROM event_mapping_rules WHERE mapping_id = ?"
    " ORDER BY raw_event"};

static const co_jq co_q_mapping_set_status = {
    "UPDATE event_mappings SET status = ?, updated_at = ? WHERE id = ?"};

static const co_jq co_q_model_add = {
    "INSERT INTO scoring_models (name, level, source, status, half_points, segment_by,"
    " cut_very_high, cut_high, cut_medium, origin, created_at, updated_at) VALUES (?, ?,"
    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"};

static const co_jq co_q_model_by_name = {
    "SELECT id FROM scoring_models WHERE name = ?"};

static const co_jq co_q_model_event_add = {
    "INSERT INTO scoring_model_events (model_id, event, weight, lifespan_days) VALUES (?,"
    " ?, ?, ?)"};

static const co_jq co_q_model_events_of = {
    "SELECT event, weight, lifespan_days FROM scoring_model_events WHERE model_id = ?"
    " ORDER BY event"};

static const co_jq co_q_model_set_status = {
    "UPDATE scoring_models SET status = ?, updated_at = ? WHERE id = ?"};

static const co_jq co_q_models_published_other = {
    "SELECT count(*) FROM scoring_models WHERE source = ? AND status = 'published' AND id"
    " <> ?"};

static const co_jq co_q_switch_add = {
    "INSERT INTO scoring_switches (old_model, draft_model, old_mapping, new_mapping,"
    " as_of, started_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"};

static const co_jq co_q_switch_batch_stopped = {
    "UPDATE scoring_switches SET batch_stopped_at = ? WHERE id = ?"};

static const co_jq co_q_switch_draft_bands = {
    "SELECT w.draft_bands FROM scoring_switches w JOIN scoring_models m ON m.id ="
    " w.draft_model WHERE m.name = ? AND w.outcome = 'published' ORDER BY w.id DESC LIMIT"
    " 1"};

static const co_jq co_q_switch_end = {
    "UPDATE scoring_switches SET outcome = ?, comparison = ?, ended_at = ? WHERE id = ?"};

static const co_jq co_q_switch_last_published = {
    "SELECT id, old_model, draft_model, old_mapping, new_mapping, ended_at FROM"
    " scoring_switches WHERE outcome = 'published' AND reverted_at IS NULL ORDER BY id"
    " DESC LIMIT 1"};

static const co_jq co_q_switch_last_seq = {
    "SELECT COALESCE(MAX(seq), 0) FROM scoring_switch_steps WHERE switch_id = ?"};

static const co_jq co_q_switch_published = {
    "SELECT count(*) FROM scoring_switch_steps WHERE switch_id = ? AND step = 'publish'"
    " AND status = 'done'"};

static const co_jq co_q_switch_reverted = {
    "UPDATE scoring_switches SET reverted_at = ? WHERE id = ?"};

static const co_jq co_q_switch_set_bands = {
    "UPDATE scoring_switches SET draft_bands = ? WHERE id = ?"};

static const co_jq co_q_switch_step_add = {
    "INSERT INTO scoring_switch_steps (switch_id, seq, step, status, detail, at) VALUES"
    " (?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_switch_unfinished = {
    "SELECT id, old_model, draft_model, old_mapping, new_mapping FROM scoring_switches"
    " WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"};

#define MAPPING_COLS "SELECT id, source, version, status, origin, updated_at FROM event_mappings "
static const co_jq co_q_mapping_by_id = {MAPPING_COLS "WHERE id = ?"};
static const co_jq co_q_mapping_of_source = {
    MAPPING_COLS "WHERE source = ? AND status <> 'archived'"
    " ORDER BY CASE status WHEN 'on' THEN 0 ELSE 1 END, version DESC LIMIT 1"};
static const co_jq co_q_mappings_all = {MAPPING_COLS "ORDER BY id DESC"};

#define MODEL_COLS                                                                               \
    "SELECT id, name, level, source, status, half_points, segment_by, cut_very_high, cut_high," \
    " cut_medium, origin, updated_at FROM scoring_models "
static const co_jq co_q_model_by_id = {MODEL_COLS "WHERE id = ?"};
static const co_jq co_q_model_named = {MODEL_COLS "WHERE name = ?"};
static const co_jq co_q_models_all = {MODEL_COLS "ORDER BY id"};

/* ---- the scoring batch ---- */

co_code Co_state_batch_get(co_state *st, bool *running, char *since, size_t cap, bool *found,
                           co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_batch_get, NULL, 0, &c, err);
    *found = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    if (rc == CO_OK && *found) {
        *running = co_cursor_value(c, 0).i != 0;
        const char *at = Co_jstr(co_cursor_value(c, 1));
        if (since && cap && at)
            snprintf(since, cap, "%s", at);
    }
    co_cursor_close(c);
    return rc;
}

co_code Co_state_batch_set(co_state *st, bool running, const char *at, const char *note,
                           co_error *err)
{
    co_param ps[] = {{NULL, co_int(running)}, {NULL, Co_jtext(at)}, {NULL, Co_jtext(note)}};
    co_code rc = Co_state_write(st, &co_q_batch_set, ps, 3, NULL, err);
    int64_t n = 0;
    if (rc == CO_OK)
        rc = Co_state_read_int(st, &co_q_batch_count, NULL, 0, &n, NULL, err);
    if (rc == CO_OK && n == 0)
        rc = Co_state_write(st, &co_q_batch_add, ps, 3, NULL, err);
    return rc;
}

/* ---- event mappings and their rules ---- */

co_code Co_state_mapping_add(co_state *st, const co_jmapping *m, int64_t *id, co_error *err)
{
    int64_t version = 0;
    co_param src = {NULL, Co_jtext(m->source)};
    co_code rc = Co_state_read_int(st, &co_q_mapping_last_version, &src, 1, &version, NULL, err);
    co_param ps[] = {{NULL, Co_jtext(m->source)},     {NULL, co_int(version + 1)},
                     {NULL, Co_jtext(m->status)},     {NULL, Co_jtext(m->origin)},
                     {NULL, Co_jtext(m->updated_at)}, {NULL, Co_jtext(m->updated_at)}};
    if (rc == CO_OK)
        rc = Co_state_read_int(st, &co_q_mapping_add, ps, 6, id, NULL, err);
    return rc;
}

co_code Co_state_mapping_rule_add(co_state *st, int64_t mapping_id, const char *raw,
                                  const char *canonical, const char *kind, co_error *err)
{
    co_param ps[] = {{NULL, co_int(mapping_id)}, {NULL, Co_jtext(raw)},
                     {NULL, Co_jtext(canonical)}, {NULL, Co_jtext(kind)}};
    return Co_state_write(st, &co_q_mapping_rule_add, ps, 4, NULL, err);
}

co_code Co_state_mapping_set_status(co_state *st, int64_t id, const char *status, const char *at,
                                    co_error *err)
{
    co_param ps[] = {{NULL, Co_jtext(status)}, {NULL, Co_jtext(at)}, {NULL, co_int(id)}};
    return Co_state_write(st, &co_q_mapping_set_status, ps, 3, NULL, err);
}

co_code Co_state_mapping_others_off(co_state *st, const char *source, int64_t keep,
                                    const char *at, co_error *err)
{
    co_param ps[] = {{NULL, Co_jtext(at)}, {NULL, Co_jtext(source)}, {NULL, co_int(keep)}};
    return Co_state_write(st, &co_q_mapping_others_off, ps, 3, NULL, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const co_jmapping *m, co_error *err);
    void *ctx;
} mapping_each;

static co_code mapping_row(void *ctx, co_cursor *c, co_error *err)
{
    mapping_each *e = ctx;
    co_jmapping m = {.id = co_cursor_value(c, 0).i,
                     .source = Co_jstr(co_cursor_value(c, 1)),
                     .version = co_cursor_value(c, 2).i,
                     .status = Co_jstr(co_cursor_value(c, 3)),
                     .origin = Co_jstr(co_cursor_value(c, 4)),
                     .updated_at = Co_jstr(co_cursor_value(c, 5))};
    return e->fn(e->ctx, &m, err);
}

co_code Co_state_mappings_each(co_state *st, int64_t id, const char *source,
                               co_code (*fn)(void *ctx, const co_jmapping *m, co_error *err),
                               void *ctx, co_error *err)
{
    mapping_each e = {fn, ctx};
    co_param p = {NULL, id ? co_int(id) : Co_jtext(source)};
    if (id)
        return Co_state_each(st, &co_q_mapping_by_id, &p, 1, mapping_row, &e, err);
    if (source)
        return Co_state_each(st, &co_q_mapping_of_source, &p, 1, mapping_row, &e, err);
    return Co_state_each(st, &co_q_mappings_all, NULL, 0, mapping_row, &e, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const char *raw, const char *canonical, const char *kind,
                  co_error *err);
    void *ctx;
} rule_each;

static co_code rule_row(void *ctx, co_cursor *c, co_error *err)
{
    rule_each *e = ctx;
    return e->fn(e->ctx, Co_jstr(co_cursor_value(c, 0)), Co_jstr(co_cursor_value(c, 1)),
                 Co_jstr(co_cursor_value(c, 2)), err);
}

co_code Co_state_mapping_rules_each(co_state *st, int64_t mapping_id,
                                    co_code (*fn)(void *ctx, const char *raw,
                                                  const char *canonical, const char *kind,
                                                  co_error *err),
                                    void *ctx, co_error *err)
{
    rule_each e = {fn, ctx};
    co_param p = {NULL, co_int(mapping_id)};
    return Co_state_each(st, &co_q_mapping_rules_of, &p, 1, rule_row, &e, err);
}

/* ---- models and their events ---- */

co_code Co_state_model_named(co_state *st, const char *name, bool *taken, co_error *err)
{
    int64_t ignored = 0;
    co_param p = {NULL, Co_jtext(name)};
    *taken = false;
    return Co_state_read_int(st, &co_q_model_by_name, &p, 1, &ignored, taken, err);
}

co_code Co_state_model_add(co_state *st, const co_jmodel *m, int64_t *id, co_error *err)
{
    co_param ps[] = {{NULL, Co_jtext(m->name)},        {NULL, Co_jtext(m->level)},
                     {NULL, Co_jtext(m->source)},      {NULL, Co_jtext(m->status)},
                     {NULL, co_real(m->half_points)},  {NULL, Co_jtext(m->segment_by)},
                     {NULL, co_real(m->cuts[0])},      {NULL, co_real(m->cuts[1])},
                     {NULL, co_real(m->cuts[2])},      {NULL, Co_jtext(m->origin)},
                     {NULL, Co_jtext(m->updated_at)},  {NULL, Co_jtext(m->updated_at)}};
    return Co_state_read_int(st, &co_q_model_add, ps, 12, id, NULL, err);
}

co_code Co_state_model_event_add(co_state *st, int64_t model_id, const char *event,
                                 double weight, int lifespan_days, co_error *err)
{
    co_param ps[] = {{NULL, co_int(model_id)}, {NULL, Co_jtext(event)}, {NULL, co_real(weight)},
                     {NULL, co_int(lifespan_days)}};
    return Co_state_write(st, &co_q_model_event_add, ps, 4, NULL, err);
}

co_code Co_state_model_set_status(co_state *st, int64_t id, const char *status, const char *at,
                                  co_error *err)
{
    co_param ps[] = {{NULL, Co_jtext(status)}, {NULL, Co_jtext(at)}, {NULL, co_int(id)}};
    return Co_state_write(st, &co_q_model_set_status, ps, 3, NULL, err);
}

co_code Co_state_models_published_other(co_state *st, const char *source, int64_t id,
                                        int64_t *n, co_error *err)
{
    co_param ps[] = {{NULL, Co_jtext(source)}, {NULL, co_int(id)}};
    *n = 0;
    return Co_state_read_int(st, &co_q_models_published_other, ps, 2, n, NULL, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const co_jmodel *m, co_error *err);
    void *ctx;
} model_each;

static co_code model_row(void *ctx, co_cursor *c, co_error *err)
{
    model_each *e = ctx;
    co_jmodel m = {.id = co_cursor_value(c, 0).i,
                   .name = Co_jstr(co_cursor_value(c, 1)),
                   .level = Co_jstr(co_cursor_value(c, 2)),
                   .source = Co_jstr(co_cursor_value(c, 3)),
                   .status = Co_jstr(co_cursor_value(c, 4)),
                   .half_points = Co_jreal(co_cursor_value(c, 5)),
                   .segment_by = Co_jstr(co_cursor_value(c, 6)),
                   .origin = Co_jstr(co_cursor_value(c, 10)),
                   .updated_at = Co_jstr(co_cursor_value(c, 11))};
    for (int i = 0; i < 3; i++)
        m.cuts[i] = Co_jreal(co_cursor_value(c, 7 + (size_t)i));
    return e->fn(e->ctx, &m, err);
}

co_code Co_state_models_each(co_state *st, int64_t id, const char *name,
                             co_code (*fn)(void *ctx, const co_jmodel *m, co_error *err),
                             void *ctx, co_error *err)
{
    model_each e = {fn, ctx};
    co_param p = {NULL, id ? co_int(id) : Co_jtext(name)};
    if (id)
        return Co_state_each(st, &co_q_model_by_id, &p, 1, model_row, &e, err);
    if (name)
        return Co_state_each(st, &co_q_model_named, &p, 1, model_row, &e, err);
    return Co_state_each(st, &co_q_models_all, NULL, 0, model_row, &e, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const char *event, double weight, int lifespan_days,
                  co_error *err);
    void *ctx;
} event_each;

static co_code event_row(void *ctx, co_cursor *c, co_error *err)
{
    event_each *e = ctx;
    return e->fn(e->ctx, Co_jstr(co_cursor_value(c, 0)), Co_jreal(co_cursor_value(c, 1)),
                 (int)co_cursor_value(c, 2).i, err);
}

co_code Co_state_model_events_each(co_state *st, int64_t model_id,
                                   co_code (*fn)(void *ctx, const char *event, double weight,
                                                 int lifespan_days, co_error *err),
                                   void *ctx, co_error *err)
{
    event_each e = {fn, ctx};
    co_param p = {NULL, co_int(model_id)};
    return Co_state_each(st, &co_q_model_events_of, &p, 1, event_row, &e, err);
}

/* ---- source switches and their steps ---- */

co_code Co_state_switch_add(co_state *st, const co_jswitch *w, const char *as_of,
                            const char *started_at, int64_t *id, co_error *err)
{
    co_param ps[] = {{NULL, co_int(w->old_model)},   {NULL, co_int(w->draft_model)},
                     {NULL, co_int(w->old_mapping)}, {NULL, co_int(w->new_mapping)},
                     {NULL, Co_jtext(as_of)},        {NULL, Co_jtext(started_at)}};
    return Co_state_read_int(st, &co_q_switch_add, ps, 6, id, NULL, err);
}

co_code Co_state_switch_step_add(co_state *st, int64_t switch_id, int seq, const char *step,
                                 const char *status, const char *detail, const char *at,
                                 co_error *err)
{
    co_param ps[] = {{NULL, co_int(switch_id)}, {NULL, co_int(seq)},    {NULL, Co_jtext(step)},
                     {NULL, Co_jtext(status)},  {NULL, Co_jtext(detail)}, {NULL, Co_jtext(at)}};
    return Co_state_write(st, &co_q_switch_step_add, ps, 6, NULL, err);
}

co_code Co_state_switch_mark(co_state *st, int64_t id, co_switch_mark which, const char *value,
                             co_error *err)
{
    static const co_jq *const qs[] = {&co_q_switch_batch_stopped, &co_q_switch_set_bands,
                                      &co_q_switch_reverted};
    co_param ps[] = {{NULL, Co_jtext(value)}, {NULL, co_int(id)}};
    return Co_state_write(st, qs[which], ps, 2, NULL, err);
}

co_code Co_state_switch_end(co_state *st, int64_t id, const char *outcome,
                            const char *comparison, const char *at, co_error *err)
{
    co_param ps[] = {{NULL, Co_jtext(outcome)}, {NULL, Co_jtext(comparison)}, {NULL, Co_jtext(at)},
                     {NULL, co_int(id)}};
    return Co_state_write(st, &co_q_switch_end, ps, 4, NULL, err);
}

co_code Co_state_switch_find(co_state *st, bool unfinished, co_jswitch *out, bool *found,
                             co_error *err)
{
    memset(out, 0, sizeof *out);
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, unfinished ? &co_q_switch_unfinished
                                              : &co_q_switch_last_published,
                               NULL, 0, &c, err);
    *found = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    if (rc == CO_OK && *found) {
        out->id = co_cursor_value(c, 0).i;
        out->old_model = co_cursor_value(c, 1).i;
        out->draft_model = co_cursor_value(c, 2).i;
        out->old_mapping = co_cursor_value(c, 3).i;
        out->new_mapping = co_cursor_value(c, 4).i;
        const char *ended = unfinished ? NULL : Co_jstr(co_cursor_value(c, 5));
        snprintf(out->ended_at, sizeof out->ended_at, "%s", ended ? ended : "");
    }
    co_cursor_close(c);
    return rc;
}

co_code Co_state_switch_progress(co_state *st, int64_t id, int64_t *last_seq, bool *published,
                                 co_error *err)
{
    co_param p = {NULL, co_int(id)};
    int64_t done = 0;
    *last_seq = 0;
    co_code rc = published ? Co_state_read_int(st, &co_q_switch_published, &p, 1, &done, NULL,
                                               err)
                           : CO_OK;
    if (rc == CO_OK)
        rc = Co_state_read_int(st, &co_q_switch_last_seq, &p, 1, last_seq, NULL, err);
    if (published)
        *published = done > 0;
    return rc;
}

co_code Co_state_switch_draft_bands(co_state *st, const char *model, char *bands, size_t cap,
                                    bool *found, co_error *err)
{
    co_param p = {NULL, Co_jtext(model)};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_switch_draft_bands, &p, 1, &c, err);
    *found = false;
    bands[0] = '\0';
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    const char *text = rc == CO_OK && *found ? Co_jstr(co_cursor_value(c, 0)) : NULL;
    if (text)
        snprintf(bands, cap, "%s", text);
    *found = text != NULL;
    co_cursor_close(c);
    return rc;
}
