/*
 * cohort.c: pausing a cohort of the latest plan (report.h). A pause is one
 * row of the journal's paused_cohorts; `cutover run --cohort` checks it
 * before each tenant, and workers do not claim a paused cohort's tenants.
 */
#include "state/journal.h"
#include "report/report_int.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

co_code co_cohort_pause(co_state *st, int cohort, bool pause, const char *reason, co_error *err)
{
    if (cohort < 0)
        return co_error_set(err, CO_EUSAGE, "no cohort %d (canary is 0, waves count from 1)",
                            cohort);
    co_param id = {NULL, co_int(cohort)};
    if (!pause)
        return Co_state_write(st, &co_q_cohort_resume, &id, 1, NULL,
                                    err);
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param p[] = {id, {NULL, co_text(now, strlen(now))},
                    {NULL, reason ? co_text(reason, strlen(reason)) : co_null()}};
    return Co_state_write(st, &co_q_cohort_pause,
                                p, 3, NULL, err);
}

co_code co_cohort_paused(co_state *st, int cohort, bool *paused, co_error *err)
{
    co_param id = {NULL, co_int(cohort)};
    int64_t n = 0;
    co_code rc = Co_state_read_int(st, &co_q_cohort_paused, &id, 1,
                                    &n, NULL, err);
    *paused = rc == CO_OK && n > 0;
    return rc;
}

const char *co_cohort_confirm_name(int cohort, char *buf, size_t cap)
{
    if (cohort == 0)
        snprintf(buf, cap, "canary");
    else
        snprintf(buf, cap, "%d", cohort);
    return buf;
}
