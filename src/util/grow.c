/* grow.c: growing arrays by doubling (grow.h). */
#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool Co_resize(void *pptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return false;
    void *old;
    memcpy(&old, pptr, sizeof old);
    size_t bytes = n * size;
    void *grown = realloc(old, bytes > 0 ? bytes : 1);
    if (!grown)
        return false;
    memcpy(pptr, &grown, sizeof grown);
    return true;
}

bool Co_grow(void *pptr, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : (first ? first : 1);
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return false;
        n *= 2;
    }
    if (!Co_resize(pptr, n, size))
        return false;
    *cap = n;
    return true;
}
