/*
 * cmd_check.c: `cutover check` validates the project file, opens every
 * connection, lists the tenants and checks each entity against source and
 * target, copying nothing.
 */
#include "cli.h"
#include "cutover/migrate.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/uri.h"

#include <stdio.h>

int cmd_check(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "check", CO_SESSION_READ_ONLY, CLI_OPEN_CHECK, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_project *p = cs.project;
    co_session *s = cs.session;
    size_t ntenants = cs.ntenants;
    co_error err;
    co_error_clear(&err);
    co_code code = CO_OK;
    if (p->staging) {
        co_session *staging = NULL;
        code = co_session_open(p, CO_SESSION_STAGING | CO_SESSION_READ_ONLY, &staging, &err);
        if (code == CO_OK)
            code = co_session_check(staging, &err);
        co_session_close(staging);
    }
    if (code != CO_OK) {
        rc = cli_fail("check", &err);
    } else if (ctx->json) {
        co_buf out = CO_BUF_INIT;
        co_buf_adds(&out, "{\"ok\":true,\"project\":");
        co_json_str(&out, p->path);
        co_buf_printf(&out, ",\"hash\":\"%s\",\"tenants\":%zu,\"entities\":[", p->hash, ntenants);
        for (size_t i = 0; i < p->nentities; i++) {
            const co_entity *e = &p->entities[i];
            co_buf_adds(&out, i ? ",{\"name\":" : "{\"name\":");
            co_json_str(&out, e->name);
            co_buf_adds(&out, ",\"target\":");
            co_json_str(&out, e->target);
            co_buf_adds(&out, ",\"query\":");
            co_json_str(&out, e->query);
            co_buf_adds(&out, ",\"columns\":[");
            /* The query's output columns, which load into the same-named target columns. */
            co_param tenant = {":tenant", co_null()};
            co_cursor *c = NULL;
            if (co_store_query(s->source, e->query, &tenant, 1, &c, &err) == CO_OK) {
                for (size_t k = 0; k < co_cursor_ncols(c); k++) {
                    co_buf_adds(&out, k ? "," : "");
                    co_json_str(&out, co_cursor_colname(c, k));
                }
                co_cursor_close(c);
            }
            co_buf_adds(&out, "]}");
        }
        co_buf_adds(&out, "]}\n");
        fputs(co_buf_str(&out), stdout);
        co_buf_release(&out);
    } else {
        printf("project   %s (hash %s)\n", p->path, p->hash);
        printf("source    %s: %zu tenants\n", co_store_safe_uri(s->source), ntenants);
        printf("target    %s\n", co_store_safe_uri(s->dest));
        if (p->staging) {
            co_buf masked = CO_BUF_INIT;
            co_uri_mask(p->staging, &masked);
            printf("staging   %s\n", co_buf_str(&masked));
            co_buf_release(&masked);
        }
        for (size_t i = 0; i < p->nentities; i++)
            printf("entity    %-16s -> %s: query prepares, columns exist\n", p->entities[i].name,
                   p->entities[i].target);
        printf("ok\n");
    }
    cli_close(&cs);
    return rc;
}
