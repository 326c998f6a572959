/* Audio input backends (libsndfile files, raw PCM on a descriptor, ALSA capture) behind one vtable.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <alsa/asoundlib.h>
#include <sndfile.h>

#include "stratum/audio_source.h"

#define CHUNK 1024 /* frames per backend read */

struct st_source {
    const st_source_ops *ops;
    void *self;
    int rate, channels, channel;
    float *buf; /* CHUNK interleaved frames */
    char desc[96];
};

static void set_err(char *err, size_t cap, const char *fmt, const char *a, const char *b)
{
    if (cap) snprintf(err, cap, fmt, a, b);
}

st_source *st_source_new(const st_source_ops *ops, void *self, int rate, int channels, int channel)
{
    st_source *s = calloc(1, sizeof(*s));
    if (!s) goto fail;
    s->ops = ops, s->self = self;
    if (rate < ST_SOURCE_MIN_RATE || rate > ST_SOURCE_MAX_RATE || channels < 1 ||
        channels > ST_SOURCE_MAX_CHANNELS || channel < -1 || channel >= channels) {
        errno = EINVAL;
        goto fail;
    }
    s->rate = rate, s->channels = channels, s->channel = channel;
    s->buf = malloc((size_t)CHUNK * (size_t)channels * sizeof(float));
    if (!s->buf) goto fail;
    return s;
fail:
    if (s)
        st_source_free(s);
    else if (ops && ops->close)
        ops->close(self);
    return NULL;
}

void st_source_free(st_source *s)
{
    if (!s) return;
    if (s->ops && s->ops->close) s->ops->close(s->self);
    free(s->buf);
    free(s);
}

long st_source_read(st_source *s, float *out, size_t frames)
{
    size_t done = 0;
    while (done < frames) {
        size_t want = frames - done < CHUNK ? frames - done : CHUNK;
        long got = s->ops->read(s->self, s->buf, want);
        if (got < 0) return done ? (long)done : got;
        if (got == 0) break;
        size_t c = (size_t)s->channels;
        float *o = out + done;
        if (c == 1) {
            memcpy(o, s->buf, (size_t)got * sizeof(float));
        } else if (s->channel >= 0) {
            for (size_t i = 0; i < (size_t)got; i++) o[i] = s->buf[i * c + (size_t)s->channel];
        } else {
            const float inv = 1.0f / (float)c;
            for (size_t i = 0; i < (size_t)got; i++) {
                const float *f = s->buf + i * c;
                float sum = 0.0f;
                for (size_t k = 0; k < c; k++) sum += f[k];
                o[i] = sum * inv;
            }
        }
        done += (size_t)got;
        if ((size_t)got < want) break;
    }
    return (long)done;
}

int st_source_rate(const st_source *s)
{
    return s->rate;
}

int st_source_channels(const st_source *s)
{
    return s->channels;
}

const char *st_source_describe(const st_source *s)
{
    return s->desc;
}

/* ---- libsndfile (files and memory images) ---- */

typedef struct snd_self {
    SNDFILE *f;
    int channels;
    /* memory image for virtual I/O */
    SF_VIRTUAL_IO vio;
    const unsigned char *data;
    sf_count_t len, pos;
} snd_self;

static long snd_read(void *self, float *x, size_t frames)
{
    snd_self *s = self;
    sf_count_t got = sf_readf_float(s->f, x, (sf_count_t)frames);
    if (got == 0 && sf_error(s->f)) return -EIO;
    return (long)got;
}

static void snd_close(void *self)
{
    snd_self *s = self;
    if (!s) return;
    if (s->f) sf_close(s->f);
    free(s);
}

static const st_source_ops snd_ops = {snd_read, snd_close};

static sf_count_t vio_len(void *u)
{
    return ((snd_self *)u)->len;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *u)
{
    snd_self *s = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? s->pos + off : s->len + off;
    if (p < 0 || p > s->len) return -1;
    s->pos = p;
    return p;
}

