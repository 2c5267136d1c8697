/*
 * plan.c: cohorts from the audit (plan.h). Risk adds up three explained parts:
 * size (S 0, M 1, L 2, XL 3 points), rows the target would refuse (1 point and
 * the log10 of their number) and duplicate clusters (half a point and half the
 * log10 of their number). The canary takes the lowest-risk, smallest tenants;
 * the waves after it grow by `growth`. Ties break by rows, then tenant key, so
 * the same audit always gives the same plan.
 */
#include "state/journal.h"
#include "cutover/plan.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include "util/text.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdlib.h>
#include <string.h>

void co_plan_release(co_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        CO_FREE(p->entries[i].tenant, p->entries[i].label, p->entries[i].why);
    }
    free(p->entries);
    for (size_t i = 0; i < p->nunaudited; i++) {
        free(p->unaudited[i]);
        free(p->unaudited_why[i]);
    }
    free(p->unaudited);
    free(p->unaudited_why);
    memset(p, 0, sizeof *p);
}

/* Tenant keys in numeric order when both are integers, else by bytes. */
static int compare_keys(const char *a, const char *b)
{
    char *ea, *eb;
    long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);
    if (*a && *b && !*ea && !*eb)
        return x < y ? -1 : x > y;
    return strcmp(a, b);
}

static int by_risk(const void *pa, const void *pb)
{
    const co_plan_entry *a = pa, *b = pb;
    if (fabs(a->risk - b->risk) > 1e-9)
        return a->risk < b->risk ? -1 : 1;
    if (a->rows != b->rows)
        return a->rows < b->rows ? -1 : 1;
    return compare_keys(a->tenant, b->tenant);
}

