/*
 * verify.c: verifying one tenant (verify.h): per entity the content, volume
 * and integrity checks and the reconciliation against the journal; results
 * and findings are recorded as a "verify" run in the journal.
 */
#include "state/journal.h"
#include "verify/verify_int.h"
#include "engine/engine_int.h"
#include "util/clock.h"
#include "util/fmt.h"
#include "util/json.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SAMPLE 10

const char *co_check_name(co_check_kind k)
{
    switch (k) {
    case CO_CHECK_RECONCILE: return "reconcile";
    case CO_CHECK_CONTENT: return "content";
    case CO_CHECK_VOLUME: return "volume";
    case CO_CHECK_INTEGRITY: return "integrity";
    }
    return "unknown";
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* One more finding of kind for check. */
static void count_kind(vctx *v, co_check_kind check, const char *kind)
{
    co_kind_count *k = v->pending[check];
    size_t *n = &v->npending[check];
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(k[i].kind, kind) == 0) {
            k[i].count++;
            return;
        }
    }
    if (*n == CO_VERIFY_MAX_KINDS)
        return; /* more kinds than any check has: counted in differences */
    snprintf(k[*n].kind, sizeof k[*n].kind, "%s", kind);
    k[(*n)++].count = 1;
}

void Co_vkind_total(vctx *v, co_check_kind check, const char *kind, int64_t total)
{
    count_kind(v, check, kind);
    co_kind_count *k = v->pending[check];
    for (size_t i = 0; i < v->npending[check]; i++)
        if (strcmp(k[i].kind, kind) == 0)
            k[i].count = total;
}

