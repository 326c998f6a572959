/* Safety envelope: caps, rate limit and flash limit for every lamp level. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/envelope.h"

#define RING 64 /* transition times kept per lamp: >= 2 * max_flashes (<= 30) */

typedef struct lamp_state {
    double y, k;       /* last output level and kelvin */
    double t;          /* time of the last output, < 0 before the first */
    double ext;        /* level at the last turning point */
    int dir;           /* direction of the current segment: -1, 0, +1 */
    int counted;       /* the current segment already counted as a transition */
    unsigned active;   /* causes clamping in the previous step (edge reports) */
    double ring[RING]; /* times of significant transitions, newest at head-1 */
    size_t head, n;
} lamp_state;

struct st_envelope {
    st_envelope_params p;
    size_t nlamps;
    int max_transitions;
    st_envelope_report_fn report;
    void *ctx;
    uint64_t counts[ST_ENV__COUNT];
    lamp_state lamps[];
};

static const char *const cause_names[ST_ENV__COUNT] = {"min-level", "max-level", "rate",
                                                       "flash",     "cct-range", "cct-rate"};

const char *st_envelope_cause_name(st_env_cause c)
{
    return (unsigned)c < ST_ENV__COUNT ? cause_names[c] : "?";
}

void st_envelope_params_default(st_envelope_params *p)
{
    memset(p, 0, sizeof(*p));
    p->min_level = 0.2;
    p->max_level = 1.0;
    p->max_rate = 0.25;
    p->max_flashes = 3;
    p->flash_window_s = 1.0;
    p->flash_delta = 0.1;
    p->cct_min_k = 2200;
    p->cct_max_k = 6500;
    p->cct_max_rate_k = 1000;
    p->step_dt_max = 1.0 / 30;
}

int st_envelope_params_check(const st_envelope_params *p, char *err, size_t cap)
{
    const char *why = NULL;
    if (!(p->min_level >= 0 && p->min_level <= 1))
        why = "min_level must be within 0..1";
    else if (!(p->max_level > p->min_level && p->max_level <= 1))
        why = "max_level must be within (min_level, 1]";
    else if (!(p->max_rate > 0 && p->max_rate <= 100))
        why = "max_rate must be within (0, 100] per second";
    else if (!(p->max_flashes >= 0 && p->max_flashes <= 3))
        why = "max_flashes must be within 0..3 (photosensitive-epilepsy limit)";
    else if (!(p->flash_window_s >= 1 && p->flash_window_s <= 10))
        why = "flash_window_s must be within 1..10 s";
    else if (!(p->flash_delta > 0 && p->flash_delta <= 0.5))
        why = "flash_delta must be within (0, 0.5]";
    else if (!(p->cct_min_k >= 1000 && p->cct_max_k > p->cct_min_k && p->cct_max_k <= 20000))
        why = "cct_min_k/cct_max_k must satisfy 1000 <= min < max <= 20000";
    else if (!(p->cct_max_rate_k > 0))
        why = "cct_max_rate_k must be > 0";
    else if (!(p->step_dt_max > 0 && p->step_dt_max <= 1))
        why = "step_dt_max must be within (0, 1] s";
    if (!why) return 0;
    if (err && cap) snprintf(err, cap, "envelope: %s", why);
    return -EINVAL;
}

st_envelope *st_envelope_new(const st_envelope_params *p, size_t nlamps,
                             st_envelope_report_fn report, void *ctx)
{
    if (!p || nlamps == 0 || nlamps > 65536 || st_envelope_params_check(p, NULL, 0)) {
        errno = EINVAL;
        return NULL;
    }
    st_envelope *e = calloc(1, sizeof(*e) + nlamps * sizeof(lamp_state));
    if (!e) return NULL;
    e->p = *p;
    e->nlamps = nlamps;
    e->max_transitions = (int)floor(2 * p->max_flashes + 1e-9);
    e->report = report;
    e->ctx = ctx;
    for (size_t i = 0; i < nlamps; i++) {
        e->lamps[i].t = -1;
        e->lamps[i].y = p->min_level;
        e->lamps[i].ext = p->min_level;
        e->lamps[i].k = p->cct_min_k;
    }
    return e;
}

