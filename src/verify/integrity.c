/*
 * integrity.c: checks of the target alone, for the tenant's rows: keys are
 * unique, every reference resolves to a row of the same tenant (a reference to
 * another tenant's row is foreign_tenant, to no row dangling_ref), declared
 * NOT NULL columns hold no NULL, and text fits declared lengths (CHAR(n),
 * VARCHAR(n): SQLite keeps them as declarations only, so they are checked
 * here), and every UNIQUE, CHECK and FOREIGN KEY constraint the target
 * declares holds for them (constraints.c). When asked (co_verify_options.known_tenants), also the rows whose
 * tenant column names no tenant of the source.
 */
#include "verify/verify_int.h"
#include "util/fmt.h"
#include "util/json.h"
#include "util/key.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

co_code Co_vnoted_finding(vctx *v, int64_t *found, const char *kind, const co_buf *key,
                          const co_buf *detail)
{
    if (key->failed || detail->failed)
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    co_code rc = Co_vfinding(v, CO_CHECK_INTEGRITY, (*found)++, kind, co_buf_str(key),
                             co_buf_str(detail));
    return rc == CO_OK ? Co_vscope_note(v, co_buf_str(key)) : rc;
}

/* Runs sql (params: the tenant) and turns every row into a finding: the first
 * nkey columns are the key, the next column (if any) goes into the detail as
 * detail_name, the others (when not NULL) under their own names. With
 * alt_kind, a row whose last column is not NULL is of that kind. */
static co_code findings_as(vctx *v, const char *sql, const char *kind, const char *alt_kind,
                           size_t nkey, const char *detail_name, int64_t *found)
{
    co_param tenant = Co_vparam_tenant(v);
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
        Co_buf_reset(&key);
        Co_key_encode(&key, vals, nkey);
        Co_buf_reset(&detail);
        Co_buf_addc(&detail, '{');
        for (size_t i = nkey; i < n; i++) {
            co_value val = co_cursor_value(c, i);
            if (i > nkey && val.type == CO_NULL)
                continue;
            Co_json_field(&detail, i > nkey ? "," : "",
                          i == nkey ? detail_name : co_cursor_colname(c, i));
            Co_buf_addc(&detail, ':');
            Co_json_value(&detail, &val);
        }
        Co_buf_addc(&detail, '}');
        bool alt = alt_kind && n > nkey && co_cursor_value(c, n - 1).type != CO_NULL;
        rc = Co_vnoted_finding(v, found, alt ? alt_kind : kind, &key, &detail);
    }
    Co_buf_release(&key);
    Co_buf_release(&detail);
    co_cursor_close(c);
    return rc;
}

static co_code findings_of(vctx *v, const char *sql, const char *kind, size_t nkey,
                           const char *detail_name, int64_t *found)
{
    return findings_as(v, sql, kind, NULL, nkey, detail_name, found);
}

static co_code duplicate_keys(vctx *v, int64_t *found)
{
    co_store *st = v->s->dest;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    Co_vsql_keys(v, st, &sql);
    Co_buf_adds(&sql, ", count(*) FROM (");
    Co_vsql_actual(v, &sql);
    Co_buf_adds(&sql, ") AS side GROUP BY ");
    Co_vsql_keys(v, st, &sql);
    Co_buf_adds(&sql, " HAVING count(*) > 1");
    co_code rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                            : findings_of(v, co_buf_str(&sql), "duplicate_key", v->e->nkey,
                                          "rows", found);
    Co_buf_release(&sql);
    return rc;
}

/* Appends NOT EXISTS (a row of parent's target, of the tenant when it has a
 * tenant column, whose key is value). */
static void no_parent_sql(co_store *st, const co_entity *parent, const char *value, co_buf *out)
{
    Co_buf_adds(out, "NOT EXISTS (SELECT 1 FROM ");
    co_store_quote_ident(st, parent->target, out);
    Co_buf_adds(out, " AS parent WHERE parent.");
    co_store_quote_ident(st, co_entity_target_column(parent), out);
    Co_buf_printf(out, " = %s", value);
    if (parent->tenant_column) {
        Co_buf_adds(out, " AND parent.");
        co_store_quote_ident(st, parent->tenant_column, out);
        Co_buf_adds(out, " = :tenant");
    }
    Co_buf_addc(out, ')');
}

/* A scoped check of one reference also looks at the rows that refer to a
 * parent row of the scope that went: v's scope is widened to them (the old
 * one kept in *own), or dropped when the parent's scope is not a list of its
 * keys. restore_scope undoes either. */
