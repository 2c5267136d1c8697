/*
 * scoring_int.h: private to src/scoring: the helpers its files share
 * (journal rows, CSV lines, timestamps, event sources, mapping lookups).
 *
 * Files: mapping.c (event mappings), model.c (models in the journal),
 * score.c (contributions, normalization, segments, streaming scores),
 * metrics.c (AUC, Spearman, KS, PSI), compare.c (old model against draft),
 * volume.c (records per event, person and month, side by side),
 * page.c (HTML: volumes and the sample page), switch.c (the batch flag, the
 * switch and its revert), util.c (what this header declares).
 */
#ifndef CUTOVER_SCORING_INT_H
#define CUTOVER_SCORING_INT_H

#include "cutover/scoring.h"
#include "cutover/store.h"
#include "util/buf.h"
#include "util/map.h"

#include <stdint.h>
#include <stdio.h>

/* The journal's current time as "YYYY-MM-DDTHH:MM:SSZ" (the injectable clock). */
void sc_now(char *buf, size_t cap);

/* A heap copy of s ("" for NULL); NULL only when out of memory. */
char *sc_dup(const char *s);

/* A text parameter. */
co_value sc_text(const char *s);

/* Reads the CSV file at path (util/csv.h) record by record, skipping blank
 * lines and '#' comments: fn gets the trimmed fields (at most 8) of each and
 * its line. Errors carry "PATH:LINE". */
typedef co_code (*sc_line_fn)(void *ctx, char **fields, int n, const char *path, int line,
                              co_error *err);
co_code sc_csv_read(const char *path, sc_line_fn fn, void *ctx, co_error *err);

/* Seconds since the epoch of a timestamp value: ISO-8601 text
 * ("YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", with T, fractions and a zone suffix
 * read as UTC) or a number of seconds. False when it is neither. */
bool sc_time_of(co_value v, int64_t *secs);

/* The key of a value as text into buf (integers in decimal); false for NULL. */
bool sc_key_of(co_value v, co_buf *buf);

/* Opens an event source's store (read only). */
co_code sc_source_open(const co_project *p, const char *name, const co_event_source **src,
                       co_store **store, co_error *err);

/* Appends "SELECT a, b, ... FROM t" with every identifier quoted. */
void sc_select(co_store *s, const char *const *cols, size_t ncols, const char *table,
               co_buf *sql);

/* The lookup of a source's raw events: raw name -> (kind, index), where
 * index is the position of the canonical event in `canon` (or -1). */
typedef struct sc_lookup_entry {
    int32_t index;
    int32_t kind;
} sc_lookup_entry;

/* Fills map with raw -> entry for the mapping's rules, indexing canonical
 * names through index_of (which returns -1 for an event to leave out). */
bool sc_lookup_build(const co_mapping *m, co_map *map,
                     int32_t (*index_of)(void *ctx, const char *canonical), void *ctx);

/* Scores the old and the new model as of the same date (co_score_model):
 * both filled, or neither on failure. */
co_code sc_score_both(const co_project *p, co_state *st, const co_model *old_m,
                      const co_model *new_m, time_t as_of, co_scores *so, co_scores *sn,
                      co_error *err);

/* Journal: one step row of a switch. */
co_code sc_step(co_state *st, int64_t switch_id, int seq, const char *step, const char *status,
                const char *detail, co_error *err);

#endif
