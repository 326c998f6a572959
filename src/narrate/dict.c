/* Coding dictionaries: parser and pattern matching (narrate_dict.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_dict.h"
#include "stratum/narrate_token.h"
#include "stratum/narrate_vocab.h"

struct st_dict {
    char *name;
    char sha256[65];
    char **cats;
    size_t ncat;
    st_dict_entry *entries;
    size_t nentries;
    st_vocab *patterns;
    unsigned char *glob; /* per pattern */
    char **meta;         /* key, value pairs */
    size_t nmeta;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void st_dict_free(st_dict *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->ncat; i++) free(d->cats[i]);
    free(d->cats);
    for (size_t i = 0; i < d->nentries; i++) free((char *)d->entries[i].text);
    free(d->entries);
    for (size_t i = 0; i < 2 * d->nmeta; i++) free(d->meta[i]);
    free(d->meta);
    st_vocab_free(d->patterns);
    free(d->glob);
    free(d->name);
    free(d);
}

int st_dict_glob(const char *pat, const char *s, size_t n)
{
    const char *p = pat, *star = NULL;
    size_t i = 0, mark = 0;
    while (i < n) {
        if (*p == '*') {
            star = p++;
            mark = i;
        } else if (*p == '?') {
            p++;
            i++;
            while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        } else if (*p && *p == s[i]) {
            p++;
            i++;
        } else if (star) {
            p = star + 1;
            i = ++mark;
            while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i = ++mark;
        } else {
            return 0;
        }
    }
    while (*p == '*') p++;
    return *p == '\0';
}

