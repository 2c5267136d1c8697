/*
 * addr.c: the dashboard's --listen address (serve_int.h). IPv4 "ADDR:PORT"
 * or "localhost:PORT"; anything outside 127.0.0.0/8 is refused unless the
 * caller allows it, so that a dashboard with a rollback button is never on
 * the network by accident.
 */
#include "serve/serve_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

co_code serve_addr_parse(const char *listen, bool allow_remote, struct sockaddr_in *addr,
                         co_error *err)
{
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon || colon == listen || (size_t)(colon - listen) >= 64)
        return co_error_set(err, CO_EUSAGE, "--listen wants ADDR:PORT, like 127.0.0.1:8080, not "
                                            "\"%.80s\"", listen ? listen : "");
    char host[64];
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return co_error_set(err, CO_EUSAGE, "--listen: \"%.20s\" is not a port (0 to 65535)",
                            colon + 1);
    addr->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return co_error_set(err, CO_EUSAGE, "--listen: \"%s\" is not an IPv4 address", host);
    bool loopback = (ntohl(addr->sin_addr.s_addr) >> 24) == 127;
    if (!loopback && !allow_remote)
        return co_error_set(err, CO_EUSAGE,
                            "--listen %s is not a loopback address: the dashboard can roll "
                            "tenants back, so it listens on 127.0.0.1 unless --allow-remote",
                            host);
    return CO_OK;
}
