/*
 * free.h: freeing the blocks that a struct owns in one statement, as its
 * destructor does: CO_FREE(t->names, t->rows, t->offsets); and giving the
 * pages of freed memory back to the system (Co_return_freed_memory).
 */
#ifndef CUTOVER_UTIL_FREE_H
#define CUTOVER_UTIL_FREE_H

#include <stddef.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* Frees each of the n blocks (a NULL one is nothing to free). */
static inline void Co_free_all(void *const *blocks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(blocks[i]);
}

/* Co_free_all over the pointers listed, each one the caller owns. */
#define CO_FREE(...)                                                                               \
    Co_free_all((void *const[]){__VA_ARGS__},                                                      \
                sizeof((void *const[]){__VA_ARGS__}) / sizeof(void *))

/* Gives the system back the pages of the memory freed so far, when at least
 * at_least bytes of the heap are free (0: always). glibc keeps freed memory
 * in its heap, and a large block that fits none of the holes extends the
 * heap instead, so after a big piece of work (a tenant's maps, a merged
 * entity's rows) the free-but-resident memory adds to the next one's peak.
 * A trim is not free: the pages given back fault in again when the heap
 * grows, so callers between small pieces pass a threshold. */
/* The threshold between the entities of a tenant: below it, not worth the faults. */
#define CO_TRIM_AFTER_ENTITY ((size_t)16 << 20)

static inline void Co_return_freed_memory(size_t at_least)
{
#if defined(__GLIBC__)
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
    if (at_least && mallinfo2().fordblks < at_least)
        return;
#endif
    malloc_trim(0);
#else
    (void)at_least;
#endif
}

#endif
