/* Evidence store: SQLite (WAL) with a versioned schema and migrations. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_STORE_H
#define STRATUM_STORE_H

#include <stdint.h>
#include "stratum/log.h"
#include "stratum/policy.h"
#include "stratum/zone.h"

/* Per-minute aggregate of one zone. Plain data. */
typedef struct st_minute {
    char zone[ST_ID_MAX];
    double t; /* start of the minute, epoch seconds */
    int n_obs;
    double laeq_mean; /* energy mean of LAeq over the minute, dB; NAN if none */
    double laeq_max;  /* max LAFmax (or LAeq) in the minute, dB; NAN if none */
    double occupancy; /* mean people present */
    int events;       /* raucous events counted */
    double score_mean, score_max;
    st_state state; /* state at the end of the minute */
} st_minute;

typedef struct st_store st_store; /* opaque */

/* Open or create the database at path (":memory:" allowed), in WAL mode, and
 * migrate it to the current schema. sync_full != 0 fsyncs every commit
 * (survives power loss); 0 uses synchronous=NORMAL (survives kill -9 of the
 * process, the documented default for the simulator). log is borrowed.
 * Returns NULL and sets errno on failure, after logging one line that says why:
 * ENOTSUP if the database's schema version is newer than this build's, EROFS if
 * it is read-only. */
st_store *st_store_open(const char *path, int sync_full, st_log *log);
void st_store_free(st_store *s);

/* Schema version this build writes (and that an opened store is at). */
int st_store_schema_version(const st_store *s);

/* Start a run (one night); label and config_text are copied. Returns the run id > 0
 * or a negative errno. */
int64_t st_store_begin_run(st_store *s, const char *label, const char *config_text);
int st_store_end_run(st_store *s, int64_t run, const char *summary_json);

/* Durable writes: when these return an id > 0 the row is committed and survives
 * kill -9. Negative errno on failure. */
int64_t st_store_add_transition(st_store *s, int64_t run, const char *zone, const st_trace *tr);
int64_t st_store_add_intervention(st_store *s, int64_t run, const st_intervention *iv);

/* Batched writes: committed at the next st_store_flush() (the engine flushes
 * once per simulated/real minute). 0 or negative errno: -EEXIST for a
 * (run, zone, t) minute or (intervention, after_s) outcome already written,
 * -ENOENT when the run or intervention does not exist. */
int st_store_add_minute(st_store *s, int64_t run, const st_minute *m);
int st_store_add_outcome(st_store *s, int64_t intervention_id, double after_s, double t,
                         st_state state);
int st_store_flush(st_store *s);

/* Number of rows in one of the tables "runs", "transitions", "interventions",
 * "minutes", "outcomes". 0 or negative errno. */
int st_store_count(st_store *s, const char *table, int64_t *n);

/* The underlying handle, for read-only reports (borrowed). */
struct sqlite3 *st_store_db(st_store *s);

#endif
