/* Unit tests of the SenML (RFC 8428) JSON pack writer: exact bytes, numbers, overflow. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "st_test.h"
#include "stratum/senml_writer.h"

static void test_known_pack(void)
{
    char buf[512];
    st_senml_writer w;
    st_senml_writer_init(&w, buf, sizeof buf, "z1", "meter-1", 1700000000.5);
    CHECK_EQ_INT(st_senml_writer_add(&w, "LAeq", "dB", 62.34, 0), 0);
    CHECK_EQ_INT(st_senml_writer_add(&w, "event:shout", "/", 0.87, -0.25), 0);
    CHECK_EQ_INT(st_senml_writer_add(&w, "occupancy", "count", 312, 0), 0);
    CHECK_EQ_INT(st_senml_writer_add_str(&w, "swVersion", "1.0.0", 0), 0);
    int n = st_senml_writer_finish(&w);
    const char *want =
        "[{\"bn\":\"z1/meter-1/\",\"bt\":1700000000.5,\"n\":\"LAeq\",\"u\":\"dB\",\"v\":62.34},"
        "{\"n\":\"event:shout\",\"u\":\"/\",\"v\":0.87,\"t\":-0.25},"
        "{\"n\":\"occupancy\",\"u\":\"count\",\"v\":312},"
        "{\"n\":\"swVersion\",\"vs\":\"1.0.0\"}]";
    CHECK_STR(buf, want);
    CHECK_EQ_INT(n, (int)strlen(want));
    CHECK_EQ_INT(w.nrec, 4);
    CHECK_EQ_INT(w.failed, 0);
}

/* The value printed for v in a one-record pack. */
static const char *value_text(double v, char *buf, size_t cap)
{
    st_senml_writer w;
    st_senml_writer_init(&w, buf, cap, "z", "d", 0);
    if (st_senml_writer_add(&w, "LAeq", "dB", v, 0) || st_senml_writer_finish(&w) < 0)
        return "(failed)";
    char *p = strstr(buf, "\"v\":");
    if (!p) return "(no v)";
    p += 4;
    p[strlen(p) - 2] = '\0'; /* drop "}]" */
    return p;
}

static void test_numbers(void)
{
    char buf[256];
    CHECK_STR(value_text(0, buf, sizeof buf), "0");
    CHECK_STR(value_text(-0.0, buf, sizeof buf), "0");
    CHECK_STR(value_text(12, buf, sizeof buf), "12");
    CHECK_STR(value_text(-0.5, buf, sizeof buf), "-0.5");
    CHECK_STR(value_text(62.123456, buf, sizeof buf), "62.1235");
    CHECK_STR(value_text(0.05, buf, sizeof buf), "0.05");
    CHECK_STR(value_text(0.0001, buf, sizeof buf), "0.0001");
    CHECK_STR(value_text(99.99999, buf, sizeof buf), "100");
    CHECK_STR(value_text(1000000, buf, sizeof buf), "1000000");
    /* Too small for four decimals, too large for the integer path. */
    CHECK_STR(value_text(0.00005, buf, sizeof buf), "0.0001");
    CHECK_STR(value_text(0.00004, buf, sizeof buf), "4e-05");
    CHECK_STR(value_text(-2.5e-7, buf, sizeof buf), "-2.5e-07");
    CHECK_STR(value_text(1e20, buf, sizeof buf), "1e+20");

    /* Base time keeps milliseconds; the last digit past them is rounded. */
    st_senml_writer w;
    st_senml_writer_init(&w, buf, sizeof buf, "z", "d", 1700000000.1236);
    st_senml_writer_add(&w, "LAeq", "dB", 50, 0.0004);
    CHECK(st_senml_writer_finish(&w) > 0);
    CHECK(strstr(buf, "\"bt\":1700000000.124,") != NULL);
    /* A sub-millisecond offset is not 0: it is written, not rounded away. */
    CHECK(strstr(buf, "\"t\":0.0004}") != NULL);
}

