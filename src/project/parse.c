/*
 * parse.c: the walk over cutover.yaml with libfyaml's document API.
 *
 * Each level of the file (the top, options, an entity) is a table of keys,
 * each with a required flag and a setter that checks the value's type and
 * stores it. A key that is in no table is an error, so a typo is never
 * ignored. libfyaml's diagnostics are collected into the co_error, never
 * printed. Positions are 1-based; libfyaml's marks are 0-based.
 */
#include "project/project_int.h"
#include "dedupe/link.h"
#include "util/buf.h"

#include <libfyaml.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct walk {
    const char *name; /* the file name in positions */
    const char *text; /* the whole input, for the columns of block scalars */
    size_t len;
    co_error *err;
} walk;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct field field;

/* Checks val (the value of key) and stores it into obj at f->offset. */
typedef co_code (*setter)(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                          void *obj);

struct field {
    const char *key;
    bool required;
    setter set;
    size_t offset;
};

/* ---- positions and descriptions ---- */

static co_mark mark_of(const struct fy_mark *fm)
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

/* Where node starts; line 0 when libfyaml does not know (an empty value). */
static co_mark node_mark(struct fy_node *n)
{
    co_mark m = {0, 0};
    if (!n)
        return m;
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        struct fy_token *t = fy_node_get_scalar_token(n);
        return t ? mark_of(fy_token_start_mark(t)) : m;
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

static co_mark mark_or(struct fy_node *n, co_mark fallback)
{
    co_mark m = node_mark(n);
    return m.line > 0 ? m : fallback;
}

/* A plain empty, "~" or "null" scalar, or no node at all. */
static bool is_null(struct fy_node *n)
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
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (len == strlen(nulls[i]) && memcmp(s, nulls[i], len) == 0)
            return true;
    return false;
}

static const char *describe(struct fy_node *n)
{
    if (is_null(n))
        return "an empty value";
    switch (fy_node_get_type(n)) {
    case FYNT_MAPPING: return "a mapping";
    case FYNT_SEQUENCE: return "a sequence";
    case FYNT_SCALAR: break;
    }
    return "a string";
}

/* ---- scalar values ---- */

/* The text of a scalar value into *out (heap); subject names the value in
 * messages ("\"source\"", "each item of \"key\"") and expected says what it
 * should be ("a string"). */
static co_code scalar_text(walk *w, struct fy_node *val, co_mark fallback, const char *subject,
                           const char *expected, char **out)
{
    co_mark at = mark_or(val, fallback);
    if (is_null(val) || fy_node_get_type(val) != FYNT_SCALAR)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s must be %s, not %s",
                               subject, expected, describe(val));
    size_t len = 0;
    const char *s = fy_node_get_scalar(val, &len);
    if (!s)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    if (memchr(s, '\0', len))
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "%s must be %s, not text with a NUL character", subject, expected);
    size_t blank = 0;
    while (blank < len && (s[blank] == ' ' || s[blank] == '\t' || s[blank] == '\n' ||
                           s[blank] == '\r'))
        blank++;
    if (blank == len)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s must be %s, not %s",
                               subject, expected, len ? "blank text" : "an empty string");
    char *copy = strndup(s, len);
    if (!copy)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    *out = copy;
    return CO_OK;
}

static char **slot_at(void *obj, const field *f) { return (char **)((char *)obj + f->offset); }

static co_code store_text(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                          void *obj, const char *expected)
{
    char subject[64];
    snprintf(subject, sizeof subject, "\"%s\"", f->key);
    char *text = NULL;
    co_code code = scalar_text(w, val, node_mark(key), subject, expected, &text);
    if (code != CO_OK)
        return code;
    char **slot = slot_at(obj, f);
    free(*slot);
    *slot = text;
    return CO_OK;
}

static co_code set_text(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                        void *obj)
{
    return store_text(w, f, key, val, obj, "a string");
}

static co_code set_uri(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                       void *obj)
{
    static const char forms[] = "sqlite:PATH, postgresql://..., postgres://..., mysql://..., "
                                "mariadb://... or a libpq string such as host=... dbname=...";
    co_code code = store_text(w, f, key, val, obj, "a connection URI (sqlite:PATH, "
                                                  "postgresql://..., mysql://..., mariadb://..., "
                                                  "or host=... dbname=...)");
    if (code != CO_OK)
        return code;
    char why[128];
    if (!co_project_uri_check(*slot_at(obj, f), why, sizeof why))
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"%s\" %s (expected a connection URI: %s)", f->key, why, forms);
    return CO_OK;
}

static co_code set_name(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                        void *obj)
{
    co_code code = store_text(w, f, key, val, obj, "an entity name");
    if (code != CO_OK)
        return code;
    const char *name = *slot_at(obj, f);
    if (!co_project_valid_name(name)) {
        char buf[80];
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "entity name \"%s\" is invalid (expected a letter or '_' followed "
                               "by letters, digits or '_')",
                               co_project_shown(name, strlen(name), buf, sizeof buf));
    }
    return CO_OK;
}

/* The column where the text of a block scalar starts: the block's indentation
 * in the file minus the spaces the text itself keeps (with an explicit
 * indentation indicator, as in "|2"), plus one. */
static int block_column(const walk *w, size_t pos, struct fy_node *val)
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
static co_mark text_mark(const walk *w, struct fy_node *val)
{
    struct fy_token *t = fy_node_get_scalar_token(val);
    const struct fy_mark *fm = t ? fy_token_start_mark(t) : NULL;
    co_mark m = mark_of(fm);
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

static co_code set_query(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                         void *obj)
{
    co_code code = store_text(w, f, key, val, obj, "a SQL query");
    if (code != CO_OK)
        return code;
    /* cutover wraps queries (SELECT count(*) FROM (query)): a final ';' or
     * trailing blanks are dropped so that the wrapped text stays valid. */
    char *q = *slot_at(obj, f);
    size_t len = strlen(q);
    while (len && (q[len - 1] == ';' || q[len - 1] == ' ' || q[len - 1] == '\n' ||
                   q[len - 1] == '\t' || q[len - 1] == '\r'))
        q[--len] = '\0';
    if (!len)
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"%s\" must be a SQL query, not only semicolons", f->key);
    ((co_entity *)obj)->query_mark = text_mark(w, val);
    return CO_OK;
}

static co_code set_batch_size(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                              void *obj)
{
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_SCALAR)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be an integer from 1 to %d, not %s", f->key,
                               CO_PROJECT_BATCH_MAX, describe(val));
    size_t len = 0;
    const char *s = fy_node_get_scalar(val, &len);
    size_t n = 0;
    bool ok = s && len > 0;
    for (size_t i = 0; ok && i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || n > CO_PROJECT_BATCH_MAX)
            ok = false;
        else
            n = n * 10 + (size_t)(s[i] - '0');
    }
    if (!ok || n < 1 || n > CO_PROJECT_BATCH_MAX) {
        char buf[80];
        co_project_shown(s ? s : "", s ? len : 0, buf, sizeof buf);
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be an integer from 1 to %d, not \"%s\"", f->key,
                               CO_PROJECT_BATCH_MAX, buf);
    }
    *(size_t *)((char *)obj + f->offset) = n;
    return CO_OK;
}

/* A column name, or a sequence of them, none twice, into *list (heap) and
 * *n; name is the key being read ("key", "by"). */
