/* Dictionary coding: per-type pattern tables and longest-match counting (narrate_code.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_code.h"

struct st_coder {
    const st_dict *d;
    st_vocab *v;
    /* Patterns each type matches: pool[t_off[t] .. t_off[t] + t_n[t]). */
    uint32_t *t_off;
    uint16_t *t_n;
    size_t t_cap, t_done;
    uint32_t *pool;
    size_t pool_len, pool_cap;
    /* Entries whose first word is pattern p: starts[s_off[p] .. s_off[p+1]). */
    uint32_t *s_off;
    uint32_t *starts;
    /* Per category scratch for one position. */
    size_t *blocked;
    long *best;
    size_t *touched;
    uint32_t *glob_ids; /* patterns with wildcards */
    size_t nglob;
};

void st_coder_free(st_coder *c)
{
    if (!c) return;
    free(c->t_off);
    free(c->t_n);
    free(c->pool);
    free(c->s_off);
    free(c->starts);
    free(c->blocked);
    free(c->best);
    free(c->touched);
    free(c->glob_ids);
    free(c);
}

st_coder *st_coder_new(const st_dict *d, st_vocab *v)
{
    st_coder *c = calloc(1, sizeof(*c));
    if (!c) goto fail;
    c->d = d;
    c->v = v;
    size_t np = st_dict_npatterns(d), ne = st_dict_nentries(d), nc = st_dict_ncat(d);
    c->s_off = calloc(np + 1, sizeof(uint32_t));
    c->starts = calloc(ne ? ne : 1, sizeof(uint32_t));
    c->blocked = calloc(nc, sizeof(size_t));
    c->best = malloc(nc * sizeof(long));
    c->touched = malloc(nc * sizeof(size_t));
    c->glob_ids = malloc((np ? np : 1) * sizeof(uint32_t));
    c->t_cap = 1 << 14;
    c->t_off = malloc(c->t_cap * sizeof(uint32_t));
    c->t_n = malloc(c->t_cap * sizeof(uint16_t));
    c->pool_cap = 1024;
    c->pool = malloc(c->pool_cap * sizeof(uint32_t));
    if (!c->s_off || !c->starts || !c->blocked || !c->best || !c->touched || !c->glob_ids ||
        !c->t_off || !c->t_n || !c->pool)
        goto fail;
    for (size_t e = 0; e < ne; e++) c->s_off[st_dict_entry_at(d, e)->words[0] + 1]++;
    for (size_t p = 0; p < np; p++) c->s_off[p + 1] += c->s_off[p];
    uint32_t *fill = calloc(np + 1, sizeof(uint32_t));
    if (!fill) goto fail;
    for (size_t e = 0; e < ne; e++) {
        uint32_t p = st_dict_entry_at(d, e)->words[0];
        c->starts[c->s_off[p] + fill[p]++] = (uint32_t)e;
    }
    free(fill);
    for (size_t p = 0; p < np; p++) {
        int g;
        st_dict_pattern(d, p, &g);
        if (g) c->glob_ids[c->nglob++] = (uint32_t)p;
    }
    for (size_t k = 0; k < nc; k++) c->best[k] = -1;
    return c;
fail:
    st_coder_free(c);
    errno = ENOMEM;
    return NULL;
}

/* Compute the pattern lists of types t_done .. upto. */
static int describe_types(st_coder *c, size_t upto)
{
    if (upto >= c->t_cap) {
        size_t nc = c->t_cap;
        while (nc <= upto) nc *= 2;
        uint32_t *o = realloc(c->t_off, nc * sizeof(uint32_t));
        if (!o) return -ENOMEM;
        c->t_off = o;
        uint16_t *n = realloc(c->t_n, nc * sizeof(uint16_t));
        if (!n) return -ENOMEM;
        c->t_n = n;
        c->t_cap = nc;
    }
    for (size_t t = c->t_done; t <= upto; t++) {
        size_t len;
        const char *s = st_vocab_str(c->v, t, &len);
        c->t_off[t] = (uint32_t)c->pool_len;
        c->t_n[t] = 0;
        long exact = st_dict_pattern_find(c->d, s, len);
        size_t cand = c->nglob + 1;
        if (c->pool_len + cand > c->pool_cap) {
            size_t nc = c->pool_cap * 2 + cand;
            uint32_t *p = realloc(c->pool, nc * sizeof(uint32_t));
            if (!p) return -ENOMEM;
            c->pool = p;
            c->pool_cap = nc;
        }
        if (exact >= 0) c->pool[c->pool_len++] = (uint32_t)exact;
        for (size_t g = 0; g < c->nglob; g++)
            if (st_dict_glob(st_dict_pattern(c->d, c->glob_ids[g], NULL), s, len))
                c->pool[c->pool_len++] = c->glob_ids[g];
        c->t_n[t] = (uint16_t)(c->pool_len - c->t_off[t]);
    }
    c->t_done = upto + 1;
    return 0;
}

static int type_has(const st_coder *c, uint32_t t, uint32_t p)
{
    const uint32_t *q = c->pool + c->t_off[t];
    for (uint16_t k = 0; k < c->t_n[t]; k++)
        if (q[k] == p) return 1;
    return 0;
}

