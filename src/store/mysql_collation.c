/*
 * mysql_collation.c: co_store_collation_keys on MySQL and MariaDB. A unique
 * index on a text column compares values under the column's collation: a
 * `_ci` one sees cnn.com and CNN.com as one value, most of them ignore
 * accents too (é = e), and the PAD SPACE ones (all but the NO PAD
 * collations) ignore trailing spaces. The keys are the server's own: the
 * WEIGHT_STRING of each value in the column's character set and collation,
 * its trailing spaces dropped first where the collation pads (WEIGHT_STRING
 * keeps them), so that the audit sees exactly the collisions the index
 * would refuse, whatever the collation's rules.
 */
#include "store/mysql_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Values per WEIGHT_STRING statement. */
#define BATCH 256

/* True for a character set or collation name that can be written into SQL as
 * it is (letters, digits, underscores). */
static bool plain_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

co_code Co_my_column_info(co_store *s, const char *table, const char *column, const char *what,
                          co_cursor **out, co_error *err)
{
    const char *dot = strchr(table, '.');
    const char *name = dot ? dot + 1 : table;
    co_param p[] = {
        {NULL, dot ? co_text(table, (size_t)(dot - table)) : co_null()},
        {NULL, co_text(name, strlen(name))},
        {NULL, co_text(column, strlen(column))},
    };
    co_buf sql = CO_BUF_INIT;
    Co_buf_printf(&sql, "SELECT %s FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                        " COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME = ?", what);
    co_code rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                            : co_store_query(s, co_buf_str(&sql), p, 3, out, err);
    Co_buf_release(&sql);
    return rc;
}

/* The character set and collation of table.column (table may be db.table);
 * both empty when the column holds no text (or is not there). */
static co_code column_collation(co_store *s, const char *table, const char *column,
                                char cs[65], char coll[65], co_error *err)
{
    cs[0] = coll[0] = '\0';
    co_cursor *c = NULL;
    co_code rc = Co_my_column_info(s, table, column, "CHARACTER_SET_NAME, COLLATION_NAME", &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value a = co_cursor_value(c, 0), b = co_cursor_value(c, 1);
        if (a.type == CO_TEXT && b.type == CO_TEXT && a.len < 65 && b.len < 65) {
            memcpy(cs, a.s, a.len);
            cs[a.len] = '\0';
            memcpy(coll, b.s, b.len);
            coll[b.len] = '\0';
        }
    }
    co_cursor_close(c);
    return rc;
}

/* One statement's worth of values: their keys appended to keys. */
static co_code weigh(co_store *s, const char *cs, const char *coll, bool pads,
                     const co_value *values, size_t n, co_buf *keys, co_error *err)
{
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT ");
    for (size_t i = 0; i < n; i++) {
        co_value v = values[i];
        if (i)
            Co_buf_addc(&sql, ',');
        if (v.type != CO_TEXT) {
            Co_buf_adds(&sql, "NULL");
            continue;
        }
        if (pads)
            while (v.len > 0 && v.s[v.len - 1] == ' ')
                v.len--;
        Co_buf_adds(&sql, "WEIGHT_STRING(CONVERT(");
        Co_my_literal(&v, &sql);
        Co_buf_printf(&sql, " USING %s) COLLATE %s)", cs, coll);
    }
    if (sql.failed) {
        Co_buf_release(&sql);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, co_buf_str(&sql), NULL, 0, &c, err);
    Co_buf_release(&sql);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && (!has_row || co_cursor_ncols(c) != n))
        rc = co_error_set(err, CO_EINTERNAL, "collation keys: the server gave no row");
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        co_value w = co_cursor_value(c, i);
        uint32_t len = w.type == CO_TEXT || w.type == CO_BLOB ? (uint32_t)w.len : 0;
        Co_buf_add(keys, &len, sizeof len);
        if (len)
            Co_buf_add(keys, w.s, len);
    }
    co_cursor_close(c);
    if (rc == CO_OK && keys->failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    return rc;
}

co_code Co_my_collation_keys(co_store *s, const char *table, const char *column,
                             const co_value *values, size_t n, co_buf *keys, bool *folds,
                             co_error *err)
{
    *folds = false;
    char cs[65], coll[65];
    co_code rc = column_collation(s, table, column, cs, coll, err);
    if (rc != CO_OK)
        return rc;
    /* No text, or bytes compared as they are (NO PAD binary collations). */
    if (!*coll || !plain_name(cs) || !plain_name(coll) || strcmp(cs, "binary") == 0 ||
        ends_with(coll, "_nopad_bin") || ends_with(coll, "_0900_bin"))
        return CO_OK;
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT CONVERT('a' USING %s) COLLATE %s = CONVERT('a ' USING %s) COLLATE %s", cs,
             coll, cs, coll);
    co_cursor *c = NULL;
    bool has_row = false, pads = false;
    rc = co_store_query(s, sql, NULL, 0, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        pads = v.type == CO_INT && v.i == 1;
    }
    co_cursor_close(c);
    if (rc != CO_OK)
        return rc;
    *folds = true;
    for (size_t at = 0; rc == CO_OK && at < n; at += BATCH)
        rc = weigh(s, cs, coll, pads, values + at, n - at < BATCH ? n - at : BATCH, keys, err);
    return rc;
}
