/* Unit tests of the ingest checks: verdicts, order, quarantine, restart guard, counters. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/broker_conf.h"
#include "stratum/devkey.h"
#include "stratum/senml_writer.h"
#include "stratum/sigenv.h"
#include "stratum/verify.h"

static char path[64];
static st_devkey k_meter, k_old, k_gone, k_stranger;
static const double NOW = 1700000000.0;

static void add(st_registry *r, const st_devkey *k, const char *type)
{
    st_device d;
    memset(&d, 0, sizeof(d));
    snprintf(d.id, sizeof(d.id), "%s", k->id);
    snprintf(d.zone, sizeof(d.zone), "%s", k->zone);
    snprintf(d.type, sizeof(d.type), "%s", type);
    memcpy(d.pk, k->pk, 32);
    CHECK_EQ_INT(st_broker_conf_hash(k->mqtt_password, d.mqtt_hash, sizeof(d.mqtt_hash)), 0);
    CHECK_EQ_INT(st_registry_add(r, &d, NOW - 100), 0);
}

/* A signed envelope: pack about (zone, device) signed by k. */
static int seal(const st_devkey *k, const char *id, const char *zone, const char *device,
                uint64_t counter, double t, const char *version, uint8_t *out, size_t cap)
{
    char pack[512];
    st_senml_writer w;
    st_senml_writer_init(&w, pack, sizeof(pack), zone, device, t);
    st_senml_writer_add(&w, "LAeq", "dB", 61.5, 0);
    st_senml_writer_add(&w, "LAFmax", "dB", 70.25, 0);
    int n = st_senml_writer_finish(&w);
    st_sigenv_fields f = {.id = id ? id : k->id,
                          .counter = counter,
                          .t_us = (int64_t)(t * 1e6),
                          .version = version,
                          .payload = pack,
                          .payload_len = (size_t)n};
    return st_sigenv_encode(&f, k->sk, out, cap);
}

static st_verdict check(st_verify *v, const char *topic_dev, const uint8_t *b, int n, size_t *nobs)
{
    const st_obs *o;
    st_verify_info info;
    return st_verify_message(v, topic_dev, b, (size_t)n, NOW, &o, nobs, &info);
}

static int alerts;
static char alert_dev[32];
static void on_alert(void *ctx, const char *device, const char *reason)
{
    (void)ctx;
    (void)reason;
    alerts++;
    snprintf(alert_dev, sizeof(alert_dev), "%s", device);
}

