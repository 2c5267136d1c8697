/*
 * idmap.c: the journal's id maps (cutover/state.h, state/journal.h), source
 * key -> target key of the rows of a tenant's entity, kept compact. Where a
 * row's source key and target key are both one integer and the rows before
 * it had the keys just below (source keys ascending, target keys drawn from a
 * reserved ascending block: the common case of target_key), the writes of a
 * batch coalesce into a run, one row of id_map_runs (source_lo, target_lo,
 * n) for n rows; every other row is one row of id_map. Every reader answers
 * from both, exactly as if each run were its n rows: a run's keys are spelled
 * "[N]", the canonical key of one integer (util/key.h), and only keys spelled
 * so go into runs.
 */
#include "state/journal.h"
#include "state/state_int.h"
#include "util/buf.h"
#include "util/grow.h"
#include "util/key.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keys of runs stay well inside int64_t, so that lo + n never overflows. */
#define RUN_LIMIT (INT64_C(1) << 62)

/* A run buffered until the flush (then checked against the others). */
typedef struct buffered_run {
    size_t names; /* offset of "tenant\0entity\0" in the writer's names */
    int64_t lo, tlo, n; /* n == 0: cut away (co_state_idmap_delete) */
} buffered_run;

struct co_idmap_writer {
    co_store *store;
    co_loader *rows; /* INSERT into id_map */
    co_loader *runs; /* INSERT into id_map_runs */
    /* The run being built (n == 0: none), of tenant and entity. */
    co_buf tenant, entity;
    int64_t source_lo, target_lo, n;
    /* The runs made since the last flush, and their names. */
    buffered_run *buffered;
    size_t nbuffered, cap;
    co_buf names;
    size_t last_names;
};

/* The integer of a key spelled "[N]" (its canonical form), within RUN_LIMIT. */
static bool int_key(const char *key, int64_t *out)
{
    size_t len = key ? strlen(key) : 0;
    return len >= 3 && key[0] == '[' && key[len - 1] == ']' &&
           Co_text_as_int(key + 1, len - 2, out) && *out > -RUN_LIMIT && *out < RUN_LIMIT;
}

static void int_key_text(int64_t v, char buf[32]) { snprintf(buf, 32, "[%" PRId64 "]", v); }

static co_value text(const char *s) { return s ? co_text(s, strlen(s)) : co_null(); }

co_code Co_idmap_writer_open(co_store *s, co_idmap_writer **out, co_error *err)
{
    static const char *const row_cols[] = {"tenant", "entity", "source_key", "target_key"};
    static const char *const run_cols[] = {"tenant", "entity", "source_lo", "target_lo", "n"};
    co_idmap_writer *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    w->store = s;
    w->last_names = SIZE_MAX;
    co_code rc = co_loader_open(s, "id_map", row_cols, 4, NULL, &w->rows, err);
    if (rc == CO_OK)
        rc = co_loader_open(s, "id_map_runs", run_cols, 5, NULL, &w->runs, err);
    if (rc != CO_OK) {
        Co_idmap_writer_close(w);
        return rc;
    }
    *out = w;
    return CO_OK;
}

static const char *names_tenant(const co_idmap_writer *w, size_t at) { return w->names.data + at; }
static const char *names_entity(const co_idmap_writer *w, size_t at)
{
    return w->names.data + at + strlen(w->names.data + at) + 1;
}

/* Buffers the run lo -> tlo of n keys of the pending run's tenant and entity. */
static co_code buffer_run(co_idmap_writer *w, int64_t lo, int64_t tlo, int64_t n, co_error *err)
{
    const char *t = co_buf_str(&w->tenant), *e = co_buf_str(&w->entity);
    if (w->last_names == SIZE_MAX || strcmp(names_tenant(w, w->last_names), t) != 0 ||
        strcmp(names_entity(w, w->last_names), e) != 0) {
        w->last_names = w->names.len;
        Co_buf_add(&w->names, t, strlen(t) + 1);
        Co_buf_add(&w->names, e, strlen(e) + 1);
    }
    if (w->names.failed || !CO_GROW(w->buffered, w->cap, w->nbuffered + 1, 64))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    w->buffered[w->nbuffered++] = (buffered_run){w->last_names, lo, tlo, n};
    return CO_OK;
}

