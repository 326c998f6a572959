/* Online signals for the street engine: posts per zone per minute as SenML, aggregates only. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_SIGNALS_H
#define STRATUM_MAP_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

#include "stratum/map_post.h"

/* SenML quantity names and units written per zone and minute (the engine
 * accepts them once they are registered in the obs.h table):
 *   "socialPosts"            count  posts in the minute mentioning the zone
 *   "socialAggressiveShare"  /      share of those posts with an aggressive
 *                                   term (only when socialPosts > 0) */
#define ST_MAP_SIG_POSTS      "socialPosts"
#define ST_MAP_SIG_POSTS_UNIT "count"
#define ST_MAP_SIG_SHARE      "socialAggressiveShare"
#define ST_MAP_SIG_SHARE_UNIT "/"
/* Device id of the records: "<zone>/social/<quantity>". */
#define ST_MAP_SIG_DEVICE "social"

typedef struct st_map_signals st_map_signals;

/* Receives one SenML pack (RFC 8428 JSON array, NUL-terminated, borrowed for
 * the call). Returns 0 to go on, non-zero to stop (passed back up). */
typedef int (*st_map_signals_emit)(void *ctx, const char *pack, size_t len);

/* zones_path: lines "zone-id<TAB>name;name;..." (zone ids [A-Za-z0-9_-]{1,31};
 * names are street, square or venue names; '#' comment lines). terms_path:
 * one aggressive term or phrase per line. Both borrowed. Matching ignores
 * ASCII case and respects word boundaries. window_min: minutes a minute stays
 * open for late posts before it is written (streams); a negative window
 * keeps every minute open until st_map_signals_finish (files). On failure
 * NULL and "FILE:LINE: why" in err. */
st_map_signals *st_map_signals_new(const char *zones_path, const char *terms_path,
                                   int64_t window_min, char *err, size_t cap);
void st_map_signals_free(st_map_signals *s);

/* Count one post (posts without a time are ignored and counted). Packs of
 * minutes that closed are passed to emit. Returns 0, the emitter's non-zero
 * value, or a negative errno. */
int st_map_signals_push(st_map_signals *s, const st_map_post_rec *rec, st_map_signals_emit emit,
                        void *ctx);
/* Write every minute still open, from the first to the last minute seen,
 * zeros included, one pack per zone and minute. */
int st_map_signals_finish(st_map_signals *s, st_map_signals_emit emit, void *ctx);

typedef struct st_map_signals_stats {
    int64_t posts, matched, aggressive, no_time, late, packs;
    size_t zones, terms;
} st_map_signals_stats;
void st_map_signals_get_stats(const st_map_signals *s, st_map_signals_stats *out);

#endif
