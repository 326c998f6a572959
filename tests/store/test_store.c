/* Unit tests of the SQLite evidence store: schema, migrations, writes, flushes, kill -9. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "st_test.h"
#include "stratum/store.h"

/* Test state travels in one struct: the temp folder and a log we can read back. */
static struct {
    char dir[64];
    char *logbuf;
    size_t loglen, mark;
    FILE *logf;
    st_log *log;
} T;

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", T.dir, name);
}

static int log_open(void)
{
    T.logf = open_memstream(&T.logbuf, &T.loglen);
    T.log = T.logf ? st_log_new(T.logf, ST_LOG_DEBUG) : NULL;
    return T.log ? 0 : -1;
}

/* Forget what was logged so far (matches stay local to one step); the text is
 * echoed to stderr so it stays in the test's output. The log itself lives as
 * long as the program, because open stores borrow it. */
static void log_reset(void)
{
    fflush(T.logf);
    if (T.logbuf && T.loglen > T.mark) fputs(T.logbuf + T.mark, stderr);
    T.mark = T.loglen;
}

static void log_close(void)
{
    log_reset();
    st_log_free(T.log);
    if (T.logf) fclose(T.logf);
    free(T.logbuf);
}

static int logged(const char *needle)
{
    fflush(T.logf);
    return T.logbuf && strstr(T.logbuf + T.mark, needle) != NULL;
}

static void rm_dir_contents(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

static void rm_db(const char *path)
{
    char p[512];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

/* Run a query that returns one integer (or -1 on error / no row). */
static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Run a query that returns one text value into buf ("" on error / NULL). */
static const char *q_text(sqlite3 *db, const char *sql, char *buf, size_t cap)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* The query planner's plan for sql, details joined with ";". */
static const char *q_plan(sqlite3 *db, const char *sql, char *buf, size_t cap)
{
    char eqp[512];
    sqlite3_stmt *st = NULL;
    size_t len = 0;
    buf[0] = '\0';
    snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
    if (sqlite3_prepare_v2(db, eqp, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW && len < cap) {
            const char *d = (const char *)sqlite3_column_text(st, 3);
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ";" : "", d ? d : "");
        }
    }
    sqlite3_finalize(st);
    return buf;
}

static int64_t count(st_store *s, const char *table)
{
    int64_t n = -1;
    if (st_store_count(s, table, &n) != 0) return -1;
    return n;
}

static void fill_trace(st_trace *tr, int seq)
{
    memset(tr, 0, sizeof(*tr));
    tr->t = 1700000000.0 + seq;
    tr->from = (st_state)(seq % 4);
    tr->to = (st_state)(seq % 4 + 1);
    tr->score = 0.25 + (seq % 100) * 0.005;
    tr->occupancy = 120 + seq % 50;
    tr->laeq_short = 78.5;
    tr->laeq_mid = 76.25;
    tr->laeq_long = 71.0;
    tr->baseline_db = 68.0;
    tr->event_rate = 1.5;
    tr->term_crowd = 0.1;
    tr->term_noise = 0.2;
    tr->term_events = 0.05;
    tr->term_trend = 0.03;
    tr->threshold = 0.55;
    tr->held_s = 20;
    tr->dwell_s = 300;
    snprintf(tr->rule, sizeof(tr->rule), "score %.3f >= enter %.2f (seq %d)", tr->score, 0.55, seq);
}

static void fill_iv(st_intervention *iv, int seq, const char *zone, int64_t tid)
{
    memset(iv, 0, sizeof(*iv));
    iv->t = 1700000000.0 + seq + 0.5;
    snprintf(iv->zone, sizeof(iv->zone), "%s", zone);
    iv->kind = (st_act_kind)(seq % 3);
    snprintf(iv->name, sizeof(iv->name), "warm-%d", seq % 7);
    snprintf(iv->rule, sizeof(iv->rule), "calm_down");
    iv->from = (st_state)(seq % 4);
    iv->to = (st_state)(seq % 4 + 1);
    iv->transition_id = tid;
    snprintf(iv->reason, sizeof(iv->reason), "crash test seq %d: zone %s rose", seq, zone);
}

static void fill_minute(st_minute *m, const char *zone, double t)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->zone, sizeof(m->zone), "%s", zone);
    m->t = t;
    m->n_obs = 60;
    m->laeq_mean = 72.5;
    m->laeq_max = 88.0;
    m->occupancy = 140;
    m->events = 2;
    m->score_mean = 0.4;
    m->score_max = 0.6;
    m->state = ST_LIVELY;
}

