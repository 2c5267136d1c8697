/*
 * test_parity.c: shadow reads' comparison (src/parity/compare.c): two answers
 * agree as multisets whatever their order unless both queries order their
 * rows; values compare typed ('1.50' and 1.5 in a real column, two spellings
 * of one timestamp when `types` declares it); a changed row is found on each
 * side with its sample; another number of columns is its own outcome; and
 * whether a query orders is read outside parentheses, literals and comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parity/parity_int.h"

#include <stdlib.h>
#include <string.h>

static co_value txt(const char *s) { return co_text(s, strlen(s)); }

/* A side of two columns (id, v) from n rows. */
static void side_of(co_parity_side *s, const co_value (*rows)[2], size_t n)
{
    static const char *const names[] = {"id", "v"};
    memset(s, 0, sizeof *s);
    co_error err;
    assert_int_equal(Co_parity_side_columns(s, 2, names, &err), CO_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(Co_parity_side_add(s, rows[i], &err), CO_OK);
}

typedef struct outcome {
    co_state_parity_check c;
    char *detail, *samples;
} outcome;

static void compare(const co_value (*o)[2], size_t no, const co_value (*n)[2], size_t nn,
                    const co_parity_query *q, bool ordered, outcome *out)
{
    co_parity_side a, b;
    side_of(&a, o, no);
    side_of(&b, n, nn);
    co_error err;
    memset(out, 0, sizeof *out);
    assert_int_equal(
        Co_parity_compare(&a, &b, q, ordered, 5, &out->c, &out->detail, &out->samples, &err),
        CO_OK);
    Co_parity_side_release(&a);
    Co_parity_side_release(&b);
}

static void outcome_free(outcome *o)
{
    free(o->detail);
    free(o->samples);
}

static void test_order_matters_only_when_both_order(void **state)
{
    (void)state;
    const co_value o[][2] = {{co_int(1), txt("a")}, {co_int(2), txt("b")}};
    const co_value n[][2] = {{co_int(2), txt("b")}, {co_int(1), txt("a")}};
    outcome r;
    compare(o, 2, n, 2, NULL, false, &r);
    assert_string_equal(r.c.outcome, "pass");
    assert_null(r.detail);
    outcome_free(&r);
    compare(o, 2, n, 2, NULL, true, &r);
    assert_string_equal(r.c.outcome, "order");
    assert_non_null(strstr(r.detail, "row 1 differs"));
    assert_non_null(strstr(r.samples, "\"old_only\":[[1,\"a\"]],\"new_only\":[[2,\"b\"]]"));
    outcome_free(&r);
}

static void test_values_compare_typed(void **state)
{
    (void)state;
    /* The new side's reals make the column real: '1.50' from the old is 1.5. */
    const co_value o[][2] = {{txt("7"), txt("1.50")}};
    const co_value n[][2] = {{co_int(7), co_real(1.5)}};
    outcome r;
    compare(o, 1, n, 1, NULL, false, &r);
    assert_string_equal(r.c.outcome, "pass");
    outcome_free(&r);
    /* Two spellings of one timestamp: equal once declared, different as text. */
    const co_value to[][2] = {{co_int(1), txt("2026-01-05T10:00:00Z")}};
    const co_value tn[][2] = {{co_int(1), txt("2026-01-05 10:00:00")}};
    compare(to, 1, tn, 1, NULL, false, &r);
    assert_string_equal(r.c.outcome, "rows");
    outcome_free(&r);
    char *cols[] = {"v"}, *types[] = {"timestamp"};
    co_parity_query q = {.name = "q", .type_columns = cols, .type_names = types, .ntypes = 1};
    compare(to, 1, tn, 1, &q, false, &r);
    assert_string_equal(r.c.outcome, "pass");
    outcome_free(&r);
}

static void test_a_changed_row_is_found_on_both_sides(void **state)
{
    (void)state;
    const co_value o[][2] = {{co_int(1), txt("a")}, {co_int(2), txt("b")}, {co_int(3), co_null()}};
    const co_value n[][2] = {{co_int(3), co_null()}, {co_int(2), txt("B")}, {co_int(1), txt("a")},
                             {co_int(1), txt("a")}};
    outcome r;
    compare(o, 3, n, 4, NULL, false, &r);
    assert_string_equal(r.c.outcome, "rows");
    assert_int_equal(r.c.old_only, 1);
    assert_int_equal(r.c.new_only, 2); /* "B", and the second (1, "a"): multisets */
    assert_int_equal(r.c.old_rows, 3);
    assert_int_equal(r.c.new_rows, 4);
    assert_non_null(strstr(r.detail, "1 rows only in the old answer, 2 only in the new"));
    assert_string_equal(r.samples, "{\"columns\":[\"id\",\"v\"],\"old_only\":[[2,\"b\"]],"
                                   "\"new_only\":[[2,\"B\"],[1,\"a\"]]}");
    outcome_free(&r);
}

static void test_another_number_of_columns(void **state)
{
    (void)state;
    static const char *const one[] = {"id"}, *const two[] = {"id", "v"};
    co_parity_side a = {0}, b = {0};
    co_error err;
    assert_int_equal(Co_parity_side_columns(&a, 1, one, &err), CO_OK);
    assert_int_equal(Co_parity_side_columns(&b, 2, two, &err), CO_OK);
    outcome r;
    memset(&r, 0, sizeof r);
    assert_int_equal(Co_parity_compare(&a, &b, NULL, false, 5, &r.c, &r.detail, &r.samples, &err),
                     CO_OK);
    assert_string_equal(r.c.outcome, "columns");
    assert_string_equal(r.detail, "the old query gives 1 columns, the new one 2");
    assert_null(r.samples);
    outcome_free(&r);
    Co_parity_side_release(&a);
    Co_parity_side_release(&b);
}

static void test_orders(void **state)
{
    (void)state;
    assert_true(Co_parity_orders("SELECT a FROM t ORDER BY a"));
    assert_true(Co_parity_orders("select a from t order\n  by a limit 5"));
    assert_false(Co_parity_orders("SELECT a FROM t"));
    assert_false(Co_parity_orders("SELECT a FROM (SELECT a FROM t ORDER BY a) x"));
    assert_false(Co_parity_orders("SELECT 'ORDER BY' FROM t -- ORDER BY a"));
    assert_false(Co_parity_orders("SELECT \"order by\" FROM t /* ORDER BY a */"));
    assert_false(Co_parity_orders("SELECT row_number() OVER (ORDER BY a) FROM t"));
    assert_false(Co_parity_orders("SELECT reorder_by FROM t"));
    assert_true(Co_parity_orders("SELECT 'it''s' FROM t ORDER BY 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_matters_only_when_both_order),
        cmocka_unit_test(test_values_compare_typed),
        cmocka_unit_test(test_a_changed_row_is_found_on_both_sides),
        cmocka_unit_test(test_another_number_of_columns),
        cmocka_unit_test(test_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
