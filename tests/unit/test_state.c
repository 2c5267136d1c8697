/* test_state.c: the journal: setup row and changed project files, tenants,
 * runs and steps, id maps, rejects, and the status listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/rehearse.h"
#include "cutover/state.h"
#include "state/journal.h"   /* the typed reads of other folders */
#include "state/state_int.h" /* the journal's store, to look inside it */
#include "cutover/status.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static int setup_dir(void **state)
{
    (void)state;
    return test_mkdtemp(dir, sizeof dir, "cutover-state") ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static co_state *open_state(const char *name)
{
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:%s", name);
    co_state *st = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_state_open(uri, dir, &st, &err) != CO_OK)
        fail_msg("open: %s", err.message);
    return st;
}

static void setup_binds_the_hash_once_runs_exist(void **state)
{
    (void)state;
    co_state *st = open_state("a/state.db");
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_state_setup(st, "1111111111111111", "p.yaml", false, &err), CO_OK);
    /* No run yet: a new hash is simply taken. */
    assert_int_equal(co_state_setup(st, "2222222222222222", "p.yaml", false, &err), CO_OK);
    int64_t run = 0;
    assert_int_equal(co_state_run_begin(st, "7", "migrate", "2222222222222222", &run, &err), CO_OK);
    assert_true(run > 0);
    assert_int_equal(co_state_setup(st, "2222222222222222", "p.yaml", false, &err), CO_OK);
    assert_int_equal(co_state_setup(st, "3333333333333333", "p.yaml", false, &err), CO_ECHANGED);
    assert_non_null(strstr(err.message, "2222222222222222"));
    assert_non_null(strstr(err.message, "--start-over"));
    assert_int_equal(co_state_setup(st, "3333333333333333", "p.yaml", true, &err), CO_OK);
    assert_int_equal(co_state_setup(st, "3333333333333333", "p.yaml", false, &err), CO_OK);
    co_state_close(st);

    /* The setup survives reopening, and the unfinished run was abandoned. */
    st = open_state("a/state.db");
    assert_int_equal(co_state_setup(st, "2222222222222222", "p.yaml", false, &err), CO_ECHANGED);
    co_tenant_status *rows;
    size_t n;
    assert_int_equal(co_state_tenant_move(st, "7", CO_LC_MIGRATING, run, &err), CO_OK);
    assert_int_equal(co_state_tenant_move(st, "7", CO_LC_FAILED, run, &err), CO_OK);
    assert_int_equal(co_status_list(st, &rows, &n, &err), CO_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].run_status, "abandoned");
    co_status_free(rows, n);
    co_state_close(st);
}

static void tenants_runs_and_steps(void **state)
{
    (void)state;
    co_state *st = open_state("b.db");
    co_error err;
    co_error_clear(&err);
    char buf[32];
    assert_int_equal(co_state_tenant_get(st, "10", buf, sizeof buf, &err), CO_OK);
    assert_string_equal(buf, "new");
    assert_int_equal(co_state_tenant_seen(st, "10", "Ten", &err), CO_OK);
    assert_int_equal(co_state_tenant_seen(st, "9", "Nine", &err), CO_OK);
    assert_int_equal(co_state_tenant_seen(st, "acme", NULL, &err), CO_OK);
    int64_t run;
    assert_int_equal(co_state_run_begin(st, "10", "migrate", "h", &run, &err), CO_OK);
    assert_int_equal(co_state_tenant_move(st, "10", CO_LC_MIGRATING, run, &err), CO_OK);
    assert_int_equal(co_state_step_begin(st, run, "load:a", "a", &err), CO_OK);
    assert_int_equal(co_state_step_end(st, run, "load:a", "done", 10, 8, 2, 0.5, &err), CO_OK);
    assert_int_equal(co_state_step_begin(st, run, "load:b", "b", &err), CO_OK);
    assert_int_equal(co_state_step_end(st, run, "load:b", "done", 5, 5, 0, 0.25, &err), CO_OK);
    assert_int_equal(co_state_run_end(st, run, "done", NULL, 0.75, &err), CO_OK);
    assert_int_equal(co_state_tenant_move(st, "10", CO_LC_MIGRATED, run, &err), CO_OK);
    assert_int_equal(co_state_tenant_get(st, "10", buf, sizeof buf, &err), CO_OK);
    assert_string_equal(buf, "migrated");

    co_tenant_status *rows;
    size_t n;
    assert_int_equal(co_status_list(st, &rows, &n, &err), CO_OK);
    assert_int_equal(n, 3);
    /* Numeric keys in numeric order, then text keys. */
    assert_string_equal(rows[0].tenant, "9");
    assert_string_equal(rows[1].tenant, "10");
    assert_string_equal(rows[2].tenant, "acme");
    assert_string_equal(rows[1].label, "Ten");
    assert_null(rows[2].label);
    assert_int_equal(rows[1].last_run, run);
    assert_int_equal(rows[1].source_rows, 15);
    assert_int_equal(rows[1].loaded, 13);
    assert_int_equal(rows[1].rejected, 2);
    assert_string_equal(rows[1].run_status, "done");
    assert_int_equal(rows[0].last_run, 0);
    assert_string_equal(rows[0].state, "new");
    co_status_free(rows, n);
    co_state_close(st);
}

