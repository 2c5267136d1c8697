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

/* Gives the system back the pages of the memory freed so far. glibc keeps
 * freed memory in its heap, and a large block that fits none of the holes
 * extends the heap instead, so after a big piece of work (a tenant's maps, a
 * merged entity's rows) the free-but-resident memory adds to the next one's
 * peak. Cheap next to such work (a walk of the heap); call it between pieces. */
static inline void Co_return_freed_memory(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

#endif
