/*
 * content.c: the content check. Both sides compute, in the database, the count
 * and the sum of row hashes of a range of the first key column; equal ranges
 * are done. A differing range is split in 16 and each part compared again,
 * until a part is small (at most LEAF_ROWS rows) or a single key value: then
 * its rows are fetched from both sides and compared by key, which names each
 * missing, extra, changed and duplicated row and, for a changed one, the
 * columns and both values. Keys whose first column is not an integer are compared in one range.
 * The summaries are sums of Co_row_hash, computed in SQL by SQLite and here
 * for other engines; with CUTOVER_SERVER_DIGESTS=1, when either side is
 * another engine, sums of Co_row_digest, which PostgreSQL computes in SQL too
 * (co_store_digest_sum_sql), so that only summaries and the rows of
 * differing leaf ranges travel.
 */
#include "verify/verify_int.h"
#include "engine/engine_int.h"
#include "util/fmt.h"
#include "util/json.h"
#include "util/key.h"
#include "util/rowhash.h"
#include "util/free.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FANOUT 16
#define LEAF_ROWS 256

typedef struct summary {
    int64_t count;
    uint64_t hash;
    bool int_keys; /* min and max of the first key column are integers */
    int64_t lo, hi;
} summary;

typedef struct range {
    int64_t lo, hi;
    bool bounded;
} range;

typedef struct differ {
    vctx *v;
    int64_t missing, extra, changed, duplicate;
    int64_t found;  /* findings seen, for the sample */
    co_map rows;    /* the target's rows: key -> 8 bytes of hash, then (unless lean) the row
                       as canonical text */
    co_map seen;    /* keys of those rows the source also has */
    /* lean (a whole tenant's rows, content_merged): rows holds hashes only, and
     * the rows that need the target's values (changed or extra) are read again */
    bool lean;
    co_map suspect; /* lean: key -> the expected row (canonical text) whose hash differs */
    co_map settled; /* lean: keys already reported by the second read */
    co_buf key, val;
} differ;

/* Starts SELECT <select> over one side's rows of a range of the first key column. */
static co_code range_query(vctx *v, bool expected_side, const range *r, const co_buf *select,
                           co_cursor **out)
{
    co_store *st = expected_side ? v->s->source : v->s->dest;
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT %s FROM (", co_buf_str(select));
    if (expected_side)
        Co_vsql_expected(v, &sql);
    else
        Co_vsql_actual(v, &sql);
    Co_buf_adds(&sql, ") AS side");
    if (r->bounded) {
        Co_buf_adds(&sql, " WHERE ");
        co_store_quote_ident(st, v->e->key[0], &sql);
        Co_buf_adds(&sql, " BETWEEN :lo AND :hi");
    }
    co_param params[] = {Co_vparam_tenant(v), {":lo", co_int(r->lo)}, {":hi", co_int(r->hi)}};
    co_code rc = sql.failed || select->failed
                     ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                     : co_store_query(st, co_buf_str(&sql), params, 3, out, v->err);
    Co_buf_release(&sql);
    return rc;
}

/* Text of the canonical values of one row (util/canon.h), per column. */
typedef char canon_text[256][CO_CANON_TEXT_MAX];

/* Opens the cursor over one side's rows of the range, with the columns as
 * verify reads them (and, with months, the item Co_vmonths_select adds for
 * the target's months, when it does: *months then says so); more than 256
 * columns are refused (the cursor, if open, is the caller's to close either
 * way). */
static co_code range_rows(vctx *v, bool expected_side, const range *r, bool *months,
                          co_cursor **c)
{
    co_store *st = expected_side ? v->s->source : v->s->dest;
    co_buf select = CO_BUF_INIT;
    Co_vsql_columns(v, st, false, &select);
    if (months)
        *months = Co_vmonths_select(v, st, &select);
    co_code rc = range_query(v, expected_side, r, &select, c);
    Co_buf_release(&select);
    if (rc == CO_OK && v->ncols > 256)
        rc = co_error_set(v->err, CO_EUNSUPPORTED, "more than 256 columns");
    return rc;
}

/* The summary of a range hashed here, for a side that cannot compute it in
 * SQL (MySQL; PostgreSQL for columns pg_digest.c cannot write exactly): every
 * row of the range crosses the connection. */
static co_code summarize_here(vctx *v, bool expected_side, const range *r, summary *out)
{
    co_cursor *c = NULL;
    /* The target's whole rows pass here: the months for charts are counted
     * from them (volume.c) rather than by a second scan. */
    bool months = false;
    co_code rc = range_rows(v, expected_side, r, !expected_side && !r->bounded ? &months : NULL,
                            &c);
    memset(out, 0, sizeof *out);
    out->int_keys = true;
    bool has_row, first = true;
    co_value raw[257], row[256]; /* each value read from the cursor once (PostgreSQL parses it) */
    canon_text canon;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        for (size_t i = 0; i < v->ncols + (months ? 1 : 0); i++)
            raw[i] = co_cursor_value(c, i);
        if (months && (rc = Co_vmonths_row(v, raw)) != CO_OK)
            break;
        for (size_t i = 0; i < v->ncols; i++)
            row[i] = Co_vstored(v, i, raw[i], canon[i]);
        v->res->rows_fetched++;
        out->count++;
        out->hash += v->digest ? Co_row_digest(row, v->ncols) : Co_row_hash(row, v->ncols);
        co_value k = row[v->key_idx[0]];
        if (k.type != CO_INT) {
            out->int_keys = false;
            continue;
        }
        if (first || k.i < out->lo)
            out->lo = k.i;
        if (first || k.i > out->hi)
            out->hi = k.i;
        first = false;
    }
    co_cursor_close(c);
    return rc;
}

