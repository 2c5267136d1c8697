/*
 * monitor.h: watching tenants after their switch, and the new system's speed.
 *
 * For each switched tenant within its monitoring period (monitor.days after
 * the switch), cutover counts the rows written per day in the target, per
 * watched entity and, with `by`, per value (an event's kind), and compares
 * each complete day with the tenant's own baseline from the source's history:
 * the mean of the same weekday over the monitor.weeks weeks before. A day
 * whose deviation exceeds the tolerance is flagged. Query budgets time the
 * new application's top queries on the target (or staging) for a tenant and
 * compare the 95th percentile with each budget. Flags call the on_alert hook
 * (JSON on standard input) and every result is journaled. docs/monitor.md.
 */
#ifndef CUTOVER_MONITOR_H
#define CUTOVER_MONITOR_H

#include "cutover/migrate.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- statistics (stats.c) ---- */

/* The p-th percentile (0..100) of v[0..n), linearly interpolated between
 * closest ranks (as numpy's default): the median is p = 50. Sorts v in
 * place. 0 when n is 0. */
CO_API double co_percentile(double *v, size_t n, double p);

/* The baseline of a day: the mean of counts[0..n) (the same weekday in the
 * weeks before); 0 when n is 0. */
CO_API double co_baseline_mean(const int64_t *counts, size_t n);

/* Judges actual against baseline: *deviation = (actual - baseline) /
 * baseline (0 when baseline is 0). A day is judged when baseline >=
 * min_baseline (and above 0); a judged day is flagged when |deviation| >
 * tolerance. Returns whether it is flagged; *judged says whether it was judged. */
CO_API bool co_deviation_flag(double baseline, double actual, double tolerance, double min_baseline,
                              double *deviation, bool *judged);

/* ---- query budgets (budget.c) ---- */

typedef struct co_budget_result {
    const co_budget_query *query; /* points into the project */
    int runs;
    double median;     /* seconds */
    double p95;
    bool pass;         /* p95 <= budget */
    char error[256];   /* the query failed: why (pass is false), else "" */
} co_budget_result;

/* Runs each of the project's budget queries on dest for tenant t: one
 * warm-up run, then query->repeat timed runs, each reading every row, in a
 * transaction that is rolled back (a query that writes changes nothing). The
 * caller frees *out with free(). A query that fails is a result with its
 * error, not an error. */
CO_API co_code co_budgets_run(co_store *dest, const co_project *p, const co_tenant *t,
                              co_budget_result **out, size_t *n, co_error *err);

/* Journals results in budget_results: phase "rehearsal", "monitor" or
 * "budgets"; side "staging" or "target"; check_id 0 when none. */
CO_API co_code co_budgets_record(co_state *st, const char *tenant, const char *phase,
                                 const char *side, const co_budget_result *r, size_t n,
                                 int64_t check_id, co_error *err);

/* "name took p95 1.234 s (median 1.100 s) over its budget of 0.500 s; ..."
 * for the queries over budget, into buf (cap bytes); "" when all pass. */
CO_API void co_budgets_failures(const co_budget_result *r, size_t n, char *buf, size_t cap);

/* ---- monitoring (monitor.c) ---- */

/* One series on one day. */
typedef struct co_monitor_day {
    char day[11];       /* YYYY-MM-DD */
    char *series;       /* "engagements" or "engagements kind=click" */
    double baseline;
    int64_t actual;
    double deviation;
    bool judged;
    bool flagged;
} co_monitor_day;

/* A seam for other checks of a switched tenant, such as the PSI of a
 * published behavioural model's daily scores against those at publish time
 * (branch scoring): called once per tenant and monitored day, it fills
 * *value and *flagged and a short series name ("psi:MODEL"); its result is
 * journaled, flagged and alerted like a volume's (baseline = its threshold). */
typedef struct co_monitor_probe {
    const char *name;
    co_code (*fn)(void *ctx, co_session *s, const co_tenant *t, const char *day, double *value,
                  double *threshold, bool *flagged, co_error *err);
    void *ctx;
} co_monitor_probe;

typedef struct co_monitor_options {
    bool budgets;                  /* also time the budget queries on the target */
    const co_monitor_probe *probes;
    size_t nprobes;
} co_monitor_options;

typedef struct co_monitor_result {
    bool monitored;          /* switched and within its period; else nothing below */
    char switched_at[32];
    char skipped[160];       /* why not monitored, or "" */
    co_monitor_day *days;    /* complete days since the switch, per series */
    size_t ndays;
    co_budget_result *budgets;
    size_t nbudgets;
    int64_t flags;           /* flagged days and queries over budget */
    int64_t check_id;        /* the journal's monitor_checks row */
    char alert[256];         /* the on_alert hook's outcome, "" when not called */
    bool alert_failed;
} co_monitor_result;

/* Monitors tenant t through s (its target and source), journals the check
 * and, when something is flagged, runs the on_alert hook with the details.
 * A tenant that is not switched, or past its period, is a result with
 * monitored false. The caller releases res. */
CO_API co_code co_monitor_tenant(co_session *s, const co_tenant *t, const co_monitor_options *opt,
                                 co_monitor_result *res, co_error *err);
CO_API void co_monitor_result_release(co_monitor_result *r);

/* The alert document given to on_alert on standard input (heap; free()). */
CO_API char *co_monitor_alert_json(const char *tenant, const co_monitor_result *r);

#endif
