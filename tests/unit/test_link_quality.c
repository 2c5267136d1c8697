/*
 * test_link_quality.c: how well record linkage (dedupe/link.h) finds real
 * duplicates, measured on third-party data with known truth (../shared/data:
 * Febrl datasets 1 to 4, the Splink demo sample). Each dataset is configured
 * as a user would in a project file: fields normalized (case folded,
 * trimmed), blocking keys made of columns and prefixes, weights, thresholds.
 * The test asserts floors a little below the measured precision and recall,
 * over pairs, of the sure pairs alone (auto-merge) and of sure + doubtful.
 *
 * CUTOVER_LINK_REPORT=1 prints the results table (times are for adding the
 * records and scoring the pairs); =2 adds, per data set, the blocking recall
 * and the precision and recall every threshold would give, for tuning.
 * CUTOVER_LINK_ONLY=febrl4 runs one data set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedupe/link.h"
#include "dedupe/normalize.h"
#include "util/buf.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the data sets -------------------------------------------------------------- */

#define MAXCOLS 16
#define MAXPARTS 3

/* An expression as a project file's SQL would write it: parts joined by a
 * space, each a column or the first len characters of one (substr(c, 1, len)).
 * As a key, a missing part makes the whole key missing (NULL || x is NULL). */
typedef struct part {
    const char *col;
    int len; /* 0: the whole value */
} part;
typedef struct expr {
    part p[MAXPARTS];
    bool sorted; /* parts in text order, as CASE WHEN a < b THEN a || ' ' || b ELSE ... */
} expr;

typedef struct field {
    expr x;
    co_link_field f;
} field;

typedef struct floors {
    double auto_precision, auto_recall, all_precision, all_recall;
    double review_share; /* at most this share of the returned pairs to review */
} floors;

typedef struct dataset {
    const char *name;
    const char *files[2]; /* a second file: linking two files (groups 0 and 1) */
    const char *id_col;   /* Febrl: rec-N-org / rec-N-dup-K, the person is N */
    const char *truth_col; /* else: a column holding the true cluster */
    field fields[CO_LINK_MAX_FIELDS];
    expr blocks[8];
    double review_at, merge_at;
    floors min;
} dataset;

#define F(c) {{{c, 0}}, false}
#define FIELD(c, kind, w) {F(c), {c, kind, w, 0, 0, 0}}

/* The fields and blocks common to the Febrl files. */
#define FEBRL_FIELDS                                                                          \
    {                                                                                         \
        FIELD("given_name", CO_CMP_JARO_WINKLER, 2), FIELD("surname", CO_CMP_JARO_WINKLER, 2), \
            FIELD("street_number", CO_CMP_DAMERAU, 0.5), FIELD("address_1", CO_CMP_TOKENS, 1), \
            FIELD("address_2", CO_CMP_TOKENS, 0.5), FIELD("suburb", CO_CMP_JARO_WINKLER, 1),   \
            FIELD("postcode", CO_CMP_DAMERAU, 1), FIELD("state", CO_CMP_EXACT, 0.25),         \
            FIELD("date_of_birth", CO_CMP_DATE, 2), FIELD("soc_sec_id", CO_CMP_DAMERAU, 2),    \
    }
#define FEBRL_BLOCKS                                                                  \
    {                                                                                 \
        F("given_name"), F("surname"), F("postcode"), F("date_of_birth"), F("soc_sec_id"), \
    }

