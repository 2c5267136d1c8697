/*
 * load_int.h: what the files of the engine's load path share: the load of
 * one entity (load.c), the target keys drawn for it (keyed.c), the run over
 * the entities (migrate.c) and the refresh of touched rows (refresh.c,
 * refresh_merge.c). Private to src/engine.
 */
#ifndef CUTOVER_ENGINE_LOAD_INT_H
#define CUTOVER_ENGINE_LOAD_INT_H

#include "cutover/migrate.h"
#include "engine/engine_int.h"
#include "engine/merge.h"
#include "engine/rejects.h"
#include "util/buf.h"
#include "util/keyset.h"
#include "util/map.h"

/* What the run remembers of an entity's keys while later entities load. */
typedef struct entity_keys {
    bool referenced; /* a later entity's refs point here */
    co_map loaded;   /* source key -> target key */
    co_map rejected; /* source keys of rejected rows */
    co_map merged;   /* source keys of rows merged into another -> its target key */
} entity_keys;

typedef struct ref_col {
    size_t column; /* index in the query's output */
    size_t parent; /* index of the referenced entity */
    const char *name;
    /* The last integer value looked up and what the parent's id map made of
     * it (rows often come in runs of one parent: the events of a campaign).
     * The parent's maps do not change while a later entity loads. */
    bool cached;
    bool cached_same;     /* the key did not change */
    bool cached_remapped; /* it went to a merged row */
    bool cached_survivor; /* it went to a row others were merged into */
    int64_t cached_from, cached_to;
    /* A ref that is part of the key, to an entity that merges rows: the
     * target keys of the parent's rows that others were merged into (only
     * rows that refer to one of them can come to share a key); else NULL. */
    co_map *survivors;
} ref_col;

/* An entity whose target assigns its keys (target_key): how a row of its
 * query becomes a row of the target, and the values reserved for new rows. */
typedef struct keyed {
    bool on;
    bool uuid;             /* the target key is a UUID that cutover makes */
    bool assign;           /* the loader reads back the key the target gives each new
                              row (co_caps.keys_on_insert): a new row is put with a
                              placeholder, -1, -2, ... (tickets), and mapped once loaded */
    int64_t tickets;       /* placeholders handed out */
    const char **names;    /* the columns loaded (Co_entity_layout) */
    int *from;             /* per loaded column: its output column, -1 for the target key */
    size_t n;
    size_t tk;             /* the target key's place among the loaded columns */
    int64_t *pool;         /* values reserved and not yet used */
    size_t npool, used, block;
    int64_t expect;        /* rows the entity's query returns for the tenant, or -1 */
    int64_t drawn;         /* keys drawn so far */
    size_t ahead;          /* the size of the block asked for ahead, or 0 */
    bool until_commit;     /* the pool is good until the destination commits */
    int64_t floor;         /* the largest value used or reused (SQLite: draw above it) */
    /* The rows put since the last commit, in put order: where each one's
     * source key and exact target key lie in put_text. The loaders report
     * rows in about that order, so a row is paired with its source key by
     * looking at the next record first; the hash of them (by_target: exact
     * target key -> record number) is built only when that fails. */
    struct keyed_put { size_t src, slen, tgt, tlen; } *puts;
    size_t nputs, cap_puts, next_put;
    co_buf put_text;
    co_map by_target;
    bool indexed;          /* by_target holds every record */
    const co_map *reuse;   /* source key -> target key from before: kept, never drawn again */
    co_value row[257];
    co_value shown[257];   /* a refused row as its reject shows it (no placeholder) */
    co_buf text;           /* the current row's target key text */
} keyed;

