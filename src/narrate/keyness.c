/* Keyness statistics and group word counts (narrate_keyness.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_code.h"
#include "stratum/narrate_keyness.h"

static double term(double o, double e)
{
    return o > 0 && e > 0 ? o * log(o / e) : 0.0;
}

double st_g2_2x2(double o11, double o12, double o21, double o22)
{
    double r1 = o11 + o12, r2 = o21 + o22, c1 = o11 + o21, c2 = o12 + o22, n = r1 + r2;
    if (r1 <= 0 || r2 <= 0 || c1 <= 0 || c2 <= 0) return 0.0;
    double g = 2.0 * (term(o11, r1 * c1 / n) + term(o12, r1 * c2 / n) + term(o21, r2 * c1 / n) +
                      term(o22, r2 * c2 / n));
    return g > 0 ? g : 0.0;
}

double st_chi2_1df_p(double x)
{
    return x > 0 ? erfc(sqrt(x / 2.0)) : 1.0;
}

st_keyness st_keyness_calc(long a, long c, long b, long d)
{
    st_keyness k;
    /* Rayson & Garside's form: only the two frequency cells are summed, with
     * E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d). */
    double e1 = (double)c * (double)(a + b) / (double)(c + d);
    double e2 = (double)d * (double)(a + b) / (double)(c + d);
    double g = (c + d) > 0 ? 2.0 * (term((double)a, e1) + term((double)b, e2)) : 0.0;
    if (g < 0) g = 0;
    double ra = c > 0 ? (double)a / (double)c : 0, rb = d > 0 ? (double)b / (double)d : 0;
    k.g2 = ra < rb ? -g : g;
    k.p = st_chi2_1df_p(g);
    double a5 = a > 0 ? (double)a : 0.5, b5 = b > 0 ? (double)b : 0.5;
    k.log_ratio = (c > 0 && d > 0) ? log2((a5 / (double)c) / (b5 / (double)d)) : NAN;
    k.pct_diff = (b > 0 && d > 0 && c > 0) ? 100.0 * (ra - rb) / rb : NAN;
    return k;
}

void st_keyness_freqs_free(st_keyness_freqs *f)
{
    if (!f) return;
    free(f->target);
    free(f->ref);
    memset(f, 0, sizeof(*f));
}

static int grow(long **a, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 1024;
    while (n < need) n *= 2;
    long *p = realloc(*a, n * sizeof(long));
    if (!p) return -ENOMEM;
    memset(p + *cap, 0, (n - *cap) * sizeof(long));
    *a = p;
    *cap = n;
    return 0;
}

int st_keyness_count(const st_corpus *c, const int *group, st_vocab *v, st_keyness_freqs *out)
{
    memset(out, 0, sizeof(*out));
    size_t tcap = 0, rcap = 0;
    for (size_t i = 0; i < st_corpus_size(c); i++) {
        if (group[i] != 1 && group[i] != 2) continue;
        const st_corpus_doc *doc = st_corpus_doc_at(c, i);
        st_doc_tokens dt;
        if (st_doc_tokenise(doc->text, doc->len, &dt) < 0) goto fail;
        long words = 0;
        for (size_t k = 0; k < dt.n; k++) {
            const st_token *t = &dt.toks[k];
            if (!st_tok_is_word(t)) continue;
            words++;
            if (t->kind != ST_TOK_WORD) continue;
            long id = st_vocab_intern(v, dt.norm + t->norm_off, t->norm_len, t->hash);
            if (id < 0 || grow(&out->target, &tcap, (size_t)id + 1) < 0 ||
                grow(&out->ref, &rcap, (size_t)id + 1) < 0) {
                st_doc_tokens_free(&dt);
                goto fail;
            }
            if (group[i] == 1)
                out->target[id]++;
            else
                out->ref[id]++;
        }
        st_doc_tokens_free(&dt);
        if (group[i] == 1) {
            out->target_words += words;
            out->target_docs++;
        } else {
            out->ref_words += words;
            out->ref_docs++;
        }
    }
    out->ntypes = st_vocab_size(v);
    if (grow(&out->target, &tcap, out->ntypes + 1) < 0 ||
        grow(&out->ref, &rcap, out->ntypes + 1) < 0)
        goto fail;
    return 0;
fail:
    st_keyness_freqs_free(out);
    return -ENOMEM;
}
