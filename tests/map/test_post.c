/* Unit tests for the post parser: field table, escapes, time formats, malformed lines. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/map_post.h"

static int parse(st_map_post *p, const char *js, st_map_post_rec *r, st_map_post_err *e)
{
    return st_map_post_parse(p, js, strlen(js), r, e);
}

static int str_is(st_map_str s, const char *want)
{
    return s.s && s.len == strlen(want) && !memcmp(s.s, want, s.len);
}

static void test_v1(void)
{
    st_map_post *p = st_map_post_new(1 << 16);
    st_map_post_rec *r = malloc(sizeof(*r));
    st_map_post_err e;
    const char *js =
        "{\"id\":552783667052167168,\"id_str\":\"552783667052167168\",\"text\":\"Caf\\u00e9 "
        "\\ud83d\\ude00 #A\",\"created_at\":\"Wed Jan 07 11:06:08 +0000 2015\",\"user\":{"
        "\"screen_name\":\"alice\",\"entities\":{\"hashtags\":[{\"text\":\"nope\"}]}},"
        "\"entities\":{\"hashtags\":[{\"indices\":[1,2],\"text\":\"CharlieHebdo\"},{\"text\":"
        "\"Paris\"}],\"user_mentions\":[{\"screen_name\":\"bob\",\"id_str\":\"1\"}],\"urls\":[{"
        "\"url\":\"http://t.co/x\",\"expanded_url\":\"http://www.BBC.co.uk/news\"}]},"
        "\"retweeted_status\":{\"id_str\":\"42\",\"entities\":{\"hashtags\":[{\"text\":\"rt\"}]}}"
        ",\"lang\":\"en\",\"in_reply_to_screen_name\":null,\"x\":[true,false,null,-1.5e3,0]}";
    CHECK_EQ_INT(parse(p, js, r, &e), 0);
    CHECK(str_is(r->s[ST_MAP_ID], "552783667052167168"));
    CHECK(str_is(r->s[ST_MAP_AUTHOR], "alice"));
    CHECK(str_is(r->s[ST_MAP_TEXT], "Caf\xc3\xa9 \xf0\x9f\x98\x80 #A"));
    CHECK(str_is(r->s[ST_MAP_LANG], "en"));
    CHECK(str_is(r->s[ST_MAP_RETWEET_OF], "42"));
    CHECK_EQ_INT(r->has[ST_MAP_REPLY_TO], 0); /* null is absent */
    CHECK_EQ_INT(r->has_t, 1);
    CHECK_EQ_INT(r->t, 1420628768);
    /* only top-level entities: not user.entities, not retweeted_status.entities */
    CHECK_EQ_INT(r->n[ST_MAP_HASHTAGS], 2);
    CHECK(str_is(r->l[ST_MAP_HASHTAGS][0], "CharlieHebdo"));
    CHECK(str_is(r->l[ST_MAP_HASHTAGS][1], "Paris"));
    CHECK_EQ_INT(r->n[ST_MAP_MENTIONS], 1);
    CHECK(str_is(r->l[ST_MAP_MENTIONS][0], "bob"));
    CHECK_EQ_INT(r->n[ST_MAP_URLS], 1);
    CHECK(str_is(r->l[ST_MAP_URLS][0], "http://www.BBC.co.uk/news"));
    /* id as a number when id_str is missing: kept as text, no precision loss */
    CHECK_EQ_INT(parse(p, "{\"id\":552783667052167168}", r, &e), 0);
    CHECK(str_is(r->s[ST_MAP_ID], "552783667052167168"));
    free(r);
    st_map_post_free(p);
}

