/*
 * store.h: the database seam. One API over the engines cutover reads and
 * writes (SQLite and PostgreSQL), so that the engine knows tenants and
 * not SQL dialects.
 *
 * A store is one connection playing one side (source, target, staging, state);
 * every error it reports names that side and, where the database gave one, the
 * SQLSTATE. A store is used by one thread at a time.
 */
#ifndef CUTOVER_STORE_H
#define CUTOVER_STORE_H

#include "cutover/buf.h"
#include "cutover/error.h"
#include "cutover/value.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum co_side { CO_SIDE_SOURCE, CO_SIDE_TARGET, CO_SIDE_STAGING, CO_SIDE_STATE } co_side;

/* "source", "target", "staging", "state". */
CO_API const char *co_side_name(co_side side);

typedef struct co_store co_store;
typedef struct co_cursor co_cursor;
typedef struct co_loader co_loader;

/* A query parameter: by name (":tenant") or, with name NULL, by position. */
typedef struct co_param {
    const char *name;
    co_value value;
} co_param;

/* A column of a target table, as the database declares it. */
typedef struct co_column {
    char *name;
    char *decl_type;  /* as declared, "" when none */
    bool notnull;
    bool primary_key;
} co_column;

/* Opens uri for side. "sqlite:PATH" opens a SQLite file (PATH relative to
 * base_dir unless absolute; a source must exist, other sides are created);
 * "postgresql://..." or "postgres://..." connects with libpq (a libpq URI;
 * PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE and ~/.pgpass
 * apply as for psql; docs/postgresql.md); "mysql://..." or "mariadb://..."
 * connects with libmariadb (MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_UNIX_PORT and
 * MYSQL_PWD apply where the URI is silent; docs/mysql.md). The caller closes the store with
 * co_store_close. */
CO_API co_code co_store_open(const char *uri, co_side side, const char *base_dir, co_store **out,
                             co_error *err);
/* The same, except that a SQLite file that does not exist yet is created
 * (with its directory): for a staging database that rehearse fills. */
CO_API co_code co_store_open_create(const char *uri, co_side side, const char *base_dir,
                                    co_store **out, co_error *err);
/* True when uri names a SQLite file that does not exist yet: one that
 * co_store_open refuses and co_store_open_create makes. */
CO_API bool co_store_is_new_file(const char *uri, const char *base_dir);
CO_API void co_store_close(co_store *s);

/* What a URI names, without opening it. co_store_uri_file: for a SQLite
 * file ("sqlite:PATH", "sqlite://PATH"), PATH as written ("" when it names
 * none); NULL otherwise. co_store_uri_server: true for a server cutover
 * connects to ("postgresql://", "postgres://", a libpq "host=... dbname=..."
 * string, "mysql://", "mariadb://"). Neither: a URI co_store_open refuses. */
CO_API const char *co_store_uri_file(const char *uri);
CO_API bool co_store_uri_server(const char *uri);

/* A process-wide observer of the stores, for `cutover -v`: fn sees each
 * connection opened (what "connect", text the URI with any password masked),
 * each statement run or prepared (what "sql", text the SQL; parameter values
 * are never passed), and each table a loader writes (what "load"). NULL
 * stops it. Not for concurrent use from several threads. */
typedef void (*co_store_trace_fn)(void *ctx, co_side side, const char *what, const char *text);
CO_API void co_store_set_trace(co_store_trace_fn fn, void *ctx);

CO_API co_side co_store_side(const co_store *s);
/* "sqlite", "postgresql" or "mysql" (MySQL and MariaDB): for messages. What
 * differs between engines is asked of the store (co_store_caps and the
 * dialect functions below), never decided by this name. */
CO_API const char *co_store_engine(const co_store *s);
/* The uri with any password masked, for messages and reports. */
CO_API const char *co_store_safe_uri(const co_store *s);
/* For a SQLite store, the database file's path; NULL otherwise. */
CO_API const char *co_store_sqlite_path(const co_store *s);

/* Runs one or more statements that return no rows. */
CO_API co_code co_store_exec(co_store *s, const char *sql, co_error *err);
/* Runs one statement with parameters; *changes (may be NULL) gets the rows it changed. */
CO_API co_code co_store_exec_params(co_store *s, const char *sql, const co_param *params,
                                    size_t nparams, long long *changes, co_error *err);

CO_API co_code co_store_begin(co_store *s, co_error *err);
/* Opens a transaction whose write lock is taken only when it first writes:
 * on SQLite the BEGIN IMMEDIATE waits for the first statement run or the
 * first rows a loader applies, and a loader holds the rows put meanwhile
 * (however many) until it is flushed; a commit or rollback before any of
 * that ends nothing. So a transaction that writes only at its end (a batch
 * of id map rows) keeps other writers of the file waiting only while it
 * writes. Elsewhere the same as co_store_begin. */
