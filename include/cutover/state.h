/*
 * state.h: the state store, cutover's journal. It records tenants and their
 * lifecycle state, runs and their steps with times and row counts, id maps
 * (where each source key went in the target), rejects, and a setup row with
 * the project file's hash so that a resume refuses a changed mapping.
 *
 * It is a SQLite database in WAL mode (".cutover/state.db" by default); its
 * tables are documented in docs/state-store.md so that other tools can read it.
 */
#ifndef CUTOVER_STATE_H
#define CUTOVER_STATE_H

#include "cutover/error.h"
#include "cutover/store.h"

#include <stdint.h>

typedef struct co_state co_state;

/* Opens (creating if needed) the journal at uri; relative paths resolve
 * against base_dir. The caller closes it with co_state_close. */
CO_API co_code co_state_open(const char *uri, const char *base_dir, co_state **out, co_error *err);
CO_API void co_state_close(co_state *st);
/* The journal's uri with any password masked, for messages ("" for NULL). */
CO_API const char *co_state_safe_uri(co_state *st);

/* Transactions of the journal. Id map and reject rows are buffered: commit
 * through co_state_commit, which writes them first. */
CO_API co_code co_state_begin(co_state *st, co_error *err);
/* The same for a batch of a load, whose rows are written at its commit: on a
 * SQLite journal the write lock is taken only when the journal is first
 * written (co_store_begin_on_write: at the commit, when the batch wrote
 * nothing else before), so that jobs loading at the same time do not wait
 * for each other's batches. */
CO_API co_code co_state_begin_batch(co_state *st, co_error *err);
CO_API co_code co_state_commit(co_state *st, co_error *err);
CO_API void co_state_rollback(co_state *st);

/* Checks the journal's setup row against the project's hash. A new journal,
 * or one where no run has begun, records it. Once runs exist, another hash
 * answers CO_ECHANGED unless start_over, which records the new hash and marks
 * unfinished runs abandoned. */
CO_API co_code co_state_setup(co_state *st, const char *project_hash, const char *project_path,
                              bool start_over, co_error *err);

/* Records tenants known from the source (insert or update the label). */
CO_API co_code co_state_tenant_seen(co_state *st, const char *tenant, const char *label, co_error *err);
/* A tenant's place in its lifecycle (docs/state-store.md has the table of
 * transitions): the journal keeps it by name (tenants.state). */
typedef enum co_lifecycle {
    CO_LC_NEW,                 /* never moved */
    CO_LC_MIGRATING,           /* a migrate run is loading it (or was, and stopped) */
    CO_LC_MIGRATED,            /* loaded into the target */
    CO_LC_FAILED,              /* its load failed; nothing of it in the target */
    CO_LC_VERIFIED,            /* a verification before its freeze found no difference */
    CO_LC_VERIFY_FAILED,       /* a verification before its freeze found differences */
    CO_LC_FROZEN,              /* its writes to the source are refused for its switch */
    CO_LC_SWITCHED,            /* routed to the target */
    CO_LC_ROLLED_BACK,         /* routed back to the source, the target purged */
    CO_LC_ROLLBACK_INCOMPLETE, /* a rollback failed part way */
    CO_LC_FINALIZED,           /* its undo ended: capture and freeze removed from the source */
    CO_LC_SYNCING,             /* copied and verified, kept in sync while both systems run
                                  (coexistence: nothing frozen, writes still old) */
    CO_LC_PURGE_PENDING,       /* rolled back by reverse sync: routed to the source, which
                                  takes its writes; its rows stay in the target, frozen,
                                  until purged (co_rollback_purge) */
    CO_LC_COUNT
} co_lifecycle;

/* The state's name as the journal keeps it ("rolled_back"); "?" when out of range. */
CO_API const char *co_lifecycle_name(co_lifecycle state);
/* The state of a name; false when name is none of them (then *out is untouched). */
CO_API bool co_lifecycle_parse(const char *name, co_lifecycle *out);
/* Whether name (may be NULL) names state. */
CO_API bool co_lifecycle_is(const char *name, co_lifecycle state);
/* Whether the lifecycle goes from one state to another (a state may always be
 * journaled again). */
CO_API bool co_lifecycle_allows(co_lifecycle from, co_lifecycle to);

/* The one way a tenant's state changes: journals `to` (with run_id, 0 for
 * none) when the lifecycle allows it from the tenant's current state, and
 * otherwise answers CO_ENOTREADY naming both states, journaling nothing. */
