/*
 * tenant.c: the per-tenant part of the audit (audit.h). Each tenant is loaded
 * into a scratch copy of the target's tables in a temporary directory, with a
 * journal of its own: what the scratch target refuses is exactly what the
 * real one would, by entity and rule. The real target, the real journal and
 * the source are never written. Duplicate clusters come from each entity's
 * `duplicates` rule; sizes from the rows the entity queries return.
 */
#include "cutover/audit.h"
#include "dedupe/normalize.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/key.h"
#include "util/map.h"

#include "util/fs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_ROWS_PER_SECOND 50000.0
#define MAX_SHOWN_CLUSTERS 20

const char *co_size_class(int64_t rows)
{
    return rows < 10000 ? "S" : rows < 100000 ? "M" : rows < 1000000 ? "L" : "XL";
}

void co_tenant_audits_free(co_tenant_audit *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].tenant);
        free(a[i].label);
        free(a[i].entity_rows);
        for (size_t k = 0; k < a[i].nlimits; k++) {
            free(a[i].limits[k].entity);
            free(a[i].limits[k].rule);
            free(a[i].limits[k].reason);
            free(a[i].limits[k].examples);
        }
        free(a[i].limits);
        for (size_t k = 0; k < a[i].nduplicates; k++) {
            free(a[i].duplicates[k].entity);
            free(a[i].duplicates[k].key);
            free(a[i].duplicates[k].examples);
        }
        free(a[i].duplicates);
    }
    free(a);
}

/* ---- the scratch target ---- */

typedef struct scratch {
    char dir[256];
    co_session session; /* source: the real one; dest and state: scratch */
    bool open;
} scratch;

static void scratch_close(scratch *sc)
{
    co_store_close(sc->session.dest);
    co_state_close(sc->session.state);
    sc->session.dest = NULL;
    sc->session.state = NULL;
    if (sc->dir[0])
        co_remove_tree(sc->dir);
    sc->dir[0] = '\0';
}

/* Creates the scratch directory, target (the real target's tables, without
 * secondary indexes: constraints are what matter) and journal. */
