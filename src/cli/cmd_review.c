/*
 * cmd_review.c: `cutover review export` writes the doubtful pairs of an
 * entity's similar rule as CSV, both rows side by side, for a person to mark
 * merge or apart; `cutover review apply FILE` records those decisions in the
 * journal, where every later migrate, rehearsal and verify honours them
 * (review.h).
 */
#include "cli.h"
#include "cutover/review.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/json.h"
#include "util/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct export_ctx {
    FILE *out;
    co_buf line;
    bool header_done;
    size_t pairs;
} export_ctx;

static void cell(co_buf *b, const char *s) { Co_csv_cell(b, s, strlen(s)); }

static void value_cell(co_buf *b, co_value v)
{
    char *text = Co_value_text(v);
    if (text)
        cell(b, text);
    free(text);
}

/* tenant,entity,key_a,key_b,[target_key_a,target_key_b,]score,agree,
 * decision,COL (a),COL (b),... (the target keys for an entity with a
 * target_key) */
static void header(export_ctx *x, const co_review_pair *p)
{
    Co_buf_adds(&x->line, p->keyed ? "tenant,entity,key_a,key_b,target_key_a,target_key_b,"
                                     "score,agree,decision"
                                   : "tenant,entity,key_a,key_b,score,agree,decision");
    char name[300];
    for (size_t c = 0; c < p->ncolumns; c++)
        for (int side = 0; side < 2; side++) {
            snprintf(name, sizeof name, "%s (%c)", p->columns[c], side ? 'b' : 'a');
            Co_buf_addc(&x->line, ',');
            cell(&x->line, name);
        }
    Co_buf_addc(&x->line, '\n');
}

