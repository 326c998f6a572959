/* Episode tracker: per-zone escalation episodes followed through their outcome window. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/episodes.h"

typedef struct track {
    int open;
    int arm;
    int64_t id;
    double t0, end;
    int incident;
    double calm_after;
    double score_max, laeq_max, laeq_end, ev_max, ev_end;
} track;

struct st_episodes {
    size_t n;
    double washout_s;
    double *quiet_since; /* per zone: when it last went below tense; NAN while tense or above */
    track tr[];
};

st_episodes *st_episodes_new(size_t nzones, double washout_s)
{
    if (nzones == 0 || nzones > 65536 || !(washout_s >= 0) || !isfinite(washout_s)) {
        errno = EINVAL;
        return NULL;
    }
    st_episodes *t = calloc(1, sizeof(st_episodes) + nzones * sizeof(track));
    if (!t) return NULL; /* errno ENOMEM from calloc */
    t->quiet_since = malloc(nzones * sizeof(double));
    if (!t->quiet_since) {
        free(t);
        return NULL;
    }
    t->n = nzones;
    t->washout_s = washout_s;
    for (size_t z = 0; z < nzones; z++) t->quiet_since[z] = -INFINITY; /* quiet before the start */
    return t;
}

void st_episodes_free(st_episodes *t)
{
    if (!t) return;
    free(t->quiet_since);
    free(t);
}

int st_episodes_starts(const st_episodes *t, size_t z, st_state to, double now)
{
    if (z >= t->n || t->tr[z].open || (to != ST_TENSE && to != ST_ESCALATING)) return 0;
    if (t->washout_s <= 0) return 1;
    /* Washout: a fresh escalation only, after washout_s below tense, so neither
     * the last episode's arm nor a rules intervention still acts on this one. */
    double q = t->quiet_since[z];
    return !isnan(q) && now - q >= t->washout_s;
}

/* max() that lets a finite value replace the NAN start. */
static double up(double cur, double v)
{
    return isfinite(v) && !(v <= cur) ? v : cur;
}

int st_episodes_open(st_episodes *t, size_t z, double t0, double window_s, int64_t id, int arm,
                     double score, double laeq, double event_rate)
{
    if (!t || z >= t->n || !isfinite(t0) || !(window_s > 0)) return -EINVAL;
    track *k = &t->tr[z];
    if (k->open) return -EBUSY;
    memset(k, 0, sizeof(*k));
    k->open = 1;
    k->arm = arm;
    k->id = id;
    k->t0 = t0;
    k->end = t0 + window_s;
    k->calm_after = NAN;
    k->score_max = up(NAN, score);
    k->laeq_max = up(NAN, laeq);
    k->laeq_end = laeq;
    k->ev_max = up(NAN, event_rate);
    k->ev_end = event_rate;
    return 0;
}

int st_episodes_current(const st_episodes *t, size_t z, int *arm, int64_t *id)
{
    if (!t || z >= t->n || !t->tr[z].open) return 0;
    if (arm) *arm = t->tr[z].arm;
    if (id) *id = t->tr[z].id;
    return 1;
}

int st_episodes_observe(st_episodes *t, size_t z, double now, const st_zone_status *zs,
                        st_episode_outcome *out, int *arm, int64_t *id)
{
    if (!t || z >= t->n || !zs) return 0;
    if (zs->state >= ST_TENSE)
        t->quiet_since[z] = NAN;
    else if (isnan(t->quiet_since[z]))
        t->quiet_since[z] = now;
    if (!t->tr[z].open) return 0;
    track *k = &t->tr[z];
    /* Evaluations after the window's end belong to the next episode, if any. */
    if (now <= k->end) {
        if (zs->state == ST_INCIDENT) k->incident = 1;
        if (zs->state < ST_TENSE && isnan(k->calm_after)) k->calm_after = now - k->t0;
        k->score_max = up(k->score_max, zs->score);
        k->laeq_max = up(k->laeq_max, zs->laeq_mid);
        k->ev_max = up(k->ev_max, zs->event_rate);
        if (isfinite(zs->laeq_mid)) k->laeq_end = zs->laeq_mid;
        if (isfinite(zs->event_rate)) k->ev_end = zs->event_rate;
    }
    if (now < k->end) return 0;
    memset(out, 0, sizeof(*out));
    out->t = now;
    out->incident = k->incident;
    out->calm_after_s = k->calm_after;
    out->score_max = k->score_max;
    out->laeq_max = k->laeq_max;
    out->laeq_end = k->laeq_end;
    out->event_rate_max = k->ev_max;
    out->event_rate_end = k->ev_end;
    if (arm) *arm = k->arm;
    if (id) *id = k->id;
    k->open = 0;
    return 1;
}

int st_episode_settled(const st_episode_outcome *o)
{
    return !o->incident && isfinite(o->calm_after_s);
}
