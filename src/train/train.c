/* Fitting the audio event classifier that st_detect_model_parse reads: boosted trees, softmax. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/audio_train.h"

#define NCLS         ST_DETECT_NCLASS
#define NF           ST_DETECT_NFEAT
#define P            (NF + 1) /* a row of the standardised design matrix: bias, features */
#define MAXNODES     63       /* depth <= 5 */
#define MAXDEPTH     5
#define LR_ITERS     1500 /* logistic regression: gradient steps */
#define LEAF_LAMBDA  1.0  /* Newton leaf value -G / (H + lambda) */
#define MIN_HESSIAN  1e-3 /* a split leaves at least this much curvature on each side */
#define GAIN_EPSILON 1e-6 /* a split must gain more than this */
#define MAX_BAGS     8
#define MAX_TREES    4000 /* st_detect_model_parse reads at most this many trees */

typedef struct tree_node {
    int feat, left, right; /* feat -1: leaf */
    double thr, value;
} tree_node;

typedef struct tree {
    int cls, n;
    tree_node node[MAXNODES];
} tree;

/* Standardisation, linear logits, and optional boosted trees on the
 * standardised features: what st_detect_model_parse reads. */
struct st_train_model {
    double mean[NF], scale[NF];
    double w[NCLS][P]; /* bias first */
    tree *trees;
    size_t ntrees;
    size_t nseg;       /* segments fitted to */
    st_train_opts opt; /* how (for the file's header) */
};

static const char *const class_names[NCLS] = {"none", "shout", "scream", "glass", "bang"};

void st_train_opts_default(st_train_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->trees = 100, o->depth = 3, o->min_leaf = 5, o->shrink = 0.1, o->subsample = 1, o->bags = 1;
    o->l2 = 0.01, o->balance = 0.5;
}

void st_train_model_free(st_train_model *m)
{
    if (!m) return;
    free(m->trees);
    free(m);
}

size_t st_train_model_segments(const st_train_model *m)
{
    return m->nseg;
}

/* Stable merge sort of idx[0..n) by key (tmp: n entries of scratch). */
static void sort_by(size_t *idx, size_t *tmp, size_t n, const double *z, size_t col)
{
    for (size_t wdt = 1; wdt < n; wdt *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * wdt) {
            size_t mid = lo + wdt < n ? lo + wdt : n, hi = lo + 2 * wdt < n ? lo + 2 * wdt : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid || b < hi)
                tmp[k++] = (b >= hi || (a < mid && z[idx[a] * P + col] <= z[idx[b] * P + col]))
                               ? idx[a++]
                               : idx[b++];
        }
        memcpy(idx, tmp, n * sizeof(size_t));
    }
}

/* Whether the tree_no-th tree grows on segment i under stochastic gradient
 * boosting (Friedman, CSDA 38(4), 2002): a fixed hash (splitmix64) of the
 * tree and segment, so training stays reproducible. */
static int in_subsample(int tree_no, size_t i, double share)
{
    if (share >= 1) return 1;
    uint64_t u = ((uint64_t)tree_no << 32) ^ (uint64_t)i;
    u += 0x9e3779b97f4a7c15ull;
    u = (u ^ (u >> 30)) * 0xbf58476d1ce4e5b9ull;
    u = (u ^ (u >> 27)) * 0x94d049bb133111ebull;
    u ^= u >> 31;
    return (double)(u >> 11) / 9007199254740992.0 < share;
}

/* One boosted model of fit_trees (bag `bag`), its trees appended to m; the
 * other arguments are fit_trees' scratch (n entries each; ord sorted). */
