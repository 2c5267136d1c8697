/*
 * pushdown.c: an entity loaded inside the databases (store/pushdown.h), by
 * INSERT ... SELECT from the source into the destination, when none of its
 * rows needs cutover's hands. A statement takes one chunk, the rows of a key
 * range (options.pushdown_chunk_rows of them, else batch_size), in a target
 * transaction of its own committed after the journal as a batch is: another
 * writer of the target waits for one chunk at most, and a run killed midway
 * is purged and loaded again as the row path's is. The rule (docs/architecture.md, "Push-down"):
 * the source and destination can (two SQLite files), the target table has no
 * triggers and no declared foreign keys, and the entity keeps no id map
 * (it has a tenant column, no later entity refers to it, it merges nothing,
 * the target does not give its keys), its references do not collapse rows
 * (no ref into a merged entity inside its key), every ref's parent has a
 * one-column key, nothing watches its rows (no on_row hook but a checkpoint,
 * not a verification), and its output columns have distinct names.
 *
 * The row path's checks stay exact, in SQL: refs go through a temporary
 * copy of the parent's loaded keys (source key -> target key, as
 * admit_row; looked up by rowid when they are all integers), text must be valid UTF-8 (cutover_utf8, the same test). The
 * rows that fail them, and only those, are kept by the store as the insert
 * passes them (cutover_admit; read back with a query when there are too many
 * to keep) and go through the row path, which rejects each with the reason
 * it always gave. A row the target refuses fails the statement: it is
 * undone and that chunk loads row by row.
 */
#include "engine/load_int.h"
#include "engine/pushdown.h"
#include "store/pushdown.h"
#include "util/grow.h"
#include "util/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CUTOVER_PUSHDOWN=0 loads every entity row by row (to compare the two). */
static bool pushdown_wanted(void)
{
    const char *e = getenv("CUTOVER_PUSHDOWN");
    return !(e && strcmp(e, "0") == 0);
}

static bool eligible(const load *l, const co_migrate_options *opt)
{
    const co_entity *e = l->e;
    const co_project *p = l->s->project;
    if (!pushdown_wanted() || l->sink || l->merger || e->merge || e->target_key || l->kd.on ||
        l->collapse || l->track_ids || l->keep_loaded || l->keys[l->index].referenced ||
        !e->tenant_column || (opt->on_row && !opt->on_row_checkpoint) || l->ncols == 0 ||
        l->ncols > 100)
        return false;
    for (size_t r = 0; r < e->nrefs; r++)
        if (p->entities[l->refs[r].parent].nkey != 1)
            return false;
    for (size_t i = 0; i < l->ncols; i++)
        if (Co_column_index(l->names, l->ncols, l->names[i]) != (int)i)
            return false;
    return true;
}

/* Asked by the store while the statement runs: the caller's checkpoint. */
typedef struct pd_stop {
    const load *l;
    const co_migrate_options *opt;
} pd_stop;

static bool stop_asked(void *ctx)
{
    pd_stop *ps = ctx;
    co_error e;
    co_error_clear(&e);
    return ps->opt->on_row && ps->opt->on_row(ps->opt->on_row_ctx, ps->l->index,
                                              (const char *const *)ps->l->names, NULL, 0,
                                              &e) != CO_OK;
}

/* The integer of canonical key k ("[42]"), when it is one integer. */
static bool int_key(const char *k, size_t len, int64_t *out)
{
    return len > 2 && k[0] == '[' && k[len - 1] == ']' && Co_text_as_int(k + 1, len - 2, out);
}

/* True when every loaded key of ref r's parent, and the target key it maps
 * to, is one integer (the demo's ids, any serial key). */
static bool parent_keys_integers(const load *l, size_t r)
{
    const co_map *m = &l->keys[l->refs[r].parent].loaded;
    const char *k, *t;
    size_t klen, tlen, pos = 0;
    int64_t i;
    while (Co_map_next(m, &pos, &k, &klen, &t, &tlen))
        if (!int_key(k, klen, &i) || !int_key(t, tlen, &i))
            return false;
    return true;
}

/* Copies the loaded keys of ref r's parent into temp table cutover_ref_<r>:
 * k the canonical source key, v the target value, same 1 when the target
 * key is the source key as written (the value then stays as the row has it).
 * When they are all integers (l->pd_int_refs[r]), k is the integer itself,
 * the table's rowid: a row finds its parent by rowid (cutover_int_key, the
 * integer of the value's canonical key), with no canonical key made for it. */
