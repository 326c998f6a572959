/* One-third-octave band levels per IEC 61260-1 (base-10, 25 Hz to 10 kHz), multirate. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_BANDS_H
#define STRATUM_AUDIO_BANDS_H

#include <stddef.h>

/* Bands x = -16..10 of IEC 61260-1:2014 clause 5.2-5.4: exact mid-band frequency
 * fm = 1000 G^(x/3) Hz with G = 10^(3/10), edges fm G^(-+1/6). */
#define ST_BANDS_N         27
#define ST_BANDS_MAX_BLOCK 4096 /* most samples per st_bands_process call */
#define ST_BANDS_MAX_LEVEL 12   /* deepest decimation level (fs / 2^12) */

typedef struct st_bands st_bands; /* opaque */

/* Exact mid-band frequency of band i (0..26) in Hz. */
double st_bands_exact_centre(size_t i);
/* Nominal mid-band frequency of IEC 61260-1 Annex E rounded to whole Hz
 * (31.5 -> 32), as the st_obs sub-index uses it; 0 past the end. */
int st_bands_nominal(size_t i);
/* The nominal frequency as spelled in SenML names "band:<fc>" ("31.5",
 * "1000"); static string, NULL past the end. */
const char *st_bands_nominal_name(size_t i);

/* Filter bank for input rate fs (>= 16000 Hz). Each band is a sixth-order
 * Butterworth band-pass (third-order prototype) designed by the bilinear
 * transform with pre-warped edges; it runs at the lowest rate of an octave
 * decimation ladder (each step a sixth-order Butterworth low-pass at 0.4 of
 * the new rate, then keep every other sample) at which its upper edge is at or
 * below a quarter of the rate. Bands whose upper edge exceeds 0.45 fs are not
 * available. Returns NULL and sets errno (EINVAL, ENOMEM). */
st_bands *st_bands_new(double fs);
void st_bands_free(st_bands *b);

/* 1 if band i is measured at this sample rate. */
int st_bands_available(const st_bands *b, size_t i);

/* 1 if band i meets the IEC 61260-1 class 1 mask by design: its upper edge is
 * at most a quarter of the rate it runs at. At input rates below about 45 kHz
 * the top bands run closer to fs/2, where the bilinear transform loosens the
 * lower skirt; they are still reported, flagged as not class 1. */
int st_bands_class1(const st_bands *b, size_t i);

/* Filter n <= ST_BANDS_MAX_BLOCK samples of x (borrowed). Allocates nothing. */
int st_bands_process(st_bands *b, const float *x, size_t n);

/* Samples produced at decimation level `level` (rate fs / 2^level) by the last
 * st_bands_process call (level 0 is not stored: it is the input). Borrowed,
 * valid until the next call; *n gets the count. NULL if the level does not exist. */
const float *st_bands_level_out(const st_bands *b, int level, size_t *n);
/* Deepest level whose rate is >= min_rate, and that rate in *rate (may be NULL). */
int st_bands_level_for_rate(const st_bands *b, double min_rate, double *rate);

/* Band levels since the last call: db[i] = 10 log10(mean square) + cal_db for
 * available bands, NAN for the others (db has ST_BANDS_N entries, caller-owned).
 * Returns 0, or -EAGAIN if nothing was processed. */
int st_bands_take(st_bands *b, double cal_db, double db[ST_BANDS_N]);

/* Designed magnitude response of band i at frequency f (Hz), in dB relative to
 * the mid-band gain, including the decimation low-passes before it (aliasing
 * is not included; tests measure it with tones). NAN if not available. */
double st_bands_response_db(const st_bands *b, size_t i, double f);

#endif
