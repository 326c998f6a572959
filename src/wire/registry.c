/* Device registry over SQLite: own tables, in-memory hash index, policies, replay marks. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/registry.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/sigenv.h"

#define MOD          "registry"
#define MAX_POLICIES 64

/* The registry's schema (docs/wire.md): the store's migration step 5 creates
 * it; st_registry_new runs it too (IF NOT EXISTS) so a registry also works on
 * a bare database. high_water holds the u64 counter cast to SQLite's signed
 * 64-bit integer. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS devices("
    " id TEXT PRIMARY KEY, zone TEXT NOT NULL, type TEXT NOT NULL,"
    " public_key BLOB NOT NULL CHECK(length(public_key) = 32),"
    " key_version INTEGER NOT NULL DEFAULT 1, mqtt_hash TEXT NOT NULL,"
    " created REAL NOT NULL, revoked REAL, sw_version TEXT);"
    "CREATE TABLE IF NOT EXISTS device_policies("
    " type TEXT PRIMARY KEY, min_version TEXT NOT NULL, end_of_support REAL);"
    "CREATE TABLE IF NOT EXISTS device_counters("
    " id TEXT PRIMARY KEY, high_water INTEGER NOT NULL, saved REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS device_ingest_state(key TEXT PRIMARY KEY, value REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS device_quarantine("
    " id INTEGER PRIMARY KEY, device TEXT NOT NULL, counter INTEGER NOT NULL, t REAL NOT NULL,"
    " sw_version TEXT NOT NULL, reason TEXT NOT NULL, payload TEXT NOT NULL,"
    " received REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS device_quarantine_device ON device_quarantine(device);"
    /* A generation bumped by every change to what the registry loads (not by
     * version reports, counters or quarantine), so that other connections'
     * other writes do not make every ingest reload its devices. */
    "CREATE TABLE IF NOT EXISTS device_registry_gen(id INTEGER PRIMARY KEY CHECK(id = 1),"
    " gen INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO device_registry_gen VALUES (1, 0);"
    "CREATE TRIGGER IF NOT EXISTS devices_gen_ins AFTER INSERT ON devices"
    " BEGIN UPDATE device_registry_gen SET gen = gen + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS devices_gen_del AFTER DELETE ON devices"
    " BEGIN UPDATE device_registry_gen SET gen = gen + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS devices_gen_upd AFTER UPDATE OF id, zone, type, public_key,"
    " key_version, mqtt_hash, created, revoked ON devices"
    " BEGIN UPDATE device_registry_gen SET gen = gen + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS policies_gen_ins AFTER INSERT ON device_policies"
    " BEGIN UPDATE device_registry_gen SET gen = gen + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS policies_gen_del AFTER DELETE ON device_policies"
    " BEGIN UPDATE device_registry_gen SET gen = gen + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS policies_gen_upd AFTER UPDATE ON device_policies"
    " BEGIN UPDATE device_registry_gen SET gen = gen + 1; END;";

const char *st_registry_schema_sql(void)
{
    return schema_sql;
}

typedef struct slot {
    st_device d;
    st_replay win;
    uint64_t saved_hw; /* high-water mark last written */
    int version_dirty; /* d.sw_version changed since it was last written */
} slot;

