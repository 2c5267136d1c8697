/*
 * report_int.h: what the files of src/report share.
 *
 * table.c   query results kept as typed text cells, and as JSON
 * model.c   the journal's view of the plan and of each tenant
 * svg.c     the charts: timeline, rows per entity, volumes per month
 * html.c    the page          json.c   the API's documents
 * cohort.c  pausing cohorts
 * inflight.c tenants in flight or cut short
 */
#ifndef CUTOVER_REPORT_INT_H
#define CUTOVER_REPORT_INT_H

#include "state/journal.h"
#include "cutover/report.h"
#include "cutover/status.h"
#include "util/buf.h"

/* The rows of one view of the journal (state/journal.h: co_jrows): every
 * cell as text with its type (NULL cells have text NULL), columns by name. */
typedef co_jrows rp_table;

/* The latest plan (one row), its tenants by position with their states, and
 * the paused cohorts. */
co_code rp_load_plan(co_state *st, rp_table *plan, rp_table *cohorts, rp_table *paused,
                     co_error *err);

void rp_table_release(rp_table *t);
/* The text of a row's cell in the named column (NULL for NULL or when there
 * is no such row or column), as an integer (0 for NULL), as a real. */
const char *rp_cell_named(const rp_table *t, size_t row, const char *col);
int64_t rp_int_named(const rp_table *t, size_t row, const char *col);
double rp_real_named(const rp_table *t, size_t row, const char *col);
/* The same with the column's name as a string literal: a position (0, 1, a
 * variable) does not compile. */
#define rp_cell(t, row, col) rp_cell_named((t), (row), "" col)
#define rp_int(t, row, col) rp_int_named((t), (row), "" col)
#define rp_real(t, row, col) rp_real_named((t), (row), "" col)
/* The column's index by name, or (size_t)-1. */
size_t rp_col(const rp_table *t, const char *name);
/* One row as a JSON object, and all rows as an array. */
void rp_row_json(co_buf *b, const rp_table *t, size_t row);
void rp_table_json(co_buf *b, const rp_table *t);

/* One tenant as the journal has it. */
typedef struct rp_tenant {
    const co_tenant_status *status; /* points into the report's status list */
    rp_table plan;          /* its entry in the latest plan: cohort, risk, why, ... (0 or 1 row) */
    rp_table route;         /* route, changed_at, switched_at, freeze_seconds (0 or 1 row) */
    rp_table run;           /* the last migrate run (0 or 1 row) */
    rp_table steps;         /* its steps */
    rp_table verify_run;    /* the last finished verification (0 or 1 row) */
    rp_table checks;        /* its checks */
    rp_table findings;      /* its first differences */
    rp_table volumes;       /* rows per entity and month */
    rp_table audit;         /* tenant_audits (0 or 1 row) */
    rp_table rehearsals;
    int rollback_days;      /* days of rollback left; -1 when it was not switched */
    /* after the switch (aftercare.c) */
    rp_table notes;
    rp_table monitor_checks; /* the latest first */
    rp_table monitor_days;   /* the latest check's series and days */
    rp_table budgets;        /* query budget results, the latest first */
    rp_table approvals;
} rp_tenant;

typedef struct rp_report {
    co_tenant_status *status;
    size_t nstatus;
    rp_table plan;          /* the latest plan (0 or 1 row) */
    rp_table cohorts;       /* its tenants by cohort */
    rp_table paused;        /* paused cohorts */
    rp_tenant *tenants;     /* the ones asked for */
    size_t ntenants;
    char generated_at[32];
} rp_report;

/* Loads the overview and, unless overview_only, the tenants asked for
 * (tenant NULL: all). CO_ENOTFOUND for an unknown tenant. */
co_code rp_load(co_state *st, const co_project *p, const char *tenant, bool overview_only,
                rp_report *out, co_error *err);
void rp_release(rp_report *r);
/* One tenant's detail (t->status must be set). */
co_code rp_load_tenant(co_state *st, const co_project *p, rp_tenant *t, co_error *err);
void rp_tenant_release(rp_tenant *t);

/* Charts, as inline <svg> elements. */
void rp_svg_timeline(co_buf *b, const co_project *p, const rp_tenant *t);
void rp_svg_entity_rows(co_buf *b, const co_project *p, const rp_tenant *t);
/* One chart per entity that has volumes. */
void rp_svg_volumes(co_buf *b, const rp_tenant *t);

/* The step row of an entity in t->steps, or (size_t)-1. */
size_t rp_step_of(const rp_tenant *t, const char *entity);
/* The rows of t->steps in the project's entity order, then the others;
 * fills order (room for t->steps.nrows) and returns how many. */
size_t rp_step_order(const co_project *p, const rp_tenant *t, size_t *order);
/* A run left "running" by a process that is gone shows "interrupted", as
 * status says it (status.h: holder_gone): rp_run_interrupted rewrites the
 * status cell of run's row 0 when gone; rp_run_gone tells, for a row of the
 * runs table (with its tenant and pid), whether its tenant's lease is held
 * by that pid, gone from this host. */
co_code rp_run_interrupted(rp_table *run, bool gone, co_error *err);
co_code rp_run_gone(co_state *st, const rp_table *run, bool *gone, co_error *err);
/* Whether the last verification belongs to the last migrate run (it began
 * before that run ended: a capture's verification inside the freeze). */
bool rp_verify_in_run(const rp_tenant *t);

/* A tenant in flight or cut short (inflight.c): its state for a cell
 * ("frozen (interrupted)"), and what status says of it: frozen since when, by
 * which process, alive or gone; interrupted; a rollback left incomplete; each
 * with the command that finishes it. */
void rp_html_state(co_buf *b, const co_tenant_status *s);
void rp_html_inflight(co_buf *b, const co_tenant_status *s);
/* The tenant's latest parity run (parity.c), passed or failed, when, and
 * its mismatches; nothing when it has none. */
void rp_html_parity(co_buf *b, const co_tenant_status *s);

/* After the switch (aftercare.c): loads t's notes, monitor checks, budgets
 * and approvals; renders the notes (under the timeline) and the rest; adds
 * them to the tenant's JSON document. */
co_code rp_load_aftercare(co_state *st, rp_tenant *t, co_error *err);
void rp_html_notes(co_buf *b, const rp_tenant *t);
void rp_html_aftercare(co_buf *b, const rp_tenant *t);
void rp_aftercare_json(co_buf *b, const rp_tenant *t);
/* The overview's list of tenants with monitor checks, approvals waiting or
 * notes (from the status rows). */
void rp_html_overview_aftercare(co_buf *b, const rp_report *r);
/* Two bars per label (a against b), with a legend naming them: the scoring
 * pages' charts of old against new per month. */
void rp_svg_pairs(co_buf *b, const char *title, const char *const *labels, const int64_t *a,
                  const int64_t *bv, size_t n, const char *name_a, const char *name_b);

/* orphans.c: the section on the source rows of no tenant (the journal's
 * orphans table), for the overview. */
void rp_orphans_html(co_buf *b, co_state *st);

#endif
