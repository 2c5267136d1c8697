/*
 * mysql.c: the MySQL/MariaDB backend of the store (store_int.h), through
 * libmariadb (it speaks to MariaDB and to MySQL 5.7/8): opening a connection
 * from a mysql:// or mariadb:// URI, errors, statements, transactions and the
 * catalog. Queries and their cursors are in mysql_cursor.c, loading in
 * mysql_load.c, parameters and literals in mysql_sql.c.
 *
 * Every error names the side and carries the MySQL error number, the SQLSTATE
 * and the message, never the password. Every session is strict, so that the
 * server refuses what it would otherwise truncate, round or coerce with a
 * warning: sql_mode STRICT_ALL_TABLES, NO_ZERO_DATE, NO_ZERO_IN_DATE,
 * ERROR_FOR_DIVISION_BY_ZERO, NO_ENGINE_SUBSTITUTION, and, so that cutover's
 * portable SQL reads as on the other engines, ANSI_QUOTES ("ident"),
 * PIPES_AS_CONCAT (||) and NO_BACKSLASH_ESCAPES ('it''s'); utf8mb4; time
 * zone '+00:00'. A source session is read-only until co_store_allow_writes.
 */
#include "store/dialect_int.h"
#include "store/mysql_int.h"
#include "util/uri.h"
#include "util/text.h"

#include <ctype.h>
#include <errno.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- errors ------------------------------------------------------------------- */

void Co_my_scrub(const my_store *s, char *text)
{
    Co_secret_mask(text, s->password);
    Co_secret_mask(text, getenv("MYSQL_PWD"));
}

static bool connection_lost(unsigned int no)
{
    return no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST || no == CR_CONNECTION_ERROR ||
           no == CR_CONN_HOST_ERROR || no == ER_CONNECTION_KILLED ||
           no == CR_SERVER_LOST_EXTENDED;
}

co_code Co_my_fail(my_store *s, const char *doing, co_error *err)
{
    co_code code = Co_store_side_code(s->base.side);
    unsigned int no = mysql_errno(s->conn);
    const char *state = mysql_sqlstate(s->conn);
    const char *msg = mysql_error(s->conn);
    bool lost = connection_lost(no);
    if (lost) {
        state = "08S01";
        s->lost = true; /* the next statement outside a transaction reconnects (Co_my_revive) */
    }
    if (!msg || !*msg)
        msg = "unknown error";
    co_error_set(err, code, "%s: %s: %s%s (MySQL error %u, SQLSTATE %s)",
                 co_side_name(s->base.side), doing, msg, lost ? " (the connection is lost)" : "",
                 no, state && *state ? state : "HY000");
    if (err) {
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state && *state ? state : "HY000");
        Co_my_scrub(s, err->message);
    }
    return code;
}

co_code Co_my_run(my_store *s, const char *sql, size_t len, const char *doing, co_error *err)
{
    Co_my_settle(s);
    co_code rc = Co_my_revive(s, err);
    if (rc != CO_OK)
        return rc;
    if (mysql_real_query(s->conn, sql, (unsigned long)len) != 0)
        return Co_my_fail(s, doing, err);
    MYSQL_RES *res = mysql_store_result(s->conn);
    if (res)
        mysql_free_result(res);
    else if (mysql_field_count(s->conn) != 0)
        return Co_my_fail(s, doing, err);
    return CO_OK;
}

void Co_my_run_quietly(my_store *s, const char *sql)
{
    co_error ignored;
    co_error_clear(&ignored);
    (void)Co_my_run(s, sql, strlen(sql), "cleanup", &ignored);
}

/* ---- statements --------------------------------------------------------------- */