static void test_not_finite(void)
{
    char buf[256];
    st_senml_writer w;
    st_senml_writer_init(&w, buf, sizeof buf, "z", "d", 0);
    CHECK(st_senml_writer_add(&w, "LAeq", "dB", NAN, 0) < 0);
    CHECK_EQ_INT(w.failed, 1);
    CHECK_EQ_INT(st_senml_writer_finish(&w), -ENOSPC);
    st_senml_writer_init(&w, buf, sizeof buf, "z", "d", 0);
    CHECK(st_senml_writer_add(&w, "LAeq", "dB", INFINITY, 0) < 0);
    CHECK(st_senml_writer_finish(&w) < 0);
}

static void test_escape(void)
{
    char buf[256];
    st_senml_writer w;
    st_senml_writer_init(&w, buf, sizeof buf, "z", "d", 1);
    st_senml_writer_add_str(&w, "swVersion", "a\"b\\c\n", 0);
    CHECK(st_senml_writer_finish(&w) > 0);
    CHECK_STR(buf,
              "[{\"bn\":\"z/d/\",\"bt\":1,\"n\":\"swVersion\",\"vs\":\"a\\\"b\\\\c\\u000a\"}]");
}

/* Every buffer shorter than the pack fails with -ENOSPC and never writes past cap. */
static void test_enospc(void)
{
    char full[256];
    st_senml_writer w;
    st_senml_writer_init(&w, full, sizeof full, "z1", "cam-1", 1700000000);
    st_senml_writer_add(&w, "peopleIn", "count", 3, 0);
    st_senml_writer_add_str(&w, "swVersion", "1.0.0", 0);
    int n = st_senml_writer_finish(&w);
    CHECK(n > 0);
    int bad = 0;
    for (int cap = 0; cap <= n; cap++) {
        char buf[300];
        memset(buf, 'X', sizeof buf);
        st_senml_writer_init(&w, buf, (size_t)cap, "z1", "cam-1", 1700000000);
        int r1 = st_senml_writer_add(&w, "peopleIn", "count", 3, 0);
        int r2 = st_senml_writer_add_str(&w, "swVersion", "1.0.0", 0);
        int r3 = st_senml_writer_finish(&w);
        /* The pack needs n bytes plus its NUL. */
        if (r3 != -ENOSPC || !w.failed || (r1 == 0 && r2 == 0 && r3 >= 0)) bad++;
        for (size_t i = (size_t)cap; i < sizeof buf; i++)
            if (buf[i] != 'X') {
                bad++;
                break;
            }
    }
    CHECK_EQ_INT(bad, 0);
    char buf[300];
    st_senml_writer_init(&w, buf, (size_t)n + 1, "z1", "cam-1", 1700000000);
    st_senml_writer_add(&w, "peopleIn", "count", 3, 0);
    st_senml_writer_add_str(&w, "swVersion", "1.0.0", 0);
    CHECK_EQ_INT(st_senml_writer_finish(&w), n);
    CHECK_STR(buf, full);
    /* Once failed, later records are refused even if they would fit. */
    st_senml_writer_init(&w, buf, 12, "z1", "cam-1", 1700000000);
    CHECK_EQ_INT(st_senml_writer_add(&w, "peopleIn", "count", 3, 0), -ENOSPC);
    w.cap = sizeof buf;
    CHECK_EQ_INT(st_senml_writer_add(&w, "peopleIn", "count", 3, 0), -ENOSPC);
}

static void test_empty_pack(void)
{
    char buf[8];
    st_senml_writer w;
    st_senml_writer_init(&w, buf, sizeof buf, "z", "d", 0);
    CHECK_EQ_INT(st_senml_writer_finish(&w), 2);
    CHECK_STR(buf, "[]");
}

int main(void)
{
    RUN(test_known_pack);
    RUN(test_numbers);
    RUN(test_not_finite);
    RUN(test_escape);
    RUN(test_enospc);
    RUN(test_empty_pack);
    return TEST_END("senml_writer");
}
