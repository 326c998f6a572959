/* Live street state shared between the engine loop and the HTTP server:
 * zone snapshots, a ring of recent events, counters, and operator commands. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_LIVE_H
#define STRATUM_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/engine.h"
#include "stratum/zone.h"

/* One zone as the dashboard sees it. Plain data. */
typedef struct st_live_zone {
    st_zone_def def;
    st_zone_status status;
} st_live_zone;

/* Counters exported on /metrics (monotonic unless noted). */
typedef struct st_live_counters {
    double now; /* engine time, epoch seconds (gauge) */
    uint64_t packs, packs_refused, records;
    st_engine_stats engine;
    double state_seconds[ST_STATE__COUNT]; /* zone-seconds spent in each state */
} st_live_counters;

/* Operator commands posted by the HTTP server and executed by the engine loop. */
typedef enum st_live_cmd_kind {
    ST_CMD_SCENE = 1,  /* switch a zone's (or every zone's) scene by hand */
    ST_CMD_PIN_POLICY, /* pin a policy (rules | control | a named arm) */
    ST_CMD_ACK_ALERT   /* acknowledge an alert */
} st_live_cmd_kind;

typedef struct st_live_cmd {
    st_live_cmd_kind kind;
    char zone[ST_ID_MAX]; /* "" = all zones */
    char arg[64];         /* scene name, policy, alert id */
    char actor[64];       /* who asked (token name) */
} st_live_cmd;

typedef struct st_live st_live; /* opaque; every function is thread-safe */

/* Room for nzones zones, ring_events recent events (each up to event_bytes of
 * JSON) and 64 pending commands. NULL + errno on failure. */
st_live *st_live_new(size_t nzones, size_t ring_events, size_t event_bytes);
void st_live_free(st_live *l);

/* Engine side: copy the engine's zones and counters in (called each step or
 * less often). Takes the lock briefly; allocates nothing. */
void st_live_update(st_live *l, const st_engine *e, double now, uint64_t packs,
                    uint64_t packs_refused, uint64_t records);

/* Append an event ("transition", "intervention", "alert", "status") whose data
 * is a JSON text (copied, truncated events are dropped with -E2BIG). Returns
 * the event id (> 0, increasing) or a negative errno. Wakes SSE readers. */
int64_t st_live_push(st_live *l, const char *type, const char *json);

/* Reader side: copy up to max zones into out; returns the zone count. */
size_t st_live_zones(st_live *l, st_live_zone *out, size_t max);
void st_live_counters_get(st_live *l, st_live_counters *out);

/* Next event after id `after`, waiting up to timeout_ms for one. Copies its type
 * and JSON into the caller's buffers; returns its id, 0 on timeout, or -ESHUTDOWN
 * after st_live_close. If `after` fell out of the ring, returns the oldest kept. */
int64_t st_live_next(st_live *l, int64_t after, int timeout_ms, char *type, size_t type_cap,
                     char *json, size_t json_cap);

/* Commands: HTTP posts (0 or -EAGAIN when full), the engine loop takes (1 if one
 * was taken, else 0). */
int st_live_cmd_post(st_live *l, const st_live_cmd *c);
int st_live_cmd_take(st_live *l, st_live_cmd *out);
/* Commands posted but not yet taken (the command queue's depth, for /metrics). */
size_t st_live_cmd_pending(st_live *l);

/* Ends waits in st_live_next (shutdown). */
void st_live_close(st_live *l);

#endif
