/*
 * journal.h: the journal's tables as the rest of the library reads and writes
 * them. src/state owns every table (src/state/schema.sql.h): the SQL of each
 * lives in the file of its concern, and other folders call the typed
 * functions declared here: a struct in, a struct, a callback or named rows
 * (co_jrows) out. They never write SQL against the journal, nor name one of
 * its statements (tests/unit/test_layers.c fails when they do).
 *
 *   state/tenants.c    tenants, routes, archives (the lifecycle: cutover/state.h)
 *   state/runs.c       runs, steps, verifications, findings, volumes, rehearsals
 *   state/idmap.c      id_map, id_map_runs (the id maps, kept compact)
 *   state/maps.c       rejects, merges, and the trace of a key through them all
 *   state/plans.c      plans, plan_tenants, paused_cohorts, schedules, tenant_audits
 *   state/aftercare.c  notes, approvals, monitor_checks, monitor_volumes, budget_results
 *   state/scoring.c    event_mappings, scoring models, batch and switches
 *
 * Every read flushes the buffered id map, reject and merge rows first, so that
 * it sees what this process wrote (state_int.h: Co_state_read).
 */
#ifndef CUTOVER_STATE_JOURNAL_H
#define CUTOVER_STATE_JOURNAL_H

#include "cutover/state.h"
#include "util/map.h"

/* ---- runs, steps, verifications and findings (state/runs.c) ---- */

/* How many runs the journal holds. */
co_code Co_state_runs_count(co_state *st, int64_t *n, co_error *err);

/* co_state_lease (lease.c), waiting up to 30 s while another process holds
 * the tenant: any process, or with sync_only a `cutover sync` round (which
 * lasts about a second; a `sync --follow` takes the tenant round after
 * round); then CO_EBUSY naming the holder. err must not be NULL. */
co_code Co_state_lease_wait(co_state *st, const char *tenant, const char *command,
                            bool sync_only, co_error *err);
/* What the last finished migrate run of a tenant recorded for a step
 * ("load:ENTITY"), or the cutover in flight once it finished that step;
 * *found false when none. */
typedef struct co_load_counts {
    int64_t source_rows, loaded, rejected;
} co_load_counts;
co_code Co_state_last_load(co_state *st, const char *tenant, const char *step,
                           co_load_counts *out, bool *found, co_error *err);
/* The source rows and seconds of every finished load step of finished
 * migrate runs (0 and 0 when none): the measured throughput. */
co_code Co_state_load_totals(co_state *st, double *rows, double *seconds, co_error *err);

/* One check of a verify run for an entity (replaces the run's earlier
 * result of the same entity and check). */
typedef struct co_jverification {
    int64_t run_id, expected, actual, differences;
    const char *tenant, *entity, *check, *summary;
    bool pass;
} co_jverification;
co_code Co_state_verification_add(co_state *st, const co_jverification *v, co_error *err);
/* One finding of a verify run (key and detail may be NULL). */
typedef struct co_jfinding {
    int64_t run_id;
    const char *tenant, *entity, *check, *kind, *key, *detail;
} co_jfinding;
co_code Co_state_finding_add(co_state *st, const co_jfinding *f, co_error *err);
/* An entity's rows in one calendar month, source and target, for a verify
 * run (replaces the run's earlier count of that month). */
co_code Co_state_volume_add(co_state *st, int64_t run_id, const char *tenant, const char *entity,
                            const char *month, int64_t source, int64_t target, co_error *err);

/* ---- tenants, routes and archives (state/tenants.c) ---- */

/* Records the archive a finalize wrote of a tenant's source rows. */
co_code Co_state_archive_add(co_state *st, const char *tenant, const char *path, int64_t rows,
                             int64_t bytes, const char *project_hash, const char *at,
                             co_error *err);

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
/* Records n rows of a tenant's entity at once: source keys [source_lo],
 * [source_lo + 1], ... went to target keys [target_lo], [target_lo + 1], ...
 * (each key one integer, canonical as util/key.h writes it), as n calls of
 * co_state_idmap_add would, but kept as one run (idmap.c). Buffered until
 * co_state_commit, as adds are; n <= 0 records nothing; keys must stay
 * within +-2^62 (CO_EINTERNAL otherwise). For loaders that know the keys of
 * a whole range (a push-down INSERT ... SELECT). */
