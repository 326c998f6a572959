/* Experiment arms: stratified permuted-block randomisation, Thompson sampling, pinned policies. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/experiment.h"
#include "stratum/rng.h"

#define MAX_BLOCK  (8 * (ST_EXP_MAX_ARMS + 1))
#define NARMS_ALL  (ST_EXP_MAX_ARMS + 1)
#define DEF_WINDOW 600.0

/* Unbiased integer in [0, n) (Lemire's rejection on the top bits is overkill
 * here; plain rejection of the biased tail is exact). */
static uint64_t rng_below(st_rng *r, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, v;
    do v = st_rng_next(r);
    while (v >= lim);
    return v % n;
}

/* Gamma(a, 1) by Marsaglia & Tsang (ACM TOMS 26(3), 2000); a < 1 through
 * Gamma(a + 1) * U^(1/a). */
static double rng_gamma(st_rng *r, double a)
{
    if (a < 1) {
        double u = st_rng_unif(r);
        return rng_gamma(r, a + 1) * pow(u > 0 ? u : 0x1.0p-53, 1 / a);
    }
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = st_rng_gauss(r), v = 1 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = st_rng_unif(r);
        if (u < 1 - 0.0331 * x * x * x * x) return d * v;
        if (log(u > 0 ? u : 0x1.0p-53) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
    }
}

static double rng_beta(st_rng *r, double a, double b)
{
    double x = rng_gamma(r, a), y = rng_gamma(r, b);
    return x + y > 0 ? x / (x + y) : 0.5;
}

typedef struct stratum_seq {
    int64_t block; /* current block number, -1 before the first */
    int pos;       /* next position in perm */
    int64_t draws; /* assignments made in this stratum */
    uint64_t block_seed;
    unsigned char perm[MAX_BLOCK];
} stratum_seq;

typedef struct arm_rt {
    char actions[ST_EXP_MAX_ACTION][2 * ST_ACTION_MAX];
    size_t nactions;
    double alpha, beta; /* Thompson posterior */
} arm_rt;

struct st_experiment {
    st_exp_params p;
    size_t k; /* arms including control */
    int fixed;
    int block;
    uint64_t seed;
    st_rng thompson;
    int64_t decisions;
    arm_rt arm[NARMS_ALL];
    stratum_seq strata[ST_EXP_STRATA];
    st_experiment_hook_fn hook; /* validation only: may replace an assigned arm */
    void *hook_ctx;
};

static const char *const policy_names[] = {"rules", "fixed", "control", "random", "thompson"};

const char *st_exp_policy_name(st_exp_policy p)
{
    return (unsigned)p < 5 ? policy_names[p] : "unknown";
}

int st_exp_policy_parse(const char *s)
{
    for (int i = 0; s && i < 5; i++)
        if (!strcmp(s, policy_names[i])) return i;
    return -1;
}

static const char *const strata_names[ST_EXP_STRATA] = {"early/low", "early/mid", "early/high",
                                                        "peak/low",  "peak/mid",  "peak/high",
                                                        "late/low",  "late/mid",  "late/high"};

const char *st_experiment_stratum_name(int s)
{
    return s >= 0 && s < ST_EXP_STRATA ? strata_names[s] : NULL;
}

int st_experiment_stratum_parse(const char *s)
{
    for (int i = 0; s && i < ST_EXP_STRATA; i++)
        if (!strcmp(s, strata_names[i])) return i;
    return -1;
}

void st_exp_params_default(st_exp_params *p)
{
    memset(p, 0, sizeof(*p));
    p->policy = ST_EXP_POLICY_RULES;
    p->window_s = DEF_WINDOW;
    p->washout_s = 0; /* measured: it halves the episodes and does not remove the bias */
    p->peak_from = 23;
    p->late_from = 2;
    p->crowd_low = 0.4;
    p->crowd_high = 0.8;
    p->prior_weight = 20;
}

static int name_ok(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0 || n == cap) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '+' || c == '.'))
            return 0;
    }
    return 1;
}

