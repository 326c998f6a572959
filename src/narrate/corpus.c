/* Corpus reading: manifest, UTF-8 validation, repair of PDF-extraction damage (narrate_corpus.h).
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_vocab.h"

/* Bound on one document: the offsets of st_token are 32-bit. */
#define MAX_DOC_BYTES (1u << 30)

struct st_corpus {
    char *path;
    size_t ncols;
    char **cols; /* column names */
    size_t n;
    st_corpus_doc *docs;
    char ***fields; /* per document: ncols values */
    char fingerprint[17];
};

static const char *const repair_names[ST_REPAIRS_N] = {
    "bom",       "crlf",           "form_feeds",  "soft_hyphens", "ligatures",
    "pua",       "zero_width",     "controls",    "dot_leaders",  "letter_spaced",
    "fake_bold", "double_spacing", "eol_hyphens", "split_words"};

const char *st_repairs_name(int i)
{
    return i >= 0 && i < ST_REPAIRS_N ? repair_names[i] : NULL;
}

long st_repairs_get(const st_repairs *r, int i)
{
    const long v[ST_REPAIRS_N] = {
        r->bom,       r->crlf,           r->form_feeds,  r->soft_hyphens, r->ligatures,
        r->pua,       r->zero_width,     r->controls,    r->dot_leaders,  r->letter_spaced,
        r->fake_bold, r->double_spacing, r->eol_hyphens, r->split_words};
    return i >= 0 && i < ST_REPAIRS_N ? v[i] : 0;
}

static void add_repairs(st_repairs *a, const st_repairs *b)
{
    a->bom += b->bom;
    a->crlf += b->crlf;
    a->form_feeds += b->form_feeds;
    a->soft_hyphens += b->soft_hyphens;
    a->ligatures += b->ligatures;
    a->pua += b->pua;
    a->zero_width += b->zero_width;
    a->controls += b->controls;
    a->dot_leaders += b->dot_leaders;
    a->letter_spaced += b->letter_spaced;
    a->fake_bold += b->fake_bold;
    a->double_spacing += b->double_spacing;
    a->eol_hyphens += b->eol_hyphens;
    a->split_words += b->split_words;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int st_utf8_check(const char *buf, size_t len, long *line, long *col)
{
    const unsigned char *s = (const unsigned char *)buf;
    long ln = 1;
    size_t bol = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c == '\n') {
                ln++;
                bol = i + 1;
            }
            i++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            k = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 3;
            if (c == 0xE0) lo = 0xA0; /* no overlongs */
            if (c == 0xED) hi = 0x9F; /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
        } else
            goto bad;
        if (i + k > len) goto bad;
        if (s[i + 1] < lo || s[i + 1] > hi) goto bad;
        for (size_t j = 2; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80) goto bad;
        i += k;
        continue;
    bad:
        if (line) *line = ln;
        if (col) *col = (long)(i - bol + 1);
        return -EILSEQ;
    }
    return 0;
}

