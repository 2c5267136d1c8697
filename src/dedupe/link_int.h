/*
 * link_int.h: the inside of a co_link (link.h), shared by link.c (records,
 * blocking, pairs) and link_score.c (comparing two records).
 */
#ifndef CUTOVER_DEDUPE_LINK_INT_H
#define CUTOVER_DEDUPE_LINK_INT_H

#include "dedupe/link.h"
#include "util/map.h"

#include <stdbool.h>

#define CO_LINK_NO_BLOCK UINT32_MAX

/* One field of one record: its code points in co_link.cps. */
typedef struct co_link_value {
    size_t off;    /* first code point in cps */
    uint32_t n;    /* code points; 0 = missing */
    uint32_t hash; /* of the code points, to find equal values fast */
    double num;    /* NUMBER: the number, DATE: days since 1970; NaN when not one */
} co_link_value;

/* A field with its defaults applied. */
typedef struct co_link_rule {
    char *name;
    co_compare_kind compare;
    double weight, floor, agree_at, scale;
} co_link_rule;

struct co_link {
    co_link_rule *rules;
    size_t nfields, nblocks;
    size_t *order; /* field numbers by decreasing weight: scored in that order */
    double review_at, merge_at;
    size_t max_block;

    size_t count, cap;   /* records */
    co_link_value *vals; /* count * nfields */
    uint32_t *blocks;    /* count * nblocks block ids, CO_LINK_NO_BLOCK for none */
    int *groups;         /* count */
    int32_t *cps;        /* code points of every value */
    size_t ncps, cpcap;
    co_map keys;         /* rank byte + key bytes -> block id (uint32_t) */
    size_t nkeys;
};

/* Scores records a and b into *out (sims as in Co_link_score). With cutoff
 * > 0, stops as soon as the score cannot reach cutoff, and returns false (out
 * is then incomplete); else returns true. */
bool Co_link_compare(const co_link *l, size_t a, size_t b, double cutoff, co_link_pair *out,
                     double *sims);

#endif
