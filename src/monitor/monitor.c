/*
 * monitor.c: one switched tenant's monitoring (monitor.h): daily volumes in
 * the target against the same weekdays of the source's history, probes,
 * query budgets, the journal, and the on_alert hook.
 */
#include "state/journal.h"
#include "cutover/cutover.h"
#include "cutover/monitor.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_SECONDS 86400

/* Rows of one series on one day, from one side. */
typedef struct count_row {
    char day[11];
    char *key;      /* the `by` value as text, "" for the total */
    int64_t n;
    bool source;
} count_row;

typedef struct counts {
    count_row *rows;
    size_t n, cap;
    bool failed;
} counts;

static void counts_add(counts *c, const char *day, const char *key, int64_t n, bool source)
{
    for (size_t i = 0; i < c->n; i++) {
        count_row *r = &c->rows[i];
        if (r->source == source && strcmp(r->day, day) == 0 && strcmp(r->key, key) == 0) {
            r->n += n;
            return;
        }
    }
    if (!CO_GROW(c->rows, c->cap, c->n + 1, 64)) {
        c->failed = true;
        return;
    }
    count_row *r = &c->rows[c->n];
    snprintf(r->day, sizeof r->day, "%.10s", day);
    r->key = strdup(key);
    r->n = n;
    r->source = source;
    if (!r->key)
        c->failed = true;
    else
        c->n++;
}

static int64_t counts_get(const counts *c, const char *day, const char *key, bool source)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].source == source && strcmp(c->rows[i].day, day) == 0 &&
            strcmp(c->rows[i].key, key) == 0)
            return c->rows[i].n;
    return 0;
}

static void counts_release(counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->rows[i].key);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

static void day_of(time_t t, char day[11])
{
    char iso[32];
    Co_clock_iso(t, iso, sizeof iso);
    snprintf(day, 11, "%.10s", iso);
}

/* substr(CAST(col AS TEXT), 1, 10): the day of a timestamp on both engines. */
static void day_expr(co_store *st, const char *prefix, const char *col, co_buf *out)
{
    Co_buf_adds(out, "substr(CAST(");
    Co_buf_adds(out, prefix);
    co_store_quote_ident(st, col, out);
    Co_buf_adds(out, " AS TEXT), 1, 10)");
}

/* The entity query without trailing blanks and semicolons, to nest it. */
static void nested_query(const char *query, co_buf *out)
{
    size_t len = strlen(query);
    while (len && (query[len - 1] == ';' || query[len - 1] == ' ' || query[len - 1] == '\n' ||
                   query[len - 1] == '\t' || query[len - 1] == '\r'))
        len--;
    Co_buf_add(out, query, len);
}

/* Counts rows per day (and `by` value) from `from` to before `to`: on the
 * source through the entity query, on the target in its table. */
static co_code count_side(co_session *s, const co_tenant *t, const co_monitor_volume *v,
                          bool source, const char *from, const char *to, counts *out,
                          co_error *err)
{
    const co_entity *e = co_project_entity(s->project, v->entity);
    co_store *st = source ? s->source : s->dest;
    co_buf sql = CO_BUF_INIT, day = CO_BUF_INIT;
    day_expr(st, source ? "q." : "", v->time, &day);
    Co_buf_printf(&sql, "SELECT %s", co_buf_str(&day));
    if (v->by) {
        Co_buf_adds(&sql, ", CAST(");
        Co_buf_adds(&sql, source ? "q." : "");
        co_store_quote_ident(st, v->by, &sql);
        Co_buf_adds(&sql, " AS TEXT)");
    }
    Co_buf_adds(&sql, ", count(*) FROM ");
    if (source) {
        Co_buf_adds(&sql, "(");
        nested_query(e->query, &sql);
        Co_buf_adds(&sql, "\n) AS q WHERE ");
    } else {
        co_store_quote_ident(st, e->target, &sql);
        Co_buf_adds(&sql, " WHERE ");
        co_store_quote_ident(st, e->tenant_column, &sql);
        Co_buf_adds(&sql, " = :tenant AND ");
    }
    Co_buf_printf(&sql, "%s >= :from AND %s < :to GROUP BY 1%s", co_buf_str(&day),
                  co_buf_str(&day), v->by ? ", 2" : "");
    co_param p[] = {{":tenant", t->value},
                    {":from", co_text(from, strlen(from))},
                    {":to", co_text(to, strlen(to))}};
    co_cursor *c = NULL;
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(st, co_buf_str(&sql), p, 3, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value d = co_cursor_value(c, 0);
        co_value k = v->by ? co_cursor_value(c, 1) : co_null();
        co_value n = co_cursor_value(c, v->by ? 2 : 1);
        if (d.type != CO_TEXT)
            continue;
        counts_add(out, d.s, "", n.i, source);
        if (v->by)
            counts_add(out, d.s, k.type == CO_TEXT ? k.s : "(null)", n.i, source);
    }
    co_cursor_close(c);
    Co_buf_release(&sql);
    Co_buf_release(&day);
    if (rc == CO_OK && out->failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc != CO_OK)
        co_error_where(err, "monitor.volumes %s, %s side, tenant %s", v->entity,
                       source ? "source" : "target", t->key);
    return rc;
}

