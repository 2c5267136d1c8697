/* test_normalize.c: normal forms for matching: Unicode case folding, domains, e-mails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedupe/normalize.h"

#include <string.h>

static co_buf b; /* the last result; released at the end */

static const char *fold(bool (*fn)(const char *, size_t, co_buf *), const char *s)
{
    co_buf_reset(&b);
    if (!fn(s, strlen(s), &b))
        return "(none)";
    return co_buf_str(&b);
}

static void casefold_unicode(void **state)
{
    (void)state;
    assert_string_equal(fold(co_norm_casefold, "  CNN.com "), "cnn.com");
    assert_string_equal(fold(co_norm_casefold, "Straße"), fold(co_norm_casefold, "STRASSE"));
    /* composed é and e + combining acute are one form */
    assert_string_equal(fold(co_norm_casefold, "Caf\xc3\xa9"), fold(co_norm_casefold, "Cafe\xcc\x81"));
    /* full-width letters fold to ASCII */
    assert_string_equal(fold(co_norm_casefold, "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"), "abc");
    assert_string_equal(fold(co_norm_casefold, "M\x96ller"), "(none)"); /* not UTF-8 */
}

static void domains(void **state)
{
    (void)state;
    assert_string_equal(fold(co_norm_domain, "https://www.CNN.com/politics?x=1"), "cnn.com");
    assert_string_equal(fold(co_norm_domain, "Jane.Doe@CNN.com"), "cnn.com");
    assert_string_equal(fold(co_norm_domain, "cnn.com."), "cnn.com");
    assert_string_equal(fold(co_norm_domain, "www.bbc.co.uk:443"), "bbc.co.uk");
    assert_string_equal(fold(co_norm_domain, "localhost"), "(none)");
    assert_string_equal(fold(co_norm_domain, ""), "(none)");
}

static void emails(void **state)
{
    (void)state;
    assert_string_equal(fold(co_norm_email, " Jane.Doe@CNN.com "), "jane.doe@cnn.com");
    assert_string_equal(fold(co_norm_email, "jane@"), "(none)");
    assert_string_equal(fold(co_norm_email, "@cnn.com"), "(none)");
    assert_string_equal(fold(co_norm_email, "john.doe(at)cnn.com"), "(none)");
}

static int teardown(void **state)
{
    (void)state;
    co_buf_release(&b);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(casefold_unicode),
        cmocka_unit_test(domains),
        cmocka_unit_test(emails),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
