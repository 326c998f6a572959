/* Ingest checks for signed envelopes, cheapest first: rate, device, signature, replay... */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_VERIFY_H
#define STRATUM_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/log.h"
#include "stratum/obs.h"
#include "stratum/registry.h"
#include "stratum/sigenv.h"

/* What happened to one message. Every message ends in exactly one verdict, and
 * only ST_V_ACCEPTED yields observations. */
typedef enum st_verdict {
    ST_V_ACCEPTED = 0,
    ST_V_RATE_LIMITED, /* the device's token bucket was empty (checked first, no crypto) */
    ST_V_MALFORMED,    /* not a valid envelope, or topic and envelope name different devices */
    ST_V_UNKNOWN,      /* device not registered */
    ST_V_REVOKED,      /* device revoked */
    ST_V_BAD_SIGNATURE,
    ST_V_REPLAYED,    /* counter already seen, below the window, or before the restart guard */
    ST_V_STALE,       /* timestamp outside [now - max_age_s, now + max_future_s] */
    ST_V_QUARANTINED, /* device below its type's policy: kept, not given to the engine */
    ST_V_BAD_PAYLOAD, /* authentic, but the SenML is invalid or names another device/zone */
    ST_V_DROPPED, /* lost before verification (full queue, oversize); counted by the transport */
    ST_V__COUNT
} st_verdict;

/* "accepted", "rate-limited", "malformed", "unknown-device", "revoked",
 * "bad-signature", "replayed", "stale", "quarantined", "bad-payload", "dropped". */
const char *st_verdict_name(st_verdict v);

typedef struct st_verify_params {
    double rate;          /* token bucket refill, messages/s per device (default 20) */
    double burst;         /* bucket size (default 40) */
    double max_age_s;     /* oldest timestamp accepted (default 120 s: covers broker queueing) */
    double max_future_s;  /* clock skew tolerated ahead of us (default 5 s) */
    double save_every_s;  /* replay high-water marks persisted this often (default 1 s) */
    double stats_every_s; /* counters logged this often, 0 = never (default 60 s) */
    double alert_every_s; /* quarantine alert repeated per device at most this often (600 s) */
    size_t max_devices;   /* rate-limit table size (default 8192) */
    size_t max_records;   /* records per SenML pack (default ST_SENML_MAX_RECORDS) */
} st_verify_params;

void st_verify_params_default(st_verify_params *p);

typedef struct st_verify_stats {
    uint64_t count[ST_V__COUNT]; /* messages by verdict */
    uint64_t records;            /* observations accepted */
} st_verify_stats;

/* Quarantine alert: device id and a sentence, borrowed for the call. The alert
 * module subscribes here; a log line is always written as well. */
typedef void (*st_verify_alert_fn)(void *ctx, const char *device, const char *reason);

/* Details of the last message checked (borrowed view, valid until the next call). */
typedef struct st_verify_info {
    char device[ST_ID_MAX];
    uint64_t counter;
    double t; /* envelope timestamp, epoch seconds */
    char version[ST_VS_MAX];
    char why[160]; /* reason sentence for refusals and quarantine */
} st_verify_info;

typedef struct st_verify st_verify; /* opaque */

/* p is copied; reg and log are borrowed and must outlive the verifier. Restores
 * the replay high-water marks from the registry (st_registry_counters_restore).
 * NULL + errno. */
st_verify *st_verify_new(const st_verify_params *p, st_registry *reg, st_log *log);
/* Saves the high-water marks as a clean shutdown, then frees. NULL ok. */
void st_verify_free(st_verify *v);

void st_verify_set_alert(st_verify *v, st_verify_alert_fn fn, void *ctx);

/* Step 1, before anything else: spend a token of device id[0..len) at mono
 * (seconds, monotonic clock). Returns ST_V_ACCEPTED (go on) or
 * ST_V_RATE_LIMITED (counted). May run on another thread than the rest (the
 * MQTT network thread) but only ever on one. */
st_verdict st_verify_admit(st_verify *v, const char *id, size_t len, double mono);

/* Steps 2..: check envelope buf[0..len) (borrowed) at wall time now (epoch s).
 * topic_device (may be NULL) is the device named by the MQTT topic; it must
 * match the envelope's. On ST_V_ACCEPTED *obs points to the parsed records
 * (borrowed, valid until the next call) and *n is their count; otherwise
 * *n = 0. info (may be NULL) receives details. Every verdict is counted.
 * Allocates nothing (a quarantined message is written to the registry). */
st_verdict st_verify_message(st_verify *v, const char *topic_device, const uint8_t *buf, size_t len,
                             double now, const st_obs **obs, size_t *n, st_verify_info *info);

/* st_verify_message in two steps, so that signatures of queued messages can
 * be checked on several threads while the stateful checks keep queue order.
 *
 * st_verify_precheck: the stateless steps (envelope, topic, known device,
 * revocation, signature) of buf[0..len) into *pre, which borrows buf. Reads
 * the registry's in-memory index, keys and revocations only, never its
 * database: calls may run on several threads at once, and beside
 * st_verify_finish on another message (which writes only replay windows,
 * reported versions and the database), but not beside st_verify_tick or
 * anything else that reloads or changes the registry's devices. Counts
 * nothing. *pre is valid for st_verify_finish until the registry reloads.
 *
 * st_verify_finish: the stateful rest (replay window, restart guard,
 * timestamp window, version policy, SenML) in the order messages arrived;
 * counts the verdict exactly once, like st_verify_message. */
typedef struct st_verify_pre {
    st_sigenv_view env;
    long index;         /* registry index, or -1 */
    st_verdict verdict; /* ST_V_ACCEPTED if every stateless step passed */
    int parsed;         /* env holds a parsed envelope */
    char why[160];
} st_verify_pre;

void st_verify_precheck(const st_verify *v, const char *topic_device, const uint8_t *buf,
                        size_t len, st_verify_pre *pre);
st_verdict st_verify_finish(st_verify *v, const st_verify_pre *pre, double now, const st_obs **obs,
                            size_t *n, st_verify_info *info);

/* Count a verdict decided outside (the transport's ST_V_DROPPED). Thread-safe. */
void st_verify_count(st_verify *v, st_verdict verdict);

/* Housekeeping, from the thread that calls st_verify_message: persist marks
 * every save_every_s, reload the registry when the database changed, log the
 * counters every stats_every_s. 0 or negative errno (logged, not fatal). */
int st_verify_tick(st_verify *v, double now);

/* Counters so far (thread-safe snapshot). */
void st_verify_stats_get(const st_verify *v, st_verify_stats *out);
/* One line "accepted N, bad-signature N, ..." into buf. */
void st_verify_stats_format(const st_verify_stats *s, char *buf, size_t cap);

#endif
