/* test_layers.c: the arrows between the folders of src/ hold. src/state owns
 * the journal: no SQL naming one of its tables (every CREATE TABLE of
 * src/state) appears in a string literal of a file outside src/state, no
 * file outside src/state runs a journal statement or names one (the
 * private Co_state_read, Co_state_write, co_jq, co_q_*, state_int.h: others
 * call the typed functions of state/journal.h), and the public headers do
 * not hand out the journal's store (Co_state_store).
 * It reads the source tree named by CUTOVER_SOURCE_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char **v;
    size_t n, cap;
} list;

static void list_add(list *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n++] = s;
}

static void list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static list files; /* every .c and .h under src/ */

/* Adds every .c and .h under dir to files. */
static void collect(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        size_t len = strlen(path);
        if (S_ISDIR(sb.st_mode))
            collect(path);
        else if (len > 2 && (strcmp(path + len - 2, ".c") == 0 || strcmp(path + len - 2, ".h") == 0))
            list_add(&files, strdup(path));
    }
    closedir(d);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* Skips blanks and comments from p. */
static const char *skip_blank(const char *p)
{
    for (;;) {
        if (isspace((unsigned char)*p))
            p++;
        else if (p[0] == '/' && p[1] == '*')
            p = strstr(p + 2, "*/") ? strstr(p + 2, "*/") + 2 : p + strlen(p);
        else if (p[0] == '/' && p[1] == '/')
            p += strcspn(p, "\n");
        else
            return p;
    }
}

/* The file's string literals, adjacent ones joined as the compiler joins them. */
static void literals(const char *src, list *out)
{
    const char *p = src;
    while (*p) {
        if (p[0] == '/' && (p[1] == '*' || p[1] == '/')) {
            p = skip_blank(p);
        } else if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else if (*p == '"') {
            size_t cap = 256, n = 0;
            char *s = malloc(cap);
            assert_non_null(s);
            while (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && p[1])
                        p++;
                    if (n + 2 > cap)
                        s = realloc(s, cap *= 2);
                    assert_non_null(s);
                    s[n++] = *p;
                }
                if (*p)
                    p++;
                p = skip_blank(p);
            }
            s[n] = '\0';
            list_add(out, s);
        } else {
            p++;
        }
    }
}

static bool in_state(const char *path) { return strstr(path, "/src/state/") != NULL; }

/* The journal's tables: every CREATE TABLE IF NOT EXISTS of src/state. */
static void journal_tables(list *tables)
{
    static const char create[] = "CREATE TABLE IF NOT EXISTS ";
    for (size_t f = 0; f < files.n; f++) {
        if (!in_state(files.v[f]))
            continue;
        char *src = slurp(files.v[f]);
        list lits = {0};
        literals(src, &lits);
        for (size_t i = 0; i < lits.n; i++)
            for (const char *p = lits.v[i]; (p = strstr(p, create)) != NULL;) {
                p += sizeof create - 1;
                size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz_0123456789");
                if (len)
                    list_add(tables, strndup(p, len));
            }
        list_free(&lits);
        free(src);
    }
}

static bool word_at(const char *s, size_t i, const char *w)
{
    size_t len = strlen(w);
    return strncasecmp(s + i, w, len) == 0 && (i == 0 || !isalnum((unsigned char)s[i - 1])) &&
           isspace((unsigned char)s[i + len]);
}

/* The journal table a statement names after FROM, INTO, UPDATE, JOIN or
 * TABLE, or NULL. */
static const char *names_journal_table(const char *sql, const list *tables)
{
    static const char *const keywords[] = {"FROM", "INTO", "UPDATE", "JOIN", "TABLE"};
    for (size_t i = 0; sql[i]; i++)
        for (size_t k = 0; k < sizeof keywords / sizeof *keywords; k++) {
            if (!word_at(sql, i, keywords[k]))
                continue;
            const char *p = sql + i + strlen(keywords[k]);
            while (isspace((unsigned char)*p) || *p == '"')
                p++;
            size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz_0123456789");
            for (size_t t = 0; len && t < tables->n; t++)
                if (strlen(tables->v[t]) == len && strncmp(p, tables->v[t], len) == 0)
                    return tables->v[t];
        }
    return NULL;
}

/* The first name of state/state_int.h's private set that the code (not its
 * comments or string literals) of src uses, or NULL. */
static const char *names_state_private(const char *src)
{
    static const char *const names[] = {"Co_state_read", "Co_state_read_int", "Co_state_write",
                                        "Co_state_each", "Co_state_rows",     "Co_state_rows_of",
                                        "Co_state_store", "Co_state_flush",   "co_jq"};
    /* state_int.h itself, by its include line (a string literal there) */
    if (strstr(src, "\"state/state_int.h\""))
        return "state/state_int.h";
    for (const char *p = src; *p;) {
        if ((p[0] == '/' && (p[1] == '*' || p[1] == '/'))) {
            p = skip_blank(p);
        } else if (*p == '"' || *p == '\'') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
            if (len > 5 && strncmp(p, "co_q_", 5) == 0)
                return "co_q_";
            for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0)
                    return names[i];
            p += len;
        } else {
            p++;
        }
    }
    return NULL;
}

