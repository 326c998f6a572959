/* libFuzzer target: arbitrary bytes as a document: UTF-8 check, character repairs, tokeniser. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Properties checked (abort() on violation):
 *   - st_utf8_check agrees with a second, simpler validator on every input;
 *   - for valid UTF-8, st_corpus_repair_chars never writes more than the
 *     input length, and its output is valid UTF-8 again;
 *   - the tokeniser over the repaired text yields tokens inside the text,
 *     in order, with normalised forms inside the norm buffer.
 * Run: make fuzz && build-fuzz/fuzz_corpus -runs=1000000 NEW_DIR fuzz/corpus/corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reference validator (RFC 3629 table 3-7 style). */
static int valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4;
            cp = c & 0x07;
        } else
            return 0;
        if (i + k > n) return 0;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long line, col;
    int ok = st_utf8_check((const char *)data, size, &line, &col) == 0;
    if (ok != valid(data, size)) abort();
    if (!ok) return 0;
    char *out = malloc(size + 1);
    if (!out) return 0;
    st_repairs r;
    memset(&r, 0, sizeof(r));
    size_t n = st_corpus_repair_chars((const char *)data, size, out, &r);
    if (n > size || !valid((const uint8_t *)out, n)) abort();
    st_token *toks = malloc((n + 1) * sizeof(st_token));
    char *norm = malloc(n + 1);
    if (toks && norm) {
        st_tok_state st;
        st_tok_init(&st);
        size_t nt = st_tok_scan(out, n, &st, toks, n + 1, norm);
        for (size_t i = 0; i < nt; i++) {
            if ((size_t)toks[i].off + toks[i].len > n) abort();
            if (i && toks[i].off <= toks[i - 1].off) abort();
            if ((size_t)toks[i].norm_off + toks[i].norm_len > n) abort();
        }
    }
    free(toks);
    free(norm);
    free(out);
    return 0;
}
