/* Steward alerts over an MQTT topic and an HTTP webhook: dedup, rate limit, retries, acks. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stratum/alert.h"

#define BODY_MAX  2048
#define INBOX_MAX 16

typedef struct slot {
    int used;
    int64_t id;
    char body[BODY_MAX];
    size_t len;
    int need_web, need_mqtt, in_flight;
    int web_attempts, mqtt_attempts;
    double next_web, next_mqtt;
    CURL *easy; /* made in _new, reused */
    char errbuf[CURL_ERROR_SIZE];
} slot;

typedef struct ack_msg {
    int64_t id;
    char by[64];
} ack_msg;

struct st_alert {
    st_alert_params p;
    st_log *log;
    int64_t next_id;
    st_alert_rec recs[ST_ALERT_KEEP]; /* ring of recent alerts */
    size_t nrecs, head;
    double *sent; /* times of queued non-critical alerts (rate limit ring, rate_max) */
    size_t nsent, sent_head;
    slot q[ST_ALERT_QUEUE];
    CURLM *multi;
    struct curl_slist *hdrs;
    int curl_init;
    struct mosquitto *mosq;
    int mq_connected, mq_started;
    unsigned mq_failures;
    double mq_next, mq_backoff;
    ack_msg inbox[INBOX_MAX]; /* filled by the MQTT message callback (inside tick) */
    size_t ninbox;
    st_alert_stats st;
};

static const char *const sev_names[] = {"info", "warning", "critical"};

const char *st_alert_sev_name(st_alert_sev s)
{
    return (unsigned)s <= ST_ALERT_CRITICAL ? sev_names[s] : "?";
}

int st_alert_sev_parse(const char *s)
{
    for (int i = 0; s && i <= ST_ALERT_CRITICAL; i++)
        if (!strcmp(s, sev_names[i])) return i;
    return -1;
}

void st_alert_params_default(st_alert_params *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->street, sizeof(p->street), "stratumseind");
    p->webhook_timeout_s = 3;
    p->mqtt_port = 1883;
    snprintf(p->mqtt_topic, sizeof(p->mqtt_topic), "stratum/alerts");
    p->mqtt_qos = 1;
    p->dedup_s = 300;
    p->rate_window_s = 600;
    p->rate_max = 10;
    p->max_attempts = 5;
    p->retry_min_s = 1;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* MQTT callbacks run inside mosquitto_loop, called from st_alert_tick. */
static void on_connect(struct mosquitto *mosq, void *ud, int rc)
{
    st_alert *a = ud;
    if (rc) return;
    a->mq_connected = 1;
    a->mq_backoff = 1;
    st_info(a->log, "alert", "mqtt connected to %s:%d", a->p.mqtt_host, a->p.mqtt_port);
    char topic[160];
    snprintf(topic, sizeof(topic), "%s/ack", a->p.mqtt_topic);
    mosquitto_subscribe(mosq, NULL, topic, a->p.mqtt_qos);
}

static void on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
    (void)mosq;
    st_alert *a = ud;
    a->mq_connected = 0;
    if (rc) st_warn(a->log, "alert", "mqtt connection lost (%s)", mosquitto_strerror(rc));
}

/* {"id": N, "by": "steward-3"} on TOPIC/ack. */
static void on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *m)
{
    (void)mosq;
    st_alert *a = ud;
    json_error_t jerr;
    json_t *j = json_loadb(m->payload, (size_t)m->payloadlen, 0, &jerr);
    if (!j) return;
    json_t *id = json_object_get(j, "id"), *by = json_object_get(j, "by");
    if (json_is_integer(id) && a->ninbox < INBOX_MAX) {
        ack_msg *k = &a->inbox[a->ninbox++];
        k->id = json_integer_value(id);
        snprintf(k->by, sizeof(k->by), "%s", json_is_string(by) ? json_string_value(by) : "mqtt");
    }
    json_decref(j);
}

