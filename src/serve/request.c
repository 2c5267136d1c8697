/*
 * request.c: what a dashboard request asks for, decided from its method, URL
 * and body alone (serve_int.h). No socket, no journal: the daemon (serve.c)
 * answers what this decides, and tests/fuzz/fuzz_serve.c calls it directly.
 */
#include "serve/serve_int.h"
#include "util/jsonread.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void refuse(serve_request *q, unsigned status, bool html, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void refuse(serve_request *q, unsigned status, bool html, const char *fmt, ...)
{
    q->kind = SERVE_REFUSED;
    q->status = status;
    q->html = html;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->message, sizeof q->message, fmt, ap);
    va_end(ap);
}

/* The rest of path after prefix, when path starts with it and the rest is
 * not empty; else NULL. */
static const char *after(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && path[n] ? path + n : NULL;
}

static bool ends_with(const char *s, const char *suffix, size_t *stem)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n <= m || strcmp(s + n - m, suffix) != 0)
        return false;
    *stem = n - m;
    return true;
}

static void with_arg(serve_request *q, serve_route kind, const char *arg, size_t len)
{
    q->kind = kind;
    snprintf(q->arg, sizeof q->arg, "%.*s", (int)len, arg);
}

void serve_request_parse(const char *method, const char *url, bool too_large,
                         serve_request *q)
{
    memset(q, 0, sizeof *q);
    if (!method)
        method = "";
    if (!url)
        url = "/";
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    bool api = strncmp(url, "/api/", 5) == 0;
    if (!get && !post) {
        refuse(q, 405, false, "method %.16s: GET, or POST for an action", method);
        return;
    }
    if (strlen(url) > SERVE_MAX_URL) {
        refuse(q, 414, false, "the URL is longer than %d bytes", SERVE_MAX_URL);
        return;
    }
    if (too_large) {
        refuse(q, 413, false, "the body is larger than %d bytes", SERVE_MAX_BODY);
        return;
    }
    const char *arg;
    size_t stem;
    if (post) {
        if ((arg = after(url, "/api/tenants/")) && ends_with(arg, "/rollback", &stem))
            with_arg(q, SERVE_ROLLBACK, arg, stem);
        else if ((arg = after(url, "/api/cohorts/")) && ends_with(arg, "/pause", &stem))
            with_arg(q, SERVE_PAUSE, arg, stem);
        else if ((arg = after(url, "/api/cohorts/")) && ends_with(arg, "/resume", &stem))
            with_arg(q, SERVE_RESUME, arg, stem);
        else
            refuse(q, api ? 404 : 405, false, "nothing to POST to here");
        return;
    }
    if (strcmp(url, "/") == 0 || strcmp(url, "/tenants") == 0 || strcmp(url, "/tenants/") == 0)
        q->kind = SERVE_OVERVIEW;
    else if ((arg = after(url, "/tenants/")))
        with_arg(q, SERVE_PAGE, arg, strlen(arg));
    else if (strcmp(url, "/api/tenants") == 0)
        q->kind = SERVE_DOC_TENANTS;
    else if ((arg = after(url, "/api/tenants/")) && !ends_with(arg, "/rollback", &stem))
        with_arg(q, SERVE_DOC_TENANT, arg, strlen(arg));
    else if ((arg = after(url, "/api/runs/")))
        with_arg(q, SERVE_DOC_RUN, arg, strlen(arg));
    else if (strcmp(url, "/api/routes") == 0)
        q->kind = SERVE_DOC_ROUTES;
    else if (strcmp(url, "/api/cohorts") == 0)
        q->kind = SERVE_DOC_COHORTS;
    else if (strcmp(url, "/api/monitor") == 0)
        q->kind = SERVE_DOC_MONITOR;
    else if (strcmp(url, "/api/orphans") == 0)
        q->kind = SERVE_DOC_ORPHANS;
    else if (api && ((arg = after(url, "/api/tenants/")) || (arg = after(url, "/api/cohorts/"))))
        refuse(q, 405, false, "this changes state: POST it, with the token");
    else if (api)
        refuse(q, 404, false, "no such API path: see /api/tenants, /api/tenants/T, "
                              "/api/runs/R, /api/routes, /api/cohorts, /api/monitor, "
                              "/api/orphans");
    else
        refuse(q, 404, true, "No such page");
}

serve_confirm serve_confirm_parse(const char *body, size_t len, const char *expected)
{
    struct fy_document *doc = Co_json_read(body ? body : "", body ? len : 0);
    if (!doc || !fy_node_is_mapping(fy_document_root(doc))) {
        if (doc)
            fy_document_destroy(doc);
        return SERVE_CONFIRM_NOT_OBJECT;
    }
    const char *confirm = Co_json_scalar(fy_document_root(doc), "/confirm");
    bool ok = confirm && expected && strcmp(confirm, expected) == 0;
    fy_document_destroy(doc);
    return ok ? SERVE_CONFIRM_OK : SERVE_CONFIRM_WRONG;
}
