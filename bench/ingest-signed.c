/* bench/ingest-signed: verified ingest vs libsodium's raw Ed25519 verification rate. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 1,000 devices, 20 envelopes each (SenML packs of 10 records: LAeq, LAFmax,
 * LCpeak and seven 1/3-octave bands), signed once. Then, median of 5 runs:
 *   - baseline: crypto_sign_verify_detached over every envelope's signed bytes
 *     (libsodium alone, the floor cost of authenticating a message),
 *   - stratum: the whole ingest check on the same envelopes: rate limit,
 *     envelope parse, registry lookup, revocation, signature, replay window,
 *     time window, device policy, SenML parse and device/zone match.
 * Prints messages/s for both and the ratio. Target (issue 4): >= 80 %.
 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "stratum/broker_conf.h"
#include "stratum/devkey.h"
#include "stratum/senml_writer.h"
#include "stratum/sigenv.h"
#include "stratum/verify.h"

#define NDEV    1000
#define PER_DEV 20
#define NMSG    (NDEV * PER_DEV)
#define RUNS    5
#define ENV_CAP 1024

typedef struct bench {
    st_devkey key[NDEV];
    st_device dev[NDEV];
    uint8_t *env; /* NMSG * ENV_CAP */
    size_t len[NMSG];
    int owner[NMSG]; /* device index */
    double now;
} bench;

static void make_devices(bench *b)
{
    for (int i = 0; i < NDEV; i++) {
        uint8_t seed[32] = {0};
        char id[32], zone[8];
        memcpy(seed, &i, sizeof(i));
        snprintf(id, sizeof(id), "dev-%04d", i);
        snprintf(zone, sizeof(zone), "z%d", 1 + i % 5);
        st_devkey_from_seed(&b->key[i], id, zone, seed);
        st_device *d = &b->dev[i];
        memset(d, 0, sizeof(*d));
        snprintf(d->id, sizeof(d->id), "%s", id);
        snprintf(d->zone, sizeof(d->zone), "%s", zone);
        snprintf(d->type, sizeof(d->type), "soundmeter");
        memcpy(d->pk, b->key[i].pk, 32);
        /* The broker hash plays no part here; any non-empty text. */
        snprintf(d->mqtt_hash, sizeof(d->mqtt_hash), "$7$101$bench");
    }
}

static void make_messages(bench *b)
{
    static const int bands[7] = {63, 125, 250, 500, 1000, 2000, 4000};
    char pack[1024], name[16];
    for (int k = 0; k < NMSG; k++) {
        int i = k % NDEV;
        double t = b->now - 1.0 + k * 1e-5;
        st_senml_writer w;
        st_senml_writer_init(&w, pack, sizeof(pack), b->key[i].zone, b->key[i].id, t);
        st_senml_writer_add(&w, "LAeq", "dB", 60 + k % 20, 0);
        st_senml_writer_add(&w, "LAFmax", "dB", 70 + k % 15, 0);
        st_senml_writer_add(&w, "LCpeak", "dB", 90 + k % 10, 0);
        for (int j = 0; j < 7; j++) {
            snprintf(name, sizeof(name), "band:%d", bands[j]);
            st_senml_writer_add(&w, name, "dB", 40 + j + k % 7, 0);
        }
        int n = st_senml_writer_finish(&w);
        st_sigenv_fields f = {.id = b->key[i].id,
                              .counter = (uint64_t)(k / NDEV) + 1,
                              .t_us = (int64_t)(t * 1e6),
                              .version = "1.4.2",
                              .payload = pack,
                              .payload_len = (size_t)n};
        int len = st_sigenv_encode(&f, b->key[i].sk, b->env + (size_t)k * ENV_CAP, ENV_CAP);
        if (len < 0) {
            fprintf(stderr, "encode: %s\n", strerror(-len));
            exit(1);
        }
        b->len[k] = (size_t)len;
        b->owner[k] = i;
    }
}

/* Raw libsodium: the signature check alone, same bytes. */
static double run_raw(const bench *b)
{
    int bad = 0;
    double t0 = bench_now();
    for (int k = 0; k < NMSG; k++) {
        const uint8_t *e = b->env + (size_t)k * ENV_CAP;
        size_t n = b->len[k] - ST_SIGENV_SIG_LEN;
        bad += crypto_sign_verify_detached(e + n, e, n, b->key[b->owner[k]].pk) != 0;
    }
    double dt = bench_now() - t0;
    if (bad) fprintf(stderr, "raw: %d bad signatures\n", bad);
    return NMSG / dt;
}

/* The whole ingest check; a fresh registry (so fresh replay windows) per run. */
static double run_ingest(const bench *b, uint64_t *accepted)
{
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) exit(1);
    st_registry *r = st_registry_new(db, NDEV, NULL);
    for (int i = 0; r && i < NDEV; i++) st_registry_add(r, &b->dev[i], b->now - 100);
    st_verify_params p;
    st_verify_params_default(&p);
    p.stats_every_s = 0;
    st_verify *v = r ? st_verify_new(&p, r, NULL) : NULL;
    if (!v) {
        fprintf(stderr, "verifier: %s\n", strerror(errno));
        exit(1);
    }
    double t0 = bench_now();
    for (int k = 0; k < NMSG; k++) {
        const st_device *d = &b->dev[b->owner[k]];
        const st_obs *obs;
        size_t n;
        if (st_verify_admit(v, d->id, strlen(d->id), 1000.0) != ST_V_ACCEPTED) continue;
        st_verify_message(v, d->id, b->env + (size_t)k * ENV_CAP, b->len[k], b->now, &obs, &n,
                          NULL);
    }
    double dt = bench_now() - t0;
    st_verify_stats s;
    st_verify_stats_get(v, &s);
    *accepted = s.count[ST_V_ACCEPTED];
    st_verify_free(v);
    st_registry_free(r);
    sqlite3_close(db);
    return NMSG / dt;
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    bench *b = calloc(1, sizeof(*b));
    if (!b) return 1;
    b->env = malloc((size_t)NMSG * ENV_CAP);
    if (!b->env) return 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    b->now = (double)ts.tv_sec;
    make_devices(b);
    make_messages(b);
    double raw[RUNS], ing[RUNS];
    uint64_t accepted = 0;
    for (int r = 0; r < RUNS; r++) {
        raw[r] = run_raw(b);
        ing[r] = run_ingest(b, &accepted);
        if (accepted != NMSG) {
            fprintf(stderr, "only %llu of %d envelopes accepted\n", (unsigned long long)accepted,
                    NMSG);
            return 1;
        }
    }
    qsort(raw, RUNS, sizeof(double), bench_cmp_double);
    qsort(ing, RUNS, sizeof(double), bench_cmp_double);
    double rm = raw[RUNS / 2], im = ing[RUNS / 2];
    printf("bench ingest-signed: %d envelopes of 10 records from %d devices, median of %d runs\n",
           NMSG, NDEV, RUNS);
    printf("  baseline crypto_sign_verify_detached: %10.0f msgs/s\n", rm);
    printf("  stratum verified ingest:              %10.0f msgs/s  %10.0f records/s\n", im,
           im * 10);
    printf("  ratio: %.1f %% of raw verification (target >= 80 %%)\n", 100.0 * im / rm);
    free(b->env);
    free(b);
    return 0;
}
