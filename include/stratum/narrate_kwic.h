/* Concordances (key word in context) and collocations (window, log-likelihood) for a dictionary
 * category or a single term. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_KWIC_H
#define STRATUM_NARRATE_KWIC_H

#include <stdio.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_dict.h"
#include "stratum/narrate_vocab.h"

/* Output layouts of st_kwic_write. */
enum { ST_KWIC_TSV = 0, ST_KWIC_TEXT = 1 };

/* Write one line per counted match of category cat of d (every category if
 * cat < 0) in c, in corpus order, with `width` words of context on each side
 * (within the document). TSV columns: file, sentence (1-based), token
 * (0-based), category, entry, left, match, right; TEXT aligns the matches in
 * a column. c, d, f borrowed. Returns the number of lines, or -ENOMEM. */
long st_kwic_write(FILE *f, const st_corpus *c, const st_dict *d, long cat, size_t width,
                   int format);

/* One collocate. Plain data; word is borrowed from the vocabulary. */
typedef struct st_colloc {
    const char *word;
    long o11;   /* occurrences inside the windows */
    long freq;  /* occurrences in the corpus */
    double e11; /* expected inside the windows: R1 * freq / N */
    double g2;  /* log-likelihood of the 2x2 table (Dunning 1993) */
} st_colloc;

/* Collocates of the matches of category cat (all if < 0): word tokens within
 * `window` words left and right of a match, each corpus position counted once
 * even where windows overlap, node tokens excluded. Only WORD types with o11 >=
 * min_count and o11 > e11 (attraction) are kept, sorted by G2 descending
 * (then by word). *out is caller-freed; v receives the types (borrowed, must
 * outlive *out). *nodes and *slots (R1) and *total (N) are reported. Returns 0
 * or -ENOMEM. */
int st_colloc_compute(const st_corpus *c, const st_dict *d, long cat, size_t window, long min_count,
                      st_vocab *v, st_colloc **out, size_t *n, long *nodes, long *slots,
                      long *total);

#endif