/* "scene:calm-warm, music:calm" into rt->actions; kinds must be scene, music or alert. */
static int parse_actions(const char *text, arm_rt *rt)
{
    char buf[ST_EXP_ACTIONS];
    if (!memchr(text, 0, ST_EXP_ACTIONS)) return -EINVAL;
    snprintf(buf, sizeof(buf), "%s", text);
    rt->nactions = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') tok++;
        size_t n = strlen(tok);
        while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t')) tok[--n] = 0;
        if (!n) continue;
        char *colon = strchr(tok, ':');
        if (!colon || rt->nactions == ST_EXP_MAX_ACTION) return -EINVAL;
        *colon = 0;
        if (strcmp(tok, "scene") && strcmp(tok, "music") && strcmp(tok, "alert")) return -EINVAL;
        if (!name_ok(colon + 1, ST_ACTION_MAX)) return -EINVAL;
        *colon = ':';
        snprintf(rt->actions[rt->nactions++], sizeof(rt->actions[0]), "%s", tok);
    }
    return rt->nactions ? 0 : -EINVAL;
}

st_experiment *st_experiment_new(const st_exp_params *p)
{
    st_experiment *x = NULL;
    if (!p || p->narms > ST_EXP_MAX_ARMS || (unsigned)p->policy > ST_EXP_POLICY_THOMPSON ||
        !memchr(p->control_scene, 0, sizeof(p->control_scene)) ||
        !memchr(p->fixed_arm, 0, sizeof(p->fixed_arm)))
        goto inval;
    if (p->control_scene[0] && !name_ok(p->control_scene, ST_ACTION_MAX)) goto inval;
    if (p->peak_from < 0 || p->peak_from > 23 || p->late_from < 0 || p->late_from > 23) goto inval;
    if (!(p->washout_s >= 0) || !isfinite(p->washout_s)) goto inval;
    if (!(p->crowd_low >= 0 && p->crowd_high >= p->crowd_low) || !isfinite(p->crowd_high))
        goto inval;
    x = calloc(1, sizeof(*x));
    if (!x) return NULL; /* errno ENOMEM */
    x->p = *p;
    x->k = p->narms + 1;
    if (!(x->p.window_s > 0) || !isfinite(x->p.window_s)) x->p.window_s = DEF_WINDOW;
    if (x->p.peak_from == x->p.late_from) {
        x->p.peak_from = 23;
        x->p.late_from = 2;
    }
    if (x->p.crowd_low == 0 && x->p.crowd_high == 0) {
        x->p.crowd_low = 0.4;
        x->p.crowd_high = 0.8;
    }
    if (!(x->p.prior_weight >= 0) || !isfinite(x->p.prior_weight)) x->p.prior_weight = 20;
    for (size_t i = 0; i < p->narms; i++) {
        const st_exp_arm *a = &p->arms[i];
        if (!name_ok(a->name, sizeof(a->name)) || !strcmp(a->name, "control") ||
            !strcmp(a->name, "rules") || parse_actions(a->actions, &x->arm[i + 1]) < 0)
            goto inval;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->arms[j].name, a->name)) goto inval;
    }
    for (size_t i = 0; i < x->k; i++) x->arm[i].alpha = x->arm[i].beta = 1;
    x->fixed = ST_EXP_CONTROL;
    if (p->policy == ST_EXP_POLICY_FIXED) {
        x->fixed = st_experiment_arm_find(x, p->fixed_arm);
        if (x->fixed < 0) goto inval;
    }
    if ((p->policy == ST_EXP_POLICY_RANDOM || p->policy == ST_EXP_POLICY_THOMPSON) && !p->narms)
        goto inval;
    /* A block holds every arm equally often: round up to a multiple of k. */
    int b = p->block_size > 0 ? p->block_size : 2 * (int)x->k;
    b = (b + (int)x->k - 1) / (int)x->k * (int)x->k;
    if (b > MAX_BLOCK) b = MAX_BLOCK / (int)x->k * (int)x->k;
    x->block = b;
    x->seed = p->seed;
    if (!x->seed) {
        /* Not reproducible by design, but recorded with every episode. */
        if (sodium_init() < 0) goto inval;
        while (!x->seed) randombytes_buf(&x->seed, sizeof(x->seed));
    }
    st_rng_seed(&x->thompson, x->seed ^ 0x74686f6d70ULL);
    for (int s = 0; s < ST_EXP_STRATA; s++) x->strata[s].block = -1;
    return x;
