/* Unit tests for effect estimates against published reference values. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>

#include "st_test.h"
#include "stratum/stats.h"

static void test_quantiles(void)
{
    CHECK_NEAR(st_norm_quantile(0.975), 1.959963984540054, 1e-12);
    CHECK_NEAR(st_norm_quantile(0.5), 0.0, 1e-14);
    CHECK_NEAR(st_norm_quantile(0.001), -3.090232306167814, 1e-11);
    CHECK_NEAR(st_norm_cdf(1.959963984540054), 0.975, 1e-12);
    /* Student t tables: t(0.975; 1) = 12.706, t(0.975; 4) = 2.776, t(0.975; 30) = 2.042. */
    CHECK_NEAR(st_t_quantile(0.975, 1), 12.7062047, 1e-6);
    CHECK_NEAR(st_t_quantile(0.975, 4), 2.7764451, 1e-6);
    CHECK_NEAR(st_t_quantile(0.975, 30), 2.0422725, 1e-6);
    CHECK_NEAR(st_t_quantile(0.5, 7), 0.0, 1e-12);
    CHECK_NEAR(st_t_quantile(0.025, 4), -2.7764451, 1e-6);
    CHECK_NEAR(st_t_quantile(0.6, 10), 0.2601848, 1e-6);
    CHECK(isnan(st_t_quantile(1.5, 3)));
}

static void test_wilson(void)
{
    /* Newcombe 1998 (Stat Med 17:857) Table I: 81/263 -> 0.2553 to 0.3662 (method 3). */
    st_estimate w = st_wilson(81, 263, 0.95);
    CHECK_NEAR(w.lo, 0.2553, 5e-5);
    CHECK_NEAR(w.hi, 0.3662, 5e-5);
    /* 0/10 -> 0 to 0.2775; 10/10 -> 0.7225 to 1. */
    w = st_wilson(0, 10, 0.95);
    CHECK_NEAR(w.lo, 0.0, 1e-12);
    CHECK_NEAR(w.hi, 0.2775, 5e-5);
    w = st_wilson(10, 10, 0.95);
    CHECK_NEAR(w.lo, 0.7225, 5e-5);
    CHECK_NEAR(w.hi, 1.0, 1e-12);
    w = st_wilson(0, 0, 0.95);
    CHECK(isnan(w.est));
    CHECK_NEAR(w.lo, 0, 0);
    CHECK_NEAR(w.hi, 1, 0);
}

static void test_risk_difference(void)
{
    /* Newcombe 1998 (Stat Med 17:873) example (a): 56/70 - 48/80, method 10:
     * 0.0524 to 0.3339. Example (e): 0/10 - 0/20: -0.1611 to 0.2775. */
    st_estimate d = st_risk_difference(56, 70, 48, 80, 0.95);
    CHECK_NEAR(d.est, 0.2, 1e-12);
    CHECK_NEAR(d.lo, 0.0524, 5e-5);
    CHECK_NEAR(d.hi, 0.3339, 5e-5);
    d = st_risk_difference(0, 10, 0, 20, 0.95);
    CHECK_NEAR(d.est, 0.0, 1e-12);
    CHECK_NEAR(d.lo, -0.1611, 5e-5);
    CHECK_NEAR(d.hi, 0.2775, 5e-5);
    d = st_risk_difference(1, 0, 2, 5, 0.95);
    CHECK(isnan(d.est));
}

/* Mantel-Haenszel risk difference with Sato's variance. */
static void test_risk_difference_mh(void)
{
    /* One stratum with equal arms: the crude difference, and Sato's variance
     * reduces to the Wald variance p1 q1 / n + p2 q2 / n. */
    long x1[2] = {20, 0}, n1[2] = {100, 0}, x2[2] = {35, 0}, n2[2] = {100, 0};
    double var = 0;
    st_estimate e = st_risk_difference_mh(x1, n1, x2, n2, 1, 0.95, &var);
    double se = sqrt(0.2 * 0.8 / 100 + 0.35 * 0.65 / 100);
    CHECK_NEAR(e.est, -0.15, 1e-12);
    CHECK_NEAR(var, se * se, 1e-15);
    CHECK_NEAR(e.hi - e.est, 1.959963985 * se, 1e-6);
    CHECK_NEAR(e.est - e.lo, 1.959963985 * se, 1e-6);
    /* Two strata with the same difference (+0.1) but arms unevenly spread over
     * them: the crude difference is confounded (26/60 against 36/80, -0.017),
     * the stratified one is not. */
    long a[2] = {18, 8}, m[2] = {20, 40}, c[2] = {32, 4}, n[2] = {40, 40};
    e = st_risk_difference_mh(a, m, c, n, 2, 0.95, NULL);
    CHECK_NEAR(e.est, 0.1, 1e-12);
    CHECK(e.lo < 0.1 && e.hi > 0.1 && e.hi - e.lo < 0.4);
    /* Strata with one arm add nothing; none with both gives NAN. */
    long a3[3] = {18, 8, 9}, m3[3] = {20, 40, 9}, c3[3] = {32, 4, 0}, n3[3] = {40, 40, 0};
    st_estimate e3 = st_risk_difference_mh(a3, m3, c3, n3, 3, 0.95, NULL);
    CHECK_NEAR(e3.est, e.est, 1e-12);
    CHECK_NEAR(e3.lo, e.lo, 1e-12);
    long z[1] = {0}, zn[1] = {5};
    CHECK(isnan(st_risk_difference_mh(z, zn, z, z, 1, 0.95, &var).est));
    CHECK(isnan(var));
}