static void fit_bag(st_train_model *m, const double *z, const int *lab, const double *cw, size_t n,
                    int bag, const size_t *ord, double *logit, double *g, double *h, int *node_of,
                    unsigned char *in)
{
    const st_train_opts *o = &m->opt;
    const size_t min_leaf = (size_t)o->min_leaf;
    double wtot = 0;
    for (size_t i = 0; i < n; i++) wtot += cw[lab[i]];
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCLS; c++) logit[i * NCLS + c] = m->w[c][0];
    for (int r = 0; r < o->trees; r++) {
        double prob[NCLS];
        for (int c = 0; c < NCLS; c++) {
            for (size_t i = 0; i < n; i++) {
                double mx = -1e300, tot = 0;
                for (int q = 0; q < NCLS; q++)
                    if (logit[i * NCLS + q] > mx) mx = logit[i * NCLS + q];
                for (int q = 0; q < NCLS; q++) tot += (prob[q] = exp(logit[i * NCLS + q] - mx));
                double pc = prob[c] / tot, wi = cw[lab[i]] / wtot * (double)n;
                g[i] = wi * (pc - (lab[i] == c));
                h[i] = wi * (pc * (1 - pc) > 1e-6 ? pc * (1 - pc) : 1e-6);
                node_of[i] = 0;
                in[i] =
                    (unsigned char)in_subsample((bag * o->trees + r) * NCLS + c, i, o->subsample);
            }
            tree *t = &m->trees[m->ntrees++];
            t->cls = c;
            t->n = 1;
            t->node[0].feat = -1;
            int level_lo = 0, level_hi = 1; /* nodes of the current level */
            for (int d = 0; d <= o->depth; d++) {
                int nl = level_hi - level_lo;
                double G[MAXNODES] = {0}, H[MAXNODES] = {0};
                size_t cnt[MAXNODES] = {0};
                for (size_t i = 0; i < n; i++) {
                    int v = node_of[i] - level_lo;
                    if (v < 0 || v >= nl || !in[i]) continue;
                    G[v] += g[i], H[v] += h[i], cnt[v]++;
                }
                double best[MAXNODES], bthr[MAXNODES];
                int bfeat[MAXNODES];
                for (int v = 0; v < nl; v++) best[v] = GAIN_EPSILON, bfeat[v] = -1, bthr[v] = 0;
                if (d < o->depth && t->n + 2 * nl <= MAXNODES) {
                    for (size_t j = 0; j < NF; j++) {
                        double GL[MAXNODES] = {0}, HL[MAXNODES] = {0}, last[MAXNODES];
                        size_t nL[MAXNODES] = {0};
                        const size_t *oj = ord + j * n;
                        for (size_t q = 0; q < n; q++) {
                            size_t i = oj[q];
                            int v = node_of[i] - level_lo;
                            if (v < 0 || v >= nl || !in[i]) continue;
                            double x = z[i * P + 1 + j];
                            if (nL[v] >= min_leaf && cnt[v] - nL[v] >= min_leaf && x > last[v] &&
                                HL[v] >= MIN_HESSIAN && H[v] - HL[v] >= MIN_HESSIAN) {
                                double GR = G[v] - GL[v], HR = H[v] - HL[v];
                                double gain = GL[v] * GL[v] / (HL[v] + LEAF_LAMBDA) +
                                              GR * GR / (HR + LEAF_LAMBDA) -
                                              G[v] * G[v] / (H[v] + LEAF_LAMBDA);
                                if (gain > best[v])
                                    best[v] = gain, bfeat[v] = (int)j,
                                    bthr[v] = 0.5 * (last[v] + x);
                            }
                            GL[v] += g[i], HL[v] += h[i], nL[v]++, last[v] = x;
                        }
                    }
                }
                int next_lo = t->n;
                for (int v = 0; v < nl; v++) {
                    tree_node *nd = &t->node[level_lo + v];
                    if (bfeat[v] < 0) {
                        nd->feat = -1;
                        nd->value = -o->shrink * G[v] / (H[v] + LEAF_LAMBDA);
                        continue;
                    }
                    nd->feat = bfeat[v], nd->thr = bthr[v];
                    nd->left = t->n++, nd->right = t->n++;
                    t->node[nd->left].feat = t->node[nd->right].feat = -1;
                }
                if (t->n == next_lo) break;
                for (size_t i = 0; i < n; i++) {
                    int v = node_of[i];
                    if (v < 0) continue; /* settled in an earlier level's leaf */
                    if (v < level_lo || v >= level_hi || t->node[v].feat < 0) {
                        node_of[i] = -1 - v; /* settled in leaf v */
                        continue;
                    }
                    const tree_node *nd = &t->node[v];
                    node_of[i] = z[i * P + 1 + (size_t)nd->feat] <= nd->thr ? nd->left : nd->right;
                }
                level_lo = next_lo, level_hi = t->n;
            }
            for (size_t i = 0; i < n; i++) { /* every segment's leaf adds to its logit */
                int v = node_of[i] < 0 ? -1 - node_of[i] : node_of[i];
                logit[i * NCLS + c] += t->node[v].value;
            }
        }
    }
}

/* Gradient-boosted regression trees for the softmax loss: each round fits
 * one depth-limited tree per class to the gradient of the weighted
 * cross-entropy, leaf value -G / (H + lambda), shrunk by `shrink`. Splits are
 * exact: every feature's segments are scanned in sorted order once per level.
 * With bags > 1, that many boosted models are grown, each on subsamples of
 * its own, and averaged (their leaf values divided by bags; the bias is the
 * same for all). z holds the standardised features (row i at z + i P, bias
 * column first). 0 or -ENOMEM. */
