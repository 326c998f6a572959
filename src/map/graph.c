/* Weighted networks from posts: interned nodes, hashed edges, consistent node/edge filters. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_graph.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Names live in chunks that never move, so node names stay valid while the
 * tables grow. */
#define CHUNK_BYTES 65536

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

struct st_map_graph {
    st_map_net net;
    int directed;
    int64_t posts;
    st_map_node *node;
    uint32_t *nhash; /* hash of each node's (kind, name) */
    size_t nn, ncap;
    st_map_edge *edge;
    size_t ne, ecap;
    int32_t *ntab; /* open addressing: node index + 1, 0 = empty */
    size_t ntab_cap;
    int32_t *etab; /* open addressing: edge index + 1 */
    size_t etab_cap;
    chunk *chunks;
};

static const char *const net_names[ST_MAP_NET__COUNT] = {"cohashtag", "mention", "user-hashtag",
                                                         "codomain",  "courl",   "actor"};
static const char *const kind_names[ST_MAP_KIND__COUNT] = {"hashtag", "user",  "domain",
                                                           "url",     "actor", "series"};

const char *st_map_net_name(st_map_net net)
{
    return (unsigned)net < ST_MAP_NET__COUNT ? net_names[net] : "?";
}

int st_map_net_parse(const char *name, st_map_net *out)
{
    for (int i = 0; i < ST_MAP_NET__COUNT; i++)
        if (!strcmp(name, net_names[i])) {
            *out = (st_map_net)i;
            return 0;
        }
    return -ENOENT;
}

const char *st_map_kind_name(st_map_kind k)
{
    return (unsigned)k < ST_MAP_KIND__COUNT ? kind_names[k] : "?";
}

void st_map_graph_free(st_map_graph *g)
{
    if (!g) return;
    for (chunk *c = g->chunks, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(g->node);
    free(g->nhash);
    free(g->edge);
    free(g->ntab);
    free(g->etab);
    free(g);
}

st_map_graph *st_map_graph_new(st_map_net net)
{
    if ((unsigned)net >= ST_MAP_NET__COUNT) {
        errno = EINVAL;
        return NULL;
    }
    st_map_graph *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->net = net;
    g->directed = net == ST_MAP_NET_MENTION;
    g->ntab_cap = 1024;
    g->etab_cap = 1024;
    g->ntab = calloc(g->ntab_cap, sizeof(*g->ntab));
    g->etab = calloc(g->etab_cap, sizeof(*g->etab));
    if (!g->ntab || !g->etab) goto fail;
    return g;
fail:
    st_map_graph_free(g);
    errno = ENOMEM;
    return NULL;
}

static char *arena_copy(st_map_graph *g, const char *s, size_t n, int fold)
{
    chunk *c = g->chunks;
    if (!c || c->cap - c->used < n + 1) {
        size_t cap = n + 1 > CHUNK_BYTES ? n + 1 : CHUNK_BYTES;
        chunk *nc = malloc(sizeof(*nc) + cap);
        if (!nc) return NULL;
        nc->next = g->chunks;
        nc->used = 0;
        nc->cap = cap;
        g->chunks = c = nc;
    }
    char *out = c->data + c->used;
    for (size_t i = 0; i < n; i++)
        out[i] = (fold && s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] | 0x20) : s[i];
    out[n] = '\0';
    c->used += n + 1;
    return out;
}

/* Hashtags, handles and domains are case-insensitive; URLs (paths) and
 * timeline series names are kept as given. */
static inline int folds(st_map_kind kind)
{
    return kind != ST_MAP_KIND_URL && kind != ST_MAP_KIND_SERIES;
}

static inline char fold_ch(char ch, int fold)
{
    return (fold && ch >= 'A' && ch <= 'Z') ? (char)(ch | 0x20) : ch;
}

/* FNV-1a over the folded name, seeded with the kind. */
static uint32_t name_hash(const char *s, size_t n, st_map_kind kind, int fold)
{
    uint32_t h = 2166136261u ^ (uint32_t)kind;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)fold_ch(s[i], fold);
        h *= 16777619u;
    }
    return h;
}