co_code Co_state_idmap_put_range(co_state *st, const char *tenant, const char *entity,
                                 int64_t source_lo, int64_t target_lo, int64_t n,
                                 co_error *err);
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

/* Calls fn for each merge of one tenant and entity (source and target keys
 * as canonical JSON arrays, NULL when not text), in the order they were
 * recorded. */
co_code Co_state_merges_each(co_state *st, const char *tenant, const char *entity,
                             co_code (*fn)(void *ctx, const char *source_key,
                                           const char *target_key, co_error *err),
                             void *ctx, co_error *err);
/* The rejects of one tenant for one entity and rule: how many, the first
 * reason and up to three example source keys (a JSON array). Strings are
 * valid during the call that gives them (NULL when the journal has none). */
typedef struct co_jreject_rule {
    const char *entity, *rule, *reason, *examples;
    int64_t rows;
} co_jreject_rule;
/* Calls fn for each (entity, rule) of the tenant's rejects, in that order. */
co_code Co_state_rejects_by_rule_each(co_state *st, const char *tenant,
                                      co_code (*fn)(void *ctx, const co_jreject_rule *r,
                                                    co_error *err),
                                      void *ctx, co_error *err);

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

/* A plan (plans): id and created_at are the journal's when read. */
typedef struct co_jplan {
    int64_t id;
    char created_at[32];
    double canary_percent, growth;
} co_jplan;
/* One tenant of a plan (plan_tenants; label from tenants, NULL when none).
 * Strings are valid during the call that gives them. */
typedef struct co_jplan_tenant {
    const char *tenant, *label, *why;
    int cohort;
    double risk;
    int64_t rows;
    double est_seconds;
} co_jplan_tenant;
/* Adds a plan (created_at, canary_percent, growth of plan) under
 * project_hash; *id gets its id. */
co_code Co_state_plan_add(co_state *st, const co_jplan *plan, const char *project_hash,
                          int64_t *id, co_error *err);
/* Adds a tenant of plan plan_id at position (its order in the plan). */
co_code Co_state_plan_tenant_add(co_state *st, int64_t plan_id, int64_t position,
                                 const co_jplan_tenant *t, co_error *err);
/* The latest plan into *out; *found false when there is none. */
co_code Co_state_plan_latest(co_state *st, co_jplan *out, bool *found, co_error *err);
/* Calls fn for each tenant of plan plan_id in plan order; fn's non-OK code
 * stops the walk and is returned. */
co_code Co_state_plan_tenants_each(co_state *st, int64_t plan_id,
                                   co_code (*fn)(void *ctx, const co_jplan_tenant *t,
                                                 co_error *err),
                                   void *ctx, co_error *err);

/* A tenant's audit (tenant_audits; label from tenants when read, NULL when
 * none; detail is detail_len bytes of JSON). Strings are valid during the
 * call that gives them. */
typedef struct co_jtenant_audit {
    const char *tenant, *label, *audited_at, *project_hash, *size_class, *detail;
    size_t detail_len;
    int64_t rows, bytes, est_measured, limit_rows, duplicate_clusters;
    double est_seconds;
} co_jtenant_audit;
/* Records (or replaces) a tenant's audit. */
co_code Co_state_tenant_audit_set(co_state *st, const co_jtenant_audit *a, co_error *err);
/* Calls fn for each audit under project_hash of a tenant not yet migrated,
 * verified, switched or finalized (tenant, label, rows, est_seconds,
 * limit_rows, duplicate_clusters and size_class, NULL when none, are set). */
