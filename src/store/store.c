/* Evidence store: SQLite (WAL) with a versioned schema, prepared statements and batched writes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "stratum/audit.h"
#include "stratum/registry.h"
#include "stratum/store.h"

#define MOD "store"
/* A trace is ~20 numbers and a 160-byte rule; 4 KiB leaves room for escaping. */
#define TRACE_JSON_MAX 4096
/* How long a writer waits for another connection's lock before SQLITE_BUSY. */
#define BUSY_TIMEOUT_MS 5000

/* Schema migrations, in order: migrations[i] takes a database from
 * PRAGMA user_version i to i + 1, in one transaction (docs/store.md).
 * Never edit a step once released; append a new one. States and action kinds
 * are stored as their text names (st_state_name, st_act_kind_name) so the
 * database reads without this program; times are epoch seconds (REAL).
 * AUTOINCREMENT keeps ids of transitions and interventions unique for the
 * database's lifetime, since the audit log and reports cite them. */
static const char *const migrations[] = {
    /* 1: runs and the durable evidence of each decision. */
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " started REAL NOT NULL,"
    " label TEXT NOT NULL DEFAULT '',"
    " config TEXT,"
    " ended REAL,"
    " summary TEXT);"
    "CREATE TABLE transitions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " run INTEGER NOT NULL REFERENCES runs(id),"
    " zone TEXT NOT NULL,"
    " t REAL NOT NULL,"
    " from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL,"
    " score REAL,"
    " trace TEXT NOT NULL);"
    "CREATE TABLE interventions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " run INTEGER NOT NULL REFERENCES runs(id),"
    " t REAL NOT NULL,"
    " zone TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " rule TEXT NOT NULL,"
    " transition_id INTEGER REFERENCES transitions(id),"
    " from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL,"
    " reason TEXT NOT NULL);",
    /* 2: per-minute aggregates, intervention outcomes, and the indexes the
     * dashboard's "zone over a time range" and "this run" queries use. */
    "CREATE TABLE minutes ("
    " run INTEGER NOT NULL REFERENCES runs(id),"
    " zone TEXT NOT NULL,"
    " t REAL NOT NULL,"
    " n_obs INTEGER NOT NULL,"
    " laeq_mean REAL,"
    " laeq_max REAL,"
    " occupancy REAL,"
    " events INTEGER NOT NULL,"
    " score_mean REAL,"
    " score_max REAL,"
    " state TEXT NOT NULL,"
    " PRIMARY KEY (run, zone, t));"
    "CREATE TABLE outcomes ("
    " intervention_id INTEGER NOT NULL REFERENCES interventions(id),"
    " after_s REAL NOT NULL,"
    " t REAL NOT NULL,"
    " state TEXT NOT NULL,"
    " PRIMARY KEY (intervention_id, after_s));"
    "CREATE INDEX transitions_zone_t ON transitions(zone, t);"
    "CREATE INDEX transitions_run_t ON transitions(run, t);"
    "CREATE INDEX interventions_zone_t ON interventions(zone, t);"
    "CREATE INDEX interventions_run_t ON interventions(run, t);"
    "CREATE INDEX interventions_transition ON interventions(transition_id);"
    "CREATE INDEX minutes_zone_t ON minutes(zone, t);",
    /* 3: escalation episodes (assignment first, outcome later, both insert-only),
     * imported evidence from other cities, and (migration_extra) the audit
     * chain's tables. Seeds are unsigned 64-bit, kept exact as decimal text. */
    "CREATE TABLE episodes ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " run INTEGER NOT NULL REFERENCES runs(id),"
    " zone TEXT NOT NULL,"
    " t REAL NOT NULL,"
    " entered TEXT NOT NULL,"
    " transition_id INTEGER REFERENCES transitions(id),"
    " stratum TEXT NOT NULL,"
    " policy TEXT NOT NULL,"
    " arm TEXT NOT NULL,"
    " seed TEXT NOT NULL,"
    " draw INTEGER NOT NULL,"
    " window_s REAL NOT NULL,"
    " score REAL, laeq REAL, event_rate REAL, occupancy REAL);"
    "CREATE TABLE episode_outcomes ("
    " episode_id INTEGER PRIMARY KEY REFERENCES episodes(id),"
    " t REAL NOT NULL,"
    " incident INTEGER NOT NULL,"
    " calm_after_s REAL,"
    " score_max REAL, laeq_max REAL, laeq_end REAL, event_rate_max REAL, event_rate_end REAL);"
    "CREATE INDEX episodes_run_t ON episodes(run, t);"
    "CREATE INDEX episodes_arm ON episodes(policy, arm, stratum);"
    "CREATE TABLE evidence_imports ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " imported REAL NOT NULL,"
    " city TEXT NOT NULL,"
    " installation_pk TEXT NOT NULL,"
    " bundle_sha256 TEXT NOT NULL UNIQUE,"
    " created REAL NOT NULL,"
    " window_s REAL NOT NULL);"
    "CREATE TABLE evidence_counts ("
    " import_id INTEGER NOT NULL REFERENCES evidence_imports(id),"
    " arm TEXT NOT NULL,"
    " stratum TEXT NOT NULL,"
    " episodes INTEGER NOT NULL,"
    " incidents INTEGER NOT NULL,"
    " settled INTEGER NOT NULL,"
    " calm INTEGER NOT NULL,"
    " tc_sum REAL NOT NULL,"
    " tc_sumsq REAL NOT NULL,"
    " PRIMARY KEY (import_id, arm, stratum));",
    /* 4: what music was playing when each intervention was applied (NULL when
     * no music output ran); set after the actuators, st_store_set_playing. */
    "ALTER TABLE interventions ADD COLUMN playing TEXT;",
    /* 5: the device registry's tables: their SQL is the registry's own
     * (st_registry_schema_sql, run by migration_extra). */
    "-- device registry tables",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Every statement the store runs after open, compiled once in st_store_open. */
enum {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_RUN_BEGIN,
    Q_RUN_END,
    Q_TRANSITION,
    Q_INTERVENTION,
    Q_MINUTE,
    Q_OUTCOME,
    Q_PLAYING,
    Q_COUNT_FIRST, /* one count statement per entry of count_tables[] */
    Q__COUNT = Q_COUNT_FIRST + 5
};

static const char *const count_tables[] = {"runs", "transitions", "interventions", "minutes",
                                           "outcomes"};
_Static_assert(sizeof(count_tables) / sizeof(count_tables[0]) == Q__COUNT - Q_COUNT_FIRST,
               "one count statement per table");

/* RETURNING (SQLite >= 3.35) hands back the new id from the statement itself,
 * so a reader thread sharing the handle cannot disturb last_insert_rowid. */
static const char *const sql_text[Q__COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_RUN_BEGIN] = "INSERT INTO runs(started, label, config) VALUES (?1, ?2, ?3) RETURNING id",
    [Q_RUN_END] = "UPDATE runs SET ended = ?2, summary = ?3 WHERE id = ?1 RETURNING id",
    [Q_TRANSITION] = "INSERT INTO transitions(run, zone, t, from_state, to_state, score, trace)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    [Q_INTERVENTION] = "INSERT INTO interventions(run, t, zone, kind, name, rule, transition_id,"
                       " from_state, to_state, reason)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
    [Q_MINUTE] = "INSERT INTO minutes(run, zone, t, n_obs, laeq_mean, laeq_max, occupancy,"
                 " events, score_mean, score_max, state)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [Q_OUTCOME] =
        "INSERT INTO outcomes(intervention_id, after_s, t, state) VALUES (?1, ?2, ?3, ?4)",
    [Q_PLAYING] = "UPDATE interventions SET playing = ?2 WHERE id = ?1 RETURNING id",
    [Q_COUNT_FIRST + 0] = "SELECT count(*) FROM runs",
    [Q_COUNT_FIRST + 1] = "SELECT count(*) FROM transitions",
    [Q_COUNT_FIRST + 2] = "SELECT count(*) FROM interventions",
    [Q_COUNT_FIRST + 3] = "SELECT count(*) FROM minutes",
    [Q_COUNT_FIRST + 4] = "SELECT count(*) FROM outcomes",
};

struct st_store {
    sqlite3 *db;
    st_log *log; /* borrowed */
    sqlite3_stmt *q[Q__COUNT];
    int version;
    int in_batch;    /* a BEGIN IMMEDIATE of batched writes is open */
    long batch_rows; /* rows written in the open batch, for the log */
    char *json;      /* TRACE_JSON_MAX bytes, reused for every transition */
};

/* Map an (extended) SQLite result code to a negative errno. */
static int err_from_sqlite(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
        return -EEXIST;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return -ENOENT; /* the run / transition / intervention referred to is not there */
    default:
        break;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_READONLY:
        return -EROFS;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return -EACCES;
    case SQLITE_CANTOPEN:
        return -ENOENT;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
        return -EINVAL;
    default:
        return -EIO;
    }
}

