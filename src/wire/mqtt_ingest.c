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
#include <unistd.h>

#include "stratum/sigenv.h"

#define MOD "mqtt"
/* MQTT 5 session expiry (MQTT 5.0 section 3.1.2.11.2): queued QoS 1 messages
 * outlive an engine restart of up to a day. */
#define SESSION_EXPIRY_S 86400

/* Largest batch poll hands to the signature checkers at once. */
#define BATCH_MAX 1024

typedef struct qslot {
    char device[ST_ID_MAX];
    size_t len;
    uint8_t *data; /* max_message bytes, in the queue's one block */
} qslot;

/* One batch of queued slots whose signatures the poller and the helpers check
 * together: each claims the next unchecked slot, so a helper that is not
 * scheduled only means the poller checks more itself. claim holds the batch
 * number (high 32 bits) and the next index, so a helper still finishing an
 * old batch can never claim a slot of a newer one by mistake. */
typedef struct batch {
    pthread_mutex_t mu;
    pthread_cond_t go;         /* a new batch, or quit */
    pthread_cond_t checked_cv; /* a slot was checked while the poller waited */
    uint32_t gen;              /* batch number, bumped for every batch (under mu) */
    int quit;
    size_t first, size;     /* ring positions first .. first + size (under mu) */
    _Atomic uint64_t claim; /* gen << 32 | next index */
    _Atomic int waiting;    /* the poller sleeps on checked_cv */
    /* Per position in the batch (BATCH_MAX each): the stateless checks'
     * result, and whether it is complete (set by the checker that claimed it). */
    st_verify_pre *pre;
    _Atomic int *checked;
} batch;

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
    /* Signature helpers (verify_threads of them) and the batch they share. */
    batch b;
    int b_init;
    pthread_t *helper;
    size_t nhelper;
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
    /* One signature helper per further processor, up to 3: verification is
     * most of the ingest's work (docs/wire.md, "Measured"). */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    p->verify_threads = cpus <= 1 ? 0 : cpus > 4 ? 3 : (size_t)(cpus - 1);
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

/* Claim and check one unclaimed slot of batch gen (ring positions first ..
 * first + size). 0 if none is left or a newer batch started. */
static int check_one(st_mqtt_ingest *m, uint32_t gen, size_t first, size_t size)
{
    batch *b = &m->b;
    uint64_t c = atomic_load_explicit(&b->claim, memory_order_acquire);
    do {
        if ((uint32_t)(c >> 32) != gen || (c & 0xffffffffu) >= size) return 0;
    } while (!atomic_compare_exchange_weak_explicit(&b->claim, &c, c + 1, memory_order_acq_rel,
                                                    memory_order_acquire));
    size_t k = (size_t)(c & 0xffffffffu);
    const qslot *q = &m->slot[(first + k) % m->p.queue_len];
    st_verify_precheck(m->verify, q->device, q->data, q->len, &b->pre[k]);
    atomic_store(&b->checked[k], 1);
    if (atomic_load(&b->waiting)) {
        pthread_mutex_lock(&b->mu);
        pthread_cond_signal(&b->checked_cv);
        pthread_mutex_unlock(&b->mu);
    }
    return 1;
}

static void *helper_main(void *arg)
{
    st_mqtt_ingest *m = arg;
    batch *b = &m->b;
    uint32_t seen = 0;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->quit && b->gen == seen) pthread_cond_wait(&b->go, &b->mu);
        if (b->quit) break;
        seen = b->gen;
        size_t first = b->first, size = b->size;
        pthread_mutex_unlock(&b->mu);
        while (check_one(m, seen, first, size)) continue;
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* Offer n slots from the head to the helpers; the poller then takes them in
 * order with wait_checked. */
static uint32_t batch_start(st_mqtt_ingest *m, size_t n)
{
    batch *b = &m->b;
    for (size_t k = 0; k < n; k++) atomic_store_explicit(&b->checked[k], 0, memory_order_relaxed);
    pthread_mutex_lock(&b->mu);
    uint32_t gen = ++b->gen;
    b->first = m->head;
    b->size = n;
    atomic_store_explicit(&b->claim, (uint64_t)gen << 32, memory_order_release);
    if (m->nhelper && n > 1) pthread_cond_broadcast(&b->go);
    pthread_mutex_unlock(&b->mu);
    return gen;
}

