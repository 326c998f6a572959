/* Unit tests of the SenML (RFC 8428) pack parser: resolution, validation, errors, recovery. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/senml.h"

#define NOW 1764270000.0

/* The parser under test and the last result (one test program, one thread). */
typedef struct fixture {
    st_senml *p;
    const st_obs *out;
    st_senml_err err;
    char msg[256];
} fixture;
static fixture fx;

static int parse_n(const char *s, size_t len)
{
    memset(&fx.err, 0, sizeof(fx.err));
    fx.err.record = -99;
    int rc = st_senml_parse(fx.p, s, len, NOW, &fx.out, &fx.err);
    st_senml_err_format(&fx.err, fx.msg, sizeof(fx.msg));
    return rc;
}

static int parse(const char *s)
{
    return parse_n(s, strlen(s));
}

#define GOOD                                                                                       \
    "[{\"bn\":\"z1/meter-1/\",\"bt\":1764270000,\"n\":\"LAeq\",\"u\":\"dB\",\"v\":62.5},"          \
    "{\"n\":\"LAFmax\",\"u\":\"dB\",\"v\":70.1,\"t\":0.5},"                                        \
    "{\"n\":\"LCpeak\",\"u\":\"dB\",\"v\":88},"                                                    \
    "{\"n\":\"band:31.5\",\"u\":\"dB\",\"v\":40.25},"                                              \
    "{\"n\":\"event:glass\",\"u\":\"/\",\"v\":0.75},"                                              \
    "{\"n\":\"crowd\",\"u\":\"/\",\"v\":0.4}]"

/* The good pack parses to exactly these records. */
static void check_good(void)
{
    int rc = parse(GOOD);
    CHECK_EQ_INT(rc, 6);
    if (rc != 6 || !fx.out) return;
    const st_obs *o = fx.out;
    for (int i = 0; i < 6; i++) {
        CHECK_STR(o[i].zone, "z1");
        CHECK_STR(o[i].device, "meter-1");
        CHECK_NEAR(o[i].ut, 0, 0);
    }
    CHECK_STR(o[0].name, "LAeq");
    CHECK_STR(o[0].unit, "dB");
    CHECK_EQ_INT(o[0].qty, ST_Q_LAEQ);
    CHECK_NEAR(o[0].v, 62.5, 0);
    CHECK_NEAR(o[0].t, 1764270000, 0);
    CHECK_EQ_INT(o[1].qty, ST_Q_LAFMAX);
    CHECK_NEAR(o[1].t, 1764270000.5, 0);
    CHECK_EQ_INT(o[2].qty, ST_Q_LCPEAK);
    CHECK_NEAR(o[2].v, 88, 0);
    CHECK_EQ_INT(o[3].qty, ST_Q_BAND);
    CHECK_EQ_INT(o[3].sub, 32);
    CHECK_STR(o[3].name, "band:31.5");
    CHECK_NEAR(o[3].v, 40.25, 0);
    CHECK_EQ_INT(o[4].qty, ST_Q_EVENT);
    CHECK_EQ_INT(o[4].sub, ST_EV_GLASS);
    CHECK_STR(o[4].unit, "/");
    CHECK_EQ_INT(o[5].qty, ST_Q_CROWD);
    CHECK_NEAR(o[5].v, 0.4, 0);
    CHECK_STR(o[5].vs, "");
}

static void test_good_pack(void)
{
    check_good();
    /* Pretty-printed over several lines, in any field order. */
    const char *pretty = "\n [\n  {\n   \"v\" : 62.5 ,\r\n   \"u\":\"dB\",\t\"n\":\"LAeq\",\n"
                         "   \"bt\":1764270000, \"bn\" : \"z1/meter-1/\"\n  }\n ]\n";
    CHECK_EQ_INT(parse(pretty), 1);
    if (fx.out) CHECK_NEAR(fx.out[0].v, 62.5, 0);
}

