/*
 * scan.h: what one tenant's entity rows add up to, seen once as they stream
 * by (a co_row_fn, during the scratch load or a read of the source of its
 * own): rows and bytes per entity, rows per parent key for every refs column
 * (with the outliers), the longest values of every column with their keys,
 * and the duplicate clusters of every duplicates rule. Private to the audit.
 */
#ifndef CUTOVER_AUDIT_SCAN_H
#define CUTOVER_AUDIT_SCAN_H

#include "cutover/audit.h"
#include "engine/session.h"

typedef struct audit_scan audit_scan;

/* A scan for p's entities; *out is freed with audit_scan_free. */
co_code audit_scan_new(const co_project *p, const co_audit_options *opt, audit_scan **out,
                       co_error *err);
void audit_scan_free(audit_scan *sc);

/* The co_row_fn: ctx is the audit_scan. */
co_code audit_scan_row(void *ctx, size_t entity_index, const char *const *names,
                       const co_value *row, size_t ncols, co_error *err);

/* Every row the scan sees is also handed to fn (NULL: to nothing). */
void audit_scan_also(audit_scan *sc, co_row_fn fn, void *ctx);

/* Reads every entity query for t from s's source, row by row, into the scan:
 * what the scratch load would have shown it. */
co_code audit_scan_source(audit_scan *sc, co_session *s, const co_tenant *t, co_error *err);

/* Runs the duplicates rules that have a query of their own, for t. */
co_code audit_scan_rule_queries(audit_scan *sc, co_session *s, const co_tenant *t, co_error *err);

/* Moves the tenant's results into a (rows, bytes, entity_rows, fanouts,
 * longest values, duplicates) and makes the scan ready for the next tenant. */
co_code audit_scan_finish(audit_scan *sc, co_tenant_audit *a, co_error *err);

/* Adds to a the count of one duplicates rule (NULL, err set: out of memory). */
co_duplicate_rule_count *audit_add_rule_count(co_tenant_audit *a, const char *entity,
                                              const char *rule, co_error *err);

/* Adds to a one cluster shown: the key's klen bytes (a 0x1f between columns
 * is shown as '|'), its members and examples (a JSON array). */
co_code audit_add_cluster(co_tenant_audit *a, const char *entity, const char *rule,
                          const char *key, size_t klen, int64_t members, const char *examples,
                          co_error *err);

#endif
