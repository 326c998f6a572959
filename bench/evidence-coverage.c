/* Evidence coverage: many simulated nights with known true effects, through the real engine. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For each true-effect setting (including no effect) this program runs
 *   1. "truth" nights with every episode forced into one arm (control, then
 *      each intervention arm): the pooled incident rate per episode under each
 *      arm, and so the true risk difference, with its Monte Carlo error
 *      (cluster-robust over nights);
 *   2. experiment nights under stratified randomisation, summed into reports
 *      of --report-nights nights (a week by default): per report the effect
 *      estimates of each arm against control with their 95 % intervals, as
 *      `stratum evidence report` computes them (st_report_compare) and, for
 *      comparison, crude (Newcombe, Welch), giving bias, coverage and the
 *      false-positive rate of "interval excludes 0"; on the first --cf-nights
 *      nights also the per-episode truth (every episode under every arm);
 *   3. Thompson-sampling nights: how often the arm with the highest posterior
 *      mean at the end of the night is the truly best arm (highest true rate of
 *      "settled within the window").
 * Simulator, engine, SenML parsing and policy are the real ones, in-process
 * and at full speed; nights are shared over --jobs forked workers.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stratum/config.h"
#include "stratum/engine.h"
#include "stratum/episodes.h"
#include "stratum/experiment.h"
#include "stratum/report.h"
#include "stratum/senml.h"
#include "stratum/sim.h"
#include "stratum/stats.h"

#define NARMS 3 /* control, calm-warm, full */
static const char *const arm_names[NARMS] = {"control", "calm-warm", "full"};

typedef struct setting {
    const char *name;
    double calm_warm, music, warning, critical, bright;
} setting;

static const setting settings[] = {
    {"no effect", 0, 0, 0, 0, 0},
    {"default effects", 0.35, 0.2, 0.5, 0.6, 0},
    {"strong scene", 0.8, 0.2, 0.5, 0.6, 0},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* One night's tallies per arm. */
typedef struct night {
    int n[NARMS], inc[NARMS], settled[NARMS];
    double tc[NARMS], tc2[NARMS]; /* sums of min(time to calm, window) and its square */
    /* The same counts per randomisation stratum, for the stratified estimate. */
    long sn[ST_EXP_STRATA][NARMS], sinc[ST_EXP_STRATA][NARMS], sset[ST_EXP_STRATA][NARMS];
    double stc[ST_EXP_STRATA][NARMS], stc2[ST_EXP_STRATA][NARMS];
    int best; /* Thompson: arm with the highest posterior mean at the end */
    int done;
    /* Per-episode counterfactual truth (randomised nights): episodes whose
     * outcome is known under every arm, and the sums of those outcomes. */
    int cf_n;
    double cf_sum[NARMS][3]; /* [arm][incident, settled, time to calm] */
} night;

typedef struct opts {
    int nights, truth_nights, ts_nights, jobs, zones;
    double hours, onset, hazard, incident_s, washout_s;
    int only;       /* 1-based setting to run alone; 0 = all */
    int cf;         /* experiment nights (the first ones) with the per-episode truth */
    int per_report; /* nights pooled into one report (estimate and interval); 1 = a night */
    int block_size; /* experiment.block_size; 0 = the default */
} opts;

/* What a counterfactual child reports of its episode. */
typedef struct cf_result {
    int done;
    double y[3]; /* incident, settled, time to calm */
} cf_result;

/* Per zone: the episode under way in the parent, with its other arms' outcomes. */
typedef struct cf_pending {
    int open, ok;
    double y[NARMS][3];
} cf_pending;

typedef struct night_ctx {
    st_senml *parser;
    st_engine *engine;
    st_sim *sim;
    night *out;
    /* Counterfactual truth: at each assignment the night forks once per other
     * arm; the child forces that arm on the episode, runs until the episode's
     * window closes, reports its outcome and exits. Same state, same seeds:
     * only this episode's arm differs. */
    int cf, cf_child, cf_zone;
    cf_result *slot;       /* MAP_SHARED, one result at a time */
    cf_result last[NARMS]; /* from the children of the latest assignment */
    int last_arm, last_fresh;
    cf_pending pend[ST_MAX_ZONES];
} night_ctx;

/* Outcome vector of an episode: incident, settled, min(time to calm, window). */
static void outcome_y(const st_episode *ep, const st_episode_outcome *o, double y[3])
{
    y[0] = o->incident;
    y[1] = st_episode_settled(o);
    y[2] = isfinite(o->calm_after_s) && o->calm_after_s < ep->window_s ? o->calm_after_s
                                                                       : ep->window_s;
}

static int zone_index(const char *zone)
{
    long z = zone[0] == 'z' ? strtol(zone + 1, NULL, 10) - 1 : -1;
    return z >= 0 && z < ST_MAX_ZONES ? (int)z : -1;
}

static int cf_hook(void *ctx, int arm, size_t k)
{
    night_ctx *c = ctx;
    if (!c->cf || c->cf_child || k != NARMS) return arm;
    for (int a = 0; a < NARMS; a++) {
        c->last[a].done = 0;
        if (a == arm) continue;
        c->slot->done = 0;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            c->cf_child = 1;
            c->cf_zone = -1; /* set by the open that follows */
            return a;
        }
        if (pid > 0 && waitpid(pid, NULL, 0) == pid) c->last[a] = *c->slot;
    }
    c->last_arm = arm;
    c->last_fresh = 1;
    return arm;
}

