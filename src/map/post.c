/* Post parser: a validating one-pass JSON scanner that keeps only the values its paths name. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_post.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/civil.h"

/* Why not a tokenizer or a DOM: a Twitter v1.1 object is about 3 kB and 250
 * tokens, of which a co-hashtag count needs a handful. This scanner checks the
 * whole line against RFC 8259 (structure, separators, string escapes, control
 * characters, number and literal spelling) but only decodes the values whose
 * path is in the table; everything else is skipped in one tight loop per
 * string. It allocates nothing per line. */

typedef struct seg {
    uint8_t arr; /* 1: "each element of an array"; 0: object key */
    uint8_t len;
    char key[47];
} seg;

typedef struct path {
    uint8_t is_list, idx, prio, nseg;
    seg seg[ST_MAP_SEGS_MAX];
} path;

struct st_map_post {
    size_t max_line;
    int npaths;
    path paths[ST_MAP_PATHS_MAX];
    /* Bit i set: path i ends at this level (its value is captured there). */
    uint64_t ends_at[ST_MAP_SEGS_MAX + 1];
    uint64_t all;
    /* Bit n set: some path has a key of length n at this level (a cheap
     * test that lets most keys of a post skip the path comparison). */
    uint64_t keylens[ST_MAP_SEGS_MAX];
    char *scratch; /* decoded strings; max_line bytes (decoding never grows text) */
    size_t scratch_len;
};

static const char *const sfield_names[ST_MAP_S__COUNT] = {"id",   "time",     "author",    "text",
                                                          "lang", "reply_to", "retweet_of"};
static const char *const lfield_names[ST_MAP_L__COUNT] = {"hashtags", "mentions", "urls"};

/* Default table: Twitter API v1.1 first, then v2 (as written by twarc2 and
 * 4CAT's exports, where the author's handle is expanded into "author"). */
static const char *const default_s[ST_MAP_S__COUNT] = {
    "id_str,id",
    "created_at",
    "user.screen_name,author.username,author_id",
    "full_text,extended_tweet.full_text,text",
    "lang",
    "in_reply_to_screen_name,in_reply_to_user.username",
    "retweeted_status.id_str"};
static const char *const default_l[ST_MAP_L__COUNT] = {
    "entities.hashtags[].text,entities.hashtags[].tag",
    "entities.user_mentions[].screen_name,entities.mentions[].username",
    "entities.urls[].expanded_url"};

int st_map_post_field(const char *name, int *is_list, int *idx)
{
    for (int i = 0; i < ST_MAP_S__COUNT; i++)
        if (!strcmp(name, sfield_names[i])) {
            *is_list = 0;
            *idx = i;
            return 0;
        }
    for (int i = 0; i < ST_MAP_L__COUNT; i++)
        if (!strcmp(name, lfield_names[i])) {
            *is_list = 1;
            *idx = i;
            return 0;
        }
    return -ENOENT;
}

static void rebuild_masks(st_map_post *p)
{
    memset(p->ends_at, 0, sizeof(p->ends_at));
    memset(p->keylens, 0, sizeof(p->keylens));
    p->all = 0;
    for (int i = 0; i < p->npaths; i++) {
        const path *pt = &p->paths[i];
        p->ends_at[pt->nseg] |= 1ull << i;
        p->all |= 1ull << i;
        for (int l = 0; l < pt->nseg; l++)
            if (!pt->seg[l].arr) p->keylens[l] |= 1ull << pt->seg[l].len;
    }
}

/* Parse one path "a.b[].c" into *out. Returns 0 or -EINVAL. */
static int parse_path(const char *s, size_t n, path *out)
{
    size_t i = 0;
    out->nseg = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '.') j++;
        size_t klen = j - i;
        int arr = 0;
        if (klen >= 2 && s[j - 2] == '[' && s[j - 1] == ']') {
            klen -= 2;
            arr = 1;
        }
        if (klen == 0 || klen >= sizeof(out->seg[0].key) || out->nseg + 1 + arr > ST_MAP_SEGS_MAX)
            return -EINVAL;
        for (size_t k = 0; k < klen; k++)
            if (s[i + k] == '[' || s[i + k] == ']' || s[i + k] == '"') return -EINVAL;
        seg *g = &out->seg[out->nseg++];
        g->arr = 0;
        g->len = (uint8_t)klen;
        memcpy(g->key, s + i, klen);
        if (arr) {
            g = &out->seg[out->nseg++];
            g->arr = 1;
            g->len = 0;
        }
        if (j < n && j + 1 == n) return -EINVAL; /* trailing dot */
        i = j + 1;
    }
    return out->nseg ? 0 : -EINVAL;
}

