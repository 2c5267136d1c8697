/*
 * pg_reads.c: the columns a query reads on PostgreSQL (co_store_query_reads),
 * found without running it. SQLite tells them through its authorizer while it
 * prepares; PostgreSQL tells them in the query's plan: EXPLAIN (VERBOSE,
 * FORMAT JSON) of the generic plan (parameters unbound) names each scanned
 * table with its alias, and writes every column reference as alias.column in
 * the node's output, filters, conditions, sort and group keys. Each such
 * reference whose alias is a scanned table is reported as (table, column).
 * When the plan scans a single table, PostgreSQL leaves the alias out of the
 * output lists ("Output": ["id", "name"]): there, a bare name that is one of
 * that table's columns (not a function's, not a type after "::") is one of
 * its reads too. Columns the planner proves unneeded are not reported; names
 * are the server's (unquoted).
 */
#include "store/pg_int.h"
#include "util/grow.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct alias_map {
    char **alias, **relation;
    size_t n, cap;
} alias_map;

static void map_release(alias_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->alias[i]);
        free(m->relation[i]);
    }
    free(m->alias);
    free(m->relation);
}

static bool map_add(alias_map *m, const char *alias, const char *relation)
{
    size_t room = m->cap; /* both arrays grow to the same capacity */
    if (!CO_GROW(m->alias, room, m->n + 1, 8) || !CO_GROW(m->relation, m->cap, m->n + 1, 8))
        return false;
    m->alias[m->n] = strdup(alias);
    m->relation[m->n] = strdup(relation);
    if (!m->alias[m->n] || !m->relation[m->n]) {
        free(m->alias[m->n]);
        free(m->relation[m->n]);
        return false;
    }
    m->n++;
    return true;
}

static const char *map_get(const alias_map *m, const char *alias)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->alias[i], alias) == 0)
            return m->relation[i];
    return NULL;
}

/* Reads the JSON string at p (after its opening quote) into out, decoded;
 * returns the position after the closing quote. */
static const char *json_string(const char *p, co_buf *out)
{
    Co_buf_reset(out);
    while (*p && *p != '"') {
        if (*p != '\\') {
            Co_buf_addc(out, *p++);
            continue;
        }
        p++;
        switch (*p) {
        case 'n': Co_buf_addc(out, '\n'); break;
        case 't': Co_buf_addc(out, '\t'); break;
        case 'r': Co_buf_addc(out, '\r'); break;
        case 'b': Co_buf_addc(out, '\b'); break;
        case 'f': Co_buf_addc(out, '\f'); break;
        case 'u': {
            unsigned cp = 0;
            int k = 1;
            for (; k <= 4 && isxdigit((unsigned char)p[k]); k++)
                cp = cp * 16 + (unsigned)(isdigit((unsigned char)p[k]) ? p[k] - '0'
                                                                       : (tolower((unsigned char)p[k]) - 'a' + 10));
            p += k - 1;
            if (cp < 0x80) {
                Co_buf_addc(out, (char)cp);
            } else if (cp < 0x800) {
                Co_buf_addc(out, (char)(0xc0 | (cp >> 6)));
                Co_buf_addc(out, (char)(0x80 | (cp & 0x3f)));
            } else {
                Co_buf_addc(out, (char)(0xe0 | (cp >> 12)));
                Co_buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
                Co_buf_addc(out, (char)(0x80 | (cp & 0x3f)));
            }
            break;
        }
        case '\0': return p;
        default: Co_buf_addc(out, *p); break;
        }
        p++;
    }
    return *p ? p + 1 : p;
}

/* Reads an identifier (plain or "quoted") at p into out; NULL when none. */
static const char *identifier(const char *p, co_buf *out)
{
    Co_buf_reset(out);
    if (*p == '"') {
        p++;
        while (*p) {
            if (*p == '"' && p[1] == '"') {
                Co_buf_addc(out, '"');
                p += 2;
            } else if (*p == '"') {
                return p + 1;
            } else {
                Co_buf_addc(out, *p++);
            }
        }
        return p;
    }
    if (!(isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80))
        return NULL;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80)
        Co_buf_addc(out, *p++);
    return p;
}