/* An independent restricted maximum-likelihood fit for one stratum under
 * p1 - p2 = delta: golden-section search of the binomial log-likelihood over
 * p2, not the closed-form cubic root the library uses. */
static double loglik(double x1, double n1, double x2, double n2, double p2, double delta)
{
    double p1 = p2 + delta, l = 0;
    if (x1 > 0) l += x1 * log(p1);
    if (n1 - x1 > 0) l += (n1 - x1) * log1p(-p1);
    if (x2 > 0) l += x2 * log(p2);
    if (n2 - x2 > 0) l += (n2 - x2) * log1p(-p2);
    return l;
}

static double ref_score(const long *x1, const long *n1, const long *x2, const long *n2, size_t k,
                        double delta)
{
    double sw = 0, swd = 0, var = 0;
    for (size_t i = 0; i < k; i++) {
        double m = (double)n1[i], n = (double)n2[i], w = m * n / (m + n);
        double lo = fmax(0, -delta), hi = fmin(1, 1 - delta), g = (sqrt(5.0) - 1) / 2;
        for (int it = 0; it < 200; it++) {
            double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
            if (loglik(x1[i], m, x2[i], n, a, delta) > loglik(x1[i], m, x2[i], n, b, delta))
                hi = b;
            else
                lo = a;
        }
        double t2 = 0.5 * (lo + hi), t1 = t2 + delta;
        sw += w;
        swd += w * (x1[i] / m - x2[i] / n);
        var += w * w * (t1 * (1 - t1) / m + t2 * (1 - t2) / n) * (m + n) / (m + n - 1);
    }
    return (swd / sw - delta) / (sqrt(var) / sw);
}

/* Stratified Miettinen-Nurminen score interval. */
static void test_risk_difference_mn(void)
{
    /* One stratum: Newcombe's (1998) example 56/70 against 48/80, whose
     * Miettinen-Nurminen interval his Table II gives as 0.0528 to 0.3382. */
    long x1[1] = {56}, n1[1] = {70}, x2[1] = {48}, n2[1] = {80};
    st_estimate e = st_risk_difference_mn(x1, n1, x2, n2, 1, 0.95);
    CHECK_NEAR(e.est, 0.2, 1e-12);
    CHECK_NEAR(e.lo, 0.0528, 5e-5);
    CHECK_NEAR(e.hi, 0.3382, 5e-5);
    /* Sparse strata, as a week's incidents are: at each bound the independent
     * fit's statistic is the normal quantile, and the estimate is the
     * Mantel-Haenszel one. */
    long a[4] = {0, 1, 2, 0}, m[4] = {12, 30, 25, 8}, c[4] = {1, 3, 2, 1}, n[4] = {10, 28, 31, 9};
    e = st_risk_difference_mn(a, m, c, n, 4, 0.95);
    st_estimate h = st_risk_difference_mh(a, m, c, n, 4, 0.95, NULL);
    CHECK_NEAR(e.est, h.est, 1e-12);
    CHECK(e.lo < e.est && e.est < e.hi);
    CHECK_NEAR(ref_score(a, m, c, n, 4, e.lo), 1.959963985, 1e-5);
    CHECK_NEAR(ref_score(a, m, c, n, 4, e.hi), -1.959963985, 1e-5);
    /* No outcome in either arm: Sato's interval collapses to a point, the
     * score interval does not. */
    long z[2] = {0, 0}, zn[2] = {40, 35}, zm[2] = {38, 33};
    e = st_risk_difference_mn(z, zn, z, zm, 2, 0.95);
    h = st_risk_difference_mh(z, zn, z, zm, 2, 0.95, NULL);
    CHECK_NEAR(e.est, 0, 1e-12);
    CHECK(h.hi - h.lo < 1e-12);
    CHECK(e.lo < -0.03 && e.hi > 0.03 && e.hi - e.lo < 0.2);
    CHECK_NEAR(ref_score(z, zn, z, zm, 2, e.hi), -1.959963985, 1e-5);
    /* All outcomes in one arm, none in the other: the bound reaches the edge. */
    long f[1] = {20}, fn[1] = {20}, g0[1] = {0};
    e = st_risk_difference_mn(f, fn, g0, fn, 1, 0.95);
    CHECK_NEAR(e.est, 1, 1e-12);
    CHECK_NEAR(e.hi, 1, 1e-9);
    CHECK(e.lo > 0.7 && e.lo < 1);
    /* Strata missing an arm add nothing; none with both gives NAN. */
    long a3[5] = {0, 1, 2, 0, 4}, m3[5] = {12, 30, 25, 8, 9}, c3[5] = {1, 3, 2, 1, 0},
         n3[5] = {10, 28, 31, 9, 0};
    st_estimate e3 = st_risk_difference_mn(a3, m3, c3, n3, 5, 0.95);
    e = st_risk_difference_mn(a, m, c, n, 4, 0.95);
    CHECK_NEAR(e3.lo, e.lo, 1e-12);
    CHECK_NEAR(e3.hi, e.hi, 1e-12);
    long zz[1] = {0}, z5[1] = {5};
    CHECK(isnan(st_risk_difference_mn(zz, z5, zz, zz, 1, 0.95).est));
}

