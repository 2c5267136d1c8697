/*
 * cmd_verify.c: `cutover verify --tenant KEY | --all [--sample N|all] [--jobs N]` proves
 * that tenants arrived whole or shows what did not; exit code 12 when any
 * check fails. Also the printing of a verification, shared with migrate: one
 * line per entity with its checks, then what failed and its first findings.
 */
#include "cli.h"
#include "util/fmt.h"
#include "cutover/verify.h"
#include "util/free.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* " (1 missing, 2 changed)" from a check's totals per kind, or "". */
static void kinds_text(const co_check_result *c, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t k = 0; k < c->nkinds && used < cap; k++) {
        char n[32];
        int w = snprintf(out + used, cap - used, "%s%s %s", k ? ", " : " (",
                         cli_num(c->kinds[k].count, n, sizeof n), c->kinds[k].kind);
        used += w > 0 ? (size_t)w : 0;
    }
    if (c->nkinds && used + 1 < cap)
        snprintf(out + used, cap - used, ")");
}

/* One check in a few words: "content ok 961,200 rows". */
static void check_text(const co_check_result *c, char *out, size_t cap)
{
    char a[32], b[32], kinds[256];
    const char *verdict = c->pass ? "ok" : "FAIL";
    const char *name = co_check_name(c->check);
    kinds_text(c, kinds, sizeof kinds);
    switch (c->check) {
    case CO_CHECK_RECONCILE:
        if (c->pass) /* "N source rows = N loaded + N rejected" */
            snprintf(out, cap, "%s %s %s", name, verdict, c->summary);
        else
            snprintf(out, cap, "%s %s %s %s, %s accounted for", name, verdict,
                     cli_num(c->expected, a, sizeof a),
                     Co_fmt_noun(c->expected, "source row", "source rows"),
                     cli_num(c->actual, b, sizeof b));
        break;
    case CO_CHECK_CONTENT:
        if (c->pass || c->expected == c->actual)
            snprintf(out, cap, "%s %s %s %s%s", name, verdict, cli_num(c->expected, a, sizeof a),
                     Co_fmt_noun(c->expected, "row", "rows"), kinds);
        else
            snprintf(out, cap, "%s %s %s %s expected, %s found%s", name, verdict,
                     cli_num(c->expected, a, sizeof a), Co_fmt_noun(c->expected, "row", "rows"),
                     cli_num(c->actual, b, sizeof b), kinds);
        break;
    case CO_CHECK_VOLUME:
    case CO_CHECK_INTEGRITY:
        snprintf(out, cap, "%s %s%s", name, verdict, kinds);
        break;
    }
}

void cli_print_verification(const cli_ctx *ctx, const co_verify_result *r)
{
    if (ctx->quiet)
        return;
    char rows[32], fetched[32];
    printf("verify tenant %s: %s  (%s %s compared, %s fetched, %.2fs)\n", r->tenant,
           r->pass ? "PASS" : "FAIL", cli_num(r->rows_compared, rows, sizeof rows),
           Co_fmt_noun(r->rows_compared, "row", "rows"),
           cli_num(r->rows_fetched, fetched, sizeof fetched), r->seconds);
    /* One line per entity: its checks, reconcile, content, volume, integrity. */
    for (size_t i = 0; i < r->nchecks;) {
        const char *entity = r->checks[i].entity;
        size_t end = i;
        while (end < r->nchecks && strcmp(r->checks[end].entity, entity) == 0)
            end++;
        printf("  %s:", entity);
        bool first = true;
        for (int kind = CO_CHECK_RECONCILE; kind <= CO_CHECK_INTEGRITY; kind++) {
            for (size_t j = i; j < end; j++) {
                if ((int)r->checks[j].check != kind)
                    continue;
                char text[400];
                check_text(&r->checks[j], text, sizeof text);
                printf("%s %s", first ? "" : ",", text);
                first = false;
            }
        }
        putchar('\n');
        i = end;
    }
    /* What failed, in full, and the first findings (--sample of each check). */
    for (size_t i = 0; i < r->nchecks; i++) {
        const co_check_result *c = &r->checks[i];
        if (!c->pass)
            printf("  FAIL %-16s %-9s %s\n", c->entity, co_check_name(c->check), c->summary);
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        const co_finding *f = &r->findings[i];
        printf("       %s %s %s: %s %s\n", f->entity, co_check_name(f->check), f->kind,
               f->key ? f->key : "", f->detail ? f->detail : "");
    }
}

/* Parses --sample: N from 1 to 1000000, or "all"; returns false (after a usage
 * error) otherwise. */
bool cli_sample(cli_ctx *ctx, size_t *out, int *rc)
{
    const char *text = cli_get(&ctx->args, "sample");
    *out = 10;
    if (!text)
        return true;
    if (strcmp(text, "all") == 0) {
        *out = CO_VERIFY_SAMPLE_ALL;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno || *end || end == text || text[0] == '-' || n == 0 || n > 1000000) {
        *rc = cli_usage_error(ctx,
                              "--sample must be a whole number from 1 to 1000000 or \"all\","
                              " not \"%s\"",
                              text);
        return false;
    }
    *out = (size_t)n;
    return true;
}

/* Progress of a tenant's entities on the bar (or as plain lines). */
static void on_progress(void *ctx, const co_progress *p)
{
    char label[160];
    snprintf(label, sizeof label, "verify tenant %s (%zu/%zu)", p->tenant,
             p->entity_index + 1, p->nentities);
    cli_progress_update(ctx, label, p->entity, p->rows, p->rows_total);
    if (p->entity_done)
        cli_progress_item_done(ctx);
}

/* The verifications of the chosen tenants, shared by the jobs
 * (cli_jobs_run): each job verifies with its own session; the calling
 * thread prints them in the order of the tenants. */
