/*
 * integrity.c: checks of the target alone, for the tenant's rows: keys are
 * unique, every reference resolves to a row of the same tenant, declared NOT
 * NULL columns hold no NULL, and text fits declared lengths (CHAR(n),
 * VARCHAR(n): SQLite keeps them as declarations only, so they are checked
 * here).
 */
#include "verify/verify_int.h"
#include "util/json.h"
#include "util/key.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Runs sql (params: the tenant) and turns every row into a finding: the first
 * nkey columns are the key, the next column (if any) goes into the detail. */
static co_code findings_of(vctx *v, const char *sql, const char *kind, size_t nkey,
                           const char *detail_name, int64_t *found)
{
    co_param tenant = co_vparam_tenant(v);
    co_cursor *c = NULL;
    co_code rc = co_store_query(v->s->dest, sql, &tenant, 1, &c, v->err);
    co_buf key = CO_BUF_INIT, detail = CO_BUF_INIT;
    co_value vals[65];
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        v->res->rows_fetched++;
        size_t n = co_cursor_ncols(c);
        for (size_t i = 0; i < nkey && i < 64; i++)
            vals[i] = co_cursor_value(c, i);
        co_buf_reset(&key);
        co_key_encode(&key, vals, nkey);
        co_buf_reset(&detail);
        co_buf_addc(&detail, '{');
        for (size_t i = nkey; i < n; i++) {
            co_value val = co_cursor_value(c, i);
            co_buf_adds(&detail, i > nkey ? "," : "");
            co_json_str(&detail, i == nkey ? detail_name : co_cursor_colname(c, i));
            co_buf_addc(&detail, ':');
            co_json_value(&detail, &val);
        }
        co_buf_addc(&detail, '}');
        rc = co_vfinding(v, CO_CHECK_INTEGRITY, (*found)++, kind, co_buf_str(&key),
                         co_buf_str(&detail));
        if (rc == CO_OK)
            rc = co_vscope_note(v, co_buf_str(&key));
    }
    co_buf_release(&key);
    co_buf_release(&detail);
    co_cursor_close(c);
    return rc;
}

static co_code duplicate_keys(vctx *v, int64_t *found)
{
    co_store *st = v->s->dest;
    co_buf sql = CO_BUF_INIT;
    co_buf_adds(&sql, "SELECT ");
    co_vsql_keys(v, st, &sql);
    co_buf_adds(&sql, ", count(*) FROM (");
    co_vsql_actual(v, &sql);
    co_buf_adds(&sql, ") AS side GROUP BY ");
    co_vsql_keys(v, st, &sql);
    co_buf_adds(&sql, " HAVING count(*) > 1");
    co_code rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                            : findings_of(v, co_buf_str(&sql), "duplicate_key", v->e->nkey,
                                          "rows", found);
    co_buf_release(&sql);
    return rc;
}

/* Rows whose reference has no row of the tenant in the referenced table. */
static co_code dangling_refs(vctx *v, int64_t *found)
{
    co_store *st = v->s->dest;
    co_code rc = CO_OK;
    for (size_t r = 0; r < v->e->nrefs && rc == CO_OK; r++) {
        const co_ref *ref = &v->e->refs[r];
        const co_entity *parent = co_project_entity(v->s->project, ref->entity);
        if (!parent || parent->nkey != 1)
            continue;
        /* Scoped: the entity's rows in the scope, and those that refer to a
         * parent row of the scope that went. */
        co_buf own = CO_BUF_INIT, wide = CO_BUF_INIT;
        bool was_scoped = v->scoped, all = false, none = true;
        int pi = co_project_entity_index(v->s->project, parent->name);
        if (v->scoped) {
            co_buf_printf(&wide, "(%s OR ", co_buf_str(&v->where_actual));
            rc = pi < 0 ? CO_OK
                        : co_vscope_gone_sql(v, (size_t)pi, ref->column, st, &wide, &all,
                                             &none);
            co_buf_addc(&wide, ')');
            if (rc != CO_OK) {
                co_buf_release(&wide);
                break;
            }
            if (all || pi < 0) {
                v->scoped = false;
            } else if (!none) {
                own = v->where_actual;
                v->where_actual = wide;
                wide = (co_buf)CO_BUF_INIT;
            }
        }
        co_buf sql = CO_BUF_INIT;
        co_buf_adds(&sql, "SELECT ");
        co_vsql_keys(v, st, &sql);
        co_buf_adds(&sql, ", side.");
        co_store_quote_ident(st, ref->column, &sql);
        co_buf_adds(&sql, " FROM (");
        co_vsql_actual(v, &sql);
        co_buf_adds(&sql, ") AS side WHERE side.");
        co_store_quote_ident(st, ref->column, &sql);
        co_buf_adds(&sql, " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ");
        co_store_quote_ident(st, parent->target, &sql);
        co_buf_adds(&sql, " AS parent WHERE parent.");
        co_store_quote_ident(st, parent->key[0], &sql);
        co_buf_adds(&sql, " = side.");
        co_store_quote_ident(st, ref->column, &sql);
        if (parent->tenant_column) {
            co_buf_adds(&sql, " AND parent.");
            co_store_quote_ident(st, parent->tenant_column, &sql);
            co_buf_adds(&sql, " = :tenant");
        }
        co_buf_adds(&sql, ")");
        /* Most often nothing dangles: the distinct referenced values are
         * looked up first (far fewer lookups than rows), and the rows are
         * read only when one of them has no parent. */
        co_buf probe = CO_BUF_INIT;
        co_buf_adds(&probe, "SELECT count(*) FROM (SELECT DISTINCT ");
        co_store_quote_ident(st, ref->column, &probe);
        co_buf_adds(&probe, " AS v FROM (");
        co_vsql_actual(v, &probe);
        co_buf_adds(&probe, ") AS side WHERE ");
        co_store_quote_ident(st, ref->column, &probe);
        co_buf_adds(&probe, " IS NOT NULL) AS d WHERE NOT EXISTS (SELECT 1 FROM ");
        co_store_quote_ident(st, parent->target, &probe);
        co_buf_adds(&probe, " AS parent WHERE parent.");
        co_store_quote_ident(st, parent->key[0], &probe);
        co_buf_adds(&probe, " = d.v");
        if (parent->tenant_column) {
            co_buf_adds(&probe, " AND parent.");
            co_store_quote_ident(st, parent->tenant_column, &probe);
            co_buf_adds(&probe, " = :tenant");
        }
        co_buf_adds(&probe, ")");
        int64_t dangling = 1;
        co_param tenant = co_vparam_tenant(v);
        if (!probe.failed)
            rc = co_store_query_int(st, co_buf_str(&probe), &tenant, 1, &dangling, NULL, v->err);
        co_buf_release(&probe);
        if (own.data) { /* the entity's own scope back */
            co_buf_release(&v->where_actual);
            v->where_actual = own;
        }
        v->scoped = was_scoped;
        co_buf_release(&wide);
        if (rc == CO_OK && dangling)
            rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                            : findings_of(v, co_buf_str(&sql), "dangling_ref", v->e->nkey,
                                          ref->column, found);
        co_buf_release(&sql);
    }
    return rc;
}

