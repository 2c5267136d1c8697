/*
 * free.h: freeing the blocks that a struct owns in one statement, as its
 * destructor does: CO_FREE(t->names, t->rows, t->offsets); and giving the
 * pages of freed memory back to the system (Co_return_freed_memory, free.c).
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

/* Gives the system back the pages of the memory freed so far, when at least
 * at_least bytes of them are still resident (0: always). glibc keeps freed
 * memory in its heap, and a large block that fits none of the holes extends
 * the heap instead, so after a big piece of work (a tenant's maps, a merged
 * entity's rows) the free-but-resident memory adds to the next one's peak.
 * A trim is not free: it walks every free chunk (one madvise each, and each
 * interrupts the other core of a threaded process), and the pages given back
 * fault in again when the heap grows; so it runs only when the process holds
 * that much more than its heap has in use (util/free.c). */
void Co_return_freed_memory(size_t at_least);

/* The thresholds: after a merged entity's verification and an audited
 * tenant (whose scratch loads keep the audit's history), and after a tenant's
 * load. Below them, not worth the walk and the faults. */
#define CO_TRIM_AFTER_ENTITY ((size_t)16 << 20)
#define CO_TRIM_AFTER_TENANT ((size_t)64 << 20)

#endif
