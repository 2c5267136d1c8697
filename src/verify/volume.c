/*
 * volume.c: the volume check. For an entity with a `volume` rule, both sides
 * count rows per group (the `by` columns) and calendar month of the `time`
 * column, over the current month and the months before it; a group and month
 * whose counts differ by more than the tolerance is a finding. This is how a
 * move of behavioural data is judged: records per event, per person, per month.
 */
#include "verify/verify_int.h"
#include "util/clock.h"
#include "util/fmt.h"
#include "util/json.h"
#include "util/key.h"
#include "util/grow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

/* The first day of the month `months - 1` months before now's, as YYYY-MM-01. */
static void window_start(int months, char *buf, size_t cap)
{
    time_t now = Co_clock_now();
    struct tm tm;
    gmtime_r(&now, &tm);
    int month = tm.tm_year * 12 + tm.tm_mon - (months - 1);
    snprintf(buf, cap, "%04d-%02d-01", (month / 12 + 1900) % 10000, month % 12 + 1);
}

/* Each group is kept by the XXH3 hash of its canonical text (8 bytes rather
 * than the text): a tenant's months can hold millions of groups. */
typedef struct pair {
    int64_t expected, actual;
} pair;

/* Runs one side's GROUP BY. With names NULL it adds the side's counts into
 * counts; otherwise it calls name_fn for groups whose hash is in names. */
typedef co_code (*group_fn)(vctx *v, uint64_t hash, const co_buf *group, int64_t count, void *ctx);

/* The declared type of the volume's time column on the target (into decl,
 * "" when not known). */
static co_code time_decl_type(vctx *v, char *decl, size_t cap)
{
    co_column *cols = NULL;
    size_t n = 0;
    decl[0] = '\0';
    co_code rc = co_store_columns(v->s->dest, v->e->target, &cols, &n, v->err);
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        if (strcmp(cols[i].name, v->e->volume->time) == 0 && cols[i].decl_type)
            snprintf(decl, cap, "%s", cols[i].decl_type);
    co_columns_free(cols, n);
    return rc;
}

/* Appends the month of the time column on one side: on the target, where
 * the column's declared type is known, the store may compute it from the
 * type rather than from its text (the same months either way). *per_value:
 * the store reads the value's text for it, a cost worth paying once per
 * distinct value rather than per row. */
static co_code month_sql(vctx *v, bool expected_side, const char *time_col, co_buf *sql,
                         bool *per_value)
{
    co_store *st = expected_side ? v->s->source : v->s->dest;
    char decl[128] = "";
    co_code rc = expected_side ? CO_OK : time_decl_type(v, decl, sizeof decl);
    if (rc == CO_OK)
        *per_value = co_store_month_typed_sql(st, time_col, decl, sql);
    return rc;
}

/* True when the time column is also one of the volume's `by` columns. */
static bool time_in_by(const co_volume *vol)
{
    for (size_t i = 0; i < vol->nby; i++)
        if (strcmp(vol->by[i], vol->time) == 0)
            return true;
    return false;
}

/* Starts one side's rows per calendar month since `since`: per group of the
 * volume's `by` columns (by_group), or in all, by month. Where the store
 * computes a month from the value's text, the rows are counted per distinct
 * time first and the month computed once for each (events share their times:
 * a campaign's sends, a batch's imports). */
