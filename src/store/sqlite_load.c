/*
 * sqlite_load.c: loading into SQLite (co_loader). Rows are buffered and
 * inserted in groups, one multi-row INSERT per group; when the database
 * refuses a row (a constraint, a STRICT type, a size, a declared foreign key
 * with no parent) the group is retried row by row, so that row alone is
 * rejected while the transaction goes on. While the transaction's BEGIN is
 * put off (co_store_begin_on_write) the rows are held, up to HOLD_ROWS or
 * HOLD_BYTES (then the BEGIN is made, to keep memory bounded), and applied
 * group by group when the loader is flushed. While a loader is open, the
 * connection keeps its statement journals in memory (journals_in_memory).
 */
#include "store/sqlite_int.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdlib.h>
#include <string.h>

/* ---- loading ---------------------------------------------------------------- */

/* Rows per multi-row INSERT: enough to amortize opening the table's and its
 * indexes' cursors, few enough that a retry row by row stays cheap. */
#define GROUP_ROWS 64
#define MAX_PARAMS 32766
/* Rows held at most while a BEGIN is put off, and their bytes. */
#define HOLD_ROWS 65536
#define HOLD_BYTES (16 * 1024 * 1024)

typedef struct sqlite_loader {
    co_loader base;
    sqlite3_stmt *one;   /* INSERT ... VALUES (?, ...) */
    sqlite3_stmt *group; /* the same with `group_rows` rows */
    size_t group_rows;
    char *table;
    co_value *rows;      /* cap * ncols buffered values */
    size_t *offsets;     /* where each text or blob value's bytes start in bytes */
    co_buf bytes;
    size_t count, cap;   /* rows buffered; rows the arrays hold (group_rows at least) */
    sq_fkeys *fkeys;     /* declared foreign keys checked before a group applies, or NULL */
    bool counted;        /* counted in the store's loaders (journals_in_memory) */
} sqlite_loader;

/* A group's INSERT, in a transaction of many, keeps a statement journal
 * (a copy of each page it changes that was there before it, to undo the
 * group alone when a row is refused). SQLite keeps one in memory up to
 * 64 KiB, then in a temporary file; a group of 64 rows touches up to
 * 400 KB (each row another leaf of each index), so nearly every group
 * spilled: the demo's largest tenant at scale 0.1 wrote 232 MB of
 * temporary file in 115,000 pwrite calls for 92,000 rows of contacts, teams
 * and tags, 4 times the bytes of its target's WAL (the floor's one
 * INSERT ... SELECT per table: 844 calls). temp_store MEMORY keeps them in memory
 * instead: one group's pages at most (the journal is emptied as each
 * statement ends), so at most GROUP_ROWS rows' pages of the table and its
 * indexes. Set from the first loader open on the connection to the last
 * one closed, so that nothing else the connection runs (a purge, a
 * verification's GROUP BY) keeps its temporary tables or journals in
 * memory; SQLite reads the setting as each write transaction begins. */
static void journals_in_memory(co_store *s, bool on)
{
    sqlite_store *ss = (sqlite_store *)s;
    if (on ? ss->loaders++ == 0 : --ss->loaders == 0) /* a failure only costs the files */
        sqlite3_exec(ss->db, on ? "PRAGMA temp_store = MEMORY" : "PRAGMA temp_store = DEFAULT",
                     NULL, NULL, NULL);
}

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
    return co_error_set(err, Co_store_side_code(s->side), "%s: %s %s: %s", co_side_name(s->side),
                        what, sl->table, sqlite3_errmsg(co_sqlite_db(s)));
}

