/* Evaluation and training of the audio event detector on scenes mixed from a labelled corpus. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratum/audio_analyser.h"
#include "stratum/audio_biquad.h"
#include "stratum/audio_source.h"
#include "stratum/audio_train.h"

#define RATE        16000.0 /* scenes are built at 16 kHz mono, as the corpus README suggests */
#define MAXCLIPS    2048
#define NSNR        4
#define COLLAR      0.5
#define EXTRA_MAX_S 30.0 /* --extra-train clips longer than this keep their middle 30 s */

static const double snrs[NSNR] = {0, 6, 12, 20};
static const char *pos_classes[] = {"shout", "scream", "glass", "bang"};
static const st_event_kind pos_kinds[] = {ST_EV_SHOUT, ST_EV_SCREAM, ST_EV_GLASS, ST_EV_BANG};
static const char *neg_classes[] = {"speech", "laughter_cheer", "music", "traffic_horn_siren"};
#define NPOS 4
#define NNEG 4

typedef struct clip {
    char file[256], cls[32], group[256];
    float *x;          /* mono at RATE */
    size_t n, on, off; /* samples; active span [on, off) */
    double rms_db;     /* over the active span */
    int split;         /* 0 dev, 1 test */
    int fold;          /* cross-validation fold of its source group */
} clip;

/* One candidate segment of a training scene: its features, its label (class
 * index 0 none .. 4 bang) and which folds / splits the scene's clips belong
 * to, so that a model for fold k is trained only on scenes without fold k. */
typedef struct sample {
    double x[ST_DETECT_NFEAT];
    int label;
    unsigned folds, splits;
    int clip_a, clip_b; /* the scene's clips (index into eval.clips; clip_b -1 if none) */
} sample;

#define MAXFOLDS 16
/* The fold and split bit of every --extra-train clip: no fold or split is
 * ever excluded by it, so every model trains on the extra clips' scenes, and
 * a report of all samples (~0u) includes them. */
#define EXTRA_BIT (1u << 31)
#define NCLS      ST_DETECT_NCLASS

/* Detection counts of one evaluation: per positive class and SNR, false
 * alarms and scene time per negative class and SNR, and the same false alarms
 * by the class detected (fa_by: a class's share of the false alarms). */
typedef struct score {
    long tp[NPOS][NSNR], fp[NPOS][NSNR], fn[NPOS][NSNR];
    long fa[NNEG][NSNR], fa_by[NPOS][NSNR];
    double neg_s[NNEG][NSNR];
} score;

typedef struct eval {
    clip clips[MAXCLIPS];
    size_t nclips;
    size_t nscored; /* clips of --corpus, first in clips; the rest are --extra-train's
                       (training only, never scored; see is_extra) */
    uint64_t rng;
    int split; /* -1 all, 0 dev, 1 test */
    int fold;  /* -1 all, else evaluate only clips of this fold */
    int nfolds;
    int by_clip;    /* --group-by clip: folds and splits by clip, not source group */
    int extra_only; /* --extra-only: train on scenes of --extra-train clips only */
    int neg_reps;   /* negative scenes per negative clip and SNR */
    int dump;
    /* training data */
    sample *samples;
    size_t nsamples, capsamples;
    int collecting; /* the segment observer records training samples */
    unsigned cur_folds, cur_splits;
    int cur_ca, cur_cb; /* clip indices of the current scene */
    int cur_class;      /* class index of the scene's positive, 0 if none */
    int cur_hit;        /* a candidate segment starts within the collar of the positive */
    long cand_hit[NPOS][8], cand_all[NPOS][8]; /* training scenes: candidate coverage */
    double thr[NPOS];   /* probability thresholds written into trained models, per event class */
    int train_reps;     /* training scenes per clip and SNR (each with its own bed and onset) */
    int augment;        /* training clips: bit 1 band-limit and reverberate (augment), bit 2
                           vari-speed (scene_clip) */
    st_train_opts topt; /* how models are fitted (--trees, --depth, ..., --without) */
    st_analyser_config cfg;
    score sc; /* scoring */
    const char *cur_label;
    double cur_on, cur_off;
} eval;

static uint64_t rnd(eval *e)
{
    /* xorshift64*: a fixed, portable sequence for a given seed */
    e->rng ^= e->rng >> 12, e->rng ^= e->rng << 25, e->rng ^= e->rng >> 27;
    return e->rng * 2685821657736338717ull;
}

static double urand(eval *e)
{
    return (double)(rnd(e) >> 11) / 9007199254740992.0;
}

/* Windowed-sinc (Blackman) resampler for the offline scene builder. */
static float *resample(const float *x, size_t n, double fin, double fout, size_t *nout)
{
    double ratio = fout / fin, fc = 0.45 * (ratio < 1 ? ratio : 1.0); /* cycles/input sample */
    int half = (int)ceil(8.0 / fc / 2.0) * 2;
    size_t m = (size_t)floor((double)n * ratio);
    float *y = calloc(m ? m : 1, sizeof(float));
    if (!y) return NULL;
    for (size_t i = 0; i < m; i++) {
        double t = (double)i / ratio, acc = 0;
        long c = (long)floor(t);
        for (long k = c - half + 1; k <= c + half; k++) {
            if (k < 0 || k >= (long)n) continue;
            double u = t - (double)k, s = u == 0 ? 2 * fc : sin(2 * M_PI * fc * u) / (M_PI * u);
            double w = 0.42 + 0.5 * cos(M_PI * u / half) + 0.08 * cos(2 * M_PI * u / half);
            acc += x[k] * s * w;
        }
        y[i] = (float)acc;
    }
    *nout = m;
    return y;
}

/* Active span: 10 ms frames within 30 dB of the loudest frame (corpus README). */
static void active_span(clip *c)
{
    size_t fr = (size_t)(RATE / 100), nf = c->n / fr;
    double pk = 0;
    for (size_t f = 0; f < nf; f++) {
        double e = 0;
        for (size_t i = f * fr; i < (f + 1) * fr; i++) e += (double)c->x[i] * c->x[i];
        if (e > pk) pk = e;
    }
    size_t first = 0, last = 0;
    int any = 0;
    double sum = 0;
    size_t cnt = 0;
    for (size_t f = 0; f < nf; f++) {
        double e = 0;
        for (size_t i = f * fr; i < (f + 1) * fr; i++) e += (double)c->x[i] * c->x[i];
        if (e >= pk * 1e-3) {
            if (!any) first = f;
            last = f, any = 1;
            sum += e, cnt += fr;
        }
    }
    c->on = first * fr;
    c->off = any ? (last + 1) * fr : c->n;
    c->rms_db = cnt ? 10 * log10(sum / (double)cnt + 1e-20) : -200;
}

