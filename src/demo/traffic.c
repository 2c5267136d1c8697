/*
 * traffic.c: live writes to the demo's legacy CRM while a tenant migrates
 * (demo.h): new engagement events on the tenant's campaigns and contacts, and
 * contact updates, paced to a rate. A write the source refuses (the tenant is
 * frozen) is counted and skipped, as an application would report it.
 */
#include "cutover/demo.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

co_code co_demo_traffic(const char *dir, const char *tenant, double rate, double seconds,
                        uint64_t seed, co_traffic_result *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(rate > 0 && rate <= 100000) || !(seconds > 0 && seconds <= 86400))
        return co_error_set(err, CO_EUSAGE, "traffic: the rate must be from 0 to 100000 a second "
                                            "and the duration from 0 to 86400 seconds");
    char path[1024];
    snprintf(path, sizeof path, "%s/legacy.db", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        co_error_set(err, CO_ESOURCE, "traffic: cannot open %s: %s", path,
                     db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return CO_ESOURCE;
    }
    sqlite3_busy_timeout(db, 10000);
    /* The tenant's campaigns and contacts to write about. */
    sqlite3_stmt *pick = NULL, *ins = NULL, *upd = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT c.id, (SELECT id FROM contacts WHERE account_id = c.account_id"
                                " ORDER BY id LIMIT 1 OFFSET ?2) FROM campaigns c"
                                " WHERE c.account_id = ?1 ORDER BY c.id LIMIT 1 OFFSET ?3",
                                -1, &pick, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "INSERT INTO events (campaign_id, contact_id, kind, occurred_at)"
                                " VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
                                " RETURNING id",
                                -1, &ins, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "UPDATE contacts SET title = ?, updated_at ="
                                " strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                                -1, &upd, NULL);
    sqlite3_int64 campaigns = 0, contacts = 0;
    if (rc == SQLITE_OK) {
        sqlite3_stmt *count = NULL;
        rc = sqlite3_prepare_v2(db,
                                "SELECT (SELECT count(*) FROM campaigns WHERE account_id = ?1),"
                                " (SELECT count(*) FROM contacts WHERE account_id = ?1)",
                                -1, &count, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(count, 1, tenant, -1, SQLITE_STATIC);
            if (sqlite3_step(count) == SQLITE_ROW) {
                campaigns = sqlite3_column_int64(count, 0);
                contacts = sqlite3_column_int64(count, 1);
            }
        }
        sqlite3_finalize(count);
    }
    co_code code = CO_OK;
    if (rc != SQLITE_OK)
        code = co_error_set(err, CO_ESOURCE, "traffic: %s", sqlite3_errmsg(db));
    else if (campaigns == 0 || contacts == 0)
        code = co_error_set(err, CO_ENOTFOUND, "traffic: tenant %s has no campaigns or contacts",
                            tenant);
    static const char *const kinds[] = {"open", "read", "click", "open", "delivered"};
    static const char *const titles[] = {"Editor", "Senior Reporter", "Analyst", "Partner"};
    double started = now_mono();
    uint64_t state = seed;
    for (int64_t n = 0; code == CO_OK; n++) {
        double due = started + (double)n / rate;
        if (due - started >= seconds)
            break;
        double wait = due - now_mono();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        sqlite3_reset(pick);
        sqlite3_bind_text(pick, 1, tenant, -1, SQLITE_STATIC);
        sqlite3_bind_int64(pick, 2, (sqlite3_int64)(next(&state) % (uint64_t)contacts));
        sqlite3_bind_int64(pick, 3, (sqlite3_int64)(next(&state) % (uint64_t)campaigns));
        if (sqlite3_step(pick) != SQLITE_ROW)
            continue;
        sqlite3_int64 campaign = sqlite3_column_int64(pick, 0), contact = sqlite3_column_int64(pick, 1);
        sqlite3_reset(pick);
        bool update = next(&state) % 10 == 0;
        sqlite3_stmt *st = update ? upd : ins;
        sqlite3_reset(st);
        if (update) {
            sqlite3_bind_text(st, 1, titles[next(&state) % 4], -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, contact);
        } else {
            sqlite3_bind_int64(st, 1, campaign);
            sqlite3_bind_int64(st, 2, contact);
            sqlite3_bind_text(st, 3, kinds[next(&state) % 5], -1, SQLITE_STATIC);
        }
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && !update) {
            sqlite3_int64 id = sqlite3_column_int64(st, 0);
            if (!out->first_event)
                out->first_event = id;
            out->last_event = id;
            out->inserted++;
            step = sqlite3_step(st);
        } else if (step == SQLITE_DONE && update) {
            out->updated++;
        }
        if (step != SQLITE_DONE && step != SQLITE_ROW) {
            if (strstr(sqlite3_errmsg(db), "is frozen"))
                out->refused++;
            else
                code = co_error_set(err, CO_ESOURCE, "traffic: %s", sqlite3_errmsg(db));
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(pick);
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    sqlite3_close(db);
    return code;
}
