/*
 * metrics.c: the statistics of a model comparison, on arrays in memory:
 * AUC (Mann-Whitney, ties counted half), Spearman (Pearson on average
 * ranks), the two-sample KS statistic and the PSI over ten score bands.
 */
#include "scoring/scoring_int.h"

#include <math.h>
#include <stdlib.h>

typedef struct ranked {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    return (x > y) - (x < y);
}

/* Average ranks (1-based) of v into rank; false when out of memory. */
static bool ranks(const double *v, size_t n, double *rank)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return false;
    for (size_t i = 0; i < n; i++) {
        r[i].v = v[i];
        r[i].i = i;
    }
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v)
            j++;
        double avg = ((double)i + (double)j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++)
            rank[r[k].i] = avg;
        i = j + 1;
    }
    free(r);
    return true;
}

double co_metric_auc(const double *score, const unsigned char *label, size_t n)
{
    double *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!rank || !ranks(score, n, rank)) {
        free(rank);
        return NAN;
    }
    double pos = 0, sum = 0;
    for (size_t i = 0; i < n; i++)
        if (label[i]) {
            pos++;
            sum += rank[i];
        }
    free(rank);
    double neg = (double)n - pos;
    if (pos == 0 || neg == 0)
        return 0.5;
    return (sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

double co_metric_spearman(const double *a, const double *b, size_t n)
{
    double *ra = malloc((n ? n : 1) * sizeof *ra), *rb = malloc((n ? n : 1) * sizeof *rb);
    if (!ra || !rb || !ranks(a, n, ra) || !ranks(b, n, rb)) {
        free(ra);
        free(rb);
        return NAN;
    }
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += ra[i];
        mb += rb[i];
    }
    ma /= (double)(n ? n : 1);
    mb /= (double)(n ? n : 1);
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    if (saa == 0 && sbb == 0)
        return 1;
    if (saa == 0 || sbb == 0)
        return 0;
    return sab / sqrt(saa * sbb);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double co_metric_ks(const double *a, const double *b, size_t n)
{
    double *sa = malloc((n ? n : 1) * sizeof *sa), *sb = malloc((n ? n : 1) * sizeof *sb);
    if (!sa || !sb) {
        free(sa);
        free(sb);
        return NAN;
    }
    for (size_t i = 0; i < n; i++) {
        sa[i] = a[i];
        sb[i] = b[i];
    }
    qsort(sa, n, sizeof *sa, cmp_double);
    qsort(sb, n, sizeof *sb, cmp_double);
    size_t i = 0, j = 0;
    double d = 0;
    while (i < n && j < n) {
        double x = sa[i] < sb[j] ? sa[i] : sb[j];
        while (i < n && sa[i] <= x)
            i++;
        while (j < n && sb[j] <= x)
            j++;
        double gap = fabs((double)i - (double)j) / (double)n;
        if (gap > d)
            d = gap;
    }
    free(sa);
    free(sb);
    return d;
}

static int band(double score)
{
    int b = (int)(score / 10.0);
    return b < 0 ? 0 : b > 9 ? 9 : b;
}

void co_score_bands(const double *score, size_t n, double bands[CO_SCORE_BANDS])
{
    for (int k = 0; k < CO_SCORE_BANDS; k++)
        bands[k] = 0;
    for (size_t i = 0; i < n; i++)
        bands[band(score[i])] += 1;
    for (int k = 0; n && k < CO_SCORE_BANDS; k++)
        bands[k] /= (double)n;
}

double co_metric_psi_bands(const double a[CO_SCORE_BANDS], const double b[CO_SCORE_BANDS])
{
    double psi = 0;
    for (int k = 0; k < CO_SCORE_BANDS; k++) {
        if (a[k] == 0 && b[k] == 0)
            continue;
        /* An empty band counts as 0.01% so that the logarithm stays finite. */
        double pa = a[k] < 1e-4 ? 1e-4 : a[k], pb = b[k] < 1e-4 ? 1e-4 : b[k];
        psi += (pb - pa) * log(pb / pa);
    }
    return psi;
}

double co_metric_psi(const double *a, const double *b, size_t n)
{
    double ba[CO_SCORE_BANDS], bb[CO_SCORE_BANDS];
    co_score_bands(a, n, ba);
    co_score_bands(b, n, bb);
    return co_metric_psi_bands(ba, bb);
}