co_code Co_vfinding(vctx *v, co_check_kind check, int64_t seen_before, const char *kind,
                    const char *key, const char *detail)
{
    count_kind(v, check, kind);
    if (seen_before >= 0 && (uint64_t)seen_before >= (uint64_t)v->sample)
        return CO_OK;
    co_verify_result *r = v->res;
    if (!CO_RESIZE(r->findings, r->nfindings + 1))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    co_finding *f = &r->findings[r->nfindings];
    f->check = check;
    f->entity = strdup(v->e->name);
    f->kind = strdup(kind);
    f->key = dup_or_null(key);
    f->detail = dup_or_null(detail);
    r->nfindings++;
    if (!f->entity || !f->kind || (key && !f->key) || (detail && !f->detail))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

co_code Co_vcheck(vctx *v, co_check_kind check, bool pass, int64_t expected, int64_t actual,
                  int64_t differences, const char *fmt, ...)
{
    co_verify_result *r = v->res;
    if (!CO_RESIZE(r->checks, r->nchecks + 1))
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    co_check_result *c = &r->checks[r->nchecks++];
    memset(c, 0, sizeof *c);
    c->entity = strdup(v->e->name);
    c->check = check;
    c->pass = pass;
    c->expected = expected;
    c->actual = actual;
    c->differences = differences;
    c->fetched = r->rows_fetched - v->fetched_mark;
    v->fetched_mark = r->rows_fetched;
    memcpy(c->kinds, v->pending[check], sizeof c->kinds);
    c->nkinds = v->npending[check];
    v->npending[check] = 0;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->summary = strdup(line);
    if (!pass)
        r->pass = false;
    if (!c->entity || !c->summary)
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

void co_verify_result_release(co_verify_result *r)
{
    for (size_t i = 0; i < r->nchecks; i++) {
        free(r->checks[i].entity);
        free(r->checks[i].summary);
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        CO_FREE(r->findings[i].entity, r->findings[i].kind, r->findings[i].key,
                r->findings[i].detail);
    }
    for (size_t i = 0; i < r->nmonths; i++)
        free(r->months[i].entity);
    CO_FREE(r->checks, r->findings, r->months, r->tenant);
    memset(r, 0, sizeof *r);
}

/* Key filters: the source keeps what was not rejected; the target, when it
 * has nothing better, keeps the keys of the tenant's id map. */
static bool keep_unrejected(void *ctx, const char *key, size_t len)
{
    vctx *v = ctx;
    return !Co_map_get(&v->rejected, key, len, NULL, NULL);
}

static bool keep_mapped(void *ctx, const char *key, size_t len)
{
    vctx *v = ctx;
    return Co_map_get(&v->scope_ids, key, len, NULL, NULL);
}

/* cutover_map(i, x) in the expected rows' SQL (Co_vsql_remap): the survivor
 * of a merged row x of the entity's column i refers to. */
static bool map_survivor(void *ctx, int col, const char *key, size_t len, const char **to,
                         size_t *tolen)
{
    vctx *v = ctx;
    return v->survivors && col >= 0 && (size_t)col < v->ncols &&
           Co_map_get(&v->survivors[col], key, len, to, tolen);
}

/* The counts the last migrate run of the tenant recorded for the entity. */
static co_code journal_counts(vctx *v)
{
    v->journal_source_rows = v->journal_loaded = v->journal_rejected = -1;
    char step[160];
    snprintf(step, sizeof step, "load:%s", v->e->name);
    co_load_counts counts;
    bool found = false;
    co_code rc = Co_state_last_load(v->s->state, v->t->key, step, &counts, &found, v->err);
    if (rc == CO_OK && found) {
        v->journal_source_rows = counts.source_rows;
        v->journal_loaded = counts.loaded;
        v->journal_rejected = counts.rejected;
    }
    return rc;
}

/* source rows = loaded + rejected, as the journal recorded it and as the
 * databases hold it now. */
static co_code reconcile(vctx *v)
{
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT count(*) FROM (%s\n) AS q", v->e->query);
    co_param tenant = Co_vparam_tenant(v);
    int64_t source_now = 0;
    co_code rc = co_store_query_int(v->s->source, co_buf_str(&sql), &tenant, 1, &source_now, NULL,
                                    v->err);
    Co_buf_release(&sql);
    if (rc != CO_OK)
        return rc;
    v->res->rows_fetched++;
    int64_t rejected = (int64_t)co_map_count(&v->rejected), merged = 0;
    rc = Co_state_merges_count(v->s->state, v->t->key, v->e->name, &merged, v->err);
    if (rc != CO_OK)
        return rc;
    if (v->journal_loaded < 0)
        return Co_vcheck(v, CO_CHECK_RECONCILE, false, source_now, v->actual_rows, 1,
                         "no finished migration of this tenant in the journal");
    /* The identity as the databases and the journal hold it now: rows caught
     * up after the copy count, and the migration's own figures are context. */
    bool pass = source_now == v->actual_rows + merged + rejected;
    if (!pass) {
        char detail[256];
        snprintf(detail, sizeof detail,
                 "{\"source_now\":%lld,\"target_now\":%lld,\"merged\":%lld,\"rejected\":%lld,"
                 "\"source_at_migration\":%lld,\"loaded_at_migration\":%lld}",
                 (long long)source_now, (long long)v->actual_rows, (long long)merged,
                 (long long)rejected,
                 (long long)v->journal_source_rows, (long long)v->journal_loaded);
        rc = Co_vfinding(v, CO_CHECK_RECONCILE, 0, "count", NULL, detail);
        if (rc != CO_OK)
            return rc;
    }
    int64_t gap = source_now - v->actual_rows - merged - rejected;
    int64_t accounted = v->actual_rows + merged + rejected;
    /* Counts as everywhere (util/fmt.h): separators, nouns that agree. */
    char source[CO_FMT_PLURAL], loaded[CO_FMT_COUNT], merged_n[CO_FMT_COUNT],
        rejected_n[CO_FMT_COUNT], off[CO_FMT_PLURAL];
    Co_fmt_plural(source, source_now, "source row", "source rows");
    Co_fmt_count(loaded, v->actual_rows);
    Co_fmt_count(merged_n, merged);
    Co_fmt_count(rejected_n, rejected);
    if (pass && merged)
        return Co_vcheck(v, CO_CHECK_RECONCILE, true, source_now, accounted, 0,
                         "%s = %s loaded + %s merged + %s rejected", source, loaded, merged_n,
                         rejected_n);
    if (pass)
        return Co_vcheck(v, CO_CHECK_RECONCILE, true, source_now, accounted, 0,
                         "%s = %s loaded + %s rejected", source, loaded, rejected_n);
    if (gap > 0)
        Co_fmt_plural(off, gap, "row unaccounted for", "rows unaccounted for");
    else
        Co_fmt_plural(off, -gap, "row too many", "rows too many");
    return Co_vcheck(v, CO_CHECK_RECONCILE, false, source_now, accounted, 1,
                     "%s, but %s loaded + %s merged + %s rejected: %s", source, loaded, merged_n,
                     rejected_n, off);
}

/* The declared type of each output column's target column: values are
 * compared as the target stores them (util/canon.h). A column the target
 * does not declare is compared as it is. */
static co_code column_types(vctx *v)
{
    v->types = calloc(v->ncols ? v->ncols : 1, sizeof *v->types);
    if (!v->types)
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    co_column *cols = NULL;
    size_t n = 0;
    co_code rc = co_store_columns(v->s->dest, v->e->target, &cols, &n, v->err);
    for (size_t i = 0; rc == CO_OK && i < v->ncols; i++)
        for (size_t c = 0; c < n; c++)
            if (strcmp(cols[c].name, v->cols[i]) == 0)
                v->types[i] = Co_canon_type_of(cols[c].decl_type);
    co_columns_free(cols, n);
    return rc;
}


bool Co_vkeyed(const co_project *p, const co_entity *e)
{
    bool keyed = e->target_key != NULL;
    for (size_t r = 0; r < e->nrefs && !keyed; r++) {
        const co_entity *parent = co_project_entity(p, e->refs[r].entity);
        keyed = parent && parent->target_key;
    }
    return keyed;
}

/* The query's output columns and the key's positions among them: for an
 * entity with a target_key, the target's columns (Co_entity_layout) and the
 * target key. */
static co_code describe(vctx *v)
{
    co_param tenant = Co_vparam_tenant(v);
    co_cursor *c = NULL;
    co_code rc = co_store_query(v->s->source, v->e->query, &tenant, 1, &c, v->err);
    if (rc != CO_OK)
        return rc;
    size_t n = co_cursor_ncols(c);
    const char **names = calloc(n + 1, sizeof *names);
    for (size_t i = 0; names && i < n; i++)
        names[i] = co_cursor_colname(c, i);
    co_layout lay = {0};
    rc = names ? Co_entity_layout(v->s, &v->s->project->entities[v->index], names, n, &lay,
                                  v->err)
               : co_error_set(v->err, CO_ENOMEM, "out of memory");
    v->ncols = rc == CO_OK ? lay.n : 0;
    v->cols = rc == CO_OK ? calloc(v->ncols ? v->ncols : 1, sizeof *v->cols) : NULL;
    for (size_t i = 0; v->cols && i < v->ncols; i++)
        v->cols[i] = strdup(lay.names[i]);
    Co_layout_release(&lay);
    free(names);
    co_cursor_close(c);
    if (rc != CO_OK)
        return rc;
    if (!v->cols)
        return co_error_set(v->err, CO_ENOMEM, "out of memory");
    for (size_t k = 0; k < v->e->nkey && k < 64; k++) {
        size_t i = 0;
        while (i < v->ncols && strcmp(v->cols[i], v->e->key[k]) != 0)
            i++;
        if (i == v->ncols)
            return co_error_set(v->err, CO_EPROJECT,
                                "key column \"%s\" is not among the query's columns", v->e->key[k]);
        v->key_idx[k] = i;
    }
    return column_types(v);
}

/* The tenant's target rows of the entity, all of them (for reconcile when
 * the content check looked at a scope only). */
static co_code count_actual(vctx *v)
{
    co_buf sql = CO_BUF_INIT;
    bool scoped = v->scoped;
    v->scoped = false;
    Co_buf_adds(&sql, "SELECT count(*) FROM (");
    Co_vsql_actual(v, &sql);
    Co_buf_adds(&sql, ") AS side");
    v->scoped = scoped;
    co_param tenant = Co_vparam_tenant(v);
    co_code rc = sql.failed ? co_error_set(v->err, CO_ENOMEM, "out of memory")
                            : co_store_query_int(v->s->dest, co_buf_str(&sql), &tenant, 1,
                                                 &v->actual_rows, NULL, v->err);
    Co_buf_release(&sql);
    v->res->rows_fetched++;
    return rc;
}

static co_code verify_entity(vctx *v)
{
    co_code rc = describe(v);
    if (rc == CO_OK)
        rc = Co_state_rejected_keys(v->s->state, v->t->key, v->e->name, &v->rejected, v->err);
    v->scope_by_ids = Co_vsql_scoped_by_ids(v->s->project, v->e);
    if (rc == CO_OK && v->scope_by_ids)
        rc = Co_state_idmap_targets(v->s->state, v->t->key, v->e->name, &v->scope_ids, v->err);
    if (rc == CO_OK)
        rc = journal_counts(v);
    if (rc == CO_OK)
        rc = Co_vsql_remap(v);
    /* A scope limits the rows looked at; an entity whose rows merge is
     * computed by the engine and compared whole. */
    bool whole = true, untouched = false;
    if (rc == CO_OK && v->scope && !v->e->merge)
        rc = Co_vscope_where(v, v->s->source, &v->where_expected, &whole, &untouched);
    /* Where the target gave keys, the target side goes through the id maps. */
    if (rc == CO_OK && v->scope && !v->e->merge && !whole)
        rc = v->keyed ? Co_vscope_keyed_sql(v, v->s->dest, &v->where_actual, &whole)
                      : Co_vscope_where(v, v->s->dest, &v->where_actual, &whole, &untouched);
    bool limited = !whole;
    v->untouched = limited && untouched;
    co_store_set_key_filter(v->s->source, keep_unrejected, v);
    co_store_set_key_filter(v->s->dest, keep_mapped, v);
    co_store_set_value_map(v->s->source, map_survivor, v);
    v->scoped = limited;
    if (rc == CO_OK && v->untouched)
        rc = Co_vcheck(v, CO_CHECK_CONTENT, true, 0, 0, 0,
                       "no row changed since run %lld, which matched them all",
                       (long long)v->since_run);
    else if (rc == CO_OK)
        rc = Co_verify_content(v);
    bool content_pass = rc == CO_OK && v->res->nchecks &&
                        v->res->checks[v->res->nchecks - 1].check == CO_CHECK_CONTENT &&
                        v->res->checks[v->res->nchecks - 1].pass;
    if (rc == CO_OK && limited)
        rc = count_actual(v);
    if (rc == CO_OK)
        rc = reconcile(v);
    if (rc == CO_OK && v->e->volume) {
        /* Every expected row present with its values means every group of
         * every month has its count: the volumes are proven by the content.
         * The months for charts come from full verifications; there, the
         * target's times that no calendar has are findings. */
        int64_t expected = v->res->checks[v->res->nchecks - 2].expected;
        int64_t actual = v->res->checks[v->res->nchecks - 2].actual;
        if (content_pass) {
            rc = v->scope ? CO_OK : Co_verify_volume_months(v, true);
            if (rc == CO_OK)
                rc = Co_vcheck(v, CO_CHECK_VOLUME, v->invalid_times == 0, expected, actual,
                               v->invalid_times, v->invalid_times
                                   ? "every row matches, but %lld times have a date no calendar has"
                                   : "volumes per group and month hold: every row matches%.0lld",
                               (long long)v->invalid_times);
        } else {
            v->scoped = false; /* counted over every row */
            rc = Co_verify_volume(v);
            v->scoped = limited;
            if (rc == CO_OK && !v->scope)
                rc = Co_verify_volume_months(v, false);
        }
    }
    if (rc == CO_OK)
        rc = Co_verify_integrity(v);
    v->scoped = false;
    co_store_set_key_filter(v->s->source, NULL, NULL);
    co_store_set_key_filter(v->s->dest, NULL, NULL);
    co_store_set_value_map(v->s->source, NULL, NULL);
    return rc;
}

/* Writes the results and findings of the run into the journal. */
static co_code record(co_session *s, const co_verify_result *r, co_error *err)
{
    co_code rc = co_state_begin(s->state, err);
    for (size_t i = 0; rc == CO_OK && i < r->nchecks; i++) {
        const co_check_result *c = &r->checks[i];
        const char *check = co_check_name(c->check);
        co_jverification v = {.run_id = r->run_id,
                              .expected = c->expected,
                              .actual = c->actual,
                              .differences = c->differences,
                              .tenant = r->tenant,
                              .entity = c->entity,
                              .check = check,
                              .summary = c->summary,
                              .pass = c->pass};
        rc = Co_state_verification_add(s->state, &v, err);
    }
    /* The journal keeps at most CO_VERIFY_STORED_MAX findings per entity and
     * check, whatever the sample: the totals per kind are in the summaries. */
    co_map stored;
    Co_map_init(&stored);
    co_buf which = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < r->nfindings; i++) {
        const co_finding *f = &r->findings[i];
        const char *check = co_check_name(f->check);
        Co_buf_reset(&which);
        Co_buf_printf(&which, "%s\n%s", f->entity, check);
        const char *val;
        int64_t n = 0;
        if (Co_map_get(&stored, which.data, which.len, &val, NULL))
            memcpy(&n, val, sizeof n);
        if (n >= CO_VERIFY_STORED_MAX)
            continue;
        n++;
        if (which.failed || !Co_map_put(&stored, which.data, which.len, &n, sizeof n)) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        co_jfinding row = {r->run_id, r->tenant, f->entity, check, f->kind, f->key, f->detail};
        rc = Co_state_finding_add(s->state, &row, err);
    }
    Co_map_release(&stored);
    Co_buf_release(&which);
    for (size_t i = 0; rc == CO_OK && i < r->nmonths; i++) {
        const co_volume_month *m = &r->months[i];
        rc = Co_state_volume_add(s->state, r->run_id, r->tenant, m->entity, m->month, m->source,
                                 m->target, err);
    }
    if (rc == CO_OK)
        rc = co_state_commit(s->state, err);
    else
        co_state_rollback(s->state);
    return rc;
}

static co_code verify_leased(co_session *s, const co_tenant *t, const co_verify_options *opt,
                             co_verify_result *res, co_error *err);

/* A migrated tenant becomes verified or verify_failed. One frozen or past the
 * switch (frozen, switched, rolled_back, rollback_incomplete, purge_pending,
 * finalized: the states src/capture sets) or syncing keeps its place in the lifecycle: its
 * verification is a result of the run only, which status shows beside the
 * state. */
static co_code set_state(co_session *s, const co_tenant *t, bool pass, co_error *err)
{
    static const co_lifecycle past_switch[] = {CO_LC_SWITCHED, CO_LC_ROLLED_BACK, CO_LC_FINALIZED,
                                               CO_LC_FROZEN, CO_LC_ROLLBACK_INCOMPLETE,
                                               CO_LC_SYNCING, CO_LC_PURGE_PENDING};
    co_lifecycle state = CO_LC_NEW;
    co_code rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    for (size_t i = 0; rc == CO_OK && i < sizeof past_switch / sizeof *past_switch; i++)
        if (state == past_switch[i])
            return CO_OK;
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, pass ? CO_LC_VERIFIED : CO_LC_VERIFY_FAILED, 0, err);
    return rc;
}