/* Puts the run being built out: one row of id_map when it holds one key,
 * a buffered run otherwise. */
static co_code pending_out(co_idmap_writer *w, co_error *err)
{
    if (w->n == 0)
        return CO_OK;
    co_code rc;
    if (w->n == 1) {
        char src[32], tgt[32];
        int_key_text(w->source_lo, src);
        int_key_text(w->target_lo, tgt);
        co_value row[] = {co_text(co_buf_str(&w->tenant), w->tenant.len),
                          co_text(co_buf_str(&w->entity), w->entity.len), text(src), text(tgt)};
        rc = co_loader_put(w->rows, row, err);
    } else {
        rc = buffer_run(w, w->source_lo, w->target_lo, w->n, err);
    }
    w->n = 0;
    return rc;
}

/* Adds n keys from source_lo -> target_lo on: to the run being built when
 * they follow it, else as a new run. */
static co_code put_range(co_idmap_writer *w, const char *tenant, const char *entity,
                         int64_t source_lo, int64_t target_lo, int64_t n, co_error *err)
{
    if (w->n && source_lo == w->source_lo + w->n && target_lo == w->target_lo + w->n &&
        source_lo + n < RUN_LIMIT && target_lo + n < RUN_LIMIT &&
        strcmp(co_buf_str(&w->tenant), tenant) == 0 &&
        strcmp(co_buf_str(&w->entity), entity) == 0) {
        w->n += n;
        return CO_OK;
    }
    co_code rc = pending_out(w, err);
    if (rc != CO_OK)
        return rc;
    Co_buf_reset(&w->tenant);
    Co_buf_adds(&w->tenant, tenant);
    Co_buf_reset(&w->entity);
    Co_buf_adds(&w->entity, entity);
    if (w->tenant.failed || w->entity.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    w->source_lo = source_lo;
    w->target_lo = target_lo;
    w->n = n;
    return CO_OK;
}

/* Takes source key num of tenant and entity out of a run not yet written
 * (the row the destination refused in the batch being loaded): true when one
 * held it, and is now cut in two around it. */
static bool cut_buffered(co_idmap_writer *w, const char *tenant, const char *entity, int64_t num,
                         co_code *rc, co_error *err)
{
    *rc = CO_OK;
    if (w->n && num >= w->source_lo && num < w->source_lo + w->n &&
        strcmp(co_buf_str(&w->tenant), tenant) == 0 &&
        strcmp(co_buf_str(&w->entity), entity) == 0) {
        int64_t left = num - w->source_lo, right = w->n - left - 1;
        int64_t tlo = w->target_lo + left + 1;
        w->n = left;
        *rc = pending_out(w, err);
        if (right > 0) {
            w->source_lo = num + 1;
            w->target_lo = tlo;
            w->n = right;
        }
        return true;
    }
    for (size_t i = w->nbuffered; i-- > 0;) {
        buffered_run *r = &w->buffered[i];
        if (num < r->lo || num >= r->lo + r->n || strcmp(names_tenant(w, r->names), tenant) != 0 ||
            strcmp(names_entity(w, r->names), entity) != 0)
            continue;
        int64_t left = num - r->lo, right = r->n - left - 1;
        buffered_run rest = {r->names, num + 1, r->tlo + left + 1, right};
        r->n = left;
        if (right > 0) {
            if (!CO_GROW(w->buffered, w->cap, w->nbuffered + 1, 64))
                *rc = co_error_set(err, CO_ENOMEM, "out of memory");
            else
                w->buffered[w->nbuffered++] = rest;
        }
        return true;
    }
    return false;
}

/* Whether the runs just written overlap others of their tenant and entity: a
 * source key mapped twice, which id_map's primary key refuses for single
 * rows. One query per tenant and entity: in source key order, no run of the
 * range the new runs span (from the run before it) may start before the one
 * ahead of it ends. */
static co_code check_written(co_idmap_writer *w, co_error *err)
{
    static const char *const sql =
        "SELECT count(*) FROM (SELECT source_lo, lag(source_lo + n) OVER (ORDER BY source_lo)"
        " AS prev_end FROM id_map_runs WHERE tenant = :tenant AND entity = :entity"
        " AND source_lo >= coalesce((SELECT max(source_lo) FROM id_map_runs"
        " WHERE tenant = :tenant AND entity = :entity AND source_lo < CAST(:lo AS BIGINT)),"
        " CAST(:lo AS BIGINT)) AND source_lo <= CAST(:hi AS BIGINT)) w"
        " WHERE prev_end > source_lo";
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < w->nbuffered;) {
        size_t names = w->buffered[i].names;
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (; i < w->nbuffered && w->buffered[i].names == names; i++) {
            const buffered_run *r = &w->buffered[i];
            if (r->n > 0 && r->lo < lo)
                lo = r->lo;
            if (r->n > 0 && r->lo + r->n - 1 > hi)
                hi = r->lo + r->n - 1;
        }
        if (lo > hi)
            continue;
        const char *tenant = names_tenant(w, names), *entity = names_entity(w, names);
        co_param p[] = {{":tenant", text(tenant)},
                        {":entity", text(entity)},
                        {":lo", co_int(lo)},
                        {":hi", co_int(hi)}};
        int64_t overlaps = 0;
        bool found = false;
        rc = co_store_query_int(w->store, sql, p, 4, &overlaps, &found, err);
        if (rc == CO_OK && overlaps != 0)
            rc = co_error_set(err, CO_ESTATE,
                              "state: the id map of entity %s, tenant %s, holds a source key"
                              " between [%" PRId64 "] and [%" PRId64 "] twice",
                              entity, tenant, lo, hi);
    }
    return rc;
}