/* The columns of the plan's only table, for its bare names. */
typedef struct bare_names {
    const char *relation;
    co_column *cols;
    size_t n;
} bare_names;

static bool is_column(const bare_names *b, const char *name)
{
    for (size_t i = 0; b && i < b->n; i++)
        if (strcmp(b->cols[i].name, name) == 0)
            return true;
    return false;
}

/* Reports every alias.column of expression text whose alias is a table, and
 * with bare (not NULL) every bare name that is a column of its table. */
static void scan_expression(const char *text, const alias_map *m, const bare_names *bare,
                            co_read_fn fn, void *ctx)
{
    co_buf a = CO_BUF_INIT, c = CO_BUF_INIT;
    const char *p = text;
    while (*p) {
        if (*p == '\'') { /* a literal: nothing in it is a column */
            p++;
            while (*p && !(*p == '\'' && p[1] != '\''))
                p += *p == '\'' ? 2 : 1;
            if (*p)
                p++;
            continue;
        }
        bool cast = p - text >= 2 && p[-1] == ':' && p[-2] == ':';
        bool qualified = p > text && p[-1] == '.';
        const char *after = identifier(p, &a);
        if (!after) {
            p++;
            continue;
        }
        p = after;
        if (*p != '.') {
            if (bare && !cast && !qualified && *p != '(' && !a.failed &&
                is_column(bare, co_buf_str(&a)))
                fn(ctx, bare->relation, co_buf_str(&a));
            continue;
        }
        const char *after_col = identifier(p + 1, &c);
        if (!after_col)
            continue;
        p = after_col;
        const char *relation = map_get(m, co_buf_str(&a));
        if (relation && !a.failed && !c.failed)
            fn(ctx, relation, co_buf_str(&c));
    }
    Co_buf_release(&a);
    Co_buf_release(&c);
}

/* Whether the plan's key holds expressions (where a bare name may be a
 * column) rather than a node's name, kind or strategy. */
