/*
 * progress.c: a one-line progress bar on standard error, redrawn at most ten
 * times a second, with rows, rows per second and an ETA when a total is known.
 * When standard error is not a terminal it draws nothing: commands print plain
 * lines of their own at the end of each step instead.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cli_progress {
    bool enabled;
    bool drawn;
    double started;  /* of the current item */
    double last_draw;
    char item[128];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cli_progress *cli_progress_new(const cli_ctx *ctx)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (p)
        p->enabled = ctx->progress;
    return p;
}

void cli_progress_update(cli_progress *p, const char *label, const char *item, long long done,
                         long long total)
{
    if (!p || !p->enabled)
        return;
    double t = now();
    if (strncmp(p->item, item, sizeof p->item - 1) != 0) {
        snprintf(p->item, sizeof p->item, "%s", item);
        p->started = t;
    } else if (t - p->last_draw < 0.1 && done != total) {
        return;
    }
    p->last_draw = t;
    double elapsed = t - p->started;
    double rate = elapsed > 0.05 ? (double)done / elapsed : 0;
    char done_s[32], total_s[32], line[256], bar[24];
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
        snprintf(line, sizeof line, "%s %s [%s] %s/%s rows%s", label, item, bar,
                 cli_num(done, done_s, sizeof done_s), cli_num(total, total_s, sizeof total_s),
                 speed);
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

void cli_progress_clear(cli_progress *p)
{
    if (p && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = false;
    }
}

void cli_progress_free(cli_progress *p)
{
    cli_progress_clear(p);
    free(p);
}
