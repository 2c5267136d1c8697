/* test_audit_memory.c: what co_audit_tenants keeps resident after a tenant.
 * A tenant's maps (rows per parent key, duplicate clusters, the loader's key
 * maps) are freed when it ends; the memory they took must go back to the
 * system, not stay resident as free heap that the next tenants' allocations
 * may not fit (over the 150 tenants of the demo at scale 1.0, free heap kept
 * resident grew to 97 MB). And a tenant whose keys fall among those of the
 * tenants audited before must not hold in memory the scratch copy's pages it
 * changes. Linux and glibc: resident memory is read from /proc/self/statm
 * and /proc/self/status, memory in use from mallinfo2. */
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

/* Opens a session on the project text (files in dir) and lists its two
 * tenants. */
static co_session *open_two(const char *text, co_project **p, co_tenant **tenants)
{
    co_error err;
    co_error_clear(&err);
    if (co_project_parse(text, strlen(text), "test.yaml", dir, p, &err) != CO_OK)
        fail_msg("project: %s", err.message);
    co_session *s = NULL;
    assert_int_equal(co_session_open(*p, 0, &s, &err), CO_OK);
    size_t n = 0;
    assert_int_equal(co_tenants_list(s, tenants, &n, &err), CO_OK);
    assert_int_equal(n, 2);
    return s;
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
    co_tenant *tenants = NULL;
    size_t n = 2;
    co_session *s = open_two(project_text, &p, &tenants);
    co_error err;
    co_error_clear(&err);
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

/* ---- a tenant whose rows land among an earlier tenant's ---- */

#define NOTES 60000 /* per tenant, about 10 MB of rows each */

static const char notes_project[] =
    "source: sqlite:notes-src.db\n"
    "target: sqlite:notes-tgt.db\n"
    "tenants: SELECT id FROM accounts ORDER BY id\n"
    "options: { batch_size: 100000 }\n"
    "entities:\n"
    "  - name: notes\n"
    "    key: id\n"
    "    tenant_column: account_id\n"
    "    query: SELECT id, account_id, body FROM notes WHERE account_id = :tenant\n";

/* The peak resident size so far (VmHWM), in bytes. */
static long long peak_resident(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    if (kb < 0)
        fail_msg("no VmHWM in /proc/self/status");
    return kb << 10;
}

/* Bytes of the scratch copy's target.db files under dir (TMPDIR). */
static long long scratch_bytes(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "cat %s/cutover-audit.*/target.db 2>/dev/null | wc -c", dir);
    FILE *p = popen(cmd, "r");
    long long n = -1;
    if (!p || fscanf(p, "%lld", &n) != 1)
        fail_msg("cannot size the scratch copy");
    pclose(p);
    return n;
}

typedef struct peaks {
    long long peak[2], scratch[2]; /* after each tenant */
} peaks;

static void on_notes_progress(void *ctx, const co_progress *p)
{
    peaks *pk = ctx;
    if (!p->entity_done || p->entity_index > 1)
        return;
    pk->peak[p->entity_index] = peak_resident();
    pk->scratch[p->entity_index] = scratch_bytes();
}

/* The scratch copy keeps the tenants audited before; a tenant whose keys
 * interleave with theirs changes nearly every page they hold in one batch.
 * The rollback journal holding those pages is a file: the second tenant
 * raises the peak by what its own rows add to the scratch copy (its pages in
 * the cache), not also by the first tenant's pages (about 10 MB). */
static void interleaved_keys_need_no_memory_for_the_pages_they_change(void **state)
{
    (void)state;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE accounts (id INTEGER PRIMARY KEY);"
             "INSERT INTO accounts VALUES (1), (2);"
             "CREATE TABLE notes (id INTEGER PRIMARY KEY, account_id INTEGER, body TEXT);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO notes SELECT i, 2 - i %% 2, printf('%%0150d', i) FROM n;",
             2 * NOTES);
    create_db("notes-src.db", sql);
    create_db("notes-tgt.db",
              "CREATE TABLE notes (id INTEGER PRIMARY KEY, account_id INTEGER, body TEXT);");
    co_project *p = NULL;
    co_tenant *tenants = NULL;
    size_t n = 2;
    co_session *s = open_two(notes_project, &p, &tenants);
    co_error err;
    co_error_clear(&err);
    co_audit_options opt;
    co_audit_options_init(&opt);
    char *tmp = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", dir, 1); /* the scratch copy goes where the test can size it */
    peaks pk = {{0, 0}, {0, 0}};
    co_tenant_audit *audits = NULL;
    co_code rc = co_audit_tenants(s, tenants, n, &opt, on_notes_progress, &pk, &audits, &err);
    if (tmp)
        setenv("TMPDIR", tmp, 1);
    else
        unsetenv("TMPDIR");
    free(tmp);
    if (rc != CO_OK)
        fail_msg("audit: %s (%s)", err.message, err.where);
    assert_int_equal(audits[0].rows, NOTES);
    assert_int_equal(audits[1].rows, NOTES);
    long long first = pk.scratch[0], added = pk.scratch[1] - pk.scratch[0];
    long long raised = pk.peak[1] - pk.peak[0];
    print_message("scratch copy %lld KB after the first tenant, %lld KB more after the second; "
                  "peak raised by %lld KB\n",
                  first >> 10, added >> 10, raised >> 10);
    assert_true(first > 8LL << 20);
    if (raised > added + (2LL << 20))
        fail_msg("the second tenant raised the peak by %lld KB, its rows added %lld KB",
                 raised >> 10, added >> 10);
    co_tenant_audits_free(audits, n);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