/* Log "store: <op>: <sqlite message>" and return the matching negative errno. */
static int fail_sql(st_store *s, int rc, const char *fmt, va_list ap)
{
    char op[256];
    vsnprintf(op, sizeof(op), fmt, ap);
    st_error(s->log, MOD, "%s: %s", op, sqlite3_errmsg(s->db));
    return err_from_sqlite(rc);
}

/* Step st to completion (a RETURNING statement yields its id in *id), then
 * reset it and clear its bindings. In autocommit mode the statement's implicit
 * transaction commits when the step returns SQLITE_DONE, so a 0 return from a
 * durable write means the row is committed. fmt describes the operation for the
 * log and is formatted only on failure. */
static int run_stmt(st_store *s, sqlite3_stmt *st, int64_t *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int run_stmt(st_store *s, sqlite3_stmt *st, int64_t *id, const char *fmt, ...)
{
    int rc, ret = 0, got = 0;
    int64_t v = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!got) v = sqlite3_column_int64(st, 0);
        got = 1;
    }
    if (rc != SQLITE_DONE) {
        va_list ap;
        va_start(ap, fmt);
        ret = fail_sql(s, rc, fmt, ap);
        va_end(ap);
    } else if (id) {
        *id = got ? v : 0;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

/* Bind text of at most cap bytes (struct char arrays may lack a NUL at the end).
 * SQLITE_STATIC is safe: every statement is stepped and cleared before return. */
static int bind_text(sqlite3_stmt *st, int i, const char *v, size_t cap)
{
    if (!v) return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, (int)strnlen(v, cap), SQLITE_STATIC);
}

