/* Configuration: one table of keys that drives defaults, parsing, --set, validation and dumps. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/civil.h"
#include "stratum/config.h"
#include "stratum/experiment.h"

/* Modelled on Redis src/config.c static_configs[]: every key is one row of
 * `keys` below (section, name, type, where it lives, range, default text,
 * reloadable, help). st_settings_default parses the default texts, so the
 * table is the one source of truth for defaults; the default street's zones,
 * rules and simulated effects (lists, which a single default text cannot
 * express) are the config text `default_street`. Format: docs/config.md. */

typedef enum cfg_type {
    T_INT,      /* int, decimal */
    T_UINT64,   /* uint64_t, decimal */
    T_DOUBLE,   /* double, strtod syntax, finite */
    T_ENUM,     /* one of names[]: int index, or (size != 0) the name in a char array */
    T_STRING,   /* printable text without '"', char array of `size` */
    T_ID,       /* [A-Za-z0-9_-]{1,size-1} */
    T_NAME,     /* [A-Za-z0-9_-]{0,size-1}; empty means "none" */
    T_HOURS,    /* "HH-HH" or "all" into two ints (off, off2) */
    T_STATES,   /* comma list of state names into an unsigned bitmask */
    T_DATETIME, /* local ISO 8601 date-time, converted with [street] utc_offset_min */
} cfg_type;

typedef enum sec_id {
    SEC_STREET,
    SEC_STORE,
    SEC_LOG,
    SEC_RUN,
    SEC_ENGINE,
    SEC_SIM,
    SEC_LIGHT,
    SEC_ENVELOPE,
    SEC_FAILSAFE,
    SEC_MUSIC,
    SEC_ALERT,
    SEC_HTTP,
    SEC_REGISTER,
    SEC_EXPERIMENT,
    SEC_AUDIT,
    SEC_EFFECT,
    SEC_ZONE,
    SEC_LAMP,
    SEC_SCENE,
    SEC_RULE,
    SEC_PROGRAMME,
    SEC_ARM,
    SEC__COUNT
} sec_id;

/* A section. Named sections ([zone ID]) are lists in st_settings; their keys'
 * offsets are relative to one element. */
typedef struct cfg_section {
    const char *name;
    const char *what; /* placeholder of the name in messages: [zone ID] */
    int named;
    size_t arr_off, count_off, elem_size, max, id_off, id_size;
} cfg_section;

#define LIST(arr, cnt, T, idf, mx)                                                                 \
    1, offsetof(st_settings, arr), offsetof(st_settings, cnt), sizeof(T), mx, offsetof(T, idf),    \
        sizeof(((T *)0)->idf)

static const cfg_section sections[SEC__COUNT] = {
    [SEC_STREET] = {"street", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_STORE] = {"store", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_LOG] = {"log", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_RUN] = {"run", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_ENGINE] = {"engine", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_SIM] = {"sim", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_LIGHT] = {"light", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_ENVELOPE] = {"envelope", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_FAILSAFE] = {"failsafe", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_MUSIC] = {"music", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_ALERT] = {"alert", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_HTTP] = {"http", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_REGISTER] = {"register", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_EXPERIMENT] = {"experiment", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_AUDIT] = {"audit", NULL, 0, 0, 0, 0, 0, 0, 0},
    [SEC_EFFECT] = {"effect", "ACTION",
                    LIST(sim.effects, sim.neffects, st_sim_effect, action, ST_SIM_MAX_EFFECTS)},
    [SEC_ZONE] = {"zone", "ID", LIST(zones, nzones, st_zone_def, id, ST_MAX_ZONES)},
    [SEC_LAMP] = {"lamp", "ID", LIST(light.lamps, light.nlamps, st_lamp, id, ST_LIGHT_MAX_LAMPS)},
    [SEC_SCENE] = {"scene", "NAME",
                   LIST(light.scenes, light.nscenes, st_scene_def, name, ST_LIGHT_MAX_SCENES)},
    [SEC_RULE] = {"rule", "NAME", LIST(rules, nrules, st_rule, name, ST_MAX_RULES)},
    [SEC_PROGRAMME] = {"programme", "NAME",
                       LIST(music.programmes, music.nprogrammes, st_music_programme, name,
                            ST_MUSIC_MAX_PROGRAMMES)},
    [SEC_ARM] = {"arm", "NAME",
                 LIST(engine.experiment.arms, engine.experiment.narms, st_exp_arm, name,
                      ST_EXP_MAX_ARMS)},
};

#define MAX_LIST 256 /* the largest list: ST_LIGHT_MAX_LAMPS */
_Static_assert(ST_MAX_ZONES <= MAX_LIST && ST_MAX_RULES <= MAX_LIST &&
                   ST_SIM_MAX_EFFECTS <= MAX_LIST && ST_LIGHT_MAX_LAMPS <= MAX_LIST &&
                   ST_LIGHT_MAX_SCENES <= MAX_LIST && ST_MUSIC_MAX_PROGRAMMES <= MAX_LIST,
               "line bookkeeping is sized for MAX_LIST sections of one kind");
_Static_assert(sizeof(st_log_level) == sizeof(int), "enums are stored as int");

typedef struct cfg_key {
    sec_id sec;
    const char *key;
    cfg_type type;
    size_t off, off2;         /* into st_settings, or into the section's element; off2: hour_to */
    size_t size;              /* char array size (strings, ids, string-stored enums) */
    double min, max;          /* numbers; hours use 0..23 */
    const char *const *names; /* enums */
    const char *def;          /* default, as config text */
    int reload;               /* 1 if a running engine can take a new value */
    const char *help;
    const int *vals; /* enums stored as int: the value of each name (NULL: its index) */
} cfg_key;

static const char *const state_names[ST_STATE__COUNT] = {"calm", "lively", "tense", "escalating",
                                                         "incident"};
static const char *const sync_names[] = {"normal", "full", NULL};
static const char *const linger_names[] = {"auto", "yes", "no", NULL};
/* In st_exp_policy order. */
static const char *const exp_policy_names[] = {"rules",  "fixed",    "control",
                                               "random", "thompson", NULL};
static const char *const level_names[] = {"debug", "info", "warn", "error", NULL};
/* Rule alerts are stored as text; "none" is stored as "" (no alert). */
static const char *const alert_names[] = {"none", "info", "warning", "critical", NULL};
/* Index = st_light_protocol. */
static const char *const protocol_names[] = {"sacn", "artnet", "both", "off", NULL};
/* Lamp layouts are stored as st_light_layout (the number of channels). */
static const char *const layout_names[] = {"dim", "dim+cct", "dim+cct+rgb", NULL};
static const int layout_vals[] = {ST_LIGHT_DIM, ST_LIGHT_CCT, ST_LIGHT_RGB};

#define SZ(T, f) sizeof(((T *)0)->f)
/* Number in st_settings / in a list element. */
#define NUM(S, K, TY, T, F, LO, HI, DEF, RL, HELP)                                                 \
    {                                                                                              \
        S, K, TY, offsetof(T, F), 0, 0, LO, HI, NULL, DEF, RL, HELP, NULL                          \
    }
/* Text kinds: string, id, name, datetime. */
#define TXT(S, K, TY, T, F, DEF, RL, HELP)                                                         \
    {                                                                                              \
        S, K, TY, offsetof(T, F), 0, SZ(T, F), 0, 0, NULL, DEF, RL, HELP, NULL                     \
    }
#define ENUM(S, K, T, F, NAMES, DEF, RL, HELP)                                                     \
    {                                                                                              \
        S, K, T_ENUM, offsetof(T, F), 0, 0, 0, 0, NAMES, DEF, RL, HELP, NULL                       \
    }
#define EN(F) engine.zone.F
#define LP(F) light.F

/* The keys, in dump order. Simulator values (the [sim] rows) are the
 * calibration knobs of the embedded street; change them here only. */
