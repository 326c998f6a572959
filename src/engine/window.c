/* Rolling time windows: O(1) push and O(1) windowed sums over observation time. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "engine/window.h"

/* Buckets older than any sane epoch: marks a slot that holds nothing yet. */
#define NO_BUCKET INT64_MIN
/* Keep bucket numbers far from int64 overflow (|t / bucket_s| < 2^60). */
#define MAX_BUCKET_NO 1.15e18

typedef struct bucket {
    int64_t no; /* absolute bucket number floor(t / bucket_s), NO_BUCKET if empty */
    double sum, count, max;
} bucket;

struct st_window {
    double bucket_s;
    size_t nspans;
    int64_t span_n[ST_WINDOW_SPANS]; /* buckets per span */
    double sum[ST_WINDOW_SPANS], count[ST_WINDOW_SPANS];
    int64_t head; /* newest bucket number, NO_BUCKET before the first push */
    int64_t nb;   /* ring size = longest span in buckets */
    bucket *ring;
};

st_window *st_window_new(double bucket_s, const double *spans_s, size_t nspans)
{
    st_window *w = NULL;
    if (!(bucket_s > 0 && bucket_s <= 3600) || !spans_s || nspans == 0 ||
        nspans > ST_WINDOW_SPANS) {
        errno = EINVAL;
        return NULL;
    }
    w = calloc(1, sizeof(*w));
    if (!w) goto fail;
    w->bucket_s = bucket_s;
    w->nspans = nspans;
    w->head = NO_BUCKET;
    for (size_t i = 0; i < nspans; i++) {
        if (!(spans_s[i] > 0 && spans_s[i] <= 86400)) {
            errno = EINVAL;
            goto fail;
        }
        double n = ceil(spans_s[i] / bucket_s - 1e-9);
        w->span_n[i] = n < 1 ? 1 : (int64_t)n;
        if (w->span_n[i] > w->nb) w->nb = w->span_n[i];
    }
    w->ring = malloc((size_t)w->nb * sizeof(*w->ring));
    if (!w->ring) goto fail;
    for (int64_t i = 0; i < w->nb; i++) w->ring[i].no = NO_BUCKET;
    return w;
fail: /* errno set above or by the allocator */
    st_window_free(w);
    return NULL;
}

void st_window_free(st_window *w)
{
    if (!w) return;
    free(w->ring);
    free(w);
}

static bucket *slot(const st_window *w, int64_t no)
{
    int64_t i = no % w->nb;
    if (i < 0) i += w->nb;
    return &w->ring[i];
}

/* Exact sums from the buckets; bounds the drift of the running sums. */
static void recompute(st_window *w)
{
    for (size_t s = 0; s < w->nspans; s++) {
        double sum = 0, count = 0;
        for (int64_t no = w->head - w->span_n[s] + 1; no <= w->head; no++) {
            const bucket *b = slot(w, no);
            if (b->no == no) {
                sum += b->sum;
                count += b->count;
            }
        }
        w->sum[s] = sum;
        w->count[s] = count;
    }
}

static void reset_all(st_window *w, int64_t head)
{
    for (int64_t i = 0; i < w->nb; i++) w->ring[i].no = NO_BUCKET;
    for (size_t s = 0; s < w->nspans; s++) w->sum[s] = w->count[s] = 0;
    w->head = head;
}

static void advance_to(st_window *w, int64_t to)
{
    if (w->head == NO_BUCKET || to - w->head >= w->nb) {
        reset_all(w, to); /* everything older has left every span */
        return;
    }
    while (w->head < to) {
        int64_t h = ++w->head;
        for (size_t s = 0; s < w->nspans; s++) {
            const bucket *out = slot(w, h - w->span_n[s]);
            if (out->no == h - w->span_n[s]) {
                w->sum[s] -= out->sum;
                w->count[s] -= out->count;
            }
        }
        /* The slot for h held bucket h - nb, which has just left the longest span. */
        bucket *b = slot(w, h);
        b->no = h;
        b->sum = b->count = 0;
        b->max = -INFINITY;
        if (h % w->nb == 0) recompute(w);
    }
}

static int bucket_no(const st_window *w, double t, int64_t *no)
{
    double q = floor(t / w->bucket_s);
    if (!isfinite(q) || fabs(q) > MAX_BUCKET_NO) return -EINVAL;
    *no = (int64_t)q;
    return 0;
}

int st_window_push(st_window *w, double t, double x)
{
    int64_t no;
    if (!isfinite(x) || bucket_no(w, t, &no) < 0) return -EINVAL;
    if (w->head == NO_BUCKET || no > w->head) advance_to(w, no);
    if (no <= w->head - w->nb) return -EINVAL; /* older than the longest span */
    bucket *b = slot(w, no);
    if (b->no != no) { /* a late bucket never opened since the first push */
        b->no = no;
        b->sum = b->count = 0;
        b->max = -INFINITY;
    }
    b->sum += x;
    b->count += 1;
    if (x > b->max) b->max = x;
    for (size_t s = 0; s < w->nspans; s++) {
        if (no > w->head - w->span_n[s]) {
            w->sum[s] += x;
            w->count[s] += 1;
        }
    }
    return 0;
}

void st_window_advance(st_window *w, double now)
{
    int64_t no;
    if (w->head == NO_BUCKET || bucket_no(w, now, &no) < 0) return;
    if (no > w->head) advance_to(w, no);
}

void st_window_get(const st_window *w, size_t span, double *sum, double *count)
{
    double s = 0, c = 0;
    if (span < w->nspans && w->head != NO_BUCKET) {
        /* Counts are whole numbers; a running count that reached zero means
         * the span is empty, whatever rounding is left in the sum. */
        c = w->count[span] < 0.5 ? 0 : w->count[span];
        s = c == 0 || w->sum[span] < 0 ? 0 : w->sum[span];
    }
    *sum = s;
    *count = c;
}

double st_window_span_s(const st_window *w, size_t span)
{
    return span < w->nspans ? (double)w->span_n[span] * w->bucket_s : 0;
}

double st_window_max(const st_window *w, size_t span)
{
    double m = -INFINITY;
    if (span >= w->nspans || w->head == NO_BUCKET) return m;
    for (int64_t no = w->head - w->span_n[span] + 1; no <= w->head; no++) {
        const bucket *b = slot(w, no);
        if (b->no == no && b->max > m) m = b->max;
    }
    return m;
}