/* The load of one entity for one tenant. */
typedef struct load {
    co_session *s;
    const co_tenant *t;
    const co_entity *e;
    size_t index;
    entity_keys *keys; /* all entities' */
    co_rejects *rejects;
    const char **names; /* output column names */
    size_t ncols;
    size_t key_idx[64];
    ref_col *refs;
    bool track_ids; /* write the id map to the journal */
    co_buf key;     /* the current row's canonical key */
    co_buf loaded_key; /* the key of a row the loader reports on */
    co_buf exact_key;  /* the same, every value with its own type */
    co_keyset put_keys; /* keys put so far, when the entity's keys are tracked */
    co_buf tmp;
    co_code callback_rc; /* the first error inside a loader callback */
    co_error *err;
    co_entity_counts counts;
    co_merger *merger;     /* when the entity merges rows */
    co_loader *loader;
    co_map members;        /* merged row's canonical key -> the rows merged into it */
    bool collapse;         /* a ref points to an entity that merges rows */
    bool row_remapped;     /* the current row's refs went to a merged row */
    bool row_to_survivor;  /* a ref of its key went to a row others were merged into */
    co_map collapsed;      /* keys after remapping of the rows to_survivor -> "1" when a
                              merge remapped that row */
    co_expected_fn sink;   /* for verification: rows go here, not to a loader */
    void *sink_ctx;
    keyed kd;              /* when the entity has a target_key */
    bool keep_loaded;      /* keys[index].loaded follows every row loaded (catch-up) */
    co_store *pd;          /* a push-down's connection (pushdown.h), or NULL */
    void *pd_stop;         /* what its checkpoint asks */
    char **pd_bounds;      /* the chunks' upper bounds, exact keys (pushdown.c) */
    size_t pd_nbounds;
    bool *pd_int_refs;     /* per ref: its parent's keys are integers, kept by rowid */
    bool no_reader;        /* read the rows on this thread (the cursor is pd's) */
} load;

struct co_refresh {
    co_session *s;
    const co_tenant *t;
    int64_t run_id;
    entity_keys *keys;
    co_rejects rejects;
    int64_t loaded, rejected;
};

/* The target side of a refresh: the value sets as the target holds them
 * (through the id maps where the target gave the keys), and, for an entity
 * with a target_key, what its dropped rows leave behind. */
typedef struct target_side {
    const char *cols[16];
    size_t nsets;          /* 0 with columns to match: no row of the target matches */
    const co_param *params;
    size_t np;
    const co_map *by_target; /* target key -> its source keys ("\0"-ended), or NULL */
    co_map reuse;            /* source key -> target key of the rows dropped */
} target_side;

/* Value sets decoded from canonical keys: each set's texts live in a buffer
 * of its own, so later sets never move earlier values. */
typedef struct key_sets {
    co_value *vals; /* count sets of n values */
    co_buf *texts;  /* one per set */
    size_t count;
} key_sets;

/* migrate.c */
/* Reads the journal's id map of entity e for tenant t into m. */
co_code Co_idmap_load(co_session *s, const co_tenant *t, const co_entity *e, co_map *m,
                      co_error *err);
/* Frees the key maps of every entity, and keys. */
void Co_entity_keys_free(const co_project *p, entity_keys *keys);
/* Marks which entities later entities reference. */
void Co_mark_referenced(const co_project *p, entity_keys *keys);
/* Frees what a load allocated, not the load itself. */
void Co_load_release(load *l);
char *Co_path_join(const char *dir, const char *rel);

/* load.c */
/* Sets up column names, key and ref positions from the open cursor. */
co_code Co_load_describe(load *l, co_cursor *c);
/* Counts the rows entity e's query returns on the source for the tenant
 * parameter (:tenant): the progress bar's total, the keys to reserve, the
 * size of a tenant. */
co_code Co_entity_count_rows(co_session *s, const co_entity *e, const co_param *tenant,
                             int64_t *total, co_error *err);
co_code Co_load_entity(load *l, int64_t run_id, const co_migrate_options *opt,
                       const co_map *reuse);
/* Loads the rows of c as one run of batches: begins the destination (with
 * on_write, a transaction that locks only when it writes) and the journal's
 * batch, takes every row (Co_load_rows), commits the journal, then the
 * destination; on an error undoes both. */
co_code Co_load_batch(load *l, co_cursor *c, co_loader *loader, const co_migrate_options *opt,
                      int64_t total, bool on_write);
