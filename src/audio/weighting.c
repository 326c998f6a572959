/* Frequency weightings A and C of IEC 61672-1 as digital filters (bilinear transform). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "stratum/audio_weighting.h"

/* Pole frequencies of IEC 61672-1:2013 Annex E (E.2 to E.5), in Hz. */
#define F1 20.598997
#define F2 107.65265
#define F3 737.86223
#define F4 12194.217

/* Processing form. Every pole of C and A is real (f1 and f4 double, f2, f3
 * single), so the cascade runs as first-order recursions s = u + p s[n-1]:
 * a repeated pole near z = 1 in a second-order direct form is ill-conditioned
 * (its coefficients pin the pole pair only to the square root of their
 * rounding), first-order sections are not. The zeros (1 - z^-2)^2 of C and
 * (1 - z^-1)^2 of the A section are applied as short FIRs, and the section
 * gains are folded into one factor per output. Double precision: the f1 poles
 * sit within 0.3 % of z = 1 at 48 kHz. */
struct st_weighting {
    st_biquad q[3];        /* the design (C1, C2, A3) */
    double p1, p2, p3, p4; /* digital poles of f1, f2, f3, f4 */
    double gc, ga;         /* overall gains of C and A */
    double x1, x2, x3, x4; /* input history */
    double s1, s2, s3, s4; /* C recursions (f1, f1, f4, f4) */
    double c1, c2;         /* unscaled C output history (A numerator) */
    double t1, t2;         /* A recursions (f2, f3) */
    int fma;               /* use the fused multiply-add path */
};

double st_weighting_analog_db(st_weighting_kind kind, double f)
{
    double f2 = f * f;
    double c = (F4 * F4 * f2) / ((f2 + F1 * F1) * (f2 + F4 * F4));
    double c1k = (F4 * F4 * 1e6) / ((1e6 + F1 * F1) * (1e6 + F4 * F4));
    if (kind == ST_WEIGHT_C) return 20.0 * log10(c / c1k);
    double a = c * f2 / sqrt((f2 + F2 * F2) * (f2 + F3 * F3));
    double a1k = c1k * 1e6 / sqrt((1e6 + F2 * F2) * (1e6 + F3 * F3));
    return 20.0 * log10(a / a1k);
}

int st_weighting_design(st_weighting_kind kind, double fs, st_biquad q[3])
{
    if (!(fs >= 8000.0)) return -EINVAL;
    double w1 = 2 * M_PI * F1, w2 = 2 * M_PI * F2, w3 = 2 * M_PI * F3, w4 = 2 * M_PI * F4;
    double complex p1 = st_biquad_bilinear(-w1, fs), p2 = st_biquad_bilinear(-w2, fs);
    double complex p3 = st_biquad_bilinear(-w3, fs), p4 = st_biquad_bilinear(-w4, fs);
    /* C(s) = k s^2 / ((s + w1)^2 (s + w4)^2): the bilinear transform sends the two
     * zeros at s = 0 to z = 1 and the two excess poles' zeros at infinity to z = -1. */
    q[0] = st_biquad_from_poles(p1, p1, ST_BQ_ZEROS_DC);
    q[1] = st_biquad_from_poles(p4, p4, ST_BQ_ZEROS_NYQUIST);
    /* Normalise each section at 1 kHz so that intermediate signals keep their scale. */
    st_biquad_scale(&q[0], 1.0 / cabs(st_biquad_response(&q[0], 1, 1000.0, fs)));
    st_biquad_scale(&q[1], 1.0 / cabs(st_biquad_response(&q[1], 1, 1000.0, fs)));
    if (kind == ST_WEIGHT_C) return 2;
    q[2] = st_biquad_from_poles(p2, p3, ST_BQ_ZEROS_DC);
    st_biquad_scale(&q[2], 1.0 / cabs(st_biquad_response(&q[2], 1, 1000.0, fs)));
    return 3;
}

