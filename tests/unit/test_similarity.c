/* test_similarity.c: string, number and date similarities against published values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedupe/similarity.h"

#include <string.h>

#define NEAR(x, y) assert_float_equal((x), (y), 0.0005)

static void jaro_winkler_known_values(void **state)
{
    (void)state;
    /* Winkler (1990) and the usual textbook cases */
    NEAR(Co_sim_jaro("martha", "marhta"), 0.9444);
    NEAR(Co_sim_jaro_winkler("martha", "marhta"), 0.9611);
    NEAR(Co_sim_jaro("dwayne", "duane"), 0.8222);
    NEAR(Co_sim_jaro_winkler("dwayne", "duane"), 0.84);
    NEAR(Co_sim_jaro("dixon", "dicksonx"), 0.7667);
    NEAR(Co_sim_jaro_winkler("dixon", "dicksonx"), 0.8133);
    NEAR(Co_sim_jaro_winkler("jellyfish", "smellyfish"), 0.8963);
    /* no boost at or below 0.7, and never past 4 characters of prefix */
    NEAR(Co_sim_jaro_winkler("crate", "trace"), Co_sim_jaro("crate", "trace"));
    NEAR(Co_sim_jaro_winkler("abcdefgh", "abcdefxy"),
         Co_sim_jaro("abcdefgh", "abcdefxy") + 0.4 * (1 - Co_sim_jaro("abcdefgh", "abcdefxy")));
    NEAR(Co_sim_jaro_winkler("same", "same"), 1.0);
    NEAR(Co_sim_jaro_winkler("", ""), 1.0);
    NEAR(Co_sim_jaro_winkler("abc", ""), 0.0);
    NEAR(Co_sim_jaro_winkler("abc", "xyz"), 0.0);
    NEAR(Co_sim_jaro_winkler("a", "a"), 1.0);
    /* symmetric */
    NEAR(Co_sim_jaro_winkler("dicksonx", "dixon"), 0.8133);
}

static void code_points_not_bytes(void **state)
{
    (void)state;
    /* ü is two bytes but one character: one substitution in six */
    NEAR(Co_sim_levenshtein_ratio("m\xc3\xbcller", "muller"), 1 - 1.0 / 6);
    NEAR(Co_sim_jaro("m\xc3\xbcller", "muller"), (5 / 6.0 + 5 / 6.0 + 1) / 3);
    int32_t cp[8];
    assert_int_equal(Co_sim_decode("M\x96ller", 6, cp, 8), 6);
    assert_int_equal(cp[1], 0xDC96); /* a stray byte stands for itself */
    assert_int_equal(Co_sim_decode("\xe2\x82\xac", 3, cp, 8), 1);
    assert_int_equal(cp[0], 0x20AC);
    assert_int_equal(Co_sim_decode("abc", 3, NULL, 0), 3); /* counting only */
}

static size_t lev(const char *a, const char *b, bool transpose)
{
    int32_t ca[64], cb[64];
    size_t na = Co_sim_decode(a, strlen(a), ca, 64), nb = Co_sim_decode(b, strlen(b), cb, 64);
    return transpose ? Co_sim_damerau_cp(ca, na, cb, nb) : Co_sim_levenshtein_cp(ca, na, cb, nb);
}

static void edit_distances(void **state)
{
    (void)state;
    assert_int_equal(lev("kitten", "sitting", false), 3);
    assert_int_equal(lev("flaw", "lawn", false), 2);
    assert_int_equal(lev("", "abc", false), 3);
    assert_int_equal(lev("abc", "", true), 3);
    assert_int_equal(lev("ca", "ac", false), 2);
    assert_int_equal(lev("ca", "ac", true), 1);     /* a swap is one edit */
    assert_int_equal(lev("ca", "abc", true), 3);    /* OSA, not unrestricted Damerau (2) */
    assert_int_equal(lev("4011", "4101", true), 1);
    NEAR(Co_sim_levenshtein_ratio("kitten", "sitting"), 1 - 3.0 / 7);
    NEAR(Co_sim_damerau_ratio("smith", "smtih"), 0.8);
    NEAR(Co_sim_damerau_ratio("", ""), 1.0);
}

