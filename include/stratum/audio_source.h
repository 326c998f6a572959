/* Audio input backends (libsndfile files, raw PCM on a descriptor, ALSA capture) behind one vtable.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_SOURCE_H
#define STRATUM_AUDIO_SOURCE_H

#include <stddef.h>

/* Lowest accepted sample rate: the analyser needs content up to 7 kHz. */
#define ST_SOURCE_MIN_RATE     16000
#define ST_SOURCE_MAX_RATE     384000
#define ST_SOURCE_MAX_CHANNELS 64

/* Backend operations. `self` is the backend's own state. read fills up to
 * `frames` interleaved frames of `channels` floats and returns the number of
 * frames read, 0 at end of stream, or a negative errno. */
typedef struct st_source_ops {
    long (*read)(void *self, float *interleaved, size_t frames);
    void (*close)(void *self);
} st_source_ops;

typedef struct st_source st_source; /* opaque: backend + channel handling */

/* Raw sample formats on a descriptor. */
typedef enum st_raw_format { ST_RAW_S16LE, ST_RAW_F32LE } st_raw_format;

/* channel: -1 downmixes (mean of all channels), k >= 0 picks channel k.
 * On failure every constructor returns NULL, sets errno and writes one line
 * "what: why" into err (errcap bytes, may be 0). */

/* WAV, FLAC, OGG... through libsndfile; path is borrowed. */
st_source *st_source_open_file(const char *path, int channel, char *err, size_t errcap);

/* A file image in memory (libsndfile virtual I/O); data is borrowed and must
 * outlive the source. Used by the fuzzer and tests. */
st_source *st_source_open_memory(const void *data, size_t len, int channel, char *err,
                                 size_t errcap);

/* Headerless PCM read from descriptor fd (borrowed, not closed). */
st_source *st_source_open_raw(int fd, st_raw_format fmt, int rate, int channels, int channel,
                              char *err, size_t errcap);

/* Live capture from ALSA PCM `device` (e.g. "default", "hw:1,0") at `rate`
 * with `channels` channels. */
st_source *st_source_open_alsa(const char *device, int rate, int channels, int channel, char *err,
                               size_t errcap);

/* A source over caller-provided backend ops (borrowed; self is transferred and
 * closed with ops->close). Returns NULL + errno on a bad rate/channel. */
st_source *st_source_new(const st_source_ops *ops, void *self, int rate, int channels, int channel);

/* Read up to `frames` mono frames into out (caller-owned): downmixed or the
 * chosen channel. Returns frames read, 0 at end, or a negative errno
 * (-EIO for a read error such as a truncated or corrupt file). */
long st_source_read(st_source *s, float *out, size_t frames);

int st_source_rate(const st_source *s);
int st_source_channels(const st_source *s);
/* Format description such as "WAV (Microsoft) 16 bit PCM" (borrowed). */
const char *st_source_describe(const st_source *s);
void st_source_free(st_source *s);

#endif
