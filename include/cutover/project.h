/*
 * project.h: cutover.yaml, parsed and validated into a co_project.
 *
 * The project file names the connections (source, target, staging, state),
 * the query that lists tenants, and the entities: target tables, each filled
 * by a SQL query over the source with :tenant bound per run. docs/project-file.md
 * is the reference for every key. Parsing never prints: every problem comes
 * back as a co_error whose `where` is "FILE:LINE:COLUMN".
 */
#ifndef CUTOVER_PROJECT_H
#define CUTOVER_PROJECT_H

#include "cutover/buf.h"
#include "cutover/error.h"

#include <stdbool.h>
#include <stddef.h>

/* A position in the project file, 1-based; line 0 when unknown. */
typedef struct co_mark {
    int line;
    int column;
} co_mark;

/* refs: a column of the entity's rows that holds a key of an earlier entity;
 * it is remapped through that entity's id map, and a value with no match
 * makes the row a reject. */
typedef struct co_ref {
    char *column;
    char *entity;
    co_mark mark;
} co_ref;

/* volume: how verification compares the number of rows per group and calendar
 * month, source against target (for behavioural data: per person, per event,
 * per month). */
typedef struct co_volume {
    char **by;          /* group columns of the query's output, at least one */
    size_t nby;
    char *time;         /* the timestamp column (ISO-8601 text) */
    int months;         /* calendar months back from the current one; default 9 */
    double tolerance;   /* allowed difference per group and month; default 0 */
    bool relative;      /* tolerance is a fraction of the larger count ("0.5%") */
    co_mark mark;
} co_volume;

/* verify.round: a real column compared after rounding to `digits` decimals. */
typedef struct co_rounding {
    char *column;
    int digits;
} co_rounding;

/* duplicates: a column and how it is normalized before rows are compared
 * (audit counts rows sharing all the normalized values of an entity's rule). */
typedef enum co_normalizer { CO_NORM_CASEFOLD, CO_NORM_EMAIL, CO_NORM_DOMAIN, CO_NORM_NAME } co_normalizer;

typedef struct co_dup_column {
    char *column;
    co_normalizer norm;
} co_dup_column;

/* One named duplicates rule. Rows whose normalized columns are all equal form
 * a cluster. The rows compared are the entity's, or those of the rule's own
 * query (SQL over the source, :tenant bound) when the values to compare are
 * not in the entity's output, as when the entity already normalizes them;
 * such a rule's examples are the values of its query's first column. */
typedef struct co_dup_rule {
    char *name;             /* the old single form is named after its columns ("email") */
    co_dup_column *columns; /* in file order */
    size_t ncolumns;
    char *query;            /* NULL: the entity's rows */
    co_mark mark;
} co_dup_rule;

/* follows: the entity's rows depend on a captured source table; when a row of
 * it changes, the entity's rows whose `columns` equal the row's `keys` are
 * loaded again (all the tenant's rows when there are no columns). */
typedef struct co_follow {
    char *table;
    char **columns; /* entity columns */
    char **keys;    /* the captured table's key columns, one per entity column */
    size_t n;
} co_follow;

/* reverse: how a row of the entity goes back into a source table when a
 * switched tenant is rolled back: source columns from entity columns. */
typedef struct co_reverse {
    char *table;
    char **key_source, **key_entity;   /* the source table's key, from entity columns */
    size_t nkey;
    char **col_source, **col_entity;   /* the other columns carried back */
    size_t ncols;
    /* source columns set only when a row the source lacks is inserted (the
     * new system created it), each from SQL over the target row: what the
     * old system needs that the new one keeps elsewhere; a row the source
     * has keeps their values */
    char **ins_source, **ins_sql;
    size_t nins;
} co_reverse;

/* merge: rows of one tenant that are the same thing become one row.
 * Survivorship rules say where each column of the merged row comes from. */
typedef enum co_rule_kind {
    CO_RULE_SURVIVOR, /* the survivor row's value (the default) */
    CO_RULE_FIRST,    /* the first non-NULL value, in key order */
    CO_RULE_LATEST,   /* the newest non-NULL value by the timestamp column arg */
    CO_RULE_EARLIEST, /* the oldest non-NULL value by the timestamp column arg */
    CO_RULE_MAX,
    CO_RULE_MIN,
    CO_RULE_PREFER,   /* the first non-NULL value of a row where the SQL condition arg holds */
    CO_RULE_UNION,    /* list values split on arg (default ";"), united, first spelling kept */
    CO_RULE_CONCAT,   /* the distinct non-NULL values joined with arg (default " | ") */
} co_rule_kind;

