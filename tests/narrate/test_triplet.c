/* Unit tests of triplet proposals with link-grammar on constructed sentences. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "st_test.h"
#include "stratum/narrate_triplet.h"

static st_triplets *tp;

static void test_active_passive(void)
{
    st_triplet t[16];
    int n = st_triplets_sentence(tp,
                                 "Criminals increasingly target critical infrastructure in our "
                                 "cities.",
                                 t, 16);
    CHECK_EQ_INT(n, 1);
    if (n >= 1) {
        CHECK_STR(t[0].subject, "Criminals");
        CHECK_STR(t[0].action, "target");
        CHECK_STR(t[0].object, "critical infrastructure");
        CHECK_STR(t[0].place, "in our cities");
        CHECK(t[0].confidence > 0.5);
    }
    n = st_triplets_sentence(tp, "Critical infrastructure was attacked by terrorists in 2015.", t,
                             16);
    CHECK_EQ_INT(n, 1);
    if (n >= 1) {
        CHECK_STR(t[0].subject, "terrorists"); /* agent first: story grammar */
        CHECK_STR(t[0].object, "Critical infrastructure");
        CHECK_STR(t[0].time, "in 2015");
        CHECK(t[0].passive);
    }
    n = st_triplets_sentence(tp, "The police and the private sector must share information.", t,
                             16);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR(t[0].subject, "police");
        CHECK_STR(t[1].subject, "private sector");
        CHECK_STR(t[1].action, "must share");
    }
    n = st_triplets_sentence(tp, "We will detect and disrupt organised crime groups in London.", t,
                             16);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR(t[1].object, "organised crime groups");
        CHECK_STR(t[1].place, "in London");
    }
}

int main(void)
{
    tp = st_triplets_new(NULL);
    if (!tp) {
        printf("SKIP: link-grammar English dictionary not available (%s)\n", strerror(errno));
        return 77;
    }
    RUN(test_active_passive);
    st_triplets_free(tp);
    return TEST_END("narrate/triplet");
}