int st_map_post_set_paths(st_map_post *p, int is_list, int idx, const char *spec)
{
    if (!p || !spec || idx < 0 || idx >= (is_list ? ST_MAP_L__COUNT : ST_MAP_S__COUNT))
        return -EINVAL;
    /* Parse into a copy first so that a bad spec leaves the table unchanged. */
    path fresh[ST_MAP_PATHS_MAX];
    int nf = 0;
    for (int i = 0; i < p->npaths; i++)
        if (!(p->paths[i].is_list == is_list && p->paths[i].idx == idx)) fresh[nf++] = p->paths[i];
    int prio = 0;
    const char *s = spec;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (nf >= ST_MAP_PATHS_MAX) return -E2BIG;
        path *np = &fresh[nf];
        if (parse_path(s, n, np)) return -EINVAL;
        np->is_list = (uint8_t)is_list;
        np->idx = (uint8_t)idx;
        np->prio = (uint8_t)prio++;
        nf++;
        if (!e) break;
        s = e + 1;
        if (!*s) return -EINVAL;
    }
    memcpy(p->paths, fresh, (size_t)nf * sizeof(path));
    p->npaths = nf;
    rebuild_masks(p);
    return 0;
}

void st_map_post_free(st_map_post *p)
{
    if (!p) return;
    free(p->scratch);
    free(p);
}

st_map_post *st_map_post_new(size_t max_line)
{
    if (max_line < 2 || max_line > ((size_t)1 << 30)) {
        errno = EINVAL;
        return NULL;
    }
    st_map_post *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->max_line = max_line;
    p->scratch = malloc(max_line);
    if (!p->scratch) goto fail;
    for (int i = 0; i < ST_MAP_S__COUNT; i++)
        if (st_map_post_set_paths(p, 0, i, default_s[i])) goto fail_inval;
    for (int i = 0; i < ST_MAP_L__COUNT; i++)
        if (st_map_post_set_paths(p, 1, i, default_l[i])) goto fail_inval;
    return p;
fail_inval:
    errno = EINVAL;
fail:
    st_map_post_free(p);
    return NULL;
}

/* ---- scanning ----------------------------------------------------------- */

typedef struct ctx {
    st_map_post *p;
    st_map_post_rec *r;
    const char *base, *end;
    const char *errp;
    const char *why;
    uint8_t prio[ST_MAP_S__COUNT];
} ctx;

static const char *fail(ctx *c, const char *at, const char *why)
{
    c->errp = at;
    c->why = why;
    return NULL;
}

static inline const char *ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) s++;
    return s;
}

/* Bytes that stop the string scan: '"', '\\' and the control characters
 * RFC 8259 section 7 forbids unescaped. */
#define X1 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const uint8_t stop[256] = {X1, X1, ['"'] = 1, ['\\'] = 1};
#undef X1

#define ONES 0x0101010101010101ull

static inline int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

/* s at the opening quote. Returns the position after the closing quote, sets
 * *esc when the string holds escapes. */
static const char *scan_string(ctx *c, const char *s, int *esc)
{
    const char *end = c->end;
    const unsigned char *u = (const unsigned char *)s + 1;
    const unsigned char *ue = (const unsigned char *)end;
    *esc = 0;
    for (;;) {
        /* Eight bytes at a time while none of them is special (SWAR: a byte
         * equal to '"' or '\\' becomes zero after the xor; has_zero and
         * has_less are exact as a yes/no test). */
        while (ue - u >= 8) {
            uint64_t x;
            memcpy(&x, u, 8);
            uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
            uint64_t hit = ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x);
            if (hit & (ONES * 0x80)) break;
            u += 8;
        }
        while (u < ue && !stop[*u]) u++;
        if (u >= ue) return fail(c, s, "unterminated string");
        if (*u == '"') return (const char *)u + 1;
        if (*u < 0x20) return fail(c, (const char *)u, "control character inside a string");
        /* backslash */
        *esc = 1;
        if (u + 1 >= ue) return fail(c, (const char *)u, "unterminated string");
        switch (u[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            u += 2;
            break;
        case 'u':
            if (ue - u < 6 || hexval(u[2]) < 0 || hexval(u[3]) < 0 || hexval(u[4]) < 0 ||
                hexval(u[5]) < 0)
                return fail(c, (const char *)u, "bad \\u escape");
            u += 6;
            break;
        default:
            return fail(c, (const char *)u, "bad escape in a string");
        }
    }
}