static const cfg_key keys[] = {
    TXT(SEC_STREET, "name", T_ID, st_settings, street, "stratumseind", 0,
        "street identifier, recorded with every run"),
    NUM(SEC_STREET, "utc_offset_min", T_INT, st_settings, engine.utc_offset_min, -720, 840, "60", 1,
        "local time = UTC + this many minutes (Eindhoven CET: 60)"),

    TXT(SEC_STORE, "path", T_STRING, st_settings, store_path, "stratum.db", 0,
        "SQLite evidence store file"),
    ENUM(SEC_STORE, "sync", st_settings, store_sync_full, sync_names, "normal", 0,
         "SQLite synchronous mode in WAL: normal is durable except on power loss"),

    ENUM(SEC_LOG, "level", st_settings, log_level, level_names, "warn", 1,
         "lowest level written to the log"),

    NUM(SEC_RUN, "speed", T_DOUBLE, st_settings, run_speed, 0, 1e6, "1000", 1,
        "simulated seconds per wall second; 0 = as fast as possible"),
    NUM(SEC_RUN, "status_every_s", T_DOUBLE, st_settings, status_every_s, 0, 86400, "1800", 1,
        "simulated seconds between live status lines; 0 = none"),
    ENUM(SEC_RUN, "linger", st_settings, run_linger, linger_names, "auto", 1,
         "after a simulated night or replay, keep the dashboard up until Ctrl-C (auto: when "
         "standard output is a terminal)"),

    NUM(SEC_ENGINE, "window_short_s", T_DOUBLE, st_settings, EN(win_short_s), 1, 86400, "10", 0,
        "short rolling window (trend numerator)"),
    NUM(SEC_ENGINE, "window_mid_s", T_DOUBLE, st_settings, EN(win_mid_s), 1, 86400, "60", 0,
        "mid rolling window (noise and event terms)"),
    NUM(SEC_ENGINE, "window_long_s", T_DOUBLE, st_settings, EN(win_long_s), 1, 86400, "300", 0,
        "long rolling window (trend reference; oldest observation accepted)"),
    NUM(SEC_ENGINE, "w_crowd", T_DOUBLE, st_settings, EN(w_crowd), 0, 1, "0.25", 1,
        "score weight of occupancy / capacity"),
    NUM(SEC_ENGINE, "w_noise", T_DOUBLE, st_settings, EN(w_noise), 0, 1, "0.35", 1,
        "score weight of LAeq(mid) above the hour's baseline"),
    NUM(SEC_ENGINE, "w_events", T_DOUBLE, st_settings, EN(w_events), 0, 1, "0.3", 1,
        "score weight of the raucous-event rate"),
    NUM(SEC_ENGINE, "w_trend", T_DOUBLE, st_settings, EN(w_trend), 0, 1, "0.1", 1,
        "score weight of LAeq(short) - LAeq(long)"),
    NUM(SEC_ENGINE, "noise_span_db", T_DOUBLE, st_settings, EN(noise_span_db), 0.1, 100, "15", 1,
        "dB above baseline at which the noise term saturates"),
    NUM(SEC_ENGINE, "event_rate_span", T_DOUBLE, st_settings, EN(event_rate_span), 0.1, 1000, "6",
        1, "events per minute at which the event term saturates"),
    NUM(SEC_ENGINE, "trend_span_db", T_DOUBLE, st_settings, EN(trend_span_db), 0.1, 100, "10", 1,
        "dB rise at which the trend term saturates"),
    NUM(SEC_ENGINE, "event_min_conf", T_DOUBLE, st_settings, EN(event_min_conf), 0, 1, "0.5", 1,
        "events below this confidence are ignored"),
    NUM(SEC_ENGINE, "baseline_db", T_DOUBLE, st_settings, EN(baseline_db), 0, 140, "62", 0,
        "initial LAeq baseline of every hour of night"),
    NUM(SEC_ENGINE, "baseline_alpha", T_DOUBLE, st_settings, EN(baseline_alpha), 0, 1, "0.05", 1,
        "EWMA weight of a minute's LAeq in its hour's baseline"),
    NUM(SEC_ENGINE, "enter_lively", T_DOUBLE, st_settings, EN(enter[ST_LIVELY]), 0, 1, "0.25", 1,
        "score at or above which a zone may move up to lively"),
    NUM(SEC_ENGINE, "enter_tense", T_DOUBLE, st_settings, EN(enter[ST_TENSE]), 0, 1, "0.5", 1,
        "score at or above which a zone may move up to tense"),
    NUM(SEC_ENGINE, "enter_escalating", T_DOUBLE, st_settings, EN(enter[ST_ESCALATING]), 0, 1,
        "0.75", 1, "score at or above which a zone may move up to escalating"),
    NUM(SEC_ENGINE, "enter_incident", T_DOUBLE, st_settings, EN(enter[ST_INCIDENT]), 0, 1, "0.9", 1,
        "score at or above which a zone may move up to incident"),
    NUM(SEC_ENGINE, "exit_lively", T_DOUBLE, st_settings, EN(exit[ST_LIVELY]), 0, 1, "0.15", 1,
        "score below which a zone may move down from lively"),
    NUM(SEC_ENGINE, "exit_tense", T_DOUBLE, st_settings, EN(exit[ST_TENSE]), 0, 1, "0.38", 1,
        "score below which a zone may move down from tense"),
    NUM(SEC_ENGINE, "exit_escalating", T_DOUBLE, st_settings, EN(exit[ST_ESCALATING]), 0, 1, "0.6",
        1, "score below which a zone may move down from escalating"),
    NUM(SEC_ENGINE, "exit_incident", T_DOUBLE, st_settings, EN(exit[ST_INCIDENT]), 0, 1, "0.78", 1,
        "score below which a zone may move down from incident"),
    NUM(SEC_ENGINE, "dwell_calm", T_DOUBLE, st_settings, EN(dwell_s[ST_CALM]), 0, 86400, "0", 1,
        "seconds a zone stays calm before it may move"),
    NUM(SEC_ENGINE, "dwell_lively", T_DOUBLE, st_settings, EN(dwell_s[ST_LIVELY]), 0, 86400, "60",
        1, "seconds a zone stays lively before it may move"),
    NUM(SEC_ENGINE, "dwell_tense", T_DOUBLE, st_settings, EN(dwell_s[ST_TENSE]), 0, 86400, "90", 1,
        "seconds a zone stays tense before it may move"),
    NUM(SEC_ENGINE, "dwell_escalating", T_DOUBLE, st_settings, EN(dwell_s[ST_ESCALATING]), 0, 86400,
        "120", 1, "seconds a zone stays escalating before it may move"),
    NUM(SEC_ENGINE, "dwell_incident", T_DOUBLE, st_settings, EN(dwell_s[ST_INCIDENT]), 0, 86400,
        "180", 1, "seconds a zone stays in incident before it may move"),
    NUM(SEC_ENGINE, "hold_s", T_DOUBLE, st_settings, EN(hold_s), 0, 3600, "15", 1,
        "seconds a threshold crossing must hold before the state moves"),
    NUM(SEC_ENGINE, "stale_s", T_DOUBLE, st_settings, EN(stale_s), 1, 86400, "30", 1,
        "seconds without observations after which a zone's inputs are stale"),
    NUM(SEC_ENGINE, "outcome_after_s", T_DOUBLE, st_settings, engine.outcome_after_s, 0, 86400,
        "600", 1, "record each intervention's zone state this long after it"),
    NUM(SEC_ENGINE, "eval_every_s", T_DOUBLE, st_settings, engine.eval_every_s, 0.01, 3600, "1", 1,
        "seconds (observation time) between zone evaluations"),

    NUM(SEC_SIM, "seed", T_UINT64, st_settings, sim.seed, 0, 0, "1", 0,
        "random seed: the same seed gives the same night"),
    TXT(SEC_SIM, "start", T_DATETIME, st_settings, sim.start_epoch, "2026-11-27T20:00", 0,
        "local start of the night, converted with street.utc_offset_min"),
    NUM(SEC_SIM, "night_hours", T_DOUBLE, st_settings, sim.night_hours, 0.01, 24, "8", 0,
        "length of the simulated night"),
    NUM(SEC_SIM, "tick_s", T_DOUBLE, st_settings, sim.tick_s, 0.1, 60, "1", 0,
        "sensor reporting period, simulated seconds"),
    NUM(SEC_SIM, "crowd_peak", T_DOUBLE, st_settings, sim.crowd_peak, 0, 2, "0.8", 0,
        "peak occupancy as a fraction of zone capacity"),
    NUM(SEC_SIM, "onset_per_hour", T_DOUBLE, st_settings, sim.onset_per_hour, 0, 60, "0.9", 0,
        "latent escalation onsets per zone and hour at peak crowd"),
    NUM(SEC_SIM, "tension_drift", T_DOUBLE, st_settings, sim.tension_drift, 0, 1, "0.05", 0,
        "latent tension growth per minute during an onset"),
    NUM(SEC_SIM, "tension_decay", T_DOUBLE, st_settings, sim.tension_decay, 0, 1, "0.03", 0,
        "latent tension relaxation per minute outside onsets"),
    NUM(SEC_SIM, "incident_hazard", T_DOUBLE, st_settings, sim.incident_hazard, 0, 1, "0.01", 0,
        "incidents per minute at tension 1"),
    NUM(SEC_SIM, "incident_s", T_DOUBLE, st_settings, sim.incident_s, 1, 86400, "60", 0,
        "how long an incident (a fight) is heard: louder, with more raucous events"),

    NUM(SEC_SIM, "base_laeq_db", T_DOUBLE, st_settings, sim.base_laeq_db, 20, 120, "55", 0,
        "ambient LAeq of the empty street"),

    /* Lighting output (docs/actuation.md). Defaults agree with
     * st_light_params_default and the sACN / Art-Net / envelope / failsafe
     * / music / alert modules' own defaults (tests/core/test_config.c). */
    ENUM(SEC_LIGHT, "protocol", st_settings, light_protocol, protocol_names, "sacn", 0,
         "lighting output: sACN (ANSI E1.31), Art-Net 4, both, or off"),
    TXT(SEC_LIGHT, "dest", T_STRING, st_settings, light_dest, "127.0.0.1", 0,
        "receivers' IPv4 address (unicast or, for Art-Net, a broadcast), or multicast "
        "(sACN 239.255.hi.lo per universe)"),
    NUM(SEC_LIGHT, "port", T_INT, st_settings, light_port, 0, 65535, "0", 0,
        "UDP port; 0 = the protocol's own (sACN 5568, Art-Net 6454)"),
    NUM(SEC_LIGHT, "sacn_priority", T_INT, st_settings, LP(sacn.priority), 0, 200, "100", 0,
        "E1.31 source priority (6.2.3)"),
    NUM(SEC_LIGHT, "sacn_sync_universe", T_INT, st_settings, LP(sacn.sync_universe), 0, 63999, "0",
        0, "E1.31 synchronisation universe (6.6); 0 = unsynchronised"),
    TXT(SEC_LIGHT, "sacn_source_name", T_STRING, st_settings, LP(sacn.source_name), "Stratum", 0,
        "E1.31 source name shown by receivers (6.2.2)"),
    NUM(SEC_LIGHT, "sacn_ttl", T_INT, st_settings, LP(sacn.ttl), 1, 255, "1", 0,
        "multicast TTL (1: the street's own network)"),
    TXT(SEC_LIGHT, "sacn_iface", T_STRING, st_settings, LP(sacn.iface), "", 0,
        "IPv4 address of the multicast interface; empty = the default route's"),
    NUM(SEC_LIGHT, "artnet_broadcast", T_INT, st_settings, LP(artnet.broadcast), 0, 1, "0", 0,
        "1 allows a broadcast dest for Art-Net"),
    NUM(SEC_LIGHT, "artnet_sync", T_INT, st_settings, LP(artnet.sync), 0, 1, "0", 0,
        "1 sends ArtSync after each frame"),
    NUM(SEC_LIGHT, "frame_hz", T_DOUBLE, st_settings, LP(frame_hz), 30, 44, "40", 0,
        "packets per second per universe while lamps change (DMX512 tops out at 44)"),
    NUM(SEC_LIGHT, "keepalive_s", T_DOUBLE, st_settings, LP(keepalive_s), 0.1, 1, "0.5", 0,
        "longest gap between packets when steady (E1.31 data loss is 2.5 s)"),
    NUM(SEC_LIGHT, "warm_k", T_DOUBLE, st_settings, LP(warm_k), 1000, 20000, "2700", 0,
        "colour temperature of the lamps' warm white channel"),
    NUM(SEC_LIGHT, "cool_k", T_DOUBLE, st_settings, LP(cool_k), 1000, 20000, "6500", 0,
        "colour temperature of the lamps' cool white channel"),
    TXT(SEC_LIGHT, "safe_scene", T_ID, st_settings, engine.safe_scene, "normal", 0,
        "scene at start, on stale inputs, on stop and when the engine dies"),
    TXT(SEC_LIGHT, "state_dir", T_STRING, st_settings, state_dir, "", 0,
        "folder of the sACN CID and the output lock; empty = the folder of store.path"),

    NUM(SEC_ENVELOPE, "min_level", T_DOUBLE, st_settings, LP(env.min_level), 0, 1, "0.2", 0,
        "never below this fraction of full output (tune to the EN 13201 class)"),
    NUM(SEC_ENVELOPE, "max_level", T_DOUBLE, st_settings, LP(env.max_level), 0, 1, "1", 0,
        "hard cap, fraction of full output"),
    NUM(SEC_ENVELOPE, "max_rate", T_DOUBLE, st_settings, LP(env.max_rate), 0.001, 100, "0.25", 0,
        "largest change of level per second"),
    NUM(SEC_ENVELOPE, "max_flashes", T_DOUBLE, st_settings, LP(env.max_flashes), 0, 3, "3", 0,
        "flashes allowed per window (WCAG 2.2 SC 2.3.1: at most 3 per second)"),
    NUM(SEC_ENVELOPE, "flash_window_s", T_DOUBLE, st_settings, LP(env.flash_window_s), 1, 10, "1",
        0, "sliding window of the flash count"),
    NUM(SEC_ENVELOPE, "flash_delta", T_DOUBLE, st_settings, LP(env.flash_delta), 0.001, 0.5, "0.1",
        0, "a flash is two opposing changes of at least this much (WCAG: 10 %)"),
    NUM(SEC_ENVELOPE, "cct_min_k", T_DOUBLE, st_settings, LP(env.cct_min_k), 1000, 20000, "2200", 0,
        "lowest colour temperature"),
    NUM(SEC_ENVELOPE, "cct_max_k", T_DOUBLE, st_settings, LP(env.cct_max_k), 1000, 20000, "6500", 0,
        "highest colour temperature"),
    NUM(SEC_ENVELOPE, "cct_max_rate_k", T_DOUBLE, st_settings, LP(env.cct_max_rate_k), 1, 100000,
        "1000", 0, "largest change of colour temperature per second, kelvin"),
    NUM(SEC_ENVELOPE, "step_dt_max", T_DOUBLE, st_settings, LP(env.step_dt_max), 0.001, 1,
        "0.03333333333333333", 0, "longest time one output step may bank for the rate limit"),

    NUM(SEC_FAILSAFE, "heartbeat_s", T_DOUBLE, st_settings, failsafe.heartbeat_s, 0.01, 10, "0.25",
        0, "engine-to-watchdog heartbeat period"),
    NUM(SEC_FAILSAFE, "heartbeat_timeout_s", T_DOUBLE, st_settings, failsafe.heartbeat_timeout_s,
        0.1, 600, "3", 0, "no heartbeat this long: the watchdog fades to the safe scene"),
    NUM(SEC_FAILSAFE, "stop_timeout_s", T_DOUBLE, st_settings, failsafe.stop_timeout_s, 0, 60, "10",
        0, "longest fade to the safe scene when stopping"),
    NUM(SEC_FAILSAFE, "takeover", T_INT, st_settings, failsafe.takeover, 0, 1, "1", 0,
        "1: a new engine replaces an orphaned watchdog left by a killed one"),
    NUM(SEC_FAILSAFE, "orphan_hold_s", T_DOUBLE, st_settings, failsafe.orphan_hold_s, -1, 86400,
        "5", 0,
        "after the engine died, hold the reached safe scene this long, then end the streams and "
        "exit; -1 = until taken over"),

    TXT(SEC_MUSIC, "host", T_STRING, st_settings, music.host, "", 0,
        "MPD host or socket path; empty = no music output"),
    NUM(SEC_MUSIC, "port", T_INT, st_settings, music.port, 1, 65535, "6600", 0, "MPD port"),
    NUM(SEC_MUSIC, "timeout_ms", T_INT, st_settings, music.timeout_ms, 50, 30000, "1000", 0,
        "longest wait for one MPD command"),
    NUM(SEC_MUSIC, "volume_cap", T_INT, st_settings, music.volume_cap, 0, 100, "60", 0,
        "hard volume cap for every programme and client"),
    NUM(SEC_MUSIC, "backoff_min_s", T_DOUBLE, st_settings, music.backoff_min_s, 0.01, 3600, "1", 0,
        "first reconnect delay, doubling"),
    NUM(SEC_MUSIC, "backoff_max_s", T_DOUBLE, st_settings, music.backoff_max_s, 0.01, 3600, "30", 0,
        "longest reconnect delay"),

    TXT(SEC_ALERT, "webhook_url", T_STRING, st_settings, alert.webhook_url, "", 0,
        "HTTP(S) URL alerts are POSTed to as JSON; empty = no webhook"),
    NUM(SEC_ALERT, "webhook_timeout_s", T_DOUBLE, st_settings, alert.webhook_timeout_s, 0.1, 60,
        "3", 0, "longest webhook request"),
    TXT(SEC_ALERT, "mqtt_host", T_STRING, st_settings, alert.mqtt_host, "", 0,
        "MQTT broker for alerts; empty = no MQTT"),
    NUM(SEC_ALERT, "mqtt_port", T_INT, st_settings, alert.mqtt_port, 1, 65535, "1883", 0,
        "MQTT broker port"),
    TXT(SEC_ALERT, "mqtt_topic", T_STRING, st_settings, alert.mqtt_topic, "stratum/alerts", 0,
        "topic alerts are published on; acknowledgements are read from TOPIC/ack"),
    NUM(SEC_ALERT, "mqtt_qos", T_INT, st_settings, alert.mqtt_qos, 0, 2, "1", 0,
        "MQTT QoS of alerts (1: at least once)"),
    NUM(SEC_ALERT, "dedup_s", T_DOUBLE, st_settings, alert.dedup_s, 0, 86400, "300", 0,
        "same zone, severity and rule within this time is one alert"),
    NUM(SEC_ALERT, "rate_window_s", T_DOUBLE, st_settings, alert.rate_window_s, 1, 86400, "600", 0,
        "window of the rate limit"),
    NUM(SEC_ALERT, "rate_max", T_INT, st_settings, alert.rate_max, 1, 10000, "10", 0,
        "info and warning alerts per window (critical ones are never rate-limited)"),
    NUM(SEC_ALERT, "max_attempts", T_INT, st_settings, alert.max_attempts, 1, 100, "5", 0,
        "webhook attempts before giving up"),
    NUM(SEC_ALERT, "retry_min_s", T_DOUBLE, st_settings, alert.retry_min_s, 0.1, 3600, "1", 0,
        "first webhook retry delay, doubling up to 60 s"),
    TXT(SEC_ALERT, "ack_path", T_STRING, st_settings, alert.ack_path, "", 0,
        "acknowledgements are appended here as JSON lines; empty = log only"),

    TXT(SEC_HTTP, "bind", T_STRING, st_settings, http_bind, "127.0.0.1", 0,
        "address the dashboard and API listen on (loopback unless you mean otherwise)"),
    NUM(SEC_HTTP, "port", T_INT, st_settings, http_port, 0, 65535, "8080", 0,
        "TCP port of the dashboard and API; 0 = none"),
    TXT(SEC_HTTP, "token_path", T_STRING, st_settings, http_token, "", 0,
        "bearer token for write actions, created mode 0600 on first start; empty = "
        "stratum.token beside the store"),
    TXT(SEC_HTTP, "web_root", T_STRING, st_settings, http_web_root, "", 0,
        "folder of the page's files; empty = web/ beside the stratum program"),

    TXT(SEC_REGISTER, "owner", T_STRING, st_settings, reg_owner,
        "Gemeente Eindhoven (municipality), night-time economy team", 0,
        "public sensor register: who owns and answers for the sensors"),
    TXT(SEC_REGISTER, "retention", T_STRING, st_settings, reg_retention,
        "per-minute aggregates 1 year; no audio, images or identifiers are ever kept", 0,
        "public sensor register: how long data is kept"),
    TXT(SEC_REGISTER, "contact", T_STRING, st_settings, reg_contact,
        "privacy officer of the street (set register.contact)", 0,
        "public sensor register: where the public can ask questions"),

#define XP(F) engine.experiment.F
    ENUM(SEC_EXPERIMENT, "policy", st_settings, XP(policy), exp_policy_names, "random", 0,
         "how escalation episodes get their arm: rules (no experiment), fixed, control, "
         "random (stratified, with a control arm) or thompson"),
    TXT(SEC_EXPERIMENT, "fixed_arm", T_STRING, st_settings, XP(fixed_arm), "", 0,
        "policy fixed: the pinned arm (an [arm] name, or control)"),
    NUM(SEC_EXPERIMENT, "seed", T_UINT64, st_settings, XP(seed), 0, 0, "0", 0,
        "randomisation seed, recorded with every episode; 0 = drawn at start"),
    NUM(SEC_EXPERIMENT, "window_s", T_DOUBLE, st_settings, XP(window_s), 1, 86400, "600", 0,
        "outcome window after an episode opens"),
    NUM(SEC_EXPERIMENT, "washout_s", T_DOUBLE, st_settings, XP(washout_s), 0, 86400, "0", 0,
        "a zone must have been below tense this long before a new episode opens there, so no "
        "earlier intervention still acts on it; 0 = none"),
    NUM(SEC_EXPERIMENT, "block_size", T_INT, st_settings, XP(block_size), 0, 72, "0", 0,
        "permuted block per stratum; 0 = twice the number of arms (control included)"),
    TXT(SEC_EXPERIMENT, "control_scene", T_STRING, st_settings, XP(control_scene), "", 0,
        "scene the control arm sets when an episode opens; empty = no intervention"),
    NUM(SEC_EXPERIMENT, "peak_from", T_INT, st_settings, XP(peak_from), 0, 23, "23", 0,
        "local hour the peak time-of-night stratum begins"),
    NUM(SEC_EXPERIMENT, "late_from", T_INT, st_settings, XP(late_from), 0, 23, "2", 0,
        "local hour the late stratum begins"),
    NUM(SEC_EXPERIMENT, "crowd_low", T_DOUBLE, st_settings, XP(crowd_low), 0, 10, "0.4", 0,
        "occupancy / capacity below which the crowd stratum is low"),
    NUM(SEC_EXPERIMENT, "crowd_high", T_DOUBLE, st_settings, XP(crowd_high), 0, 10, "0.8", 0,
        "occupancy / capacity at or above which the crowd stratum is high"),
    NUM(SEC_EXPERIMENT, "prior_weight", T_DOUBLE, st_settings, XP(prior_weight), 0, 1e6, "20", 0,
        "thompson: pooled evidence counts as at most this many episodes per arm"),
    NUM(SEC_EXPERIMENT, "prior_from_pooled", T_INT, st_settings, XP(prior_from_pooled), 0, 1, "0",
        0, "thompson: seed the priors from imported evidence at start (1) or not (0)"),
#undef XP

    TXT(SEC_AUDIT, "key", T_STRING, st_settings, audit_key, "", 0,
        "installation key signing the audit chain's heads and evidence bundles, created "
        "mode 0600 on first start; empty = installation.key beside the store"),
    NUM(SEC_AUDIT, "sign_every", T_INT, st_settings, audit_sign_every, 0, 1000000, "100", 0,
        "audit records between signed heads (heads are also signed at shutdown); 0 = only "
        "at shutdown"),

    NUM(SEC_EFFECT, "effect", T_DOUBLE, st_sim_effect, effect, 0, 1, "0", 0,
        "fraction of tension drift the action removes (hidden truth)"),
    NUM(SEC_EFFECT, "duration_s", T_DOUBLE, st_sim_effect, duration_s, 0, 86400, "600", 0,
        "seconds the effect lasts after the action"),

    TXT(SEC_ZONE, "title", T_STRING, st_zone_def, title, "", 1, "human-readable zone name"),
    NUM(SEC_ZONE, "capacity", T_DOUBLE, st_zone_def, capacity, 1, 1e6, "400", 1,
        "people at which the crowd term saturates"),
    NUM(SEC_ZONE, "lamps", T_INT, st_zone_def, lamps, 0, 1000, "0", 0, "lamp posts in the zone"),

    TXT(SEC_LAMP, "zone", T_NAME, st_lamp, zone, "", 0, "zone the lamp post stands in"),
    NUM(SEC_LAMP, "universe", T_INT, st_lamp, universe, 1, 63999, "1", 0,
        "sACN universe (Art-Net Port-Address = universe - 1)"),
    NUM(SEC_LAMP, "channel", T_INT, st_lamp, channel, 1, 512, "1", 0, "first DMX channel"),
    {SEC_LAMP, "layout", T_ENUM, offsetof(st_lamp, layout), 0, 0, 0, 0, layout_names, "dim+cct", 0,
     "channels from the first: dimmer; warm and cool white; red, green, blue", layout_vals},

    NUM(SEC_SCENE, "level", T_DOUBLE, st_scene_def, level, 0, 1, "0.8", 0,
        "fraction of full output (the envelope still applies)"),
    NUM(SEC_SCENE, "kelvin", T_DOUBLE, st_scene_def, kelvin, 1000, 20000, "3000", 0,
        "correlated colour temperature"),
    NUM(SEC_SCENE, "fade_s", T_DOUBLE, st_scene_def, fade_s, 0, 3600, "5", 0,
        "fade time, lengthened when the envelope's rate limit needs more"),

    {SEC_RULE, "states", T_STATES, offsetof(st_rule, states), 0, 0, 0, 0, NULL, "", 1,
     "states whose entry fires the rule", NULL},
    {SEC_RULE, "hours", T_HOURS, offsetof(st_rule, hour_from), offsetof(st_rule, hour_to), 0, 0, 23,
     NULL, "all", 1, "local hours [from, to) the rule is active, wrapping past midnight", NULL},
    TXT(SEC_RULE, "scene", T_NAME, st_rule, scene, "", 1, "lighting scene to set; empty = none"),
    TXT(SEC_RULE, "music", T_NAME, st_rule, music, "", 1, "music programme to play; empty = none"),
    {SEC_RULE, "alert", T_ENUM, offsetof(st_rule, alert), 0, SZ(st_rule, alert), 0, 0, alert_names,
     "none", 1, "steward alert severity", NULL},
    NUM(SEC_RULE, "cooldown_s", T_DOUBLE, st_rule, cooldown_s, 0, 86400, "0", 1,
        "seconds after firing in a zone before the rule may fire there again"),

    TXT(SEC_ARM, "actions", T_STRING, st_exp_arm, actions, "", 0,
        "the actions the rules may apply in an episode of this arm, kind:name joined by "
        "commas (scene:calm-warm,music:calm); steward alerts are never withheld"),
    TXT(SEC_PROGRAMME, "playlist", T_STRING, st_music_programme, playlist, "", 0,
        "MPD stored playlist; empty = stop playback"),
    NUM(SEC_PROGRAMME, "volume", T_INT, st_music_programme, volume, 0, 100, "30", 0,
        "volume 0..100, then held under music.volume_cap"),
    NUM(SEC_PROGRAMME, "crossfade_s", T_INT, st_music_programme, crossfade_s, 0, 30, "5", 0,
        "MPD crossfade between songs"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The default street's lists (STYLE item 9: one source, the same parser).
 * examples/stratumseind.conf writes the same street out in full. */
static const char default_street[] =
    "[effect scene:calm-warm]\neffect = 0.35\nduration_s = 600\n"
    "[effect music:calm]\neffect = 0.2\nduration_s = 600\n"
    "[effect alert:warning]\neffect = 0.5\nduration_s = 900\n"
    "[effect alert:critical]\neffect = 0.6\nduration_s = 900\n"
    "[zone z1]\ntitle = \"Stratumseind 1-17 (north)\"\ncapacity = 400\nlamps = 5\n"
    "[zone z2]\ntitle = \"Stratumseind 19-37\"\ncapacity = 500\nlamps = 4\n"
    "[zone z3]\ntitle = \"Stratumseind 39-57 (middle)\"\ncapacity = 450\nlamps = 5\n"
    "[zone z4]\ntitle = \"Stratumseind 59-77\"\ncapacity = 350\nlamps = 4\n"
    "[zone z5]\ntitle = \"Stratumseind 79-95 (south)\"\ncapacity = 300\nlamps = 4\n"
    "[rule tense]\nstates = tense\nscene = calm-warm\nmusic = calm\ncooldown_s = 600\n"
    "[rule escalating]\nstates = escalating\nscene = bright-neutral\nalert = warning\n"
    "cooldown_s = 300\n"
    "[rule incident]\nstates = incident\nscene = bright-neutral\nalert = critical\n"
    "cooldown_s = 120\n"
    "[rule calm-again]\nstates = calm\nscene = normal\nmusic = ambient\ncooldown_s = 0\n"
    "[scene normal]\nlevel = 0.8\nkelvin = 3000\nfade_s = 5\n"
    "[scene bright-neutral]\nlevel = 1\nkelvin = 4000\nfade_s = 3\n"
    "[scene calm-warm]\nlevel = 0.6\nkelvin = 2700\nfade_s = 10\n"
    "[programme calm]\nplaylist = calm\nvolume = 35\ncrossfade_s = 5\n"
    "[programme ambient]\nplaylist = ambient\nvolume = 25\ncrossfade_s = 5\n"
    "[programme off]\nplaylist = \"\"\nvolume = 0\ncrossfade_s = 0\n"
    "[arm light]\nactions = \"scene:calm-warm,scene:bright-neutral\"\n"
    "[arm light-music]\nactions = \"scene:calm-warm,scene:bright-neutral,music:calm\"\n";

/* ---- small helpers ---- */

static int say(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int is_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* [A-Za-z0-9_-]{min_len,max_len} */
static int id_ok(const char *v, size_t min_len, size_t max_len)
{
    size_t n = strlen(v);
    if (n < min_len || n > max_len) return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_id_char(v[i])) return 0;
    return 1;
}

/* Effect actions are "scene:NAME", "music:NAME" or "alert:NAME", as the
 * engine's interventions name them (st_act_kind_name). */
static int action_ok(const char *v, size_t max_len)
{
    static const char *const kinds[] = {"scene:", "music:", "alert:"};
    if (strlen(v) > max_len) return 0;
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(kinds[i]);
        if (!strncmp(v, kinds[i], n)) return id_ok(v + n, 1, ST_ACTION_MAX - 1);
    }
    return 0;
}

/* Printable text that a dump can quote back: no control characters, no '"'. */
static int text_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '"') return 0;
    return 1;
}

