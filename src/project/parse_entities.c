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
    co_mark m = Co_project_mark_of(fm);
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
    co_code code = Co_project_check_query(w, f, key, val, obj);
    if (code == CO_OK)
        ((co_entity *)obj)->query_mark = text_mark(w, val);
    return code;
}

/* ---- refs: a mapping of output column -> entity name; validate.c checks the
 * entities once they are all known ---- */

static co_code read_ref(pwalk *w, struct fy_node *col, struct fy_node *to, co_mark at,
                        void *item, void *ctx)
{
    (void)ctx;
    co_ref *ref = item;
    ref->mark = Co_project_mark_or(col, at);
    co_code code = Co_project_scalar(w, col, at, "each key of \"refs\"", "a column name",
                                     &ref->column);
    if (code != CO_OK)
        return code;
    char subject[128];
    Co_project_about(subject, sizeof subject, "\"refs\" of column", ref->column);
    return Co_project_scalar(w, to, ref->mark, subject, "the name of an earlier entity",
                             &ref->entity);
}

static const pfield ref_owns[] = {P_OWN(co_ref, column), P_OWN(co_ref, entity)};

static const psection refs_section = {
    P_SECTION(ref_owns),
    P_READ(co_ref, read_ref, "\"refs\" must be a mapping of column: entity"),
};

/* ---- volume ---- */

/* tolerance: a number of rows ("5") or a share of the larger count ("0.5%"). */
static co_code set_volume_tolerance(pwalk *w, const pfield *f, struct fy_node *key,
                                    struct fy_node *val, void *obj)
{
    co_volume *v = obj;
    char *text = NULL;
    co_code code = Co_project_scalar(w, val, Co_project_node_mark(key), "\"tolerance\"",
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
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                               "\"%s\" must be a number of rows (5) or a percentage (0.5%%), not "
                               "\"%s\"",
                               f->key, Co_project_shown(text, len, buf, sizeof buf));
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
    P_SECTION(volume_fields), P_ITEM(co_volume),
    .context = "in volume", .shape = " (by, time, months, tolerance)",
};

/* ---- verify: { round: { column: digits } } ---- */

static co_code read_rounding(pwalk *w, struct fy_node *k, struct fy_node *v, co_mark at,
                             void *item, void *ctx)
{
    (void)ctx;
    co_rounding *one = item;
    long digits;
    co_code code = Co_project_scalar(w, k, at, "each key of \"round\"", "a column name",
                                     &one->column);
    if (code == CO_OK)
        code = Co_project_whole(w, "round", k, v, 0, 15, false, &digits);
    if (code == CO_OK)
        one->digits = (int)digits;
    return code;
}

static const pfield rounding_owns[] = {P_OWN(co_rounding, column)};

static const psection rounding_section = {
    P_SECTION(rounding_owns),
    P_READ(co_rounding, read_rounding, "\"round\" must be a mapping of column: decimals"),
};

static const pfield verify_fields[] = {
    P_ITEMS("round", co_entity, rounding, nrounding, rounding_section),
};

static const psection verify_section = {
    P_SECTION(verify_fields), .context = "in verify", .shape = " (round)",
};

/* ---- duplicates ---- */

/* The columns of one duplicates rule: { column: casefold | email | domain | name, ... }. */
static co_code read_dup_column(pwalk *w, struct fy_node *k, struct fy_node *v, co_mark at,
                               void *item, void *ctx)
{
    (void)ctx;
    static const char *const norms[] = {
        [CO_NORM_CASEFOLD] = "casefold", [CO_NORM_EMAIL] = "email",
        [CO_NORM_DOMAIN] = "domain",     [CO_NORM_NAME] = "name"};
    co_dup_column *one = item;
    char *norm = NULL;
    co_code code = Co_project_scalar(w, k, at, "each column of a duplicates rule",
                                     "a column name", &one->column);
    if (code == CO_OK)
        code = Co_project_scalar(w, v, Co_project_mark_or(k, at), "a normalizer",
                                 "casefold, email, domain or name", &norm);
    if (code != CO_OK)
        return code;
    size_t n = 0;
    while (n < PF_COUNT(norms) && strcmp(norm, norms[n]) != 0)
        n++;
    char buf[80];
    if (n < PF_COUNT(norms))
        one->norm = (co_normalizer)n;
    else
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_mark_or(v, at),
                               "unknown normalizer \"%s\" (expected casefold, email, domain or "
                               "name)",
                               Co_project_shown(norm, strlen(norm), buf, sizeof buf));
    free(norm);
    return code;
}

