/* Tests of the configuration module: defaults, file format, errors, --set, dump round trip. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/config.h"

/* 2026-11-27T20:00 at UTC+60 min = 2026-11-27T19:00Z. */
#define DEFAULT_START 1795806000.0

/* st_settings is ~25 KiB: keep the test's copies off the stack. */
static st_settings *new_default(void)
{
    st_settings *s = malloc(sizeof(*s));
    if (!s) {
        perror("malloc");
        exit(2);
    }
    st_settings_default(s);
    return s;
}

static char *dump_text(const st_settings *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        perror("open_memstream");
        exit(2);
    }
    int rc = st_config_dump(s, f);
    fclose(f);
    CHECK_EQ_INT(rc, 0);
    return buf;
}

/* Equal settings: same bytes (lists are zero-filled past their count) and,
 * for a readable failure, the same dump. */
static int same_settings(const st_settings *a, const st_settings *b)
{
    char *da = dump_text(a), *db = dump_text(b);
    int same_dump = strcmp(da, db) == 0;
    if (!same_dump) {
        const char *p = da, *q = db;
        int line = 1;
        while (*p && *p == *q) line += *p++ == '\n', q++;
        fprintf(stderr, "  dumps differ at line %d:\n  < %.80s\n  > %.80s\n", line, p, q);
    }
    free(da);
    free(db);
    return same_dump && memcmp(a, b, sizeof(*a)) == 0;
}

static void test_defaults(void)
{
    st_settings *s = new_default();
    char err[512] = "";
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), 0);
    CHECK_STR(err, "");
    CHECK_STR(s->street, "stratumseind");
    CHECK_EQ_INT(s->engine.utc_offset_min, 60);
    CHECK_STR(s->store_path, "stratum.db");
    CHECK_EQ_INT(s->store_sync_full, 0);
    CHECK_EQ_INT(s->log_level, ST_LOG_WARN);
    CHECK_NEAR(s->run_speed, 1000, 0);
    CHECK_NEAR(s->status_every_s, 1800, 0);
    const st_zone_params *z = &s->engine.zone;
    CHECK_NEAR(z->win_short_s, 10, 0);
    CHECK_NEAR(z->win_mid_s, 60, 0);
    CHECK_NEAR(z->win_long_s, 300, 0);
    CHECK_NEAR(z->w_crowd + z->w_noise + z->w_events + z->w_trend, 1.0, 1e-12);
    CHECK_NEAR(z->w_noise, 0.35, 0);
    CHECK_NEAR(z->enter[ST_CALM], 0, 0);
    CHECK_NEAR(z->exit[ST_CALM], 0, 0);
    CHECK_NEAR(z->enter[ST_TENSE], 0.5, 0);
    CHECK_NEAR(z->exit[ST_ESCALATING], 0.6, 0);
    CHECK_NEAR(z->dwell_s[ST_INCIDENT], 180, 0);
    CHECK_NEAR(z->hold_s, 15, 0);
    CHECK_NEAR(z->stale_s, 30, 0);
    CHECK_NEAR(s->engine.outcome_after_s, 600, 0);
    CHECK_NEAR(s->engine.eval_every_s, 1, 0);
    CHECK_EQ_INT(s->sim.seed, 1);
    CHECK_NEAR(s->sim.start_epoch, DEFAULT_START, 0);
    CHECK_NEAR(s->sim.night_hours, 8, 0);
    CHECK_NEAR(s->sim.crowd_peak, 0.8, 0);
    CHECK_EQ_INT(s->nzones, 5);
    int lamps = 0;
    for (size_t i = 0; i < s->nzones; i++) lamps += s->zones[i].lamps;
    CHECK_EQ_INT(lamps, 22); /* the 22 lamp posts of Stratumseind */
    CHECK_STR(s->zones[0].id, "z1");
    CHECK_STR(s->zones[0].title, "Stratumseind 1-17 (north)");
    CHECK_STR(s->zones[4].id, "z5");
    CHECK_EQ_INT(s->nrules, 4);
    CHECK_STR(s->rules[0].name, "tense");
    CHECK_EQ_INT(s->rules[0].states, 1u << ST_TENSE);
    CHECK_STR(s->rules[0].scene, "calm-warm");
    CHECK_STR(s->rules[0].music, "calm");
    CHECK_STR(s->rules[0].alert, "");
    CHECK_EQ_INT(s->rules[0].hour_from, 0);
    CHECK_EQ_INT(s->rules[0].hour_to, 0);
    CHECK_NEAR(s->rules[0].cooldown_s, 600, 0);
    CHECK_STR(s->rules[2].name, "incident");
    CHECK_STR(s->rules[2].alert, "critical");
    CHECK_STR(s->rules[3].name, "calm-again");
    CHECK_EQ_INT(s->rules[3].states, 1u << ST_CALM);
    CHECK_EQ_INT(s->sim.neffects, 4);
    CHECK_STR(s->sim.effects[0].action, "scene:calm-warm");
    CHECK_NEAR(s->sim.effects[0].effect, 0.35, 0);
    CHECK_NEAR(s->sim.effects[3].duration_s, 900, 0);
    /* Deterministic: two calls give the same bytes. */
    st_settings *t = new_default();
    CHECK(same_settings(s, t));
    free(s);
    free(t);
}

static void test_example_equals_defaults(void)
{
    st_settings *d = new_default(), *s = new_default();
    char err[512] = "";
    /* Load over a different street so that the file must set everything. */
    CHECK_EQ_INT(st_config_load_string(s,
                                       "[zone x]\ncapacity = 9\n[rule r]\nstates = calm\n"
                                       "music = m\n[effect music:m]\neffect = 1\n[engine]\n"
                                       "hold_s = 1\n[street]\nutc_offset_min = -300\n"
                                       "[light]\nprotocol = off\nsafe_scene = s\n[envelope]\n"
                                       "min_level = 0.3\n[failsafe]\ntakeover = 0\n[music]\n"
                                       "host = mpd\n[alert]\nrate_max = 3\n[scene s]\n"
                                       "level = 1\n[programme m]\nplaylist = m\n",
                                       "other.conf", err, sizeof(err)),
                 0);
    CHECK(memcmp(s, d, sizeof(*s)) != 0);
    int rc = st_config_load(s, "examples/stratumseind.conf", err, sizeof(err));
    CHECK_EQ_INT(rc, 0);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK(same_settings(s, d));
    free(d);
    free(s);
}

