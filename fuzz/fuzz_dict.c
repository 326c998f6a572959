/* libFuzzer target: arbitrary bytes into st_dict_parse; accepted dictionaries must be coherent and
 * code a text without faults. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Properties checked (abort() on violation):
 *   - st_dict_parse returns a dictionary, or NULL with a NUL-terminated
 *     message that starts with the dictionary's name;
 *   - every entry of an accepted dictionary has 1..ST_DICT_MAX_WORDS words,
 *     pattern ids in range and a category in range;
 *   - coding a fixed text with it never faults and counts no more matches
 *     than there are tokens.
 * Run: make fuzz && build-fuzz/fuzz_dict -runs=1000000 NEW_DIR fuzz/corpus/dict
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    err[0] = 'x';
    st_dict *d = st_dict_parse((const char *)data, size, "f.dict", err, sizeof(err));
    if (!d) {
        if (strncmp(err, "f.dict", 6) != 0 || !memchr(err, '\0', sizeof(err))) abort();
        return 0;
    }
    for (size_t i = 0; i < st_dict_nentries(d); i++) {
        const st_dict_entry *e = st_dict_entry_at(d, i);
        if (e->nwords < 1 || e->nwords > ST_DICT_MAX_WORDS || e->cat >= st_dict_ncat(d)) abort();
        for (size_t k = 0; k < e->nwords; k++)
            if (e->words[k] >= st_dict_npatterns(d)) abort();
    }
    static const char text[] = "The smart city faces cyber-attacks. Critical infrastructure, IoT "
                               "and drones; terrorism\n\nand organised crime in 2016.";
    st_vocab *v = st_vocab_new(64);
    st_coder *c = v ? st_coder_new(d, v) : NULL;
    long *counts = calloc(st_dict_ncat(d), sizeof(long));
    st_doc_tokens dt;
    if (c && counts && st_doc_tokenise(text, sizeof(text) - 1, &dt) == 0) {
        st_coder_doc(c, dt.toks, dt.n, dt.norm, dt.types, counts, NULL, NULL, NULL);
        long total = 0;
        for (size_t k = 0; k < st_dict_ncat(d); k++) total += counts[k];
        if (total > (long)(dt.n * st_dict_ncat(d))) abort();
        st_doc_tokens_free(&dt);
    }
    free(counts);
    st_coder_free(c);
    st_vocab_free(v);
    st_dict_free(d);
    return 0;
}