static inline int is_digit(char ch)
{
    return (unsigned)(ch - '0') < 10u;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *scan_number(ctx *c, const char *s)
{
    const char *q = s, *end = c->end;
    if (q < end && *q == '-') q++;
    if (q >= end) return fail(c, s, "bad number");
    if (*q == '0') {
        q++;
    } else if (is_digit(*q)) {
        while (q < end && is_digit(*q)) q++;
    } else {
        return fail(c, s, "bad number");
    }
    if (q < end && *q == '.') {
        const char *d = ++q;
        while (q < end && is_digit(*q)) q++;
        if (q == d) return fail(c, s, "bad number");
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-')) q++;
        const char *d = q;
        while (q < end && is_digit(*q)) q++;
        if (q == d) return fail(c, s, "bad number");
    }
    return q;
}

static const char *scan_literal(ctx *c, const char *s, const char *lit, size_t n)
{
    if ((size_t)(c->end - s) < n || memcmp(s, lit, n)) return fail(c, s, "unknown literal");
    return s + n;
}

/* Decode the string token [s, e) (quotes included) into the scratch buffer. */
static st_map_str decode(ctx *c, const char *s, const char *e, int esc)
{
    st_map_str out = {s + 1, (size_t)(e - s - 2)};
    if (!esc) return out;
    st_map_post *p = c->p;
    char *o = p->scratch + p->scratch_len, *o0 = o;
    const unsigned char *u = (const unsigned char *)s + 1, *ue = (const unsigned char *)e - 1;
    while (u < ue) {
        if (*u != '\\') {
            *o++ = (char)*u++;
            continue;
        }
        unsigned char k = u[1];
        u += 2;
        switch (k) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            uint32_t cp = (uint32_t)(hexval(u[0]) << 12 | hexval(u[1]) << 8 | hexval(u[2]) << 4 |
                                     hexval(u[3]));
            u += 4;
            /* UTF-16 surrogate pair (RFC 8259 section 7); a lone half is U+FFFD. */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (ue - u >= 6 && u[0] == '\\' && u[1] == 'u') {
                    uint32_t lo = (uint32_t)(hexval(u[2]) << 12 | hexval(u[3]) << 8 |
                                             hexval(u[4]) << 4 | hexval(u[5]));
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        u += 6;
                    } else {
                        cp = 0xFFFD;
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            /* Each \uXXXX (6 bytes) yields at most 3 bytes, a pair (12) at most 4:
             * decoding never outgrows the line. */
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | cp >> 6);
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | cp >> 12);
                *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | cp >> 18);
                *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
                *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default:
            *o++ = (char)k;
            break; /* '"', '\\', '/' */
        }
    }
    p->scratch_len += (size_t)(o - o0);
    out.s = o0;
    out.len = (size_t)(o - o0);
    return out;
}

/* Store the value [s, e) for every path in `done`. kind: '"' string, 'n'
 * null, other: raw text. */
static void capture(ctx *c, uint64_t done, const char *s, const char *e, char kind, int esc)
{
    if (kind == 'n') return;
    st_map_str v = {s, (size_t)(e - s)};
    int decoded = 0;
    while (done) {
        int i = __builtin_ctzll(done);
        done &= done - 1;
        const path *pt = &c->p->paths[i];
        if (kind == '"' && !decoded) {
            v = decode(c, s, e, esc);
            decoded = 1;
        }
        st_map_post_rec *r = c->r;
        if (pt->is_list) {
            if (r->n[pt->idx] < ST_MAP_LIST_MAX)
                r->l[pt->idx][r->n[pt->idx]++] = v;
            else
                r->dropped++;
        } else if (pt->prio < c->prio[pt->idx]) {
            c->prio[pt->idx] = pt->prio;
            r->s[pt->idx] = v;
            r->has[pt->idx] = 1;
        }
    }
}

static const char *value(ctx *c, const char *s, int level, uint64_t mask);

/* Which live paths continue into the member named by key [k, k + n). */
static uint64_t key_mask(const ctx *c, uint64_t live, int level, const char *k, size_t n)
{
    uint64_t out = 0;
    if (n >= 64 || !(c->p->keylens[level] >> n & 1)) return 0;
    while (live) {
        int i = __builtin_ctzll(live);
        live &= live - 1;
        const seg *g = &c->p->paths[i].seg[level];
        if (!g->arr && g->len == n && !memcmp(g->key, k, n)) out |= 1ull << i;
    }
    return out;
}

static uint64_t arr_mask(const ctx *c, uint64_t live, int level)
{
    uint64_t out = 0;
    while (live) {
        int i = __builtin_ctzll(live);
        live &= live - 1;
        if (c->p->paths[i].seg[level].arr) out |= 1ull << i;
    }
    return out;
}

