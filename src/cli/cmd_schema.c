/*
 * cmd_schema.c: `cutover schema create [--into staging|target]` creates the
 * entities' tables that a database lacks, as the other declares them:
 * staging's from the target (the default), or the target's from staging.
 */
#include "cli.h"
#include "cutover/schema.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

void cli_print_created(const cli_ctx *ctx, co_side into, co_side from, char **names, size_t n)
{
    if (ctx->quiet || ctx->json || n == 0)
        return;
    printf("%s: created %zu table%s from the %s's schema:", co_side_name(into), n,
           n == 1 ? "" : "s", co_side_name(from));
    for (size_t i = 0; i < n; i++)
        printf("%s %s", i ? "," : "", names[i]);
    printf("\n");
}

int cmd_schema(cli_ctx *ctx)
{
    const char *verb = ctx->args.npositional ? ctx->args.positional[0] : NULL;
    if (!verb || strcmp(verb, "create") != 0 || ctx->args.npositional > 1)
        return cli_usage_error(ctx, "expected: cutover schema create [--into staging|target]");
    const char *into_name = cli_get(&ctx->args, "into");
    if (!into_name)
        into_name = "staging";
    co_side into, from;
    if (strcmp(into_name, "staging") == 0) {
        into = CO_SIDE_STAGING;
        from = CO_SIDE_TARGET;
    } else if (strcmp(into_name, "target") == 0) {
        into = CO_SIDE_TARGET;
        from = CO_SIDE_STAGING;
    } else {
        return cli_usage_error(ctx, "--into must be staging or target, not \"%s\"", into_name);
    }
    co_project *p = NULL;
    int rc = cli_load_project(ctx, &p);
    if (rc != EXIT_OK)
        return rc;
    const char *uri = into == CO_SIDE_STAGING ? p->staging : p->target;
    co_error err;
    co_error_clear(&err);
    co_store *dest = NULL;
    char **created = NULL;
    size_t n = 0;
    co_code code = uri ? co_store_open_create(uri, into, p->dir, &dest, &err)
                       : co_error_set(&err, CO_EPROJECT, "the project file names no %s database",
                                      co_side_name(into));
    if (code == CO_OK)
        code = co_schema_create(p, from, dest, &created, &n, &err);
    if (code != CO_OK) {
        rc = cli_fail("schema create", &err);
    } else if (ctx->json) {
        co_buf out = CO_BUF_INIT;
        Co_buf_printf(&out, "{\"into\":\"%s\",\"from\":\"%s\",\"created\":[",
                      co_side_name(into), co_side_name(from));
        Co_json_strs(&out, created, n);
        Co_buf_adds(&out, "]}\n");
        fputs(co_buf_str(&out), stdout);
        Co_buf_release(&out);
    } else if (!ctx->quiet) {
        if (n)
            cli_print_created(ctx, into, from, created, n);
        else
            printf("%s: every entity's table exists; nothing to create\n", co_side_name(into));
    }
    co_names_free(created, n);
    co_store_close(dest);
    co_project_free(p);
    return rc;
}
