/*
 * survive.c: survivorship rules applied to the rows of one cluster
 * (survive.h). Rows are compared in key order, so that "first" and every tie
 * are decided the same way on every run and in verification.
 */
#include "dedupe/survive.h"
#include "util/buf.h"
#include "util/free.h"

#include <stdlib.h>
#include <string.h>

typedef struct col_rule {
    const co_merge_rule *rule;
    size_t arg_col; /* the timestamp column, or the prefer condition's column */
} col_rule;

struct co_survive {
    const co_merge *m;
    size_t ncols, nkey;
    size_t key_idx[64];
    col_rule *cols;      /* one per column */
    size_t survivor_ts;  /* for latest/earliest survivors */
    co_buf *made;        /* per column: text made by union and concat */
    size_t *order;       /* row indexes in key order */
    size_t order_cap;
};

static int type_rank(co_type t)
{
    switch (t) {
    case CO_NULL: return 0;
    case CO_INT:
    case CO_REAL: return 1;
    case CO_TEXT: return 2;
    default: return 3;
    }
}

int Co_value_order(const co_value *a, const co_value *b)
{
    int ra = type_rank(a->type), rb = type_rank(b->type);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0)
        return 0;
    if (ra == 1) {
        if (a->type == CO_INT && b->type == CO_INT)
            return a->i < b->i ? -1 : a->i > b->i;
        double x = a->type == CO_INT ? (double)a->i : a->r;
        double y = b->type == CO_INT ? (double)b->i : b->r;
        return x < y ? -1 : x > y;
    }
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->s, b->s, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

static bool truthy(const co_value *v)
{
    switch (v->type) {
    case CO_INT: return v->i != 0;
    case CO_REAL: return v->r != 0;
    case CO_TEXT: return v->len > 0 && !(v->len == 1 && v->s[0] == '0');
    default: return false;
    }
}

size_t Co_survive_prefers(const co_merge *m, const char **conds, size_t cap)
{
    size_t n = 0;
    if (m->keep.kind == CO_RULE_PREFER) {
        if (n < cap)
            conds[n] = m->keep.arg;
        n++;
    }
    for (size_t i = 0; i < m->ncolumns; i++)
        if (m->columns[i].kind == CO_RULE_PREFER) {
            if (n < cap)
                conds[n] = m->columns[i].arg;
            n++;
        }
    return n;
}

