/*
 * validate.c: the rules a value must follow beyond its YAML type (entity
 * names, connection URIs) and the checks that need the whole entity list
 * (unique names, refs that point backwards at a single-column key).
 */
#include "cutover/store.h"
#include "project/project_int.h"
#include "util/uri.h"

#include <stdio.h>
#include <string.h>

static bool is_alpha_(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool Co_project_valid_name(const char *s)
{
    if (!s || !is_alpha_(s[0]))
        return false;
    for (const char *c = s + 1; *c; c++)
        if (!is_alpha_(*c) && !is_digit(*c))
            return false;
    return true;
}

bool Co_project_uri_check(const char *uri, char *why, size_t cap)
{
    if (!uri || !*uri) {
        snprintf(why, cap, "is empty");
        return false;
    }
    const char *path = co_store_uri_file(uri);
    if (path) {
        if (!*path) {
            snprintf(why, cap, "names no file after \"sqlite:\"");
            return false;
        }
        return true;
    }
    if (co_store_uri_server(uri))
        return true;
    if (Co_uri_is_bare_path(uri)) {
        snprintf(why, cap, "has no scheme (did you mean sqlite:%s?)", uri);
        return false;
    }
    /* A scheme is letters, digits, '+', '-' and '.' before a ':' (RFC 3986);
     * only it is repeated, never the rest, which may hold a password. */
    size_t n = 0;
    while (uri[n] && (is_alpha_(uri[n]) || is_digit(uri[n]) || uri[n] == '+' || uri[n] == '-' ||
                      uri[n] == '.'))
        n++;
    if (n == 0 || uri[n] != ':' || n > 32)
        snprintf(why, cap, "has no scheme");
    else
        snprintf(why, cap, "has an unknown scheme \"%.*s\"", (int)n, uri);
    return false;
}

/* Checks entity i's refs against the entities before it. */
static co_code check_refs(const co_project *p, size_t i, const char *name, co_error *err)
{
    const co_entity *e = &p->entities[i];
    for (size_t r = 0; r < e->nrefs; r++) {
        const co_ref *ref = &e->refs[r];
        int j = co_project_entity_index(p, ref->entity);
        char column[80], entity[80];
        Co_project_shown(ref->column, strlen(ref->column), column, sizeof column);
        Co_project_shown(ref->entity, strlen(ref->entity), entity, sizeof entity);
        if (j < 0)
            return Co_project_fail(err, CO_EPROJECT, name, ref->mark,
                                   "refs of entity \"%s\": column \"%s\" refers to unknown "
                                   "entity \"%s\" (refs must name an earlier entity)",
                                   e->name, column, entity);
        if ((size_t)j == i)
            return Co_project_fail(err, CO_EPROJECT, name, ref->mark,
                                   "refs of entity \"%s\": column \"%s\" refers to the entity "
                                   "itself (refs must name an earlier entity)",
                                   e->name, column);
        if ((size_t)j > i)
            return Co_project_fail(err, CO_EPROJECT, name, ref->mark,
                                   "refs of entity \"%s\": column \"%s\" refers to entity \"%s\", "
                                   "which is loaded later (refs must name an earlier entity; "
                                   "move \"%s\" above \"%s\")",
                                   e->name, column, entity, entity, e->name);
        const co_entity *to = &p->entities[j];
        if (to->nkey != 1)
            return Co_project_fail(err, CO_EPROJECT, name, ref->mark,
                                   "refs of entity \"%s\": column \"%s\" refers to entity \"%s\", "
                                   "whose key has %zu columns (a referenced entity must have a "
                                   "single-column key)",
                                   e->name, column, entity, to->nkey);
    }
    return CO_OK;
}

co_code Co_project_check(const co_project *p, const char *name, co_error *err)
{
    for (size_t i = 0; i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        for (size_t j = 0; j < i; j++) {
            if (strcmp(p->entities[j].name, e->name) == 0)
                return Co_project_fail(err, CO_EPROJECT, name, e->mark,
                                       "entity name \"%s\" is used twice (first at line %d); "
                                       "entity names must be unique",
                                       e->name, p->entities[j].mark.line);
        }
    }
    for (size_t i = 0; i < p->nentities; i++) {
        co_code code = check_refs(p, i, name, err);
        if (code != CO_OK)
            return code;
        const co_entity *e = &p->entities[i];
        if (!e->source_table != !e->source_tenant_column)
            return Co_project_fail(err, CO_EPROJECT, name, e->mark,
                                   "entity \"%s\" declares %s without %s: the source table "
                                   "and its tenant column go together",
                                   e->name, e->source_table ? "source_table" : "source_tenant_column",
                                   e->source_table ? "source_tenant_column" : "source_table");
    }
    return CO_OK;
}

co_code Co_project_aftercare_check(const co_project *p, const char *name, co_error *err)
{
    for (size_t i = 0; i < p->monitor.nvolumes; i++) {
        const co_monitor_volume *v = &p->monitor.volumes[i];
        const co_entity *e = co_project_entity(p, v->entity);
        if (!e)
            return Co_project_fail(err, CO_EPROJECT, name, v->mark,
                                   "monitor.volumes names entity \"%s\", which the project "
                                   "does not define",
                                   v->entity);
        if (!e->tenant_column)
            return Co_project_fail(err, CO_EPROJECT, name, v->mark,
                                   "monitor.volumes: entity %s has no tenant_column, so its "
                                   "target rows cannot be counted per tenant",
                                   v->entity);
    }
    for (size_t i = 0; i < p->nbudgets; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->budgets[i].name, p->budgets[k].name) == 0)
                return Co_project_fail(err, CO_EPROJECT, name, p->budgets[i].mark,
                                       "budget name \"%s\" is used twice", p->budgets[i].name);
    for (size_t i = 0; i < p->parity.nqueries; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->parity.queries[i].name, p->parity.queries[k].name) == 0)
                return Co_project_fail(err, CO_EPROJECT, name, p->parity.queries[i].mark,
                                       "parity query name \"%s\" is used twice",
                                       p->parity.queries[i].name);
    for (size_t i = 0; i < p->napprovals; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->approvals[i].step, p->approvals[k].step) == 0)
                return Co_project_fail(err, CO_EPROJECT, name, p->approvals[i].mark,
                                       "approval step \"%s\" is listed twice",
                                       p->approvals[i].step);
    return CO_OK;
}
