/*
 * approval.c: notes and second-person approvals in the journal (approval.h).
 * An approval holds for the project file it was given under, as a rehearsal
 * does: a changed mapping needs a new one.
 */
#include "state/journal.h"
#include "cutover/approval.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

co_code co_note_add(co_state *st, const char *tenant, const char *author, const char *body,
                    co_error *err)
{
    if (!author || !*author)
        return co_error_set(err, CO_EUSAGE, "a note needs its author (--by NAME, CUTOVER_USER or USER)");
    if (!body || !*body)
        return co_error_set(err, CO_EUSAGE, "a note needs its text");
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    return Co_state_note_add(st, tenant, now, author, body, err);
}

/* The latest event of (subject, step) under hash: its kind and person. */
static co_code latest(co_state *st, const char *subject, const char *step, const char *hash,
                      const char *event, char *person, size_t cap, bool *found, co_error *err)
{
    return Co_state_approval_latest(st, subject, step, hash, event, person, cap, found, err);
}

static co_code record(co_state *st, const char *subject, const char *step, const char *event,
                      const char *person, const char *hash, const char *detail, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_japproval a = {subject, step, event, person, now, hash, detail};
    return Co_state_approval_add(st, &a, err);
}

/* Whether the rule applies to subject: always, or by its audited size class. */
static co_code rule_applies(co_state *st, const co_approval_rule *rule, const char *subject,
                            bool *applies, char *why, size_t cap, co_error *err)
{
    *applies = rule->all;
    snprintf(why, cap, "every %s needs it", rule->step);
    if (rule->all)
        return CO_OK;
    char size[32];
    bool audited = false;
    co_code rc = Co_state_size_class(st, subject, size, sizeof size, &audited, err);
    if (rc == CO_OK && !audited) {
        *applies = true; /* never audited: its size is unknown, so ask */
        snprintf(why, cap, "its size class is unknown (no audit)");
    }
    for (size_t i = 0; rc == CO_OK && audited && i < rule->nsizes && !*applies; i++)
        if (strcmp(rule->sizes[i], size) == 0) {
            *applies = true;
            snprintf(why, cap, "its size class is %s", size);
        }
    return rc;
}

co_code co_approval_check(co_state *st, const co_project *p, const char *subject,
                          const char *step, const char *starter, co_error *err)
{
    const co_approval_rule *rule = co_project_approval(p, step);
    if (!rule)
        return CO_OK;
    bool applies = false, found = false;
    char why[96], person[256];
    co_code rc = rule_applies(st, rule, subject, &applies, why, sizeof why, err);
    if (rc != CO_OK || !applies)
        return rc;
    rc = latest(st, subject, step, p->hash, "approved", person, sizeof person, &found, err);
    if (rc != CO_OK || found)
        return rc;
    if (!starter || !*starter)
        return co_error_set(err, CO_EUSAGE, "step %s of %s needs an approval, and who starts it "
                                            "must be known: pass --by NAME or set CUTOVER_USER",
                            step, subject);
    rc = latest(st, subject, step, p->hash, "requested", person, sizeof person, &found, err);
    if (rc == CO_OK && !found) {
        rc = record(st, subject, step, "requested", starter, p->hash, why, err);
        snprintf(person, sizeof person, "%s", starter);
    }
    if (rc != CO_OK)
        return rc;
    return co_error_set(err, CO_ENOTREADY,
                        "step %s of %s waits for a second person's approval (%s; requested by "
                        "%s): another person runs cutover approve %s --step %s --by NAME, then "
                        "run this again",
                        step, subject, why, person, subject, step);
}

co_code co_approval_grant(co_state *st, const co_project *p, const char *subject,
                          const char *step, const char *approver, co_error *err)
{
    if (!approver || !*approver)
        return co_error_set(err, CO_EUSAGE, "an approval needs the approver's name (--by NAME, "
                                            "CUTOVER_USER or USER)");
    bool found = false;
    char requester[256];
    co_code rc = latest(st, subject, step, p->hash, "requested", requester, sizeof requester,
                        &found, err);
    if (rc != CO_OK)
        return rc;
    if (!found)
        return co_error_set(err, CO_ENOTFOUND,
                            "nothing waits for approval: step %s of %s has not been requested "
                            "under this project file (run the step first)",
                            step, subject);
    if (strcmp(requester, approver) == 0) {
        rc = record(st, subject, step, "refused", approver, p->hash,
                    "the approver started the run", err);
        if (rc != CO_OK)
            return rc;
        return co_error_set(err, CO_EUSAGE,
                            "%s started step %s of %s and cannot approve it: a second person "
                            "must",
                            approver, step, subject);
    }
    char detail[300];
    snprintf(detail, sizeof detail, "requested by %.250s", requester);
    return record(st, subject, step, "approved", approver, p->hash, detail, err);
}
