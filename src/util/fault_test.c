/*
 * fault_test.c: the fault points of fault.h, as tests drive them through the
 * environment. Compiled only into test builds (CUTOVER_TEST_HOOKS); the
 * shipped library has neither this file nor the variables it reads:
 *
 *   CUTOVER_KILL_AT_COMMIT=N  SIGKILL just before the Nth commit of any store
 *   CUTOVER_KILL_AT_POINT=switch-marked  SIGKILL once a switch has marked
 *                             the target and the capture "switched", before
 *                             the journal writes the route (SWITCH_MARKED)
 *   CUTOVER_KILL_AT_POINT=reverse-batch  SIGKILL once a reverse sync batch
 *                             has written its rows and mark on the source,
 *                             before its commit (REVERSE_BATCH)
 *   CUTOVER_KILL_AT_POINT=sync-pruned  SIGKILL once a sync round has deleted
 *                             a batch of applied changes from the change
 *                             log, before it journals the round (SYNC_PRUNED)
 *   CUTOVER_KILL_AT_POINT=purge-rows  SIGKILL once a rolled-back tenant's rows
 *                             are purged from the target, before its capture
 *                             there goes and the journal says rolled_back
 *                             (PURGE_ROWS)
 *   CUTOVER_KILL_AT_POINT=purge-chunk  SIGKILL once a purge in chunks has
 *                             committed its first chunk, more to come
 *                             (PURGE_CHUNK)
 *   CUTOVER_FREEZE_STEP_DELAY=SECONDS  each step inside a freeze (the last
 *                             changes, the scope, the verification) stalls
 *                             that long first (FREEZE_STEP), as on a loaded
 *                             machine
 *   CUTOVER_NARROW_ALWAYS=1   a switch or cutover verifies the rows changed
 *                             since its whole verification again before the
 *                             freeze however few they are (NARROW)
 *   CUTOVER_FAIL_AT_CALL=N    the Nth store call (fault point STORE_CALL)
 *                             fails, once, with an error of its side
 *   CUTOVER_FAULT_CALLS=FILE  at exit, write the number of store calls made
 *                             to FILE (a test sizes its loop with it)
 *   CUTOVER_NOW=YYYY-MM-DDTHH:MM:SSZ  the clock (read at every call, so a
 *                             unit test can move it)
 *
 * The counters are per process and not thread-safe: the tests that set them
 * run one command at a time.
 */
#include "util/fault.h"
#include "util/clock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long env_count(const char *name)
{
    const char *v = getenv(name);
    long n = v && *v ? strtol(v, NULL, 10) : 0;
    return n > 0 ? n : 0;
}

static long calls;           /* store calls so far */
static const char *calls_file;

static void write_calls(void)
{
    FILE *f = fopen(calls_file, "w");
    if (f) {
        fprintf(f, "%ld\n", calls);
        fclose(f);
    }
}

static void init_once(long *kill_at, long *fail_at)
{
    static bool done;
    static long k, f;
    if (!done) {
        done = true;
        k = env_count("CUTOVER_KILL_AT_COMMIT");
        f = env_count("CUTOVER_FAIL_AT_CALL");
        const char *path = getenv("CUTOVER_FAULT_CALLS");
        if (path && *path) {
            calls_file = path;
            atexit(write_calls);
        }
    }
    *kill_at = k;
    *fail_at = f;
}

int Co_fault_sim(co_fault_point point)
{
    static long commits;
    long kill_at, fail_at;
    init_once(&kill_at, &fail_at);
    switch (point) {
    case CO_FAULT_COMMIT:
        if (kill_at && ++commits == kill_at)
            kill(getpid(), SIGKILL);
        return 0;
    case CO_FAULT_STORE_CALL:
        return ++calls == fail_at;
    case CO_FAULT_FREEZE_STEP: {
        const char *v = getenv("CUTOVER_FREEZE_STEP_DELAY");
        double d = v && *v ? strtod(v, NULL) : 0;
        if (d > 0)
            Co_pause(d);
        return 0;
    }
    case CO_FAULT_NARROW: {
        const char *v = getenv("CUTOVER_NARROW_ALWAYS");
        return v && strcmp(v, "1") == 0;
    }
    case CO_FAULT_SWITCH_MARKED:
    case CO_FAULT_REVERSE_BATCH:
    case CO_FAULT_SYNC_PRUNED:
    case CO_FAULT_PURGE_ROWS:
    case CO_FAULT_PURGE_CHUNK: {
        const char *at = getenv("CUTOVER_KILL_AT_POINT");
        const char *name = point == CO_FAULT_SWITCH_MARKED    ? "switch-marked"
                           : point == CO_FAULT_REVERSE_BATCH ? "reverse-batch"
                           : point == CO_FAULT_SYNC_PRUNED   ? "sync-pruned"
                           : point == CO_FAULT_PURGE_ROWS    ? "purge-rows"
                                                             : "purge-chunk";
        if (at && strcmp(at, name) == 0)
            kill(getpid(), SIGKILL);
        return 0;
    }
    }
    return 0;
}

bool Co_fault_clock(time_t *now)
{
    const char *fixed = getenv("CUTOVER_NOW");
    if (!fixed || !*fixed)
        return false;
    time_t t = Co_clock_parse(fixed);
    if (t == -1)
        return false;
    *now = t;
    return true;
}