static co_code column_list(walk *w, const char *name, struct fy_node *key, struct fy_node *val,
                           char ***list, size_t *n)
{
    co_mark at = mark_or(val, node_mark(key));
    for (size_t i = 0; i < *n; i++)
        free((*list)[i]);
    free(*list);
    *list = NULL;
    *n = 0;
    char subject[64], item_subject[64];
    snprintf(subject, sizeof subject, "\"%s\"", name);
    snprintf(item_subject, sizeof item_subject, "each item of \"%s\"", name);

    if (!is_null(val) && fy_node_get_type(val) == FYNT_SCALAR) {
        *list = calloc(1, sizeof **list);
        if (!*list)
            return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
        co_code code = scalar_text(w, val, at, subject, "a column name", &(*list)[0]);
        if (code != CO_OK)
            return code;
        *n = 1;
    } else if (!is_null(val) && fy_node_get_type(val) == FYNT_SEQUENCE) {
        int count = fy_node_sequence_item_count(val);
        if (count <= 0)
            return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                                   "\"%s\" must name at least one column", name);
        *list = calloc((size_t)count, sizeof **list);
        if (!*list)
            return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
        void *it = NULL;
        struct fy_node *item;
        while (*n < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
            co_code code = scalar_text(w, item, at, item_subject, "a column name", &(*list)[*n]);
            if (code != CO_OK)
                return code;
            (*n)++;
            for (size_t j = 0; j + 1 < *n; j++)
                if (strcmp((*list)[j], (*list)[*n - 1]) == 0) {
                    char buf[80];
                    const char *col = (*list)[j];
                    return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(item, at),
                                           "\"%s\" lists column \"%s\" twice", name,
                                           co_project_shown(col, strlen(col), buf, sizeof buf));
                }
        }
    } else {
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be a column name or a sequence of column names, "
                               "not %s",
                               name, describe(val));
    }
    for (size_t i = 0; i < *n; i++) {
        if (strchr((*list)[i], ',')) {
            char buf[80];
            return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                                   "\"%s\" column \"%s\" contains a comma; write several "
                                   "columns as a sequence, as in [a, b]",
                                   name,
                                   co_project_shown((*list)[i], strlen((*list)[i]), buf, sizeof buf));
        }
    }
    return CO_OK;
}

/* key: one column name, or a sequence of them, none twice. */
static co_code set_key(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                       void *obj)
{
    co_entity *e = obj;
    return column_list(w, f->key, key, val, &e->key, &e->nkey);
}

/* A whole number from lo to hi, from a plain scalar. */
static co_code whole_number(walk *w, const char *name, struct fy_node *key, struct fy_node *val,
                            long lo, long hi, long *out)
{
    co_mark at = mark_or(val, node_mark(key));
    size_t len = 0;
    const char *s = !is_null(val) && fy_node_get_type(val) == FYNT_SCALAR
                        ? fy_node_get_scalar(val, &len)
                        : NULL;
    long n = 0;
    bool ok = s && len > 0;
    for (size_t i = 0; ok && i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || n > hi)
            ok = false;
        else
            n = n * 10 + (s[i] - '0');
    }
    if (!ok || n < lo || n > hi) {
        char buf[80];
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be a whole number from %ld to %ld, not %s", name, lo,
                               hi, s ? co_project_shown(s, len, buf, sizeof buf) : describe(val));
    }
    *out = n;
    return CO_OK;
}

static co_code set_volume_by(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                             void *obj)
{
    co_volume *v = obj;
    return column_list(w, f->key, key, val, &v->by, &v->nby);
}

static co_code set_volume_months(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    long n;
    co_code code = whole_number(w, f->key, key, val, 1, 120, &n);
    if (code == CO_OK)
        ((co_volume *)obj)->months = (int)n;
    return code;
}

/* tolerance: a number of rows ("5") or a share of the larger count ("0.5%"). */
static co_code set_volume_tolerance(walk *w, const field *f, struct fy_node *key,
                                    struct fy_node *val, void *obj)
{
    co_volume *v = obj;
    char *text = NULL;
    co_code code = scalar_text(w, val, node_mark(key), "\"tolerance\"",
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
        code = co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
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

static const field volume_fields[] = {
    {"by", true, set_volume_by, 0},
    {"time", true, set_text, offsetof(co_volume, time)},
    {"months", false, set_volume_months, 0},
    {"tolerance", false, set_volume_tolerance, 0},
};

static co_code walk_fields(walk *w, struct fy_node *map, co_mark map_at, const field *fields,
                           size_t nfields, void *obj, const char *context, char *const *owner);

static co_code set_volume(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                          void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"volume\" must be a mapping (by, time, months, tolerance), not %s",
                               describe(val));
    if (!e->volume && !(e->volume = calloc(1, sizeof *e->volume)))
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    e->volume->months = 9;
    e->volume->mark = at;
    return walk_fields(w, val, at, volume_fields, sizeof volume_fields / sizeof volume_fields[0],
                       e->volume, "in volume", NULL);
}

/* verify: { round: { column: digits } } */
static co_code set_verify_round(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                                void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"round\" must be a mapping of column: decimals, not %s",
                               describe(val));
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
        co_code code = scalar_text(w, fy_node_pair_key(pair), at, "each key of \"round\"",
                                   "a column name", &one->column);
        if (code != CO_OK)
            return code;
        e->nrounding++;
        long digits;
        code = whole_number(w, "round", fy_node_pair_key(pair), fy_node_pair_value(pair), 0, 15,
                            &digits);
        if (code != CO_OK)
            return code;
        one->digits = (int)digits;
    }
    return CO_OK;
}

/* The columns of one duplicates rule: { column: casefold | email | domain | name, ... }. */
static co_code set_dup_columns(walk *w, struct fy_node *val, co_mark at, co_dup_rule *r)
{
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "a duplicates rule must be a mapping of column: casefold, email, "
                               "domain or name, not %s",
                               describe(val));
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
        co_code code = scalar_text(w, fy_node_pair_key(pair), at, "each column of a duplicates rule",
                                   "a column name", &one->column);
        if (code != CO_OK)
            return code;
        r->ncolumns++;
        char *norm = NULL;
        code = scalar_text(w, fy_node_pair_value(pair), mark_or(fy_node_pair_key(pair), at),
                           "a normalizer", "casefold, email, domain or name", &norm);
        if (code != CO_OK)
            return code;
        if (strcmp(norm, "casefold") == 0)
            one->norm = CO_NORM_CASEFOLD;
        else if (strcmp(norm, "email") == 0)
            one->norm = CO_NORM_EMAIL;
        else if (strcmp(norm, "domain") == 0)
            one->norm = CO_NORM_DOMAIN;
        else if (strcmp(norm, "name") == 0)
            one->norm = CO_NORM_NAME;
        else {
            char buf[80];
            code = co_project_fail(w->err, CO_EPROJECT, w->name,
                                   mark_or(fy_node_pair_value(pair), at),
                                   "unknown normalizer \"%s\" (expected casefold, email, domain or name)",
                                   co_project_shown(norm, strlen(norm), buf, sizeof buf));
        }
        free(norm);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static co_code set_dup_on(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                          void *obj)
{
    (void)f;
    return set_dup_columns(w, val, mark_or(val, node_mark(key)), obj);
}

static co_code set_dup_query(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                             void *obj)
{
    co_code code = store_text(w, f, key, val, obj, "a SQL query");
    if (code != CO_OK)
        return code;
    char *q = *slot_at(obj, f); /* wrapped like entity queries: no final ';' */
    size_t len = strlen(q);
    while (len && (q[len - 1] == ';' || q[len - 1] == ' ' || q[len - 1] == '\n' ||
                   q[len - 1] == '\t' || q[len - 1] == '\r'))
        q[--len] = '\0';
    if (!len)
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"query\" must be a SQL query, not only semicolons");
    return CO_OK;
}

