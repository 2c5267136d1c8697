/*
 * cmd_events.c: `cutover events`: event mappings (import, list, show,
 * duplicate, set), volumes of two sources side by side (compare), the
 * source switch (switch), its undo (revert), finishing an interrupted
 * switch (recover) and the scoring batch's flag (batch). docs/scoring.md walks through them.
 */
#include "cutover/approval.h"
#include "scoring_cli.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_mapping(const co_mapping *m, bool rules)
{
    printf("mapping %lld  source %s  version %lld  %s  %zu rules  %s  %s\n", (long long)m->id,
           m->source, (long long)m->version, m->status, m->nrules, m->updated_at, m->origin);
    for (size_t i = 0; rules && i < m->nrules; i++)
        printf("  %-28s -> %-24s %s\n", m->rules[i].raw,
               m->rules[i].kind == CO_EV_EXCLUDED ? "-" : m->rules[i].canonical,
               co_ev_kind_name(m->rules[i].kind));
}

static void mapping_json(const co_mapping *m, co_buf *b)
{
    Co_buf_printf(b, "{\"id\":%lld,\"source\":", (long long)m->id);
    Co_json_str(b, m->source);
    Co_buf_printf(b, ",\"version\":%lld,\"status\":\"%s\",\"rules\":[", (long long)m->version,
                  m->status);
    for (size_t i = 0; i < m->nrules; i++) {
        Co_buf_adds(b, i ? ",{\"raw\":" : "{\"raw\":");
        Co_json_str(b, m->rules[i].raw);
        Co_buf_adds(b, ",\"canonical\":");
        Co_json_str(b, m->rules[i].canonical);
        Co_buf_printf(b, ",\"kind\":\"%s\"}", co_ev_kind_name(m->rules[i].kind));
    }
    Co_buf_adds(b, "]}");
}

