/*
 * pushdown.h: an entity's rows loaded by one INSERT ... SELECT inside the
 * databases when none needs cutover's hands (pushdown.c has the rule).
 * Private to src/engine.
 */
#ifndef CUTOVER_ENGINE_PUSHDOWN_H
#define CUTOVER_ENGINE_PUSHDOWN_H

#include "engine/load_int.h"

/* When the entity of l may be pushed down: opens l->pd, begins its
 * transaction and inserts the rows that pass the row path's checks, counted
 * in l->counts; l->pd stays NULL when the entity loads row by row (not
 * eligible, the engines cannot, or the target refused a row: then nothing
 * of it stays). Errors: the databases', or on_row's when it stopped the
 * statement. */
co_code Co_pushdown_try(load *l, const co_migrate_options *opt, co_error *err);
/* After Co_pushdown_try opened l->pd: the rows that failed the checks, read
 * back and rejected by the row path (Co_load_rows), each with its reason. */
co_code Co_pushdown_rest(load *l, co_loader *loader, const co_migrate_options *opt,
                         int64_t total);
/* Closes l->pd (what it did not commit is undone); nothing when NULL. */
void Co_pushdown_close(load *l);

#endif
