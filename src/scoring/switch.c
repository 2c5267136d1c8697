/*
 * switch.c: the scoring batch's flag and the source switch, journaled step
 * by step in scoring_switches and scoring_switch_steps:
 *
 *   stop the batch (its time recorded) -> new mapping on, old off -> load
 *   the draft's data -> check that every expected canonical event arrived
 *   -> compare -> similar: [gate] publish the draft, archive the old model
 *   and mapping; otherwise the old mapping back on, the new off -> restart
 *   the batch.
 *
 * Whatever fails between the first and the last step, the mappings are put
 * back as they were and the batch is restarted before the error returns.
 */
#include "state/journal.h"
#include "scoring/scoring_int.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

co_code co_batch_get(co_state *st, bool *running, char *since, size_t cap, co_error *err)
{
    bool found = false;
    *running = true;
    if (since && cap)
        since[0] = '\0';
    return Co_state_batch_get(st, running, since, cap, &found, err);
}

co_code co_batch_set(co_state *st, bool running, const char *note, co_error *err)
{
    char now[32];
    sc_now(now, sizeof now);
    return Co_state_batch_set(st, running, now, note ? note : "", err);
}

typedef struct journal {
    co_state *st;
    int64_t id;
    int seq;
} journal;

static co_code step(journal *j, const char *name, const char *status, const char *detail,
                    co_error *err)
{
    return sc_step(j->st, j->id, ++j->seq, name, status, detail, err);
}

static co_code end_switch(co_state *st, int64_t id, const char *outcome, const char *comparison,
                          co_error *err)
{
    char now[32];
    sc_now(now, sizeof now);
    return Co_state_switch_end(st, id, outcome, comparison ? comparison : "", now, err);
}

/* The expected canonical events that did not arrive: the draft's events the
 * old model also weighs, with no record in the draft's window. */
static void missing_events(const co_model *old_m, const co_model *draft, const co_scores *s,
                           char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < draft->nevents; i++) {
        bool expected = false;
        for (size_t k = 0; k < old_m->nevents && !expected; k++)
            expected = strcmp(old_m->events[k].event, draft->events[i].event) == 0;
        if (!expected || s->per_event[i] > 0 || len >= cap)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "",
                                draft->events[i].event);
    }
}

