/*
 * review.c: doubtful pairs out, people's decisions in (review.h). Export runs
 * the merge pre-pass of one entity and tenant (merge.c), then reads the
 * entity query once more to fetch the rows of the doubtful pairs, kept
 * encoded in a map by key: memory grows with those rows only. Apply reads the
 * decisions file whole, checks every line, and only then writes the journal.
 */
#include "cutover/review.h"
#include "cutover/state.h"
#include "cutover/store.h"
#include "cutover/trace.h"
#include "engine/merge.h"
#include "engine/session.h"
#include "util/csv.h"
#include "util/key.h"
#include "util/map.h"
#include "util/grow.h"
#include "util/free.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The pre-pass hands out no merged rows: nothing is put into the merger. */
static co_code no_emit(void *ctx, const co_merged *m, co_error *err)
{
    (void)ctx;
    (void)m;
    (void)err;
    return CO_OK;
}

/* The rows of the doubtful pairs, by canonical key. */
typedef struct pair_rows {
    co_map rows;       /* canonical key -> exact encoding of the row ("" until read) */
    char **columns;
    size_t ncolumns;
} pair_rows;

static co_code read_rows(co_session *s, const co_tenant *t, const co_entity *e, pair_rows *pr,
                         co_error *err)
{
    co_param tenant = {":tenant", t->value};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s->source, e->query, &tenant, 1, &c, err);
    size_t key_idx[64];
    if (rc == CO_OK) {
        pr->ncolumns = co_cursor_ncols(c);
        pr->columns = calloc(pr->ncolumns ? pr->ncolumns : 1, sizeof *pr->columns);
        if (!pr->columns)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        for (size_t i = 0; rc == CO_OK && i < pr->ncolumns; i++)
            if (!(pr->columns[i] = strdup(co_cursor_colname(c, i))))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    for (size_t k = 0; rc == CO_OK && k < e->nkey && k < 64; k++) {
        size_t i = 0;
        while (i < pr->ncolumns && strcmp(pr->columns[i], e->key[k]) != 0)
            i++;
        if (i == pr->ncolumns)
            rc = co_error_set(err, CO_EPROJECT, "key column \"%s\" is not among the query's columns",
                              e->key[k]);
        key_idx[k] = i;
    }
    co_value *vals = rc == CO_OK ? calloc(pr->ncolumns + 1, sizeof *vals) : NULL;
    if (rc == CO_OK && !vals)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    co_buf key = CO_BUF_INIT, row = CO_BUF_INIT;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t i = 0; i < pr->ncolumns; i++)
            vals[i] = co_cursor_value(c, i);
        co_value kv[64];
        for (size_t k = 0; k < e->nkey && k < 64; k++)
            kv[k] = vals[key_idx[k]];
        Co_buf_reset(&key);
        Co_key_encode(&key, kv, e->nkey);
        const char *have;
        size_t hlen;
        if (!Co_map_get(&pr->rows, key.data, key.len, &have, &hlen) || hlen > 0)
            continue; /* not in a pair, or a repeated key: the first row stands */
        Co_buf_reset(&row);
        Co_key_encode_exact(&row, vals, pr->ncolumns);
        if (row.failed || !Co_map_put(&pr->rows, key.data, key.len, row.data, row.len + 1))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    Co_buf_release(&key);
    Co_buf_release(&row);
    free(vals);
    return rc;
}

/* Decodes the row kept for key into vals (ncolumns of them), texts in storage;
 * all NULL when the row has left the source since the pre-pass. */
static co_code row_of(const pair_rows *pr, const char *key, co_value *vals, co_buf *storage,
                      co_error *err)
{
    const char *enc;
    size_t elen, n = 0;
    for (size_t i = 0; i < pr->ncolumns; i++)
        vals[i] = co_null();
    if (!Co_map_get(&pr->rows, key, strlen(key), &enc, &elen) || elen == 0)
        return CO_OK;
    return Co_key_decode(enc, vals, pr->ncolumns, &n, storage, err);
}

