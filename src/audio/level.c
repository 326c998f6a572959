/* Sound level meter per IEC 61672-1: Fast/Slow time weighting, LAeq, LAFmax, LCpeak. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "stratum/audio_level.h"

#define MAX_BLOCK 256

struct st_level {
    double fs, cal_db;
    size_t block;              /* samples per time-weighting block (~1 ms) */
    float wf[MAX_BLOCK];       /* Fast weights (1 - d) d^(B-1-i), d = exp(-1/(fs tau)) */
    float ws[MAX_BLOCK];       /* Slow weights */
    double df_block, ds_block; /* d^B for Fast and Slow */
    double fast, slow;         /* time-weighted mean squares */
    size_t fill;               /* samples in the partial block */
    double pf, ps;             /* partial-block weighted sums (weights of a full block) */
    /* period accumulators */
    double sum_a2, sum_c2, peak_c, max_fast, max_slow, raw_peak;
    long count, clipped;
};

st_level *st_level_new(double fs, double cal_db)
{
    st_level *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    if (!(fs >= 8000.0 && fs <= 384000.0) || !isfinite(cal_db)) {
        errno = EINVAL;
        goto fail;
    }
    m->fs = fs;
    m->cal_db = cal_db;
    m->block = (size_t)(fs / 1000.0 + 0.5);
    if (m->block > MAX_BLOCK) m->block = MAX_BLOCK;
    double df = exp(-1.0 / (fs * ST_LEVEL_TAU_FAST)), ds = exp(-1.0 / (fs * ST_LEVEL_TAU_SLOW));
    for (size_t i = 0; i < m->block; i++) {
        m->wf[i] = (float)((1.0 - df) * pow(df, (double)(m->block - 1 - i)));
        m->ws[i] = (float)((1.0 - ds) * pow(ds, (double)(m->block - 1 - i)));
    }
    m->df_block = pow(df, (double)m->block);
    m->ds_block = pow(ds, (double)m->block);
    return m;
fail:
    st_level_free(m);
    return NULL;
}

void st_level_free(st_level *m)
{
    free(m);
}

static double to_db(double ms, double cal)
{
    return ms > 1e-30 ? 10.0 * log10(ms) + cal : -999.0;
}

void st_level_process(st_level *m, const float *x, const float *a, const float *c, size_t n)
{
    size_t i = 0;
    float pk = 0.0f, rpk = 0.0f;
    long clip = 0;
    double sa = 0.0, sc = 0.0;
    while (i < n) {
        size_t take = m->block - m->fill;
        if (take > n - i) take = n - i;
        /* Weighted block sums: with the block's samples at offsets fill..fill+take-1
         * the weight index is the offset within the block. */
        float pf = 0.0f, ps = 0.0f, ba = 0.0f, bc = 0.0f;
        const float *wf = m->wf + m->fill, *ws = m->ws + m->fill;
        for (size_t k = 0; k < take; k++) {
            float a2 = a[i + k] * a[i + k], c1 = fabsf(c[i + k]), r = fabsf(x[i + k]);
            pf += wf[k] * a2;
            ps += ws[k] * a2;
            ba += a2;
            bc += c[i + k] * c[i + k];
            if (c1 > pk) pk = c1;
            if (r > rpk) rpk = r;
            if (r >= 0.999f) clip++;
        }
        sa += ba, sc += bc;
        m->pf += pf, m->ps += ps;
        m->fill += take;
        i += take;
        if (m->fill == m->block) {
            m->fast = m->fast * m->df_block + m->pf;
            m->slow = m->slow * m->ds_block + m->ps;
            if (m->fast > m->max_fast) m->max_fast = m->fast;
            if (m->slow > m->max_slow) m->max_slow = m->slow;
            m->pf = m->ps = 0.0;
            m->fill = 0;
        }
    }
    m->sum_a2 += sa, m->sum_c2 += sc;
    if (pk > m->peak_c) m->peak_c = pk;
    if (rpk > m->raw_peak) m->raw_peak = rpk;
    m->clipped += clip;
    m->count += (long)n;
}

int st_level_take(st_level *m, st_level_result *out)
{
    if (m->count == 0) return -EAGAIN;
    double n = (double)m->count;
    out->laeq = to_db(m->sum_a2 / n, m->cal_db);
    out->lceq = to_db(m->sum_c2 / n, m->cal_db);
    out->lafmax = to_db(m->max_fast, m->cal_db);
    out->lasmax = to_db(m->max_slow, m->cal_db);
    out->lcpeak = to_db(m->peak_c * m->peak_c, m->cal_db);
    out->seconds = n / m->fs;
    out->clipped = m->clipped;
    out->silent = m->raw_peak < 1.0 / 1048576.0;
    m->sum_a2 = m->sum_c2 = m->peak_c = m->raw_peak = 0.0;
    /* The next period's maxima start from the running time-weighted values. */
    m->max_fast = m->fast;
    m->max_slow = m->slow;
    m->count = m->clipped = 0;
    return 0;
}

double st_level_fast_db(const st_level *m)
{
    return to_db(m->fast, m->cal_db);
}
