/* The embedded default street: a simulator that talks to the engine only
 * through SenML packs (sensors) and interventions (its lamps, speakers, stewards). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_SIM_H
#define STRATUM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/actuator.h"
#include "stratum/zone.h"

#define ST_SIM_MAX_EFFECTS 16

/* Hidden true effect of one intervention, e.g. action "scene:calm-warm".
 * effect is the fraction by which an active intervention lowers the drift of
 * the zone's latent tension (0 = no effect, 1 = removes it); it lasts
 * duration_s after the intervention. The engine never sees these. */
typedef struct st_sim_effect {
    char action[2 * ST_ACTION_MAX];
    double effect;
    double duration_s;
} st_sim_effect;

typedef struct st_sim_params {
    uint64_t seed;
    double start_epoch;     /* epoch seconds of the night's start (20:00 local) */
    double night_hours;     /* 8 = 20:00 to 04:00 */
    double tick_s;          /* sensor reporting period, simulated seconds (1) */
    double crowd_peak;      /* peak occupancy as a fraction of zone capacity */
    double onset_per_hour;  /* rate of latent escalation onsets per zone at peak crowd */
    double tension_drift;   /* tension growth per minute during an onset */
    double tension_decay;   /* relaxation per minute outside onsets */
    double incident_hazard; /* incidents per minute at tension 1 */
    double incident_s;      /* how long an incident (a fight) is heard; <= 0 means 60 */
    double base_laeq_db;    /* ambient LAeq of an empty street */
    st_sim_effect effects[ST_SIM_MAX_EFFECTS];
    size_t neffects;
} st_sim_params;

/* Ground truth the simulator keeps for the run summary and later evaluation. */
typedef struct st_sim_stats {
    double sim_seconds;
    uint64_t packs, records;
    int episodes;                               /* latent escalation onsets */
    int episodes_treated;                       /* ... that received at least one intervention */
    int incidents_treated, incidents_untreated; /* incidents within those episodes */
    int interventions;                          /* interventions received */
    int lamps;                                  /* lamp posts simulated */
} st_sim_stats;

typedef struct st_sim st_sim; /* opaque */

/* zones and p are copied. Each zone has one sound meter "meter-<i>" and one
 * counting camera "cam-<i>" (i from 1), and def.lamps lamp posts. */
st_sim *st_sim_new(const st_sim_params *p, const st_zone_def *zones, size_t nzones);
void st_sim_free(st_sim *s);

double st_sim_now(const st_sim *s); /* simulated epoch seconds */
int st_sim_done(const st_sim *s);   /* 1 once the night is over */

/* Called once per pack produced; pack is borrowed for the call only.
 * A non-zero return stops the step and is returned by st_sim_step. */
typedef int (*st_sim_emit_fn)(void *ctx, const char *pack, size_t len);

/* Advance one tick and emit every sensor's SenML pack for it. 0 or the emit
 * function's non-zero value. Allocates nothing. */
int st_sim_step(st_sim *s, st_sim_emit_fn emit, void *ctx);

/* The street's side of actuation (its lamps and people respond). self is the
 * simulator itself (borrowed): the actuator's free is a no-op and it must not
 * outlive s. */
st_actuator st_sim_actuator(st_sim *s);

void st_sim_stats_get(const st_sim *s, st_sim_stats *out);

#endif
