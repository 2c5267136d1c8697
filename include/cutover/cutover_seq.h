/*
 * cutover_seq.h: moving one tenant without the customer noticing, and undoing it.
 *
 * With a `capture` list in the project file, a tenant's migration is:
 * capture its writes on the source -> copy -> catch up on the captured
 * changes until the backlog is small -> freeze its writes (on_freeze hook;
 * the freeze time is the rollback point) -> apply the last changes -> verify
 * -> switch its route to "new" (on_switch hook). A failure at any step rolls
 * the tenant back: its rows leave the target, capture and freeze are removed
 * and the route stays "old" (on_failure, on_rollback hooks). After a switch
 * the source keeps the tenant's rows, frozen, for the retention window;
 * a rollback then first exports the tenant's rows from the target to a file,
 * so that writes made in the new system are not lost.
 */
#ifndef CUTOVER_CUTOVER_SEQ_H
#define CUTOVER_CUTOVER_SEQ_H

#include "cutover/verify.h"

typedef struct co_cutover_options {
    bool skip_rehearsal;
    bool again;               /* asked to reload: a switched tenant is refused, not skipped */
    size_t sample;            /* findings kept by the verification */
    int64_t backlog_small;    /* freeze once no more changes than this wait (default 100) */
    int max_rounds;           /* catch-up rounds before freezing anyway (default 20) */
    co_progress_fn progress;
    void *progress_ctx;
    /* Asked at each safe point (between rows of the copy, catch-up rounds and
     * the steps of the freeze) whether to stop: true stops with
     * CO_EINTERRUPTED, and the tenant is rolled back. Past the point of no
     * return (the freeze sealed for the switch) the switch is finished. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
    /* Coexistence (cutover/sync.h): stop after the verification of the whole
     * tenant, leaving it syncing (res->syncing) instead of freezing it. */
    bool coexist;
} co_cutover_options;

typedef struct co_cutover_result {
    co_migrate_result load;
    co_verify_result verification;
    bool verified;             /* verification ran */
    int64_t changes_applied;   /* captured changes caught up */
    double freeze_seconds;     /* from freeze to switch (or to rollback) */
    /* Where the last freeze's time went, in seconds (switch --json's
     * freeze_steps): freezing (the triggers, the on_freeze hook), the last
     * changes applied, the rows they touched verified, the seal and the
     * marks, the route and the on_switch hook; and before it, while the
     * tenant still wrote, the verifications that narrowed what the freeze
     * verifies (narrowings of them, narrow_seconds). */
    struct {
        double freeze, catch_up, verify, seal, route;
    } freeze_steps;
    int freeze_lapses;         /* freezes that lapsed and were made again */
    int narrowings;
    double narrow_seconds;
    double seconds;
    bool switched;
    bool syncing;              /* coexist: verified and left syncing (or found so, skipped) */
    bool rolled_back;
    char failure[512];         /* why it did not switch, or "" */
    co_code failure_code;      /* the class of what failed: CO_ESOURCE, CO_ETARGET,
                                  CO_EVERIFY, CO_ENOTREADY (a hook, a refusal), ...;
                                  CO_OK when failure is "" */
    bool reverse_sync;         /* switched with reverse capture (docs/coexistence.md) */
    char reverse_notice[512];  /* what the switch does not sync back (entities without
                                  `reverse`, or none at all, and why), or "" */
} co_cutover_result;

/* The whole migration of t (see the file comment). A failure that was rolled
 * back is a result (res->switched false, res->rolled_back true, res->failure
 * and res->failure_code say why), not an error; errors are for failures that
 * could not be rolled back. A tenant already switched is skipped
 * (res->load.skipped); with opt->again it is refused instead (failure_code
 * CO_ENOTREADY, "roll it back first"), nothing done. A tenant not switched
 * is always loaded afresh, so opt->again changes nothing for it. */
CO_API co_code co_cutover_tenant(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                                 co_cutover_result *res, co_error *err);
CO_API void co_cutover_result_release(co_cutover_result *r);

