/* Logging actuator: every intervention becomes one readable info line. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/actuator.h"

static int log_apply(void *self, const st_intervention *iv)
{
    st_info((st_log *)self, "act", "zone %s: %s %s (rule %s): %s", iv->zone,
            st_act_kind_name(iv->kind), iv->name, iv->rule, iv->reason);
    return 0;
}

/* No tick (nothing fades) and no free: the log is borrowed. */
static const st_actuator_ops log_ops = {"log", log_apply, NULL, NULL};

st_actuator st_act_log_new(st_log *log)
{
    st_actuator a = {&log_ops, log};
    return a;
}