inval:
    st_experiment_free(x);
    errno = EINVAL;
    return NULL;
}

void st_experiment_free(st_experiment *x)
{
    free(x);
}

st_exp_policy st_experiment_policy(const st_experiment *x)
{
    return x->p.policy;
}

uint64_t st_experiment_seed(const st_experiment *x)
{
    return x->seed;
}

double st_experiment_window(const st_experiment *x)
{
    return x->p.window_s;
}

double st_experiment_washout(const st_experiment *x)
{
    return x->p.washout_s;
}

size_t st_experiment_arm_count(const st_experiment *x)
{
    return x->k;
}

const char *st_experiment_arm_name(const st_experiment *x, int arm)
{
    if (arm == ST_EXP_RULES) return "rules";
    if (arm == ST_EXP_CONTROL) return "control";
    if (arm < 0 || (size_t)arm >= x->k) return NULL;
    return x->p.arms[arm - 1].name;
}

int st_experiment_arm_find(const st_experiment *x, const char *name)
{
    if (!name) return -1;
    for (size_t i = 0; i < x->k; i++)
        if (!strcmp(st_experiment_arm_name(x, (int)i), name)) return (int)i;
    return -1;
}

int st_experiment_stratum(const st_experiment *x, int hour, double crowd)
{
    int h = ((hour % 24) + 24) % 24, pf = x->p.peak_from, lf = x->p.late_from;
    /* Hours run 12..23, 0..11 through the night: shift so that noon is 0. */
    int rh = (h + 12) % 24, rpf = (pf + 12) % 24, rlf = (lf + 12) % 24;
    int band = rh < rpf ? 0 : rh < rlf ? 1 : 2;
    int c = !isfinite(crowd) ? 1 : crowd < x->p.crowd_low ? 0 : crowd < x->p.crowd_high ? 1 : 2;
    return band * 3 + c;
}

/* The permutation of block b in stratum s: Fisher-Yates over k arms repeated,
 * driven by a seed derived from (experiment seed, s, b) and recorded with the
 * episode, so an auditor can recompute every assignment. */
static void new_block(st_experiment *x, int s)
{
    stratum_seq *q = &x->strata[s];
    q->block++;
    uint64_t m = x->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(s + 1)) ^
                 (0xbf58476d1ce4e5b9ULL * (uint64_t)(q->block + 1));
    q->block_seed = st_splitmix64(&m);
    st_rng r;
    st_rng_seed(&r, q->block_seed);
    for (int i = 0; i < x->block; i++) q->perm[i] = (unsigned char)(i % (int)x->k);
    for (int i = x->block - 1; i > 0; i--) {
        int j = (int)rng_below(&r, (uint64_t)i + 1);
        unsigned char t = q->perm[i];
        q->perm[i] = q->perm[j];
        q->perm[j] = t;
    }
    q->pos = 0;
}

