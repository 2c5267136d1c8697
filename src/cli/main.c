/*
 * main.c: the cutover program's entry: parses global and command options
 * with getopt_long against the tables in commands.c and runs the command.
 *
 * Global options may stand before the command (`cutover -qp FILE migrate`)
 * or anywhere after it; a command's own options and its arguments may come
 * in any order after it. Short options bundle (`-qp FILE`), long ones take
 * `--name VALUE` or `--name=VALUE`, `--` ends the options. Unknown commands
 * and options get a "did you mean" from the tables.
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Options a getopt_long pass knows: a command's own, then the global ones
 * (`--version` too before a command). Long options' values are 256 + their
 * index here; short ones are their letter. */
#define MAX_PARSE_OPTIONS 96
typedef struct parse_table {
    const cli_option *rows[MAX_PARSE_OPTIONS];
    struct option longopts[MAX_PARSE_OPTIONS + 1];
    char shortopts[2 * MAX_PARSE_OPTIONS + 4];
    size_t n;
} parse_table;

static const cli_option version_option = {"version", 0, NULL, "print the version"};

static void table_add(parse_table *t, const cli_option *o)
{
    if (t->n == MAX_PARSE_OPTIONS)
        return; /* the tables are far smaller; a test lists them all */
    t->rows[t->n] = o;
    t->longopts[t->n] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                        256 + (int)t->n};
    if (o->short_name) {
        size_t len = strlen(t->shortopts);
        t->shortopts[len++] = o->short_name;
        if (o->arg)
            t->shortopts[len++] = ':';
        t->shortopts[len] = '\0';
    }
    t->n++;
}

/* mode: "+:" stops at the first argument (before the command), "-:" returns
 * arguments in order (after it); ':' reports a missing value as such. */
static void table_build(parse_table *t, const cli_option *own, bool leading, const char *mode)
{
    memset(t, 0, sizeof *t);
    snprintf(t->shortopts, sizeof t->shortopts, "%s", mode);
    for (const cli_option *o = own; o && o->name; o++)
        table_add(t, o);
    for (const cli_option *o = cli_global_options; o->name; o++)
        table_add(t, o);
    if (leading)
        table_add(t, &version_option);
}

static const cli_option *table_row(const parse_table *t, int val)
{
    if (val >= 256 && (size_t)(val - 256) < t->n)
        return t->rows[val - 256];
    for (size_t i = 0; i < t->n; i++)
        if (val > 0 && t->rows[i]->short_name == val)
            return t->rows[i];
    return NULL;
}

static const cli_command *find_command(const char *name)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* The option names of a table, for a suggestion. */
static size_t table_names(const parse_table *t, const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < cap; i++)
        names[n++] = t->rows[i]->name;
    return n;
}

/* Why getopt_long stopped at argv[optind - 1] (or the value it lacked), as a
 * usage error, with a suggestion for a misspelt long option. */