static void test_verdicts(void)
{
    sqlite3 *db;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    st_registry *r = st_registry_new(db, 16, NULL);
    add(r, &k_meter, "soundmeter");
    add(r, &k_old, "oldmeter");
    add(r, &k_gone, "soundmeter");
    st_device_policy pol = {.type = "oldmeter", .min_version = "2.0.0"};
    CHECK_EQ_INT(st_registry_set_policy(r, &pol), 0);
    CHECK_EQ_INT(st_registry_revoke(r, "gone-1", NOW - 10), 0);
    st_verify_params p;
    st_verify_params_default(&p);
    p.stats_every_s = 0;
    st_verify *v = st_verify_new(&p, r, NULL);
    CHECK(v != NULL);
    st_verify_set_alert(v, on_alert, NULL);
    uint8_t b[1024], f[1024];
    size_t nobs = 99;
    int n;

    /* Valid: accepted with its records, and the version is recorded. */
    n = seal(&k_meter, NULL, "z1", "meter-1", 1, NOW - 1, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_ACCEPTED);
    CHECK_EQ_INT(nobs, 2);
    CHECK_STR(st_registry_device(r, (size_t)st_registry_find(r, "meter-1", 7))->sw_version,
              "1.4.0");
    /* Exact replay. */
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_REPLAYED);
    CHECK_EQ_INT(nobs, 0);
    /* Reordered: 5 then 3 then 4 are all fresh; 3 again is a replay. */
    int n5 = seal(&k_meter, NULL, "z1", "meter-1", 5, NOW, "1.4.0", f, sizeof(f));
    CHECK_EQ_INT(check(v, "meter-1", f, n5, &nobs), ST_V_ACCEPTED);
    n = seal(&k_meter, NULL, "z1", "meter-1", 3, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_ACCEPTED);
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_REPLAYED);
    n = seal(&k_meter, NULL, "z1", "meter-1", 4, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_ACCEPTED);
    /* Forged: signed by a key the registry does not hold for meter-1. */
    n = seal(&k_stranger, "meter-1", "z1", "meter-1", 10, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_BAD_SIGNATURE);
    /* Tampered payload of a valid message. */
    n = seal(&k_meter, NULL, "z1", "meter-1", 11, NOW, "1.4.0", b, sizeof(b));
    char *lae = memmem(b, (size_t)n, "61.5", 4);
    CHECK(lae != NULL);
    if (lae) lae[0] = '9';
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_BAD_SIGNATURE);
    /* The forged and tampered counters were not consumed: 11 signed properly is fine. */
    n = seal(&k_meter, NULL, "z1", "meter-1", 11, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_ACCEPTED);
    /* Unknown device, revoked device (refused before its signature is checked). */
    n = seal(&k_stranger, NULL, "z1", "stranger", 1, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "stranger", b, n, &nobs), ST_V_UNKNOWN);
    n = seal(&k_stranger, "gone-1", "z1", "gone-1", 1, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "gone-1", b, n, &nobs), ST_V_REVOKED);
    /* Stale and future timestamps. */
    n = seal(&k_meter, NULL, "z1", "meter-1", 20, NOW - 121, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_STALE);
    n = seal(&k_meter, NULL, "z1", "meter-1", 21, NOW + 6, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_STALE);
    /* Topic of another device; garbage. */
    n = seal(&k_meter, NULL, "z1", "meter-1", 22, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "old-1", b, n, &nobs), ST_V_MALFORMED);
    CHECK_EQ_INT(check(v, NULL, (const uint8_t *)"hello", 5, &nobs), ST_V_MALFORMED);
    /* Authentic but about another device or zone. */
    n = seal(&k_meter, NULL, "z1", "old-1", 23, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_BAD_PAYLOAD);
    n = seal(&k_meter, NULL, "z2", "meter-1", 24, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_BAD_PAYLOAD);
    /* Outdated device: quarantined, kept, alerted once, no records. */
    for (uint64_t c = 1; c <= 3; c++) {
        n = seal(&k_old, NULL, "z2", "old-1", c, NOW, "1.9.9", b, sizeof(b));
        CHECK_EQ_INT(check(v, "old-1", b, n, &nobs), ST_V_QUARANTINED);
        CHECK_EQ_INT(nobs, 0);
    }
    CHECK_EQ_INT(alerts, 1);
    CHECK_STR(alert_dev, "old-1");
    int64_t kept = 0;
    CHECK_EQ_INT(st_registry_quarantined_count(r, "old-1", &kept), 0);
    CHECK_EQ_INT(kept, 3);
    /* After an update it is trusted again. */
    n = seal(&k_old, NULL, "z2", "old-1", 4, NOW, "2.0.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "old-1", b, n, &nobs), ST_V_ACCEPTED);
    /* Rate limit: burst 40 then refused, per device. */
    int ok = 0;
    for (int i = 0; i < 100; i++) ok += st_verify_admit(v, "meter-1", 7, 5.0) == ST_V_ACCEPTED;
    CHECK_EQ_INT(ok, 40);
    CHECK_EQ_INT(st_verify_admit(v, "old-1", 5, 5.0), ST_V_ACCEPTED);

    st_verify_stats s;
    st_verify_stats_get(v, &s);
    CHECK_EQ_INT(s.count[ST_V_ACCEPTED], 6);
    CHECK_EQ_INT(s.count[ST_V_REPLAYED], 2);
    CHECK_EQ_INT(s.count[ST_V_BAD_SIGNATURE], 2);
    CHECK_EQ_INT(s.count[ST_V_UNKNOWN], 1);
    CHECK_EQ_INT(s.count[ST_V_REVOKED], 1);
    CHECK_EQ_INT(s.count[ST_V_STALE], 2);
    CHECK_EQ_INT(s.count[ST_V_MALFORMED], 2);
    CHECK_EQ_INT(s.count[ST_V_BAD_PAYLOAD], 2);
    CHECK_EQ_INT(s.count[ST_V_QUARANTINED], 3);
    CHECK_EQ_INT(s.count[ST_V_RATE_LIMITED], 60);
    CHECK_EQ_INT(s.records, 12);
    char line[512];
    st_verify_stats_format(&s, line, sizeof(line));
    CHECK(strstr(line, "accepted 6, rate-limited 60, malformed 2") != NULL);
    st_verify_free(v); /* clean shutdown: counters saved */

    /* Restart: old counters stay refused, new ones pass (no lock-out). The
     * stale and bad-payload messages above consumed counters up to 24. */
    v = st_verify_new(&p, r, NULL);
    n = seal(&k_meter, NULL, "z1", "meter-1", 11, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_REPLAYED);
    n = seal(&k_meter, NULL, "z1", "meter-1", 30, NOW, "1.4.0", b, sizeof(b));
    CHECK_EQ_INT(check(v, "meter-1", b, n, &nobs), ST_V_ACCEPTED);
    /* Crash after a save at NOW - 3 (no clean shutdown): messages stamped up
     * to NOW - 3 + 1 + 5 are refused, later ones pass. */
    CHECK_EQ_INT(st_registry_counters_save(r, NOW - 3, 0), 0);
    st_verify *v2 = st_verify_new(&p, r, NULL);
    n = seal(&k_meter, NULL, "z1", "meter-1", 31, NOW + 2.9, "1.4.0", b, sizeof(b));
    {
        const st_obs *o;
        CHECK_EQ_INT(st_verify_message(v2, "meter-1", b, (size_t)n, NOW + 3, &o, &nobs, NULL),
                     ST_V_REPLAYED);
    }
    n = seal(&k_meter, NULL, "z1", "meter-1", 32, NOW + 3.1, "1.4.0", b, sizeof(b));
    {
        const st_obs *o;
        CHECK_EQ_INT(st_verify_message(v2, "meter-1", b, (size_t)n, NOW + 3.2, &o, &nobs, NULL),
                     ST_V_ACCEPTED);
    }
    st_verify_free(v2);
    /* v was never freed cleanly in this "crash" story: free it now. */
    st_verify_free(v);
    st_registry_free(r);
    sqlite3_close(db);
}