static co_code widen_scope(vctx *v, const co_entity *parent, const co_ref *ref, co_buf *own)
{
    if (!v->scoped)
        return CO_OK;
    int pi = co_project_entity_index(v->s->project, parent->name);
    if (pi < 0) {
        v->scoped = false;
        return CO_OK;
    }
    co_buf wide = CO_BUF_INIT;
    bool all = false, none = true;
    Co_buf_printf(&wide, "(%s OR ", co_buf_str(&v->where_actual));
    co_code rc = Co_vscope_gone_sql(v, (size_t)pi, ref->column, v->s->dest, &wide, &all, &none);
    Co_buf_addc(&wide, ')');
    if (rc == CO_OK && all) {
        v->scoped = false;
    } else if (rc == CO_OK && !none) {
        *own = v->where_actual;
        v->where_actual = wide;
        return CO_OK;
    }
    Co_buf_release(&wide);
    return rc;
}

static void restore_scope(vctx *v, bool was_scoped, co_buf *own)
{
    if (own->data) {
        Co_buf_release(&v->where_actual);
        v->where_actual = *own;
        *own = (co_buf)CO_BUF_INIT;
    }
    v->scoped = was_scoped;
}

/* The parent of ref r of v's entity whose references are checked (its key
 * is one column), or NULL. */
static const co_entity *checked_parent(vctx *v, size_t r)
{
    const co_entity *parent = co_project_entity(v->s->project, v->e->refs[r].entity);
    return parent && parent->nkey == 1 ? parent : NULL;
}

/* Appends the number of distinct values of column (quoted) in rows_sql (a
 * table or a parenthesized query, named side) that no row of parent's of
 * the tenant has as its key. */
static void no_parent_count_sql(co_store *st, const co_entity *parent, const char *column,
                                const char *rows_sql, co_buf *out)
{
    Co_buf_printf(out, "SELECT count(*) FROM (SELECT DISTINCT %s AS v FROM %s AS side WHERE %s "
                  "IS NOT NULL) AS d WHERE ", column, rows_sql, column);
    no_parent_sql(st, parent, "d.v", out);
}

/* Appends " LEFT JOIN (the distinct keys of parent's rows of the tenant) AS
 * alias ON alias.cutover_v = rows.column": a row of rows whose column is set
 * and whose alias.cutover_v is NULL names no parent row of the tenant (a
 * name no target column takes, as the NOT NULL and CHECK tests beside name
 * the columns unqualified). */
static void parent_keys_join(co_store *st, const co_entity *parent, const char *alias,
                             const char *rows, const char *column, co_buf *out)
{
    Co_buf_adds(out, " LEFT JOIN (SELECT DISTINCT parent.");
    co_store_quote_ident(st, co_entity_target_column(parent), out);
    Co_buf_adds(out, " AS cutover_v FROM ");
    co_store_quote_ident(st, parent->target, out);
    Co_buf_adds(out, " AS parent");
    if (parent->tenant_column) {
        Co_buf_adds(out, " WHERE parent.");
        co_store_quote_ident(st, parent->tenant_column, out);
        Co_buf_adds(out, " = :tenant");
    }
    Co_buf_printf(out, ") AS %s ON %s.cutover_v = %s.%s", alias, alias, rows, column);
}

/* The pass over the tenant's rows for NULLs in NOT NULL columns, text past
 * its declared length and the table's CHECKs: its count items, over the rows
 * named as the target table (where CHECKs name their columns), and, once
 * run (on its own or inside the references' statement), its counts. */
typedef struct row_pass {
    co_buf items;   /* "count(CASE WHEN <null or long> THEN 1 END), count(...) | 0" */
    size_t nconds;  /* NULL and length tests in the first item */
    size_t nchecks; /* CHECKs in the second */
    bool counted;   /* nulls and failing hold the counts */
    int64_t nulls, failing;
} row_pass;

static co_code row_pass_items(vctx *v, bool checks, row_pass *p);

/* When not limited to a scope: every reference checked of the entity in one
 * statement, one read of the tenant's rows joined to each parent's keys of
 * the tenant (the database hashes them once, rather than probing per value),
 * each reference's number of rows that name no parent of the tenant into
 * dangling[r] (*done; otherwise each is probed on its own). */