static inline uint32_t pair_hash(int32_t u, int32_t v)
{
    uint64_t x = (uint64_t)(uint32_t)u << 32 | (uint32_t)v;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)x;
}

static int node_matches(const st_map_node *nd, const char *s, size_t n, st_map_kind kind, int fold)
{
    if (nd->kind != kind || nd->len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (nd->name[i] != fold_ch(s[i], fold)) return 0;
    return 1;
}

static int32_t find_node(const st_map_graph *g, const char *s, size_t n, st_map_kind kind,
                         uint32_t h, size_t *slot)
{
    int fold = folds(kind);
    size_t mask = g->ntab_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        int32_t k = g->ntab[i];
        if (!k) {
            *slot = i;
            return -1;
        }
        if (g->nhash[k - 1] == h && node_matches(&g->node[k - 1], s, n, kind, fold)) return k - 1;
    }
}

static int rehash_nodes(st_map_graph *g, size_t cap)
{
    int32_t *t = calloc(cap, sizeof(*t));
    if (!t) return -ENOMEM;
    for (size_t j = 0; j < g->nn; j++) {
        size_t i = g->nhash[j] & (cap - 1);
        while (t[i]) i = (i + 1) & (cap - 1);
        t[i] = (int32_t)j + 1;
    }
    free(g->ntab);
    g->ntab = t;
    g->ntab_cap = cap;
    return 0;
}

static int rehash_edges(st_map_graph *g, size_t cap)
{
    int32_t *t = calloc(cap, sizeof(*t));
    if (!t) return -ENOMEM;
    for (size_t j = 0; j < g->ne; j++) {
        size_t i = pair_hash(g->edge[j].u, g->edge[j].v) & (cap - 1);
        while (t[i]) i = (i + 1) & (cap - 1);
        t[i] = (int32_t)j + 1;
    }
    free(g->etab);
    g->etab = t;
    g->etab_cap = cap;
    return 0;
}

int32_t st_map_graph_find(const st_map_graph *g, const char *name, size_t len, st_map_kind kind)
{
    if (!g || (!name && len)) return -1;
    size_t slot;
    return find_node(g, name, len, kind, name_hash(name, len, kind, folds(kind)), &slot);
}

int st_map_graph_node(st_map_graph *g, const char *name, size_t len, st_map_kind kind, int32_t *id)
{
    if (!g || (!name && len) || (unsigned)kind >= ST_MAP_KIND__COUNT || len > INT32_MAX)
        return -EINVAL;
    int fold = folds(kind);
    uint32_t h = name_hash(name, len, kind, fold);
    size_t slot;
    int32_t k = find_node(g, name, len, kind, h, &slot);
    if (k >= 0) {
        *id = k;
        return 0;
    }
    if (g->nn >= INT32_MAX - 1) return -ENOMEM;
    if (g->nn == g->ncap) {
        size_t nc = g->ncap ? 2 * g->ncap : 256;
        st_map_node *nn = realloc(g->node, nc * sizeof(*nn));
        if (!nn) return -ENOMEM;
        g->node = nn;
        uint32_t *nh = realloc(g->nhash, nc * sizeof(*nh));
        if (!nh) return -ENOMEM;
        g->nhash = nh;
        g->ncap = nc;
    }
    char *copy = arena_copy(g, name, len, fold);
    if (!copy) return -ENOMEM;
    st_map_node *nd = &g->node[g->nn];
    memset(nd, 0, sizeof(*nd));
    nd->name = copy;
    nd->len = len;
    nd->kind = kind;
    nd->community = -1;
    g->nhash[g->nn] = h;
    g->ntab[slot] = (int32_t)++g->nn;
    /* Keep the load factor at or below 1/2. */
    if (2 * g->nn > g->ntab_cap && rehash_nodes(g, 2 * g->ntab_cap)) return -ENOMEM;
    *id = (int32_t)g->nn - 1;
    return 0;
}

static void seen(int64_t *first, int64_t *last, int *has, int64_t t)
{
    if (!*has) {
        *first = *last = t;
        *has = 1;
        return;
    }
    if (t < *first) *first = t;
    if (t > *last) *last = t;
}

