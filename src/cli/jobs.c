/*
 * jobs.c: tenants in parallel (--jobs N) for migrate, rehearse, verify,
 * audit and run --cohort. A job is a thread of this process with a session
 * of its own (its own connections to source, destination and journal); the
 * jobs take the next tenant in turn, in list order or, for the commands that
 * load (cli_jobs_largest_first), the largest first, so that no job is left
 * alone with a large tenant at the end; the journal's leases keep each
 * tenant to one of them. What is printed about the tenants is printed by the
 * calling thread, in the order of the list, as soon as a tenant and all
 * before it are done: the output reads as with one job.
 */
#include "cli.h"
#include "cutover/migrate.h"
#include "cutover/move.h"
#include "cutover/rehearse.h"
#include "util/free.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define JOBS_MAX 64

/* --jobs, or the default, before it is bounded by the count of tenants. */
static bool jobs_wanted(cli_ctx *ctx, const co_store *writes, size_t *out, int *rc)
{
    const char *text = cli_get(&ctx->args, "jobs");
    if (!text && cli_get(&ctx->args, "parallel")) { /* run --parallel: a job per process */
        *out = 1;
        return true;
    }
    if (!text) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        *out = writes && co_store_one_writer(writes) ? 1
               : cores < 1                          ? 1
               : cores > JOBS_MAX                   ? JOBS_MAX
                                                    : (size_t)cores;
        return true;
    }
    char *end;
    long n = strtol(text, &end, 10);
    if (*end || end == text || n < 1 || n > JOBS_MAX) {
        *rc = cli_usage_error(ctx, "--jobs must be a number of jobs from 1 to %d, not \"%s\"",
                              JOBS_MAX, text);
        return false;
    }
    *out = (size_t)n;
    return true;
}

/* Jobs into a one-writer target load one at a time and verify beside the
 * load: one malloc arena lets each thread reuse what the others freed
 * (glibc gives threads arenas of their own, each kept at its own high-water
 * mark: 282 MB against 197 MB peak for the demo at scale 0.1, --jobs 2).
 * MALLOC_ARENA_MAX in the environment is left to rule. */
static void one_arena(void)
{
#ifdef M_ARENA_MAX
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 1);
#endif
}

bool cli_jobs_option(cli_ctx *ctx, const co_store *writes, size_t count, size_t *out, int *rc)
{
    if (!jobs_wanted(ctx, writes, out, rc))
        return false;
    if (*out > count) /* no job without a tenant */
        *out = count ? count : 1;
    if (*out > 1 && writes && co_store_one_writer(writes))
        one_arena();
    return true;
}

int cli_jobs_sessions(cli_ctx *ctx, const char *what, co_session *first, unsigned session_flags,
                      size_t njobs, co_session **out)
{
    out[0] = first;
    unsigned flags = (session_flags & ~(CO_SESSION_START_OVER | CO_SESSION_GUARD)) |
                     CO_SESSION_READ_ONLY; /* the first session checked both */
    for (size_t j = 1; j < njobs; j++) {
        co_error err;
        co_error_clear(&err);
        co_code code = session_flags & CLI_JOBS_REHEARSAL
                           ? co_rehearsal_open(co_session_project(first), &out[j], &err)
                           : co_session_open(co_session_project(first), flags, &out[j], &err);
        if (code != CO_OK) {
            cli_jobs_sessions_close(out, j);
            return cli_fail(what, &err);
        }
        co_session_set_user(out[j], cli_user(ctx));
    }
    return EXIT_OK;
}

void cli_jobs_sessions_close(co_session **sessions, size_t njobs)
{
    for (size_t j = 1; j < njobs; j++) {
        co_session_close(sessions[j]);
        sessions[j] = NULL;
    }
}

typedef struct pool {
    const cli_jobs *jobs;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next;     /* items started: the next to start is (order of) next */
    size_t inflight; /* started, not done */
    bool stop;       /* start no more */
    bool *started;   /* per item */
    bool *done;      /* per item */
} pool;

typedef struct job_arg {
    pool *p;
    size_t job;
} job_arg;

static void *job_main(void *arg)
{
    job_arg *a = arg;
    pool *p = a->p;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->stop || cli_signal_caught() || p->next >= p->jobs->count) {
            pthread_mutex_unlock(&p->lock);
            break;
        }
        size_t i = p->jobs->order ? p->jobs->order[p->next] : p->next;
        p->next++;
        p->started[i] = true;
        p->inflight++;
        pthread_mutex_unlock(&p->lock);
        bool go_on = p->jobs->work(p->jobs->ctx, a->job, i);
        pthread_mutex_lock(&p->lock);
        p->done[i] = true;
        p->inflight--;
        if (!go_on)
            p->stop = true;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->changed); /* this job ends: maybe the last one */
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* One job: the items in order on the calling thread, as before --jobs. */
static size_t run_inline(const cli_jobs *j)
{
    size_t started = 0;
    for (size_t i = 0; i < j->count && !cli_signal_caught(); i++) {
        started = i + 1;
        bool go_on = j->work(j->ctx, 0, i);
        j->done(j->ctx, i);
        if (!go_on)
            break;
    }
    return started;
}