struct st_registry {
    struct sqlite3 *db;
    st_log *log;
    size_t cap, n;
    slot *dev;
    long *index; /* open addressing: device index or -1 */
    size_t nindex;
    st_device_policy pol[MAX_POLICIES];
    size_t npol;
    /* PRAGMA data_version at the last load: it changes only when another
     * connection commits, so our own writes never hide theirs. */
    int data_version;
    long long gen; /* device_registry_gen at the last load */
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int sql_fail(st_registry *r, int rc, const char *what)
{
    st_error(r->log, MOD, "%s: %s", what, sqlite3_errmsg(r->db));
    (void)rc;
    return -EIO;
}

static int exec(st_registry *r, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        st_error(r->log, MOD, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

/* The registry generation (device_registry_gen), or -1. */
static long long registry_gen(st_registry *r)
{
    sqlite3_stmt *st;
    long long g = -1;
    if (sqlite3_prepare_v2(r->db, "SELECT gen FROM device_registry_gen WHERE id = 1", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) g = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return g;
}

static int data_version(st_registry *r)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(r->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void index_rebuild(st_registry *r)
{
    for (size_t i = 0; i < r->nindex; i++) r->index[i] = -1;
    for (size_t i = 0; i < r->n; i++) {
        size_t mask = r->nindex - 1, j = hash(r->dev[i].d.id, strlen(r->dev[i].d.id)) & mask;
        while (r->index[j] >= 0) j = (j + 1) & mask;
        r->index[j] = (long)i;
    }
}

long st_registry_find(const st_registry *r, const char *id, size_t len)
{
    if (!r || len == 0 || len >= ST_ID_MAX) return -1;
    size_t mask = r->nindex - 1, j = hash(id, len) & mask;
    while (r->index[j] >= 0) {
        const char *d = r->dev[r->index[j]].d.id;
        if (!memcmp(d, id, len) && d[len] == 0) return r->index[j];
        j = (j + 1) & mask;
    }
    return -1;
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

/* Load all devices and policies; windows of devices already known are kept. */
static int load(st_registry *r)
{
    sqlite3_stmt *st = NULL;
    int rc;
    slot *old = NULL;
    size_t nold = r->n;
    if (nold) {
        old = malloc(nold * sizeof(*old));
        if (!old) return -ENOMEM;
        memcpy(old, r->dev, nold * sizeof(*old));
    }
    size_t n = 0;
    rc = sqlite3_prepare_v2(r->db,
                            "SELECT id, zone, type, public_key, key_version, mqtt_hash, created,"
                            " revoked, sw_version FROM devices ORDER BY id",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        free(old);
        return sql_fail(r, rc, "read devices");
    }
    int err = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n >= r->cap) {
            st_error(r->log, MOD, "more devices in the database than the capacity %zu", r->cap);
            err = -ENOSPC;
            break;
        }
        slot *s = &r->dev[n];
        memset(s, 0, sizeof(*s));
        copy_text(s->d.id, sizeof(s->d.id), sqlite3_column_text(st, 0));
        copy_text(s->d.zone, sizeof(s->d.zone), sqlite3_column_text(st, 1));
        copy_text(s->d.type, sizeof(s->d.type), sqlite3_column_text(st, 2));
        if (sqlite3_column_bytes(st, 3) == 32) memcpy(s->d.pk, sqlite3_column_blob(st, 3), 32);
        s->d.key_version = sqlite3_column_int(st, 4);
        copy_text(s->d.mqtt_hash, sizeof(s->d.mqtt_hash), sqlite3_column_text(st, 5));
        s->d.created = sqlite3_column_double(st, 6);
        s->d.revoked = sqlite3_column_type(st, 7) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 7);
        copy_text(s->d.sw_version, sizeof(s->d.sw_version), sqlite3_column_text(st, 8));
        for (size_t k = 0; k < nold; k++)
            if (!strcmp(old[k].d.id, s->d.id)) {
                s->win = old[k].win;
                s->saved_hw = old[k].saved_hw;
                if (old[k].version_dirty) { /* not written yet: ours is newer */
                    memcpy(s->d.sw_version, old[k].d.sw_version, sizeof(s->d.sw_version));
                    s->version_dirty = 1;
                }
                break;
            }
        n++;
    }
    if (!err && rc != SQLITE_DONE) err = sql_fail(r, rc, "read devices");
    sqlite3_finalize(st);
    free(old);
    if (err) return err;
    r->n = n;
    index_rebuild(r);

    rc = sqlite3_prepare_v2(r->db,
                            "SELECT type, min_version, end_of_support FROM device_policies"
                            " ORDER BY type",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "read policies");
    r->npol = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && r->npol < MAX_POLICIES) {
        st_device_policy *p = &r->pol[r->npol++];
        copy_text(p->type, sizeof(p->type), sqlite3_column_text(st, 0));
        copy_text(p->min_version, sizeof(p->min_version), sqlite3_column_text(st, 1));
        p->end_of_support = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    r->data_version = data_version(r);
    r->gen = registry_gen(r);
    return 0;
}

st_registry *st_registry_new(struct sqlite3 *db, size_t capacity, st_log *log)
{
    st_registry *r = NULL;
    int err = EINVAL;
    if (!db || capacity == 0 || capacity > (1u << 22)) goto fail;
    err = ENOMEM;
    r = calloc(1, sizeof(*r));
    if (!r) goto fail;
    r->db = db;
    r->log = log;
    r->cap = capacity;
    r->nindex = 16;
    while (r->nindex < 2 * capacity) r->nindex *= 2;
    r->dev = calloc(capacity, sizeof(*r->dev));
    r->index = malloc(r->nindex * sizeof(*r->index));
    if (!r->dev || !r->index) goto fail;
    index_rebuild(r);
    err = EIO;
    if (exec(r, schema_sql, "create registry tables")) goto fail;
    int rc = load(r);
    if (rc) {
        err = -rc;
        goto fail;
    }
    return r;
fail:
    st_registry_free(r);
    errno = err;
    return NULL;
}

void st_registry_free(st_registry *r)
{
    if (!r) return;
    free(r->dev);
    free(r->index);
    free(r);
}

size_t st_registry_count(const st_registry *r)
{
    return r->n;
}

const st_device *st_registry_device(const st_registry *r, size_t i)
{
    return i < r->n ? &r->dev[i].d : NULL;
}

st_replay *st_registry_window(st_registry *r, size_t i)
{
    return i < r->n ? &r->dev[i].win : NULL;
}

static int id_ok(const char *s)
{
    return s && st_sigenv_id_ok(s, strlen(s));
}

int st_registry_add(st_registry *r, const st_device *d, double now)
{
    if (!id_ok(d->id) || !id_ok(d->zone) || !id_ok(d->type) || !d->mqtt_hash[0]) return -EINVAL;
    if (st_registry_find(r, d->id, strlen(d->id)) >= 0) return -EEXIST;
    if (r->n >= r->cap) return -ENOSPC;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db,
                                "INSERT INTO devices(id, zone, type, public_key, key_version,"
                                " mqtt_hash, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "add device");
    int kv = d->key_version > 0 ? d->key_version : 1;
    sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->zone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, d->pk, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, kv);
    sqlite3_bind_text(st, 6, d->mqtt_hash, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 7, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT) return -EEXIST;
    if (rc != SQLITE_DONE) return sql_fail(r, rc, "add device");
    slot *s = &r->dev[r->n++];
    memset(s, 0, sizeof(*s));
    s->d = *d;
    s->d.key_version = kv;
    s->d.created = now;
    s->d.revoked = 0;
    s->d.sw_version[0] = 0;
    index_rebuild(r);
    return 0;
}

int st_registry_revoke(st_registry *r, const char *id, double now)
{
    long i = id ? st_registry_find(r, id, strlen(id)) : -1;
    if (i < 0) return -ENOENT;
    if (r->dev[i].d.revoked > 0) return -EALREADY;
    sqlite3_stmt *st;
    int rc =
        sqlite3_prepare_v2(r->db, "UPDATE devices SET revoked = ?2 WHERE id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "revoke device");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(r, rc, "revoke device");
    r->dev[i].d.revoked = now;
    return 0;
}

int st_registry_rotate(st_registry *r, const char *id, const uint8_t pk[32], const char *mqtt_hash)
{
    long i = id ? st_registry_find(r, id, strlen(id)) : -1;
    if (i < 0) return -ENOENT;
    if (!mqtt_hash || !*mqtt_hash || strlen(mqtt_hash) >= ST_MQTT_HASH_MAX) return -EINVAL;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db,
                                "UPDATE devices SET public_key = ?2, mqtt_hash = ?3,"
                                " key_version = key_version + 1 WHERE id = ?1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "rotate key");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, mqtt_hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(r, rc, "rotate key");
    memcpy(r->dev[i].d.pk, pk, 32);
    snprintf(r->dev[i].d.mqtt_hash, sizeof(r->dev[i].d.mqtt_hash), "%s", mqtt_hash);
    r->dev[i].d.key_version++;
    return 0;
}

int st_registry_set_policy(st_registry *r, const st_device_policy *p)
{
    if (!id_ok(p->type) ||
        (p->min_version[0] && !st_sigenv_version_ok(p->min_version, strlen(p->min_version))))
        return -EINVAL;
    if (!(p->end_of_support >= 0)) return -EINVAL;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db,
                                "INSERT OR REPLACE INTO device_policies(type, min_version,"
                                " end_of_support) VALUES (?1, ?2, ?3)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "set policy");
    sqlite3_bind_text(st, 1, p->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->min_version, -1, SQLITE_STATIC);
    if (p->end_of_support > 0)
        sqlite3_bind_double(st, 3, p->end_of_support);
    else
        sqlite3_bind_null(st, 3);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(r, rc, "set policy");
    size_t k;
    for (k = 0; k < r->npol; k++)
        if (!strcmp(r->pol[k].type, p->type)) break;
    if (k == r->npol && r->npol < MAX_POLICIES) r->npol++;
    if (k < r->npol) r->pol[k] = *p;
    return 0;
}

int st_registry_policy(const st_registry *r, const char *type, st_device_policy *out)
{
    for (size_t k = 0; k < r->npol; k++)
        if (!strcmp(r->pol[k].type, type)) {
            if (out) *out = r->pol[k];
            return 0;
        }
    return -ENOENT;
}

size_t st_registry_policy_count(const st_registry *r)
{
    return r->npol;
}

const st_device_policy *st_registry_policy_at(const st_registry *r, size_t i)
{
    return i < r->npol ? &r->pol[i] : NULL;
}

/* Read one numeric component; *pos advances past it and one '.'. */
static long component(const char *s, size_t len, size_t *pos)
{
    long v = 0;
    while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
        if (v < 100000000) v = v * 10 + (s[*pos] - '0');
        (*pos)++;
    }
    if (*pos < len && s[*pos] == '.') (*pos)++;
    return v;
}

static int at_suffix(const char *s, size_t len, size_t pos)
{
    return pos < len && (s[pos] == '-' || s[pos] == '+' || (s[pos] < '0' || s[pos] > '9'));
}

int st_registry_version_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;
    /* Up to four numeric components; missing ones count as 0. */
    for (int k = 0; k < 4; k++) {
        long x = at_suffix(a, alen, i) ? 0 : component(a, alen, &i);
        long y = at_suffix(b, blen, j) ? 0 : component(b, blen, &j);
        if (x != y) return x < y ? -1 : 1;
    }
    /* Same numbers: a pre-release ("-...") is lower than the release; build
     * metadata ("+...") does not count (SemVer 2.0.0 sections 10-11). */
    int apre = i < alen && a[i] == '-', bpre = j < blen && b[j] == '-';
    if (apre != bpre) return apre ? -1 : 1;
    return 0;
}

int st_registry_policy_check(const st_registry *r, size_t i, const char *version, size_t len,
                             double now, char *why, size_t whycap)
{
    if (i >= r->n) return 1;
    const st_device_policy *p = NULL;
    for (size_t k = 0; k < r->npol; k++)
        if (!strcmp(r->pol[k].type, r->dev[i].d.type)) p = &r->pol[k];
    if (!p) return 0;
    if (p->end_of_support > 0 && now >= p->end_of_support) {
        if (why) snprintf(why, whycap, "type %s past its end of support", p->type);
        return 1;
    }
    if (p->min_version[0] &&
        st_registry_version_cmp(version, len, p->min_version, strlen(p->min_version)) < 0) {
        if (why)
            snprintf(why, whycap, "version %.*s below the minimum %s for type %s", (int)len,
                     version, p->min_version, p->type);
        return 1;
    }
    return 0;
}

int st_registry_note_version(st_registry *r, size_t i, const char *version, size_t len)
{
    if (i >= r->n || len >= ST_VS_MAX) return -EINVAL;
    st_device *d = &r->dev[i].d;
    if (strlen(d->sw_version) == len && !memcmp(d->sw_version, version, len)) return 0;
    /* Written with the next counter save: a write per message would stall
     * ingest whenever many devices report at once (every device's first
     * message after a start). */
    memcpy(d->sw_version, version, len);
    d->sw_version[len] = 0;
    r->dev[i].version_dirty = 1;
    return 0;
}

int st_registry_keep_quarantined(st_registry *r, size_t i, uint64_t counter, double t,
                                 const char *version, size_t vlen, const char *reason,
                                 const char *payload, size_t plen, double now)
{
    if (i >= r->n) return -EINVAL;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db,
                                "INSERT INTO device_quarantine(device, counter, t, sw_version,"
                                " reason, payload, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "keep quarantined message");
    sqlite3_bind_text(st, 1, r->dev[i].d.id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)counter);
    sqlite3_bind_double(st, 3, t);
    sqlite3_bind_text(st, 4, version, (int)vlen, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, payload, (int)plen, SQLITE_STATIC);
    sqlite3_bind_double(st, 7, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(r, rc, "keep quarantined message");
    return 0;
}

int st_registry_quarantined_count(st_registry *r, const char *id, int64_t *n)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db,
                                id ? "SELECT count(*) FROM device_quarantine WHERE device = ?1"
                                   : "SELECT count(*) FROM device_quarantine",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "count quarantined");
    if (id) sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : sql_fail(r, rc, "count quarantined");
}

