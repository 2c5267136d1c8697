/* test_link.c: record linkage (dedupe/link.h): configuration checks, blocking,
 * groups, missing values, scores and the fields that agree. Quality on real
 * data is measured in test_link_quality.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedupe/link.h"
#include "dedupe/similarity.h"

#include <stdlib.h>
#include <string.h>

#define NEAR(x, y) assert_float_equal((x), (y), 1e-9)

static const co_link_field person[] = {
    {"first_name", CO_CMP_JARO_WINKLER, 2, 0, 0, 0},
    {"surname", CO_CMP_JARO_WINKLER, 2, 0, 0, 0},
    {"dob", CO_CMP_DATE, 1, 0, 0, 0},
    {"email", CO_CMP_EXACT, 1, 0, 0, 0},
};

static co_link *make(size_t nblocks, double review_at, double merge_at, size_t max_block)
{
    co_link_config cfg = {person, 4, nblocks, review_at, merge_at, max_block};
    co_link *l;
    co_error err;
    assert_int_equal(Co_link_new(&cfg, &l, &err), CO_OK);
    return l;
}

static void add(co_link *l, const char *f0, const char *f1, const char *f2, const char *f3,
                const char *b0, const char *b1, int group)
{
    const char *fields[] = {f0, f1, f2, f3};
    const char *blocks[] = {b0, b1};
    co_error err;
    assert_int_equal(Co_link_add(l, fields, blocks, group, &err), CO_OK);
}

static void bad_configurations(void **state)
{
    (void)state;
    co_link *l = (co_link *)1;
    co_error err;
    co_link_config ok = {person, 4, 1, 0.5, 0.8, 0};
    co_link_config c = ok;
    c.nfields = 0;
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);
    assert_null(l);
    c = ok;
    c.nfields = CO_LINK_MAX_FIELDS + 1;
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);
    c = ok;
    c.merge_at = 0; /* a zeroed config must not merge everything */
    c.review_at = 0;
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);
    assert_non_null(strstr(err.message, "merge_at"));
    c = ok;
    c.review_at = 0.9;
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);
    c = ok;
    c.merge_at = 1.5;
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);

    co_link_field f[] = {{"x", CO_CMP_EXACT, -1, 0, 0, 0}};
    c = ok;
    c.fields = f;
    c.nfields = 1;
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);
    assert_non_null(strstr(err.message, "field x"));
    f[0] = (co_link_field){"x", CO_CMP_KIND_COUNT, 1, 0, 0, 0};
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);
    f[0] = (co_link_field){"x", CO_CMP_EXACT, 1, 1, 0, 0};
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);
    f[0] = (co_link_field){"x", CO_CMP_EXACT, 1, 0, 1.5, 0};
    assert_int_equal(Co_link_new(&c, &l, &err), CO_EUSAGE);

    /* names are copied: the caller's configuration may go away */
    char name[] = "temp";
    f[0] = (co_link_field){name, CO_CMP_EXACT, 1, 0, 0, 0};
    assert_int_equal(Co_link_new(&c, &l, &err), CO_OK);
    name[0] = 'X';
    Co_link_free(l);
    Co_link_free(NULL);
}

static void kind_names(void **state)
{
    (void)state;
    for (int k = 0; k < CO_CMP_KIND_COUNT; k++)
        assert_int_equal(Co_compare_kind_parse(Co_compare_kind_name((co_compare_kind)k)), k);
    assert_string_equal(Co_compare_kind_name(CO_CMP_JARO_WINKLER), "jaro_winkler");
    assert_int_equal(Co_compare_kind_parse("soundex"), CO_CMP_KIND_COUNT);
    assert_string_equal(Co_compare_kind_name(CO_CMP_KIND_COUNT), "unknown");
}