static void tokens(void **state)
{
    (void)state;
    NEAR(Co_sim_tokens("noah watson", "watson noah"), 1.0);
    NEAR(Co_sim_tokens("  noah   watson ", "watson noah"), 1.0);
    NEAR(Co_sim_tokens("noah", "noah watson"),
         (1.0 + 0.5 * (1 + Co_sim_jaro_winkler("watson", "noah"))) / 2);
    NEAR(Co_sim_tokens("martha smith", "marhta smith"), (0.9611 + 1) / 2);
    NEAR(Co_sim_tokens("", "   "), 1.0);
    NEAR(Co_sim_tokens("x", ""), 0.0);
}

static void numbers_and_dates(void **state)
{
    (void)state;
    double v;
    assert_true(Co_sim_parse_number("-3.5", 4, &v));
    NEAR(v, -3.5);
    assert_true(Co_sim_parse_number("1e3", 3, &v));
    assert_false(Co_sim_parse_number("12a", 3, &v));
    assert_false(Co_sim_parse_number("inf", 3, &v));
    assert_false(Co_sim_parse_number(" 1", 2, &v));
    assert_false(Co_sim_parse_number("", 0, &v));
    NEAR(Co_sim_number(100, 90, 0), 0.9);
    NEAR(Co_sim_number(100, 90, 50), 0.8);
    NEAR(Co_sim_number(100, 10, 50), 0.0);
    NEAR(Co_sim_number(0, 0, 0), 1.0);

    int32_t d, e;
    assert_true(Co_sim_parse_date("1970-01-01", 10, &d));
    assert_int_equal(d, 0);
    assert_true(Co_sim_parse_date("2000-03-01", 10, &d));
    assert_int_equal(d, 11017);
    assert_true(Co_sim_parse_date("20000301", 8, &e));
    assert_int_equal(d, e);
    assert_true(Co_sim_parse_date("2000/03/01", 10, &e));
    assert_true(Co_sim_parse_date("2000-03-01T12:00:00Z", 20, &e));
    assert_int_equal(d, e);
    assert_true(Co_sim_parse_date("19081209", 8, &d));
    assert_int_equal(d, -22303);
    assert_true(Co_sim_parse_date("20240229", 8, &d));
    assert_false(Co_sim_parse_date("20230229", 8, &d));
    assert_false(Co_sim_parse_date("2023-02-30", 10, &d));
    assert_false(Co_sim_parse_date("19081290", 8, &d));
    assert_false(Co_sim_parse_date("2023-1-5", 8, &d));

    int32_t a, b;
    Co_sim_parse_date("2020-03-04", 10, &a);
    Co_sim_parse_date("2020-04-03", 10, &b);
    NEAR(Co_sim_date(a, b, 0), 0.9); /* day and month swapped */
    Co_sim_parse_date("1908-12-09", 10, &a);
    Co_sim_parse_date("1908-12-08", 10, &b);
    NEAR(Co_sim_date(a, b, 0), 1 - 1.0 / 30); /* a day apart */
    NEAR(Co_sim_date(a, b, 10), 0.9);
    Co_sim_parse_date("1918-12-09", 10, &b);
    NEAR(Co_sim_date(a, b, 0), 0.875); /* one digit typed wrong */
    Co_sim_parse_date("1955-06-21", 10, &b);
    assert_true(Co_sim_date(a, b, 0) < 0.5);
    NEAR(Co_sim_date(a, a, 0), 1.0);
}

static void long_strings_are_bounded(void **state)
{
    (void)state;
    char a[2000], b[2000];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[1500] = 'y'; /* beyond CO_SIM_MAX_LEN: not seen */
    NEAR(Co_sim_jaro_winkler(a, b), 1.0);
    NEAR(Co_sim_damerau_ratio(a, b), 1.0);
    b[10] = 'y';
    assert_true(Co_sim_damerau_ratio(a, b) < 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jaro_winkler_known_values),
        cmocka_unit_test(code_points_not_bytes),
        cmocka_unit_test(edit_distances),
        cmocka_unit_test(tokens),
        cmocka_unit_test(numbers_and_dates),
        cmocka_unit_test(long_strings_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
