/* cmd_init.c: `cutover init [FILE]` writes a commented starter project file. */
#include "cli.h"
#include "util/buf.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_init(cli_ctx *ctx)
{
    const char *path = ctx->args.npositional ? ctx->args.positional[0] : ctx->project_path;
    if (strcmp(path, "-") == 0) { /* the starter on standard output */
        fputs(co_project_starter(), stdout);
        return EXIT_OK;
    }
    int flags = O_WRONLY | O_CREAT | (cli_flag(&ctx->args, "force") ? O_TRUNC : O_EXCL);
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            cli_errorf("init: %s exists; pass --force to overwrite it\n", path);
        else
            cli_errorf("init: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    const char *text = co_project_starter();
    size_t len = strlen(text);
    ssize_t written = write(fd, text, len);
    if (written != (ssize_t)len || close(fd) != 0) {
        cli_errorf("init: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    if (ctx->json) {
        co_buf b = CO_BUF_INIT;
        co_buf_adds(&b, "{\"wrote\": ");
        co_json_str(&b, path);
        co_buf_adds(&b, "}\n");
        fputs(co_buf_str(&b), stdout);
        co_buf_release(&b);
    } else if (!ctx->quiet)
        printf("wrote %s: edit the connections and entities, then run cutover check\n", path);
    return EXIT_OK;
}
