/* Unit tests of the narrate vocabulary (interning, growth, counts). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "st_test.h"
#include "stratum/narrate_vocab.h"

static void test_intern(void)
{
    st_vocab *v = st_vocab_new(4);
    CHECK(v != NULL);
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof(buf), "w%d", i);
        CHECK_EQ_INT(st_vocab_intern(v, buf, (size_t)n, st_vocab_hash(buf, (size_t)n)), i);
    }
    CHECK_EQ_INT(st_vocab_size(v), 5000);
    CHECK_EQ_INT(st_vocab_intern(v, "w42", 3, st_vocab_hash("w42", 3)), 42);
    CHECK_EQ_INT(st_vocab_find(v, "w4999", 5, st_vocab_hash("w4999", 5)), 4999);
    CHECK_EQ_INT(st_vocab_find(v, "nope", 4, st_vocab_hash("nope", 4)), -1);
    CHECK_STR(st_vocab_str(v, 123, NULL), "w123");
    st_vocab_add(v, 7, 3);
    st_vocab_add(v, 7, 2);
    CHECK_EQ_INT(st_vocab_count(v, 7), 5);
    CHECK_EQ_INT(st_vocab_intern(v, "", 0, 0), -22);
    /* FNV-1a test vector: "a" -> 0xaf63dc4c8601ec8c */
    CHECK(st_vocab_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
    st_vocab_free(v);
    st_vocab_free(NULL);
}

int main(void)
{
    RUN(test_intern);
    return TEST_END("narrate/vocab");
}
