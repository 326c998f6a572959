/* Benchmark: tokenise + code + count (stratum narrate's hot loop) on a corpus made by repeating
 * the shared strategy documents; median of 5 runs against a whitespace-split baseline. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "stratum/narrate_code.h"

#define RUNS    5
#define REPEATS 8

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "../shared/data/text/strategies";
    const char *dpath = argc > 2 ? argv[2] : "data/dict/smart-city-security.dict";
    char err[1024];
    st_corpus_opts co = {NULL, 0, 1};
    st_corpus *c = st_corpus_open(path, &co, err, sizeof(err));
    if (!c) {
        printf("SKIP: %s (run from the repository root with ../shared present)\n", err);
        return 77;
    }
    st_dict *d = st_dict_load(dpath, err, sizeof(err));
    if (!d) {
        fprintf(stderr, "%s\n", err);
        st_corpus_free(c);
        return 1;
    }
    size_t maxlen = 0, bytes = 0;
    for (size_t i = 0; i < st_corpus_size(c); i++) {
        const st_corpus_doc *doc = st_corpus_doc_at(c, i);
        if (doc->len > maxlen) maxlen = doc->len;
        bytes += doc->len;
    }
    st_token *toks = malloc((maxlen + 1) * sizeof(st_token));
    char *norm = malloc(maxlen + 1);
    uint32_t *types = malloc((maxlen + 1) * sizeof(uint32_t));
    long *counts = calloc(st_dict_ncat(d), sizeof(long));
    st_vocab *v = st_vocab_new(1 << 17);
    st_coder *cd = v ? st_coder_new(d, v) : NULL;
    if (!toks || !norm || !types || !counts || !cd) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    double t_ours[RUNS], t_base[RUNS];
    long ntok = 0, nws = 0, hits = 0;
    for (int r = 0; r < RUNS; r++) {
        /* Ours: every document REPEATS times, as stratum narrate code does it. */
        double t0 = bench_now();
        ntok = 0;
        memset(counts, 0, st_dict_ncat(d) * sizeof(long));
        for (int rep = 0; rep < REPEATS; rep++)
            for (size_t i = 0; i < st_corpus_size(c); i++) {
                const st_corpus_doc *doc = st_corpus_doc_at(c, i);
                st_tok_state st;
                st_tok_init(&st);
                size_t n = st_tok_scan(doc->text, doc->len, &st, toks, maxlen + 1, norm);
                st_coder_doc(cd, toks, n, norm, types, counts, NULL, NULL, NULL);
                ntok += (long)n;
            }
        t_ours[r] = bench_now() - t0;
        /* Baseline: count whitespace-separated words of the same bytes (wc -w). */
        t0 = bench_now();
        nws = 0;
        for (int rep = 0; rep < REPEATS; rep++)
            for (size_t i = 0; i < st_corpus_size(c); i++) {
                const st_corpus_doc *doc = st_corpus_doc_at(c, i);
                int in = 0;
                for (size_t k = 0; k < doc->len; k++) {
                    unsigned char ch = (unsigned char)doc->text[k];
                    int sp = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f' ||
                             ch == '\v';
                    nws += !sp && !in;
                    in = !sp;
                }
            }
        t_base[r] = bench_now() - t0;
    }
    for (size_t k = 0; k < st_dict_ncat(d); k++) hits += counts[k];
    qsort(t_ours, RUNS, sizeof(double), cmp_d);
    qsort(t_base, RUNS, sizeof(double), cmp_d);
    double mo = t_ours[RUNS / 2], mb = t_base[RUNS / 2];
    printf("corpus: %s x %d (%zu documents, %.1f MB per run)\n", path, REPEATS, st_corpus_size(c),
           (double)bytes * REPEATS / 1e6);
    printf("dictionary: %s (%zu categories, %zu entries); %ld hits per run\n", dpath,
           st_dict_ncat(d), st_dict_nentries(d), hits);
    printf("tokenise+code+count: %ld tokens, median %.3f s -> %.2f M tokens/s (one core)\n", ntok,
           mo, (double)ntok / mo / 1e6);
    printf("baseline whitespace split (wc -w): %ld words, median %.3f s -> %.2f M words/s\n", nws,
           mb, (double)nws / mb / 1e6);
    printf("ratio: ours takes %.2fx the baseline's time per byte\n", mo / mb);
    printf("target: >= 5 M tokens/s: %s\n", (double)ntok / mo >= 5e6 ? "met" : "NOT met");
    st_coder_free(cd);
    st_vocab_free(v);
    free(toks);
    free(norm);
    free(types);
    free(counts);
    st_dict_free(d);
    st_corpus_free(c);
    return 0;
}
