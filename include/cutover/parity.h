/*
 * parity.h: shadow reads. The project file's `parity` section names the
 * application's read questions, each a pair of queries: old over the source,
 * new over the target, both with :tenant bound (docs/coexistence.md). A
 * parity run asks each question of both systems for one tenant, times both
 * answers (the new one against its budget), compares them as result sets
 * (in order when both queries end in ORDER BY, else as multisets; values in
 * their canonical typed form, as verify compares them) and journals each
 * check, with sample rows of every mismatch (state.h, "Shadow reads").
 *
 * The gate: a tenant's reads may move to the new system (a read share above
 * 0) only after a passing parity run that is at most parity.max_age old.
 */
#ifndef CUTOVER_PARITY_H
#define CUTOVER_PARITY_H

#include "cutover/error.h"
#include "cutover/migrate.h"
#include "cutover/state.h"

#include <stdbool.h>
#include <stdint.h>

/* One run's checks (one per question and parameter row), as journaled. */
typedef struct co_parity_result {
    co_state_parity_check *checks; /* their strings are owned by the result */
    size_t nchecks;
    size_t failed;
    bool pass;                     /* no check failed */
    double seconds;
    int64_t run_id;                /* parity_runs.id */
} co_parity_result;

/* Asks every parity question of the session's source and destination for
 * tenant t and journals the run (a failed check is an outcome, not an
 * error: *out says it). The target's queries run in a transaction that is
 * rolled back. CO_EPROJECT when the project file has no parity queries;
 * other codes when a side cannot be asked at all (the question's own SQL
 * errors are checks with outcome "error"). The caller releases *out with
 * co_parity_result_release. */
CO_API co_code co_parity_run(co_session *s, const co_tenant *t, co_parity_result *out,
                             co_error *err);
CO_API void co_parity_result_release(co_parity_result *r);

/* The gate of a read share above 0: CO_OK when the tenant's latest parity
 * run passed and is at most p->parity.max_age seconds old; otherwise
 * CO_ENOTREADY saying why (no parity queries, no run, the last run failed
 * and how many checks, or its age). */
CO_API co_code co_parity_gate(co_state *st, const co_project *p, const char *tenant,
                              co_error *err);

#endif
