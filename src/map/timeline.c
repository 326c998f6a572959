/* Timelines: sparse (series, bin) counts, long-form CSV and a small self-written SVG line plot. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_timeline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/map_export.h"
#include "stratum/map_graph.h"

/* Series that the plot draws at most (one colour each, Tableau 10). */
#define PLOT_SERIES 10
/* Bytes of a series name shown in the legend. */
#define LEGEND_CHARS 22

typedef struct cell {
    int32_t series;
    int64_t bin;
    int64_t n;
} cell;

struct st_map_timeline {
    int64_t interval;
    int64_t total;
    int64_t bmin, bmax;
    st_map_graph *names; /* series names and totals (node count) */
    cell *cell;
    size_t nc, ccap;
    int32_t *tab; /* open addressing: cell index + 1 */
    size_t tcap;
};

void st_map_timeline_free(st_map_timeline *tl)
{
    if (!tl) return;
    st_map_graph_free(tl->names);
    free(tl->cell);
    free(tl->tab);
    free(tl);
}

st_map_timeline *st_map_timeline_new(int64_t interval)
{
    if (interval <= 0) {
        errno = EINVAL;
        return NULL;
    }
    st_map_timeline *tl = calloc(1, sizeof(*tl));
    if (!tl) return NULL;
    tl->interval = interval;
    tl->tcap = 1024;
    tl->names = st_map_graph_new(ST_MAP_NET_COHASHTAG);
    tl->tab = calloc(tl->tcap, sizeof(*tl->tab));
    if (!tl->names || !tl->tab) goto fail;
    return tl;
fail:
    st_map_timeline_free(tl);
    errno = ENOMEM;
    return NULL;
}

static inline uint32_t cell_hash(int32_t s, int64_t b)
{
    uint64_t x = (uint64_t)b * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)s;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return (uint32_t)x;
}

static int64_t bin_of(const st_map_timeline *tl, int64_t t)
{
    /* floor division, so bins before 1970 are aligned too */
    int64_t b = t / tl->interval;
    if (t % tl->interval < 0) b--;
    return b;
}

static int32_t find_cell(const st_map_timeline *tl, int32_t s, int64_t b, size_t *slot)
{
    size_t mask = tl->tcap - 1;
    for (size_t i = cell_hash(s, b) & mask;; i = (i + 1) & mask) {
        int32_t k = tl->tab[i];
        if (!k) {
            if (slot) *slot = i;
            return -1;
        }
        if (tl->cell[k - 1].series == s && tl->cell[k - 1].bin == b) return k - 1;
    }
}

static int grow_tab(st_map_timeline *tl)
{
    size_t cap = 2 * tl->tcap;
    int32_t *t = calloc(cap, sizeof(*t));
    if (!t) return -ENOMEM;
    for (size_t j = 0; j < tl->nc; j++) {
        size_t i = cell_hash(tl->cell[j].series, tl->cell[j].bin) & (cap - 1);
        while (t[i]) i = (i + 1) & (cap - 1);
        t[i] = (int32_t)j + 1;
    }
    free(tl->tab);
    tl->tab = t;
    tl->tcap = cap;
    return 0;
}

int st_map_timeline_add(st_map_timeline *tl, const char *name, size_t len, int64_t t)
{
    if (!tl || (!name && len)) return -EINVAL;
    int32_t s;
    int rc = st_map_graph_node(tl->names, name, len, ST_MAP_KIND_SERIES, &s);
    if (rc) return rc;
    st_map_graph_hit(tl->names, s, t, 1);
    int64_t b = bin_of(tl, t);
    size_t slot;
    int32_t k = find_cell(tl, s, b, &slot);
    if (k >= 0) {
        tl->cell[k].n++;
    } else {
        if (tl->nc >= INT32_MAX - 1) return -ENOMEM;
        if (tl->nc == tl->ccap) {
            size_t nc = tl->ccap ? 2 * tl->ccap : 1024;
            cell *c = realloc(tl->cell, nc * sizeof(*c));
            if (!c) return -ENOMEM;
            tl->cell = c;
            tl->ccap = nc;
        }
        tl->cell[tl->nc] = (cell){s, b, 1};
        tl->tab[slot] = (int32_t)++tl->nc;
        if (2 * tl->nc > tl->tcap && grow_tab(tl)) return -ENOMEM;
    }
    if (tl->total == 0 || b < tl->bmin) tl->bmin = b;
    if (tl->total == 0 || b > tl->bmax) tl->bmax = b;
    tl->total++;
    return 0;
}

