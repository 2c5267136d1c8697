/*
 * orphans.c: every source row accounted for (verify.h, "Every source row
 * accounted for"). The rows of the source tables that the entity queries
 * read, but that no tenant's query returns because their tenant value is
 * NULL or names no tenant, are counted exactly, shown by example keys, and
 * matched against the project's `orphans` rules. The set of tenants is the
 * one the integrity check's foreign_tenant uses (Co_vknown_tenants).
 */
#include "verify/verify_int.h"
#include "cutover/state.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/key.h"
#include "util/grow.h"
#include "util/free.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXAMPLES 5

co_code Co_vknown_tenants(const co_tenant *tenants, size_t n, co_map *known, co_error *err)
{
    co_buf key = CO_BUF_INIT;
    co_code rc = CO_OK;
    for (size_t i = 0; i < n && rc == CO_OK; i++) {
        Co_buf_reset(&key);
        Co_key_encode(&key, &tenants[i].value, 1);
        if (key.failed || !Co_map_put(known, key.data, key.len, "", 0))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    Co_buf_release(&key);
    return rc;
}

/* ---- which table and column: from the query ---- */

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* The identifier that ends just before end (at or after start): "x", a."x",
 * into out (unquoted, cap bytes). */
static bool ident_before(const char *start, const char *end, char *out, size_t cap)
{
    const char *p = end;
    while (p > start && isspace((unsigned char)p[-1]))
        p--;
    const char *stop = p, *from;
    if (p > start && p[-1] == '"') {
        p--;
        from = p;
        while (from > start && from[-1] != '"')
            from--;
        if (from == start)
            return false;
        p = from;  /* the text between the quotes: [from, stop - 1) */
        stop--;
    } else {
        while (p > start && ident_char(p[-1]))
            p--;
        from = p;
    }
    size_t len = (size_t)(stop - from);
    if (len == 0 || len >= cap)
        return false;
    memcpy(out, from, len);
    out[len] = '\0';
    return true;
}

/* The identifier that starts at p (after blanks), the last part of a.b. */
static bool ident_after(const char *p, char *out, size_t cap)
{
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        const char *from = p;
        size_t len;
        if (*p == '"') {
            from = ++p;
            while (*p && *p != '"')
                p++;
            if (!*p)
                return false;
            len = (size_t)(p - from);
            p++;
        } else {
            while (ident_char(*p))
                p++;
            len = (size_t)(p - from);
        }
        if (len == 0 || len >= cap)
            return false;
        memcpy(out, from, len);
        out[len] = '\0';
        if (*p != '.')
            return true;
        p++;
    }
}

/* The column that the query compares with :tenant (COLUMN = :tenant or
 * :tenant = COLUMN), into out; false when there is none or several. */
static bool tenant_filter(const char *sql, char *out, size_t cap)
{
    bool found = false;
    char col[128];
    for (const char *p = strstr(sql, ":tenant"); p; p = strstr(p + 1, ":tenant")) {
        if (ident_char(p[7]) || (p > sql && p[-1] == ':'))
            continue;
        bool ok = false;
        const char *q = p;
        while (q > sql && isspace((unsigned char)q[-1]))
            q--;
        if (q > sql && q[-1] == '=' && !(q - 1 > sql && strchr("<>!", q[-2])))
            ok = ident_before(sql, q - 1, col, sizeof col);
        if (!ok) {
            const char *r = p + 7;
            while (isspace((unsigned char)*r))
                r++;
            if (*r == '=' && r[1] != '=')
                ok = ident_after(r + 1, col, sizeof col);
        }
        if (!ok)
            continue;
        if (found && strcasecmp(col, out) != 0)
            return false; /* two different columns: cannot tell */
        if (strlen(col) >= cap)
            return false;
        snprintf(out, cap, "%s", col);
        found = true;
    }
    return found;
}

typedef struct reads {
    const char *column;
    char tables[8][128];
    size_t n;
    bool many;
} reads;

