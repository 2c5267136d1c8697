/*
 * drift.c: after a behavioural model is published, its scores should stay
 * distributed as they were when the switch published it. A monitor probe per
 * published model (monitor.h, co_monitor_probe): the PSI of everyone's
 * scores as of the end of each monitored day against the band shares the
 * publishing switch recorded, flagged from the project's events.similar.psi.
 * Models score people of every tenant at once, so one day's PSI is computed
 * once and shown for every tenant monitored that day.
 */
#include "cutover/scoring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct co_drift_probe {
    const co_project *p;
    co_state *st;
    co_model model;
    double published[CO_SCORE_BANDS];
    char name[96];     /* "psi:MODEL" */
    char day[11];      /* the day psi was computed for, "" before */
    double psi;
};

/* The end of day "YYYY-MM-DD" (UTC): the next midnight. */
static bool day_end(const char *day, time_t *out)
{
    struct tm tm = {0};
    if (sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_mday += 1;
    *out = timegm(&tm);
    return *out != (time_t)-1;
}

static co_code drift_fn(void *ctx, co_session *s, const co_tenant *t, const char *day,
                        double *value, double *threshold, bool *flagged, co_error *err)
{
    (void)s;
    (void)t;
    co_drift_probe *d = ctx;
    *threshold = d->p->similar_psi;
    if (strcmp(d->day, day) != 0) {
        time_t as_of;
        if (!day_end(day, &as_of))
            return co_error_set(err, CO_EINTERNAL, "monitor: \"%s\" is not a day", day);
        co_scores sc = {0};
        co_code rc = co_score_model(d->p, d->st, &d->model, as_of, &sc, err);
        if (rc != CO_OK) {
            co_error_where(err, "the PSI of model %s on %s", d->model.name, day);
            return rc;
        }
        double bands[CO_SCORE_BANDS];
        co_score_bands(sc.score, sc.n, bands);
        co_scores_release(&sc);
        d->psi = co_metric_psi_bands(d->published, bands);
        snprintf(d->day, sizeof d->day, "%s", day);
    }
    *value = d->psi;
    *flagged = d->psi >= *threshold;
    return CO_OK;
}

co_code co_drift_probes(const co_project *p, co_state *st, co_monitor_probe **probes,
                        co_drift_probe ***ctxs, size_t *n, co_error *err)
{
    *probes = NULL;
    *ctxs = NULL;
    *n = 0;
    co_model *models = NULL;
    size_t nmodels = 0;
    co_code rc = co_model_list(st, &models, &nmodels, err);
    for (size_t i = 0; rc == CO_OK && i < nmodels; i++) {
        if (strcmp(models[i].status, "published") != 0)
            continue;
        double bands[CO_SCORE_BANDS];
        co_error none;
        co_error_clear(&none);
        if (co_model_publish_bands(st, models[i].name, bands, &none) != CO_OK)
            continue; /* published by import, not by a switch: nothing to compare with */
        co_drift_probe *d = calloc(1, sizeof *d);
        co_monitor_probe *grown_p = realloc(*probes, (*n + 1) * sizeof *grown_p);
        if (grown_p)
            *probes = grown_p;
        co_drift_probe **grown_c = grown_p ? realloc(*ctxs, (*n + 1) * sizeof *grown_c) : NULL;
        if (grown_c)
            *ctxs = grown_c;
        if (!d || !grown_p || !grown_c) {
            free(d);
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        d->p = p;
        d->st = st;
        rc = co_model_find(st, models[i].name, &d->model, err);
        if (rc != CO_OK) {
            free(d);
            break;
        }
        memcpy(d->published, bands, sizeof bands);
        snprintf(d->name, sizeof d->name, "psi:%s", d->model.name);
        (*probes)[*n] = (co_monitor_probe){d->name, drift_fn, d};
        (*ctxs)[(*n)++] = d;
    }
    for (size_t i = 0; i < nmodels; i++)
        co_model_release(&models[i]);
    free(models);
    if (rc != CO_OK) {
        co_drift_probes_free(*probes, *ctxs, *n);
        *probes = NULL;
        *ctxs = NULL;
        *n = 0;
    }
    return rc;
}

void co_drift_probes_free(co_monitor_probe *probes, co_drift_probe **ctxs, size_t n)
{
    for (size_t i = 0; ctxs && i < n; i++) {
        co_model_release(&ctxs[i]->model);
        free(ctxs[i]);
    }
    free(ctxs);
    free(probes);
}
