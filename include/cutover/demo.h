/*
 * demo.h: the demo's legacy CRM, generated deterministically.
 *
 * co_demo_init writes into a directory: legacy.db (the legacy media-relations
 * CRM, the source), crm.db (the new CRM's empty schema, the target),
 * staging.db (the same empty schema, where rehearsals load), cutover.yaml (the mapping from one to the other) and planted.json (the
 * problems planted in the data, with their exact numbers and keys, so that
 * tests and people can check that each is found where it belongs).
 */
#ifndef CUTOVER_DEMO_H
#define CUTOVER_DEMO_H

#include "cutover/error.h"

#include <stdbool.h>
#include <stdint.h>

/* Progress of a long generation: what is being written and how far along,
 * in rows; total 0 for a step without rows (building the indexes). */
typedef void (*co_demo_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

typedef struct co_demo_options {
    const char *dir;        /* created if missing; existing demo files are replaced */
    double scale;           /* 1.0: ~150 tenants, 1,000,000 contacts, 27,000,000 events */
    uint64_t seed;          /* same seed and scale, same bytes */
    const char *now;        /* "YYYY-MM-DD": events span the 12 months before it; NULL = 2026-11-01 */
    /* NULL, or a store URI (store.h) naming a database without the legacy
     * tables: they are created and loaded there too, and cutover.yaml reads
     * them (its source: the URI without its password). MySQL/MariaDB. */
    const char *source;
    co_demo_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} co_demo_options;

typedef struct co_demo_summary {
    int64_t tenants;
    int64_t teams;
    int64_t contacts;
    int64_t campaigns;
    int64_t events;
} co_demo_summary;

/* Generates the demo. Fails with CO_EUSAGE for a scale outside (0, 10] and
 * CO_EIO when the directory cannot be written. */
CO_API co_code co_demo_init(const co_demo_options *opt, co_demo_summary *out, co_error *err);

/* Live traffic, as the legacy application would write it: for `seconds`,
 * `rate` writes a second to the tenant's rows of DIR/legacy.db, or of the
 * database `source` names (a store URI, store.h; NULL or "" for the file)
 * holding the demo's legacy tables, mostly new engagement events (someone
 * opens an old e-mail) and some contact updates. Writes the source refuses
 * because the tenant is frozen are counted, not retried. */
typedef struct co_traffic_result {
    int64_t inserted;   /* events */
    int64_t updated;    /* contacts */
    int64_t refused;    /* by a freeze */
    int64_t first_event, last_event; /* ids of the events inserted */
} co_traffic_result;

CO_API co_code co_demo_traffic(const char *dir, const char *source, const char *tenant,
                               double rate, double seconds, uint64_t seed, co_traffic_result *out,
                               co_error *err);

#endif