static void on_read(void *ctx, const char *table, const char *column)
{
    reads *r = ctx;
    if (!column || strcasecmp(column, r->column) != 0)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->tables[i], table) == 0)
            return;
    if (r->n == 8 || strlen(table) >= sizeof r->tables[0]) {
        r->many = true;
        return;
    }
    snprintf(r->tables[r->n++], sizeof r->tables[0], "%s", table);
}

/* The source table and tenant column of e: declared, or found in its query.
 * false with why (cap bytes) when neither. */
static co_code entity_source(co_session *s, const co_entity *e, char *table, char *column,
                             size_t cap, bool *declared, char *why, size_t whycap,
                             co_error *err)
{
    *declared = false;
    table[0] = column[0] = why[0] = '\0';
    if (e->source_table) {
        snprintf(table, cap, "%s", e->source_table);
        snprintf(column, cap, "%s", e->source_tenant_column);
        *declared = true;
        return CO_OK;
    }
    if (!tenant_filter(e->query, column, cap)) {
        snprintf(why, whycap, "its query compares no one column with :tenant");
        return CO_OK;
    }
    reads r = {.column = column};
    co_error ignored;
    if (co_store_query_reads(s->source, e->query, on_read, &r, &ignored) != CO_OK || r.n == 0) {
        snprintf(why, whycap, "no table of its query has the column \"%s\"", column);
        column[0] = '\0';
        return CO_OK;
    }
    if (r.n > 1 || r.many) {
        snprintf(why, whycap, "several tables of its query have the column \"%s\"", column);
        column[0] = '\0';
        return CO_OK;
    }
    snprintf(table, cap, "%s", r.tables[0]);
    (void)err;
    return CO_OK;
}

/* ---- counting ---- */

/* The text a rule's tenant_value is compared with. */
static void value_text(const co_value *v, co_buf *out)
{
    switch (v->type) {
    case CO_INT: Co_buf_printf(out, "%lld", (long long)v->i); break;
    case CO_REAL: Co_buf_printf(out, "%.17g", v->r); break;
    case CO_TEXT:
    case CO_BLOB: Co_buf_add(out, v->s, v->len); break;
    default: break;
    }
}

/* The first rule that leaves out a row of table with tenant value v (NULL
 * for a NULL one), or -1. */
static int rule_for(const co_project *p, const char *table, const co_value *v)
{
    co_buf text = CO_BUF_INIT;
    if (v)
        value_text(v, &text);
    int found = -1;
    for (size_t i = 0; i < p->norphans && found < 0; i++) {
        const co_orphan_rule *r = &p->orphans[i];
        if (r->table && strcasecmp(r->table, table) != 0)
            continue;
        if (!v) {
            if (r->nulls)
                found = (int)i;
            continue;
        }
        if (r->unknown)
            found = (int)i;
        for (size_t k = 0; k < r->nvalues && found < 0; k++)
            if (strcmp(r->values[k], co_buf_str(&text)) == 0)
                found = (int)i;
    }
    Co_buf_release(&text);
    return found;
}

typedef struct counter {
    co_session *s;
    const co_project *p;
    co_orphans *o;
    co_error *err;
    co_store *st;
    const co_orphan_source *src;
    char **key_cols;
    size_t nkey;
} counter;

static co_orphan_group *group_for(counter *c, bool is_null, int rule)
{
    co_orphans *o = c->o;
    for (size_t i = 0; i < o->ngroups; i++) {
        co_orphan_group *g = &o->groups[i];
        if (strcmp(g->table, c->src->table) == 0 && strcmp(g->column, c->src->column) == 0 &&
            g->is_null == is_null && g->rule == rule)
            return g;
    }
    if (!CO_RESIZE(o->groups, o->ngroups + 1))
        return NULL;
    co_orphan_group *g = &o->groups[o->ngroups];
    memset(g, 0, sizeof *g);
    g->table = strdup(c->src->table);
    g->column = strdup(c->src->column);
    g->examples = strdup("[");
    g->is_null = is_null;
    g->rule = rule;
    if (!g->table || !g->column || !g->examples) {
        CO_FREE(g->table, g->column, g->examples);
        return NULL;
    }
    o->ngroups++;
    return g;
}

