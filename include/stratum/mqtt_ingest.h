/* MQTT ingest: subscribe to device topics, queue, verify, hand verified observations over. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MQTT_INGEST_H
#define STRATUM_MQTT_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/log.h"
#include "stratum/mqtt_conn.h"
#include "stratum/obs.h"
#include "stratum/registry.h"
#include "stratum/verify.h"

/* Data flow (docs/wire.md):
 *   libmosquitto network thread: on_message -> topic stratum/<street>/<zone>/<device>/obs
 *     -> rate limit of <device> (no crypto) -> copy into a bounded ring queue
 *     (full or oversize: the message is dropped and counted: "drop newest", so a
 *     burst never blocks the network thread nor delays PUBACKs)
 *   caller's thread: st_mqtt_ingest_poll takes what is queued, in batches:
 *     the stateless checks (envelope, device, signature: st_verify_precheck)
 *     shared with verify_threads helper threads, then the stateful ones
 *     (replay, timestamp, policy, SenML: st_verify_finish) in arrival order
 *     on the caller's thread -> callback with the verified st_obs records
 *     (the lead's run loop passes them to st_engine_ingest).
 * QoS 1 subscription on a persistent session (client id required, clean
 * session off / MQTT 5 session expiry 1 day) so a broker or engine restart
 * loses no message the broker accepted; libmosquitto reconnects with
 * exponential backoff between conn.reconnect_min_s and conn.reconnect_max_s. */
#define ST_MQTT_VERIFY_THREADS_MAX 16

typedef struct st_mqtt_ingest_params {
    st_mqtt_conn conn;
    char street[ST_ID_MAX]; /* subscribes to stratum/<street>/+/+/obs */
    size_t queue_len;       /* messages held between the threads (default 8192) */
    size_t max_message;     /* largest envelope accepted, bytes (default 16384) */
    size_t verify_threads;  /* helper threads checking signatures beside the poller
                               (default: processors online - 1, at most 3;
                               0 = the poller alone; at most
                               ST_MQTT_VERIFY_THREADS_MAX) */
    st_verify_params verify;
} st_mqtt_ingest_params;

/* Defaults: conn for url (mqtt://127.0.0.1:1883 if NULL) with client id
 * "stratum-engine", street "stratumseind", verify defaults. */
void st_mqtt_ingest_params_default(st_mqtt_ingest_params *p, const char *url);

typedef struct st_mqtt_ingest_stats {
    st_verify_stats verify; /* per verdict, including rate-limited and dropped */
    uint64_t received;      /* messages delivered by the broker */
    uint64_t connects;      /* successful CONNACKs */
    uint64_t disconnects;
    size_t queue_depth, queue_high; /* now and highest */
    int connected;
} st_mqtt_ingest_stats;

/* Verified observations of one message: obs borrowed for the call only. */
typedef void (*st_mqtt_obs_fn)(void *ctx, const st_obs *obs, size_t n, const st_verify_info *info);

typedef struct st_mqtt_ingest st_mqtt_ingest; /* opaque */

/* Start: verifier over reg (borrowed; reg's database must be used only from the
 * thread that polls), network thread, connection attempt (a broker that is
 * not up yet is retried in the background). log borrowed.
 * NULL + errno, after logging why. */
st_mqtt_ingest *st_mqtt_ingest_new(const st_mqtt_ingest_params *p, st_registry *reg, st_log *log);

/* Disconnect and stop the network thread; queued messages stay for poll. */
void st_mqtt_ingest_stop(st_mqtt_ingest *m);
/* Stop if needed, save the replay counters (clean shutdown) and free. NULL ok. */
void st_mqtt_ingest_free(st_mqtt_ingest *m);

/* Wait up to timeout_ms for messages, verify every queued one and call fn
 * (may be NULL) for each accepted message; runs the verifier's housekeeping.
 * Returns the number of messages taken from the queue (any verdict).
 * Allocates nothing. */
int st_mqtt_ingest_poll(st_mqtt_ingest *m, int timeout_ms, st_mqtt_obs_fn fn, void *ctx);

void st_mqtt_ingest_stats_get(st_mqtt_ingest *m, st_mqtt_ingest_stats *out);

/* The verifier (borrowed), e.g. for st_verify_set_alert. */
st_verify *st_mqtt_ingest_verifier(st_mqtt_ingest *m);

#endif