/* The five tables, the schema version, WAL, foreign keys, the sync setting,
 * and that the dashboard's zone+time query uses an index. */
static void test_open_create(void)
{
    char path[256], buf[256];
    path_in(path, sizeof(path), "create.db");
    for (int sync = 0; sync <= 1; sync++) {
        rm_db(path);
        st_store *s = st_store_open(path, sync, T.log);
        CHECK(s != NULL);
        if (!s) return;
        sqlite3 *db = st_store_db(s);
        CHECK(st_store_schema_version(s) >= 2);
        CHECK_EQ_INT(q_int(db, "PRAGMA user_version"), st_store_schema_version(s));
        CHECK_STR(q_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
        CHECK_EQ_INT(q_int(db, "PRAGMA foreign_keys"), 1);
        CHECK_EQ_INT(q_int(db, "PRAGMA synchronous"), sync ? 2 : 1); /* FULL=2, NORMAL=1 */
        const char *tables[] = {"runs", "transitions", "interventions", "minutes", "outcomes"};
        for (int i = 0; i < 5; i++) CHECK_EQ_INT(count(s, tables[i]), 0);
        int64_t n = 0;
        CHECK_EQ_INT(st_store_count(s, "sqlite_master", &n), -EINVAL);
        CHECK(logged("unknown table"));
        CHECK_STR(q_plan(db, "SELECT * FROM transitions WHERE zone = 'z1' AND t BETWEEN 0 AND 9",
                         buf, sizeof(buf)),
                  "SEARCH transitions USING INDEX transitions_zone_t (zone=? AND t>? AND t<?)");
        CHECK(strstr(q_plan(db, "SELECT * FROM minutes WHERE zone = 'z1' AND t >= 0", buf,
                            sizeof(buf)),
                     "USING INDEX minutes_zone_t") != NULL);
        CHECK(strstr(q_plan(db, "SELECT * FROM interventions WHERE run = 1 ORDER BY t", buf,
                            sizeof(buf)),
                     "USING INDEX interventions_run_t") != NULL);
        st_store_free(s);
        /* Reopening a current database changes nothing. */
        s = st_store_open(path, sync, T.log);
        CHECK(s != NULL);
        if (s)
            CHECK_EQ_INT(q_int(st_store_db(s), "PRAGMA user_version"),
                         st_store_schema_version(NULL));
        st_store_free(s);
    }
    st_store_free(NULL);
    rm_db(path);
    log_reset();
}

static void test_memory(void)
{
    st_store *s = st_store_open(":memory:", 0, T.log);
    CHECK(s != NULL);
    if (!s) return;
    st_trace tr;
    fill_trace(&tr, 1);
    int64_t run = st_store_begin_run(s, "mem", NULL);
    CHECK(run > 0);
    CHECK(st_store_add_transition(s, run, "z1", &tr) > 0);
    st_minute m;
    fill_minute(&m, "z1", 60);
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), 0);
    CHECK_EQ_INT(st_store_flush(s), 0);
    CHECK_EQ_INT(count(s, "transitions"), 1);
    CHECK_EQ_INT(count(s, "minutes"), 1);
    st_store_free(s);
    log_reset();
}

/* The version-1 schema exactly as an older build created it. */
static const char v1_schema[] =
    "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL,"
    " label TEXT NOT NULL DEFAULT '', config TEXT, ended REAL, summary TEXT);"
    "CREATE TABLE transitions (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " run INTEGER NOT NULL REFERENCES runs(id), zone TEXT NOT NULL, t REAL NOT NULL,"
    " from_state TEXT NOT NULL, to_state TEXT NOT NULL, score REAL, trace TEXT NOT NULL);"
    "CREATE TABLE interventions (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " run INTEGER NOT NULL REFERENCES runs(id), t REAL NOT NULL, zone TEXT NOT NULL,"
    " kind TEXT NOT NULL, name TEXT NOT NULL, rule TEXT NOT NULL,"
    " transition_id INTEGER REFERENCES transitions(id), from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL, reason TEXT NOT NULL);"
    "INSERT INTO runs(started, label) VALUES (1700000000, 'old night');"
    "INSERT INTO transitions(run, zone, t, from_state, to_state, score, trace)"
    " VALUES (1, 'z3', 1700000100, 'calm', 'lively', 0.4, '{}');"
    "PRAGMA user_version = 1;";

