/* Configuration: one table of keys (type, range, default, reloadable) that drives
 * parsing, validation, --dump-config and reload. Format and keys: docs/config.md. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_CONFIG_H
#define STRATUM_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include "stratum/engine.h"
#include "stratum/log.h"
#include "stratum/policy.h"
#include "stratum/sim.h"
#include "stratum/zone.h"

#define ST_MAX_ZONES 128
#define ST_MAX_RULES 64
#define ST_PATH_MAX  256

/* Every setting of a Stratum installation. Plain data; the config table
 * refers into it by offset. */
typedef struct st_settings {
    char street[ST_ID_MAX];       /* [street] name */
    char store_path[ST_PATH_MAX]; /* [store] path */
    int store_sync_full;          /* [store] sync = full|normal */
    st_log_level log_level;       /* [log] level */
    double run_speed; /* [run] speed: simulated seconds per wall second; 0 = as fast as possible */
    double status_every_s;   /* [run] status_every_s: simulated seconds between live lines */
    st_engine_params engine; /* [engine] (zone fusion, state machine, outcomes) */
    st_sim_params sim;       /* [sim] (and [effect ACTION] sections) */
    st_zone_def zones[ST_MAX_ZONES]; /* [zone ID] sections */
    size_t nzones;
    st_rule rules[ST_MAX_RULES]; /* [rule NAME] sections */
    size_t nrules;
} st_settings;

/* Fill s with the embedded default street: 5 zones, 22 lamps, the default rules
 * and simulator (identical to examples/stratumseind.conf). */
void st_settings_default(st_settings *s);

/* Load an INI-style file over s. Config files that define any [zone] or [rule]
 * section replace the default zones or rules as a whole. On error returns
 * -EINVAL (or -errno for I/O) and writes one line "FILE:LINE: what is wrong"
 * into err; s is then unspecified. */
int st_config_load(st_settings *s, const char *path, char *err, size_t errcap);

/* Same, from a string (name is used in error messages). */
int st_config_load_string(st_settings *s, const char *text, const char *name, char *err,
                          size_t errcap);

/* Set one key ("engine.hold_s", "sim.seed", "zone.z1.capacity"...) from text,
 * as the command line's --set KEY=VALUE does. 0 or -EINVAL with err filled. */
int st_config_set(st_settings *s, const char *key, const char *value, char *err, size_t errcap);

/* Cross-field checks (weights sum, exit < enter, hours...). 0 or -EINVAL + err. */
int st_config_validate(const st_settings *s, char *err, size_t errcap);

/* Write s as a complete, loadable config file with one comment per key
 * (type, range, default, reloadable). 0 or -errno. */
int st_config_dump(const st_settings *s, FILE *out);

#endif
