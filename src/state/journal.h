/*
 * journal.h: the journal's tables as the rest of the library reads and writes
 * them. src/state owns every table (src/state/schema.sql.h): the SQL of each
 * lives in the file of its concern, and other folders name a statement
 * (co_jq) or call a typed function; they never write SQL against the journal
 * (tests/unit/test_layers.c fails when they do).
 *
 *   state/tenants.c    tenants, routes, archives (the lifecycle: cutover/state.h)
 *   state/runs.c       runs, steps, verifications, findings, volumes, rehearsals
 *   state/maps.c       id_map, rejects, merges
 *   state/plans.c      plans, plan_tenants, paused_cohorts, schedules, tenant_audits
 *   state/aftercare.c  notes, approvals, monitor_checks, monitor_volumes, budget_results
 *   state/scoring.c    event_mappings, scoring models, batch and switches
 *
 * Every read flushes the buffered id map, reject and merge rows first, so that
 * it sees what this process wrote (Co_state_read, Co_state_read_int).
 */
#ifndef CUTOVER_STATE_JOURNAL_H
#define CUTOVER_STATE_JOURNAL_H

#include "cutover/state.h"
#include "util/map.h"

/* A statement of the journal, defined in the file of its table's concern. */
typedef struct co_jq {
    const char *sql;
} co_jq;

/* Runs a statement that returns rows; buffered rows are written first. The
 * caller closes *out with co_cursor_close. */
co_code Co_state_read(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                      co_cursor **out, co_error *err);
/* Runs a statement whose answer is one integer (a count, a RETURNING id), as
 * co_store_query_int; buffered rows are written first. */
co_code Co_state_read_int(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                          int64_t *value, bool *found, co_error *err);
/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows
 * it changed. Buffered rows stay buffered (no statement here deletes from a
 * buffered table: those deletes are state.c's and flush first). */
co_code Co_state_write(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                       long long *changes, co_error *err);

/* ---- runs, steps, verifications and findings (state/runs.c) ---- */

/* How many runs the journal holds. */
co_code Co_state_runs_count(co_state *st, int64_t *n, co_error *err);
/* What the last finished migrate run of a tenant recorded for a step
 * ("load:ENTITY"); *found false when none. */
typedef struct co_load_counts {
    int64_t source_rows, loaded, rejected;
} co_load_counts;
co_code Co_state_last_load(co_state *st, const char *tenant, const char *step,
                           co_load_counts *out, bool *found, co_error *err);
/* The source rows and seconds of every finished load step of finished
 * migrate runs (0 and 0 when none): the measured throughput. */
co_code Co_state_load_totals(co_state *st, double *rows, double *seconds, co_error *err);

/* ---- id maps, rejects and merges (state/maps.c) ---- */

/* Key sets of one tenant and entity, added to `into` (keys are canonical JSON
 * arrays, util/key.h): the rejected source keys, the merged source keys, the
 * merged source key -> the target key it became part of, and the target keys
 * of the id map. Buffered rows are written first. */
co_code Co_state_rejected_keys(co_state *st, const char *tenant, const char *entity,
                               co_map *into, co_error *err);
co_code Co_state_merged_keys(co_state *st, const char *tenant, const char *entity,
                             co_map *into, co_error *err);
co_code Co_state_merged_pairs(co_state *st, const char *tenant, const char *entity,
                              co_map *into, co_error *err);
co_code Co_state_idmap_targets(co_state *st, const char *tenant, const char *entity,
                               co_map *into, co_error *err);
/* Where a key went, or what is behind it (cutover trace): the rows of the id
 * map, merges or rejects of an entity whose source key (SOURCE_*) or target
 * key (*_INTO) is key, within tenant (NULL: any). */
typedef enum co_key_trace {
    CO_KEYS_MERGED_FROM,  /* merges by source key */
    CO_KEYS_LOADED_FROM,  /* the id map by source key */
    CO_KEYS_REJECTED,     /* rejects by source key */
    CO_KEYS_LOADED_INTO,  /* the id map by target key, less merged rows */
    CO_KEYS_MERGED_INTO,  /* merges by target key, in source key order */
} co_key_trace;
/* One such row; a column the table does not have is NULL (score: NULL when
 * not scored). Valid during the call. */
typedef struct co_key_trace_row {
    const char *tenant, *source_key, *target_key, *how, *rule, *reason;
    const double *score;
} co_key_trace_row;
co_code Co_state_key_trace(co_state *st, co_key_trace which, const char *entity, const char *key,
                           const char *tenant,
                           co_code (*fn)(void *ctx, const co_key_trace_row *row, co_error *err),
                           void *ctx, co_error *err);
/* How many source rows of one tenant and entity were merged into others. */
co_code Co_state_merges_count(co_state *st, const char *tenant, const char *entity, int64_t *n,
                              co_error *err);

/* Forgets the rejects of one tenant and entity whose canonical source key
 * holds, at positions pos[0..n-1], one of nsets sets of values: values[k]
 * (k = set * n + i) is bound as ":m<k>"; with n == 0, every reject of the
 * entity. */
co_code Co_state_rejects_delete_matching(co_state *st, const char *tenant, const char *entity,
                                         const size_t *pos, size_t n, size_t nsets,
                                         const co_param *values, size_t nvalues, co_error *err);

/* ---- plans, schedules and audits (state/plans.c) ---- */

/* The size class of the tenant's audit into buf; *found false when it was
 * never audited. */
co_code Co_state_size_class(co_state *st, const char *tenant, char *buf, size_t cap,
                            bool *found, co_error *err);

/* ---- notes, approvals, monitoring and budgets (state/aftercare.c) ---- */

/* The person of the latest approval event (requested, approved, refused) of
 * (subject, step) under project_hash; *found false when none. */
co_code Co_state_approval_latest(co_state *st, const char *subject, const char *step,
                                 const char *project_hash, const char *event, char *person,
                                 size_t cap, bool *found, co_error *err);

#include "state/journal_q.h"

#endif
