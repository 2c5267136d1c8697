/*
 * mapping.c: event mappings in the journal (event_mappings and
 * event_mapping_rules): which raw event of a source becomes which canonical
 * event, which are excluded and which are negative. Versions are numbered
 * per source; at most one version of a source is "on".
 */
#include "state/journal.h"
#include "scoring/scoring_int.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"event", "excluded", "negative"};

const char *co_ev_kind_name(co_ev_kind k) { return kind_names[k]; }

bool co_ev_kind_parse(const char *s, co_ev_kind *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (co_ev_kind)i;
            return true;
        }
    return false;
}

void co_mapping_release(co_mapping *m)
{
    if (!m)
        return;
    CO_FREE(m->source, m->status, m->origin, m->updated_at);
    for (size_t i = 0; i < m->nrules; i++) {
        free(m->rules[i].raw);
        free(m->rules[i].canonical);
    }
    free(m->rules);
    memset(m, 0, sizeof *m);
}

static co_code add_rule(co_mapping *m, const char *raw, const char *canonical, co_ev_kind kind,
                        co_error *err)
{
    for (size_t i = 0; i < m->nrules; i++)
        if (strcmp(m->rules[i].raw, raw) == 0)
            return co_error_set(err, CO_EUSAGE, "raw event \"%s\" is mapped twice", raw);
    if (!CO_RESIZE(m->rules, m->nrules + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_mapping_rule *r = &m->rules[m->nrules];
    r->raw = sc_dup(raw);
    r->canonical = sc_dup(kind == CO_EV_EXCLUDED ? "" : canonical);
    r->kind = kind;
    if (!r->raw || !r->canonical) {
        free(r->raw);
        free(r->canonical);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    m->nrules++;
    return CO_OK;
}

static co_code rule_line(void *ctx, char **f, int n, const char *path, int line, co_error *err)
{
    co_mapping *m = ctx;
    co_ev_kind kind = CO_EV_EVENT;
    co_code rc = CO_OK;
    if (n < 2 || n > 3 || !*f[0])
        rc = co_error_set(err, CO_EUSAGE,
                          "expected raw_event,canonical_event[,event|excluded|negative]");
    else if (n == 3 && *f[2] && !co_ev_kind_parse(f[2], &kind))
        rc = co_error_set(err, CO_EUSAGE, "kind \"%.60s\" is not event, excluded or negative",
                          f[2]);
    else if (kind != CO_EV_EXCLUDED && !*f[1])
        rc = co_error_set(err, CO_EUSAGE, "raw event \"%.60s\" needs a canonical event", f[0]);
    else
        rc = add_rule(m, f[0], f[1], kind, err);
    if (rc != CO_OK)
        co_error_where(err, "%s:%d", path, line);
    return rc;
}

co_code co_mapping_read_file(const char *path, co_mapping *m, co_error *err)
{
    co_code rc = sc_csv_read(path, rule_line, m, err);
    if (rc == CO_OK && !m->nrules)
        rc = co_error_set(err, CO_EUSAGE, "%s maps no event", path);
    return rc;
}

static co_code turn_others_off(co_state *st, const char *source, int64_t keep, co_error *err)
{
    char now[32];
    sc_now(now, sizeof now);
    return Co_state_mapping_others_off(st, source, keep, now, err);
}

co_code co_mapping_save(co_state *st, const co_mapping *m, const char *status, int64_t *id,
                        co_error *err)
{
    co_code rc = co_state_begin(st, err);
    if (rc != CO_OK)
        return rc;
    char now[32];
    sc_now(now, sizeof now);
    co_jmapping row = {.source = m->source, .status = status,
                       .origin = m->origin ? m->origin : "", .updated_at = now};
    rc = Co_state_mapping_add(st, &row, id, err);
    for (size_t i = 0; rc == CO_OK && i < m->nrules; i++) {
        const co_mapping_rule *r = &m->rules[i];
        rc = Co_state_mapping_rule_add(st, *id, r->raw, r->canonical, co_ev_kind_name(r->kind),
                                       err);
    }
    if (rc == CO_OK && strcmp(status, "on") == 0)
        rc = turn_others_off(st, m->source, *id, err);
    if (rc == CO_OK)
        return co_state_commit(st, err);
    co_state_rollback(st);
    return rc;
}

static co_code rule_of(void *ctx, const char *raw, const char *canonical, const char *kind,
                       co_error *err)
{
    co_ev_kind k = CO_EV_EVENT;
    co_ev_kind_parse(kind ? kind : "", &k);
    return add_rule(ctx, raw, canonical, k, err);
}

static co_code load_rules(co_state *st, co_mapping *m, co_error *err)
{
    return Co_state_mapping_rules_each(st, m->id, rule_of, m, err);
}

static co_code read_header(const co_jmapping *r, co_mapping *m)
{
    m->id = r->id;
    m->source = sc_dup(r->source);
    m->version = r->version;
    m->status = sc_dup(r->status);
    m->origin = sc_dup(r->origin);
    m->updated_at = sc_dup(r->updated_at);
    return m->source && m->status && m->origin && m->updated_at ? CO_OK : CO_ENOMEM;
}

typedef struct {
    co_mapping *one; /* load: the mapping, with found */
    bool found;
    co_mapping **all; /* list: the mappings, with n */
    size_t *n;
} mappings_read;

static co_code mapping_of(void *ctx, const co_jmapping *r, co_error *err)
{
    mappings_read *mr = ctx;
    co_mapping *m = mr->one;
    if (!m) {
        co_mapping *grown = realloc(*mr->all, (*mr->n + 1) * sizeof *grown);
        if (!grown)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        *mr->all = grown;
        m = &grown[(*mr->n)++];
        memset(m, 0, sizeof *m);
    }
    mr->found = true;
    return read_header(r, m) == CO_OK ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* The mapping id, or the current one of source, into *out with its rules. */
static co_code load_where(co_state *st, int64_t id, const char *source, co_mapping *out,
                          bool *found, co_error *err)
{
    memset(out, 0, sizeof *out);
    mappings_read mr = {out, false, NULL, NULL};
    co_code rc = id || source ? Co_state_mappings_each(st, id, source, mapping_of, &mr, err)
                              : CO_OK;
    if (rc == CO_OK && mr.found)
        rc = load_rules(st, out, err);
    if (rc != CO_OK)
        co_mapping_release(out);
    *found = mr.found;
    return rc;
}

co_code co_mapping_load(co_state *st, int64_t id, co_mapping *out, co_error *err)
{
    bool found = false;
    co_code rc = load_where(st, id, NULL, out, &found, err);
    if (rc == CO_OK && !found)
        rc = co_error_set(err, CO_ENOTFOUND, "no event mapping %lld", (long long)id);
    return rc;
}

co_code co_mapping_find(co_state *st, const char *ref, co_mapping *out, co_error *err)
{
    char *end = NULL;
    long long id = strtoll(ref, &end, 10);
    if (*ref && end && !*end)
        return co_mapping_load(st, id, out, err);
    bool found = false;
    co_code rc = load_where(st, 0, ref, out, &found, err);
    if (rc == CO_OK && !found)
        rc = co_error_set(err, CO_ENOTFOUND,
                          "event source \"%s\" has no mapping (cutover events mapping import)",
                          ref);
    return rc;
}

co_code co_mapping_list(co_state *st, co_mapping **out, size_t *n, co_error *err)
{
    *out = NULL;
    *n = 0;
    mappings_read mr = {NULL, false, out, n};
    co_code rc = Co_state_mappings_each(st, 0, NULL, mapping_of, &mr, err);
    for (size_t i = 0; rc == CO_OK && i < *n; i++)
        rc = load_rules(st, &(*out)[i], err);
    return rc;
}

co_code co_mapping_set_status(co_state *st, int64_t id, const char *status, co_error *err)
{
    co_mapping m;
    co_code rc = co_mapping_load(st, id, &m, err);
    if (rc != CO_OK)
        return rc;
    char now[32];
    sc_now(now, sizeof now);
    rc = Co_state_mapping_set_status(st, id, status, now, err);
    if (rc == CO_OK && strcmp(status, "on") == 0)
        rc = turn_others_off(st, m.source, id, err);
    co_mapping_release(&m);
    return rc;
}

/* The rename table, as a map old raw name -> new raw name. */
static co_code rename_line(void *ctx, char **f, int n, const char *path, int line, co_error *err)
{
    if (n != 2 || !*f[0]) {
        co_error_set(err, CO_EUSAGE, "expected old_raw_event,new_raw_event (empty: none)");
        co_error_where(err, "%s:%d", path, line);
        return CO_EUSAGE;
    }
    if (!Co_map_put(ctx, f[0], strlen(f[0]), f[1], strlen(f[1]) + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

co_code co_mapping_duplicate(co_state *st, int64_t from, const char *to_source,
                             const char *rename_path, int64_t *id, co_error *err)
{
    co_mapping old, copy;
    memset(&copy, 0, sizeof copy);
    co_code rc = co_mapping_load(st, from, &old, err);
    if (rc != CO_OK)
        return rc;
    co_map renames;
    Co_map_init(&renames);
    if (rename_path)
        rc = sc_csv_read(rename_path, rename_line, &renames, err);
    char origin[96];
    snprintf(origin, sizeof origin, "duplicate of mapping %lld (%.40s v%lld)", (long long)old.id,
             old.source, (long long)old.version);
    copy.source = sc_dup(to_source);
    copy.origin = sc_dup(origin);
    if (rc == CO_OK && (!copy.source || !copy.origin))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CO_OK && i < old.nrules; i++) {
        const co_mapping_rule *r = &old.rules[i];
        const char *renamed = NULL;
        if (!Co_map_get(&renames, r->raw, strlen(r->raw), &renamed, NULL))
            renamed = r->raw;
        /* An empty new name: the new source has no such event, so the copy
         * excludes it and drafts leave its canonical event out. */
        if (!*renamed)
            rc = add_rule(&copy, r->raw, "", CO_EV_EXCLUDED, err);
        else
            rc = add_rule(&copy, renamed, r->canonical, r->kind, err);
    }
    if (rc == CO_OK)
        rc = co_mapping_save(st, &copy, "off", id, err);
    Co_map_release(&renames);
    co_mapping_release(&copy);
    co_mapping_release(&old);
    return rc;
}
