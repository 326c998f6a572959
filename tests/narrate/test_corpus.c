/* Unit tests of corpus reading: manifest, conditions, UTF-8 errors, repairs with counts. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/narrate_corpus.h"

static char dir[64];

static void put(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static void test_repair_chars(void)
{
    const char *in = "\xEF\xBB\xBFOne\r\ntwo\fthree \xEF\xAC\x81rst \xEF\x82\xB7 x\xE2\x80\x8By\n"
                     "Contents ........ 12\nC y b e r   S e c u r i t y\nWWhhaatt is\n";
    char out[256];
    st_repairs r;
    memset(&r, 0, sizeof(r));
    size_t n = st_corpus_repair_chars(in, strlen(in), out, &r);
    CHECK(n <= strlen(in));
    CHECK_STR(out,
              "One\ntwo\nthree first \xE2\x80\xA2 xy\nContents  \nCyber   Security\nWhat is\n");
    CHECK_EQ_INT(r.bom, 1);
    CHECK_EQ_INT(r.crlf, 1);
    CHECK_EQ_INT(r.form_feeds, 1);
    CHECK_EQ_INT(r.ligatures, 1);
    CHECK_EQ_INT(r.pua, 1);
    CHECK_EQ_INT(r.zero_width, 1);
    CHECK_EQ_INT(r.dot_leaders, 1);
    CHECK_EQ_INT(r.letter_spaced, 2);
    CHECK_EQ_INT(r.fake_bold, 1);
}

static void test_utf8(void)
{
    long line, col;
    CHECK_EQ_INT(st_utf8_check("ok \xC3\xA9", 5, &line, &col), 0);
    CHECK_EQ_INT(st_utf8_check("a\nbc\xC0\xAF", 6, &line, &col), -EILSEQ); /* overlong */
    CHECK_EQ_INT(line, 2);
    CHECK_EQ_INT(col, 3);
    CHECK_EQ_INT(st_utf8_check("\xED\xA0\x80", 3, &line, &col), -EILSEQ); /* surrogate */
    CHECK_EQ_INT(st_utf8_check("\xE2\x82", 2, &line, &col), -EILSEQ);     /* truncated */
}

static void test_open(void)
{
    char err[512];
    /* A corpus in which "security" is common, so split and hyphenated forms join. */
    put("MANIFEST.tsv", "file\tcountry\tyear\tlanguage\na.txt\tAAA\t2010\ten\nb.txt\tBBB\t2016\t"
                        "en\nc.txt\tCCC\t2020\tfr\n");
    put("a.txt", "Security matters. National security and cyber security. Security is key.\n"
                 "The strategy protects secu-\nrity and well-\nknown assets. Our securi ty.\n");
    put("b.txt", "Well known facts about security.\n");
    put("c.txt", "La s\xC3\xA9"
                 "curit\xC3\xA9.\n");
    st_corpus_opts o = {NULL, 0, 1};
    st_corpus *c = st_corpus_open(dir, &o, err, sizeof(err));
    CHECK(c != NULL);
    if (!c) return;
    CHECK_EQ_INT(st_corpus_size(c), 3);
    const st_corpus_doc *a = st_corpus_doc_at(c, 0);
    CHECK(strstr(a->text, "protects security and well-known assets. Our security.") != NULL);
    CHECK_EQ_INT(a->rep.eol_hyphens, 2);
    CHECK_EQ_INT(a->rep.split_words, 1);
    CHECK_STR(st_corpus_field(c, 1, "country"), "BBB");
    CHECK(st_corpus_field(c, 1, "nope") == NULL);
    CHECK_EQ_INT(st_corpus_cond(c, 1, "year>=2015", err, sizeof(err)), 1);
    CHECK_EQ_INT(st_corpus_cond(c, 0, "year>=2015", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_corpus_cond(c, 2, "language=en|fr", err, sizeof(err)), 1);
    CHECK_EQ_INT(st_corpus_cond(c, 2, "language!=fr", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_corpus_cond(c, 2, "colour=red", err, sizeof(err)), -EINVAL);
    CHECK_EQ_INT(strlen(st_corpus_fingerprint(c)), 16);
    char fp[17];
    snprintf(fp, sizeof(fp), "%s", st_corpus_fingerprint(c));
    st_corpus_free(c);
    /* Conditions select; the fingerprint follows the selection. */
    const char *w[] = {"language=en"};
    st_corpus_opts o2 = {w, 1, 1};
    c = st_corpus_open(dir, &o2, err, sizeof(err));
    CHECK(c && st_corpus_size(c) == 2);
    CHECK(c && strcmp(st_corpus_fingerprint(c), fp) != 0);
    st_corpus_free(c);
    /* Empty selection, bad condition. */
    const char *w2[] = {"year>3000"};
    st_corpus_opts o3 = {w2, 1, 1};
    c = st_corpus_open(dir, &o3, err, sizeof(err));
    CHECK(c == NULL && errno == ENODATA);
    CHECK(strstr(err, "empty corpus") != NULL);
    /* Invalid UTF-8 names the file, line and column. */
    put("b.txt", "fine\nbad \xFF here\n");
    c = st_corpus_open(dir, &o, err, sizeof(err));
    CHECK(c == NULL && errno == EILSEQ);
    CHECK(strstr(err, "b.txt:2:5: invalid UTF-8") != NULL);
    /* Unreadable (missing) file. */
    put("MANIFEST.tsv", "file\tyear\nmissing.txt\t2000\n");
    c = st_corpus_open(dir, &o, err, sizeof(err));
    CHECK(c == NULL && errno == ENOENT);
    CHECK(strstr(err, "missing.txt") != NULL);
    /* Malformed manifest row. */
    put("MANIFEST.tsv", "file\tyear\na.txt\t2000\textra\n");
    c = st_corpus_open(dir, &o, err, sizeof(err));
    CHECK(c == NULL && errno == EINVAL);
    CHECK(strstr(err, "MANIFEST.tsv:2: expected 2 tab-separated fields, found 3") != NULL);
    /* No manifest: every *.txt, sorted. */
    char p[256];
    snprintf(p, sizeof(p), "%s/MANIFEST.tsv", dir);
    unlink(p);
    put("b.txt", "fine\n");
    c = st_corpus_open(dir, &o, err, sizeof(err));
    CHECK(c && st_corpus_size(c) == 3);
    CHECK(c && !strcmp(st_corpus_doc_at(c, 0)->name, "a.txt"));
    st_corpus_free(c);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-narrate-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(test_repair_chars);
    RUN(test_utf8);
    RUN(test_open);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return TEST_END("narrate/corpus");
}
