/* Unit tests for the event detector: rules, parameters, segmentation, merging, trained model. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A model text whose only non-zero weights make class `cls` depend on feature
 * `fi`: z_cls = bias + w (x_fi - mean) / scale. */
static char *model_text(int cls, size_t fi, double bias, double w, double mean, double scale,
                        double thr)
{
    static const char *names[ST_DETECT_NCLASS] = {"none", "shout", "scream", "glass", "bang"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "stratum-audio-model 1\n# test\n");
    for (size_t j = 0; j < ST_DETECT_NFEAT; j++)
        fprintf(f, "feature %s %g %g\n", st_detect_feature_name(j), j == fi ? mean : 0.0,
                j == fi ? scale : 1.0);
    for (int c = 0; c < ST_DETECT_NCLASS; c++) {
        fprintf(f, "weights %s %g", names[c], c == cls ? bias : 0.0);
        for (size_t j = 0; j < ST_DETECT_NFEAT; j++)
            fprintf(f, " %g", c == cls && j == fi ? w : 0.0);
        fprintf(f, "\n");
    }
    fprintf(f, "threshold %s %g\n", names[cls], thr);
    fclose(f);
    return buf;
}

static void test_model_classify(void)
{
    st_detect_params p;
    st_detect_params_default(&p);
    CHECK_STR(st_detect_feature_name(0), "log_duration");
    CHECK(st_detect_feature_name(ST_DETECT_NFEAT) == NULL);
    /* glass when feature 10 (hf_mean_db) is high: z_glass = 2 (x - 3) / 2 */
    char err[128], *text = model_text(3, 10, 0.0, 2.0, 3.0, 2.0, 0.5);
    st_detect_model *m = st_detect_model_parse(text, err, sizeof(err));
    free(text);
    CHECK(m != NULL);
    st_detect_segment s = seg_base();
    double conf, prob[ST_DETECT_NCLASS];
    s.feat[10] = 3.0; /* all logits 0: uniform probabilities */
    CHECK_EQ_INT(st_detect_model_classify(m, &p, &s, &conf, prob), ST_EV_NONE);
    for (int c = 0; c < ST_DETECT_NCLASS; c++) CHECK_NEAR(prob[c], 0.2, 1e-12);
    s.feat[10] = 9.0; /* z_glass = 6: p = e^6 / (e^6 + 4) */
    CHECK_EQ_INT(st_detect_model_classify(m, &p, &s, &conf, prob), ST_EV_GLASS);
    CHECK_NEAR(conf, exp(6.0) / (exp(6.0) + 4.0), 1e-12);
    CHECK_NEAR(prob[0], 1.0 / (exp(6.0) + 4.0), 1e-12);
    s.duration = 10.0; /* longer than max_event_s: never an event */
    CHECK_EQ_INT(st_detect_model_classify(m, &p, &s, &conf, NULL), ST_EV_NONE);
    st_detect_model_free(m);
    /* a threshold above the probability suppresses the event */
    text = model_text(3, 10, 0.0, 2.0, 3.0, 2.0, 0.999);
    m = st_detect_model_parse(text, err, sizeof(err));
    free(text);
    s.duration = 1.0;
    CHECK_EQ_INT(st_detect_model_classify(m, &p, &s, &conf, NULL), ST_EV_NONE);
    st_detect_model_free(m);
    st_detect_model_free(NULL);
}

static void test_model_parse_errors(void)
{
    char err[128];
    errno = 0;
    CHECK(st_detect_model_parse("hello\n", err, sizeof(err)) == NULL);
    CHECK_EQ_INT(errno, EINVAL);
    CHECK(strstr(err, "line 1") != NULL);
    CHECK(st_detect_model_parse("stratum-audio-model 1\n", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "incomplete") != NULL);
    /* a wrong feature name, a bad number, a wrong weight count, an unknown class */
    char *text = model_text(1, 0, 0, 1, 0, 1, 0.5);
    char *bad = malloc(strlen(text) + 64);
    const char *edits[][2] = {
        {"log_duration", "log_durationX"},
        {"threshold shout 0.5", "threshold shout 1.5"},
        {"weights bang 0", "weights bang"},
        {"weights none", "weights nobody"},
        {"feature peak_prominence_db 0 1", "feature peak_prominence_db 0 -1"}};
    for (size_t k = 0; k < sizeof(edits) / sizeof(edits[0]); k++) {
        const char *at = strstr(text, edits[k][0]);
        CHECK(at != NULL);
        if (!at) continue;
        size_t pre = (size_t)(at - text);
        memcpy(bad, text, pre);
        strcpy(bad + pre, edits[k][1]);
        strcat(bad, at + strlen(edits[k][0]));
        err[0] = 0;
        CHECK(st_detect_model_parse(bad, err, sizeof(err)) == NULL);
        CHECK(strncmp(err, "line ", 5) == 0);
    }
    st_detect_model *m = st_detect_model_parse(text, err, sizeof(err));
    CHECK(m != NULL);
    st_detect_model_free(m);
    free(bad);
    free(text);
    CHECK(st_detect_model_load("/nonexistent/model.txt", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "/nonexistent/model.txt") != NULL);
}