/* Connect or reconnect when due (non-blocking, back-off 1 s doubling to 30 s),
 * then run one non-blocking round of network I/O and callbacks. */
static void mq_service(st_alert *a, double now)
{
    if (!a->mq_connected && now >= a->mq_next) {
        int rc = a->mq_started
                     ? mosquitto_reconnect_async(a->mosq)
                     : mosquitto_connect_async(a->mosq, a->p.mqtt_host, a->p.mqtt_port, 30);
        a->mq_started = 1;
        if (rc != MOSQ_ERR_SUCCESS) {
            a->mq_failures++;
            if (a->mq_failures == 1 || a->mq_failures % 10 == 0)
                st_error(a->log, "alert", "mqtt %s:%d: %s; retrying in %.0f s (attempt %u)",
                         a->p.mqtt_host, a->p.mqtt_port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
                         a->mq_backoff, a->mq_failures);
            a->mq_next = now + a->mq_backoff;
            a->mq_backoff = a->mq_backoff * 2 > 30 ? 30 : a->mq_backoff * 2;
            return;
        }
        a->mq_next = now + 5; /* CONNACK should follow; else try again */
    }
    int rc = mosquitto_loop(a->mosq, 0, 1);
    if (rc != MOSQ_ERR_SUCCESS && a->mq_connected) {
        a->mq_connected = 0;
        a->mq_next = now + a->mq_backoff;
    }
}

st_alert *st_alert_new(const st_alert_params *p, st_log *log)
{
    int err = EINVAL;
    st_alert *a = NULL;
    if (!p || p->rate_max < 1 || p->rate_max > 10000 || !(p->rate_window_s > 0) ||
        !(p->dedup_s >= 0) || p->max_attempts < 1 || p->mqtt_qos < 0 || p->mqtt_qos > 2 ||
        p->mqtt_port < 1 || p->mqtt_port > 65535 || !(p->webhook_timeout_s > 0) ||
        !(p->retry_min_s > 0)) {
        st_error(log, "alert", "bad alert parameters (rate_max 1..10000, windows > 0, qos 0..2)");
        goto fail;
    }
    err = ENOMEM;
    a = calloc(1, sizeof(*a));
    if (!a) goto fail;
    a->p = *p;
    a->log = log;
    a->sent = calloc((size_t)p->rate_max, sizeof(double));
    if (!a->sent) goto fail;
    if (p->webhook_url[0]) {
        err = EIO;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) goto fail;
        a->curl_init = 1;
        if (!(a->multi = curl_multi_init())) goto fail;
        if (!(a->hdrs = curl_slist_append(NULL, "Content-Type: application/json"))) goto fail;
        for (int i = 0; i < ST_ALERT_QUEUE; i++)
            if (!(a->q[i].easy = curl_easy_init())) goto fail;
    }
    if (p->mqtt_host[0]) {
        err = EIO;
        mosquitto_lib_init(); /* idempotent; cleanup is left to process exit (shared) */
        char cid[64];
        snprintf(cid, sizeof(cid), "stratum-alert-%ld", (long)getpid());
        if (!(a->mosq = mosquitto_new(cid, true, a))) goto fail;
        mosquitto_connect_callback_set(a->mosq, on_connect);
        mosquitto_disconnect_callback_set(a->mosq, on_disconnect);
        mosquitto_message_callback_set(a->mosq, on_message);
        a->mq_backoff = 1;
        mq_service(a, mono()); /* first connection attempt now */
    }
    st_info(log, "alert", "alerts: webhook %s, mqtt %s%s%s",
            p->webhook_url[0] ? p->webhook_url : "-", p->mqtt_host[0] ? p->mqtt_host : "-",
            p->mqtt_host[0] ? " topic " : "", p->mqtt_host[0] ? p->mqtt_topic : "");
    return a;
fail:
    st_alert_free(a);
    errno = err;
    return NULL;
}

