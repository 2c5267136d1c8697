/* reverse_int.h: reverse sync and the carry-back (src/capture/reverse*.c):
 * a switched tenant's rows going from the target back to the source through
 * each entity's `reverse` mapping (docs/coexistence.md, "Reverse sync"). */
#ifndef CUTOVER_REVERSE_INT_H
#define CUTOVER_REVERSE_INT_H

#include "capture/capture_int.h"
#include "cutover/sync.h"
#include "engine/engine_int.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- writing target rows into the source (reverse_rows.c) ---- */

typedef struct Co_reverse_writer Co_reverse_writer;

/* SELECT the entity's reverse columns, then its reverse key columns, then
 * its `insert` expressions, FROM its target table WHERE its tenant column =
 * :tenant; by_key adds the key (parameters :k0, :k1, ...). e must have
 * `reverse` and a tenant column. A row of it has Co_reverse_width values. */
void Co_reverse_select_sql(co_store *dest, const co_entity *e, bool by_key, co_buf *sql);
size_t Co_reverse_width(const co_reverse *r);

/* Prepares the statements that write entity e's rows into its reverse
 * table on cap (the source, inside the caller's transaction); km (may be
 * NULL: no entity keyed by the target) maps target keys back. */
co_code Co_reverse_writer_open(co_session *s, co_store *cap, const co_entity *e, co_keymap *km,
                               Co_reverse_writer **out, co_error *err);
void Co_reverse_writer_close(Co_reverse_writer *w);
/* Writes one target row (values as Co_reverse_select_sql orders them; the
 * keys in it are rewritten to source keys) into the source: an update, or an
 * insert where the source lacks it. *written false, with the reason in
 * row_err, when the source refused it (the transaction goes on); the return
 * value is the transaction's failure. */
co_code Co_reverse_writer_put(Co_reverse_writer *w, co_value *row, bool *written,
                              co_error *row_err, co_error *err);
/* Deletes the source row of the target key (nkey values, rewritten to the
 * source key); *written and row_err as Co_reverse_writer_put's. */
co_code Co_reverse_writer_delete(Co_reverse_writer *w, co_value *key, bool *written,
                                 co_error *row_err, co_error *err);

/* ---- reverse sync (reverse.c) ---- */

/* Whether entity e goes back to the source: it has `reverse` and a tenant
 * column. */
bool Co_reverse_entity(const co_entity *e);

/* The names of the entities that do not go back (comma-separated) into
 * out; false when every entity does. */
bool Co_reverse_missing(const co_project *p, co_buf *out);

/* Starts reverse capture of the tenant (before its writes switch): the
 * project's capture operations on the target, over the target tables of the
 * entities that go back, filtered by their tenant column, and the reverse
 * mark on the source (cutover_reverse_mark) at the target's capture horizon.
 * *started false (nothing done) when no entity goes back or the target's
 * engine cannot capture. */
co_code Co_reverse_begin(co_session *s, co_store *cap, const co_tenant *t, bool *started,
                         co_error *err);

/* The switch's word on reverse sync into res: reverse_sync (started), and
 * reverse_notice naming what is not synced back, never silently. */
void Co_reverse_notice(const co_project *p, bool started, co_cutover_result *res);

/* Moves the tenant's reverse mark to the target's capture horizon now
 * (inside the switch's freeze, once the last forward changes are applied:
 * what the target records from here on is the new system's). */
co_code Co_reverse_mark_now(co_session *s, co_store *cap, const co_tenant *t, co_error *err);

/* Journals the first reverse round of a tenant being switched (inside its
 * freeze: what waits, nothing applied): once switched, status and `sync
 * --follow` see it reverse-syncing. */
co_code Co_reverse_settle(co_session *s, co_store *cap, const co_tenant *t, co_error *err);

/* *active: the tenant has reverse capture on the target and its mark on the
 * source. */
co_code Co_reverse_active(co_session *s, co_store *cap, const co_tenant *t, bool *active,
                          co_error *err);

/* One round of reverse sync of a switched tenant (co_sync_tenant): applies
 * the changes the target recorded up to its capture horizon to the source,
 * in batches, each in one source transaction with the reverse mark (a kill
 * anywhere loses nothing and applies nothing twice), passing through the
 * source's freeze of the tenant; journals the round (direction reverse).
 * CO_ENOTREADY when the tenant has no reverse capture. */
co_code Co_reverse_round(co_session *s, co_store *cap, const co_tenant *t,
                         const co_sync_options *opt, co_sync_result *res, co_error *err);

/* The rollback's reverse path: freezes the tenant's writes on the target,
 * applies every change it recorded (*applied counts them), and checks that
 * the freeze held throughout (CO_ENOTREADY otherwise), sealing it in the
 * same statement: it holds until Co_reverse_end or the purge's
 * Co_reverse_release. The caller routes the tenant back and then ends the
 * reverse capture (Co_reverse_end), or only its mark on the source when the
 * purge of the target waits (Co_sync_mark_remove). */
co_code Co_reverse_last(co_session *s, co_store *cap, const co_tenant *t, int64_t *applied,
                        co_error *err);

/* Ends the tenant's reverse capture: the target's capture of it (and its
 * freeze there) removed, the reverse mark forgotten (cap NULL: the mark is
 * left alone, a rollback removed it already). Nothing when there is none. */
co_code Co_reverse_end(co_session *s, co_store *cap, const co_tenant *t, co_error *err);

/* The deferred purge of a tenant rolled back by reverse sync (rollback.c),
 * the context of Co_reverse_purge_enter and _leave. */
typedef struct Co_reverse_purge {
    co_session *s;
    const co_tenant *t;
    bool captured;   /* the target's capture of the tenant, hidden meanwhile */
    char since[64];  /* its row's since */
} Co_reverse_purge;

/* Inside each of the purge's transactions on the target (Co_purge_plan's
 * enter and leave, ctx a Co_reverse_purge): enter lifts the tenant's sealed
 * freeze there and takes its capture off, so that the purge's deletes pass
 * and are not recorded; leave puts both back before the commit, or, in the
 * transaction that ends the purge (last), removes them for good. Another
 * session sees the tenant frozen with its rows (all, or what is left of
 * them), or neither. Co_reverse_end then removes what is left of its
 * capture. */
co_code Co_reverse_purge_enter(void *ctx, co_error *err);
co_code Co_reverse_purge_leave(void *ctx, bool last, co_error *err);

/* ---- the end of a rollback (rollback.c) ---- */

/* The end of t's rollback once it is routed back and its source unfrozen:
 * with frozen (the target's sealed freeze of a rollback by reverse sync),
 * the tenant moves to purge_pending (res->purge_pending), its purge left for
 * co_rollback_purge; otherwise, or when its state cannot go there, the
 * target's rows are purged now (res->purge_seconds) and it moves to
 * rolled_back. res->remains says what is left when it fails. */
co_code Co_rollback_end(co_session *s, const co_tenant *t, bool frozen, co_rollback_result *res,
                        co_error *err);

/* co_rollback_purge_with for a caller that holds the tenant's lease. */
co_code Co_rollback_purge_leased(co_session *s, const co_tenant *t, const co_purge_options *opt,
                                 co_purge_result *res, co_error *err);

#endif
