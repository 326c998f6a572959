/* libFuzzer target: arbitrary bytes into the post parser, then into networks and a timeline. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Properties checked on every input (abort() on violation):
 *   - st_map_post_parse returns 0, -EINVAL or -E2BIG; on -EINVAL the error
 *     position lies inside the line and the reason is set;
 *   - on success every slice has a length no larger than the line (decoding
 *     never grows text) and list counts stay within ST_MAP_LIST_MAX;
 *   - the same line with surrounding whitespace gives the same verdict;
 *   - accepted posts go into co-hashtag, mention and co-domain networks and a
 *     timeline without error, and every edge joins existing nodes.
 * Run: make fuzz && build-fuzz/fuzz_post -runs=1000000 NEW_DIR fuzz/corpus/post
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/map_graph.h"
#include "stratum/map_post.h"
#include "stratum/map_timeline.h"

#define MAX_LINE 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_post: %s\n", what);
    abort();
}

static void check_rec(const st_map_post_rec *r, size_t size)
{
    for (int i = 0; i < ST_MAP_S__COUNT; i++) {
        if (r->has[i] && r->s[i].len > size) die("scalar longer than the line");
        if (!r->has[i] && r->s[i].len) die("absent scalar with a length");
    }
    for (int i = 0; i < ST_MAP_L__COUNT; i++) {
        if (r->n[i] < 0 || r->n[i] > ST_MAP_LIST_MAX) die("list count out of range");
        for (int k = 0; k < r->n[i]; k++)
            if (r->l[i][k].len > size) die("list value longer than the line");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_LINE - 4) return 0;
    st_map_post *p = st_map_post_new(MAX_LINE);
    st_map_post_rec *r = malloc(sizeof(*r));
    char *padded = malloc(size + 4);
    if (!p || !r || !padded) die("out of memory");
    st_map_post_err e;
    int rc = st_map_post_parse(p, (const char *)data, size, r, &e);
    if (rc != 0 && rc != -EINVAL && rc != -E2BIG) die("unexpected return code");
    if (rc == -EINVAL && (!e.why || e.pos > size)) die("error without reason or position");
    if (rc == 0) {
        check_rec(r, size);
        st_map_net nets[3] = {ST_MAP_NET_COHASHTAG, ST_MAP_NET_MENTION, ST_MAP_NET_CODOMAIN};
        for (int k = 0; k < 3; k++) {
            st_map_graph *g = st_map_graph_new(nets[k]);
            if (!g || st_map_graph_add_post(g, r, NULL) < 0) die("network refused a post");
            const st_map_edge *ed = st_map_graph_edges(g);
            for (size_t j = 0; j < st_map_graph_nedges(g); j++)
                if ((size_t)ed[j].u >= st_map_graph_nnodes(g) ||
                    (size_t)ed[j].v >= st_map_graph_nnodes(g))
                    die("edge to a missing node");
            st_map_filter f = {.top_n = 1, .drop_isolates = 1};
            if (st_map_graph_filter(g, &f)) die("filter failed");
            if (st_map_graph_nnodes(g) > 1) die("top 1 kept more than one node");
            st_map_graph_free(g);
        }
        if (r->has_t) {
            st_map_timeline *tl = st_map_timeline_new(3600);
            if (!tl || st_map_timeline_add(tl, "x", 1, r->t)) die("timeline refused a time");
            if (st_map_timeline_get(tl, "x", 1, r->t) != 1) die("timeline lost a post");
            st_map_timeline_free(tl);
        }
    }
    /* Whitespace around the object changes nothing (RFC 8259 section 2). */
    padded[0] = ' ';
    padded[1] = '\t';
    memcpy(padded + 2, data, size);
    padded[size + 2] = '\r';
    padded[size + 3] = ' ';
    int rc2 = st_map_post_parse(p, padded, size + 4, r, &e);
    if ((rc == 0) != (rc2 == 0)) die("whitespace changed the verdict");
    free(padded);
    free(r);
    st_map_post_free(p);
    return 0;
}
