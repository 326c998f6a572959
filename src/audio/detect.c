/* Raucous-event detection (shout, scream, glass, bang) and crowd babble from frame features. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/audio_detect.h"

#define MAXF 512 /* frames stored per segment (~16 s at 32 ms) */

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
    P(min_confidence, 0.5, 0.0, 1.0),
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
    int have_bg;
    /* open segment */
    int open;
    double seg_start, last_active;
    size_t nf; /* frames in the segment (active or in gaps) */
    size_t nactive, nvoiced, run, maxrun, nsteady, npairs;
    double prev_f0;
    double attack, peak_prom;
    double w_sum, hf_sum, cen_sum, flat_sum;
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
    st_detect *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    if (!p || !(frame_s > 0.001 && frame_s < 1.0)) {
        errno = EINVAL;
        goto fail;
    }
    d->p = *p;
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

static void close_segment(st_detect *d, st_detect_segment *seg, int *closed)
{
    st_detect_segment s;
    memset(&s, 0, sizeof(s));
    s.start = d->seg_start;
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
    d->open = 0;
    if (seg) *seg = s;
    if (closed) *closed = 1;
    double conf;
    st_event_kind k = st_detect_classify(&d->p, &s, &conf);
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
        if (voiced) {
            d->nvoiced++;
            d->run++;
            if (d->run > d->maxrun) d->maxrun = d->run;
            if (d->nf0 < MAXF) d->f0[d->nf0++] = (float)f->f0_hz;
            if (d->prev_f0 > 0) {
                d->npairs++;
                /* steady: within 0.5 % (under 9 cents) of the previous frame */
                if (fabs(log(f->f0_hz / d->prev_f0)) < 0.005) d->nsteady++;
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
