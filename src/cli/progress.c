/*
 * progress.c: progress of long commands on standard error. On a terminal, a
 * one-line bar redrawn at most ten times a second, with rows, rows per
 * second and an ETA when a total is known, in colour unless NO_COLOR. When
 * standard error is not a terminal (a log, a pipe, CI), plain lines: one per
 * item when it ends, with its rows and rate, and one every ten seconds for a
 * long item. A step without rows (building indexes) shows its name and, on
 * a plain line, how long it took. -q silences both. With --jobs N each job
 * has a progress of its own (cli_progress_job): its plain lines as above,
 * and on a terminal its place on the one bar line, which shows every job.
 */
#include "cli.h"
#include "cutover/plan.h"
#include "util/fmt.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LINE_EVERY 10.0 /* seconds between plain lines of one long item */

struct cli_progress {
    bool bar;        /* a terminal: redraw a bar */
    bool lines;      /* not a terminal: plain lines, each after a timestamp */
    bool log;        /* --log: the plain lines go to the log too */
    bool color;
    bool drawn;
    bool rowless;    /* the current item is a step without rows */
    double started;  /* of the current item */
    double last_draw;
    char label[128];
    char item[128];
    long long done;  /* of the current item, as last reported */
    long long total;
    /* --jobs: a job's progress points at the shared one, whose bar line
     * shows a slot per job; the shared one's lock is taken by every call. */
    struct cli_progress *shared;
    size_t job;
    bool locking;
    pthread_mutex_t lock;
    char (*slots)[96];
    size_t nslots;
};

/* The lock to take for p, or NULL (no jobs). */
static pthread_mutex_t *lock_of(cli_progress *p)
{
    cli_progress *root = p && p->shared ? p->shared : p;
    if (!root || !root->locking)
        return NULL;
    pthread_mutex_lock(&root->lock);
    return &root->lock;
}

static void unlock(pthread_mutex_t *m)
{
    if (m)
        pthread_mutex_unlock(m);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cli_progress *cli_progress_new(const cli_ctx *ctx)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    const char *no_color = getenv("NO_COLOR");
    p->bar = ctx->progress;
    p->lines = ctx->progress_lines;
    p->log = cli_logging();
    p->color = p->bar && !(no_color && *no_color) && isatty(STDERR_FILENO);
    return p;
}

/* A plain line: on standard error after an ISO 8601 timestamp (not on a
 * terminal), and in the --log file. */
static void emit(cli_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(cli_progress *p, const char *fmt, ...)
{
    char line[512], safe[1024], ts[40];
    va_list ap;
    va_start(ap, fmt);
    int n = p->shared ? snprintf(line, sizeof line, "job %zu: ", p->job + 1) : 0;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap); /* a job's line says which job */
    va_end(ap);
    cli_term_text(line, safe, sizeof safe);
    if (p->lines) {
        fprintf(stderr, "%s %s\n", cli_timestamp(ts, sizeof ts), safe);
        fflush(stderr);
    }
    if (p->log)
        cli_log("info", "%s", safe);
}

/* The current item as a plain line: where it stands and how fast it went. */
static void plain_line(cli_progress *p, double t, bool finished)
{
    if (!p->item[0] || (!p->lines && !p->log))
        return;
    double elapsed = t - p->started;
    if (p->rowless) {
        if (finished)
            emit(p, "%s %s: done in %.2fs", p->label, p->item, elapsed);
        return;
    }
    char done_s[32], total_s[32], rate[48] = "";
    if (elapsed >= 0.05 && p->done > 0)
        snprintf(rate, sizeof rate, ", %.0f rows/s", (double)p->done / elapsed);
    if (finished || p->total <= 0)
        emit(p, "%s %s: %s %s in %.2fs%s", p->label, p->item,
             cli_num(p->done, done_s, sizeof done_s), Co_fmt_noun(p->done, "row", "rows"),
             elapsed, rate);
    else
        emit(p, "%s %s: %s of %s rows after %.0fs%s", p->label, p->item,
             cli_num(p->done, done_s, sizeof done_s), cli_num(p->total, total_s, sizeof total_s),
             elapsed, rate);
}

