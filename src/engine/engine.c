/* The engine: zone lookup, fusion, evaluation, policy, actuators, store writes and outcomes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/engine.h"

#define MOD "engine"
/* Backends are few (log, sACN, Art-Net, MPD, alerts, simulator). */
#define MAX_ACTUATORS 16
/* Interventions one transition may cause: 3 actions for each of several rules. */
#define MAX_IV 32
/* Interventions awaiting their outcome: with outcome_after_s = 600 this is
 * one intervention every 0.15 s sustained, far above any street's rate. */
#define MAX_PENDING 4096
#define MAX_ZONES   65536

/* Aggregates of one zone over the current minute (st_minute). */
typedef struct minute_acc {
    int n_obs, events;
    double energy; /* sum of 10^(LAeq/10) */
    int n_laeq;
    double level_max; /* max of LAFmax and LAeq, dB */
    double occ_sum;
    int n_occ;
    double score_sum, score_max;
    int n_score;
} minute_acc;

typedef struct pending {
    int64_t iv_id;
    size_t zone;
    double due;
} pending;

struct st_engine {
    st_engine_params p;
    size_t nzones;
    st_zone **zones;
    char (*ids)[ST_ID_MAX]; /* zone ids, kept beside the hash for locality */
    uint32_t *hashes;       /* FNV-1a of each zone id */
    uint32_t *slots;        /* open addressing: zone index + 1, 0 = empty */
    uint32_t mask;
    minute_acc *acc;
    st_policy *policy;
    st_store *store;
    int64_t run;
    st_log *log;
    st_engine_listener listener;
    st_actuator act[MAX_ACTUATORS];
    size_t nact;
    pending *pend; /* FIFO ring; due times are increasing as outcome_after_s is fixed */
    size_t pend_head, pend_n;

    st_engine_stats stats;
    int started;
    double now, next_eval, minute;
    st_intervention ivs[MAX_IV];
};

/* FNV-1a (Fowler/Noll/Vo), 32 bits: short ids, no allocation, good spread. */
static uint32_t id_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < ST_ID_MAX && s[i]; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static long find_zone(const st_engine *e, const char *id)
{
    uint32_t h = id_hash(id);
    for (uint32_t i = h & e->mask;; i = (i + 1) & e->mask) {
        uint32_t s = e->slots[i];
        if (!s) return -1;
        if (e->hashes[s - 1] == h && !strncmp(e->ids[s - 1], id, ST_ID_MAX)) return (long)s - 1;
    }
}

st_engine *st_engine_new(const st_engine_params *p, const st_zone_def *zones, size_t nzones,
                         const st_rule *rules, size_t nrules, st_store *store, int64_t run,
                         st_log *log)
{
    st_engine *e = NULL;
    if (!p || !zones || nzones == 0 || nzones > MAX_ZONES || !isfinite(p->outcome_after_s) ||
        p->outcome_after_s < 0 || p->utc_offset_min < -1440 || p->utc_offset_min > 1440) {
        errno = EINVAL;
        return NULL;
    }
    e = calloc(1, sizeof(*e));
    if (!e) goto fail;
    e->p = *p;
    if (!(e->p.eval_every_s > 0 && e->p.eval_every_s <= 3600)) e->p.eval_every_s = 1.0;
    e->store = store;
    e->run = run;
    e->log = log;
    size_t cap = 8;
    while (cap < 2 * nzones) cap *= 2; /* load factor <= 1/2 keeps probes short */
    e->mask = (uint32_t)(cap - 1);
    e->zones = calloc(nzones, sizeof(*e->zones));
    e->ids = calloc(nzones, sizeof(*e->ids));
    e->hashes = calloc(nzones, sizeof(*e->hashes));
    e->slots = calloc(cap, sizeof(*e->slots));
    e->acc = calloc(nzones, sizeof(*e->acc));
    e->pend = calloc(MAX_PENDING, sizeof(*e->pend));
    if (!e->zones || !e->ids || !e->hashes || !e->slots || !e->acc || !e->pend) goto fail;
    e->nzones = nzones;
    for (size_t i = 0; i < nzones; i++) {
        e->zones[i] = st_zone_new(&zones[i], &p->zone);
        if (!e->zones[i]) {
            st_error(log, MOD, "zone %zu (%.31s): invalid definition or parameters", i,
                     zones[i].id);
            goto fail;
        }
        memcpy(e->ids[i], st_zone_def_get(e->zones[i])->id, ST_ID_MAX);
        e->hashes[i] = id_hash(e->ids[i]);
        if (find_zone(e, e->ids[i]) >= 0) {
            st_error(log, MOD, "zone %s is defined twice", e->ids[i]);
            errno = EINVAL;
            goto fail;
        }
        uint32_t k = e->hashes[i] & e->mask;
        while (e->slots[k]) k = (k + 1) & e->mask;
        e->slots[k] = (uint32_t)i + 1;
    }
    e->policy = st_policy_new(rules, nrules, nzones);
    if (!e->policy) {
        st_error(log, MOD, "invalid rules");
        goto fail;
    }
    return e;
fail: /* errno set above, by the allocator or by the constructor that failed */
    st_engine_free(e);
    return NULL;
}

