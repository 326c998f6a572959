/* bench/api: HTTP API latency with 100 zones under concurrent keep-alive clients. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Builds a street of 100 zones (the simulator's sensors -> SenML -> engine ->
 * SQLite store + live state), runs two simulated hours so the store holds
 * transitions and minutes, then keeps the engine running in a thread (60x real
 * time, writing to the store) while CLIENTS keep-alive connections hammer one
 * endpoint at a time:
 *   - baseline: GET /healthz (routing + a live-state read, no JSON of zones),
 *   - GET /api/zones (all 100 zones with their live status),
 *   - GET /api/transitions/{id} (random stored transition, with its decision
 *     trace and interventions: a read on the server's own SQLite connection),
 *   - GET /api/transitions?zone=z{k}&limit=50 (the decision log of one zone).
 * Each round sends REQUESTS requests per client; ROUNDS rounds; prints the
 * median over rounds of p50 and p99 latency, requests/s, and each endpoint's
 * p50/p99 as a ratio to the baseline's. Target (issue 7): p99 <= 10 ms for the
 * zone and trace endpoints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#include "stratum/config.h"
#include "stratum/engine.h"
#include "stratum/http.h"
#include "stratum/live.h"
#include "stratum/senml.h"
#include "stratum/sim.h"
#include "stratum/store.h"

#define NZONES   100
#define CLIENTS  8
#define REQUESTS 1500
#define ROUNDS   3

typedef struct street {
    st_settings *set;
    st_store *store;
    st_engine *engine;
    st_senml *parser;
    st_sim *sim;
    st_live *live;
    uint64_t packs, records;
    atomic_int stop;
} street;

static int emit(void *ctx, const char *pack, size_t len)
{
    street *s = ctx;
    const st_obs *obs;
    st_senml_err err;
    s->packs++;
    int n = st_senml_parse(s->parser, pack, len, st_sim_now(s->sim), &obs, &err);
    if (n > 0) {
        s->records += (uint64_t)n;
        st_engine_ingest(s->engine, obs, (size_t)n);
    }
    return 0;
}

static void on_transition(void *ctx, const char *zone, const st_trace *tr, int64_t id)
{
    st_http_push_transition(((street *)ctx)->live, zone, tr, id);
}

static void on_intervention(void *ctx, const st_intervention *iv, int64_t id)
{
    st_http_push_intervention(((street *)ctx)->live, iv, id);
}

static void step(street *s)
{
    st_sim_step(s->sim, emit, s);
    double t = st_sim_now(s->sim);
    st_engine_step(s->engine, t);
    st_live_update(s->live, s->engine, t, s->packs, 0, s->records);
}

/* The engine keeps running during the measurement: 60 simulated s per wall s. */
static void *engine_thread(void *arg)
{
    street *s = arg;
    double w0 = bench_now(), t0 = st_sim_now(s->sim);
    while (!atomic_load(&s->stop) && !st_sim_done(s->sim)) {
        step(s);
        double ahead = (st_sim_now(s->sim) - t0) / 60.0 - (bench_now() - w0);
        if (ahead > 0.001) {
            struct timespec ts = {(time_t)ahead, (long)((ahead - floor(ahead)) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

typedef struct client {
    int port;
    const char *pattern; /* printf pattern with one %lld (random 1..max_id) */
    long long max_id;
    unsigned seed;
    double lat[REQUESTS];
    int errors;
} client;

/* Read one HTTP response with Content-Length from fd; 0 or -1. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    char *hdr_end = NULL;
    while (!hdr_end) {
        ssize_t r = recv(fd, buf + got, cap - 1 - got, 0);
        if (r <= 0) return -1;
        got += (size_t)r;
        buf[got] = 0;
        hdr_end = strstr(buf, "\r\n\r\n");
        if (!hdr_end && got + 1 >= cap) return -1;
    }
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    if (!cl || strncmp(buf, "HTTP/1.1 200", 12)) return -1;
    size_t need = (size_t)(hdr_end + 4 - buf) + strtoul(cl + 17, NULL, 10);
    while (got < need) {
        size_t room = cap - 1;
        ssize_t r = recv(fd, buf, room < need - got ? room : need - got, 0);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static void *client_run(void *arg)
{
    client *c = arg;
    static __thread char buf[1 << 18];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        c->errors = REQUESTS;
        close(fd);
        return NULL;
    }
    for (int i = 0; i < REQUESTS; i++) {
        char path[128], req[256];
        long long id = c->max_id > 0 ? 1 + rand_r(&c->seed) % c->max_id : 0;
        snprintf(path, sizeof(path), c->pattern, id);
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
        double t0 = bench_now();
        if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n || read_response(fd, buf, sizeof(buf))) {
            c->errors++;
            c->lat[i] = NAN;
            continue;
        }
        c->lat[i] = (bench_now() - t0) * 1e3;
    }
    close(fd);
    return NULL;
}

typedef struct result {
    double p50, p99, max, rps;
    int errors;
} result;

static result measure(int port, const char *pattern, long long max_id)
{
    static client cl[CLIENTS];
    static double all[CLIENTS * REQUESTS];
    pthread_t th[CLIENTS];
    double t0 = bench_now();
    for (int i = 0; i < CLIENTS; i++) {
        cl[i].port = port;
        cl[i].pattern = pattern;
        cl[i].max_id = max_id;
        cl[i].seed = 7u + (unsigned)i;
        cl[i].errors = 0;
        pthread_create(&th[i], NULL, client_run, &cl[i]);
    }
    for (int i = 0; i < CLIENTS; i++) pthread_join(th[i], NULL);
    double wall = bench_now() - t0;
    size_t n = 0;
    result r = {0};
    for (int i = 0; i < CLIENTS; i++) {
        r.errors += cl[i].errors;
        for (int k = 0; k < REQUESTS; k++)
            if (!isnan(cl[i].lat[k])) all[n++] = cl[i].lat[k];
    }
    qsort(all, n, sizeof(all[0]), bench_cmp_double);
    if (n) {
        r.p50 = all[n / 2];
        r.p99 = all[(size_t)(0.99 * (double)(n - 1))];
        r.max = all[n - 1];
    }
    r.rps = (double)n / wall;
    return r;
}

static double median3(double a, double b, double c)
{
    double v[3] = {a, b, c};
    qsort(v, 3, sizeof(v[0]), bench_cmp_double);
    return v[1];
}

int main(void)
{
    char dir[] = "/tmp/stratum-bench-api-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char db[128], tok[128];
    snprintf(db, sizeof(db), "%s/bench.db", dir);
    snprintf(tok, sizeof(tok), "%s/stratum.token", dir);
    street s = {0};
    s.set = malloc(sizeof(*s.set));
    st_settings_default(s.set);
    size_t base = s.set->nzones;
    for (size_t i = base; i < NZONES; i++) {
        s.set->zones[i] = s.set->zones[i % base];
        snprintf(s.set->zones[i].id, sizeof(s.set->zones[i].id), "z%zu", i + 1);
    }
    s.set->nzones = NZONES;
    s.store = st_store_open(db, 0, NULL);
    int64_t run = s.store ? st_store_begin_run(s.store, "bench api", NULL) : -1;
    s.parser = st_senml_new(ST_SENML_MAX_RECORDS);
    s.engine = st_engine_new(&s.set->engine, s.set->zones, s.set->nzones, s.set->rules,
                             s.set->nrules, s.store, run, NULL);
    s.sim = st_sim_new(&s.set->sim, s.set->zones, s.set->nzones);
    s.live = st_live_new(NZONES, 1024, 4096);
    if (run <= 0 || !s.parser || !s.engine || !s.sim || !s.live) {
        fprintf(stderr, "bench/api: cannot build the street: %s\n", strerror(errno));
        return 1;
    }
    st_engine_listener l = {on_transition, on_intervention, &s};
    st_engine_set_listener(s.engine, &l);
    st_engine_add_actuator(s.engine, st_sim_actuator(s.sim));
    double t0 = bench_now();
    for (int i = 0; i < 3 * 3600; i++) step(&s);
    st_engine_flush(s.engine);
    int64_t ntr = 0;
    st_store_count(s.store, "transitions", &ntr);
    printf("bench/api: %d zones, 3 simulated hours prepared in %.1f s: %lld transitions stored\n",
           NZONES, bench_now() - t0, (long long)ntr);
    if (ntr <= 0) {
        fprintf(stderr, "bench/api: no transitions to read\n");
        return 1;
    }

    st_http_params p;
    st_http_params_default(&p);
    p.port = 0;
    p.token_path = tok;
    p.max_zones = NZONES;
    p.max_connections = 64;
    st_http *h = st_http_new(&p, s.live, db, NULL);
    if (!h) {
        fprintf(stderr, "bench/api: cannot start the server: %s\n", strerror(errno));
        return 1;
    }
    int port = st_http_port(h);
    pthread_t eng;
    pthread_create(&eng, NULL, engine_thread, &s);

    static const struct {
        const char *name, *pattern;
        int by_id;
    } eps[] = {
        {"GET /healthz (baseline)", "/healthz", 0},
        {"GET /api/zones (100 zones)", "/api/zones", 0},
        {"GET /api/transitions/{id}", "/api/transitions/%lld", 1},
        {"GET /api/transitions?zone&limit=50", "/api/transitions?zone=z%lld&limit=50", 2},
    };
    enum { NEP = sizeof(eps) / sizeof(eps[0]) };
    result res[ROUNDS][NEP];
    for (int e = 0; e < NEP; e++) /* warm-up: connections, statements, caches */
        measure(port, eps[e].pattern, eps[e].by_id == 1 ? ntr : eps[e].by_id == 2 ? NZONES : 0);
    for (int r = 0; r < ROUNDS; r++)
        for (int e = 0; e < NEP; e++)
            res[r][e] = measure(port, eps[e].pattern,
                                eps[e].by_id == 1   ? ntr
                                : eps[e].by_id == 2 ? NZONES
                                                    : 0);
    atomic_store(&s.stop, 1);
    pthread_join(eng, NULL);

    printf("%d keep-alive clients x %d requests, median of %d rounds (engine writing meanwhile)\n",
           CLIENTS, REQUESTS, ROUNDS);
    printf("%-38s %9s %9s %9s %10s %8s %8s %6s\n", "endpoint", "p50 ms", "p99 ms", "max ms",
           "req/s", "p50/base", "p99/base", "errors");
    double b50 = median3(res[0][0].p50, res[1][0].p50, res[2][0].p50);
    double b99 = median3(res[0][0].p99, res[1][0].p99, res[2][0].p99);
    int fail = 0;
    for (int e = 0; e < NEP; e++) {
        double p50 = median3(res[0][e].p50, res[1][e].p50, res[2][e].p50);
        double p99 = median3(res[0][e].p99, res[1][e].p99, res[2][e].p99);
        double mx = median3(res[0][e].max, res[1][e].max, res[2][e].max);
        double rps = median3(res[0][e].rps, res[1][e].rps, res[2][e].rps);
        int errs = res[0][e].errors + res[1][e].errors + res[2][e].errors;
        printf("%-38s %9.3f %9.3f %9.3f %10.0f %8.2f %8.2f %6d\n", eps[e].name, p50, p99, mx, rps,
               p50 / b50, p99 / b99, errs);
        if (e > 0 && e < 3 && p99 > 10.0) fail = 1;
    }
    printf("target p99 <= 10 ms for the zone and trace endpoints: %s\n", fail ? "MISSED" : "met");
    st_http_free(h);
    st_engine_free(s.engine);
    st_sim_free(s.sim);
    st_senml_free(s.parser);
    st_store_free(s.store);
    st_live_free(s.live);
    free(s.set);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench/api: could not remove %s\n", dir);
    return 0;
}
