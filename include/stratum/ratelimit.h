/* Token-bucket rate limits per device id, checked before any cryptography. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_RATELIMIT_H
#define STRATUM_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* Each id gets a bucket holding at most `burst` tokens, refilled at `rate`
 * tokens per second; a message spends one token or is refused. Buckets live in
 * a fixed open-addressing table sized at _new (no allocation per message).
 * When the table is full, new ids share one overflow bucket: a flood of
 * invented ids then costs one shared budget, never the known devices' ones. */
typedef struct st_ratelimit st_ratelimit; /* opaque; not thread-safe (one caller thread) */

/* capacity: ids tracked (> 0); rate > 0 tokens/s; burst >= 1.
 * NULL + errno (EINVAL, ENOMEM). Free with st_ratelimit_free. */
st_ratelimit *st_ratelimit_new(size_t capacity, double rate, double burst);
void st_ratelimit_free(st_ratelimit *r);

/* Spend a token of id[0..len) (borrowed) at time now (seconds, any monotonic
 * clock). Returns 1 if allowed, 0 if the bucket is empty. Allocates nothing. */
int st_ratelimit_allow(st_ratelimit *r, const char *id, size_t len, double now);

/* Ids in the table (the overflow bucket not counted). */
size_t st_ratelimit_size(const st_ratelimit *r);

#endif