static int fit_trees(st_train_model *m, const double *z, const int *lab, const double *cw, size_t n)
{
    const st_train_opts *o = &m->opt;
    double prior[NCLS] = {0}, wtot = 0;
    for (size_t i = 0; i < n; i++) prior[lab[i]] += cw[lab[i]], wtot += cw[lab[i]];
    for (int c = 0; c < NCLS; c++) m->w[c][0] = log((prior[c] + 1e-3) / wtot);
    int rc = -ENOMEM;
    size_t *ord = malloc(NF * n * sizeof(size_t)), *tmp = malloc(n * sizeof(size_t));
    double *logit = malloc(n * NCLS * sizeof(double)), *g = malloc(n * sizeof(double));
    double *h = malloc(n * sizeof(double));
    int *node_of = malloc(n * sizeof(int));
    unsigned char *in = malloc(n);
    m->trees = calloc((size_t)o->trees * NCLS * (size_t)o->bags, sizeof(tree));
    if (!ord || !tmp || !logit || !g || !h || !node_of || !in || !m->trees) goto done;
    for (size_t j = 0; j < NF; j++) { /* sorted order of every feature */
        size_t *oj = ord + j * n;
        for (size_t i = 0; i < n; i++) oj[i] = i;
        sort_by(oj, tmp, n, z, 1 + j);
    }
    for (int b = 0; b < o->bags; b++) fit_bag(m, z, lab, cw, n, b, ord, logit, g, h, node_of, in);
    if (o->bags > 1)
        for (size_t t = 0; t < m->ntrees; t++)
            for (int k = 0; k < m->trees[t].n; k++) m->trees[t].node[k].value /= o->bags;
    rc = 0;
done:
    free(ord), free(tmp), free(logit), free(g), free(h), free(node_of), free(in);
    return rc;
}

/* Multinomial logistic regression (softmax): full-batch gradient descent with
 * Nesterov momentum on the weighted cross-entropy plus l2/2 |w|^2 (bias not
 * penalised). 0 or -ENOMEM. */
static int fit_linear(st_train_model *m, const double *z, const int *lab, const double *cw,
                      size_t n)
{
    const double lr = 0.5, mom = 0.9;
    double(*grad)[P] = calloc(NCLS, sizeof(*grad)), (*vel)[P] = calloc(NCLS, sizeof(*vel));
    double(*look)[P] = calloc(NCLS, sizeof(*look));
    int rc = -ENOMEM;
    if (!grad || !vel || !look) goto done;
    double wsum = 0;
    for (size_t i = 0; i < n; i++) wsum += cw[lab[i]];
    for (int it = 0; it < LR_ITERS; it++) {
        for (int c = 0; c < NCLS; c++)
            for (size_t j = 0; j < P; j++) look[c][j] = m->w[c][j] + mom * vel[c][j];
        memset(grad, 0, NCLS * sizeof(*grad));
        for (size_t i = 0; i < n; i++) {
            const double *x = z + i * P;
            double a[NCLS], amax = -1e300, tot = 0;
            for (int c = 0; c < NCLS; c++) {
                double v = 0;
                for (size_t j = 0; j < P; j++) v += look[c][j] * x[j];
                a[c] = v;
                if (v > amax) amax = v;
            }
            for (int c = 0; c < NCLS; c++) tot += (a[c] = exp(a[c] - amax));
            double wi = cw[lab[i]] / wsum;
            for (int c = 0; c < NCLS; c++) {
                double gc = wi * (a[c] / tot - (c == lab[i]));
                for (size_t j = 0; j < P; j++) grad[c][j] += gc * x[j];
            }
        }
        for (int c = 0; c < NCLS; c++)
            for (size_t j = 0; j < P; j++) {
                double gc = grad[c][j] + (j ? m->opt.l2 * look[c][j] : 0.0);
                vel[c][j] = mom * vel[c][j] - lr * gc;
                m->w[c][j] += vel[c][j];
            }
    }
    rc = 0;
done:
    free(grad), free(vel), free(look);
    return rc;
}

static int opts_ok(const st_train_opts *o)
{
    return o->trees >= 0 && o->trees <= 2000 && o->depth >= 1 && o->depth <= MAXDEPTH &&
           o->bags >= 1 && o->bags <= MAX_BAGS && (o->bags == 1 || o->subsample < 1) &&
           (size_t)o->trees * NCLS * (size_t)o->bags <= MAX_TREES && o->min_leaf >= 1 &&
           o->shrink > 0 && o->shrink <= 1 && o->subsample > 0 && o->subsample <= 1 && o->l2 >= 0 &&
           isfinite(o->l2) && o->balance >= 0 && isfinite(o->balance);
}