CO_API co_code co_store_begin_on_write(co_store *s, co_error *err);
CO_API co_code co_store_commit(co_store *s, co_error *err);
/* Rolls back the open transaction, if any; never fails loudly. */
CO_API void co_store_rollback(co_store *s);

/* Starts a query; parameters the SQL does not use are ignored, so one
 * parameter list can serve queries that name :tenant and those that do not.
 * Rows are streamed: memory does not grow with the result. */
CO_API co_code co_store_query(co_store *s, const char *sql, const co_param *params, size_t nparams,
                              co_cursor **out, co_error *err);

/* The same for a query that reads whole sets, such as a tenant's rows joined
 * to its parents' keys: planned to read each side once whatever the
 * statistics say. On PostgreSQL it is planned without nested loops: rows
 * loaded since the table was last analyzed are estimated at one, and a
 * nested loop over "one" row runs the inner side again for each real one. */
CO_API co_code co_store_query_whole(co_store *s, const char *sql, const co_param *params,
                                    size_t nparams, co_cursor **out, co_error *err);

/* Runs a query whose answer is one integer (a count, a RETURNING id): *value
 * is the first row's first column, or stays as it was when there is no row;
 * *found, when not NULL, says whether there was one. The query is read to its
 * end, so that an INSERT ... RETURNING completes. */
CO_API co_code co_store_query_int(co_store *s, const char *sql, const co_param *params,
                                  size_t nparams, int64_t *value, bool *found, co_error *err);
/* Steps to the next row; *has_row is false at the end. */
CO_API co_code co_cursor_next(co_cursor *c, bool *has_row, co_error *err);
CO_API size_t co_cursor_ncols(const co_cursor *c);
CO_API const char *co_cursor_colname(const co_cursor *c, size_t i);
/* Column i of the current row; text and blob bytes stay valid until the next
 * co_cursor_next or co_cursor_close. */
CO_API co_value co_cursor_value(co_cursor *c, size_t i);
CO_API void co_cursor_close(co_cursor *c);

/* A prepared statement run many times with positional parameters, for
 * statements that return no rows (deletes, updates). */
typedef struct co_stmt co_stmt;
CO_API co_code co_store_prepare(co_store *s, const char *sql, co_stmt **out, co_error *err);
/* Runs the statement with n positional values; *changes (may be NULL) gets the
 * rows it changed. */
CO_API co_code co_stmt_exec(co_stmt *st, const co_value *vals, size_t n, long long *changes,
                            co_error *err);
CO_API void co_stmt_close(co_stmt *st);

/* Checks that sql prepares (names resolve, syntax holds) without running it. */
CO_API co_code co_store_prepare_check(co_store *s, const char *sql, co_error *err);

/* Calls fn(ctx, table, column) for every column of a table that sql reads,
 * found while preparing it, without running it. sql may use named parameters
 * (:tenant); they stay unbound. A column read in several places may be
 * reported more than once; a table read without naming a column (count(*))
 * is not reported. Names are as the database declares them. */
typedef void (*co_read_fn)(void *ctx, const char *table, const char *column);
CO_API co_code co_store_query_reads(co_store *s, const char *sql, co_read_fn fn, void *ctx,
                                    co_error *err);

/* The columns of table in declaration order, or CO_ENOTFOUND. The caller
 * frees the array with co_columns_free. */
CO_API co_code co_store_columns(co_store *s, const char *table, co_column **cols, size_t *ncols,
                                co_error *err);
CO_API void co_columns_free(co_column *cols, size_t ncols);

/* Catalog reads: what a store's database holds, in terms every engine can
 * answer, so that the audit (and anything else that reads a source whole)
 * never names an engine's catalog itself. */

/* A table as the catalog lists it. */
typedef struct co_table_info {
    char *name;         /* as the database declares it */
    char *row_id;       /* what to SELECT for a stable integer id per row (SQLite's
                           rowid or an alias no column shadows); NULL when none */
    char *create_sql;   /* a statement that creates the table anew on a store of
                           the same engine (co_store_same_engine); NULL when the
                           engine cannot give one (PostgreSQL) */
    bool virtual_table; /* its rows live elsewhere (SQLite's virtual tables) */
} co_table_info;

/* The tables a query without a schema name sees, by name in byte order: on
 * SQLite those of main but its own (sqlite_*); on PostgreSQL the ordinary and
 * partitioned tables visible through search_path (not the system schemas, not
 * partitions). The caller frees the array with co_tables_free. */
