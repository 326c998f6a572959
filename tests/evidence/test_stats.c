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
    RUN(test_risk_ratio);
    RUN(test_meta_bcg);
    RUN(test_meta_edges);
    return TEST_END("evidence/stats");
}
