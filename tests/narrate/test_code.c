/* Unit tests of dictionary coding: longest match, exclusions, sentence bounds, explicit zeros. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "st_test.h"
#include "stratum/narrate_code.h"

static const char *dict_text = "[infra]\ncritical infrastructure*\ncritical information "
                               "infrastructure*\n[attack]\nattack*\n!heart attack*\n"
                               "[iot]\ninternet of things\n[absent]\nsmart cit*\n";

static void code(const char *text, long *counts, long *words)
{
    char err[256];
    st_dict *d = st_dict_parse(dict_text, strlen(dict_text), "t", err, sizeof(err));
    CHECK(d != NULL);
    st_vocab *v = st_vocab_new(64);
    st_coder *c = st_coder_new(d, v);
    st_doc_tokens dt;
    CHECK_EQ_INT(st_doc_tokenise(text, strlen(text), &dt), 0);
    memset(counts, 0, 4 * sizeof(long));
    *words = st_coder_doc(c, dt.toks, dt.n, dt.norm, dt.types, counts, NULL, NULL, NULL);
    st_doc_tokens_free(&dt);
    st_coder_free(c);
    st_vocab_free(v);
    st_dict_free(d);
}

static void test_counts(void)
{
    long n[4], w;
    code("Critical Information Infrastructures face attacks. A heart attack is not one. "
         "Critical infrastructure and the Internet-of-Things.",
         n, &w);
    CHECK_EQ_INT(n[0], 2); /* the longest entry counts once */
    CHECK_EQ_INT(n[1], 1); /* "heart attack" excluded */
    CHECK_EQ_INT(n[2], 1); /* hyphenated form matches */
    CHECK_EQ_INT(n[3], 0); /* explicit zero */
    CHECK_EQ_INT(w, 18);
    /* a multi-word entry never crosses a sentence boundary */
    code("It was critical. Infrastructure matters.", n, &w);
    CHECK_EQ_INT(n[0], 0);
    CHECK_NEAR(st_code_rate(3, 20000), 1.5, 1e-12);
    CHECK_NEAR(st_code_rate(3, 0), 0.0, 0);
}

int main(void)
{
    RUN(test_counts);
    return TEST_END("narrate/code");
}
