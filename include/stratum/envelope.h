/* Safety envelope for street lighting: the one place every lamp level passes
 * through (scenes, rules, operator commands, fail-safe) before the wire. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_ENVELOPE_H
#define STRATUM_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

/* Why a request was changed. */
typedef enum st_env_cause {
    ST_ENV_MIN_LEVEL = 0, /* below the minimum level (blackout request) */
    ST_ENV_MAX_LEVEL,     /* above the hard cap */
    ST_ENV_RATE,          /* faster than the maximum rate of change */
    ST_ENV_FLASH,         /* would make more than max_flashes flashes per window */
    ST_ENV_CCT_RANGE,     /* colour temperature outside [cct_min_k, cct_max_k] */
    ST_ENV_CCT_RATE,      /* colour temperature changing faster than cct_max_rate_k */
    ST_ENV__COUNT
} st_env_cause;

/* "min-level", "max-level", "rate", "flash", "cct-range", "cct-rate" (static). */
const char *st_envelope_cause_name(st_env_cause c);

/* Levels are fractions of a lamp's full output (0..1). A flash follows the
 * WCAG 2.2 / ITU-R BT.1702 definition: a pair of opposing luminance changes,
 * each at least flash_delta of full output; at most max_flashes flashes in any
 * sliding flash_window_s (3 per 1 s: photosensitive-epilepsy guidance), i.e.
 * at most 2 * max_flashes significant direction changes per window. */
typedef struct st_envelope_params {
    double min_level;            /* never below, e.g. 0.2 */
    double max_level;            /* never above (hard cap), e.g. 1.0 */
    double max_rate;             /* max |d level / dt|, fraction of full output per second */
    double max_flashes;          /* per window, 3 */
    double flash_window_s;       /* 1.0 */
    double flash_delta;          /* 0.1: WCAG "10% of the maximum relative luminance" */
    double cct_min_k, cct_max_k; /* colour temperature caps, kelvin */
    double cct_max_rate_k;       /* kelvin per second */
    double step_dt_max;          /* longest time one step may bank for its rate: a level
                                  * held for a second still moves at most max_rate *
                                  * step_dt_max in the next packet (1/30 s) */
} st_envelope_params;

/* Defaults (docs/actuation.md): min 0.2, max 1.0, rate 0.25/s, 3 flashes per
 * 1 s with a 0.1 delta, 2200..6500 K at most 1000 K/s, step_dt_max 1/30 s. */
void st_envelope_params_default(st_envelope_params *p);

/* 0, or -EINVAL with one line in err saying which field is wrong. */
int st_envelope_params_check(const st_envelope_params *p, char *err, size_t cap);

/* One clamp, reported when a lamp starts being clamped for a cause (edge:
 * one report per episode, not per frame; st_envelope_counts counts frames). */
typedef struct st_envelope_clamp {
    size_t lamp;
    st_env_cause cause;
    double t;
    double requested; /* level (or kelvin) asked for */
    double allowed;   /* what the envelope let through */
} st_envelope_clamp;

/* Called synchronously from st_envelope_apply; c is borrowed for the call. */
typedef void (*st_envelope_report_fn)(void *ctx, const st_envelope_clamp *c);

typedef struct st_envelope st_envelope; /* opaque */

/* p is copied; report (may be NULL) and ctx are borrowed. nlamps > 0.
 * NULL + errno (EINVAL for bad parameters, ENOMEM). */
st_envelope *st_envelope_new(const st_envelope_params *p, size_t nlamps,
                             st_envelope_report_fn report, void *ctx);
void st_envelope_free(st_envelope *e); /* NULL ok */

/* Set a lamp's known output (start-up), clamped into the static caps. */
void st_envelope_reset(st_envelope *e, size_t lamp, double level, double kelvin, double t);

/* Pass the request (*level, *kelvin) for lamp at time t (seconds, monotonic)
 * through the envelope; both are replaced by what may be output. Returns a
 * bitmask of the causes (1 << st_env_cause) that changed the request, 0 if
 * none, or -EINVAL for a bad lamp. NaN requests hold the last output.
 * Allocates nothing. */
int st_envelope_apply(st_envelope *e, size_t lamp, double t, double *level, double *kelvin);

/* Frames clamped per cause since _new. out has ST_ENV__COUNT entries. */
void st_envelope_counts(const st_envelope *e, uint64_t *out);

/* The parameters in force (borrowed). */
const st_envelope_params *st_envelope_params_get(const st_envelope *e);

#endif
