/*
 * serve.h: the dashboard. An HTTP server (libmicrohttpd) that shows the
 * report's pages live (they fetch themselves again and update their data
 * regions while runs progress) and answers a JSON API for other tools:
 *
 *   GET  /                          the plan and every tenant
 *   GET  /tenants/T                 one tenant's page
 *   GET  /api/tenants               as `cutover status --json`
 *   GET  /api/tenants/T             one tenant (report.h)
 *   GET  /api/runs/R                one run
 *   GET  /api/routes                as `cutover routes --json`
 *   GET  /api/cohorts               the latest plan's cohorts and pauses
 *   POST /api/tenants/T/rollback    roll the tenant back (co_rollback_tenant)
 *   POST /api/cohorts/C/pause       pause a cohort (C: canary or a wave's number)
 *   POST /api/cohorts/C/resume
 *
 * Everything is read-only except the POSTs, which need the server's token
 * (random, made at start; header "Authorization: Bearer TOKEN", compared in
 * constant time: 403 otherwise) and a confirmation in a JSON body,
 * {"confirm": "T"} naming the tenant or cohort (co_cohort_confirm_name; 400
 * otherwise). It listens on loopback unless allowed otherwise, answers only
 * requests whose Host is a loopback name or that address with its port (421
 * otherwise: DNS rebinding) and refuses a POST from another Origin (403). Requests are served one at a time
 * by one thread, which alone uses the session from co_serve_start on.
 */
#ifndef CUTOVER_SERVE_H
#define CUTOVER_SERVE_H

#include "cutover/migrate.h"

typedef struct co_serve_options {
    const char *listen;     /* "ADDR:PORT" (IPv4, or localhost); NULL: 127.0.0.1:8080 */
    bool allow_remote;      /* accept an address other than loopback */
    int refresh_seconds;    /* pages update their data this often; 0: 5 */
} co_serve_options;

typedef struct co_server co_server;

/* Starts serving s (its journal, and its source and target for a rollback)
 * with tenants (the source's list; not copied: keep them until co_serve_stop).
 * CO_EUSAGE for a bad or non-loopback address (unless allowed), CO_EIO when
 * the address cannot be bound. */
CO_API co_code co_serve_start(co_session *s, const co_tenant *tenants, size_t ntenants,
                              const co_serve_options *opt, co_server **out, co_error *err);
/* The token state-changing requests need, and the address ("http://127.0.0.1:8080/"). */
CO_API const char *co_serve_token(const co_server *srv);
CO_API const char *co_serve_url(const co_server *srv);
/* Stops serving (waits for the request in progress) and frees the server. */
CO_API void co_serve_stop(co_server *srv);

#endif
