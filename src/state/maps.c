/*
 * maps.c: the journal's rejects and merges as other folders read them
 * (state/journal.h), and the trace of a key through them and the id map
 * (whose rows and runs are idmap.c's); the buffered adds are state.c's.
 */
#include "state/journal.h"
#include "state/state_int.h"

#include "util/buf.h"
#include "util/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const co_jq co_q_merges_count = {
    "SELECT count(*) FROM merges WHERE tenant = ? AND entity = ?"};

static const co_jq co_q_merges_keys = {
    "SELECT source_key FROM merges WHERE tenant = ? AND entity = ?"};

static const co_jq co_q_merges_pairs = {
    "SELECT source_key, target_key FROM merges WHERE tenant = ? AND entity = ?"};

static const co_jq co_q_rejects_by_rule = {
    "SELECT entity, rule, count(*), min(reason), (SELECT"
    " json_group_array(json(k.source_key)) FROM   (SELECT source_key FROM rejects r2"
    " WHERE r2.tenant = r.tenant    AND r2.entity = r.entity AND r2.rule = r.rule   "
    " ORDER BY rowid LIMIT 3) AS k) FROM rejects r WHERE tenant = ? GROUP BY entity, rule"
    " ORDER BY entity, rule"};

static const co_jq co_q_rejects_keys = {
    "SELECT source_key FROM rejects WHERE tenant = ? AND entity = ?"};

/* Where a source or target key went (cutover trace, engine/trace.c):
 * parameters :entity, :key and :tenant (NULL: any tenant); columns tenant,
 * source_key, target_key, how, score, rule, reason. */
#define TENANT_FILTER " AND (CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant)"
static const co_jq co_q_trace_merged_from = {
    "SELECT tenant, source_key, target_key, how, score, NULL, NULL FROM merges"
    " WHERE entity = :entity AND source_key = :key" TENANT_FILTER};
/* A run of id_map_runs (state/idmap.c) answers for the key [:num] inside it. */
#define NUM "CAST(:num AS BIGINT)"
static const co_jq co_q_trace_loaded_from = {
    "SELECT tenant, source_key, target_key, NULL, NULL, NULL, NULL FROM id_map"
    " WHERE entity = :entity AND source_key = :key" TENANT_FILTER
    " UNION ALL SELECT tenant, CAST(:key AS TEXT), " CO_JINT_KEY("target_lo + (" NUM " - source_lo)")
    ", NULL, NULL, NULL, NULL FROM id_map_runs WHERE entity = :entity"
    " AND source_lo <= " NUM " AND " NUM " < source_lo + n" TENANT_FILTER};
static const co_jq co_q_trace_rejected = {
    "SELECT tenant, source_key, NULL, NULL, NULL, rule, reason FROM rejects"
    " WHERE entity = :entity AND source_key = :key" TENANT_FILTER};
static const co_jq co_q_trace_loaded_into = {
    "SELECT tenant, source_key, target_key, NULL, NULL, NULL, NULL FROM id_map"
    " WHERE entity = :entity AND target_key = :key" TENANT_FILTER
    " AND source_key NOT IN (SELECT source_key FROM merges"
    " WHERE entity = :entity AND target_key = :key)"
    " UNION ALL SELECT tenant, k, CAST(:key AS TEXT), NULL, NULL, NULL, NULL FROM"
    " (SELECT tenant, " CO_JINT_KEY("source_lo + (" NUM " - target_lo)") " AS k FROM id_map_runs"
    " WHERE entity = :entity AND target_lo <= " NUM " AND " NUM " < target_lo + n"
    TENANT_FILTER ") r"
    " WHERE k NOT IN (SELECT source_key FROM merges WHERE entity = :entity AND target_key = :key)"};
static const co_jq co_q_trace_merged_into = {
    "SELECT tenant, source_key, target_key, how, score, NULL, NULL FROM merges"
    " WHERE entity = :entity AND target_key = :key" TENANT_FILTER " ORDER BY source_key"};

co_code Co_state_rejects_delete_matching(co_state *st, const char *tenant, const char *entity,
                                         const size_t *pos, size_t n, size_t nsets,
                                         const co_param *values, size_t nvalues, co_error *err)
{
    const co_store *journal = Co_state_store(st);
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "DELETE FROM rejects WHERE tenant = :tenant_key AND entity = :entity");
    if (n) {
        Co_buf_adds(&sql, " AND (");
        for (size_t s2 = 0; s2 < nsets; s2++) {
            Co_buf_adds(&sql, s2 ? " OR (" : "(");
            for (size_t i = 0; i < n; i++) {
                char param[32];
                snprintf(param, sizeof param, ":m%zu", s2 * n + i);
                Co_buf_adds(&sql, i ? " AND " : "");
                co_store_json_item_eq(journal, "source_key", pos[i], param, &sql);
            }
            Co_buf_addc(&sql, ')');
        }
        Co_buf_addc(&sql, ')');
    }
    co_param *rp = calloc(nvalues + 2, sizeof *rp);
    co_code rc = rp && !sql.failed ? Co_state_flush(st, err)
                                   : co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK) {
        rp[0] = (co_param){":tenant_key", co_text(tenant, strlen(tenant))};
        rp[1] = (co_param){":entity", co_text(entity, strlen(entity))};
        for (size_t i = 0; i < nvalues; i++)
            rp[i + 2] = values[i];
        rc = co_store_exec_params(Co_state_store(st), co_buf_str(&sql), rp, nvalues + 2, NULL,
                                  err);
    }
    free(rp);
    Co_buf_release(&sql);
    return rc;
}

