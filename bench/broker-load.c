/* bench/broker-load: signed SenML through a local mosquitto (QoS 1) into the engine. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 *   build/bench/broker-load [--seconds S] [--rate MSGS] [--devices N] [--flood MSGS]
 *                           [--protocol 4|5] [--save-every S] [--live-sign]
 * Defaults (issue 4 acceptance): 60 s, 10,000 msgs/s from 1,000 devices, each
 * message a SenML pack of 10 records (sealed before the run and stamped with
 * its planned send time; see presign below), plus one compromised
 * device flooding 20,000 msgs/s (validly signed, pre-signed pool) on its own
 * topic. A mosquitto configured by st_broker_conf_write (ACL, passwords,
 * persistence) runs on a free loopback port; every device has its own
 * connection and login. The engine side is st_mqtt_ingest (rate limit, queue,
 * verification) feeding st_engine_ingest of the default street.
 * Latency: device timestamp (the planned send time; with --live-sign the time
 * just before signing) to the moment the engine has ingested the observations
 * ("sensor-to-decision").
 * Prints msgs/s and records/s processed, median and p99 latency, the share of
 * the normal devices' messages processed, and what happened to the flood.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stratum/broker_conf.h"
#include "stratum/config.h"
#include "stratum/devkey.h"
#include "stratum/engine.h"
#include "stratum/mqtt_ingest.h"
#include "stratum/mqtt_pub.h"
#include "stratum/senml_writer.h"
#include "stratum/sigenv.h"

#define FLOOD_POOL     2000
#define FLOOD_INFLIGHT 1000

typedef struct opts {
    double seconds, rate, flood, save_every;
    int devices, protocol, live_sign, verify_threads; /* -1: the ingest's default */
} opts;

typedef struct ctx {
    opts o;
    char dir[64], url[64];
    int port;
    pid_t broker;
    st_devkey *keys; /* devices + 1 (the flooder, last) */
    st_registry *reg;
    sqlite3 *db;
    st_engine *engine;
    st_settings *set;
    st_mqtt_ingest *ing;
    _Atomic int stop_pub, stop_ing, go, flood_ready;
    /* Results. */
    double *lat; /* latency per accepted normal message, seconds */
    size_t nlat, caplat;
    uint64_t accepted_normal, accepted_flood, records;
    uint64_t sent_normal, sent_flood;
    double t_start, t_end;
} ctx;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || getsockname(s, (void *)&a, &l)) {
        if (s >= 0) close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (s >= 0) close(s);
    return ok;
}

static int setup(ctx *c)
{
    snprintf(c->dir, sizeof(c->dir), "/tmp/stratum-broker-load.XXXXXX");
    if (!mkdtemp(c->dir)) return -1;
    char path[128];
    snprintf(path, sizeof(path), "%s/reg.db", c->dir);
    if (sqlite3_open(path, &c->db) != SQLITE_OK) return -1;
    sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int n = c->o.devices + 1;
    c->reg = st_registry_new(c->db, (size_t)n, NULL);
    c->keys = calloc((size_t)n, sizeof(*c->keys));
    if (!c->reg || !c->keys) return -1;
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < n; i++) {
        uint8_t seed[32] = {1};
        char id[32], zone[8];
        memcpy(seed + 1, &i, sizeof(i));
        if (i < c->o.devices)
            snprintf(id, sizeof(id), "d%04d", i);
        else
            snprintf(id, sizeof(id), "flood");
        snprintf(zone, sizeof(zone), "z%d", 1 + i % 5);
        st_devkey_from_seed(&c->keys[i], id, zone, seed);
        st_device d;
        memset(&d, 0, sizeof(d));
        snprintf(d.id, sizeof(d.id), "%s", id);
        snprintf(d.zone, sizeof(d.zone), "%s", zone);
        snprintf(d.type, sizeof(d.type), "soundmeter");
        memcpy(d.pk, c->keys[i].pk, 32);
        st_broker_conf_hash(c->keys[i].mqtt_password, d.mqtt_hash, sizeof(d.mqtt_hash));
        if (st_registry_add(c->reg, &d, wall() - 10)) return -1;
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    c->port = free_port();
    struct passwd *pw = getpwuid(geteuid());
    st_broker_conf_params bp = {.dir = c->dir,
                                .street = "bench",
                                .port = c->port,
                                .persistence = 1,
                                .autosave_s = 60,
                                .run_as = pw ? pw->pw_name : NULL};
    char err[300];
    if (st_broker_conf_write(&bp, c->reg, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(c->url, sizeof(c->url), "mqtt://127.0.0.1:%d", c->port);
    c->broker = fork();
    if (c->broker == 0) {
        char conf[128], log[128];
        snprintf(conf, sizeof(conf), "%s/mosquitto.conf", c->dir);
        snprintf(log, sizeof(log), "%s/mosquitto.log", c->dir);
        if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr)) _exit(127);
        execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
        execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !port_open(c->port); i++) sleep_s(0.05);
    if (!port_open(c->port)) {
        fprintf(stderr, "mosquitto did not start (see %s/mosquitto.log)\n", c->dir);
        return -1;
    }
    return 0;
}