static const field dup_rule_fields[] = {
    {"on", true, set_dup_on, 0},
    {"query", false, set_dup_query, offsetof(co_dup_rule, query)},
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

/* duplicates: either one rule, { column: normalizer, ... } (named after its
 * columns), or named rules, { name: { on: { column: normalizer, ... },
 * query: SQL }, ... }. */
static co_code set_duplicates(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                              void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"duplicates\" must be a mapping of column: casefold, email, "
                               "domain or name, or of rule names to rules, not %s",
                               describe(val));
    int count = fy_node_mapping_item_count(val), scalars = 0;
    void *it = NULL;
    struct fy_node_pair *pair;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++)
        scalars += !is_null(fy_node_pair_value(pair)) &&
                   fy_node_get_type(fy_node_pair_value(pair)) == FYNT_SCALAR;
    if (count <= 0)
        return CO_OK;
    if (scalars == count) { /* the single form */
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
    if (scalars)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"duplicates\" mixes the two forms: either column: normalizer, "
                               "or rule names with { on: { column: normalizer }, query: SQL }");
    it = NULL;
    for (int i = 0; i < count && (pair = fy_node_mapping_iterate(val, &it)); i++) {
        struct fy_node *name_node = fy_node_pair_key(pair), *rule = fy_node_pair_value(pair);
        co_mark rule_at = mark_or(rule, mark_or(name_node, at));
        co_dup_rule *r = dup_rule_add(e);
        if (!r)
            return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
        r->mark = rule_at;
        co_code code = scalar_text(w, name_node, at, "each rule name of \"duplicates\"",
                                   "a name", &r->name);
        for (size_t k = 0; code == CO_OK && k + 1 < e->nduplicates; k++)
            if (strcmp(e->duplicates[k].name, r->name) == 0)
                code = co_project_fail(w->err, CO_EPROJECT, w->name, rule_at,
                                       "duplicates rule \"%s\" is named twice", r->name);
        if (code == CO_OK && fy_node_get_type(rule) != FYNT_MAPPING)
            code = co_project_fail(w->err, CO_EPROJECT, w->name, rule_at,
                                   "duplicates rule \"%s\" must be a mapping with \"on\", not %s",
                                   r->name, describe(rule));
        if (code == CO_OK)
            code = walk_fields(w, rule, rule_at, dup_rule_fields, COUNT(dup_rule_fields), r,
                               "in a duplicates rule", NULL);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

/* follows: { table: { entity_column: table_key_column, ... } | {} , ... } */
static co_code set_follows(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"follows\" must be a mapping of captured table: { column: "
                               "key column }, not %s",
                               describe(val));
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
        co_code code = scalar_text(w, fy_node_pair_key(pair), at, "each key of \"follows\"",
                                   "a captured table", &fo->table);
        if (code != CO_OK)
            return code;
        e->nfollows++;
        struct fy_node *m = fy_node_pair_value(pair);
        co_mark mat = mark_or(m, mark_or(fy_node_pair_key(pair), at));
        if (is_null(m))
            continue; /* any change: all the tenant's rows */
        if (fy_node_get_type(m) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, mat,
                                   "\"follows\" of %s must be a mapping of column: key column "
                                   "({} for all rows), not %s",
                                   fo->table, describe(m));
        int n = fy_node_mapping_item_count(m);
        fo->columns = calloc(n > 0 ? (size_t)n : 1, sizeof *fo->columns);
        fo->keys = calloc(n > 0 ? (size_t)n : 1, sizeof *fo->keys);
        if (!fo->columns || !fo->keys)
            return co_project_fail(w->err, CO_ENOMEM, w->name, mat, "out of memory");
        void *it2 = NULL;
        struct fy_node_pair *cp;
        while (fo->n < (size_t)n && (cp = fy_node_mapping_iterate(m, &it2))) {
            code = scalar_text(w, fy_node_pair_key(cp), mat, "a column of \"follows\"",
                               "a column name", &fo->columns[fo->n]);
            if (code == CO_OK)
                code = scalar_text(w, fy_node_pair_value(cp), mat, "a key of \"follows\"",
                                   "a key column of the captured table", &fo->keys[fo->n]);
            fo->n++;
            if (code != CO_OK)
                return code;
        }
    }
    return CO_OK;
}

/* A mapping of source column: entity column into two parallel arrays. */
static co_code column_pairs(walk *w, struct fy_node *key, struct fy_node *val, const char *what,
                            char ***src, char ***ent, size_t *n)
{
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be a mapping of source column: entity column, not %s",
                               what, describe(val));
    int count = fy_node_mapping_item_count(val);
    *src = calloc(count > 0 ? (size_t)count : 1, sizeof **src);
    *ent = calloc(count > 0 ? (size_t)count : 1, sizeof **ent);
    if (!*src || !*ent)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node_pair *pair;
    while (*n < (size_t)count && (pair = fy_node_mapping_iterate(val, &it))) {
        co_code code = scalar_text(w, fy_node_pair_key(pair), at, "a source column",
                                   "a column name", &(*src)[*n]);
        if (code == CO_OK)
            code = scalar_text(w, fy_node_pair_value(pair), at, "an entity column",
                               "a column name", &(*ent)[*n]);
        (*n)++;
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static co_code set_reverse_key(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                               void *obj)
{
    co_reverse *r = obj;
    return column_pairs(w, key, val, f->key, &r->key_source, &r->key_entity, &r->nkey);
}

static co_code set_reverse_columns(walk *w, const field *f, struct fy_node *key,
                                   struct fy_node *val, void *obj)
{
    co_reverse *r = obj;
    return column_pairs(w, key, val, f->key, &r->col_source, &r->col_entity, &r->ncols);
}

static const field reverse_fields[] = {
    {"table", true, set_text, offsetof(co_reverse, table)},
    {"key", true, set_reverse_key, 0},
    {"columns", false, set_reverse_columns, 0},
};

static co_code set_reverse(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"reverse\" must be a mapping (table, key, columns), not %s",
                               describe(val));
    if (!e->reverse && !(e->reverse = calloc(1, sizeof *e->reverse)))
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    return walk_fields(w, val, at, reverse_fields, sizeof reverse_fields / sizeof reverse_fields[0], e->reverse, "in reverse",
                       NULL);
}

static const field verify_fields[] = {
    {"round", false, set_verify_round, 0},
};

static co_code set_verify(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                          void *obj)
{
    (void)f;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"verify\" must be a mapping (round), not %s", describe(val));
    return walk_fields(w, val, at, verify_fields, sizeof verify_fields / sizeof verify_fields[0],
                       obj, "in verify", NULL);
}

/* refs: a mapping of output column -> entity name; validate.c checks the
 * entities once they are all known. */
static co_code set_refs(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                        void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = mark_or(val, node_mark(key));
    for (size_t i = 0; i < e->nrefs; i++) {
        free(e->refs[i].column);
        free(e->refs[i].entity);
    }
    free(e->refs);
    e->refs = NULL;
    e->nrefs = 0;

    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"refs\" must be a mapping of column: entity, not %s",
                               describe(val));
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
        ref->mark = mark_or(col, at);
        co_code code = scalar_text(w, col, at, "each key of \"refs\"", "a column name",
                                   &ref->column);
        if (code != CO_OK)
            return code;
        char subject[128], buf[80];
        snprintf(subject, sizeof subject, "\"refs\" of column \"%s\"",
                 co_project_shown(ref->column, strlen(ref->column), buf, sizeof buf));
        code = scalar_text(w, to, ref->mark, subject, "the name of an earlier entity",
                           &ref->entity);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

/* ---- merge ---- */

/* One SQL expression, or a sequence of them, into *list (heap) and *n. */
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

static co_code expr_list(walk *w, const char *name, struct fy_node *key, struct fy_node *val,
                         char ***list, size_t *n)
{
    co_mark at = mark_or(val, node_mark(key));
    char item_subject[64], subject[64];
    snprintf(subject, sizeof subject, "\"%s\"", name);
    snprintf(item_subject, sizeof item_subject, "each item of \"%s\"", name);
    bool seq = !is_null(val) && fy_node_get_type(val) == FYNT_SEQUENCE;
    if (!seq && (is_null(val) || fy_node_get_type(val) != FYNT_SCALAR))
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "%s must be a SQL expression or a sequence of them, not %s",
                               subject, describe(val));
    int count = seq ? fy_node_sequence_item_count(val) : 1;
    if (count <= 0)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "%s must hold at least one SQL expression", subject);
    *list = calloc((size_t)count, sizeof **list);
    if (!*list)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    if (!seq) {
        co_code code = scalar_text(w, val, at, subject, "a SQL expression", &(*list)[0]);
        *n = code == CO_OK;
        return code;
    }
    void *it = NULL;
    struct fy_node *item;
    while (*n < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
        co_code code = scalar_text(w, item, at, item_subject, "a SQL expression", &(*list)[*n]);
        if (code != CO_OK)
            return code;
        if (!parens_balance((*list)[(*n)++]))
            return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(item, at),
                                   "an item of %s has unbalanced parentheses: in a [flow, "
                                   "sequence] YAML splits at commas, so quote an expression "
                                   "that holds one (\"substr(x, 1, 3)\") or use one item per "
                                   "line",
                                   subject);
    }
    return CO_OK;
}

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

/* A survivorship rule: "latest(updated_at)", "prefer(title IS NOT NULL)",
 * "union", "union(',')". For the survivor key only min, max, latest and
 * earliest make sense. */