co_code co_verify_tenant(co_session *s, const co_tenant *t, const co_verify_options *opt,
                         co_verify_result *res, co_error *err)
{
    memset(res, 0, sizeof *res);
    /* A sync round (a switched tenant's reverse sync, say) is waited for. */
    co_code rc = Co_state_lease_wait(s->state, t->key, "verify", true, err);
    if (rc != CO_OK)
        return rc;
    rc = verify_leased(s, t, opt, res, err);
    co_error ignored;
    co_state_unlease(s->state, t->key, &ignored);
    return rc;
}

static co_code verify_leased(co_session *s, const co_tenant *t, const co_verify_options *opt,
                             co_verify_result *res, co_error *err)
{
    res->pass = true;
    res->tenant = strdup(t->key);
    if (!res->tenant)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    double started = Co_clock_mono();
    size_t sample = opt && opt->sample ? opt->sample : DEFAULT_SAMPLE;
    co_code rc = co_state_run_begin(s->state, t->key, "verify", s->project->hash, &res->run_id, err);
    for (size_t i = 0; rc == CO_OK && i < s->project->nentities; i++) {
        vctx v = {0};
        v.s = s;
        v.t = t;
        v.e = &s->project->entities[i];
        v.keyed = Co_vkeyed(s->project, v.e);
        /* Where the target gave the keys, its rows are known by them: the
         * entity is verified with the target key as its key. */
        co_entity by_target;
        char *target_key[1];
        if (v.e->target_key) {
            by_target = *v.e;
            target_key[0] = v.e->target_key;
            by_target.key = target_key;
            by_target.nkey = 1;
            v.e = &by_target;
        }
        v.sample = sample;
        v.res = res;
        v.err = err;
        Co_map_init(&v.rejected);
        Co_map_init(&v.scope_ids);
        v.fetched_mark = res->rows_fetched;
        v.index = i;
        v.scope = opt ? opt->scope : NULL;
        v.since_run = opt ? opt->since_run : 0;
        v.differences = opt ? opt->differences : NULL;
        v.known_tenants = opt ? opt->known_tenants : NULL;
        v.nknown_tenants = opt ? opt->nknown_tenants : 0;
        rc = verify_entity(&v);
        if (rc != CO_OK)
            co_error_where(err, "tenant %s, entity %s", t->key, v.e->name);
        if (rc == CO_OK && opt && opt->progress) {
            co_progress pr = {t->key, v.e->name, i, s->project->nentities, v.expected_rows,
                              v.expected_rows, true};
            opt->progress(opt->progress_ctx, &pr);
        }
        for (size_t c = 0; c < v.ncols && v.cols; c++)
            free(v.cols[c]);
        free(v.cols);
        free(v.types);
        Co_map_release(&v.rejected);
        Co_map_release(&v.scope_ids);
        Co_vmonths_release(&v);
        Co_buf_release(&v.remap);
        Co_buf_release(&v.where_expected);
        Co_buf_release(&v.where_actual);
        for (size_t c = 0; c < v.ncols && v.survivors; c++)
            Co_map_release(&v.survivors[c]);
        free(v.survivors);
    }
    res->seconds = Co_clock_mono() - started;
    co_error ignored;
    co_error_clear(&ignored);
    if (rc != CO_OK) {
        if (res->run_id)
            co_state_run_end(s->state, res->run_id, "failed", err ? err->message : NULL,
                             res->seconds, &ignored);
        return rc;
    }
    rc = record(s, res, err);
    if (rc == CO_OK)
    {
        char note[96];
        snprintf(note, sizeof note, "only the rows changed since verify run %lld",
                 (long long)(opt ? opt->since_run : 0));
        rc = co_state_run_end(s->state, res->run_id, "done",
                              !res->pass && opt && opt->differences
                                  ? "verification found differences: those rows are checked again"
                              : !res->pass        ? "verification found differences"
                              : opt && opt->scope ? note
                                                  : NULL,
                              res->seconds, err);
    }
    if (rc == CO_OK && !(opt && opt->keep_state))
        rc = set_state(s, t, res->pass, err);
    return rc;
}