static void teardown(ctx *c)
{
    if (c->broker > 0) {
        kill(c->broker, SIGTERM);
        waitpid(c->broker, NULL, 0);
    }
    st_registry_free(c->reg);
    if (c->db) sqlite3_close(c->db);
    const char *files[] = {"mosquitto.conf", "passwd", "acl",        "engine.cred", "mosquitto.db",
                           "mosquitto.log",  "reg.db", "reg.db-wal", "reg.db-shm"};
    char p[128];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", c->dir, files[i]);
        unlink(p);
    }
    rmdir(c->dir);
    if (c->keys)
        for (int i = 0; i <= c->o.devices; i++) st_devkey_wipe(&c->keys[i]);
    free(c->keys);
}

static int make_pack(const st_devkey *k, double t, int seq, char *buf, size_t cap)
{
    static const int bands[7] = {63, 125, 250, 500, 1000, 2000, 4000};
    char name[16];
    st_senml_writer w;
    st_senml_writer_init(&w, buf, cap, k->zone, k->id, floor(t));
    st_senml_writer_add(&w, "LAeq", "dB", 55 + seq % 20, 0);
    st_senml_writer_add(&w, "LAFmax", "dB", 65 + seq % 15, 0);
    st_senml_writer_add(&w, "LCpeak", "dB", 85 + seq % 10, 0);
    for (int j = 0; j < 7; j++) {
        snprintf(name, sizeof(name), "band:%d", bands[j]);
        st_senml_writer_add(&w, name, "dB", 40 + j + seq % 7, 0);
    }
    return st_senml_writer_finish(&w);
}

static void on_obs(void *arg, const st_obs *obs, size_t n, const st_verify_info *info)
{
    ctx *c = arg;
    st_engine_ingest(c->engine, obs, n);
    double lat = wall() - info->t;
    if (strcmp(info->device, "flood") == 0) {
        c->accepted_flood++;
        return;
    }
    c->accepted_normal++;
    c->records += n;
    if (c->nlat < c->caplat) c->lat[c->nlat++] = lat;
}

static void *ingest_thread(void *arg)
{
    ctx *c = arg;
    double next_step = 0;
    while (!atomic_load(&c->stop_ing)) {
        st_mqtt_ingest_poll(c->ing, 20, on_obs, c);
        double now = wall();
        if (now >= next_step) {
            st_engine_step(c->engine, now);
            next_step = now + 1.0;
        }
    }
    while (st_mqtt_ingest_poll(c->ing, 0, on_obs, c) > 0) continue;
    return NULL;
}

