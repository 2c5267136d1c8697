/*
 * planted.c: the problems planted in the demo's legacy data, chosen before
 * any row is written so that every count is exact, and planted.json, which
 * lists them per tenant.
 *
 * Rules (every non-clean tenant; "contacts" = the ids given to the tenant,
 * deleted ones included; a contact carries at most one plant):
 *   clean tenants        id % 7 == 0: nothing planted
 *   duplicate pairs      max(1, round(contacts / 100)) when 2+ teams have
 *                        contacts: the same person in two teams, e-mail and
 *                        company domain in another case (cnn.com / CNN.com)
 *   many tags            id % 5 == 1: one contact with exactly 94 tags;
 *                        else id % 10 == 3: one with 100..120 tags
 *   invalid UTF-8 name   id % 4 == 2: one last name with the byte 0x96
 *   malformed e-mails    max(1, round(contacts * 0.003))
 *   deleted contacts     max(1, round(contacts * 0.0005)), each made a
 *                        recipient of a campaign so that it leaves orphan
 *                        events (about 0.05% of events)
 */
#include "demo/demo_int.h"
#include "util/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct plant_list {
    demo_plant *items;
    uint32_t n, cap;
} plant_list;

static demo_plant *plant_add(plant_list *l, demo_plan *p, uint32_t id, uint32_t tenant,
                             demo_plant_kind kind)
{
    if (l->n == l->cap) {
        uint32_t ncap = l->cap ? l->cap * 2 : 256;
        demo_plant *it = realloc(l->items, sizeof *it * ncap);
        if (!it)
            return NULL;
        l->items = it;
        l->cap = ncap;
    }
    demo_plant *pl = &l->items[l->n++];
    memset(pl, 0, sizeof *pl);
    pl->contact = id;
    pl->tenant = tenant;
    pl->kind = kind;
    p->cinfo[id - 1].flags |= DEMO_F_PLANTED;
    return pl;
}

/* A random contact of the tenant that carries no plant yet; 0 when none
 * turns up (only possible in a tenant far smaller than any the plan makes). */
static uint32_t pick_free(const demo_plan *p, demo_rng *r, const demo_tenant *t)
{
    for (int tries = 0; tries < 10000; tries++) {
        uint32_t id = p->members[t->off + demo_rng_below(r, t->ncontacts)];
        if (!(p->cinfo[id - 1].flags & DEMO_F_PLANTED))
            return id;
    }
    return 0;
}

static bool force_recipient(demo_plan *p, uint32_t id, uint32_t campaign_seq)
{
    if (p->nforced == p->forced_cap) {
        uint32_t ncap = p->forced_cap ? p->forced_cap * 2 : 256;
        uint32_t *a = realloc(p->forced, sizeof *a * ncap);
        if (!a)
            return false;
        p->forced = a;
        uint32_t *b = realloc(p->forced_seq, sizeof *b * ncap);
        if (!b)
            return false;
        p->forced_seq = b;
        p->forced_cap = ncap;
    }
    p->forced[p->nforced] = id;
    p->forced_seq[p->nforced] = campaign_seq;
    p->nforced++;
    return true;
}

static uint32_t count_of(double x)
{
    long long n = llround(x);
    return n < 1 ? 1 : (uint32_t)n;
}

static bool plant_tenant(demo_plan *p, plant_list *l, uint32_t ti)
{
    const demo_tenant *t = &p->tenants[ti];
    demo_rng r;
    demo_rng_init(&r, p->seed, DEMO_S_PLANTS, (uint64_t)t->id);
    uint32_t teams_used = 0;
    for (uint32_t j = 0; j < t->nteams; j++)
        teams_used += p->teams[t->team0 + j].count > 0;

    if (teams_used >= 2) {
        uint32_t pairs = count_of(t->ncontacts / 100.0);
        for (uint32_t k = 0; k < pairs; k++) {
            uint32_t a = pick_free(p, &r, t), b = 0;
            for (int tries = 0; a && tries < 1000 && !b; tries++) {
                uint32_t c = pick_free(p, &r, t);
                if (c && c != a && p->cinfo[c - 1].team != p->cinfo[a - 1].team)
                    b = c;
            }
            if (!a || !b)
                break;
            demo_plant *pa = plant_add(l, p, a, ti, DEMO_P_DUP_A);
            if (!pa)
                return false;
            pa->twin = b;
            demo_plant *pb = plant_add(l, p, b, ti, DEMO_P_DUP_B);
            if (!pb)
                return false;
            pb->twin = a;
        }
    }
    uint32_t ntags = t->id % 5 == 1    ? 94
                     : t->id % 10 == 3 ? 100 + (uint32_t)demo_rng_below(&r, 21)
                                       : 0;
    if (ntags) {
        uint32_t id = pick_free(p, &r, t);
        demo_plant *pl = id ? plant_add(l, p, id, ti, DEMO_P_MANY_TAGS) : NULL;
        if (id && !pl)
            return false;
        if (pl)
            pl->ntags = ntags;
    }
    if (t->id % 4 == 2) {
        uint32_t id = pick_free(p, &r, t);
        if (id && !plant_add(l, p, id, ti, DEMO_P_BAD_UTF8))
            return false;
    }
    uint32_t bad = count_of(t->ncontacts * 0.003);
    for (uint32_t k = 0; k < bad; k++) {
        uint32_t id = pick_free(p, &r, t);
        if (!id)
            break;
        if (!plant_add(l, p, id, ti, DEMO_P_BAD_EMAIL))
            return false;
        p->cinfo[id - 1].flags |= DEMO_F_BOUNCES;
    }
    uint32_t deleted = count_of(t->ncontacts * 0.0005);
    for (uint32_t k = 0; k < deleted; k++) {
        uint32_t id = pick_free(p, &r, t);
        if (!id)
            break;
        const demo_team *team = &p->teams[t->team0 + p->cinfo[id - 1].team];
        if (!plant_add(l, p, id, ti, DEMO_P_DELETED) ||
            !force_recipient(p, id, team->first_campaign))
            return false;
        p->cinfo[id - 1].flags |= DEMO_F_DELETED;
    }
    return true;
}

