/*
 * behaviour.c: the demo's behavioural data (docs/scoring.md): two tracking
 * integrations recording the same people's events, and their conversions.
 *
 * behaviour.db holds tracking_old (the integration in use), tracking_new
 * (the one to switch to) and conversions (person, converted_at). The new
 * integration differs as real ones do: every event is renamed, webinar
 * attendance is not tracked at all, each record is dropped or doubled with
 * 1% chance each (about +-2% noise), and e-mail opens come 30% fewer. The
 * scoring/ directory beside it holds the old mapping, the rename table and
 * two models: "engagement" leans on e-mail opens and webinars (the switch
 * changes its ranking), "intent" on forms and demo requests (it does not).
 */
#include "demo/demo_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum { EV_PAGE, EV_FORM, EV_OPEN, EV_CLICK, EV_WEBINAR, EV_DEMO, EV_UNSUB, EV_TEST, EV_COUNT };

static const char *const old_names[EV_COUNT] = {
    "page_view", "form_submit", "email_open", "email_click",
    "webinar_attend", "demo_request", "unsubscribe", "internal_test"};
static const char *const new_names[EV_COUNT] = {
    "Page Viewed", "Form Submitted", "Email Opened", "Email Clicked",
    NULL, "Demo Requested", "Unsubscribed", "Internal Test"};

static const char mapping_csv[] =
    "# raw_event,canonical_event,kind (event, excluded or negative)\n"
    "page_view,page_view,event\n"
    "form_submit,form_submit,event\n"
    "email_open,email_open,event\n"
    "email_click,email_click,event\n"
    "webinar_attend,webinar,event\n"
    "demo_request,demo_request,event\n"
    "unsubscribe,unsubscribe,negative\n"
    "internal_test,,excluded\n";

static const char rename_csv[] =
    "# old raw event name,new raw event name (empty: the new source lacks it)\n"
    "page_view,Page Viewed\n"
    "form_submit,Form Submitted\n"
    "email_open,Email Opened\n"
    "email_click,Email Clicked\n"
    "webinar_attend,\n"
    "demo_request,Demo Requested\n"
    "unsubscribe,Unsubscribed\n"
    "internal_test,Internal Test\n";

static const char engagement_csv[] =
    "# canonical_event,weight (points),lifespan_days\n"
    "page_view,1,30\n"
    "form_submit,6,90\n"
    "email_open,8,60\n"
    "email_click,6,60\n"
    "webinar,30,120\n"
    "demo_request,10,60\n"
    "unsubscribe,20,180\n";

static const char intent_csv[] =
    "# canonical_event,weight (points),lifespan_days\n"
    "page_view,2,30\n"
    "form_submit,15,90\n"
    "email_open,0.2,30\n"
    "email_click,3,60\n"
    "webinar,0.5,60\n"
    "demo_request,40,90\n"
    "unsubscribe,20,180\n";

static co_code write_text(const char *dir, const char *name, const char *text, co_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/scoring/%s", dir, name);
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    return ok ? CO_OK : co_error_set(err, CO_EIO, "demo: cannot write %s: %s", path, strerror(errno));
}

static co_code step(sqlite3 *db, sqlite3_stmt *st, co_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? CO_OK : demo_sqlite_error(db, rc, "writing behaviour.db", err);
}

static co_code put(sqlite3 *db, sqlite3_stmt *st, uint32_t person, int64_t account,
                   const char *event, const char *when, const char *props, co_error *err)
{
    sqlite3_bind_int64(st, 1, person);
    sqlite3_bind_int64(st, 2, account);
    sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, when, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, props, -1, SQLITE_STATIC);
    return step(db, st, err);
}

