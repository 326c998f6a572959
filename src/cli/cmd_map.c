/* stratum map: controversy mapping of posts (networks, communities, timelines, street signals). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "stratum/map_actors.h"
#include "stratum/map_community.h"
#include "stratum/map_export.h"
#include "stratum/map_graph.h"
#include "stratum/map_lines.h"
#include "stratum/map_post.h"
#include "stratum/map_signals.h"
#include "stratum/map_timeline.h"

#define CMD "map"
/* Longest post line accepted by default: a Twitter v1.1 retweet of a quote
 * with extended entities is under 64 KiB; 4 MiB leaves room for exports that
 * inline more. */
#define DEFAULT_MAX_LINE (4u << 20)
/* Malformed lines reported one by one before a summary takes over. */
#define SHOW_ERRORS 10

static void usage(FILE *out)
{
    fputs("usage: stratum map COMMAND [OPTIONS] FILE...\n"
          "\n"
          "Controversy mapping of online debate: posts as JSON Lines (Twitter API v1.1/v2\n"
          "objects, or any export through --map) to weighted networks, communities,\n"
          "timelines and per-zone street signals. FILE '-' reads standard input.\n"
          "\n"
          "commands:\n"
          "  network   build a network and write GEXF 1.3, GraphML or CSV\n"
          "  timeline  posts per interval per hashtag/author/community/actor: CSV and SVG\n"
          "  signals   per-zone, per-minute SenML observations for the street engine\n"
          "  stats     what the input holds: posts, malformed lines, field coverage\n"
          "\n"
          "input options (every command):\n"
          "  --map FIELD=PATH[,PATH...]  read FIELD from these JSON paths (docs/map.md);\n"
          "                 FIELD: id time author text lang reply_to retweet_of hashtags\n"
          "                 mentions urls; PATH: keys joined by '.', 'key[]' = each element\n"
          "  --since TIME --until TIME   keep posts in [since, until) (ISO 8601 or epoch s)\n"
          "  --keyword WORD keep posts whose text contains WORD or that carry #WORD\n"
          "  --max-line BYTES            longest line accepted (default 4194304)\n"
          "\n"
          "network options:\n"
          "  --net TYPE     cohashtag (default), mention, user-hashtag, codomain, courl, actor\n"
          "  --actors FILE  URL/domain<TAB>actor type list (tags domains; needed by 'actor')\n"
          "  --min-weight W --min-count N --top N --rank degree|wdegree|count\n"
          "  --drop-isolates              filters; a node filter also removes its edges\n"
          "  --community louvain|leiden   detect communities (igraph), --seed N (default 1),\n"
          "  --runs N       N seeds from --seed: modularity per run, mean pairwise NMI/ARI\n"
          "  --resolution R (default 1)   --table FILE: community table (CSV)\n"
          "  --no-betweenness             skip betweenness (slow on large networks)\n"
          "  --format gexf|graphml|csv    default from the -o extension (.gexf)\n"
          "  --dynamic      GEXF with start/end intervals (first/last seen) on nodes, edges\n"
          "  -o OUT         output file ('-' standard output); csv writes OUT.nodes.csv and\n"
          "                 OUT.edges.csv\n"
          "\n"
          "timeline options:\n"
          "  --by all|hashtag|author|community|actor (default hashtag)\n"
          "  --interval N[s|m|h|d] (default 1h)   --top K series (default 8)\n"
          "  --csv FILE --svg FILE --title TEXT\n"
          "  (--by community runs the co-hashtag network's communities first: --community,\n"
          "  --seed, --resolution; posts count once per community of their hashtags)\n"
          "\n"
          "signals options:\n"
          "  --zones FILE   zone<TAB>name;name;... (street, square, venue names)\n"
          "  --terms FILE   aggressive terms, one per line\n"
          "  --window MIN   minutes a minute stays open for late posts (default: 2 for\n"
          "                 standard input, all until the end for files)\n"
          "  -o OUT         packs, one per line (default standard output)\n"
          "  Only zone ids and numbers leave this command: no names, no texts.\n"
          "\n"
          "exit status: 0 done (malformed lines are reported and skipped), 1 failure,\n"
          "2 usage error\n",
          out);
}

/* ---- options ------------------------------------------------------------ */

enum {
    O_MAP = 1000,
    O_SINCE,
    O_UNTIL,
    O_KEYWORD,
    O_MAXLINE,
    O_NET,
    O_ACTORS,
    O_MINW,
    O_MINC,
    O_TOP,
    O_RANK,
    O_ISOL,
    O_COMM,
    O_SEED,
    O_RUNS,
    O_RES,
    O_TABLE,
    O_NOBET,
    O_FORMAT,
    O_DYN,
    O_BY,
    O_INTERVAL,
    O_CSV,
    O_SVG,
    O_TITLE,
    O_ZONES,
    O_TERMS,
    O_WINDOW
};

