/* Helpers shared by the benchmark programs: clocks and medians. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_BENCH_H
#define STRATUM_BENCH_H

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on clock c (CLOCK_MONOTONIC for wall time, CLOCK_PROCESS_CPUTIME_ID
 * for CPU time: the honest one-core figure on a shared machine). */
static inline double bench_clock(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_now(void)
{
    return bench_clock(CLOCK_MONOTONIC);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v in place); the upper median for even n. */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), bench_cmp_double);
    return v[n / 2];
}

#endif
