/*
 * pg_catalog.c: the catalog reads cutover repeats on PostgreSQL, a table's
 * columns (co_store_columns, with their declared types) and its constraints
 * (co_store_constraints), kept per connection. Verification asks them for
 * every entity of every tenant, the same answers each time; each read is a
 * catalog query the server plans and runs, so the store answers from what it
 * read before. What is kept is dropped when this connection may have changed
 * a schema (a statement that names CREATE, ALTER, DROP or search_path, a
 * rollback), and after CO_PG_CATALOG_TTL seconds, so that a long-lived
 * process (worker, serve) sees a schema changed by someone else.
 */
#include "store/pg_int.h"
#include "util/clock.h"
#include "util/grow.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reading ------------------------------------------------------------------- */

static const char columns_sql[] =
    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
    " EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid"
    " AND i.indisprimary AND a.attnum = ANY (i.indkey))"
    " FROM pg_catalog.pg_attribute a"
    " WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attnum";

static co_code read_columns(pg_store *s, const char *table, co_column **cols, size_t *ncols,
                            co_error *err)
{
    Co_pg_settle(s);
    co_buf ref = CO_BUF_INIT;
    Co_pg_table_ref(table, &ref);
    if (ref.failed) {
        Co_buf_release(&ref);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    const char *values[1] = {co_buf_str(&ref)};
    Oid types[1] = {25}; /* text */
    PGresult *res = PQexecParams(s->conn, columns_sql, 1, types, values, NULL, NULL, 0);
    Co_buf_release(&ref);
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        co_code rc = Co_pg_fail(s, res, "cannot read the columns of a table", err);
        PQclear(res);
        return rc;
    }
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        return co_error_set(err, CO_ENOTFOUND, "%s: no table \"%s\"",
                            co_side_name(s->base.side), table);
    }
    co_column *arr = calloc((size_t)n, sizeof *arr);
    bool ok = arr != NULL;
    for (int r = 0; ok && r < n; r++) {
        arr[r].name = strdup(PQgetvalue(res, r, 0));
        arr[r].decl_type = strdup(PQgetvalue(res, r, 1));
        arr[r].notnull = PQgetvalue(res, r, 2)[0] == 't';
        arr[r].primary_key = PQgetvalue(res, r, 3)[0] == 't';
        ok = arr[r].name && arr[r].decl_type;
    }
    PQclear(res);
    if (!ok) {
        co_columns_free(arr, arr ? (size_t)n : 0);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *cols = arr;
    *ncols = (size_t)n;
    return CO_OK;
}

/* ---- copies ---------------------------------------------------------------------- */

static bool copy_columns(const co_column *from, size_t n, co_column **out)
{
    co_column *arr = calloc(n ? n : 1, sizeof *arr);
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        arr[i] = from[i];
        arr[i].name = strdup(from[i].name);
        arr[i].decl_type = strdup(from[i].decl_type);
        ok = arr[i].name && arr[i].decl_type;
    }
    if (!ok) {
        co_columns_free(arr, arr ? n : 0);
        return false;
    }
    *out = arr;
    return true;
}

static bool copy_text(const char *from, char **to)
{
    *to = from ? strdup(from) : NULL;
    return !from || *to;
}

static bool copy_constraint(const co_constraint *from, co_constraint *to)
{
    memset(to, 0, sizeof *to);
    to->kind = from->kind;
    to->validated = from->validated;
    to->primary = from->primary;
    bool ok = copy_text(from->name, &to->name) && copy_text(from->parent, &to->parent) &&
              copy_text(from->check, &to->check);
    size_t n = from->ncolumns;
    if (ok && n) {
        to->columns = calloc(n, sizeof *to->columns);
        to->parent_columns = from->parent_columns ? calloc(n, sizeof *to->parent_columns) : NULL;
        ok = to->columns && (!from->parent_columns || to->parent_columns);
        /* ncolumns counts the entries filled so far, for Co_constraint_release */
        for (size_t k = 0; ok && k < n; k++, to->ncolumns++) {
            ok = copy_text(from->columns[k], &to->columns[k]);
            if (ok && from->parent_columns)
                ok = copy_text(from->parent_columns[k], &to->parent_columns[k]);
        }
    }
    return ok;
}

