/* Raucous-event detection (shout, scream, glass, bang) and crowd babble from frame features. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/audio_detect.h"

#define MAXF 512 /* frames stored per segment (~16 s at 32 ms) */

/* Frame quantities summarised per segment (mean, spread, maximum). */
enum {
    FQ_CENTROID, /* log2(centroid / 1 kHz) */
    FQ_FLATNESS, /* log10 flatness */
    FQ_FLUX,
    FQ_ROLLOFF, /* log2(roll-off / 1 kHz) */
    FQ_HF,      /* hf_ratio_db */
    FQ_HARM,
    FQ_VOICING, /* 0 for unvoiced frames */
    FQ_PROM,    /* level above the background, dB */
    FQ_ONSET,
    FQ_CEP, /* mel cepstrum c1..c12 */
    FQ_N = FQ_CEP + ST_FEAT_NCEP
};

/* The parameter table drives defaults, parsing, ranges and listing. */
typedef struct param_def {
    const char *name;
    size_t off;
    double def, min, max;
} param_def;

#define P(field, d, lo, hi)                                                                        \
    {                                                                                              \
#field, offsetof(st_detect_params, field), d, lo, hi                                       \
    }
static const param_def params[] = {
    P(bg_up_s, 10.0, 0.5, 600.0),         P(bg_down_s, 0.5, 0.05, 60.0),
    P(active_db, 6.0, 1.0, 40.0),         P(gap_s, 0.25, 0.03, 5.0),
    P(min_event_s, 0.1, 0.0, 5.0),        P(max_event_s, 5.0, 0.5, 60.0),
    P(merge_s, 1.5, 0.0, 30.0),           P(impulse_onset_db, 12.0, 3.0, 60.0),
    P(impulse_decay_db, 6.0, 0.0, 60.0),  P(impulse_min_prom_db, 12.0, 0.0, 80.0),
    P(impulse_max_voiced, 0.3, 0.0, 1.0), P(bang_min_flatness, 0.0, 0.0, 1.0),
    P(glass_hf_db, 3.0, -30.0, 30.0),     P(glass_centroid_hz, 2000.0, 200.0, 8000.0),
    P(voice_thr, 0.75, 0.0, 1.0),         P(min_voiced_frac, 0.2, 0.0, 1.0),
    P(min_voiced_run_s, 0.1, 0.0, 5.0),   P(scream_f0_hz, 400.0, 100.0, 1100.0),
    P(scream_run_s, 0.3, 0.0, 5.0),       P(shout_f0_hz, 250.0, 60.0, 1100.0),
    P(shout_hf_db, -5.0, -40.0, 40.0),    P(max_pitch_stability, 0.9, 0.0, 1.0),
    P(min_confidence, 0.5, 0.0, 1.0),     P(onset_within_db, 10.0, 1.0, 80.0),
};
#undef P
#define NPARAMS (sizeof(params) / sizeof(params[0]))

static double *field(st_detect_params *p, size_t i)
{
    return (double *)((char *)p + params[i].off);
}

void st_detect_params_default(st_detect_params *p)
{
    for (size_t i = 0; i < NPARAMS; i++) *field(p, i) = params[i].def;
}

int st_detect_params_set(st_detect_params *p, const char *key, const char *value)
{
    for (size_t i = 0; i < NPARAMS; i++) {
        if (strcmp(key, params[i].name)) continue;
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (errno || end == value || *end || v != v) return -EINVAL;
        if (v < params[i].min || v > params[i].max) return -ERANGE;
        *field(p, i) = v;
        return 0;
    }
    return -EINVAL;
}

const char *st_detect_params_name(size_t i, const st_detect_params *p, double *value)
{
    if (i >= NPARAMS) return NULL;
    if (value) *value = *(const double *)((const char *)p + params[i].off);
    return params[i].name;
}

struct st_detect {
    st_detect_params p;
    double T;            /* frame period */
    double a_up, a_down; /* background smoothing factors per frame */
    double bg;
    int have_bg, have_oct_bg;
    /* open segment */
    int open;
    double seg_start, last_active;
    size_t nf; /* frames in the segment (active or in gaps) */
    size_t nactive, nvoiced, run, maxrun, nsteady, npairs;
    double prev_f0;
    double attack, peak_prom;
    double w_sum, hf_sum, cen_sum, flat_sum;
    /* power-weighted statistics of the frame quantities (FQ_*) over active frames */
    double q_w, q_s[FQ_N], q_ss[FQ_N], q_max[FQ_N];
    double lf0_s, lf0_ss, lf0_min, lf0_max; /* log2 F0 over voiced frames */
    double oct_s[ST_FEAT_NOCT];             /* power-weighted octave envelope */
    double oct_bg[ST_FEAT_NOCT];            /* background level per octave, dB */
    double oct_p[ST_FEAT_NOCT];             /* power-weighted octave prominence */
    /* dynamics (features 42-47) */
    size_t nruns;                    /* voiced runs */
    double jit_s;                    /* sum of |F0 step| over voiced pairs, semitones */
    double vt_s, vt_ss, vty_s;       /* sums of t, t^2, t log2 F0 over voiced frames (t: index) */
    double cw_t, cw_tt, cw_c, cw_tc; /* the same power-weighted, with log2 centroid */
    double bg_open;                  /* background level when the segment opened */
    const st_detect_model *model;    /* borrowed, NULL for the rules */
    float lev[MAXF];
    float f0[MAXF];
    size_t nf0;
    /* crowd */
    size_t crowd_frames, crowd_hits;
    /* events: one pending (may still merge) and a short output queue */
    int have_pending;
    st_audio_event pending;
    st_audio_event out[4];
    size_t nout;
};

