/* Online signals: zone-name and aggressive-term matching, per-minute counts, SenML packs. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/map_timeline.h"
#include "stratum/obs.h"
#include "stratum/senml_writer.h"

#define MINUTE 60
/* One pack: two records with base name and time, well under 256 bytes. */
#define PACK_BYTES 512

typedef struct zone {
    char id[ST_ID_MAX];
    char **names;
    size_t nnames;
} zone;

struct st_map_signals {
    zone *zones;
    size_t nzones;
    char **terms;
    size_t nterms;
    int64_t window;
    st_map_timeline *tl; /* series "<zone>" and "<zone>!" (aggressive), 60 s bins */
    int has_any;
    int64_t first_min, last_min, next_emit; /* minute numbers (t / 60) */
    st_map_signals_stats st;
    char pack[PACK_BYTES];
};

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void st_map_signals_free(st_map_signals *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nzones; i++) free_list(s->zones[i].names, s->zones[i].nnames);
    free(s->zones);
    free_list(s->terms, s->nterms);
    st_map_timeline_free(s->tl);
    free(s);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int push_str(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv) return -ENOMEM;
    *v = nv;
    if (!(nv[*n] = strdup(s))) return -ENOMEM;
    (*n)++;
    return 0;
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= ST_ID_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int load_zones(st_map_signals *s, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    long no = 0;
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        no++;
        char *l = trim(line);
        if (!*l || *l == '#') continue;
        char *tab = strchr(l, '\t');
        if (!tab) {
            snprintf(err, cap, "%s:%ld: expected \"zone<TAB>name;name;...\"", path, no);
            goto fail;
        }
        *tab = '\0';
        char *id = trim(l);
        if (!valid_id(id)) {
            snprintf(err, cap, "%s:%ld: zone id \"%.40s\" is not [A-Za-z0-9_-]{1,31}", path, no,
                     id);
            goto fail;
        }
        zone *z = NULL;
        for (size_t i = 0; i < s->nzones; i++)
            if (!strcmp(s->zones[i].id, id)) z = &s->zones[i];
        if (!z) {
            zone *nz = realloc(s->zones, (s->nzones + 1) * sizeof(*nz));
            if (!nz) goto oom;
            s->zones = nz;
            z = &s->zones[s->nzones++];
            memset(z, 0, sizeof(*z));
            memcpy(z->id, id, strlen(id) + 1);
        }
        for (char *tok = strtok(tab + 1, ";"); tok; tok = strtok(NULL, ";")) {
            char *name = trim(tok);
            if (*name && push_str(&z->names, &z->nnames, name)) goto oom;
        }
        if (!z->nnames) {
            snprintf(err, cap, "%s:%ld: zone %s has no names", path, no, z->id);
            goto fail;
        }
    }
    fclose(f);
    if (!s->nzones) {
        snprintf(err, cap, "%s: no zones", path);
        return -1;
    }
    return 0;
oom:
    snprintf(err, cap, "%s: out of memory", path);
fail:
    fclose(f);
    return -1;
}

