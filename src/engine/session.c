/*
 * session.c: opening what a command works with (source, destination, journal),
 * listing tenants, and checking a project against its databases.
 */
#include "engine/session.h"
#include "cutover/traces.h"
#include "util/buf.h"
#include "util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void co_session_close(co_session *s)
{
    if (!s)
        return;
    co_store_close(s->source);
    co_store_close(s->dest);
    co_state_close(s->state);
    free(s);
}

co_code co_session_open(const co_project *p, unsigned flags, co_session **out, co_error *err)
{
    bool to_staging = flags & CO_SESSION_STAGING;
    *out = NULL;
    co_session *s = calloc(1, sizeof *s);
    if (!s)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    s->project = p;
    const char *dest_uri = to_staging ? p->staging : p->target;
    co_code rc = CO_OK;
    if (to_staging && !dest_uri)
        rc = co_error_set(err, CO_EPROJECT, "the project file names no staging database");
    bool journal_only = flags & CO_SESSION_JOURNAL_ONLY;
    if (rc == CO_OK && !journal_only)
        rc = co_store_open(p->source, CO_SIDE_SOURCE, p->dir, &s->source, err);
    if (rc == CO_OK && !journal_only)
        rc = co_store_open(dest_uri, to_staging ? CO_SIDE_STAGING : CO_SIDE_TARGET, p->dir,
                           &s->dest, err);
    if (rc == CO_OK)
        rc = co_state_open(p->state, p->dir, &s->state, err);
    if (rc == CO_OK && !(flags & CO_SESSION_READ_ONLY))
        rc = co_state_setup(s->state, p->hash, p->path, flags & CO_SESSION_START_OVER, err);
    if (rc == CO_OK && (flags & CO_SESSION_GUARD))
        rc = co_traces_guard(s, err);
    if (rc != CO_OK) {
        co_session_close(s);
        return rc;
    }
    *out = s;
    return CO_OK;
}

const co_project *co_session_project(const co_session *s) { return s->project; }
co_store *co_session_source(const co_session *s) { return s->source; }
co_store *co_session_dest(const co_session *s) { return s->dest; }
co_state *co_session_state(const co_session *s) { return s->state; }
void co_session_set_user(co_session *s, const char *user) { s->user = user; }
const co_tenants_left_out *co_session_left_out(const co_session *s)
{
    return &s->tenants_left_out;
}

void co_tenants_free(co_tenant *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].key);
        free(t[i].label);
    }
    free(t);
}

const co_tenant *co_tenant_find(const co_tenant *t, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].key, key) == 0)
            return &t[i];
    return NULL;
}

/* The tenant key as users type it. */
static char *key_text(const co_value *v)
{
    co_buf b = CO_BUF_INIT;
    switch (v->type) {
    case CO_INT: Co_buf_printf(&b, "%lld", (long long)v->i); break;
    case CO_REAL: Co_buf_printf(&b, "%.17g", v->r); break;
    case CO_TEXT: Co_buf_add(&b, v->s, v->len); break;
    default: return NULL;
    }
    return Co_buf_take(&b);
}

