/*
 * contacts.c: the accounts, teams and contacts of the demo's legacy CRM.
 *
 * A contact is a person (name, company, address: a function of the seed and
 * the person's id, so that a planted duplicate can be the same person again)
 * plus what the team recorded about them (title, tags, notes, dates: a
 * function of the contact's own id). E-mail addresses are unique per tenant,
 * case-insensitively, except for the planted duplicate pairs, so that "same
 * address" finds exactly the planted pairs.
 */
#include "demo/demo_int.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---- the set of addresses in use ---- */

co_code demo_emailset_init(demo_emailset *s, size_t expected, co_error *err)
{
    size_t cap = 1024;
    while (cap < expected * 2)
        cap *= 2;
    s->slots = calloc(cap, sizeof *s->slots);
    s->cap = cap;
    s->count = 0;
    if (!s->slots)
        return co_error_set(err, CO_ENOMEM, "demo: out of memory for %zu addresses", expected);
    return CO_OK;
}

void demo_emailset_release(demo_emailset *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static bool emailset_grow(demo_emailset *s)
{
    size_t ncap = s->cap * 2;
    uint64_t *slots = calloc(ncap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i])
            continue;
        size_t j = (size_t)s->slots[i] & (ncap - 1);
        while (slots[j])
            j = (j + 1) & (ncap - 1);
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = ncap;
    return true;
}

/* Keys are 64-bit hashes: a false "taken" only adds a number to an address,
 * which is as deterministic as the rest. */
bool demo_emailset_add(demo_emailset *s, uint32_t tenant, const char *email, size_t len)
{
    char lower[256];
    if (len > sizeof lower)
        len = sizeof lower;
    for (size_t i = 0; i < len; i++) {
        char c = email[i];
        lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    uint64_t h = XXH3_64bits_withSeed(lower, len, tenant);
    if (!h)
        h = 1;
    if ((s->count + 1) * 4 > s->cap * 3 && !emailset_grow(s))
        return true; /* out of memory: accept rather than loop */
    size_t j = (size_t)h & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == h)
            return false;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = h;
    s->count++;
    return true;
}

/* ---- people ---- */

static const char *pick(demo_rng *r, const demo_list *l)
{
    return l->items[demo_rng_below(r, l->n)];
}

void demo_person_make(const demo_plan *p, uint32_t person_id, bool force_company,
                      demo_person *out)
{
    const demo_cinfo *ci = &p->cinfo[person_id - 1];
    const demo_tenant *t = &p->tenants[ci->tenant];
    const demo_team *team = &p->teams[t->team0 + ci->team];
    demo_rng r;
    demo_rng_init(&r, p->seed, DEMO_S_PERSON, person_id);
    memset(out, 0, sizeof *out);

    size_t origin = demo_rng_chance(&r, 0.65) ? demo_langs[team->lang].origin
                                              : (size_t)demo_rng_below(&r, demo_norigins);
    const demo_origin *o = &demo_origins[origin];
    out->origin = o;
    out->first = &o->first[demo_rng_below(&r, o->nfirst)];
    out->last = &o->last[demo_rng_below(&r, o->nlast)];
    out->investor = demo_rng_chance(&r, team->investor_share);
    if (out->investor) {
        out->company = &demo_investors[demo_rng_below(&r, demo_ninvestors)];
    } else if (force_company || !demo_rng_chance(&r, 0.07)) {
        const demo_lang *l = &demo_langs[demo_rng_chance(&r, 0.7) ? team->lang : 0];
        out->company = &l->media[demo_rng_below(&r, l->nmedia)];
    }

    demo_str e;
    demo_str_init(&e, out->email, sizeof out->email);
    const char *f = out->first->ascii, *l = out->last->ascii;
    switch (demo_rng_below(&r, 10)) {
    case 0: case 1: case 2: case 3: case 4:
        demo_str_add(&e, f);
        demo_str_addc(&e, '.');
        demo_str_add(&e, l);
        break;
    case 5: case 6:
        demo_str_addc(&e, f[0]);
        demo_str_add(&e, l);
        break;
    case 7:
        demo_str_add(&e, f);
        break;
    case 8:
        demo_str_add(&e, f);
        demo_str_addc(&e, '_');
        demo_str_add(&e, l);
        break;
    default:
        demo_str_add(&e, l);
        demo_str_addc(&e, '.');
        demo_str_add(&e, f);
        break;
    }
    demo_str_addc(&e, '@');
    if (out->company) {
        demo_str_add(&e, out->company->domain);
        out->company_domain = out->company->domain;
    } else {
        demo_str_add(&e, pick(&r, &demo_mail_domains));
        out->company_domain = demo_rng_chance(&r, 0.3) ? "" : NULL;
    }
}