static int option_error(cli_ctx *ctx, const parse_table *t, int c, char **argv)
{
    const char *word = argv[optind - 1];
    const cli_option *o = table_row(t, optopt);
    if (c == ':') {
        if (optopt < 256 && o)
            return cli_usage_error(ctx, "option -%c needs a value (%s)", optopt, o->arg);
        return cli_usage_error(ctx, "option --%s needs a value (%s)", o ? o->name : word,
                               o ? o->arg : "?");
    }
    if (o && optopt >= 256)
        return cli_usage_error(ctx, "option --%s takes no value", o->name);
    if (optopt && optopt < 256)
        return cli_usage_error(ctx, "unknown option -%c", optopt);
    /* A long option: unknown, or an ambiguous abbreviation. */
    char name[64];
    const char *start = word[0] == '-' && word[1] == '-' ? word + 2 : word;
    size_t len = strcspn(start, "=");
    if (len >= sizeof name)
        len = sizeof name - 1;
    memcpy(name, start, len);
    name[len] = '\0';
    const char *names[MAX_PARSE_OPTIONS];
    size_t n = table_names(t, names, MAX_PARSE_OPTIONS);
    size_t prefixed = 0;
    for (size_t i = 0; i < n; i++)
        prefixed += len && strncmp(names[i], name, len) == 0;
    if (prefixed > 1)
        return cli_usage_error(ctx, "option --%s is ambiguous (give more of its name)", name);
    const char *near = cli_suggest(name, names, n);
    if (near)
        return cli_usage_error(ctx, "unknown option --%s (did you mean --%s?)", name, near);
    return cli_usage_error(ctx, "unknown option --%s", name);
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

static int add_positional(cli_ctx *ctx, const char *arg)
{
    if (ctx->args.npositional == CLI_MAX_POSITIONAL)
        return cli_usage_error(ctx, "too many arguments");
    ctx->args.positional[ctx->args.npositional++] = arg;
    return EXIT_OK;
}

/* Parses argv[1..argc-1] (argv[0] being the command's name or the program's)
 * with getopt_long: options into ctx->args, arguments in order into its
 * positional list. Leading: stop at the first argument, the command. */
static int parse(cli_ctx *ctx, const cli_option *own, bool leading, int argc, char **argv,
                 int *next)
{
    parse_table t;
    table_build(&t, own, leading, leading ? "+:" : "-:");
    optind = 0; /* a new scan: GNU getopt starts over */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, t.shortopts, t.longopts, NULL)) != -1) {
        int rc = EXIT_OK;
        if (c == '?' || c == ':')
            return option_error(ctx, &t, c, argv);
        if (c == 1) {
            rc = add_positional(ctx, optarg);
        } else {
            const cli_option *o = table_row(&t, c);
            rc = o ? add_value(ctx, o->name, o->arg ? optarg : "") : EXIT_INTERNAL;
        }
        if (rc != EXIT_OK)
            return rc;
    }
    if (next)
        *next = optind;
    else
        for (int i = optind; i < argc; i++) { /* after "--" */
            int rc = add_positional(ctx, argv[i]);
            if (rc != EXIT_OK)
                return rc;
        }
    return EXIT_OK;
}

/* `cutover` alone: how to start, on standard error, and exit 2. */
static int short_usage(void)
{
    fprintf(stderr, "usage: cutover [-p FILE] [-q] [--json] COMMAND [OPTIONS] [ARGS]\n"
                    "\n"
                    "  cutover init               write a starter project file\n"
                    "  cutover check              validate it and its connections\n"
                    "  cutover migrate -t KEY     move one tenant\n"
                    "\n"
                    "See cutover help for every command, cutover help COMMAND for one,\n"
                    "and man cutover.\n");
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    cli_ctx ctx = {0};
    int first = 1;
    int rc = parse(&ctx, NULL, true, argc, argv, &first);
    if (rc == EXIT_OK && first < argc && strcmp(argv[first - 1], "--") == 0 &&
        argv[first][0] == '-')
        rc = cli_error(&ctx, EXIT_USAGE, "unknown command \"%s\" (see cutover help)",
                       argv[first]);
    cli_setup(&ctx);
    if (rc != EXIT_OK)
        return cli_finish(&ctx, rc);
    if (cli_flag(&ctx.args, "version")) {
        ctx.command = find_command("version");
        return cli_finish(&ctx, cmd_version(&ctx));
    }
    if (first >= argc) {
        if (cli_flag(&ctx.args, "help")) {
            ctx.command = find_command("help");
            return cli_finish(&ctx, cmd_help(&ctx));
        }
        return cli_finish(&ctx, ctx.json ? cli_error(&ctx, EXIT_USAGE, "no command given (see "
                                                     "cutover help)")
                                         : short_usage());
    }
    ctx.command = find_command(argv[first]);
    if (!ctx.command) {
        for (int i = first + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
            ctx.json = ctx.json || strcmp(argv[i], "--json") == 0; /* the error as JSON too */
        return cli_finish(&ctx, cli_unknown_command(&ctx, argv[first], " (see cutover help)"));
    }
    rc = parse(&ctx, ctx.command->options, false, argc - first, argv + first, NULL);
    cli_setup(&ctx);
    if (rc == EXIT_OK)
        rc = cli_check_globals(&ctx);
    if (rc != EXIT_OK)
        return cli_finish(&ctx, rc);
    if (cli_flag(&ctx.args, "help") && ctx.command->run != cmd_help) {
        ctx.args.positional[0] = ctx.command->name;
        ctx.args.npositional = 1;
        return cli_finish(&ctx, cmd_help(&ctx));
    }
    return cli_finish(&ctx, ctx.command->run(&ctx));
}
