/* Weighted networks from posts: co-hashtag, mention, user-hashtag, co-URL/domain, actor type. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_GRAPH_H
#define STRATUM_MAP_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "stratum/map_actors.h"
#include "stratum/map_post.h"

/* Network types. Weights are always counts of posts (docs/map.md):
 *  COHASHTAG     hashtag -- hashtag, posts carrying both (case folded)
 *  MENTION       author -> mentioned handle, posts (directed; self-mentions left out)
 *  USER_HASHTAG  author -- hashtag, posts (bipartite: node kind user or hashtag)
 *  CODOMAIN      domain -- domain, posts linking both (host, lower case, no www.)
 *  COURL         URL -- URL, posts linking both
 *  ACTOR         actor type -- actor type, posts linking to both (needs an actors table) */
typedef enum st_map_net {
    ST_MAP_NET_COHASHTAG = 0,
    ST_MAP_NET_MENTION,
    ST_MAP_NET_USER_HASHTAG,
    ST_MAP_NET_CODOMAIN,
    ST_MAP_NET_COURL,
    ST_MAP_NET_ACTOR,
    ST_MAP_NET__COUNT
} st_map_net;

typedef enum st_map_kind {
    ST_MAP_KIND_HASHTAG = 0,
    ST_MAP_KIND_USER,
    ST_MAP_KIND_DOMAIN,
    ST_MAP_KIND_URL,
    ST_MAP_KIND_ACTOR,
    ST_MAP_KIND_SERIES, /* a timeline series name (st_map_timeline) */
    ST_MAP_KIND__COUNT
} st_map_kind;

/* One node. name and actor are owned by the graph. community, degree,
 * wdegree and betweenness are written by st_map_community_* (callers may set
 * them too); the rest is the graph's. */
typedef struct st_map_node {
    const char *name; /* NUL-terminated; folded to lower case except URLs */
    size_t len;
    st_map_kind kind;
    const char *actor;   /* actor type from the actors table, or NULL */
    int64_t count;       /* posts the node appears in */
    int64_t first, last; /* first and last post time, s since the epoch, if has_time */
    int has_time;
    int community; /* -1 when not computed */
    double degree, wdegree, betweenness;
} st_map_node;

/* One edge; u < v for undirected networks. weight = posts. */
typedef struct st_map_edge {
    int32_t u, v;
    double weight;
    int64_t first, last;
    int has_time;
} st_map_edge;

typedef struct st_map_graph st_map_graph;

/* Empty network of the given type; NULL + errno (EINVAL, ENOMEM). Node and
 * edge tables grow by doubling: amortised, never per post. */
st_map_graph *st_map_graph_new(st_map_net net);
void st_map_graph_free(st_map_graph *g);

const char *st_map_net_name(st_map_net net);             /* "cohashtag", "mention", ... (static) */
int st_map_net_parse(const char *name, st_map_net *out); /* 0 or -ENOENT */
const char *st_map_kind_name(st_map_kind k);             /* "hashtag", "user", ... (static) */

/* Count one post into the network. actors (borrowed, may be NULL) tags domain
 * nodes and is required for ST_MAP_NET_ACTOR. Returns 1 when the post
 * contributed a node, 0 when it held nothing for this network (e.g. no
 * hashtag), -EINVAL (ACTOR without a table) or -ENOMEM. */
int st_map_graph_add_post(st_map_graph *g, const st_map_post_rec *rec, const st_map_actors *actors);

/* Low-level building blocks (also used by tests and timelines). node() finds
 * or adds the node (name borrowed and copied; ASCII-folded to lower case
 * unless kind is URL or SERIES) and returns its index in *id. hit() counts
 * one post at time t. edge() adds w to the edge u-v (u->v if directed). All
 * return 0, -EINVAL or -ENOMEM. */
int st_map_graph_node(st_map_graph *g, const char *name, size_t len, st_map_kind kind, int32_t *id);
int st_map_graph_hit(st_map_graph *g, int32_t id, int64_t t, int has_t);
int st_map_graph_edge(st_map_graph *g, int32_t u, int32_t v, double w, int64_t t, int has_t);
/* Index of a node, or -1 (name folded as in node()). */
int32_t st_map_graph_find(const st_map_graph *g, const char *name, size_t len, st_map_kind kind);
/* Index of edge u-v, or -1. */
int32_t st_map_graph_find_edge(const st_map_graph *g, int32_t u, int32_t v);

size_t st_map_graph_nnodes(const st_map_graph *g);
size_t st_map_graph_nedges(const st_map_graph *g);
st_map_node *st_map_graph_nodes(st_map_graph *g);             /* borrowed; see st_map_node */
const st_map_edge *st_map_graph_edges(const st_map_graph *g); /* borrowed */
int st_map_graph_directed(const st_map_graph *g);
st_map_net st_map_graph_net(const st_map_graph *g);
/* Posts that contributed to the network. */
int64_t st_map_graph_posts(const st_map_graph *g);

typedef enum st_map_rank {
    ST_MAP_RANK_DEGREE = 0, /* distinct neighbours */
    ST_MAP_RANK_WDEGREE,    /* sum of edge weights */
    ST_MAP_RANK_COUNT       /* posts */
} st_map_rank;

/* Filters, applied in this order: edges below min_weight go; nodes with fewer
 * than min_count posts go; of the rest, the top_n nodes by rank (computed on
 * the remaining edges; ties by name) stay; every edge touching a removed node
 * goes; with drop_isolates, nodes left without edges go. A node filter never
 * leaves an edge to a removed node. 0 disables a number. */
typedef struct st_map_filter {
    double min_weight;
    int64_t min_count;
    size_t top_n;
    st_map_rank rank;
    int drop_isolates;
} st_map_filter;

/* Apply f in place (node indices are renumbered, order kept). 0 or -ENOMEM. */
int st_map_graph_filter(st_map_graph *g, const st_map_filter *f);

#endif