/* Makes label/item the current item if it is not; true when it is new. */
static bool begin_item(cli_progress *p, const char *label, const char *item, double t,
                       bool rowless)
{
    bool new_item = strncmp(p->item, item, sizeof p->item - 1) != 0 ||
                    strncmp(p->label, label, sizeof p->label - 1) != 0;
    if (new_item) {
        plain_line(p, t, true); /* the item before ends here */
        snprintf(p->item, sizeof p->item, "%s", item);
        snprintf(p->label, sizeof p->label, "%s", label);
        p->started = t;
        p->last_draw = t;
        p->rowless = rowless;
    }
    return new_item;
}

static void progress_step_unlocked(cli_progress *p, const char *label, const char *item)
{
    if (!p || (!p->bar && !p->lines && !p->log))
        return;
    if (!begin_item(p, label, item, now(), true) || !p->bar)
        return;
    fprintf(stderr, "\r\033[K%s %s ...", label, item);
    fflush(stderr);
    p->drawn = true;
}

static void progress_update_unlocked(cli_progress *p, const char *label, const char *item, long long done,
                         long long total)
{
    if (!p || (!p->bar && !p->lines && !p->log))
        return;
    double t = now();
    bool new_item = begin_item(p, label, item, t, false);
    p->done = done;
    p->total = total;
    if (!p->bar) {
        if (t - p->last_draw >= LINE_EVERY) {
            plain_line(p, t, false);
            p->last_draw = t;
        }
        return;
    }
    if (!new_item && t - p->last_draw < 0.1 && done != total)
        return;
    p->last_draw = t;
    double elapsed = t - p->started;
    double rate = elapsed > 0.05 ? (double)done / elapsed : 0;
    char done_s[32], total_s[32], line[320], bar[24];
    const char *on = p->color ? "\033[32m" : "", *off = p->color ? "\033[0m" : "";
    if (total > 0) {
        int filled = (int)(20.0 * (double)done / (double)total);
        if (filled > 20)
            filled = 20;
        memset(bar, '#', (size_t)filled);
        memset(bar + filled, '.', (size_t)(20 - filled));
        bar[20] = '\0';
        double eta = rate > 0 ? (double)(total - done) / rate : 0;
        char speed[64] = ""; /* a rate over less than a fifth of a second says nothing */
        if (elapsed >= 0.2 && rate > 0)
            snprintf(speed, sizeof speed, "  %.0f rows/s  ETA %.0fs", rate, eta < 0 ? 0 : eta);
        snprintf(line, sizeof line, "%s %s [%s%.*s%s%s] %s/%s rows%s", label, item, on, filled,
                 bar, off, bar + filled, cli_num(done, done_s, sizeof done_s),
                 cli_num(total, total_s, sizeof total_s), speed);
    } else {
        char speed[32] = "";
        if (elapsed >= 0.2 && rate > 0)
            snprintf(speed, sizeof speed, "  %.0f rows/s", rate);
        snprintf(line, sizeof line, "%s %s  %s rows%s", label, item,
                 cli_num(done, done_s, sizeof done_s), speed);
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->drawn = true;
}

static void progress_item_done_unlocked(cli_progress *p)
{
    if (p && (p->lines || p->log)) {
        plain_line(p, now(), true);
        p->item[0] = '\0';
        p->label[0] = '\0';
    }
}

static void progress_clear_unlocked(cli_progress *p)
{
    if (!p)
        return;
    progress_item_done_unlocked(p); /* the last item ends here */
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = false;
    }
}

static void draw_jobs(cli_progress *root, double t, bool force);

/* A job's item on its slot of the shared bar line. */
static void job_slot(cli_progress *p, bool clear)
{
    cli_progress *root = p->shared;
    if (!root || !root->bar || p->job >= root->nslots)
        return;
    char *slot = root->slots[p->job];
    if (clear || !p->item[0]) {
        slot[0] = '\0';
    } else if (p->total > 0) {
        snprintf(slot, sizeof root->slots[0], "job %zu: %lld%% %.40s %.24s", p->job + 1,
                 p->done * 100 / p->total, p->label, p->item);
    } else {
        char n[32];
        snprintf(slot, sizeof root->slots[0], "job %zu: %.40s %.24s %s", p->job + 1, p->label,
                 p->item, cli_num(p->done, n, sizeof n));
    }
    draw_jobs(root, now(), clear);
}

