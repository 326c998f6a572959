/* Per-frame audio features: spectral shape (KissFFT), onsets, and YIN pitch. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fftr.h>

#include "stratum/audio_features.h"

#define F0_MIN     70.0   /* Hz: lowest voice fundamental searched */
#define F0_MAX     1100.0 /* Hz: highest (screams); limited to fp/4 */
#define YIN_THRESH 0.2    /* d' threshold of YIN step 4 (the paper uses 0.1-0.2) */
#define ONSET_HIST 10     /* 4 ms blocks of history for onset_db (40 ms) */
#define EPS        1e-10  /* power floor: -100 dB re full scale */

struct st_features {
    double fa, fp;
    size_t n, nbins, klo, khi, k1k; /* frame length, bins, analysis band, 1 kHz bin */
    size_t pw, tau_min, tau_max;    /* pitch window and lag range at fp */
    kiss_fftr_cfg cfg;
    float *win, *buf, *mag, *pow, *prev, *yin;
    unsigned char *koct; /* octave band of each bin */
    unsigned char *kmel; /* mel edge index j of each bin: between band edges j and j+1 */
    float *kmw;          /* rising weight of the bin in band j (1 - it in band j - 1) */
    float dct[ST_FEAT_NCEP][ST_FEAT_NMEL];
    kiss_fft_cpx *spec;
    double hist[ONSET_HIST]; /* previous 4 ms block energies */
    int have_prev;
};

void st_features_free(st_features *f)
{
    if (!f) return;
    kiss_fftr_free(f->cfg);
    free(f->win), free(f->buf), free(f->mag), free(f->pow), free(f->koct), free(f->kmel),
        free(f->kmw), free(f->prev), free(f->yin), free(f->spec);
    free(f);
}

st_features *st_features_new(double fa, double fp)
{
    st_features *f = calloc(1, sizeof(*f));
    if (!f) return NULL;
    if (!(fa >= 8000.0 && fa <= 400000.0 && fp >= 4000.0 && fp <= fa)) {
        errno = EINVAL;
        goto fail;
    }
    f->fa = fa, f->fp = fp;
    /* ~32 ms frames, rounded up to a size KissFFT factors well (2, 3, 5),
     * and to a multiple of the onset sub-block count */
    int n = kiss_fftr_next_fast_size_real((int)(0.032 * fa));
    while (n % ST_FEAT_SUBBLOCKS) n = kiss_fftr_next_fast_size_real(n + 1);
    f->n = (size_t)n;
    f->nbins = f->n / 2 + 1;
    double df = fa / (double)f->n, hi = ST_FEAT_HI_HZ < 0.45 * fa ? ST_FEAT_HI_HZ : 0.45 * fa;
    f->klo = (size_t)ceil(ST_FEAT_LO_HZ / df);
    f->khi = (size_t)floor(hi / df);
    f->k1k = (size_t)floor(1000.0 / df + 0.5);
    double fmax = F0_MAX < fp / 4 ? F0_MAX : fp / 4;
    f->tau_min = (size_t)floor(fp / fmax);
    f->tau_max = (size_t)ceil(fp / F0_MIN);
    f->pw = (size_t)(0.032 * fp + 0.5);
    f->cfg = kiss_fftr_alloc(n, 0, NULL, NULL);
    f->win = malloc(f->n * sizeof(float));
    f->buf = malloc(f->n * sizeof(float));
    f->mag = calloc(f->nbins, sizeof(float));
    f->pow = calloc(f->nbins, sizeof(float));
    f->koct = calloc(f->nbins, 1);
    f->kmel = calloc(f->nbins, 1);
    f->kmw = calloc(f->nbins, sizeof(float));
    f->prev = calloc(f->nbins, sizeof(float));
    f->yin = calloc(f->tau_max + 2, sizeof(float));
    f->spec = calloc(f->nbins, sizeof(kiss_fft_cpx));
    if (!f->cfg || !f->win || !f->buf || !f->mag || !f->pow || !f->koct || !f->kmel || !f->kmw ||
        !f->prev || !f->yin || !f->spec)
        goto fail;
    for (size_t k = f->klo; k <= f->khi; k++) {
        int o = (int)floor(log2((double)k * df / ST_FEAT_LO_HZ));
        f->koct[k] = (unsigned char)(o < 0 ? 0 : (o >= ST_FEAT_NOCT ? ST_FEAT_NOCT - 1 : o));
    }
    /* mel scale 2595 log10(1 + f / 700) (O'Shaughnessy 1987); NMEL triangles
     * with equally spaced edges from the analysis band's low to high end */
    double mlo = 2595.0 * log10(1.0 + ST_FEAT_LO_HZ / 700.0),
           mhi = 2595.0 * log10(1.0 + hi / 700.0);
    double mstep = (mhi - mlo) / (ST_FEAT_NMEL + 1);
    for (size_t k = f->klo; k <= f->khi; k++) {
        double u = (2595.0 * log10(1.0 + (double)k * df / 700.0) - mlo) / mstep;
        int j = (int)floor(u);
        if (j < 0) j = 0, u = 0;
        if (j > ST_FEAT_NMEL) j = ST_FEAT_NMEL, u = j;
        f->kmel[k] = (unsigned char)j;
        f->kmw[k] = (float)(u - j);
    }
    for (int i = 0; i < ST_FEAT_NCEP; i++)
        for (int b = 0; b < ST_FEAT_NMEL; b++)
            f->dct[i][b] = (float)cos(M_PI * (i + 1) * (b + 0.5) / ST_FEAT_NMEL);
    for (size_t i = 0; i < f->n; i++) /* periodic Hann window */
        f->win[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)f->n));
    return f;