typedef struct err_case {
    const char *text;
    const char *want;
} err_case;

static void test_errors(void)
{
    static const err_case cases[] = {
        {"[engine]\nhold_s = abc\n", "street.conf:2: engine.hold_s: 'abc' is not a number"},
        {"# c\n[engine]\nwindw_short_s = 5\n",
         "street.conf:3: unknown key 'windw_short_s' in [engine] (did you mean window_short_s?)"},
        {"[engine]\nbanana = 5\n", "street.conf:2: unknown key 'banana' in [engine]"},
        {"[rule tense]\nstates = tens\n",
         "street.conf:2: [rule tense]: states: 'tens' is not a state (calm, lively, tense, "
         "escalating, incident)"},
        {"[rule r]\nstates = calm, ,tense\n",
         "street.conf:2: [rule r]: states: '' is not a state (calm, lively, tense, escalating, "
         "incident)"},
        {"[engine]\nhold_s = 1\n\nhold_s = 2\n",
         "street.conf:4: duplicate key 'hold_s' in [engine] (first at line 2)"},
        {"[engine]\n[sim]\n[engine]\n",
         "street.conf:3: duplicate section [engine] (first at line 1)"},
        {"[zone a]\n[zone b]\n[zone a]\n",
         "street.conf:3: duplicate section [zone a] (first at line 1)"},
        {"[engin]\n", "street.conf:1: unknown section [engin] (did you mean [engine]?)"},
        {"[lighting]\n",
         "street.conf:1: unknown section [lighting] (sections: street, store, log, run, engine, "
         "sim, light, envelope, failsafe, music, alert, http, register, experiment, audit, "
         "effect ACTION, zone ID, lamp ID, scene NAME, rule NAME, programme NAME, arm NAME)"},
        {"[lamp a]\nlayout = rgb\n",
         "street.conf:2: [lamp a]: layout: 'rgb' is not one of dim, dim+cct, dim+cct+rgb"},
        {"[light]\nprotocol = dmx\n",
         "street.conf:2: light.protocol: 'dmx' is not one of sacn, artnet, both, off"},
        {"[light]\nframe_hz = 50\n", "street.conf:2: light.frame_hz: 50 is outside 30..44"},
        {"[envelope]\nmax_flashes = 4\n", "street.conf:2: envelope.max_flashes: 4 is outside 0..3"},
        {"[lamp a]\nchannel = 513\n", "street.conf:2: [lamp a]: channel: 513 is outside 1..512"},
        {"[programme p]\nvolume = 101\n",
         "street.conf:2: [programme p]: volume: 101 is outside 0..100"},
        {"hold_s = 1\n", "street.conf:1: key 'hold_s' outside any section"},
        {"[engine]\nhold_s 15\n",
         "street.conf:2: expected 'key = value', '[section]' or a comment"},
        {"[engine]\n = 15\n", "street.conf:2: missing key before '='"},
        {"[zone a]\ntitle = \"abc\n", "street.conf:2: title: missing closing '\"'"},
        {"[zone a]\ntitle = \"abc\" x\n", "street.conf:2: title: text after closing '\"'"},
        {"[zone a]\ntitle = a\"b\n",
         "street.conf:2: [zone a]: title: control characters and '\"' are not allowed"},
        {"[engine]\nhold_s = 5000\n", "street.conf:2: engine.hold_s: 5000 is outside 0..3600"},
        {"[engine]\nhold_s = nan\n", "street.conf:2: engine.hold_s: 'nan' is not a number"},
        {"[engine]\nhold_s = 1e999\n", "street.conf:2: engine.hold_s: '1e999' is not a number"},
        {"[engine]\nhold_s =\n", "street.conf:2: engine.hold_s: '' is not a number"},
        {"[engine]\nhold_s = 15s\n", "street.conf:2: engine.hold_s: '15s' is not a number"},
        {"[street]\nutc_offset_min = 1.5\n",
         "street.conf:2: street.utc_offset_min: '1.5' is not a whole number"},
        {"[street]\nutc_offset_min = 900\n",
         "street.conf:2: street.utc_offset_min: 900 is outside -720..840"},
        {"[street]\nname = Stratum seind\n",
         "street.conf:2: street.name: 'Stratum seind' is not a valid name (letters, digits, '_' "
         "or '-', 1 to 31 of them)"},
        {"[store]\nsync = fast\n", "street.conf:2: store.sync: 'fast' is not one of normal, full"},
        {"[log]\nlevel = verbose\n",
         "street.conf:2: log.level: 'verbose' is not one of debug, info, warn, error"},
        {"[rule r]\nalert = loud\n",
         "street.conf:2: [rule r]: alert: 'loud' is not one of none, info, warning, critical"},
        {"[rule r]\nscene = calm warm\n",
         "street.conf:2: [rule r]: scene: 'calm warm' is not a valid name (letters, digits, '_' "
         "or '-', up to 31 of them; empty for none)"},
        {"[rule r]\nhours = 20-4\n",
         "street.conf:2: [rule r]: hours: '20-4' is not an hour range (HH-HH from 00 to 23, e.g. "
         "20-04, or all)"},
        {"[rule r]\nhours = 20-24\n",
         "street.conf:2: [rule r]: hours: '20-24' is not an hour range (HH-HH from 00 to 23, "
         "e.g. 20-04, or all)"},
        {"[zone]\n", "street.conf:1: [zone] needs a name: [zone ID]"},
        {"[effect]\n", "street.conf:1: [effect] needs a name: [effect ACTION]"},
        {"[engine x]\n", "street.conf:1: [engine] takes no name (found 'x')"},
        {"[zone bad!]\n",
         "street.conf:1: [zone bad!]: 'bad!' is not a valid name (letters, digits, '_' or '-', 1 "
         "to 31 of them)"},
        {"[effect smell:roses]\n",
         "street.conf:1: [effect smell:roses]: 'smell:roses' is not a valid name (scene:NAME, "
         "music:NAME or alert:NAME)"},
        {"[engine] x\n", "street.conf:1: text after ']' of a section header"},
        {"[engine\n", "street.conf:1: section header without ']'"},
        {"[zone a]\ntitle = \"caf\xc3\xa9\"\ntitle = \"\xff\"\n", "street.conf:3: not valid UTF-8"},
        {"[zone a]\ntitle = \"\xc0\xaf\"\n", "street.conf:2: not valid UTF-8"}, /* overlong '/' */
        {"[sim]\nstart = 2026-02-29T20:00\n",
         "street.conf:2: sim.start: '2026-02-29T20:00' is not a local date-time (YYYY-MM-DDTHH:MM "
         "or YYYY-MM-DDTHH:MM:SS, year 1970 or later)"},
        {"[sim]\nstart = 2026-11-27 20:00\n",
         "street.conf:2: sim.start: '2026-11-27 20:00' is not a local date-time (YYYY-MM-DDTHH:MM "
         "or YYYY-MM-DDTHH:MM:SS, year 1970 or later)"},
        {"[sim]\nseed = -1\n",
         "street.conf:2: sim.seed: '-1' is not a whole number 0..18446744073709551615"},
        {"[sim]\nseed = 18446744073709551616\n",
         "street.conf:2: sim.seed: '18446744073709551616' is not a whole number "
         "0..18446744073709551615"},
        {"[zone a]\ncapacity = 0\n", "street.conf:2: [zone a]: capacity: 0 is outside 1..1e+06"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_settings *s = new_default();
        char err[512] = "";
        int rc = st_config_load_string(s, cases[i].text, "street.conf", err, sizeof(err));
        CHECK_EQ_INT(rc, -EINVAL);
        CHECK_STR(err, cases[i].want);
        CHECK(strchr(err, '\n') == NULL); /* exactly one line */
        free(s);
    }
}

static void test_error_limits(void)
{
    char err[512] = "";
    st_settings *s = new_default();
    /* One more [effect] than the list holds. */
    char text[4096];
    size_t used = 0;
    for (int i = 0; i <= ST_SIM_MAX_EFFECTS; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "[effect scene:s%d]\n", i);
    CHECK_EQ_INT(st_config_load_string(s, text, "many.conf", err, sizeof(err)), -EINVAL);
    char want[128];
    snprintf(want, sizeof(want), "many.conf:%d: too many [effect] sections (at most %d)",
             ST_SIM_MAX_EFFECTS + 1, ST_SIM_MAX_EFFECTS);
    CHECK_STR(err, want);

    /* A line longer than the parser's buffer. */
    char *longline = malloc(3000);
    strcpy(longline, "[zone a]\ntitle = ");
    memset(longline + strlen(longline), 'x', 2000);
    longline[17 + 2000] = '\0';
    CHECK_EQ_INT(st_config_load_string(s, longline, "long.conf", err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "long.conf:2: line longer than 1023 bytes");
    free(longline);

    /* A title that does not fit st_zone_def.title. */
    char title[200];
    snprintf(title, sizeof(title), "[zone a]\ntitle = \"%070d\"\n", 7);
    CHECK_EQ_INT(st_config_load_string(s, title, "t.conf", err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "t.conf:2: [zone a]: title: text longer than 63 bytes");

    /* Files: missing, and one with a NUL byte. */
    CHECK_EQ_INT(st_config_load(s, "no/such/dir/x.conf", err, sizeof(err)), -ENOENT);
    CHECK_STR(err, "no/such/dir/x.conf: cannot open: No such file or directory");
    char path[] = "/tmp/stratum-test-config-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        static const char bytes[] = "[engine]\nhold_s = 1\x00\n";
        CHECK_EQ_INT(write(fd, bytes, sizeof(bytes) - 1), (long)sizeof(bytes) - 1);
        close(fd);
        CHECK_EQ_INT(st_config_load(s, path, err, sizeof(err)), -EINVAL);
        char w[128];
        snprintf(w, sizeof(w), "%s:2: NUL byte in a text file", path);
        CHECK_STR(err, w);
        unlink(path);
    }
    /* A small err buffer is truncated, never overrun. */
    char small[8];
    CHECK_EQ_INT(st_config_load_string(s, "[x]\n", "f", small, sizeof(small)), -EINVAL);
    CHECK_STR(small, "f:1: un");
    free(s);
}

static void test_syntax(void)
{
    st_settings *s = new_default();
    char err[512] = "";
    const char *text = "\xef\xbb\xbf# BOM, CRLF, comments of both kinds\r\n"
                       "; a semicolon comment\r\n"
                       "\r\n"
                       "  [ engine ]   # header comment\r\n"
                       "hold_s=20\r\n"
                       "  stale_s   =   45   # trailing comment\r\n"
                       "[zone a]\n"
                       "title = \"Bar #1 ; quoted\"   # the # inside quotes is kept\n"
                       "capacity = 250\n"
                       "[zone b]\n"
                       "title = Corner#2\n" /* no blank before '#': part of the value */
                       "lamps = 3\n"
                       "[rule r]\n"
                       "states = tense , escalating,incident\n"
                       "hours = 22-03\n"
                       "music = \"\"\n"
                       "scene = calm-warm\n"
                       "alert = warning"; /* last line without newline */
    int rc = st_config_load_string(s, text, "syntax.conf", err, sizeof(err));
    CHECK_EQ_INT(rc, 0);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK_NEAR(s->engine.zone.hold_s, 20, 0);
    CHECK_NEAR(s->engine.zone.stale_s, 45, 0);
    CHECK_EQ_INT(s->nzones, 2);
    CHECK_STR(s->zones[0].title, "Bar #1 ; quoted");
    CHECK_NEAR(s->zones[0].capacity, 250, 0);
    CHECK_EQ_INT(s->zones[0].lamps, 0); /* per-section default */
    CHECK_STR(s->zones[1].title, "Corner#2");
    CHECK_NEAR(s->zones[1].capacity, 400, 0);
    CHECK_EQ_INT(s->nrules, 1);
    CHECK_EQ_INT(s->rules[0].states,
                 (1u << ST_TENSE) | (1u << ST_ESCALATING) | (1u << ST_INCIDENT));
    CHECK_EQ_INT(s->rules[0].hour_from, 22);
    CHECK_EQ_INT(s->rules[0].hour_to, 3);
    CHECK_STR(s->rules[0].music, "");
    CHECK_STR(s->rules[0].alert, "warning");
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), 0);
    free(s);
}

