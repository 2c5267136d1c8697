/*
 * cmd_migrate.c: `cutover migrate --tenant KEY | --all` migrates tenants one
 * after another, with progress, then prints a summary table (or JSON).
 */
#include "cli.h"
#include "cutover/plan.h"
#include "util/fmt.h"
#include "cutover/report.h"
#include "cutover/migrate.h"
#include "cutover/cutover_seq.h"
#include "cutover/verify.h"
#include "util/buf.h"
#include "util/json.h"

#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

typedef struct outcome {
    const co_tenant *tenant;
    co_migrate_result result;
    co_code code;
    bool attempted;
    bool verified;     /* a verification ran */
    bool verify_pass;
    bool cutover;      /* the project captures writes: a cutover ran */
    bool switched;
    bool rolled_back;  /* the cutover failed and was rolled back */
    bool refused;      /* the cutover did not start (a hook, --again on a switched tenant) */
    double freeze_seconds;
    int64_t changes_applied;
    char failure[512]; /* why it failed, rolled back or was refused; else "" */
} outcome;

/* What became of a tenant, as the summary and --json name it. */
static const char *outcome_status(const outcome *o)
{
    if (o->code != CO_OK)
        return "failed";
    if (o->rolled_back)
        return "rolled_back";
    if (o->refused)
        return "refused";
    if (o->result.skipped)
        return "skipped";
    if (!o->cutover)
        return "migrated";
    return o->switched ? "switched" : "failed";
}

/* Whether the rows this run loaded are in the target now. */
static bool rows_stay(const outcome *o)
{
    const char *st = outcome_status(o);
    return strcmp(st, "migrated") == 0 || strcmp(st, "switched") == 0;
}

/* Where the rejects are, as a real path: the file itself for one tenant
 * with rejects, else the directory with TENANT.jsonl. */
static void print_rejects_path(const co_project *p, const outcome *outcomes, size_t count)
{
    char dir[PATH_MAX], real[PATH_MAX];
    if (p->rejects_dir[0] == '/')
        snprintf(dir, sizeof dir, "%s", p->rejects_dir);
    else
        snprintf(dir, sizeof dir, "%s/%s", p->dir, p->rejects_dir);
    const char *file = count == 1 ? outcomes[0].result.rejects_file : NULL;
    if (file && realpath(file, real))
        printf("\nrejects: %s (one JSON line per rejected row: entity, key, rule, reason, row)\n",
               real);
    else
        printf("\nrejects: %s/TENANT.jsonl (one JSON line per rejected row: entity, key, rule, "
               "reason, row)\n",
               realpath(dir, real) ? real : dir);
}

static int64_t tenant_rows(const co_migrate_result *r)
{
    int64_t n = 0;
    for (size_t e = 0; e < r->nentities; e++)
        n += r->entities[e].source_rows;
    return n;
}

typedef struct progress_ctx {
    cli_progress *bar;
    char label[96];
} progress_ctx;

/* The zero-downtime path (projects with `capture`): the tenant's whole
 * cutover, switched or rolled back. Returns the exit code it deserves: that
 * of the failure's own class (source 4, target 5, verification 12, a hook or
 * a refusal 13), whether or not the tenant was rolled back. */
