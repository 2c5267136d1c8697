/*
 * reader.h: extraction overlapped with loading. A reader thread steps the
 * source cursor and copies its rows, in batches, into a bounded queue (three
 * batches of at most 1,024 rows and about 1 MB of text each), while the
 * loading thread takes them one by one: the source works on the next batch
 * while the target takes the current one. The cursor's connection is used by
 * the reader thread alone until Co_reader_stop returns; nothing else (the
 * target, the journal, rejects) moves to another thread.
 *
 * CUTOVER_OVERLAP=0 in the environment turns it off (rows are then read on
 * the loading thread, as before); the result is the same either way.
 */
#ifndef CUTOVER_ENGINE_READER_H
#define CUTOVER_ENGINE_READER_H

#include "cutover/store.h"

typedef struct co_reader co_reader;

/* True unless CUTOVER_OVERLAP=0. */
bool Co_reader_wanted(void);

/* Starts reading c (width values per row) on a thread of its own. On failure
 * nothing is started and *out is NULL. */
co_code Co_reader_start(co_cursor *c, size_t width, co_reader **out, co_error *err);

/* The next row: *row points to width values, valid until the next call (or
 * Co_reader_stop). *has_row false at the end; a failure of the cursor is
 * returned here, with its error. */
co_code Co_reader_next(co_reader *r, const co_value **row, bool *has_row, co_error *err);

/* Stops the thread (whether or not every row was taken), waits for it and
 * frees r. NULL is fine. */
void Co_reader_stop(co_reader *r);

#endif