static void test_replace_semantics(void)
{
    char err[512] = "";
    st_settings *d = new_default();
    st_settings *s = new_default();
    CHECK_EQ_INT(st_config_load_string(s, "[zone gate]\ntitle = Gate\ncapacity = 120\nlamps = 2\n",
                                       "z.conf", err, sizeof(err)),
                 0);
    CHECK_EQ_INT(s->nzones, 1);
    CHECK_STR(s->zones[0].id, "gate");
    CHECK_EQ_INT(s->zones[0].lamps, 2);
    /* The replaced entries are gone, not left behind past the count. */
    CHECK_STR(s->zones[1].id, "");
    /* Rules and effects untouched. */
    CHECK_EQ_INT(s->nrules, d->nrules);
    CHECK(memcmp(s->rules, d->rules, sizeof(d->rules)) == 0);
    CHECK_EQ_INT(s->sim.neffects, 4);

    st_settings *r = new_default();
    CHECK_EQ_INT(st_config_load_string(r, "[rule only]\nstates = incident\nalert = critical\n",
                                       "r.conf", err, sizeof(err)),
                 0);
    CHECK_EQ_INT(r->nrules, 1);
    CHECK_STR(r->rules[0].name, "only");
    CHECK_EQ_INT(r->nzones, 5);
    CHECK(memcmp(r->zones, d->zones, sizeof(d->zones)) == 0);

    /* A second file replaces the first file's list again. */
    CHECK_EQ_INT(st_config_load_string(r,
                                       "[rule a]\nstates = calm\nscene = x\n[rule b]\n"
                                       "states = tense\nscene = y\n",
                                       "r2.conf", err, sizeof(err)),
                 0);
    CHECK_EQ_INT(r->nrules, 2);
    CHECK_STR(r->rules[1].name, "b");

    st_settings *e = new_default();
    CHECK_EQ_INT(
        st_config_load_string(e, "[effect music:calm]\neffect = 0.9\n", "e.conf", err, sizeof(err)),
        0);
    CHECK_EQ_INT(e->sim.neffects, 1);
    CHECK_NEAR(e->sim.effects[0].effect, 0.9, 0);
    CHECK_NEAR(e->sim.effects[0].duration_s, 600, 0);
    /* Files without lists keep the defaults' lists. */
    st_settings *g = new_default();
    CHECK_EQ_INT(st_config_load_string(g, "[engine]\nhold_s = 3\n", "g.conf", err, sizeof(err)), 0);
    CHECK_EQ_INT(g->nzones, 5);
    CHECK_EQ_INT(g->nrules, 4);
    free(d);
    free(s);
    free(r);
    free(e);
    free(g);
}

