/*
 * sqlite_pushdown.c: the push-down load from one SQLite file into another
 * (co_store_pushdown_open): a connection of its own has the source as its
 * main database, writes to it refused, and the destination attached as
 * cutover_target, so that an entity's rows go from source to destination in
 * one INSERT ... SELECT inside the destination's transaction, never passing
 * through cutover. Its SQL functions (sqlite_fn.c) keep the row path's
 * checks exact: cutover_key, cutover_int_key, cutover_utf8, cutover_tally.
 */
#include "store/sqlite_int.h"
#include "util/grow.h"

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

/* Rows left out kept at most (then they are read again), and their bytes. */
#define FAILED_ROWS 65536
#define FAILED_BYTES (16 * 1024 * 1024)

void Co_sqlite_failed_keep(sq_failed *f, const co_value *row, size_t n)
{
    if (f->overflow)
        return;
    size_t had = f->cap;
    if (n != f->ncols || f->nrows >= FAILED_ROWS || f->bytes.len >= FAILED_BYTES ||
        !CO_GROW(f->vals, f->cap, (f->nrows + 1) * n, 64) ||
        (f->cap != had && !CO_RESIZE(f->offs, f->cap))) {
        f->overflow = true;
        return;
    }
    size_t base = f->nrows * n;
    for (size_t i = 0; i < n; i++) {
        f->vals[base + i] = row[i];
        if (row[i].type == CO_TEXT || row[i].type == CO_BLOB) {
            f->offs[base + i] = f->bytes.len;
            Co_buf_add(&f->bytes, row[i].s, row[i].len);
            Co_buf_addc(&f->bytes, '\0');
        }
    }
    if (f->bytes.failed)
        f->overflow = true;
    f->nrows++;
}

void Co_sqlite_failed_free(sq_failed *f)
{
    if (!f)
        return;
    free(f->vals);
    free(f->offs);
    Co_buf_release(&f->bytes);
    free(f);
}

/* A cursor over the rows kept. */
typedef struct failed_cursor {
    co_cursor base;
    sq_failed *f;
    size_t at; /* rows given so far */
} failed_cursor;

static co_code failed_next(co_cursor *c, bool *has_row, co_error *err)
{
    (void)err;
    failed_cursor *fc = (failed_cursor *)c;
    *has_row = fc->at < fc->f->nrows;
    if (*has_row)
        fc->at++;
    return CO_OK;
}

static size_t failed_ncols(const co_cursor *c) { return ((const failed_cursor *)c)->f->ncols; }

static const char *failed_colname(const co_cursor *c, size_t i)
{
    (void)c, (void)i;
    return "";
}

static co_value failed_value(co_cursor *c, size_t i)
{
    failed_cursor *fc = (failed_cursor *)c;
    sq_failed *f = fc->f;
    size_t k = (fc->at - 1) * f->ncols + i;
    co_value v = f->vals[k];
    if (v.type == CO_TEXT || v.type == CO_BLOB)
        v.s = f->bytes.data + f->offs[k];
    return v;
}

static void failed_close(co_cursor *c) { free(c); }

static const co_cursor_ops failed_ops = {failed_next, failed_ncols, failed_colname, failed_value,
                                         failed_close};

co_code Co_sqlite_pushdown_failed(co_store *pd, co_cursor **out, co_error *err)
{
    sq_failed *f = ((sqlite_store *)pd)->failed;
    *out = NULL;
    if (!f || f->overflow)
        return CO_OK;
    failed_cursor *fc = calloc(1, sizeof *fc);
    if (!fc)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    fc->base.ops = &failed_ops;
    fc->base.store = pd;
    fc->f = f;
    *out = &fc->base;
    return CO_OK;
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
    if (rc == CO_OK && /* the destination's side: its errors are the target's */
        Co_sqlite_open_ex(from, dest->side, false, &pd, err) != CO_OK)
        return CO_EUNSUPPORTED; /* the loader reads through the source's own connection */
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
    ss->failed = calloc(1, sizeof *ss->failed);
    if (ss->failed)
        ss->failed->ncols = ncols;
    ss->pushdown_head = Co_buf_take(&head);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ss->db, "ATTACH ?1 AS cutover_target", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = Co_sqlite_fail(pd, "cannot attach the destination", err);
    sqlite3_finalize(st);
    if (rc == CO_OK) {
        /* The destination's own connection gives back its page cache: this
         * connection writes the file now, which makes those pages stale, and
         * both caches at once were 64 MB more of a tenant's peak. */
        sqlite3_db_release_memory(co_sqlite_db(dest));
        /* the target holds the dirty pages; the source is only read */
        sqlite3_exec(ss->db, "PRAGMA cutover_target.cache_size = -65536; PRAGMA main.cache_size = -16384",
                     NULL, NULL, NULL);
        /* the destination's checkpoints, while it loads, on its thread */
        Co_sqlite_checkpointer_follow(&ss->checkpoint_link,
                                      ((sqlite_store *)dest)->checkpointer, ss->db,
                                      "cutover_target");
        sqlite3_set_authorizer(ss->db, guard_source, NULL);
        sqlite3_progress_handler(ss->db, 100000, watch, w);
        Co_sqlite_register_pushdown_functions(ss);
    }
    if (rc != CO_OK) { /* the two files will not go together (an encoding, a lock): row by row */
        co_store_close(pd);
        return rc == CO_ENOMEM ? rc : CO_EUNSUPPORTED;
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
    if (ss->failed) {
        ss->failed->nrows = 0;
        ss->failed->overflow = false;
        Co_buf_reset(&ss->failed->bytes);
    } /* else: none kept, the caller reads them again */
    long long n = 0;
    co_code rc = co_store_exec_params(pd, co_buf_str(&sql), params, nparams, &n, err);
    Co_buf_release(&sql);
    *changes = rc == CO_OK ? (int64_t)n : 0;
    *bytes = ss->tally;
    return rc;
}
