/*
 * topk.c: Space-Saving (topk.h). Items sit in buckets of equal count, the
 * buckets in a list by increasing count, so that the item to replace is in
 * the first bucket and an increment moves an item to the next bucket (or
 * makes one); a small open-addressing table by hash (linear probing,
 * deletion by backward shift) finds a value's item in a probe or two. Every
 * operation is O(1), whatever the column holds.
 */
#include "audit/topk.h"

#include <stdlib.h>
#include <string.h>

#define NSLOTS (2 * CO_TOPK_COUNTERS)
#define NONE CO_TOPK_NONE

void Co_topk_init(co_topk *t)
{
    memset(t, 0, sizeof *t);
    t->smallest = NONE;
    for (size_t i = 0; i < CO_TOPK_COUNTERS; i++)
        t->spare[i] = (uint16_t)(CO_TOPK_COUNTERS - 1 - i);
    t->nspare = CO_TOPK_COUNTERS;
}

/* ---- the hash index --------------------------------------------------------- */

static size_t home(uint64_t hash) { return (size_t)(hash ^ (hash >> 32)) & (NSLOTS - 1); }

/* The slot holding hash, or the empty slot where it would go. */
static size_t find_slot(const co_topk *t, uint64_t hash)
{
    size_t i = home(hash);
    while (t->slots[i] && t->slot_hash[i] != hash)
        i = (i + 1) & (NSLOTS - 1);
    return i;
}

