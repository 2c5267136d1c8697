/*
 * cmd_report.c: `cutover report [--tenant T] -o FILE.html` writes the
 * migration report, one self-contained HTML page, from the journal.
 */
#include "cli.h"
#include "cutover/migrate.h"
#include "cutover/report.h"
#include "util/buf.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_report(cli_ctx *ctx)
{
    const char *path = cli_get(&ctx->args, "output");
    if (!path || !*path)
        return cli_usage_error(ctx, "name the page to write with -o FILE.html");
    cli_session cs;
    int rc = cli_open_journal(ctx, "report", NULL, &cs); /* all it shows is journaled */
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_report_options opt = {0};
    opt.tenant = cli_get(&ctx->args, "tenant");
    char *html = NULL;
    if (co_report_html(co_session_state(cs.session), cs.project, &opt, &html, &err) != CO_OK) {
        rc = cli_fail("report", &err);
    } else {
        size_t len = strlen(html);
        if (cli_write_file("report", path, html, len) != EXIT_OK) {
            rc = EXIT_IO;
        } else if (cli_is_stdout(path)) {
            /* the page is the output: nothing else on standard output */
        } else if (ctx->json) {
            co_buf b = CO_BUF_INIT;
            Co_buf_adds(&b, "{\"report\":");
            Co_json_str(&b, path);
            Co_buf_printf(&b, ",\"bytes\":%zu}\n", len);
            fputs(co_buf_str(&b), stdout);
            Co_buf_release(&b);
        } else if (!ctx->quiet) {
            printf("report written to %s (%zu bytes, self-contained: open it in any browser)\n",
                   path, len);
        }
    }
    free(html);
    cli_close(&cs);
    return rc;
}