/* How many examples g holds (objects in its unfinished JSON array). */
static size_t examples_of(const co_orphan_group *g)
{
    size_t n = 0;
    for (const char *p = g->examples; (p = strstr(p, "{\"key\":")); p++)
        n++;
    return n;
}

/* Adds up to EXAMPLES keys of the rows whose tenant is v (NULL: NULL) to g. */
static co_code add_examples(counter *c, co_orphan_group *g, const co_value *v)
{
    size_t have = examples_of(g);
    if (have >= EXAMPLES)
        return CO_OK;
    co_buf sql = CO_BUF_INIT, ex = CO_BUF_INIT, key = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    for (size_t k = 0; k < c->nkey; k++) {
        Co_buf_adds(&sql, k ? ", " : "");
        co_store_quote_ident(c->st, c->key_cols[k], &sql);
    }
    Co_buf_adds(&sql, " FROM ");
    co_store_quote_ident(c->st, c->src->table, &sql);
    Co_buf_adds(&sql, " WHERE ");
    co_store_quote_ident(c->st, c->src->column, &sql);
    Co_buf_adds(&sql, v ? " = ?" : " IS NULL");
    Co_buf_adds(&sql, " ORDER BY ");
    for (size_t k = 0; k < c->nkey; k++) {
        Co_buf_adds(&sql, k ? ", " : "");
        co_store_quote_ident(c->st, c->key_cols[k], &sql);
    }
    Co_buf_printf(&sql, " LIMIT %zu", (size_t)EXAMPLES - have);
    co_param param = {NULL, v ? *v : co_null()};
    co_cursor *cur = NULL;
    co_code rc = sql.failed ? co_error_set(c->err, CO_ENOMEM, "out of memory")
                            : co_store_query(c->st, co_buf_str(&sql), &param, v ? 1 : 0, &cur,
                                             c->err);
    Co_buf_adds(&ex, g->examples);
    bool has_row;
    co_value vals[64];
    while (rc == CO_OK && (rc = co_cursor_next(cur, &has_row, c->err)) == CO_OK && has_row) {
        for (size_t k = 0; k < c->nkey && k < 64; k++)
            vals[k] = co_cursor_value(cur, k);
        Co_buf_reset(&key);
        Co_key_encode(&key, vals, c->nkey < 64 ? c->nkey : 64);
        Co_buf_adds(&ex, ex.len > 1 ? ",{\"key\":" : "{\"key\":");
        Co_buf_add(&ex, key.data, key.len);
        Co_buf_adds(&ex, ",\"tenant\":");
        co_value nul = co_null();
        Co_json_value(&ex, v ? v : &nul);
        Co_buf_addc(&ex, '}');
    }
    co_cursor_close(cur);
    if (rc == CO_OK && (ex.failed || key.failed))
        rc = co_error_set(c->err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK) {
        free(g->examples);
        g->examples = co_buf_detach(&ex);
    }
    Co_buf_release(&sql);
    Co_buf_release(&ex);
    Co_buf_release(&key);
    return rc;
}

/* The columns that name a row of table in examples: its primary key, else
 * its first column. */