/* Split checks: prechecks of a batch on two threads at once, then the
 * stateful step in arrival order, give exactly the one-step verdicts: a
 * replay inside one batch, a forgery, an unknown device and reordered
 * counters are judged as if each message had come alone. */
#define NSPLIT 64
typedef struct split_job {
    const st_verify *v;
    uint8_t (*msg)[1024];
    int *len;
    st_verify_pre *pre;
    int from; /* every other message, from this one */
} split_job;

static void *split_thread(void *arg)
{
    split_job *j = arg;
    for (int i = j->from; i < NSPLIT; i += 2)
        st_verify_precheck(j->v, "meter-1", j->msg[i], (size_t)j->len[i], &j->pre[i]);
    return NULL;
}

static void test_split(void)
{
    static uint8_t msg[NSPLIT][1024];
    static int len[NSPLIT];
    static st_verify_pre pre[NSPLIT];
    st_verdict want[NSPLIT];
    sqlite3 *db;
    /* A database of its own: the earlier test's counters must not interfere. */
    CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    st_registry *r = st_registry_new(db, 16, NULL);
    CHECK(r != NULL);
    add(r, &k_meter, "soundmeter");
    st_verify_params p;
    st_verify_params_default(&p);
    p.stats_every_s = 0;
    p.burst = 1000;
    for (int i = 0; i < NSPLIT; i++) {
        /* Counters 2, 1, 4, 3, ... (reordered pairs); every 8th message
         * repeats the one before it; every 13th is forged; every 17th comes
         * from a device that is not registered. */
        uint64_t ctr = (uint64_t)(i % 2 ? i : i + 2);
        want[i] = ST_V_ACCEPTED;
        if (i % 8 == 7) {
            memcpy(msg[i], msg[i - 1], sizeof(msg[i]));
            len[i] = len[i - 1];
            want[i] = want[i - 1] == ST_V_ACCEPTED ? ST_V_REPLAYED : want[i - 1];
            continue;
        }
        if (i % 13 == 12) {
            len[i] = seal(&k_stranger, "meter-1", "z1", "meter-1", ctr, NOW, "1.4.0", msg[i],
                          sizeof(msg[i]));
            want[i] = ST_V_BAD_SIGNATURE;
        } else if (i % 17 == 16) {
            len[i] = seal(&k_stranger, NULL, "z1", "stranger", ctr, NOW, "1.4.0", msg[i],
                          sizeof(msg[i]));
            want[i] = ST_V_MALFORMED; /* the topic names meter-1 */
        } else {
            len[i] =
                seal(&k_meter, NULL, "z1", "meter-1", ctr, NOW, "1.4.0", msg[i], sizeof(msg[i]));
        }
        CHECK(len[i] > 0);
    }
    st_verify *v = st_verify_new(&p, r, NULL);
    CHECK(v != NULL);
    split_job j[2] = {{v, msg, len, pre, 0}, {v, msg, len, pre, 1}};
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, split_thread, &j[1]), 0);
    split_thread(&j[0]);
    pthread_join(th, NULL);
    int accepted = 0;
    for (int i = 0; i < NSPLIT; i++) {
        const st_obs *o;
        size_t nobs;
        st_verify_info info;
        st_verdict got = st_verify_finish(v, &pre[i], NOW, &o, &nobs, &info);
        if (got != want[i])
            fprintf(stderr, "message %d: %s, want %s (%s)\n", i, st_verdict_name(got),
                    st_verdict_name(want[i]), info.why);
        CHECK_EQ_INT(got, want[i]);
        CHECK_EQ_INT(nobs, got == ST_V_ACCEPTED ? 2 : 0);
        accepted += got == ST_V_ACCEPTED;
    }
    st_verify_stats s;
    st_verify_stats_get(v, &s);
    CHECK_EQ_INT(s.count[ST_V_ACCEPTED], accepted);
    CHECK(s.count[ST_V_REPLAYED] >= 6 && s.count[ST_V_BAD_SIGNATURE] >= 4);
    st_verify_free(v);
    st_registry_free(r);
    sqlite3_close(db);
}

int main(void)
{
    snprintf(path, sizeof(path), "/tmp/test_verify.%ld.db", (long)getpid());
    st_devkey_generate(&k_meter, "meter-1", "z1");
    st_devkey_generate(&k_old, "old-1", "z2");
    st_devkey_generate(&k_gone, "gone-1", "z1");
    st_devkey_generate(&k_stranger, "stranger", "z1");
    RUN(test_verdicts);
    RUN(test_split);
    char aux[96];
    unlink(path);
    snprintf(aux, sizeof(aux), "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof(aux), "%s-shm", path);
    unlink(aux);
    return TEST_END("verify");
}