static const char *object(ctx *c, const char *s, int level, uint64_t live)
{
    const char *end = c->end;
    s = ws(s + 1, end);
    if (s < end && *s == '}') return s + 1;
    for (;;) {
        if (s >= end || *s != '"') return fail(c, s, "expected a string key");
        int esc;
        const char *k = s;
        s = scan_string(c, s, &esc);
        if (!s) return NULL;
        uint64_t child = live ? key_mask(c, live, level, k + 1, (size_t)(s - k - 2)) : 0;
        s = ws(s, end);
        if (s >= end || *s != ':') return fail(c, s, "expected ':'");
        s = ws(s + 1, end);
        s = value(c, s, level + 1, child);
        if (!s) return NULL;
        s = ws(s, end);
        if (s < end && *s == ',') {
            s = ws(s + 1, end);
            continue;
        }
        if (s < end && *s == '}') return s + 1;
        return fail(c, s, "expected ',' or '}'");
    }
}

static const char *array(ctx *c, const char *s, int level, uint64_t live)
{
    const char *end = c->end;
    uint64_t child = live ? arr_mask(c, live, level) : 0;
    s = ws(s + 1, end);
    if (s < end && *s == ']') return s + 1;
    for (;;) {
        s = value(c, s, level + 1, child);
        if (!s) return NULL;
        s = ws(s, end);
        if (s < end && *s == ',') {
            s = ws(s + 1, end);
            continue;
        }
        if (s < end && *s == ']') return s + 1;
        return fail(c, s, "expected ',' or ']'");
    }
}

/* s at the first byte of a value (whitespace already skipped). mask holds the
 * paths that reached this value: those ending here capture it, the others may
 * continue inside it. Levels past ST_MAP_SEGS_MAX carry no paths. */
static const char *value(ctx *c, const char *s, int level, uint64_t mask)
{
    if (s >= c->end) return fail(c, s, "expected a value");
    if (level > ST_MAP_DEPTH_MAX) return fail(c, s, "nested too deep");
    uint64_t done = 0, live = 0;
    if (mask) {
        done = mask & c->p->ends_at[level];
        live = level < ST_MAP_SEGS_MAX ? mask & ~done : 0;
    }
    const char *e;
    int esc = 0;
    char kind = *s;
    switch (*s) {
    case '{':
        e = object(c, s, level, live);
        break;
    case '[':
        e = array(c, s, level, live);
        break;
    case '"':
        e = scan_string(c, s, &esc);
        break;
    case 't':
        e = scan_literal(c, s, "true", 4);
        break;
    case 'f':
        e = scan_literal(c, s, "false", 5);
        break;
    case 'n':
        e = scan_literal(c, s, "null", 4);
        break;
    default:
        if (*s == '-' || is_digit(*s)) {
            e = scan_number(c, s);
            break;
        }
        return fail(c, s, "expected a value");
    }
    if (e && done) capture(c, done, s, e, kind, esc);
    return e;
}

int st_map_post_parse(st_map_post *p, const char *line, size_t len, st_map_post_rec *rec,
                      st_map_post_err *err)
{
    if (!p || !rec || (!line && len)) return -EINVAL;
    st_map_post_err dummy;
    if (!err) err = &dummy;
    err->pos = 0;
    err->why = NULL;
    for (int i = 0; i < ST_MAP_S__COUNT; i++) {
        rec->s[i].s = NULL;
        rec->s[i].len = 0;
        rec->has[i] = 0;
    }
    for (int i = 0; i < ST_MAP_L__COUNT; i++) rec->n[i] = 0;
    rec->dropped = 0;
    rec->t = 0;
    rec->has_t = 0;
    rec->bad_time = 0;
    if (len > p->max_line) {
        err->why = "line too long";
        return -E2BIG;
    }
    ctx c = {.p = p, .r = rec, .base = line, .end = line + len};
    memset(c.prio, 0xff, sizeof(c.prio));
    p->scratch_len = 0;
    const char *s = ws(line, c.end);
    if (s >= c.end) {
        err->pos = (size_t)(s - line);
        err->why = "empty line";
        return -EINVAL;
    }
    if (*s != '{') {
        err->pos = (size_t)(s - line);
        err->why = "not a JSON object";
        return -EINVAL;
    }
    s = value(&c, s, 0, p->all);
    if (s) {
        s = ws(s, c.end);
        if (s < c.end) fail(&c, s, "text after the object");
    }
    if (!s || c.why) {
        err->pos = (size_t)(c.errp - line);
        err->why = c.why;
        return -EINVAL;
    }
    if (rec->has[ST_MAP_TIME]) {
        if (st_map_post_time(rec->s[ST_MAP_TIME].s, rec->s[ST_MAP_TIME].len, &rec->t) == 0)
            rec->has_t = 1;
        else
            rec->bad_time = 1;
    }
    return 0;
}

