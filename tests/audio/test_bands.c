/* Unit tests for the 1/3-octave filter bank against the IEC 61260-1 class 1 mask. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/audio_bands.h"

/* Class 1 limits on relative attenuation for one-third-octave filters (base 10) at
 * the normalised frequencies of IEC 61260:1995 / ANSI S1.11-2004 Table 1 (the
 * stop-band limits are the stricter of that edition and IEC 61260-1:2014).
 * Gains in dB relative to mid-band; lo = -99 means no lower limit. */
typedef struct mask {
    double omega, hi, lo;
} mask;

static const mask class1[] = {
    {1.0, 0.3, -0.3},      {1.02667, 0.3, -0.4},  {1.05575, 0.3, -0.6},
    {1.08746, 0.3, -1.3},  {1.12202, -2.0, -5.0}, {1.29437, -17.5, -99},
    {1.88173, -42.0, -99}, {3.05365, -61.0, -99}, {5.39195, -70.0, -99},
};

/* Band level of band i for a unit sine at f (settled), in dB. */
static double tone_level(double fs, size_t i, double f)
{
    st_bands *b = st_bands_new(fs);
    if (!b) return NAN;
    double bw = st_bands_exact_centre(i) * 0.23;
    double settle = 40.0 / bw + 0.2, meas = 20.0 / bw + 0.2 + 4.0 / f;
    float x[ST_BANDS_MAX_BLOCK];
    double db[ST_BANDS_N];
    size_t t = 0, nsettle = (size_t)(settle * fs), nmeas = (size_t)(meas * fs);
    for (int pass = 0; pass < 2; pass++) {
        size_t total = pass ? nmeas : nsettle;
        for (size_t k = 0; k < total; k += ST_BANDS_MAX_BLOCK) {
            size_t n = total - k < ST_BANDS_MAX_BLOCK ? total - k : ST_BANDS_MAX_BLOCK;
            for (size_t j = 0; j < n; j++, t++) x[j] = (float)sin(2 * M_PI * f * (double)t / fs);
            st_bands_process(b, x, n);
        }
        st_bands_take(b, 0.0, db);
    }
    st_bands_free(b);
    return db[i];
}

static void check_band(double fs, size_t i)
{
    double fm = st_bands_exact_centre(i);
    double ref = tone_level(fs, i, fm);
    CHECK_NEAR(ref, -3.01, 0.3); /* unit sine: mean square 1/2 */
    for (size_t k = 0; k < sizeof(class1) / sizeof(class1[0]); k++)
        for (int side = 0; side < 2; side++) {
            double f = side ? fm * class1[k].omega : fm / class1[k].omega;
            if (f >= 0.49 * fs || f < 2.0) continue;
            double g = tone_level(fs, i, f) - ref;
            int ok = g <= class1[k].hi + 0.05 && (class1[k].lo <= -99 || g >= class1[k].lo - 0.05);
            if (!ok)
                fprintf(stderr, "fs %.0f band %d Hz tone %.2f Hz: %.2f dB outside [%.1f, %.1f]\n",
                        fs, st_bands_nominal(i), f, g, class1[k].lo, class1[k].hi);
            CHECK(ok);
        }
}

static void test_mask_48k(void)
{
    size_t bands[] = {0, 6, 13, 16, 21, 23, 24, 25, 26}; /* 25 Hz ... 10 kHz */
    for (size_t k = 0; k < sizeof(bands) / sizeof(bands[0]); k++) check_band(48000, bands[k]);
}

static void test_mask_44k1_16k(void)
{
    size_t b44[] = {2, 16, 20, 26};
    for (size_t k = 0; k < sizeof(b44) / sizeof(b44[0]); k++) check_band(44100, b44[k]);
    size_t b16[] = {3, 16, 20, 21}; /* 40 Hz ... 3.15 kHz: the class 1 bands at 16 kHz */
    for (size_t k = 0; k < sizeof(b16) / sizeof(b16[0]); k++) check_band(16000, b16[k]);
    /* 4 to 6.3 kHz run above fs/4 at 16 kHz: reported, flagged as not class 1 */
    st_bands *b = st_bands_new(16000);
    CHECK(st_bands_class1(b, 21));
    CHECK(!st_bands_class1(b, 22) && st_bands_available(b, 22));
    CHECK(!st_bands_class1(b, 24) && st_bands_available(b, 24));
    st_bands_free(b);
    b = st_bands_new(48000);
    for (size_t i = 0; i < ST_BANDS_N; i++) CHECK(st_bands_class1(b, i));
    st_bands_free(b);
}

static void test_availability(void)
{
    st_bands *b = st_bands_new(16000);
    CHECK(b != NULL);
    CHECK(st_bands_available(b, 24));  /* 6.3 kHz: upper edge 7.08 kHz < 7.2 kHz */
    CHECK(!st_bands_available(b, 25)); /* 8 kHz: upper edge 8.9 kHz > fs/2 */
    double db[ST_BANDS_N];
    CHECK_EQ_INT(st_bands_take(b, 0, db), -EAGAIN);
    float x[100] = {0};
    CHECK_EQ_INT(st_bands_process(b, x, 100), 0);
    CHECK_EQ_INT(st_bands_take(b, 0, db), 0);
    CHECK(isnan(db[26]));
    CHECK(db[0] <= -999.0);
    double rate = 0;
    int l = st_bands_level_for_rate(b, 4000.0, &rate);
    CHECK_EQ_INT(l, 2);
    CHECK_NEAR(rate, 4000.0, 1e-9);
    st_bands_free(b);
    b = st_bands_new(48000);
    for (size_t i = 0; i < ST_BANDS_N; i++) CHECK(st_bands_available(b, i));
    CHECK_NEAR(st_bands_exact_centre(16), 1000.0, 1e-9);
    CHECK_NEAR(st_bands_exact_centre(0), 25.1189, 1e-3);
    CHECK_EQ_INT(st_bands_nominal(26), 10000);
    /* designed response: -3 dB at the band edges */
    CHECK_NEAR(st_bands_response_db(b, 16, 1000.0 * pow(10, 0.05 * 0.97)), -3.01, 0.05);
    CHECK(st_bands_new(8000) == NULL);
    st_bands_free(b);
    st_bands_free(NULL);
}

int main(void)
{
    RUN(test_availability);
    RUN(test_mask_48k);
    RUN(test_mask_44k1_16k);
    return TEST_END("audio/bands");
}
