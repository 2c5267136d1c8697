/*
 * cli.h: what the command-line front end's files share: the command and
 * option tables, parsed arguments, output helpers and exit codes. Only the
 * CLI prints or exits; it reaches the library through its public headers.
 */
#ifndef CUTOVER_CLI_H
#define CUTOVER_CLI_H

#include "cutover/error.h"
#include "cutover/project.h"
#include "cutover/value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes, documented in docs/cutover.1; `cutover help` prints this list:
 * X(name, number, what it means). */
#define CLI_EXIT_CODES(X)                                                                   \
    X(EXIT_OK, 0, "success")                                                                \
    X(EXIT_INTERNAL, 1, "internal error or out of memory")                                  \
    X(EXIT_USAGE, 2, "bad arguments")                                                       \
    X(EXIT_PROJECT, 3, "the project file is invalid")                                       \
    X(EXIT_SOURCE, 4, "the source failed or refused")                                       \
    X(EXIT_TARGET, 5, "the target or staging failed or refused")                            \
    X(EXIT_STATE, 6, "the state store failed")                                              \
    X(EXIT_NOT_FOUND, 7, "unknown tenant, entity or table")                                 \
    X(EXIT_IO, 8, "a file could not be read or written")                                    \
    X(EXIT_CHANGED, 9, "the project file changed since the journal began")                  \
    X(EXIT_BUSY, 10, "held by another process")                                             \
    X(EXIT_UNSUPPORTED, 11, "not supported by this version")                                \
    X(EXIT_VERIFY, 12, "verification found differences")                                   \
    X(EXIT_NOT_READY, 13, "a step that must come first has not passed (a rehearsal, an "    \
                          "approval, a hook, a rollback)")                                  \
    X(EXIT_FLAGGED, 14, "cutover monitor flagged a deviation or a query over its budget")   \
    X(EXIT_FOREIGN, 15, "the source or target carries another journal's traces (see "       \
                        "cutover recover-journal)")                                           \
    X(EXIT_SIGHUP, 129, "interrupted by SIGHUP: stopped at a safe point, the tenant in "   \
                        "flight rolled back or its switch finished (the message says which)") \
    X(EXIT_SIGINT, 130, "interrupted by SIGINT (Ctrl-C): likewise")                        \
    X(EXIT_SIGTERM, 143, "interrupted by SIGTERM: likewise")

#define CLI_EXIT_ENUM(name, number, text) name = number,
enum { CLI_EXIT_CODES(CLI_EXIT_ENUM) };
#undef CLI_EXIT_ENUM

/* One option of a command: --name [ARG], with its help text. */
typedef struct cli_option {
    const char *name;
    char short_name;  /* 0 when none */
    const char *arg;  /* NULL for a flag */
    const char *help;
} cli_option;

#define CLI_MAX_VALUES 32
#define CLI_MAX_POSITIONAL 8
/* Characters of a statement that -v shows (-vv shows it whole). */
#define CLI_TRACE_CUT 1200

typedef struct cli_args {
    const char *names[CLI_MAX_VALUES];
    const char *values[CLI_MAX_VALUES]; /* "" for flags */
    size_t n;
    const char *positional[CLI_MAX_POSITIONAL];
    size_t npositional;
} cli_args;

typedef struct cli_command cli_command;

/* What every command gets: its arguments and the global settings. */
typedef struct cli_ctx {
    const cli_command *command;
    cli_args args;
    bool json;
    bool quiet;       /* --silent: no summaries either (-q alone hides progress only) */
    int verbose;      /* -v: 1, the SQL-level detail, passwords masked, a statement cut
                         at CLI_TRACE_CUT characters; -vv: 2, every statement whole */
    bool color;       /* false with NO_COLOR or when stdout is not a terminal */
    bool terminal;    /* stdout is a terminal: control characters in data are escaped */
    bool progress;    /* stderr is a terminal and neither -q nor --silent: a bar */
    bool progress_lines; /* stderr is not a terminal, no -q nor --silent: timestamped lines */
    const char *project_path;
    bool in_cohort;   /* `run --cohort`: migrate stops before a tenant once it is paused */
    int cohort;
    const char *cohort_name;
    const char *const *tenant_keys; /* `run`: the cohort's tenant keys, each whole, chosen
                                       as --tenant values are (never joined into text) */
    size_t ntenant_keys;
} cli_ctx;

/* A sub-verb of a command (`cutover events mapping ...`), for help and
 * completion; the command's run function dispatches on it. */
