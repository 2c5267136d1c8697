/*
 * output.c: how the CLI speaks: error lines, exit codes, argument lookups,
 * loading the project with overrides, and number formatting.
 */
#include "cli.h"
#include "cutover/migrate.h"
#include "dedupe/similarity.h"
#include "util/buf.h"
#include "util/fmt.h"
#include "util/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

const char *cli_get(const cli_args *a, const char *name)
{
    const char *found = NULL; /* the last one wins */
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->names[i], name) == 0)
            found = a->values[i];
    return found;
}

bool cli_flag(const cli_args *a, const char *name) { return cli_get(a, name) != NULL; }

size_t cli_flag_count(const cli_args *a, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += strcmp(a->names[i], name) == 0;
    return n;
}

int cli_exit_code(co_code code)
{
    switch (code) {
    case CO_OK: return EXIT_OK;
    case CO_EUSAGE: return EXIT_USAGE;
    case CO_EPROJECT: return EXIT_PROJECT;
    case CO_ESOURCE: return EXIT_SOURCE;
    case CO_ETARGET: return EXIT_TARGET;
    case CO_ESTATE: return EXIT_STATE;
    case CO_ENOTFOUND: return EXIT_NOT_FOUND;
    case CO_EIO: return EXIT_IO;
    case CO_ECHANGED: return EXIT_CHANGED;
    case CO_EBUSY: return EXIT_BUSY;
    case CO_EUNSUPPORTED: return EXIT_UNSUPPORTED;
    case CO_EVERIFY: return EXIT_VERIFY;
    case CO_ENOTREADY: return EXIT_NOT_READY;
    case CO_EFOREIGN: return EXIT_FOREIGN;
    case CO_EINTERRUPTED: return cli_signal_caught() ? cli_signal_exit(cli_signal_caught()) : EXIT_SIGINT;
    default: return EXIT_INTERNAL;
    }
}

/* The first error of the run, for the JSON error object under --json. */
static struct {
    bool set;
    char message[1200]; /* as long as the error line it keeps */
    char where[512];
} first_error;

static void record_error(const char *message, const char *where)
{
    if (first_error.set)
        return;
    first_error.set = true;
    snprintf(first_error.message, sizeof first_error.message, "%s", message);
    size_t len = strlen(first_error.message);
    while (len && first_error.message[len - 1] == '\n')
        first_error.message[--len] = '\0';
    snprintf(first_error.where, sizeof first_error.where, "%s", where ? where : "");
}

/* An error line: on standard error, in the log, and kept for --json. */
static void error_line(const char *where, const char *fmt, va_list ap)
{
    char message[1024];
    vsnprintf(message, sizeof message, fmt, ap);
    size_t len = strlen(message);
    while (len && message[len - 1] == '\n')
        message[--len] = '\0';
    record_error(message, where);
    char safe[2048];
    fprintf(stderr, "cutover: %s\n", cli_term_text(message, safe, sizeof safe));
    cli_log("error", "cutover: %s", message);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_line(NULL, fmt, ap);
    va_end(ap);
}

int cli_error(const cli_ctx *ctx, int code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char line[1200];
    if (ctx && ctx->command)
        snprintf(line, sizeof line, "%s: %s", ctx->command->name, message);
    else
        snprintf(line, sizeof line, "%s", message);
    record_error(line, ctx && ctx->command ? ctx->command->name : "arguments");
    cli_errorf("%s", line);
    return code;
}

int cli_fail(const char *what, const co_error *err)
{
    co_buf line = CO_BUF_INIT;
    Co_buf_printf(&line, "%s: %s", what, err->message);
    record_error(co_buf_str(&line), err->where[0] ? err->where : what);
    if (err->where[0])
        Co_buf_printf(&line, " (%s)", err->where);
    char safe[4096];
    fprintf(stderr, "cutover: %s\n", cli_term_text(co_buf_str(&line), safe, sizeof safe));
    cli_log("error", "cutover: %s", co_buf_str(&line));
    Co_buf_release(&line);
    return cli_exit_code(err->code);
}

