/* Episode tracker: one open escalation episode per zone at most, followed
 * through its outcome window (incident reached, time back to calm, noise and
 * event trajectory). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_EPISODES_H
#define STRATUM_EPISODES_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/store.h"
#include "stratum/zone.h"

typedef struct st_episodes st_episodes; /* opaque */

/* A tracker for nzones zones with a washout of washout_s seconds (0 = none;
 * see st_episodes_starts). NULL + errno (EINVAL for 0 zones or a negative or
 * non-finite washout). All state is sized here; nothing else allocates. */
st_episodes *st_episodes_new(size_t nzones, double washout_s);
void st_episodes_free(st_episodes *t);

/* An escalation episode starts when a zone enters tense or escalating at `now`
 * while none is open there and, with a washout, after the zone has been below
 * tense for at least washout_s (as seen by st_episodes_observe): the escalation
 * is fresh, so the previous episode's arm, or a rules intervention between
 * episodes, no longer acts on it. 1 if entering state `to` in zone z now opens
 * one, else 0. */
int st_episodes_starts(const st_episodes *t, size_t z, st_state to, double now);

/* Open an episode in zone z at time t0 with a window of window_s seconds; id is
 * its store id (0 if not stored), arm its arm index (kept for the caller).
 * The start values (score, laeq, event rate) begin the trajectory. 0, or
 * -EBUSY if one is open, -EINVAL. */
int st_episodes_open(st_episodes *t, size_t z, double t0, double window_s, int64_t id, int arm,
                     double score, double laeq, double event_rate);

/* 1 if zone z has an open episode (and fills *arm and *id when not NULL). */
int st_episodes_current(const st_episodes *t, size_t z, int *arm, int64_t *id);

/* Follow zone z at an evaluation at `now` with its status (borrowed); call it
 * at every evaluation of every zone, episode or not, after any transition, so
 * the washout sees when the zone went quiet. When the
 * window has ended, closes the episode, fills *out (and *arm, *id) and returns
 * 1; else 0. Allocates nothing. */
int st_episodes_observe(st_episodes *t, size_t z, double now, const st_zone_status *zs,
                        st_episode_outcome *out, int *arm, int64_t *id);

/* "Settled": back below tense within the window without reaching incident,
 * the success of Thompson sampling. */
int st_episode_settled(const st_episode_outcome *o);

#endif
