/*
 * sqlite_int.h: what the SQLite files of src/store share beyond store_int.h:
 * the store's layout and helpers, its loader (sqlite_load.c), its SQL
 * functions (sqlite_fn.c), and the foreign keys a load enforces (sqlite_constraints.c), so that a row
 * whose declared foreign key names no parent row is refused with the rule
 * foreign_key, as PostgreSQL refuses it.
 */
#ifndef CUTOVER_STORE_SQLITE_INT_H
#define CUTOVER_STORE_SQLITE_INT_H

#include "store/store_int.h"

#include <sqlite3.h>

/* A thread that checkpoints a SQLite file in WAL mode beside the load that
 * writes it (sqlite_checkpoint.c). */
typedef struct sq_checkpointer sq_checkpointer;
/* A connection's hold on a checkpointer: its commits into schema go to it. */
typedef struct sq_checkpoint_link {
    sq_checkpointer *to;
    char schema[32];
} sq_checkpoint_link;

/* SQLite's own threshold: a checkpoint once the WAL holds 1,000 pages. */
#define SQ_CHECKPOINT_FRAMES 1000
/* Past this many bytes of WAL a commit copies the rest back itself, so that
 * the WAL starts over (sqlite_checkpoint.c). */
#define SQ_CHECKPOINT_CAP_BYTES (512 * 1024 * 1024)

/* A checkpointer of the file at path, held once by the caller: a commit
 * that leaves frames or more pages in the WAL wakes its thread (started at
 * the first), one that leaves cap_frames or more checkpoints itself, as does
 * every commit once the thread could not start or open the file. NULL for
 * ":memory:", under CUTOVER_CHECKPOINT=0, or out of memory: the commits then
 * checkpoint as SQLite does. */
sq_checkpointer *Co_sqlite_checkpointer_new(const char *path, int frames, int cap_frames);
/* Drops one hold; the last stops the thread and frees c. NULL: nothing. */
void Co_sqlite_checkpointer_release(sq_checkpointer *c);
/* Hands db's commits into schema to c (a hold of its own), in place of
 * SQLite's automatic checkpoint; nothing when c is NULL. */
void Co_sqlite_checkpointer_follow(sq_checkpoint_link *l, sq_checkpointer *c, sqlite3 *db,
                                   const char *schema);
/* Gives db back SQLite's automatic checkpoint and drops l's hold. */
void Co_sqlite_checkpointer_unfollow(sq_checkpoint_link *l, sqlite3 *db);
/* Once c's thread has nothing in hand: the checkpoints it ran, and those
 * that commits ran themselves (what the tests read). */
void Co_sqlite_checkpointer_counts(sq_checkpointer *c, long *rounds, long *inline_rounds);

/* The rows a push-down's INSERT left out (cutover_admit), kept up to a
 * bound so that they need not be read again (sqlite_pushdown.c). */
typedef struct sq_failed {
    size_t ncols, nrows, cap;
    co_value *vals;  /* nrows * ncols; text and blob bytes at offs in bytes */
    size_t *offs;
    co_buf bytes;
    bool overflow;   /* more than the bound: none kept */
} sq_failed;

typedef struct sqlite_store {
    co_store base;
    sqlite3 *db;
    co_buf key; /* the canonical key cutover_keep() and cutover_map() build */
    co_buf mapped, mapped_bytes; /* cutover_map(): the key it found, decoded */
    const char *path; /* for messages; owned by base.safe_uri once open returns */
    bool writable;    /* a source connection that co_store_allow_writes opened to writes */
    bool begin_pending; /* co_store_begin_on_write: BEGIN IMMEDIATE before the first write */
    int loaders;        /* loaders open on it: statement journals in memory (sqlite_load.c) */
    /* The checkpointer it made when it first held the file's write token,
     * kept until it closes; while it holds the token, its commits and its
     * push-down connections' follow it (sqlite_checkpoint.c). */
    sq_checkpointer *checkpointer;
    sq_checkpoint_link checkpoint_link;
    /* A push-down connection (sqlite_pushdown.c): the INSERT's head, the
     * bytes cutover_tally counted, what its progress handler asks. */
    char *pushdown_head;
    int64_t tally;
    void *pushdown_watch;
    sq_failed *failed;
} sqlite_store;

