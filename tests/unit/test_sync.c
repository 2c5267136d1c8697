/* test_sync.c: coexistence (cutover/sync.h): the deterministic choice of a
 * side for a request's reads, the syncing state in the lifecycle, the
 * journal's sync rounds, read shares and lag, and the routes documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/report.h"
#include "cutover/state.h"
#include "cutover/sync.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char dir[64];

static int setup_dir(void **state)
{
    (void)state;
    return test_mkdtemp(dir, sizeof dir, "cutover-sync") ? 0 : -1;
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

/* The same tenant, key and share always answer the same, whatever was asked
 * before; the answer is a function of the inputs alone (a value fixed here,
 * so that a change of the hash, which would flip users, fails). */
static void a_request_key_always_reads_the_same_side(void **state)
{
    (void)state;
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "session-%d", i);
        bool first = co_route_reads_new("42", key, 37);
        for (int again = 0; again < 3; again++)
            assert_true(co_route_reads_new("42", key, 37) == first);
    }
    /* pinned: XXH3 of "42\0session-7" modulo 100, and the same below the share */
    int pinned = -1;
    for (int share = 0; share <= 100; share++)
        if (co_route_reads_new("42", "session-7", share)) {
            pinned = share;
            break;
        }
    assert_int_equal(pinned, 66); /* XXH3 of the key seeded by the tenant's: 65, plus one */
    for (int share = pinned; share <= 100; share++)
        assert_true(co_route_reads_new("42", "session-7", share));
    /* the tenant is part of the choice: ("ab", "c") is not ("a", "bc") */
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "c%d", i);
        char other[40];
        snprintf(other, sizeof other, "bc%d", i);
        differ += co_route_reads_new("ab", key, 50) != co_route_reads_new("a", other, 50);
    }
    assert_true(differ > 0);
}

/* 0 never, 100 always, and at a share of P about P% of many keys, for each
 * share; a key on the new side stays there as the share grows. */
static void the_share_of_keys_on_the_new_side_follows_the_share(void **state)
{
    (void)state;
    enum { KEYS = 20000 };
    char key[32];
    static const int shares[] = {0, 1, 10, 25, 50, 75, 90, 100};
    for (size_t s = 0; s < sizeof shares / sizeof *shares; s++) {
        int on_new = 0;
        for (int i = 0; i < KEYS; i++) {
            snprintf(key, sizeof key, "user-%d", i);
            on_new += co_route_reads_new("7", key, shares[s]);
        }
        double got = 100.0 * on_new / KEYS;
        if (shares[s] == 0 || shares[s] == 100)
            assert_true(got == shares[s]);
        else /* 20000 draws: a standard deviation below 0.36 points */
            assert_true(got > shares[s] - 1.5 && got < shares[s] + 1.5);
    }
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "user-%d", i);
        for (int share = 10; share < 100; share += 10)
            if (co_route_reads_new("7", key, share))
                assert_true(co_route_reads_new("7", key, share + 10));
    }
}

/* syncing: reached from migrating or migrated (migrate --coexist) and from
 * frozen (a switch that failed inside its freeze), left to frozen (its
 * switch), migrating (a reload) or a rollback; a verification does not move
 * it; nothing else goes to it. */
