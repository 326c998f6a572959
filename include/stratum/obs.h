/* Observation records: the one internal form every sensor reading takes. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_OBS_H
#define STRATUM_OBS_H

#include <stddef.h>

/* Identifier limits. Zone and device ids match [A-Za-z0-9_-]{1,31}. */
#define ST_ID_MAX   32
#define ST_NAME_MAX 32
#define ST_UNIT_MAX 12
#define ST_VS_MAX   32

/* Quantities Stratum understands; names, units and ranges are in
 * docs/observations.md and in the table behind st_qty_info(). FIWARE Smart Data
 * Models names are used where they exist (NoiseLevelObserved, CrowdFlowObserved,
 * WeatherObserved). */
typedef enum st_qty {
    ST_Q_UNKNOWN = 0,
    ST_Q_LAEQ,          /* "LAeq"      dB  A-weighted 1 s equivalent level (IEC 61672-1) */
    ST_Q_LAFMAX,        /* "LAFmax"    dB  max A-weighted Fast level in the second */
    ST_Q_LCPEAK,        /* "LCpeak"    dB  C-weighted peak level */
    ST_Q_BAND,          /* "band:<fc>" dB  1/3-octave band level, sub = nominal centre Hz */
    ST_Q_EVENT,         /* "event:<kind>" "/" confidence 0..1, sub = st_event_kind */
    ST_Q_CROWD,         /* "crowd"     "/" crowd babble level 0..1 */
    ST_Q_PEOPLE_IN,     /* "peopleIn"  count entering the zone during the record's interval */
    ST_Q_PEOPLE_OUT,    /* "peopleOut" count leaving */
    ST_Q_OCCUPANCY,     /* "occupancy" count people present in the zone */
    ST_Q_TEMPERATURE,   /* "temperature"   Cel */
    ST_Q_PRECIPITATION, /* "precipitation" mm/h (sent as "mm/h"; not a SenML unit, see docs) */
    ST_Q_HUMIDITY,      /* "relativeHumidity" %RH */
    ST_Q_WIND,          /* "windSpeed" m/s */
    ST_Q_SW_VERSION,    /* "swVersion" string value (vs), e.g. "1.4.2" */
    ST_Q_SOCIAL_POSTS,  /* "socialPosts" count: posts naming the zone in the interval */
    ST_Q_SOCIAL_AGGR,   /* "socialAggressiveShare" "/": share of those with aggressive terms */
    ST_Q__COUNT
} st_qty;

/* Raucous-event kinds (docs/audio.md). */
typedef enum st_event_kind {
    ST_EV_NONE = 0,
    ST_EV_SHOUT,
    ST_EV_SCREAM,
    ST_EV_GLASS,
    ST_EV_BANG,
    ST_EV__COUNT
} st_event_kind;

/* One resolved measurement. Plain data, fixed size, no pointers: safe to copy,
 * queue and store without ownership questions. */
typedef struct st_obs {
    char zone[ST_ID_MAX]; /* from the resolved name "<zone>/<device>/<quantity>" */
    char device[ST_ID_MAX];
    char name[ST_NAME_MAX]; /* quantity part of the name, e.g. "LAeq", "band:1000" */
    char unit[ST_UNIT_MAX]; /* SenML unit as resolved (u or bu), e.g. "dB", "count" */
    char vs[ST_VS_MAX];     /* string value, only for ST_Q_SW_VERSION */
    st_qty qty;
    int sub;   /* band centre in Hz (rounded) or st_event_kind; else 0 */
    double t;  /* seconds since the Unix epoch, resolved (bt + t) */
    double ut; /* SenML update time in s; 0 when absent */
    double v;  /* numeric value (vb true/false is 1/0) */
} st_obs;

/* Static description of a quantity. */
typedef struct st_qty_info {
    st_qty qty;
    const char *name;   /* SenML name (prefix for band:/event:) */
    const char *unit;   /* required SenML unit */
    double min, max;    /* accepted range, inclusive */
    const char *fiware; /* FIWARE Smart Data Models attribute, or NULL */
} st_qty_info;

/* Table entry for q; never NULL for q < ST_Q__COUNT (borrowed, static). */
const st_qty_info *st_qty_info_get(st_qty q);

/* Resolve a quantity name such as "LAeq", "band:1000" or "event:shout".
 * Returns the quantity (ST_Q_UNKNOWN if not known) and stores the sub-index in
 * *sub (may be NULL). */
st_qty st_qty_parse(const char *name, size_t len, int *sub);

/* "shout", "scream", "glass", "bang" (static strings); NULL for others. */
const char *st_event_kind_name(st_event_kind k);
st_event_kind st_event_kind_parse(const char *s, size_t len);

/* Write obs as one line of JSON {"n","u","v"|"vs","t"} (n is the full resolved
 * name "<zone>/<device>/<quantity>"; ut is not written). Wrapped in [ ], the
 * line is a SenML pack that reads back to the same record. Returns the length
 * written (excluding NUL), -ENOSPC, or -EINVAL for NULL arguments, cap == 0 or a
 * non-finite v/t (JSON has no NaN). */
int st_obs_to_json(const st_obs *o, char *buf, size_t cap);

#endif
