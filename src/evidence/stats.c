/* Effect estimates: Wilson and Newcombe intervals, stratified risk differences
 * (Mantel-Haenszel with Sato's variance, Miettinen-Nurminen score) and means,
 * risk ratio, random-effects meta-analysis. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>

#include "stratum/stats.h"

double st_norm_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* P. J. Acklam's algorithm for the inverse normal CDF, with one Halley step. */
double st_norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double plow = 0.02425;
    if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : (p == 1 ? INFINITY : NAN);
    double x;
    if (p < plow) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - plow) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double e = st_norm_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* Continued fraction for the regularized incomplete beta (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return h;
}

static double beta_inc(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2)) return exp(lbt) * beta_cf(a, b, x) / a;
    return 1 - exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

static double t_cdf(double t, double df)
{
    /* Two forms of the same identity, each accurate where the other loses digits. */
    if (t * t < df) {
        double half = 0.5 * beta_inc(0.5, df / 2, t * t / (df + t * t));
        return t >= 0 ? 0.5 + half : 0.5 - half;
    }
    double tail = 0.5 * beta_inc(df / 2, 0.5, df / (df + t * t));
    return t > 0 ? 1 - tail : tail;
}

double st_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
    if (p < 0.5) return -st_t_quantile(1 - p, df);
    if (p == 0.5) return 0;
    /* Bisection on the CDF, bracketed generously; 200 halvings reach double precision. */
    double lo = 0, hi = 1e3;
    for (int i = 0; i < 200 && hi - lo > 1e-13 * (1 + fabs(lo)); i++) {
        double mid = 0.5 * (lo + hi);
        if (t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

st_estimate st_wilson(long x, long n, double level)
{
    st_estimate r = {NAN, 0, 1};
    if (n <= 0 || x < 0 || x > n) return r;
    double z = st_norm_quantile(0.5 + level / 2), z2 = z * z;
    double p = (double)x / n;
    double denom = 1 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / denom;
    double half = z * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
    r.est = p;
    r.lo = fmax(0, centre - half);
    r.hi = fmin(1, centre + half);
    /* Exact bounds at the edges (the formula gives them up to rounding). */
    if (x == 0) r.lo = 0;
    if (x == n) r.hi = 1;
    return r;
}

st_estimate st_risk_difference(long x1, long n1, long x2, long n2, double level)
{
    st_estimate r = {NAN, NAN, NAN};
    if (n1 <= 0 || n2 <= 0) return r;
    st_estimate a = st_wilson(x1, n1, level), b = st_wilson(x2, n2, level);
    double d = a.est - b.est;
    r.est = d;
    r.lo = d - sqrt((a.est - a.lo) * (a.est - a.lo) + (b.hi - b.est) * (b.hi - b.est));
    r.hi = d + sqrt((a.hi - a.est) * (a.hi - a.est) + (b.est - b.lo) * (b.est - b.lo));
    return r;
}

st_estimate st_risk_difference_mh(const long *x1, const long *n1, const long *x2, const long *n2,
                                  size_t k, double level, double *var)
{
    st_estimate r = {NAN, NAN, NAN};
    double sw = 0, swd = 0, sp = 0, sq = 0;
    if (var) *var = NAN;
    for (size_t i = 0; i < k; i++) {
        double a = x1[i], m = n1[i], c = x2[i], n = n2[i], t = m + n;
        if (!(m > 0) || !(n > 0)) continue;
        sw += m * n / t;
        swd += (a * n - c * m) / t; /* w (a/m - c/n) */
        sp += (m * m * c - n * n * a + m * n * (n - m) / 2) / (t * t);
        sq += (a * (n - c) + c * (m - a)) / (2 * t);
    }
    if (!(sw > 0)) return r;
    double d = swd / sw, v = fmax(0, (d * sp + sq) / (sw * sw));
    double h = st_norm_quantile(0.5 + level / 2) * sqrt(v);
    if (var) *var = v;
    r.est = d;
    r.lo = fmax(-1, d - h);
    r.hi = fmin(1, d + h);
    return r;
}

/* Maximum-likelihood p1, p2 of one stratum restricted to p1 - p2 = delta: the
 * root of a cubic in closed form (Miettinen & Nurminen 1985, appendix;
 * Farrington & Manning, Stat Med 1990;9:1447-1454), theta = n2 / n1. */
static void mn_restricted(double p1, double n1, double p2, double n2, double delta, double *t1,
                          double *t2)
{
    double theta = n2 / n1, a = 1 + theta;
    double b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2));
    double c = delta * delta + delta * (2 * p1 + theta + 1) + p1 + theta * p2;
    double d = -p1 * delta * (1 + delta);
    double v = b * b * b / (27 * a * a * a) - b * c / (6 * a * a) + d / (2 * a);
    double u2 = b * b / (9 * a * a) - c / (3 * a);
    double r = -b / (3 * a);
    if (u2 > 0) {
        double u = copysign(sqrt(u2), v), q = v / (u * u * u);
        double w = (M_PI + acos(fmax(-1, fmin(1, q)))) / 3;
        r += 2 * u * cos(w);
    }
    *t1 = fmin(1, fmax(0, r));
    *t2 = fmin(1, fmax(0, *t1 - delta));
}