co_code Co_load_rows(load *l, co_cursor *c, co_loader *loader, const co_migrate_options *opt,
                     int64_t total);
/* Opens the destination's loader of l's entity: the target's columns (its
 * layout, with a target_key), events to l, and the target key filled by the
 * target where the engine gives keys on insert (kd.assign). */
co_code Co_load_loader_open(load *l, co_loader **out);
/* A cluster of rows came out of the merger as one row. */
co_code Co_load_on_merged(void *ctx, const co_merged *m, co_error *err);
/* One source row on its way: left out when its key is in skip (the journal's
 * rejects, for verification), checked (admit_row), then through the merger
 * when the entity merges, and put. */
co_code Co_load_take_row(load *l, co_value *row, co_buf *storage, const co_map *skip);

/* keyed.c */
int Co_column_index(const char **names, size_t n, const char *name);
/* True when entity e draws integer keys in blocks (its target_key is an
 * integer column of a target that does not give keys on insert): only then
 * are its rows counted first, to reserve as few blocks as it takes. A UUID
 * key, or a key the target gives (MySQL), needs no count. */
bool Co_keyed_reserves(co_session *s, const co_entity *e);
/* Sets up the target's columns of an entity with a target_key; reuse is its
 * id map from before (or NULL). */
co_code Co_keyed_open(load *l, const co_map *reuse);
void Co_keyed_release(keyed *k);
/* The row of the target for a source row whose canonical key is key: the
 * loaded columns, with the target key kept from before (kd.reuse), or, when
 * drawing (not verifying), a new one; when verifying a row the id map does
 * not know, the text "no target key: source key [...]". */
co_code Co_keyed_row(load *l, const co_value *row, const co_buf *key, bool draw,
                     const co_value **out);

/* Once the rows to come are counted (kd.expect), asks the target for their
 * first block of keys ahead, so that it draws them while loading starts. */
void Co_keyed_ahead(load *l);
/* True when v, a row's target key as put, is a placeholder for the key the
 * target gives it (kd.assign): its id map row is written once it is loaded. */
bool Co_keyed_placeholder(const keyed *k, const co_value *v);
/* Remembers that the row whose canonical source key is key went to the
 * destination with the exact target key target (until the batch commits). */
co_code Co_keyed_put(load *l, const co_buf *key, const co_buf *target);
/* The source key of the put row whose exact target key is target, or false. */
bool Co_keyed_source(load *l, const co_buf *target, const char **src, size_t *slen);
/* Forgets the rows put: the batch committed, every one was reported. */
void Co_keyed_batch_done(keyed *k);

/* refresh.c */
co_code Co_refresh_drop_rows(co_refresh *r, const co_entity *e, bool tracked,
                             const char *const *cols, size_t n, size_t nsets,
                             const co_param *params, size_t np,
                             target_side *ts, co_error *err);
/* The parameters of Co_match_sql: :tenant, then :m0 ... Names live in names
 * (24 bytes each). */
co_param *Co_match_params(const co_tenant *t, const co_value *vals, size_t count, char *names,
                          size_t *np);
/* The WHERE text that picks the rows of the value sets: "c" IN (:m0, :m1, ...)
 * for one column, ("a" IS :m0 AND "b" IS :m1) OR ... for several (IS being
 * co_store_key_eq_op); with the tenant column on the target side. Parameters
 * are :m0, :m1, ... in order. */
void Co_match_sql(co_store *st, const co_entity *e, bool on_target, const char *const *cols,
                  size_t n, size_t nsets, co_buf *out);

/* refresh_merge.c */
/* The value sets as the target holds them: each value that goes through an
 * id map (target_via) replaced by its target key; a set with a value the id
 * map does not know matches no row of the target and is left out. */
co_code Co_refresh_target_sets(co_refresh *r, size_t entity, const char *const *cols,
                               const co_value *vals, size_t n, size_t nsets, target_side *ts,
                               key_sets *out, co_error *err);

#endif
