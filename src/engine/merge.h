/*
 * merge.h: the rows of one entity and tenant that are one thing, merged
 * (project.h, co_merge). A merger first reads every row's key and merge keys
 * (a pre-pass over the entity query) and groups the rows into clusters: rows
 * equal on every `on` expression, pairs that `similar` scores at or above
 * merge_at, and pairs a person decided to merge, never pairs a person kept
 * apart. Then the entity's rows are put one by one: a row alone in its
 * cluster passes through; the others are held until their cluster is whole,
 * and the cluster comes out as one row (survive.h) with the keys of the rows
 * merged into it. Migrate and verify both go through it, so that what is
 * loaded and what is expected are merged alike.
 */
#ifndef CUTOVER_ENGINE_MERGE_H
#define CUTOVER_ENGINE_MERGE_H

#include "cutover/migrate.h"
#include "dedupe/link.h"
#include "util/buf.h"

typedef struct co_merger co_merger;

/* One row out of a cluster of several. */
typedef struct co_merged {
    const co_value *row;        /* the merged row: the entity's columns */
    size_t nmembers;            /* rows merged into it (the survivor not counted) */
    const char *const *members; /* their canonical source keys */
    const char *const *how;     /* "same", "similar" or "decided", per member */
    const double *score;        /* per member; -1 when not scored */
} co_merged;

typedef co_code (*co_merged_fn)(void *ctx, const co_merged *m, co_error *err);

/* Runs the pre-pass of entity e (which has a merge rule) for tenant t on the
 * source, with the journal's decisions. Merged rows go to emit. */
co_code Co_merger_open(co_session *s, const co_tenant *t, const co_entity *e, co_merged_fn emit,
                       void *ctx, co_merger **out, co_error *err);
void Co_merger_free(co_merger *m);

/* The query to stream the rows with: the entity query with the columns the
 * prefer rules need after the entity's own (Co_merger_extra of them). */
const char *Co_merger_query(const co_merger *m);
size_t Co_merger_extra(const co_merger *m);

/* Binds the row shape once the query's columns are known (names[0..ncols)
 * without the extra ones; key_idx: the key's positions). */
co_code Co_merger_bind(co_merger *m, const char *const *names, size_t ncols,
                       const size_t *key_idx, co_error *err);

/* Puts a row (ncols + extra values) whose canonical key is key. *held is
 * false when the row is alone in its cluster: the caller loads it as it is.
 * Otherwise the merger keeps it, and emits its cluster once whole. */
co_code Co_merger_put(co_merger *m, const co_value *row, const char *key, size_t klen,
                      bool *held, co_error *err);
/* A row that will never be put (rejected): its cluster no longer waits for it. */
co_code Co_merger_drop(co_merger *m, const char *key, size_t klen, co_error *err);
/* Emits the clusters still waiting (their other rows vanished from the source
 * since the pre-pass). */
co_code Co_merger_finish(co_merger *m, co_error *err);

/* True when the row with canonical key `key` merges with no other row (or
 * was not in the source at the pre-pass). */
bool Co_merger_alone(co_merger *m, const char *key, size_t klen);

/* Where merged rows go from now on (for a merger opened before its consumer). */
void Co_merger_set_emit(co_merger *m, co_merged_fn emit, void *ctx);

/* Calls fn with the canonical key of every row in the cluster of the row
 * `key` (itself included), as the pre-pass grouped them; nothing when the
 * row was not in the source then. */
typedef co_code (*co_merger_member_fn)(void *ctx, const char *key, co_error *err);
co_code Co_merger_cluster(co_merger *m, const char *key, size_t klen, co_merger_member_fn fn,
                          void *ctx, co_error *err);

/* A doubtful pair: scored by the similar rule from review_at up to below
 * merge_at, with no decision yet, its rows not merged otherwise. */
typedef struct co_merge_doubt {
    const char *key_a, *key_b; /* canonical source keys, key_a first in source order */
    double score;
    uint32_t agree; /* bit i: compared field i agrees (similar.compare order) */
} co_merge_doubt;

/* The doubtful pairs of the pre-pass, highest score first. Keys stay valid
 * while the merger lives. */
size_t Co_merger_doubts(const co_merger *m);
void Co_merger_doubt(const co_merger *m, size_t i, co_merge_doubt *out);

/* What the similar rule compared (all zero without one). */
const co_link_stats *Co_merger_link_stats(const co_merger *m);

#endif
