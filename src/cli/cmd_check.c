/*
 * cmd_check.c: `cutover check` validates the project file, opens every
 * connection, lists the tenants and checks each entity against source and
 * target, copying nothing.
 */
#include "cli.h"
#include "cutover/migrate.h"
#include "cutover/schema.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/uri.h"

#include <stdio.h>
#include <string.h>

/* Prints each missing table with its entity and the command that creates it:
 * on stderr as an error (fatal) or on stdout as a note. */
static void print_missing(const co_project *p, co_side side, char **missing, size_t n,
                          const char *fix, bool fatal)
{
    for (size_t i = 0; i < n; i++) {
        const char *entity = "";
        for (size_t e = 0; e < p->nentities && !*entity; e++)
            if (strcmp(p->entities[e].target, missing[i]) == 0)
                entity = p->entities[e].name;
        fprintf(fatal ? stderr : stdout, "%s%s: no table \"%s\" (entity %s): %s\n",
                fatal ? "cutover: check: " : "note      ", co_side_name(side), missing[i],
                entity, fix);
    }
}

int cmd_check(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "check", CO_SESSION_READ_ONLY, CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_project *p = cs.project;
    co_session *s = cs.session;
    size_t ntenants = cs.ntenants;
    co_error err;
    co_error_clear(&err);
    /* Every table the target lacks is named, not only the first. */
    char **lacking = NULL; /* the target's, then staging's missing tables */
    size_t nlacking = 0;
    co_code code = co_schema_missing(p, co_session_dest(s), &lacking, &nlacking, &err);
    if (code == CO_OK && nlacking) {
        print_missing(p, CO_SIDE_TARGET, lacking, nlacking,
                      "the new system's schema creates it (or `cutover schema create --into "
                      "target` copies staging's)",
                      true);
        co_names_free(lacking, nlacking);
        cli_close(&cs);
        return EXIT_TARGET;
    }
    co_names_free(lacking, nlacking); /* the target lacks none: staging's come next */
    lacking = NULL;
    nlacking = 0;
    if (code == CO_OK)
        code = co_session_check(s, &err);
    bool staging_new = p->staging && co_store_is_new_file(p->staging, p->dir);
    if (code == CO_OK && staging_new && !ctx->json && !ctx->quiet)
        printf("note      staging: no database file yet: `cutover rehearse` creates it with the "
               "target's tables (or `cutover schema create`)\n");
    if (code == CO_OK && p->staging && !staging_new) {
        co_session *staging = NULL;
        code = co_session_open(p, CO_SESSION_STAGING | CO_SESSION_READ_ONLY, &staging, &err);
        /* Staging is cutover's to fill: a table it lacks is made from the target's. */
        if (code == CO_OK)
            code = co_schema_missing(p, co_session_dest(staging), &lacking, &nlacking, &err);
        if (code == CO_OK && !ctx->json && !ctx->quiet)
            print_missing(p, CO_SIDE_STAGING, lacking, nlacking,
                          "`cutover rehearse` creates it from the target's schema (or `cutover "
                          "schema create`)",
                          false);
        if (code == CO_OK && !nlacking)
            code = co_session_check(staging, &err);
        co_session_close(staging);
    }
    if (code != CO_OK) {
        rc = cli_fail("check", &err);
    } else if (ctx->json) {
        co_buf out = CO_BUF_INIT;
        Co_json_field(&out, "{\"ok\":true,\"project\":", p->path);
        Co_buf_printf(&out, ",\"hash\":\"%s\",\"tenants\":%zu,\"staging_new\":%s,"
                      "\"staging_missing\":[",
                      p->hash, ntenants, staging_new ? "true" : "false");
        Co_json_strs(&out, lacking, nlacking);
        Co_buf_printf(&out, "],\"tenants_null_keys\":%lld,\"tenants_repeated\":%lld,\"entities\":[",
                      (long long)co_session_left_out(s)->null_keys,
                      (long long)co_session_left_out(s)->repeated);
        for (size_t i = 0; i < p->nentities; i++) {
            const co_entity *e = &p->entities[i];
            Co_json_field(&out, i ? ",{\"name\":" : "{\"name\":", e->name);
            Co_json_field(&out, ",\"target\":", e->target);
            Co_json_field(&out, ",\"query\":", e->query);
            Co_buf_adds(&out, ",\"columns\":[");
            /* The query's output columns, which load into the same-named target columns. */
            co_param tenant = {":tenant", co_null()};
            co_cursor *c = NULL;
            if (co_store_query(co_session_source(s), e->query, &tenant, 1, &c, &err) == CO_OK) {
                for (size_t k = 0; k < co_cursor_ncols(c); k++) {
                    Co_json_field(&out, k ? "," : "", co_cursor_colname(c, k));
                }
                co_cursor_close(c);
            }
            Co_buf_adds(&out, "]}");
        }
        Co_buf_adds(&out, "]}\n");
        fputs(co_buf_str(&out), stdout);
        Co_buf_release(&out);
    } else {
        printf("project   %s (hash %s)\n", p->path, p->hash);
        printf("source    %s: %zu tenants\n", co_store_safe_uri(co_session_source(s)), ntenants);
        printf("target    %s\n", co_store_safe_uri(co_session_dest(s)));
        if (p->staging) {
            co_buf masked = CO_BUF_INIT;
            Co_uri_mask(p->staging, &masked);
            printf("staging   %s\n", co_buf_str(&masked));
            Co_buf_release(&masked);
        }
        for (size_t i = 0; i < p->nentities; i++)
            printf("entity    %-16s -> %s: query prepares, columns exist\n", p->entities[i].name,
                   p->entities[i].target);
        printf("ok\n");
    }
    co_names_free(lacking, nlacking);
    cli_close(&cs);
    return rc;
}
