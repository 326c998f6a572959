/* Sound level meter per IEC 61672-1: Fast/Slow time weighting, LAeq, LAFmax, LCpeak. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Four-lane vectors (GCC/Clang vector extension) for the per-sample sums:
 * the accumulations are order-dependent in C, so without explicit lanes the
 * compiler keeps them scalar. */
typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

static v4f load4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static v4f vmax(v4f a, v4f b)
{
    v4i m = a > b;
    return (v4f)(((v4i)a & m) | ((v4i)b & ~m));
}

static v4f vabs(v4f a)
{
    return (v4f)((v4i)a & 0x7fffffff);
}

void st_level_process(st_level *m, const float *x, const float *a, const float *c, size_t n)
{
    size_t i = 0;
    const v4f zero = {0, 0, 0, 0};
    v4f vpk = zero, vrpk = zero;
    v4i vclip = {0, 0, 0, 0};
    const v4f clip_at = zero + 0.999f;
    float pk = 0.0f, rpk = 0.0f;
    long clip = 0;
    double sa = 0.0, sc = 0.0;
    while (i < n) {
        size_t take = m->block - m->fill;
        if (take > n - i) take = n - i;
        /* Weighted block sums: with the block's samples at offsets fill..fill+take-1
         * the weight index is the offset within the block. */
        const float *wf = m->wf + m->fill, *ws = m->ws + m->fill;
        const float *xa = a + i, *xc = c + i, *xr = x + i;
        v4f vpf = zero, vps = zero, vba = zero, vbc = zero;
        size_t k = 0;
        for (; k + 4 <= take; k += 4) {
            v4f va = load4(xa + k), vc = load4(xc + k), vr = vabs(load4(xr + k));
            v4f a2 = va * va;
            vpf += load4(wf + k) * a2;
            vps += load4(ws + k) * a2;
            vba += a2;
            vbc += vc * vc;
            vpk = vmax(vabs(vc), vpk);
            vrpk = vmax(vr, vrpk);
            vclip -= vr >= clip_at; /* true is -1 */
        }
        float pf = 0.0f, ps = 0.0f, ba = 0.0f, bc = 0.0f;
        for (; k < take; k++) {
            float a2 = xa[k] * xa[k], c1 = fabsf(xc[k]), r = fabsf(xr[k]);
            pf += wf[k] * a2;
            ps += ws[k] * a2;
            ba += a2;
            bc += xc[k] * xc[k];
            if (c1 > pk) pk = c1;
            if (r > rpk) rpk = r;
            if (r >= 0.999f) clip++;
        }
        pf += (vpf[0] + vpf[1]) + (vpf[2] + vpf[3]);
        ps += (vps[0] + vps[1]) + (vps[2] + vps[3]);
        ba += (vba[0] + vba[1]) + (vba[2] + vba[3]);
        bc += (vbc[0] + vbc[1]) + (vbc[2] + vbc[3]);
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
    for (int k = 0; k < 4; k++) {
        if (vpk[k] > pk) pk = vpk[k];
        if (vrpk[k] > rpk) rpk = vrpk[k];
        clip += vclip[k];
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