co_code co_tenants_list(co_session *s, co_tenant **out, size_t *n, co_error *err)
{
    *out = NULL;
    *n = 0;
    co_cursor *c;
    co_code rc = co_store_query(s->source, s->project->tenants_query, NULL, 0, &c, err);
    if (rc != CO_OK) {
        co_error_where(err, "tenants query");
        return rc;
    }
    co_tenant *arr = NULL;
    size_t count = 0, cap = 0;
    bool has_row;
    memset(&s->tenants_left_out, 0, sizeof s->tenants_left_out);
    if (co_cursor_ncols(c) > 0)
        snprintf(s->tenants_left_out.key_column, sizeof s->tenants_left_out.key_column, "%s",
                 co_cursor_colname(c, 0));
    while ((rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value key = co_cursor_value(c, 0);
        /* A NULL key names no tenant: left out and counted, for the user to see. */
        if (key.type == CO_NULL) {
            s->tenants_left_out.null_keys++;
            continue;
        }
        if (key.type != CO_INT && key.type != CO_TEXT && key.type != CO_REAL) {
            rc = co_error_set(err, CO_EPROJECT,
                              "the tenants query returned a %s key in row %zu; keys must be "
                              "integers or text",
                              co_type_name(key.type), count + 1);
            break;
        }
        /* A key is carried as text everywhere: a NUL would cut it short, and
         * the tenant would be moved with none of its rows. */
        if (key.type == CO_TEXT && memchr(key.s, '\0', key.len)) {
            co_buf shown = CO_BUF_INIT;
            for (size_t i = 0; i < key.len && i < 80; i++) {
                unsigned char ch = (unsigned char)key.s[i];
                if (ch < 32 || ch == '"' || ch == '\\')
                    Co_buf_printf(&shown, "\\x%02x", ch);
                else
                    Co_buf_addc(&shown, (char)ch);
            }
            rc = co_error_set(err, CO_EPROJECT,
                              "the tenants query returned the key \"%s\"%s in row %zu, which holds "
                              "a NUL byte: cutover refuses it rather than cut it at the NUL "
                              "(change the tenants query, for example with replace())",
                              co_buf_str(&shown), key.len > 80 ? "..." : "", count + 1);
            Co_buf_release(&shown);
            break;
        }
        if (!CO_GROW(arr, cap, count + 1, 64)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        co_tenant *t = &arr[count];
        memset(t, 0, sizeof *t);
        t->key = key_text(&key);
        if (co_cursor_ncols(c) > 1) {
            co_value label = co_cursor_value(c, 1);
            if (label.type != CO_NULL)
                t->label = key_text(&label);
        }
        count++;
        if (!t->key) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        t->value = key.type == CO_TEXT ? co_text(t->key, strlen(t->key)) : key;
        if (co_tenant_find(arr, count - 1, t->key)) {
            /* A repeated key is the same tenant: listed once, counted. */
            if (s->tenants_left_out.repeated++ == 0)
                snprintf(s->tenants_left_out.repeated_key,
                         sizeof s->tenants_left_out.repeated_key, "%s", t->key);
            count--;
            free(t->key);
            free(t->label);
            continue;
        }
    }
    co_cursor_close(c);
    if (rc == CO_OK)
        rc = co_state_begin(s->state, err);
    for (size_t i = 0; rc == CO_OK && i < count; i++)
        rc = co_state_tenant_seen(s->state, arr[i].key, arr[i].label, err);
    if (rc == CO_OK)
        rc = co_state_commit(s->state, err);
    if (rc != CO_OK) {
        co_state_rollback(s->state);
        co_tenants_free(arr, count);
        return rc;
    }
    *out = arr;
    *n = count;
    return CO_OK;
}

/* True when name is among the columns. */
static bool has_column(const co_column *cols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i].name, name) == 0)
            return true;
    return false;
}

/* A duplicates rule's own query prepares on the source and gives its columns. */
static co_code check_dup_query(co_session *s, const co_dup_rule *r, co_error *err)
{
    co_param tenant = {":tenant", co_null()};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s->source, r->query, &tenant, 1, &c, err);
    for (size_t k = 0; rc == CO_OK && k < r->ncolumns; k++) {
        bool found = false;
        for (size_t i = 0; i < co_cursor_ncols(c) && !found; i++)
            found = strcmp(co_cursor_colname(c, i), r->columns[k].column) == 0;
        if (!found)
            rc = co_error_set(err, CO_EPROJECT,
                              "column \"%s\" of duplicates rule \"%s\" is not among its "
                              "query's columns",
                              r->columns[k].column, r->name);
    }
    co_cursor_close(c);
    if (rc != CO_OK)
        co_error_where(err, "duplicates rule %s", r->name);
    return rc;
}

/* Checks one entity: the query prepares, its columns exist in the destination,
 * and the key, refs and tenant column name output columns. */
