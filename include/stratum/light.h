/* Street lighting: patch (lamp -> universe/channels), scenes in level and kelvin,
 * fades, the safety envelope, and sACN / Art-Net output with keep-alives. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_LIGHT_H
#define STRATUM_LIGHT_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/actuator.h"
#include "stratum/artnet.h"
#include "stratum/envelope.h"
#include "stratum/log.h"
#include "stratum/policy.h"
#include "stratum/sacn.h"
#include "stratum/zone.h"

#define ST_LIGHT_MAX_LAMPS     256
#define ST_LIGHT_MAX_SCENES    32
#define ST_LIGHT_MAX_UNIVERSES 32
/* Reserved scene name: always means the configured safe scene (e.g. the engine
 * asks for it when a zone's inputs go stale). */
#define ST_LIGHT_SAFE "safe"

/* Channel layouts; the value is the number of consecutive channels used:
 * DIM: dimmer. CCT: dimmer, warm white, cool white. RGB: dimmer, warm, cool,
 * red, green, blue. */
typedef enum st_light_layout {
    ST_LIGHT_DIM = 1,
    ST_LIGHT_CCT = 3,
    ST_LIGHT_RGB = 6
} st_light_layout;

/* "dim", "dim+cct", "dim+cct+rgb" (static); parse returns 0 on unknown text. */
const char *st_light_layout_name(st_light_layout l);
st_light_layout st_light_layout_parse(const char *s);

/* One lamp post as patched. */
typedef struct st_lamp {
    char id[ST_ID_MAX];   /* "z1-1" */
    char zone[ST_ID_MAX]; /* "z1" */
    int universe;         /* 1..63999 (sACN universe; Art-Net Port-Address = universe - 1) */
    int channel;          /* first DMX channel, 1..512 */
    st_light_layout layout;
} st_lamp;

/* A look, written as light rather than channels. */
typedef struct st_scene_def {
    char name[ST_ACTION_MAX];
    double level;  /* fraction of full output, 0..1 (the envelope still applies) */
    double kelvin; /* correlated colour temperature */
    double fade_s; /* preferred fade; lengthened when the envelope's rate needs it */
} st_scene_def;

typedef struct st_light_params {
    st_lamp lamps[ST_LIGHT_MAX_LAMPS];
    size_t nlamps;
    st_scene_def scenes[ST_LIGHT_MAX_SCENES];
    size_t nscenes;
    char safe_scene[ST_ACTION_MAX]; /* scene used at start, on stale inputs, on stop */
    double warm_k, cool_k;          /* colour temperature of the warm and cool white channels */
    double frame_hz;                /* packets per second per universe while changing (>= 30) */
    double keepalive_s;             /* max gap between packets when steady (<= 1) */
    int use_sacn, use_artnet;
    st_sacn_params sacn;
    st_artnet_params artnet;
    st_envelope_params env;
} st_light_params;

/* The embedded street: lamps "<zone>-<n>" for each zone's def.lamps, one
 * universe per zone (zone i -> universe i + 1), layout dim+cct from channel 1
 * in steps of 3; scenes normal, bright-neutral, calm-warm; safe scene normal;
 * 2700 K / 6500 K white channels; 40 frames/s; keep-alive 0.5 s; sACN unicast
 * to 127.0.0.1; default envelope. zones is borrowed for the call. */
void st_light_params_default(st_light_params *p, const st_zone_def *zones, size_t nzones);

/* Static checks of the patch and scenes: channel ranges, overlapping channels,
 * duplicate ids, unknown safe scene, envelope. 0, or -EINVAL with one line in
 * err naming the lamp or scene. */
int st_light_params_check(const st_light_params *p, char *err, size_t cap);

/* Split a kelvin value into warm/cool white fractions (summing to 1), mixed
 * linearly in mired (1e6 / K), the scale on which mixtures of two white
 * sources move along a near-straight line. */
void st_light_mix(double kelvin, double warm_k, double cool_k, double *warm, double *cool);

typedef struct st_light st_light; /* opaque */

/* New output. p is copied; log borrowed (may be NULL). Opens the senders and
 * starts every lamp at the safe scene (first packets on the first tick).
 * NULL + errno (EINVAL after logging the reason). */
st_light *st_light_new(const st_light_params *p, st_log *log);
/* Frees without sending; call st_light_terminate first for a clean stop. NULL ok. */
void st_light_free(st_light *l);

/* Fade the lamps of zone (NULL, "" or "*" = all) to scene name (ST_LIGHT_SAFE =
 * the safe scene) starting at now (monotonic seconds), and put the first step
 * on the wire at once. 0, -ENOENT (unknown scene or zone). */
int st_light_scene(st_light *l, const char *name, const char *zone, double now);

/* Fade one lamp to (level, kelvin) over fade_s (operator test patterns).
 * 0 or -ENOENT / -EINVAL. */
int st_light_lamp(st_light *l, size_t lamp, double level, double kelvin, double fade_s, double now);

/* Advance fades to now and send what is due: every universe at frame_hz while
 * any of its lamps changes, else a keep-alive every keepalive_s. Returns the
 * number of data packets sent. Send errors are logged (rate-limited) and
 * retried on the next frame. Allocates nothing. */
int st_light_tick(st_light *l, double now);

/* 1 when every lamp has reached its target (no fade or clamp in progress). */
int st_light_settled(const st_light *l);

/* Send the sACN Stream_Terminated packets (3 per universe) with the current look. */
void st_light_terminate(st_light *l);

/* Current output of lamp i (after the envelope). 0 or -EINVAL. */
int st_light_output(const st_light *l, size_t i, double *level, double *kelvin);
/* The current DMX frame of universe (borrowed, 512 octets), NULL if unpatched. */
const uint8_t *st_light_frame(const st_light *l, int universe);
/* The scene last asked for in zone, "" if none (borrowed). */
const char *st_light_zone_scene(const st_light *l, const char *zone);
const st_light_params *st_light_params_get(const st_light *l); /* borrowed */
/* The envelope in force (borrowed), e.g. for its clamp counts. */
const st_envelope *st_light_envelope(const st_light *l);

/* Packets sent and send errors so far. */
void st_light_counts(const st_light *l, uint64_t *packets, uint64_t *errors);

/* Monotonic clock in seconds (CLOCK_MONOTONIC): light runs in wall time, not
 * in the engine's (possibly accelerated) observation time. */
double st_light_now(void);

/* An actuator driving l in this process (ownership of l passes to it; its
 * free terminates the streams and frees l). apply() handles ST_ACT_SCENE and
 * ignores other kinds; tick() uses the monotonic clock. For a street, prefer
 * st_failsafe_actuator (the output survives the engine). */
st_actuator st_light_actuator(st_light *l);

#endif
