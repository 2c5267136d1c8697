/*
 * link.h: record linkage: finding the pairs of records that are probably the
 * same thing (one person entered twice, one company in two files) when no key
 * says so. Used by merges on "doubtful pairs": sure pairs are merged, doubtful
 * ones go to a person, the rest are left alone.
 *
 * Two steps. Blocking: each record gives a few blocking keys (a postcode, a
 * date of birth, the first letters of a surname...); only records that share
 * a key of the same rank are compared, which keeps the work near linear.
 * Scoring: each field filled on both sides gives a similarity s in [0, 1]
 * by its comparison (1 = the same). Below the field's floor f it earns
 * nothing; above, it earns (s - f) / (1 - f), so only values that are nearly
 * alike count. The score is the weighted mean of what the fields earn, taken
 * over the fields filled on both sides only: a missing value neither helps
 * nor hurts, the pair is judged on what both records say. Pairs scoring at
 * least merge_at are sure; from review_at up to merge_at, doubtful.
 *
 * Usage:
 *     co_link *l;
 *     Co_link_new(&cfg, &l, &err);
 *     for each record: Co_link_add(l, fields, blocks, -1, &err);
 *     Co_link_pairs(l, &pairs, &npairs, &stats, &err);   (free(pairs) after)
 *     Co_link_free(l);
 *
 * Records are copied into the co_link (code points, parsed numbers), so the
 * caller's strings may be reused at once; memory grows with the records
 * added: about 24 bytes per field plus 4 bytes per character.
 */
#ifndef CUTOVER_DEDUPE_LINK_H
#define CUTOVER_DEDUPE_LINK_H

#include "cutover/error.h"

#include <stddef.h>
#include <stdint.h>

/* How two values of one field are compared, giving a similarity in [0, 1]
 * (dedupe/similarity.h). Equal values are 1 whatever the kind. */
typedef enum co_compare_kind {
    CO_CMP_EXACT = 0,    /* 1 when equal, else 0 (codes, ids, e-mail addresses) */
    CO_CMP_JARO_WINKLER, /* Jaro-Winkler: names, short words; forgives typos, favours a
                            shared beginning */
    CO_CMP_LEVENSHTEIN,  /* 1 - edit distance / longer length */
    CO_CMP_DAMERAU,      /* as LEVENSHTEIN, a swap of neighbours counting as one edit:
                            numbers typed by hand (phone, postcode, street number) */
    CO_CMP_TOKENS,       /* words in any order, each matched to its closest word on the
                            other side by Jaro-Winkler: full names, addresses */
    CO_CMP_NUMBER,       /* closeness 1 - |a - b| / scale (scale 0: relative to the larger);
                            text that is not a number: as DAMERAU */
    CO_CMP_DATE,         /* YYYY-MM-DD or YYYYMMDD: 1 - days apart / scale (default 30),
                            or 0.9 for day and month swapped, or the edit similarity of the
                            digits, whichever is highest; text that is not a date: as DAMERAU */
    CO_CMP_KIND_COUNT
} co_compare_kind;

/* One compared field. Knobs left at 0 take their default.
 *
 * The field's contribution to a pair's score is its similarity s rescaled
 * above its floor f: 0 when s <= f, else (s - f) / (1 - f). So only values
 * that are nearly alike earn much: with Jaro-Winkler's floor of 0.8,
 * "martha"/"marhta" (0.96) earns 0.81, "jon"/"john" (0.93) 0.67,
 * "smith"/"schmidt" (0.74) nothing. */
typedef struct co_link_field {
    const char *name;        /* shown to people and in errors; copied */
    co_compare_kind compare;
    double weight;           /* how much the field counts (> 0); 0 means 1 */
    double floor;            /* in [0, 1); 0 means the kind's default: EXACT 0, JARO_WINKLER
                                and TOKENS 0.8, LEVENSHTEIN and DAMERAU 0.5, NUMBER 0,
                                DATE 0.5; negative (CO_LINK_NO_FLOOR) means none */
    double agree_at;         /* similarity from which the field is said to agree (bit in
                                co_link_pair.agree); 0 means 1 for EXACT, else 0.9 */
    double scale;            /* NUMBER: the difference that counts as wholly different (0:
                                relative to the larger value); DATE: in days (0: 30) */
} co_link_field;

