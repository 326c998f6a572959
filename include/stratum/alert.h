/* Steward and control-room alerts: an MQTT topic (libmosquitto) and an HTTP
 * webhook (libcurl), with severity, zone, reason, deduplication, a rate limit
 * and a record of acknowledgements. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_ALERT_H
#define STRATUM_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/actuator.h"
#include "stratum/log.h"
#include "stratum/policy.h"

#define ST_ALERT_QUEUE 32 /* alerts awaiting delivery */
#define ST_ALERT_KEEP  64 /* recent alerts kept for dedup and acknowledgements */

typedef enum st_alert_sev { ST_ALERT_INFO = 0, ST_ALERT_WARNING, ST_ALERT_CRITICAL } st_alert_sev;
/* "info", "warning", "critical"; parse returns -1 for anything else ("none" included). */
const char *st_alert_sev_name(st_alert_sev s);
int st_alert_sev_parse(const char *s);

typedef struct st_alert_params {
    char street[ST_ID_MAX];
    char webhook_url[256]; /* "" = no webhook */
    double webhook_timeout_s;
    char mqtt_host[128]; /* "" = no MQTT */
    int mqtt_port;
    char mqtt_topic[128]; /* alerts are published here; acknowledgements read from TOPIC/ack */
    int mqtt_qos;         /* 0..2 (1: at least once) */
    double dedup_s;       /* same zone + severity + rule within this window: suppressed */
    double rate_window_s; /* at most rate_max non-critical alerts per window */
    int rate_max;
    int max_attempts;   /* webhook attempts before giving up (MQTT waits for the broker) */
    double retry_min_s; /* first retry delay, doubling up to 60 s (1 s) */
    char ack_path[256]; /* acknowledgement record (JSON lines, appended); "" = log only */
} st_alert_params;

/* Defaults: no transports; topic "stratum/alerts", QoS 1, port 1883; dedup
 * 300 s; 10 alerts per 600 s (critical never rate-limited); 5 attempts;
 * webhook timeout 3 s. */
void st_alert_params_default(st_alert_params *p);

/* One alert as kept (plain data). */
typedef struct st_alert_rec {
    int64_t id;
    double t;
    st_alert_sev sev;
    char zone[ST_ID_MAX];
    char rule[ST_ID_MAX];
    char reason[256];
    int webhook_status; /* last HTTP status, 0 if not delivered/none */
    int mqtt_sent;      /* 1 once published */
    double acked_t;     /* 0 until acknowledged */
    char acked_by[64];
} st_alert_rec;

typedef struct st_alert st_alert; /* opaque */

/* p copied, log borrowed. With mqtt_host set, starts a non-blocking MQTT
 * connection that st_alert_tick services (no thread; reconnects with
 * back-off). NULL + errno. */
st_alert *st_alert_new(const st_alert_params *p, st_log *log);
void st_alert_free(st_alert *a); /* NULL ok */

/* Offer one alert. Returns its id (> 0) when queued for delivery, 0 when
 * deduplicated or rate-limited (logged), -EINVAL for a bad severity or
 * -ENOSPC when the delivery queue is full. Never blocks on the network. */
int64_t st_alert_submit(st_alert *a, const st_intervention *iv);

/* Deliver what is due (non-blocking libcurl multi and the MQTT client),
 * retry failures with back-off, record acknowledgements that arrived on
 * TOPIC/ack. 0 or -errno. */
int st_alert_tick(st_alert *a);

/* Record an acknowledgement (operator, dashboard, MQTT) for alert id at time
 * t (epoch). Appended to ack_path. 0, -ENOENT (unknown or too old id). */
int st_alert_ack(st_alert *a, int64_t id, const char *by, double t);

/* The kept alert with this id (borrowed until the next submit), or NULL. */
const st_alert_rec *st_alert_get(const st_alert *a, int64_t id);

/* The JSON body sent for rec (webhook body and MQTT payload) into buf.
 * Returns its length or -ENOSPC. */
int st_alert_json(const st_alert *a, const st_alert_rec *rec, char *buf, size_t cap);

typedef struct st_alert_stats {
    uint64_t submitted, queued, deduplicated, rate_limited;
    uint64_t webhook_ok, webhook_failed, mqtt_ok, mqtt_failed, given_up, acked;
} st_alert_stats;
void st_alert_stats_get(const st_alert *a, st_alert_stats *out);

/* Actuator: apply() submits ST_ACT_ALERT interventions (others ignored),
 * tick() calls st_alert_tick. Ownership of a passes to it. */
st_actuator st_alert_actuator(st_alert *a);

#endif