static co_code month_query(vctx *v, bool expected_side, const char *since, bool by_group,
                           co_cursor **out)
{
    const co_volume *vol = v->e->volume;
    co_store *st = expected_side ? v->s->source : v->s->dest;
    co_buf sql = CO_BUF_INIT, time_col = CO_BUF_INIT, groups = CO_BUF_INIT, month = CO_BUF_INIT;
    co_store_quote_ident(st, vol->time, &time_col);
    for (size_t i = 0; by_group && i < vol->nby; i++) {
        co_store_quote_ident(st, vol->by[i], &groups);
        Co_buf_adds(&groups, ", ");
    }
    const char *g = groups.len ? co_buf_str(&groups) : "", *t = co_buf_str(&time_col);
    bool per_value = false;
    co_code rc = month_sql(v, expected_side, t, &month, &per_value);
    per_value = per_value && !(by_group && time_in_by(vol));
    if (per_value)
        Co_buf_printf(&sql, "SELECT %s%s AS month, sum(cutover_n) FROM (SELECT %s%s, count(*) AS "
                      "cutover_n FROM (", g, co_buf_str(&month), g, t);
    else
        Co_buf_printf(&sql, "SELECT %s%s AS month, count(*) FROM (", g, co_buf_str(&month));
    if (expected_side)
        Co_vsql_expected(v, &sql);
    else
        Co_vsql_actual(v, &sql);
    Co_buf_printf(&sql, ") AS side WHERE %s >= :since", t);
    if (per_value)
        Co_buf_printf(&sql, " GROUP BY %s%s) AS times", g, t);
    Co_buf_printf(&sql, " GROUP BY %smonth%s", g, by_group ? "" : " ORDER BY month");
    co_param params[] = {Co_vparam_tenant(v), {":since", co_text(since, strlen(since))}};
    if (rc == CO_OK)
        rc = sql.failed || groups.failed || month.failed || time_col.failed
                 ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                 : co_store_query(st, co_buf_str(&sql), params, 2, out, v->err);
    Co_buf_release(&sql);
    Co_buf_release(&time_col);
    Co_buf_release(&groups);
    Co_buf_release(&month);
    return rc;
}

/* When month (one side's month of `count` rows) is a time whose date no
 * calendar has, as the store gives it (CO_STORE_MONTH_INVALID and the
 * text): with report, an invalid_time finding naming the value, its table
 * and column and the side; the rows then count in no month (as SQLite,
 * which reads no month from such text). */
static co_code invalid_time(vctx *v, bool expected_side, bool report, co_value *month,
                            int64_t count)
{
    size_t mark = strlen(CO_STORE_MONTH_INVALID);
    if (month->type != CO_TEXT || month->len < mark ||
        memcmp(month->s, CO_STORE_MONTH_INVALID, mark) != 0)
        return CO_OK;
    co_value text = co_text(month->s + mark, month->len - mark);
    *month = co_null();
    if (!report)
        return CO_OK;
    co_buf key = CO_BUF_INIT, detail = CO_BUF_INIT;
    Co_key_encode(&key, &text, 1);
    Co_json_field(&detail, "{\"side\":", expected_side ? "source" : "target");
    Co_json_field(&detail, ",\"table\":", expected_side ? v->e->name : v->e->target);
    Co_json_field(&detail, ",\"column\":", v->e->volume->time);
    Co_buf_adds(&detail, ",\"value\":");
    Co_json_value(&detail, &text);
    Co_buf_printf(&detail, ",\"rows\":%lld}", (long long)count);
    co_code rc = key.failed || detail.failed
                     ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                     : Co_vfinding(v, CO_CHECK_VOLUME, v->invalid_times++, "invalid_time",
                                   co_buf_str(&key), co_buf_str(&detail));
    Co_buf_release(&key);
    Co_buf_release(&detail);
    return rc;
}

static co_code add_count(vctx *v, uint64_t hash, const co_buf *group, int64_t count, void *ctx);

