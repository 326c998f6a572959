/* Unit tests for networks from posts: exact edge weights on generated posts, consistent filters. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/map_graph.h"

/* Generated posts: "author|tag,tag|mention,mention|url,url|epoch". */
static const char *const posts[] = {
    "alice|a,b,c|bob|http://www.Example.org/1,https://news.bbc.co.uk/x|100",
    "bob|a,b|alice,carol|http://example.org/2|200",
    "carol|A,B,#b|carol|https://bbc.co.uk/y|300", /* case folded; self-mention; dup hashtag */
    "alice|b,c|bob,Bob|http://t.co/z,http://example.org:8080/3|400",
    "dave|a||http://bbc.co.uk/|500",
    "erin|||http://other.net/|600",
    "|c,d|bob||700", /* no author */
};

static void make(const char *spec, char *js, size_t cap)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", spec);
    char *f[5] = {0};
    int k = 0;
    for (char *s = buf, *e; k < 5; s = e + 1) {
        e = strchr(s, '|');
        f[k++] = s;
        if (!e) break;
        *e = '\0';
    }
    size_t n = (size_t)snprintf(js, cap, "{\"created_at\":\"%s\",", f[4]);
    if (*f[0]) n += (size_t)snprintf(js + n, cap - n, "\"user\":{\"screen_name\":\"%s\"},", f[0]);
    const char *keys[3] = {"hashtags", "user_mentions", "urls"};
    const char *sub[3] = {"text", "screen_name", "expanded_url"};
    n += (size_t)snprintf(js + n, cap - n, "\"entities\":{");
    for (int i = 0; i < 3; i++) {
        n += (size_t)snprintf(js + n, cap - n, "%s\"%s\":[", i ? "," : "", keys[i]);
        int first = 1;
        for (char *t = strtok(f[i + 1], ","); t; t = strtok(NULL, ",")) {
            n +=
                (size_t)snprintf(js + n, cap - n, "%s{\"%s\":\"%s\"}", first ? "" : ",", sub[i], t);
            first = 0;
        }
        n += (size_t)snprintf(js + n, cap - n, "]");
    }
    snprintf(js + n, cap - n, "}}");
}

static st_map_graph *build(st_map_net net, const st_map_actors *actors)
{
    st_map_post *p = st_map_post_new(1 << 16);
    st_map_post_rec *r = malloc(sizeof(*r));
    st_map_graph *g = st_map_graph_new(net);
    char js[2048];
    for (size_t i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
        make(posts[i], js, sizeof(js));
        st_map_post_err e;
        int rc = st_map_post_parse(p, js, strlen(js), r, &e);
        if (rc) fprintf(stderr, "fixture %zu: %s at %zu: %s\n", i, e.why, e.pos, js);
        CHECK_EQ_INT(rc, 0);
        CHECK(st_map_graph_add_post(g, r, actors) >= 0);
    }
    free(r);
    st_map_post_free(p);
    return g;
}

static double weight(st_map_graph *g, const char *a, st_map_kind ka, const char *b, st_map_kind kb)
{
    int32_t u = st_map_graph_find(g, a, strlen(a), ka), v = st_map_graph_find(g, b, strlen(b), kb);
    if (u < 0 || v < 0) return -1;
    int32_t e = st_map_graph_find_edge(g, u, v);
    return e < 0 ? 0 : st_map_graph_edges(g)[e].weight;
}

static int64_t count(st_map_graph *g, const char *a, st_map_kind k)
{
    int32_t u = st_map_graph_find(g, a, strlen(a), k);
    return u < 0 ? -1 : st_map_graph_nodes(g)[u].count;
}

static void test_cohashtag(void)
{
    st_map_graph *g = build(ST_MAP_NET_COHASHTAG, NULL);
    const st_map_kind H = ST_MAP_KIND_HASHTAG;
    /* by hand: posts {a,b,c} {a,b} {a,b} {b,c} {a} {c,d} */
    CHECK_EQ_INT(st_map_graph_nnodes(g), 4);
    CHECK_EQ_INT(st_map_graph_nedges(g), 4); /* a-b, a-c, b-c, c-d */
    CHECK_NEAR(weight(g, "a", H, "b", H), 3, 0);
    CHECK_NEAR(weight(g, "b", H, "a", H), 3, 0); /* undirected */
    CHECK_NEAR(weight(g, "b", H, "c", H), 2, 0);
    CHECK_NEAR(weight(g, "a", H, "c", H), 1, 0);
    CHECK_NEAR(weight(g, "c", H, "d", H), 1, 0);
    CHECK_NEAR(weight(g, "a", H, "d", H), 0, 0);
    CHECK_EQ_INT(count(g, "a", H), 4);
    CHECK_EQ_INT(count(g, "B", H), 4);
    CHECK_EQ_INT(count(g, "c", H), 3);
    CHECK_EQ_INT(st_map_graph_posts(g), 6);
    /* first/last seen */
    int32_t u = st_map_graph_find(g, "a", 1, H), v = st_map_graph_find(g, "b", 1, H);
    const st_map_edge *e = &st_map_graph_edges(g)[st_map_graph_find_edge(g, u, v)];
    CHECK_EQ_INT(e->first, 100);
    CHECK_EQ_INT(e->last, 300);
    CHECK_EQ_INT(st_map_graph_nodes(g)[u].last, 500);
    st_map_graph_free(g);
}

