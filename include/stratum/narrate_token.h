/* Tokeniser and sentence splitter for English official prose, including text damaged by PDF
 * extraction; one pass, no allocation. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_TOKEN_H
#define STRATUM_NARRATE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Token kinds. A "word" for rates per 10,000 words is a WORD or NUM token. */
enum { ST_TOK_WORD = 1, ST_TOK_NUM = 2, ST_TOK_PUNCT = 3 };

/* Token flags. */
#define ST_TOK_SENT 0x01 /* first token of a sentence */
#define ST_TOK_PARA 0x02 /* preceded by a blank line (paragraph or page break) */
#define ST_TOK_CAP  0x04 /* surface form starts with an upper-case letter */

/* Longest token in bytes (normalised form); longer runs are cut into pieces. */
#define ST_TOK_MAX_LEN 255

/* One token. Plain data. The normalised form (ASCII and simple Latin, Greek and
 * Cyrillic case folding, U+2019 folded to an ASCII apostrophe, soft hyphens and
 * zero-width characters dropped) is norm[norm_off .. norm_off + norm_len) in
 * the caller's norm buffer; hash is st_vocab_hash of it. */
typedef struct st_token {
    uint64_t hash;
    uint32_t off;      /* byte offset of the surface form in the text */
    uint32_t norm_off; /* byte offset of the normalised form in norm */
    uint16_t len;      /* surface length in bytes */
    uint8_t norm_len;
    uint8_t kind;  /* ST_TOK_* */
    uint8_t flags; /* ST_TOK_SENT | ST_TOK_PARA | ST_TOK_CAP */
} st_token;

/* Sentences are cut before a token when: it is the first; a blank line
 * precedes it; it is a bullet at the start of a line; the previous word or
 * closing mark follows '.', '!' or '?' and the token starts with an upper-case
 * letter, a digit, an opening quote or a bullet, unless the word before '.' is
 * an abbreviation (single letters, "e.g", "Mr", "No", "Art", "Jan"...); or the
 * sentence already has ST_TOK_MAX_SENT tokens (a bound for damaged text). */
#define ST_TOK_MAX_SENT 200

/* Scanner state carried across calls on one text. Plain data; zero it (or use
 * st_tok_init) before the first call. */
typedef struct st_tok_state {
    size_t pos;      /* next byte to read */
    size_t norm_pos; /* next byte of norm to write */
    int pending;     /* a sentence may end before the next token */
    int in_sent;     /* tokens in the current sentence */
    int started;
} st_tok_state;

void st_tok_init(st_tok_state *st);

/* Scan text[0..len) (UTF-8; invalid bytes are treated as letters, never read
 * past len) from st->pos, appending at most cap tokens to toks and their
 * normalised forms to norm (borrowed; norm must hold at least len bytes for the
 * whole text, since a normalised form is never longer than its surface).
 * Returns the number of tokens written; 0 means the text is exhausted. Allocates
 * nothing: it is the hot loop of tokenise + code + count. */
size_t st_tok_scan(const char *text, size_t len, st_tok_state *st, st_token *toks, size_t cap,
                   char *norm);

/* 1 if the token counts as a word (WORD or NUM). */
static inline int st_tok_is_word(const st_token *t)
{
    return t->kind == ST_TOK_WORD || t->kind == ST_TOK_NUM;
}

#endif