typedef struct cli_subcommand {
    const char *name;
    const char *usage;   /* after "cutover COMMAND NAME " */
    const char *summary; /* one line */
} cli_subcommand;

/* A row of the command table. To add a command, add a row to cli_commands in
 * commands.c (help, completion and the docs test follow from it). */
struct cli_command {
    const char *name;
    int (*run)(cli_ctx *ctx);
    const char *usage;    /* after "cutover NAME " */
    const char *summary;  /* one line */
    const cli_option *options; /* ends with {0} */
};

/* The sub-verbs of the command named name (ends with {0}), or NULL. */
const cli_subcommand *cli_subcommands(const char *name);

extern const cli_command cli_commands[];
extern const cli_option cli_global_options[];

/* Value of --name, or NULL. */
const char *cli_get(const cli_args *a, const char *name);
bool cli_flag(const cli_args *a, const char *name);
/* How many times a flag was given (-vv: verbose twice), on either side of the command. */
size_t cli_flag_count(const cli_args *a, const char *name);

/* Prints `cutover: WHAT: MESSAGE (WHERE)` to stderr and returns the exit code.
 * Every error line (these and the ones below) also goes to the --log file and
 * is kept: under --json, the run ends with {"error": {"exit_code", "message",
 * "where"}} on standard output (cli_finish). */
