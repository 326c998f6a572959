/* Edge audio analyser: levels, bands, features and events per second from a sample stream. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/audio_analyser.h"
#include "stratum/audio_features.h"
#include "stratum/audio_weighting.h"

#define BLOCK 1024 /* samples analysed per step */
#define QSEC  8
#define QEV   32

struct st_analyser {
    st_analyser_config cfg;
    /* the ring buffer: the only store of raw input samples */
    float *ring;
    size_t cap, head, fill;
    /* processing scratch (one block) */
    float blk[BLOCK], wa[BLOCK], wc[BLOCK];
    st_weighting *w;
    st_level *lv;
    st_bands *bands;
    st_features *feat;
    st_detect *det;
    int lf, lp; /* ladder levels feeding features and pitch */
    double fa, fp;
    float *fbuf, *pring, *pframe; /* feature frame (fa), pitch ring and frame (fp) */
    size_t flen, fpos, plen, ppos;
    long fa_count; /* samples seen at fa */
    long sec_samples, sec_len, sec_index;
    st_audio_second cur;
    st_audio_second qs[QSEC];
    size_t qs_head, qs_n;
    st_audio_event qe[QEV];
    size_t qe_head, qe_n;
    long bad, dropped;
    st_analyser_segment_fn seg_fn;
    void *seg_ctx;
};

void st_analyser_config_default(st_analyser_config *c, double fs)
{
    memset(c, 0, sizeof(*c));
    c->fs = fs;
    c->cal_db = 100.0;
    c->ring_s = 0.25;
    st_detect_params_default(&c->detect);
}

void st_analyser_free(st_analyser *a)
{
    if (!a) return;
    free(a->ring);
    free(a->fbuf), free(a->pring), free(a->pframe);
    st_weighting_free(a->w);
    st_level_free(a->lv);
    st_bands_free(a->bands);
    st_features_free(a->feat);
    st_detect_free(a->det);
    free(a);
}

st_analyser *st_analyser_new(const st_analyser_config *c)
{
    st_analyser *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    if (!c || !(c->fs >= 16000.0 && c->fs <= 384000.0) || !isfinite(c->cal_db) ||
        !(c->ring_s >= 0.05 && c->ring_s <= 2.0)) {
        errno = EINVAL;
        goto fail;
    }
    a->cfg = *c;
    a->cap = (size_t)(c->ring_s * c->fs);
    if (a->cap < BLOCK) a->cap = BLOCK;
    a->ring = calloc(a->cap, sizeof(float));
    if (!a->ring) goto fail;
    if (!(a->w = st_weighting_new(c->fs)) || !(a->lv = st_level_new(c->fs, c->cal_db)) ||
        !(a->bands = st_bands_new(c->fs)))
        goto fail;
    /* Features at the lowest ladder rate >= 16 kHz (content to 7 kHz), pitch at
     * the lowest >= 4 kHz (F0 up to 1 kHz); both come free from the band ladder. */
    a->lf = st_bands_level_for_rate(a->bands, 16000.0, &a->fa);
    a->lp = st_bands_level_for_rate(a->bands, 4000.0, &a->fp);
    if (!(a->feat = st_features_new(a->fa, a->fp))) goto fail;
    a->flen = st_features_frame_len(a->feat);
    a->plen = st_features_pitch_len(a->feat);
    if (!(a->det = st_detect_new_with_model(&c->detect, (double)a->flen / a->fa, c->model)))
        goto fail;
    a->fbuf = calloc(a->flen, sizeof(float));
    a->pring = calloc(a->plen, sizeof(float));
    a->pframe = calloc(a->plen, sizeof(float));
    if (!a->fbuf || !a->pring || !a->pframe) goto fail;
    a->sec_len = (long)(c->fs + 0.5);
    return a;
fail:
    st_analyser_free(a);
    return NULL;
}