static co_code count_side(vctx *v, bool expected_side, const char *since, group_fn fn, void *ctx,
                          int64_t *rows)
{
    const co_volume *vol = v->e->volume;
    co_cursor *c = NULL;
    co_code rc = month_query(v, expected_side, since, true, &c);
    co_buf group = CO_BUF_INIT;
    co_value vals[65];
    bool has_row;
    size_t n = vol->nby + 1;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        for (size_t i = 0; i < n && i < 65; i++)
            vals[i] = co_cursor_value(c, i);
        int64_t count = co_cursor_value(c, n).i;
        v->res->rows_fetched++;
        rc = invalid_time(v, expected_side, fn == add_count, &vals[n - 1], count);
        if (rc != CO_OK)
            break;
        if (rows)
            *rows += count;
        Co_buf_reset(&group);
        Co_key_encode(&group, vals, n);
        if (group.failed) {
            rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
            break;
        }
        rc = fn(v, XXH3_64bits(group.data, group.len), &group, count, ctx);
    }
    Co_buf_release(&group);
    co_cursor_close(c);
    return rc;
}

typedef struct tally {
    co_map *counts;
    bool expected_side;
} tally;

static co_code add_count(vctx *v, uint64_t hash, const co_buf *group, int64_t count, void *ctx)
{
    (void)group;
    tally *t = ctx;
    pair pr = {0, 0};
    const char *old;
    size_t olen;
    if (Co_map_get(t->counts, &hash, sizeof hash, &old, &olen) && olen == sizeof pr)
        memcpy(&pr, old, sizeof pr);
    if (t->expected_side)
        pr.expected += count;
    else
        pr.actual += count;
    if (!Co_map_put(t->counts, &hash, sizeof hash, &pr, sizeof pr))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* The second pass: name the sampled groups outside the tolerance. */
typedef struct naming {
    co_map *sampled; /* hash -> pair, for the groups to report */
    co_map named;    /* hashes already reported */
    int64_t reported;
} naming;

static co_code name_group(vctx *v, uint64_t hash, const co_buf *group, int64_t count, void *ctx)
{
    (void)count;
    naming *nm = ctx;
    const char *val;
    size_t vlen;
    if (!Co_map_get(nm->sampled, &hash, sizeof hash, &val, &vlen) ||
        Co_map_get(&nm->named, &hash, sizeof hash, NULL, NULL))
        return CO_OK;
    if (!Co_map_put(&nm->named, &hash, sizeof hash, "", 0))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    pair pr;
    memcpy(&pr, val, sizeof pr);
    char detail[128];
    snprintf(detail, sizeof detail, "{\"expected\":%lld,\"actual\":%lld,\"difference\":%lld}",
             (long long)pr.expected, (long long)pr.actual, (long long)(pr.actual - pr.expected));
    return Co_vfinding(v, CO_CHECK_VOLUME, nm->reported++, "volume", co_buf_str(group), detail);
}

co_code Co_verify_volume(vctx *v)
{
    const co_volume *vol = v->e->volume;
    if (vol->nby > 64)
        return co_error_set(v->err, CO_EPROJECT, "volume: more than 64 group columns");
    char since[16];
    window_start(vol->months, since, sizeof since);
    co_map counts, sampled;
    Co_map_init(&counts);
    Co_map_init(&sampled);
    int64_t expected = 0, actual = 0;
    tally te = {&counts, true}, ta = {&counts, false};
    co_code rc = count_side(v, true, since, add_count, &te, &expected);
    if (rc == CO_OK)
        rc = count_side(v, false, since, add_count, &ta, &actual);
    int64_t outside = 0;
    size_t pos = 0;
    const char *key, *val;
    size_t klen, vlen;
    while (rc == CO_OK && Co_map_next(&counts, &pos, &key, &klen, &val, &vlen)) {
        pair pr;
        memcpy(&pr, val, sizeof pr);
        int64_t diff = pr.expected > pr.actual ? pr.expected - pr.actual : pr.actual - pr.expected;
        double larger = (double)(pr.expected > pr.actual ? pr.expected : pr.actual);
        double allowed = vol->relative ? vol->tolerance * larger : vol->tolerance;
        if ((double)diff <= allowed + 1e-9)
            continue;
        if ((size_t)outside++ < v->sample && !Co_map_put(&sampled, key, klen, val, vlen))
            rc = co_error_set(v->err, CO_ENOMEM, "out of memory");
    }
    size_t groups = co_map_count(&counts);
    Co_map_release(&counts);
    if (rc == CO_OK && outside > 0) { /* name the sampled groups: a second pass, only now */
        naming nm = {&sampled, {0}, 0};
        Co_map_init(&nm.named);
        rc = count_side(v, true, since, name_group, &nm, NULL);
        if (rc == CO_OK)
            rc = count_side(v, false, since, name_group, &nm, NULL);
        Co_map_release(&nm.named);
    }
    Co_map_release(&sampled);
    if (rc != CO_OK)
        return rc;
    if (outside > 0)
        Co_vkind_total(v, CO_CHECK_VOLUME, "volume", outside);
    if (v->invalid_times > 0)
        Co_vkind_total(v, CO_CHECK_VOLUME, "invalid_time", v->invalid_times);
    char by[256] = "";
    for (size_t i = 0; i < vol->nby; i++)
        snprintf(by + strlen(by), sizeof by - strlen(by), "%s%s", i ? ", " : "", vol->by[i]);
    char tolerance[32];
    if (vol->relative)
        snprintf(tolerance, sizeof tolerance, "%g%%", vol->tolerance * 100);
    else
        snprintf(tolerance, sizeof tolerance, "%g rows", vol->tolerance);
    char group_n[CO_FMT_PLURAL], outside_n[CO_FMT_COUNT], times_n[CO_FMT_PLURAL];
    char invalid_n[CO_FMT_PLURAL + 48] = "";
    if (v->invalid_times > 0)
        snprintf(invalid_n, sizeof invalid_n, "; %s no calendar has",
                 Co_fmt_plural(times_n, v->invalid_times, "time", "times"));
    return Co_vcheck(v, CO_CHECK_VOLUME, outside == 0 && v->invalid_times == 0, expected, actual,
                     outside + v->invalid_times, "%s of (%s) per month since %s: %s outside %s%s",
                     Co_fmt_plural(group_n, (int64_t)groups, "group", "groups"), by, since,
                     Co_fmt_count(outside_n, outside), tolerance, invalid_n);
}

/* Adds count rows of month (of one side) to the result's months of this
 * entity (first: the first of them). */
static co_code result_month(vctx *v, size_t first, const char *month, int64_t count,
                            bool expected_side)
{
    co_verify_result *r = v->res;
    size_t i = first;
    while (i < r->nmonths && strcmp(r->months[i].month, month) != 0)
        i++;
    if (i == r->nmonths) {
        if (!CO_RESIZE(r->months, r->nmonths + 1))
            return co_error_set(v->err, CO_ENOMEM, "out of memory");
        co_volume_month *nm = &r->months[r->nmonths];
        memset(nm, 0, sizeof *nm);
        nm->entity = strdup(v->e->name);
        if (!nm->entity)
            return co_error_set(v->err, CO_ENOMEM, "out of memory");
        snprintf(nm->month, sizeof nm->month, "%s", month);
        r->nmonths++;
    }
    if (expected_side)
        r->months[i].source += count;
    else
        r->months[i].target += count;
    return CO_OK;
}

/* The month ('YYYY-MM', or "" for none) of a month query's value. */
static void month_text(const co_value *m, char month[8])
{
    month[0] = '\0';
    if (m->type == CO_TEXT || m->type == CO_BLOB)
        snprintf(month, 8, "%.*s", (int)(m->len < 7 ? m->len : 7), m->s);
}

/* One side's rows per month since the window's start; adds them to the
 * result's months of this entity (first: the months already there). */
static co_code months_side(vctx *v, bool expected_side, const char *since, size_t first,
                           bool report)
{
    co_cursor *c = NULL;
    co_code rc = month_query(v, expected_side, since, false, &c);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        co_value m = co_cursor_value(c, 0);
        int64_t count = co_cursor_value(c, 1).i;
        v->res->rows_fetched++;
        rc = invalid_time(v, expected_side, report, &m, count);
        if (rc != CO_OK)
            break;
        char month[8];
        month_text(&m, month);
        rc = result_month(v, first, month, count, expected_side);
    }
    co_cursor_close(c);
    return rc;
}

