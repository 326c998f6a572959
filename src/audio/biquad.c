/* Second-order IIR sections: bilinear-transform design helpers and cascades. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>

#include "stratum/audio_biquad.h"

double complex st_biquad_bilinear(double complex s, double fs)
{
    return (2.0 * fs + s) / (2.0 * fs - s);
}

st_biquad st_biquad_from_poles(double complex p1, double complex p2, st_biquad_zeros zeros)
{
    st_biquad q;
    /* (1 - p1 z^-1)(1 - p2 z^-1); for a conjugate or real pair the result is real. */
    q.a1 = -creal(p1 + p2);
    q.a2 = creal(p1 * p2);
    switch (zeros) {
    case ST_BQ_ZEROS_DC:
        q.b0 = 1.0, q.b1 = -2.0, q.b2 = 1.0;
        break;
    case ST_BQ_ZEROS_NYQUIST:
        q.b0 = 1.0, q.b1 = 2.0, q.b2 = 1.0;
        break;
    default:
        q.b0 = 1.0, q.b1 = 0.0, q.b2 = -1.0;
        break;
    }
    return q;
}

double complex st_biquad_response(const st_biquad *q, size_t n, double f, double fs)
{
    double complex z1 = cexp(-I * 2.0 * M_PI * f / fs), z2 = z1 * z1, h = 1.0;
    for (size_t i = 0; i < n; i++)
        h *= (q[i].b0 + q[i].b1 * z1 + q[i].b2 * z2) / (1.0 + q[i].a1 * z1 + q[i].a2 * z2);
    return h;
}

void st_biquad_scale(st_biquad *q, double g)
{
    q->b0 *= g, q->b1 *= g, q->b2 *= g;
}

double st_biquad_prewarp(double f, double fs)
{
    return 2.0 * fs * tan(M_PI * f / fs);
}

int st_biquad_butter_bandpass6(st_biquad q[3], double fl, double fu, double fs)
{
    if (!(fl > 0 && fu > fl && fu < fs / 2)) return -EINVAL;
    double wl = st_biquad_prewarp(fl, fs), wu = st_biquad_prewarp(fu, fs);
    double w0sq = wl * wu, bw = wu - wl;
    /* Third-order Butterworth prototype poles: -1 and -1/2 +- j sqrt(3)/2. The
     * low-pass to band-pass substitution s -> (s^2 + w0^2) / (B s) turns each
     * prototype pole p into the roots of s^2 - p B s + w0^2 = 0. */
    double complex proto[2] = {-1.0, -0.5 + I * sqrt(3.0) / 2.0};
    double complex poles[6];
    int np = 0;
    for (int k = 0; k < 2; k++) {
        double complex p = proto[k];
        double complex d = csqrt(p * p * bw * bw - 4.0 * w0sq);
        double complex s1 = (p * bw + d) / 2.0, s2 = (p * bw - d) / 2.0;
        if (k == 0) { /* real prototype pole: one conjugate pair */
            poles[np++] = s1;
            poles[np++] = s2;
        } else { /* complex prototype pole: two poles plus their conjugates */
            poles[np++] = s1;
            poles[np++] = conj(s1);
            poles[np++] = s2;
            poles[np++] = conj(s2);
        }
    }
    double fc = atan(sqrt(w0sq) / (2.0 * fs)) * fs / M_PI; /* digital centre */
    for (int k = 0; k < 3; k++) {
        double complex z1 = st_biquad_bilinear(poles[2 * k], fs);
        double complex z2 = st_biquad_bilinear(poles[2 * k + 1], fs);
        q[k] = st_biquad_from_poles(z1, z2, ST_BQ_ZEROS_BAND);
        st_biquad_scale(&q[k], 1.0 / cabs(st_biquad_response(&q[k], 1, fc, fs)));
    }
    return 0;
}

int st_biquad_butter_lowpass6(st_biquad q[3], double fc, double fs)
{
    if (!(fc > 0 && fc < fs / 2)) return -EINVAL;
    double wc = st_biquad_prewarp(fc, fs);
    for (int k = 0; k < 3; k++) {
        /* Sixth-order Butterworth poles wc exp(j pi (2k + 7) / 12), k = 0..2, and conjugates. */
        double complex s = wc * cexp(I * M_PI * (2.0 * k + 7.0) / 12.0);
        double complex z = st_biquad_bilinear(s, fs);
        q[k] = st_biquad_from_poles(z, conj(z), ST_BQ_ZEROS_NYQUIST);
        st_biquad_scale(&q[k], 1.0 / cabs(st_biquad_response(&q[k], 1, 0.0, fs)));
    }
    return 0;
}