#define CO_LINK_NO_FLOOR (-1.0) /* co_link_field.floor: every bit of similarity counts */
#define CO_LINK_MAX_FIELDS 32
#define CO_LINK_MAX_BLOCK 1000 /* default of co_link_config.max_block */

typedef struct co_link_config {
    const co_link_field *fields; /* nfields (1..CO_LINK_MAX_FIELDS); copied */
    size_t nfields;
    size_t nblocks;   /* blocking keys per record (ranks). Two records are compared when
                         they have the same non-empty key at the same rank */
    double review_at; /* pairs scoring >= review_at are returned (0: every compared pair) */
    double merge_at;  /* pairs scoring >= merge_at are sure: merge without asking; those in
                         [review_at, merge_at) go to a person. In (0, 1], >= review_at */
    size_t max_block; /* a block holding more records than this is not compared (its
                         records may still meet through other keys) and is counted in
                         co_link_stats.skipped_blocks; 0 means CO_LINK_MAX_BLOCK */
} co_link_config;

typedef struct co_link co_link;

/* One pair of records a < b (record numbers in the order added). agree has
 * bit i set when field i is filled on both sides with a similarity of at
 * least its agree_at: "the fields that agree" shown to the person deciding. */
typedef struct co_link_pair {
    size_t a, b;
    double score;   /* in [0, 1] */
    uint32_t agree;
    uint32_t present; /* bit i: field i is filled on both sides */
} co_link_pair;

typedef struct co_link_stats {
    size_t records;        /* records added */
    size_t blocks;         /* distinct blocking keys (over all ranks) */
    size_t skipped_blocks; /* blocks larger than max_block, not compared */
    size_t skipped_pairs;  /* the pairs those blocks would have made (a < b, any group) */
    size_t compared;       /* distinct pairs scored (each once however many keys it shares) */
    size_t review;         /* pairs returned with review_at <= score < merge_at */
    size_t merge;          /* pairs returned with score >= merge_at */
} co_link_stats;

/* Makes an empty linker for cfg (fields and names are copied: cfg may go
 * away). CO_EUSAGE when the configuration is invalid (no field, more than
 * CO_LINK_MAX_FIELDS, an unknown compare kind, a negative weight, thresholds
 * out of order or out of [0, 1]); CO_ENOMEM. Free with Co_link_free. */
co_code Co_link_new(const co_link_config *cfg, co_link **out, co_error *err);

/* Adds record number Co_link_count(l). fields: nfields UTF-8 values, already
 * normalized by the caller (case folded and trimmed, typically through SQL);
 * NULL or "" means missing. blocks: nblocks keys (NULL when nblocks is 0);
 * NULL or "" means none at that rank. group: records of the same group >= 0
 * are never paired (to link two files without deduplicating each: 0 and 1);
 * -1 means no group. Bytes that are not UTF-8 are compared as they are.
 * CO_ENOMEM, or CO_EUSAGE past UINT32_MAX - 1 records. */
co_code Co_link_add(co_link *l, const char *const *fields, const char *const *blocks, int group,
                    co_error *err);

size_t Co_link_count(const co_link *l);

/* Scores every distinct pair of records that share a block (not in one
 * group) and returns in *pairs (the caller frees it with free(); NULL when
 * *npairs is 0) those scoring >= review_at, sorted by a, then b. stats (may
 * be NULL) is filled in. May be called again after more records are added.
 * CO_ENOMEM. */
co_code Co_link_pairs(co_link *l, co_link_pair **pairs, size_t *npairs, co_link_stats *stats,
                      co_error *err);

/* Scores records a and b whether or not they share a block, for showing a
 * pair: fills *out and, when sims is not NULL, sims[i] with field i's raw
 * similarity (-1 when missing on either side). CO_EUSAGE when a or b is not a
 * record number. */
co_code Co_link_score(const co_link *l, size_t a, size_t b, co_link_pair *out, double *sims,
                      co_error *err);

/* The name of a compare kind as a project file spells it ("jaro_winkler"),
 * and back (CO_CMP_KIND_COUNT when unknown), for the project-file parser. */
const char *Co_compare_kind_name(co_compare_kind kind);
co_compare_kind Co_compare_kind_parse(const char *name);

void Co_link_free(co_link *l);

#endif