static const dataset datasets[] = {
    {"febrl1", {"febrl/dataset1.csv"}, "rec_id", NULL, FEBRL_FIELDS, FEBRL_BLOCKS, 0.4, 0.5,
     {0.995, 0.985, 0.995, 0.995, 0.02}},
    {"febrl2", {"febrl/dataset2.csv"}, "rec_id", NULL, FEBRL_FIELDS, FEBRL_BLOCKS, 0.4, 0.5,
     {0.995, 0.98, 0.99, 0.99, 0.03}},
    {"febrl3", {"febrl/dataset3.csv"}, "rec_id", NULL, FEBRL_FIELDS, FEBRL_BLOCKS, 0.4, 0.5,
     {0.995, 0.965, 0.99, 0.985, 0.03}},
    {"febrl4", {"febrl/dataset4a.csv", "febrl/dataset4b.csv"}, "rec_id", NULL, FEBRL_FIELDS,
     FEBRL_BLOCKS, 0.4, 0.5, {0.995, 0.99, 0.99, 0.995, 0.02}},
    {"splink",
     {"splink/fake_1000_from_splink_demos.csv"},
     NULL,
     "cluster",
     {
         {{{{"first_name", 0}, {"surname", 0}}, false},
          {"name", CO_CMP_TOKENS, 3, CO_LINK_NO_FLOOR, 0, 0}},
         {F("dob"), {"dob", CO_CMP_DATE, 2, CO_LINK_NO_FLOOR, 0, 365}},
         {F("city"), {"city", CO_CMP_JARO_WINKLER, 1, CO_LINK_NO_FLOOR, 0, 0}},
         {F("email"), {"email", CO_CMP_DAMERAU, 2, CO_LINK_NO_FLOOR, 0, 0}},
     },
     {F("dob"), F("email"), {{{"first_name", 0}, {"surname", 0}}, true},
      {{{"city", 0}, {"dob", 4}}, false}, F("surname"), F("first_name")},
     0.7,
     0.8,
     {0.99, 0.935, 0.945, 0.955, 0.08}},
};

/* ---- reading CSV ------------------------------------------------------------------ */

/* One file's rows: cells[row * ncols + col], case folded and trimmed. */
typedef struct table {
    char *names[MAXCOLS];
    size_t ncols, nrows;
    char **cells;
} table;

static const char *shared_dir(char *buf, size_t cap)
{
    const char *shared = getenv("CUTOVER_SHARED");
    if (shared && *shared) {
        snprintf(buf, cap, "%s", shared);
    } else {
        const char *source = getenv("CUTOVER_SOURCE_DIR");
        snprintf(buf, cap, "%s/../shared", source && *source ? source : ".");
    }
    return buf;
}

static char *fold(const char *s, size_t len)
{
    co_buf b = CO_BUF_INIT;
    if (!Co_norm_casefold(s, len, &b))
        Co_buf_add(&b, s, len); /* not UTF-8: kept as it is */
    Co_buf_addc(&b, '\0');
    return co_buf_detach(&b);
}

/* Splits one line at commas (the files have no quoted commas). */
static size_t split(const char *line, size_t len, char **out, size_t max)
{
    size_t n = 0;
    const char *start = line, *end = line + len;
    for (const char *p = line;; p++) {
        if (p == end || *p == ',') {
            assert_true(n < max);
            out[n++] = fold(start, (size_t)(p - start));
            start = p + 1;
            if (p == end)
                break;
        }
    }
    return n;
}

static void read_table(const char *rel, table *t)
{
    char dir[900], path[1024];
    snprintf(path, sizeof path, "%s/data/%s", shared_dir(dir, sizeof dir), rel);
    FILE *in = fopen(path, "rb");
    if (!in)
        fail_msg("cannot read %s (set CUTOVER_SHARED)", path);
    co_buf text = CO_BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, in)) > 0)
        Co_buf_add(&text, chunk, got);
    fclose(in);
    memset(t, 0, sizeof *t);
    size_t cap = 0;
    const char *p = co_buf_str(&text), *end = p + text.len;
    bool header = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end; /* the last line may have no newline */
        size_t len = (size_t)(stop - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len) {
            char *cells[MAXCOLS];
            size_t n = split(p, len, cells, MAXCOLS);
            if (header) {
                memcpy(t->names, cells, n * sizeof *cells);
                t->ncols = n;
                header = false;
            } else {
                assert_int_equal(n, t->ncols);
                if (t->nrows == cap) {
                    cap = cap ? cap * 2 : 1024;
                    t->cells = realloc(t->cells, cap * t->ncols * sizeof *t->cells);
                    assert_non_null(t->cells);
                }
                memcpy(t->cells + t->nrows * t->ncols, cells, n * sizeof *cells);
                t->nrows++;
            }
        }
        p = stop + 1;
    }
    Co_buf_release(&text);
}