/* Stratified difference of means. */
/* Welch's interval for {1,2,3,4,5} against {2,4,6}: difference -1, standard
 * error 1.354, 3.533 degrees of freedom, t quantile 2.9274 (from a numerical
 * integral of the t density, not this library), so -4.9637 to 2.9637. */
static void test_mean_difference_welch(void)
{
    st_estimate e = st_mean_difference_welch(15, 55, 5, 12, 56, 3, 0.95);
    CHECK_NEAR(e.est, -1, 1e-12);
    CHECK_NEAR(e.lo, -4.96373, 2e-4);
    CHECK_NEAR(e.hi, 2.96373, 2e-4);
    /* One value in an arm: the difference, no interval; an empty arm: nothing. */
    e = st_mean_difference_welch(7, 49, 1, 12, 56, 3, 0.95);
    CHECK_NEAR(e.est, 3, 1e-12);
    CHECK(isnan(e.lo) && isnan(e.hi));
    CHECK(isnan(st_mean_difference_welch(0, 0, 0, 12, 56, 3, 0.95).est));
    /* No spread in either arm: no interval. */
    e = st_mean_difference_welch(6, 18, 2, 4, 8, 2, 0.95);
    CHECK_NEAR(e.est, 1, 1e-12);
    CHECK(isnan(e.lo));
}

static void test_mean_difference_strat(void)
{
    /* One stratum: the difference of means with the normal (Welch-form)
     * standard error. Arm 1: 1, 2, 3, 4 (mean 2.5, var 5/3); arm 2: 2, 4, 6
     * (mean 4, var 4). */
    double s1[1] = {10}, ss1[1] = {30}, s2[1] = {12}, ss2[1] = {56};
    long n1[1] = {4}, n2[1] = {3};
    st_estimate e = st_mean_difference_strat(s1, ss1, n1, s2, ss2, n2, 1, 0.95);
    CHECK_NEAR(e.est, -1.5, 1e-12);
    CHECK_NEAR(e.hi - e.est, 1.959963985 * sqrt(5.0 / 3 / 4 + 4.0 / 3), 1e-6);
    /* Two strata, each with difference +10 but different levels and uneven
     * arms: the stratified difference is exactly 10. */
    double t1[2] = {100 * 5 + 0, 200 * 20}, tt1[2], t2[2] = {90 * 20, 190 * 5}, tt2[2];
    long m1[2] = {5, 20}, m2[2] = {20, 5};
    /* Each stratum arm: its mean, but for one pair at mean -+ 1 (sum of squares + 2). */
    tt1[0] = 5 * 100.0 * 100 + 2;
    tt1[1] = 20 * 200.0 * 200 + 2;
    tt2[0] = 20 * 90.0 * 90 + 2;
    tt2[1] = 5 * 190.0 * 190 + 2;
    e = st_mean_difference_strat(t1, tt1, m1, t2, tt2, m2, 2, 0.95);
    CHECK_NEAR(e.est, 10, 1e-9);
    CHECK(e.lo < 10 && e.hi > 10);
    /* A stratum arm with a single value borrows its arm's variance. */
    long o1[1] = {1}, o2[1] = {3};
    double u1[1] = {7}, uu1[1] = {49};
    CHECK(isnan(st_mean_difference_strat(u1, uu1, o1, s2, ss2, o2, 1, 0.95).est));
}

