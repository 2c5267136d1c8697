/*
 * cmd_init.c: `cutover init [FILE]` writes a commented starter project file;
 * given an existing source and target (`--source URI --target URI`), one
 * made from their schemas: an entity per target table, its columns matched
 * by name, what did not match marked TODO.
 */
#include "cli.h"
#include "cutover/store.h"
#include "util/buf.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The starter made from the databases into out; an exit code. */
static int from_databases(const char *source_uri, const char *target_uri, co_buf *out)
{
    co_error err;
    co_error_clear(&err);
    co_store *source = NULL, *target = NULL;
    co_code code = co_store_open(source_uri, CO_SIDE_SOURCE, ".", &source, &err);
    if (code == CO_OK)
        code = co_store_open(target_uri, CO_SIDE_TARGET, ".", &target, &err);
    if (code == CO_OK)
        code = co_project_starter_from(source, target, source_uri, target_uri, out, &err);
    co_store_close(source);
    co_store_close(target);
    return code == CO_OK ? EXIT_OK : cli_fail("init", &err);
}

int cmd_init(cli_ctx *ctx)
{
    const char *path = ctx->args.npositional ? ctx->args.positional[0] : ctx->project_path;
    const char *source = cli_get(&ctx->args, "source"), *target = cli_get(&ctx->args, "target");
    if (!source != !target)
        return cli_usage_error(ctx, "a starter made from the databases needs both --source URI "
                                    "and --target URI");
    co_buf made = CO_BUF_INIT;
    if (source) {
        int rc = from_databases(source, target, &made);
        if (rc != EXIT_OK) {
            Co_buf_release(&made);
            return rc;
        }
    }
    if (strcmp(path, "-") == 0) { /* the starter on standard output */
        fputs(source ? co_buf_str(&made) : co_project_starter(), stdout);
        Co_buf_release(&made);
        return EXIT_OK;
    }
    int flags = O_WRONLY | O_CREAT | (cli_flag(&ctx->args, "force") ? O_TRUNC : O_EXCL);
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            cli_errorf("init: %s exists; pass --force to overwrite it\n", path);
        else
            cli_errorf("init: cannot write %s: %s\n", path, strerror(errno));
        Co_buf_release(&made);
        return EXIT_IO;
    }
    const char *text = source ? co_buf_str(&made) : co_project_starter();
    size_t len = strlen(text);
    ssize_t written = write(fd, text, len);
    Co_buf_release(&made);
    if (written != (ssize_t)len || close(fd) != 0) {
        cli_errorf("init: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        Co_buf_adds(&b, "{\"wrote\": ");
        Co_json_str(&b, path);
        Co_buf_adds(&b, "}\n");
        fputs(co_buf_str(&b), stdout);
        Co_buf_release(&b);
    } else if (!ctx->quiet)
        printf(source ? "wrote %s from the source's and target's schemas: look at each TODO, "
                        "then run cutover check\n"
                      : "wrote %s: edit the connections and entities, then run cutover check\n",
               path);
    return EXIT_OK;
}
