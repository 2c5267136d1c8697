/*
 * values.c: the values of the project file, one reader per type of field
 * (fields.h): positions of libfyaml nodes, then text, numbers, durations,
 * shares and lists, each refusing a wrong value with what was expected and
 * where. Positions are 1-based; libfyaml's marks are 0-based.
 */
#include "project/fields.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- positions and descriptions ---- */

co_mark Co_project_mark_of(const struct fy_mark *fm)
{
    co_mark m = {0, 0};
    if (fm) {
        m.line = fm->line + 1;
        m.column = fm->column + 1;
    }
    return m;
}

static void discard_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

co_mark Co_project_node_mark(struct fy_node *n)
{
    co_mark m = {0, 0};
    if (!n)
        return m;
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        struct fy_token *t = fy_node_get_scalar_token(n);
        return t ? Co_project_mark_of(fy_token_start_mark(t)) : m;
    }
    /* libfyaml 0.7 has no public start mark for a mapping or a sequence, but a
     * report about a node carries the node's position: make one into a private
     * diagnostic object that collects instead of printing, and read it back. */
    struct fy_diag_cfg cfg;
    fy_diag_cfg_default(&cfg);
    cfg.fp = NULL;
    cfg.output_fn = discard_output;
    cfg.user = NULL;
    cfg.colorize = false;
    struct fy_diag *probe = fy_diag_create(&cfg);
    if (!probe)
        return m;
    fy_diag_set_collect_errors(probe, true);
    fy_diag_node_report(probe, n, FYET_ERROR, "%s", "position");
    void *it = NULL;
    struct fy_diag_error *e = fy_diag_errors_iterate(probe, &it);
    if (e && e->line > 0 && e->column > 0) {
        m.line = e->line;
        m.column = e->column;
    }
    fy_diag_destroy(probe);
    return m;
}

co_mark Co_project_mark_or(struct fy_node *n, co_mark fallback)
{
    co_mark m = Co_project_node_mark(n);
    return m.line > 0 ? m : fallback;
}

co_mark Co_project_at(struct fy_node *key, struct fy_node *val)
{
    return Co_project_mark_or(val, Co_project_node_mark(key));
}

bool Co_project_is_null(struct fy_node *n)
{
    if (!n)
        return true;
    if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
        return false;
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    if (!s || len == 0)
        return true;
    static const char *const nulls[] = {"~", "null", "Null", "NULL"};
    for (size_t i = 0; i < PF_COUNT(nulls); i++)
        if (len == strlen(nulls[i]) && memcmp(s, nulls[i], len) == 0)
            return true;
    return false;
}

bool Co_project_is(struct fy_node *n, int fy_type)
{
    return !Co_project_is_null(n) && (int)fy_node_get_type(n) == fy_type;
}

const char *Co_project_describe(struct fy_node *n)
{
    if (Co_project_is_null(n))
        return "an empty value";
    switch (fy_node_get_type(n)) {
    case FYNT_MAPPING: return "a mapping";
    case FYNT_SEQUENCE: return "a sequence";
    case FYNT_SCALAR: break;
    }
    return "a string";
}

/* ---- text ---- */

co_code Co_project_scalar(pwalk *w, struct fy_node *val, co_mark fallback, const char *subject,
                          const char *expected, char **out)
{
    co_mark at = Co_project_mark_or(val, fallback);
    if (!Co_project_is(val, FYNT_SCALAR))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s must be %s, not %s",
                               subject, expected, Co_project_describe(val));
    size_t len = 0;
    const char *s = fy_node_get_scalar(val, &len);
    if (!s)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    if (memchr(s, '\0', len))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "%s must be %s, not text with a NUL character", subject, expected);
    size_t blank = 0;
    while (blank < len && (s[blank] == ' ' || s[blank] == '\t' || s[blank] == '\n' ||
                           s[blank] == '\r'))
        blank++;
    if (blank == len)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s must be %s, not %s",
                               subject, expected, len ? "blank text" : "an empty string");
    char *copy = strndup(s, len);
    if (!copy)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    *out = copy;
    return CO_OK;
}

const char *Co_project_about(char *out, size_t cap, const char *what, const char *name)
{
    char buf[80];
    snprintf(out, cap, "%s \"%s\"", what, Co_project_shown(name, strlen(name), buf, sizeof buf));
    return out;
}

