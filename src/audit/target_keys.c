/*
 * target_keys.c: the target's unique keys that compare text other than byte
 * for byte (target_keys.h). A MySQL or MariaDB unique key on a column with a
 * `_ci` collation sees cnn.com and CNN.com as one value (and most ignore
 * accents and trailing spaces): the load would refuse all but one row of
 * each such group. Where the scratch copy that finds what the target refuses
 * cannot be made (a target that is not SQLite), the audit finds these
 * collisions by itself, without a declared duplicates rule: each tenant's
 * key values are collected as its rows stream by, and at the end grouped by
 * the collation keys the target's server computes for them
 * (co_store_collation_keys), so the groups are exactly the index's.
 */
#include "audit/target_keys.h"
#include "audit/scan.h"
#include "util/buf.h"
#include "util/grow.h"
#include "util/key.h"
#include "util/map.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEY_COLS 16
#define MAX_SHOWN 20      /* clusters shown per key, as for duplicates rules */
#define EXAMPLES_BYTES 200

typedef struct tk_rule {
    size_t entity;
    char *name;                      /* "target key NAME" */
    char *cols[MAX_KEY_COLS];
    size_t ncols;
    size_t idx[MAX_KEY_COLS];        /* the columns' places in the entity's rows */
    bool bound, usable;
    /* this tenant's rows whose key columns are all non-NULL */
    co_buf bytes;                    /* values (text as it is, others encoded) and example keys */
    size_t *at;                      /* per row: (ncols + 1) offsets into bytes */
    uint32_t *len;                   /* the same, lengths */
    bool *text;                      /* per row and column: a text value */
    size_t nrows, cap;
} tk_rule;

struct audit_keys {
    const co_project *p;
    co_store *dest;
    tk_rule *rules;
    size_t nrules;
    co_buf key; /* scratch */
};

void audit_keys_free(audit_keys *ak)
{
    if (!ak)
        return;
    for (size_t i = 0; i < ak->nrules; i++) {
        tk_rule *r = &ak->rules[i];
        free(r->name);
        for (size_t c = 0; c < r->ncols; c++)
            free(r->cols[c]);
        Co_buf_release(&r->bytes);
        free(r->at);
        free(r->len);
        free(r->text);
    }
    free(ak->rules);
    Co_buf_release(&ak->key);
    free(ak);
}

/* Adds a rule for unique key k of entity e's target when one of its columns
 * compares text other than byte for byte. */
