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

/* Schema version an opened store is at; with s == NULL, the version this build
 * writes. */
int st_store_schema_version(const st_store *s);

/* Start a run (one night); label and config_text are copied. Returns the run id > 0
 * or a negative errno. */
int64_t st_store_begin_run(st_store *s, const char *label, const char *config_text);
int st_store_end_run(st_store *s, int64_t run, const char *summary_json);

/* Durable writes: when these return an id > 0 the row is committed and survives
 * kill -9. Negative errno on failure. */
int64_t st_store_add_transition(st_store *s, int64_t run, const char *zone, const st_trace *tr);
int64_t st_store_add_intervention(st_store *s, int64_t run, const st_intervention *iv);
/* Durable: record what music was playing (text, copied) with an intervention,
 * once its actuators ran. 0, -ENOENT (no such intervention) or negative errno. */
int st_store_set_playing(st_store *s, int64_t intervention_id, const char *playing);

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

/* ---- Evidence: escalation episodes and imported evidence (docs/evidence.md) ---- */

/* An escalation episode as assigned, written when it starts and before its
 * outcome is known. Plain data. */
typedef struct st_episode {
    char zone[ST_ID_MAX];
    double t;              /* start: time of the transition that opened it */
    st_state entered;      /* ST_TENSE or ST_ESCALATING */
    int64_t transition_id; /* 0 if the transition was not stored */
    char stratum[16];      /* "peak/high"... (st_experiment_stratum_name) */
    char policy[16];       /* rules, fixed, control, random, thompson */
    char arm[ST_ID_MAX];   /* control, an arm name, or rules */
    uint64_t seed;         /* randomisation seed (st_exp_assignment) */
    int64_t draw;          /* position in the stratum's sequence / decision number */
    double window_s;       /* outcome window */
    double score, laeq, event_rate, occupancy; /* at the start (NAN = unknown) */
} st_episode;

/* What the window showed. Plain data. */
typedef struct st_episode_outcome {
    double t;            /* when the window closed */
    int incident;        /* the zone reached incident within the window */
    double calm_after_s; /* first time back below tense, s after the start; NAN if not */
    double score_max, laeq_max, laeq_end, event_rate_max, event_rate_end;
} st_episode_outcome;

/* Durable: the row is committed when the id (> 0) is returned. */
int64_t st_store_add_episode(st_store *s, int64_t run, const st_episode *ep);
/* Durable. -ENOENT for an unknown episode, -EEXIST if it already has one. */
int st_store_add_episode_outcome(st_store *s, int64_t episode_id, const st_episode_outcome *o);

/* Aggregate counts of one (arm, stratum) cell, as bundles carry them. tc_sum
 * and tc_sumsq are sums of min(time to calm, window) and of its square. */
typedef struct st_evidence_cell {
    char arm[ST_ID_MAX];
    char stratum[16];
    long episodes, incidents, settled, calm;
    double tc_sum, tc_sumsq;
} st_evidence_cell;

/* Store one imported bundle (city, installation public key and bundle hash as
 * hex text, its creation time and window) with its cells, in one transaction:
 * either everything is written or nothing. Returns the import id, -EEXIST if a
 * bundle with this hash was imported before, or another negative errno. */
int64_t st_store_add_evidence_import(st_store *s, const char *city, const char *pk_hex,
                                     const char *sha256_hex, double created, double window_s,
                                     const st_evidence_cell *cells, size_t n);

#endif