int st_map_graph_hit(st_map_graph *g, int32_t id, int64_t t, int has_t)
{
    if (!g || id < 0 || (size_t)id >= g->nn) return -EINVAL;
    st_map_node *nd = &g->node[id];
    nd->count++;
    if (has_t) seen(&nd->first, &nd->last, &nd->has_time, t);
    return 0;
}

int32_t st_map_graph_find_edge(const st_map_graph *g, int32_t u, int32_t v)
{
    if (!g) return -1;
    if (!g->directed && u > v) {
        int32_t x = u;
        u = v;
        v = x;
    }
    size_t mask = g->etab_cap - 1;
    for (size_t i = pair_hash(u, v) & mask;; i = (i + 1) & mask) {
        int32_t k = g->etab[i];
        if (!k) return -1;
        if (g->edge[k - 1].u == u && g->edge[k - 1].v == v) return k - 1;
    }
}

int st_map_graph_edge(st_map_graph *g, int32_t u, int32_t v, double w, int64_t t, int has_t)
{
    if (!g || u < 0 || v < 0 || (size_t)u >= g->nn || (size_t)v >= g->nn) return -EINVAL;
    if (!g->directed && u > v) {
        int32_t x = u;
        u = v;
        v = x;
    }
    size_t mask = g->etab_cap - 1, i;
    for (i = pair_hash(u, v) & mask; g->etab[i]; i = (i + 1) & mask) {
        st_map_edge *e = &g->edge[g->etab[i] - 1];
        if (e->u == u && e->v == v) {
            e->weight += w;
            if (has_t) seen(&e->first, &e->last, &e->has_time, t);
            return 0;
        }
    }
    if (g->ne >= INT32_MAX - 1) return -ENOMEM;
    if (g->ne == g->ecap) {
        size_t nc = g->ecap ? 2 * g->ecap : 1024;
        st_map_edge *ne = realloc(g->edge, nc * sizeof(*ne));
        if (!ne) return -ENOMEM;
        g->edge = ne;
        g->ecap = nc;
    }
    st_map_edge *e = &g->edge[g->ne];
    memset(e, 0, sizeof(*e));
    e->u = u;
    e->v = v;
    e->weight = w;
    if (has_t) seen(&e->first, &e->last, &e->has_time, t);
    g->etab[i] = (int32_t)++g->ne;
    if (2 * g->ne > g->etab_cap && rehash_edges(g, 2 * g->etab_cap)) return -ENOMEM;
    return 0;
}

/* ---- posts to networks -------------------------------------------------- */

/* Add the values of one list as distinct nodes of one kind into ids[] (at
 * most ST_MAP_LIST_MAX). URLs and domains are derived from the URL list. */
static int same_fold(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (fold_ch(a[i], 1) != fold_ch(b[i], 1)) return 0;
    return 1;
}

static int collect(st_map_graph *g, const st_map_post_rec *r, int list, st_map_kind kind,
                   const st_map_actors *actors, const char *exclude, size_t exlen, int32_t *ids,
                   int *n)
{
    for (int i = 0; i < r->n[list]; i++) {
        const st_map_str *v = &r->l[list][i];
        const char *s = v->s;
        size_t len = v->len;
        char dom[256];
        const char *actor = NULL;
        if (kind == ST_MAP_KIND_HASHTAG && len && s[0] == '#') s++, len--;
        if (kind == ST_MAP_KIND_USER && len && s[0] == '@') s++, len--;
        if (kind == ST_MAP_KIND_DOMAIN || kind == ST_MAP_KIND_ACTOR) {
            int dl = st_map_actors_domain(s, len, dom, sizeof(dom));
            if (dl < 0) continue;
            s = dom;
            len = (size_t)dl;
            actor = st_map_actors_lookup(actors, dom, len);
            if (kind == ST_MAP_KIND_ACTOR) {
                if (!actor) continue;
                s = actor;
                len = strlen(actor);
            }
        }
        if (len == 0 || (exclude && same_fold(s, len, exclude, exlen))) continue;
        int32_t id;
        int rc = st_map_graph_node(g, s, len, kind, &id);
        if (rc) return rc;
        if (kind == ST_MAP_KIND_DOMAIN && actor && !g->node[id].actor) {
            g->node[id].actor = arena_copy(g, actor, strlen(actor), 0);
            if (!g->node[id].actor) return -ENOMEM;
        }
        int dup = 0;
        for (int j = 0; j < *n; j++) dup |= ids[j] == id;
        if (!dup) ids[(*n)++] = id;
    }
    return 0;
}

