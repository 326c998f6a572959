/* The engine: zone lookup, fusion, evaluation, policy, actuators, store writes and outcomes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/audit_hook.h"
#include "stratum/engine.h"
#include "stratum/episodes.h"

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
    unsigned char *stale; /* per zone: the stale-inputs safe scene is in force */
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

    /* Evidence: episodes, their arms, and the audit chain (docs/evidence.md). */
    st_experiment *exp;
    st_episodes *eps;
    st_episode *ep; /* per zone: the open episode as assigned */
    st_audit *audit;
    st_engine_episode_fn ep_fn;
    void *ep_ctx;
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
    e->stale = calloc(nzones, sizeof(*e->stale));
    if (!e->zones || !e->ids || !e->hashes || !e->slots || !e->acc || !e->pend || !e->stale)
        goto fail;
    e->p.safe_scene[sizeof(e->p.safe_scene) - 1] = '\0';
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
    e->exp = st_experiment_new(&p->experiment);
    if (!e->exp) {
        st_error(log, MOD, "invalid experiment settings (arms, pinned arm or policy)");
        goto fail;
    }
    e->eps = st_episodes_new(nzones, st_experiment_washout(e->exp));
    e->ep = calloc(nzones, sizeof(*e->ep));
    if (!e->eps || !e->ep) goto fail;
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
    st_experiment_free(e->exp);
    st_episodes_free(e->eps);
    free(e->ep);
    free(e->zones);
    free(e->ids);
    free(e->hashes);
    free(e->slots);
    free(e->acc);
    free(e->pend);
    free(e->stale);
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
    if (e->audit) {
        int arm = ST_EXP_RULES;
        int open = st_episodes_current(e->eps, z, &arm, NULL);
        int64_t seq = st_audit_hook_actuation(e->audit, iv, id,
                                              open ? st_experiment_arm_name(e->exp, arm) : NULL);
        if (seq < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "intervention %lld: audit record not written (%s)", (long long)id,
                    strerror((int)-seq));
        }
    }
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

/* Open an episode when zone z enters tense or escalating outside one: assign
 * its arm and store it (and audit it) before anything of its outcome exists. */
static void episode_open(st_engine *e, size_t z, const st_trace *tr, int64_t tid, int hour)
{
    const st_zone_def *def = st_zone_def_get(e->zones[z]);
    double crowd =
        isfinite(tr->occupancy) && def->capacity > 0 ? tr->occupancy / def->capacity : NAN;
    st_exp_assignment as;
    if (st_experiment_assign(e->exp, st_experiment_stratum(e->exp, hour, crowd), &as) < 0) return;
    st_episode *ep = &e->ep[z];
    memset(ep, 0, sizeof(*ep));
    memcpy(ep->zone, e->ids[z], ST_ID_MAX);
    ep->t = tr->t;
    ep->entered = tr->to;
    ep->transition_id = tid;
    snprintf(ep->stratum, sizeof(ep->stratum), "%s", st_experiment_stratum_name(as.stratum));
    snprintf(ep->policy, sizeof(ep->policy), "%s", st_exp_policy_name(as.policy));
    snprintf(ep->arm, sizeof(ep->arm), "%s", st_experiment_arm_name(e->exp, as.arm));
    ep->seed = as.seed;
    ep->draw = as.draw;
    ep->window_s = st_experiment_window(e->exp);
    ep->score = tr->score;
    ep->laeq = tr->laeq_mid;
    ep->event_rate = tr->event_rate;
    ep->occupancy = tr->occupancy;
    int64_t id = 0;
    if (e->store) {
        id = st_store_add_episode(e->store, e->run, ep);
        if (id < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "zone %s: episode not stored (%s)", ep->zone, strerror((int)-id));
            id = 0;
        }
    }
    st_episodes_open(e->eps, z, tr->t, ep->window_s, id, as.arm, tr->score, tr->laeq_mid,
                     tr->event_rate);
    e->stats.episodes_opened++;
    st_info(e->log, MOD, "zone %s: episode %lld opens (%s, %s arm %s)", ep->zone, (long long)id,
            ep->stratum, ep->policy, ep->arm);
    if (e->audit) {
        int64_t seq = st_audit_hook_assignment(e->audit, tr->t, ep->zone, id, ep->stratum,
                                               ep->policy, ep->arm, ep->seed, ep->draw);
        if (seq < 0) e->stats.store_errors++;
    }
    if (e->ep_fn) e->ep_fn(e->ep_ctx, ep, NULL, id);
}

