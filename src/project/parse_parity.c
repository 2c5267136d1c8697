/*
 * parse_parity.c: the parity section of the project file (shadow reads,
 * docs/coexistence.md): the application's read questions, each a pair of
 * queries (old over the source, new over the target) with optional fixed
 * parameters, a query over the source that gives parameter rows, declared
 * types of output columns and a budget; and the age a passing run may have
 * when a tenant's reads move.
 */
#include "project/fields.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

/* A mapping of text: text into two lists; say words both sides in messages. */
static co_code read_pairs(pwalk *w, struct fy_node *key, struct fy_node *val,
                          const char *const say[4], const char *shape, char ***names,
                          char ***values, size_t *n)
{
    co_mark at = Co_project_at(key, val);
    if (!Co_project_is(val, FYNT_MAPPING))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "\"%s\" must be a mapping of %s, "
                               "not %s", fy_node_get_scalar0(key), shape, Co_project_describe(val));
    return Co_project_two_lists(w, val, at, say, names, values, n);
}

static co_code set_params(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                          void *obj)
{
    (void)f;
    static const char *const say[4] = {"a parameter of \"params\"", "a parameter name",
                                       "a value of \"params\"", "a value"};
    co_parity_query *q = obj;
    co_code code = read_pairs(w, key, val, say, "name: value", &q->param_names,
                              &q->param_values, &q->nparams);
    for (size_t i = 0; code == CO_OK && i < q->nparams; i++)
        if (!Co_project_valid_name(q->param_names[i]) || strcmp(q->param_names[i], "tenant") == 0)
            code = Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                                   "parameter \"%s\" of parity query %s is invalid (expected a "
                                   "name other than tenant, bound as :NAME)",
                                   q->param_names[i], q->name ? q->name : "?");
    return code;
}

static void release_params(const pfield *f, void *obj)
{
    (void)f;
    co_parity_query *q = obj;
    Co_project_free_list(q->param_names, q->nparams);
    Co_project_free_list(q->param_values, q->nparams);
}

static co_code set_types(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                         void *obj)
{
    (void)f;
    static const char *const say[4] = {"a column of \"types\"", "a column name",
                                       "a type of \"types\"", "a SQL type"};
    co_parity_query *q = obj;
    return read_pairs(w, key, val, say, "column: type", &q->type_columns, &q->type_names,
                      &q->ntypes);
}

static void release_types(const pfield *f, void *obj)
{
    (void)f;
    co_parity_query *q = obj;
    Co_project_free_list(q->type_columns, q->ntypes);
    Co_project_free_list(q->type_names, q->ntypes);
}

static const pfield query_fields[] = {
    P_CHECKED("name", true, co_parity_query, name, "a name", Co_project_check_name),
    P_CHECKED("old", true, co_parity_query, old_sql, "a SQL query", Co_project_check_query),
    P_CHECKED("new", true, co_parity_query, new_sql, "a SQL query", Co_project_check_query),
    P_CUSTOM("params", false, set_params, release_params),
    P_CHECKED("each", false, co_parity_query, each, "a SQL query", Co_project_check_query),
    P_CUSTOM("types", false, set_types, release_types),
    P_SECONDS("budget", co_parity_query, budget, 0),
};

static co_code query_finish(pwalk *w, void *obj, co_mark at)
{
    co_parity_query *q = obj;
    if (!strstr(q->old_sql, ":tenant") || !strstr(q->new_sql, ":tenant"))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "parity query %s must use :tenant in both \"old\" and \"new\" "
                               "(each side answers for one tenant)",
                               q->name);
    return CO_OK;
}

static const psection query_section = {
    P_SECTION(query_fields), P_ITEM(co_parity_query), P_NAMED(co_parity_query, name),
    .context = "in parity query",
    .seq_shape = "{name, old, new, params, each, types, budget}",
    .item_shape = "(name, old, new, params, each, types, budget)",
    .min = 1, .finish = query_finish,
};

static const pfield parity_fields[] = {
    P_SECONDS("max_age", co_parity_spec, max_age, 3600),
    P_INT("samples", co_parity_spec, samples, 1, 100, 5),
    P_INT("max_rows", co_parity_spec, max_rows, 1, 1000000, 10000),
    P_SEQ("queries", true, co_parity_spec, queries, nqueries, query_section),
};

const psection co_project_parity = {
    P_SECTION(parity_fields), .context = "in parity", .bare = true,
    .shape = " (max_age, samples, max_rows, queries)",
};
