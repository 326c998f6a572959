/* SenML (RFC 8428) JSON pack writer: compact records into a caller buffer, no allocation. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/senml_writer.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Append n bytes; on overflow mark the pack failed. One byte is always kept
 * for the terminating NUL so the buffer stays a C string. */
static int put(st_senml_writer *w, const char *s, size_t n)
{
    if (w->failed) return -ENOSPC;
    if (w->len + n + 1 > w->cap) {
        w->failed = 1;
        return -ENOSPC;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
    return 0;
}

static int puts_lit(st_senml_writer *w, const char *s)
{
    return put(w, s, strlen(s));
}

/* A JSON string (RFC 8259 section 7): quotes, backslashes and control
 * characters escaped. Names and ids are normally plain ASCII. */
static int put_jstr(st_senml_writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (put(w, "\"", 1)) return -ENOSPC;
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (put(w, run, (size_t)(s - run))) return -ENOSPC;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            if (put(w, esc, 2)) return -ENOSPC;
        } else if (put(w, esc, 6)) {
            return -ENOSPC;
        }
        run = s + 1;
    }
    if (put(w, run, (size_t)(s - run))) return -ENOSPC;
    return put(w, "\"", 1);
}

/* Format v with at most `dec` decimals, trailing zeros and a bare point
 * removed ("62.3", "12", "-0.5"), into out (>= 32 bytes). Integer arithmetic
 * on the rounded scaled value keeps this fast and locale-free; magnitudes too
 * large for that, and tiny non-zero values that would round to 0, fall back to
 * %.17g / %.6g (both valid JSON numbers). Returns the length, or -1 for a
 * value JSON cannot carry (NaN, infinity). */
static int fmt_num(char *out, double v, int dec)
{
    static const double pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (!isfinite(v)) return -1;
    double scaled = fabs(v) * pow10[dec];
    if (scaled >= 9.0e15) return snprintf(out, 32, "%.17g", v);
    uint64_t q = (uint64_t)llround(scaled);
    if (q == 0) {
        if (v == 0) {
            out[0] = '0';
            out[1] = '\0';
            return 1;
        }
        return snprintf(out, 32, "%.6g", v);
    }
    /* Digits of q, least significant first. */
    char tmp[24];
    int n = 0;
    while (q) {
        tmp[n++] = (char)('0' + q % 10);
        q /= 10;
    }
    /* Drop trailing zero decimals. */
    int skip = 0;
    while (skip < dec && tmp[skip] == '0') skip++;
    int len = 0;
    if (v < 0) out[len++] = '-';
    int intdigits = n - dec;
    if (intdigits <= 0) {
        out[len++] = '0';
    } else {
        for (int i = n - 1; i >= dec; i--) out[len++] = tmp[i];
    }
    if (skip < dec) {
        out[len++] = '.';
        for (int i = dec - 1; i >= skip; i--) out[len++] = i < n ? tmp[i] : '0';
    }
    out[len] = '\0';
    return len;
}

static int put_num(st_senml_writer *w, double v, int dec)
{
    char num[32];
    int n = fmt_num(num, v, dec);
    if (n < 0) {
        w->failed = 1;
        return -EINVAL;
    }
    return put(w, num, (size_t)n);
}

void st_senml_writer_init(st_senml_writer *w, char *buf, size_t cap, const char *zone,
                          const char *device, double bt)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->nrec = 0;
    w->failed = 0;
    w->bt = bt;
    /* The base name ends with "/" so record names are just the quantity
     * (RFC 8428 section 4.5.1: the name is bn concatenated with n). */
    int n = snprintf(w->bn, sizeof w->bn, "%s/%s/", zone, device);
    if (n < 0 || (size_t)n >= sizeof w->bn) w->failed = 1;
    if (!buf || cap == 0) {
        w->failed = 1;
        return;
    }
    buf[0] = '\0';
    put(w, "[", 1);
}

/* Opening of a record: separator, base fields on the first, name. */
static int open_record(st_senml_writer *w, const char *name)
{
    if (w->failed) return -ENOSPC;
    if (puts_lit(w, w->nrec ? ",{" : "{")) return -ENOSPC;
    if (w->nrec == 0) {
        /* Base time with millisecond precision (RFC 8428 section 4.5.3). */
        if (puts_lit(w, "\"bn\":") || put_jstr(w, w->bn) || puts_lit(w, ",\"bt\":") ||
            put_num(w, w->bt, 3) || put(w, ",", 1))
            return w->failed ? -ENOSPC : -EINVAL;
    }
    if (puts_lit(w, "\"n\":") || put_jstr(w, name)) return -ENOSPC;
    return 0;
}

/* Time offset (only when non-zero) and closing brace. */
static int close_record(st_senml_writer *w, double dt)
{
    if (dt != 0) {
        int rc = puts_lit(w, ",\"t\":");
        if (!rc) rc = put_num(w, dt, 3);
        if (rc) return rc;
    }
    if (put(w, "}", 1)) return -ENOSPC;
    w->nrec++;
    return 0;
}

int st_senml_writer_add(st_senml_writer *w, const char *name, const char *unit, double v, double dt)
{
    int rc = open_record(w, name);
    if (rc) return rc;
    if (unit && *unit) {
        if (puts_lit(w, ",\"u\":") || put_jstr(w, unit)) return -ENOSPC;
    }
    /* Four decimals: 0.1 mdB for levels, 1e-4 for confidences; counts print
     * as integers. */
    rc = puts_lit(w, ",\"v\":");
    if (!rc) rc = put_num(w, v, 4);
    if (rc) return rc;
    return close_record(w, dt);
}

int st_senml_writer_add_str(st_senml_writer *w, const char *name, const char *vs, double dt)
{
    int rc = open_record(w, name);
    if (rc) return rc;
    if (puts_lit(w, ",\"vs\":") || put_jstr(w, vs)) return -ENOSPC;
    return close_record(w, dt);
}

int st_senml_writer_finish(st_senml_writer *w)
{
    if (put(w, "]", 1)) return -ENOSPC;
    return (int)w->len;
}
