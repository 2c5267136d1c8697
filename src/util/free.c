/*
 * free.c: giving the pages of freed heap memory back to the system
 * (util/free.h), only when enough of them are still resident to be worth
 * the walk and the faults that follow.
 *
 * glibc tells how much of its heap is free, not how much of that is still
 * resident: after a trim the free bytes stay free, but their pages are gone,
 * and a test of the free bytes alone trimmed again after every entity of
 * every tenant (417 trims, 63,000 madvise calls for the demo at scale 0.1
 * with two jobs, a third of the run's CPU). The resident memory beyond what
 * the heap has in use is the measure: the process's resident set (statm)
 * less the heap's blocks in use, less what lies outside the heap (the
 * program, its libraries, stacks), taken right after each trim, when the
 * free pages are gone.
 */
#include "util/free.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#define CO_HAVE_MALLINFO2 1
#endif

#ifdef CO_HAVE_MALLINFO2
/* Resident bytes outside the heap's blocks in use, as measured after the
 * last trim (0 until one has run: the first test then counts them as free). */
static atomic_size_t outside_heap;

/* The process's resident bytes, or 0 when /proc cannot tell. */
static size_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    bool read = f && fscanf(f, "%lu %lu", &size, &resident) == 2;
    if (f)
        fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return read && page > 0 ? (size_t)resident * (size_t)page : 0;
}

/* Resident bytes beyond the heap's blocks in use (small and mapped ones). */
static size_t beyond_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    size_t resident = resident_bytes(), in_use = m.uordblks + m.hblkhd;
    return resident > in_use ? resident - in_use : 0;
}
#endif

void Co_return_freed_memory(size_t at_least)
{
#ifdef CO_HAVE_MALLINFO2
    if (at_least) {
        size_t beyond = beyond_in_use(), outside = atomic_load(&outside_heap);
        if (beyond < outside || beyond - outside < at_least)
            return;
    }
    malloc_trim(0);
    atomic_store(&outside_heap, beyond_in_use());
#elif defined(__GLIBC__)
    (void)at_least;
    malloc_trim(0);
#else
    (void)at_least;
#endif
}