/* The detector with a model: a segment's feature vector is computed from its
 * frames and the model decides. Here "scream" whenever the voiced share
 * (feature 4) is high; the same frames unvoiced give no event. */
static void test_model_in_detector(void)
{
    st_detect_params p;
    st_detect_params_default(&p);
    char err[128], *text = model_text(2, 4, 0.0, 10.0, 0.5, 0.1, 0.5);
    st_detect_model *m = st_detect_model_parse(text, err, sizeof(err));
    free(text);
    CHECK(m != NULL);
    for (int voiced = 0; voiced < 2; voiced++) {
        st_detect *d = st_detect_new_with_model(&p, 0.032, m);
        st_detect_segment seg, got;
        int closed = 0, nev = 0, nseg = 0;
        st_audio_event ev;
        memset(&got, 0, sizeof(got));
        for (int i = 0; i < 200; i++) {
            double t = (i + 1) * 0.032;
            st_frame_features f = frame(i >= 100 && i < 120 ? -20 : -50, 0);
            if (voiced && i >= 100 && i < 120) f.f0_hz = 500, f.voicing = 0.95;
            st_detect_push(d, &f, t, &seg, &closed);
            if (closed) got = seg, nseg++;
            while (st_detect_next_event(d, &ev)) nev++;
        }
        st_detect_flush(d, &seg, &closed);
        while (st_detect_next_event(d, &ev)) nev++;
        CHECK_EQ_INT(nseg, 1);
        CHECK_NEAR(got.feat[4], voiced ? 1.0 : 0.0, 1e-12); /* voiced_frac */
        CHECK_NEAR(got.feat[0], log10(got.duration), 1e-12);
        CHECK_NEAR(got.feat[6], voiced ? log2(5.0) : 0.0, 1e-9); /* F0 500 Hz */
        for (int j = 0; j < ST_DETECT_NFEAT; j++) CHECK(isfinite(got.feat[j]));
        CHECK_EQ_INT(nev, voiced ? 1 : 0);
        if (voiced) CHECK_EQ_INT(ev.kind, ST_EV_SCREAM);
        st_detect_free(d);
    }
    st_detect_model_free(m);
}

/* The dynamics features (42-47) from known frames: five voiced bursts of
 * four frames, each 2 dB louder than the last, with quieter unvoiced frames
 * between them and an F0 rising 10 semitones per second throughout. */
static void test_dynamics_features(void)
{
    st_detect_params p;
    st_detect_params_default(&p);
    const double T = 0.032, slope = 10.0;
    st_detect *d = st_detect_new(&p, T);
    st_detect_segment seg, got;
    int closed = 0, nseg = 0;
    memset(&got, 0, sizeof(got));
    for (int i = 0; i < 200; i++) {
        st_frame_features f = frame(-50, 0);
        int k = i - 100; /* burst frames 0-3, 7-10, ... */
        if (k >= 0 && k < 35) {
            f.level_db = -40;
            if (k % 7 < 4) {
                f.level_db = -28 + 2 * (k / 7);
                f.f0_hz = 300.0 * pow(2.0, slope * k * T / 12.0), f.voicing = 0.95;
            }
        }
        st_detect_push(d, &f, (i + 1) * T, &seg, &closed);
        if (closed) got = seg, nseg++;
    }
    st_detect_flush(d, &seg, &closed);
    if (closed) got = seg, nseg++;
    CHECK_EQ_INT(nseg, 1);
    CHECK_EQ_INT((int)got.n_peaks, 5);
    CHECK_NEAR(got.feat[42], 5.0 / got.duration, 1e-9); /* voiced_runs_per_s */
    CHECK_NEAR(got.feat[43], 5.0 / got.duration, 1e-9); /* level_peaks_per_s */
    CHECK_NEAR(got.feat[44], slope, 1e-6);              /* f0_slope_st_s */
    CHECK_NEAR(got.feat[45], slope * T, 1e-9);          /* f0_jitter_st: one step a frame */
    CHECK_NEAR(got.feat[46], 28 * T, 1e-9);             /* rise_s: to the last burst */
    CHECK_NEAR(got.feat[47], 0.0, 1e-9);                /* centroid_slope_oct_s: constant */
    st_detect_free(d);
}

/* Mutated model texts (bytes flipped, lines cut, trees with bad links) must
 * parse into a model or fail with a message, never crash (ASan/UBSan builds
 * check the memory side). A parsed model must classify to a finite result. */
