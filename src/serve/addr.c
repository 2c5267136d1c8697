/*
 * addr.c: the dashboard's --listen address (serve_int.h). IPv4 "ADDR:PORT"
 * or "localhost:PORT"; anything outside 127.0.0.0/8 is refused unless the
 * caller allows it, so that a dashboard with a rollback button is never on
 * the network by accident. A request must name the server in its Host
 * header (and a state change in its Origin) as loopback or that address:
 * a page elsewhere whose name DNS points at 127.0.0.1 (DNS rebinding) is
 * refused.
 */
#include "serve/serve_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

bool serve_host_allowed(const co_server *srv, const char *host)
{
    if (!host || !*host)
        return false;
    char name[64];
    const char *port;
    size_t len;
    if (host[0] == '[') { /* an IPv6 literal: [::1]:PORT */
        const char *close = strchr(host, ']');
        if (!close)
            return false;
        len = (size_t)(close + 1 - host);
        port = close[1] == ':' ? close + 2 : close[1] ? NULL : "";
        if (!port)
            return false;
    } else {
        const char *colon = strchr(host, ':');
        len = colon ? (size_t)(colon - host) : strlen(host);
        port = colon ? colon + 1 : "";
    }
    if (len == 0 || len >= sizeof name)
        return false;
    memcpy(name, host, len);
    name[len] = '\0';
    if (*port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*end || p != (long)srv->port)
            return false;
    } else if (srv->port != 80) {
        return false;
    }
    if (strcasecmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0 ||
        strcmp(name, "[::1]") == 0 || strcmp(name, srv->host) == 0)
        return true;
    struct in_addr ip;
    return strcmp(srv->host, "0.0.0.0") == 0 && inet_pton(AF_INET, name, &ip) == 1;
}

bool serve_origin_allowed(const co_server *srv, const char *origin)
{
    return origin && strncmp(origin, "http://", 7) == 0 && !strchr(origin + 7, '/') &&
           serve_host_allowed(srv, origin + 7);
}
