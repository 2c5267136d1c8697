/*
 * hll.c: distinct counting (hll.h). While exact, hashes sit in an
 * open-addressing table laid over the registers; the CO_HLL_EXACT + 1-th
 * distinct hash turns the table into the sketch. In the sketch, the top
 * CO_HLL_PRECISION bits of a hash pick a register, which keeps the largest
 * rank (leading zeros plus one) seen among the remaining bits.
 */
#include "audit/hll.h"

#include <math.h>
#include <string.h>

#define Q (64 - CO_HLL_PRECISION) /* bits left for the rank; ranks go 1..Q+1 */

void Co_hll_init(co_hll *h) { memset(h, 0, sizeof *h); }

static void add_register(co_hll *h, uint64_t hash)
{
    uint32_t index = (uint32_t)(hash >> Q);
    uint64_t rest = hash << CO_HLL_PRECISION;
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(Q + 1);
    if (rank > h->u.reg[index])
        h->u.reg[index] = rank;
}

/* Moves the exact hashes into registers. */
static void become_sketch(co_hll *h)
{
    uint64_t held[CO_HLL_EXACT];
    size_t n = 0;
    for (size_t i = 0; i < CO_HLL_SLOTS; i++)
        if (h->u.hashes[i])
            held[n++] = h->u.hashes[i];
    memset(h->u.reg, 0, sizeof h->u.reg);
    h->sketch = true;
    for (size_t i = 0; i < n; i++)
        add_register(h, held[i]);
}

void Co_hll_add(co_hll *h, uint64_t hash)
{
    if (h->sketch) {
        add_register(h, hash);
        return;
    }
    uint64_t key = hash ? hash : 1; /* 0 marks an empty slot */
    size_t i = (size_t)(key & (CO_HLL_SLOTS - 1));
    while (h->u.hashes[i] && h->u.hashes[i] != key)
        i = (i + 1) & (CO_HLL_SLOTS - 1);
    if (h->u.hashes[i])
        return;
    if (h->exact == CO_HLL_EXACT) {
        become_sketch(h);
        add_register(h, hash);
        return;
    }
    h->u.hashes[i] = key;
    h->exact++;
}

/* sigma and tau of Ertl's paper: the corrections for registers still at zero
 * (small cardinalities) and registers at the maximum rank (huge ones). */
static double sigma(double x)
{
    if (x == 1.0)
        return INFINITY;
    double y = 1.0, z = x, previous;
    do {
        x *= x;
        previous = z;
        z += x * y;
        y += y;
    } while (z != previous);
    return z;
}

static double tau(double x)
{
    if (x == 0.0 || x == 1.0)
        return 0.0;
    double y = 1.0, z = 1.0 - x, previous;
    do {
        x = sqrt(x);
        previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != previous);
    return z / 3.0;
}

double Co_hll_estimate(const co_hll *h)
{
    if (!h->sketch)
        return (double)h->exact;
    const double m = CO_HLL_REGISTERS;
    int64_t count[Q + 2] = {0}; /* registers holding each rank */
    for (uint32_t i = 0; i < CO_HLL_REGISTERS; i++)
        count[h->u.reg[i]]++;
    double z = m * tau(1.0 - (double)count[Q + 1] / m);
    for (int k = Q; k >= 1; k--)
        z = 0.5 * (z + (double)count[k]);
    z += m * sigma((double)count[0] / m);
    return m * m / (2.0 * log(2.0)) / z;
}
