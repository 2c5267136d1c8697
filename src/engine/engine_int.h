/*
 * engine_int.h: what the engine offers the rest of libcutover beyond the
 * public migrate.h: loading again the rows that captured changes touched.
 */
#ifndef CUTOVER_ENGINE_INT_H
#define CUTOVER_ENGINE_INT_H

#include "cutover/migrate.h"
#include "engine/rejects.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/map.h"

/* The columns that an entity's rows have in the target, in the order the
 * engine loads them: the query's output columns, except that with a
 * target_key the key columns the target table has no column for are left out
 * (the id map keeps them) and the target key is added when the query does not
 * output it. from[i] is the output column of loaded column i, -1 for the
 * target key (at tk); uuid says cutover makes the target key as a UUID.
 * names point into the names given and into the entity. */
typedef struct co_layout {
    const char **names;
    int *from;
    size_t n;
    size_t tk;
    bool uuid;
} co_layout;

/* The layout of entity e given its query's output columns (names, n of them);
 * reads the destination table's columns when e has a target_key. Release
 * with Co_layout_release. */
co_code Co_entity_layout(co_session *s, const co_entity *e, const char *const *names, size_t n,
                         co_layout *out, co_error *err);
void Co_layout_release(co_layout *l);

/* A row of an entity as the target should hold it (in Co_entity_layout's
 * columns: with a target_key, the key the id map gives it, or when it has
 * none the text "no target key: source key [...]"). */
typedef co_code (*co_expected_fn)(void *ctx, const co_value *row, co_error *err);

/* Streams the rows the target should hold for entity `entity` of tenant t,
 * as migrate would load them: refs through the journal's id maps, rows merged
 * (merge rules and the journal's decisions), the rows of `skip` (canonical
 * source keys: the journal's rejects) left out; where, when not NULL, a
 * condition on the query's output columns that limits the rows (a scope).
 * For verification. */
co_code Co_expected_rows(co_session *s, const co_tenant *t, size_t entity, const co_map *skip,
                         const char *where,
                         co_expected_fn fn, void *ctx, co_error *err);

typedef struct co_refresh co_refresh;

/* Starts a round of refreshes for tenant t: loads the id maps and rejected
 * keys of the journal into memory, opens the reject file for appending and
 * begins transactions on the destination and the journal. */
co_code Co_refresh_begin(co_session *s, const co_tenant *t, int64_t run_id, co_refresh **out,
                         co_error *err);
/* Loads again the rows of entity `entity` whose output columns cols (n of
 * them) equal one of nsets value sets (vals holds nsets * n values, set after
 * set; n == 0: all the tenant's rows of the entity): deletes them from the
 * destination (with their id map and rejects), then loads what the entity
 * query returns for them now, in one query. Parents must be refreshed first. */
co_code Co_refresh_rows(co_refresh *r, size_t entity, const char *const *cols,
                        const co_value *vals, size_t n, size_t nsets, co_error *err);
/* Commits the round (journal first, then destination) and frees it; on
 * failure (ok false) rolls both back. counts gets the rows loaded and rejected. */
co_code Co_refresh_end(co_refresh *r, bool ok, int64_t *loaded, int64_t *rejected,
                       co_error *err);

/* How Co_purge_tenant_run purges a tenant. */
typedef struct Co_purge_plan {
    /* Rows per destination transaction (an id map entity: keys); each
     * transaction commits once it holds this many, the journal's id maps and
     * merges of an entity in the one that deletes its last rows. 0: the
     * whole tenant in one transaction. */
    size_t chunk_rows;
    /* > 0: stop at the end of the first chunk past this many seconds, the
     * rest left for the next purge (*done false); 0: to the end. */
    double max_seconds;
    /* Inside each destination transaction (NULL: nothing): enter first,
     * leave just before its commit, last true in the one that ends the purge
     * (what it changes there commits with the purge's rows, or not at all). */
    co_code (*enter)(void *ctx, co_error *err);
    co_code (*leave)(void *ctx, bool last, co_error *err);
    void *ctx;
    /* After each chunk and each entity: its rows purged so far. */
    co_progress_fn progress;
    void *progress_ctx;
} Co_purge_plan;

/* Purges the tenant from the destination as plan says (co_purge_tenant: one
 * transaction). *done: the purge ended; false when the time budget stopped
 * it between chunks (what is left is purged by the next call). *rows (may be
 * NULL) gets the rows deleted by this call. A test build may die between
 * chunks (fault point PURGE_CHUNK). */
co_code Co_purge_tenant_run(co_session *s, const co_tenant *t, const Co_purge_plan *plan,
                            bool *done, int64_t *rows, co_error *err);

/* Target keys back to source keys, for rows that go from the target to the
 * source (a rollback's carry-back): the id maps of the entities with a
 * target_key, read backwards. */
typedef struct co_keymap co_keymap;
co_code Co_keymap_open(co_session *s, const co_tenant *t, co_keymap **out, co_error *err);
void Co_keymap_free(co_keymap *km);
/* True when column col of entity `entity` holds target keys (its target_key,
 * or a ref to an entity with one). */
bool Co_keymap_column(const co_keymap *km, size_t entity, const char *col);
/* Rewrites the n values of a row of entity `entity` (its columns cols) that
 * hold target keys into the source keys they stand for; text goes to
 * storage. *unknown: the entity's own target key has no source key (a row
 * the new system created); a reference with none is CO_ENOTFOUND. */
co_code Co_keymap_to_source(co_keymap *km, size_t entity, const char *const *cols,
                            co_value *vals, size_t n, co_buf *storage, bool *unknown,
                            co_error *err);
/* Records that the row of the entity with target key *target now has source
 * key *source (the source assigned it): in the id map (journal, committed
 * with co_state_commit) and for later rows of the keymap. */
co_code Co_keymap_add(co_keymap *km, size_t entity, const co_value *source,
                      const co_value *target, co_error *err);

/* Deletes the tenant's row of one of cutover's own tables in store (a
 * trace: cutover_journal_mark, the target's cutover_sync_mark), and the
 * table with its last row; nothing when the table is not there (traces.c). */
co_code Co_traces_forget(co_store *store, const char *table, const char *tenant, co_error *err);

#endif
