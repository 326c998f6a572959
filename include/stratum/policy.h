/* Policy: rules that map (zone state, hour of night) to interventions, with cool-downs. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_POLICY_H
#define STRATUM_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/zone.h"

typedef enum st_act_kind { ST_ACT_SCENE = 0, ST_ACT_MUSIC, ST_ACT_ALERT } st_act_kind;
const char *st_act_kind_name(st_act_kind k); /* "scene", "music", "alert" */

#define ST_ACTION_MAX 32

/* A configured rule ([rule NAME] section, docs/config.md). A rule fires when a
 * zone ENTERS a state in `states` (bit 1<<st_state) during local hours
 * [hour_from, hour_to) (wrapping past midnight; from == to means all night),
 * and not within cooldown_s of its last firing in that zone. Empty action
 * strings mean "no such action". */
typedef struct st_rule {
    char name[ST_ID_MAX];
    unsigned states;
    int hour_from, hour_to;
    char scene[ST_ACTION_MAX]; /* lighting scene name */
    char music[ST_ACTION_MAX]; /* music programme name */
    char alert[ST_ACTION_MAX]; /* alert severity: info, warning, critical */
    double cooldown_s;
} st_rule;

/* One actuation the engine asks for. Plain data. */
typedef struct st_intervention {
    double t;
    char zone[ST_ID_MAX];
    st_act_kind kind;
    char name[ST_ACTION_MAX]; /* scene, programme or severity */
    char rule[ST_ID_MAX];     /* rule that fired */
    st_state from, to;        /* the transition that triggered it */
    int64_t transition_id;    /* store id of that transition, 0 if not stored */
    char reason[256];         /* one readable sentence: inputs, rule, state change */
} st_intervention;

typedef struct st_policy st_policy; /* opaque */

/* rules is copied. nzones sizes the cool-down table. NULL + errno on failure. */
st_policy *st_policy_new(const st_rule *rules, size_t nrules, size_t nzones);
void st_policy_free(st_policy *p);

/* The zone with index zone_idx just made the transition in *tr. Fill out[0..max)
 * with the interventions due (one per action of each firing rule) and return
 * their count. Allocates nothing. */
size_t st_policy_decide(st_policy *p, size_t zone_idx, const char *zone, const st_trace *tr,
                        int hour_of_night, int64_t transition_id, st_intervention *out, size_t max);

#endif
