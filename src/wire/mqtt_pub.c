/* Device-side publisher over libmosquitto: counter, timestamp, Ed25519 envelope, QoS 1 publish. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/mqtt_pub.h"

#include <errno.h>
#include <mosquitto.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/broker_conf.h"
#include "stratum/sigenv.h"

#define MOD "publish"

struct st_mqtt_pub {
    st_mqtt_pub_params p;
    st_devkey key;
    st_log *log;
    struct mosquitto *mosq;
    int lib_init, loop_started;
    char topic[160];
    uint64_t counter;
    uint8_t *buf; /* ST_SIGENV_MAX_BYTES, the envelope being sent */
    _Atomic uint64_t sent, acked, refused;
    _Atomic int last_reason, connected;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void st_mqtt_pub_params_default(st_mqtt_pub_params *p, const char *url)
{
    memset(p, 0, sizeof(*p));
    st_mqtt_conn_default(&p->conn, url ? url : "mqtt://127.0.0.1:1883");
    snprintf(p->street, sizeof(p->street), "stratumseind");
    snprintf(p->sw_version, sizeof(p->sw_version), "1.0.0");
    p->network_thread = 1;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    st_mqtt_pub *pub = obj;
    (void)mosq;
    if (rc != 0) {
        st_warn(pub->log, MOD, "%s: broker refused %s: %s", pub->key.id, pub->p.conn.url,
                pub->p.conn.protocol == 5 ? mosquitto_reason_string(rc)
                                          : mosquitto_connack_string(rc));
        return;
    }
    atomic_store(&pub->connected, 1);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    st_mqtt_pub *pub = obj;
    (void)mosq;
    (void)rc;
    atomic_store(&pub->connected, 0);
}

static void on_publish_v5(struct mosquitto *mosq, void *obj, int mid, int reason,
                          const mosquitto_property *props)
{
    st_mqtt_pub *pub = obj;
    (void)mosq;
    (void)mid;
    (void)props;
    atomic_fetch_add(&pub->acked, 1);
    atomic_store(&pub->last_reason, reason);
    /* MQTT 5.0 section 3.4.2.1: codes >= 0x80 are failures (0x87 = not authorized). */
    if (reason >= 0x80) atomic_fetch_add(&pub->refused, 1);
}

st_mqtt_pub *st_mqtt_pub_new(const st_mqtt_pub_params *p, const st_devkey *key, st_log *log)
{
    st_mqtt_pub *pub = NULL;
    char err[300];
    int e = EINVAL, rc;
    if (!p || !key || !st_sigenv_version_ok(p->sw_version, strlen(p->sw_version))) {
        st_error(log, MOD, "bad publisher parameters (software version)");
        goto fail;
    }
    e = ENOMEM;
    pub = calloc(1, sizeof(*pub));
    if (!pub) goto fail;
    pub->p = *p;
    pub->key = *key;
    pub->log = log;
    pub->buf = malloc(ST_SIGENV_MAX_BYTES);
    if (!pub->buf) goto fail;
    e = EINVAL;
    if (st_broker_topic(p->street, key->zone, key->id, pub->topic, sizeof(pub->topic)) < 0) {
        st_error(log, MOD, "bad street, zone or device id for the topic");
        goto fail;
    }
    if (st_mqtt_conn_parse_url(&pub->p.conn, err, sizeof(err)) != 0) {
        st_error(log, MOD, "%s", err);
        goto fail;
    }
    if (!pub->p.conn.client_id[0])
        snprintf(pub->p.conn.client_id, sizeof(pub->p.conn.client_id), "%s", key->id);
    if (!pub->p.conn.username[0]) {
        snprintf(pub->p.conn.username, sizeof(pub->p.conn.username), "%s", key->id);
        snprintf(pub->p.conn.password, sizeof(pub->p.conn.password), "%s", key->mqtt_password);
    }
    pub->counter = p->counter_start ? p->counter_start - 1 : (uint64_t)(wall_now() * 1e6);
    mosquitto_lib_init();
    pub->lib_init = 1;
    /* clean session off: QoS 1 messages in flight survive a broker restart. */
    pub->mosq = mosquitto_new(pub->p.conn.client_id, false, pub);
    if (!pub->mosq) {
        e = errno ? errno : ENOMEM;
        st_error(log, MOD, "mosquitto_new: %s", strerror(e));
        goto fail;
    }
    if (st_mqtt_conn_apply(&pub->p.conn, pub->mosq, err, sizeof(err)) != 0) {
        st_error(log, MOD, "%s", err);
        goto fail;
    }
    /* Unlimited in-flight QoS 1 messages from this side; the broker bounds them. */
    mosquitto_max_inflight_messages_set(pub->mosq, 0);
    mosquitto_connect_callback_set(pub->mosq, on_connect);
    mosquitto_disconnect_callback_set(pub->mosq, on_disconnect);
    mosquitto_publish_v5_callback_set(pub->mosq, on_publish_v5);
    st_mqtt_conn_start(&pub->p.conn, pub->mosq, 86400, log, MOD);
    if (p->network_thread) {
        rc = mosquitto_loop_start(pub->mosq);
        if (rc != MOSQ_ERR_SUCCESS) {
            st_error(log, MOD, "network thread: %s", mosquitto_strerror(rc));
            e = EIO;
            goto fail;
        }
        pub->loop_started = 1;
    }
    return pub;
fail:
    st_mqtt_pub_free(pub);
    errno = e;
    return NULL;
}

