/* test_store_seam.c: every SQL dialect difference is the store's. Code
 * outside src/store asks the store (co_store_caps, co_store_literal, ...) and
 * never decides by the engine's name: this test reads every .c and .h file
 * of src/ outside src/store and fails on a statement that compares
 * co_store_engine(...), that uses an is_pg helper, or that compares a string
 * with an engine's name ("sqlite", "postgresql", "postgres", "mysql",
 * "mariadb"). co_store_engine may still be shown in a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool engine_name(const char *s, size_t len)
{
    static const char *const names[] = {"sqlite", "postgresql", "postgres", "mysql", "mariadb"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return true;
    return false;
}

/* The source with comments blanked out, and the insides of string and
 * character literals too, except a string that is an engine's name. */
static char *strip_comments(const char *src)
{
    size_t lit = 0; /* where the open literal's contents start */
    size_t n = strlen(src);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    enum { CODE, LINE, BLOCK, STR, CHR } mode = CODE;
    for (size_t i = 0; i < n; i++) {
        char c = src[i], next = i + 1 < n ? src[i + 1] : '\0';
        out[i] = c;
        switch (mode) {
        case CODE:
            if (c == '/' && next == '/')
                mode = LINE;
            else if (c == '/' && next == '*')
                mode = BLOCK;
            else if (c == '"')
                mode = STR;
            else if (c == '\'')
                mode = CHR;
            lit = i + 1;
            if (mode == LINE || mode == BLOCK)
                out[i] = ' ';
            break;
        case LINE:
            if (c == '\n')
                mode = CODE;
            else
                out[i] = ' ';
            break;
        case BLOCK:
            if (c != '\n')
                out[i] = ' ';
            if (c == '*' && next == '/') {
                out[++i] = ' ';
                mode = CODE;
            }
            break;
        case STR:
        case CHR:
            if (c == '\\' && next) {
                out[++i] = next;
            } else if ((mode == STR && c == '"') || (mode == CHR && c == '\'')) {
                if (mode == CHR || !engine_name(src + lit, i - lit))
                    for (size_t k = lit; k < i; k++)
                        out[k] = src[k] == '\n' ? '\n' : ' ';
                mode = CODE;
            }
            break;
        }
    }
    out[n] = '\0';
    return out;
}

static bool has_word(const char *s, size_t len, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= len; i++)
        if (memcmp(s + i, word, w) == 0 && (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_')) &&
            (i + w == len || !(isalnum((unsigned char)s[i + w]) || s[i + w] == '_')))
            return true;
    return false;
}

static bool has(const char *s, size_t len, const char *needle)
{
    size_t w = strlen(needle);
    for (size_t i = 0; i + w <= len; i++)
        if (memcmp(s + i, needle, w) == 0)
            return true;
    return false;
}

static bool compares(const char *s, size_t len)
{
    return has_word(s, len, "strcmp") || has_word(s, len, "strncmp") ||
           has_word(s, len, "strcasecmp") || has_word(s, len, "strncasecmp") ||
           has_word(s, len, "memcmp") || has(s, len, "==") || has(s, len, "!=") ||
           has_word(s, len, "switch");
}

/* Why one statement (a stretch of code between ; { and }) decides by an
 * engine's name, or NULL. */
static const char *engine_decision(const char *s, size_t len)
{
    static const char *const names[] = {"\"sqlite\"", "\"postgresql\"", "\"postgres\"",
                                        "\"mysql\"", "\"mariadb\""}; /* kept by strip_comments */
    if (has_word(s, len, "is_pg") || has_word(s, len, "is_sqlite") || has_word(s, len, "is_mysql"))
        return "an is_<engine> helper";
    if (has(s, len, "co_store_engine") && compares(s, len))
        return "co_store_engine(...) compared";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (has(s, len, names[i]) && compares(s, len))
            return "a string compared with an engine's name";
    return NULL;
}

/* Appends to report each statement of text that decides by an engine's
 * name, as "path:line: why"; returns how many. */
