/* Per-frame audio features: spectral shape (KissFFT), onsets, and YIN pitch. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_FEATURES_H
#define STRATUM_AUDIO_FEATURES_H

#include <stddef.h>

/* Spectral features use the band ST_FEAT_LO_HZ..ST_FEAT_HI_HZ (clipped to
 * 0.45 of the analysis rate) so that they do not depend on the input rate. */
#define ST_FEAT_LO_HZ     62.5
#define ST_FEAT_HI_HZ     7000.0
#define ST_FEAT_SUBBLOCKS 8  /* onset sub-blocks per frame (4 ms each) */
#define ST_FEAT_NOCT      7  /* octave bands of the spectral envelope, 62.5 Hz to 7 kHz */
#define ST_FEAT_NMEL      24 /* mel bands of the cepstrum, 62.5 Hz to 7 kHz */
#define ST_FEAT_NCEP      12 /* mel cepstral coefficients c1..c12 (c0, the level, left out) */

/* Features of one frame (about 32 ms). Plain data. */
typedef struct st_frame_features {
    double level_db;    /* frame rms, dB re full scale (unweighted) */
    double centroid_hz; /* spectral centroid (power-weighted mean frequency) */
    double flatness;    /* spectral flatness: geometric / arithmetic mean of power, 0..1 */
    double flux;        /* positive spectral flux: sum(max(0,|X|-|X_prev|)) / sum |X|, 0..1 */
    double rolloff_hz;  /* frequency below which 85 % of the power lies */
    double hf_ratio_db; /* 10 log10(power above 1 kHz / power below 1 kHz) */
    double f0_hz;       /* YIN fundamental frequency, 0 when unvoiced */
    double voicing;     /* YIN voicing confidence 1 - d'(tau), 0..1 (0 when unvoiced) */
    double harmonicity; /* periodicity strength 1 - min d'(tau), 0..1, even if unvoiced */
    double onset_db;    /* largest rise of a 4 ms block's energy over the previous 40 ms */
    /* coarse spectral envelope: power in the octaves 62.5-125, 125-250, ...,
     * 2-4 kHz and 4-7 kHz relative to the total of the analysis band, dB
     * (floored at -60) */
    double oct_db[ST_FEAT_NOCT];
    /* mel-frequency cepstral coefficients c1..c12 of the spectrum relative to
     * its total (dB units; DCT-II of 24 triangular mel bands' log powers,
     * Davis & Mermelstein 1980): the smoothed spectral envelope (formants,
     * timbre), independent of the level */
    double cep[ST_FEAT_NCEP];
} st_frame_features;

typedef struct st_features st_features; /* opaque: FFT plan, window and history */

/* Analyser for spectral frames at rate fa (>= 8000 Hz) and pitch frames at rate
 * fp (>= 4000 Hz, <= fa). Frame lengths are fixed here (about 32 ms each).
 * Returns NULL and sets errno (EINVAL, ENOMEM). */
st_features *st_features_new(double fa, double fp);
void st_features_free(st_features *f);

/* Samples per spectral frame (at fa), and per pitch frame (at fp, including the
 * YIN lag range: the frame plus the longest period). */
size_t st_features_frame_len(const st_features *f);
size_t st_features_pitch_len(const st_features *f);

/* Compute the features of one frame: xa has st_features_frame_len samples at
 * fa, xp has st_features_pitch_len samples at fp ending at the same instant
 * (both borrowed). Keeps the previous spectrum and onset history for flux and
 * onset. Allocates nothing. Returns 0. */
int st_features_compute(st_features *f, const float *xa, const float *xp, st_frame_features *out);

/* YIN pitch (de Cheveigne & Kawahara, JASA 111(4) 2002) on its own: x has
 * w + tau_max samples; d' threshold thr. Returns f0 in Hz (0 if unvoiced) and
 * stores voicing and harmonicity (may be NULL). scratch needs tau_max + 1 floats. */
double st_features_yin(const float *x, size_t w, size_t tau_min, size_t tau_max, double rate,
                       double thr, float *scratch, double *voicing, double *harmonicity);

#endif