static co_code summarize(vctx *v, bool expected_side, const range *r, summary *out)
{
    co_store *st = expected_side ? v->s->source : v->s->dest;
    const char *digest_sql = v->digest_sql[expected_side ? 0 : 1];
    if (v->digest ? !digest_sql : !co_store_hashes_in_sql(st))
        return summarize_here(v, expected_side, r, out);
    co_buf select = CO_BUF_INIT, types = CO_BUF_INIT;
    /* each value in its target type's canonical form, inside the aggregate */
    if (v->digest)
        Co_buf_printf(&select, "count(*), %s", digest_sql);
    else if (Co_vsql_hash_types(v, &types))
        Co_buf_printf(&select, "count(*), cutover_canon_hash_sum(%s, ", co_buf_str(&types));
    else
        Co_buf_adds(&select, "count(*), cutover_hash_sum(");
    Co_buf_release(&types);
    if (!v->digest) {
        Co_vsql_columns(v, st, true, &select);
        Co_buf_adds(&select, ")");
    }
    Co_buf_adds(&select, ", min(");
    co_store_quote_ident(st, v->e->key[0], &select);
    Co_buf_adds(&select, "), max(");
    co_store_quote_ident(st, v->e->key[0], &select);
    Co_buf_adds(&select, ")");
    co_cursor *c = NULL;
    co_code rc = range_query(v, expected_side, r, &select, &c);
    Co_buf_release(&select);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, v->err);
    if (rc == CO_OK && has_row) {
        co_value lo = co_cursor_value(c, 2), hi = co_cursor_value(c, 3);
        out->count = co_cursor_value(c, 0).i;
        out->hash = co_store_digest_value(co_cursor_value(c, 1)); /* an integer, or its digits */
        out->int_keys = lo.type == CO_INT && hi.type == CO_INT;
        out->lo = lo.i;
        out->hi = hi.i;
        v->res->rows_fetched++;
    }
    co_cursor_close(c);
    return rc;
}

/* Chooses how ranges are summarized: hash sums inside both databases when
 * both have cutover's SQL functions (SQLite); otherwise digest sums, inside
 * each database that can compute them (co_store_digest_sum_sql: PostgreSQL,
 * SQLite), read and digested here on a side that cannot. sql[] keeps the
 * SQL items until the check ends. */