static void test_risk_ratio(void)
{
    /* 20/100 vs 40/100: RR 0.5, Katz 95% CI exp(log 0.5 -+ 1.96*sqrt(1/20-1/100+1/40-1/100))
     * = exp(-0.6931 -+ 0.4597) = 0.3158 to 0.7918. */
    st_estimate r = st_risk_ratio(20, 100, 40, 100, 0.95);
    CHECK_NEAR(r.est, 0.5, 1e-12);
    CHECK_NEAR(r.lo, 0.3158, 5e-5);
    CHECK_NEAR(r.hi, 0.7918, 5e-5);
    /* A zero cell gets the 0.5 correction instead of an infinite interval. */
    r = st_risk_ratio(0, 10, 5, 10, 0.95);
    CHECK(isfinite(r.lo) && isfinite(r.hi) && r.est < 1);
}

/* The BCG vaccine trials (Colditz et al. 1994), the standard example of
 * metafor: DL estimate -0.7141, tau^2 0.3088, Q 152.2330, I^2 92.12 %. */
static void test_meta_bcg(void)
{
    static const double t[13][4] = {
        {4, 119, 11, 128},       {6, 300, 29, 274},        {3, 228, 11, 209},
        {62, 13536, 248, 12619}, {33, 5036, 47, 5761},     {180, 1361, 372, 1079},
        {8, 2537, 10, 619},      {505, 87886, 499, 87892}, {29, 7470, 45, 7232},
        {17, 1699, 65, 1600},    {186, 50448, 141, 27197}, {5, 2493, 3, 2338},
        {27, 16886, 29, 17825}};
    double y[13], v[13];
    for (int i = 0; i < 13; i++) {
        double a = t[i][0], b = t[i][1], c = t[i][2], d = t[i][3];
        y[i] = log((a / (a + b)) / (c / (c + d)));
        v[i] = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d);
    }
    st_meta m;
    CHECK_EQ_INT(st_meta_random(y, v, 13, 0.95, 0, &m), 0);
    CHECK_NEAR(m.pooled.est, -0.7141, 5e-4);
    CHECK_NEAR(m.tau2, 0.3088, 5e-4);
    CHECK_NEAR(m.q, 152.2330, 5e-3);
    CHECK_NEAR(m.i2, 0.9212, 5e-4);
    CHECK_NEAR(m.pooled.lo, -1.0644, 1e-3);
    CHECK_NEAR(m.pooled.hi, -0.3638, 1e-3);
    /* HKSJ widens the interval (t with 12 df) around the same estimate. */
    st_meta h;
    CHECK_EQ_INT(st_meta_random(y, v, 13, 0.95, 1, &h), 0);
    CHECK_NEAR(h.pooled.est, m.pooled.est, 1e-12);
    CHECK(h.hartung_knapp == 1);
    CHECK(h.pooled.hi - h.pooled.lo >= m.pooled.hi - m.pooled.lo - 1e-12);
}

static void test_meta_edges(void)
{
    double y[2] = {0.1, 0.1}, v[2] = {0.01, 0.04}, bad[2] = {0.01, 0};
    st_meta m;
    CHECK_EQ_INT(st_meta_random(y, v, 0, 0.95, 0, &m), -EINVAL);
    CHECK_EQ_INT(st_meta_random(y, bad, 2, 0.95, 0, &m), -EINVAL);
    /* Identical studies: no heterogeneity. */
    CHECK_EQ_INT(st_meta_random(y, v, 2, 0.95, 0, &m), 0);
    CHECK_NEAR(m.tau2, 0, 1e-15);
    CHECK_NEAR(m.i2, 0, 1e-15);
    CHECK_NEAR(m.pooled.est, 0.1, 1e-12);
    /* One study: the pooled estimate is the study. */
    CHECK_EQ_INT(st_meta_random(y, v, 1, 0.95, 1, &m), 0);
    CHECK_NEAR(m.pooled.est, 0.1, 1e-12);
    CHECK_NEAR(m.pooled.hi - m.pooled.est, 1.959963984540054 * 0.1, 1e-9);
}

int main(void)
{
    RUN(test_quantiles);
    RUN(test_wilson);
    RUN(test_risk_difference);
    RUN(test_risk_difference_mh);
    RUN(test_risk_difference_mn);
    RUN(test_mean_difference_strat);
    RUN(test_mean_difference_welch);
    RUN(test_risk_ratio);
    RUN(test_meta_bcg);
    RUN(test_meta_edges);
    return TEST_END("evidence/stats");
}