static co_code bind_rows(sqlite_loader *sl, sqlite3_stmt *st, const co_value *rows, size_t n,
                         co_error *err)
{
    size_t ncols = sl->base.ncols;
    for (size_t i = 0; i < n * ncols; i++)
        if (Co_sqlite_bind_value(st, (int)i + 1, &rows[i]) != SQLITE_OK)
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
        int ext = sqlite3_extended_errcode(co_sqlite_db(l->store));
        if (step == SQLITE_DONE && sqlite3_changes64(co_sqlite_db(l->store)) == 1) {
            sqlite3_reset(sl->one);
            if (l->events.loaded)
                l->events.loaded(l->events.ctx, row, l->ncols);
            continue;
        }
        if (step == SQLITE_DONE) { /* a trigger's RAISE(IGNORE) dropped it */
            sqlite3_reset(sl->one);
            if (!l->events.refused)
                return co_error_set(err, Co_store_side_code(l->store->side),
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
        l->events.refused(l->events.ctx, row, l->ncols, rule_of(ext), sqlite3_errmsg(co_sqlite_db(l->store)),
                          "");
        sqlite3_reset(sl->one);
    }
    return CO_OK;
}

/* Refuses the *kept rows at rows whose declared foreign key names no parent
 * row (rule foreign_key) and moves the others to the front; *kept gets how
 * many those are. */
static co_code refuse_orphans(sqlite_loader *sl, co_value *rows, size_t *kept, co_error *err)
{
    co_loader *l = &sl->base;
    size_t n = *kept, ncols = l->ncols, w = 0;
    for (size_t r = 0; r < n; r++) {
        bool ok;
        char reason[512];
        co_code rc = Co_sqlite_fkeys_check(sl->fkeys, co_sqlite_db(l->store), rows, n, ncols, r,
                                           &ok, reason, sizeof reason, err);
        if (rc != CO_OK)
            return rc;
        if (ok) {
            if (w != r)
                memmove(rows + w * ncols, rows + r * ncols, ncols * sizeof *rows);
            w++;
            continue;
        }
        if (!l->events.refused)
            return co_error_set(err, Co_store_side_code(l->store->side), "%s: %s: %s",
                                co_side_name(l->store->side), sl->table, reason);
        l->events.refused(l->events.ctx, rows + r * ncols, ncols, "foreign_key", reason, "");
    }
    *kept = w;
    return CO_OK;
}

/* Applies n rows at rows (at most a group): a full group in one statement,
 * retried row by row when a row of it is refused; a partial group row by
 * row. Rows whose declared foreign key has no parent are refused first. */
static co_code apply_rows(sqlite_loader *sl, co_value *rows, size_t n, co_error *err)
{
    co_loader *l = &sl->base;
    size_t ncols = l->ncols;
    co_code rc = CO_OK;
    bool done = false;
    size_t kept = n;
    if (sl->fkeys)
        rc = refuse_orphans(sl, rows, &kept, err);
    if (rc == CO_OK && kept < n) { /* the others row by row */
        n = kept;
        done = n == 0;
    } else if (n == sl->group_rows && sl->group) {
        rc = bind_rows(sl, sl->group, rows, n, err);
        int step = rc == CO_OK ? sqlite3_step(sl->group) : SQLITE_OK;
        int ext = sqlite3_extended_errcode(co_sqlite_db(l->store));
        if (rc == CO_OK && step == SQLITE_DONE &&
            sqlite3_changes64(co_sqlite_db(l->store)) == (sqlite3_int64)n) {
            done = true;
            for (size_t r = 0; r < n && l->events.loaded; r++)
                l->events.loaded(l->events.ctx, rows + r * ncols, ncols);
        } else if (rc == CO_OK && step != SQLITE_DONE && !row_level(step) && !row_level(ext)) {
            rc = insert_failed(sl, "insert into", err);
        }
        /* A refused row undid the whole statement: go row by row. (Tables with
         * triggers, which could drop rows of a group that stays, are loaded row
         * by row from the start.) */
        sqlite3_reset(sl->group);
    }
    if (rc == CO_OK && !done)
        rc = insert_each(sl, rows, n, err);
    return rc;
}

/* Applies the buffered rows, a group at a time (after the BEGIN that
 * co_store_begin_on_write put off). */
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
    co_code rc = Co_sqlite_begin_pending(l->store, err);
    for (size_t at = 0; rc == CO_OK && at < n; at += sl->group_rows)
        rc = apply_rows(sl, sl->rows + at * ncols, n - at < sl->group_rows ? n - at : sl->group_rows,
                        err);
    Co_buf_reset(&sl->bytes);
    return rc;
}

/* Makes room for one more row while rows are held. */
static bool grow_rows(sqlite_loader *sl)
{
    size_t cap = sl->cap * 2, ncols = sl->base.ncols;
    if (!CO_RESIZE(sl->rows, cap * ncols) || !CO_RESIZE(sl->offsets, cap * ncols))
        return false;
    sl->cap = cap;
    return true;
}

