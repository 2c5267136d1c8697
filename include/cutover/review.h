/*
 * review.h: doubtful pairs, for a person. An entity whose merge rule has
 * `similar` scores the pairs of rows sharing a block; pairs from review_at up
 * to below merge_at are neither merged nor left alone silently: they are
 * exported with both rows side by side, a person marks each "merge" or
 * "apart", and the decisions, once applied, are honoured by every later
 * migrate, rehearsal and verify (the journal's merge_decisions table).
 */
#ifndef CUTOVER_REVIEW_H
#define CUTOVER_REVIEW_H

#include "cutover/migrate.h"

#include <stdint.h>

/* One doubtful pair, with both source rows (the entity query's columns). */
typedef struct co_review_pair {
    const char *tenant, *entity;
    const char *key_a, *key_b;        /* canonical source keys */
    bool keyed;                       /* the entity has a target_key: target keys shown */
    const char *target_a, *target_b;  /* the target keys the id map holds for them (a
                                       * tenant migrated before), or NULL */
    double score;                     /* in [review_at, merge_at) */
    const char *const *fields;        /* the compared fields' names (similar.compare) */
    size_t nfields;
    uint32_t agree;                   /* bit i: field i agrees */
    const char *const *columns;       /* the entity query's columns */
    size_t ncolumns;
    const co_value *row_a, *row_b;    /* ncolumns values each */
} co_review_pair;

typedef co_code (*co_review_fn)(void *ctx, const co_review_pair *p, co_error *err);

typedef struct co_review_counts {
    size_t records;   /* rows of the entity scored */
    size_t compared;  /* pairs scored */
    size_t pairs;     /* doubtful pairs handed to fn */
    size_t skipped_blocks; /* blocks too large to compare */
} co_review_counts;

/* Hands fn the undecided doubtful pairs of entity `entity` (an index into the
 * project's entities; its merge rule must have `similar`) for tenant t,
 * highest score first. Reads the source and the journal only. counts (may
 * be NULL) is added to. CO_EUSAGE when the entity has no similar rule. */
CO_API co_code co_review_pairs(co_session *s, const co_tenant *t, size_t entity, co_review_fn fn,
                               void *ctx, co_review_counts *counts, co_error *err);

/* What a decisions file held. */
typedef struct co_review_applied {
    size_t merge, apart; /* decisions written */
    size_t undecided;    /* rows with an empty decision, left for later */
} co_review_applied;

/* Reads a decisions file (the CSV co_review_pairs' pairs were exported to,
 * with its "decision" column filled in: merge, apart, or empty) and writes
 * every decision to the journal in one transaction. The file needs the
 * columns tenant, entity, key_a, key_b and decision; for an entity with a
 * target_key, a row may name a side by its target key instead (columns
 * target_key_a, target_key_b, key_a or key_b left empty): the id map gives
 * its source key back. Other columns are ignored.
 * CO_EUSAGE (with FILE:LINE) for a missing column, an unknown decision, an
 * entity without a merge rule or a pair of a row with itself; CO_EIO when
 * it cannot be read. Nothing is written unless the whole file is valid. */
CO_API co_code co_review_apply(co_session *s, const char *path, co_review_applied *out,
                               co_error *err);

#endif
