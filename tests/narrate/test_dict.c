/* Unit tests of the narrate dictionary parser and glob matching. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "st_test.h"
#include "stratum/narrate_dict.h"

static st_dict *parse(const char *s, char *err)
{
    return st_dict_parse(s, strlen(s), "t.dict", err, 256);
}

static void test_parse(void)
{
    char err[256] = "";
    st_dict *d = parse("# c\n%name demo\n[threat.terror]\nterroris*  # trailing\nCyber-Attack\n"
                       "!counter terroris*\n[tech.iot]\ninternet of things\n",
                       err);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_EQ_INT(st_dict_ncat(d), 2);
    CHECK_STR(st_dict_cat(d, 1), "tech.iot");
    CHECK_EQ_INT(st_dict_cat_find(d, "threat.terror"), 0);
    CHECK_EQ_INT(st_dict_nentries(d), 4);
    const st_dict_entry *e = st_dict_entry_at(d, 1);
    CHECK_EQ_INT(e->nwords, 2); /* hyphen splits like text */
    CHECK_STR(st_dict_pattern(d, e->words[0], NULL), "cyber");
    CHECK(st_dict_entry_at(d, 2)->exclude);
    CHECK_EQ_INT(st_dict_entry_at(d, 3)->nwords, 3);
    CHECK_STR(st_dict_meta(d, "name"), "demo");
    int g;
    st_dict_pattern(d, st_dict_entry_at(d, 0)->words[0], &g);
    CHECK(g);
    CHECK_EQ_INT(strlen(st_dict_sha256(d)), 64);
    st_dict_free(d);
}

static void test_errors(void)
{
    char err[256];
    st_dict *d = parse("orphan\n", err);
    CHECK(d == NULL && errno == EINVAL);
    CHECK_STR(err, "t.dict:1: entry before any [category]");
    d = parse("[a]\nx\n[a]\ny\n", err);
    CHECK(d == NULL);
    CHECK(strstr(err, "t.dict:3:") != NULL);
    d = parse("[a]\n\n[b]\ny\n", err);
    CHECK(d == NULL);
    CHECK_STR(err, "t.dict:1: category [a] has no entries");
    d = parse("[a]\n*\n", err);
    CHECK(d == NULL);
    CHECK(strstr(err, "t.dict:2:") != NULL);
    d = parse("[a]\nx\nx\n", err);
    CHECK(d == NULL);
    CHECK(strstr(err, "t.dict:3: entry 'x' repeats line 2") != NULL);
    d = parse("[a b]\nx\n", err);
    CHECK(d == NULL);
    d = parse("[a]\none two three four five six seven eight nine\n", err);
    CHECK(d == NULL);
    CHECK(strstr(err, "at most 8 words") != NULL);
    d = parse("[a]\nbad \xff byte\n", err);
    CHECK(d == NULL && errno == EILSEQ);
    CHECK(strstr(err, "t.dict:2:5: invalid UTF-8") != NULL);
    d = st_dict_load("/nonexistent/x.dict", err, sizeof(err));
    CHECK(d == NULL && errno == ENOENT);
}

static void test_glob(void)
{
    CHECK(st_dict_glob("terror*", "terrorism", 9));
    CHECK(!st_dict_glob("terror*", "terro", 5));
    CHECK(st_dict_glob("*attack", "cyberattack", 11));
    CHECK(st_dict_glob("organi?ed", "organized", 9));
    CHECK(st_dict_glob("organi?ed", "organised", 9));
    CHECK(!st_dict_glob("organi?ed", "organied", 8));
    CHECK(st_dict_glob("a*b*c", "axxbyyc", 7));
    CHECK(!st_dict_glob("a*b*c", "axxbyy", 6));
    CHECK(st_dict_glob("caf?", "caf\xC3\xA9", 5)); /* ? is one UTF-8 character */
}

int main(void)
{
    RUN(test_parse);
    RUN(test_errors);
    RUN(test_glob);
    return TEST_END("narrate/dict");
}
