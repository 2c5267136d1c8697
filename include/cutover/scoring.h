/*
 * scoring.h: behavioural data and lead scoring (docs/scoring.md).
 *
 * An event source is a table of raw events (person, account, event name,
 * timestamp, properties) on any store, declared under `events.sources` in the
 * project file. An event mapping, kept in the journal, says per source which
 * raw event becomes which canonical event, which are excluded and which are
 * negative; its versions are draft, on, off or archived. A behavioural model
 * gives each canonical event a weight in points and a lifespan in days; a
 * person's (or an account's) score as of a date is the sum of the decayed
 * contributions, normalized to 0-100 and cut into four segments.
 *
 * Switching a source compares volumes (co_volume_compare), then the old
 * model against a draft on the new source (co_model_compare), and publishes
 * the draft only when both rank people alike (co_switch_run). Nothing here
 * prints; results are values the caller renders.
 */
#ifndef CUTOVER_SCORING_H
#define CUTOVER_SCORING_H

#include "cutover/buf.h"
#include "cutover/error.h"
#include "cutover/monitor.h"
#include "cutover/project.h"
#include "cutover/state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- mappings ---- */

typedef enum co_ev_kind { CO_EV_EVENT, CO_EV_EXCLUDED, CO_EV_NEGATIVE } co_ev_kind;

/* "event", "excluded", "negative"; co_ev_kind_parse returns false for others. */
CO_API const char *co_ev_kind_name(co_ev_kind k);
CO_API bool co_ev_kind_parse(const char *s, co_ev_kind *out);

typedef struct co_mapping_rule {
    char *raw;        /* the source's event name */
    char *canonical;  /* the canonical event ("" when excluded) */
    co_ev_kind kind;
} co_mapping_rule;

typedef struct co_mapping {
    int64_t id;
    char *source;     /* the event source's name in the project file */
    int64_t version;  /* 1, 2, ... per source */
    char *status;     /* "draft", "on", "off", "archived" */
    char *origin;     /* where it came from: a file, "duplicate of 3" */
    char *updated_at;
    co_mapping_rule *rules;
    size_t nrules;
} co_mapping;

CO_API void co_mapping_release(co_mapping *m);

/* Reads a mapping file: CSV lines `raw_event,canonical_event,kind` (kind
 * event, excluded or negative; canonical may be empty when excluded; '#'
 * starts a comment). Fills m->rules; errors carry "FILE:LINE". */
CO_API co_code co_mapping_read_file(const char *path, co_mapping *m, co_error *err);

/* Records m (its source and rules) as the source's next version with the
 * given status; *id gets the new id. Turning a version "on" turns the
 * source's other "on" version "off". */
CO_API co_code co_mapping_save(co_state *st, const co_mapping *m, const char *status, int64_t *id,
                               co_error *err);

/* Loads version id. CO_ENOTFOUND when there is none. */
CO_API co_code co_mapping_load(co_state *st, int64_t id, co_mapping *out, co_error *err);

/* Finds a mapping by "ID" (a number) or "SOURCE" (that source's "on"
 * version, else its newest version that is not archived). */
CO_API co_code co_mapping_find(co_state *st, const char *ref, co_mapping *out, co_error *err);

/* Every version, newest first; the caller releases each and frees the array. */
CO_API co_code co_mapping_list(co_state *st, co_mapping **out, size_t *n, co_error *err);

/* Sets a version's status; "on" turns the source's other "on" version "off". */
CO_API co_code co_mapping_set_status(co_state *st, int64_t id, const char *status, co_error *err);

/* Copies mapping `from` for to_source with status "off", renaming raw events
 * through rename_path (CSV lines `old_raw,new_raw`; NULL for none); names not
 * in the table are kept; an empty new_raw (the new source lacks the event)
 * makes the copy exclude it. *id gets the copy's id. */
CO_API co_code co_mapping_duplicate(co_state *st, int64_t from, const char *to_source,
                                    const char *rename_path, int64_t *id, co_error *err);

/* ---- models ---- */

