/* keyset.c: the key set of keyset.h: ranges of integer keys, a hash map for
 * the others. */
#include "util/keyset.h"
#include "util/grow.h"
#include "util/key.h"

#include <stdlib.h>
#include <string.h>

void Co_keyset_init(co_keyset *s)
{
    memset(s, 0, sizeof *s);
    Co_map_init(&s->other);
}

void Co_keyset_release(co_keyset *s)
{
    Co_map_release(&s->other);
    free(s->ranges);
    Co_keyset_init(s);
}

void Co_keyset_hint(co_keyset *s, size_t n) { s->other_hint = n; }

/* The index of the first closed range whose hi is >= v (nranges when none). */
static size_t first_reaching(const co_keyset *s, int64_t v)
{
    size_t lo = 0, hi = s->nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ranges[mid].hi < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Puts the range being built among the closed ones (at its sorted place). */
static bool close_cur(co_keyset *s)
{
    if (!s->building)
        return true;
    if (!CO_GROW(s->ranges, s->cap, s->nranges + 1, 16))
        return false;
    size_t at = first_reaching(s, s->cur.lo);
    memmove(&s->ranges[at + 1], &s->ranges[at], (s->nranges - at) * sizeof *s->ranges);
    s->ranges[at] = s->cur;
    s->nranges++;
    s->building = false;
    return true;
}

static int add_int(co_keyset *s, int64_t v)
{
    if (s->building) {
        if (v == s->cur.hi + 1 && v < s->bound) {
            s->cur.hi = v;
            return 1;
        }
        if (v >= s->cur.lo && v <= s->cur.hi)
            return 0;
        if (!close_cur(s))
            return -1;
    }
    size_t at = first_reaching(s, v);
    if (at < s->nranges && s->ranges[at].lo <= v)
        return 0;
    s->cur = (co_keyrange){v, v};
    s->bound = at < s->nranges ? s->ranges[at].lo : INT64_MAX;
    s->building = true;
    return 1;
}

int Co_keyset_add(co_keyset *s, const char *key, size_t len)
{
    int64_t v;
    if (len >= 3 && key[0] == '[' && key[len - 1] == ']' && Co_text_as_int(key + 1, len - 2, &v) &&
        v < INT64_MAX)
        return add_int(s, v);
    if (s->other_hint && !s->other.cap) {
        if (!Co_map_reserve(&s->other, s->other_hint))
            return -1;
    }
    return Co_map_add(&s->other, key, len, "", 0);
}
