/* SenML (RFC 8428) JSON pack parser: jsmn tokens to resolved, validated st_obs records. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/senml.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jsmn (Debian libjsmn-dev) is header-only. STRICT makes it refuse bare words
 * and non-string keys; PARENT_LINKS makes closing brackets and commas O(1)
 * instead of a backwards scan over all tokens. jsmn is a tokenizer, not a
 * validator: it does not check the separators between tokens, the spelling of
 * numbers and literals, or control characters inside strings; pass 1 below
 * does (RFC 8259). */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

/* Token budget: the array, then per record its object and up to 15 key/value
 * pairs (RFC 8428 defines 12 fields). Packs that need more are refused with
 * -E2BIG. */
#define TOKENS_PER_RECORD 31
/* Nesting allowed inside ignored unknown fields (array, record, value...). */
#define MAX_DEPTH 8
/* RFC 8428 section 4.5.3: times below 2^28 s are relative to "now". */
#define REL_TIME_LIMIT 268435456.0
/* Latest absolute time accepted: 2100-01-01T00:00:00Z. Larger values are
 * almost always milliseconds sent as seconds. */
#define TIME_MAX 4102444800.0
/* Longest resolved name: "<zone>/<device>/<quantity>", 31 + 1 + 31 + 1 + 31. */
#define NAME_MAX_LEN (2 * (ST_ID_MAX - 1) + (ST_NAME_MAX - 1) + 2)
/* Longest JSON number accepted (digits, sign, point, exponent). */
#define NUM_MAX_LEN 63

struct st_senml {
    size_t max_records;
    unsigned ntok;
    jsmntok_t *tok;
    st_obs *rec;
    /* strtod honours LC_NUMERIC; JSON numbers always use '.', so numbers are
     * read with strtod_l in a "C" locale made once here. */
    locale_t c_locale;
};

st_senml *st_senml_new(size_t max_records)
{
    if (max_records == 0 || max_records > ST_SENML_MAX_RECORDS) {
        errno = EINVAL;
        return NULL;
    }
    st_senml *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->max_records = max_records;
    p->ntok = (unsigned)(2 + max_records * TOKENS_PER_RECORD);
    p->tok = malloc(p->ntok * sizeof(*p->tok));
    p->rec = calloc(max_records, sizeof(*p->rec));
    if (!p->tok || !p->rec) goto fail;
    p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!p->c_locale) goto fail;
    return p;
fail:
    st_senml_free(p);
    errno = ENOMEM;
    return NULL;
}

void st_senml_free(st_senml *p)
{
    if (!p) return;
    if (p->c_locale) freelocale(p->c_locale);
    free(p->tok);
    free(p->rec);
    free(p);
}

/* ---- errors -------------------------------------------------------------- */

/* Copies n bytes of untrusted text for an error message: bytes outside
 * printable ASCII become '?', and long text is cut with "...". */
