/*
 * volume.c: the volume check. For an entity with a `volume` rule, both sides
 * count rows per group (the `by` columns) and calendar month of the `time`
 * column, over the current month and the months before it; a group and month
 * whose counts differ by more than the tolerance is a finding. This is how a
 * move of behavioural data is judged: records per event, per person, per month.
 */
#include "verify/verify_int.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/key.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The first day of the month `months - 1` months before now's, as YYYY-MM-01. */
static void window_start(int months, char *buf, size_t cap)
{
    time_t now = co_clock_now();
    struct tm tm;
    gmtime_r(&now, &tm);
    int month = tm.tm_year * 12 + tm.tm_mon - (months - 1);
    snprintf(buf, cap, "%04d-%02d-01", (month / 12 + 1900) % 10000, month % 12 + 1);
}

/* Runs one side's counts; adds them into counts (expected) or compares. */
static co_code count_side(vctx *v, bool expected_side, const char *since, co_map *counts,
                          int64_t *rows)
{
    const co_volume *vol = v->e->volume;
    co_store *st = expected_side ? v->s->source : v->s->dest;
    co_buf sql = CO_BUF_INIT, time_col = CO_BUF_INIT;
    co_store_quote_ident(st, vol->time, &time_col);
    co_buf_adds(&sql, "SELECT ");
    for (size_t i = 0; i < vol->nby; i++) {
        co_store_quote_ident(st, vol->by[i], &sql);
        co_buf_adds(&sql, ", ");
    }
    co_store_month_sql(st, co_buf_str(&time_col), &sql);
    co_buf_adds(&sql, " AS month, count(*) FROM (");
    if (expected_side)
        co_vsql_expected(v, &sql);
    else
        co_vsql_actual(v, &sql);
    co_buf_printf(&sql, ") AS side WHERE %s >= :since GROUP BY ", co_buf_str(&time_col));
    for (size_t i = 0; i < vol->nby; i++) {
        co_store_quote_ident(st, vol->by[i], &sql);
        co_buf_adds(&sql, ", ");
    }
    co_buf_adds(&sql, "month");
    co_param params[] = {co_vparam_tenant(v), {":since", co_text(since, strlen(since))}};
    co_cursor *c = NULL;
    co_code rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                            : co_store_query(st, co_buf_str(&sql), params, 2, &c, v->err);
    co_buf_release(&sql);
    co_buf_release(&time_col);
    co_buf group = CO_BUF_INIT;
    co_value vals[65];
    bool has_row;
    size_t n = vol->nby + 1;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        for (size_t i = 0; i < n && i < 65; i++)
            vals[i] = co_cursor_value(c, i);
        int64_t count = co_cursor_value(c, n).i;
        v->res->rows_fetched++;
        *rows += count;
        co_buf_reset(&group);
        co_key_encode(&group, vals, n);
        /* Each group holds two counts: expected, then actual. */
        int64_t pair[2] = {0, 0};
        const char *old;
        size_t olen;
        if (co_map_get(counts, group.data, group.len, &old, &olen) && olen == sizeof pair)
            memcpy(pair, old, sizeof pair);
        pair[expected_side ? 0 : 1] += count;
        if (group.failed || !co_map_put(counts, group.data, group.len, pair, sizeof pair))
            rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
    }
    co_buf_release(&group);
    co_cursor_close(c);
    return rc;
}

co_code co_verify_volume(vctx *v)
{
    const co_volume *vol = v->e->volume;
    if (vol->nby > 64)
        return co_error_set(v->err, CO_EPROJECT, "volume: more than 64 group columns");
    char since[16];
    window_start(vol->months, since, sizeof since);
    co_map counts;
    co_map_init(&counts);
    int64_t expected = 0, actual = 0;
    co_code rc = count_side(v, true, since, &counts, &expected);
    if (rc == CO_OK)
        rc = count_side(v, false, since, &counts, &actual);
    int64_t outside = 0;
    size_t pos = 0;
    const char *key, *val;
    size_t klen, vlen;
    co_buf keytext = CO_BUF_INIT, detail = CO_BUF_INIT;
    while (rc == CO_OK && co_map_next(&counts, &pos, &key, &klen, &val, &vlen)) {
        int64_t pair[2];
        memcpy(pair, val, sizeof pair);
        int64_t diff = pair[0] > pair[1] ? pair[0] - pair[1] : pair[1] - pair[0];
        double larger = (double)(pair[0] > pair[1] ? pair[0] : pair[1]);
        double allowed = vol->relative ? vol->tolerance * larger : vol->tolerance;
        if ((double)diff <= allowed + 1e-9)
            continue;
        co_buf_reset(&keytext);
        co_buf_add(&keytext, key, klen);
        co_buf_reset(&detail);
        co_buf_printf(&detail, "{\"expected\":%lld,\"actual\":%lld,\"difference\":%lld}",
                      (long long)pair[0], (long long)pair[1], (long long)(pair[1] - pair[0]));
        rc = co_vfinding(v, CO_CHECK_VOLUME, outside++, "volume", co_buf_str(&keytext),
                         co_buf_str(&detail));
    }
    size_t groups = co_map_count(&counts);
    co_buf_release(&keytext);
    co_buf_release(&detail);
    co_map_release(&counts);
    if (rc != CO_OK)
        return rc;
    char by[256] = "";
    for (size_t i = 0; i < vol->nby; i++)
        snprintf(by + strlen(by), sizeof by - strlen(by), "%s%s", i ? ", " : "", vol->by[i]);
    char tolerance[32];
    if (vol->relative)
        snprintf(tolerance, sizeof tolerance, "%g%%", vol->tolerance * 100);
    else
        snprintf(tolerance, sizeof tolerance, "%g rows", vol->tolerance);
    return co_vcheck(v, CO_CHECK_VOLUME, outside == 0, expected, actual, outside,
                     "%zu groups of (%s) per month since %s: %lld outside %s", groups, by, since,
                     (long long)outside, tolerance);
}
