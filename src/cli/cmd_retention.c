/*
 * cmd_retention.c: `cutover archive --tenant KEY` and `cutover finalize
 * --tenant KEY`: keeping a switched tenant's source rows, then ending its
 * undo window once the retention days are over.
 */
#include "cli.h"
#include "cutover/cutover_seq.h"

#include <stdio.h>
#include <stdlib.h>

static int each_tenant(cli_ctx *ctx, const char *what,
                       int (*fn)(cli_ctx *ctx, co_session *s, const co_tenant *t))
{
    cli_session cs;
    int rc = cli_open(ctx, what, CO_SESSION_READ_ONLY | CO_SESSION_GUARD, CLI_OPEN_CHOOSE, &cs);
    if (rc != EXIT_OK)
        return rc;
    for (size_t i = 0; rc == EXIT_OK && i < cs.nchosen; i++)
        rc = fn(ctx, cs.session, cs.chosen[i]);
    cli_close(&cs);
    return rc;
}

static int archive_one(cli_ctx *ctx, co_session *s, const co_tenant *t)
{
    co_error err;
    co_error_clear(&err);
    co_archive_result r;
    int rc = EXIT_OK;
    if (co_archive_tenant(s, t, &r, &err) != CO_OK)
        rc = cli_fail("archive", &err);
    else if (ctx->json)
        printf("{\"tenant\":\"%s\",\"rows\":%lld,\"bytes\":%lld}\n", t->key, (long long)r.rows,
               (long long)r.bytes);
    else if (!ctx->quiet)
        printf("tenant %s: %lld source rows archived to %s (%lld bytes, zstd)\n", t->key,
               (long long)r.rows, r.path, (long long)r.bytes);
    co_archive_result_release(&r);
    return rc;
}

static int finalize_one(cli_ctx *ctx, co_session *s, const co_tenant *t)
{
    co_error err;
    co_error_clear(&err);
    if (co_finalize_tenant(s, t, &err) != CO_OK)
        return cli_fail("finalize", &err);
    if (!ctx->quiet)
        printf("tenant %s finalized: capture and freeze removed from the source\n", t->key);
    return EXIT_OK;
}

int cmd_archive(cli_ctx *ctx) { return each_tenant(ctx, "archive", archive_one); }
int cmd_finalize(cli_ctx *ctx) { return each_tenant(ctx, "finalize", finalize_one); }
