/*
 * cmd_model.c: `cutover model`: behavioural models (import, list, show,
 * duplicate), scores (score, which the scoring batch runs and which waits
 * while a switch has the batch stopped), the comparison of a model with its
 * draft (compare) and the sample page (sample). docs/scoring.md.
 */
#include "scoring_cli.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_model(const co_model *m, bool events)
{
    printf("model %lld  %-20s %-7s source %-10s %-9s segments by %s %g/%g/%g  %s\n",
           (long long)m->id, m->name, m->level, m->source, m->status,
           m->percentiles ? "percentile" : "score", m->cuts[0], m->cuts[1], m->cuts[2],
           m->origin);
    for (size_t i = 0; events && i < m->nevents; i++)
        printf("  %-24s weight %8.2f  lifespan %4d days\n", m->events[i].event,
               m->events[i].weight, m->events[i].lifespan_days);
}

static void model_json(const co_model *m, co_buf *b)
{
    Co_buf_printf(b, "{\"id\":%lld,\"name\":", (long long)m->id);
    Co_json_str(b, m->name);
    Co_buf_printf(b, ",\"level\":\"%s\",\"source\":", m->level);
    Co_json_str(b, m->source);
    Co_buf_printf(b, ",\"status\":\"%s\",\"half_points\":%g,\"segment_by\":\"%s\","
                     "\"cuts\":[%g,%g,%g],\"events\":[",
                  m->status, m->half_points, m->percentiles ? "percentile" : "score", m->cuts[0],
                  m->cuts[1], m->cuts[2]);
    for (size_t i = 0; i < m->nevents; i++) {
        Co_buf_adds(b, i ? ",{\"event\":" : "{\"event\":");
        Co_json_str(b, m->events[i].event);
        Co_buf_printf(b, ",\"weight\":%g,\"lifespan_days\":%d}", m->events[i].weight,
                      m->events[i].lifespan_days);
    }
    Co_buf_adds(b, "]}");
}

static bool parse_cuts(const char *s, double cuts[3])
{
    char *end;
    for (int i = 0; i < 3; i++) {
        cuts[i] = strtod(s, &end);
        if (end == s || (i < 2 && *end != ',') || (i == 2 && *end))
            return false;
        s = end + 1;
    }
    return cuts[0] > cuts[1] && cuts[1] > cuts[2] && cuts[2] >= 0 && cuts[0] <= 100;
}

static int import_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    const char *source = cli_get(a, "event-source");
    const char *level = cli_get(a, "level") ? cli_get(a, "level") : "lead";
    const char *status = cli_get(a, "status") ? cli_get(a, "status") : "published";
    if (a->npositional != 3 || !source)
        return cli_usage_error(ctx, "model import NAME FILE --event-source SRC [--level lead|account]");
    if (strcmp(level, "lead") && strcmp(level, "account"))
        return cli_usage_error(ctx, "--level is lead or account, not %.20s", level);
    if (strcmp(status, "published") && strcmp(status, "draft"))
        return cli_usage_error(ctx, "--status is published or draft, not %.20s", status);
    if (!co_project_event_source(sc->project, source))
        return cli_usage_error(ctx, "no event source %.60s in the project file", source);
    co_model m;
    memset(&m, 0, sizeof m);
    co_model_defaults(&m);
    m.name = strdup(a->positional[1]);
    m.level = strdup(level);
    m.source = strdup(source);
    m.origin = strdup(a->positional[2]);
    if (cli_get(a, "half")) {
        char *end;
        m.half_points = strtod(cli_get(a, "half"), &end);
        if (*end || !(m.half_points > 0)) {
            co_model_release(&m);
            return cli_usage_error(ctx, "--half is a number of points above 0");
        }
    }
    if (cli_get(a, "percentiles")) {
        m.percentiles = true;
        m.cuts[0] = 90;
        m.cuts[1] = 70;
        m.cuts[2] = 40;
    }
    if (cli_get(a, "cuts") && !parse_cuts(cli_get(a, "cuts"), m.cuts)) {
        co_model_release(&m);
        return cli_usage_error(ctx, "--cuts is three decreasing numbers from 100 to 0: 75,50,25");
    }
    co_error err;
    co_error_clear(&err);
    int64_t id = 0;
    co_code rc = m.name && m.level && m.source && m.origin
                     ? co_model_read_file(a->positional[2], &m, &err)
                     : co_error_set(&err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = co_model_save(sc->state, &m, status, &id, &err);
    if (rc == CO_OK && ctx->json)
        printf("{\"id\":%lld,\"events\":%zu,\"status\":\"%s\"}\n", (long long)id, m.nevents,
               status);
    else if (rc == CO_OK && !ctx->quiet)
        printf("model %lld: %s, %s-level on source %s, %zu events, %s\n", (long long)id, m.name,
               level, source, m.nevents, status);
    co_model_release(&m);
    return rc == CO_OK ? EXIT_OK : cli_fail("model import", &err);
}

