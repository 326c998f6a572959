/* Frequency weightings A and C of IEC 61672-1 as digital filters (bilinear transform). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_WEIGHTING_H
#define STRATUM_AUDIO_WEIGHTING_H

#include <stddef.h>
#include "stratum/audio_biquad.h"

typedef enum st_weighting_kind { ST_WEIGHT_A, ST_WEIGHT_C } st_weighting_kind;

/* The analogue weighting of IEC 61672-1:2013 (equations E.1 to E.6) at frequency
 * f in Hz, in dB, normalised to 0 dB at 1 kHz. */
double st_weighting_analog_db(st_weighting_kind kind, double f);

/* Design the weighting for sample rate fs (>= 8000 Hz) as sections in q
 * (room for 3). C uses 2 sections; A uses the same 2 plus one more, because
 * A(s) = C(s) s^2 / ((s + w2)(s + w3)). The analogue poles are mapped with the
 * bilinear transform and the cascade is renormalised to 0 dB at 1 kHz.
 * Returns the number of sections, or -EINVAL for a bad rate. */
int st_weighting_design(st_weighting_kind kind, double fs, st_biquad q[3]);

/* A and C weighting of one signal at once (the A cascade reuses the C output). */
typedef struct st_weighting st_weighting; /* opaque */

/* Returns NULL and sets errno (EINVAL, ENOMEM). Free with st_weighting_free. */
st_weighting *st_weighting_new(double fs);
void st_weighting_free(st_weighting *w);
void st_weighting_reset(st_weighting *w);

/* Filter n samples of x (borrowed) into a (A-weighted) and c (C-weighted),
 * both caller-owned with room for n. In-place use (a == x) is allowed.
 * Allocates nothing. */
void st_weighting_process(st_weighting *w, const float *x, size_t n, float *a, float *c);

#endif