void st_alert_free(st_alert *a)
{
    if (!a) return;
    if (a->mosq) {
        if (a->mq_connected) mosquitto_disconnect(a->mosq);
        mosquitto_destroy(a->mosq);
    }
    for (int i = 0; i < ST_ALERT_QUEUE; i++) {
        if (!a->q[i].easy) continue;
        if (a->q[i].in_flight) curl_multi_remove_handle(a->multi, a->q[i].easy);
        curl_easy_cleanup(a->q[i].easy);
    }
    if (a->multi) curl_multi_cleanup(a->multi);
    curl_slist_free_all(a->hdrs);
    if (a->curl_init) curl_global_cleanup();
    free(a->sent);
    free(a);
}

static st_alert_rec *find_rec(st_alert *a, int64_t id)
{
    for (size_t i = 0; i < a->nrecs; i++)
        if (a->recs[i].id == id) return &a->recs[i];
    return NULL;
}

const st_alert_rec *st_alert_get(const st_alert *a, int64_t id)
{
    return a ? find_rec((st_alert *)a, id) : NULL;
}

int st_alert_json(const st_alert *a, const st_alert_rec *r, char *buf, size_t cap)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:f}", "id", (json_int_t)r->id, "street",
                          a->p.street, "zone", r->zone, "severity", st_alert_sev_name(r->sev),
                          "rule", r->rule, "reason", r->reason, "t", r->t);
    if (!j) return -ENOMEM;
    size_t n = json_dumpb(j, buf, cap, JSON_COMPACT);
    json_decref(j);
    if (n == 0 || n >= cap) return -ENOSPC;
    buf[n] = '\0';
    return (int)n;
}

int64_t st_alert_submit(st_alert *a, const st_intervention *iv)
{
    if (!a || !iv) return -EINVAL;
    int sev = st_alert_sev_parse(iv->name);
    if (sev < 0) {
        st_error(a->log, "alert", "'%s' is not a severity (info, warning, critical)", iv->name);
        return -EINVAL;
    }
    a->st.submitted++;
    /* Dedup: the same zone, severity and rule inside the window is one alert. */
    for (size_t i = 0; i < a->nrecs; i++) {
        const st_alert_rec *r = &a->recs[i];
        if ((int)r->sev == sev && !strcmp(r->zone, iv->zone) && !strcmp(r->rule, iv->rule) &&
            iv->t - r->t < a->p.dedup_s && iv->t >= r->t) {
            a->st.deduplicated++;
            st_info(a->log, "alert", "%s alert for %s suppressed: duplicate of #%lld (%.0f s ago)",
                    sev_names[sev], iv->zone, (long long)r->id, iv->t - r->t);
            return 0;
        }
    }
    /* Rate limit (sliding window) for info and warning; critical always goes out. */
    if (sev != ST_ALERT_CRITICAL) {
        size_t inwin = 0;
        for (size_t i = 0; i < a->nsent; i++)
            if (iv->t - a->sent[i] < a->p.rate_window_s && iv->t >= a->sent[i]) inwin++;
        if (inwin >= (size_t)a->p.rate_max) {
            a->st.rate_limited++;
            st_warn(a->log, "alert", "%s alert for %s suppressed: rate limit %d per %.0f s",
                    sev_names[sev], iv->zone, a->p.rate_max, a->p.rate_window_s);
            return 0;
        }
    }
    slot *s = NULL;
    int need = a->p.webhook_url[0] || a->p.mqtt_host[0];
    for (int i = 0; need && i < ST_ALERT_QUEUE && !s; i++)
        if (!a->q[i].used) s = &a->q[i];
    if (need && !s) {
        st_error(a->log, "alert", "%s alert for %s dropped: delivery queue full", sev_names[sev],
                 iv->zone);
        return -ENOSPC;
    }
    if (sev != ST_ALERT_CRITICAL) {
        a->sent[a->sent_head] = iv->t;
        a->sent_head = (a->sent_head + 1) % (size_t)a->p.rate_max;
        if (a->nsent < (size_t)a->p.rate_max) a->nsent++;
    }
    st_alert_rec *r = &a->recs[a->head];
    a->head = (a->head + 1) % ST_ALERT_KEEP;
    if (a->nrecs < ST_ALERT_KEEP) a->nrecs++;
    memset(r, 0, sizeof(*r));
    r->id = ++a->next_id;
    r->t = iv->t;
    r->sev = (st_alert_sev)sev;
    snprintf(r->zone, sizeof(r->zone), "%s", iv->zone);
    snprintf(r->rule, sizeof(r->rule), "%s", iv->rule);
    snprintf(r->reason, sizeof(r->reason), "%s", iv->reason);
    a->st.queued++;
    st_warn(a->log, "alert", "#%lld %s in %s: %s", (long long)r->id, sev_names[sev], r->zone,
            r->reason);
    if (s) {
        int n = st_alert_json(a, r, s->body, sizeof(s->body));
        if (n < 0) return n;
        s->used = 1;
        s->id = r->id;
        s->len = (size_t)n;
        s->need_web = a->p.webhook_url[0] != 0;
        s->need_mqtt = a->p.mqtt_host[0] != 0;
        s->in_flight = s->web_attempts = s->mqtt_attempts = 0;
        s->next_web = s->next_mqtt = 0;
        st_alert_tick(a); /* first attempt now, without waiting */
    }
    return r->id;
}

