/*
 * traffic.c: live writes to the demo's legacy CRM while a tenant migrates
 * (demo.h): new engagement events on the tenant's campaigns and contacts, and
 * contact updates, paced to a rate. The writes go through the store seam, so
 * that the legacy CRM may be DIR/legacy.db or the same tables on a server
 * (PostgreSQL). A write the source refuses (the tenant is frozen) is counted
 * and skipped, as an application would report it.
 */
#include "cutover/demo.h"
#include "cutover/store.h"
#include "util/clock.h"

#include <string.h>
#include <time.h>

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The tenant's counts of campaigns and contacts. */
static co_code count_rows(co_store *db, const char *tenant, int64_t *campaigns, int64_t *contacts,
                          co_error *err)
{
    co_param p = {":tenant", co_text(tenant, strlen(tenant))};
    co_code rc = co_store_query_int(db, "SELECT count(*) FROM campaigns WHERE account_id = :tenant",
                                    &p, 1, campaigns, NULL, err);
    if (rc == CO_OK)
        rc = co_store_query_int(db, "SELECT count(*) FROM contacts WHERE account_id = :tenant", &p,
                                1, contacts, NULL, err);
    return rc;
}

/* One write: an event on a campaign and contact of the tenant picked at
 * random, or (one in ten) a contact's new title. A freeze's refusal is
 * counted; any other failure is returned. */
static co_code write_one(co_store *db, const char *tenant, int64_t campaigns, int64_t contacts,
                         uint64_t *state, co_traffic_result *out, co_error *err)
{
    static const char *const kinds[] = {"open", "read", "click", "open", "delivered"};
    static const char *const titles[] = {"Editor", "Senior Reporter", "Analyst", "Partner"};
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int64_t contact_at = (int64_t)(next(state) % (uint64_t)contacts);
    int64_t campaign_at = (int64_t)(next(state) % (uint64_t)campaigns);
    co_param pick[] = {{":tenant", co_text(tenant, strlen(tenant))},
                       {":contact_at", co_int(contact_at)},
                       {":campaign_at", co_int(campaign_at)}};
    int64_t campaign = 0, contact = 0;
    bool found = false;
    co_code rc = co_store_query_int(db,
                                    "SELECT id FROM campaigns WHERE account_id = :tenant"
                                    " ORDER BY id LIMIT 1 OFFSET :campaign_at",
                                    pick, 3, &campaign, &found, err);
    if (rc == CO_OK && found)
        rc = co_store_query_int(db,
                                "SELECT id FROM contacts WHERE account_id = :tenant"
                                " ORDER BY id LIMIT 1 OFFSET :contact_at",
                                pick, 3, &contact, &found, err);
    if (rc != CO_OK || !found)
        return rc;
    co_error why;
    co_error_clear(&why);
    if (next(state) % 10 == 0) {
        const char *title = titles[next(state) % 4];
        co_param p[] = {{":title", co_text(title, strlen(title))},
                        {":at", co_text(stamp, strlen(stamp))},
                        {":contact", co_int(contact)}};
        rc = co_store_exec_params(db,
                                  "UPDATE contacts SET title = :title, updated_at = :at"
                                  " WHERE id = :contact",
                                  p, 3, NULL, &why);
        if (rc == CO_OK)
            out->updated++;
    } else {
        const char *kind = kinds[next(state) % 5];
        co_param p[] = {{":campaign", co_int(campaign)},
                        {":contact", co_int(contact)},
                        {":kind", co_text(kind, strlen(kind))},
                        {":at", co_text(stamp, strlen(stamp))}};
        int64_t id = 0;
        rc = co_store_query_int(db,
                                "INSERT INTO events (campaign_id, contact_id, kind, occurred_at)"
                                " VALUES (:campaign, :contact, :kind, :at) RETURNING id",
                                p, 4, &id, NULL, &why);
        if (rc == CO_OK) {
            if (!out->first_event)
                out->first_event = id;
            out->last_event = id;
            out->inserted++;
        }
    }
    if (rc == CO_OK)
        return CO_OK;
    if (strstr(why.message, "is frozen")) {
        out->refused++;
        return CO_OK;
    }
    if (err)
        *err = why;
    return rc;
}

co_code co_demo_traffic(const char *dir, const char *source, const char *tenant, double rate,
                        double seconds, uint64_t seed, co_traffic_result *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(rate > 0 && rate <= 100000) || !(seconds > 0 && seconds <= 86400))
        return co_error_set(err, CO_EUSAGE, "traffic: the rate must be from 0 to 100000 a second "
                                            "and the duration from 0 to 86400 seconds");
    /* A sqlite: path is resolved against dir: legacy.db, not DIR/legacy.db,
     * which a relative DIR would double (d/d/legacy.db). */
    co_store *db = NULL;
    co_code rc = co_store_open(source && *source ? source : "sqlite:legacy.db", CO_SIDE_SOURCE,
                               dir, &db, err);
    if (rc == CO_OK) /* the application writes: the source's guard is for cutover's reads */
        rc = co_store_allow_writes(db, err);
    int64_t campaigns = 0, contacts = 0;
    if (rc == CO_OK)
        rc = count_rows(db, tenant, &campaigns, &contacts, err);
    if (rc == CO_OK && (campaigns == 0 || contacts == 0))
        rc = co_error_set(err, CO_ENOTFOUND, "traffic: tenant %s has no campaigns or contacts",
                          tenant);
    double started = Co_clock_mono();
    uint64_t state = seed;
    for (int64_t n = 0; rc == CO_OK; n++) {
        double due = started + (double)n / rate;
        if (due - started >= seconds)
            break;
        Co_pause(due - Co_clock_mono());
        rc = write_one(db, tenant, campaigns, contacts, &state, out, err);
    }
    if (db)
        co_store_close(db);
    return rc;
}
