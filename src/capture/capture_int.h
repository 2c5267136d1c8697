/* capture_int.h: what the files of src/capture share. */
#ifndef CUTOVER_CAPTURE_INT_H
#define CUTOVER_CAPTURE_INT_H

#include "cutover/capture.h"
#include "cutover/cutover_seq.h"
#include "cutover/store.h"
#include "engine/session.h"
#include "util/buf.h"

#include <stdbool.h>

/* Appends {"entity": ..., "row": {column: value, ...}} and a newline for the
 * cursor's current row: the line format of rollback exports and archives. */
void Co_entity_row_line(co_buf *line, const char *entity, co_cursor *c);

/* ---- the end of a move: freeze, verify, switch (freeze.c) ---- */

/* A safe point: CO_EINTERRUPTED (naming where) when opt's caller asked to stop. */
co_code Co_cutover_checkpoint(const co_cutover_options *opt, const char *where, co_error *err);

/* opt (NULL: none) with its defaults: backlog_small 100, max_rounds 20. */
co_cutover_options Co_cutover_defaults(const co_cutover_options *opt);
/* Why a move did not finish, into res->failure (message and where) and
 * res->failure_code (why's code; CO_EINTERNAL for none). */
void Co_cutover_failure(co_cutover_result *res, const co_error *why);

/* Whether rounds of catch-up are done: at most opt->backlog_small changes
 * wait, or no fewer than after the round before (*before, INT64_MAX at
 * first, then backlog): the rounds keep pace with the writes and more of
 * them would not leave the freeze less to do. */
bool Co_caught_up(const co_cutover_options *opt, int64_t backlog, int64_t *before);

/* Applies the tenant's captured changes through the journal's catch-up
 * (co_catch_up) in rounds, until Co_caught_up or opt->max_rounds rounds
 * ran; res->changes_applied counts them. */
co_code Co_catch_up_rounds(co_session *s, co_store *cap, const co_tenant *t,
                           const co_cutover_options *opt, co_cutover_result *res, co_error *err);

/* Step 4 of a move: the whole tenant verified while it still writes
 * (keeping its state), into *early; *mark gets the capture position applied
 * as it began and *again (new, for the caller to free) the rows it found
 * different. Those rows, and every row a change above the mark touches, are
 * verified again inside the freeze (Co_freeze_and_switch), which so stays
 * short whatever the tenant's size. */
co_code Co_verify_whole(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                        int64_t *mark, co_verify_scope **again, co_verify_result *early,
                        co_error *err);

/* What Co_freeze_and_switch starts from: the last verification of the whole
 * tenant and what applies captured changes. */
typedef struct co_freeze_plan {
    int64_t mark;            /* the capture position applied when that verification began:
                                the rows of every change above it are verified again */
    co_verify_scope *again;  /* and these (the rows it found different); filled here */
    int64_t since_run;       /* its run */
    int64_t run_id;          /* the run the steps are journaled under */
    co_lifecycle resume;     /* the state a lapsed freeze goes back to before it starts over */
    /* Applies captured changes: before the freeze (frozen false) until few
     * wait, inside it (frozen true) every one; *applied counts them. NULL:
     * the journal's catch-up (Co_catch_up_rounds, co_catch_up). */
    co_code (*catch_up)(void *ctx, bool frozen, int64_t *applied, co_error *err);
    void *catch_up_ctx;
} co_freeze_plan;

/* Steps 5 to 8 of a move (docs/cutover.md): catches up, verifies again
 * while the tenant still writes the rows changed since plan->mark (from a
 * newer mark, until few changes are above it: the freeze then verifies only
 * what changed during the last of these, res->narrowings), freezes the
 * tenant's writes (lifecycle frozen, the on_freeze hook), applies the last
 * changes, verifies again the rows changed since that mark and those found
 * different (res->verification), seals the freeze, marks source and target
 * switched, routes the tenant new (lifecycle switched) and runs the on_switch
 * hook; res->freeze_steps says where the freeze's time went. The heartbeat
 * is renewed after each step inside the freeze; a freeze that lapses (also
 * one whose verification found differences) goes back to plan->resume and
 * starts over (the third lapse fails). On failure *step says why and
 * res->freeze_seconds how long the tenant was frozen; undoing the freeze is
 * the caller's. */
