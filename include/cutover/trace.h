/*
 * trace.h: lineage. Where a source row went (loaded as a key, merged into
 * another row, rejected with a reason), and which source rows are behind a
 * target row, from the journal (id maps, merges, rejects).
 */
#ifndef CUTOVER_TRACE_H
#define CUTOVER_TRACE_H

#include "cutover/migrate.h"

typedef enum co_trace_kind {
    CO_TRACE_LOADED,   /* the row is in the target as target_key */
    CO_TRACE_MERGED,   /* the row became part of the row target_key */
    CO_TRACE_REJECTED, /* the row was not loaded: rule, reason */
} co_trace_kind;

typedef struct co_trace_step {
    char *tenant;
    co_trace_kind kind;
    char *source_key;  /* canonical JSON arrays (util/key.h) */
    char *target_key;  /* NULL for a reject */
    char *how;         /* merges: same, similar, decided, parent */
    double score;      /* -1 when not scored */
    char *rule, *reason; /* rejects */
} co_trace_step;

typedef struct co_trace_result {
    co_trace_step *steps;
    size_t n;
} co_trace_result;

/* A key as a user types it ("7290", "cnn.com", or a JSON array such as
 * [1,"cnn.com"]) in canonical form, into out (heap). */
CO_API co_code co_trace_key(const char *typed, char **out, co_error *err);

/* Where the source row `key` of entity went, in every tenant the journal
 * knows it in (only tenant, when not NULL). */
CO_API co_code co_trace_source(co_session *s, const char *entity, const char *key,
                               const char *tenant, co_trace_result *out, co_error *err);
/* The source rows behind the target row `key` of entity. */
CO_API co_code co_trace_target(co_session *s, const char *entity, const char *key,
                               const char *tenant, co_trace_result *out, co_error *err);

CO_API const char *co_trace_kind_name(co_trace_kind k);
CO_API void co_trace_result_release(co_trace_result *r);

#endif
