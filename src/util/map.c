/* map.c: the hash map of map.h. Entries are bump-allocated in chunks and never
 * freed one by one: maps only grow until they are released. */
#include "util/map.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct co_map_slot {
    uint64_t hash;    /* 0 marks an empty slot */
    const char *key;  /* klen bytes, then vlen bytes of value */
    uint32_t klen;
    uint32_t vlen;
};

struct co_map_chunk {
    co_map_chunk *next;
    size_t used, cap;
    char data[];
};

void Co_map_init(co_map *m) { memset(m, 0, sizeof *m); }

void Co_map_release(co_map *m)
{
    free(m->slots);
    for (co_map_chunk *c = m->chunks, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    memset(m, 0, sizeof *m);
}

static uint64_t hash_of(const void *key, size_t klen)
{
    uint64_t h = XXH3_64bits(key, klen);
    return h ? h : 1;
}

static char *store(co_map *m, size_t len)
{
    co_map_chunk *c = m->chunks;
    if (!c || c->cap - c->used < len) {
        size_t cap = len > 65536 ? len : 65536;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = m->chunks;
        c->used = 0;
        c->cap = cap;
        m->chunks = c;
    }
    char *p = c->data + c->used;
    c->used += len;
    return p;
}

static co_map_slot *find(const co_map *m, uint64_t h, const void *key, size_t klen)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        co_map_slot *s = &m->slots[i];
        if (!s->hash || (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
            return s;
    }
}

/* Doubles the slots, or makes them cap at least (a power of two). */
static bool grow_to(co_map *m, size_t cap)
{
    co_map_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    co_map old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].hash)
            *find(m, old.slots[i].hash, old.slots[i].key, old.slots[i].klen) = old.slots[i];
    }
    free(old.slots);
    return true;
}

static bool grow(co_map *m) { return grow_to(m, m->cap ? m->cap * 2 : 1024); }

bool Co_map_reserve(co_map *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 1024;
    while (n * 4 > cap * 3)
        cap *= 2;
    return cap == m->cap || grow_to(m, cap);
}

bool Co_map_put(co_map *m, const void *key, size_t klen, const void *val, size_t vlen)
{
    if ((m->count + 1) * 4 > m->cap * 3 && !grow(m))
        return false;
    uint64_t h = hash_of(key, klen);
    co_map_slot *s = find(m, h, key, klen);
    if (s->hash && s->vlen >= vlen) { /* reuse the old value's room */
        memcpy((char *)s->key + klen, val, vlen);
        s->vlen = (uint32_t)vlen;
        return true;
    }
    char *p = store(m, klen + vlen);
    if (!p)
        return false;
    memcpy(p, key, klen);
    if (vlen)
        memcpy(p + klen, val, vlen);
    if (!s->hash)
        m->count++;
    s->hash = h;
    s->key = p;
    s->klen = (uint32_t)klen;
    s->vlen = (uint32_t)vlen;
    return true;
}

int Co_map_add(co_map *m, const void *key, size_t klen, const void *val, size_t vlen)
{
    if ((m->count + 1) * 4 > m->cap * 3 && !grow(m))
        return -1;
    uint64_t h = hash_of(key, klen);
    co_map_slot *s = find(m, h, key, klen);
    if (s->hash)
        return 0;
    char *p = store(m, klen + vlen);
    if (!p)
        return -1;
    memcpy(p, key, klen);
    if (vlen)
        memcpy(p + klen, val, vlen);
    m->count++;
    s->hash = h;
    s->key = p;
    s->klen = (uint32_t)klen;
    s->vlen = (uint32_t)vlen;
    return 1;
}

bool Co_map_get(const co_map *m, const void *key, size_t klen, const char **val, size_t *vlen)
{
    if (!m->count)
        return false;
    const co_map_slot *s = find(m, hash_of(key, klen), key, klen);
    if (!s->hash)
        return false;
    if (val)
        *val = s->key + s->klen;
    if (vlen)
        *vlen = s->vlen;
    return true;
}

bool Co_map_next(const co_map *m, size_t *pos, const char **key, size_t *klen, const char **val,
                 size_t *vlen)
{
    while (*pos < m->cap) {
        const co_map_slot *s = &m->slots[(*pos)++];
        if (!s->hash)
            continue;
        *key = s->key;
        *klen = s->klen;
        *val = s->key + s->klen;
        *vlen = s->vlen;
        return true;
    }
    return false;
}