void demo_person_unique_email(demo_person *person, demo_emailset *set, uint32_t tenant)
{
    size_t len = strlen(person->email);
    if (demo_emailset_add(set, tenant, person->email, len))
        return;
    const char *at = strchr(person->email, '@');
    char local[128], domain[128];
    size_t nl = (size_t)(at - person->email);
    if (nl >= sizeof local)
        nl = sizeof local - 1;
    memcpy(local, person->email, nl);
    local[nl] = '\0';
    demo_str d;
    demo_str_init(&d, domain, sizeof domain);
    demo_str_add(&d, at + 1);
    for (uint64_t n = 2;; n++) {
        demo_str e;
        demo_str_init(&e, person->email, sizeof person->email);
        demo_str_add(&e, local);
        demo_str_addu(&e, n);
        demo_str_addc(&e, '@');
        demo_str_add(&e, domain);
        if (demo_emailset_add(set, tenant, person->email, e.len))
            return;
    }
}

/* ---- the planted addresses, decided before any contact is written ---- */

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

/* cnn.com -> CNN.com; jane.doe@cnn.com -> Jane.Doe@CNN.com */
static void case_variant(const char *email, const char *domain, char *email_out,
                         size_t email_cap, char *domain_out, size_t domain_cap)
{
    demo_str d;
    demo_str_init(&d, domain_out, domain_cap);
    bool first_label = true;
    for (const char *s = domain; *s; s++) {
        if (*s == '.')
            first_label = false;
        demo_str_addc(&d, first_label ? upper(*s) : *s);
    }
    demo_str e;
    demo_str_init(&e, email_out, email_cap);
    bool word_start = true;
    const char *s = email;
    for (; *s && *s != '@'; s++) {
        demo_str_addc(&e, word_start ? upper(*s) : *s);
        word_start = *s == '.' || *s == '_';
    }
    if (*s == '@') {
        demo_str_addc(&e, '@');
        if (strcmp(s + 1, domain) == 0)
            demo_str_add(&e, domain_out);
        else
            demo_str_add(&e, s + 1);
    }
}

/* Forms that each fail the target's CHECK on email. */
static void malformed(const demo_person *person, unsigned form, char *out, size_t cap)
{
    const char *at = strchr(person->email, '@');
    size_t nl = (size_t)(at - person->email);
    const char *domain = at + 1;
    demo_str e;
    demo_str_init(&e, out, cap);
    switch (form % 6) {
    case 0: /* john.doe(at)cnn.com */
        demo_str_addn(&e, person->email, nl);
        demo_str_add(&e, "(at)");
        demo_str_add(&e, domain);
        break;
    case 1: /* jane.doe@ */
        demo_str_addn(&e, person->email, nl);
        demo_str_addc(&e, '@');
        break;
    case 2: /* @cnn.com */
        demo_str_addc(&e, '@');
        demo_str_add(&e, domain);
        break;
    case 3: /* jane doe@cnn.com */
        demo_str_add(&e, person->first->ascii);
        demo_str_addc(&e, ' ');
        demo_str_add(&e, person->last->ascii);
        demo_str_addc(&e, '@');
        demo_str_add(&e, domain);
        break;
    case 4: /* jane.doe@@cnn.com */
        demo_str_addn(&e, person->email, nl);
        demo_str_add(&e, "@@");
        demo_str_add(&e, domain);
        break;
    default: /* jane.doe@cnn */
        demo_str_addn(&e, person->email, nl);
        demo_str_addc(&e, '@');
        demo_str_addn(&e, domain, strcspn(domain, "."));
        break;
    }
}

