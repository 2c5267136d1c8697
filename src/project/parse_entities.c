/*
 * parse_entities.c: the `entities` section of the project file: the table of
 * an entity's keys and the readers of the values that have a shape of their
 * own (refs, volume, verify.round, duplicates, follows, reverse). merge is
 * in parse_merge.c. docs/project-file.md, "Entity keys", is the reference.
 */
#include "project/fields.h"
#include "util/buf.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- query ---- */

/* The column where the text of a block scalar starts: the block's indentation
 * in the file minus the spaces the text itself keeps (with an explicit
 * indentation indicator, as in "|2"), plus one. */
static int block_column(const pwalk *w, size_t pos, struct fy_node *val)
{
    size_t indent = 0, i = pos;
    for (;;) {
        size_t sp = 0;
        while (i + sp < w->len && w->text[i + sp] == ' ')
            sp++;
        if (i + sp >= w->len)
            return 1;
        char c = w->text[i + sp];
        if (c != '\n' && c != '\r') {
            indent = sp;
            break;
        }
        i += sp + 1;
    }
    size_t len = 0;
    const char *s = fy_node_get_scalar(val, &len);
    size_t kept = 0, j = 0;
    while (s && j < len) {
        size_t sp = 0;
        while (j + sp < len && s[j + sp] == ' ')
            sp++;
        if (j + sp < len && s[j + sp] != '\n') {
            kept = sp;
            break;
        }
        j += sp + 1;
    }
    return kept <= indent ? (int)(indent - kept) + 1 : 1;
}

/* Where the text of a query scalar starts in the file: its first character.
 * For a literal block (|) line i of the text is line query_mark.line + i. */
static co_mark text_mark(const pwalk *w, struct fy_node *val)
{
    struct fy_token *t = fy_node_get_scalar_token(val);
    const struct fy_mark *fm = t ? fy_token_start_mark(t) : NULL;
    co_mark m = co_project_mark_of(fm);
    if (!fm)
        return m;
    /* A quoted scalar's token already starts inside the quotes. */
    switch (fy_node_get_style(val)) {
    case FYNS_LITERAL:
    case FYNS_FOLDED: {
        /* The token starts after the indicator's line; skip to the next line
         * should a libfyaml put it on the indicator itself. */
        size_t pos = fm->input_pos;
        if (fm->column > 0) {
            while (pos < w->len && w->text[pos] != '\n')
                pos++;
            pos++;
            m.line++;
        }
        m.column = block_column(w, pos, val);
        break;
    }
    default:
        break;
    }
    return m;
}

static co_code check_entity_query(pwalk *w, const pfield *f, struct fy_node *key,
                                  struct fy_node *val, void *obj)
{
    co_code code = co_project_check_query(w, f, key, val, obj);
    if (code == CO_OK)
        ((co_entity *)obj)->query_mark = text_mark(w, val);
    return code;
}

/* ---- refs: a mapping of output column -> entity name; validate.c checks the
 * entities once they are all known ---- */