typedef struct co_merge_rule {
    char *column;     /* NULL for survivor and keep */
    co_rule_kind kind;
    char *arg;        /* timestamp column, SQL condition or separator; may be NULL */
    co_mark mark;
} co_merge_rule;

/* similar.compare: a SQL expression over the entity's columns, compared
 * between the two rows of a candidate pair. */
typedef struct co_merge_compare {
    char *expr;
    char *name;       /* shown to people (review files); defaults to expr */
    char *by;         /* a comparison the linker knows (exact, jaro_winkler, ...) */
    double weight;    /* default 1 */
    double floor;     /* similarity that earns nothing; 0 = the comparison's default,
                         -1 = none ("floor: none") */
    double agree_at;  /* from here the field "agrees" in review files; 0 = default */
    double scale;     /* number: the difference that is wholly different; date: days */
    co_mark mark;
} co_merge_compare;

typedef struct co_merge {
    char **on;        /* SQL expressions: rows equal on all of them (none NULL or '') merge */
    size_t non;
    co_merge_rule survivor; /* whose key the merged row keeps: MIN (default), MAX, LATEST, EARLIEST */
    co_merge_rule keep;     /* the rule of columns not listed; default SURVIVOR */
    co_merge_rule *columns;
    size_t ncolumns;
    char **blocks;    /* similar.blocks: SQL expressions; rows sharing one are compared */
    size_t nblocks;
    co_merge_compare *compare;
    size_t ncompare;
    double review_at; /* similar pairs scored from here go to review (default 0.8) */
    double merge_at;  /* and from here merge without asking (default 0.95) */
    co_mark mark;
} co_merge;

typedef struct co_entity {
    char *name;          /* unique among entities */
    char *target;        /* target table; defaults to name */
    char **key;          /* key columns of the query's output, at least one */
    size_t nkey;
    char *query;         /* SQL over the source; may use :tenant */
    co_ref *refs;
    size_t nrefs;
    char *tenant_column; /* target column holding the tenant key, or NULL */
    char *target_key;    /* target column the target fills (identity, sequence, UUID), or
                          * NULL: rows keep their source key */
    co_volume *volume;   /* NULL when the entity has no volume rule */
    co_rounding *rounding; /* verify.round, in file order */
    size_t nrounding;
    co_dup_rule *duplicates; /* the audit's duplicates rules, in file order */
    size_t nduplicates;
    co_follow *follows;  /* captured tables this entity's rows come from */
    size_t nfollows;
    co_reverse *reverse; /* NULL when the entity's rows are not carried back */
    co_merge *merge;     /* NULL when rows are never merged */
    /* The source table whose rows the entity reads, and its column holding
     * the tenant key: where cutover cannot find them in the query (one
     * table filtered by COLUMN = :tenant), for the accounting of rows of no
     * tenant (docs/project-file.md, "orphans"). NULL when not declared. */
    char *source_table;
    char *source_tenant_column;
    co_mark mark;        /* where the entity starts */
    co_mark query_mark;  /* where its query starts */
} co_entity;

/* capture: a source table whose writes are recorded while a tenant is in
 * flight. tenant is SQL giving a row's tenant, with {row} standing for the
 * row (cutover writes NEW or OLD). */
typedef struct co_capture_table {
    char *table;
    char **key;
    size_t nkey;
    char *tenant;
    co_mark mark;
} co_capture_table;

/* events.sources: a table of raw behavioural events on any store. Column
 * names default to person, account, event, occurred_at, properties. */
typedef struct co_event_source {
    char *name;
    char *uri;
    char *table;
    char *person;
    char *account;
    char *event;
    char *time;
    char *properties;
    co_mark mark;
} co_event_source;