co_code Co_state_plannable_each(co_state *st, const char *project_hash,
                                co_code (*fn)(void *ctx, const co_jtenant_audit *a,
                                              co_error *err),
                                void *ctx, co_error *err);
/* With project_hash: calls fn for each tenant not yet migrated whose audit
 * is missing or of another project_hash, with why in words. Without (NULL):
 * for each scheduled tenant never audited, in key order, why NULL. */
co_code Co_state_unaudited_each(co_state *st, const char *project_hash,
                                co_code (*fn)(void *ctx, const char *tenant, const char *why,
                                              co_error *err),
                                void *ctx, co_error *err);

/* A tenant's schedule as notices read it: the label (the tenant when it has
 * none), the date (at, at_len bytes of ISO 8601), the window and the audit's
 * estimate (0 when never audited). */
typedef struct co_jschedule {
    const char *tenant, *label, *at;
    size_t at_len;
    int64_t window_minutes;
    double est_seconds;
} co_jschedule;
/* Records (or replaces) the date agreed with a tenant. */
co_code Co_state_schedule_set(co_state *st, const char *tenant, const char *at,
                              int window_minutes, const char *recorded_at, co_error *err);
/* Calls fn for each schedule in date order, then tenant. */
co_code Co_state_schedules_each(co_state *st,
                                co_code (*fn)(void *ctx, const co_jschedule *s, co_error *err),
                                void *ctx, co_error *err);

/* Pauses cohort (at: when, reason may be NULL; an already paused cohort
 * stays as it was), resumes it, or tells whether it is paused. */
co_code Co_state_cohort_pause(co_state *st, int cohort, const char *at, const char *reason,
                              co_error *err);
co_code Co_state_cohort_resume(co_state *st, int cohort, co_error *err);
co_code Co_state_cohort_paused(co_state *st, int cohort, bool *paused, co_error *err);

/* ---- notes, approvals, monitoring and budgets (state/aftercare.c) ---- */

/* The person of the latest approval event (requested, approved, refused) of
 * (subject, step) under project_hash; *found false when none. */
co_code Co_state_approval_latest(co_state *st, const char *subject, const char *step,
                                 const char *project_hash, const char *event, char *person,
                                 size_t cap, bool *found, co_error *err);

/* Adds a note on a tenant (NULL: on the whole migration). */
co_code Co_state_note_add(co_state *st, const char *tenant, const char *at, const char *author,
                          const char *body, co_error *err);
/* An approval event: requested, approved or refused, by person, of a step
 * for a subject, under a project file's hash; detail may be NULL. */
typedef struct co_japproval {
    const char *subject, *step, *event, *person, *at, *project_hash, *detail;
} co_japproval;
co_code Co_state_approval_add(co_state *st, const co_japproval *a, co_error *err);
/* A query budget's result (check_id 0: not part of a monitor check). */
typedef struct co_jbudget_result {
    const char *tenant, *query, *phase, *side, *at;
    int64_t runs, check_id;
    double median, p95, budget;
    bool pass;
} co_jbudget_result;
co_code Co_state_budget_result_add(co_state *st, const co_jbudget_result *b, co_error *err);
/* A monitor check of a tenant; *id gets its id. */
typedef struct co_jmonitor_check {
    const char *tenant, *at, *switched_at, *summary;
    int64_t days_judged, flags;
} co_jmonitor_check;
co_code Co_state_monitor_check_add(co_state *st, const co_jmonitor_check *c, int64_t *id,
                                   co_error *err);
/* One series-day of a monitor check (deviation NULL unless has_deviation). */
typedef struct co_jmonitor_volume {
    int64_t check_id, actual;
    const char *tenant, *day, *series;
    double baseline, deviation;
    bool has_deviation, judged, flagged;
} co_jmonitor_volume;
co_code Co_state_monitor_volume_add(co_state *st, const co_jmonitor_volume *v, co_error *err);
/* Records what a check's alert did. */
co_code Co_state_monitor_check_alert(co_state *st, int64_t check_id, const char *alert,
                                     co_error *err);