static void *flood_thread(void *arg)
{
    ctx *c = arg;
    st_devkey *k = &c->keys[c->o.devices];
    st_mqtt_pub_params p;
    st_mqtt_pub_params_default(&p, c->url);
    p.conn.protocol = c->o.protocol;
    snprintf(p.street, sizeof(p.street), "bench");
    p.counter_start = 1;
    st_mqtt_pub *pub = st_mqtt_pub_new(&p, k, NULL);
    atomic_store(&c->flood_ready, 1);
    if (!pub) return NULL;
    /* A pool of validly signed envelopes: the flood costs the device's own
     * tokens before any verification, whatever it carries. */
    uint8_t *pool = malloc((size_t)FLOOD_POOL * 1024);
    size_t len[FLOOD_POOL];
    char pack[1024];
    for (int i = 0; pool && i < FLOOD_POOL; i++) {
        int n = make_pack(k, wall(), i, pack, sizeof(pack));
        int e = st_mqtt_pub_seal(pub, pack, (size_t)n, -1, pool + (size_t)i * 1024, 1024);
        len[i] = e > 0 ? (size_t)e : 0;
    }
    while (!atomic_load(&c->go) && !atomic_load(&c->stop_pub)) sleep_s(0.01);
    double t0 = wall();
    uint64_t sent = 0;
    while (pool && !atomic_load(&c->stop_pub)) {
        double due = (wall() - t0) * c->o.flood;
        st_mqtt_pub_stats ps;
        st_mqtt_pub_stats_get(pub, &ps);
        /* Like a real client, at most FLOOD_INFLIGHT messages unacknowledged:
         * the flood goes as fast as the broker takes it, up to its rate. */
        while (sent < due && sent - ps.acked < FLOOD_INFLIGHT && !atomic_load(&c->stop_pub)) {
            int i = (int)(sent % FLOOD_POOL);
            if (st_mqtt_pub_send_raw(pub, st_mqtt_pub_topic(pub), pool + (size_t)i * 1024, len[i]))
                break;
            sent++;
        }
        sleep_s(0.001);
    }
    c->sent_flood = sent;
    st_mqtt_pub_flush(pub, 5);
    st_mqtt_pub_stats ps;
    st_mqtt_pub_stats_get(pub, &ps);
    fprintf(stderr, "broker-load: flood client: %llu sent, %llu acknowledged, connected %d\n",
            (unsigned long long)ps.sent, (unsigned long long)ps.acked, ps.connected);
    st_mqtt_pub_free(pub);
    free(pool);
    return NULL;
}

/* Pre-signed traffic. A thousand real sensors sign on their own processors;
 * here they share two cores with the broker and the engine, and signing
 * 10,000 messages a second would take half a core from what is measured. So
 * by default every normal message of the run is sealed before it starts,
 * stamped with its planned send time (message m of device m % n at
 * t0 + m / rate); the latency of a message counts from that stamp, so a
 * device sending late shows as latency too. --live-sign signs at send time
 * on the device thread instead. */
typedef struct presign {
    st_mqtt_pub **pub;
    const st_devkey *keys;
    uint8_t *buf;  /* total slots of `slot` bytes */
    uint32_t *len; /* envelope length per message; 0 = failed */
    size_t total, slot;
    double t0, rate;
    int n, part, parts;
} presign;

static void *presign_thread(void *arg)
{
    presign *ps = arg;
    char pack[1024];
    for (size_t m = (size_t)ps->part; m < ps->total; m++) {
        int dev = (int)(m % (size_t)ps->n);
        if (dev % ps->parts != ps->part) continue; /* each device's counter on one thread */
        double t = ps->t0 + (double)m / ps->rate;
        int len = make_pack(&ps->keys[dev], t, (int)m, pack, sizeof(pack));
        int e = len > 0 ? st_mqtt_pub_seal(ps->pub[dev], pack, (size_t)len, t,
                                           ps->buf + m * ps->slot, ps->slot)
                        : -EINVAL;
        ps->len[m] = e > 0 ? (uint32_t)e : 0;
    }
    return NULL;
}

/* Seal the whole run's messages; sets *t0 (the planned start) and returns the
 * buffer (caller frees it and *lens), or NULL. Keepalives go on meanwhile. */
