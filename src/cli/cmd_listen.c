/* stratum listen: the edge audio analyser; levels, bands and events per second as SenML. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stratum/devkey.h"
#include "stratum/mqtt_pub.h"
#include "stratum/audio_analyser.h"
#include "stratum/audio_source.h"
#include "stratum/obs.h"
#include "stratum/senml_writer.h"

#define CMD "listen"

/* Signal handlers only set this flag; the read loop acts on it. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

#define LISTEN_MAX_MICS 256 /* [mic ID] sections in one --params file */

typedef struct listen_opts {
    const char *input; /* file path, "-" for raw stdin, NULL with --alsa */
    const char *alsa;
    const char *zone, *device;
    int rate, channels, channel;
    st_raw_format raw_fmt;
    int summary, no_bands;
    double t0;              /* base time; < 0 means the wall clock at start */
    double max_s;           /* stop after this many seconds of input (0 = no limit) */
    const char *model_path; /* --model: a model file, or "rules"; NULL = default */
    const char *publish, *key, *street, *version; /* --publish URL --key FILE ... */
    const char *ca, *cert, *certkey;              /* mqtts: --ca --cert --certkey */
    /* Calibration: --cal wins; else the --params file's [mic ID] section for
     * this device; else its top-level cal_db; else the default. Applied once
     * the device is known (--device, or the key file when publishing). */
    int cal_set, file_cal_set;
    double file_cal;
    struct {
        char id[ST_ID_MAX];
        double cal_db;
    } mic[LISTEN_MAX_MICS];
    int nmic;
    st_analyser_config cfg;
    st_mqtt_pub *pub; /* set while publishing: packs go here instead of stdout */
} listen_opts;

/*
 * The one audited output function. Everything `stratum listen` prints (SenML
 * packs, the summary table, warnings and errors) is text formatted into a
 * buffer first and passes through here; no other function in this command or
 * in the audio library writes to a stream, file or socket. Audio samples are
 * never formatted: the buffers handed here hold levels, band energies, event
 * labels and confidences only (tests/integration/listen_privacy.sh proves
 * that no sample bytes reach any write system call).
 */
static void out_text(FILE *f, const char *text, size_t len)
{
    if (len) fwrite(text, 1, len, f);
    fflush(f);
}

/* The same audit holds for --publish: a pack (the formatted SenML text above,
 * never samples) is signed and handed to MQTT instead of the stream. */
static int out_pack(const listen_opts *o, const char *pack, size_t len, double t)
{
    if (o->pub) return st_mqtt_pub_send(o->pub, pack, len, t);
    char line[8193];
    if (len >= sizeof(line)) return -E2BIG;
    memcpy(line, pack, len);
    line[len] = '\n';
    out_text(stdout, line, len + 1);
    return 0;
}