static co_code choose_summaries(vctx *v, co_buf sql[2])
{
    /* Measured on a server sharing the machine, the server's digests cost it
     * more CPU than sending the rows (bench/RESULTS.md): asked for with
     * CUTOVER_SERVER_DIGESTS=1, not yet the default. */
    const char *on = getenv("CUTOVER_SERVER_DIGESTS");
    v->digest = on && strcmp(on, "1") == 0 &&
                (!co_store_hashes_in_sql(v->s->source) || !co_store_hashes_in_sql(v->s->dest));
    v->digest_sql[0] = v->digest_sql[1] = NULL;
    if (!v->digest)
        return CO_OK;
    const char **types = calloc(v->ncols ? v->ncols : 1, sizeof *types);
    int *digits = calloc(v->ncols ? v->ncols : 1, sizeof *digits);
    char (*names)[32] = calloc(v->ncols ? v->ncols : 1, sizeof *names);
    co_code rc = types && digits && names ? CO_OK : co_error_set(v->err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CO_OK && i < v->ncols; i++) {
        if (v->types) {
            Co_canon_type_name(v->types[i], names[i], sizeof names[i]);
            types[i] = names[i];
        }
        digits[i] = Co_vround_digits(v, i);
    }
    co_param params[] = {Co_vparam_tenant(v), {":lo", co_int(0)}, {":hi", co_int(0)}};
    for (int side = 0; rc == CO_OK && side < 2; side++) {
        co_store *st = side == 0 ? v->s->source : v->s->dest;
        co_buf from = CO_BUF_INIT;
        if (side == 0)
            Co_vsql_expected(v, &from);
        else
            Co_vsql_actual(v, &from);
        bool supported = false;
        rc = from.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                         : co_store_digest_sum_sql(st, co_buf_str(&from), params, 3,
                                                   (const char *const *)v->cols, types, digits,
                                                   v->ncols, &sql[side], &supported, v->err);
        Co_buf_release(&from);
        if (rc == CO_OK && supported)
            v->digest_sql[side] = co_buf_str(&sql[side]);
    }
    CO_FREE(types, digits, names);
    return rc;
}

/* ---- both sides at once ---- */

typedef struct side_job {
    vctx v;              /* a copy with its own error and counts */
    co_error err;
    co_verify_result res;
    const range *r;
    summary out;
    co_code rc;
} side_job;

static void *summarize_expected(void *arg)
{
    side_job *j = arg;
    j->rc = summarize(&j->v, true, j->r, &j->out);
    return NULL;
}

/* The summaries of both sides of a range. The two databases work at the same
 * time, each connection staying with one thread (the expected side runs on a
 * thread of its own, with its own error and counts). */
static co_code summarize_both(vctx *v, const range *r, summary *exp, summary *act)
{
    side_job job;
    memset(&job, 0, sizeof job);
    job.v = *v;
    job.v.err = &job.err;
    job.v.res = &job.res;
    job.r = r;
    co_error_clear(&job.err);
    pthread_t thread;
    bool threaded = pthread_create(&thread, NULL, summarize_expected, &job) == 0;
    if (!threaded)
        summarize_expected(&job);
    co_code rc = summarize(v, false, r, act);
    if (threaded)
        pthread_join(thread, NULL);
    v->res->rows_fetched += job.res.rows_fetched;
    *exp = job.out;
    if (job.rc != CO_OK) {
        *v->err = job.err;
        return job.rc;
    }
    return rc;
}

/* Streams a side's rows of a range into fn. */
typedef co_code (*row_fn)(differ *d, const co_value *row);

static co_code each_row(differ *d, bool expected_side, const range *r, row_fn fn)
{
    vctx *v = d->v;
    co_cursor *c = NULL;
    co_code rc = range_rows(v, expected_side, r, NULL, &c);
    co_value row[256];
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        for (size_t i = 0; i < v->ncols; i++)
            row[i] = co_cursor_value(c, i);
        v->res->rows_fetched++;
        rc = fn(d, row);
    }
    co_cursor_close(c);
    return rc;
}

static void key_of(vctx *v, const co_value *row, co_buf *out)
{
    Co_key_of_row(out, row, v->key_idx, v->e->nkey);
}

/* The row as a JSON object of column: value. */
static void row_json(vctx *v, const co_value *row, co_buf *out)
{
    Co_json_row(out, (const char *const *)v->cols, row, v->ncols);
}

/* The row as the target stores its values (their canonical text in canon),
 * and its key in d->key; CO_ENOMEM when the key could not be written. */
static co_code stored_row(differ *d, const co_value *raw, co_value *row, canon_text canon)
{
    vctx *v = d->v;
    for (size_t i = 0; i < v->ncols && i < 256; i++)
        row[i] = Co_vstored(v, i, raw[i], canon[i]);
    key_of(v, row, &d->key);
    return d->key.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory") : CO_OK;
}

