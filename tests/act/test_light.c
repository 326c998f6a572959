/* Unit tests for lighting: patch, scene values on the wire, fade packet rates, envelope beneath
 * scenes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/light.h"

static const st_zone_def zones[5] = {{.id = "z1", .lamps = 5},
                                     {.id = "z2", .lamps = 4},
                                     {.id = "z3", .lamps = 5},
                                     {.id = "z4", .lamps = 4},
                                     {.id = "z5", .lamps = 4}};

static int rx_open(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    return fd;
}

/* Drain received sACN packets; count data packets per universe and keep the
 * last slots of universe `keep` in last[]. */
static void rx_drain(int fd, int counts[8], int keep, uint8_t last[512])
{
    uint8_t buf[700];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (poll(&pfd, 1, 20) == 1) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 126 || buf[21] != 0x04) continue;
        int u = buf[113] << 8 | buf[114];
        if (u < 8) counts[u]++;
        if (u == keep && last) memcpy(last, buf + 126, (size_t)n - 126);
    }
}

static void test_default_patch(void)
{
    static st_light_params p;
    char err[200];
    st_light_params_default(&p, zones, 5);
    CHECK_EQ_INT(p.nlamps, 22);
    CHECK_EQ_INT(st_light_params_check(&p, err, sizeof(err)), 0);
    CHECK_STR(p.lamps[10].id, "z3-2");
    CHECK_EQ_INT(p.lamps[10].universe, 3);
    CHECK_EQ_INT(p.lamps[10].channel, 4);
    CHECK_EQ_INT(p.lamps[10].layout, ST_LIGHT_CCT);
    p.lamps[11].channel = 5; /* z3-3 now overlaps z3-2 */
    CHECK_EQ_INT(st_light_params_check(&p, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "z3-3") && strstr(err, "overlaps"));
    p.lamps[11].channel = 511;
    CHECK_EQ_INT(st_light_params_check(&p, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "outside 1..512") != NULL);
    st_light_params_default(&p, zones, 5);
    snprintf(p.safe_scene, sizeof(p.safe_scene), "nope");
    CHECK_EQ_INT(st_light_params_check(&p, err, sizeof(err)), -EINVAL);
    st_light_params_default(&p, zones, 5);
    p.frame_hz = 10;
    CHECK_EQ_INT(st_light_params_check(&p, err, sizeof(err)), -EINVAL);
    CHECK_EQ_INT(st_light_layout_parse("dim+cct+rgb"), ST_LIGHT_RGB);
    CHECK_EQ_INT(st_light_layout_parse("rgbw"), 0);
}

static void test_mix(void)
{
    double w, c;
    st_light_mix(2700, 2700, 6500, &w, &c);
    CHECK_NEAR(w, 1, 1e-12);
    st_light_mix(6500, 2700, 6500, &w, &c);
    CHECK_NEAR(c, 1, 1e-12);
    st_light_mix(3000, 2700, 6500, &w, &c);
    CHECK_NEAR(c, (1e6 / 2700 - 1e6 / 3000) / (1e6 / 2700 - 1e6 / 6500), 1e-12);
    CHECK_NEAR(w + c, 1, 1e-12);
    st_light_mix(1800, 2700, 6500, &w, &c);
    CHECK_NEAR(w, 1, 1e-12);
}

static void test_scene_on_wire(void)
{
    static st_light_params p;
    int port, fd = rx_open(&port);
    st_light_params_default(&p, zones, 5);
    p.sacn.port = port;
    p.lamps[21].layout = ST_LIGHT_RGB; /* z5-4 gets RGB emitters: channels 10..15 */
    st_light *l = st_light_new(&p, NULL);
    CHECK(l != NULL);
    if (!l) return;
    double t = st_light_now();
    int counts[8] = {0};
    uint8_t last[512] = {0};
    CHECK_EQ_INT(st_light_tick(l, t), 5); /* first tick: every universe */
    rx_drain(fd, counts, 2, last);
    CHECK_EQ_INT(last[0], 204); /* normal: 0.8 */
    CHECK_EQ_INT(last[1], 211); /* 3000 K: warm 0.829 */
    CHECK_EQ_INT(last[2], 44);  /* cool 0.171 */
    double lv0, lv1;
    st_light_output(l, 5, &lv0, NULL); /* z2-1 */

    /* calm-warm in z2: the first step is on the wire at once. */
    memset(counts, 0, sizeof(counts));
    CHECK_EQ_INT(st_light_scene(l, "calm-warm", "z2", t + 0.5), 0);
    rx_drain(fd, counts, 2, last);
    CHECK_EQ_INT(counts[2], 1);
    st_light_output(l, 5, &lv1, NULL);
    CHECK(lv1 < lv0); /* the first packet already carries the first step down */
    CHECK_STR(st_light_zone_scene(l, "z2"), "calm-warm");
    CHECK_STR(st_light_zone_scene(l, "z1"), "normal");

    /* One second of fade at 100 ticks/s: 30..44 packets/s in z2, keep-alives elsewhere. */
    memset(counts, 0, sizeof(counts));
    for (int i = 1; i <= 100; i++) st_light_tick(l, t + 0.5 + i * 0.01);
    rx_drain(fd, counts, 2, last);
    CHECK(counts[2] >= 30 && counts[2] <= 44);
    CHECK(counts[1] >= 1 && counts[1] <= 3);
    CHECK(!st_light_settled(l));

    /* Run the fade out (0.2 of level at 0.25/s, well inside the 10 s fade). */
    for (int i = 1; i <= 1200; i++) st_light_tick(l, t + 1.5 + i * 0.01);
    CHECK(st_light_settled(l));
    rx_drain(fd, counts, 2, last);
    memset(counts, 0, sizeof(counts));
    for (int i = 1; i <= 500; i++) st_light_tick(l, t + 13.5 + i * 0.01);
    rx_drain(fd, counts, 2, last);
    CHECK(counts[2] >= 5 && counts[2] <= 11); /* keep-alive: >= 1/s when steady */
    for (int lamp = 0; lamp < 4; lamp++) {
        CHECK_EQ_INT(last[lamp * 3 + 0], 153); /* 0.6 */
        CHECK_EQ_INT(last[lamp * 3 + 1], 255); /* 2700 K: all warm */
        CHECK_EQ_INT(last[lamp * 3 + 2], 0);
    }
    const uint8_t *u5 = st_light_frame(l, 5);
    CHECK(u5 != NULL);
    if (u5) {
        CHECK_EQ_INT(u5[9], 204);
        CHECK_EQ_INT(u5[12], 255); /* red of a 3000 K black body */
        CHECK(u5[14] < u5[13] && u5[13] < 255);
    }
    CHECK_EQ_INT(st_light_scene(l, "disco", "z2", t + 20), -ENOENT);
    CHECK_EQ_INT(st_light_scene(l, "normal", "z9", t + 20), -ENOENT);
    uint64_t pk, er;
    st_light_counts(l, &pk, &er);
    CHECK(pk > 100);
    CHECK_EQ_INT(er, 0);
    st_light_free(l);
    close(fd);
}

