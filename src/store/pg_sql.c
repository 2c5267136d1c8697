/*
 * pg_sql.c: cutover's SQL as PostgreSQL takes it. Project files and the
 * engine write parameters as SQLite does (":tenant", "?"); PostgreSQL numbers
 * them ($1). The translation reads the SQL as PostgreSQL's lexer would, so
 * that a ":tenant" inside a string literal, a quoted identifier, a comment or
 * a dollar-quoted body stays text and "::int" stays a cast. It also binds
 * cutover's values to the numbered parameters.
 */
#include "dedupe/normalize_pg.h"
#include "store/pg_int.h"
#include "util/free.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INT8OID 20
#define FLOAT8OID 701
#define BYTEAOID 17

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static bool ident_char(char c)
{
    return ident_start(c) || isdigit((unsigned char)c) || c == '$';
}

void Co_pg_sql_release(pg_sql *q)
{
    for (size_t i = 0; i < q->nparams; i++)
        free(q->names[i]);
    free(q->names);
    Co_buf_release(&q->text);
    memset(q, 0, sizeof *q);
}

static const char *skip_block_comment(const char *p)
{
    int depth = 0;
    const char *q = p;
    while (*q) {
        if (q[0] == '/' && q[1] == '*') {
            depth++;
            q += 2;
        } else if (q[0] == '*' && q[1] == '/') {
            q += 2;
            if (--depth == 0)
                return q;
        } else {
            q++;
        }
    }
    return q;
}

/* A dollar quote ($$...$$ or $tag$...$tag$) at p: its end, or NULL when p
 * does not open one. */
static const char *skip_dollar_quote(const char *p)
{
    const char *t = p + 1;
    if (*t != '$' && !ident_start(*t))
        return NULL;
    while (*t && *t != '$') {
        if (!ident_char(*t))
            return NULL;
        t++;
    }
    if (*t != '$')
        return NULL;
    size_t taglen = (size_t)(t + 1 - p);
    for (const char *q = t + 1; *q; q++)
        if (*q == '$' && strncmp(q, p, taglen) == 0)
            return q + taglen;
    return p + strlen(p);
}

/* The start of the word that ends at end (exclusive) in text, skipping
 * whitespace before end; *wend gets the word's end. */
static size_t word_before(const char *text, size_t end, size_t *wend)
{
    while (end > 0 && isspace((unsigned char)text[end - 1]))
        end--;
    size_t start = end;
    while (start > 0 && ident_char(text[start - 1]))
        start--;
    *wend = end;
    return start;
}

static bool word_is(const char *text, size_t start, size_t end, const char *word)
{
    return end - start == strlen(word) && strncasecmp(text + start, word, end - start) == 0;
}

/* Appends $k for a placeholder, rewriting a preceding "IS" / "IS NOT" into
 * IS [NOT] DISTINCT FROM: SQLite's "x IS ?" matches NULLs too. */
static void add_placeholder(co_buf *b, size_t k)
{
    if (b->len) {
        size_t wend, start = word_before(b->data, b->len, &wend);
        if (word_is(b->data, start, wend, "IS")) {
            b->len = start;
            Co_buf_adds(b, "IS NOT DISTINCT FROM ");
        } else if (word_is(b->data, start, wend, "NOT")) {
            size_t wend2, start2 = word_before(b->data, start, &wend2);
            if (word_is(b->data, start2, wend2, "IS")) {
                b->len = start2;
                Co_buf_adds(b, "IS DISTINCT FROM ");
            }
        }
    }
    Co_buf_printf(b, "$%zu", k);
}

static bool add_name(pg_sql *q, char *name)
{
    char **grown = realloc(q->names, (q->nparams + 1) * sizeof *grown);
    if (!grown) {
        free(name);
        return false;
    }
    q->names = grown;
    q->names[q->nparams++] = name;
    return true;
}

/* The end of whatever quoted or commented run starts at p, or NULL. */
static const char *skip_inert(const char *sql, const char *p)
{
    if (*p == '\'') {
        bool esc = p > sql && (p[-1] == 'E' || p[-1] == 'e') && (p - 1 == sql || !ident_char(p[-2]));
        return Co_sql_skip_quoted(p, '\'', esc);
    }
    if (*p == '"')
        return Co_sql_skip_quoted(p, '"', false);
    if (p[0] == '-' && p[1] == '-')
        return p + strcspn(p, "\n");
    if (p[0] == '/' && p[1] == '*')
        return skip_block_comment(p);
    if (*p == '$')
        return skip_dollar_quote(p);
    return NULL;
}

/* Adds the placeholder at p (":name" of len bytes, or "?"). */
static bool placeholder(pg_sql *q, const char *p, size_t len)
{
    size_t k = 0;
    if (p[0] == ':')
        for (; k < q->nparams; k++)
            if (q->names[k] && strlen(q->names[k]) == len && strncmp(q->names[k], p, len) == 0)
                break;
    if (p[0] == '?' || k == q->nparams) {
        char *name = p[0] == ':' ? strndup(p, len) : NULL;
        if ((p[0] == ':' && !name) || !add_name(q, name))
            return false;
        if (p[0] == '?')
            q->npositional++;
        k = q->nparams - 1;
    }
    add_placeholder(&q->text, k + 1);
    return true;
}