static co_code my_exec(co_store *st, const char *sql, co_error *err)
{
    /* One or more statements: split on ';' outside quotes and comments. */
    my_store *s = my_of(st);
    const char *p = sql, *start = sql;
    for (;;) {
        char c = *p;
        if (c == '\'' || c == '"' || c == '`') {
            for (p++; *p; p++)
                if (*p == c) {
                    if (p[1] == c) {
                        p++;
                        continue;
                    }
                    break;
                }
            if (*p)
                p++;
            continue;
        }
        if (c == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
            continue;
        }
        if (c == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
            continue;
        }
        if (c == ';' || c == '\0') {
            const char *q = start;
            while (q < p && isspace((unsigned char)*q))
                q++;
            if (q < p) {
                co_code rc = Co_my_run(s, q, (size_t)(p - q), "statement failed", err);
                if (rc != CO_OK)
                    return rc;
            }
            if (c == '\0')
                return CO_OK;
            start = p + 1;
        }
        p++;
    }
}

static bool has_positional(const co_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!params[i].name)
            return true;
    return false;
}

static co_code run_expanded(my_store *s, const char *sql, const co_param *params, size_t n,
                            bool positional, long long *changes, co_error *err)
{
    co_buf q = CO_BUF_INIT;
    co_code rc = Co_my_expand(s, sql, params, n, positional, &q, err);
    if (rc == CO_OK)
        rc = Co_my_run(s, q.data, q.len, "statement failed", err);
    if (rc == CO_OK && changes) {
        my_ulonglong affected = mysql_affected_rows(s->conn);
        *changes = affected == (my_ulonglong)-1 ? 0 : (long long)affected;
    }
    Co_buf_release(&q);
    return rc;
}

static co_code my_exec_params(co_store *st, const char *sql, const co_param *params, size_t n,
                              long long *changes, co_error *err)
{
    return run_expanded(my_of(st), sql, params, n, has_positional(params, n), changes, err);
}

/* ---- transactions ------------------------------------------------------------- */

static co_code my_begin(co_store *st, co_error *err)
{
    my_store *s = my_of(st);
    if (s->user_txn)
        return co_error_set(err, Co_store_side_code(st->side),
                            "%s: cannot start a transaction within a transaction",
                            co_side_name(st->side));
    co_code rc = Co_my_run(s, "START TRANSACTION", 17, "cannot begin a transaction", err);
    s->user_txn = rc == CO_OK;
    return rc;
}

static co_code my_commit(co_store *st, co_error *err)
{
    my_store *s = my_of(st);
    if (!s->user_txn)
        return co_error_set(err, Co_store_side_code(st->side),
                            "%s: cannot commit: no transaction is open", co_side_name(st->side));
    s->user_txn = false;
    if (s->lost) { /* never a COMMIT on a new connection: the transaction died with the old one */
        Co_my_capture_unlock(s);
        return co_error_set(err, Co_store_side_code(st->side),
                            "%s: commit failed: the connection was lost, and the transaction "
                            "with it (SQLSTATE 08S01)", co_side_name(st->side));
    }
    co_code rc = Co_my_run(s, "COMMIT", 6, "commit failed", err);
    Co_my_capture_unlock(s);
    return rc;
}

static void my_rollback(co_store *st)
{
    my_store *s = my_of(st);
    if (!s->user_txn)
        return;
    s->user_txn = false;
    if (!s->lost) /* else the transaction died with the connection */
        Co_my_run_quietly(s, "ROLLBACK");
    Co_my_capture_unlock(s);
}

/* ---- prepared statements ------------------------------------------------------ */

/* The text protocol has no use for server-side statements: a prepared
 * statement keeps its SQL, and each run expands its values into it. */
typedef struct my_stmt {
    co_stmt base;
    char *sql;
} my_stmt;