/* Hooks: executables run at a phase of a tenant's cutover. */
typedef enum co_hook_phase {
    CO_HOOK_BEFORE_COPY,
    CO_HOOK_ON_FREEZE,
    CO_HOOK_ON_SWITCH,
    CO_HOOK_ON_ROLLBACK,
    CO_HOOK_ON_FAILURE,
    CO_HOOK_ON_ALERT,   /* cutover monitor flagged something (docs/monitor.md) */
    CO_HOOK_COUNT
} co_hook_phase;

/* monitor.volumes: an entity whose rows per day are watched after a switch,
 * in total and, with `by`, per value of that column (an event's kind). time
 * and by name columns of the entity's query output and of its target table. */
typedef struct co_monitor_volume {
    char *entity;
    char *time;
    char *by;           /* NULL: the total only */
    co_mark mark;
} co_monitor_volume;

/* monitor: post-switch monitoring (docs/monitor.md). */
typedef struct co_monitor_spec {
    int days;           /* the monitoring period after a switch; default 7 */
    int weeks;          /* baseline: the same weekday over this many weeks before; default 4 */
    double tolerance;   /* allowed deviation from the baseline, a fraction; default 0.5 */
    double min_baseline;/* days whose baseline is below this many rows are not judged; default 5 */
    co_monitor_volume *volumes;
    size_t nvolumes;
} co_monitor_spec;

/* budgets: a query the new application runs often, timed on the target (or
 * staging) for a tenant, :tenant bound. */
typedef struct co_budget_query {
    char *name;
    char *sql;
    double budget;      /* seconds the 95th percentile may take; default 1 */
    int repeat;         /* timed runs after one warm-up run; default 5 */
    co_mark mark;
} co_budget_query;

/* approvals: a step that waits for a second person's approval, for every
 * subject (all) or only tenants of the listed size classes. */
typedef struct co_approval_rule {
    char *step;         /* "switch", "finalize", "publish_model", ... */
    bool all;
    char **sizes;       /* size classes of the audit (S, M, L, XL) when !all */
    size_t nsizes;
    co_mark mark;
} co_approval_rule;

/* parity: one read question of the application, asked of both systems for a
 * tenant (docs/coexistence.md, "Shadow reads"): old over the source, new
 * over the target, each with :tenant bound, the answers compared as result
 * sets. */
typedef struct co_parity_query {
    char *name;
    char *old_sql;        /* over the source */
    char *new_sql;        /* over the target */
    char **param_names;   /* params: fixed values bound as :NAME on both sides */
    char **param_values;
    size_t nparams;
    char *each;           /* SQL over the source (:tenant bound): the question is asked
                           * once per row (the first CO_PARITY_EACH_MAX), its columns
                           * bound as :COLUMN; NULL: asked once */
    char **type_columns;  /* types: output column: its declared type, for comparing
                           * values typed (as verify does); other columns by the type
                           * of the new side's values */
    char **type_names;
    size_t ntypes;
    double budget;        /* seconds the new side may take; 0: no budget */
    co_mark mark;
} co_parity_query;

#define CO_PARITY_EACH_MAX 20

/* parity: the read questions and what a passing run means. */
typedef struct co_parity_spec {
    double max_age;       /* a read share above 0 needs a passing run this recent
                             (seconds); default 3600 */
    int samples;          /* sample rows journaled per side of a mismatch; default 5 */
    int max_rows;         /* rows read per side of one question; default 10000 */
    co_parity_query *queries;
    size_t nqueries;
} co_parity_spec;

/* orphans: source rows that belong to no tenant (their tenant value is NULL,
 * or names no tenant of the tenants query), left behind on purpose, with a
 * reason. A rule with no table covers every table; with no tenant_value, both
 * kinds of row. Rows no rule covers are findings of `cutover verify --all`. */
typedef struct co_orphan_rule {
    char *table;        /* a source table, or NULL for every one */
    bool nulls;         /* covers rows whose tenant value is NULL */
    bool unknown;       /* covers every non-NULL value that names no tenant */
    char **values;      /* ... or only these values (as text) */
    size_t nvalues;
    char *reason;
    co_mark mark;
} co_orphan_rule;