static int emit(void *ctx, const char *pack, size_t len)
{
    night_ctx *c = ctx;
    const st_obs *obs;
    st_senml_err err;
    int n = st_senml_parse(c->parser, pack, len, st_sim_now(c->sim), &obs, &err);
    if (n > 0) st_engine_ingest(c->engine, obs, (size_t)n);
    return 0;
}

static void on_episode(void *ctx, const st_episode *ep, const st_episode_outcome *o, int64_t id)
{
    night_ctx *c = ctx;
    (void)id;
    int z = zone_index(ep->zone);
    if (c->cf_child) {
        /* The child's episode is the first to open after the fork. */
        if (!o && c->cf_zone < 0) c->cf_zone = z;
        if (o && z == c->cf_zone && z >= 0) {
            c->slot->done = 1;
            outcome_y(ep, o, c->slot->y);
            _exit(0);
        }
        return;
    }
    if (!o) {
        if (c->cf && c->last_fresh && z >= 0) {
            cf_pending *p = &c->pend[z];
            p->open = 1;
            p->ok = 1;
            for (int a = 0; a < NARMS; a++) {
                if (a == c->last_arm) continue;
                p->ok &= c->last[a].done;
                memcpy(p->y[a], c->last[a].y, sizeof(p->y[a]));
            }
            c->last_fresh = 0;
        }
        return;
    }
    if (c->cf && z >= 0 && c->pend[z].open) {
        cf_pending *p = &c->pend[z];
        p->open = 0;
        int f = -1;
        for (int a = 0; a < NARMS; a++)
            if (!strcmp(ep->arm, arm_names[a])) f = a;
        if (p->ok && f >= 0) {
            outcome_y(ep, o, p->y[f]);
            c->out->cf_n++;
            for (int a = 0; a < NARMS; a++)
                for (int w = 0; w < 3; w++) c->out->cf_sum[a][w] += p->y[a][w];
        }
    }
    for (int a = 0; a < NARMS; a++) {
        if (strcmp(ep->arm, arm_names[a])) continue;
        c->out->n[a]++;
        c->out->inc[a] += o->incident;
        c->out->settled[a] += st_episode_settled(o);
        double tc = isfinite(o->calm_after_s) && o->calm_after_s < ep->window_s ? o->calm_after_s
                                                                                : ep->window_s;
        c->out->tc[a] += tc;
        c->out->tc2[a] += tc * tc;
        int k = st_experiment_stratum_parse(ep->stratum);
        if (k >= 0) {
            c->out->sn[k][a]++;
            c->out->sinc[k][a] += o->incident;
            c->out->sset[k][a] += st_episode_settled(o);
            c->out->stc[k][a] += tc;
            c->out->stc2[k][a] += tc * tc;
        }
    }
}

