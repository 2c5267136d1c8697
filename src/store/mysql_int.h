/*
 * mysql_int.h: what the files of the MySQL/MariaDB backend (mysql.c,
 * mysql_sql.c, mysql_cursor.c, mysql_load.c) share: the store's state, error
 * reporting, and the expansion of cutover's parameters (:name, ?) into
 * escaped literals. Nothing here is seen outside src/store/.
 */
#ifndef CUTOVER_STORE_MYSQL_INT_H
#define CUTOVER_STORE_MYSQL_INT_H

#include "store/store_int.h"

#include <mysql.h>

typedef struct my_cursor my_cursor;

/* A MySQL or MariaDB store: one libmariadb connection. A cursor streams its
 * rows off the connection (mysql_use_result); while it does, the connection
 * can run nothing else, so any other command first settles it: the rest of
 * its rows are read into memory (Co_my_settle). */
typedef struct my_store {
    co_store base;
    MYSQL *conn;
    bool user_txn;        /* between co_store_begin and commit/rollback */
    bool capture_lock;    /* holds cutover's capture lock until commit/rollback (mysql_capture.c) */
    char capture_db[65];  /* the database of cutover's change log (mysql_capture.c) */
    my_cursor *streaming; /* the cursor whose rows are still on the connection */
    char *password;       /* the password in use, scrubbed from every message; NULL if none */
    char *uri;            /* as opened: a lost connection is opened again from it */
    bool lost;            /* the connection was lost (Co_my_fail): Co_my_revive reopens it */
    bool writable;        /* a source allowed to write (co_store_allow_writes) */
} my_store;

static inline my_store *my_of(co_store *s) { return (my_store *)s; }

/* ---- errors and statements (mysql.c) ------------------------------------------ */

/* Fills err for the connection's last failure: "side: doing: message (MySQL
 * error N, SQLSTATE X)", err->sqlstate set; a lost connection says so. Never
 * contains the password. Returns the side's code. */
co_code Co_my_fail(my_store *s, const char *doing, co_error *err);

/* Replaces every occurrence of the store's password (and MYSQL_PWD's) in
 * text with "***". */
void Co_my_scrub(const my_store *s, char *text);

/* Opens the connection again when it was lost and nothing of it can be
 * missed: no transaction of the caller's open (it died with the connection;
 * only its rollback remains) and no rows streaming. The new session is set
 * up as the first was; a session lock (the capture lock) is gone. CO_OK and
 * nothing done otherwise; an error naming the side when the server cannot
 * be reached. Every statement outside a transaction goes through it. */
co_code Co_my_revive(my_store *s, co_error *err);

/* Runs one statement (len bytes) and discards any rows it returns. */
co_code Co_my_run(my_store *s, const char *sql, size_t len, const char *doing, co_error *err);

/* Names the database of cutover's change log for the connection's database
 * db (NULL: none): cutover_capture_<db>, shortened with a hash of db where
 * that would pass MySQL's 64 characters (mysql_capture.c). */
void Co_my_capture_db_name(my_store *s, const char *db);

/* Releases the capture lock (co_store_capture_serialize) if this connection
 * holds it; at the end of each transaction (mysql_capture.c). */
void Co_my_capture_unlock(my_store *s);

/* Runs a statement and ignores how it ends (cleanup). */
void Co_my_run_quietly(my_store *s, const char *sql);

/* Reads the rest of the streaming cursor's rows into memory, so that the
 * connection is free, and opens a lost connection again where
 * Co_my_revive may (mysql_cursor.c). Every command starts with it. */
void Co_my_settle(my_store *s);

/* ---- SQL (mysql_sql.c) -------------------------------------------------------- */

/* Appends v as a MySQL literal: NULL, a decimal integer, a real in the
 * fewest digits that read back as it (Co_my_real), a string literal ('' doubled: the session has NO_BACKSLASH_ESCAPES)
 * or, for a blob, X'hex'. */
void Co_my_literal(const co_value *v, co_buf *out);

/* Expands sql into out with cutover's placeholders replaced by literals:
 * ":name" by the param of that name, "?" (only when positional) by the next
 * positional value; "x IS ?" becomes "x <=> value" (NULL-safe equality, as
 * SQLite's IS). Placeholders inside string literals, quoted identifiers and
 * comments stay text. A placeholder nothing supplies is an error. */