int st_registry_reload(st_registry *r)
{
    int v = data_version(r);
    if (v < 0) return -EIO;
    if (v == r->data_version) return 0;
    /* Something changed the database; reload only if it was the registry. */
    long long g = registry_gen(r);
    if (g >= 0 && g == r->gen) {
        r->data_version = v;
        return 0;
    }
    int rc = load(r);
    return rc ? rc : 1;
}

static int state_get(st_registry *r, const char *key, double *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db, "SELECT value FROM device_ingest_state WHERE key = ?1", -1,
                                &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "read ingest state");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    if (found) *v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return found ? 0 : -ENOENT;
}

static int state_set(st_registry *r, const char *key, double v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db,
                                "INSERT OR REPLACE INTO device_ingest_state(key, value)"
                                " VALUES (?1, ?2)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "write ingest state");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, v);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(r, rc, "write ingest state");
}

int st_registry_counters_restore(st_registry *r, double save_every_s, double max_future_s,
                                 double *guard_until)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db, "SELECT id, high_water FROM device_counters", -1, &st, NULL);
    if (rc != SQLITE_OK) return sql_fail(r, rc, "read counters");
    for (size_t i = 0; i < r->n; i++) {
        st_replay_init(&r->dev[i].win, 0);
        r->dev[i].saved_hw = 0;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        long i = id ? st_registry_find(r, id, strlen(id)) : -1;
        if (i < 0) continue;
        uint64_t hw = (uint64_t)sqlite3_column_int64(st, 1);
        st_replay_init(&r->dev[i].win, hw);
        r->dev[i].saved_hw = hw;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(r, rc, "read counters");
    double clean = 1, saved = 0;
    int have = state_get(r, "clean", &clean) == 0;
    (void)state_get(r, "saved_at", &saved);
    *guard_until = (have && clean == 0) ? saved + save_every_s + max_future_s : 0;
    if (have && clean == 0)
        st_warn(r->log, MOD,
                "previous ingest did not shut down cleanly: refusing messages stamped before "
                "%.3f (last counter save %.3f)",
                *guard_until, saved);
    return state_set(r, "clean", 0);
}

