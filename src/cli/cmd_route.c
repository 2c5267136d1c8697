/*
 * cmd_route.c: `cutover rollback --tenant KEY`, `cutover route KEY` and
 * `cutover routes [--json]`: undoing a tenant's move, and telling
 * applications where each tenant lives (docs/state-store.md, table routes),
 * and for a syncing tenant the share of its reads on the new system
 * (`route T --reads PCT`, docs/coexistence.md).
 * Routes live in the journal: route and routes open it alone, so that they
 * answer while the legacy database is away; the source is asked only for a
 * tenant the journal has never seen.
 */
#include "cli.h"
#include "cutover/cutover_seq.h"
#include "cutover/report.h"
#include "cutover/sync.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_rollback(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "rollback", CO_SESSION_READ_ONLY | CO_SESSION_GUARD, CLI_OPEN_CHOOSE,
                      &cs);
    if (rc != EXIT_OK)
        return rc;
    const co_tenant **chosen = cs.chosen;
    for (size_t i = 0; rc == EXIT_OK && i < cs.nchosen; i++) {
        co_error err;
        co_error_clear(&err);
        co_rollback_result r;
        if (co_rollback_tenant(cs.session, chosen[i], &r, &err) != CO_OK) {
            rc = cli_fail("rollback", &err);
        } else if (ctx->json) {
            co_buf b = CO_BUF_INIT;
            Co_buf_adds(&b, "{\"tenant\":");
            Co_json_str(&b, chosen[i]->key);
            Co_buf_printf(&b, ",\"was_switched\":%s,\"exported\":%lld,\"carried_back\":%lld,"
                              "\"not_carried\":%lld,\"export_file\":",
                          r.was_switched ? "true" : "false", (long long)r.exported,
                          (long long)r.carried_back, (long long)r.not_carried);
            Co_json_str(&b, r.export_file);
            Co_buf_printf(&b, ",\"reverse_synced\":%s,\"reverse_applied\":%lld,"
                              "\"carry_reason\":",
                          r.reverse_synced ? "true" : "false", (long long)r.reverse_applied);
            Co_json_str(&b, r.carry_reason[0] ? r.carry_reason : NULL);
            Co_buf_printf(&b, ",\"back_seconds\":%.3f,\"seconds\":%.3f}\n", r.back_seconds,
                          r.seconds);
            fputs(co_buf_str(&b), stdout);
            Co_buf_release(&b);
        } else if (!ctx->quiet) {
            printf("tenant %s rolled back in %.2fs: route old, target purged, source writable%s",
                   chosen[i]->key, r.seconds, r.was_switched ? "" : "\n");
            if (r.was_switched && r.reverse_synced) {
                printf("; reverse sync: the new system frozen for it, its last %lld changes "
                       "applied to the source, back on the old system in %.2fs, no rows "
                       "carried back",
                       (long long)r.reverse_applied, r.back_seconds);
                if (r.export_file)
                    printf(" (the %lld rows of entities without `reverse` exported to %s)",
                           (long long)r.exported, r.export_file);
                printf("\n");
            } else if (r.was_switched) {
                printf("; its %lld rows in the new system were exported to %s first, and %lld "
                       "carried back into the source (carry-back: %s)\n",
                       (long long)r.exported, r.export_file, (long long)r.carried_back,
                       r.carry_reason[0] ? r.carry_reason : "no reverse sync");
            }
        }
        co_rollback_result_release(&r);
    }
    cli_close(&cs);
    return rc;
}

int cli_open_journal(cli_ctx *ctx, const char *what, const char *key, cli_session *out)
{
    int rc = cli_open(ctx, what, CO_SESSION_READ_ONLY | CO_SESSION_JOURNAL_ONLY, 0, out);
    if (rc != EXIT_OK)
        return rc;
    int64_t known = 0;
    co_error err;
    co_error_clear(&err);
    if (co_state_tenants_count(co_session_state(out->session), key, &known, &err) != CO_OK) {
        cli_close(out);
        return cli_fail(what, &err);
    }
    if (known > 0)
        return EXIT_OK;
    /* A journal that has not seen the tenant (or any): the source lists them. */
    cli_close(out);
    return cli_open(ctx, what, CO_SESSION_READ_ONLY, CLI_OPEN_TENANTS, out);
}