/* ---- time --------------------------------------------------------------- */

/* n digits at s as a number, or -1. */
static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int valid_civil(int y, int mo, int d, int h, int mi, int sec)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
           h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 60;
}

/* "+hhmm", "+hh:mm" or "Z" to seconds east of UTC; returns bytes used or -1. */
static int zone_offset(const char *s, size_t n, int *off)
{
    if (n >= 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *off = 0;
        return 1;
    }
    if (n < 5 || (s[0] != '+' && s[0] != '-')) return -1;
    int hh = digits(s + 1, 2), mm, used;
    if (s[3] == ':') {
        if (n < 6) return -1;
        mm = digits(s + 4, 2);
        used = 6;
    } else {
        mm = digits(s + 3, 2);
        used = 5;
    }
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return -1;
    *off = (s[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return used;
}

int st_map_post_time(const char *s, size_t n, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (!s || !out) return -EINVAL;
    int y, mo = 0, d, h, mi, sec, off;
    /* Twitter v1.1: "Wed Jan 07 11:18:01 +0000 2015" */
    if (n == 30 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[13] == ':' && s[16] == ':' &&
        s[19] == ' ' && s[25] == ' ') {
        for (int i = 0; i < 12; i++)
            if (!memcmp(s + 4, months + 3 * i, 3)) mo = i + 1;
        d = digits(s + 8, 2);
        h = digits(s + 11, 2);
        mi = digits(s + 14, 2);
        sec = digits(s + 17, 2);
        y = digits(s + 26, 4);
        if (zone_offset(s + 20, 5, &off) != 5 || !valid_civil(y, mo, d, h, mi, sec)) return -EINVAL;
        *out = st_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
        return 0;
    }
    /* ISO 8601 / RFC 3339: "2015-01-07T11:18:01[.fff](Z|+hh:mm)" */
    if (n >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') && s[13] == ':' &&
        s[16] == ':') {
        y = digits(s, 4);
        mo = digits(s + 5, 2);
        d = digits(s + 8, 2);
        h = digits(s + 11, 2);
        mi = digits(s + 14, 2);
        sec = digits(s + 17, 2);
        size_t i = 19;
        if (i < n && s[i] == '.') {
            i++;
            size_t f = i;
            while (i < n && is_digit(s[i])) i++;
            if (i == f) return -EINVAL;
        }
        int used = zone_offset(s + i, n - i, &off);
        if (used < 0 || i + (size_t)used != n || !valid_civil(y, mo, d, h, mi, sec)) return -EINVAL;
        *out = st_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
        return 0;
    }
    /* A plain number: epoch seconds, or milliseconds when above 1e11 (year
     * 5138 in seconds, 1973 in milliseconds). */
    if (n >= 1 && n <= 19) {
        int64_t v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!is_digit(s[i])) return -EINVAL;
            v = v * 10 + (s[i] - '0');
        }
        *out = v > 100000000000LL ? v / 1000 : v;
        return 0;
    }
    return -EINVAL;
}

/* ---- selection ---------------------------------------------------------- */

static inline unsigned char lower(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch | 0x20) : ch;
}

static int eq_fold(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
    return 1;
}

static int contains_fold(const char *h, size_t nh, const char *k, size_t nk)
{
    if (nk == 0) return 1;
    for (size_t i = 0; i + nk <= nh; i++)
        if (eq_fold(h + i, nk, k, nk)) return 1;
    return 0;
}

int st_map_post_selected(const st_map_post_rec *rec, const st_map_select *sel)
{
    if (!sel) return 1;
    if (sel->has_since && (!rec->has_t || rec->t < sel->since)) return 0;
    if (sel->has_until && (!rec->has_t || rec->t >= sel->until)) return 0;
    if (sel->keyword && *sel->keyword) {
        const char *k = sel->keyword;
        if (*k == '#') k++;
        size_t nk = strlen(k);
        for (int i = 0; i < rec->n[ST_MAP_HASHTAGS]; i++)
            if (eq_fold(rec->l[ST_MAP_HASHTAGS][i].s, rec->l[ST_MAP_HASHTAGS][i].len, k, nk))
                return 1;
        const st_map_str *t = &rec->s[ST_MAP_TEXT];
        return t->s && contains_fold(t->s, t->len, sel->keyword, strlen(sel->keyword));
    }
    return 1;
}
