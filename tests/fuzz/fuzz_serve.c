/*
 * fuzz_serve.c: the dashboard's request handling without a socket: the
 * method, URL and body of a request (the input split at its first two
 * newlines) through serve_request_parse, and the body through the action's
 * confirmation check with the argument the URL named.
 */
#include "fuzz.h"
#include "serve/serve_int.h"

#include <stdlib.h>
#include <string.h>

/* The next line of [*at, end) as a fresh NUL-terminated string. */
static char *take_line(const uint8_t **at, const uint8_t *end)
{
    const uint8_t *nl = memchr(*at, '\n', (size_t)(end - *at));
    const uint8_t *stop = nl ? nl : end;
    size_t n = (size_t)(stop - *at);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, *at, n);
        s[n] = '\0';
    }
    *at = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *at = data, *end = data + size;
    char *method = take_line(&at, end);
    char *url = take_line(&at, end);
    size_t body_len = (size_t)(end - at);
    if (method && url) {
        serve_request q;
        serve_request_parse(method, url, body_len > SERVE_MAX_BODY, &q);
        if (q.kind == SERVE_ROLLBACK || q.kind == SERVE_PAUSE || q.kind == SERVE_RESUME)
            (void)serve_confirm_parse((const char *)at, body_len, q.arg);
        else
            (void)serve_confirm_parse((const char *)at, body_len, "42");
    }
    free(method);
    free(url);
    return 0;
}
