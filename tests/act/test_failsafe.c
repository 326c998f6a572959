/* Unit tests for the fail-safe watchdog: heartbeat loss, engine death, takeover, clean stop. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/failsafe.h"

static const st_zone_def zones[2] = {{.id = "z1", .lamps = 2}, {.id = "z2", .lamps = 2}};

typedef struct rx {
    int fd;
    uint8_t last[3][512]; /* last slots per universe 1..2 */
    int terminated;
    int packets;
} rx;

static void rx_open(rx *r, int *port)
{
    memset(r, 0, sizeof(*r));
    r->fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(r->fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(r->fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
}

/* Receive for `secs` seconds (calling tick on f every 20 ms if given). */
static void rx_run(rx *r, double secs, st_failsafe *f)
{
    uint8_t buf[700];
    double end = st_light_now() + secs;
    while (st_light_now() < end) {
        struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) == 1) {
            ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
            if (n >= 126 && buf[21] == 0x04) {
                int u = buf[113] << 8 | buf[114];
                if (u >= 1 && u <= 2) memcpy(r->last[u], buf + 126, (size_t)n - 126);
                if (buf[112] & 0x40) r->terminated++;
                r->packets++;
            }
        }
        if (f) st_failsafe_tick(f);
    }
}

static void params(st_light_params *lp, st_failsafe_params *fp, int port, const char *lock)
{
    st_light_params_default(lp, zones, 2);
    lp->sacn.port = port;
    lp->env.max_rate = 5; /* fast fades keep the test short */
    lp->env.cct_max_rate_k = 20000;
    for (size_t i = 0; i < lp->nscenes; i++) lp->scenes[i].fade_s = 0.1;
    st_failsafe_params_default(fp);
    fp->heartbeat_s = 0.05;
    fp->heartbeat_timeout_s = 0.5;
    fp->stop_timeout_s = 2;
    snprintf(fp->lock_path, sizeof(fp->lock_path), "%s", lock);
}

static void test_watchdog(void)
{
    static st_light_params lp;
    st_failsafe_params fp;
    char dir[] = "/tmp/st-failsafe-XXXXXX", lock[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(lock, sizeof(lock), "%s/light.lock", dir);
    rx r;
    int port;
    rx_open(&r, &port);
    params(&lp, &fp, port, lock);
    st_failsafe *f = st_failsafe_new(&lp, &fp, NULL);
    CHECK(f != NULL);
    if (!f) return;
    CHECK(st_failsafe_pid(f) > 0);
    rx_run(&r, 0.3, f);
    CHECK_EQ_INT(r.last[1][0], 204); /* safe scene "normal" at start */

    CHECK_EQ_INT(st_failsafe_scene(f, "calm-warm", "z1"), 0);
    CHECK_EQ_INT(st_failsafe_scene(f, "strobe", "z1"), -ENOENT);
    rx_run(&r, 0.5, f);
    CHECK_EQ_INT(r.last[1][0], 153); /* calm-warm */
    CHECK_EQ_INT(r.last[2][0], 204); /* z2 untouched */

    /* A second driver of the same lights is refused. */
    st_failsafe *g = st_failsafe_new(&lp, &fp, NULL);
    CHECK(g == NULL && errno == EBUSY);

    /* The engine hangs: no heartbeat for > 0.5 s -> safe scene. */
    rx_run(&r, 1.2, NULL);
    CHECK_EQ_INT(r.last[1][0], 204);

    /* Clean stop: safe scene, then three stream-terminated packets per universe. */
    CHECK_EQ_INT(st_failsafe_scene(f, "bright-neutral", NULL), 0);
    rx_run(&r, 0.3, f);
    CHECK_EQ_INT(r.last[1][0], 255);
    st_failsafe_stop(f, 1);
    rx_run(&r, 0.3, NULL);
    CHECK_EQ_INT(r.last[1][0], 204);
    CHECK_EQ_INT(r.terminated, 6);
    close(r.fd);
    unlink(lock);
    rmdir(dir);
}

/* Running (not a zombie waiting for whoever adopted it). */
static int alive(pid_t pid)
{
    char path[64], st[256] = {0};
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(st, 1, sizeof(st) - 1, f);
    fclose(f);
    const char *close_paren = n ? strrchr(st, ')') : NULL;
    return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z';
}

static void test_engine_killed(void)
{
    static st_light_params lp;
    st_failsafe_params fp;
    char dir[] = "/tmp/st-failsafe-XXXXXX", lock[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(lock, sizeof(lock), "%s/light.lock", dir);
    rx r;
    int port;
    rx_open(&r, &port);
    params(&lp, &fp, port, lock);
    fp.heartbeat_timeout_s = 30; /* only the closed connection can trigger the fallback */
    pid_t engine = fork();
    if (engine == 0) { /* a stand-in engine, killed with SIGKILL */
        st_failsafe *f = st_failsafe_new(&lp, &fp, NULL);
        if (!f) _exit(3);
        st_failsafe_scene(f, "bright-neutral", NULL);
        for (int i = 0; i < 25; i++) {
            st_failsafe_tick(f);
            usleep(20000);
        }
        raise(SIGKILL);
    }
    rx_run(&r, 0.3, NULL);
    CHECK_EQ_INT(r.last[1][0], 255);
    int status;
    waitpid(engine, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    double killed = st_light_now();
    /* Fade 1.0 -> 0.8 at 5/s takes ~0.04 s; allow the documented 1 s. */
    while (r.last[1][0] != 204 && st_light_now() - killed < 1.0) rx_run(&r, 0.02, NULL);
    CHECK_EQ_INT(r.last[1][0], 204);
    CHECK_EQ_INT(r.last[2][0], 204);
    CHECK_EQ_INT(r.terminated, 0); /* the orphan keeps the safe look alive */
    /* The lock now says orphan; a new engine with takeover replaces it. */
    FILE *lf = fopen(lock, "r");
    char line[64] = {0};
    if (lf) {
        if (!fgets(line, sizeof(line), lf)) line[0] = '\0';
        fclose(lf);
    }
    CHECK(strstr(line, "orphan") != NULL);
    long orphan = strtol(line, NULL, 10);
    st_failsafe *g = st_failsafe_new(&lp, &fp, NULL);
    CHECK(g == NULL && errno == EBUSY); /* no takeover asked */
    fp.takeover = 1;
    g = st_failsafe_new(&lp, &fp, NULL);
    CHECK(g != NULL);
    CHECK(orphan > 1 && !alive((pid_t)orphan)); /* the orphan is gone */
    st_failsafe_stop(g, 1);
    close(r.fd);
    unlink(lock);
    rmdir(dir);
}

int main(void)
{
    RUN(test_watchdog);
    RUN(test_engine_killed);
    return TEST_END("act/failsafe");
}
