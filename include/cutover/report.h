/*
 * report.h: what the journal knows, for people and for other tools.
 *
 * The migration report is one self-contained HTML page (inline CSS and SVG
 * charts cutover draws itself; nothing is fetched from the network): the
 * plan and its cohorts, and per tenant the timeline of its run with the
 * freeze window, rows per entity (loaded, merged, rejected), verification
 * with the first differences, volumes per month (source against target),
 * audit findings, rehearsals and the days of rollback left. The dashboard
 * (serve.h) shows the same pages live and answers the JSON functions below.
 * Everything is read from the journal; nothing is written.
 */
#ifndef CUTOVER_REPORT_H
#define CUTOVER_REPORT_H

#include "cutover/error.h"
#include "cutover/project.h"
#include "cutover/state.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct co_report_options {
    const char *tenant;   /* only this tenant, or NULL for all of them */
    bool overview_only;   /* the plan and the tenants' table, no per-tenant sections */
    int refresh_seconds;  /* live: how often the page updates its data regions (0: 5) */
    bool live;            /* links and actions for the dashboard (serve.h) */
} co_report_options;

/* The report as an HTML page into *out (heap; free() it). An unknown
 * opt->tenant answers CO_ENOTFOUND. */
CO_API co_code co_report_html(co_state *st, const co_project *p, const co_report_options *opt,
                              char **out, co_error *err);

/* JSON documents of the dashboard's API, each into *out (heap; free() it).
 *   tenants  {"tenants":[...]}: exactly what `cutover status --json` prints
 *   tenant   one tenant: its status, plan entry, route and rollback days, last
 *            run with steps per entity, verification, volumes, audit, rehearsals
 *   run      one run with its steps (and checks and findings for a verify run)
 *   routes   {"routes":[...]}: exactly what `cutover routes --json` prints,
 *            each tenant with how its writes and reads go (co_route_reads)
 *   cohorts  the latest plan's cohorts, with their tenants and pauses
 * An unknown tenant or run answers CO_ENOTFOUND. */
CO_API co_code co_report_tenants_json(co_state *st, char **out, co_error *err);
CO_API co_code co_report_tenant_json(co_state *st, const co_project *p, const char *tenant,
                                     char **out, co_error *err);
CO_API co_code co_report_run_json(co_state *st, int64_t run_id, char **out, co_error *err);
CO_API co_code co_report_routes_json(co_state *st, char **out, co_error *err);
/* One tenant's route as `cutover route T --json` prints it: {"tenant",
 * "route", "writes", "reads", "read_share", "lag_seconds"} (cutover/sync.h,
 * co_route_reads; each row of the routes document has the same fields). */
CO_API co_code co_report_route_json(co_state *st, const char *tenant, char **out, co_error *err);
CO_API co_code co_report_cohorts_json(co_state *st, char **out, co_error *err);

/* After the switch (docs/monitor.md): {"checks":[...],"flagged":[...],
 * "budgets":[...],"waiting":[...],"notes":[...]}: each tenant's latest monitor
 * check, its flagged days, the latest budget result per tenant and query,
 * the approvals waiting and the last 50 notes. */
CO_API co_code co_report_monitor_json(co_state *st, char **out, co_error *err);
/* GET /api/orphans: the source rows of no tenant as the last `verify --all`
 * or `audit` counted them: {"counted_at", "origin", "rows" (no rule leaves
 * them out: findings), "excluded", "sources": [{table, column, rows}],
 * "groups": [{table, column, tenant ("null"|"unknown"), rows, values,
 * examples, excluded, rule?: {index, reason}}]}; {"counted_at": null} when
 * nothing was counted yet. */
CO_API co_code co_report_orphans_json(co_state *st, char **out, co_error *err);

/* Pausing a cohort of the latest plan: `cutover run --cohort C` and workers
 * stop before taking the next tenant of a paused cohort (the tenant in
 * flight finishes). cohort 0 is the canary. Pausing twice is harmless. */
CO_API co_code co_cohort_pause(co_state *st, int cohort, bool pause, const char *reason,
                               co_error *err);
CO_API co_code co_cohort_paused(co_state *st, int cohort, bool *paused, co_error *err);
/* The word that names a cohort in the dashboard's path and confirms an
 * action on it: "canary" for 0, the wave's number otherwise ("3"). Writes
 * it into buf (cap bytes) and returns buf. */
CO_API const char *co_cohort_confirm_name(int cohort, char *buf, size_t cap);

#endif
