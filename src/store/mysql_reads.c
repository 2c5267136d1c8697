/*
 * mysql_reads.c: the columns a query reads on MySQL/MariaDB
 * (co_store_query_reads), found without running it. Neither server tells
 * them in a plan that both have (MySQL 8's EXPLAIN lists "used_columns",
 * MariaDB's does not), so cutover reads the query's text against the
 * catalog: the query must prepare (the server checks it), then every table
 * named after FROM or JOIN (or after a comma in a FROM list), with its
 * alias, is looked up in information_schema, and every identifier of the
 * query that names one of those tables' columns is reported as (table,
 * column): `alias.column` for the alias's table, a bare name for each table
 * of the query that has such a column. Names inside string literals and
 * comments are not identifiers; a name followed by "(" is a function. Where
 * a name is ambiguous (an output alias spelt like a column, a column of two
 * tables) the list says more than the query reads, never less.
 */
#include "store/mysql_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct token {
    const char *s;
    size_t len;
    char kind; /* 'i' identifier, 'q' quoted identifier, 'p' punctuation, 'o' other */
} token;

typedef struct tokens {
    token *t;
    size_t n, cap;
} tokens;

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

static bool push(tokens *ts, const char *s, size_t len, char kind)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 64;
        token *t = realloc(ts->t, cap * sizeof *t);
        if (!t)
            return false;
        ts->t = t;
        ts->cap = cap;
    }
    ts->t[ts->n++] = (token){s, len, kind};
    return true;
}

/* The query's tokens, as MySQL's lexer reads them in cutover's sql_mode
 * (ANSI_QUOTES, NO_BACKSLASH_ESCAPES). */
static bool lex(const char *sql, tokens *ts)
{
    const char *p = sql;
    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
        } else if ((p[0] == '-' && p[1] == '-') || p[0] == '#') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else if (*p == '\'') {
            const char *start = p++;
            while (*p && !(*p == '\'' && p[1] != '\''))
                p += *p == '\'' ? 2 : 1;
            if (*p)
                p++;
            if (!push(ts, start, (size_t)(p - start), 'o'))
                return false;
        } else if (*p == '"' || *p == '`') {
            char q = *p++;
            const char *start = p;
            while (*p && !(*p == q && p[1] != q))
                p += *p == q ? 2 : 1;
            if (!push(ts, start, (size_t)(p - start), 'q'))
                return false;
            if (*p)
                p++;
        } else if (word_char(*p)) {
            const char *start = p;
            while (word_char(*p))
                p++;
            bool number = isdigit((unsigned char)*start);
            if (!push(ts, start, (size_t)(p - start), number ? 'o' : 'i'))
                return false;
        } else {
            if (!push(ts, p, 1, 'p'))
                return false;
            p++;
        }
    }
    return true;
}

static bool is_word(const token *t, const char *w)
{
    return t->kind == 'i' && strlen(w) == t->len && strncasecmp(t->s, w, t->len) == 0;
}

static bool is_punct(const token *t, char c) { return t->kind == 'p' && t->s[0] == c; }

/* A token's name: its text, a quoted one with doubled quotes made single. */
static char *name_of(const token *t)
{
    char *out = malloc(t->len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++) {
        out[n++] = t->s[i];
        if (t->kind == 'q' && (t->s[i] == '"' || t->s[i] == '`') && i + 1 < t->len &&
            t->s[i + 1] == t->s[i])
            i++;
    }
    out[n] = '\0';
    return out;
}

static bool is_name(const token *t) { return t->kind == 'i' || t->kind == 'q'; }

/* Words that end a table reference rather than alias it. */
static bool ends_reference(const token *t)
{
    static const char *const words[] = {
        "WHERE", "JOIN", "ON", "USING", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "NATURAL",
        "STRAIGHT_JOIN", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "EXCEPT", "INTERSECT",
        "WINDOW", "FOR", "LOCK", "FORCE", "IGNORE", "USE", "PARTITION", "INTO", "FULL", NULL};
    for (size_t i = 0; words[i]; i++)
        if (is_word(t, words[i]))
            return true;
    return false;
}

typedef struct table_ref {
    char *table;  /* as written, db.table when qualified */
    char *alias;  /* NULL: none (the table's own name serves) */
    co_column *cols;
    size_t ncols;
} table_ref;

typedef struct refs {
    table_ref *r;
    size_t n, cap;
} refs;

static void refs_release(refs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->r[i].table);
        free(rs->r[i].alias);
        co_columns_free(rs->r[i].cols, rs->r[i].ncols);
    }
    free(rs->r);
}

