/*
 * audit.h: knowing the data before moving it. The audit reads the source
 * (never writes it) and reports, per column of every source table, how it is
 * filled and what it holds; which columns the mapping never reads and which
 * are (almost) never filled; per entity and tenant, the rows the target would
 * refuse (limits, NOT NULL, types, references) with example keys; duplicate
 * clusters by normalized key; and per tenant its size and a size class. The
 * plan groups tenants into cohorts, a small low-risk canary first.
 */
#ifndef CUTOVER_AUDIT_H
#define CUTOVER_AUDIT_H

#include "cutover/migrate.h"

#include <stdbool.h>
#include <stdint.h>

/* What the audit is asked to flag; co_audit_options_init gives the defaults. */
typedef struct co_audit_options {
    double zombie_below; /* a column filled in fewer than this share of rows is a zombie (0.01) */
    int64_t many_rows;   /* a parent key with at least this many rows of one entity, and at
                            least 10 times the tenant's median, is an outlier (50) */
    /* The source rows of no tenant (verify.h, co_orphans_count), shown by the
     * JSON and the HTML page when set; NULL by default. */
    const struct co_orphans *orphans;
} co_audit_options;

CO_API void co_audit_options_init(co_audit_options *opt);

/* ---- column profiles (src/audit/profile.c) ---- */

typedef struct co_column_profile {
    char *table;
    char *column;
    char *decl_type;        /* as declared, "" when none */
    int64_t rows;           /* rows of the table */
    int64_t nulls;
    int64_t empties;        /* '' or only blanks */
    int64_t distinct;       /* estimate (HyperLogLog), bounded memory */
    int64_t min_len, max_len;
    double avg_len;         /* over non-NULL values, in bytes */
    char *min_value;        /* shortened text forms, NULL when the column is all NULL */
    char *max_value;
    char *top_values;       /* JSON: [{"value": v, "count": n}, ...] at most 5, most frequent */
    char *apparent_type;    /* integer, real, date, email, text, blob, or empty */
    int64_t type_failures;  /* filled values that do not fit the apparent type (or bad UTF-8) */
    char *failure_examples; /* JSON: [{"rowid": n, "value": v, "why": "..."}] at most 3 */
    bool mapped;            /* some entity query reads it */
    bool zombie;            /* filled in fewer than zombie_below of rows (default 1%) */
    char *last_filled;      /* newest value of the table's timestamp column among rows where
                               this column is filled; NULL when unknown */
} co_column_profile;

/* Profiles every column of every table of the source (sqlite_% excluded) in
 * bounded memory, reading each table once. mapped is set from the columns the
 * project's entity queries read. opt may be NULL (the defaults). The caller
 * frees with co_profiles_free. */
CO_API co_code co_audit_profiles(co_store *source, const co_project *p, const co_audit_options *opt,
                                 co_column_profile **out, size_t *n, co_error *err);
CO_API void co_profiles_free(co_column_profile *profiles, size_t n);

/* ---- per tenant (src/audit/tenant.c) ---- */

typedef struct co_limit_finding {
    char *entity;
    char *rule;     /* not_null, check, type, duplicate_key, too_big, invalid_utf8, ref_missing, ... */
    char *reason;   /* the first reason seen */
    int64_t rows;   /* rows of this entity and tenant the target would refuse for it */
    char *examples; /* JSON array of up to 3 keys */
} co_limit_finding;

typedef struct co_duplicate_cluster {
    char *entity;
    char *rule;      /* the duplicates rule's name */
    char *key;       /* the normalized key shared */
    int64_t members; /* rows sharing it */
    char *examples;  /* JSON array of up to 5 source keys */
} co_duplicate_cluster;

/* Clusters of one duplicates rule in one tenant. */
typedef struct co_duplicate_rule_count {
    char *entity;
    char *rule;
    int64_t clusters;
} co_duplicate_rule_count;

/* Rows of an entity per value of one of its refs columns (per parent key):
 * a contact with 94 tags is 94 rows of contact_tags for one contact_id. */