size_t cli_jobs_run(const cli_jobs *j)
{
    size_t njobs = j->njobs < j->count ? j->njobs : j->count;
    if (njobs <= 1)
        return run_inline(j);
    pool p = {.jobs = j};
    pthread_t *threads = calloc(njobs, sizeof *threads);
    job_arg *args = calloc(njobs, sizeof *args);
    p.done = calloc(j->count, sizeof *p.done);
    p.started = calloc(j->count, sizeof *p.started);
    if (!threads || !args || !p.done || !p.started) {
        CO_FREE(threads, args, p.done, p.started);
        return run_inline(j);
    }
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.changed, NULL);
    size_t running = 0;
    for (size_t k = 0; k < njobs; k++) {
        args[k] = (job_arg){&p, k};
        if (pthread_create(&threads[running], NULL, job_main, &args[k]) == 0)
            running++;
    }
    if (!running) { /* no thread at all: one job, here */
        pthread_mutex_destroy(&p.lock);
        pthread_cond_destroy(&p.changed);
        CO_FREE(threads, args, p.done, p.started);
        return run_inline(j);
    }
    /* Report each item in list order once it is done; a signal only stops
     * the jobs from starting more (the library stops the tenants in flight
     * at their safe points). Once none starts any more, the items never
     * started are passed over. */
    size_t reported = 0;
    pthread_mutex_lock(&p.lock);
    for (;;) {
        if (p.next >= j->count || cli_signal_caught())
            p.stop = true; /* from now on no job starts an item */
        while (reported < j->count && (p.done[reported] || (p.stop && !p.started[reported]))) {
            size_t i = reported++;
            if (!p.done[i])
                continue;
            pthread_mutex_unlock(&p.lock);
            j->done(j->ctx, i);
            pthread_mutex_lock(&p.lock);
        }
        if (p.stop && p.inflight == 0 && reported == j->count)
            break; /* every item started is reported: nothing is in flight */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000000L; /* wake for a signal, which sets no condition */
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p.changed, &p.lock, &until);
    }
    pthread_mutex_unlock(&p.lock);
    for (size_t k = 0; k < running; k++)
        pthread_join(threads[k], NULL);
    size_t started = p.next;
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.changed);
    CO_FREE(threads, args, p.done, p.started);
    return started;
}

/* ---- the largest tenants first ---------------------------------------------- */

typedef struct sizing {
    co_session **sessions;
    const co_tenant *const *tenants;
    const co_move_options *opt;
    int64_t *rows;
} sizing;

/* A tenant the move will find done (co_move_done) costs nothing: it is not
 * counted, and goes after the tenants of known size. */
static bool size_one(void *ctx, size_t job, size_t i)
{
    sizing *z = ctx;
    co_error err;
    co_error_clear(&err);
    bool done = false;
    if (z->opt && co_move_done(z->sessions[job], z->tenants[i], z->opt, &done, &err) == CO_OK &&
        done) {
        z->rows[i] = 0;
        return true;
    }
    co_error_clear(&err);
    if (co_tenant_estimate_rows(z->sessions[job], z->tenants[i], &z->rows[i], &err) != CO_OK)
        z->rows[i] = -1; /* unknown: it keeps its place after the known ones */
    return true;
}

static void size_done(void *ctx, size_t i)
{
    (void)ctx;
    (void)i;
}

typedef struct sized {
    int64_t rows;
    size_t i;
} sized;

static int larger_first(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows > y->rows ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i; /* equal sizes keep list order */
}

size_t *cli_jobs_largest_first(co_session **sessions, size_t njobs,
                               const co_tenant *const *tenants, size_t count,
                               const co_move_options *opt)
{
    if (njobs < 2 || count <= njobs)
        return NULL;
    int64_t *rows = calloc(count, sizeof *rows);
    size_t *order = calloc(count, sizeof *order);
    if (!rows || !order) {
        CO_FREE(rows, order);
        return NULL;
    }
    sizing z = {sessions, tenants, opt, rows};
    cli_jobs sizes = {njobs, count, size_one, size_done, &z, NULL};
    if (cli_jobs_run(&sizes) < count || cli_signal_caught()) {
        CO_FREE(rows, order);
        return NULL;
    }
    sized *by = calloc(count, sizeof *by);
    if (!by) {
        CO_FREE(rows, order);
        return NULL;
    }
    for (size_t i = 0; i < count; i++)
        by[i] = (sized){rows[i], i};
    qsort(by, count, sizeof *by, larger_first);
    for (size_t i = 0; i < count; i++)
        order[i] = by[i].i;
    free(by);
    free(rows);
    return order;
}