static sf_count_t vio_read(void *ptr, sf_count_t n, void *u)
{
    snd_self *s = u;
    if (n < 0) return 0;
    if (n > s->len - s->pos) n = s->len - s->pos;
    memcpy(ptr, s->data + s->pos, (size_t)n);
    s->pos += n;
    return n;
}

static sf_count_t vio_write(const void *ptr, sf_count_t n, void *u)
{
    return 0; /* read-only: nothing is ever written */
}

static sf_count_t vio_tell(void *u)
{
    return ((snd_self *)u)->pos;
}

static st_source *snd_finish(snd_self *ss, SF_INFO *info, int channel, const char *what, char *err,
                             size_t errcap)
{
    if (!ss->f) {
        set_err(err, errcap, "%s: %s", what, sf_strerror(NULL));
        snd_close(ss);
        errno = EINVAL;
        return NULL;
    }
    char msg[64];
    if (info->samplerate < ST_SOURCE_MIN_RATE || info->samplerate > ST_SOURCE_MAX_RATE) {
        snprintf(msg, sizeof(msg), "sample rate %d Hz is outside 16000..384000", info->samplerate);
        set_err(err, errcap, "%s: %s", what, msg);
        snd_close(ss);
        errno = ENOTSUP;
        return NULL;
    }
    if (info->channels < 1 || info->channels > ST_SOURCE_MAX_CHANNELS ||
        channel >= info->channels) {
        snprintf(msg, sizeof(msg), "channel %d requested, file has %d", channel, info->channels);
        set_err(err, errcap, "%s: %s", what, msg);
        snd_close(ss);
        errno = EINVAL;
        return NULL;
    }
    ss->channels = info->channels;
    /* float reads are normalised to -1..1 for integer formats */
    sf_command(ss->f, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    st_source *s = st_source_new(&snd_ops, ss, info->samplerate, info->channels, channel);
    if (!s) {
        set_err(err, errcap, "%s: %s", what, strerror(errno));
        return NULL;
    }
    SF_FORMAT_INFO fi = {.format = info->format & SF_FORMAT_TYPEMASK};
    const char *major = "audio";
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.name) major = fi.name;
    snprintf(s->desc, sizeof(s->desc), "%s, %d Hz, %d ch", major, info->samplerate, info->channels);
    return s;
}

st_source *st_source_open_file(const char *path, int channel, char *err, size_t errcap)
{
    snd_self *ss = calloc(1, sizeof(*ss));
    if (!ss) {
        set_err(err, errcap, "%s: %s", path, strerror(ENOMEM));
        return NULL;
    }
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    ss->f = sf_open(path, SFM_READ, &info);
    return snd_finish(ss, &info, channel, path, err, errcap);
}

st_source *st_source_open_memory(const void *data, size_t len, int channel, char *err,
                                 size_t errcap)
{
    snd_self *ss = calloc(1, sizeof(*ss));
    if (!ss) {
        set_err(err, errcap, "%s: %s", "memory", strerror(ENOMEM));
        return NULL;
    }
    ss->vio = (SF_VIRTUAL_IO){vio_len, vio_seek, vio_read, vio_write, vio_tell};
    ss->data = data;
    ss->len = (sf_count_t)len;
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    ss->f = sf_open_virtual(&ss->vio, SFM_READ, &info, ss);
    return snd_finish(ss, &info, channel, "memory image", err, errcap);
}

/* ---- raw PCM on a descriptor ---- */

typedef struct raw_self {
    int fd, channels;
    st_raw_format fmt;
    unsigned char buf[CHUNK * 8 * 4]; /* up to CHUNK frames of 8 float channels */
    size_t have;                      /* bytes of a partial frame carried over */
} raw_self;