static void test_migrate_v1(void)
{
    char path[256], buf[128];
    path_in(path, sizeof(path), "v1.db");
    rm_db(path);
    sqlite3 *raw = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw, v1_schema, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);

    st_store *s = st_store_open(path, 0, T.log);
    CHECK(s != NULL);
    if (!s) return;
    char want[80];
    snprintf(want, sizeof(want), "migrated to version %d", st_store_schema_version(NULL));
    CHECK(logged(want));
    sqlite3 *db = st_store_db(s);
    CHECK_EQ_INT(st_store_schema_version(s), st_store_schema_version(NULL));
    CHECK_EQ_INT(q_int(db, "PRAGMA user_version"), st_store_schema_version(NULL));
    /* Old evidence kept, new tables usable, new ids continue after old ones. */
    CHECK_EQ_INT(count(s, "runs"), 1);
    CHECK_STR(q_text(db, "SELECT zone || ':' || to_state FROM transitions", buf, sizeof(buf)),
              "z3:lively");
    st_minute m;
    fill_minute(&m, "z3", 1700000100);
    CHECK_EQ_INT(st_store_add_minute(s, 1, &m), 0);
    CHECK_EQ_INT(st_store_flush(s), 0);
    CHECK_EQ_INT(count(s, "minutes"), 1);
    st_trace tr;
    fill_trace(&tr, 2);
    CHECK_EQ_INT(st_store_add_transition(s, 1, "z3", &tr), 2);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = "
                           "'interventions_zone_t'"),
                 1);
    st_store_free(s);
    rm_db(path);
    log_reset();
}

