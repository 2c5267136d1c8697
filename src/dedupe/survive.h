/*
 * survive.h: survivorship, the values of the one row that rows found to be
 * the same thing become: which row's key it keeps, and per column which
 * rows' values (project.h, co_merge_rule).
 */
#ifndef CUTOVER_DEDUPE_SURVIVE_H
#define CUTOVER_DEDUPE_SURVIVE_H

#include "cutover/error.h"
#include "cutover/project.h"
#include "cutover/value.h"

#include <stddef.h>

typedef struct co_survive co_survive;

/* Binds the rules of m to a row shape: names[0..ncols) are the entity's
 * columns, key_idx the key's positions; a prefer(condition) rule reads its
 * condition from column prefer_at + i, i counting prefer rules in the order
 * co_survive_prefer_sql lists them. Errors name a rule whose column is not
 * among the query's columns. */
co_code Co_survive_new(const co_merge *m, const char *const *names, size_t ncols,
                       const size_t *key_idx, size_t nkey, size_t prefer_at, co_survive **out,
                       co_error *err);
void Co_survive_free(co_survive *sv);

/* The SQL conditions of the prefer rules, in the order their columns follow
 * the entity's columns: up to cap of them into conds (strings of m). Returns
 * their number. */
size_t Co_survive_prefers(const co_merge *m, const char **conds, size_t cap);

/* The merged row of rows[0..k) into out (ncols values). Values made here
 * (union, concat) live in sv until the next call. *survivor is the index of
 * the row whose key the merged row keeps. */
co_code Co_survive_apply(co_survive *sv, const co_value *const *rows, size_t k, co_value *out,
                         size_t *survivor, co_error *err);

/* Orders values: NULL first, then numbers (by value), text, blobs (by bytes). */
int Co_value_order(const co_value *a, const co_value *b);

#endif