static int hits_and_pairs(st_map_graph *g, const st_map_post_rec *r, const int32_t *ids, int n)
{
    int rc;
    for (int i = 0; i < n; i++)
        if ((rc = st_map_graph_hit(g, ids[i], r->t, r->has_t))) return rc;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if ((rc = st_map_graph_edge(g, ids[i], ids[j], 1.0, r->t, r->has_t))) return rc;
    return n > 0;
}

int st_map_graph_add_post(st_map_graph *g, const st_map_post_rec *r, const st_map_actors *actors)
{
    if (!g || !r) return -EINVAL;
    int32_t ids[ST_MAP_LIST_MAX];
    int n = 0, rc = 0;
    const st_map_str *au = &r->s[ST_MAP_AUTHOR];
    switch (g->net) {
    case ST_MAP_NET_COHASHTAG:
        rc = collect(g, r, ST_MAP_HASHTAGS, ST_MAP_KIND_HASHTAG, actors, NULL, 0, ids, &n);
        if (!rc) rc = hits_and_pairs(g, r, ids, n);
        break;
    case ST_MAP_NET_CODOMAIN:
        rc = collect(g, r, ST_MAP_URLS, ST_MAP_KIND_DOMAIN, actors, NULL, 0, ids, &n);
        if (!rc) rc = hits_and_pairs(g, r, ids, n);
        break;
    case ST_MAP_NET_COURL:
        rc = collect(g, r, ST_MAP_URLS, ST_MAP_KIND_URL, actors, NULL, 0, ids, &n);
        if (!rc) rc = hits_and_pairs(g, r, ids, n);
        break;
    case ST_MAP_NET_ACTOR:
        if (!actors) return -EINVAL;
        rc = collect(g, r, ST_MAP_URLS, ST_MAP_KIND_ACTOR, actors, NULL, 0, ids, &n);
        if (!rc) rc = hits_and_pairs(g, r, ids, n);
        break;
    case ST_MAP_NET_MENTION:
    case ST_MAP_NET_USER_HASHTAG: {
        const char *as = au->s;
        size_t al = au->len;
        if (al && as[0] == '@') as++, al--;
        if (!r->has[ST_MAP_AUTHOR] || al == 0) return 0;
        int mention = g->net == ST_MAP_NET_MENTION;
        /* Targets first (self-mentions excluded), so that a post without
         * targets adds nothing. */
        int32_t aid = -1;
        if (mention) {
            rc = collect(g, r, ST_MAP_MENTIONS, ST_MAP_KIND_USER, actors, as, al, ids, &n);
        } else {
            rc = collect(g, r, ST_MAP_HASHTAGS, ST_MAP_KIND_HASHTAG, actors, NULL, 0, ids, &n);
        }
        if (rc) return rc;
        if (n == 0) return 0;
        if ((rc = st_map_graph_node(g, as, al, ST_MAP_KIND_USER, &aid))) return rc;
        if ((rc = st_map_graph_hit(g, aid, r->t, r->has_t))) return rc;
        for (int i = 0; i < n; i++) {
            if ((rc = st_map_graph_hit(g, ids[i], r->t, r->has_t))) return rc;
            if ((rc = st_map_graph_edge(g, aid, ids[i], 1.0, r->t, r->has_t))) return rc;
        }
        rc = 1;
        break;
    }
    default:
        return -EINVAL;
    }
    if (rc == 1) g->posts++;
    return rc;
}

/* ---- accessors ---------------------------------------------------------- */

