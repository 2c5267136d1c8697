/*
 * fault.h: numbered fault points for tests, in the way of SQLite's
 * sqlite3FaultSim. The library asks Co_fault_sim(POINT) at a few places (the
 * store's calls, its commits) and Co_fault_clock() for the time; a test build
 * answers from what the test asked for (fault_test.c, the environment), and
 * any other build compiles both to constants, so nothing of it ships.
 *
 * Test builds are those configured with -DCUTOVER_TEST_HOOKS=ON (the
 * Makefile's build/, build-asan/ and build-fuzz/); docs/testing.md lists the
 * variables a test sets.
 */
#ifndef CUTOVER_UTIL_FAULT_H
#define CUTOVER_UTIL_FAULT_H

#include <stdbool.h>
#include <time.h>

typedef enum co_fault_point {
    CO_FAULT_STORE_CALL, /* each store call that reaches a database (store.c) */
    CO_FAULT_COMMIT,     /* just before a store's commit (store.c) */
    CO_FAULT_SWITCH_MARKED, /* a switch's marks written, its route not yet (freeze.c) */
    CO_FAULT_REVERSE_BATCH, /* a reverse batch's rows and mark written, not committed
                               (capture/reverse.c) */
    CO_FAULT_SYNC_PRUNED,   /* a sync round's batch of applied changes deleted from the
                               change log, the round not yet journaled (capture.c) */
    CO_FAULT_PURGE_ROWS,    /* a rolled-back tenant's rows purged from the target, its capture
                               there and the journal's last word not yet (capture/rollback.c) */
    CO_FAULT_PURGE_CHUNK,   /* a chunk of a purge in chunks committed, more to come
                               (engine/purge.c) */
    CO_FAULT_FREEZE_STEP,   /* a step inside a freeze about to run: the last changes,
                               the scope of the verification, the verification
                               (freeze.c); a test build may stall it */
    CO_FAULT_NARROW,        /* few changes since the last verification: non-zero
                               verifies them again before the freeze all the same
                               (freeze.c), so that a small test goes that way */
} co_fault_point;

#ifdef CUTOVER_TEST_HOOKS
/* What the test asked for at this point: 0 to carry on, non-zero to fail
 * the call (the caller turns it into an error of its side). A point may
 * also end the process (SIGKILL at a commit), as a crash would. */
int Co_fault_sim(co_fault_point point);
/* True, with *now set, when the test fixed the clock. */
bool Co_fault_clock(time_t *now);
#else
#define Co_fault_sim(point) 0
#define Co_fault_clock(now) false
#endif

#endif