static void test_v2_and_mapping(void)
{
    st_map_post *p = st_map_post_new(1 << 16);
    st_map_post_rec *r = malloc(sizeof(*r));
    st_map_post_err e;
    const char *v2 = "{\"id\":\"7\",\"created_at\":\"2015-01-07T12:18:01.000+01:00\",\"author\":{"
                     "\"username\":\"carol\"},\"entities\":{\"hashtags\":[{\"tag\":\"X\"}],"
                     "\"mentions\":[{\"username\":\"dave\"}]}}";
    CHECK_EQ_INT(parse(p, v2, r, &e), 0);
    CHECK(str_is(r->s[ST_MAP_AUTHOR], "carol"));
    CHECK_EQ_INT(r->t, 1420629481); /* 11:18:01Z */
    CHECK(str_is(r->l[ST_MAP_HASHTAGS][0], "X"));
    CHECK(str_is(r->l[ST_MAP_MENTIONS][0], "dave"));
    /* A Mastodon status through the documented mapping */
    int is_list, idx;
    CHECK_EQ_INT(st_map_post_field("hashtags", &is_list, &idx), 0);
    CHECK_EQ_INT(st_map_post_set_paths(p, is_list, idx, "tags[].name"), 0);
    CHECK_EQ_INT(st_map_post_field("author", &is_list, &idx), 0);
    CHECK_EQ_INT(st_map_post_set_paths(p, is_list, idx, "account.acct"), 0);
    CHECK_EQ_INT(st_map_post_field("mentions", &is_list, &idx), 0);
    CHECK_EQ_INT(st_map_post_set_paths(p, is_list, idx, "mentions[].acct"), 0);
    const char *masto = "{\"id\":\"1\",\"created_at\":\"2024-05-01T20:00:00Z\",\"account\":{"
                        "\"acct\":\"eve@x.social\"},\"tags\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
                        "\"mentions\":[{\"acct\":\"f\"}],\"entities\":{\"hashtags\":[{\"text\":"
                        "\"old\"}]}}";
    CHECK_EQ_INT(parse(p, masto, r, &e), 0);
    CHECK(str_is(r->s[ST_MAP_AUTHOR], "eve@x.social"));
    CHECK_EQ_INT(r->n[ST_MAP_HASHTAGS], 2);
    CHECK(str_is(r->l[ST_MAP_HASHTAGS][1], "b"));
    CHECK(str_is(r->l[ST_MAP_MENTIONS][0], "f"));
    /* bad specs leave the table as it was */
    CHECK_EQ_INT(st_map_post_set_paths(p, 1, ST_MAP_HASHTAGS, "a..b"), -EINVAL);
    CHECK_EQ_INT(st_map_post_set_paths(p, 1, ST_MAP_HASHTAGS, "a.b.c.d.e.f.g.h.i"), -EINVAL);
    CHECK_EQ_INT(st_map_post_set_paths(p, 1, ST_MAP_HASHTAGS, "x,"), -EINVAL);
    CHECK_EQ_INT(st_map_post_field("nope", &is_list, &idx), -ENOENT);
    CHECK_EQ_INT(parse(p, masto, r, &e), 0);
    CHECK_EQ_INT(r->n[ST_MAP_HASHTAGS], 2);
    free(r);
    st_map_post_free(p);
}

static void test_malformed(void)
{
    static const struct {
        const char *js;
        size_t pos;
    } bad[] = {
        {"{\"a\":1 \"b\":2}", 7},   /* missing comma */
        {"{\"a\":1}x", 7},          /* text after the object */
        {"{\"a\":\"abc", 5},        /* unterminated string */
        {"{\"a\":\"\\q\"}", 6},     /* bad escape */
        {"{\"a\":\"\\u12g4\"}", 6}, /* bad \u */
        {"{\"a\":\"x\ty\"}", 7},    /* raw control character */
        {"{\"a\":01}", 6},          /* leading zero: "0" then "1" */
        {"{\"a\":1.}", 5},          /* bad number */
        {"{\"a\":tru}", 5},         /* bad literal */
        {"{a:1}", 1},               /* unquoted key */
        {"{\"a\":[1,]}", 8},        /* trailing comma */
        {"[1,2]", 0},               /* not an object */
        {"   ", 3},                 /* empty */
        {"{\"a\":{\"b\":[}", 11},   /* bracket mismatch */
        {"{\"a\" 1}", 5},           /* missing colon */
        {"{\"a\":1", 6},            /* truncated */
    };
    st_map_post *p = st_map_post_new(1 << 16);
    st_map_post_rec *r = malloc(sizeof(*r));
    st_map_post_err e;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse(p, bad[i].js, r, &e);
        CHECK_EQ_INT(rc, -EINVAL);
        CHECK(e.why != NULL);
        if (e.pos != bad[i].pos)
            fprintf(stderr, "case %zu (%s): pos %zu, want %zu (%s)\n", i, bad[i].js, e.pos,
                    bad[i].pos, e.why);
        CHECK_EQ_INT(e.pos, bad[i].pos);
    }
    /* Nesting deeper than the limit is refused, not recursed into. */
    char deep[400];
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"a\":");
    for (int i = 0; i < 100; i++) deep[n++] = '[';
    for (int i = 0; i < 100; i++) deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    CHECK_EQ_INT(parse(p, deep, r, &e), -EINVAL);
    CHECK_STR(e.why, "nested too deep");
    /* Every field missing is still a post, with nothing in it. */
    CHECK_EQ_INT(parse(p, " { } ", r, &e), 0);
    CHECK_EQ_INT(r->has[ST_MAP_ID] + r->has[ST_MAP_AUTHOR] + r->has_t, 0);
    /* Wrong types where lists are expected are ignored, not misread. */
    CHECK_EQ_INT(parse(p, "{\"entities\":{\"hashtags\":{\"text\":\"x\"}}}", r, &e), 0);
    CHECK_EQ_INT(r->n[ST_MAP_HASHTAGS], 0);
    /* An unparsable time is flagged. */
    CHECK_EQ_INT(parse(p, "{\"created_at\":\"yesterday\"}", r, &e), 0);
    CHECK_EQ_INT(r->has_t, 0);
    CHECK_EQ_INT(r->bad_time, 1);
    /* A line longer than max_line */
    st_map_post *small = st_map_post_new(8);
    CHECK_EQ_INT(parse(small, "{\"a\":\"123456\"}", r, &e), -E2BIG);
    st_map_post_free(small);
    free(r);
    st_map_post_free(p);
}

