/*
 * status.h: what the journal says about every tenant: its lifecycle state,
 * its last run, and that run's row counts.
 */
#ifndef CUTOVER_STATUS_H
#define CUTOVER_STATUS_H

#include "cutover/buf.h"
#include "cutover/error.h"
#include "cutover/state.h"

#include <stdint.h>

typedef struct co_tenant_status {
    char *tenant;
    char *label;       /* NULL when the source gave none */
    char *state;       /* "new", "migrating", "migrated", "failed", "verified",
                          "verify_failed", "frozen", "switched", "rolled_back",
                          "rollback_incomplete", "finalized", "syncing" */
    int64_t last_run;  /* the last migrate run, 0 when never run */
    char *run_status;  /* of the last run: "running", "done", "failed", "abandoned",
                          "interrupted" (a signal, or "running" by a process that is
                          gone); NULL */
    char *started_at;  /* ISO-8601 UTC, NULL when never run */
    double seconds;
    int64_t source_rows;
    int64_t loaded;      /* rows of the last run in the target now: 0 when the tenant
                            failed or was rolled back (see rolled_back) */
    int64_t rolled_back; /* rows the last run loaded that left the target again */
    int64_t rejected;
    char *error;       /* the last run's error, or NULL */
    int64_t verify_run;          /* the last finished verification, 0 when none */
    bool verify_pass;
    int64_t verify_differences;  /* findings of all its checks */
    char *verify_failed_checks;  /* "engagements content, contacts integrity", or NULL */
    char *verified_at;
    /* after the switch (docs/monitor.md) */
    int64_t notes;              /* notes journaled for the tenant */
    char *last_note;            /* "AT AUTHOR: TEXT" of the latest note, or NULL */
    int64_t monitor_check;      /* the latest `cutover monitor` check, 0 when none */
    int64_t monitor_flags;      /* what it flagged */
    char *monitored_at;
    char *monitor_summary;
    char *waiting_approval;     /* "STEP (requested by NAME)" while a step waits, or NULL */
    /* the process working on the tenant now (its lease), when there is one */
    int64_t holder_pid;         /* 0 when none */
    char *holder;               /* "migrate, pid N on HOST since T", or NULL */
    bool holder_gone;           /* that process is gone (this host, no such pid): the
                                   tenant's work was interrupted (SIGKILL, power loss) */
    char *frozen_since;         /* state "frozen": when its freeze began, else NULL */
    /* coexistence (cutover/sync.h): a syncing tenant's sync and reads */
    bool syncing;               /* state "syncing" */
    int read_share;             /* percent of its reads on the new system */
    bool lag_known;             /* a sync round was journaled: lag_seconds and backlog say */
    double lag_seconds;         /* co_sync_lag */
    int64_t backlog;            /* changes waiting after its last round */
    bool reverse_syncing;       /* state "switched" with reverse sync (its last round went
                                   target to source): lag_seconds and backlog say of it */
    /* shadow reads (cutover/parity.h): the tenant's latest parity run (id 0: none) */
    co_state_parity_run parity;
} co_tenant_status;

/* The cutover command that finishes what the tenant's work left, or NULL:
 * "rollback" for a rollback left incomplete (the next migrate finishes it
 * too), "purge" for a tenant rolled back by reverse sync whose target rows
 * wait to be purged (cutover sync does it too), "migrate" for a tenant
 * whose process is gone (interrupted). Run as
 * `cutover COMMAND --tenant KEY`. */
CO_API const char *co_status_finish_command(const co_tenant_status *r);

/* Every tenant the journal knows, in tenant order (numeric keys numerically).
 * The caller frees the array with co_status_free. */
CO_API co_code co_status_list(co_state *st, co_tenant_status **out, size_t *n, co_error *err);
CO_API void co_status_free(co_tenant_status *rows, size_t n);

/* {"tenants":[...]}, what `cutover status --json` prints, as a heap string
 * (free() it), or NULL when out of memory. co_status_json_row appends one
 * tenant's object to b. */
CO_API char *co_status_json(const co_tenant_status *rows, size_t n);
CO_API void co_status_json_row(co_buf *b, const co_tenant_status *r);

/* Fills the after-the-switch fields of rows from the journal (notes, the
 * latest monitor check, approvals waiting); co_status_list calls it. */
CO_API co_code co_status_aftercare(co_state *st, co_tenant_status *rows, size_t n, co_error *err);
/* Appends those fields as ,"notes":...,"monitor":...,"waiting_approval":... */
CO_API void co_status_aftercare_json(co_buf *b, const co_tenant_status *r);

#endif
