/*
 * cmd_audit.c: `cutover audit [--tenant KEY] [--zombie-below PCT] [--many-rows N]
 * [--json] [--html FILE] [--jobs N]` profiles
 * the source and audits tenants without writing to source or target; the
 * results go to the journal for `cutover plan`.
 */
#include "cli.h"
#include "cutover/audit.h"
#include "cutover/verify.h"
#include "util/jsonread.h"
#include "util/free.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_progress(void *ctx, const co_progress *p)
{
    char item[96];
    snprintf(item, sizeof item, "tenant %s (%zu of %zu)", p->tenant, p->entity_index + 1,
             p->nentities);
    cli_progress_update(ctx, "audit", item, p->rows, p->rows_total);
}

static double pct(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The first few top values, "active 149, inactive 50", into buf. */
static const char *top_text(const char *json, char *buf, size_t cap)
{
    buf[0] = '\0';
    struct fy_document *doc = json ? Co_json_read(json, strlen(json)) : NULL;
    size_t used = 0;
    for (int i = 0; doc && i < 3; i++) {
        const char *value, *count;
        if (!Co_json_pair_at(doc, i, "value", "count", &value, &count))
            break;
        char cell[64];
        cli_cell(value, 14, cell, sizeof cell);
        for (size_t k = strlen(cell); k > 0 && cell[k - 1] == ' '; k--) /* cli_cell pads */
            cell[k - 1] = '\0';
        int n = snprintf(buf + used, cap - used, "%s%s %s", i ? ", " : "", cell, count);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    if (doc)
        fy_document_destroy(doc);
    return buf;
}

static void print_columns(const co_column_profile *cols, size_t ncols, const co_audit_options *opt)
{
    printf("\ncolumns (null, empty and failing values as %% of rows; distinct estimated; length "
           "in bytes):\n");
    printf("  %-30s %-7s %6s %6s %9s %14s %6s  %-16s %s\n", "column", "type", "null", "empty",
           "distinct", "len min/avg/max", "fail", "flags", "top values");
    for (size_t i = 0; i < ncols; i++) {
        const co_column_profile *c = &cols[i];
        char name[160], cell[200], distinct[32], lens[48], flags[32], top[160];
        snprintf(name, sizeof name, "%s.%s", c->table, c->column);
        snprintf(lens, sizeof lens, "%lld/%.1f/%lld", (long long)c->min_len, c->avg_len,
                 (long long)c->max_len);
        snprintf(flags, sizeof flags, "%s%s%s", c->mapped ? "" : "unmapped",
                 !c->mapped && c->zombie ? " " : "", c->zombie ? "zombie" : "");
        printf("  %s %-7s %5.1f%% %5.1f%% %9s %14s %5.1f%%  %-16s %s\n",
               cli_cell(name, 30, cell, sizeof cell), c->apparent_type, pct(c->nulls, c->rows),
               pct(c->empties, c->rows), cli_num(c->distinct, distinct, sizeof distinct), lens,
               pct(c->type_failures, c->rows), flags, top_text(c->top_values, top, sizeof top));
    }
    char a[32], b[32];
    printf("\nzombie columns (filled in under %g%% of rows), with the last time they were "
           "written:\n",
           opt->zombie_below * 100);
    size_t shown = 0;
    for (size_t i = 0; i < ncols; i++)
        if (cols[i].zombie) {
            shown++;
            printf("  %s.%s: %s of %s rows filled%s%s\n", cols[i].table, cols[i].column,
                   cli_num(cols[i].rows - cols[i].nulls - cols[i].empties, a, sizeof a),
                   cli_num(cols[i].rows, b, sizeof b),
                   cols[i].last_filled ? ", last written " : "",
                   cols[i].last_filled ? cols[i].last_filled : "");
        }
    if (!shown)
        printf("  (none)\n");
    printf("\nvalues that do not fit their column's type:\n");
    shown = 0;
    for (size_t i = 0; i < ncols; i++)
        if (cols[i].type_failures) {
            shown++;
            printf("  %s.%s (%s): %s values, e.g. %s\n", cols[i].table, cols[i].column,
                   cols[i].apparent_type, cli_num(cols[i].type_failures, a, sizeof a),
                   cols[i].failure_examples ? cols[i].failure_examples : "");
        }
    if (!shown)
        printf("  (none)\n");
}

/* What one tenant's audit found, under its row of the tenants table. */
static void print_findings(const co_tenant_audit *t)
{
    if (!t->limits_checked)
        printf("         limits %s\n", t->limits_note ? t->limits_note : "not checked");
    for (size_t k = 0; k < t->nlimits; k++)
        printf("         %s: %lld rows %s (%s), e.g. %s\n", t->limits[k].entity,
               (long long)t->limits[k].rows, t->limits[k].rule, t->limits[k].reason,
               t->limits[k].examples);
    for (size_t k = 0; k < t->ndup_rules; k++)
        if (t->dup_rules[k].clusters)
            printf("         %s: %lld duplicate clusters by rule %s\n", t->dup_rules[k].entity,
                   (long long)t->dup_rules[k].clusters, t->dup_rules[k].rule);
    for (size_t k = 0; k < t->nfanouts; k++) {
        const co_fanout *f = &t->fanouts[k];
        if (!f->outliers)
            continue;
        struct fy_document *doc = Co_json_read(f->examples, strlen(f->examples));
        for (int i = 0; doc && i < 5; i++) {
            const char *key, *rows;
            if (!Co_json_pair_at(doc, i, "key", "rows", &key, &rows))
                break;
            printf("         %s.%s %s: %s rows (median %lld per %s, flagged from %lld)\n",
                   f->entity, f->column, key, rows, (long long)f->median, f->parent,
                   (long long)f->threshold);
        }
        if (doc)
            fy_document_destroy(doc);
        if (f->outliers > 5)
            printf("         %s.%s: %lld more\n", f->entity, f->column, (long long)f->outliers - 5);
    }
}

static void print_summary(const co_column_profile *cols, size_t ncols, const co_tenant_audit *ts,
                          size_t nt, const co_project *p, const co_audit_options *opt,
                          bool some_tenants)
{
    char a[32], b[32], c[32], d[32];
    printf("audit of %s: %zu columns profiled, %zu tenants\n", p->path, ncols, nt);
    printf("column profiles: whole source%s\n",
           some_tenants ? " (not only the tenants chosen with --tenant)" : "");
    print_columns(cols, ncols, opt);
    printf("\ncolumns the mapping never reads:\n ");
    size_t shown = 0;
    for (size_t i = 0; i < ncols; i++)
        if (!cols[i].mapped)
            printf(" %s.%s%s", cols[i].table, cols[i].column, ++shown % 6 == 0 ? "\n " : "");
    printf("%s\n", shown ? "" : " (none)");
    printf("\n%-8s %-24s %12s %10s %4s %10s %10s %10s %8s\n", "tenant", "label", "rows", "MB",
           "size", "est. s", "refused", "duplicates", "outliers");
    for (size_t i = 0; i < nt; i++) {
        char key[1024], label[112];
        printf("%s %s %12s %10.1f %4s %10.1f %10s %10s %8s\n",
               cli_key_cell(ts[i].tenant, 8, key, sizeof key),
               cli_cell(ts[i].label, 24, label, sizeof label), cli_num(ts[i].rows, a, sizeof a),
               (double)ts[i].bytes / 1e6, ts[i].size_class, ts[i].est_seconds,
               cli_num(ts[i].limit_rows, b, sizeof b),
               cli_num(ts[i].duplicate_clusters, c, sizeof c),
               cli_num(ts[i].outlier_keys, d, sizeof d));
        print_findings(&ts[i]);
    }
    printf("\noutliers: parent keys with at least %lld rows of an entity and at least 10 times "
           "the tenant's median\n",
           (long long)opt->many_rows);
    printf("sizes: S below 10,000 rows, M below 100,000, L below 1,000,000, XL above; "
           "estimates from %s\n",
           nt && ts[0].est_measured ? "the throughput of earlier migrations"
                                    : "a default of 50,000 rows/s (no migration measured yet)");
}

/* --zombie-below PCT and --many-rows N into opt; false after a usage error in *rc. */
static bool audit_options(cli_ctx *ctx, co_audit_options *opt, int *rc)
{
    co_audit_options_init(opt);
    const char *text = cli_get(&ctx->args, "zombie-below");
    if (text) {
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end == text || (*end && strcmp(end, "%") != 0) || !(v >= 0 && v <= 100)) {
            *rc = cli_usage_error(ctx, "--zombie-below must be a percentage from 0 to 100, not \"%s\"",
                                  text);
            return false;
        }
        opt->zombie_below = v / 100.0;
    }
    text = cli_get(&ctx->args, "many-rows");
    if (text) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < 2) {
            *rc = cli_usage_error(ctx, "--many-rows must be a whole number of at least 2, not \"%s\"",
                                  text);
            return false;
        }
        opt->many_rows = v;
    }
    return true;
}