static int scan_text(const char *path, const char *text, char *report, size_t cap)
{
    char *code = strip_comments(text);
    assert_non_null(code);
    int found = 0, line = 1, start_line = -1;
    size_t start = 0;
    for (size_t i = 0;; i++) {
        char c = code[i];
        if (start_line < 0 && c && !isspace((unsigned char)c))
            start_line = line; /* the statement's first line */
        /* a statement ends at ; { } and before a preprocessor line */
        if (c == ';' || c == '{' || c == '}' || c == '\0' || (c == '\n' && code[i + 1] == '#')) {
            const char *why = engine_decision(code + start, i - start);
            if (why) {
                found++;
                size_t used = strlen(report);
                snprintf(report + used, cap - used, "%s:%d: %s\n", path, start_line, why);
            }
            start = i + 1;
            start_line = -1;
        }
        if (c == '\0')
            break;
        if (c == '\n')
            line++;
    }
    free(code);
    return found;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool is_source(const char *name)
{
    size_t n = strlen(name);
    return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

/* Scans dir (a path under root, shown relative to it) and below. */
static int scan_dir(const char *root, const char *rel, int *files, char *report, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    if (!d)
        fail_msg("cannot read %s", path);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[512], full[1536];
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat sb;
        if (stat(full, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (strcmp(sub, "src/store") != 0) /* the one place that knows the engines */
                found += scan_dir(root, sub, files, report, cap);
        } else if (is_source(e->d_name)) {
            char *text = read_all(full);
            assert_non_null(text);
            found += scan_text(sub, text, report, cap);
            (*files)++;
            free(text);
        }
    }
    closedir(d);
    return found;
}

/* The scanner itself: what it must catch and what it must let be. */
static void the_scanner_tells_decisions_from_messages(void **state)
{
    (void)state;
    static const char *const caught[] = {
        "bool pg = strcmp(co_store_engine(st), \"postgresql\") == 0;",
        "if (strcmp(co_store_engine(st),\n        \"sqlite\") != 0)\n    return 1;",
        "static bool is_pg(co_store *st) { return true; }",
        "x = co_store_engine(a) == co_store_engine(b);",
        "const char *e = co_store_engine(st);\nbool lite = strcmp(e, \"sqlite\") == 0;",
        "ok = !strncmp(engine, \"mysql\", 5);",
    };
    static const char *const allowed[] = {
        "snprintf(note, sizeof note, \"the target is %s\", co_store_engine(s->dest));",
        "const char *engine = co_store_engine(s->dest);",
        "/* strcmp(co_store_engine(st), \"sqlite\") == 0 was here */ int x = 1;",
        "// is_pg(st) used to decide\nint y = 2;",
        "if (strncmp(uri, \"sqlite:\", 7) == 0) path = uri + 7;",
        "bool caps = co_store_caps(st).row_locks;",
        "const char *s = \"is_pg(x) == \\\"sqlite\\\"\"; int z;",
    };
    char report[4096];
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
        report[0] = '\0';
        if (scan_text("t.c", caught[i], report, sizeof report) != 1)
            fail_msg("not caught: %s", caught[i]);
    }
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        report[0] = '\0';
        if (scan_text("t.c", allowed[i], report, sizeof report) != 0)
            fail_msg("caught, but allowed: %s (%s)", allowed[i], report);
    }
}

static void no_engine_name_decides_outside_the_store(void **state)
{
    (void)state;
    const char *root = getenv("CUTOVER_SOURCE_DIR");
    if (!root || !*root)
        root = ".";
    static char report[65536];
    report[0] = '\0';
    int files = 0;
    int found = scan_dir(root, "src", &files, report, sizeof report);
    assert_true(files > 100); /* the tree was found and read */
    if (found) {
        fprintf(stderr, "%s", report);
        fail_msg("%d engine-name decision(s) outside src/store (above); ask the store instead "
                 "(co_store_caps, co_store_literal, ... in include/cutover/store.h)",
                 found);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_scanner_tells_decisions_from_messages),
        cmocka_unit_test(no_engine_name_decides_outside_the_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