static void scores_and_agreement(void **state)
{
    (void)state;
    co_link *l = make(1, 0, 0.9, 0);
    add(l, "martha", "smith", "1980-03-04", "m@x.org", "k", NULL, -1);
    add(l, "marhta", "smith", "1980-04-03", "m@x.org", "k", NULL, -1);
    co_link_pair p;
    double sims[4];
    co_error err;
    assert_int_equal(Co_link_score(l, 1, 0, &p, sims, &err), CO_OK);
    assert_int_equal(p.a, 0);
    assert_int_equal(p.b, 1);
    NEAR(sims[0], Co_sim_jaro_winkler("martha", "marhta"));
    NEAR(sims[1], 1);
    NEAR(sims[2], 0.9); /* day and month swapped */
    NEAR(sims[3], 1);
    /* rescaled above the floors: JW 0.8, DATE 0.5 */
    double first = (sims[0] - 0.8) / 0.2, dob = (0.9 - 0.5) / 0.5;
    NEAR(p.score, (2 * first + 2 * 1 + 1 * dob + 1 * 1) / 6);
    assert_int_equal(p.present, 0xF);
    assert_int_equal(p.agree, 0xF); /* JW 0.96 and the date's 0.9 reach agree_at 0.9 */
    assert_int_equal(Co_link_score(l, 0, 2, &p, NULL, &err), CO_EUSAGE);

    /* the pair comes back from Co_link_pairs with the same score */
    co_link_pair *pairs;
    size_t n;
    co_link_stats st;
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    assert_int_equal(n, 1);
    NEAR(pairs[0].score, p.score);
    assert_int_equal(st.review + st.merge, 1);
    free(pairs);
    Co_link_free(l);
}

static void missing_is_not_disagreement(void **state)
{
    (void)state;
    co_link *l = make(1, 0.5, 0.9, 0);
    add(l, "john", "smith", NULL, "", "k", NULL, -1);
    add(l, "john", "smith", "1990-01-01", "j@x.org", "k", NULL, -1);
    add(l, "jane", "", "1990-01-01", "j@x.org", "k", NULL, -1);
    add(l, NULL, NULL, NULL, NULL, "k", NULL, -1);
    co_link_pair *pairs;
    size_t n;
    co_link_stats st;
    co_error err;
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    assert_int_equal(st.compared, 6);
    assert_true(n >= 2);
    assert_int_equal(pairs[0].a, 0); /* 0-1: names agree, the rest is unknown */
    assert_int_equal(pairs[0].b, 1);
    NEAR(pairs[0].score, 1.0);
    assert_int_equal(pairs[0].present, 0x3);
    assert_int_equal(pairs[0].agree, 0x3);
    for (size_t i = 0; i < n; i++) /* record 3 has nothing to agree on */
        assert_true(pairs[i].b != 3);
    free(pairs);
    Co_link_free(l);
}

static void blocking_scores_each_pair_once(void **state)
{
    (void)state;
    co_link *l = make(2, 0, 0.9, 0);
    add(l, "anna", "berg", NULL, NULL, "4000", "1980", -1);
    add(l, "anna", "berg", NULL, NULL, "4000", "1980", -1); /* shares both keys with 0 */
    add(l, "anna", "berg", NULL, NULL, "5000", "1980", -1); /* shares the second */
    add(l, "anna", "berg", NULL, NULL, "1980", "", -1);     /* "1980" at another rank */
    add(l, "otto", "wolf", NULL, NULL, NULL, NULL, -1);     /* no keys: never compared */
    co_link_pair *pairs;
    size_t n;
    co_link_stats st;
    co_error err;
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    assert_int_equal(st.records, 5);
    assert_int_equal(st.blocks, 4); /* 4000, 5000 and 1980 at rank 0; 1980 at rank 1 */
    assert_int_equal(st.compared, 3);
    assert_int_equal(n, 3);
    size_t want[][2] = {{0, 1}, {0, 2}, {1, 2}};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pairs[i].a, want[i][0]);
        assert_int_equal(pairs[i].b, want[i][1]);
    }
    assert_int_equal(st.merge, 3);
    free(pairs);

    /* called again after more records: the new pairs join in */
    add(l, "anna", "berg", NULL, NULL, "5000", NULL, -1);
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    assert_int_equal(n, 4);
    assert_int_equal(pairs[3].a, 2);
    assert_int_equal(pairs[3].b, 5);
    free(pairs);
    Co_link_free(l);
}

static void groups_link_two_files(void **state)
{
    (void)state;
    co_link *l = make(1, 0.5, 0.9, 0);
    add(l, "anna", "berg", NULL, NULL, "k", NULL, 0);
    add(l, "anna", "berg", NULL, NULL, "k", NULL, 0);
    add(l, "anna", "berg", NULL, NULL, "k", NULL, 1);
    add(l, "anna", "berg", NULL, NULL, "k", NULL, -1); /* no group: pairs with all */
    co_link_pair *pairs;
    size_t n;
    co_link_stats st;
    co_error err;
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    assert_int_equal(st.compared, 5); /* all 6 but 0-1 */
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_false(pairs[i].a == 0 && pairs[i].b == 1);
    free(pairs);
    Co_link_free(l);
}