static int write_text(const char *path, const char *text)
{
    return cli_write_file("audit", path, text, strlen(text));
}

/* The tenants' audits in N jobs (--jobs): job k audits every Nth tenant from
 * the kth with its own session (and its own scratch copy of the target). */
typedef struct audit_run {
    co_session **sessions;
    cli_progress **bars;
    const co_tenant *selected;
    size_t count, njobs;
    const co_audit_options *opt;
    co_tenant *shares;          /* count: share k at k * per */
    size_t per;
    co_tenant_audit **audits;   /* per share */
    size_t *nshare;
    co_code *codes;
    co_error *errors;
} audit_run;

static bool audit_share(void *ctx, size_t job, size_t k)
{
    audit_run *a = ctx;
    co_tenant *share = &a->shares[k * a->per];
    size_t n = 0;
    for (size_t i = k; i < a->count; i += a->njobs)
        share[n++] = a->selected[i];
    a->nshare[k] = n;
    co_error_clear(&a->errors[k]);
    a->codes[k] = co_audit_tenants(a->sessions[job], share, n, a->opt, on_progress, a->bars[job],
                                   &a->audits[k], &a->errors[k]);
    cli_progress_clear(a->bars[job]);
    return true;
}

static void audit_share_done(void *ctx, size_t k)
{
    (void)ctx, (void)k;
}