static void *slot_of(void *obj, size_t offset) { return (char *)obj + offset; }

/* The value of a key, in subject ("\"key\"") and text (heap). */
static co_code key_text(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                        const char *expected, char **text)
{
    char subject[64];
    snprintf(subject, sizeof subject, "\"%s\"", name);
    return Co_project_scalar(w, val, Co_project_node_mark(key), subject, expected, text);
}

static co_code set_text(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                        void *obj)
{
    char *text = NULL;
    co_code code = key_text(w, f->key, key, val, f->expected ? f->expected : "a string", &text);
    if (code != CO_OK)
        return code;
    char **slot = slot_of(obj, f->offset);
    free(*slot);
    *slot = text;
    return f->check ? f->check(w, f, key, val, obj) : CO_OK;
}

co_code Co_project_check_uri(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                             void *obj)
{
    static const char forms[] = "sqlite:PATH, postgresql://..., postgres://..., mysql://..., "
                                "mariadb://... or a libpq string such as host=... dbname=...";
    char why[128];
    if (!Co_project_uri_check(*(char **)slot_of(obj, f->offset), why, sizeof why))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                               "\"%s\" %s (expected a connection URI: %s)", f->key, why, forms);
    return CO_OK;
}

co_code Co_project_check_name(pwalk *w, const pfield *f, struct fy_node *key,
                              struct fy_node *val, void *obj)
{
    const char *name = *(char **)slot_of(obj, f->offset);
    if (Co_project_valid_name(name))
        return CO_OK;
    char buf[80];
    return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                           "entity name \"%s\" is invalid (expected a letter or '_' followed "
                           "by letters, digits or '_')",
                           Co_project_shown(name, strlen(name), buf, sizeof buf));
}

co_code Co_project_check_query(pwalk *w, const pfield *f, struct fy_node *key,
                               struct fy_node *val, void *obj)
{
    char *q = *(char **)slot_of(obj, f->offset);
    size_t len = strlen(q);
    while (len && (q[len - 1] == ';' || q[len - 1] == ' ' || q[len - 1] == '\n' ||
                   q[len - 1] == '\t' || q[len - 1] == '\r'))
        q[--len] = '\0';
    if (!len)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                               "\"%s\" must be a SQL query, not only semicolons", f->key);
    return CO_OK;
}

/* ---- numbers ---- */

co_code Co_project_whole(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                         long lo, long hi, bool integer, long *out)
{
    size_t len = 0;
    const char *s = Co_project_is(val, FYNT_SCALAR) ? fy_node_get_scalar(val, &len) : NULL;
    long n = 0;
    bool ok = s && len > 0;
    for (size_t i = 0; ok && i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || n > hi)
            ok = false;
        else
            n = n * 10 + (s[i] - '0');
    }
    if (ok && n >= lo && n <= hi) {
        *out = n;
        return CO_OK;
    }
    char buf[80];
    const char *quote = s && integer ? "\"" : "";
    return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                           "\"%s\" must be %s from %ld to %ld, not %s%s%s", name,
                           integer ? "an integer" : "a whole number", lo, hi, quote,
                           s ? Co_project_shown(s, len, buf, sizeof buf) : Co_project_describe(val),
                           quote);
}

/* What a number may be: its range, its units, and how messages say it. */
typedef struct number_spec {
    double lo, hi;
    bool above;            /* lo itself is refused */
    const char *expected;  /* when the value is not even text ("a duration") */
    const char *shape;     /* when it is not such a number ("a duration above 0 (...)") */
    struct {
        const char *suffix;
        double per;        /* the number is divided by this */
    } units[2];
} number_spec;

static const number_spec share_spec = {
    0, 100, false, "a fraction or a percentage", "a fraction (0.5) or a percentage (50%)",
    {{"%", 100}}};
static const number_spec seconds_spec = {
    0, 86400, true, "a duration", "a duration above 0 (0.5, 2s or 250ms)",
    {{"ms", 1000}, {"s", 1}}};