static void scan_tree(void)
{
    const char *root = getenv("CUTOVER_SOURCE_DIR");
    assert_non_null(root); /* set by ctest: the source tree */
    char src[4096];
    snprintf(src, sizeof src, "%s/src", root);
    list_free(&files);
    collect(src);
    assert_true(files.n > 50);
}

static void no_journal_sql_outside_src_state(void **state)
{
    (void)state;
    scan_tree();
    list tables = {0};
    journal_tables(&tables);
    /* the schema's tables are found: the scan sees what it guards */
    bool saw_runs = false, saw_merges = false;
    for (size_t t = 0; t < tables.n; t++) {
        saw_runs = saw_runs || strcmp(tables.v[t], "runs") == 0;
        saw_merges = saw_merges || strcmp(tables.v[t], "merges") == 0;
    }
    assert_true(tables.n >= 30 && saw_runs && saw_merges);
    size_t found = 0;
    for (size_t f = 0; f < files.n; f++) {
        if (in_state(files.v[f]))
            continue;
        char *text = slurp(files.v[f]);
        list lits = {0};
        literals(text, &lits);
        for (size_t i = 0; i < lits.n; i++) {
            const char *table = names_journal_table(lits.v[i], &tables);
            if (table && found++ < 40)
                fprintf(stderr, "%s: SQL on the journal's table %s outside src/state: %.120s\n",
                        files.v[f], table, lits.v[i]);
        }
        list_free(&lits);
        free(text);
    }
    if (found)
        fprintf(stderr, "%zu statements: move them into src/state (state/journal.h)\n", found);
    assert_int_equal(found, 0);
    list_free(&tables);
}

/* Outside src/state, the journal is read and written through the typed
 * functions of state/journal.h only: no file runs or names a statement. */
static void no_journal_statement_outside_src_state(void **state)
{
    (void)state;
    scan_tree();
    size_t found = 0, outside = 0;
    for (size_t f = 0; f < files.n; f++) {
        if (in_state(files.v[f]))
            continue;
        outside++;
        char *text = slurp(files.v[f]);
        const char *name = names_state_private(text);
        if (name && found++ < 40)
            fprintf(stderr, "%s: uses %s, private to src/state: call a typed function of "
                            "state/journal.h\n",
                    files.v[f], name);
        free(text);
    }
    assert_true(outside > 50);
    assert_int_equal(found, 0);
}

static void the_private_names_scanner(void **state)
{
    (void)state;
    assert_string_equal(names_state_private("x; rc = Co_state_read(st, &q, p, 1, &c, err);"),
                        "Co_state_read");
    assert_string_equal(names_state_private("rc = Co_state_write(st, q, p, 2, NULL, err);"),
                        "Co_state_write");
    assert_string_equal(names_state_private("Co_state_read_int(st, &co_q_plan_add, p, 4);"),
                        "Co_state_read_int");
    assert_string_equal(names_state_private("f(&co_q_view_plan);"), "co_q_");
    assert_string_equal(names_state_private("const co_jq *q;"), "co_jq");
    assert_string_equal(names_state_private("#include \"state/state_int.h\"\n"),
                        "state/state_int.h");
    /* comments, strings, typed functions and longer names pass */
    assert_null(names_state_private("/* Co_state_read */ // co_q_x\n"
                                    "s = \"Co_state_write\"; Co_state_plan_add(st);"
                                    " Co_state_readable(); co_jqx = 1;"));
}

/* The scanner itself: what it must find and what it must let pass. */
static void the_scanner_finds_journal_sql(void **state)
{
    (void)state;
    list tables = {0};
    list_add(&tables, strdup("runs"));
    list_add(&tables, strdup("merges"));
    list lits = {0};
    literals("x = f(st, \"SELECT count(*)\"\n /* c */ \" FROM runs\", 'x', \"a \\\" b\");"
             " g(\"DELETE FROM \" \"merges WHERE\"); h(\"SELECT 1 FROM runs_other\");"
             " k(\"the runs\");",
             &lits);
    assert_int_equal(lits.n, 5);
    assert_string_equal(lits.v[0], "SELECT count(*) FROM runs");
    assert_string_equal(names_journal_table(lits.v[0], &tables), "runs");
    assert_string_equal(names_journal_table(lits.v[2], &tables), "merges");
    assert_null(names_journal_table(lits.v[3], &tables));
    assert_null(names_journal_table(lits.v[4], &tables));
    list_free(&lits);
    list_free(&tables);
}

static void the_public_headers_keep_the_journal_store(void **state)
{
    (void)state;
    const char *root = getenv("CUTOVER_SOURCE_DIR");
    assert_non_null(root);
    char dir[4096], path[8192];
    snprintf(dir, sizeof dir, "%s/include/cutover", root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t headers = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".h") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = slurp(path);
        if (strstr(text, "Co_state_store"))
            fprintf(stderr, "%s hands out the journal's store (Co_state_store)\n", path);
        assert_null(strstr(text, "Co_state_store"));
        free(text);
        headers++;
    }
    closedir(d);
    assert_true(headers > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_scanner_finds_journal_sql),
        cmocka_unit_test(no_journal_sql_outside_src_state),
        cmocka_unit_test(the_private_names_scanner),
        cmocka_unit_test(no_journal_statement_outside_src_state),
        cmocka_unit_test(the_public_headers_keep_the_journal_store),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    list_free(&files);
    return rc;
}