co_code co_switch_run(const co_project *p, co_state *st, const co_switch_options *o,
                      co_switch_result *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    co_model old_m, draft;
    co_mapping old_map, new_map;
    memset(&draft, 0, sizeof draft);
    memset(&old_map, 0, sizeof old_map);
    memset(&new_map, 0, sizeof new_map);
    co_code rc = co_model_find(st, o->old_model, &old_m, err);
    if (rc != CO_OK)
        return rc;
    if (rc == CO_OK)
        rc = co_model_find(st, o->draft_model, &draft, err);
    if (rc == CO_OK && strcmp(old_m.status, "published") != 0)
        rc = co_error_set(err, CO_ENOTREADY, "model %s is %s, not published", old_m.name,
                          old_m.status);
    if (rc == CO_OK && strcmp(draft.status, "draft") != 0)
        rc = co_error_set(err, CO_ENOTREADY, "model %s is %s, not a draft", draft.name,
                          draft.status);
    if (rc == CO_OK && strcmp(old_m.source, draft.source) == 0)
        rc = co_error_set(err, CO_EUSAGE, "models %s and %s read the same source %s",
                          old_m.name, draft.name, old_m.source);
    if (rc == CO_OK)
        rc = co_mapping_find(st, old_m.source, &old_map, err);
    if (rc == CO_OK)
        rc = co_mapping_find(st, draft.source, &new_map, err);
    bool running = true;
    if (rc == CO_OK)
        rc = co_batch_get(st, &running, NULL, 0, err);
    if (rc == CO_OK && !running)
        rc = co_error_set(err, CO_EBUSY,
                          "the scoring batch is stopped already: another switch is running, or "
                          "was interrupted (cutover events recover)");
    char as_of[32], now[32];
    Co_clock_iso(o->as_of, as_of, sizeof as_of);
    sc_now(now, sizeof now);
    journal j = {st, 0, 0};
    if (rc == CO_OK) {
        co_jswitch w = {.old_model = old_m.id, .draft_model = draft.id,
                        .old_mapping = old_map.id, .new_mapping = new_map.id};
        rc = Co_state_switch_add(st, &w, as_of, now, &j.id, err);
        out->id = j.id;
    }
    if (rc != CO_OK)
        goto done;

    /* 1. Stop the batch and record the exact time: the rollback point. */
    rc = co_batch_set(st, false, "source switch", err);
    if (rc == CO_OK) {
        sc_now(out->batch_stopped_at, sizeof out->batch_stopped_at);
        rc = Co_state_switch_mark(st, j.id, CO_SWITCH_BATCH_STOPPED, out->batch_stopped_at,
                                  err);
    }
    if (rc == CO_OK)
        rc = step(&j, "stop batch", "done", out->batch_stopped_at, err);
    if (rc != CO_OK)
        goto done;

    /* 2. The new mapping on, the old one off. */
    rc = co_mapping_set_status(st, new_map.id, "on", err);
    if (rc == CO_OK)
        rc = co_mapping_set_status(st, old_map.id, "off", err);
    if (rc == CO_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "mapping %lld on, mapping %lld off",
                 (long long)new_map.id, (long long)old_map.id);
        rc = step(&j, "switch mappings", "done", detail, err);
    }

    /* 3. Load the draft model's data, 4. check that every expected event arrived. */
    co_scores loaded;
    memset(&loaded, 0, sizeof loaded);
    if (rc == CO_OK)
        rc = co_score_model(p, st, &draft, o->as_of, &loaded, err);
    if (rc == CO_OK) {
        /* The draft's score distribution as loaded: monitoring compares later
         * days against it (co_model_publish_bands). */
        double bands[CO_SCORE_BANDS];
        co_score_bands(loaded.score, loaded.n, bands);
        co_buf b = CO_BUF_INIT;
        for (int k = 0; k < CO_SCORE_BANDS; k++)
            Co_buf_printf(&b, "%s%.6f", k ? "," : "[", bands[k]);
        Co_buf_adds(&b, "]");
        rc = Co_state_switch_mark(st, j.id, CO_SWITCH_DRAFT_BANDS, co_buf_str(&b), err);
        Co_buf_release(&b);
    }
    if (rc == CO_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "%lld events read, %zu scored",
                 (long long)loaded.events_read, loaded.n);
        rc = step(&j, "load draft", "done", detail, err);
        missing_events(&old_m, &draft, &loaded, out->missing, sizeof out->missing);
    }
    co_scores_release(&loaded);
    bool arrived = out->missing[0] == '\0';
    if (rc == CO_OK)
        rc = step(&j, "check events", arrived ? "done" : "failed",
                  arrived ? "every expected event arrived" : out->missing, err);

    /* 5. Compare. */
    if (rc == CO_OK && arrived) {
        co_compare_limits limits = co_compare_limits_of(p);
        rc = co_model_compare(p, st, &old_m, &draft, o->as_of, o->labels_table, &limits,
                              &out->cmp, err);
        out->compared = rc == CO_OK;
        if (rc == CO_OK)
            rc = step(&j, "compare", out->cmp.similar ? "similar" : "not similar",
                      out->cmp.similar ? "" : out->cmp.reasons, err);
    }

    /* 6. Publish, or put the old mapping back. The gate is where approvals
     * plug in: it sees the comparison and may keep the old model. */
    bool publish = rc == CO_OK && arrived && out->compared && out->cmp.similar;
    if (publish && o->gate) {
        co_error gate_err;
        co_error_clear(&gate_err);
        co_code g = o->gate(o->gate_ctx, j.id, &out->cmp, &gate_err);
        publish = g == CO_OK;
        if (!publish && rc == CO_OK)
            rc = step(&j, "approval", "refused", gate_err.message, err);
    }
    if (publish) {
        rc = co_model_set_status(st, draft.id, "published", err);
        if (rc == CO_OK)
            rc = co_model_set_status(st, old_m.id, "archived", err);
        /* The old mapping is archived unless another published model still
         * reads its source: then it stays off, and that model keeps scoring. */
        int64_t users = 0;
        if (rc == CO_OK)
            rc = Co_state_models_published_other(st, old_m.source, old_m.id, &users, err);
        if (rc == CO_OK && users == 0)
            rc = co_mapping_set_status(st, old_map.id, "archived", err);
        out->old_mapping_archived = rc == CO_OK && users == 0;
        if (rc == CO_OK)
            rc = step(&j, "publish", "done",
                      users ? "draft published; the old mapping stays off (other published "
                              "models read its source)"
                            : "draft published; old model and mapping archived",
                      err);
        out->published = rc == CO_OK;
    }
done:
    if (j.id && !out->published) {
        /* Not similar, missing events, or an error: the old mapping back on. */
        co_error e2;
        co_error_clear(&e2);
        co_code r2 = co_mapping_set_status(st, old_map.id, "on", &e2);
        if (r2 == CO_OK)
            r2 = co_mapping_set_status(st, new_map.id, "off", &e2);
        if (r2 == CO_OK)
            r2 = step(&j, "restore mappings", "done", "old mapping on, new mapping off", &e2);
        if (rc == CO_OK && r2 != CO_OK) {
            *err = e2;
            rc = r2;
        }
    }
    if (j.id) {
        /* 7. Restart the batch, whatever happened. */
        co_error e2;
        co_error_clear(&e2);
        co_code r2 = co_batch_set(st, true, out->published ? "switch published" : "switch kept old",
                                  &e2);
        if (r2 == CO_OK)
            r2 = step(&j, "restart batch", "done", "", &e2);
        co_buf cmp = CO_BUF_INIT;
        if (out->compared)
            co_model_comparison_json(&out->cmp, &cmp);
        if (r2 == CO_OK)
            r2 = end_switch(st, j.id,
                            rc != CO_OK ? "failed" : out->published ? "published" : "kept old",
                            co_buf_str(&cmp), &e2);
        Co_buf_release(&cmp);
        if (rc == CO_OK && r2 != CO_OK) {
            *err = e2;
            rc = r2;
        }
    }
    co_mapping_release(&old_map);
    co_mapping_release(&new_map);
    co_model_release(&old_m);
    co_model_release(&draft);
    return rc;
}

