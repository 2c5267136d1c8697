/*
 * parse_merge.c: an entity's `merge` section of the project file: which rows
 * merge (on), whose key and values survive (survivor, keep, columns: the
 * survivorship rules), and the similar rows that are scored (similar:
 * blocks, compare). docs/project-file.md, "merge", is the reference.
 */
#include "project/fields.h"
#include "dedupe/link.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- survivorship rules ---- */

static const struct {
    const char *name;
    co_rule_kind kind;
    int arg; /* 0: none, 1: required, 2: optional */
} merge_rules[] = {
    {"survivor", CO_RULE_SURVIVOR, 0}, {"first", CO_RULE_FIRST, 0},
    {"latest", CO_RULE_LATEST, 1},     {"earliest", CO_RULE_EARLIEST, 1},
    {"max", CO_RULE_MAX, 0},           {"min", CO_RULE_MIN, 0},
    {"prefer", CO_RULE_PREFER, 1},     {"union", CO_RULE_UNION, 2},
    {"concat", CO_RULE_CONCAT, 2},
};

/* The argument of "name(arg)" in rest (which starts at '(' or is empty) into
 * *arg (heap; quotes around it dropped). False when the shape is wrong. */
static bool rule_arg(char *rest, char **arg)
{
    if (*rest != '(')
        return *rest == '\0';
    char *end = rest + strlen(rest);
    while (end > rest && (end[-1] == ' ' || end[-1] == '\n'))
        end--;
    if (!(end > rest + 1 && end[-1] == ')'))
        return false;
    char *a = rest + 1, *z = end - 1;
    while (a < z && *a == ' ')
        a++;
    while (z > a && z[-1] == ' ')
        z--;
    if (z - a >= 2 && (*a == '\'' || *a == '"') && z[-1] == *a) {
        a++;
        z--;
    }
    *arg = strndup(a, (size_t)(z - a));
    return *arg != NULL;
}

/* A survivorship rule: "latest(updated_at)", "prefer(title IS NOT NULL)",
 * "union", "union(',')". For the survivor key only min, max, latest and
 * earliest make sense. */
static co_code merge_rule(pwalk *w, struct fy_node *val, co_mark fallback, const char *subject,
                          bool for_survivor, co_merge_rule *out)
{
    co_mark at = Co_project_mark_or(val, fallback);
    char *text = NULL;
    const char *expected = for_survivor ? "min, max, latest(column) or earliest(column)"
                                        : "a survivorship rule";
    co_code code = Co_project_scalar(w, val, at, subject, expected, &text);
    if (code != CO_OK)
        return code;
    char *p = text;
    while (*p == ' ')
        p++;
    size_t nlen = 0;
    while ((p[nlen] >= 'a' && p[nlen] <= 'z') || p[nlen] == '_')
        nlen++;
    char *rest = p + nlen;
    while (*rest == ' ')
        rest++;
    char *arg = NULL;
    bool shape_ok = rule_arg(rest, &arg);
    size_t r = 0;
    while (r < PF_COUNT(merge_rules) &&
           !(strlen(merge_rules[r].name) == nlen && strncmp(merge_rules[r].name, p, nlen) == 0))
        r++;
    bool allowed = r < PF_COUNT(merge_rules) &&
                   (!for_survivor || merge_rules[r].kind == CO_RULE_MIN ||
                    merge_rules[r].kind == CO_RULE_MAX || merge_rules[r].kind == CO_RULE_LATEST ||
                    merge_rules[r].kind == CO_RULE_EARLIEST);
    char buf[80];
    if (!shape_ok || !allowed)
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "%s must be %s, not \"%s\" (rules: survivor, first, latest(column), "
                               "earliest(column), max, min, prefer(condition), union, "
                               "union('sep'), concat, concat('sep'))",
                               subject, expected, Co_project_shown(text, strlen(text), buf, sizeof buf));
    else if (merge_rules[r].arg == 1 && (!arg || !*arg))
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s: %s needs an argument, as in %s(%s)",
                               subject, merge_rules[r].name, merge_rules[r].name,
                               merge_rules[r].kind == CO_RULE_PREFER ? "title IS NOT NULL"
                                                                     : "updated_at");
    else if (merge_rules[r].arg == 0 && arg)
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s: %s takes no argument",
                               subject, merge_rules[r].name);
    if (code == CO_OK) {
        out->kind = merge_rules[r].kind;
        free(out->arg);
        out->arg = arg;
        out->mark = at;
        arg = NULL;
    }
    free(arg);
    free(text);
    return code;
}

static co_code set_survivor(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                            void *obj)
{
    (void)f;
    return merge_rule(w, val, Co_project_node_mark(key), "\"survivor\"", true,
                      &((co_merge *)obj)->survivor);
}

static co_code set_keep(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                        void *obj)
{
    (void)f;
    return merge_rule(w, val, Co_project_node_mark(key), "\"keep\"", false,
                      &((co_merge *)obj)->keep);
}

static void release_rules(const pfield *f, void *obj)
{
    (void)f;
    co_merge *m = obj;
    free(m->survivor.arg);
    free(m->keep.arg);
}

