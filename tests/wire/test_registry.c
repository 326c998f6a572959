/* Unit tests of the device registry: add, revoke, rotate, policies, versions, reload, counters. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/registry.h"

static char path[64];

static st_device dev(const char *id, const char *zone, const char *type, uint8_t k)
{
    st_device d;
    memset(&d, 0, sizeof(d));
    snprintf(d.id, sizeof(d.id), "%s", id);
    snprintf(d.zone, sizeof(d.zone), "%s", zone);
    snprintf(d.type, sizeof(d.type), "%s", type);
    memset(d.pk, k, 32);
    snprintf(d.mqtt_hash, sizeof(d.mqtt_hash), "$7$101$salt$hash%u", k);
    return d;
}

static void test_add_find_revoke_rotate(void)
{
    sqlite3 *db;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    st_registry *r = st_registry_new(db, 8, NULL);
    CHECK(r != NULL);
    st_device a = dev("meter-1", "z1", "soundmeter", 1), b = dev("cam-1", "z2", "camera", 2);
    CHECK_EQ_INT(st_registry_add(r, &a, 100), 0);
    CHECK_EQ_INT(st_registry_add(r, &b, 101), 0);
    CHECK_EQ_INT(st_registry_add(r, &a, 102), -EEXIST);
    st_device bad = dev("bad id", "z1", "x", 3);
    CHECK_EQ_INT(st_registry_add(r, &bad, 1), -EINVAL);
    CHECK_EQ_INT(st_registry_count(r), 2);
    long i = st_registry_find(r, "meter-1", 7);
    CHECK(i >= 0);
    CHECK_STR(st_registry_device(r, (size_t)i)->zone, "z1");
    CHECK_EQ_INT(st_registry_device(r, (size_t)i)->key_version, 1);
    CHECK_EQ_INT(st_registry_find(r, "meter-", 6), -1);
    CHECK_EQ_INT(st_registry_find(r, "nobody", 6), -1);
    CHECK_EQ_INT(st_registry_revoke(r, "cam-1", 200), 0);
    CHECK_EQ_INT(st_registry_revoke(r, "cam-1", 201), -EALREADY);
    CHECK_EQ_INT(st_registry_revoke(r, "nobody", 201), -ENOENT);
    uint8_t pk[32];
    memset(pk, 9, 32);
    CHECK_EQ_INT(st_registry_rotate(r, "meter-1", pk, "$7$new"), 0);
    CHECK_EQ_INT(st_registry_device(r, (size_t)i)->key_version, 2);
    st_registry_free(r);

    /* Everything survives a reopen. */
    r = st_registry_new(db, 8, NULL);
    CHECK(r != NULL);
    i = st_registry_find(r, "meter-1", 7);
    const st_device *d = st_registry_device(r, (size_t)i);
    CHECK(d->pk[0] == 9 && d->key_version == 2 && !strcmp(d->mqtt_hash, "$7$new"));
    d = st_registry_device(r, (size_t)st_registry_find(r, "cam-1", 5));
    CHECK_NEAR(d->revoked, 200, 1e-9);
    st_registry_free(r);
    /* Capacity below the stored count is refused. */
    r = st_registry_new(db, 1, NULL);
    CHECK(r == NULL && errno == ENOSPC);
    sqlite3_close(db);
}

static void test_versions_and_policy(void)
{
    CHECK(st_registry_version_cmp("1.10.0", 6, "1.9.3", 5) > 0);
    CHECK(st_registry_version_cmp("1.2", 3, "1.2.0", 5) == 0);
    CHECK(st_registry_version_cmp("1.2.0-rc1", 9, "1.2.0", 5) < 0);
    CHECK(st_registry_version_cmp("1.2.0+b7", 8, "1.2.0", 5) == 0);
    CHECK(st_registry_version_cmp("0.9", 3, "1", 1) < 0);
    CHECK(st_registry_version_cmp("2", 1, "1.99.99", 7) > 0);

    sqlite3 *db;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    st_registry *r = st_registry_new(db, 8, NULL);
    st_device_policy p = {.type = "soundmeter", .min_version = "1.2.0", .end_of_support = 0};
    CHECK_EQ_INT(st_registry_set_policy(r, &p), 0);
    size_t i = (size_t)st_registry_find(r, "meter-1", 7);
    char why[160];
    CHECK_EQ_INT(st_registry_policy_check(r, i, "1.2.0", 5, 1000, why, sizeof(why)), 0);
    CHECK_EQ_INT(st_registry_policy_check(r, i, "1.10", 4, 1000, why, sizeof(why)), 0);
    CHECK_EQ_INT(st_registry_policy_check(r, i, "1.1.9", 5, 1000, why, sizeof(why)), 1);
    CHECK(strstr(why, "below the minimum 1.2.0") != NULL);
    p.end_of_support = 5000;
    CHECK_EQ_INT(st_registry_set_policy(r, &p), 0);
    CHECK_EQ_INT(st_registry_policy_check(r, i, "9.0", 3, 4999, why, sizeof(why)), 0);
    CHECK_EQ_INT(st_registry_policy_check(r, i, "9.0", 3, 5000, why, sizeof(why)), 1);
    CHECK(strstr(why, "end of support") != NULL);
    /* A type without policy is never quarantined. */
    size_t c = (size_t)st_registry_find(r, "cam-1", 5);
    CHECK_EQ_INT(st_registry_policy_check(r, c, "0.0.1", 5, 1e10, why, sizeof(why)), 0);
    CHECK_EQ_INT(st_registry_note_version(r, i, "1.3.0", 5), 0);
    CHECK_STR(st_registry_device(r, i)->sw_version, "1.3.0");
    /* In memory at once, in the database with the next counter save. */
    {
        sqlite3_stmt *q;
        CHECK_EQ_INT(sqlite3_prepare_v2(db,
                                        "SELECT coalesce(sw_version, '') FROM devices"
                                        " WHERE id = 'meter-1'",
                                        -1, &q, NULL),
                     SQLITE_OK);
        CHECK_EQ_INT(sqlite3_step(q), SQLITE_ROW);
        CHECK(strcmp((const char *)sqlite3_column_text(q, 0), "1.3.0") != 0);
        sqlite3_reset(q);
        CHECK_EQ_INT(st_registry_counters_save(r, 1000, 1), 0); /* as at a clean stop */
        CHECK_EQ_INT(sqlite3_step(q), SQLITE_ROW);
        CHECK_STR((const char *)sqlite3_column_text(q, 0), "1.3.0");
        sqlite3_finalize(q);
    }
    CHECK_EQ_INT(st_registry_keep_quarantined(r, i, 7, 1.0, "1.0", 3, "old", "[]", 2, 2.0), 0);
    int64_t n = -1;
    CHECK_EQ_INT(st_registry_quarantined_count(r, "meter-1", &n), 0);
    CHECK_EQ_INT(n, 1);
    st_registry_free(r);
    sqlite3_close(db);
}

