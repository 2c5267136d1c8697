/*
 * cmd_completion.c: `cutover completion bash|zsh`: a shell completion script
 * written from the command table, so that a new command or option completes
 * without anyone editing a script.
 */
#include "cli.h"

#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An option's value names a file or directory: complete paths for it. */
static bool names_path(const cli_option *o)
{
    return o->arg && (strstr(o->arg, "FILE") || strstr(o->arg, "DIR"));
}

static void bash_words(const cli_option *opts, bool values_only)
{
    for (const cli_option *o = opts; o && o->name; o++) {
        if (values_only && !o->arg)
            continue;
        printf(" --%s", o->name);
        if (o->short_name)
            printf(" -%c", o->short_name);
    }
}

static int bash(void)
{
    printf("# bash completion for cutover, written by `cutover completion bash`.\n"
           "# Load it with: source <(cutover completion bash)\n"
           "_cutover() {\n"
           "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
           "  local commands=\"");
    for (const cli_command *c = cli_commands; c->name; c++)
        printf("%s%s", c == cli_commands ? "" : " ", c->name);
    printf("\"\n  local globals=\"");
    bash_words(cli_global_options, false);
    printf(" \"\n  local valued=\" --version");
    bash_words(cli_global_options, true);
    for (const cli_command *c = cli_commands; c->name; c++)
        bash_words(c->options, true);
    printf(" \"\n  local paths=\"");
    for (const cli_option *o = cli_global_options; o->name; o++)
        if (names_path(o))
            printf(" --%s%s%c", o->name, o->short_name ? " -" : "",
                   o->short_name ? o->short_name : ' ');
    for (const cli_command *c = cli_commands; c->name; c++)
        for (const cli_option *o = c->options; o && o->name; o++)
            if (names_path(o))
                printf(" --%s%s%c", o->name, o->short_name ? " -" : "",
                       o->short_name ? o->short_name : ' ');
    printf(" \"\n"
           "  local cmd='' nargs=0 i\n"
           "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "    local w=${COMP_WORDS[i]}\n"
           "    if [[ $w == -* ]]; then\n"
           "      [[ $w != *=* && $valued == *\" $w \"* ]] && ((i++))\n"
           "    elif [[ -z $cmd ]]; then cmd=$w\n"
           "    else ((nargs++))\n"
           "    fi\n"
           "  done\n"
           "  if [[ $prev == -* && $valued == *\" $prev \"* ]]; then\n"
           "    [[ $paths == *\" $prev \"* ]] && COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "    return\n"
           "  fi\n"
           "  local opts=''\n"
           "  case $cmd in\n");
    for (const cli_command *c = cli_commands; c->name; c++) {
        printf("  %s) opts=\"", c->name);
        bash_words(c->options, false);
        printf("\" ;;\n");
    }
    printf("  esac\n"
           "  if [[ -z $cmd ]]; then\n"
           "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$globals --version\" -- "
           "\"$cur\"))\n"
           "    else COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")); fi\n"
           "    return\n"
           "  fi\n"
           "  if [[ $cur == -* ]]; then\n"
           "    COMPREPLY=($(compgen -W \"$opts $globals\" -- \"$cur\"))\n"
           "    return\n"
           "  fi\n"
           "  case $cmd:$nargs in\n"
           "  help:0) COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")) ;;\n"
           "  completion:0) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")) ;;\n");
    for (const cli_command *c = cli_commands; c->name; c++) {
        const cli_subcommand *subs = cli_subcommands(c->name);
        if (!subs)
            continue;
        printf("  %s:0) COMPREPLY=($(compgen -W \"", c->name);
        for (const cli_subcommand *s = subs; s->name; s++)
            printf("%s%s", s == subs ? "" : " ", s->name);
        printf("\" -- \"$cur\")) ;;\n");
    }
    printf("  *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
           "  esac\n"
           "}\n"
           "complete -F _cutover cutover\n");
    return EXIT_OK;
}

/* text for inside a zsh single-quoted spec: no quote, brackets or colons. */
static void zsh_text(const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '\'': fputs("'\\''", stdout); break;
        case '[': putchar('('); break;
        case ']': putchar(')'); break;
        case ':': putchar(' '); break;
        case '\\': break;
        default: putchar(*p);
        }
    }
}

