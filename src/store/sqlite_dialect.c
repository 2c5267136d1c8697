/*
 * sqlite_dialect.c: SQLite's answers to the dialect functions of store.h
 * (dialect_int.h): a value's type is its own, not its column's; the planner
 * has no statistics; a declared NOT NULL is taken at its word; the journal
 * is a file of its own, in WAL mode.
 */
#include "store/dialect_int.h"
#include "store/sqlite_int.h"
#include "util/key.h"

/* An integer (or text holding one) as both the number and its text: where a
 * column has no type, SQLite compares them as different values. */
static void key_literals(const co_store *s, const co_value *v, co_buf *out)
{
    int64_t as_int;
    if (v->type == CO_INT)
        Co_buf_printf(out, "%lld, '%lld'", (long long)v->i, (long long)v->i);
    else if (v->type == CO_TEXT && Co_text_as_int(v->s, v->len, &as_int))
        Co_buf_printf(out, "%lld, '%lld'", (long long)as_int, (long long)as_int);
    else
        co_store_literal(s, v, out);
}

/* A unary + keeps the column off its index. */
static void unindexed_column(const co_store *s, const char *column, co_buf *out)
{
    Co_buf_addc(out, '+');
    co_store_quote_ident(s, column, out);
}

/* typeof() looks at the value: IS NULL on a NOT NULL column is folded to false. */
static void null_test(const char *column_sql, co_buf *out)
{
    Co_buf_printf(out, "typeof(%s) = 'null'", column_sql);
}

static void json_item_eq(const char *column, size_t pos, const char *param, co_buf *out)
{
    Co_buf_printf(out, "json_extract(%s, '$[%zu]') IS %s", column, pos, param);
}

static co_code make_durable(co_store *s, co_error *err)
{
    return co_store_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", err);
}

/* synchronous NORMAL in WAL mode: a commit is written to the WAL, unsynced;
 * the next FULL commit's sync of the file makes it durable, in order (WAL
 * recovery keeps a prefix of the commits). SQLite refuses to change it
 * inside a transaction, and a BEGIN put off would open one: then nothing. */
static co_code defer_sync(co_store *s, bool defer, bool *done, co_error *err)
{
    *done = false;
    if (co_sqlite_holding(s) || !sqlite3_get_autocommit(co_sqlite_db(s)))
        return CO_OK;
    co_code rc = co_store_exec(s, defer ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL",
                               err);
    *done = rc == CO_OK;
    return rc;
}

/* The schema is written in SQLite's dialect already; the file's write
 * lock, taken at once, makes changing it together safe. */
static co_code schema_begin(co_store *s, const char *lock, co_error *err)
{
    (void)lock;
    return co_store_begin(s, err); /* BEGIN IMMEDIATE */
}

const co_dialect_ops co_sqlite_dialect_ops = {
    .caps = {.row_locks = false, .failed_statement_aborts = false, .one_file = true},
    .key_eq_op = "IS", /* also matches NULL to NULL */
    .epoch_sql = "((julianday('now') - 2440587.5) * 86400.0)",
    .table_exists_sql = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
    .key_literals = key_literals,
    .unindexed_column = unindexed_column,
    .null_test = null_test,
    .make_durable = make_durable,
    .defer_sync = defer_sync,
    .json_item_eq = json_item_eq,
    .serial_key = "INTEGER PRIMARY KEY",
    .schema_begin = schema_begin,
};