static int list_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    bool show = strcmp(a->positional[0], "show") == 0;
    if (show && a->npositional != 2)
        return cli_usage_error(ctx, "model show NAME");
    co_error err;
    co_error_clear(&err);
    co_model *list = NULL;
    size_t n = 0;
    co_code rc;
    if (show) {
        list = calloc(1, sizeof *list);
        rc = list ? co_model_find(sc->state, a->positional[1], list, &err)
                  : co_error_set(&err, CO_ENOMEM, "out of memory");
        n = rc == CO_OK;
    } else {
        rc = co_model_list(sc->state, &list, &n, &err);
    }
    co_buf b = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        if (ctx->json) {
            Co_buf_adds(&b, i ? "," : "");
            model_json(&list[i], &b);
        } else {
            print_model(&list[i], show);
        }
    }
    if (rc == CO_OK && ctx->json)
        printf(show ? "%s\n" : "[%s]\n", co_buf_str(&b));
    Co_buf_release(&b);
    for (size_t i = 0; i < n; i++)
        co_model_release(&list[i]);
    free(list);
    return rc == CO_OK ? EXIT_OK : cli_fail("model", &err);
}

static int duplicate_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    const char *source = cli_get(a, "event-source");
    if (a->npositional != 2 || !source)
        return cli_usage_error(ctx, "model duplicate NAME --event-source SRC [--as NEW_NAME]");
    if (!co_project_event_source(sc->project, source))
        return cli_usage_error(ctx, "no event source %.60s in the project file", source);
    co_error err;
    co_error_clear(&err);
    co_model m;
    if (co_model_find(sc->state, a->positional[1], &m, &err) != CO_OK)
        return cli_fail("model duplicate", &err);
    char name[256];
    snprintf(name, sizeof name, "%.120s-%.120s", m.name, source);
    const char *as = cli_get(a, "as") ? cli_get(a, "as") : name;
    int64_t id = 0;
    size_t dropped = 0;
    co_code rc = co_model_duplicate(sc->state, &m, source, as, &id, &dropped, &err);
    if (rc == CO_OK && ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_printf(&b, "{\"id\":%lld,\"name\":", (long long)id);
        Co_json_str(&b, as);
        Co_buf_printf(&b, ",\"dropped\":%zu}", dropped);
        printf("%s\n", co_buf_str(&b));
        Co_buf_release(&b);
    } else if (rc == CO_OK && !ctx->quiet)
        printf("model %lld: draft %s, a copy of %s on source %s (%zu events without a match "
               "left out)\n",
               (long long)id, as, m.name, source, dropped);
    co_model_release(&m);
    return rc == CO_OK ? EXIT_OK : cli_fail("model duplicate", &err);
}

