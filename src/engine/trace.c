/*
 * trace.c: lineage from the journal (trace.h). A source row of an entity is
 * in the id map (loaded, or merged when the merges table says so), in the
 * rejects, or in neither: then, when the entity keeps no id map (rows with a
 * tenant column that nothing refers to), it was loaded under its own key, and
 * the target table is asked for it.
 */
#include "state/journal.h"
#include "cutover/trace.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/key.h"
#include "util/text.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdlib.h>
#include <string.h>

const char *co_trace_kind_name(co_trace_kind k)
{
    switch (k) {
    case CO_TRACE_LOADED: return "loaded";
    case CO_TRACE_MERGED: return "merged";
    default: return "rejected";
    }
}

void co_trace_result_release(co_trace_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        co_trace_step *s = &r->steps[i];
        CO_FREE(s->tenant, s->source_key, s->target_key, s->how, s->rule, s->reason);
    }
    free(r->steps);
    memset(r, 0, sizeof *r);
}

co_code co_trace_key(const char *typed, char **out, co_error *err)
{
    *out = NULL;
    co_buf b = CO_BUF_INIT, storage = CO_BUF_INIT;
    co_code rc = CO_OK;
    if (typed[0] == '[') {
        co_value vals[64];
        size_t n = 0;
        rc = Co_key_decode(typed, vals, 64, &n, &storage, err);
        if (rc == CO_OK)
            Co_key_encode(&b, vals, n);
    } else {
        int64_t i;
        co_value v = Co_text_as_int(typed, strlen(typed), &i) ? co_int(i)
                                                              : co_text(typed, strlen(typed));
        Co_key_encode(&b, &v, 1);
    }
    Co_buf_release(&storage);
    if (rc == CO_OK && b.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        *out = co_buf_detach(&b);
    Co_buf_release(&b);
    return rc;
}

static co_trace_step *add_step(co_trace_result *r, co_error *err)
{
    if (!CO_RESIZE(r->steps, r->n + 1)) {
        co_error_set(err, CO_ENOMEM, "out of memory");
        return NULL;
    }
    co_trace_step *s = &r->steps[r->n++];
    memset(s, 0, sizeof *s);
    s->score = -1;
    return s;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

typedef struct collecting {
    co_trace_kind kind;
    co_trace_result *out;
} collecting;

/* Adds a step for a row of the journal. */
static co_code add_row(void *ctx, const co_key_trace_row *row, co_error *err)
{
    collecting *cl = ctx;
    co_trace_step *st = add_step(cl->out, err);
    if (!st)
        return CO_ENOMEM;
    st->kind = cl->kind;
    st->tenant = dup_or_null(row->tenant);
    st->source_key = dup_or_null(row->source_key);
    st->target_key = dup_or_null(row->target_key);
    st->how = dup_or_null(row->how);
    if (row->score)
        st->score = *row->score;
    st->rule = dup_or_null(row->rule);
    st->reason = dup_or_null(row->reason);
    return CO_OK;
}

/* Adds a step per row the journal has for the key (within tenant, or any). */
static co_code collect(co_session *s, co_key_trace which, const char *entity, const char *key,
                       const char *tenant, co_trace_kind kind, co_trace_result *out,
                       co_error *err)
{
    collecting cl = {kind, out};
    return Co_state_key_trace(s->state, which, entity, key, tenant, add_row, &cl, err);
}

/* Whether the entity keeps an id map (migrate.c: referenced by another
 * entity, without a tenant column, or merged). */
static bool keeps_id_map(const co_project *p, const co_entity *e)
{
    if (!e->tenant_column || e->merge)
        return true;
    for (size_t i = 0; i < p->nentities; i++)
        for (size_t r = 0; r < p->entities[i].nrefs; r++)
            if (strcmp(p->entities[i].refs[r].entity, e->name) == 0)
                return true;
    return false;
}

/* An entity without an id map loads each row under its own key: the row of
 * key `key` in the target table (within tenant, when given) is the source row
 * of that key, loaded. Adds a step for it when it is there. */
static co_code find_in_target(co_session *s, const char *entity, const char *key,
                              const char *tenant, co_trace_result *out, co_error *err)
{
    const co_entity *e = co_project_entity(s->project, entity);
    if (!e || keeps_id_map(s->project, e) || !s->dest)
        return CO_OK;
    co_value vals[16];
    size_t n = 0;
    co_buf storage = CO_BUF_INIT, sql = CO_BUF_INIT;
    co_code rc = Co_key_decode(key, vals, 16, &n, &storage, err);
    if (rc == CO_OK && n != e->nkey) {
        Co_buf_release(&storage);
        return CO_OK; /* not a key of this entity: nothing to find */
    }
    co_param params[17];
    Co_buf_adds(&sql, "SELECT ");
    co_store_quote_ident(s->dest, e->tenant_column, &sql);
    Co_buf_adds(&sql, " FROM ");
    co_store_quote_ident(s->dest, e->target ? e->target : e->name, &sql);
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        Co_buf_adds(&sql, i ? " AND " : " WHERE ");
        co_store_quote_ident(s->dest, e->key[i], &sql);
        Co_buf_adds(&sql, " = ?");
        params[i] = (co_param){NULL, vals[i]};
    }
    size_t np = n;
    if (tenant) {
        Co_buf_adds(&sql, " AND CAST(");
        co_store_quote_ident(s->dest, e->tenant_column, &sql);
        Co_buf_adds(&sql, " AS TEXT) = ?");
        params[np++] = (co_param){NULL, co_text(tenant, strlen(tenant))};
    }
    if (rc == CO_OK && sql.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    co_cursor *c = NULL;
    if (rc == CO_OK)
        rc = co_store_query(s->dest, co_buf_str(&sql), params, np, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_trace_step *st = add_step(out, err);
        if (!st) {
            rc = CO_ENOMEM;
            break;
        }
        st->kind = CO_TRACE_LOADED;
        st->tenant = Co_value_text(co_cursor_value(c, 0));
        st->source_key = strdup(key);
        st->target_key = strdup(key);
        st->how = strdup("own key");
        if (!st->source_key || !st->target_key || !st->how)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    Co_buf_release(&sql);
    Co_buf_release(&storage);
    return rc;
}

co_code co_trace_source(co_session *s, const char *entity, const char *key, const char *tenant,
                        co_trace_result *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    co_code rc = collect(s, CO_KEYS_MERGED_FROM, entity, key, tenant, CO_TRACE_MERGED, out, err);
    if (rc == CO_OK && out->n == 0)
        rc = collect(s, CO_KEYS_LOADED_FROM, entity, key, tenant, CO_TRACE_LOADED, out, err);
    if (rc == CO_OK)
        rc = collect(s, CO_KEYS_REJECTED, entity, key, tenant, CO_TRACE_REJECTED, out, err);
    if (rc == CO_OK && out->n == 0)
        rc = find_in_target(s, entity, key, tenant, out, err);
    return rc;
}

co_code co_trace_target(co_session *s, const char *entity, const char *key, const char *tenant,
                        co_trace_result *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    /* Target keys are stored with each value's own type: match either form. */
    co_code rc = collect(s, CO_KEYS_LOADED_INTO, entity, key, tenant, CO_TRACE_LOADED, out, err);
    if (rc == CO_OK)
        rc = collect(s, CO_KEYS_MERGED_INTO, entity, key, tenant, CO_TRACE_MERGED, out, err);
    if (rc == CO_OK && out->n == 0)
        rc = find_in_target(s, entity, key, tenant, out, err);
    return rc;
}