static void test_base_fields(void)
{
    /* bn concatenates, bt adds, bu is the default unit and u overrides it, bv
     * adds to v; a later bn/bt replaces the earlier one for later records. */
    const char *s = "[{\"bn\":\"z1/\",\"bt\":1764270000,\"bu\":\"dB\",\"bv\":50,"
                    "\"n\":\"meter-1/LAeq\",\"v\":12.5,\"t\":-2},"
                    "{\"n\":\"meter-1/crowd\",\"u\":\"/\",\"v\":0.25,\"bv\":0},"
                    "{\"bn\":\"z2/cam-7/\",\"bt\":1764271000,\"n\":\"peopleIn\",\"u\":\"count\","
                    "\"v\":3,\"t\":1},"
                    "{\"n\":\"LAeq\",\"v\":70}]";
    CHECK_EQ_INT(parse(s), 4);
    if (!fx.out) return;
    const st_obs *o = fx.out;
    CHECK_STR(o[0].zone, "z1");
    CHECK_STR(o[0].device, "meter-1");
    CHECK_STR(o[0].unit, "dB");
    CHECK_NEAR(o[0].v, 62.5, 0);
    CHECK_NEAR(o[0].t, 1764269998, 0);
    /* bv set to 0 in its own record applies to that record. */
    CHECK_NEAR(o[1].v, 0.25, 0);
    CHECK_STR(o[1].unit, "/");
    CHECK_NEAR(o[1].t, 1764270000, 0);
    CHECK_STR(o[2].zone, "z2");
    CHECK_STR(o[2].device, "cam-7");
    CHECK_EQ_INT(o[2].qty, ST_Q_PEOPLE_IN);
    CHECK_NEAR(o[2].t, 1764271001, 0);
    CHECK_STR(o[3].zone, "z2");
    CHECK_STR(o[3].unit, "dB"); /* bu carries on */
    CHECK_NEAR(o[3].v, 70, 0);  /* bv is 0 now */
    CHECK_NEAR(o[3].t, 1764271000, 0);
    /* bn alone names the record when n is absent. */
    CHECK_EQ_INT(parse("[{\"bn\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":60,\"t\":1764270000}]"), 1);
    if (fx.out) CHECK_STR(fx.out[0].name, "LAeq");
}

static void test_base_only_record(void)
{
    /* A header record of base fields alone makes no observation. */
    CHECK_EQ_INT(parse("[{\"bn\":\"z1/m1/\",\"bt\":1764270000,\"bver\":10,\"x-note\":\"hi\"},"
                       "{\"n\":\"LAeq\",\"u\":\"dB\",\"v\":60}]"),
                 1);
    if (fx.out) {
        CHECK_STR(fx.out[0].device, "m1");
        CHECK_NEAR(fx.out[0].t, 1764270000, 0);
    }
    /* A pack with nothing but a header is refused. */
    CHECK_EQ_INT(parse("[{\"bn\":\"z1/m1/\",\"bt\":1764270000}]"), -EINVAL);
    CHECK(strstr(fx.msg, "no measurement") != NULL);
    /* A record with a name but no value is refused. */
    CHECK_EQ_INT(parse("[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\"}]"), -EINVAL);
    CHECK_STR(fx.msg, "record 0 field \"v\": record has no value field (v, vs or vb)");
    CHECK_EQ_INT(parse("[{}]"), -EINVAL);
    CHECK_EQ_INT(parse("[{\"unknown\":1}]"), -EINVAL);
}

static void test_time(void)
{
    /* Relative times (|t| < 2^28, RFC 8428 section 4.5.3) are from now. */
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1}]"), 1);
    if (fx.out) CHECK_NEAR(fx.out[0].t, NOW, 0);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"t\":-5.5}]"), 1);
    if (fx.out) CHECK_NEAR(fx.out[0].t, NOW - 5.5, 0);
    CHECK_EQ_INT(parse("[{\"bt\":-10,\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"t\":2}]"), 1);
    if (fx.out) CHECK_NEAR(fx.out[0].t, NOW - 8, 0);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"t\":268435455}]"), 1);
    if (fx.out) CHECK_NEAR(fx.out[0].t, NOW + 268435455, 0);
    /* 2^28 itself is absolute (1978). */
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"t\":268435456}]"), 1);
    if (fx.out) CHECK_NEAR(fx.out[0].t, 268435456, 0);
    /* Milliseconds sent as seconds. */
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"t\":1764270000000}]"), -EINVAL);
    CHECK_STR(fx.msg, "record 0 field \"t\": time 1764270000000 is after 2100 (milliseconds "
                      "sent as seconds?)");
    CHECK_EQ_INT(parse("[{\"bt\":1764270000000,\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1}]"),
                 -EINVAL);
    CHECK_EQ_INT(fx.err.record, 0);
    CHECK_STR(fx.err.field, "bt");
    /* Far in the past. */
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"t\":-300000000}]"), -EINVAL);
    CHECK(strstr(fx.msg, "before 1978") != NULL);
    /* A relative time with a bad `now` resolves before 1978. */
    CHECK_EQ_INT(st_senml_parse(fx.p, "[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1}]", 32, 0, &fx.out,
                                &fx.err),
                 -EINVAL);
    /* Update time. */
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"ut\":60}]"), 1);
    if (fx.out) CHECK_NEAR(fx.out[0].ut, 60, 0);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1,\"ut\":-1}]"), -EINVAL);
    CHECK_STR(fx.err.field, "ut");
}

