/*
 * log.c: the run's settings from the global options (--json, -q, --silent,
 * -v, --log, --log-format), the log file for cron and CI, timestamps on
 * plain lines, escaping of control characters for terminals, and the end of
 * a run (the JSON error object under --json, the log's last line).
 */
#define _GNU_SOURCE /* fopencookie */
#include "cli.h"
#include "cutover/migrate.h"
#include "cutover/store.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    FILE *file;
    bool json;
    bool failed; /* could not be opened: reported once */
    struct timespec started;
    const cli_ctx *ctx;
} logger;

const char *cli_timestamp(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[24]; /* 2026-12-07T08:40:43: 19 characters until the year 10000 */
    if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        base[0] = '\0';
    /* the milliseconds, 0 to 999, in three digits */
    snprintf(buf, cap, "%s.%03dZ", base, (int)(ts.tv_nsec / 1000000 % 1000));
    return buf;
}

void cli_log(const char *level, const char *fmt, ...)
{
    if (!logger.file)
        return;
    /* Whole, however long (a statement at -vv). */
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *message = need >= 0 ? malloc((size_t)need + 1) : NULL;
    if (message)
        vsnprintf(message, (size_t)need + 1, fmt, again);
    va_end(again);
    if (!message)
        return;
    size_t len = strlen(message);
    while (len && message[len - 1] == '\n')
        message[--len] = '\0';
    char ts[40];
    cli_timestamp(ts, sizeof ts);
    if (logger.json) {
        co_buf b;
        Co_buf_init(&b);
        Co_json_field(&b, "{\"time\": ", ts);
        Co_json_field(&b, ", \"level\": ", level);
        Co_json_field(&b, ", \"command\": ",
                      logger.ctx && logger.ctx->command ? logger.ctx->command->name : "");
        Co_buf_adds(&b, ", \"pid\": ");
        Co_buf_add_int(&b, (int64_t)getpid());
        Co_json_field(&b, ", \"message\": ", message);
        Co_buf_adds(&b, "}\n");
        fputs(co_buf_str(&b), logger.file);
        Co_buf_release(&b);
    } else {
        fprintf(logger.file, "%s %s [%ld] %s\n", ts, level, (long)getpid(), message);
    }
    fflush(logger.file);
    free(message);
}

bool cli_logging(void) { return logger.file != NULL; }

/* The command line as run, for the log's first line (no values of options
 * that name connections: they may hold passwords). */
static void log_start(const cli_ctx *ctx)
{
    co_buf b;
    Co_buf_init(&b);
    Co_buf_printf(&b, "start: cutover %s", ctx->command ? ctx->command->name : "");
    for (size_t i = 0; i < ctx->args.npositional; i++)
        Co_buf_printf(&b, " %s", ctx->args.positional[i]);
    for (size_t i = 0; i < ctx->args.n; i++) {
        const char *name = ctx->args.names[i];
        bool secret = strcmp(name, "source") == 0 || strcmp(name, "target") == 0 ||
                      strcmp(name, "staging") == 0 || strcmp(name, "state") == 0;
        Co_buf_printf(&b, " --%s", name);
        if (ctx->args.values[i][0])
            Co_buf_printf(&b, " %s", secret ? "(connection)" : ctx->args.values[i]);
    }
    cli_log("info", "%s", co_buf_str(&b));
    Co_buf_release(&b);
}

/* Appends a byte of a statement's text to flat, counting characters (UTF-8
 * lead bytes) in *chars; *cut_at gets where the character after the first
 * CLI_TRACE_CUT starts. */
static void flat_add(co_buf *flat, char c, size_t *chars, size_t *cut_at)
{
    if (((unsigned char)c & 0xc0) != 0x80 && (*chars)++ == CLI_TRACE_CUT)
        *cut_at = flat->len;
    Co_buf_addc(flat, c);
}

/* -v: each connection and statement on standard error (and in the log), on
 * one line, after a timestamp. URIs arrive with passwords masked; the SQL
 * text carries no parameter values. At -v a statement longer than
 * CLI_TRACE_CUT characters is cut, and the line says so and how long it is
 * (a loader's INSERT of 64 rows of placeholders runs to thousands); at -vv
 * every statement is whole, so that the part an error points at (a
 * PostgreSQL error's "at character N") can be read. */