static void setup(st_settings *s, const setting *st, const opts *o)
{
    st_settings_default(s);
    s->sim.night_hours = o->hours;
    s->sim.onset_per_hour = o->onset;
    s->sim.incident_hazard = o->hazard;
    s->sim.incident_s = o->incident_s;
    /* A bigger street gives each night more episodes; zone i copies default zone i % 5. */
    st_zone_def base[ST_MAX_ZONES];
    size_t nb = s->nzones;
    memcpy(base, s->zones, nb * sizeof(base[0]));
    for (int i = 0; i < o->zones && i < ST_MAX_ZONES; i++) {
        s->zones[i] = base[(size_t)i % nb];
        snprintf(s->zones[i].id, sizeof(s->zones[i].id), "z%d", i + 1);
    }
    s->nzones = (size_t)o->zones;
    s->sim.neffects = 0;
    const struct {
        const char *a;
        double e;
    } eff[] = {{"scene:calm-warm", st->calm_warm},
               {"music:calm", st->music},
               {"alert:warning", st->warning},
               {"alert:critical", st->critical},
               {"scene:bright-neutral", st->bright}};
    for (size_t i = 0; i < sizeof(eff) / sizeof(eff[0]); i++) {
        st_sim_effect *e = &s->sim.effects[s->sim.neffects++];
        memset(e, 0, sizeof(*e));
        snprintf(e->action, sizeof(e->action), "%s", eff[i].a);
        e->effect = eff[i].e;
        e->duration_s = 600;
    }
    st_exp_params *x = &s->engine.experiment;
    st_exp_params_default(x);
    if (o->washout_s >= 0) x->washout_s = o->washout_s;
    if (o->block_size > 0) x->block_size = o->block_size;
    x->narms = 2;
    snprintf(x->arms[0].name, sizeof(x->arms[0].name), "calm-warm");
    snprintf(x->arms[0].actions, sizeof(x->arms[0].actions), "scene:calm-warm");
    snprintf(x->arms[1].name, sizeof(x->arms[1].name), "full");
    snprintf(x->arms[1].actions, sizeof(x->arms[1].actions),
             "scene:calm-warm,music:calm,scene:bright-neutral,alert:warning");
}