CO_API co_code co_store_tables(co_store *s, co_table_info **tables, size_t *ntables, co_error *err);
CO_API void co_tables_free(co_table_info *tables, size_t ntables);

/* The columns a SELECT * of table returns, generated ones included, in that
 * order (co_store_columns gives the columns a row can be inserted into), or
 * CO_ENOTFOUND. Free with co_columns_free. */
CO_API co_code co_store_select_columns(co_store *s, const char *table, co_column **cols,
                                       size_t *ncols, co_error *err);

/* True when a and b are stores of the same engine: a's create_sql runs on b. */
CO_API bool co_store_same_engine(const co_store *a, const co_store *b);
/* A constraint a table declares, as its database keeps it (what verify
 * checks the tenant's rows against, docs/verify.md). */
typedef enum co_constraint_kind {
    CO_CONSTRAINT_UNIQUE,      /* PRIMARY KEY, UNIQUE, a unique index on columns */
    CO_CONSTRAINT_CHECK,
    CO_CONSTRAINT_FOREIGN_KEY,
} co_constraint_kind;

typedef struct co_constraint {
    co_constraint_kind kind;
    char *name;            /* as declared; an unnamed one is described ("CHECK (qty > 0)") */
    char **columns;        /* UNIQUE, FOREIGN KEY: the table's columns, in order */
    size_t ncolumns;
    char *parent;          /* FOREIGN KEY: the referenced table */
    char **parent_columns; /* FOREIGN KEY: its columns, one per column */
    char *check;           /* CHECK: the expression, over the table's columns */
    bool validated;        /* false: PostgreSQL's NOT VALID (existing rows never checked) */
    bool primary;          /* UNIQUE: the table's PRIMARY KEY */
} co_constraint;

/* The UNIQUE, CHECK and FOREIGN KEY constraints of table: SQLite from
 * pragma_index_list, pragma_foreign_key_list (a reference to the parent's
 * primary key resolved to its columns) and the CHECK clauses of its CREATE
 * TABLE; PostgreSQL from pg_constraint (NOT VALID and DEFERRABLE ones
 * included) and unique indexes without expressions or predicates. Partial
 * and expression indexes are left out. The caller frees the array with
 * co_constraints_free. */
CO_API co_code co_store_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                                    co_error *err);
CO_API void co_constraints_free(co_constraint *c, size_t n);

/* An index of a table, as its database keeps it. */
typedef struct co_index {
    char *name;       /* as declared (SQLite's automatic ones as it names them) */
    char **columns;   /* its key columns in order; NULL for an expression */
    size_t ncolumns;
    bool unique;
    bool partial;     /* it holds only the rows of its WHERE */
    bool ordered;     /* a B-tree whose key columns each keep the order that the
                         column's own comparison (<, >, min) uses: its collation
                         and its type's default ordering; a query ordered by
                         the leading columns can walk it */
} co_index;

/* The indexes of table, by name: PostgreSQL from pg_index (valid ones),
 * SQLite from pragma_index_list and pragma_index_xinfo (the automatic
 * indexes of PRIMARY KEY and UNIQUE included), MySQL and MariaDB from
 * information_schema.STATISTICS (a prefix index is not ordered). The caller
 * frees the array with co_indexes_free. */
CO_API co_code co_store_indexes(co_store *s, const char *table, co_index **out, size_t *n,
                                co_error *err);
CO_API void co_indexes_free(co_index *ix, size_t n);

/* Appends a query whose rows are the distinct values of column in table
 * (quoted here; one row for NULL when a row holds it), as SELECT DISTINCT
 * gives them. Where an ordered index of every row leads with column and the
 * engine runs recursive queries, it is a skip scan (WITH RECURSIVE, each
 * step the next value above the last one): an index entry read per value
 * rather than every row; *skip_scan (may be NULL) says which. The catalog
 * read may fail; the query is then SELECT DISTINCT and the error is not
 * returned (a slower plan, the same rows). */
CO_API void co_store_distinct_sql(co_store *s, const char *table, const char *column,
                                  co_buf *out, bool *skip_scan);

