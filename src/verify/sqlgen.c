/*
 * sqlgen.c: the SQL verification runs on each side. The expected side is the
 * entity query itself, less the rows the journal rejected (cutover_keep with
 * the source's key filter); the actual side is the target table limited to
 * the tenant: by its tenant column, else through a reference to an entity
 * that has one, else by the keys of the tenant's id map (cutover_keep with the
 * target's key filter).
 */
#include "verify/verify_int.h"

#include <string.h>

co_param co_vparam_tenant(vctx *v)
{
    co_param p = {":tenant", v->t->value};
    return p;
}

static const co_rounding *rounding_of(const co_entity *e, const char *col)
{
    for (size_t i = 0; i < e->nrounding; i++)
        if (strcmp(e->rounding[i].column, col) == 0)
            return &e->rounding[i];
    return NULL;
}

void co_vsql_columns(vctx *v, co_store *st, bool for_hash, co_buf *out)
{
    for (size_t i = 0; i < v->ncols; i++) {
        if (i)
            co_buf_adds(out, ", ");
        const co_rounding *r = for_hash ? rounding_of(v->e, v->cols[i]) : NULL;
        if (r) {
            co_buf_adds(out, "round(");
            co_store_quote_ident(st, v->cols[i], out);
            co_buf_printf(out, ", %d)", r->digits);
        } else {
            co_store_quote_ident(st, v->cols[i], out);
        }
    }
}

void co_vsql_keys(vctx *v, co_store *st, co_buf *out)
{
    for (size_t k = 0; k < v->e->nkey; k++) {
        if (k)
            co_buf_adds(out, ", ");
        co_store_quote_ident(st, v->e->key[k], out);
    }
}

void co_vsql_expected(vctx *v, co_buf *out)
{
    co_buf_printf(out, "SELECT * FROM (%s\n) AS expected WHERE cutover_keep(", v->e->query);
    co_vsql_keys(v, v->s->source, out);
    co_buf_adds(out, ")");
}

/* The first ref of e whose entity has a tenant column, or NULL. */
static const co_ref *scoping_ref(const co_project *p, const co_entity *e, const co_entity **parent)
{
    for (size_t r = 0; r < e->nrefs; r++) {
        const co_entity *pe = co_project_entity(p, e->refs[r].entity);
        if (pe && pe->tenant_column && pe->nkey == 1) {
            *parent = pe;
            return &e->refs[r];
        }
    }
    return NULL;
}

void co_vsql_actual(vctx *v, co_buf *out)
{
    co_store *st = v->s->dest;
    co_buf_adds(out, "SELECT ");
    co_vsql_columns(v, st, false, out);
    co_buf_adds(out, " FROM ");
    co_store_quote_ident(st, v->e->target, out);
    co_buf_adds(out, " AS actual WHERE ");
    const co_entity *parent = NULL;
    const co_ref *ref;
    if (v->e->tenant_column) {
        co_store_quote_ident(st, v->e->tenant_column, out);
        co_buf_adds(out, " = :tenant");
    } else if ((ref = scoping_ref(v->s->project, v->e, &parent))) {
        co_store_quote_ident(st, ref->column, out);
        co_buf_adds(out, " IN (SELECT ");
        co_store_quote_ident(st, parent->key[0], out);
        co_buf_adds(out, " FROM ");
        co_store_quote_ident(st, parent->target, out);
        co_buf_adds(out, " WHERE ");
        co_store_quote_ident(st, parent->tenant_column, out);
        co_buf_adds(out, " = :tenant)");
    } else {
        co_buf_adds(out, "cutover_keep(");
        co_vsql_keys(v, st, out);
        co_buf_adds(out, ")");
    }
}

bool co_vsql_scoped_by_ids(const co_project *p, const co_entity *e)
{
    const co_entity *parent = NULL;
    return !e->tenant_column && !scoping_ref(p, e, &parent);
}