void st_mqtt_pub_free(st_mqtt_pub *pub)
{
    if (!pub) return;
    if (pub->mosq) {
        mosquitto_disconnect(pub->mosq);
        if (pub->loop_started) mosquitto_loop_stop(pub->mosq, false);
        mosquitto_destroy(pub->mosq);
    }
    if (pub->lib_init) mosquitto_lib_cleanup();
    st_devkey_wipe(&pub->key);
    free(pub->buf);
    free(pub);
}

int st_mqtt_pub_seal(st_mqtt_pub *pub, const char *pack, size_t len, double t, uint8_t *out,
                     size_t cap)
{
    if (!pack || len == 0) return -EINVAL;
    if (len > ST_SIGENV_MAX_PAYLOAD) return -E2BIG;
    st_sigenv_fields f = {
        .id = pub->key.id,
        .counter = ++pub->counter,
        .t_us = (int64_t)((t < 0 ? wall_now() : t) * 1e6),
        .version = pub->p.sw_version,
        .payload = pack,
        .payload_len = len,
    };
    return st_sigenv_encode(&f, pub->key.sk, out, cap);
}

int st_mqtt_pub_send_raw(st_mqtt_pub *pub, const char *topic, const uint8_t *buf, size_t len)
{
    int rc = mosquitto_publish(pub->mosq, NULL, topic, (int)len, buf, 1, false);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
        st_warn(pub->log, MOD, "%s: publish: %s", pub->key.id, mosquitto_strerror(rc));
        return -EIO;
    }
    /* MOSQ_ERR_NO_CONN: libmosquitto keeps QoS 1 messages and sends them once
     * connected, so the message is not lost. */
    atomic_fetch_add(&pub->sent, 1);
    return 0;
}

int st_mqtt_pub_send(st_mqtt_pub *pub, const char *pack, size_t len, double t)
{
    int n = st_mqtt_pub_seal(pub, pack, len, t, pub->buf, ST_SIGENV_MAX_BYTES);
    if (n < 0) return n;
    return st_mqtt_pub_send_raw(pub, pub->topic, pub->buf, (size_t)n);
}

int st_mqtt_pub_flush(st_mqtt_pub *pub, double timeout_s)
{
    double end = wall_now() + timeout_s;
    while (atomic_load(&pub->acked) < atomic_load(&pub->sent)) {
        if (wall_now() > end) return -ETIMEDOUT;
        if (pub->loop_started) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        } else {
            (void)st_mqtt_pub_loop(pub, 5);
        }
    }
    return 0;
}

int st_mqtt_pub_loop(st_mqtt_pub *pub, int timeout_ms)
{
    int rc = mosquitto_loop(pub->mosq, timeout_ms, 1);
    if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) rc = mosquitto_reconnect(pub->mosq);
    return rc == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

int st_mqtt_pub_socket(st_mqtt_pub *pub)
{
    return mosquitto_socket(pub->mosq);
}

int st_mqtt_pub_want_write(st_mqtt_pub *pub)
{
    return mosquitto_want_write(pub->mosq);
}

void st_mqtt_pub_io(st_mqtt_pub *pub, int readable, int writable)
{
    if (readable) (void)mosquitto_loop_read(pub->mosq, 1);
    if (writable) (void)mosquitto_loop_write(pub->mosq, 1);
    (void)mosquitto_loop_misc(pub->mosq);
}

void st_mqtt_pub_stats_get(st_mqtt_pub *pub, st_mqtt_pub_stats *out)
{
    out->sent = atomic_load(&pub->sent);
    out->acked = atomic_load(&pub->acked);
    out->refused = atomic_load(&pub->refused);
    out->last_reason = atomic_load(&pub->last_reason);
    out->connected = atomic_load(&pub->connected);
    out->counter = pub->counter;
}

const char *st_mqtt_pub_topic(const st_mqtt_pub *pub)
{
    return pub->topic;
}