/* ---- the target's months counted from the content check's read ---- */

/* At most this many distinct times whose month the server computes; past
 * it, the months are counted by the month query as before. */
#define ASKED_MAX 4096

typedef struct month_count {
    char month[8]; /* "" for a time that is no time (the month query's NULL) */
    int64_t count;
} month_count;

struct vmonths {
    size_t time_idx;     /* the time column among the rows' values */
    char since[16];      /* the window's first day */
    month_count *months; /* rows per month whose month was computed here */
    size_t nmonths, last;
    co_map asked;        /* times whose month the server computes: text -> int64_t rows */
    bool given_up;       /* a time neither here nor asked: the month query counts */
};

void Co_vmonths_release(vctx *v)
{
    if (!v->months_here)
        return;
    Co_map_release(&v->months_here->asked);
    free(v->months_here->months);
    free(v->months_here);
    v->months_here = NULL;
}

bool Co_vmonths_select(vctx *v, co_store *st, co_buf *select)
{
    Co_vmonths_release(v);
    const co_volume *vol = v->e->volume;
    if (!vol || v->scope || v->scoped || !co_store_month_here(st, NULL, NULL))
        return false;
    size_t t = 0;
    while (t < v->ncols && strcmp(v->cols[t], vol->time) != 0)
        t++;
    struct vmonths *m = t < v->ncols ? calloc(1, sizeof *m) : NULL;
    if (!m) /* the month query counts them */
        return false;
    m->time_idx = t;
    Co_map_init(&m->asked);
    window_start(vol->months, m->since, sizeof m->since);
    /* the month query's own test (`time >= :since`), by the server, with
     * the column's type and collation */
    Co_buf_adds(select, ", CASE WHEN ");
    co_store_quote_ident(st, vol->time, select);
    Co_buf_printf(select, " >= '%s' THEN 1 ELSE 0 END", m->since);
    v->months_here = m;
    return true;
}

