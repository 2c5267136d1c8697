/*
 * serve.c: the dashboard's HTTP server (serve.h): one libmicrohttpd daemon
 * whose single internal thread answers every request in turn, routing it to
 * the report's pages and JSON documents or to an action. Unknown paths,
 * methods, long URLs and large bodies get a clean error; nothing the request
 * holds is put into a page unescaped.
 */
#include "serve/serve_int.h"
#include "cutover/report.h"
#include "util/html.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per request: the body as it arrives. */
typedef struct request {
    co_buf body;
    bool too_large;
} request;

static void reply_text(serve_reply *r, unsigned status, const char *type, char *owned)
{
    r->status = status;
    r->type = type;
    Co_buf_reset(&r->body);
    Co_buf_adds(&r->body, owned ? owned : "");
    free(owned);
}

static unsigned status_of(co_code code)
{
    return code == CO_ENOTFOUND ? 404 : 500;
}

static void html_error(serve_reply *r, unsigned status, const char *message)
{
    r->status = status;
    r->type = "text/html; charset=utf-8";
    Co_buf_reset(&r->body);
    Co_html_begin(&r->body, "cutover: error", NULL, 0);
    Co_buf_adds(&r->body, "<h1>");
    Co_html_esc(&r->body, message);
    Co_buf_adds(&r->body, "</h1><p><a href=\"/\">All tenants</a></p>\n");
    Co_html_end(&r->body);
}

static void page(co_server *srv, const char *tenant, serve_reply *r)
{
    co_report_options opt = {0};
    opt.tenant = tenant;
    opt.overview_only = tenant == NULL;
    opt.refresh_seconds = srv->refresh_seconds;
    opt.live = true;
    char *html = NULL;
    co_error err;
    co_error_clear(&err);
    co_code code = co_report_html(srv->session->state, srv->session->project, &opt, &html, &err);
    if (code != CO_OK)
        html_error(r, status_of(code), err.message);
    else
        reply_text(r, 200, "text/html; charset=utf-8", html);
}

typedef co_code (*doc_fn)(co_server *srv, const char *arg, char **out, co_error *err);
/* A document of the whole journal (report.h), which takes no argument. */
typedef co_code (*journal_doc_fn)(co_state *st, char **out, co_error *err);

/* Replies with the JSON document that fn makes of arg, or whole of the
 * journal when fn is NULL. */
static void document(co_server *srv, doc_fn fn, journal_doc_fn whole, const char *arg,
                     serve_reply *r)
{
    char *json = NULL;
    co_error err;
    co_error_clear(&err);
    co_code code = fn ? fn(srv, arg, &json, &err) : whole(srv->session->state, &json, &err);
    if (code != CO_OK) {
        serve_json_error(r, status_of(code), "%s", err.message);
        return;
    }
    reply_text(r, 200, "application/json", json);
    Co_buf_addc(&r->body, '\n');
}

static co_code doc_tenant(co_server *srv, const char *arg, char **out, co_error *err)
{
    return co_report_tenant_json(srv->session->state, srv->session->project, arg, out, err);
}

static co_code doc_run(co_server *srv, const char *arg, char **out, co_error *err)
{
    char *end;
    long long id = strtoll(arg, &end, 10);
    if (*end || end == arg || id <= 0)
        return co_error_set(err, CO_ENOTFOUND, "no run \"%.40s\": runs are numbered from 1",
                            arg);
    return co_report_run_json(srv->session->state, id, out, err);
}

/* The headers a request is judged by before its path. */
typedef struct headers {
    const char *host, *origin, *auth;
} headers;

/* Answers what serve_request_parse (request.c) decided the request asks,
 * once its Host (and, for a change, its Origin) name this server. */
