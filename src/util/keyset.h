/*
 * keyset.h: a set of canonical keys (util/key.h), for refusing a key seen
 * twice. Keys of one integer ("[42]") are kept as ranges of consecutive
 * integers: a key that extends the range being built costs a comparison, not
 * a hash lookup, so the common case (keys ascending, mostly consecutive) stays
 * in cache whatever the number of keys. Every other key goes to a hash map
 * (util/map.h). The set answers exactly as one hash set of the key strings
 * would: a canonical key spells each value one way only.
 */
#ifndef CUTOVER_UTIL_KEYSET_H
#define CUTOVER_UTIL_KEYSET_H

#include "util/map.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct co_keyrange {
    int64_t lo, hi; /* inclusive */
} co_keyrange;

typedef struct co_keyset {
    co_map other;        /* keys that are not one integer */
    size_t other_hint;   /* room the map is given when its first key comes */
    co_keyrange *ranges; /* closed ranges, sorted, disjoint */
    size_t nranges, cap;
    bool building;       /* cur holds the range being built */
    co_keyrange cur;
    int64_t bound;       /* the first closed range above cur starts here */
} co_keyset;

void Co_keyset_init(co_keyset *s);
void Co_keyset_release(co_keyset *s);
/* Room for n keys that are not one integer, made when the first comes (keys
 * of one integer need none). */
void Co_keyset_hint(co_keyset *s, size_t n);
/* Adds the canonical key of len bytes at key. Returns 1 when added, 0 when
 * the set held it already, -1 when out of memory (the set unchanged). */
int Co_keyset_add(co_keyset *s, const char *key, size_t len);

#endif
