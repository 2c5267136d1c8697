/* cmd_help.c: `cutover help [COMMAND]` and `cutover version`, from the tables. */
#include "cli.h"
#include "cutover/version.h"
#include "util/buf.h"
#include "util/json.h"

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

static void json_options(co_buf *b, const cli_option *opts)
{
    Co_buf_adds(b, "[");
    for (const cli_option *o = opts; o && o->name; o++) {
        Co_json_field(b, o == opts ? "{\"name\": " : ", {\"name\": ", o->name);
        if (o->short_name)
            Co_buf_printf(b, ", \"short\": \"%c\"", o->short_name);
        Co_json_field(b, ", \"arg\": ", o->arg);
        Co_json_field(b, ", \"help\": ", o->help);
        Co_buf_adds(b, "}");
    }
    Co_buf_adds(b, "]");
}

/* help --json: the command table itself, for tools. */
static int help_json(const char *name)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"commands\": [");
    bool first = true;
    for (const cli_command *c = cli_commands; c->name; c++) {
        if (name && strcmp(c->name, name) != 0)
            continue;
        Co_buf_adds(&b, first ? "{\"name\": " : ", {\"name\": ");
        first = false;
        Co_json_str(&b, c->name);
        Co_json_field(&b, ", \"usage\": ", c->usage);
        Co_json_field(&b, ", \"summary\": ", c->summary);
        Co_buf_adds(&b, ", \"options\": ");
        json_options(&b, c->options);
        const cli_subcommand *subs = cli_subcommands(c->name);
        if (subs) {
            Co_buf_adds(&b, ", \"subcommands\": [");
            for (const cli_subcommand *s = subs; s->name; s++) {
                Co_json_field(&b, s == subs ? "{\"name\": " : ", {\"name\": ", s->name);
                Co_json_field(&b, ", \"usage\": ", s->usage);
                Co_json_field(&b, ", \"summary\": ", s->summary);
                Co_buf_adds(&b, "}");
            }
            Co_buf_adds(&b, "]");
        }
        Co_buf_adds(&b, "}");
    }
    Co_buf_adds(&b, "], \"global_options\": ");
    json_options(&b, cli_global_options);
    Co_buf_adds(&b, ", \"exit_codes\": {");
#define CLI_EXIT_JSON(name, number, text) \
    Co_buf_printf(&b, "%s\"%d\": ", number ? ", " : "", number); \
    Co_json_str(&b, text);
    CLI_EXIT_CODES(CLI_EXIT_JSON)
#undef CLI_EXIT_JSON
    Co_buf_adds(&b, "}}\n");
    fputs(co_buf_str(&b), stdout);
    Co_buf_release(&b);
    return EXIT_OK;
}

int cmd_help(cli_ctx *ctx)
{
    const char *name = ctx->args.npositional ? ctx->args.positional[0] : NULL;
    bool known = false;
    for (const cli_command *c = cli_commands; name && c->name; c++)
        known = known || strcmp(c->name, name) == 0;
    if (ctx->json && (!name || known))
        return help_json(name);
    if (name) {
        for (const cli_command *c = cli_commands; c->name; c++) {
            if (strcmp(c->name, name) != 0)
                continue;
            printf("usage: cutover %s %s\n\n%s\n", c->name, c->usage, c->summary);
            const cli_subcommand *subs = cli_subcommands(c->name);
            if (subs) {
                printf("\nSubcommands:\n");
                for (const cli_subcommand *s = subs; s->name; s++)
                    printf("  %-10s %s\n             cutover %s %s%s%s\n", s->name, s->summary,
                           c->name, s->name, s->usage[0] ? " " : "", s->usage);
            }
            if (c->options && c->options->name) {
                printf("\nOptions:\n");
                print_options(c->options);
            }
            printf("\nGlobal options:\n");
            print_options(cli_global_options);
            return EXIT_OK;
        }
        return cli_unknown_command(ctx, name, "");
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
    if (ctx->json)
        printf("{\"version\": \"%s\"}\n", co_version());
    else
        printf("cutover %s\n", co_version());
    return EXIT_OK;
}