/* Length of the UTF-8 sequence led by byte c (valid input assumed). */
static size_t seqlen(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static uint32_t cp_at(const unsigned char *s, size_t k)
{
    if (k == 1) return s[0];
    if (k == 2) return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    if (k == 3)
        return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

static int is_alpha_ascii(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Second character pass over one line, in place: close up letter-spaced
 * segments and halve fake-bold words. Returns the new line length. */
static size_t fix_line(char *line, size_t n, st_repairs *r)
{
    unsigned char *s = (unsigned char *)line;
    size_t w = 0, i = 0;
    while (i < n) {
        /* A segment runs to the next run of >= 2 spaces (or a tab). */
        size_t a = i;
        while (i < n && !(s[i] == '\t' || (s[i] == ' ' && i + 1 < n && s[i + 1] == ' '))) i++;
        size_t b = i; /* segment [a, b) */
        /* Letter-spaced: >= 3 pieces, each one code point, split by single spaces. */
        size_t pieces = 0, letters = 0, j = a;
        int spaced = b > a;
        while (j < b && spaced) {
            size_t k = seqlen(s[j]);
            if (s[j] == ' ' || j + k > b) {
                spaced = 0;
                break;
            }
            pieces++;
            if (is_alpha_ascii(s[j])) letters++;
            j += k;
            if (j < b) {
                if (s[j] != ' ') spaced = 0;
                j++;
            }
        }
        if (spaced && pieces >= 3 && letters >= 2) {
            for (j = a; j < b; j++)
                if (s[j] != ' ') s[w++] = s[j];
            r->letter_spaced++;
        } else {
            /* Words of the segment, fake-bold test on each. */
            j = a;
            while (j < b) {
                size_t e = j;
                while (e < b && s[e] != ' ') e++;
                size_t m = e - j, q;
                int bold = m >= 6 && m % 2 == 0;
                for (q = 0; bold && q < m; q += 2)
                    if (!is_alpha_ascii(s[j + q]) || s[j + q] != s[j + q + 1]) bold = 0;
                if (bold) {
                    for (q = 0; q < m; q += 2) s[w++] = s[j + q];
                    r->fake_bold++;
                } else {
                    memmove(s + w, s + j, m);
                    w += m;
                }
                j = e;
                if (j < b) s[w++] = s[j++];
            }
        }
        /* Copy the separator run as is. */
        while (i < n && (s[i] == ' ' || s[i] == '\t')) s[w++] = s[i++];
    }
    return w;
}

static int blank_line(const unsigned char *s, size_t a, size_t e)
{
    for (size_t i = a; i < e; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

/* Some extractions put a blank line after every line of text, so a blank line
 * no longer marks a paragraph. When blank lines are at least 70% as many as
 * text lines, each run of blank lines loses one line: a single blank line
 * joins the two lines, two mark a paragraph. In place; returns the length. */
static size_t undouble(char *text, size_t n, st_repairs *r)
{
    unsigned char *s = (unsigned char *)text;
    size_t blank = 0, full = 0;
    for (size_t a = 0; a < n;) {
        size_t e = a;
        while (e < n && s[e] != '\n') e++;
        if (blank_line(s, a, e))
            blank++;
        else
            full++;
        a = e + 1;
    }
    if (full < 10 || blank * 10 < full * 7) return n;
    size_t w = 0;
    int prev_blank = 0;
    for (size_t a = 0; a < n;) {
        size_t e = a;
        while (e < n && s[e] != '\n') e++;
        int b = blank_line(s, a, e);
        if (b && !prev_blank && a > 0) {
            r->double_spacing++; /* drop the first blank line of each run */
        } else {
            memmove(s + w, s + a, e - a);
            w += e - a;
            if (e < n) s[w++] = '\n';
        }
        prev_blank = b;
        a = e + 1;
    }
    s[w] = '\0';
    return w;
}

size_t st_corpus_repair_chars(const char *in, size_t len, char *out, st_repairs *r)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = (unsigned char *)out;
    size_t i = 0, w = 0;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        r->bom++;
        i = 3;
    }
    while (i < len) {
        unsigned c = s[i];
        if (c == '\r') {
            o[w++] = '\n';
            r->crlf++;
            i += (i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        if (c == '\f') {
            o[w++] = '\n';
            r->form_feeds++;
            i++;
            continue;
        }
        if (c == '.' || (c == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && s[i + 2] == 0xA6)) {
            /* Dot leaders: >= 4 dots (single spaces allowed between), then an
             * optional page number before the line end. */
            size_t j = i, dots = 0;
            for (;;) {
                if (j < len && s[j] == '.') {
                    dots++;
                    j++;
                } else if (j + 2 < len && s[j] == 0xE2 && s[j + 1] == 0x80 && s[j + 2] == 0xA6) {
                    dots += 3;
                    j += 3;
                } else if (j + 1 < len && s[j] == ' ' && (s[j + 1] == '.' || s[j + 1] == 0xE2)) {
                    j++;
                } else
                    break;
            }
            if (dots >= 4) {
                size_t k = j;
                while (k < len && s[k] == ' ') k++;
                size_t d = k;
                while (d < len && d - k < 5 &&
                       ((s[d] >= '0' && s[d] <= '9') || s[d] == 'i' || s[d] == 'v' || s[d] == 'x'))
                    d++;
                while (d < len && s[d] == ' ') d++;
                if (d > k && (d >= len || s[d] == '\n' || s[d] == '\r' || s[d] == '\f')) j = d;
                o[w++] = ' ';
                r->dot_leaders++;
                i = j;
                continue;
            }
            o[w++] = s[i++];
            continue;
        }
        if (c < 0x20 && c != '\n' && c != '\t') {
            o[w++] = ' ';
            r->controls++;
            i++;
            continue;
        }
        if (c == 0x7F) {
            o[w++] = ' ';
            r->controls++;
            i++;
            continue;
        }
        if (c < 0x80) {
            o[w++] = (unsigned char)c;
            i++;
            continue;
        }
        size_t k = seqlen((unsigned char)c);
        if (i + k > len) k = len - i;
        uint32_t cp = cp_at(s + i, k);
        if (cp == 0xAD) {
            /* A soft hyphen marks a possible break: drop it, and the line end after it. */
            r->soft_hyphens++;
            i += k;
            size_t j = i;
            while (j < len && (s[j] == ' ' || s[j] == '\t')) j++;
            if (j < len && (s[j] == '\n' || s[j] == '\r')) {
                j += (s[j] == '\r' && j + 1 < len && s[j + 1] == '\n') ? 2 : 1;
                while (j < len && (s[j] == ' ' || s[j] == '\t')) j++;
                i = j;
            }
            continue;
        }
        if (cp >= 0x80 && cp < 0xA0) {
            o[w++] = ' ';
            r->controls++;
            i += k;
            continue;
        }
        if ((cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF) {
            r->zero_width++;
            i += k;
            continue;
        }
        if (cp >= 0xFB00 && cp <= 0xFB06) {
            static const char *const lig[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
            const char *e = lig[cp - 0xFB00];
            size_t el = strlen(e);
            memcpy(o + w, e, el); /* el <= 3 == k: never longer than the input */
            w += el;
            r->ligatures++;
            i += k;
            continue;
        }
        if (cp >= 0xE000 && cp <= 0xF8FF) {
            o[w++] = 0xE2; /* U+2022 BULLET, three bytes like the PUA glyph */
            o[w++] = 0x80;
            o[w++] = 0xA2;
            r->pua++;
            i += k;
            continue;
        }
        memcpy(o + w, s + i, k);
        w += k;
        i += k;
    }
    /* Line pass, in place. */
    size_t rd = 0, wr = 0;
    while (rd < w) {
        size_t e = rd;
        while (e < w && o[e] != '\n') e++;
        size_t n = e - rd;
        memmove(o + wr, o + rd, n);
        wr += fix_line(out + wr, n, r);
        if (e < w) o[wr++] = '\n';
        rd = e + 1;
    }
    o[wr] = '\0';
    return undouble(out, wr, r);
}

/* ---- corpus-frequency repairs ---------------------------------------- */

/* A "word" for these repairs: a maximal run of ASCII letters not touching a
 * non-ASCII byte (so accented words are never joined or counted). */
static int wordch(unsigned char c)
{
    return is_alpha_ascii(c) || c >= 0x80;
}

static long freq(const st_vocab *v, const unsigned char *a, size_t na, const unsigned char *b,
                 size_t nb)
{
    char buf[130];
    if (na + nb > 128) return 0;
    for (size_t i = 0; i < na; i++) buf[i] = (char)tolower(a[i]);
    for (size_t i = 0; i < nb; i++) buf[na + i] = (char)tolower(b[i]);
    long id = st_vocab_find(v, buf, na + nb, st_vocab_hash(buf, na + nb));
    return id < 0 ? 0 : st_vocab_count(v, (size_t)id);
}

static int all_ascii_alpha(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_alpha_ascii(s[i])) return 0;
    return n > 0;
}

static int count_words(st_vocab *v, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (!wordch(s[i])) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < len && wordch(s[i])) i++;
        if (i - a > 64 || !all_ascii_alpha(s + a, i - a)) continue;
        char buf[65];
        for (size_t k = a; k < i; k++) buf[k - a] = (char)tolower(s[k]);
        long id = st_vocab_intern(v, buf, i - a, st_vocab_hash(buf, i - a));
        if (id < 0) return (int)id;
        st_vocab_add(v, (size_t)id, 1);
    }
    return 0;
}

/* Join words broken at line ends ("secu-\nrity") and split inside ("securi
 * ty"), in place (the text only shrinks). A hyphenated pair is joined without
 * the hyphen when the joined word occurs elsewhere in the corpus, kept with
 * the hyphen when both halves are words and the joined one is not ("well-
 * known"), else joined. A space-split pair "ab c" is joined when the joined
 * word occurs >= 3 times and at least 4 times as often as the rarer half, so
 * "in to" and "a part" stay apart while "fi rst" and "mil itary" close up. */
static size_t rejoin(char *text, size_t len, const st_vocab *v, st_repairs *r)
{
    unsigned char *s = (unsigned char *)text;
    size_t i = 0, w = 0, last_e = (size_t)-1;
    while (i < len) {
        if (!wordch(s[i])) {
            s[w++] = s[i++];
            continue;
        }
        size_t a = i;
        while (i < len && wordch(s[i])) i++;
        size_t wa = w; /* where this word starts in the output */
        memmove(s + w, s + a, i - a);
        w += i - a;
        if (!all_ascii_alpha(s + wa, i - a) || a == last_e)
            continue; /* the second half of a join is not joined again */
        const unsigned char *A = s + wa;
        size_t na = i - a;
        /* Line-end hyphen: "-" [spaces] "\n" [spaces] word */
        if (i < len && s[i] == '-') {
            size_t j = i + 1;
            while (j < len && (s[j] == ' ' || s[j] == '\t')) j++;
            if (j < len && s[j] == '\n') {
                j++;
                while (j < len && (s[j] == ' ' || s[j] == '\t')) j++;
                size_t b = j;
                while (j < len && wordch(s[j])) j++;
                if (j > b && all_ascii_alpha(s + b, j - b) && (j >= len || !wordch(s[j]))) {
                    int keep;
                    if (s[b] >= 'A' && s[b] <= 'Z')
                        keep = 1;
                    else if (freq(v, A, na, s + b, j - b) > 0)
                        keep = 0;
                    else
                        keep = freq(v, A, na, NULL, 0) > 0 && freq(v, s + b, j - b, NULL, 0) > 0;
                    if (keep) s[w++] = '-';
                    r->eol_hyphens++;
                    i = b;
                    last_e = b; /* the next word completes this one */
                    continue;
                }
            }
        }
        /* Split word: one space, then a lower-case ASCII word. */
        if (i + 1 < len && s[i] == ' ' && s[i + 1] >= 'a' && s[i + 1] <= 'z') {
            size_t b = i + 1, j = b;
            while (j < len && wordch(s[j])) j++;
            int lower_tail = 1;
            for (size_t q = 1; q < na; q++)
                if (!(A[q] >= 'a' && A[q] <= 'z')) lower_tail = 0;
            if (lower_tail && all_ascii_alpha(s + b, j - b) && na + (j - b) >= 4) {
                long fj = freq(v, A, na, s + b, j - b);
                long fa = freq(v, A, na, NULL, 0), fb = freq(v, s + b, j - b, NULL, 0);
                long fmin = fa < fb ? fa : fb;
                if (fj >= 3 && fj >= 4 * fmin) {
                    r->split_words++;
                    i = b;
                    last_e = b;
                    continue;
                }
            }
        }
    }
    s[w] = '\0';
    return w;
}

/* ---- manifest and files ---------------------------------------------- */

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        int e = errno;
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    buf = malloc(cap + 1);
    if (!buf) goto nomem;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_DOC_BYTES) {
                seterr(err, errlen, "%s: larger than %u bytes", path, MAX_DOC_BYTES);
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) goto nomem;
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) {
        seterr(err, errlen, "%s: read error", path);
        free(buf);
        fclose(f);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
nomem:
    free(buf);
    fclose(f);
    seterr(err, errlen, "%s: out of memory", path);
    errno = ENOMEM;
    return NULL;
}

void st_corpus_free(st_corpus *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->docs[i].text);
        if (c->fields && c->fields[i]) {
            for (size_t k = 0; k < c->ncols; k++) free(c->fields[i][k]);
            free(c->fields[i]);
        }
    }
    for (size_t k = 0; k < c->ncols; k++) free(c->cols[k]);
    free(c->cols);
    free(c->docs);
    free(c->fields);
    free(c->path);
    free(c);
}