static void test_envelope_beneath_scenes(void)
{
    static st_light_params p;
    int port, fd = rx_open(&port);
    st_light_params_default(&p, zones, 5);
    p.sacn.port = port;
    /* A badly configured scene: blackout with no fade. */
    snprintf(p.scenes[p.nscenes].name, ST_ACTION_MAX, "blackout");
    p.scenes[p.nscenes].level = 0;
    p.scenes[p.nscenes].kelvin = 3000;
    p.scenes[p.nscenes].fade_s = 0;
    p.nscenes++;
    st_light *l = st_light_new(&p, NULL);
    CHECK(l != NULL);
    if (!l) return;
    double t = st_light_now(), lv, prev;
    CHECK_EQ_INT(st_light_scene(l, "blackout", NULL, t), 0);
    st_light_output(l, 0, &prev, NULL);
    for (int i = 1; i <= 600; i++) {
        st_light_tick(l, t + i * 0.025);
        st_light_output(l, 0, &lv, NULL);
        CHECK(prev - lv <= p.env.max_rate * 0.025 + 1e-9); /* no jump */
        CHECK(lv >= p.env.min_level - 1e-12);              /* never below the minimum */
        prev = lv;
    }
    CHECK_NEAR(lv, p.env.min_level, 1e-9);
    uint64_t c[ST_ENV__COUNT];
    st_envelope_counts(st_light_envelope(l), c);
    CHECK(c[ST_ENV_MIN_LEVEL] > 0); /* the clamp was recorded */
    /* Operator strobe through the lamp command: still <= 3 flashes/s (max rate). */
    int turns = 0, dir = 0;
    double ext = lv;
    for (int i = 0; i < 100; i++) {
        double tt = t + 20 + i * 0.05;
        st_light_lamp(l, 0, (i % 2) ? 1.0 : 0.0, 3000, 0, tt);
        st_light_output(l, 0, &lv, NULL);
        int d = lv > ext + 0.1 ? 1 : lv < ext - 0.1 ? -1 : 0;
        if (d && d != dir)
            turns++, dir = d, ext = lv;
        else if (d)
            ext = lv;
    }
    CHECK(turns <= 6 * 5); /* over 5 s */
    st_light_free(l);
    close(fd);
}

static void test_artnet_output(void)
{
    static st_light_params p;
    int port, fd = rx_open(&port);
    st_light_params_default(&p, zones, 2);
    p.use_sacn = 0;
    p.use_artnet = 1;
    p.artnet.port = port;
    st_light *l = st_light_new(&p, NULL);
    CHECK(l != NULL);
    if (!l) return;
    CHECK_EQ_INT(st_light_tick(l, st_light_now()), 2);
    uint8_t buf[600];
    int seen[2] = {0};
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (poll(&pfd, 1, 50) == 1) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        CHECK(n >= 18 && !memcmp(buf, "Art-Net", 8));
        int pa = buf[15] << 8 | buf[14];
        CHECK(pa <= 1); /* universe 1 -> Port-Address 0 */
        if (pa <= 1) seen[pa]++;
        CHECK_EQ_INT(buf[18], 204);
        CHECK_EQ_INT(buf[16] << 8 | buf[17], pa == 0 ? 16 : 12); /* 15 and 12 slots, even */
    }
    CHECK_EQ_INT(seen[0], 1);
    CHECK_EQ_INT(seen[1], 1);
    st_light_free(l);
    close(fd);
}

int main(void)
{
    RUN(test_default_patch);
    RUN(test_mix);
    RUN(test_scene_on_wire);
    RUN(test_envelope_beneath_scenes);
    RUN(test_artnet_output);
    return TEST_END("act/light");
}
