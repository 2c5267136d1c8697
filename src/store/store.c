/*
 * store.c: opening a store by URI, and the public functions of store.h, which
 * dispatch to the backend (sqlite.c; pg.c and its pg_*.c for PostgreSQL;
 * mysql.c and its mysql_*.c for MySQL and MariaDB).
 */
#include "store/store_int.h"
#include "util/fault.h"
#include "util/uri.h"
#include "util/free.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *co_side_name(co_side side)
{
    switch (side) {
    case CO_SIDE_SOURCE: return "source";
    case CO_SIDE_TARGET: return "target";
    case CO_SIDE_STAGING: return "staging";
    case CO_SIDE_STATE: return "state";
    }
    return "unknown";
}

co_code Co_store_side_code(co_side side)
{
    switch (side) {
    case CO_SIDE_SOURCE: return CO_ESOURCE;
    case CO_SIDE_TARGET:
    case CO_SIDE_STAGING: return CO_ETARGET;
    case CO_SIDE_STATE: return CO_ESTATE;
    }
    return CO_EINTERNAL;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Resolves a sqlite: path against base_dir unless it is absolute or :memory:. */
static char *resolve_path(const char *path, const char *base_dir)
{
    co_buf b = CO_BUF_INIT;
    if (path[0] == '/' || strcmp(path, ":memory:") == 0 || !base_dir || !*base_dir ||
        strcmp(base_dir, ".") == 0) {
        Co_buf_adds(&b, path);
    } else {
        Co_buf_adds(&b, base_dir);
        if (b.len && b.data[b.len - 1] != '/')
            Co_buf_addc(&b, '/');
        Co_buf_adds(&b, path);
    }
    if (b.failed) {
        Co_buf_release(&b);
        return NULL;
    }
    return co_buf_detach(&b);
}

static co_store_trace_fn trace_fn;
static void *trace_ctx;

void co_store_set_trace(co_store_trace_fn fn, void *ctx)
{
    trace_fn = fn;
    trace_ctx = ctx;
}

static void trace(const co_store *s, const char *what, const char *text)
{
    if (trace_fn)
        trace_fn(trace_ctx, s->side, what, text);
}

static co_code open_uri(const char *uri, co_side side, const char *base_dir, bool create,
                        co_store **out, co_error *err);

co_code co_store_open(const char *uri, co_side side, const char *base_dir, co_store **out,
                      co_error *err)
{
    co_code rc = open_uri(uri, side, base_dir, false, out, err);
    if (rc == CO_OK)
        trace(*out, "connect", co_store_safe_uri(*out));
    return rc;
}

co_code co_store_open_create(const char *uri, co_side side, const char *base_dir,
                             co_store **out, co_error *err)
{
    co_code rc = open_uri(uri, side, base_dir, true, out, err);
    if (rc == CO_OK)
        trace(*out, "connect", co_store_safe_uri(*out));
    return rc;
}

const char *co_store_uri_file(const char *uri)
{
    if (!uri || !starts_with(uri, "sqlite:"))
        return NULL;
    const char *path = uri + strlen("sqlite:");
    return starts_with(path, "//") ? path + 2 : path;
}

bool co_store_uri_server(const char *uri)
{
    return uri && (starts_with(uri, "postgresql://") || starts_with(uri, "postgres://") ||
                   Co_uri_is_conninfo(uri) || starts_with(uri, "mysql://") ||
                   starts_with(uri, "mariadb://"));
}

bool co_store_is_new_file(const char *uri, const char *base_dir)
{
    const char *path = co_store_uri_file(uri);
    if (!path || !*path || strcmp(path, ":memory:") == 0)
        return false;
    char *resolved = resolve_path(path, base_dir);
    bool missing = resolved && access(resolved, F_OK) != 0 && errno == ENOENT;
    free(resolved);
    return missing;
}

/* Opens a database server's store with open_fn, keeping the URI with its
 * password masked for messages: the password never leaves the store. */
static co_code open_server(co_code (*open_fn)(const char *, co_side, co_store **, co_error *),
                           const char *uri, co_side side, co_store **out, co_error *err)
{
    co_buf safe = CO_BUF_INIT;
    Co_uri_mask(uri, &safe);
    if (safe.failed) {
        Co_buf_release(&safe);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_code rc = open_fn(uri, side, out, err);
    if (rc == CO_OK)
        (*out)->safe_uri = co_buf_detach(&safe);
    Co_buf_release(&safe);
    return rc;
}

static co_code open_uri(const char *uri, co_side side, const char *base_dir, bool create,
                        co_store **out, co_error *err)
{
    *out = NULL;
    if (!uri || !*uri)
        return co_error_set(err, CO_EPROJECT, "%s: no connection given", co_side_name(side));
    const char *path = co_store_uri_file(uri);
    if (path) {
        if (!*path)
            return co_error_set(err, CO_EPROJECT, "%s: \"%s\" names no file", co_side_name(side),
                                uri);
        char *resolved = resolve_path(path, base_dir);
        if (!resolved)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        co_code rc = Co_sqlite_open_ex(resolved, side, create, out, err);
        if (rc == CO_OK) {
            (*out)->safe_uri = resolved;
            (*out)->sqlite_path = strdup(resolved);
            if (!(*out)->sqlite_path) {
                co_store_close(*out);
                *out = NULL;
                return co_error_set(err, CO_ENOMEM, "out of memory");
            }
        } else {
            free(resolved);
        }
        return rc;
    }
    if (starts_with(uri, "postgresql://") || starts_with(uri, "postgres://") ||
        Co_uri_is_conninfo(uri))
        return open_server(Co_pg_open, uri, side, out, err);
    if (starts_with(uri, "mysql://") || starts_with(uri, "mariadb://"))
        return open_server(Co_mysql_open, uri, side, out, err);
    if (Co_uri_is_bare_path(uri))
        return co_error_set(err, CO_EPROJECT,
                            "%s: \"%s\" has no scheme (did you mean sqlite:%s?)",
                            co_side_name(side), uri, uri);
    co_buf scheme = CO_BUF_INIT; /* never the rest: it may hold a password */
    Co_uri_scheme(uri, &scheme);
    co_code rc = co_error_set(err, CO_EPROJECT,
                              "%s: unknown kind of connection \"%s:\" (expected sqlite:PATH, "
                              "postgresql://..., mysql://..., mariadb://... or a libpq "
                              "host=... dbname=... string)",
                              co_side_name(side), co_buf_str(&scheme));
    Co_buf_release(&scheme);
    return rc;
}

void co_store_close(co_store *s)
{
    if (!s)
        return;
    char *safe = s->safe_uri, *path = s->sqlite_path;
    s->ops->close(s);
    free(safe);
    free(path);
}

co_side co_store_side(const co_store *s) { return s->side; }
const char *co_store_engine(const co_store *s) { return s->ops->engine; }
const char *co_store_safe_uri(const co_store *s) { return s->safe_uri ? s->safe_uri : ""; }
const char *co_store_sqlite_path(const co_store *s) { return s->sqlite_path; }

/* The fault point before each call that reaches a database: in a test build
 * (util/fault.h) the test can make the Nth such call fail, as the database
 * would, with an error of the store's side. Nothing in other builds. */
#ifdef CUTOVER_TEST_HOOKS
static co_code injected(const co_store *s, co_error *err)
{
    return co_error_set(err, Co_store_side_code(s->side), "%s: injected fault (test build)",
                        co_side_name(s->side));
}
#define FAULT_POINT(s, err)                                                                    \
    do {                                                                                       \
        if (Co_fault_sim(CO_FAULT_STORE_CALL))                                                 \
            return injected((s), (err));                                                       \
    } while (0)
#else
#define FAULT_POINT(s, err) ((void)0)
#endif

co_code co_store_exec(co_store *s, const char *sql, co_error *err)
{
    trace(s, "sql", sql);
    FAULT_POINT(s, err);
    return s->ops->exec(s, sql, err);
}

co_code co_store_exec_params(co_store *s, const char *sql, const co_param *params,
                             size_t nparams, long long *changes, co_error *err)
{
    trace(s, "sql", sql);
    FAULT_POINT(s, err);
    return s->ops->exec_params(s, sql, params, nparams, changes, err);
}

co_code co_store_begin(co_store *s, co_error *err)
{
    FAULT_POINT(s, err);
    return s->ops->begin(s, err);
}

co_code co_store_begin_on_write(co_store *s, co_error *err)
{
    FAULT_POINT(s, err);
    return s->ops->begin_on_write ? s->ops->begin_on_write(s, err) : s->ops->begin(s, err);
}

co_code co_store_commit(co_store *s, co_error *err)
{
    /* A test build's crash point: the test can kill the process here, as a
     * crash or kill -9 would, before the Nth commit (util/fault.h). */
    (void)Co_fault_sim(CO_FAULT_COMMIT);
    FAULT_POINT(s, err);
    return s->ops->commit(s, err);
}
void co_store_rollback(co_store *s) { s->ops->rollback(s); }

/* co_store_query and co_store_query_whole: one of the engine's two ways. */
static co_code start_query(co_store *s, bool whole, const char *sql, const co_param *params,
                           size_t nparams, co_cursor **out, co_error *err)
{
    *out = NULL;
    trace(s, "sql", sql);
    FAULT_POINT(s, err);
    if (whole && s->ops->query_whole)
        return s->ops->query_whole(s, sql, params, nparams, out, err);
    return s->ops->query(s, sql, params, nparams, out, err);
}

co_code co_store_query(co_store *s, const char *sql, const co_param *params, size_t nparams,
                       co_cursor **out, co_error *err)
{
    return start_query(s, false, sql, params, nparams, out, err);
}

co_code co_store_query_whole(co_store *s, const char *sql, const co_param *params,
                             size_t nparams, co_cursor **out, co_error *err)
{
    return start_query(s, true, sql, params, nparams, out, err);
}

co_code co_cursor_next(co_cursor *c, bool *has_row, co_error *err)
{
    FAULT_POINT(c->store, err);
    return c->ops->next(c, has_row, err);
}
size_t co_cursor_ncols(const co_cursor *c) { return c->ops->ncols(c); }
const char *co_cursor_colname(const co_cursor *c, size_t i) { return c->ops->colname(c, i); }
co_value co_cursor_value(co_cursor *c, size_t i) { return c->ops->value(c, i); }
void co_cursor_close(co_cursor *c)
{
    if (c)
        c->ops->close(c);
}

co_code co_store_prepare(co_store *s, const char *sql, co_stmt **out, co_error *err)
{
    *out = NULL;
    trace(s, "sql", sql);
    FAULT_POINT(s, err);
    return s->ops->prepare(s, sql, out, err);
}

co_code co_stmt_exec(co_stmt *st, const co_value *vals, size_t n, long long *changes,
                     co_error *err)
{
    FAULT_POINT(st->store, err);
    return st->store->ops->stmt_exec(st, vals, n, changes, err);
}

void co_stmt_close(co_stmt *st)
{
    if (st)
        st->store->ops->stmt_close(st);
}

co_code co_store_prepare_check(co_store *s, const char *sql, co_error *err)
{
    return s->ops->prepare_check(s, sql, err);
}

co_code co_store_query_reads(co_store *s, const char *sql, co_read_fn fn, void *ctx,
                             co_error *err)
{
    trace(s, "sql", sql);
    FAULT_POINT(s, err);
    return s->ops->query_reads(s, sql, fn, ctx, err);
}

co_code co_store_columns(co_store *s, const char *table, co_column **cols, size_t *ncols,
                         co_error *err)
{
    *cols = NULL;
    *ncols = 0;
    return s->ops->columns(s, table, cols, ncols, err);
}

co_code co_store_select_columns(co_store *s, const char *table, co_column **cols,
                                size_t *ncols, co_error *err)
{
    *cols = NULL;
    *ncols = 0;
    return s->ops->select_columns(s, table, cols, ncols, err);
}

co_code co_store_tables(co_store *s, co_table_info **tables, size_t *ntables, co_error *err)
{
    *tables = NULL;
    *ntables = 0;
    return s->ops->tables(s, tables, ntables, err);
}

void co_tables_free(co_table_info *tables, size_t ntables)
{
    for (size_t i = 0; i < ntables; i++) {
        CO_FREE(tables[i].name, tables[i].row_id, tables[i].create_sql);
    }
    free(tables);
}

bool co_store_same_engine(const co_store *a, const co_store *b) { return a->ops == b->ops; }

void co_columns_free(co_column *cols, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        free(cols[i].name);
        free(cols[i].decl_type);
    }
    free(cols);
}

co_code co_store_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                             co_error *err)
{
    *out = NULL;
    *n = 0;
    if (!s->ops->constraints)
        return co_error_set(err, CO_EUNSUPPORTED, "%s: %s cannot list declared constraints",
                            co_side_name(s->side), s->ops->engine);
    co_code rc = s->ops->constraints(s, table, out, n, err);
    if (rc != CO_OK) {
        co_constraints_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void Co_constraint_release(co_constraint *c)
{
    for (size_t k = 0; k < c->ncolumns; k++) {
        free(c->columns[k]);
        if (c->parent_columns)
            free(c->parent_columns[k]);
    }
    CO_FREE(c->columns, c->parent_columns, c->name, c->parent, c->check);
    memset(c, 0, sizeof *c);
}

void co_constraints_free(co_constraint *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        Co_constraint_release(&c[i]);
    free(c);
}

co_code Co_constraint_push(co_constraint **arr, size_t *n, co_constraint *c, co_error *err)
{
    co_constraint *grown = realloc(*arr, (*n + 1) * sizeof *grown);
    if (!grown || !c->name || (c->kind == CO_CONSTRAINT_FOREIGN_KEY && !c->parent)) {
        if (grown)
            *arr = grown;
        Co_constraint_release(c);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *arr = grown;
    grown[(*n)++] = *c;
    memset(c, 0, sizeof *c);
    return CO_OK;
}

bool Co_constraint_add_column(co_constraint *c, const char *column, const char *parent_column)
{
    char **cols = realloc(c->columns, (c->ncolumns + 1) * sizeof *cols);
    if (!cols)
        return false;
    c->columns = cols;
    char **pcols = c->parent_columns;
    if (parent_column || pcols) {
        pcols = realloc(pcols, (c->ncolumns + 1) * sizeof *pcols);
        if (!pcols)
            return false;
        c->parent_columns = pcols;
        pcols[c->ncolumns] = parent_column ? strdup(parent_column) : NULL;
    }
    cols[c->ncolumns] = strdup(column);
    c->ncolumns++;
    return cols[c->ncolumns - 1] && (!parent_column || pcols[c->ncolumns - 1]);
}

static char *constraint_text(co_cursor *c, size_t i)
{
    co_value v = co_cursor_value(c, i);
    return v.type == CO_TEXT ? strndup(v.s, v.len) : NULL;
}

/* True when the cursor's row belongs to cur (same name and kind). */
static bool same_constraint(co_cursor *c, const co_constraint *cur, char kind)
{
    co_value name = co_cursor_value(c, 0), type = co_cursor_value(c, 1);
    char row_kind = type.type == CO_TEXT && type.len ? type.s[0] : 'u';
    return row_kind == kind && strlen(cur->name) == name.len &&
           memcmp(cur->name, name.s, name.len) == 0;
}

co_code Co_constraints_from_rows(co_cursor *c, co_constraint **out, size_t *n, co_error *err)
{
    co_code rc = CO_OK;
    co_constraint cur = {0};
    char kind = 0;
    bool open = false, has_row;
    while ((rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        if (open && !same_constraint(c, &cur, kind)) {
            open = false;
            if ((rc = Co_constraint_push(out, n, &cur, err)) != CO_OK)
                break;
        }
        if (!open) {
            co_value type = co_cursor_value(c, 1), validated = co_cursor_value(c, 2);
            kind = type.type == CO_TEXT && type.len ? type.s[0] : 'u';
            memset(&cur, 0, sizeof cur);
            cur.kind = kind == 'c'   ? CO_CONSTRAINT_CHECK
                       : kind == 'f' ? CO_CONSTRAINT_FOREIGN_KEY
                                     : CO_CONSTRAINT_UNIQUE;
            cur.primary = kind == 'p';
            cur.validated = validated.type == CO_NULL || validated.i != 0;
            cur.name = constraint_text(c, 0);
            cur.check = kind == 'c' ? constraint_text(c, 3) : NULL;
            cur.parent = kind == 'f' ? constraint_text(c, 4) : NULL;
            open = true;
            if (!cur.name) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
        }
        char *col = constraint_text(c, 6), *pcol = constraint_text(c, 7);
        bool fk = cur.kind == CO_CONSTRAINT_FOREIGN_KEY;
        if (col && (!fk || pcol) && !Co_constraint_add_column(&cur, col, fk ? pcol : NULL))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        free(col);
        free(pcol);
        if (rc != CO_OK)
            break;
    }
    if (open && rc == CO_OK)
        rc = Co_constraint_push(out, n, &cur, err);
    else
        Co_constraint_release(&cur);
    return rc;
}

void co_store_set_key_filter(co_store *s, co_key_filter_fn fn, void *ctx)
{
    s->key_filter = fn;
    s->key_filter_ctx = ctx;
}

void co_store_set_value_map(co_store *s, co_value_map_fn fn, void *ctx)
{
    s->value_map = fn;
    s->value_map_ctx = ctx;
}

bool co_store_hashes_in_sql(const co_store *s) { return !s->ops->client_side_hashes; }

bool co_store_one_writer(const co_store *s) { return s->ops->one_writer; }
co_code co_store_digest_sum_sql(co_store *s, const char *from_sql, const co_param *params,
                                size_t nparams, const char *const *cols, const char *const *types,
                                const int *digits, size_t ncols, co_buf *out, bool *supported,
                                co_error *err)
{
    *supported = false;
    if (!s->ops->digest_sum_sql)
        return CO_OK;
    return s->ops->digest_sum_sql(s, from_sql, params, nparams, cols, types, digits, ncols, out,
                                  supported, err);
}

co_code co_store_collation_keys(co_store *s, const char *table, const char *column,
                                const co_value *values, size_t n, co_buf *keys, bool *folds,
                                co_error *err)
{
    *folds = false;
    if (!s->ops->collation_keys)
        return CO_OK;
    return s->ops->collation_keys(s, table, column, values, n, keys, folds, err);
}

uint64_t co_store_digest_value(co_value v)
{
    if (v.type == CO_INT)
        return (uint64_t)v.i;
    if (v.type != CO_TEXT)
        return 0;
    /* decimal digits, modulo 2^64: unsigned arithmetic wraps exactly so */
    uint64_t u = 0;
    size_t k = v.len && v.s[0] == '-' ? 1 : 0;
    for (size_t i = k; i < v.len && v.s[i] >= '0' && v.s[i] <= '9'; i++)
        u = u * 10 + (uint64_t)(v.s[i] - '0');
    return k ? (uint64_t)0 - u : u;
}

co_code co_store_allow_writes(co_store *s, co_error *err)
{
    return s->ops->allow_writes ? s->ops->allow_writes(s, err) : CO_OK;
}

co_code co_store_defer_constraints(co_store *s, co_error *err)
{
    return s->ops->defer_constraints ? s->ops->defer_constraints(s, err) : CO_OK;
}

co_code co_store_reserve_keys(co_store *s, const char *table, const char *column, size_t n,
                              int64_t *out, bool *until_commit, co_error *err)
{
    if (!s->ops->reserve_keys)
        return co_error_set(err, CO_EUNSUPPORTED, "%s: %s cannot reserve keys",
                            co_side_name(s->side), s->ops->engine);
    return s->ops->reserve_keys(s, table, column, n, out, until_commit, err);
}

co_code co_store_reserve_keys_ahead(co_store *s, const char *table, const char *column, size_t n,
                                    co_error *err)
{
    if (!s->ops->reserve_keys_ahead)
        return co_error_set(err, CO_EUNSUPPORTED, "%s: %s draws keys only when asked for",
                            co_side_name(s->side), s->ops->engine);
    return s->ops->reserve_keys_ahead(s, table, column, n, err);
}

void co_store_month_sql(const co_store *s, const char *expr, co_buf *out)
{
    s->ops->month_sql(s, expr, out);
}

bool co_store_month_typed_sql(const co_store *s, const char *expr, const char *decl_type,
                              co_buf *out)
{
    if (s->ops->month_typed_sql)
        return s->ops->month_typed_sql(s, expr, decl_type ? decl_type : "", out);
    s->ops->month_sql(s, expr, out);
    return false;
}

bool co_store_month_here(const co_store *s, const co_value *v, char month[8])
{
    if (!s->ops->month_here)
        return false;
    return s->ops->month_here(s, v, month);
}

co_code co_store_query_int(co_store *s, const char *sql, const co_param *params, size_t nparams,
                           int64_t *value, bool *found, co_error *err)
{
    co_cursor *c = NULL;
    bool has_row = false;
    co_code rc = co_store_query(s, sql, params, nparams, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        *value = co_cursor_value(c, 0).i;
        bool more;
        rc = co_cursor_next(c, &more, err);
    }
    co_cursor_close(c);
    if (found)
        *found = rc == CO_OK && has_row;
    return rc;
}

void co_store_quote_ident(const co_store *s, const char *ident, co_buf *out)
{
    /* double quotes (backticks on MySQL), doubling any inside */
    Co_buf_quote(out, ident, strlen(ident), s->ops->ident_quote ? s->ops->ident_quote : '"');
}

void co_store_quote_idents(const co_store *s, const char *const *idents, size_t n, co_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            Co_buf_adds(out, ", ");
        co_store_quote_ident(s, idents[i], out);
    }
}

co_code co_loader_open(co_store *s, const char *table, const char *const *columns,
                       size_t ncols, const co_load_events *events, co_loader **out,
                       co_error *err)
{
    *out = NULL;
    if (ncols == 0)
        return co_error_set(err, CO_EINTERNAL, "loader for %s has no columns", table);
    trace(s, "load", table);
    FAULT_POINT(s, err);
    co_code rc = s->ops->loader_open(s, table, columns, ncols, out, err);
    if (rc == CO_OK) {
        (*out)->store = s;
        (*out)->ncols = ncols;
        (*out)->loaded_key = NULL;
        if (events)
            (*out)->events = *events;
    }
    return rc;
}

co_code co_loader_assign_key(co_loader *l, size_t col, co_loaded_key_fn loaded, co_error *err)
{
    if (col >= l->ncols)
        return co_error_set(err, CO_EINTERNAL, "key column %zu of a loader of %zu columns", col,
                            l->ncols);
    if (!l->ops->assign_key)
        return co_error_set(err, CO_EUNSUPPORTED, "%s: %s does not give keys to the rows loaded",
                            co_side_name(l->store->side), l->store->ops->engine);
    co_code rc = l->ops->assign_key(l, col, err);
    if (rc == CO_OK)
        l->loaded_key = loaded;
    return rc;
}

co_code co_loader_put(co_loader *l, const co_value *row, co_error *err)
{
    FAULT_POINT(l->store, err);
    return l->ops->put(l, row, err);
}

co_code co_loader_flush(co_loader *l, co_error *err)
{
    FAULT_POINT(l->store, err);
    return l->ops->flush(l, err);
}

void co_loader_discard(co_loader *l)
{
    if (l)
        l->ops->discard(l);
}

void co_loader_close(co_loader *l)
{
    if (l)
        l->ops->close(l);
}

const char *Co_sql_skip_quoted(const char *p, char quote, bool backslashes)
{
    const char *q = p + 1;
    while (*q) {
        if (backslashes && *q == '\\' && q[1]) {
            q += 2;
            continue;
        }
        if (*q == quote) {
            if (q[1] == quote) {
                q += 2;
                continue;
            }
            return q + 1;
        }
        q++;
    }
    return q;
}

co_code Co_store_pushdown_open(co_store *source, co_store *dest, const char *table,
                               const char *const *columns, size_t ncols, bool (*stop)(void *ctx),
                               void *stop_ctx, co_store **out, co_error *err)
{
    *out = NULL;
    if (!co_store_same_engine(source, dest) || !dest->ops->pushdown_open)
        return co_error_set(err, CO_EUNSUPPORTED, "no push-down between %s and %s",
                            source->ops->engine, dest->ops->engine);
    return dest->ops->pushdown_open(source, dest, table, columns, ncols, stop, stop_ctx, out, err);
}

co_code Co_store_pushdown_insert(co_store *pd, const char *select_sql, const co_param *params,
                                 size_t nparams, int64_t *changes, int64_t *bytes, co_error *err)
{
    *changes = *bytes = 0;
    if (!pd->ops->pushdown_insert)
        return co_error_set(err, CO_EUNSUPPORTED, "no push-down on %s", pd->ops->engine);
    return pd->ops->pushdown_insert(pd, select_sql, params, nparams, changes, bytes, err);
}

co_code Co_store_pushdown_failed(co_store *pd, co_cursor **out, co_error *err)
{
    *out = NULL;
    return pd->ops->pushdown_failed ? pd->ops->pushdown_failed(pd, out, err) : CO_OK;
}
