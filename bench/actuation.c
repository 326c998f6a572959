/* Benchmark: from an intervention handed to the light actuator to the first
 * packet of the new scene on the wire (received on a loopback UDP socket),
 * in-process and through the fail-safe watchdog; baseline: one bare sACN send. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stratum/failsafe.h"
#include "stratum/light.h"

#define TRIALS 2000

static const st_zone_def zones[5] = {{.id = "z1", .lamps = 5},
                                     {.id = "z2", .lamps = 4},
                                     {.id = "z3", .lamps = 5},
                                     {.id = "z4", .lamps = 4},
                                     {.id = "z5", .lamps = 4}};

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int rx_open(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) return -1;
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void drain(int fd)
{
    uint8_t b[700];
    while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0) {
    }
}

/* Block until a data packet for universe arrives; its receive time, or -1. */
static double wait_universe(int fd, int universe)
{
    uint8_t b[700];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 1000) != 1) return -1;
        ssize_t n = recv(fd, b, sizeof(b), 0);
        if (n >= 126 && b[21] == 0x04 && (b[113] << 8 | b[114]) == universe) return st_light_now();
    }
}

static void report(const char *name, double *v, int n, double base)
{
    qsort(v, (size_t)n, sizeof(double), cmp);
    double med = v[n / 2] * 1e3, p99 = v[(int)(n * 0.99)] * 1e3, max = v[n - 1] * 1e3;
    printf("%-34s median %7.3f ms  p99 %7.3f ms  max %7.3f ms", name, med, p99, max);
    if (base > 0) printf("  (x%.1f baseline median)", med / base);
    printf("\n");
}

int main(void)
{
    static st_light_params lp;
    static double lat[TRIALS];
    int port, fd = rx_open(&port);
    if (fd < 0) return 1;
    st_light_params_default(&lp, zones, 5);
    lp.sacn.port = port;
    /* Scenes alternate faster than any street would: lift the flash and rate
     * limits out of the way so every trial is a fresh fade, not a clamp. */
    lp.env.max_rate = 100;

    /* Baseline: one bare sACN packet, send to receive. */
    st_sacn *s = st_sacn_new(&lp.sacn, NULL);
    uint8_t slots[12] = {0};
    for (int i = 0; i < TRIALS; i++) {
        drain(fd);
        double t0 = st_light_now();
        st_sacn_send(s, 2, slots, sizeof(slots));
        lat[i] = wait_universe(fd, 2) - t0;
    }
    st_sacn_free(s);
    double tmp[TRIALS];
    memcpy(tmp, lat, sizeof(tmp));
    qsort(tmp, TRIALS, sizeof(double), cmp);
    double base = tmp[TRIALS / 2] * 1e3;
    report("baseline: bare sACN send", lat, TRIALS, 0);

    /* In-process light actuator. */
    st_light *l = st_light_new(&lp, NULL);
    st_actuator a = st_light_actuator(l);
    st_intervention iv;
    memset(&iv, 0, sizeof(iv));
    iv.kind = ST_ACT_SCENE;
    snprintf(iv.zone, sizeof(iv.zone), "z2");
    for (int i = 0; i < TRIALS; i++) {
        snprintf(iv.name, sizeof(iv.name), "%s", i % 2 ? "normal" : "calm-warm");
        a.ops->tick(a.self, 0);
        drain(fd);
        double t0 = st_light_now();
        a.ops->apply(a.self, &iv);
        lat[i] = wait_universe(fd, 2) - t0;
    }
    a.ops->free(a.self);
    report("light actuator (in process)", lat, TRIALS, base);

    /* Through the watchdog process that owns the output on a street. */
    st_failsafe_params fp;
    st_failsafe_params_default(&fp);
    st_failsafe *f = st_failsafe_new(&lp, &fp, NULL);
    if (!f) return 1;
    a = st_failsafe_actuator(f);
    int n = 0;
    for (int i = 0; i < TRIALS / 4; i++) {
        snprintf(iv.name, sizeof(iv.name), "%s", i % 2 ? "normal" : "calm-warm");
        a.ops->tick(a.self, 0);
        usleep(2000);
        drain(fd);
        double t0 = st_light_now();
        a.ops->apply(a.self, &iv);
        double t1 = wait_universe(fd, 2);
        if (t1 > 0) lat[n++] = t1 - t0;
    }
    st_failsafe_stop(f, 1);
    report("fail-safe watchdog (production)", lat, n, base);
    close(fd);
    printf("target: p99 <= 5 ms from intervention to first packet of the new scene\n");
    return 0;
}