co_code co_review_pairs(co_session *s, const co_tenant *t, size_t entity, co_review_fn fn,
                        void *ctx, co_review_counts *counts, co_error *err)
{
    const co_entity *e = &s->project->entities[entity];
    if (!e->merge || e->merge->nblocks == 0)
        return co_error_set(err, CO_EUSAGE,
                            "entity %s has no \"similar\" rule under merge: no pair is scored",
                            e->name);
    co_merger *m = NULL;
    co_code rc = Co_merger_open(s, t, e, no_emit, NULL, &m, err);
    if (rc != CO_OK)
        return rc;
    size_t n = Co_merger_doubts(m);
    const co_link_stats *st = Co_merger_link_stats(m);
    if (counts) {
        counts->records += st->records;
        counts->compared += st->compared;
        counts->skipped_blocks += st->skipped_blocks;
        counts->pairs += n;
    }
    pair_rows pr = {0};
    Co_map_init(&pr.rows);
    co_merge_doubt d;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        Co_merger_doubt(m, i, &d);
        if (!Co_map_put(&pr.rows, d.key_a, strlen(d.key_a), "", 0) ||
            !Co_map_put(&pr.rows, d.key_b, strlen(d.key_b), "", 0))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (rc == CO_OK && n > 0)
        rc = read_rows(s, t, e, &pr, err);
    const char *fields[CO_LINK_MAX_FIELDS];
    for (size_t f = 0; f < e->merge->ncompare && f < CO_LINK_MAX_FIELDS; f++)
        fields[f] = e->merge->compare[f].name ? e->merge->compare[f].name
                                              : e->merge->compare[f].expr;
    co_value *vals = calloc(2 * pr.ncolumns + 1, sizeof *vals);
    if (!vals && rc == CO_OK)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    co_buf sa = CO_BUF_INIT, sb = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        Co_merger_doubt(m, i, &d);
        Co_buf_reset(&sa);
        Co_buf_reset(&sb);
        rc = row_of(&pr, d.key_a, vals, &sa, err);
        if (rc == CO_OK)
            rc = row_of(&pr, d.key_b, vals + pr.ncolumns, &sb, err);
        /* With a target_key, the keys the target gave both rows, when the
         * tenant was migrated (a doubtful pair is loaded as two rows). */
        char *target_a = NULL, *target_b = NULL;
        if (rc == CO_OK && e->target_key)
            rc = co_state_idmap_target(s->state, t->key, e->name, d.key_a, &target_a, err);
        if (rc == CO_OK && e->target_key)
            rc = co_state_idmap_target(s->state, t->key, e->name, d.key_b, &target_b, err);
        co_review_pair p = {t->key,   e->name, d.key_a,    d.key_b,
                            e->target_key != NULL, target_a, target_b,
                            d.score,  fields,  e->merge->ncompare, d.agree,
                            (const char *const *)pr.columns, pr.ncolumns, vals,
                            vals + pr.ncolumns};
        if (rc == CO_OK)
            rc = fn(ctx, &p, err);
        free(target_a);
        free(target_b);
    }
    Co_buf_release(&sa);
    Co_buf_release(&sb);
    free(vals);
    for (size_t i = 0; i < pr.ncolumns; i++)
        free(pr.columns[i]);
    free(pr.columns);
    Co_map_release(&pr.rows);
    Co_merger_free(m);
    if (rc != CO_OK)
        co_error_where(err, "review pairs of entity %s, tenant %s", e->name, t->key);
    return rc;
}

/* ---- apply ---- */

typedef struct decision {
    char *tenant, *entity, *key_a, *key_b;
    const char *what; /* "merge" or "apart" */
} decision;

typedef struct decisions {
    decision *at;
    size_t n, cap;
} decisions;

static void decisions_release(decisions *d)
{
    for (size_t i = 0; i < d->n; i++) {
        CO_FREE(d->at[i].tenant, d->at[i].entity, d->at[i].key_a, d->at[i].key_b);
    }
    free(d->at);
}

