/*
 * reverse_rows.c: writing an entity's target rows back into its source table
 * through the entity's `reverse` mapping (docs/project-file.md): the
 * statements a rollback's carry-back (cutover.c) and reverse sync
 * (reverse.c) share. A row is updated in the source, or inserted where the
 * source lacks it; a row the target keyed and the source never saw gets the
 * key the source assigns (recorded in the id map), and an inserted row the
 * mapping's `insert` columns too; a row gone from the target is deleted
 * from the source.
 */
#include "capture/reverse_int.h"
#include "engine/engine_int.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_COLS 128

struct Co_reverse_writer {
    co_session *s;
    co_store *cap;
    const co_entity *e;
    const co_reverse *r;
    co_keymap *km;
    size_t entity;
    bool keyed;     /* the target gave the entity's single key column */
    bool row_guard; /* a savepoint per row: a refused statement spoils the transaction */
    co_stmt *update, *insert, *remove;
    co_buf fresh, keytext;
    const char *names[MAX_COLS];
    bool fresh_row;      /* the row in hand is one the new system created, keyed by the target */
    co_value target_key; /* its target key */
};

size_t Co_reverse_width(const co_reverse *r) { return r->ncols + r->nkey + r->nins; }

void Co_reverse_select_sql(co_store *dest, const co_entity *e, bool by_key, co_buf *sql)
{
    const co_reverse *r = e->reverse;
    Co_buf_adds(sql, "SELECT ");
    for (size_t i = 0; i < r->ncols + r->nkey; i++) {
        Co_buf_adds(sql, i ? ", " : "");
        co_store_quote_ident(dest, i < r->ncols ? r->col_entity[i] : r->key_entity[i - r->ncols],
                             sql);
    }
    for (size_t i = 0; i < r->nins; i++) /* SQL over the target row, as written */
        Co_buf_printf(sql, ", (%s)", r->ins_sql[i]);
    Co_buf_adds(sql, " FROM ");
    co_store_quote_ident(dest, e->target, sql);
    Co_buf_adds(sql, " WHERE ");
    co_store_quote_ident(dest, e->tenant_column, sql);
    Co_buf_adds(sql, " = :tenant");
    for (size_t k = 0; by_key && k < r->nkey; k++) {
        Co_buf_adds(sql, " AND ");
        co_store_quote_ident(dest, r->key_entity[k], sql);
        Co_buf_printf(sql, " %s :k%zu", co_store_key_eq_op(dest), k);
    }
}

/* UPDATE source SET c = ?, ... WHERE k = ? AND ... */
static void update_sql(co_session *s, co_store *cap, const co_entity *e, co_buf *upd)
{
    const co_reverse *r = e->reverse;
    Co_buf_adds(upd, "UPDATE ");
    co_store_quote_ident(cap, r->table, upd);
    Co_buf_adds(upd, " SET ");
    /* A reference to a row that merged into another keeps, in a source row
     * that exists, the row it named: the target names the survivor. Such a
     * column is set to itself (the parameter stays, unused, for the shape). */
    for (size_t i = 0; i < r->ncols; i++) {
        Co_buf_adds(upd, i ? ", " : "");
        co_store_quote_ident(cap, r->col_source[i], upd);
        bool merged_ref = false;
        for (size_t k = 0; k < e->nrefs; k++)
            if (strcmp(e->refs[k].column, r->col_entity[i]) == 0) {
                const co_entity *parent = co_project_entity(s->project, e->refs[k].entity);
                merged_ref = parent && parent->merge;
            }
        if (merged_ref) {
            Co_buf_adds(upd, " = CASE WHEN CAST(? AS CHAR) IS NULL THEN ");
            co_store_quote_ident(cap, r->col_source[i], upd);
            Co_buf_adds(upd, " ELSE ");
            co_store_quote_ident(cap, r->col_source[i], upd);
            Co_buf_adds(upd, " END");
        } else {
            Co_buf_adds(upd, " = ?");
        }
    }
    if (!r->ncols) { /* nothing to update: touch the key so changes tell existence */
        co_store_quote_ident(cap, r->key_source[0], upd);
        Co_buf_adds(upd, " = ");
        co_store_quote_ident(cap, r->key_source[0], upd);
    }
}