static int list_index(const char *const *names, const char *v)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], v)) return i;
    return -1;
}

static void join_names(const char *const *names, size_t n, const char *sep, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; (n ? i < n : names[i] != NULL) && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? sep : "", names[i]);
}

/* Strict number parsing: the whole text, finite, no silent wrap. */
static int parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno == ERANGE || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

static int parse_ll(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno == ERANGE) return -1;
    *out = x;
    return 0;
}

static int parse_u64(const char *v, uint64_t *out)
{
    char *end;
    if (*v < '0' || *v > '9') return -1; /* strtoull would accept and negate "-1" */
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || errno == ERANGE) return -1;
    *out = (uint64_t)x;
    return 0;
}

static int two_digits(const char *p, int *out)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return -1;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return 0;
}

/* ISO 8601 local date-time "YYYY-MM-DDTHH:MM" or "...:SS" -> seconds since
 * 1970-01-01T00:00 of that local clock (no zone applied yet). */
static int parse_datetime(const char *v, int64_t *out)
{
    size_t n = strlen(v);
    int cy, yl, mo, d, h, mi, s = 0;
    if (n != 16 && n != 19) return -1;
    if (two_digits(v, &cy) || two_digits(v + 2, &yl) || v[4] != '-' || two_digits(v + 5, &mo) ||
        v[7] != '-' || two_digits(v + 8, &d) || v[10] != 'T' || two_digits(v + 11, &h) ||
        v[13] != ':' || two_digits(v + 14, &mi))
        return -1;
    if (n == 19 && (v[16] != ':' || two_digits(v + 17, &s))) return -1;
    int y = cy * 100 + yl;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 59)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return -1;
    *out = st_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