int64_t st_map_timeline_total(const st_map_timeline *tl)
{
    return tl ? tl->total : 0;
}

size_t st_map_timeline_nseries(const st_map_timeline *tl)
{
    return tl ? st_map_graph_nnodes(tl->names) : 0;
}

static int64_t cell_count(const st_map_timeline *tl, int32_t s, int64_t b)
{
    int32_t k = find_cell(tl, s, b, NULL);
    return k >= 0 ? tl->cell[k].n : 0;
}

int64_t st_map_timeline_get(const st_map_timeline *tl, const char *name, size_t len, int64_t t)
{
    if (!tl) return 0;
    int32_t s = st_map_graph_find(tl->names, name, len, ST_MAP_KIND_SERIES);
    return s < 0 ? 0 : cell_count(tl, s, bin_of(tl, t));
}

typedef struct ranked {
    int32_t id;
    int64_t n;
    const char *name;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The series to show, most posts first. Caller frees. */
static ranked *pick(const st_map_timeline *tl, size_t top, size_t *count)
{
    size_t ns = st_map_graph_nnodes(tl->names);
    st_map_node *nd = st_map_graph_nodes(tl->names);
    ranked *r = malloc((ns + 1) * sizeof(*r));
    if (!r) return NULL;
    for (size_t i = 0; i < ns; i++) r[i] = (ranked){(int32_t)i, nd[i].count, nd[i].name};
    qsort(r, ns, sizeof(*r), ranked_cmp);
    *count = top && top < ns ? top : ns;
    return r;
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int st_map_timeline_write_csv(const st_map_timeline *tl, FILE *f, size_t top)
{
    if (!tl || !f) return -EINVAL;
    size_t n;
    ranked *r = pick(tl, top, &n);
    if (!r) return -ENOMEM;
    char ts[32];
    fputs("interval_start,series,posts\r\n", f);
    for (size_t k = 0; k < n && tl->total; k++)
        for (int64_t b = tl->bmin; b <= tl->bmax; b++) {
            st_map_export_time(b * tl->interval, ts, sizeof(ts));
            fprintf(f, "%s,", ts);
            csv_field(f, r[k].name);
            fprintf(f, ",%lld\r\n", (long long)cell_count(tl, r[k].id, b));
        }
    free(r);
    return (fflush(f) || ferror(f)) ? -EIO : 0;
}

/* ---- SVG ---------------------------------------------------------------- */

/* A 1-2-5 step giving at most `max` ticks up to v. */
static double nice_step(double v, int max)
{
    if (v <= 0) return 1;
    double raw = v / max, p = pow(10, floor(log10(raw)));
    double steps[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (steps[i] * p >= raw) return fmax(1, steps[i] * p);
    return fmax(1, 10 * p);
}

int st_map_timeline_write_svg(const st_map_timeline *tl, FILE *f, size_t top, const char *title)
{
    static const char *const colour[PLOT_SERIES] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                    "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                    "#9c755f", "#bab0ac"};
    /* Layout in px: plot area [L, W-R] x [T, H-B]; legend right of it. */
    const double W = 960, H = 480, L = 64, R = 250, T = 44, B = 64;
    if (!tl || !f) return -EINVAL;
    if (top == 0 || top > PLOT_SERIES) top = PLOT_SERIES;
    size_t n;
    ranked *r = pick(tl, top, &n);
    if (!r) return -ENOMEM;
    int64_t nb = tl->total ? tl->bmax - tl->bmin + 1 : 1;
    int64_t ymax = 1;
    for (size_t k = 0; k < n; k++)
        for (int64_t b = tl->bmin; b <= tl->bmax && tl->total; b++) {
            int64_t c = cell_count(tl, r[k].id, b);
            if (c > ymax) ymax = c;
        }
    double ystep = nice_step((double)ymax, 6);
    double ytop = ceil((double)ymax / ystep) * ystep;
    double pw = W - L - R, ph = H - T - B;
    int64_t t0 = tl->bmin * tl->interval, t1 = (tl->bmin + nb) * tl->interval;
    double span = (double)(t1 - t0);
#define XPOS(t) (L + pw * (double)((t)-t0) / span)
#define YPOS(v) (T + ph * (1.0 - (double)(v) / ytop))
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Arial, "
            "sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            W, H, W, H);
    fputs("<text x=\"64\" y=\"26\" font-size=\"16\" font-weight=\"bold\">", f);
    if (title) st_map_export_xml(f, title, strlen(title));
    fputs("</text>\n", f);
    /* y grid and labels */
    for (double v = 0; v <= ytop + 1e-9; v += ystep) {
        double y = YPOS(v);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n",
                L, y, L + pw, y, L - 6, y + 4, v);
    }
    /* x ticks: the smallest step from this list giving at most 8 ticks */
    static const int64_t tsteps[] = {60,    300,   900,    1800,   3600,    3 * 3600, 6 * 3600,
                                     43200, 86400, 172800, 604800, 2592000, 31536000};
    int64_t ts = tsteps[12];
    for (size_t i = 0; i < sizeof(tsteps) / sizeof(tsteps[0]); i++)
        if (span / (double)tsteps[i] <= 8) {
            ts = tsteps[i];
            break;
        }
    int64_t first = t0 % ts ? t0 + (ts - ((t0 % ts) + ts) % ts) : t0;
    for (int64_t t = first; t <= t1; t += ts) {
        char iso[32];
        st_map_export_time(t, iso, sizeof(iso));
        double x = XPOS(t);
        /* "MM-DD HH:MM" from the ISO form */
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.5s %.5s</text>\n",
                x, T, x, T + ph, x, T + ph + 18, iso + 5, iso + 11);
    }
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
            L, T + ph, L + pw, T + ph, L, T, L, T + ph);
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (UTC), posts per %lld s "
            "interval</text>\n",
            L + pw / 2, H - 14, (long long)tl->interval);
    fprintf(f,
            "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">posts"
            "</text>\n",
            T + ph / 2);
    for (size_t k = 0; k < n && tl->total; k++) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"",
                colour[k]);
        for (int64_t b = tl->bmin; b <= tl->bmax; b++) {
            int64_t c = cell_count(tl, r[k].id, b);
            /* each count at the middle of its interval */
            double x = XPOS(b * tl->interval) + pw / (double)nb / 2;
            fprintf(f, "%.1f,%.1f ", x, YPOS(c));
        }
        fputs("\"/>\n", f);
        double ly = T + 10 + 20.0 * (double)k;
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\">",
                L + pw + 16, ly - 4, colour[k], L + pw + 36, ly + 2);
        /* Long names are cut at a UTF-8 character boundary so that the
         * legend fits beside the plot. */
        size_t len = strlen(r[k].name), cut = len;
        if (len > LEGEND_CHARS) {
            cut = LEGEND_CHARS;
            while (cut > 0 && ((unsigned char)r[k].name[cut] & 0xC0) == 0x80) cut--;
        }
        st_map_export_xml(f, r[k].name, cut);
        fprintf(f, "%s (%lld)</text>\n", cut < len ? "..." : "", (long long)r[k].n);
    }
    if (!tl->total)
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no posts with a time</text>\n",
                L + pw / 2, T + ph / 2);
    fputs("</svg>\n", f);
#undef XPOS
#undef YPOS
    free(r);
    return (fflush(f) || ferror(f)) ? -EIO : 0;
}
