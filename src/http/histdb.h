/* Read-only SQLite connections to the evidence store for the HTTP threads. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_HTTP_HISTDB_H
#define STRATUM_HTTP_HISTDB_H

#include <stddef.h>
#include "stratum/log.h"

struct sqlite3;
struct sqlite3_stmt;

#define ST_HISTDB_STMTS 16 /* statement slots cached per connection */

typedef struct st_histdb st_histdb;     /* opaque: a pool of connections */
typedef struct st_histconn st_histconn; /* one pooled connection */

/* A pool of up to nconn read-only connections to the store file at path
 * (copied). Connections are opened on first use (so the pool can be made
 * before the engine creates the file) with SQLITE_OPEN_READONLY, never the
 * engine's handle: WAL lets them read while the engine writes, and they see
 * committed rows only. NULL + errno (EINVAL, ENOMEM). */
st_histdb *st_histdb_new(const char *path, size_t nconn, st_log *log);
void st_histdb_free(st_histdb *d);

/* Borrow a connection (waits while all are in use); NULL if the database
 * cannot be opened (logged once per cause). Give it back with st_histdb_put. */
st_histconn *st_histdb_get(st_histdb *d);
void st_histdb_put(st_histdb *d, st_histconn *c);

/* The statement in slot (0 .. ST_HISTDB_STMTS-1), prepared from sql on first use
 * and reset + unbound on every call. Borrowed; NULL on SQL error (logged). */
struct sqlite3_stmt *st_histconn_stmt(st_histconn *c, int slot, const char *sql);
struct sqlite3 *st_histconn_db(st_histconn *c); /* borrowed */

#endif
