/* Concordances and collocations (narrate_kwic.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_code.h"
#include "stratum/narrate_keyness.h"
#include "stratum/narrate_kwic.h"

typedef struct hit {
    size_t tok, ntok, entry;
} hit;

typedef struct hits {
    hit *h;
    size_t n, cap;
    const st_dict *d;
    long cat;
    int oom;
} hits;

static void on_hit(void *arg, size_t tok, size_t ntok, size_t entry)
{
    hits *hs = arg;
    if (hs->cat >= 0 && (long)st_dict_entry_at(hs->d, entry)->cat != hs->cat) return;
    if (hs->n == hs->cap) {
        size_t nc = hs->cap ? hs->cap * 2 : 64;
        hit *p = realloc(hs->h, nc * sizeof(hit));
        if (!p) {
            hs->oom = 1;
            return;
        }
        hs->h = p;
        hs->cap = nc;
    }
    hs->h[hs->n++] = (hit){tok, ntok, entry};
}

/* Code one document and collect its hits. */
static int doc_hits(st_coder *cd, const st_corpus_doc *doc, st_doc_tokens *dt, hits *hs)
{
    if (st_doc_tokenise(doc->text, doc->len, dt) < 0) return -ENOMEM;
    hs->n = 0;
    long w = st_coder_doc(cd, dt->toks, dt->n, dt->norm, dt->types, NULL, NULL, on_hit, hs);
    if (w < 0 || hs->oom) {
        st_doc_tokens_free(dt);
        return -ENOMEM;
    }
    return 0;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* Text of tokens [a, b) of a document, as a byte range. */
static void span(const st_doc_tokens *dt, size_t a, size_t b, size_t *off, size_t *len)
{
    if (a >= b) {
        *off = 0;
        *len = 0;
        return;
    }
    *off = dt->toks[a].off;
    *len = dt->toks[b - 1].off + dt->toks[b - 1].len - *off;
}

/* Render text[off..off+len) as one line into buf (cap bytes): whitespace and
 * controls collapsed to single spaces. Returns the length. */
static size_t flat(const char *text, size_t off, size_t len, char *buf, size_t cap)
{
    size_t w = 0;
    int sp = 0;
    for (size_t i = 0; i < len && w + 1 < cap; i++) {
        unsigned char ch = (unsigned char)text[off + i];
        if (ch < 0x20 || ch == ' ' || ch == 0x7F) {
            if (!sp && w) buf[w++] = ' ';
            sp = 1;
        } else {
            buf[w++] = (char)ch;
            sp = 0;
        }
    }
    while (w && buf[w - 1] == ' ') w--;
    /* Never cut a UTF-8 sequence when the buffer filled up. */
    while (w && ((unsigned char)buf[w - 1] & 0xC0) == 0x80 && w + 1 >= cap) w--;
    buf[w] = '\0';
    return w;
}

long st_kwic_write(FILE *f, const st_corpus *c, const st_dict *d, long cat, size_t width,
                   int format)
{
    st_vocab *v = st_vocab_new(1 << 16);
    st_coder *cd = v ? st_coder_new(d, v) : NULL;
    hits hs = {NULL, 0, 0, d, cat, 0};
    long lines = 0;
    char left[4096], mid[1024], right[4096];
    if (!cd) goto fail;
    if (format == ST_KWIC_TSV)
        fprintf(f, "file\tsentence\ttoken\tcategory\tentry\tleft\tmatch\tright\n");
    for (size_t i = 0; i < st_corpus_size(c); i++) {
        const st_corpus_doc *doc = st_corpus_doc_at(c, i);
        st_doc_tokens dt;
        if (doc_hits(cd, doc, &dt, &hs) < 0) goto fail;
        size_t sent = 0, k = 0;
        for (size_t h = 0; h < hs.n; h++) {
            const hit *x = &hs.h[h];
            for (; k <= x->tok; k++) sent += (dt.toks[k].flags & ST_TOK_SENT) != 0;
            size_t a = x->tok, words = 0;
            while (a > 0 && words < width) {
                a--;
                words += st_tok_is_word(&dt.toks[a]);
            }
            size_t b = x->tok + x->ntok;
            words = 0;
            while (b < dt.n && words < width) {
                words += st_tok_is_word(&dt.toks[b]);
                b++;
            }
            size_t off, len;
            span(&dt, a, x->tok, &off, &len);
            size_t ll = flat(doc->text, off, len, left, sizeof(left));
            span(&dt, x->tok, x->tok + x->ntok, &off, &len);
            flat(doc->text, off, len, mid, sizeof(mid));
            span(&dt, x->tok + x->ntok, b, &off, &len);
            flat(doc->text, off, len, right, sizeof(right));
            const st_dict_entry *e = st_dict_entry_at(d, x->entry);
            if (format == ST_KWIC_TSV) {
                fprintf(f, "%s\t%zu\t%zu\t%s\t%s\t%s\t%s\t%s\n", doc->name, sent, x->tok,
                        st_dict_cat(d, e->cat), e->text, left, mid, right);
            } else {
                /* Right-align the left context in 8 columns per word of width. */
                size_t col = width * 8, lc = utf8_chars(left, ll);
                const char *lp = left;
                while (lc > col) { /* drop characters from the front */
                    lp++;
                    while (((unsigned char)*lp & 0xC0) == 0x80) lp++;
                    lc--;
                }
                fprintf(f, "%s:%zu  %*s%s [%s] %s\n", doc->name, sent, (int)(col - lc), "", lp, mid,
                        right);
            }
            lines++;
        }
        st_doc_tokens_free(&dt);
    }
    free(hs.h);
    st_coder_free(cd);
    st_vocab_free(v);
    return lines;
fail:
    free(hs.h);
    st_coder_free(cd);
    st_vocab_free(v);
    return -ENOMEM;
}

static int cmp_colloc(const void *pa, const void *pb)
{
    const st_colloc *a = pa, *b = pb;
    if (a->g2 != b->g2) return a->g2 < b->g2 ? 1 : -1;
    return strcmp(a->word, b->word);
}

int st_colloc_compute(const st_corpus *c, const st_dict *d, long cat, size_t window, long min_count,
                      st_vocab *v, st_colloc **out, size_t *n, long *nodes, long *slots,
                      long *total)
{
    st_coder *cd = st_coder_new(d, v);
    hits hs = {NULL, 0, 0, d, cat, 0};
    long *o11 = NULL;
    size_t ocap = 0;
    unsigned char *mark = NULL;
    long N = 0, R1 = 0, nn = 0;
    *out = NULL;
    *n = 0;
    if (!cd) goto fail;
    for (size_t i = 0; i < st_corpus_size(c); i++) {
        const st_corpus_doc *doc = st_corpus_doc_at(c, i);
        st_doc_tokens dt;
        if (doc_hits(cd, doc, &dt, &hs) < 0) goto fail;
        for (size_t k = 0; k < dt.n; k++) N += st_tok_is_word(&dt.toks[k]);
        /* 0 free, 1 node, 2 counted window slot */
        unsigned char *m = realloc(mark, dt.n + 1);
        if (!m) {
            st_doc_tokens_free(&dt);
            goto fail;
        }
        mark = m;
        memset(mark, 0, dt.n + 1);
        for (size_t h = 0; h < hs.n; h++)
            for (size_t k = 0; k < hs.h[h].ntok; k++) mark[hs.h[h].tok + k] = 1;
        nn += (long)hs.n;
        for (size_t h = 0; h < hs.n; h++) {
            const hit *x = &hs.h[h];
            for (int side = 0; side < 2; side++) {
                size_t words = 0;
                size_t p = side ? x->tok + x->ntok : x->tok;
                while (words < window) {
                    if (side) {
                        if (p >= dt.n) break;
                    } else {
                        if (p == 0) break;
                        p--;
                    }
                    const st_token *t = &dt.toks[p];
                    if (st_tok_is_word(t)) {
                        words++;
                        if (mark[p] == 0) {
                            mark[p] = 2;
                            R1++;
                            if (t->kind == ST_TOK_WORD) {
                                uint32_t ty = dt.types[p];
                                if (ty >= ocap) {
                                    size_t nc = ocap ? ocap : 1024;
                                    while (nc <= ty) nc *= 2;
                                    long *q = realloc(o11, nc * sizeof(long));
                                    if (!q) {
                                        st_doc_tokens_free(&dt);
                                        goto fail;
                                    }
                                    memset(q + ocap, 0, (nc - ocap) * sizeof(long));
                                    o11 = q;
                                    ocap = nc;
                                }
                                o11[ty]++;
                            }
                        }
                    }
                    if (side) p++;
                }
            }
        }
        st_doc_tokens_free(&dt);
    }
    size_t cnt = 0;
    st_colloc *res = malloc((ocap ? ocap : 1) * sizeof(st_colloc));
    if (!res) goto fail;
    for (size_t t = 0; t < ocap; t++) {
        if (o11[t] < min_count || o11[t] == 0) continue;
        long c1 = st_vocab_count(v, t);
        double e11 = (double)R1 * (double)c1 / (double)N;
        if ((double)o11[t] <= e11) continue;
        double a = (double)o11[t], b = (double)(R1 - o11[t]), cc = (double)(c1 - o11[t]);
        double dd = (double)N - a - b - cc;
        if (dd < 0) dd = 0;
        res[cnt].word = st_vocab_str(v, t, NULL);
        res[cnt].o11 = o11[t];
        res[cnt].freq = c1;
        res[cnt].e11 = e11;
        res[cnt].g2 = st_g2_2x2(a, b, cc, dd);
        cnt++;
    }
    qsort(res, cnt, sizeof(st_colloc), cmp_colloc);
    *out = res;
    *n = cnt;
    if (nodes) *nodes = nn;
    if (slots) *slots = R1;
    if (total) *total = N;
    free(o11);
    free(mark);
    free(hs.h);
    st_coder_free(cd);
    return 0;
fail:
    free(o11);
    free(mark);
    free(hs.h);
    st_coder_free(cd);
    return -ENOMEM;
}
