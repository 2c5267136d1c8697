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

/* Writes len bytes to path; prints a failure and returns its exit code. */
int scoring_write(const char *what, const char *path, const char *data, size_t len);

#endif