/* Keep the interventions the zone's episode arm allows (entries into tense
 * and escalating only: the incident and calm-again responses are never
 * withheld), and give a control episode its baseline scene. Returns the new
 * count of e->ivs. */
static size_t experiment_filter(st_engine *e, size_t z, const st_trace *tr, int64_t tid, int hour,
                                size_t n)
{
    int opened = 0, arm = ST_EXP_RULES;
    if (st_episodes_starts(e->eps, z, tr->to, tr->t)) {
        episode_open(e, z, tr, tid, hour);
        opened = 1;
    }
    if (!st_episodes_current(e->eps, z, &arm, NULL) || arm == ST_EXP_RULES ||
        (tr->to != ST_TENSE && tr->to != ST_ESCALATING))
        return n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        /* Experiments randomise the calming interventions (light, music) only:
         * a steward alert is a safety measure and is never withheld. */
        if (e->ivs[i].kind == ST_ACT_ALERT ||
            st_experiment_allows(e->exp, arm, e->ivs[i].kind, e->ivs[i].name))
            e->ivs[k++] = e->ivs[i];
        else
            e->stats.withheld++;
    }
    const char *scene = e->p.experiment.control_scene;
    if (opened && arm == ST_EXP_CONTROL && scene[0] && k < MAX_IV) {
        st_intervention *iv = &e->ivs[k++];
        memset(iv, 0, sizeof(*iv));
        iv->t = tr->t;
        memcpy(iv->zone, e->ids[z], ST_ID_MAX);
        iv->kind = ST_ACT_SCENE;
        snprintf(iv->name, sizeof(iv->name), "%s", scene);
        snprintf(iv->rule, sizeof(iv->rule), "experiment-control");
        iv->from = tr->from;
        iv->to = tr->to;
        iv->transition_id = tid;
        snprintf(iv->reason, sizeof(iv->reason),
                 "%s %s->%s opened an escalation episode assigned to the control arm: "
                 "baseline scene %s",
                 e->ids[z], st_state_name(tr->from), st_state_name(tr->to), scene);
    }
    return k;
}

/* Follow zone z's episode at an evaluation; close it when its window ends. */
static void episode_observe(st_engine *e, size_t z, const st_zone_status *zs)
{
    st_episode_outcome out;
    int arm = 0;
    int64_t id = 0;
    if (!st_episodes_observe(e->eps, z, e->now, zs, &out, &arm, &id)) return;
    e->stats.episodes_closed++;
    st_experiment_outcome(e->exp, arm, st_episode_settled(&out));
    if (e->store && id > 0) {
        int rc = st_store_add_episode_outcome(e->store, id, &out);
        if (rc < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "episode %lld: outcome not stored (%s)", (long long)id,
                    strerror(-rc));
        }
    }
    if (e->ep_fn) e->ep_fn(e->ep_ctx, &e->ep[z], &out, id);
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
    if (e->stale[z]) {
        /* No evidence, no rule: the stale-inputs safe scene holds until the
         * inputs return (the zone still walks down to calm meanwhile). */
        st_info(e->log, MOD, "zone %s: rules not applied to %s -> %s: inputs stale", zone,
                st_state_name(tr->from), st_state_name(tr->to));
        return;
    }
    size_t n = st_policy_decide(e->policy, z, zone, tr, hour, id, e->ivs, MAX_IV);
    n = experiment_filter(e, z, tr, id, hour, n);
    for (size_t i = 0; i < n; i++) intervene(e, z, &e->ivs[i]);
}

