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

/* The exit codes, from the one list in cli.h. */
static void print_exit_codes(void)
{
#define CLI_EXIT_LINE(name, number, text) printf("  %2d  %s\n", number, text);
    printf("Exit codes:\n");
    CLI_EXIT_CODES(CLI_EXIT_LINE)
#undef CLI_EXIT_LINE
}

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
    printf("\n");
    print_exit_codes();
    printf("\nSee cutover help COMMAND, and man cutover.\n");
    return EXIT_OK;
}

int cmd_version(cli_ctx *ctx)
{
    (void)ctx;
    printf("cutover %s\n", CUTOVER_VERSION);
    return EXIT_OK;
}