static void format_datetime(double epoch, int offset_min, char *buf, size_t cap)
{
    st_civil c;
    st_civil_from_epoch((int64_t)floor(epoch) + (int64_t)offset_min * 60, &c);
    if (c.second)
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                 c.minute, c.second);
    else
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d", c.year, c.month, c.day, c.hour, c.minute);
}

/* Shortest text that strtod reads back to exactly d. */
static void format_double(double d, char *buf, size_t cap)
{
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(buf, cap, "%.0f", d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) return;
    }
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[65];
    if (la > 64 || lb > 64) return (size_t)-1;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Close enough to be a typo: a third of the word, at least one edit. */
static int close_enough(const char *typed, const char *cand, size_t d)
{
    size_t n = strlen(typed) > strlen(cand) ? strlen(typed) : strlen(cand);
    return d <= 1 || d * 3 <= n;
}

static const char *suggest_key(sec_id sec, const char *typed)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (size_t i = 0; i < NKEYS; i++) {
        if (keys[i].sec != sec) continue;
        size_t d = edit_distance(typed, keys[i].key);
        if (d < bestd) bestd = d, best = keys[i].key;
    }
    return best && close_enough(typed, best, bestd) ? best : NULL;
}

static int find_section(const char *name)
{
    for (int i = 0; i < SEC__COUNT; i++)
        if (!strcmp(sections[i].name, name)) return i;
    return -1;
}

static const char *suggest_section(const char *typed)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (int i = 0; i < SEC__COUNT; i++) {
        size_t d = edit_distance(typed, sections[i].name);
        if (d < bestd) bestd = d, best = sections[i].name;
    }
    return best && close_enough(typed, best, bestd) ? best : NULL;
}

static int find_key(sec_id sec, const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].sec == sec && !strcmp(keys[i].key, key)) return (int)i;
    return -1;
}

static size_t *list_count(st_settings *s, const cfg_section *sec)
{
    return (size_t *)(void *)((char *)s + sec->count_off);
}