static co_code copy_parent_keys(load *l, size_t r, co_error *err)
{
    bool ints = l->pd_int_refs[r] = parent_keys_integers(l, r);
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "CREATE TEMP TABLE cutover_ref_%zu (k %s PRIMARY KEY, v, same INTEGER)",
                  r, ints ? "INTEGER" : "TEXT");
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_exec(l->pd, co_buf_str(&sql), err);
    Co_buf_reset(&sql);
    Co_buf_printf(&sql, "INSERT INTO cutover_ref_%zu (k, v, same) VALUES (?, ?, ?)", r);
    co_stmt *st = NULL;
    if (rc == CO_OK)
        rc = co_store_prepare(l->pd, co_buf_str(&sql), &st, err);
    Co_buf_release(&sql);
    const co_map *m = &l->keys[l->refs[r].parent].loaded;
    const char *k, *t;
    size_t klen, tlen, pos = 0;
    co_buf storage = CO_BUF_INIT, copy = CO_BUF_INIT;
    while (rc == CO_OK && Co_map_next(m, &pos, &k, &klen, &t, &tlen)) {
        co_value vals[3];
        size_t n = 1;
        int64_t ki, ti;
        if (ints && int_key(k, klen, &ki) && int_key(t, tlen, &ti)) {
            vals[0] = co_int(ki);
            vals[1] = co_int(ti);
        } else {
            Co_buf_reset(&copy);
            Co_buf_add(&copy, t, tlen);
            Co_buf_reset(&storage);
            if (copy.failed)
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            if (rc == CO_OK)
                rc = Co_key_decode(co_buf_str(&copy), &vals[1], 1, &n, &storage, err);
            vals[0] = (co_value){.type = CO_TEXT, .s = k, .len = klen};
        }
        if (rc == CO_OK && n != 1)
            rc = co_error_set(err, CO_EINTERNAL, "a target key of %zu values", n);
        vals[2] = co_int(tlen == klen && memcmp(t, k, klen) == 0);
        if (rc == CO_OK)
            rc = co_stmt_exec(st, vals, 3, NULL, err);
    }
    co_stmt_close(st);
    Co_buf_release(&storage);
    Co_buf_release(&copy);
    return rc;
}

/* Appends the quoted name of output column i, as q."name". */
static void qcol(const load *l, size_t i, co_buf *sql)
{
    Co_buf_adds(sql, "q.");
    co_store_quote_ident(l->pd, l->names[i], sql);
}

/* The ref index of output column i, or -1. */
static int ref_of(const load *l, size_t i)
{
    for (size_t r = 0; r < l->e->nrefs; r++)
        if (l->refs[r].column == i)
            return (int)r;
    return -1;
}

/* What a statement reads of the entity's rows. */
typedef enum { PD_KEEP, PD_FAILED, PD_ALL } pd_rows;

/* FROM (query) q LEFT JOIN the parents' keys, WHERE the row is in range (SQL,
 * "" for all the tenant's rows) and: PD_KEEP, the rows that fail admit_row's
 * checks are kept by the store (cutover_admit) while those that pass are
 * selected; PD_FAILED, the rows that fail them; PD_ALL, every row. */
static void from_where(const load *l, pd_rows rows, const char *range, co_buf *sql)
{
    Co_buf_adds(sql, "FROM (");
    Co_buf_adds(sql, l->e->query);
    Co_buf_adds(sql, "\n) AS q");
    for (size_t r = 0; rows != PD_ALL && r < l->e->nrefs; r++) {
        Co_buf_printf(sql, "\nLEFT JOIN cutover_ref_%zu AS r%zu ON r%zu.k = %s(", r, r, r,
                      l->pd_int_refs[r] ? "cutover_int_key" : "cutover_key");
        qcol(l, l->refs[r].column, sql);
        Co_buf_addc(sql, ')');
    }
    Co_buf_adds(sql, "\nWHERE ");
    if (*range) {
        Co_buf_adds(sql, range);
        Co_buf_adds(sql, rows == PD_ALL ? "" : " AND ");
    }
    if (rows == PD_ALL) {
        if (!*range)
            Co_buf_adds(sql, "1");
        return;
    }
    if (rows == PD_FAILED) {
        Co_buf_adds(sql, "NOT (");
    } else { /* the range again inside: a row outside it is never kept */
        Co_buf_adds(sql, "cutover_admit(");
        if (*range)
            Co_buf_printf(sql, "CASE WHEN %s THEN ", range);
        Co_buf_addc(sql, '(');
    }
    for (size_t r = 0; r < l->e->nrefs; r++) {
        Co_buf_addc(sql, '(');
        qcol(l, l->refs[r].column, sql);
        Co_buf_printf(sql, " IS NULL OR r%zu.k IS NOT NULL) AND ", r);
    }
    Co_buf_adds(sql, "cutover_utf8(");
    for (size_t i = 0; i < l->ncols; i++) {
        if (i)
            Co_buf_adds(sql, ", ");
        qcol(l, i, sql);
    }
    Co_buf_adds(sql, ") = 1)");
    if (rows == PD_KEEP) {
        if (*range)
            Co_buf_adds(sql, " END");
        for (size_t i = 0; i < l->ncols; i++) {
            Co_buf_adds(sql, ", ");
            qcol(l, i, sql);
        }
        Co_buf_addc(sql, ')');
    }
}