st_weighting *st_weighting_new(double fs)
{
    st_weighting *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    if (st_weighting_design(ST_WEIGHT_A, fs, w->q) != 3) {
        errno = EINVAL;
        goto fail;
    }
    w->p1 = creal(st_biquad_bilinear(-2 * M_PI * F1, fs));
    w->p2 = creal(st_biquad_bilinear(-2 * M_PI * F2, fs));
    w->p3 = creal(st_biquad_bilinear(-2 * M_PI * F3, fs));
    w->p4 = creal(st_biquad_bilinear(-2 * M_PI * F4, fs));
    /* Each designed section is b0 (zeros) / (poles) with unit-leading factors,
     * so the overall gains are the products of the b0. */
    w->gc = w->q[0].b0 * w->q[1].b0;
    w->ga = w->gc * w->q[2].b0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    w->fma = __builtin_cpu_supports("fma");
#endif
    return w;
fail:
    st_weighting_free(w);
    return NULL;
}

void st_weighting_free(st_weighting *w)
{
    free(w);
}

void st_weighting_reset(st_weighting *w)
{
    w->x1 = w->x2 = w->x3 = w->x4 = 0.0;
    w->s1 = w->s2 = w->s3 = w->s4 = 0.0;
    w->c1 = w->c2 = w->t1 = w->t2 = 0.0;
}

/* One body, two instruction sets: MAC(a, b, c) is a * b + c. */
#define WEIGHTING_BODY(MAC)                                                                        \
    do {                                                                                           \
        const double p1 = w->p1, p2 = w->p2, p3 = w->p3, p4 = w->p4, gc = w->gc, ga = w->ga;       \
        double x1 = w->x1, x2 = w->x2, x3 = w->x3, x4 = w->x4;                                     \
        double s1 = w->s1, s2 = w->s2, s3 = w->s3, s4 = w->s4;                                     \
        double c1 = w->c1, c2 = w->c2, t1 = w->t1, t2 = w->t2;                                     \
        for (size_t i = 0; i < n; i++) {                                                           \
            double in = x[i];                                                                      \
            double u = (in + x4) - 2.0 * x2; /* (1 - z^-2)^2: exact for float input */             \
            x4 = x3, x3 = x2, x2 = x1, x1 = in;                                                    \
            s1 = MAC(p1, s1, u);                                                                   \
            s2 = MAC(p1, s2, s1);                                                                  \
            s3 = MAC(p4, s3, s2);                                                                  \
            s4 = MAC(p4, s4, s3);                                                                  \
            double v = (s4 + c2) - 2.0 * c1; /* (1 - z^-1)^2 of the A section */                   \
            c2 = c1, c1 = s4;                                                                      \
            t1 = MAC(p2, t1, v);                                                                   \
            t2 = MAC(p3, t2, t1);                                                                  \
            c[i] = (float)(gc * s4);                                                               \
            a[i] = (float)(ga * t2);                                                               \
        }                                                                                          \
        w->x1 = x1, w->x2 = x2, w->x3 = x3, w->x4 = x4;                                            \
        w->s1 = s1, w->s2 = s2, w->s3 = s3, w->s4 = s4;                                            \
        w->c1 = c1, w->c2 = c2, w->t1 = t1, w->t2 = t2;                                            \
    } while (0)

#define MAC_PLAIN(a, b, c) ((a) * (b) + (c))

static void process_plain(st_weighting *w, const float *x, size_t n, float *a, float *c)
{
    WEIGHTING_BODY(MAC_PLAIN);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* With FMA each recursion's loop-carried dependency is one fused operation. */
__attribute__((target("fma"))) static void process_fma(st_weighting *w, const float *x, size_t n,
                                                       float *a, float *c)
{
    WEIGHTING_BODY(fma);
}
#endif

void st_weighting_process(st_weighting *w, const float *x, size_t n, float *a, float *c)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (w->fma) {
        process_fma(w, x, n, a, c);
        return;
    }
#endif
    process_plain(w, x, n, a, c);
}
