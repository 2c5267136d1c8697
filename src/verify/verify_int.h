/*
 * verify_int.h: what the files of src/verify share.
 *
 * verify.c     orchestration, results, the journal
 * content.c    key-range hashes, bisection, row-by-row diff of small ranges
 * volume.c     rows per group and month
 * integrity.c  target-side checks: unique keys, references, NULLs, lengths
 * constraints.c  ... and the constraints the target declares
 * sqlgen.c     the SQL both sides run: column lists, the tenant's scope
 * scope.c      the rows a scoped verification looks at (co_verify_scope)
 * orphans.c    source rows of no tenant, against the orphans rules
 */
#ifndef CUTOVER_VERIFY_INT_H
#define CUTOVER_VERIFY_INT_H

#include "cutover/verify.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/canon.h"
#include "util/map.h"

/* The verification of one entity for one tenant. */
typedef struct vctx {
    co_session *s;
    const co_tenant *t;
    const co_entity *e;
    size_t sample;
    co_verify_result *res;
    co_error *err;
    char **cols;      /* the query's output columns (= target columns) */
    size_t ncols;
    co_canon_type *types; /* per output column: its target column's type (util/canon.h) */
    size_t key_idx[64];
    co_map rejected;  /* canonical keys of this entity's rejected rows */
    co_map scope_ids; /* id map keys, when the target is scoped by them */
    bool scope_by_ids;
    co_buf remap;     /* the select list that sends refs to merged rows' survivors, or empty */
    bool remap_in_key; /* a remapped column is a key column: rows may repeat */
    int64_t journal_source_rows, journal_loaded, journal_rejected; /* -1 when none */
    int64_t expected_rows, actual_rows; /* counted by the content check */
    int64_t invalid_times; /* volume.c: time values found that no calendar has */
    int64_t fetched_mark; /* res->rows_fetched when the current check began */
    co_map *survivors;    /* per output column that refers to merged rows: member -> survivor */
    size_t index;         /* the entity's position in the project */
    const co_verify_scope *scope; /* only these rows (NULL: all) */
    bool scoped;          /* scope limits this entity: where_* below apply */
    bool untouched;       /* ... and holds none of its rows */
    int64_t since_run;    /* the full verification the rows outside the scope passed */
    co_buf where_expected, where_actual; /* the scope on each side, or empty */
    co_verify_scope *differences; /* keys of rows found different go here, or NULL */
    /* findings per kind of each check not yet closed by Co_vcheck */
    co_kind_count pending[4][CO_VERIFY_MAX_KINDS];
    size_t npending[4];
    bool keyed;           /* the target gave it or its parents their keys (target_key): the
                           * expected rows come from the engine, through the id maps */
    /* content.c: the summaries of key ranges are digest sums (Co_row_digest,
     * which PostgreSQL computes too) rather than hash sums (Co_row_hash, SQLite
     * only); per side (0 expected, 1 actual) the SQL item that computes them
     * in the database, or NULL when cutover reads the rows and digests them */
    bool digest;
    const char *digest_sql[2];
    /* volume.c: the target's rows per month of the volume's time column,
     * counted as the content check reads them (Co_vmonths_*), or NULL */
    struct vmonths *months_here;
    const co_tenant *known_tenants; /* look for rows of no tenant (options), or NULL */
    size_t nknown_tenants;
} vctx;

/* True when entity e or an entity its refs name has a target_key: its
 * expected rows hold keys that only the id maps know. */
bool Co_vkeyed(const co_project *p, const co_entity *e);

/* Counts a finding under its kind and appends it (kept when fewer than
 * `sample` of its check were). */
co_code Co_vfinding(vctx *v, co_check_kind check, int64_t seen_before, const char *kind,
                    const char *key, const char *detail);
/* Sets the total of one kind of findings of check (for a check that names
 * only a sample of what it counted). */