static co_code number(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                      const number_spec *spec, double *out)
{
    char *text = NULL, buf[80];
    co_code code = key_text(w, name, key, val, spec->expected, &text);
    if (code != CO_OK)
        return code;
    char *end;
    double d = strtod(text, &end);
    for (size_t u = 0; end != text && u < PF_COUNT(spec->units) && spec->units[u].suffix; u++)
        if (strcmp(end, spec->units[u].suffix) == 0) {
            d /= spec->units[u].per;
            end += strlen(end);
        }
    if (end == text || *end || !((spec->above ? d > spec->lo : d >= spec->lo) && d <= spec->hi))
        code = Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_at(key, val),
                               "\"%s\" must be %s, not \"%s\"", name, spec->shape,
                               Co_project_shown(text, strlen(text), buf, sizeof buf));
    else
        *out = d;
    free(text);
    return code;
}

co_code Co_project_number(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                          double lo, bool above, double hi, const char *expected, double *out)
{
    number_spec spec = {.lo = lo, .hi = hi, .above = above, .expected = expected,
                        .shape = expected};
    return number(w, name, key, val, &spec, out);
}

/* ---- lists ---- */

void Co_project_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* What a list of names or expressions holds, and how messages say it. */
typedef struct list_spec {
    const char *item;  /* "a column name" */
    const char *shape; /* "a column name or a sequence of column names" */
    const char *empty; /* "name at least one column" */
    /* Checks list[n - 1], the item just read from a sequence (at: its position). */
    co_code (*item_check)(pwalk *w, const char *name, char **list, size_t n, co_mark at);
    /* Checks the whole list (at: the value's position). */
    co_code (*list_check)(pwalk *w, const char *name, char **list, size_t n, co_mark at);
} list_spec;

/* One item or a sequence of them into *list (heap) and *n, as spec says. */
static co_code read_list(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                         const list_spec *spec, char ***list, size_t *n)
{
    co_mark at = Co_project_at(key, val);
    Co_project_free_list(*list, *n);
    *list = NULL;
    *n = 0;
    char item_subject[64], subject[64];
    snprintf(subject, sizeof subject, "\"%s\"", name);
    snprintf(item_subject, sizeof item_subject, "each item of \"%s\"", name);
    bool seq = Co_project_is(val, FYNT_SEQUENCE);
    if (!seq && !Co_project_is(val, FYNT_SCALAR))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s must be %s, not %s",
                               subject, spec->shape, Co_project_describe(val));
    int count = seq ? fy_node_sequence_item_count(val) : 1;
    if (count <= 0)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s must %s", subject,
                               spec->empty);
    *list = calloc((size_t)count, sizeof **list);
    if (!*list)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    co_code code = CO_OK;
    if (!seq) {
        code = Co_project_scalar(w, val, at, subject, spec->item, &(*list)[0]);
        *n = code == CO_OK;
    }
    void *it = NULL;
    struct fy_node *item;
    while (seq && code == CO_OK && *n < (size_t)count &&
           (item = fy_node_sequence_iterate(val, &it))) {
        code = Co_project_scalar(w, item, at, item_subject, spec->item, &(*list)[*n]);
        if (code == CO_OK && spec->item_check)
            code = spec->item_check(w, name, *list, ++*n, Co_project_mark_or(item, at));
    }
    if (code == CO_OK && spec->list_check)
        code = spec->list_check(w, name, *list, *n, at);
    return code;
}

static co_code column_once(pwalk *w, const char *name, char **list, size_t n, co_mark at)
{
    for (size_t j = 0; j + 1 < n; j++)
        if (strcmp(list[j], list[n - 1]) == 0) {
            char buf[80];
            return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                                   "\"%s\" lists column \"%s\" twice", name,
                                   Co_project_shown(list[j], strlen(list[j]), buf, sizeof buf));
        }
    return CO_OK;
}

static co_code no_comma(pwalk *w, const char *name, char **list, size_t n, co_mark at)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr(list[i], ',')) {
            char buf[80];
            return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                                   "\"%s\" column \"%s\" contains a comma; write several "
                                   "columns as a sequence, as in [a, b]",
                                   name,
                                   Co_project_shown(list[i], strlen(list[i]), buf, sizeof buf));
        }
    }
    return CO_OK;
}

static const list_spec columns_spec = {
    "a column name", "a column name or a sequence of column names", "name at least one column",
    column_once, no_comma};

