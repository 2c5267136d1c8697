/*
 * cmd_migrate.c: `cutover migrate --tenant KEY | --all [--jobs N]` moves
 * tenants (co_move_tenant, move.h: the whole policy is the library's), one
 * after another or N at a time, with progress, then prints a summary table
 * (or JSON) in the order of the tenants.
 */
#include "cli.h"
#include "cutover/plan.h"
#include "util/fmt.h"
#include "cutover/report.h"
#include "cutover/migrate.h"
#include "cutover/cutover.h"
#include "cutover/move.h"
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
    co_move_result mv;  /* as co_move_tenant gave it, until reported */
    co_code move_code;  /* what co_move_tenant returned */
    co_error err;
    co_migrate_result result;
    co_code code;       /* of the move; CO_OK when only its verification could not run */
    bool attempted;
    bool verified;     /* a verification ran */
    bool verify_pass;
    bool cutover;      /* the project captures writes: a cutover ran */
    bool switched;
    bool syncing;      /* --coexist: verified and left syncing */
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
    return o->switched ? "switched" : o->syncing ? "syncing" : "failed";
}

/* Whether the rows this run loaded are in the target now. */
static bool rows_stay(const outcome *o)
{
    const char *st = outcome_status(o);
    return strcmp(st, "migrated") == 0 || strcmp(st, "switched") == 0 ||
           strcmp(st, "syncing") == 0;
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
    cli_progress *bar; /* the command's, or with --jobs the job's */
    char label[96];
} progress_ctx;

static void on_progress(void *ctx, const co_progress *p)
{
    progress_ctx *pc = ctx;
    char item[160];
    snprintf(item, sizeof item, "[%zu/%zu] %s", p->entity_index + 1, p->nentities, p->entity);
    cli_progress_update(pc->bar, pc->label, item, p->rows, p->rows_total);
    if (p->entity_done)
        cli_progress_item_done(pc->bar);
}

/* The run of the chosen tenants, shared by its jobs (cli_jobs_run): each job
 * moves tenants with its own session; the calling thread reports them. */
typedef struct migrate_run {
    cli_ctx *ctx;
    co_session **sessions; /* one per job */
    progress_ctx *pcs;     /* one per job */
    outcome *outcomes;
    size_t count;
    co_move_options opt;
    cli_progress *bar;
    cli_overall *ov;
    bool keep_going;
    int rc;
    size_t attempted;
} migrate_run;

/* In a job's thread: moves tenant i. False when no more should start. */
static bool move_one(void *ctx, size_t job, size_t i)
{
    migrate_run *r = ctx;
    outcome *o = &r->outcomes[i];
    progress_ctx *pc = &r->pcs[job];
    snprintf(pc->label, sizeof pc->label, "tenant %s (%zu/%zu)", o->tenant->key, i + 1, r->count);
    co_move_options opt = r->opt;
    opt.progress_ctx = pc;
    co_error_clear(&o->err);
    o->move_code = co_move_tenant(r->sessions[job], o->tenant, &opt, &o->mv, &o->err);
    cli_progress_clear(pc->bar); /* before any line about the tenant */
    const co_move_result *mv = &o->mv;
    if (mv->status == CO_MOVE_PAUSED)
        return false;
    if (o->move_code != CO_OK)
        return r->keep_going;
    if (mv->cutover)
        return r->keep_going ||
               (mv->status != CO_MOVE_ROLLED_BACK && mv->status != CO_MOVE_REFUSED);
    return r->keep_going || !mv->verified || mv->verification.pass;
}

/* The zero-downtime path (projects with `capture`): what became of the
 * tenant's cutover, switched or rolled back. Returns the exit code it
 * deserves: that of the failure's own class (source 4, target 5,
 * verification 12, a hook or a refusal 13), whether or not the tenant was
 * rolled back. */
