/*
 * sqlite.c: the SQLite backend of the store (store_int.h).
 *
 * Queries stream rows straight from sqlite3_step; opening, statements,
 * transactions, catalog reads and key reservation live here. Loading is in
 * sqlite_load.c, the SQL functions in sqlite_fn.c. The source is opened
 * query-only: cutover never writes to it by accident.
 */
#include "store/ddl_int.h"
#include "store/dialect_int.h"
#include "store/store_int.h"
#include "store/sqlite_int.h"
#include "util/canon.h"
#include "util/fs.h"
#include "util/key.h"
#include "util/rowhash.h"
#include "util/grow.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct sqlite_cursor {
    co_cursor base;
    sqlite3_stmt *stmt;
} sqlite_cursor;

co_code Co_sqlite_fail(co_store *s, const char *doing, co_error *err)
{
    sqlite3 *db = co_sqlite_db(s);
    return co_error_set(err, Co_store_side_code(s->side), "%s: %s: %s", co_side_name(s->side),
                        doing, sqlite3_errmsg(db));
}

/* ---- cursors ---------------------------------------------------------------- */

static co_code cursor_next(co_cursor *c, bool *has_row, co_error *err)
{
    sqlite_cursor *sc = (sqlite_cursor *)c;
    int rc = sqlite3_step(sc->stmt);
    if (rc == SQLITE_ROW) {
        *has_row = true;
        return CO_OK;
    }
    *has_row = false;
    if (rc == SQLITE_DONE)
        return CO_OK;
    return Co_sqlite_fail(c->store, "query failed", err);
}

static size_t cursor_ncols(const co_cursor *c)
{
    return (size_t)sqlite3_column_count(((const sqlite_cursor *)c)->stmt);
}

static const char *cursor_colname(const co_cursor *c, size_t i)
{
    return sqlite3_column_name(((const sqlite_cursor *)c)->stmt, (int)i);
}

static co_value cursor_value(co_cursor *c, size_t i)
{
    sqlite3_stmt *st = ((sqlite_cursor *)c)->stmt;
    int col = (int)i;
    co_value v = {0};
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        v.type = CO_INT;
        v.i = sqlite3_column_int64(st, col);
        break;
    case SQLITE_FLOAT:
        v.type = CO_REAL;
        v.r = sqlite3_column_double(st, col);
        break;
    case SQLITE_TEXT:
        v.type = CO_TEXT;
        v.s = (const char *)sqlite3_column_text(st, col);
        v.len = (size_t)sqlite3_column_bytes(st, col);
        break;
    case SQLITE_BLOB:
        v.type = CO_BLOB;
        v.s = sqlite3_column_blob(st, col);
        v.len = (size_t)sqlite3_column_bytes(st, col);
        if (!v.s)
            v.s = "";
        break;
    default:
        break;
    }
    return v;
}

static void cursor_close(co_cursor *c)
{
    sqlite_cursor *sc = (sqlite_cursor *)c;
    sqlite3_finalize(sc->stmt);
    free(sc);
}

static const co_cursor_ops cursor_ops = {
    .next = cursor_next,
    .ncols = cursor_ncols,
    .colname = cursor_colname,
    .value = cursor_value,
    .close = cursor_close,
};

/* ---- statements ------------------------------------------------------------- */

int Co_sqlite_bind_value(sqlite3_stmt *st, int idx, const co_value *v)
{
    switch (v->type) {
    case CO_NULL: return sqlite3_bind_null(st, idx);
    case CO_INT: return sqlite3_bind_int64(st, idx, v->i);
    case CO_REAL: return sqlite3_bind_double(st, idx, v->r);
    case CO_TEXT: return sqlite3_bind_text64(st, idx, v->s, v->len, SQLITE_STATIC, SQLITE_UTF8);
    case CO_BLOB: return sqlite3_bind_blob64(st, idx, v->s, v->len, SQLITE_STATIC);
    }
    return SQLITE_MISUSE;
}