static int mapping_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    const char *sub = a->npositional > 1 ? a->positional[1] : "list";
    co_error err;
    co_error_clear(&err);
    if (strcmp(sub, "import") == 0) {
        const char *source = cli_get(a, "event-source");
        const char *status = cli_get(a, "status") ? cli_get(a, "status") : "on";
        if (a->npositional != 3 || !source)
            return cli_usage_error(ctx, "events mapping import FILE --event-source SRC");
        if (strcmp(status, "on") && strcmp(status, "off") && strcmp(status, "draft"))
            return cli_usage_error(ctx, "--status is on, off or draft, not %.20s", status);
        if (!co_project_event_source(sc->project, source))
            return cli_usage_error(ctx, "no event source %.60s in the project file", source);
        co_mapping m;
        memset(&m, 0, sizeof m);
        m.source = strdup(source);
        m.origin = strdup(a->positional[2]);
        int64_t id = 0;
        co_code rc = m.source && m.origin ? co_mapping_read_file(a->positional[2], &m, &err)
                                          : co_error_set(&err, CO_ENOMEM, "out of memory");
        if (rc == CO_OK)
            rc = co_mapping_save(sc->state, &m, status, &id, &err);
        size_t n = m.nrules;
        co_mapping_release(&m);
        if (rc != CO_OK)
            return cli_fail("events mapping import", &err);
        if (ctx->json)
            printf("{\"id\":%lld,\"rules\":%zu,\"status\":\"%s\"}\n", (long long)id, n, status);
        else if (!ctx->quiet)
            printf("mapping %lld: %zu rules for source %s, %s\n", (long long)id, n, source,
                   status);
        return EXIT_OK;
    }
    if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
        co_mapping *list = NULL;
        size_t n = 0;
        co_code rc;
        bool show = strcmp(sub, "show") == 0;
        if (show) {
            if (a->npositional != 3)
                return cli_usage_error(ctx, "events mapping show ID|SOURCE");
            list = calloc(1, sizeof *list);
            rc = list ? co_mapping_find(sc->state, a->positional[2], list, &err)
                      : co_error_set(&err, CO_ENOMEM, "out of memory");
            n = rc == CO_OK ? 1 : 0;
        } else {
            rc = co_mapping_list(sc->state, &list, &n, &err);
        }
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "[");
        for (size_t i = 0; rc == CO_OK && i < n; i++) {
            if (ctx->json) {
                Co_buf_adds(&b, i ? "," : "");
                mapping_json(&list[i], &b);
            } else {
                print_mapping(&list[i], show);
            }
        }
        Co_buf_adds(&b, "]");
        if (rc == CO_OK && ctx->json)
            printf("%s\n", show ? co_buf_str(&b) + 1 : co_buf_str(&b));
        Co_buf_release(&b);
        for (size_t i = 0; i < n; i++)
            co_mapping_release(&list[i]);
        free(list);
        return rc == CO_OK ? EXIT_OK : cli_fail("events mapping", &err);
    }
    if (strcmp(sub, "duplicate") == 0) {
        const char *to = cli_get(a, "to-source");
        if (a->npositional != 3 || !to)
            return cli_usage_error(ctx, "events mapping duplicate ID|SOURCE --to-source SRC");
        if (!co_project_event_source(sc->project, to))
            return cli_usage_error(ctx, "no event source %.60s in the project file", to);
        co_mapping from;
        int64_t id = 0;
        co_code rc = co_mapping_find(sc->state, a->positional[2], &from, &err);
        if (rc == CO_OK)
            rc = co_mapping_duplicate(sc->state, from.id, to, cli_get(a, "rename"), &id, &err);
        if (rc == CO_OK && !ctx->quiet)
            printf(ctx->json ? "{\"id\":%lld,\"from\":%lld,\"status\":\"off\"}\n"
                             : "mapping %lld: a copy of mapping %lld for source %s, off\n",
                   (long long)id, (long long)from.id, to);
        if (rc == CO_OK)
            co_mapping_release(&from);
        return rc == CO_OK ? EXIT_OK : cli_fail("events mapping duplicate", &err);
    }
    if (strcmp(sub, "set") == 0) {
        if (a->npositional != 4)
            return cli_usage_error(ctx, "events mapping set ID on|off|draft|archived");
        const char *st = a->positional[3];
        if (strcmp(st, "on") && strcmp(st, "off") && strcmp(st, "draft") && strcmp(st, "archived"))
            return cli_usage_error(ctx, "a mapping is on, off, draft or archived, not %.20s", st);
        co_mapping m;
        co_code rc = co_mapping_find(sc->state, a->positional[2], &m, &err);
        if (rc == CO_OK) {
            rc = co_mapping_set_status(sc->state, m.id, st, &err);
            if (rc == CO_OK && !ctx->quiet)
                printf("mapping %lld: %s\n", (long long)m.id, st);
            co_mapping_release(&m);
        }
        return rc == CO_OK ? EXIT_OK : cli_fail("events mapping set", &err);
    }
    return cli_usage_error(ctx, "unknown mapping command %.40s", sub);
}

