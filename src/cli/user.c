/*
 * user.c: who runs a command, for approvals and notes: --by, else
 * CUTOVER_USER, else USER (flag > environment, as everywhere).
 */
#include "cli.h"

#include <stdlib.h>

const char *cli_user(const cli_ctx *ctx)
{
    const char *by = cli_get(&ctx->args, "by");
    if (by && *by)
        return by;
    const char *env = getenv("CUTOVER_USER");
    if (env && *env)
        return env;
    env = getenv("USER");
    return env && *env ? env : NULL;
}
