/* Unit tests for frame features: spectral shape, onset and YIN pitch. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/audio_features.h"

static unsigned rng = 1;
static float noise(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)rng / 4294967296.0f - 0.5f;
}

/* Fill a frame at fa and the matching pitch frame at fp (same time span end). */
static void frames(st_features *f, double fa, double fp, double f0, int harmonics, float amp,
                   int with_noise, float *xa, float *xp, double t_end)
{
    size_t na = st_features_frame_len(f), np = st_features_pitch_len(f);
    for (size_t i = 0; i < na; i++) {
        double t = t_end - (double)(na - i) / fa, v = 0;
        for (int h = 1; h <= harmonics; h++) v += sin(2 * M_PI * f0 * h * t) / h;
        xa[i] = (float)(amp * v) + (with_noise ? amp * noise() : 0.0f);
    }
    for (size_t i = 0; i < np; i++) {
        double t = t_end - (double)(np - i) / fp, v = 0;
        for (int h = 1; h <= harmonics; h++) v += sin(2 * M_PI * f0 * h * t) / h;
        xp[i] = (float)(amp * v) + (with_noise ? amp * noise() : 0.0f);
    }
}

static void test_pitch(void)
{
    double fa = 16000, fp = 4000;
    st_features *f = st_features_new(fa, fp);
    CHECK(f != NULL);
    float xa[2048], xp[2048];
    st_frame_features r;
    double f0s[] = {110, 220, 330, 600, 900};
    for (size_t k = 0; k < 5; k++) {
        frames(f, fa, fp, f0s[k], 1, 0.3f, 0, xa, xp, 1.0);
        st_features_compute(f, xa, xp, &r);
        CHECK_NEAR(r.f0_hz, f0s[k], f0s[k] * 0.02);
        if (!(r.voicing > 0.85)) fprintf(stderr, "f0 %g voicing %g\n", f0s[k], r.voicing);
        CHECK(r.voicing > 0.85);
        CHECK(r.harmonicity > 0.9);
    }
    /* white noise: unvoiced */
    for (size_t i = 0; i < 2048; i++) xa[i] = xp[i] = 0.3f * noise();
    st_features_compute(f, xa, xp, &r);
    CHECK(r.f0_hz == 0.0 || r.voicing < 0.5);
    CHECK(r.flatness > 0.3);
    st_features_free(f);
}

static void test_spectral(void)
{
    double fa = 16000;
    st_features *f = st_features_new(fa, 4000);
    float xa[2048], xp[2048];
    st_frame_features r;
    frames(f, fa, 4000, 2000, 1, 0.3f, 0, xa, xp, 1.0); /* pure 2 kHz tone */
    st_features_compute(f, xa, xp, &r);
    CHECK_NEAR(r.centroid_hz, 2000, 60);
    CHECK_NEAR(r.rolloff_hz, 2000, 60);
    CHECK(r.flatness < 0.01);
    CHECK(r.hf_ratio_db > 30); /* all power above 1 kHz */
    CHECK_NEAR(r.level_db, 20 * log10(0.3 / sqrt(2)), 0.2);
    frames(f, fa, 4000, 300, 1, 0.3f, 0, xa, xp, 1.032); /* 300 Hz: all below 1 kHz */
    st_features_compute(f, xa, xp, &r);
    CHECK(r.hf_ratio_db < -30);
    CHECK(r.flux > 0.3); /* the spectrum moved from 2 kHz to 300 Hz */
    st_features_compute(f, xa, xp, &r);
    CHECK(r.flux < 0.05); /* same frame again: no change */
    st_features_free(f);
}

static void test_onset(void)
{
    st_features *f = st_features_new(16000, 4000);
    size_t n = st_features_frame_len(f);
    float xa[2048] = {0}, xp[2048] = {0};
    st_frame_features r;
    for (size_t i = 0; i < n; i++) xa[i] = 0.001f * noise();
    st_features_compute(f, xa, xp, &r);
    st_features_compute(f, xa, xp, &r);
    CHECK(r.onset_db < 6);
    for (size_t i = n / 2; i < n; i++) xa[i] = 0.5f * noise(); /* a bang half-way */
    st_features_compute(f, xa, xp, &r);
    CHECK(r.onset_db > 40);
    st_features_free(f);
}

/* Mel cepstrum: the spectral envelope's shape, not its level. A low tone
 * tilts the envelope down (c1 > 0), a high one up (c1 < 0); a gain of 40 dB
 * leaves every coefficient where it was; silence gives a flat envelope. */
static void test_cepstrum(void)
{
    double fa = 16000;
    st_features *f = st_features_new(fa, 4000);
    float xa[2048], xp[2048];
    st_frame_features lo, lo_quiet, hi;
    frames(f, fa, 4000, 300, 3, 0.3f, 0, xa, xp, 1.0);
    st_features_compute(f, xa, xp, &lo);
    frames(f, fa, 4000, 300, 3, 0.003f, 0, xa, xp, 1.0);
    st_features_compute(f, xa, xp, &lo_quiet);
    frames(f, fa, 4000, 4000, 1, 0.3f, 0, xa, xp, 1.0);
    st_features_compute(f, xa, xp, &hi);
    CHECK(lo.cep[0] > 5.0);
    CHECK(hi.cep[0] < -5.0);
    for (int i = 0; i < ST_FEAT_NCEP; i++) {
        CHECK(isfinite(lo.cep[i]) && isfinite(hi.cep[i]));
        CHECK_NEAR(lo.cep[i], lo_quiet.cep[i], 0.05);
    }
    static float z[2048];
    st_features_compute(f, z, z, &lo);
    for (int i = 0; i < ST_FEAT_NCEP; i++) CHECK_NEAR(lo.cep[i], 0.0, 1e-3);
    st_features_free(f);
}

static void test_silence_and_bad_args(void)
{
    st_features *f = st_features_new(48000, 6000);
    CHECK(f != NULL);
    CHECK(st_features_frame_len(f) >= (size_t)(0.032 * 48000));
    static float z[4096];
    st_frame_features r;
    st_features_compute(f, z, z, &r);
    CHECK(r.f0_hz == 0 && r.voicing == 0);
    CHECK(isfinite(r.level_db) && isfinite(r.flatness) && isfinite(r.hf_ratio_db));
    st_features_free(f);
    CHECK(st_features_new(4000, 4000) == NULL);
    CHECK(st_features_new(16000, 32000) == NULL);
    st_features_free(NULL);
}

int main(void)
{
    RUN(test_pitch);
    RUN(test_spectral);
    RUN(test_onset);
    RUN(test_cepstrum);
    RUN(test_silence_and_bad_args);
    return TEST_END("audio/features");
}
