/*
 * purge.c: removing a tenant from the destination, children before parents.
 * Entities with a tenant_column are purged by that column; the others, and
 * those whose target assigns keys (target_key), by the keys their id map
 * recorded. Used before a load (leftovers of an interrupted
 * run), after a failed load, and by rollback (after a rollback by reverse
 * sync, later: capture/rollback.c).
 */
#include "cutover/migrate.h"
#include "cutover/traces.h"
#include "engine/engine_int.h"
#include "engine/session.h"
#include "util/key.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* "DELETE FROM target WHERE " for the entity's table on the destination. */
static void delete_where(co_session *s, const co_entity *e, co_buf *sql)
{
    Co_buf_adds(sql, "DELETE FROM ");
    co_store_quote_ident(s->dest, e->target, sql);
    Co_buf_adds(sql, " WHERE ");
}

static co_code purge_by_tenant_column(co_session *s, const co_tenant *t, const co_entity *e,
                                      co_error *err)
{
    co_buf sql = CO_BUF_INIT;
    delete_where(s, e, &sql);
    co_store_quote_ident(s->dest, e->tenant_column, &sql);
    Co_buf_adds(&sql, " = ?");
    co_param p = {NULL, t->value};
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec_params(s->dest, co_buf_str(&sql), &p, 1, NULL, err);
    Co_buf_release(&sql);
    return rc;
}

static co_code purge_by_id_map(co_session *s, const co_tenant *t, const co_entity *e,
                               co_error *err)
{
    co_buf sql = CO_BUF_INIT;
    delete_where(s, e, &sql);
    /* The id map holds what the target holds: the key columns' values, or the
     * key the target gave (target_key). */
    size_t nkey = e->target_key ? 1 : e->nkey;
    for (size_t k = 0; k < nkey; k++) {
        if (k)
            Co_buf_adds(&sql, " AND ");
        co_store_quote_ident(s->dest, e->target_key ? e->target_key : e->key[k], &sql);
        Co_buf_adds(&sql, " IS ?"); /* IS: a NULL key part matches too */
    }
    if (sql.failed) {
        Co_buf_release(&sql);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_stmt *del = NULL;
    co_cursor *c = NULL;
    co_code rc = co_store_prepare(s->dest, co_buf_str(&sql), &del, err);
    Co_buf_release(&sql);
    if (rc == CO_OK)
        rc = co_state_idmap_query(s->state, t->key, e->name, &c, err);
    co_buf storage = CO_BUF_INIT;
    co_value vals[64];
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value target_key = co_cursor_value(c, 1);
        size_t n = 0;
        Co_buf_reset(&storage);
        rc = Co_key_decode(target_key.s ? target_key.s : "", vals, 64, &n, &storage, err);
        if (rc == CO_OK && n != nkey)
            rc = co_error_set(err, CO_ESTATE, "state: id map key %s does not have %zu values",
                              target_key.s ? target_key.s : "(null)", nkey);
        if (rc == CO_OK)
            rc = co_stmt_exec(del, vals, n, NULL, err);
    }
    Co_buf_release(&storage);
    co_cursor_close(c);
    co_stmt_close(del);
    return rc;
}

co_code co_purge_tenant(co_session *s, const co_tenant *t, co_error *err)
{
    return Co_purge_tenant_with(s, t, NULL, NULL, err);
}

co_code Co_purge_tenant_with(co_session *s, const co_tenant *t,
                             co_code (*inside)(void *ctx, co_error *err), void *ctx,
                             co_error *err)
{
    /* Whatever the journal says, a tenant the target marks switched may hold
     * the new system's writes: only rollback, which exports them first, may
     * purge it (it marks the tenant exported). */
    char mark[32] = "";
    co_code rc = co_store_side(s->dest) == CO_SIDE_TARGET
                     ? co_traces_state(s->dest, t->key, mark, sizeof mark, err)
                     : CO_OK;
    if (rc == CO_OK && strcmp(mark, "switched") == 0)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s is marked switched in the target: its rows there may hold "
                            "the new system's writes, and are purged only by cutover rollback, "
                            "which exports them first",
                            t->key);
    if (rc == CO_OK)
        rc = co_store_begin(s->dest, err);
    if (rc == CO_OK)
        rc = co_state_begin(s->state, err);
    if (rc == CO_OK && inside)
        rc = inside(ctx, err);
    for (size_t i = s->project->nentities; rc == CO_OK && i-- > 0;) {
        const co_entity *e = &s->project->entities[i];
        /* A target that assigns keys is live: the rows of the tenant are the
         * ones the id map names, never the new system's own. */
        if (e->tenant_column && !e->target_key)
            rc = purge_by_tenant_column(s, t, e, err);
        else
            rc = purge_by_id_map(s, t, e, err);
        if (rc == CO_OK)
            rc = co_state_idmap_clear(s->state, t->key, e->name, err);
        if (rc == CO_OK)
            rc = co_state_merges_clear(s->state, t->key, e->name, err);
        if (rc != CO_OK)
            co_error_where(err, "purging entity %s", e->name);
    }
    /* The destination first: an id map must never lose keys whose rows remain. */
    if (rc == CO_OK)
        rc = co_store_commit(s->dest, err);
    if (rc == CO_OK)
        rc = co_state_commit(s->state, err);
    if (rc != CO_OK) {
        co_store_rollback(s->dest);
        co_state_rollback(s->state);
    }
    return rc;
}