int cli_fail(const char *what, const co_error *err);
/* Prints `cutover: MESSAGE` (printf-style; a trailing newline is optional). */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints `cutover: COMMAND: MESSAGE` and returns code. */
int cli_error(const cli_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Unknown tenant key, with a "did you mean" among all: EXIT_NOT_FOUND. */
struct co_tenant;
int cli_unknown_tenant(const cli_ctx *ctx, const char *key, const struct co_tenant *all,
                       size_t n);
/* Reports name as no command (exit 2), suggesting the nearest command, or
 * else adding otherwise to the message (" (see cutover help)" or ""). */
int cli_unknown_command(const cli_ctx *ctx, const char *name, const char *otherwise);
/* The nearest of names to word (Damerau-Levenshtein, or a prefix of it), or
 * NULL when none is near enough to suggest. */
const char *cli_suggest(const char *word, const char *const *names, size_t n);
bool cli_had_error(void);
void cli_print_json_error(int rc);

/* Files a command writes: "-" is standard output. cli_open_output opens path
 * (or gives stdout), cli_close_output closes it (or flushes stdout), 0 or
 * EOF; cli_write_file writes len bytes, printing a failure as
 * `cutover: WHAT: cannot write PATH: ...` (EXIT_IO). */
bool cli_is_stdout(const char *path);
FILE *cli_open_output(const char *path, const char *mode);
int cli_close_output(FILE *f);
int cli_write_file(const char *what, const char *path, const char *data, size_t len);

/* Settings from the global options into ctx; opens the --log file (once). */
void cli_setup(cli_ctx *ctx);
/* Checks the global options' values (--log-format). */
int cli_check_globals(cli_ctx *ctx);
/* The end of a run: the JSON error object under --json, the log's last line.
 * Returns rc. */
int cli_finish(cli_ctx *ctx, int rc);
/* A line for the --log file (nothing without one): LEVEL is info or error. */
void cli_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cli_logging(void);
/* Now as ISO 8601 UTC with milliseconds (2026-12-06T07:30:38.123Z). */
const char *cli_timestamp(char *buf, size_t cap);
/* text with control characters (C0, DEL, C1) written as \xNN, into buf. */
const char *cli_term_text(const char *text, char *buf, size_t cap);
/* Prints a usage error and returns EXIT_USAGE. */
int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_exit_code(co_code code);

/* Loads the project named by --project / CUTOVER_PROJECT / ./cutover.yaml and
 * applies the connection overrides (flags, then CUTOVER_* variables). */
int cli_load_project(cli_ctx *ctx, co_project **out);

/* What most commands open: the project, a session on it and, when asked, the
 * source's tenants. cli_open prints any failure as `cutover: WHAT: ...` and
 * returns its exit code; cli_close releases whatever was opened. */
struct co_session;
struct co_tenant;
typedef struct cli_session {
    co_project *project;
    struct co_session *session;
    struct co_tenant *tenants;
    size_t ntenants;
    const struct co_tenant **chosen; /* with CLI_OPEN_CHOOSE*: the tenants to work on */
    size_t nchosen;
} cli_session;

enum {
    CLI_OPEN_TENANTS = 1 << 0, /* list the tenants */
    CLI_OPEN_CHECK = 1 << 1,   /* and check the entities against source and target */
    CLI_OPEN_CHOOSE = 1 << 2,  /* list the tenants and choose those --tenant KEY or --all names
                                  (cli_select_tenants) into chosen */
    CLI_OPEN_CHOOSE_OR_EVERY = 1 << 3, /* the same, but every tenant when no --tenant is given */
};

int cli_open(cli_ctx *ctx, const char *what, unsigned session_flags, unsigned open_flags,
             cli_session *out);
void cli_close(cli_session *cs);
/* The journal alone (cmd_route.c): for commands that answer from it (route,
 * routes, status) while the source or target is away. Only when the journal
 * has never seen the tenant key (or, with key NULL, any tenant) are the
 * source's tenants listed, as cli_open with CLI_OPEN_TENANTS does; then
 * out->tenants is set, else it is NULL. */
int cli_open_journal(cli_ctx *ctx, const char *what, const char *key, cli_session *out);
/* Warns on stderr about tenants query rows that co_tenants_list left out (NULL
 * and repeated keys), with their count and how to leave them out on purpose. */
void cli_warn_tenants_left_out(const char *what, const struct co_session *s);

/* Progress on stderr: a bar on a terminal (coloured unless NO_COLOR), plain
 * lines otherwise (one per item as it ends), nothing with --quiet. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_new(const cli_ctx *ctx);
void cli_progress_update(cli_progress *p, const char *label, const char *item, long long done,
                         long long total);
/* A step without rows (an index build) as the current item: its name on the
 * bar; as a plain line when it ends, how long it took, no rows. */
void cli_progress_step(cli_progress *p, const char *label, const char *item);
/* The current item is finished: its plain line now (nothing on a terminal). */
void cli_progress_item_done(cli_progress *p);
void cli_progress_clear(cli_progress *p);
/* The progress of job `job` of njobs (--jobs), to be used by that job's
 * thread: its plain lines as any progress's; on a terminal its item shows in
 * its place on shared's bar line, beside the other jobs'. Every call on
 * shared or its jobs' progress takes shared's lock from then on. Free the
 * jobs' progress (cli_progress_free) before shared. */
cli_progress *cli_progress_job(cli_progress *shared, size_t job, size_t njobs);
/* A line of its own about the whole run (an overall line): on a terminal
 * above the bar, else a timestamped plain line; in the log too; nothing with
 * -q or --silent. */
void cli_progress_note(cli_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A run of several tenants (--all, run --cohort): after each tenant, an
 * overall line (cli_progress_note): tenants done and left, rows read, and an
 * ETA for the whole run: the rows the latest plan estimates for the tenants
 * left, at the rate measured so far (without a plan: the time per tenant so
 * far). Nothing for a run of one tenant. */
typedef struct cli_overall cli_overall;
struct co_session;
cli_overall *cli_overall_new(cli_progress *bar, struct co_session *s,
                             const struct co_tenant *const *tenants, size_t count);
/* Tenant i of the run is finished, having read rows. */
void cli_overall_step(cli_overall *ov, size_t i, int64_t rows);
void cli_overall_free(cli_overall *ov);

/* Tenants in parallel (jobs.c). cli_jobs_option reads --jobs N (1 to 64):
 * by default 1 when writes (the store the command writes: the target, or
 * staging for rehearse) takes one writer at a time (SQLite), else the number
 * of cores (1 under run --parallel, whose processes share the tenants);
 * never more than count, the tenants to work on (at least 1); false after a
 * usage error into *rc. */
struct co_store;
bool cli_jobs_option(cli_ctx *ctx, const struct co_store *writes, size_t count, size_t *out,
                     int *rc);
/* A session per job: out[0] is first, out[1..njobs-1] opened like it (with
 * CLI_JOBS_REHEARSAL in session_flags: rehearsal sessions, co_rehearsal_open).
 * Prints a failure as `cutover: WHAT: ...` and returns its exit code, having
 * closed what it opened. cli_jobs_sessions_close closes out[1..njobs-1]. */
#define CLI_JOBS_REHEARSAL (1u << 16)
int cli_jobs_sessions(cli_ctx *ctx, const char *what, struct co_session *first,
                      unsigned session_flags, size_t njobs, struct co_session **out);
void cli_jobs_sessions_close(struct co_session **sessions, size_t njobs);
/* count items over njobs threads: work(ctx, job, i) runs item i in job's
 * thread (job < njobs; false: start no more items, as a failure without
 * --keep-going); done(ctx, i) runs on the calling thread for each item started,
 * in list order, once it and every item before it that started are done. The
 * items start in the order of `order` (a permutation of 0 .. count - 1), or in
 * list order when it is NULL; once no more start (a failure, a signal), the
 * items never started are passed over. A signal stops new items from
 * starting. With one job everything runs on the calling thread, in list
 * order, each item's done right after its work. Returns how many items
 * started. */
typedef struct cli_jobs {
    size_t njobs;
    size_t count;
    bool (*work)(void *ctx, size_t job, size_t i);
    void (*done)(void *ctx, size_t i);
    void *ctx;
    const size_t *order;
} cli_jobs;
size_t cli_jobs_run(const cli_jobs *j);
struct co_move_options;
/* The order in which njobs jobs (sessions, one per job) should start the
 * count tenants so that they end together: the largest first, by
 * co_tenant_estimate_rows (the tenants counted by the jobs in parallel);
 * a tenant that a move with opt (may be NULL: every tenant is counted) will
 * find done (co_move_done) is not counted and comes after the others;
 * equal or unknown sizes keep list order. NULL, list order, with one job or no more tenants than jobs, or when
 * out of memory or interrupted. The caller frees it. */
size_t *cli_jobs_largest_first(struct co_session **sessions, size_t njobs,
                               const struct co_tenant *const *tenants, size_t count,
                               const struct co_move_options *opt);

/* seconds as 42s, 3m05s or 2h10m, into buf. */
const char *cli_duration(double seconds, char *buf, size_t cap);
void cli_progress_free(cli_progress *p);

/* text cut or padded to width terminal columns (UTF-8 aware), into buf;
 * control characters in it are shown as \xNN. */
const char *cli_cell(const char *text, int width, char *buf, size_t cap);

/* A tenant key padded to width columns but never cut (a longer key is
 * written whole), control characters escaped, into buf. */
const char *cli_key_cell(const char *key, int width, char *buf, size_t cap);

/* Natural order of tenant keys: digits compare as numbers (2 before 10),
 * numbers before text, text without regard to case (Italy, UK, USA). */
int cli_natural_cmp(const char *a, const char *b);

/* Numbers with thousands separators, into buf. */
const char *cli_num(long long n, char *buf, size_t cap);

/* --tenant KEY (repeated as often as needed; a value that is no tenant's key
 * is read as a comma-separated list KEY,KEY...) or --all, against the
 * source's tenants, plus ctx->tenant_keys: fills chosen (room for n) and
 * *count, or prints a usage / not-found error. */
struct co_tenant;
int cli_select_tenants(cli_ctx *ctx, const struct co_tenant *all, size_t n,
                       const struct co_tenant **chosen, size_t *count);

/* One tenant's turn in cli_each_tenant: prints its result for people, or
 * appends it to json as an item of the "tenants" array (cli_json_item first).
 * Returns EXIT_OK to go on with the next tenant, another exit code to stop. */
struct co_buf;
typedef int (*cli_tenant_turn)(cli_ctx *ctx, cli_session *cs, const struct co_tenant *t,
                               struct co_buf *json, void *arg);
/* Runs turn over cs's chosen tenants in order until one stops; with --json,
 * when none stopped, prints the document {"tenants":[...]} on stdout.
 * Returns the code that stopped, else EXIT_OK. */
int cli_each_tenant(cli_ctx *ctx, cli_session *cs, cli_tenant_turn turn, void *arg);
/* Starts an item of an array being written: a comma unless it is the first. */
void cli_json_item(struct co_buf *json);

/* --cohort canary | N (a wave of the latest plan, canary being 0), required;
 * false after printing a usage error into *rc. */
bool cli_cohort(cli_ctx *ctx, int *wave, int *rc);

/* --NAME SECONDS, from min to max (a whole number when whole), dflt when
 * absent; false after printing a usage error into *rc. */
bool cli_seconds(cli_ctx *ctx, const char *name, bool whole, double dflt, double min, double max,
                 double *out, int *rc);

/* --sample N (default 10); false after printing a usage error into *rc. */
bool cli_sample(cli_ctx *ctx, size_t *out, int *rc);

/* Prints one tenant's verification for people. */
struct co_verify_result;
void cli_print_verification(const cli_ctx *ctx, const struct co_verify_result *r);

/* Who runs the command: --by, else $CUTOVER_USER, else $USER; NULL when none. */
const char *cli_user(const cli_ctx *ctx);

/* Prints status's lines on notes, monitoring and approvals (status_aftercare.c). */
struct co_tenant_status;
void cli_print_aftercare(const struct co_tenant_status *rows, size_t n);

/* Signals (signals.c): SIGINT, SIGTERM and SIGHUP only set a flag, which
 * the library reads at its safe points through cli_cancelled (a
 * co_cutover_options.cancelled) and cli_row_checkpoint (a
 * co_migrate_options.on_row). cli_signals_forward passes them on to child
 * processes (pids must outlive the forwarding; n 0 stops it).
 * cli_signal_exit: 130, 143 or 129. */
void cli_signals_install(void);
void cli_signals_forward(const pid_t *pids, size_t n);
int cli_signal_caught(void);
/* Sleeps up to seconds, in steps of a tenth, waking early on a signal. */
void cli_pause(double seconds);
bool cli_cancelled(void *ctx);
co_code cli_row_checkpoint(void *ctx, size_t entity_index, const char *const *names,
                           const co_value *row, size_t ncols, co_error *err);
const char *cli_signal_name(int sig);
int cli_signal_exit(int sig);

int cmd_help(cli_ctx *ctx);
int cmd_version(cli_ctx *ctx);
int cmd_init(cli_ctx *ctx);
int cmd_check(cli_ctx *ctx);
int cmd_schema(cli_ctx *ctx);
int cmd_demo(cli_ctx *ctx);
int cmd_migrate(cli_ctx *ctx);
int cmd_status(cli_ctx *ctx);
int cmd_verify(cli_ctx *ctx);
int cmd_audit(cli_ctx *ctx);
int cmd_rehearse(cli_ctx *ctx);
int cmd_rollback(cli_ctx *ctx);
int cmd_purge(cli_ctx *ctx);
/* A purge of a rolled-back tenant's target rows (cmd_route.c): its line, or
 * a JSON object with --json (rollback --purge, purge, sync). */
struct co_purge_result;
void cli_print_purge(const cli_ctx *ctx, const char *key, const struct co_purge_result *r);
/* co_rollback_purge_with: to the end with progress on stderr (max_seconds
 * 0), or within max_seconds (a sync pass) without. */
struct co_session;
struct co_tenant;
co_code cli_purge(cli_ctx *ctx, struct co_session *s, const struct co_tenant *t,
                  double max_seconds, struct co_purge_result *res, co_error *err);
int cmd_archive(cli_ctx *ctx);
int cmd_finalize(cli_ctx *ctx);
int cmd_run(cli_ctx *ctx);
int cmd_worker(cli_ctx *ctx);
int cmd_sync(cli_ctx *ctx);
/* One sync round for each of the n tenants that is syncing (cmd_sync.c):
 * named (the user named them) makes a tenant that is not syncing, or held
 * by another process, an error rather than one to pass over; *synced counts
 * the rounds made. Prints each round (idle_too: also those that applied
 * nothing); returns an exit code. */
struct co_session;
int cli_sync_pass(cli_ctx *ctx, struct co_session *s, const struct co_tenant *const *tenants,
                  size_t n, bool named, bool idle_too, double purge_seconds, size_t *synced);
/* The seconds a pass of cutover sync or cutover worker --coexist gives the
 * purges that wait, at least one chunk each (sync --purge-seconds). */
#define CLI_SYNC_PURGE_SECONDS 1.0
int cmd_route(cli_ctx *ctx);
int cmd_recover_journal(cli_ctx *ctx);
int cmd_routes(cli_ctx *ctx);
int cmd_plan(cli_ctx *ctx);
int cmd_schedule(cli_ctx *ctx);
int cmd_notices(cli_ctx *ctx);
int cmd_trace(cli_ctx *ctx);
int cmd_review(cli_ctx *ctx);
int cmd_pause(cli_ctx *ctx);
int cmd_resume(cli_ctx *ctx);
int cmd_report(cli_ctx *ctx);
int cmd_serve(cli_ctx *ctx);
int cmd_monitor(cli_ctx *ctx);
int cmd_budgets(cli_ctx *ctx);
int cmd_parity(cli_ctx *ctx);
int cmd_switch(cli_ctx *ctx);
int cmd_note(cli_ctx *ctx);
int cmd_approve(cli_ctx *ctx);
int cmd_events(cli_ctx *ctx);
int cmd_model(cli_ctx *ctx);
int cmd_completion(cli_ctx *ctx);

/* "staging: created 3 tables from the target's schema: a, b, c" (cmd_schema.c);
 * nothing with --json or -q, or when n is 0. */
#include "cutover/store.h"
/* The rows of no tenant of co_orphans_count (orphans_out.c). */
struct co_orphans;
void cli_print_orphans(const struct co_orphans *o, const co_project *p);
void cli_print_created(const cli_ctx *ctx, co_side into, co_side from, char **names, size_t n);

#endif