fail:
    st_features_free(f);
    return NULL;
}

size_t st_features_frame_len(const st_features *f)
{
    return f->n;
}

size_t st_features_pitch_len(const st_features *f)
{
    return f->pw + f->tau_max + 1;
}

typedef float v4f __attribute__((vector_size(16))); /* GCC/Clang vector extension */

static v4f load4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof(v));
    return v;
}

double st_features_yin(const float *x, size_t w, size_t tau_min, size_t tau_max, double rate,
                       double thr, float *d, double *voicing, double *harmonicity)
{
    /* Step 2: difference function d(tau) = sum_j (x_j - x_{j+tau})^2. */
    double e0 = 0.0;
    for (size_t j = 0; j < w; j++) e0 += (double)x[j] * x[j];
    if (voicing) *voicing = 0.0;
    if (harmonicity) *harmonicity = 0.0;
    if (e0 < 1e-9 * (double)w) return 0.0; /* below -90 dB re full scale: no pitch */
    d[0] = 0.0f;
    for (size_t tau = 1; tau <= tau_max; tau++) {
        /* two four-lane accumulators: the loop is one vector subtract and
         * one multiply-add per four lags' worth of products */
        v4f s0 = {0, 0, 0, 0}, s1 = s0;
        size_t j = 0;
        for (; j + 8 <= w; j += 8) {
            v4f a = load4(x + j) - load4(x + j + tau);
            v4f b = load4(x + j + 4) - load4(x + j + 4 + tau);
            s0 += a * a, s1 += b * b;
        }
        s0 += s1;
        float acc = (s0[0] + s0[1]) + (s0[2] + s0[3]);
        for (; j < w; j++) acc += (x[j] - x[j + tau]) * (x[j] - x[j + tau]);
        d[tau] = acc;
    }
    /* Step 3: cumulative mean normalised difference d'(tau). */
    double run = 0.0, best = 1e9;
    size_t tsel = 0;
    for (size_t tau = 1; tau <= tau_max; tau++) {
        run += d[tau];
        d[tau] = run > 0 ? (float)(d[tau] * (double)tau / run) : 1.0f;
    }
    for (size_t tau = tau_min; tau <= tau_max; tau++)
        if (d[tau] < best) best = d[tau];
    /* Step 4: the first dip below the threshold, followed to its local minimum. */
    for (size_t tau = tau_min; tau <= tau_max; tau++)
        if (d[tau] < thr) {
            while (tau + 1 <= tau_max && d[tau + 1] < d[tau]) tau++;
            tsel = tau;
            break;
        }
    if (harmonicity) *harmonicity = best < 1.0 ? 1.0 - best : 0.0;
    if (!tsel) return 0.0;
    /* Step 5: parabolic interpolation of the minimum. */
    double t = (double)tsel, dmin = d[tsel];
    if (tsel > 1 && tsel < tau_max) {
        double a = d[tsel - 1], b = d[tsel], c = d[tsel + 1], den = a - 2 * b + c;
        if (den > 0) {
            t += 0.5 * (a - c) / den;
            dmin = b - (c - a) * (c - a) / (8.0 * den); /* the parabola's minimum */
            if (dmin < 0) dmin = 0;
        }
    }
    if (voicing) *voicing = 1.0 - dmin > 0 ? 1.0 - dmin : 0.0;
    return rate / t;
}

/* Sum of squares of n samples in four float lanes (a 4 ms block: the lanes'
 * relative rounding, ~1e-7, is far below what the onset measure resolves). */