static co_code key_columns(counter *c, co_error *err)
{
    co_column *cols = NULL;
    size_t n = 0;
    co_code rc = co_store_columns(c->st, c->src->table, &cols, &n, err);
    if (rc != CO_OK)
        return rc;
    c->key_cols = calloc(n ? n : 1, sizeof *c->key_cols);
    for (size_t i = 0; c->key_cols && i < n; i++)
        if (cols[i].primary_key)
            c->key_cols[c->nkey++] = strdup(cols[i].name);
    if (c->key_cols && c->nkey == 0 && n)
        c->key_cols[c->nkey++] = strdup(cols[0].name);
    co_columns_free(cols, n);
    for (size_t i = 0; c->key_cols && i < c->nkey; i++)
        if (!c->key_cols[i])
            return co_error_set(err, CO_ENOMEM, "out of memory");
    return c->key_cols ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

static void count_group(counter *c, co_orphan_group *g, int64_t rows)
{
    g->rows += rows;
    if (g->rule >= 0)
        c->o->excluded += rows;
    else
        c->o->rows += rows;
}

/* A value naming no tenant, kept until the GROUP BY's cursor is closed. */
typedef struct pending {
    co_value v;
    char *text;
    int rule;
} pending;

static co_code count_source(counter *c, const co_map *known)
{
    co_code rc = key_columns(c, c->err);
    co_buf sql = CO_BUF_INIT, col = CO_BUF_INIT, key = CO_BUF_INIT;
    co_store_quote_ident(c->st, c->src->column, &col);
    /* Every row, and those whose tenant is NULL. */
    Co_buf_adds(&sql, "SELECT count(*), count(*) - count(");
    Co_buf_add(&sql, col.data, col.len);
    Co_buf_adds(&sql, ") FROM ");
    co_store_quote_ident(c->st, c->src->table, &sql);
    co_cursor *cur = NULL;
    bool has_row = false;
    int64_t nulls = 0;
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(c->err, CO_ENOMEM, "out of memory")
                        : co_store_query(c->st, co_buf_str(&sql), NULL, 0, &cur, c->err);
    if (rc == CO_OK && (rc = co_cursor_next(cur, &has_row, c->err)) == CO_OK && has_row) {
        c->o->sources[c->o->nsources - 1].rows = co_cursor_value(cur, 0).i;
        nulls = co_cursor_value(cur, 1).i;
    }
    co_cursor_close(cur);
    cur = NULL;
    if (rc == CO_OK && nulls > 0) {
        co_orphan_group *g = group_for(c, true, rule_for(c->p, c->src->table, NULL));
        if (!g)
            rc = co_error_set(c->err, CO_ENOMEM, "out of memory");
        else {
            count_group(c, g, nulls);
            rc = add_examples(c, g, NULL);
        }
    }
    /* Each tenant value with its rows: those that name no tenant. */
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "SELECT %s, count(*) FROM ", co_buf_str(&col));
    co_store_quote_ident(c->st, c->src->table, &sql);
    Co_buf_printf(&sql, " WHERE %s IS NOT NULL GROUP BY %s", co_buf_str(&col), co_buf_str(&col));
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(c->err, CO_ENOMEM, "out of memory")
                        : co_store_query(c->st, co_buf_str(&sql), NULL, 0, &cur, c->err);
    pending *later = NULL;
    size_t nlater = 0;
    while (rc == CO_OK && (rc = co_cursor_next(cur, &has_row, c->err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(cur, 0);
        Co_buf_reset(&key);
        Co_key_encode(&key, &v, 1);
        if (Co_map_get(known, key.data, key.len, NULL, NULL))
            continue;
        int rule = rule_for(c->p, c->src->table, &v);
        co_orphan_group *g = group_for(c, false, rule);
        if (!g) {
            rc = co_error_set(c->err, CO_ENOMEM, "out of memory");
            break;
        }
        count_group(c, g, co_cursor_value(cur, 1).i);
        g->values++;
        /* Examples are read once the cursor is closed: keep a few values. */
        size_t kept = 0;
        for (size_t i = 0; i < nlater; i++)
            kept += later[i].rule == rule;
        if (kept >= EXAMPLES)
            continue;
        if (!CO_RESIZE(later, nlater + 1)) {
            rc = co_error_set(c->err, CO_ENOMEM, "out of memory");
            break;
        }
        pending *pv = &later[nlater++];
        pv->rule = rule;
        pv->v = v;
        pv->text = NULL;
        if (v.type == CO_TEXT || v.type == CO_BLOB) {
            pv->text = malloc(v.len + 1);
            if (!pv->text) {
                rc = co_error_set(c->err, CO_ENOMEM, "out of memory");
                break;
            }
            memcpy(pv->text, v.s, v.len);
            pv->text[v.len] = '\0';
            pv->v.s = pv->text;
        }
    }
    co_cursor_close(cur);
    for (size_t i = 0; rc == CO_OK && i < nlater; i++) {
        co_orphan_group *g = group_for(c, false, later[i].rule);
        rc = g ? add_examples(c, g, &later[i].v)
               : co_error_set(c->err, CO_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nlater; i++)
        free(later[i].text);
    free(later);
    Co_buf_release(&sql);
    Co_buf_release(&col);
    Co_buf_release(&key);
    return rc;
}

/* Adds e to the source (table, column), new or known. */
static co_code add_source(co_orphans *o, const char *table, const char *column,
                          const co_entity *e, bool declared, bool *is_new, co_error *err)
{
    *is_new = false;
    for (size_t i = 0; i < o->nsources; i++) {
        co_orphan_source *src = &o->sources[i];
        if (strcmp(src->table, table) != 0 || strcmp(src->column, column) != 0)
            continue;
        co_buf b = CO_BUF_INIT;
        Co_buf_printf(&b, "%s, %s", src->entities, e->name);
        if (b.failed) {
            Co_buf_release(&b);
            return co_error_set(err, CO_ENOMEM, "out of memory");
        }
        free(src->entities);
        src->entities = co_buf_detach(&b);
        src->declared = src->declared || declared;
        return CO_OK;
    }
    if (!CO_RESIZE(o->sources, o->nsources + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_orphan_source *src = &o->sources[o->nsources++];
    memset(src, 0, sizeof *src);
    src->table = strdup(table);
    src->column = strdup(column);
    src->entities = strdup(e->name);
    src->declared = declared;
    *is_new = true;
    return src->table && src->column && src->entities
               ? CO_OK
               : co_error_set(err, CO_ENOMEM, "out of memory");
}

co_code co_orphans_count(co_session *s, const co_tenant *tenants, size_t ntenants,
                         co_orphans *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    double start = Co_clock_mono();
    const co_project *p = s->project;
    co_map known;
    Co_map_init(&known);
    co_code rc = Co_vknown_tenants(tenants, ntenants, &known, err);
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        char table[128], column[128], why[200];
        bool declared, is_new = false;
        rc = entity_source(s, e, table, column, sizeof table, &declared, why, sizeof why, err);
        if (rc == CO_OK && !table[0]) {
            char **grown = realloc(out->unaccounted, (out->nunaccounted + 1) * sizeof *grown);
            if (grown)
                out->unaccounted = grown;
            co_buf b = CO_BUF_INIT;
            Co_buf_printf(&b, "%s: %s (declare source_table and source_tenant_column)", e->name,
                          why);
            if (!grown || b.failed) {
                Co_buf_release(&b);
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            } else {
                out->unaccounted[out->nunaccounted++] = co_buf_detach(&b);
            }
            continue;
        }
        if (rc == CO_OK)
            rc = add_source(out, table, column, e, declared, &is_new, err);
        if (rc != CO_OK || !is_new)
            continue;
        counter c = {.s = s, .p = p, .o = out, .err = err, .st = s->source,
                     .src = &out->sources[out->nsources - 1]};
        rc = count_source(&c, &known);
        for (size_t k = 0; k < c.nkey; k++)
            free(c.key_cols[k]);
        free(c.key_cols);
        if (rc != CO_OK)
            co_error_where(err, "rows of no tenant in %s.%s", table, column);
    }
    for (size_t i = 0; i < out->ngroups; i++) {
        co_orphan_group *g = &out->groups[i];
        size_t len = strlen(g->examples);
        char *closed = realloc(g->examples, len + 2);
        if (!closed) {
            rc = rc == CO_OK ? co_error_set(err, CO_ENOMEM, "out of memory") : rc;
            continue;
        }
        closed[len] = ']';
        closed[len + 1] = '\0';
        g->examples = closed;
    }
    Co_map_release(&known);
    out->seconds = Co_clock_mono() - start;
    if (rc != CO_OK)
        co_orphans_release(out);
    return rc;
}

void co_orphans_release(co_orphans *o)
{
    for (size_t i = 0; i < o->nsources; i++) {
        CO_FREE(o->sources[i].table, o->sources[i].column, o->sources[i].entities);
    }
    free(o->sources);
    for (size_t i = 0; i < o->ngroups; i++) {
        CO_FREE(o->groups[i].table, o->groups[i].column, o->groups[i].examples);
    }
    free(o->groups);
    for (size_t i = 0; i < o->nunaccounted; i++)
        free(o->unaccounted[i]);
    free(o->unaccounted);
    memset(o, 0, sizeof *o);
}

char *co_orphans_json(const co_orphans *o, const co_project *p)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_printf(&b, "{\"rows\":%lld,\"excluded\":%lld,\"sources\":[", (long long)o->rows,
                  (long long)o->excluded);
    for (size_t i = 0; i < o->nsources; i++) {
        const co_orphan_source *src = &o->sources[i];
        Co_json_field(&b, i ? ",{\"table\":" : "{\"table\":", src->table);
        Co_json_field(&b, ",\"column\":", src->column);
        Co_json_field(&b, ",\"entities\":", src->entities);
        Co_buf_printf(&b, ",\"found\":\"%s\",\"rows\":%lld}", src->declared ? "declared" : "query",
                      (long long)src->rows);
    }
    Co_buf_adds(&b, "],\"groups\":[");
    for (size_t i = 0; i < o->ngroups; i++) {
        const co_orphan_group *g = &o->groups[i];
        Co_json_field(&b, i ? ",{\"table\":" : "{\"table\":", g->table);
        Co_json_field(&b, ",\"column\":", g->column);
        Co_buf_printf(&b, ",\"tenant\":\"%s\",\"rows\":%lld,\"values\":%lld,\"examples\":%s",
                      g->is_null ? "null" : "unknown", (long long)g->rows,
                      (long long)g->values, g->examples);
        if (g->rule >= 0 && (size_t)g->rule < p->norphans) {
            Co_buf_printf(&b, ",\"excluded\":true,\"rule\":{\"index\":%d,\"line\":%d,\"reason\":",
                          g->rule + 1, p->orphans[g->rule].mark.line);
            Co_json_str(&b, p->orphans[g->rule].reason);
            Co_buf_adds(&b, "}}");
        } else {
            Co_buf_adds(&b, ",\"excluded\":false}");
        }
    }
    Co_buf_adds(&b, "],\"unaccounted\":[");
    Co_json_strs(&b, o->unaccounted, o->nunaccounted);
    Co_buf_printf(&b, "],\"seconds\":%.3f}", o->seconds);
    return Co_buf_take(&b);
}

co_code co_orphans_record(co_session *s, const co_orphans *o, const char *origin, co_error *err)
{
    size_t n = o->nsources + o->ngroups;
    co_state_orphan *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->nsources; i++)
        rows[i] = (co_state_orphan){.table = o->sources[i].table,
                                    .column = o->sources[i].column,
                                    .kind = "table",
                                    .rows = o->sources[i].rows};
    for (size_t i = 0; i < o->ngroups; i++) {
        const co_orphan_group *g = &o->groups[i];
        bool ruled = g->rule >= 0 && (size_t)g->rule < s->project->norphans;
        rows[o->nsources + i] = (co_state_orphan){
            .table = g->table,
            .column = g->column,
            .kind = g->is_null ? "null" : "unknown",
            .rows = g->rows,
            .values = g->values,
            .examples = g->examples,
            .rule = ruled ? g->rule + 1 : 0,
            .reason = ruled ? s->project->orphans[g->rule].reason : NULL};
    }
    co_code rc = co_state_orphans_replace(s->state, origin, rows, n, err);
    free(rows);
    return rc;
}