/* Load a file as mono at RATE; longer than max_s (> 0), keep its middle max_s. */
static int load_clip(clip *c, const char *path, double max_s)
{
    char err[256];
    st_source *s = st_source_open_file(path, -1, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "audio-eval: %s\n", err);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    float *x = malloc(cap * sizeof(float));
    for (;;) {
        if (n + 4096 > cap) x = realloc(x, (cap *= 2) * sizeof(float));
        long got = st_source_read(s, x + n, 4096);
        if (got < 0) {
            fprintf(stderr, "audio-eval: %s: read error\n", path);
            break;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    double fin = st_source_rate(s);
    st_source_free(s);
    if (max_s > 0 && (double)n > max_s * fin) {
        size_t keep = (size_t)(max_s * fin), from = (n - keep) / 2;
        memmove(x, x + from, keep * sizeof(float));
        n = keep;
    }
    if (fin == RATE) {
        c->x = x, c->n = n;
    } else {
        c->x = resample(x, n, fin, RATE, &c->n);
        free(x);
    }
    if (!c->x || c->n < 160) return -1;
    active_span(c);
    return 0;
}

/* Group for splits: the source up to its last '/', so voice packs and near-
 * duplicate pairs from one folder of one package stay on one side. With
 * by_clip (--group-by clip, a diagnostic) each clip (its file) is its own
 * group: a held-out clip's voice pack or game is then seen in training. */
static void set_group(clip *c, const char *file, const char *source, int nfolds, int by_clip)
{
    snprintf(c->group, sizeof(c->group), "%s", by_clip ? file : source);
    char *slash = by_clip ? NULL : strrchr(c->group, '/');
    if (slash) *slash = 0;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = c->group; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    c->split = (int)(h >> 7) & 1;
    c->fold = (int)((h >> 9) % (uint32_t)nfolds);
}

/* Read DIR/MANIFEST.tsv and load its clips. extra: a --extra-train corpus,
 * whose event and negative clips are used for training only (a clip longer
 * than EXTRA_MAX_S, e.g. a whole music track, keeps its middle EXTRA_MAX_S)
 * and whose ambience rows are skipped (scenes use the scored corpus' beds). */
static int load_manifest(eval *e, const char *dir, int extra)
{
    char path[PATH_MAX];
    FILE *f = NULL;
    if (snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir) < (int)sizeof(path))
        f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "audio-eval: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int row = 0, bad = 0;
    while (fgets(line, sizeof(line), f)) {
        row++;
        if (row == 1) continue; /* header */
        line[strcspn(line, "\r\n")] = 0;
        char *col[8] = {0};
        int nc = 0;
        for (char *p = line, *tab; nc < 8; p = tab + 1) {
            col[nc++] = p;
            if (!(tab = strchr(p, '\t'))) break;
            *tab = 0;
        }
        if (nc < 3) continue;
        int use = 0;
        for (int k = 0; k < NPOS; k++) use |= !strcmp(col[1], pos_classes[k]);
        for (int k = 0; k < NNEG; k++) use |= !strcmp(col[1], neg_classes[k]);
        /* beds: ambience rows, except short clips or rows noted as not a bed */
        int bed =
            !extra && !strcmp(col[1], "street_ambience") && !(col[7] && strstr(col[7], "not an"));
        if (!use && !bed) continue;
        if (e->nclips == MAXCLIPS) {
            fprintf(stderr, "audio-eval: %s: more than %d clips in all\n", dir, MAXCLIPS);
            bad++;
            break;
        }
        clip *c = &e->clips[e->nclips];
        memset(c, 0, sizeof(*c));
        snprintf(c->file, sizeof(c->file), "%s", col[0]);
        snprintf(c->cls, sizeof(c->cls), "%s", bed ? "bed" : col[1]);
        set_group(c, col[0], col[2], e->nfolds, e->by_clip);
        if (snprintf(path, sizeof(path), "%s/%s", dir, col[0]) >= (int)sizeof(path) ||
            load_clip(c, path, extra ? EXTRA_MAX_S : 0)) {
            fprintf(stderr, "audio-eval: %s/MANIFEST.tsv row %d: %s unusable\n", dir, row, col[0]);
            bad++;
            continue;
        }
        if (bed && (double)c->n / RATE < 2.0) { /* too short to loop as a bed */
            free(c->x);
            continue;
        }
        e->nclips++;
    }
    fclose(f);
    return bad ? -1 : 0;
}

static double rms_db(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return 10 * log10(s / (double)(n ? n : 1) + 1e-20);
}

/* A bed of n samples: a random bed clip looped with 50 ms crossfades, at -35 dBFS. */
static void make_bed(eval *e, float *y, size_t n)
{
    size_t nb = 0, idx[64];
    for (size_t i = 0; i < e->nclips && nb < 64; i++)
        if (!strcmp(e->clips[i].cls, "bed")) idx[nb++] = i;
    const clip *b = &e->clips[idx[rnd(e) % nb]];
    size_t xf = (size_t)(0.05 * RATE), pos = (size_t)(urand(e) * (double)(b->n - xf));
    for (size_t i = 0; i < n; i++) {
        if (pos >= b->n) pos = xf; /* wrap; the first xf samples were the fade-in */
        float v = b->x[pos];
        if (pos >= b->n - xf) { /* crossfade the tail into the head */
            double w = (double)(pos - (b->n - xf)) / (double)xf;
            v = (float)((1 - w) * v + w * b->x[pos - (b->n - xf)]);
        }
        y[i] = v;
        pos++;
    }
    double g = pow(10, (-35.0 - rms_db(y, n)) / 20);
    for (size_t i = 0; i < n; i++) y[i] = (float)(y[i] * g);
}

/* Mix clip c into y at sample `at` with the given SNR against the bed over the
 * clip's active span: gain = 10^((SNR - (L_event - L_bed)) / 20). */
static void mix(float *y, size_t n, const clip *c, size_t at, double snr)
{
    size_t a0 = at + (c->on), a1 = at + c->off;
    if (a1 > n) a1 = n;
    double lbed = rms_db(y + a0, a1 - a0);
    double g = pow(10, (snr - (c->rms_db - lbed)) / 20);
    for (size_t i = 0; i < c->n && at + i < n; i++) y[at + i] += (float)(g * c->x[i]);
}

/* Training-only augmentation of a clip copy, so that the classifier sees each
 * event through other recording chains and distances than the corpus' dry,
 * close recordings: with probability 1/2 band-limiting (sixth-order
 * Butterworth low-pass at 3.5-7 kHz, like the corpus' upsampled game sounds),
 * with probability 1/2 reverberation (Schroeder: four feedback combs and two
 * all-passes, RT60 0.3-1.2 s, direct-to-reverberant ratio 0-10 dB). */
static void augment(eval *e, float *x, size_t n)
{
    if (urand(e) < 0.5) {
        st_biquad q[3];
        st_biquad_butter_lowpass6(q, 3500.0 + 3500.0 * urand(e), RATE);
        for (int k = 0; k < 3; k++) {
            double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
            for (size_t i = 0; i < n; i++) {
                double in = x[i];
                double out =
                    q[k].b0 * in + q[k].b1 * x1 + q[k].b2 * x2 - q[k].a1 * y1 - q[k].a2 * y2;
                x2 = x1, x1 = in, y2 = y1, y1 = out;
                x[i] = (float)out;
            }
        }
    }
    if (urand(e) < 0.5) {
        static const double comb_ms[4] = {29.7, 37.1, 41.1, 43.7}, ap_ms[2] = {5.0, 1.7};
        double rt60 = 0.3 + 0.9 * urand(e), drr = pow(10, -(10.0 * urand(e)) / 20.0);
        size_t cl[4], al[2], cap = (size_t)(0.05 * RATE) + 1;
        float *buf = calloc(6 * cap, sizeof(float)), *wet = calloc(n, sizeof(float));
        size_t pos[6] = {0};
        if (!buf || !wet) {
            perror("audio-eval");
            exit(1);
        }
        double gfb[4];
        for (int k = 0; k < 4; k++) {
            cl[k] = (size_t)(comb_ms[k] * 1e-3 * RATE);
            gfb[k] = pow(10, -3.0 * comb_ms[k] * 1e-3 / rt60);
        }
        for (int k = 0; k < 2; k++) al[k] = (size_t)(ap_ms[k] * 1e-3 * RATE);
        for (size_t i = 0; i < n; i++) {
            double acc = 0;
            for (int k = 0; k < 4; k++) {
                float *d = buf + (size_t)k * cap;
                double out = d[pos[k]];
                d[pos[k]] = (float)(x[i] + gfb[k] * out);
                pos[k] = (pos[k] + 1) % cl[k];
                acc += out;
            }
            for (int k = 0; k < 2; k++) {
                float *d = buf + (size_t)(4 + k) * cap;
                double bd = d[pos[4 + k]], v = acc + 0.7 * bd;
                d[pos[4 + k]] = (float)v;
                pos[4 + k] = (pos[4 + k] + 1) % al[k];
                acc = bd - 0.7 * v;
            }
            wet[i] = (float)acc;
        }
        /* scale the reverberant part to the chosen ratio below the direct sound */
        double ed = 0, ew = 0;
        for (size_t i = 0; i < n; i++) ed += (double)x[i] * x[i], ew += (double)wet[i] * wet[i];
        double g = ew > 0 ? drr * sqrt(ed / ew) : 0;
        for (size_t i = 0; i < n; i++) x[i] = (float)(x[i] + g * wet[i]);
        free(buf);
        free(wet);
    }
}

/* mix() with the training augmentation (bit 1) applied to a copy of the clip. */
static void mix_clip(eval *e, float *y, size_t n, const clip *c, size_t at, double snr)
{
    if (!e->collecting || !(e->augment & 1)) {
        mix(y, n, c, at, snr);
        return;
    }
    clip t = *c;
    if (!(t.x = malloc(c->n * sizeof(float)))) {
        perror("audio-eval");
        exit(1);
    }
    memcpy(t.x, c->x, c->n * sizeof(float));
    augment(e, t.x, t.n);
    t.rms_db = rms_db(t.x + t.on, t.off - t.on);
    mix(y, n, &t, at, snr);
    free(t.x);
}

/* The clip a training scene uses: with augmentation bit 2, a copy played 3
 * semitones slower to 3 semitones faster (uniform; pitch, formants and
 * duration change together, "vari-speed"), as pitch-shifting augmentation
 * does for environmental sound classifiers (Salamon & Bello, IEEE SPL 24(3),
 * 2017): other voices and other-sized objects than the few in the corpus.
 * Returns c itself otherwise. A copy lives in *tmp; the caller frees tmp->x
 * when the result is tmp. */
static const clip *scene_clip(eval *e, const clip *c, clip *tmp)
{
    if (!e->collecting || !(e->augment & 2)) return c;
    double r = pow(2.0, (6.0 * urand(e) - 3.0) / 12.0); /* speed factor */
    *tmp = *c;
    if (!(tmp->x = resample(c->x, c->n, RATE * r, RATE, &tmp->n)) || tmp->n < 160) {
        fprintf(stderr, "audio-eval: %s: vari-speed copy failed\n", c->file);
        exit(1);
    }
    tmp->on = (size_t)((double)c->on / r), tmp->off = (size_t)((double)c->off / r);
    if (tmp->off > tmp->n) tmp->off = tmp->n;
    if (tmp->on >= tmp->off) tmp->on = 0, tmp->off = tmp->n;
    tmp->rms_db = rms_db(tmp->x + tmp->on, tmp->off - tmp->on);
    return tmp;
}

typedef struct det_list {
    st_audio_event ev[256];
    size_t n;
} det_list;

/* Segment observer: dump, and in training mode record candidate segments with
 * their label. A segment is labelled with the scene's positive class when at
 * least 30 % of it lies inside the positive's active span, "none" when it does
 * not touch it, and left out (ambiguous) in between. */
static void on_segment(void *ctx, const st_detect_segment *s)
{
    eval *e = ctx;
    double ov = 0;
    if (e->cur_label) {
        double a = s->start > e->cur_on ? s->start : e->cur_on;
        double b = s->end < e->cur_off ? s->end : e->cur_off;
        ov = b > a ? (b - a) / (s->duration > 0.01 ? s->duration : 0.01) : 0;
    }
    if (e->dump) {
        printf("# seg %-18s t=%6.2f-%6.2f dur=%.2f prom=%.1f att=%.1f dec=%.1f vf=%.2f run=%.2f "
               "f0=%.0f stab=%.2f hf=%.1f cen=%.0f flat=%.3f\n",
               ov > 0 ? e->cur_label : "-", s->start, s->end, s->duration, s->peak_prominence_db,
               s->attack_db, s->decay_db, s->voiced_frac, s->voiced_run_s, s->median_f0,
               s->pitch_stability, s->hf_ratio_db, s->centroid_hz, s->flatness);
    }
    if (!e->collecting) return;
    if (s->duration < e->cfg.detect.min_event_s || s->duration > e->cfg.detect.max_event_s) return;
    if (e->cur_label && ov > 0 && fabs(s->start - e->cur_on) <= COLLAR) e->cur_hit = 1;
    int label = 0;
    if (ov >= 0.3)
        label = e->cur_class;
    else if (ov > 0)
        return;
    if (e->nsamples == e->capsamples) {
        size_t cap = e->capsamples ? 2 * e->capsamples : 4096;
        sample *t = realloc(e->samples, cap * sizeof(sample));
        if (!t) {
            perror("audio-eval");
            exit(1);
        }
        e->samples = t, e->capsamples = cap;
    }
    sample *sm = &e->samples[e->nsamples++];
    memcpy(sm->x, s->feat, sizeof(sm->x));
    sm->label = label;
    sm->folds = e->cur_folds, sm->splits = e->cur_splits;
    sm->clip_a = e->cur_ca, sm->clip_b = e->cur_cb;
}

static void run_scene(eval *e, float *y, size_t n, det_list *d)
{
    for (size_t i = 0; i < n; i++) { /* keep the scene clear of clipping */
        if (fabsf(y[i]) > 0.99f) {
            float pk = 0;
            for (size_t k = 0; k < n; k++) pk = fabsf(y[k]) > pk ? fabsf(y[k]) : pk;
            for (size_t k = 0; k < n; k++) y[k] *= 0.99f / pk;
            break;
        }
    }
    st_analyser *a = st_analyser_new(&e->cfg);
    if (!a) {
        perror("audio-eval: analyser");
        exit(1);
    }
    st_analyser_set_segment_observer(a, on_segment, e);
    d->n = 0;
    st_audio_second sec;
    for (size_t i = 0; i < n + 4096; i += 4096) {
        if (i < n)
            st_analyser_push(a, y + i, n - i < 4096 ? n - i : 4096);
        else
            st_analyser_flush(a);
        while (st_analyser_next_second(a, &sec)) {
        }
        while (d->n < 256 && st_analyser_next_event(a, &d->ev[d->n])) d->n++;
    }
    st_analyser_free(a);
}

static int class_index(const char *cls, const char **names, int n)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(cls, names[k])) return k;
    return -1;
}

