/* Speed of the full audio analysis on a generated 10-minute 48 kHz file, against aubiopitch. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "stratum/audio_analyser.h"
#include "stratum/audio_source.h"

#define FS      48000
#define SECONDS 600
#define RUNS    5

extern char **environ;

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static uint32_t lcg(uint32_t *s)
{
    return *s = *s * 1664525u + 1013904223u;
}

/* A street-like test signal: pink-ish noise bed, a voiced harmonic burst with
 * gliding pitch every 7 s, an impulse with decay every 11 s, and a horn-like
 * steady tone every 13 s. Deterministic. */
static int write_signal(const char *path)
{
    SF_INFO info = {.samplerate = FS, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    static float buf[FS];
    uint32_t seed = 12345;
    double b0 = 0, b1 = 0, b2 = 0, ph = 0;
    for (int s = 0; s < SECONDS; s++) {
        for (int i = 0; i < FS; i++) {
            double t = s + (double)i / FS, w = ((double)lcg(&seed) / 4294967296.0) * 2 - 1;
            /* Paul Kellet's economy pink filter */
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            b2 = 0.57000 * b2 + w * 1.0526913;
            double x = 0.02 * (b0 + b1 + b2 + w * 0.1848);
            double tv = fmod(t, 7.0), ti = fmod(t, 11.0), th = fmod(t, 13.0);
            if (tv > 2.0 && tv < 3.2) { /* voice-like: 5 harmonics, F0 220 -> 380 Hz */
                double f0 = 220 + 160 * (tv - 2.0) / 1.2;
                ph += 2 * M_PI * f0 / FS;
                for (int h = 1; h <= 5; h++) x += 0.08 / h * sin(h * ph);
            }
            if (ti > 5.0 && ti < 5.6) x += 0.6 * w * exp(-(ti - 5.0) * 15);
            if (th > 9.0 && th < 9.8)
                x += 0.1 * sin(2 * M_PI * 420 * t) + 0.05 * sin(2 * M_PI * 840 * t);
            buf[i] = (float)x;
        }
        if (sf_writef_float(f, buf, FS) != FS) {
            sf_close(f);
            return -1;
        }
    }
    return sf_close(f);
}

/* Wall time of the full analysis; *cpu gets the CPU time it used (on a shared
 * machine the wall time also counts waiting for the core). */
static double analyse(const char *path, const st_detect_model *model, long *nev, double *cpu)
{
    char err[256];
    double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    st_source *src = st_source_open_file(path, -1, err, sizeof(err));
    if (!src) {
        fprintf(stderr, "audio-speed: %s\n", err);
        exit(1);
    }
    st_analyser_config c;
    st_analyser_config_default(&c, st_source_rate(src));
    c.model = model;
    st_analyser *a = st_analyser_new(&c);
    static float x[8192];
    long got;
    st_audio_second s;
    st_audio_event e;
    *nev = 0;
    while ((got = st_source_read(src, x, 8192)) > 0) {
        st_analyser_push(a, x, (size_t)got);
        while (st_analyser_next_second(a, &s)) {
        }
        while (st_analyser_next_event(a, &e)) (*nev)++;
    }
    st_analyser_flush(a);
    while (st_analyser_next_event(a, &e)) (*nev)++;
    st_analyser_free(a);
    st_source_free(src);
    *cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    return now() - t0;
}

/* Run aubiopitch on the file (output discarded): wall time, CPU time (user +
 * system of the child) in *cpu; -1 if it cannot run. */
static double aubiopitch(const char *path, double *cpu)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"aubiopitch", "-i", (char *)path, NULL};
    pid_t pid;
    double t0 = now();
    int rc = posix_spawnp(&pid, "aubiopitch", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -1;
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) return -1;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    return now() - t0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The shipped event model, data/audio-model.txt, found from the current
 * folder or from the binary (build/bench/ -> ../../data); NULL if absent. */
static st_detect_model *load_model(char *path, size_t cap)
{
    char exe[PATH_MAX], err[512];
    snprintf(path, cap, "data/audio-model.txt");
    if (access(path, R_OK) != 0) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0) return NULL;
        exe[n] = 0;
        for (int up = 0; up < 3 && access(path, R_OK) != 0; up++) {
            char *sl = strrchr(exe, '/');
            if (!sl) return NULL;
            *sl = 0;
            if ((size_t)snprintf(path, cap, "%s/data/audio-model.txt", exe) >= cap) return NULL;
        }
        if (access(path, R_OK) != 0) return NULL;
    }
    st_detect_model *m = st_detect_model_load(path, err, sizeof(err));
    if (!m) fprintf(stderr, "audio-speed: %s (using the rules)\n", err);
    return m;
}

int main(int argc, char **argv)
{
    char path[] = "/tmp/stratum-audio-speed-XXXXXX.wav";
    int fd = mkstemps(path, 4);
    if (fd < 0 || (close(fd), write_signal(path))) {
        fprintf(stderr, "audio-speed: cannot write %s\n", path);
        return 1;
    }
    char mpath[PATH_MAX];
    st_detect_model *model = load_model(mpath, sizeof(mpath));
    double ta[RUNS], tb[RUNS], ca[RUNS], cb[RUNS];
    long nev = 0;
    int have_aubio = 1;
    for (int r = 0; r < RUNS; r++) {
        ta[r] = analyse(path, model, &nev, &ca[r]);
        tb[r] = have_aubio ? aubiopitch(path, &cb[r]) : -1;
        if (tb[r] < 0) have_aubio = 0;
    }
    unlink(path);
    qsort(ta, RUNS, sizeof(double), cmp);
    qsort(ca, RUNS, sizeof(double), cmp);
    double ma = ta[RUNS / 2], mca = ca[RUNS / 2];
    printf("signal: generated %d s, %d Hz mono, 16-bit WAV; detector: %s\n", SECONDS, FS,
           model ? mpath : "rules (no data/audio-model.txt)");
    st_detect_model_free(model);
    printf("stratum full analysis: median %.3f s of %d runs, real-time factor %.0fx (%ld events)\n",
           ma, RUNS, SECONDS / ma, nev);
    printf("stratum cpu time: median %.3f s, real-time factor per core %.0fx\n", mca,
           SECONDS / mca);
    if (have_aubio) {
        qsort(tb, RUNS, sizeof(double), cmp);
        qsort(cb, RUNS, sizeof(double), cmp);
        double mb = tb[RUNS / 2], mcb = cb[RUNS / 2];
        printf("aubiopitch (baseline): median %.3f s of %d runs, real-time factor %.0fx\n", mb,
               RUNS, SECONDS / mb);
        printf("aubiopitch cpu time: median %.3f s, real-time factor per core %.0fx\n", mcb,
               SECONDS / mcb);
        printf("ratio: stratum is %.2fx the speed of aubiopitch (cpu time: %.2fx)\n", mb / ma,
               mcb / mca);
    } else {
        printf("aubiopitch (baseline): not run (install Debian package aubio-tools)\n");
    }
    return 0;
}
