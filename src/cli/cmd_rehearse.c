/*
 * cmd_rehearse.c: `cutover rehearse --tenant KEY | --all` loads tenants into
 * staging and verifies them there, recording pass or fail for migrate; exit
 * code 12 when a rehearsal fails. A failed one shows why: its reasons and the
 * first findings of its verification (text and --json alike).
 */
#include "cli.h"
#include "cutover/rehearse.h"

#include <stdio.h>
#include <stdlib.h>

/* Progress of a tenant's entities on the bar (or as plain lines). */
static void on_progress(void *ctx, const co_progress *p)
{
    char label[160];
    snprintf(label, sizeof label, "rehearse tenant %s (%zu/%zu)", p->tenant,
             p->entity_index + 1, p->nentities);
    cli_progress_update(ctx, label, p->entity, p->rows, p->rows_total);
    if (p->entity_done)
        cli_progress_item_done(ctx);
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
    cli_progress *bar = cli_progress_new(ctx);
    co_verify_options vopt = {.sample = sample, .progress = on_progress, .progress_ctx = bar};
    bool keep_going = cli_flag(&ctx->args, "keep-going");
    size_t printed = 0;
    if (ctx->json)
        fputs("{\"rehearsals\":[", stdout);
    for (size_t i = 0; i < count; i++) {
        co_rehearsal_result r;
        co_error_clear(&err);
        co_code code = co_rehearse_tenant(cs.session, rehearsal, chosen[i], &vopt, &r, &err);
        cli_progress_clear(bar);
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
    cli_progress_free(bar);
    if (ctx->json)
        fputs("]}\n", stdout);
done:
    co_session_close(rehearsal);
    free(chosen);
    cli_close(&cs);
    return rc;
}
