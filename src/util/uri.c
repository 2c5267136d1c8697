/* uri.c: masking passwords in connection URIs (uri.h). */
#include "util/uri.h"

#include <libpq-fe.h>

#include <string.h>
#include <strings.h>

/* The first "password=" in s, in any case, or NULL. */
static const char *find_password(const char *s)
{
    for (; *s; s++)
        if (strncasecmp(s, "password=", 9) == 0)
            return s;
    return NULL;
}

void Co_uri_mask(const char *uri, co_buf *out)
{
    const char *scheme_end = strstr(uri, "://");
    const char *p = uri;
    if (scheme_end) {
        const char *authority = scheme_end + 3;
        size_t span = strcspn(authority, "/?#");
        const char *at = NULL;
        for (const char *q = authority; q < authority + span; q++) /* the last '@' */
            if (*q == '@')
                at = q;
        const char *colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
        if (colon) {
            Co_buf_add(out, uri, (size_t)(colon + 1 - uri));
            Co_buf_adds(out, "***");
            p = at;
        }
    }
    /* password=... in the query string */
    while (*p) {
        const char *hit = find_password(p);
        if (!hit || (hit != p && hit[-1] != '?' && hit[-1] != '&' && hit[-1] != ' ')) {
            if (!hit) {
                Co_buf_adds(out, p);
                break;
            }
            Co_buf_add(out, p, (size_t)(hit + 9 - p));
            p = hit + 9;
            continue;
        }
        Co_buf_add(out, p, (size_t)(hit + 9 - p));
        Co_buf_adds(out, "***");
        p = hit + 9 + strcspn(hit + 9, "& ");
    }
}

void Co_uri_scheme(const char *uri, co_buf *out)
{
    size_t len = strcspn(uri, ":");
    if (!uri[len] || len == 0) {
        Co_buf_adds(out, "(none)");
        return;
    }
    Co_buf_add(out, uri, len > 20 ? 20 : len);
}

bool Co_uri_is_conninfo(const char *s)
{
    if (!s || !strchr(s, '=') || strstr(s, "://"))
        return false;
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(s, &errmsg);
    PQfreemem(errmsg);
    if (!opts)
        return false;
    PQconninfoFree(opts);
    return true;
}

bool Co_uri_is_bare_path(const char *s)
{
    if (!s || !*s || strpbrk(s, "=@ \t"))
        return false;
    const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
    return !colon || (slash && slash < colon);
}

void Co_secret_mask(char *text, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n < 3)
        return;
    for (char *hit = strstr(text, secret); hit; hit = strstr(hit + 3, secret)) {
        memcpy(hit, "***", 3);
        memmove(hit + 3, hit + n, strlen(hit + n) + 1);
    }
}
