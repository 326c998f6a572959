/* Actuator interface: how decisions reach lights, music and alerts. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_ACTUATOR_H
#define STRATUM_ACTUATOR_H

#include "stratum/log.h"
#include "stratum/policy.h"

/* A backend (log, sACN, Art-Net, MPD, alerts, the simulated street) implements
 * these; `self` is the backend's own state. apply() returns 0 or a negative
 * errno; a failing actuator is logged and retried by the backend itself, never
 * stops the engine. tick() (may be NULL) is called every engine step for
 * fades and keep-alives. free() (may be NULL) releases self. */
typedef struct st_actuator_ops {
    const char *name;
    int (*apply)(void *self, const st_intervention *iv);
    int (*tick)(void *self, double now);
    void (*free)(void *self);
} st_actuator_ops;

typedef struct st_actuator {
    const st_actuator_ops *ops; /* static, borrowed */
    void *self;
} st_actuator;

/* An actuator that writes each intervention as one log line (info level).
 * log is borrowed and must outlive the actuator. */
st_actuator st_act_log_new(st_log *log);

#endif