static int report_cutover(cli_ctx *ctx, outcome *o)
{
    const co_move_result *mv = &o->mv;
    int rc = EXIT_OK;
    if (o->code != CO_OK) {
        snprintf(o->failure, sizeof o->failure, "%.500s", o->err.message);
        rc = cli_fail("migrate", &o->err);
    } else if (mv->status == CO_MOVE_ROLLED_BACK || mv->status == CO_MOVE_REFUSED) {
        o->refused = mv->status == CO_MOVE_REFUSED;
        snprintf(o->failure, sizeof o->failure, "%s", mv->failure);
        if (o->rolled_back)
            cli_errorf("migrate: tenant %s rolled back, still on the source: %s\n",
                    o->tenant->key, mv->failure);
        else
            cli_errorf("migrate: tenant %s not migrated: %s\n", o->tenant->key,
                    mv->failure);
        if (mv->verified && !mv->verification.pass && !ctx->json)
            cli_print_verification(ctx, &mv->verification);
        rc = cli_exit_code(mv->failure_code);
        if (rc == EXIT_OK)
            rc = EXIT_INTERNAL; /* a failure always has a class */
    } else if (o->switched && !ctx->quiet && !ctx->json) {
        fprintf(stderr,
                "tenant %s: switched to the new system; %lld captured changes caught up, "
                "writes frozen for %.2fs\n",
                o->tenant->key, (long long)mv->changes_applied, mv->freeze_seconds);
    } else if (o->syncing && !ctx->quiet && !ctx->json) {
        fprintf(stderr,
                "tenant %s: verified and syncing (nothing frozen, writes and reads still old); "
                "%lld captured changes caught up: keep it in sync with cutover sync --tenant %s "
                "--follow\n",
                o->tenant->key, (long long)mv->changes_applied, o->tenant->key);
    }
    return rc;
}

/* The plain path: the load's failure, or the verification and a line on the
 * tenant. */
static void report_load(migrate_run *r, outcome *o)
{
    cli_ctx *ctx = r->ctx;
    const co_move_result *mv = &o->mv;
    if (o->code != CO_OK) {
        snprintf(o->failure, sizeof o->failure, "%.500s", o->err.message);
        int fail_rc = cli_fail("migrate", &o->err);
        if (r->rc == EXIT_OK)
            r->rc = fail_rc;
        return;
    }
    if (o->move_code != CO_OK) { /* loaded, but the verification could not run */
        int fail_rc = cli_fail("migrate: verify", &o->err);
        if (r->rc == EXIT_OK)
            r->rc = fail_rc;
        if (!r->keep_going)
            return;
    } else if (mv->verified) {
        if (!o->verify_pass && r->rc == EXIT_OK)
            r->rc = EXIT_VERIFY;
        if (!ctx->json && (!o->verify_pass || !ctx->quiet))
            cli_print_verification(ctx, &mv->verification);
        if (!o->verify_pass && !r->keep_going)
            return;
    }
    if (!ctx->quiet && !ctx->json) {
        const co_migrate_result *res = &o->result;
        int64_t loaded = 0, read = 0, merged = 0;
        for (size_t e = 0; e < res->nentities; e++) {
            loaded += res->entities[e].loaded;
            read += res->entities[e].source_rows;
            merged += res->entities[e].merged;
        }
        char a[32], b[32], c[32], d[32];
        if (res->skipped)
            fprintf(stderr, "tenant %s: already migrated, skipped\n", o->tenant->key);
        else
            fprintf(stderr, "tenant %s: %s %s read, %s loaded, %s merged, %s rejected in %.2fs\n",
                    o->tenant->key, cli_num(read, a, sizeof a), Co_fmt_noun(read, "row", "rows"),
                    cli_num(loaded, b, sizeof b),
                    cli_num(merged, d, sizeof d), cli_num(res->rejected, c, sizeof c),
                    res->seconds);
    }
}

/* On the calling thread, in the order of the tenants: what became of
 * tenant i, as one job would have printed it. */