/* A clip of the --extra-train corpus (loaded after the scored ones). */
static int is_extra(const eval *e, const clip *c)
{
    return (size_t)(c - e->clips) >= e->nscored;
}

/* Clip selection: evaluation uses --split and the fold under test; training
 * (collect) uses every clip and records folds and splits per sample. */
static int selected(const eval *e, const clip *c)
{
    if (e->collecting) return 1;
    if (is_extra(e, c)) return 0;
    if (e->split >= 0 && c->split != e->split) return 0;
    if (e->fold >= 0 && c->fold != e->fold) return 0;
    return 1;
}

/* The clips a scene may draw its companion clip from, [*lo, *hi): evaluation
 * draws among the scored clips only, so its scenes are the same with or
 * without --extra-train; training draws among all clips, or among the extra
 * clips alone with --extra-only (a scene with a scored clip would be unused). */
static void pool(const eval *e, size_t *lo, size_t *hi)
{
    *lo = e->collecting && e->extra_only ? e->nscored : 0;
    *hi = e->collecting ? e->nclips : e->nscored;
}

/* A random clip of one of the named classes among the selected clips of the
 * pool (the caller checked with any_selected that one exists). */
static size_t pick(eval *e, const char **names, int n)
{
    size_t lo, hi;
    pool(e, &lo, &hi);
    for (;;) {
        size_t i = lo + rnd(e) % (hi - lo);
        if (class_index(e->clips[i].cls, names, n) >= 0 && selected(e, &e->clips[i])) return i;
    }
}

