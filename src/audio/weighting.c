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

struct st_weighting {
    st_biquad q[3]; /* C1 (poles at f1, zeros at DC), C2 (poles at f4), A3 (f2, f3) */
    double x1, x2;  /* direct form I history of the input ... */
    double y[3][2]; /* ... and of each section's output, in double: the f1
                     * poles sit within 0.3 % of z = 1 at 48 kHz */
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
    w->x1 = w->x2 = 0.0;
    for (int k = 0; k < 3; k++) w->y[k][0] = w->y[k][1] = 0.0;
}

/* Direct form I with the a1 feedback term last, so the loop-carried
 * dependency is one multiply and one subtract. */
#define SECTION(q, in, in1, in2, o1, o2)                                                           \
    ((q)->b0 * (in) + ((q)->b1 * (in1) + (q)->b2 * (in2) - (q)->a2 * (o2)) - (q)->a1 * (o1))

void st_weighting_process(st_weighting *w, const float *x, size_t n, float *a, float *c)
{
    const st_biquad *q = w->q;
    double x1 = w->x1, x2 = w->x2;
    double u1 = w->y[0][0], u2 = w->y[0][1], v1 = w->y[1][0], v2 = w->y[1][1];
    double z1 = w->y[2][0], z2 = w->y[2][1];
    for (size_t i = 0; i < n; i++) {
        double in = x[i];
        double u = SECTION(&q[0], in, x1, x2, u1, u2); /* C1: f1 poles, zeros at DC */
        double v = SECTION(&q[1], u, u1, u2, v1, v2);  /* C2: f4 poles */
        double z = SECTION(&q[2], v, v1, v2, z1, z2);  /* A3: f2, f3 poles */
        x2 = x1, x1 = in, u2 = u1, u1 = u, v2 = v1, v1 = v, z2 = z1, z1 = z;
        c[i] = (float)v;
        a[i] = (float)z;
    }
    w->x1 = x1, w->x2 = x2;
    w->y[0][0] = u1, w->y[0][1] = u2, w->y[1][0] = v1, w->y[1][1] = v2;
    w->y[2][0] = z1, w->y[2][1] = z2;
}