/* Non-finite numbers (NAN for "no data") are stored as NULL: SQLite has no NaN
 * and SQL aggregates skip NULL, which is what "no data" should mean. */
static int bind_real(sqlite3_stmt *st, int i, double v)
{
    return isfinite(v) ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

static int state_ok(st_state st)
{
    return (unsigned)st < (unsigned)ST_STATE__COUNT;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Commit the open batch, if any. On failure the batch is rolled back (its rows
 * are lost, and the log says how many) so the connection is usable again. */
static int batch_commit(st_store *s)
{
    if (!s->in_batch) return 0;
    int rc = run_stmt(s, s->q[Q_COMMIT], NULL, "commit batch of %ld rows", s->batch_rows);
    if (rc != 0) {
        if (!sqlite3_get_autocommit(s->db))
            run_stmt(s, s->q[Q_ROLLBACK], NULL, "roll back failed batch");
        st_error(s->log, MOD, "%ld batched rows lost", s->batch_rows);
    }
    s->in_batch = 0;
    s->batch_rows = 0;
    return rc;
}

static int batch_begin(st_store *s)
{
    if (s->in_batch) return 0;
    int rc = run_stmt(s, s->q[Q_BEGIN], NULL, "begin batch");
    if (rc == 0) {
        s->in_batch = 1;
        s->batch_rows = 0;
    }
    return rc;
}

/* After a failed batched insert: some errors (disk full, I/O, out of memory)
 * make SQLite roll back the whole transaction, not just the statement. */
static void batch_check_alive(st_store *s)
{
    if (s->in_batch && sqlite3_get_autocommit(s->db)) {
        st_error(s->log, MOD, "batch rolled back by SQLite; %ld batched rows lost", s->batch_rows);
        s->in_batch = 0;
        s->batch_rows = 0;
    }
}

/* A durable write must not sit behind an uncommitted batch: commit it first.
 * A failed batch commit is logged but does not stop the durable write. */
static void durable_prepare(st_store *s)
{
    (void)batch_commit(s);
}

/* Open-time helpers: plain sqlite3_exec, with the database path in messages. */
static int exec_sql(st_store *s, const char *path, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        st_error(s->log, MOD, "%s: %s: %s", path, what, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return err_from_sqlite(rc);
    }
    return 0;
}

static int read_user_version(st_store *s, const char *path, int *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
    }
    st_error(s->log, MOD, "%s: cannot read schema version: %s", path, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return err_from_sqlite(rc);
}

static int refuse_newer(st_store *s, const char *path, int v)
{
    st_error(s->log, MOD,
             "%s: schema version %d is newer than this build's %d; refusing to open "
             "(use a newer stratum, or a copy of the database)",
             path, v, SCHEMA_VERSION);
    return -ENOTSUP;
}

static int set_wal(st_store *s, const char *path)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        st_error(s->log, MOD, "%s: cannot set WAL journal mode: %s", path, sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        return err_from_sqlite(rc);
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    /* An in-memory database has no journal file and answers "memory". */
    const char *fname = sqlite3_db_filename(s->db, "main");
    int mem = !fname || !*fname;
    int ok = mode && (strcmp(mode, "wal") == 0 || (mem && strcmp(mode, "memory") == 0));
    if (!ok)
        st_error(s->log, MOD,
                 "%s: journal mode is \"%s\", not WAL (WAL needs shared memory and a local "
                 "file system)",
                 path, mode ? mode : "?");
    sqlite3_finalize(st);
    return ok ? 0 : -EIO;
}

/* SQL owned by another module that a migration step also runs: the audit
 * chain's tables (src/evidence/audit.c) arrive with version 3, the device
 * registry's (src/wire/registry.c) with version 5. */
static const char *migration_extra(int to_version)
{
    return to_version == 3   ? st_audit_schema_sql()
           : to_version == 5 ? st_registry_schema_sql()
                             : NULL;
}

/* Apply migration steps until the schema is current. The version is re-read
 * inside each write transaction so two processes opening at once cannot apply
 * the same step twice. */
static int migrate(st_store *s, const char *path)
{
    for (;;) {
        int v = 0, rc = exec_sql(s, path, "BEGIN IMMEDIATE", "begin migration");
        if (rc) return rc;
        rc = read_user_version(s, path, &v);
        if (rc == 0 && v > SCHEMA_VERSION) rc = refuse_newer(s, path, v);
        if (rc == 0 && v == SCHEMA_VERSION) {
            s->version = v;
            return exec_sql(s, path, "COMMIT", "end migration");
        }
        if (rc == 0 && v < 0) {
            st_error(s->log, MOD, "%s: invalid schema version %d", path, v);
            rc = -EINVAL;
        }
        if (rc == 0) {
            char what[64], pragma[64];
            snprintf(what, sizeof(what), "migrate schema %d to %d", v, v + 1);
            snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
            rc = exec_sql(s, path, migrations[v], what);
            if (rc == 0 && migration_extra(v + 1))
                rc = exec_sql(s, path, migration_extra(v + 1), what);
            if (rc == 0) rc = exec_sql(s, path, pragma, what);
            if (rc == 0) rc = exec_sql(s, path, "COMMIT", what);
            if (rc == 0) {
                st_info(s->log, MOD, "%s: schema %s version %d", path,
                        v == 0 ? "created at" : "migrated to", v + 1);
                continue;
            }
        }
        if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
}

st_store *st_store_open(const char *path, int sync_full, st_log *log)
{
    st_store *s = NULL;
    int err = EINVAL, rc, v = 0;
    if (!path || !*path) {
        st_error(log, MOD, "open: no database path given");
        goto fail;
    }
    s = calloc(1, sizeof(*s));
    if (s) s->json = malloc(TRACE_JSON_MAX);
    if (!s || !s->json) {
        err = ENOMEM;
        st_error(log, MOD, "%s: out of memory", path);
        goto fail;
    }
    s->log = log;
    /* FULLMUTEX: st_store_db() lends the handle to report readers, which may
     * run on another thread. */
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int sys = s->db ? sqlite3_system_errno(s->db) : 0;
        st_error(log, MOD, "cannot open database %s: %s%s%s%s", path,
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), sys ? " (" : "",
                 sys ? strerror(sys) : "", sys ? ")" : "");
        err = sys ? sys : -err_from_sqlite(rc);
        goto fail;
    }
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        st_error(log, MOD, "cannot open database %s for writing: file or folder is read-only",
                 path);
        err = EROFS;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);

    /* Look before touching: a newer database is refused before WAL or anything
     * else is written to it. This read also catches "file is not a database". */
    if ((rc = read_user_version(s, path, &v)) != 0) goto fail_rc;
    if (v > SCHEMA_VERSION) {
        rc = refuse_newer(s, path, v);
        goto fail_rc;
    }
    if ((rc = set_wal(s, path)) != 0) goto fail_rc;
    /* FULL fsyncs the WAL at every commit (survives power loss); NORMAL syncs
     * only at checkpoints (commits survive a killed process, and the database
     * stays consistent after power loss but may lose the newest commits).
     * See https://www.sqlite.org/pragma.html#pragma_synchronous */
    if ((rc = exec_sql(s, path, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                       "set synchronous")) != 0)
        goto fail_rc;
    if ((rc = exec_sql(s, path, "PRAGMA foreign_keys=ON", "enable foreign keys")) != 0)
        goto fail_rc;
    if ((rc = migrate(s, path)) != 0) goto fail_rc;

    for (int i = 0; i < Q__COUNT; i++) {
        rc = sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL);
        if (rc != SQLITE_OK) {
            st_error(log, MOD, "%s: prepare \"%s\": %s", path, sql_text[i], sqlite3_errmsg(s->db));
            rc = err_from_sqlite(rc);
            goto fail_rc;
        }
    }
    return s;