static void test_mention_and_bipartite(void)
{
    st_map_graph *g = build(ST_MAP_NET_MENTION, NULL);
    const st_map_kind U = ST_MAP_KIND_USER;
    CHECK(st_map_graph_directed(g));
    CHECK_NEAR(weight(g, "alice", U, "bob", U), 2, 0); /* "bob","Bob" in one post count once */
    CHECK_NEAR(weight(g, "bob", U, "alice", U), 1, 0);
    CHECK_NEAR(weight(g, "bob", U, "carol", U), 1, 0);
    CHECK_NEAR(weight(g, "carol", U, "carol", U), -1 + 1, 0); /* no self loop */
    CHECK_EQ_INT(st_map_graph_nedges(g), 3);
    CHECK_EQ_INT(count(g, "carol", U), 1); /* mentioned once; her self-mention adds nothing */
    CHECK_EQ_INT(count(g, "dave", U), -1);
    st_map_graph_free(g);

    g = build(ST_MAP_NET_USER_HASHTAG, NULL);
    CHECK_NEAR(weight(g, "alice", U, "b", ST_MAP_KIND_HASHTAG), 2, 0);
    CHECK_NEAR(weight(g, "carol", U, "a", ST_MAP_KIND_HASHTAG), 1, 0);
    CHECK_EQ_INT(st_map_graph_nedges(g), 8); /* alice:a,b,c bob:a,b carol:a,b dave:a */
    CHECK_EQ_INT(count(g, "alice", U), 2);
    /* a user and a hashtag may share a name: kinds keep them apart */
    int32_t x;
    CHECK_EQ_INT(st_map_graph_node(g, "a", 1, U, &x), 0);
    CHECK(x != st_map_graph_find(g, "a", 1, ST_MAP_KIND_HASHTAG));
    st_map_graph_free(g);
}

static void test_domains_actors(void)
{
    char path[] = "/tmp/st_map_actorsXXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("# fixture\nhttps://www.bbc.co.uk/news\tmedia\nexample.org\tacademia\n", f);
    fclose(f);
    char err[256];
    st_map_actors *a = st_map_actors_load(path, err, sizeof(err));
    CHECK(a != NULL);
    st_map_graph *g = build(ST_MAP_NET_CODOMAIN, a);
    const st_map_kind D = ST_MAP_KIND_DOMAIN;
    CHECK_NEAR(weight(g, "example.org", D, "news.bbc.co.uk", D), 1, 0);
    CHECK_NEAR(weight(g, "example.org", D, "t.co", D), 1, 0);
    CHECK_EQ_INT(count(g, "example.org", D), 3); /* www., case and port folded */
    int32_t u = st_map_graph_find(g, "news.bbc.co.uk", 14, D);
    CHECK(u >= 0 && st_map_graph_nodes(g)[u].actor &&
          !strcmp(st_map_graph_nodes(g)[u].actor, "media"));
    st_map_graph_free(g);
    g = build(ST_MAP_NET_ACTOR, a);
    CHECK_NEAR(weight(g, "media", ST_MAP_KIND_ACTOR, "academia", ST_MAP_KIND_ACTOR), 1, 0);
    CHECK_EQ_INT(count(g, "media", ST_MAP_KIND_ACTOR), 3);
    CHECK_EQ_INT(st_map_graph_nnodes(g), 2);
    st_map_graph_free(g);
    /* the actor network needs a table */
    g = st_map_graph_new(ST_MAP_NET_ACTOR);
    st_map_post_rec r = {0};
    CHECK_EQ_INT(st_map_graph_add_post(g, &r, NULL), -EINVAL);
    st_map_graph_free(g);
    st_map_actors_free(a);
    unlink(path);
}

/* The invariant of every filter: no edge to a removed node, weights intact. */
static void check_consistent(st_map_graph *g, const st_map_graph *orig)
{
    size_t nn = st_map_graph_nnodes(g);
    const st_map_edge *e = st_map_graph_edges(g);
    st_map_node *nd = st_map_graph_nodes(g);
    for (size_t k = 0; k < st_map_graph_nedges(g); k++) {
        CHECK(e[k].u >= 0 && (size_t)e[k].u < nn && e[k].v >= 0 && (size_t)e[k].v < nn);
        /* same weight as in the unfiltered network */
        int32_t ou = st_map_graph_find(orig, nd[e[k].u].name, nd[e[k].u].len, nd[e[k].u].kind);
        int32_t ov = st_map_graph_find(orig, nd[e[k].v].name, nd[e[k].v].len, nd[e[k].v].kind);
        CHECK(ou >= 0 && ov >= 0);
        int32_t oe = st_map_graph_find_edge(orig, ou, ov);
        CHECK(oe >= 0 && st_map_graph_edges(orig)[oe].weight == e[k].weight);
        /* and lookups still work after renumbering */
        CHECK_EQ_INT(st_map_graph_find_edge(g, e[k].u, e[k].v), (long long)k);
    }
}