static co_code add_day(co_monitor_result *r, size_t *cap, const char *day, const char *series,
                       co_error *err)
{
    if (!CO_GROW(r->days, *cap, r->ndays + 1, 32))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_monitor_day *d = &r->days[r->ndays];
    memset(d, 0, sizeof *d);
    snprintf(d->day, sizeof d->day, "%s", day);
    d->series = strdup(series);
    if (!d->series)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    r->ndays++;
    return CO_OK;
}

/* Judges each complete day of the period for one watched entity. */
static co_code judge_volume(co_session *s, const co_tenant *t, const co_monitor_volume *v,
                            time_t switch_day, int ndays, co_monitor_result *r, size_t *cap,
                            co_error *err)
{
    const co_monitor_spec *m = &s->project->monitor;
    char base_from[11], base_to[11], from[11], to[11];
    day_of(switch_day - (time_t)m->weeks * 7 * DAY_SECONDS, base_from);
    day_of(switch_day, base_to);
    day_of(switch_day, from);
    day_of(switch_day + (time_t)ndays * DAY_SECONDS, to);
    counts c = {0};
    co_code rc = count_side(s, t, v, true, base_from, base_to, &c, err);
    if (rc == CO_OK)
        rc = count_side(s, t, v, false, from, to, &c, err);
    /* The series: the total, and each `by` value seen on either side. */
    size_t nkeys = 0;
    const char **keys = rc == CO_OK ? calloc(c.n + 1, sizeof *keys) : NULL;
    if (rc == CO_OK && !keys)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CO_OK && i < c.n; i++) {
        bool seen = false;
        for (size_t k = 0; k < nkeys && !seen; k++)
            seen = strcmp(keys[k], c.rows[i].key) == 0;
        if (!seen)
            keys[nkeys++] = c.rows[i].key;
    }
    if (rc == CO_OK && nkeys == 0)
        keys[nkeys++] = "";
    int64_t *base = rc == CO_OK ? calloc((size_t)m->weeks, sizeof *base) : NULL;
    if (rc == CO_OK && !base)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t k = 0; rc == CO_OK && k < nkeys; k++) {
        char series[256];
        if (keys[k][0])
            snprintf(series, sizeof series, "%s %s=%.120s", v->entity, v->by, keys[k]);
        else
            snprintf(series, sizeof series, "%s", v->entity);
        for (int d = 0; rc == CO_OK && d < ndays; d++) {
            time_t at = switch_day + (time_t)d * DAY_SECONDS;
            char day[11];
            day_of(at, day);
            size_t nb = 0;
            for (int w = 1; w <= m->weeks; w++) {
                time_t before = at - (time_t)w * 7 * DAY_SECONDS;
                if (before >= switch_day)
                    continue; /* not the source's history: written after the switch */
                char bday[11];
                day_of(before, bday);
                base[nb++] = counts_get(&c, bday, keys[k], true);
            }
            rc = add_day(r, cap, day, series, err);
            if (rc != CO_OK)
                break;
            co_monitor_day *md = &r->days[r->ndays - 1];
            md->baseline = co_baseline_mean(base, nb);
            md->actual = counts_get(&c, day, keys[k], false);
            md->flagged = co_deviation_flag(md->baseline, (double)md->actual, m->tolerance,
                                            m->min_baseline, &md->deviation, &md->judged);
        }
    }
    free(base);
    free(keys);
    counts_release(&c);
    return rc;
}