static int score_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    if (a->npositional != 2)
        return cli_usage_error(ctx, "model score NAME [--as-of DATE] [--csv FILE]");
    int rc = EXIT_OK;
    time_t as_of;
    if (!scoring_as_of(ctx, &as_of, &rc))
        return rc;
    co_error err;
    co_error_clear(&err);
    bool running = true;
    char since[32];
    if (co_batch_get(sc->state, &running, since, sizeof since, &err) != CO_OK)
        return cli_fail("model score", &err);
    if (!running) {
        co_error_set(&err, CO_EBUSY,
                     "the scoring batch is stopped (since %s) while a source switch runs; "
                     "try again once it ends, or `cutover events batch start`",
                     since);
        return cli_fail("model score", &err);
    }
    co_model m;
    if (co_model_find(sc->state, a->positional[1], &m, &err) != CO_OK)
        return cli_fail("model score", &err);
    co_scores s;
    double t0 = Co_clock_mono();
    co_code code = co_score_model(sc->project, sc->state, &m, as_of, &s, &err);
    double secs = Co_clock_mono() - t0;
    if (code != CO_OK) {
        co_model_release(&m);
        return cli_fail("model score", &err);
    }
    int64_t seg[CO_SEG_COUNT] = {0};
    for (size_t i = 0; i < s.n; i++)
        seg[s.segment[i]]++;
    const char *csv = cli_get(a, "csv");
    if (csv) {
        co_buf b = CO_BUF_INIT;
        Co_buf_printf(&b, "%s,points,score,segment\n",
                      strcmp(m.level, "account") == 0 ? "account" : "person");
        for (size_t i = 0; i < s.n; i++)
            Co_buf_printf(&b, "%s,%.4f,%.2f,%s\n", s.keys[i], s.points[i], s.score[i],
                          co_segment_name(s.segment[i]));
        rc = b.failed ? EXIT_INTERNAL : scoring_write("model score", csv, co_buf_str(&b), b.len);
        Co_buf_release(&b);
    }
    if (cli_is_stdout(csv)) {
        /* the scores are the output: nothing else on standard output */
    } else if (ctx->json) {
        double sum = 0;
        for (size_t i = 0; i < s.n; i++)
            sum += s.score[i];
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "{\"model\":");
        Co_json_str(&b, m.name);
        Co_buf_printf(&b, ",\"scored\":%zu,\"events_read\":%lld,\"seconds\":%.3f,"
                          "\"score_sum\":%.3f,\"segments\":{\"very high\":%lld,\"high\":%lld,"
                          "\"medium\":%lld,\"low\":%lld}}",
                      s.n, (long long)s.events_read, secs, sum, (long long)seg[0],
                      (long long)seg[1], (long long)seg[2], (long long)seg[3]);
        printf("%s\n", co_buf_str(&b));
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        char n1[32], n2[32];
        printf("model %s: %s %ss scored from %s events in %.1f s\n", m.name,
               cli_num((long long)s.n, n1, sizeof n1), m.level,
               cli_num(s.events_read, n2, sizeof n2), secs);
        for (int k = 0; k < CO_SEG_COUNT; k++)
            printf("  %-10s %lld\n", co_segment_name(k), (long long)seg[k]);
    }
    co_scores_release(&s);
    co_model_release(&m);
    return rc;
}

static void print_side(const char *name, const co_model_side *s)
{
    printf("  %-6s AUC %.4f  recall(top 2) %.1f%%  very high/low rate x%.1f\n", name, s->auc,
           s->recall_top2 * 100, s->top_low_ratio);
    for (int k = 0; k < CO_SEG_COUNT; k++)
        printf("         %-10s %8lld people  %6lld converted  rate %6.2f%%  lift %.2f\n",
               co_segment_name(k), (long long)s->count[k], (long long)s->converted[k],
               s->rate[k] * 100, s->lift[k]);
}