void st_envelope_free(st_envelope *e)
{
    free(e);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void st_envelope_reset(st_envelope *e, size_t lamp, double level, double kelvin, double t)
{
    if (!e || lamp >= e->nlamps) return;
    lamp_state *l = &e->lamps[lamp];
    memset(l, 0, sizeof(*l));
    l->y = l->ext = clampd(isnan(level) ? e->p.min_level : level, e->p.min_level, e->p.max_level);
    l->k = clampd(isnan(kelvin) ? e->p.cct_min_k : kelvin, e->p.cct_min_k, e->p.cct_max_k);
    l->t = t;
}

static int transitions_since(const lamp_state *l, double since)
{
    int n = 0;
    for (size_t i = 0; i < l->n; i++) {
        double when = l->ring[(l->head + RING - 1 - i) % RING];
        if (when > since) n++;
    }
    return n;
}

static void clamp_event(st_envelope *e, lamp_state *l, size_t lamp, st_env_cause c, double t,
                        double req, double got, unsigned *mask)
{
    *mask |= 1u << c;
    e->counts[c]++;
    if (!(l->active & (1u << c)) && e->report) {
        st_envelope_clamp ev = {.lamp = lamp, .cause = c, .t = t, .requested = req, .allowed = got};
        e->report(e->ctx, &ev);
    }
}

int st_envelope_apply(st_envelope *e, size_t lamp, double t, double *level, double *kelvin)
{
    if (!e || lamp >= e->nlamps || !level || !kelvin) return -EINVAL;
    const st_envelope_params *p = &e->p;
    lamp_state *l = &e->lamps[lamp];
    unsigned mask = 0;
    double dt = l->t < 0 ? 0 : t - l->t;
    if (!(dt > 0)) dt = 0;
    if (dt > p->step_dt_max) dt = p->step_dt_max;
    if (l->t < 0) l->t = t;

    /* Level: hard caps first, then rate, then flashes. */
    double req = isnan(*level) ? l->y : *level, x = req;
    if (x < p->min_level) {
        x = p->min_level;
        clamp_event(e, l, lamp, ST_ENV_MIN_LEVEL, t, req, x, &mask);
    } else if (x > p->max_level) {
        x = p->max_level;
        clamp_event(e, l, lamp, ST_ENV_MAX_LEVEL, t, req, x, &mask);
    }
    double step = p->max_rate * dt;
    if (fabs(x - l->y) > step + 1e-12) {
        double before = x;
        x = l->y + (x > l->y ? step : -step);
        clamp_event(e, l, lamp, ST_ENV_RATE, t, before, x, &mask);
    }
    double d = x - l->y;
    if (fabs(d) > 1e-12) {
        int nd = d > 0 ? 1 : -1;
        if (nd != l->dir) { /* a turning point: a new segment starts here */
            l->dir = nd;
            l->ext = l->y;
            l->counted = 0;
        }
        if (!l->counted && fabs(x - l->ext) >= p->flash_delta) {
            if (transitions_since(l, t - p->flash_window_s) >= e->max_transitions) {
                /* Keep this segment below a significant change until the window allows one. */
                double before = x;
                x = l->ext + l->dir * p->flash_delta * 0.999;
                x = clampd(x, p->min_level, p->max_level);
                clamp_event(e, l, lamp, ST_ENV_FLASH, t, before, x, &mask);
            } else {
                l->ring[l->head] = t;
                l->head = (l->head + 1) % RING;
                if (l->n < RING) l->n++;
                l->counted = 1;
            }
        }
    }
    l->y = x;

    /* Colour temperature: range, then rate. */
    double kreq = isnan(*kelvin) ? l->k : *kelvin, k = kreq;
    if (k < p->cct_min_k || k > p->cct_max_k) {
        k = clampd(k, p->cct_min_k, p->cct_max_k);
        clamp_event(e, l, lamp, ST_ENV_CCT_RANGE, t, kreq, k, &mask);
    }
    double kstep = p->cct_max_rate_k * dt;
    if (fabs(k - l->k) > kstep + 1e-9) {
        double before = k;
        k = l->k + (k > l->k ? kstep : -kstep);
        clamp_event(e, l, lamp, ST_ENV_CCT_RATE, t, before, k, &mask);
    }
    l->k = k;
    l->t = t;
    l->active = mask;
    *level = x;
    *kelvin = k;
    return (int)mask;
}

void st_envelope_counts(const st_envelope *e, uint64_t *out)
{
    for (int i = 0; i < ST_ENV__COUNT; i++) out[i] = e ? e->counts[i] : 0;
}

const st_envelope_params *st_envelope_params_get(const st_envelope *e)
{
    return e ? &e->p : NULL;
}
