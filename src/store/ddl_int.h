/*
 * ddl_int.h: what each backend provides for schemas (store/schema.c): the
 * tables of a database, and the statements that create one of them again as
 * it is declared. Reached through co_store_ops.ddl; nothing here is seen
 * outside src/store/.
 */
#ifndef CUTOVER_STORE_DDL_INT_H
#define CUTOVER_STORE_DDL_INT_H

#include "store/store_int.h"

typedef struct co_ddl_ops {
    /* The tables of the database (SQLite: less sqlite_%; PostgreSQL: those
     * visible on the search path), in name order; heap strings. */
    co_code (*tables)(co_store *s, char ***names, size_t *n, co_error *err);
    /* Appends to create the statements that make table again: CREATE TABLE
     * with its columns (types, defaults, identity), primary and unique keys
     * and CHECKs, then its indexes; and to after those that must wait until
     * every table exists (foreign keys, on PostgreSQL). Each statement ends
     * in ";\n". ref(ctx, parent, NULL) is called for each table a foreign
     * key names. CO_ENOTFOUND when there is no such table. */
    co_code (*table_ddl)(co_store *s, const char *table, co_buf *create, co_buf *after,
                         co_read_fn ref, void *ctx, co_error *err);
} co_ddl_ops;

extern const co_ddl_ops co_sqlite_ddl_ops;
extern const co_ddl_ops co_pg_ddl_ops;

#endif
