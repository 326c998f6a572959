/* QNA data set from reviewed triplets: counts and actor network (narrate_qna.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_output.h"
#include "stratum/narrate_qna.h"
#include "stratum/narrate_vocab.h"

typedef struct counts {
    long *a, *b;
    size_t cap;
} counts;

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int bump(counts *c, size_t id, int which)
{
    if (id >= c->cap) {
        size_t n = c->cap ? c->cap * 2 : 256;
        while (n <= id) n *= 2;
        long *a = realloc(c->a, n * sizeof(long));
        if (!a) return -ENOMEM;
        c->a = a;
        long *b = realloc(c->b, n * sizeof(long));
        if (!b) return -ENOMEM;
        c->b = b;
        memset(c->a + c->cap, 0, (n - c->cap) * sizeof(long));
        memset(c->b + c->cap, 0, (n - c->cap) * sizeof(long));
        c->cap = n;
    }
    if (which == 0)
        c->a[id]++;
    else
        c->b[id]++;
    return 0;
}

/* Case-fold ASCII, collapse spaces, trim; returns the length. */
static size_t norm(const char *s, size_t n, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < n && w + 1 < cap; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t') {
            if (w && out[w - 1] != ' ') out[w++] = ' ';
            continue;
        }
        out[w++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    while (w && out[w - 1] == ' ') w--;
    out[w] = '\0';
    return w;
}

static long intern(st_vocab *v, const char *s, size_t n)
{
    if (n > ST_VOCAB_MAX_LEN) n = ST_VOCAB_MAX_LEN;
    return st_vocab_intern(v, s, n, st_vocab_hash(s, n));
}

typedef struct ord {
    size_t id;
    long key;
    const char *name;
} ord;

static int cmp_ord(const void *pa, const void *pb)
{
    const ord *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? 1 : -1;
    return strcmp(a->name, b->name);
}

static ord *order(const st_vocab *v, const long *x, const long *y)
{
    size_t n = st_vocab_size(v);
    ord *o = malloc((n ? n : 1) * sizeof(ord));
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        o[i].id = i;
        o[i].key = x[i] + (y ? y[i] : 0);
        o[i].name = st_vocab_str(v, i, NULL);
    }
    qsort(o, n, sizeof(ord), cmp_ord);
    return o;
}

static void csv(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void xml(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20) fputc(*s, f);
        }
    }
}