static void oversized_blocks_are_skipped(void **state)
{
    (void)state;
    co_link *l = make(2, 0, 0.9, 3);
    for (int i = 0; i < 5; i++) /* five in block "big": too many; 0 and 1 also share "x" */
        add(l, "anna", "berg", NULL, NULL, "big", i < 2 ? "x" : NULL, -1);
    co_link_pair *pairs;
    size_t n;
    co_link_stats st;
    co_error err;
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    assert_int_equal(st.skipped_blocks, 1);
    assert_int_equal(st.skipped_pairs, 10);
    assert_int_equal(st.compared, 1);
    assert_int_equal(n, 1);
    assert_int_equal(pairs[0].a, 0);
    assert_int_equal(pairs[0].b, 1);
    free(pairs);
    Co_link_free(l);
}

static void thresholds_split_the_pairs(void **state)
{
    (void)state;
    /* one exact field: scores are 0 or 1; review_at exactly reached is kept */
    co_link_field f[] = {{"code", CO_CMP_EXACT, 1, 0, 0, 0}, {"name", CO_CMP_EXACT, 1, 0, 0, 0}};
    co_link_config cfg = {f, 2, 1, 0.5, 1, 0};
    co_link *l;
    co_error err;
    assert_int_equal(Co_link_new(&cfg, &l, &err), CO_OK);
    const char *r0[] = {"a", "x"}, *r1[] = {"a", "x"}, *r2[] = {"a", "y"}, *r3[] = {"b", "z"};
    const char *k[] = {"k"};
    assert_int_equal(Co_link_add(l, r0, k, -1, &err), CO_OK);
    assert_int_equal(Co_link_add(l, r1, k, -1, &err), CO_OK);
    assert_int_equal(Co_link_add(l, r2, k, -1, &err), CO_OK);
    assert_int_equal(Co_link_add(l, r3, k, -1, &err), CO_OK);
    assert_int_equal(Co_link_count(l), 4);
    co_link_pair *pairs;
    size_t n;
    co_link_stats st;
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    assert_int_equal(st.compared, 6);
    assert_int_equal(n, 3); /* 0-1 at 1, 0-2 and 1-2 at 0.5; none with 3 */
    assert_int_equal(st.merge, 1);
    assert_int_equal(st.review, 2);
    NEAR(pairs[0].score, 1);
    NEAR(pairs[1].score, 0.5);
    assert_int_equal(pairs[1].agree, 0x1);
    free(pairs);
    Co_link_free(l);
}

static void unicode_and_bad_bytes(void **state)
{
    (void)state;
    co_link *l = make(1, 0.5, 0.9, 0);
    add(l, "j\xc3\xbcrgen", "m\xc3\xbcller", NULL, NULL, "k", NULL, -1);
    add(l, "jurgen", "muller", NULL, NULL, "k", NULL, -1);
    add(l, "j\x96rgen", "m\x96ller", NULL, NULL, "k", NULL, -1); /* not UTF-8 */
    co_link_pair p;
    double sims[4];
    co_error err;
    assert_int_equal(Co_link_score(l, 0, 1, &p, sims, &err), CO_OK);
    NEAR(sims[0], Co_sim_jaro_winkler("j\xc3\xbcrgen", "jurgen"));
    assert_true(sims[0] > 0.85); /* one character apart, not two bytes */
    assert_int_equal(Co_link_score(l, 1, 2, &p, sims, &err), CO_OK);
    NEAR(sims[0], Co_sim_jaro_winkler("jurgen", "jxrgen"));
    Co_link_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_configurations),
        cmocka_unit_test(kind_names),
        cmocka_unit_test(scores_and_agreement),
        cmocka_unit_test(missing_is_not_disagreement),
        cmocka_unit_test(blocking_scores_each_pair_once),
        cmocka_unit_test(groups_link_two_files),
        cmocka_unit_test(oversized_blocks_are_skipped),
        cmocka_unit_test(thresholds_split_the_pairs),
        cmocka_unit_test(unicode_and_bad_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