static co_code merge_rule(walk *w, struct fy_node *val, co_mark fallback, const char *subject,
                          bool for_survivor, co_merge_rule *out)
{
    co_mark at = mark_or(val, fallback);
    char *text = NULL;
    const char *expected = for_survivor ? "min, max, latest(column) or earliest(column)"
                                        : "a survivorship rule";
    co_code code = scalar_text(w, val, at, subject, expected, &text);
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
    bool shape_ok = true;
    if (*rest == '(') {
        char *end = rest + strlen(rest);
        while (end > rest && (end[-1] == ' ' || end[-1] == '\n'))
            end--;
        shape_ok = end > rest + 1 && end[-1] == ')';
        if (shape_ok) {
            char *a = rest + 1, *z = end - 1;
            while (a < z && *a == ' ')
                a++;
            while (z > a && z[-1] == ' ')
                z--;
            if (z - a >= 2 && (*a == '\'' || *a == '"') && z[-1] == *a) {
                a++;
                z--;
            }
            arg = strndup(a, (size_t)(z - a));
            shape_ok = arg != NULL;
        }
    } else {
        shape_ok = *rest == '\0';
    }
    size_t r = 0;
    while (r < COUNT(merge_rules) &&
           !(strlen(merge_rules[r].name) == nlen && strncmp(merge_rules[r].name, p, nlen) == 0))
        r++;
    bool allowed = r < COUNT(merge_rules) &&
                   (!for_survivor || merge_rules[r].kind == CO_RULE_MIN ||
                    merge_rules[r].kind == CO_RULE_MAX || merge_rules[r].kind == CO_RULE_LATEST ||
                    merge_rules[r].kind == CO_RULE_EARLIEST);
    char buf[80];
    if (!shape_ok || !allowed)
        code = co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "%s must be %s, not \"%s\" (rules: survivor, first, latest(column), "
                               "earliest(column), max, min, prefer(condition), union, "
                               "union('sep'), concat, concat('sep'))",
                               subject, expected, co_project_shown(text, strlen(text), buf, sizeof buf));
    else if (merge_rules[r].arg == 1 && (!arg || !*arg))
        code = co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s: %s needs an argument, as in %s(%s)",
                               subject, merge_rules[r].name, merge_rules[r].name,
                               merge_rules[r].kind == CO_RULE_PREFER ? "title IS NOT NULL"
                                                                     : "updated_at");
    else if (merge_rules[r].arg == 0 && arg)
        code = co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s: %s takes no argument",
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

static co_code set_merge_on(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                            void *obj)
{
    co_merge *m = obj;
    return expr_list(w, f->key, key, val, &m->on, &m->non);
}

static co_code set_merge_survivor(walk *w, const field *f, struct fy_node *key,
                                  struct fy_node *val, void *obj)
{
    (void)f;
    return merge_rule(w, val, node_mark(key), "\"survivor\"", true, &((co_merge *)obj)->survivor);
}

static co_code set_merge_keep(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                              void *obj)
{
    (void)f;
    return merge_rule(w, val, node_mark(key), "\"keep\"", false, &((co_merge *)obj)->keep);
}

/* columns: { column: rule, ... } */
static co_code set_merge_columns(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                                 void *obj)
{
    (void)f;
    co_merge *m = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"columns\" of merge must be a mapping of column: rule, not %s",
                               describe(val));
    int count = fy_node_mapping_item_count(val);
    if (count <= 0)
        return CO_OK;
    m->columns = calloc((size_t)count, sizeof *m->columns);
    if (!m->columns)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node_pair *pair;
    while (m->ncolumns < (size_t)count && (pair = fy_node_mapping_iterate(val, &it))) {
        co_merge_rule *rule = &m->columns[m->ncolumns++];
        co_code code = scalar_text(w, fy_node_pair_key(pair), at, "each key of \"columns\"",
                                   "a column name", &rule->column);
        char subject[128], buf[80];
        if (code == CO_OK) {
            snprintf(subject, sizeof subject, "the rule of column \"%s\"",
                     co_project_shown(rule->column, strlen(rule->column), buf, sizeof buf));
            code = merge_rule(w, fy_node_pair_value(pair), mark_or(fy_node_pair_key(pair), at),
                              subject, false, rule);
        }
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static co_code set_similar_blocks(walk *w, const field *f, struct fy_node *key,
                                  struct fy_node *val, void *obj)
{
    co_merge *m = obj;
    return expr_list(w, f->key, key, val, &m->blocks, &m->nblocks);
}

/* A number into *out: from lo (above lo when !lo_in) to hi; expected says so
 * in messages ("a number from 0 to 1"). */
static co_code number_in(walk *w, const char *name, struct fy_node *key, struct fy_node *val,
                         double lo, bool lo_in, double hi, const char *expected, double *out)
{
    char *text = NULL, subject[64], buf[80];
    snprintf(subject, sizeof subject, "\"%s\"", name);
    co_code code = scalar_text(w, val, node_mark(key), subject, expected, &text);
    if (code != CO_OK)
        return code;
    char *end;
    double d = strtod(text, &end);
    if (end == text || *end || !((lo_in ? d >= lo : d > lo) && d <= hi))
        code = co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "%s must be %s, not \"%s\"", subject, expected,
                               co_project_shown(text, strlen(text), buf, sizeof buf));
    else
        *out = d;
    free(text);
    return code;
}

static co_code fraction(walk *w, const char *name, struct fy_node *key, struct fy_node *val,
                        double *out)
{
    return number_in(w, name, key, val, 0, true, 1, "a number from 0 to 1", out);
}

static co_code set_similar_review(walk *w, const field *f, struct fy_node *key,
                                  struct fy_node *val, void *obj)
{
    return fraction(w, f->key, key, val, &((co_merge *)obj)->review_at);
}

static co_code set_similar_merge(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                                 void *obj)
{
    return fraction(w, f->key, key, val, &((co_merge *)obj)->merge_at);
}

static co_code set_compare_expr(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                                void *obj)
{
    return store_text(w, f, key, val, obj, "a SQL expression");
}

static co_code set_compare_weight(walk *w, const field *f, struct fy_node *key,
                                  struct fy_node *val, void *obj)
{
    return number_in(w, f->key, key, val, 0, false, 1000, "a number above 0 and at most 1000",
                     &((co_merge_compare *)obj)->weight);
}

/* by: one of the comparisons the linker knows, listed when it is not. */
static co_code set_compare_by(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                              void *obj)
{
    co_code code = store_text(w, f, key, val, obj, "a comparison name");
    const char *by = ((co_merge_compare *)obj)->by;
    if (code != CO_OK || co_compare_kind_parse(by) != CO_CMP_KIND_COUNT)
        return code;
    char kinds[160] = "", buf[80];
    for (int k = 0; k < CO_CMP_KIND_COUNT; k++) {
        size_t used = strlen(kinds);
        snprintf(kinds + used, sizeof kinds - used, "%s%s", k ? ", " : "",
                 co_compare_kind_name((co_compare_kind)k));
    }
    return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                           "\"by\" must be one of %s, not \"%s\"", kinds,
                           co_project_shown(by, strlen(by), buf, sizeof buf));
}

/* floor: a number from 0 to below 1, or none (every bit of similarity counts). */
static co_code set_compare_floor(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    co_merge_compare *c = obj;
    const char *text = !is_null(val) && fy_node_get_type(val) == FYNT_SCALAR
                           ? fy_node_get_scalar0(val)
                           : NULL;
    if (text && strcmp(text, "none") == 0) {
        c->floor = CO_LINK_NO_FLOOR;
        return CO_OK;
    }
    co_code code = number_in(w, f->key, key, val, 0, true, 1,
                             "a number from 0 to below 1, or none", &c->floor);
    if (code == CO_OK && c->floor >= 1)
        code = co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"floor\" must be below 1 (nothing would ever earn)");
    return code;
}

static co_code set_compare_agree(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    return fraction(w, f->key, key, val, &((co_merge_compare *)obj)->agree_at);
}

static co_code set_compare_scale(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    return number_in(w, f->key, key, val, 0, true, 1e12, "a number of 0 or more",
                     &((co_merge_compare *)obj)->scale);
}

static const field compare_fields[] = {
    {"expr", true, set_compare_expr, offsetof(co_merge_compare, expr)},
    {"by", true, set_compare_by, offsetof(co_merge_compare, by)},
    {"name", false, set_text, offsetof(co_merge_compare, name)},
    {"weight", false, set_compare_weight, 0},
    {"floor", false, set_compare_floor, 0},
    {"agree_at", false, set_compare_agree, 0},
    {"scale", false, set_compare_scale, 0},
};