/* The switch of a syncing tenant's writes (docs/coexistence.md): sync rounds
 * until at most opt->backlog_small changes wait, the whole tenant verified
 * while it still writes, then the freeze of its writes on the source, the
 * last changes, a verification of only what changed since, the route new
 * (writes and every read; the read share goes back to 0) and the freeze
 * lifted for good with the tenant switched; reverse sync starts with it (the
 * new system's writes captured on the target for `cutover sync` to apply to
 * the source: res->reverse_sync, and res->reverse_notice naming what is not
 * synced back, docs/coexistence.md). opt as co_cutover_tenant's (only
 * sample, backlog_small, max_rounds and cancelled apply; NULL: defaults).
 * CO_ENOTREADY for a tenant that is not syncing, or whose switch waits for
 * an approval; CO_EBUSY when another process holds the tenant for longer
 * than 30 s (a `sync --follow` holds it a round at a time: the switch waits
 * for the round). A failure on the way is an outcome (res->failure,
 * res->failure_code; the function returns CO_OK): the tenant is back to
 * syncing, unfrozen, routed old, and sync goes on from its mark, so that
 * nothing the old system accepted is lost. The run is journaled (command
 * "switch"). */
CO_API co_code co_switch_tenant(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                                co_cutover_result *res, co_error *err);

/* Applies the tenant's captured changes above the journal's mark, in rounds,
 * up to the capture horizon (co_capture_horizon), or all of them when frozen
 * (the freeze waited for the writes in flight), and moves the mark to the
 * horizon; *applied counts them. cap is a writable connection to the source. */
CO_API co_code co_catch_up(co_session *s, co_store *cap, const co_tenant *t, int64_t run_id,
                           bool frozen, int64_t *applied, co_error *err);

/* Adds to scope the rows that the tenant's captured changes with a capture
 * position in (after, upto] touch, by the entities' follows. */
CO_API co_code co_changes_scope(co_store *cap, const co_project *p, const char *tenant,
                                int64_t after, int64_t upto, co_verify_scope *scope, co_error *err);

typedef struct co_rollback_result {
    bool was_switched;
    char *export_file;  /* the tenant's target rows, when it was switched; else NULL */
    int64_t exported;   /* rows in it */
    int64_t carried_back; /* rows written back into the source (entities with `reverse`) */
    int64_t not_carried;  /* rows the source refused (a constraint): they are in the export */
    bool reverse_synced;  /* switched with reverse sync: the target frozen, its last changes
                             applied to the source (reverse_applied of them), nothing carried */
    int64_t reverse_applied;
    char carry_reason[256]; /* switched and carried back instead: why (no reverse capture,
                               or it failed); else "" */
    double back_seconds;  /* until the tenant was back on the old system (routed old, the
                             source taking its writes, its rows there), before the purge of
                             the target */
    double seconds;
    const char *remains;  /* when it failed: what is left to do (static text), else NULL */
    bool purge_pending;   /* rolled back by reverse sync: the tenant is back on the old system
                             (purge_pending), its rows stay in the target, frozen there, until
                             co_rollback_purge purges them */
    double purge_seconds; /* the purge of the target's rows, when this call made it */
} co_rollback_result;

/* Rolls t back (idempotent): routes it "old"; when it was switched with
 * reverse sync (docs/coexistence.md), freezes its writes on the target and
 * applies their last changes to the source, exporting only the rows of
 * entities without `reverse`; when it was switched without (or reverse
 * sync fails: res->carry_reason), exports its target rows first and carries
 * the rows of entities with a `reverse` mapping back into the source
 * (updating, or inserting what the source lacks);
 * removes capture and freeze from the source and purges the target. After
 * reverse sync the purge waits: the call returns once the tenant is back on
 * the source, which takes its writes, with the state "purge_pending" and
 * res->purge_pending, its target rows frozen there (the new system refuses
 * the tenant's writes) until co_rollback_purge. A rollback of a
 * purge_pending tenant is that purge. A
 * rollback that fails part way sets the tenant's state "rollback_incomplete",
 * says in err what remains and how to finish it, and res->remains too;
 * co_cutover_tenant finishes it before it moves the tenant again. */
CO_API co_code co_rollback_tenant(co_session *s, const co_tenant *t, co_rollback_result *res,
                                  co_error *err);