static co_code scratch_open(co_session *s, scratch *sc, co_error *err)
{
    memset(sc, 0, sizeof *sc);
    const char *tmp = getenv("TMPDIR");
    snprintf(sc->dir, sizeof sc->dir, "%s/cutover-audit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sc->dir)) {
        sc->dir[0] = '\0';
        return co_error_set(err, CO_EIO, "cannot create a scratch directory for the audit");
    }
    char path[320];
    snprintf(path, sizeof path, "%s/target.db", sc->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return co_error_set(err, CO_EIO, "cannot create %s", path);
    fclose(f);
    char uri[340];
    snprintf(uri, sizeof uri, "sqlite:%s", path);
    co_code rc = co_store_open(uri, CO_SIDE_STAGING, NULL, &sc->session.dest, err);
    if (rc == CO_OK)
        /* Fast, but with a journal: a refused row must undo its statement. */
        rc = co_store_exec(sc->session.dest,
                           "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF", err);
    co_cursor *c = NULL;
    if (rc == CO_OK)
        rc = co_store_query(s->dest,
                            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND sql IS NOT NULL"
                            " AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
                            NULL, 0, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_value sql = co_cursor_value(c, 0);
        if (sql.type == CO_TEXT)
            rc = co_store_exec(sc->session.dest, sql.s, err);
    }
    co_cursor_close(c);
    snprintf(uri, sizeof uri, "sqlite:%s/state.db", sc->dir);
    if (rc == CO_OK)
        rc = co_state_open(uri, NULL, &sc->session.state, err);
    if (rc == CO_OK)
        rc = co_state_setup(sc->session.state, s->project->hash, s->project->path, true, err);
    sc->session.project = s->project;
    sc->session.source = s->source;
    return rc;
}

/* ---- findings of one tenant ---- */

static char *dup_value(co_value v)
{
    return v.type == CO_TEXT ? strndup(v.s, v.len) : strdup("");
}

/* The rows the scratch target refused, by entity and rule, with examples. */
static co_code collect_limits(scratch *sc, const co_tenant *t, co_tenant_audit *a, co_error *err)
{
    co_store *st = co_state_store(sc->session.state);
    co_param p = {NULL, co_text(t->key, strlen(t->key))};
    co_cursor *c = NULL;
    co_code rc = co_store_query(st,
                                "SELECT entity, rule, count(*), min(reason),"
                                " (SELECT json_group_array(json(k.source_key)) FROM"
                                "   (SELECT source_key FROM rejects r2 WHERE r2.tenant = r.tenant"
                                "    AND r2.entity = r.entity AND r2.rule = r.rule"
                                "    ORDER BY rowid LIMIT 3) AS k)"
                                " FROM rejects r WHERE tenant = ? GROUP BY entity, rule"
                                " ORDER BY entity, rule",
                                &p, 1, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_limit_finding *grown = realloc(a->limits, (a->nlimits + 1) * sizeof *grown);
        if (!grown) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        a->limits = grown;
        co_limit_finding *f = &a->limits[a->nlimits++];
        f->entity = dup_value(co_cursor_value(c, 0));
        f->rule = dup_value(co_cursor_value(c, 1));
        f->rows = co_cursor_value(c, 2).i;
        f->reason = dup_value(co_cursor_value(c, 3));
        f->examples = dup_value(co_cursor_value(c, 4));
        a->limit_rows += f->rows;
    }
    co_cursor_close(c);
    return rc;
}

typedef struct cluster_stats {
    int64_t members;
    char examples[200]; /* a JSON array in the making: up to 5 keys */
} cluster_stats;

/* Clusters of rows of one entity that share their normalized values. */
static co_code collect_duplicates(co_session *s, const co_tenant *t, const co_entity *e,
                                  co_tenant_audit *a, co_error *err)
{
    co_param tenant = {":tenant", t->value};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s->source, e->query, &tenant, 1, &c, err);
    if (rc != CO_OK)
        return rc;
    size_t ncols = co_cursor_ncols(c);
    size_t dup_idx[16], key_idx[16];
    size_t ndup = e->nduplicates < 16 ? e->nduplicates : 16, nkey = e->nkey < 16 ? e->nkey : 16;
    for (size_t d = 0; d < ndup; d++)
        for (dup_idx[d] = 0; dup_idx[d] < ncols &&
                             strcmp(co_cursor_colname(c, dup_idx[d]), e->duplicates[d].column) != 0;
             dup_idx[d]++)
            ;
    for (size_t k = 0; k < nkey; k++)
        for (key_idx[k] = 0; key_idx[k] < ncols &&
                             strcmp(co_cursor_colname(c, key_idx[k]), e->key[k]) != 0;
             key_idx[k]++)
            ;
    co_map clusters;
    co_map_init(&clusters);
    co_buf norm = CO_BUF_INIT, key = CO_BUF_INIT;
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        co_buf_reset(&norm);
        bool usable = true;
        for (size_t d = 0; d < ndup && usable; d++) {
            if (dup_idx[d] >= ncols) {
                usable = false;
                break;
            }
            co_value v = co_cursor_value(c, dup_idx[d]);
            if (v.type != CO_TEXT || v.len == 0) {
                usable = false;
                break;
            }
            if (d)
                co_buf_addc(&norm, '\x1f');
            switch (e->duplicates[d].norm) {
            case CO_NORM_CASEFOLD: usable = co_norm_casefold(v.s, v.len, &norm); break;
            case CO_NORM_EMAIL: usable = co_norm_email(v.s, v.len, &norm); break;
            case CO_NORM_DOMAIN: usable = co_norm_domain(v.s, v.len, &norm); break;
            case CO_NORM_NAME: usable = co_norm_name(v.s, v.len, &norm); break;
            }
        }
        if (!usable || norm.len == 0)
            continue;
        co_value kv[16];
        for (size_t k = 0; k < nkey; k++)
            kv[k] = key_idx[k] < ncols ? co_cursor_value(c, key_idx[k]) : co_null();
        co_buf_reset(&key);
        co_key_encode(&key, kv, nkey);
        cluster_stats cs = {0, "["};
        const char *old;
        size_t olen;
        if (co_map_get(&clusters, norm.data, norm.len, &old, &olen) && olen == sizeof cs)
            memcpy(&cs, old, sizeof cs);
        cs.members++;
        size_t used = strlen(cs.examples);
        if (cs.members <= 5 && used + key.len + 2 < sizeof cs.examples)
            snprintf(cs.examples + used, sizeof cs.examples - used, "%s%s",
                     cs.members > 1 ? "," : "", key.data);
        if (norm.failed || key.failed || !co_map_put(&clusters, norm.data, norm.len, &cs, sizeof cs))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    size_t pos = 0;
    const char *k, *v;
    size_t klen, vlen;
    while (rc == CO_OK && co_map_next(&clusters, &pos, &k, &klen, &v, &vlen)) {
        cluster_stats cs;
        memcpy(&cs, v, sizeof cs);
        if (cs.members < 2)
            continue;
        a->duplicate_clusters++;
        if (a->nduplicates >= MAX_SHOWN_CLUSTERS)
            continue;
        co_duplicate_cluster *grown = realloc(a->duplicates, (a->nduplicates + 1) * sizeof *grown);
        if (!grown) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        a->duplicates = grown;
        co_duplicate_cluster *dc = &a->duplicates[a->nduplicates++];
        dc->entity = strdup(e->name);
        dc->key = strndup(k, klen);
        dc->members = cs.members;
        size_t used = strlen(cs.examples);
        snprintf(cs.examples + used, sizeof cs.examples - used, "]");
        dc->examples = strdup(cs.examples);
        for (char *p = dc->key; p && *p; p++) /* the separator, shown readably */
            if (*p == '\x1f')
                *p = '|';
    }
    co_map_release(&clusters);
    co_buf_release(&norm);
    co_buf_release(&key);
    return rc;
}

