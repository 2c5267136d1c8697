/*
 * cmd_rehearse.c: `cutover rehearse --tenant KEY | --all` loads tenants into
 * staging and verifies them there, recording pass or fail for migrate; exit
 * code 12 when a rehearsal fails. A failed one shows why: its reasons and the
 * first findings of its verification (text and --json alike).
 */
#include "cli.h"
#include "cutover/rehearse.h"
#include "cutover/schema.h"
#include "util/buf.h"
#include "util/json.h"

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

int cmd_rehearse(cli_ctx *ctx)
{
    int rc = EXIT_OK;
    size_t sample;
    if (!cli_sample(ctx, &sample, &rc))
        return rc;
    cli_session cs;
    rc = cli_open(ctx, "rehearse", CO_SESSION_READ_ONLY, CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_session *rehearsal = NULL;
    size_t count = 0;
    const co_tenant **chosen = calloc(cs.ntenants ? cs.ntenants : 1, sizeof *chosen);
    if (!chosen) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    rc = cli_select_tenants(ctx, cs.tenants, cs.ntenants, chosen, &count);
    if (rc != EXIT_OK)
        goto done;
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
    cli_progress *bar = cli_progress_new(ctx);
    rehearse_progress rp = {bar, 0, count, false};
    cli_overall *ov = cli_overall_new(bar, cs.session, chosen, count);
    co_verify_options vopt = {.sample = sample, .progress = on_progress, .progress_ctx = &rp,
                              .count_rows = ctx->progress};
    bool keep_going = cli_flag(&ctx->args, "keep-going");
    if (ctx->json) {
        co_buf head = CO_BUF_INIT;
        co_buf_adds(&head, "{\"staging_created\":[");
        for (size_t i = 0; i < ncreated; i++) {
            co_buf_adds(&head, i ? "," : "");
            co_json_str(&head, created[i]);
        }
        co_buf_adds(&head, "],\"rehearsals\":[");
        fputs(co_buf_str(&head), stdout);
        co_buf_release(&head);
    }
    co_names_free(created, ncreated);
    size_t printed = 0;
    for (size_t i = 0; i < count; i++) {
        co_rehearsal_result r;
        co_error_clear(&err);
        rp.i = i;
        rp.verifying = false;
        co_code code = co_rehearse_tenant(cs.session, rehearsal, chosen[i], &vopt, &r, &err);
        cli_progress_clear(bar);
        cli_overall_step(ov, i, code == CO_OK ? r.rows : 0);
        if (code != CO_OK) {
            int fail = cli_fail("rehearse", &err);
            if (rc == EXIT_OK)
                rc = fail;
            co_rehearsal_result_release(&r);
            if (!keep_going)
                break;
            continue;
        }
        if (!r.pass && rc == EXIT_OK)
            rc = EXIT_VERIFY;
        if (ctx->json) {
            char *json = co_rehearsal_result_json(chosen[i]->key, &r);
            if (!json) {
                co_rehearsal_result_release(&r);
                rc = EXIT_INTERNAL;
                break;
            }
            printf("%s%s", printed++ ? "," : "", json);
            free(json);
        } else if (!ctx->quiet || !r.pass) {
            printf("rehearse tenant %s: %s in %.2fs: %s\n", chosen[i]->key,
                   r.pass ? "PASS" : "FAIL", r.seconds, r.reasons);
            /* the first findings, as verify prints them */
            const co_verify_result *v = &r.verification;
            for (size_t f = 0; !r.pass && f < v->nfindings && f < CO_REHEARSAL_FINDINGS; f++)
                printf("       %s %s %s: %s %s\n", v->findings[f].entity,
                       co_check_name(v->findings[f].check), v->findings[f].kind,
                       v->findings[f].key ? v->findings[f].key : "",
                       v->findings[f].detail ? v->findings[f].detail : "");
        }
        bool passed = r.pass;
        co_rehearsal_result_release(&r);
        if (!passed && !keep_going)
            break;
    }
    cli_overall_free(ov);
    cli_progress_free(bar);
    if (ctx->json)
        fputs("]}\n", stdout);
done:
    co_session_close(rehearsal);
    free(chosen);
    cli_close(&cs);
    return rc;
}