/* The shared bar line: every job's slot, cut to the terminal's width. */
static void draw_jobs(cli_progress *root, double t, bool force)
{
    if (!force && t - root->last_draw < 0.1)
        return;
    root->last_draw = t;
    struct winsize ws;
    size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col : 80;
    char line[1024];
    size_t used = 0;
    line[0] = '\0';
    int each = (int)((width - 1) / root->nslots) - 3; /* every job gets its share */
    for (size_t k = 0; k < root->nslots && used + 1 < sizeof line; k++) {
        if (!root->slots[k][0])
            continue;
        int n = snprintf(line + used, sizeof line - used, "%s%.*s", used ? " | " : "",
                         each > 8 ? each : 8, root->slots[k]);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used >= sizeof line)
        used = sizeof line - 1;
    if (used > width - 1)
        line[width - 1] = '\0';
    char safe[2048];
    fprintf(stderr, "\r\033[K%s", cli_term_text(line, safe, sizeof safe));
    fflush(stderr);
    root->drawn = true;
}

void cli_progress_step(cli_progress *p, const char *label, const char *item)
{
    pthread_mutex_t *m = lock_of(p);
    if (p && p->shared && !p->lines && !p->log) {
        snprintf(p->label, sizeof p->label, "%s", label);
        snprintf(p->item, sizeof p->item, "%s", item);
        p->done = p->total = 0;
    }
    progress_step_unlocked(p, label, item);
    if (p && p->shared)
        job_slot(p, false);
    unlock(m);
}

void cli_progress_update(cli_progress *p, const char *label, const char *item, long long done,
                         long long total)
{
    pthread_mutex_t *m = lock_of(p);
    if (p && p->shared && !p->lines && !p->log) { /* a job on the bar alone */
        snprintf(p->label, sizeof p->label, "%s", label);
        snprintf(p->item, sizeof p->item, "%s", item);
        p->done = done;
        p->total = total;
    }
    progress_update_unlocked(p, label, item, done, total);
    if (p && p->shared)
        job_slot(p, false);
    unlock(m);
}

void cli_progress_item_done(cli_progress *p)
{
    pthread_mutex_t *m = lock_of(p);
    progress_item_done_unlocked(p);
    unlock(m);
}

void cli_progress_clear(cli_progress *p)
{
    pthread_mutex_t *m = lock_of(p);
    progress_clear_unlocked(p);
    if (p && p->shared)
        job_slot(p, true);
    unlock(m);
}

cli_progress *cli_progress_job(cli_progress *shared, size_t job, size_t njobs)
{
    if (!shared)
        return NULL;
    if (!shared->locking) {
        pthread_mutex_init(&shared->lock, NULL);
        shared->locking = true;
    }
    if (!shared->slots && shared->bar) {
        shared->slots = calloc(njobs, sizeof *shared->slots);
        shared->nslots = shared->slots ? njobs : 0;
    }
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->lines = shared->lines;
    p->log = shared->log;
    p->bar = false; /* drawn on the shared line */
    p->shared = shared;
    p->job = job;
    return p;
}

void cli_progress_free(cli_progress *p)
{
    if (!p)
        return;
    cli_progress_clear(p);
    if (p->locking)
        pthread_mutex_destroy(&p->lock);
    free(p->slots);
    free(p);
}

static void progress_note_unlocked(cli_progress *p, const char *line);

void cli_progress_note(cli_progress *p, const char *fmt, ...)
{
    if (!p || (!p->bar && !p->lines && !p->log))
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_t *m = lock_of(p);
    progress_note_unlocked(p, line);
    unlock(m);
}

static void progress_note_unlocked(cli_progress *p, const char *line)
{
    if (p->bar) {
        if (p->drawn) {
            fputs("\r\033[K", stderr);
            p->drawn = false;
        }
        char safe[1024];
        fprintf(stderr, "%s\n", cli_term_text(line, safe, sizeof safe));
        fflush(stderr);
        if (p->log)
            cli_log("info", "%s", safe);
        return;
    }
    emit(p, "%s", line);
}