static bool copy_constraints(const co_constraint *from, size_t n, co_constraint **out)
{
    co_constraint *arr = calloc(n ? n : 1, sizeof *arr);
    size_t done = 0;
    bool ok = arr != NULL;
    for (; ok && done < n; done++)
        ok = copy_constraint(&from[done], &arr[done]);
    if (!ok) {
        co_constraints_free(arr, done);
        return false;
    }
    *out = arr;
    return true;
}

/* ---- what is kept ---------------------------------------------------------------- */

/* One table's answers; has_* false until asked. */
struct pg_catalog_entry {
    char *table;
    bool has_columns, has_constraints;
    co_column *columns;
    size_t ncolumns;
    co_constraint *constraints;
    size_t nconstraints;
};

void Co_pg_catalog_forget(pg_store *s)
{
    for (size_t i = 0; i < s->catalog.n; i++) {
        pg_catalog_entry *e = &s->catalog.entries[i];
        free(e->table);
        co_columns_free(e->columns, e->ncolumns);
        co_constraints_free(e->constraints, e->nconstraints);
    }
    free(s->catalog.entries);
    memset(&s->catalog, 0, sizeof s->catalog);
}

/* The entry of table, added when missing; NULL when out of memory. What was
 * kept longer than CO_PG_CATALOG_TTL seconds is dropped first. */
static pg_catalog_entry *entry(pg_store *s, const char *table)
{
    time_t now = Co_clock_now();
    if (s->catalog.n && (now < s->catalog.since || now - s->catalog.since > CO_PG_CATALOG_TTL))
        Co_pg_catalog_forget(s);
    for (size_t i = 0; i < s->catalog.n; i++)
        if (strcmp(s->catalog.entries[i].table, table) == 0)
            return &s->catalog.entries[i];
    char *name = strdup(table);
    if (!name || !CO_RESIZE(s->catalog.entries, s->catalog.n + 1)) {
        free(name);
        return NULL;
    }
    if (!s->catalog.n)
        s->catalog.since = now;
    pg_catalog_entry *e = &s->catalog.entries[s->catalog.n++];
    memset(e, 0, sizeof *e);
    e->table = name;
    return e;
}

co_code Co_pg_catalog_columns(co_store *st, const char *table, co_column **cols, size_t *ncols,
                              co_error *err)
{
    pg_store *s = pg_of(st);
    pg_catalog_entry *e = entry(s, table);
    if (e && !e->has_columns) {
        co_column *read = NULL;
        size_t nread = 0;
        co_code rc = read_columns(s, table, &read, &nread, err);
        if (rc != CO_OK) /* a table that is missing now may be created later: not kept */
            return rc;
        if ((e = entry(s, table))) { /* (the read may have dropped what was kept) */
            e->columns = read;
            e->ncolumns = nread;
            e->has_columns = true;
        } else {
            co_columns_free(read, nread);
        }
    }
    if (!e)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (!copy_columns(e->columns, e->ncolumns, cols))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    *ncols = e->ncolumns;
    return CO_OK;
}

co_code Co_pg_catalog_constraints(co_store *st, const char *table, co_constraint **out,
                                  size_t *n, co_error *err)
{
    pg_store *s = pg_of(st);
    pg_catalog_entry *e = entry(s, table);
    if (e && !e->has_constraints) {
        co_constraint *ks = NULL;
        size_t nks = 0;
        co_code rc = Co_pg_constraints(st, table, &ks, &nks, err);
        if (rc != CO_OK) {
            co_constraints_free(ks, nks);
            return rc;
        }
        if ((e = entry(s, table))) { /* (the read may have dropped what was kept) */
            e->constraints = ks;
            e->nconstraints = nks;
            e->has_constraints = true;
        } else {
            co_constraints_free(ks, nks);
        }
    }
    if (!e)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (!copy_constraints(e->constraints, e->nconstraints, out))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    *n = e->nconstraints;
    return CO_OK;
}

/* True when word (len bytes) is one that changes what the catalog answers. */
static bool ddl_word(const char *word, size_t len)
{
    static const char *const words[] = {"create", "alter", "drop", "search_path"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == len && strncasecmp(word, words[i], len) == 0)
            return true;
    return false;
}

void Co_pg_catalog_note_sql(pg_store *s, const char *sql)
{
    if (!s->catalog.n || !sql)
        return;
    for (const char *p = sql; *p;) {
        if (!isalpha((unsigned char)*p) && *p != '_') {
            p++;
            continue;
        }
        const char *start = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (ddl_word(start, (size_t)(p - start))) {
            Co_pg_catalog_forget(s);
            return;
        }
    }
}
