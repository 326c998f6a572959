/* Second-order IIR sections: bilinear-transform design helpers and cascades. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_BIQUAD_H
#define STRATUM_AUDIO_BIQUAD_H

#include <complex.h>
#include <stddef.h>

/* One section H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2). Plain data. */
typedef struct st_biquad {
    double b0, b1, b2, a1, a2;
} st_biquad;

/* Where a section's two zeros sit after the bilinear transform. */
typedef enum st_biquad_zeros {
    ST_BQ_ZEROS_DC,      /* (1 - z^-1)^2: two analogue zeros at s = 0 (high-pass) */
    ST_BQ_ZEROS_NYQUIST, /* (1 + z^-1)^2: two analogue zeros at infinity (low-pass) */
    ST_BQ_ZEROS_BAND     /* (1 - z^-2): one at s = 0, one at infinity (band-pass) */
} st_biquad_zeros;

/* Map an analogue pole s (rad/s) to the z plane with the bilinear transform
 * z = (2 fs + s) / (2 fs - s), without pre-warping. */
double complex st_biquad_bilinear(double complex s, double fs);

/* Section with the digital poles p1, p2 (a conjugate pair, or two real poles)
 * and the given zeros; gain 1 (scale later with st_biquad_scale). */
st_biquad st_biquad_from_poles(double complex p1, double complex p2, st_biquad_zeros zeros);

/* Complex response of n sections (borrowed) at frequency f for sample rate fs. */
double complex st_biquad_response(const st_biquad *q, size_t n, double f, double fs);

/* Multiply a section's numerator by g. */
void st_biquad_scale(st_biquad *q, double g);

/* Pre-warped analogue angular frequency of digital frequency f:
 * 2 fs tan(pi f / fs), so that a bilinear design hits f exactly. */
double st_biquad_prewarp(double f, double fs);

/* Sixth-order Butterworth band-pass (third-order prototype, three sections)
 * with digital band edges fl < fu (pre-warped), unity gain at the centre.
 * Writes 3 sections into q. 0, or -EINVAL if the edges are not inside (0, fs/2). */
int st_biquad_butter_bandpass6(st_biquad q[3], double fl, double fu, double fs);

/* Sixth-order Butterworth low-pass with cutoff fc (pre-warped), unity DC gain.
 * Writes 3 sections into q. 0, or -EINVAL. */
int st_biquad_butter_lowpass6(st_biquad q[3], double fc, double fs);

#endif
