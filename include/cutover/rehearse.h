/*
 * rehearse.h: a tenant's whole migration, into staging, verified there,
 * before the real run. The rehearsal has a journal of its own (beside the
 * project's: state.db -> state.rehearsal.db) so that staging's id maps and
 * rejects never mix with the target's; its outcome (pass or fail, the reasons
 * with the first findings, rows and duration) is recorded in the project's journal, where migrate
 * looks for it. Neither the source nor the target is changed.
 */
#ifndef CUTOVER_REHEARSE_H
#define CUTOVER_REHEARSE_H

#include "cutover/verify.h"

typedef struct co_rehearsal_result {
    bool pass;
    char reasons[512];   /* why it failed, or a summary when it passed */
    int64_t rows;        /* rows read from the source */
    int64_t rejected;
    double seconds;
    co_verify_result verification; /* when the load finished */
} co_rehearsal_result;

/* Opens the session a rehearsal loads through: the project's source, its
 * staging database and the rehearsal journal. */
CO_API co_code co_rehearsal_open(const co_project *p, co_session **out, co_error *err);

/* Rehearses t: reloads it into staging, verifies it, records the outcome in
 * main's journal. A failed load or verification is a result (res->pass
 * false), not an error; errors are for the journal. */
CO_API co_code co_rehearse_tenant(co_session *main, co_session *rehearsal, const co_tenant *t,
                                  const co_verify_options *vopt, co_rehearsal_result *res,
                                  co_error *err);
CO_API void co_rehearsal_result_release(co_rehearsal_result *r);

/* Schema fingerprints (engine/fingerprint.c): a rehearsal records the schemas
 * it ran against, and migrate refuses when they changed since.
 *
 * co_schema_fingerprint describes, one line per column (declared type, key,
 * NOT NULL), the source tables the project reads or writes (entity and
 * tenants queries, capture, reverse) and the target's entity tables, into
 * *out (free() it). co_schema_compare is true when both are the same; else
 * *changes (free() it) names what changed: "source events.occurred_at TEXT
 * -> INTEGER; target contacts.title removed (TEXT)". */
CO_API co_code co_schema_fingerprint(co_store *source, co_store *target, const co_project *p,
                                     char **out, co_error *err);
CO_API bool co_schema_compare(const char *rehearsed, const char *now, char **changes);
/* Records the fingerprint of main's source and target for the tenant. */
CO_API co_code co_rehearsal_schema_record(co_session *main, const char *tenant, co_error *err);
/* CO_ENOTREADY, naming what changed, when the schemas are no longer those
 * of the tenant's passing rehearsal (or it recorded none). */
CO_API co_code co_rehearsal_schema_check(co_session *s, const char *tenant, co_error *err);

/* How many findings a rehearsal's outcome carries: in its JSON, in the text
 * that rehearse prints and in the reasons the journal keeps. */
#define CO_REHEARSAL_FINDINGS 10

/* The outcome as one JSON object: {"tenant", "pass", "rows", "rejected",
 * "seconds", "reasons", "findings": the first CO_REHEARSAL_FINDINGS findings of
 * its verification as verify --json lists them (entity, check, kind, key,
 * detail with the columns and both values)}. Heap; free() it; NULL when out
 * of memory. */
CO_API char *co_rehearsal_result_json(const char *tenant, const co_rehearsal_result *r);

#endif
