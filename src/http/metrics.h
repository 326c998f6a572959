/* Prometheus text exposition (format 0.0.4) of the engine's and server's counters. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_HTTP_METRICS_H
#define STRATUM_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "http/jbuf.h"
#include "stratum/live.h"

/* HTTP status codes counted one by one; anything else counts as "other". */
#define ST_METRICS_CODES                                                                           \
    {                                                                                              \
        200, 202, 304, 400, 401, 403, 404, 405, 408, 413, 414, 429, 500, 503                       \
    }
#define ST_METRICS_NCODES 15 /* the codes above + other */

/* The HTTP server's own counters (a snapshot). Plain data. */
typedef struct st_metrics_http {
    uint64_t responses[ST_METRICS_NCODES];    /* by code, in ST_METRICS_CODES order */
    uint64_t writes_accepted, writes_refused; /* write actions posted / refused (401, 4xx) */
    uint64_t sse_events;                      /* events sent on event streams */
    uint64_t sse_clients;                     /* open event streams (gauge) */
    uint64_t connections;                     /* open connections (gauge) */
    uint64_t command_queue;                   /* operator commands not yet run (gauge) */
} st_metrics_http;

/* Index into responses[] for an HTTP status code. */
size_t st_metrics_code_index(int code);

/* Append the whole exposition: ingest, observations, transitions per target
 * state, interventions (actuations), errors, per-zone state gauges and the time
 * in the current state, zone-seconds per state, engine time, HTTP counters.
 * Label values are escaped per the text format (backslash, quote, newline).
 * Pointers are borrowed. */
void st_metrics_render(st_jbuf *b, const st_live_counters *c, const st_live_zone *zones,
                       size_t nzones, const st_metrics_http *h);

#endif