static uint8_t *presign_all(ctx *c, st_mqtt_pub **pub, size_t total, size_t *slot, uint32_t **lens,
                            double *t0)
{
    int n = c->o.devices;
    char pack[1024];
    uint8_t tmp[2048];
    /* Size and cost from throwaway seals (their counters are never sent; a
     * gap in a device's counters is allowed). */
    double a = wall();
    int maxlen = 0;
    for (int k = 0; k < 200; k++) {
        int len = make_pack(&c->keys[0], a, 123456 + k, pack, sizeof(pack));
        int e = st_mqtt_pub_seal(pub[0], pack, (size_t)len, a + 1e5, tmp, sizeof(tmp));
        if (e > maxlen) maxlen = e;
    }
    double per = (wall() - a) / 200;
    if (maxlen <= 0) return NULL;
    *slot = (size_t)maxlen + 64; /* values vary a few digits from message to message */
    uint8_t *buf = malloc(total * *slot);
    *lens = calloc(total, sizeof(**lens));
    if (!buf || !*lens) {
        fprintf(stderr,
                "broker-load: no memory to pre-sign %zu messages (%.0f MB); try "
                "--live-sign or fewer --seconds\n",
                total, total * (double)*slot / 1e6);
        free(buf);
        return NULL;
    }
    enum { PARTS = 2 };
    double eta = total * per / PARTS;
    *t0 = wall() + 1.3 * eta + 1.0;
    fprintf(stderr, "broker-load: pre-signing %zu messages (%.0f MB, about %.0f s)\n", total,
            total * (double)*slot / 1e6, eta);
    presign ps[PARTS];
    pthread_t th[PARTS];
    for (int k = 0; k < PARTS; k++) {
        ps[k] = (presign){.pub = pub,
                          .keys = c->keys,
                          .buf = buf,
                          .len = *lens,
                          .total = total,
                          .slot = *slot,
                          .t0 = *t0,
                          .rate = c->o.rate,
                          .n = n,
                          .part = k,
                          .parts = PARTS};
        if (pthread_create(&th[k], NULL, presign_thread, &ps[k]) != 0) {
            presign_thread(&ps[k]);
            th[k] = 0;
        }
    }
    /* Keepalives while the sealing runs (sealing touches only the counters). */
    for (int k = 0; k < PARTS; k++) {
        if (!th[k]) continue;
        while (pthread_tryjoin_np(th[k], NULL) != 0) {
            for (int i = 0; i < n; i++) st_mqtt_pub_io(pub[i], 1, st_mqtt_pub_want_write(pub[i]));
            sleep_s(0.2);
        }
    }
    for (size_t m = 0; m < total; m++)
        if ((*lens)[m] == 0) {
            fprintf(stderr, "broker-load: message %zu could not be sealed\n", m);
            free(buf);
            return NULL;
        }
    if (wall() > *t0)
        fprintf(stderr,
                "broker-load: pre-signing overran its estimate by %.1f s; the first "
                "messages count as late\n",
                wall() - *t0);
    return buf;
}