static int valid_cat_name(const char *s, size_t n)
{
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Cut an entry into normalised words with the text tokeniser; '*' and '?'
 * glued to a word (or to each other) become part of it. Returns the word
 * count, or -E2BIG (too many words), -EINVAL (a word of wildcards only). */
static int entry_words(const char *text, size_t n, char words[][ST_DICT_MAX_LINE + 1], size_t *lens)
{
    st_token toks[3 * ST_DICT_MAX_WORDS + 4];
    char norm[ST_DICT_MAX_LINE + 1];
    st_tok_state st;
    st_tok_init(&st);
    size_t nt = st_tok_scan(text, n, &st, toks, sizeof(toks) / sizeof(toks[0]), norm);
    if (st.pos < n) {
        /* Only spaces may remain. */
        for (size_t i = st.pos; i < n; i++)
            if (text[i] != ' ' && text[i] != '\t') return -E2BIG;
    }
    int nw = -1;
    int prev_wild = 0;
    size_t prev_end = (size_t)-1;
    for (size_t i = 0; i < nt; i++) {
        const st_token *t = &toks[i];
        const char *tn = norm + t->norm_off;
        int wild = t->kind == ST_TOK_PUNCT && t->norm_len == 1 && (tn[0] == '*' || tn[0] == '?');
        int glue = nw >= 0 && t->off == prev_end && (wild || prev_wild);
        if (!glue) {
            if (++nw >= ST_DICT_MAX_WORDS) return -E2BIG;
            lens[nw] = 0;
        }
        if (lens[nw] + t->norm_len > ST_DICT_MAX_LINE) return -E2BIG;
        memcpy(words[nw] + lens[nw], tn, t->norm_len);
        lens[nw] += t->norm_len;
        prev_wild = wild;
        prev_end = t->off + t->len;
    }
    nw++;
    for (int w = 0; w < nw; w++) {
        size_t lit = 0;
        for (size_t k = 0; k < lens[w]; k++) lit += words[w][k] != '*' && words[w][k] != '?';
        if (!lit) return -EINVAL;
        words[w][lens[w]] = '\0';
    }
    return nw;
}

st_dict *st_dict_parse(const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
    int e = ENOMEM;
    st_dict *d = calloc(1, sizeof(*d));
    char(*w)[ST_DICT_MAX_LINE + 1] = NULL;
    size_t *lens = NULL;
    if (!d || !(d->name = strdup(name)) || !(d->patterns = st_vocab_new(256))) {
        seterr(err, errlen, "%s: out of memory", name);
        goto fail;
    }
    w = malloc(ST_DICT_MAX_WORDS * sizeof(*w));
    lens = malloc(ST_DICT_MAX_WORDS * sizeof(size_t));
    if (!w || !lens) goto fail;
    if (len > ST_DICT_MAX_BYTES) {
        seterr(err, errlen, "%s: larger than %d bytes", name, ST_DICT_MAX_BYTES);
        e = E2BIG;
        goto fail;
    }
    long ln, col;
    if (st_utf8_check(buf, len, &ln, &col) < 0) {
        seterr(err, errlen, "%s:%ld:%ld: invalid UTF-8", name, ln, col);
        e = EILSEQ;
        goto fail;
    }
    if (sodium_init() < 0) goto fail;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)buf, len);
    sodium_bin2hex(d->sha256, sizeof(d->sha256), h, sizeof(h));
    size_t pos = 0, glob_cap = 0;
    long line = 0;
    long cat_line = 0;
    size_t cat_entries = 0;
    e = EINVAL;
    while (pos < len) {
        const char *p = buf + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n > ST_DICT_MAX_LINE) {
            seterr(err, errlen, "%s:%ld: line longer than %d bytes", name, line, ST_DICT_MAX_LINE);
            goto fail;
        }
        if (line == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
            p += 3;
            n -= 3;
        }
        /* Comments, then trim. */
        for (size_t i = 0; i < n; i++)
            if (p[i] == '#' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) {
                n = i;
                break;
            }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) n--;
        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        if (!n) continue;
        if (*p == '%') {
            size_t k = 1;
            while (k < n && p[k] != ' ' && p[k] != '\t') k++;
            size_t v = k;
            while (v < n && (p[v] == ' ' || p[v] == '\t')) v++;
            if (k == 1) {
                seterr(err, errlen, "%s:%ld: '%%' must be followed by a key", name, line);
                goto fail;
            }
            char **m = realloc(d->meta, (d->nmeta + 1) * 2 * sizeof(char *));
            if (!m) goto nomem;
            d->meta = m;
            m[2 * d->nmeta] = strndup(p + 1, k - 1);
            m[2 * d->nmeta + 1] = strndup(p + v, n - v);
            d->nmeta++;
            if (!m[2 * d->nmeta - 2] || !m[2 * d->nmeta - 1]) goto nomem;
            continue;
        }
        if (*p == '[') {
            if (p[n - 1] != ']' || !valid_cat_name(p + 1, n - 2)) {
                seterr(err, errlen,
                       "%s:%ld: a category is [name] with letters, digits, '.', '_', '-' "
                       "(at most 64)",
                       name, line);
                goto fail;
            }
            if (d->ncat && cat_entries == 0) {
                seterr(err, errlen, "%s:%ld: category [%s] has no entries", name, cat_line,
                       d->cats[d->ncat - 1]);
                goto fail;
            }
            for (size_t i = 0; i < d->ncat; i++)
                if (strlen(d->cats[i]) == n - 2 && !strncmp(d->cats[i], p + 1, n - 2)) {
                    seterr(err, errlen, "%s:%ld: category [%s] is defined twice", name, line,
                           d->cats[i]);
                    goto fail;
                }
            char **c = realloc(d->cats, (d->ncat + 1) * sizeof(char *));
            if (!c) goto nomem;
            d->cats = c;
            if (!(c[d->ncat] = strndup(p + 1, n - 2))) goto nomem;
            d->ncat++;
            cat_line = line;
            cat_entries = 0;
            continue;
        }
        if (!d->ncat) {
            seterr(err, errlen, "%s:%ld: entry before any [category]", name, line);
            goto fail;
        }
        int exclude = *p == '!';
        if (exclude) {
            p++;
            n--;
            while (n && (*p == ' ' || *p == '\t')) {
                p++;
                n--;
            }
        }
        int nw = n ? entry_words(p, n, w, lens) : 0;
        if (nw == -E2BIG) {
            seterr(err, errlen, "%s:%ld: an entry has at most %d words", name, line,
                   ST_DICT_MAX_WORDS);
            goto fail;
        }
        if (nw < 0) {
            seterr(err, errlen, "%s:%ld: a word of wildcards only would match every word", name,
                   line);
            goto fail;
        }
        if (nw == 0) {
            seterr(err, errlen, "%s:%ld: empty entry", name, line);
            goto fail;
        }
        st_dict_entry en;
        memset(&en, 0, sizeof(en));
        en.cat = d->ncat - 1;
        en.exclude = exclude;
        en.nwords = (size_t)nw;
        en.line = line;
        for (int k = 0; k < nw; k++) {
            if (lens[k] > ST_VOCAB_MAX_LEN) {
                seterr(err, errlen, "%s:%ld: word longer than %d bytes", name, line,
                       ST_VOCAB_MAX_LEN);
                goto fail;
            }
            long id = st_vocab_intern(d->patterns, w[k], lens[k], st_vocab_hash(w[k], lens[k]));
            if (id < 0) goto nomem;
            if ((size_t)id >= glob_cap) {
                size_t nc = glob_cap ? glob_cap * 2 : 64;
                unsigned char *g = realloc(d->glob, nc);
                if (!g) goto nomem;
                d->glob = g;
                glob_cap = nc;
            }
            d->glob[id] = strchr(w[k], '*') || strchr(w[k], '?');
            en.words[k] = (uint32_t)id;
        }
        for (size_t i = 0; i < d->nentries; i++) {
            const st_dict_entry *o = &d->entries[i];
            if (o->cat == en.cat && o->nwords == en.nwords &&
                !memcmp(o->words, en.words, en.nwords * sizeof(uint32_t))) {
                seterr(err, errlen, "%s:%ld: entry '%.*s' repeats line %ld", name, line, (int)n, p,
                       o->line);
                goto fail;
            }
        }
        st_dict_entry *ne = realloc(d->entries, (d->nentries + 1) * sizeof(*ne));
        if (!ne) goto nomem;
        d->entries = ne;
        if (!(en.text = strndup(p, n))) goto nomem;
        ne[d->nentries++] = en;
        cat_entries++;
    }
    if (!d->ncat) {
        seterr(err, errlen, "%s:%ld: no [category] defined", name, line);
        goto fail;
    }
    if (cat_entries == 0) {
        seterr(err, errlen, "%s:%ld: category [%s] has no entries", name, cat_line,
               d->cats[d->ncat - 1]);
        goto fail;
    }
    free(w);
    free(lens);
    return d;