static void route(co_server *srv, const char *method, const char *url, const headers *h,
                  const request *req, serve_reply *r)
{
    bool post = strcmp(method, "POST") == 0;
    const char *auth = h->auth;
    if (!serve_host_allowed(srv, h->host)) {
        /* Served only under its own names: a page whose name DNS points
         * here (rebinding) reads nothing. */
        serve_json_error(r, 421, "this server answers to localhost:%u, 127.0.0.1:%u or "
                                 "%s:%u only, not Host \"%.64s\"",
                         srv->port, srv->port, srv->host, srv->port, h->host ? h->host : "");
        return;
    }
    if (post && h->origin && !serve_origin_allowed(srv, h->origin)) {
        serve_json_error(r, 403, "a change from another origin (\"%.64s\") is refused: use the "
                                 "dashboard's own page",
                         h->origin);
        return;
    }
    serve_request q;
    serve_request_parse(method, url, req->too_large, &q);
    switch (q.kind) {
    case SERVE_REFUSED:
        if (q.html)
            html_error(r, q.status, q.message);
        else
            serve_json_error(r, q.status, "%s", q.message);
        break;
    case SERVE_OVERVIEW: page(srv, NULL, r); break;
    case SERVE_PAGE: page(srv, q.arg, r); break;
    case SERVE_DOC_TENANTS: document(srv, NULL, co_report_tenants_json, NULL, r); break;
    case SERVE_DOC_TENANT: document(srv, doc_tenant, NULL, q.arg, r); break;
    case SERVE_DOC_RUN: document(srv, doc_run, NULL, q.arg, r); break;
    case SERVE_DOC_ROUTES: document(srv, NULL, co_report_routes_json, NULL, r); break;
    case SERVE_DOC_COHORTS: document(srv, NULL, co_report_cohorts_json, NULL, r); break;
    case SERVE_DOC_MONITOR: document(srv, NULL, co_report_monitor_json, NULL, r); break;
    case SERVE_DOC_ORPHANS: document(srv, NULL, co_report_orphans_json, NULL, r); break;
    case SERVE_ROLLBACK: serve_rollback(srv, q.arg, auth, &req->body, r); break;
    case SERVE_PAUSE: serve_cohort(srv, q.arg, true, auth, &req->body, r); break;
    case SERVE_RESUME: serve_cohort(srv, q.arg, false, auth, &req->body, r); break;
    }
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    co_server *srv = cls;
    request *req = *state;
    if (!req) { /* the headers: make room for the body, answer once it is in */
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *state = req;
        return MHD_YES;
    }
    if (*upload_size) {
        if (req->body.len + *upload_size > SERVE_MAX_BODY)
            req->too_large = true;
        else
            Co_buf_add(&req->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    serve_reply r = {500, "application/json", CO_BUF_INIT};
    headers h = {MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
                 MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
                 MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization")};
    route(srv, method, url ? url : "/", &h, req, &r);
    if (r.body.failed)
        serve_json_error(&r, 500, "out of memory");
    size_t len = r.body.len;
    char *data = co_buf_detach(&r.body);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE
                                                                            : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", r.type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; "
                            "script-src 'unsafe-inline'; connect-src 'self'; img-src data:");
    enum MHD_Result ok = MHD_queue_response(conn, r.status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void completed(void *cls, struct MHD_Connection *conn, void **state,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    request *req = *state;
    if (req) {
        Co_buf_release(&req->body);
        free(req);
        *state = NULL;
    }
}

co_code co_serve_start(co_session *s, const co_tenant *tenants, size_t ntenants,
                       const co_serve_options *opt, co_server **out, co_error *err)
{
    *out = NULL;
    struct sockaddr_in addr;
    co_code rc = serve_addr_parse(opt && opt->listen ? opt->listen : "127.0.0.1:8080",
                                  opt && opt->allow_remote, &addr, err);
    if (rc != CO_OK)
        return rc;
    co_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    srv->session = s;
    srv->tenants = tenants;
    srv->ntenants = ntenants;
    srv->refresh_seconds = opt && opt->refresh_seconds > 0 ? opt->refresh_seconds : 5;
    rc = serve_token_make(srv->token, sizeof srv->token, err);
    if (rc != CO_OK) {
        free(srv);
        return rc;
    }
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, ntohs(addr.sin_port), NULL, NULL, answer, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, completed,
        srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)64, MHD_OPTION_END);
    if (!srv->daemon) {
        char host[32];
        inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
        free(srv);
        return co_error_set(err, CO_EIO, "cannot listen on %s:%u (in use, or not allowed)", host,
                            (unsigned)ntohs(addr.sin_port));
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : ntohs(addr.sin_port);
    inet_ntop(AF_INET, &addr.sin_addr, srv->host, sizeof srv->host);
    snprintf(srv->url, sizeof srv->url, "http://%s:%u/", srv->host, srv->port);
    *out = srv;
    return CO_OK;
}

const char *co_serve_token(const co_server *srv) { return srv->token; }
const char *co_serve_url(const co_server *srv) { return srv->url; }

void co_serve_stop(co_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    memset(srv->token, 0, sizeof srv->token);
    free(srv);
}