/* ---- scoring (state/scoring.c, docs/scoring.md) ---- */

/* The scoring batch's flag: whether it runs, since when (into since, may
 * be NULL); *found false when it was never set (*running untouched). */
co_code Co_state_batch_get(co_state *st, bool *running, char *since, size_t cap, bool *found,
                           co_error *err);
/* Sets the batch's flag at `at` with a note (the row is created the first
 * time). */
co_code Co_state_batch_set(co_state *st, bool running, const char *at, const char *note,
                           co_error *err);

/* An event mapping's header (event_mappings). Strings are valid during the
 * call that gives them. */
typedef struct co_jmapping {
    int64_t id, version;
    const char *source, *status, *origin, *updated_at;
} co_jmapping;
/* Adds a mapping of m->source as its next version (status, origin and
 * updated_at, the creation time too, of m); *id gets its id. */
co_code Co_state_mapping_add(co_state *st, const co_jmapping *m, int64_t *id, co_error *err);
/* Adds a rule to a mapping: a raw event, its canonical name and its kind. */
co_code Co_state_mapping_rule_add(co_state *st, int64_t mapping_id, const char *raw,
                                  const char *canonical, const char *kind, co_error *err);
/* Sets a mapping's status at `at`. */
co_code Co_state_mapping_set_status(co_state *st, int64_t id, const char *status, const char *at,
                                    co_error *err);
/* Turns off the mappings of source that are on, but keep. */
co_code Co_state_mapping_others_off(co_state *st, const char *source, int64_t keep,
                                    const char *at, co_error *err);
/* Calls fn for the mapping id (id > 0), for the current mapping of source
 * (the one on, else the latest not archived), or for every mapping, newest
 * first (id 0, source NULL). */
co_code Co_state_mappings_each(co_state *st, int64_t id, const char *source,
                               co_code (*fn)(void *ctx, const co_jmapping *m, co_error *err),
                               void *ctx, co_error *err);
/* Calls fn for each rule of a mapping, by raw event. */
co_code Co_state_mapping_rules_each(co_state *st, int64_t mapping_id,
                                    co_code (*fn)(void *ctx, const char *raw,
                                                  const char *canonical, const char *kind,
                                                  co_error *err),
                                    void *ctx, co_error *err);

/* A model's row (scoring_models; segment_by "percentile" or "score").
 * Strings are valid during the call that gives them. */
typedef struct co_jmodel {
    int64_t id;
    const char *name, *level, *source, *status, *segment_by, *origin, *updated_at;
    double half_points, cuts[3];
} co_jmodel;
/* Whether a model of that name exists. */
co_code Co_state_model_named(co_state *st, const char *name, bool *taken, co_error *err);
/* Adds a model (updated_at is its creation time too); *id gets its id. */
co_code Co_state_model_add(co_state *st, const co_jmodel *m, int64_t *id, co_error *err);
/* Adds a weighted event to a model. */
co_code Co_state_model_event_add(co_state *st, int64_t model_id, const char *event,
                                 double weight, int lifespan_days, co_error *err);
/* Sets a model's status at `at`. */
co_code Co_state_model_set_status(co_state *st, int64_t id, const char *status, const char *at,
                                  co_error *err);
/* How many published models other than id read source. */
co_code Co_state_models_published_other(co_state *st, const char *source, int64_t id,
                                        int64_t *n, co_error *err);
/* Calls fn for the model id (id > 0), the model named name, or every model
 * by id (id 0, name NULL). */
co_code Co_state_models_each(co_state *st, int64_t id, const char *name,
                             co_code (*fn)(void *ctx, const co_jmodel *m, co_error *err),
                             void *ctx, co_error *err);
/* Calls fn for each weighted event of a model, by event. */
co_code Co_state_model_events_each(co_state *st, int64_t model_id,
                                   co_code (*fn)(void *ctx, const char *event, double weight,
                                                 int lifespan_days, co_error *err),
                                   void *ctx, co_error *err);