static int compare_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    const char *old_src = cli_get(a, "old"), *new_src = cli_get(a, "new");
    if (!old_src || !new_src)
        return cli_usage_error(ctx, "events compare --old SRC --new SRC");
    int months = 9;
    if (cli_get(a, "months")) {
        char *end;
        long m = strtol(cli_get(a, "months"), &end, 10);
        if (*end || m < 1 || m > 120)
            return cli_usage_error(ctx, "--months is a number from 1 to 120");
        months = (int)m;
    }
    double tol = sc->project->events_tolerance;
    if (cli_get(a, "tolerance")) {
        char *end;
        tol = strtod(cli_get(a, "tolerance"), &end);
        if (*end == '%') {
            tol /= 100;
            end++;
        }
        if (*end || tol < 0 || tol > 1)
            return cli_usage_error(ctx, "--tolerance is a fraction (0.05) or a percentage (5%%)");
    }
    co_error err;
    co_error_clear(&err);
    co_volume_result r;
    if (co_volume_compare(sc->project, sc->state, old_src, new_src, months, tol, &r, &err) != CO_OK)
        return cli_fail("events compare", &err);
    int rc = EXIT_OK;
    const char *html = cli_get(a, "html");
    if (html) {
        co_buf b = CO_BUF_INIT;
        co_volume_result_html(&r, old_src, new_src, &b);
        rc = scoring_write("events compare", html, co_buf_str(&b), b.len);
        Co_buf_release(&b);
    }
    if (cli_is_stdout(html)) {
        /* the page is the output: nothing else on standard output */
    } else if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        co_volume_result_json(&r, &b);
        printf("%s\n", co_buf_str(&b));
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        printf("records per canonical event and month, %s against %s, last %d months "
               "(tolerance %.1f%%)\n",
               old_src, new_src, months, tol * 100);
        for (size_t first = 0; first + (size_t)months <= r.nrows; first += (size_t)months) {
            int64_t so = 0, sn = 0;
            size_t beyond = 0;
            double worst = 0;
            for (size_t i = first; i < first + (size_t)months; i++) {
                so += r.rows[i].old_count;
                sn += r.rows[i].new_count;
                beyond += r.rows[i].beyond;
                if (r.rows[i].diff * r.rows[i].diff > worst * worst)
                    worst = r.rows[i].diff;
            }
            char n1[32], n2[32];
            printf("  %-22s old %10s  new %10s  worst month %+6.1f%%  %s\n", r.rows[first].event,
                   cli_num(so, n1, sizeof n1), cli_num(sn, n2, sizeof n2), worst * 100,
                   sn == 0 && so ? "MISSING on new"
                   : so == 0 && sn ? "only on new"
                   : beyond ? "BEYOND tolerance"
                            : "ok");
        }
        printf("  %lld of %lld (event, person, month) cells differ\n", (long long)r.cells_differ,
               (long long)r.cells);
        printf("verdict: %s\n", r.ok ? "continue" : "stop");
    }
    bool ok = r.ok;
    co_volume_result_release(&r);
    if (rc == EXIT_OK && !ok)
        rc = EXIT_VERIFY;
    return rc;
}

/* The publish_model approval (approvals: in the project file): the draft is
 * published only when no approval is needed or a person other than the one
 * running the switch approved it (cutover approve DRAFT --step publish_model). */
typedef struct publish_gate {
    scoring_cli *sc;
    const char *draft;
    const char *user;
} publish_gate;

static co_code gate_publish(void *ctx, int64_t switch_id, const co_model_comparison *cmp,
                            co_error *err)
{
    (void)switch_id;
    (void)cmp;
    publish_gate *g = ctx;
    return co_approval_check(g->sc->state, g->sc->project, g->draft, "publish_model", g->user,
                             err);
}

