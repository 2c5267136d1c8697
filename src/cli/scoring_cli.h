/*
 * scoring_cli.h: what `cutover events` and `cutover model` share: opening
 * the project and its journal, dates, and writing a page to a file.
 */
#ifndef CUTOVER_CLI_SCORING_H
#define CUTOVER_CLI_SCORING_H

#include "cli.h"
#include "cutover/scoring.h"

#include <time.h>

typedef struct scoring_cli {
    co_project *project;
    co_state *state;
} scoring_cli;

/* Loads the project and opens its journal; prints any failure and returns
 * its exit code. */
int scoring_open(cli_ctx *ctx, scoring_cli *sc);
void scoring_close(scoring_cli *sc);

/* --as-of DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ), else now; false after a
 * usage error into *rc. */
bool scoring_as_of(cli_ctx *ctx, time_t *out, int *rc);

/* A subcommand of `cutover events` or `cutover model`. */
typedef struct scoring_sub {
    const char *name;
    int (*fn)(cli_ctx *ctx, scoring_cli *sc);
} scoring_sub;

/* Runs the subcommand named by the first positional argument with the
 * project and journal open; group ("events", "model") is for messages. */
int scoring_dispatch(cli_ctx *ctx, const char *group, const scoring_sub *subs, size_t n);

/* Loads the models named by positional arguments 1 and 2 (OLD DRAFT); prints
 * a failure (as `cutover WHAT: ...`) and returns its exit code, with nothing
 * left to release. */
int scoring_two_models(cli_ctx *ctx, scoring_cli *sc, const char *what, co_model *old_m,
                       co_model *draft);

/* Writes len bytes to path; prints a failure and returns its exit code. */
int scoring_write(const char *what, const char *path, const char *data, size_t len);

#endif
