/*
 * dialect.c: the dialect functions of store.h. Each asks the engine's
 * co_dialect_ops (dialect_int.h) and writes the common form where the engine
 * gives none, so that code outside src/store never compares engine names.
 */
#include "store/dialect_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

co_caps co_store_caps(const co_store *s) { return s->ops->dialect->caps; }

const char *co_store_key_eq_op(const co_store *s) { return s->ops->dialect->key_eq_op; }

const char *co_store_epoch_sql(const co_store *s) { return s->ops->dialect->epoch_sql; }

/* X'hex': SQL's binary string literal. */
static void blob_literal(const co_value *v, co_buf *out)
{
    Co_buf_adds(out, "X'");
    for (size_t i = 0; i < v->len; i++)
        Co_buf_printf(out, "%02x", (unsigned char)v->s[i]);
    Co_buf_addc(out, '\'');
}

void co_store_literal(const co_store *s, const co_value *v, co_buf *out)
{
    switch (v->type) {
    case CO_NULL: Co_buf_adds(out, "NULL"); break;
    case CO_INT: Co_buf_printf(out, "%lld", (long long)v->i); break;
    case CO_REAL: Co_buf_printf(out, "%.17g", v->r); break;
    case CO_TEXT:
        Co_buf_addc(out, '\'');
        for (size_t i = 0; i < v->len; i++) {
            if (v->s[i] == '\'')
                Co_buf_addc(out, '\'');
            Co_buf_addc(out, v->s[i]);
        }
        Co_buf_addc(out, '\'');
        break;
    case CO_BLOB: (s->ops->dialect->blob_literal ? s->ops->dialect->blob_literal
                                                 : blob_literal)(v, out);
        break;
    }
}

void co_store_key_literals(const co_store *s, const co_value *v, co_buf *out)
{
    if (s->ops->dialect->key_literals) {
        s->ops->dialect->key_literals(s, v, out);
    } else if (v->type == CO_INT || v->type == CO_REAL) {
        Co_buf_addc(out, '\'');
        co_store_literal(s, v, out);
        Co_buf_addc(out, '\'');
    } else {
        co_store_literal(s, v, out);
    }
}

void co_store_unindexed_column(const co_store *s, const char *column, co_buf *out)
{
    if (s->ops->dialect->unindexed_column)
        s->ops->dialect->unindexed_column(s, column, out);
    else
        co_store_quote_ident(s, column, out);
}

void co_store_null_test(const co_store *s, const char *column_sql, co_buf *out)
{
    if (s->ops->dialect->null_test)
        s->ops->dialect->null_test(column_sql, out);
    else
        Co_buf_printf(out, "%s IS NULL", column_sql);
}

void co_store_json_item_eq(const co_store *s, const char *column, size_t pos, const char *param,
                           co_buf *out)
{
    s->ops->dialect->json_item_eq(column, pos, param, out);
}

co_code co_store_table_exists(co_store *s, const char *table, bool *exists, co_error *err)
{
    co_param p = {NULL, co_text(table, strlen(table))};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, s->ops->dialect->table_exists_sql, &p, 1, &c, err);
    *exists = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, exists, err);
    co_cursor_close(c);
    return rc;
}

co_code co_store_ensure_table(co_store *s, const char *table, const char *ddl, co_error *err)
{
    bool exists = false;
    co_code rc = co_store_table_exists(s, table, &exists, err);
    if (rc != CO_OK || exists)
        return rc;
    rc = co_store_exec(s, ddl, err);
    if (rc != CO_OK && co_store_table_exists(s, table, &exists, &(co_error){0}) == CO_OK &&
        exists) {
        co_error_clear(err);
        rc = CO_OK;
    }
    return rc;
}

const char *co_store_serial_key_sql(const co_store *s)
{
    return s->ops->dialect->serial_key;
}

co_code co_store_make_durable(co_store *s, co_error *err)
{
    return s->ops->dialect->make_durable ? s->ops->dialect->make_durable(s, err) : CO_OK;
}

co_code co_store_defer_sync(co_store *s, bool defer, bool *done, co_error *err)
{
    bool ignored;
    if (!done)
        done = &ignored;
    *done = false;
    return s->ops->dialect->defer_sync ? s->ops->dialect->defer_sync(s, defer, done, err) : CO_OK;
}

co_code co_store_schema_begin(co_store *s, const char *lock, co_error *err)
{
    if (!s->ops->dialect->schema_begin)
        return co_error_set(err, CO_EUNSUPPORTED,
                            "%s: cutover's journal cannot be kept on %s (use SQLite or "
                            "PostgreSQL)",
                            co_side_name(s->side), s->ops->engine);
    return s->ops->dialect->schema_begin(s, lock, err);
}

co_code co_store_schema_exec(co_store *s, const char *ddl, co_error *err)
{
    if (!s->ops->dialect->schema_sql)
        return co_store_exec(s, ddl, err);
    char *sql = s->ops->dialect->schema_sql(ddl);
    co_code rc = sql ? co_store_exec(s, sql, err) : co_error_set(err, CO_ENOMEM, "out of memory");
    free(sql);
    return rc;
}

co_code co_store_create_schema(co_store *s, const char *ddl, const char *lock, co_error *err)
{
    co_code rc = co_store_schema_begin(s, lock, err);
    if (rc != CO_OK)
        return rc;
    rc = co_store_schema_exec(s, ddl, err);
    if (rc == CO_OK)
        rc = co_store_commit(s, err);
    else
        co_store_rollback(s);
    return rc;
}

co_value Co_store_decimal_value(const char *s, size_t len)
{
    const char *dot = memchr(s, '.', len);
    if (!dot) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0')
            return co_int(v);
        return co_text(s, len);
    }
    /* Significant digits: from the first non-zero digit to the last
     * non-zero one of the fraction. */
    const char *first = s;
    while (*first == '-' || *first == '0' || *first == '.')
        first++;
    const char *last = s + len;
    while (last > dot + 1 && last[-1] == '0')
        last--;
    size_t digits = 0;
    for (const char *p = first; p < last; p++)
        digits += *p >= '0' && *p <= '9';
    if (digits <= 15)
        return co_real(strtod(s, NULL));
    return co_text(s, len);
}