static void queue_event(st_analyser *a, const st_audio_event *e)
{
    if (a->qe_n == QEV) {
        a->qe_head = (a->qe_head + 1) % QEV;
        a->qe_n--;
        a->dropped++;
    }
    a->qe[(a->qe_head + a->qe_n) % QEV] = *e;
    a->qe_n++;
    if (e->confidence > a->cur.event_conf[e->kind]) a->cur.event_conf[e->kind] = e->confidence;
}

static void close_second(st_analyser *a)
{
    st_audio_second *s = &a->cur;
    if (st_level_take(a->lv, &s->level)) return;
    st_bands_take(a->bands, a->cfg.cal_db, s->band_db);
    s->crowd = st_detect_take_crowd(a->det);
    s->t = (double)a->sec_index;
    if (a->qs_n == QSEC) {
        a->qs_head = (a->qs_head + 1) % QSEC;
        a->qs_n--;
        a->dropped++;
    }
    a->qs[(a->qs_head + a->qs_n) % QSEC] = *s;
    a->qs_n++;
    memset(&a->cur, 0, sizeof(a->cur));
    a->sec_index++;
    a->sec_samples = 0;
}

static void handle_detect(st_analyser *a, int closed, const st_detect_segment *seg)
{
    if (closed && a->seg_fn) a->seg_fn(a->seg_ctx, seg);
    st_audio_event ev;
    while (st_detect_next_event(a->det, &ev)) queue_event(a, &ev);
}

/* Feed decimated samples into the feature and pitch frames. */
static void feed_frames(st_analyser *a, const float *xf, size_t nf, const float *xp, size_t np)
{
    /* Pitch samples go into their ring first: a frame uses the latest plen. */
    while (np > 0) {
        size_t k = a->plen - a->ppos < np ? a->plen - a->ppos : np;
        memcpy(a->pring + a->ppos, xp, k * sizeof(float));
        a->ppos = (a->ppos + k) % a->plen;
        xp += k, np -= k;
    }
    while (nf > 0) {
        size_t k = a->flen - a->fpos < nf ? a->flen - a->fpos : nf;
        memcpy(a->fbuf + a->fpos, xf, k * sizeof(float));
        a->fpos += k, a->fa_count += (long)k;
        xf += k, nf -= k;
        if (a->fpos < a->flen) break;
        a->fpos = 0;
        size_t r = a->plen - a->ppos;
        memcpy(a->pframe, a->pring + a->ppos, r * sizeof(float));
        memcpy(a->pframe + r, a->pring, a->ppos * sizeof(float));
        st_frame_features f;
        st_features_compute(a->feat, a->fbuf, a->pframe, &f);
        st_detect_segment seg;
        int closed = 0;
        st_detect_push(a->det, &f, (double)a->fa_count / a->fa, &seg, &closed);
        handle_detect(a, closed, &seg);
    }
}

/* Analyse n <= BLOCK samples from the ring tail (already copied into blk). */
static void analyse_block(st_analyser *a, size_t n)
{
    st_weighting_process(a->w, a->blk, n, a->wa, a->wc);
    st_level_process(a->lv, a->blk, a->wa, a->wc, n);
    st_bands_process(a->bands, a->blk, n);
    size_t nf = n, np = n;
    const float *xf = a->lf ? st_bands_level_out(a->bands, a->lf, &nf) : a->blk;
    const float *xp = a->lp ? st_bands_level_out(a->bands, a->lp, &np) : a->blk;
    feed_frames(a, xf, nf, xp, np);
    a->sec_samples += (long)n;
    if (a->sec_samples >= a->sec_len) close_second(a);
}

/* Drain the ring in blocks that never straddle a second boundary. */
static void drain(st_analyser *a, int all)
{
    while (a->fill >= BLOCK || (all && a->fill > 0)) {
        size_t n = a->fill < BLOCK ? a->fill : BLOCK;
        size_t left = (size_t)(a->sec_len - a->sec_samples);
        if (n > left) n = left;
        size_t tail = (a->head + a->cap - a->fill) % a->cap, k = a->cap - tail;
        if (k > n) k = n;
        memcpy(a->blk, a->ring + tail, k * sizeof(float));
        memcpy(a->blk + k, a->ring, (n - k) * sizeof(float));
        a->fill -= n;
        analyse_block(a, n);
    }
}

