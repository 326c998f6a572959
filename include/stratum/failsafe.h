/* Fail-safe lighting: a watchdog process owns the lighting output, follows the
 * engine's commands and heartbeats, and returns the street to the safe scene
 * when the engine stops, hangs or is killed (docs/actuation.md). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_FAILSAFE_H
#define STRATUM_FAILSAFE_H

#include <sys/types.h>
#include "stratum/actuator.h"
#include "stratum/light.h"
#include "stratum/log.h"

typedef struct st_failsafe_params {
    double heartbeat_s;         /* the engine side sends a heartbeat this often (0.25 s) */
    double heartbeat_timeout_s; /* no heartbeat this long: safe scene (3 s) */
    double stop_timeout_s;      /* longest fade to the safe scene on stop (10 s) */
    char lock_path[256];        /* flock'ed by the watchdog, holds "PID[ orphan]"; "" = none */
    int takeover;               /* 1: replace an orphaned watchdog holding the lock */
    double orphan_hold_s;       /* after its engine died, keep the reached safe scene on the
                                 * wire this long, then end the streams and exit (receivers
                                 * hold the last look); < 0: hold until taken over (5 s) */
} st_failsafe_params;

void st_failsafe_params_default(st_failsafe_params *p);

typedef struct st_failsafe st_failsafe; /* opaque */

/* Check lp, take the lock and fork the watchdog, which opens the senders and
 * drives lp's lamps (starting at the safe scene) until told to stop; returns
 * once it reports ready. lp and fp are copied; log is borrowed and also used
 * by the watchdog (its stream is inherited). Call before starting threads.
 * NULL + errno: EINVAL (bad parameters, logged), EBUSY (another live
 * process drives these lights: its pid is logged), or the watchdog's error. */
st_failsafe *st_failsafe_new(const st_light_params *lp, const st_failsafe_params *fp, st_log *log);

/* Ask the watchdog to stop: it fades to the safe scene (at most
 * stop_timeout_s), sends the E1.31 stream-terminated packets and exits.
 * Waits for it when wait is 1. Frees f. NULL ok. */
void st_failsafe_stop(st_failsafe *f, int wait);
/* st_failsafe_stop(f, 0). */
void st_failsafe_free(st_failsafe *f);

/* Stop the watchdog and wait until it has faded to the safe scene, ended the
 * streams and exited (bounded by stop_timeout_s + 3 s, then SIGKILL). f stays
 * allocated for its owner's later st_failsafe_free, which then does nothing
 * more; no watchdog is respawned. For a caller whose actuator owns f but who
 * must not return before the street is safe (`stratum run` on exit).
 * 0, or -ETIMEDOUT when the watchdog had to be killed. NULL ok (0). */
int st_failsafe_finish(st_failsafe *f);

/* Forward a scene for zone (NULL/"*" = all); name may be ST_LIGHT_SAFE.
 * 0, -ENOENT (unknown scene, checked here), -EAGAIN (watchdog busy; retried
 * by the next tick) or -EPIPE (watchdog gone; respawned by the next tick). */
int st_failsafe_scene(st_failsafe *f, const char *name, const char *zone);

/* Send a heartbeat if one is due, and respawn a watchdog that died (with
 * back-off), replaying the last scene of every zone. Call every engine step.
 * 0 or a negative errno (logged). */
int st_failsafe_tick(st_failsafe *f);

/* The watchdog's process id (0 if none is running). */
pid_t st_failsafe_pid(const st_failsafe *f);

/* An actuator for the engine: apply() forwards ST_ACT_SCENE interventions,
 * tick() calls st_failsafe_tick, free() calls st_failsafe_free. Ownership of
 * f passes to the actuator. */
st_actuator st_failsafe_actuator(st_failsafe *f);

#endif