/* Puts a switch's old side back: the old mapping on and the new off, the old
 * model published again and the draft set to draft_status. */
static co_code restore_old(co_state *st, const co_jswitch *w, const char *draft_status,
                           co_error *err)
{
    co_code rc = co_mapping_set_status(st, w->old_mapping, "on", err);
    if (rc == CO_OK)
        rc = co_mapping_set_status(st, w->new_mapping, "off", err);
    if (rc == CO_OK)
        rc = co_model_set_status(st, w->old_model, "published", err);
    if (rc == CO_OK)
        rc = co_model_set_status(st, w->draft_model, draft_status, err);
    return rc;
}

co_code co_switch_revert(const co_project *p, co_state *st, int64_t *switch_id, co_error *err)
{
    co_jswitch w;
    bool row = false;
    co_code rc = Co_state_switch_find(st, false, &w, &row, err);
    int64_t id = w.id;
    const char *ended = w.ended_at;
    if (rc != CO_OK)
        return rc;
    if (!row)
        return co_error_set(err, CO_ENOTFOUND, "no published source switch to revert");
    *switch_id = id;
    time_t published = Co_clock_parse(ended);
    time_t until = published + (time_t)p->retention_days * 86400;
    if (published == -1 || Co_clock_now() > until) {
        char when[32];
        Co_clock_iso(until, when, sizeof when);
        return co_error_set(err, CO_ENOTREADY,
                            "switch %lld was published at %s: its revert window of %d days "
                            "closed at %s",
                            (long long)id, ended, p->retention_days, when);
    }
    rc = co_state_begin(st, err);
    if (rc != CO_OK)
        return rc;
    journal j = {st, id, 0};
    int64_t last = 0;
    rc = Co_state_switch_progress(st, id, &last, NULL, err);
    j.seq = (int)last;
    if (rc == CO_OK)
        rc = restore_old(st, &w, "archived", err);
    char now[32];
    sc_now(now, sizeof now);
    if (rc == CO_OK)
        rc = Co_state_switch_mark(st, id, CO_SWITCH_REVERTED, now, err);
    if (rc == CO_OK)
        rc = step(&j, "revert", "done", "old mapping and model restored", err);
    if (rc == CO_OK)
        return co_state_commit(st, err);
    co_state_rollback(st);
    return rc;
}

co_code co_switch_recover(co_state *st, int64_t *switch_id, bool *published, co_error *err)
{
    co_jswitch w;
    bool row = false;
    co_code rc = Co_state_switch_find(st, true, &w, &row, err);
    int64_t id = w.id;
    if (rc != CO_OK)
        return rc;
    if (!row)
        return co_error_set(err, CO_ENOTFOUND, "no unfinished source switch to recover");
    *switch_id = id;
    /* The publish step is journaled after its statuses are set: when it is
     * there, the switch had published; otherwise it is undone. */
    int64_t last = 0;
    rc = Co_state_switch_progress(st, id, &last, published, err);
    if (rc != CO_OK)
        return rc;
    rc = co_state_begin(st, err);
    if (rc != CO_OK)
        return rc;
    journal j = {st, id, (int)last};
    if (!*published) {
        rc = restore_old(st, &w, "draft", err);
        if (rc == CO_OK)
            rc = step(&j, "restore mappings", "done", "recovered: old mapping on, new off", err);
    }
    if (rc == CO_OK)
        rc = co_batch_set(st, true, "switch recovered", err);
    if (rc == CO_OK)
        rc = step(&j, "restart batch", "done", "recovered", err);
    if (rc == CO_OK)
        rc = end_switch(st, id, *published ? "published" : "kept old", NULL, err);
    if (rc == CO_OK)
        return co_state_commit(st, err);
    co_state_rollback(st);
    return rc;
}

co_code co_model_publish_bands(co_state *st, const char *model, double bands[CO_SCORE_BANDS],
                               co_error *err)
{
    char text[1024];
    bool row = false;
    co_code rc = Co_state_switch_draft_bands(st, model, text, sizeof text, &row, err);
    int k = 0;
    for (const char *p = row ? text + 1 : NULL; rc == CO_OK && p && k < CO_SCORE_BANDS; k++) {
        char *end;
        bands[k] = strtod(p, &end);
        if (end == p)
            break;
        p = *end == ',' ? end + 1 : NULL;
    }
    if (rc == CO_OK && (!row || k != CO_SCORE_BANDS))
        rc = co_error_set(err, CO_ENOTFOUND, "no switch published model %s", model);
    return rc;
}