/* " WHERE k = ? AND ..." over the source key */
static void where_key(co_store *cap, const co_reverse *r, co_buf *sql)
{
    Co_buf_adds(sql, " WHERE ");
    for (size_t k = 0; k < r->nkey; k++) {
        Co_buf_adds(sql, k ? " AND " : "");
        co_store_quote_ident(cap, r->key_source[k], sql);
        Co_buf_printf(sql, " %s ?", co_store_key_eq_op(cap));
    }
}

/* INSERT INTO source (cols[, keys], inserts) VALUES (?, ...) */
static void insert_sql(co_store *cap, const co_reverse *r, bool with_key, co_buf *ins)
{
    size_t keys = with_key ? r->nkey : 0, n = r->ncols + keys + r->nins;
    Co_buf_adds(ins, "INSERT INTO ");
    co_store_quote_ident(cap, r->table, ins);
    Co_buf_adds(ins, " (");
    for (size_t i = 0; i < n; i++) {
        Co_buf_adds(ins, i ? ", " : "");
        co_store_quote_ident(cap, i < r->ncols          ? r->col_source[i]
                                  : i < r->ncols + keys ? r->key_source[i - r->ncols]
                                                        : r->ins_source[i - r->ncols - keys],
                             ins);
    }
    Co_buf_adds(ins, ") VALUES (");
    for (size_t i = 0; i < n; i++)
        Co_buf_adds(ins, i ? ", ?" : "?");
    Co_buf_adds(ins, ")");
}

co_code Co_reverse_writer_open(co_session *s, co_store *cap, const co_entity *e, co_keymap *km,
                               Co_reverse_writer **out, co_error *err)
{
    *out = NULL;
    const co_reverse *r = e->reverse;
    if (Co_reverse_width(r) > MAX_COLS)
        return co_error_set(err, CO_EPROJECT, "reverse: more than %d columns", MAX_COLS);
    Co_reverse_writer *w = calloc(1, sizeof *w);
    if (!w)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    *w = (Co_reverse_writer){.s = s, .cap = cap, .e = e, .r = r, .km = km,
                             .fresh = CO_BUF_INIT, .keytext = CO_BUF_INIT};
    w->entity = (size_t)co_project_entity_index(s->project, e->name);
    /* Where the target gave the keys, a row the new system created gets the
     * key the source assigns (INSERT without it, RETURNING it). */
    w->keyed = e->target_key && r->nkey == 1 && strcmp(r->key_entity[0], e->target_key) == 0;
    w->row_guard = co_store_caps(cap).failed_statement_aborts;
    for (size_t i = 0; i < r->ncols + r->nkey; i++)
        w->names[i] = i < r->ncols ? r->col_entity[i] : r->key_entity[i - r->ncols];
    co_buf upd = CO_BUF_INIT, ins = CO_BUF_INIT, del = CO_BUF_INIT;
    update_sql(s, cap, e, &upd);
    where_key(cap, r, &upd);
    insert_sql(cap, r, true, &ins);
    Co_buf_adds(&del, "DELETE FROM ");
    co_store_quote_ident(cap, r->table, &del);
    where_key(cap, r, &del);
    insert_sql(cap, r, false, &w->fresh);
    Co_buf_adds(&w->fresh, " RETURNING ");
    co_store_quote_ident(cap, r->key_source[0], &w->fresh);
    co_code rc = upd.failed || ins.failed || del.failed || w->fresh.failed
                     ? co_error_set(err, CO_ENOMEM, "out of memory")
                     : co_store_prepare(cap, co_buf_str(&upd), &w->update, err);
    if (rc == CO_OK)
        rc = co_store_prepare(cap, co_buf_str(&ins), &w->insert, err);
    if (rc == CO_OK)
        rc = co_store_prepare(cap, co_buf_str(&del), &w->remove, err);
    Co_buf_release(&upd);
    Co_buf_release(&ins);
    Co_buf_release(&del);
    if (rc != CO_OK) {
        Co_reverse_writer_close(w);
        return rc;
    }
    *out = w;
    return CO_OK;
}

