/* Actor-type table: domain suffix lookup over a hand-made tagged URL list. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_actors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *domain;
    char *type;
    size_t dlen;
} entry;

struct st_map_actors {
    entry *e;
    size_t n, cap;
};

void st_map_actors_free(st_map_actors *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->e[i].domain);
        free(a->e[i].type);
    }
    free(a->e);
    free(a);
}

size_t st_map_actors_count(const st_map_actors *a)
{
    return a ? a->n : 0;
}

int st_map_actors_domain(const char *url, size_t n, char *out, size_t cap)
{
    const char *s = url, *end = url + n;
    /* RFC 3986 section 3: scheme "://" authority; bare "host/path" is
     * accepted too, as hand-made lists often omit the scheme. */
    for (const char *q = s; q + 2 < end; q++) {
        if (*q == ':' && q[1] == '/' && q[2] == '/') {
            s = q + 3;
            break;
        }
        if (*q == '/' || *q == '?' || *q == '#') break;
    }
    const char *h = s;
    while (h < end && *h != '/' && *h != '?' && *h != '#') h++;
    /* Drop user info and port. */
    const char *at = memchr(s, '@', (size_t)(h - s));
    if (at) s = at + 1;
    const char *colon = memchr(s, ':', (size_t)(h - s));
    if (colon) h = colon;
    if (h - s >= 4 && (s[0] | 0x20) == 'w' && (s[1] | 0x20) == 'w' && (s[2] | 0x20) == 'w' &&
        s[3] == '.')
        s += 4;
    size_t len = (size_t)(h - s);
    while (len && s[len - 1] == '.') len--; /* "example.org." is example.org */
    if (len == 0 || len + 1 > cap) return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if ((unsigned char)ch <= ' ' || ch == '"' || ch == '<' || ch == '>' || ch == '\\')
            return -EINVAL;
        out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch | 0x20) : ch;
    }
    out[len] = '\0';
    return (int)len;
}

const char *st_map_actors_lookup(const st_map_actors *a, const char *domain, size_t n)
{
    if (!a) return NULL;
    const entry *best = NULL;
    for (size_t i = 0; i < a->n; i++) {
        const entry *e = &a->e[i];
        if (e->dlen > n || memcmp(domain + n - e->dlen, e->domain, e->dlen)) continue;
        if (e->dlen < n && domain[n - e->dlen - 1] != '.') continue; /* whole labels only */
        if (!best || e->dlen > best->dlen) best = e;
    }
    return best ? best->type : NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

st_map_actors *st_map_actors_load(const char *path, char *err, size_t cap)
{
    FILE *f = NULL;
    char line[4096];
    long lineno = 0;
    st_map_actors *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, cap, "%s: out of memory", path);
        return NULL;
    }
    f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        goto fail;
    }
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, cap, "%s:%ld: line longer than %zu bytes", path, lineno,
                     sizeof(line) - 2);
            goto fail;
        }
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *tab = strchr(s, '\t');
        if (!tab) {
            snprintf(err, cap, "%s:%ld: expected \"URL<TAB>actor type\"", path, lineno);
            goto fail;
        }
        *tab = '\0';
        char *url = trim(s), *type = trim(tab + 1);
        char dom[256];
        int dl = st_map_actors_domain(url, strlen(url), dom, sizeof(dom));
        if (dl < 0) {
            snprintf(err, cap, "%s:%ld: no host in \"%.200s\"", path, lineno, url);
            goto fail;
        }
        if (!*type || strchr(type, '\t')) {
            snprintf(err, cap, "%s:%ld: empty or malformed actor type", path, lineno);
            goto fail;
        }
        if (a->n == a->cap) {
            size_t nc = a->cap ? 2 * a->cap : 64;
            entry *ne = realloc(a->e, nc * sizeof(*ne));
            if (!ne) {
                snprintf(err, cap, "%s: out of memory", path);
                goto fail;
            }
            a->e = ne;
            a->cap = nc;
        }
        entry *e = &a->e[a->n];
        e->domain = strdup(dom);
        e->type = strdup(type);
        e->dlen = (size_t)dl;
        if (!e->domain || !e->type) {
            free(e->domain);
            free(e->type);
            snprintf(err, cap, "%s: out of memory", path);
            goto fail;
        }
        a->n++;
    }
    if (ferror(f)) {
        snprintf(err, cap, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    return a;
fail:
    if (f) fclose(f);
    st_map_actors_free(a);
    return NULL;
}