static int col_index(const st_corpus *c, const char *name, size_t nlen)
{
    for (size_t k = 0; k < c->ncols; k++)
        if (strlen(c->cols[k]) == nlen && !strncmp(c->cols[k], name, nlen)) return (int)k;
    return -1;
}

/* Split line[0..n) at tabs into fresh strings. Returns the count or -ENOMEM. */
static long split_tabs(const char *line, size_t n, char ***out)
{
    size_t cnt = 1;
    for (size_t i = 0; i < n; i++) cnt += line[i] == '\t';
    char **f = calloc(cnt, sizeof(char *));
    if (!f) return -ENOMEM;
    size_t a = 0, k = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || line[i] == '\t') {
            f[k] = strndup(line + a, i - a);
            if (!f[k]) {
                for (size_t q = 0; q < k; q++) free(f[q]);
                free(f);
                return -ENOMEM;
            }
            k++;
            a = i + 1;
        }
    }
    *out = f;
    return (long)cnt;
}

static void free_fields(char **f, size_t n)
{
    if (!f) return;
    for (size_t i = 0; i < n; i++) free(f[i]);
    free(f);
}

static int add_doc(st_corpus *c, char **fields)
{
    st_corpus_doc *d = realloc(c->docs, (c->n + 1) * sizeof(*d));
    if (!d) return -ENOMEM;
    c->docs = d;
    char ***f = realloc(c->fields, (c->n + 1) * sizeof(*f));
    if (!f) return -ENOMEM;
    c->fields = f;
    memset(&c->docs[c->n], 0, sizeof(st_corpus_doc));
    c->fields[c->n] = fields;
    c->docs[c->n].name = fields[0];
    c->n++;
    return 0;
}

