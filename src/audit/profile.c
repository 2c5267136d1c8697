/*
 * profile.c: column profiles for the audit (audit.h). Each table of the
 * source is read once, by one streaming query; every value of a row goes to
 * its column's statistics (colstats.h), which are fixed in size whatever the
 * table holds. The column's apparent kind, and so which values fail it, is
 * known only once the table has been read; so is the table's timestamp
 * column, which is why every candidate is followed while reading.
 */
#include "audit/colstats.h"
#include "cutover/audit.h"
#include "util/buf.h"
#include "util/map.h"
#include "util/grow.h"
#include "util/free.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct table_scan {
    const char *name;
    const char *row_id; /* what gives each row a stable id, or NULL (co_table_info) */
    char **names;       /* columns in declaration order */
    char **types;
    size_t ncols;
    int stamps[CO_COL_STAMPS]; /* timestamp candidates, best name first */
    size_t nstamps;
    co_colstats *cols;
    bool *filled;       /* per column, in the current row */
    int64_t rows;
} table_scan;

/* ---- the table's columns -------------------------------------------------------- */

/* The rank of a column name as the table's timestamp: updated_at first, then
 * modified_at, last_modified, then any name ending in _at or named date or
 * timestamp; -1 when it is none of these. */
static int stamp_rank(const char *name)
{
    static const char *const preferred[] = {"updated_at", "modified_at", "last_modified"};
    for (int i = 0; i < 3; i++)
        if (strcasecmp(name, preferred[i]) == 0)
            return i;
    size_t n = strlen(name);
    if ((n > 3 && strcasecmp(name + n - 3, "_at") == 0) || strcasecmp(name, "date") == 0 ||
        strcasecmp(name, "timestamp") == 0)
        return 3;
    return -1;
}

static void pick_stamps(table_scan *t)
{
    t->nstamps = 0;
    for (int rank = 0; rank <= 3; rank++)
        for (size_t i = 0; i < t->ncols && t->nstamps < CO_COL_STAMPS; i++)
            if (stamp_rank(t->names[i]) == rank)
                t->stamps[t->nstamps++] = (int)i;
}

/* The table's columns as SELECT * returns them: declared and generated ones,
 * not a virtual table's hidden ones. */
static co_code load_columns(co_store *src, table_scan *t, co_error *err)
{
    co_column *cols = NULL;
    size_t n = 0;
    co_code rc = co_store_select_columns(src, t->name, &cols, &n, err);
    if (rc != CO_OK)
        return rc;
    t->names = calloc(n ? n : 1, sizeof *t->names);
    t->types = calloc(n ? n : 1, sizeof *t->types);
    if (!t->names || !t->types)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CO_OK && i < n; i++) { /* taken over from cols */
        t->names[i] = cols[i].name;
        t->types[i] = cols[i].decl_type;
        cols[i].name = cols[i].decl_type = NULL;
        t->ncols++;
    }
    co_columns_free(cols, n);
    if (rc != CO_OK)
        return rc;
    t->cols = malloc((t->ncols ? t->ncols : 1) * sizeof *t->cols);
    t->filled = calloc(t->ncols ? t->ncols : 1, sizeof *t->filled);
    if (!t->cols || !t->filled)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->ncols; i++)
        Co_colstats_init(&t->cols[i]);
    pick_stamps(t);
    return CO_OK;
}

static void table_release(table_scan *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        free(t->names[i]);
        free(t->types[i]);
    }
    CO_FREE(t->names, t->types, t->cols, t->filled);
    memset(t, 0, sizeof *t);
}

/* ---- reading the table ---------------------------------------------------------- */

/* For each timestamp candidate holding text in this row, the newest value
 * where each column is filled. Values start at column `first` of c. */
static void note_stamps(table_scan *t, co_cursor *c, size_t first)
{
    for (size_t s = 0; s < t->nstamps; s++) {
        co_value stamp = co_cursor_value(c, first + (size_t)t->stamps[s]);
        if (stamp.type != CO_TEXT)
            continue;
        for (size_t i = 0; i < t->ncols; i++)
            if (t->filled[i])
                Co_colstats_stamp(&t->cols[i], s, &stamp);
    }
}

/* SELECT rowid, c1, c2, ... FROM t: every row once, streamed. A table
 * without a row id (a WITHOUT ROWID table, one whose columns shadow every
 * rowid alias, any table on PostgreSQL) has row numbers in its place. */
