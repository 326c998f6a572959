/* Community detection and node measures for `stratum map`, through igraph's C library. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_COMMUNITY_H
#define STRATUM_MAP_COMMUNITY_H

#include <stdint.h>

#include "stratum/map_graph.h"

typedef enum st_map_algo {
    ST_MAP_LOUVAIN = 0, /* Blondel et al. 2008, igraph_community_multilevel */
    ST_MAP_LEIDEN       /* Traag, Waltman & van Eck 2019, igraph_community_leiden (modularity) */
} st_map_algo;

const char *st_map_algo_name(st_map_algo a);               /* "louvain", "leiden" (static) */
int st_map_algo_parse(const char *name, st_map_algo *out); /* 0 or -ENOENT */

/* Result of one run. modularity is NaN when the network has no edges. */
typedef struct st_map_comm_run {
    double modularity;
    int ncomm;
} st_map_comm_run;

/* Detect communities with one seed and write them into every node's
 * `community` field. Weights are the edge weights; a directed network is
 * treated as undirected with u->v and v->u weights summed. resolution is
 * modularity's gamma (1 = classic modularity, Newman & Girvan 2004). The
 * result depends only on the network, algo, seed and resolution: igraph's
 * generator is seeded here (MT19937) and the previous default restored, and
 * labels are renumbered canonically (0 = largest community; ties by the
 * lowest node index). Returns 0, -EINVAL or -ENOMEM (igraph errors map to
 * -ENOMEM or -EINVAL; igraph never aborts the process). */
int st_map_community_detect(st_map_graph *g, st_map_algo algo, uint64_t seed, double resolution,
                            st_map_comm_run *out);

/* Stability over `runs` seeds (seed, seed+1, ...): per-run results into
 * runs_out (caller array of `runs` elements), the mean pairwise normalised
 * mutual information (Danon et al. 2005) and adjusted Rand index (Hubert &
 * Arabie 1985) of the partitions (1 when runs == 1). The nodes keep the
 * partition of the first seed. Returns 0, -EINVAL or -ENOMEM. */
int st_map_community_stability(st_map_graph *g, st_map_algo algo, uint64_t seed, int runs,
                               double resolution, st_map_comm_run *runs_out, double *nmi,
                               double *ari);

/* Degree (edges at the node, in + out when directed), weighted degree (sum of
 * weights) and, when with_betweenness, unweighted betweenness centrality
 * (Brandes 2001; weights are tie strengths, not path lengths, so they are
 * not used as distances) into every node. Returns 0 or -ENOMEM. */
int st_map_community_measures(st_map_graph *g, int with_betweenness);

#endif