CO_API co_code co_state_tenant_move(co_state *st, const char *tenant, co_lifecycle to, int64_t run_id,
                                    co_error *err);
/* A tenant's state; CO_LC_NEW when the journal has none, CO_ESTATE when the
 * journal holds a name that is no state. */
CO_API co_code co_state_tenant_lifecycle(co_state *st, const char *tenant, co_lifecycle *out,
                                         co_error *err);
/* Reads a tenant's state into buf (size cap); "new" when the journal has none. */
CO_API co_code co_state_tenant_get(co_state *st, const char *tenant, char *buf, size_t cap,
                                   co_error *err);

/* Runs: a command's pass over one tenant. status: "running", "done", "failed". */
CO_API co_code co_state_run_begin(co_state *st, const char *tenant, const char *command,
                                  const char *project_hash, int64_t *run_id, co_error *err);
CO_API co_code co_state_run_end(co_state *st, int64_t run_id, const char *status,
                                const char *error_text, double seconds, co_error *err);

/* Steps of a run (one per entity load, purge, ...). */
CO_API co_code co_state_step_begin(co_state *st, int64_t run_id, const char *step,
                                   const char *entity, co_error *err);
CO_API co_code co_state_step_end(co_state *st, int64_t run_id, const char *step, const char *status,
                                 int64_t source_rows, int64_t loaded, int64_t rejected,
                                 double seconds, co_error *err);

/* Id maps: source key -> target key of an entity's rows for a tenant. Keys
 * are canonical JSON arrays (see util/key.h). Adds are buffered until
 * co_state_commit. */
CO_API co_code co_state_idmap_clear(co_state *st, const char *tenant, const char *entity,
                                    co_error *err);
CO_API co_code co_state_idmap_add(co_state *st, const char *tenant, const char *entity,
                                  const char *source_key, const char *target_key, co_error *err);
CO_API co_code co_state_idmap_delete(co_state *st, const char *tenant, const char *entity,
                                     const char *source_key, co_error *err);
/* The target key of one source key of a tenant's entity, as a heap string
 * for the caller to free, into *target; NULL when the id map has none. */
CO_API co_code co_state_idmap_target(co_state *st, const char *tenant, const char *entity,
                                     const char *source_key, char **target, co_error *err);
/* The source key whose row got target key target_key (the exact encoding
 * the id map holds), as a heap string for the caller to free; NULL when
 * none or several (rows merged into one) did. */
CO_API co_code co_state_idmap_source(co_state *st, const char *tenant, const char *entity,
                                     const char *target_key, char **source, co_error *err);
/* Streams (source_key, target_key) rows of one tenant and entity. */
CO_API co_code co_state_idmap_query(co_state *st, const char *tenant, const char *entity,
                                    co_cursor **out, co_error *err);

/* Merges: a source row that became part of another row (target_key), how
 * ("same": equal on the merge keys, "similar": scored at or above merge_at,
 * "decided": a person said so, "parent": its parent rows merged) and with
 * what score. Adds are buffered until co_state_commit. */
CO_API co_code co_state_merge_add(co_state *st, const char *tenant, const char *entity,
                                  const char *source_key, const char *target_key, const char *how,
                                  double score, co_error *err);
/* Forgets one merged row (its id map entry is co_state_idmap_delete's). */
CO_API co_code co_state_merge_delete(co_state *st, const char *tenant, const char *entity,
                                     const char *source_key, co_error *err);
/* Forgets the rows merged into the row target_key. */
CO_API co_code co_state_merges_delete_into(co_state *st, const char *tenant, const char *entity,
                                           const char *target_key, co_error *err);
CO_API co_code co_state_merges_clear(co_state *st, const char *tenant, const char *entity,
                                     co_error *err);

/* A person's decision on a pair of source rows: "merge" or "apart". The pair
 * is stored in key order, so (a, b) and (b, a) are one decision. */
CO_API co_code co_state_decision_set(co_state *st, const char *tenant, const char *entity,
                                     const char *key_a, const char *key_b, const char *decision,
                                     const char *origin, co_error *err);
/* Streams (key_a, key_b, decision) of one tenant and entity. */
CO_API co_code co_state_decisions_query(co_state *st, const char *tenant, const char *entity,
                                        co_cursor **out, co_error *err);

/* Leases: one process works on a tenant at a time. co_state_lease takes the
 * tenant for this process, or answers CO_EBUSY naming the holder (command,
 * pid, host, start). A lease whose process is gone (same host, no such pid)
 * is taken over. Leases nest within one journal (co_state); two journals
 * open in one process (the jobs of --jobs N) are two holders: the second
 * gets CO_EBUSY while the first holds the tenant. co_state_unlease gives one
 * back. Thread-safe across journals, one journal per thread. */
