/* test_migrate.c: the per-tenant pipeline on small SQLite databases made by
 * the test: loading, reference remapping, every reject rule the engine owns,
 * reconciliation counts, reruns, and a failed tenant leaving nothing behind;
 * moving a tenant as one call (move.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/migrate.h"
#include "cutover/move.h"
#include "cutover/report.h"
#include "cutover/verify.h"
#include "engine/engine_int.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static const char project_text[] =
    "source: sqlite:src.db\n"
    "target: sqlite:tgt.db\n"
    "tenants: SELECT id, name FROM accounts ORDER BY id\n"
    "options: { batch_size: 3 }\n"
    "entities:\n"
    "  - name: people\n"
    "    key: id\n"
    "    tenant_column: account_id\n"
    "    query: SELECT id, account_id, name FROM people WHERE account_id = :tenant\n"
    "  - name: events\n"
    "    key: [id]\n"
    "    query: SELECT id, person_id, kind FROM events WHERE account_id = :tenant\n"
    "    refs: { person_id: people }\n";

static co_code exec_on(const char *name, co_side side, const char *sql)
{
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:%s", name);
    co_store *s = NULL;
    co_error err;
    co_error_clear(&err);
    co_code rc = co_store_open(uri, side, dir, &s, &err);
    if (rc == CO_OK)
        rc = co_store_exec(s, sql, &err);
    if (rc != CO_OK)
        print_error("%s: %s\n", name, err.message);
    co_store_close(s);
    return rc;
}

static int make_databases(void **state)
{
    (void)state;
    if (!test_mkdtemp(dir, sizeof dir, "cutover-migrate"))
        return -1;
    char path[128];
    for (int i = 0; i < 2; i++) { /* the store never creates source or target files */
        snprintf(path, sizeof path, "%s/%s", dir, i ? "tgt.db" : "src.db");
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        fclose(f);
    }
    /* Opened as a target: the source side is query-only. */
    if (exec_on("src.db", CO_SIDE_TARGET,
                "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);"
                "INSERT INTO accounts VALUES (1, 'One'), (2, 'Two');"
                "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER, name TEXT);"
                "INSERT INTO people VALUES (10, 1, 'Ann'), (11, 1, NULL), (12, 1, CAST(x'4d96' AS TEXT)),"
                " (13, 1, 'Bo'), (20, 2, 'Cy');"
                "CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER, person_id, kind TEXT);"
                "INSERT INTO events VALUES (100, 1, 10, 'open'), (101, 1, 11, 'open'),"
                " (102, 1, 12, 'click'), (103, 1, 99, 'open'), (104, 1, '13', 'read'),"
                " (105, 1, 10, 'sent'), (106, 1, NULL, 'sent'), (200, 2, 20, 'open');") != CO_OK)
        return -1;
    return exec_on("tgt.db", CO_SIDE_TARGET,
                   "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,"
                   " name TEXT NOT NULL) STRICT;"
                   "CREATE TABLE events (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL,"
                   " kind TEXT NOT NULL) STRICT;") == CO_OK
               ? 0
               : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static long long count(co_session *s, const char *sql)
{
    co_cursor *c;
    co_error err;
    co_error_clear(&err);
    bool has_row;
    assert_int_equal(co_store_query(s->dest, sql, NULL, 0, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    long long n = co_cursor_value(c, 0).i;
    co_cursor_close(c);
    return n;
}

static co_project *project_from(const char *text)
{
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_project_parse(text, strlen(text), "test.yaml", dir, &p, &err) != CO_OK)
        fail_msg("project: %s (%s)", err.message, err.where);
    return p;
}

static co_project *project(void) { return project_from(project_text); }

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void migrates_remaps_and_rejects(void **state)
{
    (void)state;
    co_migrate_options plain = {.skip_rehearsal = true};
    co_project *p = project();
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, 0, &s, &err), CO_OK);
    assert_int_equal(co_session_check(s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    assert_int_equal(n, 2);
    assert_string_equal(tenants[0].key, "1");
    assert_string_equal(tenants[0].label, "One");
    assert_int_equal(tenants[0].value.type, CO_INT);

    co_migrate_result r;
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &plain, &r, &err), CO_OK);
    assert_false(r.skipped);
    /* people: 4 rows; NULL name refused by the target, 0x96 refused by the engine. */
    assert_int_equal(r.entities[0].source_rows, 4);
    assert_int_equal(r.entities[0].loaded, 2);
    assert_int_equal(r.entities[0].rejected, 2);
    /* events: 7 rows; 101 and 102 point at rejected people, 103 at none,
     * 106 has a NULL reference the target refuses; '13' as text matches 13. */
    assert_int_equal(r.entities[1].source_rows, 7);
    assert_int_equal(r.entities[1].loaded, 3);
    assert_int_equal(r.entities[1].rejected, 4);
    assert_int_equal(r.rejected, 6);
    for (size_t e = 0; e < 2; e++)
        assert_int_equal(r.entities[e].source_rows, r.entities[e].loaded + r.entities[e].rejected);
    assert_int_equal(count(s, "SELECT count(*) FROM events WHERE id = 104 AND person_id = 13"), 1);
    assert_int_equal(count(s, "SELECT count(*) FROM people WHERE account_id = 2"), 0);

    const char *lines = read_file(r.rejects_file);
    assert_non_null(strstr(lines, "\"key\":[11],\"rule\":\"not_null\""));
    assert_non_null(strstr(lines, "\"key\":[12],\"rule\":\"invalid_utf8\""));
    assert_non_null(strstr(lines, "{\"type\":\"text\",\"hex\":\"4d96\"}"));
    assert_non_null(strstr(lines, "\"key\":[101],\"rule\":\"ref_rejected\""));
    assert_non_null(strstr(lines, "\"key\":[102],\"rule\":\"ref_rejected\""));
    assert_non_null(strstr(lines, "\"key\":[103],\"rule\":\"ref_missing\""));
    assert_non_null(strstr(lines, "\"key\":[106],\"rule\":\"not_null\""));
    co_migrate_result_release(&r);

    /* A rerun skips; --again reloads to the same rows. */
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &plain, &r, &err), CO_OK);
    assert_true(r.skipped);
    co_migrate_result_release(&r);
    co_migrate_options again = {.again = true, .skip_rehearsal = true};
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &r, &err), CO_OK);
    assert_false(r.skipped);
    assert_int_equal(r.entities[1].loaded, 3);
    co_migrate_result_release(&r);
    assert_int_equal(count(s, "SELECT count(*) FROM people"), 2);
    assert_int_equal(count(s, "SELECT count(*) FROM events"), 3);

    /* The second tenant adds its own rows only. */
    assert_int_equal(co_migrate_tenant(s, &tenants[1], &plain, &r, &err), CO_OK);
    co_migrate_result_release(&r);
    assert_int_equal(count(s, "SELECT count(*) FROM people"), 3);

    /* Purge removes one tenant, children first, through its column and its id map. */
    assert_int_equal(co_purge_tenant(s, &tenants[0], &err), CO_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM people"), 1);
    assert_int_equal(count(s, "SELECT count(*) FROM events"), 1);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

static void a_failed_tenant_leaves_nothing(void **state)
{
    (void)state;
    /* The events query fails while rows stream, after people were loaded and
     * committed in batches: people must be purged again. */
    char text[2048];
    snprintf(text, sizeof text, "%s", project_text);
    char *kind = strstr(text, "SELECT id, person_id, kind FROM events");
    assert_non_null(kind);
    const char *failing = "SELECT id, person_id, CASE WHEN id > 101 THEN json_extract('no', '$') "
                          "ELSE kind END AS kind FROM events WHERE account_id = :tenant\n"
                          "    refs: { person_id: people }\n";
    snprintf(kind, sizeof text - (size_t)(kind - text), "%s", failing);
    co_project *p = project_from(text);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, CO_SESSION_START_OVER, &s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options again = {.again = true, .skip_rehearsal = true};
    co_migrate_result r;
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &r, &err), CO_ESOURCE);
    assert_non_null(strstr(err.message, "malformed JSON"));
    assert_non_null(strstr(err.where, "entity events"));
    assert_int_equal(r.entities[0].loaded, 2);
    co_migrate_result_release(&r);
    assert_int_equal(count(s, "SELECT count(*) FROM people WHERE account_id = 1"), 0);
    assert_int_equal(count(s, "SELECT count(*) FROM events WHERE id < 200"), 0);
    assert_int_equal(count(s, "SELECT count(*) FROM people WHERE account_id = 2"), 1); /* untouched */
    char st[32];
    assert_int_equal(co_state_tenant_get(s->state, "1", st, sizeof st, &err), CO_OK);
    assert_string_equal(st, "failed");
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