/* True when the word just read, after, before which b holds the statement
 * so far and whose previous keyword was prev, is an unqualified function
 * call: "(" follows, no "." precedes, and it is no name being defined or
 * aliased ("WITH name_norm(a) AS", "AS casefold(x)"). */
static bool calls(const co_buf *b, const char *after, const char *prev)
{
    while (isspace((unsigned char)*after))
        after++;
    size_t end = b->len;
    while (end > 0 && isspace((unsigned char)b->data[end - 1]))
        end--;
    static const char *const defining[] = {"WITH", "AS", "INTO", "TABLE", "JOIN", "FROM", "UPDATE"};
    for (size_t i = 0; i < sizeof defining / sizeof defining[0]; i++)
        if (strcmp(prev, defining[i]) == 0)
            return false;
    return *after == '(' && !(end > 0 && b->data[end - 1] == '.');
}

co_code Co_pg_sql_translate(pg_store *s, const char *sql, bool positional, pg_sql *out,
                            co_error *err)
{
    memset(out, 0, sizeof *out);
    co_buf *b = &out->text;
    const char *p = sql;
    char prev[8] = ""; /* the previous keyword-sized word, upper case */
    bool first = true;
    while (*p) {
        if (*p == '$' && isdigit((unsigned char)p[1])) {
            Co_pg_sql_release(out);
            return co_error_set(err, Co_store_side_code(s->base.side),
                                "%s: the query uses a numbered parameter ($%c); write named "
                                "parameters such as :tenant",
                                co_side_name(s->base.side), p[1]);
        }
        const char *end = skip_inert(sql, p);
        if (end) {
            bool comment = (p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*');
            Co_buf_add(b, p, (size_t)(end - p));
            p = end;
            if (!comment) { /* a comment is no token: "-- x\nSELECT" is a query */
                first = false;
                prev[0] = '\0';
            }
            continue;
        }
        if (p[0] == ':' && p[1] == ':') {
            Co_buf_adds(b, "::");
            p += 2;
            continue;
        }
        if ((p[0] == ':' && ident_start(p[1]) && (unsigned char)p[1] < 0x80) ||
            (p[0] == '?' && positional)) {
            size_t len = 1;
            if (p[0] == ':')
                while (isalnum((unsigned char)p[len]) || p[len] == '_')
                    len++;
            if (!placeholder(out, p, len)) {
                Co_pg_sql_release(out);
                return co_error_set(err, CO_ENOMEM, "out of memory");
            }
            p += len;
            first = false;
            prev[0] = '\0';
            continue;
        }
        if (ident_start(*p)) {
            size_t len = 1;
            while (ident_char(p[len]))
                len++;
            char word[8] = "";
            if (len < sizeof word)
                for (size_t i = 0; i <= len; i++)
                    word[i] = i < len ? (char)toupper((unsigned char)p[i]) : '\0';
            if (first)
                out->cursorable = strcmp(word, "SELECT") == 0 || strcmp(word, "WITH") == 0 ||
                                  strcmp(word, "VALUES") == 0 || strcmp(word, "TABLE") == 0;
            if (strcmp(prev, "FOR") == 0 &&
                (strcmp(word, "UPDATE") == 0 || strcmp(word, "SHARE") == 0 ||
                 strcmp(word, "NO") == 0 || strcmp(word, "KEY") == 0))
                out->locking = true;
            if (s->normalizers && Co_pg_is_normalizer(p, len) && calls(b, p + len, prev))
                Co_buf_adds(b, CO_NORM_PG_SCHEMA ".");
            memcpy(prev, word, sizeof prev);
            Co_buf_add(b, p, len);
            p += len;
            first = false;
            continue;
        }
        if (isdigit((unsigned char)*p)) { /* a number, so that 1e5 is no word */
            size_t len = 1;
            while (isalnum((unsigned char)p[len]) || p[len] == '.')
                len++;
            Co_buf_add(b, p, len);
            p += len;
            first = false;
            continue;
        }
        if (!isspace((unsigned char)*p)) {
            if (first && *p == '(')
                out->cursorable = true;
            first = false;
            prev[0] = '\0';
        }
        Co_buf_addc(b, *p++);
    }
    if (b->failed) {
        Co_pg_sql_release(out);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    return CO_OK;
}

/* ---- binding ------------------------------------------------------------------ */

void Co_pg_bind_release(pg_bind *b)
{
    CO_FREE(b->types, b->values, b->lengths, b->formats);
    Co_buf_release(&b->text);
    memset(b, 0, sizeof *b);
}

void Co_pg_real_text(co_buf *out, double r)
{
    if (isnan(r)) {
        Co_buf_adds(out, "NaN");
        return;
    }
    if (isinf(r)) {
        Co_buf_adds(out, r > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, r);
        if (strtod(tmp, NULL) == r)
            break;
    }
    Co_buf_adds(out, tmp);
}

static bool bind_alloc(pg_bind *b, size_t n)
{
    memset(b, 0, sizeof *b);
    size_t m = n ? n : 1;
    b->types = calloc(m, sizeof *b->types);
    b->values = calloc(m, sizeof *b->values);
    b->lengths = calloc(m, sizeof *b->lengths);
    b->formats = calloc(m, sizeof *b->formats);
    return b->types && b->values && b->lengths && b->formats;
}

/* Encodes the n values into b; numbers' text goes to b->text, whose
 * addresses are taken once it has stopped growing. */
static co_code bind_encode(pg_store *s, const co_value *const *vals, size_t n, bool typed,
                           pg_bind *b, co_error *err)
{
    size_t *offsets = calloc(n ? n : 1, sizeof *offsets);
    if (!offsets)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const co_value *v = vals[k];
        offsets[k] = (size_t)-1;
        switch (v->type) {
        case CO_NULL:
            break;
        case CO_INT:
            b->types[k] = typed ? INT8OID : 0;
            offsets[k] = b->text.len;
            Co_buf_add_int(&b->text, v->i);
            Co_buf_addc(&b->text, '\0');
            break;
        case CO_REAL:
            b->types[k] = typed ? FLOAT8OID : 0;
            offsets[k] = b->text.len;
            Co_pg_real_text(&b->text, v->r);
            Co_buf_addc(&b->text, '\0');
            break;
        case CO_TEXT:
            if (memchr(v->s, '\0', v->len)) {
                free(offsets);
                return co_error_set(err, Co_store_side_code(s->base.side),
                                    "%s: parameter $%zu is text with a NUL byte, which "
                                    "PostgreSQL cannot hold",
                                    co_side_name(s->base.side), k + 1);
            }
            b->values[k] = v->s; /* NUL-terminated (value.h) */
            break;
        case CO_BLOB:
            b->types[k] = typed ? BYTEAOID : 0;
            b->values[k] = v->len ? v->s : "";
            b->lengths[k] = (int)v->len;
            b->formats[k] = 1; /* binary: the bytes as they are */
            break;
        }
    }
    bool failed = b->text.failed;
    for (size_t k = 0; k < n && !failed; k++)
        if (offsets[k] != (size_t)-1)
            b->values[k] = b->text.data + offsets[k];
    free(offsets);
    return failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}

co_code Co_pg_bind(pg_store *s, const pg_sql *q, const co_param *params, size_t n, bool typed,
                   pg_bind *out, co_error *err)
{
    const char *side = co_side_name(s->base.side);
    const co_value **vals = calloc(q->nparams ? q->nparams : 1, sizeof *vals);
    if (!bind_alloc(out, q->nparams) || !vals) {
        free(vals);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    size_t position = 0;
    for (size_t i = 0; i < n; i++) {
        if (params[i].name) {
            const char *name = params[i].name;
            for (size_t k = 0; k < q->nparams; k++)
                if (q->names[k] && (strcmp(q->names[k], name) == 0 ||
                                    (name[0] != ':' && strcmp(q->names[k] + 1, name) == 0)))
                    vals[k] = &params[i].value;
            continue;
        }
        size_t seen = 0; /* the position-th "?" */
        for (size_t k = 0; k < q->nparams; k++)
            if (!q->names[k] && seen++ == position)
                vals[k] = &params[i].value;
        position++;
    }
    for (size_t k = 0; k < q->nparams; k++) {
        if (vals[k])
            continue;
        co_code rc = q->names[k]
                         ? co_error_set(err, Co_store_side_code(s->base.side),
                                        "%s: the query uses parameter %s, which cutover does "
                                        "not supply",
                                        side, q->names[k])
                         : co_error_set(err, Co_store_side_code(s->base.side),
                                        "%s: the query uses a positional parameter (?) that "
                                        "cutover does not supply; name the tenant :tenant",
                                        side);
        free(vals);
        return rc;
    }
    co_code rc = bind_encode(s, vals, q->nparams, typed, out, err);
    free(vals);
    return rc;
}

co_code Co_pg_bind_values(pg_store *s, const co_value *vals, size_t n, pg_bind *out,
                          co_error *err)
{
    const co_value **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    if (!bind_alloc(out, n) || !ptrs) {
        free(ptrs);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++)
        ptrs[k] = &vals[k];
    co_code rc = bind_encode(s, ptrs, n, false, out, err);
    free(ptrs);
    return rc;
}

static void quote_part(const char *s, size_t len, co_buf *out) { Co_buf_quote(out, s, len, '"'); }

void Co_pg_table_ref(const char *table, co_buf *out)
{
    const char *dot = strchr(table, '.');
    if (dot && dot != table && dot[1]) {
        quote_part(table, (size_t)(dot - table), out);
        Co_buf_addc(out, '.');
        quote_part(dot + 1, strlen(dot + 1), out);
    } else {
        quote_part(table, strlen(table), out);
    }
}
