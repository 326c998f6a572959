/* Observation model: the quantity table (names, SenML units, ranges, FIWARE names) and JSON out. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/obs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One row per quantity. Units are SenML unit names from the RFC 8428 section
 * 12.1 registry ("dB", "/", "count", "Cel", "%RH", "m/s"), except "mm/h" for
 * precipitation, which that registry does not hold (the registered SI unit
 * would be m/s); Stratum accepts it by local convention, see
 * docs/observations.md. FIWARE names are attributes of the Smart Data Models
 * NoiseLevelObserved (LAeq, LAmax), CrowdFlowObserved (peopleCount, with
 * direction inbound/outbound), WeatherObserved and Device (softwareVersion).
 * FIWARE's CrowdFlowObserved "occupancy" is a fraction of time (0..1), not a
 * head count, so our occupancy has no FIWARE attribute.
 */
static const st_qty_info qty_table[ST_Q__COUNT] = {
    [ST_Q_UNKNOWN] = {ST_Q_UNKNOWN, "", "", 0, 0, NULL},
    [ST_Q_LAEQ] = {ST_Q_LAEQ, "LAeq", "dB", 0, 200, "LAeq"},
    [ST_Q_LAFMAX] = {ST_Q_LAFMAX, "LAFmax", "dB", 0, 200, "LAmax"},
    [ST_Q_LCPEAK] = {ST_Q_LCPEAK, "LCpeak", "dB", 0, 200, NULL},
    [ST_Q_BAND] = {ST_Q_BAND, "band:", "dB", 0, 200, NULL},
    [ST_Q_EVENT] = {ST_Q_EVENT, "event:", "/", 0, 1, NULL},
    [ST_Q_CROWD] = {ST_Q_CROWD, "crowd", "/", 0, 1, NULL},
    [ST_Q_PEOPLE_IN] = {ST_Q_PEOPLE_IN, "peopleIn", "count", 0, 1e6, "peopleCount"},
    [ST_Q_PEOPLE_OUT] = {ST_Q_PEOPLE_OUT, "peopleOut", "count", 0, 1e6, "peopleCount"},
    [ST_Q_OCCUPANCY] = {ST_Q_OCCUPANCY, "occupancy", "count", 0, 1e6, NULL},
    [ST_Q_TEMPERATURE] = {ST_Q_TEMPERATURE, "temperature", "Cel", -60, 70, "temperature"},
    [ST_Q_PRECIPITATION] = {ST_Q_PRECIPITATION, "precipitation", "mm/h", 0, 500, "precipitation"},
    [ST_Q_HUMIDITY] = {ST_Q_HUMIDITY, "relativeHumidity", "%RH", 0, 100, "relativeHumidity"},
    [ST_Q_WIND] = {ST_Q_WIND, "windSpeed", "m/s", 0, 120, "windSpeed"},
    /* A string value (vs) carries no unit. */
    [ST_Q_SW_VERSION] = {ST_Q_SW_VERSION, "swVersion", "", 0, 0, "softwareVersion"},
    [ST_Q_SOCIAL_POSTS] = {ST_Q_SOCIAL_POSTS, "socialPosts", "count", 0, 1e6, NULL},
    [ST_Q_SOCIAL_AGGR] = {ST_Q_SOCIAL_AGGR, "socialAggressiveShare", "/", 0, 1, NULL},
};

const st_qty_info *st_qty_info_get(st_qty q)
{
    if ((unsigned)q >= ST_Q__COUNT) return NULL;
    return &qty_table[q];
}

/* IEC 61260-1:2014 Annex E base-10 nominal mid-band frequencies of the
 * one-third-octave bands from 25 Hz to 10 kHz, spelled exactly as accepted
 * after "band:"; sub is the nominal centre rounded to whole hertz. */
