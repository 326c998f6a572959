/* Unit tests for the event detector: rules, parameters, segmentation, merging. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "st_test.h"
#include "stratum/audio_detect.h"

static st_detect_segment seg_base(void)
{
    st_detect_segment s;
    memset(&s, 0, sizeof(s));
    s.start = 1.0, s.end = 2.0, s.duration = 1.0;
    s.peak_prominence_db = 20, s.attack_db = 5, s.decay_db = 3;
    s.hf_ratio_db = -10, s.centroid_hz = 800, s.flatness = 0.05;
    return s;
}

static void test_rules(void)
{
    st_detect_params p;
    st_detect_params_default(&p);
    double c;
    st_detect_segment s = seg_base();
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_NONE);
    /* impulsive, low-frequency: bang; high-frequency: glass */
    s.attack_db = 30, s.decay_db = 15;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_BANG);
    CHECK(c > 0.5 && c <= 1.0);
    p.bang_min_flatness = 0.03; /* off by default (docs/audio.md) */
    s.flatness = 0.01;          /* a tonal attack (a piano note, a kick drum): not a bang */
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_NONE);
    s.flatness = 0.05;
    p.bang_min_flatness = 0.0;
    s.hf_ratio_db = 10, s.centroid_hz = 3500;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_GLASS);
    /* too quiet above the background: nothing */
    s.peak_prominence_db = 5;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_NONE);
    /* voiced, high, held: scream; voiced, raised, words: shout; normal speech: none */
    s = seg_base();
    s.voiced_frac = 0.8, s.voiced_run_s = 0.8, s.median_f0 = 600, s.pitch_stability = 0.3;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_SCREAM);
    s.median_f0 = 320, s.voiced_run_s = 0.2, s.hf_ratio_db = 0;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_SHOUT);
    s.median_f0 = 140, s.hf_ratio_db = -12;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_NONE);
    /* a horn: voiced, high, but its pitch does not move */
    s.median_f0 = 420, s.voiced_run_s = 0.8, s.pitch_stability = 0.98;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_NONE);
    /* sustained: longer than max_event_s */
    s = seg_base();
    s.attack_db = 30, s.decay_db = 15, s.duration = 20;
    CHECK_EQ_INT(st_detect_classify(&p, &s, &c), ST_EV_NONE);
}

static void test_params(void)
{
    st_detect_params p;
    st_detect_params_default(&p);
    CHECK_EQ_INT(st_detect_params_set(&p, "scream_f0_hz", "500"), 0);
    CHECK_NEAR(p.scream_f0_hz, 500, 1e-12);
    CHECK_EQ_INT(st_detect_params_set(&p, "scream_f0_hz", "5e9"), -ERANGE);
    CHECK_EQ_INT(st_detect_params_set(&p, "scream_f0_hz", "abc"), -EINVAL);
    CHECK_EQ_INT(st_detect_params_set(&p, "no_such_key", "1"), -EINVAL);
    double v;
    size_t n = 0;
    int seen = 0;
    for (const char *k; (k = st_detect_params_name(n, &p, &v)); n++)
        if (!strcmp(k, "scream_f0_hz")) seen = v == 500;
    CHECK(seen);
    CHECK(n > 10);
}

static st_frame_features frame(double level, double onset)
{
    st_frame_features f;
    memset(&f, 0, sizeof(f));
    f.level_db = level, f.onset_db = onset;
    f.centroid_hz = 900, f.hf_ratio_db = -6, f.flatness = 0.2;
    return f;
}

static void test_segments_and_merge(void)
{
    st_detect_params p;
    st_detect_params_default(&p);
    double T = 0.032;
    st_detect *d = st_detect_new(&p, T);
    CHECK(d != NULL);
    st_detect_segment seg;
    int closed = 0, nclosed = 0, nev = 0;
    st_audio_event ev, last = {0};
    double t = 0;
    /* 3 s of background, then two bangs 0.8 s apart (one burst), then quiet */
    for (int i = 0; i < 400; i++) {
        t += T;
        double L = -50, on = 0;
        double ts = t - 3.0;
        if ((ts >= 0 && ts < 0.3) || (ts >= 0.8 && ts < 1.1)) {
            double since = ts < 0.8 ? ts : ts - 0.8;
            L = -10 - 40 * since; /* sharp rise, then decay */
            on = since < T ? 40 : 0;
        }
        st_frame_features f = frame(L, on);
        st_detect_push(d, &f, t, &seg, &closed);
        nclosed += closed;
        while (st_detect_next_event(d, &ev)) nev++, last = ev;
    }
    st_detect_free(d);
    CHECK(nclosed >= 2);
    CHECK_EQ_INT(nev, 1); /* merged into one burst */
    CHECK_EQ_INT(last.kind, ST_EV_BANG);
    CHECK_NEAR(last.start, 3.0, 0.1);
    CHECK(last.end > 3.8);
    CHECK(st_detect_new(&p, 0) == NULL);
    st_detect_free(NULL);
}

static void test_flush_and_crowd(void)
{
    st_detect_params p;
    st_detect_params_default(&p);
    st_detect *d = st_detect_new(&p, 0.032);
    st_frame_features f = frame(-50, 0);
    for (int i = 0; i < 100; i++) st_detect_push(d, &f, i * 0.032, NULL, NULL);
    CHECK_NEAR(st_detect_take_crowd(d), 0.0, 1e-12);
    f = frame(-20, 40); /* an impulse at the very end of the stream */
    st_detect_push(d, &f, 3.3, NULL, NULL);
    f.onset_db = 0;
    for (int i = 0; i < 5; i++) {
        f.level_db -= 5;
        st_detect_push(d, &f, 3.332 + i * 0.032, NULL, NULL);
    }
    int closed = 0;
    st_audio_event ev;
    st_detect_flush(d, NULL, &closed);
    CHECK_EQ_INT(closed, 1);
    CHECK(st_detect_next_event(d, &ev) == 1);
    CHECK_EQ_INT(ev.kind, ST_EV_BANG);
    CHECK(st_detect_next_event(d, &ev) == 0);
    /* babble-like frames count towards crowd */
    f = frame(-50, 0);
    f.harmonicity = 0.5;
    for (int i = 0; i < 10; i++) st_detect_push(d, &f, 4 + i * 0.032, NULL, NULL);
    f.level_db = -20;
    for (int i = 0; i < 10; i++) st_detect_push(d, &f, 5 + i * 0.032, NULL, NULL);
    double c = st_detect_take_crowd(d);
    CHECK(c > 0.3 && c <= 0.5 + 1e-9);
    st_detect_free(d);
}

int main(void)
{
    RUN(test_rules);
    RUN(test_params);
    RUN(test_segments_and_merge);
    RUN(test_flush_and_crowd);
    return TEST_END("audio/detect");
}