static co_code run_probes(co_session *s, const co_tenant *t, const co_monitor_options *opt,
                          time_t switch_day, int ndays, co_monitor_result *r, size_t *cap,
                          co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && opt && i < opt->nprobes; i++)
        for (int d = 0; rc == CO_OK && d < ndays; d++) {
            char day[11];
            day_of(switch_day + (time_t)d * DAY_SECONDS, day);
            double value = 0, threshold = 0;
            bool flagged = false;
            rc = opt->probes[i].fn(opt->probes[i].ctx, s, t, day, &value, &threshold, &flagged,
                                   err);
            if (rc == CO_OK)
                rc = add_day(r, cap, day, opt->probes[i].name, err);
            if (rc == CO_OK) {
                co_monitor_day *md = &r->days[r->ndays - 1];
                md->baseline = threshold;
                md->actual = (int64_t)value;
                md->deviation = value;
                md->judged = true;
                md->flagged = flagged;
            }
        }
    return rc;
}

static void summarize(const co_monitor_result *r, co_buf *out)
{
    Co_buf_printf(out, "%lld flagged", (long long)r->flags);
    size_t shown = 0;
    for (size_t i = 0; i < r->ndays && shown < 5; i++) {
        const co_monitor_day *d = &r->days[i];
        if (!d->flagged)
            continue;
        Co_buf_printf(out, "%s %s on %s: %lld rows, baseline %.1f (%+.0f%%)", shown ? ";" : ":",
                      d->series, d->day, (long long)d->actual, d->baseline, d->deviation * 100);
        shown++;
    }
    for (size_t i = 0; i < r->nbudgets && shown < 5; i++) {
        const co_budget_result *b = &r->budgets[i];
        if (b->pass)
            continue;
        Co_buf_printf(out, "%s query %s p95 %.3f s over its budget of %.3f s", shown ? ";" : ":",
                      b->query->name, b->p95, b->query->budget);
        shown++;
    }
    if (!r->flags)
        Co_buf_printf(out, " (%zu series-days judged)", r->ndays);
}

static co_code journal(co_session *s, const co_tenant *t, co_monitor_result *r, const char *summary,
                       co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    int64_t judged = 0;
    for (size_t i = 0; i < r->ndays; i++)
        judged += r->days[i].judged;
    co_code rc = co_state_begin(s->state, err);
    co_jmonitor_check check = {.tenant = t->key, .at = now, .switched_at = r->switched_at,
                               .summary = summary, .days_judged = judged, .flags = r->flags};
    if (rc == CO_OK)
        rc = Co_state_monitor_check_add(s->state, &check, &r->check_id, err);
    for (size_t i = 0; rc == CO_OK && i < r->ndays; i++) {
        const co_monitor_day *d = &r->days[i];
        co_jmonitor_volume v = {.check_id = r->check_id,
                                .actual = d->actual,
                                .tenant = t->key,
                                .day = d->day,
                                .series = d->series,
                                .baseline = d->baseline,
                                .deviation = d->deviation,
                                .has_deviation = d->baseline > 0,
                                .judged = d->judged,
                                .flagged = d->flagged};
        rc = Co_state_monitor_volume_add(s->state, &v, err);
    }
    if (rc == CO_OK)
        rc = co_budgets_record(s->state, t->key, "monitor", "target", r->budgets, r->nbudgets,
                               r->check_id, err);
    if (rc == CO_OK)
        rc = co_state_commit(s->state, err);
    else
        co_state_rollback(s->state);
    return rc;
}