static void test_refuse_newer(void)
{
    char path[256], buf[64];
    path_in(path, sizeof(path), "newer.db");
    rm_db(path);
    sqlite3 *raw = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    CHECK_EQ_INT(
        sqlite3_exec(raw, "CREATE TABLE future(x); PRAGMA user_version = 99;", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);

    errno = 0;
    st_store *s = st_store_open(path, 0, T.log);
    CHECK(s == NULL);
    CHECK_EQ_INT(errno, ENOTSUP);
    char newer[80];
    snprintf(newer, sizeof(newer), "schema version 99 is newer than this build's %d",
             st_store_schema_version(NULL));
    CHECK(logged(newer));
    CHECK(logged(path));
    st_store_free(s);
    /* The newer database was not touched: same version, journal mode unchanged. */
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    CHECK_EQ_INT(q_int(raw, "PRAGMA user_version"), 99);
    CHECK_STR(q_text(raw, "PRAGMA journal_mode", buf, sizeof(buf)), "delete");
    sqlite3_close(raw);
    rm_db(path);
    log_reset();
}

static void test_open_errors(void)
{
    char path[256], file[200];
    /* A folder that does not exist. */
    path_in(path, sizeof(path), "no/such/folder/s.db");
    errno = 0;
    CHECK(st_store_open(path, 0, T.log) == NULL);
    CHECK(errno != 0);
    CHECK(logged("cannot open database"));
    CHECK(logged(path));
    log_reset();
    /* A "folder" that is a regular file. */
    path_in(file, sizeof(file), "plain");
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("this is not a database, and it is long enough to have a header of 100 bytes "
              "that SQLite will read and reject as not being one.\n",
              f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/s.db", file);
    errno = 0;
    CHECK(st_store_open(path, 0, T.log) == NULL);
    CHECK(errno != 0);
    CHECK(logged(path));
    log_reset();
    /* A file that is not a database. */
    errno = 0;
    CHECK(st_store_open(file, 0, T.log) == NULL);
    CHECK(errno != 0);
    CHECK(logged("not a database"));
    CHECK(logged(file));
    log_reset();
    unlink(file);
    errno = 0;
    CHECK(st_store_open("", 0, T.log) == NULL);
    CHECK_EQ_INT(errno, EINVAL);
    log_reset();
}

static void test_writes(void)
{
    char path[256], buf[4096], sql[256], json[4096];
    path_in(path, sizeof(path), "writes.db");
    rm_db(path);
    st_store *s = st_store_open(path, 0, T.log);
    CHECK(s != NULL);
    if (!s) return;
    sqlite3 *db = st_store_db(s);

    int64_t run = st_store_begin_run(s, "night 1", "[zone z1]\ncapacity = 300\n");
    CHECK(run > 0);
    CHECK_STR(q_text(db, "SELECT label || '|' || config FROM runs", buf, sizeof(buf)),
              "night 1|[zone z1]\ncapacity = 300\n");
    CHECK(q_int(db, "SELECT started > 1600000000 AND ended IS NULL FROM runs") == 1);

    st_trace tr;
    fill_trace(&tr, 2); /* tense -> escalating */
    int64_t tid = st_store_add_transition(s, run, "z1", &tr);
    CHECK(tid > 0);
    snprintf(sql, sizeof(sql),
             "SELECT run || '|' || zone || '|' || t || '|' || from_state || '|' || to_state || "
             "'|' || score FROM transitions WHERE id = %lld",
             (long long)tid);
    CHECK_STR(q_text(db, sql, buf, sizeof(buf)), "1|z1|1700000002.0|tense|escalating|0.26");
    int n = st_trace_to_json(&tr, "z1", json, sizeof(json));
    CHECK(n > 0);
    snprintf(sql, sizeof(sql), "SELECT trace FROM transitions WHERE id = %lld", (long long)tid);
    CHECK_STR(q_text(db, sql, buf, sizeof(buf)), json);
    snprintf(sql, sizeof(sql), "SELECT json_valid(trace) FROM transitions WHERE id = %lld",
             (long long)tid);
    CHECK_EQ_INT(q_int(db, sql), 1);

    st_intervention iv;
    fill_iv(&iv, 2, "z1", tid); /* kind alert */
    int64_t ivid = st_store_add_intervention(s, run, &iv);
    CHECK(ivid > 0);
    snprintf(sql, sizeof(sql),
             "SELECT zone || '|' || kind || '|' || name || '|' || rule || '|' || transition_id "
             "|| '|' || from_state || '|' || to_state || '|' || reason FROM interventions "
             "WHERE id = %lld",
             (long long)ivid);
    snprintf(json, sizeof(json), "z1|alert|warm-2|calm_down|%lld|tense|escalating|%s",
             (long long)tid, iv.reason);
    CHECK_STR(q_text(db, sql, buf, sizeof(buf)), json);
    /* transition_id 0 means "not stored" and becomes NULL. */
    fill_iv(&iv, 3, "z2", 0);
    int64_t iv2 = st_store_add_intervention(s, run, &iv);
    CHECK(iv2 > ivid);
    snprintf(sql, sizeof(sql), "SELECT transition_id IS NULL FROM interventions WHERE id = %lld",
             (long long)iv2);
    CHECK_EQ_INT(q_int(db, sql), 1);

    st_minute m;
    fill_minute(&m, "z1", 1700000040);
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), 0);
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), -EEXIST); /* same (run, zone, t) */
    CHECK(logged("insert minute 1700000040 for zone z1"));
    CHECK_EQ_INT(st_store_add_outcome(s, ivid, 300, 1700000302, ST_LIVELY), 0);
    CHECK_EQ_INT(st_store_add_outcome(s, ivid, 600, 1700000602, ST_CALM), 0);
    CHECK_EQ_INT(st_store_add_outcome(s, ivid, 600, 1700000602, ST_CALM), -EEXIST);
    CHECK_EQ_INT(st_store_add_outcome(s, 999999, 300, 1700000302, ST_CALM), -ENOENT);
    CHECK_EQ_INT(st_store_flush(s), 0);
    CHECK_EQ_INT(count(s, "minutes"), 1);
    CHECK_EQ_INT(count(s, "outcomes"), 2);
    CHECK_STR(q_text(db,
                     "SELECT group_concat(state) FROM (SELECT state FROM outcomes ORDER BY "
                     "after_s)",
                     buf, sizeof(buf)),
              "lively,calm");
    CHECK_STR(q_text(db, "SELECT state FROM minutes", buf, sizeof(buf)), "lively");

    /* Foreign keys: a transition of a run that does not exist. */
    log_reset();
    CHECK_EQ_INT(st_store_add_transition(s, 424242, "z2", &tr), -ENOENT);
    CHECK(logged("insert transition for zone z2: FOREIGN KEY constraint failed"));
    fill_iv(&iv, 4, "z1", 777777);
    CHECK_EQ_INT(st_store_add_intervention(s, run, &iv), -ENOENT);
    /* Invalid arguments are refused before SQL. */
    st_trace bad = tr;
    bad.to = (st_state)17;
    CHECK_EQ_INT(st_store_add_transition(s, run, "z1", &bad), -EINVAL);
    bad = tr;
    bad.t = NAN;
    CHECK_EQ_INT(st_store_add_transition(s, run, "z1", &bad), -EINVAL);
    CHECK_EQ_INT(st_store_add_transition(s, run, "", &tr), -EINVAL);
    CHECK_EQ_INT(st_store_add_transition(s, 0, "z1", &tr), -EINVAL);
    fill_iv(&iv, 5, "z1", tid);
    iv.kind = (st_act_kind)9;
    CHECK_EQ_INT(st_store_add_intervention(s, run, &iv), -EINVAL);
    CHECK_EQ_INT(st_store_add_outcome(s, ivid, NAN, 1, ST_CALM), -EINVAL);
    CHECK_EQ_INT(count(s, "transitions"), 1);
    CHECK_EQ_INT(count(s, "interventions"), 2);

    CHECK_EQ_INT(st_store_end_run(s, run, "{\"transitions\":1}"), 0);
    CHECK(q_int(db, "SELECT ended >= started FROM runs") == 1);
    CHECK_STR(q_text(db, "SELECT summary FROM runs", buf, sizeof(buf)), "{\"transitions\":1}");
    CHECK_EQ_INT(st_store_end_run(s, run + 100, NULL), -ENOENT);
    CHECK_EQ_INT(count(s, "runs"), 1);
    /* A second run gets a new id. */
    CHECK(st_store_begin_run(s, NULL, NULL) == run + 1);
    st_store_free(s);
    rm_db(path);
    log_reset();
}