int st_registry_counters_save(st_registry *r, double now, int clean)
{
    sqlite3_stmt *st = NULL;
    int rc, err = 0;
    /* SAVEPOINT nests inside a batch the store may have open on the same
     * connection, and commits on its own otherwise. */
    if (exec(r, "SAVEPOINT st_registry_counters", "save counters")) return -EIO;
    rc = sqlite3_prepare_v2(r->db,
                            "INSERT OR REPLACE INTO device_counters(id, high_water, saved)"
                            " VALUES (?1, ?2, ?3)",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        err = sql_fail(r, rc, "save counters");
        goto out;
    }
    for (size_t i = 0; i < r->n; i++) {
        slot *s = &r->dev[i];
        if (s->win.hi <= s->saved_hw) continue;
        sqlite3_bind_text(st, 1, s->d.id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)s->win.hi);
        sqlite3_bind_double(st, 3, now);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            err = sql_fail(r, rc, "save counters");
            goto out;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    for (size_t i = 0; i < r->n; i++) {
        slot *s = &r->dev[i];
        if (!s->version_dirty) continue;
        if (!st) {
            rc = sqlite3_prepare_v2(r->db, "UPDATE devices SET sw_version = ?2 WHERE id = ?1", -1,
                                    &st, NULL);
            if (rc != SQLITE_OK) {
                err = sql_fail(r, rc, "save versions");
                goto out;
            }
        }
        sqlite3_bind_text(st, 1, s->d.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, s->d.sw_version, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            err = sql_fail(r, rc, "save versions");
            goto out;
        }
    }
    if ((err = state_set(r, "saved_at", now)) != 0) goto out;
    if ((err = state_set(r, "clean", clean ? 1 : 0)) != 0) goto out;
out:
    sqlite3_finalize(st);
    if (err) {
        (void)exec(r, "ROLLBACK TO st_registry_counters; RELEASE st_registry_counters",
                   "roll back counters");
        return err;
    }
    if (exec(r, "RELEASE st_registry_counters", "save counters")) return -EIO;
    for (size_t i = 0; i < r->n; i++) {
        if (r->dev[i].win.hi > r->dev[i].saved_hw) r->dev[i].saved_hw = r->dev[i].win.hi;
        r->dev[i].version_dirty = 0;
    }
    return 0;
}