static long raw_read(void *self, float *x, size_t frames)
{
    raw_self *r = self;
    size_t bps = r->fmt == ST_RAW_S16LE ? 2 : 4, fb = bps * (size_t)r->channels;
    size_t maxf = sizeof(r->buf) / fb;
    if (frames > maxf) frames = maxf;
    size_t want = frames * fb;
    while (r->have < fb) { /* block until at least one whole frame or EOF */
        ssize_t n = read(r->fd, r->buf + r->have, want - r->have);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) return 0; /* a trailing partial frame is dropped */
        r->have += (size_t)n;
    }
    size_t nf = r->have / fb, ns = nf * (size_t)r->channels;
    for (size_t i = 0; i < ns; i++) {
        const unsigned char *p = r->buf + i * bps;
        if (bps == 2) {
            int16_t v = (int16_t)(uint16_t)(p[0] | (p[1] << 8));
            x[i] = (float)v / 32768.0f;
        } else {
            uint32_t u =
                (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            float v;
            memcpy(&v, &u, sizeof(v));
            x[i] = v;
        }
    }
    size_t used = nf * fb;
    memmove(r->buf, r->buf + used, r->have - used);
    r->have -= used;
    return (long)nf;
}

static void raw_close(void *self)
{
    free(self);
}

static const st_source_ops raw_ops = {raw_read, raw_close};

st_source *st_source_open_raw(int fd, st_raw_format fmt, int rate, int channels, int channel,
                              char *err, size_t errcap)
{
    if (channels < 1 || channels > 8) {
        set_err(err, errcap, "%s: %s", "raw input", "channels must be 1..8");
        errno = EINVAL;
        return NULL;
    }
    raw_self *r = calloc(1, sizeof(*r));
    if (!r) {
        set_err(err, errcap, "%s: %s", "raw input", strerror(ENOMEM));
        return NULL;
    }
    r->fd = fd, r->channels = channels, r->fmt = fmt;
    st_source *s = st_source_new(&raw_ops, r, rate, channels, channel);
    if (!s) {
        set_err(err, errcap, "%s: %s", "raw input",
                "rate must be 16000..384000 Hz and channel below channels");
        return NULL;
    }
    snprintf(s->desc, sizeof(s->desc), "raw %s, %d Hz, %d ch",
             fmt == ST_RAW_S16LE ? "s16le" : "f32le", rate, channels);
    return s;
}

/* ---- ALSA capture ---- */

typedef struct alsa_self {
    snd_pcm_t *pcm;
} alsa_self;

static long alsa_read(void *self, float *x, size_t frames)
{
    alsa_self *a = self;
    for (;;) {
        snd_pcm_sframes_t n = snd_pcm_readi(a->pcm, x, (snd_pcm_uframes_t)frames);
        if (n >= 0) return (long)n;
        /* overrun or suspend: recover once and go on (a gap, not an error) */
        if (snd_pcm_recover(a->pcm, (int)n, 1) < 0) return -EIO;
    }
}

static void alsa_close(void *self)
{
    alsa_self *a = self;
    if (!a) return;
    if (a->pcm) snd_pcm_close(a->pcm);
    free(a);
}

static const st_source_ops alsa_ops = {alsa_read, alsa_close};

st_source *st_source_open_alsa(const char *device, int rate, int channels, int channel, char *err,
                               size_t errcap)
{
    alsa_self *a = calloc(1, sizeof(*a));
    if (!a) {
        set_err(err, errcap, "%s: %s", device, strerror(ENOMEM));
        return NULL;
    }
    int rc = snd_pcm_open(&a->pcm, device, SND_PCM_STREAM_CAPTURE, 0);
    if (rc == 0)
        rc = snd_pcm_set_params(a->pcm, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_ACCESS_RW_INTERLEAVED,
                                (unsigned)channels, (unsigned)rate, 1, 100000);
    if (rc < 0) {
        set_err(err, errcap, "ALSA device %s: %s", device, snd_strerror(rc));
        alsa_close(a);
        errno = ENODEV;
        return NULL;
    }
    st_source *s = st_source_new(&alsa_ops, a, rate, channels, channel);
    if (!s) {
        set_err(err, errcap, "ALSA device %s: %s", device, "bad rate or channel");
        return NULL;
    }
    snprintf(s->desc, sizeof(s->desc), "ALSA %.40s, %d Hz, %d ch", device, rate, channels);
    return s;
}