typedef struct co_project {
    char *path;          /* as given to co_project_load */
    char *dir;           /* its directory: relative sqlite: paths resolve here */
    char *source;        /* connection URIs, as written */
    char *target;
    char *staging;       /* NULL when not given */
    char *state;         /* defaults to "sqlite:.cutover/state.db" */
    char *tenants_query; /* SELECT key, label ...: one row per tenant */
    co_entity *entities; /* in load order */
    size_t nentities;
    size_t batch_size;   /* rows per target transaction; default 50000 */
    size_t pushdown_chunk_rows; /* rows per push-down chunk (one INSERT ... SELECT and
                                   target transaction); 0, the default: batch_size */
    size_t purge_chunk_rows; /* rows per target transaction of the purge that a rollback by
                                reverse sync leaves (purge_pending); default 50000 */
    char *rejects_dir;   /* where reject files go; default ".cutover/rejects" */
    co_capture_table *capture; /* tables captured during a cutover */
    size_t ncapture;
    char *hooks[CO_HOOK_COUNT]; /* command per phase, or NULL */
    int retention_days;  /* the undo stays open this long after a switch; default 30 */
    int freeze_heartbeat_seconds; /* a freeze refuses writes only this long after cutover's
                                     last heartbeat for the tenant; default 5 */
    int reads_max_lag_seconds; /* a syncing tenant's reads move to the new system only
                                  while its sync lag is under this; default 5 */
    char hash[17];       /* XXH3-64 of the file's bytes, 16 hex digits */
    co_monitor_spec monitor;   /* after the switch (docs/monitor.md) */
    co_budget_query *budgets;  /* query budgets, in file order */
    size_t nbudgets;
    co_approval_rule *approvals; /* steps that need a second person */
    size_t napprovals;
    co_orphan_rule *orphans;   /* rows of no tenant left behind on purpose, in file order */
    size_t norphans;
    co_parity_spec parity;     /* shadow reads (docs/coexistence.md) */
    /* events: behavioural-data sources and the limits of their comparison
     * (docs/scoring.md). */
    struct co_event_source *event_sources;
    size_t nevent_sources;
    double events_tolerance;  /* volumes: allowed relative difference; default 0.05 */
    double similar_auc_delta; /* models: largest |AUC difference|; default 0.02 */
    double similar_psi;       /* models: PSI must stay below; default 0.1 */
    double similar_spearman;  /* models: Spearman at least; default 0.9 */
} co_project;

/* Reads and validates the file at path. On success *out is a new project the
 * caller frees with co_project_free. */
CO_API co_code co_project_load(const char *path, co_project **out, co_error *err);

/* The same from text in memory; name is used in error positions and dir is the
 * directory relative paths resolve against. */
CO_API co_code co_project_parse(const char *text, size_t len, const char *name, const char *dir,
                                co_project **out, co_error *err);

CO_API void co_project_free(co_project *p);

/* The entity with that name, or NULL. */
CO_API const co_entity *co_project_entity(const co_project *p, const char *name);

/* The target column that identifies a row of e in the target and that refs to
 * e receive: its target_key, or else its (first) key column. */
CO_API const char *co_entity_target_column(const co_entity *e);

/* Index of an entity in p->entities, or -1. */
CO_API int co_project_entity_index(const co_project *p, const char *name);

/* "before_copy", "on_freeze", ... */
CO_API const char *co_hook_name(co_hook_phase phase);

/* The capture entry of a source table, or NULL. */
CO_API const co_capture_table *co_project_capture(const co_project *p, const char *table);

/* The approval rule of a step, or NULL when the step needs none. */
CO_API const co_approval_rule *co_project_approval(const co_project *p, const char *step);

/* A commented starter project file, for `cutover init`. Static storage. */
CO_API const char *co_project_starter(void);

/* A starter project file made from an existing source and target, for
 * `cutover init --source URI --target URI`, appended to out: one entity per
 * target table (parents before the tables whose foreign keys name them), its
 * query reading the same-named source table's columns that match the
 * target's by name, filtered by the tenant column guessed from the source;
 * what cutover could not match is marked with "TODO" comments for the user.
 * The URIs are written as given. */
struct co_store;
CO_API co_code co_project_starter_from(struct co_store *source, struct co_store *target,
                                       const char *source_uri, const char *target_uri, co_buf *out,
                                       co_error *err);

/* The event source with that name, or NULL. */
CO_API const co_event_source *co_project_event_source(const co_project *p, const char *name);

#endif