typedef struct verify_run {
    cli_ctx *ctx;
    co_session **sessions;
    cli_progress *bar;            /* the command's: with jobs, their line */
    cli_progress **bars;          /* per job */
    const co_tenant **chosen;
    co_tenant *tenants;           /* all, for the rows of no tenant */
    size_t ntenants;
    size_t sample;
    co_verify_result *results;    /* per tenant */
    co_code *codes;
    co_error *errors;
    int rc;
} verify_run;

static bool verify_one(void *ctx, size_t job, size_t i)
{
    verify_run *v = ctx;
    co_verify_options opt = {.sample = v->sample, .progress = on_progress,
                             .progress_ctx = v->bars[job]};
    /* Rows of no tenant are nobody's: looked for once, with the first. */
    opt.known_tenants = i == 0 ? v->tenants : NULL;
    opt.nknown_tenants = i == 0 ? v->ntenants : 0;
    co_error_clear(&v->errors[i]);
    v->codes[i] = co_verify_tenant(v->sessions[job], v->chosen[i], &opt, &v->results[i],
                                   &v->errors[i]);
    cli_progress_clear(v->bars[job]);
    return v->codes[i] == CO_OK || cli_flag(&v->ctx->args, "keep-going");
}

static void report_verify(void *ctx, size_t i)
{
    verify_run *v = ctx;
    co_verify_result *r = &v->results[i];
    cli_progress_clear(v->bar);
    if (v->codes[i] != CO_OK) {
        int fail = cli_fail("verify", &v->errors[i]);
        if (v->rc == EXIT_OK)
            v->rc = fail;
    } else {
        if (!r->pass && v->rc == EXIT_OK)
            v->rc = EXIT_VERIFY;
        if (v->ctx->json) {
            char *json = co_verify_result_json(r);
            printf("%s%s", i ? "," : "", json ? json : "null");
            free(json);
        } else {
            cli_print_verification(v->ctx, r);
        }
    }
    co_verify_result_release(r);
}

int cmd_verify(cli_ctx *ctx)
{
    int rc = EXIT_OK;
    size_t sample;
    if (!cli_sample(ctx, &sample, &rc))
        return rc;
    cli_session cs;
    rc = cli_open(ctx, "verify", 0, CLI_OPEN_CHOOSE, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_session *s = cs.session;
    co_tenant *tenants = cs.tenants;
    size_t ntenants = cs.ntenants, count = cs.nchosen;
    const co_tenant **chosen = cs.chosen;
    co_error err;
    co_error_clear(&err);
    size_t njobs = 1;
    if (!cli_jobs_option(ctx, co_session_dest(s), count, &njobs, &rc))
        goto done;
    co_session **sessions = calloc(njobs, sizeof *sessions);
    cli_progress **bars = calloc(njobs, sizeof *bars);
    verify_run v = {.ctx = ctx, .sessions = sessions, .bars = bars, .chosen = chosen,
                    .tenants = tenants, .ntenants = ntenants, .sample = sample,
                    .results = calloc(count ? count : 1, sizeof *v.results),
                    .codes = calloc(count ? count : 1, sizeof *v.codes),
                    .errors = calloc(count ? count : 1, sizeof *v.errors)};
    if (!sessions || !bars || !v.results || !v.codes || !v.errors)
        rc = EXIT_INTERNAL;
    else
        rc = cli_jobs_sessions(ctx, "verify", s, 0, njobs, sessions);
    if (rc != EXIT_OK) {
        CO_FREE(sessions, bars, v.results, v.codes, v.errors);
        goto done;
    }
    if (ctx->json)
        fputs("{\"verifications\":[", stdout);
    cli_progress *bar = cli_progress_new(ctx);
    v.bar = bar;
    for (size_t j = 0; j < njobs; j++)
        bars[j] = njobs == 1 ? bar : cli_progress_job(bar, j, njobs);
    cli_jobs jobs = {njobs, count, verify_one, report_verify, &v, NULL};
    cli_jobs_run(&jobs);
    rc = v.rc;
    for (size_t j = 0; njobs > 1 && j < njobs; j++)
        cli_progress_free(bars[j]);
    cli_progress_free(bar);
    cli_jobs_sessions_close(sessions, njobs);
    CO_FREE(sessions, bars, v.results, v.codes, v.errors);
    /* verify --all also accounts for the source rows that no tenant's query
     * returns: a finding unless an orphans rule leaves them out. */
    co_orphans orphans = {0};
    bool accounted = false;
    if (cli_flag(&ctx->args, "all") && (rc == EXIT_OK || rc == EXIT_VERIFY)) {
        co_error_clear(&err);
        if (co_orphans_count(s, tenants, ntenants, &orphans, &err) != CO_OK) {
            if (ctx->json)
                fputs("]}\n", stdout);
            rc = cli_fail("verify", &err);
            goto done;
        }
        accounted = true;
        if (co_orphans_record(s, &orphans, "verify", &err) != CO_OK) {
            if (ctx->json)
                fputs("]}\n", stdout);
            rc = cli_fail("verify", &err);
            goto done;
        }
        if (orphans.rows && rc == EXIT_OK)
            rc = EXIT_VERIFY;
    }
    if (ctx->json) {
        char *json = accounted ? co_orphans_json(&orphans, cs.project) : NULL;
        printf("]%s%s}\n", json ? ",\"orphans\":" : "", json ? json : "");
        free(json);
    } else if (accounted && (!ctx->quiet || orphans.rows)) {
        cli_print_orphans(&orphans, cs.project);
    }
    co_orphans_release(&orphans);
done:
    cli_close(&cs);
    return rc;
}
