/*
 * sqlite.c: the SQLite backend of the store (store_int.h).
 *
 * Queries stream rows straight from sqlite3_step. Loading buffers rows and
 * inserts them in groups, one multi-row INSERT per group; when the database
 * refuses a row (a constraint, a STRICT type, a size) the group is retried row
 * by row, so that row alone is rejected while the transaction goes on. The
 * source is opened query-only: cutover never writes to it by accident.
 */
#include "dedupe/normalize.h"
#include "store/ddl_int.h"
#include "store/store_int.h"
#include "store/sqlite_int.h"
#include "util/canon.h"
#include "util/fs.h"
#include "util/key.h"
#include "util/rowhash.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct sqlite_store {
    co_store base;
    sqlite3 *db;
    co_buf key; /* the canonical key cutover_keep() builds */
    const char *path; /* for messages; owned by base.safe_uri once open returns */
    bool writable;    /* a source connection that co_store_allow_writes opened to writes */
} sqlite_store;

typedef struct sqlite_cursor {
    co_cursor base;
    sqlite3_stmt *stmt;
} sqlite_cursor;

static sqlite3 *db_of(co_store *s) { return ((sqlite_store *)s)->db; }

/* Fills err from the connection's last error, naming the side. */
static co_code fail(co_store *s, const char *doing, co_error *err)
{
    sqlite3 *db = db_of(s);
    return co_error_set(err, co_store_side_code(s->side), "%s: %s: %s", co_side_name(s->side),
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
    return fail(c->store, "query failed", err);
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

static int bind_value(sqlite3_stmt *st, int idx, const co_value *v)
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
    sqlite3 *db = db_of(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, "cannot prepare query", err);
    if (!st)
        return co_error_set(err, co_store_side_code(s->side), "%s: the query is empty",
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
        if (bind_value(st, idx, &params[i].value) != SQLITE_OK) {
            co_code rc = fail(s, "cannot bind parameter", err);
            sqlite3_finalize(st);
            return rc;
        }
    }
    int count = sqlite3_bind_parameter_count(st);
    for (int idx = 1; idx <= count; idx++) {
        const char *name = sqlite3_bind_parameter_name(st, idx);
        if (!name || name[0] == '?') { /* positional: ? or ?NNN */
            if (idx > position) {
                co_error_set(err, co_store_side_code(s->side),
                             "%s: the query uses a positional parameter (?) that cutover does "
                             "not supply; name the tenant :tenant",
                             co_side_name(s->side));
                sqlite3_finalize(st);
                return co_store_side_code(s->side);
            }
            continue;
        }
        bool given = false;
        for (size_t i = 0; i < n && !given; i++)
            given = params[i].name && strcmp(params[i].name, name) == 0;
        if (!given) {
            co_error_set(err, co_store_side_code(s->side),
                         "%s: the query uses parameter %s, which cutover does not supply",
                         co_side_name(s->side), name); /* before finalize frees name */
            sqlite3_finalize(st);
            return co_store_side_code(s->side);
        }
    }
    *out = st;
    return CO_OK;
}

static co_code sq_query(co_store *s, const char *sql, const co_param *params, size_t n,
                        co_cursor **out, co_error *err)
{
    sqlite3_stmt *st = NULL;
    co_code rc = prepare_bound(s, sql, params, n, &st, err);
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
    if (sqlite3_exec(db_of(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        co_error_set(err, co_store_side_code(s->side), "%s: %s", co_side_name(s->side),
                     msg ? msg : sqlite3_errmsg(db_of(s)));
        sqlite3_free(msg);
        return co_store_side_code(s->side);
    }
    return CO_OK;
}

static co_code sq_exec_params(co_store *s, const char *sql, const co_param *params, size_t n,
                              long long *changes, co_error *err)
{
    sqlite3_stmt *st;
    co_code rc = prepare_bound(s, sql, params, n, &st, err);
    if (rc != CO_OK)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (step != SQLITE_DONE) {
        rc = fail(s, "statement failed", err);
    } else if (changes) {
        *changes = sqlite3_changes64(db_of(s));
    }
    sqlite3_finalize(st);
    return rc;
}

static co_code sq_begin(co_store *s, co_error *err) { return sq_exec(s, "BEGIN IMMEDIATE", err); }
static co_code sq_commit(co_store *s, co_error *err) { return sq_exec(s, "COMMIT", err); }

static void sq_rollback(co_store *s)
{
    if (!sqlite3_get_autocommit(db_of(s)))
        sqlite3_exec(db_of(s), "ROLLBACK", NULL, NULL, NULL);
}

typedef struct sqlite_stmt {
    co_stmt base;
    sqlite3_stmt *stmt;
} sqlite_stmt;

static co_code sq_prepare(co_store *s, const char *sql, co_stmt **out, co_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db_of(s), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return fail(s, "cannot prepare statement", err);
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
    co_code rc = CO_OK;
    for (size_t i = 0; i < n && rc == CO_OK; i++)
        if (bind_value(st, (int)i + 1, &vals[i]) != SQLITE_OK)
            rc = fail(stmt->store, "cannot bind value", err);
    if (rc == CO_OK) {
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            ;
        if (step != SQLITE_DONE)
            rc = fail(stmt->store, "statement failed", err);
        else if (changes)
            *changes = sqlite3_changes64(db_of(stmt->store));
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
    if (sqlite3_prepare_v2(db_of(s), sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, "query does not prepare", err);
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
    sqlite3_set_authorizer(db_of(s), collect_read, &collector);
    if (sqlite3_prepare_v2(db_of(s), sql, -1, &st, NULL) != SQLITE_OK)
        rc = fail(s, "query does not prepare", err); /* before the message changes */
    sqlite3_set_authorizer(db_of(s), NULL, NULL);
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
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            co_column *grown = realloc(arr, cap * sizeof *arr);
            if (!grown) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
            arr = grown;
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
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            co_table_info *grown = realloc(arr, cap * sizeof *arr);
            if (!grown) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
            arr = grown;
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

/* ---- loading ---------------------------------------------------------------- */

/* Rows per multi-row INSERT: enough to amortize opening the table's and its
 * indexes' cursors, few enough that a retry row by row stays cheap. */
#define GROUP_ROWS 64
#define MAX_PARAMS 32766

typedef struct sqlite_loader {
    co_loader base;
    sqlite3_stmt *one;   /* INSERT ... VALUES (?, ...) */
    sqlite3_stmt *group; /* the same with `group_rows` rows */
    size_t group_rows;
    char *table;
    co_value *rows;      /* group_rows * ncols buffered values */
    size_t *offsets;     /* where each text or blob value's bytes start in bytes */
    co_buf bytes;
    size_t count;        /* rows buffered */
    sq_fkeys *fkeys;     /* declared foreign keys checked before a group applies, or NULL */
} sqlite_loader;

/* The reject rule for a refused row, from SQLite's extended code. */
static const char *rule_of(int ext)
{
    switch (ext) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_ROWID: return "duplicate_key";
    case SQLITE_CONSTRAINT_NOTNULL: return "not_null";
    case SQLITE_CONSTRAINT_CHECK: return "check";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "foreign_key";
    case SQLITE_CONSTRAINT_DATATYPE:
    case SQLITE_MISMATCH: return "type";
    case SQLITE_TOOBIG: return "too_big";
    default: return "constraint";
    }
}

/* True when a failed step refused the row for what it holds. */
static bool row_level(int rc)
{
    int primary = rc & 0xff;
    return primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_TOOBIG;
}

static co_code insert_failed(sqlite_loader *sl, const char *what, co_error *err)
{
    co_store *s = sl->base.store;
    return co_error_set(err, co_store_side_code(s->side), "%s: %s %s: %s", co_side_name(s->side),
                        what, sl->table, sqlite3_errmsg(db_of(s)));
}

static co_code bind_rows(sqlite_loader *sl, sqlite3_stmt *st, const co_value *rows, size_t n,
                         co_error *err)
{
    size_t ncols = sl->base.ncols;
    for (size_t i = 0; i < n * ncols; i++)
        if (bind_value(st, (int)i + 1, &rows[i]) != SQLITE_OK)
            return insert_failed(sl, "cannot bind a value for", err);
    return CO_OK;
}

/* Inserts rows one by one, reporting each as loaded or refused. */
static co_code insert_each(sqlite_loader *sl, const co_value *rows, size_t n, co_error *err)
{
    co_loader *l = &sl->base;
    for (size_t r = 0; r < n; r++) {
        const co_value *row = rows + r * l->ncols;
        co_code rc = bind_rows(sl, sl->one, row, 1, err);
        if (rc != CO_OK) {
            sqlite3_reset(sl->one);
            return rc;
        }
        int step = sqlite3_step(sl->one);
        int ext = sqlite3_extended_errcode(db_of(l->store));
        if (step == SQLITE_DONE && sqlite3_changes64(db_of(l->store)) == 1) {
            sqlite3_reset(sl->one);
            if (l->events.loaded)
                l->events.loaded(l->events.ctx, row, l->ncols);
            continue;
        }
        if (step == SQLITE_DONE) { /* a trigger's RAISE(IGNORE) dropped it */
            sqlite3_reset(sl->one);
            if (!l->events.refused)
                return co_error_set(err, co_store_side_code(l->store->side),
                                    "%s: a row was dropped by %s (a trigger ignored it)",
                                    co_side_name(l->store->side), sl->table);
            l->events.refused(l->events.ctx, row, l->ncols, "ignored",
                              "the table ignored the row (a trigger's RAISE(IGNORE))", "");
            continue;
        }
        if (!row_level(step) && !row_level(ext)) {
            rc = insert_failed(sl, "insert into", err);
            sqlite3_reset(sl->one);
            return rc;
        }
        if (!l->events.refused) {
            rc = insert_failed(sl, "a row was refused by", err);
            sqlite3_reset(sl->one);
            return rc;
        }
        l->events.refused(l->events.ctx, row, l->ncols, rule_of(ext), sqlite3_errmsg(db_of(l->store)),
                          "");
        sqlite3_reset(sl->one);
    }
    return CO_OK;
}

/* Refuses the buffered rows whose declared foreign key names no parent row
 * (rule foreign_key) and moves the others to the front; *kept gets how many
 * those are. */
static co_code refuse_orphans(sqlite_loader *sl, size_t *kept, co_error *err)
{
    co_loader *l = &sl->base;
    size_t n = *kept, ncols = l->ncols, w = 0;
    for (size_t r = 0; r < n; r++) {
        bool ok;
        char reason[512];
        co_code rc = co_sqlite_fkeys_check(sl->fkeys, db_of(l->store), sl->rows, n, ncols, r,
                                           &ok, reason, sizeof reason, err);
        if (rc != CO_OK)
            return rc;
        if (ok) {
            if (w != r)
                memmove(sl->rows + w * ncols, sl->rows + r * ncols, ncols * sizeof *sl->rows);
            w++;
            continue;
        }
        if (!l->events.refused)
            return co_error_set(err, co_store_side_code(l->store->side), "%s: %s: %s",
                                co_side_name(l->store->side), sl->table, reason);
        l->events.refused(l->events.ctx, sl->rows + r * ncols, ncols, "foreign_key", reason, "");
    }
    *kept = w;
    return CO_OK;
}

/* Applies the buffered rows: a full group in one statement, retried row by
 * row when a row of it is refused; a partial group row by row. Rows whose
 * declared foreign key has no parent are refused first. */
static co_code loader_flush(co_loader *l, co_error *err)
{
    sqlite_loader *sl = (sqlite_loader *)l;
    size_t n = sl->count, ncols = l->ncols;
    if (n == 0)
        return CO_OK;
    if (sl->bytes.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n * ncols; i++) /* the byte buffer may have moved */
        if (sl->rows[i].type == CO_TEXT || sl->rows[i].type == CO_BLOB)
            sl->rows[i].s = sl->bytes.data + sl->offsets[i];
    sl->count = 0;
    co_code rc = CO_OK;
    bool done = false;
    size_t kept = n;
    if (sl->fkeys)
        rc = refuse_orphans(sl, &kept, err);
    if (rc == CO_OK && kept < n) { /* the others row by row */
        n = kept;
        done = n == 0;
    } else if (n == sl->group_rows && sl->group) {
        rc = bind_rows(sl, sl->group, sl->rows, n, err);
        int step = rc == CO_OK ? sqlite3_step(sl->group) : SQLITE_OK;
        int ext = sqlite3_extended_errcode(db_of(l->store));
        if (rc == CO_OK && step == SQLITE_DONE &&
            sqlite3_changes64(db_of(l->store)) == (sqlite3_int64)n) {
            done = true;
            for (size_t r = 0; r < n && l->events.loaded; r++)
                l->events.loaded(l->events.ctx, sl->rows + r * ncols, ncols);
        } else if (rc == CO_OK && step != SQLITE_DONE && !row_level(step) && !row_level(ext)) {
            rc = insert_failed(sl, "insert into", err);
        }
        /* A refused row undid the whole statement: go row by row. (Tables with
         * triggers, which could drop rows of a group that stays, are loaded row
         * by row from the start.) */
        sqlite3_reset(sl->group);
    }
    if (rc == CO_OK && !done)
        rc = insert_each(sl, sl->rows, n, err);
    co_buf_reset(&sl->bytes);
    return rc;
}

static co_code loader_put(co_loader *l, const co_value *row, co_error *err)
{
    sqlite_loader *sl = (sqlite_loader *)l;
    size_t base = sl->count * l->ncols;
    for (size_t i = 0; i < l->ncols; i++) {
        sl->rows[base + i] = row[i];
        if (row[i].type == CO_TEXT || row[i].type == CO_BLOB) {
            sl->offsets[base + i] = sl->bytes.len;
            co_buf_add(&sl->bytes, row[i].s, row[i].len);
            co_buf_addc(&sl->bytes, '\0'); /* text stays NUL-terminated */
            sl->rows[base + i].s = NULL;  /* fixed up at flush */
        }
    }
    if (sl->bytes.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (++sl->count == sl->group_rows)
        return loader_flush(l, err);
    return CO_OK;
}

static void loader_discard(co_loader *l)
{
    sqlite_loader *sl = (sqlite_loader *)l;
    sl->count = 0;
    co_buf_reset(&sl->bytes);
}

static void loader_close(co_loader *l)
{
    sqlite_loader *sl = (sqlite_loader *)l;
    sqlite3_finalize(sl->one);
    sqlite3_finalize(sl->group);
    co_sqlite_fkeys_close(sl->fkeys);
    co_buf_release(&sl->bytes);
    free(sl->rows);
    free(sl->offsets);
    free(sl->table);
    free(sl);
}

static const co_loader_ops loader_ops = {
    .put = loader_put,
    .flush = loader_flush,
    .discard = loader_discard,
    .close = loader_close,
};

/* INSERT INTO table (columns) VALUES (?, ...), ... for nrows rows. */
static void insert_sql(co_store *s, const char *table, const char *const *columns, size_t ncols,
                       size_t nrows, co_buf *sql)
{
    /* OR ABORT overrides a table's own ON CONFLICT IGNORE/REPLACE: a row the
     * table would drop or overwrite silently is refused and reported instead. */
    co_buf_adds(sql, "INSERT OR ABORT INTO ");
    co_store_quote_ident(s, table, sql);
    co_buf_adds(sql, " (");
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            co_buf_adds(sql, ", ");
        co_store_quote_ident(s, columns[i], sql);
    }
    co_buf_adds(sql, ") VALUES ");
    for (size_t r = 0; r < nrows; r++) {
        co_buf_adds(sql, r ? ", (" : "(");
        for (size_t i = 0; i < ncols; i++)
            co_buf_adds(sql, i ? ", ?" : "?");
        co_buf_addc(sql, ')');
    }
}

/* True when table has triggers: one might drop a row (RAISE(IGNORE)) while
 * the statement succeeds, which only row-by-row loading can tell. */
static bool has_triggers(co_store *s, const char *table)
{
    sqlite3_stmt *st = NULL;
    bool found = true; /* when in doubt, the careful way */
    if (sqlite3_prepare_v2(db_of(s), "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
                                     " AND tbl_name = ?1 COLLATE NOCASE",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        found = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return found;
}

static co_code sq_loader_open(co_store *s, const char *table, const char *const *columns,
                              size_t ncols, co_loader **out, co_error *err)
{
    sqlite_loader *l = calloc(1, sizeof *l);
    if (!l)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    l->base.ops = &loader_ops;
    l->base.store = s;
    l->group_rows = MAX_PARAMS / ncols < GROUP_ROWS ? MAX_PARAMS / ncols : GROUP_ROWS;
    if (l->group_rows == 0)
        l->group_rows = 1;
    /* A table with triggers is written row by row, but its rows are still
     * buffered by the group: a foreign key may name a row later in it. */
    bool one_by_one = has_triggers(s, table);
    l->table = strdup(table);
    l->rows = calloc(l->group_rows * ncols, sizeof *l->rows);
    l->offsets = calloc(l->group_rows * ncols, sizeof *l->offsets);
    co_buf one = CO_BUF_INIT, group = CO_BUF_INIT;
    insert_sql(s, table, columns, ncols, 1, &one);
    if (l->group_rows > 1 && !one_by_one)
        insert_sql(s, table, columns, ncols, l->group_rows, &group);
    co_code rc = CO_OK;
    if (!l->table || !l->rows || !l->offsets || one.failed || group.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK && sqlite3_prepare_v3(db_of(s), co_buf_str(&one), -1,
                                          SQLITE_PREPARE_PERSISTENT, &l->one, NULL) != SQLITE_OK)
        rc = fail(s, "cannot prepare insert", err);
    if (rc == CO_OK && l->group_rows > 1 && !one_by_one &&
        sqlite3_prepare_v3(db_of(s), co_buf_str(&group), -1, SQLITE_PREPARE_PERSISTENT, &l->group,
                           NULL) != SQLITE_OK)
        rc = fail(s, "cannot prepare insert", err);
    co_buf_release(&one);
    co_buf_release(&group);
    if (rc == CO_OK)
        rc = co_sqlite_fkeys_open(s, db_of(s), table, columns, ncols, &l->fkeys, err);
    if (rc != CO_OK) {
        co_error_where(err, "table %s", table);
        loader_close(&l->base);
        return rc;
    }
    *out = &l->base;
    return CO_OK;
}

/* ---- SQL functions for verification (store.h) --------------------------------- */

#define MAX_FUNCTION_ARGS 64

static co_value value_of(sqlite3_value *v)
{
    co_value out = {0};
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        out.type = CO_INT;
        out.i = sqlite3_value_int64(v);
        break;
    case SQLITE_FLOAT:
        out.type = CO_REAL;
        out.r = sqlite3_value_double(v);
        break;
    case SQLITE_TEXT:
        out.type = CO_TEXT;
        out.s = (const char *)sqlite3_value_text(v);
        out.len = (size_t)sqlite3_value_bytes(v);
        break;
    case SQLITE_BLOB:
        out.type = CO_BLOB;
        out.s = sqlite3_value_blob(v);
        out.len = (size_t)sqlite3_value_bytes(v);
        if (!out.s)
            out.s = "";
        break;
    default:
        break;
    }
    return out;
}

static bool values_of(sqlite3_context *ctx, int argc, sqlite3_value **argv, co_value *vals)
{
    if (argc > MAX_FUNCTION_ARGS) {
        sqlite3_result_error(ctx, "cutover: too many columns for a row hash", -1);
        return false;
    }
    for (int i = 0; i < argc; i++)
        vals[i] = value_of(argv[i]);
    return true;
}

static void fn_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    co_value vals[MAX_FUNCTION_ARGS];
    if (values_of(ctx, argc, argv, vals))
        sqlite3_result_int64(ctx, (sqlite3_int64)co_row_hash(vals, (size_t)argc));
}

static void fn_hash_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    uint64_t *sum = sqlite3_aggregate_context(ctx, sizeof *sum);
    co_value vals[MAX_FUNCTION_ARGS];
    if (sum && values_of(ctx, argc, argv, vals))
        *sum += co_row_hash(vals, (size_t)argc);
}

/* cutover_round(x, digits): co_round_decimal for numbers, anything else as it is. */
static void fn_round(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int type = sqlite3_value_numeric_type(argv[0]);
    if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    sqlite3_result_double(ctx, co_round_decimal(sqlite3_value_double(argv[0]),
                                                sqlite3_value_int(argv[1])));
}

/* The result of cutover_canon: arg itself when the canonical form left it as it was. */
static void canon_result(sqlite3_context *ctx, sqlite3_value *arg, co_canon_type t)
{
    char buf[CO_CANON_TEXT_MAX];
    co_value in = value_of(arg);
    co_value v = co_canon_value(t, in, buf);
    if (v.type == in.type && v.s == in.s && v.i == in.i && (v.type != CO_REAL || v.r == in.r)) {
        sqlite3_result_value(ctx, arg);
        return;
    }
    switch (v.type) {
    case CO_NULL: sqlite3_result_null(ctx); break;
    case CO_INT: sqlite3_result_int64(ctx, v.i); break;
    case CO_REAL: sqlite3_result_double(ctx, v.r); break;
    case CO_TEXT: sqlite3_result_text64(ctx, v.s, v.len, SQLITE_TRANSIENT, SQLITE_UTF8); break;
    case CO_BLOB: sqlite3_result_blob64(ctx, v.s, v.len, SQLITE_TRANSIENT); break;
    }
}

/* cutover_canon(x, 'type'): x in the canonical form of a column of that type
 * (util/canon.h); the type's name is parsed once per statement. */
static void fn_canon(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    co_canon_type *kept = sqlite3_get_auxdata(ctx, 1);
    if (kept) {
        canon_result(ctx, argv[0], *kept);
        return;
    }
    const char *name = (const char *)sqlite3_value_text(argv[1]);
    co_canon_type t;
    if (!name || !co_canon_type_parse(name, &t)) {
        sqlite3_result_error(ctx, "cutover_canon: unknown type", -1);
        return;
    }
    canon_result(ctx, argv[0], t);
    co_canon_type *copy = sqlite3_malloc(sizeof *copy);
    if (copy) {
        *copy = t;
        sqlite3_set_auxdata(ctx, 1, copy, sqlite3_free);
    }
}

static void fn_hash_sum_final(sqlite3_context *ctx)
{
    uint64_t *sum = sqlite3_aggregate_context(ctx, 0);
    sqlite3_result_int64(ctx, sum ? (sqlite3_int64)*sum : 0);
}

/* cutover_canon_hash_sum('type1,type2,...', v1, ..., vn): cutover_hash_sum of
 * the values each in its type's canonical form, in one call per row. The
 * types are parsed at the first row. */
typedef struct canon_sum {
    uint64_t sum; /* first: fn_hash_sum_final reads it */
    bool parsed;
    co_canon_type types[MAX_FUNCTION_ARGS];
} canon_sum;

static bool parse_types(const char *names, canon_sum *cs, int n)
{
    for (int i = 0; i < n; i++) {
        const char *comma = strchr(names, ',');
        size_t len = comma ? (size_t)(comma - names) : strlen(names);
        char name[32];
        if (len == 0 || len >= sizeof name)
            return false;
        memcpy(name, names, len);
        name[len] = '\0';
        if (!co_canon_type_parse(name, &cs->types[i]))
            return false;
        names += len + (comma ? 1 : 0);
    }
    return *names == '\0';
}

static void fn_canon_hash_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    canon_sum *cs = sqlite3_aggregate_context(ctx, sizeof *cs);
    if (!cs) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    int n = argc - 1;
    if (n > MAX_FUNCTION_ARGS) {
        sqlite3_result_error(ctx, "cutover: too many columns for a row hash", -1);
        return;
    }
    if (!cs->parsed) {
        const char *names = (const char *)sqlite3_value_text(argv[0]);
        if (!names || !parse_types(names, cs, n)) {
            sqlite3_result_error(ctx, "cutover_canon_hash_sum: a type for each value", -1);
            return;
        }
        cs->parsed = true;
    }
    co_value vals[MAX_FUNCTION_ARGS];
    char text[MAX_FUNCTION_ARGS][CO_CANON_TEXT_MAX];
    for (int i = 0; i < n; i++)
        vals[i] = co_canon_value(cs->types[i], value_of(argv[i + 1]), text[i]);
    cs->sum += co_row_hash(vals, (size_t)n);
}

static void fn_keep(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    co_store *s = sqlite3_user_data(ctx);
    if (!s->key_filter) {
        sqlite3_result_int(ctx, 1);
        return;
    }
    co_value vals[MAX_FUNCTION_ARGS];
    if (!values_of(ctx, argc, argv, vals))
        return;
    co_buf *key = &((sqlite_store *)s)->key; /* reused from row to row */
    co_buf_reset(key);
    co_key_encode(key, vals, (size_t)argc);
    if (key->failed) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_int(ctx, s->key_filter(s->key_filter_ctx, key->data, key->len));
}

/* ---- normalizers (dedupe/normalize.h) as SQL functions ------------------------ */

/* casefold(x), email_norm(x), domain_norm(x), name_norm(x): NULL for NULL,
 * for text that is not UTF-8 and for text with no usable form; numbers are
 * read as their text, blobs as their bytes. */
typedef struct sql_normalizer {
    const char *name;
    bool (*fn)(const char *s, size_t len, co_buf *out);
} sql_normalizer;

static const sql_normalizer normalizers[] = {
    {"casefold", co_norm_casefold},
    {"email_norm", co_norm_email},
    {"domain_norm", co_norm_domain},
    {"name_norm", co_norm_name},
};

static void fn_norm(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const sql_normalizer *norm = sqlite3_user_data(ctx);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    size_t len = (size_t)sqlite3_value_bytes(argv[0]);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    co_buf out = CO_BUF_INIT;
    bool usable = norm->fn(s, len, &out);
    if (out.failed)
        sqlite3_result_error_nomem(ctx);
    else if (!usable)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_text64(ctx, co_buf_str(&out), out.len, SQLITE_TRANSIENT, SQLITE_UTF8);
    co_buf_release(&out);
}

static void register_normalizers(sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    for (size_t i = 0; i < sizeof normalizers / sizeof normalizers[0]; i++)
        sqlite3_create_function_v2(db, normalizers[i].name, 1, flags, (void *)&normalizers[i],
                                   fn_norm, NULL, NULL, NULL);
}

static void register_functions(sqlite_store *s)
{
    register_normalizers(s->db);
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    sqlite3_create_function_v2(s->db, "cutover_hash", -1, flags, NULL, fn_hash, NULL, NULL, NULL);
    sqlite3_create_function_v2(s->db, "cutover_hash_sum", -1, flags, NULL, NULL, fn_hash_sum_step,
                               fn_hash_sum_final, NULL);
    sqlite3_create_function_v2(s->db, "cutover_keep", -1, SQLITE_UTF8, &s->base, fn_keep, NULL,
                               NULL, NULL);
    sqlite3_create_function_v2(s->db, "cutover_round", 2, flags, NULL, fn_round, NULL, NULL,
                               NULL);
    sqlite3_create_function_v2(s->db, "cutover_canon", 2, flags, NULL, fn_canon, NULL, NULL,
                               NULL);
    sqlite3_create_function_v2(s->db, "cutover_canon_hash_sum", -1, flags, NULL, NULL,
                               fn_canon_hash_sum_step, fn_hash_sum_final, NULL);
}

static co_code sq_allow_writes(co_store *s, co_error *err)
{
    co_code rc = sq_exec(s, "PRAGMA query_only = 0", err);
    if (rc == CO_OK) /* INSERT ... RETURNING through a query, too */
        ((sqlite_store *)s)->writable = true;
    return rc;
}

static void sq_month_sql(const co_store *s, const char *expr, co_buf *out)
{
    (void)s;
    co_buf_printf(out, "strftime('%%Y-%%m', %s)", expr);
}

/* ---- opening ---------------------------------------------------------------- */

static void sq_close(co_store *s)
{
    sqlite_store *ss = (sqlite_store *)s;
    sqlite3_close_v2(ss->db);
    co_buf_release(&ss->key);
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
    bool sequence = sqlite3_table_column_metadata(db_of(s), NULL, "sqlite_sequence", "seq", NULL,
                                                  NULL, NULL, NULL, NULL) == SQLITE_OK;
    co_buf sql = CO_BUF_INIT;
    co_buf_adds(&sql, "SELECT max(coalesce((SELECT max(");
    co_store_quote_ident(s, column, &sql);
    co_buf_adds(&sql, ") FROM ");
    co_store_quote_ident(s, table, &sql);
    co_buf_adds(&sql, sequence ? "), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?),"
                                 " 0))"
                               : "), 0), 0)");
    co_param p = {NULL, co_text(table, strlen(table))};
    sqlite3_stmt *st = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : prepare_bound(s, co_buf_str(&sql), &p, sequence ? 1 : 0, &st, err);
    co_buf_release(&sql);
    if (rc != CO_OK)
        return rc;
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        rc = fail(s, "cannot reserve keys", err);
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
    .close = sq_close,
    .exec = sq_exec,
    .exec_params = sq_exec_params,
    .begin = sq_begin,
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
    .constraints = co_sqlite_constraints,
    .loader_open = sq_loader_open,
    .month_sql = sq_month_sql,
    .allow_writes = sq_allow_writes,
    .ddl = &co_sqlite_ddl_ops,
    .defer_constraints = sq_defer_constraints,
    .reserve_keys = sq_reserve_keys,
};

/* Process-wide SQLite settings, made once before the first connection:
 * memory statistics off (they take a global mutex on every allocation). */
static void configure_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* refused harmlessly if already initialized */
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

co_code co_sqlite_open(const char *path, co_side side, co_store **out, co_error *err)
{
    return co_sqlite_open_ex(path, side, false, out, err);
}

co_code co_sqlite_open_ex(const char *path, co_side side, bool create, co_store **out,
                          co_error *err)
{
    configure_once();
    const char *name = co_side_name(side);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (side == CO_SIDE_STATE || (create && side != CO_SIDE_SOURCE)) {
        /* The journal is cutover's own: create it (and .cutover/) on first use. */
        flags |= SQLITE_OPEN_CREATE;
        if (strcmp(path, ":memory:") != 0 && !co_mkdir_parent(path))
            return co_error_set(err, co_store_side_code(side),
                                "%s: cannot create the directory of %s: %s", name, path,
                                strerror(errno));
    } else if (strcmp(path, ":memory:") != 0) {
        /* Source, target and staging are the user's databases: never invent one. */
        struct stat st;
        if (stat(path, &st) != 0)
            return co_error_set(err, co_store_side_code(side), "%s: no database file %s (%s)",
                                name, path, strerror(errno));
        if (!S_ISREG(st.st_mode))
            return co_error_set(err, co_store_side_code(side), "%s: %s is not a file", name, path);
    }
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    s->base.ops = &sqlite_ops;
    s->base.side = side;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        co_error_set(err, co_store_side_code(side), "%s: cannot open %s: %s", name, path,
                     s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close_v2(s->db);
        free(s);
        return co_store_side_code(side);
    }
    sqlite3_extended_result_codes(s->db, 1);
    register_functions(s);
    /* Workers sharing a SQLite target wait for each other's batches: one
     * batch may take tens of seconds on a loaded machine or a sanitized
     * build, and a wait that gives up rolls the tenant back. */
    sqlite3_busy_timeout(s->db, 60000);
    /* Reading the schema proves the file is a database and not garbage. */
    char *msg = NULL;
    if (sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, &msg) != SQLITE_OK) {
        co_error_set(err, co_store_side_code(side), "%s: %s is not a usable SQLite database: %s",
                     name, path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        sqlite3_close_v2(s->db);
        free(s);
        return co_store_side_code(side);
    }
    if (side == CO_SIDE_SOURCE) /* the system of record: never written by accident */
        sqlite3_exec(s->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    else
        keep_statement_rollback(s->db);
    /* Page cache per connection: the destination holds a batch's dirty pages. */
    sqlite3_exec(s->db, side == CO_SIDE_TARGET || side == CO_SIDE_STAGING
                            ? "PRAGMA cache_size = -65536"
                            : "PRAGMA cache_size = -16384",
                 NULL, NULL, NULL);
    *out = &s->base;
    return CO_OK;
}