static void syncing_has_its_place_in_the_lifecycle(void **state)
{
    (void)state;
    co_lifecycle lc;
    assert_true(co_lifecycle_parse("syncing", &lc));
    assert_int_equal(lc, CO_LC_SYNCING);
    assert_true(co_lifecycle_allows(CO_LC_MIGRATING, CO_LC_SYNCING));
    assert_true(co_lifecycle_allows(CO_LC_MIGRATED, CO_LC_SYNCING));
    assert_true(co_lifecycle_allows(CO_LC_FROZEN, CO_LC_SYNCING));
    assert_true(co_lifecycle_allows(CO_LC_SYNCING, CO_LC_FROZEN));
    assert_true(co_lifecycle_allows(CO_LC_SYNCING, CO_LC_MIGRATING));
    assert_true(co_lifecycle_allows(CO_LC_SYNCING, CO_LC_ROLLED_BACK));
    assert_false(co_lifecycle_allows(CO_LC_SYNCING, CO_LC_SWITCHED));
    assert_false(co_lifecycle_allows(CO_LC_SYNCING, CO_LC_VERIFIED));
    assert_false(co_lifecycle_allows(CO_LC_SYNCING, CO_LC_FINALIZED));
    for (int i = 0; i < CO_LC_COUNT; i++)
        if (i != CO_LC_MIGRATING && i != CO_LC_MIGRATED && i != CO_LC_FROZEN &&
            i != CO_LC_SYNCING)
            assert_false(co_lifecycle_allows((co_lifecycle)i, CO_LC_SYNCING));

    co_state *st = open_state("lc.db");
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_state_tenant_move(st, "1", CO_LC_SYNCING, 0, &err), CO_ENOTREADY);
    assert_non_null(strstr(err.message, "from new to syncing"));
    assert_int_equal(co_state_tenant_move(st, "1", CO_LC_MIGRATING, 0, &err), CO_OK);
    assert_int_equal(co_state_tenant_move(st, "1", CO_LC_SYNCING, 0, &err), CO_OK);
    assert_int_equal(co_state_tenant_move(st, "1", CO_LC_SWITCHED, 0, &err), CO_ENOTREADY);
    assert_non_null(strstr(err.message, "from syncing to switched"));
    char buf[32];
    assert_int_equal(co_state_tenant_get(st, "1", buf, sizeof buf, &err), CO_OK);
    assert_string_equal(buf, "syncing");
    co_state_close(st);
}

typedef struct seen {
    int n;
    int64_t applied[4];
} seen;

static co_code see_round(void *ctx, const co_sync_round *r, co_error *err)
{
    (void)err;
    seen *s = ctx;
    if (s->n < 4)
        s->applied[s->n] = r->applied;
    s->n++;
    return CO_OK;
}

/* Rounds are journaled and read back newest first; the lag from the journal
 * is the last round's plus the time since; read shares are 0 to 100; the
 * route document says where writes and reads go. */
