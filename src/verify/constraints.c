/*
 * constraints.c: the integrity check's part that reads the target's own
 * declarations: the tenant's rows against every UNIQUE (but the primary key),
 * CHECK and FOREIGN KEY constraint the target table declares
 * (co_store_constraints); a declared foreign key resolves to a row of its
 * parent table, whoever's. Each is probed first (a count), and the rows are
 * read only when one breaks it.
 */
#include "verify/verify_int.h"
#include "util/json.h"
#include "util/key.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Runs sql (params: the tenant); each row, the key then the constraint's
 * columns, is a finding of kind: {"table", "constraint", "columns": {column:
 * value}} and, for a foreign key, "references". */
static co_code constraint_findings(vctx *v, const char *sql, const char *kind,
                                   const co_constraint *k, int64_t *found)
{
    co_param tenant = Co_vparam_tenant(v);
    co_cursor *c = NULL;
    co_code rc = co_store_query(v->s->dest, sql, &tenant, 1, &c, v->err);
    co_buf key = CO_BUF_INIT, detail = CO_BUF_INIT;
    co_value vals[64];
    size_t nkey = v->e->nkey < 64 ? v->e->nkey : 64;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        v->res->rows_fetched++;
        for (size_t i = 0; i < nkey; i++)
            vals[i] = co_cursor_value(c, i);
        Co_buf_reset(&key);
        Co_key_encode(&key, vals, nkey);
        Co_buf_reset(&detail);
        Co_json_field(&detail, "{\"table\":", v->e->target);
        Co_json_field(&detail, ",\"constraint\":", k->name);
        if (k->check) {
            Co_json_field(&detail, ",\"check\":", k->check);
        }
        Co_buf_adds(&detail, ",\"columns\":{");
        for (size_t i = nkey; i < co_cursor_ncols(c); i++) {
            co_value val = co_cursor_value(c, i);
            Co_json_field(&detail, i > nkey ? "," : "", co_cursor_colname(c, i));
            Co_buf_addc(&detail, ':');
            Co_json_value(&detail, &val);
        }
        Co_buf_addc(&detail, '}');
        if (k->kind == CO_CONSTRAINT_FOREIGN_KEY) {
            co_buf refs = CO_BUF_INIT;
            Co_buf_printf(&refs, "%s (", k->parent);
            for (size_t i = 0; i < k->ncolumns; i++)
                Co_buf_printf(&refs, "%s%s", i ? ", " : "", k->parent_columns[i]);
            Co_buf_addc(&refs, ')');
            Co_json_field(&detail, ",\"references\":", co_buf_str(&refs));
            Co_buf_release(&refs);
        }
        Co_buf_addc(&detail, '}');
        rc = Co_vnoted_finding(v, found, kind, &key, &detail);
    }
    Co_buf_release(&key);
    Co_buf_release(&detail);
    co_cursor_close(c);
    return rc;
}

/* "k1", "k2", ..., and prefix."c1", prefix."c2", ... of a constraint's columns. */
static void key_and_columns(vctx *v, const co_constraint *k, const char *prefix, co_buf *out)
{
    co_store *st = v->s->dest;
    Co_vsql_keys(v, st, out);
    for (size_t i = 0; i < k->ncolumns; i++) {
        Co_buf_printf(out, ", %s.", prefix);
        co_store_quote_ident(st, k->columns[i], out);
    }
}

/* prefix."c1" IS NOT NULL AND ... (a key with a NULL is not checked, as
 * both engines have it for foreign keys and unique keys). */
static void all_set(vctx *v, const co_constraint *k, const char *prefix, co_buf *out)
{
    for (size_t i = 0; i < k->ncolumns; i++) {
        Co_buf_printf(out, "%s%s.", i ? " AND " : "", prefix);
        co_store_quote_ident(v->s->dest, k->columns[i], out);
        Co_buf_adds(out, " IS NOT NULL");
    }
}

/* " FROM (the tenant's target rows) AS side WHERE" every column of k is set. */
static void from_rows_with_key(vctx *v, const co_constraint *k, co_buf *out)
{
    Co_buf_adds(out, " FROM (");
    Co_vsql_actual_rows(v, out);
    Co_buf_adds(out, ") AS side WHERE ");
    all_set(v, k, "side", out);
}

/* NOT EXISTS (a row of the parent whose columns equal child's columns). */
static void no_parent_row_sql(vctx *v, const co_constraint *k, const char *child, co_buf *out)
{
    co_store *st = v->s->dest;
    Co_buf_adds(out, "NOT EXISTS (SELECT 1 FROM ");
    co_store_quote_ident(st, k->parent, out);
    Co_buf_adds(out, " AS parent WHERE ");
    for (size_t i = 0; i < k->ncolumns; i++) {
        Co_buf_adds(out, i ? " AND parent." : "parent.");
        co_store_quote_ident(st, k->parent_columns[i], out);
        Co_buf_printf(out, " = %s.", child);
        co_store_quote_ident(st, k->columns[i], out);
    }
    Co_buf_addc(out, ')');
}