const char *cli_duration(double seconds, char *buf, size_t cap)
{
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s < 60)
        snprintf(buf, cap, "%lds", s);
    else if (s < 3600)
        snprintf(buf, cap, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, cap, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    return buf;
}

/* ---- the whole run of several tenants ------------------------------------ */

struct cli_overall {
    cli_progress *bar;
    size_t count, done;
    int64_t *estimate; /* rows per tenant of the run from the latest plan, -1 unknown */
    int64_t rows;      /* read so far */
    double started;
};

cli_overall *cli_overall_new(cli_progress *bar, co_session *s, const co_tenant *const *tenants,
                             size_t count)
{
    cli_overall *ov = calloc(1, sizeof *ov);
    if (!ov)
        return NULL;
    ov->bar = bar;
    ov->count = count;
    ov->started = now();
    ov->estimate = calloc(count ? count : 1, sizeof *ov->estimate);
    for (size_t i = 0; ov->estimate && i < count; i++)
        ov->estimate[i] = -1;
    co_plan plan = {0};
    co_error err;
    co_error_clear(&err);
    if (count < 2 || !ov->estimate || !tenants || co_plan_latest(s, &plan, &err) != CO_OK)
        return ov; /* no plan: the ETA goes by tenants */
    int64_t total = 0;
    size_t known = 0;
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < plan.n; k++)
            if (strcmp(plan.entries[k].tenant, tenants[i]->key) == 0) {
                ov->estimate[i] = plan.entries[k].rows;
                total += plan.entries[k].rows;
                known++;
            }
    co_plan_release(&plan);
    char total_s[32];
    if (known)
        cli_progress_note(bar, "overall: %zu tenants, about %s rows by plan %s", count,
                          cli_num(total, total_s, sizeof total_s),
                          known == count ? "estimates" : "estimates of some");
    return ov;
}

void cli_overall_step(cli_overall *ov, size_t i, int64_t rows)
{
    if (!ov)
        return;
    ov->done++;
    ov->rows += rows;
    if (ov->count < 2)
        return;
    double elapsed = now() - ov->started;
    int64_t left_rows = 0;
    size_t known = 0, unknown = 0;
    for (size_t k = i + 1; ov->estimate && k < ov->count; k++) {
        if (ov->estimate[k] >= 0) {
            left_rows += ov->estimate[k];
            known++;
        } else {
            unknown++;
        }
    }
    size_t left = ov->count - ov->done;
    double eta;
    if (known && ov->rows > 0 && elapsed > 0) /* the plan's rows at the rate measured */
        eta = (double)left_rows / ((double)ov->rows / elapsed) +
              (double)unknown * elapsed / (double)ov->done;
    else /* no estimates: the time per tenant so far */
        eta = elapsed / (double)ov->done * (double)left;
    char rows_s[32], est_s[32], eta_s[32], el_s[32];
    cli_num(ov->rows, rows_s, sizeof rows_s);
    cli_num(left_rows, est_s, sizeof est_s);
    cli_duration(elapsed, el_s, sizeof el_s);
    cli_duration(eta, eta_s, sizeof eta_s);
    if (left == 0)
        cli_progress_note(ov->bar, "overall: %zu of %zu tenants done, %s %s in %s", ov->done,
                          ov->count, rows_s, Co_fmt_noun(ov->rows, "row", "rows"), el_s);
    else if (known)
        cli_progress_note(ov->bar, "overall: %zu of %zu tenants done, %zu left; %s %s in %s, "
                                   "about %s %s to go; ETA %s",
                          ov->done, ov->count, left, rows_s, Co_fmt_noun(ov->rows, "row", "rows"),
                          el_s, est_s,
                          Co_fmt_noun(left_rows, "row", "rows"), eta_s);
    else
        cli_progress_note(ov->bar, "overall: %zu of %zu tenants done, %zu left; %s %s in %s; "
                                   "ETA %s",
                          ov->done, ov->count, left, rows_s, Co_fmt_noun(ov->rows, "row", "rows"),
                          el_s, eta_s);
}

void cli_overall_free(cli_overall *ov)
{
    if (ov)
        free(ov->estimate);
    free(ov);
}