static const struct option long_opts[] = {
    {"map", required_argument, NULL, O_MAP},
    {"since", required_argument, NULL, O_SINCE},
    {"until", required_argument, NULL, O_UNTIL},
    {"keyword", required_argument, NULL, O_KEYWORD},
    {"max-line", required_argument, NULL, O_MAXLINE},
    {"net", required_argument, NULL, O_NET},
    {"actors", required_argument, NULL, O_ACTORS},
    {"min-weight", required_argument, NULL, O_MINW},
    {"min-count", required_argument, NULL, O_MINC},
    {"top", required_argument, NULL, O_TOP},
    {"rank", required_argument, NULL, O_RANK},
    {"drop-isolates", no_argument, NULL, O_ISOL},
    {"community", required_argument, NULL, O_COMM},
    {"seed", required_argument, NULL, O_SEED},
    {"runs", required_argument, NULL, O_RUNS},
    {"resolution", required_argument, NULL, O_RES},
    {"table", required_argument, NULL, O_TABLE},
    {"no-betweenness", no_argument, NULL, O_NOBET},
    {"format", required_argument, NULL, O_FORMAT},
    {"dynamic", no_argument, NULL, O_DYN},
    {"by", required_argument, NULL, O_BY},
    {"interval", required_argument, NULL, O_INTERVAL},
    {"csv", required_argument, NULL, O_CSV},
    {"svg", required_argument, NULL, O_SVG},
    {"title", required_argument, NULL, O_TITLE},
    {"zones", required_argument, NULL, O_ZONES},
    {"terms", required_argument, NULL, O_TERMS},
    {"window", required_argument, NULL, O_WINDOW},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct opts {
    const char *sub;
    char cmdname[32]; /* "map network" */
    /* input */
    const char *maps[32];
    int nmaps;
    st_map_select sel;
    long max_line;
    /* network */
    st_map_net net;
    const char *actors;
    st_map_filter filt;
    int has_comm;
    st_map_algo algo;
    long seed, runs;
    double resolution;
    const char *table;
    int no_betweenness;
    const char *format;
    int dynamic;
    const char *out;
    /* timeline */
    const char *by;
    long interval, top;
    const char *csv, *svg, *title;
    /* signals */
    const char *zones, *terms;
    long window;
    int has_window;
    st_map_post *parser; /* built from the --map options before the command runs */
} opts;

static int parse_time_opt(const opts *o, const char *opt, const char *s, int64_t *out)
{
    if (st_map_post_time(s, strlen(s), out)) {
        fprintf(stderr,
                "stratum %s: %s: '%s' is not a time (ISO 8601 like 2015-01-07T12:00:00Z, or "
                "epoch seconds)\n",
                o->cmdname, opt, s);
        return -1;
    }
    return 0;
}

static int parse_interval(const opts *o, const char *s, long *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mul = 1;
    if (errno || end == s) goto bad;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end || !(v * mul >= 1) || v * mul > 366.0 * 86400) goto bad;
    *out = (long)llround(v * mul);
    return 0;
bad:
    fprintf(stderr, "stratum %s: --interval: '%s' is not a duration from 1s to 366d (e.g. 10m)\n",
            o->cmdname, s);
    return -1;
}

/* Returns the index of the first file argument, or -1 (usage error printed),
 * or -2 for --help. */