static size_t list_count_c(const st_settings *s, const cfg_section *sec)
{
    return *(const size_t *)(const void *)((const char *)s + sec->count_off);
}

static char *list_elem(st_settings *s, const cfg_section *sec, size_t i)
{
    return (char *)s + sec->arr_off + i * sec->elem_size;
}

static const char *list_elem_c(const st_settings *s, const cfg_section *sec, size_t i)
{
    return (const char *)s + sec->arr_off + i * sec->elem_size;
}

static int list_find(const st_settings *s, const cfg_section *sec, const char *id)
{
    size_t n = list_count_c(s, sec);
    for (size_t i = 0; i < n && i < sec->max; i++)
        if (!strcmp(list_elem_c(s, sec, i) + sec->id_off, id)) return (int)i;
    return -1;
}

static int section_name_ok(sec_id sec, const char *id)
{
    if (sec == SEC_EFFECT) return action_ok(id, sections[sec].id_size - 1);
    return id_ok(id, 1, sections[sec].id_size - 1);
}

static const char *section_name_syntax(sec_id sec)
{
    return sec == SEC_EFFECT ? "scene:NAME, music:NAME or alert:NAME"
                             : "letters, digits, '_' or '-', 1 to 31 of them";
}

/* ---- the start of the night: kept as local text until the offset is known ---- */

/* [sim] start is a local time but st_settings keeps epoch seconds. A load or
 * --set resolves it after all keys are read, so "start" and
 * "utc_offset_min" may come in any order; a new offset alone keeps the same
 * local start time. */
typedef struct load_ctx {
    int old_offset;
    double old_start;
    int have_start;
    int64_t start_local;
} load_ctx;

static void ctx_begin(load_ctx *c, const st_settings *s)
{
    c->old_offset = s->engine.utc_offset_min;
    c->old_start = s->sim.start_epoch;
    c->have_start = 0;
    c->start_local = 0;
}

static void ctx_finish(const load_ctx *c, st_settings *s)
{
    if (c->have_start)
        s->sim.start_epoch = (double)(c->start_local - (int64_t)s->engine.utc_offset_min * 60);
    else if (s->engine.utc_offset_min != c->old_offset)
        s->sim.start_epoch =
            c->old_start + (double)(c->old_offset - s->engine.utc_offset_min) * 60.0;
}

/* ---- one key: text -> value, value -> text, value check ---- */

static void put_text(char *dst, size_t size, const char *v)
{
    memset(dst, 0, size); /* zero tail: equal settings compare equal bytewise */
    memcpy(dst, v, strlen(v));
}

/* Parse v into the field of k in base (st_settings or a list element).
 * `where` names the key in messages. */
static int apply(const cfg_key *k, void *base, const char *v, load_ctx *ctx, const char *where,
                 char *msg, size_t cap)
{
    char *p = (char *)base + k->off;
    char names[96];
    switch (k->type) {
    case T_INT: {
        long long x;
        if (parse_ll(v, &x)) return say(msg, cap, "%s: '%s' is not a whole number", where, v);
        if ((double)x < k->min || (double)x > k->max)
            return say(msg, cap, "%s: %s is outside %.0f..%.0f", where, v, k->min, k->max);
        *(int *)(void *)p = (int)x;
        return 0;
    }
    case T_UINT64: {
        uint64_t x;
        if (parse_u64(v, &x))
            return say(msg, cap, "%s: '%s' is not a whole number 0..18446744073709551615", where,
                       v);
        *(uint64_t *)(void *)p = x;
        return 0;
    }
    case T_DOUBLE: {
        double x;
        if (parse_double(v, &x)) return say(msg, cap, "%s: '%s' is not a number", where, v);
        if (x < k->min || x > k->max)
            return say(msg, cap, "%s: %s is outside %g..%g", where, v, k->min, k->max);
        *(double *)(void *)p = x;
        return 0;
    }
    case T_ENUM: {
        int i = list_index(k->names, v);
        if (i < 0) {
            join_names(k->names, 0, ", ", names, sizeof(names));
            return say(msg, cap, "%s: '%s' is not one of %s", where, v, names);
        }
        if (k->size)
            put_text(p, k->size, i == 0 ? "" : v);
        else
            *(int *)(void *)p = k->vals ? k->vals[i] : i;
        return 0;
    }
    case T_STRING:
        if (strlen(v) >= k->size)
            return say(msg, cap, "%s: text longer than %zu bytes", where, k->size - 1);
        if (!text_ok(v))
            return say(msg, cap, "%s: control characters and '\"' are not allowed", where);
        put_text(p, k->size, v);
        return 0;
    case T_ID:
    case T_NAME:
        if (!id_ok(v, k->type == T_ID ? 1 : 0, k->size - 1))
            return say(msg, cap, "%s: '%s' is not a valid name (letters, digits, '_' or '-', %s)",
                       where, v,
                       k->type == T_ID ? "1 to 31 of them" : "up to 31 of them; empty for none");
        put_text(p, k->size, v);
        return 0;
    case T_HOURS: {
        int from, to;
        if (!strcmp(v, "all")) {
            from = to = 0;
        } else if (strlen(v) != 5 || two_digits(v, &from) || v[2] != '-' ||
                   two_digits(v + 3, &to) || from > 23 || to > 23) {
            return say(msg, cap,
                       "%s: '%s' is not an hour range (HH-HH from 00 to 23, e.g. 20-04, "
                       "or all)",
                       where, v);
        }
        *(int *)(void *)p = from;
        *(int *)(void *)((char *)base + k->off2) = to;
        return 0;
    }
    case T_STATES: {
        unsigned mask = 0;
        const char *q = v;
        while (*v) { /* "" is no state; validate refuses a rule without one */
            const char *comma = strchr(q, ',');
            size_t n = comma ? (size_t)(comma - q) : strlen(q);
            const char *a = q, *b = q + n;
            while (a < b && (*a == ' ' || *a == '\t')) a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
            int found = -1;
            for (int i = 0; i < ST_STATE__COUNT; i++)
                if ((size_t)(b - a) == strlen(state_names[i]) &&
                    !strncmp(a, state_names[i], (size_t)(b - a)))
                    found = i;
            if (found < 0) {
                join_names(state_names, ST_STATE__COUNT, ", ", names, sizeof(names));
                return say(msg, cap, "%s: '%.*s' is not a state (%s)", where, (int)(b - a), a,
                           names);
            }
            mask |= 1u << found;
            if (!comma) break;
            q = comma + 1;
        }
        *(unsigned *)(void *)p = mask;
        return 0;
    }
    case T_DATETIME: {
        int64_t local;
        if (!ctx) return say(msg, cap, "%s: a date-time needs a load context", where);
        if (parse_datetime(v, &local))
            return say(msg, cap,
                       "%s: '%s' is not a local date-time (YYYY-MM-DDTHH:MM or "
                       "YYYY-MM-DDTHH:MM:SS, year 1970 or later)",
                       where, v);
        ctx->have_start = 1;
        ctx->start_local = local;
        return 0;
    }
    }
    return say(msg, cap, "%s: unknown key type", where);
}

/* Index in k->names of the int-stored enum value v, or -1. */
static int enum_index(const cfg_key *k, int v)
{
    for (int i = 0; k->names[i]; i++)
        if ((k->vals ? k->vals[i] : i) == v) return i;
    return -1;
}

/* Value of k as config text (unquoted); s gives utc_offset_min for dates. */
static void format_value(const cfg_key *k, const void *base, const st_settings *s, char *buf,
                         size_t cap)
{
    const char *p = (const char *)base + k->off;
    switch (k->type) {
    case T_INT:
        snprintf(buf, cap, "%d", *(const int *)(const void *)p);
        return;
    case T_UINT64:
        snprintf(buf, cap, "%" PRIu64, *(const uint64_t *)(const void *)p);
        return;
    case T_DOUBLE:
        format_double(*(const double *)(const void *)p, buf, cap);
        return;
    case T_ENUM:
        if (k->size) {
            snprintf(buf, cap, "%s", p[0] ? p : k->names[0]);
        } else {
            int i = enum_index(k, *(const int *)(const void *)p);
            snprintf(buf, cap, "%s", i >= 0 ? k->names[i] : "?");
        }
        return;
    case T_STRING:
    case T_ID:
    case T_NAME:
        snprintf(buf, cap, "%.*s", (int)k->size, p);
        return;
    case T_HOURS: {
        int from = *(const int *)(const void *)p;
        int to = *(const int *)(const void *)((const char *)base + k->off2);
        if (from == 0 && to == 0)
            snprintf(buf, cap, "all");
        else
            snprintf(buf, cap, "%02d-%02d", from, to);
        return;
    }
    case T_STATES: {
        unsigned mask = *(const unsigned *)(const void *)p;
        size_t used = 0;
        buf[0] = '\0';
        for (int i = 0; i < ST_STATE__COUNT && used < cap; i++)
            if (mask & (1u << i))
                used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? "," : "",
                                         state_names[i]);
        return;
    }
    case T_DATETIME:
        format_datetime(*(const double *)(const void *)p, s->engine.utc_offset_min, buf, cap);
        return;
    }
}

/* Range and syntax check of a value already in memory (settings built by
 * code rather than parsed). */
static int check_value(const cfg_key *k, const void *base, const char *where, char *msg, size_t cap)
{
    const char *p = (const char *)base + k->off;
    switch (k->type) {
    case T_INT: {
        int x = *(const int *)(const void *)p;
        if (x < k->min || x > k->max)
            return say(msg, cap, "%s = %d is outside %.0f..%.0f", where, x, k->min, k->max);
        return 0;
    }
    case T_UINT64:
        return 0;
    case T_DOUBLE: {
        double x = *(const double *)(const void *)p;
        if (!isfinite(x) || x < k->min || x > k->max)
            return say(msg, cap, "%s = %g is outside %g..%g", where, x, k->min, k->max);
        return 0;
    }
    case T_ENUM: {
        if (k->size) {
            if (!memchr(p, '\0', k->size) || (p[0] && list_index(k->names, p) <= 0))
                return say(msg, cap, "%s: '%.*s' is not a valid value", where, (int)k->size, p);
        } else {
            int v = *(const int *)(const void *)p;
            if (enum_index(k, v) < 0)
                return say(msg, cap, "%s = %d is not a valid value", where, v);
        }
        return 0;
    }
    case T_STRING:
        if (!memchr(p, '\0', k->size) || !text_ok(p))
            return say(msg, cap, "%s: not valid text", where);
        return 0;
    case T_ID:
    case T_NAME:
        if (!memchr(p, '\0', k->size) || !id_ok(p, k->type == T_ID ? 1 : 0, k->size - 1))
            return say(msg, cap, "%s: '%.*s' is not a valid name", where, (int)k->size, p);
        return 0;
    case T_HOURS: {
        int from = *(const int *)(const void *)p;
        int to = *(const int *)(const void *)((const char *)base + k->off2);
        if (from < 0 || from > 23 || to < 0 || to > 23)
            return say(msg, cap, "%s = %d-%d is not an hour range 0..23", where, from, to);
        return 0;
    }
    case T_STATES:
        if (*(const unsigned *)(const void *)p >> ST_STATE__COUNT)
            return say(msg, cap, "%s names an unknown state", where);
        return 0;
    case T_DATETIME: {
        double x = *(const double *)(const void *)p;
        if (!isfinite(x) || x < 0 || x > 253402300799.0) /* 9999-12-31T23:59:59Z */
            return say(msg, cap, "%s = %g is not a time from 1970 to 9999", where, x);
        return 0;
    }
    }
    return 0;
}

