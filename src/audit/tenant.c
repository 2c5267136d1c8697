/*
 * tenant.c: the per-tenant part of the audit (audit.h). Each tenant is loaded
 * into a scratch copy of the target's tables in a temporary directory, with a
 * journal of its own: what the scratch target refuses is exactly what the
 * real one would, by entity and rule. The real target, the real journal and
 * the source are never written. Everything else (sizes, rows per parent key,
 * longest values, duplicate clusters) comes from the rows the entity queries
 * return as they stream by (scan.h), whatever the target's engine.
 */
#include "state/journal.h"
#include "audit/scan.h"
#include "audit/target_keys.h"
#include "store/writer.h"
#include "cutover/audit.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/grow.h"
#include "util/free.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_ROWS_PER_SECOND 50000.0
#define SCRATCH_CACHE_KIB 16384 /* the scratch copy's page cache */

void co_audit_options_init(co_audit_options *opt)
{
    opt->zombie_below = 0.01;
    opt->many_rows = 50;
    opt->orphans = NULL;
}

const char *co_size_class(int64_t rows)
{
    return rows < 10000 ? "S" : rows < 100000 ? "M" : rows < 1000000 ? "L" : "XL";
}

void co_tenant_audits_free(co_tenant_audit *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        CO_FREE(a[i].tenant, a[i].label, a[i].entity_rows);
        for (size_t k = 0; k < a[i].nlimits; k++) {
            CO_FREE(a[i].limits[k].entity, a[i].limits[k].rule, a[i].limits[k].reason,
                    a[i].limits[k].examples);
        }
        free(a[i].limits);
        for (size_t k = 0; k < a[i].nduplicates; k++) {
            CO_FREE(a[i].duplicates[k].entity, a[i].duplicates[k].rule, a[i].duplicates[k].key,
                    a[i].duplicates[k].examples);
        }
        free(a[i].duplicates);
        for (size_t k = 0; k < a[i].ndup_rules; k++) {
            free(a[i].dup_rules[k].entity);
            free(a[i].dup_rules[k].rule);
        }
        free(a[i].dup_rules);
        for (size_t k = 0; k < a[i].nfanouts; k++) {
            CO_FREE(a[i].fanouts[k].entity, a[i].fanouts[k].column, a[i].fanouts[k].parent,
                    a[i].fanouts[k].top, a[i].fanouts[k].examples);
        }
        free(a[i].fanouts);
        for (size_t k = 0; k < a[i].nlongest; k++) {
            CO_FREE(a[i].longest[k].entity, a[i].longest[k].column, a[i].longest[k].examples);
        }
        free(a[i].longest);
        free(a[i].limits_note);
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
        Co_remove_tree(sc->dir);
    sc->dir[0] = '\0';
}

/* Every load begins by purging what the tenant may have left: by its tenant
 * column, which without an index is a scan of every row of the tenants loaded
 * before it (the scratch copy keeps them all, so that what one tenant's rows
 * would clash with is there). An index on each tenant column keeps that purge
 * proportional to the tenant, and the audit linear in the data. */
static co_code scratch_index_tenants(const co_project *p, co_store *dest, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        if (!e->tenant_column || e->target_key)
            continue;
        co_buf sql = CO_BUF_INIT;
        Co_buf_printf(&sql, "CREATE INDEX IF NOT EXISTS \"cutover_audit_tenant_%zu\" ON ", i);
        co_store_quote_ident(dest, e->target, &sql);
        Co_buf_addc(&sql, '(');
        co_store_quote_ident(dest, e->tenant_column, &sql);
        Co_buf_addc(&sql, ')');
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_exec(dest, co_buf_str(&sql), err);
        Co_buf_release(&sql);
    }
    return rc;
}

/* Creates the scratch directory, target (the real target's tables, without
 * their secondary indexes: constraints are what matter; an index per tenant
 * column for the purges) and journal. *usable is
 * false (and nothing is left open) when the target's tables cannot be made
 * in a SQLite scratch database (the target is on another engine). */