/* Batched rows are invisible to other connections until a flush, a durable
 * write or st_store_free commits them. */
static void test_flush(void)
{
    char path[256];
    path_in(path, sizeof(path), "flush.db");
    rm_db(path);
    st_store *s = st_store_open(path, 0, T.log);
    CHECK(s != NULL);
    if (!s) return;
    sqlite3 *other = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &other), SQLITE_OK);
    int64_t run = st_store_begin_run(s, "flush", NULL);
    CHECK(run > 0);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM runs"), 1); /* durable: visible at once */

    CHECK_EQ_INT(st_store_flush(s), 0); /* nothing pending */
    st_minute m;
    for (int i = 0; i < 5; i++) {
        fill_minute(&m, "z1", 60.0 * i);
        CHECK_EQ_INT(st_store_add_minute(s, run, &m), 0);
    }
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM minutes"), 0);
    CHECK_EQ_INT(count(s, "minutes"), 5); /* the writer sees its own batch */
    CHECK_EQ_INT(st_store_flush(s), 0);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM minutes"), 5);

    /* A durable write commits the open batch too. */
    fill_minute(&m, "z1", 600);
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), 0);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM minutes"), 5);
    st_trace tr;
    fill_trace(&tr, 7);
    int64_t tid = st_store_add_transition(s, run, "z1", &tr);
    CHECK(tid > 0);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM minutes"), 6);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM transitions"), 1);

    /* The same for an intervention, and for outcomes. */
    st_intervention iv;
    fill_iv(&iv, 7, "z1", tid);
    int64_t ivid = st_store_add_intervention(s, run, &iv);
    CHECK(ivid > 0);
    CHECK_EQ_INT(st_store_add_outcome(s, ivid, 60, 1700000067, ST_TENSE), 0);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM outcomes"), 0);
    fill_iv(&iv, 8, "z1", tid);
    CHECK(st_store_add_intervention(s, run, &iv) > ivid);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM outcomes"), 1);

    /* st_store_free commits what is pending. */
    fill_minute(&m, "z2", 600);
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), 0);
    st_store_free(s);
    CHECK_EQ_INT(q_int(other, "SELECT count(*) FROM minutes"), 7);
    sqlite3_close(other);
    rm_db(path);
    log_reset();
}