CO_API void co_rollback_result_release(co_rollback_result *r);

/* Purges the target's rows of a tenant left purge_pending by its rollback
 * (co_rollback_tenant): in chunks of options.purge_chunk_rows rows, each in
 * a transaction of the target inside which the tenant's freeze and capture
 * there are lifted and put back before it commits, but in the last, which
 * removes them with the last rows: no session sees its rows unfrozen, and
 * another writer of the target waits for one chunk at most. Then what is
 * left of its capture there, its reverse mark on the source, its traces and
 * sync mark go, and the journal says rolled_back. Resumable: killed
 * anywhere, the tenant stays purge_pending, frozen on the target with the
 * rows left, and the next call finishes it. *seconds (may be NULL) gets its
 * duration. Waits for the tenant's lease (a sync round). CO_ENOTREADY,
 * naming its state, for a tenant that is not purge_pending. cutover sync,
 * cutover purge and a later migrate call it. */
CO_API co_code co_rollback_purge(co_session *s, const co_tenant *t, double *seconds,
                                 co_error *err);

/* How co_rollback_purge_with purges (NULL: as co_rollback_purge). */
typedef struct co_purge_options {
    double max_seconds;      /* > 0: return at the end of the first chunk past this many
                                seconds, the rest left for the next purge; 0: to the end */
    co_progress_fn progress; /* after each chunk and each entity: its rows purged so far
                                (rows_total -1) */
    void *progress_ctx;
} co_purge_options;

typedef struct co_purge_result {
    bool done;      /* the purge ended: rolled_back; false: max_seconds stopped it, the
                       tenant is still purge_pending */
    int64_t rows;   /* rows deleted from the target by this call */
    double seconds;
} co_purge_result;

/* co_rollback_purge as opt says, the outcome in *res. */
CO_API co_code co_rollback_purge_with(co_session *s, const co_tenant *t,
                                      const co_purge_options *opt, co_purge_result *res,
                                      co_error *err);

/* The rollback's result as one JSON object (no newline), as `cutover rollback
 * --json` prints it and the dashboard's POST /api/tenants/T/rollback answers:
 * tenant, rolled_back, was_switched, exported, carried_back, not_carried,
 * export_file, reverse_synced, reverse_applied, carry_reason, back_seconds,
 * purge_pending, purge_seconds (null when no purge was made) and seconds.
 * The caller frees it; NULL when out of memory. */
CO_API char *co_rollback_json(const char *tenant, const co_rollback_result *r);

/* Runs the project's hook for phase, if any (a command run by /bin/sh in the
 * project's directory), with CUTOVER_TENANT, CUTOVER_PHASE and CUTOVER_RUN_ID
 * in its environment. A hook that exits non-zero (or cannot run) answers
 * CO_ENOTREADY naming it and its status: the phase stops. */
CO_API co_code co_run_hook(const co_project *p, co_hook_phase phase, const char *tenant,
                           int64_t run_id, co_error *err);

/* co_run_hook with more: env holds name, value pairs ended by NULL (added
 * to the hook's environment), and input (may be NULL) is written to the
 * hook's standard input. The on_alert hook gets its details this way. */
CO_API co_code co_run_hook_input(const co_project *p, co_hook_phase phase, const char *tenant,
                                 int64_t run_id, const char *const *env, const char *input,
                                 co_error *err);

typedef struct co_archive_result {
    char *path;       /* the archive file */
    int64_t rows;
    int64_t bytes;    /* compressed */
} co_archive_result;

/* Writes the tenant's source rows, as every entity query returns them, to a
 * zstd-compressed JSON Lines file under .cutover/archive, whose first line
 * names the project file's hash; the journal records it. */
CO_API co_code co_archive_tenant(co_session *s, const co_tenant *t, co_archive_result *res,
                                 co_error *err);
CO_API void co_archive_result_release(co_archive_result *r);

/* Ends a switched tenant's undo window: refused (CO_ENOTREADY, saying from
 * when) until retention_days after the switch; then removes capture and
 * freeze from the source and marks the tenant finalized. The old rows stay. */
CO_API co_code co_finalize_tenant(co_session *s, const co_tenant *t, co_error *err);

#endif