static void test_lists_overflow(void)
{
    st_map_post *p = st_map_post_new(1 << 16);
    st_map_post_rec *r = malloc(sizeof(*r));
    char js[8192];
    size_t n = (size_t)sprintf(js, "{\"entities\":{\"hashtags\":[");
    for (int i = 0; i < 70; i++)
        n += (size_t)sprintf(js + n, "%s{\"text\":\"t%d\"}", i ? "," : "", i);
    sprintf(js + n, "]}}");
    CHECK_EQ_INT(parse(p, js, r, NULL), 0);
    CHECK_EQ_INT(r->n[ST_MAP_HASHTAGS], ST_MAP_LIST_MAX);
    CHECK_EQ_INT(r->dropped, 70 - ST_MAP_LIST_MAX);
    CHECK(str_is(r->l[ST_MAP_HASHTAGS][63], "t63"));
    free(r);
    st_map_post_free(p);
}

static void test_time(void)
{
    int64_t t;
    const char *s = "Sun Jan 11 15:54:07 +0000 2015";
    CHECK_EQ_INT(st_map_post_time(s, strlen(s), &t), 0);
    CHECK_EQ_INT(t, 1420991647);
    s = "Sun Jan 11 16:54:07 +0100 2015";
    CHECK_EQ_INT(st_map_post_time(s, strlen(s), &t), 0);
    CHECK_EQ_INT(t, 1420991647);
    s = "2015-01-11T15:54:07Z";
    CHECK_EQ_INT(st_map_post_time(s, strlen(s), &t), 0);
    CHECK_EQ_INT(t, 1420991647);
    s = "1420991647000";
    CHECK_EQ_INT(st_map_post_time(s, strlen(s), &t), 0);
    CHECK_EQ_INT(t, 1420991647);
    s = "2024-02-29T00:00:00Z"; /* leap day */
    CHECK_EQ_INT(st_map_post_time(s, strlen(s), &t), 0);
    CHECK_EQ_INT(t, 1709164800);
    const char *badt[] = {"Sun Foo 11 15:54:07 +0000 2015",
                          "2015-13-01T00:00:00Z",
                          "2015-01-01T00:00:00",
                          "2015-01-01T25:00:00Z",
                          "12ab",
                          ""};
    for (size_t i = 0; i < sizeof(badt) / sizeof(badt[0]); i++)
        CHECK_EQ_INT(st_map_post_time(badt[i], strlen(badt[i]), &t), -EINVAL);
}

static void test_select(void)
{
    st_map_post *p = st_map_post_new(1 << 16);
    st_map_post_rec *r = malloc(sizeof(*r));
    CHECK_EQ_INT(
        parse(p,
              "{\"text\":\"Shots near the Bataclan\",\"created_at\":\"2015-01-07T12:00:00Z\","
              "\"entities\":{\"hashtags\":[{\"text\":\"JeSuisCharlie\"}]}}",
              r, NULL),
        0);
    st_map_select sel = {0};
    CHECK(st_map_post_selected(r, &sel));
    sel.keyword = "bataclan";
    CHECK(st_map_post_selected(r, &sel));
    sel.keyword = "#jesuischarlie";
    CHECK(st_map_post_selected(r, &sel));
    sel.keyword = "charlie"; /* not in the text, and not a whole hashtag */
    CHECK(!st_map_post_selected(r, &sel));
    sel.keyword = NULL;
    sel.has_since = 1;
    sel.since = 1420632000; /* 12:00:00, inclusive */
    CHECK(st_map_post_selected(r, &sel));
    sel.has_until = 1;
    sel.until = 1420632000; /* exclusive */
    CHECK(!st_map_post_selected(r, &sel));
    free(r);
    st_map_post_free(p);
}

int main(void)
{
    RUN(test_v1);
    RUN(test_v2_and_mapping);
    RUN(test_malformed);
    RUN(test_lists_overflow);
    RUN(test_time);
    RUN(test_select);
    return TEST_END("map/post");
}