/* One night: policy and, for FIXED, the arm. */
static int run_night(const st_settings *base, uint64_t seed, st_exp_policy pol, int arm, int cf,
                     night *out)
{
    st_settings *s = malloc(sizeof(*s));
    if (!s) return -ENOMEM;
    memcpy(s, base, sizeof(*s));
    s->sim.seed = seed;
    s->engine.experiment.policy = pol;
    s->engine.experiment.seed = seed * 2654435761u + 17;
    if (pol == ST_EXP_POLICY_FIXED)
        snprintf(s->engine.experiment.fixed_arm, sizeof(s->engine.experiment.fixed_arm), "%s",
                 arm_names[arm]);
    night_ctx c = {0};
    memset(out, 0, sizeof(*out));
    c.out = out;
    c.cf = cf && pol == ST_EXP_POLICY_RANDOM;
    if (c.cf) {
        c.slot =
            mmap(NULL, sizeof(*c.slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (c.slot == MAP_FAILED) c.cf = 0, c.slot = NULL;
    }
    c.parser = st_senml_new(ST_SENML_MAX_RECORDS);
    c.engine = st_engine_new(&s->engine, s->zones, s->nzones, s->rules, s->nrules, NULL, 0, NULL);
    c.sim = st_sim_new(&s->sim, s->zones, s->nzones);
    int rc = -ENOMEM;
    if (c.parser && c.engine && c.sim) {
        st_engine_add_actuator(c.engine, st_sim_actuator(c.sim));
        st_engine_set_episode_listener(c.engine, on_episode, &c);
        if (c.cf) st_experiment_set_hook(st_engine_experiment(c.engine), cf_hook, &c);
        while (!st_sim_done(c.sim)) {
            st_sim_step(c.sim, emit, &c);
            st_engine_step(c.engine, st_sim_now(c.sim));
        }
        if (c.cf_child) _exit(0); /* the night ended before the episode's window: no result */
        out->best = st_experiment_best_arm(st_engine_experiment(c.engine));
        out->done = 1;
        rc = 0;
    }
    st_engine_free(c.engine);
    st_sim_free(c.sim);
    st_senml_free(c.parser);
    if (c.slot) munmap(c.slot, sizeof(*c.slot));
    free(s);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Run n nights (seeds seed0 + i) over jobs forked workers into a shared array. */
static night *run_many(const st_settings *base, int n, uint64_t seed0, st_exp_policy pol, int arm,
                       int cf_nights, int jobs, const char *what)
{
    night *r = mmap(NULL, (size_t)n * sizeof(night), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) return NULL;
    double t0 = now_s();
    /* Workers must not inherit unwritten output: a child's fflush (before
     * each counterfactual fork) would print it again. */
    fflush(NULL);
    pid_t pids[16];
    for (int j = 0; j < jobs; j++) {
        pids[j] = fork();
        if (pids[j] == 0) {
            for (int i = j; i < n; i += jobs) {
                run_night(base, seed0 + (uint64_t)i, pol, arm, i < cf_nights, &r[i]);
                if (j == 0 && (i / jobs) % 50 == 49)
                    fprintf(stderr, "  %s: %d/%d nights, %.0f s\n", what, i + 1, n, now_s() - t0);
            }
            _exit(0);
        }
    }
    for (int j = 0; j < jobs; j++)
        if (pids[j] > 0) waitpid(pids[j], NULL, 0);
    fprintf(stderr, "  %s: %d nights in %.0f s\n", what, n, now_s() - t0);
    return r;
}

/* Outcome `which` of arm a in night r: 0 incidents, 1 settled, 2 time to calm. */
static double val(const night *r, int a, int which)
{
    return which == 0 ? r->inc[a] : which == 1 ? r->settled[a] : r->tc[a];
}

/* Ratio estimate sum(x)/sum(n) over nights (a per-episode mean). */
static double ratio(const night *r, int n, int a, int which, long *eps)
{
    double sx = 0, sn = 0;
    for (int i = 0; i < n; i++) {
        sx += val(&r[i], a, which);
        sn += r[i].n[a];
    }
    if (eps) *eps = (long)sn;
    return sn > 0 ? sx / sn : NAN;
}

/* Cluster-robust (over nights) standard error of the difference of two ratio
 * estimates from forced-arm runs ra, rc that share their seeds night by night
 * (paired: the same crowds and onsets), by linearisation. */
static double diff_se(const night *ra, const night *rc, int n, int a, int which)
{
    double pa = ratio(ra, n, a, which, NULL), pc = ratio(rc, n, 0, which, NULL);
    double na = 0, nc = 0;
    for (int i = 0; i < n; i++) na += ra[i].n[a], nc += rc[i].n[0];
    na /= n;
    nc /= n;
    double s = 0, m = 0;
    double *d = malloc((size_t)n * sizeof(double));
    if (!d) return NAN;
    for (int i = 0; i < n; i++) {
        d[i] = (val(&ra[i], a, which) - pa * ra[i].n[a]) / na -
               (val(&rc[i], 0, which) - pc * rc[i].n[0]) / nc;
        m += d[i];
    }
    m /= n;
    for (int i = 0; i < n; i++) s += (d[i] - m) * (d[i] - m);
    free(d);
    return sqrt(s / ((double)n * (n - 1)));
}

/* The estimate of outcome `which` for arm a vs control in report r: the
 * report's own (report != 0) or crude. */
static int estimate(const night *r, int a, int which, int report, st_estimate *e)
{
    if (r->n[a] == 0 || r->n[0] == 0) return 0;
    if (report) {
        /* What `stratum evidence report` says: the same function on the
         * night's cells per (arm, stratum). */
        st_evidence_cell cells[2 * ST_EXP_STRATA];
        size_t nc = 0;
        const int arms[2] = {0, a};
        for (int k = 0; k < ST_EXP_STRATA; k++)
            for (int j = 0; j < 2; j++) {
                int b = arms[j];
                if (!r->sn[k][b]) continue;
                st_evidence_cell *c = &cells[nc++];
                memset(c, 0, sizeof(*c));
                snprintf(c->arm, sizeof(c->arm), "%s", arm_names[b]);
                snprintf(c->stratum, sizeof(c->stratum), "%s", st_experiment_stratum_name(k));
                c->episodes = r->sn[k][b];
                c->incidents = r->sinc[k][b];
                c->settled = c->calm = r->sset[k][b];
                c->tc_sum = r->stc[k][b];
                c->tc_sumsq = r->stc2[k][b];
            }
        st_report_row row;
        if (st_report_compare(cells, nc, 600, &row, 1) != 1) return 0;
        *e = which == 0 ? row.rd : which == 1 ? row.settled_rd : row.tc_diff;
        return isfinite(e->est) && isfinite(e->lo) && isfinite(e->hi);
    }
    if (which < 2) {
        *e = which == 0 ? st_risk_difference(r->inc[a], r->n[a], r->inc[0], r->n[0], 0.95)
                        : st_risk_difference(r->settled[a], r->n[a], r->settled[0], r->n[0], 0.95);
        return 1;
    }
    /* Restricted mean time to calm: the report's crude Welch interval. */
    *e = st_mean_difference_welch(r->tc[a], r->tc2[a], r->n[a], r->tc[0], r->tc2[0], r->n[0], 0.95);
    return isfinite(e->lo) && isfinite(e->hi);
}

static const char *const outcome_names[3] = {"incident RD", "settled RD", "time-to-calm diff (s)"};

static void evaluate(const night *r, int n, int a, int which, int report, const char *tag,
                     double truth, double truth_se, int null_setting)
{
    double sum = 0, sum2 = 0, half = 0;
    int used = 0, cover = 0, sig = 0;
    for (int i = 0; i < n; i++) {
        st_estimate e;
        if (!estimate(&r[i], a, which, report, &e)) continue;
        used++;
        half += (e.hi - e.lo) / 2;
        sum += e.est;
        sum2 += e.est * e.est;
        cover += e.lo <= truth && truth <= e.hi;
        sig += e.lo > 0 || e.hi < 0;
    }
    if (!used) {
        printf("   %-22s no report with both arms\n", outcome_names[which]);
        return;
    }
    double mean = sum / used, sd = sqrt(fmax(0, sum2 / used - mean * mean));
    double cov = (double)cover / used;
    /* Beside the mean of the per-night estimates, the contrast pooled over all
     * randomised episodes: where the two differ, nights of different sizes
     * weigh differently, which is not the intervals' doing. */
    double pooled = ratio(r, n, a, which, NULL) - ratio(r, n, 0, which, NULL);
    printf("   %-22s %-13s true %+8.4f (MC se %.4f)  mean est %+8.4f  bias %+8.4f (se %.4f)  "
           "coverage %5.1f%% (se %.1f)  significant %5.1f%%%s  [%d reports]  pooled est %+8.4f\n",
           outcome_names[which], tag, truth, truth_se, mean, mean - truth, sd / sqrt(used),
           100 * cov, 100 * sqrt(cov * (1 - cov) / used), 100.0 * sig / used,
           null_setting ? " = FPR" : "", used, pooled);
    /* Why coverage is off, when it is: the intervals' mean half-width against
     * 1.96 times the estimates' spread over reports (1 = as wide as needed). */
    printf("   %-22s interval width: mean half-width %.4f = %.2f x 1.96 sd over reports\n", "",
           half / used, sd > 0 ? half / used / (1.96 * sd) : NAN);
}

/* Why an interval that assumes independent episodes is too wide or too
 * narrow: each arm's incident rate over reports, its variance against the
 * binomial variance its episodes would have if independent (1 = binomial),
 * and the correlation of arm a's rate with control's over reports (the
 * variance of a difference loses twice the covariance). */
static void dispersion(const night *r, int n, int a)
{
    double s[2] = {0}, ss[2] = {0}, bin[2] = {0}, sxy = 0, tot[2] = {0}, inc[2] = {0};
    const int arms[2] = {a, 0};
    int used = 0;
    for (int i = 0; i < n; i++) {
        if (!r[i].n[a] || !r[i].n[0]) continue;
        used++;
        for (int j = 0; j < 2; j++) {
            tot[j] += r[i].n[arms[j]];
            inc[j] += r[i].inc[arms[j]];
        }
    }
    if (used < 2) return;
    double pbar[2] = {inc[0] / tot[0], inc[1] / tot[1]}, x[2];
    for (int i = 0; i < n; i++) {
        if (!r[i].n[a] || !r[i].n[0]) continue;
        for (int j = 0; j < 2; j++) {
            x[j] = (double)r[i].inc[arms[j]] / r[i].n[arms[j]] - pbar[j];
            s[j] += x[j];
            ss[j] += x[j] * x[j];
            bin[j] += pbar[j] * (1 - pbar[j]) / r[i].n[arms[j]];
        }
        sxy += x[0] * x[1];
    }
    double v[2];
    for (int j = 0; j < 2; j++) v[j] = (ss[j] - s[j] * s[j] / used) / (used - 1);
    double c = (sxy - s[0] * s[1] / used) / (used - 1);
    printf("   incident rate over reports: variance / binomial  %s %.2f, control %.2f;  "
           "correlation with control %+.2f\n",
           arm_names[a], v[0] / (bin[0] / used), v[1] / (bin[1] / used), c / sqrt(v[0] * v[1]));
}

/* Reports over k consecutive nights: the tallies of each group summed into
 * one entry (in place; returns the number of reports). Estimates and
 * intervals are then those of a report covering k nights. */
static int pool_reports(night *r, int n, int k)
{
    if (k <= 1) return n;
    int m = 0;
    for (int g = 0; g + k <= n; g += k, m++) {
        night sum;
        memset(&sum, 0, sizeof(sum));
        for (int i = g; i < g + k; i++) {
            for (int a = 0; a < NARMS; a++) {
                sum.n[a] += r[i].n[a];
                sum.inc[a] += r[i].inc[a];
                sum.settled[a] += r[i].settled[a];
                sum.tc[a] += r[i].tc[a];
                sum.tc2[a] += r[i].tc2[a];
                for (int w = 0; w < 3; w++) sum.cf_sum[a][w] += r[i].cf_sum[a][w];
                for (int q = 0; q < ST_EXP_STRATA; q++) {
                    sum.sn[q][a] += r[i].sn[q][a];
                    sum.sinc[q][a] += r[i].sinc[q][a];
                    sum.sset[q][a] += r[i].sset[q][a];
                    sum.stc[q][a] += r[i].stc[q][a];
                    sum.stc2[q][a] += r[i].stc2[q][a];
                }
            }
            sum.cf_n += r[i].cf_n;
        }
        sum.done = 1;
        r[m] = sum;
    }
    return m;
}

int main(int argc, char **argv)
{
    /* 1,400 nights = 200 weekly reports of about 90 episodes an arm; fights
     * heard for 5 min (the engine's dwell in escalating is 2 min) and likely
     * enough at high tension that about one episode in ten reaches incident
     * (docs/evidence.md). */
    opts o = {1400, 100, 100, 2, 5, 6, 5.0, 1.0, 300, -1, 0, 280, 7, 0};
    for (int i = 1; i < argc; i++) {
        long v = 0;
        char *end = NULL;
        if (!strcmp(argv[i], "--no-cf")) {
            o.cf = 0;
            continue;
        }
        if (i + 1 < argc) v = strtol(argv[i + 1], &end, 10);
        int ok = end && *end == 0 && v > 0 && v <= 1000000;
        if (!strcmp(argv[i], "--nights") && ok)
            o.nights = (int)v, i++;
        else if (!strcmp(argv[i], "--truth-nights") && ok)
            o.truth_nights = (int)v, i++;
        else if (!strcmp(argv[i], "--thompson-nights") && ok)
            o.ts_nights = (int)v, i++;
        else if (!strcmp(argv[i], "--jobs") && ok && v <= 16)
            o.jobs = (int)v, i++;
        else if (!strcmp(argv[i], "--zones") && ok && v <= ST_MAX_ZONES)
            o.zones = (int)v, i++;
        else if (!strcmp(argv[i], "--hours") && ok && v <= 24)
            o.hours = (double)v, i++;
        else if (!strcmp(argv[i], "--onset-x10") && ok && v <= 600)
            o.onset = v / 10.0, i++; /* sim.onset_per_hour x 10 */
        else if (!strcmp(argv[i], "--hazard-x1000") && ok && v <= 1000)
            o.hazard = v / 1000.0, i++; /* sim.incident_hazard x 1000 */
        else if (!strcmp(argv[i], "--washout-s") && i + 1 < argc && end && *end == 0 && v >= 0 &&
                 v <= 86400)
            o.washout_s = (double)v, i++; /* experiment.washout_s; default: the config's */
        else if (!strcmp(argv[i], "--report-nights") && ok && v <= 365)
            o.per_report = (int)v, i++;
        else if (!strcmp(argv[i], "--setting") && ok && v <= (long)NSETTINGS)
            o.only = (int)v, i++;
        else if (!strcmp(argv[i], "--block-size") && ok && v <= 100000)
            o.block_size = (int)v, i++; /* experiment.block_size */
        else if (!strcmp(argv[i], "--cf-nights") && i + 1 < argc && end && *end == 0 && v >= 0 &&
                 v <= 1000000)
            o.cf = (int)v, i++;
        else if (!strcmp(argv[i], "--incident-s") && ok && v <= 3600)
            o.incident_s = (double)v, i++; /* sim.incident_s */
        else {
            fprintf(stderr, "usage: evidence-coverage [--nights N] [--truth-nights N] "
                            "[--thompson-nights N] [--jobs N] [--zones N] [--hours H] "
                            "[--onset-x10 N] [--hazard-x1000 N] [--incident-s S] "
                            "[--washout-s S] [--setting 1|2|3] [--no-cf] "
                            "[--cf-nights N] [--report-nights K] [--block-size N]\n");
            return 2;
        }
    }
    if (o.cf > o.nights) o.cf = o.nights;
    printf("evidence-coverage: %d experiment nights in reports of %d, the first %d with the "
           "per-episode truth, %d truth nights per arm, %d Thompson nights per setting; %d "
           "zones, %.0f h nights from 20:00, sim.onset_per_hour %.2f, sim.incident_hazard "
           "%.3f, sim.incident_s %.0f; arms control, calm-warm (scene:calm-warm), full "
           "(scene:calm-warm, music:calm, scene:bright-neutral, alert:warning)\n",
           o.nights, o.per_report, o.cf, o.truth_nights, o.ts_nights, o.zones, o.hours, o.onset,
           o.hazard, o.incident_s);
    st_settings *base = malloc(sizeof(*base));
    if (!base) return 1;
    for (size_t si = 0; si < NSETTINGS; si++) {
        if (o.only && si + 1 != (size_t)o.only) continue;
        const setting *st = &settings[si];
        setup(base, st, &o);
        uint64_t seed0 = 1000000 * (si + 1);
        printf("\n== %s (scene:calm-warm %.2f, music:calm %.2f, alert:warning %.2f) ==\n", st->name,
               st->calm_warm, st->music, st->warning);
        fprintf(stderr, "setting %s\n", st->name);
        /* 1. truth: forced arms, seeds disjoint from the experiment nights and shared
         * between arms (paired). */
        night *tr[NARMS];
        double s_true[NARMS];
        for (int a = 0; a < NARMS; a++) {
            char what[64];
            snprintf(what, sizeof(what), "truth %s", arm_names[a]);
            tr[a] = run_many(base, o.truth_nights, seed0 + 500000, ST_EXP_POLICY_FIXED, a, 0,
                             o.jobs, what);
            if (!tr[a]) return 1;
            long eps;
            double pi = ratio(tr[a], o.truth_nights, a, 0, &eps);
            s_true[a] = ratio(tr[a], o.truth_nights, a, 1, NULL);
            printf("truth %-10s %6ld episodes (%.1f a night)  incident rate %.4f  settled %.4f  "
                   "mean time to calm %.0f s\n",
                   arm_names[a], eps, (double)eps / o.truth_nights, pi, s_true[a],
                   ratio(tr[a], o.truth_nights, a, 2, NULL));
        }
        /* 2. randomised experiment nights. */
        night *r =
            run_many(base, o.nights, seed0, ST_EXP_POLICY_RANDOM, 0, o.cf, o.jobs, "randomised");
        if (!r) return 1;
        int null_setting = st->calm_warm == 0 && st->music == 0 && st->warning == 0;
        int nrep = pool_reports(r, o.nights, o.per_report);
        if (o.per_report > 1)
            printf("(reports of %d nights each: %d reports)\n", o.per_report, nrep);
        for (int a = 1; a < NARMS; a++) {
            long ea = 0, ec = 0;
            for (int i = 0; i < nrep; i++) ea += r[i].n[a], ec += r[i].n[0];
            long ecf = 0;
            for (int i = 0; i < nrep; i++) ecf += r[i].cf_n;
            printf("%s vs control (randomised nights: %.1f and %.1f episodes a night; "
                   "per-episode truth from %ld episodes under every arm):\n",
                   arm_names[a], (double)ea / (nrep * o.per_report),
                   (double)ec / (nrep * o.per_report), ecf);
            dispersion(r, nrep, a);
            for (int w = 0; w < 3; w++) {
                double t = ratio(tr[a], o.truth_nights, a, w, NULL) -
                           ratio(tr[0], o.truth_nights, 0, w, NULL);
                double tse = diff_se(tr[a], tr[0], o.truth_nights, a, w);
                evaluate(r, nrep, a, w, 1, "forced", t, tse, null_setting);
                evaluate(r, nrep, a, w, 0, "forced/crude", t, tse, null_setting);
                if (!o.cf) continue;
                /* The per-episode truth: the same episodes under each arm. */
                double sa = 0, sc = 0, sn = 0, v = 0;
                for (int i = 0; i < nrep; i++) {
                    sa += r[i].cf_sum[a][w];
                    sc += r[i].cf_sum[0][w];
                    sn += r[i].cf_n;
                }
                double te = sn > 0 ? (sa - sc) / sn : NAN;
                for (int i = 0; i < nrep; i++) {
                    double d = r[i].cf_sum[a][w] - r[i].cf_sum[0][w] - te * r[i].cf_n;
                    v += d * d;
                }
                double ese = sn > 0 ? sqrt(v) / sn : NAN;
                evaluate(r, nrep, a, w, 1, "episode", te, ese, null_setting);
                evaluate(r, nrep, a, w, 0, "episode/crude", te, ese, null_setting);
            }
        }
        for (int a = 0; a < NARMS; a++) munmap(tr[a], (size_t)o.truth_nights * sizeof(night));
        munmap(r, (size_t)o.nights * sizeof(night));
        /* 3. Thompson sampling. */
        int best = 0;
        for (int a = 1; a < NARMS; a++)
            if (s_true[a] > s_true[best]) best = a;
        r = run_many(base, o.ts_nights, seed0 + 800000, ST_EXP_POLICY_THOMPSON, 0, 0, o.jobs,
                     "thompson");
        if (!r) return 1;
        /* Equal true rates (no effect anywhere): there is no best arm to find. */
        int tie = 0;
        for (int a = 0; a < NARMS; a++) tie += a != best && s_true[a] == s_true[best];
        int hit = 0, cnt[NARMS] = {0};
        long share[NARMS] = {0}, tot = 0;
        for (int i = 0; i < o.ts_nights; i++) {
            hit += r[i].best == best;
            if (r[i].best >= 0 && r[i].best < NARMS) cnt[r[i].best]++;
            for (int a = 0; a < NARMS; a++) share[a] += r[i].n[a], tot += r[i].n[a];
        }
        if (tie)
            printf("thompson: no truly best arm (equal true settled rates); ");
        else
            printf("thompson: ");
        printf("truly best arm by settled rate: %s (%.3f vs %.3f, %.3f); ends on it in "
               "%.1f%% of %d nights (control %d, calm-warm %d, full %d); episodes per arm "
               "%.0f%%/%.0f%%/%.0f%%\n",
               arm_names[best], s_true[best], s_true[(best + 1) % NARMS],
               s_true[(best + 2) % NARMS], 100.0 * hit / o.ts_nights, o.ts_nights, cnt[0], cnt[1],
               cnt[2], 100.0 * share[0] / tot, 100.0 * share[1] / tot, 100.0 * share[2] / tot);
        munmap(r, (size_t)o.ts_nights * sizeof(night));
        fflush(stdout);
    }
    free(base);
    return 0;
}