static co_code resolve_plants(demo_plan *p, demo_emailset *set, co_error *err)
{
    for (uint32_t i = 0; i < p->nplants; i++) {
        demo_plant *pl = &p->plants[i];
        uint32_t tenant = p->cinfo[pl->contact - 1].tenant;
        demo_person person;
        if (pl->kind == DEMO_P_DUP_A || pl->kind == DEMO_P_DUP_B) {
            if (pl->email)
                continue; /* resolved with its twin */
            demo_plant *a = pl->kind == DEMO_P_DUP_A ? pl : demo_plan_plant(p, pl->twin);
            demo_plant *b = pl->kind == DEMO_P_DUP_B ? pl : demo_plan_plant(p, pl->twin);
            if (!a || !b)
                return co_error_set(err, CO_EINTERNAL, "demo: duplicate %u has no twin",
                                    pl->contact);
            demo_person_make(p, a->contact, true, &person);
            demo_person_unique_email(&person, set, tenant);
            char email[160], domain[128];
            case_variant(person.email, person.company_domain, email, sizeof email, domain,
                         sizeof domain);
            a->email = dup_string(person.email);
            a->domain = dup_string(person.company_domain);
            b->email = dup_string(email);
            b->domain = dup_string(domain);
            if (!a->email || !a->domain || !b->email || !b->domain)
                return co_error_set(err, CO_ENOMEM, "demo: out of memory");
        } else if (pl->kind == DEMO_P_BAD_EMAIL) {
            demo_person_make(p, pl->contact, false, &person);
            char email[200];
            demo_rng r;
            demo_rng_init(&r, p->seed, DEMO_S_PLANTS, 0x100000000ULL + pl->contact);
            unsigned form = (unsigned)demo_rng_below(&r, 6);
            for (unsigned k = 0; k < 6; k++) {
                malformed(&person, form + k, email, sizeof email);
                if (demo_emailset_add(set, tenant, email, strlen(email)))
                    break;
            }
            pl->email = dup_string(email);
            if (!pl->email)
                return co_error_set(err, CO_ENOMEM, "demo: out of memory");
        }
    }
    return CO_OK;
}

/* ---- writing ---- */

static co_code prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, co_error *err)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? CO_OK : demo_sqlite_error(db, rc, "preparing an insert", err);
}

static co_code step(sqlite3 *db, sqlite3_stmt *st, const char *what, co_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? CO_OK : demo_sqlite_error(db, rc, what, err);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, (int)strlen(s), SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static co_code write_accounts(demo_plan *p, sqlite3 *db, co_error *err)
{
    sqlite3_stmt *acc = NULL, *tm = NULL;
    co_code rc = prepare(db, "INSERT INTO accounts(id, name, plan, created_at) VALUES (?,?,?,?)",
                         &acc, err);
    if (rc == CO_OK)
        rc = prepare(db, "INSERT INTO teams(id, account_id, name, language) VALUES (?,?,?,?)",
                     &tm, err);
    demo_tsfmt ts = {0};
    for (uint32_t i = 0; rc == CO_OK && i < p->ntenants; i++) {
        const demo_tenant *t = &p->tenants[i];
        sqlite3_bind_int64(acc, 1, t->id);
        bind_text(acc, 2, t->name);
        bind_text(acc, 3, t->plan_name);
        bind_text(acc, 4, demo_ts(&ts, t->created_at));
        rc = step(db, acc, "writing accounts", err);
    }
    for (uint32_t j = 0; rc == CO_OK && j < p->nteams; j++) {
        const demo_team *team = &p->teams[j];
        sqlite3_bind_int64(tm, 1, team->id);
        sqlite3_bind_int64(tm, 2, p->tenants[team->tenant].id);
        bind_text(tm, 3, team->name);
        bind_text(tm, 4, demo_langs[team->lang].code);
        rc = step(db, tm, "writing teams", err);
    }
    sqlite3_finalize(acc);
    sqlite3_finalize(tm);
    p->sum.tenants = p->ntenants;
    p->sum.teams = p->nteams;
    return rc;
}

/* Tags: 0..6 distinct words of the vocabulary, now and then written with
 * "; " or a trailing ";" as people typed them. Returns the number of tags. */
static uint32_t make_tags(demo_rng *r, char *out, size_t cap, bool *null)
{
    static const unsigned cumulative[] = {30, 45, 60, 75, 85, 93, 100};
    uint64_t u = demo_rng_below(r, 100);
    uint32_t n = 0;
    while (u >= cumulative[n])
        n++;
    demo_str s;
    demo_str_init(&s, out, cap);
    *null = false;
    if (n == 0) {
        *null = demo_rng_chance(r, 0.5);
        return 0;
    }
    const char *sep = demo_rng_chance(r, 0.05) ? "; " : ";";
    size_t chosen[6];
    for (uint32_t i = 0; i < n; i++) {
        size_t k;
        bool again;
        do {
            k = (size_t)demo_rng_below(r, demo_tags.n);
            again = false;
            for (uint32_t j = 0; j < i; j++)
                again |= chosen[j] == k;
        } while (again);
        chosen[i] = k;
        if (i)
            demo_str_add(&s, sep);
        demo_str_add(&s, demo_tags.items[k]);
    }
    if (demo_rng_chance(r, 0.03))
        demo_str_addc(&s, ';');
    return n;
}

/* The many-tags plant: n distinct tags from the vocabulary and its
 * "tag-region" combinations, joined by ';' (n parts exactly). */
static void make_many_tags(demo_rng *r, uint32_t n, co_buf *out)
{
    size_t pool = demo_tags.n * (1 + demo_tag_regions.n);
    uint32_t picked[256];
    if (n > 256)
        n = 256;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k;
        bool again;
        do {
            k = (uint32_t)demo_rng_below(r, pool);
            again = false;
            for (uint32_t j = 0; j < i; j++)
                again |= picked[j] == k;
        } while (again);
        picked[i] = k;
        if (i)
            Co_buf_addc(out, ';');
        Co_buf_adds(out, demo_tags.items[k % demo_tags.n]);
        if (k >= demo_tags.n) {
            Co_buf_addc(out, '-');
            Co_buf_adds(out, demo_tag_regions.items[k / demo_tags.n - 1]);
        }
    }
}

