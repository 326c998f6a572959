/* Story-grammar proposals: subject-action-object triplets (with time, place and other
 * modifiers) from sentences that mention coded categories, parsed with link-grammar. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_TRIPLET_H
#define STRATUM_NARRATE_TRIPLET_H

#include <stdio.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_dict.h"

#define ST_TRIPLET_FIELD 256

/* One proposal. Plain data. For a passive clause with a "by" agent the agent
 * is the subject and the grammatical subject the object (story grammar:
 * who did what to whom); without an agent the subject is empty. */
typedef struct st_triplet {
    char subject[ST_TRIPLET_FIELD];
    char action[ST_TRIPLET_FIELD];
    char object[ST_TRIPLET_FIELD];
    char time[ST_TRIPLET_FIELD];
    char place[ST_TRIPLET_FIELD];
    char modifiers[ST_TRIPLET_FIELD]; /* other prepositional phrases and adverbs, "; "-joined */
    double confidence;                /* ranking heuristic in [0.05, 1], not a probability */
    int passive;
} st_triplet;

/* Bounds on parsing work; link-grammar time grows fast with sentence length. */
typedef struct st_triplet_opts {
    int min_words, max_words; /* sentences outside are skipped (default 4, 30) */
    int max_seconds;          /* per sentence parse time limit (default 1) */
    int max_nulls;            /* words the parser may leave unlinked (default 1) */
    long max_sentences;       /* stop after this many parsed sentences (0: no limit) */
} st_triplet_opts;

/* What happened to the candidate sentences. Plain data. */
typedef struct st_triplet_stats {
    long candidates; /* English sentences with a dictionary match */
    long skipped;    /* outside the word bounds or not prose */
    long parsed;     /* with at least one linkage */
    long unparsed;   /* no linkage within the null-word bound */
    long timeouts;   /* parse time limit reached (the result depends on machine speed) */
    long triplets;
} st_triplet_stats;

typedef struct st_triplets st_triplets; /* opaque: a link-grammar English dictionary */

/* Load link-grammar's English dictionary (silencing its messages). opts may be
 * NULL for the defaults (copied). NULL with errno (ENOENT: no dictionary). */
st_triplets *st_triplets_new(const st_triplet_opts *opts);
void st_triplets_free(st_triplets *t);

/* link-grammar's version string (borrowed), for provenance headers. */
const char *st_triplets_parser_version(void);

/* Parse one sentence (UTF-8, one line) and write up to cap proposals to out.
 * Returns the count (0 when the sentence has no subject-verb link), -ENODATA
 * when it does not parse, -ETIME when the time limit was hit. */
int st_triplets_sentence(st_triplets *t, const char *sentence, st_triplet *out, int cap);

/* Every sentence of c that has a match of d (documents whose manifest
 * language field exists and is not "en" are left out), parsed within the
 * bounds; writes one TSV row per proposal with the header
 *   id file sentence_no sentence subject action object time place modifiers
 *   categories confidence status
 * (status "proposed"), and fills stats. Returns 0 or a negative errno. */
int st_triplets_corpus(st_triplets *t, const st_corpus *c, const st_dict *d, FILE *out,
                       st_triplet_stats *stats);

#endif