static void id_maps_and_rejects(void **state)
{
    (void)state;
    co_state *st = open_state("c.db");
    co_store *s = Co_state_store(st);
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    for (int i = 0; i < 100; i++) {
        char key[16];
        snprintf(key, sizeof key, "[%d]", i);
        assert_int_equal(co_state_idmap_add(st, "t1", "contacts", key, key, &err), CO_OK);
    }
    assert_int_equal(co_state_idmap_add(st, "t2", "contacts", "[1]", "[1]", &err), CO_OK);
    assert_int_equal(co_state_reject_add(st, 1, "t1", "contacts", "[5]", "check", "bad email", &err),
                     CO_OK);
    assert_int_equal(co_state_commit(st, &err), CO_OK);
    co_cursor *c;
    assert_int_equal(co_state_idmap_query(st, "t1", "contacts", &c, &err), CO_OK);
    int count = 0;
    bool has_row;
    while (co_cursor_next(c, &has_row, &err) == CO_OK && has_row)
        count++;
    co_cursor_close(c);
    assert_int_equal(count, 100);
    assert_int_equal(co_state_idmap_clear(st, "t1", "contacts", &err), CO_OK);
    assert_int_equal(co_state_idmap_query(st, "t1", "contacts", &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_false(has_row);
    co_cursor_close(c);
    /* Another tenant's map is untouched. */
    assert_int_equal(co_state_idmap_query(st, "t2", "contacts", &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_true(has_row);
    co_cursor_close(c);
    /* The same key twice in one tenant's map is an error, not a silent drop. */
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    assert_int_equal(co_state_idmap_add(st, "t2", "contacts", "[1]", "[1]", &err), CO_OK);
    assert_int_equal(co_state_commit(st, &err), CO_ESTATE);
    co_state_rollback(st);
    assert_int_equal(co_state_rejects_clear(st, "t1", &err), CO_OK);
    assert_int_equal(co_store_query(s, "SELECT count(*) FROM rejects", NULL, 0, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_int_equal(co_cursor_value(c, 0).i, 0);
    co_cursor_close(c);
    co_state_close(st);
}

/* Rejects, merges and id map rows are buffered until the commit; a read of
 * the journal sees them all the same (every read flushes first). */
static void reads_see_buffered_rows(void **state)
{
    (void)state;
    co_state *st = open_state("buffered.db");
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_state_begin(st, &err), CO_OK);
    assert_int_equal(co_state_reject_add(st, 1, "t1", "contacts", "[5]", "check", "bad", &err),
                     CO_OK);
    assert_int_equal(co_state_merge_add(st, "t1", "contacts", "[6]", "[7]", "same", -1, &err),
                     CO_OK);
    assert_int_equal(co_state_idmap_add(st, "t1", "contacts", "[7]", "[70]", &err), CO_OK);
    co_map rejected, merged, targets;
    Co_map_init(&rejected);
    Co_map_init(&merged);
    Co_map_init(&targets);
    assert_int_equal(Co_state_rejected_keys(st, "t1", "contacts", &rejected, &err), CO_OK);
    assert_int_equal(Co_state_merged_pairs(st, "t1", "contacts", &merged, &err), CO_OK);
    assert_int_equal(Co_state_idmap_targets(st, "t1", "contacts", &targets, &err), CO_OK);
    assert_int_equal(co_map_count(&rejected), 1);
    const char *to = NULL;
    size_t len = 0;
    assert_true(Co_map_get(&merged, "[6]", 3, &to, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(to, "[7]", 3);
    assert_true(Co_map_get(&targets, "[70]", 4, NULL, NULL));
    int64_t n = 0;
    assert_int_equal(Co_state_merges_count(st, "t1", "contacts", &n, &err), CO_OK);
    assert_int_equal(n, 1);
    Co_map_release(&rejected);
    Co_map_release(&merged);
    Co_map_release(&targets);
    /* what the rollback discards is what was buffered since the flush: the
     * transaction takes the flushed rows with it */
    co_state_rollback(st);
    Co_map_init(&rejected);
    assert_int_equal(Co_state_rejected_keys(st, "t1", "contacts", &rejected, &err), CO_OK);
    assert_int_equal(co_map_count(&rejected), 0);
    Co_map_release(&rejected);
    co_state_close(st);
}

static void the_journal_is_in_wal_mode(void **state)
{
    (void)state;
    co_state *st = open_state("d.db");
    co_error err;
    co_error_clear(&err);
    co_cursor *c;
    bool has_row;
    assert_int_equal(co_store_query(Co_state_store(st), "PRAGMA journal_mode", NULL, 0, &c, &err), CO_OK);
    assert_int_equal(co_cursor_next(c, &has_row, &err), CO_OK);
    assert_string_equal(co_cursor_value(c, 0).s, "wal");
    co_cursor_close(c);
    co_state_close(st);
}

/* A journal has one identity for its life; a 0-byte file or another
 * database is refused by name, never made a journal. */
static void the_journal_has_an_identity_and_must_be_one(void **state)
{
    (void)state;
    co_error err;
    co_error_clear(&err);
    co_state *st = open_state("id/state.db");
    char a[37], b[37];
    assert_int_equal(co_state_journal_id(st, a, &err), CO_OK);
    assert_int_equal(strlen(a), 36);
    co_state_close(st);
    st = open_state("id/state.db");
    assert_int_equal(co_state_journal_id(st, b, &err), CO_OK);
    assert_string_equal(a, b);
    co_state_close(st);
    co_state *other = open_state("id/other.db");
    assert_int_equal(co_state_journal_id(other, b, &err), CO_OK);
    assert_string_not_equal(a, b);
    co_state_close(other);

    char path[128];
    snprintf(path, sizeof path, "%s/id/empty.db", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    /* older than a journal another process is creating: refused at once */
    assert_int_equal(utimensat(AT_FDCWD, path, (struct timespec[2]){{0, 0}, {0, 0}}, 0), 0);
    co_state *none = NULL;
    assert_int_equal(co_state_open("sqlite:id/empty.db", dir, &none, &err), CO_ESTATE);
    assert_non_null(strstr(err.message, "empty.db is empty (0 bytes)"));
    assert_null(none);
    snprintf(path, sizeof path, "%s/id/foreign.db", dir);
    fclose(fopen(path, "w")); /* another application's database */
    snprintf(path, sizeof path, "sqlite:%s/id/foreign.db", dir);
    co_store *db = NULL;
    assert_int_equal(co_store_open(path, CO_SIDE_TARGET, NULL, &db, &err), CO_OK);
    assert_int_equal(co_store_exec(db, "CREATE TABLE orders (id INTEGER)", &err), CO_OK);
    co_store_close(db);
    assert_int_equal(co_state_open("sqlite:id/foreign.db", dir, &none, &err), CO_ESTATE);
    assert_non_null(strstr(err.message, "not a cutover journal"));
}

/* Schema fingerprints compare column by column, naming each change. */
static void schema_fingerprints_name_what_changed(void **state)
{
    (void)state;
    const char *then = "source events.id\tINTEGER key\nsource events.at\tTEXT not-null\n"
                       "target contacts.id\tINTEGER key\n";
    const char *now = "source events.id\tINTEGER key\nsource events.at\tINTEGER not-null\n"
                      "target contacts.id\tINTEGER key\ntarget contacts.nick\tTEXT\n";
    char *changes = NULL;
    assert_true(co_schema_compare(then, then, &changes));
    assert_null(changes);
    assert_false(co_schema_compare(then, now, &changes));
    assert_string_equal(changes, "source events.at TEXT not-null -> INTEGER not-null; "
                                 "target contacts.nick added (TEXT)");
    free(changes);
    assert_false(co_schema_compare(now, then, &changes));
    assert_non_null(strstr(changes, "target contacts.nick removed (TEXT)"));
    free(changes);
}

/* The lifecycle: names and states both ways, the transitions the code makes,
 * and one function that refuses, naming both states, what the lifecycle
 * does not allow, journaling nothing. */
static void the_lifecycle_refuses_what_it_does_not_allow(void **state)
{
    (void)state;
    for (int i = 0; i < CO_LC_COUNT; i++) {
        co_lifecycle back;
        assert_true(co_lifecycle_parse(co_lifecycle_name((co_lifecycle)i), &back));
        assert_int_equal(back, i);
        assert_true(co_lifecycle_allows((co_lifecycle)i, (co_lifecycle)i));
    }
    co_lifecycle none;
    assert_false(co_lifecycle_parse("exported", &none));
    assert_false(co_lifecycle_is(NULL, CO_LC_NEW));
    assert_string_equal(co_lifecycle_name(CO_LC_ROLLBACK_INCOMPLETE), "rollback_incomplete");

    co_state *st = open_state("lc.db");
    co_error err;
    co_error_clear(&err);
    co_lifecycle lc = CO_LC_FAILED;
    assert_int_equal(co_state_tenant_lifecycle(st, "1", &lc, &err), CO_OK);
    assert_int_equal(lc, CO_LC_NEW);
    /* a cutover: migrating, migrated, frozen, a lapse, frozen, switched */
    static const co_lifecycle path[] = {CO_LC_MIGRATING, CO_LC_MIGRATED, CO_LC_FROZEN,
                                        CO_LC_MIGRATING, CO_LC_FROZEN,   CO_LC_SWITCHED};
    for (size_t i = 0; i < sizeof path / sizeof *path; i++)
        assert_int_equal(co_state_tenant_move(st, "1", path[i], 0, &err), CO_OK);
    /* a switched tenant is rolled back before it moves again */
    assert_int_equal(co_state_tenant_move(st, "1", CO_LC_MIGRATING, 0, &err), CO_ENOTREADY);
    assert_non_null(strstr(err.message, "from switched to migrating"));
    char buf[32];
    assert_int_equal(co_state_tenant_get(st, "1", buf, sizeof buf, &err), CO_OK);
    assert_string_equal(buf, "switched");
    assert_int_equal(co_state_tenant_move(st, "1", CO_LC_FINALIZED, 0, &err), CO_OK);
    /* finalized is the end: no rollback, no verification moves it */
    assert_int_equal(co_state_tenant_move(st, "1", CO_LC_ROLLED_BACK, 0, &err), CO_ENOTREADY);
    assert_non_null(strstr(err.message, "from finalized to rolled_back"));
    assert_false(co_lifecycle_allows(CO_LC_FINALIZED, CO_LC_VERIFIED));
    assert_false(co_lifecycle_allows(CO_LC_FROZEN, CO_LC_VERIFIED));
    assert_false(co_lifecycle_allows(CO_LC_NEW, CO_LC_MIGRATED));
    /* rollbacks from anywhere before finalize; a rebuilt journal's switch */
    for (int i = 0; i < CO_LC_COUNT; i++)
        assert_true(co_lifecycle_allows((co_lifecycle)i, CO_LC_ROLLED_BACK) == (i != CO_LC_FINALIZED));
    assert_true(co_lifecycle_allows(CO_LC_NEW, CO_LC_SWITCHED));
    /* a rollback by reverse sync waits for its purge: purge_pending goes
     * only to rolled_back (a migrate must purge first) */
    assert_string_equal(co_lifecycle_name(CO_LC_PURGE_PENDING), "purge_pending");
    assert_true(co_lifecycle_allows(CO_LC_SWITCHED, CO_LC_PURGE_PENDING));
    assert_false(co_lifecycle_allows(CO_LC_SYNCING, CO_LC_PURGE_PENDING));
    assert_false(co_lifecycle_allows(CO_LC_FINALIZED, CO_LC_PURGE_PENDING));
    for (int i = 0; i < CO_LC_COUNT; i++)
        assert_true(co_lifecycle_allows(CO_LC_PURGE_PENDING, (co_lifecycle)i) ==
                    (i == CO_LC_PURGE_PENDING || i == CO_LC_ROLLED_BACK));
    co_state_close(st);
}

/* The jobs of --jobs N are journals open in one process, whose lease rows
 * would name the same pid: the second job must not take a tenant the first
 * holds, and takes it once given back. */
static void two_journals_of_one_process_never_hold_one_tenant(void **state)
{
    (void)state;
    co_state *a = open_state("jobs/state.db");
    co_state *b = open_state("jobs/state.db");
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_state_lease(a, "7", "migrate", &err), CO_OK);
    assert_int_equal(co_state_lease(a, "7", "verify", &err), CO_OK); /* nests in one job */
    assert_int_equal(co_state_lease(b, "7", "migrate", &err), CO_EBUSY);
    assert_non_null(strstr(err.message, "another job"));
    assert_int_equal(co_state_lease(b, "8", "migrate", &err), CO_OK); /* another tenant */
    co_state *other = open_state("rehearsal/state.db"); /* another journal leases apart */
    assert_int_equal(co_state_lease(other, "7", "rehearse", &err), CO_OK);
    co_state_close(other);
    assert_int_equal(co_state_unlease(a, "7", &err), CO_OK);
    assert_int_equal(co_state_lease(b, "7", "migrate", &err), CO_EBUSY); /* still nested */
    assert_int_equal(co_state_unlease(a, "7", &err), CO_OK);
    assert_int_equal(co_state_lease(b, "7", "migrate", &err), CO_OK);
    assert_int_equal(co_state_lease(a, "8", "migrate", &err), CO_EBUSY);
    co_state_close(b); /* gives its leases back */
    assert_int_equal(co_state_lease(a, "8", "migrate", &err), CO_OK);
    assert_int_equal(co_state_lease(a, "7", "migrate", &err), CO_OK);
    co_state_close(a);
}

/* A run whose process died (SIGKILL) stays "running" in the journal until
 * another process takes the tenant's lease over: then it is interrupted,
 * and only the dead holder's runs of that tenant are. */
static void a_lease_taken_over_ends_the_dead_holders_runs(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    assert_true(child > 0);
    assert_int_equal(waitpid(child, NULL, 0), child); /* its pid is now gone */
    co_state *st = open_state("takeover/state.db");
    co_error err;
    co_error_clear(&err);
    char host[256];
    assert_int_equal(gethostname(host, sizeof host), 0);
    host[sizeof host - 1] = '\0';
    int64_t dead_run, other_tenant, live_run, status_ok = 0;
    assert_int_equal(co_state_run_begin(st, "5", "migrate", "h", &dead_run, &err), CO_OK);
    assert_int_equal(co_state_run_begin(st, "6", "migrate", "h", &other_tenant, &err), CO_OK);
    assert_int_equal(co_state_run_begin(st, "5", "verify", "h", &live_run, &err), CO_OK);
    co_store *s = Co_state_store(st);
    co_param dead[] = {{NULL, co_int(child)}, {NULL, co_text(host, strlen(host))}};
    assert_int_equal(co_store_exec_params(s, "UPDATE runs SET pid = ? WHERE tenant = '6'"
                                             " OR (tenant = '5' AND command = 'migrate')",
                                          dead, 1, NULL, &err), CO_OK);
    assert_int_equal(co_store_exec_params(s, "INSERT INTO leases (tenant, pid, host, command,"
                                             " started_at) VALUES ('5', ?, ?, 'migrate', 'then')",
                                          dead, 2, NULL, &err), CO_OK);
    assert_int_equal(co_state_lease(st, "5", "migrate", &err), CO_OK);
    co_param id = {NULL, co_int(dead_run)};
    assert_int_equal(co_store_query_int(s, "SELECT status = 'interrupted' AND ended_at IS NOT NULL"
                                           " AND error LIKE '%is gone; taken over by pid%'"
                                           " FROM runs WHERE id = ?", &id, 1, &status_ok, NULL, &err), CO_OK);
    assert_int_equal(status_ok, 1);
    int64_t running = 0;
    assert_int_equal(co_store_query_int(s, "SELECT count(*) FROM runs WHERE status = 'running'",
                                        NULL, 0, &running, NULL, &err), CO_OK);
    assert_int_equal(running, 2); /* tenant 6's (its lease not taken), this process's verify */
    assert_int_equal(co_state_unlease(st, "5", &err), CO_OK);
    co_state_close(st);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Another process's `cutover sync` gives tenant 9 back after a moment. */
static void *sync_round_ends(void *arg)
{
    (void)arg;
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    co_state *st = NULL;
    co_error err;
    if (co_state_open("sqlite:wait/state.db", dir, &st, &err) == CO_OK)
        co_store_exec(Co_state_store(st), "DELETE FROM leases WHERE tenant = '9'", &err);
    co_state_close(st);
    return NULL;
}

/* Co_state_lease_wait with sync_only waits while the holder is a sync round
 * (whatever its error message says) and gives up at once on any other. */
static void a_lease_wait_for_sync_waits_for_sync_only(void **state)
{
    (void)state;
    co_state *st = open_state("wait/state.db");
    co_error err;
    co_error_clear(&err);
    char host[256];
    assert_int_equal(gethostname(host, sizeof host), 0);
    host[sizeof host - 1] = '\0';
    co_param live[] = {{NULL, co_int(getppid())}, {NULL, co_text(host, strlen(host))}};
    co_store *s = Co_state_store(st);
    assert_int_equal(co_store_exec_params(s, "INSERT INTO leases (tenant, pid, host, command,"
                                             " started_at) VALUES ('9', ?, ?, 'migrate', 'then')",
                                          live, 2, NULL, &err), CO_OK);
    double started = mono_now();
    assert_int_equal(Co_state_lease_wait(st, "9", "verify", true, &err), CO_EBUSY);
    assert_true(mono_now() - started < 5);
    assert_non_null(strstr(err.message, "held by cutover migrate"));
    co_error_clear(&err);
    assert_int_equal(co_store_exec(s, "UPDATE leases SET command = 'sync' WHERE tenant = '9'",
                                   &err), CO_OK);
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, sync_round_ends, NULL), 0);
    started = mono_now();
    assert_int_equal(Co_state_lease_wait(st, "9", "verify", true, &err), CO_OK);
    assert_true(mono_now() - started >= 0.25);
    assert_int_equal(pthread_join(other, NULL), 0);
    assert_int_equal(co_state_unlease(st, "9", &err), CO_OK);
    co_state_close(st);
}

/* The journal's schema comes in numbered steps, each recorded once; a
 * journal that a newer cutover took further is refused, not opened. */
static void a_journal_records_its_schema_steps_and_refuses_a_newer_one(void **state)
{
    (void)state;
    co_state *st = open_state("versions/state.db");
    co_error err;
    co_error_clear(&err);
    int64_t steps = 0, last = 0;
    co_store *s = Co_state_store(st);
    assert_int_equal(co_store_query_int(s, "SELECT count(*) FROM schema_migrations", NULL, 0,
                                        &steps, NULL, &err), CO_OK);
    assert_int_equal(co_store_query_int(s, "SELECT max(version) FROM schema_migrations", NULL, 0,
                                        &last, NULL, &err), CO_OK);
    assert_int_equal(steps, CO_STATE_SCHEMA_VERSION);
    assert_int_equal(last, CO_STATE_SCHEMA_VERSION);
    co_state_close(st);
    st = open_state("versions/state.db"); /* opened again: nothing applied twice */
    s = Co_state_store(st);
    assert_int_equal(co_store_query_int(s, "SELECT count(*) FROM schema_migrations", NULL, 0,
                                        &steps, NULL, &err), CO_OK);
    assert_int_equal(steps, CO_STATE_SCHEMA_VERSION);
    co_param v = {NULL, co_int(CO_STATE_SCHEMA_VERSION + 1)};
    assert_int_equal(co_store_exec_params(s, "INSERT INTO schema_migrations VALUES (?, 'then')",
                                          &v, 1, NULL, &err), CO_OK);
    co_state_close(st);
    st = NULL;
    assert_int_equal(co_state_open("sqlite:versions/state.db", dir, &st, &err), CO_EUNSUPPORTED);
    assert_null(st);
    assert_non_null(strstr(err.message, "made by a newer cutover"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(setup_binds_the_hash_once_runs_exist),
        cmocka_unit_test(tenants_runs_and_steps),
        cmocka_unit_test(id_maps_and_rejects),
        cmocka_unit_test(reads_see_buffered_rows),
        cmocka_unit_test(the_journal_is_in_wal_mode),
        cmocka_unit_test(two_journals_of_one_process_never_hold_one_tenant),
        cmocka_unit_test(a_lease_taken_over_ends_the_dead_holders_runs),
        cmocka_unit_test(a_lease_wait_for_sync_waits_for_sync_only),
        cmocka_unit_test(a_journal_records_its_schema_steps_and_refuses_a_newer_one),
        cmocka_unit_test(the_journal_has_an_identity_and_must_be_one),
        cmocka_unit_test(schema_fingerprints_name_what_changed),
        cmocka_unit_test(the_lifecycle_refuses_what_it_does_not_allow),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