void st_engine_free(st_engine *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->nact; i++)
        if (e->act[i].ops->free) e->act[i].ops->free(e->act[i].self);
    if (e->zones)
        for (size_t i = 0; i < e->nzones; i++) st_zone_free(e->zones[i]);
    st_policy_free(e->policy);
    free(e->zones);
    free(e->ids);
    free(e->hashes);
    free(e->slots);
    free(e->acc);
    free(e->pend);
    free(e);
}

int st_engine_add_actuator(st_engine *e, st_actuator a)
{
    if (!a.ops || !a.ops->apply) return -EINVAL;
    if (e->nact >= MAX_ACTUATORS) {
        /* Ownership passed to us: release it rather than leak it. */
        st_error(e->log, MOD, "actuator %s not added: at most %d", a.ops->name ? a.ops->name : "?",
                 MAX_ACTUATORS);
        if (a.ops->free) a.ops->free(a.self);
        return -ENOSPC;
    }
    e->act[e->nact++] = a;
    return 0;
}

void st_engine_set_listener(st_engine *e, const st_engine_listener *l)
{
    if (l)
        e->listener = *l;
    else
        memset(&e->listener, 0, sizeof(e->listener));
}

size_t st_engine_ingest(st_engine *e, const st_obs *obs, size_t n)
{
    size_t used = 0;
    const double min_conf = e->p.zone.event_min_conf;
    for (size_t i = 0; i < n; i++) {
        const st_obs *o = &obs[i];
        long z = find_zone(e, o->zone);
        if (z < 0) {
            e->stats.obs_unknown_zone++;
            continue;
        }
        if (st_zone_push(e->zones[z], o) < 0) {
            e->stats.obs_rejected++;
            continue;
        }
        used++;
        minute_acc *a = &e->acc[z];
        a->n_obs++;
        switch (o->qty) {
        case ST_Q_LAEQ: /* an LAeq also bounds the minute's maximum level */
            a->energy += pow(10.0, o->v / 10.0);
            a->n_laeq++;
            if (!(o->v <= a->level_max)) a->level_max = o->v; /* also replaces the NAN start */
            break;
        case ST_Q_LAFMAX:
            if (!(o->v <= a->level_max)) a->level_max = o->v;
            break;
        case ST_Q_EVENT:
            if (o->v >= min_conf) a->events++;
            break;
        default:
            break;
        }
    }
    e->stats.obs_in += n;
    e->stats.obs_used += used;
    return used;
}

static void reset_minute(minute_acc *a)
{
    memset(a, 0, sizeof(*a));
    a->level_max = NAN;
}

static void write_minutes(st_engine *e)
{
    for (size_t i = 0; i < e->nzones; i++) {
        minute_acc *a = &e->acc[i];
        if (e->store) {
            st_minute m;
            memset(&m, 0, sizeof(m));
            memcpy(m.zone, e->ids[i], ST_ID_MAX);
            m.t = e->minute * 60.0;
            m.n_obs = a->n_obs;
            m.laeq_mean = a->n_laeq ? 10.0 * log10(a->energy / a->n_laeq) : NAN;
            m.laeq_max = a->level_max;
            m.occupancy = a->n_occ ? a->occ_sum / a->n_occ : NAN;
            m.events = a->events;
            m.score_mean = a->n_score ? a->score_sum / a->n_score : 0;
            m.score_max = a->score_max;
            st_zone_status zs;
            st_zone_status_get(e->zones[i], e->now, &zs);
            m.state = zs.state;
            int rc = st_store_add_minute(e->store, e->run, &m);
            if (rc < 0) {
                e->stats.store_errors++;
                st_warn(e->log, MOD, "zone %s: minute not stored (%s)", m.zone, strerror(-rc));
            }
        }
        reset_minute(a);
    }
    if (e->store) {
        int rc = st_store_flush(e->store);
        if (rc < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "store flush failed (%s)", strerror(-rc));
        }
    }
}

static void intervene(st_engine *e, size_t z, const st_intervention *iv)
{
    int64_t id = 0;
    e->stats.interventions++;
    if (e->store) {
        id = st_store_add_intervention(e->store, e->run, iv);
        if (id < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "zone %s: intervention not stored (%s)", iv->zone,
                    strerror((int)-id));
            id = 0;
        }
    }
    for (size_t a = 0; a < e->nact; a++) {
        int rc = e->act[a].ops->apply(e->act[a].self, iv);
        if (rc < 0) {
            e->stats.actuator_errors++;
            st_warn(e->log, MOD, "actuator %s: %s %s in zone %s failed (%s)",
                    e->act[a].ops->name ? e->act[a].ops->name : "?", st_act_kind_name(iv->kind),
                    iv->name, iv->zone, strerror(-rc));
        }
    }
    if (e->listener.on_intervention) e->listener.on_intervention(e->listener.ctx, iv, id);
    if (id > 0 && e->p.outcome_after_s > 0) {
        if (e->pend_n == MAX_PENDING) {
            e->stats.outcomes_dropped++;
            st_warn(e->log, MOD, "intervention %lld: outcome not tracked, %d pending (%llu lost)",
                    (long long)id, MAX_PENDING, (unsigned long long)e->stats.outcomes_dropped);
            return;
        }
        pending *q = &e->pend[(e->pend_head + e->pend_n++) % MAX_PENDING];
        q->iv_id = id;
        q->zone = z;
        q->due = iv->t + e->p.outcome_after_s;
    }
}

