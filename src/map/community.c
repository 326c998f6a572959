/* Community detection (Louvain, Leiden), partition stability and node measures via igraph. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_community.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <igraph.h>

/* Leiden's randomness in the refinement step (Traag et al. 2019 use 0.01). */
#define LEIDEN_BETA 0.01

const char *st_map_algo_name(st_map_algo a)
{
    return a == ST_MAP_LEIDEN ? "leiden" : "louvain";
}

int st_map_algo_parse(const char *name, st_map_algo *out)
{
    if (!strcmp(name, "louvain")) {
        *out = ST_MAP_LOUVAIN;
        return 0;
    }
    if (!strcmp(name, "leiden")) {
        *out = ST_MAP_LEIDEN;
        return 0;
    }
    return -ENOENT;
}

/* igraph's default error handler aborts; within our calls errors come back as
 * return codes instead. The handler and the default generator are process
 * state, so both are swapped in and out around each call. In igraph 0.10,
 * igraph_rng_set_default() copies the generator struct (the state is
 * shared), so the previous default is saved by value, the seed is applied to
 * igraph_rng_default() itself, and RNG_BEGIN() then finds it seeded instead
 * of reseeding it from time(0). */
typedef struct guard {
    igraph_error_handler_t *old_handler;
    igraph_rng_t saved; /* the previous default, by value */
    igraph_rng_t rng;   /* ours: owns the MT19937 state */
    int has_rng;
} guard;

static void guard_enter(guard *gd)
{
    memset(gd, 0, sizeof(*gd));
    gd->old_handler = igraph_set_error_handler(igraph_error_handler_ignore);
}

static int guard_seed(guard *gd, uint64_t seed)
{
    if (!gd->has_rng) {
        if (igraph_rng_init(&gd->rng, &igraph_rngtype_mt19937)) return -ENOMEM;
        gd->has_rng = 1;
        gd->saved = *igraph_rng_default();
        igraph_rng_set_default(&gd->rng);
    }
    igraph_rng_t *def = igraph_rng_default();
    if (igraph_rng_seed(def, (igraph_uint_t)seed)) return -EINVAL;
    def->is_seeded = 1; /* igraph_rng_seed() leaves the flag to RNG_BEGIN() */
    return 0;
}

static void guard_leave(guard *gd)
{
    if (gd->has_rng) {
        igraph_rng_set_default(&gd->saved);
        igraph_rng_destroy(&gd->rng);
    }
    igraph_set_error_handler(gd->old_handler);
}

typedef struct upair {
    int32_t u, v;
    double w;
} upair;

static int upair_cmp(const void *a, const void *b)
{
    const upair *x = a, *y = b;
    if (x->u != y->u) return x->u < y->u ? -1 : 1;
    return (x->v > y->v) - (x->v < y->v);
}

/* The network as an undirected weighted igraph (directed pairs summed). */
static int to_igraph(st_map_graph *g, igraph_t *ig, igraph_vector_t *w)
{
    size_t ne = st_map_graph_nedges(g);
    const st_map_edge *e = st_map_graph_edges(g);
    upair *p = malloc((ne + 1) * sizeof(*p));
    if (!p) return -ENOMEM;
    for (size_t i = 0; i < ne; i++) {
        p[i].u = e[i].u < e[i].v ? e[i].u : e[i].v;
        p[i].v = e[i].u < e[i].v ? e[i].v : e[i].u;
        p[i].w = e[i].weight;
    }
    size_t k = 0;
    if (st_map_graph_directed(g)) {
        qsort(p, ne, sizeof(*p), upair_cmp);
        for (size_t i = 0; i < ne; i++) {
            if (k && p[k - 1].u == p[i].u && p[k - 1].v == p[i].v)
                p[k - 1].w += p[i].w;
            else
                p[k++] = p[i];
        }
    } else {
        k = ne;
    }
    igraph_vector_int_t el;
    int rc = -ENOMEM;
    if (igraph_vector_int_init(&el, (igraph_integer_t)(2 * k))) goto out_p;
    if (igraph_vector_init(w, (igraph_integer_t)k)) goto out_el;
    for (size_t i = 0; i < k; i++) {
        VECTOR(el)[2 * i] = p[i].u;
        VECTOR(el)[2 * i + 1] = p[i].v;
        VECTOR(*w)[i] = p[i].w;
    }
    if (igraph_create(ig, &el, (igraph_integer_t)st_map_graph_nnodes(g), IGRAPH_UNDIRECTED)) {
        igraph_vector_destroy(w);
        goto out_el;
    }
    rc = 0;
out_el:
    igraph_vector_int_destroy(&el);
out_p:
    free(p);
    return rc;
}