static void say(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *f, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    out_text(f, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void usage(FILE *f)
{
    say(f, "%s",
        "usage: stratum listen [OPTIONS] FILE|-\n"
        "       stratum listen [OPTIONS] --alsa PCM\n"
        "(on a sensor box: stratum-listen, the same command linked alone, ~6 MB resident)\n"
        "Analyse sound: per second LAeq, LAFmax, LCpeak (IEC 61672-1), 1/3-octave band\n"
        "levels (IEC 61260-1), crowd babble and raucous events (shout, scream, glass,\n"
        "bang), written as SenML packs, one per line, to stdout. Audio stays in a\n"
        "bounded RAM ring buffer and is never written anywhere.\n\n"
        "input:\n"
        "  FILE               WAV, FLAC, OGG... (libsndfile), any rate >= 16 kHz\n"
        "  -                  raw PCM on stdin (--rate, --channels, --format)\n"
        "  --alsa PCM         live ALSA capture, e.g. default or hw:1,0 (--rate, --channels)\n"
        "  --rate HZ          raw/ALSA sample rate (default 48000)\n"
        "  --channels N       raw/ALSA channel count (default 1)\n"
        "  --format s16|f32   raw sample format, little-endian (default s16)\n"
        "  --channel K        analyse channel K (0-based) instead of the downmix\n"
        "  --max-seconds S    stop after S seconds of input\n"
        "calibration and detection:\n"
        "  --cal DB           calibration offset: level of a full-scale square wave (default 100)\n"
        "  --set KEY=VALUE    detector threshold (see docs/audio.md; --list-params)\n"
        "  --params FILE      thresholds as KEY = VALUE lines ('#' comments), cal_db,\n"
        "                     and [mic ID] sections with each microphone's cal_db\n"
        "  --list-params      print the detector thresholds and exit\n"
        "  --model FILE|rules event classifier (default: data/audio-model.txt of the\n"
        "                     installation if present, else the hand-written rules)\n"
        "output:\n"
        "  --zone ID          zone of the SenML names (default z1)\n"
        "  --device ID        device of the SenML names (default mic1)\n"
        "  --t0 EPOCH         base time of the first second (default: now)\n"
        "  --no-bands         leave the 1/3-octave bands out of the packs\n"
        "  --summary          print a human-readable table instead of SenML\n"
        "publishing (docs/wire.md):\n"
        "  --publish URL      sign each pack and publish it over MQTT (mqtt://HOST[:PORT]\n"
        "                     or mqtts://) instead of printing it; zone and device come\n"
        "                     from the key file\n"
        "  --key FILE         the device's key file from 'stratum device add' (mode 0600)\n"
        "  --street S         topic street (default stratumseind)\n"
        "  --version V        software version the device reports (default 1.0.0)\n"
        "  --ca F, --cert F, --certkey F   TLS for mqtts://: the CA that signed the\n"
        "                     broker's certificate, the device's certificate and key\n");
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n >= ST_ID_MAX) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int set_param(listen_opts *o, const char *kv, const char *where)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", kv);
    char *eq = strchr(buf, '=');
    if (!eq) {
        say(stderr, "stratum listen: %s: '%s' is not KEY=VALUE\n", where, kv);
        return -1;
    }
    *eq = 0;
    char *k = buf, *v = eq + 1;
    while (*k == ' ' || *k == '\t') k++;
    for (char *e = k + strlen(k); e > k && (e[-1] == ' ' || e[-1] == '\t'); e--) e[-1] = 0;
    while (*v == ' ' || *v == '\t') v++;
    for (char *e = v + strlen(v);
         e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
        e[-1] = 0;
    int rc = st_detect_params_set(&o->cfg.detect, k, v);
    if (rc == -ERANGE) {
        say(stderr, "stratum listen: %s: %s = %s is out of range\n", where, k, v);
        return -1;
    }
    if (rc) {
        say(stderr, "stratum listen: %s: unknown key '%s' or bad value '%s'\n", where, k, v);
        return -1;
    }
    return 0;
}

/* Calibration offsets accepted from --cal and from the config file, dB. */
#define CAL_MIN_DB -50.0
#define CAL_MAX_DB 250.0

/* The value of a "cal_db = V" line at `where` (file:line), through the same
 * number check as --cal: 0, or -1 after saying why. */
static int parse_cal(char *kv, const char *where, double *out)
{
    char *v = strchr(kv, '='), label[340];
    if (!v) {
        say(stderr, "stratum listen: %s: 'cal_db' is not KEY=VALUE\n", where);
        return -1;
    }
    v++;
    while (*v == ' ' || *v == '\t') v++;
    for (char *e = v + strlen(v);
         e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
        e[-1] = 0;
    snprintf(label, sizeof(label), "%s: cal_db", where);
    return st_cli_parse_double(CMD, label, v, CAL_MIN_DB, CAL_MAX_DB, out);
}

/* The analyser's configuration file: detector thresholds and calibration.
 *   # thresholds (--list-params), and the calibration of any microphone
 *   active_db = 6
 *   cal_db = 100
 *   [mic meter-1]        # one section per microphone (device id)
 *   cal_db = 101.3       # its own calibration offset, dB
 */
static int load_params(listen_opts *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        say(stderr, "stratum listen: --params %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256], where[320];
    int no = 0, rc = 0, mic = -1; /* mic: the [mic ID] section we are in, or -1 */
    while (!rc && fgets(line, sizeof(line), f)) {
        no++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        char *hash = strchr(p, '#');
        if (hash) *hash = 0;
        if (*p == '\n' || *p == '\r' || !*p) continue;
        snprintf(where, sizeof(where), "%.256s:%d", path, no);
        if (*p == '[') {
            char id[64];
            int n = 0;
            if (sscanf(p, "[mic %63[^]]]%n", id, &n) != 1 || n == 0 || !valid_id(id)) {
                say(stderr, "stratum listen: %s: expected [mic ID] with ID like meter-1\n", where);
                rc = -1;
                break;
            }
            for (int k = 0; k < o->nmic; k++)
                if (!strcmp(o->mic[k].id, id)) {
                    say(stderr, "stratum listen: %s: [mic %s] given twice\n", where, id);
                    rc = -1;
                }
            if (rc) break;
            if (o->nmic == LISTEN_MAX_MICS) {
                say(stderr, "stratum listen: %s: more than %d microphones\n", where,
                    LISTEN_MAX_MICS);
                rc = -1;
                break;
            }
            mic = o->nmic++;
            memcpy(o->mic[mic].id, id, strlen(id) + 1); /* valid_id: shorter than ST_ID_MAX */
            o->mic[mic].cal_db = NAN; /* a section without cal_db uses the default */
            continue;
        }
        size_t kl = strcspn(p, " \t=");
        int is_cal = kl == 6 && !strncmp(p, "cal_db", 6);
        if (mic >= 0 && !is_cal) {
            say(stderr, "stratum listen: %s: only cal_db may be set per microphone\n", where);
            rc = -1;
        } else if (is_cal) {
            rc = parse_cal(p, where, mic >= 0 ? &o->mic[mic].cal_db : &o->file_cal);
            if (!rc && mic < 0) o->file_cal_set = 1;
        } else {
            rc = set_param(o, p, where);
        }
    }
    fclose(f);
    return rc;
}

/* The calibration the device `id` gets when --cal did not set one. */
static void apply_cal(listen_opts *o, const char *id)
{
    if (o->cal_set) return;
    for (int k = 0; k < o->nmic; k++)
        if (!strcmp(o->mic[k].id, id) && isfinite(o->mic[k].cal_db)) {
            o->cfg.cal_db = o->mic[k].cal_db;
            return;
        }
    if (o->file_cal_set) o->cfg.cal_db = o->file_cal;
}

/* Options that only keep their text: where option `a` stores it, or NULL. */
static const char **string_option(listen_opts *o, const char *a)
{
    static const struct {
        const char *name;
        size_t off;
    } opts[] = {
        {"--model", offsetof(listen_opts, model_path)},
        {"--publish", offsetof(listen_opts, publish)},
        {"--key", offsetof(listen_opts, key)},
        {"--street", offsetof(listen_opts, street)},
        {"--version", offsetof(listen_opts, version)},
        {"--ca", offsetof(listen_opts, ca)},
        {"--cert", offsetof(listen_opts, cert)},
        {"--certkey", offsetof(listen_opts, certkey)},
    };
    for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
        if (!strcmp(a, opts[k].name)) return (const char **)(void *)((char *)o + opts[k].off);
    return NULL;
}

static int parse_args(listen_opts *o, int argc, char **argv)
{
    long lv;
    const char **sv;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                                                                     \
    do {                                                                                           \
        if (!v) {                                                                                  \
            say(stderr, "stratum listen: %s needs a value\n", a);                                  \
            return -1;                                                                             \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--alsa")) {
            NEED();
            o->alsa = v;
        } else if (!strcmp(a, "--rate")) {
            NEED();
            if (st_cli_parse_long(CMD, a, v, ST_SOURCE_MIN_RATE, ST_SOURCE_MAX_RATE, &lv))
                return -1;
            o->rate = (int)lv;
        } else if (!strcmp(a, "--channels")) {
            NEED();
            if (st_cli_parse_long(CMD, a, v, 1, 8, &lv)) return -1;
            o->channels = (int)lv;
        } else if (!strcmp(a, "--channel")) {
            NEED();
            if (st_cli_parse_long(CMD, a, v, 0, ST_SOURCE_MAX_CHANNELS - 1, &lv)) return -1;
            o->channel = (int)lv;
        } else if (!strcmp(a, "--format")) {
            NEED();
            if (!strcmp(v, "s16"))
                o->raw_fmt = ST_RAW_S16LE;
            else if (!strcmp(v, "f32"))
                o->raw_fmt = ST_RAW_F32LE;
            else {
                say(stderr, "stratum listen: --format: '%s' is not s16 or f32\n", v);
                return -1;
            }
        } else if (!strcmp(a, "--max-seconds")) {
            NEED();
            if (st_cli_parse_double(CMD, a, v, 0.0, 1e9, &o->max_s)) return -1;
        } else if (!strcmp(a, "--cal")) {
            NEED();
            if (st_cli_parse_double(CMD, a, v, CAL_MIN_DB, CAL_MAX_DB, &o->cfg.cal_db)) return -1;
            o->cal_set = 1;
        } else if (!strcmp(a, "--set")) {
            NEED();
            if (set_param(o, v, "--set")) return -1;
        } else if (!strcmp(a, "--params")) {
            NEED();
            if (load_params(o, v)) return -1;
        } else if (!strcmp(a, "--list-params")) {
            double val;
            const char *name;
            for (size_t k = 0; (name = st_detect_params_name(k, &o->cfg.detect, &val)); k++)
                say(stdout, "%s = %g\n", name, val);
            return 1;
        } else if (!strcmp(a, "--zone") || !strcmp(a, "--device")) {
            NEED();
            if (!valid_id(v)) {
                say(stderr, "stratum listen: %s: '%s' must match [A-Za-z0-9_-]{1,31}\n", a, v);
                return -1;
            }
            if (a[2] == 'z')
                o->zone = v;
            else
                o->device = v;
        } else if (!strcmp(a, "--t0")) {
            NEED();
            if (st_cli_parse_double(CMD, a, v, 0.0, 4e9, &o->t0)) return -1;
        } else if (!strcmp(a, "--no-bands")) {
            o->no_bands = 1;
        } else if (!strcmp(a, "--summary")) {
            o->summary = 1;
        } else if ((sv = string_option(o, a)) != NULL) {
            NEED();
            *sv = v;
        } else if (a[0] == '-' && a[1]) {
            say(stderr, "stratum listen: unknown option %s; see 'stratum listen --help'\n", a);
            return -1;
        } else if (o->input) {
            say(stderr, "stratum listen: only one input; got '%s' and '%s'\n", o->input, a);
            return -1;
        } else {
            o->input = a;
        }
#undef NEED
    }
    if (!o->input == !o->alsa) {
        say(stderr, "stratum listen: give one input: FILE, - (raw stdin) or --alsa PCM\n");
        return -1;
    }
    if (!o->publish != !o->key) {
        say(stderr, "stratum listen: --publish URL and --key FILE go together\n");
        return -1;
    }
    if (o->publish && o->summary) {
        say(stderr, "stratum listen: --summary prints a table; it cannot be published\n");
        return -1;
    }
    return 0;
}

/* Clamp a level into the quantity's accepted range (docs/observations.md). */
static double clamp_level(double db)
{
    return db < 0.0 ? 0.0 : (db > 200.0 ? 200.0 : db);
}

static void emit_pack(const listen_opts *o, double t0, const st_audio_second *s,
                      const st_audio_event *ev, size_t nev)
{
    char buf[8192];
    st_senml_writer w;
    double bt = t0 + s->t;
    st_senml_writer_init(&w, buf, sizeof(buf), o->zone, o->device, bt);
    st_senml_writer_add(&w, "LAeq", "dB", clamp_level(s->level.laeq), 0);
    st_senml_writer_add(&w, "LAFmax", "dB", clamp_level(s->level.lafmax), 0);
    st_senml_writer_add(&w, "LCpeak", "dB", clamp_level(s->level.lcpeak), 0);
    if (!o->no_bands)
        for (size_t i = 0; i < ST_BANDS_N; i++) {
            if (isnan(s->band_db[i])) continue;
            char name[16];
            snprintf(name, sizeof(name), "band:%s", st_bands_nominal_name(i));
            st_senml_writer_add(&w, name, "dB", clamp_level(s->band_db[i]), 0);
        }
    st_senml_writer_add(&w, "crowd", "/", s->crowd, 0);
    for (size_t i = 0; i < nev; i++) {
        char name[24];
        snprintf(name, sizeof(name), "event:%s", st_event_kind_name(ev[i].kind));
        /* an event record is timed at its onset (may precede this second) */
        st_senml_writer_add(&w, name, "/", ev[i].confidence, t0 + ev[i].start - bt);
    }
    int n = st_senml_writer_finish(&w);
    if (n < 0) {
        say(stderr, "stratum listen: second %.0f: pack too large, dropped\n", s->t);
        return;
    }
    int rc = out_pack(o, buf, (size_t)n, bt);
    if (rc < 0)
        say(stderr, "stratum listen: second %.0f: pack not sent (%s)\n", s->t, strerror(-rc));
}

typedef struct summary {
    long seconds, clipped_s, silent_s;
    double e_sum, lafmax, lcpeak;
    long nev[ST_EV__COUNT];
} summary;

static void summary_second(summary *sm, const st_audio_second *s)
{
    sm->seconds++;
    if (s->level.laeq > -999) sm->e_sum += pow(10.0, s->level.laeq / 10.0) * s->level.seconds;
    if (s->level.lafmax > sm->lafmax) sm->lafmax = s->level.lafmax;
    if (s->level.lcpeak > sm->lcpeak) sm->lcpeak = s->level.lcpeak;
    sm->clipped_s += s->level.clipped > 0;
    sm->silent_s += s->level.silent;
    say(stdout, "%6.0f  %6.1f  %6.1f  %6.1f  %5.2f  %s%s\n", s->t, s->level.laeq, s->level.lafmax,
        s->level.lcpeak, s->crowd, s->level.clipped ? "clipped " : "",
        s->level.silent ? "silent" : "");
}

static int run(listen_opts *o)
{
    char err[320];
    st_source *src;
    if (o->alsa)
        src = st_source_open_alsa(o->alsa, o->rate, o->channels, o->channel, err, sizeof(err));
    else if (!strcmp(o->input, "-"))
        src = st_source_open_raw(0, o->raw_fmt, o->rate, o->channels, o->channel, err, sizeof(err));
    else
        src = st_source_open_file(o->input, o->channel, err, sizeof(err));
    if (!src) {
        say(stderr, "stratum listen: %s\n", err);
        return 1;
    }
    double fs = st_source_rate(src);
    o->cfg.fs = fs;
    st_analyser *an = st_analyser_new(&o->cfg);
    if (!an) {
        say(stderr, "stratum listen: cannot start the analyser: %s\n", strerror(errno));
        st_source_free(src);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    double t0 = o->t0 >= 0 ? o->t0 : (double)time(NULL);
    summary sm;
    memset(&sm, 0, sizeof(sm));
    sm.lafmax = sm.lcpeak = -999;
    if (o->summary) {
        say(stdout, "# %s: %s\n", o->input ? o->input : o->alsa, st_source_describe(src));
        say(stdout, "#   t/s    LAeq  LAFmax  LCpeak  crowd  flags\n");
    }
    float x[4096];
    long total = 0, limit = o->max_s > 0 ? (long)(o->max_s * fs + 0.5) : -1;
    int rc = 0, done = 0;
    st_audio_event evs[32];
    size_t nev = 0;
    while (!done) {
        size_t want = sizeof(x) / sizeof(x[0]);
        if (limit >= 0 && (long)want > limit - total) want = (size_t)(limit - total);
        long got = want ? st_source_read(src, x, want) : 0;
        if (got < 0) {
            say(stderr, "stratum listen: %s: read error after %.2f s (%s); truncated or corrupt\n",
                o->input ? o->input : o->alsa, (double)total / fs, strerror((int)-got));
            rc = 1;
        }
        if (got <= 0 || stop_flag) {
            st_analyser_flush(an);
            done = 1;
        } else {
            total += got;
            st_analyser_push(an, x, (size_t)got);
        }
        st_audio_event ev;
        while (st_analyser_next_event(an, &ev)) {
            if (nev < sizeof(evs) / sizeof(evs[0])) evs[nev++] = ev;
            if (o->summary)
                say(stdout, "  event %-6s %7.2f-%7.2f s  confidence %.2f\n",
                    st_event_kind_name(ev.kind), ev.start, ev.end, ev.confidence);
        }
        st_audio_second s;
        while (st_analyser_next_second(an, &s)) {
            if (o->summary) {
                summary_second(&sm, &s);
            } else {
                emit_pack(o, t0, &s, evs, nev);
                if (s.level.clipped)
                    say(stderr, "stratum listen: second %.0f: input clipped (%ld samples)\n", s.t,
                        s.level.clipped);
            }
            nev = 0;
            for (int k = 0; k < ST_EV__COUNT; k++) sm.nev[k] += s.event_conf[k] > 0;
        }
    }
    if (o->summary) {
        double leq = sm.seconds && sm.e_sum > 0 ? 10 * log10(sm.e_sum / (double)total * fs) : -999;
        say(stdout, "# total %.1f s: LAeq %.1f dB, LAFmax %.1f dB, LCpeak %.1f dB\n",
            (double)total / fs, leq, sm.lafmax, sm.lcpeak);
        say(stdout, "# seconds clipped %ld, silent %ld; NaN/inf samples %ld\n", sm.clipped_s,
            sm.silent_s, st_analyser_bad_samples(an));
    }
    if (!total && !rc) {
        say(stderr, "stratum listen: %s: no audio samples\n", o->input ? o->input : o->alsa);
        rc = 1;
    }
    st_analyser_free(an);
    st_source_free(src);
    return rc;
}

/* The default model: data/audio-model.txt at the root of the tree the binary
 * runs from (build/stratum -> ../data, build-asan/stratum likewise), or below
 * the current folder. Writes the path into out; 0 if found. */
static int default_model(char *out, size_t cap)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        for (int up = 0; up < 3; up++) {
            char *sl = strrchr(exe, '/');
            if (!sl) break;
            *sl = 0;
            if ((size_t)snprintf(out, cap, "%s/data/audio-model.txt", exe) < cap &&
                access(out, R_OK) == 0)
                return 0;
        }
    }
    snprintf(out, cap, "data/audio-model.txt");
    return access(out, R_OK) == 0 ? 0 : -1;
}

int st_cmd_listen(int argc, char **argv)
{
    listen_opts o;
    memset(&o, 0, sizeof(o));
    o.zone = "z1", o.device = "mic1";
    o.rate = 48000, o.channels = 1, o.channel = -1, o.t0 = -1;
    st_analyser_config_default(&o.cfg, 48000);
    int r = parse_args(&o, argc, argv);
    if (r) return r > 0 ? 0 : 2;
    /* The trained event classifier (docs/audio.md); "rules" keeps the rules. */
    st_detect_model *model = NULL;
    char path[4096], err[512];
    const char *mp = o.model_path;
    if (!mp && default_model(path, sizeof(path)) == 0) mp = path;
    if (mp && strcmp(mp, "rules")) {
        if (!(model = st_detect_model_load(mp, err, sizeof(err)))) {
            say(stderr, "stratum listen: --model %s\n", err);
            return 2;
        }
    }
    o.cfg.model = model;
    char zone[ST_ID_MAX], device[ST_ID_MAX]; /* from the key file; live until return */
    if (o.publish) {
        /* The device signs what it sends: zone and device come from its key. */
        st_devkey k;
        if (st_devkey_load(&k, o.key, err, sizeof(err)) < 0) {
            say(stderr, "stratum listen: --key: %s\n", err);
            st_detect_model_free(model);
            return 2;
        }
        snprintf(zone, sizeof(zone), "%s", k.zone);
        snprintf(device, sizeof(device), "%s", k.id);
        o.zone = zone;
        o.device = device;
        st_mqtt_pub_params p;
        st_mqtt_pub_params_default(&p, o.publish);
        if (o.street) snprintf(p.street, sizeof(p.street), "%s", o.street);
        if (o.version) snprintf(p.sw_version, sizeof(p.sw_version), "%s", o.version);
        if (st_mqtt_conn_set_tls(&p.conn, o.ca, o.cert, o.certkey, err, sizeof(err)) < 0) {
            say(stderr, "stratum listen: %s\n", err);
            st_devkey_wipe(&k);
            st_detect_model_free(model);
            return 2;
        }
        o.pub = st_mqtt_pub_new(&p, &k, NULL);
        st_devkey_wipe(&k);
        if (!o.pub) {
            say(stderr, "stratum listen: cannot start publishing to %s: %s\n", o.publish,
                strerror(errno));
            st_detect_model_free(model);
            return 1;
        }
    }
    apply_cal(&o, o.device);
    int rc = run(&o);
    if (o.pub) {
        if (st_mqtt_pub_flush(o.pub, 10) != 0) {
            say(stderr, "stratum listen: not every pack was acknowledged within 10 s\n");
            rc = 1;
        }
        st_mqtt_pub_stats ps;
        st_mqtt_pub_stats_get(o.pub, &ps);
        say(stderr, "stratum listen: published %llu packs, %llu acknowledged, %llu refused\n",
            (unsigned long long)ps.sent, (unsigned long long)ps.acked,
            (unsigned long long)ps.refused);
        if (ps.refused) rc = 1;
        st_mqtt_pub_free(o.pub);
    }
    st_detect_model_free(model);
    return rc;
}
