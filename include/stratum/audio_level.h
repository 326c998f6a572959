/* Sound level meter per IEC 61672-1: Fast/Slow time weighting, LAeq, LAFmax, LCpeak. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_LEVEL_H
#define STRATUM_AUDIO_LEVEL_H

#include <stddef.h>

/* Time constants of IEC 61672-1:2013 clause 5.7: Fast 0.125 s, Slow 1 s. */
#define ST_LEVEL_TAU_FAST 0.125
#define ST_LEVEL_TAU_SLOW 1.0

/* Levels over one period (normally one second). All in dB with the calibration
 * offset applied: L = 10 log10(mean square) + cal_db, so cal_db is the level
 * a digital full-scale square wave (mean square 1) would read. */
typedef struct st_level_result {
    double laeq;    /* A-weighted equivalent continuous level over the period */
    double lafmax;  /* maximum A-weighted Fast-time-weighted level in the period */
    double lasmax;  /* maximum A-weighted Slow-time-weighted level */
    double lceq;    /* C-weighted equivalent level */
    double lcpeak;  /* C-weighted peak: 20 log10(max |c|) + cal_db */
    double seconds; /* length of the period */
    long clipped;   /* raw samples at or beyond 0.999 of full scale (clipping flag) */
    int silent;     /* 1 if the raw input was digital silence (all |x| < 2^-20) */
} st_level_result;

typedef struct st_level st_level; /* opaque */

/* Meter for sample rate fs with calibration offset cal_db.
 * Returns NULL and sets errno (EINVAL, ENOMEM). */
st_level *st_level_new(double fs, double cal_db);
void st_level_free(st_level *m);

/* Account n samples: raw input x, its A-weighted a and C-weighted c (all borrowed).
 * The exponential time weighting is evaluated exactly in blocks of about 1 ms
 * (sum of geometric weights), which keeps the per-sample work free of a
 * recursive dependency. Allocates nothing. */
void st_level_process(st_level *m, const float *x, const float *a, const float *c, size_t n);

/* Close the current period into *out and start a new one. Levels of an empty
 * or silent period are -inf clamped to -999 dB. Returns 0, or -EAGAIN if no
 * sample was accounted since the last call. */
int st_level_take(st_level *m, st_level_result *out);

/* Current A-weighted Fast level in dB (for meters and tests). */
double st_level_fast_db(const st_level *m);

#endif
