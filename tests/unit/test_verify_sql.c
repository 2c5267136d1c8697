/* test_verify_sql.c: the SQL that verification writes for a source without
 * cutover's SQL functions (PostgreSQL, MySQL), run here by SQLite, whose CASE
 * and IN compare as those engines do for integers and text. The CASE that
 * sends references to merged rows to their survivors
 * (Co_vsql_remap_case) gives the value of a flat CASE of one WHEN per member
 * for every value, member or not, NULL included, whatever the number of
 * members, and tests a row by set and by group, not by member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/buf.h"
#include "verify/verify_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Members m(k) = 1000 + 3k (text members when texts), survivors s(k) = k;
 * appends each literal to lits and its place to at. */
static co_vsql_pair *members(size_t n, bool texts, co_buf *lits)
{
    co_vsql_pair *at = calloc(n, sizeof *at);
    assert_non_null(at);
    for (size_t k = 0; k < n; k++) {
        at[k].from = lits->len;
        if (texts)
            Co_buf_printf(lits, "'m''%zu'", 1000 + 3 * k);
        else
            Co_buf_printf(lits, "%zu", 1000 + 3 * k);
        at[k].from_len = lits->len - at[k].from;
        at[k].to = lits->len;
        Co_buf_printf(lits, "%zu", k);
        at[k].to_len = lits->len - at[k].to;
    }
    assert_false(lits->failed);
    return at;
}

static size_t count_of(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Every value from 990 to past the last member, as integers or as the text
 * members are made of, and NULL: the grouped CASE and the flat one agree. */
static void same_as_flat_case(size_t n, bool texts)
{
    co_buf lits = CO_BUF_INIT, grouped = CO_BUF_INIT, flat = CO_BUF_INIT, sql = CO_BUF_INIT;
    co_vsql_pair *at = members(n, texts, &lits);
    Co_vsql_remap_case("\"c\"", &lits, at, n, &grouped);
    assert_false(grouped.failed);
    Co_buf_adds(&flat, "CASE \"c\"");
    for (size_t k = 0; k < n; k++) {
        Co_buf_adds(&flat, " WHEN ");
        Co_buf_add(&flat, lits.data + at[k].from, at[k].from_len);
        Co_buf_adds(&flat, " THEN ");
        Co_buf_add(&flat, lits.data + at[k].to, at[k].to_len);
    }
    Co_buf_adds(&flat, " ELSE \"c\" END AS \"c\"");

    /* the shape: a set test and one per group beyond REMAP_FLAT (8) members */
    size_t group = 8;
    while (group * group < n)
        group++;
    size_t sets = n > 8 ? 1 + (n + group - 1) / group : 0;
    assert_int_equal(count_of(co_buf_str(&grouped), "\"c\" IN ("), sets);
    assert_int_equal(count_of(co_buf_str(&grouped), " THEN "), n + sets);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    char *msg = NULL;
    char make[256];
    snprintf(make, sizeof make,
             "CREATE TABLE t (c); WITH RECURSIVE i(x) AS (SELECT 990 UNION ALL SELECT x + 1 "
             "FROM i WHERE x < %zu) INSERT INTO t SELECT %s FROM i; INSERT INTO t VALUES (NULL)",
             1000 + 3 * n + 10, texts ? "'m''' || x" : "x");
    assert_int_equal(sqlite3_exec(db, make, NULL, NULL, &msg), SQLITE_OK);
    /* rows where the two differ, and rows a member was sent to its survivor */
    Co_buf_printf(&sql, "SELECT count(*) FILTER (WHERE g.c IS NOT f.c), count(*) FILTER (WHERE "
                        "f.c IS NOT t.c) FROM (SELECT rowid AS r, c FROM t) AS t "
                        "JOIN (SELECT rowid AS r, %s FROM t) AS g ON g.r = t.r "
                        "JOIN (SELECT rowid AS r, %s FROM t) AS f ON f.r = t.r",
                  co_buf_str(&grouped), co_buf_str(&flat));
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, co_buf_str(&sql), -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 0);
    assert_int_equal(sqlite3_column_int64(st, 1), (int64_t)n);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(at);
    Co_buf_release(&lits);
    Co_buf_release(&grouped);
    Co_buf_release(&flat);
    Co_buf_release(&sql);
}

static void flat_up_to_eight_members(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 8; n++) {
        same_as_flat_case(n, false);
        same_as_flat_case(n, true);
    }
}

static void grouped_beyond(void **state)
{
    (void)state;
    static const size_t sizes[] = {9, 16, 17, 63, 64, 65, 81, 82, 1000, 2500};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        same_as_flat_case(sizes[i], false);
        same_as_flat_case(sizes[i], true);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flat_up_to_eight_members),
        cmocka_unit_test(grouped_beyond),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