static int run_cutover(cli_ctx *ctx, co_session *s, outcome *o, const co_cutover_options *copt,
                       progress_ctx *pc, co_error *err)
{
    co_cutover_result cr;
    o->cutover = true;
    o->code = co_cutover_tenant(s, o->tenant, copt, &cr, err);
    cli_progress_clear(pc->bar); /* before any line about the tenant */
    o->result = cr.load;
    memset(&cr.load, 0, sizeof cr.load);
    o->verified = cr.verified;
    o->verify_pass = cr.verified && cr.verification.pass;
    o->switched = cr.switched;
    o->rolled_back = cr.rolled_back;
    o->freeze_seconds = cr.freeze_seconds;
    o->changes_applied = cr.changes_applied;
    int rc = EXIT_OK;
    if (o->code != CO_OK) {
        snprintf(o->failure, sizeof o->failure, "%.500s", err->message);
        rc = cli_fail("migrate", err);
    } else if (!cr.switched && cr.failure[0]) {
        o->refused = !cr.rolled_back;
        snprintf(o->failure, sizeof o->failure, "%s", cr.failure);
        if (cr.rolled_back)
            cli_errorf("migrate: tenant %s rolled back, still on the source: %s\n",
                    o->tenant->key, cr.failure);
        else
            cli_errorf("migrate: tenant %s not migrated: %s\n", o->tenant->key,
                    cr.failure);
        if (cr.verified && !cr.verification.pass && !ctx->json)
            cli_print_verification(ctx, &cr.verification);
        rc = cli_exit_code(cr.failure_code);
        if (rc == EXIT_OK)
            rc = EXIT_INTERNAL; /* a failure always has a class */
    } else if (cr.switched && !ctx->quiet && !ctx->json) {
        fprintf(stderr,
                "tenant %s: switched to the new system; %lld captured changes caught up, "
                "writes frozen for %.2fs\n",
                o->tenant->key, (long long)cr.changes_applied, cr.freeze_seconds);
    }
    co_cutover_result_release(&cr);
    return rc;
}

static void on_progress(void *ctx, const co_progress *p)
{
    progress_ctx *pc = ctx;
    char item[160];
    snprintf(item, sizeof item, "[%zu/%zu] %s", p->entity_index + 1, p->nentities, p->entity);
    cli_progress_update(pc->bar, pc->label, item, p->rows, p->rows_total);
    if (p->entity_done)
        cli_progress_item_done(pc->bar);
}

/* One tenant's entity counts as JSON. A tenant whose rows did not stay
 * (failed, rolled back) shows loaded 0 and what was loaded as rolled_back, so
 * that source_rows = loaded + rolled_back + merged + rejected holds. */
static void json_entities(co_buf *b, const co_project *p, const outcome *o)
{
    const co_migrate_result *r = &o->result;
    bool stay = rows_stay(o);
    co_buf_adds(b, ",\"entities\":{");
    for (size_t e = 0; e < r->nentities && !r->skipped; e++) {
        const co_entity_counts *c = &r->entities[e];
        if (e)
            co_buf_addc(b, ',');
        co_json_str(b, p->entities[e].name);
        co_buf_printf(b, ":{\"source_rows\":%lld,\"loaded\":%lld,\"merged\":%lld,\"rejected\":%lld,",
                      (long long)c->source_rows, stay ? (long long)c->loaded : 0LL,
                      (long long)c->merged, (long long)c->rejected);
        if (!stay)
            co_buf_printf(b, "\"rolled_back\":%lld,", (long long)c->loaded);
        co_buf_printf(b, "\"seconds\":%.3f}", c->seconds);
    }
    co_buf_adds(b, "}");
}

static void print_json(const co_project *p, const outcome *o, size_t n)
{
    co_buf b = CO_BUF_INIT;
    co_buf_adds(&b, "{\"tenants\":[");
    for (size_t i = 0; i < n; i++) {
        if (!o[i].attempted)
            continue;
        const co_migrate_result *r = &o[i].result;
        co_buf_adds(&b, b.data[b.len - 1] == '[' ? "{" : ",{");
        co_buf_adds(&b, "\"tenant\":");
        co_json_str(&b, o[i].tenant->key);
        co_buf_adds(&b, ",\"label\":");
        co_json_str(&b, o[i].tenant->label);
        co_buf_printf(&b, ",\"status\":\"%s\",\"run_id\":%lld,\"seconds\":%.3f,\"rejected\":%lld",
                      outcome_status(&o[i]), (long long)r->run_id, r->seconds,
                      (long long)r->rejected);
        co_buf_adds(&b, ",\"error\":");
        co_json_str(&b, o[i].failure[0] ? o[i].failure : NULL);
        co_buf_printf(&b, ",\"verified\":%s", !o[i].verified ? "null" : o[i].verify_pass ? "true" : "false");
        if (o[i].cutover)
            co_buf_printf(&b, ",\"switched\":%s,\"changes_applied\":%lld,\"freeze_seconds\":%.3f",
                          o[i].switched ? "true" : "false", (long long)o[i].changes_applied,
                          o[i].freeze_seconds);
        co_buf_adds(&b, ",\"rejects_file\":");
        co_json_str(&b, r->rejects_file);
        json_entities(&b, p, &o[i]);
        co_buf_adds(&b, "}");
    }
    co_buf_adds(&b, "]}\n");
    fputs(co_buf_str(&b), stdout);
    co_buf_release(&b);
}

