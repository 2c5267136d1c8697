/*
 * pg_int.h: what the files of the PostgreSQL backend (pg.c, pg_sql.c,
 * pg_cursor.c, pg_copy.c, pg_reads.c, pg_keys.c) share: the store's state, error
 * reporting, the translation of cutover's parameters (:name, ?) into
 * PostgreSQL's ($1), and binding values. Nothing here is seen outside
 * src/store/.
 */
#ifndef CUTOVER_STORE_PG_INT_H
#define CUTOVER_STORE_PG_INT_H

#include "store/store_int.h"

#include <libpq-fe.h>
#include <time.h>

typedef struct pg_cursor pg_cursor;
typedef struct pg_catalog_entry pg_catalog_entry;

/* Seconds a table's columns and constraints are kept (pg_catalog.c). */
#define CO_PG_CATALOG_TTL 60

/* A PostgreSQL store: one libpq connection and what cutover tracks of its
 * transaction. Cursors live in a transaction: one opened outside begin/commit
 * starts a transaction of its own (cursor_txn) that ends when the last cursor
 * closes, or that begin adopts as the caller's. */
typedef struct pg_store {
    co_store base;
    PGconn *conn;
    bool user_txn;        /* between co_store_begin and commit/rollback */
    bool cursor_txn;      /* a transaction BEGUN for cursors, not by the caller */
    pg_cursor *cursors;   /* open cursors, newest first */
    unsigned long seq;    /* numbers cursor and statement names */
    co_buf deferred;      /* DEALLOCATEs that could not run in a failed transaction */
    char *password;       /* the password in use, scrubbed from every message; NULL if none */
    co_loader *copying;   /* the loader whose COPY is open, between its puts (pg_copy.c) */
    PGconn *keys_conn;    /* a second connection for reserving keys (co_store_reserve_keys),
                           * so that a COPY in flight on conn goes on; NULL until needed */
    char *keys_ahead;     /* "table\ncolumn" of the block asked for ahead on keys_conn, or NULL */
    size_t keys_ahead_n;  /* its size */
    bool normalizers;     /* schema cutover_norm has casefold() & co.: calls are pointed there */
    bool session_utc;     /* the session's TimeZone was set to UTC (PGTZ unset: session_sql) */
    char norm_problem[600]; /* why they could not be installed, for errors; "" if they were */
    struct {
        pg_catalog_entry *entries; /* per table asked about: its columns and constraints */
        size_t n;
        time_t since; /* when the first was kept (Co_clock_now) */
    } catalog;
} pg_store;

static inline pg_store *pg_of(co_store *s) { return (pg_store *)s; }

/* ---- errors and statements (pg.c) --------------------------------------------- */

/* Copies src into dst (cap bytes) on one line: runs of newlines, tabs and
 * spaces become one space. */
void Co_pg_one_line(char *dst, size_t cap, const char *src);

/* The server's notices and warnings: libpq would print them; the library
 * never prints. A notice processor that drops them. */
void Co_pg_ignore_notice(void *ctx, const char *message);

/* Fills err for a failure of this store: "side: doing: message (SQLSTATE x)",
 * with err->sqlstate set. res may be NULL (the connection's message is used).
 * Never contains the password. Returns the side's code. */
co_code Co_pg_fail(pg_store *s, const PGresult *res, const char *doing, co_error *err);

/* Replaces every occurrence of the store's password (and PGPASSWORD's) in
 * text with "***". */
void Co_pg_scrub(const pg_store *s, char *text);

/* Runs a statement without parameters; CO_OK when it returned no error. */
co_code Co_pg_run(pg_store *s, const char *sql, const char *doing, co_error *err);

/* Runs a statement without parameters and ignores how it ends (cleanup). */
void Co_pg_run_quietly(pg_store *s, const char *sql);
/* Inside an open transaction, which a failed statement would end, opens
 * SAVEPOINT name (failing with doing) and returns true; outside one, false.
 * Co_pg_savepoint_end rolls back to it when rc is a failure, then releases
 * it, when opened. */
bool Co_pg_savepoint(pg_store *s, const char *name, const char *doing, co_code *rc,
                     co_error *err);
void Co_pg_savepoint_end(pg_store *s, const char *name, bool opened, co_code rc);

/* A COMMIT or ROLLBACK ended the transaction: cursors declared in it are held
 * after a commit and lost after a rollback (pg_cursor.c). */
void Co_pg_cursors_txn_ended(pg_store *s, bool committed);

/* ---- SQL translation and binding (pg_sql.c) ----------------------------------- */

/* A statement as PostgreSQL takes it: cutover's ":name" and "?" placeholders
 * become $1, $2, ...; "x IS ?" becomes "x IS NOT DISTINCT FROM $1". */
typedef struct pg_sql {
    co_buf text;
    char **names;      /* names[k]: the name of $k+1 with its ':', NULL when positional */
    size_t nparams;
    size_t npositional;
    bool cursorable;   /* starts with SELECT, WITH, VALUES, TABLE or '(' */
    bool locking;      /* has FOR UPDATE / FOR SHARE: a cursor that cannot be held */
} pg_sql;