static void report_one(void *ctx, size_t i)
{
    migrate_run *r = ctx;
    outcome *o = &r->outcomes[i];
    co_move_result *mv = &o->mv;
    cli_progress_clear(r->bar); /* the jobs' line, before any line about the tenant */
    if (mv->status == CO_MOVE_PAUSED) {
        cli_errorf("run: cohort %s is paused: stopping before tenant %s "
                        "(cutover resume --cohort %s, or from the dashboard)\n",
                r->ctx->cohort_name, o->tenant->key, r->ctx->cohort_name);
        if (r->rc == EXIT_OK)
            r->rc = EXIT_NOT_READY;
        return;
    }
    o->attempted = true;
    r->attempted = i + 1;
    o->cutover = mv->cutover;
    /* A verification that could not run after a plain load leaves the rows. */
    o->code = mv->cutover || mv->phase == NULL || strcmp(mv->phase, "verify") != 0
                  ? o->move_code : CO_OK;
    o->result = mv->load;
    memset(&mv->load, 0, sizeof mv->load);
    o->verified = mv->verified;
    o->verify_pass = mv->verified && mv->verification.pass;
    o->switched = mv->status == CO_MOVE_SWITCHED;
    o->syncing = mv->syncing;
    o->rolled_back = mv->status == CO_MOVE_ROLLED_BACK;
    o->freeze_seconds = mv->freeze_seconds;
    o->changes_applied = mv->changes_applied;
    if (mv->cutover) {
        int crc = report_cutover(r->ctx, o);
        cli_overall_step(r->ov, i, tenant_rows(&o->result));
        if (crc != EXIT_OK && r->rc == EXIT_OK)
            r->rc = crc;
    } else {
        cli_overall_step(r->ov, i, o->code == CO_OK ? tenant_rows(&o->result) : 0);
        report_load(r, o);
    }
    co_move_result_release(mv);
}

/* One tenant's entity counts as JSON. A tenant whose rows did not stay
 * (failed, rolled back) shows loaded 0 and what was loaded as rolled_back, so
 * that source_rows = loaded + rolled_back + merged + rejected holds. */
static void json_entities(co_buf *b, const co_project *p, const outcome *o)
{
    const co_migrate_result *r = &o->result;
    bool stay = rows_stay(o);
    Co_buf_adds(b, ",\"entities\":{");
    for (size_t e = 0; e < r->nentities && !r->skipped; e++) {
        const co_entity_counts *c = &r->entities[e];
        if (e)
            Co_buf_addc(b, ',');
        Co_json_str(b, p->entities[e].name);
        Co_buf_printf(b, ":{\"source_rows\":%lld,\"loaded\":%lld,\"merged\":%lld,\"rejected\":%lld,",
                      (long long)c->source_rows, stay ? (long long)c->loaded : 0LL,
                      (long long)c->merged, (long long)c->rejected);
        if (!stay)
            Co_buf_printf(b, "\"rolled_back\":%lld,", (long long)c->loaded);
        Co_buf_printf(b, "\"seconds\":%.3f}", c->seconds);
    }
    Co_buf_adds(b, "}");
}

static void print_json(const co_project *p, const outcome *o, size_t n)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"tenants\":[");
    for (size_t i = 0; i < n; i++) {
        if (!o[i].attempted)
            continue;
        const co_migrate_result *r = &o[i].result;
        Co_buf_adds(&b, b.data[b.len - 1] == '[' ? "{" : ",{");
        Co_buf_adds(&b, "\"tenant\":");
        Co_json_str(&b, o[i].tenant->key);
        Co_buf_adds(&b, ",\"label\":");
        Co_json_str(&b, o[i].tenant->label);
        Co_buf_printf(&b, ",\"status\":\"%s\",\"run_id\":%lld,\"seconds\":%.3f,\"rejected\":%lld",
                      outcome_status(&o[i]), (long long)r->run_id, r->seconds,
                      (long long)r->rejected);
        Co_buf_adds(&b, ",\"error\":");
        Co_json_str(&b, o[i].failure[0] ? o[i].failure : NULL);
        Co_buf_printf(&b, ",\"verified\":%s", !o[i].verified ? "null" : o[i].verify_pass ? "true" : "false");
        if (o[i].cutover)
            Co_buf_printf(&b, ",\"switched\":%s,\"changes_applied\":%lld,\"freeze_seconds\":%.3f",
                          o[i].switched ? "true" : "false", (long long)o[i].changes_applied,
                          o[i].freeze_seconds);
        Co_buf_adds(&b, ",\"rejects_file\":");
        Co_json_str(&b, r->rejects_file);
        json_entities(&b, p, &o[i]);
        Co_buf_adds(&b, "}");
    }
    Co_buf_adds(&b, "]}\n");
    fputs(co_buf_str(&b), stdout);
    Co_buf_release(&b);
}