int st_qna_build(const char *tsv, const char *outdir, st_qna_stats *stats, char *err, size_t errlen)
{
    memset(stats, 0, sizeof(*stats));
    int rc = -ENOMEM;
    st_vocab *actors = st_vocab_new(256), *actions = st_vocab_new(256), *edges = st_vocab_new(256);
    counts ac = {0}, vc = {0}, ec = {0};
    ord *oa = NULL, *ov = NULL, *oe = NULL;
    char *line = NULL;
    size_t lcap = 0;
    st_nout *out = NULL;
    FILE *in = fopen(tsv, "r");
    if (!in) {
        rc = -errno;
        seterr(err, errlen, "%s: cannot open: %s", tsv, strerror(errno));
        goto done;
    }
    if (!actors || !actions || !edges) goto done;
    int col_s = -1, col_a = -1, col_o = -1, col_st = -1, ncol = 0;
    long lineno = 0;
    ssize_t got;
    while ((got = getline(&line, &lcap, in)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0 || line[0] == '#') continue;
        char *f[64];
        int nf = 0;
        char *p = line;
        for (;;) {
            if (nf == 64) break;
            f[nf++] = p;
            char *t = strchr(p, '\t');
            if (!t) break;
            *t = '\0';
            p = t + 1;
        }
        if (col_st < 0 && ncol == 0) {
            for (int k = 0; k < nf; k++) {
                if (!strcmp(f[k], "subject")) col_s = k;
                if (!strcmp(f[k], "action")) col_a = k;
                if (!strcmp(f[k], "object")) col_o = k;
                if (!strcmp(f[k], "status")) col_st = k;
            }
            if (col_s < 0 || col_a < 0 || col_o < 0 || col_st < 0) {
                seterr(err, errlen, "%s:%ld: header must name subject, action, object and status",
                       tsv, lineno);
                rc = -EINVAL;
                goto done;
            }
            ncol = nf;
            continue;
        }
        if (nf != ncol) {
            seterr(err, errlen, "%s:%ld: expected %d tab-separated fields, found %d", tsv, lineno,
                   ncol, nf);
            rc = -EINVAL;
            goto done;
        }
        stats->rows++;
        const char *st = f[col_st];
        if (!strcmp(st, "rejected")) {
            stats->rejected++;
            continue;
        }
        if (!strcmp(st, "proposed")) {
            stats->proposed++;
            continue;
        }
        if (strcmp(st, "accepted") && strcmp(st, "edited")) {
            seterr(err, errlen, "%s:%ld: status '%s' is not proposed, accepted, edited or rejected",
                   tsv, lineno, st);
            rc = -EINVAL;
            goto done;
        }
        stats->accepted++;
        char s[512], a[512], o[512];
        size_t ls = norm(f[col_s], strlen(f[col_s]), s, sizeof(s));
        size_t la = norm(f[col_a], strlen(f[col_a]), a, sizeof(a));
        size_t lo = norm(f[col_o], strlen(f[col_o]), o, sizeof(o));
        long is = -1, io = -1;
        if (ls && ((is = intern(actors, s, ls)) < 0 || bump(&ac, (size_t)is, 0) < 0)) goto done;
        if (lo && ((io = intern(actors, o, lo)) < 0 || bump(&ac, (size_t)io, 1) < 0)) goto done;
        if (la) {
            long iv = intern(actions, a, la);
            if (iv < 0 || bump(&vc, (size_t)iv, 0) < 0) goto done;
        }
        if (is >= 0 && io >= 0) {
            char key[1600];
            int kl = snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", s, o, a);
            long ie = intern(edges, key, (size_t)kl);
            if (ie < 0 || bump(&ec, (size_t)ie, 0) < 0) goto done;
        }
    }
    /* Make sure every table has room for every id. */
    if (bump(&ac, st_vocab_size(actors), 0) < 0 || bump(&vc, st_vocab_size(actions), 0) < 0 ||
        bump(&ec, st_vocab_size(edges), 0) < 0)
        goto done;
    stats->actors = (long)st_vocab_size(actors);
    stats->actions = (long)st_vocab_size(actions);
    stats->edges = (long)st_vocab_size(edges);
    oa = order(actors, ac.a, ac.b);
    ov = order(actions, vc.a, NULL);
    oe = order(edges, ec.a, NULL);
    if (!oa || !ov || !oe) goto done;
    char path[4096], opts[4200];
    snprintf(opts, sizeof(opts), "build %s (%ld rows, %ld accepted or edited)", tsv, stats->rows,
             stats->accepted);
    /* actors.tsv */
    snprintf(path, sizeof(path), "%s/actors.tsv", outdir);
    if (!(out = st_nout_open(path, err, errlen))) {
        rc = -errno;
        goto done;
    }
    FILE *f = st_nout_file(out);
    st_nout_provenance(f, "build", NULL, NULL, 0, 0, NULL, opts);
    fprintf(f, "actor\tas_subject\tas_object\ttotal\n");
    for (size_t i = 0; i < (size_t)stats->actors; i++)
        fprintf(f, "%s\t%ld\t%ld\t%ld\n", oa[i].name, ac.a[oa[i].id], ac.b[oa[i].id], oa[i].key);
    rc = st_nout_commit(out, err, errlen);
    out = NULL;
    if (rc < 0) goto done;
    /* actions.tsv */
    snprintf(path, sizeof(path), "%s/actions.tsv", outdir);
    if (!(out = st_nout_open(path, err, errlen))) {
        rc = -errno;
        goto done;
    }
    f = st_nout_file(out);
    st_nout_provenance(f, "build", NULL, NULL, 0, 0, NULL, opts);
    fprintf(f, "action\tcount\n");
    for (size_t i = 0; i < (size_t)stats->actions; i++)
        fprintf(f, "%s\t%ld\n", ov[i].name, ov[i].key);
    rc = st_nout_commit(out, err, errlen);
    out = NULL;
    if (rc < 0) goto done;
    /* nodes.csv: ids are ranks in actors.tsv order */
    long *rank = calloc((size_t)stats->actors + 1, sizeof(long));
    if (!rank) {
        rc = -ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < (size_t)stats->actors; i++) rank[oa[i].id] = (long)i;
    snprintf(path, sizeof(path), "%s/nodes.csv", outdir);
    if (!(out = st_nout_open(path, err, errlen))) {
        rc = -errno;
        free(rank);
        goto done;
    }
    f = st_nout_file(out);
    fprintf(f, "id,label,as_subject,as_object\r\n");
    for (size_t i = 0; i < (size_t)stats->actors; i++) {
        fprintf(f, "n%zu,", i);
        csv(f, oa[i].name);
        fprintf(f, ",%ld,%ld\r\n", ac.a[oa[i].id], ac.b[oa[i].id]);
    }
    rc = st_nout_commit(out, err, errlen);
    out = NULL;
    if (rc < 0) {
        free(rank);
        goto done;
    }
    /* edges.csv and network.gexf */
    for (int pass = 0; pass < 2; pass++) {
        snprintf(path, sizeof(path), "%s/%s", outdir, pass ? "network.gexf" : "edges.csv");
        if (!(out = st_nout_open(path, err, errlen))) {
            rc = -errno;
            free(rank);
            goto done;
        }
        f = st_nout_file(out);
        if (pass == 0) {
            fprintf(f, "source,target,action,weight\r\n");
        } else {
            fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
                       "  <meta>\n    <creator>stratum narrate build</creator>\n"
                       "    <description>");
            xml(f, opts);
            fprintf(f, "</description>\n  </meta>\n"
                       "  <graph defaultedgetype=\"directed\" mode=\"static\">\n"
                       "    <attributes class=\"edge\">\n"
                       "      <attribute id=\"0\" title=\"action\" type=\"string\"/>\n"
                       "    </attributes>\n    <nodes>\n");
            for (size_t i = 0; i < (size_t)stats->actors; i++) {
                fprintf(f, "      <node id=\"n%zu\" label=\"", i);
                xml(f, oa[i].name);
                fprintf(f, "\"/>\n");
            }
            fprintf(f, "    </nodes>\n    <edges>\n");
        }
        for (size_t i = 0; i < (size_t)stats->edges; i++) {
            const char *k = oe[i].name;
            const char *s1 = strchr(k, '\x1f'), *s2 = s1 ? strchr(s1 + 1, '\x1f') : NULL;
            if (!s2) continue;
            char src[512], dst[512];
            snprintf(src, sizeof(src), "%.*s", (int)(s1 - k), k);
            snprintf(dst, sizeof(dst), "%.*s", (int)(s2 - s1 - 1), s1 + 1);
            long rs =
                rank[st_vocab_find(actors, src, strlen(src), st_vocab_hash(src, strlen(src)))];
            long rd =
                rank[st_vocab_find(actors, dst, strlen(dst), st_vocab_hash(dst, strlen(dst)))];
            if (pass == 0) {
                csv(f, src);
                fputc(',', f);
                csv(f, dst);
                fputc(',', f);
                csv(f, s2 + 1);
                fprintf(f, ",%ld\r\n", oe[i].key);
            } else {
                fprintf(f,
                        "      <edge id=\"e%zu\" source=\"n%ld\" target=\"n%ld\" weight=\"%ld\" "
                        "label=\"",
                        i, rs, rd, oe[i].key);
                xml(f, s2 + 1);
                fprintf(f, "\">\n        <attvalues><attvalue for=\"0\" value=\"");
                xml(f, s2 + 1);
                fprintf(f, "\"/></attvalues>\n      </edge>\n");
            }
        }
        if (pass == 1) fprintf(f, "    </edges>\n  </graph>\n</gexf>\n");
        rc = st_nout_commit(out, err, errlen);
        out = NULL;
        if (rc < 0) {
            free(rank);
            goto done;
        }
    }
    free(rank);
    rc = 0;
done:
    if (rc == -ENOMEM && err && !err[0]) seterr(err, errlen, "out of memory");
    st_nout_abort(out);
    if (in) fclose(in);
    free(line);
    free(oa);
    free(ov);
    free(oe);
    free(ac.a);
    free(ac.b);
    free(vc.a);
    free(vc.b);
    free(ec.a);
    free(ec.b);
    st_vocab_free(actors);
    st_vocab_free(actions);
    st_vocab_free(edges);
    return rc;
}