static co_code scan_table(co_store *src, table_scan *t, co_error *err)
{
    const char *rowid = t->row_id;
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    Co_buf_adds(&sql, rowid ? rowid : "NULL");
    for (size_t i = 0; i < t->ncols; i++) {
        Co_buf_adds(&sql, ", ");
        co_store_quote_ident(src, t->names[i], &sql);
    }
    Co_buf_adds(&sql, " FROM ");
    co_store_quote_ident(src, t->name, &sql);
    if (sql.failed) {
        Co_buf_release(&sql);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor *c;
    co_code rc = co_store_query(src, sql.data, NULL, 0, &c, err);
    Co_buf_release(&sql);
    if (rc != CO_OK)
        return rc;
    bool has_row;
    while ((rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        int64_t seq = ++t->rows;
        co_value id = co_cursor_value(c, 0);
        int64_t key = id.type == CO_INT ? id.i : seq;
        for (size_t i = 0; i < t->ncols; i++) {
            co_value v = co_cursor_value(c, i + 1);
            t->filled[i] = Co_colstats_add(&t->cols[i], &v, seq, key);
        }
        if (t->nstamps)
            note_stamps(t, c, 1);
    }
    co_cursor_close(c);
    return rc;
}

/* The table's timestamp column: the first candidate whose filled values are
 * mostly ISO dates; -1 when there is none. */
static int chosen_stamp(const table_scan *t)
{
    for (size_t s = 0; s < t->nstamps; s++) {
        const co_colstats *st = &t->cols[t->stamps[s]];
        int64_t filled = Co_colstats_filled(st);
        if (filled > 0 && st->kinds[CO_KIND_DATE] * 5 >= filled * 4)
            return (int)s;
    }
    return -1;
}

/* ---- what the mapping reads ----------------------------------------------------- */

typedef struct read_set {
    co_map map; /* "table\x1fcolumn", lower-cased: SQLite's names ignore ASCII case */
    co_buf key;
    bool failed;
} read_set;

static void read_key(co_buf *key, const char *table, const char *column)
{
    Co_buf_reset(key);
    for (const char *p = table; *p; p++)
        Co_buf_addc(key, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
    Co_buf_addc(key, '\x1f');
    for (const char *p = column; *p; p++)
        Co_buf_addc(key, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
}

static void note_read(void *ctx, const char *table, const char *column)
{
    read_set *r = ctx;
    read_key(&r->key, table, column);
    if (r->key.failed || !Co_map_put(&r->map, r->key.data, r->key.len, "", 0))
        r->failed = true;
}

/* Every column the tenants query and the entity queries read. */
static co_code collect_reads(co_store *src, const co_project *p, read_set *r, co_error *err)
{
    if (!p)
        return CO_OK;
    co_code rc = CO_OK;
    if (p->tenants_query) {
        rc = co_store_query_reads(src, p->tenants_query, note_read, r, err);
        if (rc != CO_OK)
            co_error_where(err, "tenants query");
    }
    for (size_t i = 0; i < p->nentities && rc == CO_OK; i++) {
        rc = co_store_query_reads(src, p->entities[i].query, note_read, r, err);
        if (rc != CO_OK)
            co_error_where(err, "entity %s", p->entities[i].name);
    }
    if (rc == CO_OK && r->failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    return rc;
}

static bool is_read(read_set *r, const char *table, const char *column)
{
    read_key(&r->key, table, column);
    return !r->key.failed && Co_map_get(&r->map, r->key.data, r->key.len, NULL, NULL);
}

/* ---- profiles ------------------------------------------------------------------- */

/* The buffer's text as a string of its own; NULL and *failed when out of memory. */
static char *take(co_buf *b, bool *failed)
{
    char *s = b->failed ? NULL : co_buf_detach(b);
    Co_buf_release(b);
    if (!s)
        *failed = true;
    return s;
}

static char *copy(const char *s, bool *failed)
{
    char *c = strdup(s);
    if (!c)
        *failed = true;
    return c;
}

static char *shown(const co_kept *k, bool *failed)
{
    co_buf b = CO_BUF_INIT;
    Co_kept_show(k, &b);
    return take(&b, failed);
}

static co_code finish_column(const table_scan *t, size_t i, int stamp, read_set *reads,
                             double zombie_below, co_column_profile *out, co_error *err)
{
    const co_colstats *st = &t->cols[i];
    bool failed = false;
    memset(out, 0, sizeof *out);
    out->table = copy(t->name, &failed);
    out->column = copy(t->names[i], &failed);
    out->decl_type = copy(t->types[i], &failed);
    out->rows = t->rows;
    out->nulls = st->nulls;
    out->empties = st->empties;
    double distinct = round(Co_hll_estimate(&st->hll));
    out->distinct = distinct > (double)st->nonnull ? st->nonnull : (int64_t)distinct;
    out->min_len = st->nonnull ? st->min_len : 0;
    out->max_len = st->max_len;
    out->avg_len = st->nonnull ? (double)st->len_sum / (double)st->nonnull : 0.0;
    if (st->nonnull) {
        out->min_value = shown(&st->min, &failed);
        out->max_value = shown(&st->max, &failed);
    }
    co_buf b = CO_BUF_INIT;
    Co_colstats_top_json(st, &b);
    out->top_values = take(&b, &failed);

    bool imposed;
    co_kind kind = Co_colstats_kind(st, t->types[i], &imposed);
    out->apparent_type = copy(Co_kind_name(kind), &failed);
    out->type_failures = Co_colstats_failures(st, kind);
    Co_colstats_failures_json(st, kind, t->types[i], imposed, &b);
    out->failure_examples = take(&b, &failed);

    out->mapped = is_read(reads, t->name, t->names[i]);
    out->zombie = t->rows > 0 && (double)Co_colstats_filled(st) < zombie_below * (double)t->rows;
    if (stamp >= 0 && st->has_last[stamp])
        out->last_filled = shown(&st->last[stamp], &failed);
    if (failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

void co_profiles_free(co_column_profile *profiles, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        co_column_profile *p = &profiles[i];
        CO_FREE(p->table, p->column, p->decl_type, p->min_value, p->max_value, p->top_values,
                p->apparent_type, p->failure_examples, p->last_filled);
    }
    free(profiles);
}

/* Profiles one table, appending its columns to *out (*n of *cap used). */
static co_code profile_table(co_store *src, const co_table_info *table, read_set *reads,
                             double zombie_below, co_column_profile **out, size_t *n,
                             size_t *cap, co_error *err)
{
    table_scan t = {0};
    t.name = table->name;
    t.row_id = table->row_id;
    co_code rc = load_columns(src, &t, err);
    if (rc == CO_OK)
        rc = scan_table(src, &t, err);
    int stamp = rc == CO_OK ? chosen_stamp(&t) : -1;
    for (size_t i = 0; i < t.ncols && rc == CO_OK; i++) {
        if (!CO_GROW(*out, *cap, *n + 1, 64)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        rc = finish_column(&t, i, stamp, reads, zombie_below, &(*out)[*n], err);
        (*n)++; /* freed with the others, even when incomplete */
    }
    if (rc != CO_OK)
        co_error_where(err, "table %s", table->name);
    table_release(&t);
    return rc;
}

co_code co_audit_profiles(co_store *source, const co_project *p, const co_audit_options *opt,
                          co_column_profile **out, size_t *n, co_error *err)
{
    co_audit_options defaults;
    co_audit_options_init(&defaults);
    double zombie_below = (opt ? opt : &defaults)->zombie_below;
    *out = NULL;
    *n = 0;
    read_set reads = {0};
    Co_map_init(&reads.map);
    co_code rc = collect_reads(source, p, &reads, err);
    co_table_info *tables = NULL;
    size_t ntables = 0;
    if (rc == CO_OK)
        rc = co_store_tables(source, &tables, &ntables, err);
    co_column_profile *profiles = NULL;
    size_t count = 0, cap = 0;
    /* Virtual tables are left out: their data lives in shadow tables. */
    for (size_t i = 0; rc == CO_OK && i < ntables; i++)
        if (!tables[i].virtual_table)
            rc = profile_table(source, &tables[i], &reads, zombie_below, &profiles, &count, &cap,
                               err);
    co_tables_free(tables, ntables);
    Co_map_release(&reads.map);
    Co_buf_release(&reads.key);
    if (rc != CO_OK) {
        co_profiles_free(profiles, count);
        return rc;
    }
    *out = profiles;
    *n = count;
    return CO_OK;
}
