/* test_serve.c: which Host and Origin headers name the dashboard's server
 * (serve_int.h): loopback names or the --listen address, with the port; a
 * foreign name (DNS rebinding) never. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/serve_int.h"

#include <string.h>

static co_server server(const char *host, unsigned port)
{
    co_server srv;
    memset(&srv, 0, sizeof srv);
    strncpy(srv.host, host, sizeof srv.host - 1);
    srv.port = port;
    return srv;
}

static void hosts_are_loopback_names_or_the_listen_address(void **state)
{
    (void)state;
    co_server srv = server("127.0.0.1", 8080);
    assert_true(serve_host_allowed(&srv, "localhost:8080"));
    assert_true(serve_host_allowed(&srv, "LocalHost:8080"));
    assert_true(serve_host_allowed(&srv, "127.0.0.1:8080"));
    assert_true(serve_host_allowed(&srv, "[::1]:8080"));
    assert_false(serve_host_allowed(&srv, NULL));
    assert_false(serve_host_allowed(&srv, ""));
    assert_false(serve_host_allowed(&srv, "evil.example"));
    assert_false(serve_host_allowed(&srv, "evil.example:8080"));
    assert_false(serve_host_allowed(&srv, "localhost.evil.example:8080"));
    assert_false(serve_host_allowed(&srv, "127.0.0.1.nip.io:8080"));
    assert_false(serve_host_allowed(&srv, "localhost:8081"));
    assert_false(serve_host_allowed(&srv, "localhost:80800"));
    assert_false(serve_host_allowed(&srv, "localhost:8080x"));
    assert_false(serve_host_allowed(&srv, "localhost"));       /* no port: 80 */
    assert_false(serve_host_allowed(&srv, "[::1]"));
    assert_false(serve_host_allowed(&srv, "[::1:8080"));
    assert_false(serve_host_allowed(&srv, "[::1]x8080"));
    assert_false(serve_host_allowed(&srv, "10.0.0.5:8080"));    /* not listened on */
    /* A name that would not fit is refused, not cut to one that fits. */
    char longname[200];
    memset(longname, 'a', sizeof longname);
    memcpy(longname + 150, ".localhost:8080", 16);
    assert_false(serve_host_allowed(&srv, longname));

    co_server on80 = server("127.0.0.1", 80);
    assert_true(serve_host_allowed(&on80, "localhost"));
    assert_true(serve_host_allowed(&on80, "localhost:80"));

    co_server remote = server("192.168.1.20", 8080);
    assert_true(serve_host_allowed(&remote, "192.168.1.20:8080"));
    assert_true(serve_host_allowed(&remote, "localhost:8080"));
    assert_false(serve_host_allowed(&remote, "192.168.1.21:8080"));
    assert_false(serve_host_allowed(&remote, "dashboard.example:8080"));

    co_server any = server("0.0.0.0", 8080);
    assert_true(serve_host_allowed(&any, "10.1.2.3:8080")); /* an address: no rebinding */
    assert_false(serve_host_allowed(&any, "dashboard.example:8080"));
}

static void origins_are_this_server(void **state)
{
    (void)state;
    co_server srv = server("127.0.0.1", 8080);
    assert_true(serve_origin_allowed(&srv, "http://localhost:8080"));
    assert_true(serve_origin_allowed(&srv, "http://127.0.0.1:8080"));
    assert_false(serve_origin_allowed(&srv, NULL));
    assert_false(serve_origin_allowed(&srv, "null"));
    assert_false(serve_origin_allowed(&srv, "http://evil.example"));
    assert_false(serve_origin_allowed(&srv, "http://evil.example:8080"));
    assert_false(serve_origin_allowed(&srv, "https://localhost:8080"));
    assert_false(serve_origin_allowed(&srv, "http://localhost:8080/path"));
    assert_false(serve_origin_allowed(&srv, "http://localhost:9090"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hosts_are_loopback_names_or_the_listen_address),
        cmocka_unit_test(origins_are_this_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