enum {
    C_ID = 1, C_ACCOUNT, C_TEAM, C_KIND, C_FIRST, C_LAST, C_EMAIL, C_COMPANY, C_DOMAIN,
    C_TITLE, C_TAGS, C_CUSTOM1, C_CUSTOM2, C_CREATED, C_UPDATED,
};

static const char INSERT_CONTACT[] =
    "INSERT INTO contacts(id, account_id, team_id, kind, first_name, last_name, email, "
    "company_name, company_domain, title, tags, custom1, custom2, created_at, updated_at) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static co_code write_contact(demo_plan *p, sqlite3 *db, sqlite3_stmt *st, uint32_t id,
                             demo_plant *pl, demo_emailset *set, co_buf *tagbuf,
                             int64_t created_base, int64_t created_span, co_error *err)
{
    const demo_cinfo *ci = &p->cinfo[id - 1];
    demo_tenant *t = &p->tenants[ci->tenant];
    const demo_team *team = &p->teams[t->team0 + ci->team];
    demo_plant_kind kind = pl ? pl->kind : 0;
    bool dup = kind == DEMO_P_DUP_A || kind == DEMO_P_DUP_B;

    demo_person person;
    demo_person_make(p, kind == DEMO_P_DUP_B ? pl->twin : id, dup, &person);
    const char *email = person.email, *domain = person.company_domain;
    if (dup || kind == DEMO_P_BAD_EMAIL) {
        email = pl->email;
        if (dup)
            domain = pl->domain;
    } else {
        demo_person_unique_email(&person, set, ci->tenant);
    }

    demo_rng r;
    demo_rng_init(&r, p->seed, DEMO_S_CONTACT, id);
    const demo_list *titles = person.investor ? &demo_titles_investor : &demo_titles_press;
    const char *title = demo_rng_chance(&r, 0.05) ? NULL : pick(&r, titles);
    char tags[256];
    bool tags_null;
    uint32_t ntags = make_tags(&r, tags, sizeof tags, &tags_null);
    const char *custom1 = demo_rng_chance(&r, 0.5) ? pick(&r, &demo_notes) : NULL;
    const char *custom2 = demo_rng_chance(&r, 0.006) ? pick(&r, &demo_flags) : NULL;
    int64_t step_len = created_span / p->ncontacts;
    int64_t created = created_base + (int64_t)(id - 1) * created_span / p->ncontacts +
                      (int64_t)demo_rng_below(&r, (uint64_t)(step_len > 0 ? step_len : 1));
    int64_t updated = created;
    if (demo_rng_chance(&r, 0.6))
        updated += (int64_t)demo_rng_below(&r, (uint64_t)(p->now - created));

    char last[160];
    const char *last_name = person.last->text;
    if (kind == DEMO_P_BAD_UTF8) {
        /* "Smith–Jones" typed in cp1252: the en dash is the lone byte 0x96 */
        const demo_origin *o = person.origin;
        const demo_word *other = &o->last[demo_rng_below(&r, o->nlast)];
        demo_str s;
        demo_str_init(&s, last, sizeof last);
        demo_str_add(&s, person.last->text);
        demo_str_addc(&s, (char)0x96);
        demo_str_add(&s, other->text);
        last_name = last;
    }

    sqlite3_bind_int64(st, C_ID, id);
    sqlite3_bind_int64(st, C_ACCOUNT, t->id);
    sqlite3_bind_int64(st, C_TEAM, team->id);
    bind_text(st, C_KIND, person.investor ? "investor" : "journalist");
    bind_text(st, C_FIRST, person.first->text);
    bind_text(st, C_LAST, last_name);
    bind_text(st, C_EMAIL, email);
    bind_text(st, C_COMPANY, person.company ? person.company->name : NULL);
    bind_text(st, C_DOMAIN, domain);
    bind_text(st, C_TITLE, title);
    if (kind == DEMO_P_MANY_TAGS) {
        Co_buf_reset(tagbuf);
        make_many_tags(&r, pl->ntags, tagbuf);
        if (tagbuf->failed)
            return co_error_set(err, CO_ENOMEM, "demo: out of memory");
        sqlite3_bind_text(st, C_TAGS, co_buf_str(tagbuf), (int)tagbuf->len, SQLITE_STATIC);
        ntags = pl->ntags;
    } else {
        bind_text(st, C_TAGS, tags_null ? NULL : tags);
    }
    if (pl)
        pl->tags = ntags;
    bind_text(st, C_CUSTOM1, custom1);
    bind_text(st, C_CUSTOM2, custom2);
    demo_tsfmt ts1 = {0}, ts2 = {0};
    bind_text(st, C_CREATED, demo_ts(&ts1, created));
    bind_text(st, C_UPDATED, demo_ts(&ts2, updated));
    co_code rc = step(db, st, "writing contacts", err);
    if (rc == CO_OK)
        t->contacts++;
    return rc;
}