/* In place of the counts of a tenant whose rows are not in the target. */
static void print_not_loaded(const outcome *o)
{
    char text[640], cell[640];
    const char *st = outcome_status(o);
    if (strcmp(st, "skipped") == 0)
        snprintf(text, sizeof text, "%s",
                 o->syncing ? "syncing already (cutover sync keeps it in sync; --again reloads it)"
                 : o->cutover ? "switched already (roll it back to migrate it again)"
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
    size_t left = 0; /* with jobs, the tenants not started need not be the last ones */
    for (size_t i = 0; i < count; i++)
        left += !o[i].attempted;
    fprintf(stderr, "%zu tenant%s not started (run the same command again to go on)\n", left,
            left == 1 ? "" : "s");
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
    if (cli_flag(&ctx->args, "coexist") && !p->ncapture) {
        rc = cli_usage_error(ctx, "--coexist keeps tenants in sync through capture: the project "
                                  "file lists no tables to capture (docs/coexistence.md)");
        goto done;
    }

    size_t njobs = 1;
    if (!cli_jobs_option(ctx, co_session_dest(s), count, &njobs, &rc))
        goto done;
    co_session **sessions = calloc(njobs, sizeof *sessions);
    progress_ctx *pcs = calloc(njobs, sizeof *pcs);
    if (!sessions || !pcs) {
        free(sessions);
        free(pcs);
        rc = EXIT_INTERNAL;
        goto done;
    }
    rc = cli_jobs_sessions(ctx, "migrate", s,
                           CO_SESSION_GUARD |
                               (cli_flag(&ctx->args, "start-over") ? CO_SESSION_START_OVER : 0),
                           njobs, sessions);
    if (rc != EXIT_OK) {
        free(sessions);
        free(pcs);
        goto done;
    }
    cli_progress *bar = cli_progress_new(ctx);
    for (size_t j = 0; j < njobs; j++)
        pcs[j].bar = njobs == 1 ? bar : cli_progress_job(bar, j, njobs);
    const co_tenant **run = calloc(count ? count : 1, sizeof *run);
    for (size_t i = 0; run && i < count; i++)
        run[i] = outcomes[i].tenant;
    migrate_run mr = {.ctx = ctx, .sessions = sessions, .pcs = pcs, .outcomes = outcomes,
                      .count = count, .bar = bar, .keep_going = cli_flag(&ctx->args, "keep-going")};
    mr.ov = cli_overall_new(bar, s, run, count);
    mr.opt = (co_move_options){.again = cli_flag(&ctx->args, "again"),
                               .skip_rehearsal = cli_flag(&ctx->args, "skip-rehearsal"),
                               .no_verify = !verify, .count_rows = ctx->progress,
                               .sample = sample, .in_cohort = ctx->in_cohort,
                               .cohort = ctx->cohort, .progress = on_progress,
                               .cancelled = cli_cancelled,
                               .coexist = cli_flag(&ctx->args, "coexist"),
                               /* a signal stops the copy between two rows */
                               .on_row = cli_row_checkpoint, .on_row_checkpoint = true};
    /* The largest tenants start first, so that the jobs end together. */
    size_t *order = run ? cli_jobs_largest_first(sessions, njobs, run, count, &mr.opt) : NULL;
    free(run);
    cli_jobs jobs = {njobs, count, move_one, report_one, &mr, order};
    cli_jobs_run(&jobs);
    free(order);
    rc = mr.rc;
    size_t attempted = mr.attempted;
    for (size_t j = 0; njobs > 1 && j < njobs; j++)
        cli_progress_free(pcs[j].bar);
    cli_progress_free(bar);
    cli_overall_free(mr.ov);
    cli_jobs_sessions_close(sessions, njobs);
    free(sessions);
    free(pcs);
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