static void test_value_kinds(void)
{
    /* vb is an event's yes/no (1/0). */
    CHECK_EQ_INT(parse("[{\"bn\":\"z/d/\",\"n\":\"event:bang\",\"u\":\"/\",\"vb\":true},"
                       "{\"n\":\"event:shout\",\"u\":\"/\",\"vb\":false}]"),
                 2);
    if (fx.out) {
        CHECK_NEAR(fx.out[0].v, 1, 0);
        CHECK_EQ_INT(fx.out[0].sub, ST_EV_BANG);
        CHECK_NEAR(fx.out[1].v, 0, 0);
    }
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"vb\":true}]"), -EINVAL);
    CHECK_STR(fx.err.field, "vb");
    /* vs is for swVersion only, with escapes decoded to UTF-8; no unit. */
    CHECK_EQ_INT(parse("[{\"bu\":\"dB\",\"n\":\"z/d/swVersion\",\"vs\":\"1.4.2-\\u00e9\\\"\"}]"),
                 1);
    if (fx.out) {
        CHECK_STR(fx.out[0].vs, "1.4.2-\xc3\xa9\"");
        CHECK_STR(fx.out[0].unit, "");
        CHECK_EQ_INT(fx.out[0].qty, ST_Q_SW_VERSION);
    }
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"\\ud83d\\ude00\"}]"), 1);
    if (fx.out) CHECK_STR(fx.out[0].vs, "\xf0\x9f\x98\x80");
    /* Every JSON escape, a three-byte character both escaped and raw. */
    CHECK_EQ_INT(
        parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"\\u20ac\xe2\x82\xac\\/\\b\\f\\r\\t\\n\\\\\"}]"),
        1);
    if (fx.out) CHECK_STR(fx.out[0].vs, "\xe2\x82\xac\xe2\x82\xac/\b\f\r\t\n\\");
    /* Overlong, surrogate and truncated UTF-8 are refused. */
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"\xe0\x80\xaf\"}]"), -EINVAL);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"\xed\xa0\x80\"}]"), -EINVAL);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"ab\xe2\x82\"}]"), -EINVAL);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"\\udc00\"}]"), -EINVAL);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"\\ud83d\"}]"), -EINVAL);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"a\\u0000b\"}]"), -EINVAL);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"\xff\xfe\"}]"), -EINVAL);
    CHECK_STR(fx.err.field, "vs");
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"0123456789012345678901234567890\"}]"),
                 1);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"vs\":\"01234567890123456789012345678901\"}]"),
                 -EINVAL);
    CHECK(strstr(fx.msg, "longer than 31 bytes") != NULL);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"u\":\"dB\",\"vs\":\"1\"}]"), -EINVAL);
    CHECK_STR(fx.err.field, "u");
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/swVersion\",\"v\":1}]"), -EINVAL);
    CHECK_STR(fx.msg, "record 0 field \"v\": swVersion needs a string value (vs)");
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"vs\":\"60\"}]"), -EINVAL);
    CHECK_STR(fx.msg, "record 0 field \"vs\": LAeq needs a numeric value (v)");
}

/* Each entry: input, expected return, expected record, expected field, and a
 * piece of the message. */
typedef struct bad_case {
    const char *in;
    int rc, record;
    const char *field, *msg;
} bad_case;

#define R(name, rest) "[{\"n\":\"" name "\"" rest "}]"
#define L(rest)       R("z1/m1/LAeq", ",\"u\":\"dB\"" rest)