typedef struct csize {
    igraph_integer_t label, size, first;
} csize;

static int csize_cmp(const void *a, const void *b)
{
    const csize *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* Renumber labels: 0 = largest community, ties by lowest node index. */
static int canonical(igraph_vector_int_t *m, int *ncomm)
{
    igraph_integer_t n = igraph_vector_int_size(m), maxl = -1;
    for (igraph_integer_t i = 0; i < n; i++)
        if (VECTOR(*m)[i] > maxl) maxl = VECTOR(*m)[i];
    csize *c = calloc((size_t)maxl + 2, sizeof(*c));
    igraph_integer_t *to = malloc(((size_t)maxl + 2) * sizeof(*to));
    if (!c || !to) {
        free(c);
        free(to);
        return -ENOMEM;
    }
    for (igraph_integer_t l = 0; l <= maxl; l++) {
        c[l].label = l;
        c[l].first = n;
    }
    for (igraph_integer_t i = 0; i < n; i++) {
        csize *x = &c[VECTOR(*m)[i]];
        if (!x->size++) x->first = i;
    }
    qsort(c, (size_t)maxl + 1, sizeof(*c), csize_cmp);
    int k = 0;
    for (igraph_integer_t l = 0; l <= maxl; l++)
        if (c[l].size) to[c[l].label] = k++;
    for (igraph_integer_t i = 0; i < n; i++) VECTOR(*m)[i] = to[VECTOR(*m)[i]];
    *ncomm = k;
    free(c);
    free(to);
    return 0;
}

/* One seeded run on an already converted graph. */
static int run_once(guard *gd, const igraph_t *ig, const igraph_vector_t *w, st_map_algo algo,
                    uint64_t seed, double resolution, igraph_vector_int_t *memb,
                    st_map_comm_run *out)
{
    int rc = guard_seed(gd, seed);
    if (rc) return rc;
    igraph_integer_t n = igraph_vcount(ig);
    double m2 = 2.0 * igraph_vector_sum(w);
    if (igraph_ecount(ig) == 0 || m2 <= 0) {
        /* No edges: every node is its own community; modularity undefined. */
        if (igraph_vector_int_resize(memb, n)) return -ENOMEM;
        for (igraph_integer_t i = 0; i < n; i++) VECTOR(*memb)[i] = i;
        out->modularity = NAN;
    } else if (algo == ST_MAP_LOUVAIN) {
        if (igraph_community_multilevel(ig, w, resolution, memb, NULL, NULL)) return -ENOMEM;
    } else {
        /* Leiden optimises modularity when node weights are strengths and the
         * resolution is gamma / 2m (igraph documentation). */
        igraph_vector_t strength;
        if (igraph_vector_init(&strength, n)) return -ENOMEM;
        igraph_integer_t nc;
        igraph_real_t quality;
        int bad = igraph_strength(ig, &strength, igraph_vss_all(), IGRAPH_ALL, IGRAPH_LOOPS, w) ||
                  igraph_community_leiden(ig, w, &strength, resolution / m2, LEIDEN_BETA, 0, -1,
                                          memb, &nc, &quality);
        igraph_vector_destroy(&strength);
        if (bad) return -ENOMEM;
    }
    if (n && (rc = canonical(memb, &out->ncomm))) return rc;
    if (!n) out->ncomm = 0;
    if (igraph_ecount(ig) > 0 && m2 > 0) {
        igraph_real_t q;
        if (igraph_modularity(ig, memb, w, resolution, IGRAPH_UNDIRECTED, &q)) return -ENOMEM;
        out->modularity = q;
    }
    return 0;
}

int st_map_community_stability(st_map_graph *g, st_map_algo algo, uint64_t seed, int runs,
                               double resolution, st_map_comm_run *runs_out, double *nmi,
                               double *ari)
{
    if (!g || runs < 1 || !runs_out || !(resolution > 0) || !isfinite(resolution)) return -EINVAL;
    guard gd;
    guard_enter(&gd);
    igraph_t ig;
    igraph_vector_t w;
    int rc = to_igraph(g, &ig, &w);
    if (rc) {
        guard_leave(&gd);
        return rc;
    }
    igraph_vector_int_t first, cur;
    int has_first = 0, has_cur = 0;
    double sum_nmi = 0, sum_ari = 0;
    long pairs = 0;
    size_t nn = st_map_graph_nnodes(g);
    /* Pairwise comparison needs all partitions; they are kept as one int
     * array of runs x nodes. */
    int *all = malloc(((size_t)runs * nn + 1) * sizeof(int));
    rc = -ENOMEM;
    if (!all) goto out;
    if (igraph_vector_int_init(&first, 0)) goto out;
    has_first = 1;
    if (igraph_vector_int_init(&cur, 0)) goto out;
    has_cur = 1;
    for (int r = 0; r < runs; r++) {
        igraph_vector_int_t *m = r == 0 ? &first : &cur;
        if ((rc = run_once(&gd, &ig, &w, algo, seed + (uint64_t)r, resolution, m, &runs_out[r])))
            goto out;
        for (size_t i = 0; i < nn; i++) all[(size_t)r * nn + i] = (int)VECTOR(*m)[i];
    }
    rc = -ENOMEM;
    igraph_vector_int_t a, b;
    if (igraph_vector_int_init(&a, (igraph_integer_t)nn)) goto out;
    if (igraph_vector_int_init(&b, (igraph_integer_t)nn)) {
        igraph_vector_int_destroy(&a);
        goto out;
    }
    int cmp_bad = 0;
    for (int r = 0; r < runs && !cmp_bad; r++)
        for (int s = r + 1; s < runs && !cmp_bad; s++) {
            for (size_t i = 0; i < nn; i++) {
                VECTOR(a)[i] = all[(size_t)r * nn + i];
                VECTOR(b)[i] = all[(size_t)s * nn + i];
            }
            igraph_real_t x, y;
            cmp_bad = igraph_compare_communities(&a, &b, &x, IGRAPH_COMMCMP_NMI) ||
                      igraph_compare_communities(&a, &b, &y, IGRAPH_COMMCMP_ADJUSTED_RAND);
            sum_nmi += x;
            sum_ari += y;
            pairs++;
        }
    igraph_vector_int_destroy(&a);
    igraph_vector_int_destroy(&b);
    if (cmp_bad) goto out;
    if (nmi) *nmi = pairs ? sum_nmi / (double)pairs : 1.0;
    if (ari) *ari = pairs ? sum_ari / (double)pairs : 1.0;
    st_map_node *nd = st_map_graph_nodes(g);
    for (size_t i = 0; i < nn; i++) nd[i].community = (int)VECTOR(first)[i];
    rc = 0;
out:
    free(all);
    if (has_first) igraph_vector_int_destroy(&first);
    if (has_cur) igraph_vector_int_destroy(&cur);
    igraph_vector_destroy(&w);
    igraph_destroy(&ig);
    guard_leave(&gd);
    return rc;
}

int st_map_community_detect(st_map_graph *g, st_map_algo algo, uint64_t seed, double resolution,
                            st_map_comm_run *out)
{
    st_map_comm_run tmp;
    if (!out) out = &tmp;
    return st_map_community_stability(g, algo, seed, 1, resolution, out, NULL, NULL);
}

int st_map_community_measures(st_map_graph *g, int with_betweenness)
{
    if (!g) return -EINVAL;
    size_t nn = st_map_graph_nnodes(g), ne = st_map_graph_nedges(g);
    st_map_node *nd = st_map_graph_nodes(g);
    const st_map_edge *e = st_map_graph_edges(g);
    for (size_t i = 0; i < nn; i++) nd[i].degree = nd[i].wdegree = nd[i].betweenness = 0;
    /* Degree and weighted degree straight from the edge list (a self-loop
     * counts twice, as in igraph and Gephi). */
    for (size_t k = 0; k < ne; k++) {
        nd[e[k].u].degree += 1;
        nd[e[k].v].degree += 1;
        nd[e[k].u].wdegree += e[k].weight;
        nd[e[k].v].wdegree += e[k].weight;
    }
    if (!with_betweenness || nn == 0) return 0;
    guard gd;
    guard_enter(&gd);
    igraph_vector_int_t el;
    igraph_t ig;
    igraph_vector_t res;
    int rc = -ENOMEM;
    if (igraph_vector_int_init(&el, (igraph_integer_t)(2 * ne))) goto out0;
    for (size_t k = 0; k < ne; k++) {
        VECTOR(el)[2 * k] = e[k].u;
        VECTOR(el)[2 * k + 1] = e[k].v;
    }
    int directed = st_map_graph_directed(g);
    if (igraph_create(&ig, &el, (igraph_integer_t)nn,
                      directed ? IGRAPH_DIRECTED : IGRAPH_UNDIRECTED))
        goto out1;
    if (igraph_vector_init(&res, 0)) goto out2;
    if (!igraph_betweenness(&ig, &res, igraph_vss_all(), directed, NULL)) {
        for (size_t i = 0; i < nn; i++) nd[i].betweenness = VECTOR(res)[i];
        rc = 0;
    }
    igraph_vector_destroy(&res);
out2:
    igraph_destroy(&ig);
out1:
    igraph_vector_int_destroy(&el);
out0:
    guard_leave(&gd);
    return rc;
}
