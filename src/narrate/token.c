/* Tokeniser and sentence splitter for English official prose (see narrate_token.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "stratum/narrate_token.h"

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME  1099511628211ULL

/* Character classes of decoded code points. */
enum { K_LETTER, K_DIGIT, K_SPACE, K_NL, K_IGNORE, K_APOS, K_HYPHEN, K_PUNCT };

/* Decode one UTF-8 sequence at s[0..n), n >= 1; an invalid or truncated
 * sequence decodes as U+FFFD of length 1 (the caller never reads past n). */
static uint32_t decode(const unsigned char *s, size_t n, size_t *l)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *l = 1;
        return c;
    }
    size_t k;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        *l = 1;
        return 0xFFFD;
    }
    if (k > n) {
        *l = 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *l = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *l = 1;
        return 0xFFFD;
    }
    *l = k;
    return cp;
}

static int cp_class(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return K_LETTER;
        if (cp >= '0' && cp <= '9') return K_DIGIT;
        if (cp == '\n') return K_NL;
        if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\v' || cp < 0x20 || cp == 0x7F)
            return cp == '\f' ? K_NL : K_SPACE;
        if (cp == '\'') return K_APOS;
        if (cp == '-') return K_HYPHEN;
        return K_PUNCT;
    }
    if (cp == 0xAD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
        (cp >= 0xFE00 && cp <= 0xFE0F))
        return K_IGNORE;
    if (cp == 0x2019) return K_APOS;
    if (cp == 0x2010 || cp == 0x2011) return K_HYPHEN;
    if (cp == 0x2028 || cp == 0x2029 || cp == 0x85) return K_NL;
    if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000)
        return K_SPACE;
    if (cp < 0xC0) return (cp == 0xAA || cp == 0xB5 || cp == 0xBA) ? K_LETTER : K_PUNCT;
    if (cp == 0xD7 || cp == 0xF7) return K_PUNCT;
    if ((cp >= 0x2012 && cp <= 0x206F) || (cp >= 0x20A0 && cp <= 0x20CF) ||
        (cp >= 0x2100 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xFFF0 || (cp >= 0x1F000 && cp <= 0x1FAFF))
        return K_PUNCT;
    return K_LETTER;
}

/* Simple one-to-one lower-casing for Latin-1, Latin Extended-A, Greek and
 * Cyrillic capitals (enough for the languages of the strategy corpus). */
static uint32_t fold(uint32_t cp)
{
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
    if (cp >= 0x100 && cp <= 0x137) return cp | 1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x14A && cp <= 0x177) return cp | 1;
    if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    return cp;
}

