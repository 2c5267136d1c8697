/*
 * hll.h: the number of distinct values in a stream, in fixed memory (16 KB).
 * Up to CO_HLL_EXACT distinct hashes are held as such and counted exactly;
 * past that the same memory becomes a HyperLogLog sketch of
 * 2^CO_HLL_PRECISION one-byte registers, with a standard error of
 * 1.04 / sqrt(2^14), about 0.8% (within 2% nineteen times in twenty). The
 * estimate uses Ertl's improved estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017), unbiased from small to huge
 * counts without tables of corrections.
 *
 * The caller hashes each value (64 well-mixed bits, XXH3) and adds the hash;
 * equal values must give equal hashes.
 */
#ifndef CUTOVER_AUDIT_HLL_H
#define CUTOVER_AUDIT_HLL_H

#include <stdbool.h>
#include <stdint.h>

#define CO_HLL_PRECISION 14
#define CO_HLL_REGISTERS (1u << CO_HLL_PRECISION)
#define CO_HLL_SLOTS (CO_HLL_REGISTERS / 8) /* hashes the registers' memory holds */
#define CO_HLL_EXACT (CO_HLL_SLOTS / 2)     /* counted exactly up to this many */

typedef struct co_hll {
    union {
        uint8_t reg[CO_HLL_REGISTERS];
        uint64_t hashes[CO_HLL_SLOTS]; /* while exact: open addressing, 0 when empty */
    } u;
    uint32_t exact;                    /* distinct hashes held, while exact */
    bool sketch;                       /* the registers are in use */
} co_hll;

/* Empties the counter. */
void Co_hll_init(co_hll *h);
/* Counts the value whose 64-bit hash is hash. */
void Co_hll_add(co_hll *h, uint64_t hash);
/* The number of distinct hashes added: exact up to CO_HLL_EXACT, else estimated. */
double Co_hll_estimate(const co_hll *h);

#endif