/* Verification pushes hashing down to the database with SQL functions that
 * cutover installs on each connection (docs/verify.md):
 *   cutover_hash(v1, ..., vn)      the row hash of util/rowhash.h, an integer
 *   cutover_hash_sum(v1, ..., vn)  aggregate: the sum of row hashes mod 2^64
 *   cutover_keep(k1, ..., kn)      1 when the key filter keeps the canonical
 *                                  key of k1..kn (or when there is no filter)
 *   cutover_round(x, digits)       a number rounded as co_round_decimal does
 *                                  (util/rowhash.h); other values unchanged
 *   cutover_canon(x, 'type')       x in the canonical form of a column of
 *                                  that type (util/canon.h: 'integer',
 *                                  'real', 'decimal(2)', 'date', ...)
 *   cutover_canon_hash_sum('t1,...,tn', v1, ..., vn)
 *                                  cutover_hash_sum of each vi in the
 *                                  canonical form of type ti
 *   cutover_canon_digest_sum('t1,...,tn', v1, ..., vn)
 *                                  the same with co_row_digest for the row
 *                                  hash (co_store_digest_sum_sql)
 *   cutover_map(n, x)              the value the value map gives for the
 *                                  canonical key of x in its map n; x itself
 *                                  when it has none (or there is no map)
 * co_store_set_key_filter sets (fn) or clears (NULL) the filter, and
 * co_store_set_value_map the map: fn returns true and the canonical key of
 * the value x becomes (*to, *tolen bytes), or false to keep x. A lookup per
 * row, where a CASE of as many WHENs as the map has entries would test each. */
typedef bool (*co_key_filter_fn)(void *ctx, const char *key, size_t len);
CO_API void co_store_set_key_filter(co_store *s, co_key_filter_fn fn, void *ctx);
typedef bool (*co_value_map_fn)(void *ctx, int map, const char *key, size_t len,
                                const char **to, size_t *tolen);
CO_API void co_store_set_value_map(co_store *s, co_value_map_fn fn, void *ctx);

/* True when the functions above exist in the store's SQL (SQLite). On
 * PostgreSQL they do not: verification reads the rows and hashes them with
 * util/rowhash.h itself, and applies the key filter to the keys it reads. */
CO_API bool co_store_hashes_in_sql(const co_store *s);

/* True when the store's database takes one writer at a time (a SQLite file:
 * several write in turn, each waiting for the lock), false when writers run
 * side by side (PostgreSQL, MySQL). Tenants in parallel (--jobs) default to
 * one job into a one-writer target. */
CO_API bool co_store_one_writer(const co_store *s);

/* Collation keys: where table.column compares text other than byte for byte
 * (a MySQL or MariaDB collation that ignores case or accents, `_ci`, or
 * trailing spaces, PAD SPACE), appends to keys, for each of the n values in
 * order, the bytes its unique index compares (4 bytes of length in host
 * order, then the bytes): two values collide in that index exactly when their
 * keys are equal. A value that is not text gets an empty key. *folds is
 * false, and keys untouched, where the column compares bytes or the engine
 * cannot tell (SQLite, PostgreSQL). */
CO_API co_code co_store_collation_keys(co_store *s, const char *table, const char *column,
                                       const co_value *values, size_t n, co_buf *keys,
                                       bool *folds, co_error *err);

/* What the month SQL below gives, followed by the value's text, for text
 * that starts with a date no calendar has ('2026-13-45', '2026-02-30'):
 * PostgreSQL would refuse to read it, SQLite's strftime reads some such
 * dates as a month and others as none, MySQL's month is the text's first
 * seven characters (every engine). */
#define CO_STORE_MONTH_INVALID "!"

/* Appends SQL giving the calendar month ('YYYY-MM') of a timestamp expression
 * (NULL for text that is no time; CO_STORE_MONTH_INVALID and the text for
 * text that starts with a date no calendar has). */
CO_API void co_store_month_sql(const co_store *s, const char *expr, co_buf *out);
/* The same for a column whose declared type is decl_type (co_column's;
 * NULL or "" when not known): the same month for every value, which
 * PostgreSQL computes without going through text for a date, timestamp or
 * timestamptz column. True when the SQL parses the value's text, which costs
 * enough that a query over many rows does well to compute it once per
 * distinct value (PostgreSQL, any other type). */
CO_API bool co_store_month_typed_sql(const co_store *s, const char *expr, const char *decl_type,
                                     co_buf *out);
/* The month of a value read from s, computed here, when it is certain to be
 * what co_store_month_typed_sql gives for it whatever the column's type:
 * true and 'YYYY-MM' in month; false when the database must say (a form
 * this function does not read, a date no calendar has, a zone that is not
 * UTC, a NULL). With v NULL: true when the engine computes any month here
 * (PostgreSQL; elsewhere every value is false). */
CO_API bool co_store_month_here(const co_store *s, const co_value *v, char month[8]);
/* The digest sum of rows computed by the database itself, on every engine that
 * can (SQLite with cutover_canon_digest_sum, PostgreSQL in plain SQL with
 * md5()): appends to out a select-list item over from_sql's output columns
 * cols (quoted here) that gives the sum modulo 2^64 of co_row_digest
 * (util/rowhash.h) of each row, each value first in the canonical form of
 * types[i] (a type name of util/canon.h: "integer", "decimal(2)", ...; NULL
 * for "any") and, where digits[i] >= 0, rounded to that many decimals as
 * verify.round does. The item's value is an integer or the decimal text of
 * one (PostgreSQL's numeric sum): co_store_digest_value reads either.
 * from_sql and params (bound as they will be) let the engine look at the
 * columns' types. *supported is false, and out untouched, when the engine
 * cannot give the same digests for these columns (a type whose canonical
 * form it cannot write exactly, MySQL): the caller then reads the rows and
 * computes co_row_digest itself. */
