/*
 * mysql_sql.c: cutover's SQL as MySQL takes it. Project files and the engine
 * write parameters as SQLite does (":tenant", "?"); the MySQL backend uses the
 * text protocol (so that results stream with mysql_use_result), so parameters
 * become escaped literals in the statement text. The expansion reads the SQL
 * as MySQL's lexer would in the session's sql_mode (ANSI_QUOTES,
 * NO_BACKSLASH_ESCAPES): a ":tenant" inside a string literal, a quoted
 * identifier or a comment stays text.
 */
#include "store/mysql_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static bool ident_char(char c) { return ident_start(c) || isdigit((unsigned char)c) || c == '$'; }

void Co_my_literal(const co_value *v, co_buf *out)
{
    static const char digits[] = "0123456789abcdef";
    switch (v->type) {
    case CO_NULL:
        Co_buf_adds(out, "NULL");
        return;
    case CO_INT:
        Co_buf_add_int(out, v->i);
        return;
    case CO_REAL:
        if (isnan(v->r) || isinf(v->r)) { /* MySQL has no such values: the server refuses NULL here */
            Co_buf_adds(out, "NULL");
            return;
        }
        Co_my_real(v->r, out);
        return;
    case CO_BLOB:
        Co_buf_adds(out, "X'");
        for (size_t i = 0; i < v->len; i++) {
            unsigned char c = (unsigned char)v->s[i];
            char hex[2] = {digits[c >> 4], digits[c & 15]};
            Co_buf_add(out, hex, 2);
        }
        Co_buf_addc(out, '\'');
        return;
    case CO_TEXT: {
        Co_buf_addc(out, '\'');
        size_t run = 0;
        for (size_t i = 0; i < v->len; i++) {
            if (v->s[i] != '\'')
                continue;
            Co_buf_add(out, v->s + run, i + 1 - run);
            Co_buf_addc(out, '\'');
            run = i + 1;
        }
        Co_buf_add(out, v->s + run, v->len - run);
        Co_buf_addc(out, '\'');
        return;
    }
    }
}

/* Rewrites a trailing "IS" (before a placeholder) into "<=>". */
static void is_to_nullsafe(co_buf *b)
{
    size_t end = b->len;
    while (end > 0 && isspace((unsigned char)b->data[end - 1]))
        end--;
    size_t start = end;
    while (start > 0 && ident_char(b->data[start - 1]))
        start--;
    if (end - start == 2 && strncasecmp(b->data + start, "IS", 2) == 0 &&
        (start == 0 || !ident_char(b->data[start - 1]))) {
        b->len = start;
        Co_buf_adds(b, "<=> ");
    }
}

static co_code expand(my_store *s, const char *sql, const co_param *params, size_t n,
                      bool positional, bool markers, co_buf *out, co_error *err)
{
    static const co_value marker = {0};
    size_t next_positional = 0;
    const char *p = sql, *run = sql;
    while (*p) {
        const char *skip = NULL;
        if (*p == '\'' || *p == '"' || *p == '`')
            skip = Co_sql_skip_quoted(p, *p, false);
        else if (p[0] == '-' && p[1] == '-' && (isspace((unsigned char)p[2]) || !p[2]))
            skip = p + strcspn(p, "\n");
        else if (*p == '#')
            skip = p + strcspn(p, "\n");
        else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            skip = end ? end + 2 : p + strlen(p);
        }
        if (skip) {
            p = skip;
            continue;
        }
        const co_value *v = NULL;
        const char *after = p + 1;
        if (*p == ':' && ident_start(p[1]) && (p == sql || !ident_char(p[-1]))) {
            const char *e = p + 1;
            while (ident_char(*e))
                e++;
            if (markers)
                v = &marker;
            for (size_t i = 0; i < n && !v; i++)
                if (params[i].name) {
                    const char *name = params[i].name[0] == ':' ? params[i].name + 1
                                                                : params[i].name;
                    if (strlen(name) == (size_t)(e - p - 1) && strncmp(name, p + 1, (size_t)(e - p - 1)) == 0)
                        v = &params[i].value;
                }
            if (!v)
                return co_error_set(err, Co_store_side_code(s->base.side),
                                    "%s: parameter %.*s is not given", co_side_name(s->base.side),
                                    (int)(e - p), p);
            after = e;
        } else if (*p == '?' && positional) {
            size_t k = 0;
            if (markers)
                v = &marker;
            for (size_t i = 0; i < n && !v; i++)
                if (!params[i].name && k++ == next_positional)
                    v = &params[i].value;
            if (!v)
                return co_error_set(err, Co_store_side_code(s->base.side),
                                    "%s: positional parameter %zu is not given",
                                    co_side_name(s->base.side), next_positional + 1);
            next_positional++;
        } else {
            p++;
            continue;
        }
        Co_buf_add(out, run, (size_t)(p - run));
        is_to_nullsafe(out);
        if (markers)
            Co_buf_addc(out, '?');
        else
            Co_my_literal(v, out);
        p = run = after;
    }
    Co_buf_add(out, run, (size_t)(p - run));
    if (out->failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* expand, after cutover's functions are written out (mysql_types.c). */
static co_code expand_functions(my_store *s, const char *sql, const co_param *params, size_t n,
                                bool positional, bool markers, co_buf *out, co_error *err)
{
    co_buf fixed = CO_BUF_INIT;
    if (Co_my_functions(sql, &fixed) && !fixed.failed)
        sql = co_buf_str(&fixed);
    co_code rc = fixed.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                              : expand(s, sql, params, n, positional, markers, out, err);
    Co_buf_release(&fixed);
    return rc;
}

co_code Co_my_expand(my_store *s, const char *sql, const co_param *params, size_t n,
                     bool positional, co_buf *out, co_error *err)
{
    return expand_functions(s, sql, params, n, positional, false, out, err);
}

co_code Co_my_markers(my_store *s, const char *sql, co_buf *out, co_error *err)
{
    return expand_functions(s, sql, NULL, 0, true, true, out, err);
}