/* The SELECT whose rows are the target's: refs through the parents' keys,
 * the first column counting the row's bytes (cutover_tally). */
static void select_admitted(const load *l, const char *range, co_buf *sql)
{
    Co_buf_adds(sql, "SELECT ");
    for (size_t i = 0; i < l->ncols; i++) {
        co_buf col = CO_BUF_INIT;
        int r = ref_of(l, i);
        if (r < 0) {
            qcol(l, i, &col);
        } else {
            Co_buf_printf(&col, "CASE WHEN r%d.same THEN ", r);
            qcol(l, i, &col);
            Co_buf_printf(&col, " ELSE r%d.v END", r);
        }
        if (i == 0) {
            Co_buf_adds(sql, "cutover_tally(");
            Co_buf_add(sql, col.data, col.len);
            for (size_t j = 0; j < l->ncols; j++) {
                Co_buf_adds(sql, ", ");
                qcol(l, j, sql);
            }
            Co_buf_addc(sql, ')');
        } else {
            Co_buf_adds(sql, ", ");
            Co_buf_add(sql, col.data, col.len);
        }
        Co_buf_release(&col);
    }
    Co_buf_addc(sql, '\n');
    from_where(l, PD_KEEP, range, sql);
}

/* The key columns as a row value, (q."a", q."b"). */
static void key_tuple(const load *l, co_buf *sql)
{
    Co_buf_addc(sql, '(');
    for (size_t k = 0; k < l->e->nkey; k++) {
        if (k)
            Co_buf_adds(sql, ", ");
        qcol(l, l->key_idx[k], sql);
    }
    Co_buf_addc(sql, ')');
}

/* The chunks' bounds (l->pd_bounds): the key of every chunk-th row of
 * the tenant's in key order, each an exact key (Co_key_encode_exact); none
 * when the rows fit one chunk (counted first), the entity has no key, or a key column is
 * NULL somewhere (such a row is in no range: the entity then goes in one
 * statement). */
static co_code find_bounds(load *l, co_error *err)
{
    if (l->e->nkey == 0)
        return CO_OK;
    const co_project *p = l->s->project;
    size_t every = p->pushdown_chunk_rows ? p->pushdown_chunk_rows
                   : p->batch_size        ? p->batch_size
                                          : 1;
    /* Most tenants' rows fit one chunk: a count says so for less than the
     * keys read in order (no sort; often an index alone). */
    co_param tenant = {":tenant", l->t->value};
    int64_t rows = 0;
    co_code rc = Co_entity_count_rows(l->s, l->e, &tenant, &rows, err);
    if (rc != CO_OK || rows <= (int64_t)every)
        return rc;
    co_buf sql = CO_BUF_INIT, key = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    for (size_t k = 0; k < l->e->nkey; k++) {
        if (k)
            Co_buf_adds(&sql, ", ");
        qcol(l, l->key_idx[k], &sql);
    }
    Co_buf_adds(&sql, " FROM (");
    Co_buf_adds(&sql, l->e->query);
    Co_buf_adds(&sql, "\n) AS q ORDER BY ");
    for (size_t k = 0; k < l->e->nkey; k++)
        Co_buf_printf(&sql, "%s%zu", k ? ", " : "", k + 1);
    co_cursor *c = NULL;
    rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                    : co_store_query(l->pd, co_buf_str(&sql), &tenant, 1, &c, err);
    Co_buf_release(&sql);
    size_t cap = 0, n = 0;
    bool has_row, nulls = false;
    co_value vals[64];
    while (rc == CO_OK && !nulls && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t k = 0; k < l->e->nkey; k++)
            nulls |= (vals[k] = co_cursor_value(c, k)).type == CO_NULL;
        if (++n % every)
            continue;
        Co_buf_reset(&key);
        Co_key_encode_exact(&key, vals, l->e->nkey);
        char *b = key.failed ? NULL : strdup(co_buf_str(&key));
        if (!b || !CO_GROW(l->pd_bounds, cap, l->pd_nbounds + 1, 16)) {
            free(b);
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        } else {
            l->pd_bounds[l->pd_nbounds++] = b;
        }
    }
    co_cursor_close(c);
    Co_buf_release(&key);
    if (rc == CO_OK && l->pd_nbounds && n % every == 0) /* the last row ends the last chunk */
        free(l->pd_bounds[--l->pd_nbounds]);
    if (nulls)
        while (l->pd_nbounds)
            free(l->pd_bounds[--l->pd_nbounds]);
    return rc;
}