int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const char *name = ctx->command ? ctx->command->name : NULL;
    char line[1200];
    if (name)
        snprintf(line, sizeof line, "%s: %s", name, message);
    else
        snprintf(line, sizeof line, "%s", message);
    fprintf(stderr, "cutover: %s\n", line);
    cli_log("error", "cutover: %s", line);
    record_error(line, name ? name : "arguments");
    if (ctx->command)
        fprintf(stderr, "usage: cutover %s %s (see cutover help %s)\n", ctx->command->name,
                ctx->command->usage, ctx->command->name);
    return EXIT_USAGE;
}

void cli_print_json_error(int rc)
{
    if (!first_error.set)
        snprintf(first_error.message, sizeof first_error.message, "failed with exit code %d", rc);
    co_buf b;
    Co_buf_init(&b);
    Co_buf_printf(&b, "{\"error\": {\"exit_code\": %d, \"message\": ", rc);
    Co_json_str(&b, first_error.message);
    Co_buf_adds(&b, ", \"where\": ");
    Co_json_str(&b, first_error.where);
    Co_buf_adds(&b, "}}\n");
    fputs(co_buf_str(&b), stdout);
    fflush(stdout);
    Co_buf_release(&b);
}

bool cli_had_error(void) { return first_error.set; }

const char *cli_suggest(const char *word, const char *const *names, size_t n)
{
    int32_t a[64], b[64];
    size_t na = Co_sim_decode(word, strlen(word), a, 64);
    if (na > 64)
        na = 64;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t nb = Co_sim_decode(names[i], strlen(names[i]), b, 64);
        if (nb > 64)
            nb = 64;
        size_t d = Co_sim_damerau_cp(a, na, b, nb);
        /* Close enough: two edits, one for short words, and a prefix. */
        size_t limit = na <= 3 ? 1 : na <= 6 ? 2 : 3;
        bool prefix = na >= 3 && strncmp(names[i], word, na) == 0;
        if (prefix)
            d = 1;
        if (d <= limit && d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

/* Replaces *field with value when value is set. */
static int override(char **field, const char *value)
{
    if (!value || !*value)
        return EXIT_OK;
    char *copy = strdup(value);
    if (!copy)
        return EXIT_INTERNAL;
    free(*field);
    *field = copy;
    return EXIT_OK;
}

int cli_load_project(cli_ctx *ctx, co_project **out)
{
    co_error err;
    co_error_clear(&err);
    co_project *p = NULL;
    if (co_project_load(ctx->project_path, &p, &err) != CO_OK)
        return cli_fail("project file", &err);
    /* Flags win over the environment, which wins over the file. */
    static const struct { const char *flag, *env; size_t offset; } overrides[] = {
        {"source", "CUTOVER_SOURCE", offsetof(co_project, source)},
        {"target", "CUTOVER_TARGET", offsetof(co_project, target)},
        {"staging", "CUTOVER_STAGING", offsetof(co_project, staging)},
        {"state", "CUTOVER_STATE", offsetof(co_project, state)},
    };
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++) {
        char **field = (char **)((char *)p + overrides[i].offset);
        const char *value = cli_get(&ctx->args, overrides[i].flag);
        if (!value)
            value = getenv(overrides[i].env);
        if (override(field, value) != EXIT_OK) {
            co_project_free(p);
            fprintf(stderr, "cutover: out of memory\n");
            return EXIT_INTERNAL;
        }
    }
    *out = p;
    return EXIT_OK;
}

const char *cli_num(long long n, char *buf, size_t cap)
{
    char count[CO_FMT_COUNT]; /* the one number format (util/fmt.h) */
    snprintf(buf, cap, "%s", Co_fmt_count(count, (int64_t)n));
    return buf;
}

const char *cli_cell(const char *text, int width, char *buf, size_t cap)
{
    /* Copies whole characters while they fit the width in terminal columns,
     * then pads with spaces, so that non-ASCII labels keep columns aligned. */
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(text ? text : "");
    size_t o = 0;
    int used = 0;
    while (*p) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n <= 0) { /* not UTF-8: show a replacement and go on */
            cp = 0xFFFD;
            n = 1;
        }
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            /* a control character in data: shown as \\xNN, never sent raw */
            char esc[8];
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
            if (used + 4 > width || o + 5 >= cap)
                break;
            memcpy(buf + o, esc, 4);
            o += 4;
            used += 4;
            p += n;
            continue;
        }
        int w = utf8proc_charwidth(cp);
        if (w < 0)
            w = 0;
        if (used + w > width)
            break;
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t len = utf8proc_encode_char(cp, enc);
        if (o + (size_t)len + 1 >= cap)
            break;
        memcpy(buf + o, enc, (size_t)len);
        o += (size_t)len;
        used += w;
        p += n;
    }
    while (used < width && o + 1 < cap) {
        buf[o++] = ' ';
        used++;
    }
    buf[o] = '\0';
    return buf;
}