/* ---- a tenant larger than the scratch copy's page cache ---- */

#define BIG_NOTES 240000 /* one tenant, about 48 MB of rows in one batch */

/* A tenant's rows fill the scratch copy with far more pages than its page
 * cache (16 MB, Co_store_writer_cache) holds, in one transaction: the pages
 * past the cap go to the file, and the peak rises by less than the rows take
 * (with a target's 64 MB cache it rose by all of them and more; each job of
 * --jobs N has a scratch copy of its own). */
static void the_scratch_copy_keeps_a_capped_page_cache(void **state)
{
    (void)state;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE accounts (id INTEGER PRIMARY KEY);"
             "INSERT INTO accounts VALUES (1), (2);"
             "CREATE TABLE notes (id INTEGER PRIMARY KEY, account_id INTEGER, body TEXT);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO notes SELECT i, 1, printf('%%0180d', i) FROM n;"
             "INSERT INTO notes VALUES (%d, 2, 'small');",
             BIG_NOTES, BIG_NOTES + 1);
    create_db("big-src.db", sql);
    create_db("big-tgt.db",
              "CREATE TABLE notes (id INTEGER PRIMARY KEY, account_id INTEGER, body TEXT);");
    static const char big_project[] =
        "source: sqlite:big-src.db\n"
        "target: sqlite:big-tgt.db\n"
        "tenants: SELECT id FROM accounts ORDER BY id\n"
        "options: { batch_size: 1000000 }\n"
        "entities:\n"
        "  - name: notes\n"
        "    key: id\n"
        "    tenant_column: account_id\n"
        "    query: SELECT id, account_id, body FROM notes WHERE account_id = :tenant\n";
    co_project *p = NULL;
    co_tenant *tenants = NULL;
    size_t n = 2;
    co_session *s = open_two(big_project, &p, &tenants);
    co_error err;
    co_error_clear(&err);
    co_audit_options opt;
    co_audit_options_init(&opt);
    char *tmp = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", dir, 1); /* the scratch copy goes where the test can size it */
    peaks pk = {{0, 0}, {0, 0}};
    /* The peak of the tests before is forgotten: VmHWM starts again from
     * what is resident now (Linux 4.0). */
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f || fputs("5", f) < 0 || fclose(f) != 0)
        fail_msg("cannot reset the peak resident size (/proc/self/clear_refs)");
    long long before = peak_resident();
    co_tenant_audit *audits = NULL;
    co_code rc = co_audit_tenants(s, tenants, n, &opt, on_notes_progress, &pk, &audits, &err);
    if (tmp)
        setenv("TMPDIR", tmp, 1);
    else
        unsetenv("TMPDIR");
    free(tmp);
    if (rc != CO_OK)
        fail_msg("audit: %s (%s)", err.message, err.where);
    assert_int_equal(audits[0].rows, BIG_NOTES);
    long long raised = pk.peak[0] - before;
    print_message("scratch copy %lld KB after the large tenant; peak raised by %lld KB\n",
                  pk.scratch[0] >> 10, raised >> 10);
    assert_true(pk.scratch[0] > 44LL << 20);
    if (raised >= pk.scratch[0]) /* 34 MB with the cap, 69 MB with a target's cache */
        fail_msg("the tenant raised the peak by %lld KB, its rows take %lld KB", raised >> 10,
                 pk.scratch[0] >> 10);
    co_tenant_audits_free(audits, n);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tenant_gives_its_memory_back),
        cmocka_unit_test(interleaved_keys_need_no_memory_for_the_pages_they_change),
        cmocka_unit_test(the_scratch_copy_keeps_a_capped_page_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