/* All normal devices on one thread: one connection each, driven by epoll. */
static int run_devices(ctx *c)
{
    int n = c->o.devices;
    st_mqtt_pub **pub = calloc((size_t)n, sizeof(*pub));
    if (!pub) return -1;
    /* libmosquitto's threaded loop uses select(): its socket must be below
     * FD_SETSIZE (1024), so the flooder connects before the 1,000 devices. */
    pthread_t flood;
    int have_flood = c->o.flood > 0 && pthread_create(&flood, NULL, flood_thread, c) == 0;
    while (have_flood && !atomic_load(&c->flood_ready)) sleep_s(0.01);
    st_mqtt_pub_params p;
    st_mqtt_pub_params_default(&p, c->url);
    p.conn.protocol = c->o.protocol;
    p.network_thread = 0;
    snprintf(p.street, sizeof(p.street), "bench");
    snprintf(p.sw_version, sizeof(p.sw_version), "1.4.2");
    for (int i = 0; i < n; i++) {
        p.counter_start = 1;
        pub[i] = st_mqtt_pub_new(&p, &c->keys[i], NULL);
        if (!pub[i]) {
            fprintf(stderr, "device %d: cannot connect\n", i);
            return -1;
        }
    }
    /* Wait for every CONNACK. */
    double until = wall() + 20;
    int up = 0;
    while (up < n && wall() < until) {
        up = 0;
        for (int i = 0; i < n; i++) {
            st_mqtt_pub_io(pub[i], 1, st_mqtt_pub_want_write(pub[i]));
            st_mqtt_pub_stats s;
            st_mqtt_pub_stats_get(pub[i], &s);
            up += s.connected;
        }
        sleep_s(0.01);
    }
    if (up < n) {
        fprintf(stderr, "only %d of %d devices connected\n", up, n);
        return -1;
    }
    size_t total = (size_t)(c->o.rate * c->o.seconds), slot = 0;
    uint32_t *lens = NULL;
    uint8_t *sealed = NULL;
    double t0 = wall();
    if (!c->o.live_sign) {
        sealed = presign_all(c, pub, total, &slot, &lens, &t0);
        if (!sealed) return -1;
        while (wall() < t0) sleep_s(0.001);
    }
    fprintf(stderr, "broker-load: %d devices connected; running %.0f s\n", n, c->o.seconds);
    atomic_store(&c->go, 1);
    /* The devices' sockets in one epoll set: a poll() over 1,000 descriptors
     * per round cost the simulated devices a whole core, which the broker and
     * the engine then lacked. Write interest only while a device has unsent
     * bytes. */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int *fd_of = calloc((size_t)n, sizeof(*fd_of));
    char *armed = calloc((size_t)n, 1);
    if (ep < 0 || !fd_of || !armed) return -1;
    for (int i = 0; i < n; i++) fd_of[i] = -1;
    char pack[1024];
    double next_misc = t0;
    c->t_start = t0;
    uint64_t sent = 0;
    int rr = 0;
    struct epoll_event evs[256];
    while (wall() - t0 < c->o.seconds) {
        if (wall() >= next_misc) {
            /* Keepalives, and (re)registration of sockets a reconnect replaced. */
            for (int i = 0; i < n; i++) {
                st_mqtt_pub_io(pub[i], 0, 0);
                int fd = st_mqtt_pub_socket(pub[i]);
                if (fd != fd_of[i]) {
                    if (fd >= 0) {
                        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
                        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                    }
                    fd_of[i] = fd;
                    armed[i] = 0;
                }
            }
            next_misc = wall() + 1;
        }
        double due = (wall() - t0) * c->o.rate;
        while (sent < due && (!sealed || sent < total)) {
            int i = sealed ? (int)(sent % (uint64_t)n) : rr; /* as sealed: m on m % n */
            rr = (rr + 1) % n;
            if (sealed) {
                if (st_mqtt_pub_send_raw(pub[i], st_mqtt_pub_topic(pub[i]), sealed + sent * slot,
                                         lens[sent]) == 0)
                    sent++;
            } else {
                int len = make_pack(&c->keys[i], wall(), (int)sent, pack, sizeof(pack));
                if (st_mqtt_pub_send(pub[i], pack, (size_t)len, -1) == 0) sent++;
            }
            if (!armed[i] && fd_of[i] >= 0 && st_mqtt_pub_want_write(pub[i])) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd_of[i], &ev);
                armed[i] = 1;
            }
        }
        int k = epoll_wait(ep, evs, 256, 1);
        for (int j = 0; j < k; j++) {
            int i = (int)evs[j].data.u32;
            st_mqtt_pub_io(pub[i], (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0,
                           (evs[j].events & EPOLLOUT) != 0);
            if (armed[i] && fd_of[i] >= 0 && !st_mqtt_pub_want_write(pub[i])) {
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd_of[i], &ev);
                armed[i] = 0;
            }
        }
    }
    close(ep);
    free(fd_of);
    free(armed);
    free(sealed);
    free(lens);
    c->t_end = wall();
    c->sent_normal = sent;
    atomic_store(&c->stop_pub, 1);
    /* Collect outstanding PUBACKs. */
    double end = wall() + 5;
    while (wall() < end) {
        int pending = 0;
        for (int i = 0; i < n; i++) {
            st_mqtt_pub_stats s;
            st_mqtt_pub_stats_get(pub[i], &s);
            if (s.acked < s.sent) {
                pending = 1;
                st_mqtt_pub_io(pub[i], 1, st_mqtt_pub_want_write(pub[i]));
            }
        }
        if (!pending) break;
        sleep_s(0.005);
    }
    if (have_flood) pthread_join(flood, NULL);
    for (int i = 0; i < n; i++) st_mqtt_pub_free(pub[i]);
    free(pub);
    return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--live-sign")) {
            o->live_sign = 1;
            continue;
        }
        if (i + 1 >= argc) return -1;
        double v = strtod(argv[i + 1], &end);
        if (!end || *end || !(v >= 0) || v > 1e7) return -1;
        if (!strcmp(argv[i], "--seconds"))
            o->seconds = v;
        else if (!strcmp(argv[i], "--rate"))
            o->rate = v;
        else if (!strcmp(argv[i], "--flood"))
            o->flood = v;
        else if (!strcmp(argv[i], "--devices"))
            o->devices = (int)v;
        else if (!strcmp(argv[i], "--protocol"))
            o->protocol = (int)v;
        else if (!strcmp(argv[i], "--save-every"))
            o->save_every = v;
        else if (!strcmp(argv[i], "--verify-threads") && v <= ST_MQTT_VERIFY_THREADS_MAX)
            o->verify_threads = (int)v;
        else
            return -1;
        i++;
    }
    return o->devices >= 1 && o->devices <= 10000 && o->seconds > 0 && o->rate > 0 &&
                   (o->protocol == 4 || o->protocol == 5)
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    ctx *c = calloc(1, sizeof(*c));
    if (!c) return 1;
    c->o = (opts){.seconds = 60,
                  .rate = 10000,
                  .flood = 20000,
                  .devices = 1000,
                  .protocol = 5,
                  .verify_threads = -1};
    if (parse_args(argc, argv, &c->o)) {
        fprintf(stderr, "usage: broker-load [--seconds S] [--rate MSGS] [--devices N] "
                        "[--flood MSGS] [--protocol 4|5] [--save-every S] [--live-sign] "
                        "[--verify-threads N]\n");
        return 2;
    }
    /* One socket per device on both sides (and mosquitto inherits the limit). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0) return 1;
    int status = 1;
    pthread_t ing;
    int have_ing = 0;
    if (setup(c)) {
        fprintf(stderr, "broker-load: setup failed\n");
        goto out;
    }
    c->set = calloc(1, sizeof(*c->set));
    st_settings_default(c->set);
    c->engine = st_engine_new(&c->set->engine, c->set->zones, c->set->nzones, c->set->rules,
                              c->set->nrules, NULL, 0, NULL);
    c->caplat = (size_t)(c->o.rate * c->o.seconds * 1.2) + 1000;
    c->lat = malloc(c->caplat * sizeof(double));
    if (!c->engine || !c->lat) goto out;
    st_mqtt_ingest_params ip;
    st_mqtt_ingest_params_default(&ip, c->url);
    ip.conn.protocol = c->o.protocol;
    snprintf(ip.street, sizeof(ip.street), "bench");
    ip.verify.stats_every_s = 0;
    if (c->o.save_every > 0) ip.verify.save_every_s = c->o.save_every;
    if (c->o.verify_threads >= 0) ip.verify_threads = (size_t)c->o.verify_threads;
    c->o.verify_threads = (int)ip.verify_threads;
    ip.queue_len = 65536;
    char cred[128];
    snprintf(cred, sizeof(cred), "%s/engine.cred", c->dir);
    if (st_broker_conf_load_cred(cred, ip.conn.username, sizeof(ip.conn.username), ip.conn.password,
                                 sizeof(ip.conn.password)))
        goto out;
    c->ing = st_mqtt_ingest_new(&ip, c->reg, NULL);
    if (!c->ing) goto out;
    if (pthread_create(&ing, NULL, ingest_thread, c) != 0) goto out;
    have_ing = 1;
    sleep_s(0.5);
    if (run_devices(c)) goto out;
    sleep_s(2); /* let the queue drain */
    status = 0;
