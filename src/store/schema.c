/*
 * schema.c: tables made from another database's declaration (store.h,
 * "Schemas"): the DDL each backend generates (sqlite_ddl.c, pg_ddl.c), the
 * tables that foreign keys name brought along, all created in one
 * transaction, foreign keys last.
 */
#include "store/ddl_int.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>

void co_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* A backend without schema operations (MySQL, for now) says so. */
static co_code no_ddl(co_store *s, co_error *err)
{
    return co_error_set(err, CO_EUNSUPPORTED, "%s: reading or creating table schemas on %s is not "
                        "supported yet", co_side_name(s->side), s->ops->engine);
}

co_code co_store_schema_tables(co_store *s, char ***names, size_t *n, co_error *err)
{
    *names = NULL;
    *n = 0;
    if (!s->ops->ddl)
        return no_ddl(s, err);
    co_code rc = s->ops->ddl->tables(s, names, n, err);
    if (rc != CO_OK) {
        co_names_free(*names, *n);
        *names = NULL;
        *n = 0;
    }
    return rc;
}

bool co_store_has_table(co_store *s, const char *table)
{
    co_column *cols = NULL;
    size_t n = 0;
    co_error ignored;
    if (co_store_columns(s, table, &cols, &n, &ignored) != CO_OK)
        return false;
    co_columns_free(cols, n);
    return true;
}

/* A growing list of table names, each once. */
typedef struct name_list {
    char **names;
    size_t n, cap;
    bool failed;
} name_list;

static bool listed(const name_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return true;
    return false;
}

static void list_add(name_list *l, const char *name)
{
    if (l->failed || listed(l, name))
        return;
    if (!CO_GROW(l->names, l->cap, l->n + 1, 8)) {
        l->failed = true;
        return;
    }
    if (!(l->names[l->n] = strdup(name)))
        l->failed = true;
    else
        l->n++;
}

static void on_ref(void *ctx, const char *table, const char *column)
{
    (void)column;
    list_add(ctx, table);
}

/* The DDL of every table of wanted that `to` lacks (to NULL: all of them),
 * and of the tables their foreign keys name, into create and after; the
 * tables in *todo. */
static co_code gather(co_store *from, co_store *to, const char *const *tables, size_t n,
                      co_buf *create, co_buf *after, name_list *todo, co_error *err)
{
    name_list seen = {0};
    for (size_t i = 0; i < n; i++)
        list_add(&seen, tables[i]);
    co_code rc = CO_OK;
    /* seen grows as foreign keys name parents: walk it to its end. */
    for (size_t i = 0; rc == CO_OK && i < seen.n && !seen.failed; i++) {
        if (to && co_store_has_table(to, seen.names[i]))
            continue;
        if (!from->ops->ddl) {
            rc = no_ddl(from, err);
            break;
        }
        rc = from->ops->ddl->table_ddl(from, seen.names[i], create, after, on_ref, &seen, err);
        if (rc == CO_OK)
            list_add(todo, seen.names[i]);
    }
    if (rc == CO_OK && (seen.failed || todo->failed))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    co_names_free(seen.names, seen.n);
    return rc;
}

co_code co_store_schema_ddl(co_store *from, const char *const *tables, size_t n,
                            struct co_buf *out, co_error *err)
{
    co_buf after = CO_BUF_INIT;
    name_list todo = {0};
    co_code rc = gather(from, NULL, tables, n, out, &after, &todo, err);
    if (rc == CO_OK)
        Co_buf_add(out, after.data ? after.data : "", after.len);
    Co_buf_release(&after);
    co_names_free(todo.names, todo.n);
    return rc;
}

co_code co_store_schema_copy(co_store *from, co_store *to, const char *const *tables, size_t n,
                             char ***created, size_t *ncreated, co_error *err)
{
    *created = NULL;
    *ncreated = 0;
    if (from->ops != to->ops)
        return co_error_set(err, CO_EPROJECT,
                            "%s: cannot create tables from a %s database's schema in a %s one "
                            "(only from the same kind of database); create them by hand",
                            co_side_name(to->side), from->ops->engine, to->ops->engine);
    co_buf create = CO_BUF_INIT, after = CO_BUF_INIT;
    name_list todo = {0};
    co_code rc = gather(from, to, tables, n, &create, &after, &todo, err);
    if (rc == CO_OK && todo.n) {
        rc = co_store_begin(to, err);
        if (rc == CO_OK)
            rc = co_store_exec(to, co_buf_str(&create), err);
        if (rc == CO_OK && after.len)
            rc = co_store_exec(to, co_buf_str(&after), err);
        if (rc == CO_OK)
            rc = co_store_commit(to, err);
        else
            co_store_rollback(to);
    }
    Co_buf_release(&create);
    Co_buf_release(&after);
    if (rc != CO_OK) {
        co_names_free(todo.names, todo.n);
        return rc;
    }
    *created = todo.names;
    *ncreated = todo.n;
    return CO_OK;
}

co_code co_store_table_parents(co_store *s, const char *table, co_read_fn fn, void *ctx,
                               co_error *err)
{
    if (!s->ops->ddl)
        return no_ddl(s, err);
    co_buf create = CO_BUF_INIT, after = CO_BUF_INIT;
    co_code rc = s->ops->ddl->table_ddl(s, table, &create, &after, fn, ctx, err);
    Co_buf_release(&create);
    Co_buf_release(&after);
    return rc;
}
