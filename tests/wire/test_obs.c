/* Unit tests of the observation model: quantity table, name parsing, JSON output. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/obs.h"

static void test_table_complete(void)
{
    for (int q = 0; q < ST_Q__COUNT; q++) {
        const st_qty_info *qi = st_qty_info_get((st_qty)q);
        CHECK(qi != NULL);
        if (!qi) continue;
        CHECK_EQ_INT(qi->qty, q);
        CHECK(qi->name != NULL && qi->unit != NULL);
        CHECK(qi->min <= qi->max);
        /* Names are unique. */
        for (int r = 1; r < q; r++) CHECK(strcmp(st_qty_info_get((st_qty)r)->name, qi->name));
    }
    CHECK(st_qty_info_get(ST_Q__COUNT) == NULL);
    CHECK(st_qty_info_get((st_qty)-1) == NULL);
}

static void test_table_values(void)
{
    const st_qty_info *qi = st_qty_info_get(ST_Q_LAEQ);
    CHECK_STR(qi->name, "LAeq");
    CHECK_STR(qi->unit, "dB");
    CHECK_NEAR(qi->min, 0, 0);
    CHECK_NEAR(qi->max, 200, 0);
    CHECK_STR(qi->fiware, "LAeq");
    CHECK_STR(st_qty_info_get(ST_Q_LAFMAX)->fiware, "LAmax");
    CHECK_STR(st_qty_info_get(ST_Q_BAND)->unit, "dB");
    qi = st_qty_info_get(ST_Q_EVENT);
    CHECK_STR(qi->unit, "/");
    CHECK_NEAR(qi->max, 1, 0);
    CHECK_STR(st_qty_info_get(ST_Q_CROWD)->unit, "/");
    qi = st_qty_info_get(ST_Q_PEOPLE_IN);
    CHECK_STR(qi->unit, "count");
    CHECK_NEAR(qi->max, 1e6, 0);
    CHECK_STR(qi->fiware, "peopleCount");
    CHECK_STR(st_qty_info_get(ST_Q_PEOPLE_OUT)->fiware, "peopleCount");
    CHECK_STR(st_qty_info_get(ST_Q_OCCUPANCY)->unit, "count");
    qi = st_qty_info_get(ST_Q_TEMPERATURE);
    CHECK_STR(qi->unit, "Cel");
    CHECK_NEAR(qi->min, -60, 0);
    CHECK_NEAR(qi->max, 70, 0);
    CHECK_STR(qi->fiware, "temperature");
    CHECK_STR(st_qty_info_get(ST_Q_PRECIPITATION)->unit, "mm/h");
    CHECK_STR(st_qty_info_get(ST_Q_PRECIPITATION)->fiware, "precipitation");
    CHECK_STR(st_qty_info_get(ST_Q_HUMIDITY)->unit, "%RH");
    CHECK_STR(st_qty_info_get(ST_Q_HUMIDITY)->fiware, "relativeHumidity");
    CHECK_STR(st_qty_info_get(ST_Q_WIND)->unit, "m/s");
    CHECK_STR(st_qty_info_get(ST_Q_WIND)->fiware, "windSpeed");
    CHECK_STR(st_qty_info_get(ST_Q_SW_VERSION)->unit, "");
}

static st_qty parse(const char *s, int *sub)
{
    return st_qty_parse(s, strlen(s), sub);
}

static void test_qty_parse_names(void)
{
    int sub = -1;
    /* Every plain (non-prefix) name in the table parses back to its quantity. */
    for (int q = 1; q < ST_Q__COUNT; q++) {
        if (q == ST_Q_BAND || q == ST_Q_EVENT) continue;
        sub = -1;
        CHECK_EQ_INT(parse(st_qty_info_get((st_qty)q)->name, &sub), q);
        CHECK_EQ_INT(sub, 0);
    }
    CHECK_EQ_INT(parse("laeq", &sub), ST_Q_UNKNOWN);  /* case matters */
    CHECK_EQ_INT(parse("LAeq ", &sub), ST_Q_UNKNOWN); /* no trailing junk */
    CHECK_EQ_INT(parse("LAe", &sub), ST_Q_UNKNOWN);   /* no prefix */
    CHECK_EQ_INT(parse("LAFmaxx", &sub), ST_Q_UNKNOWN);
    CHECK_EQ_INT(parse("", &sub), ST_Q_UNKNOWN);
    CHECK_EQ_INT(st_qty_parse(NULL, 4, &sub), ST_Q_UNKNOWN);
    CHECK_EQ_INT(st_qty_parse("LAeq", 4, NULL), ST_Q_LAEQ); /* sub may be NULL */
    /* Length is honoured: "LAeqXYZ" limited to 4 bytes is LAeq. */
    CHECK_EQ_INT(st_qty_parse("LAeqXYZ", 4, NULL), ST_Q_LAEQ);
}

