/* test_audit_memory.c: what co_audit_tenants keeps resident after a tenant.
 * A tenant's maps (rows per parent key, duplicate clusters, the loader's key
 * maps) are freed when it ends; the memory they took must go back to the
 * system, not stay resident as free heap that the next tenants' allocations
 * may not fit (over the 150 tenants of the demo at scale 1.0, free heap kept
 * resident grew to 97 MB). Linux and glibc: resident memory is read from
 * /proc/self/statm, memory in use from mallinfo2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/audit.h"
#include "cutover/migrate.h"
#include "tmpdir.h"

#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PEOPLE 100000 /* the large tenant's people, each with one event */

static char dir[64];

static const char project_text[] =
    "source: sqlite:src.db\n"
    "target: sqlite:tgt.db\n"
    "tenants: SELECT id, name FROM accounts ORDER BY id\n"
    "entities:\n"
    "  - name: people\n"
    "    key: id\n"
    "    tenant_column: account_id\n"
    "    duplicates:\n"
    "      person:\n"
    "        on: { email: email }\n"
    "    query: SELECT id, account_id, email FROM people WHERE account_id = :tenant\n"
    "  - name: events\n"
    "    key: id\n"
    "    tenant_column: account_id\n"
    "    query: SELECT id, account_id, person_id FROM events WHERE account_id = :tenant\n"
    "    refs: { person_id: people }\n";

static void create_db(const char *name, const char *sql)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("create %s: %s", name, msg);
    sqlite3_close(db);
}

static int setup(void **state)
{
    (void)state;
    if (!test_mkdtemp(dir, sizeof dir, "cutover-auditmem"))
        return -1;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);"
             "INSERT INTO accounts VALUES (1, 'Large'), (2, 'Small');"
             "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER, email TEXT);"
             "CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER, person_id INTEGER);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO people SELECT i, 1, 'person' || i || '@example.com' FROM n;"
             "INSERT INTO events SELECT id, 1, id FROM people;"
             "INSERT INTO people VALUES (%d, 2, 'small@example.com');"
             "INSERT INTO events VALUES (%d, 2, %d);",
             PEOPLE, PEOPLE + 1, PEOPLE + 1, PEOPLE + 1);
    create_db("src.db", sql);
    create_db("tgt.db",
              "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER, email TEXT);"
              "CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER, "
              "person_id INTEGER);");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

/* Bytes resident but not in use by malloc's callers: free heap kept, plus
 * the program's own pages (code, libraries, stacks), which do not change
 * during a tenant. */
static long long resident_not_in_use(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = 0;
    if (!f || fscanf(f, "%lld %lld", &size, &resident) != 2)
        fail_msg("cannot read /proc/self/statm");
    fclose(f);
    struct mallinfo2 mi = mallinfo2();
    return resident * sysconf(_SC_PAGESIZE) - (long long)(mi.uordblks + mi.hblkhd);
}

typedef struct watch {
    long long before, after; /* resident_not_in_use around the large tenant */
} watch;

static void on_progress(void *ctx, const co_progress *p)
{
    watch *w = ctx;
    if (strcmp(p->tenant, "1") != 0)
        return;
    if (p->entity_done)
        w->after = resident_not_in_use();
    else
        w->before = resident_not_in_use();
}

/* The large tenant's maps take well over 10 MB; once it is audited, what is
 * resident and not in use has grown by less than 4 MB. */
static void a_tenant_gives_its_memory_back(void **state)
{
    (void)state;
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_project_parse(project_text, strlen(project_text), "test.yaml", dir, &p, &err) != CO_OK)
        fail_msg("project: %s", err.message);
    co_session *s = NULL;
    assert_int_equal(co_session_open(p, 0, &s, &err), CO_OK);
    co_tenant *tenants = NULL;
    size_t n = 0;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    assert_int_equal(n, 2);
    co_audit_options opt;
    co_audit_options_init(&opt);
    watch w = {0, 0};
    co_tenant_audit *audits = NULL;
    if (co_audit_tenants(s, tenants, n, &opt, on_progress, &w, &audits, &err) != CO_OK)
        fail_msg("audit: %s (%s)", err.message, err.where);
    assert_int_equal(audits[0].rows, 2 * PEOPLE);
    assert_int_equal(audits[0].limit_rows, 0);
    assert_int_equal(audits[1].rows, 2);
    long long grown = w.after - w.before;
    print_message("resident and not in use: %lld KB before the large tenant, %lld KB after\n",
                  w.before >> 10, w.after >> 10);
    if (grown >= 4LL << 20)
        fail_msg("%lld KB more resident and not in use after the large tenant", grown >> 10);
    co_tenant_audits_free(audits, n);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tenant_gives_its_memory_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