static co_code set_refs(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                        void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = co_project_at(key, val);
    if (!co_project_is(val, FYNT_MAPPING))
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"refs\" must be a mapping of column: entity, not %s",
                               co_project_describe(val));
    int count = fy_node_mapping_item_count(val);
    if (count <= 0)
        return CO_OK;
    e->refs = calloc((size_t)count, sizeof *e->refs);
    if (!e->refs)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node_pair *pair;
    while (e->nrefs < (size_t)count && (pair = fy_node_mapping_iterate(val, &it))) {
        struct fy_node *col = fy_node_pair_key(pair), *to = fy_node_pair_value(pair);
        co_ref *ref = &e->refs[e->nrefs++];
        ref->mark = co_project_mark_or(col, at);
        co_code code = co_project_scalar(w, col, at, "each key of \"refs\"", "a column name",
                                         &ref->column);
        if (code != CO_OK)
            return code;
        char subject[128], buf[80];
        snprintf(subject, sizeof subject, "\"refs\" of column \"%s\"",
                 co_project_shown(ref->column, strlen(ref->column), buf, sizeof buf));
        code = co_project_scalar(w, to, ref->mark, subject, "the name of an earlier entity",
                                 &ref->entity);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static void release_refs(const pfield *f, void *obj)
{
    (void)f;
    co_entity *e = obj;
    for (size_t i = 0; i < e->nrefs; i++) {
        free(e->refs[i].column);
        free(e->refs[i].entity);
    }
    free(e->refs);
}

/* ---- volume ---- */

/* tolerance: a number of rows ("5") or a share of the larger count ("0.5%"). */
static co_code set_volume_tolerance(pwalk *w, const pfield *f, struct fy_node *key,
                                    struct fy_node *val, void *obj)
{
    co_volume *v = obj;
    char *text = NULL;
    co_code code = co_project_scalar(w, val, co_project_node_mark(key), "\"tolerance\"",
                                     "a number of rows or a percentage", &text);
    if (code != CO_OK)
        return code;
    size_t len = strlen(text);
    bool relative = len > 1 && text[len - 1] == '%';
    if (relative)
        text[len - 1] = '\0';
    char *end;
    double d = strtod(text, &end);
    bool ok = end != text && *end == '\0' && d >= 0 && d < 1e12 && (!relative || d <= 100);
    char buf[80];
    if (!ok) {
        if (relative)
            text[len - 1] = '%';
        code = co_project_fail(w->err, CO_EPROJECT, w->name, co_project_at(key, val),
                               "\"%s\" must be a number of rows (5) or a percentage (0.5%%), not "
                               "\"%s\"",
                               f->key, co_project_shown(text, len, buf, sizeof buf));
    } else {
        v->tolerance = relative ? d / 100.0 : d;
        v->relative = relative;
    }
    free(text);
    return code;
}

static const pfield volume_fields[] = {
    P_COLUMNS("by", true, co_volume, by, nby),
    P_TEXT("time", true, co_volume, time),
    P_INT("months", co_volume, months, 1, 120, 9),
    P_CUSTOM("tolerance", false, set_volume_tolerance, NULL),
};

static const psection volume_section = {
    P_SECTION(volume_fields),
    .context = "in volume",
    .shape = " (by, time, months, tolerance)",
    .size = sizeof(co_volume),
    .mark = offsetof(co_volume, mark),
};

/* ---- verify: { round: { column: digits } } ---- */

static co_code set_verify_round(pwalk *w, const pfield *f, struct fy_node *key,
                                struct fy_node *val, void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = co_project_at(key, val);
    if (!co_project_is(val, FYNT_MAPPING))
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"round\" must be a mapping of column: decimals, not %s",
                               co_project_describe(val));
    int count = fy_node_mapping_item_count(val);
    if (count <= 0)
        return CO_OK;
    co_rounding *r = realloc(e->rounding, (e->nrounding + (size_t)count) * sizeof *r);
    if (!r)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    e->rounding = r;
    void *it = NULL;
    struct fy_node_pair *pair;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++) {
        co_rounding *one = &e->rounding[e->nrounding];
        one->column = NULL;
        co_code code = co_project_scalar(w, fy_node_pair_key(pair), at, "each key of \"round\"",
                                         "a column name", &one->column);
        if (code != CO_OK)
            return code;
        e->nrounding++;
        long digits;
        code = co_project_whole(w, "round", fy_node_pair_key(pair), fy_node_pair_value(pair), 0,
                                15, false, &digits);
        if (code != CO_OK)
            return code;
        one->digits = (int)digits;
    }
    return CO_OK;
}

static void release_rounding(const pfield *f, void *obj)
{
    (void)f;
    co_entity *e = obj;
    for (size_t i = 0; i < e->nrounding; i++)
        free(e->rounding[i].column);
    free(e->rounding);
}

