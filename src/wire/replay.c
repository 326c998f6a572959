/* Anti-replay window per device: RFC 6479 ring bitmap over the most recent counters. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/replay.h"

#include <string.h>

#define NBITS ((uint64_t)ST_REPLAY_BLOCKS * 64)

void st_replay_init(st_replay *w, uint64_t floor)
{
    memset(w, 0, sizeof(*w));
    w->hi = floor;
    /* Counters below the window are refused by position; the ones inside it
     * (and at or below the floor) are marked seen. Counters above the floor
     * in the floor's block stay clear. */
    uint64_t lo = floor >= ST_REPLAY_WINDOW ? floor - ST_REPLAY_WINDOW + 1 : 1;
    for (uint64_t c = lo; c <= floor && c != 0; c++) {
        uint64_t bit = c % NBITS;
        w->bits[bit / 64] |= (uint64_t)1 << (bit % 64);
    }
}

st_replay_verdict st_replay_check(const st_replay *w, uint64_t c)
{
    if (c == 0) return ST_REPLAY_TOO_OLD;
    if (c > w->hi) return ST_REPLAY_OK;
    if (w->hi - c >= ST_REPLAY_WINDOW) return ST_REPLAY_TOO_OLD;
    uint64_t bit = c % NBITS;
    return (w->bits[bit / 64] >> (bit % 64)) & 1 ? ST_REPLAY_SEEN : ST_REPLAY_OK;
}

st_replay_verdict st_replay_accept(st_replay *w, uint64_t c)
{
    st_replay_verdict v = st_replay_check(w, c);
    if (v != ST_REPLAY_OK) return v;
    if (c > w->hi) {
        /* Clear the blocks the window moves over (at most all of them). */
        uint64_t from = w->hi / 64 + 1, to = c / 64;
        if (to - from + 1 >= ST_REPLAY_BLOCKS || to < from) {
            if (to >= from) memset(w->bits, 0, sizeof(w->bits));
        } else {
            for (uint64_t b = from; b <= to; b++) w->bits[b % ST_REPLAY_BLOCKS] = 0;
        }
        w->hi = c;
    }
    uint64_t bit = c % NBITS;
    w->bits[bit / 64] |= (uint64_t)1 << (bit % 64);
    return ST_REPLAY_OK;
}

const char *st_replay_verdict_name(st_replay_verdict v)
{
    switch (v) {
    case ST_REPLAY_OK:
        return "ok";
    case ST_REPLAY_SEEN:
        return "replayed";
    case ST_REPLAY_TOO_OLD:
        return "too-old";
    }
    return "?";
}