/* [{"entity", "check", "kind", "key", "detail"}, ...]: the first max findings. */
static void findings_json(const co_verify_result *r, size_t max, co_buf *b)
{
    Co_buf_addc(b, '[');
    for (size_t i = 0; i < r->nfindings && i < max; i++) {
        const co_finding *f = &r->findings[i];
        Co_buf_adds(b, i ? ",{\"entity\":" : "{\"entity\":");
        Co_json_str(b, f->entity);
        Co_buf_printf(b, ",\"check\":\"%s\",\"kind\":", co_check_name(f->check));
        Co_json_str(b, f->kind);
        /* key and detail are JSON already */
        Co_buf_printf(b, ",\"key\":%s,\"detail\":%s}", f->key ? f->key : "null",
                      f->detail ? f->detail : "null");
    }
    Co_buf_addc(b, ']');
}

char *co_verify_findings_json(const co_verify_result *r, size_t max)
{
    co_buf b = CO_BUF_INIT;
    findings_json(r, max, &b);
    return Co_buf_take(&b);
}

char *co_verify_result_json(const co_verify_result *r)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"tenant\":");
    Co_json_str(&b, r->tenant);
    Co_buf_printf(&b, ",\"run_id\":%lld,\"pass\":%s,\"seconds\":%.3f,\"rows_compared\":%lld,"
                      "\"rows_fetched\":%lld,\"checks\":[",
                  (long long)r->run_id, r->pass ? "true" : "false", r->seconds,
                  (long long)r->rows_compared, (long long)r->rows_fetched);
    for (size_t i = 0; i < r->nchecks; i++) {
        const co_check_result *c = &r->checks[i];
        Co_buf_adds(&b, i ? ",{\"entity\":" : "{\"entity\":");
        Co_json_str(&b, c->entity);
        Co_buf_printf(&b, ",\"check\":\"%s\",\"pass\":%s,\"expected\":%lld,\"actual\":%lld,"
                          "\"differences\":%lld,\"fetched\":%lld,\"summary\":",
                      co_check_name(c->check), c->pass ? "true" : "false", (long long)c->expected,
                      (long long)c->actual, (long long)c->differences, (long long)c->fetched);
        Co_json_str(&b, c->summary);
        Co_buf_adds(&b, ",\"kinds\":{");
        for (size_t k = 0; k < c->nkinds; k++) {
            Co_buf_adds(&b, k ? "," : "");
            Co_json_str(&b, c->kinds[k].kind);
            Co_buf_printf(&b, ":%lld", (long long)c->kinds[k].count);
        }
        Co_buf_adds(&b, "}}");
    }
    Co_buf_adds(&b, "],\"findings\":");
    findings_json(r, SIZE_MAX, &b);
    Co_buf_addc(&b, '}');
    return Co_buf_take(&b);
}