/* compare: [ { expr: SQL, by: jaro_winkler, weight: 2 }, ... ] */
static co_code set_similar_compare(walk *w, const field *f, struct fy_node *key,
                                   struct fy_node *val, void *obj)
{
    (void)f;
    co_merge *m = obj;
    co_mark at = mark_or(val, node_mark(key));
    int count = !is_null(val) && fy_node_get_type(val) == FYNT_SEQUENCE
                    ? fy_node_sequence_item_count(val)
                    : -1;
    if (count <= 0)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"compare\" must be a sequence of { expr, by, weight, ... }, not %s",
                               describe(val));
    if (count > CO_LINK_MAX_FIELDS)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"compare\" has %d items; at most %d are compared", count,
                               CO_LINK_MAX_FIELDS);
    m->compare = calloc((size_t)count, sizeof *m->compare);
    if (!m->compare)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while (m->ncompare < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
        co_merge_compare *c = &m->compare[m->ncompare++];
        c->weight = 1;
        c->mark = mark_or(item, at);
        if (is_null(item) || fy_node_get_type(item) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, c->mark,
                                   "each item of \"compare\" must be a mapping { expr, by, "
                                   "weight, ... }, not %s",
                                   describe(item));
        co_code code = walk_fields(w, item, c->mark, compare_fields, COUNT(compare_fields), c,
                                   "in an item of compare", NULL);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static const field similar_fields[] = {
    {"blocks", true, set_similar_blocks, 0},
    {"compare", true, set_similar_compare, 0},
    {"review_at", false, set_similar_review, 0},
    {"merge_at", false, set_similar_merge, 0},
};

static co_code set_merge_similar(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                                 void *obj)
{
    (void)f;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"similar\" must be a mapping (blocks, compare, review_at, "
                               "merge_at), not %s",
                               describe(val));
    co_merge *m = obj;
    co_code code = walk_fields(w, val, at, similar_fields, COUNT(similar_fields), m, "in similar",
                               NULL);
    if (code == CO_OK && m->review_at > m->merge_at)
        code = co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"review_at\" (%g) must not be above \"merge_at\" (%g)",
                               m->review_at, m->merge_at);
    return code;
}

static const field merge_fields[] = {
    {"on", false, set_merge_on, 0},
    {"survivor", false, set_merge_survivor, 0},
    {"keep", false, set_merge_keep, 0},
    {"columns", false, set_merge_columns, 0},
    {"similar", false, set_merge_similar, 0},
};

static co_code set_merge(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                         void *obj)
{
    (void)f;
    co_entity *e = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"merge\" must be a mapping (on, survivor, keep, columns, "
                               "similar), not %s",
                               describe(val));
    co_merge_release(e->merge);
    if (!(e->merge = calloc(1, sizeof *e->merge)))
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    co_merge *m = e->merge;
    m->mark = at;
    m->survivor.kind = CO_RULE_MIN;
    m->keep.kind = CO_RULE_SURVIVOR;
    m->review_at = 0.8;
    m->merge_at = 0.95;
    co_code code = walk_fields(w, val, at, merge_fields, COUNT(merge_fields), m, "in merge", NULL);
    if (code == CO_OK && m->non == 0 && m->nblocks == 0)
        code = co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"merge\" needs \"on\" (rows equal on these expressions merge), "
                               "\"similar\" (similar rows are scored), or both");
    return code;
}

/* ---- mappings ---- */

static co_code set_retention(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                             void *obj)
{
    long n;
    co_code code = whole_number(w, f->key, key, val, 1, 3650, &n);
    if (code == CO_OK)
        ((co_project *)obj)->retention_days = (int)n;
    return code;
}

static co_code set_freeze_heartbeat(walk *w, const field *f, struct fy_node *key,
                                    struct fy_node *val, void *obj)
{
    long n;
    co_code code = whole_number(w, f->key, key, val, 1, 3600, &n);
    if (code == CO_OK)
        ((co_project *)obj)->freeze_heartbeat_seconds = (int)n;
    return code;
}

static const field option_fields[] = {
    {"batch_size", false, set_batch_size, offsetof(co_project, batch_size)},
    {"freeze_heartbeat_seconds", false, set_freeze_heartbeat, 0},
    {"retention_days", false, set_retention, 0},
    {"rejects_dir", false, set_text, offsetof(co_project, rejects_dir)},
};

static const field entity_fields[] = {
    {"name", true, set_name, offsetof(co_entity, name)},
    {"target", false, set_text, offsetof(co_entity, target)},
    {"key", true, set_key, 0},
    {"target_key", false, set_text, offsetof(co_entity, target_key)},
    {"tenant_column", false, set_text, offsetof(co_entity, tenant_column)},
    {"query", true, set_query, offsetof(co_entity, query)},
    {"refs", false, set_refs, 0},
    {"volume", false, set_volume, 0},
    {"verify", false, set_verify, 0},
    {"duplicates", false, set_duplicates, 0},
    {"follows", false, set_follows, 0},
    {"reverse", false, set_reverse, 0},
    {"merge", false, set_merge, 0},
    {"source_table", false, set_text, offsetof(co_entity, source_table)},
    {"source_tenant_column", false, set_text, offsetof(co_entity, source_tenant_column)},
};

static co_code set_options(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"options\" must be a mapping, not %s", describe(val));
    return walk_fields(w, val, node_mark(val), option_fields, COUNT(option_fields), obj,
                       "in options", NULL);
}

static co_code set_entities(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                            void *obj)
{
    (void)f;
    co_project *p = obj;
    co_mark at = mark_or(val, node_mark(key));
    for (size_t i = 0; i < p->nentities; i++)
        co_entity_release(&p->entities[i]);
    free(p->entities);
    p->entities = NULL;
    p->nentities = 0;

    if (is_null(val) || fy_node_get_type(val) != FYNT_SEQUENCE)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"entities\" must be a sequence of entities, not %s",
                               describe(val));
    int count = fy_node_sequence_item_count(val);
    if (count <= 0)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"entities\" must list at least one entity");
    p->entities = calloc((size_t)count, sizeof *p->entities);
    if (!p->entities)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while (p->nentities < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
        co_entity *e = &p->entities[p->nentities++];
        e->mark = mark_or(item, at);
        if (is_null(item) || fy_node_get_type(item) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, e->mark,
                                   "each item of \"entities\" must be a mapping (an entity with "
                                   "name, key and query), not %s",
                                   describe(item));
        co_code code = walk_fields(w, item, e->mark, entity_fields, COUNT(entity_fields), e,
                                   "in entity", &e->name);
        if (code != CO_OK)
            return code;
        if (!e->target && !(e->target = strdup(e->name)))
            return co_project_fail(w->err, CO_ENOMEM, w->name, e->mark, "out of memory");
    }
    return CO_OK;
}

static co_code set_capture_key(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                               void *obj)
{
    co_capture_table *t = obj;
    return column_list(w, f->key, key, val, &t->key, &t->nkey);
}

static const field capture_fields[] = {
    {"table", true, set_text, offsetof(co_capture_table, table)},
    {"key", true, set_capture_key, 0},
    {"tenant", true, set_text, offsetof(co_capture_table, tenant)},
};

/* capture: a sequence of { table, key, tenant }. */
static co_code set_capture(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    co_project *p = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_SEQUENCE)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"capture\" must be a sequence of tables, not %s", describe(val));
    int count = fy_node_sequence_item_count(val);
    p->capture = calloc(count > 0 ? (size_t)count : 1, sizeof *p->capture);
    if (!p->capture)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while (p->ncapture < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
        co_capture_table *t = &p->capture[p->ncapture++];
        t->mark = mark_or(item, at);
        if (is_null(item) || fy_node_get_type(item) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, t->mark,
                                   "each item of \"capture\" must be a mapping (table, key, "
                                   "tenant), not %s",
                                   describe(item));
        co_code code = walk_fields(w, item, t->mark, capture_fields, COUNT(capture_fields), t,
                                   "in capture", &t->table);
        if (code != CO_OK)
            return code;
        if (!strstr(t->tenant, "{row}"))
            return co_project_fail(w->err, CO_EPROJECT, w->name, t->mark,
                                   "the \"tenant\" of captured table %s must use {row} for the "
                                   "row, as in {row}.account_id",
                                   t->table);
    }
    return CO_OK;
}

static co_code set_hook(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                        void *obj)
{
    return set_text(w, f, key, val, obj);
}

