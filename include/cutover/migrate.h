/*
 * migrate.h: moving one tenant from the source into the target (or staging).
 *
 * A session holds what a command works with: the project, the source, the
 * destination store and the journal. co_migrate_tenant streams each entity's
 * rows for the tenant from the source, remaps references through id maps,
 * loads the destination in batched transactions and writes every row the
 * destination cannot take to the tenant's reject file with its key and reason.
 * Per entity, source rows = loaded + rejected. A tenant that fails leaves
 * nothing of itself in the destination.
 */
#ifndef CUTOVER_MIGRATE_H
#define CUTOVER_MIGRATE_H

#include "cutover/error.h"
#include "cutover/project.h"
#include "cutover/state.h"
#include "cutover/store.h"

#include <stdbool.h>
#include <stdint.h>

/* One tenant as the source's tenants query lists it. */
typedef struct co_tenant {
    char *key;      /* the key as text, as users type it ("7") */
    char *label;    /* the second column, or NULL */
    co_value value; /* the key as the source gave it, for binding :tenant (text points at key) */
} co_tenant;

/* What co_tenants_list left out of the tenants query's rows: those with a
 * NULL key, and repeats of a key already listed (the first such key in
 * repeated_key); key_column is the query's first column. */
typedef struct co_tenants_left_out {
    int64_t null_keys;
    int64_t repeated;
    char repeated_key[64];
    char key_column[64];
} co_tenants_left_out;

/* What a command works with: the project, the source, the destination store
 * (the target, or staging for a rehearsal) and the journal. Opaque: opened by
 * co_session_open, read through the co_session_ accessors below. */
typedef struct co_session co_session;

enum {
    CO_SESSION_STAGING = 1 << 0,    /* the destination is staging, not the target */
    CO_SESSION_START_OVER = 1 << 1, /* accept a changed project file (co_state_setup) */
    CO_SESSION_READ_ONLY = 1 << 2,  /* for commands that change nothing: skip the setup check */
    CO_SESSION_JOURNAL_ONLY = 1 << 3, /* open the journal alone: source and dest stay NULL
                                         (route, routes, status answer without them) */
    CO_SESSION_GUARD = 1 << 4,        /* refuse a source or target carrying another journal's
                                         traces (co_traces_guard, cutover/traces.h) */
};

/* Opens the project's source, its destination and its journal, and (unless
 * CO_SESSION_READ_ONLY) checks the journal's setup row (co_state_setup).
 * flags is a combination of the CO_SESSION_ values. */
CO_API co_code co_session_open(const co_project *p, unsigned flags, co_session **out,
                               co_error *err);
CO_API void co_session_close(co_session *s);

/* The session's parts, owned by the session (valid until co_session_close).
 * source and dest are NULL for a CO_SESSION_JOURNAL_ONLY session. */
CO_API const co_project *co_session_project(const co_session *s);
CO_API co_store *co_session_source(const co_session *s);
CO_API co_store *co_session_dest(const co_session *s);
CO_API co_state *co_session_state(const co_session *s);
/* Who runs the command (approvals record the starter); NULL when unknown.
 * The text is borrowed: it must outlive the session. */
CO_API void co_session_set_user(co_session *s, const char *user);
/* What the last co_tenants_list left out (all zero before it runs). */
CO_API const co_tenants_left_out *co_session_left_out(const co_session *s);

/* Runs the tenants query and records the tenants in the journal. The caller
 * frees the array with co_tenants_free. */
CO_API co_code co_tenants_list(co_session *s, co_tenant **out, size_t *n, co_error *err);
CO_API void co_tenants_free(co_tenant *t, size_t n);
/* The tenant whose key is `key`, or NULL. */
CO_API const co_tenant *co_tenant_find(const co_tenant *t, size_t n, const char *key);

/* Checks, without copying anything, that every entity query prepares on the
 * source and that its output columns exist in the destination table. */
CO_API co_code co_session_check(co_session *s, co_error *err);

typedef struct co_progress {
    const char *tenant;
    const char *entity;
    size_t entity_index;  /* 0-based */
    size_t nentities;
    int64_t rows;         /* rows of this entity read so far */
    int64_t rows_total;   /* rows this entity will read, or -1 when not counted */
    bool entity_done;
} co_progress;

typedef void (*co_progress_fn)(void *ctx, const co_progress *p);

/* Sees each source row of an entity as it is read, before references are
 * remapped or rows merged: the entity's index in the project, its query's
 * output column names and the row's ncols values (valid during the call). A
 * code other than CO_OK stops the tenant's run with that error. */
typedef co_code (*co_row_fn)(void *ctx, size_t entity_index, const char *const *names,
                             const co_value *row, size_t ncols, co_error *err);

typedef struct co_migrate_options {
    bool again;            /* reload a tenant that is already migrated */
    bool count_rows;       /* count each entity's rows first, for progress totals */
    const char *rejects_dir; /* where reject files go; NULL: the project's */
    bool skip_rehearsal;   /* load the target without a passing rehearsal (recorded) */
    bool rehearsal_checked; /* the caller has checked (or waived) the rehearsal already */
    bool run_continues;    /* the copy is one part of the caller's run (a cutover): a
                              copy that succeeds leaves the run "running" for the caller
                              to end (co_state_run_end); a failed one still ends it */
    co_progress_fn progress;
    void *progress_ctx;
    co_row_fn on_row;      /* optional: sees every source row (the audit's statistics) */
    void *on_row_ctx;
    /* on_row is only a checkpoint (it reads no value, it may stop the run):
     * rows then may load without passing through cutover (push-down), and
     * on_row is called with row NULL and ncols 0 now and then meanwhile. */
    bool on_row_checkpoint;
} co_migrate_options;

typedef struct co_entity_counts {
    int64_t bytes;        /* of the values read: text and blob bytes, 8 per number */
    int64_t source_rows;
    int64_t loaded;
    int64_t merged;       /* rows that became part of another row */
    int64_t rejected;
    double seconds;
} co_entity_counts;

typedef struct co_migrate_result {
    int64_t run_id;
    bool skipped;              /* already migrated; nothing done */
    size_t nentities;
    co_entity_counts *entities; /* one per project entity, in project order */
    int64_t rejected;          /* total */
    double seconds;
    char *rejects_file;        /* the tenant's reject file */
} co_migrate_result;

CO_API void co_migrate_result_release(co_migrate_result *r);

/* Migrates one tenant (see the file comment). A rerun of a migrated tenant is
 * skipped unless opt->again, which reloads it to the same result. The tenant
 * is leased for the run (CO_EBUSY when another process holds it). Into the
 * target (not staging), a tenant needs a passing rehearsal of this project
 * file (CO_ENOTREADY) unless opt->skip_rehearsal, which the journal records. */
CO_API co_code co_migrate_tenant(co_session *s, const co_tenant *t, const co_migrate_options *opt,
                                 co_migrate_result *res, co_error *err);

/* An estimate of a tenant's size, to start the largest first when tenants
 * run in parallel: the rows the project's last entity returns for it on the
 * source (SELECT count(*) of its query; nothing else is read or written).
 * Entities load parents first, and the last one, which refers to the others,
 * is most often the largest (a CRM's events, an invoice's lines); counting
 * every entity costs a fifth of the demo's migration. *rows is -1 without
 * entities or on failure (err then says so). */
CO_API co_code co_tenant_estimate_rows(co_session *s, const co_tenant *t, int64_t *rows,
                                       co_error *err);

/* Removes everything of the tenant from the destination (children first) and
 * clears its id maps. */
CO_API co_code co_purge_tenant(co_session *s, const co_tenant *t, co_error *err);

#endif
