/* Unit tests of the anti-replay window: exact replays, reordering, window edge, restored floors. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/replay.h"

static void test_in_order_and_exact_replay(void)
{
    st_replay w;
    st_replay_init(&w, 0);
    CHECK_EQ_INT(st_replay_accept(&w, 0), ST_REPLAY_TOO_OLD);
    for (uint64_t c = 1; c <= 1000; c++) CHECK_EQ_INT(st_replay_accept(&w, c), ST_REPLAY_OK);
    CHECK_EQ_INT(w.hi, 1000);
    CHECK_EQ_INT(st_replay_accept(&w, 1000), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_accept(&w, 999), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_accept(&w, 1000 - ST_REPLAY_WINDOW + 1), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_accept(&w, 1000 - ST_REPLAY_WINDOW), ST_REPLAY_TOO_OLD);
    CHECK_EQ_INT(st_replay_accept(&w, 1), ST_REPLAY_TOO_OLD);
}

static void test_reordering(void)
{
    st_replay w;
    st_replay_init(&w, 0);
    /* Evens first, then odds late but inside the window: all accepted once. */
    for (uint64_t c = 2; c <= 400; c += 2) CHECK_EQ_INT(st_replay_accept(&w, c), ST_REPLAY_OK);
    for (uint64_t c = 1; c <= 399; c += 2) CHECK_EQ_INT(st_replay_accept(&w, c), ST_REPLAY_OK);
    int again = 0;
    for (uint64_t c = 1; c <= 400; c++) again += st_replay_accept(&w, c) == ST_REPLAY_OK;
    CHECK_EQ_INT(again, 0);
    /* A jump far ahead clears the window: counters just below the new high are new. */
    CHECK_EQ_INT(st_replay_accept(&w, 100000), ST_REPLAY_OK);
    CHECK_EQ_INT(st_replay_accept(&w, 99999), ST_REPLAY_OK);
    CHECK_EQ_INT(st_replay_accept(&w, 99999), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_accept(&w, 400), ST_REPLAY_TOO_OLD);
}

/* Against a reference set over random shuffled streams with duplicates. */
static void test_random_against_reference(void)
{
    enum { N = 20000 };
    static unsigned char seen[N + 1];
    memset(seen, 0, sizeof(seen));
    st_replay w;
    st_replay_init(&w, 0);
    srand(7);
    uint64_t hi = 0;
    int mismatches = 0;
    for (int k = 0; k < 4 * N; k++) {
        /* Mostly rising with jitter up to 300 back, some replays. */
        uint64_t base = (uint64_t)(k / 4) + 1;
        long c = (long)base - (rand() % 300);
        if (c < 1) c = 1;
        if (c > N) c = N;
        st_replay_verdict want = ST_REPLAY_OK;
        if (hi >= (uint64_t)c && hi - (uint64_t)c >= ST_REPLAY_WINDOW)
            want = ST_REPLAY_TOO_OLD;
        else if (seen[c])
            want = ST_REPLAY_SEEN;
        st_replay_verdict got = st_replay_accept(&w, (uint64_t)c);
        if (got != want) mismatches++;
        if (got == ST_REPLAY_OK) {
            seen[c] = 1;
            if ((uint64_t)c > hi) hi = (uint64_t)c;
        }
    }
    CHECK_EQ_INT(mismatches, 0);
}

static void test_restored_floor(void)
{
    st_replay w;
    st_replay_init(&w, 5000);
    CHECK_EQ_INT(st_replay_check(&w, 5000), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_check(&w, 4999), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_check(&w, 10), ST_REPLAY_TOO_OLD);
    /* A restart must not lock the device out: anything above the floor is new,
     * also when it arrives out of order within the floor's block. */
    CHECK_EQ_INT(st_replay_accept(&w, 5010), ST_REPLAY_OK);
    CHECK_EQ_INT(st_replay_accept(&w, 5001), ST_REPLAY_OK);
    CHECK_EQ_INT(st_replay_accept(&w, 5005), ST_REPLAY_OK);
    CHECK_EQ_INT(st_replay_accept(&w, 5005), ST_REPLAY_SEEN);
    CHECK_EQ_INT(st_replay_accept(&w, 4990), ST_REPLAY_SEEN);
    st_replay_init(&w, UINT64_MAX - 1);
    CHECK_EQ_INT(st_replay_accept(&w, UINT64_MAX), ST_REPLAY_OK);
    CHECK_EQ_INT(st_replay_accept(&w, UINT64_MAX), ST_REPLAY_SEEN);
    CHECK_STR(st_replay_verdict_name(ST_REPLAY_SEEN), "replayed");
}

int main(void)
{
    RUN(test_in_order_and_exact_replay);
    RUN(test_reordering);
    RUN(test_random_against_reference);
    RUN(test_restored_floor);
    return TEST_END("replay");
}
