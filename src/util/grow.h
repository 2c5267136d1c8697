/*
 * grow.h: growing the arrays that the library builds a row at a time. One
 * place owns the doubling, the overflow check and the rule that a failed
 * growth leaves the array as it was, so callers only say how much room they
 * need and what to do when there is none.
 */
#ifndef CUTOVER_UTIL_GROW_H
#define CUTOVER_UTIL_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Reallocates the array whose pointer is at pptr (the address of any T *)
 * to n elements of size bytes. On failure, or when n * size overflows, the
 * array is left as it was and false is returned. */
bool Co_resize(void *pptr, size_t n, size_t size);

/* Makes room for need elements in the array at pptr, which has room for
 * *cap: the capacity doubles from first (when *cap is 0) until it holds
 * need, and *cap is set. Nothing is done when *cap >= need. On failure the
 * array and *cap are left as they were and false is returned. */
bool Co_grow(void *pptr, size_t *cap, size_t need, size_t size, size_t first);

/* The same for an array variable or field: CO_GROW(t->rows, t->cap, t->n + 1, 16). */
#define CO_RESIZE(arr, n) Co_resize(&(arr), (n), sizeof *(arr))
#define CO_GROW(arr, cap, need, first) Co_grow(&(arr), &(cap), (need), sizeof *(arr), (first))

#endif