/* NAN means "no data": stored as NULL, skipped by aggregates. Non-finite keys
 * are refused. */
static void test_nan(void)
{
    st_store *s = st_store_open(":memory:", 0, T.log);
    CHECK(s != NULL);
    if (!s) return;
    sqlite3 *db = st_store_db(s);
    char buf[128];
    int64_t run = st_store_begin_run(s, "nan", NULL);
    st_minute m;
    fill_minute(&m, "z1", 0);
    m.laeq_mean = NAN;
    m.laeq_max = NAN;
    m.occupancy = INFINITY;
    m.n_obs = 0;
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), 0);
    fill_minute(&m, "z1", 60);
    m.laeq_mean = 70;
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), 0);
    fill_minute(&m, "z1", NAN);
    CHECK_EQ_INT(st_store_add_minute(s, run, &m), -EINVAL);
    CHECK_EQ_INT(st_store_flush(s), 0);
    CHECK_STR(q_text(db,
                     "SELECT typeof(laeq_mean) || typeof(laeq_max) || typeof(occupancy) || "
                     "typeof(score_mean) FROM minutes WHERE t = 0",
                     buf, sizeof(buf)),
              "nullnullnullreal");
    CHECK_NEAR((double)q_int(db, "SELECT avg(laeq_mean) * 1000 FROM minutes"), 70000, 0.5);
    st_trace tr;
    fill_trace(&tr, 3);
    tr.score = NAN;
    tr.laeq_short = NAN;
    int64_t tid = st_store_add_transition(s, run, "z1", &tr);
    CHECK(tid > 0);
    CHECK_STR(q_text(db, "SELECT typeof(score) FROM transitions", buf, sizeof(buf)), "null");
    /* The trace is whatever st_trace_to_json made of the NANs; it must stay JSON. */
    CHECK_EQ_INT(q_int(db, "SELECT json_valid(trace) FROM transitions"), 1);
    st_store_free(s);
    log_reset();
}

/* ---- kill -9 ------------------------------------------------------------- */

enum { R_RUN = 1, R_TRANSITION, R_INTERVENTION, R_FLUSHED, R_ERROR };
typedef struct rec {
    int kind, seq;
    int64_t id;
} rec;

#define CRASH_KILL_AFTER 400 /* transitions reported before the parent kills */
#define CRASH_MAX_SEQ    200000

static const char *const crash_zones[] = {"z1", "z2", "z3", "z4", "z5"};

static void put(int fd, int kind, int seq, int64_t id)
{
    rec r = {kind, seq, id};
    /* A write of <= PIPE_BUF bytes to a pipe is atomic (POSIX). */
    if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r)) _exit(3);
}

/* Child: write as fast as it can; report each id only after the call returned. */
static void crash_child(const char *path, int fd)
{
    st_store *s = st_store_open(path, 0, NULL);
    if (!s) put(fd, R_ERROR, 0, -errno);
    int64_t run = st_store_begin_run(s, "crash", NULL);
    if (run <= 0) put(fd, R_ERROR, 0, run);
    put(fd, R_RUN, 0, run);
    st_trace tr;
    st_intervention iv;
    st_minute m;
    for (int seq = 0; seq < CRASH_MAX_SEQ; seq++) {
        const char *zone = crash_zones[seq % 5];
        fill_trace(&tr, seq);
        int64_t tid = st_store_add_transition(s, run, zone, &tr);
        if (tid <= 0) put(fd, R_ERROR, seq, tid);
        put(fd, R_TRANSITION, seq, tid);
        fill_iv(&iv, seq, zone, tid);
        int64_t ivid = st_store_add_intervention(s, run, &iv);
        if (ivid <= 0) put(fd, R_ERROR, seq, ivid);
        put(fd, R_INTERVENTION, seq, ivid);
        fill_minute(&m, "z1", 60.0 * seq);
        if (st_store_add_minute(s, run, &m) != 0) put(fd, R_ERROR, seq, -1);
        if (seq % 10 == 9) {
            if (st_store_flush(s) != 0) put(fd, R_ERROR, seq, -2);
            put(fd, R_FLUSHED, seq, 0);
        }
    }
    put(fd, R_ERROR, CRASH_MAX_SEQ, 0); /* never killed: the parent fails the test */
    _exit(2);
}

