/* Unit tests for the IEC 61672-1 A and C weighting filters. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/audio_weighting.h"

/* IEC 61672-1:2013 Table 3: nominal frequency, exact base-10 exponent k
 * (f = 1000 * 10^(k/10)), A and C weightings (dB) and class 1 acceptance limits. */
typedef struct row {
    int k;
    double a, c, tol_plus, tol_minus; /* tol_minus < 0; -99 means -infinity */
} row;

static const row table[] = {
    {-15, -39.4, -3.0, 2.0, -2.0}, {-14, -34.6, -2.0, 1.5, -1.5}, {-13, -30.2, -1.3, 1.5, -1.5},
    {-12, -26.2, -0.8, 1.5, -1.5}, {-11, -22.5, -0.5, 1.5, -1.5}, {-10, -19.1, -0.3, 1.5, -1.5},
    {-9, -16.1, -0.2, 1.5, -1.5},  {-8, -13.4, -0.1, 1.5, -1.5},  {-7, -10.9, 0.0, 1.5, -1.5},
    {-6, -8.6, 0.0, 1.4, -1.4},    {-5, -6.6, 0.0, 1.4, -1.4},    {-4, -4.8, 0.0, 1.4, -1.4},
    {-3, -3.2, 0.0, 1.4, -1.4},    {-2, -1.9, 0.0, 1.4, -1.4},    {-1, -0.8, 0.0, 1.4, -1.4},
    {0, 0.0, 0.0, 0.7, -0.7},      {1, 0.6, 0.0, 1.4, -1.4},      {2, 1.0, -0.1, 1.6, -1.6},
    {3, 1.2, -0.2, 1.6, -1.6},     {4, 1.3, -0.3, 1.6, -1.6},     {5, 1.2, -0.5, 1.6, -1.6},
    {6, 1.0, -0.8, 1.6, -1.6},     {7, 0.5, -1.3, 2.1, -2.1},     {8, -0.1, -2.0, 2.1, -2.6},
    {9, -1.1, -3.0, 2.1, -3.1},    {10, -2.5, -4.4, 2.6, -3.6},   {11, -4.3, -6.2, 3.0, -6.0},
    {12, -6.6, -8.5, 3.5, -17.0},
};

/* Level in dB of the steady-state output for a unit sine of frequency f. */
static void tone_gain(double fs, double f, double *ga, double *gc)
{
    st_weighting *w = st_weighting_new(fs);
    CHECK(w != NULL);
    if (!w) return;
    size_t n = (size_t)fs; /* 1 s settle + 1 s measure */
    float *x = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)),
          *c = malloc(n * sizeof(float));
    double ea = 0, ec = 0, ex = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++)
            x[i] = (float)sin(2 * M_PI * f * (double)(i + pass * n) / fs);
        st_weighting_process(w, x, n, a, c);
        if (pass == 1)
            for (size_t i = 0; i < n; i++)
                ea += (double)a[i] * a[i], ec += (double)c[i] * c[i], ex += (double)x[i] * x[i];
    }
    *ga = 10 * log10(ea / ex);
    *gc = 10 * log10(ec / ex);
    free(x), free(a), free(c);
    st_weighting_free(w);
}

/* Class 1 up to fmax; the bilinear transform without pre-warping compresses the
 * response towards fs/2, so at 16 kHz only the range below fs/5 is held to it. */
static void check_rate(double fs, double fmax)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        double f = 1000.0 * pow(10.0, table[i].k / 10.0);
        if (f > fmax) continue;
        double ga = NAN, gc = NAN;
        tone_gain(fs, f, &ga, &gc);
        double da = ga - table[i].a, dc = gc - table[i].c;
        if (!(da <= table[i].tol_plus && da >= table[i].tol_minus))
            fprintf(stderr, "fs %.0f f %.1f A %.2f expected %.1f\n", fs, f, ga, table[i].a);
        CHECK(da <= table[i].tol_plus && da >= table[i].tol_minus);
        CHECK(dc <= table[i].tol_plus && dc >= table[i].tol_minus);
        /* Below 5 kHz the digital filter follows the analogue one closely. */
        if (f <= 5000 && f <= fs / 8) {
            CHECK_NEAR(ga, st_weighting_analog_db(ST_WEIGHT_A, f), 0.1);
            CHECK_NEAR(gc, st_weighting_analog_db(ST_WEIGHT_C, f), 0.1);
        }
    }
}

static void test_48k(void)
{
    check_rate(48000.0, 20000.0);
}

static void test_44k1(void)
{
    check_rate(44100.0, 20000.0);
}

static void test_16k(void)
{
    check_rate(16000.0, 3200.0);
}

static void test_analog_table(void)
{
    /* The analogue formula reproduces the standard's table to its 0.1 dB rounding. */
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        double f = 1000.0 * pow(10.0, table[i].k / 10.0);
        CHECK_NEAR(st_weighting_analog_db(ST_WEIGHT_A, f), table[i].a, 0.051);
        CHECK_NEAR(st_weighting_analog_db(ST_WEIGHT_C, f), table[i].c, 0.051);
    }
    CHECK_NEAR(st_weighting_analog_db(ST_WEIGHT_A, 1000.0), 0.0, 1e-9);
}

static void test_bad_rate(void)
{
    CHECK(st_weighting_new(100.0) == NULL);
    st_weighting_free(NULL);
}

int main(void)
{
    RUN(test_analog_table);
    RUN(test_48k);
    RUN(test_44k1);
    RUN(test_16k);
    RUN(test_bad_rate);
    return TEST_END("audio/weighting");
}
