/* cmd_help.c: `cutover help [COMMAND]` and `cutover version`, from the tables. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void print_options(const cli_option *opts)
{
    for (const cli_option *o = opts; o && o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        printf("  %-26s %s\n", left, o->help);
    }
}

static const char exit_codes[] =
    "Exit codes:\n"
    "   0  success\n"
    "   1  internal error or out of memory\n"
    "   2  bad arguments\n"
    "   3  the project file is invalid\n"
    "   4  the source failed or refused\n"
    "   5  the target or staging failed or refused\n"
    "   6  the state store failed\n"
    "   7  unknown tenant, entity or table\n"
    "   8  a file could not be read or written\n"
    "   9  the project file changed since the journal began\n"
    "  10  held by another process\n"
    "  11  not supported by this version\n"
    "  12  verification found differences\n"
    "  13  a step that must come first has not passed (a rehearsal, an approval)\n"
    "  14  cutover monitor flagged a deviation or a query over its budget\n";

int cmd_help(cli_ctx *ctx)
{
    const char *name = ctx->args.npositional ? ctx->args.positional[0] : NULL;
    if (name) {
        for (const cli_command *c = cli_commands; c->name; c++) {
            if (strcmp(c->name, name) != 0)
                continue;
            printf("usage: cutover %s %s\n\n%s\n", c->name, c->usage, c->summary);
            if (c->options && c->options->name) {
                printf("\nOptions:\n");
                print_options(c->options);
            }
            printf("\nGlobal options:\n");
            print_options(cli_global_options);
            return EXIT_OK;
        }
        fprintf(stderr, "cutover: help: unknown command \"%s\"\n", name);
        return EXIT_USAGE;
    }
    printf("usage: cutover COMMAND [OPTIONS]\n\n"
           "Moves a multi-tenant product's data from a legacy database to a new one,\n"
           "one tenant at a time, without losing a row.\n\nCommands:\n");
    for (const cli_command *c = cli_commands; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
    printf("\nGlobal options:\n");
    print_options(cli_global_options);
    printf("\n%s\nSee cutover help COMMAND, and man cutover.\n", exit_codes);
    return EXIT_OK;
}

int cmd_version(cli_ctx *ctx)
{
    (void)ctx;
    printf("cutover %s\n", CUTOVER_VERSION);
    return EXIT_OK;
}
