/* Keyness of one group of documents against a reference group: log-likelihood G2 with effect
 * sizes (log ratio, %DIFF), always with the raw counts. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_KEYNESS_H
#define STRATUM_NARRATE_KEYNESS_H

#include <stddef.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_vocab.h"

/* Statistics for a feature seen a times in a target of c words and b times in
 * a reference of d words. Plain data. */
typedef struct st_keyness {
    double g2;        /* log-likelihood G2 (Rayson & Garside 2000), signed: negative
                         when the feature is relatively rarer in the target */
    double p;         /* chi-squared(1) upper tail of |G2| */
    double log_ratio; /* log2 of the ratio of relative frequencies (Hardie 2014),
                         a zero count replaced by 0.5 */
    double pct_diff;  /* %DIFF (Gabrielatos & Marchi 2012); NAN when b == 0 */
} st_keyness;

st_keyness st_keyness_calc(long a, long c, long b, long d);

/* G2 = 2 sum O ln(O/E) of a 2x2 table with cells o11 o12 / o21 o22 (Dunning
 * 1993); cells of 0 contribute 0; 0 if a margin is 0. */
double st_g2_2x2(double o11, double o12, double o21, double o22);

/* Upper tail of the chi-squared distribution with one degree of freedom. */
double st_chi2_1df_p(double x);

/* Word frequencies of two groups of a corpus. group[i] is 1 for a target
 * document, 2 for a reference one, 0 to leave it out. Types (WORD tokens,
 * case-folded) are interned in v (borrowed); target[t], ref[t] are their
 * counts (caller frees with st_keyness_freqs_free). Totals are word tokens
 * (WORD and NUM), the denominator used for rates. Returns 0 or -ENOMEM. */
typedef struct st_keyness_freqs {
    long *target, *ref;
    size_t ntypes;
    long target_words, ref_words;
    size_t target_docs, ref_docs;
} st_keyness_freqs;

int st_keyness_count(const st_corpus *c, const int *group, st_vocab *v, st_keyness_freqs *out);
void st_keyness_freqs_free(st_keyness_freqs *f);

#endif