static int any_selected(const eval *e, const char **names, int n)
{
    size_t lo, hi;
    pool(e, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        if (class_index(e->clips[i].cls, names, n) >= 0 && selected(e, &e->clips[i])) return 1;
    return 0;
}

static void tag_scene(eval *e, const clip *a, const clip *b)
{
    e->cur_folds =
        (is_extra(e, a) ? EXTRA_BIT : 1u << a->fold) | (!b               ? 0u
                                                        : is_extra(e, b) ? EXTRA_BIT
                                                                         : 1u << b->fold);
    e->cur_splits =
        (is_extra(e, a) ? EXTRA_BIT : 1u << a->split) | (!b               ? 0u
                                                         : is_extra(e, b) ? EXTRA_BIT
                                                                          : 1u << b->split);
    e->cur_ca = (int)(a - e->clips), e->cur_cb = b ? (int)(b - e->clips) : -1;
}

/* One scene per positive clip and SNR: bed, the positive at 2-3 s, and one
 * random negative clip 2 s after it at the same SNR. Training adds the
 * in-between SNRs. */
static void positive_scenes(eval *e, const double *snr, int nsnr)
{
    int have_neg = any_selected(e, neg_classes, NNEG);
    for (size_t ci = 0; ci < e->nclips; ci++) {
        const clip *c0 = &e->clips[ci];
        int k = class_index(c0->cls, pos_classes, NPOS);
        if (k < 0 || !selected(e, c0)) continue;
        for (int si = 0; si < nsnr; si++) {
            const clip *neg0 = have_neg ? &e->clips[pick(e, neg_classes, NNEG)] : NULL;
            clip tc, tn;
            const clip *c = scene_clip(e, c0, &tc), *neg = neg0 ? scene_clip(e, neg0, &tn) : NULL;
            size_t at = (size_t)((2.0 + urand(e)) * RATE);
            size_t at2 = at + c->n + (size_t)(2.0 * RATE);
            size_t n = at2 + (neg ? neg->n : 0) + (size_t)(2.0 * RATE);
            float *y = malloc(n * sizeof(float));
            make_bed(e, y, n);
            mix_clip(e, y, n, c, at, snr[si]);
            if (neg) mix_clip(e, y, n, neg, at2, snr[si]);
            det_list d;
            double on = (double)(at + c->on) / RATE, off = (double)(at + c->off) / RATE;
            e->cur_label = c->cls, e->cur_on = on, e->cur_off = off, e->cur_class = k + 1;
            tag_scene(e, c0, neg0);
            if (e->dump)
                printf("# scene %s snr=%g %s at %.2f-%.2f\n", c->cls, snr[si], c->file, on, off);
            e->cur_hit = 0;
            run_scene(e, y, n, &d);
            free(y);
            if (c != c0) free(tc.x);
            if (neg && neg != neg0) free(tn.x);
            if (e->collecting) {
                e->cand_hit[k][si] += e->cur_hit, e->cand_all[k][si]++;
                continue;
            }
            int si_eval = -1;
            for (int q = 0; q < NSNR; q++)
                if (snrs[q] == snr[si]) si_eval = q;
            int matched = 0;
            for (size_t j = 0; j < d.n; j++) {
                int dk = -1;
                for (int q = 0; q < NPOS; q++)
                    if (pos_kinds[q] == d.ev[j].kind) dk = q;
                if (dk < 0) continue;
                if (e->dump)
                    printf("# det %s %.2f-%.2f conf=%.2f\n", pos_classes[dk], d.ev[j].start,
                           d.ev[j].end, d.ev[j].confidence);
                if (dk == k && !matched && fabs(d.ev[j].start - on) <= COLLAR) {
                    matched = 1;
                    e->sc.tp[k][si_eval]++;
                } else {
                    e->sc.fp[dk][si_eval]++;
                }
            }
            if (!matched) e->sc.fn[k][si_eval]++;
        }
    }
}

/* reps scenes per negative clip and SNR: bed plus the clip at 1-3 s, each
 * with its own bed excerpt and onset. Every detection is a false alarm; time
 * counts the whole scene. */
static void negative_scenes(eval *e, const double *snr, int nsnr, int reps)
{
    for (size_t ci = 0; ci < e->nclips; ci++) {
        const clip *c0 = &e->clips[ci];
        int k = class_index(c0->cls, neg_classes, NNEG);
        if (k < 0 || !selected(e, c0)) continue;
        for (int si = 0; si < nsnr; si++)
            for (int r = 0; r < reps; r++) {
                clip tc;
                const clip *c = scene_clip(e, c0, &tc);
                size_t at = (size_t)((1.0 + 2.0 * urand(e)) * RATE);
                size_t n = at + c->n + (size_t)(2.0 * RATE);
                float *y = malloc(n * sizeof(float));
                make_bed(e, y, n);
                mix_clip(e, y, n, c, at, snr[si]);
                det_list d;
                e->cur_label = NULL, e->cur_class = 0;
                tag_scene(e, c0, NULL);
                if (e->dump) printf("# scene %s snr=%g %s\n", c->cls, snr[si], c->file);
                run_scene(e, y, n, &d);
                free(y);
                if (c != c0) free(tc.x);
                if (e->collecting) continue;
                int si_eval = 0;
                for (int q = 0; q < NSNR; q++)
                    if (snrs[q] == snr[si]) si_eval = q;
                for (size_t j = 0; j < d.n; j++) {
                    if (e->dump)
                        printf("# FA %s %s %.2f conf=%.2f\n", c->file,
                               st_event_kind_name(d.ev[j].kind), d.ev[j].start, d.ev[j].confidence);
                    e->sc.fa[k][si_eval]++;
                    for (int q = 0; q < NPOS; q++)
                        if (pos_kinds[q] == d.ev[j].kind) e->sc.fa_by[q][si_eval]++;
                }
                e->sc.neg_s[k][si_eval] += (double)n / RATE;
            }
    }
}

/* Evaluate the current configuration (rules or e->cfg.model) on the selected clips. */
static void evaluate(eval *e)
{
    positive_scenes(e, snrs, NSNR);
    negative_scenes(e, snrs, NSNR, e->neg_reps);
}

/* Training scenes: every clip, SNRs on a finer grid than the evaluation, and a
 * different random stream, so that no training scene equals an evaluation
 * scene even for the same clip. */
static void collect_training(eval *e, uint64_t seed)
{
    static const double train_snr[] = {0, 3, 6, 9, 12, 15, 20};
    uint64_t keep = e->rng;
    e->rng = seed ^ 0x9e3779b97f4a7c15ull;
    e->collecting = 1;
    e->nsamples = 0;
    for (int r = 0; r < e->train_reps; r++) positive_scenes(e, train_snr, 7);
    negative_scenes(e, snrs, NSNR, 2 * e->train_reps);
    e->collecting = 0;
    e->rng = keep;
}

/* A training sample is used unless its scene holds a clip of an excluded fold
 * or split, or a clip marked in drop (per clip, NULL: none). */
static int use_sample(const sample *s, unsigned excl_folds, unsigned excl_splits,
                      const unsigned char *drop)
{
    if ((s->folds & excl_folds) || (s->splits & excl_splits)) return 0;
    return !drop || (!drop[s->clip_a] && (s->clip_b < 0 || !drop[s->clip_b]));
}

/* Fit a model (caller frees) to the samples of scenes without an excluded
 * fold, split or dropped clip (drop: per clip, borrowed, NULL for none), with
 * e->topt. Exits with a message if there is none or memory runs out. */
static st_train_model *train(const eval *e, unsigned excl_folds, unsigned excl_splits,
                             const unsigned char *drop)
{
    const size_t F = ST_DETECT_NFEAT;
    size_t n = 0;
    for (size_t i = 0; i < e->nsamples; i++)
        n += use_sample(&e->samples[i], excl_folds, excl_splits, drop);
    double *x = malloc((n ? n : 1) * F * sizeof(double));
    int *lab = malloc((n ? n : 1) * sizeof(int));
    if (!x || !lab) {
        perror("audio-eval");
        exit(1);
    }
    size_t r = 0;
    for (size_t i = 0; i < e->nsamples; i++) {
        const sample *s = &e->samples[i];
        if (!use_sample(s, excl_folds, excl_splits, drop)) continue;
        memcpy(x + r * F, s->x, F * sizeof(double));
        lab[r++] = s->label;
    }
    st_train_model *m = st_train_fit(x, lab, n, &e->topt);
    free(x);
    free(lab);
    if (!m) {
        fprintf(stderr, "audio-eval: training: %s\n",
                n ? strerror(errno) : "no training segments left once the fold is held out");
        exit(1);
    }
    return m;
}

/* The detector's model for m (borrowed) at the thresholds of e. */
static st_detect_model *to_detector(const eval *e, const st_train_model *m)
{
    st_detect_model *dm = st_train_model_detector(m, e->thr);
    if (!dm) {
        fprintf(stderr, "audio-eval: trained model does not parse: %s\n", strerror(errno));
        exit(1);
    }
    return dm;
}

/* Segment-level accuracy of a model on samples (for the training report). */
static void segment_report(const eval *e, const st_train_model *m, unsigned only_folds,
                           unsigned only_splits, const char *what)
{
    st_detect_model *dm = to_detector(e, m);
    long conf[NCLS][NCLS] = {{0}};
    st_detect_segment s;
    memset(&s, 0, sizeof(s));
    s.duration = 1.0;
    for (size_t i = 0; i < e->nsamples; i++) {
        const sample *sm = &e->samples[i];
        if (!(sm->folds & only_folds) || !(sm->splits & only_splits)) continue;
        memcpy(s.feat, sm->x, sizeof(s.feat));
        double c;
        st_event_kind k = st_detect_model_classify(dm, &e->cfg.detect, &s, &c, NULL);
        int pc = 0;
        for (int q = 0; q < NPOS; q++)
            if (pos_kinds[q] == k) pc = q + 1;
        conf[sm->label][pc]++;
    }
    st_detect_model_free(dm);
    printf("# segments %s (rows: label none shout scream glass bang; columns: predicted)\n", what);
    for (int a = 0; a < NCLS; a++)
        printf("#   %ld %ld %ld %ld %ld\n", conf[a][0], conf[a][1], conf[a][2], conf[a][3],
               conf[a][4]);
}

static void prf(long tp, long fp, long fn, double *p, double *r, double *f)
{
    *p = tp + fp ? (double)tp / (double)(tp + fp) : (tp + fn ? 0.0 : 1.0);
    *r = tp + fn ? (double)tp / (double)(tp + fn) : 1.0;
    *f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0.0;
}

/* The counts of positive class k pooled over SNR >= 6 dB (the operating range). */
static void pool6(const score *sc, int k, long *tp, long *fp, long *fn)
{
    *tp = *fp = *fn = 0;
    for (int si = 0; si < NSNR; si++)
        if (snrs[si] >= 6) *tp += sc->tp[k][si], *fp += sc->fp[k][si], *fn += sc->fn[k][si];
}

/* False alarms and scene seconds over SNR >= 6 dB: of negative class k, or of
 * every negative class when k < 0. */
static void neg6(const score *sc, int k, long *fa, double *s)
{
    *fa = 0, *s = 0;
    for (int q = 0; q < NNEG; q++)
        for (int si = 0; si < NSNR; si++)
            if ((k < 0 || q == k) && snrs[si] >= 6) *fa += sc->fa[q][si], *s += sc->neg_s[q][si];
}

static double per_hour(long n, double s)
{
    return s > 0 ? (double)n / (s / 3600.0) : 0.0;
}

static void report(const score *sc)
{
    double p, r, f;
    for (int k = 0; k < NPOS; k++) {
        long tp6, fp6, fn6;
        for (int si = 0; si < NSNR; si++) {
            prf(sc->tp[k][si], sc->fp[k][si], sc->fn[k][si], &p, &r, &f);
            printf("%s snr=%g precision=%.2f recall=%.2f f1=%.2f events=%ld\n", pos_classes[k],
                   snrs[si], p, r, f, sc->tp[k][si] + sc->fn[k][si]);
        }
        pool6(sc, k, &tp6, &fp6, &fn6);
        prf(tp6, fp6, fn6, &p, &r, &f);
        printf("%s snr>=6 precision=%.2f recall=%.2f f1=%.2f events=%ld\n", pos_classes[k], p, r, f,
               tp6 + fn6);
    }
    for (int k = 0; k < NNEG; k++) {
        for (int si = 0; si < NSNR; si++) {
            double h = sc->neg_s[k][si] / 3600.0;
            printf("%s snr=%g false_alarms_per_hour=%.1f false_alarms=%ld hours=%.3f\n",
                   neg_classes[k], snrs[si], h > 0 ? (double)sc->fa[k][si] / h : 0.0, sc->fa[k][si],
                   h);
        }
        long n6;
        double s6;
        neg6(sc, k, &n6, &s6);
        /* resolution: one false alarm in the measured time */
        printf("%s false_alarms_per_hour=%.1f false_alarms=%ld hours=%.3f resolution=%.2f\n",
               neg_classes[k], per_hour(n6, s6), n6, s6 / 3600.0, s6 > 0 ? 3600.0 / s6 : 0.0);
    }
    long all6;
    double hall6;
    neg6(sc, -1, &all6, &hall6);
    printf("negatives false_alarms_per_hour=%.2f false_alarms=%ld hours=%.3f resolution=%.2f\n",
           per_hour(all6, hall6), all6, hall6 / 3600.0, hall6 > 0 ? 3600.0 / hall6 : 0.0);
}

/* Train one model per cross-validation fold (models: e->nfolds entries,
 * NULL or from an earlier call, which are freed; the caller frees the new
 * ones with st_train_model_free), each without the
 * scenes of its fold and split excl_split, and without the clips marked in
 * drop[k] (per clip; drop and its arrays borrowed, NULL for none). verbose
 * prints each fold's held-out segment confusion matrix. */
static void cv_train(const eval *e, st_train_model **models, unsigned excl_split,
                     unsigned char *const *drop, int verbose)
{
    for (int k = 0; k < e->nfolds; k++) {
        st_train_model_free(models[k]);
        models[k] = train(e, 1u << k, excl_split, drop ? drop[k] : NULL);
        if (!verbose) continue;
        char what[64];
        snprintf(what, sizeof(what), "fold %d held out", k);
        printf("# fold %d: trained on %zu segments of scenes without fold %d\n", k,
               st_train_model_segments(models[k]), k);
        segment_report(e, models[k], 1u << k, ~0u, what);
    }
}

/* Score every fold's clips with that fold's model (borrowed) at the
 * probability thresholds thr (per event class), written into the model; the
 * counts replace e->sc. The scenes depend only on seed and fold, so every
 * call scores the same scenes. */
static void cv_score(eval *e, st_train_model *const *models, const double *thr, uint64_t seed)
{
    double keep[NPOS];
    memcpy(keep, e->thr, sizeof(keep));
    memset(&e->sc, 0, sizeof(e->sc));
    memcpy(e->thr, thr, sizeof(e->thr));
    for (int k = 0; k < e->nfolds; k++) {
        st_detect_model *dm = to_detector(e, models[k]);
        e->cfg.model = dm;
        e->fold = k;
        e->rng = seed + (uint64_t)k;
        evaluate(e);
        st_detect_model_free(dm);
    }
    e->cfg.model = NULL, e->fold = -1;
    memcpy(e->thr, keep, sizeof(keep));
}

/* One machine-readable line per positive class, "PREFIX class=C snr>=6
 * precision= recall= f1= events= negatives_false_alarms_per_hour=
 * class_false_alarms_per_hour=" (the last: the negatives' false alarms that
 * were detected as C), then one for the negatives. f1 and fa_c (NPOS entries)
 * and fa_h receive the figures. */
static void summary_lines(const char *prefix, const score *sc, double *f1, double *fa_c,
                          double *fa_h)
{
    long fa, tp, fp, fn;
    double s, p, r;
    neg6(sc, -1, &fa, &s);
    *fa_h = per_hour(fa, s);
    for (int k = 0; k < NPOS; k++) {
        long by = 0;
        for (int si = 0; si < NSNR; si++)
            if (snrs[si] >= 6) by += sc->fa_by[k][si];
        fa_c[k] = per_hour(by, s);
        pool6(sc, k, &tp, &fp, &fn);
        prf(tp, fp, fn, &p, &r, &f1[k]);
        printf("%s class=%s snr>=6 precision=%.2f recall=%.2f f1=%.2f events=%ld "
               "negatives_false_alarms_per_hour=%.2f class_false_alarms_per_hour=%.2f\n",
               prefix, pos_classes[k], p, r, f1[k], tp + fn, *fa_h, fa_c[k]);
    }
    printf("%s negatives false_alarms_per_hour=%.2f false_alarms=%ld hours=%.3f\n", prefix, *fa_h,
           fa, s / 3600.0);
}

#define MAXTHR 32

/* Threshold point t of a list thr[0..nthr): every event class at thr[t]; with
 * an empty list (nthr 0) the per-class thresholds of --threshold (e->thr).
 * Fills tc (NPOS entries) and its label ("0.8", or "shout=0.8,scream=...")
 * and lowers min_confidence to the lowest threshold when it is below
 * base_conf. */
static void thr_point(eval *e, const double *thr, int nthr, int t, double base_conf, double *tc,
                      char *label, size_t cap)
{
    int same = 1;
    double lo = 1;
    for (int k = 0; k < NPOS; k++) {
        tc[k] = nthr ? thr[t] : e->thr[k];
        same &= tc[k] == tc[0];
        lo = tc[k] < lo ? tc[k] : lo;
    }
    e->cfg.detect.min_confidence = lo < base_conf ? lo : base_conf;
    if (same) {
        snprintf(label, cap, "%g", tc[0]);
        return;
    }
    size_t at = 0;
    for (int k = 0; k < NPOS && at < cap; k++)
        at +=
            (size_t)snprintf(label + at, cap - at, "%s%s=%g", k ? "," : "", pos_classes[k], tc[k]);
}

/* The operating-point trade-off: the fold models (borrowed) score the same
 * cross-validation scenes at every threshold of thr[0..n) (ascending). Each
 * threshold also lowers min_confidence to itself when it is below it. */
static void sweep(eval *e, st_train_model *const *models, const double *thr, int n, uint64_t seed)
{
    double f1[MAXTHR][NPOS], fa_c[NPOS], fa_h[MAXTHR];
    double base_conf = e->cfg.detect.min_confidence;
    for (int t = 0; t < n; t++) {
        char prefix[96], label[64];
        double tc[NPOS];
        thr_point(e, thr, n, t, base_conf, tc, label, sizeof(label));
        cv_score(e, models, tc, seed);
        snprintf(prefix, sizeof(prefix), "sweep threshold=%s", label);
        summary_lines(prefix, &e->sc, f1[t], fa_c, &fa_h[t]);
        fflush(stdout);
    }
    e->cfg.detect.min_confidence = base_conf;
    int ok = -1, low = 0, best_mean = 0;
    for (int t = 0; t < n; t++) {
        if (ok < 0 && fa_h[t] <= 1.0) ok = t;
        if (fa_h[t] < fa_h[low]) low = t;
        double m = 0, mb = 0;
        for (int k = 0; k < NPOS; k++) m += f1[t][k], mb += f1[best_mean][k];
        if (m > mb) best_mean = t;
    }
    if (ok >= 0)
        printf("# sweep: false alarms <= 1/h from threshold %g (%.2f/h): F1 shout %.2f scream "
               "%.2f glass %.2f bang %.2f\n",
               thr[ok], fa_h[ok], f1[ok][0], f1[ok][1], f1[ok][2], f1[ok][3]);
    else
        printf("# sweep: no threshold reaches <= 1 false alarm/h; fewest %.2f/h at %g: F1 shout "
               "%.2f scream %.2f glass %.2f bang %.2f\n",
               fa_h[low], thr[low], f1[low][0], f1[low][1], f1[low][2], f1[low][3]);
    for (int k = 0; k < NPOS; k++) {
        int b = 0;
        for (int t = 1; t < n; t++)
            if (f1[t][k] > f1[b][k]) b = t;
        printf("# sweep: best %s F1 %.2f at threshold %g (%.2f false alarms/h)\n", pos_classes[k],
               f1[b][k], thr[b], fa_h[b]);
    }
    printf("# sweep: best mean F1 %.2f at threshold %g (%.2f false alarms/h)\n",
           (f1[best_mean][0] + f1[best_mean][1] + f1[best_mean][2] + f1[best_mean][3]) / NPOS,
           thr[best_mean], fa_h[best_mean]);
}

static void score_add(score *a, const score *b)
{
    for (int k = 0; k < NPOS; k++)
        for (int si = 0; si < NSNR; si++)
            a->tp[k][si] += b->tp[k][si], a->fp[k][si] += b->fp[k][si],
                a->fn[k][si] += b->fn[k][si], a->fa_by[k][si] += b->fa_by[k][si];
    for (int k = 0; k < NNEG; k++)
        for (int si = 0; si < NSNR; si++)
            a->fa[k][si] += b->fa[k][si], a->neg_s[k][si] += b->neg_s[k][si];
}

/* Learning curve: the same cross-validation when each fold's model is trained
 * on only a fraction of its training source groups of each positive class (at
 * least one group per class; chosen at random, reps draws per fraction below
 * 1; the unit is a class's clips from one source group). Negative clips and
 * the evaluation scenes are unchanged, so only the positives' training data
 * varies. Each draw's models score the scenes at every threshold of thr[0..nthr)
 * (as sweep; e->thr when nthr is 0), so that points of the curve can be
 * compared at equal false alarms per hour. Prints the summary lines per draw
 * and pooled over the draws. */
static void learning_curve(eval *e, st_train_model **models, int reps, const double *thr, int nthr,
                           unsigned excl_split, uint64_t seed)
{
    double base_conf = e->cfg.detect.min_confidence;
    int npoints = nthr ? nthr : 1; /* nthr 0: the per-class thresholds of --threshold */
    static const double frac[] = {1.0 / 3, 2.0 / 3, 1.0};
    int gid[MAXCLIPS], ngroups = 0;
    for (size_t i = 0; i < e->nclips; i++) {
        gid[i] = -1;
        for (size_t j = 0; j < i && gid[i] < 0; j++)
            if (!strcmp(e->clips[i].group, e->clips[j].group)) gid[i] = gid[j];
        if (gid[i] < 0) gid[i] = ngroups++;
    }
    unsigned char *drop[MAXFOLDS];
    int *order = malloc((size_t)ngroups * sizeof(int));
    for (int k = 0; k < e->nfolds; k++) drop[k] = calloc(e->nclips, 1);
    if (!order) {
        perror("audio-eval");
        exit(1);
    }
    for (int k = 0; k < e->nfolds; k++)
        if (!drop[k]) {
            perror("audio-eval");
            exit(1);
        }
    for (size_t fi = 0; fi < sizeof(frac) / sizeof(frac[0]); fi++) {
        int nrep = frac[fi] < 1 ? reps : 1;
        static score pooled[MAXTHR];
        memset(pooled, 0, sizeof(pooled));
        for (int rep = 0; rep < nrep; rep++) {
            e->rng = seed ^ (0x2545f4914f6cdd1dull * (uint64_t)(fi * 64 + (size_t)rep + 1));
            double kept_groups[NPOS] = {0}, all_groups[NPOS] = {0}, segs[NPOS] = {0};
            for (int k = 0; k < e->nfolds; k++) {
                memset(drop[k], 0, e->nclips);
                for (int c = 0; c < NPOS; c++) {
                    int ng = 0;
                    for (size_t i = 0; i < e->nclips; i++) {
                        const clip *cl = &e->clips[i];
                        if (is_extra(e, cl) || cl->fold == k || strcmp(cl->cls, pos_classes[c]))
                            continue;
                        int seen = 0;
                        for (int q = 0; q < ng; q++) seen |= order[q] == gid[i];
                        if (!seen) order[ng++] = gid[i];
                    }
                    for (int q = ng - 1; q > 0; q--) { /* Fisher-Yates */
                        int r = (int)(rnd(e) % (uint64_t)(q + 1)), t = order[q];
                        order[q] = order[r], order[r] = t;
                    }
                    int keep = (int)lround(frac[fi] * ng);
                    if (keep < 1) keep = 1;
                    kept_groups[c] += keep < ng ? keep : ng, all_groups[c] += ng;
                    for (size_t i = 0; i < e->nclips; i++) {
                        const clip *cl = &e->clips[i];
                        if (is_extra(e, cl) || cl->fold == k || strcmp(cl->cls, pos_classes[c]))
                            continue;
                        int kept = 0;
                        for (int q = 0; q < keep && q < ng; q++) kept |= order[q] == gid[i];
                        drop[k][i] = !kept;
                    }
                }
                for (size_t i = 0; i < e->nsamples; i++) {
                    const sample *sm = &e->samples[i];
                    if (sm->label && use_sample(sm, 1u << k, excl_split, drop[k]))
                        segs[sm->label - 1] += 1.0 / e->nfolds;
                }
            }
            printf("# learning curve fraction %.2f draw %d: per fold, positive source groups kept "
                   "(of training) and positive training segments:",
                   frac[fi], rep);
            for (int c = 0; c < NPOS; c++)
                printf(" %s %.1f/%.1f %.0f", pos_classes[c], kept_groups[c] / e->nfolds,
                       all_groups[c] / e->nfolds, segs[c]);
            printf("\n");
            cv_train(e, models, excl_split, drop, 0);
            for (int t = 0; t < npoints; t++) {
                char prefix[160], label[64];
                double tc[NPOS], f1[NPOS], fa_c[NPOS], fa_h;
                thr_point(e, thr, nthr, t, base_conf, tc, label, sizeof(label));
                cv_score(e, models, tc, seed);
                snprintf(prefix, sizeof(prefix),
                         "learning_curve fraction=%.2f draw=%d threshold=%s", frac[fi], rep, label);
                summary_lines(prefix, &e->sc, f1, fa_c, &fa_h);
                score_add(&pooled[t], &e->sc);
                fflush(stdout);
            }
        }
        for (int t = 0; t < npoints; t++) {
            char prefix[160], label[64];
            double tc[NPOS], f1[NPOS], fa_c[NPOS], fa_h;
            thr_point(e, thr, nthr, t, base_conf, tc, label, sizeof(label));
            snprintf(prefix, sizeof(prefix), "learning_curve fraction=%.2f pooled threshold=%s",
                     frac[fi], label);
            summary_lines(prefix, &pooled[t], f1, fa_c, &fa_h);
        }
    }
    e->cfg.detect.min_confidence = base_conf;
    for (int k = 0; k < e->nfolds; k++) free(drop[k]);
    free(order);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Resolve the corpus folder: as given, else relative to the repository root
 * (two levels above build/bench/). */
static int resolve_corpus(const char *arg, const char *argv0, char *out, size_t cap)
{
    if (is_dir(arg) || arg[0] == '/') {
        snprintf(out, cap, "%s", arg);
        return is_dir(arg) ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        snprintf(exe, sizeof(exe), "%s", argv0);
        n = (ssize_t)strlen(exe);
    }
    exe[n] = 0;
    for (int up = 0; up < 3; up++) {
        char *s = strrchr(exe, '/');
        if (!s) break;
        *s = 0;
        if ((size_t)snprintf(out, cap, "%s/%s", exe, arg) >= cap) continue;
        if (is_dir(out)) return 0;
    }
    snprintf(out, cap, "%s", arg);
    return -1;
}

static void usage(FILE *o)
{
    fprintf(o,
            "usage: audio-eval [--corpus DIR] [--seed N] [--dump] [--set KEY=VALUE]...\n"
            "                  [--cv K | --holdout | --model FILE [--split all|dev|test] |\n"
            "                   --rules [--split all|dev|test] | --train OUT [--split ...]]\n"
            "                  [--trees N --depth D --shrink S --min-leaf L | --trees 0 --l2 X]\n"
            "                  [--balance B] [--subsample F [--bags K]] [--without NAME,...]\n"
            "                  [--threshold P|CLASS=P,...] [--neg-reps R] [--train-reps R]\n"
            "                  [--augment 0..3] [--group-by source|clip]\n"
            "                  [--extra-train DIR [--extra-only]]\n"
            "                  [--sweep | --thresholds P1,P2,... | --learning-curve [--draws R]]\n"
            "Mixes the corpus' event clips into its street-ambience beds at SNR 0, 6, 12 and\n"
            "20 dB (fixed seed), runs the analyser and prints precision, recall and F1 per\n"
            "class and SNR (onset collar 0.5 s) and false alarms per hour on negatives.\n"
            "Default --cv 5: grouped cross-validation of the trained segment classifier\n"
            "(folds by source group; each fold is scored by a model trained without it).\n"
            "--holdout trains on the dev half and scores the test half. --train writes a\n"
            "model trained on every clip (or on --split). --model scores a model file,\n"
            "--rules the hand-written rules. --threshold sets the probability an event\n"
            "needs, for every event class (P) or per class (e.g. shout=0.8,glass=0.5; the\n"
            "others keep 0.5); a trained model carries them.\n"
            "--sweep scores the same cross-validation at probability thresholds 0.3 ... 0.999\n"
            "(--thresholds: an ascending list) and prints, per threshold, one line per\n"
            "positive class (SNR >= 6 dB) with the negatives' false alarms per hour and\n"
            "the share of them detected as that class (scripts/audio-thresholds picks\n"
            "per-class thresholds from the sweeps of one or more seeds).\n"
            "--learning-curve repeats the cross-validation with each fold trained on 1/3,\n"
            "2/3 and all of its positive source groups (--draws R random draws, default 3),\n"
            "at --threshold or at every threshold of --sweep / --thresholds.\n"
            "--group-by clip (a diagnostic) makes every clip its own group, so a held-out\n"
            "clip's voice pack or game is seen in training (default: source, leak-free).\n"
            "--extra-train DIR adds the event and negative clips of a second corpus (same\n"
            "layout; scripts/fetch-train-audio builds one from Debian packages) to every\n"
            "model's training scenes; they are never scored. --extra-only trains on those\n"
            "alone, so every clip of --corpus is scored by a model that never saw it.\n"
            "--without leaves features out of every model (names as in docs/audio.md; a\n"
            "trailing * matches a prefix, e.g. cep*): an ablation. --bags K averages K\n"
            "boosted models, each grown on --subsample shares of its own.\n");
}

/* --threshold P (every event class) or CLASS=P,... (the classes named; the
 * others keep theirs): probabilities in (0, 1]. */
static int parse_thresholds(const char *arg, double *thr)
{
    char *end;
    double p = strtod(arg, &end);
    if (end != arg && !*end) {
        if (!(p > 0 && p <= 1)) goto bad;
        for (int k = 0; k < NPOS; k++) thr[k] = p;
        return 0;
    }
    for (const char *s = arg; *s;) {
        const char *eq = strchr(s, '=');
        int k = -1;
        for (int q = 0; eq && q < NPOS; q++)
            if ((size_t)(eq - s) == strlen(pos_classes[q]) && !strncmp(s, pos_classes[q], eq - s))
                k = q;
        if (k < 0) {
            fprintf(stderr,
                    "audio-eval: --threshold: '%s': expected P or CLASS=P,... with CLASS one of "
                    "shout, scream, glass, bang\n",
                    arg);
            return -1;
        }
        p = strtod(eq + 1, &end);
        if (end == eq + 1 || (*end && (*end != ',' || !end[1])) || !(p > 0 && p <= 1)) goto bad;
        thr[k] = p;
        s = *end ? end + 1 : end;
    }
    return 0;
bad:
    fprintf(stderr, "audio-eval: --threshold: '%s': each probability must be a number in (0, 1]\n",
            arg);
    return -1;
}

/* --without: mark the features named in a comma list (NAME or PREFIX*). */
static int feature_mask(const char *list, unsigned char *off)
{
    char buf[1024];
    if (strlen(list) >= sizeof(buf)) {
        fprintf(stderr, "audio-eval: --without: the list is longer than %zu bytes\n",
                sizeof(buf) - 1);
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(t), hits = 0;
        int prefix = len > 1 && t[len - 1] == '*';
        for (size_t j = 0; j < ST_DETECT_NFEAT; j++) {
            const char *name = st_detect_feature_name(j);
            if (prefix ? !strncmp(name, t, len - 1) : !strcmp(name, t)) off[j] = 1, hits++;
        }
        if (!hits) {
            fprintf(stderr, "audio-eval: --without: no feature is named '%s'\n", t);
            return -1;
        }
    }
    return 0;
}

static double parse_num(const char *opt, const char *v, double lo, double hi)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "audio-eval: %s: '%s' is not a number in [%g, %g]\n", opt, v, lo, hi);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv)
{
    static eval e;
    const char *corpus = "../shared/data/audio", *model_path = NULL, *train_out = NULL,
               *extra_dir = NULL, *without = NULL;
    unsigned long long seed = 20240601;
    enum { M_CV, M_HOLDOUT, M_MODEL, M_RULES, M_TRAIN } mode = M_CV;
    static const double default_thr[] = {0.3,  0.4,  0.5,  0.6,   0.7,  0.8,   0.9,
                                         0.95, 0.97, 0.98, 0.985, 0.99, 0.995, 0.999};
    double thr[MAXTHR];
    int nthr = 0, lc_draws = 0;
    e.split = -1, e.fold = -1, e.nfolds = 5, e.neg_reps = 8, e.train_reps = 1;
    st_train_opts_default(&e.topt);
    for (int k = 0; k < NPOS; k++) e.thr[k] = 0.5;
    st_analyser_config_default(&e.cfg, RATE);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--corpus") && v) {
            corpus = argv[++i];
        } else if (!strcmp(o, "--seed") && v) {
            char *end;
            errno = 0;
            seed = strtoull(argv[++i], &end, 10);
            if (errno || *end || seed == 0) {
                fprintf(stderr, "audio-eval: --seed: '%s' is not a positive integer\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(o, "--split") && v) {
            i++;
            e.split = !strcmp(argv[i], "dev") ? 0 : !strcmp(argv[i], "test") ? 1 : -1;
            if (e.split < 0 && strcmp(argv[i], "all")) {
                usage(stderr);
                return 2;
            }
        } else if (!strcmp(o, "--cv") && v) {
            mode = M_CV;
            e.nfolds = (int)parse_num(o, argv[++i], 2, MAXFOLDS);
        } else if (!strcmp(o, "--sweep")) {
            mode = M_CV;
            if (!nthr)
                for (nthr = 0; nthr < (int)(sizeof(default_thr) / sizeof(default_thr[0])); nthr++)
                    thr[nthr] = default_thr[nthr];
        } else if (!strcmp(o, "--thresholds") && v) {
            mode = M_CV, nthr = 0;
            char list[512];
            snprintf(list, sizeof(list), "%s", argv[++i]);
            for (char *save, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (nthr == MAXTHR) {
                    fprintf(stderr, "audio-eval: --thresholds: at most %d\n", MAXTHR);
                    return 2;
                }
                thr[nthr] = parse_num(o, t, 0.01, 1);
                if (nthr && thr[nthr] <= thr[nthr - 1]) {
                    fprintf(stderr, "audio-eval: --thresholds: '%s' is not ascending\n", argv[i]);
                    return 2;
                }
                nthr++;
            }
        } else if (!strcmp(o, "--learning-curve")) {
            mode = M_CV;
            if (!lc_draws) lc_draws = 3;
        } else if (!strcmp(o, "--draws") && v) {
            lc_draws = (int)parse_num(o, argv[++i], 1, 20);
        } else if (!strcmp(o, "--group-by") && v) {
            i++;
            e.by_clip = !strcmp(argv[i], "clip");
            if (!e.by_clip && strcmp(argv[i], "source")) {
                fprintf(stderr, "audio-eval: --group-by: '%s' is not source or clip\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(o, "--extra-train") && v) {
            extra_dir = argv[++i];
        } else if (!strcmp(o, "--extra-only")) {
            e.extra_only = 1;
        } else if (!strcmp(o, "--holdout")) {
            mode = M_HOLDOUT;
        } else if (!strcmp(o, "--model") && v) {
            mode = M_MODEL, model_path = argv[++i];
        } else if (!strcmp(o, "--rules")) {
            mode = M_RULES;
        } else if (!strcmp(o, "--train") && v) {
            mode = M_TRAIN, train_out = argv[++i];
        } else if (!strcmp(o, "--l2") && v) {
            e.topt.l2 = parse_num(o, argv[++i], 0, 100);
        } else if (!strcmp(o, "--threshold") && v) {
            if (parse_thresholds(argv[++i], e.thr) < 0) return 2;
        } else if (!strcmp(o, "--augment") && v) {
            e.augment = (int)parse_num(o, argv[++i], 0, 3);
        } else if (!strcmp(o, "--train-reps") && v) {
            e.train_reps = (int)parse_num(o, argv[++i], 1, 20);
        } else if (!strcmp(o, "--trees") && v) {
            e.topt.trees = (int)parse_num(o, argv[++i], 0, 2000);
        } else if (!strcmp(o, "--min-leaf") && v) {
            e.topt.min_leaf = (int)parse_num(o, argv[++i], 1, 1000);
        } else if (!strcmp(o, "--depth") && v) {
            e.topt.depth = (int)parse_num(o, argv[++i], 1, 5);
        } else if (!strcmp(o, "--shrink") && v) {
            e.topt.shrink = parse_num(o, argv[++i], 0.001, 1);
        } else if (!strcmp(o, "--without") && v) {
            without = argv[++i];
            if (feature_mask(without, e.topt.feat_off) < 0) return 2;
        } else if (!strcmp(o, "--subsample") && v) {
            e.topt.subsample = parse_num(o, argv[++i], 0.05, 1);
        } else if (!strcmp(o, "--bags") && v) {
            e.topt.bags = (int)parse_num(o, argv[++i], 1, 8);
        } else if (!strcmp(o, "--balance") && v) {
            e.topt.balance = parse_num(o, argv[++i], 0, 1);
        } else if (!strcmp(o, "--neg-reps") && v) {
            e.neg_reps = (int)parse_num(o, argv[++i], 1, 100);
        } else if (!strcmp(o, "--dump")) {
            e.dump = 1;
        } else if (!strcmp(o, "--set") && v) {
            char kv[128];
            snprintf(kv, sizeof(kv), "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (!eq || (*eq = 0, st_detect_params_set(&e.cfg.detect, kv, eq + 1))) {
                fprintf(stderr, "audio-eval: --set %s: unknown key or bad value\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(o, "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    char dir[PATH_MAX];
    if (resolve_corpus(corpus, argv[0], dir, sizeof(dir))) {
        fprintf(stderr, "audio-eval: corpus folder %s not found\n", corpus);
        return 1;
    }
    if (e.extra_only && (!extra_dir || lc_draws)) {
        fprintf(stderr, "audio-eval: --extra-only needs --extra-train DIR and no "
                        "--learning-curve\n");
        return 2;
    }
    if (extra_dir && (mode == M_MODEL || mode == M_RULES)) {
        fprintf(stderr, "audio-eval: --extra-train adds training data: use it with --cv, "
                        "--holdout or --train\n");
        return 2;
    }
    if (e.topt.bags > 1 && (e.topt.subsample >= 1 || e.topt.trees * NCLS * e.topt.bags > 4000)) {
        fprintf(stderr,
                "audio-eval: --bags %d: each model needs a --subsample below 1 of its own, "
                "and trees x 5 classes x bags may be at most 4000 (a model file's limit)\n",
                e.topt.bags);
        return 2;
    }
    if (without && (mode == M_MODEL || mode == M_RULES)) {
        fprintf(stderr, "audio-eval: --without changes what models are trained on: use it with "
                        "--cv, --holdout or --train\n");
        return 2;
    }
    e.rng = seed;
    if (load_manifest(&e, dir, 0)) return 1;
    e.nscored = e.nclips;
    if (extra_dir && load_manifest(&e, extra_dir, 1)) return 1;
    size_t nbed = 0;
    for (size_t i = 0; i < e.nclips; i++) nbed += !strcmp(e.clips[i].cls, "bed");
    if (!nbed) {
        fprintf(stderr, "audio-eval: %s: no street_ambience bed of 2 s or more\n", dir);
        return 1;
    }
    static const char *mode_name[] = {"cross-validation", "holdout dev->test", "model", "rules",
                                      "train"};
    printf("# corpus %s: %zu clips, %zu beds, seed %llu, mode %s", dir, e.nclips, nbed, seed,
           mode_name[mode]);
    if (mode == M_CV) printf(" (%d folds by %s)", e.nfolds, e.by_clip ? "clip" : "source group");

    if (mode != M_HOLDOUT) printf(", split %s", e.split < 0 ? "all" : e.split ? "test" : "dev");
    printf(", negative scenes per clip and SNR %d\n", e.neg_reps);
    if (extra_dir) {
        size_t per[NPOS + NNEG] = {0};
        for (size_t i = e.nscored; i < e.nclips; i++) {
            int k = class_index(e.clips[i].cls, pos_classes, NPOS);
            if (k < 0) k = NPOS + class_index(e.clips[i].cls, neg_classes, NNEG);
            per[k]++;
        }
        printf("# extra training corpus %s: %zu clips (shout %zu, scream %zu, glass %zu, bang %zu, "
               "speech %zu, laughter_cheer %zu, music %zu, traffic_horn_siren %zu)%s\n",
               extra_dir, e.nclips - e.nscored, per[0], per[1], per[2], per[3], per[4], per[5],
               per[6], per[7], e.extra_only ? "; models trained on it alone" : "");
    }
    /* --extra-only: every model leaves out the scenes of the scored corpus' clips */
    unsigned char *only_extra = NULL;
    if (e.extra_only) {
        if (!(only_extra = calloc(e.nclips, 1))) {
            perror("audio-eval");
            return 1;
        }
        for (size_t i = 0; i < e.nscored; i++) only_extra[i] = 1;
    }
    int rc = 0;
    if (mode == M_RULES) {
        evaluate(&e);
        report(&e.sc);
    } else if (mode == M_MODEL) {
        char err[512];
        st_detect_model *m = st_detect_model_load(model_path, err, sizeof(err));
        if (!m) {
            fprintf(stderr, "audio-eval: %s\n", err);
            return 1;
        }
        e.cfg.model = m;
        evaluate(&e);
        report(&e.sc);
        st_detect_model_free(m);
    } else {
        collect_training(&e, seed);
        size_t cnt[NCLS] = {0};
        for (size_t i = 0; i < e.nsamples; i++) cnt[e.samples[i].label]++;
        printf("# training segments: %zu (none %zu, shout %zu, scream %zu, glass %zu, bang %zu)\n",
               e.nsamples, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4]);
        /* the recall ceiling of a segment classifier: positives that have a
         * candidate segment starting within the collar of their onset */
        for (int k = 0; k < NPOS; k++) {
            printf("# candidate at onset, %s by training SNR 0/3/6/9/12/15/20:", pos_classes[k]);
            for (int si = 0; si < 7; si++) printf(" %ld/%ld", e.cand_hit[k][si], e.cand_all[k][si]);
            printf("\n");
        }
        st_train_model *m = NULL;
        if (mode == M_TRAIN) {
            unsigned excl = e.split >= 0 ? 1u << (1 - e.split) : 0u;
            m = train(&e, 0, excl, only_extra);
            FILE *f = fopen(train_out, "w");
            if (!f) {
                fprintf(stderr, "audio-eval: %s: %s\n", train_out, strerror(errno));
                return 1;
            }
            char how[1280];
            snprintf(how, sizeof(how), "build/bench/audio-eval --train (seed %llu, split %s%s%s%s)",
                     seed,
                     e.split < 0 ? "all"
                     : e.split   ? "test"
                                 : "dev",
                     extra_dir ? (e.extra_only ? ", --extra-train only" : ", with --extra-train")
                               : "",
                     without ? ", --without " : "", without ? without : "");
            int wrc = st_train_model_write(m, f, e.thr, how);
            if (fclose(f) || wrc < 0) {
                fprintf(stderr, "audio-eval: %s: write error\n", train_out);
                return 1;
            }
            segment_report(&e, m, ~0u, ~0u, "training fit (resubstitution)");
            printf("# wrote %s\n", train_out);
        } else if (mode == M_HOLDOUT) {
            m = train(&e, 0, 1u << 1, only_extra);
            printf("# holdout: trained on %zu segments of scenes with dev clips only\n",
                   st_train_model_segments(m));
            segment_report(&e, m, ~0u, 1u << 1, "test half");
            st_detect_model *dm = to_detector(&e, m);
            e.cfg.model = dm;
            e.split = 1;
            e.rng = seed;
            evaluate(&e);
            st_detect_model_free(dm);
            report(&e.sc);
        } else {
            /* with --split, cross-validate within that half only */
            unsigned excl_split = e.split >= 0 ? 1u << (1 - e.split) : 0u;
            st_train_model *models[MAXFOLDS] = {NULL};
            if (lc_draws) {
                learning_curve(&e, models, lc_draws, thr, nthr, excl_split, seed);
            } else {
                unsigned char *drop[MAXFOLDS];
                for (int k = 0; k < e.nfolds; k++) drop[k] = only_extra;
                cv_train(&e, models, excl_split, only_extra ? drop : NULL, 1);
                if (nthr) {
                    sweep(&e, models, thr, nthr, seed);
                } else {
                    cv_score(&e, models, e.thr, seed);
                    report(&e.sc);
                }
            }
            for (int k = 0; k < e.nfolds; k++) st_train_model_free(models[k]);
        }
        st_train_model_free(m);
    }
    for (size_t i = 0; i < e.nclips; i++) free(e.clips[i].x);
    free(e.samples);
    free(only_extra);
    return rc;
}
