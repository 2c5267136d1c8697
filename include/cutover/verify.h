/*
 * verify.h: proving that a tenant arrived whole, or showing exactly what did
 * not. Mapping-aware reconciliation, per entity:
 *
 *   reconcile  source rows = loaded + rejected, against the journal and now
 *   content    expected rows (the entity query on the source, less the rows
 *              rejected with a reason) against the target's rows of the
 *              tenant, by key: content hashes of key ranges are compared in
 *              the databases and only differing ranges are bisected, so one
 *              changed row among millions is found without fetching them all
 *   volume     rows per group and calendar month, source against target,
 *              within a tolerance (entities with a `volume` rule)
 *   integrity  in the target: keys unique, references resolve within the
 *              tenant, NOT NULL and declared lengths hold, the UNIQUE, CHECK
 *              and FOREIGN KEY constraints the target declares hold, no row
 *              of another tenant (or of no tenant) among the tenant's rows
 *
 * Values are compared as the target stores them: in the canonical form of
 * the target column's declared type (util/canon.h).
 *
 * A failed check is a result, not an error: co_verify_tenant returns CO_OK
 * with res->pass false. Errors are for databases that fail. docs/verify.md
 * says what each check and finding means.
 */
#ifndef CUTOVER_VERIFY_H
#define CUTOVER_VERIFY_H

#include "cutover/migrate.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum co_check_kind {
    CO_CHECK_RECONCILE,
    CO_CHECK_CONTENT,
    CO_CHECK_VOLUME,
    CO_CHECK_INTEGRITY,
} co_check_kind;

/* "reconcile", "content", "volume", "integrity". */
CO_API const char *co_check_name(co_check_kind k);

typedef struct co_finding {
    co_check_kind check;
    char *entity;
    char *kind;   /* missing, extra, changed, duplicate, count, volume, duplicate_key,
                     dangling_ref, foreign_tenant, null, too_long, foreign_key, unique,
                     check */
    char *key;    /* the canonical key (or volume group) as JSON, or NULL */
    char *detail; /* a JSON object with the specifics (columns and both values, counts) */
} co_finding;

/* How many findings of one kind a check made: all of them, not only the
 * sample kept. */
typedef struct co_kind_count {
    char kind[24];
    int64_t count;
} co_kind_count;

#define CO_VERIFY_MAX_KINDS 8

/* options.sample for every finding (kept in memory: use it knowingly). */
#define CO_VERIFY_SAMPLE_ALL SIZE_MAX

typedef struct co_check_result {
    char *entity;
    co_check_kind check;
    bool pass;
    int64_t expected;    /* rows (or groups) expected */
    int64_t actual;      /* rows (or groups) found */
    int64_t differences; /* all findings, also those beyond the sample */
    int64_t fetched;     /* rows this check brought across a connection */
    char *summary;       /* one line for people */
    co_kind_count kinds[CO_VERIFY_MAX_KINDS]; /* findings per kind, beyond the sample too */
    size_t nkinds;
} co_check_result;

/* Rows per calendar month of an entity with a `volume` rule, over its window:
 * the source's expected rows (the entity query less rejected rows) against
 * the target's rows of the tenant. Kept for charts; the volume check judges. */
typedef struct co_volume_month {
    char *entity;
    char month[8];   /* YYYY-MM */
    int64_t source;
    int64_t target;
} co_volume_month;

typedef struct co_verify_result {
    char *tenant;
    int64_t run_id;
    bool pass;
    co_check_result *checks;
    size_t nchecks;
    co_finding *findings; /* at most `sample` per entity and check */
    size_t nfindings;
    co_volume_month *months; /* entities with a volume rule, by entity then month */
    size_t nmonths;
    int64_t rows_compared; /* expected rows covered by the content check */
    int64_t rows_fetched;  /* rows that crossed a connection to cutover */
    double seconds;
} co_verify_result;

/* A set of rows per entity: for a verification limited to the rows that
 * changed since a full one (the zero-downtime cutover verifies the whole
 * tenant before the freeze and, inside it, only what changed since). An
 * entity's rows are those whose columns equal one of the value tuples added
 * for it, or all of them once it is marked whole; an entity with nothing
 * added is untouched. */
typedef struct co_verify_scope co_verify_scope;

CO_API co_verify_scope *co_verify_scope_new(const co_project *p);
CO_API void co_verify_scope_free(co_verify_scope *s);
/* Adds the rows of entity whose n columns equal vals. */
CO_API co_code co_verify_scope_add(co_verify_scope *s, size_t entity, const char *const *cols,
                                   size_t n, const co_value *vals, co_error *err);
/* Every row of the entity. */
CO_API void co_verify_scope_whole(co_verify_scope *s, size_t entity);
/* Adds every row of from to s. */
CO_API co_code co_verify_scope_merge(co_verify_scope *s, const co_verify_scope *from,
                                     co_error *err);
/* Row tuples held for the entity (SIZE_MAX when whole, 0 when untouched). */
CO_API size_t co_verify_scope_count(const co_verify_scope *s, size_t entity);