/* A change made through another connection (the `stratum device` command) is
 * picked up by reload; replay windows of known devices are kept. */
static void test_reload(void)
{
    sqlite3 *db, *db2;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_open(path, &db2), SQLITE_OK);
    st_registry *r = st_registry_new(db, 8, NULL), *r2 = st_registry_new(db2, 8, NULL);
    size_t i = (size_t)st_registry_find(r, "meter-1", 7);
    st_replay_accept(st_registry_window(r, i), 77);
    CHECK(st_registry_reload(r) >= 0); /* r2's open may count as a change */
    CHECK_EQ_INT(st_registry_reload(r), 0);
    /* Another connection's counter save changes the database, not the
     * registry: no reload. */
    {
        size_t j = (size_t)st_registry_find(r2, "meter-1", 7);
        st_replay_accept(st_registry_window(r2, j), 5);
        CHECK_EQ_INT(st_registry_counters_save(r2, 200, 1), 0);
        CHECK_EQ_INT(st_registry_reload(r), 0);
    }
    /* Our own writes do not hide another connection's. */
    CHECK_EQ_INT(st_registry_note_version(r, i, "0.1", 3), 0);
    CHECK_EQ_INT(st_registry_reload(r), 0);
    st_device c = dev("lamp-9", "z3", "lamp", 4);
    CHECK_EQ_INT(st_registry_add(r2, &c, 300), 0);
    CHECK_EQ_INT(st_registry_revoke(r2, "meter-1", 301), 0);
    CHECK_EQ_INT(st_registry_reload(r), 1);
    CHECK(st_registry_find(r, "lamp-9", 6) >= 0);
    i = (size_t)st_registry_find(r, "meter-1", 7);
    CHECK(st_registry_device(r, i)->revoked > 0);
    CHECK_EQ_INT(st_registry_window(r, i)->hi, 77);
    st_registry_free(r);
    st_registry_free(r2);
    sqlite3_close(db);
    sqlite3_close(db2);
}

static void test_counters(void)
{
    sqlite3 *db;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    st_registry *r = st_registry_new(db, 8, NULL);
    double guard = -1;
    CHECK_EQ_INT(st_registry_counters_restore(r, 1, 5, &guard), 0);
    CHECK_NEAR(guard, 0, 0); /* first start counts as clean */
    size_t i = (size_t)st_registry_find(r, "lamp-9", 6);
    for (uint64_t k = 1; k <= 50; k++) st_replay_accept(st_registry_window(r, i), k);
    CHECK_EQ_INT(st_registry_counters_save(r, 1000.0, 0), 0);
    for (uint64_t k = 51; k <= 60; k++) st_replay_accept(st_registry_window(r, i), k);
    st_registry_free(r); /* "crash": counters 51..60 never saved */

    r = st_registry_new(db, 8, NULL);
    CHECK_EQ_INT(st_registry_counters_restore(r, 1, 5, &guard), 0);
    CHECK_NEAR(guard, 1006.0, 1e-9); /* unclean: last save + period + future skew */
    i = (size_t)st_registry_find(r, "lamp-9", 6);
    CHECK_EQ_INT(st_registry_window(r, i)->hi, 50);
    CHECK_EQ_INT(st_replay_check(st_registry_window(r, i), 50), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_accept(st_registry_window(r, i), 61), ST_REPLAY_OK);
    CHECK_EQ_INT(st_registry_counters_save(r, 2000.0, 1), 0); /* clean shutdown */
    st_registry_free(r);

    r = st_registry_new(db, 8, NULL);
    CHECK_EQ_INT(st_registry_counters_restore(r, 1, 5, &guard), 0);
    CHECK_NEAR(guard, 0, 0);
    i = (size_t)st_registry_find(r, "lamp-9", 6);
    CHECK_EQ_INT(st_registry_window(r, i)->hi, 61);
    st_registry_free(r);
    sqlite3_close(db);
}

int main(void)
{
    snprintf(path, sizeof(path), "/tmp/test_registry.%ld.db", (long)getpid());
    RUN(test_add_find_revoke_rotate);
    RUN(test_versions_and_policy);
    RUN(test_reload);
    RUN(test_counters);
    unlink(path);
    char aux[96];
    snprintf(aux, sizeof(aux), "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof(aux), "%s-shm", path);
    unlink(aux);
    return TEST_END("registry");
}
