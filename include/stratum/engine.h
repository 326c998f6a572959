/* The engine: zones, policy and actuators wired together, writing to the store. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_ENGINE_H
#define STRATUM_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/actuator.h"
#include "stratum/audit.h"
#include "stratum/experiment.h"
#include "stratum/log.h"
#include "stratum/obs.h"
#include "stratum/policy.h"
#include "stratum/store.h"
#include "stratum/zone.h"

typedef struct st_engine_params {
    st_zone_params zone;
    int utc_offset_min;     /* local time = UTC + this, for hour of night */
    double outcome_after_s; /* record each intervention's zone state this long after */
    double eval_every_s;    /* how often zones are re-evaluated (observation time) */
    /* Scene asked for, once, when a zone's inputs go stale (rule "stale-inputs");
     * "" = none. While stale, the zone's rules do not fire. */
    char safe_scene[ST_ACTION_MAX];
    /* [experiment] and [arm NAME]: episodes, arms and their assignment
     * (docs/evidence.md). All-zero = the plain rules, episodes still recorded. */
    st_exp_params experiment;
} st_engine_params;

typedef struct st_engine_stats {
    uint64_t obs_in;   /* observations offered */
    uint64_t obs_used; /* fused into a zone */
    uint64_t obs_unknown_zone;
    uint64_t obs_rejected; /* refused by the zone (e.g. too old) */
    uint64_t transitions;
    uint64_t interventions;
    uint64_t actuator_errors;
    uint64_t store_errors;
    uint64_t outcomes_dropped;         /* pending-outcome table full: outcome not recorded */
    uint64_t entered[ST_STATE__COUNT]; /* transitions into each state */
    uint64_t episodes_opened, episodes_closed;
    uint64_t withheld; /* interventions the episode's arm did not allow */
} st_engine_stats;

/* Optional callbacks (e.g. the run loop's live lines, the dashboard's events).
 * Pointers passed to them are borrowed for the call only. */
typedef struct st_engine_listener {
    void (*on_transition)(void *ctx, const char *zone, const st_trace *tr, int64_t id);
    void (*on_intervention)(void *ctx, const st_intervention *iv, int64_t id);
    void *ctx;
} st_engine_listener;

typedef struct st_engine st_engine; /* opaque */

/* p, zones and rules are copied. store (may be NULL) and log (may be NULL) are
 * borrowed and must outlive the engine; run is the store's run id. */
st_engine *st_engine_new(const st_engine_params *p, const st_zone_def *zones, size_t nzones,
                         const st_rule *rules, size_t nrules, st_store *store, int64_t run,
                         st_log *log);
/* Frees the engine and every actuator added to it (their ops->free). */
void st_engine_free(st_engine *e);

/* Add an actuator; ownership of a.self passes to the engine, also on failure
 * (-ENOSPC: the engine has called a.ops->free(a.self)). 0 or -ENOSPC. */
int st_engine_add_actuator(st_engine *e, st_actuator a);
void st_engine_set_listener(st_engine *e, const st_engine_listener *l);

/* Fuse n observations (borrowed). Returns how many were used. Allocates nothing. */
size_t st_engine_ingest(st_engine *e, const st_obs *obs, size_t n);

/* Advance engine time to `now` (epoch seconds, observation time): evaluate zones
 * when due, store transitions and their traces, ask the policy, drive the
 * actuators, write minute aggregates and due outcomes. Returns the number of
 * transitions made, or a negative errno only for programming errors: store
 * and actuator failures are logged and counted, never fatal. */
int st_engine_step(st_engine *e, double now);

/* An intervention asked for by an operator (dashboard, command line): stored,
 * handed to every actuator (the lights' safety envelope still applies),
 * reported to the listener and audited exactly like one the rules made. iv is
 * borrowed; its rule should name who asked ("operator:NAME"). 0, -ENOENT for
 * an unknown zone, -EINVAL. */
int st_engine_manual(st_engine *e, const st_intervention *iv);

/* Flush pending store writes (call at shutdown). */
int st_engine_flush(st_engine *e);

size_t st_engine_zone_count(const st_engine *e);
/* Zone i (borrowed). */
const st_zone *st_engine_zone(const st_engine *e, size_t i);
void st_engine_stats_get(const st_engine *e, st_engine_stats *out);

/* Append an "actuation" record per intervention and an "assignment" record per
 * episode to the audit chain a (borrowed, must outlive the engine; NULL stops). */
void st_engine_set_audit(st_engine *e, st_audit *a);

/* Called when an episode opens (out == NULL) and when its window closes; ep,
 * out are borrowed for the call; id is the store id (0 without a store). */
typedef void (*st_engine_episode_fn)(void *ctx, const st_episode *ep, const st_episode_outcome *out,
                                     int64_t id);
void st_engine_set_episode_listener(st_engine *e, st_engine_episode_fn fn, void *ctx);

/* The engine's experiment (borrowed), e.g. to seed Thompson priors from pooled
 * evidence before the night starts (st_experiment_set_prior). */
st_experiment *st_engine_experiment(st_engine *e);

/* Local hour of night (0-23) for epoch time t under utc_offset_min. */
int st_hour_of(double t, int utc_offset_min);

#endif