static int parse_opts(int argc, char **argv, opts *o)
{
    long v;
    double d;
    int64_t t;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case O_MAP:
            if (o->nmaps >= 32) {
                fprintf(stderr, "stratum %s: --map: at most 32\n", o->cmdname);
                return -1;
            }
            o->maps[o->nmaps++] = a;
            break;
        case O_SINCE:
            if (parse_time_opt(o, "--since", a, &t)) return -1;
            o->sel.has_since = 1;
            o->sel.since = t;
            break;
        case O_UNTIL:
            if (parse_time_opt(o, "--until", a, &t)) return -1;
            o->sel.has_until = 1;
            o->sel.until = t;
            break;
        case O_KEYWORD:
            o->sel.keyword = a;
            break;
        case O_MAXLINE:
            if (st_cli_parse_long(o->cmdname, "--max-line", a, 64, 1L << 30, &o->max_line))
                return -1;
            break;
        case O_NET:
            if (st_map_net_parse(a, &o->net)) {
                fprintf(stderr,
                        "stratum %s: --net: '%s' is not one of cohashtag, mention, "
                        "user-hashtag, codomain, courl, actor\n",
                        o->cmdname, a);
                return -1;
            }
            break;
        case O_ACTORS:
            o->actors = a;
            break;
        case O_MINW:
            if (st_cli_parse_double(o->cmdname, "--min-weight", a, 0, 1e15, &o->filt.min_weight))
                return -1;
            break;
        case O_MINC:
            if (st_cli_parse_long(o->cmdname, "--min-count", a, 0, 1L << 40, &v)) return -1;
            o->filt.min_count = v;
            break;
        case O_TOP:
            if (st_cli_parse_long(o->cmdname, "--top", a, 1, 1L << 30, &v)) return -1;
            o->filt.top_n = (size_t)v;
            o->top = v;
            break;
        case O_RANK:
            if (!strcmp(a, "degree"))
                o->filt.rank = ST_MAP_RANK_DEGREE;
            else if (!strcmp(a, "wdegree"))
                o->filt.rank = ST_MAP_RANK_WDEGREE;
            else if (!strcmp(a, "count"))
                o->filt.rank = ST_MAP_RANK_COUNT;
            else {
                fprintf(stderr, "stratum %s: --rank: '%s' is not degree, wdegree or count\n",
                        o->cmdname, a);
                return -1;
            }
            break;
        case O_ISOL:
            o->filt.drop_isolates = 1;
            break;
        case O_COMM:
            if (st_map_algo_parse(a, &o->algo)) {
                fprintf(stderr, "stratum %s: --community: '%s' is not louvain or leiden\n",
                        o->cmdname, a);
                return -1;
            }
            o->has_comm = 1;
            break;
        case O_SEED:
            if (st_cli_parse_long(o->cmdname, "--seed", a, 0, 0x7fffffffL, &o->seed)) return -1;
            break;
        case O_RUNS:
            if (st_cli_parse_long(o->cmdname, "--runs", a, 1, 1000, &o->runs)) return -1;
            break;
        case O_RES:
            if (st_cli_parse_double(o->cmdname, "--resolution", a, 1e-6, 1e6, &d)) return -1;
            o->resolution = d;
            break;
        case O_TABLE:
            o->table = a;
            break;
        case O_NOBET:
            o->no_betweenness = 1;
            break;
        case O_FORMAT:
            if (strcmp(a, "gexf") && strcmp(a, "graphml") && strcmp(a, "csv")) {
                fprintf(stderr, "stratum %s: --format: '%s' is not gexf, graphml or csv\n",
                        o->cmdname, a);
                return -1;
            }
            o->format = a;
            break;
        case O_DYN:
            o->dynamic = 1;
            break;
        case O_BY:
            if (strcmp(a, "all") && strcmp(a, "hashtag") && strcmp(a, "author") &&
                strcmp(a, "community") && strcmp(a, "actor")) {
                fprintf(stderr,
                        "stratum %s: --by: '%s' is not all, hashtag, author, community or "
                        "actor\n",
                        o->cmdname, a);
                return -1;
            }
            o->by = a;
            break;
        case O_INTERVAL:
            if (parse_interval(o, a, &o->interval)) return -1;
            break;
        case O_CSV:
            o->csv = a;
            break;
        case O_SVG:
            o->svg = a;
            break;
        case O_TITLE:
            o->title = a;
            break;
        case O_ZONES:
            o->zones = a;
            break;
        case O_TERMS:
            o->terms = a;
            break;
        case O_WINDOW:
            if (st_cli_parse_long(o->cmdname, "--window", a, 0, 7 * 24 * 60, &o->window)) return -1;
            o->has_window = 1;
            break;
        case 'o':
            o->out = a;
            break;
        case 'h':
            usage(stdout);
            return -2;
        default:
            fprintf(stderr, "stratum %s: see 'stratum map --help'\n", o->cmdname);
            return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "stratum %s: no input FILE (use '-' for standard input)\n", o->cmdname);
        return -1;
    }
    return optind;
}

/* ---- reading posts ------------------------------------------------------ */

typedef struct rstats {
    long files, lines, posts, malformed, blank, toolong, unselected, bad_time, no_time;
    char first_bad_time[128];
} rstats;

typedef int (*on_post)(void *ctx, const st_map_post_rec *r);

static st_map_post *make_parser(const opts *o)
{
    st_map_post *p = st_map_post_new((size_t)o->max_line);
    if (!p) {
        fprintf(stderr, "stratum %s: out of memory\n", o->cmdname);
        return NULL;
    }
    for (int i = 0; i < o->nmaps; i++) {
        const char *eq = strchr(o->maps[i], '=');
        char field[32];
        int is_list, idx;
        size_t n = eq ? (size_t)(eq - o->maps[i]) : 0;
        if (!eq || n >= sizeof(field)) goto bad_field;
        memcpy(field, o->maps[i], n);
        field[n] = '\0';
        if (st_map_post_field(field, &is_list, &idx)) goto bad_field;
        int rc = st_map_post_set_paths(p, is_list, idx, eq + 1);
        if (rc) {
            fprintf(stderr,
                    "stratum %s: --map %s: %s (paths are keys joined by '.', 'key[]' for each "
                    "array element, at most %d segments, comma-separated)\n",
                    o->cmdname, o->maps[i], rc == -E2BIG ? "too many paths" : "bad path",
                    ST_MAP_SEGS_MAX);
            st_map_post_free(p);
            return NULL;
        }
        continue;
    bad_field:
        fprintf(stderr,
                "stratum %s: --map '%s': expected FIELD=PATH with FIELD one of id, time, "
                "author, text, lang, reply_to, retweet_of, hashtags, mentions, urls\n",
                o->cmdname, o->maps[i]);
        st_map_post_free(p);
        return NULL;
    }
    return p;
}

