/*
 * events.c: the campaigns (e-mails sent) of the demo's legacy CRM and their
 * engagement events, written grouped by campaign so that each campaign's
 * events have contiguous ids.
 *
 * Every recipient gets 'sent', then 'bounce' or 'delivered'; some open
 * (how often depends on the person), of those some read, click and, rarely,
 * unsubscribe. Events that would fall on or after "now" have not happened
 * yet and are left out. Recipients are drawn from the campaign's team; the
 * planted deleted contacts are made recipients of their team's first campaign.
 */
#include "demo/demo_int.h"

#include <string.h>

/* The funnel. */
#define P_BOUNCE 0.025
#define P_OPEN_MIN 0.08   /* a person's open rate: P_OPEN_MIN + P_OPEN_SPAN * u^2 */
#define P_OPEN_SPAN 0.75
#define P_REOPEN 0.35     /* another open, up to MAX_OPENS */
#define MAX_OPENS 5
#define P_READ 0.6
#define P_CLICK 0.3
#define P_CLICK_AGAIN 0.25
#define P_UNSUBSCRIBE 0.004

double demo_events_per_recipient(void)
{
    double open_rate = P_OPEN_MIN + P_OPEN_SPAN / 3.0; /* E[u^2] = 1/3 */
    double opens = 0, more = 1;
    for (int i = 0; i < MAX_OPENS; i++, more *= P_REOPEN)
        opens += more;
    double after_open = opens + P_READ + P_CLICK * (1 + P_CLICK_AGAIN) + P_UNSUBSCRIBE;
    return 1 + P_BOUNCE + (1 - P_BOUNCE) * (1 + open_rate * after_open);
}

enum { EV_SENT, EV_DELIVERED, EV_OPEN, EV_READ, EV_CLICK, EV_BOUNCE, EV_UNSUBSCRIBE };
static const char *const EVENT_KIND[] = {"sent", "delivered", "open", "read",
                                         "click", "bounce", "unsubscribe"};

typedef struct event {
    int64_t at;
    int kind;
} event;

typedef struct writer {
    demo_plan *p;
    sqlite3 *db;
    sqlite3_stmt *st;
    demo_tsfmt ts;
    int64_t next_id;
    uint64_t estimate;
    co_error *err;
} writer;

