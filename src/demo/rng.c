/*
 * rng.c: the demo generator's pseudo-random numbers: xoshiro256** (Blackman
 * and Vigna), seeded through splitmix64. Each decision draws from its own
 * stream, derived from (seed, purpose, index), so that adding a draw in one
 * place does not shift every number after it.
 */
#include "demo/demo_int.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t demo_mix(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xd1b54a32d192ed03ULL);
    (void)splitmix64(&x);
    return splitmix64(&x);
}

void demo_rng_init(demo_rng *r, uint64_t seed, uint64_t purpose, uint64_t index)
{
    uint64_t x = demo_mix(seed, demo_mix(purpose, index));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t demo_rng_next(demo_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Rejection of the few values that would bias the remainder: unbiased and
 * the same on every platform because it uses integers only. */
uint64_t demo_rng_below(demo_rng *r, uint64_t n)
{
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
    for (;;) {
        uint64_t x = demo_rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

double demo_rng_unit(demo_rng *r) { return (double)(demo_rng_next(r) >> 11) * 0x1.0p-53; }

bool demo_rng_chance(demo_rng *r, double p) { return demo_rng_unit(r) < p; }

double demo_rng_exp(demo_rng *r, double mean)
{
    return -log(1.0 - demo_rng_unit(r)) * mean;
}