static const pfield verify_fields[] = {
    P_CUSTOM("round", false, set_verify_round, release_rounding),
};

static const psection verify_section = {
    P_SECTION(verify_fields),
    .context = "in verify",
    .shape = " (round)",
};

/* ---- duplicates ---- */

/* The columns of one duplicates rule: { column: casefold | email | domain | name, ... }. */
static co_code set_dup_columns(pwalk *w, struct fy_node *val, co_mark at, co_dup_rule *r)
{
    static const char *const norms[] = {
        [CO_NORM_CASEFOLD] = "casefold", [CO_NORM_EMAIL] = "email",
        [CO_NORM_DOMAIN] = "domain",     [CO_NORM_NAME] = "name"};
    if (!co_project_is(val, FYNT_MAPPING))
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "a duplicates rule must be a mapping of column: casefold, email, "
                               "domain or name, not %s",
                               co_project_describe(val));
    int count = fy_node_mapping_item_count(val);
    if (count <= 0)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "a duplicates rule needs at least one column");
    co_dup_column *d = realloc(r->columns, (r->ncolumns + (size_t)count) * sizeof *d);
    if (!d)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    r->columns = d;
    void *it = NULL;
    struct fy_node_pair *pair;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++) {
        co_dup_column *one = &r->columns[r->ncolumns];
        one->column = NULL;
        co_code code = co_project_scalar(w, fy_node_pair_key(pair), at,
                                         "each column of a duplicates rule", "a column name",
                                         &one->column);
        if (code != CO_OK)
            return code;
        r->ncolumns++;
        char *norm = NULL;
        code = co_project_scalar(w, fy_node_pair_value(pair),
                                 co_project_mark_or(fy_node_pair_key(pair), at), "a normalizer",
                                 "casefold, email, domain or name", &norm);
        if (code != CO_OK)
            return code;
        size_t k = 0;
        while (k < PF_COUNT(norms) && strcmp(norm, norms[k]) != 0)
            k++;
        char buf[80];
        if (k < PF_COUNT(norms))
            one->norm = (co_normalizer)k;
        else
            code = co_project_fail(w->err, CO_EPROJECT, w->name,
                                   co_project_mark_or(fy_node_pair_value(pair), at),
                                   "unknown normalizer \"%s\" (expected casefold, email, domain or name)",
                                   co_project_shown(norm, strlen(norm), buf, sizeof buf));
        free(norm);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static co_code set_dup_on(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                          void *obj)
{
    (void)f;
    return set_dup_columns(w, val, co_project_at(key, val), obj);
}

static void release_dup_rule(co_dup_rule *r)
{
    free(r->name);
    for (size_t k = 0; k < r->ncolumns; k++)
        free(r->columns[k].column);
    free(r->columns);
    free(r->query);
}

static const pfield dup_rule_fields[] = {
    P_CUSTOM("on", true, set_dup_on, NULL), /* released with the rule */
    P_CHECKED("query", false, co_dup_rule, query, "a SQL query", co_project_check_query),
};

static const psection dup_rule_section = {
    P_SECTION(dup_rule_fields),
    .context = "in a duplicates rule",
};

/* A new rule at the end of e->duplicates, or NULL when out of memory. */
static co_dup_rule *dup_rule_add(co_entity *e)
{
    co_dup_rule *grown = realloc(e->duplicates, (e->nduplicates + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    e->duplicates = grown;
    co_dup_rule *r = &e->duplicates[e->nduplicates++];
    memset(r, 0, sizeof *r);
    return r;
}

/* The single form, { column: normalizer, ... }: one rule named after its columns. */
static co_code dup_single(pwalk *w, struct fy_node *val, co_mark at, co_entity *e)
{
    co_dup_rule *r = dup_rule_add(e);
    if (!r)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    r->mark = at;
    co_code code = set_dup_columns(w, val, at, r);
    co_buf name = CO_BUF_INIT;
    for (size_t c = 0; code == CO_OK && c < r->ncolumns; c++) {
        co_buf_adds(&name, c ? "+" : "");
        co_buf_adds(&name, r->columns[c].column);
    }
    if (code == CO_OK && (name.failed || !(r->name = co_buf_detach(&name))))
        code = co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    co_buf_release(&name);
    return code;
}

/* duplicates: either one rule, { column: normalizer, ... } (named after its
 * columns), or named rules, { name: { on: { column: normalizer, ... },
 * query: SQL }, ... }. */
static co_code set_duplicates(pwalk *w, const pfield *f, struct fy_node *key,
                              struct fy_node *val, void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = co_project_at(key, val);
    if (!co_project_is(val, FYNT_MAPPING))
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"duplicates\" must be a mapping of column: casefold, email, "
                               "domain or name, or of rule names to rules, not %s",
                               co_project_describe(val));
    int count = fy_node_mapping_item_count(val), scalars = 0;
    void *it = NULL;
    struct fy_node_pair *pair;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++)
        scalars += co_project_is(fy_node_pair_value(pair), FYNT_SCALAR);
    if (count <= 0)
        return CO_OK;
    if (scalars == count)
        return dup_single(w, val, at, e);
    if (scalars)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"duplicates\" mixes the two forms: either column: normalizer, "
                               "or rule names with { on: { column: normalizer }, query: SQL }");
    it = NULL;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++) {
        struct fy_node *name_node = fy_node_pair_key(pair), *rule = fy_node_pair_value(pair);
        co_mark rule_at = co_project_mark_or(rule, co_project_mark_or(name_node, at));
        co_dup_rule *r = dup_rule_add(e);
        if (!r)
            return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
        r->mark = rule_at;
        co_code code = co_project_scalar(w, name_node, at, "each rule name of \"duplicates\"",
                                         "a name", &r->name);
        for (size_t k = 0; code == CO_OK && k + 1 < e->nduplicates; k++)
            if (strcmp(e->duplicates[k].name, r->name) == 0)
                code = co_project_fail(w->err, CO_EPROJECT, w->name, rule_at,
                                       "duplicates rule \"%s\" is named twice", r->name);
        if (code == CO_OK && fy_node_get_type(rule) != FYNT_MAPPING)
            code = co_project_fail(w->err, CO_EPROJECT, w->name, rule_at,
                                   "duplicates rule \"%s\" must be a mapping with \"on\", not %s",
                                   r->name, co_project_describe(rule));
        if (code == CO_OK)
            code = co_project_walk_fields(w, rule, rule_at, &dup_rule_section, r);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static void release_duplicates(const pfield *f, void *obj)
{
    (void)f;
    co_entity *e = obj;
    for (size_t i = 0; i < e->nduplicates; i++)
        release_dup_rule(&e->duplicates[i]);
    free(e->duplicates);
}

/* ---- follows: { table: { entity_column: table_key_column, ... } | {} , ... } ---- */

static co_code set_follows(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = co_project_at(key, val);
    if (!co_project_is(val, FYNT_MAPPING))
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"follows\" must be a mapping of captured table: { column: "
                               "key column }, not %s",
                               co_project_describe(val));
    int count = fy_node_mapping_item_count(val);
    if (count <= 0)
        return CO_OK;
    co_follow *grown = realloc(e->follows, (e->nfollows + (size_t)count) * sizeof *grown);
    if (!grown)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    e->follows = grown;
    void *it = NULL;
    struct fy_node_pair *pair;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++) {
        co_follow *fo = &e->follows[e->nfollows];
        memset(fo, 0, sizeof *fo);
        co_code code = co_project_scalar(w, fy_node_pair_key(pair), at, "each key of \"follows\"",
                                         "a captured table", &fo->table);
        if (code != CO_OK)
            return code;
        e->nfollows++;
        struct fy_node *m = fy_node_pair_value(pair);
        co_mark mat = co_project_mark_or(m, co_project_mark_or(fy_node_pair_key(pair), at));
        if (co_project_is_null(m))
            continue; /* any change: all the tenant's rows */
        if (fy_node_get_type(m) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, mat,
                                   "\"follows\" of %s must be a mapping of column: key column "
                                   "({} for all rows), not %s",
                                   fo->table, co_project_describe(m));
        int n = fy_node_mapping_item_count(m);
        fo->columns = calloc(n > 0 ? (size_t)n : 1, sizeof *fo->columns);
        fo->keys = calloc(n > 0 ? (size_t)n : 1, sizeof *fo->keys);
        if (!fo->columns || !fo->keys)
            return co_project_fail(w->err, CO_ENOMEM, w->name, mat, "out of memory");
        void *it2 = NULL;
        struct fy_node_pair *cp;
        while (fo->n < (size_t)n && (cp = fy_node_mapping_iterate(m, &it2))) {
            code = co_project_scalar(w, fy_node_pair_key(cp), mat, "a column of \"follows\"",
                                     "a column name", &fo->columns[fo->n]);
            if (code == CO_OK)
                code = co_project_scalar(w, fy_node_pair_value(cp), mat, "a key of \"follows\"",
                                         "a key column of the captured table", &fo->keys[fo->n]);
            fo->n++;
            if (code != CO_OK)
                return code;
        }
    }
    return CO_OK;
}