/* One spec a line, each line ending with end ("\n" in an array, " \\\n" in
 * a command). */
static void zsh_specs(const cli_option *opts, const char *end)
{
    for (const cli_option *o = opts; o && o->name; o++) {
        printf("    ");
        if (o->short_name)
            printf("'(-%c --%s)'{-%c,--%s%s}'[", o->short_name, o->name, o->short_name, o->name,
                   o->arg ? "=" : "");
        else
            printf("'--%s%s[", o->name, o->arg ? "=" : "");
        zsh_text(o->help);
        printf("]");
        if (o->arg) {
            printf(":");
            zsh_text(o->arg);
            printf(":%s", names_path(o) ? "_files" : "");
        }
        printf("'%s", end);
    }
}

static int zsh(void)
{
    printf("#compdef cutover\n"
           "# zsh completion for cutover, written by `cutover completion zsh`.\n"
           "# Install it with: cutover completion zsh > \"${fpath[1]}/_cutover\"\n"
           "_cutover() {\n"
           "  local curcontext=$curcontext state line ret=1\n"
           "  typeset -A opt_args\n"
           "  local -a globals commands\n"
           "  globals=(\n");
    zsh_specs(cli_global_options, "\n");
    printf("  )\n  commands=(\n");
    for (const cli_command *c = cli_commands; c->name; c++) {
        printf("    '%s:", c->name);
        zsh_text(c->summary);
        printf("'\n");
    }
    printf("  )\n"
           "  _arguments -C -s -S $globals '--version[print the version]' "
           "'1:command:->command' '*::arg:->args' && ret=0\n"
           "  case $state in\n"
           "  command) _describe -t commands 'cutover command' commands && ret=0 ;;\n"
           "  args)\n"
           "    case $line[1] in\n");
    for (const cli_command *c = cli_commands; c->name; c++) {
        printf("    %s)\n      _arguments -s -S $globals \\\n", c->name);
        zsh_specs(c->options, " \\\n");
        const cli_subcommand *subs = cli_subcommands(c->name);
        if (strcmp(c->name, "help") == 0) {
            printf("        '1:command:->command' && ret=0\n"
                   "      [[ $state == command ]] && _describe -t commands 'cutover command' "
                   "commands && ret=0\n      ;;\n");
        } else if (strcmp(c->name, "completion") == 0) {
            printf("        '1:shell:(bash zsh)' && ret=0 ;;\n");
        } else if (subs) {
            printf("        '1:subcommand:((");
            for (const cli_subcommand *s = subs; s->name; s++) {
                printf("%s%s\\:", s == subs ? "" : " ", s->name);
                /* inside (( )): quote the description for the shell */
                printf("\"");
                for (const char *p = s->summary; *p; p++)
                    if (*p != '"' && *p != '\'' && *p != ':' && *p != '(' && *p != ')')
                        putchar(*p);
                printf("\"");
            }
            printf("))' '*:file:_files' && ret=0 ;;\n");
        } else {
            printf("        '*:file:_files' && ret=0 ;;\n");
        }
    }
    printf("    esac ;;\n"
           "  esac\n"
           "  return ret\n"
           "}\n"
           "_cutover \"$@\"\n");
    return EXIT_OK;
}

int cmd_completion(cli_ctx *ctx)
{
    const char *shell = ctx->args.npositional == 1 ? ctx->args.positional[0] : NULL;
    int (*write_script)(void) = NULL;
    if (shell && strcmp(shell, "bash") == 0)
        write_script = bash;
    else if (shell && strcmp(shell, "zsh") == 0)
        write_script = zsh;
    else
        return cli_usage_error(ctx, "name a shell: bash or zsh");
    if (!ctx->json)
        return write_script();
    /* --json: {"shell": ..., "script": ...}, the script written into memory first */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return cli_error(ctx, EXIT_INTERNAL, "out of memory");
    fflush(stdout);
    FILE *out = stdout;
    stdout = mem;
    int rc = write_script();
    stdout = out;
    fclose(mem);
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"shell\": ");
    Co_json_str(&b, shell);
    Co_buf_adds(&b, ", \"script\": ");
    Co_json_string(&b, text ? text : "", len);
    Co_buf_adds(&b, "}\n");
    fputs(co_buf_str(&b), stdout);
    Co_buf_release(&b);
    free(text);
    return rc;
}