/* Prepares sql and binds params: named ones by name (ignored when the SQL does
 * not use them), unnamed ones by position. A named parameter of the SQL that
 * no param supplies is an error rather than a silent NULL. */
static co_code prepare_bound(co_store *s, const char *sql, const co_param *params, size_t n,
                             sqlite3_stmt **out, co_error *err)
{
    sqlite3 *db = co_sqlite_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return Co_sqlite_fail(s, "cannot prepare query", err);
    if (!st)
        return co_error_set(err, Co_store_side_code(s->side), "%s: the query is empty",
                            co_side_name(s->side));
    int position = 0;
    for (size_t i = 0; i < n; i++) {
        int idx;
        if (params[i].name) {
            idx = sqlite3_bind_parameter_index(st, params[i].name);
            if (idx == 0)
                continue;
        } else {
            idx = ++position;
        }
        if (Co_sqlite_bind_value(st, idx, &params[i].value) != SQLITE_OK) {
            co_code rc = Co_sqlite_fail(s, "cannot bind parameter", err);
            sqlite3_finalize(st);
            return rc;
        }
    }
    int count = sqlite3_bind_parameter_count(st);
    for (int idx = 1; idx <= count; idx++) {
        const char *name = sqlite3_bind_parameter_name(st, idx);
        if (!name || name[0] == '?') { /* positional: ? or ?NNN */
            if (idx > position) {
                co_error_set(err, Co_store_side_code(s->side),
                             "%s: the query uses a positional parameter (?) that cutover does "
                             "not supply; name the tenant :tenant",
                             co_side_name(s->side));
                sqlite3_finalize(st);
                return Co_store_side_code(s->side);
            }
            continue;
        }
        bool given = false;
        for (size_t i = 0; i < n && !given; i++)
            given = params[i].name && strcmp(params[i].name, name) == 0;
        if (!given) {
            co_error_set(err, Co_store_side_code(s->side),
                         "%s: the query uses parameter %s, which cutover does not supply",
                         co_side_name(s->side), name); /* before finalize frees name */
            sqlite3_finalize(st);
            return Co_store_side_code(s->side);
        }
    }
    *out = st;
    return CO_OK;
}

static co_code sq_exec(co_store *s, const char *sql, co_error *err);

co_code Co_sqlite_begin_pending(co_store *s, co_error *err)
{
    sqlite_store *ss = (sqlite_store *)s;
    if (!ss->begin_pending)
        return CO_OK;
    ss->begin_pending = false;
    return sq_exec(s, "BEGIN IMMEDIATE", err);
}