/* Local wall-clock time of epoch t as HH:MM:SS. */
static void local_clock(double t, int utc_offset_min, char *buf, size_t cap)
{
    time_t s = (time_t)floor(t + utc_offset_min * 60.0);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, cap, "%H:%M:%S", &tm);
}

/* Zone z's inputs went stale (it had observations, none for stale_s): ask for
 * the safe scene once, stored and explained like any intervention (PRODUCT.md
 * safety rule 3: stale inputs return the street to a safe default). When they
 * return, the flag clears and the zone's rules fire again. */
static void stale_check(st_engine *e, size_t z, const st_zone_status *zs)
{
    if (!e->p.safe_scene[0]) return;
    if (!zs->stale) {
        if (e->stale[z]) {
            e->stale[z] = 0;
            st_info(e->log, MOD, "zone %s: inputs are back; rules apply again", e->ids[z]);
        }
        return;
    }
    if (e->stale[z] || zs->last_obs <= 0) return; /* never reported: still at the start look */
    e->stale[z] = 1;
    st_intervention iv;
    memset(&iv, 0, sizeof(iv));
    iv.t = e->now;
    memcpy(iv.zone, e->ids[z], ST_ID_MAX);
    iv.kind = ST_ACT_SCENE;
    snprintf(iv.name, sizeof(iv.name), "%s", e->p.safe_scene);
    snprintf(iv.rule, sizeof(iv.rule), "stale-inputs");
    iv.from = iv.to = zs->state;
    char since[16];
    local_clock(zs->last_obs, e->p.utc_offset_min, since, sizeof(since));
    snprintf(iv.reason, sizeof(iv.reason),
             "inputs stale: no observation from any sensor of zone %s (sound levels, events, "
             "counts) since %s local, %.0f s > stale_s %.0f s; safe scene %s until they return",
             e->ids[z], since, e->now - zs->last_obs, e->p.zone.stale_s, e->p.safe_scene);
    st_warn(e->log, MOD, "zone %s: %s", e->ids[z], iv.reason);
    intervene(e, z, &iv);
}

static void outcomes_due(st_engine *e)
{
    int wrote = 0;
    while (e->pend_n && e->pend[e->pend_head].due <= e->now) {
        wrote = 1;
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
    /* Commit now rather than at the next minute: no write transaction stays open
     * between steps, so other connections (the audit chain) never wait on one. */
    if (wrote) {
        int rc = st_store_flush(e->store);
        if (rc < 0) {
            e->stats.store_errors++;
            st_warn(e->log, MOD, "store flush failed (%s)", strerror(-rc));
        }
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
            stale_check(e, i, &zs);
            if (changed) {
                transition(e, i, &tr, hour);
                made++;
            }
            episode_observe(e, i, &zs);
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

int st_engine_manual(st_engine *e, const st_intervention *iv)
{
    if (!e || !iv) return -EINVAL;
    for (size_t z = 0; z < e->nzones; z++)
        if (!strcmp(e->ids[z], iv->zone)) {
            intervene(e, z, iv);
            return 0;
        }
    return -ENOENT;
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

void st_engine_set_audit(st_engine *e, st_audit *a)
{
    e->audit = a;
}

void st_engine_set_episode_listener(st_engine *e, st_engine_episode_fn fn, void *ctx)
{
    e->ep_fn = fn;
    e->ep_ctx = ctx;
}

st_experiment *st_engine_experiment(st_engine *e)
{
    return e->exp;
}

int st_hour_of(double t, int utc_offset_min)
{
    if (!isfinite(t)) return 0;
    double h = fmod(floor((t + utc_offset_min * 60.0) / 3600.0), 24.0);
    if (h < 0) h += 24.0;
    return (int)h;
}