static void release_follows(const pfield *f, void *obj)
{
    (void)f;
    co_entity *e = obj;
    for (size_t i = 0; i < e->nfollows; i++) {
        free(e->follows[i].table);
        co_project_free_list(e->follows[i].columns, e->follows[i].n);
        co_project_free_list(e->follows[i].keys, e->follows[i].n);
    }
    free(e->follows);
}

/* ---- reverse ---- */

static const pfield reverse_fields[] = {
    P_TEXT("table", true, co_reverse, table),
    P_PAIRS("key", true, co_reverse, key_source, key_entity, nkey),
    P_PAIRS("columns", false, co_reverse, col_source, col_entity, ncols),
};

static const psection reverse_section = {
    P_SECTION(reverse_fields),
    .context = "in reverse",
    .shape = " (table, key, columns)",
    .size = sizeof(co_reverse),
};

/* ---- the entity ---- */

static co_code entity_finish(pwalk *w, void *obj, co_mark at)
{
    co_entity *e = obj;
    if (!e->target && !(e->target = strdup(e->name)))
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    return CO_OK;
}

static const pfield entity_fields[] = {
    P_CHECKED("name", true, co_entity, name, "an entity name", co_project_check_name),
    P_TEXT("target", false, co_entity, target),
    P_COLUMNS("key", true, co_entity, key, nkey),
    P_TEXT("target_key", false, co_entity, target_key),
    P_TEXT("tenant_column", false, co_entity, tenant_column),
    P_CHECKED("query", true, co_entity, query, "a SQL query", check_entity_query),
    P_CUSTOM("refs", false, set_refs, release_refs),
    P_PTR("volume", co_entity, volume, volume_section),
    P_SAME("verify", verify_section),
    P_CUSTOM("duplicates", false, set_duplicates, release_duplicates),
    P_CUSTOM("follows", false, set_follows, release_follows),
    P_PTR("reverse", co_entity, reverse, reverse_section),
    P_PTR("merge", co_entity, merge, co_project_merge),
    P_TEXT("source_table", false, co_entity, source_table),
    P_TEXT("source_tenant_column", false, co_entity, source_tenant_column),
};

const psection co_project_entities = {
    P_SECTION(entity_fields),
    .context = "in entity",
    .size = sizeof(co_entity),
    .named = true,
    .owner = offsetof(co_entity, name),
    .mark = offsetof(co_entity, mark),
    .seq_shape = "entities",
    .item_shape = "(an entity with name, key and query)",
    .min = 1,
    .too_few = "one entity",
    .finish = entity_finish,
};