static void rounds_shares_and_routes_come_from_the_journal(void **state)
{
    (void)state;
    co_state *st = open_state("rounds.db");
    co_error err;
    co_error_clear(&err);
    double lag = -1;
    bool known = true;
    assert_int_equal(co_sync_lag(st, "3", &lag, &known, &err), CO_OK);
    assert_false(known);
    co_sync_round a = {NULL, 120, 40, 0.5, 0.2, NULL}, b = {NULL, 40, 0, 0.25, 0.1, NULL};
    assert_int_equal(co_state_sync_round_add(st, "3", &a, &err), CO_OK);
    assert_int_equal(co_state_sync_round_add(st, "3", &b, &err), CO_OK);
    co_sync_round last;
    bool found = false;
    assert_int_equal(co_state_sync_last(st, "3", &last, &found, &err), CO_OK);
    assert_true(found);
    assert_int_equal(last.applied, 40);
    assert_int_equal(last.backlog, 0);
    assert_non_null(last.at);
    seen s = {0};
    assert_int_equal(co_state_sync_rounds_each(st, "3", 0, see_round, &s, &err), CO_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.applied[0], 40);
    assert_int_equal(s.applied[1], 120);
    assert_int_equal(co_sync_lag(st, "3", &lag, &known, &err), CO_OK);
    assert_true(known);
    assert_true(lag >= 0.25 && lag < 5);
    /* idle rounds in a row are one row, with the latest time */
    co_sync_round idle = {NULL, 0, 0, 0, 0.01, NULL};
    assert_int_equal(co_state_sync_round_add(st, "3", &idle, &err), CO_OK);
    assert_int_equal(co_state_sync_round_add(st, "3", &idle, &err), CO_OK);
    assert_int_equal(co_state_sync_round_add(st, "3", &idle, &err), CO_OK);
    s.n = 0;
    assert_int_equal(co_state_sync_rounds_each(st, "3", 0, see_round, &s, &err), CO_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.applied[0], 0);
    assert_int_equal(s.applied[1], 40);
    assert_int_equal(co_state_sync_round_add(st, "3", &b, &err), CO_OK);
    assert_int_equal(co_state_sync_rounds_each(st, "3", 1, see_round, &s, &err), CO_OK);
    assert_int_equal(s.applied[3], 40); /* a round that applied something is a row of its own */
    /* rounds keep their direction (NULL is forward); an idle reverse round
     * after an idle forward one is a row of its own */
    assert_int_equal(co_state_sync_round_add(st, "3", &idle, &err), CO_OK);
    assert_int_equal(co_state_sync_last(st, "3", &last, &found, &err), CO_OK);
    assert_string_equal(last.direction, "forward");
    co_sync_round back = {NULL, 0, 0, 0.5, 0.01, "reverse"};
    assert_int_equal(co_state_sync_round_add(st, "3", &back, &err), CO_OK);
    assert_int_equal(co_state_sync_round_add(st, "3", &back, &err), CO_OK);
    assert_int_equal(co_state_sync_last(st, "3", &last, &found, &err), CO_OK);
    assert_string_equal(last.direction, "reverse");
    s.n = 0;
    assert_int_equal(co_state_sync_rounds_each(st, "3", 2, see_round, &s, &err), CO_OK);
    assert_int_equal(s.n, 2); /* the reverse row, then the forward idle one */
    assert_int_equal(co_state_sync_round_add(st, "3", &b, &err), CO_OK);
    assert_int_equal(co_sync_lag(st, "3", &lag, &known, &err), CO_OK);
    struct timespec pause = {1, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    double later = 0;
    assert_int_equal(co_sync_lag(st, "3", &later, &known, &err), CO_OK);
    assert_true(later >= lag + 1.0);

    int share = -1;
    assert_int_equal(co_state_read_share_get(st, "3", &share, &err), CO_OK);
    assert_int_equal(share, 0);
    assert_int_equal(co_state_read_share_set(st, "3", 101, &err), CO_EUSAGE);
    assert_int_equal(co_state_read_share_set(st, "3", 50, &err), CO_OK);
    assert_int_equal(co_state_read_share_get(st, "3", &share, &err), CO_OK);
    assert_int_equal(share, 50);

    assert_int_equal(co_state_tenant_move(st, "3", CO_LC_MIGRATING, 0, &err), CO_OK);
    assert_int_equal(co_state_tenant_move(st, "3", CO_LC_SYNCING, 0, &err), CO_OK);
    co_route_reads r;
    assert_int_equal(co_route_reads_get(st, "3", &r, &err), CO_OK);
    assert_string_equal(r.writes, "old");
    assert_string_equal(r.reads, "split");
    assert_int_equal(r.read_share, 50);
    assert_true(r.syncing && r.lag_known);
    char *json = NULL;
    assert_int_equal(co_report_route_json(st, "3", &json, &err), CO_OK);
    assert_non_null(strstr(json, "\"writes\":\"old\",\"reads\":\"split\",\"read_share\":50,"
                                 "\"lag_seconds\":"));
    free(json);
    assert_int_equal(co_report_routes_json(st, &json, &err), CO_OK);
    assert_non_null(strstr(json, "\"read_share\":50"));
    free(json);
    /* a tenant routed new reads new, whatever its share said */
    assert_int_equal(co_state_route_set(st, "4", "new", 0.5, 0, &err), CO_OK);
    assert_int_equal(co_route_reads_get(st, "4", &r, &err), CO_OK);
    assert_string_equal(r.reads, "new");
    assert_int_equal(r.read_share, 100);
    assert_false(r.lag_known);
    co_state_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_request_key_always_reads_the_same_side),
        cmocka_unit_test(the_share_of_keys_on_the_new_side_follows_the_share),
        cmocka_unit_test(syncing_has_its_place_in_the_lifecycle),
        cmocka_unit_test(rounds_shares_and_routes_come_from_the_journal),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