static const field hook_fields[] = {
    {"before_copy", false, set_hook, offsetof(co_project, hooks) + CO_HOOK_BEFORE_COPY * sizeof(char *)},
    {"on_freeze", false, set_hook, offsetof(co_project, hooks) + CO_HOOK_ON_FREEZE * sizeof(char *)},
    {"on_switch", false, set_hook, offsetof(co_project, hooks) + CO_HOOK_ON_SWITCH * sizeof(char *)},
    {"on_rollback", false, set_hook, offsetof(co_project, hooks) + CO_HOOK_ON_ROLLBACK * sizeof(char *)},
    {"on_failure", false, set_hook, offsetof(co_project, hooks) + CO_HOOK_ON_FAILURE * sizeof(char *)},
    {"on_alert", false, set_hook, offsetof(co_project, hooks) + CO_HOOK_ON_ALERT * sizeof(char *)},
};

static co_code set_hooks(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                         void *obj)
{
    (void)f;
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"hooks\" must be a mapping of phase: command, not %s",
                               describe(val));
    return walk_fields(w, val, node_mark(val), hook_fields, COUNT(hook_fields), obj, "in hooks",
                       NULL);
}

/* monitor, budgets, approvals: defined at the end of this file. */
static co_code set_monitor(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj);
static co_code set_budgets(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj);
static co_code set_approvals(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                             void *obj);
/* ---- events: behavioural-data sources (docs/scoring.md) ---- */

static const field event_source_fields[] = {
    {"uri", true, set_uri, offsetof(co_event_source, uri)},
    {"table", true, set_text, offsetof(co_event_source, table)},
    {"person", false, set_text, offsetof(co_event_source, person)},
    {"account", false, set_text, offsetof(co_event_source, account)},
    {"event", false, set_text, offsetof(co_event_source, event)},
    {"time", false, set_text, offsetof(co_event_source, time)},
    {"properties", false, set_text, offsetof(co_event_source, properties)},
};

static co_code default_text(walk *w, char **slot, const char *value)
{
    if (!*slot && !(*slot = strdup(value)))
        return co_error_set(w->err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

static co_code set_event_sources(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    (void)f;
    co_project *p = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"sources\" must be a mapping of source names to tables, not %s",
                               describe(val));
    int count = fy_node_mapping_item_count(val);
    p->event_sources = calloc(count > 0 ? (size_t)count : 1, sizeof *p->event_sources);
    if (!p->event_sources)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node_pair *pair;
    while (p->nevent_sources < (size_t)count && (pair = fy_node_mapping_iterate(val, &it))) {
        struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
        co_event_source *e = &p->event_sources[p->nevent_sources++];
        e->mark = mark_or(k, at);
        co_code code = scalar_text(w, k, e->mark, "an event source's name", "a name", &e->name);
        if (code != CO_OK)
            return code;
        if (!co_project_valid_name(e->name))
            return co_project_fail(w->err, CO_EPROJECT, w->name, e->mark,
                                   "event source name \"%s\" must be letters, digits and _",
                                   e->name);
        for (size_t i = 0; i + 1 < p->nevent_sources; i++)
            if (strcmp(p->event_sources[i].name, e->name) == 0)
                return co_project_fail(w->err, CO_EPROJECT, w->name, e->mark,
                                       "event source \"%s\" is declared twice", e->name);
        if (is_null(v) || fy_node_get_type(v) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(v, e->mark),
                                   "event source \"%s\" must be a mapping (uri, table, ...), "
                                   "not %s",
                                   e->name, describe(v));
        code = walk_fields(w, v, mark_or(v, e->mark), event_source_fields,
                           COUNT(event_source_fields), e, "in event source", &e->name);
        if (code == CO_OK)
            code = default_text(w, &e->person, "person");
        if (code == CO_OK)
            code = default_text(w, &e->account, "account");
        if (code == CO_OK)
            code = default_text(w, &e->event, "event");
        if (code == CO_OK)
            code = default_text(w, &e->time, "occurred_at");
        if (code == CO_OK)
            code = default_text(w, &e->properties, "properties");
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static co_code set_events_tolerance(walk *w, const field *f, struct fy_node *key,
                                    struct fy_node *val, void *obj)
{
    return fraction(w, f->key, key, val, &((co_project *)obj)->events_tolerance);
}

static co_code set_similar_auc(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                               void *obj)
{
    return fraction(w, f->key, key, val, &((co_project *)obj)->similar_auc_delta);
}

static co_code set_similar_psi(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                               void *obj)
{
    return number_in(w, f->key, key, val, 0, false, 10, "a number above 0, at most 10",
                     &((co_project *)obj)->similar_psi);
}

static co_code set_similar_spearman(walk *w, const field *f, struct fy_node *key,
                                    struct fy_node *val, void *obj)
{
    return number_in(w, f->key, key, val, -1, true, 1, "a number from -1 to 1",
                     &((co_project *)obj)->similar_spearman);
}

static const field events_similar_fields[] = {
    {"auc_delta", false, set_similar_auc, 0},
    {"psi", false, set_similar_psi, 0},
    {"spearman", false, set_similar_spearman, 0},
};

static co_code set_events_similar(walk *w, const field *f, struct fy_node *key,
                                  struct fy_node *val, void *obj)
{
    (void)f;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"similar\" must be a mapping (auc_delta, psi, spearman), not %s",
                               describe(val));
    return walk_fields(w, val, at, events_similar_fields, COUNT(events_similar_fields), obj,
                       "in events.similar", NULL);
}

static const field events_fields[] = {
    {"sources", true, set_event_sources, 0},
    {"tolerance", false, set_events_tolerance, 0},
    {"similar", false, set_events_similar, 0},
};

static co_code set_events(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                          void *obj)
{
    (void)f;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"events\" must be a mapping (sources, tolerance, similar), "
                               "not %s",
                               describe(val));
    return walk_fields(w, val, at, events_fields, COUNT(events_fields), obj, "in events", NULL);
}

/* ---- orphans: rows of no tenant left behind on purpose ---- */

/* tenant_value: null (rows whose tenant is NULL), unknown (every value that
 * names no tenant), or a list of values (a null item for NULL). */
static co_code set_orphan_values(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    co_orphan_rule *r = obj;
    co_mark at = mark_or(val, node_mark(key));
    size_t len = 0;
    const char *text = val && fy_node_get_type(val) == FYNT_SCALAR
                           ? fy_node_get_scalar(val, &len)
                           : NULL;
    r->nulls = r->unknown = false;
    if (text && len && is_null(val)) {
        r->nulls = true;
        return CO_OK;
    }
    if (text && len == 7 && memcmp(text, "unknown", 7) == 0 &&
        fy_node_get_style(val) == FYNS_PLAIN) {
        r->unknown = true;
        return CO_OK;
    }
    if (is_null(val) || fy_node_get_type(val) != FYNT_SEQUENCE)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be null (rows whose tenant is NULL), unknown (rows "
                               "naming no tenant) or a list of tenant values, not %s",
                               f->key, describe(val));
    int count = fy_node_sequence_item_count(val);
    r->values = calloc(count > 0 ? (size_t)count : 1, sizeof *r->values);
    if (!r->values)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(val, &it))) {
        size_t ilen = 0;
        const char *itext = fy_node_get_type(item) == FYNT_SCALAR
                                ? fy_node_get_scalar(item, &ilen)
                                : NULL;
        if (itext && ilen && is_null(item)) {
            r->nulls = true;
            continue;
        }
        co_code code = scalar_text(w, item, at, "each item of \"tenant_value\"",
                                   "a tenant value", &r->values[r->nvalues]);
        if (code != CO_OK)
            return code;
        r->nvalues++;
    }
    return CO_OK;
}

static const field orphan_fields[] = {
    {"table", false, set_text, offsetof(co_orphan_rule, table)},
    {"tenant_value", false, set_orphan_values, 0},
    {"reason", true, set_text, offsetof(co_orphan_rule, reason)},
};