/* Closes the push-down connection, undoing what it did not commit. */
void Co_pushdown_close(load *l)
{
    while (l->pd_nbounds)
        free(l->pd_bounds[--l->pd_nbounds]);
    free(l->pd_bounds);
    l->pd_bounds = NULL;
    free(l->pd_int_refs);
    l->pd_int_refs = NULL;
    if (!l->pd)
        return;
    co_store_rollback(l->pd);
    co_store_close(l->pd);
    l->pd = NULL;
}

co_code Co_pushdown_try(load *l, const co_migrate_options *opt, co_error *err)
{
    if (!eligible(l, opt))
        return CO_OK;
    pd_stop *ps = calloc(1, sizeof *ps);
    if (!ps)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    *ps = (pd_stop){l, opt};
    free(l->pd_stop);
    l->pd_stop = ps;
    co_code rc = Co_store_pushdown_open(l->s->source, l->s->dest, l->e->target,
                                        (const char *const *)l->names, l->ncols, stop_asked, ps,
                                        &l->pd, err);
    if (rc == CO_EUNSUPPORTED) { /* not here: row by row */
        co_error_clear(err);
        return CO_OK;
    }
    /* The parents' keys in temporary tables, written in one transaction. */
    if (rc == CO_OK && l->e->nrefs && !(l->pd_int_refs = calloc(l->e->nrefs, sizeof *l->pd_int_refs)))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = co_store_exec(l->pd, "BEGIN", err);
    for (size_t r = 0; rc == CO_OK && r < l->e->nrefs; r++)
        rc = copy_parent_keys(l, r, err);
    if (rc == CO_OK)
        rc = co_store_commit(l->pd, err);
    if (rc == CO_OK)
        rc = find_bounds(l, err);
    if (rc != CO_OK && stop_asked(ps)) { /* interrupted: the checkpoint's own error */
        co_error_clear(err);
        rc = opt->on_row(opt->on_row_ctx, l->index, (const char *const *)l->names, NULL, 0, err);
    }
    if (rc != CO_OK)
        Co_pushdown_close(l);
    return rc;
}

/* Chunk i's range: the key above bound i - 1 and at most bound i (SQL with
 * :lo0..., :hi0... in params[1...] named in names, their values' bytes in lo
 * and hi). */
typedef char pd_names[2][64][24]; /* ":lo"/":hi" and a size_t */

