/*
 * serve_int.h: what the files of src/serve share.
 *
 * serve.c   the daemon, routing and responses
 * actions.c the state-changing requests: token, confirmation, rollback, pause
 * token.c   the token: random bytes, constant-time comparison
 * addr.c    --listen: parsing, the loopback rule, and which Host and Origin
 *           headers name this server
 * request.c what a request asks for, from its method, URL and body alone
 */
#ifndef CUTOVER_SERVE_INT_H
#define CUTOVER_SERVE_INT_H

#include "cutover/serve.h"
#include "engine/session.h"
#include "util/buf.h"

#include <netinet/in.h>

#define SERVE_TOKEN_BYTES 24
#define SERVE_MAX_BODY 65536
#define SERVE_MAX_URL 2048

struct co_server {
    struct MHD_Daemon *daemon;
    co_session *session;
    const co_tenant *tenants;
    size_t ntenants;
    int refresh_seconds;
    char token[SERVE_TOKEN_BYTES * 2 + 1];
    char url[96];
    char host[32];  /* the address listened on, as text ("127.0.0.1") */
    unsigned port;  /* the port bound */
};

/* A response: status, content type and body (owned). */
typedef struct serve_reply {
    unsigned status;
    const char *type;
    co_buf body;
} serve_reply;

/* What a request asks for (request.c). */
typedef enum serve_route {
    SERVE_REFUSED,      /* status, html and message say why */
    SERVE_OVERVIEW,     /* the page of every tenant */
    SERVE_PAGE,         /* the page of tenant arg */
    SERVE_DOC_TENANTS,  /* GET /api/tenants */
    SERVE_DOC_TENANT,   /* GET /api/tenants/ARG */
    SERVE_DOC_RUN,      /* GET /api/runs/ARG */
    SERVE_DOC_ROUTES,
    SERVE_DOC_COHORTS,
    SERVE_DOC_MONITOR,
    SERVE_DOC_ORPHANS,  /* GET /api/orphans */
    SERVE_ROLLBACK,     /* POST /api/tenants/ARG/rollback */
    SERVE_PAUSE,        /* POST /api/cohorts/ARG/pause */
    SERVE_RESUME,       /* POST /api/cohorts/ARG/resume */
} serve_route;

typedef struct serve_request {
    serve_route kind;
    unsigned status;   /* SERVE_REFUSED: the HTTP status */
    bool html;         /* SERVE_REFUSED: answer with a page rather than JSON */
    char message[256]; /* SERVE_REFUSED: why */
    char arg[SERVE_MAX_URL + 1];
} serve_request;

/* Decides what a request asks for from its method, its URL (as the daemon
 * decoded it; NULL means "/") and whether its body was over SERVE_MAX_BODY.
 * Pure: touches nothing but q. */
void serve_request_parse(const char *method, const char *url, bool too_large,
                         serve_request *q);

typedef enum serve_confirm {
    SERVE_CONFIRM_OK,         /* {"confirm": expected} */
    SERVE_CONFIRM_NOT_OBJECT, /* not a JSON object */
    SERVE_CONFIRM_WRONG,      /* an object without the right confirmation */
} serve_confirm;

/* Whether the JSON body (len bytes, NULL for none) confirms expected. Pure. */
serve_confirm serve_confirm_parse(const char *body, size_t len, const char *expected);

/* {"error": message} with status. */
void serve_json_error(serve_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills token with SERVE_TOKEN_BYTES random bytes in hex (getrandom). */
co_code serve_token_make(char *token, size_t cap, co_error *err);
/* Whether given equals expected, in time that depends only on expected's length. */
bool serve_token_equal(const char *expected, const char *given);

/* Parses "ADDR:PORT" into addr; refuses non-loopback addresses unless allow_remote. */
co_code serve_addr_parse(const char *listen, bool allow_remote, struct sockaddr_in *addr,
                         co_error *err);

/* Whether a request's Host header names this server: a loopback name
 * (localhost, 127.0.0.1, [::1]) or the address listened on (any IPv4
 * literal when that is 0.0.0.0), with the port bound (no port: port 80).
 * Anything else, a name that DNS could point here (rebinding), is not. */
bool serve_host_allowed(const co_server *srv, const char *host);
/* Whether a request's Origin header is this server's: "http://" and a Host
 * that serve_host_allowed accepts. */
bool serve_origin_allowed(const co_server *srv, const char *origin);

/* POST /api/tenants/T/rollback and /api/cohorts/C/pause|resume. auth is the
 * Authorization header (or NULL); body the request's body. */
void serve_rollback(co_server *srv, const char *tenant, const char *auth, const co_buf *body,
                    serve_reply *r);
void serve_cohort(co_server *srv, const char *cohort, bool pause, const char *auth,
                  const co_buf *body, serve_reply *r);

#endif