static co_code write_pair(void *ctx, const co_review_pair *p, co_error *err)
{
    export_ctx *x = ctx;
    Co_buf_reset(&x->line);
    if (!x->header_done)
        header(x, p);
    x->header_done = true;
    cell(&x->line, p->tenant);
    Co_buf_addc(&x->line, ',');
    cell(&x->line, p->entity);
    Co_buf_addc(&x->line, ',');
    cell(&x->line, p->key_a);
    Co_buf_addc(&x->line, ',');
    cell(&x->line, p->key_b);
    if (p->keyed) { /* empty until the tenant is migrated */
        Co_buf_addc(&x->line, ',');
        cell(&x->line, p->target_a ? p->target_a : "");
        Co_buf_addc(&x->line, ',');
        cell(&x->line, p->target_b ? p->target_b : "");
    }
    Co_buf_printf(&x->line, ",%.4f,", p->score);
    co_buf agree = CO_BUF_INIT;
    for (size_t f = 0; f < p->nfields; f++)
        if (p->agree & (UINT32_C(1) << f)) {
            Co_buf_adds(&agree, agree.len ? "; " : "");
            Co_buf_adds(&agree, p->fields[f]);
        }
    Co_csv_cell(&x->line, co_buf_str(&agree), agree.len);
    Co_buf_release(&agree);
    Co_buf_addc(&x->line, ','); /* decision: the person's to fill */
    for (size_t c = 0; c < p->ncolumns; c++) {
        Co_buf_addc(&x->line, ',');
        value_cell(&x->line, p->row_a[c]);
        Co_buf_addc(&x->line, ',');
        value_cell(&x->line, p->row_b[c]);
    }
    Co_buf_addc(&x->line, '\n');
    if (x->line.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (fwrite(x->line.data, 1, x->line.len, x->out) != x->line.len)
        return co_error_set(err, CO_EIO, "cannot write the review file: %s", strerror(errno));
    x->pairs++;
    return CO_OK;
}

/* The entity to export: --entity, or the only one with a similar rule. */
static int pick_entity(cli_ctx *ctx, const co_project *p, size_t *out)
{
    const char *name = cli_get(&ctx->args, "entity");
    size_t found = 0;
    for (size_t i = 0; i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        bool similar = e->merge && e->merge->nblocks > 0;
        if (name ? strcmp(e->name, name) == 0 : similar) {
            if (name && !similar)
                return cli_usage_error(ctx, "entity %s has no \"similar\" rule under merge: "
                                            "nothing is scored, so nothing is doubtful",
                                       name);
            *out = i;
            found++;
        }
    }
    if (name && !found) {
        const char *names[256];
        size_t n = 0;
        for (size_t i = 0; i < p->nentities && n < 256; i++)
            names[n++] = p->entities[i].name;
        const char *near = cli_suggest(name, names, n);
        return cli_error(ctx, EXIT_NOT_FOUND, "no entity \"%s\" in the project file%s%s%s", name,
                         near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
    }
    if (!found)
        return cli_usage_error(ctx, "no entity has a \"similar\" rule under merge (see "
                                    "docs/project-file.md, merge.similar)");
    if (found > 1)
        return cli_usage_error(ctx, "several entities have a \"similar\" rule: name one with "
                                    "--entity");
    return EXIT_OK;
}

static int review_export(cli_ctx *ctx, cli_session *cs)
{
    size_t entity = 0, count = 0;
    int rc = pick_entity(ctx, cs->project, &entity);
    if (rc != EXIT_OK)
        return rc;
    const co_tenant **chosen = calloc(cs->ntenants ? cs->ntenants : 1, sizeof *chosen);
    if (!chosen)
        return EXIT_INTERNAL;
    rc = cli_select_tenants(ctx, cs->tenants, cs->ntenants, chosen, &count);
    const char *path = cli_get(&ctx->args, "output");
    export_ctx x = {0};
    x.out = stdout;
    if (rc == EXIT_OK && path && !(x.out = cli_open_output(path, "wb"))) {
        cli_errorf("review: cannot write %s: %s\n", path, strerror(errno));
        rc = EXIT_IO;
    }
    co_review_counts counts = {0};
    co_error err;
    co_error_clear(&err);
    cli_progress *bar = rc == EXIT_OK ? cli_progress_new(ctx) : NULL;
    for (size_t i = 0; rc == EXIT_OK && i < count; i++) {
        cli_progress_update(bar, "scoring pairs", chosen[i]->key, (long long)i, (long long)count);
        if (co_review_pairs(cs->session, chosen[i], entity, write_pair, &x, &counts, &err) != CO_OK)
            rc = cli_fail("review export", &err);
    }
    cli_progress_free(bar);
    if (x.out && cli_close_output(x.out) != 0 && rc == EXIT_OK) {
        cli_errorf("review: cannot write %s: %s\n", path, strerror(errno));
        rc = EXIT_IO;
    }
    Co_buf_release(&x.line);
    free(chosen);
    if (rc != EXIT_OK)
        return rc;
    const char *name = cs->project->entities[entity].name;
    if (ctx->json && path) {
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "{\"entity\":");
        Co_json_str(&b, name);
        Co_buf_adds(&b, ",\"file\":");
        Co_json_str(&b, path);
        Co_buf_printf(&b, ",\"tenants\":%zu,\"records\":%zu,\"compared\":%zu,\"pairs\":%zu,"
                          "\"skipped_blocks\":%zu}\n",
                      count, counts.records, counts.compared, counts.pairs,
                      counts.skipped_blocks);
        fputs(co_buf_str(&b), stdout);
        Co_buf_release(&b);
    } else if (!ctx->quiet) {
        fprintf(stderr,
                "%s: %zu doubtful pairs among %zu compared, %zu rows of %zu tenants%s%s\n", name,
                counts.pairs, counts.compared, counts.records, count, path ? " -> " : "",
                path ? path : "");
        if (counts.skipped_blocks)
            fprintf(stderr, "  %zu blocks were too large to compare; make the blocks narrower\n",
                    counts.skipped_blocks);
        if (counts.pairs)
            fprintf(stderr, "  fill the decision column with merge or apart, then: cutover "
                            "review apply FILE\n");
    }
    return EXIT_OK;
}

static int review_apply(cli_ctx *ctx, cli_session *cs)
{
    if (ctx->args.npositional != 2)
        return cli_usage_error(ctx, "name the decisions file: review apply FILE");
    const char *path = ctx->args.positional[1];
    co_review_applied a;
    co_error err;
    co_error_clear(&err);
    if (co_review_apply(cs->session, path, &a, &err) != CO_OK)
        return cli_fail("review apply", &err);
    if (ctx->json)
        printf("{\"merge\":%zu,\"apart\":%zu,\"undecided\":%zu}\n", a.merge, a.apart,
               a.undecided);
    else
        printf("%zu pairs to merge, %zu kept apart, %zu still undecided; later runs, rehearsals "
               "and verifications follow them\n",
               a.merge, a.apart, a.undecided);
    return EXIT_OK;
}

int cmd_review(cli_ctx *ctx)
{
    const char *verb = ctx->args.npositional ? ctx->args.positional[0] : "";
    bool export = strcmp(verb, "export") == 0;
    if (!export && strcmp(verb, "apply") != 0)
        return cli_usage_error(ctx, "review export --tenant KEY|--all [-o FILE], or review "
                                    "apply FILE");
    if (export && ctx->args.npositional != 1)
        return cli_usage_error(ctx, "review export takes no file name; use -o FILE");
    cli_session cs;
    int rc = cli_open(ctx, "review", CO_SESSION_READ_ONLY, export ? CLI_OPEN_TENANTS : 0, &cs);
    if (rc != EXIT_OK)
        return rc;
    rc = export ? review_export(ctx, &cs) : review_apply(ctx, &cs);
    cli_close(&cs);
    return rc;
}