static co_code put_event(writer *w, const demo_campaign *c, int64_t campaign_id,
                         uint32_t contact, const event *e)
{
    sqlite3_bind_int64(w->st, 1, w->next_id);
    sqlite3_bind_int64(w->st, 2, campaign_id);
    sqlite3_bind_int64(w->st, 3, contact);
    const char *kind = EVENT_KIND[e->kind];
    sqlite3_bind_text(w->st, 4, kind, (int)strlen(kind), SQLITE_STATIC);
    sqlite3_bind_text(w->st, 5, demo_ts(&w->ts, e->at), DEMO_TS_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(w->st);
    sqlite3_reset(w->st);
    if (rc != SQLITE_DONE)
        return demo_sqlite_error(w->db, rc, "writing events", w->err);
    w->next_id++;
    demo_plan *p = w->p;
    demo_tenant *t = &p->tenants[c->tenant];
    t->events++;
    uint8_t flags = p->cinfo[contact - 1].flags;
    if (flags & DEMO_F_DELETED)
        t->orphan_events++;
    if (flags & DEMO_F_PLANTED) {
        demo_plant *pl = demo_plan_plant(p, contact);
        if (pl)
            pl->events++;
    }
    uint64_t done = (uint64_t)w->next_id - 1;
    if (done % 131072 == 0)
        demo_progress(p, "events", done, done > w->estimate ? done : w->estimate);
    return CO_OK;
}

/* One recipient's events, in time order. */
static co_code recipient(writer *w, demo_rng *r, const demo_campaign *c, int64_t campaign_id,
                         uint32_t contact, uint32_t index)
{
    const demo_plan *p = w->p;
    event ev[16];
    int n = 0;
    int64_t sent = c->sent_at + index / 100;
    ev[n++] = (event){sent, EV_SENT};
    if ((p->cinfo[contact - 1].flags & DEMO_F_BOUNCES) || demo_rng_chance(r, P_BOUNCE)) {
        ev[n++] = (event){sent + 1 + (int64_t)demo_rng_below(r, 60), EV_BOUNCE};
    } else {
        int64_t delivered = sent + 1 + (int64_t)demo_rng_below(r, 20);
        ev[n++] = (event){delivered, EV_DELIVERED};
        double u = (double)(demo_mix(p->seed ^ DEMO_S_PROPENSITY, contact) >> 11) * 0x1.0p-53;
        if (demo_rng_chance(r, P_OPEN_MIN + P_OPEN_SPAN * u * u)) {
            double wait = demo_rng_exp(r, 5 * 3600.0);
            if (wait > 30 * DEMO_DAY)
                wait = 30 * DEMO_DAY;
            int64_t open = delivered + 30 + (int64_t)wait;
            ev[n++] = (event){open, EV_OPEN};
            for (int k = 1; k < MAX_OPENS && demo_rng_chance(r, P_REOPEN); k++)
                ev[n++] = (event){open + 60 + (int64_t)demo_rng_exp(r, 2.0 * DEMO_DAY), EV_OPEN};
            if (demo_rng_chance(r, P_READ))
                ev[n++] = (event){open + 5 + (int64_t)demo_rng_below(r, 300), EV_READ};
            if (demo_rng_chance(r, P_CLICK)) {
                int64_t click = open + 10 + (int64_t)demo_rng_below(r, 900);
                ev[n++] = (event){click, EV_CLICK};
                if (demo_rng_chance(r, P_CLICK_AGAIN))
                    ev[n++] = (event){click + 30 + (int64_t)demo_rng_below(r, 3600), EV_CLICK};
            }
            if (demo_rng_chance(r, P_UNSUBSCRIBE))
                ev[n++] = (event){open + 60 + (int64_t)demo_rng_below(r, 1800), EV_UNSUBSCRIBE};
        }
    }
    /* insertion sort, stable: equal times keep the funnel's order */
    for (int i = 1; i < n; i++) {
        event e = ev[i];
        int j = i;
        for (; j > 0 && ev[j - 1].at > e.at; j--)
            ev[j] = ev[j - 1];
        ev[j] = e;
    }
    for (int i = 0; i < n && ev[i].at < p->now; i++) {
        co_code rc = put_event(w, c, campaign_id, contact, &ev[i]);
        if (rc != CO_OK)
            return rc;
    }
    return CO_OK;
}

/* Draws the campaign's recipients from its team: the forced ones first
 * moved to the end of the team's list, then a partial Fisher-Yates shuffle
 * over the rest. */
static co_code campaign_events(writer *w, uint32_t ci)
{
    demo_plan *p = w->p;
    const demo_campaign *c = &p->campaigns[ci];
    const demo_team *team = &p->teams[c->team];
    uint32_t *list = p->members + team->off;
    uint32_t m = team->count, f = c->nforced;
    demo_rng r;
    demo_rng_init(&r, p->seed, DEMO_S_EVENTS, c->seq);
    for (uint32_t k = 0; k < f; k++) {
        uint32_t id = p->forced[c->forced_off + k], end = m - 1 - k;
        for (uint32_t i = 0; i <= end; i++) {
            if (list[i] == id) {
                list[i] = list[end];
                list[end] = id;
                break;
            }
        }
    }
    uint32_t k = c->size < f ? f : c->size;
    uint32_t pool = m - f, draw = k - f;
    for (uint32_t i = 0; i < draw; i++) {
        uint32_t j = i + (uint32_t)demo_rng_below(&r, pool - i);
        uint32_t tmp = list[i];
        list[i] = list[j];
        list[j] = tmp;
    }
    int64_t id = ci + 1;
    uint32_t index = 0;
    for (uint32_t i = 0; i < draw; i++) {
        co_code rc = recipient(w, &r, c, id, list[i], index++);
        if (rc != CO_OK)
            return rc;
    }
    for (uint32_t i = pool; i < m; i++) {
        co_code rc = recipient(w, &r, c, id, list[i], index++);
        if (rc != CO_OK)
            return rc;
    }
    return CO_OK;
}

static void subject(const demo_plan *p, const demo_campaign *c, char *out, size_t cap)
{
    demo_rng r;
    demo_rng_init(&r, p->seed, DEMO_S_EVENTS, 0x100000000ULL + c->seq);
    const demo_tenant *t = &p->tenants[c->tenant];
    const demo_lang *lang = &demo_langs[p->teams[c->team].lang];
    demo_str s;
    demo_str_init(&s, out, cap);
    const char *prefix = demo_rng_chance(&r, 0.5)
                             ? lang->release
                             : demo_subject_prefix.items[demo_rng_below(&r, demo_subject_prefix.n)];
    if (*prefix) {
        demo_str_add(&s, prefix);
        demo_str_add(&s, ": ");
    }
    demo_str_add(&s, t->name);
    demo_str_addc(&s, ' ');
    demo_str_add(&s, demo_subject_news.items[demo_rng_below(&r, demo_subject_news.n)]);
}

static co_code write_campaigns(demo_plan *p, sqlite3 *db, co_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO campaigns(id, account_id, team_id, subject, sent_at) "
                                "VALUES (?,?,?,?,?)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return demo_sqlite_error(db, rc, "preparing an insert", err);
    demo_tsfmt ts = {0};
    for (uint32_t i = 0; i < p->ncampaigns; i++) {
        const demo_campaign *c = &p->campaigns[i];
        char text[256];
        subject(p, c, text, sizeof text);
        sqlite3_bind_int64(st, 1, i + 1);
        sqlite3_bind_int64(st, 2, p->tenants[c->tenant].id);
        sqlite3_bind_int64(st, 3, p->teams[c->team].id);
        sqlite3_bind_text(st, 4, text, (int)strlen(text), SQLITE_STATIC);
        sqlite3_bind_text(st, 5, demo_ts(&ts, c->sent_at), DEMO_TS_LEN, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            sqlite3_finalize(st);
            return demo_sqlite_error(db, rc, "writing campaigns", err);
        }
        p->tenants[c->tenant].campaigns++;
    }
    sqlite3_finalize(st);
    p->sum.campaigns = p->ncampaigns;
    return CO_OK;
}

co_code demo_write_events(demo_plan *p, sqlite3 *db, co_error *err)
{
    co_code code = write_campaigns(p, db, err);
    if (code != CO_OK)
        return code;
    writer w = {.p = p, .db = db, .next_id = 1, .err = err};
    double recipients = 0;
    for (uint32_t i = 0; i < p->ncampaigns; i++)
        recipients += p->campaigns[i].size;
    w.estimate = (uint64_t)(recipients * p->events_per_recipient);
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO events(id, campaign_id, contact_id, kind, occurred_at) "
                                "VALUES (?,?,?,?,?)",
                                -1, &w.st, NULL);
    if (rc != SQLITE_OK)
        return demo_sqlite_error(db, rc, "preparing an insert", err);
    demo_progress(p, "events", 0, w.estimate); /* the item's time starts here */
    for (uint32_t i = 0; code == CO_OK && i < p->ncampaigns; i++)
        code = campaign_events(&w, i);
    sqlite3_finalize(w.st);
    p->sum.events = w.next_id - 1;
    if (code == CO_OK)
        demo_progress(p, "events", (uint64_t)p->sum.events, (uint64_t)p->sum.events);
    return code;
}
