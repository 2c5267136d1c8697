/*
 * fuzz_text.c: the small text readers: canonical keys as the journal and
 * reject files hold them, dates, connection URIs (masked for messages and
 * checked by the project file), and the UTF-8 check.
 */
#include "fuzz.h"
#include "project/project_int.h"
#include "util/clock.h"
#include "util/key.h"
#include "util/uri.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    co_value vals[64];
    size_t n = 0;
    co_buf storage = CO_BUF_INIT, out = CO_BUF_INIT;
    co_error err;
    Co_key_decode(s, vals, 64, &n, &storage, &err);
    Co_buf_release(&storage);
    (void)Co_clock_parse(s);
    Co_uri_mask(s, &out);
    Co_uri_scheme(s, &out);
    Co_buf_release(&out);
    char why[128];
    (void)Co_project_uri_check(s, why, sizeof why);
    size_t bad;
    (void)Co_utf8_valid((const char *)data, size, &bad);
    int64_t v;
    (void)Co_text_as_int((const char *)data, size, &v);
    free(s);
    return 0;
}
