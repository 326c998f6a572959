/* Unit tests for the IEC 61672-1 level meter: calibration, time weighting, peak. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/audio_level.h"
#include "stratum/audio_weighting.h"

/* Run n samples of x through weighting and meter in blocks of 1000. */
static void feed(st_weighting *w, st_level *m, const float *x, size_t n)
{
    float a[1000], c[1000];
    for (size_t i = 0; i < n; i += 1000) {
        size_t k = n - i < 1000 ? n - i : 1000;
        st_weighting_process(w, x + i, k, a, c);
        st_level_process(m, x + i, a, c, k);
    }
}

static void test_calibrated_94(void)
{
    double fs = 48000, amp = 0.1;
    double cal = 94.0 - 10 * log10(amp * amp / 2); /* a 1 kHz sine of amp reads 94 dB */
    st_weighting *w = st_weighting_new(fs);
    st_level *m = st_level_new(fs, cal);
    CHECK(w && m);
    size_t n = 48000;
    float *x = malloc(n * sizeof(float));
    st_level_result r;
    for (int s = 0; s < 6; s++) { /* Slow (1 s) needs ~5 time constants */
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(amp * sin(2 * M_PI * 1000.0 * (double)(i + s * n) / fs));
        feed(w, m, x, n);
        CHECK_EQ_INT(st_level_take(m, &r), 0);
    }
    /* sixth second: filters and Fast/Slow averages settled */
    CHECK_NEAR(r.laeq, 94.0, 0.1);
    CHECK_NEAR(r.lceq, 94.0, 0.1);
    CHECK_NEAR(r.lafmax, 94.0, 0.1);
    CHECK_NEAR(r.lasmax, 94.0, 0.1);
    CHECK_NEAR(r.lcpeak, 94.0 + 3.01, 0.1); /* peak of a sine is 3.01 dB above its rms */
    CHECK_EQ_INT(r.clipped, 0);
    CHECK_EQ_INT(r.silent, 0);
    CHECK_NEAR(r.seconds, 1.0, 1e-9);
    CHECK_EQ_INT(st_level_take(m, &r), -EAGAIN);
    free(x);
    st_level_free(m);
    st_weighting_free(w);
}

/* IEC 61672-1:2013 Table 4: 4 kHz tone bursts, LAFmax relative to the steady level. */
static double burst_response(double fs, double burst_s, int slow)
{
    st_weighting *w = st_weighting_new(fs);
    st_level *m = st_level_new(fs, 0.0);
    size_t n = (size_t)(11 * fs), on0 = (size_t)(10 * fs), on1 = on0 + (size_t)(burst_s * fs + 0.5);
    float *x = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) {
        double s = 0.5 * sin(2 * M_PI * 4000.0 * (double)i / fs);
        x[i] = (float)(i < (size_t)fs / 2 ? s : (i >= on0 && i < on1 ? s : 0.0));
    }
    /* steady level from the first half second, then silence, then the burst at 10 s */
    feed(w, m, x, (size_t)fs / 2);
    st_level_result r;
    st_level_take(m, &r);
    double steady = r.laeq;
    feed(w, m, x + (size_t)fs / 2, on0 - (size_t)fs / 2); /* 9.5 s silence: both decay */
    st_level_take(m, &r);
    feed(w, m, x + on0, n - on0);
    st_level_take(m, &r);
    free(x);
    st_level_free(m);
    st_weighting_free(w);
    return (slow ? r.lasmax : r.lafmax) - steady;
}

static void test_toneburst(void)
{
    /* Fast: 200 ms -1.0 dB (+-0.5), 2 ms -18.0 dB (+1.0 -1.5); Slow: 200 ms -7.4 (+-0.5). */
    double d = burst_response(48000, 0.2, 0);
    CHECK(d > -1.5 && d < -0.5);
    d = burst_response(48000, 0.002, 0);
    CHECK(d > -19.5 && d < -17.0);
    d = burst_response(48000, 0.2, 1);
    CHECK(d > -7.9 && d < -6.9);
}

static void test_decay_rate(void)
{
    /* Fast decay after the signal stops: 10 log10(e) / 0.125 = 34.7 dB/s. */
    double fs = 16000;
    st_weighting *w = st_weighting_new(fs);
    st_level *m = st_level_new(fs, 0.0);
    size_t n = 16000;
    float *x = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * (double)i / fs));
    feed(w, m, x, n);
    double l0 = st_level_fast_db(m);
    for (size_t i = 0; i < n; i++) x[i] = 0.0f;
    feed(w, m, x, 1600); /* 100 ms */
    CHECK_NEAR(l0 - st_level_fast_db(m), 3.47, 0.2);
    free(x);
    st_level_free(m);
    st_weighting_free(w);
}

static void test_flags(void)
{
    double fs = 16000;
    st_weighting *w = st_weighting_new(fs);
    st_level *m = st_level_new(fs, 100.0);
    float x[1000] = {0};
    feed(w, m, x, 1000);
    st_level_result r;
    st_level_take(m, &r);
    CHECK_EQ_INT(r.silent, 1);
    CHECK(r.laeq <= -999.0);
    for (int i = 0; i < 1000; i++) x[i] = (i / 8) % 2 ? 1.0f : -1.0f; /* clipped square */
    feed(w, m, x, 1000);
    st_level_take(m, &r);
    CHECK_EQ_INT(r.clipped, 1000);
    CHECK_EQ_INT(r.silent, 0);
    CHECK(st_level_new(100.0, 0.0) == NULL);
    CHECK(st_level_new(48000.0, NAN) == NULL);
    st_level_free(NULL);
    st_level_free(m);
    st_weighting_free(w);
}

int main(void)
{
    RUN(test_calibrated_94);
    RUN(test_toneburst);
    RUN(test_decay_rate);
    RUN(test_flags);
    return TEST_END("audio/level");
}