/* The tenant's rows whose declared foreign key names no row of its parent
 * table (whoever's it is: references within the tenant are dangling_refs'
 * business). The distinct values are probed first. */
static co_code foreign_key_violations(vctx *v, const co_constraint *k, int64_t *found)
{
    co_store *st = v->s->dest;
    co_buf probe = CO_BUF_INIT, sql = CO_BUF_INIT;
    Co_buf_adds(&probe, "SELECT count(*) FROM (SELECT DISTINCT ");
    for (size_t i = 0; i < k->ncolumns; i++) {
        Co_buf_adds(&probe, i ? ", side." : "side.");
        co_store_quote_ident(st, k->columns[i], &probe);
    }
    from_rows_with_key(v, k, &probe);
    Co_buf_adds(&probe, ") AS d WHERE ");
    no_parent_row_sql(v, k, "d", &probe);
    int64_t dangling = 1;
    co_param tenant = Co_vparam_tenant(v);
    co_code rc = probe.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                              : co_store_query_int(st, co_buf_str(&probe), &tenant, 1, &dangling,
                                                   NULL, v->err);
    v->res->rows_fetched++;
    if (rc == CO_OK && dangling) {
        Co_buf_adds(&sql, "SELECT ");
        key_and_columns(v, k, "side", &sql);
        from_rows_with_key(v, k, &sql);
        Co_buf_adds(&sql, " AND ");
        no_parent_row_sql(v, k, "side", &sql);
        rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                        : constraint_findings(v, co_buf_str(&sql), "foreign_key", k, found);
    }
    Co_buf_release(&probe);
    Co_buf_release(&sql);
    return rc;
}

/* The tenant's rows whose unique columns hold values that the table holds
 * more than once (the other row may be anyone's). The values held twice are
 * counted first; the rows are read only when there are some. */
static co_code unique_violations(vctx *v, const co_constraint *k, int64_t *found)
{
    co_store *st = v->s->dest;
    co_buf cols = CO_BUF_INIT, ocols = CO_BUF_INIT, twice = CO_BUF_INIT, sql = CO_BUF_INIT;
    for (size_t i = 0; i < k->ncolumns; i++) {
        Co_buf_adds(&cols, i ? ", " : "");
        co_store_quote_ident(st, k->columns[i], &cols);
        Co_buf_adds(&ocols, i ? ", other." : "other.");
        co_store_quote_ident(st, k->columns[i], &ocols);
    }
    const char *open = k->ncolumns > 1 ? "(" : "", *close = k->ncolumns > 1 ? ")" : "";
    /* the values held twice, among those of the tenant's rows (IN, not =,
     * so that SQLite reads every entry of a unique index, not the first) */
    Co_buf_printf(&twice, "SELECT %s FROM ", co_buf_str(&ocols));
    co_store_quote_ident(st, v->e->target, &twice);
    Co_buf_printf(&twice, " AS other WHERE %s%s%s IN (SELECT %s FROM (", open, co_buf_str(&ocols),
                  close, co_buf_str(&cols));
    Co_vsql_actual_rows(v, &twice);
    Co_buf_printf(&twice, ") AS mine) GROUP BY %s HAVING count(*) > 1", co_buf_str(&ocols));
    Co_buf_printf(&sql, "SELECT count(*) FROM (%s) AS d", co_buf_str(&twice));
    int64_t held_twice = 1;
    co_param tenant = Co_vparam_tenant(v);
    bool failed = sql.failed || cols.failed || ocols.failed || twice.failed;
    co_code rc = failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                        : co_store_query_int(st, co_buf_str(&sql), &tenant, 1, &held_twice, NULL,
                                             v->err);
    v->res->rows_fetched++;
    if (rc == CO_OK && held_twice) {
        Co_buf_reset(&sql);
        Co_buf_adds(&sql, "SELECT ");
        key_and_columns(v, k, "side", &sql);
        Co_buf_adds(&sql, " FROM (");
        Co_vsql_actual_rows(v, &sql);
        Co_buf_printf(&sql, ") AS side WHERE %s", open);
        for (size_t i = 0; i < k->ncolumns; i++) {
            Co_buf_adds(&sql, i ? ", side." : "side.");
            co_store_quote_ident(st, k->columns[i], &sql);
        }
        Co_buf_printf(&sql, "%s IN (%s)", close, co_buf_str(&twice));
        rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                        : constraint_findings(v, co_buf_str(&sql), "unique", k, found);
    }
    Co_buf_release(&cols);
    Co_buf_release(&ocols);
    Co_buf_release(&twice);
    Co_buf_release(&sql);
    return rc;
}

