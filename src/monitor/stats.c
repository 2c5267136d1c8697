/*
 * stats.c: the arithmetic of monitoring (monitor.h): percentiles of query
 * timings, a day's baseline, and whether a day deviates from it.
 */
#include "cutover/monitor.h"

#include <math.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double co_percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, by_value);
    if (p <= 0)
        return v[0];
    if (p >= 100)
        return v[n - 1];
    double h = (double)(n - 1) * p / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

double co_baseline_mean(const int64_t *counts, size_t n)
{
    if (n == 0)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)counts[i];
    return sum / (double)n;
}

bool co_deviation_flag(double baseline, double actual, double tolerance, double min_baseline,
                       double *deviation, bool *judged)
{
    *deviation = baseline > 0 ? (actual - baseline) / baseline : 0;
    *judged = baseline > 0 && baseline >= min_baseline;
    return *judged && fabs(*deviation) > tolerance;
}
