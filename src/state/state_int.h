/* state_int.h: what the files of src/state share, and only they: the
 * journal's store, its statements (co_jq: each static in the file of its
 * concern) and running them.
 * Every other folder calls the typed functions of state/journal.h
 * (tests/unit/test_layers.c fails when a file outside src/state names
 * Co_state_read, Co_state_write or a statement). */
#ifndef CUTOVER_STATE_INT_H
#define CUTOVER_STATE_INT_H

#include "cutover/state.h"
#include "cutover/status.h"
#include "cutover/store.h"

#include <string.h>

/* How many times this process holds the tenant's lease: a counter kept in
 * the co_state, created when create is true; NULL when absent (or out of
 * memory while creating). */
int *Co_state_held(co_state *st, const char *tenant, bool create);

/* The version of the journal's schema this cutover writes: the number of
 * the last step in schema.sql.h. */
#define CO_STATE_SCHEMA_VERSION 2

/* Brings the journal's tables to this cutover's schema (upgrade.c: the
 * steps of schema.sql.h it has not had, in order, under the journal's lock);
 * CO_EUNSUPPORTED for a journal made by a newer cutover. */
co_code Co_state_upgrade(co_store *s, co_error *err);

/* The journal's store, for the files of src/state only: every other folder
 * reads and writes the journal through the typed functions of
 * state/journal.h and cutover/state.h. */
co_store *Co_state_store(co_state *st);

/* Text as a parameter: s, or NULL for NULL. */
co_value Co_state_text_or_null(const char *s);
/* A text cell as a C string in buf (cap bytes, cut to fit), or NULL when the
 * cell is no text. */
const char *Co_state_cell_text(co_value v, char *buf, size_t cap);

/* The id map's buffered writes (idmap.c): single rows for id_map and runs
 * of consecutive integer keys for id_map_runs. Open prepares both loaders on
 * the journal's store; flush writes what is buffered (and refuses a run that
 * overlaps another of its tenant and entity: a source key mapped twice);
 * discard forgets it (a rollback); close frees it (NULL: nothing). */
typedef struct co_idmap_writer co_idmap_writer;
co_code Co_idmap_writer_open(co_store *s, co_idmap_writer **out, co_error *err);
co_code Co_idmap_writer_flush(co_idmap_writer *w, co_error *err);
void Co_idmap_writer_discard(co_idmap_writer *w);
void Co_idmap_writer_close(co_idmap_writer *w);
/* The journal's id map writer (state.c owns it). */
co_idmap_writer *Co_state_idmap_writer(co_state *st);

/* Writes the buffered id map, reject and merge rows, so that a read sees
 * them; every read of the journal does it first. */
co_code Co_state_flush(co_state *st, co_error *err);
/* Which journal st is, as opened (URI and the directory it is relative to):
 * journals of one name in one process share their leases' registry. */
const char *Co_state_journal(const co_state *st);

/* Forgets that st holds tenant in this process (lease.c's registry of the
 * tenants each open journal of this process holds). */
void Co_state_registry_drop(const co_state *st, const char *tenant);

/* A statement of the journal, defined in the file of its table's concern. */
typedef struct co_jq {
    const char *sql;
} co_jq;

/* Runs a statement that returns rows; buffered rows are written first. The
 * caller closes *out with co_cursor_close. */
co_code Co_state_read(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                      co_cursor **out, co_error *err);
/* Runs a statement whose answer is one integer (a count, a RETURNING id), as
 * co_store_query_int; buffered rows are written first. */
co_code Co_state_read_int(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                          int64_t *value, bool *found, co_error *err);
/* Runs a statement whose answer is one text (a status, a route): the first
 * row's first column copied into buf (cap bytes, cut to fit) when it is
 * text, buf untouched otherwise; *found (may be NULL) says whether it was.
 * Buffered rows are written first. */
co_code Co_state_read_text(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                           char *buf, size_t cap, bool *found, co_error *err);
/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows
 * it changed. Buffered rows stay buffered (no statement here deletes from a
 * buffered table: those deletes are state.c's and flush first). */
co_code Co_state_write(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                       long long *changes, co_error *err);

/* Runs a read of the journal (Co_state_read) and calls row
 * for each row it returns, with the cursor on that row, until row returns
 * other than CO_OK (that code is returned). */
struct co_jrows;
co_code Co_state_each(co_state *st, const co_jq *q, const co_param *params,
                      size_t nparams, co_code (*row)(void *ctx, co_cursor *c, co_error *err),
                      void *ctx, co_error *err);

/* The rows of a read of the journal, kept whole (state/journal.h: co_jrows);
 * the caller releases *out with Co_jrows_release. */
co_code Co_state_rows(co_state *st, const co_jq *q, const co_param *params,
                      size_t nparams, struct co_jrows *out, co_error *err);
/* The same with the parameters a view takes: a text (may be NULL: none),
 * then an integer (id may be NULL: none). */
co_code Co_state_rows_of(co_state *st, const co_jq *q, const char *text,
                         const int64_t *id, struct co_jrows *out, co_error *err);

/* Define Co_state_view_NAME (state/journal.h) over the statement q, whose
 * parameter is nothing, the tenant, or a run's id. */
#define CO_JVIEW(name, q)                                                                       \
    co_code Co_state_view_##name(co_state *st, co_jrows *out, co_error *err)                   \
    {                                                                                           \
        return Co_state_rows_of(st, &(q), NULL, NULL, out, err);                                \
    }
#define CO_JVIEW_TENANT(name, q)                                                                \
    co_code Co_state_view_##name(co_state *st, const char *tenant, co_jrows *out,              \
                                 co_error *err)                                                \
    {                                                                                           \
        return Co_state_rows_of(st, &(q), tenant, NULL, out, err);                              \
    }
#define CO_JVIEW_RUN(name, q)                                                                   \
    co_code Co_state_view_##name(co_state *st, int64_t run_id, co_jrows *out, co_error *err)   \
    {                                                                                           \
        return Co_state_rows_of(st, &(q), NULL, &run_id, out, err);                             \
    }

/* Status of the tenants' shadow reads (parity.c): each row's latest parity
 * run into its parity field (id 0: none), for co_status_list; and
 * ,"parity":{"run","pass","at","checks","failed","mismatches"} appended to
 * a tenant's JSON when it has a run (nothing otherwise). */
co_code Co_status_parity(co_state *st, co_tenant_status *rows, size_t n, co_error *err);
void Co_status_parity_json(co_buf *b, const co_tenant_status *r);

/* SQL spelling the canonical key of one integer expression x, "[N]"
 * (util/key.h), on every journal engine: what a run of id_map_runs holds. */
#define CO_JINT_KEY(x) "'[' || CAST(" x " AS TEXT) || ']'"

/* A C string as a parameter: NULL as SQL NULL. */
static inline co_value Co_jtext(const char *s) { return s ? co_text(s, strlen(s)) : co_null(); }
/* A cursor's text value as a C string, NULL when it is not text. */
static inline const char *Co_jstr(co_value v) { return v.type == CO_TEXT ? v.s : NULL; }
/* A cursor's number as a double, whether stored as integer or real. */
static inline double Co_jreal(co_value v) { return v.type == CO_REAL ? v.r : (double)v.i; }

#endif
