/*
 * cmd_recover.c: `cutover recover-journal` rebuilds a lost journal from
 * cutover's traces on the source and the target (cutover/traces.h): the
 * routes of switched tenants, and the tenants in flight. It writes into the
 * journal named by the project (or --state), which must have no runs.
 */
#include "cli.h"
#include "cutover/traces.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>

int cmd_recover_journal(cli_ctx *ctx)
{
    cli_session cs;
    /* The source's tenants go into the journal too, with their labels. */
    int rc = cli_open(ctx, "recover-journal", 0, CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_recovered *r = NULL;
    size_t n = 0;
    if (co_traces_recover(cs.session, &r, &n, &err) != CO_OK) {
        rc = cli_fail("recover-journal", &err);
    } else if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "{\"tenants\":[");
        for (size_t i = 0; i < n; i++) {
            Co_buf_adds(&b, i ? ",{\"tenant\":" : "{\"tenant\":");
            Co_json_str(&b, r[i].tenant);
            Co_buf_printf(&b, ",\"route\":\"%s\",\"state\":\"%s\",\"captured\":%s,"
                              "\"on_target\":%s,\"journal\":",
                          r[i].switched ? "new" : "old",
                          r[i].switched  ? "switched"
                          : r[i].syncing ? "syncing"
                                         : "migrating",
                          r[i].captured ? "true" : "false", r[i].on_target ? "true" : "false");
            if (r[i].from[0])
                Co_json_str(&b, r[i].from);
            else
                Co_buf_adds(&b, "null");
            Co_buf_addc(&b, '}');
        }
        Co_buf_adds(&b, "]}\n");
        fputs(co_buf_str(&b), stdout);
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        for (size_t i = 0; i < n; i++)
            printf("tenant %s: %s%s%s\n", r[i].tenant,
                   r[i].switched  ? "switched, route new"
                   : r[i].syncing ? "syncing, route old (cutover sync goes on from its mark)"
                                  : "in flight, route old (the next migrate resumes it)",
                   r[i].captured ? "; capture installed on the source" : "",
                   r[i].on_target ? "; rows in the target" : "");
        printf("%zu tenant%s rebuilt into the journal from cutover's traces%s\n", n,
               n == 1 ? "" : "s",
               n ? "; rehearsals and id maps are not in the traces: rehearse again before "
                   "migrating a tenant in flight"
                 : "");
    }
    co_recovered_free(r, n);
    cli_close(&cs);
    return rc;
}
