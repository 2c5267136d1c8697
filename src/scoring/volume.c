/*
 * volume.c: records per canonical event, person and month on two event
 * sources, side by side, over the last N calendar months. Each source is
 * counted by its database (GROUP BY raw event, person, month) and mapped to
 * canonical events here; cells are kept in a hash map (events x people x
 * months with at least one record), and the cells that differ most are
 * reported by person.
 */
#include "scoring/scoring_int.h"
#include "util/clock.h"
#include "util/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void co_volume_result_release(co_volume_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nrows; i++)
        free(r->rows[i].event);
    free(r->rows);
    for (size_t i = 0; i < r->nmissing_new; i++)
        free(r->missing_new[i]);
    free(r->missing_new);
    for (size_t i = 0; i < r->nmissing_old; i++)
        free(r->missing_old[i]);
    free(r->missing_old);
    for (size_t i = 0; i < r->nworst; i++) {
        free(r->worst[i].event);
        free(r->worst[i].person);
    }
    free(r->worst);
    memset(r, 0, sizeof *r);
}

/* The canonical names a mapping produces, in the order met; index by name. */
typedef struct names {
    char **v;
    size_t n;
} names;

static int32_t name_index(void *ctx, const char *canonical)
{
    names *nm = ctx;
    for (size_t i = 0; i < nm->n; i++)
        if (strcmp(nm->v[i], canonical) == 0)
            return (int32_t)i;
    char **grown = realloc(nm->v, (nm->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    nm->v = grown;
    if (!(nm->v[nm->n] = strdup(canonical)))
        return -1;
    return (int32_t)nm->n++;
}

typedef struct counts {
    int64_t side[2];
} counts;

static bool bump(co_map *m, const char *key, size_t klen, int side, int64_t n)
{
    const char *val = NULL;
    counts c = {{0, 0}};
    if (Co_map_get(m, key, klen, &val, NULL))
        memcpy(&c, val, sizeof c);
    c.side[side] += n;
    return Co_map_put(m, key, klen, &c, sizeof c);
}

/* Counts one side into cells (event \0 person \0 month) and totals (event \0 month). */
static co_code count_side(const co_project *p, co_state *st, const char *source, int side,
                          const char *since, names *canon, co_map *cells, co_map *totals,
                          co_error *err)
{
    co_mapping map;
    co_code rc = co_mapping_find(st, source, &map, err);
    if (rc != CO_OK)
        return rc;
    co_map lookup;
    Co_map_init(&lookup);
    if (!sc_lookup_build(&map, &lookup, name_index, canon))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    const co_event_source *src = NULL;
    co_store *s = NULL;
    if (rc == CO_OK)
        rc = sc_source_open(p, source, &src, &s, err);
    co_buf sql = CO_BUF_INIT, tq = CO_BUF_INIT, key = CO_BUF_INIT, person = CO_BUF_INIT;
    co_cursor *c = NULL;
    if (rc == CO_OK) {
        co_store_quote_ident(s, src->time, &tq);
        Co_buf_adds(&sql, "SELECT ");
        co_store_quote_ident(s, src->event, &sql);
        Co_buf_adds(&sql, ", ");
        co_store_quote_ident(s, src->person, &sql);
        Co_buf_adds(&sql, ", ");
        co_store_month_sql(s, co_buf_str(&tq), &sql);
        Co_buf_adds(&sql, ", count(*) FROM ");
        co_store_quote_ident(s, src->table, &sql);
        Co_buf_printf(&sql, " WHERE %s >= ? GROUP BY 1, 2, 3", co_buf_str(&tq));
        co_param ps[] = {{NULL, sc_text(since)}};
        rc = co_store_query(s, co_buf_str(&sql), ps, 1, &c, err);
    }
    bool row = false;
    while (rc == CO_OK && (rc = co_cursor_next(c, &row, err)) == CO_OK && row) {
        co_value ev = co_cursor_value(c, 0), mo = co_cursor_value(c, 2);
        const char *val = NULL;
        if (ev.type != CO_TEXT || mo.type != CO_TEXT || mo.len != 7 ||
            !Co_map_get(&lookup, ev.s, ev.len, &val, NULL))
            continue;
        sc_lookup_entry e;
        memcpy(&e, val, sizeof e);
        if (e.index < 0 || !sc_key_of(co_cursor_value(c, 1), &person))
            continue;
        int64_t n = co_cursor_value(c, 3).i;
        const char *name = canon->v[e.index];
        Co_buf_reset(&key);
        Co_buf_add(&key, name, strlen(name) + 1);
        Co_buf_add(&key, mo.s, 7);
        if (!bump(totals, key.data, key.len, side, n))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        Co_buf_reset(&key);
        Co_buf_add(&key, name, strlen(name) + 1);
        Co_buf_add(&key, person.data, person.len + 1);
        Co_buf_add(&key, mo.s, 7);
        if (rc == CO_OK && !bump(cells, key.data, key.len, side, n))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (rc != CO_OK)
        co_error_where(err, "event source %s", source);
    co_cursor_close(c);
    Co_buf_release(&sql);
    Co_buf_release(&tq);
    Co_buf_release(&key);
    Co_buf_release(&person);
    co_store_close(s);
    Co_map_release(&lookup);
    co_mapping_release(&map);
    return rc;
}

#define WORST_CELLS 20

static int64_t gap(int64_t a, int64_t b) { return a > b ? a - b : b - a; }

/* Keeps the cell among the WORST_CELLS that differ most (key: event \0
 * person \0 month). */
static bool keep_worst(co_volume_result *r, const char *key, size_t klen, const counts *c)
{
    int64_t g = gap(c->side[0], c->side[1]);
    size_t at = r->nworst;
    while (at > 0 && gap(r->worst[at - 1].old_count, r->worst[at - 1].new_count) < g)
        at--;
    if (at == WORST_CELLS)
        return true;
    if (r->nworst == WORST_CELLS) {
        free(r->worst[WORST_CELLS - 1].event);
        free(r->worst[WORST_CELLS - 1].person);
        r->nworst--;
    }
    memmove(&r->worst[at + 1], &r->worst[at], (r->nworst - at) * sizeof *r->worst);
    r->nworst++;
    co_volume_cell *w = &r->worst[at];
    const char *person = key + strlen(key) + 1;
    const char *month = person + strlen(person) + 1;
    w->event = strdup(key);
    w->person = strdup(person);
    snprintf(w->month, sizeof w->month, "%.7s", (size_t)(month - key) + 7 <= klen ? month : "");
    w->old_count = c->side[0];
    w->new_count = c->side[1];
    return w->event && w->person;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool push_name(char ***v, size_t *n, const char *s)
{
    char **grown = realloc(*v, (*n + 1) * sizeof *grown);
    if (!grown)
        return false;
    *v = grown;
    return ((*v)[(*n)++] = strdup(s)) != NULL;
}

co_code co_volume_compare(const co_project *p, co_state *st, const char *old_source,
                          const char *new_source, int months, double tolerance,
                          co_volume_result *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    out->months = months;
    out->tolerance = tolerance;
    if (months < 1 || months > 120)
        return co_error_set(err, CO_EUSAGE, "months must be from 1 to 120, not %d", months);
    /* The months: the current one and months-1 before it. */
    char (*month)[16] = calloc((size_t)months, sizeof *month);
    if (!month)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    time_t now = Co_clock_now();
    struct tm tm;
    gmtime_r(&now, &tm);
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
    for (int i = months - 1; i >= 0; i--) {
        snprintf(month[i], sizeof month[i], "%04d-%02d", y, m);
        if (--m == 0) {
            m = 12;
            y--;
        }
    }
    char since[16];
    snprintf(since, sizeof since, "%.7s-01", month[0]);
    names canon[2] = {{NULL, 0}, {NULL, 0}};
    co_map cells, totals;
    Co_map_init(&cells);
    Co_map_init(&totals);
    co_code rc = count_side(p, st, old_source, 0, since, &canon[0], &cells, &totals, err);
    if (rc == CO_OK)
        rc = count_side(p, st, new_source, 1, since, &canon[1], &cells, &totals, err);
    /* Canonical events of either side, with their totals over the window. */
    char **events = NULL;
    size_t nevents = 0;
    for (int sd = 0; rc == CO_OK && sd < 2; sd++)
        for (size_t i = 0; rc == CO_OK && i < canon[sd].n; i++) {
            bool seen = false;
            for (size_t j = 0; j < nevents && !seen; j++)
                seen = strcmp(events[j], canon[sd].v[i]) == 0;
            if (!seen && !push_name(&events, &nevents, canon[sd].v[i]))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
        }
    if (events)
        qsort(events, nevents, sizeof *events, cmp_str);
    if (rc == CO_OK && nevents) {
        out->rows = calloc(nevents * (size_t)months, sizeof *out->rows);
        if (!out->rows)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    bool ok = true;
    co_buf key = CO_BUF_INIT;
    for (size_t e = 0; rc == CO_OK && e < nevents; e++) {
        int64_t sum[2] = {0, 0};
        for (int i = 0; rc == CO_OK && i < months; i++) {
            co_volume_row *r = &out->rows[out->nrows++];
            if (!(r->event = strdup(events[e]))) {
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
                break;
            }
            memcpy(r->month, month[i], sizeof r->month);
            Co_buf_reset(&key);
            Co_buf_add(&key, events[e], strlen(events[e]) + 1);
            Co_buf_add(&key, month[i], 7);
            const char *val = NULL;
            counts c = {{0, 0}};
            if (Co_map_get(&totals, key.data, key.len, &val, NULL))
                memcpy(&c, val, sizeof c);
            r->old_count = c.side[0];
            r->new_count = c.side[1];
            sum[0] += c.side[0];
            sum[1] += c.side[1];
            int64_t big = r->old_count > r->new_count ? r->old_count : r->new_count;
            r->diff = big ? (double)(r->new_count - r->old_count) / (double)big : 0;
            r->beyond = fabs(r->diff) > tolerance + 1e-12;
        }
        if (rc != CO_OK)
            break;
        if (sum[0] > 0 && sum[1] == 0) {
            if (!push_name(&out->missing_new, &out->nmissing_new, events[e]))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            ok = false;
        } else if (sum[1] > 0 && sum[0] == 0) {
            if (!push_name(&out->missing_old, &out->nmissing_old, events[e]))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
        } else {
            for (size_t i = out->nrows - (size_t)months; i < out->nrows; i++)
                if (out->rows[i].beyond)
                    ok = false;
        }
    }
    Co_buf_release(&key);
    size_t pos = 0;
    const char *k, *v;
    size_t klen, vlen;
    out->worst = calloc(WORST_CELLS, sizeof *out->worst);
    if (rc == CO_OK && !out->worst)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    while (rc == CO_OK && Co_map_next(&cells, &pos, &k, &klen, &v, &vlen)) {
        counts c;
        memcpy(&c, v, sizeof c);
        out->cells++;
        if (c.side[0] == c.side[1])
            continue;
        out->cells_differ++;
        if (!keep_worst(out, k, klen, &c))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    out->ok = ok;
    for (size_t i = 0; i < nevents; i++)
        free(events[i]);
    free(events);
    for (int sd = 0; sd < 2; sd++) {
        for (size_t i = 0; i < canon[sd].n; i++)
            free(canon[sd].v[i]);
        free(canon[sd].v);
    }
    Co_map_release(&cells);
    Co_map_release(&totals);
    free(month);
    if (rc != CO_OK)
        co_volume_result_release(out);
    return rc;
}

void co_volume_result_json(const co_volume_result *r, co_buf *b)
{
    Co_buf_printf(b, "{\"months\":%d,\"tolerance\":%g,\"verdict\":\"%s\",\"cells\":%lld,"
                     "\"cells_differ\":%lld,\"missing_new\":[",
                  r->months, r->tolerance, r->ok ? "continue" : "stop", (long long)r->cells,
                  (long long)r->cells_differ);
    Co_json_strs(b, r->missing_new, r->nmissing_new);
    Co_buf_adds(b, "],\"missing_old\":[");
    Co_json_strs(b, r->missing_old, r->nmissing_old);
    Co_buf_adds(b, "],\"worst_cells\":[");
    for (size_t i = 0; i < r->nworst; i++) {
        const co_volume_cell *w = &r->worst[i];
        Co_json_field(b, i ? ",{\"event\":" : "{\"event\":", w->event);
        Co_json_field(b, ",\"person\":", w->person);
        Co_buf_printf(b, ",\"month\":\"%s\",\"old\":%lld,\"new\":%lld}", w->month,
                      (long long)w->old_count, (long long)w->new_count);
    }
    Co_buf_adds(b, "],\"rows\":[");
    for (size_t i = 0; i < r->nrows; i++) {
        const co_volume_row *w = &r->rows[i];
        Co_json_field(b, i ? ",{\"event\":" : "{\"event\":", w->event);
        Co_buf_printf(b, ",\"month\":\"%s\",\"old\":%lld,\"new\":%lld,\"diff\":%.4f,"
                         "\"beyond\":%s}",
                      w->month, (long long)w->old_count, (long long)w->new_count, w->diff,
                      w->beyond ? "true" : "false");
    }
    Co_buf_adds(b, "]}");
}