/* Puts column 0 of q's rows (keys) into `into`, with column 1 as the value
 * when pairs, else "". Rows whose columns are not text are skipped. */
static co_code keys_into(co_state *st, const co_jq *q, const char *tenant, const char *entity,
                         bool pairs, co_map *into, co_error *err)
{
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(entity, strlen(entity))}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, q, p, 2, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value k = co_cursor_value(c, 0), v = pairs ? co_cursor_value(c, 1) : co_text("", 0);
        if (k.type == CO_TEXT && v.type == CO_TEXT && !Co_map_put(into, k.s, k.len, v.s, v.len))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    return rc;
}

co_code Co_state_rejected_keys(co_state *st, const char *tenant, const char *entity,
                               co_map *into, co_error *err)
{
    return keys_into(st, &co_q_rejects_keys, tenant, entity, false, into, err);
}

co_code Co_state_merged_keys(co_state *st, const char *tenant, const char *entity,
                             co_map *into, co_error *err)
{
    return keys_into(st, &co_q_merges_keys, tenant, entity, false, into, err);
}

co_code Co_state_merged_pairs(co_state *st, const char *tenant, const char *entity,
                              co_map *into, co_error *err)
{
    return keys_into(st, &co_q_merges_pairs, tenant, entity, true, into, err);
}

co_code Co_state_merges_count(co_state *st, const char *tenant, const char *entity, int64_t *n,
                              co_error *err)
{
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))},
                    {NULL, co_text(entity, strlen(entity))}};
    *n = 0;
    return Co_state_read_int(st, &co_q_merges_count, p, 2, n, NULL, err);
}

static const char *text_or_null(co_value v)
{
    return v.type == CO_TEXT ? v.s : NULL;
}

co_code Co_state_key_trace(co_state *st, co_key_trace which, const char *entity, const char *key,
                           const char *tenant,
                           co_code (*fn)(void *ctx, const co_key_trace_row *row, co_error *err),
                           void *ctx, co_error *err)
{
    static const co_jq *const queries[] = {
        [CO_KEYS_MERGED_FROM] = &co_q_trace_merged_from,
        [CO_KEYS_LOADED_FROM] = &co_q_trace_loaded_from,
        [CO_KEYS_REJECTED] = &co_q_trace_rejected,
        [CO_KEYS_LOADED_INTO] = &co_q_trace_loaded_into,
        [CO_KEYS_MERGED_INTO] = &co_q_trace_merged_into,
    };
    /* A key of one integer may be inside a run. */
    size_t len = strlen(key);
    int64_t num = 0;
    bool one_int = len >= 3 && key[0] == '[' && key[len - 1] == ']' &&
                   Co_text_as_int(key + 1, len - 2, &num);
    co_param p[] = {{":entity", co_text(entity, strlen(entity))},
                    {":key", co_text(key, len)},
                    {":tenant", tenant ? co_text(tenant, strlen(tenant)) : co_null()},
                    {":num", one_int ? co_int(num) : co_null()}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, queries[which], p, 4, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value score = co_cursor_value(c, 4);
        double scored = score.type == CO_REAL ? score.r : (double)score.i;
        co_key_trace_row row = {text_or_null(co_cursor_value(c, 0)),
                                text_or_null(co_cursor_value(c, 1)),
                                text_or_null(co_cursor_value(c, 2)),
                                text_or_null(co_cursor_value(c, 3)),
                                text_or_null(co_cursor_value(c, 5)),
                                text_or_null(co_cursor_value(c, 6)),
                                score.type == CO_REAL || score.type == CO_INT ? &scored : NULL};
        rc = fn(ctx, &row, err);
    }
    co_cursor_close(c);
    return rc;
}

typedef struct {
    co_code (*fn)(void *ctx, const char *source_key, const char *target_key, co_error *err);
    void *ctx;
} merge_each;

static co_code merge_row(void *ctx, co_cursor *c, co_error *err)
{
    merge_each *e = ctx;
    return e->fn(e->ctx, Co_jstr(co_cursor_value(c, 0)), Co_jstr(co_cursor_value(c, 1)), err);
}

co_code Co_state_merges_each(co_state *st, const char *tenant, const char *entity,
                             co_code (*fn)(void *ctx, const char *source_key,
                                           const char *target_key, co_error *err),
                             void *ctx, co_error *err)
{
    merge_each e = {fn, ctx};
    co_param p[] = {{NULL, Co_jtext(tenant)}, {NULL, Co_jtext(entity)}};
    return Co_state_each(st, &co_q_merges_pairs, p, 2, merge_row, &e, err);
}

typedef struct {
    co_code (*fn)(void *ctx, const co_jreject_rule *r, co_error *err);
    void *ctx;
} rule_each;

static co_code rule_row(void *ctx, co_cursor *c, co_error *err)
{
    rule_each *e = ctx;
    co_jreject_rule r = {.entity = Co_jstr(co_cursor_value(c, 0)),
                         .rule = Co_jstr(co_cursor_value(c, 1)),
                         .rows = co_cursor_value(c, 2).i,
                         .reason = Co_jstr(co_cursor_value(c, 3)),
                         .examples = Co_jstr(co_cursor_value(c, 4))};
    return e->fn(e->ctx, &r, err);
}

co_code Co_state_rejects_by_rule_each(co_state *st, const char *tenant,
                                      co_code (*fn)(void *ctx, const co_jreject_rule *r,
                                                    co_error *err),
                                      void *ctx, co_error *err)
{
    rule_each e = {fn, ctx};
    co_param p = {NULL, Co_jtext(tenant)};
    return Co_state_each(st, &co_q_rejects_by_rule, &p, 1, rule_row, &e, err);
}
