/* util.c: the helpers of scoring_int.h: journal times, CSV files, timestamps,
 * keys, event sources and raw-event lookups. */
#include "state/journal.h"
#include "scoring/scoring_int.h"
#include "util/clock.h"
#include "util/csv.h"
#include "util/text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sc_now(char *buf, size_t cap) { Co_clock_iso(Co_clock_now(), buf, cap); }

char *sc_dup(const char *s) { return strdup(s ? s : ""); }

co_value sc_text(const char *s) { return co_text(s, strlen(s)); }

/* Cells are trimmed of spaces and tabs; blank lines and lines starting with
 * '#' are skipped; at most 8 cells are handed on. The reading (quotes, line
 * breaks inside them) is util/csv's. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

co_code sc_csv_read(const char *path, sc_line_fn fn, void *ctx, co_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return co_error_set(err, CO_EIO, "cannot read %s: %s", path, strerror(errno));
    co_csv_reader r;
    Co_csv_init(&r, f, path);
    co_code rc = CO_OK;
    bool more = true;
    while (rc == CO_OK && (rc = Co_csv_next(&r, &more, err)) == CO_OK && more) {
        char *fields[8];
        int n = 0;
        for (size_t i = 0; i < r.n && n < 8; i++)
            fields[n++] = trim((char *)Co_csv_cell_at(&r, i));
        if (n == 0 || (n == 1 && !*fields[0]) || fields[0][0] == '#')
            continue;
        rc = fn(ctx, fields, n, path, (int)r.line, err);
    }
    Co_csv_release(&r);
    fclose(f);
    return rc;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

bool sc_time_of(co_value v, int64_t *secs)
{
    if (v.type == CO_INT) {
        *secs = v.i;
        return true;
    }
    if (v.type == CO_REAL) {
        *secs = (int64_t)v.r;
        return true;
    }
    if (v.type != CO_TEXT || v.len < 10)
        return false;
    const char *s = v.s;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (!Co_digits(s, 4, &y) || s[4] != '-' || !Co_digits(s + 5, 2, &mo) || s[7] != '-' ||
        !Co_digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    int64_t offset = 0;
    if (v.len >= 19 && (s[10] == 'T' || s[10] == ' ')) {
        if (!Co_digits(s + 11, 2, &h) || s[13] != ':' || !Co_digits(s + 14, 2, &mi) ||
            s[16] != ':' || !Co_digits(s + 17, 2, &se))
            return false;
        /* Fractions are dropped; a zone offset (+HH, +HH:MM, +HHMM) is applied. */
        size_t i = 19;
        if (i < v.len && s[i] == '.')
            for (i++; i < v.len && s[i] >= '0' && s[i] <= '9'; i++)
                ;
        int oh = 0, om = 0;
        if (i + 3 <= v.len && (s[i] == '+' || s[i] == '-') && Co_digits(s + i + 1, 2, &oh)) {
            size_t j = i + 3;
            if (j < v.len && s[j] == ':')
                j++;
            if (j + 2 <= v.len && !Co_digits(s + j, 2, &om))
                om = 0;
            offset = (s[i] == '-' ? -1 : 1) * ((int64_t)oh * 3600 + (int64_t)om * 60);
        }
    }
    *secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
            offset;
    return true;
}

bool sc_key_of(co_value v, co_buf *buf)
{
    Co_buf_reset(buf);
    switch (v.type) {
    case CO_NULL: return false;
    case CO_INT: Co_buf_add_int(buf, v.i); break;
    case CO_REAL: Co_buf_printf(buf, "%.17g", v.r); break;
    case CO_TEXT:
    case CO_BLOB: Co_buf_add(buf, v.s, v.len); break;
    }
    return !buf->failed;
}

co_code sc_source_open(const co_project *p, const char *name, const co_event_source **src,
                       co_store **store, co_error *err)
{
    const co_event_source *e = co_project_event_source(p, name);
    if (!e)
        return co_error_set(err, CO_ENOTFOUND,
                            "no event source \"%s\" in the project file (events.sources)", name);
    co_code rc = co_store_open(e->uri, CO_SIDE_SOURCE, p->dir, store, err);
    if (rc != CO_OK) {
        co_error_where(err, "event source %s", name);
        return rc;
    }
    *src = e;
    return CO_OK;
}

void sc_select(co_store *s, const char *const *cols, size_t ncols, const char *table,
               co_buf *sql)
{
    Co_buf_adds(sql, "SELECT ");
    co_store_quote_idents(s, cols, ncols, sql);
    Co_buf_adds(sql, " FROM ");
    co_store_quote_ident(s, table, sql);
}

bool sc_lookup_build(const co_mapping *m, co_map *map,
                     int32_t (*index_of)(void *ctx, const char *canonical), void *ctx)
{
    for (size_t i = 0; i < m->nrules; i++) {
        const co_mapping_rule *r = &m->rules[i];
        sc_lookup_entry e = {-1, (int32_t)r->kind};
        if (r->kind != CO_EV_EXCLUDED)
            e.index = index_of(ctx, r->canonical);
        if (!Co_map_put(map, r->raw, strlen(r->raw), &e, sizeof e))
            return false;
    }
    return true;
}

co_code sc_step(co_state *st, int64_t switch_id, int seq, const char *step, const char *status,
                const char *detail, co_error *err)
{
    char now[32];
    sc_now(now, sizeof now);
    return Co_state_switch_step_add(st, switch_id, seq, step, status, detail ? detail : "", now,
                                    err);
}