/* A source switch (scoring_switches): its models and mappings; ended_at is
 * set for a published one. */
typedef struct co_jswitch {
    int64_t id, old_model, draft_model, old_mapping, new_mapping;
    char ended_at[32];
} co_jswitch;
/* Starts a switch (the ids of w) as of `as_of`; *id gets its id. */
co_code Co_state_switch_add(co_state *st, const co_jswitch *w, const char *as_of,
                            const char *started_at, int64_t *id, co_error *err);
/* Journals step number seq of a switch. */
co_code Co_state_switch_step_add(co_state *st, int64_t switch_id, int seq, const char *step,
                                 const char *status, const char *detail, const char *at,
                                 co_error *err);
/* What a switch records on its way: when the batch stopped, the draft's
 * score bands as loaded (a JSON array), when it was reverted. */
typedef enum co_switch_mark {
    CO_SWITCH_BATCH_STOPPED,
    CO_SWITCH_DRAFT_BANDS,
    CO_SWITCH_REVERTED,
} co_switch_mark;
co_code Co_state_switch_mark(co_state *st, int64_t id, co_switch_mark which, const char *value,
                             co_error *err);
/* Ends a switch with its outcome and comparison (JSON) at `at`. */
co_code Co_state_switch_end(co_state *st, int64_t id, const char *outcome,
                            const char *comparison, const char *at, co_error *err);
/* The latest unfinished switch (unfinished true) or the latest published
 * one not reverted; *found false when none. */
co_code Co_state_switch_find(co_state *st, bool unfinished, co_jswitch *out, bool *found,
                             co_error *err);
/* A switch's last step number and (published not NULL) whether its publish
 * step was done. */
co_code Co_state_switch_progress(co_state *st, int64_t id, int64_t *last_seq, bool *published,
                                 co_error *err);
/* The score bands (JSON array text, into bands) of the latest published
 * switch whose draft was model; *found false when none. */
co_code Co_state_switch_draft_bands(co_state *st, const char *model, char *bands, size_t cap,
                                    bool *found, co_error *err);

/* ---- views: the journal's rows as the report and the dashboard show them ---- */

/* Rows kept whole: named columns (the keys of the API's JSON documents,
 * docs/report.md), each cell as text (NULL for SQL NULL) with its type. A
 * view's rows are at most a few hundred. Released with Co_jrows_release. */
typedef struct co_jrows {
    size_t ncols, nrows;
    char **names;   /* ncols */
    co_type *types; /* nrows * ncols */
    char **cells;   /* nrows * ncols */
} co_jrows;
void Co_jrows_release(co_jrows *t);

/* routes (state/tenants.c) */
/* Every tenant's route (tenant, route, switched_at, freeze_seconds), in key
 * order. */
co_code Co_state_view_routes(co_state *st, co_jrows *out, co_error *err);
/* A tenant's route (route, changed_at, switched_at, freeze_seconds, run_id;
 * 0 or 1 row). */
co_code Co_state_view_tenant_route(co_state *st, const char *tenant, co_jrows *out, co_error *err);

/* runs (state/runs.c) */
/* A run (id, tenant, command, status, pid, started_at, ended_at, seconds,
 * error; 0 or 1 row). */
co_code Co_state_view_run(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A run's steps (step, entity, status, started_at, ended_at, source_rows,
 * loaded, merged, rejected, seconds). */
co_code Co_state_view_run_steps(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A verify run's checks (entity, check, pass, expected, actual, differences,
 * summary). */