enum { CO_SEG_VERY_HIGH, CO_SEG_HIGH, CO_SEG_MEDIUM, CO_SEG_LOW, CO_SEG_COUNT };

/* "very high", "high", "medium", "low". */
CO_API const char *co_segment_name(int seg);

typedef struct co_model_event {
    char *event;       /* canonical event */
    double weight;     /* points at the moment it happens; negative events subtract */
    int lifespan_days; /* the contribution reaches 0 after this many days */
} co_model_event;

typedef struct co_model {
    int64_t id;
    char *name;
    char *level;       /* "lead" or "account" */
    char *source;      /* the event source it reads, through the source's mapping */
    char *status;      /* "draft", "published", "archived" */
    double half_points;/* points that score 50 (normalization, docs/scoring.md) */
    bool percentiles;  /* segments by percentiles of the scored people, else by score */
    double cuts[3];    /* very high, high, medium: lower bounds (score, or percentile) */
    char *origin;
    char *updated_at;
    co_model_event *events;
    size_t nevents;
} co_model;

CO_API void co_model_release(co_model *m);

/* The defaults: half_points 50, segments by score at 75, 50 and 25. */
CO_API void co_model_defaults(co_model *m);

/* Reads a model file: CSV lines `canonical_event,weight,lifespan_days`. */
CO_API co_code co_model_read_file(const char *path, co_model *m, co_error *err);

/* Records m (name unique) with the given status; *id gets its id. */
CO_API co_code co_model_save(co_state *st, const co_model *m, const char *status, int64_t *id,
                             co_error *err);
/* Loads a model by name or id. */
CO_API co_code co_model_find(co_state *st, const char *ref, co_model *out, co_error *err);
CO_API co_code co_model_list(co_state *st, co_model **out, size_t *n, co_error *err);
CO_API co_code co_model_set_status(co_state *st, int64_t id, const char *status, co_error *err);

/* A draft named new_name on `source` with m's weight and lifespan for each
 * canonical event that the source's mapping (as co_mapping_find gives it)
 * produces; events it lacks are left out and counted in *dropped. */
CO_API co_code co_model_duplicate(co_state *st, const co_model *m, const char *source,
                                  const char *new_name, int64_t *id, size_t *dropped,
                                  co_error *err);

/* ---- scores ---- */

/* One event's contribution age_days after it happened: weight falling
 * linearly to 0 at lifespan_days; 0 before it happens and from then on. */
CO_API double co_score_contribution(double weight, int lifespan_days, double age_days);
/* Points to 0-100: 100 * p / (p + half); 0 for p <= 0. */
CO_API double co_score_normalize(double points, double half_points);

/* Scores of one model as of a date: one row per person (lead level) or
 * account (account level) that has at least one mapped event. */
typedef struct co_scores {
    size_t n;
    char **keys;       /* person or account key, as text */
    double *points;
    double *score;     /* 0-100 */
    int *segment;      /* CO_SEG_* */
    int64_t events_read;   /* rows read from the source */
    int64_t events_used;   /* rows that contributed */
    int64_t *per_event;    /* [model event] rows seen up to as_of (any age) */
} co_scores;

CO_API void co_scores_release(co_scores *s);

/* Assigns segments from scores by the model's cuts (thresholds or percentiles). */
CO_API void co_scores_segment(const co_model *m, co_scores *s);

/* Streams the model's source through its mapping and scores everyone as of
 * as_of: memory holds one number per person (or account), never the events. */
CO_API co_code co_score_model(const co_project *p, co_state *st, const co_model *m, time_t as_of,
                              co_scores *out, co_error *err);

/* The top contributing events of the given keys (person or account), for the
 * sample page: out[i] gets up to `top` "event +points" texts joined by "; ". */
CO_API co_code co_score_explain(const co_project *p, co_state *st, const co_model *m, time_t as_of,
                                const char *const *keys, size_t nkeys, size_t top, char **out,
                                co_error *err);

/* ---- metrics (docs/scoring.md gives each formula) ---- */