static co_code count_month(vctx *v, struct vmonths *m, const char *month, int64_t count)
{
    size_t i = m->last;
    if (i >= m->nmonths || strcmp(m->months[i].month, month) != 0)
        for (i = 0; i < m->nmonths && strcmp(m->months[i].month, month) != 0; i++)
            ;
    if (i == m->nmonths) {
        if (!CO_RESIZE(m->months, m->nmonths + 1))
            return co_error_set(v->err, CO_ENOMEM, "out of memory");
        memset(&m->months[i], 0, sizeof m->months[i]);
        snprintf(m->months[i].month, sizeof m->months[i].month, "%s", month);
        m->nmonths++;
    }
    m->months[i].count += count;
    m->last = i;
    return CO_OK;
}

co_code Co_vmonths_row(vctx *v, const co_value *row)
{
    struct vmonths *m = v->months_here;
    if (!m || m->given_up || row[v->ncols].type != CO_INT || row[v->ncols].i != 1)
        return CO_OK;
    const co_value *t = &row[m->time_idx];
    char month[8];
    if (co_store_month_here(v->s->dest, t, month))
        return count_month(v, m, month, 1);
    /* the server's to say, once per distinct time, after the read */
    int64_t n = 0;
    const char *old;
    size_t olen;
    bool known = t->type == CO_TEXT && Co_map_get(&m->asked, t->s, t->len, &old, &olen);
    if (!known && (t->type != CO_TEXT || co_map_count(&m->asked) >= ASKED_MAX)) {
        m->given_up = true;
        Co_map_release(&m->asked);
        return CO_OK;
    }
    if (known)
        memcpy(&n, old, sizeof n);
    n++;
    if (!Co_map_put(&m->asked, t->s, t->len, &n, sizeof n))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* The months of the times left to the server, by the month query's own SQL
 * over the times as literals of the column's type. */
static co_code months_asked(vctx *v, struct vmonths *m)
{
    co_store *st = v->s->dest;
    char decl[128];
    co_code rc = time_decl_type(v, decl, sizeof decl);
    co_buf sql = CO_BUF_INIT, time_col = CO_BUF_INIT, month = CO_BUF_INIT;
    co_store_quote_ident(st, v->e->volume->time, &time_col);
    if (rc == CO_OK)
        co_store_month_typed_sql(st, co_buf_str(&time_col), decl, &month);
    Co_buf_printf(&sql, "SELECT cutover_x, %s FROM (SELECT cutover_x, ", co_buf_str(&month));
    if (decl[0])
        Co_buf_printf(&sql, "CAST(cutover_x AS %s)", decl);
    else
        Co_buf_adds(&sql, "cutover_x");
    Co_buf_printf(&sql, " AS %s FROM (VALUES ", co_buf_str(&time_col));
    size_t pos = 0, k = 0;
    const char *key, *val;
    size_t klen, vlen;
    while (Co_map_next(&m->asked, &pos, &key, &klen, &val, &vlen)) {
        co_value text = co_text(key, klen);
        Co_buf_adds(&sql, k++ ? ", (" : "(");
        Co_vsql_literal(st, &text, &sql);
        Co_buf_addc(&sql, ')');
    }
    Co_buf_adds(&sql, ") AS d(cutover_x)) AS side");
    co_cursor *c = NULL;
    if (rc == CO_OK)
        rc = sql.failed || time_col.failed || month.failed
                 ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                 : co_store_query(st, co_buf_str(&sql), NULL, 0, &c, v->err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, v->err)) == CO_OK && has_row) {
        co_value x = co_cursor_value(c, 0), mv = co_cursor_value(c, 1);
        int64_t count = 0;
        if (x.type == CO_TEXT && Co_map_get(&m->asked, x.s, x.len, &val, &vlen))
            memcpy(&count, val, sizeof count);
        v->res->rows_fetched++;
        rc = invalid_time(v, false, true, &mv, count);
        char mt[8];
        month_text(&mv, mt);
        if (rc == CO_OK)
            rc = count_month(v, m, mt, count);
    }
    co_cursor_close(c);
    Co_buf_release(&sql);
    Co_buf_release(&time_col);
    Co_buf_release(&month);
    return rc;
}