static co_code dangling_counts(vctx *v, int64_t *dangling, bool *done, row_pass *pass)
{
    *done = false;
    size_t nchecked = 0;
    for (size_t r = 0; r < v->e->nrefs; r++)
        nchecked += checked_parent(v, r) ? 1 : 0;
    if (nchecked == 0 || v->scoped || v->e->nrefs > 64)
        return CO_OK;
    co_store *st = v->s->dest;
    co_buf sql = CO_BUF_INIT, joins = CO_BUF_INIT, column = CO_BUF_INIT, rows = CO_BUF_INIT;
    /* the rows as the target table, for the row pass folded in (one read of
     * the tenant's rows less) */
    co_store_quote_ident(st, v->e->target, &rows);
    bool fold = pass->nconds || pass->nchecks;
    Co_buf_adds(&sql, "SELECT ");
    for (size_t r = 0, k = 0; r < v->e->nrefs; r++) {
        const co_entity *parent = checked_parent(v, r);
        if (!parent)
            continue;
        Co_buf_reset(&column);
        co_store_quote_ident(st, v->e->refs[r].column, &column);
        char alias[24];
        snprintf(alias, sizeof alias, "cutover_p%zu", k);
        Co_buf_printf(&sql, "%scount(CASE WHEN %s.%s IS NOT NULL AND %s.cutover_v IS NULL THEN 1 END)",
                      k++ ? ", " : "", co_buf_str(&rows), co_buf_str(&column), alias);
        parent_keys_join(st, parent, alias, co_buf_str(&rows), co_buf_str(&column), &joins);
    }
    if (fold)
        Co_buf_printf(&sql, ", %s", co_buf_str(&pass->items));
    Co_buf_adds(&sql, " FROM (");
    Co_vsql_actual_rows(v, &sql);
    Co_buf_printf(&sql, ") AS %s%s", co_buf_str(&rows), co_buf_str(&joins));
    co_param tenant = Co_vparam_tenant(v);
    co_cursor *c = NULL;
    bool has_row = false;
    co_code rc = sql.failed || joins.failed || column.failed || rows.failed
                     ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                     : co_store_query_whole(st, co_buf_str(&sql), &tenant, 1, &c, v->err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, v->err);
    size_t k = 0;
    for (size_t r = 0; rc == CO_OK && has_row && r < v->e->nrefs; r++) {
        if (!checked_parent(v, r))
            continue;
        co_value n = co_cursor_value(c, k++);
        dangling[r] = n.type == CO_INT ? n.i : 1; /* anything else: look */
    }
    *done = rc == CO_OK && has_row;
    if (*done && fold) {
        co_value nulls = co_cursor_value(c, k), failing = co_cursor_value(c, k + 1);
        pass->nulls = nulls.type == CO_INT ? nulls.i : 1; /* anything else: look */
        pass->failing = failing.type == CO_INT ? failing.i : 1;
        pass->counted = true;
    }
    v->res->rows_fetched += *done ? 1 : 0;
    co_cursor_close(c);
    Co_buf_release(&sql);
    Co_buf_release(&joins);
    Co_buf_release(&column);
    Co_buf_release(&rows);
    return rc;
}

/* Rows whose reference has no row of the tenant in the referenced table:
 * foreign_tenant when the row it names is another tenant's (its tenant in
 * the detail), dangling_ref when there is none. */