fail_rc:
    err = -rc;
fail:
    st_store_free(s);
    errno = err;
    return NULL;
}

void st_store_free(st_store *s)
{
    if (!s) return;
    if (s->db) {
        if (s->in_batch && s->q[Q_COMMIT]) (void)batch_commit(s);
        for (int i = 0; i < Q__COUNT; i++) sqlite3_finalize(s->q[i]);
        /* The last connection to close checkpoints the WAL into the database. */
        if (sqlite3_close(s->db) != SQLITE_OK)
            st_error(s->log, MOD, "close: %s", sqlite3_errmsg(s->db));
    }
    free(s->json);
    free(s);
}

int st_store_schema_version(const st_store *s)
{
    return s ? s->version : SCHEMA_VERSION;
}

int64_t st_store_begin_run(st_store *s, const char *label, const char *config_text)
{
    if (!s) return -EINVAL;
    durable_prepare(s);
    sqlite3_stmt *st = s->q[Q_RUN_BEGIN];
    int64_t id = 0;
    sqlite3_bind_double(st, 1, wall_now());
    bind_text(st, 2, label ? label : "", (size_t)-1);
    bind_text(st, 3, config_text, (size_t)-1);
    int rc = run_stmt(s, st, &id, "begin run \"%s\"", label ? label : "");
    return rc ? rc : id;
}

