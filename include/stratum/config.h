/* Configuration: one table of keys (type, range, default, reloadable) that drives
 * parsing, validation, --dump-config and reload. Format and keys: docs/config.md. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_CONFIG_H
#define STRATUM_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include "stratum/alert.h"
#include "stratum/engine.h"
#include "stratum/failsafe.h"
#include "stratum/light.h"
#include "stratum/log.h"
#include "stratum/music.h"
#include "stratum/policy.h"
#include "stratum/sim.h"
#include "stratum/zone.h"

#define ST_MAX_ZONES 128
#define ST_MAX_RULES 64
#define ST_PATH_MAX  256

/* [light] protocol. */
typedef enum st_light_protocol {
    ST_LIGHT_PROTO_SACN = 0,
    ST_LIGHT_PROTO_ARTNET,
    ST_LIGHT_PROTO_BOTH,
    ST_LIGHT_PROTO_OFF
} st_light_protocol;

/* Every setting of a Stratum installation. Plain data; the config table
 * refers into it by offset. Fields of the module structs that are not keys
 * (e.g. light.sacn.dest, light.safe_scene, alert.street) stay zero here and
 * are filled by st_config_light / st_config_alert from the keys. */
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
    int light_protocol;              /* [light] protocol (st_light_protocol) */
    char light_dest[64];             /* [light] dest: IPv4 address, or "multicast" (sACN) */
    int light_port;                  /* [light] port; 0 = the protocol's own (5568, 6454) */
    char state_dir[ST_PATH_MAX];     /* [light] state_dir; "" = the folder of store.path */
    st_light_params light;           /* [light], [envelope], [lamp ID], [scene NAME] */
    st_failsafe_params failsafe;     /* [failsafe] */
    st_music_params music;           /* [music], [programme NAME]; host "" = no music */
    st_alert_params alert;           /* [alert] */
    int run_linger;                  /* [run] linger: 0 auto (on a terminal), 1 yes, 2 no */
    char http_bind[64];              /* [http] bind: listener address (loopback by default) */
    int http_port;                   /* [http] port; 0 = no dashboard or API */
    char http_token[ST_PATH_MAX];    /* [http] token_path; "" = stratum.token beside the store */
    char http_web_root[ST_PATH_MAX]; /* [http] web_root; "" = web/ beside the program */
    char reg_owner[128];             /* [register] owner */
    char reg_retention[128];         /* [register] retention */
    char reg_contact[128];           /* [register] contact */
    char audit_key[ST_PATH_MAX];     /* [audit] key; "" = installation.key beside the store */
    int audit_sign_every;            /* [audit] sign_every: records between signed heads */
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

/* The lighting output as configured, ready for st_failsafe_new: s->light
 * with the default patch when no [lamp] is given (one universe per zone,
 * dim+cct from channel 1 in steps of 3, zone.ID.lamps lamps each), the
 * configured safe scene, protocol, destination and port, the CID file
 * STATE/sacn.cid and the lock STATE/light.lock (STATE = light.state_dir, or
 * the folder of store.path). fp may be NULL. With light.protocol = off, lp
 * gets sACN settings (for checks) and the caller starts no output.
 * 0, or -EINVAL with one line in err (e.g. a state_dir too long). */
int st_config_light(const st_settings *s, st_light_params *lp, st_failsafe_params *fp, char *err,
                    size_t errcap);

/* The alert settings with the street's name filled in. */
void st_config_alert(const st_settings *s, st_alert_params *out);

/* Write s as a complete, loadable config file with one comment per key
 * (type, range, default, reloadable). 0 or -errno. */
int st_config_dump(const st_settings *s, FILE *out);

#endif
