/*
 * topk.h: the most frequent values of a stream in bounded memory, by
 * Space-Saving (Metwally, Agrawal, El Abbadi 2005) with CO_TOPK_COUNTERS
 * counters: 256, enough for every value of a status, language or country
 * column to be counted exactly; 46 KB in all.
 *
 * A value seen for the first time when every counter is taken replaces the
 * value with the smallest count and inherits that count plus one,
 * remembering it as its possible overcount (error). So any value more
 * frequent than 1/CO_TOPK_COUNTERS of the stream holds a counter, a count is
 * never below the truth and never above it by more than error, and a value
 * that kept its counter since it first appeared (error 0), as the frequent
 * values of a skewed column do, has its exact count.
 *
 * Values are identified by the caller's 64-bit hash of their canonical bytes;
 * for display a counter keeps the value's type, number and up to
 * CO_TOPK_KEEP bytes of its text or blob, copied into the counter itself.
 */
#ifndef CUTOVER_AUDIT_TOPK_H
#define CUTOVER_AUDIT_TOPK_H

#include "cutover/value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CO_TOPK_COUNTERS 256
#define CO_TOPK_KEEP 64

#define CO_TOPK_NONE 0xFFFF /* no item, no bucket */

typedef struct co_topk_item {
    uint64_t hash;
    int64_t count;     /* an upper bound of the value's occurrences */
    int64_t error;     /* count - error is a lower bound; 0: count is exact */
    uint16_t bucket;   /* the bucket of its count */
    uint16_t prev, next; /* the other items of that bucket */
    co_value value;    /* text and blob bytes point at kept; len is the full length */
    bool valid_utf8;   /* for text: the whole value is valid UTF-8 */
    char kept[CO_TOPK_KEEP + 1]; /* the first bytes of text or blob, NUL-terminated */
} co_topk_item;

/* The items of one count; buckets form a list by increasing count (the
 * Stream-Summary of the paper), so that an increment and a replacement each
 * cost a few pointer moves. */
typedef struct co_topk_bucket {
    int64_t count;
    uint16_t first;      /* an item of this count */
    uint16_t prev, next; /* the buckets of the next smaller and larger counts */
} co_topk_bucket;

typedef struct co_topk {
    co_topk_item items[CO_TOPK_COUNTERS];
    co_topk_bucket buckets[CO_TOPK_COUNTERS]; /* never more buckets than items */
    uint16_t spare[CO_TOPK_COUNTERS];         /* unused bucket indexes, a stack */
    size_t nspare;
    uint16_t smallest;                        /* the bucket of the smallest count */
    size_t n;                                 /* items in use */
    uint16_t slots[2 * CO_TOPK_COUNTERS];     /* hash index: item index + 1, 0 when empty */
    uint64_t slot_hash[2 * CO_TOPK_COUNTERS]; /* the hash in each slot, probed without
                                                 touching the items */
} co_topk;

void Co_topk_init(co_topk *t);
/* Counts one occurrence of v, whose canonical hash is hash. valid_utf8 says
 * whether text is valid UTF-8 (ignored for other types). The bytes of v are
 * copied (at most CO_TOPK_KEEP of them) when v takes a counter. */
void Co_topk_add(co_topk *t, uint64_t hash, const co_value *v, bool valid_utf8);
/* Points out[0..] at up to max counters, the largest count first (equal
 * counts in SQLite's order of their values), and returns how many. The
 * pointers stay valid until the next Co_topk_add. */
size_t Co_topk_top(const co_topk *t, const co_topk_item **out, size_t max);

/* The same, but only the values known for certain to be the most frequent,
 * with exact counts: the list stops at the first counter that is not exact,
 * or whose count a value without a counter could exceed. */
size_t Co_topk_certain(const co_topk *t, const co_topk_item **out, size_t max);

#endif