/* Which event a person does next: intent raises forms and demo requests. */
static int pick_event(demo_rng *r, double z)
{
    double w[EV_COUNT] = {40, 4 + 8 * z, 28, 9, 4 + 4 * z, 1 + 6 * z, 1.2 - z, 1.5};
    double sum = 0;
    for (int i = 0; i < EV_COUNT; i++)
        sum += w[i];
    double u = demo_rng_unit(r) * sum;
    for (int i = 0; i < EV_COUNT; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return EV_PAGE;
}

static co_code write_people(demo_plan *p, sqlite3 *db, co_error *err)
{
    sqlite3_stmt *ins[2] = {NULL, NULL}, *conv = NULL;
    const char *sql[2] = {"INSERT INTO tracking_old VALUES (?, ?, ?, ?, ?)",
                          "INSERT INTO tracking_new VALUES (?, ?, ?, ?, ?)"};
    int src = SQLITE_OK;
    for (int k = 0; k < 2 && src == SQLITE_OK; k++)
        src = sqlite3_prepare_v2(db, sql[k], -1, &ins[k], NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(db, "INSERT INTO conversions VALUES (?, ?)", -1, &conv, NULL);
    co_code rc = src == SQLITE_OK ? CO_OK : demo_sqlite_error(db, src, "preparing inserts", err);
    int64_t start = p->now - 365 * (int64_t)DEMO_DAY;
    int64_t as_of = p->now - 30 * (int64_t)DEMO_DAY;
    demo_tsfmt fmt;
    memset(&fmt, 0, sizeof fmt);
    for (uint32_t id = 1; rc == CO_OK && id <= p->ncontacts; id++) {
        const demo_cinfo *ci = &p->cinfo[id - 1];
        if (ci->flags & DEMO_F_DELETED)
            continue;
        int64_t account = p->tenants[ci->tenant].id;
        demo_rng r;
        demo_rng_init(&r, p->seed, DEMO_S_BEHAVIOUR, id);
        double z = demo_rng_unit(&r);
        z = z * z; /* most people show little intent */
        int n = (int)demo_rng_exp(&r, 6 + 60 * z);
        /* Intent shows most in the last months: events lean towards now. */
        for (int e = 0; rc == CO_OK && e < n; e++) {
            int kind = pick_event(&r, z);
            double lean = pow(demo_rng_unit(&r), 1.0 + 3.0 * z); /* near 0: recent */
            int64_t t = p->now - (int64_t)(lean * (double)(p->now - start));
            const char *when = demo_ts(&fmt, t);
            const char *props = kind == EV_PAGE ? "{\"path\":\"/pricing\"}" : "{}";
            rc = put(db, ins[0], id, account, old_names[kind], when, props, err);
            if (rc != CO_OK || !new_names[kind])
                continue;
            double u = demo_rng_unit(&r);
            if (kind == EV_OPEN && demo_rng_chance(&r, 0.30))
                continue; /* the new integration misses 30% of e-mail opens */
            if (u < 0.01)
                continue; /* noise: lost */
            rc = put(db, ins[1], id, account, new_names[kind], when, props, err);
            if (rc == CO_OK && u > 0.99) /* noise: recorded twice */
                rc = put(db, ins[1], id, account, new_names[kind], when, props, err);
        }
        double pconv = 0.003 + 0.6 * z * z;
        if (rc == CO_OK && demo_rng_chance(&r, pconv)) {
            int64_t t = as_of - 30 * (int64_t)DEMO_DAY +
                        (int64_t)(demo_rng_unit(&r) * 60.0 * DEMO_DAY);
            sqlite3_bind_int64(conv, 1, id);
            sqlite3_bind_text(conv, 2, demo_ts(&fmt, t), -1, SQLITE_TRANSIENT);
            rc = step(db, conv, err);
        }
    }
    for (int k = 0; k < 2; k++)
        sqlite3_finalize(ins[k]);
    sqlite3_finalize(conv);
    return rc;
}

co_code demo_write_behaviour(demo_plan *p, const char *dir, co_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/scoring", dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return co_error_set(err, CO_EIO, "demo: cannot create %s: %s", path, strerror(errno));
    co_code rc = write_text(dir, "old-mapping.csv", mapping_csv, err);
    if (rc == CO_OK)
        rc = write_text(dir, "rename.csv", rename_csv, err);
    if (rc == CO_OK)
        rc = write_text(dir, "engagement.csv", engagement_csv, err);
    if (rc == CO_OK)
        rc = write_text(dir, "intent.csv", intent_csv, err);
    if (rc != CO_OK)
        return rc;
    snprintf(path, sizeof path, "%s/behaviour.db", dir);
    remove(path);
    sqlite3 *db = NULL;
    int src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (src != SQLITE_OK) {
        rc = demo_sqlite_error(db, src, "opening behaviour.db", err);
        sqlite3_close(db);
        return rc;
    }
    static const char schema[] =
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
        "CREATE TABLE tracking_old (person_id INTEGER NOT NULL, account_id INTEGER NOT NULL,"
        " event TEXT NOT NULL, occurred_at TEXT NOT NULL, properties TEXT);"
        "CREATE TABLE tracking_new (person_id INTEGER NOT NULL, account_id INTEGER NOT NULL,"
        " event TEXT NOT NULL, occurred_at TEXT NOT NULL, properties TEXT);"
        "CREATE TABLE conversions (person INTEGER PRIMARY KEY, converted_at TEXT NOT NULL);"
        "BEGIN;";
    src = sqlite3_exec(db, schema, NULL, NULL, NULL);
    rc = src == SQLITE_OK ? CO_OK : demo_sqlite_error(db, src, "creating behaviour.db", err);
    if (rc == CO_OK)
        rc = write_people(p, db, err);
    if (rc == CO_OK) {
        src = sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);
        if (src != SQLITE_OK)
            rc = demo_sqlite_error(db, src, "writing behaviour.db", err);
    }
    sqlite3_close(db);
    if (rc != CO_OK)
        co_error_where(err, "%s", path);
    return rc;
}
