/*
 * mysql_dialect.c: MySQL's and MariaDB's answers to the dialect functions of
 * store.h (dialect_int.h). Change capture is mysql_capture.c's; no journal
 * (docs/mysql.md).
 */
#include "store/dialect_int.h"
#include "store/mysql_int.h"

#include <string.h>

/* JSON_EXTRACT gives JSON: its text, unquoted, against the parameter's. */
static void json_item_eq(const char *column, size_t pos, const char *param, co_buf *out)
{
    Co_buf_printf(out, "json_unquote(json_extract(%s, '$[%zu]')) <=> CAST(%s AS CHAR)", column,
                  pos, param);
}

/* WITH RECURSIVE: MariaDB 10.2.2 and later, MySQL 8.0 and later. */
static bool recursive_queries(co_store *s)
{
    MYSQL *conn = my_of(s)->conn;
    if (!conn)
        return false;
    const char *info = mysql_get_server_info(conn);
    unsigned long version = mysql_get_server_version(conn);
    return info && strstr(info, "MariaDB") ? version >= 100202 : version >= 80000;
}

const co_dialect_ops co_mysql_dialect_ops = {
    .caps = {.row_locks = false, .failed_statement_aborts = false, .one_file = false,
             .keys_on_insert = true},
    .key_eq_op = "<=>", /* NULL-safe equality that uses an index */
    .epoch_sql = "unix_timestamp(now(6))",
    .table_exists_sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = database()"
                        " AND table_name = ? AND table_type = 'BASE TABLE'",
    .json_item_eq = json_item_eq,
    .serial_key = "BIGINT AUTO_INCREMENT PRIMARY KEY",
    .recursive_queries = recursive_queries,
};