static void crash_round(const char *path, rec *recs, size_t cap)
{
    int p[2];
    CHECK_EQ_INT(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid < 0) return;
    if (pid == 0) {
        close(p[0]);
        crash_child(path, p[1]);
    }
    close(p[1]);
    size_t n = 0;
    int transitions = 0, killed = 0, errors = 0;
    rec r;
    /* Read until EOF: after SIGKILL the records still in the pipe are all for
     * calls that had returned, so they count too. */
    while (read(p[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
        if (r.kind == R_ERROR) {
            errors++;
            fprintf(stderr, "crash child: error at seq %d: %lld\n", r.seq, (long long)r.id);
        }
        if (n < cap) recs[n++] = r;
        if (r.kind == R_TRANSITION && ++transitions == CRASH_KILL_AFTER && !killed) {
            kill(pid, SIGKILL);
            killed = 1;
        }
    }
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_EQ_INT(errors, 0);
    CHECK(killed);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    st_store *s = st_store_open(path, 0, T.log);
    CHECK(s != NULL);
    if (!s) return;
    sqlite3 *db = st_store_db(s);
    char buf[4096], json[4096];
    CHECK_STR(q_text(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);

    sqlite3_stmt *qt = NULL, *qi = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT run, zone, t, from_state, to_state, score, trace FROM transitions"
                       " WHERE id = ?",
                       -1, &qt, NULL);
    sqlite3_prepare_v2(db,
                       "SELECT run, zone, t, kind, name, transition_id, reason FROM"
                       " interventions WHERE id = ?",
                       -1, &qi, NULL);
    int64_t run = 0;
    int bad = 0, nt = 0, ni = 0, flushed = -1;
    int64_t last_tid = 0;
    st_trace tr;
    st_intervention iv;
    for (size_t i = 0; i < n; i++) {
        r = recs[i];
        const char *zone = crash_zones[r.seq % 5];
        if (r.kind == R_RUN) run = r.id;
        if (r.kind == R_FLUSHED) flushed = r.seq;
        if (r.kind == R_TRANSITION) {
            nt++;
            last_tid = r.id;
            fill_trace(&tr, r.seq);
            st_trace_to_json(&tr, zone, json, sizeof(json));
            sqlite3_bind_int64(qt, 1, r.id);
            int ok =
                sqlite3_step(qt) == SQLITE_ROW && sqlite3_column_int64(qt, 0) == run &&
                strcmp((const char *)sqlite3_column_text(qt, 1), zone) == 0 &&
                sqlite3_column_double(qt, 2) == tr.t &&
                strcmp((const char *)sqlite3_column_text(qt, 3), st_state_name(tr.from)) == 0 &&
                strcmp((const char *)sqlite3_column_text(qt, 4), st_state_name(tr.to)) == 0 &&
                sqlite3_column_double(qt, 5) == tr.score &&
                strcmp((const char *)sqlite3_column_text(qt, 6), json) == 0;
            if (!ok) bad++, fprintf(stderr, "transition %lld missing or wrong\n", (long long)r.id);
            sqlite3_reset(qt);
        }
        if (r.kind == R_INTERVENTION) {
            ni++;
            fill_iv(&iv, r.seq, zone, last_tid);
            sqlite3_bind_int64(qi, 1, r.id);
            int ok =
                sqlite3_step(qi) == SQLITE_ROW && sqlite3_column_int64(qi, 0) == run &&
                strcmp((const char *)sqlite3_column_text(qi, 1), zone) == 0 &&
                sqlite3_column_double(qi, 2) == iv.t &&
                strcmp((const char *)sqlite3_column_text(qi, 3), st_act_kind_name(iv.kind)) == 0 &&
                strcmp((const char *)sqlite3_column_text(qi, 4), iv.name) == 0 &&
                sqlite3_column_int64(qi, 5) == last_tid &&
                strcmp((const char *)sqlite3_column_text(qi, 6), iv.reason) == 0;
            if (!ok)
                bad++, fprintf(stderr, "intervention %lld missing or wrong\n", (long long)r.id);
            sqlite3_reset(qi);
        }
    }
    sqlite3_finalize(qt);
    sqlite3_finalize(qi);
    CHECK(run > 0);
    CHECK(nt >= CRASH_KILL_AFTER);
    CHECK_EQ_INT(bad, 0);
    /* At most one committed row per table whose report the kill cut off. */
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM transitions WHERE run = %lld", (long long)run);
    int64_t dbt = q_int(db, sql);
    CHECK(dbt >= nt && dbt <= nt + 1);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM interventions WHERE run = %lld",
             (long long)run);
    int64_t dbi = q_int(db, sql);
    CHECK(dbi >= ni && dbi <= ni + 1);
    /* Every flushed minute is there (later ones may be: a durable write commits the batch). */
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM minutes WHERE run = %lld AND t <= %d",
             (long long)run, 60 * flushed);
    CHECK(flushed >= 0);
    CHECK_EQ_INT(q_int(db, sql), flushed + 1);
    printf("crash round: %d transitions, %d interventions reported; %lld and %lld in the "
           "database; minutes flushed through seq %d\n",
           nt, ni, (long long)dbt, (long long)dbi, flushed);
    st_store_free(s);
}