int st_store_end_run(st_store *s, int64_t run, const char *summary_json)
{
    if (!s || run <= 0) return -EINVAL;
    durable_prepare(s);
    sqlite3_stmt *st = s->q[Q_RUN_END];
    int64_t id = 0;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_double(st, 2, wall_now());
    bind_text(st, 3, summary_json, (size_t)-1);
    int rc = run_stmt(s, st, &id, "end run %lld", (long long)run);
    if (rc == 0 && id != run) {
        st_error(s->log, MOD, "end run %lld: no such run", (long long)run);
        return -ENOENT;
    }
    return rc;
}

int64_t st_store_add_transition(st_store *s, int64_t run, const char *zone, const st_trace *tr)
{
    if (!s || run <= 0 || !zone || !*zone || !tr) return -EINVAL;
    if (!isfinite(tr->t) || !state_ok(tr->from) || !state_ok(tr->to)) {
        st_error(s->log, MOD, "insert transition for zone %s: invalid time or state", zone);
        return -EINVAL;
    }
    int n = st_trace_to_json(tr, zone, s->json, TRACE_JSON_MAX);
    if (n < 0) {
        st_error(s->log, MOD, "insert transition for zone %s: trace JSON: %s", zone, strerror(-n));
        return n;
    }
    durable_prepare(s);
    sqlite3_stmt *st = s->q[Q_TRANSITION];
    int64_t id = 0;
    sqlite3_bind_int64(st, 1, run);
    bind_text(st, 2, zone, ST_ID_MAX);
    sqlite3_bind_double(st, 3, tr->t);
    sqlite3_bind_text(st, 4, st_state_name(tr->from), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, st_state_name(tr->to), -1, SQLITE_STATIC);
    bind_real(st, 6, tr->score);
    sqlite3_bind_text(st, 7, s->json, n, SQLITE_STATIC);
    int rc = run_stmt(s, st, &id, "insert transition for zone %s", zone);
    return rc ? rc : id;
}