static void test_model_mutations(void)
{
    char *text = model_text(4, 1, 0.5, 1.0, 10.0, 5.0, 0.5);
    const char *trees = "tree bang 3\nnode 1 0.5 1 2 0\nnode -1 0 0 0 0.7\nnode -1 0 0 0 -0.2\n";
    size_t len = strlen(text), tl = strlen(trees);
    char *base = malloc(len + tl + 1), *buf = malloc(len + tl + 1);
    memcpy(base, text, len);
    memcpy(base + len, trees, tl + 1);
    len += tl;
    char err[128];
    st_detect_model *m = st_detect_model_parse(base, err, sizeof(err));
    CHECK(m != NULL);
    st_detect_params p;
    st_detect_params_default(&p);
    st_detect_segment s = seg_base();
    double conf;
    s.feat[1] = 20.0; /* x = 2 > 0.5: right leaf, logit_bang = 0.5 + 2 - 0.2 */
    CHECK_EQ_INT(st_detect_model_classify(m, &p, &s, &conf, NULL), ST_EV_BANG);
    CHECK_NEAR(conf, exp(2.3) / (exp(2.3) + 4.0), 1e-9);
    st_detect_model_free(m);
    unsigned r = 12345;
    int parsed = 0, refused = 0;
    for (int k = 0; k < 3000; k++) {
        memcpy(buf, base, len + 1);
        int nmut = 1 + k % 4;
        for (int j = 0; j < nmut; j++) {
            r = r * 1103515245u + 12345u;
            size_t at = (r >> 8) % len;
            r = r * 1103515245u + 12345u;
            static const char alphabet[] = "0123456789 -.e\n#xnodetree";
            buf[at] = (k & 1) ? (char)(r >> 16) : alphabet[(r >> 16) % (sizeof(alphabet) - 1)];
            if (buf[at] == 0) buf[at] = ' ';
        }
        if (k % 7 == 0) buf[(r >> 4) % len] = 0; /* cut short */
        err[0] = 0;
        m = st_detect_model_parse(buf, err, sizeof(err));
        if (m) {
            parsed++;
            double prob[ST_DETECT_NCLASS];
            st_detect_model_classify(m, &p, &s, &conf, prob);
            int finite = 1;
            for (int c = 0; c < ST_DETECT_NCLASS; c++) finite &= isfinite(prob[c]);
            if (!finite) CHECK(finite);
            st_detect_model_free(m);
        } else {
            refused++;
            if (strncmp(err, "line ", 5)) CHECK(!"refusal without a line number");
        }
    }
    CHECK(parsed > 0 && refused > 0); /* both outcomes were exercised */
    /* finite weights whose sum overflows still give finite probabilities */
    char *big = model_text(2, 3, 1e300, 1e300, 0.0, 1e-300, 0.5);
    m = st_detect_model_parse(big, err, sizeof(err));
    CHECK(m != NULL);
    if (m) {
        double prob[ST_DETECT_NCLASS];
        s.feat[3] = 1.0;
        CHECK_EQ_INT(st_detect_model_classify(m, &p, &s, &conf, prob), ST_EV_SCREAM);
        for (int c = 0; c < ST_DETECT_NCLASS; c++) CHECK(isfinite(prob[c]));
        st_detect_model_free(m);
    }
    free(big);
    /* Node numbers too large for an int are refused, not converted (found by
     * fuzz/fuzz_model.c: a feature index of 6.7e68 was undefined behaviour). */
    static const char *const huge[] = {
        "tree bang 3\nnode 6.7e68 0.5 1 2 0\nnode -1 0 0 0 0.7\nnode -1 0 0 0 -0.2\n",
        "tree bang 3\nnode 1 0.5 1e300 2 0\nnode -1 0 0 0 0.7\nnode -1 0 0 0 -0.2\n",
        "tree bang 3\nnode 1 0.5 1 -1e300 0\nnode -1 0 0 0 0.7\nnode -1 0 0 0 -0.2\n",
        "tree bang 3\nnode 1.5 0.5 1 2 0\nnode -1 0 0 0 0.7\nnode -1 0 0 0 -0.2\n",
    };
    for (size_t k = 0; k < sizeof(huge) / sizeof(huge[0]); k++) {
        size_t hl = strlen(huge[k]);
        char *h = malloc(strlen(text) + hl + 1);
        memcpy(h, text, strlen(text));
        memcpy(h + strlen(text), huge[k], hl + 1);
        err[0] = 0;
        m = st_detect_model_parse(h, err, sizeof(err));
        CHECK(m == NULL);
        CHECK(strstr(err, "node") != NULL);
        st_detect_model_free(m);
        free(h);
    }
    /* Leaves ignore their child fields, whatever their size. */
    const char *leafy =
        "tree bang 3\nnode 1 0.5 1 2 0\nnode -1 0 1e300 -1e300 0.7\nnode -1 0 0 0 -0.2\n";
    char *h = malloc(strlen(text) + strlen(leafy) + 1);
    memcpy(h, text, strlen(text));
    memcpy(h + strlen(text), leafy, strlen(leafy) + 1);
    m = st_detect_model_parse(h, err, sizeof(err));
    CHECK(m != NULL);
    st_detect_model_free(m);
    free(h);
    free(buf);
    free(base);
    free(text);
}

int main(void)
{
    RUN(test_model_classify);
    RUN(test_model_mutations);
    RUN(test_model_parse_errors);
    RUN(test_model_in_detector);
    RUN(test_dynamics_features);
    RUN(test_rules);
    RUN(test_params);
    RUN(test_segments_and_merge);
    RUN(test_flush_and_crowd);
    return TEST_END("audio/detect");
}
