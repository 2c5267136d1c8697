/*
 * demo_int.h: private to src/demo, the generator of the demo's legacy CRM.
 *
 * The generator first builds a plan in memory (tenants, teams, which tenant
 * and team each contact id belongs to, the campaigns, the planted problems),
 * then writes the rows in id order, table by table. Every random choice comes
 * from a stream derived from (seed, purpose, index), so the output depends on
 * the seed, the scale and "now" only, never on timing or memory addresses.
 *
 * Files: rng.c (PRNG), timefmt.c (dates), names.c (word lists), plan.c
 * (tenants, teams, contacts' owners, campaigns), planted.c (plants and
 * planted.json), contacts.c (contact rows), events.c (campaign and event
 * rows), generate.c (co_demo_init: files, databases, order of work).
 */
#ifndef CUTOVER_DEMO_INT_H
#define CUTOVER_DEMO_INT_H

#include "cutover/demo.h"
#include "util/buf.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- rng.c: xoshiro256** seeded through splitmix64 ---- */

typedef struct demo_rng {
    uint64_t s[4];
} demo_rng;

/* A well-mixed 64-bit hash of (a, b): derives stream seeds. */
uint64_t demo_mix(uint64_t a, uint64_t b);
/* Seeds r from demo_mix(seed, demo_mix(purpose, index)). */
void demo_rng_init(demo_rng *r, uint64_t seed, uint64_t purpose, uint64_t index);
uint64_t demo_rng_next(demo_rng *r);
/* Uniform in [0, n); n must be > 0. */
uint64_t demo_rng_below(demo_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double demo_rng_unit(demo_rng *r);
/* True with probability p. */
bool demo_rng_chance(demo_rng *r, double p);
/* Exponentially distributed with the given mean. */
double demo_rng_exp(demo_rng *r, double mean);

/* Stream purposes: one per kind of decision. */
enum {
    DEMO_S_TENANTS = 1,
    DEMO_S_OWNERS,
    DEMO_S_CAMPAIGNS,
    DEMO_S_PLANTS,
    DEMO_S_CONTACT,
    DEMO_S_PERSON,
    DEMO_S_EVENTS,
    DEMO_S_PROPENSITY,
    DEMO_S_BEHAVIOUR,
};

/* ---- timefmt.c: UTC seconds <-> text ---- */

#define DEMO_DAY 86400
#define DEMO_TS_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ" */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t demo_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Parses exactly "YYYY-MM-DD" (a real date, years 1971..9999) into seconds
 * since the epoch at 00:00:00 UTC. */
bool demo_parse_date(const char *s, int64_t *secs);

/* Formats timestamps; remembers the last day so that most calls only write
 * the time of day. Zero-initialise, then call demo_ts. */
typedef struct demo_tsfmt {
    int64_t day;
    bool valid;
    char text[DEMO_TS_LEN + 1];
} demo_tsfmt;

/* Writes secs as 'YYYY-MM-DDTHH:MM:SSZ' into f->text and returns it. */
const char *demo_ts(demo_tsfmt *f, int64_t secs);

/* ---- names.c: the word lists ---- */

typedef struct demo_word {
    const char *text;  /* as written, UTF-8 */
    const char *ascii; /* lower-case ASCII, for e-mail addresses */
} demo_word;

typedef struct demo_company {
    const char *name;
    const char *domain; /* lower case */
} demo_company;

/* Where a person's name comes from. */
typedef struct demo_origin {
    const char *code;
    const demo_word *first;
    size_t nfirst;
    const demo_word *last;
    size_t nlast;
} demo_origin;

/* A team language: its code, how often tenants use it, names for teams
 * working in it, the media of its market, how a press release is called. */
typedef struct demo_lang {
    const char *code;
    unsigned weight;
    const char *const *team_names;
    size_t nteam_names;
    const demo_company *media;
    size_t nmedia;
    const char *release; /* "Press release", "Persbericht", ... */
    size_t origin;       /* index in demo_origins of its names */
} demo_lang;

typedef struct demo_list {
    const char *const *items;
    size_t n;
} demo_list;

extern const demo_origin demo_origins[];
extern const size_t demo_norigins;
extern const demo_lang demo_langs[];
extern const size_t demo_nlangs;
extern const demo_company demo_investors[];
extern const size_t demo_ninvestors;
extern const demo_list demo_mail_domains;    /* freelancers' addresses */
extern const demo_list demo_tags;            /* the ordinary tag vocabulary */
extern const demo_list demo_tag_regions;     /* suffixes for the many-tags plant */
extern const demo_list demo_titles_press;
extern const demo_list demo_titles_investor;
extern const demo_list demo_notes;           /* custom1 */
extern const demo_list demo_flags;           /* custom2 */
extern const demo_list demo_tenant_first;    /* tenant names: first word */
extern const demo_list demo_tenant_second;   /*                second word */
extern const demo_list demo_subject_prefix;  /* campaign subjects */
extern const demo_list demo_subject_news;
extern const demo_list demo_plans;           /* accounts.plan */

/* ---- the plan ---- */

enum {
    DEMO_MAX_TEAMS = 8,
    DEMO_MIN_CONTACTS = 20,     /* every tenant has at least this many */
    DEMO_CLEAN_MODULUS = 7,     /* tenants whose id % 7 == 0 are clean */
    DEMO_MAX_CAMPAIGN = 5000,   /* recipients of one campaign at most */
};

/* Contact flags (demo_cinfo.flags). */
enum {
    DEMO_F_PLANTED = 1, /* has a record in plan->plants */
    DEMO_F_DELETED = 2, /* not written: its events are orphans */
    DEMO_F_BOUNCES = 4, /* malformed address: every send bounces */
};

/* What is planted on a contact. */
typedef enum demo_plant_kind {
    DEMO_P_DUP_A = 1,   /* the first of a duplicate pair */
    DEMO_P_DUP_B,       /* its twin in another team, domains in other case */
    DEMO_P_MANY_TAGS,
    DEMO_P_BAD_UTF8,
    DEMO_P_BAD_EMAIL,
    DEMO_P_DELETED,
} demo_plant_kind;

typedef struct demo_plant {
    uint32_t contact;  /* contact id */
    uint32_t twin;     /* DUP_A, DUP_B: the other contact's id */
    uint32_t tenant;   /* index in plan->tenants */
    demo_plant_kind kind;
    uint32_t ntags;    /* MANY_TAGS: how many */
    char *email;       /* DUP_A, DUP_B, BAD_EMAIL: the address, decided before writing */
    char *domain;      /* DUP_A, DUP_B: the company domain as written */
    int64_t events;    /* counted while writing events */
    int64_t tags;      /* tag rows the contact's tags string splits into */
} demo_plant;

/* One contact id: its tenant and team (index within the tenant) and flags. */
typedef struct demo_cinfo {
    uint16_t tenant;
    uint8_t team;
    uint8_t flags;
} demo_cinfo;

typedef struct demo_team {
    int64_t id;
    uint32_t tenant;
    size_t lang;            /* index in demo_langs */
    char name[64];
    double investor_share;  /* share of investors among its contacts */
    uint32_t off, count;    /* its contact ids: plan->members[off .. off+count) */
    uint32_t first_campaign;/* plan index of its first campaign, UINT32_MAX if none */
    unsigned weight;        /* relative size */
} demo_team;

typedef struct demo_tenant {
    int64_t id;
    char name[64];
    const char *plan_name;
    int64_t created_at;
    size_t home_lang;
    uint32_t ncontacts;  /* ids given to it, deleted ones included */
    uint32_t off;        /* its contact ids: plan->members[off .. off+ncontacts) */
    uint32_t team0;      /* its teams: plan->teams[team0 .. team0+nteams) */
    uint32_t nteams;
    double activity;     /* relative e-mail activity */
    bool clean;
    /* filled while writing */
    int64_t contacts;    /* rows written */
    int64_t campaigns;
    int64_t events;
    int64_t orphan_events;
} demo_tenant;

typedef struct demo_campaign {
    int64_t sent_at;
    uint32_t seq;      /* index in planning order: seeds its events */
    uint32_t tenant;   /* index in plan->tenants */
    uint32_t team;     /* index in plan->teams */
    uint32_t size;     /* recipients */
    uint32_t forced_off, nforced; /* contacts that must be recipients: plan->forced[...] */
} demo_campaign;

typedef struct demo_plan {
    uint64_t seed;
    double scale;
    int64_t now;         /* seconds since the epoch */
    char now_text[11];   /* "YYYY-MM-DD" */
    co_demo_progress_fn progress;
    void *progress_ctx;

    demo_tenant *tenants;
    uint32_t ntenants;
    demo_team *teams;
    uint32_t nteams;

    demo_cinfo *cinfo;   /* [id - 1] */
    uint32_t ncontacts;  /* ids handed out, deleted ones included */
    uint32_t *members;   /* contact ids grouped by tenant, then team */

    demo_campaign *campaigns; /* in id order once planned (id = index + 1) */
    uint32_t ncampaigns;
    uint32_t *forced;         /* contact ids, grouped by campaign once ordered */
    uint32_t *forced_seq;     /* while planning: the campaign (seq) of each forced id */
    uint32_t nforced, forced_cap;

    demo_plant *plants;       /* sorted by contact id */
    uint32_t nplants;

    double events_per_recipient; /* expected, from the funnel's probabilities */
    co_demo_summary sum;
} demo_plan;

/* plan.c */
/* Plans tenants, teams, contact owners and campaigns (in planning order).
 * p's seed, scale, now and progress must be set. */
co_code demo_plan_build(demo_plan *p, co_error *err);
/* Puts campaigns in id order (by time sent) and groups the forced
 * recipients by campaign. Call after demo_plants_choose. */
co_code demo_plan_order(demo_plan *p, co_error *err);
void demo_plan_release(demo_plan *p);
/* The plant record of contact id, or NULL. */
demo_plant *demo_plan_plant(const demo_plan *p, uint32_t id);

/* planted.c */
/* Chooses the plants of every non-clean tenant and forces each deleted
 * contact into a campaign of its team, so that it leaves orphan events. */
co_code demo_plants_choose(demo_plan *p, co_error *err);
/* Writes planted.json's text into out. */
void demo_plants_json(const demo_plan *p, co_buf *out);

/* contacts.c */
/* The e-mail addresses already handed out, per tenant, case-insensitively. */
typedef struct demo_emailset {
    uint64_t *slots;
    size_t cap, count;
} demo_emailset;

co_code demo_emailset_init(demo_emailset *s, size_t expected, co_error *err);
void demo_emailset_release(demo_emailset *s);
/* Adds (tenant, lower(email)); false when it was there already. */
bool demo_emailset_add(demo_emailset *s, uint32_t tenant, const char *email, size_t len);

/* A person's name, company and address as the generator makes them up. */
typedef struct demo_person {
    const demo_origin *origin;
    const demo_word *first, *last;
    const demo_company *company; /* NULL for freelancers */
    bool investor;
    char email[160];             /* as written */
    const char *company_domain;  /* as written, NULL or "" when none */
} demo_person;

/* Makes up the person behind contact person_id, in the light of its team
 * (deterministic in the seed and the id). force_company: never a freelancer.
 * The address is the base form, not yet made unique. */
void demo_person_make(const demo_plan *p, uint32_t person_id, bool force_company,
                      demo_person *out);
/* Makes the address unique within the tenant by adding a number when taken. */
void demo_person_unique_email(demo_person *person, demo_emailset *set, uint32_t tenant);

/* Writes the accounts, teams and contacts tables. */
co_code demo_write_contacts(demo_plan *p, sqlite3 *db, co_error *err);

/* events.c */
/* Writes campaigns, then events grouped by campaign. */
co_code demo_write_events(demo_plan *p, sqlite3 *db, co_error *err);
/* The expected number of events per recipient of a campaign. */
double demo_events_per_recipient(void);

/* generate.c */
/* Turns a failed SQLite call into an error: CO_EIO for I/O and space
 * problems, CO_EINTERNAL otherwise. */
co_code demo_sqlite_error(sqlite3 *db, int rc, const char *what, co_error *err);
/* Reports progress when a callback is set. */
void demo_progress(const demo_plan *p, const char *what, uint64_t done, uint64_t total);

/* A bounded string builder over a caller's array: never overflows, always
 * NUL-terminated; stops adding when full. */
typedef struct demo_str {
    char *s;
    size_t cap, len;
} demo_str;

static inline void demo_str_init(demo_str *b, char *s, size_t cap)
{
    b->s = s;
    b->cap = cap;
    b->len = 0;
    s[0] = '\0';
}
void demo_str_add(demo_str *b, const char *s);
void demo_str_addn(demo_str *b, const char *s, size_t n);
void demo_str_addc(demo_str *b, char c);
void demo_str_addu(demo_str *b, uint64_t v);

/* ---- behaviour.c: the behavioural sources (docs/scoring.md) ---- */

/* Writes DIR/behaviour.db (tracking_old, tracking_new, conversions) and the
 * mapping, rename table and models under DIR/scoring/. */
co_code demo_write_behaviour(demo_plan *p, const char *dir, co_error *err);

/* ---- to_store.c: the legacy CRM in a database server too ---- */

/* Creates the legacy tables in the database source names (a store URI; none
 * of them may exist there), copies DIR/legacy.db's rows into them, and
 * replaces DIR/cutover.yaml with the mapping for that engine, reading them. */
co_code Co_demo_to_store(const char *dir, const char *source, co_error *err);

#endif