static int for_each_post(const opts *o, st_map_post *p, char **files, int nfiles, on_post fn,
                         void *ctx, rstats *st)
{
    st_map_post_rec *rec = malloc(sizeof(*rec));
    if (!rec) return -ENOMEM;
    int rc = 0;
    memset(st, 0, sizeof(*st));
    for (int i = 0; i < nfiles && !rc; i++) {
        const char *name = strcmp(files[i], "-") ? files[i] : "(stdin)";
        int fd = strcmp(files[i], "-") ? open(files[i], O_RDONLY | O_CLOEXEC) : 0;
        if (fd < 0) {
            fprintf(stderr, "stratum %s: %s: %s\n", o->cmdname, files[i], strerror(errno));
            rc = -ENOENT;
            break;
        }
        st_map_lines *lr = st_map_lines_new(fd, (size_t)o->max_line);
        if (!lr) {
            if (fd) close(fd);
            rc = -ENOMEM;
            break;
        }
        st->files++;
        const char *line;
        size_t len;
        int got;
        while ((got = st_map_lines_next(lr, &line, &len)) != 0) {
            long no = st_map_lines_lineno(lr);
            st->lines++;
            if (got == -EIO) {
                fprintf(stderr, "stratum %s: %s: read error after line %ld\n", o->cmdname, name,
                        no - 1);
                rc = -EIO;
                break;
            }
            if (got == -E2BIG) {
                if (st->malformed++ < SHOW_ERRORS)
                    fprintf(stderr,
                            "stratum %s: %s:%ld: skipped: line longer than %ld bytes "
                            "(--max-line)\n",
                            o->cmdname, name, no, o->max_line);
                st->toolong++;
                continue;
            }
            size_t k = 0;
            while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
            if (k == len) {
                st->blank++;
                continue;
            }
            st_map_post_err err;
            if (st_map_post_parse(p, line, len, rec, &err)) {
                if (st->malformed++ < SHOW_ERRORS)
                    fprintf(stderr, "stratum %s: %s:%ld: skipped: invalid JSON at byte %zu: %s\n",
                            o->cmdname, name, no, err.pos + 1, err.why ? err.why : "?");
                continue;
            }
            if (rec->bad_time) {
                if (!st->bad_time++)
                    snprintf(st->first_bad_time, sizeof(st->first_bad_time), "%s:%ld", name, no);
            } else if (!rec->has_t) {
                st->no_time++;
            }
            if (!st_map_post_selected(rec, &o->sel)) {
                st->unselected++;
                continue;
            }
            st->posts++;
            if ((rc = fn(ctx, rec))) break;
        }
        st_map_lines_free(lr);
        if (fd) close(fd);
    }
    free(rec);
    if (st->malformed > SHOW_ERRORS)
        fprintf(stderr, "stratum %s: ... and %ld more malformed lines\n", o->cmdname,
                st->malformed - SHOW_ERRORS);
    return rc;
}

static void report_read(const opts *o, const rstats *st)
{
    fprintf(stderr,
            "stratum %s: read %ld lines from %ld file%s: %ld posts used, %ld malformed "
            "skipped, %ld blank",
            o->cmdname, st->lines, st->files, st->files == 1 ? "" : "s", st->posts, st->malformed,
            st->blank);
    if (st->unselected) fprintf(stderr, ", %ld outside the selection", st->unselected);
    fputc('\n', stderr);
    if (st->bad_time)
        fprintf(stderr,
                "stratum %s: %ld post%s a time field that is not a known format (first at "
                "%s); counted as without a time\n",
                o->cmdname, st->bad_time, st->bad_time == 1 ? " has" : "s have",
                st->first_bad_time);
    if (st->no_time)
        fprintf(stderr, "stratum %s: %ld post%s no time field (see --map time=...)\n", o->cmdname,
                st->no_time, st->no_time == 1 ? " has" : "s have");
}

/* ---- network ------------------------------------------------------------ */

typedef struct net_ctx {
    st_map_graph *g;
    const st_map_actors *actors;
    long empty;
} net_ctx;

static int net_post(void *vctx, const st_map_post_rec *r)
{
    net_ctx *c = vctx;
    int rc = st_map_graph_add_post(c->g, r, c->actors);
    if (rc < 0) return rc;
    if (rc == 0) c->empty++;
    return 0;
}

static const char *net_needs(st_map_net n)
{
    switch (n) {
    case ST_MAP_NET_COHASHTAG:
        return "no hashtag";
    case ST_MAP_NET_MENTION:
        return "no author or no mention of another user";
    case ST_MAP_NET_USER_HASHTAG:
        return "no author or no hashtag";
    case ST_MAP_NET_CODOMAIN:
    case ST_MAP_NET_COURL:
        return "no URL";
    case ST_MAP_NET_ACTOR:
        return "no URL of a listed actor";
    default:
        return "nothing for this network";
    }
}

static FILE *open_out(const opts *o, const char *path)
{
    if (!strcmp(path, "-")) return stdout;
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "stratum %s: %s: %s\n", o->cmdname, path, strerror(errno));
    return f;
}

static int close_out(const opts *o, FILE *f, const char *path, int rc)
{
    if (f == stdout) {
        if (fflush(f)) rc = -EIO;
    } else if (fclose(f)) {
        rc = -EIO;
    }
    if (rc) fprintf(stderr, "stratum %s: %s: write failed\n", o->cmdname, path);
    return rc;
}

typedef struct top_item {
    int32_t id;
    double w;
} top_item;

