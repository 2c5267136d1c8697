/*
 * store_int.h: what each database backend provides behind store.h. The public
 * functions in store.c check arguments and dispatch through these tables.
 */
#ifndef CUTOVER_STORE_INT_H
#define CUTOVER_STORE_INT_H

#include "cutover/store.h"
#include "util/buf.h"

typedef struct co_store_ops {
    const char *engine;
    void (*close)(co_store *s);
    co_code (*exec)(co_store *s, const char *sql, co_error *err);
    co_code (*exec_params)(co_store *s, const char *sql, const co_param *params, size_t n,
                           long long *changes, co_error *err);
    co_code (*begin)(co_store *s, co_error *err);
    co_code (*begin_on_write)(co_store *s, co_error *err); /* NULL: begin at once */
    co_code (*commit)(co_store *s, co_error *err);
    void (*rollback)(co_store *s);
    co_code (*query)(co_store *s, const char *sql, const co_param *params, size_t n,
                     co_cursor **out, co_error *err);
    /* co_store_query_whole; NULL: query */
    co_code (*query_whole)(co_store *s, const char *sql, const co_param *params, size_t n,
                           co_cursor **out, co_error *err);
    co_code (*prepare)(co_store *s, const char *sql, co_stmt **out, co_error *err);
    co_code (*stmt_exec)(co_stmt *st, const co_value *vals, size_t n, long long *changes,
                         co_error *err);
    void (*stmt_close)(co_stmt *st);
    co_code (*prepare_check)(co_store *s, const char *sql, co_error *err);
    co_code (*query_reads)(co_store *s, const char *sql, co_read_fn fn, void *ctx,
                           co_error *err);
    co_code (*columns)(co_store *s, const char *table, co_column **cols, size_t *n,
                       co_error *err);
    co_code (*tables)(co_store *s, co_table_info **tables, size_t *n, co_error *err);
    co_code (*select_columns)(co_store *s, const char *table, co_column **cols, size_t *n,
                              co_error *err);
    co_code (*constraints)(co_store *s, const char *table, co_constraint **out, size_t *n,
                           co_error *err);
    /* co_store_indexes; NULL: the engine lists none (no skip scan) */
    co_code (*indexes)(co_store *s, const char *table, co_index **out, size_t *n, co_error *err);
    co_code (*loader_open)(co_store *s, const char *table, const char *const *columns,
                           size_t ncols, co_loader **out, co_error *err);
    void (*month_sql)(const co_store *s, const char *expr, co_buf *out);
    /* co_store_month_typed_sql (decl_type "" when not known); NULL:
     * month_sql whatever the type, and false */
    bool (*month_typed_sql)(const co_store *s, const char *expr, const char *decl_type,
                            co_buf *out);
    /* co_store_month_here; NULL: every month is the database's to compute */
    bool (*month_here)(const co_store *s, const co_value *v, char month[8]);
    co_code (*allow_writes)(co_store *s, co_error *err); /* NULL: nothing to do */
    co_code (*defer_constraints)(co_store *s, co_error *err); /* NULL: nothing to do */
    co_code (*reserve_keys)(co_store *s, const char *table, const char *column, size_t n,
                            int64_t *out, bool *until_commit, co_error *err);
    /* co_store_reserve_keys_ahead; NULL: keys are drawn only when asked for */
    co_code (*reserve_keys_ahead)(co_store *s, const char *table, const char *column, size_t n,
                                  co_error *err);
    /* co_store_digest_sum_sql; NULL: rows are digested by the caller */
    co_code (*digest_sum_sql)(co_store *s, const char *from_sql, const co_param *params,
                              size_t nparams, const char *const *cols, const char *const *types,
                              const int *digits, size_t ncols, struct co_buf *out,
                              bool *supported, co_error *err);
    /* co_store_pushdown_open / _insert (source and destination of this
     * engine); NULL: never, rows go through the loader */
    co_code (*pushdown_open)(co_store *source, co_store *dest, const char *table,
                             const char *const *columns, size_t ncols, bool (*stop)(void *ctx),
                             void *stop_ctx, co_store **out, co_error *err);
    co_code (*pushdown_insert)(co_store *pd, const char *select_sql, const co_param *params,
                               size_t nparams, int64_t *changes, int64_t *bytes, co_error *err);
    co_code (*pushdown_failed)(co_store *pd, co_cursor **out, co_error *err);
    /* The write token (writer.h) taken (true) or given back (false) on s: a
     * SQLite connection keeps a load's dirty pages in a larger page cache
     * only while it loads; NULL: nothing to do */
    void (*writing)(co_store *s, bool on);
    /* co_store_collation_keys; NULL: text compares byte for byte */
    co_code (*collation_keys)(co_store *s, const char *table, const char *column,
                              const co_value *values, size_t n, struct co_buf *keys, bool *folds,
                              co_error *err);
    bool client_side_hashes; /* cutover_hash() & co. are not installed: hash rows in cutover */
    bool one_writer;         /* one writer at a time (a SQLite file): --jobs defaults to 1 */
    const struct co_ddl_ops *ddl; /* schemas (ddl_int.h) */
    const struct co_dialect_ops *dialect; /* SQL that differs (dialect_int.h) */
    const struct co_capture_ops *capture; /* change capture; NULL: not supported */
    char ident_quote;        /* quotes identifiers; 0: '"' */
} co_store_ops;