co_code Co_state_view_run_checks(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A verify run's first 200 findings (entity, check, kind, key, detail). */
co_code Co_state_view_run_findings(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A verify run's volumes (entity, month, source, target). */
co_code Co_state_view_run_volumes(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A verify run's first 50 findings, as the report shows them (entity, check,
 * kind, key, detail). */
co_code Co_state_view_tenant_findings(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A tenant's rehearsals (id, status, reasons, rows, rejected, seconds, at). */
co_code Co_state_view_tenant_rehearsals(co_state *st, const char *tenant,
                                        co_jrows *out, co_error *err);
/* A run as a tenant's page shows it (id, command, status, started_at,
 * ended_at, seconds, error). */
co_code Co_state_view_tenant_run(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A verify run as a tenant's page shows it (id, status, started_at,
 * ended_at, seconds). */
co_code Co_state_view_tenant_verify_run(co_state *st, int64_t run_id, co_jrows *out, co_error *err);
/* A tenant's volumes of its latest verify run up to run (entity, month,
 * source, target). */
co_code Co_state_view_tenant_volumes(co_state *st, const char *tenant, int64_t run_id,
                                     co_jrows *out, co_error *err);

/* plans and audits (state/plans.c) */
/* The paused cohorts (cohort, paused_at, reason). */
co_code Co_state_view_paused_cohorts(co_state *st, co_jrows *out, co_error *err);
/* The latest plan (id, created_at, canary_percent, growth; 0 or 1 row). */
co_code Co_state_view_plan(co_state *st, co_jrows *out, co_error *err);
/* The latest plan's tenants in order (cohort, tenant, risk, rows,
 * est_seconds, state). */
co_code Co_state_view_plan_cohorts(co_state *st, co_jrows *out, co_error *err);
/* A tenant's audit (audited_at, rows, bytes, size_class, est_seconds,
 * limit_rows, duplicate_clusters, detail; 0 or 1 row). */
co_code Co_state_view_tenant_audit(co_state *st, const char *tenant, co_jrows *out, co_error *err);
/* A tenant's entry in the latest plan (plan_id, cohort, position, risk, why,
 * rows, est_seconds; 0 or 1 row). */
co_code Co_state_view_tenant_plan(co_state *st, const char *tenant, co_jrows *out, co_error *err);

/* after the switch (state/aftercare.c) */
/* A tenant's approval events (at, step, event, person, detail). */
co_code Co_state_view_tenant_approvals(co_state *st, const char *tenant,
                                       co_jrows *out, co_error *err);
/* A tenant's last 30 budget results (at, phase, side, query, runs, median,
 * p95, budget, pass). */
co_code Co_state_view_tenant_budgets(co_state *st, const char *tenant,
                                     co_jrows *out, co_error *err);
/* A tenant's last 20 monitor checks (id, at, switched_at, days_judged,
 * flags, summary, alert). */
co_code Co_state_view_tenant_monitor_checks(co_state *st, const char *tenant,
                                            co_jrows *out, co_error *err);
/* The series-days of a tenant's latest monitor check (day, series, actual,
 * baseline, deviation, judged, flagged). */
co_code Co_state_view_tenant_monitor_days(co_state *st, const char *tenant,
                                          co_jrows *out, co_error *err);
/* A tenant's notes (at, author, body). */
co_code Co_state_view_tenant_notes(co_state *st, const char *tenant, co_jrows *out, co_error *err);
/* Each tenant's latest monitor check (tenant, id, at, switched_at,
 * days_judged, flags, summary, alert). */
co_code Co_state_view_last_checks(co_state *st, co_jrows *out, co_error *err);
/* The flagged series-days of each tenant's latest check (tenant, day,
 * series, actual, baseline, deviation). */
co_code Co_state_view_flagged_days(co_state *st, co_jrows *out, co_error *err);
/* Each tenant's latest result per budgeted query (tenant, query, phase,
 * side, median, p95, budget, pass, at). */
co_code Co_state_view_last_budgets(co_state *st, co_jrows *out, co_error *err);
/* The approvals requested and not yet given (subject, step, requested_by,
 * at). */
co_code Co_state_view_waiting_approvals(co_state *st, co_jrows *out, co_error *err);
/* The last 50 notes (tenant, at, author, body). */
co_code Co_state_view_last_notes(co_state *st, co_jrows *out, co_error *err);


#endif
