/* Device registry: keys, types, revocation, version policy and replay marks, in SQLite. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_REGISTRY_H
#define STRATUM_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/log.h"
#include "stratum/obs.h"
#include "stratum/replay.h"

struct sqlite3;

#define ST_MQTT_HASH_MAX 160

/* One device as registered. Plain data. Only the public key is stored: the
 * private key lives in the device's key file (st_devkey). */
typedef struct st_device {
    char id[ST_ID_MAX];
    char zone[ST_ID_MAX];
    char type[ST_ID_MAX];
    uint8_t pk[32];
    int key_version;                  /* 1, then +1 at each rotation */
    char mqtt_hash[ST_MQTT_HASH_MAX]; /* broker password hash (mosquitto "$7$" PBKDF2-SHA512) */
    double created;                   /* epoch seconds */
    double revoked;                   /* epoch seconds, 0 = not revoked */
    char sw_version[ST_VS_MAX];       /* last version the device reported, "" = none yet */
} st_device;

/* Policy of one device type: devices below min_version, or all of them after
 * end_of_support, are quarantined. */
typedef struct st_device_policy {
    char type[ST_ID_MAX];
    char min_version[ST_VS_MAX]; /* "" = no minimum */
    double end_of_support;       /* epoch seconds, 0 = none */
} st_device_policy;

typedef struct st_registry st_registry; /* opaque; one thread at a time */

/* Open the registry over db (borrowed: must outlive the registry; typically
 * st_store_db(store), and then st_registry_free must come before
 * st_store_free). Creates its tables if missing (CREATE TABLE IF NOT EXISTS:
 * devices, device_policies, device_counters, device_ingest_state,
 * device_quarantine; docs/wire.md) and loads every device and policy into
 * memory. capacity: most devices held (> 0). log borrowed (may be NULL).
 * NULL + errno (EINVAL, ENOMEM, ENOSPC when the database holds more devices,
 * EIO for database errors, logged). */
/* The SQL that creates the registry's tables (static); the store's migrations
 * run it. */
const char *st_registry_schema_sql(void);

st_registry *st_registry_new(struct sqlite3 *db, size_t capacity, st_log *log);
void st_registry_free(st_registry *r);

/* Register d (copied). revoked and sw_version are ignored (new devices are
 * active). 0, -EEXIST, -EINVAL (bad id/zone/type), -ENOSPC, -EIO. */
int st_registry_add(st_registry *r, const st_device *d, double now);
/* Mark id revoked at now. 0, -ENOENT, -EALREADY, -EIO. */
int st_registry_revoke(st_registry *r, const char *id, double now);
/* Replace id's key (rotation): new public key and broker hash, key_version + 1.
 * The replay window is kept (counters keep rising across keys).
 * 0, -ENOENT, -EIO. */
int st_registry_rotate(st_registry *r, const char *id, const uint8_t pk[32], const char *mqtt_hash);
/* Insert or replace the policy of p->type. 0, -EINVAL, -EIO. */
int st_registry_set_policy(st_registry *r, const st_device_policy *p);

size_t st_registry_count(const st_registry *r);
/* Device i, 0 <= i < count, in id order at load, then in order added (borrowed;
 * valid until the next add or reload). */
const st_device *st_registry_device(const st_registry *r, size_t i);
/* Index of id[0..len) or -1. Hash lookup, allocates nothing. */
long st_registry_find(const st_registry *r, const char *id, size_t len);
/* Replay window of device i (borrowed, owned by the registry). */
st_replay *st_registry_window(st_registry *r, size_t i);
/* Policy of type into *out: 0 or -ENOENT. */
int st_registry_policy(const st_registry *r, const char *type, st_device_policy *out);
size_t st_registry_policy_count(const st_registry *r);
const st_device_policy *st_registry_policy_at(const st_registry *r, size_t i);

/* Is device i, reporting version[0..len), within its type's policy at now?
 * 0 if so; 1 if quarantined, with a sentence in why (may be NULL). */
int st_registry_policy_check(const st_registry *r, size_t i, const char *version, size_t len,
                             double now, char *why, size_t whycap);

/* Record the version device i reported: at once in memory (policy checks and
 * st_registry_device see it), in the database with the next
 * st_registry_counters_save when it changed. 0 or -EINVAL. */
int st_registry_note_version(st_registry *r, size_t i, const char *version, size_t len);

/* Keep a quarantined message (its payload is stored, never given to the engine).
 * 0 or -EIO. */
int st_registry_keep_quarantined(st_registry *r, size_t i, uint64_t counter, double t,
                                 const char *version, size_t vlen, const char *reason,
                                 const char *payload, size_t plen, double now);
/* Rows in device_quarantine (all devices, or one when id != NULL). 0 or -EIO. */
int st_registry_quarantined_count(st_registry *r, const char *id, int64_t *n);

/* Re-read devices and policies if another connection changed them (PRAGMA
 * data_version), keeping the replay windows of devices still present.
 * Returns 1 if reloaded, 0 if unchanged, negative errno on failure. */
int st_registry_reload(st_registry *r);

/* Replay high-water marks (for the one ingest process per database).
 * restore: load each device's persisted mark into its window and return in
 * *guard_until the time (epoch s) up to which message timestamps must be
 * refused: after a clean shutdown 0; after a crash, last save time +
 * save_every_s + max_future_s, which covers every counter accepted after the
 * last save (docs/wire.md "Counters across restarts"). Marks the state unclean.
 * save: write the marks that moved, the versions noted since, and the save
 * time, in one transaction;
 * clean = 1 at shutdown. 0 or -EIO. */
int st_registry_counters_restore(st_registry *r, double save_every_s, double max_future_s,
                                 double *guard_until);
int st_registry_counters_save(st_registry *r, double now, int clean);

/* Compare dotted numeric versions ("1.10.0" > "1.9.3"); a pre-release suffix
 * ("1.2.0-rc1") sorts before its release (SemVer 2.0.0 section 11). <0, 0, >0. */
int st_registry_version_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