static const char *type_name(const cfg_key *k)
{
    switch (k->type) {
    case T_INT:
        return "int";
    case T_UINT64:
        return "uint64";
    case T_DOUBLE:
        return "double";
    case T_ENUM:
        return "enum";
    case T_STRING:
        return "text";
    case T_ID:
        return "id";
    case T_NAME:
        return "name";
    case T_HOURS:
        return "hours";
    case T_STATES:
        return "states";
    case T_DATETIME:
        return "datetime";
    }
    return "?";
}

static void range_text(const cfg_key *k, char *buf, size_t cap)
{
    char a[32], b[32];
    switch (k->type) {
    case T_INT:
    case T_DOUBLE:
        format_double(k->min, a, sizeof(a));
        format_double(k->max, b, sizeof(b));
        snprintf(buf, cap, "%s..%s", a, b);
        return;
    case T_UINT64:
        snprintf(buf, cap, "0..2^64-1");
        return;
    case T_ENUM:
        join_names(k->names, 0, "|", buf, cap);
        return;
    case T_STRING:
        snprintf(buf, cap, "up to %zu bytes", k->size - 1);
        return;
    case T_ID:
        snprintf(buf, cap, "[A-Za-z0-9_-]{1,%zu}", k->size - 1);
        return;
    case T_NAME:
        snprintf(buf, cap, "[A-Za-z0-9_-]{0,%zu}", k->size - 1);
        return;
    case T_HOURS:
        snprintf(buf, cap, "HH-HH or all");
        return;
    case T_STATES:
        join_names(state_names, ST_STATE__COUNT, ",", buf, cap);
        return;
    case T_DATETIME:
        snprintf(buf, cap, "YYYY-MM-DDTHH:MM local");
        return;
    }
}

/* ---- defaults, loading, --set ---- */

static int apply_defaults(sec_id sec, void *base, load_ctx *ctx, char *msg, size_t cap)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (keys[i].sec != sec) continue;
        int rc = apply(&keys[i], base, keys[i].def, ctx, keys[i].key, msg, cap);
        if (rc) return rc;
    }
    return 0;
}

void st_settings_default(st_settings *s)
{
    char msg[160];
    load_ctx ctx;
    memset(s, 0, sizeof(*s));
    ctx_begin(&ctx, s);
    for (int sec = 0; sec < SEC__COUNT; sec++)
        if (!sections[sec].named) apply_defaults((sec_id)sec, s, &ctx, msg, sizeof(msg));
    ctx_finish(&ctx, s);
    /* The embedded texts are checked by tests/core/test_config.c (defaults
     * validate and equal examples/stratumseind.conf); they cannot fail here. */
    st_config_load_string(s, default_street, "default street", msg, sizeof(msg));
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else {
            return 0;
        }
        if (i + len > n) return 0;
        if (p[i + 1] < lo || p[i + 1] > hi) return 0;
        for (size_t j = 2; j < len; j++)
            if (p[i + j] < 0x80 || p[i + j] > 0xbf) return 0;
        i += len;
    }
    return 1;
}

static char *trim(char *a)
{
    while (*a == ' ' || *a == '\t') a++;
    char *b = a + strlen(a);
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    *b = '\0';
    return a;
}

/* Nothing but blanks or a comment after a header or a quoted value. */
static int rest_is_blank(const char *r)
{
    while (*r == ' ' || *r == '\t') r++;
    return *r == '\0' || *r == '#' || *r == ';';
}

#define LINE_MAX_LEN 1024

/* Parser state of one file. */
typedef struct parse_state {
    int sec;                  /* current section or -1 */
    void *base;               /* st_settings or the current list element */
    char label[96];           /* "engine" or "zone z1" */
    int key_line[NKEYS];      /* line of each key in the current section, 0 if unseen */
    int sec_line[SEC__COUNT]; /* plain sections: line of their header */
    int replaced[SEC__COUNT]; /* list sections: emptied by this file */
    int elem_line[SEC__COUNT][MAX_LIST];
} parse_state;

static int parse_header(st_settings *s, parse_state *ps, char *line, int lineno, char *msg,
                        size_t cap)
{
    char *close = strchr(line, ']');
    if (!close) return say(msg, cap, "section header without ']'");
    if (!rest_is_blank(close + 1)) return say(msg, cap, "text after ']' of a section header");
    *close = '\0';
    char *inner = trim(line + 1);
    char *name = inner;
    while (*name && *name != ' ' && *name != '\t') name++;
    if (*name) *name++ = '\0';
    name = trim(name);
    int sec = find_section(inner);
    if (sec < 0) {
        const char *sug = suggest_section(inner);
        if (sug) return say(msg, cap, "unknown section [%s] (did you mean [%s]?)", inner, sug);
        char all[256];
        size_t used = 0;
        all[0] = '\0';
        for (int i = 0; i < SEC__COUNT && used < sizeof(all); i++)
            used += (size_t)snprintf(all + used, sizeof(all) - used, "%s%s%s%s", i ? ", " : "",
                                     sections[i].name, sections[i].named ? " " : "",
                                     sections[i].named ? sections[i].what : "");
        return say(msg, cap, "unknown section [%s] (sections: %s)", inner, all);
    }
    const cfg_section *cs = &sections[sec];
    memset(ps->key_line, 0, sizeof(ps->key_line));
    ps->sec = sec;
    if (!cs->named) {
        if (*name) return say(msg, cap, "[%s] takes no name (found '%s')", cs->name, name);
        if (ps->sec_line[sec])
            return say(msg, cap, "duplicate section [%s] (first at line %d)", cs->name,
                       ps->sec_line[sec]);
        ps->sec_line[sec] = lineno;
        ps->base = s;
        snprintf(ps->label, sizeof(ps->label), "%s", cs->name);
        return 0;
    }
    if (!*name) return say(msg, cap, "[%s] needs a name: [%s %s]", cs->name, cs->name, cs->what);
    if (!section_name_ok((sec_id)sec, name))
        return say(msg, cap, "[%s %s]: '%s' is not a valid name (%s)", cs->name, name, name,
                   section_name_syntax((sec_id)sec));
    size_t *count = list_count(s, cs);
    if (!ps->replaced[sec]) {
        /* A file's lists replace the defaults as a whole: a street with
         * three zones must not inherit z4 and z5. */
        memset((char *)s + cs->arr_off, 0, cs->elem_size * cs->max);
        *count = 0;
        ps->replaced[sec] = 1;
    }
    int dup = list_find(s, cs, name);
    if (dup >= 0)
        return say(msg, cap, "duplicate section [%s %s] (first at line %d)", cs->name, name,
                   ps->elem_line[sec][dup]);
    if (*count >= cs->max)
        return say(msg, cap, "too many [%s] sections (at most %zu)", cs->name, cs->max);
    char *elem = list_elem(s, cs, *count);
    memset(elem, 0, cs->elem_size);
    put_text(elem + cs->id_off, cs->id_size, name);
    int rc = apply_defaults((sec_id)sec, elem, NULL, msg, cap);
    if (rc) return rc;
    ps->elem_line[sec][*count] = lineno;
    (*count)++;
    ps->base = elem;
    snprintf(ps->label, sizeof(ps->label), "%s %s", cs->name, name);
    return 0;
}

static int parse_line(st_settings *s, parse_state *ps, load_ctx *ctx, char *raw, int lineno,
                      char *msg, size_t cap)
{
    char *line = trim(raw);
    if (!*line || *line == '#' || *line == ';') return 0;
    if (*line == '[') return parse_header(s, ps, line, lineno, msg, cap);
    char *eq = strchr(line, '=');
    if (!eq) return say(msg, cap, "expected 'key = value', '[section]' or a comment");
    *eq = '\0';
    char *key = trim(line);
    char *val = eq + 1;
    while (*val == ' ' || *val == '\t') val++;
    if (*val == '"') {
        char *endq = strchr(val + 1, '"');
        if (!endq) return say(msg, cap, "%s: missing closing '\"'", key);
        if (!rest_is_blank(endq + 1)) return say(msg, cap, "%s: text after closing '\"'", key);
        *endq = '\0';
        val++;
    } else {
        /* A comment may follow the value after a blank: "hold_s = 15  # seconds". */
        for (char *c = val; *c; c++)
            if (*c == '#' && c > val && (c[-1] == ' ' || c[-1] == '\t')) {
                *c = '\0';
                break;
            }
        val = trim(val);
    }
    if (!*key) return say(msg, cap, "missing key before '='");
    if (ps->sec < 0) return say(msg, cap, "key '%s' outside any section", key);
    int ki = find_key((sec_id)ps->sec, key);
    if (ki < 0) {
        const char *sug = suggest_key((sec_id)ps->sec, key);
        if (sug)
            return say(msg, cap, "unknown key '%s' in [%s] (did you mean %s?)", key, ps->label,
                       sug);
        return say(msg, cap, "unknown key '%s' in [%s]", key, ps->label);
    }
    if (ps->key_line[ki])
        return say(msg, cap, "duplicate key '%s' in [%s] (first at line %d)", key, ps->label,
                   ps->key_line[ki]);
    ps->key_line[ki] = lineno;
    char where[160];
    if (sections[ps->sec].named)
        snprintf(where, sizeof(where), "[%s]: %s", ps->label, key);
    else
        snprintf(where, sizeof(where), "%s.%s", ps->label, key);
    return apply(&keys[ki], ps->base, val, ctx, where, msg, cap);
}

