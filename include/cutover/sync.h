/*
 * sync.h: coexistence (docs/coexistence.md). A tenant migrated with
 * --coexist (co_move_options.coexist) is copied, caught up and verified,
 * then left `syncing`: nothing frozen, the application still writing to the
 * old system. co_sync_tenant applies what the tenant wrote since, a round at
 * a time (`cutover sync`, `cutover worker`), and journals each round; the
 * share of the tenant's reads that the application sends to the new system
 * moves from 0 to 100 (co_reads_set, `cutover route T --reads PCT`), and
 * co_route_reads_new tells an application which side one request reads.
 */
#ifndef CUTOVER_SYNC_H
#define CUTOVER_SYNC_H

#include "cutover/migrate.h"
#include "cutover/state.h"

#include <stdbool.h>
#include <stdint.h>

/* One round of a tenant's sync as the journal keeps it (table sync_rounds). */
typedef struct co_sync_round {
    const char *at;      /* ISO time the round ended (set on read) */
    int64_t applied;     /* captured changes applied by the round */
    int64_t backlog;     /* changes still waiting after it */
    double lag_seconds;  /* age of the oldest change not yet applied then (0: none) */
    double seconds;      /* how long the round took */
    const char *direction; /* "forward" (source to target, a syncing tenant; NULL says so
                              too) or "reverse" (target to source, a switched tenant with
                              reverse capture, docs/coexistence.md) */
} co_sync_round;

/* Journals one round of the tenant's sync (at is set here). A round that
 * applied nothing and left nothing waiting, after one that did the same,
 * updates that round's row (its time, lag and seconds) rather than adding
 * one: idle rounds in a row are one row. */
CO_API co_code co_state_sync_round_add(co_state *st, const char *tenant, const co_sync_round *r,
                                       co_error *err);
/* The tenant's last journaled round into *out (its strings live until the
 * next call on st); *found false when none. */
CO_API co_code co_state_sync_last(co_state *st, const char *tenant, co_sync_round *out,
                                  bool *found, co_error *err);
/* Calls fn with each of the tenant's journaled rounds, newest first, at most
 * max of them (0: all); the strings live until fn returns. */
CO_API co_code co_state_sync_rounds_each(co_state *st, const char *tenant, size_t max,
                                         co_code (*fn)(void *ctx, const co_sync_round *r,
                                                       co_error *err),
                                         void *ctx, co_error *err);

/* The tenant's read share: the percentage (0 to 100) of its reads that the
 * application sends to the new system while its writes stay old (table
 * read_shares; 0 when none was set). co_state_read_share_set only records
 * it: co_reads_set is the checked way. */
CO_API co_code co_state_read_share_get(co_state *st, const char *tenant, int *share,
                                       co_error *err);
CO_API co_code co_state_read_share_set(co_state *st, const char *tenant, int share,
                                       co_error *err);

/* How stale the new system's copy of the tenant may be, from the journal
 * alone (so that it answers with the source away): the lag its last round
 * measured plus the time since that round, in *lag; *known false (and *lag
 * 0) when the tenant has no round. */
CO_API co_code co_sync_lag(co_state *st, const char *tenant, double *lag, bool *known,
                           co_error *err);

/* Where a tenant's writes and reads go, from the journal alone. */
typedef struct co_route_reads {
    char writes[8];     /* "old" or "new": the route */
    char reads[8];      /* "old", "split" (a share of them new) or "new" */
    int read_share;     /* percent of reads on the new system: 100 once routed new */
    bool syncing;       /* the tenant is syncing */
    bool lag_known;     /* syncing, with a journaled round: lag_seconds says */
    double lag_seconds; /* co_sync_lag */
} co_route_reads;

CO_API co_code co_route_reads_get(co_state *st, const char *tenant, co_route_reads *out,
                                  co_error *err);

typedef struct co_sync_options {
    /* Asked between batches of changes: true stops the round with
     * CO_EINTERRUPTED (what was applied stays applied, and marked). */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} co_sync_options;

typedef struct co_sync_result {
    co_sync_round round;   /* what the round did, as journaled (round.at is NULL) */
    int64_t total_applied; /* changes applied by every round since the coexistence began */
    int64_t pruned;        /* applied changes the round deleted from the source's change log */
} co_sync_result;

/* One round of sync for a syncing tenant, or of reverse sync for a switched
 * one (below; CO_ENOTREADY naming its state otherwise, or saying that a
 * switched tenant has no reverse capture; CO_EBUSY while another process
 * holds it): applies every change
 * the tenant's capture recorded up to the capture horizon (cutover/capture.h)
 * in batches of bounded size, each batch in one transaction of the target
 * together with the target's mark of what is applied (table
 * cutover_sync_mark), so that a round killed anywhere loses nothing and
 * applies nothing twice when run again; then deletes the applied changes
 * from the source's change log in bounded batches (res->pruned), measures
 * the backlog and lag and journals the round. Reverse (docs/coexistence.md):
 * the changes the new system made to the tenant, captured on the target since its switch,
 * applied to the source through each entity's `reverse` mapping, each batch
 * in one source transaction with the source's mark (cutover_reverse_mark),
 * through the source's freeze of the tenant; the round journaled with
 * direction "reverse". */
CO_API co_code co_sync_tenant(co_session *s, const co_tenant *t, const co_sync_options *opt,
                              co_sync_result *res, co_error *err);

/* Whether the request identified by request_key (a user's session, an
 * account: what should keep reading one side) reads the tenant from the new
 * system at read_share percent: XXH3 of tenant and key, modulo 100, below
 * the share. The same tenant, key and share always answer the same; a key on
 * the new side stays there as the share grows; 0 never, 100 always. */
CO_API bool co_route_reads_new(const char *tenant, const char *request_key, int read_share);

/* Sets the tenant's read share after the checks of docs/coexistence.md: 0
 * always (all reads back to the old system at once); above 0 only for a
 * syncing tenant whose lag (co_sync_lag) is under options.reads_max_lag_seconds
 * and that passes the parity gate; otherwise CO_ENOTREADY saying why,
 * nothing changed. Opens no database but the journal. */
CO_API co_code co_reads_set(co_session *s, const char *tenant, int share, co_error *err);

#endif