static double backoff(const st_alert *a, int attempts)
{
    double d = a->p.retry_min_s * pow(2, attempts - 1);
    return d > 60 ? 60 : d;
}

static void web_start(st_alert *a, slot *s)
{
    CURL *e = s->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, a->p.webhook_url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->hdrs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)s->len);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(a->p.webhook_timeout_s * 1000));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    s->errbuf[0] = '\0';
    s->web_attempts++;
    if (curl_multi_add_handle(a->multi, e) == CURLM_OK) s->in_flight = 1;
}

static void web_done(st_alert *a, slot *s, CURLcode res, double now)
{
    long code = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(a->multi, s->easy);
    s->in_flight = 0;
    st_alert_rec *r = find_rec(a, s->id);
    if (r) r->webhook_status = (int)code;
    if (res == CURLE_OK && code >= 200 && code < 300) {
        a->st.webhook_ok++;
        s->need_web = 0;
        st_info(a->log, "alert", "#%lld delivered to webhook (HTTP %ld)", (long long)s->id, code);
        return;
    }
    a->st.webhook_failed++;
    if (s->web_attempts >= a->p.max_attempts) {
        a->st.given_up++;
        s->need_web = 0;
        st_error(a->log, "alert", "#%lld webhook %s: %s; gave up after %d attempts",
                 (long long)s->id, a->p.webhook_url,
                 res != CURLE_OK ? (s->errbuf[0] ? s->errbuf : curl_easy_strerror(res))
                                 : "HTTP error",
                 s->web_attempts);
        return;
    }
    s->next_web = now + backoff(a, s->web_attempts);
    st_error(a->log, "alert", "#%lld webhook %s: %s (HTTP %ld); retry %d/%d in %.1f s",
             (long long)s->id, a->p.webhook_url,
             res != CURLE_OK ? (s->errbuf[0] ? s->errbuf : curl_easy_strerror(res)) : "refused",
             code, s->web_attempts + 1, a->p.max_attempts, s->next_web - now);
}

