/* bench/map: posts/s parsed and counted into the co-hashtag network, median of 5, against jq. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * usage: build/bench/map [--posts N] [POSTS_DIR]   (default 20000 posts,
 * ../shared/data/text/posts)
 *
 * Builds a stream of N full Twitter v1.1 posts by repeating the shared posts
 * (the .jsonl files MANIFEST.tsv lists) with shifted ids: copy r adds
 * r * 10^15 to the post's id wherever the id's digits appear in the line.
 * Then, on that one file, median of 5 runs each:
 *   - stratum: read lines, parse every post (full RFC 8259 validation), count
 *     its hashtags into the co-hashtag network (st_map_graph_add_post);
 *   - baseline: jq -c '[.entities.hashtags[].text]' FILE > /dev/null
 *     (extraction only, no counting), the tool researchers reach for.
 * Prints posts/s (wall clock and CPU time; CPU time is what to compare on a
 * shared machine) and the ratio. Target: >= 100,000 posts/s and faster than
 * jq. Exit status 0 unless something failed to run; times never fail it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#include "stratum/map_graph.h"
#include "stratum/map_lines.h"
#include "stratum/map_post.h"

#define RUNS     5
#define MAX_LINE (1u << 20)

/* The .jsonl files named in MANIFEST.tsv's first column. */
static int manifest(const char *dir, char files[][512], int max)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof(line), f) && n < max) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = '\0';
        size_t k = strlen(line);
        if (k > 6 && k < 200 && strlen(dir) < 300 && !strcmp(line + k - 6, ".jsonl"))
            snprintf(files[n++], sizeof(files[0]), "%.300s/%.200s", dir, line);
    }
    fclose(f);
    return n;
}