static int switch_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    co_switch_options o;
    memset(&o, 0, sizeof o);
    o.old_model = cli_get(a, "model");
    o.draft_model = cli_get(a, "draft");
    o.labels_table = cli_get(a, "labels");
    if (!o.old_model || !o.draft_model || !o.labels_table)
        return cli_usage_error(ctx, "events switch --model OLD --draft DRAFT --labels TABLE");
    int rc = EXIT_OK;
    if (!scoring_as_of(ctx, &o.as_of, &rc))
        return rc;
    const char *user = cli_user(ctx);
    publish_gate gate = {sc, o.draft_model, user && *user ? user : "unknown"};
    o.gate = gate_publish;
    o.gate_ctx = &gate;
    co_error err;
    co_error_clear(&err);
    co_switch_result r;
    co_code code = co_switch_run(sc->project, sc->state, &o, &r, &err);
    if (code != CO_OK)
        return cli_fail("events switch", &err);
    if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_printf(&b, "{\"switch\":%lld,\"batch_stopped_at\":\"%s\",\"published\":%s,"
                          "\"missing\":",
                      (long long)r.id, r.batch_stopped_at, r.published ? "true" : "false");
        Co_json_str(&b, r.missing);
        Co_buf_adds(&b, ",\"comparison\":");
        if (r.compared)
            co_model_comparison_json(&r.cmp, &b);
        else
            Co_buf_adds(&b, "null");
        Co_buf_adds(&b, "}");
        printf("%s\n", co_buf_str(&b));
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        printf("switch %lld: batch stopped at %s\n", (long long)r.id, r.batch_stopped_at);
        if (r.missing[0])
            printf("  expected events that did not arrive: %s\n", r.missing);
        if (r.compared)
            printf("  AUC %.4f -> %.4f, Spearman %.4f, PSI %.4f, KS %.4f: %s%s%s%s\n",
                   r.cmp.old_side.auc, r.cmp.new_side.auc, r.cmp.spearman, r.cmp.psi, r.cmp.ks,
                   r.cmp.similar ? "similar" : "not similar", r.cmp.similar ? "" : " (",
                   r.cmp.similar ? "" : r.cmp.reasons, r.cmp.similar ? "" : ")");
        if (r.published)
            printf("  published %s; %s archived, its mapping %s (revert within %d days)\n",
                   o.draft_model, o.old_model,
                   r.old_mapping_archived ? "archived" : "off (other published models read it)",
                   sc->project->retention_days);
        else if (r.compared && r.cmp.similar && !r.missing[0])
            printf("  kept %s: %s is similar but its publish waits for another person's "
                   "approval (cutover approve %s --step publish_model --by NAME, then switch "
                   "again); the old mapping is on again, the new one off\n",
                   o.old_model, o.draft_model, o.draft_model);
        else
            printf("  kept %s: its mapping is on again, the new one off\n", o.old_model);
        printf("  batch restarted\n");
    }
    return r.published ? EXIT_OK : EXIT_VERIFY;
}

static int batch_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    const char *sub = a->npositional > 1 ? a->positional[1] : "status";
    co_error err;
    co_error_clear(&err);
    co_code rc = CO_OK;
    if (strcmp(sub, "stop") == 0 || strcmp(sub, "start") == 0)
        rc = co_batch_set(sc->state, strcmp(sub, "start") == 0, "by hand", &err);
    else if (strcmp(sub, "status") != 0)
        return cli_usage_error(ctx, "events batch [status|stop|start]");
    bool running = true;
    char since[32];
    if (rc == CO_OK)
        rc = co_batch_get(sc->state, &running, since, sizeof since, &err);
    if (rc != CO_OK)
        return cli_fail("events batch", &err);
    if (ctx->json)
        printf("{\"running\":%s,\"since\":\"%s\"}\n", running ? "true" : "false", since);
    else if (!ctx->quiet)
        printf("scoring batch %s%s%s\n", running ? "running" : "stopped", since[0] ? " since " : "",
               since);
    return EXIT_OK;
}

static int revert_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    co_error err;
    co_error_clear(&err);
    int64_t id = 0;
    if (co_switch_revert(sc->project, sc->state, &id, &err) != CO_OK)
        return cli_fail("events revert", &err);
    if (ctx->json)
        printf("{\"switch\":%lld,\"reverted\":true}\n", (long long)id);
    else if (!ctx->quiet)
        printf("switch %lld reverted: the previous mapping and model are back\n", (long long)id);
    return EXIT_OK;
}

static int recover_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    co_error err;
    co_error_clear(&err);
    int64_t id = 0;
    bool published = false;
    if (co_switch_recover(sc->state, &id, &published, &err) != CO_OK)
        return cli_fail("events recover", &err);
    if (ctx->json)
        printf("{\"switch\":%lld,\"published\":%s}\n", (long long)id,
               published ? "true" : "false");
    else if (!ctx->quiet)
        printf("switch %lld recovered: %s; batch restarted\n", (long long)id,
               published ? "it had published, the draft stays" : "the old mapping and model are back");
    return EXIT_OK;
}

int cmd_events(cli_ctx *ctx)
{
    static const scoring_sub subs[] = {
        {"mapping", mapping_cmd}, {"compare", compare_cmd}, {"switch", switch_cmd},
        {"revert", revert_cmd},   {"recover", recover_cmd}, {"batch", batch_cmd},
    };
    return scoring_dispatch(ctx, "events", subs, sizeof subs / sizeof subs[0]);
}