CO_API co_code co_store_digest_sum_sql(co_store *s, const char *from_sql, const co_param *params,
                                       size_t nparams, const char *const *cols, const char *const *types,
                                       const int *digits, size_t ncols, co_buf *out,
                                       bool *supported, co_error *err);
/* The digest sum of the item above as read back from a cursor (an integer, or
 * the decimal text of a larger one, taken modulo 2^64). */
CO_API uint64_t co_store_digest_value(co_value v);

/* A source is opened so that nothing writes to it by accident. Capture, which
 * adds cutover's own change log and triggers to the source, asks for writes
 * on a connection of its own with this. */
CO_API co_code co_store_allow_writes(co_store *s, co_error *err);

/* Inside the open transaction, checks foreign keys at its commit rather than
 * at each statement, so that a parent row can be deleted and loaded again
 * under its children (catch-up): SQLite's defer_foreign_keys, PostgreSQL's
 * SET CONSTRAINTS ALL DEFERRED (which defers the constraints declared
 * DEFERRABLE). Both end with the transaction. */
CO_API co_code co_store_defer_constraints(co_store *s, co_error *err);

/* Reserves n values of the integer key column table.column that the target
 * fills itself (target_key): values no other writer gets, for rows that
 * cutover then loads with them explicitly. PostgreSQL draws them from the
 * column's sequence (identity, serial, DEFAULT nextval), and they stay
 * reserved for good (*until_commit false). SQLite takes the n values above
 * both the column's largest value and the table's AUTOINCREMENT high-water
 * mark, under the write lock of the open transaction: they are reserved
 * until it ends (*until_commit true), and are consecutive. MySQL reserves
 * none (CO_EUNSUPPORTED): its keys are given on insert (co_caps.keys_on_insert,
 * co_loader_assign_key). */
CO_API co_code co_store_reserve_keys(co_store *s, const char *table, const char *column, size_t n,
                                     int64_t *out, bool *until_commit, co_error *err);

/* Asks for the block of n values that the next co_store_reserve_keys of
 * table.column with the same n returns, without waiting for it: PostgreSQL
 * draws it while the caller goes on (one block ahead at a time; a
 * reservation of another column or size leaves its values unused, as a
 * sequence never goes back). CO_EUNSUPPORTED where keys are drawn only when
 * asked for (SQLite, whose values hold only inside a transaction). */
CO_API co_code co_store_reserve_keys_ahead(co_store *s, const char *table, const char *column,
                                           size_t n, co_error *err);

/* The operator that matches a key column to a value with an index: "IS" on
 * SQLite (which also matches NULL to NULL), "=" on PostgreSQL, where the
 * NULL-safe IS NOT DISTINCT FROM cannot use an index (key values are not NULL). */
CO_API const char *co_store_key_eq_op(const co_store *s);

/* Appends ident quoted for this engine ("a""b"; on MySQL `a``b`). */
CO_API void co_store_quote_ident(const co_store *s, const char *ident, co_buf *out);
/* Appends the n identifiers quoted as co_store_quote_ident does, separated
 * by ", " (a column list). */
CO_API void co_store_quote_idents(const co_store *s, const char *const *idents, size_t n,
                                  co_buf *out);

/* ---- Dialects (store/dialect.c over each engine's *_dialect.c) ----
 * Every difference between the engines' SQL that code outside src/store
 * needs is asked of the store: what the engine can do (co_store_caps) or a
 * piece of SQL it writes. co_store_engine is for messages, never decisions. */

/* What an engine can do, where that changes what the caller does. */
typedef struct co_caps {
    bool row_locks;       /* SELECT ... FOR UPDATE OF t SKIP LOCKED: concurrent readers
                             skip the rows another transaction is taking (PostgreSQL) */
    bool failed_statement_aborts; /* a refused statement spoils its transaction
                                     (PostgreSQL): guard one that may fail with a
                                     savepoint; elsewhere only the statement is undone */
    bool one_file;        /* the database is a file of its own (SQLite), not one of
                             several on a server */
    bool keys_on_insert;  /* an integer target_key is given by the INSERT itself and read
                             back by the loader (co_loader_assign_key: MySQL's
                             AUTO_INCREMENT, whose counter cannot be moved ahead inside a
                             transaction), not reserved ahead (co_store_reserve_keys) */
} co_caps;
CO_API co_caps co_store_caps(const co_store *s);

