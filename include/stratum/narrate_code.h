/* Dictionary coding of tokenised documents: counts per document and category, with the matched
 * spans for concordances (the hot loop of tokenise + code + count). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_CODE_H
#define STRATUM_NARRATE_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_dict.h"
#include "stratum/narrate_token.h"
#include "stratum/narrate_vocab.h"

typedef struct st_coder st_coder; /* opaque */

/* Called for every counted match: tokens [tok, tok + ntok) matched entry. */
typedef void (*st_coder_hit_fn)(void *arg, size_t tok, size_t ntok, size_t entry);

/* A coder for dictionary d whose token types are interned in v (both
 * borrowed; they must outlive the coder). NULL and errno on failure. */
st_coder *st_coder_new(const st_dict *d, st_vocab *v);
void st_coder_free(st_coder *c);

/* Code one document's tokens (from st_tok_scan over the whole text, with its
 * norm buffer). Writes each token's type id to types[0..n) (caller array) and
 * adds 1 to the type's count in v. For each counted match it adds 1 to
 * cat_counts[category] and entry_counts[entry] (either may be NULL) and calls
 * hit (may be NULL).
 *
 * Matching: at each token, every entry whose words match the following tokens
 * (not across a sentence start) is a candidate; per category the longest
 * candidate wins (an exclusion wins a tie) and the tokens it covers are not
 * matched again for that category, so "critical infrastructures" counts once
 * and "!heart attack" keeps "attack" out. A match of an exclusion counts
 * nothing. Categories are independent: one span may count in several.
 * Returns the number of word tokens (WORD and NUM), or -ENOMEM. Allocates only
 * when a type is seen for the first time. */
long st_coder_doc(st_coder *c, const st_token *toks, size_t n, const char *norm, uint32_t *types,
                  long *cat_counts, long *entry_counts, st_coder_hit_fn hit, void *arg);

/* Tokens of one document. Plain data; st_doc_tokens_free releases it. */
typedef struct st_doc_tokens {
    st_token *toks;
    char *norm;
    uint32_t *types;
    size_t n;
} st_doc_tokens;

/* Tokenise text[0..len) whole into dt (caller frees with st_doc_tokens_free).
 * Returns 0 or -ENOMEM. */
int st_doc_tokenise(const char *text, size_t len, st_doc_tokens *dt);
void st_doc_tokens_free(st_doc_tokens *dt);

/* Counts of a whole corpus. Plain data; st_code_result_free releases it. */
typedef struct st_code_result {
    size_t ndoc, ncat, nentries;
    long *words;        /* [ndoc] */
    long *counts;       /* [ndoc * ncat] */
    long *entry_counts; /* [ndoc * nentries] */
} st_code_result;

/* Tokenise and code every document of c with d; v receives types and
 * counts (borrowed; may be shared with other passes). Returns 0 or -ENOMEM. */
int st_code_corpus(const st_corpus *c, const st_dict *d, st_vocab *v, st_code_result *out);
void st_code_result_free(st_code_result *r);

/* Rate per 10,000 words (0 when words is 0). */
double st_code_rate(long count, long words);

#endif
