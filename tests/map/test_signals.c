/* Unit tests for street signals: zone and term matching, per-minute packs, no names out. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/map_signals.h"

typedef struct sink {
    char buf[16384];
    size_t len;
    int packs;
} sink;

static int collect(void *ctx, const char *pack, size_t len)
{
    sink *s = ctx;
    if (s->len + len + 2 > sizeof(s->buf)) return -ENOSPC;
    memcpy(s->buf + s->len, pack, len);
    s->len += len;
    s->buf[s->len++] = '\n';
    s->buf[s->len] = '\0';
    s->packs++;
    return 0;
}

static void write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

static void post(st_map_post *p, st_map_post_rec *r, const char *author, const char *text,
                 const char *time)
{
    char js[1024];
    snprintf(js, sizeof(js),
             "{\"user\":{\"screen_name\":\"%s\"},\"text\":\"%s\",\"created_at\":\"%s\"}", author,
             text, time);
    CHECK_EQ_INT(st_map_post_parse(p, js, strlen(js), r, NULL), 0);
}

static void test_minutes(void)
{
    char zp[] = "/tmp/st_map_zonesXXXXXX", tp[] = "/tmp/st_map_termsXXXXXX";
    write_file(zp, "# zones\nz1\tStratumseind; Stratum\nz2\tMarkt\n");
    write_file(tp, "fight\nkick off\n");
    char err[256];
    st_map_signals *s = st_map_signals_new(zp, tp, -1, err, sizeof(err));
    CHECK(s != NULL);
    st_map_post *p = st_map_post_new(4096);
    st_map_post_rec *r = malloc(sizeof(*r));
    sink out = {0};
    post(p, r, "secretuser", "Fight on #Stratumseind now", "2015-01-07T23:00:05Z");
    CHECK_EQ_INT(st_map_signals_push(s, r, collect, &out), 0);
    post(p, r, "secretuser", "busy at stratumseind and the markt", "2015-01-07T23:00:40Z");
    CHECK_EQ_INT(st_map_signals_push(s, r, collect, &out), 0);
    post(p, r, "other", "Stratumseinds is not a word match; fighting neither",
         "2015-01-07T23:00:50Z");
    CHECK_EQ_INT(st_map_signals_push(s, r, collect, &out), 0);
    post(p, r, "other", "they kick off at the Markt", "2015-01-07T23:02:00Z");
    CHECK_EQ_INT(st_map_signals_push(s, r, collect, &out), 0);
    post(p, r, "other", "earlier, read from a second file: Markt", "2015-01-07T22:59:00Z");
    CHECK_EQ_INT(st_map_signals_push(s, r, collect, &out), 0);
    CHECK_EQ_INT(out.packs, 0); /* files: nothing until finish */
    CHECK_EQ_INT(st_map_signals_finish(s, collect, &out), 0);
    /* minutes 22:59..23:02 (4) x 2 zones */
    CHECK_EQ_INT(out.packs, 8);
    CHECK(strstr(out.buf, "[{\"bn\":\"z1/social/\",\"bt\":1420671600,\"n\":\"socialPosts\","
                          "\"u\":\"count\",\"v\":2},{\"n\":\"socialAggressiveShare\",\"u\":\"/\","
                          "\"v\":0.5}]") != NULL);
    CHECK(strstr(out.buf, "[{\"bn\":\"z2/social/\",\"bt\":1420671720,\"n\":\"socialPosts\","
                          "\"u\":\"count\",\"v\":1},{\"n\":\"socialAggressiveShare\",\"u\":\"/\","
                          "\"v\":1}]") != NULL);
    CHECK(strstr(out.buf, "\"bn\":\"z2/social/\",\"bt\":1420671540,\"n\":\"socialPosts\",\"u\":"
                          "\"count\",\"v\":1}") != NULL);
    CHECK(strstr(out.buf, "\"bn\":\"z1/social/\",\"bt\":1420671660,\"n\":\"socialPosts\",\"u\":"
                          "\"count\",\"v\":0}]") != NULL);
    /* aggregates only: no author, no text */
    CHECK(strstr(out.buf, "secretuser") == NULL);
    CHECK(strstr(out.buf, "other") == NULL);
    CHECK(strstr(out.buf, "Fight") == NULL);
    st_map_signals_stats st;
    st_map_signals_get_stats(s, &st);
    CHECK_EQ_INT(st.posts, 5);
    CHECK_EQ_INT(st.matched, 4);
    CHECK_EQ_INT(st.aggressive, 2);
    CHECK_EQ_INT(st.zones, 2);
    free(r);
    st_map_post_free(p);
    st_map_signals_free(s);
    unlink(zp);
    unlink(tp);
}

static void test_stream_window(void)
{
    char zp[] = "/tmp/st_map_zonesXXXXXX";
    write_file(zp, "z1\tMarkt\n");
    char err[256];
    st_map_signals *s = st_map_signals_new(zp, NULL, 1, err, sizeof(err));
    CHECK(s != NULL);
    st_map_post *p = st_map_post_new(4096);
    st_map_post_rec *r = malloc(sizeof(*r));
    sink out = {0};
    post(p, r, "u", "Markt", "2015-01-07T23:00:05Z");
    st_map_signals_push(s, r, collect, &out);
    post(p, r, "u", "Markt", "2015-01-07T23:01:05Z");
    st_map_signals_push(s, r, collect, &out);
    CHECK_EQ_INT(out.packs, 0); /* 23:00 still open (window 1 minute) */
    post(p, r, "u", "Markt", "2015-01-07T23:02:05Z");
    st_map_signals_push(s, r, collect, &out);
    CHECK_EQ_INT(out.packs, 1);                       /* 23:00 closed */
    post(p, r, "u", "Markt", "2015-01-07T23:00:30Z"); /* late */
    st_map_signals_push(s, r, collect, &out);
    st_map_signals_finish(s, collect, &out);
    CHECK_EQ_INT(out.packs, 3);
    st_map_signals_stats st;
    st_map_signals_get_stats(s, &st);
    CHECK_EQ_INT(st.late, 1);
    free(r);
    st_map_post_free(p);
    st_map_signals_free(s);
    unlink(zp);
}

static void test_bad_files(void)
{
    char err[256];
    char zp[] = "/tmp/st_map_zonesXXXXXX";
    write_file(zp, "bad zone id\tMarkt\n");
    CHECK(st_map_signals_new(zp, NULL, -1, err, sizeof(err)) == NULL);
    CHECK(strstr(err, ":1: zone id") != NULL);
    unlink(zp);
    char zp2[] = "/tmp/st_map_zonesXXXXXX";
    write_file(zp2, "z1 Markt\n");
    CHECK(st_map_signals_new(zp2, NULL, -1, err, sizeof(err)) == NULL);
    CHECK(strstr(err, ":1: expected") != NULL);
    unlink(zp2);
    CHECK(st_map_signals_new("/nonexistent/zones", NULL, -1, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "No such file") != NULL);
    st_map_signals_free(NULL);
}

int main(void)
{
    RUN(test_minutes);
    RUN(test_stream_window);
    RUN(test_bad_files);
    return TEST_END("map/signals");
}