static void forget_buffered(co_idmap_writer *w)
{
    w->nbuffered = 0;
    w->last_names = SIZE_MAX;
    Co_buf_reset(&w->names);
}

co_code Co_idmap_writer_flush(co_idmap_writer *w, co_error *err)
{
    co_code rc = pending_out(w, err);
    if (rc == CO_OK)
        rc = co_loader_flush(w->rows, err);
    for (size_t i = 0; rc == CO_OK && i < w->nbuffered; i++) {
        const buffered_run *r = &w->buffered[i];
        const char *tenant = names_tenant(w, r->names), *entity = names_entity(w, r->names);
        co_value row[] = {text(tenant), text(entity), co_int(r->lo), co_int(r->tlo),
                          co_int(r->n)};
        if (r->n > 0)
            rc = co_loader_put(w->runs, row, err);
    }
    if (rc == CO_OK)
        rc = co_loader_flush(w->runs, err);
    if (rc == CO_OK)
        rc = check_written(w, err);
    forget_buffered(w);
    return rc;
}

void Co_idmap_writer_discard(co_idmap_writer *w)
{
    if (!w)
        return;
    w->n = 0;
    forget_buffered(w);
    co_loader_discard(w->rows);
    co_loader_discard(w->runs);
}

void Co_idmap_writer_close(co_idmap_writer *w)
{
    if (!w)
        return;
    co_loader_close(w->rows);
    co_loader_close(w->runs);
    Co_buf_release(&w->tenant);
    Co_buf_release(&w->entity);
    Co_buf_release(&w->names);
    free(w->buffered);
    free(w);
}

co_code co_state_idmap_add(co_state *st, const char *tenant, const char *entity,
                           const char *source_key, const char *target_key, co_error *err)
{
    co_idmap_writer *w = Co_state_idmap_writer(st);
    int64_t s, t;
    if (int_key(source_key, &s) && int_key(target_key, &t))
        return put_range(w, tenant, entity, s, t, 1, err);
    co_value row[] = {text(tenant), text(entity), text(source_key), text(target_key)};
    return co_loader_put(w->rows, row, err);
}

co_code Co_state_idmap_put_range(co_state *st, const char *tenant, const char *entity,
                                 int64_t source_lo, int64_t target_lo, int64_t n,
                                 co_error *err)
{
    if (n <= 0)
        return CO_OK;
    if (source_lo <= -RUN_LIMIT || target_lo <= -RUN_LIMIT || source_lo >= RUN_LIMIT - n ||
        target_lo >= RUN_LIMIT - n)
        return co_error_set(err, CO_EINTERNAL,
                            "state: the keys of an id map range [%" PRId64 "] + %" PRId64
                            " are out of range",
                            source_lo, n);
    return put_range(Co_state_idmap_writer(st), tenant, entity, source_lo, target_lo, n, err);
}