st_train_model *st_train_fit(const double *x, const int *label, size_t n, const st_train_opts *o)
{
    if (!x || !label || !o || !n || !opts_ok(o)) {
        errno = EINVAL;
        return NULL;
    }
    size_t cnt[NCLS] = {0};
    double sum[NF] = {0}, ss[NF] = {0};
    for (size_t i = 0; i < n; i++) {
        if (label[i] < 0 || label[i] >= NCLS) {
            errno = EINVAL;
            return NULL;
        }
        cnt[label[i]]++;
        for (size_t j = 0; j < NF; j++) {
            double v = x[i * NF + j];
            if (!isfinite(v)) {
                errno = EINVAL;
                return NULL;
            }
            sum[j] += v, ss[j] += v * v;
        }
    }
    st_train_model *m = calloc(1, sizeof(*m));
    double *z = malloc(n * P * sizeof(double));
    if (!m || !z) goto nomem;
    m->opt = *o, m->nseg = n;
    for (size_t j = 0; j < NF; j++) {
        m->mean[j] = sum[j] / (double)n;
        double v = ss[j] / (double)n - m->mean[j] * m->mean[j];
        m->scale[j] = v > 1e-12 ? sqrt(v) : 1.0;
    }
    double cw[NCLS];
    for (int c = 0; c < NCLS; c++)
        cw[c] = cnt[c] ? pow((double)n / (NCLS * (double)cnt[c]), o->balance) : 0.0;
    for (size_t i = 0; i < n; i++) {
        z[i * P] = 1.0;
        /* a feature left out is a constant 0: no split, no weight */
        for (size_t j = 0; j < NF; j++)
            z[i * P + 1 + j] = o->feat_off[j] ? 0.0 : (x[i * NF + j] - m->mean[j]) / m->scale[j];
    }
    if ((o->trees > 0 ? fit_trees(m, z, label, cw, n) : fit_linear(m, z, label, cw, n)) < 0)
        goto nomem;
    free(z);
    return m;
nomem:
    free(z);
    st_train_model_free(m);
    errno = ENOMEM;
    return NULL;
}

int st_train_model_write(const st_train_model *m, FILE *f, const double *thr, const char *how)
{
    const st_train_opts *o = &m->opt;
    char bags[96] = "";
    if (o->bags > 1)
        snprintf(bags, sizeof(bags), "; the mean of %d such models, each on subsamples of %g",
                 o->bags, o->subsample);
    fprintf(f, "# Trained event classifier of stratum's audio analyser (data/audio-model.txt).\n");
    fprintf(f, "# SPDX-License-Identifier: Apache-2.0\n");
    fprintf(f, "stratum-audio-model 1\n");
    fprintf(f, "# Segment classifier of stratum's audio detector (docs/audio.md, format there).\n");
    fprintf(f, "# x_i = (feature_i - mean_i) / scale_i; logit_c = bias_c + sum_i w_ci x_i\n");
    fprintf(f, "# + the leaf values of class c's trees; p = softmax(logit).\n");
    if (m->ntrees)
        fprintf(f,
                "# Gradient-boosted trees: %d rounds x %d classes, depth %d, shrinkage %g, "
                "min leaf %d%s.\n",
                o->trees, NCLS, o->depth, o->shrink, o->min_leaf, bags);
    else
        fprintf(f, "# Logistic regression, l2 %g.\n", o->l2);
    fprintf(f, "# Trained%s%s on %zu segments, class balance %g.\n", how ? " by " : "",
            how ? how : "", m->nseg, o->balance);
    for (size_t j = 0; j < NF; j++)
        fprintf(f, "feature %s %.9g %.9g\n", st_detect_feature_name(j), m->mean[j], m->scale[j]);
    for (int c = 0; c < NCLS; c++) {
        fprintf(f, "weights %s", class_names[c]);
        for (size_t j = 0; j < P; j++) fprintf(f, " %.9g", m->w[c][j]);
        fprintf(f, "\n");
    }
    for (int c = 1; c < NCLS; c++) fprintf(f, "threshold %s %g\n", class_names[c], thr[c - 1]);
    for (size_t t = 0; t < m->ntrees; t++) {
        const tree *tr = &m->trees[t];
        fprintf(f, "tree %s %d\n", class_names[tr->cls], tr->n);
        for (int k = 0; k < tr->n; k++) {
            const tree_node *nd = &tr->node[k];
            if (nd->feat < 0)
                fprintf(f, "node -1 0 0 0 %.6g\n", nd->value);
            else
                fprintf(f, "node %d %.6g %d %d 0\n", nd->feat, nd->thr, nd->left, nd->right);
        }
    }
    return ferror(f) ? -EIO : 0;
}

st_detect_model *st_train_model_detector(const st_train_model *m, const double *thr)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL; /* errno set */
    int rc = st_train_model_write(m, f, thr, NULL);
    if (fclose(f) || rc < 0) {
        free(buf);
        errno = ENOMEM;
        return NULL;
    }
    char err[256];
    st_detect_model *dm = st_detect_model_parse(buf, err, sizeof(err));
    free(buf);
    return dm; /* NULL + errno (EINVAL: a threshold out of range) */
}