static co_code chunk_range(load *l, size_t i, co_buf *range, co_param *params, size_t *nparams,
                           pd_names names, co_buf *lo, co_buf *hi, co_error *err)
{
    static const char *const side[2] = {"lo", "hi"};
    co_buf *storage[2] = {lo, hi};
    const char *bound[2] = {i ? l->pd_bounds[i - 1] : NULL,
                            i < l->pd_nbounds ? l->pd_bounds[i] : NULL};
    co_code rc = CO_OK;
    Co_buf_reset(range);
    *nparams = 1;
    for (int b = 0; b < 2 && rc == CO_OK; b++) {
        if (!bound[b])
            continue;
        co_value vals[64];
        size_t n = 0;
        Co_buf_reset(storage[b]);
        rc = Co_key_decode(bound[b], vals, 64, &n, storage[b], err);
        if (rc == CO_OK && n != l->e->nkey)
            rc = co_error_set(err, CO_EINTERNAL, "a chunk's bound of %zu values", n);
        if (rc != CO_OK)
            break;
        if (range->len)
            Co_buf_adds(range, " AND ");
        key_tuple(l, range);
        Co_buf_adds(range, b ? " <= (" : " > (");
        for (size_t k = 0; k < n; k++) {
            snprintf(names[b][k], sizeof names[b][k], ":%s%zu", side[b], k);
            Co_buf_printf(range, "%s%s", k ? ", " : "", names[b][k]);
            params[(*nparams)++] = (co_param){names[b][k], vals[k]};
        }
        Co_buf_addc(range, ')');
    }
    if (rc == CO_OK && range->failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    return rc;
}

/* One chunk: its admitted rows inserted (the target's lock taken), the rows
 * the insert left out rejected by the row path; a chunk the target refuses
 * is undone and goes row by row. The journal commits, then the target. */
static co_code load_chunk(load *l, size_t i, co_loader *loader, const co_migrate_options *opt,
                          int64_t total, co_buf *sql, co_buf *range, co_buf *lo, co_buf *hi)
{
    co_param params[1 + 2 * 64];
    pd_names names;
    size_t nparams;
    params[0] = (co_param){":tenant", l->t->value};
    co_code rc = chunk_range(l, i, range, params, &nparams, names, lo, hi, l->err);
    Co_buf_reset(sql);
    select_admitted(l, co_buf_str(range), sql);
    if (rc == CO_OK && sql->failed)
        rc = co_error_set(l->err, CO_ENOMEM, "out of memory");
    /* Deferred: the source is only read, and keeps its writers. */
    if (rc == CO_OK)
        rc = co_store_exec(l->pd, "BEGIN", l->err);
    int64_t changes = 0, bytes = 0;
    bool refused = false;
    if (rc == CO_OK) {
        rc = Co_store_pushdown_insert(l->pd, co_buf_str(sql), params, nparams, &changes, &bytes,
                                      l->err);
        if (rc != CO_OK && stop_asked(l->pd_stop)) { /* interrupted: the checkpoint's own error */
            co_error_clear(l->err);
            rc = opt->on_row(opt->on_row_ctx, l->index, (const char *const *)l->names, NULL, 0,
                             l->err);
        } else if (rc != CO_OK) { /* a row refused: each gets its reason row by row */
            co_error_clear(l->err);
            co_store_rollback(l->pd);
            refused = true;
            rc = CO_OK;
        }
    }
    if (rc == CO_OK && !refused) {
        l->counts.source_rows += changes;
        l->counts.loaded += changes;
        l->counts.bytes += bytes;
    }
    /* The rows the insert left out, as it kept them; read again when they
     * were too many to keep; all the chunk's rows when it was refused. */
    co_cursor *c = NULL;
    if (rc == CO_OK && !refused)
        rc = Co_store_pushdown_failed(l->pd, &c, l->err);
    if (rc == CO_OK && !c) {
        Co_buf_reset(sql);
        Co_buf_adds(sql, "SELECT q.* ");
        from_where(l, refused ? PD_ALL : PD_FAILED, co_buf_str(range), sql);
        rc = sql->failed ? co_error_set(l->err, CO_ENOMEM, "out of memory")
                         : co_store_query(l->pd, co_buf_str(sql), params, nparams, &c, l->err);
    }
    /* One thread on the connection: the rows are read as they are taken. */
    l->no_reader = true;
    if (rc == CO_OK)
        rc = Co_load_batch(l, c, loader, opt, total, !refused);
    co_cursor_close(c);
    /* The journal first, then the target's rows. */
    if (rc == CO_OK && !refused)
        rc = co_store_commit(l->pd, l->err);
    if (rc != CO_OK)
        co_store_rollback(l->pd);
    return rc;
}

co_code Co_pushdown_load(load *l, co_loader *loader, const co_migrate_options *opt,
                         int64_t total)
{
    co_buf sql = CO_BUF_INIT, range = CO_BUF_INIT, lo = CO_BUF_INIT, hi = CO_BUF_INIT;
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i <= l->pd_nbounds; i++)
        rc = load_chunk(l, i, loader, opt, total, &sql, &range, &lo, &hi);
    Co_buf_release(&sql);
    Co_buf_release(&range);
    Co_buf_release(&lo);
    Co_buf_release(&hi);
    return rc;
}