static void test_set(void)
{
    st_settings *s = new_default();
    char err[512] = "";
    CHECK_EQ_INT(st_config_set(s, "engine.hold_s", "20", err, sizeof(err)), 0);
    CHECK_NEAR(s->engine.zone.hold_s, 20, 0);
    CHECK_EQ_INT(st_config_set(s, "zone.z1.capacity", "650", err, sizeof(err)), 0);
    CHECK_NEAR(s->zones[0].capacity, 650, 0);
    CHECK_EQ_INT(st_config_set(s, "rule.tense.cooldown_s", "900", err, sizeof(err)), 0);
    CHECK_NEAR(s->rules[0].cooldown_s, 900, 0);
    CHECK_EQ_INT(st_config_set(s, "effect.scene:calm-warm.effect", "0.4", err, sizeof(err)), 0);
    CHECK_NEAR(s->sim.effects[0].effect, 0.4, 0);
    CHECK_EQ_INT(st_config_set(s, "sim.seed", "18446744073709551615", err, sizeof(err)), 0);
    CHECK(s->sim.seed == UINT64_MAX);
    CHECK_EQ_INT(st_config_set(s, "log.level", "debug", err, sizeof(err)), 0);
    CHECK_EQ_INT(s->log_level, ST_LOG_DEBUG);
    CHECK_EQ_INT(st_config_set(s, "store.sync", "full", err, sizeof(err)), 0);
    CHECK_EQ_INT(s->store_sync_full, 1);
    CHECK_EQ_INT(st_config_set(s, "rule.escalating.alert", "none", err, sizeof(err)), 0);
    CHECK_STR(s->rules[1].alert, "");
    CHECK_EQ_INT(st_config_set(s, "rule.escalating.hours", "20-04", err, sizeof(err)), 0);
    CHECK_EQ_INT(s->rules[1].hour_from, 20);
    CHECK_EQ_INT(s->rules[1].hour_to, 4);
    CHECK_EQ_INT(st_config_set(s, "run.speed", "0", err, sizeof(err)), 0);
    CHECK_NEAR(s->run_speed, 0, 0);

    static const err_case bad[] = {
        {"engine.hold_s=abc", "engine.hold_s: 'abc' is not a number"},
        {"engine.windw_short_s=5",
         "engine.windw_short_s: unknown key 'windw_short_s' in [engine] (did you mean "
         "window_short_s?)"},
        {"engin.hold_s=5", "engin.hold_s: unknown section 'engin' (did you mean engine?)"},
        {"hold_s=5", "'hold_s' is not a key (SECTION.KEY, e.g. engine.hold_s)"},
        {"zone.capacity=5", "'zone.capacity' is not a key (zone.NAME.KEY)"},
        {"zone.z9.capacity=5",
         "zone.z9.capacity: there is no [zone z9] (defined: z1, z2, z3, z4, z5)"},
        {"zone.z1.capacity=0", "zone.z1.capacity: 0 is outside 1..1e+06"},
        {"rule.tense.states=tens",
         "rule.tense.states: 'tens' is not a state (calm, lively, tense, escalating, incident)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char kv[128];
        snprintf(kv, sizeof(kv), "%s", bad[i].text);
        char *eq = strchr(kv, '=');
        *eq = '\0';
        st_settings *before = new_default();
        memcpy(before, s, sizeof(*s));
        CHECK_EQ_INT(st_config_set(s, kv, eq + 1, err, sizeof(err)), -EINVAL);
        CHECK_STR(err, bad[i].want);
        CHECK(memcmp(before, s, sizeof(*s)) == 0); /* a refused --set changes nothing */
        free(before);
    }
    free(s);
}

/* The start of the night is local time: order of keys does not matter, and
 * a new offset alone keeps the same local start. */
static void test_start_time(void)
{
    char err[512] = "";
    st_settings *a = new_default(), *b = new_default(), *c = new_default();
    CHECK_EQ_INT(st_config_load_string(a,
                                       "[sim]\nstart = 2026-07-03T21:30\n[street]\n"
                                       "utc_offset_min = 120\n",
                                       "a", err, sizeof(err)),
                 0);
    CHECK_EQ_INT(st_config_load_string(b,
                                       "[street]\nutc_offset_min = 120\n[sim]\n"
                                       "start = 2026-07-03T21:30\n",
                                       "b", err, sizeof(err)),
                 0);
    /* 2026-07-03T19:30Z */
    CHECK_NEAR(a->sim.start_epoch, 1783107000.0, 0);
    CHECK_NEAR(b->sim.start_epoch, 1783107000.0, 0);
    /* Only the offset: still 20:00 local, now at UTC-300 min = 01:00Z next day. */
    CHECK_EQ_INT(
        st_config_load_string(c, "[street]\nutc_offset_min = -300\n", "c", err, sizeof(err)), 0);
    CHECK_NEAR(c->sim.start_epoch, DEFAULT_START + 360 * 60, 0);
    CHECK_EQ_INT(st_config_set(c, "street.utc_offset_min", "60", err, sizeof(err)), 0);
    CHECK_NEAR(c->sim.start_epoch, DEFAULT_START, 0);
    CHECK_EQ_INT(st_config_set(c, "sim.start", "2027-01-01T00:00:30", err, sizeof(err)), 0);
    CHECK_NEAR(c->sim.start_epoch, 1798761600.0 - 3600 + 30, 0); /* 2027-01-01Z - 1 h + 30 s */
    CHECK_EQ_INT(st_config_set(c, "sim.start", "2028-02-29T20:00", err, sizeof(err)), 0);
    CHECK_NEAR(c->sim.start_epoch, 1835467200.0 - 3600, 0); /* leap day, 20:00Z - 1 h */
    free(a);
    free(b);
    free(c);
}

static void roundtrip(const st_settings *s, const char *what)
{
    char *text = dump_text(s);
    st_settings *back = new_default();
    char err[512] = "";
    int rc = st_config_load_string(back, text, what, err, sizeof(err));
    CHECK_EQ_INT(rc, 0);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK(same_settings(s, back));
    free(back);
    free(text);
}

static void test_dump_roundtrip(void)
{
    st_settings *s = new_default();
    roundtrip(s, "default dump");
    char *text = dump_text(s);
    /* Comments carry type, range, default and reloadability. */
    CHECK(strstr(text, "# seconds a threshold crossing must hold before the state moves (double "
                       "0..3600; default 15; reloadable)\nhold_s = 15\n") != NULL);
    CHECK(strstr(text, "(double 1..86400; default 10; restart to change)\nwindow_short_s = 10\n") !=
          NULL);
    CHECK(strstr(text, "\n[effect scene:calm-warm]\n") != NULL);
    CHECK(strstr(text, "\nstart = 2026-11-27T20:00\n") != NULL);
    free(text);

    /* Every kind of value changed, including awkward doubles and lists. */
    char err[512] = "";
    static const char *const sets[][2] = {
        {"street.name", "eindhoven-centre"},
        {"street.utc_offset_min", "-570"},
        {"store.path", "/var/lib/stratum/a b#c.db"},
        {"store.sync", "full"},
        {"log.level", "info"},
        {"run.speed", "0.1"},
        {"engine.w_crowd", "0.1"},
        {"engine.w_noise", "0.2"},
        {"engine.w_events", "0.3"},
        {"engine.w_trend", "0.4"},
        {"engine.baseline_alpha", "0.0123456789012345"},
        {"engine.eval_every_s", "0.3333333333333333"},
        {"sim.seed", "12345678901234567890"},
        {"sim.start", "2027-03-05T23:59:59"},
        {"rule.tense.hours", "21-03"},
        {"rule.tense.states", "lively,incident"},
        {"rule.escalating.music", "off"},
        {"light.protocol", "both"},
        {"light.dest", "10.0.0.255"},
        {"light.port", "6000"},
        {"light.sacn_source_name", "Stratum #2; north"},
        {"light.safe_scene", "calm-warm"},
        {"light.state_dir", "/var/lib/stratum"},
        {"envelope.step_dt_max", "0.02"},
        {"envelope.max_flashes", "2.5"},
        {"failsafe.orphan_hold_s", "-1"},
        {"music.host", "/run/mpd/socket"},
        {"alert.webhook_url", "https://example.org/hook?a=1&b=2"},
        {"scene.normal.kelvin", "3100.5"},
        {"programme.off.playlist", "quiet night"},
        {"rule.calm-again.alert", "info"},
        {"zone.z3.title", ""},
        {"zone.z2.title", "Quote-free; with # and ; inside"},
    };
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        int rc = st_config_set(s, sets[i][0], sets[i][1], err, sizeof(err));
        CHECK_EQ_INT(rc, 0);
        if (rc) fprintf(stderr, "  %s\n", err);
    }
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), 0);
    roundtrip(s, "modified dump");

    /* Fewer zones, more effects. */
    CHECK_EQ_INT(st_config_load_string(s,
                                       "[zone only]\ncapacity = 1e6\nlamps = 1000\n"
                                       "[effect alert:info]\nduration_s = 0.5\n"
                                       "[effect scene:x]\neffect = 1\n"
                                       "[lamp only-a]\nzone = only\nuniverse = 7\nchannel = 10\n"
                                       "layout = dim+cct+rgb\n[lamp only-b]\nzone = only\n"
                                       "layout = dim\n[scene x]\n[programme y]\n",
                                       "x", err, sizeof(err)),
                 0);
    CHECK_EQ_INT(s->light.nlamps, 2);
    CHECK_EQ_INT(s->light.lamps[0].layout, ST_LIGHT_RGB);
    CHECK_EQ_INT(s->light.lamps[1].layout, ST_LIGHT_DIM);
    CHECK_EQ_INT(s->light.lamps[1].universe, 1);
    roundtrip(s, "list dump");

    /* Write errors are reported. */
    FILE *ro = fopen("/dev/full", "w");
    if (ro) {
        CHECK(st_config_dump(s, ro) < 0);
        fclose(ro);
    }
    free(s);
}