/* --reads PCT: the syncing tenant's read share, checked by the library. */
static int set_reads(cli_ctx *ctx, co_session *s, const char *key, const char *pct)
{
    char *end = NULL;
    long share = strtol(pct, &end, 10);
    if (end == pct || *end || share < 0 || share > 100)
        return cli_usage_error(ctx, "--reads must be a percentage from 0 to 100, not \"%s\"",
                               pct);
    co_error err;
    co_error_clear(&err);
    if (co_reads_set(s, key, (int)share, &err) != CO_OK)
        return cli_fail("route", &err);
    return EXIT_OK;
}

int cmd_route(cli_ctx *ctx)
{
    if (ctx->args.npositional != 1)
        return cli_usage_error(ctx, "name one tenant");
    const char *key = ctx->args.positional[0];
    const char *reads = cli_get(&ctx->args, "reads");
    cli_session cs;
    int rc = cli_open_journal(ctx, "route", key, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_route_reads r;
    co_error err;
    co_error_clear(&err);
    co_state *st = co_session_state(cs.session);
    if (cs.tenants && !co_tenant_find(cs.tenants, cs.ntenants, key)) {
        rc = cli_unknown_tenant(ctx, key, cs.tenants, cs.ntenants);
    } else if (reads && (rc = set_reads(ctx, cs.session, key, reads)) != EXIT_OK) {
        /* said */
    } else if (co_route_reads_get(st, key, &r, &err) != CO_OK) {
        rc = cli_fail("route", &err);
    } else if (ctx->json) {
        char *json = NULL;
        if (co_report_route_json(st, key, &json, &err) != CO_OK)
            rc = cli_fail("route", &err);
        else
            printf("%s\n", json);
        free(json);
    } else if (r.syncing) {
        printf("%s (syncing: reads %d%% new", r.writes, r.read_share);
        if (r.lag_known)
            printf(", lag %.2fs", r.lag_seconds);
        printf(")\n");
    } else {
        printf("%s\n", r.writes);
    }
    cli_close(&cs);
    return rc;
}

typedef struct route_line {
    char *tenant;
    co_buf line;
} route_line;

typedef struct route_lines {
    route_line *v;
    size_t n;
} route_lines;

static co_code add_line(void *ctx, const co_route_row *row, co_error *err)
{
    route_lines *l = ctx;
    route_line *grown = realloc(l->v, (l->n + 1) * sizeof *l->v);
    if (!grown)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    l->v = grown;
    l->v[l->n].tenant = strdup(row->tenant);
    Co_buf_init(&l->v[l->n].line);
    Co_buf_printf(&l->v[l->n].line, "%-4s %s\n", row->route,
                  row->switched_at ? row->switched_at : "");
    l->n++;
    return CO_OK;
}

static int by_tenant(const void *a, const void *b)
{
    return cli_natural_cmp(((const route_line *)a)->tenant, ((const route_line *)b)->tenant);
}

int cmd_routes(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open_journal(ctx, "routes", NULL, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    if (ctx->json) { /* the dashboard's /api/routes answers the same document */
        char *json = NULL;
        if (co_report_routes_json(co_session_state(cs.session), &json, &err) != CO_OK)
            rc = cli_fail("routes", &err);
        else
            printf("%s\n", json);
        free(json);
        cli_close(&cs);
        return rc;
    }
    route_lines all = {0};
    co_code code = co_state_routes_each(co_session_state(cs.session), add_line, &all, &err);
    route_line *lines = all.v;
    size_t n = all.n;
    if (code != CO_OK) {
        rc = cli_fail("routes", &err);
    } else {
        qsort(lines, n, sizeof *lines, by_tenant);
        /* a syncing tenant: its reads and lag after its route */
        for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
            co_route_reads r;
            if (co_route_reads_get(co_session_state(cs.session), lines[i].tenant, &r, &err) !=
                CO_OK) {
                rc = cli_fail("routes", &err);
            } else if (r.syncing) {
                co_buf *b = &lines[i].line;
                if (b->len && b->data[b->len - 1] == '\n')
                    b->len--;
                Co_buf_printf(b, " syncing: reads %d%% new", r.read_share);
                if (r.lag_known)
                    Co_buf_printf(b, ", lag %.2fs", r.lag_seconds);
                Co_buf_addc(b, '\n');
            }
        }
        int width = 10;
        for (size_t i = 0; i < n; i++)
            if (lines[i].tenant && (int)strlen(lines[i].tenant) > width)
                width = (int)strlen(lines[i].tenant);
        for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
            char cell[1024];
            printf("%s %s", cli_cell(lines[i].tenant, width, cell, sizeof cell),
                   co_buf_str(&lines[i].line));
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(lines[i].tenant);
        Co_buf_release(&lines[i].line);
    }
    free(lines);
    cli_close(&cs);
    return rc;
}
