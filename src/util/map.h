/*
 * map.h: a hash map from byte strings to byte strings (XXH3, open addressing).
 * The map copies keys and values into memory it owns; pointers it returns stay
 * valid until the map is released. Used for id maps and key sets, where one
 * tenant's keys must fit in memory (a few million at most).
 */
#ifndef CUTOVER_UTIL_MAP_H
#define CUTOVER_UTIL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct co_map_slot co_map_slot;
typedef struct co_map_chunk co_map_chunk;

typedef struct co_map {
    co_map_slot *slots;
    size_t cap;   /* number of slots, a power of two */
    size_t count; /* entries */
    co_map_chunk *chunks; /* storage of keys and values */
} co_map;

void Co_map_init(co_map *m);
void Co_map_release(co_map *m);
/* Sets key to value (replacing any value). Returns false when out of memory. */
bool Co_map_put(co_map *m, const void *key, size_t klen, const void *val, size_t vlen);
/* Sets key to value only when the map does not hold key yet: one lookup
 * where a get and a put would take two. Returns 1 when added, 0 when key was
 * already there (its value unchanged), -1 when out of memory. */
int Co_map_add(co_map *m, const void *key, size_t klen, const void *val, size_t vlen);
/* Makes room for n entries in all, so that filling the map up to n rehashes
 * nothing. Returns false when out of memory (the map is unchanged). */
bool Co_map_reserve(co_map *m, size_t n);
/* Finds key; on success points *val and *vlen at the stored value (either may be NULL). */
bool Co_map_get(const co_map *m, const void *key, size_t klen, const char **val, size_t *vlen);
static inline size_t co_map_count(const co_map *m) { return m->count; }
/* Visits the entries in no particular order: start with *pos = 0; each call
 * gives the next entry and returns false after the last. */
bool Co_map_next(const co_map *m, size_t *pos, const char **key, size_t *klen, const char **val,
                 size_t *vlen);

#endif
