/* MQTT ingest: network thread, bounded drop-newest queue, verification in the caller. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/mqtt_ingest.h"

#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/sigenv.h"

#define MOD "mqtt"
/* MQTT 5 session expiry (MQTT 5.0 section 3.1.2.11.2): queued QoS 1 messages
 * outlive an engine restart of up to a day. */
#define SESSION_EXPIRY_S 86400

typedef struct qslot {
    char device[ST_ID_MAX];
    size_t len;
    uint8_t *data; /* max_message bytes, in the queue's one block */
} qslot;

struct st_mqtt_ingest {
    st_mqtt_ingest_params p;
    st_log *log;
    st_verify *verify;
    struct mosquitto *mosq;
    int lib_init, loop_started, stopped;
    char topic[96];
    /* Queue: ring of fixed slots, guarded by mu; nonempty signals the poller. */
    pthread_mutex_t mu;
    pthread_cond_t nonempty;
    int mu_init, cond_init;
    qslot *slot;
    uint8_t *block;
    size_t head, count, high;
    /* Network-thread counters. */
    _Atomic uint64_t received, connects, disconnects;
    _Atomic int connected;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void st_mqtt_ingest_params_default(st_mqtt_ingest_params *p, const char *url)
{
    memset(p, 0, sizeof(*p));
    st_mqtt_conn_default(&p->conn, url ? url : "mqtt://127.0.0.1:1883");
    snprintf(p->conn.client_id, sizeof(p->conn.client_id), "stratum-engine");
    snprintf(p->street, sizeof(p->street), "stratumseind");
    p->queue_len = 8192;
    p->max_message = 16384;
    st_verify_params_default(&p->verify);
}

/* "stratum/<street>/<zone>/<device>/obs" -> device; 0 or -1. */
static int topic_device(const char *topic, char *dev)
{
    const char *s = topic;
    for (int level = 0; level < 3; level++) {
        s = strchr(s, '/');
        if (!s) return -1;
        s++;
    }
    const char *e = strchr(s, '/');
    if (!e || strcmp(e, "/obs") != 0) return -1;
    size_t n = (size_t)(e - s);
    if (!st_sigenv_id_ok(s, n)) return -1;
    memcpy(dev, s, n);
    dev[n] = 0;
    return 0;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    st_mqtt_ingest *m = obj;
    char dev[ST_ID_MAX];
    (void)mosq;
    atomic_fetch_add_explicit(&m->received, 1, memory_order_relaxed);
    if (topic_device(msg->topic, dev) != 0) {
        st_verify_count(m->verify, ST_V_MALFORMED);
        return;
    }
    /* Cheapest check first, before the queue: a flooding device spends its own
     * tokens here and never takes queue slots from the others. */
    if (st_verify_admit(m->verify, dev, strlen(dev), mono_now()) != ST_V_ACCEPTED) return;
    if (msg->payloadlen <= 0 || (size_t)msg->payloadlen > m->p.max_message) {
        st_verify_count(m->verify, ST_V_DROPPED);
        return;
    }
    pthread_mutex_lock(&m->mu);
    if (m->count == m->p.queue_len) {
        pthread_mutex_unlock(&m->mu);
        st_verify_count(m->verify, ST_V_DROPPED);
        return;
    }
    qslot *q = &m->slot[(m->head + m->count) % m->p.queue_len];
    memcpy(q->device, dev, sizeof(dev));
    q->len = (size_t)msg->payloadlen;
    memcpy(q->data, msg->payload, q->len);
    m->count++;
    if (m->count > m->high) m->high = m->count;
    pthread_cond_signal(&m->nonempty);
    pthread_mutex_unlock(&m->mu);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    st_mqtt_ingest *m = obj;
    if (rc != 0) {
        st_warn(m->log, MOD, "%s refused the connection: %s", m->p.conn.url,
                m->p.conn.protocol == 5 ? mosquitto_reason_string(rc)
                                        : mosquitto_connack_string(rc));
        return;
    }
    atomic_fetch_add_explicit(&m->connects, 1, memory_order_relaxed);
    atomic_store(&m->connected, 1);
    int s = mosquitto_subscribe(mosq, NULL, m->topic, 1);
    if (s != MOSQ_ERR_SUCCESS)
        st_error(m->log, MOD, "subscribe %s: %s", m->topic, mosquitto_strerror(s));
    else
        st_info(m->log, MOD, "connected to %s, subscribed to %s (QoS 1)", m->p.conn.url, m->topic);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    st_mqtt_ingest *m = obj;
    (void)mosq;
    atomic_store(&m->connected, 0);
    atomic_fetch_add_explicit(&m->disconnects, 1, memory_order_relaxed);
    if (rc != 0 && !m->stopped)
        st_warn(m->log, MOD, "lost %s (%s); reconnecting with backoff", m->p.conn.url,
                mosquitto_strerror(rc));
}

st_mqtt_ingest *st_mqtt_ingest_new(const st_mqtt_ingest_params *p, st_registry *reg, st_log *log)
{
    st_mqtt_ingest *m = NULL;
    char err[300];
    int e = EINVAL, rc;
    if (!p || !reg || p->queue_len == 0 || p->queue_len > (1u << 22) || p->max_message < 128 ||
        p->max_message > ST_SIGENV_MAX_BYTES || !st_sigenv_id_ok(p->street, strlen(p->street))) {
        st_error(log, MOD, "bad ingest parameters (queue, message size or street)");
        goto fail;
    }
    e = ENOMEM;
    m = calloc(1, sizeof(*m));
    if (!m) goto fail;
    m->p = *p;
    m->log = log;
    if (st_mqtt_conn_parse_url(&m->p.conn, err, sizeof(err)) != 0) {
        st_error(log, MOD, "%s", err);
        e = EINVAL;
        goto fail;
    }
    snprintf(m->topic, sizeof(m->topic), "stratum/%s/+/+/obs", p->street);
    if (pthread_mutex_init(&m->mu, NULL) != 0) goto fail;
    m->mu_init = 1;
    if (pthread_cond_init(&m->nonempty, NULL) != 0) goto fail;
    m->cond_init = 1;
    m->slot = calloc(p->queue_len, sizeof(*m->slot));
    m->block = malloc(p->queue_len * p->max_message);
    if (!m->slot || !m->block) goto fail;
    for (size_t i = 0; i < p->queue_len; i++) m->slot[i].data = m->block + i * p->max_message;
    m->verify = st_verify_new(&p->verify, reg, log);
    if (!m->verify) {
        e = errno;
        st_error(log, MOD, "verifier: %s", strerror(e));
        goto fail;
    }
    mosquitto_lib_init();
    m->lib_init = 1;
    int persistent = m->p.conn.client_id[0] != 0;
    m->mosq = mosquitto_new(persistent ? m->p.conn.client_id : NULL, !persistent, m);
    if (!m->mosq) {
        e = errno ? errno : ENOMEM;
        st_error(log, MOD, "mosquitto_new: %s", strerror(e));
        goto fail;
    }
    if (st_mqtt_conn_apply(&m->p.conn, m->mosq, err, sizeof(err)) != 0) {
        st_error(log, MOD, "%s", err);
        e = EINVAL;
        goto fail;
    }
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_message_callback_set(m->mosq, on_message);
    st_mqtt_conn_start(&m->p.conn, m->mosq, persistent ? SESSION_EXPIRY_S : 0, log, MOD);
    rc = mosquitto_loop_start(m->mosq);
    if (rc != MOSQ_ERR_SUCCESS) {
        st_error(log, MOD, "network thread: %s", mosquitto_strerror(rc));
        e = EIO;
        goto fail;
    }
    m->loop_started = 1;
    return m;
fail:
    st_mqtt_ingest_free(m);
    errno = e;
    return NULL;
}

void st_mqtt_ingest_stop(st_mqtt_ingest *m)
{
    if (!m || m->stopped) return;
    m->stopped = 1;
    if (m->mosq) mosquitto_disconnect(m->mosq);
    if (m->loop_started) mosquitto_loop_stop(m->mosq, false);
    m->loop_started = 0;
}

void st_mqtt_ingest_free(st_mqtt_ingest *m)
{
    if (!m) return;
    st_mqtt_ingest_stop(m);
    if (m->mosq) mosquitto_destroy(m->mosq);
    if (m->lib_init) mosquitto_lib_cleanup();
    st_verify_free(m->verify);
    if (m->cond_init) pthread_cond_destroy(&m->nonempty);
    if (m->mu_init) pthread_mutex_destroy(&m->mu);
    free(m->slot);
    free(m->block);
    free(m);
}

int st_mqtt_ingest_poll(st_mqtt_ingest *m, int timeout_ms, st_mqtt_obs_fn fn, void *ctx)
{
    int taken = 0;
    pthread_mutex_lock(&m->mu);
    if (m->count == 0 && timeout_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (m->count == 0)
            if (pthread_cond_timedwait(&m->nonempty, &m->mu, &ts) != 0) break;
    }
    /* Take what is queued now; the slot is read outside the lock (the network
     * thread only writes slots beyond head + count), then released. */
    size_t avail = m->count;
    pthread_mutex_unlock(&m->mu);
    for (size_t k = 0; k < avail; k++) {
        qslot *q = &m->slot[m->head];
        const st_obs *obs;
        size_t n;
        st_verify_info info;
        double now = wall_now();
        st_verdict v =
            st_verify_message(m->verify, q->device, q->data, q->len, now, &obs, &n, &info);
        if (v == ST_V_ACCEPTED) {
            if (fn) fn(ctx, obs, n, &info);
        } else if (v != ST_V_RATE_LIMITED) {
            st_debug(m->log, MOD, "%s from %s: %s", st_verdict_name(v), q->device, info.why);
        }
        pthread_mutex_lock(&m->mu);
        m->head = (m->head + 1) % m->p.queue_len;
        m->count--;
        pthread_mutex_unlock(&m->mu);
        taken++;
    }
    (void)st_verify_tick(m->verify, wall_now());
    return taken;
}

void st_mqtt_ingest_stats_get(st_mqtt_ingest *m, st_mqtt_ingest_stats *out)
{
    memset(out, 0, sizeof(*out));
    st_verify_stats_get(m->verify, &out->verify);
    out->received = atomic_load(&m->received);
    out->connects = atomic_load(&m->connects);
    out->disconnects = atomic_load(&m->disconnects);
    out->connected = atomic_load(&m->connected);
    pthread_mutex_lock(&m->mu);
    out->queue_depth = m->count;
    out->queue_high = m->high;
    pthread_mutex_unlock(&m->mu);
}

st_verify *st_mqtt_ingest_verifier(st_mqtt_ingest *m)
{
    return m->verify;
}