static int by_contact(const void *a, const void *b)
{
    const demo_plant *x = a, *y = b;
    return x->contact < y->contact ? -1 : x->contact > y->contact;
}

co_code demo_plants_choose(demo_plan *p, co_error *err)
{
    plant_list l = {0};
    for (uint32_t ti = 0; ti < p->ntenants; ti++) {
        if (p->tenants[ti].clean)
            continue;
        if (!plant_tenant(p, &l, ti)) {
            free(l.items);
            return co_error_set(err, CO_ENOMEM, "demo: out of memory planting problems");
        }
    }
    if (l.n)
        qsort(l.items, l.n, sizeof *l.items, by_contact);
    p->plants = l.items;
    p->nplants = l.n;
    return CO_OK;
}

/* ---- planted.json ---- */

typedef struct tenant_plants {
    uint32_t dup_pairs, many_tags, bad_utf8, bad_email, deleted;
    int64_t bad_email_events, bad_email_tags, bad_utf8_events, bad_utf8_tags;
} tenant_plants;

static int by_tenant(const void *a, const void *b)
{
    const demo_plant *x = *(const demo_plant *const *)a, *y = *(const demo_plant *const *)b;
    if (x->tenant != y->tenant)
        return x->tenant < y->tenant ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->contact < y->contact ? -1 : x->contact > y->contact;
}

typedef struct pair {
    uint32_t lo, hi;
} pair;

static int by_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void ids_array(co_buf *b, demo_plant *const *v, uint32_t n, demo_plant_kind kind)
{
    bool first = true;
    Co_buf_addc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (v[i]->kind != kind)
            continue;
        Co_buf_printf(b, "%s%u", first ? "" : ",", v[i]->contact);
        first = false;
    }
    Co_buf_addc(b, ']');
}

static void tenant_json(co_buf *b, const demo_plan *p, uint32_t ti, demo_plant *const *v,
                        uint32_t n, tenant_plants *tp)
{
    const demo_tenant *t = &p->tenants[ti];
    memset(tp, 0, sizeof *tp);
    for (uint32_t i = 0; i < n; i++) {
        const demo_plant *pl = v[i];
        switch (pl->kind) {
        case DEMO_P_DUP_A: tp->dup_pairs++; break;
        case DEMO_P_DUP_B: break;
        case DEMO_P_MANY_TAGS: tp->many_tags++; break;
        case DEMO_P_BAD_UTF8:
            tp->bad_utf8++;
            tp->bad_utf8_events += pl->events;
            tp->bad_utf8_tags += pl->tags;
            break;
        case DEMO_P_BAD_EMAIL:
            tp->bad_email++;
            tp->bad_email_events += pl->events;
            tp->bad_email_tags += pl->tags;
            break;
        case DEMO_P_DELETED: tp->deleted++; break;
        }
    }
    Co_buf_printf(b, "{\"id\":%lld,\"name\":", (long long)t->id);
    Co_json_str(b, t->name);
    Co_buf_printf(b, ",\"clean\":%s,\"teams\":%u,\"contacts\":%lld,\"campaigns\":%lld,"
                     "\"events\":%lld,",
                  t->clean ? "true" : "false", t->nteams, (long long)t->contacts,
                  (long long)t->campaigns, (long long)t->events);
    Co_buf_adds(b, "\"duplicate_pairs\":[");
    pair *pairs = malloc(sizeof *pairs * (tp->dup_pairs ? tp->dup_pairs : 1));
    uint32_t np = 0;
    if (!pairs) {
        b->failed = true;
    } else {
        for (uint32_t i = 0; i < n; i++) {
            if (v[i]->kind != DEMO_P_DUP_A)
                continue;
            uint32_t x = v[i]->contact, y = v[i]->twin;
            pairs[np].lo = x < y ? x : y;
            pairs[np].hi = x < y ? y : x;
            np++;
        }
        qsort(pairs, np, sizeof *pairs, by_pair);
    }
    for (uint32_t i = 0; i < np; i++)
        Co_buf_printf(b, "%s[%u,%u]", i ? "," : "", pairs[i].lo, pairs[i].hi);
    free(pairs);
    Co_buf_adds(b, "],\"many_tags\":[");
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        if (v[i]->kind != DEMO_P_MANY_TAGS)
            continue;
        Co_buf_printf(b, "%s{\"contact\":%u,\"tags\":%u}", first ? "" : ",", v[i]->contact,
                      v[i]->ntags);
        first = false;
    }
    Co_buf_adds(b, "],\"malformed_emails\":");
    ids_array(b, v, n, DEMO_P_BAD_EMAIL);
    Co_buf_adds(b, ",\"invalid_utf8_names\":");
    ids_array(b, v, n, DEMO_P_BAD_UTF8);
    Co_buf_adds(b, ",\"deleted_contacts\":");
    ids_array(b, v, n, DEMO_P_DELETED);
    Co_buf_printf(b,
                  ",\"orphan_events\":%lld,\"malformed_email_events\":%lld,"
                  "\"malformed_email_tags\":%lld,\"invalid_utf8_events\":%lld,"
                  "\"invalid_utf8_tags\":%lld}",
                  (long long)t->orphan_events, (long long)tp->bad_email_events,
                  (long long)tp->bad_email_tags, (long long)tp->bad_utf8_events,
                  (long long)tp->bad_utf8_tags);
}