static int top_cmp(const void *a, const void *b)
{
    const top_item *x = a, *y = b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Community table: one row per community, its size, posts and top members. */
static int write_table(const opts *o, st_map_graph *g, int ncomm)
{
    FILE *f = open_out(o, o->table);
    if (!f) return -1;
    size_t nn = st_map_graph_nnodes(g);
    const st_map_node *nd = st_map_graph_nodes(g);
    top_item *it = malloc((nn + 1) * sizeof(*it));
    if (!it) {
        close_out(o, f, o->table, 0);
        return -ENOMEM;
    }
    fprintf(f, "community,size,posts,weighted_degree,top_nodes\r\n");
    for (int c = 0; c < ncomm; c++) {
        size_t k = 0;
        long long posts = 0;
        double wsum = 0;
        for (size_t i = 0; i < nn; i++)
            if (nd[i].community == c) {
                it[k].id = (int32_t)i;
                it[k].w = nd[i].wdegree;
                posts += nd[i].count;
                wsum += nd[i].wdegree;
                k++;
            }
        qsort(it, k, sizeof(*it), top_cmp);
        fprintf(f, "%d,%zu,%lld,%.17g,\"", c, k, posts, wsum);
        for (size_t j = 0; j < k && j < 8; j++) {
            for (const char *s = nd[it[j].id].name; *s; s++) {
                if (*s == '"') fputc('"', f);
                fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
            }
            if (j + 1 < k && j + 1 < 8) fputs(" ", f);
        }
        fputs("\"\r\n", f);
    }
    free(it);
    return close_out(o, f, o->table, ferror(f) ? -EIO : 0);
}

static int run_communities(const opts *o, st_map_graph *g, int *ncomm)
{
    st_map_comm_run *runs = calloc((size_t)o->runs, sizeof(*runs));
    double nmi = 1, ari = 1;
    if (!runs) return -ENOMEM;
    int rc = st_map_community_stability(g, o->algo, (uint64_t)o->seed, (int)o->runs, o->resolution,
                                        runs, &nmi, &ari);
    if (rc) {
        fprintf(stderr, "stratum %s: community detection failed (%s)\n", o->cmdname, strerror(-rc));
        free(runs);
        return rc;
    }
    for (long r = 0; r < o->runs; r++) {
        printf("%s seed %ld: %d communities, modularity ", st_map_algo_name(o->algo), o->seed + r,
               runs[r].ncomm);
        if (isnan(runs[r].modularity))
            printf("undefined (no edges)\n");
        else
            printf("%.6f\n", runs[r].modularity);
    }
    if (o->runs > 1)
        printf("stability over %ld seeds: mean pairwise NMI %.4f, mean pairwise ARI %.4f\n",
               o->runs, nmi, ari);
    *ncomm = runs[0].ncomm;
    free(runs);
    return 0;
}

static int cmd_network(opts *o, char **files, int nfiles)
{
    int rc = 1;
    st_map_post *p = NULL;
    st_map_actors *actors = NULL;
    net_ctx c = {0};
    rstats st;
    char err[512];
    if (!o->out) {
        fprintf(stderr, "stratum %s: -o OUT is required (e.g. -o cohashtag.gexf)\n", o->cmdname);
        return 2;
    }
    if (!o->format) {
        const char *dot = strrchr(o->out, '.');
        o->format = dot && !strcmp(dot, ".graphml") ? "graphml"
                    : dot && !strcmp(dot, ".csv")   ? "csv"
                                                    : "gexf";
    }
    if (o->dynamic && strcmp(o->format, "gexf")) {
        fprintf(stderr, "stratum %s: --dynamic needs --format gexf\n", o->cmdname);
        return 2;
    }
    if (o->net == ST_MAP_NET_ACTOR && !o->actors) {
        fprintf(stderr, "stratum %s: --net actor needs --actors FILE\n", o->cmdname);
        return 2;
    }
    if (o->actors && !(actors = st_map_actors_load(o->actors, err, sizeof(err)))) {
        fprintf(stderr, "stratum %s: %s\n", o->cmdname, err);
        return 1;
    }
    p = o->parser;
    if (!(c.g = st_map_graph_new(o->net))) goto oom;
    c.actors = actors;
    int r = for_each_post(o, p, files, nfiles, net_post, &c, &st);
    report_read(o, &st);
    if (r == -ENOMEM) goto oom;
    if (r) goto out;
    if (st.posts == 0) {
        fprintf(stderr, "stratum %s: no posts to map (%ld lines read)\n", o->cmdname, st.lines);
        goto out;
    }
    if (c.empty)
        fprintf(stderr, "stratum %s: %ld of %ld posts had %s and added nothing to the %s network\n",
                o->cmdname, c.empty, st.posts, net_needs(o->net), st_map_net_name(o->net));
    size_t n0 = st_map_graph_nnodes(c.g), e0 = st_map_graph_nedges(c.g);
    if (st_map_graph_filter(c.g, &o->filt)) goto oom;
    size_t n1 = st_map_graph_nnodes(c.g), e1 = st_map_graph_nedges(c.g);
    fprintf(stderr, "stratum %s: %s network: %zu nodes, %zu edges", o->cmdname,
            st_map_net_name(o->net), n1, e1);
    if (n1 != n0 || e1 != e0)
        fprintf(stderr, " (filters removed %zu nodes, %zu edges)", n0 - n1, e0 - e1);
    fputc('\n', stderr);
    if (n1 == 0)
        fprintf(stderr, "stratum %s: note: the network is empty\n", o->cmdname);
    else if (e1 == 0)
        fprintf(stderr, "stratum %s: note: the network has no edges\n", o->cmdname);
    if (st_map_community_measures(c.g, !o->no_betweenness)) goto oom;
    int ncomm = 0;
    if (o->has_comm && run_communities(o, c.g, &ncomm)) goto out;
    if (o->table) {
        if (!o->has_comm) {
            fprintf(stderr, "stratum %s: --table needs --community\n", o->cmdname);
            goto out;
        }
        if (write_table(o, c.g, ncomm)) goto out;
    }
    st_map_export_opts eo = {.dynamic = o->dynamic,
                             .with_community = o->has_comm,
                             .with_measures = 1,
                             .description = "built by stratum map from JSON Lines posts"};
    if (!strcmp(o->format, "csv")) {
        char path[4096];
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof(path), "%s.%s.csv", o->out, k ? "edges" : "nodes");
            FILE *f = open_out(o, path);
            if (!f) goto out;
            int wr =
                k ? st_map_export_csv_edges(c.g, f, &eo) : st_map_export_csv_nodes(c.g, f, &eo);
            if (close_out(o, f, path, wr)) goto out;
        }
    } else {
        FILE *f = open_out(o, o->out);
        if (!f) goto out;
        int wr = !strcmp(o->format, "graphml") ? st_map_export_graphml(c.g, f, &eo)
                                               : st_map_export_gexf(c.g, f, &eo);
        if (close_out(o, f, o->out, wr)) goto out;
    }
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "stratum %s: out of memory\n", o->cmdname);
out:
    st_map_graph_free(c.g);
    st_map_actors_free(actors);
    return rc;
}