static const co_jq co_q_idmap_clear_rows = {
    "DELETE FROM id_map WHERE tenant = :tenant AND entity = :entity"};
static const co_jq co_q_idmap_clear_runs = {
    "DELETE FROM id_map_runs WHERE tenant = :tenant AND entity = :entity"};

co_code co_state_idmap_clear(co_state *st, const char *tenant, const char *entity,
                             co_error *err)
{
    co_param p[] = {{":tenant", text(tenant)}, {":entity", text(entity)}};
    co_code rc = Co_state_flush(st, err); /* adds buffered before go first */
    if (rc == CO_OK)
        rc = Co_state_write(st, &co_q_idmap_clear_rows, p, 2, NULL, err);
    if (rc == CO_OK)
        rc = Co_state_write(st, &co_q_idmap_clear_runs, p, 2, NULL, err);
    return rc;
}

/* The run of tenant and entity holding source key :num is the last one
 * starting at or below it (runs of one entity never overlap in source keys). */
#define RUN_OF_SOURCE                                                                             \
    " FROM (SELECT source_lo, target_lo, n FROM id_map_runs WHERE tenant = :tenant"               \
    " AND entity = :entity AND source_lo <= CAST(:num AS BIGINT) ORDER BY source_lo DESC"         \
    " LIMIT 1) r WHERE CAST(:num AS BIGINT) < r.source_lo + r.n"

static const co_jq co_q_idmap_delete_row = {
    "DELETE FROM id_map WHERE tenant = :tenant AND entity = :entity AND source_key = :key"};
static const co_jq co_q_idmap_run_of = {"SELECT r.source_lo, r.target_lo, r.n" RUN_OF_SOURCE};
static const co_jq co_q_idmap_run_delete = {
    "DELETE FROM id_map_runs WHERE tenant = :tenant AND entity = :entity"
    " AND source_lo = CAST(:num AS BIGINT)"};
static const co_jq co_q_idmap_run_add = {
    "INSERT INTO id_map_runs (tenant, entity, source_lo, target_lo, n)"
    " VALUES (:tenant, :entity, CAST(:lo AS BIGINT), CAST(:tlo AS BIGINT), CAST(:n AS BIGINT))"};

/* Adds the run lo -> tlo of n keys (none when n is 0). */
static co_code run_add(co_state *st, const char *tenant, const char *entity, int64_t lo,
                       int64_t tlo, int64_t n, co_error *err)
{
    co_param p[] = {{":tenant", text(tenant)}, {":entity", text(entity)}, {":lo", co_int(lo)},
                    {":tlo", co_int(tlo)},     {":n", co_int(n)}};
    return n > 0 ? Co_state_write(st, &co_q_idmap_run_add, p, 5, NULL, err) : CO_OK;
}

co_code co_state_idmap_delete(co_state *st, const char *tenant, const char *entity,
                              const char *source_key, co_error *err)
{
    co_idmap_writer *w = Co_state_idmap_writer(st);
    int64_t num = 0;
    bool in_run = int_key(source_key, &num);
    co_code rc;
    if (in_run && cut_buffered(w, tenant, entity, num, &rc, err))
        return rc;
    rc = Co_idmap_writer_flush(w, err); /* an add buffered before must go first */
    co_param p[] = {{":tenant", text(tenant)},
                    {":entity", text(entity)},
                    {":key", text(source_key)},
                    {":num", in_run ? co_int(num) : co_null()}};
    if (rc == CO_OK)
        rc = Co_state_write(st, &co_q_idmap_delete_row, p, 3, NULL, err);
    if (rc != CO_OK || !in_run)
        return rc;
    /* The run that holds it is cut in two around it. */
    co_cursor *c = NULL;
    bool found = false;
    int64_t lo = 0, tlo = 0, n = 0;
    rc = Co_state_read(st, &co_q_idmap_run_of, p, 4, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &found, err);
    if (rc == CO_OK && found) {
        lo = co_cursor_value(c, 0).i;
        tlo = co_cursor_value(c, 1).i;
        n = co_cursor_value(c, 2).i;
    }
    co_cursor_close(c);
    if (rc != CO_OK || !found)
        return rc;
    p[3].value = co_int(lo);
    rc = Co_state_write(st, &co_q_idmap_run_delete, p, 4, NULL, err);
    if (rc == CO_OK)
        rc = run_add(st, tenant, entity, lo, tlo, num - lo, err);
    if (rc == CO_OK)
        rc = run_add(st, tenant, entity, num + 1, tlo + (num - lo) + 1, lo + n - num - 1, err);
    return rc;
}