static co_code check_entity(co_session *s, const co_entity *e, co_error *err)
{
    co_column *cols = NULL;
    size_t ncols = 0;
    co_code rc = co_store_columns(s->dest, e->target, &cols, &ncols, err);
    if (rc != CO_OK)
        return rc;
    /* Preparing through a cursor gives the output columns without stepping. */
    co_param tenant = {":tenant", co_null()};
    co_cursor *c = NULL;
    rc = co_store_query(s->source, e->query, &tenant, 1, &c, err);
    if (rc == CO_OK) {
        size_t n = co_cursor_ncols(c);
        for (size_t i = 0; i < n && rc == CO_OK; i++) {
            const char *name = co_cursor_colname(c, i);
            /* With a target_key, a source key column stays in the id map. */
            bool kept = false;
            for (size_t k = 0; e->target_key && k < e->nkey && !kept; k++)
                kept = strcmp(e->key[k], name) == 0;
            if (!kept && !has_column(cols, ncols, name))
                rc = co_error_set(err, CO_ETARGET,
                                  "%s: the query's column \"%s\" has no column of that name in "
                                  "table \"%s\"",
                                  co_side_name(co_store_side(s->dest)), name, e->target);
        }
        for (size_t k = 0; k < e->nkey && rc == CO_OK; k++) {
            bool found = false;
            for (size_t i = 0; i < n && !found; i++)
                found = strcmp(co_cursor_colname(c, i), e->key[k]) == 0;
            if (!found)
                rc = co_error_set(err, CO_EPROJECT, "key column \"%s\" is not among the query's columns",
                                  e->key[k]);
        }
        for (size_t r = 0; r < e->nrefs && rc == CO_OK; r++) {
            bool found = false;
            for (size_t i = 0; i < n && !found; i++)
                found = strcmp(co_cursor_colname(c, i), e->refs[r].column) == 0;
            if (!found)
                rc = co_error_set(err, CO_EPROJECT, "refs column \"%s\" is not among the query's columns",
                                  e->refs[r].column);
        }
        /* volume and verify.round name output columns too. */
        const char *named[130];
        size_t nnamed = 0;
        for (size_t b = 0; e->volume && b < e->volume->nby && nnamed < 64; b++)
            named[nnamed++] = e->volume->by[b];
        if (e->volume)
            named[nnamed++] = e->volume->time;
        for (size_t r = 0; r < e->nrounding && nnamed < 130; r++)
            named[nnamed++] = e->rounding[r].column;
        for (size_t d = 0; d < e->nduplicates; d++)
            for (size_t k = 0; !e->duplicates[d].query && k < e->duplicates[d].ncolumns &&
                               nnamed < 130; k++)
                named[nnamed++] = e->duplicates[d].columns[k].column;
        for (size_t k = 0; k < nnamed && rc == CO_OK; k++) {
            bool found = false;
            for (size_t i = 0; i < n && !found; i++)
                found = strcmp(co_cursor_colname(c, i), named[k]) == 0;
            if (!found)
                rc = co_error_set(err, CO_EPROJECT,
                                  "column \"%s\" (in volume, verify or duplicates) is not among "
                                  "the query's columns",
                                  named[k]);
        }
        bool tenant_in_output = false;
        for (size_t i = 0; e->tenant_column && i < n && !tenant_in_output; i++)
            tenant_in_output = strcmp(co_cursor_colname(c, i), e->tenant_column) == 0;
        if (rc == CO_OK && e->tenant_column && !tenant_in_output)
            rc = co_error_set(err, CO_EPROJECT,
                              "tenant_column \"%s\" is not among the query's columns (the "
                              "query must give each row its tenant)",
                              e->tenant_column);
        if (rc == CO_OK && e->target_key && !has_column(cols, ncols, e->target_key))
            rc = co_error_set(err, CO_ETARGET, "target_key \"%s\" is not a column of table \"%s\"",
                              e->target_key, e->target);
        if (rc == CO_OK && e->tenant_column && !has_column(cols, ncols, e->tenant_column))
            rc = co_error_set(err, CO_ETARGET, "tenant_column \"%s\" is not a column of table \"%s\"",
                              e->tenant_column, e->target);
        co_cursor_close(c);
    }
    co_columns_free(cols, ncols);
    for (size_t d = 0; rc == CO_OK && d < e->nduplicates; d++)
        if (e->duplicates[d].query)
            rc = check_dup_query(s, &e->duplicates[d], err);
    return rc;
}

co_code co_session_check(co_session *s, co_error *err)
{
    for (size_t i = 0; i < s->project->nentities; i++) {
        const co_entity *e = &s->project->entities[i];
        co_code rc = check_entity(s, e, err);
        if (rc != CO_OK) {
            co_error_where(err, "entity %s (%s:%d)", e->name, s->project->path, e->mark.line);
            return rc;
        }
    }
    return CO_OK;
}