static void free_table(table *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        free(t->names[i]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

static size_t column(const table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    fail_msg("no column %s", name);
    return 0;
}

static int by_text(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Evaluates x on row r into b. As a key (strict), any missing part makes it
 * missing; as a field, missing parts are left out. False when missing. */
static bool eval(const table *t, size_t r, const expr *x, bool strict, co_buf *b)
{
    Co_buf_reset(b);
    const char *v[MAXPARTS];
    size_t n = 0;
    for (; n < MAXPARTS && x->p[n].col; n++)
        v[n] = t->cells[r * t->ncols + column(t, x->p[n].col)];
    if (x->sorted)
        qsort(v, n, sizeof *v, by_text);
    for (size_t i = 0; i < n; i++) {
        if (!*v[i]) {
            if (strict)
                return false;
            continue;
        }
        if (b->len)
            Co_buf_addc(b, ' ');
        size_t len = strlen(v[i]);
        if (x->p[i].len) { /* the first len characters, not bytes */
            size_t chars = 0, k = 0;
            while (k < len && chars < (size_t)x->p[i].len) {
                k++;
                while (k < len && ((unsigned char)v[i][k] & 0xC0) == 0x80)
                    k++;
                chars++;
            }
            len = k;
        }
        Co_buf_add(b, v[i], len);
    }
    return b->len > 0;
}

/* The true cluster of row r: N of rec-N-..., or the truth column. */
static long truth(const dataset *d, const table *t, size_t r)
{
    if (d->truth_col)
        return strtol(t->cells[r * t->ncols + column(t, d->truth_col)], NULL, 10);
    const char *id = t->cells[r * t->ncols + column(t, d->id_col)];
    assert_true(strncmp(id, "rec-", 4) == 0);
    return strtol(id + 4, NULL, 10);
}

/* ---- measuring -------------------------------------------------------------------- */

typedef struct result {
    size_t records, true_pairs, compared, found_by_blocking;
    size_t n_auto, tp_auto, n_review, tp_review;
    double seconds;
} result;

static size_t count_fields(const dataset *d)
{
    size_t n = 0;
    while (n < CO_LINK_MAX_FIELDS && d->fields[n].f.name)
        n++;
    return n;
}

static size_t count_blocks(const dataset *d)
{
    size_t n = 0;
    while (n < 8 && d->blocks[n].p[0].col)
        n++;
    return n;
}

static int by_long(const void *x, const void *y)
{
    long a = *(const long *)x, b = *(const long *)y;
    return a < b ? -1 : a > b;
}

/* True pairs: within a cluster (dedupe), or across files (linking). */
static size_t true_pairs(const long *cl, const int *group, size_t n, bool linking)
{
    long *keys = malloc(n * sizeof *keys);
    assert_non_null(keys);
    size_t total = 0;
    if (!linking) {
        memcpy(keys, cl, n * sizeof *keys);
        qsort(keys, n, sizeof *keys, by_long);
        for (size_t i = 0, j; i < n; i = j) {
            for (j = i; j < n && keys[j] == keys[i]; j++)
                ;
            total += (j - i) * (j - i - 1) / 2;
        }
    } else { /* each cluster: rows in file 0 times rows in file 1 */
        for (size_t i = 0; i < n; i++)
            keys[i] = cl[i] * 2 + group[i];
        qsort(keys, n, sizeof *keys, by_long);
        for (size_t i = 0, j; i < n; i = j) {
            size_t in0 = 0, in1 = 0;
            for (j = i; j < n && keys[j] / 2 == keys[i] / 2; j++)
                *(keys[j] % 2 ? &in1 : &in0) += 1;
            total += in0 * in1;
        }
    }
    free(keys);
    return total;
}

static int report_level(void)
{
    const char *r = getenv("CUTOVER_LINK_REPORT");
    return r && *r ? (int)strtol(r, NULL, 10) : 0;
}

static void run(const dataset *d, double review_at, result *res, co_link_pair **out_pairs,
                size_t *out_n, long **out_cl)
{
    size_t nfiles = d->files[1] ? 2 : 1, nf = count_fields(d), nb = count_blocks(d);
    table t[2];
    for (size_t i = 0; i < nfiles; i++)
        read_table(d->files[i], &t[i]);
    co_link_field lf[CO_LINK_MAX_FIELDS];
    for (size_t i = 0; i < nf; i++)
        lf[i] = d->fields[i].f;
    co_link_config cfg = {lf, nf, nb, review_at, d->merge_at, 0};
    co_link *l;
    co_error err;
    assert_int_equal(Co_link_new(&cfg, &l, &err), CO_OK);

    size_t total = t[0].nrows + (nfiles > 1 ? t[1].nrows : 0);
    long *cl = malloc(total * sizeof *cl);
    int *group = malloc(total * sizeof *group);
    assert_true(cl && group);
    co_buf vals[CO_LINK_MAX_FIELDS + 8];
    for (size_t i = 0; i < nf + nb; i++)
        Co_buf_init(&vals[i]);
    double start = Co_clock_mono();
    for (size_t f = 0; f < nfiles; f++)
        for (size_t r = 0; r < t[f].nrows; r++) {
            const char *fv[CO_LINK_MAX_FIELDS], *bv[8];
            for (size_t i = 0; i < nf; i++)
                fv[i] = eval(&t[f], r, &d->fields[i].x, false, &vals[i]) ? co_buf_str(&vals[i])
                                                                          : NULL;
            for (size_t i = 0; i < nb; i++)
                bv[i] = eval(&t[f], r, &d->blocks[i], true, &vals[nf + i])
                            ? co_buf_str(&vals[nf + i])
                            : NULL;
            size_t rec = Co_link_count(l);
            cl[rec] = truth(d, &t[f], r);
            group[rec] = nfiles > 1 ? (int)f : -1;
            assert_int_equal(Co_link_add(l, fv, bv, group[rec], &err), CO_OK);
        }
    co_link_pair *pairs;
    size_t n;
    co_link_stats st;
    assert_int_equal(Co_link_pairs(l, &pairs, &n, &st, &err), CO_OK);
    res->seconds = Co_clock_mono() - start;
    assert_int_equal(st.skipped_blocks, 0);
    assert_int_equal(st.merge + st.review, n);

    memset(res, 0, offsetof(result, seconds));
    res->records = total;
    res->compared = st.compared;
    res->true_pairs = true_pairs(cl, group, total, nfiles > 1);
    for (size_t i = 0; i < n; i++) {
        bool same = cl[pairs[i].a] == cl[pairs[i].b];
        if (i) /* sorted, distinct, a < b, never within one file */
            assert_true(pairs[i - 1].a < pairs[i].a ||
                        (pairs[i - 1].a == pairs[i].a && pairs[i - 1].b < pairs[i].b));
        assert_true(pairs[i].a < pairs[i].b);
        assert_true(group[pairs[i].a] < 0 || group[pairs[i].a] != group[pairs[i].b]);
        if (pairs[i].score >= d->merge_at) {
            res->n_auto++;
            res->tp_auto += same;
        } else {
            res->n_review++;
            res->tp_review += same;
        }
    }
    Co_link_free(l);
    for (size_t i = 0; i < nf + nb; i++)
        Co_buf_release(&vals[i]);
    for (size_t i = 0; i < nfiles; i++)
        free_table(&t[i]);
    free(group);
    if (out_pairs) {
        *out_pairs = pairs;
        *out_n = n;
        *out_cl = cl;
    } else {
        free(pairs);
        free(cl);
    }
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 1.0; }
static double f1(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0; }

/* Precision and recall had the merge threshold been elsewhere. */
static void sweep(const dataset *d, const result *res)
{
    co_link_pair *pairs;
    size_t n;
    long *cl;
    result all;
    run(d, 0, &all, &pairs, &n, &cl);
    size_t true_compared = 0;
    for (size_t i = 0; i < n; i++)
        true_compared += cl[pairs[i].a] == cl[pairs[i].b];
    printf("  %s: %zu pairs compared, %zu true pairs among them (blocking recall %.4f); "
           "review_at %.2f keeps %zu\n",
           d->name, all.compared, true_compared, ratio(true_compared, res->true_pairs),
           d->review_at, res->n_auto + res->n_review);
    for (double th = 0.30; th < 1.0001; th += 0.025) {
        size_t k = 0, tp = 0;
        for (size_t i = 0; i < n; i++)
            if (pairs[i].score >= th - 1e-9) {
                k++;
                tp += cl[pairs[i].a] == cl[pairs[i].b];
            }
        double p = ratio(tp, k), r = ratio(tp, res->true_pairs);
        printf("    >= %.2f: %7zu pairs  precision %.4f  recall %.4f  F1 %.4f\n", th, k, p, r,
               f1(p, r));
    }
    free(pairs);
    free(cl);
}

static void at_least(const dataset *d, const char *what, double got, double floor)
{
    if (got < floor)
        fail_msg("%s: %s %.4f is below its floor %.4f", d->name, what, got, floor);
}

static void check(const dataset *d)
{
    result res;
    run(d, d->review_at, &res, NULL, NULL, NULL);
    size_t n_all = res.n_auto + res.n_review, tp_all = res.tp_auto + res.tp_review;
    double ap = ratio(res.tp_auto, res.n_auto), ar = ratio(res.tp_auto, res.true_pairs);
    double p = ratio(tp_all, n_all), r = ratio(tp_all, res.true_pairs);
    double share = ratio(res.n_review, n_all);
    int level = report_level();
    if (level) {
        printf("| %-7s | %6zu | %6zu | %8zu | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %6zu | "
               "%5.1f%% | %5.2f s |\n",
               d->name, res.records, res.true_pairs, res.compared, ap, ar, f1(ap, ar), p, r,
               f1(p, r), res.n_review, 100 * share, res.seconds);
        if (level > 1)
            sweep(d, &res);
    }
    at_least(d, "auto-merge precision", ap, d->min.auto_precision);
    at_least(d, "auto-merge recall", ar, d->min.auto_recall);
    at_least(d, "auto + review precision", p, d->min.all_precision);
    at_least(d, "auto + review recall", r, d->min.all_recall);
    if (share > d->min.review_share)
        fail_msg("%s: %.4f of the pairs go to review, more than %.4f", d->name, share,
                 d->min.review_share);
}

static void febrl1(void **state) { (void)state; check(&datasets[0]); }
static void febrl2(void **state) { (void)state; check(&datasets[1]); }
static void febrl3(void **state) { (void)state; check(&datasets[2]); }
static void febrl4(void **state) { (void)state; check(&datasets[3]); }
static void splink(void **state) { (void)state; check(&datasets[4]); }

int main(void)
{
    const char *only = getenv("CUTOVER_LINK_ONLY"); /* one data set, when tuning */
    if (only && *only)
        cmocka_set_test_filter(only);
    if (report_level())
        printf("| dataset | records | true pairs | compared | auto P | auto R | auto F1 | "
               "all P | all R | all F1 | review | share | time |\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(febrl1), cmocka_unit_test(febrl2), cmocka_unit_test(febrl3),
        cmocka_unit_test(febrl4), cmocka_unit_test(splink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