/* Appends v as a SQL literal that needs no function of cutover's: NULL, a
 * decimal integer, a real with 17 significant digits, a quoted string ('
 * doubled), a blob (X'hex' on SQLite and MySQL, '\xhex'::bytea on
 * PostgreSQL). */
CO_API void co_store_literal(const co_store *s, const co_value *v, co_buf *out);

/* Appends, comma-separated, the literals a key value may be stored as, for an
 * IN list. An id may be an integer in one table and its text in another:
 * SQLite compares them as different values where a column has no type, so
 * an integer (or text holding one) is named both ways; PostgreSQL and MySQL
 * take a quoted number, which compares equal to a column of either type. */
CO_API void co_store_key_literals(const co_store *s, const co_value *v, co_buf *out);

/* Appends the column, quoted, in a form that keeps the planner off its index:
 * for a query that names a few rows by other means (a verification's scope).
 * SQLite, without statistics, would rather walk the column's index: a unary
 * + keeps it off; elsewhere the column as co_store_quote_ident writes it. */
CO_API void co_store_unindexed_column(const co_store *s, const char *column, co_buf *out);

/* The declaration (type and key) of an integer primary key column that the
 * database fills when an INSERT leaves it out, with a value above every one
 * given so far, explicit ones included: "INTEGER PRIMARY KEY" (SQLite),
 * "BIGINT AUTO_INCREMENT PRIMARY KEY" (MySQL); NULL where cutover does not
 * know one (PostgreSQL: an identity column does not move past values given
 * explicitly). */
CO_API const char *co_store_serial_key_sql(const co_store *s);

/* Appends a condition true when column_sql (a quoted column) holds NULL, even
 * where its declaration says NOT NULL: SQLite takes a declared NOT NULL at its
 * word and folds IS NULL to false, so its typeof() looks at the value. */
CO_API void co_store_null_test(const co_store *s, const char *column_sql, co_buf *out);

/* Appends a NULL-safe condition: item pos (from 0) of the JSON array text in
 * column equals the named parameter param (":m0"), an integer matching the
 * array's number and text its string. */
CO_API void co_store_json_item_eq(const co_store *s, const char *column, size_t pos, const char *param,
                                  co_buf *out);

/* SQL giving the database's clock in seconds since 1970, a real (the clock
 * that capture's freeze heartbeats are measured by). */
CO_API const char *co_store_epoch_sql(const co_store *s);

/* *exists says whether the schema the store writes unqualified names to
 * holds a table (not a view) of that name. Unlike co_store_has_table, an
 * error of the database is reported. */
CO_API co_code co_store_table_exists(co_store *s, const char *table, bool *exists, co_error *err);

/* Creates a table of cutover's own by ddl (CREATE TABLE IF NOT EXISTS ...)
 * unless it exists. Processes that start together may both create it: on
 * PostgreSQL the second CREATE fails on the catalog's unique index, so a
 * failure after which the table exists is success. */
CO_API co_code co_store_ensure_table(co_store *s, const char *table, const char *ddl,
                                     co_error *err);

/* Makes every commit durable and lets readers run beside a writer: SQLite's
 * journal_mode WAL and synchronous FULL, for cutover's journal; a server
 * does so already (nothing to do). */
CO_API co_code co_store_make_durable(co_store *s, co_error *err);

/* With defer, the commits that follow may wait for the next synced commit;
 * without, each is synced again (call it back as soon as the statements
 * that may wait are done). On SQLite in WAL mode (the journal) a commit is
 * then written to the WAL unsynced, and the next synced commit's sync makes
 * it durable with all before it: a process killed loses nothing, a machine
 * that stops loses at most the last commits, never one without those
 * before it. Only outside a transaction (a BEGIN put off counts as one):
 * inside, or on an engine that does not say (a server), nothing changes.
 * *done (may be NULL) tells whether it changed. */
CO_API co_code co_store_defer_sync(co_store *s, bool defer, bool *done, co_error *err);

/* Creates the tables ddl declares, written in SQLite's dialect (INTEGER
 * PRIMARY KEY, INTEGER, REAL, WITHOUT ROWID) with IF NOT EXISTS, in this
 * engine's: on PostgreSQL as identity columns, BIGINT and DOUBLE PRECISION,
 * in a transaction of its own that holds the advisory lock named lock, so
 * that processes creating them together wait for one another.
 * CO_EUNSUPPORTED on an engine that cannot hold them (MySQL). */