static const struct band_name {
    const char *text;
    unsigned char len;
    int hz;
} band_names[] = {
    {"25", 2, 25},     {"31.5", 4, 32},     {"40", 2, 40},     {"50", 2, 50},     {"63", 2, 63},
    {"80", 2, 80},     {"100", 3, 100},     {"125", 3, 125},   {"160", 3, 160},   {"200", 3, 200},
    {"250", 3, 250},   {"315", 3, 315},     {"400", 3, 400},   {"500", 3, 500},   {"630", 3, 630},
    {"800", 3, 800},   {"1000", 4, 1000},   {"1250", 4, 1250}, {"1600", 4, 1600}, {"2000", 4, 2000},
    {"2500", 4, 2500}, {"3150", 4, 3150},   {"4000", 4, 4000}, {"5000", 4, 5000}, {"6300", 4, 6300},
    {"8000", 4, 8000}, {"10000", 5, 10000},
};

static int band_parse(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(band_names) / sizeof(band_names[0]); i++)
        if (band_names[i].len == len && !memcmp(band_names[i].text, s, len))
            return band_names[i].hz;
    return 0;
}

static const char *const event_names[ST_EV__COUNT] = {
    [ST_EV_NONE] = NULL,     [ST_EV_SHOUT] = "shout", [ST_EV_SCREAM] = "scream",
    [ST_EV_GLASS] = "glass", [ST_EV_BANG] = "bang",
};

const char *st_event_kind_name(st_event_kind k)
{
    if ((unsigned)k >= ST_EV__COUNT) return NULL;
    return event_names[k];
}

st_event_kind st_event_kind_parse(const char *s, size_t len)
{
    if (!s) return ST_EV_NONE;
    switch (len) {
    case 4:
        if (!memcmp(s, "bang", 4)) return ST_EV_BANG;
        break;
    case 5:
        if (!memcmp(s, "shout", 5)) return ST_EV_SHOUT;
        if (!memcmp(s, "glass", 5)) return ST_EV_GLASS;
        break;
    case 6:
        if (!memcmp(s, "scream", 6)) return ST_EV_SCREAM;
        break;
    }
    return ST_EV_NONE;
}

/* True when s[0..len) is exactly the literal lit (a string constant). */
#define IS(lit) (len == sizeof(lit) - 1 && !memcmp(s, lit, sizeof(lit) - 1))

/* A switch on the first character keeps this at one or two memcmp calls: it
 * runs once per record on the ingest hot path. */
st_qty st_qty_parse(const char *s, size_t len, int *sub)
{
    int dummy;
    if (!sub) sub = &dummy;
    *sub = 0;
    if (!s || len == 0) return ST_Q_UNKNOWN;
    switch (s[0]) {
    case 'L':
        if (IS("LAeq")) return ST_Q_LAEQ;
        if (IS("LAFmax")) return ST_Q_LAFMAX;
        if (IS("LCpeak")) return ST_Q_LCPEAK;
        break;
    case 'b':
        if (len > 5 && !memcmp(s, "band:", 5)) {
            int hz = band_parse(s + 5, len - 5);
            if (hz) {
                *sub = hz;
                return ST_Q_BAND;
            }
        }
        break;
    case 'e':
        if (len > 6 && !memcmp(s, "event:", 6)) {
            st_event_kind k = st_event_kind_parse(s + 6, len - 6);
            if (k != ST_EV_NONE) {
                *sub = (int)k;
                return ST_Q_EVENT;
            }
        }
        break;
    case 'c':
        if (IS("crowd")) return ST_Q_CROWD;
        break;
    case 'p':
        if (IS("peopleIn")) return ST_Q_PEOPLE_IN;
        if (IS("peopleOut")) return ST_Q_PEOPLE_OUT;
        if (IS("precipitation")) return ST_Q_PRECIPITATION;
        break;
    case 'o':
        if (IS("occupancy")) return ST_Q_OCCUPANCY;
        break;
    case 't':
        if (IS("temperature")) return ST_Q_TEMPERATURE;
        break;
    case 'r':
        if (IS("relativeHumidity")) return ST_Q_HUMIDITY;
        break;
    case 'w':
        if (IS("windSpeed")) return ST_Q_WIND;
        break;
    case 's':
        if (IS("swVersion")) return ST_Q_SW_VERSION;
        if (IS("socialPosts")) return ST_Q_SOCIAL_POSTS;
        if (IS("socialAggressiveShare")) return ST_Q_SOCIAL_AGGR;
        break;
    }
    return ST_Q_UNKNOWN;
}

