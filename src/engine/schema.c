/*
 * schema.c: the entities' target tables created where they are missing
 * (schema.h), from the declaration in the project's target (or staging).
 */
#include "cutover/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entities' target tables, each once, in entity order (pointers into p). */
static const char **entity_tables(const co_project *p, size_t *n)
{
    const char **names = calloc(p->nentities ? p->nentities : 1, sizeof *names);
    *n = 0;
    for (size_t i = 0; names && i < p->nentities; i++) {
        bool seen = false;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = strcmp(names[k], p->entities[i].target) == 0;
        if (!seen)
            names[(*n)++] = p->entities[i].target;
    }
    return names;
}

co_code co_schema_missing(const co_project *p, co_store *dest, char ***missing, size_t *n,
                          co_error *err)
{
    *missing = NULL;
    *n = 0;
    size_t ntables;
    const char **tables = entity_tables(p, &ntables);
    char **out = calloc(ntables ? ntables : 1, sizeof *out);
    if (!tables || !out) {
        free(tables);
        free(out);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_code rc = CO_OK;
    for (size_t i = 0; i < ntables && rc == CO_OK; i++)
        if (!co_store_has_table(dest, tables[i]) && !(out[(*n)++] = strdup(tables[i])))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    free(tables);
    if (rc != CO_OK) {
        co_names_free(out, *n);
        *n = 0;
        return rc;
    }
    *missing = out;
    return CO_OK;
}

co_code co_schema_create(const co_project *p, co_side from, co_store *dest, char ***created,
                         size_t *n, co_error *err)
{
    *created = NULL;
    *n = 0;
    const char *uri = from == CO_SIDE_STAGING ? p->staging : p->target;
    if (!uri)
        return co_error_set(err, CO_EPROJECT, "the project file names no %s database",
                            co_side_name(from));
    char **missing = NULL;
    size_t nmissing = 0;
    co_code rc = co_schema_missing(p, dest, &missing, &nmissing, err);
    if (rc != CO_OK || nmissing == 0) {
        co_names_free(missing, nmissing);
        return rc;
    }
    co_store *source = NULL;
    rc = co_store_open(uri, from, p->dir, &source, err);
    if (rc == CO_OK)
        rc = co_store_schema_copy(source, dest, (const char *const *)missing, nmissing, created,
                                  n, err);
    if (rc == CO_ENOTFOUND) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        rc = co_error_set(err, CO_ETARGET,
                          "%s: an entity loads into a table that the %s lacks too (%s); create "
                          "it there first",
                          co_side_name(co_store_side(dest)), co_side_name(from), why);
    }
    co_store_close(source);
    co_names_free(missing, nmissing);
    return rc;
}