static int compare_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    const char *labels = cli_get(a, "labels");
    if (a->npositional != 3 || !labels)
        return cli_usage_error(ctx, "model compare OLD DRAFT --as-of DATE --labels TABLE");
    int rc = EXIT_OK;
    time_t as_of;
    if (!scoring_as_of(ctx, &as_of, &rc))
        return rc;
    co_error err;
    co_error_clear(&err);
    co_model o, d;
    if ((rc = scoring_two_models(ctx, sc, "model compare", &o, &d)) != EXIT_OK)
        return rc;
    co_compare_limits limits = co_compare_limits_of(sc->project);
    co_model_comparison c;
    co_code code = co_model_compare(sc->project, sc->state, &o, &d, as_of, labels, &limits, &c, &err);
    if (code != CO_OK)
        rc = cli_fail("model compare", &err);
    else if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        co_model_comparison_json(&c, &b);
        printf("%s\n", co_buf_str(&b));
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        char date[32];
        Co_clock_iso(as_of, date, sizeof date);
        printf("%s against %s as of %s: %zu people, %lld converted within 30 days\n", o.name,
               d.name, date, c.people, (long long)c.conversions);
        print_side("old", &c.old_side);
        print_side("new", &c.new_side);
        printf("  AUC difference %+.4f  Spearman %.4f  KS %.4f  PSI %.4f\n", c.delta_auc,
               c.spearman, c.ks, c.psi);
        printf("  segments, old (rows) to new (columns): very high / high / medium / low\n");
        for (int i = 0; i < CO_SEG_COUNT; i++)
            printf("    %-10s %8lld %8lld %8lld %8lld\n", co_segment_name(i),
                   (long long)c.transition[i][0], (long long)c.transition[i][1],
                   (long long)c.transition[i][2], (long long)c.transition[i][3]);
        printf("verdict: %s%s%s%s\n", c.similar ? "similar" : "not similar",
               c.similar ? "" : " (", c.reasons, c.similar ? "" : ")");
    }
    if (code == CO_OK && !c.similar)
        rc = EXIT_VERIFY;
    co_model_release(&o);
    co_model_release(&d);
    return rc;
}

static int sample_cmd(cli_ctx *ctx, scoring_cli *sc)
{
    const cli_args *a = &ctx->args;
    const char *html = cli_get(a, "html");
    if (a->npositional != 3 || !html)
        return cli_usage_error(ctx, "model sample OLD DRAFT --html FILE [--as-of DATE]");
    int rc = EXIT_OK;
    time_t as_of;
    if (!scoring_as_of(ctx, &as_of, &rc))
        return rc;
    unsigned long long seed = 42, per = 10;
    char *end;
    if (cli_get(a, "seed") && ((seed = strtoull(cli_get(a, "seed"), &end, 10)), *end))
        return cli_usage_error(ctx, "--seed is a whole number");
    if (cli_get(a, "per-segment") &&
        ((per = strtoull(cli_get(a, "per-segment"), &end, 10)), *end || per < 1 || per > 1000))
        return cli_usage_error(ctx, "--per-segment is a whole number from 1 to 1000");
    co_error err;
    co_error_clear(&err);
    co_model o, d;
    if ((rc = scoring_two_models(ctx, sc, "model sample", &o, &d)) != EXIT_OK)
        return rc;
    co_buf b = CO_BUF_INIT;
    if (co_sample_page(sc->project, sc->state, &o, &d, as_of, seed, (size_t)per, &b, &err) != CO_OK)
        rc = cli_fail("model sample", &err);
    else
        rc = scoring_write("model sample", html, co_buf_str(&b), b.len);
    if (rc == EXIT_OK && !ctx->quiet && !ctx->json && !cli_is_stdout(html))
        printf("sample page written to %s\n", html);
    Co_buf_release(&b);
    co_model_release(&o);
    co_model_release(&d);
    return rc;
}

int cmd_model(cli_ctx *ctx)
{
    static const scoring_sub subs[] = {
        {"import", import_cmd},   {"list", list_cmd},   {"show", list_cmd},
        {"duplicate", duplicate_cmd}, {"score", score_cmd}, {"compare", compare_cmd},
        {"sample", sample_cmd},
    };
    return scoring_dispatch(ctx, "model", subs, sizeof subs / sizeof subs[0]);
}