static int month_cmp(const void *a, const void *b)
{
    return strcmp(((const co_volume_month *)a)->month, ((const co_volume_month *)b)->month);
}

co_code Co_verify_volume_months(vctx *v, bool rows_match)
{
    char since[16];
    window_start(v->e->volume->months, since, sizeof since);
    size_t first = v->res->nmonths;
    struct vmonths *m = v->months_here;
    co_code rc = CO_OK;
    if (rows_match && m && !m->given_up) {
        /* counted as the content check read the target's rows: no query
         * but for the times whose month only the server can say */
        if (co_map_count(&m->asked) > 0)
            rc = months_asked(v, m);
        for (size_t i = 0; rc == CO_OK && i < m->nmonths; i++)
            rc = result_month(v, first, m->months[i].month, m->months[i].count, false);
    } else {
        /* When every row matched, both sides have the same months: the
         * target's count (one table, no query to run) stands for both. */
        rc = rows_match ? CO_OK : months_side(v, true, since, first, false);
        if (rc == CO_OK)
            rc = months_side(v, false, since, first, rows_match);
    }
    Co_vmonths_release(v);
    for (size_t i = first; rc == CO_OK && rows_match && i < v->res->nmonths; i++)
        v->res->months[i].source = v->res->months[i].target;
    if (rc == CO_OK && v->res->nmonths > first)
        qsort(v->res->months + first, v->res->nmonths - first, sizeof *v->res->months, month_cmp);
    return rc;
}
