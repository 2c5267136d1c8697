/*
 * cmd_serve.c: `cutover serve [--listen 127.0.0.1:8080]` runs the dashboard
 * (serve.h) until SIGINT or SIGTERM, after printing where it listens and
 * the token that rollback and pause requests need.
 */
#include "cli.h"
#include "cutover/serve.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_serve(cli_ctx *ctx)
{
    double seconds;
    int rc = EXIT_OK;
    if (!cli_seconds(ctx, "refresh", true, 5, 1, 3600, &seconds, &rc))
        return rc;
    cli_session cs;
    rc = cli_open(ctx, "serve", CO_SESSION_READ_ONLY, CLI_OPEN_TENANTS, &cs);
    if (rc != EXIT_OK)
        return rc;
    /* Block the signals before the server's thread starts, so that it
     * inherits the mask and sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    co_serve_options opt = {cli_get(&ctx->args, "listen"), cli_flag(&ctx->args, "allow-remote"),
                            (int)seconds};
    co_server *srv = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_serve_start(cs.session, cs.tenants, cs.ntenants, &opt, &srv, &err) != CO_OK) {
        rc = cli_fail("serve", &err);
        cli_close(&cs);
        return rc;
    }
    if (ctx->json)
        printf("{\"url\":\"%s\",\"token\":\"%s\"}\n", co_serve_url(srv), co_serve_token(srv));
    else
        printf("cutover: serving %s (the report live, and the JSON API under %sapi/)\n"
               "token for rollback and pause: %s\n"
               "stop with Ctrl-C\n",
               co_serve_url(srv), co_serve_url(srv), co_serve_token(srv));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    co_serve_stop(srv);
    cli_close(&cs);
    if (!ctx->quiet && !ctx->json)
        printf("cutover: serve stopped\n");
    return EXIT_OK;
}