int st_experiment_assign(st_experiment *x, int stratum, st_exp_assignment *out)
{
    if (!x || !out || stratum < 0 || stratum >= ST_EXP_STRATA) return -EINVAL;
    memset(out, 0, sizeof(*out));
    out->stratum = stratum;
    out->policy = x->p.policy;
    out->seed = x->seed;
    switch (x->p.policy) {
    case ST_EXP_POLICY_RULES:
        out->arm = ST_EXP_RULES;
        break;
    case ST_EXP_POLICY_FIXED:
        out->arm = x->fixed;
        break;
    case ST_EXP_POLICY_CONTROL:
        out->arm = ST_EXP_CONTROL;
        break;
    case ST_EXP_POLICY_RANDOM: {
        stratum_seq *q = &x->strata[stratum];
        if (q->block < 0 || q->pos >= x->block) new_block(x, stratum);
        out->arm = q->perm[q->pos++];
        out->seed = q->block_seed;
        out->draw = q->draws++;
        break;
    }
    case ST_EXP_POLICY_THOMPSON: {
        double best = -1;
        for (size_t i = 0; i < x->k; i++) {
            double v = rng_beta(&x->thompson, x->arm[i].alpha, x->arm[i].beta);
            if (v > best) {
                best = v;
                out->arm = (int)i;
            }
        }
        out->draw = x->decisions++;
        break;
    }
    }
    if (x->hook && out->arm >= 0 && (size_t)out->arm < x->k) {
        int a = x->hook(x->hook_ctx, out->arm, x->k);
        if (a >= 0 && (size_t)a < x->k) out->arm = a;
    }
    return 0;
}

void st_experiment_set_hook(st_experiment *x, st_experiment_hook_fn fn, void *ctx)
{
    x->hook = fn;
    x->hook_ctx = ctx;
}

int st_experiment_allows(const st_experiment *x, int arm, st_act_kind kind, const char *name)
{
    if (arm == ST_EXP_RULES) return 1;
    if (arm <= ST_EXP_CONTROL || (size_t)arm >= x->k || !name) return 0;
    const char *k = st_act_kind_name(kind);
    size_t kl = strlen(k);
    const arm_rt *a = &x->arm[arm];
    for (size_t i = 0; i < a->nactions; i++)
        if (!strncmp(a->actions[i], k, kl) && a->actions[i][kl] == ':' &&
            !strncmp(a->actions[i] + kl + 1, name, ST_ACTION_MAX))
            return 1;
    return 0;
}

void st_experiment_outcome(st_experiment *x, int arm, int settled)
{
    if (!x || arm < 0 || (size_t)arm >= x->k) return;
    if (settled)
        x->arm[arm].alpha += 1;
    else
        x->arm[arm].beta += 1;
}

int st_experiment_set_prior(st_experiment *x, int arm, double s, double f)
{
    if (!x || arm < 0 || (size_t)arm >= x->k || !(s >= 0) || !(f >= 0) || !isfinite(s + f))
        return -EINVAL;
    double n = s + f, w = n > x->p.prior_weight ? x->p.prior_weight / n : 1;
    x->arm[arm].alpha = 1 + s * w;
    x->arm[arm].beta = 1 + f * w;
    return 0;
}

void st_experiment_posterior(const st_experiment *x, int arm, double *alpha, double *beta)
{
    if (arm < 0 || (size_t)arm >= x->k) {
        *alpha = *beta = NAN;
        return;
    }
    *alpha = x->arm[arm].alpha;
    *beta = x->arm[arm].beta;
}

int st_experiment_best_arm(const st_experiment *x)
{
    int best = 0;
    double bm = -1;
    for (size_t i = 0; i < x->k; i++) {
        double m = x->arm[i].alpha / (x->arm[i].alpha + x->arm[i].beta);
        if (m > bm) {
            bm = m;
            best = (int)i;
        }
    }
    return best;
}

int st_experiment_pin(st_experiment *x, const char *what)
{
    if (!x || !what) return -EINVAL;
    int pol = st_exp_policy_parse(what);
    if (pol == ST_EXP_POLICY_FIXED) return -EINVAL; /* "fixed" alone names no arm */
    if (pol < 0) {
        int arm = st_experiment_arm_find(x, what);
        if (arm < 0) return -ENOENT;
        x->p.policy = ST_EXP_POLICY_FIXED;
        x->fixed = arm;
        return 0;
    }
    if ((pol == ST_EXP_POLICY_RANDOM || pol == ST_EXP_POLICY_THOMPSON) && x->k < 2) return -EINVAL;
    x->p.policy = (st_exp_policy)pol;
    if (pol == ST_EXP_POLICY_CONTROL) x->fixed = ST_EXP_CONTROL;
    return 0;
}