/* Area under the ROC curve of score for label (1 converted), ties counted
 * half; 0.5 when either class is empty. */
CO_API double co_metric_auc(const double *score, const unsigned char *label, size_t n);
/* Spearman's rank correlation (average ranks for ties); 1 when both are constant. */
CO_API double co_metric_spearman(const double *a, const double *b, size_t n);
/* Two-sample Kolmogorov-Smirnov statistic: the largest gap between the CDFs. */
CO_API double co_metric_ks(const double *a, const double *b, size_t n);
/* Population stability index of b against a over ten score bands of width 10. */
CO_API double co_metric_psi(const double *a, const double *b, size_t n);

/* The share of scores in each of the ten bands [0,10) ... [90,100]. */
#define CO_SCORE_BANDS 10
CO_API void co_score_bands(const double *score, size_t n, double bands[CO_SCORE_BANDS]);
/* PSI of band shares b against a (each share floored at 0.01%): for
 * distributions of different people, such as a model's scores today against
 * those recorded when it was published. */
CO_API double co_metric_psi_bands(const double a[CO_SCORE_BANDS], const double b[CO_SCORE_BANDS]);

/* ---- comparison ---- */

typedef struct co_compare_limits {
    double max_auc_delta;  /* default 0.02 */
    double max_psi;        /* default 0.1 */
    double min_spearman;   /* default 0.9 */
} co_compare_limits;

typedef struct co_model_side {
    double auc;
    int64_t count[CO_SEG_COUNT];
    int64_t converted[CO_SEG_COUNT];
    double rate[CO_SEG_COUNT];   /* conversions / people in the segment */
    double lift[CO_SEG_COUNT];   /* rate / overall rate */
    double recall_top2;          /* share of conversions in very high + high */
    double top_low_ratio;        /* very high rate / low rate (0 when low has none) */
} co_model_side;

typedef struct co_model_comparison {
    size_t people;
    int64_t conversions;
    co_model_side old_side, new_side;
    double delta_auc;           /* new - old */
    double spearman, ks, psi;
    int64_t transition[CO_SEG_COUNT][CO_SEG_COUNT]; /* [old segment][new segment] */
    co_compare_limits limits;
    bool similar;
    char reasons[512];          /* which limits failed, "" when similar */
} co_model_comparison;

/* Scores everyone with both models as of as_of and compares them against
 * the labels table (columns person, converted_at) read from the old model's
 * source store: converted = converted_at in (as_of, as_of + 30 days]. */
CO_API co_code co_model_compare(const co_project *p, co_state *st, const co_model *old_m,
                                const co_model *new_m, time_t as_of, const char *labels_table,
                                const co_compare_limits *limits, co_model_comparison *out,
                                co_error *err);
/* The comparison as one JSON object, appended to b. */
CO_API void co_model_comparison_json(const co_model_comparison *c, co_buf *b);

/* The limits from the project file (events.similar), else the defaults. */
CO_API co_compare_limits co_compare_limits_of(const co_project *p);

/* ---- volumes ---- */

typedef struct co_volume_row {
    char *event;         /* canonical */
    char month[8];       /* YYYY-MM */
    int64_t old_count, new_count;
    double diff;         /* (new - old) / max(old, new); 0 when both are 0 */
    bool beyond;         /* |diff| above the tolerance */
} co_volume_row;

/* One (event, person, month) cell whose counts differ. */
typedef struct co_volume_cell {
    char *event;
    char *person;
    char month[8];
    int64_t old_count, new_count;
} co_volume_cell;

typedef struct co_volume_result {
    co_volume_row *rows; /* per canonical event and month, events sorted */
    size_t nrows;
    char **missing_new;  /* canonical events the old side has and the new lacks */
    size_t nmissing_new;
    char **missing_old;
    size_t nmissing_old;
    int64_t cells;          /* (event, person, month) cells on either side */
    int64_t cells_differ;   /* cells whose counts differ */
    double tolerance;
    int months;
    bool ok;                /* the verdict: continue (true) or stop */
    co_volume_cell *worst;  /* the cells that differ most, largest first (at most 20) */
    size_t nworst;
} co_volume_result;