/* Reads the table reference at ts[*i] (name[.name] [[AS] alias]) into rs. */
static bool read_reference(co_store *st, const tokens *ts, size_t *i, refs *rs)
{
    size_t k = *i;
    if (k >= ts->n || !is_name(&ts->t[k]))
        return true; /* a subquery or something else: its own FROM is read later */
    char *first = name_of(&ts->t[k]);
    if (!first)
        return false;
    char *table = first;
    k++;
    if (k + 1 < ts->n && is_punct(&ts->t[k], '.') && is_name(&ts->t[k + 1])) {
        char *second = name_of(&ts->t[k + 1]);
        table = second ? malloc(strlen(first) + strlen(second) + 2) : NULL;
        if (table)
            strcat(strcat(strcpy(table, first), "."), second);
        free(first);
        free(second);
        if (!table)
            return false;
        k += 2;
    }
    char *alias = NULL;
    if (k < ts->n && is_word(&ts->t[k], "AS"))
        k++;
    if (k < ts->n && is_name(&ts->t[k]) && !ends_reference(&ts->t[k])) {
        if (!(alias = name_of(&ts->t[k]))) {
            free(table);
            return false;
        }
        k++;
    }
    *i = k;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        table_ref *r = realloc(rs->r, cap * sizeof *r);
        if (!r) {
            free(table);
            free(alias);
            return false;
        }
        rs->r = r;
        rs->cap = cap;
    }
    table_ref *r = &rs->r[rs->n++];
    *r = (table_ref){table, alias, NULL, 0};
    co_error ignored;
    if (co_store_columns(st, table, &r->cols, &r->ncols, &ignored) != CO_OK) {
        r->cols = NULL; /* not a table of the catalog (a CTE, a sequence): no columns */
        r->ncols = 0;
    }
    return true;
}

static bool collect_tables(co_store *st, const tokens *ts, refs *rs)
{
    for (size_t i = 0; i < ts->n; i++) {
        if (!is_word(&ts->t[i], "FROM") && !is_word(&ts->t[i], "JOIN"))
            continue;
        size_t k = i + 1;
        for (;;) {
            if (!read_reference(st, ts, &k, rs))
                return false;
            if (k < ts->n && is_punct(&ts->t[k], ',') && is_word(&ts->t[i], "FROM"))
                k++;
            else
                break;
        }
    }
    return true;
}

static const char *column_of(const table_ref *r, const char *name)
{
    for (size_t c = 0; c < r->ncols; c++)
        if (strcasecmp(r->cols[c].name, name) == 0)
            return r->cols[c].name;
    return NULL;
}

/* The reference that qualifier names: its alias, or the table's name. */
static const table_ref *qualified(const refs *rs, const char *qualifier)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i].alias && strcmp(rs->r[i].alias, qualifier) == 0)
            return &rs->r[i];
    for (size_t i = 0; i < rs->n; i++) {
        const char *t = rs->r[i].table, *dot = strchr(t, '.');
        if (!rs->r[i].alias && (strcasecmp(t, qualifier) == 0 || (dot && strcasecmp(dot + 1, qualifier) == 0)))
            return &rs->r[i];
    }
    return NULL;
}

static bool report(const tokens *ts, const refs *rs, co_read_fn fn, void *ctx)
{
    for (size_t i = 0; i < ts->n; i++) {
        const token *t = &ts->t[i];
        if (!is_name(t) || (i > 0 && is_punct(&ts->t[i - 1], '.')))
            continue;
        bool call = t->kind == 'i' && i + 1 < ts->n && is_punct(&ts->t[i + 1], '(');
        if (call)
            continue;
        char *name = name_of(t);
        if (!name)
            return false;
        if (i + 2 < ts->n && is_punct(&ts->t[i + 1], '.') && is_name(&ts->t[i + 2])) {
            /* qualifier.column (or db.table, which names no column) */
            const table_ref *r = qualified(rs, name);
            char *col = name_of(&ts->t[i + 2]);
            const char *real = r && col ? column_of(r, col) : NULL;
            if (real)
                fn(ctx, r->table, real);
            free(col);
            free(name);
            if (!col)
                return false;
            i += 2;
            continue;
        }
        for (size_t k = 0; k < rs->n; k++) {
            const char *real = column_of(&rs->r[k], name);
            if (real)
                fn(ctx, rs->r[k].table, real);
        }
        free(name);
    }
    return true;
}

co_code Co_my_query_reads(co_store *st, const char *sql, co_read_fn fn, void *ctx, co_error *err)
{
    co_code rc = co_store_prepare_check(st, sql, err);
    if (rc != CO_OK)
        return rc;
    tokens ts = {0};
    refs rs = {0};
    bool ok = lex(sql, &ts) && collect_tables(st, &ts, &rs) && report(&ts, &rs, fn, ctx);
    refs_release(&rs);
    free(ts.t);
    return ok ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}