static void test_validate(void)
{
    typedef struct vcase {
        const char *key, *value, *want;
    } vcase;
    static const vcase cases[] = {
        {"engine.w_crowd", "0.3",
         "engine.w_crowd + engine.w_noise + engine.w_events + engine.w_trend = 1.05, must be 1 "
         "(+-0.001)"},
        {"engine.exit_tense", "0.5",
         "engine.exit_tense (0.5) must be below engine.enter_tense (0.5): no hysteresis band"},
        {"engine.enter_escalating", "0.45",
         "engine.enter_escalating (0.45) must be above engine.enter_tense (0.5): states rise "
         "with the score"},
        {"engine.window_mid_s", "400",
         "engine.window_short_s (10) < engine.window_mid_s (400) < engine.window_long_s (300) "
         "does not hold"},
        {"rule.tense.states", "", "rule.tense.states: the rule names no state, so it never fires"},
        {"rule.calm-again.scene", "", NULL}, /* still has music: valid */
    };
    char err[512];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_settings *s = new_default();
        CHECK_EQ_INT(st_config_set(s, cases[i].key, cases[i].value, err, sizeof(err)), 0);
        err[0] = '\0';
        int rc = st_config_validate(s, err, sizeof(err));
        CHECK_EQ_INT(rc, cases[i].want ? -EINVAL : 0);
        CHECK_STR(err, cases[i].want ? cases[i].want : "");
        free(s);
    }
    st_settings *s = new_default();
    CHECK_EQ_INT(st_config_load_string(s, "[rule mute]\nstates = calm\n", "m", err, sizeof(err)),
                 0);
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "rule.mute: scene, music and alert are all empty, so the rule does nothing");

    /* Settings built by code are range-checked too. */
    st_settings_default(s);
    s->engine.zone.hold_s = -1;
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "engine.hold_s = -1 is outside 0..3600");
    st_settings_default(s);
    s->zones[2].capacity = 0;
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "zone.z3.capacity = 0 is outside 1..1e+06");
    st_settings_default(s);
    s->nzones = 0;
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "no [zone] section: a street needs at least one zone");
    st_settings_default(s);
    memcpy(s->zones[1].id, "z1", 3);
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "[zone z1] is defined twice");
    st_settings_default(s);
    s->log_level = (st_log_level)7;
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "log.level = 7 is not a valid value");
    free(s);
}

