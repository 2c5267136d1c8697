/*
 * plan.h: moving customers in small groups, lowest risk first. A plan groups
 * the audited tenants into cohorts: a canary of about canary_percent of them,
 * chosen among the smallest with the fewest findings, then waves that grow
 * by `growth`. Each tenant's risk score is explained. The same audit gives
 * the same plan; plans are kept in the journal. Schedules record the date
 * agreed with each customer, and notices tell them in advance.
 */
#ifndef CUTOVER_PLAN_H
#define CUTOVER_PLAN_H

#include "cutover/migrate.h"

#include <stdint.h>
#include <time.h>

typedef struct co_plan_entry {
    char *tenant;
    char *label;
    int cohort;        /* 0 is the canary, then waves 1, 2, ... */
    double risk;       /* higher is riskier */
    char *why;         /* how the risk adds up, for people */
    int64_t rows;
    double est_seconds;
} co_plan_entry;

typedef struct co_plan {
    int64_t id;
    char created_at[32];
    double canary_percent;
    double growth;
    int ncohorts;
    co_plan_entry *entries; /* by cohort, then risk */
    size_t n;
    /* co_plan_make only: tenants left out of the plan for want of an audit
     * of this project file (never audited, or audited under another version
     * of it), with why, in key order. Migrated tenants are not listed. */
    char **unaudited;
    char **unaudited_why;
    size_t nunaudited;
} co_plan;

/* Makes a plan from the audits of this project file in the journal
 * (CO_ENOTFOUND when there are none: run cutover audit first) and stores it;
 * out->unaudited lists the tenants it leaves out for want of one. */
CO_API co_code co_plan_make(co_session *s, double canary_percent, double growth, co_plan *out,
                            co_error *err);
/* The latest stored plan (CO_ENOTFOUND when none). */
CO_API co_code co_plan_latest(co_session *s, co_plan *out, co_error *err);
CO_API void co_plan_release(co_plan *p);
/* The plan as JSON (heap), or NULL when out of memory. */
CO_API char *co_plan_json(const co_plan *p);

/* Records the date agreed with a tenant's customer; window in minutes. */
CO_API co_code co_schedule_set(co_session *s, const char *tenant, time_t at, int window_minutes,
                               co_error *err);

/* Writes one notice per scheduled tenant into outbox, as TENANT.txt and
 * TENANT.html, from template (a file, or NULL for the built-in one) with
 * {{customer}}, {{tenant}}, {{date}}, {{window}}, {{duration}} and {{contact}}.
 * An unknown {{name}} is an error naming the template line. *written counts
 * the tenants. */
CO_API co_code co_notices_write(co_session *s, const char *template_path, const char *outbox,
                                const char *contact, size_t *written, co_error *err);

#endif