/* The one text of a one-column query over (:tenant, :entity, :key, :num),
 * buffered adds included; NULL when no row or more than one answers. */
static co_code idmap_one(co_state *st, const co_jq *q, const char *tenant, const char *entity,
                         const char *key, char **out, co_error *err)
{
    *out = NULL;
    int64_t num = 0;
    co_param p[] = {{":tenant", text(tenant)},
                    {":entity", text(entity)},
                    {":key", text(key)},
                    {":num", int_key(key, &num) ? co_int(num) : co_null()}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, q, p, 4, &c, err);
    bool has_row;
    int rows = 0;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (++rows > 1 || v.type != CO_TEXT) {
            free(*out);
            *out = NULL;
            break;
        }
        if (!(*out = strndup(v.s, v.len)))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    return rc;
}


static const co_jq co_q_idmap_target = {
    "SELECT target_key FROM id_map WHERE tenant = :tenant AND entity = :entity"
    " AND source_key = :key"
    " UNION ALL SELECT " CO_JINT_KEY("r.target_lo + (CAST(:num AS BIGINT) - r.source_lo)")
        RUN_OF_SOURCE};

/* Runs of one entity may overlap in target keys (rows merged into others'
 * rows keep the survivors' keys): every run that holds it answers. */
static const co_jq co_q_idmap_source = {
    "SELECT source_key FROM id_map WHERE tenant = :tenant AND entity = :entity"
    " AND target_key = :key"
    " UNION ALL SELECT " CO_JINT_KEY("source_lo + (CAST(:num AS BIGINT) - target_lo)")
    " FROM id_map_runs WHERE tenant = :tenant AND entity = :entity"
    " AND target_lo <= CAST(:num AS BIGINT) AND CAST(:num AS BIGINT) < target_lo + n"
    " LIMIT 2"};

co_code co_state_idmap_target(co_state *st, const char *tenant, const char *entity,
                              const char *source_key, char **target, co_error *err)
{
    return idmap_one(st, &co_q_idmap_target, tenant, entity, source_key, target, err);
}

co_code co_state_idmap_source(co_state *st, const char *tenant, const char *entity,
                              const char *target_key, char **source, co_error *err)
{
    return idmap_one(st, &co_q_idmap_source, tenant, entity, target_key, source, err);
}

/* Every (source_key, target_key) of a tenant's entity: the rows, then each
 * run's keys one by one. */
static const co_jq co_q_idmap_all = {
    "WITH RECURSIVE r(s, t, k) AS ("
    "SELECT source_lo, target_lo, n - 1 FROM id_map_runs"
    " WHERE tenant = :tenant AND entity = :entity"
    " UNION ALL SELECT s + 1, t + 1, k - 1 FROM r WHERE k > 0)"
    " SELECT source_key, target_key FROM id_map WHERE tenant = :tenant AND entity = :entity"
    " UNION ALL SELECT " CO_JINT_KEY("s") ", " CO_JINT_KEY("t") " FROM r"};

co_code co_state_idmap_query(co_state *st, const char *tenant, const char *entity,
                             co_cursor **out, co_error *err)
{
    co_param p[] = {{":tenant", text(tenant)}, {":entity", text(entity)}};
    return Co_state_read(st, &co_q_idmap_all, p, 2, out, err);
}

co_code Co_state_idmap_targets(co_state *st, const char *tenant, const char *entity,
                               co_map *into, co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = co_state_idmap_query(st, tenant, entity, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 1);
        if (v.type == CO_TEXT && !Co_map_put(into, v.s, v.len, "", 0))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    return rc;
}