/* Adds the tenant whose key is exactly key, once; EXIT_NOT_FOUND when none. */
static int choose_key(cli_ctx *ctx, const co_tenant *all, size_t n, const char *key,
                      const co_tenant **chosen, size_t *count)
{
    const co_tenant *t = co_tenant_find(all, n, key);
    if (!t)
        return cli_unknown_tenant(ctx, key, all, n);
    for (size_t i = 0; i < *count; i++)
        if (chosen[i] == t)
            return EXIT_OK;
    if (*count < n)
        chosen[(*count)++] = t;
    return EXIT_OK;
}

/* One --tenant value: a tenant's key taken whole (commas and all), else a
 * comma-separated list of keys. */
static int choose_value(cli_ctx *ctx, const co_tenant *all, size_t n, const char *value,
                        const co_tenant **chosen, size_t *count)
{
    if (strspn(value, ", ") == strlen(value))
        return cli_usage_error(ctx, "--tenant needs a tenant key, not \"%s\"", value);
    if (co_tenant_find(all, n, value) || !strchr(value, ','))
        return choose_key(ctx, all, n, value, chosen, count);
    char *copy = strdup(value);
    if (!copy)
        return EXIT_INTERNAL;
    int rc = EXIT_OK;
    for (char *save = NULL, *key = strtok_r(copy, ",", &save); key && rc == EXIT_OK;
         key = strtok_r(NULL, ",", &save))
        rc = choose_key(ctx, all, n, key, chosen, count);
    free(copy);
    return rc;
}

int cli_select_tenants(cli_ctx *ctx, const co_tenant *all, size_t n, const co_tenant **chosen,
                       size_t *count)
{
    bool named = cli_get(&ctx->args, "tenant") || ctx->tenant_keys;
    bool every = cli_flag(&ctx->args, "all");
    if (named == every)
        return cli_usage_error(ctx, "give either --tenant KEY or --all");
    *count = 0;
    if (every) {
        for (size_t i = 0; i < n; i++)
            chosen[(*count)++] = &all[i];
        return EXIT_OK;
    }
    int rc = EXIT_OK;
    for (size_t i = 0; rc == EXIT_OK && i < ctx->args.n; i++)
        if (strcmp(ctx->args.names[i], "tenant") == 0)
            rc = *ctx->args.values[i]
                     ? choose_value(ctx, all, n, ctx->args.values[i], chosen, count)
                     : cli_usage_error(ctx, "--tenant needs a tenant key");
    for (size_t i = 0; rc == EXIT_OK && i < ctx->ntenant_keys; i++)
        rc = choose_key(ctx, all, n, ctx->tenant_keys[i], chosen, count);
    return rc;
}

/* The tenants an open session works on (CLI_OPEN_CHOOSE*), into cs->chosen. */
static int choose_tenants(cli_ctx *ctx, cli_session *cs, bool every_unless_named)
{
    cs->chosen = calloc(cs->ntenants ? cs->ntenants : 1, sizeof *cs->chosen);
    if (!cs->chosen)
        return EXIT_INTERNAL;
    if (!every_unless_named || cli_get(&ctx->args, "tenant"))
        return cli_select_tenants(ctx, cs->tenants, cs->ntenants, cs->chosen, &cs->nchosen);
    for (size_t i = 0; i < cs->ntenants; i++)
        cs->chosen[i] = &cs->tenants[i];
    cs->nchosen = cs->ntenants;
    return EXIT_OK;
}

void cli_json_item(co_buf *json)
{
    if (json->len && json->data[json->len - 1] != '[')
        Co_buf_addc(json, ',');
}

