/*
 * cmd_recover.c: `cutover recover-journal` rebuilds a lost journal from
 * cutover's traces on the source and the target (cutover/traces.h): the
 * routes of switched tenants, the tenants in flight, and those rolled back by
 * reverse sync whose purge waits. It writes into the journal named by the
 * project (or --state), which must have no runs.
 */
#include "cli.h"
#include "cutover/traces.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>

/* The entities whose rows a purge finds through their id maps (no
 * tenant_column, or a target_key), comma-separated into out: the traces do
 * not hold id maps, so a purge under a rebuilt journal leaves their rows. */
static bool id_map_entities(const co_project *p, bool json, co_buf *out)
{
    bool any = false;
    for (size_t i = 0; i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        if (e->tenant_column && !e->target_key)
            continue;
        Co_buf_adds(out, any ? (json ? "," : ", ") : "");
        if (json)
            Co_json_str(out, e->name);
        else
            Co_buf_adds(out, e->name);
        any = true;
    }
    return any;
}

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
    bool pending = false;
    co_buf mapped = CO_BUF_INIT;
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
                          r[i].switched        ? "switched"
                          : r[i].syncing       ? "syncing"
                          : r[i].purge_pending ? "purge_pending"
                                               : "migrating",
                          r[i].captured ? "true" : "false", r[i].on_target ? "true" : "false");
            if (r[i].from[0])
                Co_json_str(&b, r[i].from);
            else
                Co_buf_adds(&b, "null");
            Co_buf_addc(&b, '}');
        }
        for (size_t i = 0; i < n; i++)
            pending = pending || r[i].purge_pending;
        /* A purge_pending tenant's rows that its purge cannot find. */
        Co_buf_adds(&b, "],\"id_map_entities\":[");
        if (pending)
            id_map_entities(co_session_project(cs.session), true, &b);
        Co_buf_adds(&b, "]}\n");
        fputs(co_buf_str(&b), stdout);
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        for (size_t i = 0; i < n; i++)
            printf("tenant %s: %s%s%s\n", r[i].tenant,
                   r[i].switched  ? "switched, route new"
                   : r[i].syncing ? "syncing, route old (cutover sync goes on from its mark)"
                   : r[i].purge_pending
                       ? "purge pending, route old: rolled back by reverse sync, its rows in "
                         "the target frozen there until purged (cutover purge, or cutover sync)"
                       : "in flight, route old (the next migrate resumes it)",
                   r[i].captured ? "; capture installed on the source" : "",
                   r[i].on_target ? "; rows in the target" : "");
        for (size_t i = 0; i < n; i++)
            pending = pending || r[i].purge_pending;
        if (pending && id_map_entities(co_session_project(cs.session), false, &mapped))
            printf("a purge finds the rows of %s through their id maps, which are not in the "
                   "traces: those of a tenant rebuilt purge_pending stay in the target after "
                   "its purge\n",
                   co_buf_str(&mapped));
        printf("%zu tenant%s rebuilt into the journal from cutover's traces%s\n", n,
               n == 1 ? "" : "s",
               n ? "; rehearsals and id maps are not in the traces: rehearse again before "
                   "migrating a tenant in flight"
                 : "");
    }
    Co_buf_release(&mapped);
    co_recovered_free(r, n);
    cli_close(&cs);
    return rc;
}