/* A stratum counts when it holds both arms with possible counts. */
static int mn_stratum(const long *x1, const long *n1, const long *x2, const long *n2, size_t i)
{
    return n1[i] > 0 && n2[i] > 0 && x1[i] >= 0 && x1[i] <= n1[i] && x2[i] >= 0 && x2[i] <= n2[i];
}

/* The stratified score statistic at delta, signed: (d - delta) / sd(delta). */
static double mn_score(const long *x1, const long *n1, const long *x2, const long *n2, size_t k,
                       double d, double sw, double delta)
{
    double var = 0;
    for (size_t i = 0; i < k; i++) {
        if (!mn_stratum(x1, n1, x2, n2, i)) continue;
        double m = (double)n1[i], n = (double)n2[i];
        double w = m * n / (m + n), t1, t2;
        mn_restricted(x1[i] / m, m, x2[i] / n, n, delta, &t1, &t2);
        /* Miettinen and Nurminen's factor N / (N - 1) makes the variance unbiased. */
        var += w * w * (t1 * (1 - t1) / m + t2 * (1 - t2) / n) * (m + n) / (m + n - 1);
    }
    double diff = d - delta;
    if (diff == 0) return 0;
    if (!(var > 0)) return copysign(INFINITY, diff);
    return diff / (sqrt(var) / sw);
}

st_estimate st_risk_difference_mn(const long *x1, const long *n1, const long *x2, const long *n2,
                                  size_t k, double level)
{
    st_estimate r = {NAN, NAN, NAN};
    double sw = 0, swd = 0;
    for (size_t i = 0; i < k; i++) {
        if (!mn_stratum(x1, n1, x2, n2, i)) continue;
        double m = (double)n1[i], n = (double)n2[i];
        double w = m * n / (m + n);
        sw += w;
        swd += w * (x1[i] / m - x2[i] / n);
    }
    if (!(sw > 0)) return r;
    double d = swd / sw, z = st_norm_quantile(0.5 + level / 2);
    r.est = d;
    /* The interval is every delta whose score statistic is within +-z; the
     * statistic falls through z once on each side of d, so bisect each side. */
    double lo = -1, hi = d;
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (mn_score(x1, n1, x2, n2, k, d, sw, mid) > z)
            lo = mid;
        else
            hi = mid;
    }
    r.lo = d <= -1 ? -1 : 0.5 * (lo + hi);
    lo = d;
    hi = 1;
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (mn_score(x1, n1, x2, n2, k, d, sw, mid) < -z)
            hi = mid;
        else
            lo = mid;
    }
    r.hi = d >= 1 ? 1 : 0.5 * (lo + hi);
    return r;
}

/* Sample variance of one arm from its sums, over all strata; NAN below 2. */
static double arm_variance(const double *s, const double *ss, const long *n, size_t k)
{
    double S = 0, SS = 0, N = 0;
    for (size_t i = 0; i < k; i++) S += s[i], SS += ss[i], N += (double)n[i];
    return N >= 2 ? fmax(0, (SS - S * S / N) / (N - 1)) : NAN;
}

st_estimate st_mean_difference_strat(const double *s1, const double *ss1, const long *n1,
                                     const double *s2, const double *ss2, const long *n2, size_t k,
                                     double level)
{
    st_estimate r = {NAN, NAN, NAN};
    double v1all = arm_variance(s1, ss1, n1, k), v2all = arm_variance(s2, ss2, n2, k);
    if (!isfinite(v1all) || !isfinite(v2all)) return r;
    double sw = 0, swd = 0, swv = 0;
    for (size_t i = 0; i < k; i++) {
        double m = (double)n1[i], n = (double)n2[i];
        if (!(m > 0) || !(n > 0)) continue;
        double w = m * n / (m + n), a = s1[i] / m, c = s2[i] / n;
        double va = m >= 2 ? fmax(0, (ss1[i] - m * a * a) / (m - 1)) : v1all;
        double vc = n >= 2 ? fmax(0, (ss2[i] - n * c * c) / (n - 1)) : v2all;
        sw += w;
        swd += w * (a - c);
        swv += w * w * (va / m + vc / n);
    }
    if (!(sw > 0)) return r;
    double d = swd / sw, h = st_norm_quantile(0.5 + level / 2) * sqrt(swv) / sw;
    r.est = d;
    r.lo = d - h;
    r.hi = d + h;
    return r;
}

