/* Effect estimates for interventions: binomial intervals, risk difference and
 * ratio, and random-effects meta-analysis across cities. Pure functions. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_STATS_H
#define STRATUM_STATS_H

#include <stddef.h>

/* A point estimate with a two-sided confidence interval. */
typedef struct st_estimate {
    double est, lo, hi;
} st_estimate;

/* Standard normal quantile Phi^-1(p), 0 < p < 1 (Acklam's rational
 * approximation refined by one Halley step; |error| < 1e-12). */
double st_norm_quantile(double p);

/* Standard normal CDF. */
double st_norm_cdf(double x);

/* Student t quantile for df > 0 degrees of freedom, 0 < p < 1. */
double st_t_quantile(double p, double df);

/* Wilson score interval for x successes in n trials at level (e.g. 0.95)
 * (Wilson 1927; Newcombe 1998 method 3). n == 0 gives [0, 1]. */
st_estimate st_wilson(long x, long n, double level);

/* Risk difference p1 - p2 with Newcombe's hybrid score interval (Newcombe,
 * Stat Med 1998;17:873-890, method 10), which keeps close to nominal coverage
 * in small samples and with zero cells. */
st_estimate st_risk_difference(long x1, long n1, long x2, long n2, double level);

/* Risk difference p1 - p2 over k strata (x1[i] of n1[i] against x2[i] of
 * n2[i]; borrowed arrays): the Mantel-Haenszel estimate, weights
 * n1 n2 / (n1 + n2), with Sato's variance (Biometrics 1989;45:1323-1324),
 * which stays consistent when strata are sparse, and a normal interval.
 * Strata missing an arm add nothing. NAN when no stratum has both arms.
 * Sato's variance goes to *var unless var is NULL (NAN with the estimate). */
st_estimate st_risk_difference_mh(const long *x1, const long *n1, const long *x2, const long *n2,
                                  size_t k, double level, double *var);

/* The same risk difference over k strata with the stratified
 * Miettinen-Nurminen score interval (Miettinen & Nurminen, Stat Med
 * 1985;4:213-226; weights n1 n2 / (n1 + n2), so the estimate is the
 * Mantel-Haenszel one): every delta whose score statistic, with each stratum's
 * variance at its maximum-likelihood proportions restricted to p1 - p2 =
 * delta, lies within the normal quantile. A score interval keeps its coverage
 * when outcomes are few or absent, where Sato's Wald-type interval does not.
 * NAN when no stratum has both arms. */
st_estimate st_risk_difference_mn(const long *x1, const long *n1, const long *x2, const long *n2,
                                  size_t k, double level);

/* Difference of means arm 1 - arm 2 over k strata, from each stratum's sums
 * s, sums of squares ss and counts n (borrowed arrays), with the same weights
 * n1 n2 / (n1 + n2) and variance sum w^2 (v1/n1 + v2/n2) / (sum w)^2; a
 * stratum arm with one value borrows its arm's variance over all strata.
 * Normal interval. NAN when no stratum has both arms or an arm has < 2 values. */
st_estimate st_mean_difference_strat(const double *s1, const double *ss1, const long *n1,
                                     const double *s2, const double *ss2, const long *n2, size_t k,
                                     double level);

/* Difference of means arm 1 - arm 2 from each arm's sum s, sum of squares ss
 * and count n, with Welch's t interval (Satterthwaite's degrees of freedom),
 * for small arms with unequal variances. NAN when an arm is empty; the
 * estimate without an interval (NAN bounds) when an arm has one value or both
 * variances are 0. */
st_estimate st_mean_difference_welch(double s1, double ss1, long n1, double s2, double ss2, long n2,
                                     double level);

/* Risk ratio p1 / p2 with the Katz log interval; when any cell is zero, 0.5 is
 * added to every cell (Haldane-Anscombe). n1 or n2 == 0 gives NAN. */
st_estimate st_risk_ratio(long x1, long n1, long x2, long n2, double level);

/* Random-effects meta-analysis of k study estimates y[i] with within-study
 * variances v[i] > 0 (borrowed arrays). */
typedef struct st_meta {
    size_t k;
    st_estimate pooled; /* random-effects estimate and interval */
    st_estimate fixed;  /* inverse-variance fixed-effect estimate */
    double tau2;        /* between-study variance (DerSimonian-Laird) */
    double q;           /* Cochran's Q */
    double i2;          /* Higgins' I^2 in [0, 1] */
    int hartung_knapp;  /* 1 if the interval uses the Hartung-Knapp-Sidik-Jonkman
                           adjustment (t with k-1 df), which keeps coverage with few
                           studies (IntHout et al., BMC Med Res Methodol 2014) */
} st_meta;

/* DerSimonian-Laird (Control Clin Trials 1986) tau^2, with the HKSJ interval
 * when hksj != 0 and k >= 2. Returns 0, or -EINVAL if k == 0 or a variance is
 * not positive and finite. */
int st_meta_random(const double *y, const double *v, size_t k, double level, int hksj,
                   st_meta *out);

#endif
