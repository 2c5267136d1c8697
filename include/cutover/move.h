/*
 * move.h: moving one tenant as a whole, with the policy that every front end
 * (migrate, run --cohort, worker, a dashboard) shares, so that none of them
 * repeats it: a paused cohort stops before the tenant; with a `capture` list
 * the zero-downtime cutover (capture, copy, catch up, freeze, verify, switch,
 * or roll back; co_cutover_tenant), else a plain load then its verification
 * (co_migrate_tenant, co_verify_tenant); the rehearsal gate and approvals of
 * those calls; the tenant's lease, and a worker's claim renewed as the work
 * goes; the caller's safe points for signals. The library prints nothing:
 * progress goes to the callbacks, the outcome to co_move_result.
 */
#ifndef CUTOVER_MOVE_H
#define CUTOVER_MOVE_H

#include "cutover/cutover.h"

typedef struct co_move_options {
    bool again;            /* reload a migrated tenant (a switched one is refused) */
    bool skip_rehearsal;   /* move without a passing rehearsal (the journal records it) */
    bool no_verify;        /* plain load only: do not verify after it (refused with capture
                              by the caller: a cutover always verifies) */
    bool verify_skipped;   /* plain load: verify a tenant skipped as already migrated too */
    bool count_rows;       /* count each entity's rows first, for progress totals */
    size_t sample;         /* findings kept by the verification (0: 10) */
    bool in_cohort;        /* stop before the tenant when cohort is paused (CO_MOVE_PAUSED) */
    int cohort;
    /* A worker's claim on the tenant (co_state_claim), renewed from the
     * progress of the work a third of lease_seconds at most after the last
     * renewal; NULL: no claim. */
    const char *claim_worker;
    int lease_seconds;
    co_progress_fn progress;
    void *progress_ctx;
    /* Safe points: cancelled is asked between catch-up rounds and the steps of
     * a cutover (co_cutover_options.cancelled); on_row sees every row a plain
     * load copies and stops it with its error (co_migrate_options.on_row). */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
    co_row_fn on_row;
    void *on_row_ctx;
    bool on_row_checkpoint; /* co_migrate_options.on_row_checkpoint */
    /* Coexistence (cutover/sync.h): capture, copy, catch up and verify, then
     * leave the tenant syncing (CO_MOVE_SYNCING) rather than freeze and
     * switch it; refused (CO_EPROJECT) without a `capture` list. */
    bool coexist;
} co_move_options;

typedef enum co_move_status {
    CO_MOVE_FAILED,      /* an error stopped it (co_move_tenant's code; res->failure) */
    CO_MOVE_MIGRATED,    /* loaded by a plain load (verified unless no_verify; see verified) */
    CO_MOVE_SWITCHED,    /* cut over: the route says "new" */
    CO_MOVE_SKIPPED,     /* migrated or switched already: nothing done */
    CO_MOVE_REFUSED,     /* the cutover did not start (a hook, --again on a switched tenant) */
    CO_MOVE_ROLLED_BACK, /* the cutover failed and was rolled back: still on the source */
    CO_MOVE_PAUSED,      /* its cohort is paused: not started */
    CO_MOVE_SYNCING,     /* coexist: copied, verified and left syncing (docs/coexistence.md) */
} co_move_status;

typedef struct co_move_result {
    co_move_status status;
    bool cutover;              /* the project captures writes: a cutover ran */
    bool syncing;              /* coexist: the tenant is syncing (left so by this move, or
                                  found so and skipped) */
    co_migrate_result load;    /* the copy's counts */
    bool verified;             /* a verification ran (and is in verification) */
    co_verify_result verification;
    double freeze_seconds;     /* cutover: from freeze to switch or rollback */
    int64_t changes_applied;   /* cutover: captured changes caught up */
    const char *phase;         /* an error's step: "load", "verify" or "cutover"; else NULL */
    char failure[512];         /* why it failed, was refused or rolled back; else "" */
    co_code failure_code;      /* the class of a refusal or rollback (CO_EVERIFY, ...) */
} co_move_result;

/* Moves t (see the file comment) and says how in res, which the caller
 * releases with co_move_result_release whatever the outcome. A cutover that
 * was rolled back or refused, a failed verification and a paused cohort are
 * outcomes (CO_OK); an error is returned as its code with res->status
 * CO_MOVE_FAILED, or CO_MOVE_MIGRATED when the rows were loaded but the
 * verification could not run (res->phase "verify"). A job of --jobs N calls
 * it with its own session: two sessions never hold one tenant (CO_EBUSY). */
CO_API co_code co_move_tenant(co_session *s, const co_tenant *t, const co_move_options *opt,
                              co_move_result *res, co_error *err);
CO_API void co_move_result_release(co_move_result *r);

/* Whether co_move_tenant with opt (NULL: the defaults) would find t done by
 * the journal alone, with nothing to copy, verify or switch: a plain load's
 * tenant loaded and verified already (or loaded, with no_verify), unless
 * again or verify_skipped; with capture, a tenant routed to the new system,
 * or one syncing unless again. --jobs N does not size such a tenant to
 * order the run (a count of its rows on the source). Errors: the journal's. */
CO_API co_code co_move_done(co_session *s, const co_tenant *t, const co_move_options *opt,
                            bool *done, co_error *err);

/* Whether the tenant is where the move meant it to be: switched, syncing, migrated
 * and verified with a pass (or not asked to verify), or skipped as already
 * there (with verify_skipped, verified again with a pass). */
CO_API bool co_move_succeeded(const co_move_result *r);

/* The status as the summaries name it: "failed", "migrated", "switched",
 * "skipped", "refused", "rolled_back", "paused", "syncing". */
CO_API const char *co_move_status_name(co_move_status st);

#endif