static void test_kill9(void)
{
    char path[256];
    path_in(path, sizeof(path), "crash.db");
    rm_db(path);
    size_t cap = 4 * CRASH_KILL_AFTER + 20000; /* reports still queued in the pipe fit too */
    rec *recs = calloc(cap, sizeof(*recs));
    CHECK(recs != NULL);
    if (!recs) return;
    /* Several rounds on the same file: each reopen recovers the WAL, and ids
     * keep growing across crashes. */
    for (int round = 0; round < 3; round++) crash_round(path, recs, cap);
    char buf[64];
    st_store *s = st_store_open(path, 0, T.log);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_INT(count(s, "runs"), 3);
        CHECK_STR(q_text(st_store_db(s), "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    }
    st_store_free(s);
    free(recs);
    rm_db(path);
    log_reset();
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A measurement, not a timed test (STYLE.md item 14): it prints, never fails on time. */
static void test_rate(void)
{
    char path[256];
    path_in(path, sizeof(path), "rate.db");
    for (int sync = 0; sync <= 1; sync++) {
        rm_db(path);
        st_store *s = st_store_open(path, sync, T.log);
        CHECK(s != NULL);
        if (!s) return;
        int64_t run = st_store_begin_run(s, "rate", NULL);
        st_trace tr;
        int n = 0, errs = 0;
        double t0 = mono(), el = 0;
        while (n < 20000 && (el = mono() - t0) < 0.5) {
            fill_trace(&tr, n);
            if (st_store_add_transition(s, run, crash_zones[n % 5], &tr) <= 0) errs++;
            n++;
        }
        CHECK_EQ_INT(errs, 0);
        CHECK_EQ_INT(count(s, "transitions"), n);
        printf("durable transition inserts, synchronous=%s: %d in %.3f s = %.0f/s\n",
               sync ? "FULL" : "NORMAL", n, el, n / (el > 0 ? el : 1e-9));
        st_store_free(s);
    }
    rm_db(path);
    log_reset();
}

int main(void)
{
    snprintf(T.dir, sizeof(T.dir), "/tmp/stratum-store-XXXXXX");
    if (!mkdtemp(T.dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (log_open() != 0) {
        perror("log");
        return 1;
    }
    RUN(test_open_create);
    RUN(test_memory);
    RUN(test_migrate_v1);
    RUN(test_refuse_newer);
    RUN(test_open_errors);
    RUN(test_writes);
    RUN(test_flush);
    RUN(test_nan);
    RUN(test_kill9);
    RUN(test_rate);
    log_close();
    rm_dir_contents(T.dir);
    rmdir(T.dir);
    return TEST_END("store");
}