/* The table's defaults are the actuation modules' own defaults (one source of
 * truth each, checked against each other), and st_config_light resolves the
 * embedded street's patch, protocol, destination and state files. */
static void test_actuation_defaults(void)
{
    st_settings *s = new_default();
    char err[512] = "";
    CHECK_EQ_INT(s->light_protocol, ST_LIGHT_PROTO_SACN);
    CHECK_STR(s->light_dest, "127.0.0.1");
    CHECK_EQ_INT(s->light_port, 0);
    CHECK_STR(s->state_dir, "");
    CHECK_STR(s->engine.safe_scene, "normal");
    CHECK_EQ_INT(s->light.nlamps, 0); /* derived from the zones */

    st_light_params *lp = malloc(sizeof(*lp)), *want = malloc(sizeof(*want));
    st_failsafe_params fp, fwant;
    CHECK_EQ_INT(st_config_light(s, lp, &fp, err, sizeof(err)), 0);
    st_light_params_default(want, s->zones, s->nzones);
    CHECK_EQ_INT(lp->nlamps, 22);
    CHECK(memcmp(lp->lamps, want->lamps, sizeof(want->lamps)) == 0);
    CHECK_EQ_INT(lp->nscenes, want->nscenes);
    CHECK(memcmp(lp->scenes, want->scenes, sizeof(want->scenes)) == 0);
    CHECK_STR(lp->safe_scene, want->safe_scene);
    CHECK_NEAR(lp->warm_k, want->warm_k, 0);
    CHECK_NEAR(lp->cool_k, want->cool_k, 0);
    CHECK_NEAR(lp->frame_hz, want->frame_hz, 0);
    CHECK_NEAR(lp->keepalive_s, want->keepalive_s, 0);
    CHECK_EQ_INT(lp->use_sacn, 1);
    CHECK_EQ_INT(lp->use_artnet, 0);
    CHECK(memcmp(&lp->env, &want->env, sizeof(want->env)) == 0);
    CHECK_STR(lp->sacn.source_name, want->sacn.source_name);
    CHECK_EQ_INT(lp->sacn.priority, want->sacn.priority);
    CHECK_EQ_INT(lp->sacn.sync_universe, want->sacn.sync_universe);
    CHECK_STR(lp->sacn.dest, "127.0.0.1");
    CHECK_EQ_INT(lp->sacn.port, 5568);
    CHECK_EQ_INT(lp->sacn.ttl, want->sacn.ttl);
    CHECK_STR(lp->sacn.iface, "");
    CHECK_STR(lp->artnet.dest, want->artnet.dest);
    CHECK_EQ_INT(lp->artnet.port, 6454);
    CHECK_EQ_INT(lp->artnet.broadcast, want->artnet.broadcast);
    CHECK_EQ_INT(lp->artnet.sync, want->artnet.sync);
    /* State files sit beside the store (stratum.db: the working folder). */
    CHECK_STR(lp->sacn.cid_path, "./sacn.cid");
    CHECK_STR(fp.lock_path, "./light.lock");
    CHECK_EQ_INT(st_light_params_check(lp, err, sizeof(err)), 0);
    st_failsafe_params_default(&fwant);
    CHECK_NEAR(fp.heartbeat_s, fwant.heartbeat_s, 0);
    CHECK_NEAR(fp.heartbeat_timeout_s, fwant.heartbeat_timeout_s, 0);
    CHECK_NEAR(fp.stop_timeout_s, fwant.stop_timeout_s, 0);
    CHECK_NEAR(fp.orphan_hold_s, fwant.orphan_hold_s, 0);
    CHECK_EQ_INT(fp.takeover, 1); /* a restarted engine replaces its orphan */

    /* Music: the module's defaults, except the host (no MPD on the embedded street). */
    st_music_params mw;
    st_music_params_default(&mw);
    CHECK_STR(s->music.host, "");
    CHECK_EQ_INT(s->music.port, mw.port);
    CHECK_EQ_INT(s->music.timeout_ms, mw.timeout_ms);
    CHECK_EQ_INT(s->music.volume_cap, mw.volume_cap);
    CHECK_NEAR(s->music.backoff_min_s, mw.backoff_min_s, 0);
    CHECK_NEAR(s->music.backoff_max_s, mw.backoff_max_s, 0);
    CHECK_EQ_INT(s->music.nprogrammes, mw.nprogrammes);
    CHECK(memcmp(s->music.programmes, mw.programmes, sizeof(mw.programmes)) == 0);

    st_alert_params aw, a;
    st_alert_params_default(&aw);
    st_config_alert(s, &a);
    CHECK(memcmp(&a, &aw, sizeof(a)) == 0);

    /* Protocol, destination, port and state folder. */
    CHECK_EQ_INT(st_config_set(s, "light.protocol", "both", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_set(s, "light.dest", "192.168.7.20", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_set(s, "light.port", "6000", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_set(s, "store.path", "/var/lib/stratum/street.db", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_light(s, lp, &fp, err, sizeof(err)), 0);
    CHECK(lp->use_sacn && lp->use_artnet);
    CHECK_STR(lp->sacn.dest, "192.168.7.20");
    CHECK_STR(lp->artnet.dest, "192.168.7.20");
    CHECK_EQ_INT(lp->sacn.port, 6000);
    CHECK_EQ_INT(lp->artnet.port, 6000);
    CHECK_STR(lp->sacn.cid_path, "/var/lib/stratum/sacn.cid");
    CHECK_EQ_INT(st_config_set(s, "light.state_dir", "state", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_set(s, "light.protocol", "sacn", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_set(s, "light.dest", "multicast", err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_light(s, lp, &fp, err, sizeof(err)), 0);
    CHECK_STR(lp->sacn.dest, ""); /* multicast per universe */
    CHECK_STR(fp.lock_path, "state/light.lock");
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), 0);

    /* An explicit patch replaces the default one as a whole. */
    CHECK_EQ_INT(st_config_load_string(s,
                                       "[lamp gate]\nzone = z2\nuniverse = 9\nchannel = 100\n"
                                       "layout = dim\n",
                                       "patch.conf", err, sizeof(err)),
                 0);
    CHECK_EQ_INT(st_config_light(s, lp, NULL, err, sizeof(err)), 0);
    CHECK_EQ_INT(lp->nlamps, 1);
    CHECK_STR(lp->lamps[0].zone, "z2");
    CHECK_EQ_INT(lp->lamps[0].universe, 9);
    CHECK_EQ_INT(lp->lamps[0].channel, 100);
    CHECK_EQ_INT(lp->lamps[0].layout, ST_LIGHT_DIM);
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), 0);

    /* A state folder whose file names would not fit is refused, not cut. */
    char longdir[300];
    memset(longdir, 'd', 250);
    longdir[250] = '\0';
    CHECK_EQ_INT(st_config_set(s, "light.state_dir", longdir, err, sizeof(err)), 0);
    CHECK_EQ_INT(st_config_light(s, lp, &fp, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "light.state_dir: ") == err);
    free(lp);
    free(want);
    free(s);
}

static void test_actuation_validate(void)
{
    typedef struct vcase {
        const char *text, *want;
    } vcase;
    static const vcase cases[] = {
        {"[rule r]\nstates = tense\nscene = dim-blue\n",
         "rule.r.scene: there is no [scene dim-blue] (defined: normal, bright-neutral, calm-warm, "
         "and safe)"},
        {"[rule r]\nstates = tense\nmusic = techno\n",
         "rule.r.music: there is no [programme techno] (defined: calm, ambient, off)"},
        {"[rule r]\nstates = tense\nscene = safe\n", NULL}, /* reserved: the safe scene */
        {"[light]\nsafe_scene = dark\n",
         "light.safe_scene: there is no [scene dark] (defined: normal, bright-neutral, "
         "calm-warm)"},
        {"[scene normal]\n[scene bright-neutral]\n[scene calm-warm]\n[scene safe]\n",
         "[scene safe]: the name is reserved for light.safe_scene"},
        {"[lamp a]\nzone = z9\n", "lamp.a.zone: 'z9' is not a zone (defined: z1, z2, z3, z4, z5)"},
        {"[lamp a]\nzone = z1\n[lamp b]\nzone = z1\nchannel = 3\n",
         "light: lamp b (universe 1, channel 3) overlaps lamp a (channel 1)"},
        {"[light]\ndest = localhost\n", "light.dest: 'localhost' is not an IPv4 address or "
                                        "multicast"},
        {"[light]\ndest = multicast\nprotocol = artnet\n",
         "light.dest: multicast is sACN only; Art-Net needs a unicast or broadcast address"},
        {"[light]\nwarm_k = 7000\n",
         "light: warm_k/cool_k must satisfy 1000 <= warm < cool <= 20000"},
        {"[envelope]\nmin_level = 0.9\nmax_level = 0.8\n",
         "envelope: max_level must be within (min_level, 1]"},
        {"[failsafe]\nheartbeat_s = 2\n",
         "failsafe.heartbeat_timeout_s (3) must exceed 2 x failsafe.heartbeat_s (2)"},
        {"[music]\nbackoff_min_s = 10\nbackoff_max_s = 5\n",
         "music: need 0 < backoff_min_s <= backoff_max_s"},
        {"[alert]\nwebhook_url = ftp://x\n",
         "alert.webhook_url: 'ftp://x' is not an http:// or https:// URL"},
        {"[zone a]\ncapacity = 10\n",
         "light.protocol is sacn but no lamp is patched: add [lamp ID] sections or "
         "zone.ID.lamps, or set light.protocol = off"},
        {"[zone a]\ncapacity = 10\n[light]\nprotocol = off\n", NULL},
        {"[music]\nhost = 127.0.0.1\n[programme calm]\nplaylist = c\n[programme ambient]\n"
         "[programme off]\n",
         NULL},
    };
    char err[512];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_settings *s = new_default();
        int rc = st_config_load_string(s, cases[i].text, "v.conf", err, sizeof(err));
        CHECK_EQ_INT(rc, 0);
        if (rc) fprintf(stderr, "  %s\n", err);
        err[0] = '\0';
        rc = st_config_validate(s, err, sizeof(err));
        CHECK_EQ_INT(rc, cases[i].want ? -EINVAL : 0);
        CHECK_STR(err, cases[i].want ? cases[i].want : "");
        free(s);
    }
    /* Settings built by code: the table's range still applies to list entries. */
    st_settings *s = new_default();
    s->music.programmes[1].volume = 120;
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "programme.ambient.volume = 120 is outside 0..100");
    st_settings_default(s);
    s->light.nscenes = 0;
    CHECK_EQ_INT(st_config_validate(s, err, sizeof(err)), -EINVAL);
    CHECK_STR(err, "no [scene] section: the safe scene must be defined");
    free(s);
}

/* docs/config.md documents every key the dump writes (as section.key, or
 * zone.ID.key / rule.NAME.key / effect.ACTION.key). */
static void test_docs_cover_keys(void)
{
    FILE *f = fopen("docs/config.md", "r");
    CHECK(f != NULL);
    if (!f) return;
    static char docs[1 << 17];
    size_t n = fread(docs, 1, sizeof(docs) - 1, f);
    docs[n] = '\0';
    fclose(f);
    st_settings *s = new_default();
    char err[512];
    /* The default street has no [lamp] sections (its patch is derived): add one. */
    CHECK_EQ_INT(st_config_load_string(s, "[lamp z1-1]\nzone = z1\n", "lamp", err, sizeof(err)), 0);
    char *text = dump_text(s);
    char section[32] = "";
    int keys = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '[') {
            static const char *const named[][2] = {{"[zone ", "zone.ID"},
                                                   {"[rule ", "rule.NAME"},
                                                   {"[effect ", "effect.ACTION"},
                                                   {"[lamp ", "lamp.ID"},
                                                   {"[arm ", "arm.NAME"},
                                                   {"[scene ", "scene.NAME"},
                                                   {"[programme ", "programme.NAME"}};
            snprintf(section, sizeof(section), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
            for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
                if (!strncmp(line, named[i][0], strlen(named[i][0])))
                    snprintf(section, sizeof(section), "%s", named[i][1]);
            continue;
        }
        if (line[0] == '#') continue;
        char want[96];
        snprintf(want, sizeof(want), "`%s.%.*s`", section, (int)strcspn(line, " ="), line);
        keys++;
        if (!strstr(docs, want)) {
            fprintf(stderr, "  docs/config.md lacks %s\n", want);
            CHECK(0);
        }
    }
    CHECK(keys > 120);
    free(text);
    free(s);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_example_equals_defaults);
    RUN(test_errors);
    RUN(test_error_limits);
    RUN(test_syntax);
    RUN(test_replace_semantics);
    RUN(test_set);
    RUN(test_start_time);
    RUN(test_dump_roundtrip);
    RUN(test_validate);
    RUN(test_actuation_defaults);
    RUN(test_actuation_validate);
    RUN(test_docs_cover_keys);
    return TEST_END("core/config");
}
