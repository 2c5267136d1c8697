/*
 * project.c: the public functions of project.h around the parser: reading the
 * file, hashing its bytes, freeing a project, finding an entity by name.
 * The YAML walk is in parse.c and the cross-checks in validate.c.
 */
#include "project/project_int.h"
#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

co_code co_project_fail(co_error *err, co_code code, const char *name, co_mark at,
                        const char *fmt, ...)
{
    if (!err)
        return code;
    char message[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    co_error_set(err, code, "%s", message);
    if (at.line > 0)
        co_error_where(err, "%s:%d:%d", name, at.line, at.column);
    else
        co_error_where(err, "%s", name);
    return code;
}

/* s[0..len) made fit for a one-line message: control characters become '?',
 * and more than 60 bytes are cut at a character boundary and end in "...". */
const char *co_project_shown(const char *s, size_t len, char *buf, size_t cap)
{
    size_t max = cap < 64 ? cap - 4 : 60, n = 0;
    bool cut = len > max;
    if (cut) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (cut && n + 4 <= cap) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void co_merge_release(co_merge *m)
{
    if (!m)
        return;
    free_list(m->on, m->non);
    free(m->survivor.arg);
    free(m->keep.arg);
    for (size_t i = 0; i < m->ncolumns; i++) {
        free(m->columns[i].column);
        free(m->columns[i].arg);
    }
    free(m->columns);
    free_list(m->blocks, m->nblocks);
    for (size_t i = 0; i < m->ncompare; i++) {
        free(m->compare[i].expr);
        free(m->compare[i].by);
        free(m->compare[i].name);
    }
    free(m->compare);
    free(m);
}

void co_entity_release(co_entity *e)
{
    if (!e)
        return;
    free(e->name);
    free(e->target);
    for (size_t i = 0; i < e->nkey; i++)
        free(e->key[i]);
    free(e->key);
    free(e->query);
    for (size_t i = 0; i < e->nrefs; i++) {
        free(e->refs[i].column);
        free(e->refs[i].entity);
    }
    free(e->refs);
    free(e->tenant_column);
    free(e->source_table);
    free(e->source_tenant_column);
    free(e->target_key);
    if (e->volume) {
        for (size_t i = 0; i < e->volume->nby; i++)
            free(e->volume->by[i]);
        free(e->volume->by);
        free(e->volume->time);
        free(e->volume);
    }
    for (size_t i = 0; i < e->nrounding; i++)
        free(e->rounding[i].column);
    free(e->rounding);
    for (size_t i = 0; i < e->nduplicates; i++) {
        co_dup_rule *r = &e->duplicates[i];
        free(r->name);
        for (size_t k = 0; k < r->ncolumns; k++)
            free(r->columns[k].column);
        free(r->columns);
        free(r->query);
    }
    free(e->duplicates);
    for (size_t i = 0; i < e->nfollows; i++) {
        co_follow *f = &e->follows[i];
        free(f->table);
        for (size_t k = 0; k < f->n; k++) {
            free(f->columns[k]);
            free(f->keys[k]);
        }
        free(f->columns);
        free(f->keys);
    }
    free(e->follows);
    co_merge_release(e->merge);
    if (e->reverse) {
        co_reverse *r = e->reverse;
        free(r->table);
        for (size_t i = 0; i < r->nkey; i++) {
            free(r->key_source[i]);
            free(r->key_entity[i]);
        }
        for (size_t i = 0; i < r->ncols; i++) {
            free(r->col_source[i]);
            free(r->col_entity[i]);
        }
        free(r->key_source);
        free(r->key_entity);
        free(r->col_source);
        free(r->col_entity);
        free(r);
    }
    memset(e, 0, sizeof *e);
}

void co_project_free(co_project *p)
{
    if (!p)
        return;
    free(p->path);
    free(p->dir);
    free(p->source);
    free(p->target);
    free(p->staging);
    free(p->state);
    free(p->tenants_query);
    for (size_t i = 0; i < p->nentities; i++)
        co_entity_release(&p->entities[i]);
    free(p->entities);
    free(p->rejects_dir);
    for (size_t i = 0; i < p->ncapture; i++) {
        co_capture_table *t = &p->capture[i];
        free(t->table);
        for (size_t k = 0; k < t->nkey; k++)
            free(t->key[k]);
        free(t->key);
        free(t->tenant);
    }
    free(p->capture);
    for (size_t i = 0; i < p->nevent_sources; i++) {
        co_event_source *e = &p->event_sources[i];
        free(e->name);
        free(e->uri);
        free(e->table);
        free(e->person);
        free(e->account);
        free(e->event);
        free(e->time);
        free(e->properties);
    }
    free(p->event_sources);
    for (int i = 0; i < CO_HOOK_COUNT; i++)
        free(p->hooks[i]);
    co_project_aftercare_release(p);
    for (size_t i = 0; i < p->norphans; i++) {
        free(p->orphans[i].table);
        for (size_t k = 0; k < p->orphans[i].nvalues; k++)
            free(p->orphans[i].values[k]);
        free(p->orphans[i].values);
        free(p->orphans[i].reason);
    }
    free(p->orphans);
    free(p);
}

/* The directory part of path: "." when there is none, "/" for a file at the
 * root; trailing slashes are dropped. NULL when out of memory. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t len = (size_t)(slash - path);
    while (len > 0 && path[len - 1] == '/')
        len--;
    if (len == 0)
        return strdup("/");
    return strndup(path, len);
}

/* Reads the whole file into b; on failure returns errno's value (or EFBIG
 * when the file is larger than CO_PROJECT_MAX_BYTES, ENOMEM when b failed). */
static int read_file(const char *path, co_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    char chunk[65536];
    int rc = 0;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n > 0) {
            if (b->len + n > CO_PROJECT_MAX_BYTES) {
                rc = EFBIG;
                break;
            }
            co_buf_add(b, chunk, n);
            if (b->failed) {
                rc = ENOMEM;
                break;
            }
        }
        if (n < sizeof chunk) {
            if (ferror(f))
                rc = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    return rc;
}

co_code co_project_load(const char *path, co_project **out, co_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !*path || !out)
        return co_error_set(err, CO_EUSAGE, "co_project_load needs a path and an out pointer");

    co_buf text = CO_BUF_INIT;
    errno = 0;
    int rc = read_file(path, &text);
    if (rc == ENOMEM) {
        co_buf_release(&text);
        return co_error_set(err, CO_ENOMEM, "out of memory reading %s", path);
    }
    if (rc == EFBIG) {
        co_buf_release(&text);
        co_error_set(err, CO_EPROJECT, "%s is larger than %zu MiB, too large for a project file",
                     path, CO_PROJECT_MAX_BYTES >> 20);
        co_error_where(err, "%s", path);
        return CO_EPROJECT;
    }
    if (rc != 0) {
        co_buf_release(&text);
        co_error_set(err, CO_EIO, "cannot read %s: %s", path, strerror(rc));
        co_error_where(err, "%s", path);
        return CO_EIO;
    }

    char *dir = dir_of(path);
    if (!dir) {
        co_buf_release(&text);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_code code = co_project_parse(co_buf_str(&text), text.len, path, dir, out, err);
    free(dir);
    co_buf_release(&text);
    return code;
}

co_code co_project_parse(const char *text, size_t len, const char *name, const char *dir,
                         co_project **out, co_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len > 0))
        return co_error_set(err, CO_EUSAGE, "co_project_parse needs text and an out pointer");
    if (!text)
        text = "";
    if (!name || !*name)
        name = "<string>";
    if (!dir || !*dir)
        dir = ".";

    co_project *p = calloc(1, sizeof *p);
    if (!p)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    p->path = strdup(name);
    p->dir = strdup(dir);
    if (!p->path || !p->dir) {
        co_project_free(p);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    snprintf(p->hash, sizeof p->hash, "%016llx", (unsigned long long)XXH3_64bits(text, len));

    co_code code = co_project_check_bytes(text, len, name, err);
    if (code == CO_OK)
        code = co_project_walk(p, text, len, name, err);
    if (code != CO_OK) {
        co_project_free(p);
        return code;
    }
    *out = p;
    return CO_OK;
}

int co_project_entity_index(const co_project *p, const char *name)
{
    if (!p || !name)
        return -1;
    for (size_t i = 0; i < p->nentities; i++)
        if (p->entities[i].name && strcmp(p->entities[i].name, name) == 0)
            return (int)i;
    return -1;
}

const co_entity *co_project_entity(const co_project *p, const char *name)
{
    int i = co_project_entity_index(p, name);
    return i < 0 ? NULL : &p->entities[i];
}

const char *co_entity_target_column(const co_entity *e)
{
    return e->target_key ? e->target_key : e->key[0];
}

const char *co_hook_name(co_hook_phase phase)
{
    static const char *const names[CO_HOOK_COUNT] = {"before_copy", "on_freeze", "on_switch",
                                                     "on_rollback", "on_failure",
                                                     "on_alert"};
    return (int)phase >= 0 && phase < CO_HOOK_COUNT ? names[phase] : "unknown";
}

const co_capture_table *co_project_capture(const co_project *p, const char *table)
{
    for (size_t i = 0; i < p->ncapture; i++)
        if (strcmp(p->capture[i].table, table) == 0)
            return &p->capture[i];
    return NULL;
}

const co_event_source *co_project_event_source(const co_project *p, const char *name)
{
    for (size_t i = 0; i < p->nevent_sources; i++)
        if (strcmp(p->event_sources[i].name, name) == 0)
            return &p->event_sources[i];
    return NULL;
}
