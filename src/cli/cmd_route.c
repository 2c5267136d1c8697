/*
 * cmd_route.c: `cutover rollback --tenant KEY [--purge]`, `cutover purge
 * --tenant KEY | --all` (the target's rows of a tenant rolled back by reverse
 * sync), `cutover route KEY` and
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

/* The rollback's line (text) or its JSON object. */
static void print_rollback(const cli_ctx *ctx, const char *key, const co_rollback_result *r)
{
    if (ctx->json) {
        char *json = co_rollback_json(key, r);
        printf("%s\n", json ? json : "null");
        free(json);
        return;
    }
    if (ctx->quiet)
        return;
    if (r->purge_pending)
        printf("tenant %s rolled back in %.2fs: route old, source writable, its rows in the "
               "target frozen there until purged (cutover sync, or cutover purge --tenant %s)",
               key, r->seconds, key);
    else
        printf("tenant %s rolled back in %.2fs: route old, target purged, source writable", key,
               r->seconds);
    if (r->was_switched && r->reverse_synced) {
        printf("; reverse sync: the new system frozen for it, its last %lld changes "
               "applied to the source, back on the old system in %.2fs, no rows "
               "carried back",
               (long long)r->reverse_applied, r->back_seconds);
        if (r->export_file)
            printf(" (the %lld rows of entities without `reverse` exported to %s)",
                   (long long)r->exported, r->export_file);
    } else if (r->was_switched) {
        printf("; its %lld rows in the new system were exported to %s first, and %lld "
               "carried back into the source (carry-back: %s)",
               (long long)r->exported, r->export_file, (long long)r->carried_back,
               r->carry_reason[0] ? r->carry_reason : "no reverse sync");
    }
    printf("\n");
}

int cmd_rollback(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "rollback", CO_SESSION_READ_ONLY | CO_SESSION_GUARD, CLI_OPEN_CHOOSE,
                      &cs);
    if (rc != EXIT_OK)
        return rc;
    /* --purge: the target's rows go in this command too, once the tenant is
     * back (the line says so first, unless --json). */
    bool purge = cli_flag(&ctx->args, "purge");
    const co_tenant **chosen = cs.chosen;
    for (size_t i = 0; rc == EXIT_OK && i < cs.nchosen; i++) {
        co_error err;
        co_error_clear(&err);
        co_rollback_result r;
        if (co_rollback_tenant(cs.session, chosen[i], &r, &err) != CO_OK) {
            rc = cli_fail("rollback", &err);
            co_rollback_result_release(&r);
            continue;
        }
        if (!(purge && r.purge_pending) || !ctx->json)
            print_rollback(ctx, chosen[i]->key, &r);
        if (purge && r.purge_pending) {
            fflush(stdout);
            co_purge_result pr;
            bool purged = cli_purge(ctx, cs.session, chosen[i], 0, &pr, &err) == CO_OK;
            if (purged) {
                r.purge_pending = false;
                r.purge_seconds = pr.seconds;
                r.seconds += pr.seconds;
            }
            if (ctx->json)
                print_rollback(ctx, chosen[i]->key, &r);
            else if (purged)
                cli_print_purge(ctx, chosen[i]->key, &pr);
            if (!purged)
                rc = cli_fail("rollback", &err);
        }
        co_rollback_result_release(&r);
    }
    cli_close(&cs);
    return rc;
}

/* Prints a purge: a line, or a JSON object with --json; one that its time
 * budget stopped (cutover sync) says what it did and that the tenant stays
 * purge_pending. */
void cli_print_purge(const cli_ctx *ctx, const char *key, const co_purge_result *r)
{
    if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "{\"tenant\":");
        Co_json_str(&b, key);
        Co_buf_printf(&b, ",\"purged\":%s,\"state\":\"%s\",\"rows\":%lld,\"seconds\":%.3f}\n",
                      r->done ? "true" : "false", r->done ? "rolled_back" : "purge_pending",
                      (long long)r->rows, r->seconds);
        fputs(co_buf_str(&b), stdout);
        Co_buf_release(&b);
    } else if (!ctx->quiet && r->done) {
        printf("tenant %s: rollback finished: its rows purged from the target in %.2fs "
               "(rolled_back)\n",
               key, r->seconds);
    } else if (!ctx->quiet) {
        printf("tenant %s: purging its rows from the target: %lld purged in %.2fs, the rest "
               "still frozen there (purge_pending; the next pass goes on)\n",
               key, (long long)r->rows, r->seconds);
    }
    fflush(stdout);
}

/* A purge's progress (co_purge_options.progress): its entities as items. */
static void on_purge_progress(void *ctx, const co_progress *p)
{
    char item[160];
    snprintf(item, sizeof item, "%s [%zu/%zu] %s", p->tenant, p->entity_index + 1, p->nentities,
             p->entity);
    cli_progress_update(ctx, "purging", item, p->rows, p->rows_total);
    if (p->entity_done)
        cli_progress_item_done(ctx);
}

co_code cli_purge(cli_ctx *ctx, co_session *s, const co_tenant *t, double max_seconds,
                  co_purge_result *res, co_error *err)
{
    cli_progress *bar = max_seconds > 0 ? NULL : cli_progress_new(ctx);
    co_purge_options opt = {max_seconds, bar ? on_purge_progress : NULL, bar};
    co_code rc = co_rollback_purge_with(s, t, &opt, res, err);
    if (bar) {
        cli_progress_clear(bar);
        cli_progress_free(bar);
    }
    return rc;
}

int cmd_purge(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "purge", CO_SESSION_READ_ONLY | CO_SESSION_GUARD, CLI_OPEN_CHOOSE,
                      &cs);
    if (rc != EXIT_OK)
        return rc;
    /* --all: the tenants whose purge waits; a tenant named: that one, or
     * exit 13 saying its state. */
    bool named = cli_get(&ctx->args, "tenant") != NULL;
    co_state *st = co_session_state(cs.session);
    for (size_t i = 0; rc == EXIT_OK && i < cs.nchosen && !cli_signal_caught(); i++) {
        co_error err;
        co_error_clear(&err);
        co_lifecycle state = CO_LC_NEW;
        co_purge_result pr;
        if (co_state_tenant_lifecycle(st, cs.chosen[i]->key, &state, &err) != CO_OK)
            rc = cli_fail("purge", &err);
        else if (state != CO_LC_PURGE_PENDING && !named)
            continue;
        else if (cli_purge(ctx, cs.session, cs.chosen[i], 0, &pr, &err) != CO_OK)
            rc = cli_fail("purge", &err);
        else
            cli_print_purge(ctx, cs.chosen[i]->key, &pr);
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