static co_code sq_query(co_store *s, const char *sql, const co_param *params, size_t n,
                        co_cursor **out, co_error *err)
{
    sqlite3_stmt *st = NULL;
    co_code rc = Co_sqlite_begin_pending(s, err);
    if (rc == CO_OK)
        rc = prepare_bound(s, sql, params, n, &st, err);
    if (rc != CO_OK)
        return rc;
    if (s->side == CO_SIDE_SOURCE && !((sqlite_store *)s)->writable &&
        !sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        return co_error_set(err, CO_ESOURCE,
                            "source: the query would write to the source; queries over the "
                            "source must only read");
    }
    sqlite_cursor *c = calloc(1, sizeof *c);
    if (!c) {
        sqlite3_finalize(st);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    c->base.ops = &cursor_ops;
    c->base.store = s;
    c->stmt = st;
    *out = &c->base;
    return CO_OK;
}

static co_code sq_exec(co_store *s, const char *sql, co_error *err)
{
    char *msg = NULL;
    co_code rc = Co_sqlite_begin_pending(s, err);
    if (rc != CO_OK)
        return rc;
    if (sqlite3_exec(co_sqlite_db(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        co_error_set(err, Co_store_side_code(s->side), "%s: %s", co_side_name(s->side),
                     msg ? msg : sqlite3_errmsg(co_sqlite_db(s)));
        sqlite3_free(msg);
        return Co_store_side_code(s->side);
    }
    return CO_OK;
}

static co_code sq_exec_params(co_store *s, const char *sql, const co_param *params, size_t n,
                              long long *changes, co_error *err)
{
    sqlite3_stmt *st;
    co_code rc = Co_sqlite_begin_pending(s, err);
    if (rc == CO_OK)
        rc = prepare_bound(s, sql, params, n, &st, err);
    if (rc != CO_OK)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (step != SQLITE_DONE) {
        rc = Co_sqlite_fail(s, "statement failed", err);
    } else if (changes) {
        *changes = sqlite3_changes64(co_sqlite_db(s));
    }
    sqlite3_finalize(st);
    return rc;
}

/* Page cache of a target or staging connection, in KiB: a batch's dirty
 * pages while it loads a tenant (it holds the write token), less while it
 * only reads (a job verifying beside another's load); never above the
 * store's cap (Co_store_writer_cache). */
#define CACHE_LOADING_KIB 65536
#define CACHE_READING_KIB 16384

/* Page size of db's main file, 4096 when it cannot be read. */
static int page_size(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int size = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA main.page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return size > 0 ? size : 4096;
}

/* While s holds the write token its file is checkpointed on a thread
 * (sqlite_checkpoint.c), which its push-down connections follow too. The
 * thread outlives the token, until s closes: the round it has in hand when
 * a load ends (the copy of the load's last batch) finishes beside what comes
 * next, the next tenant's load or a verification, instead of holding the
 * token until it is done. */
static void checkpoint_beside(sqlite_store *ss, bool on)
{
    if (!on) {
        Co_sqlite_checkpointer_unfollow(&ss->checkpoint_link, ss->db);
        return;
    }
    if (!ss->checkpointer)
        ss->checkpointer = Co_sqlite_checkpointer_new(
            sqlite3_db_filename(ss->db, "main"), SQ_CHECKPOINT_FRAMES,
            SQ_CHECKPOINT_CAP_BYTES / page_size(ss->db));
    Co_sqlite_checkpointer_follow(&ss->checkpoint_link, ss->checkpointer, ss->db, "main");
}

static void sq_writing(co_store *s, bool on)
{
    sqlite3 *db = co_sqlite_db(s);
    checkpoint_beside((sqlite_store *)s, on);
    size_t kib = on ? CACHE_LOADING_KIB : CACHE_READING_KIB;
    if (s->cache_cap_kib && s->cache_cap_kib < kib)
        kib = s->cache_cap_kib;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%zu", kib);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (!on)
        sqlite3_db_release_memory(db);
}

static co_code sq_begin(co_store *s, co_error *err) { return sq_exec(s, "BEGIN IMMEDIATE", err); }

static co_code sq_begin_on_write(co_store *s, co_error *err)
{
    (void)err;
    ((sqlite_store *)s)->begin_pending = true;
    return CO_OK;
}

static co_code sq_commit(co_store *s, co_error *err)
{
    sqlite_store *ss = (sqlite_store *)s;
    if (ss->begin_pending) { /* nothing was written: nothing to end */
        ss->begin_pending = false;
        return CO_OK;
    }
    return sq_exec(s, "COMMIT", err);
}

static void sq_rollback(co_store *s)
{
    ((sqlite_store *)s)->begin_pending = false;
    if (!sqlite3_get_autocommit(co_sqlite_db(s)))
        sqlite3_exec(co_sqlite_db(s), "ROLLBACK", NULL, NULL, NULL);
}

typedef struct sqlite_stmt {
    co_stmt base;
    sqlite3_stmt *stmt;
} sqlite_stmt;

static co_code sq_prepare(co_store *s, const char *sql, co_stmt **out, co_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(co_sqlite_db(s), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return Co_sqlite_fail(s, "cannot prepare statement", err);
    sqlite_stmt *ps = calloc(1, sizeof *ps);
    if (!ps) {
        sqlite3_finalize(st);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    ps->base.store = s;
    ps->stmt = st;
    *out = &ps->base;
    return CO_OK;
}

static co_code sq_stmt_exec(co_stmt *stmt, const co_value *vals, size_t n, long long *changes,
                            co_error *err)
{
    sqlite3_stmt *st = ((sqlite_stmt *)stmt)->stmt;
    co_code rc = Co_sqlite_begin_pending(stmt->store, err);
    for (size_t i = 0; i < n && rc == CO_OK; i++)
        if (Co_sqlite_bind_value(st, (int)i + 1, &vals[i]) != SQLITE_OK)
            rc = Co_sqlite_fail(stmt->store, "cannot bind value", err);
    if (rc == CO_OK) {
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            ;
        if (step != SQLITE_DONE)
            rc = Co_sqlite_fail(stmt->store, "statement failed", err);
        else if (changes)
            *changes = sqlite3_changes64(co_sqlite_db(stmt->store));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static void sq_stmt_close(co_stmt *stmt)
{
    sqlite3_finalize(((sqlite_stmt *)stmt)->stmt);
    free(stmt);
}

static co_code sq_prepare_check(co_store *s, const char *sql, co_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(co_sqlite_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return Co_sqlite_fail(s, "query does not prepare", err);
    sqlite3_finalize(st);
    return CO_OK;
}

typedef struct read_collector {
    co_read_fn fn;
    void *ctx;
} read_collector;

/* The authorizer that reports each column read while a statement compiles. */
static int collect_read(void *ctx, int action, const char *table, const char *column,
                        const char *db, const char *trigger)
{
    (void)db;
    (void)trigger;
    read_collector *rc = ctx;
    if (action == SQLITE_READ && table && column && *column)
        rc->fn(rc->ctx, table, column);
    return SQLITE_OK;
}

/* Prepares sql with the authorizer in place, then removes it. Changing the
 * authorizer expires the connection's prepared statements: running ones
 * finish, and SQLite prepares the others again on their next run. */
static co_code sq_query_reads(co_store *s, const char *sql, co_read_fn fn, void *ctx,
                              co_error *err)
{
    read_collector collector = {fn, ctx};
    sqlite3_stmt *st = NULL;
    co_code rc = CO_OK;
    sqlite3_set_authorizer(co_sqlite_db(s), collect_read, &collector);
    if (sqlite3_prepare_v2(co_sqlite_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        rc = Co_sqlite_fail(s, "query does not prepare", err); /* before the message changes */
    sqlite3_set_authorizer(co_sqlite_db(s), NULL, NULL);
    sqlite3_finalize(st);
    return rc;
}

/* The columns sql (name, type, notnull, pk of table ?) lists. */
static co_code columns_of(co_store *s, const char *sql, const char *table, co_column **cols,
                          size_t *ncols, co_error *err)
{
    co_param p = {NULL, co_text(table, strlen(table))};
    co_cursor *c = NULL;
    co_code rc = sq_query(s, sql, &p, 1, &c, err);
    if (rc != CO_OK)
        return rc;
    co_column *arr = NULL;
    size_t n = 0, cap = 0;
    bool has_row;
    while ((rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        if (!CO_GROW(arr, cap, n + 1, 16)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        co_value name = co_cursor_value(c, 0), type = co_cursor_value(c, 1);
        arr[n].name = strdup(name.type == CO_TEXT ? name.s : "");
        arr[n].decl_type = strdup(type.type == CO_TEXT ? type.s : "");
        arr[n].notnull = co_cursor_value(c, 2).i != 0;
        arr[n].primary_key = co_cursor_value(c, 3).i != 0;
        n++;
        if (!arr[n - 1].name || !arr[n - 1].decl_type) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
    }
    co_cursor_close(c);
    if (rc == CO_OK && n == 0)
        rc = co_error_set(err, CO_ENOTFOUND, "%s: no table \"%s\"", co_side_name(s->side), table);
    if (rc != CO_OK) {
        co_columns_free(arr, n);
        return rc;
    }
    *cols = arr;
    *ncols = n;
    return CO_OK;
}

static co_code sq_columns(co_store *s, const char *table, co_column **cols, size_t *ncols,
                          co_error *err)
{
    return columns_of(s, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", table,
                      cols, ncols, err);
}

/* Hidden 1 is a virtual table's hidden column, which SELECT * leaves out;
 * generated columns (2, 3) are in it. */
static co_code sq_select_columns(co_store *s, const char *table, co_column **cols,
                                 size_t *ncols, co_error *err)
{
    return columns_of(s,
                      "SELECT name, type, \"notnull\", pk FROM pragma_table_xinfo(?, 'main') "
                      "WHERE hidden <> 1 ORDER BY cid",
                      table, cols, ncols, err);
}

/* The first of rowid, _rowid_, oid that no column of table shadows, or NULL. */
static co_code row_id_of(co_store *s, const char *table, char **out, co_error *err)
{
    *out = NULL;
    co_column *cols = NULL;
    size_t n = 0;
    co_code rc = sq_select_columns(s, table, &cols, &n, err);
    if (rc != CO_OK)
        return rc;
    static const char *const names[] = {"rowid", "_rowid_", "oid"};
    for (size_t k = 0; k < 3 && !*out; k++) {
        bool shadowed = false;
        for (size_t i = 0; i < n && !shadowed; i++)
            shadowed = sqlite3_stricmp(cols[i].name, names[k]) == 0;
        if (!shadowed && !(*out = strdup(names[k])))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_columns_free(cols, n);
    return rc;
}

static co_code sq_tables(co_store *s, co_table_info **tables, size_t *ntables, co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = sq_query(s,
                          "SELECT s.name, s.sql, coalesce(l.wr, 0), coalesce(l.type, 'table') "
                          "FROM sqlite_schema AS s LEFT JOIN pragma_table_list AS l "
                          "ON l.schema = 'main' AND l.name = s.name "
                          "WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                          "ORDER BY s.name",
                          NULL, 0, &c, err);
    co_table_info *arr = NULL;
    size_t n = 0, cap = 0;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        if (!CO_GROW(arr, cap, n + 1, 16)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        co_table_info *t = &arr[n++];
        memset(t, 0, sizeof *t);
        co_value name = co_cursor_value(c, 0), sql = co_cursor_value(c, 1),
                 type = co_cursor_value(c, 3);
        t->name = strdup(name.type == CO_TEXT ? name.s : "");
        t->create_sql = sql.type == CO_TEXT ? strdup(sql.s) : NULL;
        t->virtual_table = type.type == CO_TEXT && strcmp(type.s, "virtual") == 0;
        /* A WITHOUT ROWID table has no row id, a virtual table its module's:
         * marked "" here, made NULL below. */
        bool without_rowid = co_cursor_value(c, 2).i != 0 || t->virtual_table;
        t->row_id = without_rowid ? strdup("") : NULL;
        if (!t->name || (sql.type == CO_TEXT && !t->create_sql) || (without_rowid && !t->row_id)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
    }
    co_cursor_close(c);
    /* The row ids, once the list's cursor is closed. */
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        if (arr[i].row_id) {
            free(arr[i].row_id);
            arr[i].row_id = NULL;
        } else {
            rc = row_id_of(s, arr[i].name, &arr[i].row_id, err);
        }
    }
    if (rc != CO_OK) {
        co_tables_free(arr, n);
        return rc;
    }
    *tables = arr;
    *ntables = n;
    return CO_OK;
}

static co_code sq_allow_writes(co_store *s, co_error *err)
{
    co_code rc = sq_exec(s, "PRAGMA query_only = 0", err);
    if (rc == CO_OK) /* INSERT ... RETURNING through a query, too */
        ((sqlite_store *)s)->writable = true;
    return rc;
}

/* The month strftime gives ('YYYY-MM', at UTC; NULL for text that is no
 * time), but for text that starts with a date no calendar has, which
 * strftime reads as a month ('2026-02-30' as February) or as none
 * ('2026-13-45'): CO_STORE_MONTH_INVALID and the text, as PostgreSQL's
 * month gives it (pg.c: the same dates, a date that ends after its ten
 * characters), from cutover_invalid_date (sqlite_fn.c). */
static void sq_month_sql(const co_store *s, const char *expr, co_buf *out)
{
    (void)s;
    Co_buf_printf(out, "coalesce(cutover_invalid_date(%s), strftime('%%Y-%%m', %s))", expr, expr);
}

/* ---- opening ---------------------------------------------------------------- */

static void sq_close(co_store *s)
{
    sqlite_store *ss = (sqlite_store *)s;
    checkpoint_beside(ss, false);
    Co_sqlite_checkpointer_release(ss->checkpointer); /* waits for its round */
    sqlite3_close_v2(ss->db);
    Co_buf_release(&ss->key);
    Co_buf_release(&ss->mapped);
    Co_buf_release(&ss->mapped_bytes);
    free(ss->pushdown_head);
    free(ss->pushdown_watch);
    Co_sqlite_failed_free(ss->failed);
    free(ss);
}

static co_code sq_defer_constraints(co_store *s, co_error *err)
{
    return sq_exec(s, "PRAGMA defer_foreign_keys = ON", err);
}

/* The n values above the column's largest value and the table's AUTOINCREMENT
 * high-water mark (sqlite_sequence): the values the table would give its next
 * rows, taken under the open transaction's write lock (BEGIN IMMEDIATE). */
static co_code sq_reserve_keys(co_store *s, const char *table, const char *column, size_t n,
                               int64_t *out, bool *until_commit, co_error *err)
{
    bool sequence = sqlite3_table_column_metadata(co_sqlite_db(s), NULL, "sqlite_sequence", "seq", NULL,
                                                  NULL, NULL, NULL, NULL) == SQLITE_OK;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT max(coalesce((SELECT max(");
    co_store_quote_ident(s, column, &sql);
    Co_buf_adds(&sql, ") FROM ");
    co_store_quote_ident(s, table, &sql);
    Co_buf_adds(&sql, sequence ? "), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?),"
                                 " 0))"
                               : "), 0), 0)");
    co_param p = {NULL, co_text(table, strlen(table))};
    sqlite3_stmt *st = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : Co_sqlite_begin_pending(s, err);
    if (rc == CO_OK)
        rc = prepare_bound(s, co_buf_str(&sql), &p, sequence ? 1 : 0, &st, err);
    Co_buf_release(&sql);
    if (rc != CO_OK)
        return rc;
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        rc = Co_sqlite_fail(s, "cannot reserve keys", err);
    } else if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
        rc = co_error_set(err, CO_EUNSUPPORTED,
                          "%s: column \"%s\" of table \"%s\" holds values that are not "
                          "integers: cutover cannot draw integer keys above them",
                          co_side_name(s->side), column, table);
    } else {
        int64_t top = sqlite3_column_int64(st, 0);
        for (size_t i = 0; i < n; i++)
            out[i] = top + 1 + (int64_t)i;
    }
    sqlite3_finalize(st);
    *until_commit = true;
    return rc;
}

static const co_store_ops sqlite_ops = {
    .engine = "sqlite",
    .one_writer = true,
    .close = sq_close,
    .exec = sq_exec,
    .exec_params = sq_exec_params,
    .begin = sq_begin,
    .begin_on_write = sq_begin_on_write,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .query = sq_query,
    .prepare = sq_prepare,
    .stmt_exec = sq_stmt_exec,
    .stmt_close = sq_stmt_close,
    .prepare_check = sq_prepare_check,
    .query_reads = sq_query_reads,
    .columns = sq_columns,
    .tables = sq_tables,
    .select_columns = sq_select_columns,
    .constraints = Co_sqlite_constraints,
    .indexes = Co_sqlite_indexes,
    .loader_open = Co_sqlite_loader_open,
    .month_sql = sq_month_sql,
    .allow_writes = sq_allow_writes,
    .ddl = &co_sqlite_ddl_ops,
    .defer_constraints = sq_defer_constraints,
    .reserve_keys = sq_reserve_keys,
    .dialect = &co_sqlite_dialect_ops,
    .capture = &co_sqlite_capture_ops,
    .digest_sum_sql = Co_sqlite_digest_sum_sql,
    .pushdown_open = Co_sqlite_pushdown_open,
    .pushdown_insert = Co_sqlite_pushdown_insert,
    .pushdown_failed = Co_sqlite_pushdown_failed,
    .writing = sq_writing,
};

/* Process-wide SQLite settings, made once before the first connection:
 * memory statistics off (they take a global mutex on every allocation). */
static void configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* refused harmlessly if already initialized */
}

static void configure_once(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT; /* jobs open connections in threads */
    pthread_once(&once, configure);
}

/* Loading relies on a refused row undoing its whole statement, which needs a
 * rollback journal: a database opened with journal_mode OFF gets DELETE on
 * this connection (the mode of a non-WAL database is per connection). */
static void keep_statement_rollback(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    bool off = false;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        off = mode && strcmp((const char *)mode, "off") == 0;
    }
    sqlite3_finalize(st);
    if (off)
        sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
}

co_code Co_sqlite_open(const char *path, co_side side, co_store **out, co_error *err)
{
    return Co_sqlite_open_ex(path, side, false, out, err);
}

co_code Co_sqlite_open_ex(const char *path, co_side side, bool create, co_store **out,
                          co_error *err)
{
    configure_once();
    const char *name = co_side_name(side);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (side == CO_SIDE_STATE || (create && side != CO_SIDE_SOURCE)) {
        /* The journal is cutover's own: create it (and .cutover/) on first use. */
        flags |= SQLITE_OPEN_CREATE;
        if (strcmp(path, ":memory:") != 0 && !Co_mkdir_parent(path))
            return co_error_set(err, Co_store_side_code(side),
                                "%s: cannot create the directory of %s: %s", name, path,
                                strerror(errno));
    } else if (strcmp(path, ":memory:") != 0) {
        /* Source, target and staging are the user's databases: never invent one. */
        struct stat st;
        if (stat(path, &st) != 0)
            return co_error_set(err, Co_store_side_code(side), "%s: no database file %s (%s)",
                                name, path, strerror(errno));
        if (!S_ISREG(st.st_mode))
            return co_error_set(err, Co_store_side_code(side), "%s: %s is not a file", name, path);
    }
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    s->base.ops = &sqlite_ops;
    s->base.side = side;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        co_error_set(err, Co_store_side_code(side), "%s: cannot open %s: %s", name, path,
                     s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close_v2(s->db);
        free(s);
        return Co_store_side_code(side);
    }
    sqlite3_extended_result_codes(s->db, 1);
    Co_sqlite_register_functions(s);
    /* Workers sharing a SQLite target wait for each other's batches: one
     * batch may take tens of seconds on a loaded machine or a sanitized
     * build, and a wait that gives up rolls the tenant back. */
    sqlite3_busy_timeout(s->db, 60000);
    /* Reading the schema proves the file is a database and not garbage. */
    char *msg = NULL;
    if (sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, &msg) != SQLITE_OK) {
        co_error_set(err, Co_store_side_code(side), "%s: %s is not a usable SQLite database: %s",
                     name, path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        sqlite3_close_v2(s->db);
        free(s);
        return Co_store_side_code(side);
    }
    if (side == CO_SIDE_SOURCE) /* the system of record: never written by accident */
        sqlite3_exec(s->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    else
        keep_statement_rollback(s->db);
    /* Page cache per connection: the reading size until a load takes the
     * file's write token (Co_store_writer_take, every load into a SQLite
     * target does), which gives it the loading size while it holds it. A
     * connection that only reads (verify, status) keeps the small cache, and
     * so does its sorter: SQLite sizes a sort's memory (a GROUP BY of a
     * tenant's millions of events by month) by the main cache, so at 64 MB a
     * verification of a 4M-row tenant peaked 94 MB above its working set. */
    char cache[64];
    snprintf(cache, sizeof cache, "PRAGMA cache_size = -%d", CACHE_READING_KIB);
    sqlite3_exec(s->db, cache, NULL, NULL, NULL);
    *out = &s->base;
    return CO_OK;
}