/* ---- timeline ----------------------------------------------------------- */

typedef struct tl_ctx {
    st_map_timeline *tl;
    const char *by;
    st_map_graph *comm; /* --by community: co-hashtag network with communities */
    char **labels;      /* community labels */
    const st_map_actors *actors;
} tl_ctx;

static int tl_post(void *vctx, const st_map_post_rec *r)
{
    tl_ctx *c = vctx;
    if (!r->has_t) return 0;
    const char *by = c->by;
    if (!strcmp(by, "all")) return st_map_timeline_add(c->tl, "all posts", 9, r->t);
    if (!strcmp(by, "author")) {
        if (!r->has[ST_MAP_AUTHOR]) return 0;
        return st_map_timeline_add(c->tl, r->s[ST_MAP_AUTHOR].s, r->s[ST_MAP_AUTHOR].len, r->t);
    }
    /* Communities and actor types: each distinct one once per post. The
     * names compared are stable (labels, actor table strings). */
    int actor = !strcmp(by, "actor");
    int lst = actor ? ST_MAP_URLS : ST_MAP_HASHTAGS;
    const char *seen[ST_MAP_LIST_MAX];
    int ns = 0;
    for (int i = 0; i < r->n[lst]; i++) {
        const st_map_str *v = &r->l[lst][i];
        const char *s = v->s, *name;
        size_t n = v->len;
        if (actor) {
            char dom[256];
            int dl = st_map_actors_domain(s, n, dom, sizeof(dom));
            name = dl < 0 ? NULL : st_map_actors_lookup(c->actors, dom, (size_t)dl);
        } else {
            if (n && s[0] == '#') s++, n--;
            int32_t id = st_map_graph_find(c->comm, s, n, ST_MAP_KIND_HASHTAG);
            name = id < 0 ? NULL : c->labels[st_map_graph_nodes(c->comm)[id].community];
        }
        if (!name) continue;
        int dup = 0;
        for (int k = 0; k < ns && !dup; k++) dup = seen[k] == name;
        if (dup) continue;
        seen[ns++] = name;
        int rc = st_map_timeline_add(c->tl, name, strlen(name), r->t);
        if (rc) return rc;
    }
    return 0;
}

/* --by hashtag: each distinct hashtag (folded to lower case, as in the
 * networks) once per post. */
static int tl_post_hashtag(void *vctx, const st_map_post_rec *r)
{
    tl_ctx *c = vctx;
    if (!r->has_t) return 0;
    char names[ST_MAP_LIST_MAX][128];
    size_t lens[ST_MAP_LIST_MAX];
    int ns = 0;
    for (int i = 0; i < r->n[ST_MAP_HASHTAGS]; i++) {
        const char *s = r->l[ST_MAP_HASHTAGS][i].s;
        size_t n = r->l[ST_MAP_HASHTAGS][i].len;
        if (n && s[0] == '#') s++, n--;
        if (n == 0 || n >= sizeof(names[0])) continue;
        for (size_t k = 0; k < n; k++)
            names[ns][k] = (s[k] >= 'A' && s[k] <= 'Z') ? (char)(s[k] | 0x20) : s[k];
        int dup = 0;
        for (int k = 0; k < ns && !dup; k++) dup = lens[k] == n && !memcmp(names[k], names[ns], n);
        if (dup) continue;
        lens[ns] = n;
        int rc = st_map_timeline_add(c->tl, names[ns], n, r->t);
        if (rc) return rc;
        ns++;
    }
    return 0;
}