/* Adds a tenant whose audit is missing or stale to the plan's list. */
static co_code add_unaudited(void *ctx, const char *tenant, const char *why, co_error *err)
{
    co_plan *out = ctx;
    char **t = realloc(out->unaudited, (out->nunaudited + 1) * sizeof *t);
    if (t)
        out->unaudited = t;
    char **w = realloc(out->unaudited_why, (out->nunaudited + 1) * sizeof *w);
    if (w)
        out->unaudited_why = w;
    if (!t || !w)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    char *tk = strdup(tenant ? tenant : ""), *wh = strdup(why ? why : "");
    out->unaudited[out->nunaudited] = tk;
    out->unaudited_why[out->nunaudited] = wh;
    out->nunaudited++;
    return tk && wh ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* The tenants not yet migrated whose audit is missing or of another version
 * of the project file, into out->unaudited. */
static co_code find_unaudited(co_session *s, co_plan *out, co_error *err)
{
    co_code rc = Co_state_unaudited_each(s->state, s->project->hash, add_unaudited, out, err);
    /* Key order, numbers as numbers: a few tenants, so a simple insertion sort. */
    for (size_t i = 1; rc == CO_OK && i < out->nunaudited; i++)
        for (size_t k = i; k > 0 && compare_keys(out->unaudited[k - 1], out->unaudited[k]) > 0; k--) {
            char *t = out->unaudited[k];
            out->unaudited[k] = out->unaudited[k - 1];
            out->unaudited[k - 1] = t;
            t = out->unaudited_why[k];
            out->unaudited_why[k] = out->unaudited_why[k - 1];
            out->unaudited_why[k - 1] = t;
        }
    return rc;
}

static double size_points(const char *cls)
{
    return strcmp(cls, "XL") == 0 ? 3 : strcmp(cls, "L") == 0 ? 2 : strcmp(cls, "M") == 0 ? 1 : 0;
}

/* A zeroed entry at the end of out->entries, which grows (cap entries now),
 * with its tenant and label from the first two columns of c's row (as
 * Co_value_text gives them); NULL when memory for the entry runs out. */
static co_plan_entry *next_entry(co_plan *out, size_t *cap)
{
    if (!CO_GROW(out->entries, *cap, out->n + 1, 64))
        return NULL;
    co_plan_entry *e = &out->entries[out->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static co_code store_plan(co_session *s, co_plan *plan, co_error *err)
{
    co_code rc = co_state_begin(s->state, err);
    co_jplan row = {.canary_percent = plan->canary_percent, .growth = plan->growth};
    snprintf(row.created_at, sizeof row.created_at, "%s", plan->created_at);
    if (rc == CO_OK)
        rc = Co_state_plan_add(s->state, &row, s->project->hash, &plan->id, err);
    for (size_t i = 0; rc == CO_OK && i < plan->n; i++) {
        const co_plan_entry *e = &plan->entries[i];
        co_jplan_tenant t = {.tenant = e->tenant, .why = e->why, .cohort = e->cohort,
                             .risk = e->risk, .rows = e->rows, .est_seconds = e->est_seconds};
        rc = Co_state_plan_tenant_add(s->state, plan->id, (int64_t)i, &t, err);
    }
    if (rc == CO_OK)
        rc = co_state_commit(s->state, err);
    else
        co_state_rollback(s->state);
    return rc;
}

/* A copy of s (NULL stays NULL); *ok false when memory runs out. */
static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *ok = false;
    return d;
}

typedef struct {
    co_plan *out;
    size_t cap;
} plan_fill;

/* A plannable tenant's entry, its risk explained. */
static co_code add_plannable(void *ctx, const co_jtenant_audit *a, co_error *err)
{
    plan_fill *f = ctx;
    co_plan_entry *e = next_entry(f->out, &f->cap);
    if (!e)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    bool ok = true;
    e->tenant = dup_or_null(a->tenant, &ok);
    e->label = dup_or_null(a->label, &ok);
    e->rows = a->rows;
    e->est_seconds = a->est_seconds;
    int64_t refused = a->limit_rows, clusters = a->duplicate_clusters;
    const char *size_class = a->size_class ? a->size_class : "S";
    double size = size_points(size_class);
    double limits = refused > 0 ? 1 + log10((double)refused) : 0;
    double dups = clusters > 0 ? 0.5 + 0.5 * log10((double)clusters) : 0;
    e->risk = size + limits + dups;
    char why[256];
    snprintf(why, sizeof why,
             "size %s (+%.0f); %lld rows the target would refuse (+%.2f); %lld duplicate "
             "clusters (+%.2f)",
             size_class, size, (long long)refused, limits, (long long)clusters, dups);
    e->why = strdup(why);
    return ok && e->tenant && e->why ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* A tenant of the stored plan, as the journal keeps it. */
static co_code add_planned(void *ctx, const co_jplan_tenant *t, co_error *err)
{
    plan_fill *f = ctx;
    co_plan_entry *e = next_entry(f->out, &f->cap);
    if (!e)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    bool ok = true;
    e->tenant = dup_or_null(t->tenant, &ok);
    e->label = dup_or_null(t->label, &ok);
    e->cohort = t->cohort;
    e->risk = t->risk;
    e->why = dup_or_null(t->why, &ok);
    e->rows = t->rows;
    e->est_seconds = t->est_seconds;
    if (e->cohort + 1 > f->out->ncohorts)
        f->out->ncohorts = e->cohort + 1;
    return ok ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

co_code co_plan_make(co_session *s, double canary_percent, double growth, co_plan *out,
                     co_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(canary_percent > 0 && canary_percent <= 100) || !(growth >= 1 && growth <= 100))
        return co_error_set(err, CO_EUSAGE,
                            "the canary share must be above 0 and at most 100%%, the growth from 1 "
                            "to 100");
    out->canary_percent = canary_percent;
    out->growth = growth;
    Co_clock_iso(Co_clock_now(), out->created_at, sizeof out->created_at);
    plan_fill fill = {out, 0};
    co_code rc = find_unaudited(s, out, err);
    if (rc == CO_OK)
        rc = Co_state_plannable_each(s->state, s->project->hash, add_plannable, &fill, err);
    if (rc == CO_OK && out->n == 0)
        rc = co_error_set(err, CO_ENOTFOUND,
                          "no tenant left to plan with an audit of this project file (%zu "
                          "never audited or audited under another version of it): run cutover "
                          "audit first",
                          out->nunaudited);
    if (rc != CO_OK) {
        co_plan_release(out);
        return rc;
    }
    qsort(out->entries, out->n, sizeof *out->entries, by_risk);
    /* The canary, then waves that grow. */
    size_t size = (size_t)ceil((double)out->n * canary_percent / 100.0);
    if (size < 1)
        size = 1;
    size_t i = 0;
    int cohort = 0;
    while (i < out->n) {
        for (size_t k = 0; k < size && i < out->n; k++)
            out->entries[i++].cohort = cohort;
        cohort++;
        size_t next = (size_t)ceil((double)size * growth);
        size = next > size ? next : size + 1;
    }
    out->ncohorts = cohort;
    rc = store_plan(s, out, err);
    if (rc != CO_OK)
        co_plan_release(out);
    return rc;
}

co_code co_plan_latest(co_session *s, co_plan *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    co_jplan plan;
    bool found = false;
    co_code rc = Co_state_plan_latest(s->state, &plan, &found, err);
    if (rc == CO_OK && !found)
        return co_error_set(err, CO_ENOTFOUND, "no plan yet: run cutover plan");
    if (rc != CO_OK)
        return rc;
    out->id = plan.id;
    snprintf(out->created_at, sizeof out->created_at, "%s", plan.created_at);
    out->canary_percent = plan.canary_percent;
    out->growth = plan.growth;
    plan_fill fill = {out, 0};
    rc = Co_state_plan_tenants_each(s->state, out->id, add_planned, &fill, err);
    if (rc != CO_OK)
        co_plan_release(out);
    return rc;
}

char *co_plan_json(const co_plan *p)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_printf(&b, "{\"id\":%lld,\"created_at\":\"%s\",\"canary_percent\":%g,\"growth\":%g,"
                      "\"cohorts\":[",
                  (long long)p->id, p->created_at, p->canary_percent, p->growth);
    for (int cohort = 0; cohort < p->ncohorts; cohort++) {
        int64_t rows = 0;
        double seconds = 0;
        for (size_t i = 0; i < p->n; i++)
            if (p->entries[i].cohort == cohort) {
                rows += p->entries[i].rows;
                seconds += p->entries[i].est_seconds;
            }
        char name[32];
        if (cohort)
            snprintf(name, sizeof name, "wave %d", cohort);
        else
            snprintf(name, sizeof name, "canary");
        Co_buf_printf(&b, "%s{\"cohort\":%d,\"name\":\"%s\",\"rows\":%lld,\"est_seconds\":%.1f,"
                          "\"tenants\":[",
                      cohort ? "," : "", cohort, name, (long long)rows, seconds);
        bool first = true;
        for (size_t i = 0; i < p->n; i++) {
            const co_plan_entry *e = &p->entries[i];
            if (e->cohort != cohort)
                continue;
            Co_buf_adds(&b, first ? "{\"tenant\":" : ",{\"tenant\":");
            first = false;
            Co_json_str(&b, e->tenant);
            Co_json_field(&b, ",\"label\":", e->label);
            Co_buf_printf(&b, ",\"risk\":%.2f,\"rows\":%lld,\"est_seconds\":%.1f,\"why\":", e->risk,
                          (long long)e->rows, e->est_seconds);
            Co_json_str(&b, e->why);
            Co_buf_addc(&b, '}');
        }
        Co_buf_adds(&b, "]}");
    }
    Co_buf_adds(&b, "],\"unaudited\":[");
    for (size_t i = 0; i < p->nunaudited; i++) {
        Co_json_field(&b, i ? ",{\"tenant\":" : "{\"tenant\":", p->unaudited[i]);
        Co_json_field(&b, ",\"why\":", p->unaudited_why[i]);
        Co_buf_addc(&b, '}');
    }
    Co_buf_adds(&b, "]}");
    return Co_buf_take(&b);
}