long st_coder_doc(st_coder *c, const st_token *toks, size_t n, const char *norm, uint32_t *types,
                  long *cat_counts, long *entry_counts, st_coder_hit_fn hit, void *arg)
{
    long words = 0;
    size_t maxt = 0;
    for (size_t i = 0; i < n; i++) {
        const st_token *t = &toks[i];
        long id = st_vocab_intern(c->v, norm + t->norm_off, t->norm_len, t->hash);
        if (id < 0) return id;
        types[i] = (uint32_t)id;
        st_vocab_add(c->v, (size_t)id, 1);
        words += st_tok_is_word(t);
        if ((size_t)id > maxt) maxt = (size_t)id;
    }
    if (n && maxt >= c->t_done) {
        int rc = describe_types(c, maxt);
        if (rc < 0) return rc;
    }
    size_t nc = st_dict_ncat(c->d);
    memset(c->blocked, 0, nc * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        uint32_t t = types[i];
        if (!c->t_n[t]) continue;
        size_t ntouched = 0;
        const uint32_t *pl = c->pool + c->t_off[t];
        for (uint16_t q = 0; q < c->t_n[t]; q++) {
            uint32_t p = pl[q];
            for (uint32_t s = c->s_off[p]; s < c->s_off[p + 1]; s++) {
                const st_dict_entry *e = st_dict_entry_at(c->d, c->starts[s]);
                if (c->blocked[e->cat] > i) continue;
                int ok = i + e->nwords <= n;
                for (size_t k = 1; ok && k < e->nwords; k++)
                    ok = !(toks[i + k].flags & ST_TOK_SENT) &&
                         type_has(c, types[i + k], e->words[k]);
                if (!ok) continue;
                long b = c->best[e->cat];
                if (b < 0) {
                    c->touched[ntouched++] = e->cat;
                    c->best[e->cat] = (long)c->starts[s];
                } else {
                    const st_dict_entry *be = st_dict_entry_at(c->d, (size_t)b);
                    if (e->nwords > be->nwords ||
                        (e->nwords == be->nwords && e->exclude && !be->exclude))
                        c->best[e->cat] = (long)c->starts[s];
                }
            }
        }
        for (size_t k = 0; k < ntouched; k++) {
            size_t cat = c->touched[k];
            size_t ei = (size_t)c->best[cat];
            const st_dict_entry *e = st_dict_entry_at(c->d, ei);
            c->best[cat] = -1;
            c->blocked[cat] = i + e->nwords;
            if (e->exclude) continue;
            if (cat_counts) cat_counts[cat]++;
            if (entry_counts) entry_counts[ei]++;
            if (hit) hit(arg, i, e->nwords, ei);
        }
    }
    return words;
}

int st_doc_tokenise(const char *text, size_t len, st_doc_tokens *dt)
{
    memset(dt, 0, sizeof(*dt));
    dt->toks = malloc((len + 1) * sizeof(st_token));
    dt->norm = malloc(len + 1);
    dt->types = malloc((len + 1) * sizeof(uint32_t));
    if (!dt->toks || !dt->norm || !dt->types) {
        st_doc_tokens_free(dt);
        return -ENOMEM;
    }
    st_tok_state st;
    st_tok_init(&st);
    dt->n = st_tok_scan(text, len, &st, dt->toks, len + 1, dt->norm);
    return 0;
}

void st_doc_tokens_free(st_doc_tokens *dt)
{
    if (!dt) return;
    free(dt->toks);
    free(dt->norm);
    free(dt->types);
    memset(dt, 0, sizeof(*dt));
}

void st_code_result_free(st_code_result *r)
{
    if (!r) return;
    free(r->words);
    free(r->counts);
    free(r->entry_counts);
    memset(r, 0, sizeof(*r));
}

int st_code_corpus(const st_corpus *c, const st_dict *d, st_vocab *v, st_code_result *out)
{
    memset(out, 0, sizeof(*out));
    size_t nd = st_corpus_size(c), nc = st_dict_ncat(d), ne = st_dict_nentries(d);
    out->ndoc = nd;
    out->ncat = nc;
    out->nentries = ne;
    out->words = calloc(nd, sizeof(long));
    out->counts = calloc(nd * nc, sizeof(long));
    out->entry_counts = calloc(nd * ne, sizeof(long));
    st_coder *cd = st_coder_new(d, v);
    int rc = -ENOMEM;
    if (!out->words || !out->counts || !out->entry_counts || !cd) goto fail;
    for (size_t i = 0; i < nd; i++) {
        const st_corpus_doc *doc = st_corpus_doc_at(c, i);
        st_doc_tokens dt;
        if ((rc = st_doc_tokenise(doc->text, doc->len, &dt)) < 0) goto fail;
        long w = st_coder_doc(cd, dt.toks, dt.n, dt.norm, dt.types, out->counts + i * nc,
                              out->entry_counts + i * ne, NULL, NULL);
        st_doc_tokens_free(&dt);
        if (w < 0) {
            rc = (int)w;
            goto fail;
        }
        out->words[i] = w;
    }
    st_coder_free(cd);
    return 0;
fail:
    st_coder_free(cd);
    st_code_result_free(out);
    return rc;
}

double st_code_rate(long count, long words)
{
    return words > 0 ? 10000.0 * (double)count / (double)words : 0.0;
}