static bool expression_key(const char *key)
{
    static const char *const keys[] = {"Output", "Filter", "Sort Key", "Presorted Key",
                                       "Group Key", "Index Cond", "Recheck Cond", "Join Filter",
                                       "Hash Cond", "Merge Cond", "One-Time Filter", "Hash Key",
                                       "Cache Key", "Order By", "Run Condition", "Function Call",
                                       "Table Function Call", "Conflict Filter", "TID Cond"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* Walks the plan's JSON: in pass 0 the scanned tables and their aliases
 * into m, in pass 1 every string value as an expression. */
static bool walk_plan(const char *json, int pass, alias_map *m, const bare_names *bare,
                      co_read_fn fn, void *ctx)
{
    co_buf str = CO_BUF_INIT, key = CO_BUF_INIT, relation = CO_BUF_INIT;
    bool ok = true;
    for (const char *p = json; *p && ok;) {
        if (*p == '{' || *p == '}') {
            Co_buf_reset(&relation);
            p++;
            continue;
        }
        if (*p != '"') {
            p++;
            continue;
        }
        p = json_string(p + 1, &str);
        const char *q = p;
        while (isspace((unsigned char)*q))
            q++;
        if (*q == ':') { /* a key */
            Co_buf_reset(&key);
            Co_buf_add(&key, str.data ? str.data : "", str.len);
            continue;
        }
        const char *k = co_buf_str(&key);
        if (pass == 0 && strcmp(k, "Relation Name") == 0) {
            Co_buf_reset(&relation);
            Co_buf_add(&relation, str.data ? str.data : "", str.len);
        } else if (pass == 0 && strcmp(k, "Alias") == 0 && relation.len) {
            ok = map_add(m, co_buf_str(&str), co_buf_str(&relation));
        } else if (pass == 1 && strcmp(k, "Relation Name") != 0 && strcmp(k, "Alias") != 0 &&
                   strcmp(k, "Schema") != 0) {
            scan_expression(co_buf_str(&str), m, expression_key(k) ? bare : NULL, fn, ctx);
        }
    }
    ok = ok && !str.failed && !key.failed && !relation.failed;
    Co_buf_release(&str);
    Co_buf_release(&key);
    Co_buf_release(&relation);
    return ok;
}

/* The plan's tables, then its reads (see the top of this file). */
static co_code report_reads(co_store *st, const char *json, co_read_fn fn, void *ctx,
                            co_error *err)
{
    alias_map m = {0};
    bare_names bare = {0};
    co_code rc = walk_plan(json, 0, &m, NULL, fn, ctx) ? CO_OK
                                                       : co_error_set(err, CO_ENOMEM, "out of memory");
    bool single = rc == CO_OK && m.n > 0;
    for (size_t i = 1; single && i < m.n; i++)
        single = strcmp(m.relation[i], m.relation[0]) == 0 && strcmp(m.alias[i], m.alias[0]) == 0;
    if (single) {
        co_error ignored;
        bare.relation = m.relation[0];
        if (co_store_columns(st, m.relation[0], &bare.cols, &bare.n, &ignored) != CO_OK)
            bare.n = 0;
    }
    if (rc == CO_OK && !walk_plan(json, 1, &m, single ? &bare : NULL, fn, ctx))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    co_columns_free(bare.cols, bare.n);
    map_release(&m);
    return rc;
}

/* Prepares the query, explains its generic plan, and forgets both. */
static co_code explain(pg_store *s, const char *sql, PGresult **plan, co_error *err)
{
    Co_pg_settle(s);
    PGresult *res = PQprepare(s->conn, "cutover_reads", sql, 0, NULL);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        co_code rc = Co_pg_fail(s, res, "query does not prepare", err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    res = PQdescribePrepared(s->conn, "cutover_reads");
    int nparams = res && PQresultStatus(res) == PGRES_COMMAND_OK ? PQnparams(res) : 0;
    PQclear(res);
    co_buf q = CO_BUF_INIT;
    Co_buf_adds(&q, "EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) EXECUTE cutover_reads");
    for (int i = 0; i < nparams; i++)
        Co_buf_adds(&q, i ? ", NULL" : "(NULL");
    if (nparams)
        Co_buf_addc(&q, ')');
    co_code rc = CO_OK;
    Co_pg_run_quietly(s, "SET plan_cache_mode = force_generic_plan");
    *plan = PQexec(s->conn, co_buf_str(&q));
    if (!*plan || PQresultStatus(*plan) != PGRES_TUPLES_OK || PQntuples(*plan) != 1)
        rc = Co_pg_fail(s, *plan, "cannot explain the query", err);
    Co_buf_release(&q);
    Co_pg_run_quietly(s, "RESET plan_cache_mode");
    Co_pg_run_quietly(s, "DEALLOCATE cutover_reads");
    return rc;
}

co_code Co_pg_query_reads(co_store *st, const char *sql, co_read_fn fn, void *ctx,
                          co_error *err)
{
    pg_store *s = pg_of(st);
    pg_sql q;
    co_code rc = Co_pg_sql_translate(s, sql, false, &q, err);
    if (rc != CO_OK)
        return rc;
    bool sp = Co_pg_savepoint(s, "cutover_reads", "query does not prepare", &rc, err);
    PGresult *plan = NULL;
    if (rc == CO_OK)
        rc = explain(s, co_buf_str(&q.text), &plan, err);
    Co_pg_savepoint_end(s, "cutover_reads", sp, rc);
    if (rc == CO_OK)
        rc = report_reads(st, PQgetvalue(plan, 0, 0), fn, ctx, err);
    PQclear(plan);
    Co_pg_sql_release(&q);
    return rc;
}
