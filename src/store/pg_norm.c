/*
 * pg_norm.c: cutover's normalizers on a PostgreSQL source (pg_int.h).
 *
 * Entity queries call casefold(), email_norm(), domain_norm() and
 * name_norm() on every source. On PostgreSQL they are PL/pgSQL functions in
 * schema cutover_norm (dedupe/normalize_pg.c writes them from the C definition).
 * Opening a source installs them when they are missing or were made by
 * another definition (the stamp in name_norm's comment tells), in one
 * read-write transaction under an advisory lock, so that processes opening
 * the source together neither collide nor half-install. A source where that
 * is not possible (no CREATE privilege, a standby, an encoding other than
 * UTF8, PostgreSQL before 13) still opens: queries that use the functions
 * then fail, and their error says why the functions are missing.
 *
 * Calls are pointed at the schema by the SQL translation (pg_sql.c), which
 * writes cutover_norm.casefold( for casefold( and so on, rather than by the
 * search_path: a schema first in the path would receive the tables that
 * capture creates, and one last in it loses to pg_catalog.casefold of
 * PostgreSQL 18 and to a user's function of the same name.
 *
 * The schema is not named "cutover": with the default search_path
 * ("$user", public) a schema named like the role, and cutover's role is
 * often called cutover, becomes the first schema of that role's sessions,
 * and unqualified CREATEs (capture's tables) would land in it.
 */
#include "dedupe/normalize_pg.h"
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[] = {"casefold", "email_norm", "domain_norm", "name_norm"};

bool Co_pg_is_normalizer(const char *word, size_t len)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], word, len) == 0)
            return true;
    return false;
}

/* The first value of the first row of sql, "" for NULL; false on failure. */
static bool one_value(pg_store *s, const char *sql, co_buf *out)
{
    PGresult *res = PQexec(s->conn, sql);
    bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
    if (ok && PQntuples(res) > 0 && PQnfields(res) > 0)
        Co_buf_adds(out, PQgetvalue(res, 0, 0));
    PQclear(res);
    return ok;
}

static void note_problem(pg_store *s, const char *what)
{
    /* A long server message is cut: the start says what went wrong. */
    size_t n = strlen(what), cap = sizeof s->norm_problem;
    if (n >= cap)
        n = cap - 1;
    memcpy(s->norm_problem, what, n);
    s->norm_problem[n] = '\0';
}

/* Creates or replaces the functions; on failure notes why. */
static void install(pg_store *s)
{
    co_buf server = CO_BUF_INIT;
    if (!one_value(s, "SELECT pg_catalog.current_setting('server_encoding') || ' ' ||"
                      " pg_catalog.current_setting('server_version_num')",
                   &server)) {
        note_problem(s, "cannot read the server's encoding and version");
        Co_buf_release(&server);
        return;
    }
    const char *v = co_buf_str(&server);
    const char *space = strchr(v, ' ');
    long version = space ? strtol(space + 1, NULL, 10) : 0;
    if (strncmp(v, "UTF8 ", 5) != 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "the database's encoding is %.*s, and they need UTF8",
                 space ? (int)(space - v) : 0, v);
        note_problem(s, msg);
    } else if (version < 130000) {
        note_problem(s, "they need PostgreSQL 13 or later (for normalize())");
    } else {
        co_buf sql = CO_BUF_INIT;
        Co_buf_adds(&sql, "BEGIN READ WRITE; SELECT pg_catalog.pg_advisory_xact_lock("
                          "pg_catalog.hashtext('cutover.normalizers'));\n");
        Co_norm_pg_sql(&sql);
        Co_buf_adds(&sql, "COMMIT;");
        if (sql.failed) {
            note_problem(s, "out of memory");
        } else {
            PGresult *res = PQexec(s->conn, co_buf_str(&sql));
            if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
                co_error err;
                co_error_clear(&err);
                Co_pg_fail(s, res, "cannot install them", &err);
                const char *m = err.message;
                const char *side = "source: ";
                if (strncmp(m, side, strlen(side)) == 0)
                    m += strlen(side);
                note_problem(s, m);
            }
            PQclear(res);
            if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
                Co_pg_run_quietly(s, "ROLLBACK");
        }
        Co_buf_release(&sql);
    }
    Co_buf_release(&server);
}

void Co_pg_normalizers_setup(pg_store *s)
{
    static const char stamp_sql[] =
        "SELECT pg_catalog.obj_description(pg_catalog.to_regprocedure('" CO_NORM_PG_SCHEMA
        ".name_norm(text)'), 'pg_proc'), pg_catalog.to_regprocedure('" CO_NORM_PG_SCHEMA
        ".name_norm(text)') IS NOT NULL";
    co_buf want = CO_BUF_INIT;
    Co_norm_pg_stamp(&want);
    PGresult *res = PQexec(s->conn, stamp_sql);
    bool exists = false, current = false;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        current = strcmp(PQgetvalue(res, 0, 0), co_buf_str(&want)) == 0;
        exists = PQgetvalue(res, 0, 1)[0] == 't';
    }
    PQclear(res);
    s->norm_problem[0] = '\0';
    if (!current) {
        install(s);
        exists = exists || !s->norm_problem[0];
    }
    s->normalizers = exists;
    Co_buf_release(&want);
}

bool Co_pg_names_normalizer(const char *message)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(message, names[i]))
            return true;
    return false;
}