/* Translates sql. "?" is a placeholder only with positional true (otherwise it
 * stays, as jsonb's operator). Placeholders inside string literals, quoted
 * identifiers, comments and dollar quotes are left alone, and so are "::"
 * casts. On failure out is released; otherwise release it with
 * Co_pg_sql_release. */
co_code Co_pg_sql_translate(pg_store *s, const char *sql, bool positional, pg_sql *out,
                            co_error *err);
void Co_pg_sql_release(pg_sql *q);

/* Parameter values for PQexecParams/PQexecPrepared. */
typedef struct pg_bind {
    Oid *types;
    const char **values;
    int *lengths;
    int *formats;
    co_buf text; /* the text of numbers */
} pg_bind;

/* Binds params to q's placeholders: named ones by name (params q does not use
 * are ignored), unnamed ones in order. A placeholder no param supplies is an
 * error. typed: integers go as int8, reals as float8, blobs as bytea; text
 * always goes untyped, so that the server reads it as the type the context
 * wants ('42' for an integer column, '2026-01-31' for a date). Release out
 * with Co_pg_bind_release, even on failure. */
co_code Co_pg_bind(pg_store *s, const pg_sql *q, const co_param *params, size_t n, bool typed,
                   pg_bind *out, co_error *err);
/* The same for n positional values, all untyped (prepared statements). */
co_code Co_pg_bind_values(pg_store *s, const co_value *vals, size_t n, pg_bind *out,
                          co_error *err);
void Co_pg_bind_release(pg_bind *b);

/* Appends the shortest text that reads back as exactly r (NaN, Infinity). */
void Co_pg_real_text(co_buf *out, double r);

/* Appends a table name for SQL: "schema"."table" for "schema.table", else "table". */
void Co_pg_table_ref(const char *table, co_buf *out);

/* ---- normalizers (pg_norm.c) -------------------------------------------------- */

/* On a source: installs the normalizers in schema cutover_norm unless they are
 * current, and sets s->normalizers and s->norm_problem. Never fails: a source
 * that cannot have them opens all the same. */
void Co_pg_normalizers_setup(pg_store *s);

/* True when word (len bytes) names a normalizer: casefold, email_norm,
 * domain_norm or name_norm, in any case. */
bool Co_pg_is_normalizer(const char *word, size_t len);

/* True when message names a normalizer. */
bool Co_pg_names_normalizer(const char *message);

/* ---- cursors (pg_cursor.c), loading (pg_copy.c), reads (pg_reads.c) ----------- */

/* The type (its OID) of column i of a cursor's rows; 0 when there is none. */
Oid Co_pg_cursor_type(const co_cursor *c, size_t i);
/* co_store_digest_sum_sql on PostgreSQL (pg_digest.c). */
co_code Co_pg_digest_sum_sql(co_store *s, const char *from_sql, const co_param *params,
                             size_t nparams, const char *const *cols, const char *const *types,
                             const int *digits, size_t ncols, co_buf *out, bool *supported,
                             co_error *err);
co_code Co_pg_query_whole(co_store *s, const char *sql, const co_param *params, size_t n,
                          co_cursor **out, co_error *err);
co_code Co_pg_query(co_store *s, const char *sql, const co_param *params, size_t n,
                    co_cursor **out, co_error *err);
/* Calls off a loader's open COPY (its rows go at its flush instead), so that
 * the connection can run something else: every command but the loader's own
 * calls this first. */
void Co_pg_settle(pg_store *s);
co_code Co_pg_loader_open(co_store *s, const char *table, const char *const *columns,
                          size_t ncols, co_loader **out, co_error *err);
co_code Co_pg_query_reads(co_store *s, const char *sql, co_read_fn fn, void *ctx,
                          co_error *err);

/* ---- the catalog kept (pg_catalog.c) ----------------------------------------- */

/* co_store_columns and co_store_constraints on PostgreSQL, answered from what
 * this connection read before when it can. */
co_code Co_pg_catalog_columns(co_store *s, const char *table, co_column **cols, size_t *ncols,
                              co_error *err);
co_code Co_pg_catalog_constraints(co_store *s, const char *table, co_constraint **out,
                                  size_t *n, co_error *err);
/* Drops what is kept: the schema may have changed. */
void Co_pg_catalog_forget(pg_store *s);
/* Drops what is kept when sql may change a schema or how names resolve (it
 * names CREATE, ALTER, DROP or search_path). Every statement this connection
 * runs outside a cursor is shown here before it runs. */
void Co_pg_catalog_note_sql(pg_store *s, const char *sql);

/* ---- target keys (pg_keys.c) ---------------------------------------------------- */

/* co_store_reserve_keys and co_store_reserve_keys_ahead on PostgreSQL. */
co_code Co_pg_reserve_keys(co_store *s, const char *table, const char *column, size_t n,
                           int64_t *out, bool *until_commit, co_error *err);
co_code Co_pg_reserve_keys_ahead(co_store *s, const char *table, const char *column, size_t n,
                                 co_error *err);
/* Closes the connection that reserves keys, dropping a block asked for ahead. */
void Co_pg_keys_close(pg_store *s);

#endif