static int cmd_timeline(opts *o, char **files, int nfiles)
{
    int rc = 1;
    st_map_post *p = NULL;
    st_map_actors *actors = NULL;
    tl_ctx c = {0};
    rstats st;
    char err[512];
    int ncomm = 0;
    if (!o->csv && !o->svg) {
        fprintf(stderr, "stratum %s: nothing to write: give --csv FILE and/or --svg FILE\n",
                o->cmdname);
        return 2;
    }
    if (!o->by) o->by = "hashtag";
    if (!strcmp(o->by, "actor") && !o->actors) {
        fprintf(stderr, "stratum %s: --by actor needs --actors FILE\n", o->cmdname);
        return 2;
    }
    if (!strcmp(o->by, "community"))
        for (int i = 0; i < nfiles; i++)
            if (!strcmp(files[i], "-")) {
                fprintf(stderr,
                        "stratum %s: --by community reads the input twice; give files, not "
                        "'-'\n",
                        o->cmdname);
                return 2;
            }
    if (o->actors && !(actors = st_map_actors_load(o->actors, err, sizeof(err)))) {
        fprintf(stderr, "stratum %s: %s\n", o->cmdname, err);
        return 1;
    }
    c.actors = actors;
    c.by = o->by;
    p = o->parser;
    if (!(c.tl = st_map_timeline_new(o->interval))) goto oom;
    if (!strcmp(o->by, "community")) {
        /* Pass 1: the co-hashtag network and its communities. */
        net_ctx nc = {0};
        if (!(nc.g = c.comm = st_map_graph_new(ST_MAP_NET_COHASHTAG))) goto oom;
        int r = for_each_post(o, p, files, nfiles, net_post, &nc, &st);
        if (r == -ENOMEM) goto oom;
        if (r) goto out;
        if (!o->has_comm) o->algo = ST_MAP_LOUVAIN;
        o->runs = 1;
        if (st_map_community_measures(c.comm, 0) || run_communities(o, c.comm, &ncomm)) goto out;
        /* Label each community by its three hashtags of highest weighted degree. */
        c.labels = calloc((size_t)ncomm + 1, sizeof(char *));
        if (!c.labels) goto oom;
        size_t nn = st_map_graph_nnodes(c.comm);
        const st_map_node *nd = st_map_graph_nodes(c.comm);
        for (int k = 0; k < ncomm; k++) {
            int32_t best[3] = {-1, -1, -1};
            for (size_t i = 0; i < nn; i++) {
                if (nd[i].community != k) continue;
                int32_t x = (int32_t)i;
                for (int j = 0; j < 3; j++)
                    if (best[j] < 0 || nd[x].wdegree > nd[best[j]].wdegree ||
                        (nd[x].wdegree == nd[best[j]].wdegree && nd[x].count > nd[best[j]].count)) {
                        int32_t t = best[j];
                        best[j] = x;
                        x = t;
                        if (x < 0) break;
                    }
            }
            char label[256];
            int len = snprintf(label, sizeof(label), "c%d:", k);
            for (int j = 0; j < 3 && best[j] >= 0 && len < (int)sizeof(label); j++)
                len += snprintf(label + len, sizeof(label) - (size_t)len, " #%s", nd[best[j]].name);
            if (!(c.labels[k] = strdup(label))) goto oom;
        }
    }
    int r = for_each_post(o, p, files, nfiles,
                          !strcmp(o->by, "hashtag") ? tl_post_hashtag : tl_post, &c, &st);
    report_read(o, &st);
    if (r == -ENOMEM) goto oom;
    if (r) goto out;
    if (st.posts == 0) {
        fprintf(stderr, "stratum %s: no posts (%ld lines read)\n", o->cmdname, st.lines);
        goto out;
    }
    fprintf(stderr, "stratum %s: %lld counts in %zu series (%ld-second intervals)\n", o->cmdname,
            (long long)st_map_timeline_total(c.tl), st_map_timeline_nseries(c.tl), o->interval);
    if (st_map_timeline_total(c.tl) == 0)
        fprintf(stderr, "stratum %s: note: no post had both a time and a %s\n", o->cmdname, o->by);
    if (o->csv) {
        FILE *f = open_out(o, o->csv);
        if (!f || close_out(o, f, o->csv, st_map_timeline_write_csv(c.tl, f, (size_t)o->top)))
            goto out;
    }
    if (o->svg) {
        char title[256];
        if (!o->title)
            snprintf(title, sizeof(title), "posts per %ld s by %s (top %ld)", o->interval, o->by,
                     o->top);
        FILE *f = open_out(o, o->svg);
        if (!f || close_out(o, f, o->svg,
                            st_map_timeline_write_svg(c.tl, f, (size_t)o->top,
                                                      o->title ? o->title : title)))
            goto out;
    }
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "stratum %s: out of memory\n", o->cmdname);
out:
    if (c.labels)
        for (int k = 0; k < ncomm; k++) free(c.labels[k]);
    free(c.labels);
    st_map_graph_free(c.comm);
    st_map_timeline_free(c.tl);
    st_map_actors_free(actors);
    return rc;
}

/* ---- signals ------------------------------------------------------------ */

typedef struct sig_ctx {
    st_map_signals *s;
    FILE *out;
} sig_ctx;

static int sig_emit(void *vctx, const char *pack, size_t len)
{
    sig_ctx *c = vctx;
    if (fwrite(pack, 1, len, c->out) != len || fputc('\n', c->out) == EOF) return -EIO;
    return 0;
}

static int sig_post(void *vctx, const st_map_post_rec *r)
{
    sig_ctx *c = vctx;
    return st_map_signals_push(c->s, r, sig_emit, c);
}