int st_config_load_string(st_settings *s, const char *text, const char *name, char *err,
                          size_t errcap)
{
    parse_state *ps = calloc(1, sizeof(*ps));
    if (!ps) {
        if (err && errcap) snprintf(err, errcap, "%s: out of memory", name);
        return -ENOMEM;
    }
    ps->sec = -1;
    load_ctx ctx;
    ctx_begin(&ctx, s);
    char line[LINE_MAX_LEN];
    char msg[512];
    int lineno = 0, rc = 0;
    const char *p = text;
    if (!strncmp(p, "\xef\xbb\xbf", 3)) p += 3; /* UTF-8 byte order mark */
    while (*p) {
        lineno++;
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n && p[n - 1] == '\r') n--; /* CRLF files */
        if (n >= sizeof(line)) {
            rc = say(msg, sizeof(msg), "line longer than %d bytes", LINE_MAX_LEN - 1);
        } else if (!utf8_ok((const unsigned char *)p, n)) {
            rc = say(msg, sizeof(msg), "not valid UTF-8");
        } else {
            memcpy(line, p, n);
            line[n] = '\0';
            rc = parse_line(s, ps, &ctx, line, lineno, msg, sizeof(msg));
        }
        if (rc) break;
        if (!nl) break;
        p = nl + 1;
    }
    free(ps);
    if (rc) {
        if (err && errcap) snprintf(err, errcap, "%s:%d: %s", name, lineno, msg);
        return rc;
    }
    ctx_finish(&ctx, s);
    return 0;
}

#define FILE_MAX (1 << 20)

int st_config_load(st_settings *s, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (err && errcap) snprintf(err, errcap, "%s: cannot open: %s", path, strerror(e));
        return -e;
    }
    char *buf = malloc(FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        if (err && errcap) snprintf(err, errcap, "%s: out of memory", path);
        return -ENOMEM;
    }
    size_t n = fread(buf, 1, FILE_MAX + 1, f);
    int rd_err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    int rc;
    if (rd_err) {
        if (err && errcap) snprintf(err, errcap, "%s: cannot read: %s", path, strerror(rd_err));
        rc = -rd_err;
    } else if (n > FILE_MAX) {
        if (err && errcap) snprintf(err, errcap, "%s: larger than %d bytes", path, FILE_MAX);
        rc = -EFBIG;
    } else if (memchr(buf, '\0', n)) {
        int lineno = 1;
        for (const char *c = buf; *c; c++) lineno += *c == '\n';
        if (err && errcap) snprintf(err, errcap, "%s:%d: NUL byte in a text file", path, lineno);
        rc = -EINVAL;
    } else {
        buf[n] = '\0';
        rc = st_config_load_string(s, buf, path, err, errcap);
    }
    free(buf);
    return rc;
}

int st_config_set(st_settings *s, const char *key, const char *value, char *err, size_t errcap)
{
    char sec_name[32], id[80], k[64];
    const char *dot = strchr(key, '.');
    if (!dot || (size_t)(dot - key) >= sizeof(sec_name))
        return say(err, errcap, "'%s' is not a key (SECTION.KEY, e.g. engine.hold_s)", key);
    memcpy(sec_name, key, (size_t)(dot - key));
    sec_name[dot - key] = '\0';
    int sec = find_section(sec_name);
    if (sec < 0) {
        const char *sug = suggest_section(sec_name);
        if (sug)
            return say(err, errcap, "%s: unknown section '%s' (did you mean %s?)", key, sec_name,
                       sug);
        return say(err, errcap, "%s: unknown section '%s'", key, sec_name);
    }
    const cfg_section *cs = &sections[sec];
    void *base = s;
    const char *kp = dot + 1;
    if (cs->named) {
        const char *last = strrchr(key, '.');
        if (last == dot || (size_t)(last - dot - 1) >= sizeof(id))
            return say(err, errcap, "'%s' is not a key (%s.NAME.KEY)", key, cs->name);
        memcpy(id, dot + 1, (size_t)(last - dot - 1));
        id[last - dot - 1] = '\0';
        int i = list_find(s, cs, id);
        if (i < 0) {
            char have[256];
            size_t used = 0, n = list_count_c(s, cs);
            have[0] = '\0';
            for (size_t j = 0; j < n && used < sizeof(have); j++)
                used += (size_t)snprintf(have + used, sizeof(have) - used, "%s%s", j ? ", " : "",
                                         list_elem_c(s, cs, j) + cs->id_off);
            return say(err, errcap, "%s: there is no [%s %s] (defined: %s)", key, cs->name, id,
                       n ? have : "none");
        }
        base = list_elem(s, cs, (size_t)i);
        kp = last + 1;
    }
    if (strlen(kp) >= sizeof(k)) return say(err, errcap, "'%s' is not a key", key);
    snprintf(k, sizeof(k), "%s", kp);
    int ki = find_key((sec_id)sec, k);
    if (ki < 0) {
        const char *sug = suggest_key((sec_id)sec, k);
        if (sug)
            return say(err, errcap, "%s: unknown key '%s' in [%s] (did you mean %s?)", key, k,
                       cs->name, sug);
        return say(err, errcap, "%s: unknown key '%s' in [%s]", key, k, cs->name);
    }
    load_ctx ctx;
    ctx_begin(&ctx, s);
    char msg[384];
    int rc = apply(&keys[ki], base, value, &ctx, key, msg, sizeof(msg));
    if (rc) {
        if (err && errcap) snprintf(err, errcap, "%s", msg);
        return rc;
    }
    ctx_finish(&ctx, s);
    return 0;
}

/* ---- actuation settings ---- */

/* "a, b, c": the names of a list section's entries. */
static void list_names(const st_settings *s, sec_id sec, char *buf, size_t cap)
{
    const cfg_section *cs = &sections[sec];
    size_t used = 0, n = list_count_c(s, cs);
    buf[0] = '\0';
    for (size_t j = 0; j < n && j < cs->max && used < cap; j++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%.*s", j ? ", " : "", (int)cs->id_size,
                                 list_elem_c(s, cs, j) + cs->id_off);
    if (!n) snprintf(buf, cap, "none");
}

/* The folder of the CID and the lock: light.state_dir, else store.path's. */
static void state_folder(const st_settings *s, char *out, size_t cap)
{
    if (s->state_dir[0]) {
        snprintf(out, cap, "%s", s->state_dir);
        return;
    }
    const char *slash = strrchr(s->store_path, '/');
    if (!slash || !strncmp(s->store_path, "file:", 5))
        snprintf(out, cap, ".");
    else if (slash == s->store_path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - s->store_path), s->store_path);
}

int st_config_light(const st_settings *s, st_light_params *lp, st_failsafe_params *fp, char *err,
                    size_t errcap)
{
    *lp = s->light;
    if (lp->nlamps == 0) {
        /* No [lamp] sections: the embedded street's patch, derived from the
         * zones so that a street of other zones gets lamps of its own. */
        st_light_params *d = malloc(sizeof(*d));
        if (!d) {
            if (err && errcap) snprintf(err, errcap, "light: out of memory");
            return -ENOMEM;
        }
        st_light_params_default(d, s->zones, s->nzones);
        memcpy(lp->lamps, d->lamps, sizeof(lp->lamps));
        lp->nlamps = d->nlamps;
        free(d);
    }
    put_text(lp->safe_scene, sizeof(lp->safe_scene), s->engine.safe_scene);
    int proto = s->light_protocol;
    lp->use_sacn =
        proto == ST_LIGHT_PROTO_SACN || proto == ST_LIGHT_PROTO_BOTH || proto == ST_LIGHT_PROTO_OFF;
    lp->use_artnet = proto == ST_LIGHT_PROTO_ARTNET || proto == ST_LIGHT_PROTO_BOTH;
    int mc = !strcmp(s->light_dest, "multicast");
    put_text(lp->sacn.dest, sizeof(lp->sacn.dest), mc ? "" : s->light_dest);
    put_text(lp->artnet.dest, sizeof(lp->artnet.dest), mc ? "" : s->light_dest);
    lp->sacn.port = s->light_port ? s->light_port : ST_SACN_PORT;
    lp->artnet.port = s->light_port ? s->light_port : ST_ARTNET_PORT;
    char dir[ST_PATH_MAX];
    state_folder(s, dir, sizeof(dir));
    /* Both file names fit when the longer one does. */
    if (strlen(dir) + sizeof("/light.lock") > sizeof(lp->sacn.cid_path))
        return say(err, errcap, "light.state_dir: '%s' is too long (at most %zu bytes)", dir,
                   sizeof(lp->sacn.cid_path) - sizeof("/light.lock"));
    /* The precision repeats the check above in a form the compiler can see. */
    int room = (int)(sizeof(lp->sacn.cid_path) - sizeof("/light.lock"));
    snprintf(lp->sacn.cid_path, sizeof(lp->sacn.cid_path), "%.*s/sacn.cid", room, dir);
    if (fp) {
        *fp = s->failsafe;
        room = (int)(sizeof(fp->lock_path) - sizeof("/light.lock"));
        snprintf(fp->lock_path, sizeof(fp->lock_path), "%.*s/light.lock", room, dir);
    }
    return 0;
}

void st_config_alert(const st_settings *s, st_alert_params *out)
{
    *out = s->alert;
    put_text(out->street, sizeof(out->street), s->street);
}

/* Cross-field checks of the actuation sections, through the modules' own
 * parameter checks so that a valid configuration always starts. */
