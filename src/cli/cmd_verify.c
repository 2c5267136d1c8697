/*
 * cmd_verify.c: `cutover verify --tenant KEY | --all [--sample N]` proves that
 * tenants arrived whole or shows what did not; exit code 12 when any check
 * fails. Also the printing of a verification, shared with migrate.
 */
#include "cli.h"
#include "cutover/verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_print_verification(const cli_ctx *ctx, const co_verify_result *r)
{
    if (ctx->quiet)
        return;
    char rows[32], fetched[32];
    printf("verify tenant %s: %s  (%s rows compared, %s fetched, %.2fs)\n", r->tenant,
           r->pass ? "PASS" : "FAIL", cli_num(r->rows_compared, rows, sizeof rows),
           cli_num(r->rows_fetched, fetched, sizeof fetched), r->seconds);
    for (size_t i = 0; i < r->nchecks; i++) {
        const co_check_result *c = &r->checks[i];
        if (c->pass && r->pass)
            continue; /* on success, one line per tenant is enough */
        printf("  %-4s %-16s %-9s %s\n", c->pass ? "ok" : "FAIL", c->entity,
               co_check_name(c->check), c->summary);
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        const co_finding *f = &r->findings[i];
        printf("       %s %s %s: %s %s\n", f->entity, co_check_name(f->check), f->kind,
               f->key ? f->key : "", f->detail ? f->detail : "");
    }
}

/* Parses --sample; returns false (after a usage error) when it is not a number. */
bool cli_sample(cli_ctx *ctx, size_t *out, int *rc)
{
    const char *text = cli_get(&ctx->args, "sample");
    *out = 10;
    if (!text)
        return true;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno || *end || end == text || text[0] == '-' || n == 0 || n > 1000000) {
        *rc = cli_usage_error(ctx, "--sample must be a whole number from 1 to 1000000, not \"%s\"",
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

int cmd_verify(cli_ctx *ctx)
{
    int rc = EXIT_OK;
    size_t sample;
    if (!cli_sample(ctx, &sample, &rc))
        return rc;
    cli_session cs;
    rc = cli_open(ctx, "verify", 0, CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_session *s = cs.session;
    co_tenant *tenants = cs.tenants;
    size_t ntenants = cs.ntenants;
    co_error err;
    co_error_clear(&err);
    co_code code;
    size_t count = 0;
    const co_tenant **chosen = calloc(ntenants ? ntenants : 1, sizeof *chosen);
    if (!chosen) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    rc = cli_select_tenants(ctx, tenants, ntenants, chosen, &count);
    if (rc != EXIT_OK)
        goto done;
    if (ctx->json)
        fputs("{\"verifications\":[", stdout);
    cli_progress *bar = cli_progress_new(ctx);
    co_verify_options opt = {.sample = sample, .progress = on_progress, .progress_ctx = bar};
    for (size_t i = 0; i < count; i++) {
        co_verify_result r;
        co_error_clear(&err);
        code = co_verify_tenant(s, chosen[i], &opt, &r, &err);
        cli_progress_clear(bar);
        if (code != CO_OK) {
            int fail = cli_fail("verify", &err);
            if (rc == EXIT_OK)
                rc = fail;
            co_verify_result_release(&r);
            if (!cli_flag(&ctx->args, "keep-going"))
                break;
            continue;
        }
        if (!r.pass && rc == EXIT_OK)
            rc = EXIT_VERIFY;
        if (ctx->json) {
            char *json = co_verify_result_json(&r);
            printf("%s%s", i ? "," : "", json ? json : "null");
            free(json);
        } else {
            cli_print_verification(ctx, &r);
        }
        co_verify_result_release(&r);
    }
    cli_progress_free(bar);
    if (ctx->json)
        fputs("]}\n", stdout);
done:
    free(chosen);
    cli_close(&cs);
    return rc;
}
