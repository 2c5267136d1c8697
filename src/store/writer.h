/*
 * writer.h: the write token of a one-writer database (a SQLite file), held
 * by one thread of the process at a time while it loads a tenant. Jobs of
 * --jobs N into one SQLite target then load one tenant at a time and verify
 * the others beside it (a reader in WAL mode runs beside the writer),
 * instead of writing in turn chunk by chunk through SQLite's busy wait.
 * Processes still wait for each other through the database's own lock.
 */
#ifndef CUTOVER_STORE_WRITER_H
#define CUTOVER_STORE_WRITER_H

#include "cutover/store.h"

typedef struct co_write_token co_write_token;

/* Takes the write token of s's database into *out, waiting while another
 * thread of this process holds it, when s has one writer at a time
 * (co_store_one_writer) and is a file; else *out is NULL. The caller gives
 * it back with Co_store_writer_give. Errors: CO_ENOMEM. */
co_code Co_store_writer_take(const co_store *s, co_write_token **out, co_error *err);
/* Gives back a token Co_store_writer_take took; nothing when NULL. */
void Co_store_writer_give(co_write_token *t);
/* Caps at kib KiB the page cache s keeps while it holds the write token and
 * after (0: the engine's sizes, for a SQLite file 64 MB while it loads and
 * 16 MB after), for a database whose memory counts for more than its speed:
 * the audit's scratch copies, one per job. Call it before the token is taken. */
void Co_store_writer_cache(co_store *s, size_t kib);

#endif