out:
    atomic_store(&c->stop_pub, 1);
    atomic_store(&c->stop_ing, 1);
    if (have_ing) pthread_join(ing, NULL);
    if (status == 0) {
        st_mqtt_ingest_stats s;
        st_mqtt_ingest_stats_get(c->ing, &s);
        double dur = c->t_end - c->t_start;
        qsort(c->lat, c->nlat, sizeof(double), cmp_double);
        double med = c->nlat ? c->lat[c->nlat / 2] : NAN;
        double p99 = c->nlat ? c->lat[(size_t)(c->nlat * 0.99)] : NAN;
        printf("bench broker-load: %d devices, %.0f msgs/s offered (10-record packs), flood "
               "%.0f msgs/s, MQTT %s, QoS 1, %.0f s\n",
               c->o.devices, c->o.rate, c->o.flood, c->o.protocol == 5 ? "5" : "3.1.1", dur);
        printf("  signatures checked by the engine's poll thread and %d helper%s\n",
               c->o.verify_threads, c->o.verify_threads == 1 ? "" : "s");
        printf("  processed: %.0f msgs/s, %.0f records/s (verified and ingested by the engine)\n",
               c->accepted_normal / dur, c->records / dur);
        printf("  latency sensor-to-decision: median %.2f ms, p99 %.2f ms\n", med * 1e3, p99 * 1e3);
        printf("  normal devices: %llu sent, %llu processed (%.2f %%)\n",
               (unsigned long long)c->sent_normal, (unsigned long long)c->accepted_normal,
               c->sent_normal ? 100.0 * c->accepted_normal / c->sent_normal : 0.0);
        printf("  flood: %llu sent, %llu rate-limited, %llu accepted; dropped %llu, queue high "
               "%zu\n",
               (unsigned long long)c->sent_flood,
               (unsigned long long)s.verify.count[ST_V_RATE_LIMITED],
               (unsigned long long)c->accepted_flood,
               (unsigned long long)s.verify.count[ST_V_DROPPED], s.queue_high);
        char line[512];
        st_verify_stats_format(&s.verify, line, sizeof(line));
        printf("  verdicts: %s\n", line);
    }
    st_mqtt_ingest_free(c->ing);
    st_engine_free(c->engine);
    free(c->set);
    free(c->lat);
    teardown(c);
    free(c);
    return status;
}