/* Number of samples that are NaN, infinite or beyond +-ST_ANALYSER_MAX_ABS
 * among n, four lanes at a time (|v| <= max is false exactly for them). */
static size_t count_unusable(const float *x, size_t n)
{
    typedef float v4f __attribute__((vector_size(16)));
    typedef int v4i __attribute__((vector_size(16)));
    const float m = ST_ANALYSER_MAX_ABS;
    const v4f big = {m, m, m, m};
    v4i ok = {0, 0, 0, 0};
    size_t i = 0, bad = 0;
    for (; i + 4 <= n; i += 4) {
        v4f v;
        memcpy(&v, x + i, sizeof(v));
        v = (v4f)((v4i)v & 0x7fffffff);
        ok += v <= big; /* true is -1 */
    }
    bad = i - (size_t)(-(ok[0] + ok[1] + ok[2] + ok[3]));
    for (; i < n; i++) bad += !(fabsf(x[i]) <= ST_ANALYSER_MAX_ABS);
    return bad;
}

int st_analyser_push(st_analyser *a, const float *x, size_t n)
{
    while (n > 0) {
        /* copy up to the ring's end and up to one block, then analyse */
        size_t k = a->cap - a->head, room = a->cap - a->fill;
        if (k > n) k = n;
        if (k > room) k = room;
        if (k > BLOCK) k = BLOCK;
        float *dst = a->ring + a->head;
        memcpy(dst, x, k * sizeof(float));
        /* NaN and infinities become 0 (and are counted); finite samples far
         * beyond full scale (a corrupt float file) are limited, so that no
         * square or filter state downstream can overflow (found by
         * fuzz/fuzz_audio.c: 1e22 gave an infinite LAeq) */
        if (count_unusable(dst, k))
            for (size_t i = 0; i < k; i++) {
                if (!isfinite(dst[i]))
                    dst[i] = 0.0f, a->bad++;
                else if (!(fabsf(dst[i]) <= ST_ANALYSER_MAX_ABS))
                    dst[i] = copysignf(ST_ANALYSER_MAX_ABS, dst[i]);
            }
        a->head = (a->head + k) % a->cap;
        a->fill += k;
        x += k, n -= k;
        if (a->fill >= BLOCK) drain(a, 0);
    }
    return 0;
}

int st_analyser_flush(st_analyser *a)
{
    drain(a, 1);
    st_detect_segment seg;
    int closed = 0;
    st_detect_flush(a->det, &seg, &closed);
    handle_detect(a, closed, &seg);
    if (a->sec_samples > 0) close_second(a);
    return 0;
}

int st_analyser_next_second(st_analyser *a, st_audio_second *out)
{
    if (!a->qs_n) return 0;
    *out = a->qs[a->qs_head];
    a->qs_head = (a->qs_head + 1) % QSEC;
    a->qs_n--;
    return 1;
}

int st_analyser_next_event(st_analyser *a, st_audio_event *out)
{
    if (!a->qe_n) return 0;
    *out = a->qe[a->qe_head];
    a->qe_head = (a->qe_head + 1) % QEV;
    a->qe_n--;
    return 1;
}

void st_analyser_set_segment_observer(st_analyser *a, st_analyser_segment_fn fn, void *ctx)
{
    a->seg_fn = fn;
    a->seg_ctx = ctx;
}

long st_analyser_bad_samples(const st_analyser *a)
{
    return a->bad;
}

long st_analyser_dropped(const st_analyser *a)
{
    return a->dropped;
}

void st_analyser_rates(const st_analyser *a, double *fa, double *fp)
{
    if (fa) *fa = a->fa;
    if (fp) *fp = a->fp;
}
