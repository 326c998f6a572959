/* Coding dictionaries for narrative analysis: categories of single- and multi-word entries with
 * wildcards and exclusions, parsed from a documented text format (docs/narrate.md). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_DICT_H
#define STRATUM_NARRATE_DICT_H

#include <stddef.h>
#include <stdint.h>

/* Bounds that keep matching cheap and files sane. */
#define ST_DICT_MAX_WORDS 8    /* words in one entry */
#define ST_DICT_MAX_LINE  1024 /* bytes in one line */
#define ST_DICT_MAX_BYTES (1 << 24)

/* The format, one item per line (UTF-8; '#' starts a comment when it opens
 * the line or follows a space; blank lines are ignored):
 *   %KEY VALUE          metadata (name, version, description...), echoed in outputs
 *   [category]          starts a category; names use letters, digits, '.', '_', '-'
 *   words of an entry   one entry: words as the tokeniser cuts text (case-folded,
 *                       hyphens split words, so "cyber-attack" = "cyber attack")
 *   !words              an exclusion: text it matches is not counted for the category
 * Within a word, '*' matches any run of characters and '?' one character. A
 * word made only of wildcards, an entry before any category, a category with
 * no entries, a duplicate category or entry, and an over-long line or entry
 * are errors reported as FILE:LINE: why. */

typedef struct st_dict st_dict; /* opaque */

/* One entry. Plain data owned by the dictionary. */
typedef struct st_dict_entry {
    size_t cat;                        /* category index */
    int exclude;                       /* 1 for a '!' entry */
    size_t nwords;                     /* 1..ST_DICT_MAX_WORDS */
    uint32_t words[ST_DICT_MAX_WORDS]; /* pattern ids */
    const char *text;                  /* the entry as written, without '!' */
    long line;                         /* where it was defined */
} st_dict_entry;

/* Parse buf[0..len) (borrowed); name is used in messages and outputs (copied).
 * Returns NULL with errno EINVAL (and "NAME:LINE: why" in err), EILSEQ (invalid
 * UTF-8, with line), E2BIG or ENOMEM. Caller frees. */
st_dict *st_dict_parse(const char *buf, size_t len, const char *name, char *err, size_t errlen);
/* Read and parse a file; errors as st_dict_parse, plus ENOENT etc. when the
 * file cannot be read. */
st_dict *st_dict_load(const char *path, char *err, size_t errlen);
void st_dict_free(st_dict *d);

const char *st_dict_name(const st_dict *d);   /* the name given to parse (borrowed) */
const char *st_dict_sha256(const st_dict *d); /* hex SHA-256 of the bytes parsed */
/* Metadata value of %key, or NULL. Borrowed. */
const char *st_dict_meta(const st_dict *d, const char *key);

size_t st_dict_ncat(const st_dict *d);
const char *st_dict_cat(const st_dict *d, size_t i); /* borrowed */
/* Index of a category by name, or -1. */
long st_dict_cat_find(const st_dict *d, const char *name);

size_t st_dict_nentries(const st_dict *d);
const st_dict_entry *st_dict_entry_at(const st_dict *d, size_t i); /* borrowed */

/* Distinct word patterns (normalised as the tokeniser does; may hold '*', '?'). */
size_t st_dict_npatterns(const st_dict *d);
const char *st_dict_pattern(const st_dict *d, size_t p, int *is_glob);
/* Id of the pattern spelled exactly s[0..n) (wildcards included), or -1. */
long st_dict_pattern_find(const st_dict *d, const char *s, size_t n);
/* 1 if the normalised token s[0..n) matches pattern p. */
int st_dict_pattern_match(const st_dict *d, size_t p, const char *s, size_t n);

/* Glob match of s[0..n) against the NUL-terminated pattern pat ('*' any run,
 * '?' one UTF-8 character); iterative, linear in practice. */
int st_dict_glob(const char *pat, const char *s, size_t n);

#endif