typedef struct co_fanout {
    char *entity;
    char *column;      /* the refs column */
    char *parent;      /* the entity it refers to */
    int64_t parents;   /* distinct non-NULL values */
    int64_t median, max;
    int64_t threshold; /* max(many_rows, 10 x median) */
    int64_t outliers;  /* parent keys with at least threshold rows */
    char *top;         /* JSON [{"key": k, "rows": n}]: the 3 largest */
    char *examples;    /* JSON [{"key": k, "rows": n}]: up to 20 outliers, largest first */
} co_fanout;

/* The longest values of one column of an entity's output (text in
 * characters, blobs in bytes), with their keys. */
typedef struct co_longest {
    char *entity;
    char *column;
    int64_t length;    /* the longest */
    char *examples;    /* JSON [{"key": [...], "length": n}]: up to 3, longest first */
} co_longest;

typedef struct co_tenant_audit {
    char *tenant;
    char *label;
    int64_t rows;          /* over all entities */
    int64_t bytes;         /* of the values the entity queries return */
    int64_t *entity_rows;  /* per entity, in project order */
    size_t nentities;
    char size_class[3];    /* S, M, L, XL (bounds in docs/audit.md) */
    double est_seconds;    /* from measured throughput, or the stated default */
    bool est_measured;     /* est_seconds comes from earlier runs */
    co_limit_finding *limits;
    size_t nlimits;
    int64_t limit_rows;    /* rows the target would refuse */
    co_duplicate_cluster *duplicates; /* at most 20 shown per rule */
    size_t nduplicates;
    int64_t duplicate_clusters;       /* all of them, all rules */
    co_duplicate_rule_count *dup_rules; /* per rule, in project order */
    size_t ndup_rules;
    co_fanout *fanouts;               /* per entity and refs column */
    size_t nfanouts;
    int64_t outlier_keys;             /* parent keys flagged over all fanouts */
    co_longest *longest;              /* per entity and text or blob column */
    size_t nlongest;
    bool limits_checked;              /* false: limits could not be checked (limits_note) */
    char *limits_note;                /* why not, or NULL */
} co_tenant_audit;

/* Audits tenants (all of ts, in order): each is loaded, as a rehearsal
 * would, into a scratch copy of the target's tables in a temporary directory,
 * with a journal of its own, so that every row the target would refuse is
 * counted by entity and rule with example keys; neither the target, nor the
 * journal, nor the source is written. While the rows stream by: rows and
 * bytes per entity, rows per parent key (fanouts, with outliers), the longest
 * values per column and duplicate clusters (entities' `duplicates` rules);
 * then size class and an estimated duration (throughput of earlier
 * migrations in s's journal, else 50,000 rows/s). The scratch copy needs a
 * SQLite target; with another, the entity queries are read from the source
 * for everything else, and limits_checked is false with limits_note saying
 * why. opt may be NULL (the defaults). The caller frees *out with
 * co_tenant_audits_free. */
CO_API co_code co_audit_tenants(co_session *s, const co_tenant *ts, size_t n,
                                const co_audit_options *opt, co_progress_fn progress,
                                void *progress_ctx, co_tenant_audit **out, co_error *err);
CO_API void co_tenant_audits_free(co_tenant_audit *a, size_t n);

/* Size classes by rows: S below 10,000; M below 100,000; L below 1,000,000; XL above. */
CO_API const char *co_size_class(int64_t rows);

/* Records the audits in the journal (table tenant_audits), replacing earlier
 * ones of the same tenants; the plan reads them. */
CO_API co_code co_audit_record(co_session *s, const co_tenant_audit *a, size_t n, co_error *err);

/* The whole audit as one JSON object (heap), or NULL when out of memory. opt
 * (NULL: the defaults) is what the audit was asked to flag. */
CO_API char *co_audit_json(const co_column_profile *profiles, size_t nprofiles,
                           const co_tenant_audit *tenants, size_t ntenants, const co_project *p,
                           const co_audit_options *opt);

/* The audit as a self-contained HTML page (heap), or NULL when out of memory. */
CO_API char *co_audit_html(const co_column_profile *profiles, size_t nprofiles,
                           const co_tenant_audit *tenants, size_t ntenants, const co_project *p,
                           const co_audit_options *opt);

#endif
