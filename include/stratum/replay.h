/* Anti-replay window per device: highest counter seen plus a bitmap of recent ones (RFC 6479). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_REPLAY_H
#define STRATUM_REPLAY_H

#include <stdint.h>

/* Bitmap of ST_REPLAY_BLOCKS 64-bit blocks used as a ring indexed by counter
 * (RFC 6479, "IPsec Anti-Replay Algorithm without Bit Shifting"): advancing
 * the window clears whole blocks instead of shifting. Counters within
 * ST_REPLAY_WINDOW below the highest one are accepted once each, in any
 * order; older ones are refused. */
#define ST_REPLAY_BLOCKS 8
#define ST_REPLAY_WINDOW ((ST_REPLAY_BLOCKS - 1) * 64) /* 448 counters of reordering */

/* Plain data: one per device, zero-initialised = nothing seen yet (counters
 * start at 1). */
typedef struct st_replay {
    uint64_t hi; /* highest counter accepted, 0 = none */
    uint64_t bits[ST_REPLAY_BLOCKS];
} st_replay;

typedef enum st_replay_verdict {
    ST_REPLAY_OK = 0,  /* new: accepted and recorded */
    ST_REPLAY_SEEN,    /* inside the window and already seen: exact replay */
    ST_REPLAY_TOO_OLD, /* below the window (or below a restored floor) */
} st_replay_verdict;

/* Reset w to "every counter <= floor has been seen" (restored high-water mark
 * after a restart). floor 0 = nothing seen. */
void st_replay_init(st_replay *w, uint64_t floor);

/* Would counter c be accepted? Does not change w. */
st_replay_verdict st_replay_check(const st_replay *w, uint64_t c);

/* Check and, if new, record c. Counter 0 is refused (TOO_OLD). Allocates nothing. */
st_replay_verdict st_replay_accept(st_replay *w, uint64_t c);

/* "ok", "replayed", "too-old" (static). */
const char *st_replay_verdict_name(st_replay_verdict v);

#endif