static int load_terms(st_map_signals *s, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *l = trim(line);
        if (!*l || *l == '#') continue;
        if (push_str(&s->terms, &s->nterms, l)) {
            snprintf(err, cap, "%s: out of memory", path);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

st_map_signals *st_map_signals_new(const char *zones_path, const char *terms_path,
                                   int64_t window_min, char *err, size_t cap)
{
    st_map_signals *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    s->window = window_min;
    s->tl = st_map_timeline_new(MINUTE);
    if (!s->tl) {
        snprintf(err, cap, "out of memory");
        goto fail;
    }
    if (load_zones(s, zones_path, err, cap)) goto fail;
    if (terms_path && load_terms(s, terms_path, err, cap)) goto fail;
    s->st.zones = s->nzones;
    s->st.terms = s->nterms;
    return s;
fail:
    st_map_signals_free(s);
    return NULL;
}

static inline int word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

static inline unsigned char low(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* Whole-word, ASCII-case-insensitive occurrence of w in [h, h + n). */
static int has_word(const char *h, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (!k || k > n) return 0;
    unsigned char w0 = low((unsigned char)w[0]);
    for (size_t i = 0; i + k <= n; i++) {
        if (low((unsigned char)h[i]) != w0) continue;
        size_t j = 1;
        while (j < k && low((unsigned char)h[i + j]) == low((unsigned char)w[j])) j++;
        if (j < k) continue;
        if (i > 0 && word_byte((unsigned char)h[i - 1]) && word_byte((unsigned char)w[0])) continue;
        if (i + k < n && word_byte((unsigned char)h[i + k]) && word_byte((unsigned char)w[k - 1]))
            continue;
        return 1;
    }
    return 0;
}

static int emit_minute(st_map_signals *s, int64_t m, st_map_signals_emit emit, void *ctx)
{
    for (size_t z = 0; z < s->nzones; z++) {
        const char *id = s->zones[z].id;
        char aggr[ST_ID_MAX + 2];
        snprintf(aggr, sizeof(aggr), "%s!", id);
        int64_t n = st_map_timeline_get(s->tl, id, strlen(id), m * MINUTE);
        int64_t a = st_map_timeline_get(s->tl, aggr, strlen(aggr), m * MINUTE);
        st_senml_writer w;
        st_senml_writer_init(&w, s->pack, sizeof(s->pack), id, ST_MAP_SIG_DEVICE,
                             (double)(m * MINUTE));
        int rc = st_senml_writer_add(&w, ST_MAP_SIG_POSTS, ST_MAP_SIG_POSTS_UNIT, (double)n, 0);
        if (!rc && n > 0)
            rc = st_senml_writer_add(&w, ST_MAP_SIG_SHARE, ST_MAP_SIG_SHARE_UNIT,
                                     (double)a / (double)n, 0);
        int len = rc ? rc : st_senml_writer_finish(&w);
        if (len < 0) return len;
        s->st.packs++;
        if ((rc = emit(ctx, s->pack, (size_t)len))) return rc;
    }
    return 0;
}

/* Emit minutes [next_emit, upto). */
static int emit_upto(st_map_signals *s, int64_t upto, st_map_signals_emit emit, void *ctx)
{
    for (; s->next_emit < upto; s->next_emit++) {
        int rc = emit_minute(s, s->next_emit, emit, ctx);
        if (rc) return rc;
    }
    return 0;
}

int st_map_signals_push(st_map_signals *s, const st_map_post_rec *r, st_map_signals_emit emit,
                        void *ctx)
{
    if (!s || !r || !emit) return -EINVAL;
    s->st.posts++;
    if (!r->has_t) {
        s->st.no_time++;
        return 0;
    }
    int64_t m = r->t / MINUTE - (r->t % MINUTE < 0);
    if (s->window >= 0 && s->has_any && m < s->next_emit) {
        s->st.late++;
        return 0;
    }
    const st_map_str *tx = &r->s[ST_MAP_TEXT];
    int aggressive = -1; /* computed once, on the first zone that matches */
    for (size_t z = 0; z < s->nzones; z++) {
        const zone *zn = &s->zones[z];
        int hit = 0;
        for (size_t k = 0; k < zn->nnames && !hit && tx->s; k++)
            hit = has_word(tx->s, tx->len, zn->names[k]);
        if (!hit) continue;
        if (aggressive < 0) {
            aggressive = 0;
            for (size_t k = 0; k < s->nterms && !aggressive && tx->s; k++)
                aggressive = has_word(tx->s, tx->len, s->terms[k]);
            s->st.matched++;
            s->st.aggressive += aggressive;
        }
        int rc = st_map_timeline_add(s->tl, zn->id, strlen(zn->id), r->t);
        if (!rc && aggressive) {
            char aggr[ST_ID_MAX + 2];
            snprintf(aggr, sizeof(aggr), "%s!", zn->id);
            rc = st_map_timeline_add(s->tl, aggr, strlen(aggr), r->t);
        }
        if (rc) return rc;
    }
    if (!s->has_any) {
        s->has_any = 1;
        s->first_min = s->last_min = s->next_emit = m;
    }
    if (m < s->first_min) s->first_min = m;
    if (m > s->last_min) s->last_min = m;
    if (s->window >= 0) return emit_upto(s, s->last_min - s->window, emit, ctx);
    return 0;
}

int st_map_signals_finish(st_map_signals *s, st_map_signals_emit emit, void *ctx)
{
    if (!s || !emit) return -EINVAL;
    if (!s->has_any) return 0;
    if (s->window < 0) s->next_emit = s->first_min;
    return emit_upto(s, s->last_min + 1, emit, ctx);
}

void st_map_signals_get_stats(const st_map_signals *s, st_map_signals_stats *out)
{
    if (s && out) *out = s->st;
}