static co_code loader_put(co_loader *l, const co_value *row, co_error *err)
{
    sqlite_loader *sl = (sqlite_loader *)l;
    if (sl->count == sl->cap && !grow_rows(sl))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    size_t base = sl->count * l->ncols;
    for (size_t i = 0; i < l->ncols; i++) {
        sl->rows[base + i] = row[i];
        if (row[i].type == CO_TEXT || row[i].type == CO_BLOB) {
            sl->offsets[base + i] = sl->bytes.len;
            Co_buf_add(&sl->bytes, row[i].s, row[i].len);
            Co_buf_addc(&sl->bytes, '\0'); /* text stays NUL-terminated */
            sl->rows[base + i].s = NULL;  /* fixed up at flush */
        }
    }
    if (sl->bytes.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (++sl->count >= sl->group_rows &&
        (!co_sqlite_holding(l->store) || sl->count >= HOLD_ROWS || sl->bytes.len >= HOLD_BYTES))
        return loader_flush(l, err);
    return CO_OK;
}

static void loader_discard(co_loader *l)
{
    sqlite_loader *sl = (sqlite_loader *)l;
    sl->count = 0;
    Co_buf_reset(&sl->bytes);
}

static void loader_close(co_loader *l)
{
    sqlite_loader *sl = (sqlite_loader *)l;
    sqlite3_finalize(sl->one);
    sqlite3_finalize(sl->group);
    if (sl->counted)
        journals_in_memory(l->store, false);
    Co_sqlite_fkeys_close(sl->fkeys);
    Co_buf_release(&sl->bytes);
    CO_FREE(sl->rows, sl->offsets, sl->table, sl);
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
    Co_buf_adds(sql, "INSERT OR ABORT INTO ");
    co_store_quote_ident(s, table, sql);
    Co_buf_adds(sql, " (");
    co_store_quote_idents(s, columns, ncols, sql);
    Co_buf_adds(sql, ") VALUES ");
    for (size_t r = 0; r < nrows; r++) {
        Co_buf_adds(sql, r ? ", (" : "(");
        for (size_t i = 0; i < ncols; i++)
            Co_buf_adds(sql, i ? ", ?" : "?");
        Co_buf_addc(sql, ')');
    }
}

/* True when table has triggers: one might drop a row (RAISE(IGNORE)) while
 * the statement succeeds, which only row-by-row loading can tell. */
bool Co_sqlite_has_triggers(co_store *s, const char *table)
{
    sqlite3_stmt *st = NULL;
    bool found = true; /* when in doubt, the careful way */
    if (sqlite3_prepare_v2(co_sqlite_db(s), "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
                                     " AND tbl_name = ?1 COLLATE NOCASE",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        found = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return found;
}

co_code Co_sqlite_loader_open(co_store *s, const char *table, const char *const *columns,
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
    bool one_by_one = Co_sqlite_has_triggers(s, table);
    l->table = strdup(table);
    l->cap = l->group_rows;
    l->rows = calloc(l->cap * ncols, sizeof *l->rows);
    l->offsets = calloc(l->cap * ncols, sizeof *l->offsets);
    co_buf one = CO_BUF_INIT, group = CO_BUF_INIT;
    insert_sql(s, table, columns, ncols, 1, &one);
    if (l->group_rows > 1 && !one_by_one)
        insert_sql(s, table, columns, ncols, l->group_rows, &group);
    co_code rc = CO_OK;
    if (!l->table || !l->rows || !l->offsets || one.failed || group.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK && sqlite3_prepare_v3(co_sqlite_db(s), co_buf_str(&one), -1,
                                          SQLITE_PREPARE_PERSISTENT, &l->one, NULL) != SQLITE_OK)
        rc = Co_sqlite_fail(s, "cannot prepare insert", err);
    if (rc == CO_OK && l->group_rows > 1 && !one_by_one &&
        sqlite3_prepare_v3(co_sqlite_db(s), co_buf_str(&group), -1, SQLITE_PREPARE_PERSISTENT, &l->group,
                           NULL) != SQLITE_OK)
        rc = Co_sqlite_fail(s, "cannot prepare insert", err);
    Co_buf_release(&one);
    Co_buf_release(&group);
    if (rc == CO_OK)
        rc = Co_sqlite_fkeys_open(s, co_sqlite_db(s), table, columns, ncols, &l->fkeys, err);
    if (rc != CO_OK) {
        co_error_where(err, "table %s", table);
        loader_close(&l->base);
        return rc;
    }
    l->counted = true;
    journals_in_memory(s, true);
    *out = &l->base;
    return CO_OK;
}