static void tracked_keys_duplicates_nulls_and_text(void **state)
{
    (void)state;
    /* A target without a unique key, keys with a NULL part and ids kept as
     * text: reruns purge exactly what was loaded, duplicates are rejected. */
    assert_int_equal(exec_on("src.db", CO_SIDE_TARGET,
                             "CREATE TABLE tags (account_id INTEGER, person_id, tag TEXT);"
                             "INSERT INTO tags VALUES (1, '42', 'a'), (1, '42', 'a'), (1, 10, NULL),"
                             " (1, 10, 'b'), (2, 20, 'c');"),
                     CO_OK);
    assert_int_equal(exec_on("tgt.db", CO_SIDE_TARGET, "CREATE TABLE tags (person_id, tag TEXT);"), CO_OK);
    const char *text = "source: sqlite:src.db\n"
                       "target: sqlite:tgt.db\n"
                       "tenants: SELECT id FROM accounts ORDER BY id\n"
                       "entities:\n"
                       "  - name: tags\n"
                       "    key: [person_id, tag]\n"
                       "    query: SELECT person_id, tag FROM tags WHERE account_id = :tenant\n";
    co_project *p = project_from(text);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, CO_SESSION_START_OVER, &s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options again = {.again = true, .skip_rehearsal = true};
    co_migrate_result r;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &r, &err), CO_OK);
        assert_int_equal(r.entities[0].source_rows, 4);
        assert_int_equal(r.entities[0].loaded, 3);
        assert_int_equal(r.entities[0].rejected, 1); /* the second ('42', 'a') */
        co_migrate_result_release(&r);
        assert_int_equal(count(s, "SELECT count(*) FROM tags"), 3);
        assert_int_equal(count(s, "SELECT count(*) FROM tags WHERE tag IS NULL"), 1);
        assert_int_equal(count(s, "SELECT count(*) FROM tags WHERE person_id = '42'"), 1);
    }
    assert_int_equal(co_purge_tenant(s, &tenants[0], &err), CO_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM tags"), 0);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

static void tenant_column_must_come_from_the_query(void **state)
{
    (void)state;
    const char *text = "source: sqlite:src.db\n"
                       "target: sqlite:tgt.db\n"
                       "tenants: SELECT id FROM accounts\n"
                       "entities:\n"
                       "  - name: people\n"
                       "    key: id\n"
                       "    tenant_column: account_id\n"
                       "    query: SELECT id, name FROM people WHERE account_id = :tenant\n";
    co_project *p = project_from(text);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, CO_SESSION_READ_ONLY, &s, &err), CO_OK);
    assert_int_equal(co_session_check(s, &err), CO_EPROJECT);
    assert_non_null(strstr(err.message, "tenant_column \"account_id\" is not among the query's columns"));
    co_session_close(s);
    co_project_free(p);
}