st_estimate st_mean_difference_welch(double s1, double ss1, long n1, double s2, double ss2, long n2,
                                     double level)
{
    st_estimate r = {NAN, NAN, NAN};
    if (n1 < 1 || n2 < 1) return r;
    double a = s1 / (double)n1, c = s2 / (double)n2;
    r.est = a - c;
    if (n1 < 2 || n2 < 2) return r;
    double v1 = fmax(0, (ss1 - n1 * a * a) / (double)(n1 - 1)) / (double)n1;
    double v2 = fmax(0, (ss2 - n2 * c * c) / (double)(n2 - 1)) / (double)n2;
    if (!(v1 + v2 > 0)) return r;
    /* Satterthwaite's degrees of freedom (Welch, Biometrika 1947;34:28-35). */
    double df = (v1 + v2) * (v1 + v2) / (v1 * v1 / (double)(n1 - 1) + v2 * v2 / (double)(n2 - 1));
    double h = st_t_quantile(0.5 + level / 2, df) * sqrt(v1 + v2);
    r.lo = r.est - h;
    r.hi = r.est + h;
    return r;
}

st_estimate st_risk_ratio(long x1, long n1, long x2, long n2, double level)
{
    st_estimate r = {NAN, NAN, NAN};
    if (n1 <= 0 || n2 <= 0) return r;
    double a = x1, b = n1 - x1, c = x2, d = n2 - x2;
    if (a == 0 || b == 0 || c == 0 || d == 0) a += 0.5, b += 0.5, c += 0.5, d += 0.5;
    double lrr = log((a / (a + b)) / (c / (c + d)));
    double se = sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d));
    double z = st_norm_quantile(0.5 + level / 2);
    r.est = exp(lrr);
    r.lo = exp(lrr - z * se);
    r.hi = exp(lrr + z * se);
    return r;
}

int st_meta_random(const double *y, const double *v, size_t k, double level, int hksj, st_meta *out)
{
    if (k == 0 || !y || !v || !out) return -EINVAL;
    double sw = 0, sw2 = 0, swy = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(v[i] > 0) || !isfinite(v[i]) || !isfinite(y[i])) return -EINVAL;
        double w = 1 / v[i];
        sw += w;
        sw2 += w * w;
        swy += w * y[i];
    }
    double z = st_norm_quantile(0.5 + level / 2);
    double fixed = swy / sw, q = 0;
    for (size_t i = 0; i < k; i++) q += (y[i] - fixed) * (y[i] - fixed) / v[i];
    double cdl = sw - sw2 / sw;
    double tau2 = k > 1 && cdl > 0 ? fmax(0, (q - (double)(k - 1)) / cdl) : 0;
    double swr = 0, swry = 0;
    for (size_t i = 0; i < k; i++) {
        double w = 1 / (v[i] + tau2);
        swr += w;
        swry += w * y[i];
    }
    double pooled = swry / swr;
    out->k = k;
    out->fixed.est = fixed;
    out->fixed.lo = fixed - z / sqrt(sw);
    out->fixed.hi = fixed + z / sqrt(sw);
    out->tau2 = tau2;
    out->q = q;
    out->i2 = q > 0 ? fmax(0, (q - (double)(k - 1)) / q) : 0;
    out->pooled.est = pooled;
    out->hartung_knapp = hksj && k >= 2;
    if (out->hartung_knapp) {
        double s = 0;
        for (size_t i = 0; i < k; i++) {
            double w = 1 / (v[i] + tau2);
            s += w * (y[i] - pooled) * (y[i] - pooled);
        }
        double se = sqrt(s / ((double)(k - 1) * swr));
        /* HKSJ can be narrower than DL when studies agree; never report less than DL. */
        se = fmax(se, 1 / sqrt(swr));
        double t = st_t_quantile(0.5 + level / 2, (double)(k - 1));
        out->pooled.lo = pooled - t * se;
        out->pooled.hi = pooled + t * se;
    } else {
        out->pooled.lo = pooled - z / sqrt(swr);
        out->pooled.hi = pooled + z / sqrt(swr);
    }
    return 0;
}
