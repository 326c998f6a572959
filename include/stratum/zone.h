/* Zone fusion and the escalation state machine, with decision traces. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_ZONE_H
#define STRATUM_ZONE_H

#include <stdint.h>
#include "stratum/obs.h"

typedef enum st_state {
    ST_CALM = 0,
    ST_LIVELY,
    ST_TENSE,
    ST_ESCALATING,
    ST_INCIDENT,
    ST_STATE__COUNT
} st_state;

/* "calm", "lively", ... (static); st_state_parse returns -1 if unknown. */
const char *st_state_name(st_state s);
int st_state_parse(const char *s);

/* Fusion and state-machine parameters (filled from config, docs/config.md).
 * Scores are in [0,1]. enter[s] is the score at or above which the zone may move
 * up to state s; exit[s] the score below which it may move down from s
 * (exit[s] < enter[s]: the hysteresis band). A move happens only when its
 * condition has held for hold_s AND the zone has spent dwell_s[current] in its
 * current state. */
typedef struct st_zone_params {
    double win_short_s, win_mid_s, win_long_s;  /* rolling windows, e.g. 10, 60, 300 */
    double w_crowd, w_noise, w_events, w_trend; /* score weights, sum 1 */
    double noise_span_db;   /* LAeq(mid) - baseline that saturates the noise term */
    double event_rate_span; /* events/min (mid window) that saturates the event term */
    double trend_span_db;   /* LAeq(short) - LAeq(long) that saturates the trend term */
    double event_min_conf;  /* events below this confidence are ignored */
    double baseline_db;     /* initial LAeq baseline for every hour of night */
    double baseline_alpha;  /* EWMA weight of a minute's LAeq in its hour's baseline */
    double enter[ST_STATE__COUNT];
    double exit[ST_STATE__COUNT];
    double dwell_s[ST_STATE__COUNT];
    double hold_s;
    double stale_s; /* no observation for this long: zone inputs are stale */
} st_zone_params;

/* Zone as configured. */
typedef struct st_zone_def {
    char id[ST_ID_MAX];
    char title[64];
    double capacity; /* people at which the crowd term saturates */
    int lamps;       /* lamp posts in this zone */
} st_zone_def;

/* Everything that explains one state transition. Plain data. */
typedef struct st_trace {
    double t; /* observation time of the decision */
    st_state from, to;
    double score;
    double occupancy;                       /* people present */
    double laeq_short, laeq_mid, laeq_long; /* dB, energy means over the windows */
    double baseline_db;                     /* baseline for this hour of night */
    double event_rate;                      /* raucous events per minute over the mid window */
    double term_crowd, term_noise, term_events, term_trend; /* weighted contributions */
    double threshold; /* the enter/exit threshold that was crossed */
    double held_s;    /* how long the condition held */
    double dwell_s;   /* time spent in `from` */
    char rule[160];   /* human-readable rule, e.g. "score 0.61 >= enter[tense] 0.55 ..." */
} st_trace;

/* Write trace as a JSON object into buf; returns length or -ENOSPC. */
int st_trace_to_json(const st_trace *tr, const char *zone, char *buf, size_t cap);

/* Live view of a zone, for the run loop's status line and the dashboard. */
typedef struct st_zone_status {
    st_state state;
    double since; /* time the current state was entered */
    double score;
    double occupancy;
    double laeq_mid;
    double event_rate;
    double last_obs; /* time of the newest observation, 0 if none */
    int stale;
} st_zone_status;

typedef struct st_zone st_zone; /* opaque */

/* New zone. def and p are copied. Returns NULL with errno on failure.
 * All buffers (windows, baselines) are sized here; push/eval allocate nothing. */
st_zone *st_zone_new(const st_zone_def *def, const st_zone_params *p);
void st_zone_free(st_zone *z);
const st_zone_def *st_zone_def_get(const st_zone *z); /* borrowed */

/* Fuse one observation (its zone must be this zone; quantities the zone does not
 * use are ignored). Returns 0, or -EINVAL for an observation older than the
 * long window. */
int st_zone_push(st_zone *z, const st_obs *o);

/* Recompute the score at time `now` (seconds, epoch), with `hour_of_night`
 * the local hour (0-23) used for the baseline. Returns 1 and fills *tr when the
 * state changed, else 0. */
int st_zone_eval(st_zone *z, double now, int hour_of_night, st_trace *tr);

void st_zone_status_get(const st_zone *z, double now, st_zone_status *out);

#endif