st_detect *st_detect_new(const st_detect_params *p, double frame_s)
{
    return st_detect_new_with_model(p, frame_s, NULL);
}

st_detect *st_detect_new_with_model(const st_detect_params *p, double frame_s,
                                    const st_detect_model *model)
{
    st_detect *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    if (!p || !(frame_s > 0.001 && frame_s < 1.0)) {
        errno = EINVAL;
        goto fail;
    }
    d->p = *p;
    d->model = model;
    d->T = frame_s;
    d->a_up = 1.0 - exp(-frame_s / p->bg_up_s);
    d->a_down = 1.0 - exp(-frame_s / p->bg_down_s);
    return d;
fail:
    st_detect_free(d);
    return NULL;
}

void st_detect_free(st_detect *d)
{
    free(d);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double clamp01(double x)
{
    return x < 0 ? 0 : (x > 1 ? 1 : x);
}

/* Margin score: 0.5 at the threshold, rising towards 1 one `scale` beyond it. */
static double margin(double v, double thr, double scale)
{
    return clamp01(0.5 + 0.5 * (v - thr) / scale);
}

st_event_kind st_detect_classify(const st_detect_params *p, const st_detect_segment *s,
                                 double *conf)
{
    *conf = 0.0;
    /* sustained sound (music, traffic, crowds) or a blip of one or two frames */
    if (s->duration > p->max_event_s || s->duration < p->min_event_s) return ST_EV_NONE;
    /* Impulsive sound: a sharp attack well above the background followed by a
     * decay, mostly unvoiced. */
    if (s->attack_db >= p->impulse_onset_db && s->decay_db >= p->impulse_decay_db &&
        s->peak_prominence_db >= p->impulse_min_prom_db &&
        s->voiced_frac <= p->impulse_max_voiced) {
        double c_imp = 0.5 * (margin(s->attack_db, p->impulse_onset_db, 15.0) +
                              margin(s->decay_db, p->impulse_decay_db, 10.0));
        if (s->hf_ratio_db >= p->glass_hf_db && s->centroid_hz >= p->glass_centroid_hz) {
            *conf = 0.5 * c_imp + 0.25 * margin(s->hf_ratio_db, p->glass_hf_db, 10.0) +
                    0.25 * margin(s->centroid_hz, p->glass_centroid_hz, 2000.0);
            return ST_EV_GLASS;
        }
        /* a shock wave is broadband noise; struck strings, drums with a pitched
         * body and other musical attacks are tonal (low flatness) */
        if (s->flatness >= p->bang_min_flatness) {
            *conf = c_imp;
            return ST_EV_BANG;
        }
        return ST_EV_NONE;
    }
    /* Raised voice: voiced for a good share of the segment, in runs longer than
     * syllables (laughter is broken into short bursts), with a pitch that moves
     * (horns, sirens and instruments hold theirs). */
    if (s->voiced_frac >= p->min_voiced_frac && s->voiced_run_s >= p->min_voiced_run_s &&
        s->pitch_stability <= p->max_pitch_stability) {
        double c_voice = 0.5 * (margin(s->voiced_frac, p->min_voiced_frac, 0.3) +
                                margin(s->voiced_run_s, p->min_voiced_run_s, 0.3));
        /* scream: a high, sustained vowel; shouted words break into shorter runs */
        if (s->median_f0 >= p->scream_f0_hz && s->voiced_run_s >= p->scream_run_s) {
            *conf = 0.5 * c_voice + 0.5 * margin(s->median_f0, p->scream_f0_hz, 200.0);
            return ST_EV_SCREAM;
        }
        if (s->median_f0 >= p->shout_f0_hz && s->hf_ratio_db >= p->shout_hf_db) {
            *conf = 0.5 * c_voice + 0.25 * margin(s->median_f0, p->shout_f0_hz, 100.0) +
                    0.25 * margin(s->hf_ratio_db, p->shout_hf_db, 6.0);
            return ST_EV_SHOUT;
        }
    }
    return ST_EV_NONE;
}

static void emit(st_detect *d, const st_audio_event *e)
{
    if (d->nout < sizeof(d->out) / sizeof(d->out[0])) d->out[d->nout++] = *e;
}

/* A new classified event: merge into the pending one when it is of the same
 * kind and close enough (a burst of shots, a scream in several breaths). */
static void offer(st_detect *d, const st_audio_event *e)
{
    if (d->have_pending && d->pending.kind == e->kind &&
        e->start - d->pending.end <= d->p.merge_s) {
        if (e->end > d->pending.end) d->pending.end = e->end;
        if (e->confidence > d->pending.confidence) d->pending.confidence = e->confidence;
        return;
    }
    if (d->have_pending) emit(d, &d->pending);
    d->pending = *e;
    d->have_pending = 1;
}

/* Least-squares slope of y over the frame index t, from the (weighted) sums
 * w, sum t, sum t^2, sum y, sum t y, times k and per second (frame period T);
 * 0 when the frames span less than two indices' worth of variance. */
static double trend(double w, double st, double stt, double sy, double sty, double k, double T)
{
    if (!(w > 0)) return 0.0;
    double mt = st / w, var = stt / w - mt * mt, cov = sty / w - mt * (sy / w);
    return var > 0.25 ? k * cov / var / T : 0.0;
}

/* The classifier's feature vector: statistics over the segment's frames (see
 * the names table and docs/audio.md). Everything is finite for any input. */
static void segment_features(const st_detect *d, st_detect_segment *s)
{
    double *x = s->feat, mean[FQ_N], sd[FQ_N];
    for (int j = 0; j < FQ_N; j++) {
        mean[j] = d->q_w > 0 ? d->q_s[j] / d->q_w : 0.0;
        double var = d->q_w > 0 ? d->q_ss[j] / d->q_w - mean[j] * mean[j] : 0.0;
        sd[j] = var > 0 ? sqrt(var) : 0.0;
    }
    size_t nv = d->nvoiced;
    double lf0 = nv ? d->lf0_s / (double)nv : 0.0;
    double lvar = nv ? d->lf0_ss / (double)nv - lf0 * lf0 : 0.0;
    x[0] = log10(s->duration > 0.01 ? s->duration : 0.01);
    x[1] = s->peak_prominence_db;
    x[2] = s->attack_db > -20.0 ? s->attack_db : -20.0;
    x[3] = s->decay_db;
    x[4] = s->voiced_frac;
    x[5] = s->voiced_run_s;
    x[6] = s->median_f0 > 0 ? log2(s->median_f0 / 100.0) : 0.0;
    x[7] = lvar > 0 ? 12.0 * sqrt(lvar) : 0.0;          /* F0 spread, semitones */
    x[8] = nv ? 12.0 * (d->lf0_max - d->lf0_min) : 0.0; /* F0 range, semitones */
    x[9] = s->pitch_stability;
    x[10] = mean[FQ_HF], x[11] = sd[FQ_HF], x[12] = d->q_max[FQ_HF];
    x[13] = mean[FQ_CENTROID], x[14] = sd[FQ_CENTROID], x[15] = d->q_max[FQ_CENTROID];
    x[16] = mean[FQ_FLATNESS], x[17] = d->q_max[FQ_FLATNESS];
    x[18] = mean[FQ_FLUX], x[19] = d->q_max[FQ_FLUX];
    x[20] = mean[FQ_ROLLOFF], x[21] = sd[FQ_ROLLOFF];
    x[22] = mean[FQ_HARM], x[23] = d->q_max[FQ_HARM];
    x[24] = mean[FQ_VOICING];
    x[25] = sd[FQ_PROM];
    x[26] = d->q_max[FQ_ONSET] > -20.0 ? d->q_max[FQ_ONSET] : -20.0;
    x[27] = d->nf ? (double)d->nactive / (double)d->nf : 0.0;
    for (int o = 0; o < ST_FEAT_NOCT; o++) {
        x[28 + o] = d->q_w > 0 ? d->oct_s[o] / d->q_w : -60.0;
        x[35 + o] = d->q_w > 0 ? d->oct_p[o] / d->q_w : 0.0;
    }
    /* dynamics: syllable-like structure (laughter is a train of short voiced
     * bursts; a scream one held vowel), pitch movement, spectral trend */
    double dur = s->duration > 0.1 ? s->duration : 0.1;
    x[42] = (double)d->nruns / dur;
    x[43] = (double)s->n_peaks / dur;
    x[44] = trend(nv, d->vt_s, d->vt_ss, d->lf0_s, d->vty_s, 12.0, d->T); /* semitones/s */
    x[45] = d->npairs ? d->jit_s / (double)d->npairs : 0.0;
    x[46] = s->rise_s;
    x[47] = trend(d->q_w, d->cw_t, d->cw_tt, d->cw_c, d->cw_tc, 1.0, d->T); /* octaves/s */
    for (int i = 0; i < ST_FEAT_NCEP; i++) {
        x[48 + i] = mean[FQ_CEP + i];
        x[48 + ST_FEAT_NCEP + i] = sd[FQ_CEP + i];
    }
}

/* Feature names, four a row (docs/audio.md has their meaning). */
/* clang-format off */
static const char *const feat_names[] = {
    "log_duration",        "peak_prominence_db",  "attack_db",           "decay_db",
    "voiced_frac",         "voiced_run_s",        "f0_log2_100hz",       "f0_spread_st",
    "f0_range_st",         "pitch_stability",     "hf_mean_db",          "hf_sd_db",
    "hf_max_db",           "centroid_mean",       "centroid_sd",         "centroid_max",
    "flatness_mean",       "flatness_max",        "flux_mean",           "flux_max",
    "rolloff_mean",        "rolloff_sd",          "harm_mean",           "harm_max",
    "voicing_mean",        "level_sd_db",         "onset_max_db",        "active_frac",
    "oct_62_db",           "oct_125_db",          "oct_250_db",          "oct_500_db",
    "oct_1k_db",           "oct_2k_db",           "oct_4k_db",           "oct_62_prom_db",
    "oct_125_prom_db",     "oct_250_prom_db",     "oct_500_prom_db",     "oct_1k_prom_db",
    "oct_2k_prom_db",      "oct_4k_prom_db",      "voiced_runs_per_s",   "level_peaks_per_s",
    "f0_slope_st_s",       "f0_jitter_st",        "rise_s",              "centroid_slope_oct_s",
    "cep1_mean",           "cep2_mean",           "cep3_mean",           "cep4_mean",
    "cep5_mean",           "cep6_mean",           "cep7_mean",           "cep8_mean",
    "cep9_mean",           "cep10_mean",          "cep11_mean",          "cep12_mean",
    "cep1_sd",             "cep2_sd",             "cep3_sd",             "cep4_sd",
    "cep5_sd",             "cep6_sd",             "cep7_sd",             "cep8_sd",
    "cep9_sd",             "cep10_sd",            "cep11_sd",            "cep12_sd",
};
/* clang-format on */
_Static_assert(sizeof(feat_names) / sizeof(feat_names[0]) == ST_DETECT_NFEAT,
               "one name per feature");

const char *st_detect_feature_name(size_t i)
{
    return i < ST_DETECT_NFEAT ? feat_names[i] : NULL;
}

/* Level peaks of frames lev[first..n): a peak is a rise of PEAK_DB over the
 * lowest level since the previous peak (starting from the background), and
 * it ends when the level falls PEAK_DB below its top (hysteresis, so the
 * ripple of one sustained sound is one peak). */
#define PEAK_DB 6.0f
static size_t count_peaks(const float *lev, size_t first, size_t n, double bg)
{
    size_t peaks = 0;
    int in_peak = 0;
    float lo = (float)bg, hi = 0.0f;
    for (size_t i = first; i < n; i++) {
        float l = lev[i];
        if (in_peak) {
            if (l > hi) hi = l;
            if (l <= hi - PEAK_DB) in_peak = 0, lo = l;
        } else {
            if (l < lo) lo = l;
            if (l >= lo + PEAK_DB) in_peak = 1, hi = l, peaks++;
        }
    }
    return peaks;
}

static void close_segment(st_detect *d, st_detect_segment *seg, int *closed)
{
    st_detect_segment s;
    memset(&s, 0, sizeof(s));
    /* The onset is the first frame within onset_within_db of the segment's
     * peak: a quieter bed transient just before a loud event (closer than
     * gap_s) must not move the event's start. */
    size_t nl0 = d->nf < MAXF ? d->nf : MAXF, first = 0;
    float lpk = -1e30f;
    for (size_t i = 0; i < nl0; i++)
        if (d->lev[i] > lpk) lpk = d->lev[i];
    while (first + 1 < nl0 && d->lev[first] < lpk - (float)d->p.onset_within_db) first++;
    s.start = d->seg_start + (double)first * d->T;
    s.end = d->last_active;
    s.duration = s.end - s.start;
    s.peak_prominence_db = d->peak_prom;
    s.attack_db = d->attack;
    /* decay: peak frame level against the mean of the frames 0.1-0.6 s later
     * (explosions ring for several hundred ms; gunshots stop within 0.1 s) */
    size_t nl = d->nf < MAXF ? d->nf : MAXF, ipk = 0;
    for (size_t i = 1; i < nl; i++)
        if (d->lev[i] > d->lev[ipk]) ipk = i;
    size_t a = ipk + (size_t)(0.1 / d->T + 0.5), b = ipk + (size_t)(0.6 / d->T + 0.5);
    double sum = 0.0;
    size_t cnt = 0;
    for (size_t i = a; i <= b; i++) {
        /* frames past the segment end count as background: the sound has stopped */
        sum += i < nl ? d->lev[i] : d->bg;
        cnt++;
    }
    s.decay_db = nl ? d->lev[ipk] - sum / (double)cnt : 0.0;
    s.rise_s = ipk > first ? (double)(ipk - first) * d->T : 0.0;
    s.n_peaks = count_peaks(d->lev, first, nl, d->bg_open);
    s.voiced_frac = d->nactive ? (double)d->nvoiced / (double)d->nactive : 0.0;
    s.voiced_run_s = (double)d->maxrun * d->T;
    if (d->nf0) {
        qsort(d->f0, d->nf0, sizeof(float), cmp_float);
        s.median_f0 = d->f0[d->nf0 / 2];
    }
    s.pitch_stability = d->npairs ? (double)d->nsteady / (double)d->npairs : 0.0;
    if (d->w_sum > 0) {
        s.hf_ratio_db = d->hf_sum / d->w_sum;
        s.centroid_hz = d->cen_sum / d->w_sum;
        s.flatness = d->flat_sum / d->w_sum;
    }
    segment_features(d, &s);
    d->open = 0;
    if (seg) *seg = s;
    if (closed) *closed = 1;
    double conf;
    st_event_kind k = d->model ? st_detect_model_classify(d->model, &d->p, &s, &conf, NULL)
                               : st_detect_classify(&d->p, &s, &conf);
    if (k == ST_EV_NONE || conf < d->p.min_confidence) return;
    st_audio_event e = {k, s.start, s.end, conf};
    offer(d, &e);
}

void st_detect_push(st_detect *d, const st_frame_features *f, double t, st_detect_segment *seg,
                    int *closed)
{
    if (closed) *closed = 0;
    double L = f->level_db;
    if (!d->have_bg) d->bg = L, d->have_bg = 1;
    double prom = L - d->bg;
    int active = prom >= d->p.active_db;
    int voiced = f->f0_hz > 0 && f->voicing >= d->p.voice_thr;

    /* Crowd babble: speech-band, noise-like but partly periodic frames (many
     * overlapping voices), not one clear voice; counted whether or not active. */
    d->crowd_frames++;
    if (prom >= 3.0 && !voiced && f->centroid_hz >= 250 && f->centroid_hz <= 2500 &&
        f->harmonicity >= 0.3 && f->flatness >= 0.02 && f->flatness <= 0.3)
        d->crowd_hits++;

    if (d->open && !active && t - d->last_active > d->p.gap_s) close_segment(d, seg, closed);
    /* release the pending event once nothing can merge into it any more */
    if (d->have_pending && !d->open && t - d->pending.end > d->p.merge_s) {
        emit(d, &d->pending);
        d->have_pending = 0;
    }
    if (active) {
        if (!d->open) {
            d->open = 1;
            d->seg_start = t - d->T;
            d->nf = d->nactive = d->nvoiced = d->run = d->maxrun = d->nsteady = d->npairs = 0;
            d->nf0 = 0;
            d->prev_f0 = 0;
            d->attack = -100.0;
            d->peak_prom = 0;
            d->w_sum = d->hf_sum = d->cen_sum = d->flat_sum = 0;
            d->q_w = 0;
            for (int j = 0; j < FQ_N; j++) d->q_s[j] = d->q_ss[j] = 0, d->q_max[j] = -1e300;
            d->lf0_s = d->lf0_ss = 0, d->lf0_min = 1e300, d->lf0_max = -1e300;
            for (int o = 0; o < ST_FEAT_NOCT; o++) d->oct_s[o] = d->oct_p[o] = 0;
            d->nruns = 0;
            d->jit_s = d->vt_s = d->vt_ss = d->vty_s = 0;
            d->cw_t = d->cw_tt = d->cw_c = d->cw_tc = 0;
            d->bg_open = d->bg;
        }
        d->last_active = t;
        d->nactive++;
        if (d->nactive <= 3 && f->onset_db > d->attack) d->attack = f->onset_db;
        if (prom > d->peak_prom) d->peak_prom = prom;
        double w = pow(10.0, 0.1 * prom); /* power weighting of spectral shape */
        d->w_sum += w;
        d->hf_sum += w * f->hf_ratio_db;
        d->cen_sum += w * f->centroid_hz;
        d->flat_sum += w * f->flatness;
        double q[FQ_N];
        q[FQ_CENTROID] = log2((f->centroid_hz > 1.0 ? f->centroid_hz : 1.0) / 1000.0);
        q[FQ_FLATNESS] = log10(f->flatness + 1e-6);
        q[FQ_FLUX] = f->flux;
        q[FQ_ROLLOFF] = log2((f->rolloff_hz > 1.0 ? f->rolloff_hz : 1.0) / 1000.0);
        q[FQ_HF] = f->hf_ratio_db;
        q[FQ_HARM] = f->harmonicity;
        q[FQ_VOICING] = voiced ? f->voicing : 0.0;
        q[FQ_PROM] = prom;
        q[FQ_ONSET] = f->onset_db;
        for (int i = 0; i < ST_FEAT_NCEP; i++) q[FQ_CEP + i] = f->cep[i];
        d->q_w += w;
        double ti = (double)d->nf; /* frame index in the segment */
        d->cw_t += w * ti, d->cw_tt += w * ti * ti;
        d->cw_c += w * q[FQ_CENTROID], d->cw_tc += w * ti * q[FQ_CENTROID];
        for (int o = 0; o < ST_FEAT_NOCT; o++) {
            d->oct_s[o] += w * f->oct_db[o];
            d->oct_p[o] += w * (L + f->oct_db[o] - d->oct_bg[o]);
        }
        for (int j = 0; j < FQ_N; j++) {
            d->q_s[j] += w * q[j];
            d->q_ss[j] += w * q[j] * q[j];
            if (q[j] > d->q_max[j]) d->q_max[j] = q[j];
        }
        if (voiced) {
            double l2 = log2(f->f0_hz);
            d->lf0_s += l2, d->lf0_ss += l2 * l2;
            if (l2 < d->lf0_min) d->lf0_min = l2;
            if (l2 > d->lf0_max) d->lf0_max = l2;
            d->vt_s += ti, d->vt_ss += ti * ti, d->vty_s += ti * l2;
            d->nvoiced++;
            if (!d->run) d->nruns++;
            d->run++;
            if (d->run > d->maxrun) d->maxrun = d->run;
            if (d->nf0 < MAXF) d->f0[d->nf0++] = (float)f->f0_hz;
            if (d->prev_f0 > 0) {
                d->npairs++;
                /* steady: within 0.5 % (under 9 cents) of the previous frame */
                if (fabs(log(f->f0_hz / d->prev_f0)) < 0.005) d->nsteady++;
                d->jit_s += 12.0 * fabs(log2(f->f0_hz / d->prev_f0));
            }
            d->prev_f0 = f->f0_hz;
        } else {
            d->run = 0;
            d->prev_f0 = 0;
        }
    } else if (d->open) {
        d->run = 0;
        d->prev_f0 = 0;
    }
    if (d->open) {
        if (d->nf < MAXF) d->lev[d->nf] = (float)L;
        d->nf++;
    }
    /* Background: follows falls quickly and rises slowly, so it sits near the
     * quieter moments of the bed (a simple minimum-statistics tracker). */
    d->bg += (L - d->bg) * (L < d->bg ? d->a_down : d->a_up);
    /* the same tracker per octave (level of the octave = frame level plus
     * its share of the spectrum): the event's prominence per octave */
    for (int o = 0; o < ST_FEAT_NOCT; o++) {
        double lo = L + f->oct_db[o];
        if (!d->have_oct_bg) d->oct_bg[o] = lo;
        d->oct_bg[o] += (lo - d->oct_bg[o]) * (lo < d->oct_bg[o] ? d->a_down : d->a_up);
    }
    d->have_oct_bg = 1;
}

void st_detect_flush(st_detect *d, st_detect_segment *seg, int *closed)
{
    if (closed) *closed = 0;
    if (d->open) close_segment(d, seg, closed);
    if (d->have_pending) emit(d, &d->pending);
    d->have_pending = 0;
}

int st_detect_next_event(st_detect *d, st_audio_event *ev)
{
    if (!d->nout) return 0;
    *ev = d->out[0];
    memmove(d->out, d->out + 1, (d->nout - 1) * sizeof(d->out[0]));
    d->nout--;
    return 1;
}

double st_detect_take_crowd(st_detect *d)
{
    double c = d->crowd_frames ? (double)d->crowd_hits / (double)d->crowd_frames : 0.0;
    d->crowd_frames = d->crowd_hits = 0;
    return c;
}

/* ---- trained classifier ---- */

static const char *const class_names[ST_DETECT_NCLASS] = {"none", "shout", "scream", "glass",
                                                          "bang"};
static const st_event_kind class_kinds[ST_DETECT_NCLASS] = {ST_EV_NONE, ST_EV_SHOUT, ST_EV_SCREAM,
                                                            ST_EV_GLASS, ST_EV_BANG};

#define MAX_TREES 4000
#define MAX_NODES 255 /* per tree */

/* A regression tree node on the standardised features: a leaf when feat < 0,
 * else go to left when x[feat] <= thr, otherwise to right (indices into the
 * same tree, always after this node, so evaluation terminates). */
typedef struct tnode {
    int feat, left, right;
    double thr, value;
} tnode;

struct st_detect_model {
    double mean[ST_DETECT_NFEAT], scale[ST_DETECT_NFEAT]; /* standardisation */
    double bias[ST_DETECT_NCLASS], w[ST_DETECT_NCLASS][ST_DETECT_NFEAT];
    double thr[ST_DETECT_NCLASS]; /* probability thresholds (event classes) */
    /* optional boosted trees added to the class logits */
    size_t ntrees, nnodes, capnodes;
    size_t tree_start[MAX_TREES + 1];
    int tree_class[MAX_TREES];
    tnode *nodes;
};

void st_detect_model_free(st_detect_model *m)
{
    if (!m) return;
    free(m->nodes);
    free(m);
}

/* Add one node line to the tree being read; NULL or the reason it is bad. */
static const char *add_node(st_detect_model *m, const double *v, size_t want)
{
    size_t t = m->ntrees - 1, idx = m->nnodes - m->tree_start[t];
    if (idx >= want) return "more node lines than the tree declared";
    /* Range-check the doubles before any conversion to int (a huge value
     * would not fit: found by fuzz/fuzz_model.c). */
    if (!(v[0] >= -1 && v[0] < ST_DETECT_NFEAT) || v[0] != floor(v[0]))
        return "node feature must be -1 (leaf) or a feature index";
    int feat = (int)v[0], left = 0, right = 0;
    if (feat >= 0) {
        if (!(v[2] > (double)idx && v[2] < (double)want && v[2] == floor(v[2])) ||
            !(v[3] > (double)idx && v[3] < (double)want && v[3] == floor(v[3])))
            return "node children must be later nodes of the same tree";
        left = (int)v[2], right = (int)v[3];
    }
    if (m->nnodes == m->capnodes) {
        size_t cap = m->capnodes ? 2 * m->capnodes : 1024;
        tnode *nn = realloc(m->nodes, cap * sizeof(*nn));
        if (!nn) return "out of memory";
        m->nodes = nn, m->capnodes = cap;
    }
    m->nodes[m->nnodes++] = (tnode){feat, left, right, v[1], v[4]};
    return NULL;
}

/* Parse the doubles of a line; returns how many were read, -1 on a bad token. */
static int parse_numbers(const char *p, double *v, int max)
{
    int n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '\n' || *p == '\r') return n;
        if (n == max) return -1;
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x)) return -1;
        v[n++] = x;
        p = end;
    }
}

