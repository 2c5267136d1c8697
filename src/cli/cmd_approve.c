/*
 * cmd_approve.c: `cutover approve SUBJECT --step STEP [--by NAME]` approves
 * a step that waits for a second person (approval.h). The person who started
 * the step is refused (exit 2), and the refusal is journaled too.
 */
#include "cli.h"
#include "cutover/approval.h"
#include "cutover/migrate.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>

int cmd_approve(cli_ctx *ctx)
{
    const char *step = cli_get(&ctx->args, "step");
    if (ctx->args.npositional != 1 || !step || !*step)
        return cli_usage_error(ctx, "expected a tenant (or another subject) and --step STEP, as "
                                    "in cutover approve 7 --step switch --by NAME");
    const char *subject = ctx->args.positional[0];
    const char *by = cli_user(ctx);
    if (!by)
        return cli_usage_error(ctx, "who approves? pass --by NAME or set CUTOVER_USER");
    cli_session cs;
    int rc = cli_open(ctx, "approve", CO_SESSION_READ_ONLY | CO_SESSION_JOURNAL_ONLY, 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    if (co_approval_grant(co_session_state(cs.session), cs.project, subject, step, by, &err) !=
        CO_OK)
        rc = cli_fail("approve", &err);
    else if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_json_field(&b, "{\"subject\":", subject);
        Co_json_field(&b, ",\"step\":", step);
        Co_json_field(&b, ",\"approved_by\":", by);
        printf("%s}\n", co_buf_str(&b));
        Co_buf_release(&b);
    } else if (!ctx->quiet)
        printf("step %s of %s approved by %s; the next run goes on\n", step, subject, by);
    cli_close(&cs);
    return rc;
}