CO_API co_code co_state_lease(co_state *st, const char *tenant, const char *command, co_error *err);
CO_API co_code co_state_unlease(co_state *st, const char *tenant, co_error *err);

/* Rehearsals: status "pass", "fail" or "waived" (migrated without one). */
CO_API co_code co_state_rehearsal_record(co_state *st, const char *tenant, const char *project_hash,
                                         const char *status, const char *reasons, int64_t rows,
                                         int64_t rejected, double seconds, co_error *err);
/* Whether the tenant's last rehearsal of this project file passed. */
CO_API co_code co_state_rehearsal_passed(co_state *st, const char *tenant, const char *project_hash,
                                         bool *passed, co_error *err);

/* Routes: where applications find a tenant, "old" (the source) or "new" (the
 * target). A tenant with no row is on "old". switched_at and freeze_seconds
 * are kept from the switch. */
CO_API co_code co_state_route_set(co_state *st, const char *tenant, const char *route,
                                  double freeze_seconds, int64_t run_id, co_error *err);
CO_API co_code co_state_route_get(co_state *st, const char *tenant, char *route, size_t cap,
                                  co_error *err);
/* As co_state_route_get, with the time of the switch into switched_at (cap
 * at_cap; "" when none). */
CO_API co_code co_state_route_read(co_state *st, const char *tenant, char *route, size_t cap,
                                   char *switched_at, size_t at_cap, co_error *err);
/* A tenant of the journal with its route ("old" when it has none), the time
 * of its switch and its freeze (NULL when none); valid during the call. */
typedef struct co_route_row {
    const char *tenant;
    const char *route;
    const char *switched_at;
    const double *freeze_seconds;
} co_route_row;
/* Calls fn for each tenant of the journal, in no particular order; stops at
 * the first error fn returns. */
CO_API co_code co_state_routes_each(co_state *st,
                                    co_code (*fn)(void *ctx, const co_route_row *row, co_error *err),
                                    void *ctx, co_error *err);
/* How many tenants the journal knows: tenant's row (0 or 1), or all of them
 * when tenant is NULL. */
CO_API co_code co_state_tenants_count(co_state *st, const char *tenant, int64_t *n, co_error *err);

/* Catch-up progress: the last change of the source's change log applied. */
CO_API co_code co_state_applied_get(co_state *st, const char *tenant, int64_t *seq, co_error *err);
CO_API co_code co_state_applied_set(co_state *st, const char *tenant, int64_t seq, co_error *err);

/* Claims: workers sharing one journal take tenants one at a time. A claim
 * expires unless renewed; an expired claim (its worker died) is taken over,
 * and a lease held on another machine for a tenant whose claim expired is
 * stale (co_state_lease). On PostgreSQL the claim uses SELECT ... FOR
 * UPDATE SKIP LOCKED; on SQLite the write transaction serializes claims.
 * co_state_claim sets *tenant (cap bytes) to "" when nothing is left. */
CO_API co_code co_state_claim(co_state *st, const char *worker, int lease_seconds, char *tenant,
                              size_t cap, co_error *err);
CO_API co_code co_state_claim_renew(co_state *st, const char *tenant, const char *worker,
                                    int lease_seconds, co_error *err);
CO_API co_code co_state_claim_end(co_state *st, const char *tenant, const char *worker,
                                  const char *status, co_error *err);

/* Rejects: one row per rejected source row, beside the JSON Lines file. */
CO_API co_code co_state_rejects_clear(co_state *st, const char *tenant, co_error *err);
CO_API co_code co_state_reject_add(co_state *st, int64_t run_id, const char *tenant,
                                   const char *entity, const char *key, const char *rule,
                                   const char *reason, co_error *err);

/* The journal's identity and soundness (state/identity.c). */

/* The journal's uuid into out (37 bytes), made when first asked for. It is
 * written beside cutover's traces on the source and the target
 * (cutover/traces.h), so that another journal sees whose they are. */
CO_API co_code co_state_journal_id(co_state *st, char out[37], co_error *err);
/* Before opening: a SQLite journal file that exists must not be empty (0
 * bytes): CO_ESTATE naming it, never a new journal in its place. */