CO_API co_code co_store_create_schema(co_store *s, const char *ddl, const char *lock, co_error *err);
/* co_store_create_schema in parts, for changes made in order in one
 * transaction (the journal's versioned steps): co_store_schema_begin opens
 * the transaction holding the lock named lock (PostgreSQL; SQLite takes the
 * file's write lock at once), co_store_schema_exec runs ddl, written in
 * SQLite's dialect, in this engine's; the caller ends the transaction with
 * co_store_commit or co_store_rollback. co_store_schema_begin: CO_EUNSUPPORTED
 * on an engine that cannot hold cutover's tables (MySQL), and no transaction
 * is left open when it fails. */
CO_API co_code co_store_schema_begin(co_store *s, const char *lock, co_error *err);
CO_API co_code co_store_schema_exec(co_store *s, const char *ddl, co_error *err);

/* ---- Change capture (store/capture.c over sqlite_capture.c, pg_capture.c, mysql_capture.c) ----
 * cutover's change log on a source (docs/capture.md): the tables
 * cutover_changes, cutover_tenants and cutover_frozen, and triggers on each
 * captured table that record the changes of the tenants listed in
 * cutover_tenants and refuse the writes of a frozen tenant while its
 * heartbeat (cutover_frozen.beat + bound > co_store_epoch_sql) is fresh. */

/* A captured table: its key columns and the SQL giving a row's tenant, with
 * {row} standing for the row (the triggers write NEW or OLD). */
typedef struct co_capture_spec {
    const char *table;
    const char *tenant;
    const char *const *key;
    size_t nkey;
} co_capture_spec;

/* CO_OK when the engine can capture changes; otherwise CO_EUNSUPPORTED,
 * "<side>: change capture on <engine> is not supported". */
CO_API co_code co_store_capture_supported(co_store *s, co_error *err);

/* First in the transaction that starts or stops a tenant's capture: waits
 * for any other cutover process doing the same, and bounds every wait for a
 * lock, on the application's tables too. A wait that would be longer fails
 * with SQLSTATE 55P03 (lock not available): the caller rolls back and tries
 * again. So cutover never holds one table while it waits for the
 * application's writes on another that wait for it, a deadlock the server
 * would break by failing one side, perhaps the customer's write. Nothing to
 * do on an engine without such waits. */
CO_API co_code co_store_capture_serialize(co_store *s, co_error *err);

/* Creates the change log's tables (when missing) and the capture triggers of
 * the n tables. The caller holds the transaction. */
CO_API co_code co_store_capture_install(co_store *s, const co_capture_spec *t, size_t n, co_error *err);

/* Drops what co_store_capture_install made: the capture triggers of the n
 * tables (on PostgreSQL their freeze triggers too) and the change log's
 * tables. The caller holds the transaction. */
CO_API co_code co_store_capture_remove(co_store *s, const co_capture_spec *t, size_t n, co_error *err);

/* The engine's part of freezing the tenant's rows of the n tables (frozen)
 * or thawing them: SQLite creates (drops) per-tenant BEFORE triggers and
 * makes sure cutover_frozen exists; PostgreSQL, whose triggers read
 * cutover_frozen, takes a lock that waits for the writes in flight; MySQL,
 * whose triggers read it too, does nothing (the next horizon waits for the
 * writes in flight). The
 * caller holds the transaction and writes (deletes) the tenant's row of
 * cutover_frozen itself. */
CO_API co_code co_store_capture_freeze(co_store *s, const co_capture_spec *t, size_t n,
                                       const char *tenant, bool frozen, co_error *err);

/* The commit-safe mark: every change at or below *mark (compared with the
 * column co_store_capture_position names) is final, no transaction still in
 * progress can add one below it. SQLite: the largest seq (one writer);
 * PostgreSQL: the oldest transaction id still running, minus one; MySQL: the
 * largest seq, read under a lock that first waits for every transaction that
 * wrote the change log to end (docs/cutover.md). */
CO_API co_code co_store_capture_horizon(co_store *s, int64_t *mark, co_error *err);

/* The column of cutover_changes that co_store_capture_horizon's mark orders:
 * "seq" on SQLite and MySQL, "xid" (the writing transaction) on PostgreSQL. */
CO_API const char *co_store_capture_position(const co_store *s);

/* Appends, as SQL, the name of one of cutover's capture tables (name:
 * "cutover_changes", "cutover_tenants" or "cutover_frozen"): quoted, and
 * qualified where the engine keeps them in a database of cutover's own
 * (MySQL: cutover_capture); otherwise beside the application's tables. */
CO_API void co_store_capture_table(const co_store *s, const char *name, co_buf *out);

/* *exists: whether the capture table name (as co_store_capture_table) is
 * there. */