/* Rows per second of the migrations the journal recorded, or 0 when none. */
static double measured_throughput(co_session *s)
{
    co_cursor *c = NULL;
    co_error ignored;
    double rate = 0;
    bool has_row;
    if (co_store_query(co_state_store(s->state),
                       "SELECT sum(st.source_rows), sum(st.seconds) FROM steps st"
                       " JOIN runs r ON r.id = st.run_id"
                       " WHERE r.command = 'migrate' AND r.status = 'done' AND st.status = 'done'",
                       NULL, 0, &c, &ignored) == CO_OK &&
        co_cursor_next(c, &has_row, &ignored) == CO_OK && has_row) {
        double rows = (double)co_cursor_value(c, 0).i, seconds = co_cursor_value(c, 1).r;
        if (rows > 1000 && seconds > 0.01)
            rate = rows / seconds;
    }
    co_cursor_close(c);
    return rate;
}

co_code co_audit_tenants(co_session *s, const co_tenant *ts, size_t n, co_progress_fn progress,
                         void *progress_ctx, co_tenant_audit **out, co_error *err)
{
    *out = NULL;
    co_tenant_audit *audits = calloc(n ? n : 1, sizeof *audits);
    if (!audits)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    bool sqlite_target = strcmp(co_store_engine(s->dest), "sqlite") == 0;
    scratch sc = {0};
    co_code rc = sqlite_target ? scratch_open(s, &sc, err) : CO_OK;
    double rate = measured_throughput(s);
    char rejects_dir[300];
    snprintf(rejects_dir, sizeof rejects_dir, "%s/rejects", sc.dir);
    const co_project *p = s->project;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        const co_tenant *t = &ts[i];
        co_tenant_audit *a = &audits[i];
        a->tenant = strdup(t->key);
        a->label = t->label ? strdup(t->label) : NULL;
        a->nentities = p->nentities;
        a->entity_rows = calloc(p->nentities ? p->nentities : 1, sizeof *a->entity_rows);
        if (!a->tenant || !a->entity_rows) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        if (progress) {
            co_progress pr = {t->key, "auditing", i, n, (int64_t)i, (int64_t)n, false};
            progress(progress_ctx, &pr);
        }
        if (sqlite_target) {
            co_migrate_options opt = {0};
            opt.again = true;
            opt.rejects_dir = rejects_dir;
            co_migrate_result res;
            rc = co_migrate_tenant(&sc.session, t, &opt, &res, err);
            for (size_t e = 0; rc == CO_OK && e < res.nentities; e++) {
                a->entity_rows[e] = res.entities[e].source_rows;
                a->rows += res.entities[e].source_rows;
                a->bytes += res.entities[e].bytes;
            }
            co_migrate_result_release(&res);
            if (rc == CO_OK)
                rc = collect_limits(&sc, t, a, err);
        }
        for (size_t e = 0; rc == CO_OK && e < p->nentities; e++)
            if (p->entities[e].nduplicates)
                rc = collect_duplicates(s, t, &p->entities[e], a, err);
        if (rc != CO_OK) {
            co_error_where(err, "auditing tenant %s", t->key);
            break;
        }
        snprintf(a->size_class, sizeof a->size_class, "%s", co_size_class(a->rows));
        a->est_measured = rate > 0;
        a->est_seconds = (double)a->rows / (rate > 0 ? rate : DEFAULT_ROWS_PER_SECOND);
    }
    scratch_close(&sc);
    if (rc != CO_OK) {
        co_tenant_audits_free(audits, n);
        return rc;
    }
    *out = audits;
    return CO_OK;
}
