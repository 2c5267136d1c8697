/*
 * capture.c: change capture in the store (store.h's co_store_capture_*): the
 * checks and dispatch to the engine's co_capture_ops (sqlite_capture.c,
 * pg_capture.c, mysql_capture.c), where the change log's tables live, and
 * what the engines' triggers are written with, the one rule of when an
 * update records its old row among it (Co_capture_moved). What a capture
 * means for a tenant (starting, freezing, catching up) is src/capture's; how
 * the engine's triggers say it is here.
 */
#include "store/dialect_int.h"

#include <string.h>

co_code co_store_capture_supported(co_store *s, co_error *err)
{
    if (!s->ops->capture)
        return co_error_set(err, CO_EUNSUPPORTED, "%s: change capture on %s is not supported",
                            co_side_name(s->side), s->ops->engine);
    return CO_OK;
}

co_code co_store_capture_install(co_store *s, const co_capture_spec *t, size_t n, co_error *err)
{
    co_code rc = co_store_capture_supported(s, err);
    return rc == CO_OK ? s->ops->capture->install(s, t, n, err) : rc;
}

co_code co_store_capture_remove(co_store *s, const co_capture_spec *t, size_t n, co_error *err)
{
    co_code rc = co_store_capture_supported(s, err);
    return rc == CO_OK ? s->ops->capture->remove(s, t, n, err) : rc;
}

co_code co_store_capture_freeze(co_store *s, const co_capture_spec *t, size_t n,
                                const char *tenant, bool frozen, co_error *err)
{
    co_code rc = co_store_capture_supported(s, err);
    return rc == CO_OK ? s->ops->capture->freeze(s, t, n, tenant, frozen, err) : rc;
}

co_code co_store_capture_serialize(co_store *s, co_error *err)
{
    co_code rc = co_store_capture_supported(s, err);
    return rc == CO_OK && s->ops->capture->serialize ? s->ops->capture->serialize(s, err) : rc;
}

co_code co_store_capture_horizon(co_store *s, int64_t *mark, co_error *err)
{
    *mark = 0;
    co_code rc = co_store_capture_supported(s, err);
    if (rc == CO_OK && s->ops->capture->horizon)
        return s->ops->capture->horizon(s, mark, err);
    return rc == CO_OK ? co_store_query_int(s, s->ops->capture->horizon_sql, NULL, 0, mark, NULL,
                                            err)
                       : rc;
}

const char *co_store_capture_position(const co_store *s)
{
    return s->ops->capture ? s->ops->capture->position : "seq";
}

void co_store_capture_table(const co_store *s, const char *name, co_buf *out)
{
    const char *db = s->ops->capture && s->ops->capture->database ? s->ops->capture->database(s)
                                                                   : NULL;
    if (db) {
        co_store_quote_ident(s, db, out);
        Co_buf_addc(out, '.');
    }
    co_store_quote_ident(s, name, out);
}

co_code co_store_capture_table_exists(co_store *s, const char *name, bool *exists, co_error *err)
{
    const char *db = s->ops->capture && s->ops->capture->database ? s->ops->capture->database(s)
                                                                   : NULL;
    if (!db)
        return co_store_table_exists(s, name, exists, err);
    co_param p[] = {{NULL, co_text(db, strlen(db))}, {NULL, co_text(name, strlen(name))}};
    int64_t n = 0;
    co_code rc = co_store_query_int(s,
                                    "SELECT count(*) FROM information_schema.tables WHERE"
                                    " table_schema = ? AND table_name = ?",
                                    p, 2, &n, NULL, err);
    *exists = rc == CO_OK && n > 0;
    return rc;
}

void Co_capture_tenant_expr(const co_capture_spec *t, const char *row, co_buf *out)
{
    Co_capture_tenant_cast(t, row, "TEXT", out);
}

void Co_capture_tenant_cast(const co_capture_spec *t, const char *row, const char *type,
                            co_buf *out)
{
    Co_buf_adds(out, "CAST((");
    for (const char *p = t->tenant; *p;) {
        if (strncmp(p, "{row}", 5) == 0) {
            Co_buf_adds(out, row);
            p += 5;
        } else {
            Co_buf_addc(out, *p++);
        }
    }
    Co_buf_printf(out, ") AS %s)", type);
}

void Co_capture_moved(co_store *s, const co_capture_spec *t, const char *tenant_type,
                      const char *open, const char *close, const char *differ, co_buf *out)
{
    Co_buf_addc(out, '(');
    for (int side = 0; side < 2; side++) {
        const char *row = side ? "NEW" : "OLD";
        Co_buf_adds(out, side ? differ : "");
        Co_buf_adds(out, open);
        for (size_t k = 0; k < t->nkey; k++) {
            Co_buf_printf(out, "%s.", row);
            co_store_quote_ident(s, t->key[k], out);
            Co_buf_adds(out, ", ");
        }
        Co_capture_tenant_cast(t, row, tenant_type, out);
        Co_buf_adds(out, close);
    }
    Co_buf_addc(out, ')');
}

void Co_sql_literal(const char *s, co_buf *out)
{
    Co_buf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            Co_buf_addc(out, '\'');
        Co_buf_addc(out, *s);
    }
    Co_buf_addc(out, '\'');
}

void Co_capture_object_name(co_store *s, const char *kind, const char *table, const char *op,
                            const char *tenant, co_buf *out)
{
    co_buf name = CO_BUF_INIT;
    Co_buf_printf(&name, "cutover_%s_%s", kind, table);
    if (op)
        Co_buf_printf(&name, "_%s", op);
    if (tenant)
        Co_buf_printf(&name, "_%s", tenant);
    co_store_quote_ident(s, co_buf_str(&name), out);
    Co_buf_release(&name);
}
