/*
 * cmd_rehearse.c: `cutover rehearse --tenant KEY | --all [--jobs N]` loads tenants into
 * staging and verifies them there, recording pass or fail for migrate; exit
 * code 12 when a rehearsal fails. A failed one shows why: its reasons and the
 * first findings of its verification (text and --json alike).
 */
#include "cli.h"
#include "cutover/rehearse.h"
#include "cutover/schema.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>

/* Where the rehearsal stands: tenant i of count, loading or verifying. */
typedef struct rehearse_progress {
    cli_progress *bar;
    size_t i, count;
    bool verifying; /* the load's last entity is done: the verification reports now */
} rehearse_progress;

/* Progress of a tenant's entities on the bar (or as plain lines), labelled
 * as migrate labels them: the tenant, its place in the run, the entity. */
static void on_progress(void *ctx, const co_progress *p)
{
    rehearse_progress *rp = ctx;
    char label[200], item[160];
    snprintf(label, sizeof label, "rehearse tenant %s (%zu/%zu) %s", p->tenant, rp->i + 1,
             rp->count, rp->verifying ? "verify" : "load");
    snprintf(item, sizeof item, "[%zu/%zu] %s", p->entity_index + 1, p->nentities, p->entity);
    cli_progress_update(rp->bar, label, item, p->rows, p->rows_total);
    if (p->entity_done) {
        cli_progress_item_done(rp->bar);
        if (p->entity_index + 1 == p->nentities)
            rp->verifying = true;
    }
}

/* The rehearsals of the chosen tenants, shared by the jobs (cli_jobs_run):
 * each job with its own sessions (the journal's, staging's); the calling
 * thread prints them in the order of the tenants. */
typedef struct rehearse_run {
    cli_ctx *ctx;
    co_session **mains, **stagings; /* per job */
    rehearse_progress *rps;         /* per job */
    cli_progress *bar;              /* the command's */
    cli_overall *ov;
    const co_tenant **chosen;
    size_t sample;
    co_rehearsal_result *results;   /* per tenant */
    co_code *codes;
    co_error *errors;
    size_t printed;
    bool stop;                      /* a JSON document could not be made: print no more */
    int rc;
} rehearse_run;

/* Frees what the run allocated (the sessions are closed apart). */
static void rehearse_run_free(rehearse_run *rr)
{
    CO_FREE(rr->mains, rr->stagings, rr->rps, rr->results, rr->codes, rr->errors);
}

static bool rehearse_one(void *ctx, size_t job, size_t i)
{
    rehearse_run *rr = ctx;
    rehearse_progress *rp = &rr->rps[job];
    rp->i = i;
    rp->verifying = false;
    co_verify_options vopt = {.sample = rr->sample, .progress = on_progress, .progress_ctx = rp,
                              .count_rows = rr->ctx->progress};
    co_error_clear(&rr->errors[i]);
    rr->codes[i] = co_rehearse_tenant(rr->mains[job], rr->stagings[job], rr->chosen[i], &vopt,
                                      &rr->results[i], &rr->errors[i]);
    cli_progress_clear(rp->bar);
    bool keep_going = cli_flag(&rr->ctx->args, "keep-going");
    return keep_going || (rr->codes[i] == CO_OK && rr->results[i].pass);
}

static void report_rehearsal(void *ctx, size_t i)
{
    rehearse_run *rr = ctx;
    cli_ctx *cctx = rr->ctx;
    co_rehearsal_result *r = &rr->results[i];
    const co_tenant *t = rr->chosen[i];
    cli_progress_clear(rr->bar);
    cli_overall_step(rr->ov, i, rr->codes[i] == CO_OK ? r->rows : 0);
    if (rr->stop) {
        co_rehearsal_result_release(r);
        return;
    }
    if (rr->codes[i] != CO_OK) {
        int fail = cli_fail("rehearse", &rr->errors[i]);
        if (rr->rc == EXIT_OK)
            rr->rc = fail;
        co_rehearsal_result_release(r);
        return;
    }
    if (!r->pass && rr->rc == EXIT_OK)
        rr->rc = EXIT_VERIFY;
    if (cctx->json) {
        char *json = co_rehearsal_result_json(t->key, r);
        if (!json) {
            co_rehearsal_result_release(r);
            rr->rc = EXIT_INTERNAL;
            rr->stop = true;
            return;
        }
        printf("%s%s", rr->printed++ ? "," : "", json);
        free(json);
    } else if (!cctx->quiet || !r->pass) {
        printf("rehearse tenant %s: %s in %.2fs: %s\n", t->key, r->pass ? "PASS" : "FAIL",
               r->seconds, r->reasons);
        /* the first findings, as verify prints them */
        const co_verify_result *v = &r->verification;
        for (size_t f = 0; !r->pass && f < v->nfindings && f < CO_REHEARSAL_FINDINGS; f++)
            printf("       %s %s %s: %s %s\n", v->findings[f].entity,
                   co_check_name(v->findings[f].check), v->findings[f].kind,
                   v->findings[f].key ? v->findings[f].key : "",
                   v->findings[f].detail ? v->findings[f].detail : "");
    }
    co_rehearsal_result_release(r);
}

