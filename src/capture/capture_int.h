/* capture_int.h: what the files of src/capture share. */
#ifndef CUTOVER_CAPTURE_INT_H
#define CUTOVER_CAPTURE_INT_H

#include "cutover/capture.h"
#include "cutover/store.h"
#include "util/buf.h"

#include <stdbool.h>

/* Appends {"entity": ..., "row": {column: value, ...}} and a newline for the
 * cursor's current row: the line format of rollback exports and archives. */
void co_entity_row_line(co_buf *line, const char *entity, co_cursor *c);

/* The table's tenant expression with {row} replaced by row (NEW or OLD), cast
 * to text; and a SQL string literal. Both engines' triggers use them. */
void co_capture_tenant_expr(const co_capture_table *t, const char *row, co_buf *out);
void co_sql_literal(const char *s, co_buf *out);

/* PostgreSQL capture (capture_pg.c): the tables, trigger functions and
 * triggers; a tenant's freeze as a row of cutover_frozen; and their removal
 * when the last tenant leaves. Callers hold the transaction. */
co_code co_capture_pg_install(co_store *st, const co_project *p, co_error *err);
co_code co_capture_pg_freeze(co_store *st, const co_project *p, const char *tenant, bool frozen,
                             co_error *err);
co_code co_capture_pg_uninstall(co_store *st, const co_project *p, co_error *err);
/* First in the transaction that starts or stops a tenant's capture: waits
 * for any other cutover process doing the same (an advisory lock held to the
 * transaction's end), and bounds every wait for a lock, on the application's
 * tables too, to CO_CAPTURE_PG_LOCK_WAIT. A wait that would be longer fails
 * with SQLSTATE 55P03 and the caller rolls back and tries again: so cutover
 * never holds one table while it waits for the application's writes on
 * another that wait for it, a deadlock PostgreSQL would break by failing one
 * side, perhaps the customer's write. */
#define CO_CAPTURE_PG_LOCK_WAIT "200ms"
co_code co_capture_pg_serialize(co_store *st, co_error *err);

#endif