co_code demo_write_contacts(demo_plan *p, sqlite3 *db, co_error *err)
{
    co_code rc = write_accounts(p, db, err);
    if (rc != CO_OK)
        return rc;
    demo_emailset set;
    rc = demo_emailset_init(&set, p->ncontacts, err);
    if (rc != CO_OK)
        return rc;
    rc = resolve_plants(p, &set, err);
    sqlite3_stmt *st = NULL;
    if (rc == CO_OK)
        rc = prepare(db, INSERT_CONTACT, &st, err);
    co_buf tagbuf = CO_BUF_INIT;
    int64_t base = demo_days_from_civil(2015, 1, 1) * DEMO_DAY;
    int64_t span = p->now - 30 * DEMO_DAY - base;
    if (span < DEMO_DAY)
        span = DEMO_DAY;
    uint32_t next_plant = 0;
    uint64_t done = 0;
    demo_progress(p, "contacts", 0, p->ncontacts); /* the item's time starts here */
    for (uint32_t id = 1; rc == CO_OK && id <= p->ncontacts; id++) {
        demo_plant *pl = NULL;
        if (p->cinfo[id - 1].flags & DEMO_F_PLANTED) {
            while (next_plant < p->nplants && p->plants[next_plant].contact < id)
                next_plant++;
            pl = &p->plants[next_plant];
        }
        if (!(p->cinfo[id - 1].flags & DEMO_F_DELETED)) {
            rc = write_contact(p, db, st, id, pl, &set, &tagbuf, base, span, err);
            done++;
        }
        if (id % 131072 == 0)
            demo_progress(p, "contacts", id, p->ncontacts);
    }
    if (rc == CO_OK)
        demo_progress(p, "contacts", p->ncontacts, p->ncontacts);
    sqlite3_finalize(st);
    Co_buf_release(&tagbuf);
    demo_emailset_release(&set);
    p->sum.contacts = (int64_t)done;
    return rc;
}