int cmd_rehearse(cli_ctx *ctx)
{
    int rc = EXIT_OK;
    size_t sample;
    if (!cli_sample(ctx, &sample, &rc))
        return rc;
    cli_session cs;
    rc = cli_open(ctx, "rehearse", CO_SESSION_READ_ONLY, CLI_OPEN_CHOOSE, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_session *rehearsal = NULL;
    size_t count = cs.nchosen;
    const co_tenant **chosen = cs.chosen;
    if (co_rehearsal_open(cs.project, &rehearsal, &err) != CO_OK) {
        rc = cli_fail("rehearse", &err);
        goto done;
    }
    /* Staging gets the target's tables it lacks, and the user is told. */
    char **created = NULL;
    size_t ncreated = 0;
    if (co_schema_create(cs.project, CO_SIDE_TARGET, co_session_dest(rehearsal), &created,
                         &ncreated, &err) != CO_OK) {
        rc = cli_fail("rehearse", &err);
        goto done;
    }
    cli_print_created(ctx, CO_SIDE_STAGING, CO_SIDE_TARGET, created, ncreated);
    size_t njobs = 1;
    if (!cli_jobs_option(ctx, co_session_dest(rehearsal), count, &njobs, &rc)) {
        co_names_free(created, ncreated);
        goto done;
    }
    co_session **mains = calloc(njobs, sizeof *mains), **stagings = calloc(njobs, sizeof *stagings);
    rehearse_run rr = {.ctx = ctx, .mains = mains, .stagings = stagings, .chosen = chosen,
                       .sample = sample, .rps = calloc(njobs, sizeof *rr.rps),
                       .results = calloc(count ? count : 1, sizeof *rr.results),
                       .codes = calloc(count ? count : 1, sizeof *rr.codes),
                       .errors = calloc(count ? count : 1, sizeof *rr.errors)};
    if (!mains || !stagings || !rr.rps || !rr.results || !rr.codes || !rr.errors)
        rc = EXIT_INTERNAL;
    if (rc == EXIT_OK)
        rc = cli_jobs_sessions(ctx, "rehearse", cs.session, CO_SESSION_READ_ONLY, njobs, mains);
    if (rc == EXIT_OK) {
        rc = cli_jobs_sessions(ctx, "rehearse", rehearsal, CLI_JOBS_REHEARSAL, njobs, stagings);
        if (rc != EXIT_OK)
            cli_jobs_sessions_close(mains, njobs);
    }
    if (rc != EXIT_OK) {
        co_names_free(created, ncreated);
        rehearse_run_free(&rr);
        goto done;
    }
    cli_progress *bar = cli_progress_new(ctx);
    rr.bar = bar;
    for (size_t j = 0; j < njobs; j++)
        rr.rps[j] = (rehearse_progress){njobs == 1 ? bar : cli_progress_job(bar, j, njobs), 0,
                                        count, false};
    rr.ov = cli_overall_new(bar, cs.session, chosen, count);
    if (ctx->json) {
        co_buf head = CO_BUF_INIT;
        Co_buf_adds(&head, "{\"staging_created\":[");
        Co_json_strs(&head, created, ncreated);
        Co_buf_adds(&head, "],\"rehearsals\":[");
        fputs(co_buf_str(&head), stdout);
        Co_buf_release(&head);
    }
    co_names_free(created, ncreated);
    cli_jobs jobs = {njobs, count, rehearse_one, report_rehearsal, &rr, NULL};
    cli_jobs_run(&jobs);
    rc = rr.rc;
    cli_overall_free(rr.ov);
    for (size_t j = 0; njobs > 1 && j < njobs; j++)
        cli_progress_free(rr.rps[j].bar);
    cli_progress_free(bar);
    cli_jobs_sessions_close(stagings, njobs);
    cli_jobs_sessions_close(mains, njobs);
    rehearse_run_free(&rr);
    if (ctx->json)
        fputs("]}\n", stdout);
done:
    co_session_close(rehearsal);
    cli_close(&cs);
    return rc;
}