void Co_reverse_writer_close(Co_reverse_writer *w)
{
    if (!w)
        return;
    co_stmt_close(w->update);
    co_stmt_close(w->insert);
    co_stmt_close(w->remove);
    Co_buf_release(&w->fresh);
    Co_buf_release(&w->keytext);
    free(w);
}

/* Runs fn's statements for one row under a savepoint where a refused
 * statement spoils the transaction (PostgreSQL); SQLite undoes just the
 * statement. *row_rc gets the row's own outcome; the return value is the
 * transaction's. */
static co_code guarded(Co_reverse_writer *w, co_code row_rc, co_code (*fn)(Co_reverse_writer *w,
                       co_value *vals, co_error *err), co_value *vals, co_code *out,
                       co_error *row_err, co_error *err)
{
    if (row_rc == CO_OK && w->row_guard)
        row_rc = co_store_exec(w->cap, "SAVEPOINT cutover_row", row_err);
    if (row_rc == CO_OK)
        row_rc = fn(w, vals, row_err);
    co_code rc = CO_OK;
    if (w->row_guard)
        rc = co_store_exec(w->cap, row_rc == CO_OK ? "RELEASE SAVEPOINT cutover_row"
                                                   : "ROLLBACK TO SAVEPOINT cutover_row", err);
    *out = row_rc;
    return rc;
}

static co_code put_once(Co_reverse_writer *w, co_value *row, co_error *err)
{
    const co_reverse *r = w->r;
    if (w->fresh_row) {
        int64_t assigned = 0;
        co_param vals[MAX_COLS];
        for (size_t i = 0; i < r->ncols; i++)
            vals[i] = (co_param){NULL, row[i]};
        for (size_t i = 0; i < r->nins; i++) /* after the keys, which the source assigns */
            vals[r->ncols + i] = (co_param){NULL, row[r->ncols + r->nkey + i]};
        co_code rc = co_store_query_int(w->cap, co_buf_str(&w->fresh), vals, r->ncols + r->nins,
                                        &assigned, NULL, err);
        co_value source_key = co_int(assigned);
        if (rc == CO_OK)
            rc = Co_keymap_add(w->km, w->entity, &source_key, &w->target_key, err);
        return rc;
    }
    long long changes = 0;
    co_code rc = co_stmt_exec(w->update, row, r->ncols + r->nkey, &changes, err);
    if (rc == CO_OK && changes == 0)
        rc = co_stmt_exec(w->insert, row, Co_reverse_width(r), NULL, err);
    return rc;
}

co_code Co_reverse_writer_put(Co_reverse_writer *w, co_value *row, bool *written,
                              co_error *row_err, co_error *err)
{
    const co_reverse *r = w->r;
    size_t n = r->ncols + r->nkey;
    /* Target keys (the row's own, its refs') back to source keys. */
    w->target_key = w->keyed ? row[r->ncols] : co_null();
    bool unknown = false;
    co_code row_rc = w->km ? Co_keymap_to_source(w->km, w->entity, w->names, row, n, &w->keytext,
                                                 &unknown, row_err)
                           : CO_OK;
    w->fresh_row = w->keyed && unknown;
    co_code rc = guarded(w, row_rc, put_once, row, &row_rc, row_err, err);
    *written = row_rc == CO_OK;
    return rc;
}

static co_code delete_once(Co_reverse_writer *w, co_value *key, co_error *err)
{
    return co_stmt_exec(w->remove, key, w->r->nkey, NULL, err);
}

co_code Co_reverse_writer_delete(Co_reverse_writer *w, co_value *key, bool *written,
                                 co_error *row_err, co_error *err)
{
    const co_reverse *r = w->r;
    bool unknown = false;
    co_code row_rc = w->km ? Co_keymap_to_source(w->km, w->entity, w->names + r->ncols, key,
                                                 r->nkey, &w->keytext, &unknown, row_err)
                           : CO_OK;
    *written = true;
    if (row_rc == CO_OK && unknown)
        return CO_OK; /* created and deleted in the new system: the source never had it */
    co_code rc = guarded(w, row_rc, delete_once, key, &row_rc, row_err, err);
    *written = row_rc == CO_OK;
    return rc;
}