/* Catching up a merging entity: a change to a row merged into another
 * changes the merged row (survivorship runs again), a new row with the same
 * e-mail merges into the survivor, and a change that would move a row other
 * rows refer through to another target row is refused and rolled back. */
static const char merge_text[] =
    "source: sqlite:msrc.db\n"
    "target: sqlite:mtgt.db\n"
    "state: sqlite:mstate.db\n"
    "tenants: SELECT 1, 'one'\n"
    "entities:\n"
    "  - name: people\n"
    "    key: id\n"
    "    tenant_column: account_id\n"
    "    query: SELECT id, account_id, email, title, updated FROM people\n"
    "    follows: { people: { id: id } }\n"
    "    merge: { on: lower(email), columns: { title: latest(updated) } }\n"
    "  - name: events\n"
    "    key: id\n"
    "    query: SELECT id, person_id FROM events\n"
    "    refs: { person_id: people }\n"
    "  - name: memberships\n"
    "    key: [person_id, team]\n"
    "    query: SELECT person_id, team FROM memberships\n"
    "    refs: { person_id: people }\n"
    "    follows: { people: { person_id: id } }\n";

/* Rows keyed by a reference to a merging entity: a row sent to the survivor
 * (person 2 into 1) merges into the survivor's own row of the same key,
 * whichever comes first ("z": the merged-away row first; "x": the survivor's
 * first); the rows of a person nobody merged into load as they are, and a
 * duplicate among them is refused, not merged. */
static void merged_parents_collapse_their_childrens_keys(void **state)
{
    (void)state;
    char path[128];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, i ? "ctgt.db" : "csrc.db");
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
    assert_int_equal(exec_on("csrc.db", CO_SIDE_TARGET,
                             "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER,"
                             " email TEXT, title TEXT, updated TEXT);"
                             "INSERT INTO people VALUES (1, 1, 'a@x.org', 'old', '2020'),"
                             " (2, 1, 'A@x.org', 'older', '2019'), (3, 1, 'b@x.org', 'b', '2020');"
                             "CREATE TABLE events (id INTEGER PRIMARY KEY, person_id INTEGER);"
                             "CREATE TABLE memberships (person_id INTEGER, team TEXT);"
                             "INSERT INTO memberships VALUES (2, 'z'), (1, 'x'), (2, 'x'), (2, 'y'),"
                             " (3, 'x'), (1, 'z'), (3, 'x');"),
                     CO_OK);
    assert_int_equal(exec_on("ctgt.db", CO_SIDE_TARGET,
                             "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER,"
                             " email TEXT, title TEXT, updated TEXT);"
                             "CREATE TABLE events (id INTEGER PRIMARY KEY, person_id INTEGER);"
                             "CREATE TABLE memberships (person_id INTEGER, team TEXT,"
                             " PRIMARY KEY (person_id, team));"),
                     CO_OK);
    char text[sizeof merge_text];
    memcpy(text, merge_text, sizeof text);
    for (char *at; (at = strstr(text, "msrc.db")) || (at = strstr(text, "mtgt.db")) ||
                   (at = strstr(text, "mstate.db"));)
        *at = 'c';
    co_project *p = project_from(text);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, 0, &s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options plain = {.skip_rehearsal = true};
    co_migrate_result r;
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &plain, &r, &err), CO_OK);
    assert_int_equal(r.entities[0].merged, 1);
    assert_int_equal(r.entities[2].source_rows, 7);
    assert_int_equal(r.entities[2].loaded, 4);
    assert_int_equal(r.entities[2].merged, 2);
    assert_int_equal(r.entities[2].rejected, 1);
    co_migrate_result_release(&r);
    assert_int_equal(count(s, "SELECT count(*) FROM memberships WHERE person_id = 1"), 3);
    assert_int_equal(count(s, "SELECT count(*) FROM memberships WHERE person_id = 3 AND team = 'x'"), 1);
    assert_int_equal(count(s, "SELECT count(*) FROM memberships WHERE person_id = 2"), 0);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