co_code Co_freeze_and_switch(co_session *s, co_store *cap, const co_tenant *t,
                             const co_cutover_options *opt, const co_freeze_plan *plan,
                             co_cutover_result *res, co_error *step);

/* Changes read and applied at most at once: what bounds a catch-up's memory. */
#define ROUND_CHANGES 5000

/* Applies one batch of changes (catchup.c): refreshes what they touched,
 * entity by entity, parents first, in one transaction of the target (and
 * one of the journal); before_commit (may be NULL) runs inside both, after
 * the rows, so that what it writes to s->dest commits with them or not at
 * all. */
co_code Co_catch_up_batch(co_session *s, const co_tenant *t, int64_t run_id,
                          const co_change *changes, size_t n,
                          co_code (*before_commit)(void *ctx, co_error *err), void *ctx,
                          co_error *err);

/* A connection to the source that may write cutover's own objects (the
 * capture's), for the caller to close. */
co_code Co_capture_open(const co_project *p, co_store **out, co_error *err);

/* Deletes the tenant's changes at or below the capture position upto (all
 * applied, their mark durable on the target) from the change log, in at
 * most max_batches statements of at most batch changes each, each
 * committed on its own (outside a transaction), so that the log of a tenant
 * syncing for weeks stays bounded and the application's writers wait for no
 * long delete; the newest change of the whole log stays. Nothing is deleted
 * while fewer than min_rows may go: on SQLite every delete takes the
 * database's one write lock from the application, so fewer, larger ones.
 * *pruned counts the changes deleted. */
co_code Co_capture_prune(co_store *st, const char *tenant, int64_t upto, size_t batch,
                         size_t max_batches, size_t min_rows, int64_t *pruned, co_error *err);

/* Coexistence (sync.c): once migrate --coexist verified the tenant (early),
 * moves that verification into res, and when it passed, starts the target's
 * sync mark at the journal's, journals a first round (the changes the
 * migrate caught up, the backlog and lag now), takes its reads to 0 and
 * leaves it syncing; a verification with differences is CO_EVERIFY in err. */
co_code Co_sync_settle(co_session *s, co_store *cap, const co_tenant *t, co_cutover_result *res,
                       co_verify_result *early, co_error *err);

/* One round of a syncing tenant's sync (sync.c), for its switch (switch.c),
 * which holds the tenant's lease: applies the changes up to the capture
 * horizon with the target's mark and journals the round; *applied and
 * *backlog say what it did and what waits. */
co_code Co_sync_round(co_session *s, co_store *cap, const co_tenant *t, int64_t *applied,
                      int64_t *backlog, co_error *err);

/* ---- sync marks (sync.c): what a direction of sync has applied ---- */

/* (pos, upto, seq): every change at or below capture position pos is
 * applied, and of those in (pos, upto] the ones up to sequence number seq. */
typedef struct Co_mark {
    int64_t pos, upto, seq;
    int64_t applied; /* changes applied under this mark since it began */
} Co_mark;

/* A mark to write in the caller's transaction on store: forward sync's on
 * the target (cutover_sync_mark), reverse sync's on the source
 * (cutover_reverse_mark, reverse.c). */
typedef struct Co_mark_write {
    co_store *store;
    const char *tenant;
    const Co_mark *m;
    bool reverse;
} Co_mark_write;

/* Writes the mark (ctx: a Co_mark_write) inside the caller's transaction:
 * a before_commit of Co_catch_up_batch. */
co_code Co_sync_mark_put(void *ctx, co_error *err);
/* Writes the tenant's mark in a transaction of its own. */
co_code Co_sync_mark_set(co_store *store, bool reverse, const char *tenant, const Co_mark *m,
                         co_error *err);
/* The tenant's mark; *found false (and *m zero) when store has none. */
co_code Co_sync_mark_get(co_store *store, bool reverse, const char *tenant, Co_mark *m,
                         bool *found, co_error *err);
/* Forgets the tenant's mark (forward: on the target; reverse: on the
 * source), and the mark's table with its last row. */
co_code Co_sync_mark_remove(co_store *store, bool reverse, const char *tenant, co_error *err);
/* The age of the tenant's oldest change in cap's change log above the
 * position after, by the database's clock (0: none). */
co_code Co_sync_oldest_age(co_store *cap, const char *tenant, int64_t after, double *age,
                           co_error *err);

#endif