int64_t st_store_add_intervention(st_store *s, int64_t run, const st_intervention *iv)
{
    if (!s || run <= 0 || !iv) return -EINVAL;
    if (!iv->zone[0] || !isfinite(iv->t) || !state_ok(iv->from) || !state_ok(iv->to) ||
        (unsigned)iv->kind > (unsigned)ST_ACT_ALERT || iv->transition_id < 0) {
        st_error(s->log, MOD,
                 "insert intervention for zone %.*s: invalid zone, time, state, kind or "
                 "transition id",
                 ST_ID_MAX, iv->zone);
        return -EINVAL;
    }
    durable_prepare(s);
    sqlite3_stmt *st = s->q[Q_INTERVENTION];
    int64_t id = 0;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_double(st, 2, iv->t);
    bind_text(st, 3, iv->zone, sizeof(iv->zone));
    sqlite3_bind_text(st, 4, st_act_kind_name(iv->kind), -1, SQLITE_STATIC);
    bind_text(st, 5, iv->name, sizeof(iv->name));
    bind_text(st, 6, iv->rule, sizeof(iv->rule));
    if (iv->transition_id > 0)
        sqlite3_bind_int64(st, 7, iv->transition_id);
    else
        sqlite3_bind_null(st, 7); /* 0: the transition was not stored */
    sqlite3_bind_text(st, 8, st_state_name(iv->from), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, st_state_name(iv->to), -1, SQLITE_STATIC);
    bind_text(st, 10, iv->reason, sizeof(iv->reason));
    int rc = run_stmt(s, st, &id, "insert intervention for zone %.*s", ST_ID_MAX, iv->zone);
    return rc ? rc : id;
}

int st_store_add_minute(st_store *s, int64_t run, const st_minute *m)
{
    if (!s || run <= 0 || !m) return -EINVAL;
    if (!m->zone[0] || !isfinite(m->t) || !state_ok(m->state) || m->n_obs < 0 || m->events < 0) {
        st_error(s->log, MOD,
                 "insert minute for zone %.*s: invalid zone, time, state or negative count",
                 ST_ID_MAX, m->zone);
        return -EINVAL;
    }
    int rc = batch_begin(s);
    if (rc) return rc;
    sqlite3_stmt *st = s->q[Q_MINUTE];
    sqlite3_bind_int64(st, 1, run);
    bind_text(st, 2, m->zone, sizeof(m->zone));
    sqlite3_bind_double(st, 3, m->t);
    sqlite3_bind_int(st, 4, m->n_obs);
    bind_real(st, 5, m->laeq_mean);
    bind_real(st, 6, m->laeq_max);
    bind_real(st, 7, m->occupancy);
    sqlite3_bind_int(st, 8, m->events);
    bind_real(st, 9, m->score_mean);
    bind_real(st, 10, m->score_max);
    sqlite3_bind_text(st, 11, st_state_name(m->state), -1, SQLITE_STATIC);
    rc = run_stmt(s, st, NULL, "insert minute %.0f for zone %.*s", m->t, ST_ID_MAX, m->zone);
    if (rc == 0)
        s->batch_rows++;
    else
        batch_check_alive(s);
    return rc;
}

int st_store_set_playing(st_store *s, int64_t intervention_id, const char *playing)
{
    if (!s || intervention_id <= 0 || !playing) return -EINVAL;
    durable_prepare(s);
    sqlite3_stmt *st = s->q[Q_PLAYING];
    int64_t id = 0;
    sqlite3_bind_int64(st, 1, intervention_id);
    sqlite3_bind_text(st, 2, playing, -1, SQLITE_STATIC);
    int rc = run_stmt(s, st, &id, "set playing of intervention %lld", (long long)intervention_id);
    return rc ? rc : id == intervention_id ? 0 : -ENOENT;
}

int st_store_add_outcome(st_store *s, int64_t intervention_id, double after_s, double t,
                         st_state state)
{
    if (!s || intervention_id <= 0 || !isfinite(after_s) || !isfinite(t) || !state_ok(state)) {
        if (s)
            st_error(s->log, MOD, "insert outcome of intervention %lld: invalid arguments",
                     (long long)intervention_id);
        return -EINVAL;
    }
    int rc = batch_begin(s);
    if (rc) return rc;
    sqlite3_stmt *st = s->q[Q_OUTCOME];
    sqlite3_bind_int64(st, 1, intervention_id);
    sqlite3_bind_double(st, 2, after_s);
    sqlite3_bind_double(st, 3, t);
    sqlite3_bind_text(st, 4, st_state_name(state), -1, SQLITE_STATIC);
    rc = run_stmt(s, st, NULL, "insert outcome of intervention %lld after %g s",
                  (long long)intervention_id, after_s);
    if (rc == 0)
        s->batch_rows++;
    else
        batch_check_alive(s);
    return rc;
}