static co_code take_actual(differ *d, const co_value *raw)
{
    vctx *v = d->v;
    co_value row[256];
    canon_text canon;
    co_code rc = stored_row(d, raw, row, canon);
    if (rc != CO_OK)
        return rc;
    if (Co_map_get(&d->rows, d->key.data, d->key.len, NULL, NULL)) {
        /* A key the target holds twice (a table without its primary key):
         * the first row is compared, this one is reported. */
        d->duplicate++;
        co_buf detail = CO_BUF_INIT;
        Co_buf_adds(&detail, "{\"actual\":");
        row_json(v, row, &detail);
        Co_buf_addc(&detail, '}');
        rc = detail.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                           : Co_vfinding(v, CO_CHECK_CONTENT, d->found++, "duplicate",
                                         d->key.data, co_buf_str(&detail));
        Co_buf_release(&detail);
        if (rc == CO_OK)
            rc = Co_vscope_note(v, d->key.data);
        return rc;
    }
    uint64_t h = Co_row_hash(row, v->ncols);
    Co_buf_reset(&d->val);
    Co_buf_add(&d->val, &h, sizeof h);
    if (!d->lean)
        Co_key_encode(&d->val, row, v->ncols);
    if (d->key.failed || d->val.failed ||
        !Co_map_put(&d->rows, d->key.data, d->key.len, d->val.data, d->val.len))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* A row whose hash differs on the two sides, its key in d->key: reports the
 * columns that differ, with both values; nothing when every value is equal
 * (the hash saw rounding that the values hide). */
static co_code report_changed(differ *d, const co_value *expected, const co_value *actual)
{
    vctx *v = d->v;
    co_buf detail = CO_BUF_INIT;
    Co_buf_adds(&detail, "{\"columns\":{");
    bool first = true;
    for (size_t i = 0; i < v->ncols; i++) {
        if (Co_value_same(&expected[i], &actual[i]))
            continue;
        Co_buf_adds(&detail, first ? "" : ",");
        first = false;
        Co_json_str(&detail, v->cols[i]);
        Co_buf_adds(&detail, ":{\"expected\":");
        Co_json_value(&detail, &expected[i]);
        Co_buf_adds(&detail, ",\"actual\":");
        Co_json_value(&detail, &actual[i]);
        Co_buf_addc(&detail, '}');
    }
    Co_buf_adds(&detail, "}}");
    co_code rc = CO_OK;
    if (!first) {
        d->changed++;
        rc = detail.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                           : Co_vfinding(v, CO_CHECK_CONTENT, d->found++, "changed",
                                         d->key.data, co_buf_str(&detail));
        if (rc == CO_OK)
            rc = Co_vscope_note(v, d->key.data);
    }
    Co_buf_release(&detail);
    return rc;
}

/* Decodes a row kept as canonical text into vals, which point into storage. */
static co_code decode_row(differ *d, const char *val, size_t vlen, co_value *vals, size_t *n,
                          co_buf *storage)
{
    char *text = strndup(val, vlen);
    co_code rc = text ? Co_key_decode(text, vals, 256, n, storage, d->v->err)
                      : co_error_set(d->v->err, CO_ENOMEM, "out of memory");
    free(text);
    return rc;
}

static co_code compare_expected(differ *d, const co_value *raw)
{
    vctx *v = d->v;
    co_value row[256];
    canon_text canon;
    co_code rc = stored_row(d, raw, row, canon);
    if (rc != CO_OK)
        return rc;
    const char *val;
    size_t vlen;
    if (!Co_map_get(&d->rows, d->key.data, d->key.len, &val, &vlen)) {
        d->missing++;
        co_buf detail = CO_BUF_INIT;
        Co_buf_adds(&detail, "{\"expected\":");
        row_json(v, row, &detail);
        Co_buf_addc(&detail, '}');
        rc = detail.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                           : Co_vfinding(v, CO_CHECK_CONTENT, d->found++, "missing",
                                         d->key.data, co_buf_str(&detail));
        Co_buf_release(&detail);
        if (rc == CO_OK)
            rc = Co_vscope_note(v, d->key.data);
        return rc;
    }
    if (!Co_map_put(&d->seen, d->key.data, d->key.len, "", 0))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    uint64_t h;
    memcpy(&h, val, sizeof h);
    if (h == Co_row_hash(row, v->ncols))
        return CO_OK;
    if (d->lean) { /* the target's values are read again later */
        Co_buf_reset(&d->val);
        Co_key_encode(&d->val, row, v->ncols);
        if (d->val.failed || !Co_map_put(&d->suspect, d->key.data, d->key.len, d->val.data,
                                         d->val.len))
            return co_error_set(v->err, CO_ENOMEM, "out of memory");
        return CO_OK;
    }
    co_value actual[256];
    size_t n = 0;
    co_buf storage = CO_BUF_INIT;
    rc = decode_row(d, val + sizeof h, vlen - sizeof h, actual, &n, &storage);
    if (rc == CO_OK && n == v->ncols)
        rc = report_changed(d, row, actual);
    Co_buf_release(&storage);
    return rc;
}

/* An extra row: one the target holds and no expected row claimed. */
static co_code report_one_extra(differ *d, const char *key, size_t klen, const co_value *actual)
{
    vctx *v = d->v;
    d->extra++;
    co_buf detail = CO_BUF_INIT, keytext = CO_BUF_INIT;
    Co_buf_add(&keytext, key, klen);
    Co_buf_adds(&detail, "{\"actual\":");
    if (actual)
        row_json(v, actual, &detail);
    else
        Co_buf_adds(&detail, "null");
    Co_buf_addc(&detail, '}');
    co_code rc = detail.failed || keytext.failed
                     ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                     : Co_vfinding(v, CO_CHECK_CONTENT, d->found++, "extra",
                                   co_buf_str(&keytext), co_buf_str(&detail));
    if (rc == CO_OK)
        rc = Co_vscope_note(v, co_buf_str(&keytext));
    Co_buf_release(&detail);
    Co_buf_release(&keytext);
    return rc;
}

/* Reports the target's rows of d->rows that no expected row claimed (not
 * lean: lean rows hold no values, settle_lean reads them again). */
static co_code report_extra(differ *d, co_code rc)
{
    size_t pos = 0;
    const char *key, *val;
    size_t klen, vlen;
    while (rc == CO_OK && !d->lean && Co_map_next(&d->rows, &pos, &key, &klen, &val, &vlen)) {
        if (Co_map_get(&d->seen, key, klen, NULL, NULL))
            continue;
        /* The row as column: value, decoded from the canonical array. */
        co_value actual[256];
        size_t n = 0;
        co_buf storage = CO_BUF_INIT;
        rc = decode_row(d, val + sizeof(uint64_t), vlen - sizeof(uint64_t), actual, &n, &storage);
        if (rc == CO_OK)
            rc = report_one_extra(d, key, klen, n == d->v->ncols ? actual : NULL);
        Co_buf_release(&storage);
    }
    Co_map_release(&d->rows);
    Co_map_release(&d->seen);
    Co_map_release(&d->suspect);
    Co_map_release(&d->settled);
    return rc;
}

/* Lean, second read of the target's rows: each suspect row is compared with
 * the values in hand, each row no expected row claimed is reported extra;
 * a key the target holds twice is reported once. */
static co_code settle_one(differ *d, const co_value *raw)
{
    vctx *v = d->v;
    co_value row[256];
    canon_text canon;
    co_code rc = stored_row(d, raw, row, canon);
    if (rc != CO_OK)
        return rc;
    const char *val;
    size_t vlen;
    bool suspect = Co_map_get(&d->suspect, d->key.data, d->key.len, &val, &vlen);
    if (!suspect && Co_map_get(&d->seen, d->key.data, d->key.len, NULL, NULL))
        return CO_OK;
    int added = Co_map_add(&d->settled, d->key.data, d->key.len, "", 0);
    if (added < 0)
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    if (added == 0)
        return CO_OK;
    if (!suspect)
        return report_one_extra(d, d->key.data, d->key.len, row);
    co_value expected[256];
    size_t n = 0;
    co_buf storage = CO_BUF_INIT;
    rc = decode_row(d, val, vlen, expected, &n, &storage);
    if (rc == CO_OK && n == v->ncols)
        rc = report_changed(d, expected, row);
    Co_buf_release(&storage);
    return rc;
}

/* Lean: reads the target's rows again only when some need their values. */
static co_code settle_lean(differ *d, const range *r, co_code rc)
{
    if (rc == CO_OK && (co_map_count(&d->suspect) > 0 ||
                        co_map_count(&d->seen) < co_map_count(&d->rows))) {
        /* the hashes are no longer needed: give their memory back first */
        Co_map_release(&d->rows);
        rc = each_row(d, false, r, settle_one);
    }
    return report_extra(d, rc);
}

/* Compares one small range row by row. */
static co_code diff_leaf(differ *d, const range *r)
{
    Co_map_release(&d->rows);
    Co_map_release(&d->seen);
    co_code rc = each_row(d, false, r, take_actual);
    if (rc == CO_OK)
        rc = each_row(d, true, r, compare_expected);
    return report_extra(d, rc);
}

/* ---- entities whose rows merges change ---- */

typedef struct merged_side {
    differ *d;
    int64_t count;
    uint64_t hash;
} merged_side;

static co_code take_merged(void *ctx, const co_value *row, co_error *err)
{
    (void)err;
    merged_side *m = ctx;
    vctx *v = m->d->v;
    co_value r[256];
    canon_text canon;
    for (size_t i = 0; i < v->ncols && i < 256; i++)
        r[i] = Co_vstored(v, i, row[i], canon[i]);
    m->count++;
    m->hash += Co_row_hash(r, v->ncols);
    v->res->rows_fetched++;
    return compare_expected(m->d, row);
}

/* What the target should hold cannot be computed in SQL when rows merge
 * (survivorship) or their refs went to merged rows: the expected rows come
 * from the engine, as migrate made them, and are compared with all the
 * tenant's target rows by key. */
static co_code content_merged(vctx *v, differ *d, summary *exp, summary *act)
{
    range all = {0, 0, false};
    d->lean = true;
    co_code rc = each_row(d, false, &all, take_actual);
    act->count = (int64_t)co_map_count(&d->rows) + d->duplicate;
    merged_side side = {d, 0, 0};
    int index = co_project_entity_index(v->s->project, v->e->name);
    if (rc == CO_OK)
        rc = Co_expected_rows(v->s, v->t, (size_t)index, &v->rejected,
                              v->scoped ? co_buf_str(&v->where_expected) : NULL, take_merged,
                              &side, v->err);
    exp->count = side.count;
    rc = settle_lean(d, &all, rc);
    /* The engine's merged rows and the target's hashes were the tenant's
     * whole entity: their freed pages would add to the next checks' peak. */
    Co_return_freed_memory(CO_TRIM_AFTER_ENTITY);
    /* No sums to compare: every row was compared. */
    act->hash = exp->hash = 0;
    return rc;
}

/* True when survivorship makes the entity's rows: they are computed here. */
static bool merges_touch(const co_project *p, const co_entity *e)
{
    (void)p; /* its children: remapped in SQL (Co_vsql_remap) */
    return e->merge != NULL;
}

co_code Co_verify_content(vctx *v)
{
    differ d = {0};
    d.v = v;
    range all = {0, 0, false};
    summary exp = {0}, act = {0};
    bool merged = merges_touch(v->s->project, v->e) || v->keyed;
    co_buf digest_sql[2] = {CO_BUF_INIT, CO_BUF_INIT};
    co_code rc = merged ? CO_OK : choose_summaries(v, digest_sql);
    if (rc == CO_OK)
        rc = merged ? content_merged(v, &d, &exp, &act) : summarize_both(v, &all, &exp, &act);
    if (rc != CO_OK) {
        Co_buf_release(&d.key);
        Co_buf_release(&d.val);
        Co_buf_release(&digest_sql[0]);
        Co_buf_release(&digest_sql[1]);
        v->digest_sql[0] = v->digest_sql[1] = NULL;
        return rc;
    }
    v->expected_rows = exp.count;
    v->actual_rows = act.count;
    v->res->rows_compared += exp.count;
    if (!merged && (exp.count != act.count || exp.hash != act.hash)) {
        bool bisect = (exp.count == 0 || exp.int_keys) && (act.count == 0 || act.int_keys);
        if (!bisect) {
            rc = diff_leaf(&d, &all);
        } else {
            /* A work list of ranges that differ, bisected until small. */
            size_t cap = 64, n = 0;
            range *todo = malloc(cap * sizeof *todo);
            if (!todo) {
                Co_buf_release(&digest_sql[0]);
                Co_buf_release(&digest_sql[1]);
                v->digest_sql[0] = v->digest_sql[1] = NULL;
                return co_error_set(v->err, CO_ENOMEM, "out of memory");
            }
            int64_t lo = exp.count == 0   ? act.lo
                         : act.count == 0 ? exp.lo
                         : exp.lo < act.lo ? exp.lo
                                           : act.lo;
            int64_t hi = exp.count == 0   ? act.hi
                         : act.count == 0 ? exp.hi
                         : exp.hi > act.hi ? exp.hi
                                           : act.hi;
            todo[n++] = (range){lo, hi, true};
            bool first = true;
            while (rc == CO_OK && n > 0) {
                range r = todo[--n];
                summary e = exp, a = act;
                if (!first) {
                    rc = summarize_both(v, &r, &e, &a);
                    if (rc != CO_OK)
                        break;
                    if (e.count == a.count && e.hash == a.hash)
                        continue;
                }
                first = false;
                int64_t most = e.count > a.count ? e.count : a.count;
                if (most <= LEAF_ROWS || r.lo == r.hi) {
                    rc = diff_leaf(&d, &r);
                    continue;
                }
                /* Split [lo, hi] in FANOUT parts, in unsigned arithmetic. */
                uint64_t width = (uint64_t)r.hi - (uint64_t)r.lo;
                uint64_t step = width / FANOUT + 1;
                for (uint64_t start = (uint64_t)r.lo;; start += step) {
                    uint64_t end = start + step - 1;
                    bool last = end >= (uint64_t)r.hi || end < start;
                    if (last)
                        end = (uint64_t)r.hi;
                    if (n == cap) {
                        range *grown = realloc(todo, 2 * cap * sizeof *todo);
                        if (!grown) {
                            rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
                            break;
                        }
                        todo = grown;
                        cap *= 2;
                    }
                    todo[n++] = (range){(int64_t)start, (int64_t)end, true};
                    if (last)
                        break;
                }
            }
            free(todo);
        }
    }
    Co_buf_release(&d.key);
    Co_buf_release(&d.val);
    Co_buf_release(&digest_sql[0]);
    Co_buf_release(&digest_sql[1]);
    v->digest_sql[0] = v->digest_sql[1] = NULL;
    if (rc != CO_OK)
        return rc;
    int64_t diffs = d.missing + d.extra + d.changed + d.duplicate;
    if (diffs == 0 && (exp.count != act.count || exp.hash != act.hash)) {
        diffs = 1; /* the sums differ but no row could be told apart: say so */
        if (v->differences)
            co_verify_scope_whole(v->differences, v->index);
    }
    /* Counts as everywhere (util/fmt.h): separators, nouns that agree. */
    char rows[CO_FMT_PLURAL], missing[CO_FMT_COUNT], extra[CO_FMT_COUNT],
        changed[CO_FMT_COUNT], duplicate[CO_FMT_COUNT];
    const char *match = Co_fmt_noun(exp.count, "matches", "match");
    if (diffs == 0 && v->scoped)
        return Co_vcheck(v, CO_CHECK_CONTENT, true, exp.count, act.count, 0,
                         "%s changed since run %lld %s; the others matched then",
                         Co_fmt_plural(rows, exp.count, "row", "rows"), (long long)v->since_run,
                         match);
    if (diffs == 0)
        return Co_vcheck(v, CO_CHECK_CONTENT, true, exp.count, act.count, 0, "%s %s",
                         Co_fmt_plural(rows, exp.count, "row", "rows"), match);
    Co_fmt_plural(rows, exp.count, "expected row", "expected rows");
    Co_fmt_count(missing, d.missing);
    Co_fmt_count(extra, d.extra);
    Co_fmt_count(changed, d.changed);
    if (d.duplicate)
        return Co_vcheck(v, CO_CHECK_CONTENT, false, exp.count, act.count, diffs,
                         "%s missing, %s extra, %s changed, %s duplicate of %s", missing, extra,
                         changed, Co_fmt_count(duplicate, d.duplicate), rows);
    return Co_vcheck(v, CO_CHECK_CONTENT, false, exp.count, act.count, diffs,
                     "%s missing, %s extra, %s changed of %s", missing, extra, changed, rows);
}
