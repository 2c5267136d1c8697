/*
 * store_rows.h: what the store tests of every engine (test_store.c,
 * test_store_pg.c, test_store_mysql.c) read back the same way: a query's
 * one-column rows as sorted text, an index of co_store_indexes by name, and
 * a column's distinct values by co_store_distinct_sql against SELECT DISTINCT.
 * Included after cmocka.h and cutover/store.h.
 */
#ifndef CUTOVER_TEST_STORE_ROWS_H
#define CUTOVER_TEST_STORE_ROWS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows of sql (at most 64), one value each, as sorted text ("NULL" for
 * NULL, text quoted), into out (cap bytes). */
static inline void distinct_rows(co_store *s, const char *sql, char *out, size_t cap)
{
    co_error err;
    co_error_clear(&err);
    co_cursor *c = NULL;
    if (co_store_query(s, sql, NULL, 0, &c, &err) != CO_OK)
        fail_msg("%s: %s", sql, err.message);
    char rows[64][48];
    size_t n = 0;
    bool has_row;
    while (co_cursor_next(c, &has_row, &err) == CO_OK && has_row && n < 64) {
        co_value v = co_cursor_value(c, 0);
        if (v.type == CO_INT)
            snprintf(rows[n++], sizeof rows[0], "%lld", (long long)v.i);
        else if (v.type == CO_TEXT)
            snprintf(rows[n++], sizeof rows[0], "'%.*s'", (int)v.len, v.s);
        else
            snprintf(rows[n++], sizeof rows[0], "NULL");
    }
    co_cursor_close(c);
    qsort(rows, n, sizeof rows[0], (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "", rows[i]);
}

/* The index of ix (n of them) named name; fails the test when none is. */
static inline const co_index *index_named(const co_index *ix, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ix[i].name, name) == 0)
            return &ix[i];
    fail_msg("no index %s", name);
    return NULL;
}

/* co_store_distinct_sql of table.column: a skip scan exactly when skip (it
 * says so, and its SQL is one), and the rows SELECT DISTINCT gives. */
static inline void assert_distinct_as_plain(co_store *s, const char *table, const char *column,
                                            bool skip)
{
    co_buf sql = CO_BUF_INIT, plain = CO_BUF_INIT;
    bool said = !skip;
    co_store_distinct_sql(s, table, column, &sql, &said);
    assert_int_equal(said, skip);
    assert_int_equal(strncmp(co_buf_str(&sql), "WITH RECURSIVE", 14) == 0, skip);
    Co_buf_adds(&plain, "SELECT DISTINCT ");
    co_store_quote_ident(s, column, &plain);
    Co_buf_adds(&plain, " FROM ");
    co_store_quote_ident(s, table, &plain);
    char got[4096], want[4096];
    distinct_rows(s, co_buf_str(&sql), got, sizeof got);
    distinct_rows(s, co_buf_str(&plain), want, sizeof want);
    assert_string_equal(got, want);
    Co_buf_release(&sql);
    Co_buf_release(&plain);
}

#endif
