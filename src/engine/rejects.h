/*
 * rejects.h: the tenant's reject file (JSON Lines) and its index in the
 * journal. A reject is a source row that cannot be loaded, kept with its
 * entity, key, rule and reason, and the row itself.
 */
#ifndef CUTOVER_ENGINE_REJECTS_H
#define CUTOVER_ENGINE_REJECTS_H

#include "cutover/error.h"
#include "cutover/state.h"
#include "cutover/value.h"

#include <stdint.h>
#include <stdio.h>

typedef struct co_rejects {
    FILE *file;
    char *path;
    co_state *state;
    int64_t run_id;
    const char *tenant;
    int64_t count;
} co_rejects;

/* Creates (truncating) DIR/TENANT.jsonl, making DIR if needed, and clears the
 * tenant's rejects in the journal; with append, adds to both instead (catch-up). */
co_code Co_rejects_open(co_rejects *r, const char *dir, co_state *state, int64_t run_id,
                        const char *tenant, bool append, co_error *err);
/* Writes one reject: key is canonical key text; names label the row's values. */
co_code Co_rejects_add(co_rejects *r, const char *entity, const char *key, const char *rule,
                       const char *reason, const co_value *row, const char *const *names,
                       size_t ncols, co_error *err);
/* Flushes the file to disk. */
co_code Co_rejects_sync(co_rejects *r, co_error *err);
/* Closes the file; path stays readable until Co_rejects_release. */
co_code Co_rejects_close(co_rejects *r, co_error *err);
void Co_rejects_release(co_rejects *r);

#endif
