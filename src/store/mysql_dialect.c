/*
 * mysql_dialect.c: MySQL's and MariaDB's answers to the dialect functions of
 * store.h (dialect_int.h). Change capture is mysql_capture.c's; no journal
 * (docs/mysql.md).
 */
#include "store/dialect_int.h"

/* JSON_EXTRACT gives JSON: its text, unquoted, against the parameter's. */
static void json_item_eq(const char *column, size_t pos, const char *param, co_buf *out)
{
    Co_buf_printf(out, "json_unquote(json_extract(%s, '$[%zu]')) <=> CAST(%s AS CHAR)", column,
                  pos, param);
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
};