static const bad_case bad_cases[] = {
    /* JSON syntax */
    {"", -EINVAL, -1, "", "empty input"},
    {"   \n", -EINVAL, -1, "", "empty input"},
    {"[", -EINVAL, -1, "", "ends before"},
    {"[{\"n\":\"z1/m1/LAeq\"", -EINVAL, -1, "", "ends before"},
    {"[{\"n\":\"z1/m1/LAe", -EINVAL, -1, "", "ends before"},
    {"[{\"n\" \"x\"}]", -EINVAL, 0, "", "field name followed by ':'"},
    {"[{\"n\"::\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}]", -EINVAL, 0, "", "expected a value"},
    {L(",\"v\":1,"), -EINVAL, 0, "", "expected"},
    {"[," L(",\"v\":1") "]", -EINVAL, -1, "", "expected"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1},]", -EINVAL, -1, "", "expected"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}]",
     -EINVAL, 1, "", "expected ',' or ']'"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\" \"v\":1}]", -EINVAL, 0, "", "expected"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1:2}]", -EINVAL, 0, "", "expected"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}]]", -EINVAL, -1, "", "invalid JSON"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}}", -EINVAL, -1, "", "invalid JSON"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}] x", -EINVAL, -1, "", "invalid JSON"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}] []", -EINVAL, -1, "", "outside"},
    {"{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}", -EINVAL, -1, "", "not an object"},
    {"\"z1/m1/LAeq\"", -EINVAL, -1, "", "not a single value"},
    {"[]", -EINVAL, -1, "", "empty array"},
    {"[1,2]", -EINVAL, 0, "", "must be a JSON object"},
    {"[[]]", -EINVAL, 0, "", "must be a JSON object"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1},\"x\"]", -EINVAL, 1, "", "JSON object"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"x\":[1,,2]}]", -EINVAL, 0, "", "expected"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"x\":{\"a\" 1}}]", -EINVAL, -1, "",
     "invalid JSON"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"x\":{\"a\" \"b\"}}]", -EINVAL, 0, "",
     "followed by ':'"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"x\":[[[[[[[[[1]]]]]]]]]}]", -EINVAL, 0, "",
     "nesting"},
    {"[{\"n\":\"z1/m1/LA\teq\",\"u\":\"dB\",\"v\":1}]", -EINVAL, 0, "", "control character"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"a\nb\":1}]", -EINVAL, 0, "",
     "field name without control characters"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"d\\xB\",\"v\":1}]", -EINVAL, -1, "", "invalid JSON"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"x\":nul}]", -EINVAL, 0, "",
     "a number, true, false or null"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"x\":True}]", -EINVAL, -1, "", "invalid JSON"},
    {"[{'n':'z1/m1/LAeq'}]", -EINVAL, -1, "", "invalid JSON"},
    /* numbers */
    {L(",\"v\":01"), -EINVAL, 0, "", "a number"},
    {L(",\"v\":.5"), -EINVAL, -1, "", "invalid JSON"},
    {L(",\"v\":1."), -EINVAL, 0, "", "a number"},
    {L(",\"v\":+1"), -EINVAL, -1, "", "invalid JSON"},
    {L(",\"v\":-"), -EINVAL, 0, "", "a number"},
    {L(",\"v\":1e"), -EINVAL, 0, "", "a number"},
    {L(",\"v\":0x10"), -EINVAL, 0, "", "a number"},
    {L(",\"v\":NaN"), -EINVAL, -1, "", "invalid JSON"},
    {L(",\"v\":nan"), -EINVAL, 0, "", "a number"},
    {L(",\"v\":Infinity"), -EINVAL, -1, "", "invalid JSON"},
    {L(",\"v\":-Infinity"), -EINVAL, 0, "", "a number"},
    {L(",\"v\":1e999"), -EINVAL, 0, "v", "too large"},
    {L(",\"v\":62.50000000000000000000000000000000000000000000000000000000000000001"), -EINVAL, 0,
     "v", "longer than"},
    /* wrong types */
    {L(",\"v\":\"62\""), -EINVAL, 0, "v", "must be a JSON number"},
    {L(",\"v\":true"), -EINVAL, 0, "v", "must be a JSON number"},
    {L(",\"v\":null"), -EINVAL, 0, "v", "must be a JSON number"},
    {L(",\"v\":[62]"), -EINVAL, 0, "v", "must be a JSON number"},
    {L(",\"v\":1,\"t\":\"now\""), -EINVAL, 0, "t", "must be a JSON number"},
    {"[{\"n\":5,\"u\":\"dB\",\"v\":1}]", -EINVAL, 0, "n", "must be a JSON string"},
    {"[{\"n\":\"z1/m1/LAeq\",\"u\":1,\"v\":1}]", -EINVAL, 0, "u", "must be a JSON string"},
    {"[{\"bn\":null,\"n\":\"LAeq\",\"u\":\"dB\",\"v\":1}]", -EINVAL, 0, "bn", "string"},
    {"[{\"n\":\"z1/m1/event:bang\",\"u\":\"/\",\"vb\":1}]", -EINVAL, 0, "vb", "true or false"},
    {"[{\"bt\":\"0\",\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}]", -EINVAL, 0, "bt", "number"},
    /* names */
    {R("z1/m1/LAeq ", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "character 11"},
    {R(".z1/m1/LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "start with a letter"},
    {R("/m1/LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "start with a letter"},
    {R("z1/LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "<zone>/<device>/<quantity>"},
    {R("z1/m1/x/LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "<zone>/<device>/<quantity>"},
    {R("z1//LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "device id \"\""},
    {R("z.1/m1/LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "zone id \"z.1\""},
    {R("z1/m:1/LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "device id"},
    {R("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz/m1/LAeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n",
     "zone id"},
    {R("z1/m1/laeq", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "unknown quantity \"laeq\""},
    {R("z1/m1/band:1001", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "IEC 61260-1"},
    {R("z1/m1/band:1000.0", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "IEC 61260-1"},
    {R("z1/m1/event:cough", ",\"u\":\"/\",\"v\":1"), -EINVAL, 0, "n", "shout, scream"},
    {R("z1/m1/LAe\\u0071", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "not a SenML name"},
    {R("z1/m1/caf\xc3\xa9", ",\"u\":\"dB\",\"v\":1"), -EINVAL, 0, "n", "not a SenML name"},
    {"[{\"u\":\"dB\",\"v\":1}]", -EINVAL, 0, "n", "no name"},
    {"[{\"bn\":\"z1/m1/\",\"u\":\"dB\",\"v\":1}]", -EINVAL, 0, "bn", "unknown quantity \"\""},
    {"[{\"bn\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz/"
     "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm/\",\"n\":\"LAeq\",\"u\":\"dB\",\"v\":1}]",
     -EINVAL, 0, "n", "longer than 95"},
    /* units */
    {R("z1/m1/LAeq", ",\"v\":1"), -EINVAL, 0, "u", "needs the unit \"dB\""},
    {R("z1/m1/LAeq", ",\"u\":\"dBA\",\"v\":1"), -EINVAL, 0, "u",
     "unit \"dBA\" is not \"dB\", the unit of LAeq"},
    {R("z1/m1/LAeq", ",\"u\":\"\",\"v\":1"), -EINVAL, 0, "u", "unit \"\""},
    {R("z1/m1/LAeq", ",\"u\":\"d\\u0042\",\"v\":1"), -EINVAL, 0, "u", "is not \"dB\""},
    {"[{\"bu\":\"Cel\",\"n\":\"z1/m1/LAeq\",\"v\":1}]", -EINVAL, 0, "bu", "unit \"Cel\""},
    {R("z1/m1/precipitation", ",\"u\":\"m/s\",\"v\":1"), -EINVAL, 0, "u", "\"mm/h\""},
    /* ranges */
    {L(",\"v\":-0.5"), -EINVAL, 0, "v", "-0.5 is below the minimum 0 for LAeq (dB)"},
    {L(",\"v\":200.001"), -EINVAL, 0, "v", "above the maximum 200"},
    {"[{\"bv\":150,\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":60}]", -EINVAL, 0, "v", "210 is above"},
    {R("z1/m1/temperature", ",\"u\":\"Cel\",\"v\":-61"), -EINVAL, 0, "v", "minimum -60"},
    {R("z1/m1/event:shout", ",\"u\":\"/\",\"v\":1.5"), -EINVAL, 0, "v", "maximum 1"},
    {R("z1/c1/peopleIn", ",\"u\":\"count\",\"v\":1000001"), -EINVAL, 0, "v", "maximum 1e+06"},
    {R("z1/c1/occupancy", ",\"u\":\"count\",\"v\":2.5"), -EINVAL, 0, "v", "whole number"},
    {R("z1/w1/relativeHumidity", ",\"u\":\"%RH\",\"v\":101"), -EINVAL, 0, "v", "maximum 100"},
    /* fields */
    {L(",\"v\":1,\"foo_\":1"), -EINVAL, 0, "foo_", "must-understand"},
    {L(",\"v\":1,\"averylongname_\":1"), -EINVAL, 0, "aver...", "must-understand"},
    {L(",\"v\":1,\"\\u0076\":1"), -EINVAL, 0, "\\u0076", "escape"},
    {L(",\"v\":1,\"s\":10"), -EINVAL, 0, "s", "sum values are not supported"},
    {L(",\"v\":1,\"bs\":10"), -EINVAL, 0, "bs", "base sums"},
    {L(",\"vd\":\"AAAA\""), -EINVAL, 0, "vd", "data values"},
    {L(",\"v\":1,\"bver\":11"), -EINVAL, 0, "bver", "newer than 10"},
    {L(",\"v\":1,\"bver\":0"), -EINVAL, 0, "bver", "positive whole"},
    {L(",\"v\":1,\"bver\":9.5"), -EINVAL, 0, "bver", "positive whole"},
    {"[{\"bver\":9},{\"bver\":10,"
     "\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}]",
     -EINVAL, 1, "bver", "differs"},
    /* duplicate value fields */
    {L(",\"v\":1,\"vs\":\"1\""), -EINVAL, 0, "vs", "exactly one value field"},
    {R("z1/m1/event:bang", ",\"u\":\"/\",\"vb\":true,\"v\":1"), -EINVAL, 0, "v",
     "exactly one value field"},
    {L(",\"v\":1,\"v\":2"), -EINVAL, 0, "v", "appears twice"},
    {L(",\"v\":1,\"n\":\"z1/m1/LAeq\""), -EINVAL, 0, "n", "appears twice"},
    /* one bad record spoils the pack, wherever it is */
    {"[{\"bn\":\"z1/m1/\",\"n\":\"LAeq\",\"u\":\"dB\",\"v\":60},{\"n\":\"LAFmax\",\"u\":\"dB\","
     "\"v\":61},{\"n\":\"LCpeak\",\"u\":\"dB\",\"v\":62},{\"n\":\"LAeq\",\"u\":\"dB\",\"v\":250}"
     "]",
     -EINVAL, 3, "v", "250 is above the maximum 200 for LAeq (dB)"},
};

static void test_bad_inputs_and_recovery(void)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *bc = &bad_cases[i];
        int rc = parse(bc->in);
        int ok = rc == bc->rc && fx.out == NULL && fx.err.record == bc->record &&
                 !strcmp(fx.err.field, bc->field) && strstr(fx.msg, bc->msg) != NULL;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  case %zu: %s\n    rc %d record %d field \"%s\": %s\n", i, bc->in, rc,
                    fx.err.record, fx.err.field, fx.msg);
        /* Recovery: the same parser reads the next good pack correctly. */
        check_good();
    }
}

/* The brief's example message, exactly. */
static void test_error_sentence(void)
{
    const char *s =
        "[{\"bn\":\"z1/m1/\",\"bu\":\"dB\",\"n\":\"LAeq\",\"v\":60},"
        "{\"n\":\"LAeq\",\"v\":61},{\"n\":\"LAeq\",\"v\":62},{\"n\":\"LAeq\",\"v\":250}]";
    CHECK_EQ_INT(parse(s), -EINVAL);
    CHECK_STR(fx.msg, "record 3 field \"v\": 250 is above the maximum 200 for LAeq (dB)");
    st_senml_err e = {-1, "", "pack is an empty array"};
    char buf[200];
    st_senml_err_format(&e, buf, sizeof(buf));
    CHECK_STR(buf, "pack is an empty array");
    e.record = 2;
    st_senml_err_format(&e, buf, sizeof(buf));
    CHECK_STR(buf, "record 2: pack is an empty array");
    st_senml_err_format(&e, buf, 8);
    CHECK_STR(buf, "record ");
    st_senml_err_format(NULL, buf, sizeof(buf));
    CHECK_STR(buf, "no error");
    /* Untrusted bytes are not echoed raw. */
    CHECK_EQ_INT(parse("[{\"n\":\"z1/m1/\xe2\x80\xae\",\"u\":\"dB\",\"v\":1}]"), -EINVAL);
    for (const char *m = fx.msg; *m; m++) CHECK((unsigned char)*m >= 0x20 && *m != 0x7f);
}

static void test_unknown_fields_ignored(void)
{
    CHECK_EQ_INT(parse("[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":60,\"x\":{\"a\":[1,2,{\"b\":"
                       "null}],\"c\":\"d\"},\"ct\":\"60\",\"q\":[],\"w\":{},\"k\":false}]"),
                 1);
    if (fx.out) CHECK_NEAR(fx.out[0].v, 60, 0);
    /* Seven levels of nesting inside a field are fine. */
    CHECK_EQ_INT(parse("[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1,\"x\":[[[[[[1]]]]]]}]"), 1);
}

static void test_limits(void)
{
    /* Capacity 4: 4 records pass, 5 are too many. */
    st_senml *small = st_senml_new(4);
    CHECK(small != NULL);
    if (!small) return;
    const char *rec = "{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}";
    char buf[1024];
    snprintf(buf, sizeof(buf), "[%s,%s,%s,%s]", rec, rec, rec, rec);
    const st_obs *out;
    st_senml_err err;
    CHECK_EQ_INT(st_senml_parse(small, buf, strlen(buf), NOW, &out, &err), 4);
    snprintf(buf, sizeof(buf), "[%s,%s,%s,%s,%s]", rec, rec, rec, rec, rec);
    CHECK_EQ_INT(st_senml_parse(small, buf, strlen(buf), NOW, &out, &err), -E2BIG);
    CHECK(out == NULL);
    CHECK(strstr(err.msg, "limit is 4") != NULL);
    /* Too many fields for the token budget. */
    char big[4096];
    size_t n = (size_t)snprintf(big, sizeof(big), "[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1");
    for (int i = 0; i < 200; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, ",\"x%d\":1", i);
    snprintf(big + n, sizeof(big) - n, "}]");
    CHECK_EQ_INT(st_senml_parse(small, big, strlen(big), NOW, &out, &err), -E2BIG);
    st_senml_free(small);

    /* ST_SENML_MAX_RECORDS records fit the largest parser. */
    char *max = malloc(ST_SENML_MAX_BYTES + 2);
    CHECK(max != NULL);
    if (!max) return;
    n = 0;
    max[n++] = '[';
    for (int i = 0; i < ST_SENML_MAX_RECORDS; i++)
        n += (size_t)snprintf(max + n, 200, "%s{\"n\":\"z%d/m1/LAeq\",\"u\":\"dB\",\"v\":%d}",
                              i ? "," : "", i, i % 200);
    max[n++] = ']';
    CHECK_EQ_INT(parse_n(max, n), ST_SENML_MAX_RECORDS);
    if (fx.out) {
        CHECK_STR(fx.out[255].zone, "z255");
        CHECK_NEAR(fx.out[255].v, 55, 0);
    }
    /* One more is too many. */
    n--;
    n += (size_t)snprintf(max + n, 200, ",%s]", rec);
    CHECK_EQ_INT(parse_n(max, n), -E2BIG);
    /* Oversize: a valid pack padded with whitespace past the byte limit. */
    n = (size_t)snprintf(max, 200, "%s", "[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}]");
    memset(max + n, ' ', ST_SENML_MAX_BYTES + 1 - n);
    CHECK_EQ_INT(parse_n(max, ST_SENML_MAX_BYTES), 1);
    CHECK_EQ_INT(parse_n(max, ST_SENML_MAX_BYTES + 1), -E2BIG);
    CHECK(strstr(fx.msg, "65537 bytes") != NULL);
    free(max);
    check_good();

    /* Embedded NUL: the length given is what counts. */
    char nul[] = "[{\"n\":\"z1/m1/LAeq\",\"u\":\"dB\",\"v\":1}]\0[1]";
    CHECK_EQ_INT(parse_n(nul, sizeof(nul) - 1), -EINVAL);
    CHECK_EQ_INT(parse_n(nul, strlen(nul)), 1);
    /* Constructor and argument checks. */
    errno = 0;
    CHECK(st_senml_new(0) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(st_senml_new(ST_SENML_MAX_RECORDS + 1) == NULL && errno == EINVAL);
    st_senml_free(NULL);
    CHECK_EQ_INT(st_senml_parse(NULL, "[]", 2, NOW, &out, &err), -EINVAL);
    CHECK_EQ_INT(st_senml_parse(fx.p, NULL, 5, NOW, &out, &err), -EINVAL);
    CHECK_EQ_INT(st_senml_parse(fx.p, GOOD, strlen(GOOD), NOW, NULL, NULL), 6);
}

/* The fast path for short decimals gives exactly strtod's double. */
static void test_numbers_exact(void)
{
    srand(4242);
    for (int i = 0; i < 20000; i++) {
        char num[40], pack[160];
        int digits = 1 + rand() % 17, point = rand() % (digits + 1);
        int k = 0;
        num[k++] = (char)('1' + rand() % 9);
        for (int d = 1; d < digits; d++) {
            if (d == point) num[k++] = '.';
            num[k++] = (char)('0' + rand() % 10);
        }
        num[k] = '\0';
        double want = strtod(num, NULL);
        if (want > 200) continue; /* keep inside LAeq's range */
        snprintf(pack, sizeof(pack), "[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":%s}]", num);
        int rc = parse(pack);
        CHECK_EQ_INT(rc, 1);
        if (rc == 1 && fx.out[0].v != want) {
            CHECK(fx.out[0].v == want);
            fprintf(stderr, "  %s -> %.17g, strtod %.17g\n", num, fx.out[0].v, want);
        }
    }
    /* Exponents, negative zero and long mantissas go through strtod. */
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/temperature\",\"u\":\"Cel\",\"v\":-0}]"), 1);
    if (fx.out) CHECK(fx.out[0].v == 0);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/temperature\",\"u\":\"Cel\",\"v\":-1.25E+1}]"), 1);
    if (fx.out) CHECK(fx.out[0].v == -12.5);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":0.1000000000000000055511}]"), 1);
    if (fx.out) CHECK(fx.out[0].v == 0.1);
    CHECK_EQ_INT(parse("[{\"n\":\"z/d/LAeq\",\"u\":\"dB\",\"v\":1e-400}]"), 1);
    if (fx.out) CHECK(fx.out[0].v == 0);
}

/* st_obs_to_json output, wrapped in [ ], is a SenML pack resolving to the same record. */
static void test_json_roundtrip(void)
{
    const char *s = "[{\"bn\":\"z9/dev_9/\",\"bt\":1764270000.125,\"n\":\"LAeq\",\"u\":\"dB\","
                    "\"v\":61.7},{\"n\":\"band:10000\",\"u\":\"dB\",\"v\":0.1},"
                    "{\"n\":\"event:scream\",\"u\":\"/\",\"vb\":true},"
                    "{\"n\":\"peopleOut\",\"u\":\"count\",\"v\":12,\"t\":-3},"
                    "{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":-4.3},"
                    "{\"n\":\"precipitation\",\"u\":\"mm/h\",\"v\":2.2},"
                    "{\"n\":\"windSpeed\",\"u\":\"m/s\",\"v\":7.77},"
                    "{\"n\":\"swVersion\",\"vs\":\"v1 \\\"q\\\" \\\\ \\n\\u00e9\"}]";
    int n = parse(s);
    CHECK_EQ_INT(n, 8);
    if (n != 8) return;
    st_obs orig[8];
    memcpy(orig, fx.out, sizeof(orig));
    for (int i = 0; i < n; i++) {
        char json[300], pack[310];
        int len = st_obs_to_json(&orig[i], json, sizeof(json));
        CHECK(len > 0);
        snprintf(pack, sizeof(pack), "[%s]", json);
        int rc = parse(pack);
        CHECK_EQ_INT(rc, 1);
        if (rc != 1) {
            fprintf(stderr, "  %s: %s\n", pack, fx.msg);
            continue;
        }
        const st_obs *o = fx.out;
        CHECK_STR(o->zone, orig[i].zone);
        CHECK_STR(o->device, orig[i].device);
        CHECK_STR(o->name, orig[i].name);
        CHECK_STR(o->unit, orig[i].unit);
        CHECK_STR(o->vs, orig[i].vs);
        CHECK_EQ_INT(o->qty, orig[i].qty);
        CHECK_EQ_INT(o->sub, orig[i].sub);
        CHECK(o->v == orig[i].v);
        CHECK(o->t == orig[i].t);
    }
    CHECK_STR(orig[7].vs, "v1 \"q\" \\ \n\xc3\xa9");
    CHECK_NEAR(orig[3].t, 1764269997.125, 0);
}

int main(void)
{
    fx.p = st_senml_new(64);
    if (!fx.p) {
        perror("st_senml_new");
        return 1;
    }
    RUN(test_good_pack);
    RUN(test_base_fields);
    RUN(test_base_only_record);
    RUN(test_time);
    RUN(test_value_kinds);
    RUN(test_bad_inputs_and_recovery);
    RUN(test_error_sentence);
    RUN(test_unknown_fields_ignored);
    RUN(test_numbers_exact);
    RUN(test_json_roundtrip);
    st_senml_free(fx.p);
    fx.p = st_senml_new(ST_SENML_MAX_RECORDS);
    if (!fx.p) return 1;
    RUN(test_limits);
    st_senml_free(fx.p);
    return TEST_END("wire/senml");
}