int cli_each_tenant(cli_ctx *ctx, cli_session *cs, cli_tenant_turn turn, void *arg)
{
    co_buf json = CO_BUF_INIT;
    Co_buf_adds(&json, "{\"tenants\":[");
    int rc = EXIT_OK;
    for (size_t i = 0; rc == EXIT_OK && i < cs->nchosen; i++)
        rc = turn(ctx, cs, cs->chosen[i], &json, arg);
    Co_buf_adds(&json, "]}\n");
    if (ctx->json && rc == EXIT_OK)
        fputs(co_buf_str(&json), stdout);
    Co_buf_release(&json);
    return rc;
}

void cli_warn_tenants_left_out(const char *what, const co_session *session)
{
    const co_tenants_left_out *s = co_session_left_out(session);
    const char *col = s->key_column[0] ? s->key_column : "key";
    if (s->null_keys)
        fprintf(stderr,
                "cutover: %s: the tenants query returned %lld row%s with a NULL key, left out: "
                "they name no tenant (their rows are counted as rows of no tenant by audit and "
                "verify --all); add WHERE %s IS NOT NULL to the tenants query to leave them "
                "out on purpose\n",
                what, (long long)s->null_keys,
                s->null_keys == 1 ? "" : "s", col);
    if (s->repeated)
        fprintf(stderr,
                "cutover: %s: the tenants query returned %lld repeated row%s (tenant %s, ...), "
                "each tenant taken once; use SELECT DISTINCT (or GROUP BY %s) in the tenants "
                "query to list each once\n",
                what, (long long)s->repeated,
                s->repeated == 1 ? "" : "s", s->repeated_key,
                col);
}

int cli_open(cli_ctx *ctx, const char *what, unsigned session_flags, unsigned open_flags,
             cli_session *out)
{
    memset(out, 0, sizeof *out);
    int rc = cli_load_project(ctx, &out->project);
    if (rc != EXIT_OK)
        return rc;
    co_error err;
    co_error_clear(&err);
    co_code code = co_session_open(out->project, session_flags, &out->session, &err);
    if (code == CO_OK)
        co_session_set_user(out->session, cli_user(ctx));
    unsigned choose = open_flags & (CLI_OPEN_CHOOSE | CLI_OPEN_CHOOSE_OR_EVERY);
    if (code == CO_OK && (choose || (open_flags & (CLI_OPEN_TENANTS | CLI_OPEN_CHECK)))) {
        code = co_tenants_list(out->session, &out->tenants, &out->ntenants, &err);
        if (code == CO_OK)
            cli_warn_tenants_left_out(what, out->session);
    }
    if (code == CO_OK && (open_flags & CLI_OPEN_CHECK))
        code = co_session_check(out->session, &err);
    if (code != CO_OK)
        rc = cli_fail(what, &err);
    else if (choose)
        rc = choose_tenants(ctx, out, choose & CLI_OPEN_CHOOSE_OR_EVERY);
    if (rc != EXIT_OK)
        cli_close(out);
    return rc;
}

void cli_close(cli_session *cs)
{
    free(cs->chosen);
    co_tenants_free(cs->tenants, cs->ntenants);
    co_session_close(cs->session);
    co_project_free(cs->project);
    memset(cs, 0, sizeof *cs);
}

bool cli_cohort(cli_ctx *ctx, int *wave, int *rc)
{
    const char *cohort = cli_get(&ctx->args, "cohort");
    if (!cohort || !*cohort) {
        *rc = cli_usage_error(ctx, "--cohort canary (or a wave's number) is required");
        return false;
    }
    char *end;
    long n = strcmp(cohort, "canary") == 0 ? 0 : strtol(cohort, &end, 10);
    if (strcmp(cohort, "canary") != 0 && (*end || end == cohort || n < 0 || n > 100000)) {
        *rc = cli_usage_error(ctx, "--cohort must be canary or a wave's number, not \"%s\"",
                              cohort);
        return false;
    }
    *wave = (int)n;
    return true;
}