int st_alert_ack(st_alert *a, int64_t id, const char *by, double t)
{
    if (!a) return -EINVAL;
    st_alert_rec *r = find_rec(a, id);
    if (!r) {
        st_warn(a->log, "alert", "acknowledgement for unknown alert #%lld", (long long)id);
        return -ENOENT;
    }
    r->acked_t = t;
    snprintf(r->acked_by, sizeof(r->acked_by), "%s", by && by[0] ? by : "unknown");
    a->st.acked++;
    st_info(a->log, "alert", "#%lld acknowledged by %s", (long long)id, r->acked_by);
    if (!a->p.ack_path[0]) return 0;
    json_t *j =
        json_pack("{s:I, s:s, s:f, s:s, s:s, s:f}", "id", (json_int_t)id, "by", r->acked_by, "t", t,
                  "zone", r->zone, "severity", st_alert_sev_name(r->sev), "alert_t", r->t);
    char line[600];
    size_t n = j ? json_dumpb(j, line, sizeof(line) - 1, JSON_COMPACT) : 0;
    json_decref(j);
    if (n == 0 || n >= sizeof(line) - 1) return -ENOSPC;
    line[n++] = '\n';
    int fd = open(a->p.ack_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, line, n) != (ssize_t)n) {
        int e = errno;
        st_error(a->log, "alert", "ack record %s: %s", a->p.ack_path, strerror(e));
        if (fd >= 0) close(fd);
        return -e;
    }
    close(fd);
    return 0;
}

int st_alert_tick(st_alert *a)
{
    if (!a) return -EINVAL;
    double now = mono();
    if (a->mosq) mq_service(a, now);
    for (int i = 0; i < ST_ALERT_QUEUE; i++) {
        slot *s = &a->q[i];
        if (!s->used) continue;
        if (s->need_web && !s->in_flight && now >= s->next_web) web_start(a, s);
        if (s->need_mqtt && now >= s->next_mqtt) {
            char topic[160];
            snprintf(topic, sizeof(topic), "%s", a->p.mqtt_topic);
            int rc = a->mq_connected ? mosquitto_publish(a->mosq, NULL, topic, (int)s->len, s->body,
                                                         a->p.mqtt_qos, false)
                                     : MOSQ_ERR_NO_CONN;
            s->mqtt_attempts++;
            if (rc == MOSQ_ERR_SUCCESS) {
                a->st.mqtt_ok++;
                s->need_mqtt = 0;
                st_alert_rec *r = find_rec(a, s->id);
                if (r) r->mqtt_sent = 1;
                st_info(a->log, "alert", "#%lld published to %s", (long long)s->id, topic);
            } else {
                a->st.mqtt_failed++;
                /* The client reconnects by itself; keep the alert until it is back. */
                s->next_mqtt = now + backoff(a, s->mqtt_attempts < 6 ? s->mqtt_attempts : 6);
                if (s->mqtt_attempts == 1 || s->mqtt_attempts % 10 == 0)
                    st_error(a->log, "alert", "#%lld mqtt %s:%d: %s; retrying", (long long)s->id,
                             a->p.mqtt_host, a->p.mqtt_port, mosquitto_strerror(rc));
            }
        }
    }
    if (a->multi) {
        int running;
        curl_multi_perform(a->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(a->multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            slot *s = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            if (s) web_done(a, s, msg->data.result, now);
        }
    }
    for (int i = 0; i < ST_ALERT_QUEUE; i++) {
        slot *s = &a->q[i];
        if (s->used && !s->need_web && !s->need_mqtt && !s->in_flight) s->used = 0;
    }
    for (size_t i = 0; i < a->ninbox; i++)
        st_alert_ack(a, a->inbox[i].id, a->inbox[i].by, (double)time(NULL));
    a->ninbox = 0;
    return 0;
}

void st_alert_stats_get(const st_alert *a, st_alert_stats *out)
{
    if (a)
        *out = a->st;
    else
        memset(out, 0, sizeof(*out));
}

static int act_apply(void *self, const st_intervention *iv)
{
    if (iv->kind != ST_ACT_ALERT || !strcmp(iv->name, "none")) return 0;
    int64_t id = st_alert_submit(self, iv);
    return id < 0 ? (int)id : 0;
}

static int act_tick(void *self, double now)
{
    (void)now;
    return st_alert_tick(self);
}

static void act_free(void *self)
{
    st_alert_free(self);
}

static const st_actuator_ops alert_ops = {
    .name = "alert", .apply = act_apply, .tick = act_tick, .free = act_free};

st_actuator st_alert_actuator(st_alert *a)
{
    st_actuator x = {.ops = &alert_ops, .self = a};
    return x;
}