static void refresh_in(co_session *s, const co_tenant *t, size_t entity, const char *col,
                       int64_t id, co_code expect, const char *message)
{
    co_error err;
    co_error_clear(&err);
    co_refresh *r = NULL;
    assert_int_equal(Co_refresh_begin(s, t, 1, &r, &err), CO_OK);
    const char *cols[] = {col};
    co_value v = co_int(id);
    co_code rc = Co_refresh_rows(r, entity, cols, &v, 1, 1, &err);
    if (rc != expect)
        print_error("refresh %lld: %s\n", (long long)id, err.message);
    assert_int_equal(rc, expect);
    if (message)
        assert_non_null(strstr(err.message, message));
    assert_int_equal(Co_refresh_end(r, rc == CO_OK, NULL, NULL, rc == CO_OK ? &err : NULL), CO_OK);
}

static void refresh_one(co_session *s, const co_tenant *t, int64_t id, co_code expect,
                        const char *message)
{
    refresh_in(s, t, 0, "id", id, expect, message);
}

static void catch_up_merged_rows(void **state)
{
    (void)state;
    char path[128];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, i ? "mtgt.db" : "msrc.db");
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
    assert_int_equal(exec_on("msrc.db", CO_SIDE_TARGET,
                             "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER,"
                             " email TEXT, title TEXT, updated TEXT);"
                             "INSERT INTO people VALUES (1, 1, 'a@x.org', 'old', '2020'),"
                             " (2, 1, 'A@x.org', 'older', '2019'), (3, 1, 'b@x.org', 'b', '2020');"
                             "CREATE TABLE events (id INTEGER PRIMARY KEY, person_id INTEGER);"
                             "INSERT INTO events VALUES (10, 2), (11, 3);"
                             "CREATE TABLE memberships (person_id INTEGER, team TEXT);"
                             "INSERT INTO memberships VALUES (1, 'x'), (2, 'x'), (2, 'y');"),
                     CO_OK);
    assert_int_equal(exec_on("mtgt.db", CO_SIDE_TARGET,
                             "CREATE TABLE people (id INTEGER PRIMARY KEY, account_id INTEGER,"
                             " email TEXT, title TEXT, updated TEXT);"
                             "CREATE TABLE events (id INTEGER PRIMARY KEY, person_id INTEGER);"
                             "CREATE TABLE memberships (person_id INTEGER, team TEXT,"
                             " PRIMARY KEY (person_id, team));"),
                     CO_OK);
    co_project *p = project_from(merge_text);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, 0, &s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options plain = {.skip_rehearsal = true};
    co_migrate_result r;
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &plain, &r, &err), CO_OK);
    assert_int_equal(r.entities[0].merged, 1);
    co_migrate_result_release(&r);
    assert_int_equal(count(s, "SELECT count(*) FROM people"), 2);
    assert_int_equal(count(s, "SELECT person_id FROM events WHERE id = 10"), 1);

    /* The merged-away row changes: the merged row takes its newer title. */
    assert_int_equal(exec_on("msrc.db", CO_SIDE_TARGET,
                             "UPDATE people SET title = 'new', updated = '2021' WHERE id = 2"),
                     CO_OK);
    refresh_one(s, &tenants[0], 2, CO_OK, NULL);
    assert_int_equal(count(s, "SELECT count(*) FROM people"), 2);
    assert_int_equal(count(s, "SELECT count(*) FROM people WHERE id = 1 AND title = 'new'"), 1);
    assert_int_equal(count(s, "SELECT count(*) FROM events WHERE person_id = 1"), 1);
    /* Memberships follow their person: the merged-away row's change loads again
     * the memberships of the whole merged row (2's "x" collapses into 1's). */
    assert_int_equal(count(s, "SELECT count(*) FROM memberships WHERE person_id = 1"), 2);
    refresh_in(s, &tenants[0], 2, "person_id", 2, CO_OK, NULL);
    refresh_in(s, &tenants[0], 2, "person_id", 1, CO_OK, NULL);
    assert_int_equal(count(s, "SELECT count(*) FROM memberships"), 2);
    assert_int_equal(count(s, "SELECT count(*) FROM memberships WHERE person_id = 1"), 2);

    /* A new row with the same address merges into the survivor. */
    assert_int_equal(exec_on("msrc.db", CO_SIDE_TARGET,
                             "INSERT INTO people VALUES (4, 1, 'a@X.org', 'newest', '2022')"),
                     CO_OK);
    refresh_one(s, &tenants[0], 4, CO_OK, NULL);
    assert_int_equal(count(s, "SELECT count(*) FROM people"), 2);
    assert_int_equal(count(s, "SELECT count(*) FROM people WHERE id = 1 AND title = 'newest'"), 1);

    /* The survivor leaves its cluster: row 2, which events refer through, would
     * move to a new merged row; refused, and nothing changes. */
    assert_int_equal(exec_on("msrc.db", CO_SIDE_TARGET,
                             "UPDATE people SET email = 'c@x.org' WHERE id = 1"),
                     CO_OK);
    refresh_one(s, &tenants[0], 1, CO_EUNSUPPORTED, "moves people");
    assert_int_equal(count(s, "SELECT count(*) FROM people"), 2);
    assert_int_equal(count(s, "SELECT count(*) FROM people WHERE id = 1 AND title = 'newest'"), 1);

    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