void demo_plants_json(const demo_plan *p, co_buf *out)
{
    demo_plant **v = malloc(sizeof *v * (p->nplants ? p->nplants : 1));
    if (!v) {
        out->failed = true;
        return;
    }
    for (uint32_t i = 0; i < p->nplants; i++)
        v[i] = &p->plants[i];
    qsort(v, p->nplants, sizeof *v, by_tenant);

    co_buf tenants = CO_BUF_INIT;
    tenant_plants sum = {0};
    int64_t orphans = 0;
    uint32_t clean = 0, at = 0;
    for (uint32_t ti = 0; ti < p->ntenants; ti++) {
        uint32_t start = at;
        while (at < p->nplants && v[at]->tenant == ti)
            at++;
        tenant_plants tp;
        if (ti)
            Co_buf_adds(&tenants, ",\n  ");
        tenant_json(&tenants, p, ti, v + start, at - start, &tp);
        sum.dup_pairs += tp.dup_pairs;
        sum.many_tags += tp.many_tags;
        sum.bad_utf8 += tp.bad_utf8;
        sum.bad_email += tp.bad_email;
        sum.deleted += tp.deleted;
        orphans += p->tenants[ti].orphan_events;
        clean += p->tenants[ti].clean;
    }
    free(v);

    Co_buf_printf(out, "{\"seed\":%llu,\"scale\":%.15g,\"now\":",
                  (unsigned long long)p->seed, p->scale);
    Co_json_str(out, p->now_text);
    Co_buf_printf(out,
                  ",\n \"totals\":{\"tenants\":%u,\"clean_tenants\":%u,\"teams\":%lld,"
                  "\"contacts\":%lld,\"campaigns\":%lld,\"events\":%lld,"
                  "\"duplicate_pairs\":%u,\"many_tag_contacts\":%u,\"malformed_emails\":%u,"
                  "\"invalid_utf8_names\":%u,\"deleted_contacts\":%u,\"orphan_events\":%lld}",
                  p->ntenants, clean, (long long)p->sum.teams, (long long)p->sum.contacts,
                  (long long)p->sum.campaigns, (long long)p->sum.events, sum.dup_pairs,
                  sum.many_tags, sum.bad_email, sum.bad_utf8, sum.deleted, (long long)orphans);
    Co_buf_adds(out,
                ",\n \"rules\":{"
                "\"clean_tenants\":\"id % 7 == 0: nothing planted\","
                "\"duplicate_pairs\":\"max(1, round(ids/100)) when 2+ teams have contacts\","
                "\"many_tags\":\"id % 5 == 1: one contact with 94 tags; else id % 10 == 3: "
                "one with 100..120\","
                "\"invalid_utf8_names\":\"id % 4 == 2: one last_name with byte 0x96\","
                "\"malformed_emails\":\"max(1, round(ids * 0.003))\","
                "\"deleted_contacts\":\"max(1, round(ids * 0.0005)), each with events\","
                "\"ids\":\"contact ids given to the tenant, deleted ones included\"}");
    Co_buf_adds(out, ",\n \"tenants\":[\n  ");
    Co_buf_add(out, co_buf_str(&tenants), tenants.len);
    if (tenants.failed)
        out->failed = true;
    Co_buf_release(&tenants);
    Co_buf_adds(out, "\n ],\n \"never_filled_columns\":[\"contacts.fax\","
                     "\"contacts.legacy_score\",\"contacts.custom3\"]}\n");
}