/* n from a declared type such as VARCHAR(100) or CHARACTER VARYING(64); 0 if none. */
static long declared_length(const char *type)
{
    char upper[64];
    size_t i = 0;
    for (; type[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char)toupper((unsigned char)type[i]);
    upper[i] = '\0';
    const char *paren = strchr(upper, '(');
    if (!strstr(upper, "CHAR") || !paren)
        return 0;
    char *end;
    long n = strtol(paren + 1, &end, 10);
    return (n > 0 && (*end == ')' || *end == ' ')) ? n : 0;
}

static bool is_output_column(vctx *v, const char *name)
{
    for (size_t i = 0; i < v->ncols; i++)
        if (strcmp(v->cols[i], name) == 0)
            return true;
    return false;
}

static co_code nulls_and_lengths(vctx *v, int64_t *found)
{
    co_store *st = v->s->dest;
    co_column *cols = NULL;
    size_t n = 0;
    co_code rc = co_store_columns(st, v->e->target, &cols, &n, v->err);
    for (size_t i = 0; i < n && rc == CO_OK; i++) {
        long len = declared_length(cols[i].decl_type);
        bool check_null = cols[i].notnull && !cols[i].primary_key;
        if ((!check_null && !len) || !is_output_column(v, cols[i].name))
            continue;
        co_buf sql = CO_BUF_INIT, col = CO_BUF_INIT;
        co_store_quote_ident(st, cols[i].name, &col);
        co_buf_adds(&sql, "SELECT ");
        co_vsql_keys(v, st, &sql);
        co_buf_printf(&sql, ", %s FROM (", co_buf_str(&col));
        co_vsql_actual(v, &sql);
        if (check_null && len)
            co_buf_printf(&sql, ") AS side WHERE %s IS NULL OR length(%s) > %ld", co_buf_str(&col),
                          co_buf_str(&col), len);
        else if (check_null)
            co_buf_printf(&sql, ") AS side WHERE %s IS NULL", co_buf_str(&col));
        else
            co_buf_printf(&sql, ") AS side WHERE length(%s) > %ld", co_buf_str(&col), len);
        rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                        : findings_of(v, co_buf_str(&sql), len ? "null_or_too_long" : "null",
                                      v->e->nkey, cols[i].name, found);
        co_buf_release(&sql);
        co_buf_release(&col);
    }
    co_columns_free(cols, n);
    return rc;
}

/* True when the entity's key is exactly the target table's primary key: the
 * database already keeps it unique. */
static bool key_is_primary(vctx *v)
{
    co_column *cols = NULL;
    size_t n = 0;
    co_error ignored;
    if (co_store_columns(v->s->dest, v->e->target, &cols, &n, &ignored) != CO_OK)
        return false;
    size_t pk = 0;
    bool all = true;
    for (size_t i = 0; i < n; i++) {
        if (!cols[i].primary_key)
            continue;
        pk++;
        bool in_key = false;
        for (size_t k = 0; k < v->e->nkey && !in_key; k++)
            in_key = strcmp(v->e->key[k], cols[i].name) == 0;
        all = all && in_key;
    }
    co_columns_free(cols, n);
    return all && pk == v->e->nkey;
}

co_code co_verify_integrity(vctx *v)
{
    int64_t found = 0;
    /* A duplicate may pair a row of the scope with one outside it: the
     * check looks at every row, unless no row of the entity changed. */
    bool was_scoped = v->scoped;
    bool untouched = v->scoped && v->untouched;
    v->scoped = false;
    co_code rc = key_is_primary(v) || untouched ? CO_OK : duplicate_keys(v, &found);
    v->scoped = was_scoped;
    if (rc == CO_OK)
        rc = dangling_refs(v, &found);
    if (rc == CO_OK)
        rc = nulls_and_lengths(v, &found);
    if (rc != CO_OK)
        return rc;
    if (found)
        return co_vcheck(v, CO_CHECK_INTEGRITY, false, 0, found, found,
                         "%lld rows break the target's rules (keys, references, NULLs, lengths)",
                         (long long)found);
    return co_vcheck(v, CO_CHECK_INTEGRITY, true, 0, 0, 0,
                     "keys unique, references resolve, NULLs and lengths hold");
}
