/* Device-side publisher: sign SenML packs into envelopes and publish them with QoS 1. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MQTT_PUB_H
#define STRATUM_MQTT_PUB_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/devkey.h"
#include "stratum/log.h"
#include "stratum/mqtt_conn.h"

typedef struct st_mqtt_pub_params {
    st_mqtt_conn conn; /* username/password default to the key's id and mqtt_password */
    char street[ST_ID_MAX];
    char sw_version[ST_VS_MAX]; /* reported in every envelope (device policy) */
    uint64_t counter_start;     /* first counter; 0 = wall clock in microseconds, which
                                 * keeps rising across device restarts without storage */
    int network_thread;         /* 1 (default): libmosquitto's own thread; 0: caller
                                 * drives st_mqtt_pub_loop (benches with many devices) */
} st_mqtt_pub_params;

/* Defaults for url: protocol 5, client id = device id (set at _new),
 * street "stratumseind", version "1.0.0", network thread on. */
void st_mqtt_pub_params_default(st_mqtt_pub_params *p, const char *url);

typedef struct st_mqtt_pub_stats {
    uint64_t sent;    /* handed to libmosquitto */
    uint64_t acked;   /* PUBACK received (the broker has accepted it) */
    uint64_t refused; /* MQTT 5 PUBACK with a reason code >= 0x80 (e.g. 0x87 not authorised) */
    int last_reason;  /* reason code of the last PUBACK (0 = success) */
    int connected;
    uint64_t counter; /* last counter used */
} st_mqtt_pub_stats;

typedef struct st_mqtt_pub st_mqtt_pub; /* opaque; one thread calls send */

/* key is copied (and wiped at free); log borrowed. Connects (a broker that is
 * not up is retried in the background). NULL + errno, after logging why. */
st_mqtt_pub *st_mqtt_pub_new(const st_mqtt_pub_params *p, const st_devkey *key, st_log *log);
/* Disconnects (after st_mqtt_pub_flush if you want every message acked). NULL ok. */
void st_mqtt_pub_free(st_mqtt_pub *pub);

/* Sign pack[0..len) (borrowed; a SenML pack naming this device) with the next
 * counter and timestamp t (epoch s; < 0 = now) and publish it with QoS 1 to
 * stratum/<street>/<zone>/<device>/obs. libmosquitto queues it while
 * disconnected and resends unacknowledged messages after a reconnect.
 * 0 or negative errno (-EINVAL, -E2BIG, -EIO). */
int st_mqtt_pub_send(st_mqtt_pub *pub, const char *pack, size_t len, double t);

/* Publish raw bytes on any topic (tests: forged or replayed envelopes, other
 * devices' topics). 0 or negative errno. */
int st_mqtt_pub_send_raw(st_mqtt_pub *pub, const char *topic, const uint8_t *buf, size_t len);

/* Build the envelope st_mqtt_pub_send would send (consumes a counter) into out.
 * Returns its length or negative errno. */
int st_mqtt_pub_seal(st_mqtt_pub *pub, const char *pack, size_t len, double t, uint8_t *out,
                     size_t cap);

/* Wait until every sent message is acknowledged, up to timeout_s.
 * 0, or -ETIMEDOUT. */
int st_mqtt_pub_flush(st_mqtt_pub *pub, double timeout_s);

/* Without a network thread: run the client for up to timeout_ms (reads,
 * writes, keepalive, reconnect). 0 or negative errno. */
int st_mqtt_pub_loop(st_mqtt_pub *pub, int timeout_ms);
/* Socket of the client (-1 when unconnected) and whether it has data to
 * write, for callers that poll many clients. */
int st_mqtt_pub_socket(st_mqtt_pub *pub);
int st_mqtt_pub_want_write(st_mqtt_pub *pub);
/* Drive one readiness event from the caller's poll loop. */
void st_mqtt_pub_io(st_mqtt_pub *pub, int readable, int writable);

void st_mqtt_pub_stats_get(st_mqtt_pub *pub, st_mqtt_pub_stats *out);
/* The topic this device publishes on (borrowed). */
const char *st_mqtt_pub_topic(const st_mqtt_pub *pub);

#endif