int st_corpus_cond(const st_corpus *c, size_t i, const char *cond, char *err, size_t errlen)
{
    const char *p = cond;
    while (*p && !strchr("=!<>", *p)) p++;
    if (p == cond || !*p) {
        seterr(err, errlen, "condition '%s': expected FIELD=VALUE, FIELD!=VALUE, FIELD>=N...",
               cond);
        return -EINVAL;
    }
    int k = col_index(c, cond, (size_t)(p - cond));
    if (k < 0) {
        seterr(err, errlen, "condition '%s': the manifest has no field '%.*s'", cond,
               (int)(p - cond), cond);
        return -EINVAL;
    }
    char op[3] = {0};
    op[0] = *p++;
    if (*p == '=') op[1] = *p++;
    if (!strcmp(op, "!") || (op[0] == '=' && op[1])) {
        seterr(err, errlen, "condition '%s': unknown operator", cond);
        return -EINVAL;
    }
    const char *val = c->fields[i][k];
    if (!strcmp(op, "=") || !strcmp(op, "!=")) {
        int hit = 0;
        const char *a = p;
        for (;;) {
            const char *b = strchr(a, '|');
            size_t n = b ? (size_t)(b - a) : strlen(a);
            if (strlen(val) == n && !strncmp(val, a, n)) hit = 1;
            if (!b) break;
            a = b + 1;
        }
        return op[0] == '=' ? hit : !hit;
    }
    char *end;
    errno = 0;
    double rhs = strtod(p, &end);
    if (errno || end == p || *end) {
        seterr(err, errlen, "condition '%s': '%s' is not a number", cond, p);
        return -EINVAL;
    }
    errno = 0;
    double lhs = strtod(val, &end);
    if (errno || end == val || *end) return 0;
    if (!strcmp(op, ">=")) return lhs >= rhs;
    if (!strcmp(op, "<=")) return lhs <= rhs;
    if (!strcmp(op, ">")) return lhs > rhs;
    return lhs < rhs;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load the document list: manifest rows, a list file or a directory listing. */
static int load_list(st_corpus *c, const char *path, char *dir, size_t dirlen, char *err,
                     size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) < 0) {
        int e = errno;
        seterr(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char mpath[4096];
    const char *list = NULL;
    if (S_ISDIR(sb.st_mode)) {
        snprintf(dir, dirlen, "%s", path);
        snprintf(mpath, sizeof(mpath), "%s/MANIFEST.tsv", path);
        if (access(mpath, F_OK) == 0) list = mpath;
    } else {
        list = path;
        const char *sl = strrchr(path, '/');
        if (sl)
            snprintf(dir, dirlen, "%.*s", (int)(sl - path), path);
        else
            snprintf(dir, dirlen, ".");
    }
    if (!list) {
        /* A directory of .txt files. */
        DIR *d = opendir(path);
        if (!d) {
            int e = errno;
            seterr(err, errlen, "%s: %s", path, strerror(e));
            return -e;
        }
        char **names = NULL;
        size_t nn = 0;
        struct dirent *de;
        int rc = 0;
        while ((de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l < 5 || strcmp(de->d_name + l - 4, ".txt")) continue;
            char **t = realloc(names, (nn + 1) * sizeof(char *));
            if (!t || !(t[nn] = strdup(de->d_name))) {
                if (t) names = t;
                rc = -ENOMEM;
                break;
            }
            names = t;
            nn++;
        }
        closedir(d);
        if (nn) qsort(names, nn, sizeof(char *), cmp_str);
        c->ncols = 1;
        c->cols = calloc(1, sizeof(char *));
        if (!c->cols || !(c->cols[0] = strdup("file"))) rc = -ENOMEM;
        for (size_t i = 0; i < nn; i++) {
            if (rc == 0) {
                char **f = malloc(sizeof(char *));
                if (!f) {
                    rc = -ENOMEM;
                } else {
                    f[0] = names[i];
                    names[i] = NULL;
                    if (add_doc(c, f) < 0) {
                        free_fields(f, 1);
                        rc = -ENOMEM;
                    }
                }
            }
            free(names[i]);
        }
        free(names);
        if (rc < 0) seterr(err, errlen, "%s: out of memory", path);
        return rc;
    }
    size_t len;
    char *buf = read_file(list, &len, err, errlen);
    if (!buf) return -errno;
    int rc = 0;
    long lineno = 0;
    long ln, col;
    if (st_utf8_check(buf, len, &ln, &col) < 0) {
        seterr(err, errlen, "%s:%ld:%ld: invalid UTF-8", list, ln, col);
        free(buf);
        return -EILSEQ;
    }
    char *p = buf, *end = buf + len;
    int manifest = -1, file_col = 0;
    while (p < end && rc == 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        size_t n = (size_t)(e - p);
        if (n && p[n - 1] == '\r') n--;
        lineno++;
        if (lineno == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
            p += 3;
            n -= 3;
        }
        if (n == 0) {
            p = e + 1;
            continue;
        }
        char **f = NULL;
        long nf = split_tabs(p, n, &f);
        if (nf < 0) {
            rc = (int)nf;
            seterr(err, errlen, "%s:%ld: out of memory", list, lineno);
            break;
        }
        if (manifest < 0) {
            /* The header decides: a "file" column makes a manifest. */
            int fk = -1;
            for (long k = 0; k < nf; k++)
                if (!strcmp(f[k], "file")) fk = (int)k;
            manifest = fk >= 0;
            if (manifest) {
                if (fk != 0) { /* keep "file" first so doc.name is fields[0] */
                    char *t = f[0];
                    f[0] = f[fk];
                    f[fk] = t;
                }
                for (long a = 0; a < nf && rc == 0; a++)
                    for (long b = a + 1; b < nf; b++)
                        if (!strcmp(f[a], f[b])) {
                            seterr(err, errlen, "%s:%ld: column '%s' appears twice", list, lineno,
                                   f[a]);
                            rc = -EINVAL;
                            break;
                        }
                c->cols = f;
                c->ncols = (size_t)nf;
                c->fields = NULL;
                p = e + 1;
                file_col = fk; /* rows are swapped the same way */
                continue;
            }
            c->cols = calloc(1, sizeof(char *));
            if (!c->cols || !(c->cols[0] = strdup("file"))) {
                free_fields(f, (size_t)nf);
                rc = -ENOMEM;
                break;
            }
            c->ncols = 1;
        }
        if (manifest) {
            if ((size_t)nf != c->ncols) {
                seterr(err, errlen, "%s:%ld: expected %zu tab-separated fields, found %ld", list,
                       lineno, c->ncols, nf);
                free_fields(f, (size_t)nf);
                rc = -EINVAL;
                break;
            }
            if (file_col != 0) {
                char *t = f[0];
                f[0] = f[file_col];
                f[file_col] = t;
            }
        } else if (nf != 1) {
            /* A list file holds one path per line; tabs mean it is neither. */
            seterr(err, errlen,
                   "%s:%ld: a list file holds one path per line (no header with a "
                   "'file' column was found)",
                   list, lineno);
            free_fields(f, (size_t)nf);
            rc = -EINVAL;
            break;
        }
        if (!f[0][0] || f[0][0] == '/' || strstr(f[0], "..")) {
            seterr(err, errlen, "%s:%ld: file '%s' must be a relative path without '..'", list,
                   lineno, f[0]);
            free_fields(f, (size_t)nf);
            rc = -EINVAL;
            break;
        }
        if (add_doc(c, f) < 0) {
            free_fields(f, (size_t)nf);
            rc = -ENOMEM;
            seterr(err, errlen, "%s:%ld: out of memory", list, lineno);
            break;
        }
        p = e + 1;
    }
    free(buf);
    return rc;
}

st_corpus *st_corpus_open(const char *path, const st_corpus_opts *opts, char *err, size_t errlen)
{
    st_corpus_opts none = {NULL, 0, 1};
    if (!opts) opts = &none;
    int rc = -ENOMEM;
    st_vocab *v = NULL;
    st_corpus *c = calloc(1, sizeof(*c));
    if (!c || !(c->path = strdup(path))) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }
    char dir[4096];
    rc = load_list(c, path, dir, sizeof(dir), err, errlen);
    if (rc < 0) goto fail;
    /* Apply the conditions: drop documents that do not meet them. */
    size_t keep = 0;
    for (size_t i = 0; i < c->n; i++) {
        int ok = 1;
        for (size_t k = 0; k < opts->nwhere && ok; k++) {
            int m = st_corpus_cond(c, i, opts->where[k], err, errlen);
            if (m < 0) {
                rc = m;
                goto fail;
            }
            ok = m;
        }
        if (ok) {
            c->docs[keep] = c->docs[i];
            c->fields[keep] = c->fields[i];
            keep++;
        } else {
            free_fields(c->fields[i], c->ncols);
        }
    }
    c->n = keep;
    if (c->n == 0) {
        seterr(err, errlen, "%s: empty corpus: no document selected%s", path,
               opts->nwhere ? " by the conditions" : "");
        rc = -ENODATA;
        goto fail;
    }
    if (sodium_init() < 0) {
        seterr(err, errlen, "libsodium failed to initialise");
        rc = -EIO;
        goto fail;
    }
    crypto_hash_sha256_state fp;
    crypto_hash_sha256_init(&fp);
    for (size_t i = 0; i < c->n; i++) {
        st_corpus_doc *d = &c->docs[i];
        char fpath[8192];
        snprintf(fpath, sizeof(fpath), "%s/%s", dir, d->name);
        size_t len;
        char *raw = read_file(fpath, &len, err, errlen);
        if (!raw) {
            rc = -errno;
            goto fail;
        }
        long ln, col;
        if (st_utf8_check(raw, len, &ln, &col) < 0) {
            seterr(err, errlen, "%s:%ld:%ld: invalid UTF-8", fpath, ln, col);
            free(raw);
            rc = -EILSEQ;
            goto fail;
        }
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)raw, len);
        sodium_bin2hex(d->sha256, sizeof(d->sha256), h, sizeof(h));
        crypto_hash_sha256_update(&fp, (const unsigned char *)d->name, strlen(d->name));
        crypto_hash_sha256_update(&fp, (const unsigned char *)"\t", 1);
        crypto_hash_sha256_update(&fp, (const unsigned char *)d->sha256, 64);
        crypto_hash_sha256_update(&fp, (const unsigned char *)"\n", 1);
        d->raw_bytes = len;
        if (opts->repair) {
            char *t = malloc(len + 1);
            if (!t) {
                free(raw);
                seterr(err, errlen, "%s: out of memory", fpath);
                rc = -ENOMEM;
                goto fail;
            }
            d->len = st_corpus_repair_chars(raw, len, t, &d->rep);
            free(raw);
            d->text = t;
        } else {
            d->text = raw;
            d->len = len;
        }
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&fp, h);
    sodium_bin2hex(c->fingerprint, sizeof(c->fingerprint), h, 8);
    if (opts->repair) {
        v = st_vocab_new(1 << 16);
        if (!v) goto fail;
        for (size_t i = 0; i < c->n; i++)
            if ((rc = count_words(v, c->docs[i].text, c->docs[i].len)) < 0) {
                seterr(err, errlen, "out of memory");
                goto fail;
            }
        for (size_t i = 0; i < c->n; i++)
            c->docs[i].len = rejoin(c->docs[i].text, c->docs[i].len, v, &c->docs[i].rep);
        st_vocab_free(v);
    }
    return c;
fail:
    st_vocab_free(v);
    st_corpus_free(c);
    errno = rc < 0 ? -rc : ENOMEM;
    return NULL;
}

size_t st_corpus_size(const st_corpus *c)
{
    return c->n;
}

const st_corpus_doc *st_corpus_doc_at(const st_corpus *c, size_t i)
{
    return &c->docs[i];
}

const char *st_corpus_field(const st_corpus *c, size_t i, const char *field)
{
    int k = col_index(c, field, strlen(field));
    return k < 0 ? NULL : c->fields[i][k];
}

st_repairs st_corpus_repairs_total(const st_corpus *c)
{
    st_repairs t;
    memset(&t, 0, sizeof(t));
    for (size_t i = 0; i < c->n; i++) add_repairs(&t, &c->docs[i].rep);
    return t;
}

const char *st_corpus_path(const st_corpus *c)
{
    return c->path;
}

const char *st_corpus_fingerprint(const st_corpus *c)
{
    return c->fingerprint;
}
