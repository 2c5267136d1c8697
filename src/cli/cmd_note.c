/*
 * cmd_note.c: `cutover note TENANT "TEXT" [--by NAME]` journals an
 * observation about a tenant (from a sales team, a support call) with the
 * time and its author; status and the report show it.
 */
#include "cli.h"
#include "cutover/approval.h"
#include "cutover/migrate.h"

#include <stdio.h>

int cmd_note(cli_ctx *ctx)
{
    if (ctx->args.npositional != 2)
        return cli_usage_error(ctx, "expected a tenant and the note's text, as in "
                                    "cutover note 7 \"opens look low since Monday\"");
    const char *tenant = ctx->args.positional[0], *text = ctx->args.positional[1];
    const char *author = cli_user(ctx);
    if (!author)
        return cli_usage_error(ctx, "who writes the note? pass --by NAME or set CUTOVER_USER");
    cli_session cs;
    int rc = cli_open_journal(ctx, "note", tenant, &cs); /* the source only for a new tenant */
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    if (cs.tenants && !co_tenant_find(cs.tenants, cs.ntenants, tenant)) {
        rc = cli_unknown_tenant(ctx, tenant, cs.tenants, cs.ntenants);
    } else if (co_note_add(co_session_state(cs.session), tenant, author, text, &err) != CO_OK) {
        rc = cli_fail("note", &err);
    } else if (!ctx->quiet && !ctx->json) {
        printf("note on tenant %s by %s journaled\n", tenant, author);
    }
    cli_close(&cs);
    return rc;
}
