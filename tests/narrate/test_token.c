/* Unit tests of the narrate tokeniser and sentence splitter. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "st_test.h"
#include "stratum/narrate_token.h"
#include "stratum/narrate_vocab.h"

static st_token toks[256];
static char norm[4096];

static size_t scan(const char *s)
{
    st_tok_state st;
    st_tok_init(&st);
    return st_tok_scan(s, strlen(s), &st, toks, 256, norm);
}

static int tok_is(size_t i, const char *want)
{
    return toks[i].norm_len == strlen(want) && !memcmp(norm + toks[i].norm_off, want, strlen(want));
}

static void test_words(void)
{
    size_t n = scan("Canada\xE2\x80\x99s Cyber-Attack costs 1,000.5 U.S. dollars");
    /* canada's | cyber | attack | costs | 1,000.5 | u.s | . | dollars */
    CHECK_EQ_INT(n, 8);
    CHECK(tok_is(0, "canada's"));
    CHECK(tok_is(1, "cyber"));
    CHECK(tok_is(2, "attack"));
    CHECK(tok_is(4, "1,000.5"));
    CHECK_EQ_INT(toks[4].kind, ST_TOK_NUM);
    CHECK(tok_is(5, "u.s"));
    CHECK(toks[0].flags & ST_TOK_CAP);
    CHECK_EQ_INT(toks[0].hash, st_vocab_hash("canada's", 8));
    /* soft hyphen and zero-width space do not split a word */
    n = scan("secu\xC2\xADrity in\xE2\x80\x8Bternet");
    CHECK_EQ_INT(n, 2);
    CHECK(tok_is(0, "security"));
    CHECK(tok_is(1, "internet"));
    /* Latin-1 and Greek capitals fold */
    n = scan("\xC3\x89TAT \xCE\x91");
    CHECK(tok_is(0, "\xC3\xA9tat"));
    CHECK(tok_is(1, "\xCE\xB1"));
}

static size_t sentences(const char *s)
{
    size_t n = scan(s), k = 0;
    for (size_t i = 0; i < n; i++) k += (toks[i].flags & ST_TOK_SENT) != 0;
    return k;
}

static void test_sentences(void)
{
    CHECK_EQ_INT(sentences("Threats grow. The Government acts! Does it? Yes."), 4);
    CHECK_EQ_INT(sentences("Dr. Smith met Mr. Jones in the U.S. Army. Then he left."), 2);
    CHECK_EQ_INT(sentences("See e.g. the annex and No. 5 of it."), 1);
    /* a blank line then a capital starts a sentence; then lower case continues one */
    CHECK_EQ_INT(sentences("Heading\n\nThe text runs on\n\nacross a page break."), 2);
    CHECK_EQ_INT(sentences("Items:\n\xE2\x80\xA2 first item\n\xE2\x80\xA2 second item"), 3);
    /* a quote after the full stop still ends the sentence */
    CHECK_EQ_INT(sentences("He said \"stop.\" Then left."), 2);
}

static void test_chunks(void)
{
    /* Scanning in small chunks gives the same tokens as one pass. */
    const char *s = "One two three. Four five six seven eight nine ten.";
    size_t whole = scan(s);
    st_tok_state st;
    st_tok_init(&st);
    size_t total = 0, n;
    st_token small[3];
    while ((n = st_tok_scan(s, strlen(s), &st, small, 3, norm)) > 0) {
        CHECK_EQ_INT(small[0].off, toks[total].off);
        total += n;
    }
    CHECK_EQ_INT(total, whole);
}

int main(void)
{
    RUN(test_words);
    RUN(test_sentences);
    RUN(test_chunks);
    return TEST_END("narrate/token");
}
