/* Growable text buffer for HTTP responses, with JSON and HTML writers. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/jbuf.h"

void st_jbuf_init(st_jbuf *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

void st_jbuf_init_fixed(st_jbuf *b, char *buf, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->p = buf;
    b->cap = b->limit = cap;
    b->fixed = 1;
    buf[0] = 0;
}

void st_jbuf_free(st_jbuf *b)
{
    if (!b->fixed) free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void st_jbuf_reset(st_jbuf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->p) b->p[0] = 0;
}

/* Room for n more bytes plus the NUL; 0 or -1 (failed set). */
static int reserve(st_jbuf *b, size_t n)
{
    if (b->failed) return -1;
    if (b->len + n + 1 > b->limit) {
        b->failed = 1;
        return -1;
    }
    if (b->len + n + 1 <= b->cap) return 0;
    if (b->fixed) {
        b->failed = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1) cap *= 2;
    if (cap > b->limit) cap = b->limit;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void st_jbuf_put(st_jbuf *b, const char *s, size_t n)
{
    if (reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void st_jbuf_puts(st_jbuf *b, const char *s)
{
    st_jbuf_put(b, s, strlen(s));
}

void st_jbuf_printf(st_jbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        st_jbuf_put(b, tmp, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void st_jbuf_html(st_jbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            st_jbuf_puts(b, "&amp;");
            break;
        case '<':
            st_jbuf_puts(b, "&lt;");
            break;
        case '>':
            st_jbuf_puts(b, "&gt;");
            break;
        case '"':
            st_jbuf_puts(b, "&quot;");
            break;
        case '\'':
            st_jbuf_puts(b, "&#39;");
            break;
        default:
            st_jbuf_put(b, s, 1);
        }
    }
}

/* A comma is due when the text so far ends with a complete value: a string,
 * object, array, number, true, false or null (so text written before the JSON,
 * e.g. an SSE "data: " prefix, never gets one). */
static void sep(st_jbuf *b)
{
    if (b->len && !b->failed) {
        char last = b->p[b->len - 1];
        if (last == '"' || last == '}' || last == ']' || last == 'e' || last == 'l' ||
            (last >= '0' && last <= '9'))
            st_jbuf_put(b, ",", 1);
    }
}

void st_jbuf_obj(st_jbuf *b)
{
    sep(b);
    st_jbuf_put(b, "{", 1);
}

void st_jbuf_end_obj(st_jbuf *b)
{
    st_jbuf_put(b, "}", 1);
}

void st_jbuf_arr(st_jbuf *b)
{
    sep(b);
    st_jbuf_put(b, "[", 1);
}

void st_jbuf_end_arr(st_jbuf *b)
{
    st_jbuf_put(b, "]", 1);
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid
 * (RFC 3629 section 4: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

void st_jbuf_strn(st_jbuf *b, const char *s, size_t n)
{
    sep(b);
    st_jbuf_put(b, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Copy runs of plain characters at once. */
        while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\') run++;
        if (run > i) {
            st_jbuf_put(b, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            st_jbuf_put(b, esc, 2);
            i++;
        } else if (c < 0x20) { /* RFC 8259 section 7 */
            st_jbuf_printf(b, "\\u%04x", c);
            i++;
        } else {
            size_t l = utf8_len(u + i, n - i);
            if (l) {
                st_jbuf_put(b, s + i, l);
                i += l;
            } else {
                st_jbuf_puts(b, "\\ufffd");
                i++;
            }
        }
    }
    st_jbuf_put(b, "\"", 1);
}

void st_jbuf_str(st_jbuf *b, const char *s)
{
    if (!s) {
        st_jbuf_null(b);
        return;
    }
    st_jbuf_strn(b, s, strlen(s));
}

void st_jbuf_key(st_jbuf *b, const char *k)
{
    st_jbuf_str(b, k);
    st_jbuf_put(b, ":", 1);
}

/* Digits of u into the end of buf (no NUL); returns the first digit. */
static char *utoa_end(uint64_t u, char *end)
{
    do {
        *--end = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return end;
}

void st_jbuf_num(st_jbuf *b, double v)
{
    sep(b);
    if (!isfinite(v)) {
        st_jbuf_put(b, "null", 4);
        return;
    }
    /* Fixed point by integer arithmetic: printf's exact binary-to-decimal
     * conversion was a third of the time of a /api/zones answer. Six decimals
     * (three from 1e9 up: epoch seconds to the millisecond) is finer than any
     * level, score or time we serve; other magnitudes fall back to %.15g. */
    double a = fabs(v);
    int dec = a < 1e9 ? 6 : 3;
    double scale = dec == 6 ? 1e6 : 1e3;
    if (a >= 1e12) {
        st_jbuf_printf(b, "%.15g", v);
        return;
    }
    uint64_t q = (uint64_t)llround(a * scale);
    uint64_t ip = q / (uint64_t)scale, fp = q % (uint64_t)scale;
    char buf[48], *end = buf + sizeof(buf), *p;
    char *fend = end;
    if (fp) {
        char frac[8];
        for (int i = dec - 1; i >= 0; i--, fp /= 10) frac[i] = (char)('0' + fp % 10);
        int n = dec;
        while (n > 0 && frac[n - 1] == '0') n--;
        fend = end - n;
        memcpy(fend, frac, (size_t)n);
        *--fend = '.';
    }
    p = utoa_end(ip, fend);
    if (v < 0 && q) *--p = '-';
    st_jbuf_put(b, p, (size_t)(end - p));
}

void st_jbuf_int(st_jbuf *b, int64_t v)
{
    sep(b);
    char buf[24], *end = buf + sizeof(buf);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = utoa_end(u, end);
    if (v < 0) *--p = '-';
    st_jbuf_put(b, p, (size_t)(end - p));
}

void st_jbuf_bool(st_jbuf *b, int v)
{
    sep(b);
    st_jbuf_puts(b, v ? "true" : "false");
}

void st_jbuf_null(st_jbuf *b)
{
    sep(b);
    st_jbuf_put(b, "null", 4);
}

void st_jbuf_raw(st_jbuf *b, const char *json)
{
    sep(b);
    st_jbuf_puts(b, json);
}

void st_jbuf_kstr(st_jbuf *b, const char *k, const char *s)
{
    st_jbuf_key(b, k);
    st_jbuf_str(b, s);
}

void st_jbuf_knum(st_jbuf *b, const char *k, double v)
{
    st_jbuf_key(b, k);
    st_jbuf_num(b, v);
}

void st_jbuf_kint(st_jbuf *b, const char *k, int64_t v)
{
    st_jbuf_key(b, k);
    st_jbuf_int(b, v);
}

void st_jbuf_kbool(st_jbuf *b, const char *k, int v)
{
    st_jbuf_key(b, k);
    st_jbuf_bool(b, v);
}
