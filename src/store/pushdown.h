/*
 * pushdown.h: loading an entity's rows from the source into the destination
 * inside the database, one INSERT ... SELECT, when both are of an engine that
 * can (two SQLite files: sqlite_pushdown.c). The engine decides which
 * entities may (engine/pushdown.c); the store only runs the statement.
 */
#ifndef CUTOVER_STORE_PUSHDOWN_H
#define CUTOVER_STORE_PUSHDOWN_H

#include "cutover/store.h"

/* Opens *out, a connection that reads what source reads and writes table
 * (loading its ncols columns) of dest. CO_EUNSUPPORTED (err set) when the
 * two cannot: not both of one engine that can, or the table has what only a
 * load row by row respects (triggers, declared foreign keys). stop (may be
 * NULL) is asked now and then while a statement runs; true interrupts it.
 * The connection begins no transaction itself: the caller runs "BEGIN",
 * co_store_commit or co_store_rollback on it, and co_store_close. */
co_code Co_store_pushdown_open(co_store *source, co_store *dest, const char *table,
                               const char *const *columns, size_t ncols, bool (*stop)(void *ctx),
                               void *stop_ctx, co_store **out, co_error *err);
/* Inserts the rows of select_sql (its columns in the order given to
 * Co_store_pushdown_open; the source's tables unqualified, cutover_key,
 * cutover_int_key, cutover_utf8, cutover_tally and cutover_admit available) into the table. *changes gets the
 * rows inserted, *bytes what cutover_tally counted. A refused row fails the
 * whole statement (no row is left out silently). */
co_code Co_store_pushdown_insert(co_store *pd, const char *select_sql, const co_param *params,
                                 size_t nparams, int64_t *changes, int64_t *bytes, co_error *err);
/* The rows the last insert left out (those for which the SELECT's WHERE
 * clause, cutover_admit(pass, v, ...), had pass 0: the values v; a NULL
 * pass is neither inserted nor kept), as a
 * cursor of their values; *out NULL when they were too many to keep (read
 * them again with a query). Close the cursor before the connection. */
co_code Co_store_pushdown_failed(co_store *pd, co_cursor **out, co_error *err);

#endif