CO_API co_code co_state_file_check(const char *uri, const char *base_dir, co_error *err);
/* After opening: a SQLite file with tables but no setup table is another
 * database, not a journal: CO_ESTATE naming it. */
CO_API co_code co_state_is_journal(co_state *st, co_error *err);

/* The schema fingerprint of a tenant's passing rehearsal (state/schemas.c;
 * cutover/rehearse.h makes and compares them). co_state_schema_get sets
 * *fingerprint (free() it) to NULL when none was recorded for this project
 * file's hash. */
CO_API co_code co_state_schema_record(co_state *st, const char *tenant, const char *project_hash,
                                      const char *fingerprint, co_error *err);
CO_API co_code co_state_schema_get(co_state *st, const char *tenant, const char *project_hash,
                                   char **fingerprint, co_error *err);

/* ---- Rows of no tenant (the orphans table) ----
 * The last accounting of the source rows that no tenant's query returns, as
 * `verify --all` or `audit` counted it (verify.h, co_orphans_count): one row
 * per source table read (kind "table": rows is all its rows) and one per
 * group of rows of no tenant (kind "null" or "unknown"). */
typedef struct co_state_orphan {
    const char *counted_at;  /* ISO time of the accounting (set on read) */
    const char *origin;      /* "verify" or "audit" */
    const char *table;       /* the source table */
    const char *column;      /* its tenant column */
    const char *kind;        /* "table", "null" or "unknown" */
    int64_t rows;
    int64_t values;          /* distinct values naming no tenant ("unknown"), else 0 */
    const char *examples;    /* JSON [{"key": [...], "tenant": v}], or NULL */
    int rule;                /* the orphans rule leaving them out (1-based), or 0 */
    const char *reason;      /* that rule's reason, or NULL */
} co_state_orphan;

/* Replaces the recorded accounting with these n rows (counted_at is set
 * here), in one transaction. */
CO_API co_code co_state_orphans_replace(co_state *st, const char *origin, const co_state_orphan *rows,
                                        size_t n, co_error *err);
typedef co_code (*co_state_orphan_fn)(void *ctx, const co_state_orphan *row, co_error *err);
/* Hands fn each recorded row, tables first, then the groups by table and
 * kind; the strings live until fn returns. No row: nothing was counted yet. */
CO_API co_code co_state_orphans_each(co_state *st, co_state_orphan_fn fn, void *ctx, co_error *err);

/* ---- Shadow reads (parity_runs, parity_checks; state/parity.c) ----
 * Each `cutover parity` run of a tenant, and each question it asked with one
 * set of parameters: both sides' row counts and times, and for a mismatch
 * the rows found on one side only (docs/coexistence.md). */
typedef struct co_state_parity_check {
    const char *query;       /* the parity query's name */
    const char *params;      /* JSON object of the parameters bound, or NULL */
    const char *outcome;     /* "pass", "rows" (the result sets differ), "order" (same rows,
                                another order), "columns" (another number of columns),
                                "budget" (the new side over its budget), "error" */
    int64_t old_rows, new_rows;
    double old_seconds, new_seconds;
    double budget;           /* seconds; 0: none */
    int64_t old_only, new_only; /* rows found on one side only */
    const char *detail;      /* what differs, in words, or NULL */
    const char *samples;     /* JSON {"columns": [...], "old_only": [[...]], "new_only": [[...]]},
                                or NULL */
} co_state_parity_check;

/* A recorded run: when, and whether every check passed. */
typedef struct co_state_parity_run {
    int64_t id;
    char at[32];             /* ISO time */
    int64_t checks, failed;
    bool pass;
    int64_t mismatches;      /* rows found on one side only, over every check */
} co_state_parity_run;

/* Journals one run of tenant's parity checks (pass when none failed) in one
 * transaction; *run_id gets its id. */
CO_API co_code co_state_parity_record(co_state *st, const char *tenant, const char *project_hash,
                                      double seconds, const co_state_parity_check *checks,
                                      size_t n, int64_t *run_id, co_error *err);
/* The tenant's latest parity run into *out; *found false when it has none. */
CO_API co_code co_state_parity_latest(co_state *st, const char *tenant, co_state_parity_run *out,
                                      bool *found, co_error *err);
typedef co_code (*co_state_parity_fn)(void *ctx, const co_state_parity_check *row, co_error *err);
/* Hands fn each check of run run_id in the order recorded; the strings live
 * until fn returns. */
CO_API co_code co_state_parity_checks_each(co_state *st, int64_t run_id, co_state_parity_fn fn,
                                           void *ctx, co_error *err);

#endif