static int class_index(const char *name, size_t len)
{
    for (int c = 0; c < ST_DETECT_NCLASS; c++)
        if (strlen(class_names[c]) == len && !strncmp(class_names[c], name, len)) return c;
    return -1;
}

st_detect_model *st_detect_model_parse(const char *text, char *err, size_t errcap)
{
    st_detect_model *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    int line = 0, have_magic = 0, nfeat = 0, nw = 0, nthr = 0, seen_w[ST_DETECT_NCLASS] = {0};
    size_t tree_want = 0;
    const char *why = NULL;
    for (int c = 0; c < ST_DETECT_NCLASS; c++) m->thr[c] = 0.5;
    for (const char *p = text; p && *p && !why;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char buf[4096];
        line++;
        if (len >= sizeof(buf)) {
            why = "line too long";
            break;
        }
        memcpy(buf, p, len);
        buf[len] = 0;
        p = eol ? eol + 1 : NULL;
        char *b = buf;
        while (*b == ' ' || *b == '\t') b++;
        if (!*b || *b == '#' || *b == '\r') continue;
        char *sp = b + strcspn(b, " \t");
        size_t klen = (size_t)(sp - b);
        double v[ST_DETECT_NFEAT + 2];
        if (!have_magic) {
            if (strncmp(b, "stratum-audio-model 1", 21) || parse_numbers(b + 21, v, 0) != 0)
                why = "expected 'stratum-audio-model 1' first";
            have_magic = 1;
        } else if (klen == 7 && !strncmp(b, "feature", 7)) {
            char *name = sp + strspn(sp, " \t");
            size_t nlen = strcspn(name, " \t");
            if (nfeat >= ST_DETECT_NFEAT)
                why = "more features than this library computes";
            else if (strlen(feat_names[nfeat]) != nlen || strncmp(name, feat_names[nfeat], nlen))
                why = "feature name does not match this library's feature list";
            else if (parse_numbers(name + nlen, v, 2) != 2 || !(v[1] > 0))
                why = "feature needs a mean and a positive scale";
            else
                m->mean[nfeat] = v[0], m->scale[nfeat] = v[1], nfeat++;
        } else if ((klen == 7 && !strncmp(b, "weights", 7)) ||
                   (klen == 9 && !strncmp(b, "threshold", 9))) {
            char *name = sp + strspn(sp, " \t");
            size_t nlen = strcspn(name, " \t");
            int c = class_index(name, nlen);
            if (c < 0) {
                why = "unknown class (none, shout, scream, glass, bang)";
            } else if (klen == 7) {
                if (seen_w[c] ||
                    parse_numbers(name + nlen, v, ST_DETECT_NFEAT + 1) != ST_DETECT_NFEAT + 1)
                    why = "weights need a bias and one weight per feature, once per class";
                else {
                    m->bias[c] = v[0];
                    memcpy(m->w[c], v + 1, sizeof(m->w[c]));
                    seen_w[c] = 1, nw++;
                }
            } else if (c == 0 || parse_numbers(name + nlen, v, 1) != 1 || !(v[0] > 0) || v[0] > 1) {
                why = "threshold needs an event class and a probability in (0, 1]";
            } else {
                m->thr[c] = v[0], nthr++;
            }
        } else if (klen == 4 && !strncmp(b, "tree", 4)) {
            char *name = sp + strspn(sp, " \t");
            size_t nlen = strcspn(name, " \t");
            int c = class_index(name, nlen);
            if (tree_want && m->nnodes - m->tree_start[m->ntrees - 1] != tree_want)
                why = "previous tree has fewer node lines than declared";
            else if (c < 0 || parse_numbers(name + nlen, v, 1) != 1 || !(v[0] >= 1) ||
                     v[0] > MAX_NODES || v[0] != (int)v[0])
                why = "tree needs a class and a node count (1..255)";
            else if (m->ntrees == MAX_TREES)
                why = "too many trees";
            else {
                m->tree_class[m->ntrees] = c;
                m->tree_start[m->ntrees++] = m->nnodes;
                tree_want = (size_t)v[0];
            }
        } else if (klen == 4 && !strncmp(b, "node", 4)) {
            if (!m->ntrees)
                why = "node before any tree";
            else if (parse_numbers(sp, v, 5) != 5)
                why = "node needs feature threshold left right value";
            else
                why = add_node(m, v, tree_want);
        } else {
            why = "unknown keyword (feature, weights, threshold, tree, node)";
        }
    }
    if (!why && tree_want && m->nnodes - m->tree_start[m->ntrees - 1] != tree_want)
        why = "last tree has fewer node lines than declared";
    m->tree_start[m->ntrees] = m->nnodes;
    if (!why && (!have_magic || nfeat != ST_DETECT_NFEAT || nw != ST_DETECT_NCLASS)) {
        why = "incomplete model: needs every feature and weights for every class";
        line = 0;
    }
    if (why) {
        if (err && errcap) snprintf(err, errcap, "line %d: %s", line, why);
        st_detect_model_free(m);
        errno = EINVAL;
        return NULL;
    }
    (void)nthr;
    return m;
}