size_t st_map_graph_nnodes(const st_map_graph *g)
{
    return g ? g->nn : 0;
}
size_t st_map_graph_nedges(const st_map_graph *g)
{
    return g ? g->ne : 0;
}
st_map_node *st_map_graph_nodes(st_map_graph *g)
{
    return g ? g->node : NULL;
}
const st_map_edge *st_map_graph_edges(const st_map_graph *g)
{
    return g ? g->edge : NULL;
}
int st_map_graph_directed(const st_map_graph *g)
{
    return g ? g->directed : 0;
}
st_map_net st_map_graph_net(const st_map_graph *g)
{
    return g ? g->net : ST_MAP_NET__COUNT;
}
int64_t st_map_graph_posts(const st_map_graph *g)
{
    return g ? g->posts : 0;
}

/* ---- filters ------------------------------------------------------------ */

typedef struct rank_item {
    int32_t id;
    double key;
    const char *name;
} rank_item;

static int rank_cmp(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return (x->id > y->id) - (x->id < y->id);
}

int st_map_graph_filter(st_map_graph *g, const st_map_filter *f)
{
    if (!g || !f) return -EINVAL;
    int rc = -ENOMEM;
    size_t nn = g->nn, ne = g->ne;
    unsigned char *keep_n = malloc(nn + 1), *keep_e = malloc(ne + 1);
    double *deg = calloc(nn + 1, sizeof(double));
    rank_item *items = malloc((nn + 1) * sizeof(*items));
    int32_t *map = malloc((nn + 1) * sizeof(*map));
    if (!keep_n || !keep_e || !deg || !items || !map) goto out;
    for (size_t e = 0; e < ne; e++) keep_e[e] = g->edge[e].weight >= f->min_weight;
    for (size_t i = 0; i < nn; i++) keep_n[i] = g->node[i].count >= f->min_count;
    if (f->top_n) {
        for (size_t e = 0; e < ne; e++) {
            const st_map_edge *ed = &g->edge[e];
            if (!keep_e[e] || !keep_n[ed->u] || !keep_n[ed->v]) continue;
            double w = f->rank == ST_MAP_RANK_WDEGREE ? ed->weight : 1.0;
            deg[ed->u] += w;
            if (ed->v != ed->u) deg[ed->v] += w;
        }
        size_t k = 0;
        for (size_t i = 0; i < nn; i++) {
            if (!keep_n[i]) continue;
            items[k].id = (int32_t)i;
            items[k].key = f->rank == ST_MAP_RANK_COUNT ? (double)g->node[i].count : deg[i];
            items[k].name = g->node[i].name;
            k++;
        }
        if (k > f->top_n) {
            qsort(items, k, sizeof(*items), rank_cmp);
            for (size_t j = f->top_n; j < k; j++) keep_n[items[j].id] = 0;
        }
    }
    /* The invariant: an edge stays only if both its ends stay. */
    for (size_t e = 0; e < ne; e++)
        if (keep_e[e] && (!keep_n[g->edge[e].u] || !keep_n[g->edge[e].v])) keep_e[e] = 0;
    if (f->drop_isolates) {
        memset(deg, 0, (nn + 1) * sizeof(double));
        for (size_t e = 0; e < ne; e++)
            if (keep_e[e]) deg[g->edge[e].u] = deg[g->edge[e].v] = 1;
        for (size_t i = 0; i < nn; i++)
            if (!deg[i]) keep_n[i] = 0;
    }
    /* Compact in place, keeping order. */
    size_t k = 0;
    for (size_t i = 0; i < nn; i++) {
        map[i] = keep_n[i] ? (int32_t)k : -1;
        if (keep_n[i]) {
            g->node[k] = g->node[i];
            g->nhash[k] = g->nhash[i];
            k++;
        }
    }
    g->nn = k;
    k = 0;
    for (size_t e = 0; e < ne; e++) {
        if (!keep_e[e]) continue;
        st_map_edge ed = g->edge[e];
        ed.u = map[ed.u];
        ed.v = map[ed.v];
        g->edge[k++] = ed;
    }
    g->ne = k;
    if ((rc = rehash_nodes(g, g->ntab_cap))) goto out;
    rc = rehash_edges(g, g->etab_cap);
out:
    free(keep_n);
    free(keep_e);
    free(deg);
    free(items);
    free(map);
    return rc;
}