int st_store_flush(st_store *s)
{
    if (!s) return -EINVAL;
    return batch_commit(s);
}

int st_store_count(st_store *s, const char *table, int64_t *n)
{
    if (!s || !table || !n) return -EINVAL;
    for (size_t i = 0; i < sizeof(count_tables) / sizeof(count_tables[0]); i++) {
        if (strcmp(table, count_tables[i]) != 0) continue;
        int64_t v = 0;
        int rc = run_stmt(s, s->q[Q_COUNT_FIRST + i], &v, "count %s", table);
        if (rc == 0) *n = v;
        return rc;
    }
    st_error(s->log, MOD, "count: unknown table \"%s\"", table);
    return -EINVAL;
}

struct sqlite3 *st_store_db(st_store *s)
{
    return s ? s->db : NULL;
}

/* ---- Evidence: episodes and imported evidence ----
 * A street has a few episodes per zone and hour and imports are operator
 * actions, so these statements are compiled per call (sqlite3_prepare_v3)
 * rather than kept open; every other write uses the statements compiled at open. */

static int prepare_once(st_store *s, const char *sql, sqlite3_stmt **st, const char *what)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, 0, st, NULL);
    if (rc != SQLITE_OK) {
        st_error(s->log, MOD, "%s: prepare: %s", what, sqlite3_errmsg(s->db));
        return err_from_sqlite(rc);
    }
    return 0;
}

int64_t st_store_add_episode(st_store *s, int64_t run, const st_episode *ep)
{
    if (!s || run <= 0 || !ep) return -EINVAL;
    if (!ep->zone[0] || !isfinite(ep->t) || !state_ok(ep->entered) || ep->transition_id < 0 ||
        !memchr(ep->stratum, 0, sizeof(ep->stratum)) ||
        !memchr(ep->policy, 0, sizeof(ep->policy)) || !memchr(ep->arm, 0, sizeof(ep->arm)) ||
        !ep->arm[0] || !(ep->window_s > 0)) {
        st_error(s->log, MOD, "insert episode for zone %.*s: invalid fields", ST_ID_MAX, ep->zone);
        return -EINVAL;
    }
    sqlite3_stmt *st = NULL;
    int64_t id = 0;
    int rc =
        prepare_once(s,
                     "INSERT INTO episodes(run, zone, t, entered, transition_id, stratum,"
                     " policy, arm, seed, draw, window_s, score, laeq, event_rate, occupancy)"
                     " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15) RETURNING id",
                     &st, "insert episode");
    if (rc) return rc;
    char seed[24];
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)ep->seed);
    durable_prepare(s);
    sqlite3_bind_int64(st, 1, run);
    bind_text(st, 2, ep->zone, sizeof(ep->zone));
    sqlite3_bind_double(st, 3, ep->t);
    sqlite3_bind_text(st, 4, st_state_name(ep->entered), -1, SQLITE_STATIC);
    if (ep->transition_id > 0)
        sqlite3_bind_int64(st, 5, ep->transition_id);
    else
        sqlite3_bind_null(st, 5);
    bind_text(st, 6, ep->stratum, sizeof(ep->stratum));
    bind_text(st, 7, ep->policy, sizeof(ep->policy));
    bind_text(st, 8, ep->arm, sizeof(ep->arm));
    sqlite3_bind_text(st, 9, seed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, ep->draw);
    sqlite3_bind_double(st, 11, ep->window_s);
    bind_real(st, 12, ep->score);
    bind_real(st, 13, ep->laeq);
    bind_real(st, 14, ep->event_rate);
    bind_real(st, 15, ep->occupancy);
    rc = run_stmt(s, st, &id, "insert episode for zone %.*s", ST_ID_MAX, ep->zone);
    sqlite3_finalize(st);
    return rc ? rc : id;
}