#undef IS

/* ---- JSON output ------------------------------------------------------- */

typedef struct jbuf {
    char *p;
    size_t cap, len;
    int full;
} jbuf;

static void jput(jbuf *b, const char *s, size_t n)
{
    if (b->full || b->len + n >= b->cap) { /* keep one byte for the NUL */
        b->full = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

#define JLIT(b, lit) jput((b), (lit), sizeof(lit) - 1)

/* A JSON string (RFC 8259 section 7) from a fixed-size field of at most cap
 * bytes (the field need not be NUL-terminated): quotes, backslashes and
 * control characters are escaped; other bytes, UTF-8 included, pass through. */
static void jstr(jbuf *b, const char *s, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strnlen(s, cap), run = 0;
    JLIT(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        jput(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        switch (c) {
        case '"':
        case '\\':
            jput(b, esc, 2);
            continue;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            esc[1] = 'u';
            esc[2] = esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            jput(b, esc, 6);
            continue;
        }
        jput(b, esc, 2);
    }
    jput(b, s + run, n - run);
    JLIT(b, "\"");
}

/* The shortest of %.15g / %.17g that reads back as the same double, so the
 * output round-trips exactly. printf honours LC_NUMERIC, so a decimal comma
 * is turned back into the point JSON requires. */
static int jnum(jbuf *b, double v)
{
    char tmp[40];
    if (!isfinite(v)) return -1;
    int n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    for (int i = 0; i < n; i++)
        if (tmp[i] == ',') tmp[i] = '.';
    if (strtod(tmp, NULL) != v) {
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
        for (int i = 0; i < n; i++)
            if (tmp[i] == ',') tmp[i] = '.';
    }
    jput(b, tmp, (size_t)n);
    return 0;
}

int st_obs_to_json(const st_obs *o, char *buf, size_t cap)
{
    if (!o || !buf || cap == 0) return -EINVAL;
    jbuf b = {buf, cap, 0, 0};
    /* "n" is the full resolved SenML name, so the object wrapped in [ ] is
     * itself a valid SenML pack that resolves back to *o; zone and device are
     * extra fields a SenML reader ignores (RFC 8428 section 4.4). */
    char name[ST_ID_MAX + ST_ID_MAX + ST_NAME_MAX];
    size_t zl = strnlen(o->zone, ST_ID_MAX), dl = strnlen(o->device, ST_ID_MAX);
    size_t nl = strnlen(o->name, ST_NAME_MAX);
    memcpy(name, o->zone, zl);
    name[zl] = '/';
    memcpy(name + zl + 1, o->device, dl);
    name[zl + 1 + dl] = '/';
    memcpy(name + zl + dl + 2, o->name, nl);
    JLIT(&b, "{\"n\":");
    jstr(&b, name, zl + dl + 2 + nl);
    JLIT(&b, ",\"zone\":");
    jstr(&b, o->zone, ST_ID_MAX);
    JLIT(&b, ",\"device\":");
    jstr(&b, o->device, ST_ID_MAX);
    if (strnlen(o->unit, ST_UNIT_MAX) > 0) {
        JLIT(&b, ",\"u\":");
        jstr(&b, o->unit, ST_UNIT_MAX);
    }
    if (o->qty == ST_Q_SW_VERSION) {
        JLIT(&b, ",\"vs\":");
        jstr(&b, o->vs, ST_VS_MAX);
    } else {
        JLIT(&b, ",\"v\":");
        if (jnum(&b, o->v)) return -EINVAL;
    }
    JLIT(&b, ",\"t\":");
    if (jnum(&b, o->t)) return -EINVAL;
    JLIT(&b, "}");
    if (b.full) {
        buf[0] = '\0';
        return -ENOSPC;
    }
    buf[b.len] = '\0';
    return (int)b.len;
}