/* The columns of one duplicates rule: { column: casefold | email | domain | name, ... }. */
static const pfield dup_column_owns[] = {P_OWN(co_dup_column, column)};

static const psection dup_columns_section = {
    P_SECTION(dup_column_owns),
    P_READ(co_dup_column, read_dup_column,
           "a duplicates rule must be a mapping of column: casefold, email, domain or name"),
    .too_few = "a duplicates rule needs at least one column",
};

static const pfield dup_rule_fields[] = {
    {.key = "on", .type = PF_ITEMS, .required = true, .offset = offsetof(co_dup_rule, columns),
     .count = offsetof(co_dup_rule, ncolumns), .sub = &dup_columns_section},
    P_CHECKED("query", false, co_dup_rule, query, "a SQL query", Co_project_check_query),
};

static const psection dup_rule_section = {
    P_SECTION(dup_rule_fields), .context = "in a duplicates rule",
};

/* The single form, { column: normalizer, ... }: one rule named after its columns. */
static co_code dup_single(pwalk *w, struct fy_node *val, co_mark at, co_entity *e)
{
    co_dup_rule *r = e->duplicates = calloc(1, sizeof *r); /* "duplicates" is read once */
    if (!r)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    e->nduplicates = 1;
    r->mark = at;
    co_code code =
        Co_project_pairs(w, val, at, &dup_columns_section, &r->columns, &r->ncolumns, NULL);
    co_buf name = CO_BUF_INIT;
    for (size_t c = 0; code == CO_OK && c < r->ncolumns; c++) {
        Co_buf_adds(&name, c ? "+" : "");
        Co_buf_adds(&name, r->columns[c].column);
    }
    if (code == CO_OK && (name.failed || !(r->name = co_buf_detach(&name))))
        code = Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    Co_buf_release(&name);
    return code;
}

/* One named rule: { on: { column: normalizer, ... }, query: SQL }. */
static co_code read_dup_rule(pwalk *w, struct fy_node *name_node, struct fy_node *rule,
                             co_mark at, void *item, void *ctx)
{
    const co_entity *e = ctx;
    co_dup_rule *r = item;
    co_mark rule_at = Co_project_mark_or(rule, Co_project_mark_or(name_node, at));
    r->mark = rule_at;
    co_code code = Co_project_scalar(w, name_node, at, "each rule name of \"duplicates\"",
                                     "a name", &r->name);
    for (size_t k = 0; code == CO_OK && k + 1 < e->nduplicates; k++)
        if (strcmp(e->duplicates[k].name, r->name) == 0)
            code = Co_project_fail(w->err, CO_EPROJECT, w->name, rule_at,
                                   "duplicates rule \"%s\" is named twice", r->name);
    if (code == CO_OK && fy_node_get_type(rule) != FYNT_MAPPING)
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, rule_at,
                               "duplicates rule \"%s\" must be a mapping with \"on\", not %s",
                               r->name, Co_project_describe(rule));
    if (code == CO_OK)
        code = Co_project_walk_fields(w, rule, rule_at, &dup_rule_section, r);
    return code;
}

static const pfield dup_rule_owns[] = {P_OWN(co_dup_rule, name), P_ALSO(dup_rule_section)};

static const psection dup_rules_section = {
    P_SECTION(dup_rule_owns),
    P_READ(co_dup_rule, read_dup_rule,
           "\"duplicates\" must be a mapping of column: casefold, email, domain or name, or "
           "of rule names to rules"),
};

/* duplicates: either one rule, { column: normalizer, ... } (named after its
 * columns), or named rules, { name: { on: { column: normalizer, ... },
 * query: SQL }, ... }. */
