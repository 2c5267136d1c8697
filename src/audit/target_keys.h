/*
 * target_keys.h: collisions in the target's unique keys that compare text
 * other than byte for byte (MySQL's `_ci` collations: cnn.com and CNN.com are
 * one value there), found by the audit without a declared duplicates rule.
 * Private to the audit (tenant.c); target_keys.c says how.
 */
#ifndef CUTOVER_AUDIT_TARGET_KEYS_H
#define CUTOVER_AUDIT_TARGET_KEYS_H

#include "cutover/audit.h"
#include "cutover/store.h"

typedef struct audit_keys audit_keys;

/* Reads the unique keys of p's target tables in dest and keeps those with a
 * column that folds text (co_store_collation_keys); none on an engine that
 * compares bytes. *out is freed with audit_keys_free. */
co_code audit_keys_open(const co_project *p, co_store *dest, audit_keys **out, co_error *err);
void audit_keys_free(audit_keys *ak);

/* A co_row_fn (ctx: the audit_keys): keeps the row's values of each such key
 * of its entity, with its key as the example. */
co_code audit_keys_row(void *ctx, size_t entity_index, const char *const *names,
                       const co_value *row, size_t ncols, co_error *err);

/* Groups the tenant's rows kept by the target's collation keys and adds the
 * groups of two rows or more to a's duplicates (rule "target key NAME", the
 * key shown as the first row has it), one count per key to a's dup_rules;
 * then forgets the rows, ready for the next tenant. */
co_code audit_keys_finish(audit_keys *ak, co_tenant_audit *a, co_error *err);

#endif