nomem:
    e = ENOMEM;
    seterr(err, errlen, "%s: out of memory", name);
fail:
    free(w);
    free(lens);
    st_dict_free(d);
    errno = e;
    return NULL;
}

st_dict *st_dict_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap > ST_DICT_MAX_BYTES) break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (!buf || rerr) {
        free(buf);
        seterr(err, errlen, "%s: %s", path, rerr ? "read error" : "out of memory");
        errno = rerr ? EIO : ENOMEM;
        return NULL;
    }
    st_dict *d = st_dict_parse(buf, n, path, err, errlen);
    int e = errno;
    free(buf);
    errno = e;
    return d;
}

const char *st_dict_name(const st_dict *d)
{
    return d->name;
}

const char *st_dict_sha256(const st_dict *d)
{
    return d->sha256;
}

const char *st_dict_meta(const st_dict *d, const char *key)
{
    for (size_t i = 0; i < d->nmeta; i++)
        if (!strcmp(d->meta[2 * i], key)) return d->meta[2 * i + 1];
    return NULL;
}

size_t st_dict_ncat(const st_dict *d)
{
    return d->ncat;
}

const char *st_dict_cat(const st_dict *d, size_t i)
{
    return d->cats[i];
}

long st_dict_cat_find(const st_dict *d, const char *name)
{
    for (size_t i = 0; i < d->ncat; i++)
        if (!strcmp(d->cats[i], name)) return (long)i;
    return -1;
}

size_t st_dict_nentries(const st_dict *d)
{
    return d->nentries;
}

const st_dict_entry *st_dict_entry_at(const st_dict *d, size_t i)
{
    return &d->entries[i];
}

size_t st_dict_npatterns(const st_dict *d)
{
    return st_vocab_size(d->patterns);
}

const char *st_dict_pattern(const st_dict *d, size_t p, int *is_glob)
{
    if (is_glob) *is_glob = d->glob[p];
    return st_vocab_str(d->patterns, p, NULL);
}

int st_dict_pattern_match(const st_dict *d, size_t p, const char *s, size_t n)
{
    size_t pl;
    const char *pat = st_vocab_str(d->patterns, p, &pl);
    if (!d->glob[p]) return pl == n && !memcmp(pat, s, n);
    return st_dict_glob(pat, s, n);
}

long st_dict_pattern_find(const st_dict *d, const char *s, size_t n)
{
    if (n == 0 || n > ST_VOCAB_MAX_LEN) return -1;
    return st_vocab_find(d->patterns, s, n, st_vocab_hash(s, n));
}
