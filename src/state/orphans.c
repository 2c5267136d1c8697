/*
 * orphans.c: the journal's record of the source rows of no tenant
 * (state.h, "Rows of no tenant"): the last accounting that `verify --all` or
 * `audit` made, replaced whole each time, for the report and the dashboard.
 */
#include "cutover/state.h"
#include "state/state_int.h"
#include "util/clock.h"

#include <string.h>

static const co_jq co_q_orphans_clear = {"DELETE FROM orphans"};

static const co_jq co_q_orphan_add = {
    "INSERT INTO orphans (counted_at, origin, source_table, tenant_column, kind, rows,"
    " distinct_values, examples, rule, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_orphans = {
    "SELECT counted_at, origin, source_table, tenant_column, kind, rows, distinct_values,"
    " examples, rule, reason FROM orphans ORDER BY kind <> 'table', source_table, kind"};

co_code co_state_orphans_replace(co_state *st, const char *origin, const co_state_orphan *rows,
                                 size_t n, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_code rc = co_state_begin(st, err);
    if (rc == CO_OK)
        rc = Co_state_write(st, &co_q_orphans_clear, NULL, 0, NULL, err);
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        const co_state_orphan *o = &rows[i];
        co_param p[] = {{NULL, Co_state_text_or_null(now)},
                        {NULL, Co_state_text_or_null(origin)},
                        {NULL, Co_state_text_or_null(o->table)},
                        {NULL, Co_state_text_or_null(o->column)},
                        {NULL, Co_state_text_or_null(o->kind)},
                        {NULL, co_int(o->rows)},
                        {NULL, co_int(o->values)},
                        {NULL, Co_state_text_or_null(o->examples)},
                        {NULL, o->rule ? co_int(o->rule) : co_null()},
                        {NULL, Co_state_text_or_null(o->reason)}};
        rc = Co_state_write(st, &co_q_orphan_add, p, 10, NULL, err);
    }
    if (rc == CO_OK)
        return co_state_commit(st, err);
    co_state_rollback(st);
    return rc;
}

typedef struct {
    co_state_orphan_fn fn;
    void *ctx;
} orphan_each;

static co_code orphan_row(void *ctx, co_cursor *c, co_error *err)
{
    orphan_each *e = ctx;
    char at[40], origin[16], table[256], column[256], kind[16], examples[4096], reason[1024];
    co_state_orphan o = {0};
    o.counted_at = Co_state_cell_text(co_cursor_value(c, 0), at, sizeof at);
    o.origin = Co_state_cell_text(co_cursor_value(c, 1), origin, sizeof origin);
    o.table = Co_state_cell_text(co_cursor_value(c, 2), table, sizeof table);
    o.column = Co_state_cell_text(co_cursor_value(c, 3), column, sizeof column);
    o.kind = Co_state_cell_text(co_cursor_value(c, 4), kind, sizeof kind);
    co_value rows = co_cursor_value(c, 5), values = co_cursor_value(c, 6),
             rule = co_cursor_value(c, 8);
    o.rows = rows.type == CO_INT ? rows.i : 0;
    o.values = values.type == CO_INT ? values.i : 0;
    o.examples = Co_state_cell_text(co_cursor_value(c, 7), examples, sizeof examples);
    o.rule = rule.type == CO_INT ? (int)rule.i : 0;
    o.reason = Co_state_cell_text(co_cursor_value(c, 9), reason, sizeof reason);
    return e->fn(e->ctx, &o, err);
}

co_code co_state_orphans_each(co_state *st, co_state_orphan_fn fn, void *ctx, co_error *err)
{
    orphan_each e = {fn, ctx};
    return Co_state_each(st, &co_q_orphans, NULL, 0, orphan_row, &e, err);
}
