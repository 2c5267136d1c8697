/*
 * token.c: the dashboard's token (serve_int.h): random bytes from the
 * kernel, shown once at start-up; a request's token is compared in constant
 * time so that its timing says nothing about how much of it was right.
 */
#include "serve/serve_int.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

co_code serve_token_make(char *token, size_t cap, co_error *err)
{
    unsigned char raw[SERVE_TOKEN_BYTES];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return co_error_set(err, CO_EIO, "cannot read random bytes for the token: %s",
                                strerror(errno));
        got += (size_t)n;
    }
    if (cap < sizeof raw * 2 + 1)
        return co_error_set(err, CO_EINTERNAL, "token buffer too small");
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        token[2 * i] = hex[raw[i] >> 4];
        token[2 * i + 1] = hex[raw[i] & 15];
    }
    token[sizeof raw * 2] = '\0';
    return CO_OK;
}

bool serve_token_equal(const char *expected, const char *given)
{
    if (!given)
        return false;
    size_t n = strlen(expected);
    size_t given_len = strnlen(given, n + 1);
    unsigned char diff = given_len != n;
    /* Reads expected's length of given whatever it holds (given_len bounds it). */
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(expected[i] ^ (i < given_len ? given[i] : 0));
    return diff == 0;
}
