/*
 * compare.c: two answers to one read question, held in memory (parity_int.h),
 * compared as verify compares rows: each value in the canonical form of its
 * column's type (util/canon.h), each row hashed as util/rowhash.h hashes
 * rows; the answers as multisets of row hashes, then, when both queries
 * order their rows, position by position.
 */
#include "parity/parity_int.h"
#include "util/buf.h"
#include "util/canon.h"
#include "util/json.h"
#include "util/rowhash.h"
#include "util/free.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- one side ---- */

void Co_parity_side_release(co_parity_side *s)
{
    for (size_t i = 0; i < s->nrows * s->ncols; i++)
        if (s->vals[i].type == CO_TEXT || s->vals[i].type == CO_BLOB)
            free((char *)s->vals[i].s);
    for (size_t c = 0; c < s->ncols; c++)
        free(s->names[c]);
    free(s->names);
    free(s->vals);
    memset(s, 0, sizeof *s);
}

co_code Co_parity_side_columns(co_parity_side *s, size_t ncols, const char *const *names,
                               co_error *err)
{
    s->names = calloc(ncols ? ncols : 1, sizeof *s->names);
    if (!s->names)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    s->ncols = ncols;
    for (size_t c = 0; c < ncols; c++)
        if (!(s->names[c] = strdup(names[c] ? names[c] : "")))
            return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

co_code Co_parity_side_add(co_parity_side *s, const co_value *row, co_error *err)
{
    if (s->nrows == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        co_value *v = realloc(s->vals, cap * (s->ncols ? s->ncols : 1) * sizeof *v);
        if (!v)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        s->vals = v;
        s->cap = cap;
    }
    co_value *to = s->vals + s->nrows * s->ncols;
    for (size_t c = 0; c < s->ncols; c++) {
        to[c] = row[c];
        if (row[c].type != CO_TEXT && row[c].type != CO_BLOB)
            continue;
        char *copy = malloc(row[c].len + 1);
        if (!copy) {
            for (size_t k = 0; k < c; k++)
                if (to[k].type == CO_TEXT || to[k].type == CO_BLOB)
                    free((char *)to[k].s);
            return co_error_set(err, CO_ENOMEM, "out of memory");
        }
        memcpy(copy, row[c].s, row[c].len);
        copy[row[c].len] = '\0';
        to[c].s = copy;
    }
    s->nrows++;
    return CO_OK;
}

/* ---- does a query order its rows? ---- */

static bool word_at(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(s, word, n) == 0 && !isalnum((unsigned char)s[n]) && s[n] != '_';
}

bool Co_parity_orders(const char *sql)
{
    int depth = 0;
    bool orders = false;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"' || *p == '`') { /* a literal or a quoted name */
            char q = *p;
            while (p[1] && !(p[1] == q && p[2] != q))
                p += p[1] == q ? 2 : 1;
            if (p[1])
                p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (p[1] && p[1] != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 1 : p + strlen(p) - 1;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')') {
            depth--;
        } else if (depth == 0 && (p == sql || (!isalnum((unsigned char)p[-1]) && p[-1] != '_')) &&
                   word_at(p, "ORDER")) {
            const char *q = p + 5;
            while (isspace((unsigned char)*q))
                q++;
            if (word_at(q, "BY"))
                orders = true;
        }
    }
    return orders;
}

/* ---- comparing ---- */

/* The canonical type of each column: q's `types` by the new side's column
 * names, else the new side's values'. */
static void column_types(const co_parity_side *n, const co_parity_query *q, co_canon_type *t)
{
    for (size_t c = 0; c < n->ncols; c++) {
        t[c] = (co_canon_type){CO_CANON_ANY, 0};
        bool declared = false;
        for (size_t k = 0; q && k < q->ntypes && !declared; k++)
            if (strcasecmp(q->type_columns[k], n->names[c]) == 0) {
                t[c] = Co_canon_type_of(q->type_names[k]);
                declared = true;
            }
        for (size_t r = 0; !declared && r < n->nrows; r++) {
            co_type ty = n->vals[r * n->ncols + c].type;
            if (ty == CO_NULL)
                continue;
            t[c].kind = ty == CO_INT ? CO_CANON_INTEGER : ty == CO_REAL ? CO_CANON_REAL
                                                                        : CO_CANON_ANY;
            break;
        }
    }
}

/* A row's values in canonical form into out; text lives in bufs (ncols of
 * CO_CANON_TEXT_MAX bytes). */
static void canon_row(const co_parity_side *s, size_t r, const co_canon_type *t, co_value *out,
                      char *bufs)
{
    for (size_t c = 0; c < s->ncols; c++)
        out[c] = Co_canon_value(t[c], s->vals[r * s->ncols + c], bufs + c * CO_CANON_TEXT_MAX);
}

typedef struct hashed {
    uint64_t hash;
    size_t row;
} hashed;

