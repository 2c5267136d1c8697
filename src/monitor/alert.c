/*
 * alert.c: the document the on_alert hook reads on its standard input
 * (monitor.h; its fields are listed in docs/monitor.md).
 */
#include "cutover/monitor.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdlib.h>

char *co_monitor_alert_json(const char *tenant, const co_monitor_result *r)
{
    co_buf b = CO_BUF_INIT;
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    Co_json_field(&b, "{\"tenant\":", tenant);
    Co_json_field(&b, ",\"checked_at\":", now);
    Co_json_field(&b, ",\"switched_at\":", r->switched_at);
    Co_buf_printf(&b, ",\"check_id\":%lld,\"flag_count\":%lld,\"flags\":[", (long long)r->check_id,
                  (long long)r->flags);
    bool first = true;
    for (size_t i = 0; i < r->ndays; i++) {
        const co_monitor_day *d = &r->days[i];
        if (!d->flagged)
            continue;
        Co_buf_adds(&b, first ? "{\"type\":\"volume\",\"series\":" : ",{\"type\":\"volume\",\"series\":");
        first = false;
        Co_json_str(&b, d->series);
        Co_json_field(&b, ",\"day\":", d->day);
        Co_buf_printf(&b, ",\"actual\":%lld,\"baseline\":%.3f,\"deviation\":%.4f}",
                      (long long)d->actual, d->baseline, d->deviation);
    }
    for (size_t i = 0; i < r->nbudgets; i++) {
        const co_budget_result *q = &r->budgets[i];
        if (q->pass)
            continue;
        Co_buf_adds(&b, first ? "{\"type\":\"budget\",\"query\":" : ",{\"type\":\"budget\",\"query\":");
        first = false;
        Co_json_str(&b, q->query->name);
        Co_buf_printf(&b, ",\"median\":%.6f,\"p95\":%.6f,\"budget\":%.6f,\"runs\":%d,\"error\":",
                      q->median, q->p95, q->query->budget, q->runs);
        Co_json_str(&b, q->error[0] ? q->error : NULL);
        Co_buf_addc(&b, '}');
    }
    Co_buf_adds(&b, "]}\n");
    return Co_buf_take(&b);
}
