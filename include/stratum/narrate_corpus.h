/* A corpus of plain-text documents with manifest metadata: reading, UTF-8 validation and repair
 * of PDF-extraction damage, with counts of every repair. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_CORPUS_H
#define STRATUM_NARRATE_CORPUS_H

#include <stddef.h>

/* How many of each repair were made in one document (or a corpus). Plain data. */
typedef struct st_repairs {
    long bom;            /* UTF-8 byte-order marks dropped */
    long crlf;           /* CR or CRLF line ends made LF */
    long form_feeds;     /* page breaks (U+000C) made line ends */
    long soft_hyphens;   /* U+00AD dropped (and the line end after one) */
    long ligatures;      /* U+FB00..U+FB06 spelled out (fi, fl, ff, ffi, ffl, st) */
    long pua;            /* private-use glyphs (symbol-font bullets) made U+2022 */
    long zero_width;     /* U+200B..U+200D, U+2060, U+FEFF inside the text dropped */
    long controls;       /* other C0/C1 control characters made spaces */
    long dot_leaders;    /* table-of-contents dot leaders (and their page numbers) removed */
    long letter_spaced;  /* "C y b e r" words closed up */
    long fake_bold;      /* "WWhhaatt" words with every letter doubled halved */
    long double_spacing; /* blank lines removed from double-spaced extractions (one per run) */
    long eol_hyphens;    /* words hyphenated across a line end joined */
    long split_words;    /* "securi ty", "i mplement" joined (corpus-frequency test) */
} st_repairs;

/* Number of counters in st_repairs and their names, in declaration order
 * ("bom", "crlf", ...), for tables. */
#define ST_REPAIRS_N 14
const char *st_repairs_name(int i);
long st_repairs_get(const st_repairs *r, int i);

/* One document. Plain data owned by the corpus. */
typedef struct st_corpus_doc {
    const char *name; /* the manifest's file value (or the file name) */
    char *text;       /* repaired UTF-8 text, NUL-terminated */
    size_t len;
    size_t raw_bytes;
    char sha256[65]; /* hex SHA-256 of the file as read (FIPS 180-4) */
    st_repairs rep;
} st_corpus_doc;

typedef struct st_corpus st_corpus; /* opaque */

/* Options of st_corpus_open. where[] are conditions on manifest fields that
 * every selected document must meet (see st_corpus_cond); repair == 0 keeps
 * the texts as read. Borrowed. */
typedef struct st_corpus_opts {
    const char *const *where;
    size_t nwhere;
    int repair;
} st_corpus_opts;

/* Open a corpus. path is one of:
 *   - a directory holding MANIFEST.tsv (tab-separated, header row naming a
 *     "file" column plus any metadata columns, no quoting);
 *   - a directory without one: every *.txt in it, sorted by name;
 *   - a manifest file (first line has a "file" column);
 *   - a list file: one document path per line, relative to the list's folder.
 * Every selected file is read, checked to be UTF-8 and, if opts->repair,
 * repaired in two passes: character repairs per file, then the line-end
 * hyphenation and split-word repairs, which test candidate joins against word
 * frequencies of the whole selected corpus (so a corpus is repaired the same
 * way whatever order it is read in, but adding documents can change repairs).
 * Returns NULL with errno set and one line in err naming the file and line:
 * ENOENT/EACCES/EIO unreadable, EILSEQ invalid UTF-8, EINVAL malformed
 * manifest or condition, ENODATA no document selected. Caller frees. */
st_corpus *st_corpus_open(const char *path, const st_corpus_opts *opts, char *err, size_t errlen);
void st_corpus_free(st_corpus *c);

size_t st_corpus_size(const st_corpus *c);
/* Borrowed; i < size. */
const st_corpus_doc *st_corpus_doc_at(const st_corpus *c, size_t i);
/* Value of a metadata field of document i (borrowed), or NULL if the manifest
 * has no such column. "file" always exists. */
const char *st_corpus_field(const st_corpus *c, size_t i, const char *field);
/* Sum of the repairs of all documents. */
st_repairs st_corpus_repairs_total(const st_corpus *c);
/* The path given to st_corpus_open, and a fingerprint: the first 16 hex
 * digits of SHA-256 over "name<TAB>sha256<LF>" of every selected document in
 * order, so two runs on the same bytes state the same fingerprint. Borrowed. */
const char *st_corpus_path(const st_corpus *c);
const char *st_corpus_fingerprint(const st_corpus *c);

/* Evaluate a condition on document i: FIELD=V1|V2 (one of the values),
 * FIELD!=V1|V2, or FIELD>=N, FIELD<=N, FIELD>N, FIELD<N (numeric; a value that
 * is not a number never matches). Returns 1, 0, or -EINVAL with err set
 * (syntax, unknown field). */
int st_corpus_cond(const st_corpus *c, size_t i, const char *cond, char *err, size_t errlen);

/* 0 if buf[0..len) is valid UTF-8 (RFC 3629: no overlongs, surrogates or code
 * points above U+10FFFF); else -EILSEQ with the 1-based line and byte column
 * of the first bad byte. line and col may be NULL. */
int st_utf8_check(const char *buf, size_t len, long *line, long *col);

/* The per-file character repairs alone: writes at most len bytes to out
 * (caller-allocated, >= len + 1; NUL-terminated), returns the length written
 * and adds to r. in must be valid UTF-8. */
size_t st_corpus_repair_chars(const char *in, size_t len, char *out, st_repairs *r);

#endif
