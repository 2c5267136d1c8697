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

/* Coexistence (sync.c): once migrate --coexist verified the tenant (early),
 * moves that verification into res, and when it passed, starts the target's
 * sync mark at the journal's, journals a first round (the changes the
 * migrate caught up, the backlog and lag now), takes its reads to 0 and
 * leaves it syncing; a verification with differences is CO_EVERIFY in err. */
co_code Co_sync_settle(co_session *s, co_store *cap, const co_tenant *t, co_cutover_result *res,
                       co_verify_result *early, co_error *err);

/* Forgets the tenant's sync mark on the target (sync.c), and the mark's
 * table with its last row. */
co_code Co_sync_mark_remove(co_store *dest, const char *tenant, co_error *err);

#endif