int st_store_add_episode_outcome(st_store *s, int64_t episode_id, const st_episode_outcome *o)
{
    if (!s || episode_id <= 0 || !o || !isfinite(o->t)) return -EINVAL;
    sqlite3_stmt *st = NULL;
    int rc = prepare_once(s,
                          "INSERT INTO episode_outcomes(episode_id, t, incident, calm_after_s,"
                          " score_max, laeq_max, laeq_end, event_rate_max, event_rate_end)"
                          " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                          &st, "insert episode outcome");
    if (rc) return rc;
    durable_prepare(s);
    sqlite3_bind_int64(st, 1, episode_id);
    sqlite3_bind_double(st, 2, o->t);
    sqlite3_bind_int(st, 3, o->incident ? 1 : 0);
    bind_real(st, 4, o->calm_after_s);
    bind_real(st, 5, o->score_max);
    bind_real(st, 6, o->laeq_max);
    bind_real(st, 7, o->laeq_end);
    bind_real(st, 8, o->event_rate_max);
    bind_real(st, 9, o->event_rate_end);
    rc = run_stmt(s, st, NULL, "insert outcome of episode %lld", (long long)episode_id);
    sqlite3_finalize(st);
    return rc;
}

int64_t st_store_add_evidence_import(st_store *s, const char *city, const char *pk_hex,
                                     const char *sha256_hex, double created, double window_s,
                                     const st_evidence_cell *cells, size_t n)
{
    if (!s || !city || !pk_hex || !sha256_hex || (n && !cells) || !isfinite(created) ||
        !(window_s > 0))
        return -EINVAL;
    sqlite3_stmt *imp = NULL, *cell = NULL, *dup = NULL;
    int64_t id = 0, seen = 0;
    int rc = prepare_once(s, "SELECT count(*) FROM evidence_imports WHERE bundle_sha256 = ?1", &dup,
                          "look up evidence import");
    if (!rc)
        rc = prepare_once(s,
                          "INSERT INTO evidence_imports(imported, city, installation_pk,"
                          " bundle_sha256, created, window_s) VALUES (?1,?2,?3,?4,?5,?6)"
                          " RETURNING id",
                          &imp, "insert evidence import");
    if (!rc)
        rc = prepare_once(s,
                          "INSERT INTO evidence_counts(import_id, arm, stratum, episodes,"
                          " incidents, settled, calm, tc_sum, tc_sumsq)"
                          " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                          &cell, "insert evidence counts");
    if (rc) goto out;
    durable_prepare(s);
    sqlite3_bind_text(dup, 1, sha256_hex, -1, SQLITE_STATIC);
    if ((rc = run_stmt(s, dup, &seen, "look up evidence import")) != 0) goto out;
    if (seen) {
        rc = -EEXIST;
        goto out;
    }
    if ((rc = run_stmt(s, s->q[Q_BEGIN], NULL, "begin evidence import")) != 0) goto out;
    sqlite3_bind_double(imp, 1, wall_now());
    sqlite3_bind_text(imp, 2, city, -1, SQLITE_STATIC);
    sqlite3_bind_text(imp, 3, pk_hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(imp, 4, sha256_hex, -1, SQLITE_STATIC);
    sqlite3_bind_double(imp, 5, created);
    sqlite3_bind_double(imp, 6, window_s);
    rc = run_stmt(s, imp, &id, "insert evidence import from %s", city);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const st_evidence_cell *c = &cells[i];
        sqlite3_bind_int64(cell, 1, id);
        bind_text(cell, 2, c->arm, sizeof(c->arm));
        bind_text(cell, 3, c->stratum, sizeof(c->stratum));
        sqlite3_bind_int64(cell, 4, c->episodes);
        sqlite3_bind_int64(cell, 5, c->incidents);
        sqlite3_bind_int64(cell, 6, c->settled);
        sqlite3_bind_int64(cell, 7, c->calm);
        sqlite3_bind_double(cell, 8, c->tc_sum);
        sqlite3_bind_double(cell, 9, c->tc_sumsq);
        rc = run_stmt(s, cell, NULL, "insert evidence cell %zu", i);
    }
    if (rc == 0) rc = run_stmt(s, s->q[Q_COMMIT], NULL, "commit evidence import");
    if (rc != 0 && !sqlite3_get_autocommit(s->db))
        run_stmt(s, s->q[Q_ROLLBACK], NULL, "roll back evidence import");
out:
    sqlite3_finalize(dup);
    sqlite3_finalize(imp);
    sqlite3_finalize(cell);
    return rc ? rc : id;
}
