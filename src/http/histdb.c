/* Read-only SQLite connections to the evidence store for the HTTP threads. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "http/histdb.h"

struct st_histconn {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_HISTDB_STMTS];
    int busy;
};

struct st_histdb {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int mu_ok, cv_ok;
    char *path;
    st_log *log;
    size_t n;
    st_histconn *conns;
    int last_err; /* last open failure logged, to log each cause once */
};

static void conn_close(st_histconn *c)
{
    for (int i = 0; i < ST_HISTDB_STMTS; i++) sqlite3_finalize(c->stmts[i]);
    memset(c->stmts, 0, sizeof(c->stmts));
    sqlite3_close(c->db);
    c->db = NULL;
}

void st_histdb_free(st_histdb *d)
{
    if (!d) return;
    if (d->conns)
        for (size_t i = 0; i < d->n; i++) conn_close(&d->conns[i]);
    free(d->conns);
    free(d->path);
    if (d->cv_ok) pthread_cond_destroy(&d->cv);
    if (d->mu_ok) pthread_mutex_destroy(&d->mu);
    free(d);
}

st_histdb *st_histdb_new(const char *path, size_t nconn, st_log *log)
{
    st_histdb *d = NULL;
    int err = EINVAL;
    if (!path || !*path || !nconn) goto fail;
    err = ENOMEM;
    if (!(d = calloc(1, sizeof(*d)))) goto fail;
    d->log = log;
    d->n = nconn;
    if (!(d->path = strdup(path)) || !(d->conns = calloc(nconn, sizeof(*d->conns)))) goto fail;
    if (pthread_mutex_init(&d->mu, NULL)) goto fail;
    d->mu_ok = 1;
    if (pthread_cond_init(&d->cv, NULL)) goto fail;
    d->cv_ok = 1;
    return d;
fail:
    st_histdb_free(d);
    errno = err;
    return NULL;
}

/* Open c's connection if needed; 0 or -1. Called without the pool lock. */
static int conn_open(st_histdb *d, st_histconn *c)
{
    if (c->db) return 0;
    /* NOMUTEX: a connection is used by one thread at a time (the pool ensures it). */
    int rc = sqlite3_open_v2(d->path, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(c->db, 2000);
        /* A quick read proves the file is a database we can read. */
        rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        pthread_mutex_lock(&d->mu);
        int first = d->last_err != rc;
        d->last_err = rc;
        pthread_mutex_unlock(&d->mu);
        if (first)
            st_warn(d->log, "http", "cannot open the store %s read-only: %s", d->path,
                    c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        c->db = NULL;
        return -1;
    }
    return 0;
}

st_histconn *st_histdb_get(st_histdb *d)
{
    st_histconn *c = NULL;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        for (size_t i = 0; i < d->n && !c; i++)
            if (!d->conns[i].busy) c = &d->conns[i];
        if (c) break;
        pthread_cond_wait(&d->cv, &d->mu);
    }
    c->busy = 1;
    pthread_mutex_unlock(&d->mu);
    if (conn_open(d, c) < 0) {
        st_histdb_put(d, c);
        return NULL;
    }
    return c;
}

void st_histdb_put(st_histdb *d, st_histconn *c)
{
    if (!c) return;
    /* A statement left mid-step keeps its read snapshot open, which would hide
     * newer commits and hold back WAL checkpoints. */
    for (int i = 0; i < ST_HISTDB_STMTS; i++)
        if (c->stmts[i]) sqlite3_reset(c->stmts[i]);
    pthread_mutex_lock(&d->mu);
    c->busy = 0;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

sqlite3_stmt *st_histconn_stmt(st_histconn *c, int slot, const char *sql)
{
    if (slot < 0 || slot >= ST_HISTDB_STMTS) return NULL;
    sqlite3_stmt *s = c->stmts[slot];
    if (!s) {
        if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
            return NULL; /* e.g. no such table yet: the caller answers 503 */
        c->stmts[slot] = s;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

sqlite3 *st_histconn_db(st_histconn *c)
{
    return c->db;
}