void Co_vkind_total(vctx *v, co_check_kind check, const char *kind, int64_t total);
/* Appends a check result, with the kinds of its findings counted so far. */
co_code Co_vcheck(vctx *v, co_check_kind check, bool pass, int64_t expected, int64_t actual,
                  int64_t differences, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* SQL pieces. Each appends to out. */
/* "c1", "c2", ... When hashed, rounded where verify.round says so
 * (cutover_round() over cutover_canon()); the other columns are made
 * canonical by cutover_canon_hash_sum with Co_vsql_hash_types. */
void Co_vsql_columns(vctx *v, co_store *st, bool for_hash, co_buf *out);
/* 'integer,any,real,...': each output column's type for
 * cutover_canon_hash_sum ('any' for a rounded column, canonical already).
 * False when every one is 'any' (cutover_hash_sum does). */
bool Co_vsql_hash_types(vctx *v, co_buf *out);
/* A value of output column col as the target stores it: its canonical form
 * in the column's type (text written into buf, CO_CANON_TEXT_MAX bytes),
 * rounded where verify.round says so. The C twin of Co_vsql_columns' hash
 * form: both paths must agree value for value. */
co_value Co_vstored(const vctx *v, size_t col, co_value val, char *buf);
/* The decimals verify.round gives output column col, or -1. */
int Co_vround_digits(const vctx *v, size_t col);
/* "k1", "k2", ... */
void Co_vsql_keys(vctx *v, co_store *st, co_buf *out);
/* The expected rows: SELECT * FROM (query) AS expected WHERE cutover_keep(keys) */
void Co_vsql_expected(vctx *v, co_buf *out);
/* The tenant's target rows: FROM "table" AS actual WHERE <scope>; params: the tenant. */
void Co_vsql_actual(vctx *v, co_buf *out);
/* The same with every column of the target table (SELECT *): for the checks
 * of constraints over columns the query may not fill. */
void Co_vsql_actual_rows(vctx *v, co_buf *out);
/* Builds v->remap for an entity whose refs point to an entity that merged
 * rows of this tenant. */
co_code Co_vsql_remap(vctx *v);
/* Where a merged member's SQL literal and its survivor's lie in a buffer of
 * literals (offsets and lengths). */
typedef struct {
    size_t from, from_len, to, to_len;
} co_vsql_pair;
/* Appends the expression, "AS c" included, that sends column c (quoted) to
 * the survivors of its n (>= 1) merged members (lits, at) on a source without
 * cutover_map(): the flat CASE's value, tested by set and by group so that a
 * row does not pay a test per merged member (sqlgen.c). */
void Co_vsql_remap_case(const char *c, const co_buf *lits, const co_vsql_pair *at, size_t n,
                        co_buf *out);
/* True when the actual side is limited by the id map (no tenant column to use). */
bool Co_vsql_scoped_by_ids(const co_project *p, const co_entity *e);
/* Parameters for both: :tenant. */
co_param Co_vparam_tenant(vctx *v);

/* A SQL literal for a value on st. */
void Co_vsql_literal(co_store *st, const co_value *val, co_buf *out);
/* member -> survivor (canonical keys) for an output column that refers to an
 * entity whose rows merged, or NULL. */
const co_map *Co_vsql_survivors(vctx *v, const char *column);

/* The condition (over output columns) that picks the scope's rows of an
 * entity on st: "1 = 1" when whole or without scope, "1 = 0" when untouched. */
co_code Co_vscope_sql(vctx *v, const co_verify_scope *s, size_t entity, co_store *st, co_buf *out);
/* True without a scope or when the entity is whole in it. */
bool Co_vscope_whole(const co_verify_scope *s, size_t entity);
/* The condition for the entity of v on st: its own rows in the scope, and
 * its rows that refer to a parent's rows in it (a parent row that changed or
 * went changes which rows are the tenant's, and whether they dangle). *whole
 * when that cannot be said by keys: then every row is looked at. */
co_code Co_vscope_where(vctx *v, co_store *st, co_buf *out, bool *whole, bool *none);
/* "column" IN (the keys of parent's rows in the scope that its target table
 * no longer holds): the rows a removed parent may leave dangling. *all when
 * the parent's scope is not a list of its keys (then check every row); *none
 * when no such key exists. */
co_code Co_vscope_gone_sql(vctx *v, size_t parent, const char *column, co_store *st, co_buf *out,
                           bool *all, bool *none);
/* Adds the row's key (canonical, as the findings name it) to v->differences. */
co_code Co_vscope_note(vctx *v, const char *key);
/* For an entity whose target or whose parents' target gave the keys
 * (v->keyed): the scope's condition on the target side, each value that
 * went through an id map replaced by its target key (the source side is
 * Co_vscope_where's). *whole when the scope cannot be named there (an
 * entity without a tenant column, a target_key over a key of several
 * columns): the entity is verified whole. */
co_code Co_vscope_keyed_sql(vctx *v, co_store *st, co_buf *out, bool *whole);

co_code Co_verify_content(vctx *v);
/* The volume check; a time value whose date no calendar has (the store's
 * CO_STORE_MONTH_INVALID) is an invalid_time finding and counts in no month. */
co_code Co_verify_volume(vctx *v);
/* Rows per month on both sides over the volume window, into res->months
 * (counted on the target only when the content check found every row equal;
 * then, as the volume check is not run, its invalid_time findings are
 * made here, counted in v->invalid_times). */
co_code Co_verify_volume_months(vctx *v, bool rows_match);
/* The target's months counted in C as the content check reads the tenant's
 * rows (one scan instead of a second GROUP BY): when the entity has a volume,
 * no scope, and st computes months here (co_store_month_here), appends to
 * select the item that says whether a row is in the volume's window (column
 * v->ncols of the rows read) and starts the count; false otherwise. */
bool Co_vmonths_select(vctx *v, co_store *st, co_buf *select);
/* Counts one row read after Co_vmonths_select (row: its ncols + 1 values). */
co_code Co_vmonths_row(vctx *v, const co_value *row);
/* Frees the count (Co_verify_volume_months uses it when the rows match). */
void Co_vmonths_release(vctx *v);
co_code Co_verify_integrity(vctx *v);
/* The tenant's rows against the constraints the target table declares
 * (constraints.c), adding to *found the integrity findings. check_failing:
 * how many of the tenant's rows fail one of its CHECKs, when the caller
 * counted them (Co_vsql_checks_failing), else -1. */
co_code Co_verify_declared_constraints(vctx *v, int64_t check_failing, int64_t *found);
/* Appends "NOT (check1) OR NOT (check2) ..." over the CHECKs of ks (a row
 * for which one is false); returns how many (0: nothing appended). */
size_t Co_vsql_checks_failing(const co_constraint *ks, size_t n, co_buf *out);
/* Records an integrity finding of kind for key, with its detail, and notes
 * the key in the freeze's scope (integrity.c). */
co_code Co_vnoted_finding(vctx *v, int64_t *found, const char *kind, const co_buf *key,
                          const co_buf *detail);

/* Puts the canonical key of every tenant into known (orphans.c): the set that
 * the target's rows (foreign_tenant) and the source's (orphans) are matched
 * against. */
co_code Co_vknown_tenants(const co_tenant *tenants, size_t n, co_map *known, co_error *err);

#endif