/* co_audit_tenants over njobs jobs, the audits in the order of selected. */
static co_code audit_in_jobs(cli_ctx *ctx, co_session *s, const co_tenant *selected,
                             size_t count, size_t njobs, const co_audit_options *opt,
                             cli_progress *bar, co_tenant_audit **out, co_error *err, int *rc)
{
    audit_run a = {.selected = selected, .count = count, .njobs = njobs, .opt = opt,
                   .per = (count + njobs - 1) / njobs};
    a.sessions = calloc(njobs, sizeof *a.sessions);
    a.bars = calloc(njobs, sizeof *a.bars);
    a.shares = calloc(count ? count : 1, sizeof *a.shares);
    a.audits = calloc(njobs, sizeof *a.audits);
    a.nshare = calloc(njobs, sizeof *a.nshare);
    a.codes = calloc(njobs, sizeof *a.codes);
    a.errors = calloc(njobs, sizeof *a.errors);
    co_tenant_audit *all = calloc(count ? count : 1, sizeof *all);
    co_code code = CO_OK;
    if (!a.sessions || !a.bars || !a.shares || !a.audits || !a.nshare || !a.codes || !a.errors ||
        !all)
        code = co_error_set(err, CO_ENOMEM, "out of memory");
    else if ((*rc = cli_jobs_sessions(ctx, "audit", s, CO_SESSION_READ_ONLY, njobs,
                                      a.sessions)) != EXIT_OK)
        code = CO_EINTERNAL; /* printed */
    if (code == CO_OK) {
        for (size_t j = 0; j < njobs; j++)
            a.bars[j] = cli_progress_job(bar, j, njobs);
        cli_jobs jobs = {njobs, njobs, audit_share, audit_share_done, &a, NULL};
        cli_jobs_run(&jobs);
        for (size_t j = 0; j < njobs; j++)
            cli_progress_free(a.bars[j]);
        cli_jobs_sessions_close(a.sessions, njobs);
        for (size_t k = 0; k < njobs && code == CO_OK; k++)
            if (a.codes[k] != CO_OK) {
                *err = a.errors[k];
                code = a.codes[k];
            }
        for (size_t k = 0; k < njobs; k++) /* share k's tenant m is tenant k + m * njobs */
            for (size_t m = 0; code == CO_OK && m < a.nshare[k]; m++) {
                all[k + m * njobs] = a.audits[k][m];
                memset(&a.audits[k][m], 0, sizeof a.audits[k][m]);
            }
        for (size_t k = 0; k < njobs; k++)
            if (a.audits[k])
                co_tenant_audits_free(a.audits[k], a.nshare[k]);
    }
    if (code == CO_OK)
        *out = all;
    else
        free(all);
    CO_FREE(a.sessions, a.bars, a.shares, a.audits, a.nshare, a.codes, a.errors);
    return code;
}

