/*
 * plan.c: the demo's plan, before any row is written: how many tenants and how
 * big (Zipf-like: a few very large, many small), their teams and languages,
 * which tenant and team each contact id belongs to (tenants interleave in id
 * order, as accounts created at different times do in a real table), and the
 * campaigns each team sends over the year before "now".
 */
#include "demo/demo_int.h"
#include "util/free.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t CONTACTS_PER_SCALE = 1000000;
static const double EVENTS_PER_CONTACT = 27.0;

static size_t pick_lang(demo_rng *r)
{
    unsigned total = 0;
    for (size_t i = 0; i < demo_nlangs; i++)
        total += demo_langs[i].weight;
    uint64_t x = demo_rng_below(r, total);
    for (size_t i = 0; i < demo_nlangs; i++) {
        if (x < demo_langs[i].weight)
            return i;
        x -= demo_langs[i].weight;
    }
    return 0;
}

static void shuffle_u32(demo_rng *r, uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)demo_rng_below(r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Ranks 1..n (1 = largest) to tenants: clean tenants get ranks from the
 * smaller half, so that the clean ones are small, as the brief of the demo
 * wants; the others get the rest in random order. */
static bool assign_ranks(demo_plan *p, demo_rng *r, uint32_t *rank_of)
{
    uint32_t n = p->ntenants, half = n / 2, nclean = n / DEMO_CLEAN_MODULUS;
    uint32_t *small = malloc(sizeof *small * (n - half));
    uint32_t *rest = malloc(sizeof *rest * n);
    if (!small || !rest) {
        free(small);
        free(rest);
        return false;
    }
    for (uint32_t i = 0; i < n - half; i++)
        small[i] = half + 1 + i;
    shuffle_u32(r, small, n - half);
    uint32_t nrest = 0;
    for (uint32_t i = 0; i < half; i++)
        rest[nrest++] = i + 1;
    for (uint32_t i = nclean; i < n - half; i++)
        rest[nrest++] = small[i];
    shuffle_u32(r, rest, nrest);
    uint32_t ci = 0, ri = 0;
    for (uint32_t t = 0; t < n; t++) {
        if ((t + 1) % DEMO_CLEAN_MODULUS == 0)
            rank_of[t] = small[ci++];
        else
            rank_of[t] = rest[ri++];
    }
    free(small);
    free(rest);
    return true;
}

static void name_tenant(demo_tenant *t, const uint32_t *combos, uint32_t ncombos, uint32_t i)
{
    uint32_t c = combos[i % ncombos];
    demo_str s;
    demo_str_init(&s, t->name, sizeof t->name);
    demo_str_add(&s, demo_tenant_first.items[c / demo_tenant_second.n]);
    demo_str_addc(&s, ' ');
    demo_str_add(&s, demo_tenant_second.items[c % demo_tenant_second.n]);
    if (i >= ncombos) {
        demo_str_addc(&s, ' ');
        demo_str_addu(&s, i / ncombos + 1);
    }
}

static void plan_teams(demo_plan *p, demo_rng *r, demo_tenant *t, uint32_t ti)
{
    unsigned k = 0;
    for (uint32_t v = t->ncontacts / 150; v >= 2; v /= 2)
        k++;
    uint32_t nteams = 1 + k + (uint32_t)demo_rng_below(r, 2);
    if (nteams > DEMO_MAX_TEAMS)
        nteams = DEMO_MAX_TEAMS;
    t->team0 = p->nteams;
    t->nteams = nteams;
    unsigned used[16] = {0}; /* teams per language so far */
    for (uint32_t j = 0; j < nteams; j++) {
        demo_team *team = &p->teams[p->nteams++];
        memset(team, 0, sizeof *team);
        team->id = p->nteams;
        team->tenant = ti;
        team->lang = j == 0 || demo_rng_chance(r, 0.4) ? t->home_lang : pick_lang(r);
        const demo_lang *lang = &demo_langs[team->lang];
        unsigned u = used[team->lang]++;
        demo_str s;
        demo_str_init(&s, team->name, sizeof team->name);
        demo_str_add(&s, lang->team_names[u % lang->nteam_names]);
        if (u >= lang->nteam_names) {
            demo_str_addc(&s, ' ');
            demo_str_addu(&s, u / lang->nteam_names + 1);
        }
        team->investor_share = strcmp(team->name, "Investor Relations") == 0 ? 0.9 : 0.06;
        team->weight = 840 / (j + 1);
        team->first_campaign = UINT32_MAX;
    }
}

static co_code plan_tenants(demo_plan *p, co_error *err)
{
    double root = sqrt(p->scale);
    long nt = lround(150.0 * root);
    p->ntenants = nt < 5 ? 5 : (uint32_t)nt;
    uint64_t target = (uint64_t)llround((double)CONTACTS_PER_SCALE * p->scale);

    p->tenants = calloc(p->ntenants, sizeof *p->tenants);
    p->teams = calloc((size_t)p->ntenants * DEMO_MAX_TEAMS, sizeof *p->teams);
    uint32_t *rank_of = calloc(p->ntenants, sizeof *rank_of);
    uint32_t ncombos = (uint32_t)(demo_tenant_first.n * demo_tenant_second.n);
    uint32_t *combos = malloc(sizeof *combos * ncombos);
    if (!p->tenants || !p->teams || !rank_of || !combos) {
        free(rank_of);
        free(combos);
        return co_error_set(err, CO_ENOMEM, "demo: out of memory planning tenants");
    }
    demo_rng r;
    demo_rng_init(&r, p->seed, DEMO_S_TENANTS, 0);
    for (uint32_t i = 0; i < ncombos; i++)
        combos[i] = i;
    shuffle_u32(&r, combos, ncombos);
    if (!assign_ranks(p, &r, rank_of)) {
        free(rank_of);
        free(combos);
        return co_error_set(err, CO_ENOMEM, "demo: out of memory planning tenants");
    }

    double harmonic = 0;
    for (uint32_t i = 1; i <= p->ntenants; i++)
        harmonic += 1.0 / i;
    int64_t first_day = demo_days_from_civil(2010, 1, 1);
    int64_t days = demo_days_from_civil(2015, 1, 1) - first_day;
    uint64_t total = 0;
    for (uint32_t i = 0; i < p->ntenants; i++) {
        demo_tenant *t = &p->tenants[i];
        t->id = i + 1;
        uint32_t rank = rank_of[i];
        double share = 1.0 / (rank * harmonic);
        long long n = llround((double)target * share);
        t->ncontacts = n < DEMO_MIN_CONTACTS ? DEMO_MIN_CONTACTS : (uint32_t)n;
        total += t->ncontacts;
        name_tenant(t, combos, ncombos, i);
        t->plan_name = rank * 10 <= p->ntenants   ? demo_plans.items[2]
                       : rank * 2 <= p->ntenants ? demo_plans.items[1]
                                                 : demo_plans.items[0];
        int64_t day = first_day + (int64_t)i * days / p->ntenants;
        t->created_at = day * DEMO_DAY + 8 * 3600 + (int64_t)demo_rng_below(&r, 10 * 3600);
        t->home_lang = pick_lang(&r);
        t->activity = 0.5 + demo_rng_unit(&r);
        t->clean = t->id % DEMO_CLEAN_MODULUS == 0;
        plan_teams(p, &r, t, i);
    }
    free(rank_of);
    free(combos);
    if (total >= UINT32_MAX / 2)
        return co_error_set(err, CO_EUSAGE, "demo: scale %g gives too many contacts", p->scale);
    p->ncontacts = (uint32_t)total;
    return CO_OK;
}

/* Which tenant and team each contact id belongs to: every tenant's ids, then
 * a shuffle, so that a tenant's contacts are spread over the whole table. */
static co_code plan_owners(demo_plan *p, co_error *err)
{
    p->cinfo = calloc(p->ncontacts, sizeof *p->cinfo);
    p->members = malloc(sizeof *p->members * (p->ncontacts ? p->ncontacts : 1));
    uint32_t *fill = calloc(p->nteams, sizeof *fill);
    if (!p->cinfo || !p->members || !fill) {
        free(fill);
        return co_error_set(err, CO_ENOMEM, "demo: out of memory planning %u contacts",
                            p->ncontacts);
    }
    uint32_t k = 0;
    for (uint32_t t = 0; t < p->ntenants; t++)
        for (uint32_t i = 0; i < p->tenants[t].ncontacts; i++)
            p->cinfo[k++].tenant = (uint16_t)t;
    demo_rng r;
    demo_rng_init(&r, p->seed, DEMO_S_OWNERS, 0);
    for (uint32_t i = p->ncontacts; i > 1; i--) {
        uint32_t j = (uint32_t)demo_rng_below(&r, i);
        demo_cinfo tmp = p->cinfo[i - 1];
        p->cinfo[i - 1] = p->cinfo[j];
        p->cinfo[j] = tmp;
    }
    for (uint32_t i = 0; i < p->ncontacts; i++) {
        const demo_tenant *t = &p->tenants[p->cinfo[i].tenant];
        unsigned total = 0;
        for (uint32_t j = 0; j < t->nteams; j++)
            total += p->teams[t->team0 + j].weight;
        uint64_t x = demo_rng_below(&r, total);
        uint32_t j = 0;
        while (x >= p->teams[t->team0 + j].weight) {
            x -= p->teams[t->team0 + j].weight;
            j++;
        }
        p->cinfo[i].team = (uint8_t)j;
        p->teams[t->team0 + j].count++;
    }
    uint32_t off = 0;
    for (uint32_t j = 0; j < p->nteams; j++) {
        p->teams[j].off = off;
        off += p->teams[j].count;
    }
    for (uint32_t t = 0; t < p->ntenants; t++)
        p->tenants[t].off = p->teams[p->tenants[t].team0].off;
    for (uint32_t i = 0; i < p->ncontacts; i++) {
        const demo_tenant *t = &p->tenants[p->cinfo[i].tenant];
        uint32_t team = t->team0 + p->cinfo[i].team;
        p->members[p->teams[team].off + fill[team]++] = i + 1;
    }
    free(fill);
    return CO_OK;
}

static bool add_campaign(demo_plan *p, uint32_t *cap, demo_rng *r, uint32_t tenant,
                         uint32_t team)
{
    if (p->ncampaigns == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 1024;
        demo_campaign *c = realloc(p->campaigns, sizeof *c * ncap);
        if (!c)
            return false;
        p->campaigns = c;
        *cap = ncap;
    }
    demo_team *tm = &p->teams[team];
    demo_campaign *c = &p->campaigns[p->ncampaigns];
    memset(c, 0, sizeof *c);
    c->seq = p->ncampaigns;
    c->tenant = tenant;
    c->team = team;
    double share = 0.05 + 0.45 * demo_rng_unit(r);
    long long size = llround(tm->count * share);
    if (size < 1)
        size = 1;
    if (size > DEMO_MAX_CAMPAIGN)
        size = DEMO_MAX_CAMPAIGN;
    if (size > tm->count)
        size = tm->count;
    c->size = (uint32_t)size;
    /* a working day of the year before now, between 06:00 and 18:00 UTC */
    int64_t now_day = p->now / DEMO_DAY;
    int64_t day = now_day - 365 + (int64_t)demo_rng_below(r, 365);
    c->sent_at = day * DEMO_DAY + (6 + (int64_t)demo_rng_below(r, 12)) * 3600 +
                 (int64_t)demo_rng_below(r, 3600);
    if (tm->first_campaign == UINT32_MAX)
        tm->first_campaign = c->seq;
    p->ncampaigns++;
    return true;
}

/* Campaigns: every team with contacts sends at least one; then teams, picked
 * by size, send until the tenant's recipients add up to about 27 events per
 * contact (times the tenant's activity). */
static co_code plan_campaigns(demo_plan *p, co_error *err)
{
    double weighted = 0, plain = 0;
    for (uint32_t t = 0; t < p->ntenants; t++) {
        weighted += p->tenants[t].ncontacts * p->tenants[t].activity;
        plain += p->tenants[t].ncontacts;
    }
    double norm = weighted > 0 ? plain / weighted : 1.0;
    uint32_t cap = 0;
    for (uint32_t ti = 0; ti < p->ntenants; ti++) {
        demo_tenant *t = &p->tenants[ti];
        demo_rng r;
        demo_rng_init(&r, p->seed, DEMO_S_CAMPAIGNS, (uint64_t)t->id);
        double want = t->ncontacts * EVENTS_PER_CONTACT * t->activity * norm /
                      p->events_per_recipient;
        double planned = 0;
        for (uint32_t j = 0; j < t->nteams; j++) {
            if (p->teams[t->team0 + j].count == 0)
                continue;
            if (!add_campaign(p, &cap, &r, ti, t->team0 + j))
                return co_error_set(err, CO_ENOMEM, "demo: out of memory planning campaigns");
            planned += p->campaigns[p->ncampaigns - 1].size;
        }
        while (planned < want) {
            uint64_t x = demo_rng_below(&r, t->ncontacts);
            uint32_t j = 0;
            while (x >= p->teams[t->team0 + j].count) {
                x -= p->teams[t->team0 + j].count;
                j++;
            }
            if (!add_campaign(p, &cap, &r, ti, t->team0 + j))
                return co_error_set(err, CO_ENOMEM, "demo: out of memory planning campaigns");
            planned += p->campaigns[p->ncampaigns - 1].size;
        }
    }
    return CO_OK;
}

co_code demo_plan_build(demo_plan *p, co_error *err)
{
    p->events_per_recipient = demo_events_per_recipient();
    co_code rc = plan_tenants(p, err);
    if (rc == CO_OK)
        rc = plan_owners(p, err);
    if (rc == CO_OK)
        rc = plan_campaigns(p, err);
    return rc;
}

static int by_time(const void *a, const void *b)
{
    const demo_campaign *x = a, *y = b;
    if (x->sent_at != y->sent_at)
        return x->sent_at < y->sent_at ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct forced_pair {
    uint32_t campaign; /* index in id order */
    uint32_t contact;
} forced_pair;

static int by_campaign(const void *a, const void *b)
{
    const forced_pair *x = a, *y = b;
    if (x->campaign != y->campaign)
        return x->campaign < y->campaign ? -1 : 1;
    return x->contact < y->contact ? -1 : x->contact > y->contact;
}

co_code demo_plan_order(demo_plan *p, co_error *err)
{
    qsort(p->campaigns, p->ncampaigns, sizeof *p->campaigns, by_time);
    uint32_t *index_of = malloc(sizeof *index_of * (p->ncampaigns ? p->ncampaigns : 1));
    forced_pair *pairs = malloc(sizeof *pairs * (p->nforced ? p->nforced : 1));
    if (!index_of || !pairs) {
        free(index_of);
        free(pairs);
        return co_error_set(err, CO_ENOMEM, "demo: out of memory ordering campaigns");
    }
    for (uint32_t i = 0; i < p->ncampaigns; i++)
        index_of[p->campaigns[i].seq] = i;
    for (uint32_t i = 0; i < p->nforced; i++) {
        pairs[i].campaign = index_of[p->forced_seq[i]];
        pairs[i].contact = p->forced[i];
    }
    qsort(pairs, p->nforced, sizeof *pairs, by_campaign);
    for (uint32_t i = 0; i < p->nforced; i++) {
        demo_campaign *c = &p->campaigns[pairs[i].campaign];
        if (c->nforced == 0)
            c->forced_off = i;
        c->nforced++;
        p->forced[i] = pairs[i].contact;
    }
    free(index_of);
    free(pairs);
    return CO_OK;
}

demo_plant *demo_plan_plant(const demo_plan *p, uint32_t id)
{
    uint32_t lo = 0, hi = p->nplants;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->plants[mid].contact < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->nplants && p->plants[lo].contact == id ? &p->plants[lo] : NULL;
}

void demo_plan_release(demo_plan *p)
{
    for (uint32_t i = 0; i < p->nplants; i++) {
        free(p->plants[i].email);
        free(p->plants[i].domain);
    }
    CO_FREE(p->plants, p->tenants, p->teams, p->cinfo, p->members, p->campaigns, p->forced,
            p->forced_seq);
    memset(p, 0, sizeof *p);
}
