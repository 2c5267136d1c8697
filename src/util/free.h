/*
 * free.h: freeing the blocks that a struct owns in one statement, as its
 * destructor does: CO_FREE(t->names, t->rows, t->offsets).
 */
#ifndef CUTOVER_UTIL_FREE_H
#define CUTOVER_UTIL_FREE_H

#include <stddef.h>
#include <stdlib.h>

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

#endif