int cmd_audit(cli_ctx *ctx)
{
    co_audit_options opt;
    int rc = EXIT_OK;
    if (!audit_options(ctx, &opt, &rc))
        return rc;
    cli_session cs;
    rc = cli_open(ctx, "audit", CO_SESSION_READ_ONLY, CLI_OPEN_CHECK, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_project *p = cs.project;
    co_session *s = cs.session;
    co_tenant *tenants = cs.tenants;
    size_t ntenants = cs.ntenants, count = 0, ncols = 0;
    co_error err;
    co_error_clear(&err);
    co_column_profile *cols = NULL;
    co_tenant_audit *audits = NULL;
    co_orphans orphans = {0};
    co_tenant *selected = NULL;
    const co_tenant **chosen = calloc(ntenants ? ntenants : 1, sizeof *chosen);
    selected = calloc(ntenants ? ntenants : 1, sizeof *selected);
    if (!chosen || !selected) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    if (cli_get(&ctx->args, "tenant")) {
        rc = cli_select_tenants(ctx, tenants, ntenants, chosen, &count);
        if (rc != EXIT_OK)
            goto done;
    } else {
        for (size_t i = 0; i < ntenants; i++)
            chosen[count++] = &tenants[i];
    }
    for (size_t i = 0; i < count; i++)
        selected[i] = *chosen[i]; /* shallow: tenants keeps ownership */
    size_t njobs = 1;
    if (!cli_jobs_option(ctx, co_session_dest(s), count, &njobs, &rc))
        goto done;
    co_code code = co_audit_profiles(co_session_source(s), p, &opt, &cols, &ncols, &err);
    cli_progress *bar = cli_progress_new(ctx);
    if (code == CO_OK && njobs == 1)
        code = co_audit_tenants(s, selected, count, &opt, on_progress, bar, &audits, &err);
    else if (code == CO_OK)
        code = audit_in_jobs(ctx, s, selected, count, njobs, &opt, bar, &audits, &err, &rc);
    cli_progress_free(bar);
    if (code != CO_OK && rc != EXIT_OK)
        goto done; /* the jobs' sessions failed to open, and said so */
    if (code == CO_OK)
        code = co_audit_record(s, audits, count, &err);
    /* Source rows that no tenant's query returns, whatever --tenant chose. */
    if (code == CO_OK)
        code = co_orphans_count(s, tenants, ntenants, &orphans, &err);
    if (code == CO_OK)
        code = co_orphans_record(s, &orphans, "audit", &err);
    if (code != CO_OK) {
        rc = cli_fail("audit", &err);
        goto done;
    }
    opt.orphans = &orphans;
    const char *html = cli_get(&ctx->args, "html");
    if (html) {
        char *page = co_audit_html(cols, ncols, audits, count, p, &opt);
        rc = page ? write_text(html, page) : EXIT_INTERNAL;
        free(page);
        if (rc != EXIT_OK)
            goto done;
    }
    if (cli_is_stdout(html)) {
        /* the page is the output: nothing else on standard output */
    } else if (ctx->json) {
        char *json = co_audit_json(cols, ncols, audits, count, p, &opt);
        if (!json) {
            rc = EXIT_INTERNAL;
            goto done;
        }
        printf("%s\n", json);
        free(json);
    } else if (!ctx->quiet) {
        print_summary(cols, ncols, audits, count, p, &opt, cli_get(&ctx->args, "tenant") != NULL);
        cli_print_orphans(&orphans, p);
        if (html)
            printf("HTML report: %s\n", html);
    }
done:
    co_orphans_release(&orphans);
    co_tenant_audits_free(audits, count);
    co_profiles_free(cols, ncols);
    free(selected);
    free(chosen);
    cli_close(&cs);
    return rc;
}
