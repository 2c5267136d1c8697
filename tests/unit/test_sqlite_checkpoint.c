/* test_sqlite_checkpoint.c: the checkpointer of a SQLite target in WAL mode
 * (src/store/sqlite_checkpoint.c). The commits of a connection that follows
 * it are checkpointed by its thread, not by the commit, those of an attached
 * file too (a push-down's connection); past its cap a commit checkpoints
 * itself, so that the WAL starts over and its file stays bounded; every row
 * committed reads back; a connection that stops following gets SQLite's own
 * checkpoints back; CUTOVER_CHECKPOINT=0 makes none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/sqlite_int.h"
#include "tmpdir.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096
#define ROWS_PER_COMMIT 20 /* each row a page of its own: 20 or more frames a commit */

typedef struct fixture {
    char dir[256], path[300], wal[310];
    sqlite3 *db;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_non_null(test_mkdtemp(f->dir, sizeof f->dir, "cutover-ckpt"));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->wal, sizeof f->wal, "%s-wal", f->path);
    assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(f->db,
                                  "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;"
                                  "CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sqlite3_close(f->db);
    char path[320];
    unlink(f->path);
    unlink(f->wal);
    snprintf(path, sizeof path, "%s-shm", f->path);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* One transaction of ROWS_PER_COMMIT rows of 3,000 bytes. */
static void commit_rows(sqlite3 *db)
{
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < ROWS_PER_COMMIT; i++)
        assert_int_equal(
            sqlite3_exec(db, "INSERT INTO t (pad) VALUES (randomblob(3000))", NULL, NULL, NULL),
            SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

static long long wal_bytes(const fixture *f)
{
    struct stat st;
    return stat(f->wal, &st) == 0 ? (long long)st.st_size : 0;
}

/* Rows of t read by a connection of its own (through the WAL, if any). */
static long long rows_in_file(const fixture *f)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Frames in the WAL (mxFrame) and frames copied back (nBackfill), read from
 * the wal-index as SQLite's file format lays it out (walformat.html): a
 * checkpoint would copy what is left, so it cannot be asked. */
static void wal_counts(const fixture *f, unsigned *log, unsigned *copied)
{
    char shm[320];
    snprintf(shm, sizeof shm, "%s-shm", f->path);
    FILE *in = fopen(shm, "rb");
    assert_non_null(in);
    unsigned char head[100];
    assert_int_equal(fread(head, 1, sizeof head, in), sizeof head);
    fclose(in);
    memcpy(log, head + 16, 4);    /* WalIndexHdr.mxFrame, native order */
    memcpy(copied, head + 96, 4); /* WalCkptInfo.nBackfill */
}

static void thread_checkpoints_the_commits(void **state)
{
    fixture *f = *state;
    unsigned log = 0, copied = 0;
    /* SQLite's own hook leaves 100 frames in the WAL (under its 1,000) */
    for (int i = 0; i < 5; i++)
        commit_rows(f->db);
    wal_counts(f, &log, &copied);
    assert_true(log >= 5 * ROWS_PER_COMMIT);
    assert_int_equal(copied, 0);
    sq_checkpointer *c = Co_sqlite_checkpointer_new(f->path, 8, 1 << 30);
    assert_non_null(c);
    sq_checkpoint_link link = {0};
    Co_sqlite_checkpointer_follow(&link, c, f->db, "main");
    assert_ptr_equal(link.to, c);
    for (int i = 0; i < 30; i++)
        commit_rows(f->db);
    long rounds = 0, here = 0;
    Co_sqlite_checkpointer_counts(c, &rounds, &here);
    assert_true(rounds >= 1);
    assert_int_equal(here, 0); /* no commit checkpointed itself */
    /* The thread's last round ran after the last commit: every frame is back
     * (the WAL may have started over meanwhile, when a round ended before a
     * transaction began). */
    wal_counts(f, &log, &copied);
    assert_true(log > 0);
    assert_int_equal(copied, log);
    Co_sqlite_checkpointer_unfollow(&link, f->db);
    assert_null(link.to);
    Co_sqlite_checkpointer_release(c);
    assert_int_equal(rows_in_file(f), 35 * ROWS_PER_COMMIT);
}

static void past_the_cap_a_commit_checkpoints_and_the_wal_starts_over(void **state)
{
    fixture *f = *state;
    const int cap = 64; /* frames: about three commits */
    sq_checkpointer *c = Co_sqlite_checkpointer_new(f->path, 8, cap);
    assert_non_null(c);
    sq_checkpoint_link link = {0};
    Co_sqlite_checkpointer_follow(&link, c, f->db, "main");
    long long most = 0;
    for (int i = 0; i < 200; i++) {
        commit_rows(f->db);
        long long now = wal_bytes(f);
        most = now > most ? now : most;
    }
    long rounds = 0, here = 0;
    Co_sqlite_checkpointer_counts(c, &rounds, &here);
    assert_true(here >= 1);
    /* 200 commits of 20 or more pages are 4,000 or more frames; started over
     * at the cap, the file holds the cap and a commit or two more. */
    long long frame = PAGE + 24;
    assert_true(most < 32 + (cap + 3 * (ROWS_PER_COMMIT + 4)) * frame);
    Co_sqlite_checkpointer_unfollow(&link, f->db);
    Co_sqlite_checkpointer_release(c);
    assert_int_equal(rows_in_file(f), 200 * ROWS_PER_COMMIT);
}

static void unfollowed_a_connection_checkpoints_as_sqlite_does(void **state)
{
    fixture *f = *state;
    sq_checkpointer *c = Co_sqlite_checkpointer_new(f->path, 8, 1 << 30);
    assert_non_null(c);
    sq_checkpoint_link link = {0};
    Co_sqlite_checkpointer_follow(&link, c, f->db, "main");
    Co_sqlite_checkpointer_unfollow(&link, f->db);
    Co_sqlite_checkpointer_release(c); /* the last hold: the thread, never started, is gone */
    /* SQLite's own hook again: past 1,000 frames a commit copies them back,
     * and the next transaction starts the WAL over. */
    for (int i = 0; i < 120; i++)
        commit_rows(f->db);
    assert_true(wal_bytes(f) < (1000 + 3 * (ROWS_PER_COMMIT + 4)) * (PAGE + 24) + 32);
    assert_int_equal(rows_in_file(f), 120 * ROWS_PER_COMMIT);
}

static void an_attached_file_is_followed_by_its_schema(void **state)
{
    fixture *f = *state;
    /* as a push-down's connection: another file as main, the target attached */
    char other[320];
    snprintf(other, sizeof other, "%s/other.db", f->dir);
    sqlite3 *pd = NULL;
    assert_int_equal(sqlite3_open(other, &pd), SQLITE_OK);
    char attach[400];
    snprintf(attach, sizeof attach,
             "ATTACH '%s' AS cutover_target; PRAGMA wal_autocheckpoint = 0",
             f->path);
    assert_int_equal(sqlite3_exec(pd, attach, NULL, NULL, NULL), SQLITE_OK);
    sq_checkpointer *c = Co_sqlite_checkpointer_new(f->path, 8, 1 << 30);
    assert_non_null(c);
    sq_checkpoint_link link = {0};
    Co_sqlite_checkpointer_follow(&link, c, pd, "cutover_target");
    for (int i = 0; i < 10; i++) {
        assert_int_equal(sqlite3_exec(pd,
                                      "BEGIN IMMEDIATE; INSERT INTO cutover_target.t (pad) "
                                      "SELECT randomblob(3000) FROM (SELECT 1 UNION ALL "
                                      "SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL "
                                      "SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL "
                                      "SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10); COMMIT",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    }
    long rounds = 0, here = 0;
    Co_sqlite_checkpointer_counts(c, &rounds, &here);
    assert_true(rounds >= 1);
    assert_int_equal(here, 0);
    unsigned log = 0, copied = 0;
    wal_counts(f, &log, &copied);
    assert_true(log > 0);
    assert_int_equal(copied, log);
    Co_sqlite_checkpointer_unfollow(&link, pd);
    Co_sqlite_checkpointer_release(c);
    sqlite3_close(pd);
    unlink(other);
    assert_int_equal(rows_in_file(f), 100);
}

static void none_under_cutover_checkpoint_0(void **state)
{
    fixture *f = *state;
    setenv("CUTOVER_CHECKPOINT", "0", 1);
    sq_checkpointer *c = Co_sqlite_checkpointer_new(f->path, 8, 64);
    unsetenv("CUTOVER_CHECKPOINT");
    assert_null(c);
    sq_checkpoint_link link = {0};
    Co_sqlite_checkpointer_follow(&link, c, f->db, "main"); /* nothing to follow */
    assert_null(link.to);
    c = Co_sqlite_checkpointer_new(f->path, 8, 64);
    assert_non_null(c);
    Co_sqlite_checkpointer_release(c);
}

static void no_checkpointer_for_memory_databases(void **state)
{
    (void)state;
    assert_null(Co_sqlite_checkpointer_new(":memory:", 8, 64));
    assert_null(Co_sqlite_checkpointer_new("", 8, 64));
    assert_null(Co_sqlite_checkpointer_new(NULL, 8, 64));
    Co_sqlite_checkpointer_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(thread_checkpoints_the_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(past_the_cap_a_commit_checkpoints_and_the_wal_starts_over,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(unfollowed_a_connection_checkpoints_as_sqlite_does, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_attached_file_is_followed_by_its_schema, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(none_under_cutover_checkpoint_0, setup, teardown),
        cmocka_unit_test(no_checkpointer_for_memory_databases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
