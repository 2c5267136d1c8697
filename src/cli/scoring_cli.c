/* scoring_cli.c: the helpers of scoring_cli.h. */
#include "scoring_cli.h"
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int scoring_open(cli_ctx *ctx, scoring_cli *sc)
{
    sc->project = NULL;
    sc->state = NULL;
    int rc = cli_load_project(ctx, &sc->project);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    if (co_state_open(sc->project->state, sc->project->dir, &sc->state, &err) != CO_OK) {
        rc = cli_fail("state store", &err);
        co_project_free(sc->project);
        sc->project = NULL;
    }
    return rc;
}

void scoring_close(scoring_cli *sc)
{
    co_state_close(sc->state);
    co_project_free(sc->project);
}

bool scoring_as_of(cli_ctx *ctx, time_t *out, int *rc)
{
    const char *s = cli_get(&ctx->args, "as-of");
    if (!s) {
        *out = Co_clock_now();
        return true;
    }
    *out = Co_clock_parse(s);
    if (*out == -1) {
        *rc = cli_usage_error(ctx, "--as-of wants YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, not %.40s",
                              s);
        return false;
    }
    return true;
}

int scoring_write(const char *what, const char *path, const char *data, size_t len)
{
    return cli_write_file(what, path, data, len);
}

int scoring_dispatch(cli_ctx *ctx, const char *group, const scoring_sub *subs, size_t n)
{
    const cli_args *a = &ctx->args;
    if (a->npositional == 0)
        return cli_usage_error(ctx, "which %s command?", group);
    const char *sub = a->positional[0];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(subs[i].name, sub) != 0)
            continue;
        scoring_cli sc;
        int rc = scoring_open(ctx, &sc);
        if (rc != EXIT_OK)
            return rc;
        rc = subs[i].fn(ctx, &sc);
        scoring_close(&sc);
        return rc;
    }
    const char *names[32];
    size_t nnames = 0;
    for (size_t i = 0; i < n && nnames < 32; i++)
        names[nnames++] = subs[i].name;
    const char *near = cli_suggest(sub, names, nnames);
    if (near)
        return cli_usage_error(ctx, "unknown %s command %.40s (did you mean %s?)", group, sub,
                               near);
    return cli_usage_error(ctx, "unknown %s command %.40s (see cutover help %s)", group, sub,
                           group);
}

int scoring_two_models(cli_ctx *ctx, scoring_cli *sc, const char *what, co_model *old_m,
                       co_model *draft)
{
    co_error err;
    co_error_clear(&err);
    if (co_model_find(sc->state, ctx->args.positional[1], old_m, &err) != CO_OK)
        return cli_fail(what, &err);
    if (co_model_find(sc->state, ctx->args.positional[2], draft, &err) != CO_OK) {
        co_model_release(old_m);
        return cli_fail(what, &err);
    }
    return EXIT_OK;
}