/* True when word (a column name) appears in expr as a name of its own. */
static bool mentions(const char *expr, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = expr; n && *p; p++) {
        if (strncasecmp(p, word, n) != 0)
            continue;
        bool before = p > expr && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool after = isalnum((unsigned char)p[n]) || p[n] == '_';
        if (!before && !after)
            return true;
    }
    return false;
}

size_t Co_vsql_checks_failing(const co_constraint *ks, size_t n, co_buf *out)
{
    size_t nchecks = 0;
    for (size_t i = 0; i < n; i++) {
        if (ks[i].kind != CO_CONSTRAINT_CHECK || !ks[i].check)
            continue;
        Co_buf_printf(out, "%sNOT (%s)", nchecks++ ? " OR " : "", ks[i].check);
    }
    return nchecks;
}

/* The tenant's rows for which a CHECK is false (NULL passes, as in the
 * database). All of a table's CHECKs are tried at once first, unless the
 * caller did (failing >= 0: the rows that fail one). */
static co_code check_violations(vctx *v, const co_constraint *ks, size_t n, int64_t failing,
                                int64_t *found)
{
    co_store *st = v->s->dest;
    co_buf probe = CO_BUF_INIT;
    Co_buf_adds(&probe, "SELECT count(*) FROM (");
    Co_vsql_actual_rows(v, &probe);
    Co_buf_adds(&probe, ") AS ");
    co_store_quote_ident(st, v->e->target, &probe);
    Co_buf_adds(&probe, " WHERE ");
    size_t nchecks = Co_vsql_checks_failing(ks, n, &probe);
    co_code rc = CO_OK;
    if (nchecks == 0) {
        Co_buf_release(&probe);
        return CO_OK;
    }
    co_param tenant = Co_vparam_tenant(v);
    if (failing < 0) {
        failing = 1;
        rc = probe.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                          : co_store_query_int(st, co_buf_str(&probe), &tenant, 1, &failing,
                                               NULL, v->err);
        v->res->rows_fetched++;
    }
    Co_buf_release(&probe);
    co_column *cols = NULL;
    size_t ncols = 0;
    if (rc == CO_OK && failing)
        rc = co_store_columns(st, v->e->target, &cols, &ncols, v->err);
    for (size_t i = 0; rc == CO_OK && failing && i < n; i++) {
        const co_constraint *k = &ks[i];
        if (k->kind != CO_CONSTRAINT_CHECK || !k->check)
            continue;
        co_buf sql = CO_BUF_INIT;
        Co_buf_adds(&sql, "SELECT ");
        Co_vsql_keys(v, st, &sql);
        for (size_t c = 0; c < ncols; c++) {
            if (!mentions(k->check, cols[c].name))
                continue;
            Co_buf_adds(&sql, ", ");
            co_store_quote_ident(st, cols[c].name, &sql);
        }
        Co_buf_adds(&sql, " FROM (");
        Co_vsql_actual_rows(v, &sql);
        Co_buf_adds(&sql, ") AS ");
        co_store_quote_ident(st, v->e->target, &sql);
        Co_buf_printf(&sql, " WHERE NOT (%s)", k->check);
        rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                        : constraint_findings(v, co_buf_str(&sql), "check", k, found);
        Co_buf_release(&sql);
    }
    co_columns_free(cols, ncols);
    return rc;
}

/* The tenant's rows against every UNIQUE (but the primary key), CHECK and
 * FOREIGN KEY constraint the target table declares (co_store_constraints). */
co_code Co_verify_declared_constraints(vctx *v, int64_t check_failing, int64_t *found)
{
    co_constraint *ks = NULL;
    size_t n = 0;
    co_code rc = co_store_constraints(v->s->dest, v->e->target, &ks, &n, v->err);
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        if (ks[i].kind == CO_CONSTRAINT_FOREIGN_KEY && ks[i].ncolumns)
            rc = foreign_key_violations(v, &ks[i], found);
        else if (ks[i].kind == CO_CONSTRAINT_UNIQUE && ks[i].ncolumns && !ks[i].primary)
            /* A primary key is the row's identity, which the database keeps
             * (the entity's own key is duplicate_keys' business). */
            rc = unique_violations(v, &ks[i], found);
    }
    if (rc == CO_OK)
        rc = check_violations(v, ks, n, check_failing, found);
    co_constraints_free(ks, n);
    return rc;
}