static co_code add_key(audit_keys *ak, size_t e, const co_constraint *k, co_error *err)
{
    const co_entity *en = &ak->p->entities[e];
    if (k->ncolumns == 0 || k->ncolumns > MAX_KEY_COLS)
        return CO_OK;
    bool any = false;
    for (size_t c = 0; c < k->ncolumns && !any; c++) {
        co_buf none = CO_BUF_INIT;
        co_code rc = co_store_collation_keys(ak->dest, en->target, k->columns[c], NULL, 0, &none,
                                             &any, err);
        Co_buf_release(&none);
        if (rc != CO_OK)
            return rc;
    }
    if (!any)
        return CO_OK;
    if (!CO_RESIZE(ak->rules, ak->nrules + 1))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    tk_rule *r = &ak->rules[ak->nrules++];
    memset(r, 0, sizeof *r);
    r->entity = e;
    co_buf name = CO_BUF_INIT;
    Co_buf_printf(&name, "target key %s", k->name ? k->name : "(unnamed)");
    r->name = Co_buf_take(&name);
    for (size_t c = 0; c < k->ncolumns; c++)
        if ((r->cols[r->ncols++] = strdup(k->columns[c])) == NULL)
            return co_error_set(err, CO_ENOMEM, "out of memory");
    Co_buf_init(&r->bytes);
    return r->name ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

co_code audit_keys_open(const co_project *p, co_store *dest, audit_keys **out, co_error *err)
{
    *out = NULL;
    audit_keys *ak = calloc(1, sizeof *ak);
    if (!ak)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    ak->p = p;
    ak->dest = dest;
    Co_buf_init(&ak->key);
    co_code rc = CO_OK;
    for (size_t e = 0; rc == CO_OK && e < p->nentities; e++) {
        co_constraint *ks = NULL;
        size_t n = 0;
        bool exists = false;
        rc = co_store_table_exists(dest, p->entities[e].target, &exists, err);
        if (rc == CO_OK && exists)
            rc = co_store_constraints(dest, p->entities[e].target, &ks, &n, err);
        for (size_t i = 0; rc == CO_OK && i < n; i++)
            if (ks[i].kind == CO_CONSTRAINT_UNIQUE)
                rc = add_key(ak, e, &ks[i], err);
        co_constraints_free(ks, n);
    }
    if (rc != CO_OK) {
        audit_keys_free(ak);
        return rc;
    }
    *out = ak;
    return CO_OK;
}

/* Finds the rule's columns among the entity's output columns; a key with a
 * column the entity does not give (one the target assigns) is left out. */
static void bind(tk_rule *r, const char *const *names, size_t ncols)
{
    r->bound = true;
    r->usable = true;
    for (size_t c = 0; c < r->ncols && r->usable; c++) {
        r->usable = false;
        for (size_t i = 0; i < ncols && !r->usable; i++)
            if (strcmp(names[i], r->cols[c]) == 0) {
                r->idx[c] = i;
                r->usable = true;
            }
    }
}

/* Keeps one row of the rule: its key values, and the example key ex. */
static co_code keep_row(tk_rule *r, const co_value *row, const co_buf *ex, co_error *err)
{
    size_t per = r->ncols + 1;
    if (r->nrows == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        size_t *at = realloc(r->at, cap * per * sizeof *at);
        if (at)
            r->at = at;
        uint32_t *len = realloc(r->len, cap * per * sizeof *len);
        if (len)
            r->len = len;
        bool *text = realloc(r->text, cap * per * sizeof *text);
        if (text)
            r->text = text;
        if (!at || !len || !text)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        r->cap = cap;
    }
    size_t base = r->nrows * per;
    for (size_t c = 0; c < r->ncols; c++) {
        const co_value *v = &row[r->idx[c]];
        size_t start = r->bytes.len;
        r->text[base + c] = v->type == CO_TEXT;
        if (v->type == CO_TEXT)
            Co_buf_add(&r->bytes, v->s, v->len);
        else
            Co_key_encode_exact(&r->bytes, v, 1);
        r->at[base + c] = start;
        r->len[base + c] = (uint32_t)(r->bytes.len - start);
    }
    r->at[base + r->ncols] = r->bytes.len;
    r->len[base + r->ncols] = (uint32_t)ex->len;
    Co_buf_add(&r->bytes, ex->data, ex->len);
    r->nrows++;
    return r->bytes.failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}

co_code audit_keys_row(void *ctx, size_t e, const char *const *names, const co_value *row,
                       size_t ncols, co_error *err)
{
    audit_keys *ak = ctx;
    bool keyed = false;
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < ak->nrules; i++) {
        tk_rule *r = &ak->rules[i];
        if (r->entity != e)
            continue;
        if (!r->bound)
            bind(r, names, ncols);
        if (!r->usable)
            continue;
        bool null = false;
        for (size_t c = 0; c < r->ncols && !null; c++)
            null = row[r->idx[c]].type == CO_NULL; /* NULLs never collide in a unique key */
        if (null)
            continue;
        if (!keyed) { /* the row's key in the entity, as examples show it */
            const co_entity *en = &ak->p->entities[e];
            co_value kv[MAX_KEY_COLS];
            size_t nk = 0;
            for (size_t k = 0; k < en->nkey && nk < MAX_KEY_COLS; k++)
                for (size_t j = 0; j < ncols; j++)
                    if (strcmp(names[j], en->key[k]) == 0) {
                        kv[nk++] = row[j];
                        break;
                    }
            Co_buf_reset(&ak->key);
            Co_key_encode(&ak->key, kv, nk);
            keyed = true;
        }
        rc = keep_row(r, row, &ak->key, err);
    }
    return rc;
}

typedef struct tk_cluster {
    int64_t members;
    size_t first; /* the row shown as the cluster's key */
    char examples[EXAMPLES_BYTES];
} tk_cluster;