static const co_check_result *check_of(const co_verify_result *r, const char *entity,
                                       co_check_kind kind)
{
    for (size_t i = 0; i < r->nchecks; i++)
        if (strcmp(r->checks[i].entity, entity) == 0 && r->checks[i].check == kind)
            return &r->checks[i];
    fail_msg("no %s check of %s", co_check_name(kind), entity);
    return NULL;
}

static bool has_finding(const co_verify_result *r, const char *entity, const char *kind,
                        const char *key)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (strcmp(r->findings[i].entity, entity) == 0 && strcmp(r->findings[i].kind, kind) == 0 &&
            r->findings[i].key && strcmp(r->findings[i].key, key) == 0)
            return true;
    return false;
}

/* The cutover's freeze verifies only the rows found different by a full
 * verification and the rows changed since: a scope. A scoped verification
 * compares exactly those rows, checks references into a parent's scope,
 * counts every row, and trusts the rest to the full run. */
static void scoped_verification(void **state)
{
    (void)state;
    co_project *p = project();
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, CO_SESSION_START_OVER, &s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options again = {.again = true, .skip_rehearsal = true};
    co_migrate_result r;
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &r, &err), CO_OK);
    co_migrate_result_release(&r);

    /* A clean full run finds nothing to look at again. */
    co_verify_scope *diff = co_verify_scope_new(p);
    co_verify_options full = {.differences = diff};
    co_verify_result v;
    assert_int_equal(co_verify_tenant(s, &tenants[0], &full, &v, &err), CO_OK);
    assert_true(v.pass);
    assert_int_equal(co_verify_scope_count(diff, 0), 0);
    assert_int_equal(co_verify_scope_count(diff, 1), 0);
    co_verify_result_release(&v);

    /* Two rows go wrong: every difference is noted, not just the sample. */
    assert_int_equal(co_store_exec(s->dest, "UPDATE events SET kind = 'x' WHERE id = 100;"
                                            "UPDATE people SET name = 'Zed' WHERE id = 13", &err),
                     CO_OK);
    assert_int_equal(co_verify_tenant(s, &tenants[0], &full, &v, &err), CO_OK);
    assert_false(v.pass);
    int64_t full_run = v.run_id;
    co_verify_result_release(&v);
    assert_int_equal(co_verify_scope_count(diff, 0), 1);
    assert_int_equal(co_verify_scope_count(diff, 1), 1);

    /* Scoped to them: those rows are compared, and found, with the event
     * that refers to person 13 (stored as the text '13' in the source). */
    co_verify_options scoped = {.scope = diff, .since_run = full_run};
    assert_int_equal(co_verify_tenant(s, &tenants[0], &scoped, &v, &err), CO_OK);
    assert_false(v.pass);
    assert_int_equal(v.rows_compared, 3);
    assert_true(has_finding(&v, "events", "changed", "[100]"));
    assert_true(has_finding(&v, "people", "changed", "[13]"));
    /* Counts stay whole: 4 source rows = 2 loaded + 2 rejected. */
    assert_true(check_of(&v, "people", CO_CHECK_RECONCILE)->pass);
    assert_int_equal(check_of(&v, "people", CO_CHECK_RECONCILE)->expected, 4);
    co_verify_result_release(&v);

    /* An empty scope trusts the full run entirely: no row is compared. */
    co_verify_scope *none = co_verify_scope_new(p);
    co_verify_options nothing = {.scope = none, .since_run = full_run};
    assert_int_equal(co_verify_tenant(s, &tenants[0], &nothing, &v, &err), CO_OK);
    assert_true(v.pass);
    assert_int_equal(v.rows_compared, 0);
    assert_non_null(strstr(check_of(&v, "events", CO_CHECK_CONTENT)->summary, "no row changed"));
    co_verify_result_release(&v);

    /* Mended, the same scope passes and says what it compared. */
    assert_int_equal(co_store_exec(s->dest, "UPDATE events SET kind = 'open' WHERE id = 100;"
                                            "UPDATE people SET name = 'Bo' WHERE id = 13", &err),
                     CO_OK);
    assert_int_equal(co_verify_tenant(s, &tenants[0], &scoped, &v, &err), CO_OK);
    assert_true(v.pass);
    assert_non_null(strstr(check_of(&v, "events", CO_CHECK_CONTENT)->summary,
                           "2 rows changed since run"));
    co_verify_result_release(&v);

    /* A parent row in the scope goes: the children that refer to it are
     * checked although none of them is in the scope: events belong to the
     * tenant through their person, so they are missing from it now. */
    assert_int_equal(co_store_exec(s->dest, "PRAGMA foreign_keys = OFF;"
                                            "DELETE FROM people WHERE id = 10", &err),
                     CO_OK);
    co_verify_scope *parent = co_verify_scope_new(p);
    const char *id[] = {"id"};
    co_value ten = co_int(10);
    assert_int_equal(co_verify_scope_add(parent, 0, id, 1, &ten, &err), CO_OK);
    co_verify_options by_parent = {.scope = parent, .since_run = full_run};
    assert_int_equal(co_verify_tenant(s, &tenants[0], &by_parent, &v, &err), CO_OK);
    assert_false(v.pass);
    assert_true(has_finding(&v, "people", "missing", "[10]"));
    assert_true(has_finding(&v, "events", "missing", "[100]"));
    assert_true(has_finding(&v, "events", "missing", "[105]"));
    assert_int_equal(check_of(&v, "events", CO_CHECK_CONTENT)->expected, 2);
    co_verify_result_release(&v);

    co_verify_scope_free(diff);
    co_verify_scope_free(none);
    co_verify_scope_free(parent);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