typedef struct co_cursor_ops {
    co_code (*next)(co_cursor *c, bool *has_row, co_error *err);
    size_t (*ncols)(const co_cursor *c);
    const char *(*colname)(const co_cursor *c, size_t i);
    co_value (*value)(co_cursor *c, size_t i);
    void (*close)(co_cursor *c);
} co_cursor_ops;

typedef struct co_loader_ops {
    co_code (*put)(co_loader *l, const co_value *row, co_error *err);
    co_code (*flush)(co_loader *l, co_error *err);
    void (*discard)(co_loader *l);
    void (*close)(co_loader *l);
    /* co_loader_assign_key; NULL: the engine's keys are reserved ahead instead */
    co_code (*assign_key)(co_loader *l, size_t col, co_error *err);
} co_loader_ops;

/* The common head of every backend's store, cursor and loader. */
struct co_store {
    const co_store_ops *ops;
    co_side side;
    char *safe_uri;
    char *sqlite_path;
    co_key_filter_fn key_filter; /* consulted by cutover_keep() */
    void *key_filter_ctx;
    co_value_map_fn value_map; /* consulted by cutover_map() */
    void *value_map_ctx;
    size_t cache_cap_kib; /* Co_store_writer_cache's cap on the page cache; 0: none */
};

struct co_cursor {
    const co_cursor_ops *ops;
    co_store *store;
};

struct co_stmt {
    co_store *store;
};

struct co_loader {
    const co_loader_ops *ops;
    co_store *store;
    size_t ncols;
    co_load_events events; /* all NULL when the caller gave none */
    co_loaded_key_fn loaded_key; /* co_loader_assign_key's, or NULL */
};

/* The error code that stands for a failure on this side. */
co_code Co_store_side_code(co_side side);

/* A decimal number's text (PostgreSQL's numeric, MySQL's DECIMAL; NUL
 * after its len bytes) as the value that keeps it exactly: an integer when
 * it has no fraction and fits 64 bits, a real when it has at most 15
 * significant digits, else the text itself (dialect.c). */
co_value Co_store_decimal_value(const char *s, size_t len);

/* The end of a quoted run of SQL starting at p (a quote char), doubled
 * quotes inside; with backslashes (PostgreSQL's E'...'), a backslash escapes
 * the next byte. */
const char *Co_sql_skip_quoted(const char *p, char quote, bool backslashes);

/* co_store_constraints of each engine (sqlite_constraints.c, pg_constraints.c). */
co_code Co_sqlite_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                              co_error *err);
co_code Co_pg_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                          co_error *err);
/* Appends one constraint to *arr (n of them), taking ownership of c's
 * strings (freed on failure). */
co_code Co_constraint_push(co_constraint **arr, size_t *n, co_constraint *c, co_error *err);
/* Frees c's strings and zeroes it. */
void Co_constraint_release(co_constraint *c);
/* Adds a column (and its parent column, or NULL) to c. */
bool Co_constraint_add_column(co_constraint *c, const char *column, const char *parent_column);
/* The constraints of a catalog query's rows, each constraint's rows
 * consecutive: 0 name, 1 kind ('p' primary key, 'u' unique, 'c' check, 'f'
 * foreign key; NULL is 'u'), 2 validated (NULL is true), 3 the CHECK clause,
 * 4 the referenced table, 5 the column's position, 6 the column, 7 the
 * referenced column. Appends them to *out (n of them). */
co_code Co_constraints_from_rows(co_cursor *c, co_constraint **out, size_t *n, co_error *err);

/* co_store_indexes of each engine (pg_constraints.c, sqlite_constraints.c,
 * mysql_constraints.c). */
co_code Co_pg_indexes(co_store *s, const char *table, co_index **out, size_t *n, co_error *err);
co_code Co_sqlite_indexes(co_store *s, const char *table, co_index **out, size_t *n,
                          co_error *err);
co_code Co_my_indexes(co_store *s, const char *table, co_index **out, size_t *n, co_error *err);
/* Adds key column column (NULL: an expression) at position pos (from 1) of
 * index name to *arr (n of them): a new index at position 1, else the last
 * one; the index stays ordered only while every column is. */
co_code Co_index_add(co_index **arr, size_t *n, const char *name, bool unique, bool partial,
                     long pos, const char *column, bool ordered, co_error *err);
/* The indexes of a catalog query's rows, each index's rows consecutive in
 * column order: 0 name, 1 unique, 2 partial, 3 the column ordered, 4 the
 * column's position (from 1), 5 the column (NULL: an expression); a truth
 * value is an integer or a boolean. Appends them to *out (n of them). */
co_code Co_indexes_from_rows(co_cursor *c, co_index **out, size_t *n, co_error *err);

/* Opens a SQLite database at path (already resolved). */
co_code Co_sqlite_open(const char *path, co_side side, co_store **out, co_error *err);
/* The same; with create, a missing file is created (and its directory). */
co_code Co_sqlite_open_ex(const char *path, co_side side, bool create, co_store **out,
                          co_error *err);

/* Connects to a PostgreSQL database; uri is a libpq URI ("postgresql://..."),
 * libpq's PG* variables apply. The caller sets safe_uri. */
co_code Co_pg_open(const char *uri, co_side side, co_store **out, co_error *err);

/* Connects to MySQL or MariaDB; uri is "mysql://..." or "mariadb://..."
 * (docs/mysql.md), MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_UNIX_PORT and MYSQL_PWD
 * apply where the URI is silent. The caller sets safe_uri. */
co_code Co_mysql_open(const char *uri, co_side side, co_store **out, co_error *err);

#endif