co_code Co_my_expand(my_store *s, const char *sql, const co_param *params, size_t n,
                     bool positional, co_buf *out, co_error *err);

/* Expands sql into out with every placeholder (":name" and "?") as MySQL's
 * "?", for a prepare that only checks the statement. */
co_code Co_my_markers(my_store *s, const char *sql, co_buf *out, co_error *err);

/* ---- values by column type (mysql_types.c) ------------------------------------ */

/* How a column's values are read (the table at the top of mysql_types.c). */
typedef enum co_my_kind {
    CO_MY_TEXT, CO_MY_INT, CO_MY_UINT, CO_MY_REAL, CO_MY_DECIMAL, CO_MY_BLOB, CO_MY_BIT,
    CO_MY_GEOMETRY, CO_MY_TIME
} co_my_kind;

/* The kind of a result column, from its type, flags and character set. */
co_my_kind Co_my_kind_of(const MYSQL_FIELD *f);

/* The value of len bytes s (NUL-terminated, as the text protocol gives
 * them) of a column of that kind. The value may point into s or into
 * scratch (a buffer of the column's own, kept until the next row). */
co_value Co_my_value(co_my_kind kind, const char *s, size_t len, co_buf *scratch);

/* Appends d in the fewest significant digits (15 to 17) that read back as
 * d: 99999999.99, not 99999999.989999995, which a DECIMAL(10,2) column
 * would round (a warning, so a reject). */
void Co_my_real(double d, co_buf *out);

/* What the loader must watch in a target column. */
typedef enum co_my_class {
    CO_MY_CLASS_OTHER,
    CO_MY_CLASS_INTEGER,  /* integer types and YEAR: MySQL rounds a fraction without a word */
    CO_MY_CLASS_DATETIME, /* DATETIME: a time with a zone is refused */
    CO_MY_CLASS_TIMESTAMP, /* TIMESTAMP: the same */
} co_my_class;

/* The class of each of table's columns[i], into cls[i]. */
co_code Co_my_column_classes(my_store *s, const char *table, const char *const *columns,
                             size_t ncols, co_my_class *cls, co_error *err);

/* v as a DATETIME or TIMESTAMP column takes it: text of a time with a zone
 * ('Z', 'UTC', '+02', '-05:30') without it: for an instant (TIMESTAMP) moved
 * to UTC first (the session's zone), for a DATETIME as it reads (as
 * PostgreSQL's timestamp takes it); written into buf (CO_CANON_TEXT_MAX
 * bytes). Anything else as it is. */
co_value Co_my_datetime_in(const co_value *v, bool instant, char *buf);

/* True when v is a number with a fraction (a real, or text spelling one)
 * that MySQL would round, silently, into an integer column. */
bool Co_my_would_round(const co_value *v);

/* Writes sql into out with each call of cutover's SQL functions that MySQL
 * lacks (mojibake_fix(x)) written as the expression that computes it; false,
 * with out untouched, when sql calls none. */
bool Co_my_functions(const char *sql, co_buf *out);

/* co_store_query_reads on MySQL and MariaDB (mysql_reads.c). */
co_code Co_my_query_reads(co_store *s, const char *sql, co_read_fn fn, void *ctx, co_error *err);

/* ---- cursors (mysql_cursor.c), loading (mysql_load.c) ------------------------- */

/* co_store_constraints on MySQL and MariaDB (mysql_constraints.c). */
co_code Co_my_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                          co_error *err);

/* Opens c on "SELECT what FROM information_schema.COLUMNS" for the column of
 * table (db.table, or a table of the connection's database): no row when
 * there is no such column (mysql_collation.c). */
co_code Co_my_column_info(co_store *s, const char *table, const char *column, const char *what,
                          co_cursor **out, co_error *err);

/* co_store_collation_keys on MySQL and MariaDB (mysql_collation.c). */
co_code Co_my_collation_keys(co_store *s, const char *table, const char *column,
                             const co_value *values, size_t n, co_buf *keys, bool *folds,
                             co_error *err);

co_code Co_my_query(co_store *s, const char *sql, const co_param *params, size_t n,
                    co_cursor **out, co_error *err);
co_code Co_my_loader_open(co_store *s, const char *table, const char *const *columns,
                          size_t ncols, co_loader **out, co_error *err);

#endif