static void on_store_trace(void *ctx, co_side side, const char *what, const char *text)
{
    (void)ctx;
    co_buf flat = CO_BUF_INIT;
    bool space = false;
    size_t chars = 0, cut_at = 0; /* characters (UTF-8), and the byte where CLI_TRACE_CUT ends */
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            space = flat.len > 0;
            continue;
        }
        if (space)
            flat_add(&flat, ' ', &chars, &cut_at);
        flat_add(&flat, *p, &chars, &cut_at);
        space = false;
    }
    bool whole = logger.ctx && logger.ctx->verbose >= 2;
    char note[96] = "";
    if (!whole && cut_at) {
        char n[32];
        snprintf(note, sizeof note, " ... (cut: %s characters in all; -vv shows it whole)",
                 cli_num((long long)chars, n, sizeof n));
        flat.len = cut_at;
    }
    size_t cap = 4 * flat.len + 1; /* a control character becomes \xNN */
    char *safe = flat.failed ? NULL : malloc(cap);
    char ts[40];
    if (safe) {
        Co_buf_addc(&flat, '\0');
        cli_term_text(flat.data, safe, cap);
    }
    fprintf(stderr, "%s %s %s: %s%s\n", cli_timestamp(ts, sizeof ts), co_side_name(side), what,
            safe ? safe : "(out of memory)", note);
    cli_log("debug", "%s %s: %s%s", co_side_name(side), what, safe ? safe : "(out of memory)",
            note);
    free(safe);
    Co_buf_release(&flat);
}

/* Under --json, standard output goes through a stream that counts what it
 * writes: a command that printed its document and then failed must not get
 * a second document (the error object) after it. */
static long long stdout_bytes;

static ssize_t counted_write(void *cookie, const char *buf, size_t size)
{
    (void)cookie;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(STDOUT_FILENO, buf + done, size - done);
        if (n < 0)
            return done ? (ssize_t)done : -1;
        done += (size_t)n;
    }
    stdout_bytes += (long long)done;
    return (ssize_t)done;
}

static void count_stdout(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    fflush(stdout);
    cookie_io_functions_t io = {.write = counted_write};
    FILE *f = fopencookie(NULL, "w", io);
    if (!f)
        return; /* then the error object may follow a document: no worse than before */
    setvbuf(f, NULL, _IOLBF, 0);
    stdout = f;
}

void cli_setup(cli_ctx *ctx)
{
    ctx->json = cli_flag(&ctx->args, "json");
    if (ctx->json)
        count_stdout();
    ctx->quiet = cli_flag(&ctx->args, "silent");
    ctx->verbose = (int)cli_flag_count(&ctx->args, "verbose");
    co_store_set_trace(ctx->verbose ? on_store_trace : NULL, NULL);
    const char *no_color = getenv("NO_COLOR");
    ctx->color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
    ctx->terminal = isatty(STDOUT_FILENO);
    bool no_progress = cli_flag(&ctx->args, "quiet") || cli_flag(&ctx->args, "silent");
    ctx->progress = !no_progress && isatty(STDERR_FILENO);
    ctx->progress_lines = !no_progress && !ctx->progress;
    ctx->project_path = cli_get(&ctx->args, "project");
    if (!ctx->project_path)
        ctx->project_path = getenv("CUTOVER_PROJECT");
    if (!ctx->project_path || !*ctx->project_path)
        ctx->project_path = "cutover.yaml";
    logger.ctx = ctx;
    const char *format = cli_get(&ctx->args, "log-format");
    logger.json = format && strcmp(format, "json") == 0;
    const char *path = cli_get(&ctx->args, "log");
    if (!path)
        path = getenv("CUTOVER_LOG");
    if (path && *path && !logger.file && !logger.failed && ctx->command) {
        logger.file = strcmp(path, "-") == 0 ? stderr : fopen(path, "a");
        if (!logger.file) {
            logger.failed = true;
            fprintf(stderr, "cutover: warning: cannot open the log %s\n", path);
        } else {
            clock_gettime(CLOCK_MONOTONIC, &logger.started);
            log_start(ctx);
        }
    }
}

int cli_check_globals(cli_ctx *ctx)
{
    const char *format = cli_get(&ctx->args, "log-format");
    if (format && strcmp(format, "json") != 0 && strcmp(format, "text") != 0)
        return cli_usage_error(ctx, "--log-format must be json or text, not \"%s\"", format);
    return EXIT_OK;
}

int cli_finish(cli_ctx *ctx, int rc)
{
    fflush(stdout);
    if (ctx->json && rc != EXIT_OK && cli_had_error() && stdout_bytes == 0)
        cli_print_json_error(rc);
    if (logger.file) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double s = (double)(t.tv_sec - logger.started.tv_sec) +
                   (double)(t.tv_nsec - logger.started.tv_nsec) / 1e9;
        cli_log(rc == EXIT_OK ? "info" : "error", "end: exit %d after %.2fs", rc, s);
        if (logger.file != stderr)
            fclose(logger.file);
        logger.file = NULL;
    }
    fflush(stdout);
    return rc;
}

const char *cli_term_text(const char *text, char *buf, size_t cap)
{
    /* C0 controls, DEL and the C1 controls (as UTF-8, U+0080..U+009F) become
     * visible escapes, so that data cannot move the cursor or ring a bell. */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (!cap)
        return "";
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        unsigned c = *p;
        bool c1 = c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
        if (c1)
            c = *++p;
        if (c < 0x20 || c == 0x7f || c1) {
            if (o + 5 >= cap)
                break;
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
            continue;
        }
        if (o + 2 >= cap)
            break;
        buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}