bool cli_seconds(cli_ctx *ctx, const char *name, bool whole, double dflt, double min, double max,
                 double *out, int *rc)
{
    const char *text = cli_get(&ctx->args, name);
    char *end = NULL;
    *out = !text ? dflt : whole ? (double)strtol(text, &end, 10) : strtod(text, &end);
    if (text && (*end || end == text || *out < min || *out > max)) {
        *rc = cli_usage_error(ctx, "--%s must be from %g to %g seconds, not \"%s\"", name, min,
                              max, text);
        return false;
    }
    return true;
}

bool cli_is_stdout(const char *path) { return path && strcmp(path, "-") == 0; }

FILE *cli_open_output(const char *path, const char *mode)
{
    return cli_is_stdout(path) ? stdout : fopen(path, mode);
}

int cli_close_output(FILE *f)
{
    if (f == stdout)
        return fflush(f) == 0 && !ferror(f) ? 0 : EOF;
    return fclose(f);
}

int cli_write_file(const char *what, const char *path, const char *data, size_t len)
{
    FILE *f = cli_open_output(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f && cli_close_output(f) != 0)
        ok = false;
    if (!ok) {
        cli_errorf("%s: cannot write %s: %s", what, path, strerror(errno));
        return EXIT_IO;
    }
    return EXIT_OK;
}

int cli_natural_cmp(const char *a, const char *b)
{
    const char *pa = a ? a : "", *pb = b ? b : "";
    while (*pa && *pb) {
        bool da = *pa >= '0' && *pa <= '9', db = *pb >= '0' && *pb <= '9';
        if (da && db) { /* numbers as numbers: by length without leading zeros, then digits */
            while (*pa == '0' && pa[1] >= '0' && pa[1] <= '9')
                pa++;
            while (*pb == '0' && pb[1] >= '0' && pb[1] <= '9')
                pb++;
            size_t la = strspn(pa, "0123456789"), lb = strspn(pb, "0123456789");
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(pa, pb, la);
            if (c)
                return c;
            pa += la;
            pb += lb;
            continue;
        }
        if (da != db) /* numbers before text */
            return da ? -1 : 1;
        int ca = tolower((unsigned char)*pa), cb = tolower((unsigned char)*pb);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        pa++;
        pb++;
    }
    if (*pa || *pb)
        return *pa ? 1 : -1;
    return strcmp(a ? a : "", b ? b : ""); /* equal but for case or zeros: stable */
}

const char *cli_key_cell(const char *key, int width, char *buf, size_t cap)
{
    /* The key padded far, then its padding taken back to width columns: the
     * key itself is never cut. */
    enum { FAR = 512 };
    char wide[FAR + 1024];
    cli_cell(key, FAR, wide, sizeof wide);
    size_t len = strlen(wide);
    int columns = FAR;
    while (len > 0 && wide[len - 1] == ' ' && columns > width) {
        wide[--len] = '\0';
        columns--;
    }
    snprintf(buf, cap, "%s", wide);
    return buf;
}

/* An unknown tenant, with "did you mean" the nearest key. */
int cli_unknown_tenant(const cli_ctx *ctx, const char *key, const co_tenant *all, size_t n)
{
    const char **names = calloc(n ? n : 1, sizeof *names);
    const char *near = NULL;
    if (names) {
        for (size_t i = 0; i < n; i++)
            names[i] = all[i].key;
        near = cli_suggest(key, names, n);
    }
    int rc;
    if (near)
        rc = cli_error(ctx, EXIT_NOT_FOUND, "unknown tenant \"%s\" (did you mean %s? the tenants "
                       "query lists %zu; see cutover status)", key, near, n);
    else
        rc = cli_error(ctx, EXIT_NOT_FOUND, "unknown tenant \"%s\" (the tenants query lists %zu; "
                       "see cutover status)", key, n);
    free(names);
    return rc;
}

int cli_unknown_command(const cli_ctx *ctx, const char *name, const char *otherwise)
{
    const char *names[128];
    size_t n = 0;
    for (const cli_command *c = cli_commands; c->name && n < 128; c++)
        names[n++] = c->name;
    const char *near = cli_suggest(name, names, n);
    if (near)
        return cli_error(ctx, EXIT_USAGE, "unknown command \"%s\" (did you mean %s?)", name,
                         near);
    return cli_error(ctx, EXIT_USAGE, "unknown command \"%s\"%s", name, otherwise);
}
