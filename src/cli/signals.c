/*
 * signals.c: SIGINT, SIGTERM and SIGHUP during the commands that move
 * tenants (migrate, run, worker). The handler only records the first signal
 * in a volatile sig_atomic_t (and passes it on to the child processes of
 * `run --parallel`); the library asks cli_cancelled at its safe points and
 * stops there: the tenant in flight is rolled back (or its switch finished,
 * past the point of no return), and the command exits 128 + the signal's
 * number (130, 143, 129) saying where the tenant stands.
 */
#include "cli.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t caught;
static const pid_t *forward_pids;
static volatile sig_atomic_t forward_n;

static void on_signal(int sig)
{
    if (!caught)
        caught = sig;
    for (sig_atomic_t i = 0; i < forward_n; i++)
        if (forward_pids[i] > 0)
            kill(forward_pids[i], sig);
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* database calls go on; the flag is read at safe points */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void cli_signals_forward(const pid_t *pids, size_t n)
{
    forward_n = 0;
    forward_pids = pids;
    forward_n = (sig_atomic_t)n;
}

int cli_signal_caught(void) { return caught; }

bool cli_cancelled(void *ctx)
{
    (void)ctx;
    return caught != 0;
}

co_code cli_row_checkpoint(void *ctx, size_t entity_index, const char *const *names,
                           const co_value *row, size_t ncols, co_error *err)
{
    (void)ctx, (void)entity_index, (void)names, (void)row, (void)ncols;
    if (caught)
        return co_error_set(err, CO_EINTERRUPTED, "interrupted by %s during the copy",
                            cli_signal_name(caught));
    return CO_OK;
}

const char *cli_signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
    }
}

int cli_signal_exit(int sig)
{
    switch (sig) {
    case SIGINT: return EXIT_SIGINT;
    case SIGTERM: return EXIT_SIGTERM;
    case SIGHUP: return EXIT_SIGHUP;
    default: return EXIT_INTERNAL;
    }
}

void cli_pause(double seconds)
{
    for (double left = seconds; left > 0 && !cli_signal_caught(); left -= 0.1)
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
}