/* "merge", "apart" (also "keep apart"), or NULL for anything else; *empty
 * when the cell says nothing yet. Case and edge spaces do not matter. */
static const char *decision_word(const char *cell, bool *empty)
{
    while (*cell == ' ')
        cell++;
    size_t len = strlen(cell);
    while (len && cell[len - 1] == ' ')
        len--;
    *empty = len == 0;
    if (len == 5 && strncasecmp(cell, "merge", 5) == 0)
        return "merge";
    if ((len == 5 && strncasecmp(cell, "apart", 5) == 0) ||
        (len == 10 && strncasecmp(cell, "keep apart", 10) == 0))
        return "apart";
    return NULL;
}

enum { COL_TENANT, COL_ENTITY, COL_KEY_A, COL_KEY_B, COL_DECISION, NCOLS };
static const char *const col_names[NCOLS] = {"tenant", "entity", "key_a", "key_b", "decision"};
/* Optional: a side named by the key the target gave it (target_key). */
enum { COL_TARGET_A, COL_TARGET_B, NOPTIONAL };
static const char *const optional_names[NOPTIONAL] = {"target_key_a", "target_key_b"};

static co_code read_header(co_csv_reader *r, size_t idx[NCOLS + NOPTIONAL], co_error *err)
{
    bool more;
    co_code rc = Co_csv_next(r, &more, err);
    if (rc != CO_OK)
        return rc;
    if (!more)
        return co_error_set(err, CO_EUSAGE, "%s: the file is empty (expected a header line: "
                                            "tenant,entity,key_a,key_b,...,decision)", r->name);
    for (size_t c = 0; c < NCOLS; c++) {
        idx[c] = SIZE_MAX;
        for (size_t i = 0; i < r->n; i++)
            if (strcmp(Co_csv_cell_at(r, i), col_names[c]) == 0)
                idx[c] = i;
        if (idx[c] == SIZE_MAX)
            return co_error_set(err, CO_EUSAGE, "%s:%ld: the header has no \"%s\" column",
                                r->name, r->line, col_names[c]);
    }
    for (size_t c = 0; c < NOPTIONAL; c++) {
        idx[NCOLS + c] = SIZE_MAX;
        for (size_t i = 0; i < r->n; i++)
            if (strcmp(Co_csv_cell_at(r, i), optional_names[c]) == 0)
                idx[NCOLS + c] = i;
    }
    return CO_OK;
}

/* A key cell in canonical form; a usage error naming the file and line. */
static co_code typed_key(const co_csv_reader *r, const char *cell, char **out, co_error *err)
{
    co_code rc = co_trace_key(cell, out, err);
    if (rc != CO_OK) {
        char why[256];
        snprintf(why, sizeof why, "%.200s", err->message);
        rc = co_error_set(err, CO_EUSAGE, "%s:%ld: a key is neither a value nor a JSON array: %s",
                          r->name, r->line, why);
    }
    return rc;
}

/* One side of a pair: its source key (key_a), or, left empty there, the
 * source key the id map gives back for its target key (target_key_a). */
static co_code side_key(co_session *s, const co_csv_reader *r, const size_t *idx, size_t col,
                        size_t target_col, const char *tenant, const co_entity *e, char **out,
                        co_error *err)
{
    const char *cell = Co_csv_cell_at(r, idx[col]);
    const char *target = idx[target_col] < r->n ? Co_csv_cell_at(r, idx[target_col]) : "";
    if (*cell || !*target || !e->target_key)
        return typed_key(r, cell, out, err);
    char *typed = NULL;
    co_code rc = typed_key(r, target, &typed, err);
    if (rc == CO_OK)
        rc = co_state_idmap_source(s->state, tenant, e->name, typed, out, err);
    if (rc == CO_OK && !*out)
        rc = co_error_set(err, CO_EUSAGE, "%s:%ld: target key %s of tenant %s is not in the id "
                                          "map of entity %s (migrate the tenant first, or give "
                                          "the source key)",
                          r->name, r->line, typed, tenant, e->name);
    free(typed);
    return rc;
}