static int cmd_signals(opts *o, char **files, int nfiles)
{
    int rc = 1;
    char err[512];
    st_map_post *p = NULL;
    sig_ctx c = {0};
    rstats st;
    if (!o->zones) {
        fprintf(stderr, "stratum %s: --zones FILE is required\n", o->cmdname);
        return 2;
    }
    int stream = 0;
    for (int i = 0; i < nfiles; i++) stream |= !strcmp(files[i], "-");
    long window = o->has_window ? o->window : stream ? 2 : -1;
    if (!(c.s = st_map_signals_new(o->zones, o->terms, window, err, sizeof(err)))) {
        fprintf(stderr, "stratum %s: %s\n", o->cmdname, err);
        return 1;
    }
    p = o->parser;
    c.out = o->out ? open_out(o, o->out) : stdout;
    if (!c.out) goto out;
    if (stream) setvbuf(c.out, NULL, _IOLBF, 0);
    int r = for_each_post(o, p, files, nfiles, sig_post, &c, &st);
    if (!r) r = st_map_signals_finish(c.s, sig_emit, &c);
    report_read(o, &st);
    st_map_signals_stats ss;
    st_map_signals_get_stats(c.s, &ss);
    fprintf(stderr,
            "stratum %s: %zu zones, %zu terms: %lld posts named a zone, %lld of them with an "
            "aggressive term; %lld packs written",
            o->cmdname, ss.zones, ss.terms, (long long)ss.matched, (long long)ss.aggressive,
            (long long)ss.packs);
    if (ss.late) fprintf(stderr, "; %lld late posts dropped (--window)", (long long)ss.late);
    fputc('\n', stderr);
    if (close_out(o, c.out, o->out ? o->out : "(stdout)", r == -EIO ? -EIO : 0)) goto out;
    if (r) goto out;
    rc = 0;
out:
    st_map_signals_free(c.s);
    return rc;
}

/* ---- stats -------------------------------------------------------------- */

typedef struct stats_ctx {
    long has[ST_MAP_S__COUNT];
    long lists[ST_MAP_L__COUNT], with[ST_MAP_L__COUNT], dropped;
    int has_t;
    int64_t tmin, tmax;
} stats_ctx;

static int stats_post(void *vctx, const st_map_post_rec *r)
{
    stats_ctx *c = vctx;
    for (int i = 0; i < ST_MAP_S__COUNT; i++) c->has[i] += r->has[i];
    for (int i = 0; i < ST_MAP_L__COUNT; i++) {
        c->lists[i] += r->n[i];
        c->with[i] += r->n[i] > 0;
    }
    c->dropped += r->dropped;
    if (r->has_t) {
        if (!c->has_t || r->t < c->tmin) c->tmin = r->t;
        if (!c->has_t || r->t > c->tmax) c->tmax = r->t;
        c->has_t = 1;
    }
    return 0;
}

static int cmd_stats(opts *o, char **files, int nfiles)
{
    static const char *const sn[ST_MAP_S__COUNT] = {"id",   "time",     "author",    "text",
                                                    "lang", "reply_to", "retweet_of"};
    static const char *const ln[ST_MAP_L__COUNT] = {"hashtags", "mentions", "urls"};
    stats_ctx c = {0};
    rstats st;
    int r = for_each_post(o, o->parser, files, nfiles, stats_post, &c, &st);
    report_read(o, &st);
    if (r) return 1;
    printf("posts\t%ld\nmalformed\t%ld\nblank\t%ld\n", st.posts, st.malformed, st.blank);
    for (int i = 0; i < ST_MAP_S__COUNT; i++) printf("with_%s\t%ld\n", sn[i], c.has[i]);
    for (int i = 0; i < ST_MAP_L__COUNT; i++)
        printf("%s\t%ld\nwith_%s\t%ld\n", ln[i], c.lists[i], ln[i], c.with[i]);
    if (c.dropped) printf("list_values_dropped\t%ld\n", c.dropped);
    if (c.has_t) {
        char a[32], b[32];
        st_map_export_time(c.tmin, a, sizeof(a));
        st_map_export_time(c.tmax, b, sizeof(b));
        printf("first\t%s\nlast\t%s\n", a, b);
    }
    if (st.posts == 0) {
        fprintf(stderr, "stratum %s: no posts (%ld lines read)\n", o->cmdname, st.lines);
        return 1;
    }
    return 0;
}

int st_cmd_map(int argc, char **argv)
{
    int vs = st_cli_verb_stage(argc, argv, usage);
    if (vs >= 0) return vs;
    opts o = {0};
    o.sub = argv[1];
    snprintf(o.cmdname, sizeof(o.cmdname), "map %s", o.sub);
    o.max_line = DEFAULT_MAX_LINE;
    o.net = ST_MAP_NET_COHASHTAG;
    o.seed = 1;
    o.runs = 1;
    o.resolution = 1.0;
    o.interval = 3600;
    o.top = 8;
    int (*fn)(opts *, char **, int) = NULL;
    if (!strcmp(o.sub, "network"))
        fn = cmd_network;
    else if (!strcmp(o.sub, "timeline"))
        fn = cmd_timeline;
    else if (!strcmp(o.sub, "signals"))
        fn = cmd_signals;
    else if (!strcmp(o.sub, "stats"))
        fn = cmd_stats;
    if (!fn) {
        fprintf(stderr, "stratum map: '%s' is not a map command; see 'stratum map --help'\n",
                o.sub);
        return 2;
    }
    optind = 1;
    int first = parse_opts(argc - 1, argv + 1, &o);
    if (first == -2) return 0;
    if (first < 0) return 2;
    if (!(o.parser = make_parser(&o))) return 2;
    int rc = fn(&o, argv + 1 + first, argc - 1 - first);
    st_map_post_free(o.parser);
    return rc;
}