/* Write copy r of line (id digits shifted) to out. */
static void write_shifted(FILE *out, const char *line, size_t len, const st_map_post_rec *rec,
                          long r)
{
    const st_map_str *id = &rec->s[ST_MAP_ID];
    char idbuf[32], shifted[32];
    if (!rec->has[ST_MAP_ID] || id->len == 0 || id->len >= sizeof(idbuf) || r == 0) {
        fwrite(line, 1, len, out);
        fputc('\n', out);
        return;
    }
    memcpy(idbuf, id->s, id->len);
    idbuf[id->len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(idbuf, &end, 10);
    if (errno || *end) {
        fwrite(line, 1, len, out);
        fputc('\n', out);
        return;
    }
    snprintf(shifted, sizeof(shifted), "%llu", v + (unsigned long long)r * 1000000000000000ull);
    const char *s = line, *e = line + len;
    while (s < e) {
        const char *hit = memmem(s, (size_t)(e - s), idbuf, id->len);
        if (!hit) break;
        fwrite(s, 1, (size_t)(hit - s), out);
        fputs(shifted, out);
        s = hit + id->len;
    }
    fwrite(s, 1, (size_t)(e - s), out);
    fputc('\n', out);
}

static long build_stream(const char *dir, const char *out_path, long want, size_t *bytes)
{
    char files[16][512];
    int nf = manifest(dir, files, 16);
    if (nf <= 0) return -1;
    FILE *out = fopen(out_path, "w");
    st_map_post *p = st_map_post_new(MAX_LINE);
    st_map_post_rec *rec = malloc(sizeof(*rec));
    if (!out || !p || !rec) return -1;
    long n = 0;
    for (long r = 0; n < want; r++) {
        long before = n;
        for (int i = 0; i < nf && n < want; i++) {
            int fd = open(files[i], O_RDONLY);
            if (fd < 0) continue;
            st_map_lines *lr = st_map_lines_new(fd, MAX_LINE);
            const char *line;
            size_t len;
            while (n < want && lr && st_map_lines_next(lr, &line, &len) == 1) {
                if (st_map_post_parse(p, line, len, rec, NULL)) continue;
                write_shifted(out, line, len, rec, r);
                n++;
            }
            st_map_lines_free(lr);
            close(fd);
        }
        if (n == before) break; /* no post at all */
    }
    *bytes = (size_t)ftell(out);
    fclose(out);
    free(rec);
    st_map_post_free(p);
    return n;
}

/* One stratum run: returns posts counted, or -1. */
static long run_stratum(const char *path, long *hashtags, size_t *edges)
{
    int fd = open(path, O_RDONLY);
    st_map_lines *lr = st_map_lines_new(fd, MAX_LINE);
    st_map_post *p = st_map_post_new(MAX_LINE);
    st_map_graph *g = st_map_graph_new(ST_MAP_NET_COHASHTAG);
    st_map_post_rec *rec = malloc(sizeof(*rec));
    long n = -1;
    if (fd >= 0 && lr && p && g && rec) {
        const char *line;
        size_t len;
        n = 0;
        *hashtags = 0;
        while (st_map_lines_next(lr, &line, &len) == 1) {
            if (st_map_post_parse(p, line, len, rec, NULL)) continue;
            if (st_map_graph_add_post(g, rec, NULL) < 0) {
                n = -1;
                break;
            }
            *hashtags += rec->n[ST_MAP_HASHTAGS];
            n++;
        }
        *edges = st_map_graph_nedges(g);
    }
    free(rec);
    st_map_graph_free(g);
    st_map_post_free(p);
    st_map_lines_free(lr);
    if (fd >= 0) close(fd);
    return n;
}

/* One jq run: wall and CPU (user + sys) seconds, or -1 when jq cannot run. */
static int run_jq(const char *path, double *wall, double *cpu)
{
    double t0 = bench_clock(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("jq", "jq", "-c", "[.entities.hashtags[].text]", path, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return -1;
    *wall = bench_clock(CLOCK_MONOTONIC) - t0;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *dir = "../shared/data/text/posts";
    long want = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--posts") && i + 1 < argc) {
            char *end;
            errno = 0;
            want = strtol(argv[++i], &end, 10);
            if (errno || *end || want < 1 || want > 100000000) {
                fprintf(stderr, "bench/map: --posts: 1..100000000\n");
                return 2;
            }
        } else {
            dir = argv[i];
        }
    }
    char path[] = "/tmp/stratum-bench-map-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("bench/map: mkstemp");
        return 1;
    }
    close(fd);
    size_t bytes = 0;
    long n = build_stream(dir, path, want, &bytes);
    if (n <= 0) {
        fprintf(stderr, "bench/map: SKIP: no posts under %s (MANIFEST.tsv)\n", dir);
        unlink(path);
        return 0;
    }
    printf("bench/map: stream of %ld posts, %.1f MB (%.0f bytes/post), from %s\n", n,
           (double)bytes / 1e6, (double)bytes / (double)n, dir);
    double wall[RUNS], cpu[RUNS];
    long tags = 0;
    size_t edges = 0;
    for (int r = 0; r < RUNS; r++) {
        double w0 = bench_clock(CLOCK_MONOTONIC), c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
        long got = run_stratum(path, &tags, &edges);
        wall[r] = bench_clock(CLOCK_MONOTONIC) - w0;
        cpu[r] = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (got != n) {
            fprintf(stderr, "bench/map: run %d counted %ld posts, expected %ld\n", r, got, n);
            unlink(path);
            return 1;
        }
    }
    double sw = bench_median(wall, RUNS), sc = bench_median(cpu, RUNS);
    printf("stratum map (parse + co-hashtag count): median of %d: %.0f posts/s wall, %.0f "
           "posts/s CPU (%.1f MB/s CPU); %ld hashtags, %zu edges\n",
           RUNS, (double)n / sw, (double)n / sc, (double)bytes / 1e6 / sc, tags, edges);
    double jw[RUNS], jc[RUNS];
    int jq_ok = 1;
    for (int r = 0; r < RUNS && jq_ok; r++) jq_ok = run_jq(path, &jw[r], &jc[r]) == 0;
    if (jq_ok) {
        double mw = bench_median(jw, RUNS), mc = bench_median(jc, RUNS);
        printf("baseline jq -c '[.entities.hashtags[].text]': median of %d: %.0f posts/s wall, "
               "%.0f posts/s CPU\n",
               RUNS, (double)n / mw, (double)n / mc);
        printf("ratio stratum/jq: %.1fx wall, %.1fx CPU\n", mw / sw, mc / sc);
    } else {
        printf("baseline jq: not run (jq missing or failed)\n");
    }
    printf("target: >= 100000 posts/s on one core: %s (CPU time)\n",
           (double)n / sc >= 100000 ? "met" : "NOT met");
    unlink(path);
    return 0;
}
