/*
 * main.c: the cutover program's entry: parses global and command options
 * against the tables in commands.c and runs the command.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option *find_option(const cli_option *table, const char *name, char short_name)
{
    for (const cli_option *o = table; o && o->name; o++)
        if ((name && strcmp(o->name, name) == 0) || (short_name && o->short_name == short_name))
            return o;
    return NULL;
}

static int add_value(cli_ctx *ctx, const char *name, const char *value)
{
    cli_args *a = &ctx->args;
    if (a->n == CLI_MAX_VALUES)
        return cli_usage_error(ctx, "too many options");
    a->names[a->n] = name;
    a->values[a->n] = value;
    a->n++;
    return EXIT_OK;
}

/* Parses argv after the command name. Options may come before or after
 * positional arguments; "--" ends options. */
static int parse_args(cli_ctx *ctx, int argc, char **argv)
{
    const cli_option *own = ctx->command->options;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            for (i++; i < argc; i++) {
                if (ctx->args.npositional == CLI_MAX_POSITIONAL)
                    return cli_usage_error(ctx, "too many arguments");
                ctx->args.positional[ctx->args.npositional++] = argv[i];
            }
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            if (ctx->args.npositional == CLI_MAX_POSITIONAL)
                return cli_usage_error(ctx, "too many arguments");
            ctx->args.positional[ctx->args.npositional++] = arg;
            continue;
        }
        const cli_option *o;
        const char *inline_value = NULL;
        char name[64];
        if (arg[1] == '-') {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            if (len >= sizeof name)
                return cli_usage_error(ctx, "unknown option %.60s", arg);
            memcpy(name, arg + 2, len);
            name[len] = '\0';
            inline_value = eq ? eq + 1 : NULL;
            o = find_option(own, name, 0);
            if (!o)
                o = find_option(cli_global_options, name, 0);
        } else {
            if (arg[2] != '\0')
                return cli_usage_error(ctx, "unknown option %s (long options take two dashes)", arg);
            o = find_option(own, NULL, arg[1]);
            if (!o)
                o = find_option(cli_global_options, NULL, arg[1]);
        }
        if (!o)
            return cli_usage_error(ctx, "unknown option %.60s", arg);
        const char *value = "";
        if (o->arg) {
            if (inline_value)
                value = inline_value;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return cli_usage_error(ctx, "option --%s needs a value (%s)", o->name, o->arg);
        } else if (inline_value) {
            return cli_usage_error(ctx, "option --%s takes no value", o->name);
        }
        int rc = add_value(ctx, o->name, value);
        if (rc != EXIT_OK)
            return rc;
    }
    return EXIT_OK;
}

static const cli_command *find_command(const char *name)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* Global options may also stand before the command: `cutover -p FILE migrate`.
 * They are moved after it so that one parser handles both places. */
static int split_leading_globals(int argc, char **argv, char **reordered)
{
    int lead = 1;
    while (lead < argc && argv[lead][0] == '-' && strcmp(argv[lead], "--help") != 0 &&
           strcmp(argv[lead], "-h") != 0 && strcmp(argv[lead], "--version") != 0) {
        const char *arg = argv[lead];
        const cli_option *o = arg[1] == '-' ? NULL : find_option(cli_global_options, NULL, arg[1]);
        if (arg[1] == '-') {
            char name[64];
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            if (len < sizeof name) {
                memcpy(name, arg + 2, len);
                name[len] = '\0';
                o = find_option(cli_global_options, name, 0);
            }
            if (!o)
                break;
            lead += (o->arg && !eq) ? 2 : 1; /* --name=value is one word */
            continue;
        }
        if (!o)
            break;
        lead += o->arg ? 2 : 1;
    }
    if (lead > argc)
        lead = argc;
    int n = 0;
    reordered[n++] = argv[0];
    if (lead < argc)
        reordered[n++] = argv[lead];
    for (int i = lead + 1; i < argc; i++)
        reordered[n++] = argv[i];
    for (int i = 1; i < lead && i < argc; i++)
        reordered[n++] = argv[i];
    return n;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    cli_ctx ctx = {0};
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return EXIT_INTERNAL;
    argc = split_leading_globals(argc, argv, args);
    argv = args;
    int rc;
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
            rc = cmd_version(&ctx);
        } else if (argc >= 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
            fprintf(stderr, "cutover: unknown option %s (see cutover help)\n", argv[1]);
            rc = EXIT_USAGE;
        } else {
            ctx.command = find_command("help");
            rc = cmd_help(&ctx);
        }
        free(args);
        return rc;
    }
    ctx.command = find_command(argv[1]);
    if (!ctx.command) {
        fprintf(stderr, "cutover: unknown command \"%s\" (see cutover help)\n", argv[1]);
        free(args);
        return EXIT_USAGE;
    }
    rc = parse_args(&ctx, argc - 2, argv + 2);
    if (rc == EXIT_OK && cli_flag(&ctx.args, "help") && ctx.command->run != cmd_help) {
        ctx.args.positional[0] = ctx.command->name;
        ctx.args.npositional = 1;
        rc = cmd_help(&ctx);
    } else if (rc == EXIT_OK) {
        ctx.json = cli_flag(&ctx.args, "json");
        ctx.quiet = cli_flag(&ctx.args, "quiet");
        const char *no_color = getenv("NO_COLOR");
        ctx.color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
        ctx.progress = !ctx.quiet && isatty(STDERR_FILENO);
        ctx.project_path = cli_get(&ctx.args, "project");
        if (!ctx.project_path)
            ctx.project_path = getenv("CUTOVER_PROJECT");
        if (!ctx.project_path || !*ctx.project_path)
            ctx.project_path = "cutover.yaml";
        rc = ctx.command->run(&ctx);
    }
    free(args);
    return rc;
}
