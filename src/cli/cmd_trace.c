/*
 * cmd_trace.c: `cutover trace ENTITY SOURCE_KEY` and `cutover trace --target-row
 * ENTITY KEY`: where a source row went, and which source rows are behind a
 * target row (trace.h).
 */
#include "cli.h"
#include "cutover/trace.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>

static void print_json(const co_trace_result *r, bool target, const char *entity, const char *key)
{
    co_buf b = CO_BUF_INIT;
    Co_json_field(&b, "{\"entity\":", entity);
    Co_json_field(&b, target ? ",\"target_key\":" : ",\"source_key\":", key);
    Co_buf_adds(&b, ",\"steps\":[");
    for (size_t i = 0; i < r->n; i++) {
        const co_trace_step *s = &r->steps[i];
        Co_json_field(&b, i ? ",{\"tenant\":" : "{\"tenant\":", s->tenant);
        Co_json_field(&b, ",\"kind\":", co_trace_kind_name(s->kind));
        Co_json_field(&b, ",\"source_key\":", s->source_key);
        Co_buf_adds(&b, ",\"target_key\":");
        if (s->target_key)
            Co_json_str(&b, s->target_key);
        else
            Co_buf_adds(&b, "null");
        if (s->how) {
            Co_json_field(&b, ",\"how\":", s->how);
        }
        if (s->score >= 0)
            Co_buf_printf(&b, ",\"score\":%.4f", s->score);
        if (s->rule) {
            Co_json_field(&b, ",\"rule\":", s->rule);
            Co_json_field(&b, ",\"reason\":", s->reason);
        }
        Co_buf_addc(&b, '}');
    }
    Co_buf_adds(&b, "]}\n");
    fputs(co_buf_str(&b), stdout);
    Co_buf_release(&b);
}

static void print_text(const co_trace_result *r, bool target, const char *entity, const char *key)
{
    if (r->n == 0) {
        printf("%s %s: %s\n", entity, key,
               target ? "no source row in the journal maps to this target row (an entity "
                        "without an id map keeps its rows' keys: the source row has the same key)"
                      : "not in the journal: not migrated yet, or loaded under its own key "
                        "(an entity without an id map)");
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        const co_trace_step *s = &r->steps[i];
        printf("tenant %s: %s %s ", s->tenant ? s->tenant : "?", entity, s->source_key);
        switch (s->kind) {
        case CO_TRACE_LOADED:
            if (s->how) /* an entity without an id map: found in the target table */
                printf("loaded as %s (under its own key, found in the target table)\n",
                       s->target_key);
            else
                printf("loaded as %s\n", s->target_key);
            break;
        case CO_TRACE_MERGED:
            printf("merged into %s (%s", s->target_key, s->how ? s->how : "same");
            if (s->score >= 0)
                printf(", score %.3f", s->score);
            printf(")\n");
            break;
        case CO_TRACE_REJECTED: printf("rejected (%s): %s\n", s->rule, s->reason); break;
        }
    }
}

int cmd_trace(cli_ctx *ctx)
{
    if (ctx->args.npositional != 2)
        return cli_usage_error(ctx, "name an entity and a key: trace ENTITY KEY");
    bool target = cli_flag(&ctx->args, "target-row");
    const char *entity = ctx->args.positional[0];
    const char *tenant = cli_get(&ctx->args, "tenant");
    cli_session cs;
    int rc = cli_open(ctx, "trace", CO_SESSION_READ_ONLY, 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    if (!co_project_entity(cs.project, entity)) {
        const char *names[256];
        size_t n = 0;
        for (size_t i = 0; i < cs.project->nentities && n < 256; i++)
            names[n++] = cs.project->entities[i].name;
        const char *near = cli_suggest(entity, names, n);
        if (near)
            rc = cli_error(ctx, EXIT_NOT_FOUND, "no entity \"%s\" in the project file (did you "
                           "mean %s?)", entity, near);
        else
            rc = cli_error(ctx, EXIT_NOT_FOUND, "no entity \"%s\" in the project file", entity);
        cli_close(&cs);
        return rc;
    }
    co_error err;
    co_error_clear(&err);
    char *key = NULL;
    co_trace_result r = {0};
    if (co_trace_key(ctx->args.positional[1], &key, &err) != CO_OK)
        rc = cli_usage_error(ctx, "the key \"%s\" is neither a value nor a JSON array: %s",
                             ctx->args.positional[1], err.message);
    else if ((target ? co_trace_target : co_trace_source)(cs.session, entity, key, tenant, &r,
                                                          &err) != CO_OK)
        rc = cli_fail("trace", &err);
    else if (ctx->json)
        print_json(&r, target, entity, key);
    else
        print_text(&r, target, entity, key);
    co_trace_result_release(&r);
    free(key);
    cli_close(&cs);
    return rc;
}