static co_code set_orphans(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    co_project *p = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_SEQUENCE)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"orphans\" must be a sequence of rules (table, tenant_value, "
                               "reason), not %s",
                               describe(val));
    int count = fy_node_sequence_item_count(val);
    p->orphans = calloc(count > 0 ? (size_t)count : 1, sizeof *p->orphans);
    if (!p->orphans)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while (p->norphans < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
        co_orphan_rule *r = &p->orphans[p->norphans++];
        r->mark = mark_or(item, at);
        r->nulls = r->unknown = true; /* no tenant_value: both kinds */
        if (is_null(item) || fy_node_get_type(item) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, r->mark,
                                   "each item of \"orphans\" must be a mapping (table, "
                                   "tenant_value, reason), not %s",
                                   describe(item));
        co_code code = walk_fields(w, item, r->mark, orphan_fields, COUNT(orphan_fields), r,
                                   "in an orphans rule", NULL);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static const field top_fields[] = {
    {"source", true, set_uri, offsetof(co_project, source)},
    {"target", true, set_uri, offsetof(co_project, target)},
    {"staging", false, set_uri, offsetof(co_project, staging)},
    {"state", false, set_uri, offsetof(co_project, state)},
    {"tenants", true, set_text, offsetof(co_project, tenants_query)},
    {"options", false, set_options, 0},
    {"entities", true, set_entities, 0},
    {"capture", false, set_capture, 0},
    {"hooks", false, set_hooks, 0},
    {"monitor", false, set_monitor, 0},
    {"budgets", false, set_budgets, 0},
    {"approvals", false, set_approvals, 0},
    {"events", false, set_events, 0},
    {"orphans", false, set_orphans, 0},
};

/* "name, target, key, ..." for messages. */
static const char *key_list(const field *fields, size_t nfields, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nfields && n < cap; i++) {
        int k = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", fields[i].key);
        if (k < 0)
            break;
        n += (size_t)k;
    }
    return buf;
}

/* Walks the pairs of map (which starts at map_at): each key must be in
 * fields, each required field must be present. context ("in options") and
 * *owner (the entity's name once known) complete the messages. */
static co_code walk_fields(walk *w, struct fy_node *map, co_mark map_at, const field *fields,
                           size_t nfields, void *obj, const char *context, char *const *owner)
{
    uint32_t seen = 0;
    void *it = NULL;
    struct fy_node_pair *pair;
    char list[256], buf[80];
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *key = fy_node_pair_key(pair), *val = fy_node_pair_value(pair);
        if (is_null(key) || fy_node_get_type(key) != FYNT_SCALAR)
            return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(key, map_at),
                                   "expected a key name %s (one of: %s), not %s", context,
                                   key_list(fields, nfields, list, sizeof list), describe(key));
        size_t klen = 0;
        const char *k = fy_node_get_scalar(key, &klen);
        const field *f = NULL;
        size_t i;
        for (i = 0; k && i < nfields; i++)
            if (strlen(fields[i].key) == klen && memcmp(fields[i].key, k, klen) == 0) {
                f = &fields[i];
                break;
            }
        if (!f) {
            co_project_shown(k ? k : "", k ? klen : 0, buf, sizeof buf);
            return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(key, map_at),
                                   "unknown key \"%s\" %s (expected one of: %s)", buf, context,
                                   key_list(fields, nfields, list, sizeof list));
        }
        seen |= UINT32_C(1) << i;
        co_code code = f->set(w, f, key, val, obj);
        if (code != CO_OK)
            return code;
    }
    for (size_t i = 0; i < nfields; i++) {
        if (!fields[i].required || (seen & (UINT32_C(1) << i)))
            continue;
        if (owner && *owner)
            return co_project_fail(w->err, CO_EPROJECT, w->name, map_at,
                                   "missing required key \"%s\" %s \"%s\"", fields[i].key,
                                   context, *owner);
        return co_project_fail(w->err, CO_EPROJECT, w->name, map_at,
                               "missing required key \"%s\" %s", fields[i].key, context);
    }
    return CO_OK;
}

/* ---- the document ---- */

static void keep_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    co_buf *b = user;
    if (b->len == 0)
        co_buf_add(b, buf, len);
}

/* Turns libfyaml's first collected error (or what it wrote) into err. */
static co_code yaml_fail(walk *w, struct fy_diag *diag, const co_buf *output)
{
    void *it = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &it))) {
        if (e->type < FYET_ERROR)
            continue;
        co_mark at = {e->line > 0 ? e->line : 0, e->column > 0 ? e->column : 0};
        return co_project_fail(w->err, CO_EPROJECT, w->name, at, "invalid YAML: %s",
                               e->msg && *e->msg ? e->msg : "syntax error");
    }
    co_mark none = {0, 0};
    if (output->len) {
        char buf[80];
        return co_project_fail(w->err, CO_EPROJECT, w->name, none, "invalid YAML: %s",
                               co_project_shown(output->data, output->len, buf, sizeof buf));
    }
    return co_project_fail(w->err, CO_EPROJECT, w->name, none, "invalid YAML");
}

static co_code walk_document(walk *w, struct fy_document *doc, co_project *p)
{
    co_mark start = {1, 1};
    struct fy_node *root = fy_document_root(doc);
    if (is_null(root))
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(root, start),
                               "the project file is empty (expected a mapping with source, "
                               "target, tenants and entities)");
    if (fy_node_get_type(root) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(root, start),
                               "the project file must be a mapping with source, target, tenants "
                               "and entities, not %s",
                               describe(root));
    co_code code = walk_fields(w, root, mark_or(root, start), top_fields, COUNT(top_fields), p,
                               "at the top level", NULL);
    if (code != CO_OK)
        return code;

    if (!p->state && !(p->state = strdup(CO_PROJECT_STATE_DEFAULT)))
        return co_error_set(w->err, CO_ENOMEM, "out of memory");
    if (!p->rejects_dir && !(p->rejects_dir = strdup(CO_PROJECT_REJECTS_DEFAULT)))
        return co_error_set(w->err, CO_ENOMEM, "out of memory");
    if (p->batch_size == 0)
        p->batch_size = CO_PROJECT_BATCH_DEFAULT;
    if (p->retention_days == 0)
        p->retention_days = 30;
    if (p->freeze_heartbeat_seconds == 0)
        p->freeze_heartbeat_seconds = 5;
    co_project_aftercare_defaults(p);
    code = co_project_aftercare_check(p, w->name, w->err);
    if (code != CO_OK)
        return code;
    if (p->events_tolerance == 0)
        p->events_tolerance = 0.05;
    if (p->similar_auc_delta == 0)
        p->similar_auc_delta = 0.02;
    if (p->similar_psi == 0)
        p->similar_psi = 0.1;
    if (p->similar_spearman == 0)
        p->similar_spearman = 0.9;
    return co_project_check(p, w->name, w->err);
}

co_code co_project_walk(co_project *p, const char *text, size_t len, const char *name,
                        co_error *err)
{
    walk w = {.name = name, .text = text, .len = len, .err = err};
    co_buf output = CO_BUF_INIT;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = keep_output;
    dcfg.user = &output;
    dcfg.level = FYET_ERROR;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    fy_diag_set_collect_errors(diag, true);

    struct fy_parse_cfg pcfg = {
        .flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT | FYPCF_DEFAULT_VERSION_1_2,
        .diag = diag,
    };
    struct fy_parser *parser = fy_parser_create(&pcfg);
    struct fy_document *doc = NULL;
    co_code code = CO_OK;
    if (!parser || fy_parser_set_string(parser, text, len) != 0) {
        code = co_error_set(err, CO_ENOMEM, "out of memory");
        goto done;
    }

    doc = fy_parse_load_document(parser);
    if (!doc) {
        if (fy_parser_get_stream_error(parser) || fy_diag_got_error(diag) || output.len) {
            code = yaml_fail(&w, diag, &output);
        } else {
            co_mark start = {1, 1};
            code = co_project_fail(err, CO_EPROJECT, name, start,
                                   "the project file is empty (expected a mapping with source, "
                                   "target, tenants and entities)");
        }
        goto done;
    }
    /* A second document would be ignored by the walk: refuse it. */
    struct fy_document *more = fy_parse_load_document(parser);
    if (more) {
        co_mark at = mark_of(fy_document_state_start_mark(fy_document_get_document_state(more)));
        fy_parse_document_destroy(parser, more);
        code = co_project_fail(err, CO_EPROJECT, name, at,
                               "the project file must hold one YAML document, but a second one "
                               "starts here");
        goto done;
    }
    if (fy_parser_get_stream_error(parser) || fy_diag_got_error(diag)) {
        code = yaml_fail(&w, diag, &output);
        goto done;
    }
    code = walk_document(&w, doc, p);

done:
    if (doc)
        fy_parse_document_destroy(parser, doc);
    if (parser)
        fy_parser_destroy(parser);
    fy_diag_destroy(diag);
    co_buf_release(&output);
    return code;
}

/* ---- monitor, budgets, approvals (docs/monitor.md) ---- */

