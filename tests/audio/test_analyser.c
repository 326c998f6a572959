/* Unit tests for the analyser: per-second results, events, flags and bounded queues. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/audio_analyser.h"

static unsigned rng = 7;
static float noise(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)rng / 4294967296.0f - 0.5f;
}

static void test_tone_seconds(void)
{
    double fs = 48000, amp = 0.1;
    st_analyser_config c;
    st_analyser_config_default(&c, fs);
    c.cal_db = 94.0 - 10 * log10(amp * amp / 2);
    st_analyser *a = st_analyser_new(&c);
    CHECK(a != NULL);
    static float x[48000 * 3 + 1000];
    size_t n = sizeof(x) / sizeof(x[0]);
    for (size_t i = 0; i < n; i++) x[i] = (float)(amp * sin(2 * M_PI * 1000 * (double)i / fs));
    st_audio_second s[8];
    int ns = 0;
    for (size_t i = 0; i < n; i += 777) {
        st_analyser_push(a, x + i, n - i < 777 ? n - i : 777);
        while (ns < 8 && st_analyser_next_second(a, &s[ns])) ns++;
    }
    CHECK_EQ_INT(ns, 3);
    st_analyser_flush(a);
    while (ns < 8 && st_analyser_next_second(a, &s[ns])) ns++;
    CHECK_EQ_INT(ns, 4); /* the partial last second */
    CHECK_NEAR(s[2].t, 2.0, 1e-9);
    CHECK_NEAR(s[2].level.laeq, 94.0, 0.1);
    CHECK_NEAR(s[2].band_db[16], 94.0, 0.3); /* all the tone is in the 1 kHz band */
    CHECK(s[2].band_db[13] < 94.0 - 40);     /* 500 Hz band: far out of band */
    CHECK_NEAR(s[3].level.seconds, 1000 / fs, 1e-9);
    double fa, fp;
    st_analyser_rates(a, &fa, &fp);
    CHECK_NEAR(fa, 24000, 1e-9);
    CHECK_NEAR(fp, 6000, 1e-9);
    st_audio_event e;
    CHECK_EQ_INT(st_analyser_next_event(a, &e), 0); /* a steady tone is no event */
    st_analyser_free(a);
}

static void test_bang_in_noise(void)
{
    double fs = 16000;
    st_analyser_config c;
    st_analyser_config_default(&c, fs);
    st_analyser *a = st_analyser_new(&c);
    size_t n = (size_t)(8 * fs);
    float *x = malloc(n * sizeof(float));
    double lp = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / fs, v = 0.01 * noise();
        lp += 0.2 * (noise() - lp); /* one-pole low-pass: a bang's energy sits low */
        if (t >= 4.0 && t < 4.5) v += 3.0 * lp * exp(-(t - 4.0) * 12); /* gunshot-like */
        x[i] = (float)v;
    }
    st_analyser_push(a, x, n);
    st_analyser_flush(a);
    st_audio_event e;
    int found = 0, other = 0;
    while (st_analyser_next_event(a, &e)) {
        if (e.kind == ST_EV_BANG && fabs(e.start - 4.0) < 0.1)
            found++;
        else
            other++;
    }
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_INT(other, 0);
    st_audio_second s;
    int secs = 0, conf4 = 0;
    while (st_analyser_next_second(a, &s)) secs++, conf4 |= s.event_conf[ST_EV_BANG] > 0;
    CHECK(conf4);
    CHECK_EQ_INT(secs, 8);
    free(x);
    st_analyser_free(a);
}

static void test_flags_and_limits(void)
{
    st_analyser_config c;
    st_analyser_config_default(&c, 16000);
    st_analyser *a = st_analyser_new(&c);
    static float x[16000 * 12];
    for (size_t i = 0; i < 16000; i++) x[i] = NAN;
    for (size_t i = 16000; i < 32000; i++) x[i] = (i / 20) % 2 ? 1.0f : -1.0f; /* clipped */
    st_analyser_push(a, x, 16000 * 12);                                        /* 12 s unread */
    st_analyser_flush(a);
    CHECK_EQ_INT(st_analyser_bad_samples(a), 16000);
    CHECK(st_analyser_dropped(a) >= 4); /* the second queue holds 8 */
    st_audio_second s;
    int n = 0;
    while (st_analyser_next_second(a, &s)) n++;
    CHECK_EQ_INT(n, 8);
    st_analyser_free(a);
    a = st_analyser_new(&c);
    for (size_t i = 0; i < 32000; i++) x[i] = i < 16000 ? 0.0f : ((i / 20) % 2 ? 1.0f : -1.0f);
    st_analyser_push(a, x, 32000);
    st_analyser_flush(a);
    CHECK(st_analyser_next_second(a, &s) && s.level.silent && !s.level.clipped);
    CHECK(st_analyser_next_second(a, &s) && !s.level.silent && s.level.clipped == 16000);
    st_analyser_free(a);
    c.fs = 8000;
    CHECK(st_analyser_new(&c) == NULL);
    c.fs = 16000, c.ring_s = 100;
    CHECK(st_analyser_new(&c) == NULL);
    st_analyser_free(NULL);
}

/* Finite samples far beyond full scale (a corrupt float WAV; found by
 * fuzz/fuzz_audio.c) are limited to ST_ANALYSER_MAX_ABS: every level stays
 * finite, at +80 dB re full scale at most, and the second is flagged clipped. */
static void test_huge_samples(void)
{
    st_analyser_config c;
    st_analyser_config_default(&c, 48000);
    st_analyser *a = st_analyser_new(&c);
    static float x[48000 * 2];
    for (size_t i = 0; i < 48000 * 2; i++)
        x[i] = i % 7 == 3 ? ((i / 7) % 2 ? 1.5e22f : -3e37f) : 0.0f;
    st_analyser_push(a, x, 48000 * 2);
    st_analyser_flush(a);
    CHECK_EQ_INT(st_analyser_bad_samples(a), 0);
    st_audio_second s;
    int n = 0;
    while (st_analyser_next_second(a, &s)) {
        n++;
        CHECK(isfinite(s.level.laeq) && isfinite(s.level.lafmax) && isfinite(s.level.lcpeak));
        CHECK(s.level.lcpeak <= c.cal_db + 80.0 + 3.0);
        CHECK(s.level.clipped > 0);
        for (int b = 0; b < ST_BANDS_N; b++) CHECK(isnan(s.band_db[b]) || isfinite(s.band_db[b]));
    }
    CHECK_EQ_INT(n, 2);
    st_audio_event e;
    while (st_analyser_next_event(a, &e)) CHECK(isfinite(e.start) && isfinite(e.end));
    st_analyser_free(a);
}

int main(void)
{
    RUN(test_tone_seconds);
    RUN(test_bang_in_noise);
    RUN(test_flags_and_limits);
    RUN(test_huge_samples);
    return TEST_END("audio/analyser");
}
