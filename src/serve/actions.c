/*
 * actions.c: the dashboard's state-changing requests (serve.h): each needs
 * the token and a typed confirmation; then it calls what the command line
 * calls (co_rollback_tenant, co_cohort_pause), and answers what it prints
 * (co_rollback_json), so the two never differ.
 */
#include "serve/serve_int.h"
#include "cutover/cutover_seq.h"
#include "cutover/report.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void serve_json_error(serve_reply *r, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->status = status;
    r->type = "application/json";
    Co_buf_reset(&r->body);
    Co_buf_adds(&r->body, "{\"error\":");
    Co_json_str(&r->body, msg);
    Co_buf_adds(&r->body, "}\n");
}

/* The token from "Bearer TOKEN". */
static bool authorized(const co_server *srv, const char *auth)
{
    const char *given = NULL;
    if (auth && strncmp(auth, "Bearer ", 7) == 0)
        given = auth + 7;
    return serve_token_equal(srv->token, given);
}

/* Checks the token (403) and that the JSON body confirms `expected` (400). */
static bool allowed(const co_server *srv, const char *auth, const co_buf *body,
                    const char *expected, serve_reply *r)
{
    if (!authorized(srv, auth)) {
        serve_json_error(r, 403, "this changes state: send the token printed when cutover serve "
                                 "started, as Authorization: Bearer TOKEN");
        return false;
    }
    serve_confirm c = serve_confirm_parse(body->data, body->len, expected);
    if (c == SERVE_CONFIRM_NOT_OBJECT)
        serve_json_error(r, 400, "the body must be a JSON object: {\"confirm\": \"%s\"}",
                         expected);
    else if (c == SERVE_CONFIRM_WRONG)
        serve_json_error(r, 400, "confirm by sending {\"confirm\": \"%s\"}", expected);
    return c == SERVE_CONFIRM_OK;
}

static unsigned status_of(co_code code)
{
    switch (code) {
    case CO_ENOTFOUND: return 404;
    case CO_EBUSY: return 409;
    case CO_EUSAGE: return 400;
    case CO_ENOTREADY: return 409;
    default: return 500;
    }
}

void serve_rollback(co_server *srv, const char *tenant, const char *auth, const co_buf *body,
                    serve_reply *r)
{
    if (!allowed(srv, auth, body, tenant, r))
        return;
    const co_tenant *t = co_tenant_find(srv->tenants, srv->ntenants, tenant);
    if (!t) {
        serve_json_error(r, 404, "unknown tenant \"%s\"", tenant);
        return;
    }
    co_error err;
    co_error_clear(&err);
    co_rollback_result res;
    co_code code = co_rollback_tenant(srv->session, t, &res, &err);
    if (code != CO_OK) {
        serve_json_error(r, status_of(code), "rollback: %s", err.message);
        co_rollback_result_release(&res);
        return;
    }
    char *json = co_rollback_json(t->key, &res);
    co_rollback_result_release(&res);
    if (!json) {
        serve_json_error(r, 500, "rollback: out of memory");
        return;
    }
    r->status = 200;
    r->type = "application/json";
    Co_buf_reset(&r->body);
    Co_buf_adds(&r->body, json);
    Co_buf_addc(&r->body, '\n');
    free(json);
}

void serve_cohort(co_server *srv, const char *cohort, bool pause, const char *auth,
                  const co_buf *body, serve_reply *r)
{
    int number;
    char *end;
    if (strcmp(cohort, "canary") == 0) {
        number = 0;
    } else {
        long v = strtol(cohort, &end, 10);
        if (*end || end == cohort || v < 0 || v > 100000) {
            serve_json_error(r, 404, "no cohort \"%s\": canary, or a wave's number", cohort);
            return;
        }
        number = (int)v;
    }
    /* The confirmation is the cohort's name as the page asks for it:
     * "canary" for the canary (however the path names it), a wave's number. */
    char name[16];
    co_cohort_confirm_name(number, name, sizeof name);
    if (!allowed(srv, auth, body, name, r))
        return;
    co_error err;
    co_error_clear(&err);
    co_code code = co_cohort_pause(srv->session->state,
                                   number, pause, "dashboard", &err);
    if (code != CO_OK) {
        serve_json_error(r, status_of(code), "%s: %s", pause ? "pause" : "resume", err.message);
        return;
    }
    r->status = 200;
    r->type = "application/json";
    Co_buf_reset(&r->body);
    Co_buf_printf(&r->body, "{\"cohort\":%d,\"paused\":%s}\n", number, pause ? "true" : "false");
}