/* co_move_tenant: a plain load then its verification, a rerun skipped (and
 * verified again when asked), a paused cohort not started, a tenant another
 * session (another job) holds refused. */
static void moving_a_tenant_is_one_call(void **state)
{
    (void)state;
    co_project *p = project();
    co_session *s, *other;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, CO_SESSION_START_OVER, &s, &err), CO_OK);
    assert_int_equal(co_session_open(p, CO_SESSION_READ_ONLY, &other, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_move_options opt = {.again = true, .skip_rehearsal = true, .sample = 5};
    co_move_result r;
    assert_int_equal(co_move_tenant(s, &tenants[0], &opt, &r, &err), CO_OK);
    assert_int_equal(r.status, CO_MOVE_MIGRATED);
    assert_string_equal(co_move_status_name(r.status), "migrated");
    assert_false(r.cutover);
    assert_true(r.verified);
    assert_int_equal(r.load.entities[0].loaded, 2);
    assert_int_equal(co_move_succeeded(&r), r.verification.pass);
    co_move_result_release(&r);

    co_move_options rerun = {.skip_rehearsal = true};
    assert_int_equal(co_move_tenant(s, &tenants[0], &rerun, &r, &err), CO_OK);
    assert_int_equal(r.status, CO_MOVE_SKIPPED);
    assert_false(r.verified);
    co_move_result_release(&r);
    rerun.verify_skipped = true; /* a worker's proof */
    assert_int_equal(co_move_tenant(s, &tenants[0], &rerun, &r, &err), CO_OK);
    assert_int_equal(r.status, CO_MOVE_SKIPPED);
    assert_true(r.verified);
    co_move_result_release(&r);

    /* A paused cohort: the tenant is not started. */
    char before[32], after[32];
    assert_int_equal(co_state_tenant_get(s->state, "2", before, sizeof before, &err), CO_OK);
    assert_int_equal(co_cohort_pause(s->state, 3, true, "test", &err), CO_OK);
    co_move_options cohort = {.again = true, .skip_rehearsal = true, .in_cohort = true,
                              .cohort = 3};
    assert_int_equal(co_move_tenant(s, &tenants[1], &cohort, &r, &err), CO_OK);
    assert_int_equal(r.status, CO_MOVE_PAUSED);
    assert_int_equal(r.load.nentities, 0);
    co_move_result_release(&r);
    assert_int_equal(co_state_tenant_get(s->state, "2", after, sizeof after, &err), CO_OK);
    assert_string_equal(before, after);
    assert_int_equal(co_cohort_pause(s->state, 3, false, "test", &err), CO_OK);

    /* Another job holds the tenant: refused, nothing done. */
    assert_int_equal(co_state_lease(other->state, tenants[1].key, "migrate", &err), CO_OK);
    co_move_options plain = {.again = true, .skip_rehearsal = true, .no_verify = true};
    assert_int_equal(co_move_tenant(s, &tenants[1], &plain, &r, &err), CO_EBUSY);
    assert_int_equal(r.status, CO_MOVE_FAILED);
    assert_string_equal(r.phase, "load");
    co_move_result_release(&r);
    assert_int_equal(co_state_unlease(other->state, tenants[1].key, &err), CO_OK);
    assert_int_equal(co_move_tenant(s, &tenants[1], &plain, &r, &err), CO_OK);
    assert_int_equal(r.status, CO_MOVE_MIGRATED);
    assert_false(r.verified);
    assert_true(co_move_succeeded(&r));
    co_move_result_release(&r);
    assert_int_equal(count(s, "SELECT count(*) FROM people WHERE account_id = 2"), 1);

    co_tenants_free(tenants, n);
    co_session_close(other);
    co_session_close(s);
    co_project_free(p);
}

/* Sees the SQL the stores run: [0] counts a push-down's INSERTs, [1] the
 * queries that read its failing rows again. */
static void saw_pushdown(void *ctx, co_side side, const char *what, const char *text)
{
    (void)side;
    int *seen = ctx;
    if (strcmp(what, "sql") == 0 && strstr(text, "INSERT OR ABORT INTO cutover_target"))
        seen[0]++;
    if (strcmp(what, "sql") == 0 && strstr(text, "SELECT q.*"))
        seen[1]++;
}

static void pushdown_counts_as_the_row_path(void **state)
{
    (void)state;
    assert_int_equal(exec_on("tgt.db", CO_SIDE_TARGET,
                             "CREATE TABLE IF NOT EXISTS pushed (id INTEGER PRIMARY KEY,"
                             " account_id INTEGER NOT NULL, person_id INTEGER, kind TEXT NOT NULL)"
                             " STRICT"),
                     CO_OK);
    char text[2048];
    snprintf(text, sizeof text, "%s", project_text);
    char *events = strstr(text, "  - name: events");
    assert_non_null(events);
    /* 105's kind is not UTF-8; 101, 102 refer to rejected people, 103 to none;
     * 104's '13' is text for 13; 106's NULL reference stays NULL. */
    snprintf(events, sizeof text - (size_t)(events - text), "%s",
             "  - name: pushed\n"
             "    key: [id]\n"
             "    tenant_column: account_id\n"
             "    query: SELECT id, account_id, person_id, CASE WHEN id = 105 THEN"
             " CAST(x'6f96' AS TEXT) ELSE kind END AS kind FROM events WHERE account_id = :tenant\n"
             "    refs: { person_id: people }\n");
    co_project *p = project_from(text);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, CO_SESSION_START_OVER, &s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options again = {.again = true, .skip_rehearsal = true};
    co_migrate_result rows, pushed;
    int inserts[2] = {0, 0};
    co_store_set_trace(saw_pushdown, inserts);
    setenv("CUTOVER_PUSHDOWN", "0", 1);
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &rows, &err), CO_OK);
    assert_int_equal(inserts[0], 0);
    const char *sum_sql = "SELECT sum(id * 7 + coalesce(person_id, 1000)) + 100000 * count(*)"
                          " + sum(typeof(person_id) = 'integer') FROM pushed";
    long long by_rows = count(s, sum_sql);
    unsetenv("CUTOVER_PUSHDOWN");
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &pushed, &err), CO_OK);
    co_store_set_trace(NULL, NULL);
    /* batch_size 3: three chunks, [100, 102], (102, 105], (105, ...) */
    assert_int_equal(inserts[0], 3);
    assert_int_equal(inserts[1], 0); /* the failing rows were kept, not read again */
    assert_int_equal(count(s, sum_sql), by_rows);
    assert_int_equal(count(s, "SELECT count(*) FROM pushed WHERE id = 104 AND person_id = 13"), 1);
    const co_entity_counts *a = &rows.entities[1], *b = &pushed.entities[1];
    assert_int_equal(a->source_rows, 7);
    assert_int_equal(a->loaded, 3);
    assert_int_equal(a->rejected, 4);
    assert_int_equal(b->source_rows, a->source_rows);
    assert_int_equal(b->loaded, a->loaded);
    assert_int_equal(b->rejected, a->rejected);
    assert_true(a->bytes > 0);
    assert_int_equal(b->bytes, a->bytes);
    const char *lines = read_file(pushed.rejects_file);
    assert_non_null(strstr(lines, "\"key\":[101],\"rule\":\"ref_rejected\""));
    assert_non_null(strstr(lines, "\"key\":[103],\"rule\":\"ref_missing\""));
    assert_non_null(strstr(lines, "\"key\":[105],\"rule\":\"invalid_utf8\""));
    /* options.pushdown_chunk_rows 5, not batch_size: two chunks, [100, 104], (104, ...),
     * the same rows and counts. */
    co_migrate_result chunked;
    p->pushdown_chunk_rows = 5;
    inserts[0] = inserts[1] = 0;
    co_store_set_trace(saw_pushdown, inserts);
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &chunked, &err), CO_OK);
    co_store_set_trace(NULL, NULL);
    assert_int_equal(inserts[0], 2);
    assert_int_equal(count(s, sum_sql), by_rows);
    assert_int_equal(chunked.entities[1].loaded, a->loaded);
    assert_int_equal(chunked.entities[1].rejected, a->rejected);
    assert_int_equal(chunked.entities[1].bytes, a->bytes);
    co_migrate_result_release(&chunked);
    co_migrate_result_release(&rows);
    co_migrate_result_release(&pushed);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