/* The rule's clusters for this tenant into a; the rule is then emptied. */
static co_code finish_rule(audit_keys *ak, tk_rule *r, co_tenant_audit *a, co_error *err)
{
    size_t per = r->ncols + 1, n = r->nrows;
    const char *entity = ak->p->entities[r->entity].name;
    co_buf folded[MAX_KEY_COLS];
    bool folds[MAX_KEY_COLS] = {false};
    size_t *kat[MAX_KEY_COLS] = {NULL};
    co_value *vals = calloc(n ? n : 1, sizeof *vals);
    co_code rc = vals ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t c = 0; c < r->ncols; c++)
        Co_buf_init(&folded[c]);
    /* Each column's collation keys, from the target's server. */
    for (size_t c = 0; rc == CO_OK && c < r->ncols && n > 0; c++) {
        for (size_t i = 0; i < n; i++)
            vals[i] = r->text[i * per + c]
                          ? co_text(r->bytes.data + r->at[i * per + c], r->len[i * per + c])
                          : co_null();
        rc = co_store_collation_keys(ak->dest, ak->p->entities[r->entity].target, r->cols[c],
                                     vals, n, &folded[c], &folds[c], err);
        if (rc == CO_OK && folds[c]) {
            if (!(kat[c] = malloc(n * sizeof *kat[c])))
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            size_t off = 0;
            for (size_t i = 0; rc == CO_OK && i < n; i++) {
                uint32_t len;
                memcpy(&len, folded[c].data + off, sizeof len);
                kat[c][i] = off;
                off += sizeof len + len;
            }
        }
    }
    /* Rows grouped by their whole key: collation keys where the column folds,
     * the values themselves elsewhere. */
    co_map clusters;
    Co_map_init(&clusters);
    co_buf ck = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        Co_buf_reset(&ck);
        for (size_t c = 0; c < r->ncols; c++) {
            const char *d;
            uint32_t len;
            if (folds[c] && r->text[i * per + c]) {
                memcpy(&len, folded[c].data + kat[c][i], sizeof len);
                d = folded[c].data + kat[c][i] + sizeof len;
                Co_buf_addc(&ck, 'w');
            } else {
                len = r->len[i * per + c];
                d = r->bytes.data + r->at[i * per + c];
                Co_buf_addc(&ck, r->text[i * per + c] ? 't' : 'v');
            }
            Co_buf_add(&ck, &len, sizeof len);
            Co_buf_add(&ck, d, len);
        }
        tk_cluster cs = {0, i, "["};
        const char *old;
        size_t olen;
        if (Co_map_get(&clusters, ck.data, ck.len, &old, &olen) && olen == sizeof cs)
            memcpy(&cs, old, sizeof cs);
        cs.members++;
        size_t used = strlen(cs.examples), elen = r->len[i * per + r->ncols];
        if (cs.members <= 5 && used + elen + 2 < sizeof cs.examples)
            snprintf(cs.examples + used, sizeof cs.examples - used, "%s%.*s",
                     cs.members > 1 ? "," : "", (int)elen, r->bytes.data + r->at[i * per + r->ncols]);
        if (ck.failed || !Co_map_put(&clusters, ck.data, ck.len, &cs, sizeof cs))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_duplicate_rule_count *count = NULL;
    if (rc == CO_OK && !(count = audit_add_rule_count(a, entity, r->name, err)))
        rc = CO_ENOMEM;
    size_t pos = 0, shown = 0;
    const char *k, *v;
    size_t klen, vlen;
    co_buf key = CO_BUF_INIT; /* the first row's values, as the data has them */
    while (rc == CO_OK && Co_map_next(&clusters, &pos, &k, &klen, &v, &vlen)) {
        tk_cluster cs;
        memcpy(&cs, v, sizeof cs);
        if (cs.members < 2)
            continue;
        count->clusters++;
        a->duplicate_clusters++;
        if (shown++ >= MAX_SHOWN)
            continue;
        Co_buf_reset(&key);
        for (size_t c = 0; c < r->ncols; c++) {
            if (c)
                Co_buf_addc(&key, '\x1f');
            Co_buf_add(&key, r->bytes.data + r->at[cs.first * per + c], r->len[cs.first * per + c]);
        }
        size_t used = strlen(cs.examples);
        snprintf(cs.examples + used, sizeof cs.examples - used, "]");
        rc = key.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : audit_add_cluster(a, entity, r->name, key.data, key.len, cs.members,
                                            cs.examples, err);
    }
    Co_buf_release(&key);
    Co_map_release(&clusters);
    Co_buf_release(&ck);
    for (size_t c = 0; c < r->ncols; c++) {
        Co_buf_release(&folded[c]);
        free(kat[c]);
    }
    free(vals);
    Co_buf_reset(&r->bytes);
    r->nrows = 0;
    return rc;
}

co_code audit_keys_finish(audit_keys *ak, co_tenant_audit *a, co_error *err)
{
    co_code rc = CO_OK;
    for (size_t i = 0; i < ak->nrules; i++) {
        tk_rule *r = &ak->rules[i];
        if (rc == CO_OK && r->usable)
            rc = finish_rule(ak, r, a, err);
        Co_buf_reset(&r->bytes);
        r->nrows = 0;
    }
    return rc;
}
