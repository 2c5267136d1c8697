/* cmd_demo.c: `cutover demo init DIR` generates the demo legacy CRM. */
#include "cli.h"
#include "cutover/demo.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/uri.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    if (total == 0) /* a step without rows */
        cli_progress_step(ctx, "generating", what);
    else
        cli_progress_update(ctx, "generating", what, (long long)done, (long long)total);
}

/* `cutover [--source URI] demo traffic DIR --tenant T --rate N --seconds S` */
static int demo_traffic(cli_ctx *ctx)
{
    const char *tenant = cli_get(&ctx->args, "tenant");
    if (!tenant || !*tenant)
        return cli_usage_error(ctx, "demo traffic needs --tenant KEY");
    double rate = 200, seconds = 10;
    const char *text;
    char *end;
    if ((text = cli_get(&ctx->args, "rate")) && ((rate = strtod(text, &end)), *end || end == text))
        return cli_usage_error(ctx, "--rate must be a number of writes a second, not \"%s\"", text);
    if ((text = cli_get(&ctx->args, "seconds")) &&
        ((seconds = strtod(text, &end)), *end || end == text))
        return cli_usage_error(ctx, "--seconds must be a number, not \"%s\"", text);
    co_error err;
    co_error_clear(&err);
    co_traffic_result r;
    if (co_demo_traffic(ctx->args.positional[1], cli_get(&ctx->args, "source"), tenant, rate,
                        seconds, 7, &r, &err) != CO_OK)
        return cli_fail("demo traffic", &err);
    if (ctx->json)
        printf("{\"inserted\":%lld,\"updated\":%lld,\"refused\":%lld,\"first_event\":%lld,"
               "\"last_event\":%lld}\n",
               (long long)r.inserted, (long long)r.updated, (long long)r.refused,
               (long long)r.first_event, (long long)r.last_event);
    else if (!ctx->quiet)
        printf("tenant %s: %lld events inserted, %lld contacts updated, %lld writes refused by a "
               "freeze\n",
               tenant, (long long)r.inserted, (long long)r.updated, (long long)r.refused);
    return EXIT_OK;
}

int cmd_demo(cli_ctx *ctx)
{
    if (ctx->args.npositional == 2 && strcmp(ctx->args.positional[0], "traffic") == 0)
        return demo_traffic(ctx);
    if (ctx->args.npositional != 2 || strcmp(ctx->args.positional[0], "init") != 0)
        return cli_usage_error(ctx, "expected: demo init DIR, or demo traffic DIR --tenant KEY");
    co_demo_options opt = {0};
    opt.dir = ctx->args.positional[1];
    opt.scale = 0.01;
    opt.seed = 42;
    opt.now = cli_get(&ctx->args, "now");
    opt.source = cli_get(&ctx->args, "source");
    const char *scale = cli_get(&ctx->args, "scale");
    if (scale) {
        char *end;
        errno = 0;
        opt.scale = strtod(scale, &end);
        if (errno || *end || end == scale)
            return cli_usage_error(ctx, "--scale must be a number, not \"%s\"", scale);
    }
    const char *seed = cli_get(&ctx->args, "seed");
    if (seed) {
        char *end;
        errno = 0;
        opt.seed = strtoull(seed, &end, 10);
        if (errno || *end || end == seed || seed[0] == '-')
            return cli_usage_error(ctx, "--seed must be a whole number, not \"%s\"", seed);
    }
    cli_progress *progress = cli_progress_new(ctx);
    opt.progress = on_progress;
    opt.progress_ctx = progress;
    co_error err;
    co_error_clear(&err);
    co_demo_summary sum = {0};
    co_code code = co_demo_init(&opt, &sum, &err);
    cli_progress_free(progress);
    if (code != CO_OK)
        return cli_fail("demo init", &err);
    if (ctx->json) {
        co_buf out = CO_BUF_INIT;
        Co_buf_adds(&out, "{\"dir\":");
        Co_json_str(&out, opt.dir);
        Co_buf_printf(&out, ",\"scale\":%g,\"seed\":%llu,\"tenants\":%lld,\"teams\":%lld,"
               "\"contacts\":%lld,\"campaigns\":%lld,\"events\":%lld}\n",
               opt.scale, (unsigned long long)opt.seed, (long long)sum.tenants,
               (long long)sum.teams, (long long)sum.contacts, (long long)sum.campaigns,
               (long long)sum.events);
        fputs(co_buf_str(&out), stdout);
        Co_buf_release(&out);
    } else if (!ctx->quiet) {
        char a[32], b[32], c[32];
        printf("demo in %s: %lld tenants, %s contacts, %s campaigns, %s events (scale %g, seed %llu)\n",
               opt.dir, (long long)sum.tenants, cli_num(sum.contacts, a, sizeof a),
               cli_num(sum.campaigns, b, sizeof b), cli_num(sum.events, c, sizeof c), opt.scale,
               (unsigned long long)opt.seed);
        printf("  legacy.db     the legacy CRM (source)\n"
               "  crm.db        the new CRM's empty schema (target)\n"
               "  staging.db    the same empty schema, for rehearsals\n"
               "  cutover.yaml  the mapping; try: cutover -p %s/cutover.yaml check\n"
               "  planted.json  the problems planted in the data, with their keys\n",
               opt.dir);
        if (opt.source && *opt.source) {
            co_buf masked = CO_BUF_INIT;
            Co_uri_mask(opt.source, &masked);
            printf("  the legacy CRM is in %s too: cutover.yaml reads it (password: MYSQL_PWD)\n",
                   co_buf_str(&masked));
            Co_buf_release(&masked);
        }
    }
    return EXIT_OK;
}