static int column_of(const char *const *names, size_t ncols, const char *name)
{
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* The column a latest/earliest rule reads its time from. */
static co_code time_column(const co_merge_rule *r, const char *const *names, size_t ncols,
                           size_t *out, co_error *err)
{
    int c = column_of(names, ncols, r->arg);
    if (c < 0)
        return co_error_set(err, CO_EPROJECT,
                            "merge: the timestamp column \"%s\" of a %s rule is not among the "
                            "query's columns (line %d)",
                            r->arg, r->kind == CO_RULE_LATEST ? "latest" : "earliest",
                            r->mark.line);
    *out = (size_t)c;
    return CO_OK;
}

void Co_survive_free(co_survive *sv)
{
    if (!sv)
        return;
    for (size_t c = 0; sv->made && c < sv->ncols; c++)
        Co_buf_release(&sv->made[c]);
    CO_FREE(sv->made, sv->cols, sv->order, sv);
}

co_code Co_survive_new(const co_merge *m, const char *const *names, size_t ncols,
                       const size_t *key_idx, size_t nkey, size_t prefer_at, co_survive **out,
                       co_error *err)
{
    *out = NULL;
    if (nkey > 64)
        return co_error_set(err, CO_EPROJECT, "merge: a key of more than 64 columns");
    co_survive *sv = calloc(1, sizeof *sv);
    if (!sv || !(sv->cols = calloc(ncols ? ncols : 1, sizeof *sv->cols)) ||
        !(sv->made = calloc(ncols ? ncols : 1, sizeof *sv->made))) {
        Co_survive_free(sv);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    sv->m = m;
    sv->ncols = ncols;
    sv->nkey = nkey;
    memcpy(sv->key_idx, key_idx, nkey * sizeof *key_idx);
    co_code rc = CO_OK;
    size_t keep_prefer = prefer_at, next_prefer = prefer_at;
    if (m->keep.kind == CO_RULE_PREFER)
        next_prefer++;
    for (size_t i = 0; i < m->ncolumns && rc == CO_OK; i++) {
        const co_merge_rule *r = &m->columns[i];
        int c = column_of(names, ncols, r->column);
        if (c < 0) {
            rc = co_error_set(err, CO_EPROJECT,
                              "merge: column \"%s\" (line %d) is not among the query's columns",
                              r->column, r->mark.line);
            break;
        }
        sv->cols[c].rule = r;
        if (r->kind == CO_RULE_PREFER)
            sv->cols[c].arg_col = next_prefer++;
        else if (r->kind == CO_RULE_LATEST || r->kind == CO_RULE_EARLIEST)
            rc = time_column(r, names, ncols, &sv->cols[c].arg_col, err);
    }
    for (size_t c = 0; c < ncols && rc == CO_OK; c++) {
        if (sv->cols[c].rule)
            continue;
        sv->cols[c].rule = &m->keep;
        if (m->keep.kind == CO_RULE_PREFER)
            sv->cols[c].arg_col = keep_prefer;
        else if (m->keep.kind == CO_RULE_LATEST || m->keep.kind == CO_RULE_EARLIEST)
            rc = time_column(&m->keep, names, ncols, &sv->cols[c].arg_col, err);
    }
    if (rc == CO_OK && (m->survivor.kind == CO_RULE_LATEST || m->survivor.kind == CO_RULE_EARLIEST))
        rc = time_column(&m->survivor, names, ncols, &sv->survivor_ts, err);
    if (rc != CO_OK) {
        Co_survive_free(sv);
        return rc;
    }
    *out = sv;
    return CO_OK;
}

/* Key order of two rows. */
static int key_order(const co_survive *sv, const co_value *a, const co_value *b)
{
    for (size_t k = 0; k < sv->nkey; k++) {
        int c = Co_value_order(&a[sv->key_idx[k]], &b[sv->key_idx[k]]);
        if (c)
            return c;
    }
    return 0;
}

/* The position in key order of the row that is newest (sign 1) or oldest
 * (sign -1) by column ts among rows whose column col is not NULL (col may be
 * SIZE_MAX: any row); -1 when none has a value. Ties keep key order. */
static long by_time(const co_survive *sv, const co_value *const *rows, size_t k, size_t col,
                    size_t ts, int sign)
{
    long best = -1;
    for (size_t p = 0; p < k; p++) {
        const co_value *r = rows[sv->order[p]];
        if (col != SIZE_MAX && r[col].type == CO_NULL)
            continue;
        if (best < 0) {
            best = (long)p;
            continue;
        }
        const co_value *b = rows[sv->order[best]];
        if (sign * Co_value_order(&r[ts], &b[ts]) > 0)
            best = (long)p;
    }
    return best;
}

/* Appends the distinct parts of v (split on sep, trimmed) not yet in out. */
static void add_parts(co_buf *out, const co_value *v, const char *sep, bool split)
{
    if (v->type == CO_NULL)
        return;
    co_buf text = CO_BUF_INIT;
    if (v->type == CO_INT)
        Co_buf_add_int(&text, v->i);
    else if (v->type == CO_REAL)
        Co_buf_printf(&text, "%.17g", v->r);
    else
        Co_buf_add(&text, v->s, v->len);
    size_t seplen = strlen(sep);
    const char *p = co_buf_str(&text), *end = p + text.len;
    while (p <= end) {
        const char *stop = split && seplen ? strstr(p, sep) : NULL;
        if (!stop)
            stop = end;
        const char *a = p, *z = stop;
        if (split) {
            while (a < z && (*a == ' ' || *a == '\t'))
                a++;
            while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
                z--;
        }
        size_t len = (size_t)(z - a);
        bool present = false;
        /* Already there? Parts are separated by sep in out. */
        const char *q = out->len ? co_buf_str(out) : "", *qend = q + out->len;
        while (len && q < qend && !present) {
            const char *qs = seplen ? strstr(q, sep) : NULL;
            if (!qs)
                qs = qend;
            present = (size_t)(qs - q) == len && memcmp(q, a, len) == 0;
            q = qs + seplen;
        }
        if (len && !present) {
            if (out->len)
                Co_buf_adds(out, sep);
            Co_buf_add(out, a, len);
        }
        if (stop == end)
            break;
        p = stop + seplen;
    }
    Co_buf_release(&text);
}

co_code Co_survive_apply(co_survive *sv, const co_value *const *rows, size_t k, co_value *out,
                         size_t *survivor, co_error *err)
{
    if (k == 0)
        return co_error_set(err, CO_EINTERNAL, "merge: a cluster without rows");
    if (k > sv->order_cap) {
        size_t *grown = realloc(sv->order, k * sizeof *grown);
        if (!grown)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        sv->order = grown;
        sv->order_cap = k;
    }
    /* Insertion sort by key: clusters are small. */
    for (size_t i = 0; i < k; i++) {
        size_t j = i;
        while (j > 0 && key_order(sv, rows[sv->order[j - 1]], rows[i]) > 0) {
            sv->order[j] = sv->order[j - 1];
            j--;
        }
        sv->order[j] = i;
    }
    const co_merge *m = sv->m;
    long s = 0;
    switch (m->survivor.kind) {
    case CO_RULE_MAX: s = (long)k - 1; break;
    case CO_RULE_LATEST: s = by_time(sv, rows, k, SIZE_MAX, sv->survivor_ts, 1); break;
    case CO_RULE_EARLIEST: s = by_time(sv, rows, k, SIZE_MAX, sv->survivor_ts, -1); break;
    default: s = 0; break;
    }
    const co_value *surv = rows[sv->order[s < 0 ? 0 : s]];
    *survivor = sv->order[s < 0 ? 0 : s];
    for (size_t c = 0; c < sv->ncols; c++) {
        bool is_key = false;
        for (size_t kk = 0; kk < sv->nkey; kk++)
            is_key |= sv->key_idx[kk] == c;
        const co_merge_rule *r = sv->cols[c].rule;
        out[c] = surv[c];
        if (is_key)
            continue;
        long pick = -1;
        switch (r->kind) {
        case CO_RULE_SURVIVOR: break;
        case CO_RULE_FIRST:
            for (size_t p = 0; p < k && pick < 0; p++)
                if (rows[sv->order[p]][c].type != CO_NULL)
                    pick = (long)p;
            break;
        case CO_RULE_LATEST: pick = by_time(sv, rows, k, c, sv->cols[c].arg_col, 1); break;
        case CO_RULE_EARLIEST: pick = by_time(sv, rows, k, c, sv->cols[c].arg_col, -1); break;
        case CO_RULE_MAX:
        case CO_RULE_MIN:
            for (size_t p = 0; p < k; p++) {
                const co_value *v = &rows[sv->order[p]][c];
                if (v->type == CO_NULL)
                    continue;
                int cmp = pick < 0 ? 0 : Co_value_order(v, &rows[sv->order[pick]][c]);
                if (pick < 0 || (r->kind == CO_RULE_MAX ? cmp > 0 : cmp < 0))
                    pick = (long)p;
            }
            break;
        case CO_RULE_PREFER:
            for (size_t p = 0; p < k && pick < 0; p++) {
                const co_value *row = rows[sv->order[p]];
                if (row[c].type != CO_NULL && truthy(&row[sv->cols[c].arg_col]))
                    pick = (long)p;
            }
            break;
        case CO_RULE_UNION:
        case CO_RULE_CONCAT: {
            bool uni = r->kind == CO_RULE_UNION;
            const char *sep = r->arg ? r->arg : uni ? ";" : " | ";
            co_buf *made = &sv->made[c];
            Co_buf_reset(made);
            bool any = surv[c].type != CO_NULL;
            add_parts(made, &surv[c], sep, uni);
            for (size_t p = 0; p < k; p++) {
                const co_value *v = &rows[sv->order[p]][c];
                any |= v->type != CO_NULL;
                if (v != &surv[c])
                    add_parts(made, v, sep, uni);
            }
            if (made->failed)
                return co_error_set(err, CO_ENOMEM, "out of memory");
            if (any)
                out[c] = co_text(made->len ? co_buf_str(made) : "", made->len);
            break;
        }
        }
        if (pick >= 0)
            out[c] = rows[sv->order[pick]][c];
    }
    return CO_OK;
}