static size_t encode(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int is_bullet(uint32_t cp)
{
    return cp == 0x2022 || cp == 0x25AA || cp == 0x25E6 || cp == 0x25CF || cp == 0x25A0 ||
           cp == 0x25A1 || cp == 0x2023 || cp == 0x2043 || cp == 0x27A2 || cp == 0x2713 ||
           cp == '*' || cp == '-' || cp == 0x2013 || cp == 0x2014 || cp == 0xB7 ||
           (cp >= 0xE000 && cp <= 0xF8FF);
}

static int is_opening(uint32_t cp)
{
    return cp == '"' || cp == '\'' || cp == '(' || cp == '[' || cp == 0x201C || cp == 0x2018;
}

static int is_closing(uint32_t cp)
{
    return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x201D || cp == 0x2019;
}

/* Words after which '.' does not end a sentence (lower case, no dot). */
static int is_abbrev(const char *w, size_t n)
{
    static const char *const list[] = {
        "mr",   "mrs",  "ms",  "dr",  "prof", "st",  "no",     "nos",  "art",  "arts", "fig",
        "figs", "vol",  "pp",  "cf",  "vs",   "inc", "ltd",    "co",   "corp", "gov",  "govt",
        "jan",  "feb",  "mar", "apr", "jun",  "jul", "aug",    "sep",  "sept", "oct",  "nov",
        "dec",  "para", "sec", "ch",  "ed",   "eds", "approx", "dept", "est",  "gen",  "col",
        "lt",   "sgt",  "rev", "hon", "jr",   "sr",  "op",     "ref",  "resp", "viz",  "al"};
    if (n == 1) return 1; /* initials: "J. Smith", "U. S." */
    if (memchr(w, '.', n)) return 1;
    for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
        if (strlen(list[i]) == n && !memcmp(list[i], w, n)) return 1;
    return 0;
}

void st_tok_init(st_tok_state *st)
{
    memset(st, 0, sizeof(*st));
}

size_t st_tok_scan(const char *text, size_t len, st_tok_state *st, st_token *toks, size_t cap,
                   char *norm)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char *out = (unsigned char *)norm;
    size_t pos = st->pos, np = st->norm_pos, n = 0;
    int nl = pos == 0 ? 1 : 0; /* newlines since the previous token */
    while (pos < len && n < cap) {
        unsigned c = s[pos];
        size_t l = 1;
        uint32_t cp = c;
        int k;
        /* ASCII fast path for the common classes. */
        if (c == ' ') {
            pos++;
            continue;
        }
        if (c >= 0x80) {
            cp = decode(s + pos, len - pos, &l);
            k = cp_class(cp);
        } else {
            k = cp_class(c);
        }
        if (k == K_SPACE || k == K_IGNORE) {
            pos += l;
            continue;
        }
        if (k == K_NL) {
            nl++;
            pos += l;
            continue;
        }
        st_token *t = &toks[n];
        t->off = (uint32_t)pos;
        t->norm_off = (uint32_t)np;
        t->flags = 0;
        uint64_t h = FNV_OFFSET;
        size_t nlen = 0;
        int closing = 0, opening = 0, bullet = 0, terminal = 0, upper = 0, digit = 0;
        if (k == K_LETTER || k == K_DIGIT) {
            int has_alpha = 0, seg = 0;
            uint32_t first = cp;
            size_t p = pos;
            for (;;) {
                if (k == K_LETTER) {
                    uint32_t f = fold(cp);
                    unsigned char buf[4];
                    size_t e = f < 0x80 ? (buf[0] = (unsigned char)f, 1) : encode(f, buf);
                    for (size_t i = 0; i < e; i++) {
                        out[np + nlen + i] = buf[i];
                        h = (h ^ buf[i]) * FNV_PRIME;
                    }
                    nlen += e;
                    has_alpha = 1;
                    seg++;
                } else if (k == K_DIGIT) {
                    out[np + nlen++] = (unsigned char)cp;
                    h = (h ^ cp) * FNV_PRIME;
                    seg++;
                } else if (k == K_APOS || cp == '.' || cp == ',') {
                    /* Keep "canada's", "1,000", "3.5", "u.s", "e.g" as one token. */
                    unsigned char prev = out[np + nlen - 1];
                    size_t l2 = 0;
                    uint32_t nx = p + l < len ? decode(s + p + l, len - p - l, &l2) : 0;
                    int nk = nx ? cp_class(nx) : K_SPACE;
                    int ch = 0;
                    if (k == K_APOS)
                        ch = has_alpha && prev >= 'a' && nk == K_LETTER;
                    else if (prev >= '0' && prev <= '9')
                        ch = nk == K_DIGIT;
                    else if (cp == '.' && seg == 1 && nk == K_LETTER) {
                        size_t l3 = 0;
                        size_t q = p + l + l2;
                        uint32_t nn = q < len ? decode(s + q, len - q, &l3) : 0;
                        int nnk = nn ? cp_class(nn) : K_SPACE;
                        ch = nnk != K_LETTER && nnk != K_DIGIT;
                    }
                    if (!ch) break;
                    unsigned char a = k == K_APOS ? '\'' : (unsigned char)cp;
                    out[np + nlen++] = a;
                    h = (h ^ a) * FNV_PRIME;
                    seg = 0;
                } else if (k != K_IGNORE) {
                    break;
                }
                p += l;
                if (p >= len || nlen > ST_TOK_MAX_LEN - 8) break;
                c = s[p];
                if (c < 0x80) {
                    cp = c;
                    l = 1;
                } else {
                    cp = decode(s + p, len - p, &l);
                }
                k = cp_class(cp);
            }
            t->kind = has_alpha ? ST_TOK_WORD : ST_TOK_NUM;
            t->len = (uint16_t)(p - pos);
            upper = has_alpha && fold(first) != first;
            digit = !has_alpha || (first >= '0' && first <= '9');
            pos = p;
        } else {
            /* One punctuation mark; a run of dots (ellipsis, dot leaders) is one token. */
            size_t p = pos + l;
            if (cp == '.')
                while (p < len && s[p] == '.') p++;
            if (k == K_HYPHEN && !(nl > 0 && p < len && s[p] == ' ')) {
                pos = p; /* a hyphen joins or splits words; it is not a token */
                continue;
            }
            size_t e = p - pos;
            if (cp == '.' && e > 1) e = 2; /* ".." stands for any run */
            if (e > ST_TOK_MAX_LEN) e = ST_TOK_MAX_LEN;
            for (size_t i = 0; i < e; i++) {
                out[np + i] = s[pos + i];
                h = (h ^ s[pos + i]) * FNV_PRIME;
            }
            nlen = e;
            t->kind = ST_TOK_PUNCT;
            t->len = (uint16_t)(p - pos > 0xFFFF ? 0xFFFF : p - pos);
            closing = is_closing(cp);
            opening = is_opening(cp);
            bullet = nl > 0 && is_bullet(cp);
            terminal = (cp == '.' && p - pos == 1) || cp == '!' || cp == '?';
            pos = p;
        }
        t->norm_len = (uint8_t)nlen;
        t->hash = h;
        if (upper) t->flags |= ST_TOK_CAP;
        /* A blank line ends a sentence unless a lower-case word follows: then it
         * was a page or column break inside one (PDF extraction). */
        int lower_word = t->kind == ST_TOK_WORD && !upper;
        int sent =
            !st->started || (nl >= 2 && !lower_word) || bullet || st->in_sent >= ST_TOK_MAX_SENT;
        if (nl >= 2) t->flags |= ST_TOK_PARA;
        if (!sent && st->pending) {
            if (upper || digit || opening || bullet)
                sent = 1;
            else if (!closing)
                st->pending = 0;
        }
        if (sent) {
            t->flags |= ST_TOK_SENT;
            st->in_sent = 0;
            st->pending = 0;
            st->started = 1;
        }
        st->in_sent++;
        if (terminal) {
            const st_token *w = n > 0 ? &toks[n - 1] : NULL;
            st->pending = 1;
            if (w && w->kind == ST_TOK_WORD && w->off + w->len == t->off && s[t->off] == '.' &&
                is_abbrev(norm + w->norm_off, w->norm_len))
                st->pending = 0;
        } else if (!closing) {
            st->pending = 0;
        }
        np += nlen;
        nl = 0;
        n++;
    }
    st->pos = pos;
    st->norm_pos = np;
    return n;
}
