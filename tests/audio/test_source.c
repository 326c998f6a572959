/* Unit tests for audio sources: files, memory images, raw PCM, errors, channel handling. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sndfile.h>

#include "st_test.h"
#include "stratum/audio_source.h"

static char dir[] = "/tmp/stratum-test-source-XXXXXX";

/* Write a stereo 16-bit WAV: left = +0.25, right = -0.5 (constant). */
static void write_wav(const char *path, int rate, int frames)
{
    SF_INFO info = {.samplerate = rate, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    CHECK(f != NULL);
    if (!f) return;
    float fr[2] = {0.25f, -0.5f};
    for (int i = 0; i < frames; i++) sf_writef_float(f, fr, 1);
    sf_close(f);
}

static void test_file_channels(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/a.wav", dir);
    write_wav(path, 16000, 5000);
    char err[256];
    float x[6000];
    st_source *s = st_source_open_file(path, -1, err, sizeof(err));
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_INT(st_source_rate(s), 16000);
    CHECK_EQ_INT(st_source_channels(s), 2);
    CHECK(strstr(st_source_describe(s), "WAV") != NULL);
    long n = st_source_read(s, x, 6000);
    CHECK_EQ_INT(n, 5000);
    CHECK_NEAR(x[100], -0.125, 1e-3); /* downmix: mean of the channels */
    CHECK_EQ_INT(st_source_read(s, x, 10), 0);
    st_source_free(s);
    s = st_source_open_file(path, 1, err, sizeof(err));
    CHECK(s && st_source_read(s, x, 10) == 10);
    CHECK_NEAR(x[5], -0.5, 1e-3);
    st_source_free(s);
    CHECK(st_source_open_file(path, 2, err, sizeof(err)) == NULL); /* no third channel */
    CHECK(strstr(err, "channel") != NULL);
}

static void test_errors(void)
{
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/low.wav", dir);
    write_wav(path, 8000, 100);
    errno = 0;
    CHECK(st_source_open_file(path, -1, err, sizeof(err)) == NULL);
    CHECK_EQ_INT(errno, ENOTSUP);
    CHECK(strstr(err, "8000") != NULL);
    CHECK(st_source_open_file("/nonexistent/x.wav", -1, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "/nonexistent/x.wav") != NULL);
    const char junk[] = "this is not audio at all, just text";
    CHECK(st_source_open_memory(junk, sizeof(junk), -1, err, sizeof(err)) == NULL);
}

static void test_memory_and_truncated(void)
{
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/m.wav", dir);
    write_wav(path, 48000, 4800);
    FILE *f = fopen(path, "rb");
    static unsigned char buf[65536];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    st_source *s = st_source_open_memory(buf, len, 0, err, sizeof(err));
    CHECK(s != NULL);
    float x[8192];
    CHECK_EQ_INT(st_source_read(s, x, 8192), 4800);
    CHECK_NEAR(x[0], 0.25, 1e-3);
    st_source_free(s);
    /* truncated image: fewer frames than the header says, but no crash */
    s = st_source_open_memory(buf, len / 2, -1, err, sizeof(err));
    if (s) {
        long n = st_source_read(s, x, 8192);
        CHECK(n >= 0 && n < 4800);
        st_source_free(s);
    }
    /* header only */
    CHECK(st_source_open_memory(buf, 20, -1, err, sizeof(err)) == NULL);
}

static void test_raw(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    int16_t pcm[6] = {16384, -16384, 8192, -8192, 0, 32767}; /* 3 stereo frames */
    CHECK(write(p[1], pcm, sizeof(pcm)) == (ssize_t)sizeof(pcm));
    CHECK(write(p[1], pcm, 3) == 3); /* and a partial frame, dropped */
    close(p[1]);
    char err[128];
    st_source *s = st_source_open_raw(p[0], ST_RAW_S16LE, 16000, 2, -1, err, sizeof(err));
    CHECK(s != NULL);
    float x[16];
    CHECK_EQ_INT(st_source_read(s, x, 16), 3);
    CHECK_NEAR(x[0], 0.0, 1e-6);
    CHECK_NEAR(x[2], 0.5, 1e-4);
    CHECK_EQ_INT(st_source_read(s, x, 16), 0);
    st_source_free(s);
    close(p[0]);
    CHECK(st_source_open_raw(0, ST_RAW_S16LE, 8000, 1, -1, err, sizeof(err)) == NULL);
    CHECK(st_source_open_raw(0, ST_RAW_S16LE, 16000, 1, 3, err, sizeof(err)) == NULL);
    st_source_free(NULL);
}

static void test_alsa_missing(void)
{
    char err[256];
    st_source *s = st_source_open_alsa("stratum_no_such_pcm", 48000, 1, -1, err, sizeof(err));
    CHECK(s == NULL);
    CHECK(strstr(err, "stratum_no_such_pcm") != NULL);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(test_file_channels);
    RUN(test_errors);
    RUN(test_memory_and_truncated);
    RUN(test_raw);
    RUN(test_alsa_missing);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return TEST_END("audio/source");
}