static co_code dangling_refs(vctx *v, row_pass *pass, int64_t *found)
{
    co_store *st = v->s->dest;
    int64_t counted[64];
    for (size_t i = 0; i < 64; i++)
        counted[i] = 1; /* not counted: look */
    bool all_counted = false;
    co_code rc = dangling_counts(v, counted, &all_counted, pass);
    for (size_t r = 0; r < v->e->nrefs && rc == CO_OK; r++) {
        const co_ref *ref = &v->e->refs[r];
        const co_entity *parent = checked_parent(v, r);
        if (!parent)
            continue;
        co_buf own = CO_BUF_INIT, column = CO_BUF_INIT;
        bool was_scoped = v->scoped;
        rc = widen_scope(v, parent, ref, &own);
        if (rc != CO_OK)
            break;
        co_store_quote_ident(st, ref->column, &column);
        /* Most often every reference resolves within the tenant: the
         * distinct referenced values are looked up first (far fewer lookups
         * than rows), and the rows are read only when one has no parent of
         * the tenant (none at all: dangling; another tenant's: foreign). */
        int64_t dangling = 1;
        if (all_counted) {
            dangling = counted[r];
        } else {
            co_buf probe = CO_BUF_INIT, rows = CO_BUF_INIT;
            Co_buf_addc(&rows, '(');
            Co_vsql_actual(v, &rows);
            Co_buf_addc(&rows, ')');
            no_parent_count_sql(st, parent, co_buf_str(&column), co_buf_str(&rows), &probe);
            co_param tenant = Co_vparam_tenant(v);
            rc = probe.failed || rows.failed
                     ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                     : co_store_query_int(st, co_buf_str(&probe), &tenant, 1, &dangling, NULL,
                                          v->err);
            Co_buf_release(&probe);
            Co_buf_release(&rows);
        }
        co_buf sql = CO_BUF_INIT, side_ref = CO_BUF_INIT;
        Co_buf_printf(&side_ref, "side.%s", co_buf_str(&column));
        Co_buf_adds(&sql, "SELECT ");
        Co_vsql_keys(v, st, &sql);
        Co_buf_printf(&sql, ", %s", co_buf_str(&side_ref));
        if (parent->tenant_column) {
            /* whose row it names, if anyone's */
            Co_buf_adds(&sql, ", (SELECT min(other.");
            co_store_quote_ident(st, parent->tenant_column, &sql);
            Co_buf_adds(&sql, ") FROM ");
            co_store_quote_ident(st, parent->target, &sql);
            Co_buf_adds(&sql, " AS other WHERE other.");
            co_store_quote_ident(st, co_entity_target_column(parent), &sql);
            Co_buf_printf(&sql, " = %s) AS parent_tenant", co_buf_str(&side_ref));
        }
        Co_buf_adds(&sql, " FROM (");
        Co_vsql_actual(v, &sql);
        Co_buf_printf(&sql, ") AS side WHERE %s IS NOT NULL AND ", co_buf_str(&side_ref));
        no_parent_sql(st, parent, co_buf_str(&side_ref), &sql);
        restore_scope(v, was_scoped, &own);
        if (rc == CO_OK && dangling)
            rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                            : findings_as(v, co_buf_str(&sql), "dangling_ref",
                                          parent->tenant_column ? "foreign_tenant" : NULL,
                                          v->e->nkey, ref->column, found);
        Co_buf_release(&sql);
        Co_buf_release(&side_ref);
        Co_buf_release(&column);
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

/* Runs SELECT keys, "column"[, extra] FROM the tenant's rows WHERE cond. */
static co_code column_findings(vctx *v, const char *column, const char *extra, const char *cond,
                               const char *kind, int64_t *found)
{
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    Co_vsql_keys(v, v->s->dest, &sql);
    Co_buf_adds(&sql, ", ");
    co_store_quote_ident(v->s->dest, column, &sql);
    if (extra)
        Co_buf_printf(&sql, ", %s", extra);
    Co_buf_adds(&sql, " FROM (");
    Co_vsql_actual(v, &sql);
    Co_buf_printf(&sql, ") AS side WHERE %s", cond);
    co_code rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                            : findings_of(v, co_buf_str(&sql), kind, v->e->nkey, column, found);
    Co_buf_release(&sql);
    return rc;
}

/* Whether column c is checked for NULLs (*check_null) or for its length
 * (the declared length, or 0); false when for neither. */
static bool column_checked(vctx *v, const co_column *c, bool *check_null, long *len)
{
    *len = declared_length(c->decl_type);
    *check_null = c->notnull && !c->primary_key;
    return (*check_null || *len) && is_output_column(v, c->name);
}

/* The row pass's items (row_pass): with checks, the table's CHECKs too. */
static co_code row_pass_items(vctx *v, bool checks, row_pass *p)
{
    co_store *st = v->s->dest;
    co_column *cols = NULL;
    size_t n = 0;
    co_buf conds = CO_BUF_INIT, col = CO_BUF_INIT, failing = CO_BUF_INIT;
    co_constraint *ks = NULL;
    size_t nks = 0;
    co_code rc = co_store_columns(st, v->e->target, &cols, &n, v->err);
    if (rc == CO_OK && checks)
        rc = co_store_constraints(st, v->e->target, &ks, &nks, v->err);
    if (rc == CO_OK)
        p->nchecks = Co_vsql_checks_failing(ks, nks, &failing);
    co_constraints_free(ks, nks);
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        bool check_null;
        long len;
        if (!column_checked(v, &cols[i], &check_null, &len))
            continue;
        Co_buf_reset(&col);
        co_store_quote_ident(st, cols[i].name, &col);
        if (check_null) {
            Co_buf_adds(&conds, p->nconds++ ? " OR " : "");
            co_store_null_test(st, co_buf_str(&col), &conds);
        }
        if (len)
            Co_buf_printf(&conds, "%slength(%s) > %ld", p->nconds++ ? " OR " : "",
                          co_buf_str(&col), len);
    }
    co_columns_free(cols, n);
    Co_buf_printf(&p->items, "count(CASE WHEN %s THEN 1 END), ",
                  p->nconds ? co_buf_str(&conds) : "1 = 0");
    if (p->nchecks)
        Co_buf_printf(&p->items, "count(CASE WHEN %s THEN 1 END)", co_buf_str(&failing));
    else
        Co_buf_adds(&p->items, "0");
    if (rc == CO_OK && (p->items.failed || conds.failed || col.failed || failing.failed))
        rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
    Co_buf_release(&conds);
    Co_buf_release(&col);
    Co_buf_release(&failing);
    return rc;
}

/* *any: whether one of the tenant's rows breaks a NOT NULL or a length of
 * the columns; *check_failing: how many fail one of the table's declared
 * CHECKs (-1 when the pass has none). One pass over the rows for all of them
 * (most often none does, and then the column-by-column and check-by-check
 * queries are not run), unless the references' statement counted them. */
static co_code any_null_or_long(vctx *v, row_pass *p, bool *any, int64_t *check_failing)
{
    co_store *st = v->s->dest;
    *any = false;
    *check_failing = -1;
    co_code rc = CO_OK;
    if (!p->counted && (p->nconds || p->nchecks)) {
        co_buf sql = CO_BUF_INIT;
        Co_buf_printf(&sql, "SELECT %s FROM (", co_buf_str(&p->items));
        Co_vsql_actual_rows(v, &sql);
        Co_buf_adds(&sql, ") AS ");
        co_store_quote_ident(st, v->e->target, &sql);
        co_param tenant = Co_vparam_tenant(v);
        co_cursor *c = NULL;
        bool has_row = false;
        rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                        : co_store_query(st, co_buf_str(&sql), &tenant, 1, &c, v->err);
        if (rc == CO_OK)
            rc = co_cursor_next(c, &has_row, v->err);
        if (rc == CO_OK && has_row) {
            co_value nulls = co_cursor_value(c, 0), checked = co_cursor_value(c, 1);
            p->nulls = nulls.type == CO_INT ? nulls.i : 1; /* anything else: look */
            p->failing = checked.type == CO_INT ? checked.i : 1;
            p->counted = true;
            v->res->rows_fetched++;
        }
        co_cursor_close(c);
        Co_buf_release(&sql);
    }
    if (rc == CO_OK && p->counted) {
        *any = p->nulls > 0;
        if (p->nchecks)
            *check_failing = p->failing;
    }
    return rc;
}

/* NULL in a declared NOT NULL column (null), text longer than its declared
 * length (too_long, with its length and the limit in the detail). */
static co_code nulls_and_lengths(vctx *v, row_pass *pass, int64_t *check_failing, int64_t *found)
{
    co_store *st = v->s->dest;
    co_column *cols = NULL;
    size_t n = 0;
    bool any = false;
    *check_failing = -1;
    co_code rc = co_store_columns(st, v->e->target, &cols, &n, v->err);
    if (rc == CO_OK)
        rc = any_null_or_long(v, pass, &any, check_failing);
    for (size_t i = 0; i < n && rc == CO_OK && any; i++) {
        long len;
        bool check_null;
        if (!column_checked(v, &cols[i], &check_null, &len))
            continue;
        co_buf col = CO_BUF_INIT, cond = CO_BUF_INIT, extra = CO_BUF_INIT;
        co_store_quote_ident(st, cols[i].name, &col);
        if (check_null) {
            /* even where the engine trusts the declared NOT NULL */
            co_store_null_test(st, co_buf_str(&col), &cond);
            rc = col.failed || cond.failed
                     ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                     : column_findings(v, cols[i].name, NULL, co_buf_str(&cond), "null", found);
        }
        if (rc == CO_OK && len) {
            Co_buf_reset(&cond);
            Co_buf_printf(&cond, "length(%s) > %ld", co_buf_str(&col), len);
            Co_buf_printf(&extra, "length(%s) AS length, %ld AS \"limit\"", co_buf_str(&col), len);
            rc = col.failed || cond.failed || extra.failed
                     ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                     : column_findings(v, cols[i].name, co_buf_str(&extra), co_buf_str(&cond),
                                       "too_long", found);
        }
        Co_buf_release(&col);
        Co_buf_release(&cond);
        Co_buf_release(&extra);
    }
    co_columns_free(cols, n);
    return rc;
}

/* Rows of the target whose tenant column holds no tenant of the source
 * (compared as canonical keys): nobody's rows, reported once per command.
 * The column's values are read by co_store_distinct_sql. */
static co_code unknown_tenants(vctx *v, int64_t *found)
{
    /* A target that assigns keys is live: other tenants' rows are its own. */
    if (!v->known_tenants || !v->e->tenant_column || v->e->target_key)
        return CO_OK;
    co_store *st = v->s->dest;
    co_map known;
    Co_map_init(&known);
    co_buf key = CO_BUF_INIT, sql = CO_BUF_INIT, cond = CO_BUF_INIT, col = CO_BUF_INIT;
    co_code rc = Co_vknown_tenants(v->known_tenants, v->nknown_tenants, &known, v->err);
    co_store_quote_ident(st, v->e->tenant_column, &col);
    /* a skip scan where an index leads with the column: a read per tenant */
    co_store_distinct_sql(st, v->e->target, v->e->tenant_column, &sql, NULL);
    co_cursor *c = NULL;
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                        : co_store_query(st, co_buf_str(&sql), NULL, 0, &c, v->err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        co_value val = co_cursor_value(c, 0);
        v->res->rows_fetched++;
        Co_buf_reset(&key);
        Co_key_encode(&key, &val, 1);
        if (Co_map_get(&known, key.data, key.len, NULL, NULL))
            continue;
        Co_buf_reset(&cond);
        Co_buf_adds(&cond, co_buf_str(&col));
        if (val.type == CO_NULL) {
            Co_buf_adds(&cond, " IS NULL");
        } else {
            Co_buf_adds(&cond, " = ");
            Co_vsql_literal(st, &val, &cond);
        }
        Co_buf_reset(&sql);
        Co_buf_adds(&sql, "SELECT ");
        Co_vsql_keys(v, st, &sql);
        Co_buf_printf(&sql, ", %s FROM ", co_buf_str(&col));
        co_store_quote_ident(st, v->e->target, &sql);
        Co_buf_printf(&sql, " WHERE %s", co_buf_str(&cond));
        rc = sql.failed || cond.failed
                 ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                 : findings_of(v, co_buf_str(&sql), "foreign_tenant", v->e->nkey,
                               v->e->tenant_column, found);
    }
    co_cursor_close(c);
    Co_map_release(&known);
    Co_buf_release(&key);
    Co_buf_release(&sql);
    Co_buf_release(&cond);
    Co_buf_release(&col);
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

co_code Co_verify_integrity(vctx *v)
{
    int64_t found = 0;
    /* A duplicate may pair a row of the scope with one outside it: the
     * check looks at every row, unless no row of the entity changed. */
    bool was_scoped = v->scoped;
    bool untouched = v->scoped && v->untouched;
    v->scoped = false;
    co_code rc = key_is_primary(v) || untouched ? CO_OK : duplicate_keys(v, &found);
    v->scoped = was_scoped;
    /* the NOT NULL, length and CHECK counts: in the references' statement
     * when it reads the tenant's rows, else a pass of their own */
    row_pass pass = {CO_BUF_INIT, 0, 0, false, 0, 0};
    if (rc == CO_OK)
        rc = row_pass_items(v, !untouched, &pass);
    if (rc == CO_OK)
        rc = dangling_refs(v, &pass, &found);
    int64_t check_failing = -1; /* counted in the NOT NULL pass, when it ran */
    if (rc == CO_OK)
        rc = nulls_and_lengths(v, &pass, &check_failing, &found);
    Co_buf_release(&pass.items);
    if (rc == CO_OK)
        rc = unknown_tenants(v, &found);
    if (rc == CO_OK && !untouched)
        rc = Co_verify_declared_constraints(v, check_failing, &found);
    if (rc != CO_OK)
        return rc;
    char rows[CO_FMT_PLURAL];
    if (found)
        return Co_vcheck(v, CO_CHECK_INTEGRITY, false, 0, found, found,
                         "%s %s the target's rules (keys, references, tenants, NULLs, lengths,"
                         " declared constraints)",
                         Co_fmt_plural(rows, found, "row", "rows"),
                         Co_fmt_noun(found, "breaks", "break"));
    return Co_vcheck(v, CO_CHECK_INTEGRITY, true, 0, 0, 0,
                     "keys unique, references resolve within the tenant, NULLs, lengths and"
                     " declared constraints hold");
}
