/* Growable text buffer for HTTP responses, with JSON and HTML writers. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_HTTP_JBUF_H
#define STRATUM_HTTP_JBUF_H

#include <stddef.h>
#include <stdint.h>

/* A response body under construction. The JSON writers insert the comma
 * between members and elements themselves: a value or key written right after
 * a complete value is preceded by ",". Growth beyond `limit`
 * or a failed allocation sets `failed` and drops further writes, so callers
 * check once at the end (answer 500) instead of after each write. */
typedef struct st_jbuf {
    char *p; /* NUL-terminated while not failed; owned */
    size_t len, cap, limit;
    int failed;
    int fixed; /* p is the caller's buffer: never grown or freed */
} st_jbuf;

void st_jbuf_init(st_jbuf *b, size_t limit); /* empty; allocates on first write */
/* Write into the caller's buf (borrowed, cap >= 1) and never allocate: for the
 * engine thread's event formatting. */
void st_jbuf_init_fixed(st_jbuf *b, char *buf, size_t cap);
void st_jbuf_free(st_jbuf *b);  /* frees p; b may be reused after init */
void st_jbuf_reset(st_jbuf *b); /* length 0, keeps the memory */

/* Plain text. */
void st_jbuf_put(st_jbuf *b, const char *s, size_t n);
void st_jbuf_puts(st_jbuf *b, const char *s);
void st_jbuf_printf(st_jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s escaped for HTML text and attribute values (& < > " '). */
void st_jbuf_html(st_jbuf *b, const char *s);

/* JSON (RFC 8259). */
void st_jbuf_obj(st_jbuf *b); /* "{" */
void st_jbuf_end_obj(st_jbuf *b);
void st_jbuf_arr(st_jbuf *b); /* "[" */
void st_jbuf_end_arr(st_jbuf *b);
void st_jbuf_key(st_jbuf *b, const char *k); /* "k": (k is escaped) */
/* A string value: control characters escaped, invalid UTF-8 bytes replaced by
 * U+FFFD so the output is always valid JSON; NULL writes null. */
void st_jbuf_str(st_jbuf *b, const char *s);
void st_jbuf_strn(st_jbuf *b, const char *s, size_t n);
/* Fixed point, 6 decimals below 1e9 and 3 from there (epoch seconds to the
 * millisecond), trailing zeros dropped, %.15g from 1e12; non-finite -> null
 * (JSON has no NaN). */
void st_jbuf_num(st_jbuf *b, double v);
void st_jbuf_int(st_jbuf *b, int64_t v);
void st_jbuf_bool(st_jbuf *b, int v);
void st_jbuf_null(st_jbuf *b);
void st_jbuf_raw(st_jbuf *b, const char *json); /* an already valid JSON value */

/* Shorthands: key and value. */
void st_jbuf_kstr(st_jbuf *b, const char *k, const char *s);
void st_jbuf_knum(st_jbuf *b, const char *k, double v);
void st_jbuf_kint(st_jbuf *b, const char *k, int64_t v);
void st_jbuf_kbool(st_jbuf *b, const char *k, int v);

#endif