static int validate_actuation(const st_settings *s, char *err, size_t errcap)
{
    char have[256], why[256];
    const char *safe = s->engine.safe_scene;
    if (!strcmp(safe, ST_LIGHT_SAFE) || list_find(s, &sections[SEC_SCENE], safe) < 0) {
        list_names(s, SEC_SCENE, have, sizeof(have));
        return say(err, errcap, "light.safe_scene: there is no [scene %s] (defined: %s)", safe,
                   have);
    }
    if (list_find(s, &sections[SEC_SCENE], ST_LIGHT_SAFE) >= 0)
        return say(err, errcap, "[scene %s]: the name is reserved for light.safe_scene",
                   ST_LIGHT_SAFE);
    for (size_t i = 0; i < s->light.nlamps && i < ST_LIGHT_MAX_LAMPS; i++) {
        const st_lamp *a = &s->light.lamps[i];
        if (list_find(s, &sections[SEC_ZONE], a->zone) < 0) {
            list_names(s, SEC_ZONE, have, sizeof(have));
            return say(err, errcap, "lamp.%s.zone: '%s' is not a zone (defined: %s)", a->id,
                       a->zone, have);
        }
    }
    int mc = !strcmp(s->light_dest, "multicast");
    struct in_addr ip;
    if (!mc && inet_pton(AF_INET, s->light_dest, &ip) != 1)
        return say(err, errcap, "light.dest: '%s' is not an IPv4 address or multicast",
                   s->light_dest);
    if (mc &&
        (s->light_protocol == ST_LIGHT_PROTO_ARTNET || s->light_protocol == ST_LIGHT_PROTO_BOTH))
        return say(err, errcap,
                   "light.dest: multicast is sACN only; Art-Net needs a unicast or broadcast "
                   "address");
    if (s->light.sacn.iface[0] && inet_pton(AF_INET, s->light.sacn.iface, &ip) != 1)
        return say(err, errcap, "light.sacn_iface: '%s' is not an IPv4 address",
                   s->light.sacn.iface);
    st_light_params *lp = malloc(sizeof(*lp));
    if (!lp) return say(err, errcap, "light: out of memory");
    int rc = st_config_light(s, lp, NULL, err, errcap);
    if (rc == 0 && s->light_protocol == ST_LIGHT_PROTO_OFF) {
        rc = st_envelope_params_check(&lp->env, why, sizeof(why));
        if (rc) say(err, errcap, "%s", why);
    } else if (rc == 0 && lp->nlamps == 0) {
        rc = say(err, errcap,
                 "light.protocol is %s but no lamp is patched: add [lamp ID] sections or "
                 "zone.ID.lamps, or set light.protocol = off",
                 protocol_names[s->light_protocol]);
    } else if (rc == 0 && st_light_params_check(lp, why, sizeof(why))) {
        rc = say(err, errcap, "%s", why);
    }
    free(lp);
    if (rc) return rc;
    const st_failsafe_params *f = &s->failsafe;
    if (!(f->heartbeat_timeout_s > 2 * f->heartbeat_s))
        return say(err, errcap,
                   "failsafe.heartbeat_timeout_s (%g) must exceed 2 x failsafe.heartbeat_s (%g)",
                   f->heartbeat_timeout_s, f->heartbeat_s);
    /* Music is checked whether or not a host is set, so that setting one
     * later cannot reveal a bad programme. */
    st_music_params *mp = malloc(sizeof(*mp));
    if (!mp) return say(err, errcap, "music: out of memory");
    *mp = s->music;
    if (!mp->host[0]) put_text(mp->host, sizeof(mp->host), "localhost");
    rc = st_music_params_check(mp, why, sizeof(why));
    free(mp);
    if (rc) return say(err, errcap, "%s", why);
    if (s->music.backoff_max_s < s->music.backoff_min_s)
        return say(err, errcap, "music.backoff_max_s (%g) is below music.backoff_min_s (%g)",
                   s->music.backoff_max_s, s->music.backoff_min_s);
    const char *url = s->alert.webhook_url;
    if (url[0] && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return say(err, errcap, "alert.webhook_url: '%s' is not an http:// or https:// URL", url);
    return 0;
}

/* ---- validation ---- */

static const char *const enter_keys[ST_STATE__COUNT] = {
    NULL, "engine.enter_lively", "engine.enter_tense", "engine.enter_escalating",
    "engine.enter_incident"};
static const char *const exit_keys[ST_STATE__COUNT] = {
    NULL, "engine.exit_lively", "engine.exit_tense", "engine.exit_escalating",
    "engine.exit_incident"};

/* The experiment as the engine will build it: arms parse, the pinned arm
 * exists, a randomised policy has arms. */
static int check_experiment(const st_settings *s, char *err, size_t errcap)
{
    const st_exp_params *x = &s->engine.experiment;
    st_experiment *e = st_experiment_new(x);
    if (!e) {
        const char *p = st_exp_policy_name(x->policy);
        if ((x->policy == ST_EXP_POLICY_RANDOM || x->policy == ST_EXP_POLICY_THOMPSON) &&
            x->narms == 0)
            return say(err, errcap, "experiment.policy = %s needs at least one [arm] section", p);
        if (x->policy == ST_EXP_POLICY_FIXED)
            return say(err, errcap,
                       "experiment.fixed_arm: '%s' is not an [arm] name or control (or an arm's "
                       "actions do not parse)",
                       x->fixed_arm);
        return say(err, errcap,
                   "[arm]: actions must be kind:name items (scene, music or alert) joined by "
                   "commas, and arm names unique");
    }
    st_experiment_free(e);
    return 0;
}

int st_config_validate(const st_settings *s, char *err, size_t errcap)
{
    char where[160];
    /* Every key's own range first: settings may have been built by code. */
    for (size_t i = 0; i < NKEYS; i++) {
        const cfg_section *cs = &sections[keys[i].sec];
        if (!cs->named) {
            snprintf(where, sizeof(where), "%s.%s", cs->name, keys[i].key);
            if (check_value(&keys[i], s, where, err, errcap)) return -EINVAL;
            continue;
        }
        size_t n = list_count_c(s, cs);
        if (n > cs->max) return say(err, errcap, "more than %zu [%s] sections", cs->max, cs->name);
        for (size_t j = 0; j < n; j++) {
            const char *el = list_elem_c(s, cs, j);
            snprintf(where, sizeof(where), "%s.%.*s.%s", cs->name, (int)cs->id_size,
                     el + cs->id_off, keys[i].key);
            if (check_value(&keys[i], el, where, err, errcap)) return -EINVAL;
        }
    }
    if (!s->store_path[0]) return say(err, errcap, "store.path is empty");

    const st_zone_params *z = &s->engine.zone;
    double wsum = z->w_crowd + z->w_noise + z->w_events + z->w_trend;
    if (fabs(wsum - 1.0) > 0.001)
        return say(err, errcap,
                   "engine.w_crowd + engine.w_noise + engine.w_events + engine.w_trend = %g, "
                   "must be 1 (+-0.001)",
                   wsum);
    if (!(z->win_short_s < z->win_mid_s && z->win_mid_s < z->win_long_s))
        return say(err, errcap,
                   "engine.window_short_s (%g) < engine.window_mid_s (%g) < "
                   "engine.window_long_s (%g) does not hold",
                   z->win_short_s, z->win_mid_s, z->win_long_s);
    for (int st = ST_TENSE; st < ST_STATE__COUNT; st++)
        if (!(z->enter[st] > z->enter[st - 1]))
            return say(err, errcap, "%s (%g) must be above %s (%g): states rise with the score",
                       enter_keys[st], z->enter[st], enter_keys[st - 1], z->enter[st - 1]);
    for (int st = ST_LIVELY; st < ST_STATE__COUNT; st++)
        if (!(z->exit[st] < z->enter[st]))
            return say(err, errcap, "%s (%g) must be below %s (%g): no hysteresis band",
                       exit_keys[st], z->exit[st], enter_keys[st], z->enter[st]);

    /* Lists: a street, a policy and (for the simulator) effects. A dump
     * cannot express an empty list (a file without [rule] keeps the default
     * rules), so empty lists are refused. */
    static const struct {
        sec_id sec;
        const char *why; /* NULL: the list may be empty ([lamp]: the default patch) */
    } need[] = {{SEC_ZONE, "a street needs at least one zone"},
                {SEC_RULE, "at least one rule is needed"},
                {SEC_EFFECT, "the simulator needs at least one effect"},
                {SEC_LAMP, NULL},
                {SEC_ARM, NULL},
                {SEC_SCENE, "the safe scene must be defined"},
                {SEC_PROGRAMME, "at least one music programme is needed"}};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        const cfg_section *cs = &sections[need[i].sec];
        size_t n = list_count_c(s, cs);
        if (!n && need[i].why)
            return say(err, errcap, "no [%s] section: %s", cs->name, need[i].why);
        for (size_t j = 0; j < n; j++) {
            const char *id = list_elem_c(s, cs, j) + cs->id_off;
            if (!section_name_ok(need[i].sec, id))
                return say(err, errcap, "[%s %.*s]: not a valid name (%s)", cs->name,
                           (int)cs->id_size, id, section_name_syntax(need[i].sec));
            for (size_t m = 0; m < j; m++)
                if (!strcmp(id, list_elem_c(s, cs, m) + cs->id_off))
                    return say(err, errcap, "[%s %s] is defined twice", cs->name, id);
        }
    }
    for (size_t j = 0; j < s->nrules; j++) {
        const st_rule *r = &s->rules[j];
        if (!r->states)
            return say(err, errcap, "rule.%s.states: the rule names no state, so it never fires",
                       r->name);
        if (!r->scene[0] && !r->music[0] && !r->alert[0])
            return say(err, errcap,
                       "rule.%s: scene, music and alert are all empty, so the rule does nothing",
                       r->name);
        if (r->scene[0] && strcmp(r->scene, ST_LIGHT_SAFE) &&
            list_find(s, &sections[SEC_SCENE], r->scene) < 0) {
            char have[256];
            list_names(s, SEC_SCENE, have, sizeof(have));
            return say(err, errcap, "rule.%s.scene: there is no [scene %s] (defined: %s, and safe)",
                       r->name, r->scene, have);
        }
        if (r->music[0] && list_find(s, &sections[SEC_PROGRAMME], r->music) < 0) {
            char have[256];
            list_names(s, SEC_PROGRAMME, have, sizeof(have));
            return say(err, errcap, "rule.%s.music: there is no [programme %s] (defined: %s)",
                       r->name, r->music, have);
        }
    }
    if (check_experiment(s, err, errcap) < 0) return -EINVAL;
    return validate_actuation(s, err, errcap);
}

/* ---- dump ---- */

/* Free text is always quoted (it may hold '#'); an empty name must be, so
 * that the line reads as deliberate. */
static int needs_quotes(const cfg_key *k, const char *val)
{
    return k->type == T_STRING || (k->type == T_NAME && !val[0]);
}

static void dump_key(const cfg_key *k, const void *base, const st_settings *s, FILE *out)
{
    char val[ST_PATH_MAX + 8], range[96], def[96];
    format_value(k, base, s, val, sizeof(val));
    range_text(k, range, sizeof(range));
    snprintf(def, sizeof(def), "%s", k->def[0] ? k->def : "\"\"");
    fprintf(out, "# %s (%s %s; default %s; %s)\n", k->help, type_name(k), range, def,
            k->reload ? "reloadable" : "restart to change");
    if (needs_quotes(k, val))
        fprintf(out, "%s = \"%s\"\n", k->key, val);
    else
        fprintf(out, "%s = %s\n", k->key, val);
}

int st_config_dump(const st_settings *s, FILE *out)
{
    errno = 0;
    fprintf(out, "# Stratum configuration (stratum run --dump-config). Format: docs/config.md.\n"
                 "# Each key: help (type range; default; reloadable or restart to change).\n");
    for (int sec = 0; sec < SEC__COUNT; sec++) {
        const cfg_section *cs = &sections[sec];
        size_t n = cs->named ? list_count_c(s, cs) : 1;
        if (n > (cs->named ? cs->max : 1)) return -EINVAL;
        for (size_t j = 0; j < n; j++) {
            const void *base = s;
            if (cs->named) {
                const char *el = list_elem_c(s, cs, j);
                fprintf(out, "\n[%s %.*s]\n", cs->name, (int)cs->id_size, el + cs->id_off);
                base = el;
            } else {
                fprintf(out, "\n[%s]\n", cs->name);
            }
            for (size_t i = 0; i < NKEYS; i++)
                if (keys[i].sec == (sec_id)sec) dump_key(&keys[i], base, s, out);
        }
    }
    if (fflush(out) || ferror(out)) return errno ? -errno : -EIO;
    return 0;
}