static co_code set_duplicates(pwalk *w, const pfield *f, struct fy_node *key,
                              struct fy_node *val, void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = Co_project_at(key, val);
    if (!Co_project_is(val, FYNT_MAPPING))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s, not %s",
                               dup_rules_section.what, Co_project_describe(val));
    int count = fy_node_mapping_item_count(val), scalars = 0;
    void *it = NULL;
    struct fy_node_pair *pair;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++)
        scalars += Co_project_is(fy_node_pair_value(pair), FYNT_SCALAR);
    if (count <= 0)
        return CO_OK;
    if (scalars == count)
        return dup_single(w, val, at, e);
    if (scalars)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"duplicates\" mixes the two forms: either column: normalizer, "
                               "or rule names with { on: { column: normalizer }, query: SQL }");
    return Co_project_pairs(w, val, at, &dup_rules_section, &e->duplicates, &e->nduplicates, e);
}

/* ---- follows: { table: { entity_column: table_key_column, ... } | {} , ... } ---- */

static co_code read_follow(pwalk *w, struct fy_node *k, struct fy_node *m, co_mark at,
                           void *item, void *ctx)
{
    (void)ctx;
    static const char *const say[4] = {"a column of \"follows\"", "a column name",
                                       "a key of \"follows\"",
                                       "a key column of the captured table"};
    co_follow *fo = item;
    co_code code =
        Co_project_scalar(w, k, at, "each key of \"follows\"", "a captured table", &fo->table);
    if (code != CO_OK || Co_project_is_null(m))
        return code; /* no columns: any change means all the tenant's rows */
    co_mark mat = Co_project_mark_or(m, Co_project_mark_or(k, at));
    if (fy_node_get_type(m) != FYNT_MAPPING)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, mat,
                               "\"follows\" of %s must be a mapping of column: key column "
                               "({} for all rows), not %s",
                               fo->table, Co_project_describe(m));
    return Co_project_two_lists(w, m, mat, say, &fo->columns, &fo->keys, &fo->n);
}

static const pfield follow_owns[] = {
    P_OWN(co_follow, table), P_PAIRS("columns", false, co_follow, columns, keys, n)};

static const psection follows_section = {
    P_SECTION(follow_owns),
    P_READ(co_follow, read_follow,
           "\"follows\" must be a mapping of captured table: { column: key column }"),
};

/* ---- reverse ---- */

static const pfield reverse_fields[] = {
    P_TEXT("table", true, co_reverse, table),
    P_PAIRS("key", true, co_reverse, key_source, key_entity, nkey),
    P_PAIRS("columns", false, co_reverse, col_source, col_entity, ncols),
    P_PAIRS("insert", false, co_reverse, ins_source, ins_sql, nins),
};

static const psection reverse_section = {
    P_SECTION(reverse_fields), .size = sizeof(co_reverse),
    .context = "in reverse", .shape = " (table, key, columns, insert)",
};

/* ---- the entity ---- */

static co_code entity_finish(pwalk *w, void *obj, co_mark at)
{
    co_entity *e = obj;
    if (!e->target && !(e->target = strdup(e->name)))
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    return CO_OK;
}

static const pfield entity_fields[] = {
    P_CHECKED("name", true, co_entity, name, "an entity name", Co_project_check_name),
    P_TEXT("target", false, co_entity, target),
    P_COLUMNS("key", true, co_entity, key, nkey),
    P_TEXT("target_key", false, co_entity, target_key),
    P_TEXT("tenant_column", false, co_entity, tenant_column),
    P_CHECKED("query", true, co_entity, query, "a SQL query", check_entity_query),
    P_ITEMS("refs", co_entity, refs, nrefs, refs_section),
    P_PTR("volume", co_entity, volume, volume_section),
    P_SAME("verify", verify_section),
    {.key = "duplicates", .type = PF_CUSTOM, .set = set_duplicates,
     .offset = offsetof(co_entity, duplicates), .count = offsetof(co_entity, nduplicates),
     .sub = &dup_rules_section},
    P_ITEMS("follows", co_entity, follows, nfollows, follows_section),
    P_PTR("reverse", co_entity, reverse, reverse_section),
    P_PTR("merge", co_entity, merge, co_project_merge),
    P_TEXT("source_table", false, co_entity, source_table),
    P_TEXT("source_tenant_column", false, co_entity, source_tenant_column),
};

const psection co_project_entities = {
    P_SECTION(entity_fields), P_ITEM(co_entity), P_NAMED(co_entity, name),
    .context = "in entity", .finish = entity_finish,
    .seq_shape = "entities", .item_shape = "(an entity with name, key and query)",
    .min = 1, .too_few = "one entity",
};