CO_API co_code co_store_capture_table_exists(co_store *s, const char *name, bool *exists,
                                             co_error *err);

/* ---- Schemas (store/schema.c, sqlite_ddl.c, pg_ddl.c) ----
 * A database's tables made again in another of the same kind, as the first
 * declares them: columns, types, defaults, identity and AUTOINCREMENT,
 * primary and unique keys, CHECKs, foreign keys, indexes (SQLite: from
 * sqlite_schema; PostgreSQL: from the catalog). */

/* The tables of s (SQLite's own and PostgreSQL's system schemas left out),
 * in name order. The caller frees them with co_names_free. */
CO_API co_code co_store_schema_tables(co_store *s, char ***names, size_t *n, co_error *err);
CO_API void co_names_free(char **names, size_t n);
/* Calls fn(ctx, parent, NULL) for each table that a foreign key of table
 * names (once per foreign key). */
CO_API co_code co_store_table_parents(co_store *s, const char *table, co_read_fn fn, void *ctx,
                                      co_error *err);
/* True when s has the table. */
CO_API bool co_store_has_table(co_store *s, const char *table);
/* Appends to out the statements (each ending ";\n") that create tables as
 * from declares them, and the tables their foreign keys name; foreign keys
 * that must wait for every table come last. CO_ENOTFOUND for a table from
 * lacks. */
CO_API co_code co_store_schema_ddl(co_store *from, const char *const *tables, size_t n, co_buf *out,
                                   co_error *err);
/* Creates in `to`, in one transaction, those of tables it lacks, and the
 * tables their foreign keys name, as `from` declares them. *created (the
 * caller frees it with co_names_free) lists what was created, in order; none
 * when nothing was missing. Both stores must be of one kind (CO_EPROJECT
 * otherwise). */
CO_API co_code co_store_schema_copy(co_store *from, co_store *to, const char *const *tables,
                                    size_t n, char ***created, size_t *ncreated, co_error *err);

/* Loading: rows go into table's columns. The loader copies each row it is
 * given and applies rows in groups (several rows per statement on SQLite,
 * COPY on PostgreSQL); when a group fails for what a row holds, it retries
 * the group row by row, so that one bad row never costs the others. As rows
 * are applied it tells the caller which went in (loaded) and which the
 * database refused for what they hold (a constraint, a type, a size), with a
 * rule and a reason; the row it passes is the loader's copy, valid during the
 * call. Without events, a refused row is an error. Errors of the connection
 * or the disk end loading and come back as a co_code. Every row put has been
 * reported once co_loader_flush returns; commit only after a flush. */
typedef struct co_load_events {
    void (*loaded)(void *ctx, const co_value *row, size_t ncols);
    void (*refused)(void *ctx, const co_value *row, size_t ncols, const char *rule,
                    const char *reason, const char *sqlstate);
    void *ctx;
} co_load_events;
/* With a column the target fills (co_loader_assign_key): a row applied, as
 * it was put, and the value it has in that column in the target (the one
 * the target gave it, or the one put); ctx is the events' ctx. */
typedef void (*co_loaded_key_fn)(void *ctx, const co_value *row, size_t ncols, co_value key);

CO_API co_code co_loader_open(co_store *s, const char *table, const char *const *columns,
                              size_t ncols, const co_load_events *events, co_loader **out,
                              co_error *err);
/* Makes column col (an index into the loader's columns) an integer key that
 * the target fills: a row put with an integer <= 0 there (a placeholder of
 * the caller's, one per row, so that it tells the rows of its events apart)
 * goes in without it, and the target gives the row its next key; a row put
 * with any other value goes in with that value. Every row applied is
 * reported to loaded (instead of events.loaded) with its key in the target;
 * a refused row to events.refused as it was put. Call before the first put.
 * CO_EUNSUPPORTED on an engine without keys_on_insert (co_caps), or when
 * the column is not one the target fills (MySQL: AUTO_INCREMENT). MySQL
 * reads each statement's keys back as LAST_INSERT_ID() + i *
 * @@auto_increment_increment, in the order of its rows: consecutive under
 * innodb_autoinc_lock_mode 0 or 1; under 2 each such row is an INSERT of
 * its own (docs/mysql.md). */
CO_API co_code co_loader_assign_key(co_loader *l, size_t col, co_loaded_key_fn loaded,
                                    co_error *err);
CO_API co_code co_loader_put(co_loader *l, const co_value *row, co_error *err);
CO_API co_code co_loader_flush(co_loader *l, co_error *err);
/* Drops the rows put since the last flush, unapplied (before a rollback). */
CO_API void co_loader_discard(co_loader *l);
CO_API void co_loader_close(co_loader *l);

#endif
