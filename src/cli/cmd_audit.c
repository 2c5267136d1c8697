/*
 * cmd_audit.c: `cutover audit [--tenant KEY] [--json] [--html FILE]` profiles
 * the source and audits tenants without writing to source or target; the
 * results go to the journal for `cutover plan`.
 */
#include "cli.h"
#include "cutover/audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_progress(void *ctx, const co_progress *p)
{
    char item[96];
    snprintf(item, sizeof item, "tenant %s", p->tenant);
    cli_progress_update(ctx, "audit", item, p->rows, p->rows_total);
}

static void print_summary(const co_column_profile *cols, size_t ncols, const co_tenant_audit *ts,
                          size_t nt, const co_project *p)
{
    char a[32], b[32], c[32];
    printf("audit of %s: %zu columns profiled, %zu tenants\n", p->path, ncols, nt);
    printf("\ncolumns the mapping never reads:\n ");
    size_t shown = 0;
    for (size_t i = 0; i < ncols; i++)
        if (!cols[i].mapped)
            printf(" %s.%s%s", cols[i].table, cols[i].column, ++shown % 6 == 0 ? "\n " : "");
    printf("%s\n\nzombie columns (filled in under 0.5%% of rows):\n", shown ? "" : " (none)");
    shown = 0;
    for (size_t i = 0; i < ncols; i++)
        if (cols[i].zombie) {
            shown++;
            printf("  %s.%s: %s of %s rows filled%s%s\n", cols[i].table, cols[i].column,
                   cli_num(cols[i].rows - cols[i].nulls - cols[i].empties, a, sizeof a),
                   cli_num(cols[i].rows, b, sizeof b), cols[i].last_filled ? ", last " : "",
                   cols[i].last_filled ? cols[i].last_filled : "");
        }
    if (!shown)
        printf("  (none)\n");
    printf("\nvalues that do not fit their column's type:\n");
    shown = 0;
    for (size_t i = 0; i < ncols; i++)
        if (cols[i].type_failures) {
            shown++;
            printf("  %s.%s (%s): %s values, e.g. %s\n", cols[i].table, cols[i].column,
                   cols[i].apparent_type, cli_num(cols[i].type_failures, a, sizeof a),
                   cols[i].failure_examples ? cols[i].failure_examples : "");
        }
    if (!shown)
        printf("  (none)\n");
    printf("\n%-8s %-24s %12s %4s %10s %10s %10s\n", "tenant", "label", "rows", "size", "est. s",
           "refused", "duplicates");
    for (size_t i = 0; i < nt; i++) {
        char key[64], label[112];
        printf("%s %s %12s %4s %10.1f %10s %10s\n", cli_cell(ts[i].tenant, 8, key, sizeof key),
               cli_cell(ts[i].label, 24, label, sizeof label), cli_num(ts[i].rows, a, sizeof a),
               ts[i].size_class, ts[i].est_seconds, cli_num(ts[i].limit_rows, b, sizeof b),
               cli_num(ts[i].duplicate_clusters, c, sizeof c));
        for (size_t k = 0; k < ts[i].nlimits; k++)
            printf("         %s: %lld rows %s (%s), e.g. %s\n", ts[i].limits[k].entity,
                   (long long)ts[i].limits[k].rows, ts[i].limits[k].rule, ts[i].limits[k].reason,
                   ts[i].limits[k].examples);
    }
    printf("\nsizes: S below 10,000 rows, M below 100,000, L below 1,000,000, XL above; "
           "estimates from %s\n",
           nt && ts[0].est_measured ? "the throughput of earlier migrations"
                                    : "a default of 50,000 rows/s (no migration measured yet)");
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "cutover: audit: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return EXIT_IO;
    }
    return EXIT_OK;
}

int cmd_audit(cli_ctx *ctx)
{
    cli_session cs;
    int rc = cli_open(ctx, "audit", CO_SESSION_READ_ONLY, CLI_OPEN_CHECK, &cs);
    if (rc != EXIT_OK)
        return rc;
    co_project *p = cs.project;
    co_session *s = cs.session;
    co_tenant *tenants = cs.tenants;
    size_t ntenants = cs.ntenants, count = 0, ncols = 0;
    co_error err;
    co_error_clear(&err);
    co_column_profile *cols = NULL;
    co_tenant_audit *audits = NULL;
    co_tenant *selected = NULL;
    const co_tenant **chosen = calloc(ntenants ? ntenants : 1, sizeof *chosen);
    selected = calloc(ntenants ? ntenants : 1, sizeof *selected);
    if (!chosen || !selected) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    if (cli_get(&ctx->args, "tenant")) {
        rc = cli_select_tenants(ctx, tenants, ntenants, chosen, &count);
        if (rc != EXIT_OK)
            goto done;
    } else {
        for (size_t i = 0; i < ntenants; i++)
            chosen[count++] = &tenants[i];
    }
    for (size_t i = 0; i < count; i++)
        selected[i] = *chosen[i]; /* shallow: tenants keeps ownership */
    co_code code = co_audit_profiles(s->source, p, &cols, &ncols, &err);
    cli_progress *bar = cli_progress_new(ctx);
    if (code == CO_OK)
        code = co_audit_tenants(s, selected, count, on_progress, bar, &audits, &err);
    cli_progress_free(bar);
    if (code == CO_OK)
        code = co_audit_record(s, audits, count, &err);
    if (code != CO_OK) {
        rc = cli_fail("audit", &err);
        goto done;
    }
    const char *html = cli_get(&ctx->args, "html");
    if (html) {
        char *page = co_audit_html(cols, ncols, audits, count, p);
        rc = page ? write_text(html, page) : EXIT_INTERNAL;
        free(page);
        if (rc != EXIT_OK)
            goto done;
    }
    if (ctx->json) {
        char *json = co_audit_json(cols, ncols, audits, count, p);
        if (!json) {
            rc = EXIT_INTERNAL;
            goto done;
        }
        printf("%s\n", json);
        free(json);
    } else if (!ctx->quiet) {
        print_summary(cols, ncols, audits, count, p);
        if (html)
            printf("HTML report: %s\n", html);
    }
done:
    co_tenant_audits_free(audits, count);
    co_profiles_free(cols, ncols);
    free(selected);
    free(chosen);
    cli_close(&cs);
    return rc;
}