/* Empties slot i, moving back the entries after it that probed past it. */
static void remove_slot(co_topk *t, size_t i)
{
    size_t j = i;
    t->slots[i] = 0;
    for (;;) {
        j = (j + 1) & (NSLOTS - 1);
        if (!t->slots[j])
            return;
        size_t k = home(t->slot_hash[j]);
        /* The entry at j stays when its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            t->slot_hash[i] = t->slot_hash[j];
            t->slots[j] = 0;
            i = j;
        }
    }
}

/* ---- buckets ---------------------------------------------------------------- */

/* A new bucket of count, placed after bucket `after` (first when NONE). */
static uint16_t new_bucket(co_topk *t, int64_t count, uint16_t after)
{
    uint16_t b = t->spare[--t->nspare];
    co_topk_bucket *bk = &t->buckets[b];
    bk->count = count;
    bk->first = NONE;
    bk->prev = after;
    bk->next = after == NONE ? t->smallest : t->buckets[after].next;
    if (bk->next != NONE)
        t->buckets[bk->next].prev = b;
    if (after == NONE)
        t->smallest = b;
    else
        t->buckets[after].next = b;
    return b;
}

static void remove_bucket(co_topk *t, uint16_t b)
{
    co_topk_bucket *bk = &t->buckets[b];
    if (bk->prev != NONE)
        t->buckets[bk->prev].next = bk->next;
    else
        t->smallest = bk->next;
    if (bk->next != NONE)
        t->buckets[bk->next].prev = bk->prev;
    t->spare[t->nspare++] = b;
}

static void push_item(co_topk *t, uint16_t b, uint16_t x)
{
    co_topk_item *it = &t->items[x];
    it->bucket = b;
    it->prev = NONE;
    it->next = t->buckets[b].first;
    if (it->next != NONE)
        t->items[it->next].prev = x;
    t->buckets[b].first = x;
    it->count = t->buckets[b].count;
}

static void unlink_item(co_topk *t, uint16_t x)
{
    co_topk_item *it = &t->items[x];
    if (it->prev != NONE)
        t->items[it->prev].next = it->next;
    else
        t->buckets[it->bucket].first = it->next;
    if (it->next != NONE)
        t->items[it->next].prev = it->prev;
}

/* Moves item x from its count c to c + 1. */
static void increment(co_topk *t, uint16_t x)
{
    co_topk_item *it = &t->items[x];
    uint16_t b = it->bucket, next = t->buckets[b].next;
    int64_t count = t->buckets[b].count + 1;
    bool alone = it->prev == NONE && it->next == NONE;
    bool next_fits = next != NONE && t->buckets[next].count == count;
    if (alone && !next_fits) { /* the bucket itself moves up: the order holds */
        t->buckets[b].count = count;
        it->count = count;
        return;
    }
    uint16_t after = b;
    unlink_item(t, x);
    if (alone) {
        after = t->buckets[b].prev;
        remove_bucket(t, b);
    }
    push_item(t, next_fits ? next : new_bucket(t, count, after), x);
}

/* ---- counting --------------------------------------------------------------- */

/* Copies v into item (its type, number, and the first bytes of text or blob). */
static void keep_value(co_topk_item *item, const co_value *v, bool valid_utf8)
{
    item->value = *v;
    item->valid_utf8 = v->type != CO_TEXT || valid_utf8;
    if (v->type == CO_TEXT || v->type == CO_BLOB) {
        size_t n = v->len < CO_TOPK_KEEP ? v->len : CO_TOPK_KEEP;
        memcpy(item->kept, v->s, n);
        item->kept[n] = '\0';
        item->value.s = item->kept;
    }
}

void Co_topk_add(co_topk *t, uint64_t hash, const co_value *v, bool valid_utf8)
{
    size_t slot = find_slot(t, hash);
    if (t->slots[slot]) {
        increment(t, (uint16_t)(t->slots[slot] - 1));
        return;
    }
    uint16_t x;
    if (t->n < CO_TOPK_COUNTERS) {
        x = (uint16_t)t->n++;
        bool ones = t->smallest != NONE && t->buckets[t->smallest].count == 1;
        push_item(t, ones ? t->smallest : new_bucket(t, 1, NONE), x);
        t->items[x].error = 0;
    } else {
        /* Replace a value of the smallest count c: the newcomer inherits c,
         * as its possible overcount, plus its own occurrence. */
        x = t->buckets[t->smallest].first;
        remove_slot(t, find_slot(t, t->items[x].hash));
        slot = find_slot(t, hash);
        t->items[x].error = t->items[x].count;
        increment(t, x);
    }
    t->items[x].hash = hash;
    keep_value(&t->items[x], v, valid_utf8);
    t->slots[slot] = (uint16_t)(x + 1);
    t->slot_hash[slot] = hash;
}

/* ---- reading ---------------------------------------------------------------- */

/* SQLite's order of values: numbers, then text, then blobs; text and blobs
 * by their kept bytes, then length. */
static int value_order(const co_topk_item *x, const co_topk_item *y)
{
    const co_value *a = &x->value, *b = &y->value;
    int ca = a->type == CO_TEXT ? 2 : a->type == CO_BLOB ? 3 : 1;
    int cb = b->type == CO_TEXT ? 2 : b->type == CO_BLOB ? 3 : 1;
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (ca == 1) {
        double da = a->type == CO_INT ? (double)a->i : a->r;
        double db = b->type == CO_INT ? (double)b->i : b->r;
        if (da != db)
            return da < db ? -1 : 1;
    } else {
        size_t na = a->len < CO_TOPK_KEEP ? a->len : CO_TOPK_KEEP;
        size_t nb = b->len < CO_TOPK_KEEP ? b->len : CO_TOPK_KEEP;
        int c = memcmp(a->s, b->s, na < nb ? na : nb);
        if (c != 0)
            return c;
        if (a->len != b->len)
            return a->len < b->len ? -1 : 1;
    }
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static int by_count(const void *a, const void *b)
{
    const co_topk_item *x = *(const co_topk_item *const *)a, *y = *(const co_topk_item *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return value_order(x, y);
}

size_t Co_topk_top(const co_topk *t, const co_topk_item **out, size_t max)
{
    const co_topk_item *all[CO_TOPK_COUNTERS];
    for (size_t i = 0; i < t->n; i++)
        all[i] = &t->items[i];
    qsort(all, t->n, sizeof all[0], by_count);
    size_t n = t->n < max ? t->n : max;
    memcpy(out, all, n * sizeof all[0]);
    return n;
}

size_t Co_topk_certain(const co_topk *t, const co_topk_item **out, size_t max)
{
    /* A value without an item occurred at most as often as the smallest
     * count, once every item is taken (it may have held one and lost it). */
    int64_t floor = t->n == CO_TOPK_COUNTERS ? t->buckets[t->smallest].count : 0;
    size_t n = Co_topk_top(t, out, max);
    for (size_t i = 0; i < n; i++)
        if (out[i]->error != 0 || out[i]->count < floor)
            return i;
    return n;
}