/* In place of the counts of a tenant whose rows are not in the target. */
static void print_not_loaded(const outcome *o)
{
    char text[640], cell[640];
    const char *st = outcome_status(o);
    if (strcmp(st, "skipped") == 0)
        snprintf(text, sizeof text, "%s",
                 o->cutover ? "switched already (roll it back to migrate it again)"
                            : "already migrated (use --again to reload)");
    else if (strcmp(st, "refused") == 0)
        snprintf(text, sizeof text, "REFUSED: %s", o->failure);
    else if (strcmp(st, "rolled_back") == 0)
        snprintf(text, sizeof text, "ROLLED BACK, nothing of it in the target: %s", o->failure);
    else
        snprintf(text, sizeof text, "FAILED%s: %s",
                 o->cutover ? "" : ", nothing of it in the target", o->failure);
    printf(" %s\n", cli_cell(text, 100, cell, sizeof cell));
}

/* The summary table: per tenant, rows loaded per entity, rejects, seconds.
 * Only tenants whose rows are in the target now count in the totals. */
static void print_table(const co_project *p, const outcome *o, size_t n)
{
    char num[32];
    printf("\n%-8s %-22s", "tenant", "label");
    for (size_t e = 0; e < p->nentities; e++)
        printf(" %12.12s", p->entities[e].name);
    printf(" %10s %8s\n", "rejected", "seconds");
    int64_t *totals = calloc(p->nentities + 1, sizeof *totals);
    double seconds = 0;
    for (size_t i = 0; i < n; i++) {
        if (!o[i].attempted)
            continue;
        const co_migrate_result *r = &o[i].result;
        char key[1024], label[96];
        printf("%s %s", cli_key_cell(o[i].tenant->key, 8, key, sizeof key),
               cli_cell(o[i].tenant->label, 22, label, sizeof label));
        if (!rows_stay(&o[i])) {
            print_not_loaded(&o[i]);
            continue;
        }
        for (size_t e = 0; e < r->nentities; e++) {
            printf(" %12s", cli_num(r->entities[e].loaded, num, sizeof num));
            if (totals)
                totals[e] += r->entities[e].loaded;
        }
        if (totals)
            totals[p->nentities] += r->rejected;
        seconds += r->seconds;
        printf(" %10s %8.2f\n", cli_num(r->rejected, num, sizeof num), r->seconds);
    }
    if (totals) {
        printf("%-8s %-22s", "total", "");
        for (size_t e = 0; e < p->nentities; e++)
            printf(" %12s", cli_num(totals[e], num, sizeof num));
        printf(" %10s %8.2f\n", cli_num(totals[p->nentities], num, sizeof num), seconds);
    }
    free(totals);
}

/* Per entity, over the tenants loaded by this run: source rows = loaded +
 * merged + rejected, each line checked. Nothing when no tenant was loaded. */
static void print_entities(const co_project *p, const outcome *o, size_t n)
{
    co_entity_counts *sum = calloc(p->nentities ? p->nentities : 1, sizeof *sum);
    if (!sum)
        return;
    size_t loaded = 0;
    for (size_t i = 0; i < n; i++) {
        if (!o[i].attempted || !rows_stay(&o[i]))
            continue;
        loaded++;
        for (size_t e = 0; e < o[i].result.nentities && e < p->nentities; e++) {
            const co_entity_counts *c = &o[i].result.entities[e];
            sum[e].source_rows += c->source_rows;
            sum[e].loaded += c->loaded;
            sum[e].merged += c->merged;
            sum[e].rejected += c->rejected;
        }
    }
    if (loaded) {
        char a[32], b[32], c[32], d[32], name[64];
        printf("\n%-16s %12s %12s %12s %12s  %s\n", "entity", "source rows", "loaded", "merged",
               "rejected", "source = loaded + merged + rejected");
        for (size_t e = 0; e < p->nentities; e++) {
            const co_entity_counts *x = &sum[e];
            bool adds_up = x->source_rows == x->loaded + x->merged + x->rejected;
            printf("%s %12s %12s %12s %12s  %s\n", cli_cell(p->entities[e].name, 16, name, sizeof name),
                   cli_num(x->source_rows, a, sizeof a), cli_num(x->loaded, b, sizeof b),
                   cli_num(x->merged, c, sizeof c), cli_num(x->rejected, d, sizeof d),
                   adds_up ? "yes" : "NO");
        }
    }
    free(sum);
}

