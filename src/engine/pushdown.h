/*
 * pushdown.h: an entity's rows loaded by INSERT ... SELECT (a chunk of keys
 * at a time) inside the databases when none needs cutover's hands (pushdown.c has the rule).
 * Private to src/engine.
 */
#ifndef CUTOVER_ENGINE_PUSHDOWN_H
#define CUTOVER_ENGINE_PUSHDOWN_H

#include "engine/load_int.h"

/* When the entity of l may be pushed down: opens l->pd with the parents'
 * loaded keys copied, and finds the chunks' bounds (the tenant's rows in key
 * order, pushdown_chunk_rows, else batch_size, to a chunk); l->pd stays NULL when the entity loads row
 * by row (not eligible, or the engines cannot). Errors: the databases', or
 * on_row's when it stopped a statement. */
co_code Co_pushdown_try(load *l, const co_migrate_options *opt, co_error *err);
/* After Co_pushdown_try opened l->pd: loads the entity a chunk (a key range)
 * at a time, each in a transaction of the target of its own that commits
 * after the journal, as a batch does: the rows that pass the row path's
 * checks by one INSERT ... SELECT (counted in l->counts), those that fail
 * them rejected by the row path (Co_load_batch), each with its reason. A
 * chunk the target refuses a row of is undone and loads row by row. */
co_code Co_pushdown_load(load *l, co_loader *loader, const co_migrate_options *opt,
                         int64_t total);
/* Closes l->pd (what it did not commit is undone); nothing when NULL. */
void Co_pushdown_close(load *l);

#endif