st_detect_model *st_detect_model_load(const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    st_detect_model *m = NULL;
    if (!f) {
        if (err && errcap) snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    if (!(text = malloc(cap))) goto done;
    for (;;) {
        size_t got = fread(text + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
        if (n == cap - 1) {
            if (cap >= (1u << 24)) { /* a model is a few kilobytes */
                if (err && errcap) snprintf(err, errcap, "%s: file too large", path);
                errno = EFBIG;
                goto done;
            }
            char *t = realloc(text, cap * 2);
            if (!t) goto done;
            text = t, cap *= 2;
        }
    }
    text[n] = 0;
    if (ferror(f)) {
        if (err && errcap) snprintf(err, errcap, "%s: read error", path);
        errno = EIO;
        goto done;
    }
    char sub[256];
    m = st_detect_model_parse(text, sub, sizeof(sub));
    if (!m && err && errcap) snprintf(err, errcap, "%s: %s", path, sub);
done:
    free(text);
    fclose(f);
    return m;
}

st_event_kind st_detect_model_classify(const st_detect_model *m, const st_detect_params *p,
                                       const st_detect_segment *s, double *conf, double *prob)
{
    int gated = s->duration > p->max_event_s || s->duration < p->min_event_s;
    if (gated && !prob) { /* most segments are blips: skip the trees */
        *conf = 0.0;
        return ST_EV_NONE;
    }
    double z[ST_DETECT_NCLASS], x[ST_DETECT_NFEAT], zmax = -1e300, sum = 0.0;
    for (size_t i = 0; i < ST_DETECT_NFEAT; i++) x[i] = (s->feat[i] - m->mean[i]) / m->scale[i];
    for (int c = 0; c < ST_DETECT_NCLASS; c++) {
        double a = m->bias[c];
        for (size_t i = 0; i < ST_DETECT_NFEAT; i++) a += m->w[c][i] * x[i];
        z[c] = a;
    }
    for (size_t t = 0; t < m->ntrees; t++) {
        const tnode *nd = m->nodes + m->tree_start[t];
        int k = 0;
        while (nd[k].feat >= 0) k = x[nd[k].feat] <= nd[k].thr ? nd[k].left : nd[k].right;
        z[m->tree_class[t]] += nd[k].value;
    }
    for (int c = 0; c < ST_DETECT_NCLASS; c++) {
        /* a file's weights may be finite yet overflow the sum: keep the softmax finite */
        if (!(z[c] >= -700.0)) z[c] = -700.0; /* also NaN */
        if (z[c] > 700.0) z[c] = 700.0;
        if (z[c] > zmax) zmax = z[c];
    }
    for (int c = 0; c < ST_DETECT_NCLASS; c++) sum += (z[c] = exp(z[c] - zmax)); /* softmax */
    int best = 1;
    for (int c = 0; c < ST_DETECT_NCLASS; c++) {
        z[c] /= sum;
        if (prob) prob[c] = z[c];
        if (c > 0 && z[c] > z[best]) best = c;
    }
    *conf = z[best];
    if (gated) return ST_EV_NONE;
    return z[best] >= m->thr[best] ? class_kinds[best] : ST_EV_NONE;
}