/* Position k of the batch, checked: while it is not, the poller checks other
 * slots of the batch itself, and sleeps only when every slot left is in a
 * helper's hands (one signature at most per helper). */
static const st_verify_pre *wait_checked(st_mqtt_ingest *m, uint32_t gen, size_t first, size_t size,
                                         size_t k)
{
    batch *b = &m->b;
    while (!atomic_load(&b->checked[k]))
        if (!check_one(m, gen, first, size)) {
            pthread_mutex_lock(&b->mu);
            atomic_store(&b->waiting, 1);
            while (!atomic_load(&b->checked[k])) pthread_cond_wait(&b->checked_cv, &b->mu);
            atomic_store(&b->waiting, 0);
            pthread_mutex_unlock(&b->mu);
        }
    return &b->pre[k];
}

st_mqtt_ingest *st_mqtt_ingest_new(const st_mqtt_ingest_params *p, st_registry *reg, st_log *log)
{
    st_mqtt_ingest *m = NULL;
    char err[300];
    int e = EINVAL, rc;
    if (!p || !reg || p->queue_len == 0 || p->queue_len > (1u << 22) || p->max_message < 128 ||
        p->verify_threads > ST_MQTT_VERIFY_THREADS_MAX || p->max_message > ST_SIGENV_MAX_BYTES ||
        !st_sigenv_id_ok(p->street, strlen(p->street))) {
        st_error(log, MOD, "bad ingest parameters (queue, message size, threads or street)");
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
    if (pthread_mutex_init(&m->b.mu, NULL) != 0) goto fail;
    if (pthread_cond_init(&m->b.go, NULL) != 0) {
        pthread_mutex_destroy(&m->b.mu);
        goto fail;
    }
    if (pthread_cond_init(&m->b.checked_cv, NULL) != 0) {
        pthread_cond_destroy(&m->b.go);
        pthread_mutex_destroy(&m->b.mu);
        goto fail;
    }
    m->b_init = 1;
    m->b.pre = calloc(BATCH_MAX, sizeof(*m->b.pre));
    m->b.checked = calloc(BATCH_MAX, sizeof(*m->b.checked));
    if (!m->b.pre || !m->b.checked) goto fail;
    if (p->verify_threads > 0) {
        m->helper = calloc(p->verify_threads, sizeof(*m->helper));
        if (!m->helper) goto fail;
        for (; m->nhelper < p->verify_threads; m->nhelper++)
            if (pthread_create(&m->helper[m->nhelper], NULL, helper_main, m) != 0) {
                st_warn(log, MOD, "signature helper thread: %s; checking on %zu", strerror(errno),
                        m->nhelper + 1);
                break;
            }
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
    if (m->b_init) {
        pthread_mutex_lock(&m->b.mu);
        m->b.quit = 1;
        pthread_cond_broadcast(&m->b.go);
        pthread_mutex_unlock(&m->b.mu);
        for (size_t i = 0; i < m->nhelper; i++) pthread_join(m->helper[i], NULL);
        pthread_cond_destroy(&m->b.go);
        pthread_cond_destroy(&m->b.checked_cv);
        pthread_mutex_destroy(&m->b.mu);
    }
    free(m->helper);
    free(m->b.pre);
    free((void *)m->b.checked);
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
    while (avail > 0) {
        size_t n = avail < BATCH_MAX ? avail : BATCH_MAX, first = m->head;
        uint32_t gen = batch_start(m, n);
        /* Stateful checks and hand-over in arrival order, on this thread, as
         * soon as each message's stateless checks are done. */
        for (size_t k = 0; k < n; k++) {
            const st_verify_pre *pre = wait_checked(m, gen, first, n, k);
            const qslot *q = &m->slot[m->head];
            const st_obs *obs;
            size_t nobs;
            st_verify_info info;
            st_verdict v = st_verify_finish(m->verify, pre, wall_now(), &obs, &nobs, &info);
            if (v == ST_V_ACCEPTED) {
                if (fn) fn(ctx, obs, nobs, &info);
            } else if (v != ST_V_RATE_LIMITED) {
                st_debug(m->log, MOD, "%s from %s: %s", st_verdict_name(v), q->device, info.why);
            }
            /* Released only after its own check: a helper may still be
             * reading a later slot, never this one. */
            pthread_mutex_lock(&m->mu);
            m->head = (m->head + 1) % m->p.queue_len;
            m->count--;
            pthread_mutex_unlock(&m->mu);
            taken++;
        }
        avail -= n;
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