static void transition(st_engine *e, size_t z, const st_trace *tr, int hour)
{
    const char *zone = e->ids[z];
    int64_t id = 0;
    e->stats.transitions++;
    e->stats.entered[tr->to]++;
    if (e->store) {
        id = st_store_add_transition(e->store, e->run, zone, tr);
        if (id < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "zone %s: transition not stored (%s)", zone, strerror((int)-id));
            id = 0;
        }
    }
    /* Logged after the store so the id in the line is a committed row. */
    st_info(e->log, MOD, "zone %s: %s -> %s [transition %lld] (%s)", zone, st_state_name(tr->from),
            st_state_name(tr->to), (long long)id, tr->rule);
    if (e->listener.on_transition) e->listener.on_transition(e->listener.ctx, zone, tr, id);
    size_t n = st_policy_decide(e->policy, z, zone, tr, hour, id, e->ivs, MAX_IV);
    for (size_t i = 0; i < n; i++) intervene(e, z, &e->ivs[i]);
}

static void outcomes_due(st_engine *e)
{
    while (e->pend_n && e->pend[e->pend_head].due <= e->now) {
        const pending *q = &e->pend[e->pend_head];
        st_zone_status zs;
        st_zone_status_get(e->zones[q->zone], e->now, &zs);
        int rc = st_store_add_outcome(e->store, q->iv_id, e->p.outcome_after_s, e->now, zs.state);
        if (rc < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "intervention %lld: outcome not stored (%s)", (long long)q->iv_id,
                    strerror(-rc));
        }
        e->pend_head = (e->pend_head + 1) % MAX_PENDING;
        e->pend_n--;
    }
}

int st_engine_step(st_engine *e, double now)
{
    int made = 0;
    if (!e || !isfinite(now)) return -EINVAL;
    if (!e->started) {
        e->started = 1;
        e->now = now;
        e->next_eval = now;
        e->minute = floor(now / 60.0);
        for (size_t i = 0; i < e->nzones; i++) reset_minute(&e->acc[i]);
    }
    if (now > e->now) e->now = now; /* engine time never runs backwards */
    double minute = floor(e->now / 60.0);
    if (minute > e->minute) {
        write_minutes(e); /* the minute just ended, with the states it ended in */
        e->minute = minute;
    }
    if (e->now >= e->next_eval) {
        int hour = st_hour_of(e->now, e->p.utc_offset_min);
        for (size_t i = 0; i < e->nzones; i++) {
            st_trace tr;
            int changed = st_zone_eval(e->zones[i], e->now, hour, &tr);
            st_zone_status zs;
            st_zone_status_get(e->zones[i], e->now, &zs);
            minute_acc *a = &e->acc[i];
            a->score_sum += zs.score;
            if (zs.score > a->score_max) a->score_max = zs.score;
            a->n_score++;
            if (isfinite(zs.occupancy)) {
                a->occ_sum += zs.occupancy;
                a->n_occ++;
            }
            if (changed) {
                transition(e, i, &tr, hour);
                made++;
            }
        }
        /* Evaluations stay on the grid of eval_every_s, whatever the step times. */
        e->next_eval = (floor(e->now / e->p.eval_every_s) + 1) * e->p.eval_every_s;
    }
    if (e->store) outcomes_due(e);
    for (size_t a = 0; a < e->nact; a++) {
        if (!e->act[a].ops->tick) continue;
        int rc = e->act[a].ops->tick(e->act[a].self, e->now);
        if (rc < 0) {
            e->stats.actuator_errors++;
            st_debug(e->log, MOD, "actuator %s: tick failed (%s)",
                     e->act[a].ops->name ? e->act[a].ops->name : "?", strerror(-rc));
        }
    }
    return made;
}

int st_engine_flush(st_engine *e)
{
    return e && e->store ? st_store_flush(e->store) : 0;
}

size_t st_engine_zone_count(const st_engine *e)
{
    return e->nzones;
}

const st_zone *st_engine_zone(const st_engine *e, size_t i)
{
    return i < e->nzones ? e->zones[i] : NULL;
}

void st_engine_stats_get(const st_engine *e, st_engine_stats *out)
{
    *out = e->stats;
}

int st_hour_of(double t, int utc_offset_min)
{
    if (!isfinite(t)) return 0;
    double h = fmod(floor((t + utc_offset_min * 60.0) / 3600.0), 24.0);
    if (h < 0) h += 24.0;
    return (int)h;
}