static co_code read_decision(co_session *s, const co_csv_reader *r,
                             const size_t idx[NCOLS + NOPTIONAL],
                             decisions *out, co_review_applied *counts, co_error *err)
{
    for (size_t c = 0; c < NCOLS; c++)
        if (idx[c] >= r->n)
            return co_error_set(err, CO_EUSAGE, "%s:%ld: the line has %zu cells; column \"%s\" "
                                                "is cell %zu",
                                r->name, r->line, r->n, col_names[c], idx[c] + 1);
    bool empty;
    const char *cell = Co_csv_cell_at(r, idx[COL_DECISION]);
    const char *what = decision_word(cell, &empty);
    if (empty) {
        counts->undecided++;
        return CO_OK;
    }
    if (!what)
        return co_error_set(err, CO_EUSAGE, "%s:%ld: decision \"%.40s\" is neither \"merge\" nor "
                                            "\"apart\" (leave it empty to decide later)",
                            r->name, r->line, cell);
    const char *entity = Co_csv_cell_at(r, idx[COL_ENTITY]);
    const co_entity *e = co_project_entity(s->project, entity);
    if (!e || !e->merge)
        return co_error_set(err, CO_EUSAGE, "%s:%ld: %s \"%.60s\"", r->name, r->line,
                            e ? "there is no merge rule for entity" : "there is no entity",
                            entity);
    if (!CO_GROW(out->at, out->cap, out->n + 1, 64))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    decision *d = &out->at[out->n++];
    memset(d, 0, sizeof *d);
    d->what = what;
    d->tenant = strdup(Co_csv_cell_at(r, idx[COL_TENANT]));
    d->entity = strdup(entity);
    if (!d->tenant || !d->entity)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_code rc = side_key(s, r, idx, COL_KEY_A, NCOLS + COL_TARGET_A, d->tenant, e, &d->key_a,
                          err);
    if (rc == CO_OK)
        rc = side_key(s, r, idx, COL_KEY_B, NCOLS + COL_TARGET_B, d->tenant, e, &d->key_b, err);
    if (rc != CO_OK)
        return rc;
    if (strcmp(d->key_a, d->key_b) == 0)
        return co_error_set(err, CO_EUSAGE, "%s:%ld: key_a and key_b are the same row (%.60s)",
                            r->name, r->line, d->key_a);
    if (strcmp(what, "merge") == 0)
        counts->merge++;
    else
        counts->apart++;
    return CO_OK;
}

static co_code write_decisions(co_session *s, const decisions *d, const char *origin,
                               co_error *err)
{
    co_code rc = co_state_begin(s->state, err);
    for (size_t i = 0; rc == CO_OK && i < d->n; i++)
        rc = co_state_decision_set(s->state, d->at[i].tenant, d->at[i].entity, d->at[i].key_a,
                                   d->at[i].key_b, d->at[i].what, origin, err);
    if (rc == CO_OK)
        return co_state_commit(s->state, err);
    co_state_rollback(s->state);
    return rc;
}

co_code co_review_apply(co_session *s, const char *path, co_review_applied *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *in = fopen(path, "rb");
    if (!in)
        return co_error_set(err, CO_EIO, "cannot read %s: %s", path, strerror(errno));
    co_csv_reader r;
    Co_csv_init(&r, in, path);
    decisions d = {0};
    size_t idx[NCOLS + NOPTIONAL];
    co_code rc = read_header(&r, idx, err);
    bool more = rc == CO_OK;
    while (rc == CO_OK && (rc = Co_csv_next(&r, &more, err)) == CO_OK && more)
        rc = read_decision(s, &r, idx, &d, out, err);
    Co_csv_release(&r);
    fclose(in);
    const char *base = strrchr(path, '/');
    char origin[300];
    snprintf(origin, sizeof origin, "review file %s", base ? base + 1 : path);
    if (rc == CO_OK)
        rc = write_decisions(s, &d, origin, err);
    decisions_release(&d);
    if (rc != CO_OK)
        memset(out, 0, sizeof *out);
    return rc;
}