/* The store's connection. */
static inline sqlite3 *co_sqlite_db(co_store *s) { return ((sqlite_store *)s)->db; }
/* Runs the BEGIN IMMEDIATE that co_store_begin_on_write put off, if it is
 * still pending: before any statement runs, and before a loader applies rows. */
co_code Co_sqlite_begin_pending(co_store *s, co_error *err);
/* True while that BEGIN is pending: a loader then holds its rows. */
static inline bool co_sqlite_holding(co_store *s) { return ((sqlite_store *)s)->begin_pending; }
/* Fills err from the connection's last error, naming the side. */
co_code Co_sqlite_fail(co_store *s, const char *doing, co_error *err);
/* Binds v to parameter idx of st (texts and blobs not copied). */
int Co_sqlite_bind_value(sqlite3_stmt *st, int idx, const co_value *v);
/* True when table has triggers (or they cannot be read): a load row by row
 * (sqlite_load.c). */
bool Co_sqlite_has_triggers(co_store *s, const char *table);
/* The loader_open operation (sqlite_load.c). */
co_code Co_sqlite_loader_open(co_store *s, const char *table, const char *const *columns,
                              size_t ncols, co_loader **out, co_error *err);

/* Installs cutover's SQL functions on the store's connection (sqlite_fn.c). */
void Co_sqlite_register_functions(sqlite_store *s);
/* The functions of a push-down connection (sqlite_pushdown.c):
 * cutover_key(v), the canonical key of one value (util/key.h);
 * cutover_utf8(v, ...), 1 when every text value is valid UTF-8, else 0;
 * cutover_tally(x, v, ...), x, the bytes of the values v added to s->tally
 * (text and blob bytes, 8 per number, as a load counts them);
 * cutover_admit(pass, v, ...), pass, the row v kept in s->failed when pass
 * is 0 (Co_sqlite_failed_keep). */
void Co_sqlite_register_pushdown_functions(sqlite_store *s);
/* Keeps a row of n values in f, or sets f->overflow past the bound. */
void Co_sqlite_failed_keep(sq_failed *f, const co_value *row, size_t n);
/* Frees f and what it holds. */
void Co_sqlite_failed_free(sq_failed *f);
/* The pushdown_open and pushdown_insert operations (sqlite_pushdown.c). */
co_code Co_sqlite_pushdown_open(co_store *source, co_store *dest, const char *table,
                                const char *const *columns, size_t ncols,
                                bool (*stop)(void *ctx), void *stop_ctx, co_store **out,
                                co_error *err);
co_code Co_sqlite_pushdown_insert(co_store *pd, const char *select_sql, const co_param *params,
                                  size_t nparams, int64_t *changes, int64_t *bytes,
                                  co_error *err);
co_code Co_sqlite_pushdown_failed(co_store *pd, co_cursor **out, co_error *err);
/* co_store_digest_sum_sql on SQLite: cutover_canon_digest_sum (sqlite_fn.c). */
co_code Co_sqlite_digest_sum_sql(co_store *s, const char *from_sql, const co_param *params,
                                 size_t nparams, const char *const *cols,
                                 const char *const *types, const int *digits, size_t ncols,
                                 co_buf *out, bool *supported, co_error *err);

typedef struct sq_fkeys sq_fkeys;

/* The declared foreign keys of table whose columns are all among the loaded
 * columns, each with its parent lookup prepared on db; *out stays NULL when
 * there are none. A foreign key to a table that does not exist is left out.
 * Close with Co_sqlite_fkeys_close. */
co_code Co_sqlite_fkeys_open(co_store *s, sqlite3 *db, const char *table,
                             const char *const *columns, size_t ncols, sq_fkeys **out,
                             co_error *err);
/* Row r of the n rows (ncols values each) about to be applied together:
 * *ok false, with the reason written, when one of its foreign keys (without
 * a NULL) names no row of its parent table, nor, for a table that refers to
 * itself, one of the n rows. Errors are the database's. */
co_code Co_sqlite_fkeys_check(sq_fkeys *f, sqlite3 *db, const co_value *rows, size_t n,
                              size_t ncols, size_t r, bool *ok, char *reason, size_t cap,
                              co_error *err);
void Co_sqlite_fkeys_close(sq_fkeys *f);

#endif