static co_code scratch_open(co_session *s, scratch *sc, bool *usable, co_error *err)
{
    *usable = false;
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
        /* Fast, but with a journal: a refused row must undo its statement.
         * The journal is a file, not memory: it holds every page a batch
         * changes, and the scratch copy keeps every tenant audited before,
         * so a late tenant's rows land among theirs (its keys interleave)
         * and one batch changes pages by the tens of thousands. Kept in
         * memory, that grew with the data (the demo at scale 1.0 peaked at
         * 260 MB during tenant 134, 2.4 million events, which alone takes
         * 143 MB). Not synced, it stays in the system's file cache. */
        rc = co_store_exec(sc->session.dest,
                           "PRAGMA journal_mode = PERSIST; PRAGMA journal_size_limit = 67108864; "
                           "PRAGMA synchronous = OFF",
                           err);
    /* A smaller page cache than a target's 64 MB while it loads: each job
     * of --jobs N has a scratch copy of its own, and at scale 1.0 two of
     * them at 64 MB took the audit's peak to 295 MB (16 MB: 204 MB, at the
     * same CPU time). The pages it does not keep stay in the system's file
     * cache. */
    if (rc == CO_OK)
        Co_store_writer_cache(sc->session.dest, SCRATCH_CACHE_KIB);
    if (rc == CO_OK && !co_store_same_engine(s->dest, sc->session.dest)) {
        scratch_close(sc);
        return CO_OK;
    }
    co_table_info *tables = NULL;
    size_t ntables = 0;
    if (rc == CO_OK)
        rc = co_store_tables(s->dest, &tables, &ntables, err);
    for (size_t i = 0; rc == CO_OK && i < ntables; i++)
        if (tables[i].create_sql)
            rc = co_store_exec(sc->session.dest, tables[i].create_sql, err);
    co_tables_free(tables, ntables);
    if (rc == CO_OK)
        rc = scratch_index_tenants(s->project, sc->session.dest, err);
    snprintf(uri, sizeof uri, "sqlite:%s/state.db", sc->dir);
    if (rc == CO_OK)
        rc = co_state_open(uri, NULL, &sc->session.state, err);
    if (rc == CO_OK)
        rc = co_state_setup(sc->session.state, s->project->hash, s->project->path, true, err);
    sc->session.project = s->project;
    sc->session.source = s->source;
    *usable = rc == CO_OK;
    return rc;
}

/* ---- findings of one tenant ---- */

static char *dup_text(const char *s)
{
    return strdup(s ? s : "");
}

/* One (entity, rule) of the rows the scratch target refused. */
static co_code add_limit(void *ctx, const co_jreject_rule *r, co_error *err)
{
    co_tenant_audit *a = ctx;
    co_limit_finding *grown = realloc(a->limits, (a->nlimits + 1) * sizeof *grown);
    if (!grown)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    a->limits = grown;
    co_limit_finding *f = &a->limits[a->nlimits++];
    f->entity = dup_text(r->entity);
    f->rule = dup_text(r->rule);
    f->rows = r->rows;
    f->reason = dup_text(r->reason);
    f->examples = dup_text(r->examples);
    a->limit_rows += f->rows;
    return CO_OK;
}

/* The rows the scratch target refused, by entity and rule, with examples. */
static co_code collect_limits(scratch *sc, const co_tenant *t, co_tenant_audit *a, co_error *err)
{
    return Co_state_rejects_by_rule_each(sc->session.state, t->key, add_limit, a, err);
}

/* Gives the system back the pages of the memory a tenant freed (its key and
 * parent maps, the loader's batches): over a run of tenants the free-but-
 * resident memory grew to more than the memory in use (at scale 1.0, 97 MB
 * free of a 224 MB heap after 88 tenants), so the peak followed the history
 * of the tenants, not the largest one. Only when 16 MB or more is resident
 * and free: a trim after every tenant cost a fifth of the audit's CPU at
 * scale 0.1. */