co_code Co_project_columns(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                           char ***list, size_t *n)
{
    return read_list(w, name, key, val, &columns_spec, list, n);
}

/* True when the parentheses of a SQL expression outside quotes pair up. */
static bool parens_balance(const char *sql)
{
    int depth = 0;
    char quote = 0;
    for (const char *c = sql; *c; c++) {
        if (quote) {
            quote = *c == quote ? 0 : quote;
        } else if (*c == '\'' || *c == '"') {
            quote = *c;
        } else if (*c == '(' || *c == ')') {
            depth += *c == '(' ? 1 : -1;
            if (depth < 0)
                return false;
        }
    }
    return depth == 0;
}

static co_code balanced(pwalk *w, const char *name, char **list, size_t n, co_mark at)
{
    if (parens_balance(list[n - 1]))
        return CO_OK;
    return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                           "an item of \"%s\" has unbalanced parentheses: in a [flow, sequence] "
                           "YAML splits at commas, so quote an expression that holds one "
                           "(\"substr(x, 1, 3)\") or use one item per line",
                           name);
}

static const list_spec exprs_spec = {"a SQL expression", "a SQL expression or a sequence of them",
                                     "hold at least one SQL expression", balanced, NULL};

co_code Co_project_two_lists(pwalk *w, struct fy_node *map, co_mark at, const char *const say[4],
                             char ***keys, char ***values, size_t *n)
{
    int count = fy_node_mapping_item_count(map);
    *keys = calloc(count > 0 ? (size_t)count : 1, sizeof **keys);
    *values = calloc(count > 0 ? (size_t)count : 1, sizeof **values);
    if (!*keys || !*values)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node_pair *pair;
    while (*n < (size_t)count && (pair = fy_node_mapping_iterate(map, &it))) {
        co_code code =
            Co_project_scalar(w, fy_node_pair_key(pair), at, say[0], say[1], &(*keys)[*n]);
        if (code == CO_OK)
            code = Co_project_scalar(w, fy_node_pair_value(pair), at, say[2], say[3],
                                     &(*values)[*n]);
        (*n)++;
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

/* A mapping of source column: entity column into two parallel lists. */
static co_code column_pairs(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                            char ***src, char ***ent, size_t *n)
{
    static const char *const say[4] = {"a source column", "a column name", "an entity column",
                                       "a column name"};
    co_mark at = Co_project_at(key, val);
    if (!Co_project_is(val, FYNT_MAPPING))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be a mapping of source column: entity column, not %s",
                               name, Co_project_describe(val));
    return Co_project_two_lists(w, val, at, say, src, ent, n);
}

/* ---- one reader per type ---- */

co_code Co_project_set_value(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                             void *obj)
{
    void *slot = slot_of(obj, f->offset);
    size_t *count = slot_of(obj, f->count);
    long n = 0;
    co_code code;
    switch (f->type) {
    case PF_TEXT:
        return set_text(w, f, key, val, obj);
    case PF_INT:
    case PF_SIZE:
        code = Co_project_whole(w, f->key, key, val, (long)f->lo, (long)f->hi,
                                f->type == PF_SIZE, &n);
        if (code == CO_OK && f->type == PF_INT)
            *(int *)slot = (int)n;
        else if (code == CO_OK)
            *(size_t *)slot = (size_t)n;
        return code;
    case PF_NUMBER:
        return Co_project_number(w, f->key, key, val, f->lo, f->above, f->hi, f->expected, slot);
    case PF_SHARE:
        return number(w, f->key, key, val, &share_spec, slot);
    case PF_SECONDS:
        return number(w, f->key, key, val, &seconds_spec, slot);
    case PF_COLUMNS:
        return Co_project_columns(w, f->key, key, val, slot, count);
    case PF_EXPRS:
        return read_list(w, f->key, key, val, &exprs_spec, slot, count);
    case PF_PAIRS:
        return column_pairs(w, f->key, key, val, slot, slot_of(obj, f->pair), count);
    case PF_CUSTOM:
        return f->set(w, f, key, val, obj);
    case PF_MAP:
    case PF_PTR:
    case PF_SEQ:
    case PF_ITEMS:
        break;
    }
    return co_error_set(w->err, CO_EINTERNAL, "project field \"%s\" has no reader", f->key);
}