CO_API void co_volume_result_release(co_volume_result *r);

/* Counts records per canonical event, person and month on both sources over
 * the last `months` calendar months (the current one included), through each
 * source's mapping. */
CO_API co_code co_volume_compare(const co_project *p, co_state *st, const char *old_source,
                                 const char *new_source, int months, double tolerance,
                                 co_volume_result *out, co_error *err);
CO_API void co_volume_result_json(const co_volume_result *r, co_buf *b);
/* A self-contained HTML page with a chart per event, old against new. */
CO_API void co_volume_result_html(const co_volume_result *r, const char *old_source,
                                  const char *new_source, co_buf *b);

/* ---- the sample page ---- */

CO_API co_code co_sample_page(const co_project *p, co_state *st, const co_model *old_m,
                              const co_model *new_m, time_t as_of, uint64_t seed,
                              size_t per_segment, co_buf *html, co_error *err);

/* ---- the batch and the switch ---- */

/* The scoring batch's flag in the journal: running unless a switch stopped it. */
CO_API co_code co_batch_get(co_state *st, bool *running, char *since, size_t cap, co_error *err);
CO_API co_code co_batch_set(co_state *st, bool running, const char *note, co_error *err);

/* Called before a draft is published with the comparison that allowed it;
 * returning anything but CO_OK keeps the old model (the seam for approvals). */
typedef co_code (*co_switch_gate_fn)(void *ctx, int64_t switch_id,
                                     const co_model_comparison *cmp, co_error *err);

typedef struct co_switch_options {
    const char *old_model;     /* name or id */
    const char *draft_model;
    time_t as_of;
    const char *labels_table;
    co_switch_gate_fn gate;    /* NULL: publish when similar */
    void *gate_ctx;
} co_switch_options;

typedef struct co_switch_result {
    int64_t id;
    bool published;
    char batch_stopped_at[32];
    char missing[512];         /* expected canonical events that did not arrive */
    co_model_comparison cmp;
    bool compared;
    bool old_mapping_archived; /* false when another published model still reads it */
} co_switch_result;

/* The switch, journaled step by step (scoring_switch_steps). */
CO_API co_code co_switch_run(const co_project *p, co_state *st, const co_switch_options *o,
                             co_switch_result *out, co_error *err);

/* Restores the mapping and model that the last published switch replaced,
 * within the project's retention days of the publish (CO_ENOTREADY after). */
CO_API co_code co_switch_revert(const co_project *p, co_state *st, int64_t *switch_id,
                                co_error *err);

/* The band shares of a published model's scores as the switch that
 * published it loaded them (for monitoring its PSI afterwards). CO_ENOTFOUND
 * when no switch published that model. */
CO_API co_code co_model_publish_bands(co_state *st, const char *model, double bands[CO_SCORE_BANDS],
                                      co_error *err);

/* Finishes a switch that was interrupted (its process killed): when its
 * publish step was journaled it stays published, otherwise the old mapping
 * and model are put back; then the batch restarts. CO_ENOTFOUND when every
 * switch has ended. */
CO_API co_code co_switch_recover(co_state *st, int64_t *switch_id, bool *published, co_error *err);

/* ---- drift after a publish (drift.c) ---- */

/* Monitor probes (monitor.h), one per model published by a source switch:
 * the PSI of its scores as of each monitored day against the band shares the
 * switch recorded, flagged at events.similar.psi or more. probes[i].ctx is
 * ctxs[i]; free both with co_drift_probes_free. p and st must outlive them. */
typedef struct co_drift_probe co_drift_probe;
CO_API co_code co_drift_probes(const co_project *p, co_state *st, co_monitor_probe **probes,
                               co_drift_probe ***ctxs, size_t *n, co_error *err);
CO_API void co_drift_probes_free(co_monitor_probe *probes, co_drift_probe **ctxs, size_t n);

#endif