static void test_qty_parse_bands(void)
{
    static const char *const names[] = {"25",   "31.5", "40",   "50",   "63",   "80",   "100",
                                        "125",  "160",  "200",  "250",  "315",  "400",  "500",
                                        "630",  "800",  "1000", "1250", "1600", "2000", "2500",
                                        "3150", "4000", "5000", "6300", "8000", "10000"};
    static const int hz[] = {25,   32,   40,   50,   63,   80,   100,  125,  160,
                             200,  250,  315,  400,  500,  630,  800,  1000, 1250,
                             1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000};
    char buf[32];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int sub = 0;
        snprintf(buf, sizeof(buf), "band:%s", names[i]);
        CHECK_EQ_INT(parse(buf, &sub), ST_Q_BAND);
        CHECK_EQ_INT(sub, hz[i]);
    }
    static const char *const bad[] = {"band:",      "band:20",     "band:12500", "band:31",
                                      "band:32",    "band:1000.0", "band:01000", "band:1k",
                                      "band: 1000", "band:-1000",  "Band:1000",  "band1000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int sub = 7;
        CHECK_EQ_INT(parse(bad[i], &sub), ST_Q_UNKNOWN);
        CHECK_EQ_INT(sub, 0);
    }
}

static void test_qty_parse_events(void)
{
    int sub = 0;
    CHECK_EQ_INT(parse("event:shout", &sub), ST_Q_EVENT);
    CHECK_EQ_INT(sub, ST_EV_SHOUT);
    CHECK_EQ_INT(parse("event:scream", &sub), ST_Q_EVENT);
    CHECK_EQ_INT(sub, ST_EV_SCREAM);
    CHECK_EQ_INT(parse("event:glass", &sub), ST_Q_EVENT);
    CHECK_EQ_INT(sub, ST_EV_GLASS);
    CHECK_EQ_INT(parse("event:bang", &sub), ST_Q_EVENT);
    CHECK_EQ_INT(sub, ST_EV_BANG);
    CHECK_EQ_INT(parse("event:", &sub), ST_Q_UNKNOWN);
    CHECK_EQ_INT(parse("event:cough", &sub), ST_Q_UNKNOWN);
    CHECK_EQ_INT(parse("event:Shout", &sub), ST_Q_UNKNOWN);
    CHECK_EQ_INT(parse("event:shouts", &sub), ST_Q_UNKNOWN);
    for (int k = ST_EV_SHOUT; k < ST_EV__COUNT; k++) {
        const char *n = st_event_kind_name((st_event_kind)k);
        CHECK(n != NULL);
        if (n) CHECK_EQ_INT(st_event_kind_parse(n, strlen(n)), k);
    }
    CHECK(st_event_kind_name(ST_EV_NONE) == NULL);
    CHECK(st_event_kind_name(ST_EV__COUNT) == NULL);
    CHECK_EQ_INT(st_event_kind_parse("bang", 3), ST_EV_NONE);
    CHECK_EQ_INT(st_event_kind_parse(NULL, 4), ST_EV_NONE);
}

static st_obs sample(void)
{
    st_obs o;
    memset(&o, 0, sizeof(o));
    strcpy(o.zone, "z1");
    strcpy(o.device, "meter-1");
    strcpy(o.name, "LAeq");
    strcpy(o.unit, "dB");
    o.qty = ST_Q_LAEQ;
    o.v = 62.5;
    o.t = 1764270000;
    return o;
}

static void test_to_json_exact(void)
{
    st_obs o = sample();
    char buf[256];
    int n = st_obs_to_json(&o, buf, sizeof(buf));
    const char *want = "{\"n\":\"z1/meter-1/LAeq\",\"zone\":\"z1\",\"device\":\"meter-1\","
                       "\"u\":\"dB\",\"v\":62.5,\"t\":1764270000}";
    CHECK_STR(buf, want);
    CHECK_EQ_INT(n, strlen(want));
    /* Short, exact numbers. */
    o.v = 0.1;
    o.t = 1764270000.25;
    n = st_obs_to_json(&o, buf, sizeof(buf));
    CHECK(n > 0 && strstr(buf, "\"v\":0.1,\"t\":1764270000.25}") != NULL);
    /* String value, no unit. */
    o = sample();
    strcpy(o.name, "swVersion");
    o.qty = ST_Q_SW_VERSION;
    o.unit[0] = '\0';
    strcpy(o.vs, "1.4.2");
    n = st_obs_to_json(&o, buf, sizeof(buf));
    CHECK_STR(buf, "{\"n\":\"z1/meter-1/swVersion\",\"zone\":\"z1\",\"device\":\"meter-1\","
                   "\"vs\":\"1.4.2\",\"t\":1764270000}");
}