typedef struct co_verify_options {
    size_t sample; /* findings kept per entity and check; 0 means 10,
                      CO_VERIFY_SAMPLE_ALL every one (the journal keeps at
                      most CO_VERIFY_STORED_MAX of them per check) */
    co_progress_fn progress; /* after each entity (rows: its expected rows); may be NULL.
                                A rehearsal also reports its load through it. */
    void *progress_ctx;
    bool count_rows; /* a rehearsal: count each entity's rows before its load, for totals */
    /* When set, the key of every row found different (beyond the sample
     * too) is added here: what a later scoped verification must look at. */
    co_verify_scope *differences;
    /* When set, only these rows are compared and checked; every other row
     * was proven by the full verification run since_run, and untouched
     * entities are reported as such. Counts (reconcile) stay whole. */
    const co_verify_scope *scope;
    int64_t since_run;
    /* A verification inside a longer step: the tenant's state is left as it is. */
    bool keep_state;
    /* When set (the source's tenants), the integrity check also reports the
     * target rows, of every entity with a tenant column, whose tenant value
     * is none of these (foreign_tenant): rows that belong to no tenant. They
     * are nobody's rows, so a command looks for them once, with the first
     * tenant it verifies. */
    const co_tenant *known_tenants;
    size_t nknown_tenants;
} co_verify_options;

#define CO_VERIFY_STORED_MAX 1000

/* Verifies one tenant in s's destination and records the result in the
 * journal (a "verify" run). A tenant that was migrated becomes "verified" or
 * "verify_failed"; one already switched (or rolled back, or finalized) keeps
 * its lifecycle state, and the result is only the run's. */
CO_API co_code co_verify_tenant(co_session *s, const co_tenant *t, const co_verify_options *opt,
                                co_verify_result *res, co_error *err);
CO_API void co_verify_result_release(co_verify_result *r);

/* The result as one JSON object (heap; free() it), or NULL when out of memory. */
CO_API char *co_verify_result_json(const co_verify_result *r);
/* The first max findings of r as the JSON array verify --json lists them in
 * ({"entity", "check", "kind", "key", "detail"}; heap; free() it), or NULL
 * when out of memory. */
CO_API char *co_verify_findings_json(const co_verify_result *r, size_t max);

/* ---- Every source row accounted for (src/verify/orphans.c) ----
 * The source tables that the entity queries read, each with its tenant
 * column: found in the query (one table read, filtered by COLUMN = :tenant)
 * or declared (source_table, source_tenant_column). Their rows that no
 * tenant's query returns, because the tenant value is NULL or names no
 * tenant of the tenants query, are counted exactly, with example keys, and
 * matched against the project's `orphans` rules (docs/verify.md). */

typedef struct co_orphan_group {
    char *table;         /* the source table */
    char *column;        /* its tenant column */
    bool is_null;        /* rows whose tenant value is NULL; else values naming no tenant */
    int64_t rows;        /* all of them */
    int64_t values;      /* distinct values naming no tenant (0 for NULL) */
    char *examples;      /* JSON: [{"key": [...], "tenant": v}], at most 5 */
    int rule;            /* the orphans rule (index in the project) that leaves them out, or -1 */
} co_orphan_group;

typedef struct co_orphan_source {
    char *table;         /* a source table the entities read */
    char *column;        /* its tenant column */
    char *entities;      /* the entities reading it, "contacts, contact_tags" */
    bool declared;       /* from source_table, not found in a query */
    int64_t rows;        /* all rows of the table */
} co_orphan_source;

typedef struct co_orphans {
    co_orphan_source *sources;
    size_t nsources;
    co_orphan_group *groups; /* by table, NULL first, then by rule */
    size_t ngroups;
    char **unaccounted;  /* "entity: why" for entities whose table could not be told */
    size_t nunaccounted;
    int64_t rows;        /* rows of no tenant that no rule leaves out: findings */
    int64_t excluded;    /* rows a rule leaves out */
    double seconds;      /* the time the counting took */
} co_orphans;

/* Counts, in s's source, the rows of no tenant of every table the entities
 * read; tenants are the tenants query's (all of them). */
CO_API co_code co_orphans_count(co_session *s, const co_tenant *tenants, size_t ntenants,
                                co_orphans *out, co_error *err);
CO_API void co_orphans_release(co_orphans *o);
/* The accounting as one JSON object (heap; free() it), or NULL when out of
 * memory: {"rows", "excluded", "sources": [...], "groups": [...],
 * "unaccounted": [...]}; an excluded group names its rule ("rule": {"index",
 * "line", "reason"}). */
CO_API char *co_orphans_json(const co_orphans *o, const co_project *p);
/* Keeps the accounting in the journal (the orphans table, state.h) in place
 * of the one before, for the report and the dashboard; origin says which
 * command counted ("verify", "audit"). */
CO_API co_code co_orphans_record(co_session *s, const co_orphans *o, const char *origin,
                                 co_error *err);

#endif
