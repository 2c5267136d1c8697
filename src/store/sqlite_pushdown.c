/*
 * sqlite_pushdown.c: the push-down load from one SQLite file into another
 * (co_store_pushdown_open): a connection of its own has the source as its
 * main database, writes to it refused, and the destination attached as
 * cutover_target, so that an entity's rows go from source to destination in
 * one INSERT ... SELECT inside the destination's transaction, never passing
 * through cutover. Its SQL functions (sqlite_fn.c) keep the row path's
 * checks exact: cutover_key, cutover_utf8, cutover_tally.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

/* Writes to the source are refused on this connection: it only reads there. */
static int guard_source(void *ctx, int action, const char *a, const char *b, const char *db,
                        const char *trigger)
{
    (void)ctx, (void)a, (void)b, (void)trigger;
    bool write = action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE ||
                 action == SQLITE_CREATE_TABLE || action == SQLITE_CREATE_INDEX ||
                 action == SQLITE_DROP_TABLE || action == SQLITE_DROP_INDEX ||
                 action == SQLITE_ALTER_TABLE || action == SQLITE_CREATE_TRIGGER ||
                 action == SQLITE_CREATE_VIEW;
    return write && db && strcmp(db, "main") == 0 ? SQLITE_DENY : SQLITE_OK;
}

/* Asks the caller, now and then during a statement, whether to stop. */
typedef struct pd_watch {
    bool (*stop)(void *ctx);
    void *ctx;
} pd_watch;

static int watch(void *ctx)
{
    pd_watch *w = ctx;
    return w->stop && w->stop(w->ctx) ? 1 : 0;
}

/* True when the destination table has triggers (one may drop a row) or a
 * declared foreign key among the loaded columns (the loader checks them row
 * by row): such a table is loaded through the loader. */
static co_code table_checked_by_rows(co_store *dest, const char *table,
                                     const char *const *columns, size_t ncols, bool *rows,
                                     co_error *err)
{
    bool triggers = Co_sqlite_has_triggers(dest, table);
    sq_fkeys *fk = NULL;
    co_code rc = Co_sqlite_fkeys_open(dest, co_sqlite_db(dest), table, columns, ncols, &fk, err);
    *rows = triggers || fk != NULL;
    Co_sqlite_fkeys_close(fk);
    return rc;
}

co_code Co_sqlite_pushdown_open(co_store *source, co_store *dest, const char *table,
                                const char *const *columns, size_t ncols,
                                bool (*stop)(void *ctx), void *stop_ctx, co_store **out,
                                co_error *err)
{
    *out = NULL;
    const char *from = source->sqlite_path, *to = dest->sqlite_path;
    if (!from || !to || strcmp(from, ":memory:") == 0 || strcmp(to, ":memory:") == 0 ||
        strcmp(from, to) == 0)
        return co_error_set(err, CO_EUNSUPPORTED, "push-down needs two SQLite files");
    bool rows;
    co_code rc = table_checked_by_rows(dest, table, columns, ncols, &rows, err);
    if (rc == CO_OK && rows)
        return co_error_set(err, CO_EUNSUPPORTED, "%s has triggers or foreign keys", table);
    co_store *pd = NULL;
    if (rc == CO_OK) /* the destination's side: its errors are the target's */
        rc = Co_sqlite_open_ex(from, dest->side, false, &pd, err);
    if (rc != CO_OK)
        return rc;
    sqlite_store *ss = (sqlite_store *)pd;
    pd->safe_uri = dest->safe_uri ? strdup(dest->safe_uri) : NULL;
    pd_watch *w = calloc(1, sizeof *w);
    co_buf head = CO_BUF_INIT;
    /* OR ABORT as the loader: a row the table would drop or overwrite fails
     * the statement, and the caller loads row by row instead. */
    Co_buf_adds(&head, "INSERT OR ABORT INTO cutover_target.");
    co_store_quote_ident(pd, table, &head);
    Co_buf_adds(&head, " (");
    co_store_quote_idents(pd, columns, ncols, &head);
    Co_buf_adds(&head, ")\n");
    if (!w || head.failed || (dest->safe_uri && !pd->safe_uri)) {
        free(w);
        Co_buf_release(&head);
        co_store_close(pd);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *w = (pd_watch){stop, stop_ctx};
    ss->pushdown_watch = w;
    ss->pushdown_head = Co_buf_take(&head);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ss->db, "ATTACH ?1 AS cutover_target", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = Co_sqlite_fail(pd, "cannot attach the destination", err);
    sqlite3_finalize(st);
    if (rc == CO_OK) {
        sqlite3_exec(ss->db, "PRAGMA cutover_target.cache_size = -65536", NULL, NULL, NULL);
        sqlite3_set_authorizer(ss->db, guard_source, NULL);
        sqlite3_progress_handler(ss->db, 100000, watch, w);
        Co_sqlite_register_pushdown_functions(ss);
    }
    if (rc != CO_OK) {
        co_store_close(pd);
        return rc;
    }
    *out = pd;
    return CO_OK;
}

co_code Co_sqlite_pushdown_insert(co_store *pd, const char *select_sql, const co_param *params,
                                  size_t nparams, int64_t *changes, int64_t *bytes,
                                  co_error *err)
{
    sqlite_store *ss = (sqlite_store *)pd;
    if (!ss->pushdown_head)
        return co_error_set(err, CO_EINTERNAL, "not a push-down connection");
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, ss->pushdown_head);
    Co_buf_adds(&sql, select_sql);
    if (sql.failed) {
        Co_buf_release(&sql);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    ss->tally = 0;
    long long n = 0;
    co_code rc = co_store_exec_params(pd, co_buf_str(&sql), params, nparams, &n, err);
    Co_buf_release(&sql);
    *changes = rc == CO_OK ? (int64_t)n : 0;
    *bytes = ss->tally;
    return rc;
}