/* columns: { column: rule, ... } */
static co_code read_column_rule(pwalk *w, struct fy_node *k, struct fy_node *v, co_mark at,
                                void *item, void *ctx)
{
    (void)ctx;
    co_merge_rule *rule = item;
    co_code code =
        Co_project_scalar(w, k, at, "each key of \"columns\"", "a column name", &rule->column);
    if (code != CO_OK)
        return code;
    char subject[128];
    Co_project_about(subject, sizeof subject, "the rule of column", rule->column);
    return merge_rule(w, v, Co_project_mark_or(k, at), subject, false, rule);
}

static const pfield column_rule_owns[] = {P_OWN(co_merge_rule, column), P_OWN(co_merge_rule, arg)};

static const psection columns_section = {
    P_SECTION(column_rule_owns),
    P_READ(co_merge_rule, read_column_rule,
           "\"columns\" of merge must be a mapping of column: rule"),
};

/* ---- similar.compare ---- */

/* by: one of the comparisons the linker knows, listed when it is not. */
static co_code check_compare_by(pwalk *w, const pfield *f, struct fy_node *key,
                                struct fy_node *val, void *obj)
{
    (void)f;
    const char *by = ((co_merge_compare *)obj)->by;
    if (Co_compare_kind_parse(by) != CO_CMP_KIND_COUNT)
        return CO_OK;
    char kinds[160] = "", buf[80];
    for (int k = 0; k < CO_CMP_KIND_COUNT; k++) {
        size_t used = strlen(kinds);
        snprintf(kinds + used, sizeof kinds - used, "%s%s", k ? ", " : "",
                 Co_compare_kind_name((co_compare_kind)k));
    }
    return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                           "\"by\" must be one of %s, not \"%s\"", kinds,
                           Co_project_shown(by, strlen(by), buf, sizeof buf));
}

/* floor: a number from 0 to below 1, or none (every bit of similarity counts). */
static co_code set_compare_floor(pwalk *w, const pfield *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    co_merge_compare *c = obj;
    const char *text = Co_project_is(val, FYNT_SCALAR) ? fy_node_get_scalar0(val) : NULL;
    if (text && strcmp(text, "none") == 0) {
        c->floor = CO_LINK_NO_FLOOR;
        return CO_OK;
    }
    co_code code = Co_project_number(w, f->key, key, val, 0, false, 1,
                                     "a number from 0 to below 1, or none", &c->floor);
    if (code == CO_OK && c->floor >= 1)
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                               "\"floor\" must be below 1 (nothing would ever earn)");
    return code;
}

static const pfield compare_fields[] = {
    P_CHECKED("expr", true, co_merge_compare, expr, "a SQL expression", NULL),
    P_CHECKED("by", true, co_merge_compare, by, "a comparison name", check_compare_by),
    P_TEXT("name", false, co_merge_compare, name),
    P_NUMBER("weight", co_merge_compare, weight, 0, true, 1000,
             "a number above 0 and at most 1000", 1),
    {.key = "floor", .type = PF_CUSTOM, .set = set_compare_floor},
    P_FRACTION("agree_at", co_merge_compare, agree_at, 0),
    P_NUMBER("scale", co_merge_compare, scale, 0, false, 1e12, "a number of 0 or more", 0),
};

static const psection compare_section = {
    P_SECTION(compare_fields), P_ITEM(co_merge_compare), .context = "in an item of compare",
    .seq_shape = "{ expr, by, weight, ... }", .item_shape = "{ expr, by, weight, ... }",
    .min = 1, .max = CO_LINK_MAX_FIELDS, .too_many = "are compared",
};

/* ---- similar ---- */

static co_code similar_finish(pwalk *w, void *obj, co_mark at)
{
    co_merge *m = obj;
    if (m->review_at > m->merge_at)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"review_at\" (%g) must not be above \"merge_at\" (%g)",
                               m->review_at, m->merge_at);
    return CO_OK;
}

static const pfield similar_fields[] = {
    P_EXPRS("blocks", true, co_merge, blocks, nblocks),
    P_SEQ("compare", true, co_merge, compare, ncompare, compare_section),
    P_FRACTION("review_at", co_merge, review_at, 0.8),
    P_FRACTION("merge_at", co_merge, merge_at, 0.95),
};

static const psection similar_section = {
    P_SECTION(similar_fields), .context = "in similar", .finish = similar_finish,
    .shape = " (blocks, compare, review_at, merge_at)",
};

/* ---- merge ---- */

static void merge_init(void *obj)
{
    co_merge *m = obj;
    m->survivor.kind = CO_RULE_MIN;
    m->keep.kind = CO_RULE_SURVIVOR;
}

static co_code merge_finish(pwalk *w, void *obj, co_mark at)
{
    co_merge *m = obj;
    if (m->non == 0 && m->nblocks == 0)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"merge\" needs \"on\" (rows equal on these expressions merge), "
                               "\"similar\" (similar rows are scored), or both");
    return CO_OK;
}

static const pfield merge_fields[] = {
    P_EXPRS("on", false, co_merge, on, non),
    P_CUSTOM("survivor", false, set_survivor, release_rules),
    P_CUSTOM("keep", false, set_keep, NULL), /* released with survivor */
    P_ITEMS("columns", co_merge, columns, ncolumns, columns_section),
    P_SAME("similar", similar_section),
};

const psection co_project_merge = {
    P_SECTION(merge_fields), P_ITEM(co_merge), .init = merge_init, .finish = merge_finish,
    .context = "in merge", .shape = " (on, survivor, keep, columns, similar)",
};