/* Runs on_alert with the details and records what it did. */
static co_code alert(co_session *s, const co_tenant *t, co_monitor_result *r, const char *summary,
                     co_error *err)
{
    const co_project *p = s->project;
    if (!p->hooks[CO_HOOK_ON_ALERT]) {
        snprintf(r->alert, sizeof r->alert, "no on_alert hook configured");
    } else {
        char *doc = co_monitor_alert_json(t->key, r);
        char flags[32], check[32];
        snprintf(flags, sizeof flags, "%lld", (long long)r->flags);
        snprintf(check, sizeof check, "%lld", (long long)r->check_id);
        const char *env[] = {"CUTOVER_ALERT_FLAGS", flags, "CUTOVER_ALERT_SUMMARY", summary,
                             "CUTOVER_CHECK_ID", check, "CUTOVER_SWITCHED_AT", r->switched_at,
                             NULL};
        co_error hook;
        co_error_clear(&hook);
        if (!doc)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        co_code hrc = co_run_hook_input(p, CO_HOOK_ON_ALERT, t->key, r->check_id, env, doc, &hook);
        free(doc);
        r->alert_failed = hrc != CO_OK;
        snprintf(r->alert, sizeof r->alert, "%.250s", hrc == CO_OK ? "on_alert hook ran" : hook.message);
    }
    return Co_state_monitor_check_alert(s->state, r->check_id, r->alert, err);
}

co_code co_monitor_tenant(co_session *s, const co_tenant *t, const co_monitor_options *opt,
                          co_monitor_result *res, co_error *err)
{
    memset(res, 0, sizeof *res);
    const co_monitor_spec *m = &s->project->monitor;
    char route[8];
    co_code rc = co_state_route_read(s->state, t->key, route, sizeof route, res->switched_at,
                                     sizeof res->switched_at, err);
    if (rc != CO_OK)
        return rc;
    bool is_new = strcmp(route, "new") == 0;
    if (!is_new || !res->switched_at[0]) {
        snprintf(res->skipped, sizeof res->skipped, "not switched");
        return CO_OK;
    }
    char switched[11];
    snprintf(switched, sizeof switched, "%.10s", res->switched_at);
    time_t switch_day = Co_clock_parse(switched);
    char today_text[11];
    day_of(Co_clock_now(), today_text);
    time_t today = Co_clock_parse(today_text);
    if (switch_day < 0 || today < 0)
        return co_error_set(err, CO_ESTATE, "tenant %s: unreadable switch time \"%s\"", t->key,
                            res->switched_at);
    /* Complete days only: the switch day (the target holds all of it) up to yesterday. */
    long elapsed = (long)((today - switch_day) / DAY_SECONDS);
    if (elapsed > m->days) {
        char end[11];
        day_of(switch_day + (time_t)m->days * DAY_SECONDS, end);
        snprintf(res->skipped, sizeof res->skipped, "monitoring period ended on %s (%d days)",
                 end, m->days);
        return CO_OK;
    }
    res->monitored = true;
    int ndays = (int)elapsed;
    size_t cap = 0;
    for (size_t i = 0; rc == CO_OK && i < m->nvolumes; i++)
        rc = judge_volume(s, t, &m->volumes[i], switch_day, ndays, res, &cap, err);
    if (rc == CO_OK)
        rc = run_probes(s, t, opt, switch_day, ndays, res, &cap, err);
    if (rc == CO_OK && opt && opt->budgets)
        rc = co_budgets_run(s->dest, s->project, t, &res->budgets, &res->nbudgets, err);
    if (rc != CO_OK)
        return rc;
    for (size_t i = 0; i < res->ndays; i++)
        res->flags += res->days[i].flagged;
    for (size_t i = 0; i < res->nbudgets; i++)
        res->flags += !res->budgets[i].pass;
    co_buf summary = CO_BUF_INIT;
    summarize(res, &summary);
    rc = journal(s, t, res, co_buf_str(&summary), err);
    if (rc == CO_OK && res->flags)
        rc = alert(s, t, res, co_buf_str(&summary), err);
    Co_buf_release(&summary);
    return rc;
}

void co_monitor_result_release(co_monitor_result *r)
{
    for (size_t i = 0; i < r->ndays; i++)
        free(r->days[i].series);
    free(r->days);
    free(r->budgets);
    memset(r, 0, sizeof *r);
}
