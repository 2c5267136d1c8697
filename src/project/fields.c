/*
 * fields.c: the walk over one level of the project file with its table of
 * fields (fields.h): each key of a mapping must be a row, each required row
 * must be there, each value goes to its row's reader (values.c), and the
 * mappings, pointed-to mappings and sequences of mappings below are walked with
 * their own tables. The same tables give the defaults and free what was read.
 */
#include "project/fields.h"

#include <libfyaml.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *slot_of(void *obj, size_t offset) { return (char *)obj + offset; }

/* The array or struct pointer at offset (any object pointer type). */
static void *pointer_at(void *obj, size_t offset)
{
    void *p;
    memcpy(&p, slot_of(obj, offset), sizeof p);
    return p;
}

static void set_pointer_at(void *obj, size_t offset, void *p)
{
    memcpy(slot_of(obj, offset), &p, sizeof p);
}

/* "name, target, key, ..." for messages. */
static const char *key_list(const psection *s, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->nfields && n < cap; i++) {
        int k = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", s->fields[i].key);
        if (k < 0)
            break;
        n += (size_t)k;
    }
    return buf;
}

/* Makes a new item of s (zeroed) ready for its keys: the defaults of its rows,
 * s->init, its mark set to at. */
static co_code item_begin(pwalk *w, const psection *s, void *item, co_mark at)
{
    co_code code = Co_project_defaults(w, s, item);
    if (code != CO_OK)
        return code;
    if (s->init)
        s->init(item);
    if (s->mark)
        memcpy(slot_of(item, s->mark), &at, sizeof at);
    return CO_OK;
}

/* The keys of a mapping read into sub (the level below), then its finish. */
static co_code walk_below(pwalk *w, struct fy_node *map, co_mark at, const psection *sub,
                          void *item)
{
    co_code code = Co_project_walk_fields(w, map, at, sub, item);
    if (code == CO_OK && sub->finish)
        code = sub->finish(w, item, at);
    return code;
}

/* PF_MAP and PF_PTR: a mapping, its struct embedded or allocated on first use. */
static co_code set_mapping(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                           void *obj)
{
    const psection *sub = f->sub;
    co_mark at = Co_project_at(key, val);
    if (!Co_project_is(val, FYNT_MAPPING))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be a mapping%s, not %s", f->key,
                               sub->shape ? sub->shape : "", Co_project_describe(val));
    void *item = slot_of(obj, f->offset);
    if (sub->bare)
        at = Co_project_node_mark(val);
    if (f->type == PF_PTR) {
        item = pointer_at(obj, f->offset);
        if (!item) {
            if (!(item = calloc(1, sub->size)))
                return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
            set_pointer_at(obj, f->offset, item);
            co_code code = item_begin(w, sub, item, at);
            if (code != CO_OK)
                return code;
        }
    }
    return walk_below(w, val, at, sub, item);
}

/* PF_SEQ: a sequence of mappings, each an item of f->sub. */
static co_code set_sequence(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                            void *obj)
{
    const psection *sub = f->sub;
    co_mark at = Co_project_at(key, val);
    int count = Co_project_is(val, FYNT_SEQUENCE) ? fy_node_sequence_item_count(val) : -1;
    if (count < 0 || (count < sub->min && !sub->too_few))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be a sequence of %s, not %s", f->key, sub->seq_shape,
                               Co_project_describe(val));
    if (count < sub->min)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "\"%s\" must list at least %s",
                               f->key, sub->too_few);
    if (sub->max && count > sub->max)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" has %d items; at most %d %s", f->key, count, sub->max,
                               sub->too_many);
    char *items = calloc(count > 0 ? (size_t)count : 1, sub->size);
    if (!items)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    set_pointer_at(obj, f->offset, items);
    size_t *n = slot_of(obj, f->count);
    void *it = NULL;
    struct fy_node *node;
    while (*n < (size_t)count && (node = fy_node_sequence_iterate(val, &it))) {
        void *item = items + (*n)++ * sub->size;
        co_mark item_at = Co_project_mark_or(node, at);
        co_code code = item_begin(w, sub, item, item_at);
        if (code == CO_OK && !Co_project_is(node, FYNT_MAPPING))
            code = Co_project_fail(w->err, CO_EPROJECT, w->name, item_at,
                                   "each item of \"%s\" must be a mapping %s, not %s", f->key,
                                   sub->item_shape, Co_project_describe(node));
        if (code == CO_OK)
            code = walk_below(w, node, item_at, sub, item);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

static co_code set_field(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                         void *obj)
{
    switch (f->type) {
    case PF_MAP:
    case PF_PTR:
        return set_mapping(w, f, key, val, obj);
    case PF_SEQ:
        return set_sequence(w, f, key, val, obj);
    case PF_ITEMS:
        return Co_project_pairs(w, val, Co_project_at(key, val), f->sub,
                                slot_of(obj, f->offset), slot_of(obj, f->count), obj);
    default:
        return Co_project_set_value(w, f, key, val, obj);
    }
}

co_code Co_project_walk_fields(pwalk *w, struct fy_node *map, co_mark map_at, const psection *s,
                               void *obj)
{
    uint32_t seen = 0;
    void *it = NULL;
    struct fy_node_pair *pair;
    char list[256], buf[80];
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *key = fy_node_pair_key(pair), *val = fy_node_pair_value(pair);
        if (!Co_project_is(key, FYNT_SCALAR))
            return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_mark_or(key, map_at),
                                   "expected a key name %s (one of: %s), not %s", s->context,
                                   key_list(s, list, sizeof list), Co_project_describe(key));
        size_t klen = 0;
        const char *k = fy_node_get_scalar(key, &klen);
        size_t i = 0;
        while (k && i < s->nfields &&
               !(strlen(s->fields[i].key) == klen && memcmp(s->fields[i].key, k, klen) == 0))
            i++;
        if (!k || i == s->nfields) {
            Co_project_shown(k ? k : "", k ? klen : 0, buf, sizeof buf);
            return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_mark_or(key, map_at),
                                   "unknown key \"%s\" %s (expected one of: %s)", buf, s->context,
                                   key_list(s, list, sizeof list));
        }
        seen |= UINT32_C(1) << i;
        co_code code = set_field(w, &s->fields[i], key, val, obj);
        if (code != CO_OK)
            return code;
    }
    const char *owner = s->named ? pointer_at(obj, s->owner) : NULL;
    for (size_t i = 0; i < s->nfields; i++) {
        if (!s->fields[i].required || (seen & (UINT32_C(1) << i)))
            continue;
        if (owner)
            return Co_project_fail(w->err, CO_EPROJECT, w->name, map_at,
                                   "missing required key \"%s\" %s \"%s\"", s->fields[i].key,
                                   s->context, owner);
        return Co_project_fail(w->err, CO_EPROJECT, w->name, map_at,
                               "missing required key \"%s\" %s", s->fields[i].key, s->context);
    }
    return CO_OK;
}

