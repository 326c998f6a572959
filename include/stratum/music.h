/* Street music through MPD (libmpdclient): programmes per zone state, a hard
 * volume cap, reconnect with back-off, and a record of what was playing. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MUSIC_H
#define STRATUM_MUSIC_H

#include <stddef.h>
#include "stratum/actuator.h"
#include "stratum/log.h"
#include "stratum/policy.h"

#define ST_MUSIC_MAX_PROGRAMMES 16
#define ST_MUSIC_TEXT           160

/* A programme: what a rule's `music = NAME` plays. An empty playlist means
 * "stop playback" (e.g. a programme named "off"). */
typedef struct st_music_programme {
    char name[ST_ACTION_MAX];
    char playlist[64]; /* MPD stored playlist */
    int volume;        /* 0..100, then capped by volume_cap */
    int crossfade_s;   /* MPD crossfade between songs, 0..30 s */
} st_music_programme;

typedef struct st_music_params {
    char host[128]; /* MPD host or socket path */
    int port;       /* 6600 */
    int timeout_ms; /* per MPD command; bounds how long a hung MPD can stall a call */
    int volume_cap; /* hard cap 0..100: no programme or operator exceeds it */
    double backoff_min_s, backoff_max_s; /* reconnect back-off (1 s doubling to 30 s) */
    st_music_programme programmes[ST_MUSIC_MAX_PROGRAMMES];
    size_t nprogrammes;
} st_music_params;

/* Defaults: 127.0.0.1:6600, 1000 ms, cap 60; programmes calm (playlist calm,
 * volume 35, crossfade 5), ambient (ambient, 25, 5) and off (stop). */
void st_music_params_default(st_music_params *p);
/* 0 or -EINVAL with one line in err. */
int st_music_params_check(const st_music_params *p, char *err, size_t cap);

/* What MPD reports. Strings are copies. */
typedef struct st_music_status {
    int connected;
    char state[8]; /* "play", "pause", "stop", "?" */
    int volume;    /* -1 when MPD has no mixer */
    int crossfade_s;
    unsigned queue_length;
    char song[ST_MUSIC_TEXT];      /* "Artist - Title" or the file name, "" if none */
    char programme[ST_ACTION_MAX]; /* the last programme this process set, "" if none */
} st_music_status;

/* The record kept with each music intervention. */
typedef struct st_music_record {
    double t; /* intervention time (engine time) */
    char zone[ST_ID_MAX];
    char programme[ST_ACTION_MAX];
    char was[ST_MUSIC_TEXT]; /* what was playing before: "state song @volume" */
    int ok;                  /* 1 applied, 0 pending a reconnect */
} st_music_record;

typedef struct st_music st_music; /* opaque */

/* p copied, log borrowed. Does not connect yet (the first play/tick/status
 * does), so a missing MPD never stops start-up. NULL + errno (EINVAL). */
st_music *st_music_new(const st_music_params *p, st_log *log);
void st_music_free(st_music *m); /* NULL ok */

/* Switch to programme (in zone, for the record) at time t: note what was
 * playing, load the playlist, set crossfade and the capped volume, play.
 * 0; -ENOENT for an unknown programme; -ECONNREFUSED / -EIO when MPD is
 * unreachable or refuses (logged; the programme stays pending and the next
 * st_music_tick retries it after the back-off). */
int st_music_play(st_music *m, const char *programme, const char *zone, double t);

/* Reconnect when due and retry a pending programme; enforce the volume cap on
 * whatever set the volume (operators, other clients). 0 or -errno. now is
 * wall-clock monotonic seconds. */
int st_music_tick(st_music *m, double now);

/* Query MPD now. 0, or -errno with out->connected = 0. */
int st_music_status_get(st_music *m, st_music_status *out);

/* The record of the last intervention (borrowed; t = 0 if none). */
const st_music_record *st_music_last(const st_music *m);

/* Connection failures so far and seconds until the next attempt (0 if connected). */
void st_music_retry_info(const st_music *m, unsigned *failures, double *next_in_s);

/* Actuator: apply() plays ST_ACT_MUSIC interventions (others ignored) and
 * logs what was playing; tick() calls st_music_tick with the monotonic
 * clock. Ownership of m passes to the actuator. */
st_actuator st_music_actuator(st_music *m);

#endif