static void test_to_json_space(void)
{
    st_obs o = sample();
    char full[256], buf[256];
    int n = st_obs_to_json(&o, full, sizeof(full));
    CHECK(n > 0);
    /* Every buffer too small by at least one byte (the NUL) fails cleanly. */
    for (int cap = 1; cap <= n; cap++) {
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ_INT(st_obs_to_json(&o, buf, (size_t)cap), -ENOSPC);
        CHECK(buf[cap] == 'x'); /* nothing written past cap */
    }
    CHECK_EQ_INT(st_obs_to_json(&o, buf, (size_t)n + 1), n);
    CHECK_STR(buf, full);
    CHECK_EQ_INT(st_obs_to_json(&o, buf, 0), -EINVAL);
    CHECK_EQ_INT(st_obs_to_json(NULL, buf, sizeof(buf)), -EINVAL);
    o.v = NAN;
    CHECK_EQ_INT(st_obs_to_json(&o, buf, sizeof(buf)), -EINVAL);
    o.v = INFINITY;
    CHECK_EQ_INT(st_obs_to_json(&o, buf, sizeof(buf)), -EINVAL);
}

/* Output is valid JSON whose strings decode back to the input bytes. */
static void test_to_json_escapes_roundtrip(void)
{
    static const char *const texts[] = {"plain",       "quote\"d", "back\\slash",
                                        "tab\there",   "nl\ncr\r", "\x01\x1f\x7f",
                                        "caf\xc3\xa9", "/slash/",  "\b\f"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        st_obs o = sample();
        strcpy(o.name, "swVersion");
        o.qty = ST_Q_SW_VERSION;
        o.unit[0] = '\0';
        strcpy(o.vs, texts[i]);
        char buf[512];
        int n = st_obs_to_json(&o, buf, sizeof(buf));
        CHECK(n > 0);
        for (int k = 0; k < n; k++) CHECK((unsigned char)buf[k] >= 0x20);
        json_error_t jerr;
        json_t *j = json_loads(buf, 0, &jerr);
        CHECK(j != NULL);
        if (!j) {
            fprintf(stderr, "  not JSON: %s (%s)\n", buf, jerr.text);
            continue;
        }
        CHECK_STR(json_string_value(json_object_get(j, "vs")), texts[i]);
        CHECK_STR(json_string_value(json_object_get(j, "n")), "z1/meter-1/swVersion");
        CHECK(json_object_get(j, "u") == NULL);
        CHECK_NEAR(json_number_value(json_object_get(j, "t")), 1764270000, 0);
        json_decref(j);
    }
}

/* Numbers come back bit-exact through a JSON reader. */
static void test_to_json_numbers_roundtrip(void)
{
    srand(12345);
    for (int i = 0; i < 5000; i++) {
        st_obs o = sample();
        o.v = (double)rand() / RAND_MAX * 200.0;
        if (i % 3 == 0) o.v = floor(o.v * 10) / 10; /* typical one-decimal values */
        o.t = 1764270000 + (double)rand() / RAND_MAX * 86400.0;
        char buf[256];
        CHECK(st_obs_to_json(&o, buf, sizeof(buf)) > 0);
        json_t *j = json_loads(buf, JSON_DECODE_ANY, NULL);
        CHECK(j != NULL);
        if (!j) continue;
        double v = json_number_value(json_object_get(j, "v"));
        double t = json_number_value(json_object_get(j, "t"));
        if (v != o.v || t != o.t) {
            CHECK(v == o.v && t == o.t);
            fprintf(stderr, "  %s: v %.17g t %.17g\n", buf, o.v, o.t);
        }
        json_decref(j);
    }
}

/* Fields that are not NUL-terminated are read no further than their size. */
static void test_to_json_unterminated(void)
{
    st_obs o = sample();
    memset(o.zone, 'Z', sizeof(o.zone));
    memset(o.vs, 'S', sizeof(o.vs));
    char buf[512];
    int n = st_obs_to_json(&o, buf, sizeof(buf));
    CHECK(n > 0);
    char want[64];
    memset(want, 'Z', ST_ID_MAX);
    want[ST_ID_MAX] = '\0';
    CHECK(strstr(buf, want) != NULL);
}

int main(void)
{
    RUN(test_table_complete);
    RUN(test_table_values);
    RUN(test_qty_parse_names);
    RUN(test_qty_parse_bands);
    RUN(test_qty_parse_events);
    RUN(test_to_json_exact);
    RUN(test_to_json_space);
    RUN(test_to_json_escapes_roundtrip);
    RUN(test_to_json_numbers_roundtrip);
    RUN(test_to_json_unterminated);
    return TEST_END("wire/obs");
}