static void return_freed_memory(void)
{
    Co_return_freed_memory(CO_TRIM_AFTER_ENTITY);
}

/* Rows per second of the migrations the journal recorded, or 0 when none. */
static double measured_throughput(co_session *s)
{
    co_error ignored;
    double rows = 0, seconds = 0;
    if (Co_state_load_totals(s->state, &rows, &seconds, &ignored) == CO_OK && rows > 1000 &&
        seconds > 0.01)
        return rows / seconds;
    return 0;
}

co_code co_audit_tenants(co_session *s, const co_tenant *ts, size_t n, const co_audit_options *opt,
                         co_progress_fn progress, void *progress_ctx, co_tenant_audit **out,
                         co_error *err)
{
    *out = NULL;
    co_tenant_audit *audits = calloc(n ? n : 1, sizeof *audits);
    if (!audits)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    const char *engine = co_store_engine(s->dest);
    bool sqlite_target = false; /* the scratch copy of the target can be made */
    scratch sc = {0};
    audit_scan *scan = NULL;
    co_code rc = audit_scan_new(s->project, opt, &scan, err);
    if (rc == CO_OK)
        rc = scratch_open(s, &sc, &sqlite_target, err);
    /* Without the scratch copy, the collisions of the target's unique keys
     * that fold text are found from the rows themselves. */
    audit_keys *keys = NULL;
    if (rc == CO_OK && !sqlite_target)
        rc = audit_keys_open(s->project, s->dest, &keys, err);
    if (keys)
        audit_scan_also(scan, audit_keys_row, keys);
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
        if (progress) { /* entity_index, nentities: this tenant's place among them */
            co_progress pr = {t->key, "auditing", i, n, 0, -1, false};
            progress(progress_ctx, &pr);
        }
        a->limits_checked = sqlite_target;
        if (sqlite_target) {
            co_migrate_options mopt = {0};
            mopt.again = true;
            mopt.rejects_dir = rejects_dir;
            mopt.on_row = audit_scan_row;
            mopt.on_row_ctx = scan;
            co_migrate_result res;
            rc = co_migrate_tenant(&sc.session, t, &mopt, &res, err);
            co_migrate_result_release(&res);
            if (rc == CO_OK)
                rc = collect_limits(&sc, t, a, err);
        } else {
            char note[200];
            snprintf(note, sizeof note,
                     "not checked: the target is %s, and the scratch copy that finds what the "
                     "target would refuse needs a SQLite target",
                     engine);
            if (!(a->limits_note = strdup(note)))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            if (rc == CO_OK)
                rc = audit_scan_source(scan, s, t, err);
        }
        if (rc == CO_OK)
            rc = audit_scan_rule_queries(scan, s, t, err);
        if (rc == CO_OK)
            rc = audit_scan_finish(scan, a, err);
        if (rc == CO_OK && keys)
            rc = audit_keys_finish(keys, a, err);
        if (rc != CO_OK) {
            co_error_where(err, "auditing tenant %s", t->key);
            break;
        }
        return_freed_memory();
        snprintf(a->size_class, sizeof a->size_class, "%s", co_size_class(a->rows));
        a->est_measured = rate > 0;
        a->est_seconds = (double)a->rows / (rate > 0 ? rate : DEFAULT_ROWS_PER_SECOND);
        if (progress) {
            co_progress pr = {t->key, "audited", i, n, a->rows, a->rows, true};
            progress(progress_ctx, &pr);
        }
    }
    scratch_close(&sc);
    audit_scan_free(scan);
    audit_keys_free(keys);
    if (rc != CO_OK) {
        co_tenant_audits_free(audits, n);
        return rc;
    }
    *out = audits;
    return CO_OK;
}
