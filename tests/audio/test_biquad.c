/* Unit tests for the biquad design helpers (bilinear transform, Butterworth sections). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <complex.h>
#include <errno.h>
#include <math.h>

#include "st_test.h"
#include "stratum/audio_biquad.h"

static double mag_db(const st_biquad *q, size_t n, double f, double fs)
{
    return 20 * log10(cabs(st_biquad_response(q, n, f, fs)));
}

static void test_bilinear(void)
{
    /* s = 0 maps to z = 1; a pole at -w maps inside the unit circle */
    CHECK_NEAR(creal(st_biquad_bilinear(0, 48000)), 1.0, 1e-12);
    double complex z = st_biquad_bilinear(-2 * M_PI * 100.0, 48000);
    CHECK(cabs(z) < 1.0 && cabs(z) > 0.98);
    CHECK_NEAR(st_biquad_prewarp(1000, 48000), 2 * 48000 * tan(M_PI * 1000 / 48000.0), 1e-9);
}

static void test_lowpass(void)
{
    st_biquad q[3];
    CHECK_EQ_INT(st_biquad_butter_lowpass6(q, 4000, 48000), 0);
    CHECK_NEAR(mag_db(q, 3, 0.0, 48000), 0.0, 1e-9);
    CHECK_NEAR(mag_db(q, 3, 4000, 48000), -3.01, 0.01); /* Butterworth: -3 dB at cutoff */
    CHECK(mag_db(q, 3, 16000, 48000) < -70.0);          /* 6 poles: >= 36 dB/octave */
    CHECK_EQ_INT(st_biquad_butter_lowpass6(q, 30000, 48000), -EINVAL);
}

static void test_bandpass(void)
{
    st_biquad q[3];
    CHECK_EQ_INT(st_biquad_butter_bandpass6(q, 891.25, 1122.02, 48000), 0);
    CHECK_NEAR(mag_db(q, 3, sqrt(891.25 * 1122.02), 48000), 0.0, 0.01);
    CHECK_NEAR(mag_db(q, 3, 891.25, 48000), -3.01, 0.01);
    CHECK_NEAR(mag_db(q, 3, 1122.02, 48000), -3.01, 0.01);
    CHECK(mag_db(q, 3, 4000, 48000) < -60.0);
    CHECK(mag_db(q, 3, 250, 48000) < -60.0);
    CHECK_EQ_INT(st_biquad_butter_bandpass6(q, 2000, 1000, 48000), -EINVAL);
    /* poles inside the unit circle: stable sections */
    for (int k = 0; k < 3; k++) CHECK(q[k].a2 < 1.0 && fabs(q[k].a1) < 1.0 + q[k].a2);
}

static void test_from_poles_scale(void)
{
    st_biquad q = st_biquad_from_poles(0.5, 0.5, ST_BQ_ZEROS_DC);
    CHECK_NEAR(q.a1, -1.0, 1e-12);
    CHECK_NEAR(q.a2, 0.25, 1e-12);
    CHECK_NEAR(cabs(st_biquad_response(&q, 1, 0.0, 1000)), 0.0, 1e-12); /* zeros at DC */
    st_biquad_scale(&q, 2.0);
    CHECK_NEAR(q.b1, -4.0, 1e-12);
}

int main(void)
{
    RUN(test_bilinear);
    RUN(test_lowpass);
    RUN(test_bandpass);
    RUN(test_from_poles_scale);
    return TEST_END("audio/biquad");
}
