/* The daemon's HTTP server: JSON API, server-sent events, Prometheus metrics,
 * the operator dashboard's static files and the public sensor register. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_HTTP_H
#define STRATUM_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/audit.h"
#include "stratum/live.h"
#include "stratum/log.h"
#include "stratum/obs.h"
#include "stratum/policy.h"
#include "stratum/zone.h"

/* One sensor as the public register and the device-health view show it.
 * Plain data; strings are NUL-terminated and may be empty ("unknown"). */
typedef struct st_http_sensor {
    char id[ST_ID_MAX];     /* device id, e.g. "meter-1" */
    char zone[ST_ID_MAX];   /* zone it reports for */
    char kind[32];          /* "sound-meter", "people-counter", ... */
    char measures[200];     /* what it measures, in words */
    char not_recorded[200]; /* what it does NOT record */
    char version[32];       /* firmware version, "" = unknown */
    double last_seen;       /* epoch seconds of its newest observation, 0 = never */
    int quarantined;        /* 1 quarantined, 0 not, -1 unknown */
    int health_from_zone;   /* 1 if last_seen is the zone's newest observation, not the device's */
} st_http_sensor;

/* Sensor provider: fill out[0..max) from the live zones (borrowed for the call)
 * and return how many sensors exist (may exceed max; only max are written).
 * Called from HTTP threads, concurrently: it must be thread-safe. */
typedef size_t (*st_http_sensors_fn)(void *ctx, const st_live_zone *zones, size_t nzones,
                                     st_http_sensor *out, size_t max);

/* The default provider until the device registry lands: a sound meter
 * "meter-<i>" and a counting camera "cam-<i>" per zone i (1-based, in street
 * order), as the simulator has, with the zone's newest observation as last seen. */
size_t st_http_sensors_from_zones(void *ctx, const st_live_zone *zones, size_t nzones,
                                  st_http_sensor *out, size_t max);

/* The device registry's sensors (ctx: the store's path, borrowed; read through
 * a read-only connection per call): type, reported version, revoked or
 * quarantined by its type's policy, last seen = its zone's newest observation.
 * Falls back to st_http_sensors_from_zones when no device is registered (the
 * simulated street). */
size_t st_http_sensors_from_registry(void *ctx, const st_live_zone *zones, size_t nzones,
                                     st_http_sensor *out, size_t max);

/* Evidence-report provider: return the report as a malloc'd JSON text (the
 * caller frees it), or NULL with errno set (ENOENT: no report yet). Called
 * from HTTP threads; must be thread-safe. */
typedef char *(*st_http_evidence_fn)(void *ctx);

typedef struct st_http_params {
    const char *bind_addr;    /* "127.0.0.1"; an IPv6 literal binds IPv6 */
    int port;                 /* 8080; 0 = any free port (see st_http_port) */
    unsigned max_connections; /* simultaneous connections, SSE streams included (64) */
    unsigned max_sse;         /* simultaneous event streams (16); more get 503 */
    size_t max_body;          /* largest request body accepted, bytes (4096): 413 */
    size_t max_url;           /* longest path + query, bytes (1024): 414 */
    size_t max_zones;         /* zones the API can show (ST_MAX_ZONES-sized, 256) */
    const char *web_root;     /* folder of index.html, app.js, style.css, vendor/;
                               * NULL = "<folder of the executable>/web" */
    const char *token_path;   /* bearer-token file, created 0600 on first start
                               * ("stratum.token"); NULL disables every write */
    st_audit *audit;          /* borrowed, may be NULL; every accepted write appends a
                               * "write" record. Must use its own SQLite connection. */
    const unsigned char
        *audit_pk;              /* borrowed, 32 bytes or NULL: key /api/audit verifies heads with */
    const char *owner;          /* register: who owns the sensors */
    const char *retention;      /* register: how long aggregates are kept */
    const char *contact;        /* register: where to ask questions */
    const char *street;         /* street name shown on the page ("") */
    int utc_offset_min;         /* street local time = UTC + this; the page shows local times */
    st_http_sensors_fn sensors; /* NULL = st_http_sensors_from_zones */
    void *sensors_ctx;
    st_http_evidence_fn evidence; /* NULL = /api/evidence answers 404 */
    void *evidence_ctx;
} st_http_params;

/* Fill p with the defaults above (all strings static). */
void st_http_params_default(st_http_params *p);

typedef struct st_http st_http; /* opaque */

/* Start serving in background threads. p is copied (its strings too; audit,
 * audit_pk and the contexts stay borrowed); live and log are borrowed and must
 * outlive the server. db_path (copied; NULL = no history) is the store file,
 * opened read-only with the server's own connections. Creates the token file on
 * first start. Returns NULL with errno: EADDRINUSE, EACCES (bind), EINVAL (bad
 * params, unreadable token file), ENOMEM; one log line says why. */
st_http *st_http_new(const st_http_params *p, st_live *live, const char *db_path, st_log *log);

/* Stops accepting, ends event streams (within half a second) and frees. NULL is a no-op. */
void st_http_free(st_http *h);

/* The TCP port actually bound (useful with port 0). */
int st_http_port(const st_http *h);

/* Event helpers for the engine loop's listener: format the dashboard's event JSON
 * and st_live_push it. A transition pushes "transition"; an intervention pushes
 * "intervention", and an alert intervention also pushes "alert" (its id is the
 * intervention id, which /api/alerts/{id}/ack takes). Return the event id or a
 * negative errno. Pointers are borrowed for the call. Allocate nothing. */
int64_t st_http_push_transition(st_live *l, const char *zone, const st_trace *tr, int64_t id);
int64_t st_http_push_intervention(st_live *l, const st_intervention *iv, int64_t id);

/* Free-form operator-visible status line ("status" event), e.g. what a command did. */
int64_t st_http_push_status(st_live *l, const char *level, const char *text);

#endif