static int by_hash(const void *a, const void *b)
{
    const hashed *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* The hash of every row of s, in row order, into h (s->nrows items). */
static co_code hash_rows(const co_parity_side *s, const co_canon_type *t, hashed *h,
                         co_error *err)
{
    co_value *row = calloc(s->ncols ? s->ncols : 1, sizeof *row);
    char *bufs = malloc((s->ncols ? s->ncols : 1) * CO_CANON_TEXT_MAX);
    if (!row || !bufs) {
        free(row);
        free(bufs);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r < s->nrows; r++) {
        canon_row(s, r, t, row, bufs);
        h[r].hash = Co_row_hash(row, s->ncols);
        h[r].row = r;
    }
    free(row);
    free(bufs);
    return CO_OK;
}

/* Appends row r of s, canonical, as a JSON array. */
static void row_json(co_buf *b, const co_parity_side *s, size_t r, const co_canon_type *t)
{
    Co_buf_addc(b, '[');
    for (size_t c = 0; c < s->ncols; c++) {
        char buf[CO_CANON_TEXT_MAX];
        co_value v = Co_canon_value(t[c], s->vals[r * s->ncols + c], buf);
        if (c)
            Co_buf_addc(b, ',');
        Co_json_value(b, &v);
    }
    Co_buf_addc(b, ']');
}

/* {"columns": [...], "old_only": [...], "new_only": [...]}: at most cap rows
 * flagged in each side's marks, in row order. */
static char *samples_json(const co_parity_side *o, const bool *om, const co_parity_side *n,
                          const bool *nm, const co_canon_type *t, int cap)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"columns\":[");
    for (size_t c = 0; c < n->ncols; c++) {
        if (c)
            Co_buf_addc(&b, ',');
        Co_json_str(&b, n->names[c]);
    }
    const co_parity_side *sides[2] = {o, n};
    const bool *marks[2] = {om, nm};
    for (int k = 0; k < 2; k++) {
        Co_buf_adds(&b, k ? "],\"new_only\":[" : "],\"old_only\":[");
        int shown = 0;
        for (size_t r = 0; r < sides[k]->nrows && shown < cap; r++)
            if (marks[k][r]) {
                if (shown++)
                    Co_buf_addc(&b, ',');
                row_json(&b, sides[k], r, t);
            }
    }
    Co_buf_adds(&b, "]}");
    return b.failed ? (Co_buf_release(&b), NULL) : co_buf_detach(&b);
}

static char *sentence(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sentence(const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return strdup(text);
}

co_code Co_parity_compare(const co_parity_side *o, const co_parity_side *n,
                          const co_parity_query *q, bool ordered, int samples,
                          co_state_parity_check *out, char **detail, char **samples_out,
                          co_error *err)
{
    *detail = NULL;
    *samples_out = NULL;
    out->old_rows = (int64_t)o->nrows;
    out->new_rows = (int64_t)n->nrows;
    out->old_only = out->new_only = 0;
    out->outcome = "pass";
    if (o->ncols != n->ncols) {
        out->outcome = "columns";
        *detail = sentence("the old query gives %zu columns, the new one %zu", o->ncols,
                           n->ncols);
        return *detail ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_canon_type *t = calloc(n->ncols ? n->ncols : 1, sizeof *t);
    hashed *oh = calloc(o->nrows ? o->nrows : 1, sizeof *oh);
    hashed *nh = calloc(n->nrows ? n->nrows : 1, sizeof *nh);
    bool *om = calloc(o->nrows ? o->nrows : 1, sizeof *om);
    bool *nm = calloc(n->nrows ? n->nrows : 1, sizeof *nm);
    co_code rc = t && oh && nh && om && nm ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        column_types(n, q, t);
    if (rc == CO_OK)
        rc = hash_rows(o, t, oh, err);
    if (rc == CO_OK)
        rc = hash_rows(n, t, nh, err);
    size_t first_out_of_order = 0;
    bool out_of_order = false;
    if (rc == CO_OK && ordered && o->nrows == n->nrows)
        for (size_t r = 0; r < o->nrows && !out_of_order; r++)
            if (oh[r].hash != nh[r].hash) {
                out_of_order = true;
                first_out_of_order = r;
            }
    if (rc == CO_OK) {
        qsort(oh, o->nrows, sizeof *oh, by_hash);
        qsort(nh, n->nrows, sizeof *nh, by_hash);
        size_t i = 0, k = 0;
        while (i < o->nrows || k < n->nrows) {
            if (k == n->nrows || (i < o->nrows && oh[i].hash < nh[k].hash)) {
                om[oh[i++].row] = true;
                out->old_only++;
            } else if (i == o->nrows || nh[k].hash < oh[i].hash) {
                nm[nh[k++].row] = true;
                out->new_only++;
            } else {
                i++, k++;
            }
        }
    }
    if (rc == CO_OK && (out->old_only || out->new_only)) {
        out->outcome = "rows";
        *detail = sentence("%lld rows only in the old answer, %lld only in the new (old %lld "
                           "rows, new %lld)",
                           (long long)out->old_only, (long long)out->new_only,
                           (long long)o->nrows, (long long)n->nrows);
    } else if (rc == CO_OK && out_of_order) {
        out->outcome = "order";
        om[first_out_of_order] = nm[first_out_of_order] = true;
        *detail = sentence("the same rows in another order: row %zu differs (of %zu)",
                           first_out_of_order + 1, o->nrows);
    }
    if (rc == CO_OK && *detail)
        *samples_out = samples_json(o, om, n, nm, t, samples);
    if (rc == CO_OK && strcmp(out->outcome, "pass") != 0 && (!*detail || !*samples_out))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    CO_FREE(t, oh, nh, om, nm);
    return rc;
}