static double sum_squares(const float *x, size_t n)
{
    v4f acc = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f v = load4(x + i);
        acc += v * v;
    }
    double e = (double)((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (; i < n; i++) e += (double)x[i] * x[i];
    return e;
}

int st_features_compute(st_features *f, const float *xa, const float *xp, st_frame_features *out)
{
    size_t n = f->n, sb = n / ST_FEAT_SUBBLOCKS;
    double etot = 0.0, onset = -100.0;
    /* Onset: 4 ms block energies against the mean of the previous 40 ms. */
    for (size_t b = 0; b < ST_FEAT_SUBBLOCKS; b++) {
        double e = sum_squares(xa + b * sb, sb);
        etot += e;
        e /= (double)sb;
        double ref = 0.0;
        for (int k = 0; k < ONSET_HIST; k++) ref += f->hist[k];
        ref /= ONSET_HIST;
        double r = 10.0 * log10((e + EPS) / (ref + EPS));
        if (r > onset) onset = r;
        memmove(f->hist, f->hist + 1, (ONSET_HIST - 1) * sizeof(double));
        f->hist[ONSET_HIST - 1] = e;
    }
    out->onset_db = onset;
    out->level_db = 10.0 * log10(etot / (double)n + EPS);

    for (size_t i = 0; i < n; i++) f->buf[i] = xa[i] * f->win[i];
    kiss_fftr(f->cfg, f->buf, f->spec);
    double sp = 0, sfk = 0, slog = 0, slo = 0, shi = 0, smag = 0, sflux = 0, prod = 1.0;
    int nprod = 0;
    double df = f->fa / (double)n;
    for (size_t k = f->klo; k <= f->khi; k++) /* power first: this loop vectorises */
        f->pow[k] = f->spec[k].r * f->spec[k].r + f->spec[k].i * f->spec[k].i;
    for (size_t k = f->klo; k <= f->khi; k++) {
        double p = f->pow[k];
        float m = sqrtf(f->pow[k]);
        f->mag[k] = m;
        sp += p;
        sfk += p * (double)k * df;
        /* geometric mean: one log per 8 bins (each factor >= 1e-20, so the
         * product of 8 stays far above the double range's floor) */
        prod *= p + 1e-20;
        if (++nprod == 8) slog += log(prod), prod = 1.0, nprod = 0;
        if (k < f->k1k)
            slo += p;
        else
            shi += p;
        smag += m;
        double dm = (double)m - f->prev[k];
        if (dm > 0) sflux += dm;
    }
    slog += log(prod);
    size_t nk = f->khi - f->klo + 1;
    /* octave envelope: bins k with 62.5 * 2^o <= k df < 62.5 * 2^(o+1); mel
     * bands: bin k rises into band j (edge j is band j's lower edge) and falls
     * out of band j - 1; mel[NMEL] takes the rising part of the top bins,
     * which belongs to no band */
    double oct[ST_FEAT_NOCT] = {0}, mel[ST_FEAT_NMEL + 1] = {0};
    for (size_t k = f->klo; k <= f->khi; k++) {
        double p = f->pow[k], w = f->kmw[k];
        size_t j = f->kmel[k];
        oct[f->koct[k]] += p;
        mel[j] += w * p;
        if (j) mel[j - 1] += (1.0 - w) * p;
    }
    for (int o = 0; o < ST_FEAT_NOCT; o++) {
        double r = sp > 1e-20 ? 10.0 * log10(oct[o] / sp + 1e-6) : -60.0;
        out->oct_db[o] = r > -60.0 ? r : -60.0;
    }
    for (int b = 0; b < ST_FEAT_NMEL; b++)
        mel[b] = sp > 1e-20 ? 10.0 * log10(mel[b] / sp + 1e-6) : -60.0;
    for (int i = 0; i < ST_FEAT_NCEP; i++) {
        double c = 0.0;
        for (int b = 0; b < ST_FEAT_NMEL; b++) c += f->dct[i][b] * mel[b];
        out->cep[i] = c * (2.0 / ST_FEAT_NMEL);
    }
    if (sp > 1e-20) {
        out->centroid_hz = sfk / sp;
        out->flatness = exp(slog / (double)nk) / (sp / (double)nk);
        double acc = 0.0;
        size_t k = f->klo;
        for (; k <= f->khi; k++) {
            acc += (double)f->mag[k] * f->mag[k];
            if (acc >= 0.85 * sp) break;
        }
        out->rolloff_hz = (double)k * df;
        out->hf_ratio_db = 10.0 * log10((shi + 1e-20) / (slo + 1e-20));
        out->flux = f->have_prev ? sflux / (smag + 1e-20) : 0.0;
    } else {
        out->centroid_hz = out->flatness = out->rolloff_hz = out->flux = 0.0;
        out->hf_ratio_db = 0.0;
    }
    memcpy(f->prev + f->klo, f->mag + f->klo, nk * sizeof(float));
    f->have_prev = 1;

    out->f0_hz = st_features_yin(xp, f->pw, f->tau_min, f->tau_max, f->fp, YIN_THRESH, f->yin,
                                 &out->voicing, &out->harmonicity);
    return 0;
}