static co_code my_prepare(co_store *st, const char *sql, co_stmt **out, co_error *err)
{
    my_stmt *ms = calloc(1, sizeof *ms);
    if (!ms || !(ms->sql = strdup(sql))) {
        free(ms);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    ms->base.store = st;
    *out = &ms->base;
    return CO_OK;
}

static co_code my_stmt_exec(co_stmt *stmt, const co_value *vals, size_t n, long long *changes,
                            co_error *err)
{
    my_stmt *ms = (my_stmt *)stmt;
    co_param stack[16] = {{0}}, *params = n <= 16 ? stack : calloc(n, sizeof *params);
    if (!params)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        params[i] = (co_param){NULL, vals[i]};
    co_code rc = run_expanded(my_of(stmt->store), ms->sql, params, n, true, changes, err);
    if (params != stack)
        free(params);
    return rc;
}

static void my_stmt_close(co_stmt *stmt)
{
    my_stmt *ms = (my_stmt *)stmt;
    free(ms->sql);
    free(ms);
}

/* ---- checks and the catalog --------------------------------------------------- */

static co_code my_prepare_check(co_store *st, const char *sql, co_error *err)
{
    my_store *s = my_of(st);
    Co_my_settle(s);
    co_buf q = CO_BUF_INIT;
    co_code rc = Co_my_markers(s, sql, &q, err);
    if (rc != CO_OK) {
        Co_buf_release(&q);
        return rc;
    }
    MYSQL_STMT *stmt = mysql_stmt_init(s->conn);
    if (!stmt) {
        Co_buf_release(&q);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (mysql_stmt_prepare(stmt, q.data, (unsigned long)q.len) != 0) {
        co_error_set(err, Co_store_side_code(st->side),
                     "%s: query does not prepare: %s (MySQL error %u, SQLSTATE %s)",
                     co_side_name(st->side), mysql_stmt_error(stmt), mysql_stmt_errno(stmt),
                     mysql_stmt_sqlstate(stmt));
        if (err) {
            snprintf(err->sqlstate, sizeof err->sqlstate, "%s", mysql_stmt_sqlstate(stmt));
            Co_my_scrub(s, err->message);
        }
        rc = Co_store_side_code(st->side);
    }
    mysql_stmt_close(stmt);
    Co_buf_release(&q);
    return rc;
}

static const char columns_sql[] =
    "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'NO', COLUMN_KEY = 'PRI'"
    " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ";

static co_code my_columns(co_store *st, const char *table, co_column **cols, size_t *ncols,
                          co_error *err)
{
    my_store *s = my_of(st);
    Co_my_settle(s);
    const char *dot = strchr(table, '.');
    co_buf sql = CO_BUF_INIT;
    Co_buf_adds(&sql, columns_sql);
    if (dot) {
        co_value schema = co_text(table, (size_t)(dot - table));
        Co_my_literal(&schema, &sql);
    } else {
        Co_buf_adds(&sql, "DATABASE()");
    }
    Co_buf_adds(&sql, " AND TABLE_NAME = ");
    const char *name = dot ? dot + 1 : table;
    co_value tv = co_text(name, strlen(name));
    Co_my_literal(&tv, &sql);
    Co_buf_adds(&sql, " ORDER BY ORDINAL_POSITION");
    if (sql.failed) {
        Co_buf_release(&sql);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    int q = mysql_real_query(s->conn, sql.data, (unsigned long)sql.len);
    Co_buf_release(&sql);
    MYSQL_RES *res = q == 0 ? mysql_store_result(s->conn) : NULL;
    if (!res)
        return Co_my_fail(s, "cannot read the columns of a table", err);
    size_t n = (size_t)mysql_num_rows(res);
    if (n == 0) {
        mysql_free_result(res);
        return co_error_set(err, CO_ENOTFOUND, "%s: no table \"%s\"", co_side_name(st->side),
                            table);
    }
    co_column *arr = calloc(n, sizeof *arr);
    bool ok = arr != NULL;
    MYSQL_ROW row;
    for (size_t r = 0; ok && r < n && (row = mysql_fetch_row(res)); r++) {
        arr[r].name = strdup(row[0] ? row[0] : "");
        arr[r].decl_type = strdup(row[1] ? row[1] : "");
        arr[r].notnull = row[2] && row[2][0] == '1';
        arr[r].primary_key = row[3] && row[3][0] == '1';
        ok = arr[r].name && arr[r].decl_type;
    }
    mysql_free_result(res);
    if (!ok) {
        co_columns_free(arr, arr ? n : 0);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *cols = arr;
    *ncols = n;
    return CO_OK;
}

static co_code my_select_columns(co_store *st, const char *table, co_column **cols, size_t *ncols,
                                 co_error *err)
{
    return my_columns(st, table, cols, ncols, err); /* information_schema lists generated ones too */
}

/* The base tables of the connection's database, by name in byte order. */
static co_code my_tables(co_store *st, co_table_info **tables, size_t *n, co_error *err)
{
    my_store *s = my_of(st);
    Co_my_settle(s);
    static const char sql[] = "SELECT TABLE_NAME FROM information_schema.TABLES"
                              " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
                              " ORDER BY CAST(TABLE_NAME AS BINARY)";
    MYSQL_RES *res = mysql_real_query(s->conn, sql, sizeof sql - 1) == 0
                         ? mysql_store_result(s->conn) : NULL;
    if (!res)
        return Co_my_fail(s, "cannot list the tables", err);
    size_t count = (size_t)mysql_num_rows(res);
    co_table_info *arr = calloc(count ? count : 1, sizeof *arr);
    bool ok = arr != NULL;
    MYSQL_ROW row;
    for (size_t r = 0; ok && r < count && (row = mysql_fetch_row(res)); r++)
        ok = (arr[r].name = strdup(row[0] ? row[0] : "")) != NULL;
    mysql_free_result(res);
    if (!ok) {
        co_tables_free(arr, arr ? count : 0);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    *tables = arr;
    *n = count;
    return CO_OK;
}

/* The month ('YYYY-MM') of ISO text, a DATE, a DATETIME or a TIMESTAMP (the
 * session's time zone is UTC); NULL for text that does not start like a date;
 * CO_STORE_MONTH_INVALID and the text for one that starts with a date no
 * calendar has ('2026-13-45', '2026-02-30', a zero date), as PostgreSQL and
 * SQLite give it (pg.c: the same dates, a date that ends after its ten
 * characters). */
static void my_month_sql(const co_store *s, const char *expr, co_buf *out)
{
    (void)s;
    co_buf t = CO_BUF_INIT;
    Co_buf_printf(&t, "CAST((%s) AS CHAR)", expr);
    const char *x = co_buf_str(&t);
    Co_buf_printf(out,
                  "(CASE WHEN %s REGEXP '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN CASE"
                  " WHEN SUBSTR(%s, 11, 1) NOT BETWEEN '0' AND '9' AND ("
                  "SUBSTR(%s, 6, 2) NOT BETWEEN '01' AND '12'"
                  " OR SUBSTR(%s, 9, 2) NOT BETWEEN '01' AND CASE SUBSTR(%s, 6, 2)"
                  " WHEN '02' THEN CASE WHEN CAST(SUBSTR(%s, 1, 4) AS UNSIGNED) %% 4 = 0"
                  " AND (CAST(SUBSTR(%s, 1, 4) AS UNSIGNED) %% 100 <> 0"
                  " OR CAST(SUBSTR(%s, 1, 4) AS UNSIGNED) %% 400 = 0) THEN '29' ELSE '28' END"
                  " WHEN '04' THEN '30' WHEN '06' THEN '30' WHEN '09' THEN '30' WHEN '11' THEN '30'"
                  " ELSE '31' END OR SUBSTR(%s, 1, 4) = '0000') THEN CONCAT('%s', %s)"
                  " ELSE SUBSTR(%s, 1, 7) END END)",
                  x, x, x, x, x, x, x, x, x, CO_STORE_MONTH_INVALID, x, x);
    if (t.failed)
        out->failed = true;
    Co_buf_release(&t);
}

static co_code my_allow_writes(co_store *st, co_error *err)
{
    static const char sql[] = "SET SESSION TRANSACTION READ WRITE";
    co_code rc = Co_my_run(my_of(st), sql, sizeof sql - 1, "cannot allow writes", err);
    my_of(st)->writable = rc == CO_OK; /* a reopened connection stays so */
    return rc;
}

/* ---- opening ------------------------------------------------------------------ */

static void my_close(co_store *st)
{
    my_store *s = my_of(st);
    s->lost = false; /* closing: nothing to open again */
    Co_my_settle(s);
    if (s->conn)
        mysql_close(s->conn);
    if (s->password) {
        memset(s->password, 0, strlen(s->password));
        free(s->password);
    }
    if (s->uri) { /* it may hold the password */
        memset(s->uri, 0, strlen(s->uri));
        free(s->uri);
    }
    free(s);
}

static const co_store_ops my_ops = {
    .engine = "mysql",
    .close = my_close,
    .exec = my_exec,
    .exec_params = my_exec_params,
    .begin = my_begin,
    .commit = my_commit,
    .rollback = my_rollback,
    .query = Co_my_query,
    .prepare = my_prepare,
    .stmt_exec = my_stmt_exec,
    .stmt_close = my_stmt_close,
    .prepare_check = my_prepare_check,
    .query_reads = Co_my_query_reads,
    .columns = my_columns,
    .tables = my_tables,
    .select_columns = my_select_columns,
    .constraints = Co_my_constraints,
    .indexes = Co_my_indexes,
    .collation_keys = Co_my_collation_keys,
    .loader_open = Co_my_loader_open,
    .month_sql = my_month_sql,
    .allow_writes = my_allow_writes,
    .client_side_hashes = true,
    .ident_quote = '`',
    .dialect = &co_mysql_dialect_ops,
    .capture = &co_mysql_capture_ops,
};

/* The parts of a mysql:// URI, percent-decoded; NULL when absent. */
typedef struct my_uri {
    char *user, *password, *host, *db, *socket, *ssl_mode, *ssl_ca, *ssl_cert, *ssl_key;
    unsigned int port;
} my_uri;

static void uri_release(my_uri *u)
{
    char **fields[] = {&u->user, &u->password, &u->host, &u->db, &u->socket,
                       &u->ssl_mode, &u->ssl_ca, &u->ssl_cert, &u->ssl_key};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (*fields[i])
            memset(*fields[i], 0, strlen(*fields[i]));
        free(*fields[i]);
        *fields[i] = NULL;
    }
}

/* A percent-decoded copy of [p, p + len), or NULL (out of memory). */
static char *decode(const char *p, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (p[i] == '%' && i + 2 < len &&
            (hi = Co_hexval(p[i + 1])) >= 0 && (lo = Co_hexval(p[i + 2])) >= 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = p[i];
        }
    }
    out[n] = '\0';
    return out;
}

/* Parses "scheme://[user[:password]@][host][:port][/db][?key=value&...]".
 * Errors never quote the URI (it may hold a password). */
static co_code parse_uri(const char *uri, co_side side, my_uri *u, co_error *err)
{
    const char *p = strstr(uri, "://") + 3;
    const char *end_auth = p + strcspn(p, "/?");
    const char *at = NULL;
    for (const char *q = p; q < end_auth; q++)
        if (*q == '@')
            at = q;
    bool nomem = false;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *uend = colon ? colon : at;
        if (uend > p)
            nomem |= !(u->user = decode(p, (size_t)(uend - p)));
        if (colon)
            nomem |= !(u->password = decode(colon + 1, (size_t)(at - colon - 1)));
        p = at + 1;
    }
    const char *hend = end_auth;
    const char *port = NULL;
    if (*p == '[') { /* [IPv6] */
        const char *close = memchr(p, ']', (size_t)(end_auth - p));
        if (!close)
            return co_error_set(err, CO_EPROJECT, "%s: a mysql URI's host has [ without ]",
                                co_side_name(side));
        nomem |= !(u->host = decode(p + 1, (size_t)(close - p - 1)));
        if (close + 1 < end_auth && close[1] == ':')
            port = close + 2;
    } else {
        const char *colon = memchr(p, ':', (size_t)(end_auth - p));
        hend = colon ? colon : end_auth;
        if (hend > p)
            nomem |= !(u->host = decode(p, (size_t)(hend - p)));
        if (colon)
            port = colon + 1;
    }
    if (port && port < end_auth) {
        char *e;
        errno = 0;
        unsigned long v = strtoul(port, &e, 10);
        if (errno || e != end_auth || v == 0 || v > 65535)
            return co_error_set(err, CO_EPROJECT, "%s: a mysql URI's port is not a number from 1 to 65535",
                                co_side_name(side));
        u->port = (unsigned int)v;
    }
    p = end_auth;
    if (*p == '/') {
        size_t len = strcspn(p + 1, "?");
        if (len)
            nomem |= !(u->db = decode(p + 1, len));
        p += 1 + len;
    }
    if (*p == '?')
        p++;
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char **slot = NULL;
        if (klen == 6 && strncmp(p, "socket", 6) == 0) slot = &u->socket;
        else if (klen == 8 && strncmp(p, "ssl-mode", 8) == 0) slot = &u->ssl_mode;
        else if (klen == 6 && strncmp(p, "ssl-ca", 6) == 0) slot = &u->ssl_ca;
        else if (klen == 8 && strncmp(p, "ssl-cert", 8) == 0) slot = &u->ssl_cert;
        else if (klen == 7 && strncmp(p, "ssl-key", 7) == 0) slot = &u->ssl_key;
        if (!slot || !eq)
            return co_error_set(err, CO_EPROJECT,
                                "%s: unknown mysql URI option \"%.*s\" (expected socket, ssl-mode, "
                                "ssl-ca, ssl-cert or ssl-key, each with =value)",
                                co_side_name(side), (int)(klen > 40 ? 40 : klen), p);
        free(*slot);
        nomem |= !(*slot = decode(eq + 1, len - klen - 1));
        p += len;
        if (*p == '&')
            p++;
    }
    if (nomem)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* Applies ssl-mode (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY)
 * and the certificate files. */
static co_code set_tls(MYSQL *conn, const my_uri *u, co_side side, co_error *err)
{
    if (u->ssl_ca)
        mysql_options(conn, MYSQL_OPT_SSL_CA, u->ssl_ca);
    if (u->ssl_cert)
        mysql_options(conn, MYSQL_OPT_SSL_CERT, u->ssl_cert);
    if (u->ssl_key)
        mysql_options(conn, MYSQL_OPT_SSL_KEY, u->ssl_key);
    my_bool on = 1, off = 0;
    const char *mode = u->ssl_mode;
    if (!mode || strcasecmp(mode, "PREFERRED") == 0) {
        mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
    } else if (strcasecmp(mode, "DISABLED") == 0) {
        mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
        mysql_options(conn, MYSQL_OPT_SSL_ENFORCE, &off);
    } else if (strcasecmp(mode, "REQUIRED") == 0) {
        mysql_options(conn, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
    } else if (strcasecmp(mode, "VERIFY_CA") == 0 || strcasecmp(mode, "VERIFY_IDENTITY") == 0) {
        mysql_options(conn, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    } else {
        return co_error_set(err, CO_EPROJECT,
                            "%s: unknown ssl-mode \"%.40s\" (expected DISABLED, PREFERRED, "
                            "REQUIRED, VERIFY_CA or VERIFY_IDENTITY)",
                            co_side_name(side), mode);
    }
    return CO_OK;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static const char *const session_sql[] = {
    "SET NAMES utf8mb4",
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES,PIPES_AS_CONCAT,"
    "NO_BACKSLASH_ESCAPES'",
    "SET SESSION time_zone = '+00:00'",
};

/* Opens s->conn from uri and sets up its session (s->password already set
 * or not: set here). */
static co_code connect_conn(my_store *s, const char *uri, co_error *err)
{
    co_side side = s->base.side;
    my_uri u = {0};
    co_code rc = parse_uri(uri, side, &u, err);
    if (rc == CO_OK && !(s->conn = mysql_init(NULL)))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    /* The URI first, then the MySQL client's environment, then defaults. */
    const char *host = u.host ? u.host : env("MYSQL_HOST");
    const char *sock = u.socket ? u.socket : env("MYSQL_UNIX_PORT");
    const char *pass = u.password ? u.password : env("MYSQL_PWD");
    unsigned int port = u.port;
    if (!port && env("MYSQL_TCP_PORT"))
        port = (unsigned int)strtoul(env("MYSQL_TCP_PORT"), NULL, 10);
    if (rc == CO_OK && pass && !s->password && !(s->password = strdup(pass)))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = set_tls(s->conn, &u, side, err);
    if (rc == CO_OK) {
        my_bool off = 0;
        unsigned int timeout = 30;
        mysql_options(s->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        mysql_options(s->conn, MYSQL_OPT_LOCAL_INFILE, &off);
        mysql_options(s->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
        mysql_options(s->conn, MYSQL_OPT_RECONNECT, &off);
        if (!mysql_real_connect(s->conn, host, u.user, pass, u.db, port, sock, CLIENT_FOUND_ROWS)) {
            co_buf safe = CO_BUF_INIT;
            Co_uri_mask(uri, &safe);
            unsigned int no = mysql_errno(s->conn);
            rc = co_error_set(err, Co_store_side_code(side),
                              "%s: cannot connect to %s: %s (MySQL error %u, SQLSTATE 08001)",
                              co_side_name(side), co_buf_str(&safe), mysql_error(s->conn), no);
            Co_buf_release(&safe);
            if (err) {
                snprintf(err->sqlstate, sizeof err->sqlstate, "08001");
                Co_my_scrub(s, err->message);
            }
        }
    }
    for (size_t i = 0; rc == CO_OK && i < sizeof session_sql / sizeof *session_sql; i++)
        rc = Co_my_run(s, session_sql[i], strlen(session_sql[i]), "cannot set up the session",
                       err);
    if (rc == CO_OK && side == CO_SIDE_SOURCE && !s->writable) { /* never written by accident */
        static const char ro[] = "SET SESSION TRANSACTION READ ONLY";
        rc = Co_my_run(s, ro, sizeof ro - 1, "cannot set up the session", err);
    }
    if (rc == CO_OK)
        Co_my_capture_db_name(s, u.db);
    uri_release(&u);
    return rc;
}

co_code Co_my_revive(my_store *s, co_error *err)
{
    if (!s->lost || s->user_txn || s->streaming || !s->uri)
        return CO_OK;
    mysql_close(s->conn);
    s->conn = NULL;
    s->lost = false;
    s->capture_lock = false; /* a session's lock dies with it */
    co_code rc = connect_conn(s, s->uri, err);
    if (rc != CO_OK) {
        co_error_where(err, "reconnecting after the connection was lost");
        if (!s->conn)
            s->conn = mysql_init(NULL);
        s->lost = true;
    }
    return rc;
}

co_code Co_mysql_open(const char *uri, co_side side, co_store **out, co_error *err)
{
    *out = NULL;
    my_store *s = calloc(1, sizeof *s);
    if (!s)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    s->base.ops = &my_ops;
    s->base.side = side;
    co_code rc = (s->uri = strdup(uri)) ? connect_conn(s, uri, err)
                                        : co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc != CO_OK) {
        my_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return CO_OK;
}
