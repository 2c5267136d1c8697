/*
 * capture.h: change capture for tenants in flight. While a tenant migrates,
 * triggers on the captured tables of the source (the project's `capture`
 * list) append each insert, update and delete of that tenant's rows to a
 * change log in the source, cutover_changes; catch-up then loads the affected
 * rows again through the entity queries. Freezing a tenant adds triggers that
 * refuse its writes, naming it. cutover adds only these objects to the source
 * (cutover_changes, cutover_tenants and triggers named cutover_*) and removes
 * them when no tenant is captured any more.
 */
#ifndef CUTOVER_CAPTURE_H
#define CUTOVER_CAPTURE_H

#include "cutover/project.h"
#include "cutover/store.h"

#include <stdint.h>

typedef struct co_change {
    int64_t seq;
    int64_t pos;   /* its capture position (see co_capture_horizon) */
    char *table;
    char *op;  /* insert, update, delete */
    char *key; /* the captured table's key, a JSON array */
} co_change;

/* Installs the change log and the capture triggers (once) and starts
 * recording the tenant's writes. st must allow writes. */
CO_API co_code co_capture_start(co_store *st, const co_project *p, const char *tenant,
                                co_error *err);
/* Refuses the tenant's writes to the captured tables from now on, for as
 * long as this process renews the freeze's heartbeat (co_capture_heartbeat)
 * at least every options.freeze_heartbeat_seconds: the freeze row in
 * cutover_frozen names this process, since when, the last heartbeat and the
 * bound, all by the database's clock. A lapsed freeze refuses nothing. On
 * PostgreSQL it first waits for the writes in flight (a brief LOCK). Freezing
 * a frozen tenant again renews it. */
CO_API co_code co_capture_freeze(co_store *st, const co_project *p, const char *tenant,
                                 co_error *err);
/* Renews this process's freeze of the tenant if it has not lapsed: *fresh
 * says whether it held (a lapsed freeze is not revived: freeze again). */
CO_API co_code co_capture_heartbeat(co_store *st, const char *tenant, bool *fresh, co_error *err);
/* For the switch: makes this process's freeze of the tenant hold for good
 * (until co_capture_unfreeze), in one statement and only if it has not
 * lapsed; *sealed says whether it was. */
CO_API co_code co_capture_seal(co_store *st, const char *tenant, bool *sealed, co_error *err);
/* Lets the tenant's writes through again. */
CO_API co_code co_capture_unfreeze(co_store *st, const co_project *p, const char *tenant,
                                   co_error *err);
/* Stops recording the tenant, forgets its changes, and removes every capture
 * object once no tenant is captured. Idempotent. */
CO_API co_code co_capture_stop(co_store *st, const co_project *p, const char *tenant,
                               co_error *err);

/* Capture positions make a catch-up mark commit-safe. A change's position is
 * its sequence number on SQLite, whose writers are serialized, so that
 * sequence order is commit order; on PostgreSQL it is the id of the
 * transaction that made it (pg_current_xact_id()), because there a
 * transaction that took a low sequence number may commit after one that took
 * a higher one. *horizon is a position at or below which no change can
 * appear any more: the highest sequence number on SQLite; on PostgreSQL the
 * oldest transaction still in progress, minus one
 * (pg_snapshot_xmin(pg_current_snapshot()) - 1). A mark never advances past
 * the horizon, so a change committed later always lies above it. */
CO_API co_code co_capture_horizon(co_store *st, int64_t *horizon, co_error *err);

/* Up to max changes of the tenant with a position in (after, upto] and a
 * sequence number above after_seq (for paging), in sequence order. The
 * caller frees them with co_changes_free. */
CO_API co_code co_capture_changes(co_store *st, const char *tenant, int64_t after, int64_t upto,
                                  int64_t after_seq, size_t max, co_change **out, size_t *n,
                                  co_error *err);
CO_API void co_changes_free(co_change *c, size_t n);
/* How many changes of the tenant wait above the position after. */
CO_API co_code co_capture_backlog(co_store *st, const char *tenant, int64_t after, int64_t *count,
                                  co_error *err);
/* Whether the tenant is frozen now (a freeze whose heartbeat lapsed is not). */
CO_API co_code co_capture_is_frozen(co_store *st, const char *tenant, bool *frozen, co_error *err);

#endif