/* A share: "50%" or a plain fraction ("0.5"), from 0 to 100 (10000%). */
static co_code share(walk *w, const char *name, struct fy_node *key, struct fy_node *val,
                     double *out)
{
    char *text = NULL, subject[64], buf[80];
    snprintf(subject, sizeof subject, "\"%s\"", name);
    co_code code = scalar_text(w, val, node_mark(key), subject, "a fraction or a percentage",
                               &text);
    if (code != CO_OK)
        return code;
    size_t len = strlen(text);
    bool percent = len > 1 && text[len - 1] == '%';
    char *end;
    double d = strtod(text, &end);
    if (percent && end == text + len - 1)
        end++, d /= 100.0;
    if (end == text || *end || !(d >= 0 && d <= 100))
        code = co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "%s must be a fraction (0.5) or a percentage (50%%), not \"%s\"",
                               subject, co_project_shown(text, len, buf, sizeof buf));
    else
        *out = d;
    free(text);
    return code;
}

static co_code set_monitor_days(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                                void *obj)
{
    long n;
    co_code code = whole_number(w, f->key, key, val, 1, 366, &n);
    if (code == CO_OK)
        ((co_monitor_spec *)obj)->days = (int)n;
    return code;
}

static co_code set_monitor_weeks(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    long n;
    co_code code = whole_number(w, f->key, key, val, 1, 52, &n);
    if (code == CO_OK)
        ((co_monitor_spec *)obj)->weeks = (int)n;
    return code;
}

static co_code set_monitor_tolerance(walk *w, const field *f, struct fy_node *key,
                                     struct fy_node *val, void *obj)
{
    return share(w, f->key, key, val, &((co_monitor_spec *)obj)->tolerance);
}

static co_code set_monitor_min(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                               void *obj)
{
    return number_in(w, f->key, key, val, 0, true, 1e12, "a number of rows",
                     &((co_monitor_spec *)obj)->min_baseline);
}

static const field monitor_volume_fields[] = {
    {"entity", true, set_text, offsetof(co_monitor_volume, entity)},
    {"time", true, set_text, offsetof(co_monitor_volume, time)},
    {"by", false, set_text, offsetof(co_monitor_volume, by)},
};

static co_code set_monitor_volumes(walk *w, const field *f, struct fy_node *key,
                                   struct fy_node *val, void *obj)
{
    (void)f;
    co_monitor_spec *m = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_SEQUENCE || m->volumes)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"volumes\" must be a sequence of {entity, time, by}, not %s",
                               describe(val));
    int count = fy_node_sequence_item_count(val);
    m->volumes = calloc(count > 0 ? (size_t)count : 1, sizeof *m->volumes);
    if (!m->volumes)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while (m->nvolumes < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
        co_monitor_volume *v = &m->volumes[m->nvolumes++];
        v->mark = mark_or(item, at);
        if (is_null(item) || fy_node_get_type(item) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, v->mark,
                                   "each item of \"volumes\" must be a mapping (entity, time, "
                                   "by), not %s",
                                   describe(item));
        co_code code = walk_fields(w, item, v->mark, monitor_volume_fields,
                                   COUNT(monitor_volume_fields), v, "in monitor.volumes",
                                   &v->entity);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static const field monitor_fields[] = {
    {"days", false, set_monitor_days, 0},
    {"weeks", false, set_monitor_weeks, 0},
    {"tolerance", false, set_monitor_tolerance, 0},
    {"min_baseline", false, set_monitor_min, 0},
    {"volumes", false, set_monitor_volumes, 0},
};

static co_code set_monitor(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    co_project *p = obj;
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING)
        return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"monitor\" must be a mapping (days, weeks, tolerance, "
                               "min_baseline, volumes), not %s",
                               describe(val));
    return walk_fields(w, val, node_mark(val), monitor_fields, COUNT(monitor_fields),
                       &p->monitor, "in monitor", NULL);
}

/* budget: seconds ("0.5", "2s") or milliseconds ("250ms"), above 0. */
static co_code set_budget_seconds(walk *w, const field *f, struct fy_node *key,
                                  struct fy_node *val, void *obj)
{
    char *text = NULL, buf[80];
    co_code code = scalar_text(w, val, node_mark(key), "\"budget\"", "a duration", &text);
    if (code != CO_OK)
        return code;
    char *end;
    double d = strtod(text, &end);
    if (strcmp(end, "ms") == 0)
        d /= 1000.0, end += 2;
    else if (strcmp(end, "s") == 0)
        end++;
    if (end == text || *end || !(d > 0 && d <= 86400))
        code = co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(val, node_mark(key)),
                               "\"%s\" must be a duration above 0 (0.5, 2s or 250ms), not \"%s\"",
                               f->key, co_project_shown(text, strlen(text), buf, sizeof buf));
    else
        ((co_budget_query *)obj)->budget = d;
    free(text);
    return code;
}

static co_code set_budget_repeat(walk *w, const field *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    long n;
    co_code code = whole_number(w, f->key, key, val, 1, 1000, &n);
    if (code == CO_OK)
        ((co_budget_query *)obj)->repeat = (int)n;
    return code;
}

static const field budget_fields[] = {
    {"name", true, set_name, offsetof(co_budget_query, name)},
    {"sql", true, set_text, offsetof(co_budget_query, sql)},
    {"budget", false, set_budget_seconds, 0},
    {"repeat", false, set_budget_repeat, 0},
};

static co_code set_budgets(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    (void)f;
    co_project *p = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_SEQUENCE || p->budgets)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"budgets\" must be a sequence of {name, sql, budget, repeat}, "
                               "not %s",
                               describe(val));
    int count = fy_node_sequence_item_count(val);
    p->budgets = calloc(count > 0 ? (size_t)count : 1, sizeof *p->budgets);
    if (!p->budgets)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while (p->nbudgets < (size_t)count && (item = fy_node_sequence_iterate(val, &it))) {
        co_budget_query *q = &p->budgets[p->nbudgets++];
        q->mark = mark_or(item, at);
        if (is_null(item) || fy_node_get_type(item) != FYNT_MAPPING)
            return co_project_fail(w->err, CO_EPROJECT, w->name, q->mark,
                                   "each item of \"budgets\" must be a mapping (name, sql, "
                                   "budget, repeat), not %s",
                                   describe(item));
        co_code code = walk_fields(w, item, q->mark, budget_fields, COUNT(budget_fields), q,
                                   "in budget", &q->name);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

/* approvals: { STEP: all | { size: [CLASS, ...] } }. */
static co_code set_approvals(walk *w, const field *f, struct fy_node *key, struct fy_node *val,
                             void *obj)
{
    (void)f;
    co_project *p = obj;
    co_mark at = mark_or(val, node_mark(key));
    if (is_null(val) || fy_node_get_type(val) != FYNT_MAPPING || p->approvals)
        return co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"approvals\" must be a mapping of step: all or step: {size: "
                               "[XL]}, not %s",
                               describe(val));
    int count = fy_node_mapping_item_count(val);
    p->approvals = calloc(count > 0 ? (size_t)count : 1, sizeof *p->approvals);
    if (!p->approvals)
        return co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node_pair *pair;
    while (p->napprovals < (size_t)count && (pair = fy_node_mapping_iterate(val, &it))) {
        struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
        co_approval_rule *r = &p->approvals[p->napprovals++];
        r->mark = mark_or(k, at);
        co_code code = scalar_text(w, k, at, "a step of \"approvals\"", "a step name", &r->step);
        if (code != CO_OK)
            return code;
        if (!co_project_valid_name(r->step))
            return co_project_fail(w->err, CO_EPROJECT, w->name, r->mark,
                                   "approval step \"%s\" is invalid (expected a name such as "
                                   "switch, finalize or publish_model)",
                                   r->step);
        size_t len = 0;
        const char *s = !is_null(v) && fy_node_get_type(v) == FYNT_SCALAR
                            ? fy_node_get_scalar(v, &len)
                            : NULL;
        if (s && len == 3 && memcmp(s, "all", 3) == 0) {
            r->all = true;
            continue;
        }
        if (is_null(v) || fy_node_get_type(v) != FYNT_MAPPING ||
            fy_node_mapping_item_count(v) != 1 || !fy_node_mapping_lookup_by_string(v, "size", 4))
            return co_project_fail(w->err, CO_EPROJECT, w->name, mark_or(v, r->mark),
                                   "approval of step %s must be all or {size: [XL]}, not %s",
                                   r->step, describe(v));
        struct fy_node *sizes = fy_node_mapping_lookup_by_string(v, "size", 4);
        code = column_list(w, "size", k, sizes, &r->sizes, &r->nsizes);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}