static void safe_copy(char *dst, size_t cap, const char *s, size_t n)
{
    size_t i = 0;
    if (cap == 0) return;
    for (; i < n && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (i < n && cap >= 4) memcpy(dst + cap - 4, "...", 3), i = cap - 1;
    dst[i] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static int
fail(st_senml_err *err, int rc, int record, const char *field, size_t flen, const char *fmt, ...)
{
    if (!err) return rc;
    err->record = record;
    safe_copy(err->field, sizeof(err->field), field ? field : "", field ? flen : 0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return rc;
}

#define FAIL(rc, rec, field, ...) fail(c->err, (rc), (rec), (field), sizeof(field) - 1, __VA_ARGS__)

void st_senml_err_format(const st_senml_err *err, char *buf, size_t cap)
{
    if (!buf || cap == 0) return;
    if (!err) {
        snprintf(buf, cap, "no error");
        return;
    }
    char field[sizeof(err->field)];
    safe_copy(field, sizeof(field), err->field, strnlen(err->field, sizeof(err->field)));
    char msg[sizeof(err->msg)];
    safe_copy(msg, sizeof(msg), err->msg, strnlen(err->msg, sizeof(err->msg)));
    if (err->record >= 0 && field[0])
        snprintf(buf, cap, "record %d field \"%s\": %s", err->record, field, msg);
    else if (err->record >= 0)
        snprintf(buf, cap, "record %d: %s", err->record, msg);
    else if (field[0])
        snprintf(buf, cap, "field \"%s\": %s", field, msg);
    else
        snprintf(buf, cap, "%s", msg);
}

/* ---- pass 1: JSON well-formedness that jsmn leaves out ------------------- */

typedef struct ctx {
    const char *js;
    size_t len;
    const jsmntok_t *tok;
    int ntok;
    st_senml_err *err;
    locale_t loc;
    /* Where pass 1 found a fault, and what it expected. */
    size_t bad_pos;
    const char *why;
} ctx;

static inline size_t skip_ws(const char *js, size_t pos, size_t end)
{
    while (pos < end && (js[pos] == ' ' || js[pos] == '\n' || js[pos] == '\r' || js[pos] == '\t'))
        pos++;
    return pos;
}

/* Token extent including the quotes of a string. */
static inline size_t vstart(const jsmntok_t *t)
{
    return (size_t)t->start - (t->type == JSMN_STRING);
}
static inline size_t vend(const jsmntok_t *t)
{
    return (size_t)t->end + (t->type == JSMN_STRING);
}

static inline int is_digit(unsigned char ch)
{
    return (unsigned)(ch - '0') < 10u;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(const char *s, size_t n)
{
    size_t i = 0, d;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return 0;
    if (s[i] == '0') {
        i++;
    } else if (is_digit((unsigned char)s[i])) {
        while (i < n && is_digit((unsigned char)s[i])) i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        d = ++i;
        while (i < n && is_digit((unsigned char)s[i])) i++;
        if (i == d) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        d = i;
        while (i < n && is_digit((unsigned char)s[i])) i++;
        if (i == d) return 0;
    }
    return i == n;
}

static int valid_primitive(const char *s, size_t n)
{
    switch (s[0]) {
    case 't':
        return n == 4 && !memcmp(s, "true", 4);
    case 'f':
        return n == 5 && !memcmp(s, "false", 5);
    case 'n':
        return n == 4 && !memcmp(s, "null", 4);
    default:
        return json_number(s, n);
    }
}

/* RFC 8259 section 7: control characters must be escaped inside strings
 * (jsmn already checked the escapes themselves). */
static int valid_string(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20) return 0;
    return 1;
}

static int bad(ctx *c, size_t pos, const char *why)
{
    c->bad_pos = pos;
    c->why = why;
    return -1;
}

/* Checks the value at token j and everything inside it: each byte between two
 * tokens must be whitespace plus exactly the separator JSON requires there.
 * Returns the index of the token after the value's subtree, or -1. */
static int check_value(ctx *c, int j, int depth)
{
    const jsmntok_t *t = &c->tok[j];
    const char *js = c->js;
    if (t->type == JSMN_STRING) {
        if (!valid_string(js + t->start, (size_t)(t->end - t->start)))
            return bad(c, (size_t)t->start, "a control character inside a string");
        return j + 1;
    }
    if (t->type == JSMN_PRIMITIVE) {
        if (!valid_primitive(js + t->start, (size_t)(t->end - t->start)))
            return bad(c, (size_t)t->start, "a number, true, false or null");
        return j + 1;
    }
    if (depth >= MAX_DEPTH) return bad(c, (size_t)t->start, "at most 8 levels of nesting");
    size_t end = (size_t)t->end - 1, pos = (size_t)t->start + 1;
    int obj = t->type == JSMN_OBJECT, k = j + 1;
    for (int i = 0; i < t->size; i++) {
        pos = skip_ws(js, pos, end);
        if (i) {
            if (js[pos] != ',') return bad(c, pos, obj ? "',' or '}'" : "',' or ']'");
            pos = skip_ws(js, pos + 1, end);
        }
        if (k >= c->ntok || vstart(&c->tok[k]) != pos) return bad(c, pos, "a value");
        if (obj) {
            if (c->tok[k].type != JSMN_STRING || c->tok[k].size != 1)
                return bad(c, pos, "a field name followed by ':'");
            if (!valid_string(js + c->tok[k].start, (size_t)(c->tok[k].end - c->tok[k].start)))
                return bad(c, pos, "a field name without control characters");
            pos = skip_ws(js, vend(&c->tok[k]), end);
            if (js[pos] != ':') return bad(c, pos, "':'");
            pos = skip_ws(js, pos + 1, end);
            k++;
            if (k >= c->ntok || vstart(&c->tok[k]) != pos) return bad(c, pos, "a value");
        }
        int next = check_value(c, k, depth + 1);
        if (next < 0) return -1;
        pos = vend(&c->tok[k]);
        k = next;
    }
    pos = skip_ws(js, pos, end);
    if (pos != end) return bad(c, pos, obj ? "',' or '}'" : "',' or ']'");
    return k;
}

/* Index of the record (top-level element) that holds byte pos, or -1. */
static int record_at(const ctx *c, size_t pos)
{
    const jsmntok_t *top = &c->tok[0];
    int j = 1;
    for (int rec = 0; rec < top->size && j < c->ntok; rec++) {
        const jsmntok_t *t = &c->tok[j];
        if (pos >= vstart(t) && pos < vend(t)) return rec;
        int end = t->end;
        for (j++; j < c->ntok && c->tok[j].start < end; j++) {
        }
    }
    return -1;
}

/* ---- pass 2: SenML semantics --------------------------------------------- */

enum {
    F_N = 1 << 0,
    F_U = 1 << 1,
    F_V = 1 << 2,
    F_VS = 1 << 3,
    F_VB = 1 << 4,
    F_T = 1 << 5,
    F_UT = 1 << 6,
    F_BN = 1 << 7,
    F_BT = 1 << 8,
    F_BU = 1 << 9,
    F_BV = 1 << 10,
    F_BVER = 1 << 11,
};
#define F_BASE   (F_BN | F_BT | F_BU | F_BV | F_BVER)
#define F_VALUES (F_V | F_VS | F_VB)

static inline int is_alnum(unsigned char ch)
{
    return (unsigned)((ch | 32) - 'a') < 26u || is_digit(ch);
}

static inline int is_id_char(unsigned char ch)
{
    return is_alnum(ch) || ch == '_' || ch == '-';
}

static inline int is_name_char(unsigned char ch)
{
    return is_id_char(ch) || ch == ':' || ch == '.' || ch == '/';
}

/* Exact powers of ten representable in a double. */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A JSON number token as a double (grammar already checked in pass 1).
 * Typical sensor numbers ("62.5", "1764270000") take Clinger's fast path: an
 * integer mantissa below 2^53 and a power of ten up to 10^22 are both exact
 * doubles, so one IEEE multiply or divide gives the correctly rounded result,
 * identical to strtod's. Anything else goes to strtod_l on a bounded,
 * NUL-terminated copy. Returns 0, -1 if not finite, -2 if too long. */
static int read_number(const ctx *c, const jsmntok_t *t, double *out)
{
    const char *s = c->js + t->start;
    size_t n = (size_t)(t->end - t->start), i = 0;
    if (n > NUM_MAX_LEN) return -2;
    int neg = s[0] == '-';
    i = (size_t)neg;
    unsigned long long m = 0;
    int digits = 0, frac = 0;
    for (; i < n && is_digit((unsigned char)s[i]); i++, digits++)
        m = m * 10 + (unsigned)(s[i] - '0');
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit((unsigned char)s[i]); i++, digits++, frac++)
            m = m * 10 + (unsigned)(s[i] - '0');
    if (i == n && digits <= 15 && frac <= 22) { /* 15 digits < 2^53 */
        double v = (double)m;
        if (frac) v /= pow10_exact[frac];
        *out = neg ? -v : v;
        return 0;
    }
    char tmp[NUM_MAX_LEN + 1];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = strtod_l(tmp, NULL, c->loc);
    if (!isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Compares a token's bytes with a NUL-terminated unit name, without strlen. */
static inline int unit_is(const char *u, size_t ul, const char *want)
{
    for (size_t i = 0; i < ul; i++)
        if (want[i] != u[i]) return 0; /* also stops at want's NUL */
    return want[ul] == '\0';
}

static inline int is_number_tok(const ctx *c, const jsmntok_t *t)
{
    char ch = c->js[t->start];
    return t->type == JSMN_PRIMITIVE && (ch == '-' || is_digit((unsigned char)ch));
}

/* Reads a numeric field or fails with a sentence naming it. */
#define NUMBER_FIELD(tokp, field, dst)                                                             \
    do {                                                                                           \
        if (!is_number_tok(c, (tokp))) return FAIL(-EINVAL, rec, field, "must be a JSON number");  \
        int rn_ = read_number(c, (tokp), &(dst));                                                  \
        if (rn_ == -2)                                                                             \
            return FAIL(-EINVAL, rec, field, "number is longer than %d characters", NUM_MAX_LEN);  \
        if (rn_ < 0) return FAIL(-EINVAL, rec, field, "number is too large to represent");         \
    } while (0)

#define STRING_FIELD(tokp, field)                                                                  \
    do {                                                                                           \
        if ((tokp)->type != JSMN_STRING)                                                           \
            return FAIL(-EINVAL, rec, field, "must be a JSON string");                             \
    } while (0)

/* Base values carried from record to record (RFC 8428 section 4.6). */
typedef struct base {
    const char *bn, *bu;
    size_t bn_len, bu_len;
    double bt, bv, bver;
} base;

/* One record's fields as read. */
typedef struct fields {
    unsigned seen;
    int nvals;
    const jsmntok_t *n, *u, *vs;
    double v, t, ut;
    int vb;
} fields;

/* UTF-8 well-formedness (RFC 3629) of s[0..n). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char ch = s[i];
        if (ch < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned cp;
        if (ch >= 0xc2 && ch <= 0xdf)
            k = 1, cp = ch & 0x1f;
        else if (ch >= 0xe0 && ch <= 0xef)
            k = 2, cp = ch & 0x0f;
        else if (ch >= 0xf0 && ch <= 0xf4)
            k = 3, cp = ch & 0x07;
        else
            return 0;
        if (i + k >= n) return 0;
        for (size_t m = 1; m <= k; m++) {
            if ((s[i + m] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + m] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char ch = (unsigned char)s[i];
        unsigned d;
        if (is_digit(ch))
            d = ch - '0';
        else if ((unsigned)((ch | 32) - 'a') < 6u)
            d = (unsigned)((ch | 32) - 'a' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Unescapes a JSON string body (RFC 8259 section 7) into dst (cap bytes with
 * the NUL). Returns the length, -1 for a bad escape or text (NUL, lone
 * surrogate, invalid UTF-8), -2 if it does not fit. */
static int unescape(const char *s, size_t n, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)s[i];
        unsigned cp;
        if (ch != '\\') {
            if (o + 1 >= cap) return -2;
            dst[o++] = (char)ch;
            i++;
            continue;
        }
        if (i + 1 >= n) return -1;
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '"':
            cp = '"';
            break;
        case '\\':
            cp = '\\';
            break;
        case '/':
            cp = '/';
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (i + 4 > n || hex4(s + i, &cp)) return -1;
            i += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff) return -1;
            if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair */
                unsigned lo;
                if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' || hex4(s + i + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return -1;
                i += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            break;
        default:
            return -1;
        }
        if (cp == 0) return -1;
        unsigned char u8[4];
        size_t k;
        if (cp < 0x80)
            u8[0] = (unsigned char)cp, k = 1;
        else if (cp < 0x800)
            u8[0] = (unsigned char)(0xc0 | cp >> 6), u8[1] = (unsigned char)(0x80 | (cp & 0x3f)),
            k = 2;
        else if (cp < 0x10000)
            u8[0] = (unsigned char)(0xe0 | cp >> 12),
            u8[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
            u8[2] = (unsigned char)(0x80 | (cp & 0x3f)), k = 3;
        else
            u8[0] = (unsigned char)(0xf0 | cp >> 18),
            u8[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
            u8[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
            u8[3] = (unsigned char)(0x80 | (cp & 0x3f)), k = 4;
        if (o + k >= cap) return -2;
        memcpy(dst + o, u8, k);
        o += k;
    }
    if (!valid_utf8((const unsigned char *)dst, o)) return -1;
    dst[o] = '\0';
    return (int)o;
}

/* Reads the fields of record rec (object token at j); returns the token index
 * after the record or a negative errno. Base fields update *b at once: they
 * apply to this record too. */
static int read_fields(ctx *c, int rec, int j, fields *f, base *b)
{
    const jsmntok_t *obj = &c->tok[j];
    int nf = obj->size;
    j++;
    for (int i = 0; i < nf; i++) {
        const jsmntok_t *key = &c->tok[j], *val = &c->tok[j + 1];
        const char *k = c->js + key->start;
        size_t klen = (size_t)(key->end - key->start);
        unsigned bit = 0;
        j += 2;
        /* A switch on length and first letter: no strcmp chain. */
        switch (klen) {
        case 1:
            switch (k[0]) {
            case 'n':
                bit = F_N;
                STRING_FIELD(val, "n");
                f->n = val;
                break;
            case 'u':
                bit = F_U;
                STRING_FIELD(val, "u");
                f->u = val;
                break;
            case 'v':
                bit = F_V;
                NUMBER_FIELD(val, "v", f->v);
                break;
            case 't':
                bit = F_T;
                NUMBER_FIELD(val, "t", f->t);
                break;
            case 's':
                return FAIL(-EINVAL, rec, "s",
                            "sum values are not supported by Stratum; send the value as v");
            }
            break;
        case 2:
            if (k[0] == 'v') {
                if (k[1] == 's') {
                    bit = F_VS;
                    STRING_FIELD(val, "vs");
                    f->vs = val;
                } else if (k[1] == 'b') {
                    bit = F_VB;
                    if (val->type != JSMN_PRIMITIVE ||
                        (c->js[val->start] != 't' && c->js[val->start] != 'f'))
                        return FAIL(-EINVAL, rec, "vb", "must be true or false");
                    f->vb = c->js[val->start] == 't';
                } else if (k[1] == 'd') {
                    return FAIL(-EINVAL, rec, "vd",
                                "data values are not supported by Stratum; send v, vs or vb");
                }
            } else if (k[0] == 'u' && k[1] == 't') {
                bit = F_UT;
                NUMBER_FIELD(val, "ut", f->ut);
                if (f->ut < 0)
                    return FAIL(-EINVAL, rec, "ut", "update time %g must not be negative", f->ut);
            } else if (k[0] == 'b') {
                switch (k[1]) {
                case 'n':
                    bit = F_BN;
                    STRING_FIELD(val, "bn");
                    b->bn = c->js + val->start;
                    b->bn_len = (size_t)(val->end - val->start);
                    break;
                case 't':
                    bit = F_BT;
                    NUMBER_FIELD(val, "bt", b->bt);
                    break;
                case 'u':
                    bit = F_BU;
                    STRING_FIELD(val, "bu");
                    b->bu = c->js + val->start;
                    b->bu_len = (size_t)(val->end - val->start);
                    break;
                case 'v':
                    bit = F_BV;
                    NUMBER_FIELD(val, "bv", b->bv);
                    break;
                case 's':
                    return FAIL(-EINVAL, rec, "bs",
                                "base sums are not supported by Stratum, as sums (s) are not");
                }
            }
            break;
        case 4:
            if (!memcmp(k, "bver", 4)) {
                double ver;
                bit = F_BVER;
                NUMBER_FIELD(val, "bver", ver);
                if (ver != floor(ver) || ver < 1)
                    return FAIL(-EINVAL, rec, "bver", "%g is not a positive whole number", ver);
                if (ver > 10)
                    return FAIL(-EINVAL, rec, "bver",
                                "SenML version %g is newer than 10, the version of RFC 8428 "
                                "this parser implements",
                                ver);
                if (b->bver != 0 && ver != b->bver)
                    return FAIL(-EINVAL, rec, "bver",
                                "version %g differs from %g in an earlier record; a pack has "
                                "one version",
                                ver, b->bver);
                b->bver = ver;
            }
            break;
        }
        if (bit) {
            if (f->seen & bit)
                return fail(c->err, -EINVAL, rec, k, klen, "field appears twice in the record");
            f->seen |= bit;
            if ((bit & F_VALUES) && ++f->nvals > 1)
                return fail(c->err, -EINVAL, rec, k, klen,
                            "a record carries exactly one value field (v, vs or vb)");
        } else {
            /* RFC 8428 section 4.4: unknown fields are ignored unless their
             * name ends in "_" (must understand). An escaped name might spell
             * such a field, so names with escapes are refused. */
            if (klen > 0 && k[klen - 1] == '_')
                return fail(c->err, -EINVAL, rec, k, klen,
                            "must-understand field (name ends in \"_\") is not supported");
            if (memchr(k, '\\', klen))
                return fail(c->err, -EINVAL, rec, k, klen,
                            "field names with escape sequences are not supported");
            if (val->type == JSMN_OBJECT || val->type == JSMN_ARRAY) {
                int end = val->end;
                while (j < c->ntok && c->tok[j].start < end) j++;
            }
        }
    }
    return j;
}

/* Resolves one record with a value into *o (RFC 8428 section 4.6). */
static int resolve(ctx *c, int rec, const fields *f, const base *b, double now, st_obs *o)
{
    char name[NAME_MAX_LEN + 1], shown[40];
    const char *nfield = (f->seen & F_N) ? "n" : "bn";
    size_t nlen = f->n ? (size_t)(f->n->end - f->n->start) : 0;
    size_t len = b->bn_len + nlen;

    /* Name: bn + n, the SenML charset (section 4.5.1), then our structure. */
    if (len == 0) return FAIL(-EINVAL, rec, "n", "record has no name (n or bn)");
    size_t nfl = f->n ? 1 : 2;
    if (len > NAME_MAX_LEN) {
        /* Show the start of bn + n. */
        size_t from_bn = b->bn_len < 24 ? b->bn_len : 24;
        memcpy(name, b->bn, from_bn);
        if (from_bn < 24 && nlen) memcpy(name + from_bn, c->js + f->n->start, 24 - from_bn);
        safe_copy(shown, 24, name, 24);
        return fail(c->err, -EINVAL, rec, nfield, nfl, "name \"%s\" is longer than %d characters",
                    shown, NAME_MAX_LEN);
    }
    memcpy(name, b->bn, b->bn_len);
    if (nlen) memcpy(name + b->bn_len, c->js + f->n->start, nlen);
    name[len] = '\0';
    int s1 = -1, s2 = -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!is_name_char(ch) || (i == 0 && !is_alnum(ch))) {
            safe_copy(shown, sizeof(shown), name, len);
            if (i == 0)
                return fail(c->err, -EINVAL, rec, nfield, nfl,
                            "\"%s\" is not a SenML name: it must start with a letter or digit",
                            shown);
            return fail(c->err, -EINVAL, rec, nfield, nfl,
                        "\"%s\" is not a SenML name: character %zu is not one of A-Z a-z "
                        "0-9 : . / _ -",
                        shown, i + 1);
        }
        if (ch == '/') {
            if (s1 < 0)
                s1 = (int)i;
            else if (s2 < 0)
                s2 = (int)i;
            else
                s2 = -2;
        }
    }
    if (s1 < 0 || s2 < 0) {
        safe_copy(shown, sizeof(shown), name, len);
        return fail(c->err, -EINVAL, rec, nfield, nfl,
                    "name \"%s\" is not <zone>/<device>/<quantity>", shown);
    }
    size_t zl = (size_t)s1, dl = (size_t)(s2 - s1 - 1), ql = len - (size_t)s2 - 1;
    const char *zone = name, *dev = name + s1 + 1, *q = name + s2 + 1;
    for (int part = 0; part < 2; part++) {
        const char *id = part ? dev : zone;
        size_t il = part ? dl : zl;
        int ok = il >= 1 && il < ST_ID_MAX;
        for (size_t i = 0; ok && i < il; i++) ok = is_id_char((unsigned char)id[i]);
        if (!ok) {
            safe_copy(shown, sizeof(shown), id, il);
            return fail(c->err, -EINVAL, rec, nfield, nfl,
                        "%s id \"%s\" must be 1 to 31 of A-Z a-z 0-9 _ -", part ? "device" : "zone",
                        shown);
        }
    }
    int sub = 0;
    st_qty qty = ql < ST_NAME_MAX ? st_qty_parse(q, ql, &sub) : ST_Q_UNKNOWN;
    if (qty == ST_Q_UNKNOWN) {
        safe_copy(shown, sizeof(shown), q, ql);
        if (ql > 5 && !memcmp(q, "band:", 5))
            return fail(c->err, -EINVAL, rec, nfield, nfl,
                        "\"%s\" is not an IEC 61260-1 nominal 1/3-octave band of 25 Hz to 10 "
                        "kHz (e.g. band:31.5, band:1000)",
                        shown);
        if (ql > 6 && !memcmp(q, "event:", 6))
            return fail(c->err, -EINVAL, rec, nfield, nfl,
                        "\"%s\": the event kinds are shout, scream, glass and bang", shown);
        return fail(c->err, -EINVAL, rec, nfield, nfl,
                    "unknown quantity \"%s\" (see docs/observations.md)", shown);
    }
    const st_qty_info *qi = st_qty_info_get(qty);

    /* Unit: u, else bu (a string value takes no unit, so bu is not applied). */
    if (qty == ST_Q_SW_VERSION) {
        if (f->u && f->u->end > f->u->start)
            return FAIL(-EINVAL, rec, "u", "swVersion is a string and takes no unit");
    } else {
        const char *u = NULL;
        size_t ul = 0;
        if (f->u)
            u = c->js + f->u->start, ul = (size_t)(f->u->end - f->u->start);
        else if (b->bu_len)
            u = b->bu, ul = b->bu_len;
        if (!u)
            return FAIL(-EINVAL, rec, "u", "%.*s needs the unit \"%s\" (u or bu); none given",
                        (int)ql, q, qi->unit);
        if (!unit_is(u, ul, qi->unit)) {
            safe_copy(shown, 20, u, ul);
            return fail(c->err, -EINVAL, rec, f->u ? "u" : "bu", 1 + !f->u,
                        "unit \"%s\" is not \"%s\", the unit of %.*s", shown, qi->unit, (int)ql, q);
        }
    }

    /* Value. */
    memset(o, 0, sizeof(*o));
    if (qty == ST_Q_SW_VERSION) {
        if (!(f->seen & F_VS))
            return fail(c->err, -EINVAL, rec, (f->seen & F_V) ? "v" : "vb", 1 + !(f->seen & F_V),
                        "swVersion needs a string value (vs)");
        int r = unescape(c->js + f->vs->start, (size_t)(f->vs->end - f->vs->start), o->vs,
                         sizeof(o->vs));
        if (r == -2)
            return FAIL(-EINVAL, rec, "vs", "string is longer than %d bytes", ST_VS_MAX - 1);
        if (r < 0)
            return FAIL(-EINVAL, rec, "vs",
                        "string has a bad escape, a NUL or invalid UTF-8 (RFC 8259)");
    } else if (f->seen & F_VS) {
        return FAIL(-EINVAL, rec, "vs", "%.*s needs a numeric value (v)", (int)ql, q);
    } else if (f->seen & F_VB) {
        if (qty != ST_Q_EVENT)
            return FAIL(-EINVAL, rec, "vb",
                        "%.*s needs a numeric value (v); vb is only for event:<kind>", (int)ql, q);
        o->v = f->vb;
    } else {
        double v = f->v + b->bv;
        if (!isfinite(v)) return FAIL(-EINVAL, rec, "v", "v + bv is too large to represent");
        if (v < qi->min)
            return FAIL(-EINVAL, rec, "v", "%g is below the minimum %g for %.*s (%s)", v, qi->min,
                        (int)ql, q, qi->unit);
        if (v > qi->max)
            return FAIL(-EINVAL, rec, "v", "%g is above the maximum %g for %.*s (%s)", v, qi->max,
                        (int)ql, q, qi->unit);
        /* People are counted whole (FIWARE peopleCount is an integer). */
        if (qi->unit[0] == 'c' && v != floor(v))
            return FAIL(-EINVAL, rec, "v", "%g is not a whole number of people (%.*s)", v, (int)ql,
                        q);
        o->v = v;
    }

    /* Time: bt + t; below 2^28 in magnitude it is relative to now. */
    double t = b->bt + f->t;
    if (fabs(t) < REL_TIME_LIMIT) t += now;
    if (!(t >= REL_TIME_LIMIT && t <= TIME_MAX)) {
        int has_t = (f->seen & F_T) != 0;
        if (t > TIME_MAX)
            return fail(c->err, -EINVAL, rec, has_t ? "t" : "bt", 2 - has_t,
                        "time %.0f is after 2100 (milliseconds sent as seconds?)", t);
        return fail(c->err, -EINVAL, rec, has_t ? "t" : "bt", 2 - has_t,
                    "time %.0f is before 1978 (absolute times are seconds since 1970, "
                    "relative ones below 2^28)",
                    t);
    }

    memcpy(o->zone, zone, zl);
    memcpy(o->device, dev, dl);
    memcpy(o->name, q, ql);
    /* Units are at most 5 bytes ("count"); the field holds 12. */
    for (size_t i = 0; qi->unit[i]; i++) o->unit[i] = qi->unit[i];
    o->qty = qty;
    o->sub = sub;
    o->t = t;
    o->ut = f->ut;
    return 0;
}

int st_senml_parse(st_senml *p, const char *buf, size_t len, double now, const st_obs **out,
                   st_senml_err *err)
{
    ctx cc = {buf, len, NULL, 0, err, (locale_t)0, 0, NULL}, *c = &cc;
    if (out) *out = NULL;
    if (!p || (!buf && len)) return fail(err, -EINVAL, -1, "", 0, "no parser or no buffer");
    if (len > ST_SENML_MAX_BYTES)
        return fail(err, -E2BIG, -1, "", 0, "pack is %zu bytes; the limit is %d", len,
                    ST_SENML_MAX_BYTES);
    jsmn_parser jp;
    jsmn_init(&jp);
    int r = buf ? jsmn_parse(&jp, buf, len, p->tok, p->ntok) : 0;
    if (r == JSMN_ERROR_NOMEM)
        return fail(err, -E2BIG, -1, "", 0,
                    "pack has more than %u JSON values (at most %zu records of %d fields)", p->ntok,
                    p->max_records, (TOKENS_PER_RECORD - 1) / 2);
    if (r == JSMN_ERROR_INVAL)
        return fail(err, -EINVAL, -1, "", 0, "invalid JSON at byte %u", jp.pos);
    if (r == JSMN_ERROR_PART)
        return fail(err, -EINVAL, -1, "", 0,
                    "JSON ends before the pack is complete (a ']', '}' or '\"' is missing)");
    if (r <= 0) return fail(err, -EINVAL, -1, "", 0, "empty input; a pack is a JSON array");
    cc.tok = p->tok;
    cc.ntok = r;
    cc.loc = p->c_locale;
    const jsmntok_t *top = &p->tok[0];

    /* Pass 1: exactly one JSON array and nothing else. */
    if (skip_ws(buf, 0, len) != vstart(top) || skip_ws(buf, vend(top), len) != len)
        return fail(err, -EINVAL, -1, "", 0,
                    "text outside the pack's JSON array (one pack per message or line)");
    if (top->type != JSMN_ARRAY)
        return fail(err, -EINVAL, -1, "", 0, "a SenML pack is a JSON array of records, not %s",
                    top->type == JSMN_OBJECT ? "an object" : "a single value");
    if (top->size == 0) return fail(err, -EINVAL, -1, "", 0, "pack is an empty array");
    if ((size_t)top->size > p->max_records)
        return fail(err, -E2BIG, -1, "", 0, "pack has %d records; the limit is %zu", top->size,
                    p->max_records);
    if (check_value(c, 0, 0) < 0)
        return fail(err, -EINVAL, record_at(c, c->bad_pos), "", 0,
                    "invalid JSON at byte %zu: expected %s", c->bad_pos, c->why);

    /* Pass 2: fields, bases, resolution. */
    base b = {"", "", 0, 0, 0, 0, 0};
    int nout = 0, j = 1;
    for (int rec = 0; rec < top->size; rec++) {
        if (p->tok[j].type != JSMN_OBJECT)
            return FAIL(-EINVAL, rec, "", "a record must be a JSON object");
        fields f;
        memset(&f, 0, sizeof(f));
        int next = read_fields(c, rec, j, &f, &b);
        if (next < 0) return next;
        j = next;
        if (!(f.seen & F_VALUES)) {
            /* RFC 8428 section 4.2 wants a value in every record; Stratum also
             * takes a record of base fields alone (a pack header) and makes no
             * observation of it. */
            if ((f.seen & F_BASE) && !(f.seen & ~F_BASE)) continue;
            return FAIL(-EINVAL, rec, "v", "record has no value field (v, vs or vb)");
        }
        int rr = resolve(c, rec, &f, &b, now, &p->rec[nout]);
        if (rr < 0) return rr;
        nout++;
    }
    if (nout == 0)
        return fail(err, -EINVAL, -1, "", 0, "pack has only base fields and no measurement");
    if (out) *out = p->rec;
    return nout;
}
