/*
 * traces.h: cutover's own traces on the source and the target, so that a run
 * with a lost, empty or foreign journal sees them and stops instead of
 * copying a switched tenant again and purging the new system's writes.
 *
 * Beside a tenant's capture on the source, and beside its rows in the target,
 * cutover keeps one row in a table of its own, cutover_journal_mark (tenant,
 * journal, state): the uuid of the journal that moves the tenant
 * (co_state_journal_id) and how far it went ("capturing" on the source,
 * "loading" on the target, then "switched" on both). Rollback removes them;
 * finalize removes the source's. docs/state-store.md describes the table.
 */
#ifndef CUTOVER_TRACES_H
#define CUTOVER_TRACES_H

#include "cutover/migrate.h"

/* Writes (or updates) the tenant's mark in store (a writable source
 * connection, or the target) with this journal's identity and state. */
CO_API co_code co_traces_mark(co_session *s, co_store *store, const char *tenant, const char *state,
                              co_error *err);
/* Removes the tenant's mark from store; the table goes with its last row. */
CO_API co_code co_traces_unmark(co_store *store, const char *tenant, co_error *err);

/* The tenant's mark in store: state into buf (cap bytes), "" when none. */
CO_API co_code co_traces_state(co_store *store, const char *tenant, char *buf, size_t cap,
                               co_error *err);

/* Refuses (CO_EFOREIGN) to work with s's journal when the source or target
 * carries another journal's traces: marks with another identity, or capture
 * installed for a tenant this journal never moved. The message names what
 * was found and how to recover (cutover recover-journal, or --state naming
 * the journal that left them). */
CO_API co_code co_traces_guard(co_session *s, co_error *err);

/* One tenant rebuilt into the journal by co_traces_recover. */
typedef struct co_recovered {
    char *tenant;
    bool switched;   /* route new */
    bool captured;   /* capture installed on the source */
    bool on_target;  /* marked in the target */
    bool syncing;    /* captured, not switched, with a sync mark on the target (--coexist) */
    bool exported;   /* the target marks it exported (a rollback after its switch) */
    bool reversed;   /* a reverse mark on the source (reverse sync) */
    bool purge_pending; /* rolled back by reverse sync, the purge of its target rows
                           waiting: exported, a reverse mark, no capture on the source */
    int64_t sync_pos; /* syncing: the capture position its sync mark says is applied */
    char from[40];   /* the journal whose marks these were, or "" (capture without a mark) */
} co_recovered;

/* Rebuilds what the traces tell into s's journal, which must have no runs:
 * switched tenants get route new and state switched; tenants with capture
 * installed and a sync mark on the target (migrated with --coexist) state
 * syncing, their applied position the mark's and their read share 0 (sync
 * goes on from the mark); tenants rolled back by reverse sync whose purge
 * waits (the target marks them exported, the source keeps their reverse
 * mark, no capture) state purge_pending, route old, read share 0 (a purge
 * or the next migrate removes their frozen target rows); other tenants with
 * capture installed but not switched state migrating (the next migrate
 * resumes them); the marks are then made this journal's. *out (free with
 * co_recovered_free) lists the tenants. */
CO_API co_code co_traces_recover(co_session *s, co_recovered **out, size_t *n, co_error *err);
CO_API void co_recovered_free(co_recovered *r, size_t n);

#endif