co_code Co_project_pairs(pwalk *w, struct fy_node *val, co_mark at, const psection *s,
                         void *items, size_t *n, void *ctx)
{
    size_t size = s->size;
    if (!Co_project_is(val, FYNT_MAPPING))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s, not %s", s->what,
                               Co_project_describe(val));
    int count = fy_node_mapping_item_count(val);
    if (count <= 0 && s->too_few)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "%s", s->too_few);
    if (count <= 0)
        return CO_OK;
    char *grown = realloc(pointer_at(items, 0), (*n + (size_t)count) * size);
    if (!grown)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    memset(grown + *n * size, 0, (size_t)count * size);
    set_pointer_at(items, 0, grown);
    size_t end = *n + (size_t)count;
    void *it = NULL;
    struct fy_node_pair *pair;
    while (*n < end && (pair = fy_node_mapping_iterate(val, &it))) {
        void *item = grown + (*n)++ * size;
        co_code code = s->read(w, fy_node_pair_key(pair), fy_node_pair_value(pair), at, item, ctx);
        if (code != CO_OK)
            return code;
    }
    return CO_OK;
}

co_code Co_project_defaults(pwalk *w, const psection *s, void *obj)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const pfield *f = &s->fields[i];
        void *slot = slot_of(obj, f->offset);
        switch (f->type) {
        case PF_TEXT:
            if (f->def_text && !*(char **)slot && !(*(char **)slot = strdup(f->def_text)))
                return co_error_set(w->err, CO_ENOMEM, "out of memory");
            break;
        case PF_INT:
            if (*(int *)slot == 0)
                *(int *)slot = (int)f->def;
            break;
        case PF_SIZE:
            if (*(size_t *)slot == 0)
                *(size_t *)slot = (size_t)f->def;
            break;
        case PF_NUMBER:
        case PF_SHARE:
        case PF_SECONDS:
            if (*(double *)slot == 0)
                *(double *)slot = f->def;
            break;
        case PF_MAP: {
            co_code code = Co_project_defaults(w, f->sub, slot);
            if (code != CO_OK)
                return code;
            break;
        }
        default: /* the items of pointers and sequences get theirs when made */
            break;
        }
    }
    return CO_OK;
}

void Co_project_release(const psection *s, void *obj)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const pfield *f = &s->fields[i];
        void *slot = slot_of(obj, f->offset);
        size_t n = f->count ? *(size_t *)slot_of(obj, f->count) : 0;
        char *items;
        switch (f->type) {
        case PF_TEXT:
            free(*(char **)slot);
            break;
        case PF_COLUMNS:
        case PF_EXPRS:
            Co_project_free_list(*(char ***)slot, n);
            break;
        case PF_PAIRS:
            Co_project_free_list(*(char ***)slot, n);
            Co_project_free_list(*(char ***)slot_of(obj, f->pair), n);
            break;
        case PF_MAP:
            Co_project_release(f->sub, slot);
            break;
        case PF_PTR:
            if ((items = pointer_at(obj, f->offset)))
                Co_project_release(f->sub, items);
            free(items);
            break;
        case PF_SEQ:
        case PF_ITEMS:
        case PF_CUSTOM:
            if (f->type == PF_CUSTOM && !f->sub) {
                if (f->release)
                    f->release(f, obj);
                break;
            }
            items = pointer_at(obj, f->offset);
            for (size_t k = 0; k < n; k++)
                Co_project_release(f->sub, items + k * f->sub->size);
            free(items);
            break;
        case PF_INT:
        case PF_SIZE:
        case PF_NUMBER:
        case PF_SHARE:
        case PF_SECONDS:
            break;
        }
    }
}
