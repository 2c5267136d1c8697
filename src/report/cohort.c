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
    if (!pause)
        return Co_state_cohort_resume(st, cohort, err);
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    return Co_state_cohort_pause(st, cohort, now, reason, err);
}

co_code co_cohort_paused(co_state *st, int cohort, bool *paused, co_error *err)
{
    return Co_state_cohort_paused(st, cohort, paused, err);
}

const char *co_cohort_confirm_name(int cohort, char *buf, size_t cap)
{
    if (cohort == 0)
        snprintf(buf, cap, "canary");
    else
        snprintf(buf, cap, "%d", cohort);
    return buf;
}