static void test_filters(void)
{
    st_map_graph *orig = build(ST_MAP_NET_COHASHTAG, NULL);
    const st_map_kind H = ST_MAP_KIND_HASHTAG;
    st_map_filter f = {0};
    st_map_graph *g = build(ST_MAP_NET_COHASHTAG, NULL);
    f.min_weight = 2;
    CHECK_EQ_INT(st_map_graph_filter(g, &f), 0);
    CHECK_EQ_INT(st_map_graph_nedges(g), 2); /* a-b 3, b-c 2 */
    CHECK_EQ_INT(st_map_graph_nnodes(g), 4); /* nodes stay without drop_isolates */
    check_consistent(g, orig);
    f.drop_isolates = 1;
    CHECK_EQ_INT(st_map_graph_filter(g, &f), 0);
    CHECK_EQ_INT(st_map_graph_nnodes(g), 3);
    CHECK_EQ_INT(st_map_graph_find(g, "d", 1, H), -1);
    check_consistent(g, orig);
    st_map_graph_free(g);

    /* top 2 by posts: a (4) and b (4); c (3) goes and takes its edges along */
    g = build(ST_MAP_NET_COHASHTAG, NULL);
    st_map_filter t = {.top_n = 2, .rank = ST_MAP_RANK_COUNT};
    CHECK_EQ_INT(st_map_graph_filter(g, &t), 0);
    CHECK_EQ_INT(st_map_graph_nnodes(g), 2);
    CHECK_EQ_INT(st_map_graph_nedges(g), 1);
    CHECK_NEAR(weight(g, "a", H, "b", H), 3, 0);
    check_consistent(g, orig);
    st_map_graph_free(g);

    /* every combination keeps the invariant */
    for (int mw = 0; mw <= 3; mw++)
        for (int mc = 0; mc <= 4; mc++)
            for (size_t top = 0; top <= 4; top++)
                for (int rank = 0; rank < 3; rank++) {
                    g = build(ST_MAP_NET_COHASHTAG, NULL);
                    st_map_filter c = {mw, mc, top, (st_map_rank)rank, (mw + mc) & 1};
                    CHECK_EQ_INT(st_map_graph_filter(g, &c), 0);
                    if (top) CHECK(st_map_graph_nnodes(g) <= top);
                    st_map_node *nd = st_map_graph_nodes(g);
                    for (size_t i = 0; i < st_map_graph_nnodes(g); i++) CHECK(nd[i].count >= mc);
                    for (size_t k = 0; k < st_map_graph_nedges(g); k++)
                        CHECK(st_map_graph_edges(g)[k].weight >= mw);
                    check_consistent(g, orig);
                    st_map_graph_free(g);
                }
    st_map_graph_free(orig);
}

static void test_api_errors(void)
{
    CHECK(st_map_graph_new((st_map_net)99) == NULL);
    st_map_graph *g = st_map_graph_new(ST_MAP_NET_COHASHTAG);
    int32_t a;
    CHECK_EQ_INT(st_map_graph_node(g, "x", 1, ST_MAP_KIND_HASHTAG, &a), 0);
    CHECK_EQ_INT(st_map_graph_edge(g, a, 5, 1, 0, 0), -EINVAL);
    CHECK_EQ_INT(st_map_graph_hit(g, -1, 0, 0), -EINVAL);
    /* growth past the initial tables keeps every node findable */
    char name[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        CHECK_EQ_INT(st_map_graph_node(g, name, strlen(name), ST_MAP_KIND_HASHTAG, &a), 0);
        if (i) CHECK_EQ_INT(st_map_graph_edge(g, a - 1, a, 1, 0, 0), 0);
    }
    int ok = 1;
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "N%d", i);
        ok &= st_map_graph_find(g, name, strlen(name), ST_MAP_KIND_HASHTAG) == i + 1;
    }
    CHECK(ok);
    CHECK_EQ_INT(st_map_graph_nedges(g), 4999);
    CHECK_STR(st_map_net_name(ST_MAP_NET_USER_HASHTAG), "user-hashtag");
    st_map_net n;
    CHECK_EQ_INT(st_map_net_parse("courl", &n), 0);
    CHECK_EQ_INT(n, ST_MAP_NET_COURL);
    CHECK_EQ_INT(st_map_net_parse("bogus", &n), -ENOENT);
    st_map_graph_free(g);
    st_map_graph_free(NULL);
}

int main(void)
{
    RUN(test_cohashtag);
    RUN(test_mention_and_bipartite);
    RUN(test_domains_actors);
    RUN(test_filters);
    RUN(test_api_errors);
    return TEST_END("map/graph");
}