/* After a signal: where the tenant in flight stands, and what is left. */
static void print_interrupted(const outcome *o, size_t attempted, size_t count)
{
    int sig = cli_signal_caught();
    const outcome *last = attempted ? &o[attempted - 1] : NULL;
    const char *st = last ? outcome_status(last) : NULL;
    const char *where = !last                               ? "no tenant was started"
                        : strcmp(st, "switched") == 0       ? "was switched (past the point of no return)"
                        : strcmp(st, "rolled_back") == 0    ? "was rolled back: still on the source, "
                                                              "which takes its writes"
                        : strcmp(st, "migrated") == 0       ? "was migrated"
                        : strcmp(st, "skipped") == 0        ? "was skipped"
                        : last->code == CO_EINTERRUPTED     ? "was stopped: nothing of it in the target"
                                                            : "failed";
    if (last)
        fprintf(stderr, "cutover: migrate: interrupted by %s: tenant %s %s; ", cli_signal_name(sig),
                last->tenant->key, where);
    else
        fprintf(stderr, "cutover: migrate: interrupted by %s: %s; ", cli_signal_name(sig), where);
    fprintf(stderr, "%zu tenant%s not started (run the same command again to go on)\n",
            count - attempted, count - attempted == 1 ? "" : "s");
}

int cmd_migrate(cli_ctx *ctx)
{
    cli_signals_install();
    cli_session cs;
    int rc = cli_open(ctx, "migrate",
                      CO_SESSION_GUARD |
                          (cli_flag(&ctx->args, "start-over") ? CO_SESSION_START_OVER : 0),
                      CLI_OPEN_CHECK, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_project *p = cs.project;
    co_session *s = cs.session;
    co_tenant *tenants = cs.tenants;
    size_t ntenants = cs.ntenants;
    co_error err;
    co_error_clear(&err);
    size_t count = 0;
    outcome *outcomes = calloc(ntenants ? ntenants : 1, sizeof *outcomes);
    if (!outcomes) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    const co_tenant **chosen = calloc(ntenants ? ntenants : 1, sizeof *chosen);
    if (!chosen) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    rc = cli_select_tenants(ctx, tenants, ntenants, chosen, &count);
    for (size_t i = 0; i < count; i++)
        outcomes[i].tenant = chosen[i];
    free(chosen);
    if (rc != EXIT_OK)
        goto done;
    size_t sample;
    if (!cli_sample(ctx, &sample, &rc))
        goto done;
    bool verify = !cli_flag(&ctx->args, "no-verify");
    if (!verify && p->ncapture) {
        rc = cli_usage_error(ctx, "--no-verify: with capture, a tenant is switched only once "
                                  "verified (remove the capture list for a plain load)");
        goto done;
    }

    progress_ctx pc = {cli_progress_new(ctx), ""};
    const co_tenant **run = calloc(count ? count : 1, sizeof *run);
    for (size_t i = 0; run && i < count; i++)
        run[i] = outcomes[i].tenant;
    cli_overall *ov = cli_overall_new(pc.bar, s, run, count);
    free(run);
    co_migrate_options opt = {0};
    opt.again = cli_flag(&ctx->args, "again");
    opt.skip_rehearsal = cli_flag(&ctx->args, "skip-rehearsal");
    opt.count_rows = ctx->progress;
    opt.progress = on_progress;
    opt.progress_ctx = &pc;
    opt.on_row = cli_row_checkpoint; /* a signal stops the copy between two rows */
    bool keep_going = cli_flag(&ctx->args, "keep-going");
    size_t attempted = 0;
    for (size_t i = 0; i < count && !cli_signal_caught(); i++) {
        outcome *o = &outcomes[i];
        bool paused = false;
        if (ctx->in_cohort &&
            co_cohort_paused(co_session_state(s), ctx->cohort, &paused, &err) == CO_OK &&
            paused) {
            cli_errorf("run: cohort %s is paused: stopping before tenant %s "
                            "(cutover resume --cohort %s, or from the dashboard)\n",
                    ctx->cohort_name, o->tenant->key, ctx->cohort_name);
            if (rc == EXIT_OK)
                rc = EXIT_NOT_READY;
            break;
        }
        snprintf(pc.label, sizeof pc.label, "tenant %s (%zu/%zu)", o->tenant->key, i + 1, count);
        co_error_clear(&err);
        o->attempted = true;
        attempted = i + 1;
        if (p->ncapture) {
            co_cutover_options copt = {.skip_rehearsal = opt.skip_rehearsal, .again = opt.again,
                                       .sample = sample, .progress = on_progress,
                                       .progress_ctx = &pc, .cancelled = cli_cancelled};
            int crc = run_cutover(ctx, s, o, &copt, &pc, &err);
            cli_overall_step(ov, i, tenant_rows(&o->result));
            if (crc != EXIT_OK && rc == EXIT_OK)
                rc = crc;
            if (crc != EXIT_OK && !keep_going)
                break;
            continue;
        }
        o->code = co_migrate_tenant(s, o->tenant, &opt, &o->result, &err);
        cli_progress_clear(pc.bar);
        cli_overall_step(ov, i, o->code == CO_OK ? tenant_rows(&o->result) : 0);
        if (o->code != CO_OK) {
            snprintf(o->failure, sizeof o->failure, "%.500s", err.message);
            int fail_rc = cli_fail("migrate", &err);
            if (rc == EXIT_OK)
                rc = fail_rc;
            if (!keep_going)
                break;
            continue;
        }
        if (verify && !o->result.skipped) {
            co_verify_result vr;
            co_verify_options vopt = {.sample = sample};
            co_code vcode = co_verify_tenant(s, o->tenant, &vopt, &vr, &err);
            if (vcode != CO_OK) {
                int fail_rc = cli_fail("migrate: verify", &err);
                if (rc == EXIT_OK)
                    rc = fail_rc;
            } else {
                o->verified = true;
                o->verify_pass = vr.pass;
                if (!vr.pass && rc == EXIT_OK)
                    rc = EXIT_VERIFY;
                if (!ctx->json && (!vr.pass || !ctx->quiet))
                    cli_print_verification(ctx, &vr);
            }
            co_verify_result_release(&vr);
            if ((vcode != CO_OK || !o->verify_pass) && !keep_going)
                break;
        }
        if (!ctx->quiet && !ctx->json) {
            const co_migrate_result *r = &o->result;
            int64_t loaded = 0, read = 0, merged = 0;
            for (size_t e = 0; e < r->nentities; e++) {
                loaded += r->entities[e].loaded;
                read += r->entities[e].source_rows;
                merged += r->entities[e].merged;
            }
            char a[32], b[32], c[32], d[32];
            if (r->skipped)
                fprintf(stderr, "tenant %s: already migrated, skipped\n", o->tenant->key);
            else
                fprintf(stderr, "tenant %s: %s %s read, %s loaded, %s merged, %s rejected in %.2fs\n",
                        o->tenant->key, cli_num(read, a, sizeof a), co_fmt_noun(read, "row", "rows"),
                        cli_num(loaded, b, sizeof b),
                        cli_num(merged, d, sizeof d), cli_num(r->rejected, c, sizeof c),
                        r->seconds);
        }
    }
    cli_progress_free(pc.bar);
    cli_overall_free(ov);
    if (cli_signal_caught()) {
        print_interrupted(outcomes, attempted, count);
        rc = cli_signal_exit(cli_signal_caught());
    }
    if (ctx->json) {
        print_json(p, outcomes, count);
    } else if (!ctx->quiet) {
        print_table(p, outcomes, count);
        print_entities(p, outcomes, count);
        print_rejects_path(p, outcomes, count);
    }
done:
    for (size_t i = 0; outcomes && i < count; i++)
        co_migrate_result_release(&outcomes[i].result);
    free(outcomes);
    cli_close(&cs);
    return rc;
}