/* The rows that fail hold more than a push-down keeps (16 MB): they are read again. */
static void pushdown_reads_again_what_it_cannot_keep(void **state)
{
    (void)state;
    assert_int_equal(exec_on("src.db", CO_SIDE_TARGET,
                             "CREATE TABLE many (id INTEGER PRIMARY KEY, account_id INTEGER,"
                             " person_id INTEGER, note TEXT);"
                             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                             " WHERE i < 70) INSERT INTO many SELECT i, 1, CASE WHEN i <= 10"
                             " THEN 10 ELSE 99 END, CASE WHEN i <= 10 THEN 'x' ELSE"
                             " hex(zeroblob(150000)) END FROM n"),
                     CO_OK);
    assert_int_equal(exec_on("tgt.db", CO_SIDE_TARGET,
                             "CREATE TABLE many (id INTEGER PRIMARY KEY, account_id INTEGER,"
                             " person_id INTEGER, note TEXT)"),
                     CO_OK);
    char text[2048];
    snprintf(text, sizeof text, "%s", project_text);
    char *events = strstr(text, "  - name: events");
    assert_non_null(events);
    /* One chunk of the 70 rows (batch_size 3 would make 24 small ones). */
    char *batch = strstr(text, "batch_size: 3 ");
    assert_non_null(batch);
    memcpy(batch, "batch_size: 99", 14);
    snprintf(events, sizeof text - (size_t)(events - text), "%s",
             "  - name: many\n"
             "    key: [id]\n"
             "    tenant_column: account_id\n"
             "    query: SELECT id, account_id, person_id, note FROM many WHERE account_id = :tenant\n"
             "    refs: { person_id: people }\n");
    co_project *p = project_from(text);
    co_session *s;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_session_open(p, CO_SESSION_START_OVER, &s, &err), CO_OK);
    co_tenant *tenants;
    size_t n;
    assert_int_equal(co_tenants_list(s, &tenants, &n, &err), CO_OK);
    co_migrate_options again = {.again = true, .skip_rehearsal = true};
    co_migrate_result r;
    int inserts[2] = {0, 0};
    co_store_set_trace(saw_pushdown, inserts);
    assert_int_equal(co_migrate_tenant(s, &tenants[0], &again, &r, &err), CO_OK);
    co_store_set_trace(NULL, NULL);
    assert_int_equal(inserts[0], 1);
    assert_int_equal(inserts[1], 1);
    assert_int_equal(r.entities[1].source_rows, 70);
    assert_int_equal(r.entities[1].loaded, 10);
    assert_int_equal(r.entities[1].rejected, 60);
    assert_int_equal(count(s, "SELECT count(*) FROM many"), 10);
    co_migrate_result_release(&r);
    co_tenants_free(tenants, n);
    co_session_close(s);
    co_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrates_remaps_and_rejects),
        cmocka_unit_test(a_failed_tenant_leaves_nothing),
        cmocka_unit_test(tracked_keys_duplicates_nulls_and_text),
        cmocka_unit_test(tenant_column_must_come_from_the_query),
        cmocka_unit_test(catch_up_merged_rows),
        cmocka_unit_test(merged_parents_collapse_their_childrens_keys),
        cmocka_unit_test(scoped_verification),
        cmocka_unit_test(moving_a_tenant_is_one_call),
        cmocka_unit_test(pushdown_counts_as_the_row_path),
        cmocka_unit_test(pushdown_reads_again_what_it_cannot_keep),
    };
    return cmocka_run_group_tests(tests, make_databases, remove_dir);
}
