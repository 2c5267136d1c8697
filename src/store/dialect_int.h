/*
 * dialect_int.h: what each backend provides for the dialect functions of
 * store.h (store/dialect.c) and for change capture (store/capture.c).
 * Reached through co_store_ops.dialect and co_store_ops.capture; nothing here
 * is seen outside src/store/. A new engine fills a co_dialect_ops (and a
 * co_capture_ops when it can capture changes) in its own *_dialect.c.
 */
#ifndef CUTOVER_STORE_DIALECT_INT_H
#define CUTOVER_STORE_DIALECT_INT_H

#include "store/store_int.h"

typedef struct co_dialect_ops {
    co_caps caps;
    const char *key_eq_op; /* co_store_key_eq_op */
    const char *epoch_sql; /* co_store_epoch_sql */
    /* One row (any columns) when the table of the one parameter exists. */
    const char *table_exists_sql;
    /* Each NULL: the common form that store/dialect.c writes. */
    void (*blob_literal)(const co_value *v, co_buf *out);       /* X'hex' */
    void (*key_literals)(const co_store *s, const co_value *v, co_buf *out); /* quoted */
    void (*unindexed_column)(const co_store *s, const char *column, co_buf *out); /* quoted */
    void (*null_test)(const char *column_sql, co_buf *out);   /* IS NULL */
    co_code (*make_durable)(co_store *s, co_error *err);       /* nothing to do */
    /* co_store_defer_sync; NULL: nothing to do, *done false. */
    co_code (*defer_sync)(co_store *s, bool defer, bool *done, co_error *err);
    /* Required. */
    void (*json_item_eq)(const char *column, size_t pos, const char *param, co_buf *out);
    /* co_store_serial_key_sql; NULL: not known. */
    const char *serial_key;
    /* NULL: the engine holds no journal (CO_EUNSUPPORTED). Begins the
     * transaction in which cutover creates or changes its own tables, holding
     * what makes processes doing so together wait for one another (the lock
     * named lock, or the file's write lock). */
    co_code (*schema_begin)(co_store *s, const char *lock, co_error *err);
    /* cutover's DDL, written in SQLite's dialect, in this engine's (a string
     * the caller frees; NULL: out of memory). NULL: taken as it is. */
    char *(*schema_sql)(const char *ddl);
    /* True when the server runs WITH RECURSIVE (co_store_distinct_sql's skip
     * scan); NULL: always. */
    bool (*recursive_queries)(co_store *s);
} co_dialect_ops;

extern const co_dialect_ops co_sqlite_dialect_ops;
extern const co_dialect_ops co_pg_dialect_ops;
extern const co_dialect_ops co_mysql_dialect_ops;

/* Change capture (store.h's co_store_capture_*); the caller holds the
 * transaction and has checked that capture is supported. */
typedef struct co_capture_ops {
    co_code (*install)(co_store *s, const co_capture_spec *t, size_t n, co_error *err);
    co_code (*remove)(co_store *s, const co_capture_spec *t, size_t n, co_error *err);
    co_code (*freeze)(co_store *s, const co_capture_spec *t, size_t n, const char *tenant,
                      bool frozen, co_error *err);
    /* First in the transaction that starts or stops a tenant's capture (NULL:
     * nothing to do): see co_store_capture_serialize. */
    co_code (*serialize)(co_store *s, co_error *err);
    const char *horizon_sql; /* one integer: the commit-safe mark */
    /* NULL: horizon_sql answers; otherwise the engine works the mark out
     * itself (MySQL: under a lock that waits for the writers in flight). */
    co_code (*horizon)(co_store *s, int64_t *mark, co_error *err);
    const char *position;    /* co_store_capture_position */
    /* The database that holds cutover_changes, cutover_tenants and
     * cutover_frozen (NULL, or the function NULL: the connection's own;
     * co_store_capture_table). */
    const char *(*database)(const co_store *s);
} co_capture_ops;

extern const co_capture_ops co_sqlite_capture_ops;
extern const co_capture_ops co_pg_capture_ops;
extern const co_capture_ops co_mysql_capture_ops;

/* What the engines' triggers write (store/capture.c): the table's tenant
 * expression with {row} replaced by row (NEW or OLD), cast to text; a SQL
 * string literal of s; and cutover_<kind>_<table>_<op>[_<tenant>] quoted
 * (op and tenant may be NULL). */
void Co_capture_tenant_expr(const co_capture_spec *t, const char *row, co_buf *out);
/* The same, cast to type (MySQL: CHAR, as it has no TEXT cast). */
void Co_capture_tenant_cast(const co_capture_spec *t, const char *row, const char *type,
                            co_buf *out);
void Co_sql_literal(const char *s, co_buf *out);
/* The rule of every engine's update trigger: the condition that the row
 * moved, its key or its tenant, as the change log records them, differing
 * between OLD and NEW. Only then is the old row a change of its own (its old
 * key goes); else the new row's change says it all, once. Each side is one
 * array, written open OLD.k1, ..., tenant close (the engine's JSON array as
 * text: never NULL, so a NULL key or tenant compares too), and the two are
 * compared with differ (the engine's " IS NOT " for text). */
void Co_capture_moved(co_store *s, const co_capture_spec *t, const char *tenant_type,
                      const char *open, const char *close, const char *differ, co_buf *out);
void Co_capture_object_name(co_store *s, const char *kind, const char *table, const char *op,
                            const char *tenant, co_buf *out);

#endif
